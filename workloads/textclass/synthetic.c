/* synthetic.c — a task with a known rule, for tests that training must
 * solve in seconds (README.md, "Synthetic task").
 *
 * Vocabulary: <pad>, <unk>, two marker words per class ("m3a", "m3b"),
 * then SYN_FILLERS filler words ("f00" ...).  A document of class k holds
 * 2 or 3 of k's markers, each other class's markers once with probability
 * 1/3, and fillers elsewhere, all at random positions: k's markers are the
 * most frequent, by at least one.  Classes take turns (document i is class
 * i mod C), so they are balanced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "tc_internal.h"

#define SYN_FILLERS 32
#define SYN_STREAM 0x5DEECE66Dull /* its own stream: the documents are not the split's order */

static int marker(int k, int j) { return 2 + 2 * k + j; }

static int make_vocab(rb_tc_data *d, int C, rb_err *e)
{
    int V = 2 + 2 * C + SYN_FILLERS;
    d->vocab = calloc((size_t)V, sizeof *d->vocab);
    if (!d->vocab)
        return rb_errf(e, RB_ENOMEM, "synthetic: out of memory");
    for (int i = 0; i < V; i++) {
        char w[16];
        if (i == RB_TC_PAD)
            snprintf(w, sizeof w, "%s", RB_TC_PAD_WORD);
        else if (i == RB_TC_UNK)
            snprintf(w, sizeof w, "%s", RB_TC_UNK_WORD);
        else if (i < 2 + 2 * C)
            snprintf(w, sizeof w, "m%d%c", (i - 2) / 2, 'a' + (i - 2) % 2);
        else
            snprintf(w, sizeof w, "f%02d", i - 2 - 2 * C);
        if (!(d->vocab[i] = malloc(strlen(w) + 1)))
            return rb_errf(e, RB_ENOMEM, "synthetic: out of memory");
        memcpy(d->vocab[i], w, strlen(w) + 1);
        d->vocab_size = i + 1;
    }
    return 0;
}

/* One document of class k into tok[0..*n). */
static void make_doc(rb_rng *r, int C, int k, int seq, size_t *pos, int *tok, int *n)
{
    int markers[RB_TC_MAX_CLASSES + 2], m = 0;
    int own = 2 + (int)(rb_rng_next(r) % 2);
    for (int i = 0; i < own; i++)
        markers[m++] = marker(k, (int)(rb_rng_next(r) % 2));
    for (int c = 0; c < C; c++)
        if (c != k && rb_rng_next(r) % 3 == 0)
            markers[m++] = marker(c, (int)(rb_rng_next(r) % 2));
    int lo = (seq + 1) / 2 > m ? (seq + 1) / 2 : m;
    int len = lo + (int)(rb_rng_next(r) % (uint64_t)(seq - lo + 1));
    for (int t = 0; t < len; t++)
        tok[t] = 2 + 2 * C + (int)(rb_rng_next(r) % SYN_FILLERS);
    rb_tc_shuffle(pos, (size_t)len, rb_rng_next(r));
    for (int i = 0; i < m; i++)
        tok[pos[i]] = markers[i];
    *n = len;
}

int rb_tc_make_synthetic(const rb_tc_opts *o, int n_classes, size_t n, rb_tc_data *d, rb_err *e)
{
    memset(d, 0, sizeof *d);
    int rc = rb_tc_opts_check(o, e);
    if (rc != 0)
        return rc;
    const int C = n_classes;
    if (C < 2 || C > RB_TC_MAX_CLASSES)
        return rb_errf(e, RB_EINPUT, "synthetic: %d classes: must be 2..%d", C, RB_TC_MAX_CLASSES);
    if (n < 2 * (size_t)C)
        return rb_errf(e, RB_EINPUT,
                       "synthetic: %zu documents for %d classes: need at least %d (2 per class)", n,
                       C, 2 * C);
    if (o->seq < C + 2)
        return rb_errf(e, RB_EINPUT,
                       "synthetic: seq %d too short for %d classes: a document may hold %d "
                       "markers",
                       o->seq, C, C + 2);
    snprintf(d->task, sizeof d->task, "synthetic");
    d->n_classes = C;
    d->seq = o->seq;
    for (int c = 0; c < C; c++)
        snprintf(d->class_names[c], RB_TC_NAME, "c%d", c);

    rb_tc_doc *by_class[RB_TC_MAX_CLASSES] = {0};
    size_t count[RB_TC_MAX_CLASSES] = {0};
    size_t *pos = malloc((size_t)o->seq * sizeof *pos);
    rc = pos ? make_vocab(d, C, e) : rb_errf(e, RB_ENOMEM, "synthetic: out of memory");
    for (int c = 0; c < C && rc == 0; c++)
        if (!(by_class[c] = calloc(n / (size_t)C + 1, sizeof *by_class[c])))
            rc = rb_errf(e, RB_ENOMEM, "synthetic: out of memory");
    rb_rng r = {o->seed ^ SYN_STREAM};
    for (size_t i = 0; i < n && rc == 0; i++) {
        int k = (int)(i % (size_t)C);
        rb_tc_doc *doc = &by_class[k][count[k]];
        if (!(doc->tok = malloc((size_t)o->seq * sizeof *doc->tok))) {
            rc = rb_errf(e, RB_ENOMEM, "synthetic: out of memory");
            break;
        }
        count[k]++;
        doc->label = k;
        make_doc(&r, C, k, o->seq, pos, doc->tok, &doc->n);
    }
    if (rc == 0)
        rc = rb_tc_split(d, by_class, count, o->test_frac, o->seed, 0, e);
    for (int c = 0; c < C; c++) {
        if (by_class[c])
            for (size_t i = 0; i < count[c]; i++)
                free(by_class[c][i].tok);
        free(by_class[c]);
    }
    free(pos);
    if (rc != 0)
        rb_tc_data_free(d);
    return rc;
}
