/* store_report.h — results.db into the rows `rnnbench report` hands to reports/. */
#ifndef RB_REPORT_LOAD_H
#define RB_REPORT_LOAD_H

#include "../reports/report.h"
#include "store.h"

typedef struct rb_report_select {
    long long run_id;  /* > 0: this run */
    const char *label; /* else, non-NULL: the newest run with this label */
                       /* else the newest run */
    /* Load for `compare` and `export` (figures.c): the run's own accuracy
     * rows (each curve's last epoch, test split) instead of the newest task
     * runs', and no history. */
    int figures;
    int samples;         /* with every result's raw repetitions */
    long long before_id; /* > 0, with label: the newest such run before this one */
} rb_report_select;

/* The run sel names: --run ID, --label L (the newest benchmark run with
 * that label) or the newest benchmark run (train and eval runs are not
 * benchmark runs).  RB_EINPUT naming what was asked when none matches. */
int rb_store_select_run(rb_store *s, const rb_report_select *sel, long long *run_id, rb_err *e);

/* RB_EINPUT when no run matches (naming what was asked); RB_EDB, RB_ENOMEM. */
int rb_store_load_report(rb_store *s, const rb_report_select *sel, rb_report *r, rb_err *e);

/* Several runs in one report (made on different days or machines): the
 * first as rb_store_load_report loads it (its run row, the task's accuracy,
 * history), then every other run's devices and results; every device and
 * missing target is named with its run ("cpu (run 3, monday)") so each row
 * says where it comes from and the recommendation weighs each (run,
 * instance) as a candidate.  RB_EINPUT when a run is asked for twice. */
int rb_store_load_runs(rb_store *s, const rb_report_select *sel, int n, rb_report *r, rb_err *e);

/* One point of a figure's history: an ok result of one instance and workload. */
typedef struct rb_history_point {
    long long run;
    char started[32], label[64], sha[16], config[32];
    double value;
    int n; /* repetitions behind it */
} rb_history_point;

/* What `history --metric` follows: a figure of the table (its index,
 * reports/figure_table.h), or the simulated cycles a target records as a
 * metric.  rb_history_metric_find takes a figure's name or short name
 * (median, p99, throughput, err, ...) or "cycles"; -1: none of them. */
#define RB_HISTORY_CYCLES RB_N_FIGURES
int rb_history_metric_find(const char *name);
const char *rb_history_metric_name(int metric);
const char *rb_history_metric_unit(int metric);
int rb_history_metric_higher(int metric);

/* The ok results of instance on workload (in numerics config, or all when
 * NULL) with a value of metric, by number format, then run;
 * *out malloc'd.  An instance matches its own name; old rows have the
 * target's. */
int rb_store_history(rb_store *s, const char *instance, const char *workload, int metric,
                     const char *config, rb_history_point **out, size_t *n, rb_err *e);

#endif
