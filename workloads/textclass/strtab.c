/* strtab.c — interned words (see strtab.h). */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "../rb_err.h"

uint64_t rb_tc_fnv1a(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static size_t probe(const rb_tc_strtab *t, const char *w, size_t len)
{
    size_t mask = t->n_slot - 1, i = (size_t)rb_tc_fnv1a(w, len) & mask;
    for (;;) {
        int s = t->slot[i];
        if (!s)
            return i;
        const char *x = t->str[s - 1];
        if (!strncmp(x, w, len) && x[len] == '\0')
            return i;
        i = (i + 1) & mask;
    }
}

int rb_tc_strtab_find(const rb_tc_strtab *t, const char *w, size_t len)
{
    if (!t->n_slot)
        return -1;
    return t->slot[probe(t, w, len)] - 1;
}

static int grow(rb_tc_strtab *t)
{
    size_t n_slot = t->n_slot ? t->n_slot * 2 : 1024;
    int *slot = calloc(n_slot, sizeof *slot);
    if (!slot)
        return RB_ENOMEM;
    free(t->slot);
    t->slot = slot;
    t->n_slot = n_slot;
    for (size_t id = 0; id < t->n; id++)
        t->slot[probe(t, t->str[id], strlen(t->str[id]))] = (int)id + 1;
    return 0;
}

int rb_tc_strtab_intern(rb_tc_strtab *t, const char *w, size_t len, int *id)
{
    if (2 * (t->n + 1) > t->n_slot && grow(t) != 0)
        return RB_ENOMEM;
    size_t i = probe(t, w, len);
    if (t->slot[i]) {
        *id = t->slot[i] - 1;
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 512;
        char **s = realloc(t->str, cap * sizeof *s);
        if (!s)
            return RB_ENOMEM;
        t->str = s;
        t->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return RB_ENOMEM;
    memcpy(copy, w, len);
    copy[len] = '\0';
    t->str[t->n] = copy;
    t->slot[i] = (int)t->n + 1;
    *id = (int)t->n++;
    return 0;
}

void rb_tc_strtab_free(rb_tc_strtab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->str[i]);
    free(t->str);
    free(t->slot);
    memset(t, 0, sizeof *t);
}
