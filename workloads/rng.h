/* rng.h — a small, fast, portable generator (splitmix64) so that a seed
 * produces the same weights and inputs on every machine and libc. */
#ifndef RB_RNG_H
#define RB_RNG_H

#include <stdint.h>

typedef struct rb_rng {
    uint64_t s;
} rb_rng;

static inline uint64_t rb_rng_next(rb_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi): 24 random bits, exactly representable in float. */
static inline float rb_rng_uniform(rb_rng *r, float lo, float hi)
{
    float u = (float)(rb_rng_next(r) >> 40) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
}

#endif
