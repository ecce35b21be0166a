/* utf8.c — JSON text that is valid UTF-8 (utf8.h). */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int rb_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = seq_len(p + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

char *rb_json_utf8(char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (rb_utf8_valid(s, n))
        return s;
    char *out = malloc(6 * n + 1); /* each byte at most one 6-byte escape */
    if (!out) {
        free(s);
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = seq_len(p + i, n - i);
        if (l) {
            memcpy(out + o, p + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            i++;
        }
    }
    out[o] = '\0';
    free(s);
    return out;
}

void rb_json_fputs(const char *s, FILE *f)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), from = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) { /* the common case: ASCII */
            i++;
            continue;
        }
        size_t l = seq_len(p + i, n - i);
        if (l) {
            i += l;
            continue;
        }
        fwrite(s + from, 1, i - from, f);
        fputs("\\ufffd", f);
        from = ++i;
    }
    fwrite(s + from, 1, n - from, f);
}
