/* test_matrix.c — matrix files and command-line axes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../workloads/matrix.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_matrix_XXXXXX";

/* Writes content to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *content)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(content, f);
    fclose(f);
    return path;
}

static int has_key(const rb_matrix *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->points[i].key, key))
            return 1;
    return 0;
}

static void test_valid_basic(void)
{
    const char *p = write_file("basic.ini", "; a comment\n"
                                            "[a]\n"
                                            "seq = 25 50\n"
                                            "hidden = 8,16\n"
                                            "batch = 1, 2,4   ; inline comment\n");
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), 0);
    CHECK_INT(m.n, 12);
    if (m.n == 12) {
        /* seq outermost, then hidden, batch innermost */
        CHECK_STR_HAS(m.points[0].key, "lstm_infer_t25_b1_i8_h8_l1");
        CHECK_STR_HAS(m.points[1].key, "lstm_infer_t25_b2_i8_h8_l1");
        CHECK_STR_HAS(m.points[2].key, "lstm_infer_t25_b4_i8_h8_l1");
        CHECK_STR_HAS(m.points[3].key, "lstm_infer_t25_b1_i16_h16_l1");
        CHECK_STR_HAS(m.points[11].key, "lstm_infer_t50_b4_i16_h16_l1");
        CHECK_INT(m.points[11].seq, 50);
        CHECK_INT(m.points[11].hidden, 16);
        CHECK_INT(m.points[11].input, 16);
        CHECK_INT(m.points[11].batch, 4);
        CHECK_INT(m.points[11].layers, 1);
        CHECK_INT(m.points[11].cell, RB_CELL_LSTM);
        CHECK_INT(m.points[11].mode, RB_MODE_INFER);
        CHECK_INT(m.points[11].input_proj, 1);
    }
    rb_matrix_free(&m);
    CHECK(m.points == NULL && m.n == 0);
}

static void test_valid_axes(void)
{
    /* every axis, CRLF endings, ':' separator, continuation line, input list */
    const char *p = write_file("axes.ini", "[x]\r\n"
                                           "cell = rnn lstm\r\n"
                                           "mode: train\r\n"
                                           "seq = 3\r\n"
                                           "hidden = 4\r\n"
                                           "    6\r\n"
                                           "input = hidden 5\r\n"
                                           "layers = 2\r\n"
                                           "batch = 7\r\n");
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), 0);
    CHECK_INT(m.n, 8); /* 2 cells x 2 hidden x 2 inputs */
    if (m.n == 8) {
        CHECK_STR_HAS(m.points[0].key, "rnn_train_t3_b7_i4_h4_l2");
        CHECK_STR_HAS(m.points[1].key, "rnn_train_t3_b7_i5_h4_l2");
        CHECK_STR_HAS(m.points[2].key, "rnn_train_t3_b7_i6_h6_l2");
        CHECK_STR_HAS(m.points[4].key, "lstm_train_t3_b7_i4_h4_l2");
        CHECK_INT(m.points[4].cell, RB_CELL_LSTM);
        CHECK_INT(m.points[0].cell, RB_CELL_RNN);
        CHECK_INT(m.points[0].mode, RB_MODE_TRAIN);
    }
    rb_matrix_free(&m);
}

static void test_dedup_and_append(void)
{
    /* b overlaps a in one point; "input = 8" equals "input = hidden" at h 8 */
    const char *p = write_file("dup.ini", "[a]\nseq = 5\nhidden = 8 16\n\n"
                                          "[b]\nseq = 5\nhidden = 8\ninput = 8 hidden\n"
                                          "batch = 1 2\n");
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), 0);
    CHECK_INT(m.n, 3);
    CHECK(has_key(&m, "lstm_infer_t5_b1_i8_h8_l1"));
    CHECK(has_key(&m, "lstm_infer_t5_b1_i16_h16_l1"));
    CHECK(has_key(&m, "lstm_infer_t5_b2_i8_h8_l1"));
    /* loading again appends, and every point is already there */
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), 0);
    CHECK_INT(m.n, 3);
    /* without input projection the keys differ, so they are new points */
    CHECK_INT(rb_matrix_load(&m, p, NULL, 0, &e), 0);
    CHECK_INT(m.n, 6);
    CHECK(has_key(&m, "lstm_infer_t5_b2_i8_h8_l1_noproj"));
    CHECK_INT(m.points[5].input_proj, 0);
    rb_matrix_free(&m);
}

static void test_override(void)
{
    const char *p = write_file("ovr.ini", "[a]\nseq = 25 50\nhidden = 8\nbatch = 1 2 4\n"
                                          "[b]\ncell = rnn\nseq = 3\nhidden = 4\n");
    rb_axes o;
    memset(&o, 0, sizeof o);
    rb_err e = {0};
    CHECK_INT(rb_axes_set(&o, "batch", "7", &e), 0);
    rb_matrix m = {0};
    CHECK_INT(rb_matrix_load(&m, p, &o, 1, &e), 0);
    CHECK_INT(m.n, 3); /* [a]: 2 seq x batch 7; [b]: 1 point, batch 7 */
    CHECK(has_key(&m, "lstm_infer_t25_b7_i8_h8_l1"));
    CHECK(has_key(&m, "lstm_infer_t50_b7_i8_h8_l1"));
    CHECK(has_key(&m, "rnn_infer_t3_b7_i4_h4_l1"));
    rb_matrix_free(&m);

    /* an override seq replaces the section's list entirely */
    CHECK_INT(rb_axes_set(&o, "seq", "9", &e), 0);
    CHECK_INT(rb_matrix_load(&m, p, &o, 1, &e), 0);
    CHECK_INT(m.n, 2);
    CHECK(has_key(&m, "lstm_infer_t9_b7_i8_h8_l1"));
    CHECK(has_key(&m, "rnn_infer_t9_b7_i4_h4_l1"));
    rb_matrix_free(&m);

    /* required axes may come from the command line */
    const char *q = write_file("ovr2.ini", "[only-cell]\ncell = rnn\n");
    memset(&o, 0, sizeof o);
    CHECK_INT(rb_axes_set(&o, "seq", "2", &e), 0);
    CHECK_INT(rb_matrix_load(&m, q, &o, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "'hidden'");
    CHECK_INT(rb_axes_set(&o, "hidden", "3", &e), 0);
    CHECK_INT(rb_matrix_load(&m, q, &o, 1, &e), 0);
    CHECK_INT(m.n, 1);
    CHECK(has_key(&m, "rnn_infer_t2_b1_i3_h3_l1"));
    rb_matrix_free(&m);
}

/* ---- bad files: each must fail with RB_EINPUT naming file, line, key, token */

typedef struct bad_case {
    const char *name;
    const char *text;
    const char *frag[4];
} bad_case;

#define SEC "[a]\nseq = 25\nhidden = 8\n"

static const bad_case bad_cases[] = {
    {"unknown-key", SEC "foo = 1\n", {"unknown-key.ini:4:", "unknown key 'foo'"}},
    {"suffix", SEC "batch = 1 12x\n", {"suffix.ini:4:", "batch", "'12x'", "positive integer"}},
    {"negative", SEC "batch = -3\n", {"negative.ini:4:", "batch", "'-3'"}},
    {"zero", "[a]\nseq = 0\nhidden = 8\n", {"zero.ini:2:", "seq", "'0'", "at least 1"}},
    {"exponent", SEC "layers = 1e3\n", {"exponent.ini:4:", "layers", "'1e3'"}},
    {"plus", SEC "layers = +2\n", {"plus.ini:4:", "layers", "'+2'"}},
    {"overflow",
     SEC "batch = 99999999999999999999999\n",
     {"overflow.ini:4:", "batch", "'99999999999999999999999'", "above the limit of 16777216"}},
    {"above-limit",
     "[a]\nseq = 25\nhidden = 16777217\n",
     {"above-limit.ini:3:", "hidden", "'16777217'", "above the limit"}},
    {"empty", SEC "batch =\n", {"empty.ini:4:", "empty batch value"}},
    {"only-commas", SEC "batch = , ,\n", {"only-commas.ini:4:", "empty batch value"}},
    {"double-comma", SEC "batch = 1,,2\n", {"double-comma.ini:4:", "batch", "empty item", "1,,2"}},
    {"trailing-comma", SEC "batch = 1,2,\n", {"trailing-comma.ini:4:", "batch", "empty item"}},
    {"leading-comma", SEC "batch = ,1\n", {"leading-comma.ini:4:", "batch", "empty item"}},
    {"duplicate",
     "[a]\nseq = 25\nhidden = 8\nseq = 50\n",
     {"duplicate.ini:4:", "duplicate key 'seq'", "[a]", "line 2"}},
    {"too-many",
     SEC "batch = 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
         "  1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n",
     {"too-many.ini:5:", "too many batch values", "64"}},
    {"outside",
     "seq = 25\n[a]\nseq = 25\nhidden = 8\n",
     {"outside.ini:1:", "'seq'", "outside any section"}},
    {"no-sections", "; nothing here\n\n", {"no-sections.ini:", "no sections"}},
    {"empty-file", "", {"empty-file.ini:", "no sections"}},
    {"missing-seq", "; header\n[a]\nhidden = 8\n", {"missing-seq.ini:2:", "[a]", "'seq'"}},
    {"missing-hidden",
     SEC "\n[second]\nseq = 5\n",
     {"missing-hidden.ini:5:", "[second]", "'hidden'"}},
    {"empty-section", SEC "[empty]\n", {"empty-section.ini:4:", "[empty]", "'seq'"}},
    {"no-equals", "[a]\nseq 25\nhidden = 8\n", {"no-equals.ini:2:", "syntax error", "'seq 25'"}},
    {"open-bracket",
     "[a\nseq = 25\nhidden = 8\n",
     {"open-bracket.ini:1:", "syntax error", "without ']'", "'[a'"}},
    {"empty-name", "[]\nseq = 25\nhidden = 8\n", {"empty-name.ini:1:", "empty section name"}},
    {"bad-cell", SEC "cell = lstm gur\n", {"bad-cell.ini:4:", "cell", "'gur'", "lstm, gru or rnn"}},
    {"bad-mode",
     SEC "mode = infer,backward\n",
     {"bad-mode.ini:4:", "mode", "'backward'", "infer or train"}},
    {"bad-input", SEC "input = hiden\n", {"bad-input.ini:4:", "input", "'hiden'", "'hidden'"}},
    {"hash-comment", SEC "batch = 1 # not a comment inline\n", {"hash-comment.ini:4:", "'#'"}},
    {"uppercase-key", SEC "Batch = 1\n", {"uppercase-key.ini:4:", "unknown key 'Batch'"}},
    /* the first error in file order wins, whoever found it */
    {"first-handler",
     "[a]\nseq = 25\nbatch = x\nhidden = 8\nlayers = y\n",
     {"first-handler.ini:3:", "'x'"}},
    {"first-syntax", "[a]\nseq 25\nbatch = x\nhidden = 8\n", {"first-syntax.ini:2:", "syntax"}},
    {"syntax-after",
     "[a]\nseq = 25\nhidden = 8\nbatch = x\nlayers 2\n",
     {"syntax-after.ini:4:", "'x'"}},
    /* an indented line after a key continues that key's list */
    {"continued-bad", SEC "batch = 1\n  2 nope\n", {"continued-bad.ini:5:", "batch", "'nope'"}},
    {"indented-key",
     SEC "batch = 1\n  layers = 2\n",
     {"indented-key.ini:5:", "continues the 'batch' list", "remove the indentation"}},
};

static void test_bad_files(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        char name[64];
        snprintf(name, sizeof name, "%s.ini", c->name);
        const char *p = write_file(name, c->text);
        rb_matrix m = {0};
        rb_err e = {0};
        int rc = rb_matrix_load(&m, p, NULL, 1, &e);
        if (rc != RB_EINPUT)
            fprintf(stderr, "case %s: rc %d (%s)\n", c->name, rc, e.msg);
        CHECK_INT(rc, RB_EINPUT);
        CHECK_INT(e.code, RB_EINPUT);
        CHECK_INT(m.n, 0);            /* nothing expanded */
        CHECK_STR_HAS(e.msg, tmpdir); /* the full path, as given */
        for (int k = 0; k < 4 && c->frag[k]; k++)
            CHECK_STR_HAS(e.msg, c->frag[k]);
        rb_matrix_free(&m);
    }
}

static void test_long_line(void)
{
    char text[600];
    int n = snprintf(text, sizeof text, "[a]\nseq = 25\nhidden = 8\nbatch =");
    while (n < 300)
        n += snprintf(text + n, sizeof text - (size_t)n, " 1");
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    const char *p = write_file("long.ini", text);
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "long.ini:4:");
    CHECK_STR_HAS(e.msg, "longer than 197");
    rb_matrix_free(&m);
}

static void test_unreadable(void)
{
    rb_matrix m = {0};
    rb_err e = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/does-not-exist.ini", tmpdir);
    CHECK_INT(rb_matrix_load(&m, path, NULL, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "does-not-exist.ini");
    CHECK_STR_HAS(e.msg, "No such file or directory");
    CHECK_INT(m.n, 0);
}

static void test_too_many_points(void)
{
    /* 40 x 40 x 41 = 65600 points: a typo, not a job */
    char text[2048];
    int n = snprintf(text, sizeof text, "[a]\nseq =");
    for (int i = 1; i <= 40; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " %d", i);
    n += snprintf(text + n, sizeof text - (size_t)n, "\nhidden =");
    for (int i = 1; i <= 40; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " %d", i);
    n += snprintf(text + n, sizeof text - (size_t)n, "\nbatch =");
    for (int i = 1; i <= 41; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " %d", i);
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    const char *p = write_file("huge.ini", text);
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, p, NULL, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "65600 workloads");
    CHECK_INT(m.n, 0);
}

/* ---- command-line axes ----------------------------------------------- */

typedef struct axes_case {
    const char *key, *value;
    int rc;
    int n;         /* values on success */
    int v0, vlast; /* first and last value on success */
    const char *frag[3];
} axes_case;

static const axes_case axes_cases[] = {
    {"batch", "1,4 16", 0, 3, 1, 16, {NULL}},
    {"batch", "1, 2,4", 0, 3, 1, 4, {NULL}},
    {"batch", "  8  ", 0, 1, 8, 8, {NULL}},
    {"seq", "16777216", 0, 1, 16777216, 16777216, {NULL}},
    {"seq", "007", 0, 1, 7, 7, {NULL}},
    {"input", "hidden,32", 0, 2, 0, 32, {NULL}},
    {"cell", "lstm lstm rnn", 0, 2, RB_CELL_LSTM, RB_CELL_RNN, {NULL}},
    {"mode", "train", 0, 1, RB_MODE_TRAIN, RB_MODE_TRAIN, {NULL}},
    {"batch", "12x", RB_EINPUT, 0, 0, 0, {"batch", "'12x'"}},
    {"batch", "", RB_EINPUT, 0, 0, 0, {"empty batch value"}},
    {"seq", "0", RB_EINPUT, 0, 0, 0, {"seq", "'0'", "at least 1"}},
    {"hidden", "2,-1", RB_EINPUT, 0, 0, 0, {"hidden", "'-1'"}},
    {"layers", "16777217", RB_EINPUT, 0, 0, 0, {"layers", "'16777217'", "limit"}},
    {"cell", "lstm rnn gru", 0, 3, RB_CELL_LSTM, RB_CELL_GRU, {NULL}},
    {"cell", "lstm gur", RB_EINPUT, 0, 0, 0, {"cell", "'gur'"}},
    {"input", "Hidden", RB_EINPUT, 0, 0, 0, {"input", "'Hidden'"}},
    {"hiden", "8", RB_EINPUT, 0, 0, 0, {"unknown key 'hiden'"}},
};

static int axis_n(const rb_axes *a, const char *key, const int **v)
{
    if (!strcmp(key, "cell"))
        return *v = a->cell, a->n_cell;
    if (!strcmp(key, "mode"))
        return *v = a->mode, a->n_mode;
    if (!strcmp(key, "seq"))
        return *v = a->seq, a->n_seq;
    if (!strcmp(key, "hidden"))
        return *v = a->hidden, a->n_hidden;
    if (!strcmp(key, "input"))
        return *v = a->input, a->n_input;
    if (!strcmp(key, "layers"))
        return *v = a->layers, a->n_layers;
    if (!strcmp(key, "batch"))
        return *v = a->batch, a->n_batch;
    return *v = NULL, -1;
}

static void test_axes_set(void)
{
    for (size_t i = 0; i < sizeof axes_cases / sizeof axes_cases[0]; i++) {
        const axes_case *c = &axes_cases[i];
        rb_axes a;
        memset(&a, 0, sizeof a);
        rb_err e = {0};
        int rc = rb_axes_set(&a, c->key, c->value, &e);
        if (rc != c->rc)
            fprintf(stderr, "axes case %zu (%s = '%s'): rc %d: %s\n", i, c->key, c->value, rc,
                    e.msg);
        CHECK_INT(rc, c->rc);
        const int *v;
        int n = axis_n(&a, c->key, &v);
        if (c->rc == 0) {
            CHECK_INT(n, c->n);
            if (n == c->n && n > 0) {
                CHECK_INT(v[0], c->v0);
                CHECK_INT(v[n - 1], c->vlast);
            }
        } else {
            CHECK(n <= 0); /* a bad list leaves the axis unset */
            for (int k = 0; k < 3 && c->frag[k]; k++)
                CHECK_STR_HAS(e.msg, c->frag[k]);
        }
    }

    /* a second call replaces; a failed call leaves the previous list */
    rb_axes a;
    memset(&a, 0, sizeof a);
    rb_err e = {0};
    CHECK_INT(rb_axes_set(&a, "batch", "1 2 3", &e), 0);
    CHECK_INT(rb_axes_set(&a, "batch", "5", &e), 0);
    CHECK_INT(a.n_batch, 1);
    CHECK_INT(a.batch[0], 5);
    CHECK_INT(rb_axes_set(&a, "batch", "6 x", &e), RB_EINPUT);
    CHECK_INT(a.n_batch, 1);
    CHECK_INT(a.batch[0], 5);

    /* 64 values fit, 65 do not */
    char list[512];
    int n = 0;
    for (int i = 1; i <= 64; i++)
        n += snprintf(list + n, sizeof list - (size_t)n, "%d ", i);
    CHECK_INT(rb_axes_set(&a, "seq", list, &e), 0);
    CHECK_INT(a.n_seq, 64);
    CHECK_INT(a.seq[63], 64);
    snprintf(list + n, sizeof list - (size_t)n, "65");
    CHECK_INT(rb_axes_set(&a, "seq", list, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "too many seq values");
    CHECK_INT(a.n_seq, 64);
}

static void test_from_axes(void)
{
    rb_axes a;
    memset(&a, 0, sizeof a);
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_from_axes(&m, &a, 1, &e), 0);
    CHECK_INT(m.n, 1);
    if (m.n == 1)
        CHECK_STR_HAS(m.points[0].key, "lstm_infer_t25_b1_i256_h256_l1");
    rb_matrix_free(&m);

    CHECK_INT(rb_axes_set(&a, "batch", "1,4", &e), 0);
    CHECK_INT(rb_axes_set(&a, "hidden", "32 64", &e), 0);
    CHECK_INT(rb_axes_set(&a, "input", "10", &e), 0);
    CHECK_INT(rb_matrix_from_axes(&m, &a, 0, &e), 0);
    CHECK_INT(m.n, 4);
    if (m.n == 4) {
        CHECK_STR_HAS(m.points[0].key, "lstm_infer_t25_b1_i10_h32_l1_noproj");
        CHECK_STR_HAS(m.points[3].key, "lstm_infer_t25_b4_i10_h64_l1_noproj");
    }
    rb_matrix_free(&m);

    /* 64 x 64 x 64 points is refused before anything is expanded */
    char list[512];
    int n = 0;
    for (int i = 1; i <= 64; i++)
        n += snprintf(list + n, sizeof list - (size_t)n, "%d ", i);
    CHECK_INT(rb_axes_set(&a, "seq", list, &e), 0);
    CHECK_INT(rb_axes_set(&a, "hidden", list, &e), 0);
    CHECK_INT(rb_axes_set(&a, "batch", list, &e), 0);
    CHECK_INT(rb_matrix_from_axes(&m, &a, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "262144 workloads");
    CHECK_INT(m.n, 0);
}

/* ---- shipped files ---------------------------------------------------- */

static void test_shipped(void)
{
    static const struct {
        const char *file;
        size_t n;
        const char *keys[3];
    } shipped[] = {
        {RB_FIXTURES "/../../workloads/deepbench-infer.ini",
         15 + 54,
         {"lstm_infer_t25_b1_i512_h512_l1", "gru_infer_t1500_b4_i2816_h2816_l1",
          "gru_infer_t1_b2_i512_h512_l1"}},
        {RB_FIXTURES "/../../workloads/deepbench-train.ini",
         34 + 18,
         {"gru_train_t750_b32_i2816_h2816_l1", "gru_train_t1500_b64_i1024_h1024_l1",
          "lstm_train_t25_b128_i4096_h4096_l1"}},
        {RB_FIXTURES "/../../workloads/default.ini",
         24,
         {"lstm_infer_t25_b32_i512_h512_l1", "lstm_infer_t50_b1_i256_h256_l1",
          "lstm_infer_t25_b32_i1024_h1024_l1"}},
        {RB_FIXTURES "/../../workloads/ci.ini",
         5,
         {"lstm_infer_t3_b4_i5_h8_l2", "rnn_infer_t4_b2_i3_h6_l2", "lstm_infer_t3_b1_i5_h8_l1"}},
    };
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        rb_matrix m = {0};
        rb_err e = {0};
        int rc = rb_matrix_load(&m, shipped[i].file, NULL, 1, &e);
        if (rc)
            fprintf(stderr, "%s\n", e.msg);
        CHECK_INT(rc, 0);
        CHECK_INT(m.n, shipped[i].n);
        for (int k = 0; k < 3; k++)
            CHECK(has_key(&m, shipped[i].keys[k]));
        rb_matrix_free(&m);
    }
    /* DeepBench comparisons run without input projection */
    rb_matrix m = {0};
    rb_err e = {0};
    CHECK_INT(rb_matrix_load(&m, shipped[0].file, NULL, 0, &e), 0);
    CHECK_INT(m.n, 15 + 54);
    CHECK(has_key(&m, "lstm_infer_t25_b4_i2048_h2048_l1_noproj"));
    CHECK(has_key(&m, "gru_infer_t750_b2_i2560_h2560_l1_noproj"));
    double flops = 0;
    for (size_t i = 0; i < m.n; i++)
        flops += rb_workload_flops(&m.points[i]);
    /* sum over the 15 LSTM shapes of DeepBench's 8 H^2 B T and the 54 GRU
     * shapes of its 6 H^2 B T, B summed as 1+2+4 = 7 */
    double want = 8.0 * 7 *
                  (25.0 * (512.0 * 512 + 1024.0 * 1024 + 2048.0 * 2048) + 50.0 * 1536 * 1536 +
                   150.0 * 256 * 256);
    want += 6.0 * 7 *
            ((187.0 + 375 + 750 + 1500) *
                 (1536.0 * 1536 + 2048.0 * 2048 + 2560.0 * 2560 + 2816.0 * 2816) +
             1.0 * 512 * 512 + 1500.0 * 1024 * 1024);
    CHECK_NEAR(flops, want, 1.0);
    rb_matrix_free(&m);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_valid_basic();
    test_valid_axes();
    test_dedup_and_append();
    test_override();
    test_bad_files();
    test_long_line();
    test_unreadable();
    test_too_many_points();
    test_axes_set();
    test_from_axes();
    test_shipped();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    return rb_test_done("test_matrix");
}
