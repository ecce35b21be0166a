/* scenario.h — how queries reach a workload point: one call at a time (the
 * classic point) or a serving scenario (MLPerf Inference's names).
 *
 * A serving point's query is one sequence (the key's b1); the server
 * batches queries up to max_batch, closing a batch when it is full or when
 * its oldest query has waited timeout_us.  The scenario is part of the
 * point, and of its key, because it changes what is measured: latency
 * under load is another figure than one call's. */
#ifndef RB_SCENARIO_H
#define RB_SCENARIO_H

#include <stddef.h>

typedef enum {
    RB_SCN_NONE = 0,      /* not served: one call at a time, repeated */
    RB_SCN_SINGLE_STREAM, /* one query at a time, the next when it completes; p90 */
    RB_SCN_MULTI_STREAM,  /* a query of `streams` samples every slo; p99 */
    RB_SCN_SERVER,        /* Poisson arrivals at qps, or the largest qps within slo */
    RB_SCN_OFFLINE,       /* every query at once; throughput */
    RB_SCN_STREAMING,     /* `streams` streams, one timestep each every 1/qps, state kept; p99 */
    RB_SCN_COUNT
} rb_scenario;

typedef struct rb_serve_spec {
    int scenario;   /* rb_scenario */
    int qps;        /* server: offered queries/s; 0: the largest rate whose p99 meets slo;
                       streaming: steps per second of each stream */
    int streams;    /* multi-stream: samples per query; streaming: concurrent streams */
    int slo_us;     /* the latency bound (multi-stream: also the query interval); 0: none */
    int max_batch;  /* queries per batch, at most */
    int timeout_us; /* a batch closes when its oldest query has waited this long */
} rb_serve_spec;

/* Defaults a scenario takes for what the matrix leaves out: */
#define RB_SCN_DEFAULT_STREAMS 8      /* MLPerf's multi-stream query size */
#define RB_SCN_DEFAULT_SLO_US 50000   /* multi-stream's interval, as MLPerf's first rounds */
#define RB_SCN_DEFAULT_SERVER_BATCH 8 /* a server batches what is queued, up to this */
#define RB_SCN_DEFAULT_OFFLINE_BATCH 32
#define RB_SCN_DEFAULT_STEP_RATE 100  /* streaming: a 10 ms frame, as speech front ends use */
#define RB_SCN_MAX_BATCH 256 /* the largest batch (and multi-stream query) there is */

const char *rb_scenario_name(rb_scenario s);            /* "server"; "none" for RB_SCN_NONE */
int rb_scenario_parse(const char *s, rb_scenario *out); /* 0 or -1 */

/* A spec with the scenario's defaults for every 0 field (single-stream
 * batches nothing: max_batch 1; multi-stream: max_batch = streams;
 * streaming: 1 stream at 100 steps/s, the bound one step's interval).
 * Returns 0, or -1 with why (a static string) when the combination cannot
 * run (a server with neither a rate nor a bound). */
int rb_serve_spec_resolve(rb_serve_spec *s, const char **why);

/* The key's suffix for the spec ("" for RB_SCN_NONE), e.g.
 * "_server_q200_slo20_mb8" or "_multi-stream_n8_slo50". */
void rb_serve_spec_suffix(const rb_serve_spec *s, char *buf, size_t n);

#endif
