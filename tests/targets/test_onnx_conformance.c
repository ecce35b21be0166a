/* test_onnx_conformance.c — ONNX's own operator conformance tests for the
 * recurrent operators, from the installed libonnx-testdata package: each
 * case is a model.onnx and test_data_set_N/{input,output}_K.pb tensors made
 * by ONNX's reference implementation, work nobody here wrote.  Every LSTM,
 * GRU and RNN case must match its expected outputs within the fp32 bound on
 * the fp64 reference, the cpu target and the gpu target (PoCL in CI; skipped
 * where no OpenCL device exists).  ONNX's GRU cases use its default
 * linear_before_reset = 0, which the fpga and the asic refuse by name.  tests/fixtures/onnx/lstm_peepholes_onnxref is the same kind of case
 * made by ONNX's reference LSTM (scripts/make-onnx-fixtures.py) with three
 * different peephole vectors, which ONNX's own peephole test leaves equal. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../targets/target.h"
#include "../../workloads/import/net.h"
#include "../../workloads/reference.h"
#include "../rb_test.h"
#include "net_engines.h"

#define TESTDATA "/usr/share/libonnx-testdata/data/node"

static const char *const supported[] = {
    "test_lstm_defaults",        "test_lstm_with_initial_bias", "test_lstm_batchwise",
    "test_lstm_with_peepholes",  "test_simple_rnn_defaults",    "test_simple_rnn_with_initial_bias",
    "test_simple_rnn_batchwise", "test_rnn_seq_length",         "test_gru_defaults",
    "test_gru_with_initial_bias", "test_gru_batchwise",         "test_gru_seq_length",
};

/* ONNX's GRU cases on a target that runs PyTorch's GRU only: refused by
 * the feature's name, before anything is loaded. */
static void check_refused(const char *target, const char *name)
{
    char path[1024];
    rb_net net;
    rb_err e = {0};
    rb_target t;
    rb_target_init(&t, rb_target_find(target), 1);
    if (rb_target_probe(&t, &e)) {
        printf("  %-34s %s: not checked here: %s\n", name, target, e.msg);
        return;
    }
    snprintf(path, sizeof path, "%s/%s/model.onnx", TESTDATA, name);
    CHECK_INT(rb_net_open(path, 1 << 24, &net, &e), 0);
    CHECK(net.features & RB_FEAT_RESET_BEFORE);
    rb_workload w = rb_net_workload(&net, RB_MODE_INFER, 3, 2);
    rb_call_work work;
    CHECK_INT(rb_target_work(&t, &w, &work, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "unsupported: linear_before_reset=0");
    printf("  %-34s %-9s refused: %s\n", name, target, e.msg);
    rb_net_free(&net);
    rb_target_close(&t);
}

/* Where the stack runs: the reference, or a target by name. */

/* Bind input_K.pb of set to the graph input it names (or the K-th). */
static int bind_set(rb_net *net, rb_geval *ev, const char *set)
{
    rb_err e = {0};
    for (int k = 0; k < net->g.n_inputs; k++) {
        char path[1100], *name;
        rb_gtensor t;
        snprintf(path, sizeof path, "%s/input_%d.pb", set, k);
        int rc = rb_onnx_read_tensor(path, 1 << 24, &t, &name, &e);
        CHECK_INT(rc, 0);
        if (rc) {
            fprintf(stderr, "%s\n", e.msg);
            return rc;
        }
        rc = rb_geval_bind(ev, name[0] ? name : net->g.inputs[k].name, &t, &e);
        free(name);
        if (rc)
            return rc;
    }
    return 0;
}

static void check_case(const char *root, const char *name, engine *engines, int n_engines)
{
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    rb_net net;
    rb_err e = {0};
    int rc = rb_net_open(path, 1 << 24, &net, &e);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s: %s\n", name, e.msg);
        return;
    }
    for (int s = 0;; s++) {
        char set[1024];
        snprintf(set, sizeof set, "%s/test_data_set_%d", dir, s);
        DIR *d = opendir(set);
        if (!d) {
            CHECK(s > 0);
            break;
        }
        closedir(d);
        for (int g = 0; g < n_engines; g++) {
            engine *en = &engines[g];
            en->net = &net;
            rb_net_run_ctx ctx = {.net = &net, .fn = run_stack, .ctx = en};
            rb_geval *ev = rb_geval_new(&net.g, rb_net_hook, &ctx, &e);
            CHECK(ev != NULL);
            if (!ev || bind_set(&net, ev, set)) {
                rb_geval_free(ev);
                continue;
            }
            rc = rb_net_build(&net, ev, &e);
            CHECK_INT(rc, 0);
            if (rc)
                fprintf(stderr, "%s: build: %s\n", name, e.msg);
            for (int o = 0; !rc && o < net.g.n_outputs; o++) {
                const rb_gtensor *got;
                rb_gtensor want;
                char *wname, opath[1100];
                snprintf(opath, sizeof opath, "%s/output_%d.pb", set, o);
                CHECK_INT(rb_onnx_read_tensor(opath, 1 << 24, &want, &wname, &e), 0);
                rc = rb_geval_get(ev, net.g.outputs[o].name, &got, &e);
                CHECK_INT(rc, 0);
                if (rc) {
                    fprintf(stderr, "%s %s: %s\n", name, en->name ? en->name : "reference", e.msg);
                    free(wname);
                    rb_gtensor_free(&want);
                    break;
                }
                CHECK_INT(got->count, want.count);
                CHECK_INT(got->ndim, want.ndim);
                double worst = 0;
                for (size_t i = 0; i < got->count && i < want.count; i++) {
                    double err = fabs((double)got->f[i] - want.f[i]) /
                                 fmax(fabs((double)want.f[i]), RB_REL_FLOOR);
                    worst = err > worst ? err : worst;
                }
                rb_workload w = rb_net_workload(&net, RB_MODE_INFER, ctx.T, ctx.B);
                double tol = rb_fp32_tolerance(&w, 0);
                printf("  %-34s %-9s %-4s max_rel %.2e (tol %.2e)\n", name,
                       en->name ? en->name : "reference", net.g.outputs[o].name, worst, tol);
                CHECK(worst <= tol);
                free(wname);
                rb_gtensor_free(&want);
            }
            rb_geval_free(ev);
        }
    }
    rb_net_free(&net);
}

int main(void)
{
    DIR *d = opendir(TESTDATA);
    CHECK(d != NULL); /* scripts/setup.sh installs libonnx-testdata */
    if (!d)
        return rb_test_done("test_onnx_conformance");
    closedir(d);

    rb_target cpu, gpu;
    engine engines[3];
    int n_engines = engines_open(engines, &cpu, &gpu);

    for (size_t k = 0; k < sizeof supported / sizeof supported[0]; k++)
        check_case(TESTDATA, supported[k], engines, n_engines);
    check_case(RB_FIXTURES "/onnx", "lstm_peepholes_onnxref", engines, n_engines);
    check_refused("fpga", "test_gru_defaults");
    check_refused("asic", "test_gru_seq_length");
    rb_target_close(&cpu);
    rb_target_close(&gpu);
    return rb_test_done("test_onnx_conformance");
}
