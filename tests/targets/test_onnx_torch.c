/* test_onnx_torch.c — models exported by PyTorch (torch.onnx.export of
 * nn.LSTM / nn.GRU / nn.RNN with an embedding and a head, 1-3 layers, batch_first,
 * bidirectional; scripts/export-pytorch.py made tests/fixtures/onnx/), run
 * whole — host graph around the stack, the stack on the reference, cpu and
 * gpu — against PyTorch's own float64 output.  The same models' state_dicts
 * (--weights) must give exactly the weights the ONNX import reads: the
 * exporter reorders PyTorch's gates to ONNX's order, the import reorders
 * them back.  A state_dict's stack alone (--weights) is checked against the
 * module's own output, packed (pack_padded_sequence) where rows have
 * lengths: PyTorch's semantics for them, which are ONNX's sequence_lens. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../targets/target.h"
#include "../../workloads/import/net.h"
#include "../../workloads/npy.h"
#include "../../workloads/params.h"
#include "../../workloads/reference.h"
#include "../rb_test.h"
#include "net_engines.h"

static const char *const cases[] = {"lstm_l1_emb_head",  "lstm_l2_bi_bf_emb_head",
                                    "lstm_l3_head",      "lstm_l2_bi",
                                    "rnn_l2_bi_bf_head", "rnn_l1_emb_head",
                                    "gru_l2_bi_bf_emb_head"};


/* --weights runs the bare stack: inputs/x.npy [T, B, I] (and lens.npy). */
static const char *const stack_cases[] = {"lstm_l2_bi", "lstm_l3_head", "lstm_l2_bi_lens",
                                          "rnn_l1_lens", "gru_l1_lens"};

static double worst_rel(const float *got, const double *want, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]) / fmax(fabs(want[i]), RB_REL_FLOOR);
        worst = err > worst || isnan(err) ? err : worst;
    }
    return worst;
}

static void check_case(const char *name, engine *engines, int n_engines)
{
    char dir[1024], path[1200], inputs[1200];
    snprintf(dir, sizeof dir, "%s/onnx/%s", RB_FIXTURES, name);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    snprintf(inputs, sizeof inputs, "%s/inputs", dir);
    rb_net net, sd;
    rb_err e = {0};
    int rc = rb_net_load(path, 1 << 24, &net, &e);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s: %s\n", name, e.msg);
        return;
    }
    rb_npy want = {0};
    snprintf(path, sizeof path, "%s/y.npy", dir);
    CHECK_INT(rb_npy_read_f64(path, &want, 0, &e), 0);
    for (int g = 0; g < n_engines && want.f64; g++) {
        engines[g].net = &net;
        rb_net_run_ctx ctx = {.net = &net, .fn = run_stack, .ctx = &engines[g]};
        rb_geval *ev = rb_geval_new(&net.g, rb_net_hook, &ctx, &e);
        const rb_gtensor *y = NULL;
        rc = ev ? rb_net_read_inputs(&net, inputs, ev, &e) : RB_ENOMEM;
        if (!rc)
            rc = rb_geval_get(ev, "y", &y, &e);
        CHECK_INT(rc, 0);
        if (rc) {
            fprintf(stderr, "%s %s: %s\n", name, engines[g].name ? engines[g].name : "ref", e.msg);
        } else {
            CHECK_INT(y->count, want.count);
            rb_workload w = rb_net_workload(&net, RB_MODE_INFER, ctx.T, ctx.B);
            double err = worst_rel(y->f, want.f64, y->count < want.count ? y->count : want.count);
            double tol = rb_fp32_tolerance(&w, 0);
            printf("  %-24s %-9s vs PyTorch max_rel %.2e (tol %.2e)  %s\n", name,
                   engines[g].name ? engines[g].name : "reference", err, tol, w.key);
            CHECK(err <= tol);
        }
        rb_geval_free(ev);
    }
    rb_npy_free(&want);

    /* the state_dict: the same weights, tensor for tensor */
    snprintf(path, sizeof path, "%s/state_dict", dir);
    rc = rb_net_load(path, 1 << 24, &sd, &e);
    CHECK_INT(rc, 0);
    if (!rc) {
        size_t n = rb_param_total(&net.model);
        CHECK_INT(rb_param_total(&sd.model), n);
        float *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
        if (a && b && rb_param_total(&sd.model) == n) {
            rb_model_flatten(&net.model, a);
            rb_model_flatten(&sd.model, b);
            CHECK(!memcmp(a, b, n * sizeof *a));
        }
        free(a);
        free(b);
        CHECK_INT(sd.dirs, net.dirs);
        CHECK_INT(sd.n_rec, net.n_rec);
        rb_net_free(&sd);
    } else {
        fprintf(stderr, "%s state_dict: %s\n", name, e.msg);
    }
    rb_net_free(&net);
}

static void check_stack(const char *name, engine *engines, int n_engines)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/onnx/%s", RB_FIXTURES, name);
    snprintf(path, sizeof path, "%s/state_dict", dir);
    rb_net sd;
    rb_err e = {0};
    rb_npy x = {0}, l = {0}, want = {0};
    CHECK_INT(rb_net_load(path, 1 << 24, &sd, &e), 0);
    snprintf(path, sizeof path, "%s/inputs/x.npy", dir);
    CHECK_INT(rb_npy_read_f32(path, &x, 0, &e), 0);
    snprintf(path, sizeof path, "%s/y_stack.npy", dir);
    CHECK_INT(rb_npy_read_f64(path, &want, 0, &e), 0);
    snprintf(path, sizeof path, "%s/inputs/lens.npy", dir);
    int *lens = NULL;
    if (!access(path, R_OK)) {
        CHECK_INT(rb_npy_read_i64(path, &l, 0, &e), 0);
        lens = calloc(l.count + 1, sizeof *lens);
        for (size_t b = 0; lens && b < l.count; b++)
            lens[b] = (int)l.i64[b];
    }
    if (x.f32 && want.f64 && x.ndim == 3) {
        rb_batch in = {(int)x.shape[0], (int)x.shape[1], (int)x.shape[2], x.f32, NULL, NULL, lens};
        float *y = calloc(want.count, sizeof *y);
        for (int g = 0; y && g < n_engines; g++) {
            engines[g].net = &sd;
            int rc = run_stack(&engines[g], &in, y, &e);
            CHECK_INT(rc, 0);
            if (rc) {
                fprintf(stderr, "%s %s: %s\n", name, engines[g].name ? engines[g].name : "ref",
                        e.msg);
                continue;
            }
            rb_workload w = rb_net_workload(&sd, RB_MODE_INFER, in.seq, in.batch);
            double err = worst_rel(y, want.f64, want.count), tol = rb_fp32_tolerance(&w, 0);
            printf("  %-24s %-9s stack%s vs PyTorch max_rel %.2e (tol %.2e)\n", name,
                   engines[g].name ? engines[g].name : "reference", lens ? " (packed)" : "", err,
                   tol);
            CHECK(err <= tol);
        }
        free(y);
    }
    free(lens);
    rb_npy_free(&x);
    rb_npy_free(&l);
    rb_npy_free(&want);
    rb_net_free(&sd);
}

int main(void)
{
    rb_target cpu, gpu;
    engine engines[3];
    int n_engines = engines_open(engines, &cpu, &gpu);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_case(cases[k], engines, n_engines);
    for (size_t k = 0; k < sizeof stack_cases / sizeof stack_cases[0]; k++)
        check_stack(stack_cases[k], engines, n_engines);
    rb_target_close(&cpu);
    rb_target_close(&gpu);
    return rb_test_done("test_onnx_torch");
}
