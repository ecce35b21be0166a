/* tokenize.c — fortune entries to words (see tokenize.h, README.md). */
#include "tokenize.h"

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Column of the first non-blank byte, tabs to the next multiple of 8 as a
 * terminal shows them: the attribution's continuation lines are recognised
 * by lining up under it, whichever of tabs or spaces the file used. */
static size_t indent_of(const char *p, const char *end, const char **first)
{
    size_t col = 0;
    while (p < end && (*p == ' ' || *p == '\t')) {
        col = *p == '\t' ? (col / 8 + 1) * 8 : col + 1;
        p++;
    }
    *first = p;
    return col;
}

/* Words of one line; *count is shared across lines for the max_words limit. */
static int line_words(const char *p, const char *end, int max_words, int *count, rb_tc_word_fn fn,
                      void *ctx)
{
    char w[RB_TC_WORD_MAX];
    size_t n = 0;
    int in_word = 0;
    for (;; p++) {
        unsigned char c = p < end ? (unsigned char)*p : ' ';
        if (is_word_byte(c)) {
            if (n < sizeof w)
                w[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            in_word = 1;
        } else if (c == '\'' && p < end) {
            /* don't -> dont: an apostrophe neither splits nor appears */
        } else if (in_word) {
            if (n) {
                int rc = fn(w, n, ctx);
                if (rc < 0)
                    return rc;
                if (++*count == max_words)
                    return 0;
            }
            n = 0;
            in_word = 0;
        }
        if (p >= end)
            return 0;
    }
}

int rb_tc_tokenize(const char *text, size_t len, int max_words, rb_tc_word_fn fn, void *ctx)
{
    const char *p = text, *end = text + len;
    int count = 0, in_attr = 0;
    size_t attr_col = 0;
    while (p < end && (max_words <= 0 || count < max_words)) {
        const char *eol = p;
        while (eol < end && *eol != '\n')
            eol++;
        const char *first;
        size_t col = indent_of(p, eol, &first);
        int blank = first == eol || (first + 1 == eol && *first == '\r');
        int skip = 0;
        if (in_attr && !blank && col > attr_col) {
            skip = 1; /* "		   MIT Press, 1987" under "		-- Someone," */
        } else {
            in_attr = 0;
            /* An indented "--" is an attribution; at column 0 it is an em
             * dash that wrapped to the start of a line of the text. */
            if (col > 0 && eol - first >= 2 && first[0] == '-' && first[1] == '-') {
                in_attr = 1;
                attr_col = col;
                skip = 1;
            }
        }
        if (!skip) {
            int rc = line_words(p, eol, max_words, &count, fn, ctx);
            if (rc < 0)
                return rc;
        }
        p = eol < end ? eol + 1 : end;
    }
    return count;
}
