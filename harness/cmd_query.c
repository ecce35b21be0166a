/* cmd_query.c — `rnnbench query`: read-only SQL over results.db. */
#include <string.h>

#include "cli.h"
#include "store.h"

static const char query_help[] =
    "Usage: rnnbench query [--db PATH] [--format table|csv|json] [SQL]\n"
    "\n"
    "Run one read-only SQL statement against the results database and print the\n"
    "rows.  Without SQL, prints the results of the latest run.  The view v_results\n"
    "has one friendly row per result; see README.md (Database) for all tables.\n"
    "\n"
    "  --db PATH           results database (default ./results.db)\n"
    "  --format FMT        table (default), csv or json\n"
    "  -h, --help          this text\n"
    "\n"
    "Example:\n"
    "  rnnbench query \"SELECT target, workload, median_ms FROM v_results ORDER BY median_ms\"\n";

static const char latest_sql[] =
    "SELECT run_id, target, workload, status, median_ms, p90_ms, gflops, throughput_sps,"
    " energy_j, energy_source, err_max_rel FROM v_results"
    " WHERE run_id = (SELECT max(id) FROM runs) ORDER BY target, workload";

int rb_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = RB_DEFAULT_DB;
    rb_format fmt = RB_FMT_TABLE;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'f':
            if (rb_format_parse(optarg, &fmt))
                return rb_cli_usage("query", "--format: '%s' is not table, csv or json", optarg);
            break;
        case 'h': fputs(query_help, stdout); return 0;
        default: return rb_cli_usage("query", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return rb_cli_usage("query", "give the SQL as one argument (quote it)");
    const char *sql = optind < argc ? argv[optind] : latest_sql;

    rb_err e = {0};
    rb_store *st = NULL;
    int rc = rb_store_open(&st, db, 1, &e);
    if (!rc)
        rc = rb_store_query(st, sql, fmt, stdout, &e);
    if (st)
        rb_store_close(st);
    return rc ? rb_cli_fail("query", &e) : 0;
}
