/* net_engines.h — where the tests of imported models run a stack: the fp64
 * reference, or a target, through rb_net_hook.  Header-only, for
 * test_onnx_conformance.c and test_onnx_torch.c. */
#ifndef RB_TEST_NET_ENGINES_H
#define RB_TEST_NET_ENGINES_H

#include <stdlib.h>

#include "../../targets/target.h"
#include "../../workloads/import/net.h"
#include "../../workloads/reference.h"
#include "../rb_test.h"

typedef struct engine {
    const char *name; /* NULL: the fp64 reference */
    rb_target *t;
    rb_net *net;
} engine;

/* rb_net_stack_fn: the stack on the engine (a target loaded for the call). */
static int run_stack(void *ctx, const rb_batch *in, float *y, rb_err *e)
{
    engine *g = ctx;
    rb_workload w = rb_net_workload(g->net, RB_MODE_INFER, in->seq, in->batch);
    size_t ny = (size_t)in->seq * in->batch * rb_workload_y_width(&w);
    if (!g->name) {
        double *r = malloc(ny * sizeof *r);
        int rc = r ? rb_ref_forward(&g->net->model, in, r, NULL, NULL, e) : RB_ENOMEM;
        for (size_t i = 0; !rc && i < ny; i++)
            y[i] = (float)r[i];
        free(r);
        return rc;
    }
    if (in->lens)
        w.features |= RB_FEAT_SEQ_LENS;
    rb_tensor out = {y, 3, {(size_t)in->seq, (size_t)in->batch, (size_t)rb_workload_y_width(&w)}};
    int rc = rb_target_load(g->t, &g->net->model, &w, e);
    if (!rc)
        rc = rb_target_forward(g->t, in, &out, NULL, e);
    rb_target_unload(g->t);
    return rc;
}

/* The reference, the cpu and, where an OpenCL device exists, the gpu;
 * returns how many. */
static int engines_open(engine *g, rb_target *cpu, rb_target *gpu)
{
    rb_err e = {0};
    g[0] = (engine){NULL, NULL, NULL};
    g[1] = (engine){"cpu", cpu, NULL};
    g[2] = (engine){"gpu", gpu, NULL};
    rb_target_init(cpu, rb_target_find("cpu"), 1);
    CHECK_INT(rb_target_probe(cpu, &e), 0);
    rb_target_init(gpu, rb_target_find("gpu"), 1);
    if (rb_target_probe(gpu, &e) == 0)
        return 3;
    printf("  gpu: not checked here: %s\n", e.msg);
    return 2;
}

#endif
