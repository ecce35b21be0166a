/* fpga_power.c — synthesized resources and the power model of the fpga target.
 *
 * Resources: targets/fpga/synth/<config>.resources, written by synth.sh from
 * Yosys 0.23's synth_xilinx statistics (deterministic; CI re-synthesizes the
 * small configuration and compares).  Lines are KEY=VALUE; upper-case keys
 * are resource counts, lower-case keys describe how they were obtained.
 *
 * Power model (the energy the harness stores for fpga results is this power
 * times the simulated latency, with source "model"):
 *
 *     P = P_static + f_MHz * sum_r n_r * (k_r + a * c_r)          [uW -> W]
 *
 *   n_r   synthesized count of resource r (LUT, FF, DSP, BRAM36, URAM);
 *   a     switching activity: the fraction of clock cycles in which a signal
 *         toggles (XPE's "toggle rate");
 *   c_r   dynamic power of one unit of r per MHz at 100 % toggle (uW/MHz),
 *         its routing included (routing is most of FPGA dynamic power [FPGA02]);
 *   k_r   power per MHz that does not depend on the data: the clock tree
 *         driving each flip-flop, which toggles every cycle whatever the data.
 *
 * Where each coefficient comes from.  Published per-resource figures exist
 * for older families; they are carried to 28 nm (7 series) and 16 nm
 * (UltraScale+) by first-order scaling: switched capacitance in proportion
 * to the feature size [DEN74] and the square of the core voltage from each
 * family's data sheet.  That scaling is the model's assumption (architectures
 * change between families too: 4-input to 6-input LUTs); a figure that is not
 * published anywhere is an estimate and says so.
 *
 *   LUT, FF  [FPGA02] measured and simulated Virtex-II (150 nm, VCCINT 1.5 V
 *            [DS031]): 5.9 uW/MHz per CLB (8 LUT4 + 8 FF) "for typical
 *            designs", of which routing 60 %, logic 16 %, clocking 14 %.
 *            Routing + logic (76 %) go to the LUT (its output net), clocking
 *            to the FF: per LUT 4.484/8 = 0.5605 uW/MHz at typical activity,
 *            taken as XPE's default 12.5 % [UG440] (assumption), so c = 4.484;
 *            per FF k = 0.826/8 = 0.1033 uW/MHz.  c_FF = 0: a flip-flop's
 *            output net is the LUT's it follows, counted there.
 *   BRAM36   [DS512] Table 41 (Virtex-5 XPE, 65 nm, VCCINT 1.0 V [DS202]): a
 *            2k x 36 true dual-port memory, 4 RAMB18 (= 2 x 36 Kb), 39 mW at
 *            300 MHz, 50 % toggle, 50 % write: 19.5 mW per 36 Kb block,
 *            65 uW/MHz at 50 %, c = 130 uW/MHz at 100 %.
 *   static   UltraScale+: [ZUPG] "XCZU19EG consumes 850 mW more than a XCZU2EG
 *            in static power", 1143 k vs 103 k logic cells [DS891]: 0.817 mW
 *            per 1000 logic cells, times the VU13P's 3780 k [DS890] = 3.09 W.
 *            7 series: 0.12 W for a Zynq-7020 / Artix-7 class fabric, estimate
 *            (no published figure found; Xilinx points to XPE).
 *   DSP      20 uW/MHz at 100 % on 7 series: estimate (0.25 mW per DSP48E1 at
 *            100 MHz and 12.5 %); UltraScale+ by the scaling above.
 *   URAM     4 x a BRAM36 of the same family (8 x the bits behind a 72-bit
 *            port): estimate.
 *
 * Sources:
 *   [FPGA02] L. Shang, A. Kaviani, K. Bathala, "Dynamic Power Consumption in
 *            Virtex-II FPGA Family", FPGA 2002, doi:10.1145/503048.503072.
 *   [DS512]  Xilinx LogiCORE IP Block Memory Generator v6.1, DS512 (March
 *            2011), "Low Power Designs", Table 41 (XPE v11.1 data).
 *   [ZUPG]   Xilinx wiki, "Power Optimization Guide for Zynq UltraScale+
 *            MPSoC", "Device Capacity".
 *   [DS891]  Zynq UltraScale+ MPSoC Data Sheet: Overview (logic cells).
 *   [DS890]  UltraScale Architecture and Product Data Sheet: Overview (VU13P
 *            logic cells).
 *   [DS031]  Virtex-II Platform FPGAs: Complete Data Sheet (VCCINT 1.5 V).
 *   [DS202]  Virtex-5 FPGA Data Sheet: DC and Switching Characteristics
 *            (VCCINT 1.0 V).
 *   [DS187]  Zynq-7000 SoC Data Sheet: DC and AC Switching Characteristics
 *            (VCCINT 1.00 V; DS181/DS182 the same for Artix/Kintex-7).
 *   [DS923]  Virtex UltraScale+ FPGA Data Sheet: DC and AC Switching
 *            Characteristics (VCCINT 0.85 V for -2/-1).
 *   [UG440]  Xilinx Power Estimator User Guide, UG440: the default Toggle
 *            Rate of 12.5 % "based on an average extracted from a suite of
 *            customer designs"; block RAM and UltraRAM are power gated.
 *   [DEN74]  R. H. Dennard et al., "Design of ion-implanted MOSFET's with very
 *            small physical dimensions", IEEE JSSC 9(5), 1974: scaling the
 *            dimensions by 1/k scales capacitance by 1/k.
 * synth/README.md has the table and the resulting watts. */
#include "fpga_power.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RB_SOURCE_DIR
#define RB_SOURCE_DIR "."
#endif

typedef struct fpga_coef {
    const char *name; /* resource name as in <config>.resources */
    double k;         /* uW/MHz per unit, independent of activity */
    double c;         /* uW/MHz per unit at 100 % toggle */
} fpga_coef;

typedef struct fpga_class {
    const char *name;
    double static_w;
    fpga_coef coef[5];
} fpga_class;

/* capacitance x feature size, power x VCCINT^2: the factor from one
 * process (nm, V) to another */
#define SCALE(nm0, v0, nm1, v1)                                                                    \
    (((double)(nm1) / (nm0)) * ((double)(v1) / (v0)) * ((double)(v1) / (v0)))
/* [FPGA02] Virtex-II, 150 nm, 1.5 V: per LUT and per FF, see above */
#define V2_LUT_C (5.9 * 0.76 / 8 / 0.125)
#define V2_FF_K (5.9 * 0.14 / 8)
/* [DS512] Virtex-5, 65 nm, 1.0 V: per 36 Kb block at 100 % toggle */
#define V5_BRAM36_C (39.0 / 2 / 300 / 0.5 * 1000)
#define XC7_FROM_V2 SCALE(150, 1.5, 28, 1.00)
#define XC7_FROM_V5 SCALE(65, 1.0, 28, 1.00)
#define XCUP_FROM_V2 SCALE(150, 1.5, 16, 0.85)
#define XCUP_FROM_V5 SCALE(65, 1.0, 16, 0.85)
#define XCUP_FROM_XC7 SCALE(28, 1.00, 16, 0.85)
#define XC7_DSP_C 20.0 /* estimate */

/* 7 series: 28 nm HPL, VCCINT 1.00 V [DS187] */
static const fpga_class k_xc7 = {"7-series",
                                 0.12, /* estimate */
                                 {{"LUT", 0.0, V2_LUT_C *XC7_FROM_V2},
                                  {"FF", V2_FF_K *XC7_FROM_V2, 0.0},
                                  {"DSP", 0.0, XC7_DSP_C},
                                  {"BRAM36", 0.0, V5_BRAM36_C *XC7_FROM_V5},
                                  {"URAM", 0.0, 0.0}}};

/* UltraScale+: 16 nm FinFET, VCCINT 0.85 V [DS923] */
static const fpga_class k_xcup = {"UltraScale+",
                                  0.850 / (1143.45 - 103.32) *
                                      3780.0, /* [ZUPG] per logic cell x VU13P [DS891, DS890] */
                                  {{"LUT", 0.0, V2_LUT_C *XCUP_FROM_V2},
                                   {"FF", V2_FF_K *XCUP_FROM_V2, 0.0},
                                   {"DSP", 0.0, XC7_DSP_C *XCUP_FROM_XC7},
                                   {"BRAM36", 0.0, V5_BRAM36_C *XCUP_FROM_V5},
                                   {"URAM", 0.0, 4 * V5_BRAM36_C *XCUP_FROM_V5}}};

static int valid_config(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

static int upper_key(const char *s, size_t n)
{
    if (n == 0 || !isupper((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

int rb_fpga_resources(const char *config, const char *params, rb_metric *out, int max, rb_err *e)
{
    if (!valid_config(config))
        return rb_errf(e, RB_EINPUT, "fpga: bad configuration name '%s' for the resource summary",
                       config ? config : "(null)");
    const char *env = getenv("RB_FPGA_SYNTH_DIR");
    char path[1024];
    int len = env && *env ? snprintf(path, sizeof path, "%s/%s.resources", env, config)
                          : snprintf(path, sizeof path, "%s/targets/fpga/synth/%s.resources",
                                     RB_SOURCE_DIR, config);
    if (len < 0 || (size_t)len >= sizeof path)
        return rb_errf(e, RB_EINPUT, "fpga: resource summary path too long");
    FILE *f = fopen(path, "r");
    if (!f)
        return rb_errf(
            e, RB_EUNAVAIL,
            "fpga: no synthesis summary for '%s' (%s: %s); run targets/fpga/synth/synth.sh %s",
            config, path, strerror(errno), config);
    char line[512];
    int n = 0, lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strcspn(line, "\r\n");
        line[l] = 0;
        if (params && !strncmp(line, "params=", 7) && strcmp(line + 7, params)) {
            rc = rb_errf(e, RB_EUNAVAIL,
                         "fpga: %s was synthesized for other hardware (%s), not this build's; "
                         "RB_SYNTH_PARAMS='%s' targets/fpga/synth/synth.sh %s DIR, then "
                         "RB_FPGA_SYNTH_DIR=DIR",
                         path, line + 7, params, config);
            break;
        }
        const char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq || !upper_key(line, (size_t)(eq - line)))
            continue; /* comments and provenance (lower-case keys) */
        char *end;
        errno = 0;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || errno || v < 0 || (size_t)(eq - line) >= sizeof out->name)
            rc = rb_errf(e, RB_EINPUT, "%s:%d: not a resource count: '%s'", path, lineno, line);
        else if (n >= max)
            rc = rb_errf(e, RB_EINPUT, "%s: more than %d resource counts", path, max);
        else {
            rb_metric *m = &out[n++];
            memset(m, 0, sizeof *m);
            memcpy(m->name, line, (size_t)(eq - line));
            m->value = v;
            snprintf(m->source, sizeof m->source, "synthesized");
        }
    }
    fclose(f);
    if (!rc && n == 0)
        rc = rb_errf(e, RB_EINPUT, "%s: no resource counts (KEY=number lines)", path);
    return rc ? rc : n;
}

static double count_of(const rb_metric *res, int n, const char *name, int *found)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(res[i].name, name)) {
            if (found)
                *found = 1;
            return res[i].value;
        }
    return 0.0;
}

double rb_fpga_power_w(const rb_metric *res, int n, double clock_mhz, double activity, char *how,
                       size_t howlen)
{
    if ((n > 0 && !res) || n < 0 || !(clock_mhz > 0) || !(activity >= 0 && activity <= 1))
        return -1.0;
    /* A URAM count is only written for families that have UltraRAM. */
    int ultrascale = 0;
    count_of(res, n, "URAM", &ultrascale);
    const fpga_class *cls = ultrascale ? &k_xcup : &k_xc7;
    double uw_per_mhz = 0.0;
    for (size_t i = 0; i < sizeof cls->coef / sizeof cls->coef[0]; i++) {
        const fpga_coef *c = &cls->coef[i];
        uw_per_mhz += count_of(res, n, c->name, NULL) * (c->k + activity * c->c);
    }
    double dyn = uw_per_mhz * clock_mhz * 1e-6;
    if (how && howlen)
        snprintf(how, howlen,
                 "model: %.3g W static + %.3g W dyn, %s %g MHz %g%% toggle; coef. published+est.",
                 cls->static_w, dyn, cls->name, clock_mhz, activity * 100.0);
    return cls->static_w + dyn;
}
