/* fortunes.c — the real task's data: Debian's fortune files, one per class.
 *
 * A file is split at lines holding exactly "%" (strfile's separator; a "\r"
 * before the newline is tolerated).  Each piece is an entry; a piece of no
 * lines at the very start or end of a file is not one (files commonly end
 * with "%"), any other piece is, and an entry without a word is dropped and
 * counted in d->empty_count. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tc_internal.h"
#include "tokenize.h"

/* README.md: six topical categories of clearly different subjects. */
#define DEFAULT_CATEGORIES "computers,politics,science,law,food,sports"
/* The largest fortune file is under 1 MiB; anything this big is not one. */
#define MAX_FILE_BYTES (64u << 20)

#define INSTALL_HINT                                                                               \
    "install the Debian package fortunes (apt-get install fortunes; scripts/setup.sh installs "    \
    "it) or point RB_FORTUNES_DIR at a directory of fortune files"

typedef struct class_docs {
    rb_tc_doc *doc;
    size_t n, cap;
} class_docs;

typedef struct load_ctx {
    rb_tc_strtab words;
    int *buf; /* the entry being tokenized, at most seq ids */
    int n_buf;
} load_ctx;

static int on_word(const char *w, size_t n, void *p)
{
    load_ctx *c = p;
    int id;
    if (rb_tc_strtab_intern(&c->words, w, n, &id) != 0)
        return RB_ENOMEM;
    c->buf[c->n_buf++] = id;
    return 0;
}

static int add_entry(load_ctx *c, class_docs *cd, int label, const char *text, size_t len, int seq,
                     size_t *empty, rb_err *e)
{
    c->n_buf = 0;
    int rc = rb_tc_tokenize(text, len, seq, on_word, c);
    if (rc < 0)
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the words");
    if (rc == 0) {
        (*empty)++;
        return 0;
    }
    if (cd->n == cd->cap) {
        size_t cap = cd->cap ? cd->cap * 2 : 256;
        rb_tc_doc *p = realloc(cd->doc, cap * sizeof *p);
        if (!p)
            return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the documents");
        cd->doc = p;
        cd->cap = cap;
    }
    int *tok = malloc((size_t)rc * sizeof *tok);
    if (!tok)
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for the documents");
    memcpy(tok, c->buf, (size_t)rc * sizeof *tok);
    cd->doc[cd->n++] = (rb_tc_doc){label, rc, tok};
    return 0;
}

static int is_separator(const char *line, size_t n)
{
    return (n == 1 && line[0] == '%') || (n == 2 && line[0] == '%' && line[1] == '\r');
}

static int read_file(const char *path, char **text, size_t *len, rb_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_errf(e, RB_EINPUT, "fortunes: cannot open %s: %s; %s", path, strerror(errno),
                       INSTALL_HINT);
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rb_errf(e, RB_EINPUT, "fortunes: %s is not a regular file", path);
    }
    if (st.st_size > MAX_FILE_BYTES) {
        fclose(f);
        return rb_errf(e, RB_EINPUT, "fortunes: %s is larger than %u MiB: not a fortune file", path,
                       MAX_FILE_BYTES >> 20);
    }
    *text = malloc((size_t)st.st_size + 1);
    if (!*text) {
        fclose(f);
        return rb_errf(e, RB_ENOMEM, "fortunes: out of memory reading %s", path);
    }
    *len = fread(*text, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(*text);
        return rb_errf(e, RB_EINPUT, "fortunes: cannot read %s", path);
    }
    return 0;
}

static int load_file(load_ctx *c, const char *path, int label, int seq, class_docs *cd,
                     size_t *empty, rb_err *e)
{
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, e);
    if (rc != 0)
        return rc;
    const char *p = text, *end = text + len, *start = text;
    int lines = 0, seen_sep = 0;
    while (p < end && rc == 0) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (!eol)
            eol = end;
        if (is_separator(p, (size_t)(eol - p))) {
            if (lines > 0 || seen_sep)
                rc = add_entry(c, cd, label, start, (size_t)(p - start), seq, empty, e);
            seen_sep = 1;
            lines = 0;
            start = next;
        } else {
            lines++;
        }
        p = next;
    }
    if (rc == 0 && lines > 0)
        rc = add_entry(c, cd, label, start, (size_t)(end - start), seq, empty, e);
    free(text);
    return rc;
}

/* "a, b,c" -> names; each a plain file name in dir. */
static int parse_categories(const char *list, rb_tc_data *d, rb_err *e)
{
    const char *p = list;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *s = p;
        while (*p && *p != ',')
            p++;
        const char *t = p;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        size_t n = (size_t)(t - s);
        if (n == 0)
            return rb_errf(e, RB_EINPUT, "fortunes: categories '%s': an empty name", list);
        if (d->n_classes == RB_TC_MAX_CLASSES)
            return rb_errf(e, RB_EINPUT, "fortunes: categories '%s': more than %d", list,
                           RB_TC_MAX_CLASSES);
        if (n >= RB_TC_NAME)
            return rb_errf(e, RB_EINPUT, "fortunes: category '%.*s': name longer than %d bytes",
                           (int)n, s, RB_TC_NAME - 1);
        if (memchr(s, '/', n) || (n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
            return rb_errf(e, RB_EINPUT,
                           "fortunes: category '%.*s': a file name in the directory, not a path",
                           (int)n, s);
        if ((n > 4 && !memcmp(t - 4, ".dat", 4)) || (n > 3 && !memcmp(t - 3, ".u8", 3)))
            return rb_errf(e, RB_EINPUT,
                           "fortunes: category '%.*s': name the text file, without .dat or .u8",
                           (int)n, s);
        char *name = d->class_names[d->n_classes];
        memcpy(name, s, n);
        name[n] = '\0';
        for (int c = 0; c < d->n_classes; c++)
            if (!strcmp(d->class_names[c], name))
                return rb_errf(e, RB_EINPUT, "fortunes: category '%s' given twice", name);
        d->n_classes++;
        if (!*p)
            break;
        p++;
    }
    if (d->n_classes < 2)
        return rb_errf(e, RB_EINPUT, "fortunes: categories '%s': need at least 2 classes", list);
    return 0;
}

static const char *data_dir(const rb_tc_opts *o)
{
    if (o->dir)
        return o->dir;
    const char *env = getenv("RB_FORTUNES_DIR");
    return env && *env ? env : RB_TC_DEFAULT_DIR;
}

int rb_tc_load_fortunes(const rb_tc_opts *o, rb_tc_data *d, rb_err *e)
{
    memset(d, 0, sizeof *d);
    int rc = rb_tc_opts_check(o, e);
    if (rc != 0)
        return rc;
    snprintf(d->task, sizeof d->task, "fortunes");
    d->seq = o->seq;
    if ((rc = parse_categories(o->categories ? o->categories : DEFAULT_CATEGORIES, d, e)) != 0)
        return rc;
    const char *dir = data_dir(o);
    struct stat st;
    if (stat(dir, &st) != 0)
        return rb_errf(e, RB_EINPUT, "fortunes: dataset directory %s: %s; %s", dir, strerror(errno),
                       INSTALL_HINT);
    if (!S_ISDIR(st.st_mode))
        return rb_errf(e, RB_EINPUT, "fortunes: dataset directory %s is not a directory; %s", dir,
                       INSTALL_HINT);

    load_ctx c = {0};
    class_docs cd[RB_TC_MAX_CLASSES] = {{0}};
    c.buf = malloc((size_t)o->seq * sizeof *c.buf);
    if (!c.buf)
        rc = rb_errf(e, RB_ENOMEM, "textclass: out of memory");
    for (int k = 0; k < d->n_classes && rc == 0; k++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, d->class_names[k]) >= (int)sizeof path)
            rc = rb_errf(e, RB_EINPUT, "fortunes: path %s/%s too long", dir, d->class_names[k]);
        else
            rc = load_file(&c, path, k, o->seq, &cd[k], &d->empty_count[k], e);
    }
    if (rc == 0) {
        rb_tc_doc *by_class[RB_TC_MAX_CLASSES];
        size_t count[RB_TC_MAX_CLASSES];
        for (int k = 0; k < d->n_classes; k++) {
            by_class[k] = cd[k].doc;
            count[k] = cd[k].n;
        }
        rc = rb_tc_split(d, by_class, count, o->test_frac, o->seed, o->max_per_class, e);
        if (rc != 0)
            rb_err_prefix(e, "fortunes (%s): ", dir);
    }
    if (rc == 0)
        rc = rb_tc_vocab_make(d, &c.words, o, e);
    /* after a successful split every tok has moved into d; before it, or if
     * it failed, they are still here or already freed and NULL */
    for (int k = 0; k < d->n_classes; k++) {
        for (size_t i = 0; i < cd[k].n; i++)
            free(cd[k].doc[i].tok);
        free(cd[k].doc);
    }
    free(c.buf);
    rb_tc_strtab_free(&c.words);
    if (rc != 0)
        rb_tc_data_free(d);
    return rc;
}
