/* test_svg.c — the inline SVG charts of reports/svg.c.
 *
 * Every chart is rendered into memory and checked for what a report reader
 * (and a browser) relies on: well-formed XML with only the expected
 * elements (a strict checker here, always; xmllint as well when it is
 * installed), the attributes the HTML writer and these tests key on, text
 * escaped wherever text goes, decade and "nice" ticks for known data,
 * skipped points, broken lines, degenerate data without nan, coordinates
 * inside the viewBox, byte-identical output for the same input, and the
 * write-failure path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reports/svg.h"
#include "../rb_test.h"

/* hay contains needle; on failure only the needle is printed (the charts
 * are too long to dump). */
#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        rb_test_checks++;                                                                          \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: output lacks \"%s\"\n", __FILE__, __LINE__, n_);               \
        }                                                                                          \
    } while (0)

/* ---- rendering into memory ------------------------------------------------ */

/* Everything rendered, wrapped in one document for xmllint at the end. */
static char *all_buf;
static size_t all_len;
static FILE *all_f;

static int xml_check(const char *s, char *why, size_t size);

static void keep(const char *svg)
{
    if (!all_f)
        all_f = open_memstream(&all_buf, &all_len);
    if (all_f && svg)
        fputs(svg, all_f);
    char why[256];
    int ok = xml_check(svg, why, sizeof why);
    if (!ok)
        fprintf(stderr, "not well-formed: %s\n", why);
    CHECK(ok);
}

static char *xy(const rb_chart *c, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int r = rb_svg_xy(f, c);
    fclose(f);
    if (rc)
        *rc = r;
    keep(buf);
    return buf;
}

static char *bars(const rb_bar_chart *c, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int r = rb_svg_bars(f, c);
    fclose(f);
    if (rc)
        *rc = r;
    keep(buf);
    return buf;
}

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rb_xml_escape(f, s);
    fclose(f);
    return buf;
}

/* ---- a strict well-formedness checker ------------------------------------- */

static const char *const elements[] = {"svg",  "title",    "g",      "rect",
                                       "line", "polyline", "circle", "text"};

static int name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

/* An entity at s ('&'): one of the five predefined, or numeric.  Returns
 * its length, 0 if it is not one. */
static int entity(const char *s)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(s, named[i], strlen(named[i])))
            return (int)strlen(named[i]);
    const char *p = s + 1;
    if (*p++ != '#')
        return 0;
    int hex = *p == 'x';
    p += hex;
    const char *d = p;
    while ((*p >= '0' && *p <= '9') ||
           (hex && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))))
        p++;
    return p > d && *p == ';' ? (int)(p - s + 1) : 0;
}

/* Characters XML 1.0 forbids, and (strictly) a raw '>' which our output
 * always escapes. */
static int bad_char(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '>';
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(why, size, __VA_ARGS__);                                                          \
        return 0;                                                                                  \
    } while (0)

/* 1 when s is one well-formed <svg> element (no prolog, comments, CDATA
 * or processing instructions: the writer emits none), with balanced tags,
 * double-quoted unique attributes, valid entities, only the elements
 * above, and no nan or inf in any attribute. */
static int xml_check(const char *s, char *why, size_t size)
{
    char stack[64][16];
    int depth = 0, roots = 0;
    if (!s)
        FAIL("no output");
    const char *p = s;
    while (*p == ' ' || *p == '\n')
        p++;
    if (strncmp(p, "<svg ", 5))
        FAIL("does not start with <svg");
    while (*p) {
        if (*p != '<') {
            if (*p == '&') {
                int n = entity(p);
                if (!n)
                    FAIL("bad entity at offset %ld", (long)(p - s));
                p += n;
                continue;
            }
            if (bad_char((unsigned char)*p))
                FAIL("character 0x%02x in text at offset %ld", (unsigned char)*p, (long)(p - s));
            if (!depth && *p != ' ' && *p != '\n')
                FAIL("text outside the root at offset %ld", (long)(p - s));
            p++;
            continue;
        }
        p++;
        int closing = *p == '/';
        p += closing;
        char name[16];
        int n = 0;
        if (!name_char(*p, 1))
            FAIL("bad tag at offset %ld", (long)(p - s));
        while (name_char(*p, 0)) {
            if (n >= 15)
                FAIL("tag name too long");
            name[n++] = *p++;
        }
        name[n] = 0;
        if (closing) {
            if (*p != '>')
                FAIL("junk in end tag </%s>", name);
            p++;
            if (!depth || strcmp(stack[depth - 1], name))
                FAIL("</%s> closes <%s>", name, depth ? stack[depth - 1] : "(nothing)");
            depth--;
            continue;
        }
        int known = 0;
        for (size_t i = 0; i < sizeof elements / sizeof elements[0]; i++)
            known |= !strcmp(elements[i], name);
        if (!known)
            FAIL("unexpected element <%s>", name);
        if (!depth && roots++)
            FAIL("a second root element <%s>", name);
        char attrs[32][24];
        int n_attrs = 0;
        for (;;) {
            int ws = 0;
            while (*p == ' ' || *p == '\n')
                p++, ws = 1;
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            if (!ws || !name_char(*p, 1))
                FAIL("bad attribute in <%s> at offset %ld", name, (long)(p - s));
            char an[24];
            int k = 0;
            while (name_char(*p, 0)) {
                if (k >= 23)
                    FAIL("attribute name too long");
                an[k++] = *p++;
            }
            an[k] = 0;
            for (int i = 0; i < n_attrs; i++)
                if (!strcmp(attrs[i], an))
                    FAIL("duplicate attribute %s in <%s>", an, name);
            if (n_attrs < 32)
                strcpy(attrs[n_attrs++], an);
            if (p[0] != '=' || p[1] != '"')
                FAIL("attribute %s in <%s> is not =\"quoted\"", an, name);
            p += 2;
            const char *v = p;
            while (*p && *p != '"') {
                if (*p == '<')
                    FAIL("'<' in attribute %s", an);
                if (*p == '&') {
                    int e = entity(p);
                    if (!e)
                        FAIL("bad entity in attribute %s", an);
                    p += e;
                    continue;
                }
                if ((unsigned char)*p < 0x20 && *p != '\t')
                    FAIL("control character in attribute %s", an);
                p++;
            }
            if (!*p)
                FAIL("unterminated attribute %s", an);
            for (const char *q = v; q + 3 <= p; q++)
                if (!strncmp(q, "nan", 3) || !strncmp(q, "inf", 3) || !strncmp(q, "NAN", 3) ||
                    !strncmp(q, "INF", 3))
                    FAIL("nan/inf in attribute %s of <%s>", an, name);
            p++;
        }
        if (*p == '/') {
            p += 2;
            continue;
        }
        p++;
        if (depth >= 64)
            FAIL("nesting too deep");
        strcpy(stack[depth++], name);
    }
    if (depth)
        FAIL("<%s> never closed", stack[depth - 1]);
    if (!roots)
        FAIL("no root element");
    return 1;
}

/* xmllint on every chart rendered, in one run; skipped when not installed. */
static void xmllint_all(void)
{
    if (!all_f)
        return;
    fclose(all_f);
    all_f = NULL;
    if (system("command -v xmllint >/dev/null 2>&1") != 0) {
        printf("test_svg: xmllint not installed, skipping its check\n");
        free(all_buf);
        return;
    }
    char path[] = "/tmp/rb_test_svg_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        FILE *f = fdopen(fd, "w");
        fputs("<charts>\n", f);
        fwrite(all_buf, 1, all_len, f);
        fputs("</charts>\n", f);
        fclose(f);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "xmllint --noout %s", path); /* its errors go to stderr */
        CHECK_INT(system(cmd), 0);
        remove(path);
    }
    free(all_buf);
}

/* ---- reading the output back ---------------------------------------------- */

static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay ? strstr(hay, needle) : NULL; p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* A numeric attribute of the root <svg> element; NAN if absent. */
static double root_attr(const char *svg, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = svg ? strchr(svg, '>') : NULL, *p = svg ? strstr(svg, key) : NULL;
    if (!p || p > end)
        return NAN;
    return strtod(p + strlen(key), NULL);
}

static int root_has(const char *svg, const char *attr_text)
{
    const char *end = svg ? strchr(svg, '>') : NULL, *p = svg ? strstr(svg, attr_text) : NULL;
    return p && p < end;
}

/* The text content of the elements whose start tag contains `marker`,
 * joined with '|', <title> children left out. */
static void texts(const char *svg, const char *marker, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *p = strstr(svg, marker); p; p = strstr(p + 1, marker)) {
        const char *q = strchr(p, '>');
        if (!q)
            break;
        q++;
        if (!strncmp(q, "<title>", 7)) {
            q = strstr(q, "</title>");
            if (!q)
                break;
            q += 8;
        }
        const char *e = strstr(q, "</text>");
        if (!e)
            break;
        int w = snprintf(out + n, size - n, "%s%.*s", n ? "|" : "", (int)(e - q), q);
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
}

/* Points drawn: circles with a <title>, inside the series groups. */
static int series_points(const char *svg, int *titles)
{
    int n = 0, t = 0;
    for (const char *p = strstr(svg, "<g class=\"rb-series\""); p;
         p = strstr(p + 1, "<g class=\"rb-series\"")) {
        const char *end = strstr(p, "</g>");
        for (const char *q = strstr(p, "<circle"); q && q < end; q = strstr(q + 1, "<circle"))
            n++;
        for (const char *q = strstr(p, "<title>"); q && q < end; q = strstr(q + 1, "<title>"))
            t++;
    }
    if (titles)
        *titles = t;
    return n;
}

static int attr_is(const char *a, const char *alen_end, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(alen_end - a) == n && !strncmp(a, name, n);
}

/* Every coordinate inside the viewBox: x-like attributes in [0, W], y-like
 * in [0, H], a rect's far edge too, and every polyline vertex. */
static int inside_viewbox(const char *svg)
{
    double vw = 0, vh = 0;
    const char *vb = strstr(svg, "viewBox=\"");
    if (!vb || sscanf(vb, "viewBox=\"0 0 %lf %lf\"", &vw, &vh) != 2)
        return 0;
    const double eps = 0.011;
    int ok = 1;
    for (const char *p = strchr(svg + 1, '<'); p; p = strchr(p + 1, '<')) {
        if (p[1] == '/')
            continue;
        const char *end = strchr(p, '>');
        double x = 0, w = 0, y = 0, h = 0;
        int rect = !strncmp(p, "<rect", 5);
        for (const char *a = strchr(p, ' '); a && a < end; a = strchr(a + 1, ' ')) {
            const char *eq = strchr(a, '=');
            if (!eq || eq > end || eq[1] != '"')
                continue;
            const char *an = a + 1;
            double v = strtod(eq + 2, NULL);
            if (attr_is(an, eq, "x") || attr_is(an, eq, "cx") || attr_is(an, eq, "x1") ||
                attr_is(an, eq, "x2")) {
                ok &= v >= -eps && v <= vw + eps;
                if (attr_is(an, eq, "x"))
                    x = v;
            } else if (attr_is(an, eq, "y") || attr_is(an, eq, "cy") || attr_is(an, eq, "y1") ||
                       attr_is(an, eq, "y2")) {
                ok &= v >= -eps && v <= vh + eps;
                if (attr_is(an, eq, "y"))
                    y = v;
            } else if (attr_is(an, eq, "width")) {
                w = v;
            } else if (attr_is(an, eq, "height")) {
                h = v;
            } else if (attr_is(an, eq, "points")) {
                const char *q = eq + 2;
                double px, py;
                int used;
                while (sscanf(q, "%lf,%lf%n", &px, &py, &used) == 2) {
                    ok &= px >= -eps && px <= vw + eps && py >= -eps && py <= vh + eps;
                    q += used;
                }
                ok &= *q == '"';
            }
        }
        if (rect)
            ok &= w >= 0 && h >= 0 && x + w <= vw + eps && y + h <= vh + eps;
        if (!ok) {
            fprintf(stderr, "outside the viewBox %g x %g: %.*s\n", vw, vh, (int)(end - p + 1), p);
            return 0;
        }
    }
    return ok;
}

static int word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* No nan, inf (as words: "inference" is fine) or negative zero anywhere. */
static int clean_numbers(const char *svg)
{
    static const char *const bad[] = {"nan", "inf", "NaN", "Inf", "NAN", "INF", "infinity"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        for (const char *p = strstr(svg, bad[i]); p; p = strstr(p + 1, bad[i]))
            if ((p == svg || !word_char(p[-1])) && !word_char(p[n]))
                return 0;
    }
    for (const char *p = strstr(svg, "-0.00"); p; p = strstr(p + 1, "-0.00"))
        if (!(p[5] >= '0' && p[5] <= '9'))
            return 0;
    return !strstr(svg, "\"-0\"") && !strstr(svg, ">-0<");
}

/* ---- the tests ------------------------------------------------------------ */

/* The checker itself: it must refuse what a browser or xmllint would. */
static void test_checker(void)
{
    char why[256];
    CHECK(xml_check("<svg a=\"1\"><g><text>x &amp; &#39; &#x27;</text></g></svg>\n", why,
                    sizeof why));
    static const char *const bad[] = {
        "<svg a=\"1\"><g></svg>",                 /* unclosed */
        "<svg a=\"1\"></g></svg>",                /* stray end tag */
        "<svg a=1></svg>",                        /* unquoted */
        "<svg a=\"1\" a=\"2\"></svg>",            /* duplicate attribute */
        "<svg a=\"1\"><text>a & b</text></svg>",  /* bare ampersand */
        "<svg a=\"1\"><text>&nbsp;</text></svg>", /* not an XML entity */
        "<svg a=\"1\"><text>a > b</text></svg>",  /* raw '>' (we always escape it) */
        "<svg a=\"1\"><script>x</script></svg>",  /* not an element we draw */
        "<svg a=\"<\"></svg>",                    /* '<' in an attribute */
        "<svg a=\"1\"><text>\x01</text></svg>",   /* control character */
        "<svg a=\"1\"></svg><svg a=\"1\"></svg>", /* two roots */
        "<svg a=\"1\"></svg>tail",                /* text after the root */
        "<svg x=\"nan\"></svg>",                  /* nan in an attribute */
        "<?xml version=\"1.0\"?><svg a=\"1\"></svg>",
        "<svg a=\"1\">",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int ok = xml_check(bad[i], why, sizeof why);
        if (ok)
            fprintf(stderr, "checker accepted %s\n", bad[i]);
        CHECK(!ok);
    }
}

static void test_escape(void)
{
    char *s = escaped("a&b<c>d\"e'f");
    CHECK(!strcmp(s, "a&amp;b&lt;c&gt;d&quot;e&#39;f"));
    free(s);
    /* control characters other than tab and newline are dropped */
    s = escaped("\x01x\ty\nz\x1f\r\x7f!");
    CHECK(!strcmp(s, "x\ty\nz!"));
    free(s);
    /* UTF-8 passes through byte for byte */
    const char *utf8 =
        "\xc2\xb5s \xe2\x80\x94 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x88";
    s = escaped(utf8);
    CHECK(!strcmp(s, utf8));
    free(s);
    s = escaped(NULL);
    CHECK(!strcmp(s, ""));
    free(s);
    s = escaped("");
    CHECK(!strcmp(s, ""));
    free(s);
    rb_xml_escape(NULL, "x"); /* nowhere to write: nothing happens */
}

static void test_palette(void)
{
    for (int i = 0; i < 8; i++) {
        const char *c = rb_svg_color(i);
        CHECK(c && c[0] == '#' && strlen(c) == 7);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(c, rb_svg_color(j)) != 0);
        CHECK(!strcmp(c, rb_svg_color(i + 8)));
        CHECK(!strcmp(c, rb_svg_color(i + 800)));
        CHECK(!strcmp(c, rb_svg_color(i - 8)));
    }
    CHECK(!strcmp(rb_svg_color(-1), rb_svg_color(7)));
}

static void test_log_ticks(void)
{
    char t[1024];
    double x[] = {1, 2, 4, 8, 16, 32}, y[] = {0.003, 0.05, 0.4, 1.2, 7, 42};
    rb_chart_series s = {.name = "cpu", .n = 6, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "log",
                  .title = "t",
                  .x_label = "batch",
                  .y_label = "ms",
                  .x_log = 1,
                  .y_log = 1,
                  .n_series = 1,
                  .series = &s};
    char *out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "0.001|0.01|0.1|1|10|100"));
    /* x spans 1.5 decades: 1-2-5 ticks fitted to it, not 1|10|100 */
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "1|2|5|10|20|50"));
    CHECK(count(out, "class=\"rb-grid-minor\"") == 1); /* 2..9 in y's decades only */
    CHECK(inside_viewbox(out));
    CHECK(clean_numbers(out));
    free(out);

    /* the y axis's ticks for six values each */
    static const struct {
        double y[6];
        const char *ticks, *why;
    } cases[] = {
        {{2, 3, 5, 2.5, 4, 9}, "2|5|10", "all in one decade: the 1-2-5 values around it"},
        {{0.9, 1.0, 1.1, 1.2, 0.95, 1.05}, "0.5|1|2", "not padded out to 0.1 .. 10"},
        {{1, 10, 100, 10, 1, 100}, "1|2|5|10|20|50|100", "1-2-5 values are the ends"},
        {{0.5, 3, 40, 200, 700, 900}, "0.1|1|10|100|1000", "three decades: decade ticks"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        s.y = cases[k].y;
        out = xy(&c, NULL);
        texts(out, "class=\"rb-tick-y\"", t, sizeof t);
        if (strcmp(t, cases[k].ticks))
            printf("  %s: ticks %s, expected %s\n", cases[k].why, t, cases[k].ticks);
        CHECK(!strcmp(t, cases[k].ticks));
        free(out);
    }

    /* fifteen decades: a tick every second one, compact labels */
    double y3[] = {1e-6, 1e-3, 1, 1e3, 1e6, 5e8};
    s.y = y3;
    out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "1e-6|1e-4|0.01|1|100|1e4|1e6|1e8|1e10"));
    CHECK(count(out, "rb-grid-minor") == 0); /* y ticks every second decade, x 1-2-5 */
    CHECK(inside_viewbox(out));
    free(out);
}

static void test_linear_ticks(void)
{
    char t[1024];
    double x[] = {1, 2, 3, 4}, y[] = {0.3, 9.7, 4, 5};
    rb_chart_series s = {.name = "a", .n = 4, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "lin", .n_series = 1, .series = &s};
    char *out = xy(&c, NULL);
    /* positive data: the axis starts at 0 */
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "0|2|4|6|8|10"));
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "0|1|2|3|4"));
    free(out);

    /* steps of 0.1 print as 0.3, not 0.30000000000000004 */
    double y1[] = {0.1, 0.3, 0.2, 0.25};
    s.y = y1;
    out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "0|0.1|0.2|0.3"));
    free(out);

    /* mixed signs: nice steps through 0 */
    double y2[] = {-3, 7, 0, 1};
    s.y = y2;
    out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "-4|-2|0|2|4|6|8"));
    CHECK(clean_numbers(out));
    CHECK(inside_viewbox(out));
    free(out);

    /* large values: compact exponents */
    double y3[] = {2e6, 4e6, 1e7, 3e6};
    s.y = y3;
    out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "0|2e6|4e6|6e6|8e6|1e7"));
    free(out);
}

static void test_attributes_and_legend(void)
{
    double x[] = {1, 2, 3}, y[] = {1, 2, 3}, y2[] = {3, 2, 1}, none[] = {NAN, NAN, NAN};
    rb_chart_series s[3] = {
        {.name = "cpu", .n = 3, .x = x, .y = y, .color = -1},
        {.name = "gpu", .n = 3, .x = x, .y = y2, .style = RB_SVG_LINE, .color = 5, .dashed = 1},
        {.name = "fpga", .n = 3, .x = x, .y = none, .style = RB_SVG_POINTS, .color = -1},
    };
    rb_chart c = {.id = "chart-latency-batch",
                  .title = "Latency",
                  .x_label = "batch",
                  .y_label = "median latency (ms)",
                  .n_series = 3,
                  .series = s};
    int rc = 1;
    char *out = xy(&c, &rc);
    CHECK_INT(rc, 0);
    CHECK(!strncmp(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39));
    CHECK(root_has(out, " id=\"chart-latency-batch\""));
    CHECK(root_has(out, " class=\"rb-chart\""));
    CHECK(root_has(out, " viewBox=\"0 0 1000 "));
    CHECK_INT(root_attr(out, "data-series"), 2);
    CHECK_INT(root_attr(out, "data-points"), 6);
    int titles = 0;
    CHECK_INT(series_points(out, &titles), 6);
    CHECK_INT(titles, 6);
    /* the title twice: accessible name and visible text */
    CHECK_HAS(out, "<title>Latency</title>");
    CHECK_HAS(out, "font-weight=\"bold\">Latency</text>");
    CHECK_HAS(out, "class=\"rb-xlabel\"");
    CHECK_HAS(out, ">batch</text>");
    CHECK_HAS(out, ">median latency (ms)</text>");
    CHECK_INT(count(out, "class=\"rb-legend-entry\""), 3);
    CHECK_HAS(out, ">fpga (no data)</text>");
    /* colours: by index, or the series' own; the dashed one in the legend too */
    CHECK_HAS(out, rb_svg_color(0));
    CHECK_HAS(out, rb_svg_color(5));
    CHECK_INT(count(out, "stroke-dasharray"), 2); /* its line and its legend entry */
    /* default hover text */
    CHECK_HAS(out, "<title>cpu: 2, 2</title>");
    CHECK_HAS(out, "<title>gpu: 3, 1</title>");
    /* no <script>, no external reference, no prolog */
    CHECK(!strstr(out, "<script") && !strstr(out, "href") && !strstr(out, "<?xml") &&
          !strstr(out, "url("));
    CHECK(inside_viewbox(out));
    free(out);

    /* more series than the palette: colours wrap, every one in the legend,
     * the chart grows to hold it; an unnamed series gets a name; a name
     * longer than any buffer stays whole (and valid UTF-8) in its tips */
    enum { NS = 20 };
    rb_chart_series many[NS];
    static char long_name[600];
    for (int i = 0; i < 200; i++)
        strcat(long_name, "\xc3\xa9");
    for (int i = 0; i < NS; i++)
        many[i] = (rb_chart_series){.name = i == 1   ? NULL
                                            : i == 2 ? long_name
                                                     : "s",
                                    .n = 3,
                                    .x = x,
                                    .y = y,
                                    .color = -1};
    rb_chart mc = {.id = "many-series", .n_series = NS, .series = many};
    out = xy(&mc, NULL);
    CHECK_INT(root_attr(out, "data-series"), NS);
    CHECK_INT(count(out, "class=\"rb-legend-entry\""), NS);
    CHECK(root_attr(out, "height") >= 40 + NS * 18);
    CHECK_HAS(out, ">series 2</text>");
    CHECK_HAS(out, "<title>series 2: 1, 1</title>");
    char want[700];
    snprintf(want, sizeof want, "<title>%s: 1, 1</title>", long_name);
    CHECK_HAS(out, want);
    CHECK(inside_viewbox(out));
    free(out);

    /* custom tips, and a NULL among them falls back to the default */
    const char *tips[] = {"first", NULL, "third"};
    s[0].tips = tips;
    c.n_series = 1;
    out = xy(&c, NULL);
    CHECK_HAS(out, "<title>first</title>");
    CHECK_HAS(out, "<title>cpu: 2, 2</title>");
    CHECK_HAS(out, "<title>third</title>");
    free(out);
}

static void test_skips_and_breaks(void)
{
    /* a NaN in the middle: two polylines, the NaN not drawn */
    double x[] = {1, 2, 3, 4, 5, 6}, y[] = {1, 2, 3, NAN, 5, 6};
    rb_chart_series s = {.name = "a", .n = 6, .x = x, .y = y, .style = RB_SVG_LINE, .color = -1};
    rb_chart c = {.id = "brk", .n_series = 1, .series = &s};
    char *out = xy(&c, NULL);
    CHECK_INT(count(out, "<polyline"), 2);
    CHECK_INT(root_attr(out, "data-points"), 5);
    CHECK_INT(series_points(out, NULL), 5);
    CHECK(clean_numbers(out));
    free(out);

    /* a log y axis: <= 0 and infinities skipped, each breaking the line; a
     * run of one point is a marker without a line */
    double x2[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    double y2[] = {1, 2, NAN, 4, -1, 0, 8, INFINITY, 16};
    s.n = 9;
    s.x = x2;
    s.y = y2;
    s.style = 0;
    c.y_log = 1;
    out = xy(&c, NULL);
    CHECK_INT(root_attr(out, "data-points"), 5);
    CHECK_INT(series_points(out, NULL), 5);
    CHECK_INT(count(out, "<polyline"), 1);
    CHECK(clean_numbers(out));
    CHECK(inside_viewbox(out));
    free(out);

    /* a log x axis: x <= 0 skipped, and a non-finite x on a linear one */
    double x3[] = {0, -2, 1, 10, NAN, 100};
    double y3[] = {1, 1, 1, 2, 3, 4};
    s.n = 6;
    s.x = x3;
    s.y = y3;
    c.y_log = 0;
    c.x_log = 1;
    out = xy(&c, NULL);
    CHECK_INT(root_attr(out, "data-points"), 3);
    free(out);
    c.x_log = 0;
    out = xy(&c, NULL);
    CHECK_INT(root_attr(out, "data-points"), 5);
    free(out);
}

static void test_empty_and_degenerate(void)
{
    double x[] = {1, 2}, y[] = {NAN, INFINITY};
    rb_chart_series s = {.name = "cpu", .n = 2, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "empty",
                  .title = "Nothing",
                  .x_label = "x",
                  .y_label = "y",
                  .n_series = 1,
                  .series = &s,
                  .empty_note = "no run has finished yet",
                  .has_mark = 1,
                  .mark_x = 1,
                  .mark_y = 1,
                  .mark_label = "best"};
    int rc = 1;
    char *out = xy(&c, &rc);
    CHECK_INT(rc, 0);
    CHECK_HAS(out, ">no run has finished yet</text>");
    CHECK_INT(root_attr(out, "data-points"), 0);
    CHECK_INT(root_attr(out, "data-series"), 0);
    CHECK(!strstr(out, "rb-mark"));
    CHECK(clean_numbers(out));
    CHECK(inside_viewbox(out));
    free(out);

    /* no note given; log axes; no series at all */
    c.empty_note = NULL;
    c.x_log = c.y_log = 1;
    out = xy(&c, NULL);
    CHECK_HAS(out, ">no data</text>");
    CHECK(clean_numbers(out));
    free(out);
    c.n_series = 0;
    c.series = NULL;
    out = xy(&c, NULL);
    CHECK_HAS(out, ">no data</text>");
    CHECK(!strstr(out, "rb-legend"));
    free(out);
    c.n_series = 3; /* a count without series */
    out = xy(&c, NULL);
    CHECK_HAS(out, ">no data</text>");
    free(out);

    /* one point, all equal, all zero, on linear and log axes */
    double one_x[] = {5}, one_y[] = {5}, zero[] = {0, 0, 0}, same[] = {7, 7, 7};
    struct {
        const double *x, *y;
        int n, xlog, ylog;
    } cases[] = {
        {one_x, one_y, 1, 0, 0}, {one_x, one_y, 1, 1, 1}, {zero, zero, 3, 0, 0},
        {same, same, 3, 0, 0},   {same, same, 3, 1, 1},   {zero, same, 3, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_chart_series d = {
            .name = "d", .n = cases[i].n, .x = cases[i].x, .y = cases[i].y, .color = -1};
        rb_chart dc = {.id = "deg",
                       .title = "degenerate",
                       .x_log = cases[i].xlog,
                       .y_log = cases[i].ylog,
                       .n_series = 1,
                       .series = &d};
        out = xy(&dc, &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(root_attr(out, "data-points"), cases[i].n);
        CHECK(clean_numbers(out));
        CHECK(inside_viewbox(out));
        CHECK(strstr(out, "class=\"rb-tick-y\"") != NULL);
        free(out);
    }

    /* sizes: the given ones, tiny ones raised to something drawable */
    rb_chart_series d = {.name = "d", .n = 1, .x = one_x, .y = one_y, .color = -1};
    rb_chart dc = {.id = "size", .width = 300, .height = 200, .n_series = 1, .series = &d};
    out = xy(&dc, NULL);
    CHECK(root_has(out, " viewBox=\"0 0 300 200\""));
    free(out);
    dc.width = 3;
    dc.height = -5;
    out = xy(&dc, NULL);
    CHECK(inside_viewbox(out));
    CHECK(clean_numbers(out));
    free(out);
}

static void test_mark(void)
{
    double x[] = {1, 2, 4, 8}, y[] = {0.5, 2, 8, 42};
    rb_chart_series s = {.name = "cpu", .n = 4, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "m",
                  .x_log = 1,
                  .y_log = 1,
                  .n_series = 1,
                  .series = &s,
                  .has_mark = 1,
                  .mark_x = 4,
                  .mark_y = 8,
                  .mark_label = "recommended: cpu, batch 4"};
    char *out = xy(&c, NULL);
    CHECK_INT(count(out, "class=\"rb-mark\""), 1);
    CHECK_HAS(out, ">recommended: cpu, batch 4</text>");
    CHECK_HAS(out, "<title>recommended: cpu, batch 4</title>");
    CHECK_INT(root_attr(out, "data-points"), 4); /* the mark is not a data point */
    CHECK(inside_viewbox(out));
    free(out);

    /* a mark beyond the data widens the axis to include it */
    char t[512];
    c.mark_y = 1000;
    out = xy(&c, NULL);
    texts(out, "class=\"rb-tick-y\"", t, sizeof t);
    CHECK(!strcmp(t, "0.1|1|10|100|1000"));
    CHECK(inside_viewbox(out));
    free(out);

    /* one that cannot be drawn is left out */
    c.mark_y = -1;
    out = xy(&c, NULL);
    CHECK(!strstr(out, "rb-mark"));
    free(out);
    c.mark_y = NAN;
    out = xy(&c, NULL);
    CHECK(!strstr(out, "rb-mark"));
    CHECK(clean_numbers(out));
    free(out);
}

static void test_categories(void)
{
    /* six slots of ~100 px: the long label does not fit level */
    const char *cats[] = {"lstm_infer_t25_b4_i512_h512_l1_and_more", "b", "c", "d", "e", "f"};
    double x[] = {0, 1, 2, 7, -1}, y[] = {1.5, 2, 3, 4, 5};
    rb_chart_series s = {.name = "cpu", .n = 5, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "cat",
                  .x_label = "workload",
                  .y_label = "ms",
                  .categories = cats,
                  .n_categories = 6,
                  .n_series = 1,
                  .series = &s};
    char *out = xy(&c, NULL);
    /* x outside the categories is not drawn */
    CHECK_INT(root_attr(out, "data-points"), 3);
    /* the long label cut at 28 characters with an ellipsis, whole in its <title> */
    CHECK_HAS(out, "<title>lstm_infer_t25_b4_i512_h512_l1_and_more</title>"
                   "lstm_infer_t25_b4_i512_h512\xe2\x80\xa6</text>");
    CHECK_HAS(out, "rotate(-40");
    /* the hover text names the category */
    CHECK_HAS(out, "<title>cpu: b, 2</title>");
    char t[512];
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "lstm_infer_t25_b4_i512_h512\xe2\x80\xa6|b|c|d|e|f"));
    CHECK(inside_viewbox(out));
    /* the rotated labels get room below the plot */
    CHECK(root_attr(out, "height") > 400);
    free(out);

    /* short labels stay level */
    const char *short_cats[] = {"cpu", "gpu", "fpga", "asic", "cpu-1", "gpu-1"};
    c.categories = short_cats;
    out = xy(&c, NULL);
    CHECK(!strstr(out, "rotate(-40"));
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "cpu|gpu|fpga|asic|cpu-1|gpu-1"));
    free(out);

    /* a cut never splits a UTF-8 character: 30 two-byte characters */
    char wide[64] = "";
    for (int i = 0; i < 30; i++)
        strcat(wide, "\xc3\xa9");
    const char *wide_cats[] = {wide};
    double x1[] = {0}, y1[] = {1};
    rb_chart_series s1 = {.name = "e", .n = 1, .x = x1, .y = y1, .color = -1};
    rb_chart c1 = {
        .id = "wide", .categories = wide_cats, .n_categories = 1, .n_series = 1, .series = &s1};
    out = xy(&c1, NULL);
    char want[80] = "";
    for (int i = 0; i < 27; i++)
        strcat(want, "\xc3\xa9");
    strcat(want, "\xe2\x80\xa6</text>");
    CHECK_HAS(out, want);
    free(out);

    /* many categories: every tick drawn, labels thinned, all inside */
    static char names[120][32];
    const char *many[120];
    double mx[120], my[120];
    for (int i = 0; i < 120; i++) {
        snprintf(names[i], sizeof names[i], "workload number %d", i);
        many[i] = names[i];
        mx[i] = i;
        my[i] = i + 1;
    }
    rb_chart_series sm = {.name = "m", .n = 120, .x = mx, .y = my, .color = -1};
    rb_chart cm = {
        .id = "many", .categories = many, .n_categories = 120, .n_series = 1, .series = &sm};
    out = xy(&cm, NULL);
    CHECK_INT(root_attr(out, "data-points"), 120);
    int labels = count(out, "class=\"rb-tick-x\"");
    CHECK(labels >= 20 && labels < 120);
    CHECK(inside_viewbox(out));
    free(out);
}

static void test_hostile_text(void)
{
    /* Each place gets the same hostile text and its own tag, so that an
     * unescaped one would show which place it was. */
#define EVIL "<script>alert(\"x\")</script> & 'q' "
#define EVIL_ESC "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; "
    const char *cats[] = {EVIL "cat0", EVIL "cat1"};
    const char *tips[] = {EVIL "tip0", NULL};
    double x[] = {0, 1}, y[] = {1, 2};
    rb_chart_series s = {.name = EVIL "series", .n = 2, .x = x, .y = y, .tips = tips, .color = -1};
    rb_chart c = {.id = "x\" onload=\"alert(1)",
                  .title = EVIL "title",
                  .x_label = EVIL "xlabel",
                  .y_label = EVIL "ylabel",
                  .categories = cats,
                  .n_categories = 2,
                  .n_series = 1,
                  .series = &s,
                  .has_mark = 1,
                  .mark_x = 1,
                  .mark_y = 2,
                  .mark_label = EVIL "mark"};
    char *out = xy(&c, NULL);
    CHECK(!strstr(out, "<script") && !strstr(out, "</script") && !strstr(out, "alert(\"") &&
          !strstr(out, "'q'") && !strstr(out, " onload=\""));
    CHECK(root_has(out, " id=\"x&quot; onload=&quot;alert(1)\""));
    const char *places[] = {"<title>" EVIL_ESC "title</title>",
                            "font-weight=\"bold\">" EVIL_ESC "title</text>",
                            ">" EVIL_ESC "xlabel</text>",
                            ">" EVIL_ESC "ylabel</text>",
                            "<title>" EVIL_ESC "series</title>", /* legend, cut: whole here */
                            "<title>" EVIL_ESC "cat0</title>",
                            "<title>" EVIL_ESC "tip0</title>",
                            "<title>" EVIL_ESC "series: " EVIL_ESC "cat1, 2</title>",
                            "<title>" EVIL_ESC "mark</title>",
                            ">" EVIL_ESC "mark</text>"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        CHECK_HAS(out, places[i]);
    /* the cut labels: 27 characters escaped, then the ellipsis */
    CHECK_HAS(out, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\xe2\x80\xa6</text>");
    free(out);

    /* the empty note */
    double nan_y[] = {NAN, NAN};
    s.y = nan_y;
    c.empty_note = EVIL "note";
    out = xy(&c, NULL);
    CHECK_HAS(out, ">" EVIL_ESC "note</text>");
    CHECK(!strstr(out, "<script"));
    free(out);

    /* bars: id, title, value label, bar labels, tips */
    rb_bar b[] = {
        {EVIL "bar0", 1, -1, NULL}, {EVIL "bar1", NAN, -1, NULL}, {"ok", 2, -1, EVIL "tip"}};
    rb_bar_chart bc = {
        .id = "b\"<", .title = EVIL "btitle", .value_label = EVIL "unit", .n = 3, .bars = b};
    out = bars(&bc, NULL);
    CHECK(!strstr(out, "<script") && !strstr(out, "'q'"));
    CHECK(root_has(out, " id=\"b&quot;&lt;\""));
    const char *bar_places[] = {
        "<title>" EVIL_ESC "btitle</title>",    ">" EVIL_ESC "unit</text>",
        "<title>" EVIL_ESC "bar0</title>",      "<title>" EVIL_ESC "bar0: 1</title>",
        "<title>" EVIL_ESC "bar1: n/a</title>", "<title>" EVIL_ESC "tip</title>"};
    for (size_t i = 0; i < sizeof bar_places / sizeof bar_places[0]; i++)
        CHECK_HAS(out, bar_places[i]);
    free(out);

    /* control characters in text never reach the output */
    rb_chart_series cs = {.name = "a\x01\x02"
                                  "b\x1b",
                          .n = 2,
                          .x = x,
                          .y = y,
                          .color = -1};
    rb_chart cc = {.id = "ctl", .title = "t\x07itle", .n_series = 1, .series = &cs};
    out = xy(&cc, NULL); /* the checker rejects any control character */
    CHECK_HAS(out, "<title>title</title>");
    CHECK_HAS(out, ">ab</text>");
    free(out);
#undef EVIL
#undef EVIL_ESC
}

static void test_bars(void)
{
    rb_bar b[] = {
        {"cpu", 12.345, -1, NULL},
        {"gpu", NAN, -1, NULL},
        {"fpga", -2, -1, NULL},
        {"asic", 0, 3, NULL},
        {"unbounded", INFINITY, -1, NULL},
        {"small", 0.5, -1, "hover"},
    };
    rb_bar_chart c = {.id = "energy",
                      .title = "Energy per inference",
                      .value_label = "energy (J)",
                      .n = 6,
                      .bars = b};
    int rc = 1;
    char *out = bars(&c, &rc);
    CHECK_INT(rc, 0);
    CHECK(root_has(out, " class=\"rb-chart rb-bars\""));
    CHECK(root_has(out, " id=\"energy\""));
    CHECK_INT(root_attr(out, "data-points"), 4);
    CHECK_INT(root_attr(out, "data-series"), 1);
    CHECK_INT(root_attr(out, "data-bars"), 6);
    CHECK_INT(count(out, "class=\"rb-bar\""), 4);
    CHECK_INT(count(out, "n/a</text>"), 2);
    char t[512];
    texts(out, "class=\"rb-bar-value\"", t, sizeof t); /* three significant digits */
    CHECK(!strcmp(t, "12.3|-2|0|0.5"));
    texts(out, "class=\"rb-bar-label\"", t, sizeof t);
    CHECK(!strcmp(t, "cpu|gpu|fpga|asic|unbounded|small"));
    CHECK_HAS(out, "<title>hover</title>");
    CHECK_HAS(out, "<title>cpu: 12.345</title>");
    CHECK_HAS(out, rb_svg_color(3)); /* a bar's own colour */
    /* a linear axis through zero, with the negative bar */
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "-5|0|5|10|15"));
    CHECK_HAS(out, ">energy (J)</text>");
    CHECK(inside_viewbox(out));
    CHECK(clean_numbers(out));
    free(out);

    /* log: <= 0 is n/a too; the axis starts below the smallest bar */
    c.log = 1;
    out = bars(&c, NULL);
    CHECK_INT(root_attr(out, "data-points"), 2);
    CHECK_INT(count(out, "n/a</text>"), 4);
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "0.1|1|10|100"));
    CHECK(inside_viewbox(out));
    CHECK(clean_numbers(out));
    free(out);
    rb_bar dec[] = {{"a", 1, -1, NULL}, {"b", 100, -1, NULL}};
    rb_bar_chart dc = {.id = "dec", .log = 1, .n = 2, .bars = dec};
    out = bars(&dc, NULL);
    texts(out, "class=\"rb-tick-x\"", t, sizeof t);
    CHECK(!strcmp(t, "0.1|1|10|100")); /* a bar of exactly 1 is not empty */
    free(out);

    /* all n/a, and none at all */
    rb_bar na[] = {{"a", NAN, -1, NULL}, {"b", -INFINITY, -1, NULL}};
    rb_bar_chart nc = {.id = "na", .n = 2, .bars = na};
    out = bars(&nc, NULL);
    CHECK_INT(root_attr(out, "data-points"), 0);
    CHECK_INT(root_attr(out, "data-series"), 0);
    CHECK_INT(count(out, "n/a</text>"), 2);
    CHECK(clean_numbers(out));
    CHECK(inside_viewbox(out));
    free(out);
    nc.log = 1;
    out = bars(&nc, NULL);
    CHECK(clean_numbers(out));
    free(out);
    nc.n = 0;
    out = bars(&nc, NULL);
    CHECK_HAS(out, ">no data</text>");
    CHECK(clean_numbers(out));
    free(out);

    /* a hundred bars: the chart grows, every label present, long ones cut */
    static char labels[100][48];
    rb_bar many[100];
    for (int i = 0; i < 100; i++) {
        snprintf(labels[i], sizeof labels[i], "lstm_infer_t25_b%d_i512_h512_l1_cpu", i);
        many[i] = (rb_bar){labels[i], 0.01 * (i + 1), -1, NULL};
    }
    rb_bar_chart mc = {.id = "many", .value_label = "ms", .n = 100, .bars = many};
    out = bars(&mc, NULL);
    CHECK(root_attr(out, "height") >= 100 * 14);
    CHECK_INT(count(out, "class=\"rb-bar-label\""), 100);
    CHECK_HAS(
        out,
        "<title>lstm_infer_t25_b7_i512_h512_l1_cpu</title>lstm_infer_t25_b7_i512_h512\xe2\x80\xa6</text>");
    CHECK(inside_viewbox(out));
    free(out);
}

static void test_determinism(void)
{
    double x[] = {1, 2, 4, 8, 16}, y[] = {0.013, 0.21, NAN, 3.3, 41};
    const char *cats[] = {"a", "b", "c", "d", "e"};
    rb_chart_series s[2] = {{.name = "cpu", .n = 5, .x = x, .y = y, .color = -1},
                            {.name = "gpu", .n = 5, .x = x, .y = x, .color = -1, .dashed = 1}};
    rb_chart c = {.id = "det",
                  .title = "d",
                  .x_log = 1,
                  .y_log = 1,
                  .n_series = 2,
                  .series = s,
                  .has_mark = 1,
                  .mark_x = 4,
                  .mark_y = 4,
                  .mark_label = "m"};
    char *a = xy(&c, NULL), *b = xy(&c, NULL);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
    c.categories = cats;
    c.n_categories = 5;
    c.x_log = 0;
    double ix[] = {0, 1, 2, 3, 4};
    s[0].x = s[1].x = ix;
    a = xy(&c, NULL);
    b = xy(&c, NULL);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
    rb_bar bs[] = {{"x", 1.5, -1, NULL}, {"y", NAN, -1, NULL}};
    rb_bar_chart bc = {.id = "detb", .n = 2, .bars = bs};
    a = bars(&bc, NULL);
    b = bars(&bc, NULL);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
}

static void test_many_points(void)
{
    enum { N = 20000 };
    static double x[N], y[3][N];
    for (int i = 0; i < N; i++) {
        x[i] = i + 1;
        y[0][i] = 1e-3 * (i + 1);
        y[1][i] = 2e-3 * (i + 1);
        y[2][i] = i % 1000 == 999 ? NAN : 3e-3 * (i + 1);
    }
    rb_chart_series s[3] = {{.name = "a", .n = N, .x = x, .y = y[0], .color = -1},
                            {.name = "b", .n = N, .x = x, .y = y[1], .color = -1},
                            {.name = "c", .n = N, .x = x, .y = y[2], .color = -1}};
    rb_chart c = {.id = "big", .x_log = 1, .y_log = 1, .n_series = 3, .series = s};
    char *out = xy(&c, NULL);
    CHECK_INT(root_attr(out, "data-points"), 3 * N - N / 1000);
    CHECK_INT(count(out, "<polyline"), 2 + N / 1000);
    CHECK(clean_numbers(out));
    free(out);
}

static void test_write_failure(void)
{
    double x[] = {1, 2}, y[] = {1, 2};
    rb_chart_series s = {.name = "a", .n = 2, .x = x, .y = y, .color = -1};
    rb_chart c = {.id = "w", .title = "t", .n_series = 1, .series = &s};
    rb_bar b[] = {{"a", 1, -1, NULL}};
    rb_bar_chart bc = {.id = "wb", .n = 1, .bars = b};

    CHECK_INT(rb_svg_xy(NULL, &c), -1);
    CHECK_INT(rb_svg_bars(NULL, &bc), -1);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    CHECK_INT(rb_svg_xy(m, NULL), -1);
    CHECK_INT(rb_svg_bars(m, NULL), -1);
    fclose(m);
    free(buf);

    /* a stream that cannot be written */
    FILE *ro = fopen("/dev/null", "r");
    CHECK(ro != NULL);
    if (ro) {
        CHECK_INT(rb_svg_xy(ro, &c), -1);
        fclose(ro);
    }
    ro = fopen("/dev/null", "r");
    if (ro) {
        CHECK_INT(rb_svg_bars(ro, &bc), -1);
        fclose(ro);
    }
    /* a buffer too small for the chart */
    char tiny[64];
    FILE *t = fmemopen(tiny, sizeof tiny, "w");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(rb_svg_xy(t, &c), -1);
        fclose(t);
    }
    t = fmemopen(tiny, sizeof tiny, "w");
    if (t) {
        CHECK_INT(rb_svg_bars(t, &bc), -1);
        fclose(t);
    }
    /* a full device: the error shows only when the buffer is flushed */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        CHECK_INT(rb_svg_xy(full, &c), -1);
        fclose(full);
    }
}

int main(void)
{
    test_checker();
    test_escape();
    test_palette();
    test_log_ticks();
    test_linear_ticks();
    test_attributes_and_legend();
    test_skips_and_breaks();
    test_empty_and_degenerate();
    test_mark();
    test_categories();
    test_hostile_text();
    test_bars();
    test_determinism();
    test_many_points();
    test_write_failure();
    xmllint_all();
    return rb_test_done("test_svg");
}
