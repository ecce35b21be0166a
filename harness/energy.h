/* energy.h — energy meters: measurement where the host allows it.
 *
 * A meter is read around the timed loop of one target (start right before
 * the first timed call, stop right after the last); the harness divides its
 * joules by the number of calls.  Two exist:
 *
 *  - RAPL (Intel/AMD package energy, /sys/class/powercap/intel-rapl:N) for
 *    cpu targets.  It needs read access to energy_uj (root on kernels since
 *    5.10) and a host that exposes it (most VMs and containers do not).
 *  - NVML (NVIDIA's management library, energy_nvml.c) for NVIDIA GPUs,
 *    loaded with dlopen so it is never a build dependency.  The board's total
 *    energy counter (Volta and newer) is preferred; older boards fall back to
 *    power samples integrated every 10 ms.
 *
 * Both count the whole package or board (idle parts and other processes
 * included), which is what the hardware really drew.  Where neither applies,
 * the harness falls back to the target's documented power figure (energy =
 * P · t, source "model"); which one was used is stored with every figure.
 *
 * Test hooks, read from the environment when a meter is made:
 *   RB_POWERCAP_ROOT  powercap tree to read instead of /sys/class/powercap
 *   RB_NVML_LIBRARY   library to dlopen instead of libnvidia-ml.so.1 */
#ifndef RB_ENERGY_H
#define RB_ENERGY_H

#include <stddef.h>

#include "../targets/target.h"

#define RB_RAPL_MAX_ZONES 8

typedef struct rb_rapl {
    int n;                             /* package zones found and readable */
    char path[RB_RAPL_MAX_ZONES][320]; /* .../energy_uj */
    double max_uj[RB_RAPL_MAX_ZONES];  /* counter range, for wrap-around */
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

typedef struct rb_energy_meter rb_energy_meter;

/* One way of measuring a device's energy.  A zeroed meter (source NULL) is
 * "no meter"; rb_energy_meter_close accepts it. */
struct rb_energy_meter {
    const char *source;      /* RB_ESRC_RAPL | RB_ESRC_NVML; NULL: no meter */
    const char *boundary;    /* what it counts: RB_BOUNDARY_PACKAGE (rapl), _BOARD (nvml) */
    char detail[192];        /* how it measures, for people: "nvml: total energy counter ..." */
    double sample_period_ms; /* > 0: energy integrated from power samples this far apart */
    int n_samples;           /* power samples behind the last interval (sampling meters) */
    int (*start)(rb_energy_meter *);   /* 0, or < 0 if the device could not be read */
    double (*stop)(rb_energy_meter *); /* joules since start; < 0 on a read error */
    void (*close)(rb_energy_meter *);
    void *state;
};

/* Each returns 1 with *out ready to start, or 0 with *out zeroed and the
 * reason in why (no meter is not an error: the harness then uses the model). */

/* RAPL under root; NULL root means $RB_POWERCAP_ROOT, else /sys/class/powercap. */
int rb_energy_meter_rapl(const char *root, rb_energy_meter *out, char *why, size_t n);
/* NVML, for the GPU d: found by d->bus_id when set, else by name. */
int rb_energy_meter_nvml(const rb_device_info *d, rb_energy_meter *out, char *why, size_t n);
/* The meter for a probed device, from the counters its target says it can
 * be read by (d->energy_counters): NVML, else RAPL, else none. */
int rb_energy_meter_for(const rb_device_info *d, rb_energy_meter *out, char *why, size_t n);
/* Release a meter (stopping it if still running) and zero it. */
void rb_energy_meter_close(rb_energy_meter *m);

#endif
