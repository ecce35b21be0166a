/* cmd_query.c — `rnnbench query`: read-only SQL over results.db. */
#include <string.h>

#include "command.h"
#include "store.h"

static const char query_help[] =
    "Usage: rnnbench query [--db PATH] [--format table|csv|json] [SQL]\n"
    "\n"
    "Run one read-only SQL statement against the results database and print the\n"
    "rows.  Without SQL, prints the results of the latest run.  The view v_results\n"
    "has one friendly row per result; see README.md (Database) for all tables.\n";

static const char query_tail[] =
    "\n"
    "Example:\n"
    "  rnnbench query \"SELECT target, workload, median_ms FROM v_results ORDER BY median_ms\"\n";

static const char latest_sql[] =
    "SELECT run_id, target, workload, status, median_ms, p90_ms, gflops, throughput_sps,"
    " energy_j, energy_source, err_max_rel FROM v_results"
    " WHERE run_id = (SELECT max(id) FROM runs) ORDER BY target, workload";

/* The names rb_format_parse knows. */
static const char *const query_formats[] = {"table", "csv", "json", NULL};

static int query_main(int argc, char **argv)
{
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_query, argc, argv, NULL, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    const char *sql = next < argc ? argv[next] : latest_sql;

    rb_format fmt = RB_FMT_TABLE;
    rb_format_parse(com.format, &fmt); /* one of query_formats: the parser checked it */
    rb_err e = {0};
    rb_store *s = NULL;
    int rc = rb_store_open(&s, com.db, 1, &e);
    if (!rc)
        rc = rb_store_query(s, sql, fmt, stdout, &e);
    if (s)
        rb_store_close(s);
    return rc ? rb_cli_fail("query", &e) : RB_EXIT_OK;
}

const rb_command rb_command_query = {
    .name = "query",
    .summary = "read-only SQL over the results database (table, csv or json)",
    .help = query_help,
    .help_tail = query_tail,
    .uses = RB_USE_DB | RB_USE_FORMAT,
    .formats = query_formats,
    .max_args = 1, /* the SQL, quoted as one argument */
    .main = query_main,
};
