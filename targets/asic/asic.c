/* asic.c — placeholder for the analytical ASIC model.
 *
 * Listed so `rnnbench list` shows the target and why it cannot run yet; the
 * checked wrappers turn `unavailable` into RB_EUNAVAIL before any NULL
 * operation could be called. */
#include "../target.h"

const rb_target_ops rb_target_asic_ops = {
    .name = "asic",
    .method = RB_SRC_MODELED,
    .description = "LSTM ASIC, analytical model from presets",
    .unavailable = "not implemented yet: the analytical model is issue #6",
};
