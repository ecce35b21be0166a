/* report_load.h — results.db into the rows `rnnbench report` hands to reports/. */
#ifndef RB_REPORT_LOAD_H
#define RB_REPORT_LOAD_H

#include "../reports/report.h"
#include "store.h"

typedef struct rb_report_select {
    long long run_id;  /* > 0: this run */
    const char *label; /* else, non-NULL: the newest run with this label */
                       /* else the newest run */
} rb_report_select;

/* The run sel names: --run ID, --label L (the newest benchmark run with
 * that label) or the newest benchmark run (train and eval runs are not
 * benchmark runs).  RB_EINPUT naming what was asked when none matches. */
int rb_store_select_run(rb_store *s, const rb_report_select *sel, long long *run_id, rb_err *e);

/* RB_EINPUT when no run matches (naming what was asked); RB_EDB, RB_ENOMEM. */
int rb_store_load_report(rb_store *s, const rb_report_select *sel, rb_report *r, rb_err *e);

#endif
