/* fpga_resmodel.c — least squares of the fpga's resources on its
 * parameters (fpga_resmodel.h). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/linsolve.h"
#include "fpga_resmodel.h"

const char *const rb_fpga_res_names[RB_NRES] = {"LUT", "FF", "DSP", "BRAM36", "LUTRAM", "CARRY"};

static void features(const rb_fpga_shape *p, double f[RB_RESMODEL_FEATURES])
{
    f[0] = 1;
    f[1] = p->lanes;
    f[2] = p->lanes * p->data_w;
    f[3] = p->data_w;
    f[4] = p->wmem_words * p->data_w / 36864.0;
}

/* "NAME=value" in a space-separated list: the value, NaN when absent. */
static double param(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = list; (s = strstr(s, name)); s += n)
        if ((s == list || s[-1] == ' ') && s[n] == '=')
            return strtod(s + n + 1, NULL);
    return NAN;
}

int rb_fpga_summary_read(const char *path, rb_fpga_shape *p, double res[RB_NRES], rb_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: cannot read it", path);
    char line[1024], params[1024] = "";
    for (int r = 0; r < RB_NRES; r++)
        res[r] = NAN;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = 0;
        if (!strcmp(line, "params"))
            snprintf(params, sizeof params, "%s", eq + 1);
        for (int r = 0; r < RB_NRES; r++)
            if (!strcmp(line, rb_fpga_res_names[r]))
                res[r] = strtod(eq + 1, NULL);
    }
    fclose(f);
    p->lanes = param(params, "LANES");
    p->data_w = param(params, "DATA_W");
    p->wmem_words = param(params, "WMEM_WORDS");
    if (!(p->lanes > 0 && p->data_w > 0 && p->wmem_words > 0))
        return rb_errf(e, RB_EINPUT, "%s: no params= line with LANES, DATA_W and WMEM_WORDS", path);
    return 0;
}

#define MAX_SUMMARIES 256
_Static_assert(RB_RESMODEL_FEATURES <= RB_LINSOLVE_MAX, "rb_linsolve's rows are too short");

int rb_fpga_resmodel_fit(const char *dir, rb_fpga_resmodel *m, rb_err *e)
{
    memset(m, 0, sizeof *m);
    DIR *d = opendir(dir);
    if (!d)
        return rb_errf(e, RB_EINPUT,
                       "%s: no directory of syntheses (targets/fpga/synth/sweep.sh "
                       "makes it)",
                       dir);
    rb_fpga_shape p[MAX_SUMMARIES];
    double y[MAX_SUMMARIES][RB_NRES];
    struct dirent *de;
    int n = 0, rc = 0;
    while ((de = readdir(d)) && n < MAX_SUMMARIES && !rc) {
        size_t l = strlen(de->d_name);
        if (l < 11 || strcmp(de->d_name + l - 10, ".resources"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        rc = rb_fpga_summary_read(path, &p[n], y[n], e);
        n += !rc;
    }
    closedir(d);
    if (rc)
        return rc;
    if (n < 2 * RB_RESMODEL_FEATURES)
        return rb_errf(e, RB_EINPUT,
                       "%s: %d syntheses, too few to fit %d coefficients per resource", dir, n,
                       RB_RESMODEL_FEATURES);
    for (int r = 0; r < RB_NRES; r++) {
        /* the normal equations (X'X) c = X'y, on the summaries that have r */
        double a[RB_RESMODEL_FEATURES][RB_LINSOLVE_MAX] = {{0}}, b[RB_RESMODEL_FEATURES] = {0};
        for (int i = 0; i < n; i++) {
            if (!isfinite(y[i][r]))
                continue;
            double f[RB_RESMODEL_FEATURES];
            features(&p[i], f);
            for (int j = 0; j < RB_RESMODEL_FEATURES; j++) {
                b[j] += f[j] * y[i][r];
                for (int k = 0; k < RB_RESMODEL_FEATURES; k++)
                    a[j][k] += f[j] * f[k];
            }
        }
        /* singular at the matrix's own scale (the features are not scaled) */
        double big = 0;
        for (int j = 0; j < RB_RESMODEL_FEATURES; j++)
            big = fmax(big, a[j][j]);
        if (rb_linsolve(RB_RESMODEL_FEATURES, a, b, 1e-9 * big))
            return rb_errf(e, RB_EINPUT,
                           "%s: the syntheses do not vary lanes, format and weight memory enough "
                           "to fit %s",
                           dir, rb_fpga_res_names[r]);
        memcpy(m->coef[r], b, sizeof b);
        for (int i = 0; i < n; i++)
            if (isfinite(y[i][r]))
                m->max_rel_err[r] =
                    fmax(m->max_rel_err[r],
                         fabs(rb_fpga_resmodel_predict(m, &p[i], r) - y[i][r]) / fmax(y[i][r], 1));
    }
    m->n = n;
    return 0;
}

double rb_fpga_resmodel_predict(const rb_fpga_resmodel *m, const rb_fpga_shape *p, int r)
{
    double f[RB_RESMODEL_FEATURES], v = 0;
    features(p, f);
    for (int j = 0; j < RB_RESMODEL_FEATURES; j++)
        v += m->coef[r][j] * f[j];
    return v;
}
