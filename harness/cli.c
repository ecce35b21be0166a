#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

int rb_cli_fail(const char *cmd, const rb_err *e)
{
    fprintf(stderr, "rnnbench %s: %s\n", cmd, e->msg[0] ? e->msg : rb_err_name(e->code));
    if (e->code == RB_EINPUT)
        fprintf(stderr, "Try 'rnnbench %s --help'.\n", cmd);
    return rb_err_exit_code(e->code);
}

int rb_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rnnbench %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'rnnbench %s --help'.\n", cmd);
    return RB_EXIT_USAGE;
}

int rb_cli_long(const char *opt, const char *val, long lo, long hi, long *out, rb_err *e)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (!*val || *end || errno)
        return rb_errf(e, RB_EINPUT, "--%s: '%s' is not a whole number", opt, val);
    if (v < lo || v > hi)
        return rb_errf(e, RB_EINPUT, "--%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
    *out = v;
    return 0;
}

int rb_cli_double(const char *opt, const char *val, double lo, double hi, double *out, rb_err *e)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (!*val || *end || errno || !isfinite(v))
        return rb_errf(e, RB_EINPUT, "--%s: '%s' is not a number", opt, val);
    if (v < lo || v > hi)
        return rb_errf(e, RB_EINPUT, "--%s: %g is out of range [%g, %g]", opt, v, lo, hi);
    *out = v;
    return 0;
}

void rb_cli_axes_init(rb_cli_axes *a)
{
    memset(a, 0, sizeof *a);
    a->input_proj = 1;
}

int rb_cli_axis_option(rb_cli_axes *a, int opt, const char *val, rb_err *e)
{
    static const char *const keys[] = {"seq", "hidden", "input", "layers", "batch", "cell", "mode"};
    if (opt == RB_OPT_NO_INPUT_PROJ) {
        a->input_proj = 0;
        return 1;
    }
    if (opt < RB_OPT_SEQ || opt > RB_OPT_MODE)
        return 0;
    const char *key = keys[opt - RB_OPT_SEQ];
    int rc = rb_axes_set(&a->axes, key, val, e);
    if (rc)
        return rb_err_prefix(e, "--%s: ", key);
    a->given = 1;
    return 1;
}

const char *rb_cli_default_matrix(char *buf, size_t n)
{
    const char *rel = "workloads/default.ini";
    if (!access(rel, R_OK))
        snprintf(buf, n, "%s", rel);
    else
        snprintf(buf, n, "%s/%s", RB_SOURCE_DIR, rel);
    return buf;
}

int rb_cli_workloads(const char *matrix, const rb_cli_axes *a, rb_matrix *m, char *source,
                     size_t source_len, rb_err *e)
{
    char def[1024];
    if (!matrix && a->given) {
        snprintf(source, source_len, "command-line axes");
        return rb_matrix_from_axes(m, &a->axes, a->input_proj, e);
    }
    if (!matrix)
        matrix = rb_cli_default_matrix(def, sizeof def);
    snprintf(source, source_len, "%s", matrix);
    return rb_matrix_load(m, matrix, a->given ? &a->axes : NULL, a->input_proj, e);
}

const rb_cli_target_flag rb_cli_target_flags[] = {
    {"gpu-device", "SEL", "gpu", "device",
     "OpenCL device for the gpu target: an index from `rnnbench list`\n"
     "                      or a unique piece of its name (default: the first GPU,\n"
     "                      else the first device)"},
    {"fpga-config", "CONFIG", "fpga", "config",
     "fpga hardware: small, large, small8, or an INI file of\n"
     "                      run-time parameters (base = small|large|small8,\n"
     "                      clock_mhz, offchip_bytes_per_cycle) (default small)"},
    {"fpga-clock-mhz", "MHZ", "fpga", "clock_mhz", "fpga clock in MHz (default: the configuration's)"},
    {"fpga-sim", "MODE", "fpga", "sim",
     "full | sampled | auto: simulate every timestep in RTL, or the\n"
     "                      first few and extrapolate the cycles (outputs from the\n"
     "                      bit-exact golden model) (default auto: full below a\n"
     "                      cycle budget)"},
    {"asic-preset", "PRESET", "asic", "preset",
     "asic accelerator: a preset from targets/asic/presets (tpu-v1,\n"
     "                      edge-npu, dc-bf16) or an INI file of your own\n"
     "                      (MODEL.md \"Presets\") (default tpu-v1)"},
    {0, 0, 0, 0, 0},
};

const struct option rb_cli_target_long_options[] = {
    {"gpu-device", required_argument, 0, RB_OPT_TARGET_FIRST + 0},
    {"fpga-config", required_argument, 0, RB_OPT_TARGET_FIRST + 1},
    {"fpga-clock-mhz", required_argument, 0, RB_OPT_TARGET_FIRST + 2},
    {"fpga-sim", required_argument, 0, RB_OPT_TARGET_FIRST + 3},
    {"asic-preset", required_argument, 0, RB_OPT_TARGET_FIRST + 4},
    {0, 0, 0, 0},
};

int rb_cli_target_option(rb_cli_topts *o, int opt, const char *val, rb_err *e)
{
    int k = opt - RB_OPT_TARGET_FIRST;
    if (k < 0 || k >= RB_OPT_FIRST_FREE - RB_OPT_TARGET_FIRST || !rb_cli_target_flags[k].flag)
        return 0;
    const rb_cli_target_flag *f = &rb_cli_target_flags[k];
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.%s=", f->target, f->key);
    int i = 0;
    while (i < o->n && strncmp(o->item[i], prefix, strlen(prefix)))
        i++;
    if (i == RB_TARGET_MAX_OPTS)
        return rb_errf(e, RB_EINPUT, "--%s: too many target options", f->flag);
    if (i == o->n)
        o->n++;
    snprintf(o->item[i], sizeof o->item[i], "%s%s", prefix, val);
    return 1;
}

void rb_cli_target_help(FILE *f)
{
    fprintf(f, "\nTarget options (each applies to one target):\n");
    for (const rb_cli_target_flag *t = rb_cli_target_flags; t->flag; t++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "--%s %s", t->flag, t->metavar);
        if (strlen(lhs) < 20)
            fprintf(f, "  %-20s%s\n", lhs, t->help);
        else /* too long for the column: description on the next line */
            fprintf(f, "  %s\n%22s%s\n", lhs, "", t->help);
    }
}

void rb_cli_target_init(rb_target *t, const rb_target_ops *ops, int threads,
                        const rb_cli_topts *o)
{
    rb_target_init(t, ops, threads);
    size_t nl = strlen(ops->name);
    for (int i = 0; o && i < o->n; i++) {
        const char *it = o->item[i], *eq = strchr(it, '=');
        if (!eq || strncmp(it, ops->name, nl) || it[nl] != '.')
            continue;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - it - nl - 1), it + nl + 1);
        rb_target_set_opt(t, key, eq + 1);
    }
}

struct option *rb_cli_options(const struct option *own, struct option *buf, size_t cap)
{
    size_t n = 0;
    for (; own[n].name && n + 1 < cap; n++)
        buf[n] = own[n];
    for (size_t k = 0; rb_cli_target_long_options[k].name && n + 1 < cap; k++)
        buf[n++] = rb_cli_target_long_options[k];
    memset(&buf[n], 0, sizeof buf[n]);
    return buf;
}

const char *rb_fmt_bytes(double bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

int rb_cli_check_memory(const rb_matrix *m, rb_err *e)
{
    uint64_t avail = rb_host_mem_available();
    if (!avail)
        return 0; /* no /proc/meminfo: nothing to check against */
    for (size_t i = 0; i < m->n; i++) {
        uint64_t need = rb_workload_mem_bytes(&m->points[i]);
        if (need > avail) {
            char a[32], b[32];
            return rb_errf(e, RB_ENOMEM,
                           "workload %s needs about %s (estimate) but only %s is available; "
                           "nothing was run. Reduce seq/batch/hidden or run it on a larger host.",
                           m->points[i].key, rb_fmt_bytes((double)need, a, sizeof a),
                           rb_fmt_bytes((double)avail, b, sizeof b));
        }
    }
    return 0;
}

int rb_cli_targets(const char *list, const rb_target_ops **out, int *n, int max, rb_err *e)
{
    *n = 0;
    if (!list || !strcmp(list, "all")) {
        for (size_t i = 0; i < rb_target_count() && *n < max; i++)
            out[(*n)++] = rb_target_at(i);
        return 0;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        const rb_target_ops *ops = rb_target_find(tok);
        if (!ops) {
            char known[128] = "";
            for (size_t i = 0; i < rb_target_count(); i++) {
                strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
                strncat(known, rb_target_at(i)->name, sizeof known - strlen(known) - 1);
            }
            return rb_errf(e, RB_EINPUT, "--targets: unknown target '%s' (known: %s, all)", tok,
                           known);
        }
        int dup = 0;
        for (int i = 0; i < *n; i++)
            dup |= out[i] == ops;
        if (!dup && *n < max)
            out[(*n)++] = ops;
    }
    if (!*n)
        return rb_errf(e, RB_EINPUT, "--targets: empty list");
    return 0;
}

char *rb_cli_command_line(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n + 9);
    if (!s)
        return NULL;
    strcpy(s, "rnnbench");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int rb_cli_fraction(const char *opt, const char *val, double *out, rb_err *e)
{
    char *end = NULL;
    double x = strtod(val, &end);
    if (end && *end == '%' && !end[1])
        x /= 100;
    else if (!end || end == val || *end)
        x = NAN;
    if (!(x >= 0 && x < 100))
        return rb_errf(e, RB_EINPUT, "--%s '%s': expected a fraction (0.05) or a percentage (5%%)",
                       opt, val);
    *out = x;
    return 0;
}

int rb_cli_write_atomic(const char *path, int (*write)(FILE *f, void *ctx, rb_err *e), void *ctx,
                        rb_err *e)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return rb_errf(e, RB_ENOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int rc = rb_errf(e, RB_EINPUT, "cannot write next to %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return rc;
    }
    int rc = write(f, ctx, e);
    if (fclose(f) && !rc)
        rc = rb_errf(e, RB_ERUNTIME, "writing %s: %s", path, strerror(errno));
    if (!rc && (chmod(tmp, 0644) || rename(tmp, path)))
        rc = rb_errf(e, RB_ERUNTIME, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}
