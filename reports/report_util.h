/* report_util.h — what the writers share (internal to reports/). */
#ifndef RB_REPORT_UTIL_H
#define RB_REPORT_UTIL_H

#include <stdio.h>

#include "report.h"

/* Are two accuracy rows points of one curve (phase, task, model, target, split)? */
int rb_rep_same_curve(const rb_rep_accuracy *a, const rb_rep_accuracy *b);
/* Did the result run ok (status "ok")? */
int rb_rep_ok(const rb_rep_result *r);
/* Energy per sequence (J) and average power (W) of a result; NaN when unknown. */
double rb_rep_energy_per_seq(const rb_rep_result *r);
double rb_rep_power_w(const rb_rep_result *r);
/* The result's rank entry in the recommendation (NULL when none). */
const rb_rank_entry *rb_rep_entry_of(const rb_recommendation *rec, size_t result);
/* Sorted, distinct metric names over every result: *names (caller frees the
 * array, not the strings, which point into the report).  Count or -1. */
int rb_rep_metric_names(const rb_report *r, const char ***names);
/* The value of metric `name` of a result; NaN when it has none. */
double rb_rep_metric_value(const rb_rep_result *r, const char *name);
/* An asic result's schedule (MODEL.md "Schedules"): "hoisted schedule",
 * "fused schedule, picked by auto: 4.32e+06 cycles, hoisted 2.25e+06";
 * "" for a result that has none. */
void rb_rep_schedule_note(const rb_rep_result *r, char *buf, size_t n);
/* v with 10 significant digits in printf's %g style ("0.25", "1.5e-07",
 * "1234567"), into buf (32 bytes); returns buf, or "" when v is not finite.
 * A report prints millions of numbers: this is printf's %.10g without its
 * cost for the usual magnitudes (whole numbers below 1e15, and |v| from
 * 1e-9 to 1e17), falling back to snprintf outside them.  The digits are
 * those of %.10g except, rarely, the last one when v lies within 1e-16
 * (relative) of a rounding tie. */
const char *rb_rep_fmt(double v, char *buf);
/* An HTML table cell of v in printf format fmt, a dash when v is not finite. */
void rb_html_td_num(FILE *f, double v, const char *fmt);
/* Write rb_rep_fmt(v) (nothing when it is not finite: CSV, Markdown). */
void rb_rep_num(FILE *f, double v);
/* The figure columns of the human tables (Markdown, HTML): a figure of the
 * table (figure_table.h) with a label heads one, the ones that join it are
 * printed in its cells.  rb_rep_fig_column: does figure i head a column? */
int rb_rep_fig_column(int i);
/* Its header: "median (ms)"; the label alone when it is the unit ("seq/s"). */
void rb_rep_fig_header(int i, char *buf, size_t n);
/* Its cell for x: "1.234", "1.1 – 1.4" with a joined figure, dash when not
 * known ("&#8211;" in HTML, "–" in Markdown). */
/* A measured result's noise for a table cell: "3.2%", "41% noisy" beyond
 * RB_NOISY_REL, dash where it has none (simulated, modeled, served). */
void rb_rep_noise_cell(const rb_rep_result *x, const char *dash, char *buf, size_t n);
/* strcmp, but digit runs compare as numbers: lstm_infer_t8_b1_i128 before
 * lstm_infer_t8_b1_i1024, as a person reads workload keys. */
int rb_natural_cmp(const char *a, const char *b);
void rb_rep_fig_cell(const rb_rep_result *x, int i, const char *dash, char *buf, size_t n);
/* "measured", "simulated", "modeled" for latency; "rapl" ... for energy. */
const char *rb_rep_energy_kind(const rb_rep_result *r); /* "measured" | "modeled" | "none" */

#endif
