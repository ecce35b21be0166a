/* report_util.c — small things every report writer needs. */
#include "report_util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_rep_same_curve(const rb_rep_accuracy *a, const rb_rep_accuracy *b)
{
    return !strcmp(a->phase, b->phase) && !strcmp(a->task, b->task) &&
           !strcmp(a->model, b->model) && !strcmp(a->target, b->target) &&
           !strcmp(a->split, b->split);
}

int rb_rep_ok(const rb_rep_result *r) { return !strcmp(r->status, "ok"); }

double rb_rep_energy_per_seq(const rb_rep_result *r)
{
    return isfinite(r->energy_j) && r->w.batch > 0 ? r->energy_j / r->w.batch : NAN;
}

double rb_rep_power_w(const rb_rep_result *r)
{
    return isfinite(r->energy_j) && r->median_ms > 0 ? r->energy_j / (r->median_ms * 1e-3) : NAN;
}

const rb_rank_entry *rb_rep_entry_of(const rb_recommendation *rec, size_t result)
{
    if (!rec)
        return NULL;
    /* workloads are consecutive ranges of results: find the range, then the entry */
    size_t lo = 0, hi = rec->n_workloads;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const rb_workload_rec *w = &rec->w[mid];
        if (result < w->first)
            hi = mid;
        else if (result >= w->first + w->count)
            lo = mid + 1;
        else {
            for (size_t i = 0; i < w->count; i++)
                if (w->entries[i].result == result)
                    return &w->entries[i];
            return NULL;
        }
    }
    return NULL;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rb_rep_metric_names(const rb_report *r, const char ***out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_results; i++)
        n += (size_t)r->results[i].n_metrics;
    const char **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < r->n_results; i++)
        for (int j = 0; j < r->results[i].n_metrics; j++)
            all[k++] = r->results[i].metrics[j].name;
    if (k > 1)
        qsort(all, k, sizeof *all, by_str);
    size_t d = 0;
    for (size_t i = 0; i < k; i++)
        if (d == 0 || strcmp(all[d - 1], all[i]))
            all[d++] = all[i];
    *out = all;
    return (int)d;
}

double rb_rep_metric_value(const rb_rep_result *r, const char *name)
{
    for (int i = 0; i < r->n_metrics; i++)
        if (!strcmp(r->metrics[i].name, name))
            return r->metrics[i].value;
    return NAN;
}

void rb_rep_schedule_note(const rb_rep_result *r, char *buf, size_t n)
{
    double hoisted = rb_rep_metric_value(r, "schedule_hoisted"),
           other = rb_rep_metric_value(r, "schedule_auto_other_cycles"),
           cycles = rb_rep_metric_value(r, "cycles");
    buf[0] = '\0';
    if (!isfinite(hoisted))
        return;
    const char *mine = hoisted > 0 ? "hoisted" : "fused", *alt = hoisted > 0 ? "fused" : "hoisted";
    if (isfinite(other) && isfinite(cycles))
        snprintf(buf, n, "%s schedule, picked by auto: %.3g cycles, %s %.3g", mine, cycles, alt,
                 other);
    else
        snprintf(buf, n, "%s schedule", mine);
}

/* x rounded to a whole number, ties to even (as printf rounds an exact tie) */
static unsigned long long round_even(long double x)
{
    long double f = floorl(x), r = x - f;
    unsigned long long n = (unsigned long long)f;
    return n + (r > 0.5L || (r == 0.5L && (n & 1)));
}

/* digits of n (> 0) backwards from end; returns the first */
static char *utoa_back(unsigned long long n, char *end)
{
    do
        *--end = (char)('0' + n % 10);
    while ((n /= 10));
    return end;
}

const char *rb_rep_fmt(double v, char *buf)
{
    /* 10^k, exact in long double for 0 <= k <= 27 (5^27 < 2^63) */
    static const long double p10[28] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                        1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                        1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                        1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    if (!isfinite(v)) {
        buf[0] = 0;
        return buf;
    }
    double a = fabs(v);
    if (a == floor(a) && a < 1e10) { /* whole numbers that %.10g prints whole */
        char t[32], *p = utoa_back((unsigned long long)a, t + 31);
        t[31] = 0;
        if (signbit(v)) /* -0 too, as printf */
            *--p = '-';
        return strcpy(buf, p);
    }
    int e = a > 0 ? (int)floor(log10(a)) : 0;
    if (a == 0 || e < -9 || e > 17) {
        snprintf(buf, 32, "%.10g", v);
        return buf;
    }
    /* m = a rounded to 10 significant digits, 1e9 <= m < 1e10 */
    long double scaled = 9 - e >= 0 ? (long double)a * p10[9 - e] : (long double)a / p10[e - 9];
    unsigned long long m = round_even(scaled);
    if (m >= 10000000000ull) { /* rounded up to the next decade, or log10 was one low */
        e++;
        scaled = 9 - e >= 0 ? (long double)a * p10[9 - e] : (long double)a / p10[e - 9];
        m = round_even(scaled);
    } else if (m < 1000000000ull) { /* log10 was one high */
        e--;
        scaled = 9 - e >= 0 ? (long double)a * p10[9 - e] : (long double)a / p10[e - 9];
        m = round_even(scaled);
    }
    char d[16], *q = utoa_back(m, d + 15); /* exactly 10 digits */
    d[15] = 0;
    int nd = 10;
    while (nd > 1 && q[nd - 1] == '0') /* %g drops trailing zeros */
        nd--;
    char *o = buf;
    if (v < 0)
        *o++ = '-';
    if (e < -4 || e >= 10) { /* d.ddde+XX */
        *o++ = q[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, q + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        snprintf(o, 8, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e >= 0) { /* ddd.ddd */
        memcpy(o, q, (size_t)e + 1);
        o += e + 1;
        if (nd > e + 1) {
            *o++ = '.';
            memcpy(o, q + e + 1, (size_t)(nd - e - 1));
            o += nd - e - 1;
        }
        *o = 0;
    } else { /* 0.000ddd */
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -e - 1; z++)
            *o++ = '0';
        memcpy(o, q, (size_t)nd);
        o[nd] = 0;
    }
    return buf;
}

void rb_rep_num(FILE *f, double v)
{
    char t[32];
    fputs(rb_rep_fmt(v, t), f);
}

const char *rb_rep_energy_kind(const rb_rep_result *r)
{
    if (!r->energy_source[0] || !isfinite(r->energy_j))
        return "none";
    return !strcmp(r->energy_source, "model")  ? "modeled"
           : !strcmp(r->energy_source, "user") ? "user"
                                               : "measured";
}

int rb_rep_fig_column(int i) { return rb_figure_table[i].label && !rb_figure_table[i].joins; }

void rb_rep_fig_header(int i, char *buf, size_t n)
{
    const rb_figdef *d = &rb_figure_table[i];
    if (d->unit[0] && strcmp(d->unit, d->label))
        snprintf(buf, n, "%s (%s)", d->label, d->unit);
    else
        snprintf(buf, n, "%s", d->label);
}

static int fig_digits(int i) { return rb_figure_table[i].digits ? rb_figure_table[i].digits : 4; }

int rb_natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t na = 0, nb = 0;
            while (isdigit((unsigned char)a[na]))
                na++;
            while (isdigit((unsigned char)b[nb]))
                nb++;
            if (na != nb) /* more digits, a larger number */
                return na < nb ? -1 : 1;
            int c = strncmp(a, b, na);
            if (c)
                return c;
            a += na;
            b += nb;
        } else if (*a != *b) {
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        } else {
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

void rb_rep_noise_cell(const rb_rep_result *x, const char *dash, char *buf, size_t n)
{
    double v = strcmp(x->latency_source, "measured")
                   ? NAN
                   : rb_noise_rel(x->ci_lo_ms, x->ci_hi_ms, x->median_ms);
    if (!isfinite(v))
        snprintf(buf, n, "%s", dash);
    else
        snprintf(buf, n, "%.2g%%%s", 100 * v, v > RB_NOISY_REL ? " noisy" : "");
}

void rb_rep_fig_cell(const rb_rep_result *x, int i, const char *dash, char *buf, size_t n)
{
    double v = x->fig[i];
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", dash);
        return;
    }
    size_t at = (size_t)snprintf(buf, n, "%.*g", fig_digits(i), v);
    char note[48];
    if (!rb_figure_supported(i, x->reps, strcmp(x->latency_source, "measured") != 0, note,
                             sizeof note) &&
        at < n)
        at += (size_t)snprintf(buf + at, n - at, " (%s)", note);
    for (int j = i + 1; j < RB_N_FIGURES && rb_figure_table[j].joins && at < n; j++) {
        double w = x->fig[j];
        if (!isfinite(w))
            continue;
        if (rb_figure_table[j].joins == 1)
            at += (size_t)snprintf(buf + at, n - at, " %s %.*g", dash, fig_digits(j), w);
        else
            at += (size_t)snprintf(buf + at, n - at, " (%.*g)", fig_digits(j), w);
    }
}

void rb_md_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        if (*s == '|')
            fputs("\\|", f);
        else if ((unsigned char)*s < 0x20 || *s == 0x7f)
            fputc(' ', f); /* a newline would end the row; ESC and BEL reach terminals */
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
}

void rb_term_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

void rb_html_td_num(FILE *f, double v, const char *fmt)
{
    fputs("<td class=\"num\">", f);
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("&#8211;", f);
    fputs("</td>", f);
}
