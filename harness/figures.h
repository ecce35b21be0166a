/* figures.h — what `compare` and `export` compare: the figures of one side.
 *
 * A side is one run of a results database or a baseline file (`rnnbench
 * export --baseline`).  Each figure is keyed by (target instance, config,
 * workload, metric), so fpga:small never pairs with fpga:large; config is
 * the number format the target ran in, so a cpu run at
 * another thread count or on another machine pairs with this one (the
 * device's name is kept beside it and a difference is reported), while the
 * fpga's Q3.12 and Q2.5 are different points.
 *
 * Kinds: a measured figure (cpu/gpu latency) carries its raw repetitions
 * and is judged by a rank test; a deterministic one (simulated cycles and
 * latency, modeled latency and energy, error against the reference,
 * task accuracy with a fixed seed) is judged by its change alone. */
#ifndef RB_FIGURES_H
#define RB_FIGURES_H

#include <stdio.h>

#include "../workloads/workload.h"
#include "store_report.h"
#include "store.h"

typedef enum { RB_FIG_MEASURED = 0, RB_FIG_DETERMINISTIC = 1 } rb_fig_kind;

typedef struct rb_figure {
    char target[RB_INSTANCE_NAME_MAX]; /* the instance: fpga:large, cpu ... */
    char config[32];                   /* numerics: "fp32", "fixed Q3.12", ... */
    char device[160];                  /* the device's name, for the record */
    char workload[160];                /* workload key, or "task:model:phase" for accuracy */
    char metric[24]; /* status, median_ms, cycles, energy_j, err_max_abs, accuracy, macro_f1 */
    char unit[16];
    char source[16]; /* measured | simulated | modeled | model | eval ... */
    char text[16];   /* metric status: the result's status (ok, failed, ...) */
    rb_fig_kind kind;
    int higher_is_better;
    double value;    /* NaN for status */
    int n;           /* repetitions behind a measured figure; 0 for one measured once as a
                        whole (a served load's rate): compare judges it by its threshold */
    double *samples; /* measured: the n raw repetitions (owned); NULL otherwise */
    double noise;    /* measured: its result's rb_noise_rel; NaN otherwise */
} rb_figure;

typedef struct rb_figset {
    char what[512];   /* "run 12 (label nightly) in results.db", "baseline ci.jsonl" */
    long long run_id; /* 0 for a baseline file */
    char label[64];   /* the run's label, "" when none */
    char status[16];  /* the run's status (complete, interrupted, running, failed); "" for a
                         baseline file, which holds a finished run's figures */
    int no_measured;  /* a baseline of deterministic figures only (by design) */
    int loaded;       /* the run warned that other processes competed for the CPU */
    char warnings[600]; /* the run's warnings, "; "-joined; "" for none or a baseline */
    size_t n;
    rb_figure *f; /* sorted by (target, config, workload, metric) */
} rb_figset;

/* Every figure of a run the store loaded with figures set (store_report.h);
 * where names the database in out->what. */
int rb_figset_from_report(const rb_report *r, const char *where, rb_figset *out, rb_err *e);
/* The run sel picks in the database at path, opened read-only.  with_samples:
 * with the raw repetitions of measured figures (compare needs them; export
 * --metrics deterministic not). */
int rb_figset_from_db(const char *path, const rb_report_select *sel, int with_samples,
                      rb_figset *out, rb_err *e);
/* A baseline file; RB_EINPUT naming the file and line when it is malformed. */
int rb_figset_from_baseline(const char *path, rb_figset *out, rb_err *e);
/* Write fs as a baseline: a header line, then one JSON object per figure
 * and line, keys sorted, lines sorted; only deterministic figures unless
 * all (then measured ones with their samples). */
int rb_figset_write_baseline(FILE *f, const rb_figset *fs, int all, rb_err *e);
void rb_figset_free(rb_figset *fs);

/* The order of figures: by target, config, workload, metric. */
int rb_figure_cmp(const rb_figure *a, const rb_figure *b);

#endif
