#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../workloads/decimal.h"
#include "../workloads/files.h"
#include "host.h"
#include "store.h"

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
    static const char *const serving[] = {"scenario",  "qps",       "streams",
                                          "slo_ms",    "max_batch", "batch_timeout_ms"};
    static const char *const flags[] = {"scenario",  "qps",       "streams",
                                        "slo-ms",    "max-batch", "batch-timeout-ms"};
    if (opt >= RB_OPT_SCENARIO && opt <= RB_OPT_BATCH_TIMEOUT_MS) {
        int rc = rb_axes_set(&a->axes, serving[opt - RB_OPT_SCENARIO], val, e);
        if (rc)
            return rb_err_prefix(e, "--%s: ", flags[opt - RB_OPT_SCENARIO]);
        a->given = 1;
        return 1;
    }
    if (opt == RB_OPT_NO_INPUT_PROJ) {
        a->input_proj = 0;
        return 1;
    }
    if (opt == RB_OPT_MODEL || opt == RB_OPT_WEIGHTS) {
        struct stat st;
        const char *flag = opt == RB_OPT_MODEL ? "--model" : "--weights";
        if (opt == RB_OPT_WEIGHTS && (stat(val, &st) || !S_ISDIR(st.st_mode)))
            return rb_errf(e, RB_EINPUT,
                           "--weights %s: not a directory (a state_dict saved as "
                           "one .npy per tensor)",
                           val);
        int n = a->axes.n_model;
        rb_axes one;
        memset(&one, 0, sizeof one);
        int rc = rb_axes_set(&one, "model", val, e);
        for (int k = 0; !rc && k < one.n_model; k++) {
            if (n >= RB_AXIS_MAX_MODELS)
                rc = rb_errf(e, RB_EINPUT, "too many models: at most %d", RB_AXIS_MAX_MODELS);
            else
                memcpy(a->axes.model[n++], one.model[k], RB_MODEL_PATH_MAX);
        }
        if (rc)
            return rb_err_prefix(e, "%s: ", flag);
        a->axes.n_model = n;
        a->given = 1;
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
    m->model_max_bytes = rb_cli_model_max_bytes();
    if (!matrix && a->given) {
        snprintf(source, source_len, "command-line axes");
        return rb_matrix_from_axes(m, &a->axes, a->input_proj, e);
    }
    if (!matrix)
        matrix = rb_cli_default_matrix(def, sizeof def);
    snprintf(source, source_len, "%s", matrix);
    return rb_matrix_load(m, matrix, a->given ? &a->axes : NULL, a->input_proj, e);
}

/* The options of the registered targets that have a shorthand flag, in
 * registry order; the k-th has getopt value RB_OPT_TARGET_FIRST + k. */
static const rb_target_option *flagged(int k, const rb_target_ops **ops)
{
    for (size_t i = 0; i < rb_target_count(); i++)
        for (const rb_target_option *o = rb_target_at(i)->options; o && o->name; o++)
            if (o->flag && k-- == 0) {
                *ops = rb_target_at(i);
                return o;
            }
    return NULL;
}

int rb_cli_target_option(rb_cli_topts *o, int opt, const char *val, rb_err *e)
{
    const rb_target_ops *ops = NULL;
    int k = opt - RB_OPT_TARGET_FIRST;
    const rb_target_option *f =
        k >= 0 && k < RB_OPT_FIRST_FREE - RB_OPT_TARGET_FIRST ? flagged(k, &ops) : NULL;
    if (!f)
        return 0;
    char label[64];
    snprintf(label, sizeof label, "--%s", f->flag);
    int rc = rb_target_option_check(ops, f, val, label, e);
    if (rc)
        return rc;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.%s=", ops->name, f->name);
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

/* One option's help: "  --flag META" or "  KEY=META" in a 20-column field,
 * then its help, continuation lines aligned under the first. */
static void option_help(FILE *f, const char *lhs, const rb_target_option *o)
{
    if (strlen(lhs) < 20)
        fprintf(f, "  %-20s", lhs);
    else /* too long for the column: description on the next line */
        fprintf(f, "  %s\n%22s", lhs, "");
    for (const char *p = o->help; *p; p++) {
        fputc(*p, f);
        if (*p == '\n')
            fprintf(f, "%22s", "");
    }
    if (o->def)
        fprintf(f, " (default %s)", o->def);
    fputc('\n', f);
}

void rb_cli_target_help(FILE *f)
{
    fprintf(f, "\nTarget options: each flag sets one target's option, on every instance of\n"
               "that target that does not set it itself (TARGET:NAME?KEY=VALUE in --targets):\n");
    const rb_target_ops *ops;
    const rb_target_option *o;
    for (int k = 0; (o = flagged(k, &ops)); k++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "--%s %s", o->flag, o->metavar ? o->metavar : "VALUE");
        option_help(f, lhs, o);
    }
}

void rb_cli_target_options_help(FILE *f, const rb_target_ops *ops)
{
    for (const rb_target_option *o = ops->options; o && o->name; o++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "%s%s=%s", o->positional ? ":" : "", o->name,
                 o->metavar ? o->metavar : "VALUE");
        option_help(f, lhs, o);
    }
}

struct option *rb_cli_options(const struct option *own, struct option *buf, size_t cap)
{
    size_t n = 0;
    for (; own[n].name && n + 1 < cap; n++)
        buf[n] = own[n];
    const rb_target_ops *ops;
    const rb_target_option *o;
    for (int k = 0; (o = flagged(k, &ops)) && n + 1 < cap; k++)
        buf[n++] = (struct option){o->flag, required_argument, 0, RB_OPT_TARGET_FIRST + k};
    memset(&buf[n], 0, sizeof buf[n]);
    return buf;
}

int rb_cli_instances(const char *what, const char *list, const rb_cli_topts *o, rb_instance *out,
                     int *n, int max, rb_err *e)
{
    *n = 0;
    char buf[2048];
    if (!list)
        list = "all";
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return rb_errf(e, RB_EINPUT, "%s: list too long", what);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        int all = !strcmp(tok, "all");
        for (size_t r = 0; r < (all ? rb_target_count() : 1); r++) {
            rb_instance in;
            int rc = rb_instance_parse(all ? rb_target_at(r)->name : tok, &in, e);
            /* shorthand flags: "target.key=value" for instances that leave key unset */
            size_t nl = strlen(in.ops ? in.ops->name : "");
            for (int i = 0; !rc && o && i < o->n; i++) {
                const char *it = o->item[i], *eq = strchr(it, '=');
                if (!eq || strncmp(it, in.ops->name, nl) || it[nl] != '.')
                    continue;
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(eq - it - nl - 1), it + nl + 1);
                rc = rb_instance_default(&in, key, eq + 1, e);
            }
            if (rc)
                return rb_err_prefix(e, "%s: ", what);
            char name[RB_INSTANCE_NAME_MAX], other[RB_INSTANCE_NAME_MAX];
            rb_instance_name(&in, name, sizeof name);
            int dup = 0;
            for (int i = 0; i < *n && !dup; i++)
                dup = !strcmp(rb_instance_name(&out[i], other, sizeof other), name);
            /* one device per name: the same configuration twice would pair with itself */
            if (dup)
                continue;
            if (*n == max)
                return rb_errf(e, RB_EINPUT, "%s: more than %d instance%s", what, max,
                               max == 1 ? "" : "s");
            out[(*n)++] = in;
        }
    }
    if (!*n)
        return rb_errf(e, RB_EINPUT, "%s: empty list", what);
    return 0;
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

int rb_cli_key_width(const rb_matrix *m, int min)
{
    int w = min;
    for (size_t i = 0; i < m->n; i++) {
        int l = (int)strlen(m->points[i].key);
        w = l > w ? l : w;
    }
    return w;
}

long rb_cli_model_max_bytes(void)
{
    uint64_t avail = rb_host_mem_available() / 3;
    if (!avail || avail > (uint64_t)LONG_MAX)
        return LONG_MAX;
    return (long)avail;
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
    const char *end = NULL;
    double x;
    if (rb_parse_decimal(val, &x, &end)) /* "%" alone, "0x5", "nan" */
        x = NAN;
    else if (*end == '%' && !end[1])
        x /= 100;
    else if (*end)
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
    /* rename() would replace a device node, a FIFO or a link with the file */
    if (rb_out_path_ok(path, e))
        return e->code;
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

int rb_cli_store_device(rb_store *st, int64_t run_id, const rb_target *t, int64_t *device_id,
                        rb_err *e)
{
    char *options = rb_target_options_json(t);
    rb_device_id who = {t->ops->name, t->instance, options};
    int rc = rb_store_device(st, run_id, &who, t->ops->method, &t->info, device_id, e);
    free(options);
    return rc;
}
