/* figure_table.h — every figure a result holds, declared once.
 *
 * RB_FIGURES lists them, one line each.  From that one list come: a field
 * per figure in the harness's rb_result and the report's rb_rep_result
 * (x->median_ms, and x->fig[i] in table order), a column of the results
 * table (harness/store.c writes it, harness/store_report.c reads it), a
 * column of `report --csv` and `--json`, the human tables of `--md` and
 * `--html` (figures with a label), `history --metric` and the figures
 * `compare` pairs with their tolerances.
 *
 * Adding a figure: one line here, and a migration in harness/store_schema.c
 * that adds its column (ALTER TABLE results ADD COLUMN name REAL) with
 * .since set to that migration's schema version.  A quantile of the timed
 * repetitions needs nothing else; a figure obtained another way also needs
 * the line in harness/measure.c that sets it.  tests/cli/test_extra_figure.sh
 * builds rnnbench with one more figure and follows it everywhere.
 *
 * A figure whose value is not known is NaN in memory and NULL in the
 * database, never 0. */
#ifndef RB_FIGURE_TABLE_H
#define RB_FIGURE_TABLE_H

#include <stddef.h>

/* How a run obtains a figure, which also says what vouches for it: the
 * latency's source (measured, simulated, modeled) for the timings, the
 * energy's source for energy, the reference for the error. */
typedef enum {
    RB_FROM_QUANTILE = 0, /* the q-quantile of the timed repetitions (np.percentile, linear) */
    RB_FROM_REPS,         /* another statistic of the timed repetitions */
    RB_FROM_CALL,         /* a call outside the timed ones (first, warm-up, load) */
    RB_FROM_ENERGY,       /* energy, with its source (rapl, nvml, model) */
    RB_FROM_REFERENCE,    /* the error against the reference output */
    RB_FROM_SERVING       /* a serving scenario's load figure (offered and served rates) */
} rb_fig_from;

typedef struct rb_figdef {
    const char *name; /* its column, and its name everywhere (median_ms) */
    const char *unit; /* ms, seq/s, GFLOP/s, J; "" for a ratio */
    rb_fig_from from;
    double q;          /* RB_FROM_QUANTILE: in [0, 1] */
    int higher;        /* higher is better (throughput); else lower is */
    int cmp;           /* `compare` pairs it */
    double tol_rel;    /* compare, when deterministic: allowed |change| is */
    double tol_abs;    /*   max(tol_rel * |base|, tol_abs) */
    const char *label; /* its column in the Markdown and HTML tables; NULL: not there */
    int joins;         /* shown inside the column before it: 1 as "a – b", 2 as "a (b)" */
    int digits;        /* significant digits in those tables (0: 4) */
    const char *alias; /* a short name `history --metric` also takes; NULL: none */
    int since;         /* the schema version whose migration added its column (0: the first) */
    const char *help;  /* one line for people (`rnnbench list --figures`) */
} rb_figdef;

/* X(name, fields of rb_figdef other than name) */
#define RB_FIGURES_BASE(X)                                                                         \
    X(median_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.50, .cmp = 1, .tol_rel = 1e-9,     \
      .label = "median", .alias = "median", .help = "median latency per call")                     \
    X(p10_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.10, .help = "10th percentile")        \
    X(p90_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.90, .alias = "p90",                   \
      .help = "90th percentile")                                                                   \
    X(p99_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.99, .label = "p99", .alias = "p99",   \
      .help = "99th percentile")                                                                   \
    X(mean_ms, .unit = "ms", .from = RB_FROM_REPS, .alias = "mean", .help = "mean")                \
    X(stddev_ms, .unit = "ms", .from = RB_FROM_REPS, .help = "sample standard deviation (n - 1)")  \
    X(min_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0, .help = "fastest repetition")        \
    X(max_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 1, .help = "slowest repetition")        \
    X(ci_lo_ms, .unit = "ms", .from = RB_FROM_REPS, .label = "95% CI",                             \
      .help = "95% confidence interval of the median (order statistics): low end")                 \
    X(ci_hi_ms, .unit = "ms", .from = RB_FROM_REPS, .label = "", .joins = 1,                       \
      .help = "95% confidence interval of the median: high end")                                   \
    X(first_ms, .unit = "ms", .from = RB_FROM_CALL,                                                \
      .help = "the very first call: cold caches, first touch")                                     \
    X(warmup_mean_ms, .unit = "ms", .from = RB_FROM_CALL, .help = "mean of the warm-up calls")     \
    X(load_ms, .unit = "ms", .from = RB_FROM_CALL, .help = "model loading: weights to the device") \
    X(throughput_sps, .unit = "seq/s", .from = RB_FROM_REPS, .higher = 1, .label = "seq/s",        \
      .alias = "throughput", .help = "sequences per second: batch / median")                       \
    X(gflops, .unit = "GFLOP/s", .from = RB_FROM_REPS, .higher = 1, .label = "GFLOP/s",            \
      .alias = "gflops", .help = "workload FLOP / median")                                         \
    X(energy_j, .unit = "J", .from = RB_FROM_ENERGY, .cmp = 1, .tol_rel = 1e-9, .alias = "energy", \
      .help = "energy per call")                                                                   \
    X(err_max_abs, .unit = "", .from = RB_FROM_REFERENCE, .cmp = 1, .tol_rel = 0.10,               \
      .tol_abs = 1e-7, .label = "max abs error", .digits = 2, .alias = "err",                      \
      .help = "max |y - reference|")                                                               \
    X(err_max_rel, .unit = "", .from = RB_FROM_REFERENCE, .label = "max rel error (bound)",        \
      .digits = 2, .help = "max |y - reference| / max |reference|")                                \
    X(err_tol, .unit = "", .from = RB_FROM_REFERENCE, .label = "", .joins = 2, .digits = 2,        \
      .help = "the bound err_max_rel was checked against (fp32); NULL: a quality figure")       \
    X(p999_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.999, .alias = "p99.9", .since = 5,  \
      .help = "99.9th percentile")                                                                 \
    X(offered_qps, .unit = "q/s", .from = RB_FROM_SERVING, .since = 5,                             \
      .help = "serving: the arrival rate offered (server, multi-stream)")                          \
    X(achieved_qps, .unit = "q/s", .from = RB_FROM_SERVING, .higher = 1, .cmp = 1,                 \
      .tol_rel = 1e-9, .label = "QPS", .alias = "qps", .since = 5,                                 \
      .help = "serving: queries completed per second")                                            \
    X(max_qps, .unit = "q/s", .from = RB_FROM_SERVING, .higher = 1, .cmp = 1, .tol_rel = 1e-9,    \
      .label = "max QPS in SLO", .alias = "max-qps", .since = 5,                                   \
      .help = "serving (server): the largest arrival rate whose p99 meets the bound")             \
    X(over_slo_frac, .unit = "", .from = RB_FROM_SERVING, .cmp = 1, .tol_rel = 1e-9,               \
      .tol_abs = 1e-9, .digits = 2, .since = 5,                                                    \
      .help = "serving: fraction of queries slower than the bound")                                \
    X(busy_frac, .unit = "", .from = RB_FROM_SERVING, .digits = 2, .since = 5,                     \
      .help = "serving: fraction of the time the device was computing")                            \
    X(peak_mem_mb, .unit = "MB", .from = RB_FROM_CALL, .digits = 3, .label = "memory",             \
      .alias = "memory", .since = 6,                                                               \
      .help = "peak memory: the target's own (metric mem_bytes), else the process's peak RSS")

/* The proof that one line is enough (tests/cli/test_extra_figure.sh): a
 * build with RB_TEST_EXTRA_FIGURE has a p95 and schema version 7. */
#ifdef RB_TEST_EXTRA_FIGURE
#define RB_FIGURES(X)                                                                              \
    RB_FIGURES_BASE(X)                                                                             \
    X(p95_ms, .unit = "ms", .from = RB_FROM_QUANTILE, .q = 0.95, .cmp = 1, .tol_rel = 1e-9,        \
      .label = "p95", .since = 7, .help = "95th percentile")
#else
#define RB_FIGURES(X) RB_FIGURES_BASE(X)
#endif

/* RB_FIG_median_ms ... : a figure's index in the table */
#define RB_FIG_ENUM_(name, ...) RB_FIG_##name,
enum { RB_FIGURES(RB_FIG_ENUM_) RB_N_FIGURES };
#undef RB_FIG_ENUM_

/* The figures as fields of a struct that holds them (rb_result,
 * rb_rep_result): by name, x->median_ms, or by index, x->fig[RB_FIG_median_ms]. */
#define RB_FIG_FIELD_(name, ...) double name;
#define RB_FIGURE_FIELDS                                                                           \
    union {                                                                                        \
        struct {                                                                                   \
            RB_FIGURES(RB_FIG_FIELD_)                                                              \
        };                                                                                         \
        double fig[RB_N_FIGURES];                                                                  \
    }

extern const rb_figdef rb_figure_table[RB_N_FIGURES];

/* The figure called name (or, with aliases, by its short name); -1: none. */
int rb_figure_find(const char *name, int aliases);

/* Set every figure of fig[RB_N_FIGURES] to "not known". */
void rb_figures_clear(double *fig);

/* Can n repetitions support figure i?  A quantile q of a sample is only
 * more than its extreme when at least one sample lies beyond it:
 * n * min(q, 1 - q) >= 1 (p90 needs 10, p99 100, p99.9 1000, p10 10);
 * below that it is the sample's max (min), near enough.  The median, min
 * and max are what they say at any n.  Every figure but
 * such a quantile is supported; so is every figure of a deterministic
 * (simulated or modeled) result, one exact evaluation.  Returns 1, or 0
 * with "≈ max, n = 10" in note. */
int rb_figure_supported(int i, int n, int deterministic, char *note, size_t len);

/* A measured result's noise: the width of the 95 % confidence interval of
 * its median over the median (NaN when either is unknown).  Beyond
 * RB_NOISY_REL the result is marked noisy in reports, and `compare` calls a
 * regression or improvement resting on it suspect. */
#define RB_NOISY_REL 0.10
double rb_noise_rel(double ci_lo, double ci_hi, double median);

/* Whether the figure needs timed repetitions (NULL without them). */
static inline int rb_figure_timed(const rb_figdef *d)
{
    return d->from == RB_FROM_QUANTILE || d->from == RB_FROM_REPS;
}

#endif
