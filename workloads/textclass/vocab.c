/* vocab.c — the vocabulary: from the training split, or a saved model's. */
#include <stdlib.h>
#include <string.h>

#include "tc_internal.h"

typedef struct cand {
    long count;
    const char *word;
    int id;
} cand;

/* Most frequent first; ties alphabetical (bytewise), so the order does not
 * depend on the order of the files or of the hash table. */
static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->word, b->word);
}

static char *dup_word(const char *w)
{
    size_t n = strlen(w) + 1;
    char *s = malloc(n);
    if (s)
        memcpy(s, w, n);
    return s;
}

/* d->vocab from a list of words; d->vocab_size counts what is allocated so
 * rb_tc_data_free can clean up a partial one. */
static int set_vocab(rb_tc_data *d, const char *const *words, int n, rb_err *e)
{
    d->vocab = calloc((size_t)n, sizeof *d->vocab);
    if (!d->vocab)
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the vocabulary");
    for (int i = 0; i < n; i++) {
        if (!(d->vocab[i] = dup_word(words[i])))
            return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the vocabulary");
        d->vocab_size = i + 1;
    }
    return 0;
}

static void remap(rb_tc_doc *docs, size_t n, const int *map)
{
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < docs[i].n; t++)
            docs[i].tok[t] = map[docs[i].tok[t]];
}

/* map[word id] = vocabulary id, from the training documents' counts. */
static int build(rb_tc_data *d, const rb_tc_strtab *words, const rb_tc_opts *o, int *map, rb_err *e)
{
    long *count = calloc(words->n ? words->n : 1, sizeof *count);
    cand *c = malloc((words->n ? words->n : 1) * sizeof *c);
    const char **list = malloc((size_t)o->vocab_max * sizeof *list);
    int rc = 0;
    if (!count || !c || !list) {
        rc = rb_errf(e, RB_ENOMEM, "textclass: out of memory for the vocabulary");
        goto out;
    }
    for (size_t i = 0; i < d->n_train; i++)
        for (int t = 0; t < d->train[i].n; t++)
            count[d->train[i].tok[t]]++;
    size_t n_cand = 0;
    for (size_t w = 0; w < words->n; w++)
        if (count[w] >= o->min_count)
            c[n_cand++] = (cand){count[w], words->str[w], (int)w};
    qsort(c, n_cand, sizeof *c, cand_cmp);
    size_t n = n_cand < (size_t)o->vocab_max - 2 ? n_cand : (size_t)o->vocab_max - 2;
    list[RB_TC_PAD] = RB_TC_PAD_WORD;
    list[RB_TC_UNK] = RB_TC_UNK_WORD;
    for (size_t w = 0; w < words->n; w++)
        map[w] = RB_TC_UNK;
    for (size_t i = 0; i < n; i++) {
        list[2 + i] = c[i].word;
        map[c[i].id] = 2 + (int)i;
    }
    rc = set_vocab(d, list, 2 + (int)n, e);
out:
    free(count);
    free(c);
    free(list);
    return rc;
}

/* map[word id] = id in the given vocabulary, UNK where it has no entry. */
static int apply(rb_tc_data *d, const rb_tc_strtab *words, const rb_tc_opts *o, int *map, rb_err *e)
{
    if (!o->vocab[RB_TC_PAD] || strcmp(o->vocab[RB_TC_PAD], RB_TC_PAD_WORD) ||
        !o->vocab[RB_TC_UNK] || strcmp(o->vocab[RB_TC_UNK], RB_TC_UNK_WORD))
        return rb_errf(e, RB_EINPUT,
                       "textclass: a given vocabulary must start with %s and %s (ids %d, %d)",
                       RB_TC_PAD_WORD, RB_TC_UNK_WORD, RB_TC_PAD, RB_TC_UNK);
    rb_tc_strtab given = {0};
    int rc = 0;
    for (int i = 0; i < o->n_vocab && !rc; i++) {
        int id;
        if (!o->vocab[i] || !o->vocab[i][0])
            rc = rb_errf(e, RB_EINPUT, "textclass: given vocabulary: word %d is empty", i);
        else if (rb_tc_strtab_intern(&given, o->vocab[i], strlen(o->vocab[i]), &id) != 0)
            rc = rb_errf(e, RB_ENOMEM, "textclass: out of memory for the vocabulary");
        else if (id != i)
            rc = rb_errf(e, RB_EINPUT, "textclass: given vocabulary has '%s' twice (ids %d, %d)",
                         o->vocab[i], id, i);
    }
    for (size_t w = 0; w < words->n && !rc; w++) {
        int id = rb_tc_strtab_find(&given, words->str[w], strlen(words->str[w]));
        /* a document's word is never padding, even if it were spelt "<pad>" */
        map[w] = id > RB_TC_PAD ? id : RB_TC_UNK;
    }
    if (!rc)
        rc = set_vocab(d, (const char *const *)o->vocab, o->n_vocab, e);
    rb_tc_strtab_free(&given);
    return rc;
}

int rb_tc_vocab_make(rb_tc_data *d, const rb_tc_strtab *words, const rb_tc_opts *o, rb_err *e)
{
    int *map = malloc((words->n ? words->n : 1) * sizeof *map);
    if (!map)
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the vocabulary");
    int rc = o->vocab ? apply(d, words, o, map, e) : build(d, words, o, map, e);
    if (rc == 0) {
        remap(d->train, d->n_train, map);
        remap(d->test, d->n_test, map);
    }
    free(map);
    return rc;
}
