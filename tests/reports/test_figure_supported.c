/* test_figure_supported.c — which quantiles a number of repetitions
 * supports (rb_figure_supported): one sample must lie beyond the quantile,
 * in expectation (n (1 - q) >= 1), so a p99 needs 100, and below that the
 * figure is the sample's extreme.  Checked at the edges of the rule, for
 * the figures it must leave alone, and for the note outputs print. */
#include <stdio.h>
#include <string.h>

#include "../../reports/figure_table.h"
#include "../rb_test.h"

static int supported(int fig, int n) { return rb_figure_supported(fig, n, 0, NULL, 0); }

int main(void)
{
    const struct {
        int fig, need;
    } edge[] = {{RB_FIG_p90_ms, 10}, {RB_FIG_p99_ms, 100}, {RB_FIG_p999_ms, 1000},
                {RB_FIG_p10_ms, 10}};
    for (size_t k = 0; k < sizeof edge / sizeof edge[0]; k++) {
        CHECK(!supported(edge[k].fig, edge[k].need - 1));
        CHECK(supported(edge[k].fig, edge[k].need));
    }
    /* the median, the extremes and figures that are not quantiles, at n = 1 */
    CHECK(supported(RB_FIG_median_ms, 1));
    CHECK(supported(RB_FIG_max_ms, 1));
    CHECK(supported(RB_FIG_min_ms, 1));
    CHECK(supported(RB_FIG_gflops, 1));
    /* a deterministic result's one evaluation is exact */
    CHECK(rb_figure_supported(RB_FIG_p99_ms, 1, 1, NULL, 0));

    char note[48];
    CHECK(!rb_figure_supported(RB_FIG_p99_ms, 10, 0, note, sizeof note));
    CHECK(!strcmp(note, "\u2248 max, n = 10"));
    CHECK(!rb_figure_supported(RB_FIG_p10_ms, 5, 0, note, sizeof note));
    CHECK(!strcmp(note, "\u2248 min, n = 5"));
    CHECK(rb_figure_supported(RB_FIG_p99_ms, 100, 0, note, sizeof note));
    CHECK(!strcmp(note, ""));

    return rb_test_done("test_figure_supported");
}
