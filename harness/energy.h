/* energy.h — energy providers: measurement where the host allows it.
 *
 * RAPL (Intel/AMD package energy, /sys/class/powercap/intel-rapl:N) is read
 * around the timed loop of the cpu target.  It needs read access to
 * energy_uj (root on kernels since 5.10) and a host that exposes it (most
 * VMs and containers do not).  When it cannot be read, the harness falls
 * back to the target's documented power figure (energy = P · t, source
 * "model"); which one was used is stored with every figure. */
#ifndef RB_ENERGY_H
#define RB_ENERGY_H

#include <stddef.h>

#define RB_RAPL_MAX_ZONES 8

typedef struct rb_rapl {
    int n;                                /* package zones found and readable */
    char path[RB_RAPL_MAX_ZONES][320];    /* .../energy_uj */
    double max_uj[RB_RAPL_MAX_ZONES];     /* counter range, for wrap-around */
    double start_uj[RB_RAPL_MAX_ZONES];
} rb_rapl;

/* Finds readable package zones under root (normally "/sys/class/powercap";
 * tests pass a fake tree).  Returns the number found (0: no RAPL here) and, if
 * 0, a reason in why. */
int rb_rapl_open(rb_rapl *r, const char *root, char *why, size_t why_len);
/* Start an interval; returns 0, or -1 if a counter could not be read. */
int rb_rapl_start(rb_rapl *r);
/* Joules since rb_rapl_start, summed over packages; < 0 on a read error. */
double rb_rapl_stop(rb_rapl *r);

#endif
