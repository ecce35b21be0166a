/* train_loop.h — training and evaluating the text classifier on a target.
 *
 * The split of the work (workloads/textclass/README.md): the embedding and
 * the classifier head run on the host (workloads/textclass/), the recurrent
 * stack on the target, through its train_step for training and its forward
 * for evaluation.  This module only drives them: epochs, batches, the
 * order of the documents, what is scored. */
#ifndef RB_TRAIN_LOOP_H
#define RB_TRAIN_LOOP_H

#include "../targets/target.h"
#include "../workloads/textclass/textclass.h"

typedef struct rb_tc_train_cfg {
    rb_cell cell;
    int hidden, layers, embed, batch, epochs;
    rb_optim opt;  /* for the recurrent stack and the host's share alike */
    uint64_t seed; /* weights and the order of every epoch */
} rb_tc_train_cfg;

/* What one epoch measured.  Train scores come from the predictions made
 * during the epoch's own steps (the model moves as it goes, the usual
 * running figure); test scores from a pass over the test split after it. */
typedef struct rb_tc_epoch {
    int epoch, epochs;
    double seconds;
    double train_loss, test_loss;
    rb_tc_scores train, test;
} rb_tc_epoch;

/* Called after every epoch with the model as it stands (store the curve,
 * save a checkpoint, print progress).  A non-zero return stops training
 * with that code. */
typedef int (*rb_tc_epoch_fn)(void *ctx, const rb_tc_epoch *ep, const rb_model *m,
                              const rb_tc_head *h, rb_err *e);

/* The name of what c trains on d, e.g. "lstm_h64_l2_e64_t48": the accuracy
 * table's `model`, one curve each. */
void rb_tc_model_name(const rb_tc_train_cfg *c, int seq, char *buf, size_t n);

/* Train a fresh, seeded model on the probed target t: on success m (the
 * recurrent stack) and h (embedding and head) hold the trained model;
 * caller frees them (also on failure).  RB_EINTR when interrupted between
 * two batches (what fn saw of finished epochs stays). */
int rb_tc_train(rb_target *t, const rb_tc_data *d, const rb_tc_train_cfg *c, rb_model *m,
                rb_tc_head *h, rb_tc_epoch_fn fn, void *ctx, rb_err *e);

/* Predict every test document with the recurrent stack on t (probed,
 * loaded here for inference with `batch` rows) and the head on the host.
 * pred: [d->n_test]; *loss: the class-weighted mean cross-entropy. */
int rb_tc_evaluate(rb_target *t, const rb_tc_data *d, const rb_model *m, const rb_tc_head *h,
                   int batch, int *pred, double *loss, rb_err *e);

/* The recurrent stack's forward computed some other way (a number format's
 * emulation): y [T, B, H] from in (x [T, B, E]). */
typedef int (*rb_tc_forward_fn)(void *ctx, const rb_batch *in, float *y, rb_err *e);
/* rb_tc_evaluate with the stack's forward fwd(ctx, ...) (H: its hidden size). */
int rb_tc_evaluate_with(rb_tc_forward_fn fwd, void *ctx, const rb_tc_data *d,
                        const rb_tc_head *h, int H, int batch, int *pred, double *loss,
                        rb_err *e);

/* Scores of predictions against the test labels. */
void rb_tc_score_test(const rb_tc_data *d, const int *pred, rb_tc_scores *s);

#endif
