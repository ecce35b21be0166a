/* rb_test_workload.h — an inference workload point for tests, key filled in. */
#ifndef RB_TEST_WORKLOAD_H
#define RB_TEST_WORKLOAD_H

#include <string.h>

#include "../workloads/workload.h"

static inline rb_workload rb_test_workload(rb_cell cell, int T, int B, int I, int H, int L,
                                           int input_proj)
{
    rb_workload w;
    memset(&w, 0, sizeof w);
    w.cell = cell;
    w.mode = RB_MODE_INFER;
    w.seq = T;
    w.batch = B;
    w.input = I;
    w.hidden = H;
    w.layers = L;
    w.input_proj = input_proj;
    rb_workload_make_key(&w);
    return w;
}

#endif
