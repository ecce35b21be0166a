/* strtab.h — interned words: each distinct string gets a dense id 0, 1, ...
 *
 * The loader stores documents as interned ids until the vocabulary is known
 * (it depends on the split), then maps ids to vocabulary ids in one pass. */
#ifndef RB_TC_STRTAB_H
#define RB_TC_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct rb_tc_strtab {
    char **str; /* [n] NUL-terminated copies, in order of first intern */
    size_t n, cap;
    int *slot;     /* open addressing: id + 1, 0 empty */
    size_t n_slot; /* power of two, at least twice n */
} rb_tc_strtab;

/* The id of w[0..len), added if new: 0, or RB_ENOMEM. */
int rb_tc_strtab_intern(rb_tc_strtab *t, const char *w, size_t len, int *id);
/* The id of w[0..len), or -1. */
int rb_tc_strtab_find(const rb_tc_strtab *t, const char *w, size_t len);
void rb_tc_strtab_free(rb_tc_strtab *t);

/* FNV-1a: also what derives a class's shuffle seed from its name. */
uint64_t rb_tc_fnv1a(const char *s, size_t len);

#endif
