/* fpga_resmodel.h — the fpga accelerator's resources as a function of its
 * parameters, fitted to Yosys syntheses (targets/fpga/synth/sweep/, made by
 * sweep.sh): what `rnnbench explore` estimates a candidate's cost with
 * before any synthesis of it (issue 21).
 *
 * Each resource is linear in five features of the parameters: 1, LANES,
 * LANES x DATA_W (the multipliers and their pipelines), DATA_W, and
 * WMEM_WORDS x DATA_W / 36 Kib (the weight memory in block-RAM units).
 * Least squares over the summaries in a directory; the fit's own largest
 * relative error per resource is kept, to be said beside every estimate.
 * The other memories (XMEM_WORDS, YMEM_WORDS) are not features: the sweep
 * holds them at `small`'s, and a configuration with more of them gets
 * more block RAM than the estimate (small8's 32 Ki: 8 % more). */
#ifndef RB_FPGA_RESMODEL_H
#define RB_FPGA_RESMODEL_H

#include "../../workloads/rb_err.h"

enum { RB_RES_LUT, RB_RES_FF, RB_RES_DSP, RB_RES_BRAM36, RB_RES_LUTRAM, RB_RES_CARRY, RB_NRES };
#define RB_RESMODEL_FEATURES 5

/* The parameters the model reads (as in RB_FPGA_PARAMS). */
typedef struct rb_fpga_shape {
    double lanes, data_w, wmem_words;
} rb_fpga_shape;

typedef struct rb_fpga_resmodel {
    double coef[RB_NRES][RB_RESMODEL_FEATURES];
    double max_rel_err[RB_NRES]; /* over the syntheses it was fitted to */
    int n;                       /* syntheses fitted */
} rb_fpga_resmodel;

/* The names of the resources, as the summaries and the resources table have them. */
extern const char *const rb_fpga_res_names[RB_NRES];

/* Fit m to every *.resources summary in dir.  RB_EINPUT naming the file
 * when one is malformed, or when there are too few (or they do not vary
 * enough) to fit. */
int rb_fpga_resmodel_fit(const char *dir, rb_fpga_resmodel *m, rb_err *e);
/* Read a summary's parameters and resources (NaN where it has none). */
int rb_fpga_summary_read(const char *path, rb_fpga_shape *p, double res[RB_NRES], rb_err *e);
/* The estimate of resource r for parameters p. */
double rb_fpga_resmodel_predict(const rb_fpga_resmodel *m, const rb_fpga_shape *p, int r);

#endif
