/* compare.h — two sides' figures into verdicts (`rnnbench compare`).
 *
 * Measured figures (cpu/gpu latency): a regression or an improvement needs
 * both a Mann-Whitney U test below alpha on the raw repetitions and a
 * change of the median beyond the threshold; anything else is no change.
 * Deterministic figures: any change is reported; one beyond the metric's
 * tolerance in the worse direction is a regression.  A result that was ok
 * and is not any more is a regression too.  Points on one side only are
 * listed, never dropped. */
#ifndef RB_COMPARE_H
#define RB_COMPARE_H

#include <stdio.h>

#include "figures.h"

typedef enum {
    RB_CMP_SAME = 0, /* no change (measured: not significant, or within the threshold) */
    RB_CMP_CHANGED,  /* deterministic, changed within its tolerance */
    RB_CMP_IMPROVED,
    RB_CMP_REGRESSED
} rb_verdict;

const char *rb_verdict_name(rb_verdict v); /* "same", "changed", "improved", "regressed" */

#define RB_CMP_MAX_TOL 16
#define RB_CMP_FEW 9 /* fewer repetitions than this on a side: warned */

typedef struct rb_tolerance {
    char metric[24];
    double rel, abs; /* allowed |change|: max(rel * |base|, abs) */
} rb_tolerance;

typedef struct rb_cmp_opts {
    double threshold; /* measured: relative change of the median, e.g. 0.05 */
    double alpha;     /* measured: U test level, e.g. 0.05 */
    int n_tol;        /* per-metric tolerances given by the user, over the defaults */
    rb_tolerance tol[RB_CMP_MAX_TOL];
} rb_cmp_opts;

void rb_cmp_opts_default(rb_cmp_opts *o);
/* "cycles=0,err_max_abs=20%,accuracy=0.01": a percentage is relative, a
 * plain number absolute.  RB_EINPUT naming the bad item. */
int rb_cmp_parse_tolerances(rb_cmp_opts *o, const char *spec, rb_err *e);
/* Is metric one compare judges by a tolerance (a figure of the table that
 * compare pairs, cycles, accuracy, macro_f1)?  And their names, for people. */
int rb_cmp_compared(const char *metric);
const char *rb_cmp_compared_names(char *buf, size_t n);
/* The tolerance that applies to a deterministic metric. */
rb_tolerance rb_cmp_tolerance(const rb_cmp_opts *o, const char *metric);

typedef struct rb_cmp_row {
    const rb_figure *base, *cand; /* one may be NULL: on one side only */
    rb_verdict verdict;
    double change;      /* (cand - base) / |base|; NaN when not a number */
    double p;           /* measured: the U test's p; NaN otherwise */
    int few;            /* measured: fewer than RB_CMP_FEW repetitions on a side */
    int notable;        /* the note is worth listing even without a change */
    int device_differs; /* paired, but the devices' names differ (said once per target) */
    /* measured, regressed or improved, but a side's run was loaded or its
     * result noisy (rb_noise_rel beyond RB_NOISY_REL): the verdict stands,
     * marked as one not to take as fact (the note says why) */
    int suspect;
    char note[200];
} rb_cmp_row;

typedef struct rb_comparison {
    const rb_figset *base, *cand;
    rb_cmp_opts opts;
    size_t n;
    rb_cmp_row *rows; /* paired rows in key order, then base-only, then cand-only */
    size_t count[4];  /* rows per verdict (paired rows) */
    size_t only_base, only_cand, few;
    size_t suspect_regressed; /* regressions that are suspect (compare --noisy warn) */
    size_t skipped; /* measured figures left out because the other side is a
                         deterministic-only baseline */
} rb_comparison;

int rb_compare_sets(const rb_figset *base, const rb_figset *cand, const rb_cmp_opts *o,
                    rb_comparison *out, rb_err *e);
void rb_comparison_free(rb_comparison *c);

typedef enum { RB_CMP_FMT_TABLE = 0, RB_CMP_FMT_MD, RB_CMP_FMT_JSON } rb_cmp_format;
/* "table", "md", "json" (compare's and history's --format); 0 or -1. */
int rb_cmp_format_parse(const char *s, rb_cmp_format *out);
/* all: list unchanged rows too (the default lists what changed and what is unmatched). */
int rb_comparison_write(FILE *f, const rb_comparison *c, rb_cmp_format fmt, int all, rb_err *e);

#endif
