/* cpu_rec_avx2.c — the recurrent step for AVX2 with FMA (built with -mavx2
 * -mfma where the compiler targets x86-64): 8-float vectors, 3 rows x 4
 * vectors of accumulators in 12 of the 16 ymm registers. */
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define RB_VW 8
#define RB_MR 3
#define RB_REC_ISA "avx2"
#define RB_REC_NAME rb_cpu_rec_avx2
#include "cpu_rec_kernel.h"
#else
typedef int rb_cpu_rec_avx2_unused; /* ISO C wants something in every file */
#endif
