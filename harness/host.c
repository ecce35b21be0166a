#include "../workloads/utf8.h"
#include "host.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void rb_warn_add(rb_warnings *w, const char *fmt, ...)
{
    if (w->n >= RB_WARN_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg[w->n++], sizeof w->msg[0], fmt, ap);
    va_end(ap);
}

char *rb_warnings_json(const rb_warnings *w)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < w->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(w->msg[i]));
    char *s = rb_json_utf8(cJSON_PrintUnformatted(a));
    cJSON_Delete(a);
    return s;
}

int rb_host_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int rb_host_default_threads(void) { return getenv("RB_AS_LIMIT_MB") ? 1 : rb_host_ncpus(); }

/* First line of a small sysfs/procfs file, newline stripped. */
static int read_line(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(buf, (int)n, f);
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Value of "key<sep>value" in a file such as /proc/cpuinfo or /etc/os-release. */
static int find_field(const char *path, const char *key, char sep, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    size_t kl = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl))
            continue;
        char *p = line + kl;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != sep)
            continue;
        p++;
        while (*p == ' ' || *p == '"')
            p++;
        p[strcspn(p, "\"\n")] = '\0';
        snprintf(out, n, "%s", p);
        found = 0;
        break;
    }
    fclose(f);
    return found;
}

uint64_t rb_host_mem_available(void)
{
    char v[64];
    if (find_field("/proc/meminfo", "MemAvailable", ':', v, sizeof v))
        return 0;
    return strtoull(v, NULL, 10) * 1024ull; /* "123456 kB" */
}

int rb_host_peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

uint64_t rb_host_peak_rss(void)
{
    char v[64];
    if (find_field("/proc/self/status", "VmHWM", ':', v, sizeof v))
        return 0;
    return strtoull(v, NULL, 10) * 1024ull;
}

static uint64_t mem_total(void)
{
    char v[64];
    if (find_field("/proc/meminfo", "MemTotal", ':', v, sizeof v))
        return 0;
    return strtoull(v, NULL, 10) * 1024ull;
}

static int read_loadavg(double la[3])
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) == 3;
    fclose(f);
    return ok ? 0 : -1;
}

void rb_host_reliability(rb_warnings *w, int threads, int min_reps)
{
    int ncpu = rb_host_ncpus();
    double la[3];
    /* Other runnable work steals cores from a compute-bound benchmark; more
     * than half a CPU's worth already makes medians drift. */
    if (!read_loadavg(la) && la[0] > 0.5)
        rb_warn_add(w, "load average %.2f on %d CPUs: other processes compete for the CPU", la[0],
                    ncpu);
    int powersave = 0, seen = 0;
    char gov[64], path[96];
    for (int c = 0; c < ncpu; c++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
        if (read_line(path, gov, sizeof gov))
            continue;
        seen++;
        if (strcmp(gov, "performance"))
            powersave++;
    }
    if (powersave)
        rb_warn_add(w,
                    "CPU frequency governor is not 'performance' on %d of %d CPUs: clocks ramp "
                    "during the run (cpupower frequency-set -g performance)",
                    powersave, seen);
    if (threads > ncpu)
        rb_warn_add(w, "%d threads on %d CPUs: oversubscribed, timings include scheduling", threads,
                    ncpu);
    const char *as_mb = getenv("RB_AS_LIMIT_MB"); /* set by main.c's rb_early_limits */
    if (as_mb)
        rb_warn_add(w,
                    "the address space is limited to %s MB (ulimit -v): OpenBLAS and the targets "
                    "run one thread by default (each more reserves a buffer it may not get); "
                    "OPENBLAS_NUM_THREADS and --threads choose",
                    as_mb);
#ifdef RB_SANITIZE
    rb_warn_add(w, "built with AddressSanitizer/UBSan: timings are several times slower than a "
                   "release build and say nothing about the hardware");
#endif
    if (!strcmp(RB_BUILD_TYPE, "Debug"))
        rb_warn_add(w,
                    "a Debug build (-O0): rebuild with scripts/build.sh before comparing timings");
    if (min_reps < 5)
        rb_warn_add(w,
                    "only %d repetitions requested: percentiles and the confidence interval "
                    "are not meaningful below 5",
                    min_reps);
}

static void add_caches(cJSON *ctx)
{
    cJSON *caches = cJSON_AddArrayToObject(ctx, "caches");
    for (int i = 0; i < 8; i++) {
        char base[96], p[128], type[32], level[16], size[32], shared[128];
        snprintf(base, sizeof base, "/sys/devices/system/cpu/cpu0/cache/index%d", i);
        snprintf(p, sizeof p, "%s/type", base);
        if (read_line(p, type, sizeof type))
            break;
        snprintf(p, sizeof p, "%s/level", base);
        if (read_line(p, level, sizeof level))
            break;
        snprintf(p, sizeof p, "%s/size", base);
        if (read_line(p, size, sizeof size))
            break;
        snprintf(p, sizeof p, "%s/shared_cpu_list", base);
        if (read_line(p, shared, sizeof shared))
            shared[0] = '\0';
        long bytes = strtol(size, NULL, 10) * (strchr(size, 'M') ? 1024 * 1024 : 1024);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", type);
        cJSON_AddNumberToObject(c, "level", atoi(level));
        cJSON_AddNumberToObject(c, "size", (double)bytes);
        cJSON_AddStringToObject(c, "shared_cpu_list", shared);
        cJSON_AddItemToArray(caches, c);
    }
}

char *rb_host_json(void)
{
    cJSON *ctx = cJSON_CreateObject();
    char buf[256];
    cJSON_AddNumberToObject(ctx, "schema_version", RB_HOST_SCHEMA);

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(ctx, "date", buf);
    if (!gethostname(buf, sizeof buf))
        cJSON_AddStringToObject(ctx, "host_name", buf);
    ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (len > 0) {
        buf[len] = '\0';
        cJSON_AddStringToObject(ctx, "executable", buf);
    }

    cJSON_AddNumberToObject(ctx, "num_cpus", rb_host_ncpus());
    if (!find_field("/proc/cpuinfo", "model name", ':', buf, sizeof buf))
        cJSON_AddStringToObject(ctx, "cpu_model", buf);
    if (!find_field("/proc/cpuinfo", "cpu MHz", ':', buf, sizeof buf))
        cJSON_AddNumberToObject(ctx, "mhz_per_cpu", atof(buf));
    cJSON_AddBoolToObject(
        ctx, "cpu_scaling_enabled",
        !read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf) &&
            strcmp(buf, "performance"));
    add_caches(ctx);
    double la[3];
    if (!read_loadavg(la)) {
        cJSON *l = cJSON_AddArrayToObject(ctx, "load_avg");
        for (int i = 0; i < 3; i++)
            cJSON_AddItemToArray(l, cJSON_CreateNumber(la[i]));
    }
    cJSON_AddNumberToObject(ctx, "memory_total_bytes", (double)mem_total());
    cJSON_AddNumberToObject(ctx, "memory_available_bytes", (double)rb_host_mem_available());

    struct utsname u;
    if (!uname(&u)) {
        cJSON *os = cJSON_AddObjectToObject(ctx, "os");
        cJSON_AddStringToObject(os, "sysname", u.sysname);
        cJSON_AddStringToObject(os, "release", u.release);
        cJSON_AddStringToObject(os, "machine", u.machine);
        if (!find_field("/etc/os-release", "PRETTY_NAME", '=', buf, sizeof buf))
            cJSON_AddStringToObject(os, "pretty_name", buf);
    }

    cJSON_AddStringToObject(ctx, "library_build_type", RB_BUILD_TYPE);
    cJSON_AddStringToObject(ctx, "compiler", RB_CC_ID);
    cJSON_AddStringToObject(ctx, "rnnbench_version", RB_VERSION);
    cJSON_AddStringToObject(ctx, "git_sha", RB_GIT_SHA);
    cJSON *libs = cJSON_AddObjectToObject(ctx, "libraries");
    cJSON_AddStringToObject(libs, "sqlite", sqlite3_libversion());
    cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
    cJSON_AddStringToObject(libs, "inih", RB_INIH_VERSION);
    /* OpenBLAS's build config is recorded with the cpu device (targets own it). */

    char *s = rb_json_utf8(cJSON_PrintUnformatted(ctx));
    cJSON_Delete(ctx);
    return s;
}
