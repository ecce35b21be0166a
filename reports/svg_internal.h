/* svg_internal.h — what the SVG writers share (svg.c: text, numbers,
 * x-y charts and bars; svg_axis.c: scales, ticks and grids).  Not part of
 * reports/svg.h. */
#ifndef RB_SVG_INTERNAL_H
#define RB_SVG_INTERNAL_H

#include <stdio.h>

#include "svg.h"

/* On a linear axis the tick arithmetic (max/2 - min/2, step multiples)
 * stays finite only below this; no benchmark figure comes near it, so a
 * larger value is treated like one that is not finite. */
#define LIN_MAX 1e300

#define MAX_TICKS 32

typedef struct axis {
    int log;
    double lo, hi; /* in axis units: the value, or log10 of it */
    double p0, p1; /* pixels of lo and hi */
    int n;
    double tick[MAX_TICKS]; /* axis units */
    int dstep;              /* log: decades between ticks */
} axis;

typedef struct range {
    double min, max;
    long n;
} range;

int rb_svg_usable(double v, int log);
void rb_svg_range_add(range *r, double v);
void rb_svg_axis_log(axis *a, const range *r, int below_min);
void rb_svg_axis_linear(axis *a, const range *r, int target);
void rb_svg_axis_categories(axis *a, int n);
double rb_svg_axis_px(const axis *a, double axis_units);
double rb_svg_value_px(const axis *a, double v);
const char *rb_svg_tick_label(char *buf, size_t size, const axis *a, double t);
void rb_svg_numeric_axis(FILE *f, const axis *a, int vertical, double from, double to, double base);
int rb_svg_tick_chars(const axis *a);
const char *rb_svg_fmt_num(char *buf, size_t size, double v, int digits);
void rb_svg_put_px(FILE *f, const char *name, double v);
void rb_svg_put_num(FILE *f, double v);

#endif
