/* report.c — the report's rows: freeing them, and the table of writers. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

void rb_report_free(rb_report *r)
{
    if (!r)
        return;
    free(r->run.label);
    free(r->run.git_sha);
    free(r->run.version);
    free(r->run.command_line);
    free(r->run.host_json);
    free(r->run.warnings_json);
    for (int i = 0; r->devices && i < r->n_devices; i++) {
        free(r->devices[i].extra_json);
        free(r->devices[i].resources);
    }
    free(r->devices);
    for (int i = 0; r->missing && i < r->n_missing; i++)
        free(r->missing[i].why);
    free(r->missing);
    for (size_t i = 0; r->results && i < r->n_results; i++) {
        free(r->results[i].message);
        free(r->results[i].metrics);
        free(r->results[i].samples);
        free(r->results[i].load);
    }
    free(r->results);
    free(r->accuracy);
    free(r->history);
    memset(r, 0, sizeof *r);
}

const rb_report_writer rb_report_writers[] = {
    {"html", rb_report_write_html, "one self-contained page: the decision, charts, tables"},
    {"md", rb_report_write_md, "a summary for a CI job or a pull-request comment"},
    {"csv", rb_report_write_csv, "one row per result with every stored figure"},
    {"json", rb_report_write_json,
     "one object per result with every stored figure, and the decision"},
    {0, 0, 0},
};

const rb_report_writer *rb_report_writer_find(const char *name)
{
    for (const rb_report_writer *w = rb_report_writers; name && w->name; w++)
        if (!strcmp(w->name, name))
            return w;
    return NULL;
}
