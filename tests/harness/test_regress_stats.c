/* Mann-Whitney U against scipy and against its own null distribution
 * counted by brute force; step detection on series built with known steps. */
#include "../../harness/regress_stats.h"
#include "../rb_test.h"

#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Mann-Whitney U: scipy reference values ------------------------------
 *
 * From scipy 1.10.1 (Debian python3-scipy), an independent implementation:
 *   scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='auto')
 * with x, y exactly as below; `exact` is what scipy's _mwu_choose_method
 * picked.  r.statistic is U1 (of x), printed with repr(). */

/* x = [((i*37) % 101) + 0.5 for i in range(50)], y = [((i*53) % 103) + 30 for i in range(50)] */
static double x50v[50], y50v[50];

static void fill_n50(void)
{
    for (int i = 0; i < 50; i++) {
        x50v[i] = ((i * 37) % 101) + 0.5;
        y50v[i] = ((i * 53) % 103) + 30;
    }
}

static double y40[40], y200[200];

typedef struct {
    const char *name;
    const double *x;
    size_t n1;
    const double *y;
    size_t n2;
    double u1, p;
    int exact;
} mwu_case;

static void test_mwu_scipy(void)
{
    fill_n50();
    for (int i = 0; i < 40; i++)
        y40[i] = i;
    for (int i = 0; i < 200; i++)
        y200[i] = i;
    static const double a1[] = {1}, b1[] = {2};
    static const double a2[] = {2, 3}, b2[] = {1};
    static const double a3[] = {3.1, 1.2, 2.5}, b3[] = {0.4, 0.9};
    static const double a4[] = {5, 6, 7}, b4[] = {1, 2, 3};
    static const double a5[] = {1.5}, b5[] = {0.5, 2.5, 3.5};
    static const double a6[] = {1, 4, 6}, b6[] = {2, 3, 5};
    static const double ties_x[] = {1, 2, 2, 3, 4}, ties_y[] = {2, 3, 3, 5, 6, 7};
    static const double same[] = {1, 2, 3, 4, 5};
    static const double sep_x[] = {10, 11, 12, 13, 14}, sep_y[] = {1, 2, 3, 4, 5};
    static const double x4[] = {2.5, 7.5, 11.5, 13.5};
    static const double y12[] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 14, 15};
    static const double x9[] = {0.5, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5};
    static const double x8[] = {3.5, 7.5, 9.5, 11.5, 12.5, 13.5, 15.5, 16.5};
    static const double y9[] = {1, 2, 3, 4, 5, 6, 8, 10, 11};
    static const double x3b[] = {20.5, 30.5, 35.5}, x3top[] = {40.5, 41.5, 42.5};
    static const double x8far[] = {150.5, 170.5, 180.5, 185.5, 190.5, 195.5, 198.5, 199.5};
    static const double t3[] = {3, 3, 3}, t4[] = {3, 3, 3, 3};
    const mwu_case cases[] = {
        {"1 vs 1", a1, 1, b1, 1, 0.0, 1.0, 1},
        {"2 vs 1", a2, 2, b2, 1, 2.0, 0.6666666666666666, 1},
        {"3 vs 2", a3, 3, b3, 2, 6.0, 0.2, 1},
        {"3 vs 3 separated", a4, 3, b4, 3, 9.0, 0.1, 1},
        {"1 vs 3", a5, 1, b5, 3, 1.0, 1.0, 1},
        {"3 vs 3 mixed", a6, 3, b6, 3, 5.0, 1.0, 1},
        {"ties", ties_x, 5, ties_y, 6, 6.0, 0.11390314458853068, 0},
        {"identical", same, 5, same, 5, 12.5, 1.0, 0},
        {"5 vs 5 separated", sep_x, 5, sep_y, 5, 25.0, 0.007936507936507936, 1}, /* 2/252 */
        {"50 vs 50 shifted", x50v, 50, y50v, 50, 707.0, 0.00018409546908047214, 0},
        {"4 vs 12", x4, 4, y12, 12, 27.0, 0.7703296703296703, 1},
        {"9 vs 12", x9, 9, y12, 12, 61.0, 0.6441280160472187, 0},
        {"8 vs 9", x8, 8, y9, 9, 61.0, 0.015220074043603454, 1},
        {"3 vs 40", x3b, 3, y40, 40, 88.0, 0.20079410096426542, 1},
        {"3 vs 40 on top", x3top, 3, y40, 40, 120.0, 0.00016206142127866461, 1},
        {"8 vs 200", x8far, 8, y200, 200, 1475.0, 2.8500892224069838e-06, 1},
        {"all tied", t3, 3, t4, 4, 6.0, 1.0, 0},
    };
    for (size_t c = 0; c < LEN(cases); c++) {
        const mwu_case *k = &cases[c];
        rb_mwu r;
        CHECK_INT(rb_mwu_test(k->x, k->n1, k->y, k->n2, &r), 0);
        if (fabs(r.p - k->p) > 1e-12 * k->p + 1e-15 || r.u1 != k->u1 || r.exact != k->exact)
            fprintf(stderr, "case %s: u1 %g p %.17g exact %d\n", k->name, r.u1, r.p, r.exact);
        CHECK_NEAR(r.u1, k->u1, 0);
        CHECK_NEAR(r.u2, (double)k->n1 * (double)k->n2 - k->u1, 0);
        CHECK_NEAR(r.p, k->p, 1e-12 * k->p + 1e-15);
        CHECK_INT(r.exact, k->exact);

        /* Two-sided: swapping the samples swaps U1 and U2 and keeps p. */
        rb_mwu s;
        CHECK_INT(rb_mwu_test(k->y, k->n2, k->x, k->n1, &s), 0);
        CHECK_NEAR(s.u1, r.u2, 0);
        CHECK_NEAR(s.p, r.p, 1e-12 * r.p);
    }
}

/* ---- Mann-Whitney U: the exact path against brute force ------------------
 *
 * With no ties only the ranks matter, so each way of giving n1 of the ranks
 * 1..n1+n2 to x is one equally likely outcome under the null.  Counting U1
 * over all of them is the null distribution by definition; each outcome's
 * p must be 2 P(U >= max(U1, U2)), clipped at 1, as scipy defines it. */
static int popcount(unsigned v)
{
    int c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
}

static int u1_of_mask(unsigned mask, int n)
{
    int u = 0; /* pairs (x, y) with x > y */
    for (int i = 0; i < n; i++)
        if (mask >> i & 1)
            for (int j = 0; j < i; j++)
                if (!(mask >> j & 1))
                    u++;
    return u;
}

static void test_mwu_exact_enumerated(void)
{
    static const int sizes[][2] = {{1, 1}, {1, 5}, {2, 3}, {3, 3},  {3, 5}, {4, 4},
                                   {2, 7}, {5, 5}, {8, 2}, {3, 12}, {7, 7}, {8, 6}};
    for (size_t s = 0; s < LEN(sizes); s++) {
        int n1 = sizes[s][0], n2 = sizes[s][1], n = n1 + n2, mn = n1 * n2;
        long count[200] = {0};
        long total = 0;
        for (unsigned mask = 0; mask < 1u << n; mask++)
            if (popcount(mask) == n1) {
                count[u1_of_mask(mask, n)]++;
                total++;
            }
        int bad = 0;
        for (unsigned mask = 0; mask < 1u << n; mask++) {
            if (popcount(mask) != n1)
                continue;
            double x[16], y[16];
            int nx = 0, ny = 0;
            /* ranks in a scrambled order: the test must not rely on sorted input */
            for (int i = n - 1; i >= 0; i--) {
                if (mask >> i & 1)
                    x[nx++] = i + 1;
                else
                    y[ny++] = i + 1;
            }
            int u1 = u1_of_mask(mask, n), umax = u1 > mn - u1 ? u1 : mn - u1;
            long ge = 0;
            for (int u = umax; u <= mn; u++)
                ge += count[u];
            double want = 2.0 * (double)ge / (double)total;
            if (want > 1)
                want = 1;
            rb_mwu r;
            if (rb_mwu_test(x, (size_t)nx, y, (size_t)ny, &r) != 0 || r.exact != 1 || r.u1 != u1 ||
                fabs(r.p - want) > 1e-13 * want) {
                if (!bad)
                    fprintf(stderr, "%d vs %d, mask %#x: u1 %g p %.17g, expected %d %.17g\n", n1,
                            n2, mask, r.u1, r.p, u1, want);
                bad++;
            }
        }
        CHECK_INT(bad, 0);
    }
}

static void test_mwu_edges(void)
{
    double x[] = {3, 1, 2}, y[] = {5, 4};
    rb_mwu r;
    CHECK_INT(rb_mwu_test(x, 0, y, 2, &r), -1);
    CHECK_INT(rb_mwu_test(x, 3, y, 0, &r), -1);
    CHECK_INT(rb_mwu_test(x, 3, y, 2, &r), 0);
    CHECK(x[0] == 3 && x[1] == 1 && y[0] == 5); /* inputs untouched */
    CHECK_NEAR(r.u1, 0, 0);
    CHECK_NEAR(r.p, 0.2, 1e-15); /* 2 / C(5, 2) */

    /* scipy's default nan_policy='propagate' */
    double xn[] = {1, NAN, 3};
    CHECK_INT(rb_mwu_test(xn, 3, y, 2, &r), 0);
    CHECK(isnan(r.p) && isnan(r.u1));

    /* A tie between the samples sends even tiny samples to the normal path. */
    double xt[] = {1, 2}, yt[] = {2, 3};
    CHECK_INT(rb_mwu_test(xt, 2, yt, 2, &r), 0);
    CHECK_INT(r.exact, 0);
    CHECK_NEAR(r.u1, 0.5, 0);
}

/* ---- median --------------------------------------------------------------- */

static void test_median(void)
{
    double odd[] = {5, 1, 4, 2, 3}, even[] = {10, -2, 4, 8}, one[] = {7.25};
    CHECK_NEAR(rb_median(odd, 5), 3, 0);
    CHECK_NEAR(rb_median(even, 4), 6, 0);
    CHECK_NEAR(rb_median(one, 1), 7.25, 0);
    CHECK(isnan(rb_median(odd, 0)));
    CHECK(odd[0] == 5 && even[0] == 10);
    double with_nan[] = {1, NAN, 2};
    CHECK(isnan(rb_median(with_nan, 3)));
}

/* ---- step detection ------------------------------------------------------ */

/* Reproducible Gaussian noise: xorshift64* and Box-Muller. */
static uint64_t rng_state;

static double uniform01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
    double u = uniform01(), v = uniform01();
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* level[i] * (1 + noise * N(0,1)) */
static void noisy(double *x, size_t n, const double *level, double noise, uint64_t seed)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++)
        x[i] = level[i] * (1 + noise * gauss());
}

/* Noise is random, so besides one series checked exactly each case runs
 * over SEEDS series and bounds how many come out wrong.  The rule's own
 * error rates, measured over 5000 seeds, are in each comment: nonzero ones
 * are where the draw makes the differences within a segment unusually
 * large (noise that alternates), so the 3-sd bar rises past the step; that
 * is the header's rule working, not a defect of the fit. */
#define SEEDS 200
#define MAX_WRONG (SEEDS / 100)

static void test_single_step(void)
{
    /* +20% at index 12 of 20 runs, 2% noise (wrong in 0.2% of series). */
    double lvl[20], x[20];
    rb_step st[4];
    for (int i = 0; i < 20; i++)
        lvl[i] = i < 12 ? 100 : 120;
    noisy(x, 20, lvl, 0.02, 1);
    CHECK_INT(rb_detect_steps(x, 20, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 12);
    CHECK_NEAR(st[0].before, 100, 2);
    CHECK_NEAR(st[0].after, 120, 2.4);
    int wrong = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        noisy(x, 20, lvl, 0.02, seed);
        size_t k = rb_detect_steps(x, 20, 0.05, st, 4);
        if (k != 1 || st[0].at != 12 || fabs(st[0].before - 100) > 5 || fabs(st[0].after - 120) > 6)
            wrong++;
    }
    CHECK(wrong <= MAX_WRONG);

    /* One fixed series, checked in full. */
    double clean[] = {10, 10.1, 9.9, 10, 10.2, 9.8, 10, 12, 12.1, 11.9, 12, 12.2};
    CHECK_INT(rb_detect_steps(clean, LEN(clean), 0.05, st, 2), 1);
    CHECK_INT(st[0].at, 7);
    CHECK_NEAR(st[0].before, 10, 0); /* medians of the first seven and the last five */
    CHECK_NEAR(st[0].after, 12, 0);
}

static void test_staircase(void)
{
    /* 100 -> 120 -> 144 at runs 10 and 20 of 30, 2% noise (wrong in 0.16%). */
    double lvl[30], x[30];
    rb_step st[4];
    for (int i = 0; i < 30; i++)
        lvl[i] = i < 10 ? 100 : i < 20 ? 120 : 144;
    noisy(x, 30, lvl, 0.02, 1);
    CHECK_INT(rb_detect_steps(x, 30, 0.05, st, 4), 2);
    CHECK_INT(st[0].at, 10);
    CHECK_INT(st[1].at, 20);
    CHECK_NEAR(st[0].before, 100, 2);
    CHECK_NEAR(st[0].after, 120, 2.4);
    CHECK_NEAR(st[1].before, st[0].after, 0); /* the middle segment's level, twice */
    CHECK_NEAR(st[1].after, 144, 2.9);
    int wrong = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        noisy(x, 30, lvl, 0.02, seed);
        size_t k = rb_detect_steps(x, 30, 0.05, st, 4);
        wrong += k != 2 || st[0].at != 10 || st[1].at != 20;
    }
    CHECK(wrong <= MAX_WRONG);

    /* max_steps caps the answer, earliest first */
    noisy(x, 30, lvl, 0.02, 1);
    rb_step one[1];
    CHECK_INT(rb_detect_steps(x, 30, 0.05, one, 1), 1);
    CHECK_INT(one[0].at, 10);
    CHECK_INT(rb_detect_steps(x, 30, 0.05, NULL, 0), 0);
}

static void test_no_step(void)
{
    /* Pure 2% noise, 20 and 40 runs (a step reported in 0.02% and 0%). */
    double lvl[40], x[40];
    rb_step st[8];
    for (int i = 0; i < 40; i++)
        lvl[i] = 50;
    noisy(x, 20, lvl, 0.02, 1);
    CHECK_INT(rb_detect_steps(x, 20, 0.05, st, 8), 0);
    CHECK_INT(rb_detect_steps(x, 20, 0, st, 8), 0); /* the noise bar alone */
    int found = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        noisy(x, 20, lvl, 0.02, seed);
        found += rb_detect_steps(x, 20, 0.05, st, 8) != 0;
        noisy(x, 40, lvl, 0.02, seed + 1000);
        found += rb_detect_steps(x, 40, 0.05, st, 8) != 0;
    }
    CHECK(found <= MAX_WRONG);

    /* Constant, and a constant-but-zero series: nothing, also without a threshold. */
    double flat[25], zero[25] = {0};
    for (int i = 0; i < 25; i++)
        flat[i] = 3.25;
    CHECK_INT(rb_detect_steps(flat, 25, 0.05, st, 8), 0);
    CHECK_INT(rb_detect_steps(flat, 25, 0, st, 8), 0);
    CHECK_INT(rb_detect_steps(zero, 25, 0, st, 8), 0);

    /* One bad run is an outlier, not two steps. */
    double spike[20];
    for (int i = 0; i < 20; i++)
        spike[i] = i == 9 ? 140 : 100 + (i % 3) * 0.5;
    CHECK_INT(rb_detect_steps(spike, 20, 0.05, st, 8), 0);

    /* Too short to hold two segments of two runs. */
    double few[] = {1, 2, 3};
    CHECK_INT(rb_detect_steps(NULL, 0, 0.05, st, 8), 0);
    CHECK_INT(rb_detect_steps(few, 1, 0.05, st, 8), 0);
    CHECK_INT(rb_detect_steps(few, 2, 0.05, st, 8), 0);
    CHECK_INT(rb_detect_steps(few, 3, 0.05, st, 8), 0);
}

static void test_thresholds(void)
{
    double lvl[30], x[30];
    rb_step st[4];

    /* +3% in 2% noise: below the 5% threshold (reported in 0.04%). */
    for (int i = 0; i < 30; i++)
        lvl[i] = i < 15 ? 100 : 103;
    noisy(x, 30, lvl, 0.02, 1);
    CHECK_INT(rb_detect_steps(x, 30, 0.05, st, 4), 0);
    int wrong = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        noisy(x, 30, lvl, 0.02, seed);
        wrong += rb_detect_steps(x, 30, 0.05, st, 4) != 0;
    }
    CHECK(wrong <= MAX_WRONG);

    /* +10% with 0.5% noise: over 5%, reported at its run (never missed). */
    for (int i = 0; i < 30; i++)
        lvl[i] = i < 15 ? 100 : 110;
    wrong = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        noisy(x, 30, lvl, 0.005, seed);
        size_t k = rb_detect_steps(x, 30, 0.05, st, 4);
        wrong += k != 1 || st[0].at != 15 || fabs(st[0].after / st[0].before - 1.1) > 0.01;
    }
    CHECK_INT(wrong, 0);

    /* The same series against a 15% threshold: not enough. */
    noisy(x, 30, lvl, 0.005, 7);
    CHECK_INT(rb_detect_steps(x, 30, 0.15, st, 4), 0);

    /* The noise bar on its own, with "noise" whose differences are known:
     * runs alternating +-a% around the level have |differences| of 2a% of
     * it, so 3 robust sd of them is 3 * 1.4826 * 2a%, about 9a%.  A +10%
     * step clears 5% in both series but that bar only for a = 0.5. */
    for (int i = 0; i < 30; i++)
        x[i] = lvl[i] * (1 + 0.03 * (i % 2 ? 1 : -1)); /* bar ~27% */
    CHECK_INT(rb_detect_steps(x, 30, 0.05, st, 4), 0);
    for (int i = 0; i < 30; i++)
        x[i] = lvl[i] * (1 + 0.005 * (i % 2 ? 1 : -1)); /* bar ~4.5% */
    CHECK_INT(rb_detect_steps(x, 30, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 15);
}

static void test_step_shapes(void)
{
    rb_step st[4];
    double lvl[24], x[24];

    /* An improvement is a step too: the caller decides which way is bad. */
    for (int i = 0; i < 24; i++)
        lvl[i] = i < 8 ? 200 : 150;
    noisy(x, 24, lvl, 0.01, 3);
    CHECK_INT(rb_detect_steps(x, 24, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 8);
    CHECK(st[0].after < st[0].before);

    /* The latest two runs jumped: the regression `history` must flag. */
    for (int i = 0; i < 24; i++)
        lvl[i] = i < 22 ? 100 : 130;
    noisy(x, 24, lvl, 0.01, 4);
    CHECK_INT(rb_detect_steps(x, 24, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 22);

    /* Failed runs (NaN) are skipped; `at` still indexes the input. */
    for (int i = 0; i < 24; i++)
        lvl[i] = i < 12 ? 100 : 125;
    noisy(x, 24, lvl, 0.01, 5);
    x[3] = NAN;
    x[12] = NAN;
    CHECK_INT(rb_detect_steps(x, 24, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 13);
    CHECK(fabs(st[0].before - 100) < 2 && fabs(st[0].after - 125) < 2);

    /* Noiseless steps, including quantized figures like cycle counts. */
    double q[] = {1000, 1000, 1000, 1000, 1200, 1200, 1200, 1200, 1200};
    CHECK_INT(rb_detect_steps(q, LEN(q), 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 4);
    CHECK_NEAR(st[0].before, 1000, 0);
    CHECK_NEAR(st[0].after, 1200, 0);

    /* Long series stay quick: O(n^2 log n). */
    static double big[2000];
    for (int i = 0; i < 2000; i++)
        big[i] = (i < 1500 ? 1.0 : 1.3) * (1 + 0.02 * ((i * 7919) % 13 - 6) / 6.0);
    CHECK_INT(rb_detect_steps(big, 2000, 0.05, st, 4), 1);
    CHECK_INT(st[0].at, 1500);
}

int main(void)
{
    test_mwu_scipy();
    test_mwu_exact_enumerated();
    test_mwu_edges();
    test_median();
    test_single_step();
    test_staircase();
    test_no_step();
    test_thresholds();
    test_step_shapes();
    return rb_test_done("test_regress_stats");
}
