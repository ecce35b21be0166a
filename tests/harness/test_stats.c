/* Statistics against closed-form values and NumPy's percentile definition. */
#include "../../harness/stats.h"
#include "../rb_test.h"

static void test_one_to_hundred(void)
{
    double v[100];
    for (int i = 0; i < 100; i++)
        v[i] = 100 - i; /* unsorted on purpose */
    rb_stats s;
    CHECK_INT(rb_stats_compute(v, 100, &s), 0);
    CHECK_INT(s.n, 100);
    CHECK_NEAR(s.median, 50.5, 1e-12);
    /* np.percentile(np.arange(1,101), [10,90,99]) = 10.9, 90.1, 99.01 */
    CHECK_NEAR(s.p10, 10.9, 1e-12);
    CHECK_NEAR(s.p90, 90.1, 1e-12);
    CHECK_NEAR(s.p99, 99.01, 1e-12);
    CHECK_NEAR(s.mean, 50.5, 1e-12);
    /* sample stddev of 1..100 = sqrt(100*101/12) = 29.011491975882016 */
    CHECK_NEAR(s.stddev, 29.011491975882016, 1e-9);
    CHECK_NEAR(s.min, 1, 0);
    CHECK_NEAR(s.max, 100, 0);
    /* ranks 50 -+ 9.8 -> j = 40, k = ceil(60.8) = 61 */
    CHECK_NEAR(s.ci_lo, 40, 0);
    CHECK_NEAR(s.ci_hi, 61, 0);
    CHECK(v[0] == 100); /* input untouched */
}

static void test_small(void)
{
    rb_stats s;
    double one = 3.5;
    CHECK_INT(rb_stats_compute(&one, 1, &s), 0);
    CHECK_NEAR(s.median, 3.5, 0);
    CHECK_NEAR(s.p99, 3.5, 0);
    CHECK_NEAR(s.stddev, 0, 0);
    CHECK_NEAR(s.ci_lo, 3.5, 0);
    CHECK_NEAR(s.ci_hi, 3.5, 0);

    double four[] = {4, 1, 3, 2};
    CHECK_INT(rb_stats_compute(four, 4, &s), 0);
    CHECK_NEAR(s.median, 2.5, 1e-12);
    CHECK_NEAR(s.p10, 1.3, 1e-12); /* 1 + 0.1*3*(2-1) */
    CHECK_NEAR(s.ci_lo, 1, 0);     /* too few samples: the interval is the whole sample */
    CHECK_NEAR(s.ci_hi, 4, 0);

    CHECK_INT(rb_stats_compute(four, 0, &s), -1);
}

static void test_percentile(void)
{
    double s[] = {10, 20, 30, 40, 50};
    CHECK_NEAR(rb_percentile_sorted(s, 5, 0), 10, 0);
    CHECK_NEAR(rb_percentile_sorted(s, 5, 100), 50, 0);
    CHECK_NEAR(rb_percentile_sorted(s, 5, 25), 20, 1e-12);
    CHECK_NEAR(rb_percentile_sorted(s, 5, 37.5), 25, 1e-12);
}

int main(void)
{
    test_one_to_hundred();
    test_small();
    test_percentile();
    return rb_test_done("test_stats");
}
