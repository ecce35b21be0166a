/* test_textclass_save.c — a saved head reads back identical (tensors,
 * vocabulary, meta), and every broken or missing file is refused with
 * RB_EINPUT and its name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../workloads/npy.h"
#include "../../workloads/textclass/textclass.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_textclass_XXXXXX";

/* A path in the test's directory; the last 8 stay valid. */
static const char *tmp_path(const char *name)
{
    static char path[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void spit(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s, 1, strlen(s), f) != strlen(s)) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

typedef struct fixture {
    rb_tc_data d;
    rb_tc_head h;
    rb_tc_meta m;
} fixture;

static int make(fixture *x)
{
    rb_tc_opts o;
    rb_err e = {0};
    rb_tc_opts_default(&o);
    o.seq = 12;
    o.seed = 3;
    if (rb_tc_make_synthetic(&o, 3, 60, &x->d, &e) || rb_tc_head_init(&x->h, &x->d, 5, 7, 9, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    rb_tc_meta *m = &x->m;
    memset(m, 0, sizeof *m);
    snprintf(m->task, sizeof m->task, "synthetic");
    snprintf(m->cell, sizeof m->cell, "lstm");
    m->hidden = 7;
    m->layers = 2;
    m->embed = 5;
    m->seq = 12;
    m->n_classes = 3;
    for (int c = 0; c < 3; c++)
        memcpy(m->class_names[c], x->d.class_names[c], RB_TC_NAME);
    m->split_seed = 18446744073709551615ull; /* the largest, to see it survive */
    m->test_frac = 0.2;
    m->max_per_class = 123;
    m->synth_classes = 3;
    m->synth_docs = 60;
    m->epoch = 4;
    return 0;
}

static void unmake(fixture *x)
{
    rb_tc_head_free(&x->h);
    rb_tc_data_free(&x->d);
}

static int save(const char *dir, fixture *x)
{
    rb_err e = {0};
    int rc = rb_tc_save(dir, &x->h, &x->d, &x->m, &e);
    if (rc)
        fprintf(stderr, "save: %s\n", e.msg);
    return rc;
}

/* s without blanks, in a static buffer (one call per expression at a time) */
static const char *unspaced(const char *s)
{
    static char buf[2][512];
    static int k;
    k ^= 1;
    size_t n = 0;
    for (; *s && n + 1 < sizeof buf[k]; s++)
        if (*s != ' ')
            buf[k][n++] = *s;
    buf[k][n] = '\0';
    return buf[k];
}

static void check_round_trip(const char *dir, fixture *x)
{
    rb_tc_meta m;
    char **vocab;
    int n_vocab;
    rb_err e = {0};
    int rc = rb_tc_load_meta(dir, &m, &vocab, &n_vocab, &e);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "load meta: %s\n", e.msg);
        return;
    }
    /* the meta as given, plus the head's class weights */
    rb_tc_meta want;
    memcpy(&want, &x->m, sizeof want); /* padding too: both were zeroed first */
    memcpy(want.class_weight, x->h.class_w, sizeof want.class_weight);
    /* a split list loses the blanks beside its split commas (see the caller) */
    if (strcmp(m.categories, want.categories) &&
        !strcmp(unspaced(m.categories), unspaced(want.categories)))
        memcpy(m.categories, want.categories, sizeof m.categories);
    CHECK(!memcmp(&m, &want, sizeof m));
    CHECK_INT(n_vocab, x->d.vocab_size);
    int same = n_vocab == x->d.vocab_size;
    for (int i = 0; same && i < n_vocab; i++)
        same = !strcmp(vocab[i], x->d.vocab[i]);
    CHECK(same);
    rb_tc_head h;
    rc = rb_tc_load_head(dir, &m, n_vocab, &h, &e);
    CHECK_INT(rc, 0);
    if (rc == 0) {
        CHECK(h.V == x->h.V && h.E == x->h.E && h.H == x->h.H && h.C == x->h.C && h.n == x->h.n);
        CHECK(!memcmp(h.p, x->h.p, h.n * sizeof *h.p));
        CHECK(!memcmp(h.class_w, x->h.class_w, sizeof h.class_w));
        CHECK(h.step == 0 && h.g[0] == 0 && h.m[h.n - 1] == 0);
        rb_tc_head_free(&h);
    } else
        fprintf(stderr, "load head: %s\n", e.msg);
    rb_tc_vocab_free(vocab, n_vocab);
}

static void test_round_trip(void)
{
    fixture x;
    if (make(&x)) {
        CHECK(0);
        return;
    }
    const char *dir = tmp_path("model");
    CHECK_INT(save(dir, &x), 0);
    check_round_trip(dir, &x);
    /* the npy files are PyTorch's layouts */
    rb_npy a;
    rb_err e = {0};
    CHECK_INT(rb_npy_read_f32(tmp_path("model/embedding.npy"), &a, 0, &e), 0);
    CHECK(a.ndim == 2 && a.shape[0] == (size_t)x.h.V && a.shape[1] == 5);
    rb_npy_free(&a);
    CHECK_INT(rb_npy_read_f32(tmp_path("model/head_weight.npy"), &a, 0, &e), 0);
    CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 7);
    rb_npy_free(&a);
    CHECK_INT(rb_npy_read_f32(tmp_path("model/head_bias.npy"), &a, 0, &e), 0);
    CHECK(a.ndim == 1 && a.shape[0] == 3);
    rb_npy_free(&a);
    /* saving again into the same directory replaces it */
    x.h.b[0] = 42.0f;
    x.m.epoch = 5;
    CHECK_INT(save(dir, &x), 0);
    check_round_trip(dir, &x);

    /* a categories list too long for one of inih's lines is split and joined */
    char *p = x.m.categories;
    for (int c = 0; c < 16; c++)
        p += sprintf(p, "%scategory-name-number-%02d", c ? "," : "", c);
    CHECK(strlen(x.m.categories) > 300);
    const char *dir2 = tmp_path("model-long");
    CHECK_INT(save(dir2, &x), 0);
    check_round_trip(dir2, &x);
    /* with spaces after the commas, as a person might type it: a split line
     * loses the blanks beside the commas it is split at, nothing else */
    p = x.m.categories;
    for (int c = 0; c < 12; c++)
        p += sprintf(p, "%scategory-name-number-%02d", c ? ", " : "", c);
    p += sprintf(p, ",last");
    CHECK_INT(save(dir2, &x), 0);
    check_round_trip(dir2, &x);
    unmake(&x);
}

static void test_save_refused(void)
{
    fixture x;
    if (make(&x)) {
        CHECK(0);
        return;
    }
    rb_err e = {0};
    CHECK_INT(rb_tc_save(tmp_path("no/such/parent"), &x.h, &x.d, &x.m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "no/such/parent");
    x.m.hidden = 8;
    CHECK_INT(rb_tc_save(tmp_path("bad"), &x.h, &x.d, &x.m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "disagree");
    x.m.hidden = 7;
    snprintf(x.m.class_names[1], RB_TC_NAME, "other");
    CHECK_INT(rb_tc_save(tmp_path("bad"), &x.h, &x.d, &x.m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "class 1");
    snprintf(x.m.class_names[1], RB_TC_NAME, "c1");
    snprintf(x.m.categories, sizeof x.m.categories, "a;b");
    CHECK_INT(rb_tc_save(tmp_path("bad"), &x.h, &x.d, &x.m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "categories");
    unmake(&x);
}

/* Copy the good model directory's files into dir, then let the case break one. */
static const char *const files[] = {"textclass.ini", "vocab.txt", "embedding.npy",
                                    "head_weight.npy", "head_bias.npy"};

static void copy_model(const char *from, const char *to)
{
    mkdir(to, 0777);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/%s", from, files[i]);
        snprintf(b, sizeof b, "%s/%s", to, files[i]);
        FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
        char buf[4096];
        size_t n;
        while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
            fwrite(buf, 1, n, out);
        if (in)
            fclose(in);
        if (out)
            fclose(out);
    }
}

/* Replace the first occurrence of old in dir/name by new. */
static void edit(const char *dir, const char *name, const char *old, const char *new_text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = slurp(path);
    char *at = s ? strstr(s, old) : NULL;
    if (!at) {
        fprintf(stderr, "edit: '%s' not in %s\n", old, path);
        exit(1);
    }
    size_t n = strlen(s) - strlen(old) + strlen(new_text) + 1;
    char *t = malloc(n);
    snprintf(t, n, "%.*s%s%s", (int)(at - s), s, new_text, at + strlen(old));
    spit(path, t);
    free(s);
    free(t);
}

typedef enum { AT_META, AT_HEAD } stage;

static void expect_refused(const char *dir, stage at, const char *needle, const char *needle2)
{
    rb_tc_meta m;
    char **vocab;
    int n_vocab;
    rb_err e = {0};
    int rc = rb_tc_load_meta(dir, &m, &vocab, &n_vocab, &e);
    if (at == AT_HEAD && rc == 0) {
        rb_tc_head h;
        rc = rb_tc_load_head(dir, &m, n_vocab, &h, &e);
        if (rc == 0)
            rb_tc_head_free(&h);
        rb_tc_vocab_free(vocab, n_vocab);
    } else if (rc == 0) {
        rb_tc_vocab_free(vocab, n_vocab);
    } else {
        CHECK(vocab == NULL && n_vocab == 0);
    }
    CHECK_INT(rc, RB_EINPUT);
    CHECK_STR_HAS(e.msg, needle);
    if (needle2)
        CHECK_STR_HAS(e.msg, needle2);
}

static void test_load_refused(void)
{
    fixture x;
    if (make(&x)) {
        CHECK(0);
        return;
    }
    char good[512];
    snprintf(good, sizeof good, "%s", tmp_path("good"));
    if (save(good, &x)) {
        CHECK(0);
        unmake(&x);
        return;
    }
    static const struct {
        const char *file, *old, *new_text;
        stage at;
        const char *needle, *needle2;
    } cases[] = {
        {"textclass.ini", "hidden = 7\n", "", AT_META, "missing key 'hidden'", NULL},
        {"textclass.ini", "hidden = 7", "hidden = 7x", AT_META,
         "textclass.ini:6: ", "bad hidden value '7x'"},
        {"textclass.ini", "seq = 12", "seq = -1", AT_META, "bad seq value '-1'", NULL},
        {"textclass.ini", "test_frac = 0.2", "test_frac = 1.5", AT_META, "bad test_frac", NULL},
        {"textclass.ini", "split_seed = 18446744073709551615", "split_seed = 18446744073709551616",
         AT_META, "bad split_seed", NULL},
        {"textclass.ini", "cell = lstm", "cell = tcn", AT_META, "bad cell value 'tcn'", NULL},
        {"textclass.ini", "layers = 2", "layers = 2\nwidth = 3", AT_META, "unknown key 'width'",
         NULL},
        {"textclass.ini", "layers = 2", "layers = 2\nlayers = 3", AT_META, "'layers' given twice",
         NULL},
        {"textclass.ini", "[textclass]", "[model]", AT_META, "outside [textclass]", NULL},
        {"textclass.ini", "classes = 3", "classes = 4", AT_META, "missing key 'class_3'", NULL},
        {"textclass.ini", "classes = 3", "classes = 2", AT_META, "'class_2' but classes = 2", NULL},
        {"textclass.ini", "weight_1 = ", "weight_1 = -", AT_META, "bad weight_1", NULL},
        {"textclass.ini", "vocab = ", "vocab = 1", AT_META, "vocab.txt: 40 words", "says 140"},
        {"textclass.ini", "task = synthetic", "task synthetic", AT_META,
         "textclass.ini:4: not valid INI", NULL},
        {"vocab.txt", "<pad>\n<unk>\n", "<unk>\n<pad>\n", AT_META, "vocab.txt",
         "must start with <pad>"},
        {"vocab.txt", "m0b\n", "m0a\n", AT_META, "vocab.txt line 4", "already on line 3"},
        {"vocab.txt", "m0b\n", "\n", AT_META, "vocab.txt line 4: empty word", NULL},
        {"vocab.txt", "m0b\n", "", AT_META, "vocab.txt", "words, textclass.ini says"},
        {"vocab.txt", "m0b\n", "m0b\nextra\n", AT_META, "vocab.txt", "more than"},
        {"head_bias.npy", "NUMPY", "NUMPX", AT_HEAD, "head_bias.npy", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "broken%zu", i);
        const char *dir = tmp_path(name);
        copy_model(good, dir);
        edit(dir, cases[i].file, cases[i].old, cases[i].new_text);
        size_t before = (size_t)rb_test_failures;
        expect_refused(dir, cases[i].at, cases[i].needle, cases[i].needle2);
        if ((size_t)rb_test_failures != before)
            fprintf(stderr, "  (case %zu: %s)\n", i, cases[i].new_text);
    }
    /* missing files, each named */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "missing%zu", i);
        const char *dir = tmp_path(name);
        copy_model(good, dir);
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
        expect_refused(dir, i < 2 ? AT_META : AT_HEAD, path, NULL);
    }
    expect_refused(tmp_path("no-such-model"), AT_META, "no-such-model/textclass.ini", NULL);
    /* a tensor of the wrong shape, and an embedding whose padding row is not zero */
    const char *dir = tmp_path("shape");
    copy_model(good, dir);
    size_t shape[2] = {(size_t)x.h.V, 6};
    float *z = calloc((size_t)x.h.V * 6, sizeof *z);
    rb_err e = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/embedding.npy", dir);
    CHECK_INT(rb_npy_write_f32(path, z, 2, shape, &e), 0);
    expect_refused(dir, AT_HEAD, "embedding.npy: shape [40, 6]", "say [40, 5]");
    shape[1] = 5;
    z[2] = 1.0f;
    CHECK_INT(rb_npy_write_f32(path, z, 2, shape, &e), 0);
    expect_refused(dir, AT_HEAD, "embedding.npy: row 0", "not zero");
    free(z);
    unmake(&x);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_save_refused();
    test_load_refused();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rb_test_done("test_textclass_save");
}
