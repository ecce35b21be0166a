/* eval_model.h — `rnnbench eval` of an imported model (eval_model.c). */
#ifndef RB_EVAL_MODEL_H
#define RB_EVAL_MODEL_H

#include "../targets/target.h"
#include "store.h"
#include "train_loop.h"

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

/* An imported model with labelled inputs, scored with its recurrent stack
 * computed another way (a number format's emulation: `explore`).  Open loads
 * the model, the input sets and the labels and scores the fp64 reference. */
typedef struct rb_eval_set rb_eval_set;
int rb_eval_set_open(const char *model, const char *inputs, const char *labels,
                     rb_eval_set **out, rb_err *e);
const rb_model *rb_eval_set_model(const rb_eval_set *s);
/* Predictions with the stack on fwd(ctx, ...) (NULL: the reference's scores). */
int rb_eval_set_score(rb_eval_set *s, rb_tc_forward_fn fwd, void *ctx, rb_tc_scores *sc,
                      rb_err *e);
void rb_eval_set_free(rb_eval_set *s);

#endif
