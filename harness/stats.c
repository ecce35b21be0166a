#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rb_percentile_sorted(const double *sorted, int n, double p)
{
    if (n <= 0)
        return NAN;
    double pos = p / 100.0 * (n - 1);
    int lo = (int)floor(pos);
    if (lo >= n - 1)
        return sorted[n - 1];
    double frac = pos - lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

void rb_stats_sorted(const double *s, int n, rb_stats *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1)
        return;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    double mean = sum / n, ss = 0;
    for (int i = 0; i < n; i++)
        ss += (s[i] - mean) * (s[i] - mean);

    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    out->mean = mean;
    out->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
    out->median = rb_percentile_sorted(s, n, 50);
    out->p10 = rb_percentile_sorted(s, n, 10);
    out->p90 = rb_percentile_sorted(s, n, 90);
    out->p99 = rb_percentile_sorted(s, n, 99);

    /* 1-based ranks j, k with P(X_(j) <= median <= X_(k)) ~ 0.95 */
    double half = 1.96 * sqrt((double)n) / 2.0;
    int j = (int)floor(n / 2.0 - half), k = (int)ceil(1 + n / 2.0 + half);
    if (j < 1)
        j = 1;
    if (k > n)
        k = n;
    out->ci_lo = s[j - 1];
    out->ci_hi = s[k - 1];
}

int rb_stats_compute(const double *samples, int n, rb_stats *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1)
        return -1;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return -1;
    memcpy(s, samples, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, rb_cmp_double);
    rb_stats_sorted(s, n, out);
    free(s);
    return 0;
}
