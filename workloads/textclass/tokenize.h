/* tokenize.h — the words of one fortune entry.
 *
 * Kept apart from the loader so the rules (README.md, "Tokenizer") can be
 * tested on hand-written strings.  Bytes, not characters: the rules only
 * ever look at ASCII, so the result is the same in every locale. */
#ifndef RB_TC_TOKENIZE_H
#define RB_TC_TOKENIZE_H

#include <stddef.h>

/* A longer run of letters and digits keeps its first RB_TC_WORD_MAX bytes
 * (nothing in the data comes close; it bounds the buffers). */
#define RB_TC_WORD_MAX 48

/* Receives each word, lowercase, not NUL-terminated; a negative return
 * stops the tokenizer and is passed on. */
typedef int (*rb_tc_word_fn)(const char *w, size_t n, void *ctx);

/* Words of text[0..len) in order, at most max_words of them (<= 0: all).
 * Returns how many were passed to fn, or fn's negative code. */
int rb_tc_tokenize(const char *text, size_t len, int max_words, rb_tc_word_fn fn, void *ctx);

#endif
