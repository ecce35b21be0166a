/* test_query.c — `rnnbench query` output, byte for byte, and the statements it refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../harness/store.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_query_XXXXXX";
static rb_store *store;

/* Run a query into a string (caller frees); *code gets the return value. */
static char *query(const char *sql, rb_format fmt, int *code, rb_err *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    *code = rb_store_query(store, sql, fmt, f, e);
    fclose(f);
    return buf;
}

/* Expect success and exactly `want` on the output. */
static void check_output(const char *sql, rb_format fmt, const char *want)
{
    rb_err e = {0};
    int code = -1;
    char *got = query(sql, fmt, &code, &e);
    CHECK_INT(code, 0);
    if (code)
        fprintf(stderr, "  error: %s\n", e.msg);
    CHECK(got && !strcmp(got, want));
    if (got && strcmp(got, want))
        fprintf(stderr, "  query: %s\n  got:\n%s<end>\n  want:\n%s<end>\n", sql, got, want);
    free(got);
}

/* Expect refusal with `code` and a message containing `needle`, and no output. */
static void check_refused(const char *sql, int want_code, const char *needle)
{
    rb_err e = {0};
    int code = 0;
    char *got = query(sql, RB_FMT_TABLE, &code, &e);
    CHECK_INT(code, want_code);
    CHECK_STR_HAS(e.msg, needle);
    CHECK(got && got[0] == '\0');
    free(got);
}

static const char known[] = "SELECT 1 AS a, 'x,y' AS b, NULL AS c, 2.5 AS d";

static void test_formats(void)
{
    check_output(known, RB_FMT_TABLE,
                 "a  b    c    d\n"
                 "-  ---  -  ---\n"
                 "1  x,y     2.5\n");
    check_output(known, RB_FMT_CSV,
                 "a,b,c,d\n"
                 "1,\"x,y\",,2.5\n");
    check_output(known, RB_FMT_JSON,
                 "[\n"
                 "  {\n"
                 "    \"a\": 1,\n"
                 "    \"b\": \"x,y\",\n"
                 "    \"c\": null,\n"
                 "    \"d\": 2.5\n"
                 "  }\n"
                 "]\n");
}

/* The JSON is JSON: cJSON reads it back with the right types. */
static void test_json_parses(void)
{
    rb_err e = {0};
    int code = -1;
    char *got = query("SELECT 1 AS a, 'x,y' AS b, NULL AS c, 2.5 AS d, 1e300 * 1e300 AS inf"
                      " UNION ALL SELECT 2, 'tab\there', 'é', -0.125, 0",
                      RB_FMT_JSON, &code, &e);
    CHECK_INT(code, 0);
    cJSON *arr = got ? cJSON_Parse(got) : NULL;
    CHECK(arr && cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 2);
    cJSON *r0 = cJSON_GetArrayItem(arr, 0), *r1 = cJSON_GetArrayItem(arr, 1);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(r0, "a")));
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(r0, "a")), 1, 0);
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "b")), "x,y"));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(r0, "c")));
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(r0, "d")), 2.5, 0);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(r0, "inf"))); /* JSON has no infinity */
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "b")), "tab\there"));
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "c")), "é"));
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(r1, "d")), -0.125, 0);
    cJSON_Delete(arr);
    free(got);
}

static void test_precision_and_quoting(void)
{
    /* Table: 6 significant digits to read.  CSV and JSON: the shortest text
     * that reads back as the same double. */
    const char *sql = "SELECT 1.0/3 AS third, 0.1 AS tenth, 1234567.0 AS big, "
                      "'say \"hi\"' AS q, 'l1' || char(10) || 'l2' AS nl, x'00ff' AS blob";
    check_output(sql, RB_FMT_TABLE,
                 "   third  tenth          big  q         nl     blob\n"
                 "--------  -----  -----------  --------  -----  -------\n"
                 "0.333333    0.1  1.23457e+06  say \"hi\"  l1 l2  x'00ff'\n");
    check_output(sql, RB_FMT_CSV,
                 "third,tenth,big,q,nl,blob\n"
                 "0.3333333333333333,0.1,1234567,\"say \"\"hi\"\"\",\"l1\nl2\",x'00ff'\n");
    check_output(sql, RB_FMT_JSON,
                 "[\n"
                 "  {\n"
                 "    \"third\": 0.3333333333333333,\n"
                 "    \"tenth\": 0.1,\n"
                 "    \"big\": 1234567,\n"
                 "    \"q\": \"say \\\"hi\\\"\",\n"
                 "    \"nl\": \"l1\\nl2\",\n"
                 "    \"blob\": \"x'00ff'\"\n"
                 "  }\n"
                 "]\n");
    /* Integers above 2^53 stay exact in JSON. */
    check_output("SELECT 9007199254740993 AS n", RB_FMT_JSON,
                 "[\n  {\n    \"n\": 9007199254740993\n  }\n]\n");
}

static void test_alignment_rows(void)
{
    /* Numbers right-aligned, text left-aligned, NULL empty, widths in
     * characters (µ is two bytes, one column), no trailing blanks. */
    const char *sql = "SELECT * FROM (VALUES (1, 'cpu', 2.5), (100, 'gpu µs', NULL),"
                      " (NULL, NULL, 10)) AS t";
    check_output(sql, RB_FMT_TABLE,
                 "column1  column2  column3\n"
                 "-------  -------  -------\n"
                 "      1  cpu          2.5\n"
                 "    100  gpu µs\n"
                 "                       10\n");
    check_output(sql, RB_FMT_CSV,
                 "column1,column2,column3\n"
                 "1,cpu,2.5\n"
                 "100,gpu µs,\n"
                 ",,10\n");
    check_output(
        sql, RB_FMT_JSON,
        "[\n"
        "  {\n    \"column1\": 1,\n    \"column2\": \"cpu\",\n    \"column3\": 2.5\n  },\n"
        "  {\n    \"column1\": 100,\n    \"column2\": \"gpu µs\",\n    \"column3\": null\n  },\n"
        "  {\n    \"column1\": null,\n    \"column2\": null,\n    \"column3\": 10\n  }\n"
        "]\n");
}

static void test_empty_result(void)
{
    const char *sql = "SELECT id, label FROM runs WHERE 0";
    check_output(sql, RB_FMT_TABLE, "id  label\n--  -----\n");
    check_output(sql, RB_FMT_CSV, "id,label\n");
    check_output(sql, RB_FMT_JSON, "[]\n");
}

static void test_statements(void)
{
    /* Trailing semicolons, blanks and comments are not a second statement. */
    check_output("SELECT 1 AS x;", RB_FMT_CSV, "x\n1\n");
    check_output("  SELECT 1 AS x ; ;\n\t", RB_FMT_CSV, "x\n1\n");
    check_output("SELECT 1 AS x; -- why", RB_FMT_CSV, "x\n1\n");

    check_refused("DELETE FROM runs", RB_EINPUT, "query is read-only");
    check_refused("INSERT INTO runs (started_at) VALUES ('now')", RB_EINPUT, "query is read-only");
    check_refused("CREATE TABLE t (x)", RB_EINPUT, "query is read-only");
    check_refused("PRAGMA user_version = 7", RB_EINPUT, "query is read-only");
    check_refused("DROP VIEW v_results", RB_EINPUT, "DROP VIEW v_results");
    check_refused("BEGIN", RB_EINPUT, "no columns");

    check_refused("SELEC 1", RB_EINPUT, "syntax error");
    check_refused("SELEC 1", RB_EINPUT, "SELEC 1");
    check_refused("SELECT nope FROM runs", RB_EINPUT, "no such column: nope");

    check_refused("SELECT 1; SELECT 2", RB_EINPUT, "one statement");
    check_refused("SELECT 1; DELETE FROM runs", RB_EINPUT, "one statement");
    check_refused("SELECT 1; garbage", RB_EINPUT, "one statement");
    check_refused("", RB_EINPUT, "empty query");
    check_refused(" ; -- nothing", RB_EINPUT, "empty query");

    /* Nothing above wrote: the schema and its data are intact. */
    check_output("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('runs', 'v_results')",
                 RB_FMT_CSV, "n\n2\n");
    char want[64];
    snprintf(want, sizeof want, "user_version\n%d\n", RB_SCHEMA_VERSION);
    check_output("PRAGMA user_version", RB_FMT_CSV, want);
}

static void test_format_parse(void)
{
    rb_format f = RB_FMT_TABLE;
    CHECK_INT(rb_format_parse("table", &f), 0);
    CHECK_INT(f, RB_FMT_TABLE);
    CHECK_INT(rb_format_parse("csv", &f), 0);
    CHECK_INT(f, RB_FMT_CSV);
    CHECK_INT(rb_format_parse("json", &f), 0);
    CHECK_INT(f, RB_FMT_JSON);
    CHECK_INT(rb_format_parse("JSON", &f), -1);
    CHECK_INT(rb_format_parse("xml", &f), -1);
    CHECK_INT(rb_format_parse("", &f), -1);
    CHECK_INT(rb_format_parse(NULL, &f), -1);
    CHECK_INT(f, RB_FMT_JSON); /* untouched on failure */

    rb_err e = {0};
    int code = 0;
    char *got = query("SELECT 1", (rb_format)7, &code, &e);
    CHECK_INT(code, RB_EINPUT);
    free(got);
}

/* The documented views answer through query on a read-only store. */
static void test_readonly_views(const char *path)
{
    rb_err e = {0};
    rb_store *rw = NULL;
    CHECK_INT(rb_store_open(&rw, path, 0, &e), 0);
    if (!rw)
        return;
    int64_t run_id = 0, dev = 0;
    rb_run_info ri = {.label = "q", .command_line = "rnnbench run", .version = "0.1.0"};
    CHECK_INT(rb_store_run_begin(rw, &ri, &run_id, &e), 0);
    rb_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "CPU");
    CHECK_INT(
        rb_store_device(rw, run_id, &(rb_device_id){"cpu", NULL, NULL}, "measured", &d, &dev, &e),
        0);
    rb_workload w = {.cell = RB_CELL_RNN,
                     .mode = RB_MODE_TRAIN,
                     .seq = 3,
                     .batch = 2,
                     .input = 4,
                     .hidden = 5,
                     .layers = 1,
                     .input_proj = 1};
    rb_workload_make_key(&w);
    double samples[] = {0.5};
    rb_result r;
    rb_result_init(&r);
    r.run_id = run_id;
    r.device_id = dev;
    r.w = &w;
    r.status = RB_STATUS_OK;
    r.reps = 1;
    for (int i = 0; i < RB_N_FIGURES; i++)
        if (rb_figure_table[i].from == RB_FROM_QUANTILE)
            r.fig[i] = 0.5;
    r.mean_ms = r.ci_lo_ms = r.ci_hi_ms = 0.5;
    r.latency_source = RB_SRC_MEASURED;
    r.throughput_sps = 4000;
    r.samples_ms = samples;
    CHECK_INT(rb_store_result(rw, &r, &e), 0);
    CHECK_INT(rb_store_run_finish(rw, run_id, "complete", &e), 0);
    rb_store_close(rw);

    rb_store *saved = store;
    CHECK_INT(rb_store_open(&store, path, 1, &e), 0);
    if (store) {
        check_output("SELECT target, device, workload, status, reps, median_ms, throughput_sps,"
                     " energy_j FROM v_results",
                     RB_FMT_CSV,
                     "target,device,workload,status,reps,median_ms,throughput_sps,energy_j\n"
                     "cpu,CPU,rnn_train_t3_b2_i4_h5_l1,ok,1,0.5,4000,\n");
        check_output("SELECT run_id, status, label, n_results, n_ok, n_failed FROM v_runs",
                     RB_FMT_TABLE,
                     "run_id  status    label  n_results  n_ok  n_failed\n"
                     "------  --------  -----  ---------  ----  --------\n"
                     "     1  complete  q              1     1         0\n");
        check_refused("DELETE FROM runs", RB_EINPUT, "query is read-only");
        rb_store_close(store);
    }
    store = saved;
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[512], path2[512];
    snprintf(path, sizeof path, "%s/query.db", tmpdir);
    snprintf(path2, sizeof path2, "%s/views.db", tmpdir);
    rb_err e = {0};
    if (rb_store_open(&store, path, 0, &e)) {
        fprintf(stderr, "open %s: %s\n", path, e.msg);
        return 1;
    }
    test_formats();
    test_json_parses();
    test_precision_and_quoting();
    test_alignment_rows();
    test_empty_result();
    test_statements();
    test_format_parse();
    test_readonly_views(path2);
    rb_store_close(store);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rb_test_done("test_query");
}
