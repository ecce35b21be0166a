/* test_report.c — `rnnbench report`'s loader, recommendation and writers on
 * a hand-built database whose every number is chosen here, so each ranking,
 * tie, exclusion and sentence below can be checked by reading the table. */
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/store_report.h"
#include "../../harness/store.h"
#include "../../reports/cells_view.h"
#include "../../reports/report_util.h"
#include "../../reports/svg.h"
#include "../rb_test.h"

static char g_db[128];

/* Run 1, two LSTM workloads, four targets:
 *
 *            w1 = ..._b1_...                       w2 = ..._b8_...
 *   target   median [95% CI]   p99  energy/call    median [CI]    energy/call
 *   cpu      2.00 [1.9, 2.1]   2.5  0.020 rapl     4.0 [3.9,4.1]  0.040 rapl
 *   gpu      2.05 [1.95, 2.2]  3.0  0.010 nvml     3.0 [2.9,3.1]  0.020 nvml
 *   fpga     5.00 simulated    5.0  0.001 model    10  simulated  0.008 model
 *   asic     failed "boom"                         unsupported "too big"
 *
 * plus a target "npu" the run asked for that was not available. */
static const char k_sql[] =
    "INSERT INTO runs (id, started_at, finished_at, status, label, command_line, host_json,"
    " config_json, warnings_json, version) VALUES (1, '2026-01-01T00:00:00.000Z',"
    " '2026-01-01T00:01:00.000Z', 'complete', 'hand <b>&amp;\"x\"', 'rnnbench run <i>',"
    " '{\"num_cpus\": 2, \"host_name\": \"<tt>\"}',"
    " '{\"targets\": [\"cpu\", \"gpu\", \"fpga\", \"asic\", \"npu\"],"
    "   \"unavailable\": {\"npu\": \"no NPU driver <here>\"}}', '[\"load was high\"]', '0.1.0');"
    "INSERT INTO devices (id, run_id, target, name, type, method, numerics, peak_flops, mem_bw,"
    " power_w, power_source) VALUES"
    " (1, 1, 'cpu', 'CPU <x>', 'cpu', 'measured', 'fp32', 1e11, 1e10, 16, 'model: 8 W'),"
    " (2, 1, 'gpu', 'GPU', 'gpu', 'measured', 'fp32', 1e13, 1e12, NULL, NULL),"
    " (3, 1, 'fpga', 'FPGA', 'fpga', 'simulated', 'fixed Q3.12', 6.4e9, 3.2e9, 0.4, 'model'),"
    " (4, 1, 'asic', 'ASIC', 'asic', 'modeled', 'int8 per-tensor, int32 acc', 9e13, 3.4e10, 28, 'model');"
    "INSERT INTO resources VALUES (3, 'LUT', 7734, '', 'synthesized');"
    "INSERT INTO workloads (id, key, cell, mode, seq, input, hidden, layers, batch, input_proj,"
    " flops) VALUES (1, 'lstm_infer_t10_b1_i64_h64_l1', 'lstm', 'infer', 10, 64, 64, 1, 1, 1,"
    " 655360), (2, 'lstm_infer_t10_b8_i64_h64_l1', 'lstm', 'infer', 10, 64, 64, 1, 8, 1, 5242880);"
    "INSERT INTO results (id, run_id, device_id, workload_id, numerics, status, message, reps,"
    " median_ms, p99_ms, ci_lo_ms, ci_hi_ms, throughput_sps, gflops, energy_j, err_max_abs,"
    " err_max_rel, err_tol, latency_source, energy_source, created_at) VALUES"
    " (11, 1, 1, 1, 'fp32', 'ok', NULL, 20, 2.0, 2.5, 1.9, 2.1, 500, 0.32768, 0.020, 1e-7, 1e-7,"
    "  1e-6, 'measured', 'rapl', 'x'),"
    " (12, 1, 2, 1, 'fp32', 'ok', NULL, 20, 2.05, 3.0, 1.95, 2.2, 487.8, 0.3197, 0.010, 2e-7,"
    "  2e-7, 1e-6, 'measured', 'nvml', 'x'),"
    " (13, 1, 3, 1, 'fixed Q3.12', 'ok', NULL, 1, 5.0, 5.0, NULL, NULL, 200, 0.131, 0.001,"
    "  1e-3, 1e-3, NULL, 'simulated', 'model', 'x'),"
    " (14, 1, 4, 1, 'int8', 'failed', 'boom <!-- -->', 0, NULL, NULL, NULL, NULL, NULL, NULL,"
    "  NULL, NULL, NULL, NULL, NULL, NULL, 'x'),"
    " (21, 1, 1, 2, 'fp32', 'ok', NULL, 20, 4.0, 4.5, 3.9, 4.1, 2000, 1.31, 0.040, 1e-7, 1e-7,"
    "  1e-6, 'measured', 'rapl', 'x'),"
    " (22, 1, 2, 2, 'fp32', 'ok', NULL, 20, 3.0, 3.5, 2.9, 3.1, 2666.7, 1.75, 0.020, 2e-7, 2e-7,"
    "  1e-6, 'measured', 'nvml', 'x'),"
    " (23, 1, 3, 2, 'fixed Q3.12', 'ok', NULL, 1, 10.0, 10.0, NULL, NULL, 800, 0.524, 0.008,"
    "  1e-3, 1e-3, NULL, 'simulated', 'model', 'x'),"
    " (24, 1, 4, 2, 'int8', 'unsupported', 'too big', 0, NULL, NULL, NULL, NULL, NULL, NULL,"
    "  NULL, NULL, NULL, NULL, NULL, NULL, 'x');"
    "INSERT INTO metrics VALUES (13, 'cycles', 1000000, 'cycles', 'simulated'),"
    " (13, 'lane_utilization', 0.99, 'ratio', 'simulated'), (23, 'cycles', 2000000, 'cycles',"
    " 'simulated');"
    "INSERT INTO accuracy (run_id, device_id, task, split, epoch, accuracy, loss) VALUES"
    " (1, 1, 'textclass', 'test', 1, 0.80, 0.5), (1, 1, 'textclass', 'test', 2, 0.85, 0.4);"
    /* an older run and a labelled one, for the selection */
    "INSERT INTO runs (id, started_at, status, label) VALUES (0, '2025-01-01T00:00:00.000Z',"
    " 'complete', 'old');";

static void make_db(void)
{
    snprintf(g_db, sizeof g_db, "/tmp/rb_test_report.%d.db", (int)getpid());
    unlink(g_db);
    rb_store *st;
    rb_err e = {0};
    CHECK_INT(rb_store_open(&st, g_db, 0, &e), 0); /* creates the schema */
    rb_store_close(st);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(g_db, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, k_sql, NULL, NULL, &err);
    if (rc)
        fprintf(stderr, "sql: %s\n", err);
    CHECK_INT(rc, SQLITE_OK);
    sqlite3_free(err);
    sqlite3_close(db);
}

static int load(rb_report *r, long long run, const char *label)
{
    rb_store *st;
    rb_err e = {0};
    CHECK_INT(rb_store_open(&st, g_db, 1, &e), 0);
    rb_report_select sel = {.run_id = run, .label = label};
    int rc = rb_store_load_report(st, &sel, r, &e);
    if (rc && rc != RB_EINPUT)
        fprintf(stderr, "load: %s\n", e.msg);
    rb_store_close(st);
    return rc;
}

static const rb_rank_entry *entry(const rb_report *r, const rb_workload_rec *w, const char *target)
{
    for (size_t i = 0; i < w->count; i++)
        if (!strcmp(r->devices[r->results[w->entries[i].result].device].target, target))
            return &w->entries[i];
    return NULL;
}

static const char *winner(const rb_report *r, const rb_recommendation *rec)
{
    return rec->overall[0].eligible ? r->devices[rec->overall[0].device].target : "none";
}

static void recommend(const rb_report *r, rb_recommendation *rec, rb_objective o, double slo,
                      double power, double err)
{
    rb_report_opts ro;
    rb_report_opts_default(&ro);
    ro.objective = o;
    ro.slo_ms = slo;
    ro.max_power_w = power;
    ro.max_error = err;
    rb_err e = {0};
    CHECK_INT(rb_recommend(r, &ro, rec, &e), 0);
}

static void test_load(void)
{
    rb_report r;
    CHECK_INT(load(&r, 0, NULL), 0); /* the newest: run 1 */
    CHECK_INT(r.run.id, 1);
    CHECK_INT(r.n_devices, 4);
    CHECK_INT(r.n_results, 8);
    CHECK_INT(r.n_accuracy, 2);
    CHECK(!strcmp(r.results[0].w.key, "lstm_infer_t10_b1_i64_h64_l1")); /* by key, then device */
    CHECK(!strcmp(r.devices[r.results[0].device].target, "cpu"));
    CHECK(isnan(r.results[3].median_ms)); /* NULL is NaN, never 0 */
    CHECK(!strcmp(r.results[3].message, "boom <!-- -->"));
    CHECK_INT(r.results[2].n_metrics, 2);
    CHECK(r.devices[2].n_resources == 1 && r.devices[2].resources[0].value == 7734);
    CHECK_INT(r.n_missing, 1);
    CHECK(!strcmp(r.missing[0].target, "npu") && strstr(r.missing[0].why, "no NPU driver"));
    rb_report_free(&r);
    CHECK_INT(load(&r, 0, "old"), 0);
    CHECK_INT(r.n_results, 0);
    rb_report_free(&r);
    CHECK_INT(load(&r, 7, NULL), RB_EINPUT);
    CHECK_INT(load(&r, 0, "nonesuch"), RB_EINPUT);
}

static void test_rankings(void)
{
    rb_report r;
    rb_recommendation rec;
    CHECK_INT(load(&r, 1, NULL), 0);

    /* latency: w1 cpu and gpu tie (intervals [1.9, 2.1] and [1.95, 2.2] overlap),
     * fpga third (simulated: no interval, no tie); w2 gpu wins outright */
    recommend(&r, &rec, RB_OBJ_LATENCY, NAN, NAN, NAN);
    CHECK_INT(rec.n_workloads, 2);
    const rb_workload_rec *w1 = &rec.w[0], *w2 = &rec.w[1];
    CHECK_INT(w1->n_eligible, 3);
    CHECK_INT(entry(&r, w1, "cpu")->rank, 1);
    CHECK_INT(entry(&r, w1, "gpu")->rank, 1);
    CHECK_INT(entry(&r, w1, "gpu")->tie, 1);
    CHECK_INT(entry(&r, w1, "fpga")->rank, 3);
    CHECK_INT(entry(&r, w1, "fpga")->tie, 0);
    CHECK_STR_HAS(entry(&r, w1, "cpu")->reason, "tied with gpu");
    CHECK_STR_HAS(entry(&r, w1, "asic")->reason, "asic: not ranked: failed: boom");
    CHECK_INT(entry(&r, w1, "asic")->eligible, 0);
    CHECK_INT(entry(&r, w2, "gpu")->rank, 1);
    CHECK_INT(entry(&r, w2, "cpu")->rank, 2);
    /* 4.0 / 3.0 = 1.3x */
    CHECK_STR_HAS(entry(&r, w2, "gpu")->reason, "gpu: median 3 ms, 1.3x faster than cpu");
    CHECK_STR_HAS(entry(&r, w2, "fpga")->reason, "3.3x slower than gpu");
    CHECK_STR_HAS(entry(&r, w2, "fpga")->reason, "a simulated figure against a measured one");
    CHECK_STR_HAS(entry(&r, w2, "asic")->reason, "unsupported: too big");
    /* overall: gpu best on 2 (one a tie), cpu on 1 */
    CHECK(!strcmp(winner(&r, &rec), "gpu"));
    CHECK_INT(rec.overall[0].wins, 2);
    CHECK_INT(rec.overall[1].wins, 1);
    CHECK_STR_HAS(rec.headline, "Recommended for latency: gpu (GPU): best on 2 of 2 workloads");
    CHECK_STR_HAS(rec.provenance, "measured");
    CHECK_INT(rec.overall[3].eligible, 0); /* asic never qualified: last, with why */
    CHECK_STR_HAS(rec.overall[3].reason, "asic: not ranked on any of its 2 workloads");
    rb_recommendation_free(&rec);

    /* energy per sequence: fpga wins both (0.001 J and 0.008/8 = 0.001 J), on a
     * modeled figure: said so, with the margin (w1: 0.01 / 0.001 = 10x) */
    recommend(&r, &rec, RB_OBJ_ENERGY, NAN, NAN, NAN);
    CHECK(!strcmp(winner(&r, &rec), "fpga"));
    CHECK_STR_HAS(entry(&r, &rec.w[0], "fpga")->reason, "10x less energy per sequence than gpu");
    CHECK_STR_HAS(entry(&r, &rec.w[0], "fpga")->reason, "a modeled figure against a measured one");
    CHECK_INT(rec.w[0].rests_on_model, 1);
    CHECK_STR_HAS(rec.provenance, "modeled energy");
    rb_recommendation_free(&rec);

    /* throughput (higher is better): w2 gpu 2666.7 > cpu 2000 > fpga 800 */
    recommend(&r, &rec, RB_OBJ_THROUGHPUT, NAN, NAN, NAN);
    CHECK_INT(entry(&r, &rec.w[1], "gpu")->rank, 1);
    CHECK_INT(entry(&r, &rec.w[1], "fpga")->rank, 3);
    rb_recommendation_free(&rec);

    /* perf per watt = FLOP / energy: w1 cpu 655360 / 0.02 J = 32.8 MFLOP/J =
     * 0.0328 GFLOP/J, fpga 0.655: fpga first */
    recommend(&r, &rec, RB_OBJ_PERF_PER_WATT, NAN, NAN, NAN);
    CHECK(!strcmp(r.devices[r.results[rec.w[0].entries[0].result].device].target, "fpga"));
    CHECK_NEAR(entry(&r, &rec.w[0], "cpu")->value, 655360 / 0.02 * 1e-9, 1e-12);
    rb_recommendation_free(&rec);

    /* an SLO of 4 ms: fpga's p99 5 ms misses it by 25 % on w1; on w2 cpu's 4.5
     * misses by 12 % */
    recommend(&r, &rec, RB_OBJ_ENERGY, 4, NAN, NAN);
    CHECK_INT(entry(&r, &rec.w[0], "fpga")->eligible, 0);
    CHECK_STR_HAS(entry(&r, &rec.w[0], "fpga")->reason, "p99 5 ms misses the 4 ms limit by 25%");
    CHECK_STR_HAS(entry(&r, &rec.w[1], "cpu")->reason, "misses the 4 ms limit by 12%");
    CHECK(!strcmp(winner(&r, &rec), "gpu")); /* now the cheapest that qualifies */
    CHECK_STR_HAS(entry(&r, &rec.w[0], "gpu")->reason, "p99 3 ms (≈ max, n = 20) within the 4 ms limit");
    CHECK_STR_HAS(rec.headline, "with p99 ≤ 4 ms");
    /* the runner-up and its distance: cpu's energy is twice gpu's on w1,
     * the one workload where it qualifies */
    CHECK_STR_HAS(rec.headline, "Runner-up: cpu, at 2x the winner's energy (geometric mean).");
    rb_recommendation_free(&rec);

    /* a power limit of 5 W: cpu draws 0.02 J / 2 ms = 10 W on w1 */
    recommend(&r, &rec, RB_OBJ_LATENCY, NAN, 5, NAN);
    CHECK_INT(entry(&r, &rec.w[0], "cpu")->eligible, 0);
    CHECK_STR_HAS(entry(&r, &rec.w[0], "cpu")->reason, "draws 10 W, over the 5 W limit by 100%");
    rb_recommendation_free(&rec);

    /* an error limit of 1e-4: the fpga's 1e-3 is out */
    recommend(&r, &rec, RB_OBJ_ENERGY, NAN, NAN, 1e-4);
    CHECK_INT(entry(&r, &rec.w[0], "fpga")->eligible, 0);
    CHECK_STR_HAS(entry(&r, &rec.w[0], "fpga")->reason, "max error 0.001 over the 0.0001 limit");
    CHECK(!strcmp(winner(&r, &rec), "gpu"));
    rb_recommendation_free(&rec);

    /* nothing qualifies: an SLO below every latency */
    recommend(&r, &rec, RB_OBJ_LATENCY, 0.001, NAN, NAN);
    CHECK(!strcmp(winner(&r, &rec), "none"));
    CHECK_STR_HAS(rec.headline, "No target qualifies");
    rb_recommendation_free(&rec);
    rb_report_free(&r);
}

/* Every format from the same database tells the same numbers. */
static char *render(const rb_report *r, const rb_recommendation *rec, const char *fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rb_err e = {0};
    CHECK_INT(rb_report_writer_find(fmt)->write(f, r, rec, &e), 0);
    fclose(f);
    return buf;
}

/* CSV fields of one line (no embedded newlines in these rows). */
static int csv_fields(char *line, char **out, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *start = p, *w = p;
        if (*p == '"') {
            start = w = ++p;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                *w++ = *p++;
            }
            p++;
        } else {
            while (*p && *p != ',' && *p != '\r' && *p != '\n')
                p++;
            w = p;
        }
        char end = *p;
        *w = 0;
        out[n++] = start;
        if (end != ',')
            break;
        p++;
    }
    return n;
}

static void test_formats_agree(void)
{
    rb_report r;
    rb_recommendation rec;
    CHECK_INT(load(&r, 1, NULL), 0);
    recommend(&r, &rec, RB_OBJ_LATENCY, NAN, NAN, NAN);

    /* JSON: parse it whole; each result's figures are the loaded ones */
    char *json = render(&r, &rec, "json");
    cJSON *j = cJSON_Parse(json);
    CHECK(j != NULL);
    const cJSON *res = cJSON_GetObjectItem(j, "results");
    CHECK_INT(cJSON_GetArraySize(res), 8);
    int same = 1;
    for (int i = 0; i < cJSON_GetArraySize(res); i++) {
        const cJSON *o = cJSON_GetArrayItem(res, i);
        const rb_rep_result *x = &r.results[i];
        const cJSON *med = cJSON_GetObjectItem(o, "median_ms");
        same &= isfinite(x->median_ms) ? cJSON_IsNumber(med) && med->valuedouble == x->median_ms
                                       : cJSON_IsNull(med);
        same &= !strcmp(cJSON_GetObjectItem(o, "workload")->valuestring, x->w.key);
        const cJSON *k = cJSON_GetObjectItem(o, "ranking");
        same &= cJSON_GetObjectItem(k, "rank")->valueint == rb_rep_entry_of(&rec, (size_t)i)->rank;
    }
    CHECK(same);
    CHECK_NEAR(cJSON_GetObjectItem(
                   cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 2), "metrics"),
                                       "cycles"),
                   "value")
                   ->valuedouble,
               1e6, 0);
    CHECK_STR_HAS(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "recommendation"), "headline")->valuestring,
        "gpu");
    CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "run"), "label")->valuestring,
                  "hand <b>&amp;\"x\""));
    cJSON_Delete(j);

    /* CSV: header names the columns; the same medians, ranks and metric columns */
    char *csv = render(&r, &rec, "csv");
    char *save, *line = strtok_r(csv, "\n", &save);
    char *hdr[80], *row[80];
    int nh = csv_fields(line, hdr, 80), imed = -1, irank = -1, icyc = -1, ilabel = -1;
    for (int i = 0; i < nh; i++) {
        imed = strcmp(hdr[i], "median_ms") ? imed : i;
        irank = strcmp(hdr[i], "rank") ? irank : i;
        icyc = strcmp(hdr[i], "m:cycles") ? icyc : i;
        ilabel = strcmp(hdr[i], "label") ? ilabel : i;
    }
    CHECK(imed > 0 && irank > 0 && icyc > 0 && ilabel > 0);
    int rows = 0;
    same = 1;
    while ((line = strtok_r(NULL, "\n", &save)) && imed > 0 && irank > 0 && icyc > 0) {
        int nf = csv_fields(line, row, 80);
        const rb_rep_result *x = &r.results[rows];
        same &= nf == nh;
        same &= isfinite(x->median_ms) ? atof(row[imed]) == x->median_ms : !*row[imed];
        same &= atoi(row[irank]) == rb_rep_entry_of(&rec, (size_t)rows)->rank;
        same &= !strcmp(row[ilabel], "hand <b>&amp;\"x\"");
        double cyc = rb_rep_metric_value(x, "cycles");
        same &= isfinite(cyc) ? atof(row[icyc]) == cyc : !*row[icyc];
        rows++;
    }
    CHECK_INT(rows, 8);
    CHECK(same);

    /* Markdown: the headline, each workload's winner, and the hostile label escaped */
    char *md = render(&r, &rec, "md");
    CHECK_STR_HAS(md, rec.headline);
    CHECK_STR_HAS(md, "| `lstm_infer_t10_b8_i64_h64_l1` | gpu |");
    CHECK_STR_HAS(md, "| `lstm_infer_t10_b1_i64_h64_l1` | cpu (tie) |");
    CHECK_STR_HAS(md, "hand &lt;b&gt;&amp;amp;");
    CHECK(!strstr(md, "<b>"));
    CHECK_STR_HAS(md, "`npu`: no NPU driver &lt;here&gt;");

    /* HTML: the same figures in the tables, every chart, nothing unescaped */
    char *html = render(&r, &rec, "html");
    CHECK_STR_HAS(html, "<!DOCTYPE html>");
    CHECK(!strstr(html, "<b>&amp;") && !strstr(html, "<i>") && !strstr(html, "<tt>"));
    CHECK_STR_HAS(html, "hand &lt;b&gt;&amp;amp;&quot;x&quot;");
    CHECK_STR_HAS(html, "boom &lt;!-- --&gt;");
    CHECK_STR_HAS(html, "CPU &lt;x&gt;");
    CHECK(!strstr(html, "<script") && !strstr(html, "<link") && !strstr(html, "url("));
    static const char *const charts[] = {
        "chart-latency-batch", "chart-throughput-hidden", "chart-energy",   "chart-pareto",
        "chart-roofline-cpu",  "chart-roofline-fpga",     "chart-accuracy", "chart-training"};
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
        char id[64];
        snprintf(id, sizeof id, "id=\"%s\"", charts[i]);
        CHECK_STR_HAS(html, id);
    }
    CHECK_STR_HAS(html, "<td class=\"num\">2.05</td>"); /* gpu's median on w1, %.4g */
    CHECK_STR_HAS(html, "1.95 &#8211; 2.2");            /* its interval */
    char *hl = malloc(strlen(rec.headline) * 6 + 1);    /* the headline as the page escapes it */
    FILE *hf = fmemopen(hl, strlen(rec.headline) * 6 + 1, "w");
    rb_xml_escape(hf, rec.headline);
    fputc(0, hf);
    fclose(hf);
    CHECK_STR_HAS(html, hl);
    free(hl);

    free(json);
    free(csv);
    free(md);
    free(html);
    rb_recommendation_free(&rec);
    rb_report_free(&r);
}

/* The text task comes from runs of its own: a training (run 5), an
 * evaluation after it (run 6: cpu 0.80, gpu 0.80, fpga 0.70 in the
 * benchmark's Q3.12, fpga 0.50 in another format) and a stale one from
 * before the training (run 4: asic) that must not count. */
static const char k_task_sql[] =
    "INSERT INTO runs (id, started_at, status, config_json) VALUES"
    " (4, '2026-01-02T00:00:00.000Z', 'complete', '{\"command\": \"eval\"}'),"
    " (5, '2026-01-03T00:00:00.000Z', 'complete', '{\"command\": \"train\"}'),"
    " (6, '2026-01-04T00:00:00.000Z', 'complete', '{\"command\": \"eval\"}');"
    "INSERT INTO devices (id, run_id, target, numerics) VALUES (41, 4, 'asic', 'int8'),"
    " (42, 4, 'cpu', 'fp32'), (51, 5, 'cpu', 'fp32'), (61, 6, 'cpu', 'fp32'),"
    " (62, 6, 'fpga', 'fixed Q3.12'), (63, 6, 'gpu', 'fp32'), (64, 6, 'fpga', 'fixed Q2.5');"
    "INSERT INTO accuracy (run_id, device_id, task, model, phase, split, epoch, accuracy,"
    " numerics) VALUES"
    " (4, 41, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 1, 0.9, 'int8'),"
    " (4, 42, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 1, 0.9, 'fp32'),"
    " (5, 51, 'fortunes', 'lstm_h64_l1_e64_t48', 'train', 'train', 1, 0.6, 'fp32'),"
    " (5, 51, 'fortunes', 'lstm_h64_l1_e64_t48', 'train', 'test', 1, 0.5, 'fp32'),"
    " (5, 51, 'fortunes', 'lstm_h64_l1_e64_t48', 'train', 'train', 2, 0.9, 'fp32'),"
    " (5, 51, 'fortunes', 'lstm_h64_l1_e64_t48', 'train', 'test', 2, 0.8, 'fp32'),"
    " (6, 61, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 2, 0.80, 'fp32'),"
    " (6, 62, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 2, 0.70, 'fixed Q3.12'),"
    " (6, 63, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 2, 0.80, 'fp32'),"
    " (6, 64, 'fortunes', 'lstm_h64_l1_e64_t48', 'eval', 'test', 2, 0.50, 'fixed Q2.5');";

static void test_accuracy_constraint(void)
{
    sqlite3 *db;
    CHECK_INT(sqlite3_open(g_db, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, k_task_sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rb_report r;
    CHECK_INT(load(&r, 0, NULL), 0);
    CHECK_INT(r.run.id, 1); /* the newest benchmark run: train and eval runs are not reported */
    /* run 1's curve, run 5's four, run 6's four evaluations, and run 4's asic and cpu rows
     * (the newest of their target and format) */
    CHECK_INT(r.n_accuracy, 2 + 4 + 4 + 1);
    const rb_rep_accuracy *cpu,
        *a = rb_rep_eval_row(&r, NULL, "fpga", "fixed Q3.12", "cpu", &cpu, NULL);
    CHECK(a && cpu && a->accuracy == 0.70 && cpu->accuracy == 0.80);
    CHECK(rb_rep_eval_row(&r, NULL, "fpga", "fixed Q2.5", "cpu", &cpu, NULL)->accuracy == 0.50);
    CHECK(rb_rep_eval_row(&r, NULL, "asic", "int8", "cpu", &cpu, NULL) ==
          NULL); /* before the training: stale */

    rb_recommendation rec;
    rb_report_opts ro;
    rb_report_opts_default(&ro);
    ro.max_accuracy_drop = 0.05;
    rb_err e = {0};
    CHECK_INT(rb_recommend(&r, &ro, &rec, &e), 0);
    const rb_rank_entry *f = entry(&r, &rec.w[0], "fpga"), *g = entry(&r, &rec.w[0], "gpu"),
                        *c = entry(&r, &rec.w[0], "cpu");
    CHECK(f && !f->eligible);
    CHECK_STR_HAS(f->reason, "fortunes test accuracy 0.700 in fixed Q3.12 is 0.100 below the "
                             "cpu's fp32 0.800, over the 0.05 drop limit");
    CHECK(g && g->eligible && c && c->eligible);
    CHECK_STR_HAS(c->reason, "fortunes accuracy 0.800 (0.000 below the cpu's) within the 0.05 "
                             "drop");
    CHECK_STR_HAS(rec.headline, "accuracy drop ≤ 0.05");
    rb_recommendation_free(&rec);
    ro.max_accuracy_drop = 0.2;
    CHECK_INT(rb_recommend(&r, &ro, &rec, &e), 0);
    f = entry(&r, &rec.w[0], "fpga");
    CHECK(f && f->eligible);
    rb_recommendation_free(&rec);

    /* Against another reference, the fpga's Q3.12 accuracy (0.70): at the same 0.05
     * limit the fpga passes (no drop) where against the cpu (0.80) it did not, and
     * the cpu, above the reference, passes with a negative drop. */
    snprintf(ro.reference, sizeof ro.reference, "fpga");
    ro.max_accuracy_drop = 0.05;
    CHECK_INT(rb_recommend(&r, &ro, &rec, &e), 0);
    f = entry(&r, &rec.w[0], "fpga");
    c = entry(&r, &rec.w[0], "cpu");
    CHECK(f && f->eligible && c && c->eligible);
    CHECK_STR_HAS(f->reason, "(0.000 below the fpga's) within the 0.05 drop limit");
    CHECK_STR_HAS(c->reason, "(-0.100 below the fpga's) within the 0.05 drop limit");
    rb_recommendation_free(&rec);
    /* a reference that was never evaluated: every target's accuracy is unknown */
    snprintf(ro.reference, sizeof ro.reference, "asic:edge-npu");
    CHECK_INT(rb_recommend(&r, &ro, &rec, &e), 0);
    c = entry(&r, &rec.w[0], "cpu");
    CHECK(c && !c->eligible);
    CHECK_STR_HAS(c->reason, "task accuracy unknown");
    rb_recommendation_free(&rec);
    snprintf(ro.reference, sizeof ro.reference, "cpu");
    rb_report_free(&r);

    /* a database without an evaluation: the limit says nothing about these
     * workloads, and the ranking says so */
    CHECK_INT(sqlite3_open(g_db, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "DELETE FROM accuracy WHERE phase = 'eval'", NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    CHECK_INT(load(&r, 0, NULL), 0);
    ro.max_accuracy_drop = 0.05;
    CHECK_INT(rb_recommend(&r, &ro, &rec, &e), 0);
    c = entry(&r, &rec.w[0], "cpu");
    CHECK(c && c->eligible);
    CHECK_STR_HAS(c->reason, "no evaluation of this workload's model (the 0.05 accuracy drop "
                             "limit says nothing about it)");
    rb_recommendation_free(&rec);
    rb_report_free(&r);
}

/* Which results an evaluation constrains: an imported model's only by its
 * own (name and hash), a trained classifier's the seeded stacks of its
 * shapes, nothing else. */
static void test_accuracy_scope(void)
{
    rb_rep_accuracy tc = {.task = "fortunes", .model = "lstm_h64_l1_e64_t48"},
                    im = {.task = "imported", .model = "sentiment-1a2b3c4d"};
    rb_workload same = rb_workload_of(RB_CELL_LSTM, RB_MODE_INFER, 10, 8, 64, 64, 1, 1),
                wider = rb_workload_of(RB_CELL_LSTM, RB_MODE_INFER, 10, 8, 64, 128, 1, 1),
                rnn = rb_workload_of(RB_CELL_RNN, RB_MODE_INFER, 10, 8, 64, 64, 1, 1), model = same,
                other = same;
    snprintf(model.model, sizeof model.model, "sentiment-1a2b3c4d");
    snprintf(other.model, sizeof other.model, "sentiment-99999999");
    CHECK(rb_rep_eval_applies(&tc, &same));
    CHECK(!rb_rep_eval_applies(&tc, &wider));
    CHECK(!rb_rep_eval_applies(&tc, &rnn));
    CHECK(!rb_rep_eval_applies(&tc, &model));
    CHECK(rb_rep_eval_applies(&im, &model));
    CHECK(!rb_rep_eval_applies(&im, &other)); /* the file changed: another model */
    CHECK(!rb_rep_eval_applies(&im, &same));
}

/* Run 2: one shape as LSTM (2 ms), GRU (1.5 ms) and RNN (0.5 ms) on the cpu,
 * as LSTM only on an fpga (nothing to set beside it), and an imported
 * model's LSTM (not a shape to compare): the cells' table has one row. */
static const char k_cells_sql[] =
    "INSERT INTO runs (id, started_at, status) VALUES (2, '2026-02-01T00:00:00.000Z', 'complete');"
    "INSERT INTO devices (id, run_id, target, name, type, method, numerics) VALUES"
    " (5, 2, 'cpu', 'CPU', 'cpu', 'measured', 'fp32'),"
    " (6, 2, 'fpga', 'FPGA', 'fpga', 'simulated', 'fixed Q3.12');"
    "INSERT INTO workloads (id, key, cell, mode, seq, input, hidden, layers, batch, input_proj,"
    " flops, model) VALUES"
    " (5, 'lstm_infer_t10_b4_i32_h32_l1', 'lstm', 'infer', 10, 32, 32, 1, 4, 1, 1, NULL),"
    " (6, 'gru_infer_t10_b4_i32_h32_l1', 'gru', 'infer', 10, 32, 32, 1, 4, 1, 1, NULL),"
    " (7, 'rnn_infer_t10_b4_i32_h32_l1', 'rnn', 'infer', 10, 32, 32, 1, 4, 1, 1, NULL),"
    " (8, 'gru_infer_t10_b4_i32_h32_l1_m-1', 'gru', 'infer', 10, 32, 32, 1, 4, 1, 1, 'm-1');"
    "INSERT INTO results (id, run_id, device_id, workload_id, numerics, status, reps, median_ms,"
    " latency_source, created_at) VALUES"
    " (51, 2, 5, 5, 'fp32', 'ok', 5, 2.0, 'measured', 'x'),"
    " (52, 2, 5, 6, 'fp32', 'ok', 5, 1.5, 'measured', 'x'),"
    " (53, 2, 5, 7, 'fp32', 'ok', 5, 0.5, 'measured', 'x'),"
    " (54, 2, 6, 5, 'fixed Q3.12', 'ok', 1, 4.0, 'simulated', 'x'),"
    " (55, 2, 5, 8, 'fp32', 'ok', 5, 9.0, 'measured', 'x');";

static void test_cells(void)
{
    sqlite3 *db;
    CHECK_INT(sqlite3_open(g_db, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, k_cells_sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rb_report r;
    CHECK_INT(load(&r, 2, NULL), 0);
    rb_cells_view v;
    rb_err e = {0};
    CHECK_INT(rb_cells_view_of(&r, &v, &e), 0);
    CHECK_INT(v.n, 1);
    if (v.n == 1) {
        CHECK(!strcmp(r.devices[v.rows[0].device].target, "cpu"));
        CHECK_NEAR(v.rows[0].ms[RB_CELL_LSTM], 2.0, 0);
        CHECK_NEAR(v.rows[0].ms[RB_CELL_GRU], 1.5, 0);
        CHECK_NEAR(v.rows[0].ms[RB_CELL_RNN], 0.5, 0);
    }
    rb_cells_view_free(&v);
    rb_recommendation rec;
    recommend(&r, &rec, RB_OBJ_LATENCY, NAN, NAN, NAN);
    char *md = render(&r, &rec, "md"), *html = render(&r, &rec, "html");
    CHECK_STR_HAS(md, "| target | shape | lstm | gru | rnn |");
    CHECK_STR_HAS(md, "| cpu (measured) | t10 b4 i32 h32 l1 | 2 | 1.5 (0.75x) | 0.5 (0.25x) |");
    CHECK_STR_HAS(html, "<section id=\"cells\">");
    CHECK_STR_HAS(html, "<td class=\"num\">1.5 (0.75x)</td>");
    free(md);
    free(html);
    rb_recommendation_free(&rec);
    rb_report_free(&r);
    /* run 1 has one cell only: no such section */
    CHECK_INT(load(&r, 1, NULL), 0);
    recommend(&r, &rec, RB_OBJ_LATENCY, NAN, NAN, NAN);
    md = render(&r, &rec, "md");
    CHECK(!strstr(md, "Cells side by side"));
    free(md);
    rb_recommendation_free(&rec);
    rb_report_free(&r);
}

int main(void)
{
    make_db();
    test_load();
    test_rankings();
    test_formats_agree();
    test_accuracy_constraint();
    test_accuracy_scope();
    test_cells();
    unlink(g_db);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", g_db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", g_db);
    unlink(wal);
    return rb_test_done("test_report");
}
