/* save.c — a trained head to a directory: the tensors as .npy (PyTorch's
 * nn.Embedding / nn.Linear layouts), vocab.txt, textclass.ini. */
#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../npy.h"
#include "tc_internal.h"

/* inih's line buffer holds INI_MAX_LINE bytes including "\r\n\0". */
#define LINE_MAX_CHARS (INI_MAX_LINE - 3)

int rb_tc_path(char *buf, size_t n, const char *dir, const char *name, rb_err *e)
{
    int len = snprintf(buf, n, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= n)
        return rb_errf(e, RB_EINPUT, "%s: directory path too long", dir);
    return 0;
}

/* A value inih reads back as written: no comment characters, no line
 * breaks, nothing its trimming would remove. */
static int ini_safe(const char *what, const char *v, int may_be_empty, rb_err *e)
{
    size_t n = strlen(v);
    if (!n && may_be_empty)
        return 0;
    if (!n || strpbrk(v, ";#\r\n") || v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
        v[n - 1] == '\t')
        return rb_errf(e, RB_EINPUT,
                       "textclass save: %s '%s' cannot be stored in textclass.ini (empty, "
                       "';', '#', a line break or spaces at either end)",
                       what, v);
    return 0;
}

static int check(const rb_tc_head *h, const rb_tc_data *d, const rb_tc_meta *m, rb_err *e)
{
    if (m->hidden != h->H || m->embed != h->E || m->n_classes != h->C || d->n_classes != h->C ||
        d->vocab_size != h->V)
        return rb_errf(e, RB_EINPUT,
                       "textclass save: the meta (hidden %d, embed %d, %d classes), the data "
                       "(%d classes, vocabulary %d) and the head (H %d, E %d, C %d, V %d) "
                       "disagree",
                       m->hidden, m->embed, m->n_classes, d->n_classes, d->vocab_size, h->H, h->E,
                       h->C, h->V);
    if (m->layers < 1 || m->seq < 1 || !(m->test_frac > 0 && m->test_frac < 1) || m->epoch < 0 ||
        m->synth_docs < 0 ||
        (m->synth_classes != 0 && (m->synth_classes < 2 || m->synth_classes > RB_TC_MAX_CLASSES)))
        return rb_errf(e, RB_EINPUT,
                       "textclass save: bad meta: layers %d, seq %d, test_frac %g, epoch %d, "
                       "synth_classes %d, synth_docs %ld",
                       m->layers, m->seq, m->test_frac, m->epoch, m->synth_classes, m->synth_docs);
    int rc = ini_safe("task", m->task, 0, e);
    if (!rc)
        rc = ini_safe("cell", m->cell, 0, e);
    for (int c = 0; c < m->n_classes && !rc; c++) {
        if (strcmp(m->class_names[c], d->class_names[c]))
            return rb_errf(e, RB_EINPUT,
                           "textclass save: class %d is '%s' in the meta, '%s' in the data", c,
                           m->class_names[c], d->class_names[c]);
        rc = ini_safe("class name", m->class_names[c], 0, e);
    }
    if (!rc)
        rc = ini_safe("categories", m->categories, 1, e);
    for (int i = 0; i < d->vocab_size && !rc; i++)
        if (!d->vocab[i][0] || strpbrk(d->vocab[i], "\r\n"))
            rc = rb_errf(e, RB_EINPUT,
                         "textclass save: vocabulary word %d is empty or has a "
                         "line break",
                         i);
    return rc;
}

/* "categories = a,b,..." and, when that is too long for one of inih's lines,
 * continuation lines split at commas; rb_tc_load_meta joins them with ",".
 * Exact when it fits on one line; split, blanks beside the split commas go. */
static int write_categories(FILE *f, const char *s, rb_err *e)
{
    const char *key = "categories = ", *cont = "    ";
    size_t len = strlen(s), pos = 0;
    int first = 1;
    fputs(key, f);
    while (pos < len) {
        size_t room = LINE_MAX_CHARS - strlen(first ? key : cont), take = len - pos;
        if (take > room) {
            /* at the last comma that fits; inih trims the blanks beside it,
             * which the list's parser would have ignored anyway */
            size_t c = pos + room;
            while (c > pos && s[c] != ',')
                c--;
            if (c == pos)
                return rb_errf(e, RB_EINPUT,
                               "textclass save: categories '%s' cannot be split into lines of "
                               "%d characters",
                               s, LINE_MAX_CHARS);
            take = c - pos;
        }
        if (!first)
            fputs(cont, f);
        fprintf(f, "%.*s\n", (int)take, s + pos);
        pos += take + (pos + take < len); /* past the comma */
        first = 0;
    }
    if (first)
        fputc('\n', f);
    return 0;
}

static int write_ini(const char *path, const rb_tc_head *h, const rb_tc_data *d,
                     const rb_tc_meta *m, rb_err *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f,
            "; rnnbench text classifier: embedding.npy, head_weight.npy, head_bias.npy and\n"
            "; vocab.txt beside this file (workloads/textclass/README.md)\n"
            "[textclass]\n"
            "task = %s\ncell = %s\nhidden = %d\nlayers = %d\nembed = %d\nseq = %d\n"
            "vocab = %d\nclasses = %d\n",
            m->task, m->cell, m->hidden, m->layers, m->embed, m->seq, d->vocab_size, m->n_classes);
    /* %.9g: every float back to the same float */
    for (int c = 0; c < m->n_classes; c++)
        fprintf(f, "class_%d = %s\nweight_%d = %.9g\n", c, m->class_names[c], c,
                (double)h->class_w[c]);
    int rc = write_categories(f, m->categories, e);
    fprintf(f,
            "split_seed = %" PRIu64 "\ntest_frac = %.17g\nmax_per_class = %zu\n"
            "synth_classes = %d\nsynth_docs = %ld\nepoch = %d\n",
            m->split_seed, m->test_frac, m->max_per_class, m->synth_classes, m->synth_docs,
            m->epoch);
    if (ferror(f) && !rc)
        rc = rb_errf(e, RB_EINPUT, "%s: write failed", path);
    if (fclose(f) != 0 && !rc)
        rc = rb_errf(e, RB_EINPUT, "%s: write failed: %s", path, strerror(errno));
    return rc;
}

static int write_vocab(const char *path, const rb_tc_data *d, rb_err *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: cannot create: %s", path, strerror(errno));
    for (int i = 0; i < d->vocab_size; i++)
        fprintf(f, "%s\n", d->vocab[i]);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rb_errf(e, RB_EINPUT, "%s: write failed", path);
    return 0;
}

int rb_tc_save(const char *dir, const rb_tc_head *h, const rb_tc_data *d, const rb_tc_meta *m,
               rb_err *e)
{
    int rc = check(h, d, m, e);
    if (rc != 0)
        return rc;
    /* one level, like `mkdir`: a missing parent is more likely a typo */
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return rb_errf(e, RB_EINPUT, "%s: cannot create directory: %s", dir, strerror(errno));
    char path[4096];
    size_t emb_shape[2] = {(size_t)h->V, (size_t)h->E}, w_shape[2] = {(size_t)h->C, (size_t)h->H};
    size_t b_shape[1] = {(size_t)h->C};
    if ((rc = rb_tc_path(path, sizeof path, dir, "embedding.npy", e)) ||
        (rc = rb_npy_write_f32(path, h->emb, 2, emb_shape, e)) ||
        (rc = rb_tc_path(path, sizeof path, dir, "head_weight.npy", e)) ||
        (rc = rb_npy_write_f32(path, h->w, 2, w_shape, e)) ||
        (rc = rb_tc_path(path, sizeof path, dir, "head_bias.npy", e)) ||
        (rc = rb_npy_write_f32(path, h->b, 1, b_shape, e)) ||
        (rc = rb_tc_path(path, sizeof path, dir, "vocab.txt", e)) ||
        (rc = write_vocab(path, d, e)) ||
        (rc = rb_tc_path(path, sizeof path, dir, "textclass.ini", e)) ||
        (rc = write_ini(path, h, d, m, e)))
        return rc;
    return 0;
}
