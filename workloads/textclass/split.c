/* split.c — seeded shuffles and the stratified train/test split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "tc_internal.h"

void rb_tc_shuffle(size_t *idx, size_t n, uint64_t seed)
{
    rb_rng r = {seed};
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* Fisher-Yates; the modulo's bias is below n / 2^64, far under anything
     * a split or an epoch order could show. */
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rb_rng_next(&r) % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

static void release(rb_tc_doc *const *by_class, const size_t *count, int C)
{
    for (int c = 0; c < C; c++)
        for (size_t i = 0; i < count[c]; i++) {
            free(by_class[c][i].tok);
            by_class[c][i].tok = NULL;
        }
}

int rb_tc_split(rb_tc_data *d, rb_tc_doc *const *by_class, const size_t *count, double test_frac,
                uint64_t seed, size_t max_per_class, rb_err *e)
{
    const int C = d->n_classes;
    size_t keep[RB_TC_MAX_CLASSES], n_test[RB_TC_MAX_CLASSES], tot_train = 0, tot_test = 0;
    for (int c = 0; c < C; c++) {
        keep[c] = max_per_class && count[c] > max_per_class ? max_per_class : count[c];
        if (keep[c] < 2) {
            release(by_class, count, C);
            return rb_errf(e, RB_EINPUT,
                           "textclass: class '%s' has %zu document%s%s; each class needs at "
                           "least 2, one for each split",
                           d->class_names[c], keep[c], keep[c] == 1 ? "" : "s",
                           keep[c] < count[c] ? " (after max_per_class)" : "");
        }
        double t = round(test_frac * (double)keep[c]);
        n_test[c] = t < 1 ? 1 : t > (double)(keep[c] - 1) ? keep[c] - 1 : (size_t)t;
        tot_test += n_test[c];
        tot_train += keep[c] - n_test[c];
    }
    d->train = malloc(tot_train * sizeof *d->train);
    d->test = malloc(tot_test * sizeof *d->test);
    size_t max_n = 0;
    for (int c = 0; c < C; c++)
        max_n = count[c] > max_n ? count[c] : max_n;
    size_t *idx = malloc(max_n * sizeof *idx);
    if (!d->train || !d->test || !idx) {
        free(idx);
        release(by_class, count, C);
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the split");
    }
    for (int c = 0; c < C; c++) {
        const char *name = d->class_names[c];
        rb_tc_shuffle(idx, count[c], seed ^ rb_tc_fnv1a(name, strlen(name)));
        for (size_t i = 0; i < keep[c]; i++) {
            rb_tc_doc *doc = &by_class[c][idx[i]];
            if (i < n_test[c]) {
                d->test[d->n_test++] = *doc;
                d->test_count[c]++;
            } else {
                d->train[d->n_train++] = *doc;
                d->train_count[c]++;
            }
            doc->tok = NULL;
        }
    }
    free(idx);
    release(by_class, count, C); /* the ones past max_per_class */
    return 0;
}

void rb_tc_data_free(rb_tc_data *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_train; i++)
        free(d->train[i].tok);
    for (size_t i = 0; i < d->n_test; i++)
        free(d->test[i].tok);
    free(d->train);
    free(d->test);
    if (d->vocab)
        for (int i = 0; i < d->vocab_size; i++)
            free(d->vocab[i]);
    free(d->vocab);
    memset(d, 0, sizeof *d);
}
