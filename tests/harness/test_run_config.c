/* The stored run configuration round-trips exactly: --resume depends on it. */
#include <stdlib.h>
#include <string.h>

#include "../../harness/run_config.h"
#include "../rb_test.h"

int main(void)
{
    rb_run_config c;
    memset(&c, 0, sizeof c);
    rb_err e = {0};
    const char *specs[] = {"cpu", "asic:edge-npu", "fpga:large?sim=full&clock_mhz=250"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(rb_instance_parse(specs[i], &c.targets[i], &e), 0);
    c.n_targets = 3;
    c.threads = 3;
    c.seed = 18446744073709551557ull; /* above 2^53: must survive as text */
    rb_measure_opts mo = {3, 12, 500, 0.25, 42.5, 7.5, 2.5, 300, 1};
    c.measure = mo;
    snprintf(c.source, sizeof c.source, "workloads/x.ini");
    rb_workload w = rb_workload_of(RB_CELL_RNN, RB_MODE_INFER, 7, 3, 5, 9, 2, 0);
    CHECK_INT(rb_matrix_add(&c.points, &w, &e), 0);
    w.cell = RB_CELL_LSTM;
    w.input_proj = 1;
    rb_workload_make_key(&w);
    CHECK_INT(rb_matrix_add(&c.points, &w, &e), 0);

    char *json = rb_run_config_to_json(&c);
    rb_run_config d;
    CHECK_INT(rb_run_config_from_json(&d, json, &e), 0);
    CHECK_INT(d.n_targets, 3);
    /* the same instances, every option kept (the simulation mode too) */
    const char *want[] = {"cpu", "asic:edge-npu", "fpga:large?clock_mhz=250&sim=full"};
    for (int i = 0; i < 3 && i < d.n_targets; i++) {
        char name[RB_INSTANCE_NAME_MAX];
        CHECK(!strcmp(rb_instance_spec(&d.targets[i], name, sizeof name), want[i]));
    }
    CHECK_INT(d.threads, 3);
    CHECK(d.seed == c.seed);
    CHECK_INT(d.measure.warmup, 3);
    CHECK_INT(d.measure.min_reps, 12);
    CHECK_INT(d.measure.max_reps, 500);
    CHECK_NEAR(d.measure.min_time_s, 0.25, 0);
    CHECK_NEAR(d.measure.timeout_s, 42.5, 0);
    CHECK_NEAR(d.measure.budget_s, 7.5, 0);
    CHECK(!strcmp(d.source, "workloads/x.ini"));
    CHECK_INT(d.points.n, 2);
    CHECK(!strcmp(d.points.points[0].key, "rnn_infer_t7_b3_i5_h9_l2_noproj"));
    CHECK(!strcmp(d.points.points[1].key, "lstm_infer_t7_b3_i5_h9_l2"));
    CHECK_INT(d.points.points[0].input_proj, 0);
    free(json);
    rb_matrix_free(&d.points);

    /* a run stored before instances: target names and shorthand flags */
    const char *old = "{\"schema_version\":1,\"targets\":[\"cpu\",\"fpga\",\"asic\"],"
                      "\"target_options\":[\"fpga.config=large\",\"asic.preset=edge-npu\"],"
                      "\"threads\":1,\"seed\":\"1\",\"measure\":{\"warmup\":1,\"min_reps\":1,"
                      "\"max_reps\":1,\"min_time_s\":0,\"timeout_s\":1},\"points\":[]}";
    CHECK_INT(rb_run_config_from_json(&d, old, &e), 0);
    CHECK_INT(d.n_targets, 3);
    const char *old_want[] = {"cpu", "fpga:large", "asic:edge-npu"};
    for (int i = 0; i < 3 && i < d.n_targets; i++) {
        char name[RB_INSTANCE_NAME_MAX];
        CHECK(!strcmp(rb_instance_name(&d.targets[i], name, sizeof name), old_want[i]));
    }
    rb_matrix_free(&d.points);

    /* damaged configurations are refused with a message, never half-used */
    const char *bad[] = {"", "{", "{\"targets\":[\"tpu\"]}", "{\"targets\":[\"cpu\"]}",
                         "{\"targets\":[\"cpu\"],\"threads\":1,\"seed\":\"1\",\"measure\":"
                         "{\"warmup\":1,\"min_reps\":1,\"max_reps\":1,\"min_time_s\":0,"
                         "\"timeout_s\":1},\"points\":[{\"cell\":\"gru\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rb_err be = {0};
        CHECK_INT(rb_run_config_from_json(&d, bad[i], &be), RB_EDB);
        CHECK(be.msg[0] != '\0');
        rb_matrix_free(&d.points);
    }
    rb_matrix_free(&c.points);
    return rb_test_done("test_run_config");
}
