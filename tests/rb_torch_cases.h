/* rb_torch_cases.h — the cases in tests/fixtures/torch/, as
 * scripts/make-torch-fixtures.py writes them (its CASES list). */
#ifndef RB_TORCH_CASES_H
#define RB_TORCH_CASES_H

#include "../workloads/workload.h"

typedef struct rb_torch_case {
    const char *name;
    rb_cell cell;
    int T, B, I, H, L;
    int state; /* starts from nonzero h0 (and c0): h0.npy, c0.npy */
} rb_torch_case;

static const rb_torch_case rb_torch_cases[] = {
    {"lstm_t1_b1", RB_CELL_LSTM, 1, 1, 3, 2, 1, 0},
    {"lstm_t5_b3_i4_h6", RB_CELL_LSTM, 5, 3, 4, 6, 1, 0},
    {"lstm_t4_b2_i7_h5_l3", RB_CELL_LSTM, 4, 2, 7, 5, 3, 1},
    {"rnn_t6_b2_i3_h4_l2", RB_CELL_RNN, 6, 2, 3, 4, 2, 1},
    {"gru_t5_b3_i4_h6", RB_CELL_GRU, 5, 3, 4, 6, 1, 0},
    {"gru_t4_b2_i7_h5_l3", RB_CELL_GRU, 4, 2, 7, 5, 3, 1},
};
#define RB_N_TORCH_CASES (sizeof rb_torch_cases / sizeof rb_torch_cases[0])

#endif
