/* cmd_compare.c — `rnnbench compare BASE CAND` and `rnnbench export --baseline`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"
#include "figures.h"
#include "report_load.h"

static const char compare_help[] =
    "Usage: rnnbench compare BASE CAND [--db FILE] [--threshold 5%] [--alpha 0.05]\n"
    "                        [--tolerance METRIC=X,...] [--format table|md|json] [--all]\n"
    "\n"
    "Compare two sets of results and exit 1 when CAND regressed against BASE, so CI\n"
    "fails on a real regression and only then.  BASE and CAND are each a run id or a\n"
    "label (the newest benchmark run with it) in --db, another database file (its\n"
    "newest benchmark run), or a baseline file from `rnnbench export --baseline`.\n"
    "\n"
    "Figures pair by target, number format, workload and metric; points on one side\n"
    "only are listed.  Measured figures (cpu/gpu latency): a Mann-Whitney U test on\n"
    "the raw repetitions below --alpha AND a change of the median beyond --threshold\n"
    "make a regression or an improvement; anything else is no change.  Deterministic\n"
    "figures (fpga cycles and latency, asic modeled latency and energy, error against\n"
    "the reference, task accuracy): any change is reported, and one beyond the\n"
    "metric's tolerance in the worse direction is a regression (defaults: cycles 0,\n"
    "median_ms and energy_j 1e-9 relative, err_max_abs 10% + 1e-7, accuracy and\n"
    "macro_f1 0.005).  A result that was ok and is not any more is a regression.\n"
    "\n"
    "  --db FILE           database for run ids and labels (default ./results.db)\n"
    "  --threshold X       measured: smallest median change that counts, 5% or 0.05\n"
    "                      (default 5%)\n"
    "  --alpha P           measured: the U test's level (default 0.05)\n"
    "  --tolerance LIST    deterministic: METRIC=X (absolute) or METRIC=X% (relative),\n"
    "                      comma-separated, over the defaults\n"
    "  --format FMT        table (default), md (for a CI summary or a pull request) or json\n"
    "  --all               list unchanged figures too\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 no regression, 1 a regression, 2 bad usage or input (a run, label\n"
    "or file that does not exist, a malformed baseline), 3 a database error.\n"
    "\n"
    "Examples:\n"
    "  rnnbench compare 12 15                       # run 15 against run 12\n"
    "  rnnbench compare nightly results.db          # the newest run against the last nightly\n"
    "  rnnbench compare tests/baseline/ci.jsonl ci.db --format md >> \"$GITHUB_STEP_SUMMARY\"\n";

static const char export_help[] =
    "Usage: rnnbench export --baseline FILE [--run ID | --label L] [--db FILE]\n"
    "                       [--metrics deterministic|all]\n"
    "\n"
    "Write one run's figures as a baseline file to commit beside the code: a header\n"
    "line, then one JSON object per figure and line, keys and lines sorted, so a diff\n"
    "shows exactly which figures moved.  `rnnbench compare FILE CAND` reads it.\n"
    "\n"
    "  --baseline FILE     the file to write (replaced atomically)\n"
    "  --run ID            this run; --label L: the newest benchmark run with that\n"
    "                      label; default: the newest benchmark run\n"
    "  --db FILE           database (default ./results.db)\n"
    "  --metrics WHICH     deterministic (default: what does not depend on the machine's\n"
    "                      timing noise: fpga cycles and latency, asic model figures,\n"
    "                      errors, statuses, task accuracy) or all (measured latencies\n"
    "                      too, with their raw repetitions)\n"
    "  -h, --help          this text\n"
    "\n"
    "After an intended change (a faster design, a new model), run the same matrix and\n"
    "export again over the committed file, in the same commit as the change.\n";

enum { OPT_DB = RB_OPT_FIRST_FREE, OPT_THRESHOLD, OPT_ALPHA, OPT_TOL, OPT_FORMAT, OPT_ALL,
       OPT_BASELINE, OPT_RUN, OPT_LABEL, OPT_METRICS };

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

/* One run of a database: its figures, described by id, label and date. */
static int load_run(const char *db, const rb_report_select *sel, int samples, rb_figset *out,
                    rb_err *e)
{
    rb_store *st = NULL;
    long long id = 0;
    int rc = rb_store_open(&st, db, 1, e);
    if (!rc)
        rc = rb_store_select_run(st, sel, &id, e);
    if (!rc)
        rc = rb_figset_from_run(st, id, samples, out, e);
    rb_store_close(st);
    return rc;
}

/* BASE or CAND: a file (database or baseline), a run id or a label in db. */
static int load_side(const char *spec, const char *db, rb_figset *out, rb_err *e)
{
    struct stat sb;
    if (!stat(spec, &sb) && S_ISREG(sb.st_mode)) {
        rb_report_select sel = {0, NULL};
        return is_sqlite(spec) ? load_run(spec, &sel, 1, out, e)
                               : rb_figset_from_baseline(spec, out, e);
    }
    if (strchr(spec, '/') || strstr(spec, ".db") || strstr(spec, ".json"))
        return rb_errf(e, RB_EINPUT, "%s: no such file", spec);
    if (access(db, F_OK))
        return rb_errf(e, RB_EINPUT, "'%s' is a %s, but there is no database %s (pass --db)",
                       spec, all_digits(spec) ? "run id" : "label", db);
    rb_report_select sel = {all_digits(spec) ? atoll(spec) : 0, all_digits(spec) ? NULL : spec};
    return load_run(db, &sel, 1, out, e);
}

int rb_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, OPT_DB},        {"threshold", required_argument, 0, OPT_THRESHOLD},
        {"alpha", required_argument, 0, OPT_ALPHA},  {"tolerance", required_argument, 0, OPT_TOL},
        {"format", required_argument, 0, OPT_FORMAT}, {"all", no_argument, 0, OPT_ALL},
        {"help", no_argument, 0, 'h'},               {0, 0, 0, 0}};
    const char *db = RB_DEFAULT_DB;
    rb_cmp_opts co;
    rb_cmp_opts_default(&co);
    rb_cmp_format fmt = RB_CMP_FMT_TABLE;
    int all = 0, c;
    rb_err e = {0};
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_THRESHOLD:
            if (rb_cli_fraction("threshold", optarg, &co.threshold, &e))
                return rb_cli_usage("compare", "%s", e.msg);
            break;
        case OPT_ALPHA:
            if (rb_cli_double("alpha", optarg, 1e-12, 1, &co.alpha, &e))
                return rb_cli_usage("compare", "%s", e.msg);
            break;
        case OPT_TOL:
            if (rb_cmp_parse_tolerances(&co, optarg, &e))
                return rb_cli_usage("compare", "%s", e.msg);
            break;
        case OPT_FORMAT:
            if (rb_cmp_format_parse(optarg, &fmt))
                return rb_cli_usage("compare", "--format '%s': expected table, md or json", optarg);
            break;
        case OPT_ALL: all = 1; break;
        case 'h': fputs(compare_help, stdout); return 0;
        default: return rb_cli_usage("compare", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return rb_cli_usage("compare", "expected BASE and CAND (run ids, labels, database or "
                                       "baseline files), got %d argument%s",
                            argc - optind, argc - optind == 1 ? "" : "s");
    rb_figset base, cand;
    memset(&cand, 0, sizeof cand);
    int rc = load_side(argv[optind], db, &base, &e);
    if (rc)
        return rb_cli_fail("compare", &e);
    rc = load_side(argv[optind + 1], db, &cand, &e);
    rb_comparison cmp = {0};
    if (!rc)
        rc = rb_compare_sets(&base, &cand, &co, &cmp, &e);
    if (!rc)
        rc = rb_comparison_write(stdout, &cmp, fmt, all, &e);
    int regressed = !rc && cmp.count[RB_CMP_REGRESSED] > 0;
    rb_comparison_free(&cmp);
    rb_figset_free(&base);
    rb_figset_free(&cand);
    if (rc)
        return rb_cli_fail("compare", &e);
    return regressed ? 1 : 0;
}

typedef struct baseline_out {
    const rb_figset *fs;
    int all;
} baseline_out;

static int write_baseline(FILE *f, void *ctx, rb_err *e)
{
    const baseline_out *o = ctx;
    return rb_figset_write_baseline(f, o->fs, o->all, e);
}

int rb_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"baseline", required_argument, 0, OPT_BASELINE}, {"run", required_argument, 0, OPT_RUN},
        {"label", required_argument, 0, OPT_LABEL},       {"db", required_argument, 0, OPT_DB},
        {"metrics", required_argument, 0, OPT_METRICS},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = RB_DEFAULT_DB, *path = NULL;
    rb_report_select sel = {0, NULL};
    int all = 0, c;
    long v;
    rb_err e = {0};
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_BASELINE: path = optarg; break;
        case OPT_RUN:
            if (rb_cli_long("run", optarg, 1, 0x7fffffffL, &v, &e))
                return rb_cli_usage("export", "%s", e.msg);
            sel.run_id = v;
            break;
        case OPT_LABEL: sel.label = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_METRICS:
            if (strcmp(optarg, "deterministic") && strcmp(optarg, "all"))
                return rb_cli_usage("export", "--metrics '%s': expected deterministic or all",
                                    optarg);
            all = !strcmp(optarg, "all");
            break;
        case 'h': fputs(export_help, stdout); return 0;
        default: return rb_cli_usage("export", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rb_cli_usage("export", "unexpected argument '%s'", argv[optind]);
    if (!path)
        return rb_cli_usage("export", "--baseline FILE is required");
    if (sel.run_id && sel.label)
        return rb_cli_usage("export", "choose one of --run and --label");
    rb_figset fs;
    int rc = load_run(db, &sel, all, &fs, &e);
    if (rc)
        return rb_cli_fail("export", &e);
    /* a committed baseline is never half-written */
    baseline_out bo = {&fs, all};
    rc = rb_cli_write_atomic(path, write_baseline, &bo, &e);
    if (!rc) {
        size_t k = 0;
        for (size_t i = 0; i < fs.n; i++)
            k += all || fs.f[i].kind == RB_FIG_DETERMINISTIC;
        fprintf(stderr, "rnnbench export: %zu figures of %s into %s\n", k, fs.what, path);
    }
    rb_figset_free(&fs);
    return rc ? rb_cli_fail("export", &e) : 0;
}
