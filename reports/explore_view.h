/* explore_view.h — the candidates of a `rnnbench explore` run as the
 * report shows them: the figures of each stored candidate (its device's
 * "explore" object in extra_json, its results) and the choice. */
#ifndef RB_EXPLORE_VIEW_H
#define RB_EXPLORE_VIEW_H

#include "report.h"

typedef struct rb_xview_row {
    int device;     /* index into rb_report.devices */
    double lat_ms;  /* the figure the bound applies to: worst p99 under load, else worst median */
    double power_w; /* modeled */
    double util;    /* largest share of the part's resources */
    double area_mm2; /* an asic candidate's */
    double accuracy, accuracy_fp64; /* a trained model's in its format; NaN: not known */
    char util_of[16], cycles[16], resources[16]; /* estimated | confirmed | DISAGREES */
    int front, chosen, near_miss, meets;
    char summary[512];
    char note[256];
} rb_xview_row;

typedef struct rb_xview {
    int n;
    rb_xview_row *rows; /* by latency */
    double slo_ms, qps; /* NaN: none */
    char part[16], objective[16];
    int chosen, near_miss; /* row index, or -1 */
    int has_accuracy;      /* some row has an accuracy */
} rb_xview;

/* The explore view of r: n = 0 when no device is an explored candidate.
 * 0, or RB_ENOMEM. */
int rb_xview_of(const rb_report *r, rb_xview *v, rb_err *e);
void rb_xview_free(rb_xview *v);

#endif
