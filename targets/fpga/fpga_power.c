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
 *         its routing included (routing is most of FPGA dynamic power [TCAD05]);
 *   k_r   power per MHz that does not depend on the data: the clock tree
 *         driving each flip-flop, which toggles every cycle whatever the data.
 *
 * Sources (the figures a reader can check):
 *   [UG440]  Xilinx Power Estimator User Guide, UG440 (v2020.2 and 2023.2),
 *            "Using the Logic Sheet": the default Toggle Rate of 12.5 % and
 *            Average Fanout of 3 "are based on an average extracted from a
 *            suite of customer designs"; "Using the DSP Sheet": random data
 *            toggles about 38 %, scaled by the clock-enable rate; "Design
 *            Static Power": block RAM and UltraRAM are power gated and add
 *            static power only when used, logic, DSP and clocks are part of
 *            the device static power.
 *   [UG1275] XPE User Guide for Versal (v2020.2), "Logic": toggle rate is
 *            "the percentage of clock cycles where a transition occurs. The
 *            default value of 12.5% means one transition every eight cycles".
 *   [DS187]  Zynq-7000 SoC Data Sheet: DC and AC Switching Characteristics,
 *            recommended operating conditions: VCCINT = 1.00 V nominal (the
 *            7-series fabric; DS181/DS182 give the same for Artix/Kintex-7).
 *   [DS923]  Virtex UltraScale+ FPGA Data Sheet: DC and AC Switching
 *            Characteristics (v1.20, 2024): VCCINT = 0.85 V for -2/-1 speed
 *            grades (0.90 V for -3, 0.72 V for -2L).
 *   [TCAD05] F. Li, Y. Lin, L. He, D. Chen, J. Cong, "Power Modeling and
 *            Characteristics of Field Programmable Gate Arrays", IEEE TCAD
 *            24(11):1712-1724, Nov. 2005: dynamic power is sum(a C V^2 f),
 *            interconnect power is dominant and leakage is significant.
 *
 * What is NOT a published figure: the per-unit coefficients c_r, k_r and the
 * static powers below are engineering estimates, chosen so that the model
 * lands where Xilinx's estimator typically puts designs of this size (a few
 * uW per LUT and about a milliwatt per block RAM at 100 MHz and the default
 * toggle rate, a Zynq-7020's fabric idling near 0.1 W, a VU13P-class die at a
 * few watts).  Xilinx does not publish XPE's per-resource tables; replace
 * these by an XPE or Vivado report_power run on a real part when one is
 * available.  The 7-series -> UltraScale+ scaling uses the published supply
 * voltages (V^2: (0.85/1.00)^2 = 0.7225, [DS187], [DS923]) times an estimated
 * 0.7 for the smaller switched capacitance of 16 nm FinFET vs 28 nm HPL
 * (estimate).  synth/README.md has the table. */
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

/* 7 series (28 nm HPL, VCCINT 1.00 V [DS187]).  All values: engineering
 * estimates, see the header comment.
 *   LUT    0.40 uW/MHz at 100 %: 5 uW per LUT at 100 MHz and 12.5 % [UG440]
 *          default toggle, fanout-3 routing included [TCAD05].
 *   FF     0.10 uW/MHz data + 0.015 uW/MHz clock load (every cycle).
 *   DSP    20 uW/MHz at 100 %: 0.25 mW per DSP48E1 at 100 MHz, 12.5 %.
 *   BRAM36 60 uW/MHz at 100 %: 0.75 mW per 36 Kb block at 100 MHz, 12.5 %
 *          (enable and data activity folded into one activity).
 *   static 0.12 W: fabric (PL) device static of a Zynq-7020 / Artix-7 class
 *          part at room temperature, estimate (block RAM static, power gated
 *          per [UG440], is folded in: the small configuration uses most of
 *          them). */
static const fpga_class k_xc7 = {
    "7-series",
    0.12,
    {{"LUT", 0.0, 0.40}, {"FF", 0.015, 0.10}, {"DSP", 0.0, 20.0}, {"BRAM36", 0.0, 60.0},
     {"URAM", 0.0, 0.0}}};

/* UltraScale+ (16 nm FinFET, VCCINT 0.85 V [DS923]): the 7-series
 * coefficients x 0.7225 (V^2, published voltages) x 0.7 (capacitance,
 * estimate) = x 0.506, rounded; UltraRAM has no 7-series counterpart:
 *   URAM   80 uW/MHz at 100 %: an access to a 288 Kb UltraRAM estimated at
 *          about 5x a 36 Kb block RAM's at the same node (72-bit ports, 8x
 *          the bits; estimate).
 *   static 3.0 W: device static of a VU13P-class die (an Alveo U250's part)
 *          at typical junction temperature, estimate. */
static const fpga_class k_xcup = {
    "UltraScale+",
    3.0,
    {{"LUT", 0.0, 0.20}, {"FF", 0.0075, 0.05}, {"DSP", 0.0, 10.0}, {"BRAM36", 0.0, 30.0},
     {"URAM", 0.0, 80.0}}};

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

int rb_fpga_resources(const char *config, rb_metric *out, int max, rb_err *e)
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
        return rb_errf(e, RB_EUNAVAIL,
                       "fpga: no synthesis summary for '%s' (%s: %s); run targets/fpga/synth/synth.sh %s",
                       config, path, strerror(errno), config);
    char line[512];
    int n = 0, lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strcspn(line, "\r\n");
        line[l] = 0;
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
        snprintf(how, howlen, "model: %.3g W static + %.3g W dyn, %s %g MHz %g%% toggle, est. coef. fpga_power.c",
                 cls->static_w, dyn, cls->name, clock_mhz, activity * 100.0);
    return cls->static_w + dyn;
}
