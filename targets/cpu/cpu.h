/* cpu.h — what the CPU adapter's files share; not part of the target API. */
#ifndef RB_TARGET_CPU_H
#define RB_TARGET_CPU_H

#include "../target.h"

/* Worker threads this target uses: t->threads, or every online CPU if 0. */
int rb_cpu_threads(const rb_target *t);

int rb_cpu_probe(rb_target *t, rb_device_info *out, rb_err *e);
int rb_cpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_cpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e);
void rb_cpu_unload(rb_target *t);

/* The fused elementwise pass of one step over B rows (cpu_cell.c):
 * z = pre + rec + bias, then the LSTM gates i,f,g,o (PyTorch's order) and
 * c' = f*c + i*g, h' = o*tanh(c'); or h' = tanh(z) for the RNN.  pre and rec
 * rows are G*H floats apart, c and h rows H apart. */
void rb_cpu_lstm_cell(int B, int H, const float *pre, const float *rec, const float *bias, float *c,
                      float *h);
void rb_cpu_rnn_cell(int B, int H, const float *pre, const float *rec, const float *bias, float *h);

#endif
