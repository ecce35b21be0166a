/* store_internal.h — what the store's files share: store.c (writes),
 * store_schema.c (migrations), store_report.c (reads), store_query.c
 * (`rnnbench query`).  Not part of the public API: only the store's own files
 * include it (and its unit test). */
#ifndef RB_STORE_INTERNAL_H
#define RB_STORE_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

/* How long a writer waits for another process's lock before giving up.  Tests
 * shorten it with the environment variable RB_BUSY_TIMEOUT_MS so a "locked"
 * case does not take five seconds. */
#define RB_BUSY_TIMEOUT_MS_DEFAULT 5000

/* ISO-8601 UTC with milliseconds, computed by SQLite so every timestamp in the
 * database has the same shape: 2024-05-01T12:34:56.789Z */
#define RB_SQL_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
/* A random (version 4) UUID: a run's identity across databases (merge). */
#define RB_SQL_UUID                                                                                \
    "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||"                   \
    " substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||" \
    " substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"

struct rb_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int busy_ms;
    int version;        /* PRAGMA user_version after open (and migration) */
    int app_id;         /* PRAGMA application_id as opened (0 before rnnbench set it) */
    char hostname[256]; /* this host, for dead-run recovery */
};

/* Forward migrations: rb_store_migrations[v] takes a database from
 * user_version v to v + 1.  Adding migration 2 = appending one entry and
 * bumping RB_SCHEMA_VERSION. */
extern const char *const rb_store_migrations[];
/* runs.kind from a run's configuration JSON (the SQL expression cfg):
 * "benchmark" for `rnnbench run` (no "command"), else the command. */
#define RB_RUN_KIND_SQL(cfg)                                                                       \
    "CASE coalesce(json_extract(" cfg ", '$.command'), 'run') WHEN 'run' THEN 'benchmark' "       \
    "ELSE json_extract(" cfg ", '$.command') END"
extern const size_t rb_store_n_migrations;

/* Read PRAGMA user_version into *version (sqlite result code returned). */
int rb_store_read_version(sqlite3 *db, int *version);
/* The first column of the first row of sql (a PRAGMA, a count) as an int. */
int rb_store_pragma_int(sqlite3 *db, const char *sql, int *out);

/* Bring a read-write database up to RB_SCHEMA_VERSION, all in one transaction. */
int rb_store_migrate(rb_store *s, rb_err *e);

/* Turn a failed sqlite result code into an RB_EDB error naming the database
 * and what was being done (`what`); call it before ROLLBACK, which would
 * overwrite sqlite's message. */
int rb_store_dberr(const rb_store *s, int rc, const char *what, rb_err *e);

/* sqlite3_exec(sql), its failure an RB_EDB error naming `what`. */
int rb_store_exec(rb_store *s, const char *sql, const char *what, rb_err *e);

/* Column readers for the readers (store_report.c): NULL is NaN for
 * numbers, "" for text; text is cut to fit (a million of these per report:
 * no printf machinery). */
static inline double rb_col_d(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static inline void rb_col_s(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t l = t ? strnlen(t, n - 1) : 0;
    memcpy(buf, t ? t : "", l);
    buf[l] = 0;
}

#endif
