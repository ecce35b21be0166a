/* clock.h — the one clock used for every measured latency. */
#ifndef RB_CLOCK_H
#define RB_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: immune to wall-clock jumps (NTP) mid-run. */
static inline double rb_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
