/* store_merge.c — `rnnbench merge`: the runs of other databases carried
 * into one (a fleet's shards, or any databases from any machines).
 *
 * Identity decides what is new.  A run is known by its uuid; the shards of
 * one partition (run --shard, shard.h) by their plan: they become one run
 * of uuid "shards-PLAN", whose devices are (instance, host) pairs.  A result
 * is (run, device, workload) plus the uuid of the run that measured it
 * (results.origin): met again from the same origin it is the same result
 * (kept; replaced when the source's is newer, as a resumed shard re-runs a
 * failed point), from another origin a conflict (reported, the first kept:
 * two measurements of one point are not ours to choose between).  So
 * merging twice, or overlapping files, adds nothing twice.
 *
 * A source is first copied (SQLite's backup API, consistent under a
 * writer) to a temporary file, opened for writing there — which migrates an
 * older schema — and attached: the source file is never written, and every
 * row is read with this build's columns.  One source at a time: memory does
 * not grow with their number. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/utf8.h"
#include "run_config.h"
#include "store_internal.h"

/* The columns of main.table but those in skip, comma-separated, each
 * prefixed with `prefix` ("" or "r."). */
static int columns(rb_store *s, const char *table, const char *const *skip, const char *prefix,
                   char *out, size_t n, rb_err *e)
{
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s', 'main')", table);
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "reading a table's columns", e);
    size_t at = 0;
    out[0] = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        int skipped = 0;
        for (const char *const *k = skip; *k && !skipped; k++)
            skipped = !strcmp(*k, c);
        if (!skipped && at < n)
            at += (size_t)snprintf(out + at, n - at, "%s%s\"%s\"", at ? ", " : "", prefix, c);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_store_dberr(s, rc, "reading a table's columns", e);
    return at < n ? 0 : rb_errf(e, RB_EDB, "merge: table %s has too many columns", table);
}

/* One run of the source and the run of the output it goes into. */
typedef struct src_run {
    sqlite3_int64 id, dst;
    char uuid[80], plan[17], status[16], host[256];
    int shard_index, shard_count;
} src_run;

/* config_json of a new merged run: the shard's, its "shard" replaced by
 * "merge" (the partition, the owners, and the shards that came in). */
static char *merged_config(const char *shard_config)
{
    cJSON *o = cJSON_Parse(shard_config ? shard_config : "");
    if (!o)
        return NULL;
    cJSON *sh = cJSON_DetachItemFromObjectCaseSensitive(o, "shard");
    cJSON *m = cJSON_AddObjectToObject(o, "merge");
    cJSON_DeleteItemFromObjectCaseSensitive(sh, "index");
    cJSON_AddItemToObject(m, "partition", sh ? sh : cJSON_CreateObject());
    cJSON_AddArrayToObject(m, "shards");
    char *s = rb_json_utf8(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return s;
}

static int text_of(rb_store *s, const char *sql, sqlite3_int64 id, char **out, rb_err *e)
{
    sqlite3_stmt *st;
    *out = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
            *out = strdup((const char *)sqlite3_column_text(st, 0));
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "reading a run", e);
}

static int set_config(rb_store *s, sqlite3_int64 run, const char *json, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE main.runs SET config_json = ?1 WHERE id = ?2", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, run);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "recording the merge", e);
}

/* Record shard r (or, for a merged run met again, its shards) in
 * temp.shards, replacing an entry of the same run (finish_run writes the
 * list into the merged run's configuration once: it holds the whole
 * partition, megabytes for a big matrix, not to be rewritten per shard),
 * and its host's metadata under the host's name. */
static int note_shards(rb_store *s, const src_run *r, rb_err *e)
{
    char *sql =
        r->shard_count
            ? sqlite3_mprintf("INSERT OR REPLACE INTO temp.shards VALUES (%lld, %d, %Q,"
                              " %Q, %Q)",
                              (long long)r->dst, r->shard_index, r->uuid, r->host, r->status)
            : sqlite3_mprintf("INSERT OR REPLACE INTO temp.shards SELECT %lld,"
                              " json_extract(value, '$.index'), json_extract(value, '$.uuid'),"
                              " json_extract(value, '$.host'), json_extract(value, '$.status')"
                              " FROM src.runs, json_each(src.runs.config_json, '$.merge.shards')"
                              " WHERE src.runs.id = %lld AND json_valid(src.runs.config_json)"
                              " AND json_type(value) = 'object'",
                              (long long)r->dst, (long long)r->id);
    int rc = sql ? rb_store_exec(s, sql, "recording the merge", e)
                 : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(sql);
    sqlite3_stmt *st = NULL;
    /* the merged run's hosts: each shard's host metadata under its name */
    st = NULL;
    if (!rc &&
        sqlite3_prepare_v2(
            s->db,
            r->shard_count ? "UPDATE main.runs SET host_json = json_set(CASE WHEN"
                             " json_valid(host_json) THEN host_json ELSE '{}' END, '$.\"' || ?1 ||"
                             " '\"', json(coalesce((SELECT CASE WHEN json_valid(host_json) THEN"
                             " host_json END FROM src.runs WHERE id = ?2), '{}'))) WHERE id = ?3"
                           : "UPDATE main.runs SET host_json = json_patch(CASE WHEN"
                             " json_valid(host_json) THEN host_json ELSE '{}' END, coalesce((SELECT"
                             " CASE WHEN json_valid(host_json) THEN host_json END FROM src.runs"
                             " WHERE id = ?2), '{}')) WHERE id = ?3",
            -1, &st, NULL) == SQLITE_OK) {
        if (r->shard_count)
            sqlite3_bind_text(st, 1, r->host[0] ? r->host : "?", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->id);
        sqlite3_bind_int64(st, 3, r->dst);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rb_store_dberr(s, sqlite3_errcode(s->db), "recording the hosts", e);
    } else if (!rc) {
        rc = rb_store_dberr(s, sqlite3_errcode(s->db), "recording the hosts", e);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The output's run for source run r: found by uuid, else made. */
static int target_run(rb_store *s, src_run *r, rb_merge_stats *ms, rb_err *e)
{
    char uuid[96];
    if (r->plan[0] && r->shard_count)
        snprintf(uuid, sizeof uuid, "shards-%s", r->plan);
    else
        snprintf(uuid, sizeof uuid, "%s", r->uuid);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT id FROM main.runs WHERE uuid = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "finding a run", e);
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    r->dst = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rb_store_dberr(s, rc, "finding a run", e);
    if (r->dst) {
        ms->runs_known++;
        return 0;
    }
    /* a copy of the run; a shard's becomes its partition's merged run, of
     * no one process (no pid, no host: its devices say where they ran) */
    char cols[2048];
    static const char *const skip[] = {"id", "uuid", NULL};
    if ((rc = columns(s, "runs", skip, "", cols, sizeof cols, e)))
        return rc;
    char sql[4600];
    snprintf(sql, sizeof sql,
             "INSERT INTO main.runs (%s, uuid) SELECT %s, ?1 FROM src.runs WHERE id = ?2", cols,
             cols);
    if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
        return rb_store_dberr(s, rc, "copying a run", e);
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_store_dberr(s, rc, "copying a run", e);
    r->dst = sqlite3_last_insert_rowid(s->db);
    ms->runs_new++;
    if (!(r->plan[0] && r->shard_count))
        return 0;
    char *cfg = NULL, *merged;
    if ((rc = text_of(s, "SELECT config_json FROM main.runs WHERE id = ?1", r->dst, &cfg, e)))
        return rc;
    merged = merged_config(cfg);
    free(cfg);
    if (!merged)
        return rb_errf(e, RB_EDB, "merge: shard run %s has a malformed configuration", r->uuid);
    rc = set_config(s, r->dst, merged, e);
    free(merged);
    if (!rc) {
        char upd[160];
        snprintf(upd, sizeof upd,
                 "UPDATE main.runs SET pid = NULL, hostname = NULL, host_json = '{}',"
                 " status = 'incomplete' WHERE id = %lld",
                 (long long)r->dst);
        rc = rb_store_exec(s, upd, "recording a merged run", e);
    }
    return rc;
}

/* Run one statement with the source run's host bound to ?1 (when it has
 * a parameter). */
static int run1(rb_store *s, const char *sql, const char *host, const char *what, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, what, e);
    if (sqlite3_bind_parameter_count(st))
        sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : rb_store_dberr(s, rc, what, e);
}

/* temp.map_dev: the source run's devices to the output run's, made where
 * missing (with their resources), a device being (instance, host);
 * temp.map_wl: the workloads its results use, made where missing. */
static int map_devices(rb_store *s, const src_run *r, rb_err *e)
{
    char cols[2048], dcols[2200], sql[5000];
    static const char *const skip_dev[] = {"id", "run_id", "host", NULL};
    int rc = columns(s, "devices", skip_dev, "", cols, sizeof cols, e);
    if (!rc)
        rc = columns(s, "devices", skip_dev, "d.", dcols, sizeof dcols, e);
    if (!rc)
        rc = rb_store_exec(s, "DELETE FROM temp.map_dev; DELETE FROM temp.map_wl;", "mapping", e);
    if (rc)
        return rc;
    const long long src = r->id, dst = r->dst;
    /* the host: the device's own, else (a row older than schema 7) its run's */
    snprintf(sql, sizeof sql,
             "INSERT INTO main.devices (run_id, %s, host)"
             " SELECT %lld, %s, coalesce(d.host, ?1) FROM src.devices d"
             " WHERE d.run_id = %lld AND NOT EXISTS (SELECT 1 FROM main.devices m"
             " WHERE m.run_id = %lld AND m.instance IS d.instance"
             " AND m.host IS coalesce(d.host, ?1))",
             cols, dst, dcols, src, dst);
    if ((rc = run1(s, sql, r->host, "copying devices", e)))
        return rc;
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.map_dev (src, dst, fresh)"
             " SELECT d.id, m.id, NOT EXISTS (SELECT 1 FROM main.resources x"
             " WHERE x.device_id = m.id)"
             " FROM src.devices d JOIN main.devices m ON m.run_id = %lld"
             " AND m.instance IS d.instance AND m.host IS coalesce(d.host, ?1)"
             " WHERE d.run_id = %lld",
             dst, src);
    if ((rc = run1(s, sql, r->host, "mapping devices", e)))
        return rc;
    if ((rc = run1(s,
                   "INSERT INTO main.resources (device_id, key, value, unit, source)"
                   " SELECT md.dst, x.key, x.value, x.unit, x.source FROM src.resources x"
                   " JOIN temp.map_dev md ON md.src = x.device_id WHERE md.fresh",
                   NULL, "copying resources", e)))
        return rc;
    static const char *const skip_wl[] = {"id", NULL};
    if ((rc = columns(s, "workloads", skip_wl, "", cols, sizeof cols, e)))
        return rc;
    snprintf(sql, sizeof sql,
             "INSERT OR IGNORE INTO main.workloads (%s) SELECT %s FROM src.workloads"
             " WHERE id IN (SELECT workload_id FROM src.results WHERE run_id = %lld);\n"
             "INSERT INTO temp.map_wl (src, dst) SELECT w.id, m.id FROM src.workloads w"
             " JOIN main.workloads m ON m.key = w.key"
             " WHERE w.id IN (SELECT workload_id FROM src.results WHERE run_id = %lld);",
             cols, cols, src, src);
    return rb_store_exec(s, sql, "copying workloads", e);
}

/* An int64 from a one-value query. */
static int int_of(rb_store *s, const char *sql, sqlite3_int64 *out, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "merging", e);
}

/* The source run's results: each decided against the output's (new; the
 * same; newer from the same origin; a conflict), then carried with the
 * rows that hang from it. */
static int carry_results(rb_store *s, const src_run *r, rb_merge_stats *ms, FILE *log, rb_err *e)
{
    char *dst_uuid = NULL;
    int rc = text_of(s, "SELECT uuid FROM main.runs WHERE id = ?1", r->dst, &dst_uuid, e);
    if (rc)
        return rc;
    sqlite3_int64 offset = 0;
    if ((rc = int_of(s, "SELECT coalesce(max(id), 0) FROM main.results", &offset, e))) {
        free(dst_uuid);
        return rc;
    }
    char *stmt = sqlite3_mprintf(
        "DELETE FROM temp.plan_res;"
        "INSERT INTO temp.plan_res (src, dev, wl, origin, created, existing, e_origin,"
        " e_created, new_id)"
        " SELECT r.id, md.dst, mw.dst, coalesce(r.origin, %Q), r.created_at, x.id,"
        " coalesce(x.origin, %Q), x.created_at, r.id + %lld"
        " FROM src.results r JOIN temp.map_dev md ON md.src = r.device_id"
        " JOIN temp.map_wl mw ON mw.src = r.workload_id"
        " LEFT JOIN main.results x ON x.run_id = %lld AND x.device_id = md.dst"
        " AND x.workload_id = mw.dst WHERE r.run_id = %lld;"
        "UPDATE temp.plan_res SET act = CASE"
        " WHEN existing IS NULL THEN 1"
        " WHEN origin = e_origin AND created > e_created THEN 2"
        " WHEN origin = e_origin THEN 0 ELSE 3 END;",
        r->uuid, dst_uuid ? dst_uuid : "", (long long)offset, (long long)r->dst, (long long)r->id);
    rc = stmt ? rb_store_exec(s, stmt, "matching results", e)
              : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(stmt);
    if (rc) {
        free(dst_uuid);
        return rc;
    }
    /* conflicts: said, the output's kept */
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT d.instance, d.host, w.key, p.origin, p.e_origin,"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 0),"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 1),"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 2)"
                            " FROM temp.plan_res p JOIN main.devices d ON d.id = p.dev"
                            " JOIN main.workloads w ON w.id = p.wl WHERE p.act = 3"
                            " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL,"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 0),"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 1),"
                            " (SELECT count(*) FROM temp.plan_res WHERE act = 2)",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        free(dst_uuid);
        return rb_store_dberr(s, rc, "listing conflicts", e);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL) { /* the counts' row */
            ms->results_same += sqlite3_column_int64(st, 5);
            ms->results_added += sqlite3_column_int64(st, 6);
            ms->results_replaced += sqlite3_column_int64(st, 7);
            continue;
        }
        if (ms->conflicts++ < 20 && log)
            fprintf(log,
                    "rnnbench merge: conflict: %s on %s, %s: measured by run %s and by run %s; "
                    "kept the first\n",
                    (const char *)sqlite3_column_text(st, 0),
                    sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "?",
                    (const char *)sqlite3_column_text(st, 2),
                    (const char *)sqlite3_column_text(st, 4),
                    (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(dst_uuid);
        return rb_store_dberr(s, rc, "listing conflicts", e);
    }

    static const char *const skip_res[] = {"id",          "run_id", "device_id",
                                           "workload_id", "origin", NULL};
    char cols[4096], rcols[4400];
    if ((rc = columns(s, "results", skip_res, "", cols, sizeof cols, e)) ||
        (rc = columns(s, "results", skip_res, "r.", rcols, sizeof rcols, e))) {
        free(dst_uuid);
        return rc;
    }
    char *ins = sqlite3_mprintf(
        "DELETE FROM main.results WHERE id IN (SELECT existing FROM temp.plan_res WHERE act = 2);"
        "INSERT INTO main.results (id, run_id, device_id, workload_id, origin, %s)"
        " SELECT p.new_id, %lld, p.dev, p.wl, nullif(p.origin, %Q), %s"
        " FROM temp.plan_res p JOIN src.results r ON r.id = p.src WHERE p.act IN (1, 2);"
        "INSERT INTO main.metrics SELECT p.new_id, m.name, m.value, m.unit, m.source"
        " FROM src.metrics m JOIN temp.plan_res p ON p.src = m.result_id WHERE p.act IN (1, 2);"
        "INSERT INTO main.samples SELECT p.new_id, x.rep, x.value_ms"
        " FROM src.samples x JOIN temp.plan_res p ON p.src = x.result_id WHERE p.act IN (1, 2);"
        "INSERT INTO main.histograms SELECT p.new_id, x.name, x.lo, x.hi, x.count"
        " FROM src.histograms x JOIN temp.plan_res p ON p.src = x.result_id"
        " WHERE p.act IN (1, 2);"
        "INSERT INTO main.load_points SELECT p.new_id, x.seq, x.offered_qps, x.achieved_qps,"
        " x.p50_ms, x.p99_ms, x.queries FROM src.load_points x JOIN temp.plan_res p"
        " ON p.src = x.result_id WHERE p.act IN (1, 2);",
        cols, (long long)r->dst, dst_uuid ? dst_uuid : "", rcols);
    free(dst_uuid);
    rc = ins ? rb_store_exec(s, ins, "carrying results", e)
             : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(ins);
    return rc;
}

/* The accuracy rows of a train or eval run, as they are (the same row
 * again is ignored by the table's unique key). */
static int carry_accuracy(rb_store *s, const src_run *r, rb_err *e)
{
    static const char *const skip[] = {"id", "run_id", "device_id", NULL};
    char cols[2048], acols[2200];
    int rc = columns(s, "accuracy", skip, "", cols, sizeof cols, e);
    if (!rc)
        rc = columns(s, "accuracy", skip, "a.", acols, sizeof acols, e);
    if (rc)
        return rc;
    char *sql = sqlite3_mprintf("INSERT OR IGNORE INTO main.accuracy (run_id, device_id, %s)"
                                " SELECT %lld, md.dst, %s FROM src.accuracy a"
                                " JOIN temp.map_dev md ON md.src = a.device_id"
                                " WHERE a.run_id = %lld",
                                cols, (long long)r->dst, acols, (long long)r->id);
    rc = sql ? rb_store_exec(s, sql, "carrying accuracy rows", e)
             : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(sql);
    return rc;
}

static const char k_temp_tables[] =
    "CREATE TEMP TABLE IF NOT EXISTS map_dev (src INTEGER PRIMARY KEY, dst INTEGER, fresh INT);"
    "CREATE TEMP TABLE IF NOT EXISTS map_wl (src INTEGER PRIMARY KEY, dst INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS shards (run INTEGER, idx INTEGER, uuid TEXT, host TEXT,"
    " status TEXT, UNIQUE (run, uuid));"
    "CREATE TEMP TABLE IF NOT EXISTS plan_res (src INTEGER PRIMARY KEY, dev INTEGER, wl INTEGER,"
    " origin TEXT, created TEXT, existing INTEGER, e_origin TEXT, e_created TEXT,"
    " new_id INTEGER, act INTEGER);";

/* Every run of the attached source into the output, in one transaction. */
static int merge_attached(rb_store *s, rb_merge_stats *ms, FILE *log, rb_err *e)
{
    int rc = rb_store_exec(s, k_temp_tables, "preparing the merge", e);
    if (!rc)
        rc = rb_store_exec(s, "BEGIN IMMEDIATE", "starting the merge", e);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(
        s->db,
        "SELECT id, uuid, status, coalesce(hostname, ''),"
        " json_extract(config_json, '$.shard.plan'), json_extract(config_json, '$.shard.index'),"
        " json_extract(config_json, '$.shard.count') FROM src.runs"
        " WHERE json_valid(config_json) OR config_json IS NULL ORDER BY id",
        -1, &st, NULL);
    if (rc != SQLITE_OK) {
        rc = rb_store_dberr(s, rc, "reading the source's runs", e);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    /* the runs first (the statement must be done before the writes that
     * follow read the same tables) */
    src_run *runs = NULL;
    size_t n = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            src_run *t = realloc(runs, (cap = cap ? 2 * cap : 16) * sizeof *runs);
            if (!t) {
                rc = SQLITE_NOMEM;
                break;
            }
            runs = t;
        }
        src_run *r = memset(&runs[n++], 0, sizeof *runs);
        r->id = sqlite3_column_int64(st, 0);
        rb_col_s(st, 1, r->uuid, sizeof r->uuid);
        rb_col_s(st, 2, r->status, sizeof r->status);
        rb_col_s(st, 3, r->host, sizeof r->host);
        rb_col_s(st, 4, r->plan, sizeof r->plan);
        r->shard_index = sqlite3_column_int(st, 5);
        r->shard_count = sqlite3_column_int(st, 6);
    }
    sqlite3_finalize(st);
    rc = rc == SQLITE_DONE ? 0 : rb_store_dberr(s, rc, "reading the source's runs", e);
    for (size_t i = 0; i < n && !rc; i++) {
        src_run *r = &runs[i];
        if (!r->uuid[0]) {
            rc = rb_errf(e, RB_EDB, "merge: the source's run %lld has no uuid", (long long)r->id);
            break;
        }
        if (r->plan[0] &&
            (strlen(r->plan) != 16 || r->shard_count < 1 || r->shard_count > RB_SHARD_MAX ||
             r->shard_index < 0 || r->shard_index >= r->shard_count)) {
            rc = rb_errf(e, RB_EDB, "merge: run %s's stored shard is malformed", r->uuid);
            break;
        }
        if (!strcmp(r->status, "running"))
            ms->running++;
        rc = target_run(s, r, ms, e);
        if (!rc)
            rc = map_devices(s, r, e);
        if (!rc)
            rc = carry_results(s, r, ms, log, e);
        if (!rc)
            rc = carry_accuracy(s, r, e);
        /* a shard, or a merged run met again: its shards on the list */
        if (!rc && (r->shard_count || !strncmp(r->uuid, "shards-", 7)))
            rc = note_shards(s, r, e);
    }
    free(runs);
    if (!rc)
        rc = rb_store_exec(s, "COMMIT", "committing the merge", e);
    if (rc)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int rb_store_merge_begin(rb_store *s, rb_err *e)
{
    /* the output is a scratch file until it is renamed over OUT: an error
     * or a crash throws it away whole, so it needs no durable journal
     * while it fills (the caller syncs it once before the rename).  16 MiB
     * of cache: merging 100 000 results took 8.2 s with it, 15.6 s with
     * 256 MiB (SQLite's page-cache lookups grow with it) */
    return rb_store_exec(s,
                         "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
                         " PRAGMA cache_size = -16384",
                         "preparing the merge's output", e);
}

int rb_store_merge_from(rb_store *s, const char *path, const char *tmp_path, rb_merge_stats *ms,
                        FILE *log, rb_err *e)
{
    /* refused untouched when it is not ours, newer, corrupt or not a file */
    rb_store *in = NULL;
    int rc = rb_store_open(&in, path, 1, e);
    if (rc)
        return rc;
    sqlite3 *copy = NULL;
    const int older = rb_store_schema_version(in) < RB_SCHEMA_VERSION;
    remove(tmp_path);
    /* a scratch copy: nothing to make durable */
    int src = sqlite3_open_v2(tmp_path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_exec(copy, "PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF", NULL, NULL,
                           NULL);
    sqlite3_backup *b = src == SQLITE_OK ? sqlite3_backup_init(copy, "main", in->db, "main") : NULL;
    if (b) {
        src = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);
        src = src == SQLITE_DONE ? SQLITE_OK : src;
    } else if (src == SQLITE_OK) {
        src = sqlite3_errcode(copy);
    }
    if (src != SQLITE_OK)
        rc = rb_errf(e, RB_EDB, "%s: copying it to %s: %s", path, tmp_path,
                     copy ? sqlite3_errmsg(copy) : sqlite3_errstr(src));
    sqlite3_close(copy);
    rb_store_close(in);
    /* the copy brought to this build's schema (its rows then have every
     * column this build writes) */
    rb_store *mig = NULL;
    if (!rc && older && !(rc = rb_store_open(&mig, tmp_path, 0, e)))
        rb_store_close(mig);
    if (rc)
        return rc;
    char *attach = sqlite3_mprintf("ATTACH DATABASE %Q AS src", tmp_path);
    rc = attach ? rb_store_exec(s, attach, "attaching the source", e)
                : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(attach);
    if (rc)
        return rc;
    rc = merge_attached(s, ms, log, e);
    sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
    if (rc)
        rb_err_prefix(e, "%s: ", path);
    return rc;
}

/* One merged run: the pairs its partition gave each shard that have no
 * result, said per shard; the run complete only when none is missing and
 * every shard came in complete. */
static int finish_run(rb_store *s, sqlite3_int64 run, const char *config, FILE *log,
                      int *incomplete, rb_err *e)
{
    cJSON *o = cJSON_Parse(config ? config : "");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "merge"),
                *part = cJSON_GetObjectItemCaseSensitive(m, "partition"),
                *owner = cJSON_GetObjectItemCaseSensitive(part, "owner"),
                *insts = cJSON_GetObjectItemCaseSensitive(o, "instances"),
                *points = cJSON_GetObjectItemCaseSensitive(o, "points"),
                *count = cJSON_GetObjectItemCaseSensitive(part, "count");
    const int nt = cJSON_GetArraySize(insts), np = cJSON_GetArraySize(points);
    if (!cJSON_IsArray(owner) || !cJSON_IsNumber(count) || count->valueint < 1 ||
        cJSON_GetArraySize(owner) != nt * np) {
        cJSON_Delete(o);
        return rb_errf(e, RB_EDB, "merge: run %lld's partition is malformed", (long long)run);
    }
    const int ns = count->valueint;
    /* the shards that came in: the stored list and this merge's (which win) */
    cJSON *shards = cJSON_CreateArray();
    sqlite3_stmt *st = NULL;
    char *q = sqlite3_mprintf(
        "INSERT OR IGNORE INTO temp.shards SELECT %lld, json_extract(value, '$.index'),"
        " json_extract(value, '$.uuid'), json_extract(value, '$.host'),"
        " json_extract(value, '$.status') FROM main.runs, json_each(main.runs.config_json,"
        " '$.merge.shards') WHERE main.runs.id = %lld AND json_type(value) = 'object'",
        (long long)run, (long long)run);
    int rc = q ? rb_store_exec(s, q, "listing the shards", e)
               : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(q);
    if (!rc && sqlite3_prepare_v2(s->db,
                                  "SELECT idx, uuid, host, status FROM temp.shards WHERE run = ?1"
                                  " ORDER BY idx, uuid",
                                  -1, &st, NULL) != SQLITE_OK)
        rc = rb_store_dberr(s, sqlite3_errcode(s->db), "listing the shards", e);
    if (!rc) {
        sqlite3_bind_int64(st, 1, run);
        while (sqlite3_step(st) == SQLITE_ROW) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "index", sqlite3_column_int(st, 0));
            for (int c = 1; c < 4; c++) {
                const char *v = (const char *)sqlite3_column_text(st, c);
                cJSON_AddStringToObject(x,
                                        c == 1   ? "uuid"
                                        : c == 2 ? "host"
                                                 : "status",
                                        v ? v : "");
            }
            cJSON_AddItemToArray(shards, x);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "merge"), "shards");
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(o, "merge"), "shards", shards);
    /* the instances by the names their devices have */
    char(*name)[RB_INSTANCE_NAME_MAX] = calloc((size_t)nt + 1, sizeof *name);
    long *missing = calloc((size_t)ns, sizeof *missing);
    if (!rc && (!name || !missing))
        rc = rb_errf(e, RB_ENOMEM, "merge: out of memory");
    for (int i = 0; i < nt && !rc; i++) {
        const cJSON *spec = cJSON_GetArrayItem(insts, i);
        rb_instance in;
        rb_err ie = {0};
        const char *v = cJSON_IsString(spec) ? spec->valuestring : "";
        if (rb_instance_parse(v, &in, &ie) || !rb_instance_name(&in, name[i], sizeof name[i]))
            snprintf(name[i], sizeof name[i], "%s", v); /* a target this build lacks */
    }
    if (!rc)
        rc = rb_store_exec(
            s,
            "CREATE TEMP TABLE IF NOT EXISTS expected (inst TEXT, key TEXT, shard INT);"
            "DELETE FROM temp.expected;",
            "listing the partition", e);
    if (!rc && (rc = sqlite3_prepare_v2(s->db, "INSERT INTO temp.expected VALUES (?1, ?2, ?3)", -1,
                                        &st, NULL)) != SQLITE_OK)
        rc = rb_store_dberr(s, rc, "listing the partition", e);
    const cJSON *p, *own = owner->child; /* walked along: GetArrayItem is linear */
    cJSON_ArrayForEach(p, points)
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(p, "key");
        for (int i = 0; i < nt && !rc && own; i++, own = own->next) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, name[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, cJSON_IsString(key) ? key->valuestring : "", -1,
                              SQLITE_STATIC);
            sqlite3_bind_int(st, 3, own->valueint);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = rb_store_dberr(s, sqlite3_errcode(s->db), "listing the partition", e);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    /* the pairs the run has (any host's device of the instance), indexed,
     * then the expected ones without: linear in the pairs, whatever the
     * number of hosts */
    q = sqlite3_mprintf(
        "DROP TABLE IF EXISTS temp.present;"
        "CREATE TEMP TABLE present AS SELECT DISTINCT d.instance AS inst, w.key AS key"
        " FROM main.results r JOIN main.devices d ON d.id = r.device_id"
        " JOIN main.workloads w ON w.id = r.workload_id WHERE r.run_id = %lld;"
        "CREATE INDEX temp.present_pair ON present (inst, key);",
        (long long)run);
    if (!rc)
        rc = q ? rb_store_exec(s, q, "finding missing points", e)
               : rb_errf(e, RB_ENOMEM, "merge: out of memory");
    sqlite3_free(q);
    q = sqlite3_mprintf("SELECT x.shard, x.inst, x.key FROM temp.expected x WHERE NOT EXISTS"
                        " (SELECT 1 FROM temp.present p WHERE p.inst = x.inst AND p.key = x.key)"
                        " ORDER BY x.shard, x.rowid");
    if (!rc && (!q || sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK))
        rc = rb_store_dberr(s, sqlite3_errcode(s->db), "finding missing points", e);
    sqlite3_free(q);
    cJSON *list = cJSON_CreateArray();
    long total = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        int sh = sqlite3_column_int(st, 0);
        if (sh >= 0 && sh < ns)
            missing[sh]++;
        if (total++ < 10000) { /* the first ten thousand, by name */
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "shard", sh);
            cJSON_AddStringToObject(x, "instance", (const char *)sqlite3_column_text(st, 1));
            cJSON_AddStringToObject(x, "workload", (const char *)sqlite3_column_text(st, 2));
            cJSON_AddItemToArray(list, x);
        }
    }
    sqlite3_finalize(st);
    /* per shard: came in (and how), and what it lacks */
    int complete = !rc && total == 0, said = 0;
    for (int sh = 0; sh < ns && !rc; sh++) {
        const cJSON *it, *got = NULL;
        cJSON_ArrayForEach(it, shards)
        {
            const cJSON *ix = cJSON_GetObjectItemCaseSensitive(it, "index");
            if (cJSON_IsNumber(ix) && ix->valueint == sh)
                got = it;
        }
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(got, "status"),
                    *host = cJSON_GetObjectItemCaseSensitive(got, "host");
        int done = cJSON_IsString(status) && !strcmp(status->valuestring, "complete");
        complete &= done;
        if ((done && !missing[sh]) || !log)
            continue;
        if (said++ == 10) { /* a person reads ten; the configuration keeps them all */
            fprintf(log,
                    "rnnbench merge: run %lld: more shards lack pairs (merge.missing in its "
                    "config_json lists them)\n",
                    (long long)run);
            log = NULL;
            continue;
        }
        if (!got)
            fprintf(log,
                    "rnnbench merge: run %lld: shard %d/%d: no database of it given: %ld "
                    "pairs missing",
                    (long long)run, sh, ns, missing[sh]);
        else
            fprintf(log, "rnnbench merge: run %lld: shard %d/%d on %s: %s, %ld pairs missing",
                    (long long)run, sh, ns, cJSON_IsString(host) ? host->valuestring : "?",
                    cJSON_IsString(status) ? status->valuestring : "?", missing[sh]);
        int shown = 0;
        cJSON_ArrayForEach(it, list)
        {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(it, "shard");
            if (x->valueint != sh || shown == 3)
                continue;
            fprintf(log, "%s%s %s", shown++ ? ", " : ": ",
                    cJSON_GetObjectItemCaseSensitive(it, "instance")->valuestring,
                    cJSON_GetObjectItemCaseSensitive(it, "workload")->valuestring);
        }
        fprintf(log, "%s\n", missing[sh] > shown ? ", ..." : "");
    }
    if (!rc) {
        cJSON *mm = cJSON_GetObjectItemCaseSensitive(o, "merge");
        cJSON_DeleteItemFromObjectCaseSensitive(mm, "missing");
        cJSON_DeleteItemFromObjectCaseSensitive(mm, "missing_count");
        cJSON_AddNumberToObject(mm, "missing_count", (double)total);
        cJSON_AddItemToObject(mm, "missing", list);
        list = NULL;
        char *json = rb_json_utf8(cJSON_PrintUnformatted(o));
        rc = json ? set_config(s, run, json, e) : rb_errf(e, RB_ENOMEM, "merge: out of memory");
        free(json);
    }
    cJSON_Delete(list);
    if (!rc) {
        if ((rc = sqlite3_prepare_v2(s->db,
                                     "UPDATE main.runs SET status = ?1, finished_at = " RB_SQL_NOW
                                     " WHERE id = ?2",
                                     -1, &st, NULL)) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, complete ? "complete" : "incomplete", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, run);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
            sqlite3_finalize(st);
        }
        rc = rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "recording the merged run's status", e);
        *incomplete += !complete;
    }
    free(name);
    free(missing);
    cJSON_Delete(o);
    return rc;
}

int rb_store_merge_finish(rb_store *s, FILE *log, int *incomplete, rb_err *e)
{
    *incomplete = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, config_json FROM main.runs WHERE uuid LIKE 'shards-%'"
                                " ORDER BY id",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "listing merged runs", e);
    /* ids first: finish_run writes the rows this statement reads */
    sqlite3_int64 ids[4096];
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 4096)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    rc = rb_store_exec(s, "BEGIN IMMEDIATE", "finishing the merge", e);
    for (int i = 0; i < n && !rc; i++) {
        char *cfg = NULL;
        rc = text_of(s, "SELECT config_json FROM main.runs WHERE id = ?1", ids[i], &cfg, e);
        if (!rc)
            rc = finish_run(s, ids[i], cfg, log, incomplete, e);
        free(cfg);
    }
    if (!rc)
        rc = rb_store_exec(s, "COMMIT", "committing the merge", e);
    else
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
