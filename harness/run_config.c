#include "../workloads/utf8.h"
#include "run_config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void rb_workload_to_json(cJSON *o, const rb_workload *w)
{
    cJSON_AddStringToObject(o, "key", w->key);
    cJSON_AddStringToObject(o, "cell", rb_cell_name(w->cell));
    cJSON_AddStringToObject(o, "mode", rb_mode_name(w->mode));
    cJSON_AddNumberToObject(o, "seq", w->seq);
    cJSON_AddNumberToObject(o, "batch", w->batch);
    cJSON_AddNumberToObject(o, "input", w->input);
    cJSON_AddNumberToObject(o, "hidden", w->hidden);
    cJSON_AddNumberToObject(o, "layers", w->layers);
    cJSON_AddNumberToObject(o, "input_proj", w->input_proj);
    if (rb_workload_dirs(w) != 1)
        cJSON_AddNumberToObject(o, "dirs", rb_workload_dirs(w));
    if (w->features) {
        char f[128];
        cJSON_AddStringToObject(o, "features", rb_features_str(w->features, f, sizeof f));
    }
    if (w->model[0])
        cJSON_AddStringToObject(o, "model", w->model);
    if (w->serve.scenario) {
        const rb_serve_spec *v = &w->serve;
        cJSON *s = cJSON_AddObjectToObject(o, "serve");
        cJSON_AddStringToObject(s, "scenario", rb_scenario_name(v->scenario));
        cJSON_AddNumberToObject(s, "qps", v->qps);
        cJSON_AddNumberToObject(s, "streams", v->streams);
        cJSON_AddNumberToObject(s, "slo_ms", v->slo_us / 1000.0);
        cJSON_AddNumberToObject(s, "max_batch", v->max_batch);
        cJSON_AddNumberToObject(s, "batch_timeout_ms", v->timeout_us / 1000.0);
    }
}

char *rb_run_config_to_json(const rb_run_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "schema_version", 2);
    /* specs that make the same instances again */
    cJSON *t = cJSON_AddArrayToObject(o, "instances");
    char name[RB_INSTANCE_NAME_MAX];
    for (int i = 0; i < c->n_targets; i++)
        cJSON_AddItemToArray(
            t, cJSON_CreateString(rb_instance_spec(&c->targets[i], name, sizeof name)));
    cJSON_AddStringToObject(o, "source", c->source);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON *un = cJSON_AddObjectToObject(o, "unavailable");
    for (int i = 0; i < c->n_targets; i++)
        if (c->unavailable_why[i])
            cJSON_AddStringToObject(un, rb_instance_name(&c->targets[i], name, sizeof name),
                                    c->unavailable_why[i]);
    /* as a string: a JSON number (double) cannot hold every 64-bit seed */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON *m = cJSON_AddObjectToObject(o, "measure");
    cJSON_AddNumberToObject(m, "warmup", c->measure.warmup);
    cJSON_AddNumberToObject(m, "min_reps", c->measure.min_reps);
    cJSON_AddNumberToObject(m, "max_reps", c->measure.max_reps);
    cJSON_AddNumberToObject(m, "min_time_s", c->measure.min_time_s);
    cJSON_AddNumberToObject(m, "timeout_s", c->measure.timeout_s);
    cJSON_AddNumberToObject(m, "budget_s", c->measure.budget_s);
    cJSON_AddNumberToObject(m, "serve_duration_s", c->measure.serve_duration_s);
    cJSON_AddNumberToObject(m, "serve_min_queries", c->measure.serve_min_queries);
    cJSON_AddNumberToObject(m, "serve_threads", c->measure.serve_threads);
    /* imported models by path (absolute, so --resume finds them from
     * anywhere) and identity, which --resume checks */
    cJSON *models = cJSON_AddArrayToObject(o, "models");
    for (int i = 0; i < c->points.n_nets; i++) {
        cJSON *mo = cJSON_CreateObject();
        char abs[PATH_MAX];
        const char *path = c->points.net_path[i];
        cJSON_AddStringToObject(mo, "path", realpath(path, abs) ? abs : path);
        cJSON_AddStringToObject(mo, "id", c->points.nets[i].id);
        cJSON_AddItemToArray(models, mo);
    }
    if (c->shard.count) {
        /* which shard runs each (point, instance), point-major: merge lists
         * what a missing shard should have run */
        cJSON *sh = cJSON_AddObjectToObject(o, "shard");
        cJSON_AddNumberToObject(sh, "index", c->shard.index);
        cJSON_AddNumberToObject(sh, "count", c->shard.count);
        cJSON_AddStringToObject(sh, "plan", c->shard.plan);
        if (c->shard_owner)
            cJSON_AddItemToObject(sh, "owner",
                                  cJSON_CreateIntArray(c->shard_owner,
                                                       (int)c->points.n * c->n_targets));
    }
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (size_t i = 0; i < c->points.n; i++) {
        cJSON *p = cJSON_CreateObject();
        rb_workload_to_json(p, &c->points.points[i]);
        cJSON_AddItemToArray(pts, p);
    }
    char *s = rb_json_utf8(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return s;
}

static int get_int(const cJSON *o, const char *k, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        return -1;
    *out = v->valueint;
    return 0;
}

static int get_double(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        return -1;
    *out = v->valuedouble;
    return 0;
}

static int point_from_json(const cJSON *p, rb_workload *w)
{
    memset(w, 0, sizeof *w);
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(p, "cell"),
                *mode = cJSON_GetObjectItemCaseSensitive(p, "mode");
    int c = 0;
    c |= !cJSON_IsString(cell) || rb_cell_parse(cell->valuestring, &w->cell);
    c |= !cJSON_IsString(mode) || rb_mode_parse(mode->valuestring, &w->mode);
    c |= get_int(p, "seq", &w->seq) | get_int(p, "batch", &w->batch) |
         get_int(p, "input", &w->input) | get_int(p, "hidden", &w->hidden) |
         get_int(p, "layers", &w->layers) | get_int(p, "input_proj", &w->input_proj);
    if (c || w->seq < 1 || w->batch < 1 || w->input < 1 || w->hidden < 1 || w->layers < 1)
        return -1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(p, "model"),
                *feat = cJSON_GetObjectItemCaseSensitive(p, "features");
    if (get_int(p, "dirs", &w->dirs))
        w->dirs = 1;
    if (cJSON_IsString(model))
        snprintf(w->model, sizeof w->model, "%s", model->valuestring);
    for (unsigned bit = 1; cJSON_IsString(feat) && (bit & RB_FEAT_ALL); bit <<= 1)
        if (strstr(feat->valuestring, rb_feature_name(bit)))
            w->features |= bit;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(p, "serve");
    if (sv) {
        const cJSON *scn = cJSON_GetObjectItemCaseSensitive(sv, "scenario");
        rb_scenario k;
        double slo, to;
        if (!cJSON_IsString(scn) || rb_scenario_parse(scn->valuestring, &k) ||
            get_int(sv, "qps", &w->serve.qps) | get_int(sv, "streams", &w->serve.streams) |
                get_double(sv, "slo_ms", &slo) | get_int(sv, "max_batch", &w->serve.max_batch) |
                get_double(sv, "batch_timeout_ms", &to) ||
            w->serve.max_batch < 1)
            return -1;
        w->serve.scenario = k;
        w->serve.slo_us = (int)lround(slo * 1000);
        w->serve.timeout_us = (int)lround(to * 1000);
    }
    rb_workload_make_key(w);
    return 0;
}

int rb_run_config_from_json(rb_run_config *c, const char *json, rb_err *e)
{
    memset(c, 0, sizeof *c);
    cJSON *o = cJSON_Parse(json ? json : "");
    if (!o)
        return rb_errf(e, RB_EDB, "the run's stored configuration is not valid JSON");
    int rc = 0;
    const cJSON *it;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source"),
                *seed = cJSON_GetObjectItemCaseSensitive(o, "seed"),
                *m = cJSON_GetObjectItemCaseSensitive(o, "measure");
    if (cJSON_IsString(src))
        snprintf(c->source, sizeof c->source, "%s", src->valuestring);
    /* Instances by their specs; a run stored before instances
     * existed has target names and the shorthand flags as "target.key=value". */
    char list[2048] = "";
    rb_cli_topts topts = {0};
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "instances");
    if (!names)
        names = cJSON_GetObjectItemCaseSensitive(o, "targets");
    cJSON_ArrayForEach(it, names)
    {
        size_t l = strlen(list);
        if (cJSON_IsString(it))
            snprintf(list + l, sizeof list - l, "%s%s", l ? "," : "", it->valuestring);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "target_options"))
    {
        if (cJSON_IsString(it) && topts.n < RB_TARGET_MAX_OPTS)
            snprintf(topts.item[topts.n++], sizeof topts.item[0], "%s", it->valuestring);
    }
    if (list[0] && (rc = rb_cli_instances("stored targets", list, &topts, c->targets, &c->n_targets,
                                          RB_MAX_TARGETS, e))) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        rc = rb_errf(e, RB_EDB, "the run's stored targets cannot be used by this build: %s", why);
        goto out;
    }
    if (!cJSON_IsString(seed) || get_int(o, "threads", &c->threads) ||
        get_int(m, "warmup", &c->measure.warmup) || get_int(m, "min_reps", &c->measure.min_reps) ||
        get_int(m, "max_reps", &c->measure.max_reps) ||
        get_double(m, "min_time_s", &c->measure.min_time_s) ||
        get_double(m, "timeout_s", &c->measure.timeout_s) || !c->n_targets) {
        rc = rb_errf(e, RB_EDB, "the run's stored configuration is incomplete");
        goto out;
    }
    c->seed = strtoull(seed->valuestring, NULL, 10);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shard"),
                *plan = cJSON_GetObjectItemCaseSensitive(sh, "plan");
    if (sh && (get_int(sh, "index", &c->shard.index) || get_int(sh, "count", &c->shard.count) ||
               !cJSON_IsString(plan) || strlen(plan->valuestring) != 16 || c->shard.count < 1 ||
               c->shard.count > RB_SHARD_MAX || c->shard.index < 0 ||
               c->shard.index >= c->shard.count)) {
        rc = rb_errf(e, RB_EDB, "the run's stored shard is malformed");
        goto out;
    }
    if (sh)
        memcpy(c->shard.plan, plan->valuestring, 17);
    if (get_double(m, "budget_s", &c->measure.budget_s)) /* stored before --reps auto */
        c->measure.budget_s = 0;
    /* a run stored before serving scenarios has none of their settings */
    rb_measure_opts defaults = RB_MEASURE_DEFAULTS;
    if (get_double(m, "serve_duration_s", &c->measure.serve_duration_s) ||
        get_int(m, "serve_min_queries", &c->measure.serve_min_queries) ||
        get_int(m, "serve_threads", &c->measure.serve_threads)) {
        c->measure.serve_duration_s = defaults.serve_duration_s;
        c->measure.serve_min_queries = defaults.serve_min_queries;
        c->measure.serve_threads = defaults.serve_threads;
    }
    /* the models again, and the same ones: a changed file is another model */
    c->points.model_max_bytes = rb_cli_model_max_bytes();
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "models"))
    {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path"),
                    *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        const rb_net *n;
        if (!cJSON_IsString(path) || !cJSON_IsString(id)) {
            rc = rb_errf(e, RB_EDB, "the run's stored configuration has a malformed model");
            goto out;
        }
        if ((rc = rb_matrix_model_load(&c->points, path->valuestring, &n, e))) {
            rb_err_prefix(e, "the run's model: ");
            goto out;
        }
        if (strcmp(n->id, id->valuestring)) {
            rc = rb_errf(e, RB_EINPUT,
                         "%s has changed since the run began (it was %s, it is %s now): its "
                         "results would not be of one model; start a new run",
                         path->valuestring, id->valuestring, n->id);
            goto out;
        }
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "points"))
    {
        rb_workload w;
        if (point_from_json(it, &w)) {
            rc = rb_errf(e, RB_EDB, "the run's stored configuration has a malformed point");
            goto out;
        }
        if ((rc = rb_matrix_add(&c->points, &w, e)))
            goto out;
    }
out:
    cJSON_Delete(o);
    return rc;
}
