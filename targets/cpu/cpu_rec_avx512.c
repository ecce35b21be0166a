/* cpu_rec_avx512.c — the recurrent step for AVX-512F (built with -mavx512f
 * -mfma where the compiler targets x86-64): 16-float vectors, 6 rows x 4
 * vectors of accumulators in 24 of the 32 zmm registers. */
#if defined(__x86_64__) && defined(__AVX512F__)
#define RB_VW 16
#define RB_MR 6
#define RB_REC_ISA "avx512"
#define RB_REC_NAME rb_cpu_rec_avx512
#include "cpu_rec_kernel.h"
#else
typedef int rb_cpu_rec_avx512_unused; /* ISO C wants something in every file */
#endif
