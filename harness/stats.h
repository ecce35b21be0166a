/* stats.h — summary statistics of repeated latency samples. */
#ifndef RB_STATS_H
#define RB_STATS_H

typedef struct rb_stats {
    int n;
    double median, p10, p90, p99, mean, stddev, min, max;
    double ci_lo, ci_hi; /* 95% confidence interval of the median (order statistics) */
} rb_stats;

/* Percentile p in [0,100] of sorted[0..n), linear interpolation between
 * closest ranks (NumPy's default "linear" method), so figures match what
 * users get from np.percentile on the raw samples table. */
double rb_percentile_sorted(const double *sorted, int n, double p);

/* Fills out from samples (not modified).  The 95% confidence interval of the
 * median uses order statistics (distribution-free): ranks
 * n/2 ± 1.96·sqrt(n)/2, clamped to the sample; with fewer than ~6 samples it
 * degenerates to [min, max], which is honest about how little is known.
 * stddev is the sample standard deviation (n-1).  Returns -1 if n < 1 or the
 * scratch allocation fails. */
int rb_stats_compute(const double *samples, int n, rb_stats *out);
/* The same from samples already sorted ascending (n >= 1). */
void rb_stats_sorted(const double *sorted, int n, rb_stats *out);

/* qsort's comparison of doubles, ascending. */
int rb_cmp_double(const void *a, const void *b);

#endif
