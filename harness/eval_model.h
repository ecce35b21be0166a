/* eval_model.h — `rnnbench eval` of an imported model (eval_model.c). */
#ifndef RB_EVAL_MODEL_H
#define RB_EVAL_MODEL_H

#include "../targets/target.h"
#include "store.h"

typedef struct rb_eval_model_args {
    const char *model;  /* an ONNX file, or a state_dict directory (--weights) */
    const char *inputs; /* a directory of inputs, or of ONNX test_data_set_N/ directories */
    const char *labels; /* NULL, or class ids (.npy of integers, or text, one per line) */
    const char *db, *label;
    int quiet;
    rb_target *t; /* probed targets; t[0] is the reference the others are compared with */
    const int *avail;
    int n;
} rb_eval_model_args;

/* Run the model on every available target over every input set: outputs
 * against the fp64 reference (and against a set's expected outputs when it
 * has them), with labels accuracy and macro-F1 per target, stored in the
 * accuracy table.  An exit status; e filled when it is not 0. */
int rb_eval_model(const rb_eval_model_args *a, int argc, char **argv, rb_err *e);

#endif
