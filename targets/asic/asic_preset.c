/* asic_preset.c — asic presets: INI files (libinih) into an rb_asic_preset.
 *
 * A preset describes one accelerator in the terms of the model (MODEL.md):
 * its MAC array, datatype, memories, technology and, optionally, its own
 * per-operation energies.  Shipped presets live in targets/asic/presets/
 * (RB_ASIC_PRESET_DIR overrides); --asic-preset also takes a path.  Every
 * key is checked: an unknown key, a value out of its range or a missing
 * required key is an error naming the file, the line and the key, before
 * anything runs. */
#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <ini.h>
#include "../../workloads/files.h"
#include "../../workloads/decimal.h"
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "asic.h"

#ifndef RB_SOURCE_DIR
#define RB_SOURCE_DIR "."
#endif

typedef enum { K_TEXT, K_INT, K_NUM, K_BYTES, K_DTYPE, K_QUANT, K_BOOL, K_SCHEDULE } key_kind;

/* One key of the preset format: where it goes and what it may hold. */
typedef struct key_spec {
    const char *section, *key;
    key_kind kind;
    double lo, hi; /* K_INT, K_NUM, K_BYTES */
    int required;
    size_t off;       /* offset of the field in rb_asic_preset */
    const char *what; /* for the message when it is missing */
} key_spec;

#define OFF(f) offsetof(rb_asic_preset, f)
static const key_spec k_keys[] = {
    /* K_TEXT: hi is the field's size; 0 for a citation line, which is for
     * the reader of the file and not stored */
    {"preset", "name", K_TEXT, 0, sizeof(((rb_asic_preset *)0)->name), 1, OFF(name),
     "the preset's name"},
    {"preset", "describes", K_TEXT, 0, sizeof(((rb_asic_preset *)0)->describes), 1, OFF(describes),
     "what hardware it describes"},
    {"preset", "source", K_TEXT, 0, 0, 0, 0, "a citation (repeatable)"},
    {"array", "rows", K_INT, 1, 65536, 1, OFF(rows), "MAC array rows (the reduction dimension)"},
    {"array", "cols", K_INT, 1, 65536, 1, OFF(cols), "MAC array columns (outputs)"},
    {"array", "clock_mhz", K_NUM, 1, 10000, 1, OFF(clock_mhz), "clock, MHz"},
    {"array", "datatype", K_DTYPE, 0, 0, 1, OFF(num.dtype), "int8, int16, fp16, bf16 or fp32"},
    {"array", "acc_bits", K_INT, 16, 64, 1, OFF(num.acc_bits), "accumulator width, bits"},
    {"array", "weight_quant", K_QUANT, 0, 0, 0, OFF(num.weight_quant), "per-tensor or per-channel"},
    {"array", "weight_double_buffer", K_BOOL, 0, 0, 0, OFF(weight_double_buffer),
     "true: the next tile's weights load behind the current tile's work (default)"},
    {"array", "schedule", K_SCHEDULE, 0, 0, 0, OFF(schedule),
     "fused (default), hoisted or auto: where the input product runs"},
    {"array", "vector_lanes", K_INT, 1, 1 << 20, 1, OFF(vector_lanes),
     "vector-unit operations per cycle"},
    {"memory", "weight_sram_bytes", K_BYTES, 0, 1e12, 1, OFF(weight_sram_bytes),
     "on-chip weight memory (0: none, weights stream from off chip)"},
    {"memory", "weight_sram_bytes_per_cycle", K_NUM, 0, 1e7, 0, OFF(weight_sram_bpc),
     "weight memory bandwidth, bytes per cycle"},
    {"memory", "act_sram_bytes", K_BYTES, 1, 1e12, 1, OFF(act_sram_bytes),
     "on-chip activation memory"},
    {"memory", "act_sram_bytes_per_cycle", K_NUM, 0.001, 1e7, 1, OFF(act_sram_bpc),
     "activation memory bandwidth, bytes per cycle"},
    {"memory", "acc_sram_bytes", K_BYTES, 1, 1e12, 1, OFF(acc_sram_bytes), "accumulator memory"},
    {"memory", "offchip_gb_per_s", K_NUM, 1e-9, 1e5, 1, OFF(offchip_gbs),
     "off-chip memory bandwidth, GB/s"},
    {"technology", "node_nm", K_NUM, 1, 1000, 1, OFF(node_nm), "process node, nm"},
    {"technology", "vdd", K_NUM, 0.3, 2.0, 1, OFF(vdd), "core voltage, V"},
    {"technology", "static_w", K_NUM, 0, 1e4, 1, OFF(static_w), "static power, W"},
    {"energy", "mac_pj", K_NUM, 0, 1e6, 0, OFF(energy.mac), "pJ per MAC"},
    {"energy", "weight_sram_pj_per_byte", K_NUM, 0, 1e6, 0, OFF(energy.weight_sram_byte),
     "pJ per weight-memory byte"},
    {"energy", "act_sram_pj_per_byte", K_NUM, 0, 1e6, 0, OFF(energy.act_sram_byte),
     "pJ per activation-memory byte"},
    {"energy", "acc_sram_pj_per_byte", K_NUM, 0, 1e6, 0, OFF(energy.acc_sram_byte),
     "pJ per accumulator-memory byte"},
    {"energy", "offchip_pj_per_byte", K_NUM, 0, 1e6, 0, OFF(energy.offchip_byte),
     "pJ per off-chip byte"},
    {"energy", "vector_op_pj", K_NUM, 0, 1e6, 0, OFF(energy.vector_op),
     "pJ per vector-unit operation"},
};
#define N_KEYS (sizeof k_keys / sizeof k_keys[0])

typedef struct parse_ctx {
    rb_asic_preset *p;
    int seen[N_KEYS];
    int failed; /* libinih reads on after an error and reports the first one's line */
    rb_err *e;
} parse_ctx;

/* "24 MiB", "512KiB", "1e6", "8 MB": bytes.  0 or -1. */
static int parse_bytes(const char *v, double *out)
{
    static const struct {
        const char *suffix;
        double mul;
    } units[] = {{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
                 {"KB", 1e3},     {"MB", 1e6},        {"GB", 1e9},
                 {"B", 1}};
    const char *end;
    double d;
    if (rb_parse_decimal(v, &d, &end))
        return -1;
    while (*end == ' ')
        end++;
    double mul = 1;
    if (*end) {
        size_t i = 0;
        while (i < sizeof units / sizeof units[0] && strcmp(end, units[i].suffix))
            i++;
        if (i == sizeof units / sizeof units[0])
            return -1;
        mul = units[i].mul;
    }
    *out = d * mul;
    return 0;
}

/* The loader puts "file:line: " in front: libinih knows the line. */
static int bad(parse_ctx *x, const key_spec *k, const char *v, const char *why)
{
    rb_errf(x->e, RB_EINPUT, "[%s] %s = '%s': %s", k->section, k->key, v, why);
    return 0;
}

static int set_key(parse_ctx *x, const key_spec *k, const char *v)
{
    char *field = (char *)x->p + k->off, range[96];
    snprintf(range, sizeof range, "expected a number in [%g, %g]", k->lo, k->hi);
    double d;
    switch (k->kind) {
    case K_TEXT:
        if (!*v)
            return bad(x, k, v, "empty");
        if (k->hi > 0)
            snprintf(field, (size_t)k->hi, "%s", v);
        return 1;
    case K_INT:
        if (rb_parse_decimal(v, &d, NULL) || d != floor(d) || d < k->lo || d > k->hi) {
            snprintf(range, sizeof range, "expected a whole number in [%g, %g]", k->lo, k->hi);
            return bad(x, k, v, range);
        }
        *(int *)field = (int)d;
        return 1;
    case K_NUM:
        if (rb_parse_decimal(v, &d, NULL) || !(d >= k->lo && d <= k->hi))
            return bad(x, k, v, range);
        *(double *)field = d;
        return 1;
    case K_BYTES:
        if (parse_bytes(v, &d) || !(d >= k->lo && d <= k->hi))
            return bad(x, k, v,
                       "expected a byte count (a number, optionally KiB, MiB, GiB, KB, "
                       "MB or GB) that is not negative");
        *(double *)field = d;
        return 1;
    case K_DTYPE:
        if (rb_asic_dtype_parse(v, (rb_asic_dtype *)field))
            return bad(x, k, v, "expected int8, int16, fp16, bf16 or fp32");
        return 1;
    case K_QUANT:
        if (!strcmp(v, "per-tensor"))
            *(rb_asic_quant *)field = RB_ASIC_PER_TENSOR;
        else if (!strcmp(v, "per-channel"))
            *(rb_asic_quant *)field = RB_ASIC_PER_CHANNEL;
        else
            return bad(x, k, v, "expected per-tensor or per-channel");
        return 1;
    case K_BOOL:
        if (strcmp(v, "true") && strcmp(v, "false"))
            return bad(x, k, v, "expected true or false");
        *(int *)field = !strcmp(v, "true");
        return 1;
    case K_SCHEDULE:
        if (rb_asic_schedule_parse(v, (rb_asic_schedule *)field))
            return bad(x, k, v, "expected fused, hoisted or auto");
        return 1;
    }
    return 1;
}

/* libinih calls this per key; returning 0 stops the parse at that line. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *x = user;
    if (x->failed) /* keep the first error's message: it goes with libinih's line */
        return 0;
    x->failed = 1;
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(section, k_keys[i].section) && !strcmp(key, k_keys[i].key)) {
            if (x->seen[i] && k_keys[i].off) { /* citations may repeat */
                rb_errf(x->e, RB_EINPUT, "[%s] %s is given twice", section, key);
                return 0;
            }
            x->seen[i] = 1;
            x->failed = !set_key(x, &k_keys[i], value);
            return !x->failed;
        }
    rb_errf(x->e, RB_EINPUT, "[%s] %s: unknown key (MODEL.md \"Presets\" lists the keys)", section,
            key);
    return 0;
}

const char *rb_asic_schedule_name(rb_asic_schedule s)
{
    return s == RB_ASIC_HOISTED ? "hoisted" : s == RB_ASIC_AUTO ? "auto" : "fused";
}

int rb_asic_schedule_parse(const char *v, rb_asic_schedule *out)
{
    for (int i = RB_ASIC_FUSED; i <= RB_ASIC_AUTO; i++)
        if (!strcmp(v, rb_asic_schedule_name((rb_asic_schedule)i))) {
            *out = (rb_asic_schedule)i;
            return 0;
        }
    return -1;
}

static const char *preset_dir(char *buf, size_t len)
{
    const char *env = getenv("RB_ASIC_PRESET_DIR");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/targets/asic/presets", RB_SOURCE_DIR);
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *rb_asic_preset_names(char *buf, size_t len)
{
    char dir[1024];
    buf[0] = 0;
    DIR *d = opendir(preset_dir(dir, sizeof dir));
    if (!d)
        return buf;
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".ini") && (names[n] = strdup(de->d_name)))
            names[n++][l - 4] = 0;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (at < len)
            at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", names[i]);
        free(names[i]);
    }
    return buf;
}

/* A preset name, not a path: letters, digits, '-', '_', '.' (no leading dot). */
static int is_name(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

int rb_asic_preset_load(const char *arg, rb_asic_preset *p, rb_err *e)
{
    memset(p, 0, sizeof *p);
    p->energy = (rb_asic_energies){-1, -1, -1, -1, -1, -1};
    p->weight_double_buffer = 1;
    if (!arg || !*arg)
        arg = "tpu-v1";
    char path[1024], dir[900], names[256];
    size_t al = strlen(arg);
    int named = is_name(arg) && !(al > 4 && !strcmp(arg + al - 4, ".ini"));
    int len = named ? snprintf(path, sizeof path, "%s/%s.ini", preset_dir(dir, sizeof dir), arg)
                    : snprintf(path, sizeof path, "%s", arg);
    if (len < 0 || (size_t)len >= sizeof path)
        return rb_errf(e, RB_EINPUT, "asic preset: path too long");

    parse_ctx x = {p, {0}, 0, e};
    rb_err_clear(e);
    FILE *f = rb_fopen_in(path, 64 << 10, "an asic preset", e);
    if (!f && errno != ENOENT && errno != EACCES)
        return e->code; /* a device, a FIFO, a directory, a huge file: said as such */
    if (!f) {
        const char *why = strerror(errno);
        if (named)
            return rb_errf(e, RB_EINPUT, "asic preset %s: no such preset (built in: %s)", arg,
                           rb_asic_preset_names(names, sizeof names));
        return rb_errf(e, RB_EINPUT, "asic preset %s: cannot read it (%s); built in: %s", arg, why,
                       rb_asic_preset_names(names, sizeof names));
    }
    int rc = rb_ini_parse(f, path, on_key, &x, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < N_KEYS; i++)
        if (k_keys[i].required && !x.seen[i])
            return rb_errf(e, RB_EINPUT, "%s: missing [%s] %s (%s)", path, k_keys[i].section,
                           k_keys[i].key, k_keys[i].what);
    if (p->weight_sram_bytes > 0 && !(p->weight_sram_bpc > 0))
        return rb_errf(e, RB_EINPUT,
                       "%s: [memory] weight_sram_bytes is %g but weight_sram_bytes_per_cycle is "
                       "not given (or 0): weights on chip need a bandwidth",
                       path, p->weight_sram_bytes);
    if ((rc = rb_asic_numerics_check(&p->num, e))) {
        rb_err_prefix(e, "%s: [array] ", path);
        return rc;
    }
    if (named)
        snprintf(p->source, sizeof p->source, "built-in %s (%.240s)", arg, path);
    else
        snprintf(p->source, sizeof p->source, "%.300s", path);
    rb_asic_energy_defaults(p);
    return 0;
}

int rb_asic_preset_write(FILE *f, const rb_asic_preset *p, const char *source)
{
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_spec *k = &k_keys[i];
        const void *field = (const char *)p + k->off;
        if (strcmp(section, k->section))
            fprintf(f, "%s[%s]\n", i ? "\n" : "", section = k->section);
        switch (k->kind) {
        case K_TEXT:
            fprintf(f, "%s = %s\n", k->key, k->hi ? (const char *)field : source);
            break;
        case K_INT: fprintf(f, "%s = %d\n", k->key, *(const int *)field); break;
        case K_NUM:
        case K_BYTES:
            /* an energy not given stays out: the model's default takes it */
            if (*(const double *)field >= 0)
                fprintf(f, "%s = %.15g\n", k->key, *(const double *)field);
            break;
        case K_DTYPE:
            fprintf(f, "%s = %s\n", k->key, rb_asic_dtype_name(*(const rb_asic_dtype *)field));
            break;
        case K_QUANT:
            fprintf(f, "%s = %s\n", k->key,
                    *(const rb_asic_quant *)field == RB_ASIC_PER_CHANNEL ? "per-channel"
                                                                         : "per-tensor");
            break;
        case K_BOOL: fprintf(f, "%s = %s\n", k->key, *(const int *)field ? "true" : "false"); break;
        case K_SCHEDULE:
            fprintf(f, "%s = %s\n", k->key,
                    rb_asic_schedule_name(*(const rb_asic_schedule *)field));
            break;
        }
    }
    return ferror(f) ? -1 : 0;
}
