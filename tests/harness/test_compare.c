/* test_compare.c — verdicts on hand-made figure sets: measured figures need
 * both significance and the threshold, deterministic ones their tolerance,
 * statuses, unmatched points, deterministic-only baselines, tolerance
 * parsing, and a baseline file that reads back exactly what was written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/compare.h"
#include "../rb_test.h"

static rb_figure fig(const char *target, const char *workload, const char *metric, rb_fig_kind kind,
                     double value)
{
    rb_figure f;
    memset(&f, 0, sizeof f);
    snprintf(f.target, sizeof f.target, "%s", target);
    snprintf(f.config, sizeof f.config, "fp32");
    snprintf(f.device, sizeof f.device, "dev");
    snprintf(f.workload, sizeof f.workload, "%s", workload);
    snprintf(f.metric, sizeof f.metric, "%s", metric);
    f.kind = kind;
    f.value = value;
    return f;
}

/* n samples around `center` (deterministic jitter of +-1 %) */
static rb_figure measured(const char *workload, double center, int n)
{
    rb_figure f = fig("cpu", workload, "median_ms", RB_FIG_MEASURED, center);
    f.samples = malloc((size_t)n * sizeof *f.samples);
    for (int i = 0; i < n; i++)
        f.samples[i] = center * (1 + 0.01 * ((i * 7) % 5 - 2) / 2.0);
    f.n = n;
    snprintf(f.source, sizeof f.source, "measured");
    return f;
}

static int cmp_fig(const void *a, const void *b) { return rb_figure_cmp(a, b); }

static rb_figset set(rb_figure *f, size_t n)
{
    rb_figset s;
    memset(&s, 0, sizeof s);
    s.f = malloc(n * sizeof *f);
    memcpy(s.f, f, n * sizeof *f);
    s.n = n;
    qsort(s.f, n, sizeof *s.f, cmp_fig);
    snprintf(s.what, sizeof s.what, "test");
    return s;
}

static const rb_cmp_row *row(const rb_comparison *c, const char *workload, const char *metric)
{
    for (size_t i = 0; i < c->n; i++) {
        const rb_figure *g = c->rows[i].base ? c->rows[i].base : c->rows[i].cand;
        if (!strcmp(g->workload, workload) && !strcmp(g->metric, metric))
            return &c->rows[i];
    }
    return NULL;
}

static void test_verdicts(void)
{
    rb_figure b[] = {
        measured("w_slow", 10, 20), /* +30 %, significant: regressed */
        measured("w_fast", 10, 20), /* -30 %: improved */
        measured("w_tiny", 10, 20), /* +2 %, significant but within 5 % */
        measured("w_few", 10, 3),   /* +30 % on 3 vs 3: not significant (p = 0.1), few */
        fig("fpga", "w", "cycles", RB_FIG_DETERMINISTIC, 1000),
        fig("fpga", "w", "err_max_abs", RB_FIG_DETERMINISTIC, 1e-3),
        fig("fpga", "w2", "err_max_abs", RB_FIG_DETERMINISTIC, 1e-3),
        fig("fpga", "w", "status", RB_FIG_DETERMINISTIC, NAN),
        fig("fpga", "w2", "status", RB_FIG_DETERMINISTIC, NAN),
        fig("asic", "acc", "accuracy", RB_FIG_DETERMINISTIC, 0.80),
        fig("asic", "gone", "cycles", RB_FIG_DETERMINISTIC, 5),
    };
    rb_figure c[] = {
        measured("w_slow", 13, 20),
        measured("w_fast", 7, 20),
        measured("w_tiny", 10.2, 20),
        measured("w_few", 13, 3),
        fig("fpga", "w", "cycles", RB_FIG_DETERMINISTIC, 1001),
        fig("fpga", "w", "err_max_abs", RB_FIG_DETERMINISTIC, 1.05e-3), /* within 10 % */
        fig("fpga", "w2", "err_max_abs", RB_FIG_DETERMINISTIC, 1.5e-3), /* beyond */
        fig("fpga", "w", "status", RB_FIG_DETERMINISTIC, NAN),
        fig("fpga", "w2", "status", RB_FIG_DETERMINISTIC, NAN),
        fig("asic", "acc", "accuracy", RB_FIG_DETERMINISTIC, 0.70),
        fig("asic", "new", "cycles", RB_FIG_DETERMINISTIC, 5),
    };
    snprintf(b[7].text, sizeof b[7].text, "ok");
    snprintf(c[7].text, sizeof c[7].text, "failed");
    snprintf(b[8].text, sizeof b[8].text, "unsupported");
    snprintf(c[8].text, sizeof c[8].text, "ok");
    b[9].higher_is_better = c[9].higher_is_better = 1;
    snprintf(c[0].device, sizeof c[0].device, "other dev");
    rb_figset bs = set(b, sizeof b / sizeof b[0]), cs = set(c, sizeof c / sizeof c[0]);
    rb_cmp_opts o;
    rb_cmp_opts_default(&o);
    rb_comparison cmp;
    rb_err e = {0};
    CHECK_INT(rb_compare_sets(&bs, &cs, &o, &cmp, &e), 0);
    const rb_cmp_row *r;
    CHECK((r = row(&cmp, "w_slow", "median_ms")) && r->verdict == RB_CMP_REGRESSED && r->p < 1e-6 &&
          fabs(r->change - 0.3) < 1e-12 && r->device_differs);
    CHECK((r = row(&cmp, "w_fast", "median_ms")) && r->verdict == RB_CMP_IMPROVED);
    CHECK((r = row(&cmp, "w_tiny", "median_ms")) && r->verdict == RB_CMP_SAME && r->p < 0.05);
    CHECK((r = row(&cmp, "w_few", "median_ms")) && r->verdict == RB_CMP_SAME && r->few &&
          fabs(r->p - 0.1) < 1e-12);
    CHECK((r = row(&cmp, "w", "cycles")) && r->verdict == RB_CMP_REGRESSED); /* tolerance 0 */
    CHECK((r = row(&cmp, "w", "err_max_abs")) && r->verdict == RB_CMP_CHANGED);
    CHECK((r = row(&cmp, "w2", "err_max_abs")) && r->verdict == RB_CMP_REGRESSED);
    CHECK((r = row(&cmp, "w", "status")) && r->verdict == RB_CMP_REGRESSED);
    CHECK_STR_HAS(r ? r->note : "", "status ok -> failed");
    CHECK((r = row(&cmp, "w2", "status")) && r->verdict == RB_CMP_IMPROVED);
    CHECK((r = row(&cmp, "acc", "accuracy")) && r->verdict == RB_CMP_REGRESSED); /* lower */
    CHECK((r = row(&cmp, "gone", "cycles")) && r->base && !r->cand);
    CHECK((r = row(&cmp, "new", "cycles")) && !r->base && r->cand);
    CHECK_INT(cmp.count[RB_CMP_REGRESSED], 5);
    CHECK_INT(cmp.count[RB_CMP_IMPROVED], 2);
    CHECK_INT(cmp.count[RB_CMP_CHANGED], 1);
    CHECK_INT(cmp.only_base, 1);
    CHECK_INT(cmp.only_cand, 1);
    CHECK_INT(cmp.few, 1);
    rb_comparison_free(&cmp);

    /* the same sets with wider tolerances: no regression among the deterministic ones */
    CHECK_INT(rb_cmp_parse_tolerances(&o, "cycles=1%,err_max_abs=100%,accuracy=0.2", &e), 0);
    CHECK_INT(rb_compare_sets(&bs, &cs, &o, &cmp, &e), 0);
    CHECK((r = row(&cmp, "w", "cycles")) && r->verdict == RB_CMP_CHANGED);
    CHECK((r = row(&cmp, "w2", "err_max_abs")) && r->verdict == RB_CMP_CHANGED);
    CHECK((r = row(&cmp, "acc", "accuracy")) && r->verdict == RB_CMP_CHANGED);
    rb_comparison_free(&cmp);

    /* a deterministic-only baseline leaves the measured figures out, uncounted */
    cs.no_measured = 1;
    CHECK_INT(rb_compare_sets(&bs, &cs, &o, &cmp, &e), 0);
    CHECK_INT(cmp.skipped, 0); /* both sides have them: paired, not skipped */
    rb_comparison_free(&cmp);
    rb_figset det = set(c + 4, 7);
    det.no_measured = 1;
    CHECK_INT(rb_compare_sets(&bs, &det, &o, &cmp, &e), 0);
    CHECK_INT(cmp.skipped, 4);
    CHECK_INT(cmp.only_base, 1);
    rb_comparison_free(&cmp);
    free(det.f);

    for (size_t i = 0; i < bs.n; i++)
        free(bs.f[i].samples);
    for (size_t i = 0; i < cs.n; i++)
        free(cs.f[i].samples);
    free(bs.f);
    free(cs.f);
}

static void test_tolerances(void)
{
    rb_cmp_opts o;
    rb_cmp_opts_default(&o);
    rb_err e = {0};
    CHECK_NEAR(rb_cmp_tolerance(&o, "err_max_abs").rel, 0.10, 0);
    CHECK_NEAR(rb_cmp_tolerance(&o, "cycles").rel, 0, 0);
    CHECK_NEAR(rb_cmp_tolerance(&o, "something_new").rel, 1e-9, 0);
    CHECK_INT(rb_cmp_parse_tolerances(&o, "cycles=2%,accuracy=0.01", &e), 0);
    CHECK_NEAR(rb_cmp_tolerance(&o, "cycles").rel, 0.02, 1e-15);
    CHECK_NEAR(rb_cmp_tolerance(&o, "accuracy").abs, 0.01, 1e-15);
    const char *bad[] = {"cycles", "=1", "cycles=x", "cycles=-1", "cycles=1%%", "cycles=1%x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(rb_cmp_parse_tolerances(&o, bad[i], &e), RB_EINPUT);
        CHECK_STR_HAS(e.msg, "--tolerance");
    }
}

static void test_baseline_round_trip(void)
{
    rb_figure f[] = {
        measured("w", 1.0 / 3, 12),
        fig("asic", "w", "energy_j", RB_FIG_DETERMINISTIC, 9.260306366333332e-05),
        fig("asic", "w", "status", RB_FIG_DETERMINISTIC, NAN),
    };
    snprintf(f[2].text, sizeof f[2].text, "ok");
    rb_figset s = set(f, 3);
    s.run_id = 7;
    snprintf(s.label, sizeof s.label, "ci");
    char path[] = "/tmp/rb_test_compare_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *out = fdopen(fd, "w");
    rb_err e = {0};
    CHECK_INT(rb_figset_write_baseline(out, &s, 1, &e), 0);
    fclose(out);
    rb_figset r;
    CHECK_INT(rb_figset_from_baseline(path, &r, &e), 0);
    CHECK_INT(r.n, 3);
    CHECK(!r.no_measured);
    CHECK_STR_HAS(r.what, "(from run 7, label ci)");
    for (size_t i = 0; i < r.n && i < 3; i++) {
        CHECK(!rb_figure_cmp(&r.f[i], &s.f[i]));
        CHECK(r.f[i].kind == s.f[i].kind && r.f[i].n == s.f[i].n);
        CHECK(isnan(s.f[i].value) ? isnan(r.f[i].value) : r.f[i].value == s.f[i].value);
        CHECK(!strcmp(r.f[i].text, s.f[i].text));
        for (int k = 0; k < s.f[i].n; k++)
            CHECK(r.f[i].samples[k] == s.f[i].samples[k]); /* exact, not 15 digits */
    }
    rb_figset_free(&r);
    /* deterministic only: the measured figure is left out, and the file says so */
    out = fopen(path, "w");
    CHECK_INT(rb_figset_write_baseline(out, &s, 0, &e), 0);
    fclose(out);
    CHECK_INT(rb_figset_from_baseline(path, &r, &e), 0);
    CHECK_INT(r.n, 2);
    CHECK(r.no_measured);
    rb_figset_free(&r);
    /* a figure twice is an error naming it */
    out = fopen(path, "a");
    fputs("{\"config\":\"fp32\",\"kind\":\"deterministic\",\"metric\":\"energy_j\",\"target\":"
          "\"asic\",\"value\":1,\"workload\":\"w\"}\n",
          out);
    fclose(out);
    CHECK_INT(rb_figset_from_baseline(path, &r, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "appears twice");
    unlink(path);
    for (size_t i = 0; i < s.n; i++)
        free(s.f[i].samples);
    free(s.f);
}

int main(void)
{
    test_verdicts();
    test_tolerances();
    test_baseline_round_trip();
    return rb_test_done("test_compare");
}
