/* utf8.h — JSON text that is valid UTF-8 whatever bytes went into it.
 *
 * Labels, command lines and device names are bytes from a person or a
 * machine; cJSON copies them as they are, and one byte that is not UTF-8
 * makes the whole document invalid JSON for every strict reader (Python's
 * json, jq).  JSON's syntax is ASCII, so such a byte can only stand inside a
 * string: each one becomes the escape \ufffd (the replacement character). */
#ifndef RB_UTF8_H
#define RB_UTF8_H

#include <stddef.h>
#include <stdio.h>

/* Is s[0..n) valid UTF-8 (no overlong forms, no surrogates, <= U+10FFFF)? */
int rb_utf8_valid(const char *s, size_t n);

/* s (malloc'd, e.g. by cJSON_Print) as valid UTF-8: s itself when it is,
 * else a new malloc'd string and s freed.  NULL when out of memory (s freed). */
char *rb_json_utf8(char *s);

/* fputs(s, f), s made valid as above (no copy: for long reports). */
void rb_json_fputs(const char *s, FILE *f);

#endif
