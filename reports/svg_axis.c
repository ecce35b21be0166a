/* svg_axis.c — the scales of the SVG charts: ranges, linear, log and
 * categorical axes, tick positions and labels, grids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg_internal.h"

int rb_svg_usable(double v, int log)
{
    return log ? isfinite(v) && v > 0 : isfinite(v) && fabs(v) <= LIN_MAX;
}

void rb_svg_range_add(range *r, double v)
{
    if (!r->n || v < r->min)
        r->min = v;
    if (!r->n || v > r->max)
        r->max = v;
    r->n++;
}

/* Decade exponents: log10 alone can land a hair off for exact powers of
 * ten, which would add or lose a whole decade. */
static int decade_floor(double v)
{
    int e = (int)floor(log10(v));
    if (pow(10, e) > v)
        e--;
    else if (pow(10, e + 1) <= v)
        e++;
    return e;
}

static int decade_ceil(double v)
{
    int e = (int)ceil(log10(v));
    if (pow(10, e - 1) >= v)
        e--;
    else if (pow(10, e) < v)
        e++;
    return e;
}

static int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* 1, 2, 5 x 10^k: the ticks of a log axis that spans too few decades for
 * decade ticks to fit it.  The largest such value <= v (< v when strict). */
static double step125_floor(double v, int strict)
{
    int e = decade_floor(v);
    static const double m[] = {5, 2, 1};
    for (;; e--)
        for (int i = 0; i < 3; i++) {
            double t = m[i] * pow(10, e);
            if (strict ? t < v : t <= v)
                return t;
        }
}

static double step125_next(double t)
{
    int e = decade_floor(t);
    double m = t / pow(10, e);
    return (m < 1.5 ? 2 : m < 3.5 ? 5 : 10) * pow(10, e);
}

/* A log axis fitted to [min, max] (positive): whole decades when the data
 * spans three or more (at most about ten ticks: a wider span ticks every
 * few decades); below that the 1-2-5 values around the data, so that no
 * end of the axis is more than one tick beyond it (decades alone would pad
 * 0.9..1.2 out to 0.1..10). */
void rb_svg_axis_log(axis *a, const range *r, int below_min)
{
    int e0 = 0, e1 = 1;
    if (r->n) {
        e0 = decade_floor(r->min);
        e1 = decade_ceil(r->max);
        /* bars grow from the axis start: one exactly on it would be empty */
        if (below_min && pow(10, e0) >= r->min)
            e0--;
        if (e1 <= e0)
            e1 = e0 + 1;
    }
    if (r->n && e1 - e0 <= 2) {
        double lo = step125_floor(r->min, below_min), hi = lo;
        a->log = 1;
        a->dstep = 0; /* not decades: no minor grid, labels as values */
        a->n = 0;
        a->tick[a->n++] = log10(lo);
        while (hi < r->max * (1 - 1e-12) && a->n < MAX_TICKS)
            a->tick[a->n++] = log10(hi = step125_next(hi));
        if (a->n == 1) /* one value: a tick either side of it */
            a->tick[a->n++] = log10(step125_next(hi));
        a->lo = a->tick[0];
        a->hi = a->tick[a->n - 1];
        return;
    }
    int step = ceil_div(e1 - e0, 10);
    e0 = floor_div(e0, step) * step;
    e1 = ceil_div(e1, step) * step;
    a->log = 1;
    a->dstep = step;
    a->lo = e0;
    a->hi = e1;
    a->n = 0;
    for (int e = e0; e <= e1 && a->n < MAX_TICKS; e += step)
        a->tick[a->n++] = e;
}

/* Nice ticks (1, 2 or 5 x 10^k apart) around [min, max] and 0: a linear
 * axis starts at zero when all values are positive (ends there when all
 * are negative), so bar lengths and slopes read true. */
void rb_svg_axis_linear(axis *a, const range *r, int target)
{
    double min = r->n ? r->min : 0, max = r->n ? r->max : 0;
    if (min > 0)
        min = 0;
    if (max < 0)
        max = 0;
    if (max == min)
        max = 1; /* all zero */
    /* halves first: max - min could overflow near LIN_MAX */
    double raw = (max / 2 - min / 2) * 2 / target;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag, step;
    if (norm <= 1)
        step = mag;
    else if (norm <= 2)
        step = 2 * mag;
    else if (norm <= 5)
        step = 5 * mag;
    else
        step = 10 * mag;
    /* 0 is in [min, max], so these are small integers (at most ~2 * target) */
    double k0 = floor(min / step + 1e-9), k1 = ceil(max / step - 1e-9);
    a->log = 0;
    a->dstep = 0;
    a->lo = k0 * step;
    a->hi = k1 * step;
    a->n = 0;
    for (double k = k0; k <= k1 && a->n < MAX_TICKS; k++)
        a->tick[a->n++] = k * step;
}

/* A categorical axis: one slot per category, the ticks at their centres. */
void rb_svg_axis_categories(axis *a, int n)
{
    a->log = 0;
    a->dstep = 0;
    a->lo = -0.5;
    a->hi = n - 0.5;
    a->n = 0; /* the categories are drawn by the caller */
}

double rb_svg_axis_px(const axis *a, double axis_units)
{
    return a->p0 + (axis_units - a->lo) * (a->p1 - a->p0) / (a->hi - a->lo);
}

double rb_svg_value_px(const axis *a, double v) { return rb_svg_axis_px(a, a->log ? log10(v) : v); }

const char *rb_svg_tick_label(char *buf, size_t size, const axis *a, double t)
{
    if (!a->log)
        return rb_svg_fmt_num(buf, size, t, 6);
    if (!a->dstep) /* 1-2-5 ticks: the value */
        return rb_svg_fmt_num(buf, size, pow(10, t), 3);
    int e = (int)t;
    /* 0.001 ... 1000 read faster written out; beyond that, 1e4, 1e-4 */
    if (e >= 0 && e <= 3)
        snprintf(buf, size, "%.0f", pow(10, e));
    else if (e < 0 && e >= -3)
        snprintf(buf, size, "%.*f", -e, pow(10, e));
    else
        snprintf(buf, size, "1e%d", e);
    return buf;
}

/* A line at axis position p across the plot from `from` to `to`: vertical
 * (x = p) for an x axis, horizontal (y = p) otherwise. */
static void cross_line(FILE *f, int vertical, double p, double from, double to)
{
    fputs("<line", f);
    rb_svg_put_px(f, vertical ? "x1" : "y1", p);
    rb_svg_put_px(f, vertical ? "x2" : "y2", p);
    rb_svg_put_px(f, vertical ? "y1" : "x1", from);
    rb_svg_put_px(f, vertical ? "y2" : "x2", to);
    fputs("/>", f);
}

/* Light lines at 2..9 x 10^k, only where there are few decades to a tick
 * each (beyond that they would be a grey wash). */
static void minor_log_grid(FILE *f, const axis *a, int vertical, double from, double to)
{
    if (!a->log || a->dstep != 1 || a->hi - a->lo > 6)
        return;
    fputs("<g class=\"rb-grid-minor\" stroke=\"#f0f0f0\">", f);
    for (int d = (int)a->lo; d < (int)a->hi; d++) {
        for (int m = 2; m <= 9; m++) {
            cross_line(f, vertical, rb_svg_axis_px(a, d + log10(m)), from, to);
        }
    }
    fputs("</g>\n", f);
}

/* Major gridlines and tick marks for a numeric axis; the tick labels
 * carry class rb-tick-x / rb-tick-y.  vertical: the lines run up and
 * down (an x axis).  from/to: the plot's extent across the lines; base:
 * where the ticks hang (below the plot, or left of it). */
void rb_svg_numeric_axis(FILE *f, const axis *a, int vertical, double from, double to, double base)
{
    char buf[48];
    minor_log_grid(f, a, vertical, from, to);
    fputs("<g class=\"rb-grid\" stroke=\"#dddddd\">", f);
    for (int i = 0; i < a->n; i++)
        cross_line(f, vertical, rb_svg_axis_px(a, a->tick[i]), from, to);
    fputs("</g>\n<g class=\"rb-ticks\" stroke=\"#333333\">", f);
    for (int i = 0; i < a->n; i++) /* the tick marks: short lines off the plot's edge */
        cross_line(f, vertical, rb_svg_axis_px(a, a->tick[i]), base,
                   vertical ? base + 5 : base - 5);
    fputs("</g>\n", f);
    for (int i = 0; i < a->n; i++) {
        double p = rb_svg_axis_px(a, a->tick[i]);
        if (vertical) {
            fputs("<text class=\"rb-tick-x\" text-anchor=\"middle\"", f);
            rb_svg_put_px(f, "x", p);
            rb_svg_put_px(f, "y", base + 17);
        } else {
            fputs("<text class=\"rb-tick-y\" text-anchor=\"end\"", f);
            rb_svg_put_px(f, "x", base - 8);
            rb_svg_put_px(f, "y", p + 4);
        }
        fprintf(f, ">%s</text>", rb_svg_tick_label(buf, sizeof buf, a, a->tick[i]));
    }
    fputc('\n', f);
}

/* Widest tick label, in characters. */
int rb_svg_tick_chars(const axis *a)
{
    char buf[48];
    int w = 0;
    for (int i = 0; i < a->n; i++) {
        int n = (int)strlen(rb_svg_tick_label(buf, sizeof buf, a, a->tick[i]));
        if (n > w)
            w = n;
    }
    return w;
}
