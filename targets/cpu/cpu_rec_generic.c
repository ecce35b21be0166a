/* cpu_rec_generic.c — the recurrent step for any CPU: 8-float vectors that
 * the compiler maps onto what the baseline has (two SSE registers each on
 * x86-64), 2 rows per micro-tile so the accumulators fit 16 registers. */
#define RB_VW 8
#define RB_MR 2
#define RB_REC_ISA "generic"
#define RB_REC_NAME rb_cpu_rec_generic
#include "cpu_rec_kernel.h"
