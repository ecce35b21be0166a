/* cells_view.h — the recurrent cells side by side: per target, every shape
 * (mode, T, B, I, H, layers) that ran ok as more than one cell, with each
 * cell's median latency and its ratio to the LSTM's.  What a person asks
 * when choosing a cell as well as a device: what does a GRU (or a plain
 * RNN) save here, on this hardware? */
#ifndef RB_CELLS_VIEW_H
#define RB_CELLS_VIEW_H

#include "report.h"

typedef struct rb_cells_row {
    int device;               /* index into rb_report.devices */
    rb_workload w;            /* the shape (its cell: the first one found) */
    double ms[RB_CELL_COUNT]; /* median latency per rb_cell; NaN: not run (ok) */
} rb_cells_row;

typedef struct rb_cells_view {
    int n;
    rb_cells_row *rows;     /* by device, then shape */
    int has[RB_CELL_COUNT]; /* some row has this cell */
} rb_cells_view;

/* The cells in the order the tables show them: LSTM, GRU, RNN. */
extern const rb_cell rb_cells_order[RB_CELL_COUNT];

/* The view of r; n = 0 when no shape ran as two cells.  0, or RB_ENOMEM. */
int rb_cells_view_of(const rb_report *r, rb_cells_view *v, rb_err *e);
void rb_cells_view_free(rb_cells_view *v);
/* "t25 b1 i256 h256 l1" (", train" for a training step) into buf. */
const char *rb_cells_shape(const rb_workload *w, char *buf, size_t n);

#endif
