/* scenario.c — scenario names, defaults and key suffixes (scenario.h). */
#include "scenario.h"

#include <stdio.h>
#include <string.h>

static const char *const names[RB_SCN_COUNT] = {"none", "single-stream", "multi-stream", "server",
                                                "offline",       "streaming"};

const char *rb_scenario_name(rb_scenario s) { return (unsigned)s < RB_SCN_COUNT ? names[s] : "?"; }

int rb_scenario_parse(const char *s, rb_scenario *out)
{
    for (int k = 0; k < RB_SCN_COUNT; k++)
        if (!strcmp(s, names[k])) {
            *out = (rb_scenario)k;
            return 0;
        }
    return -1;
}

int rb_serve_spec_resolve(rb_serve_spec *s, const char **why)
{
    *why = NULL;
    switch (s->scenario) {
    case RB_SCN_NONE: memset(s, 0, sizeof *s); return 0;
    case RB_SCN_SINGLE_STREAM:
        s->qps = s->streams = 0;
        s->max_batch = 1; /* one query in flight: nothing to batch */
        s->timeout_us = 0;
        return 0;
    case RB_SCN_MULTI_STREAM:
        s->qps = 0;
        if (!s->streams)
            s->streams = RB_SCN_DEFAULT_STREAMS;
        if (!s->slo_us)
            s->slo_us = RB_SCN_DEFAULT_SLO_US;
        if (!s->max_batch)
            s->max_batch = s->streams;
        return 0;
    case RB_SCN_SERVER:
        s->streams = 0;
        if (!s->qps && !s->slo_us) {
            *why = "a server scenario needs --qps Q (the offered load) or --slo-ms S (find the "
                   "largest load whose p99 meets S), or both";
            return -1;
        }
        if (!s->max_batch)
            s->max_batch = RB_SCN_DEFAULT_SERVER_BATCH;
        return 0;
    case RB_SCN_OFFLINE:
        s->qps = s->streams = s->slo_us = 0; /* no latency bound: a throughput figure */
        if (!s->max_batch)
            s->max_batch = RB_SCN_DEFAULT_OFFLINE_BATCH;
        return 0;
    case RB_SCN_STREAMING:
        /* a step of every stream each 1/qps; a step must be done before
         * the next arrives, so the bound defaults to the interval */
        if (!s->qps)
            s->qps = RB_SCN_DEFAULT_STEP_RATE;
        if (!s->streams)
            s->streams = 1;
        if (!s->slo_us)
            s->slo_us = (int)(1e6 / s->qps);
        if (!s->max_batch)
            s->max_batch = s->streams;
        if (s->max_batch > s->streams) {
            *why = "streaming: --max-batch cannot exceed --streams (a batch holds one step of "
                   "each stream at most)";
            return -1;
        }
        return 0;
    default: *why = "unknown scenario"; return -1;
    }
}

/* milliseconds from microseconds, as short as they print: 20, 2.5 */
static void ms(char *buf, size_t n, int us) { snprintf(buf, n, "%g", us / 1000.0); }

void rb_serve_spec_suffix(const rb_serve_spec *s, char *buf, size_t n)
{
    char slo[32] = "", q[32] = "", st[32] = "", mb[32] = "", to[32] = "", v[24];
    if (s->scenario == RB_SCN_NONE) {
        snprintf(buf, n, "%s", "");
        return;
    }
    if (s->qps)
        snprintf(q, sizeof q, "_q%d", s->qps);
    if (s->streams)
        snprintf(st, sizeof st, "_n%d", s->streams);
    if (s->slo_us) {
        ms(v, sizeof v, s->slo_us);
        snprintf(slo, sizeof slo, "_slo%s", v);
    }
    if (s->max_batch > 1)
        snprintf(mb, sizeof mb, "_mb%d", s->max_batch);
    if (s->timeout_us) {
        ms(v, sizeof v, s->timeout_us);
        snprintf(to, sizeof to, "_to%s", v);
    }
    snprintf(buf, n, "_%s%s%s%s%s%s", names[s->scenario], q, st, slo, mb, to);
}
