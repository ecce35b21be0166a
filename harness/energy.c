/* energy.c — RAPL, the meter interface around it, and the choice of meter
 * per device.  NVML lives in energy_nvml.c. */
#include "energy.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_double(const char *path, double *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%lf", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

int rb_rapl_open(rb_rapl *r, const char *root, char *why, size_t why_len)
{
    memset(r, 0, sizeof *r);
    DIR *d = opendir(root);
    if (!d) {
        snprintf(why, why_len, "no %s (RAPL not exposed: VM, container or non-x86 host)", root);
        return 0;
    }
    int seen = 0;
    struct dirent *de;
    while ((de = readdir(d)) && r->n < RB_RAPL_MAX_ZONES) {
        /* Top-level package zones only ("intel-rapl:0"); subzones ("intel-rapl:0:0",
         * core/uncore/dram) are contained in their package and would double count. */
        unsigned pkg;
        char tail;
        if (sscanf(de->d_name, "intel-rapl:%u%c", &pkg, &tail) != 1)
            continue;
        seen++;
        char p[320], m[320];
        double v, mx;
        snprintf(p, sizeof p, "%s/%s/energy_uj", root, de->d_name);
        snprintf(m, sizeof m, "%s/%s/max_energy_range_uj", root, de->d_name);
        if (read_double(p, &v) || read_double(m, &mx))
            continue;
        snprintf(r->path[r->n], sizeof r->path[r->n], "%s", p);
        r->max_uj[r->n] = mx;
        r->n++;
    }
    closedir(d);
    if (!r->n)
        snprintf(why, why_len,
                 seen ? "RAPL counters under %s are not readable (root needed since Linux 5.10)"
                      : "no RAPL package zones under %s",
                 root);
    return r->n;
}

int rb_rapl_start(rb_rapl *r)
{
    for (int i = 0; i < r->n; i++)
        if (read_double(r->path[i], &r->start_uj[i]))
            return -1;
    return 0;
}

double rb_rapl_stop(rb_rapl *r)
{
    double total = 0;
    for (int i = 0; i < r->n; i++) {
        double v;
        if (read_double(r->path[i], &v))
            return -1;
        double d = v - r->start_uj[i];
        if (d < 0) /* the counter wrapped once; intervals are far shorter than a wrap period */
            d += r->max_uj[i];
        total += d;
    }
    return total * 1e-6;
}

static int rapl_start(rb_energy_meter *m) { return rb_rapl_start(m->state); }

static double rapl_stop(rb_energy_meter *m) { return rb_rapl_stop(m->state); }

static void rapl_close(rb_energy_meter *m) { free(m->state); }

int rb_energy_meter_rapl(const char *root, rb_energy_meter *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    if (!root)
        root = getenv("RB_POWERCAP_ROOT");
    if (!root || !*root)
        root = "/sys/class/powercap";
    rb_rapl *r = malloc(sizeof *r);
    if (!r) {
        snprintf(why, n, "no RAPL: out of memory");
        return 0;
    }
    int zones = rb_rapl_open(r, root, why, n);
    if (!zones) {
        free(r);
        return 0;
    }
    out->source = RB_ESRC_RAPL;
    out->boundary = RB_BOUNDARY_PACKAGE;
    snprintf(out->detail, sizeof out->detail,
             "rapl: %d package zone%s under %s (whole socket, other processes included)", zones,
             zones == 1 ? "" : "s", root);
    out->start = rapl_start;
    out->stop = rapl_stop;
    out->close = rapl_close;
    out->state = r;
    return 1;
}

int rb_energy_meter_for(const rb_device_info *d, rb_energy_meter *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    /* The target said which counters see its device; a board's own counter
     * is closer to the device than the host's package, so NVML comes first. */
    if (d->energy_counters & RB_ENERGY_NVML)
        return rb_energy_meter_nvml(d, out, why, n);
    if (d->energy_counters & RB_ENERGY_RAPL)
        return rb_energy_meter_rapl(NULL, out, why, n);
    snprintf(why, n,
             "no energy meter for this %s (its target reads no energy counter; RAPL "
             "covers cpu targets, NVML NVIDIA GPUs)",
             d->type[0] ? d->type : "device");
    return 0;
}

void rb_energy_meter_close(rb_energy_meter *m)
{
    if (m && m->source && m->close)
        m->close(m);
    if (m)
        memset(m, 0, sizeof *m);
}
