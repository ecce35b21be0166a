/* fpga_power.h — the fpga target's synthesized resources and modeled power.
 *
 * Resources come from the Yosys summaries committed in targets/fpga/synth/
 * (<config>.resources, written by synth.sh); power is a documented model of
 * those resources at a clock and a switching activity (fpga_power.c has the
 * formula and a citation for every coefficient; synth/README.md the table).
 * Plain C, independent of Verilator: it only reads text files. */
#ifndef RB_FPGA_POWER_H
#define RB_FPGA_POWER_H

#include <stddef.h>

#include "../target.h"

/* Xilinx Power Estimator's default toggle rate (UG440): the activity to use
 * when nothing better is known. */
#define RB_FPGA_DEFAULT_ACTIVITY 0.125

/* Fill out[0..max) with the resource counts of configuration `config`
 * ("small", "large", "small8") from <dir>/<config>.resources, dir =
 * $RB_FPGA_SYNTH_DIR or RB_SOURCE_DIR/targets/fpga/synth: names "LUT",
 * "LUTRAM", "FF", "DSP", "BRAM36", "URAM", "CARRY" in file order, unit "",
 * source "synthesized".  params (may be NULL): the hardware parameters the
 * caller simulates, "DATA_W=16 FRAC=12 LANES=16 ..." as synth.sh writes them;
 * a summary synthesized for others (a -DRB_FPGA_* rebuild) describes other
 * hardware and is refused.  Returns how many were filled, or RB_EUNAVAIL (no
 * such file, or other parameters: run synth.sh) / RB_EINPUT (malformed file,
 * bad config name) with a message in e. */
int rb_fpga_resources(const char *config, const char *params, rb_metric *out, int max, rb_err *e);

/* Modeled power in watts of a design with these resources clocked at
 * clock_mhz with switching activity `activity` (fraction of cycles a signal
 * toggles, 0..1; RB_FPGA_DEFAULT_ACTIVITY when unknown):
 *     P = P_static + f_MHz * activity * sum_r count_r * c_r
 * The part class (static power, coefficients) is chosen by the resources:
 * UltraRAM present means UltraScale+, otherwise 7 series.  how (may be NULL)
 * gets a one-line description for rb_device_info.power_source.  Returns a
 * negative value for invalid arguments (clock <= 0, activity outside 0..1). */
double rb_fpga_power_w(const rb_metric *res, int n, double clock_mhz, double activity, char *how,
                       size_t howlen);

#endif
