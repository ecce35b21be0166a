/* figure_table.c — the table of figure_table.h, and lookups in it. */
#include "figure_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RB_FIG_DEF_(name_, ...) {.name = #name_, __VA_ARGS__},
const rb_figdef rb_figure_table[RB_N_FIGURES] = {RB_FIGURES(RB_FIG_DEF_)};
#undef RB_FIG_DEF_

/* A struct of doubles is laid out as an array of them: the union that lets
 * x->median_ms and x->fig[RB_FIG_median_ms] name one value relies on it. */
typedef struct {
    RB_FIGURE_FIELDS;
} figures_check;
_Static_assert(sizeof(figures_check) == RB_N_FIGURES * sizeof(double),
               "figure fields are an array of doubles");

int rb_figure_find(const char *name, int aliases)
{
    for (int i = 0; i < RB_N_FIGURES; i++) {
        const rb_figdef *d = &rb_figure_table[i];
        if (!strcmp(d->name, name) || (aliases && d->alias && !strcmp(d->alias, name)))
            return i;
    }
    return -1;
}

int rb_figure_supported(int i, int n, int deterministic, char *note, size_t len)
{
    const rb_figdef *d = &rb_figure_table[i];
    double q = d->q, tail = q < 0.5 ? q : 1 - q;
    if (note && len)
        note[0] = '\0';
    /* the median of any sample is a median; min and max are what they say */
    if (deterministic || d->from != RB_FROM_QUANTILE || tail <= 0 || q == 0.5 ||
        n * tail >= 1 - 1e-9)
        return 1;
    if (note)
        snprintf(note, len, "\u2248 %s, n = %d", q > 0.5 ? "max" : "min", n);
    return 0;
}

double rb_noise_rel(double ci_lo, double ci_hi, double median)
{
    return median > 0 && ci_hi >= ci_lo ? (ci_hi - ci_lo) / median : NAN;
}

void rb_figures_clear(double *fig)
{
    for (int i = 0; i < RB_N_FIGURES; i++)
        fig[i] = NAN;
}
