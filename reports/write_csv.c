/* write_csv.c — `rnnbench report --csv`: one row per result with every
 * stored figure (RFC 4180; README.md "Reports" lists the columns).  The
 * metrics a target stored become one column each, `m:NAME`, so a
 * spreadsheet sees every figure; their units and sources are in --json. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"

void rb_csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    int formula = *s && strchr("=+-@\t\r", *s);
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}


/* Then every figure of the table (figure_table.h), then k_tail. */
static const char k_head[] = "run_id,label,target,device,device_type,method,workload,cell,mode,"
                             "seq,batch,input,hidden,layers,input_proj,flops,numerics,status,reps";
static const char k_tail[] = "energy_per_seq_j,power_w,latency_source,energy_source,energy_boundary,"
                             "objective,objective_value,rank,tie,eligible,reason,message";

int rb_report_write_csv(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e)
{
    const char **names = NULL;
    int nm = rb_rep_metric_names(r, &names);
    if (nm < 0)
        return rb_errf(e, RB_ENOMEM, "report: out of memory");
    fputs(k_head, f);
    for (int i = 0; i < RB_N_FIGURES; i++)
        fprintf(f, ",%s", rb_figure_table[i].name);
    fprintf(f, ",%s", k_tail);
    for (int i = 0; i < nm; i++) {
        fputs(",m:", f);
        fputs(names[i], f);
    }
    fputs("\r\n", f);
    for (size_t i = 0; i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        const rb_rep_device *d = &r->devices[x->device];
        const rb_rank_entry *en = rb_rep_entry_of(rec, i);
        fprintf(f, "%lld,", d->run_id);
        rb_csv_field(f, d->run_label);
        fputc(',', f);
        rb_csv_field(f, d->target);
        fputc(',', f);
        rb_csv_field(f, d->name);
        fputc(',', f);
        rb_csv_field(f, d->type);
        fputc(',', f);
        rb_csv_field(f, d->method);
        fprintf(f, ",%s,%s,%s,%d,%d,%d,%d,%d,%d,", x->w.key, rb_cell_name(x->w.cell),
                rb_mode_name(x->w.mode), x->w.seq, x->w.batch, x->w.input, x->w.hidden, x->w.layers,
                x->w.input_proj);
        rb_rep_num(f, x->flops);
        fputc(',', f);
        rb_csv_field(f, x->numerics);
        fprintf(f, ",%s,%d", x->status, x->reps);
        for (int k = 0; k < RB_N_FIGURES; k++) {
            fputc(',', f);
            rb_rep_num(f, x->fig[k]);
        }
        fputc(',', f);
        rb_rep_num(f, rb_rep_energy_per_seq(x));
        fputc(',', f);
        rb_rep_num(f, rb_rep_power_w(x));
        fprintf(f, ",%s,%s,", x->latency_source, x->energy_source);
        rb_csv_field(f, x->energy_boundary);
        fputc(',', f);
        fprintf(f, "%s,", rec ? rb_objective_name(rec->opts.objective) : "");
        if (en) {
            rb_rep_num(f, en->value);
            fprintf(f, ",%d,%d,%d,", en->rank, en->tie, en->eligible);
            rb_csv_field(f, en->reason);
        } else {
            fputs(",,,,", f);
        }
        fputc(',', f);
        rb_csv_field(f, x->message);
        for (int k = 0; k < nm; k++) {
            fputc(',', f);
            rb_rep_num(f, rb_rep_metric_value(x, names[k]));
        }
        fputs("\r\n", f);
    }
    free(names);
    return ferror(f) ? rb_errf(e, RB_ERUNTIME, "report: writing the CSV failed") : 0;
}
