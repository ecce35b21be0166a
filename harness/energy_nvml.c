/* energy_nvml.c — NVIDIA board energy through NVML, loaded at run time.
 *
 * libnvidia-ml ships with the driver, not with a toolkit, so it is opened
 * with dlopen and never needed to build: a host without an NVIDIA driver
 * simply has no NVML meter.  The few types and signatures used are declared
 * here from NVML's documented ABI (nvmlReturn_t is a C enum, nvmlDevice_t an
 * opaque pointer).  Only versioned entry points are used (_v2) because the
 * unversioned ones are kept for old binaries and may behave differently.
 *
 * nvmlDeviceGetTotalEnergyConsumption (millijoules since the driver loaded,
 * Volta and newer) is preferred: the board integrates it itself.  Where it is
 * not supported, a thread samples nvmlDeviceGetPowerUsage (milliwatts) every
 * 10 ms and integrates with the trapezoid rule.  That thread wakes 100 times
 * a second during the timed loop, a small cost paid only on pre-Volta
 * boards; note that some boards report a power averaged over up to a second,
 * so sampled figures smooth out short bursts. */
#include "energy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvml_ret;                 /* nvmlReturn_t */
typedef struct nvml_device *nvml_dev; /* nvmlDevice_t */

enum { NVML_SUCCESS = 0, NVML_ERROR_NOT_SUPPORTED = 3 };
#define NVML_NAME_LEN 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define SAMPLE_PERIOD_MS 10

typedef struct nvml_api {
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    const char *(*error_string)(nvml_ret); /* optional */
    nvml_ret (*by_bus_id)(const char *, nvml_dev *);
    nvml_ret (*count)(unsigned *);
    nvml_ret (*by_index)(unsigned, nvml_dev *);
    nvml_ret (*name)(nvml_dev, char *, unsigned);
    nvml_ret (*energy_mj)(nvml_dev, unsigned long long *);
    nvml_ret (*power_mw)(nvml_dev, unsigned *);
} nvml_api;

typedef struct nvml_meter {
    void *lib;
    int initialised;
    nvml_api f;
    nvml_dev dev;
    int sampled; /* 0: energy counter; 1: power sampling */
    unsigned long long start_mj;
    /* power sampling: written by the sampler thread, read after it is joined */
    pthread_t thread;
    int running;
    atomic_int stop;
    double joules, last_w, last_t;
    int samples;
    nvml_ret err;
} nvml_meter;

/* By value, so two messages can appear in one snprintf. */
typedef struct nvml_msg {
    char s[96];
} nvml_msg;

static nvml_msg errstr(const nvml_meter *s, nvml_ret r)
{
    nvml_msg m;
    const char *text = s->f.error_string ? s->f.error_string(r) : NULL;
    if (text)
        snprintf(m.s, sizeof m.s, "%s", text);
    else
        snprintf(m.s, sizeof m.s, "NVML error %d", r);
    return m;
}

static void release(nvml_meter *s)
{
    if (s->initialised)
        s->f.shutdown();
    if (s->lib)
        dlclose(s->lib);
    free(s);
}

/* Casting dlsym's void * to a function pointer is what POSIX requires to work. */
#define RESOLVE(field, symbol)                                                                     \
    do {                                                                                           \
        s->f.field = (__typeof__(s->f.field))dlsym(s->lib, symbol);                                \
        if (!s->f.field && !missing)                                                               \
            missing = symbol;                                                                      \
    } while (0)

static int load(nvml_meter *s, const char *lib, char *why, size_t n)
{
    s->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!s->lib) {
        snprintf(why, n, "NVML not available: %s", dlerror());
        return -1;
    }
    const char *missing = NULL;
    RESOLVE(init, "nvmlInit_v2");
    RESOLVE(shutdown, "nvmlShutdown");
    RESOLVE(by_bus_id, "nvmlDeviceGetHandleByPciBusId_v2");
    RESOLVE(count, "nvmlDeviceGetCount_v2");
    RESOLVE(by_index, "nvmlDeviceGetHandleByIndex_v2");
    RESOLVE(name, "nvmlDeviceGetName");
    RESOLVE(energy_mj, "nvmlDeviceGetTotalEnergyConsumption");
    RESOLVE(power_mw, "nvmlDeviceGetPowerUsage");
    if (missing) {
        snprintf(why, n, "NVML not available: %s has no %s (driver too old?)", lib, missing);
        return -1;
    }
    s->f.error_string = (__typeof__(s->f.error_string))dlsym(s->lib, "nvmlErrorString");
    nvml_ret r = s->f.init();
    if (r != NVML_SUCCESS) {
        snprintf(why, n, "NVML not available: nvmlInit failed: %s", errstr(s, r).s);
        return -1;
    }
    s->initialised = 1;
    return 0;
}

/* Finds the board d runs on: by PCI bus id when the probe knew it, else
 * (or when NVML has no board there: drivers encode OpenCL's PCI slot in
 * more than one way) by name.  Two boards of the same model cannot be told
 * apart by name, so an ambiguous name is refused rather than measuring the
 * wrong board.  where: how it was found, for the meter's detail. */
static int find_device(nvml_meter *s, const rb_device_info *d, char *found, char *where,
                       size_t wn, char *why, size_t n)
{
    char bus_why[160] = "";
    if (d->bus_id[0]) {
        nvml_ret r = s->f.by_bus_id(d->bus_id, &s->dev);
        if (r == NVML_SUCCESS) {
            if (s->f.name(s->dev, found, NVML_NAME_LEN) != NVML_SUCCESS)
                snprintf(found, NVML_NAME_LEN, "GPU");
            snprintf(where, wn, "%s", d->bus_id);
            return 0;
        }
        snprintf(bus_why, sizeof bus_why, "NVML has no device at PCI %s: %s", d->bus_id,
                 errstr(s, r).s);
    }
    char name_why[256] = "";
    int matches = 0;
    unsigned count = 0;
    nvml_ret r = d->name[0] ? s->f.count(&count) : NVML_SUCCESS;
    if (!d->name[0])
        snprintf(name_why, sizeof name_why, "no PCI bus id or name to find the device in NVML");
    else if (r != NVML_SUCCESS)
        snprintf(name_why, sizeof name_why, "NVML cannot count devices: %s", errstr(s, r).s);
    for (unsigned i = 0; i < count; i++) {
        nvml_dev dev;
        char name[NVML_NAME_LEN] = "";
        if (s->f.by_index(i, &dev) != NVML_SUCCESS ||
            s->f.name(dev, name, sizeof name) != NVML_SUCCESS || !name[0])
            continue;
        /* Either way round: OpenCL and NVML names differ in prefixes and suffixes. */
        if (strcasestr(d->name, name) || strcasestr(name, d->name)) {
            if (!matches++) {
                s->dev = dev;
                snprintf(found, NVML_NAME_LEN, "%s", name);
            }
        }
    }
    if (matches == 1) {
        snprintf(where, wn, "matched by name%s%s", bus_why[0] ? "; " : "", bus_why);
        return 0;
    }
    if (matches)
        snprintf(name_why, sizeof name_why,
                 "%d NVML devices match '%s' and no PCI bus id tells them apart", matches,
                 d->name);
    else if (!name_why[0])
        snprintf(name_why, sizeof name_why, "none of the %u NVML devices matches '%s'", count,
                 d->name);
    snprintf(why, n, "%s%s%s", bus_why, bus_why[0] ? "; by name: " : "", name_why);
    return -1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int sample(nvml_meter *s)
{
    unsigned mw;
    nvml_ret r = s->f.power_mw(s->dev, &mw);
    double t = mono_s();
    if (r != NVML_SUCCESS) {
        s->err = r;
        return -1;
    }
    double w = mw * 1e-3;
    if (s->samples)
        s->joules += 0.5 * (w + s->last_w) * (t - s->last_t);
    s->last_w = w;
    s->last_t = t;
    s->samples++;
    return 0;
}

static void *sampler(void *arg)
{
    nvml_meter *s = arg;
    const long period_ns = SAMPLE_PERIOD_MS * 1000000L;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&s->stop)) {
        /* Absolute deadlines keep the period from drifting by the read time. */
        next.tv_nsec += period_ns;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        if (atomic_load(&s->stop) || sample(s))
            break;
        /* A read slower than the period: restart from now instead of catching up. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - next.tv_sec) * 1000000000L + (now.tv_nsec - next.tv_nsec) > period_ns)
            next = now;
    }
    return NULL;
}

static int nvml_start(rb_energy_meter *m)
{
    nvml_meter *s = m->state;
    if (!s->sampled)
        return s->f.energy_mj(s->dev, &s->start_mj) == NVML_SUCCESS ? 0 : -1;
    s->joules = 0;
    s->samples = 0;
    s->err = NVML_SUCCESS;
    atomic_store(&s->stop, 0);
    /* The first sample is taken here so the interval starts now, not at the
     * thread's first wake-up. */
    if (sample(s) || pthread_create(&s->thread, NULL, sampler, s))
        return -1;
    s->running = 1;
    return 0;
}

static double nvml_stop(rb_energy_meter *m)
{
    nvml_meter *s = m->state;
    if (!s->sampled) {
        unsigned long long mj;
        if (s->f.energy_mj(s->dev, &mj) != NVML_SUCCESS || mj < s->start_mj)
            return -1; /* a smaller count means the driver reloaded: no valid interval */
        return (mj - s->start_mj) * 1e-3;
    }
    if (!s->running)
        return -1;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->running = 0;
    /* ...and the last one here, so it ends now, not at the thread's last wake-up. */
    if (s->err != NVML_SUCCESS || sample(s))
        return -1;
    m->n_samples = s->samples;
    return s->joules;
}

static void nvml_close(rb_energy_meter *m)
{
    nvml_meter *s = m->state;
    if (s->running) {
        atomic_store(&s->stop, 1);
        pthread_join(s->thread, NULL);
    }
    release(s);
}

int rb_energy_meter_nvml(const rb_device_info *d, rb_energy_meter *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    const char *lib = getenv("RB_NVML_LIBRARY");
    if (!lib || !*lib)
        lib = "libnvidia-ml.so.1";
    nvml_meter *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, n, "NVML not used: out of memory");
        return 0;
    }
    char name[NVML_NAME_LEN] = "", where[256] = "";
    if (load(s, lib, why, n) || find_device(s, d, name, where, sizeof where, why, n)) {
        release(s);
        return 0;
    }
    unsigned long long mj;
    unsigned mw;
    nvml_ret re = s->f.energy_mj(s->dev, &mj), rp;
    if (re == NVML_SUCCESS) {
        snprintf(out->detail, sizeof out->detail, "nvml: total energy counter of %.48s (%.110s)",
                 name, where);
    } else if ((rp = s->f.power_mw(s->dev, &mw)) == NVML_SUCCESS) {
        s->sampled = 1;
        out->sample_period_ms = SAMPLE_PERIOD_MS;
        snprintf(out->detail, sizeof out->detail,
                 "nvml: power sampled every %d ms on %.60s (%.32s; no energy counter: %.40s)",
                 SAMPLE_PERIOD_MS, name, where, errstr(s, re).s);
    } else {
        snprintf(why, n, "NVML reads neither energy (%s) nor power (%s) of %s", errstr(s, re).s,
                 errstr(s, rp).s, name);
        release(s);
        return 0;
    }
    out->source = RB_ESRC_NVML;
    out->boundary = RB_BOUNDARY_BOARD;
    out->start = nvml_start;
    out->stop = nvml_stop;
    out->close = nvml_close;
    out->state = s;
    return 1;
}
