/* instance.c — target options and instances (target.h).
 *
 * The options tables live with their targets; this file knows only their
 * shape: it checks values against kind, range and choices, parses instance
 * specs and names instances canonically.  Nothing here probes a device. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"
#include "../workloads/decimal.h"

const rb_target_option *rb_target_option_find(const rb_target_ops *ops, const char *key)
{
    for (const rb_target_option *o = ops ? ops->options : NULL; o && o->name; o++)
        if (!strcmp(o->name, key))
            return o;
    return NULL;
}

/* "a, b or c" */
static void join(const char *const *v, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; v && v[i]; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i == 0 ? "" : v[i + 1] ? ", " : " or ", v[i]);
    }
}

/* The keys a target takes, for messages: "config, clock_mhz, sim" or "none". */
static void keys(const rb_target_ops *ops, char *buf, size_t n)
{
    buf[0] = 0;
    for (const rb_target_option *o = ops->options; o && o->name; o++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", l ? ", " : "", o->name);
    }
    if (!buf[0])
        snprintf(buf, n, "none");
}

int rb_target_option_check(const rb_target_ops *ops, const rb_target_option *o, const char *value,
                           const char *label, rb_err *e)
{
    char what[96];
    if (!label) {
        snprintf(what, sizeof what, "%s option %s", ops->name, o->name);
        label = what;
    }
    if (!*value)
        return rb_errf(e, RB_EINPUT, "%s: empty value", label);
    if (o->kind == RB_TOPT_TEXT) {
        if (!o->choices)
            return 0;
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(o->choices[i], value))
                return 0;
        char c[256];
        join(o->choices, c, sizeof c);
        return rb_errf(e, RB_EINPUT, "%s '%s': expected %s", label, value, c);
    }
    double v;
    if (rb_parse_decimal(value, &v, NULL) || (o->kind == RB_TOPT_INT && v != floor(v)))
        return rb_errf(e, RB_EINPUT, "%s '%s': not %s", label, value,
                       o->kind == RB_TOPT_INT ? "a whole number" : "a number");
    if (v < o->min || v > o->max)
        return rb_errf(e, RB_EINPUT, "%s %s: out of range [%g, %g]", label, value, o->min, o->max);
    return 0;
}

/* Set (or replace, when replace) the option's value. */
static int set(rb_instance *in, const rb_target_option *o, const char *value, int replace,
               rb_err *e)
{
    int rc = rb_target_option_check(in->ops, o, value, NULL, e);
    if (rc)
        return rc;
    int i = 0;
    while (i < in->n && in->set[i].opt != o)
        i++;
    if (i < in->n && !replace)
        return 0;
    if (i == RB_TARGET_MAX_OPTS)
        return rb_errf(e, RB_EINPUT, "%s: too many options", in->ops->name);
    if (strlen(value) >= sizeof in->set[i].value)
        return rb_errf(e, RB_EINPUT, "%s option %s: value too long", in->ops->name, o->name);
    in->set[i].opt = o;
    snprintf(in->set[i].value, sizeof in->set[i].value, "%s", value);
    if (i == in->n)
        in->n++;
    return 0;
}

static const rb_target_option *positional(const rb_target_ops *ops)
{
    for (const rb_target_option *o = ops->options; o && o->name; o++)
        if (o->positional)
            return o;
    return NULL;
}

int rb_instance_parse(const char *spec, rb_instance *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    char buf[RB_INSTANCE_NAME_MAX * 2];
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf)
        return rb_errf(e, RB_EINPUT, "target '%.40s...': too long", spec);
    char *query = strchr(buf, '?');
    if (query)
        *query++ = 0;
    char *name = strchr(buf, ':');
    if (name)
        *name++ = 0;
    out->ops = rb_target_find(buf);
    if (!out->ops) {
        char known[128] = "";
        for (size_t i = 0; i < rb_target_count(); i++) {
            size_t l = strlen(known);
            snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "", rb_target_at(i)->name);
        }
        return rb_errf(e, RB_EINPUT, "unknown target '%s' (known: %s, all)", buf, known);
    }
    int rc = 0;
    if (name) {
        const rb_target_option *p = positional(out->ops);
        if (!p)
            return rb_errf(e, RB_EINPUT, "'%s': target %s takes no NAME after ':'", spec, buf);
        if (!*name)
            return rb_errf(e, RB_EINPUT, "'%s': empty %s after ':'", spec, p->name);
        if ((rc = set(out, p, name, 1, e)))
            return rb_err_prefix(e, "'%s': ", spec);
    }
    for (char *save = NULL, *kv = query ? strtok_r(query, "&", &save) : NULL; kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = 0;
        const rb_target_option *o = rb_target_option_find(out->ops, kv);
        if (!o) {
            char k[256];
            keys(out->ops, k, sizeof k);
            return rb_errf(e, RB_EINPUT, "'%s': target %s has no option '%s' (options: %s)", spec,
                           buf, kv, k);
        }
        if (!eq)
            return rb_errf(e, RB_EINPUT, "'%s': option %s needs a value (%s=%s)", spec, kv, kv,
                           o->metavar ? o->metavar : "VALUE");
        if ((rc = set(out, o, eq + 1, 1, e)))
            return rb_err_prefix(e, "'%s': ", spec);
    }
    if (query && !out->n)
        return rb_errf(e, RB_EINPUT, "'%s': nothing after '?' (KEY=VALUE&...)", spec);
    return 0;
}

int rb_instance_default(rb_instance *in, const char *key, const char *value, rb_err *e)
{
    const rb_target_option *o = rb_target_option_find(in->ops, key);
    if (!o)
        return rb_errf(e, RB_EINPUT, "target %s has no option '%s'", in->ops->name, key);
    return set(in, o, value, 0, e);
}

static const char *value_of(const rb_instance *in, const rb_target_option *o)
{
    for (int i = 0; i < in->n; i++)
        if (in->set[i].opt == o)
            return in->set[i].value;
    return NULL;
}

static const char *name_of(const rb_instance *in, int aside, char *buf, size_t n)
{
    size_t l = (size_t)snprintf(buf, n, "%s", in->ops->name);
    const rb_target_option *p = positional(in->ops);
    const char *pv = p ? value_of(in, p) : NULL;
    if (pv && l < n)
        l += (size_t)snprintf(buf + l, n - l, ":%s", pv);
    char sep = '?';
    for (const rb_target_option *o = in->ops->options; o && o->name; o++) {
        const char *v = o == p || (o->aside && !aside) ? NULL : value_of(in, o);
        if (v && l < n) {
            l += (size_t)snprintf(buf + l, n - l, "%c%s=%s", sep, o->name, v);
            sep = '&';
        }
    }
    return buf;
}

const char *rb_instance_name(const rb_instance *in, char *buf, size_t n)
{
    return name_of(in, 0, buf, n);
}

const char *rb_instance_spec(const rb_instance *in, char *buf, size_t n)
{
    return name_of(in, 1, buf, n);
}

char *rb_target_options_json(const rb_target *t)
{
    cJSON *o = cJSON_CreateObject();
    for (const rb_target_option *x = t->ops ? t->ops->options : NULL; x && x->name; x++) {
        const char *v = rb_target_opt(t, x->name);
        if (v)
            cJSON_AddStringToObject(o, x->name, v);
        else if (x->def)
            cJSON_AddStringToObject(o, x->name, x->def);
        else /* the target decides (the configuration's clock, the first GPU) */
            cJSON_AddNullToObject(o, x->name);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

void rb_target_init_instance(rb_target *t, const rb_instance *in, int threads)
{
    rb_target_init(t, in->ops, threads);
    for (int i = 0; i < in->n; i++)
        rb_target_set_opt(t, in->set[i].opt->name, in->set[i].value);
    rb_instance_name(in, t->instance, sizeof t->instance);
}
