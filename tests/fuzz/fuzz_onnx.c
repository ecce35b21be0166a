/* fuzz_onnx.c — ONNX models and tensors (onnx_read.c through protobuf-c),
 * then the import (net.c): the stack found, its weights, the host graph run
 * on probe inputs to check the layers' plumbing. */
#include <stdlib.h>

#include "../../workloads/import/net.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rb_graph g;
    rb_net n;
    rb_err e = {0};
    /* through the file, as a user's model is read: mapped, external data
     * looked for beside it */
    if (!rb_onnx_read(fuzz_file("m.onnx", data, size), 1 << 20, &g, &e) &&
        !rb_net_from_graph(&g, "fuzz.onnx", &n, &e)) {
        if (!n.weights_are_inputs)
            rb_net_build(&n, NULL, &e);
        rb_net_free(&n);
    }
    rb_gtensor t;
    char *name;
    if (!rb_onnx_parse_tensor(data, size, &t, &name, &e)) {
        free(name);
        rb_gtensor_free(&t);
    }
    return 0;
}
