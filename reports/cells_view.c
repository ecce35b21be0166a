/* cells_view.c — the cells side by side (cells_view.h). */
#include "cells_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"

const rb_cell rb_cells_order[RB_CELL_COUNT] = {RB_CELL_LSTM, RB_CELL_GRU, RB_CELL_RNN};

/* Same shape, cell aside: a plain stack of seeded weights only (an
 * imported model is its own cell and weights, not a shape to compare). */
static int same_shape(const rb_workload *a, const rb_workload *b)
{
    return a->mode == b->mode && a->seq == b->seq && a->batch == b->batch && a->input == b->input &&
           a->hidden == b->hidden && a->layers == b->layers && a->input_proj == b->input_proj &&
           rb_workload_dirs(a) == rb_workload_dirs(b);
}

static int plain(const rb_rep_result *x)
{
    return rb_rep_ok(x) && !x->w.model[0] && !x->w.features && !x->w.serve.scenario &&
           isfinite(x->median_ms);
}

int rb_cells_view_of(const rb_report *r, rb_cells_view *v, rb_err *e)
{
    memset(v, 0, sizeof *v);
    if (!r->n_results)
        return 0;
    v->rows = calloc(r->n_results, sizeof *v->rows);
    if (!v->rows)
        return rb_errf(e, RB_ENOMEM, "report: out of memory comparing cells");
    for (size_t i = 0; i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        if (!plain(x))
            continue;
        int k = 0;
        while (k < v->n && !(v->rows[k].device == x->device && same_shape(&v->rows[k].w, &x->w)))
            k++;
        if (k == v->n) {
            rb_cells_row *row = &v->rows[v->n++];
            row->device = x->device;
            row->w = x->w;
            for (int c = 0; c < RB_CELL_COUNT; c++)
                row->ms[c] = NAN;
        }
        v->rows[k].ms[x->w.cell] = x->median_ms;
    }
    /* keep the shapes that ran as two cells or more */
    int kept = 0;
    for (int k = 0; k < v->n; k++) {
        int cells = 0;
        for (int c = 0; c < RB_CELL_COUNT; c++)
            cells += isfinite(v->rows[k].ms[c]);
        if (cells < 2)
            continue;
        v->rows[kept++] = v->rows[k];
        for (int c = 0; c < RB_CELL_COUNT; c++)
            v->has[c] |= isfinite(v->rows[k].ms[c]);
    }
    v->n = kept;
    return 0;
}

void rb_cells_view_free(rb_cells_view *v)
{
    free(v->rows);
    memset(v, 0, sizeof *v);
}

const char *rb_cells_shape(const rb_workload *w, char *buf, size_t n)
{
    snprintf(buf, n, "t%d b%d i%d h%d l%d%s%s%s", w->seq, w->batch, w->input, w->hidden, w->layers,
             w->input_proj ? "" : " noproj", rb_workload_dirs(w) == 2 ? " bi" : "",
             w->mode == RB_MODE_TRAIN ? ", train" : "");
    return buf;
}
