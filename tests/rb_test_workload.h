/* rb_test_workload.h — an inference workload point for tests, key filled in. */
#ifndef RB_TEST_WORKLOAD_H
#define RB_TEST_WORKLOAD_H

#include "../workloads/workload.h"

static inline rb_workload rb_test_workload(rb_cell cell, int T, int B, int I, int H, int L,
                                           int input_proj)
{
    return rb_workload_of(cell, RB_MODE_INFER, T, B, I, H, L, input_proj);
}

#endif
