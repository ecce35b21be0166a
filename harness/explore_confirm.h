/* explore_confirm.h — confirming an explored fpga candidate for real: its
 * RTL verilated with its parameters and simulated on every point (cycles
 * against the formula, outputs against the golden model, rb-fpga-confirm),
 * and synthesized with Yosys (resources against the fitted model).
 *
 * Each distinct parameter set is built once, by CMake from this source
 * tree (RB_FPGA_BUILD=custom, only the rb-fpga-confirm target), into
 * <cache>/<hash of the parameters>; a later exploration reuses it, and
 * CMake rebuilds it when the RTL changed.  The synthesis summary is kept
 * beside it and redone when the RTL's hash differs. */
#ifndef RB_EXPLORE_CONFIRM_H
#define RB_EXPLORE_CONFIRM_H

#include "explore.h"

typedef struct rb_confirm_env {
    char cache[4096]; /* where builds go */
    int jobs;         /* parallel compile jobs */
    /* non-empty: why no candidate can be simulated / synthesized here */
    char no_sim[256], no_synth[256];
    char rtl_hash[64];
    FILE *log; /* progress, one line per step (may be NULL) */
} rb_confirm_env;

/* Fill env: the cache directory (cache, else $RB_FPGA_CONFIRM_CACHE, else
 * <build dir>/fpga-confirm), and
 * what this machine lacks for each kind of confirmation (cmake, Verilator,
 * a C++ compiler, yosys). */
void rb_confirm_env_init(rb_confirm_env *env, const char *cache, int jobs, FILE *log);

/* Build and synthesize candidates cs[0..n) in parallel, up to env->jobs
 * processes at a time (distinct parameters once each), so that confirming
 * them one by one then finds everything cached.  RB_EINTR when interrupted. */
int rb_explore_confirm_prefetch(rb_explore_cand *const *cs, int n, rb_confirm_env *env);
/* Confirm candidate c on every point of sp: sim_state and synth_state say
 * how it went, confirm_note what was found (or why it was not done), and
 * its cycles, latencies and resources become the simulated and synthesized
 * ones.  est_res (may be NULL) gets the estimates synthesis replaced.
 * Returns RB_EINTR when interrupted, else 0: a failed build or a
 * disagreement is the candidate's state, not an error. */
int rb_explore_confirm(const rb_explore_spec *sp, rb_explore_cand *c, rb_confirm_env *env,
                       double est_res[RB_NRES], rb_err *e);

#endif
