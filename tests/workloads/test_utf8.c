/* test_utf8.c — UTF-8 validation against the cases of RFC 3629 and Markus
 * Kuhn's decoder stress test, and the repair of JSON text. */
#include <stdlib.h>
#include <string.h>

#include "../../workloads/utf8.h"
#include "../rb_test.h"

static int valid(const char *s) { return rb_utf8_valid(s, strlen(s)); }

static void test_valid(void)
{
    CHECK(valid("plain ASCII"));
    CHECK(valid("\xc2\xa9 caf\xc3\xa9")); /* U+00A9, U+00E9 */
    CHECK(valid("\xe2\x82\xac"));         /* U+20AC */
    CHECK(valid("\xf0\x9f\x98\x80"));     /* U+1F600 */
    CHECK(valid("\xf4\x8f\xbf\xbf"));     /* U+10FFFF, the last */
    CHECK(valid("\xef\xbf\xbd"));         /* U+FFFD itself */
    CHECK(!valid("\xff"));                /* never in UTF-8 */
    CHECK(!valid("\x80"));                /* a lone continuation byte */
    CHECK(!valid("\xc0\xaf"));            /* overlong '/' */
    CHECK(!valid("\xe0\x80\xaf"));        /* overlong, 3 bytes */
    CHECK(!valid("\xed\xa0\x80"));        /* U+D800, a surrogate */
    CHECK(!valid("\xf4\x90\x80\x80"));    /* U+110000, beyond */
    CHECK(!valid("\xe2\x82"));            /* truncated */
    CHECK(!valid("\xc3("));               /* a continuation missing */
}

static void test_repair(void)
{
    char *s = rb_json_utf8(strdup("{\"label\":\"ok \xc3\xa9\"}"));
    CHECK(s && !strcmp(s, "{\"label\":\"ok \xc3\xa9\"}")); /* valid: unchanged */
    free(s);
    s = rb_json_utf8(strdup("{\"label\":\"bad\xff\xfe!\"}"));
    CHECK(s && !strcmp(s, "{\"label\":\"bad\\ufffd\\ufffd!\"}"));
    CHECK(s && valid(s));
    free(s);
    s = rb_json_utf8(strdup("\xe2\x82")); /* a truncated sequence: each byte replaced */
    CHECK(s && !strcmp(s, "\\ufffd\\ufffd"));
    free(s);
    CHECK(rb_json_utf8(NULL) == NULL);
}

int main(void)
{
    test_valid();
    test_repair();
    return rb_test_done("test_utf8");
}
