/* store.h — results.db: SQLite, WAL, busy_timeout, versioned schema.
 *
 * One writer transaction per finished result, so a killed run keeps what
 * finished.  A run left 'running' by a process that no longer exists (SIGKILL,
 * power loss) is marked 'interrupted' the next time the database is opened
 * for writing. */
#ifndef RB_STORE_H
#define RB_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"

/* A build with RB_TEST_EXTRA_FIGURE has one figure more (reports/figure_table.h)
 * and the migration that adds its column. */
#ifdef RB_TEST_EXTRA_FIGURE
#define RB_SCHEMA_VERSION 8
#else
#define RB_SCHEMA_VERSION 7
#endif

/* PRAGMA application_id of a database rnnbench made ("RNNB"): `file` says
 * "SQLite 3.x database, application id 1380863554".  Databases made before
 * it was set are recognised by their schema and given it when next opened
 * for writing; any other SQLite database is refused untouched. */
#define RB_APPLICATION_ID 0x524E4E42

typedef struct rb_store rb_store;

typedef struct rb_run_info {
    const char *label;   /* may be NULL */
    const char *git_sha; /* may be NULL */
    const char *command_line;
    const char *host_json;     /* host metadata (Google Benchmark "context" style) */
    const char *config_json;   /* what --resume needs: targets, workload points, options */
    const char *warnings_json; /* array of strings: what makes timings unreliable */
    const char *version;       /* rnnbench version */
} rb_run_info;

/* Remove a database file and the -wal, -shm and -journal SQLite may leave
 * beside it (a scratch database: merge's). */
void rb_store_remove_files(const char *path);
/* readonly: open without creating or migrating (query, report). */
int rb_store_open(rb_store **out, const char *path, int readonly, rb_err *e);
void rb_store_close(rb_store *s);
int rb_store_schema_version(rb_store *s);

int rb_store_run_begin(rb_store *s, const rb_run_info *ri, int64_t *run_id, rb_err *e);
/* status: "complete" | "interrupted" | "failed" */
int rb_store_run_finish(rb_store *s, int64_t run_id, const char *status, rb_err *e);
/* For --resume: the run's status and config_json (caller frees *config). */
int rb_store_run_get(rb_store *s, int64_t run_id, char **status, char **config, rb_err *e);
/* The newest run that is shard `index` of partition `plan` (shard.h): its
 * id, 0 when there is none. */
int rb_store_shard_run(rb_store *s, const char *plan, int index, int64_t *run_id, rb_err *e);
/* Mark a run running again under this process (resume). */
int rb_store_run_reopen(rb_store *s, int64_t run_id, rb_err *e);

/* Which device of a run: the target, the instance's canonical name (NULL or
 * "": the target's name) and its options as a JSON object text (may be NULL). */
typedef struct rb_device_id {
    const char *target, *instance, *options_json;
} rb_device_id;

int rb_store_device(rb_store *s, int64_t run_id, const rb_device_id *who, const char *method,
                    const rb_device_info *d, int64_t *device_id, rb_err *e);
/* Attach a device to a run whose device row already exists (resume): finds it by instance. */
int rb_store_device_find(rb_store *s, int64_t run_id, const char *instance, int64_t *device_id,
                         rb_err *e);

/* Writes results + samples + metrics (and the workload row) in one transaction. */
int rb_store_result(rb_store *s, const rb_result *r, rb_err *e);
/* Does run `run_id` already hold a result with status ok/mismatch for (instance, key)? */
int rb_store_has_result(rb_store *s, int64_t run_id, const char *instance, const char *key,
                        int *has, rb_err *e);

/* `rnnbench merge` (store_merge.c): what a source brought. */
typedef struct rb_merge_stats {
    long runs_new, runs_known;  /* its runs new to the output, or already there */
    long results_added, results_replaced, results_same, conflicts;
    long running; /* its runs still running when copied */
} rb_merge_stats;
/* s is merge's scratch output (a file renamed into place at the end): no
 * durable journal while it fills, a large cache. */
int rb_store_merge_begin(rb_store *s, rb_err *e);
/* Carry every run of the database at path into s, in one transaction:
 * path is opened read-only and refused untouched if it is not an rnnbench
 * database, is newer, corrupt or locked; it is copied to tmp_path (which
 * the caller removes, with its -wal and -shm) and migrated there.
 * Conflicts are said on log. */
int rb_store_merge_from(rb_store *s, const char *path, const char *tmp_path, rb_merge_stats *ms,
                        FILE *log, rb_err *e);
/* After the sources: each merged run of shards complete, or incomplete with
 * its missing (point, instance) pairs stored and said on log per shard;
 * *incomplete counts the latter. */
int rb_store_merge_finish(rb_store *s, FILE *log, int *incomplete, rb_err *e);

/* One row of the accuracy table (SCHEMA.md); negative or non-finite
 * figures and NULL strings are stored as NULL. */
typedef struct rb_accuracy_row {
    const char *task, *model, *cell, *phase, *split, *numerics;
    int epoch;
    long n;
    double accuracy, macro_f1, loss;
    double baseline_accuracy, baseline_macro_f1;
    double agreement;
} rb_accuracy_row;

/* Insert or replace (same run, device, task, model, phase, split, epoch). */
int rb_store_accuracy(rb_store *s, int64_t run_id, int64_t device_id, const rb_accuracy_row *a,
                      rb_err *e);

typedef enum { RB_FMT_TABLE = 0, RB_FMT_CSV, RB_FMT_JSON } rb_format;
int rb_format_parse(const char *s, rb_format *out); /* 0 or -1 */

/* Run one read-only statement and write its rows.  Statements that would
 * write are refused (sqlite3_stmt_readonly) with RB_EINPUT. */
int rb_store_query(rb_store *s, const char *sql, rb_format fmt, FILE *out, rb_err *e);

#endif
