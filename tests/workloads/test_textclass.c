/* test_textclass.c — the text task's data: the tokenizer on hand-written
 * strings, the loader on the fixture categories in tests/fixtures/fortunes/
 * (entry splitting, empty entries, counts, stratification, determinism, the
 * vocabulary), the real Debian data when installed, the synthetic task's
 * rule.  The head, the loss and saving: test_textclass_head.c, _save.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/textclass/textclass.h"
#include "../../workloads/textclass/tokenize.h"
#include "../rb_test.h"

#define FIX RB_FIXTURES "/fortunes"

/* ---- tokenizer ----------------------------------------------------------- */

typedef struct joined {
    char s[512];
    int fail_at; /* return an error on this word (1-based), 0: never */
    int n;
} joined;

static int join_word(const char *w, size_t n, void *p)
{
    joined *j = p;
    if (++j->n == j->fail_at)
        return -42;
    size_t len = strlen(j->s);
    snprintf(j->s + len, sizeof j->s - len, "%s%.*s", len ? " " : "", (int)n, w);
    return 0;
}

static void test_tokenizer(void)
{
    static const struct {
        const char *in;
        int max;
        const char *want;
    } cases[] = {
        {"", 0, ""},
        {"Hello, World!", 0, "hello world"},
        {"Don't stop: it's 9AM.", 0, "dont stop its 9am"},
        {"'quoted' words''", 0, "quoted words"},
        {"self-piercing ear_rings", 0, "self piercing ear rings"},
        {"caf\xc3\xa9 na\xc3\xafve \xe2\x80\x9cok\xe2\x80\x9d", 0, "caf na ve ok"},
        {"tab\tseparated\vwords\r\nnext line", 0, "tab separated words next line"},
        /* attributions: an indented "--" line and what lines up under it */
        {"A line\n\t\t-- Mark Twain\nnext", 0, "a line next"},
        {"quote\n\t\t-- Someone,\n\t\t   \"A Book\", 1987\n\tbody again", 0, "quote body again"},
        {"quote\n    -- Someone\n\n        after a blank line", 0, "quote after a blank line"},
        {"crlf\r\n\t-- attr\r\n\t\t more attr\r\nnext\r\n", 0, "crlf next"},
        /* not attributions: "--" at column 0 (a wrapped em dash) or inside a line */
        {"-- an em dash\nwrapped", 0, "an em dash wrapped"},
        {"text -- inline dash", 0, "text inline dash"},
        {"one two three four", 2, "one two"},
        {"one two three four", 4, "one two three four"},
        {"...!!! ??", 0, ""},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", 0,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b"}, /* 60 a's -> 48 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        joined j = {{0}, 0, 0};
        int n = rb_tc_tokenize(cases[i].in, strlen(cases[i].in), cases[i].max, join_word, &j);
        if (strcmp(j.s, cases[i].want))
            fprintf(stderr, "tokenize case %zu: '%s', want '%s'\n", i, j.s, cases[i].want);
        CHECK(!strcmp(j.s, cases[i].want));
        CHECK_INT(n, j.n);
    }
    /* a callback's error stops it and comes back */
    joined j = {{0}, 2, 0};
    CHECK_INT(rb_tc_tokenize("a b c", 5, 0, join_word, &j), -42);
    CHECK(!strcmp(j.s, "a"));
    /* the length is honoured: no reading past it */
    joined k = {{0}, 0, 0};
    CHECK_INT(rb_tc_tokenize("abc def", 5, 0, join_word, &k), 2);
    CHECK(!strcmp(k.s, "abc d"));
}

static void test_shuffle(void)
{
    size_t a[50], b[50], c[50];
    rb_tc_shuffle(a, 50, 7);
    rb_tc_shuffle(b, 50, 7);
    rb_tc_shuffle(c, 50, 8);
    int seen[50] = {0}, same = 1, differs = 0, moved = 0;
    for (int i = 0; i < 50; i++) {
        CHECK(a[i] < 50);
        if (a[i] < 50)
            seen[a[i]]++;
        same &= a[i] == b[i];
        differs |= a[i] != c[i];
        moved += a[i] != (size_t)i;
    }
    for (int i = 0; i < 50; i++)
        CHECK_INT(seen[i], 1);
    CHECK(same);
    CHECK(differs);
    CHECK(moved > 25);
    rb_tc_shuffle(a, 0, 1); /* nothing to do, nothing touched */
    rb_tc_shuffle(a, 1, 1);
    CHECK_INT(a[0], 0);
}

/* ---- the loader on fixtures ---------------------------------------------- */

static void fixture_opts(rb_tc_opts *o, const char *cats)
{
    rb_tc_opts_default(o);
    o->dir = FIX;
    o->categories = cats;
}

static int load(const rb_tc_opts *o, rb_tc_data *d)
{
    rb_err e = {0};
    int rc = rb_tc_load_fortunes(o, d, &e);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", e.msg);
    return rc;
}

static int doc_is(const rb_tc_doc *d, int label, int n, const int *tok)
{
    if (d->label != label || d->n != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (d->tok[i] != tok[i])
            return 0;
    return 1;
}

/* Every fixture document of a class has the same ids (its numbered word is UNK). */
static int doc_of_class(const rb_tc_doc *x, int label, const int *ta, const int *tb, const int *tg)
{
    return label == 0   ? doc_is(x, 0, 4, ta)
           : label == 1 ? doc_is(x, 1, 6, tb)
                        : doc_is(x, 2, 3, tg);
}

static void test_fixture_counts_and_vocab(void)
{
    rb_tc_opts o;
    rb_tc_data d;
    fixture_opts(&o, "alpha, beta,gamma");
    if (load(&o, &d) != 0) {
        CHECK(0);
        return;
    }
    CHECK(!strcmp(d.task, "fortunes"));
    CHECK_INT(d.n_classes, 3);
    CHECK(!strcmp(d.class_names[0], "alpha") && !strcmp(d.class_names[1], "beta") &&
          !strcmp(d.class_names[2], "gamma"));
    CHECK_INT(d.seq, 48);
    /* alpha: 10 entries (the leading "%" starts none); beta: 5 with words, an
     * empty one and a punctuation-only one; gamma: 20, trailing "%" */
    static const size_t train[3] = {8, 4, 16}, test[3] = {2, 1, 4}, empty[3] = {0, 2, 0};
    for (int c = 0; c < 3; c++) {
        CHECK_INT(d.train_count[c], train[c]);
        CHECK_INT(d.test_count[c], test[c]);
        CHECK_INT(d.empty_count[c], empty[c]);
    }
    CHECK_INT(d.n_train, 28);
    CHECK_INT(d.n_test, 7);
    /* training counts: apple 16, egg 16, fig 16 (a tie: alphabetical),
     * cherry 12, banana 8, date 4, dont 4 (tie), the numbered words once
     * each (under min_count 2: UNK); the attribution's words never */
    static const char *const want[] = {"<pad>",  "<unk>",  "apple", "egg", "fig",
                                       "cherry", "banana", "date",  "dont"};
    CHECK_INT(d.vocab_size, 9);
    for (int i = 0; i < 9 && i < d.vocab_size; i++)
        CHECK(!strcmp(d.vocab[i], want[i]));
    static const int ta[] = {2, 2, 6, 1}, tb[] = {5, 5, 5, 8, 7, 1}, tg[] = {3, 4, 1};
    int ok = 1;
    for (size_t i = 0; i < d.n_train; i++) {
        const rb_tc_doc *x = &d.train[i];
        /* class by class in the stored order */
        int label = i < 8 ? 0 : i < 12 ? 1 : 2;
        ok &= doc_of_class(x, label, ta, tb, tg);
    }
    for (size_t i = 0; i < d.n_test; i++) {
        const rb_tc_doc *x = &d.test[i];
        int label = i < 2 ? 0 : i < 3 ? 1 : 2;
        ok &= doc_of_class(x, label, ta, tb, tg);
    }
    CHECK(ok);
    rb_tc_scores s;
    rb_tc_majority(&d, &s); /* gamma, the largest training class */
    CHECK_INT(s.n, 7);
    CHECK_NEAR(s.accuracy, 4.0 / 7.0, 1e-12);
    CHECK_NEAR(s.macro_f1, (8.0 / 11.0) / 3.0, 1e-12);
    rb_tc_data_free(&d);
    CHECK(d.train == NULL && d.vocab == NULL && d.n_train == 0);
    rb_tc_data_free(&d); /* twice is harmless */
}

static void test_fixture_options(void)
{
    rb_tc_opts o;
    rb_tc_data d;
    /* seq 2: the first two words; the vocabulary only counts what is kept */
    fixture_opts(&o, "alpha,beta,gamma");
    o.seq = 2;
    if (load(&o, &d) == 0) {
        static const char *const want[] = {"<pad>", "<unk>", "apple", "egg", "fig", "cherry"};
        CHECK_INT(d.vocab_size, 6);
        for (int i = 0; i < 6 && i < d.vocab_size; i++)
            CHECK(!strcmp(d.vocab[i], want[i]));
        static const int ta[] = {2, 2}, tb[] = {5, 5}, tg[] = {3, 4};
        CHECK(doc_is(&d.train[0], 0, 2, ta));
        CHECK(doc_is(&d.train[8], 1, 2, tb));
        CHECK(doc_is(&d.train[12], 2, 2, tg));
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    /* vocab_max counts PAD and UNK */
    fixture_opts(&o, "alpha,beta,gamma");
    o.vocab_max = 5;
    if (load(&o, &d) == 0) {
        CHECK_INT(d.vocab_size, 5);
        CHECK(d.vocab_size == 5 && !strcmp(d.vocab[4], "fig"));
        static const int tb[] = {1, 1, 1, 1, 1, 1};
        CHECK(doc_is(&d.train[8], 1, 6, tb));
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    /* min_count 1: the training split's numbered words get ids, the test
     * split's do not (the vocabulary sees training only) */
    fixture_opts(&o, "alpha,beta,gamma");
    o.min_count = 1;
    if (load(&o, &d) == 0) {
        CHECK_INT(d.vocab_size, 9 + 28);
        for (size_t i = 0; i < d.n_train; i++)
            CHECK(d.train[i].tok[d.train[i].n - 1] >= 9);
        for (size_t i = 0; i < d.n_test; i++)
            CHECK_INT(d.test[i].tok[d.test[i].n - 1], RB_TC_UNK);
        /* the count-1 words alphabetical: a*, then b*, then g* */
        CHECK(d.vocab_size > 9 && d.vocab[9][0] == 'a');
        CHECK(d.vocab_size == 37 && d.vocab[36][0] == 'g');
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    /* max_per_class, and test_frac's rounding (2.5 -> 3) */
    fixture_opts(&o, "alpha,beta,gamma");
    o.max_per_class = 5;
    if (load(&o, &d) == 0) {
        for (int c = 0; c < 3; c++) {
            CHECK_INT(d.train_count[c], 4);
            CHECK_INT(d.test_count[c], 1);
        }
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    fixture_opts(&o, "alpha,beta,gamma");
    o.test_frac = 0.5;
    if (load(&o, &d) == 0) {
        CHECK_INT(d.test_count[0], 5);
        CHECK_INT(d.test_count[1], 3);
        CHECK_INT(d.test_count[2], 10);
        CHECK_INT(d.train_count[1], 2);
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    /* every class keeps one document in each split, however small test_frac */
    fixture_opts(&o, "alpha,beta,gamma");
    o.test_frac = 0.01;
    if (load(&o, &d) == 0) {
        for (int c = 0; c < 3; c++)
            CHECK_INT(d.test_count[c], 1);
        rb_tc_data_free(&d);
    } else
        CHECK(0);
}

/* A vocabulary that names every numbered word, so each document can be told
 * apart by its largest id (a0..a9 = 2..11, b0..b4 = 12..16, g0..g19 = 17..36). */
static char *ident_words[2 + 35];
static char ident_buf[2 + 35][8];

static void ident_vocab(rb_tc_opts *o)
{
    int n = 0;
    snprintf(ident_buf[n++], 8, "<pad>");
    snprintf(ident_buf[n++], 8, "<unk>");
    for (int i = 0; i < 10; i++)
        snprintf(ident_buf[n++], 8, "a%d", i);
    for (int i = 0; i < 5; i++)
        snprintf(ident_buf[n++], 8, "b%d", i);
    for (int i = 0; i < 20; i++)
        snprintf(ident_buf[n++], 8, "g%d", i);
    for (int i = 0; i < n; i++)
        ident_words[i] = ident_buf[i];
    o->vocab = ident_words;
    o->n_vocab = n;
}

static int key_of(const rb_tc_doc *d)
{
    int k = 0;
    for (int i = 0; i < d->n; i++)
        k = d->tok[i] > k ? d->tok[i] : k;
    return k;
}

/* in_test[key] = 1 for test documents; 0 on success */
static int split_keys(const char *cats, uint64_t seed, int *in_test, int *order)
{
    rb_tc_opts o;
    rb_tc_data d;
    fixture_opts(&o, cats);
    o.seed = seed;
    ident_vocab(&o);
    if (load(&o, &d) != 0)
        return -1;
    memset(in_test, 0, 37 * sizeof *in_test);
    int n = 0;
    for (size_t i = 0; i < d.n_test; i++) {
        in_test[key_of(&d.test[i])] = 1;
        order[n++] = key_of(&d.test[i]);
    }
    for (size_t i = 0; i < d.n_train; i++)
        order[n++] = key_of(&d.train[i]);
    rb_tc_data_free(&d);
    return 0;
}

static void test_fixture_split(void)
{
    rb_tc_opts o;
    rb_tc_data d;
    fixture_opts(&o, "alpha,beta,gamma");
    ident_vocab(&o);
    if (load(&o, &d) != 0) {
        CHECK(0);
        return;
    }
    /* the given vocabulary is used as it is */
    CHECK_INT(d.vocab_size, 37);
    CHECK(d.vocab_size == 37 && !strcmp(d.vocab[36], "g19") && d.vocab[36] != ident_words[36]);
    /* every document exactly once, in one split, with its own class */
    int seen[37] = {0};
    for (size_t i = 0; i < d.n_train + d.n_test; i++) {
        const rb_tc_doc *x = i < d.n_train ? &d.train[i] : &d.test[i - d.n_train];
        int k = key_of(x);
        CHECK(k >= 2 && k < 37);
        if (k >= 2 && k < 37)
            seen[k]++;
        CHECK_INT(x->label, k < 12 ? 0 : k < 17 ? 1 : 2);
        CHECK_INT(x->tok[0], RB_TC_UNK); /* "apple" etc. are not in this vocabulary */
    }
    for (int k = 2; k < 37; k++)
        CHECK_INT(seen[k], 1);
    rb_tc_data_free(&d);

    int t1[37], t2[37], t3[37], t4[37], o1[35], o2[35], o3[35], o4[35];
    CHECK(split_keys("alpha,beta,gamma", 1, t1, o1) == 0);
    CHECK(split_keys("alpha,beta,gamma", 1, t2, o2) == 0);
    CHECK(split_keys("alpha,beta,gamma", 99, t3, o3) == 0);
    CHECK(!memcmp(t1, t2, sizeof t1) && !memcmp(o1, o2, sizeof o1)); /* same seed, same split */
    CHECK(memcmp(t1, t3, sizeof t1) != 0);                           /* another seed, another */
    /* a category's split does not depend on which others are loaded, nor
     * on their order */
    CHECK(split_keys("gamma,alpha", 1, t4, o4) == 0);
    int same = 1;
    for (int k = 2; k < 12; k++)
        same &= t1[k] == t4[k];
    for (int k = 17; k < 37; k++)
        same &= t1[k] == t4[k];
    CHECK(same);
}

static void expect_fail(const rb_tc_opts *o, const char *needle, const char *needle2)
{
    rb_tc_data d;
    rb_err e = {0};
    int rc = rb_tc_load_fortunes(o, &d, &e);
    CHECK_INT(rc, RB_EINPUT);
    CHECK_STR_HAS(e.msg, needle);
    if (needle2)
        CHECK_STR_HAS(e.msg, needle2);
    if (rc == 0)
        rb_tc_data_free(&d);
    else
        CHECK(d.train == NULL && d.vocab == NULL);
}

static void test_fixture_errors(void)
{
    rb_tc_opts o;
    fixture_opts(&o, "alpha,beta");
    o.dir = FIX "/nonexistent";
    expect_fail(&o, FIX "/nonexistent", "apt-get install fortunes");
    fixture_opts(&o, "alpha,nosuch");
    expect_fail(&o, FIX "/nosuch", "apt-get install fortunes");
    fixture_opts(&o, "alpha,tiny");
    expect_fail(&o, "'tiny' has 1 document", NULL);
    fixture_opts(&o, "alpha,beta");
    o.max_per_class = 1;
    expect_fail(&o, "after max_per_class", NULL);
    fixture_opts(&o, "alpha");
    expect_fail(&o, "at least 2 classes", NULL);
    fixture_opts(&o, "alpha,alpha");
    expect_fail(&o, "'alpha' given twice", NULL);
    fixture_opts(&o, "alpha,,beta");
    expect_fail(&o, "empty name", NULL);
    fixture_opts(&o, "alpha.dat,beta");
    expect_fail(&o, "without .dat", NULL);
    fixture_opts(&o, "../fortunes/alpha,beta");
    expect_fail(&o, "not a path", NULL);
    fixture_opts(&o, "alpha,beta");
    o.test_frac = 1.0;
    expect_fail(&o, "test_frac", NULL);
    fixture_opts(&o, "alpha,beta");
    o.seq = 0;
    expect_fail(&o, "seq", NULL);
    fixture_opts(&o, "alpha,beta");
    o.vocab_max = 1;
    expect_fail(&o, "vocab_max", NULL);
    /* a given vocabulary must be one this module made */
    char *bad1[] = {"<unk>", "<pad>", "x"}, *bad2[] = {"<pad>", "<unk>", "x", "x"};
    fixture_opts(&o, "alpha,beta");
    o.vocab = bad1;
    o.n_vocab = 3;
    expect_fail(&o, "must start with <pad> and <unk>", NULL);
    o.vocab = bad2;
    o.n_vocab = 4;
    expect_fail(&o, "'x' twice", NULL);
}

static void test_env_dir(void)
{
    rb_tc_opts o;
    rb_tc_data d;
    rb_tc_opts_default(&o);
    o.categories = "alpha,gamma";
    setenv("RB_FORTUNES_DIR", FIX, 1);
    if (load(&o, &d) == 0) {
        CHECK_INT(d.n_train + d.n_test, 30);
        rb_tc_data_free(&d);
    } else
        CHECK(0);
    setenv("RB_FORTUNES_DIR", "/nonexistent/fortunes", 1);
    o.categories = NULL;
    expect_fail(&o, "/nonexistent/fortunes", "apt-get install fortunes");
    /* o->dir wins over the environment */
    o.dir = FIX;
    o.categories = "alpha,beta";
    if (load(&o, &d) == 0)
        rb_tc_data_free(&d);
    else
        CHECK(0);
    unsetenv("RB_FORTUNES_DIR");
}

/* ---- the real data ------------------------------------------------------- */

static int same_doc(const rb_tc_doc *a, const rb_tc_doc *b)
{
    return a->label == b->label && a->n == b->n &&
           !memcmp(a->tok, b->tok, (size_t)a->n * sizeof *a->tok);
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const int *const *)a, y = (uintptr_t) * (const int *const *)b;
    return x < y ? -1 : x > y;
}

static void test_real_data(void)
{
    FILE *f = fopen(RB_TC_DEFAULT_DIR "/computers", "r");
    if (!f) {
        printf("test_textclass: %s not installed (apt-get install fortunes): real-data checks "
               "skipped\n",
               RB_TC_DEFAULT_DIR);
        return;
    }
    fclose(f);
    rb_tc_opts o;
    rb_tc_data d;
    rb_tc_opts_default(&o);
    o.dir = RB_TC_DEFAULT_DIR;
    if (load(&o, &d) != 0) {
        CHECK(0);
        return;
    }
    /* Debian 12's fortunes 1:1.99.1: entries per category (README.md) */
    static const char *const names[6] = {"computers", "politics", "science",
                                         "law",       "food",     "sports"};
    static const size_t total[6] = {1051, 703, 625, 206, 198, 147};
    CHECK_INT(d.n_classes, 6);
    for (int c = 0; c < 6 && c < d.n_classes; c++) {
        CHECK(!strcmp(d.class_names[c], names[c]));
        CHECK_INT(d.train_count[c] + d.test_count[c], total[c]);
        CHECK_INT(d.test_count[c], (size_t)(0.2 * (double)total[c] + 0.5));
        CHECK_INT(d.empty_count[c], 0);
    }
    CHECK_INT(d.n_train + d.n_test, 2930);
    CHECK(d.vocab_size > 1000 && d.vocab_size <= 8000);
    CHECK(!strcmp(d.vocab[0], "<pad>") && !strcmp(d.vocab[1], "<unk>") &&
          !strcmp(d.vocab[2], "the"));
    /* No document in both splits: every one has its own token buffer, and
     * no buffer appears twice.  By content a few match across the splits and
     * that is the data, not the split: an entry law repeats, two documents
     * of unknown words only, one pair that agrees in its first 48 words. */
    size_t n_all = d.n_train + d.n_test, shared = 0;
    const int **all = malloc(n_all * sizeof *all);
    for (size_t i = 0; all && i < n_all; i++)
        all[i] = i < d.n_train ? d.train[i].tok : d.test[i - d.n_train].tok;
    if (all) {
        qsort(all, n_all, sizeof *all, cmp_ptr);
        for (size_t i = 1; i < n_all; i++)
            CHECK(all[i] != all[i - 1]);
    }
    free(all);
    for (size_t i = 0; i < d.n_test; i++)
        for (size_t j = 0; j < d.n_train; j++)
            shared += same_doc(&d.test[i], &d.train[j]);
    CHECK(shared <= 3);
    int ok = 1;
    for (size_t i = 0; i < d.n_train; i++)
        ok &= d.train[i].n >= 1 && d.train[i].n <= 48;
    CHECK(ok);
    rb_tc_scores s;
    rb_tc_majority(&d, &s);
    CHECK_NEAR(s.accuracy, 210.0 / 586.0, 1e-12); /* computers */
    rb_tc_data_free(&d);
}

/* ---- the synthetic task -------------------------------------------------- */

static void test_synthetic(void)
{
    rb_tc_opts o;
    rb_tc_opts_default(&o);
    o.seq = 24;
    o.seed = 5;
    rb_tc_data d, d2;
    rb_err e = {0};
    int rc = rb_tc_make_synthetic(&o, 4, 400, &d, &e);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    CHECK(!strcmp(d.task, "synthetic"));
    CHECK_INT(d.n_classes, 4);
    CHECK_INT(d.vocab_size, 2 + 8 + 32);
    CHECK_INT(d.n_train, 320);
    CHECK_INT(d.n_test, 80);
    for (int c = 0; c < 4; c++)
        CHECK_INT(d.test_count[c], 20);
    /* the rule, read back through the vocabulary's names */
    int broken = 0;
    for (size_t i = 0; i < d.n_train + d.n_test; i++) {
        const rb_tc_doc *x = i < d.n_train ? &d.train[i] : &d.test[i - d.n_train];
        int count[4] = {0};
        if (x->n < 12 || x->n > 24)
            broken++;
        for (int t = 0; t < x->n; t++) {
            const char *w = d.vocab[x->tok[t]];
            if (w[0] == 'm')
                count[w[1] - '0']++;
            else if (w[0] != 'f')
                broken++; /* no PAD or UNK inside a document */
        }
        for (int c = 0; c < 4; c++)
            if (c != x->label && count[c] >= count[x->label])
                broken++;
        if (count[x->label] < 2)
            broken++;
    }
    CHECK_INT(broken, 0);
    /* deterministic */
    CHECK_INT(rb_tc_make_synthetic(&o, 4, 400, &d2, &e), 0);
    int same = d2.n_train == d.n_train;
    for (size_t i = 0; same && i < d.n_train; i++)
        same = same_doc(&d.train[i], &d2.train[i]);
    CHECK(same);
    rb_tc_data_free(&d2);
    rb_tc_data_free(&d);
    CHECK_INT(rb_tc_make_synthetic(&o, 1, 400, &d, &e), RB_EINPUT);
    CHECK_INT(rb_tc_make_synthetic(&o, 4, 7, &d, &e), RB_EINPUT);
    o.seq = 5;
    CHECK_INT(rb_tc_make_synthetic(&o, 4, 400, &d, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "seq 5");
}

int main(void)
{
    test_tokenizer();
    test_shuffle();
    test_fixture_counts_and_vocab();
    test_fixture_options();
    test_fixture_split();
    test_fixture_errors();
    test_env_dir();
    test_real_data();
    test_synthetic();
    return rb_test_done("test_textclass");
}
