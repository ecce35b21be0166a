/* cpu_probe.c — describe the host CPU.
 *
 * Everything here is read from /proc and /sys, so it works unprivileged and
 * in containers; what cannot be read is reported as unknown (0), never
 * guessed silently. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"

/* Value of the first "key : value" line of /proc/cpuinfo, or "" if absent. */
static void cpuinfo_field(const char *key, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[4096];
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0 ||
            (line[klen] != ' ' && line[klen] != '\t' && line[klen] != ':'))
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        snprintf(out, n, "%s", v);
        out[strcspn(out, "\n")] = '\0';
        break;
    }
    fclose(f);
}

static int has_flag(const char *flags, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* fp32 FLOP per cycle per core, from the widest FMA the flags advertise:
 * two FMA ports x lanes x 2 (multiply + add).  An upper bound: parts with
 * one AVX-512 FMA port reach half of it. */
static int flops_per_cycle(const char *flags, const char **isa)
{
    if (has_flag(flags, "avx512f")) {
        *isa = "avx512f";
        return 64;
    }
    if (has_flag(flags, "avx2") && has_flag(flags, "fma")) {
        *isa = "avx2+fma";
        return 32;
    }
    if (has_flag(flags, "avx")) {
        *isa = "avx";
        return 16;
    }
    *isa = "sse";
    return 8;
}

/* The maximum clock where cpufreq exposes it (the turbo the GEMMs may run
 * at), else the current "cpu MHz" of /proc/cpuinfo, else 0 (unknown). */
static double cpu_mhz(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "r");
    if (f) {
        long khz = 0;
        int ok = fscanf(f, "%ld", &khz) == 1;
        fclose(f);
        if (ok && khz > 0)
            return khz / 1000.0;
    }
    char buf[64];
    cpuinfo_field("cpu MHz", buf, sizeof buf);
    return buf[0] ? atof(buf) : 0;
}

int rb_cpu_probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    char model[160], flags[4096];
    cpuinfo_field("model name", model, sizeof model);
    if (!model[0])
        snprintf(model, sizeof model, "unknown CPU");
    cpuinfo_field("flags", flags, sizeof flags);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    int threads = rb_cpu_threads(t);

    const char *isa;
    int fpc = flops_per_cycle(flags, &isa);
    /* which compilation of the recurrent kernel runs (cpu_rec.h) */
    const char *want_isa = rb_target_opt(t, "isa");
    const rb_rec_kernel *k = rb_cpu_rec_pick(want_isa);
    if (!k)
        return rb_errf(e, RB_EUNAVAIL, "cpu isa=%s: this CPU (or this build) cannot run it",
                       want_isa);
    double mhz = cpu_mhz();

    snprintf(out->name, sizeof out->name, "%.120s (%d thread%s)", model, threads,
             threads == 1 ? "" : "s");
    snprintf(out->type, sizeof out->type, "cpu");
    out->energy_counters = RB_ENERGY_RAPL; /* it runs on the host's own package */
    snprintf(out->numerics, sizeof out->numerics, "fp32");
    /* An estimate of fp32 FMA peak (threads x clock x FLOP/cycle): the
     * denominator for "fraction of peak", not a promise. */
    out->peak_flops = threads * mhz * 1e6 * fpc;
    out->mem_bw = 0; /* unknown: measuring it is a benchmark of its own */
    /* A rough figure for the energy model when RAPL cannot be read: typical
     * per-core package power of server parts under a dense load.  Replace it
     * with a measurement wherever one is available. */
    out->power_w = 8.0 * threads;
    snprintf(out->power_source, sizeof out->power_source, "model: 8 W per active thread (no RAPL)");
    snprintf(out->power_boundary, sizeof out->power_boundary, RB_BOUNDARY_PACKAGE);

    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "cpu_model", model);
    cJSON_AddNumberToObject(x, "logical_cpus", (double)ncpu);
    cJSON_AddNumberToObject(x, "threads", threads);
    cJSON_AddNumberToObject(x, "mhz", mhz);
    cJSON_AddStringToObject(x, "isa", isa);
    cJSON_AddNumberToObject(x, "flops_per_cycle", fpc);
    if (!rb_cpu_onednn(t))
        cJSON_AddStringToObject(x, "kernels", k->isa);
    char *json = cJSON_PrintUnformatted(x);
    cJSON_Delete(x);
    if (!json || strlen(json) >= sizeof out->extra_json) {
        free(json);
        return rb_errf(e, RB_ERUNTIME, "cpu: device description does not fit");
    }
    memcpy(out->extra_json, json, strlen(json) + 1);
    free(json);
    return 0;
}
