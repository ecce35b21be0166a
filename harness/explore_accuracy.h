/* explore_accuracy.h — a model's accuracy with its recurrent stack in a
 * number format an exploration sweeps (a trained text-classification model
 * on its test split, or an imported model on labelled inputs): the
 * fpga's fixed point through the golden model (bit for bit the RTL's
 * outputs), the asic's datatypes through its emulated forward, and fp64
 * through the reference, the baseline a format's drop is measured from.
 * What is around the stack (the embedding and head, an imported graph's
 * other nodes) runs in fp32 on the host, as `rnnbench eval` runs it. */
#ifndef RB_EXPLORE_ACCURACY_H
#define RB_EXPLORE_ACCURACY_H

#include "../workloads/textclass/textclass.h"
#include "eval_model.h"
#include "explore.h"
#include "task_cli.h"

/* format: the sweep's code for the spec's target's format (explore.h), or
 * < 0 for the fp64 reference.  batch: documents per forward. */
int rb_explore_accuracy(const rb_task_saved *s, const rb_explore_spec *sp, double format, int batch,
                        rb_tc_scores *sc, rb_err *e);

/* The same for an imported model's labelled inputs (eval_model.h). */
int rb_explore_accuracy_imported(rb_eval_set *set, const rb_explore_spec *sp, double format,
                                 rb_tc_scores *sc, rb_err *e);

#endif
