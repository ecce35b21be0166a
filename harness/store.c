/* store.c — results.db: opening, run bookkeeping, one transaction per result.
 *
 * Statements are prepared per call: a run writes one result per workload
 * point, far too rarely for statement caching to matter, and per-call
 * statements leave nothing to finalize on the error paths. */
#include "store_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

int rb_store_dberr(const rb_store *s, int rc, const char *what, rb_err *e)
{
    const char *path = s->path;
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return rb_errf(e, RB_EBUSY,
                       "%s is locked: another process holds it (gave up %s after %d ms); "
                       "wait for it to finish or use another --db",
                       path, what, s->busy_ms);
    case SQLITE_NOTADB:
        return rb_errf(e, RB_EDB,
                       "%s is not an SQLite database (corrupt?): move it aside or use --db", path);
    case SQLITE_CORRUPT:
        return rb_errf(e, RB_EDB, "%s is corrupt (%s while %s): move it aside or use --db", path,
                       msg, what);
    case SQLITE_READONLY:
        return rb_errf(e, RB_EDB,
                       "%s cannot be written (%s while %s): check its permissions or use --db",
                       path, msg, what);
    case SQLITE_FULL:
        return rb_errf(e, RB_EDB, "%s: disk full while %s: free space or use another --db", path,
                       what);
    case SQLITE_CANTOPEN:
        if (s->db &&
            (sqlite3_system_errno(s->db) == EMFILE || sqlite3_system_errno(s->db) == ENFILE))
            return rb_errf(e, RB_ERUNTIME, "cannot open %s: too many open files: raise `ulimit -n`",
                           path);
        return rb_errf(
            e, RB_EDB,
            "cannot open %s (%s): check the directory exists and is writable, or use --db", path,
            msg);
    default: return rb_errf(e, RB_EDB, "%s: %s while %s", path, msg, what);
    }
}

/* ---- small statement helpers ------------------------------------------ */

static int prepare(rb_store *s, const char *sql, sqlite3_stmt **st, const char *what, rb_err *e)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return rb_store_dberr(s, rc, what, e);
    }
    return 0;
}

/* Text that is NULL or "" is stored as SQL NULL: absent, not empty. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* A figure that cannot be negative (time, energy, error): negative or
 * non-finite means "none" and is stored as NULL. */
static void bind_nonneg(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v) && v >= 0)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Device figures use 0 for "unknown" (target.h). */
static void bind_known(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v) && v > 0)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Step a statement that returns no rows, then finalize it. */
static int step_done(rb_store *s, sqlite3_stmt *st, const char *what, rb_err *e)
{
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : rb_store_dberr(s, rc, what, e);
    sqlite3_finalize(st);
    return ret;
}

int rb_store_exec(rb_store *s, const char *sql, const char *what, rb_err *e)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, what, e);
}

static char *xstrdup(const char *v)
{
    if (!v)
        return NULL;
    size_t n = strlen(v) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, v, n);
    return p;
}

/* ---- open / close ------------------------------------------------------ */

static int busy_timeout_ms(void)
{
    const char *v = getenv("RB_BUSY_TIMEOUT_MS");
    if (v && *v) {
        char *end;
        long ms = strtol(v, &end, 10);
        if (*end == '\0' && ms >= 0 && ms <= 3600 * 1000)
            return (int)ms;
    }
    return RB_BUSY_TIMEOUT_MS_DEFAULT;
}

/* Alive, or owned by someone we may not signal (EPERM): either way not dead. */
static int pid_alive(sqlite3_int64 pid)
{
    if (pid <= 0 || pid > INT32_MAX)
        return 0;
    if ((pid_t)pid == getpid())
        return 1;
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* A run left 'running' by a process of this host that no longer exists was
 * killed (SIGKILL, OOM, power loss): say so.  finished_at stays NULL because
 * nobody knows when it died.  Runs of other hosts cannot be checked. */
static int recover_dead_runs(rb_store *s, rb_err *e)
{
    sqlite3_stmt *st;
    int ret = prepare(s, "SELECT id, pid FROM runs WHERE status = 'running' AND hostname = ?1", &st,
                      "looking for dead runs", e);
    if (ret)
        return ret;
    sqlite3_bind_text(st, 1, s->hostname, -1, SQLITE_STATIC);

    sqlite3_int64 *dead = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL || pid_alive(sqlite3_column_int64(st, 1)))
            continue; /* no pid recorded: cannot tell, leave it */
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            sqlite3_int64 *p = realloc(dead, ncap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(dead);
                return rb_errf(e, RB_ENOMEM, "out of memory while recovering dead runs in %s",
                               s->path);
            }
            dead = p;
            cap = ncap;
        }
        dead[n++] = sqlite3_column_int64(st, 0);
    }
    ret = rc == SQLITE_DONE ? 0 : rb_store_dberr(s, rc, "looking for dead runs", e);
    sqlite3_finalize(st);

    for (size_t i = 0; i < n && !ret; i++) {
        /* status = 'running' again in the WHERE: a concurrent resume may have
         * taken the run over since the SELECT. */
        ret = prepare(s,
                      "UPDATE runs SET status = 'interrupted' WHERE id = ?1 AND status = 'running'",
                      &st, "marking a dead run interrupted", e);
        if (!ret) {
            sqlite3_bind_int64(st, 1, dead[i]);
            ret = step_done(s, st, "marking a dead run interrupted", e);
        }
    }
    free(dead);
    return ret;
}

/* Is this a database rnnbench made?  Ours by its application_id; from
 * before the id, by its schema: a known user_version and our six main
 * tables.  A new, empty file is ours to make.  Anything else (an
 * application's own database, one with a table of ours by chance) is
 * refused before a byte of it changes. */
static int check_ours(rb_store *s, rb_err *e)
{
    int app = 0, tables = 0, ours = 0;
    /* One read transaction: a writer creating the schema beside us commits
     * its tables and its version together, and reads spread over two
     * snapshots would see the tables without the version (a database
     * "rnnbench did not make"). */
    int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = rb_store_pragma_int(s->db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = rb_store_pragma_int(s->db, "SELECT count(*) FROM sqlite_master", &tables);
    if (rc == SQLITE_OK)
        rc = rb_store_pragma_int(s->db,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                        " ('runs', 'devices', 'workloads', 'results', 'samples', 'metrics')",
                        &ours);
    if (rc == SQLITE_OK)
        rc = rb_store_read_version(s->db, &s->version);
    if (sqlite3_get_autocommit(s->db) == 0)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "reading the schema", e);
    s->app_id = app;
    if (app == RB_APPLICATION_ID || (app == 0 && tables == 0 && s->version == 0))
        return 0;
    if (app == 0 && s->version >= 1 && s->version <= RB_SCHEMA_VERSION && ours == 6)
        return 0; /* made before the application id */
    if (app != 0)
        return rb_errf(e, RB_EINPUT,
                       "%s is not an rnnbench database (SQLite application id %d, not rnnbench's "
                       "%d): left untouched; pass another --db",
                       s->path, app, RB_APPLICATION_ID);
    return rb_errf(e, RB_EINPUT,
                   "%s is an SQLite database that rnnbench did not make (%d table%s, schema "
                   "version %d, not rnnbench's tables): left untouched; pass another --db",
                   s->path, tables, tables == 1 ? "" : "s", s->version);
}

/* Before the first write: a damaged database is refused as it is, not
 * written into until it fails half-way (or, worse, completes on a file
 * whose integrity check fails).  quick_check reads every page once: about
 * as long as reading the file (README "Results database"). */
static int check_intact(rb_store *s, rb_err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
    char what[200] = "";
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(what, sizeof what, "%s", t ? (const char *)t : "");
        for (char *c = what; *c; c++)
            *c = *c == '\n' ? ' ' : *c; /* one line in the message */
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "checking the database before writing", e);
    if (strcmp(what, "ok"))
        return rb_errf(e, RB_EDB,
                       "%s is damaged (SQLite's quick_check: %s): refused untouched; recover what "
                       "it holds with `sqlite3 %s .recover`",
                       s->path, what, s->path);
    return 0;
}

void rb_store_remove_files(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (int i = 0; i < 4; i++)
        if (snprintf(p, sizeof p, "%s%s", path, suffix[i]) < (int)sizeof p)
            unlink(p);
}

/* Can this process write path and the directory it is in? */
static int writable(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return !access(path, W_OK) && !access(dir, W_OK);
}

/* A reader of a WAL database needs its -shm file, which it cannot create
 * in a directory it may not write (a shared results folder, a read-only
 * mount, another user's file).  Nothing can write there through us either,
 * so the file is opened as immutable: read as it is, without locks. */
static int open_immutable_if_needed(rb_store *s)
{
    int rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    int base = rc & 0xff;
    if (base != SQLITE_READONLY && base != SQLITE_CANTOPEN)
        return SQLITE_OK; /* readable, or an error check_readable reports */
    char uri[8192] = "file:";
    size_t at = strlen(uri);
    for (const unsigned char *c = (const unsigned char *)s->path; *c && at + 4 < sizeof uri; c++)
        at += (size_t)(isalnum(*c) || strchr("/._-~", *c)
                           ? snprintf(uri + at, sizeof uri - at, "%c", *c)
                           : snprintf(uri + at, sizeof uri - at, "%%%02X", *c));
    snprintf(uri + at, sizeof uri - at, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    return sqlite3_open_v2(uri, &s->db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
}

/* Read something so a file that is not a database fails here, at open, with
 * a message about the file rather than later about a statement. */
static int check_readable(rb_store *s, rb_err *e)
{
    int rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "reading the schema", e);
    rc = rb_store_read_version(s->db, &s->version);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "reading the schema version", e);
    if (s->version > RB_SCHEMA_VERSION)
        return rb_errf(e, RB_EDB,
                       "%s was written by a newer rnnbench (schema version %d, this build knows up "
                       "to %d): upgrade rnnbench or use another --db",
                       s->path, s->version, RB_SCHEMA_VERSION);
    return 0;
}

/* Writers starting together on a new file: the switch to WAL needs the
 * file to itself, and SQLite answers SQLITE_BUSY at once, without the busy
 * handler, while another process reads it: try again for the busy time. */
static int switch_to_wal(rb_store *s, rb_err *e)
{
    for (int waited = 0;; waited += 10) {
        int rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= s->busy_ms)
            return rb_store_dberr(s, rc, "switching to WAL", e);
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
}

static int open_readwrite(rb_store *s, rb_err *e)
{
    int ret = check_intact(s, e);
    /* WAL: readers (report, query) never block the writer, and a killed
     * writer loses at most the transaction it was in. */
    if (!ret)
        ret = switch_to_wal(s, e);
    if (!ret)
        ret = rb_store_migrate(s, e);
    if (!ret && s->app_id != RB_APPLICATION_ID)
        ret = rb_store_exec(s, "PRAGMA application_id = 1380863554",
                            "marking the database as rnnbench's", e);
    if (!ret)
        ret = recover_dead_runs(s, e);
    return ret;
}

int rb_store_open(rb_store **out, const char *path, int readonly, rb_err *e)
{
    *out = NULL;
    if (!path || !*path)
        return rb_errf(e, RB_EINPUT, "no database path given: pass --db PATH");
    struct stat sb;
    int exists = !stat(path, &sb);
    if (readonly && !exists)
        return rb_errf(e, RB_EINPUT, "no such database: %s (run `rnnbench run` first or pass --db)",
                       path);
    if (exists && !S_ISREG(sb.st_mode))
        return rb_errf(e, RB_EINPUT, "%s is %s, not a database file: pass --db FILE", path,
                       S_ISDIR(sb.st_mode) ? "a directory" : "not a regular file");

    rb_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = xstrdup(path))) {
        free(s);
        return rb_errf(e, RB_ENOMEM, "out of memory opening %s", path);
    }
    s->readonly = readonly;
    s->busy_ms = busy_timeout_ms();
    if (gethostname(s->hostname, sizeof s->hostname) != 0)
        s->hostname[0] = '\0';
    s->hostname[sizeof s->hostname - 1] = '\0';

    /* NOMUTEX: a connection is only ever used by the thread that opened it, so
     * SQLite's per-call locking is pure cost (a report reads 10^6 rows) */
    /* A reader that may write the file and its directory opens it read-write
     * with query_only set: SQLite then removes the -wal and -shm files it
     * made when it closes, which a read-only connection cannot (a report
     * would leave them beside every database it read). */
    int quiet_rw = readonly && writable(path);
    int flags =
        (readonly && !quiet_rw ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | (readonly ? 0 : SQLITE_OPEN_CREATE)) |
        SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc == SQLITE_OK && quiet_rw)
        rc = sqlite3_exec(s->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
    else if (rc == SQLITE_OK && readonly)
        rc = open_immutable_if_needed(s);
    int ret = rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "opening", e);
    if (!ret) {
        sqlite3_busy_timeout(s->db, s->busy_ms);
        ret = rb_store_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", e);
    }
    if (!ret)
        ret = check_readable(s, e);
    if (!ret)
        ret = check_ours(s, e);
    if (!ret && !readonly)
        ret = open_readwrite(s, e);
    if (!ret && readonly && s->version == 0)
        ret = rb_errf(e, RB_EINPUT,
                      "%s holds no rnnbench results (schema version 0): run `rnnbench run --db "
                      "%s` first or pass the right --db",
                      path, path);
    if (ret) {
        /* refused untouched: a read-write connection's close would otherwise
         * checkpoint a foreign or newer database's WAL into its file */
        if (s->db)
            sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
        rb_store_close(s);
        /* a database this open created and could not set up is not left
         * behind as an empty file (ulimit -n, a full disk, a lock) */
        if (!exists && !readonly)
            rb_store_remove_files(path);
        return ret;
    }
    *out = s;
    return 0;
}

void rb_store_close(rb_store *s)
{
    if (!s)
        return;
    if (s->db) {
        /* Every statement here is finalized by its function; this loop only
         * guards against a leak turning close into SQLITE_BUSY. */
        sqlite3_stmt *st;
        while ((st = sqlite3_next_stmt(s->db, NULL)) != NULL)
            sqlite3_finalize(st);
        sqlite3_close(s->db);
    }
    free(s->path);
    free(s);
}

int rb_store_schema_version(rb_store *s) { return s->version; }

/* ---- runs -------------------------------------------------------------- */

static int no_run(const rb_store *s, int64_t run_id, rb_err *e)
{
    return rb_errf(e, RB_EINPUT, "no run %lld in %s (the v_runs view lists its runs)",
                   (long long)run_id, s->path);
}

int rb_store_run_begin(rb_store *s, const rb_run_info *ri, int64_t *run_id, rb_err *e)
{
    static const char sql[] =
        "INSERT INTO runs (started_at, status, label, git_sha, command_line, host_json,"
        " config_json, warnings_json, version, pid, hostname, kind, uuid)"
        " VALUES (" RB_SQL_NOW ", 'running', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        RB_RUN_KIND_SQL("?5") ", " RB_SQL_UUID ")";
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, "recording a new run", e);
    if (ret)
        return ret;
    bind_text(st, 1, ri->label);
    bind_text(st, 2, ri->git_sha);
    bind_text(st, 3, ri->command_line);
    bind_text(st, 4, ri->host_json);
    bind_text(st, 5, ri->config_json);
    bind_text(st, 6, ri->warnings_json);
    bind_text(st, 7, ri->version);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)getpid());
    bind_text(st, 9, s->hostname);
    ret = step_done(s, st, "recording a new run", e);
    if (!ret)
        *run_id = sqlite3_last_insert_rowid(s->db);
    return ret;
}

int rb_store_run_finish(rb_store *s, int64_t run_id, const char *status, rb_err *e)
{
    if (!status ||
        (strcmp(status, "complete") && strcmp(status, "interrupted") && strcmp(status, "failed")))
        return rb_errf(e, RB_EINPUT, "run status '%s' is not complete, interrupted or failed",
                       status ? status : "(null)");
    sqlite3_stmt *st;
    int ret = prepare(s, "UPDATE runs SET status = ?1, finished_at = " RB_SQL_NOW " WHERE id = ?2",
                      &st, "finishing a run", e);
    if (ret)
        return ret;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    ret = step_done(s, st, "finishing a run", e);
    if (!ret && sqlite3_changes(s->db) == 0)
        ret = no_run(s, run_id, e);
    return ret;
}

/* One run's row.  Strings are malloc'd (NULL where the column is NULL). */
typedef struct run_row {
    char *status, *config, *hostname;
    sqlite3_int64 pid;
} run_row;

static void run_row_free(run_row *r)
{
    free(r->status);
    free(r->config);
    free(r->hostname);
    memset(r, 0, sizeof *r);
}

/* RB_EINPUT when there is no such run (a wrong id is bad input). */
static int read_run(rb_store *s, int64_t run_id, run_row *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int ret = prepare(s, "SELECT status, config_json, hostname, pid FROM runs WHERE id = ?1", &st,
                      "reading a run", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        for (int c = 0; c < 3; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            char *copy = xstrdup(v);
            if (v && !copy)
                ret = rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", (long long)run_id);
            *(c == 0 ? &out->status : c == 1 ? &out->config : &out->hostname) = copy;
        }
        out->pid = sqlite3_column_int64(st, 3);
        if (ret)
            run_row_free(out);
    } else if (rc == SQLITE_DONE) {
        ret = no_run(s, run_id, e);
    } else {
        ret = rb_store_dberr(s, rc, "reading a run", e);
    }
    sqlite3_finalize(st);
    return ret;
}

int rb_store_run_get(rb_store *s, int64_t run_id, char **status, char **config, rb_err *e)
{
    run_row r;
    int ret = read_run(s, run_id, &r, e);
    *status = r.status;
    *config = r.config;
    free(r.hostname);
    return ret;
}

int rb_store_shard_run(rb_store *s, const char *plan, int index, int64_t *run_id, rb_err *e)
{
    sqlite3_stmt *st;
    int ret = prepare(s,
                      "SELECT id FROM runs WHERE json_extract(config_json, '$.shard.plan') = ?1"
                      " AND json_extract(config_json, '$.shard.index') = ?2 ORDER BY id DESC"
                      " LIMIT 1",
                      &st, "looking for the shard's run", e);
    if (ret)
        return ret;
    sqlite3_bind_text(st, 1, plan, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, index);
    int rc = sqlite3_step(st);
    *run_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? 0
               : rb_store_dberr(s, rc, "looking for the shard's run", e);
}

/* Refuse to take over a run another live process on this host is running:
 * two writers interleaving results of one run would make it meaningless. */
static int check_not_running_elsewhere(rb_store *s, int64_t run_id, rb_err *e)
{
    run_row r;
    int ret = read_run(s, run_id, &r, e);
    if (!ret && r.status && !strcmp(r.status, "running") && r.hostname &&
        !strcmp(r.hostname, s->hostname) && (pid_t)r.pid != getpid() && pid_alive(r.pid))
        ret = rb_errf(e, RB_EINPUT,
                      "run %lld is still running (pid %lld on %s): wait for it or stop it "
                      "before resuming",
                      (long long)run_id, (long long)r.pid, r.hostname);
    run_row_free(&r);
    return ret;
}

int rb_store_run_reopen(rb_store *s, int64_t run_id, rb_err *e)
{
    int ret = check_not_running_elsewhere(s, run_id, e);
    if (ret)
        return ret;
    sqlite3_stmt *st;
    ret = prepare(s,
                  "UPDATE runs SET status = 'running', finished_at = NULL, pid = ?1, hostname = ?2"
                  " WHERE id = ?3",
                  &st, "reopening a run", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)getpid());
    bind_text(st, 2, s->hostname);
    sqlite3_bind_int64(st, 3, run_id);
    ret = step_done(s, st, "reopening a run", e);
    if (!ret && sqlite3_changes(s->db) == 0)
        ret = no_run(s, run_id, e);
    return ret;
}

/* ---- devices ----------------------------------------------------------- */

static int insert_metrics_into(rb_store *s, const char *sql, sqlite3_int64 owner,
                               const rb_metric *items, int n, const char *what, rb_err *e);

static int insert_resources(rb_store *s, sqlite3_int64 device_id, const rb_device_info *d,
                            rb_err *e)
{
    int n = d->n_resources < RB_DEVICE_MAX_RESOURCES ? d->n_resources : RB_DEVICE_MAX_RESOURCES;
    return insert_metrics_into(s,
                               "INSERT OR REPLACE INTO resources (device_id, key, value, unit, "
                               "source) VALUES (?1, ?2, ?3, ?4, ?5)",
                               device_id, d->resources, n, "recording device resources", e);
}

int rb_store_device(rb_store *s, int64_t run_id, const rb_device_id *who, const char *method,
                    const rb_device_info *d, int64_t *device_id, rb_err *e)
{
    static const char sql[] =
        "INSERT INTO devices (run_id, target, name, type, method, numerics, peak_flops, mem_bw,"
        " power_w, power_source, extra_json, instance, options_json, host)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    const char *target = who ? who->target : NULL;
    if (!target || !*target)
        return rb_errf(e, RB_EINPUT, "storing a device without a target name");
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, "recording a device", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    bind_text(st, 3, d->name);
    bind_text(st, 4, d->type);
    bind_text(st, 5, method);
    bind_text(st, 6, d->numerics);
    bind_known(st, 7, d->peak_flops);
    bind_known(st, 8, d->mem_bw);
    bind_known(st, 9, d->power_w);
    bind_text(st, 10, d->power_source);
    bind_text(st, 11, d->extra_json);
    sqlite3_bind_text(st, 12, who->instance && *who->instance ? who->instance : target, -1,
                      SQLITE_STATIC);
    bind_text(st, 13, who->options_json);
    bind_text(st, 14, s->hostname);
    /* the device and its resources together, or neither */
    if ((ret = rb_store_exec(s, "BEGIN IMMEDIATE", "recording a device", e))) {
        sqlite3_finalize(st);
        return ret;
    }
    ret = step_done(s, st, "recording a device", e);
    if (!ret)
        *device_id = sqlite3_last_insert_rowid(s->db);
    if (!ret)
        ret = insert_resources(s, *device_id, d, e);
    if (!ret)
        ret = rb_store_exec(s, "COMMIT", "committing a device", e);
    if (ret)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

int rb_store_device_find(rb_store *s, int64_t run_id, const char *instance, int64_t *device_id,
                         rb_err *e)
{
    sqlite3_stmt *st;
    int ret =
        prepare(s, "SELECT id FROM devices WHERE run_id = ?1 AND instance = ?2 ORDER BY id LIMIT 1",
                &st, "looking up a device", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, instance, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *device_id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        ret = rb_errf(e, RB_EINPUT, "run %lld has no device for target '%s' in %s",
                      (long long)run_id, instance, s->path);
    else
        ret = rb_store_dberr(s, rc, "looking up a device", e);
    sqlite3_finalize(st);
    return ret;
}

/* ---- results ----------------------------------------------------------- */

static int upsert_workload(rb_store *s, const rb_workload *w, sqlite3_int64 *id, rb_err *e)
{
    /* The key is derived from the other columns, so an existing row already
     * describes the same problem; refreshing flops keeps the row in step with
     * the formulas of the build that last wrote it. */
    static const char ins[] =
        "INSERT INTO workloads (key, cell, mode, seq, input, hidden, layers, batch, input_proj,"
        " flops, dirs, features, model, scenario, qps, streams, slo_ms, max_batch,"
        " batch_timeout_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, ?18, ?19) ON CONFLICT (key) DO UPDATE SET flops = excluded.flops";
    sqlite3_stmt *st;
    int ret = prepare(s, ins, &st, "recording a workload", e);
    if (ret)
        return ret;
    sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rb_cell_name(w->cell), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rb_mode_name(w->mode), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, w->seq);
    sqlite3_bind_int(st, 5, w->input);
    sqlite3_bind_int(st, 6, w->hidden);
    sqlite3_bind_int(st, 7, w->layers);
    sqlite3_bind_int(st, 8, w->batch);
    sqlite3_bind_int(st, 9, w->input_proj ? 1 : 0);
    sqlite3_bind_double(st, 10, rb_workload_flops(w));
    sqlite3_bind_int(st, 11, rb_workload_dirs(w));
    char feats[128];
    if (w->features)
        sqlite3_bind_text(st, 12, rb_features_str(w->features, feats, sizeof feats), -1,
                          SQLITE_TRANSIENT);
    if (w->model[0])
        sqlite3_bind_text(st, 13, w->model, -1, SQLITE_STATIC);
    const rb_serve_spec *v = &w->serve;
    if (v->scenario) {
        sqlite3_bind_text(st, 14, rb_scenario_name(v->scenario), -1, SQLITE_STATIC);
        if (v->qps)
            sqlite3_bind_int(st, 15, v->qps);
        if (v->streams)
            sqlite3_bind_int(st, 16, v->streams);
        if (v->slo_us)
            sqlite3_bind_double(st, 17, v->slo_us / 1000.0);
        sqlite3_bind_int(st, 18, v->max_batch);
        sqlite3_bind_double(st, 19, v->timeout_us / 1000.0);
    }
    if ((ret = step_done(s, st, "recording a workload", e)))
        return ret;

    /* last_insert_rowid is not set by the DO UPDATE branch: look it up. */
    if ((ret =
             prepare(s, "SELECT id FROM workloads WHERE key = ?1", &st, "recording a workload", e)))
        return ret;
    sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else
        ret = rb_store_dberr(s, rc, "recording a workload", e);
    sqlite3_finalize(st);
    return ret;
}

/* INSERT for a result row: the fixed columns, then one per figure of the
 * figure table, in its order (bound from ?FIXED_BINDS + 1 on). */
#define FIXED_BINDS 12
static int results_insert_sql(char *sql, size_t n)
{
    int at = snprintf(sql, n,
                      "INSERT OR REPLACE INTO results (run_id, device_id, workload_id, numerics,"
                      " threads, status, message, reps, warmup, latency_source, energy_source,"
                      " energy_boundary, created_at");
    for (int i = 0; i < RB_N_FIGURES && at < (int)n; i++)
        at += snprintf(sql + at, n - (size_t)at, ", %s", rb_figure_table[i].name);
    at += snprintf(sql + at, at < (int)n ? n - (size_t)at : 0,
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, %s", RB_SQL_NOW);
    for (int i = 0; i < RB_N_FIGURES && at < (int)n; i++)
        at += snprintf(sql + at, n - (size_t)at, ", ?%d", FIXED_BINDS + 1 + i);
    at += snprintf(sql + at, at < (int)n ? n - (size_t)at : 0, ")");
    return at < (int)n ? 0 : -1;
}

static int insert_result_row(rb_store *s, const rb_result *r, sqlite3_int64 workload_id,
                             sqlite3_int64 *result_id, rb_err *e)
{
    /* REPLACE: a point re-run within the same run (resume after a failure)
     * supersedes the old row; ON DELETE CASCADE takes its samples and
     * metrics with it. */
    char sql[2048];
    if (results_insert_sql(sql, sizeof sql))
        return rb_errf(e, RB_ERUNTIME,
                       "recording a result: the figure table outgrew the SQL buffer");
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, "recording a result", e);
    if (ret)
        return ret;
    int timed = r->reps > 0; /* statistics of zero repetitions are not figures */
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, r->device_id);
    sqlite3_bind_int64(st, 3, workload_id);
    bind_text(st, 4, r->numerics);
    sqlite3_bind_int(st, 5, r->threads);
    sqlite3_bind_text(st, 6, r->status, -1, SQLITE_STATIC);
    bind_text(st, 7, r->message);
    sqlite3_bind_int(st, 8, timed ? r->reps : 0);
    sqlite3_bind_int(st, 9, r->warmup);
    bind_text(st, 10, timed ? r->latency_source : NULL);
    bind_text(st, 11, isfinite(r->energy_j) ? r->energy_source : NULL);
    bind_text(st, 12, isfinite(r->energy_j) && r->energy_source ? r->energy_boundary : NULL);
    for (int i = 0; i < RB_N_FIGURES; i++) {
        const rb_figdef *d = &rb_figure_table[i];
        double v = r->fig[i];
        if (d->from == RB_FROM_ENERGY && !r->energy_source)
            v = NAN; /* energy without a source is not a figure */
        if (isfinite(v) && (timed || !rb_figure_timed(d)))
            sqlite3_bind_double(st, FIXED_BINDS + 1 + i, v);
        else
            sqlite3_bind_null(st, FIXED_BINDS + 1 + i);
    }
    ret = step_done(s, st, "recording a result", e);
    if (!ret)
        *result_id = sqlite3_last_insert_rowid(s->db);
    return ret;
}

static int insert_samples(rb_store *s, const rb_result *r, sqlite3_int64 result_id, rb_err *e)
{
    if (r->reps <= 0 || !r->samples_ms)
        return 0;
    sqlite3_stmt *st;
    int ret = prepare(s, "INSERT INTO samples (result_id, rep, value_ms) VALUES (?1, ?2, ?3)", &st,
                      "recording samples", e);
    for (int i = 0; !ret && i < r->reps; i++) {
        sqlite3_bind_int64(st, 1, result_id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_double(st, 3, r->samples_ms[i]);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            ret = rb_store_dberr(s, rc, "recording samples", e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ret;
}

/* name/value/unit/source rows owned by one id: a result's metrics, a
 * device's resources.  REPLACE on (owner, name): a later one of the same name
 * wins, as rb_sample_metric overwrites. */
static int insert_metrics_into(rb_store *s, const char *sql, sqlite3_int64 owner,
                               const rb_metric *items, int n, const char *what, rb_err *e)
{
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, what, e);
    for (int i = 0; !ret && i < n; i++) {
        const rb_metric *m = &items[i];
        sqlite3_bind_int64(st, 1, owner);
        sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
        if (isfinite(m->value))
            sqlite3_bind_double(st, 3, m->value);
        else
            sqlite3_bind_null(st, 3);
        bind_text(st, 4, m->unit);
        bind_text(st, 5, m->source);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            ret = rb_store_dberr(s, rc, what, e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ret;
}

static int insert_metrics(rb_store *s, const rb_result *r, sqlite3_int64 result_id, rb_err *e)
{
    return insert_metrics_into(s,
                               "INSERT OR REPLACE INTO metrics (result_id, name, value, unit, "
                               "source) VALUES (?1, ?2, ?3, ?4, ?5)",
                               result_id, r->metrics, r->n_metrics, "recording metrics", e);
}

/* A served result's latency histogram (non-empty slots, ms), batch sizes
 * and load levels. */
static int insert_served(rb_store *s, const rb_result *r, sqlite3_int64 result_id, rb_err *e)
{
    const rb_served *v = r->served;
    if (!v)
        return 0;
    sqlite3_stmt *st;
    int ret = prepare(s,
                      "INSERT INTO histograms (result_id, name, lo, hi, count) VALUES (?1, ?2, ?3, "
                      "?4, ?5)",
                      &st, "recording a histogram", e);
    for (size_t k = 0; !ret && k <= RB_HIST_SLOTS + RB_SERVE_MAX_BATCH; k++) {
        int lat = k < RB_HIST_SLOTS;
        uint64_t c = lat ? v->lat.count[k] : v->batch_count[k - RB_HIST_SLOTS];
        if (!c)
            continue;
        double lo, hi;
        if (lat) {
            rb_hist_slot_range(k, &lo, &hi);
            lo *= 1e3;
            hi *= 1e3;
        } else {
            lo = hi = (double)(k - RB_HIST_SLOTS);
        }
        sqlite3_bind_int64(st, 1, result_id);
        sqlite3_bind_text(st, 2, lat ? "latency_ms" : "batch", -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, lo);
        sqlite3_bind_double(st, 4, hi);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)c);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            ret = rb_store_dberr(s, rc, "recording a histogram", e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (ret || (ret = prepare(s,
                              "INSERT INTO load_points (result_id, seq, offered_qps, achieved_qps, "
                              "p50_ms, p99_ms, queries) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              &st, "recording load points", e)))
        return ret;
    for (int i = 0; !ret && i < v->n_load; i++) {
        const rb_load_point *p = &v->load[i];
        const double f[] = {p->achieved_qps, p->p50_ms, p->p99_ms};
        sqlite3_bind_int64(st, 1, result_id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_double(st, 3, p->offered_qps);
        for (int j = 0; j < 3; j++)
            if (isfinite(f[j]))
                sqlite3_bind_double(st, 4 + j, f[j]);
            else
                sqlite3_bind_null(st, 4 + j);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)p->queries);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            ret = rb_store_dberr(s, rc, "recording load points", e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ret;
}

static int check_result(const rb_result *r, rb_err *e)
{
    if (!r->w || !r->w->key[0])
        return rb_errf(e, RB_EINPUT, "storing a result without a workload");
    if (!r->status || !*r->status)
        return rb_errf(e, RB_EINPUT, "storing result %s without a status", r->w->key);
    if (r->n_metrics < 0 || r->n_metrics > (int)(sizeof r->metrics / sizeof r->metrics[0]))
        return rb_errf(e, RB_EINPUT, "result %s has %d metrics (at most %d)", r->w->key,
                       r->n_metrics, (int)(sizeof r->metrics / sizeof r->metrics[0]));
    for (int i = 0; i < r->n_metrics; i++)
        if (!r->metrics[i].name[0])
            return rb_errf(e, RB_EINPUT, "result %s: metric %d has no name", r->w->key, i);
    return 0;
}

int rb_store_result(rb_store *s, const rb_result *r, rb_err *e)
{
    int ret = check_result(r, e);
    if (ret)
        return ret;
    /* One transaction per result: a killed run keeps every finished point and
     * never half of one. */
    if ((ret = rb_store_exec(s, "BEGIN IMMEDIATE", "starting to record a result", e))) {
        rb_err_prefix(e, "result %s not stored: ", r->w->key);
        return ret;
    }
    sqlite3_int64 workload_id = 0, result_id = 0;
    ret = upsert_workload(s, r->w, &workload_id, e);
    if (!ret)
        ret = insert_result_row(s, r, workload_id, &result_id, e);
    if (!ret)
        ret = insert_samples(s, r, result_id, e);
    if (!ret)
        ret = insert_metrics(s, r, result_id, e);
    if (!ret)
        ret = insert_served(s, r, result_id, e);
    if (!ret)
        ret = rb_store_exec(s, "COMMIT", "committing a result", e);
    if (ret) {
        /* e already holds sqlite's message: ROLLBACK would have replaced it. */
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        rb_err_prefix(e, "result %s not stored: ", r->w->key);
    }
    return ret;
}

int rb_store_has_result(rb_store *s, int64_t run_id, const char *instance, const char *key,
                        int *has, rb_err *e)
{
    static const char sql[] = "SELECT 1 FROM results r"
                              " JOIN devices d ON d.id = r.device_id"
                              " JOIN workloads w ON w.id = r.workload_id"
                              " WHERE r.run_id = ?1 AND d.instance = ?2 AND w.key = ?3"
                              "   AND r.status IN ('ok', 'mismatch')"
                              " LIMIT 1";
    *has = 0;
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, "looking up a result", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, instance, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *has = 1;
    else if (rc != SQLITE_DONE)
        ret = rb_store_dberr(s, rc, "looking up a result", e);
    sqlite3_finalize(st);
    return ret;
}

int rb_store_accuracy(rb_store *s, int64_t run_id, int64_t device_id, const rb_accuracy_row *a,
                      rb_err *e)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO accuracy (run_id, device_id, task, model, cell, phase, split,"
        " epoch, n, accuracy, macro_f1, loss, baseline_accuracy, baseline_macro_f1, agreement,"
        " numerics, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, " RB_SQL_NOW
        ")";
    if (!a->task || !a->split || !a->phase)
        return rb_errf(e, RB_EINPUT, "storing accuracy without a task, phase or split");
    sqlite3_stmt *st;
    int ret = prepare(s, sql, &st, "recording accuracy", e);
    if (ret)
        return ret;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_text(st, 3, a->task, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, a->model ? a->model : "", -1, SQLITE_TRANSIENT);
    bind_text(st, 5, a->cell);
    sqlite3_bind_text(st, 6, a->phase, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, a->split, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 8, a->epoch);
    if (a->n > 0)
        sqlite3_bind_int64(st, 9, a->n);
    else
        sqlite3_bind_null(st, 9);
    const double v[] = {a->accuracy,          a->macro_f1,          a->loss,
                        a->baseline_accuracy, a->baseline_macro_f1, a->agreement};
    for (int i = 0; i < 6; i++)
        bind_nonneg(st, 10 + i, v[i]);
    bind_text(st, 16, a->numerics);
    return step_done(s, st, "recording accuracy", e);
}

_Static_assert(RB_APPLICATION_ID == 1380863554, "the PRAGMA above spells RB_APPLICATION_ID");
