/* svg.h — charts as inline SVG for the HTML report, drawn by rnnbench.
 *
 * No scripts, no external fonts or stylesheets: each chart is one <svg>
 * element a browser renders from the file alone, with a title, axis labels
 * (with units), ticks, a legend, and a <title> on every data point so that
 * hovering shows its value.  All text is XML-escaped here; callers pass
 * plain strings.  Every chart is deterministic for the same input (stable
 * output makes the report diffable and testable). */
#ifndef RB_SVG_H
#define RB_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Write s with &, <, >, " and ' escaped (and control characters other than
 * tab and newline dropped: they are not allowed in XML 1.0).  NULL writes
 * nothing.  Used by the HTML writer too. */
void rb_xml_escape(FILE *f, const char *s);

enum { RB_SVG_LINE = 1, RB_SVG_POINTS = 2 };

/* A chart's natural width (px): the report's column (1100 px less its
 * padding), so a chart the page stretches to the column's width keeps its
 * text at its size. */
#define RB_SVG_WIDTH 1000

typedef struct rb_chart_series {
    const char *name; /* legend entry */
    int n;
    const double *x, *y;     /* n points; a point that is not finite, or not > 0
                                on a log axis, is skipped (and breaks a line) */
    const char *const *tips; /* optional: n hover texts (<title>), else "name: x, y" */
    int style;               /* RB_SVG_LINE, RB_SVG_POINTS or both (0 = both) */
    int color;               /* palette index (0..7, wraps); -1: the series' own index */
    int dashed;              /* 0 solid; 1..15 a line style each (dash patterns, then a
                                lighter shade), so series of one colour stay apart;
                                points-only series: hollow points */
} rb_chart_series;

typedef struct rb_chart {
    const char *id; /* the <svg> element's id: "chart-latency-batch" */
    const char *title;
    const char *x_label, *y_label; /* with units: "batch", "median latency (ms)" */
    int x_log, y_log;              /* base-10 log axes with decade ticks */
    int width, height;             /* px; 0: RB_SVG_WIDTH x 400 */
    /* Categorical x axis: when n_categories > 0, x values are indices
     * 0..n-1 and these labels are the ticks (drawn rotated when long). */
    const char *const *categories;
    int n_categories;
    int n_series;
    const rb_chart_series *series;
    /* Optional highlighted point (e.g. the recommendation): a ring and a label. */
    int has_mark;
    double mark_x, mark_y;
    const char *mark_label;
    /* Shown in place of the plot when no series has a drawable point. */
    const char *empty_note;
} rb_chart;

/* An x-y chart (lines and/or points).  Axis ranges come from the data (a
 * log axis spans whole decades around it; a linear one starts at 0 when
 * all values are positive).  0, or -1 if writing failed. */
int rb_svg_xy(FILE *f, const rb_chart *c);

/* The chart in a <figure> for an HTML page, or, when no series has a
 * drawable point, a sentence in its place (<p class="rb-no-chart"> with the
 * chart's id, its title and empty_note): an empty frame only makes a
 * reader look for what is not there. */
int rb_svg_figure(FILE *f, const rb_chart *c);

typedef struct rb_bar {
    const char *label; /* the category, left of the bar */
    double value;      /* not finite or (log) <= 0: drawn as "n/a" */
    int color;         /* palette index; -1: by position */
    const char *tip;   /* optional hover text */
} rb_bar;

typedef struct rb_bar_chart {
    const char *id, *title, *value_label; /* value_label with unit */
    int log;                              /* log value axis */
    int width;                            /* px; 0: RB_SVG_WIDTH; height follows the bars */
    int n;
    const rb_bar *bars;
} rb_bar_chart;

/* Horizontal bars, one per entry, with the value printed at the end. */
int rb_svg_bars(FILE *f, const rb_bar_chart *c);

/* The palette, for legends drawn outside a chart (CSS color strings). */
const char *rb_svg_color(int i);

#endif
