/* test_onnx_nodes.c — the host operators (graph_ops.c) on ONNX's own node
 * tests from the installed libonnx-testdata package: every test of an
 * operator rnnbench runs on the host, whose tensors are of the types it
 * reads (float, double, integers), must give ONNX's expected outputs; those
 * with other types are refused when read, never computed wrong. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/import/graph_eval.h"
#include "../../workloads/import/graph_ops.h"
#include "../rb_test.h"

#define TESTDATA "/usr/share/libonnx-testdata/data/node"

static int n_run, n_refused;

/* The node test's operator: its model's only node. */
static int single_op(const rb_graph *g) { return g->n_nodes == 1 && rb_gop_known(g->nodes[0].op); }

static void run_set(const char *name, const rb_graph *g, const char *set)
{
    rb_err e = {0};
    rb_geval *ev = rb_geval_new(g, NULL, NULL, &e);
    for (int k = 0; ev && k < g->n_inputs; k++) {
        char path[1200], *tn;
        rb_gtensor t;
        snprintf(path, sizeof path, "%s/input_%d.pb", set, k);
        if (rb_onnx_read_tensor(path, 1 << 26, &t, &tn, &e)) {
            /* a type rnnbench does not read (or, in test_identity_opt, not a
             * tensor at all): refused, never computed */
            n_refused++;
            rb_geval_free(ev);
            return;
        }
        CHECK_INT(rb_geval_bind(ev, tn[0] ? tn : g->inputs[k].name, &t, &e), 0);
        free(tn);
    }
    for (int o = 0; ev && o < g->n_outputs; o++) {
        char path[1200], *tn;
        rb_gtensor want;
        const rb_gtensor *got;
        snprintf(path, sizeof path, "%s/output_%d.pb", set, o);
        if (rb_onnx_read_tensor(path, 1 << 26, &want, &tn, &e)) {
            n_refused++;
            break;
        }
        int rc = rb_geval_get(ev, g->outputs[o].name, &got, &e);
        CHECK_INT(rc, 0);
        if (rc) {
            fprintf(stderr, "%s: %s\n", name, e.msg);
        } else {
            int same = got->ndim == want.ndim && got->count == want.count;
            for (int d = 0; same && d < got->ndim; d++)
                same = got->dims[d] == want.dims[d];
            double worst = 0;
            for (size_t i = 0; same && i < got->count; i++) {
                double a = rb_gtensor_get(got, i), b = rb_gtensor_get(&want, i);
                double err = fabs(a - b) / fmax(fabs(b), 1.0);
                worst = err > worst || isnan(err) ? err : worst;
            }
            if (!same || !(worst <= 1e-5))
                fprintf(stderr, "%s: output %d differs (shape %s, max err %g)\n", name, o,
                        same ? "same" : "differs", worst);
            CHECK(same && worst <= 1e-5);
            n_run++;
        }
        free(tn);
        rb_gtensor_free(&want);
    }
    rb_geval_free(ev);
}

int main(void)
{
    DIR *d = opendir(TESTDATA);
    CHECK(d != NULL); /* scripts/setup.sh installs libonnx-testdata */
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "test_", 5))
            continue;
        char path[1100];
        snprintf(path, sizeof path, "%s/%s/model.onnx", TESTDATA, de->d_name);
        rb_graph g;
        rb_err e = {0};
        if (rb_onnx_read(path, 1 << 26, &g, &e))
            continue; /* another opset, or types rnnbench does not read */
        if (single_op(&g))
            for (int s = 0;; s++) {
                char set[1100];
                snprintf(set, sizeof set, "%s/%s/test_data_set_%d", TESTDATA, de->d_name, s);
                DIR *sd = opendir(set);
                if (!sd)
                    break;
                closedir(sd);
                run_set(de->d_name, &g, set);
            }
        rb_graph_free(&g);
    }
    if (d)
        closedir(d);
    printf("  %d outputs of ONNX node tests matched, %d sets refused for their types\n", n_run,
           n_refused);
    CHECK(n_run > 100);
    return rb_test_done("test_onnx_nodes");
}
