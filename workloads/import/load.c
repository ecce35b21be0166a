/* load.c — an imported model by path (net.h): a directory is a PyTorch
 * state_dict (state_dict.c), a file an ONNX model (net.c). */
#include <sys/stat.h>

#include "net.h"

int rb_net_load(const char *path, long max_bytes, rb_net *n, rb_err *e)
{
    struct stat st;
    if (!stat(path, &st) && S_ISDIR(st.st_mode))
        return rb_net_from_state_dict(path, n, e);
    int rc = rb_net_open(path, max_bytes, n, e);
    if (!rc && n->weights_are_inputs)
        return 0; /* built with each set of inputs (rb_net_build) */
    if (!rc && (rc = rb_net_build(n, NULL, e))) {
        rb_err_prefix(e, "%s: ", path);
        rb_net_free(n);
    }
    return rc;
}
