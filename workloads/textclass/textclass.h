/* textclass.h — the real task: classify short texts by category.
 *
 * Data: Debian's `fortunes` package, one plain-text file per category,
 * entries separated by lines holding "%" (README.md in this folder says
 * which categories and why).  Word-level: lowercase words, a vocabulary
 * built from the training split only, documents truncated or left-padded
 * to T tokens.  The model: embedding [V, E] -> the recurrent stack (lstm or
 * rnn, on a target) -> last hidden state -> linear [C, H] -> softmax,
 * class-weighted cross-entropy.  The embedding and the head are small and
 * live here, in plain C on the host; the recurrent stack trains on the
 * target through its train_step (targets/target.h), this module's
 * rb_tc_loss being the step's loss.  Nothing here knows of targets or
 * timing. */
#ifndef RB_TEXTCLASS_H
#define RB_TEXTCLASS_H

#include <stddef.h>
#include <stdint.h>

#include "../optim.h"
#include "../rb_err.h"

#define RB_TC_MAX_CLASSES 16
#define RB_TC_NAME 32
#define RB_TC_PAD 0 /* token id of padding: its embedding is zero and never trained */
#define RB_TC_UNK 1 /* a word outside the vocabulary */
#define RB_TC_DEFAULT_DIR "/usr/share/games/fortunes"

/* One document: its class and its first n <= seq token ids. */
typedef struct rb_tc_doc {
    int label;
    int n;
    int *tok;
} rb_tc_doc;

typedef struct rb_tc_data {
    char task[RB_TC_NAME]; /* "fortunes" | "synthetic" */
    int n_classes;
    char class_names[RB_TC_MAX_CLASSES][RB_TC_NAME];
    int seq;        /* T: tokens per document */
    int vocab_size; /* V, PAD and UNK included */
    char **vocab;   /* [V]: vocab[0] = "<pad>", vocab[1] = "<unk>", then by frequency */
    rb_tc_doc *train, *test;
    size_t n_train, n_test;
    size_t train_count[RB_TC_MAX_CLASSES], test_count[RB_TC_MAX_CLASSES];
    size_t empty_count[RB_TC_MAX_CLASSES]; /* entries without a word, dropped before the split */
} rb_tc_data;

typedef struct rb_tc_opts {
    const char *dir;        /* NULL: $RB_FORTUNES_DIR, else RB_TC_DEFAULT_DIR */
    const char *categories; /* comma-separated file names; NULL: the documented default */
    int seq;                /* tokens per document (default 48) */
    int vocab_max;          /* largest vocabulary, PAD and UNK included (default 8000) */
    int min_count;          /* a word needs this many training occurrences (default 2) */
    double test_frac;       /* per class (stratified), default 0.2 */
    uint64_t seed;          /* the split's seed (default 1) */
    size_t max_per_class;   /* 0: all; else at most this many documents per class (small
                                 fast configurations), taken after the seeded shuffle */
    char *const *vocab;     /* non-NULL: use this vocabulary (a saved model's) instead of */
    int n_vocab;            /*   building one from the training split */
} rb_tc_opts;

void rb_tc_opts_default(rb_tc_opts *o);

/* Read, tokenize and split the fortunes categories.  A missing directory or
 * category file: RB_EINPUT naming the path and the package to install
 * (`apt-get install fortunes`, which scripts/setup.sh does); a category
 * with too few entries, an empty split: RB_EINPUT. */
int rb_tc_load_fortunes(const rb_tc_opts *o, rb_tc_data *d, rb_err *e);

/* A synthetic task with a learnable rule, same shape as the real one, for
 * tests that training must solve in seconds: n_classes classes, each with
 * marker tokens; the class is the one whose markers occur most often in a
 * random document.  o->seq, o->seed, o->test_frac apply; n docs in total. */
int rb_tc_make_synthetic(const rb_tc_opts *o, int n_classes, size_t n, rb_tc_data *d, rb_err *e);

void rb_tc_data_free(rb_tc_data *d);

/* A seeded permutation of 0..n-1 (the order of an epoch). */
void rb_tc_shuffle(size_t *idx, size_t n, uint64_t seed);

/* The host's share of the model, all parameters in one flat array so that
 * clipping and Adam are one pass each. */
typedef struct rb_tc_head {
    int V, E, H, C;
    size_t n;           /* length of p, g, m, v */
    float *p;           /* emb [V, E] | w [C, H] | b [C] */
    float *emb, *w, *b; /* into p */
    float *g, *m, *v;   /* gradients and Adam moments, p's layout */
    long step;
    float class_w[RB_TC_MAX_CLASSES]; /* loss weight per class: n / (C * count_c) on train */
} rb_tc_head;

/* Seeded init as PyTorch's: embedding ~ N(0, 1) (PAD row zero), linear
 * ~ U(-1/sqrt(H), 1/sqrt(H)).  Class weights from d's training counts. */
int rb_tc_head_init(rb_tc_head *h, const rb_tc_data *d, int E, int H, uint64_t seed, rb_err *e);
void rb_tc_head_free(rb_tc_head *h);

/* One batch of documents as the recurrent stack's input. */
typedef struct rb_tc_batch {
    int T, B, E;
    int n;         /* real rows (<= B); rows past n are padding: zero input, no loss */
    float *x;      /* [T, B, E] embedded tokens, left-padded: the last token at t = T-1 */
    int *tok;      /* [T, B] token ids, PAD where padded */
    int *label;    /* [B], -1 for padding rows */
    int *pred;     /* [B] predicted class, filled by rb_tc_loss / rb_tc_predict */
    double loss;   /* class-weighted mean cross-entropy of the real rows */
    double weight; /* sum of class_w over the real rows, loss's denominator: batches
                      combine exactly as sum(loss * weight) / sum(weight) */
} rb_tc_batch;

int rb_tc_batch_alloc(rb_tc_batch *b, int T, int B, int E, rb_err *e);
void rb_tc_batch_free(rb_tc_batch *b);
/* Fill rows 0..n-1 from docs[idx[0..n)], n <= B. */
void rb_tc_batch_fill(rb_tc_batch *b, const rb_tc_head *h, const rb_tc_doc *docs, const size_t *idx,
                      int n);

/* The training step's loss (an rb_loss_fn, workloads/loss.h): ctx is an
 * rb_tc_step.  From y [T, B, H] it takes row t = T-1, computes logits,
 * predictions, the class-weighted cross-entropy (weighted mean over the
 * real rows, as PyTorch's CrossEntropyLoss(weight=...)), dy (zero except at
 * t = T-1) and the head's gradients, added to h->g (which rb_tc_head_update
 * zeroes). */
typedef struct rb_tc_step {
    rb_tc_head *h;
    rb_tc_batch *b;
} rb_tc_step;
int rb_tc_loss(void *ctx, const float *y, float *dy, double *loss, rb_err *e);

/* After the target's step: the embedding's gradients from dx [T, B, E]
 * (NULL: none, the embedding stays frozen this step), the head's own
 * global-norm clipping (o->clip), one Adam step, gradients zeroed, PAD row
 * kept zero. */
void rb_tc_head_update(rb_tc_head *h, const rb_tc_batch *b, const float *dx, const rb_optim *o);

/* Evaluation: predictions and b->loss from y [T, B, H], no gradients. */
void rb_tc_predict(const rb_tc_head *h, rb_tc_batch *b, const float *y);

typedef struct rb_tc_scores {
    size_t n;
    double accuracy; /* fraction correct */
    double macro_f1; /* mean over classes of F1 (a class never predicted nor present: skipped) */
} rb_tc_scores;
void rb_tc_score(const int *truth, const int *pred, size_t n, int C, rb_tc_scores *s);
/* The majority-class baseline on the test split: always the most frequent training class. */
void rb_tc_majority(const rb_tc_data *d, rb_tc_scores *s);

/* What a saved model directory says besides its tensors. */
typedef struct rb_tc_meta {
    char task[RB_TC_NAME];
    char cell[8]; /* "lstm" | "rnn" */
    int hidden, layers, embed, seq;
    int n_classes;
    char class_names[RB_TC_MAX_CLASSES][RB_TC_NAME];
    char categories[512]; /* as given to rb_tc_opts */
    uint64_t split_seed;
    double test_frac;
    size_t max_per_class;
    int synth_classes; /* synthetic: rb_tc_make_synthetic's n_classes and n, so */
    long synth_docs;   /*   eval can regenerate the task (0 for fortunes) */
    int epoch;         /* the training epoch this model is from (0: none recorded) */
    float class_weight[RB_TC_MAX_CLASSES]; /* read by rb_tc_load_meta (rb_tc_save writes
                                              the head's class_w), given to the head */
} rb_tc_meta;

/* dir/embedding.npy, head_weight.npy, head_bias.npy (float32, PyTorch's
 * nn.Embedding / nn.Linear layouts), vocab.txt (one word per line, id =
 * line number - 1) and textclass.ini (the meta).  The recurrent stack is
 * saved beside them by the caller (rb_model_save_npy). */
int rb_tc_save(const char *dir, const rb_tc_head *h, const rb_tc_data *d, const rb_tc_meta *m,
               rb_err *e);
/* Read textclass.ini and vocab.txt (caller frees *vocab with rb_tc_vocab_free), then, with
 * head != NULL, the head's tensors (shapes checked against the meta). */
int rb_tc_load_meta(const char *dir, rb_tc_meta *m, char ***vocab, int *n_vocab, rb_err *e);
int rb_tc_load_head(const char *dir, const rb_tc_meta *m, int n_vocab, rb_tc_head *h, rb_err *e);
void rb_tc_vocab_free(char **vocab, int n);

#endif
