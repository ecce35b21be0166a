/* cpu.c — the CPU target: fp32 LSTM/RNN inference and training through OpenBLAS.
 *
 * cpu_probe.c describes the machine, cpu_lstm.c packs weights and runs the
 * forward pass, cpu_cell.c is the fused elementwise work of a step (forward
 * and backward), cpu_train.c the training step. */
#include "cpu.h"

#include <unistd.h>

int rb_cpu_threads(const rb_target *t)
{
    if (t->threads > 0)
        return t->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

const rb_target_ops rb_target_cpu_ops = {
    .name = "cpu",
    .method = RB_SRC_MEASURED,
    .description = "host CPU, fp32 through OpenBLAS (inference and training), measured wall time",
    .probe = rb_cpu_probe,
    .load = rb_cpu_load,
    .forward = rb_cpu_forward,
    .train_step = rb_cpu_train_step,
    .params = rb_cpu_params,
    .unload = rb_cpu_unload,
    .features = RB_FEAT_ALL,
};
