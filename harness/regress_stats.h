/* regress_stats.h — the statistics behind `rnnbench compare` and `history`.
 *
 * Mann-Whitney U (the rank-sum test asv and pyperf use for benchmark
 * samples: no normality assumed) and step detection in a series of figures
 * across runs (the change points asv reports).  Pure functions over arrays:
 * no store, no devices. */
#ifndef RB_REGRESS_STATS_H
#define RB_REGRESS_STATS_H

#include <stddef.h>

typedef struct rb_mwu {
    double u1; /* U of the first sample: pairs (x, y) with x > y, ties count 1/2 */
    double u2; /* n1*n2 - u1 */
    double p;  /* two-sided p-value */
    int exact; /* 1: p from the exact null distribution; 0: normal approximation */
} rb_mwu;

/* Two-sided Mann-Whitney U test of x[0..n1) against y[0..n2) (neither
 * modified), as scipy.stats.mannwhitneyu(x, y, alternative='two-sided',
 * method='auto') computes it (its code, not its docstring): exact when
 * either sample has at most 8 values and there are no ties, else the normal
 * approximation with the tie correction of the variance and a continuity
 * correction of 0.5.  p is
 * clamped to [0, 1].  Returns 0, or -1 when n1 or n2 is 0 or memory fails. */
int rb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, rb_mwu *out);

/* Median of v[0..n) (not modified); NaN when n == 0. */
double rb_median(const double *v, size_t n);

/* A step found in a series. */
typedef struct rb_step {
    size_t at;     /* index of the first point after the step */
    double before; /* median level of the segment before it */
    double after;  /* median level of the segment from `at` on */
} rb_step;

/* Steps in x[0..n) (one figure per run, in run order): piecewise-constant
 * segments fitted by L1 (median) cost with a penalty per extra segment, the
 * rule asv uses for its regression detection.  A step is kept only where
 * the level changes by more than `rel_threshold` of the earlier level and
 * by more than the series' own noise (3 robust standard deviations of its
 * point-to-point differences within segments).  At most max_steps, in index
 * order; returns how many. */
size_t rb_detect_steps(const double *x, size_t n, double rel_threshold, rb_step *steps,
                       size_t max_steps);

#endif
