/* report.h — what `rnnbench report` works on: one run's results as the
 * harness loads them from results.db (harness/store_report.c), and the
 * recommendation built from them (reports/recommend.c).
 *
 * reports/ never opens the database and never touches a device: the harness
 * hands it these rows.  A number that the database holds as NULL ("not
 * known") is NaN here; every writer prints it as missing, never as 0. */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "../workloads/rb_err.h"
#include "../workloads/workload.h"
#include "figure_table.h"

typedef struct rb_rep_metric {
    char name[48];
    double value;
    char unit[16];
    char source[16];
} rb_rep_metric;

/* Room for an instance's name: "fpga:large?clock_mhz=250". */
#define RB_REP_TARGET_MAX 128 /* = RB_INSTANCE_NAME_MAX (targets/target.h) */

typedef struct rb_rep_device {
    long long id;
    long long run_id;               /* the run it belongs to (several when runs are combined) */
    char run_label[64];             /* that run's label, "" when none */
    char target[RB_REP_TARGET_MAX]; /* the instance: cpu, fpga:large, asic:edge-npu ...
                                       (the target's name for its default configuration) */
    char name[160];
    char host[64];   /* the machine it is on ("" before schema 7); a run of several
                        machines names its devices target@host */
    char type[16];
    char method[16]; /* how its latency is obtained: measured | simulated | modeled */
    char numerics[32];
    double peak_flops, mem_bw, power_w; /* NaN: unknown */
    char power_source[96];
    char *extra_json; /* owned; NULL when none */
    int n_resources;
    rb_rep_metric *resources; /* owned */
} rb_rep_device;

/* A target asked for but not available on the host (no device row). */
typedef struct rb_rep_missing {
    char target[RB_REP_TARGET_MAX]; /* the instance */
    char *why;                      /* owned; NULL when the run did not record a reason */
} rb_rep_missing;

/* One load a served result ran at (the rate search's probes, in order). */
typedef struct rb_rep_load {
    double offered_qps, achieved_qps, p50_ms, p99_ms; /* NaN: not known */
    long long queries;
} rb_rep_load;

typedef struct rb_rep_result {
    long long id;
    int device;      /* index into rb_report.devices */
    rb_workload w;   /* key, cell, mode, T, B, I, H, L, input_proj */
    double flops;    /* per call */
    char status[16]; /* ok, mismatch, failed, timeout, unsupported, interrupted */
    char *message;   /* owned; NULL when none */
    char numerics[32];
    int reps;
    RB_FIGURE_FIELDS;        /* figure_table.h: median_ms, p99_ms, energy_j, ... */
    char latency_source[12]; /* measured | simulated | modeled */
    char energy_source[8];   /* rapl | nvml | model | user; "" when no energy */
    char energy_boundary[16]; /* what the energy covers: chip, package, board ...; "" unknown */
    int n_metrics;
    rb_rep_metric *metrics; /* owned */
    int n_samples;
    double *samples; /* owned; the raw repetitions (ms) when loaded for figures */
    int n_load;
    rb_rep_load *load; /* owned; a served result's load points */
} rb_rep_result;

/* One row of the text-classification task (`rnnbench train` / `eval`).
 * They come from their own runs, not the benchmark run: the loader takes,
 * per (task, model, phase), the rows of the newest run that has them. */
typedef struct rb_rep_accuracy {
    long long run_id;
    char run_started[32];
    char target[RB_REP_TARGET_MAX]; /* the instance the recurrent stack ran on */
    char device[160];               /* its device's name */
    char numerics[32];
    char task[32], model[64], cell[8];
    char phase[8]; /* train: a training curve; eval: a saved model on a target */
    char split[16];
    int epoch;
    long n;
    double accuracy, macro_f1, loss; /* NaN: unknown */
    double baseline_accuracy, baseline_macro_f1, agreement;
} rb_rep_accuracy;

/* One target's latency in an earlier (or this) benchmark run, relative to
 * this run: the geometric mean over the workloads both ran ok in the same
 * number format of (that run's median / this run's median). */
typedef struct rb_rep_history {
    char target[RB_REP_TARGET_MAX]; /* the instance */
    long long run_id;
    char started_at[32];
    double rel; /* 1 = as fast as this run; 1.2 = 20 % slower */
    int n;      /* workloads it rests on */
} rb_rep_history;

typedef struct rb_rep_run {
    long long id;
    char started_at[32], finished_at[32], status[16];
    char *label, *git_sha, *version, *command_line, *host_json,
        *warnings_json; /* owned, may be NULL */
} rb_rep_run;

typedef struct rb_report {
    rb_rep_run run; /* the run reported (the first, when several are combined) */
    int n_runs;     /* > 1: runs combined; every device's name says its run */
    int n_devices;
    rb_rep_device *devices;
    int n_missing;
    rb_rep_missing *missing;
    size_t n_results;
    rb_rep_result *results; /* ordered by workload key, then device */
    size_t n_accuracy;
    rb_rep_accuracy *accuracy; /* ordered by phase, task, model, target, split, epoch */
    size_t n_history;
    rb_rep_history *history; /* by target, then run; empty unless some target has two runs */
} rb_report;

/* Does an evaluation tell about workload w?  Of an imported model, when it
 * is that model (its name and hash); of a seeded stack, when the text
 * classifier evaluated has its shapes (cell, input = embedding, hidden,
 * layers).  A classifier's accuracy says nothing about other shapes. */
int rb_rep_eval_applies(const rb_rep_accuracy *a, const rb_workload *w);

/* The accuracy constraint's evidence for one target in one number format:
 * of the most recently evaluated model that applies to w (NULL: any), that
 * target's test row in those numerics and the reference's row (the target
 * named reference, e.g. "cpu") of the same evaluation.  NULL when there is
 * none; *any (may be NULL) says whether any evaluation applies to w. */
const rb_rep_accuracy *rb_rep_eval_row(const rb_report *r, const rb_workload *w, const char *target,
                                       const char *numerics, const char *reference,
                                       const rb_rep_accuracy **ref, int *any);

void rb_report_free(rb_report *r); /* safe on a zeroed report */

/* ---- the recommendation ------------------------------------------------------ */

typedef enum {
    RB_OBJ_LATENCY = 0,  /* median latency per call, lower is better */
    RB_OBJ_THROUGHPUT,   /* sequences per second, higher is better */
    RB_OBJ_ENERGY,       /* joules per sequence, lower is better */
    RB_OBJ_PERF_PER_WATT /* GFLOP per joule (GFLOP/s per W), higher is better */
} rb_objective;

const char *rb_objective_name(rb_objective o);            /* "latency", ... */
int rb_objective_parse(const char *s, rb_objective *out); /* 0 or -1 */

typedef struct rb_report_opts {
    rb_objective objective;
    double slo_ms;                     /* p99 latency limit; NaN: none */
    double max_power_w;                /* average power limit (energy / latency); NaN: none */
    double max_memory_mb;              /* peak memory limit (peak_mem_mb); NaN: none */
    double max_error;                  /* max |y - ref| limit; NaN: none */
    double max_accuracy_drop;          /* text task: test accuracy below the reference's, as a
                                 fraction; NaN: none */
    char reference[RB_REP_TARGET_MAX]; /* the target accuracy drops are measured against
                                          (default "cpu": fp32) */
    double qps; /* serving: the load to plan for (queries/s); NaN: none */
} rb_report_opts;

void rb_report_opts_default(rb_report_opts *o);

/* One target's standing on one workload. */
typedef struct rb_rank_entry {
    size_t result;    /* index into rb_report.results */
    int eligible;     /* ran ok, objective known, every constraint met */
    int rank;         /* 1 = best; ties share a rank; 0 when not eligible */
    int tie;          /* eligible and tied with the entry ranked above (intervals overlap) */
    double value;     /* objective value (NaN if unknown) */
    char reason[400]; /* one sentence from the numbers */
} rb_rank_entry;

typedef struct rb_workload_rec {
    size_t first, count;    /* the workload's results: rb_report.results[first .. first+count) */
    rb_rank_entry *entries; /* count entries: eligible by rank, then the rest */
    int n_eligible;
    int rests_on_model; /* the winner's margin is judged on a simulated or modeled figure */
} rb_workload_rec;

/* A target's standing over the whole matrix. */
typedef struct rb_overall_entry {
    int device;
    int rank;       /* 1 = recommended */
    int wins;       /* workloads where it ranks first (ties included) */
    int eligible;   /* workloads where it was eligible */
    int ran;        /* workloads it has a result for */
    double geomean; /* geometric mean of (its value / the best) over its eligible
                            workloads, >= 1 (1 = always the best); NaN if none */
    char reason[480];
} rb_overall_entry;

/* A served result (server scenario) planned for a load: how many devices
 * of it serve rb_report_opts.qps within its bound, at what energy. */
typedef struct rb_serve_plan_row {
    size_t result;        /* index into rb_report.results */
    double capacity_qps;  /* its largest rate within the bound (max_qps); NaN: not searched */
    int devices;          /* for opts.qps: ceil(qps / capacity); 0 when unknown or none can */
    double j_per_1000;    /* energy per 1000 queries at the reported load; NaN: unknown */
    double price_per_h;   /* a person's price of one device (run --price); NaN: none */
    double cost_per_m;    /* price per million queries: the devices for opts.qps at that
                             load, else one device at its capacity; NaN: no price */
    double p99_ms;        /* at the reported load */
    int rank;             /* 1 = the plan's choice; 0: not ranked */
} rb_serve_plan_row;

typedef struct rb_recommendation {
    rb_report_opts opts;
    size_t n_workloads;
    rb_workload_rec *w;
    int n_overall;
    rb_overall_entry *overall; /* by rank; targets never eligible last */
    char headline[1024];       /* the decision in one paragraph */
    char provenance[640];      /* what the decision rests on: measured / simulated / modeled */
    size_t n_serve;
    rb_serve_plan_row *serve; /* served results of the server scenario, by rank */
    int priced;               /* every row that can serve has a cost: ranked by it */
    char serving[1024];       /* the serving decision in one paragraph; "" when none */
} rb_recommendation;

/* The serving plan of rec (called by rb_recommend; reports/serving_plan.c). */
int rb_serving_plan(const rb_report *r, rb_recommendation *rec, rb_err *e);

int rb_recommend(const rb_report *r, const rb_report_opts *o, rb_recommendation *out, rb_err *e);
void rb_recommendation_free(rb_recommendation *rec);

/* The objective's value of one result (NaN when unknown), and whether
 * larger is better. */
double rb_objective_value(rb_objective o, const rb_rep_result *res);
int rb_objective_higher_better(rb_objective o);

/* ---- writers ----------------------------------------------------------------- */

typedef int (*rb_report_write_fn)(FILE *f, const rb_report *r, const rb_recommendation *rec,
                                  rb_err *e);

typedef struct rb_report_writer {
    const char *name; /* "html", "md", "csv", "json" */
    rb_report_write_fn write;
    const char *description;
} rb_report_writer;

/* The writers, {NULL} terminated (kmod's output-format table). */
extern const rb_report_writer rb_report_writers[];
const rb_report_writer *rb_report_writer_find(const char *name);

int rb_report_write_html(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e);
int rb_report_write_md(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e);
int rb_report_write_csv(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e);
int rb_report_write_json(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e);

/* One CSV text field, RFC 4180: quoted when it holds a comma, a quote or a
 * line break, quotes doubled; NULL writes nothing (an empty field).  Text
 * that begins with = + - @, a tab or a CR, which a spreadsheet would run as
 * a formula, is prefixed with ' (OWASP's advice against CSV injection): a
 * label "=HYPERLINK(...)" reads back as the text '=HYPERLINK(...).  Numbers
 * are not text and are written as they are.  Shared with `rnnbench query
 * --format csv`. */
void rb_csv_field(FILE *f, const char *s);

/* Text in a Markdown table cell (report --md, compare and history --format
 * md): '|' escaped, line breaks and other control characters made spaces,
 * and <, > and & entities, since renderers pass raw HTML through (a label
 * "<img onerror=...>" shows as text).  NULL writes nothing. */
void rb_md_text(FILE *f, const char *s);

/* Text from a database or a file on a terminal (table formats): control
 * characters, which would move the cursor, ring or rewrite the screen (ESC,
 * BEL, CR), printed as '?'.  NULL writes nothing. */
void rb_term_text(FILE *f, const char *s);

#endif
