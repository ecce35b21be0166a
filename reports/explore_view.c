/* explore_view.c — an explore run's candidates from the stored rows
 * (explore_view.h). */
#include "explore_view.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"

static void text(const cJSON *o, const char *key, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int flag(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int by_latency(const void *a, const void *b)
{
    const rb_xview_row *x = a, *y = b;
    return (x->lat_ms > y->lat_ms) - (x->lat_ms < y->lat_ms);
}

int rb_xview_of(const rb_report *r, rb_xview *v, rb_err *e)
{
    memset(v, 0, sizeof *v);
    v->slo_ms = v->qps = NAN;
    v->chosen = v->near_miss = -1;
    if (r->n_devices && !(v->rows = calloc((size_t)r->n_devices, sizeof *v->rows)))
        return rb_errf(e, RB_ENOMEM, "out of memory");
    for (int d = 0; d < r->n_devices; d++) {
        cJSON *j = r->devices[d].extra_json ? cJSON_Parse(r->devices[d].extra_json) : NULL;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "explore");
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(j);
            continue;
        }
        rb_xview_row *w = &v->rows[v->n++];
        w->device = d;
        w->power_w = r->devices[d].power_w;
        w->util = num(o, "utilization");
        w->area_mm2 = num(o, "area_mm2");
        w->accuracy = num(o, "accuracy");
        w->accuracy_fp64 = num(o, "accuracy_fp64");
        v->has_accuracy |= isfinite(w->accuracy);
        text(o, "utilization_of", w->util_of, sizeof w->util_of);
        text(o, "cycles", w->cycles, sizeof w->cycles);
        text(o, "resources", w->resources, sizeof w->resources);
        text(o, "summary", w->summary, sizeof w->summary);
        text(o, "note", w->note, sizeof w->note);
        w->front = flag(o, "front");
        w->chosen = flag(o, "chosen");
        w->near_miss = flag(o, "near_miss");
        w->meets = flag(o, "meets");
        v->slo_ms = num(o, "slo_ms");
        v->qps = num(o, "qps");
        text(o, "part", v->part, sizeof v->part);
        text(o, "objective", v->objective, sizeof v->objective);
        cJSON_Delete(j);
        w->lat_ms = NAN;
        for (size_t i = 0; i < r->n_results; i++) {
            const rb_rep_result *x = &r->results[i];
            double t = isfinite(x->p99_ms) ? x->p99_ms : x->median_ms;
            if (x->device == d && rb_rep_ok(x) && isfinite(t) && !(t <= w->lat_ms))
                w->lat_ms = t;
        }
    }
    qsort(v->rows, (size_t)v->n, sizeof *v->rows, by_latency);
    for (int i = 0; i < v->n; i++) {
        if (v->rows[i].chosen)
            v->chosen = i;
        if (v->rows[i].near_miss)
            v->near_miss = i;
    }
    return 0;
}

void rb_xview_free(rb_xview *v)
{
    free(v->rows);
    memset(v, 0, sizeof *v);
}
