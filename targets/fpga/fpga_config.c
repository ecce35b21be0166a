/* fpga_config.c — which hardware the fpga target simulates, and how.
 *
 * Hardware parameters (MAC lanes, number format, memory sizes) are fixed when
 * the RTL is verilated: changing them is a CMake option and a rebuild, and a
 * configuration file that tries is refused with that advice rather than
 * silently ignored.  Run-time parameters (clock, off-chip bandwidth) come from
 * the built-in defaults, a user's INI file, or --fpga-clock-mhz. */
#ifdef RB_HAVE_VERILATOR
#include <errno.h>
#include <ini.h>
#include "../../workloads/files.h"
#include "../../workloads/decimal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpga.h"

const char *rb_fpga_config_names(char *buf, size_t len)
{
    const rb_fpga_hw *hws;
    int n = rb_fpga_hw_configs(&hws);
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", hws[i].name);
    return buf;
}

const char *rb_fpga_sim_mode_name(fpga_sim_mode m)
{
    return m == FPGA_SIM_FULL ? "full" : m == FPGA_SIM_SAMPLED ? "sampled" : "auto";
}

static int parse_range(const char *what, const char *v, double min, double max, double *out,
                       rb_err *e)
{
    double d;
    if (rb_parse_decimal(v, &d, NULL) || !(d >= min) || d > max)
        return rb_errf(e, RB_EINPUT, "%s: '%s' is not a number in [%g, %g]", what, v, min, max);
    *out = d;
    return 0;
}

typedef struct ini_ctx {
    const char *path;
    fpga_config *c;
    int have_base;
    unsigned seen; /* keys given, to refuse one given twice */
    double clock, bpc;
    int failed; /* libinih reads on after an error and reports the first one's line */
    rb_err *e;
} ini_ctx;

/* One key; 0 (with a message) when it is wrong. */
static int take_key(void *user, const char *section, const char *key, const char *value)
{
    static const char *const hardware[] = {"lanes",      "vlanes",     "data_width", "frac_bits",
                                           "wmem_words", "xmem_words", "ymem_words", "max_batch",
                                           "max_hidden", "max_input",  "max_layers", "oc_fifo"};
    static const char *const keys[] = {"base", "clock_mhz", "offchip_bytes_per_cycle"};
    ini_ctx *x = user;
    const char *what = key; /* the file and line are added by load_file */
    if (*section && strcmp(section, "fpga")) {
        rb_errf(x->e, RB_EINPUT, "%s: in section [%s]; an fpga config has none (or [fpga])", key,
                section);
        return 0;
    }
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(key, keys[i])) {
            if (x->seen >> i & 1) {
                rb_errf(x->e, RB_EINPUT, "%s: given twice", key);
                return 0;
            }
            x->seen |= 1u << i;
        }
    if (!strcmp(key, "base")) {
        const rb_fpga_hw *hw = rb_fpga_hw_find(value);
        if (!hw) {
            char names[128];
            rb_errf(x->e, RB_EINPUT, "%s: no built-in configuration '%s' (%s)", what, value,
                    rb_fpga_config_names(names, sizeof names));
            return 0;
        }
        x->c->hw = hw;
        x->have_base = 1;
        return 1;
    }
    if (!strcmp(key, "clock_mhz"))
        return !parse_range(what, value, 1, 2000, &x->clock, x->e);
    if (!strcmp(key, "offchip_bytes_per_cycle"))
        return !parse_range(what, value, 1e-3, 1 << 20, &x->bpc, x->e);
    for (size_t i = 0; i < sizeof hardware / sizeof hardware[0]; i++)
        if (!strcmp(key, hardware[i])) {
            rb_errf(x->e, RB_EINPUT,
                    "%s is a hardware parameter of the verilated RTL: it cannot change at run "
                    "time. Rebuild with the CMake options in targets/fpga/rtl/README.md "
                    "(e.g. cmake -DRB_FPGA_SMALL_LANES=32 ...)",
                    what);
            return 0;
        }
    rb_errf(x->e, RB_EINPUT, "%s: unknown key (expected base, clock_mhz, offchip_bytes_per_cycle)",
            what);
    return 0;
}

/* libinih calls this per key; returning 0 marks that line as the error.  The
 * first error's message is kept, so it matches the line libinih reports. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    ini_ctx *x = user;
    if (x->failed)
        return 0;
    x->failed = !take_key(user, section, key, value);
    return !x->failed;
}

static int load_file(const char *path, fpga_config *c, rb_err *e)
{
    ini_ctx x = {path, c, 0, 0, 0, 0, 0, e};
    rb_err_clear(e);
    FILE *f = rb_fopen_in(path, 64 << 10, "an fpga config", e);
    if (!f && errno != ENOENT && errno != EACCES)
        return e->code; /* a device, a FIFO, a directory, a huge file: said as such */
    if (!f) {
        char names[128];
        const char *why = strerror(errno); /* before anything else can touch errno */
        return rb_errf(e, RB_EINPUT, "fpga config %s: not %s or a readable file (%s)", path,
                       rb_fpga_config_names(names, sizeof names), why);
    }
    int rc = rb_ini_parse(f, path, on_key, &x, e);
    if (rc)
        return rc;
    if (!x.have_base) {
        char names[128];
        return rb_errf(e, RB_EINPUT, "%s: needs 'base = NAME', NAME one of %s", path,
                       rb_fpga_config_names(names, sizeof names));
    }
    c->clock_mhz = x.clock > 0 ? x.clock : c->hw->clock_hz * 1e-6;
    c->offchip_bpc = x.bpc > 0 ? x.bpc : c->hw->offchip_bpc;
    snprintf(c->source, sizeof c->source, "%s (base %s)", path, c->hw->name);
    return 0;
}

int rb_fpga_config(const rb_target *t, fpga_config *c, rb_err *e)
{
    memset(c, 0, sizeof *c);
    const char *name = rb_target_opt(t, "config"), *clock = rb_target_opt(t, "clock_mhz"),
               *sim = rb_target_opt(t, "sim");
    if (!name || !*name)
        name = "small";
    int rc;
    if ((c->hw = rb_fpga_hw_find(name))) {
        c->clock_mhz = c->hw->clock_hz * 1e-6;
        c->offchip_bpc = c->hw->offchip_bpc;
        snprintf(c->source, sizeof c->source, "built-in %s", name);
    } else if ((rc = load_file(name, c, e))) {
        return rc;
    }
    if (clock && (rc = parse_range("fpga clock_mhz", clock, 1, 2000, &c->clock_mhz, e)))
        return rc;
    if (!sim || !*sim || !strcmp(sim, "auto"))
        c->sim = FPGA_SIM_AUTO;
    else if (!strcmp(sim, "full"))
        c->sim = FPGA_SIM_FULL;
    else if (!strcmp(sim, "sampled"))
        c->sim = FPGA_SIM_SAMPLED;
    else
        return rb_errf(e, RB_EINPUT, "fpga sim '%s': expected full, sampled or auto", sim);
    return 0;
}
#endif
