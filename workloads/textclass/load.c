/* load.c — a saved head back: textclass.ini (libinih), vocab.txt, tensors.
 * Every complaint names the file, and the key or line where it has one. */
#include <errno.h>
#include <ini.h>
#include "../files.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../npy.h"
#include "../workload.h"
#include "tc_internal.h"

/* A vocabulary this large is not one this module wrote. */
#define VOCAB_LIMIT 10000000
#define VOCAB_MAX_FILE (256L << 20) /* 10^7 words of 25 bytes */
/* What `rnnbench train` can make, with room: a larger value is a damaged or
 * hostile file, and would cost minutes or gigabytes before failing
 * (synth_docs: train's synthetic task has 800) */
#define SIZE_LIMIT 16384
#define LAYERS_LIMIT 64
#define SYNTH_DOCS_LIMIT 100000

enum {
    K_TASK,
    K_CELL,
    K_HIDDEN,
    K_LAYERS,
    K_EMBED,
    K_SEQ,
    K_VOCAB,
    K_CLASSES,
    K_CATEGORIES,
    K_SPLIT_SEED,
    K_TEST_FRAC,
    K_MAX_PER_CLASS,
    K_SYNTH_CLASSES,
    K_SYNTH_DOCS,
    K_EPOCH,
    K_COUNT
};
static const char *const key_name[K_COUNT] = {
    "task",      "cell",          "hidden",        "layers",     "embed",
    "seq",       "vocab",         "classes",       "categories", "split_seed",
    "test_frac", "max_per_class", "synth_classes", "synth_docs", "epoch"};

typedef struct meta_ctx {
    rb_tc_meta *m;
    int n_vocab;
    unsigned seen;                    /* bit per key */
    unsigned class_seen, weight_seen; /* bit per class index */
    int failed;
    rb_err *e; /* the first problem; inih gives its line */
} meta_ctx;

static int fail(meta_ctx *c, const char *fmt, const char *key, const char *value)
{
    if (!c->failed) {
        c->failed = 1;
        rb_errf(c->e, RB_EINPUT, fmt, key, value);
    }
    return 0;
}

/* Decimal digits only, into [lo, hi]. */
static int parse_u64(const char *v, unsigned long long hi, unsigned long long *out)
{
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    unsigned long long x;
    if (parse_u64(v, (unsigned long long)hi, &x) || x < (unsigned long long)lo)
        return -1;
    *out = (int)x;
    return 0;
}

/* "class_3" -> 3 */
static int indexed(const char *key, const char *prefix, int *idx)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n))
        return 0;
    return parse_int(key + n, 0, RB_TC_MAX_CLASSES - 1, idx) == 0 ? 1 : -1;
}

static int copy_str(char *dst, size_t n, const char *v)
{
    size_t len = strlen(v);
    if (len >= n)
        return -1;
    memcpy(dst, v, len + 1);
    return 0;
}

static int on_key(void *user, const char *section, const char *key, const char *v)
{
    meta_ctx *c = user;
    rb_tc_meta *m = c->m;
    if (strcmp(section, "textclass"))
        return fail(c, "key '%s' outside [textclass] (in [%s])", key, section);
    int k = 0, idx = 0; /* indexed() sets it whenever it returns 1 */
    while (k < K_COUNT && strcmp(key, key_name[k]))
        k++;
    if (k == K_COUNT) {
        int is_class = indexed(key, "class_", &idx), is_weight = indexed(key, "weight_", &idx);
        if (is_class == 1) {
            if (copy_str(m->class_names[idx], RB_TC_NAME, v) || !*v)
                return fail(c, "bad %s value '%s': empty or longer than 31 bytes", key, v);
            c->class_seen |= 1u << idx;
            return 1;
        }
        if (is_weight == 1) {
            char *end;
            errno = 0;
            float w = strtof(v, &end);
            if (!*v || *end || errno || !(w >= 0) || w > 1e30f)
                return fail(c, "bad %s value '%s': expected a class weight >= 0", key, v);
            m->class_weight[idx] = w;
            c->weight_seen |= 1u << idx;
            return 1;
        }
        return fail(c, "unknown key '%s'%s", key,
                    is_class || is_weight ? " (class index 0..15)" : "");
    }
    /* a continuation line of categories (save.c splits long lists) */
    if (k == K_CATEGORIES && (c->seen >> k & 1)) {
        size_t have = strlen(m->categories);
        if (have + 1 + strlen(v) >= sizeof m->categories)
            return fail(c, "bad %s value: longer than 511 bytes%s", key, "");
        m->categories[have] = ',';
        memcpy(m->categories + have + 1, v, strlen(v) + 1);
        return 1;
    }
    if (c->seen >> k & 1)
        return fail(c, "key '%s' given twice%s", key, "");
    c->seen |= 1u << k;
    unsigned long long u;
    int bad = 0;
    switch (k) {
    case K_TASK: bad = copy_str(m->task, sizeof m->task, v) || !*v; break;
    case K_CELL: {
        rb_cell cell;
        bad = rb_cell_parse(v, &cell) != 0 || copy_str(m->cell, sizeof m->cell, v);
        break;
    }
    case K_HIDDEN: bad = parse_int(v, 1, SIZE_LIMIT, &m->hidden); break;
    case K_LAYERS: bad = parse_int(v, 1, LAYERS_LIMIT, &m->layers); break;
    case K_EMBED: bad = parse_int(v, 1, SIZE_LIMIT, &m->embed); break;
    case K_SEQ: bad = parse_int(v, 1, RB_TC_SEQ_LIMIT, &m->seq); break;
    case K_VOCAB: bad = parse_int(v, 2, VOCAB_LIMIT, &c->n_vocab); break;
    case K_CLASSES: bad = parse_int(v, 2, RB_TC_MAX_CLASSES, &m->n_classes); break;
    case K_CATEGORIES: bad = copy_str(m->categories, sizeof m->categories, v); break;
    case K_SPLIT_SEED:
        /* u is set only by a successful parse */
        if (!(bad = parse_u64(v, UINT64_MAX, &u)))
            m->split_seed = u;
        break;
    case K_TEST_FRAC: {
        char *end;
        errno = 0;
        m->test_frac = strtod(v, &end);
        bad = !*v || *end || errno || !(m->test_frac > 0 && m->test_frac < 1);
        break;
    }
    case K_MAX_PER_CLASS:
        if (!(bad = parse_u64(v, SIZE_MAX, &u)))
            m->max_per_class = (size_t)u;
        break;
    case K_SYNTH_CLASSES:
        bad = parse_int(v, 0, RB_TC_MAX_CLASSES, &m->synth_classes) || m->synth_classes == 1;
        break;
    case K_SYNTH_DOCS:
        if (!(bad = parse_u64(v, SYNTH_DOCS_LIMIT, &u)))
            m->synth_docs = (long)u;
        break;
    default: bad = parse_int(v, 0, INT_MAX, &m->epoch); break;
    }
    if (bad)
        return fail(c,
                    "bad %s value '%s' (out of range or not a number: README.md here lists "
                    "the ranges)",
                    key, v);
    return 1;
}

static int read_ini(const char *dir, rb_tc_meta *m, int *n_vocab, rb_err *e)
{
    char path[4096];
    int rc = rb_tc_path(path, sizeof path, dir, "textclass.ini", e);
    if (rc != 0)
        return rc;
    meta_ctx c = {.m = m, .e = e};
    FILE *f = rb_fopen_in(path, 64 << 10, "a textclass.ini", e);
    if (!f && errno != ENOENT && errno != EACCES)
        return e->code;
    if (!f)
        return rb_errf(e, RB_EINPUT,
                       "%s: cannot open: %s (a saved text classifier's directory holds it)", path,
                       strerror(errno));
    if ((rc = rb_ini_parse(f, path, on_key, &c, e)))
        return rc;
    for (int k = 0; k < K_COUNT; k++)
        if (!(c.seen >> k & 1))
            return rb_errf(e, RB_EINPUT, "%s: missing key '%s'", path, key_name[k]);
    unsigned want = (1u << m->n_classes) - 1;
    for (int i = 0; i < RB_TC_MAX_CLASSES; i++) {
        const char *which = !(c.class_seen >> i & 1) ? "class" : "weight";
        int have = (c.class_seen >> i & 1) && (c.weight_seen >> i & 1);
        if ((want >> i & 1) && !have)
            return rb_errf(e, RB_EINPUT, "%s: missing key '%s_%d' (classes = %d)", path, which, i,
                           m->n_classes);
        if (!(want >> i & 1) && ((c.class_seen | c.weight_seen) >> i & 1))
            return rb_errf(e, RB_EINPUT, "%s: key '%s_%d' but classes = %d", path,
                           c.class_seen >> i & 1 ? "class" : "weight", i, m->n_classes);
    }
    *n_vocab = c.n_vocab;
    return 0;
}

/* vocab.txt: one word a line, id = line - 1, exactly `expect` lines. */
static int read_vocab(const char *dir, int expect, char ***out, rb_err *e)
{
    char path[4096];
    int rc = rb_tc_path(path, sizeof path, dir, "vocab.txt", e);
    if (rc != 0)
        return rc;
    FILE *f = rb_fopen_in(path, VOCAB_MAX_FILE, "a vocab.txt", e);
    if (!f)
        return e->code;
    char **v = calloc((size_t)expect, sizeof *v);
    rb_tc_strtab seen = {0};
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    ssize_t len;
    if (!v)
        rc = rb_errf(e, RB_ENOMEM, "%s: out of memory", path);
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        int id;
        if (n == expect)
            rc = rb_errf(e, RB_EINPUT, "%s: more than the %d words textclass.ini says", path,
                         expect);
        else if (!len || strlen(line) != (size_t)len)
            rc = rb_errf(e, RB_EINPUT, "%s line %d: empty word", path, n + 1);
        else if (rb_tc_strtab_intern(&seen, line, (size_t)len, &id) != 0)
            rc = rb_errf(e, RB_ENOMEM, "%s: out of memory", path);
        else if (id != n)
            rc = rb_errf(e, RB_EINPUT, "%s line %d: '%s' already on line %d", path, n + 1, line,
                         id + 1);
        else if (!(v[n] = strdup(line)))
            rc = rb_errf(e, RB_ENOMEM, "%s: out of memory", path);
        else
            n++;
    }
    if (!rc && ferror(f))
        rc = rb_errf(e, RB_EINPUT, "%s: read error", path);
    if (!rc && n != expect)
        rc = rb_errf(e, RB_EINPUT, "%s: %d words, textclass.ini says %d", path, n, expect);
    if (!rc && (strcmp(v[RB_TC_PAD], RB_TC_PAD_WORD) || strcmp(v[RB_TC_UNK], RB_TC_UNK_WORD)))
        rc = rb_errf(e, RB_EINPUT, "%s: must start with %s and %s", path, RB_TC_PAD_WORD,
                     RB_TC_UNK_WORD);
    free(line);
    fclose(f);
    rb_tc_strtab_free(&seen);
    if (rc) {
        rb_tc_vocab_free(v, expect);
        return rc;
    }
    *out = v;
    return 0;
}

void rb_tc_vocab_free(char **vocab, int n)
{
    if (!vocab)
        return;
    for (int i = 0; i < n; i++)
        free(vocab[i]);
    free(vocab);
}

int rb_tc_load_meta(const char *dir, rb_tc_meta *m, char ***vocab, int *n_vocab, rb_err *e)
{
    memset(m, 0, sizeof *m);
    *vocab = NULL;
    *n_vocab = 0;
    int n, rc = read_ini(dir, m, &n, e);
    if (rc == 0)
        rc = read_vocab(dir, n, vocab, e);
    if (rc == 0)
        *n_vocab = n;
    return rc;
}

/* One tensor of exactly the given shape into dst. */
static int load_tensor(const char *dir, const char *name, int ndim, const size_t *shape, float *dst,
                       rb_err *e)
{
    char path[4096];
    int rc = rb_tc_path(path, sizeof path, dir, name, e);
    if (rc != 0)
        return rc;
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    rb_npy a;
    /* room for a float64 file of this shape: anything larger is not it */
    if ((rc = rb_npy_read_f32(path, &a, count * sizeof(double) + 4096, e)) != 0)
        return rc;
    if ((rc = rb_npy_check_finite(&a, path, e)) != 0) {
        rb_npy_free(&a);
        return rc;
    }
    int ok = a.ndim == ndim;
    for (int d = 0; ok && d < ndim; d++)
        ok = a.shape[d] == shape[d];
    if (!ok) {
        char got[128] = "", want[128] = "";
        for (int d = 0; d < a.ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), d ? ", %zu" : "%zu", a.shape[d]);
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), d ? ", %zu" : "%zu",
                     shape[d]);
        rb_npy_free(&a);
        return rb_errf(e, RB_EINPUT, "%s: shape [%s], textclass.ini and vocab.txt say [%s]", path,
                       got, want);
    }
    memcpy(dst, a.f32, count * sizeof *dst);
    rb_npy_free(&a);
    return 0;
}

int rb_tc_load_head(const char *dir, const rb_tc_meta *m, int n_vocab, rb_tc_head *h, rb_err *e)
{
    int rc = rb_tc_head_alloc(h, n_vocab, m->embed, m->hidden, m->n_classes, e);
    if (rc != 0)
        return rc;
    size_t emb[2] = {(size_t)n_vocab, (size_t)m->embed};
    size_t w[2] = {(size_t)m->n_classes, (size_t)m->hidden}, b[1] = {(size_t)m->n_classes};
    if ((rc = load_tensor(dir, "embedding.npy", 2, emb, h->emb, e)) ||
        (rc = load_tensor(dir, "head_weight.npy", 2, w, h->w, e)) ||
        (rc = load_tensor(dir, "head_bias.npy", 1, b, h->b, e))) {
        rb_tc_head_free(h);
        return rc;
    }
    for (int j = 0; j < m->embed; j++)
        if (h->emb[j] != 0.0f) {
            rb_tc_head_free(h);
            return rb_errf(e, RB_EINPUT,
                           "%s/embedding.npy: row 0 (%s) is not zero; the padding row must be "
                           "(nn.Embedding(padding_idx=0))",
                           dir, RB_TC_PAD_WORD);
        }
    memcpy(h->class_w, m->class_weight, sizeof h->class_w);
    return 0;
}
