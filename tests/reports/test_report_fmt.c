/* test_report_fmt.c — rb_rep_fmt, the report's number printer, against
 * printf's %.10g, which it must equal (it only exists to be faster). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../reports/report_util.h"
#include "../rb_test.h"

static int same_as_printf(double v)
{
    char a[32], b[32];
    rb_rep_fmt(v, a);
    snprintf(b, sizeof b, "%.10g", v);
    if (strcmp(a, b))
        fprintf(stderr, "rb_rep_fmt(%.17g) = %s, printf %%.10g = %s\n", v, a, b);
    return !strcmp(a, b);
}

int main(void)
{
    /* the edges of every path: whole numbers, the decade rounding, the
     * fixed/exponent switch, ties to even, the fallback outside 1e-9..1e17 */
    static const double edges[] = {0.0,
                                   -0.0,
                                   1,
                                   -1,
                                   7,
                                   1e9,
                                   9999999999,
                                   1e10,
                                   123456789012.0,
                                   0.5,
                                   0.25,
                                   0.1,
                                   0.3,
                                   1.0 / 3,
                                   2.0 / 3,
                                   9.9999999995,
                                   9.99999999949,
                                   99999.999995,
                                   0.000123456789012,
                                   0.0001,
                                   0.00001,
                                   1.5e-7,
                                   1e-9,
                                   9.99e-10,
                                   1e-10,
                                   1e-300,
                                   5e-324,
                                   1e17,
                                   1.2345e17,
                                   1e18,
                                   1e300,
                                   18016606.625,
                                   912237616.25,
                                   73983607.125,
                                   2.5,
                                   -2.5,
                                   1e15 + 0.5,
                                   123.456,
                                   -0.007,
                                   65536.0 / 3};
    int ok = 1;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        ok &= same_as_printf(edges[i]);
    CHECK(ok);
    /* a sweep over 60 decades, both signs, with whole numbers and short decimals */
    uint64_t s = 88172645463325252ull;
    int n_ok = 0, n = 300000;
    for (int i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double v = ((double)(s >> 11) / 9007199254740992.0 + 0.1) * pow(10, (int)(s % 60) - 30);
        if (i % 7 == 0)
            v = -v;
        if (i % 11 == 0)
            v = floor(v * 1000) / 1000;
        if (i % 13 == 0)
            v = (double)(s % 100000);
        n_ok += same_as_printf(v);
    }
    CHECK_INT(n_ok, n);
    char t[32];
    CHECK(!strcmp(rb_rep_fmt(NAN, t), ""));
    CHECK(!strcmp(rb_rep_fmt(INFINITY, t), ""));
    CHECK(!strcmp(rb_rep_fmt(0.25, t), "0.25"));
    CHECK(!strcmp(rb_rep_fmt(1.5e-7, t), "1.5e-07"));
    return rb_test_done("test_report_fmt");
}
