/* cmd_compare.c — `rnnbench compare BASE CAND`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../workloads/files.h"
#include "command.h"
#include "compare.h"
#include "figures.h"
#include "store_report.h"

static const char compare_help[] =
    "Usage: rnnbench compare BASE CAND [--db FILE] [--threshold 5%] [--alpha 0.05]\n"
    "                        [--tolerance METRIC=X,...] [--format table|md|json] [--all]\n"
    "                        [--noisy fail|warn]\n"
    "\n"
    "Compare two sets of results and exit 1 when CAND regressed against BASE, so CI\n"
    "fails on a real regression and only then.  BASE and CAND are each a run id or a\n"
    "label (the newest benchmark run with it in --db; when CAND is that database\n"
    "file, never CAND's run: then the one before it), another database file (its\n"
    "newest benchmark run), or a baseline file from `rnnbench export --baseline`.\n"
    "\n"
    "Figures pair by target instance, number format, workload and metric; points on\n"
    "one side only are listed.  Measured figures (cpu/gpu latency): a Mann-Whitney U\n"
    "test on the raw repetitions below --alpha AND a change of the median beyond\n"
    "--threshold make a regression or an improvement; anything else is no change.\n"
    "A served point's latency is tested on its queries' latencies; its rates on a\n"
    "measured target (QPS, max QPS in the bound) are measured once, and the\n"
    "threshold alone judges them.\n"
    "Deterministic figures (fpga cycles and latency, asic modeled latency and energy,\n"
    "error against the reference, task accuracy): any change is reported, and one\n"
    "beyond the metric's tolerance in the worse direction is a regression (defaults:\n"
    "cycles 0, accuracy and macro_f1 0.005, the figures' own in `rnnbench list\n"
    "--figures`: median_ms and energy_j 1e-9 relative, err_max_abs 10% + 1e-7).  A\n"
    "result that was ok and is not any more is a regression.\n"
    "A measured regression or improvement is suspect, and marked so (REGRESSED?),\n"
    "when either run warned that other processes competed for the CPU or either\n"
    "result is noisy (the 95% interval of its median wider than 10% of it); each\n"
    "run's warnings are printed first.\n"
    "\n"
    "  --threshold X       measured: smallest median change that counts, 5% or 0.05\n"
    "                      (default 5%)\n"
    "  --alpha P           measured: the U test's level (default 0.05)\n"
    "  --tolerance LIST    deterministic: METRIC=X (absolute) or METRIC=X% (relative),\n"
    "                      comma-separated, over the defaults\n"
    "  --all               list unchanged figures too\n"
    "  --noisy fail|warn   what a suspect regression does to the exit status: fail\n"
    "                      (exit 1, as any regression: the default, so a gate never\n"
    "                      passes on a hunch) or warn (exit 0 when every regression\n"
    "                      is suspect; they are still listed)\n"
    "  --allow-incomplete  compare a run that did not complete (interrupted, failed,\n"
    "                      still running); refused by default, since its missing\n"
    "                      points would pass as 'only in base'\n"
    "  (--format md suits a CI summary or a pull request)\n";

static const char compare_tail[] =
    "\n"
    "Exit status: 0 no regression, 1 a regression, 2 bad usage or input (a run, label\n"
    "or file that does not exist, a malformed baseline), 3 a database error.\n"
    "\n"
    "Examples:\n"
    "  rnnbench compare 12 15                       # run 15 against run 12\n"
    "  rnnbench compare nightly results.db          # the newest run against the last nightly\n"
    "  rnnbench compare tests/baseline/ci.jsonl ci.db --format md >> \"$GITHUB_STEP_SUMMARY\"\n";

enum { OPT_THRESHOLD = RB_OPT_FIRST_FREE, OPT_ALPHA, OPT_TOL, OPT_ALL, OPT_INCOMPLETE, OPT_NOISY };

static int is_sqlite(const char *path)
{
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    return n == sizeof head && !memcmp(head, "SQLite format 3", 16);
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* BASE or CAND: a file (database or baseline), a run id or a label in db
 * (with before > 0: the newest run with the label before run `before`). */
static int load_side(const char *spec, const char *db, long long before, rb_figset *out,
                     rb_err *e)
{
    struct stat sb;
    if (!stat(spec, &sb) && S_ISREG(sb.st_mode)) {
        rb_report_select sel = {.run_id = 0};
        return is_sqlite(spec) ? rb_figset_from_db(spec, &sel, 1, out, e)
                               : rb_figset_from_baseline(spec, out, e);
    }
    if (strchr(spec, '/') || strstr(spec, ".db") || strstr(spec, ".json"))
        return rb_errf(e, RB_EINPUT, "%s: no such file", spec);
    if (access(db, F_OK))
        return rb_errf(e, RB_EINPUT, "'%s' is a %s, but there is no database %s (pass --db)", spec,
                       all_digits(spec) ? "run id" : "label", db);
    rb_report_select sel = {.run_id = all_digits(spec) ? atoll(spec) : 0,
                            .label = all_digits(spec) ? NULL : spec,
                            .before_id = before};
    return rb_figset_from_db(db, &sel, 1, out, e);
}

/* Is spec a label (not a file, not a run id)? */
static int is_label(const char *spec)
{
    struct stat sb;
    return stat(spec, &sb) && !all_digits(spec);
}

typedef struct compare_args {
    rb_cmp_opts co;
    int all, incomplete;
    int noisy_warn; /* --noisy warn */
} compare_args;

/* A side that is not a complete run fails the gate unless asked for: an
 * interrupted candidate's missing points are "only in base", not a pass. */
static int check_complete(const char *side, const rb_figset *fs, int allow, rb_err *e)
{
    if (!fs->status[0] || !strcmp(fs->status, "complete"))
        return 0;
    if (!allow)
        return rb_errf(e, RB_EINPUT,
                       "the %s, %s, is %s, not complete (%zu figures): its missing points "
                       "would pass as unmatched; finish it with `rnnbench run --resume %lld`, "
                       "or compare it anyway with --allow-incomplete",
                       side, fs->what, fs->status, fs->n, fs->run_id);
    fprintf(stderr, "rnnbench compare: warning: the %s, %s, is %s, not complete\n", side, fs->what,
            fs->status);
    return 0;
}

static int compare_option(void *args, int opt, const char *arg, rb_err *e)
{
    compare_args *a = args;
    switch (opt) {
    case OPT_THRESHOLD: return rb_cli_fraction("threshold", arg, &a->co.threshold, e);
    case OPT_ALPHA: return rb_cli_double("alpha", arg, 1e-12, 1, &a->co.alpha, e);
    case OPT_TOL: return rb_cmp_parse_tolerances(&a->co, arg, e);
    case OPT_ALL: a->all = 1; return 0;
    case OPT_INCOMPLETE: a->incomplete = 1; return 0;
    case OPT_NOISY:
        if (strcmp(arg, "fail") && strcmp(arg, "warn"))
            return rb_errf(e, RB_EINPUT, "--noisy '%s': expected fail or warn", arg);
        a->noisy_warn = !strcmp(arg, "warn");
        return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static int compare_main(int argc, char **argv)
{
    compare_args a = {.all = 0};
    rb_cmp_opts_default(&a.co);
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_compare, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (argc - next != 2)
        return rb_cli_usage("compare",
                            "expected BASE and CAND (run ids, labels, database or "
                            "baseline files), got %d argument%s",
                            argc - next, argc - next == 1 ? "" : "s");
    rb_cmp_format fmt = RB_CMP_FMT_TABLE;
    rb_cmp_format_parse(com.format, &fmt);
    rb_err e = {0};
    rb_figset base, cand;
    memset(&cand, 0, sizeof cand);
    const char *bspec = argv[next], *cspec = argv[next + 1];
    int rc = load_side(bspec, com.db, 0, &base, &e);
    if (rc)
        return rb_cli_fail("compare", &e);
    rc = load_side(cspec, com.db, 0, &cand, &e);
    /* a label names the newest run with it in --db, but never the newest
     * run of a database given as the candidate (`compare nightly results.db`
     * right after a nightly run): then the one before it */
    if (!rc && is_label(bspec) && base.run_id && base.run_id == cand.run_id &&
        rb_same_file(com.db, cspec)) {
        rb_figset_free(&base);
        rc = load_side(bspec, com.db, cand.run_id, &base, &e);
    }
    if (!rc)
        rc = check_complete("base", &base, a.incomplete, &e);
    if (!rc)
        rc = check_complete("candidate", &cand, a.incomplete, &e);
    rb_comparison cmp = {0};
    if (!rc)
        rc = rb_compare_sets(&base, &cand, &a.co, &cmp, &e);
    if (!rc)
        rc = rb_comparison_write(stdout, &cmp, fmt, a.all, &e);
    size_t counted = cmp.count[RB_CMP_REGRESSED] - (a.noisy_warn ? cmp.suspect_regressed : 0);
    int regressed = !rc && counted > 0;
    if (!rc && a.noisy_warn && cmp.suspect_regressed && !counted)
        fprintf(stderr,
                "rnnbench compare: warning: %zu suspect regression%s not failing the gate "
                "(--noisy warn)\n",
                cmp.suspect_regressed, cmp.suspect_regressed == 1 ? "" : "s");
    rb_comparison_free(&cmp);
    rb_figset_free(&base);
    rb_figset_free(&cand);
    if (rc)
        return rb_cli_fail("compare", &e);
    return regressed ? RB_EXIT_REGRESSION : RB_EXIT_OK;
}

static const struct option compare_options[] = {
    {"threshold", required_argument, 0, OPT_THRESHOLD},
    {"alpha", required_argument, 0, OPT_ALPHA},
    {"tolerance", required_argument, 0, OPT_TOL},
    {"all", no_argument, 0, OPT_ALL},
    {"allow-incomplete", no_argument, 0, OPT_INCOMPLETE},
    {"noisy", required_argument, 0, OPT_NOISY},
    {0, 0, 0, 0}};

/* In rb_cmp_format's order. */
static const char *const compare_formats[] = {"table", "md", "json", NULL};

const rb_command rb_command_compare = {
    .name = "compare",
    .summary = "two runs or baselines: regressions (exit 1), improvements, changes",
    .help = compare_help,
    .help_tail = compare_tail,
    .uses = RB_USE_DB | RB_USE_FORMAT,
    .formats = compare_formats,
    .options = compare_options,
    .option = compare_option,
    .max_args = -1, /* BASE and CAND, counted by compare_main for a better message */
    .main = compare_main,
};
