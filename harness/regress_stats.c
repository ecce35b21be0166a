#include "regress_stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n), n > 0, sorting a copy in buf (n doubles). */
static double median_in(const double *v, size_t n, double *buf)
{
    memcpy(buf, v, n * sizeof *buf);
    qsort(buf, n, sizeof *buf, cmp_double);
    return n % 2 ? buf[n / 2] : 0.5 * (buf[n / 2 - 1] + buf[n / 2]);
}

double rb_median(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    /* NumPy's answer: one NaN makes the median NaN (and would make qsort's order meaningless). */
    for (size_t i = 0; i < n; i++)
        if (isnan(v[i]))
            return NAN;
    double *buf = malloc(n * sizeof *buf);
    if (!buf)
        return NAN;
    double m = median_in(v, n, buf);
    free(buf);
    return m;
}

/* ---- Mann-Whitney U --------------------------------------------------------- */

/* scipy 1.10.1 _mwu_choose_method: exact unless *both* samples exceed 8
 * (`if n1 > 8 and n2 > 8: return "asymptotic"`), and only without ties.
 * Its docstring ("one of the samples is less than 8") and regress_stats.h
 * ("both smaller than 8") say otherwise; the code is what produces its
 * p-values, so the code is what we match. */
#define RB_MWU_EXACT_MAX 8

typedef struct {
    double v;
    size_t i; /* position in x ++ y */
} mwu_item;

static int cmp_item(const void *a, const void *b)
{
    const mwu_item *p = a, *q = b;
    if (p->v != q->v)
        return (p->v > q->v) - (p->v < q->v);
    return (p->i > q->i) - (p->i < q->i);
}

/* P(U <= k) under the null for samples of m and n values.  The number of
 * arrangements with U = u is the coefficient of q^u in the Gaussian binomial
 * [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i); only degrees
 * up to k are needed, and the products never look at higher ones, so the
 * cost is O(min(m,n) * k) instead of scipy's O(m n k) recursion.  Called
 * with m = min(n1, n2) <= 8, the one subtraction (the numerator factor)
 * only touches degrees > n, where the cumulative count is already a
 * sizeable share of the total, so doubles keep ~1e-14 relative accuracy
 * (checked against scipy: 2000 random cases of up to 60 values, and the
 * 8 vs 200 case in the tests). */
static int mwu_exact_cdf(size_t m, size_t n, size_t k, double *out)
{
    double *c = calloc(k + 1, sizeof *c);
    if (!c)
        return -1;
    c[0] = 1;
    double total = 1;
    for (size_t i = 1; i <= m; i++) {
        for (size_t d = k; d >= n + i; d--) { /* stops before d - n - i would wrap */
            c[d] -= c[d - n - i];
            if (d == n + i)
                break;
        }
        for (size_t d = i; d <= k; d++)
            c[d] += c[d - i];
        total = total * (double)(n + i) / (double)i; /* C(n+i, i), exact while it fits */
    }
    double sum = 0;
    for (size_t d = 0; d <= k; d++)
        sum += c[d];
    free(c);
    *out = sum / total;
    return 0;
}

int rb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, rb_mwu *out)
{
    memset(out, 0, sizeof *out);
    if (n1 == 0 || n2 == 0)
        return -1;
    size_t n = n1 + n2;
    for (size_t i = 0; i < n; i++) {
        double v = i < n1 ? x[i] : y[i - n1];
        if (isnan(v)) {
            /* scipy's default nan_policy='propagate': no statistic, no p. */
            out->u1 = out->u2 = out->p = NAN;
            return 0;
        }
    }
    mwu_item *it = malloc(n * sizeof *it);
    if (!it)
        return -1;
    for (size_t i = 0; i < n; i++) {
        it[i].v = i < n1 ? x[i] : y[i - n1];
        it[i].i = i;
    }
    qsort(it, n, sizeof *it, cmp_item);

    /* Average ranks for ties (rankdata's 'average'); the rank sum of x and
     * sum(t^3 - t) over tie groups are all the test needs. */
    double r1 = 0, tie_term = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && it[b].v == it[a].v)
            b++;
        double rank = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1 .. b */
        double t = (double)(b - a);
        tie_term += t * t * t - t;
        for (size_t j = a; j < b; j++)
            if (it[j].i < n1)
                r1 += rank;
        a = b;
    }
    free(it);

    double mn = (double)n1 * (double)n2;
    out->u1 = r1 - (double)n1 * ((double)n1 + 1) / 2;
    out->u2 = mn - out->u1;
    double u = fmax(out->u1, out->u2);

    size_t small = n1 < n2 ? n1 : n2, large = n1 < n2 ? n2 : n1;
    if (small <= RB_MWU_EXACT_MAX && tie_term == 0) {
        /* p = 2 P(U >= u) = 2 P(U <= mn - u) by symmetry; u is an integer here. */
        double cdf;
        if (mwu_exact_cdf(small, large, (size_t)(mn - u), &cdf) < 0)
            return -1;
        out->p = 2 * cdf;
        out->exact = 1;
    } else {
        double nn = (double)n;
        double var = mn / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
        /* Continuity: the survival function at u - 0.5 keeps the mass at u.
         * All values tied leaves no variance: u sits at the mean, p = 1. */
        double num = u - mn / 2 - 0.5;
        out->p = var > 0 ? erfc(num / sqrt(var) / sqrt(2.0)) : 1.0;
    }
    /* Two-sided doubling overshoots 1 when u is at the centre (scipy clips too). */
    if (out->p > 1)
        out->p = 1;
    if (out->p < 0)
        out->p = 0;
    return 0;
}

/* ---- step detection ------------------------------------------------------- */

/* A segment needs two runs: a single point that differs is an outlier (a
 * bad run) until the next run confirms it, as asv's min_size=2. */
#define RB_STEP_MIN_RUN 2

/* Penalty per segment, in units of the noise's mean absolute deviation
 * times ln(n): the Schwarz/BIC form for Laplace noise (two parameters per
 * segment, level and position, each (ln n)/2 in log-likelihood), with the
 * factor raised from 1 to 3 so that pure Gaussian noise of 20..100 points
 * almost never splits (simulated: < 0.1 extra segments per series) while a
 * 10-sigma step is still placed exactly in > 99% of series.  The fit is
 * only a proposal: the threshold filter below has the final word. */
#define RB_STEP_PENALTY 3.0

/* Robust standard deviation of the differences d[0..n) (modified): MAD
 * about zero, since a difference within a flat segment has mean zero.
 * Quantized figures (cycle counts) can have more than half their
 * differences exactly zero; then the mean absolute difference, scaled for
 * a normal distribution, still says how much they move. */
static double robust_sd(double *d, size_t n)
{
    if (n == 0)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        d[i] = fabs(d[i]);
        sum += d[i];
    }
    qsort(d, n, sizeof *d, cmp_double);
    double med = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
    if (med > 0)
        return 1.482602218505602 * med; /* 1 / Phi^-1(3/4) */
    return sqrt(M_PI / 2) * sum / (double)n;
}

/* Two heaps holding a segment's values, split at its median, with their
 * sums: the L1 cost of a segment grown one point at a time in O(log n). */
typedef struct {
    double *lo, *hi; /* max-heap of the lower half (the larger one), min-heap of the upper */
    size_t nlo, nhi;
    double slo, shi;
} med_heaps;

static void heap_push(double *h, size_t *n, double v, int max)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (max ? h[p] >= v : h[p] <= v)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static double heap_pop(double *h, size_t *n, int max)
{
    double top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && (max ? h[c + 1] > h[c] : h[c + 1] < h[c]))
            c++;
        if (max ? v >= h[c] : v <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = v;
    return top;
}

static void heaps_add(med_heaps *m, double v)
{
    if (m->nlo == 0 || v <= m->lo[0]) {
        heap_push(m->lo, &m->nlo, v, 1);
        m->slo += v;
    } else {
        heap_push(m->hi, &m->nhi, v, 0);
        m->shi += v;
    }
    if (m->nlo > m->nhi + 1) {
        double t = heap_pop(m->lo, &m->nlo, 1);
        m->slo -= t;
        heap_push(m->hi, &m->nhi, t, 0);
        m->shi += t;
    } else if (m->nhi > m->nlo) {
        double t = heap_pop(m->hi, &m->nhi, 0);
        m->shi -= t;
        heap_push(m->lo, &m->nlo, t, 1);
        m->slo += t;
    }
}

/* sum |v - median| over the segment; rounding of the sums can leave a hair below 0 */
static double heaps_cost(const med_heaps *m)
{
    double med = m->lo[0];
    double c = (m->shi - (double)m->nhi * med) + ((double)m->nlo * med - m->slo);
    return c > 0 ? c : 0;
}

/* Optimal partition of v[0..n) into segments of >= RB_STEP_MIN_RUN points
 * minimizing sum(L1 cost) + gamma * segments, by dynamic programming over
 * the end of the last segment (O(n^2 log n): a history of a few thousand
 * runs takes milliseconds).  Writes the segment starts to start[] (start[0]
 * = 0) and returns their count, or 0 when memory fails. */
static size_t segment_l1(const double *v, size_t n, double gamma, size_t *start)
{
    double *f = malloc((n + 1) * sizeof *f);
    size_t *prev = malloc((n + 1) * sizeof *prev);
    med_heaps m = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), 0, 0, 0, 0};
    size_t nseg = 0;
    if (!f || !prev || !m.lo || !m.hi)
        goto out;
    f[0] = 0;
    prev[0] = 0;
    for (size_t j = 1; j <= n; j++) {
        f[j] = INFINITY;
        prev[j] = 0;
        m.nlo = m.nhi = 0;
        m.slo = m.shi = 0;
        /* Grow the last segment [i, j) leftwards so one set of heaps serves every i. */
        for (size_t i = j; i-- > 0;) {
            heaps_add(&m, v[i]);
            if (j - i < RB_STEP_MIN_RUN || isinf(f[i]))
                continue;
            double c = f[i] + heaps_cost(&m) + gamma;
            if (c <= f[j]) { /* ties go to the longer last segment: fewer steps */
                f[j] = c;
                prev[j] = i;
            }
        }
    }
    /* n >= 2 * RB_STEP_MIN_RUN here, so f[n] is finite; walk back and reverse. */
    for (size_t j = n; j > 0; j = prev[j])
        start[nseg++] = prev[j];
    for (size_t a = 0, b = nseg - 1; a < b; a++, b--) {
        size_t t = start[a];
        start[a] = start[b];
        start[b] = t;
    }
out:
    free(f);
    free(prev);
    free(m.lo);
    free(m.hi);
    return nseg;
}

/* Drops the weakest unconvincing boundary until every one left changes the
 * level by more than rel_threshold of the earlier level and by more than
 * 3 robust standard deviations of the differences within segments.  Levels
 * and noise are recomputed after each merge: a boundary the fit put inside
 * noise takes the noise's largest differences with it.  level[] gets the
 * final segment medians (of v, which is x less centre); returns the
 * segment count. */
static size_t merge_weak(const double *v, size_t n, double centre, size_t *start, size_t nseg,
                         double rel, double *level, double *work)
{
    for (;;) {
        for (size_t s = 0; s < nseg; s++) {
            size_t end = s + 1 < nseg ? start[s + 1] : n;
            level[s] = median_in(v + start[s], end - start[s], work);
        }
        if (nseg == 1)
            return 1;
        size_t nd = 0;
        for (size_t s = 0; s < nseg; s++) {
            size_t end = s + 1 < nseg ? start[s + 1] : n;
            for (size_t i = start[s] + 1; i < end; i++)
                work[nd++] = v[i] - v[i - 1];
        }
        double noise_bar = 3 * robust_sd(work, nd);

        size_t worst = 0;
        double worst_score = INFINITY;
        for (size_t s = 1; s < nseg; s++) {
            double delta = fabs(level[s] - level[s - 1]);
            double bar = fmax(rel * fabs(level[s - 1] + centre), noise_bar);
            if (delta > bar)
                continue;
            double score = bar > 0 ? delta / bar : 0;
            if (score < worst_score) {
                worst_score = score;
                worst = s;
            }
        }
        if (worst == 0)
            return nseg;
        memmove(start + worst, start + worst + 1, (nseg - worst - 1) * sizeof *start);
        nseg--;
    }
}

size_t rb_detect_steps(const double *x, size_t n, double rel_threshold, rb_step *steps,
                       size_t max_steps)
{
    /* The header gives no error channel: out of memory reads as "no steps". */
    if (max_steps == 0 || n < 2 * RB_STEP_MIN_RUN)
        return 0;
    if (!(rel_threshold > 0))
        rel_threshold = 0;
    /* Missing figures (a failed run stores NaN) are skipped, as asv does;
     * idx maps back so `at` is an index into x. */
    double *v = malloc(n * sizeof *v), *level = malloc(n * sizeof *level),
           *work = malloc(n * sizeof *work);
    size_t *idx = malloc(n * sizeof *idx), *start = malloc(n * sizeof *start);
    size_t found = 0;
    if (!v || !level || !work || !idx || !start)
        goto out;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            v[m] = x[i];
            idx[m++] = i;
        }
    if (m < 2 * RB_STEP_MIN_RUN)
        goto out;

    /* Centre the series: costs are shift-invariant, and the heaps' running
     * sums lose less to rounding around zero than around 1e9 ns. */
    double centre = median_in(v, m, work), scale = 0;
    for (size_t i = 0; i < m; i++) {
        scale = fmax(scale, fabs(v[i]));
        v[i] -= centre;
    }
    /* Noise for the penalty from all differences: a few steps are only a
     * few of them, and the robust estimate ignores those.  sd(diff)/sqrt 2
     * is the points' sd, sqrt(2/pi) of that their mean absolute deviation. */
    for (size_t i = 1; i < m; i++)
        work[i - 1] = v[i] - v[i - 1];
    double sigma = robust_sd(work, m - 1) / sqrt(2.0);
    double gamma = RB_STEP_PENALTY * sqrt(2 / M_PI) * sigma * log((double)m);
    /* A noiseless series still needs a positive price per segment, or
     * splitting it anywhere would be free. */
    gamma = fmax(gamma, fmax(1e-9 * scale, DBL_MIN));

    size_t nseg = segment_l1(v, m, gamma, start);
    if (nseg == 0)
        goto out;
    nseg = merge_weak(v, m, centre, start, nseg, rel_threshold, level, work);
    for (size_t s = 1; s < nseg && found < max_steps; s++) {
        steps[found].at = idx[start[s]];
        steps[found].before = level[s - 1] + centre;
        steps[found].after = level[s] + centre;
        found++;
    }
out:
    free(v);
    free(level);
    free(work);
    free(idx);
    free(start);
    return found;
}
