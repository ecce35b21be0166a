/* tc_internal.h — what the textclass files share and nobody else calls. */
#ifndef RB_TC_INTERNAL_H
#define RB_TC_INTERNAL_H

#include "strtab.h"
#include "textclass.h"

#define RB_TC_SEQ_LIMIT 4096 /* train --tokens at most: a longer one is a typo or a hostile file */
#define RB_TC_PAD_WORD "<pad>"
#define RB_TC_UNK_WORD "<unk>"

/* seq, test_frac, vocab_max, min_count in range: 0 or RB_EINPUT. */
int rb_tc_opts_check(const rb_tc_opts *o, rb_err *e);

/* The stratified split: per class c, by_class[c][0..count[c]) in a seeded
 * order (seed mixed with the class's name, so a category's split does not
 * depend on which others are loaded), at most max_per_class of them (0: all),
 * round(test_frac * n) to test (at least 1, at most n - 1), the rest to train.
 * d->n_classes and d->class_names must be set.  Takes every document's tok:
 * those kept move into d, the rest are freed, and all are set NULL in
 * by_class, so the caller frees only the arrays. */
int rb_tc_split(rb_tc_data *d, rb_tc_doc *const *by_class, const size_t *count, double test_frac,
                uint64_t seed, size_t max_per_class, rb_err *e);

/* Documents hold ids into words; replace them by vocabulary ids and set
 * d->vocab, d->vocab_size: either built from the training split (o's
 * vocab_max, min_count) or o->vocab. */
int rb_tc_vocab_make(rb_tc_data *d, const rb_tc_strtab *words, const rb_tc_opts *o, rb_err *e);

/* Parameters of the given shape, all zero; class_w zero. */
int rb_tc_head_alloc(rb_tc_head *h, int V, int E, int H, int C, rb_err *e);

/* buf = dir/name: 0, or RB_EINPUT when it does not fit. */
int rb_tc_path(char *buf, size_t n, const char *dir, const char *name, rb_err *e);

#endif
