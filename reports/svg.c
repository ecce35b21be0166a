/* svg.c — inline SVG charts (see svg.h).
 *
 * Everything is written straight to the FILE* in one pass over the data
 * (after one pass to find the ranges), so a chart of tens of thousands of
 * points costs only its bytes.  Coordinates are printed with two decimals
 * and numbers in labels with %g, both made deterministic and free of -0,
 * nan and inf: the report is diffed between runs and must stay valid XML. */
#include "svg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Okabe & Ito (2008), "Color Universal Design": eight colors told apart by
 * readers with the common color-vision deficiencies.  Yellow goes last: it
 * is the one hardest to see on white. */
static const char *const palette[8] = {
    "#0072B2", /* blue */
    "#D55E00", /* vermillion */
    "#009E73", /* bluish green */
    "#CC79A7", /* reddish purple */
    "#E69F00", /* orange */
    "#56B4E9", /* sky blue */
    "#000000", /* black */
    "#F0E442", /* yellow */
};

const char *rb_svg_color(int i) { return palette[((i % 8) + 8) % 8]; }

/* ---- text ----------------------------------------------------------------- */

static void escape_n(FILE *f, const char *s, size_t n)
{
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        /* &apos; is not an HTML 4 entity; the numeric form works everywhere */
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        int drop = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
        if (!rep && !drop)
            continue;
        if (i > run)
            fwrite(s + run, 1, i - run, f);
        if (rep)
            fputs(rep, f);
        run = i + 1;
    }
    if (n > run)
        fwrite(s + run, 1, n - run, f);
}

void rb_xml_escape(FILE *f, const char *s)
{
    if (f && s)
        escape_n(f, s, strlen(s));
}

/* Drawn labels are cut at this many characters: long workload keys and
 * device names would otherwise run over the plot.  The full text goes in a
 * <title> beside the cut one. */
#define LABEL_MAX 28

/* Average advance of a character in px at font-size 12 (sans-serif is about
 * 0.55 em); margins are sized from it since nothing measures text here. */
#define CHAR_W 6.6

/* Characters (UTF-8 code points) in s, counting at most cap + 1. */
static int text_len(const char *s, int cap)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n <= cap; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Write s escaped, cut to max characters with an ellipsis (never inside a
 * UTF-8 sequence).  Returns 1 when it was cut. */
static int put_cut(FILE *f, const char *s, int max)
{
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (text_len(s, max) <= max) {
        escape_n(f, s, len);
        return 0;
    }
    size_t i = 0;
    int chars = 0;
    /* stop at the first byte of character number max: max - 1 are kept */
    for (; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max - 1)
            break;
    escape_n(f, s, i);
    fputs("\xE2\x80\xA6", f); /* U+2026 horizontal ellipsis */
    return 1;
}

/* A drawn label: cut if long, and then with its full text as a <title>
 * (the element must already be open: `<text ...>`). */
static void put_label(FILE *f, const char *s, int max)
{
    if (text_len(s, max) > max) {
        fputs("<title>", f);
        rb_xml_escape(f, s);
        fputs("</title>", f);
    }
    put_cut(f, s, max);
}

/* ---- numbers -------------------------------------------------------------- */

/* %g with `digits` significant digits, exponent written compactly (1.5e6,
 * 2e-5): tick and value labels are read at a glance. */
const char *rb_svg_fmt_num(char *buf, size_t size, double v, int digits)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "n/a");
        return buf;
    }
    if (v == 0)
        v = 0; /* -0 prints as "-0" */
    snprintf(buf, size, "%.*g", digits, v);
    char *e = strchr(buf, 'e');
    if (e) {
        char *p = e + 1;
        int neg = *p == '-';
        if (*p == '+' || *p == '-')
            p++;
        while (*p == '0' && p[1])
            p++;
        char *dst = e + 1;
        if (neg)
            *dst++ = '-';
        memmove(dst, p, strlen(p) + 1);
    }
    return buf;
}

/* A coordinate attribute ` name="12.34"`.  Rounded before printing so that
 * nothing in (-0.005, 0) comes out as "-0.00"; a value that is not finite
 * (cannot happen from the layout, but the output must stay valid) is 0. */
void rb_svg_put_px(FILE *f, const char *name, double v)
{
    if (!isfinite(v))
        v = 0;
    v = round(v * 100) / 100;
    if (v == 0)
        v = 0;
    fprintf(f, " %s=\"%.2f\"", name, v);
}

/* The same, for the bare numbers of a polyline or a transform. */
void rb_svg_put_num(FILE *f, double v)
{
    if (!isfinite(v))
        v = 0;
    v = round(v * 100) / 100;
    if (v == 0)
        v = 0;
    fprintf(f, "%.2f", v);
}

/* ---- shared pieces -------------------------------------------------------- */

static void svg_open(FILE *f, const char *id, const char *cls, int w, int h, int series,
                     long points)
{
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\"", f);
    if (id) {
        fputs(" id=\"", f);
        rb_xml_escape(f, id);
        fputc('"', f);
    }
    /* width/height give the natural size, viewBox and the style let the
     * page shrink it to its column */
    fprintf(f,
            " class=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            " style=\"max-width:100%%;height:auto\" role=\"img\" font-family=\"sans-serif\""
            " font-size=\"12\" data-series=\"%d\" data-points=\"%ld\"",
            cls, w, h, w, h, series, points);
}

/* The accessible name, a white background (the page may be dark), the
 * visible title (cut to the width; the <title> has all of it). */
static void svg_head(FILE *f, const char *title, int w, int h)
{
    fputs("<title>", f);
    rb_xml_escape(f, title);
    fprintf(f, "</title>\n<rect class=\"rb-bg\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w,
            h);
    if (title && *title) {
        int fit = (int)((w - 20) / 9.2); /* 15 px bold: ~9 px a character, capitals wider */
        fputs("<text class=\"rb-title\" x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
              f);
        put_label(f, title, fit > 8 ? fit : 8);
        fputs("</text>\n", f);
    }
}

static void note(FILE *f, const char *text, double x, double y)
{
    fputs("<text class=\"rb-empty\" text-anchor=\"middle\" fill=\"#666666\"", f);
    rb_svg_put_px(f, "x", x);
    rb_svg_put_px(f, "y", y);
    fputc('>', f);
    rb_xml_escape(f, text && *text ? text : "no data");
    fputs("</text>\n", f);
}

static int finish(FILE *f)
{
    /* buffered bytes fail only when flushed: flush so the caller hears of it */
    fflush(f);
    return ferror(f) ? -1 : 0;
}

/* ---- x-y charts ----------------------------------------------------------- */

static int series_style(const rb_chart_series *s)
{
    int st = s->style & (RB_SVG_LINE | RB_SVG_POINTS);
    return st ? st : RB_SVG_LINE | RB_SVG_POINTS;
}

/* The line style of a series' lines: solid and seven dash patterns, then
 * the same eight in a lighter shade — sixteen series of one colour (a
 * target's workload families) stay apart before a style repeats. */
#define DASH(d) " stroke-dasharray=\"" d "\""
#define LIGHT " stroke-opacity=\"0.45\""
static const char *dash_attr(const rb_chart_series *s)
{
    static const char *const dash[] = {
        "",           DASH("6 4"),           DASH("2 3"),           DASH("10 3 2 3"),
        DASH("12 3"), DASH("4 2 1 2 1 2"),   DASH("1 5"),           DASH("8 2 2 2"),
        LIGHT,        LIGHT DASH("6 4"),     LIGHT DASH("2 3"),     LIGHT DASH("10 3 2 3"),
        LIGHT DASH("12 3"), LIGHT DASH("4 2 1 2 1 2"), LIGHT DASH("1 5"), LIGHT DASH("8 2 2 2")};
    return s->dashed > 0 ? dash[s->dashed % 16] : "";
}
#undef DASH
#undef LIGHT

static const char *series_color(const rb_chart_series *s, int index)
{
    return rb_svg_color(s->color == -1 ? index : s->color);
}

/* Whether point i of a series is drawn (x may be categorical). */
static int point_ok(const rb_chart *c, const rb_chart_series *s, int i)
{
    double x = s->x[i], y = s->y[i];
    if (!rb_svg_usable(y, c->y_log))
        return 0;
    if (c->n_categories > 0)
        return isfinite(x) && x >= -0.5 && x <= c->n_categories - 0.5;
    return rb_svg_usable(x, c->x_log);
}

static int mark_ok(const rb_chart *c)
{
    if (!c->has_mark || !rb_svg_usable(c->mark_y, c->y_log))
        return 0;
    if (c->n_categories > 0)
        return isfinite(c->mark_x) && c->mark_x >= -0.5 && c->mark_x <= c->n_categories - 0.5;
    return rb_svg_usable(c->mark_x, c->x_log);
}

static const char *category(const rb_chart *c, int i)
{
    const char *s = c->categories ? c->categories[i] : NULL;
    return s ? s : "";
}

/* A series' name as text (cut for the legend when max > 0); an unnamed
 * one is "series N". */
static void put_name(FILE *f, const rb_chart_series *s, int index, int max)
{
    if (!s->name)
        fprintf(f, "series %d", index + 1);
    else if (max > 0)
        put_label(f, s->name, max);
    else
        rb_xml_escape(f, s->name);
}

static int name_chars(const rb_chart_series *s, int index)
{
    char b[32];
    if (!s->name)
        return snprintf(b, sizeof b, "series %d", index + 1);
    return text_len(s->name, LABEL_MAX);
}

/* The default hover text: "name: x, y" (x the category's label when the
 * axis has them). */
static void default_tip(FILE *f, const rb_chart *c, int index, double x, double y)
{
    char b[48];
    put_name(f, &c->series[index], index, 0);
    fputs(": ", f);
    /* point_ok has put a categorical x within [-0.5, n - 0.5] */
    if (c->n_categories > 0 && c->categories && x == floor(x) && x >= 0)
        rb_xml_escape(f, category(c, (int)x));
    else
        fputs(rb_svg_fmt_num(b, sizeof b, x, 6), f);
    fprintf(f, ", %s", rb_svg_fmt_num(b, sizeof b, y, 6));
}

/* One series: its lines (a polyline per run of drawable points: a skipped
 * point breaks the line), then a circle with a <title> on every point.
 * A line-only series gets transparent circles, there for the hover. */
static void draw_series(FILE *f, const rb_chart *c, const axis *ax, const axis *ay, int index)
{
    const rb_chart_series *s = &c->series[index];
    int st = series_style(s);
    const char *col = series_color(s, index);
    int hollow = st == RB_SVG_POINTS && s->dashed;
    if (hollow)
        fprintf(f, "<g class=\"rb-series\" fill=\"#ffffff\" stroke=\"%s\" stroke-width=\"1.5\">\n",
                col);
    else
        fprintf(f, "<g class=\"rb-series\" fill=\"%s\"%s>\n", col,
                st & RB_SVG_POINTS ? "" : " fill-opacity=\"0\"");
    if (st & RB_SVG_LINE) {
        int i = 0;
        while (i < s->n) {
            while (i < s->n && !point_ok(c, s, i))
                i++;
            int j = i;
            while (j < s->n && point_ok(c, s, j))
                j++;
            if (j - i >= 2) {
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
                        col, dash_attr(s));
                for (int k = i; k < j; k++) {
                    if (k > i)
                        fputc(' ', f);
                    rb_svg_put_num(f, rb_svg_value_px(ax, s->x[k]));
                    fputc(',', f);
                    rb_svg_put_num(f, rb_svg_value_px(ay, s->y[k]));
                }
                fputs("\"/>\n", f);
            }
            i = j;
        }
    }
    double r = st & RB_SVG_POINTS ? 3.2 : 4;
    for (int i = 0; i < s->n; i++) {
        if (!point_ok(c, s, i))
            continue;
        fputs("<circle", f);
        rb_svg_put_px(f, "cx", rb_svg_value_px(ax, s->x[i]));
        rb_svg_put_px(f, "cy", rb_svg_value_px(ay, s->y[i]));
        fprintf(f, " r=\"%.1f\"><title>", r);
        if (s->tips && s->tips[i])
            rb_xml_escape(f, s->tips[i]);
        else
            default_tip(f, c, index, s->x[i], s->y[i]);
        fputs("</title></circle>\n", f);
    }
    fputs("</g>\n", f);
}

#define LABEL_GAP 16 /* px between two direct labels' baselines */

/* Where each legend entry goes (ly, px).  Direct labels when every series
 * is a line with data: each entry at the height of its line's last point,
 * beside the plot's right edge, pushed apart to LABEL_GAP and kept within
 * the plot's height — a reader matches a line and its name without
 * looking a colour up.  Else (points, a series without data, more lines
 * than the height holds) a list from the top.  1 when direct. */
static int legend_ys(const rb_chart *c, const long *drawn, const axis *ay, double top,
                     double bottom, double *ly)
{
    int n = c->n_series, direct = n > 1 && (n - 1) * LABEL_GAP <= bottom - top;
    int order[64];
    for (int k = 0; k < n && direct; k++) {
        const rb_chart_series *s = &c->series[k];
        int last = -1;
        for (int i = 0; i < s->n && drawn[k]; i++)
            if (point_ok(c, s, i))
                last = i;
        direct = n <= 64 && last >= 0 && (series_style(s) & RB_SVG_LINE);
        if (direct)
            ly[k] = rb_svg_value_px(ay, s->y[last]);
    }
    if (!direct) {
        for (int k = 0; k < n; k++)
            ly[k] = top + 8 + k * 18;
        return 0;
    }
    for (int k = 0; k < n; k++) { /* insertion sort by height: few series */
        int j = k;
        for (; j > 0 && ly[order[j - 1]] > ly[k]; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    for (int j = 1; j < n; j++)
        if (ly[order[j]] < ly[order[j - 1]] + LABEL_GAP)
            ly[order[j]] = ly[order[j - 1]] + LABEL_GAP;
    if (ly[order[n - 1]] > bottom)
        ly[order[n - 1]] = bottom;
    for (int j = n - 2; j >= 0; j--)
        if (ly[order[j]] > ly[order[j + 1]] - LABEL_GAP)
            ly[order[j]] = ly[order[j + 1]] - LABEL_GAP;
    return 1;
}

static void draw_legend(FILE *f, const rb_chart *c, const long *drawn, double x, const double *ys,
                        int direct)
{
    fprintf(f, "<g class=\"rb-legend%s\">\n", direct ? " rb-direct-labels" : "");
    for (int i = 0; i < c->n_series; i++) {
        const rb_chart_series *s = &c->series[i];
        int st = series_style(s);
        const char *col = series_color(s, i);
        double ly = ys[i];
        fputs("<g class=\"rb-legend-entry\">", f);
        if (st & RB_SVG_LINE) {
            fprintf(f, "<line stroke=\"%s\" stroke-width=\"1.8\"%s", col,
                    dash_attr(s));
            rb_svg_put_px(f, "x1", x);
            rb_svg_put_px(f, "x2", x + 22);
            rb_svg_put_px(f, "y1", ly);
            rb_svg_put_px(f, "y2", ly);
            fputs("/>", f);
        }
        if (st & RB_SVG_POINTS) {
            if (st == RB_SVG_POINTS && s->dashed) /* hollow, as drawn */
                fprintf(f, "<circle fill=\"#ffffff\" stroke=\"%s\" stroke-width=\"1.5\" r=\"3.2\"",
                        col);
            else
                fprintf(f, "<circle fill=\"%s\" r=\"3.2\"", col);
            rb_svg_put_px(f, "cx", x + 11);
            rb_svg_put_px(f, "cy", ly);
            fputs("/>", f);
        }
        fputs("<text", f);
        rb_svg_put_px(f, "x", x + 28);
        rb_svg_put_px(f, "y", ly + 4);
        fputc('>', f);
        put_name(f, s, i, LABEL_MAX);
        if (!drawn[i])
            fputs(" (no data)", f);
        fputs("</text></g>\n", f);
    }
    fputs("</g>\n", f);
}

/* Category labels under the x axis, rotated when they would not fit side
 * by side, and thinned to every k-th when even rotated ones would touch. */
static void category_axis(FILE *f, const rb_chart *c, const axis *ax, double top, double bottom,
                          int rotate)
{
    int n = c->n_categories;
    double slot = (ax->p1 - ax->p0) / n;
    int every = 1;
    if (rotate && slot < 13)
        every = (int)ceil(13 / slot);
    else if (!rotate && slot < 8)
        every = (int)ceil(8 / slot);
    fputs("<g class=\"rb-grid\" stroke=\"#eeeeee\">", f);
    for (int i = 0; i < n; i++) {
        double p = rb_svg_axis_px(ax, i);
        fputs("<line", f);
        rb_svg_put_px(f, "x1", p);
        rb_svg_put_px(f, "x2", p);
        rb_svg_put_px(f, "y1", top);
        rb_svg_put_px(f, "y2", bottom);
        fputs("/>", f);
    }
    fputs("</g>\n<g class=\"rb-ticks\" stroke=\"#333333\">", f);
    for (int i = 0; i < n; i++) {
        double p = rb_svg_axis_px(ax, i);
        fputs("<line", f);
        rb_svg_put_px(f, "x1", p);
        rb_svg_put_px(f, "x2", p);
        rb_svg_put_px(f, "y1", bottom);
        rb_svg_put_px(f, "y2", bottom + 5);
        fputs("/>", f);
    }
    fputs("</g>\n", f);
    for (int i = 0; i < n; i += every) {
        double p = rb_svg_axis_px(ax, i);
        if (rotate) {
            double y = bottom + 12;
            fputs("<text class=\"rb-tick-x\" font-size=\"11\" text-anchor=\"end\"", f);
            rb_svg_put_px(f, "x", p + 3);
            rb_svg_put_px(f, "y", y);
            fputs(" transform=\"rotate(-40 ", f);
            rb_svg_put_num(f, p + 3);
            fputc(' ', f);
            rb_svg_put_num(f, y);
            fputs(")\">", f);
        } else {
            fputs("<text class=\"rb-tick-x\" text-anchor=\"middle\"", f);
            rb_svg_put_px(f, "x", p);
            rb_svg_put_px(f, "y", bottom + 17);
            fputc('>', f);
        }
        put_label(f, category(c, i), LABEL_MAX);
        fputs("</text>", f);
    }
    fputc('\n', f);
}

static void draw_mark(FILE *f, const rb_chart *c, const axis *ax, const axis *ay, double right,
                      double top)
{
    double x = rb_svg_value_px(ax, c->mark_x), y = rb_svg_value_px(ay, c->mark_y);
    fputs("<g class=\"rb-mark\">", f);
    fputs("<circle fill=\"none\" stroke=\"#222222\" stroke-width=\"2\" r=\"9\"", f);
    rb_svg_put_px(f, "cx", x);
    rb_svg_put_px(f, "cy", y);
    fputs("><title>", f);
    rb_xml_escape(f, c->mark_label);
    fputs("</title></circle>", f);
    if (c->mark_label && *c->mark_label) {
        double w = text_len(c->mark_label, 200) * CHAR_W;
        int left = x + 12 + w > right;
        double ty = y - 12 < top + 12 ? y + 22 : y - 12;
        fprintf(f, "<text font-weight=\"bold\" fill=\"#222222\" text-anchor=\"%s\"",
                left ? "end" : "start");
        rb_svg_put_px(f, "x", left ? x - 12 : x + 12);
        rb_svg_put_px(f, "y", ty);
        fputc('>', f);
        rb_xml_escape(f, c->mark_label);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
}

/* Axis labels: x centred under the plot, y rotated along its left edge. */
static void axis_labels(FILE *f, const rb_chart *c, double l, double r, double t, double b,
                        double xlab_y)
{
    if (c->x_label) {
        fputs("<text class=\"rb-xlabel\" text-anchor=\"middle\"", f);
        rb_svg_put_px(f, "x", (l + r) / 2);
        rb_svg_put_px(f, "y", xlab_y);
        fputc('>', f);
        rb_xml_escape(f, c->x_label);
        fputs("</text>\n", f);
    }
    if (c->y_label) {
        double y = (t + b) / 2;
        fputs("<text class=\"rb-ylabel\" text-anchor=\"middle\" x=\"16.00\"", f);
        rb_svg_put_px(f, "y", y);
        fputs(" transform=\"rotate(-90 16 ", f);
        rb_svg_put_num(f, y);
        fputs(")\">", f);
        rb_xml_escape(f, c->y_label);
        fputs("</text>\n", f);
    }
}

int rb_svg_xy(FILE *f, const rb_chart *c)
{
    if (!f || !c)
        return -1;
    int n_series = c->series && c->n_series > 0 ? c->n_series : 0;
    rb_chart cc = *c; /* n_series made safe once, for every helper */
    cc.n_series = n_series;
    c = &cc;
    int categorical = c->n_categories > 0;

    /* pass 1: what is drawable, and its ranges */
    range rx = {0}, ry = {0};
    long points = 0, drawn_stack[16];
    long *drawn = n_series <= 16 ? drawn_stack : calloc((size_t)n_series, sizeof *drawn);
    if (!drawn)
        return -1;
    int series_drawn = 0;
    for (int k = 0; k < n_series; k++) {
        const rb_chart_series *s = &c->series[k];
        drawn[k] = 0;
        if (!s->x || !s->y)
            continue;
        for (int i = 0; i < s->n; i++) {
            if (!point_ok(c, s, i))
                continue;
            rb_svg_range_add(&rx, s->x[i]);
            rb_svg_range_add(&ry, s->y[i]);
            drawn[k]++;
        }
        points += drawn[k];
        series_drawn += drawn[k] > 0;
    }
    int mark = points > 0 && mark_ok(c);
    if (mark) {
        rb_svg_range_add(&rx, c->mark_x);
        rb_svg_range_add(&ry, c->mark_y);
    }

    axis ax, ay;
    if (categorical)
        rb_svg_axis_categories(&ax, c->n_categories);
    else if (c->x_log)
        rb_svg_axis_log(&ax, &rx, 0);
    else
        rb_svg_axis_linear(&ax, &rx, 6);
    if (c->y_log)
        rb_svg_axis_log(&ay, &ry, 0);
    else
        rb_svg_axis_linear(&ay, &ry, 5);

    /* layout */
    int w = c->width > 0 ? (c->width < 240 ? 240 : c->width) : RB_SVG_WIDTH;
    int h = c->height > 0 ? (c->height < 160 ? 160 : c->height) : 400;
    double top = 40, plot_b = h - 48;
    double left = 34 + rb_svg_tick_chars(&ay) * CHAR_W;
    double legend_w = 0;
    for (int k = 0; k < n_series; k++) {
        double lw = 40 + (name_chars(&c->series[k], k) + (drawn[k] ? 0 : 10)) * CHAR_W;
        if (lw > legend_w)
            legend_w = lw;
    }
    if (legend_w > w / 3.0)
        legend_w = w / 3.0;
    double right = w - 14 - legend_w;
    int rotate = 0;
    double bottom_margin = 48, max_label_px = 0;
    if (categorical) {
        int n = c->n_categories;
        for (int i = 0; i < n; i++) {
            double lw = text_len(category(c, i), LABEL_MAX) * 6.1;
            if (lw > max_label_px)
                max_label_px = lw;
        }
        rotate = max_label_px + 6 > (right - left) / n;
        if (rotate) {
            /* A label rotated by -40 degrees hangs down and to the left of
             * its tick by cos(40) of its length: widen the left margin until
             * none starts before x = 8.  Tick i sits at a fraction
             * t = (i + 0.5) / n of [left, right]; only the first labels can
             * be short of room, so stop once the ticks are past the widest. */
            double need_left = left;
            for (int i = 0; i < n; i++) {
                double t = (i + 0.5) / n;
                double need = 0.77 * text_len(category(c, i), LABEL_MAX) * 6.1 + 8;
                double l = (need - right * t) / (1 - t);
                if (l > need_left)
                    need_left = l;
                if (left + t * (right - left) > 0.77 * max_label_px + 8)
                    break;
            }
            left = need_left < right - 100 ? need_left : right - 100;
            bottom_margin = 12 + 0.643 * max_label_px + 10 + 30;
        }
    }
    double height = plot_b + bottom_margin;
    double legend_bottom = top + n_series * 18 + 4;
    if (height < legend_bottom)
        height = legend_bottom;
    int hh = (int)ceil(height);
    ax.p0 = left;
    ax.p1 = right;
    ay.p0 = plot_b;
    ay.p1 = top;

    svg_open(f, c->id, "rb-chart", w, hh, series_drawn, points);
    /* the scales, for a reader program (the browser test's axis check) */
    const char *xkind = categorical ? "category" : c->x_log ? "log" : "linear";
    fprintf(f, " data-x-axis=\"%s\" data-y-axis=\"%s\">\n", xkind, c->y_log ? "log" : "linear");
    svg_head(f, c->title, w, hh);
    if (!points) {
        fputs("<rect class=\"rb-frame\" fill=\"none\" stroke=\"#999999\"", f);
        rb_svg_put_px(f, "x", left);
        rb_svg_put_px(f, "y", top);
        rb_svg_put_px(f, "width", right - left);
        rb_svg_put_px(f, "height", plot_b - top);
        fputs("/>\n", f);
        note(f, c->empty_note, (left + right) / 2, (top + plot_b) / 2);
    } else {
        if (categorical)
            category_axis(f, c, &ax, top, plot_b, rotate);
        else
            rb_svg_numeric_axis(f, &ax, 1, top, plot_b, plot_b);
        rb_svg_numeric_axis(f, &ay, 0, left, right, left);
        fputs("<rect class=\"rb-frame\" fill=\"none\" stroke=\"#333333\"", f);
        rb_svg_put_px(f, "x", left);
        rb_svg_put_px(f, "y", top);
        rb_svg_put_px(f, "width", right - left);
        rb_svg_put_px(f, "height", plot_b - top);
        fputs("/>\n", f);
        for (int k = 0; k < n_series; k++)
            if (drawn[k])
                draw_series(f, c, &ax, &ay, k);
        if (mark)
            draw_mark(f, c, &ax, &ay, right, top);
    }
    axis_labels(f, c, left, right, top, plot_b, plot_b + bottom_margin - 10);
    if (n_series) {
        double ys_stack[16], *ys = n_series <= 16 ? ys_stack : calloc((size_t)n_series, sizeof *ys);
        if (ys) { /* with no point drawn, legend_ys lists them from the top */
            int direct = legend_ys(c, drawn, &ay, top, plot_b, ys);
            draw_legend(f, c, drawn, right + 14, ys, direct);
            if (ys != ys_stack)
                free(ys);
        }
    }
    fputs("</svg>\n", f);
    if (drawn != drawn_stack)
        free(drawn);
    return finish(f);
}

int rb_svg_figure(FILE *f, const rb_chart *c)
{
    if (!f || !c)
        return -1;
    long points = 0;
    for (int k = 0; c->series && k < c->n_series; k++)
        for (int i = 0; c->series[k].x && c->series[k].y && i < c->series[k].n; i++)
            points += point_ok(c, &c->series[k], i);
    if (points) {
        fputs("<figure>", f);
        int rc = rb_svg_xy(f, c);
        fputs("</figure>\n", f);
        return rc ? rc : finish(f);
    }
    fputs("<p class=\"note rb-no-chart\"", f);
    if (c->id) {
        fputs(" id=\"", f);
        rb_xml_escape(f, c->id);
        fputc('"', f);
    }
    fputs("><b>", f);
    rb_xml_escape(f, c->title ? c->title : "chart");
    fputs("</b>: not drawn, ", f);
    rb_xml_escape(f, c->empty_note && *c->empty_note ? c->empty_note : "no data");
    fputs(".</p>\n", f);
    return finish(f);
}

/* ---- bars ----------------------------------------------------------------- */

#define BAR_ROW 20

int rb_svg_bars(FILE *f, const rb_bar_chart *c)
{
    if (!f || !c)
        return -1;
    int n = c->bars && c->n > 0 ? c->n : 0;
    range r = {0};
    int label_chars = 0;
    for (int i = 0; i < n; i++) {
        if (rb_svg_usable(c->bars[i].value, c->log))
            rb_svg_range_add(&r, c->bars[i].value);
        int lc = text_len(c->bars[i].label, LABEL_MAX);
        if (lc > label_chars)
            label_chars = lc;
    }
    axis a;
    if (c->log)
        rb_svg_axis_log(&a, &r, 1);
    else
        rb_svg_axis_linear(&a, &r, 6);

    int w = c->width > 0 ? (c->width < 240 ? 240 : c->width) : RB_SVG_WIDTH;
    double top = 40, left = 14 + label_chars * CHAR_W;
    if (left > w / 2.0)
        left = w / 2.0;
    double right = w - 56; /* room for the value printed after the longest bar */
    double plot_b = top + (n ? n : 2) * BAR_ROW;
    int h = (int)ceil(plot_b + 52);
    a.p0 = left;
    a.p1 = right;

    svg_open(f, c->id, "rb-chart rb-bars", w, h, r.n > 0, r.n);
    fprintf(f, " data-bars=\"%d\">\n", n);
    svg_head(f, c->title, w, h);
    if (!n) {
        note(f, NULL, (left + right) / 2, (top + plot_b) / 2);
    } else {
        rb_svg_numeric_axis(f, &a, 1, top, plot_b, plot_b);
        /* linear bars grow from 0 (inside the axis when some are negative);
         * log bars from the axis start, which lies below every value */
        double base = a.log ? left : rb_svg_value_px(&a, 0);
        char b[48];
        for (int i = 0; i < n; i++) {
            const rb_bar *bar = &c->bars[i];
            double y = top + i * BAR_ROW;
            fputs("<text class=\"rb-bar-label\" text-anchor=\"end\"", f);
            rb_svg_put_px(f, "x", left - 6);
            rb_svg_put_px(f, "y", y + 14);
            fputc('>', f);
            put_label(f, bar->label, LABEL_MAX);
            fputs("</text>", f);
            int ok = rb_svg_usable(bar->value, c->log);
            if (!ok) {
                fputs("<text class=\"rb-bar-value rb-na\" fill=\"#777777\"", f);
                rb_svg_put_px(f, "x", base + 4);
                rb_svg_put_px(f, "y", y + 14);
                fputs("><title>", f);
                if (bar->tip) {
                    rb_xml_escape(f, bar->tip);
                } else {
                    rb_xml_escape(f, bar->label);
                    fputs(": n/a", f);
                }
                fputs("</title>n/a</text>\n", f);
                continue;
            }
            double v = rb_svg_value_px(&a, bar->value);
            double x0 = v < base ? v : base, x1 = v < base ? base : v;
            int color = bar->color == -1 ? i : bar->color;
            fprintf(f, "<rect class=\"rb-bar\" fill=\"%s\"", rb_svg_color(color));
            rb_svg_put_px(f, "x", x0);
            rb_svg_put_px(f, "y", y + 3);
            rb_svg_put_px(f, "width", x1 - x0);
            rb_svg_put_px(f, "height", BAR_ROW - 6);
            fputs("><title>", f);
            if (bar->tip) {
                rb_xml_escape(f, bar->tip);
            } else {
                rb_xml_escape(f, bar->label);
                fprintf(f, ": %s", rb_svg_fmt_num(b, sizeof b, bar->value, 6));
            }
            fputs("</title></rect>", f);
            /* the value after the bar's end; a negative bar's before it, or
             * right of zero when that would run into the labels */
            int after = v >= base || v - 4 - 7 * CHAR_W < left;
            double tx = v >= base ? v + 4 : after ? base + 4 : v - 4;
            fprintf(f, "<text class=\"rb-bar-value\" text-anchor=\"%s\"", after ? "start" : "end");
            rb_svg_put_px(f, "x", tx);
            rb_svg_put_px(f, "y", y + 14);
            fprintf(f, ">%s</text>\n", rb_svg_fmt_num(b, sizeof b, bar->value, 3));
        }
        fputs("<rect class=\"rb-frame\" fill=\"none\" stroke=\"#333333\"", f);
        rb_svg_put_px(f, "x", left);
        rb_svg_put_px(f, "y", top);
        rb_svg_put_px(f, "width", right - left);
        rb_svg_put_px(f, "height", plot_b - top);
        fputs("/>\n", f);
    }
    if (c->value_label) {
        fputs("<text class=\"rb-xlabel\" text-anchor=\"middle\"", f);
        rb_svg_put_px(f, "x", (left + right) / 2);
        rb_svg_put_px(f, "y", plot_b + 40);
        fputc('>', f);
        rb_xml_escape(f, c->value_label);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return finish(f);
}
