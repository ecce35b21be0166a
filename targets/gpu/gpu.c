/* gpu.c — the gpu target: LSTM/GRU/RNN inference and training through OpenCL, fp32.
 *
 * Runs on whatever OpenCL device the ICD loader offers: a real GPU, or PoCL's
 * CPU device where there is none (as in CI).  Results say which: a CPU-type
 * device is stored with type "cpu" and a name that says it is not a GPU. */
#include "../target.h"

static const rb_target_option gpu_options[] = {
    {.name = "device",
     .metavar = "SEL",
     .positional = 1,
     .flag = "gpu-device",
     .help = "OpenCL device: an index from `rnnbench list` or a unique\n"
             "piece of its name (default: the first GPU, else the first\n"
             "device)"},
    {0},
};

#ifdef RB_HAVE_OPENCL
#include "gpu.h"

const rb_target_ops rb_target_gpu_ops = {
    .name = "gpu",
    .method = RB_SRC_MEASURED,
    .description = "OpenCL device (GPU, or PoCL's CPU device), fp32, CLBlast GEMMs; "
                   "inference and training (BPTT + Adam on the device)",
    .probe = rb_gpu_probe,
    .load = rb_gpu_load,
    .forward = rb_gpu_forward,
    .train_step = rb_gpu_train_step,
    .params = rb_gpu_params,
    .unload = rb_gpu_unload,
    .enumerate = rb_gpu_enumerate,
    .close = rb_gpu_close,
    .options = gpu_options,
    .features = RB_FEAT_ALL,
    .cells = RB_CELLS_ALL,
};
#else

const rb_target_ops rb_target_gpu_ops = {
    .name = "gpu",
    .method = RB_SRC_MEASURED,
    .description = "OpenCL device (GPU, or PoCL's CPU device), fp32, CLBlast GEMMs",
    .unavailable = "built without OpenCL/CLBlast: run scripts/setup.sh (it installs "
                   "ocl-icd-opencl-dev, opencl-c-headers, libclblast-dev, pocl-opencl-icd) "
                   "and rebuild",
    .options = gpu_options,
};
#endif
