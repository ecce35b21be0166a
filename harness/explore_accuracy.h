/* explore_accuracy.h — a trained text-classification model's test accuracy
 * with its recurrent stack in a number format an exploration sweeps: the
 * fpga's fixed point through the golden model (bit for bit the RTL's
 * outputs), the asic's datatypes through its emulated forward, and fp64
 * through the reference, the baseline a format's drop is measured from.
 * The embedding and the classifier head run in fp32 on the host, as
 * `rnnbench eval` runs them. */
#ifndef RB_EXPLORE_ACCURACY_H
#define RB_EXPLORE_ACCURACY_H

#include "../workloads/textclass/textclass.h"
#include "explore.h"
#include "task_cli.h"

/* format: the sweep's code for the spec's target's format (explore.h), or
 * < 0 for the fp64 reference.  batch: documents per forward. */
int rb_explore_accuracy(const rb_task_saved *s, const rb_explore_spec *sp, double format,
                        int batch, rb_tc_scores *sc, rb_err *e);

#endif
