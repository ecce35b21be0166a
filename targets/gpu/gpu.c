/* gpu.c — placeholder for the OpenCL GPU adapter.
 *
 * Listed so `rnnbench list` shows the target and why it cannot run yet; the
 * checked wrappers turn `unavailable` into RB_EUNAVAIL before any NULL
 * operation could be called. */
#include "../target.h"

const rb_target_ops rb_target_gpu_ops = {
    .name = "gpu",
    .method = RB_SRC_MEASURED,
    .description = "OpenCL GPU, fp32, measured",
    .unavailable = "not implemented yet: the OpenCL adapter is issue #4",
};
