/* matrix.c — matrix files and command-line axes, expanded into workloads.
 *
 * A matrix file is read completely and checked before a single point is
 * expanded, so a typo on the last line stops the run before anything runs.
 *
 * libinih does the INI syntax; two things it cannot tell us are recovered
 * here.  Line numbers: Debian's libinih is built without the handler's
 * lineno argument, so the file is fed to ini_parse_stream through a reader
 * that counts physical lines.  Sections without keys: inih only reports
 * key/value pairs, so section headers are found by a pre-scan that follows
 * inih's own rules (comments, continuation lines), which is what lets us
 * say "[foo] on line 3 has no seq" for an empty section.
 *
 * rb_matrix_load and rb_matrix_from_axes append to m (zero it first); that
 * is what lets --resume and several sources share one matrix. */
#include "matrix.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include "files.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A matrix this large is a typo (an extra digit in a list), not a job: at
 * a few ms per point it would run for days, and deduplication is linear. */
#define MATRIX_MAX_POINTS 65536
/* A matrix file is a few hundred bytes; refuse to slurp something else. */
#define MATRIX_MAX_FILE (1 << 20)
/* inih's line buffer holds INI_MAX_LINE bytes including "\r\n\0". */
#define MATRIX_MAX_LINE (INI_MAX_LINE - 3)

#define DEFAULT_SEQ 25
#define DEFAULT_HIDDEN 256

/* The numeric axes; "model" (AX_MODEL) is a list of paths, kept apart. */
enum {
    AX_CELL,
    AX_MODE,
    AX_SEQ,
    AX_HIDDEN,
    AX_INPUT,
    AX_LAYERS,
    AX_BATCH,
    AX_SCENARIO, /* the serving axes, AX_SCENARIO..AX_TIMEOUT */
    AX_QPS,
    AX_STREAMS,
    AX_SLO,
    AX_MAX_BATCH,
    AX_TIMEOUT,
    AX_COUNT,
    AX_MODEL
};

static const char *const axis_name[AX_COUNT] = {
    "cell",     "mode", "seq",     "hidden", "input",     "layers",          "batch",
    "scenario", "qps",  "streams", "slo_ms", "max_batch", "batch_timeout_ms"};

static int axis_id(const char *key)
{
    for (int i = 0; i < AX_COUNT; i++)
        if (!strcmp(key, axis_name[i]))
            return i;
    return !strcmp(key, "model") ? AX_MODEL : -1;
}

/* The value array, count and capacity of one axis. */
typedef struct axis_ref {
    int *v, *n, cap;
} axis_ref;

static axis_ref axis_of(rb_axes *a, int id)
{
    switch (id) {
    case AX_CELL: return (axis_ref){a->cell, &a->n_cell, RB_CELL_COUNT};
    case AX_MODE: return (axis_ref){a->mode, &a->n_mode, 2};
    case AX_SEQ: return (axis_ref){a->seq, &a->n_seq, RB_AXIS_MAX_VALUES};
    case AX_HIDDEN: return (axis_ref){a->hidden, &a->n_hidden, RB_AXIS_MAX_VALUES};
    case AX_INPUT: return (axis_ref){a->input, &a->n_input, RB_AXIS_MAX_VALUES};
    case AX_LAYERS: return (axis_ref){a->layers, &a->n_layers, RB_AXIS_MAX_VALUES};
    case AX_SCENARIO: return (axis_ref){a->scenario, &a->n_scenario, RB_SCN_COUNT};
    case AX_QPS: return (axis_ref){a->qps, &a->n_qps, RB_AXIS_MAX_VALUES};
    case AX_STREAMS: return (axis_ref){a->streams, &a->n_streams, RB_AXIS_MAX_VALUES};
    case AX_SLO: return (axis_ref){a->slo_us, &a->n_slo_us, RB_AXIS_MAX_VALUES};
    case AX_MAX_BATCH: return (axis_ref){a->max_batch, &a->n_max_batch, RB_AXIS_MAX_VALUES};
    case AX_TIMEOUT: return (axis_ref){a->timeout_us, &a->n_timeout_us, RB_AXIS_MAX_VALUES};
    default: return (axis_ref){a->batch, &a->n_batch, RB_AXIS_MAX_VALUES};
    }
}

/* ---- value lists ------------------------------------------------------ */

/* inih trims with isspace(); the pre-scan must agree with it exactly. */
static int ini_space(char ch) { return isspace((unsigned char)ch) != 0; }

/* A positive decimal integer up to RB_AXIS_LIMIT: no sign, exponent or suffix. */
static int parse_count(const char *key, const char *tok, int len, int *out, rb_err *e)
{
    long long v = 0;
    for (int i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return rb_errf(e, RB_EINPUT, "bad %s value '%.*s': not a positive integer", key, len,
                           tok);
        if (v <= RB_AXIS_LIMIT)
            v = v * 10 + (tok[i] - '0');
    }
    if (v == 0)
        return rb_errf(e, RB_EINPUT, "bad %s value '%.*s': must be at least 1", key, len, tok);
    if (v > RB_AXIS_LIMIT)
        return rb_errf(e, RB_EINPUT, "bad %s value '%.*s': above the limit of %d", key, len, tok,
                       RB_AXIS_LIMIT);
    *out = (int)v;
    return 0;
}

/* Milliseconds with up to three decimals ("20", "2.5", "0.25") into whole
 * microseconds, from lo_us to an hour. */
static int parse_ms(const char *key, const char *tok, int len, int lo_us, int *out, rb_err *e)
{
    long long us = 0;
    int dot = -1, i;
    for (i = 0; i < len; i++) {
        if (tok[i] == '.' && dot < 0 && i > 0 && i + 1 < len) {
            dot = i;
            continue;
        }
        if (tok[i] < '0' || tok[i] > '9' || (dot >= 0 && i - dot > 3))
            return rb_errf(e, RB_EINPUT,
                           "bad %s value '%.*s': expected milliseconds, e.g. 20 or 2.5 (at most "
                           "3 decimals)",
                           key, len, tok);
        if (us < 3600000000LL)
            us = us * 10 + (tok[i] - '0');
    }
    for (int k = dot < 0 ? 0 : len - 1 - dot; k < 3; k++)
        us *= 10;
    if (us < lo_us || us > 3600000000LL)
        return rb_errf(e, RB_EINPUT, "bad %s value '%.*s': must be %s and at most an hour", key,
                       len, tok, lo_us ? "above 0" : "0 or more");
    *out = (int)us;
    return 0;
}

static int parse_token(int id, const char *tok, int len, int *out, rb_err *e)
{
    char word[16];
    int short_word = len < (int)sizeof word;
    if (short_word) {
        memcpy(word, tok, (size_t)len);
        word[len] = '\0';
    }
    switch (id) {
    case AX_CELL: {
        rb_cell c;
        if (!short_word || rb_cell_parse(word, &c) != 0)
            return rb_errf(e, RB_EINPUT, "bad cell value '%.*s': expected lstm, gru or rnn", len,
                           tok);
        *out = (int)c;
        return 0;
    }
    case AX_MODE: {
        rb_mode m;
        if (!short_word || rb_mode_parse(word, &m) != 0)
            return rb_errf(e, RB_EINPUT, "bad mode value '%.*s': expected infer or train", len,
                           tok);
        *out = (int)m;
        return 0;
    }
    case AX_INPUT:
        if (short_word && !strcmp(word, "hidden")) {
            *out = 0;
            return 0;
        }
        if (tok[0] < '0' || tok[0] > '9')
            return rb_errf(e, RB_EINPUT,
                           "bad input value '%.*s': expected a positive integer or 'hidden'", len,
                           tok);
        return parse_count("input", tok, len, out, e);
    case AX_SCENARIO: {
        rb_scenario v;
        if (!short_word || rb_scenario_parse(word, &v) != 0)
            return rb_errf(e, RB_EINPUT,
                           "bad scenario value '%.*s': expected single-stream, multi-stream, "
                           "server, offline, streaming or none",
                           len, tok);
        *out = (int)v;
        return 0;
    }
    case AX_SLO: return parse_ms("slo_ms", tok, len, 1, out, e);
    case AX_MAX_BATCH:
    case AX_STREAMS: {
        int rc = parse_count(axis_name[id], tok, len, out, e);
        if (!rc && *out > RB_SCN_MAX_BATCH)
            rc = rb_errf(e, RB_EINPUT, "bad %s value '%.*s': a server batches at most %d queries",
                         axis_name[id], len, tok, RB_SCN_MAX_BATCH);
        return rc;
    }
    case AX_TIMEOUT: return parse_ms("batch_timeout_ms", tok, len, 0, out, e);
    default: return parse_count(axis_name[id], tok, len, out, e);
    }
}

/* Appends to dst, up to its capacity.  cell and mode are sets: a repeat is
 * dropped, so "lstm lstm rnn" still fits their two slots. */
static int axis_append(axis_ref dst, int id, int value, rb_err *e)
{
    if (id == AX_CELL || id == AX_MODE || id == AX_SCENARIO)
        for (int i = 0; i < *dst.n; i++)
            if (dst.v[i] == value)
                return 0;
    if (*dst.n >= dst.cap)
        return rb_errf(e, RB_EINPUT, "too many %s values: at most %d", axis_name[id], dst.cap);
    dst.v[(*dst.n)++] = value;
    return 0;
}

/* Tokens are separated by spaces and/or single commas: "1,4 16", "1, 2,4".
 * A doubled, leading or trailing comma is a typo worth reporting. */
static int parse_list(int id, const char *value, axis_ref dst, rb_err *e)
{
    const char *p = value;
    int commas = 0, tokens = 0;
    for (;;) {
        while (ini_space(*p) || *p == ',') {
            commas += *p == ',';
            p++;
        }
        if (!*p)
            break;
        if (commas > 1 || (commas && !tokens))
            return rb_errf(e, RB_EINPUT, "empty item in the %s list '%s'", axis_name[id], value);
        const char *tok = p;
        while (*p && !ini_space(*p) && *p != ',')
            p++;
        int v = 0, rc = parse_token(id, tok, (int)(p - tok), &v, e);
        if (rc == 0)
            rc = axis_append(dst, id, v, e);
        if (rc != 0)
            return rc;
        tokens++;
        commas = 0;
    }
    if (!tokens)
        return rb_errf(e, RB_EINPUT, "empty %s value", axis_name[id]);
    if (commas)
        return rb_errf(e, RB_EINPUT, "empty item in the %s list '%s'", axis_name[id], value);
    return 0;
}

static int unknown_key(const char *key, rb_err *e)
{
    return rb_errf(e, RB_EINPUT,
                   "unknown key '%s' (expected cell, mode, seq, hidden, input, layers, batch, "
                   "model, scenario, qps, streams, slo_ms, max_batch or batch_timeout_ms)",
                   key);
}

/* Model paths, separated like every list, appended to a; a relative path
 * is taken relative to dir (the matrix file's directory; NULL: as given). */
static int parse_models(rb_axes *a, const char *value, const char *dir, rb_err *e)
{
    const char *p = value;
    int tokens = 0;
    for (;;) {
        while (ini_space(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && !ini_space(*p) && *p != ',')
            p++;
        if (a->n_model >= RB_AXIS_MAX_MODELS)
            return rb_errf(e, RB_EINPUT, "too many model values: at most %d", RB_AXIS_MAX_MODELS);
        int len = (int)(p - tok), n;
        char *dst = a->model[a->n_model];
        if (dir && *tok != '/')
            n = snprintf(dst, RB_MODEL_PATH_MAX, "%s/%.*s", dir, len, tok);
        else
            n = snprintf(dst, RB_MODEL_PATH_MAX, "%.*s", len, tok);
        if (n >= RB_MODEL_PATH_MAX)
            return rb_errf(e, RB_EINPUT, "model path '%.*s' is too long", len, tok);
        a->n_model++;
        tokens++;
    }
    return tokens ? 0 : rb_errf(e, RB_EINPUT, "empty model value");
}

int rb_axes_set(rb_axes *a, const char *key, const char *value, rb_err *e)
{
    int id = axis_id(key);
    if (id < 0)
        return unknown_key(key, e);
    if (id == AX_MODEL) {
        rb_axes tmp;
        memset(&tmp, 0, sizeof tmp);
        int rc = parse_models(&tmp, value ? value : "", NULL, e);
        if (!rc) {
            memcpy(a->model, tmp.model, sizeof a->model);
            a->n_model = tmp.n_model;
        }
        return rc;
    }
    /* Parse into scratch so a bad list leaves the axis as it was. */
    rb_axes tmp;
    memset(&tmp, 0, sizeof tmp);
    axis_ref src = axis_of(&tmp, id), dst = axis_of(a, id);
    int rc = parse_list(id, value ? value : "", src, e);
    if (rc != 0)
        return rc;
    memcpy(dst.v, src.v, (size_t)*src.n * sizeof *src.v);
    *dst.n = *src.n;
    return 0;
}

/* ---- expansion -------------------------------------------------------- */

int rb_matrix_add(rb_matrix *m, const rb_workload *w, rb_err *e)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->points[i].key, w->key))
            return 0;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        rb_workload *p = realloc(m->points, cap * sizeof *p);
        if (!p)
            return rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for %zu workloads",
                           cap * sizeof *p, cap);
        m->points = p;
        m->cap = cap;
    }
    m->points[m->n++] = *w;
    return 0;
}

void rb_matrix_free(rb_matrix *m)
{
    if (!m)
        return;
    free(m->points);
    for (int i = 0; i < m->n_nets; i++)
        rb_net_free(&m->nets[i]);
    free(m->nets);
    free(m->net_path);
    long max = m->model_max_bytes;
    memset(m, 0, sizeof *m);
    m->model_max_bytes = max;
}

int rb_matrix_model_load(rb_matrix *m, const char *path, const rb_net **out, rb_err *e)
{
    for (int i = 0; i < m->n_nets; i++)
        if (!strcmp(m->net_path[i], path)) {
            *out = &m->nets[i];
            return 0;
        }
    rb_net *nets = realloc(m->nets, (size_t)(m->n_nets + 1) * sizeof *nets);
    if (nets)
        m->nets = nets;
    char(*paths)[RB_MODEL_PATH_MAX] =
        nets ? realloc(m->net_path, (size_t)(m->n_nets + 1) * sizeof *paths) : NULL;
    if (!paths)
        return rb_errf(e, RB_ENOMEM, "out of memory loading %s", path);
    m->net_path = paths;
    int rc = rb_net_load(path, m->model_max_bytes > 0 ? m->model_max_bytes : LONG_MAX,
                         &m->nets[m->n_nets], e);
    if (rc)
        return rc;
    if (!m->nets[m->n_nets].built) {
        rb_net_free(&m->nets[m->n_nets]);
        return rb_errf(e, RB_EINPUT,
                       "%s: its weights are graph inputs, not part of the file: a benchmark "
                       "needs them constant (rnnbench eval --inputs runs it on given ones)",
                       path);
    }
    snprintf(m->net_path[m->n_nets], RB_MODEL_PATH_MAX, "%s", path);
    *out = &m->nets[m->n_nets++];
    return 0;
}

const rb_net *rb_matrix_net(const rb_matrix *m, const rb_workload *w)
{
    for (int i = 0; w->model[0] && i < m->n_nets; i++)
        if (!strcmp(m->nets[i].id, w->model))
            return &m->nets[i];
    return NULL;
}

/* The axes a section actually runs: its own, replaced axis by axis by the
 * command line, then defaults for whatever is still missing. */
static rb_axes effective_axes(const rb_axes *sec, const rb_axes *ovr)
{
    rb_axes a = *sec;
    if (ovr) {
        for (int id = 0; id < AX_COUNT; id++) {
            axis_ref o = axis_of((rb_axes *)ovr, id), d = axis_of(&a, id);
            if (*o.n > 0) {
                memcpy(d.v, o.v, (size_t)*o.n * sizeof *o.v);
                *d.n = *o.n;
            }
        }
        if (ovr->n_model > 0) {
            memcpy(a.model, ovr->model, sizeof a.model);
            a.n_model = ovr->n_model;
        }
    }
    return a;
}

/* Defaults for every numeric axis still empty. */
static rb_axes with_defaults(rb_axes a)
{
    /* serving axes: no scenario, and 0 = the scenario's default for the rest */
    static const int defaults[AX_COUNT] = {
        RB_CELL_LSTM, RB_MODE_INFER, DEFAULT_SEQ, DEFAULT_HIDDEN, 0 /* = hidden */, 1, 1};
    for (int id = 0; id < AX_COUNT; id++) {
        axis_ref d = axis_of(&a, id);
        if (*d.n == 0) {
            d.v[0] = defaults[id];
            *d.n = 1;
        }
    }
    return a;
}

static double axes_points(const rb_axes *a)
{
    double serve = 1;
    for (int id = AX_SCENARIO; id <= AX_TIMEOUT; id++) {
        int n = *axis_of((rb_axes *)a, id).n;
        serve *= n ? n : 1;
    }
    if (a->n_model)
        return serve * a->n_model * a->n_mode * (a->n_seq ? a->n_seq : 1) *
               (a->n_batch ? a->n_batch : 1);
    return serve * a->n_cell * a->n_mode * a->n_seq * a->n_hidden * a->n_input * a->n_layers *
           a->n_batch;
}

/* The serving axes given without a scenario to apply them to. */
static int serving_axes_alone(const rb_axes *given, rb_err *e)
{
    for (int i = 0; i < given->n_scenario; i++)
        if (given->scenario[i] != RB_SCN_NONE)
            return 0;
    for (int id = AX_QPS; id <= AX_TIMEOUT; id++)
        if (*axis_of((rb_axes *)given, id).n)
            return rb_errf(e, RB_EINPUT,
                           "%s applies to a serving scenario: add scenario (--scenario server, "
                           "single-stream, multi-stream, offline or streaming)",
                           axis_name[id]);
    return 0;
}

/* w once per combination of the serving axes (a has their defaults); the
 * scenario's defaults fill what the axes leave at 0, and combinations a
 * scenario ignores (single-stream's qps) collapse into one point. */
static int add_served(rb_matrix *m, const rb_axes *given, const rb_axes *a, rb_workload w,
                      rb_err *e)
{
    int rc = serving_axes_alone(given, e);
    for (int si = 0; !rc && si < a->n_scenario; si++)
        for (int qi = 0; !rc && qi < a->n_qps; qi++)
            for (int ni = 0; !rc && ni < a->n_streams; ni++)
                for (int li = 0; !rc && li < a->n_slo_us; li++)
                    for (int bi = 0; !rc && bi < a->n_max_batch; bi++)
                        for (int ti = 0; !rc && ti < a->n_timeout_us; ti++) {
                            rb_serve_spec s = {a->scenario[si],  a->qps[qi],
                                               a->streams[ni],   a->slo_us[li],
                                               a->max_batch[bi], a->timeout_us[ti]};
                            const char *why;
                            rb_workload p = w;
                            if (s.scenario != RB_SCN_NONE) {
                                if (w.mode == RB_MODE_TRAIN)
                                    return rb_errf(e, RB_EINPUT,
                                                   "scenario %s: a serving scenario serves "
                                                   "inference, not mode train",
                                                   rb_scenario_name(s.scenario));
                                if (given->n_batch || w.batch != 1)
                                    return rb_errf(e, RB_EINPUT,
                                                   "batch: a served query is one sequence; the "
                                                   "server batches queries up to max_batch "
                                                   "(--max-batch): leave the batch axis out");
                                if (rb_serve_spec_resolve(&s, &why))
                                    return rb_errf(e, RB_EINPUT, "%s", why);
                            }
                            p.serve = s;
                            rb_workload_make_key(&p);
                            rc = rb_matrix_add(m, &p, e);
                        }
    return rc;
}

/* A fixed dimension of a model against the axis that names it. */
static int fixed_dim(const char *model, const char *axis, int fixed, const int *v, int n, rb_err *e)
{
    for (int i = 0; i < n; i++)
        if (v[i] != fixed)
            return rb_errf(e, RB_EINPUT, "%s %d: %s fixes %s = %d; leave the %s axis out", axis,
                           v[i], model, axis, fixed, axis);
    return 0;
}

/* Points of imported models: the model gives cell, sizes and layers; seq
 * and batch are axes where the file leaves them free (defaults 25 and 1). */
static int expand_models(rb_matrix *m, const rb_axes *given, const rb_axes *a, int input_proj,
                         rb_err *e)
{
    static const int owned[] = {AX_CELL, AX_HIDDEN, AX_INPUT, AX_LAYERS};
    for (int k = 0; k < 4; k++)
        if (*axis_of((rb_axes *)given, owned[k]).n)
            return rb_errf(e, RB_EINPUT, "%s: set by the model (%s); leave the axis out",
                           axis_name[owned[k]], given->model[0]);
    if (!input_proj)
        return rb_errf(e, RB_EINPUT, "--no-input-proj does not apply to an imported model");
    for (int k = 0; k < a->n_model; k++) {
        const rb_net *n;
        int rc = rb_matrix_model_load(m, a->model[k], &n, e);
        if (!rc && n->seq_fixed)
            rc = fixed_dim(a->model[k], "seq", n->seq_fixed, given->seq, given->n_seq, e);
        if (!rc && n->batch_fixed)
            rc = fixed_dim(a->model[k], "batch", n->batch_fixed, given->batch, given->n_batch, e);
        if (rc)
            return rc;
        int seqs = given->n_seq && !n->seq_fixed ? given->n_seq : 1;
        int batches = given->n_batch && !n->batch_fixed ? given->n_batch : 1;
        for (int mi = 0; mi < a->n_mode; mi++)
            for (int si = 0; si < seqs; si++)
                for (int bi = 0; bi < batches; bi++) {
                    int T = given->n_seq ? given->seq[si] : DEFAULT_SEQ;
                    int B = given->n_batch ? given->batch[bi] : 1;
                    rb_workload w = rb_net_workload(n, (rb_mode)a->mode[mi], T, B);
                    if ((rc = add_served(m, given, a, w, e)))
                        return rc;
                }
    }
    return 0;
}

static int expand(rb_matrix *m, const rb_axes *given, const rb_axes *a, int input_proj, rb_err *e)
{
    for (int ci = 0; ci < a->n_cell; ci++)
        for (int mi = 0; mi < a->n_mode; mi++)
            for (int si = 0; si < a->n_seq; si++)
                for (int hi = 0; hi < a->n_hidden; hi++)
                    for (int ii = 0; ii < a->n_input; ii++)
                        for (int li = 0; li < a->n_layers; li++)
                            for (int bi = 0; bi < a->n_batch; bi++) {
                                rb_workload w;
                                memset(&w, 0, sizeof w);
                                w.cell = (rb_cell)a->cell[ci];
                                w.mode = (rb_mode)a->mode[mi];
                                w.seq = a->seq[si];
                                w.hidden = a->hidden[hi];
                                w.input = a->input[ii] ? a->input[ii] : w.hidden;
                                w.layers = a->layers[li];
                                w.batch = a->batch[bi];
                                w.input_proj = input_proj ? 1 : 0;
                                int rc = add_served(m, given, a, w, e);
                                if (rc != 0)
                                    return rc;
                            }
    return 0;
}

static int too_many_points(double n, const char *where, rb_err *e)
{
    return rb_errf(e, RB_EINPUT,
                   "%s expands to %.0f workloads, more than %d; shorten the value lists", where, n,
                   MATRIX_MAX_POINTS);
}

int rb_matrix_from_axes(rb_matrix *m, const rb_axes *axes, int input_proj, rb_err *e)
{
    rb_axes none;
    memset(&none, 0, sizeof none);
    rb_axes given = effective_axes(axes ? axes : &none, NULL), a = with_defaults(given);
    double n = axes_points(&a);
    if (n > MATRIX_MAX_POINTS)
        return too_many_points(n, "the command-line matrix", e);
    return a.n_model ? expand_models(m, &given, &a, input_proj, e)
                     : expand(m, &given, &a, input_proj, e);
}

/* ---- INI files -------------------------------------------------------- */

typedef struct ini_section {
    char name[64];
    int line;
    rb_axes axes;
    int key_line[AX_COUNT]; /* where each axis was set; 0 = not set */
    int has_model;
} ini_section;

typedef struct ini_ctx {
    const char *path;
    const char *text;
    size_t len, pos;
    int line; /* physical line of the text last handed to inih */
    int at_line_start;
    const char *line_ptr; /* its first byte */
    ini_section *sec;
    int n_sec;
    int last_sec, last_axis; /* target of a continuation line */
    rb_err err;
    int err_line; /* line of the first error the handler found, 0 if none */
} ini_ctx;

/* fgets over the in-memory file, counting lines as inih consumes them. */
static char *ctx_reader(char *str, int num, void *stream)
{
    ini_ctx *c = stream;
    if (c->pos >= c->len || num < 2)
        return NULL;
    if (c->at_line_start) {
        c->line++;
        c->line_ptr = c->text + c->pos;
    }
    int n = 0;
    while (n < num - 1 && c->pos < c->len) {
        char ch = c->text[c->pos++];
        str[n++] = ch;
        if (ch == '\n')
            break;
    }
    str[n] = '\0';
    c->at_line_start = str[n - 1] == '\n';
    return str;
}

static int ctx_fail(ini_ctx *c, int line, int code)
{
    if (!c->err_line) {
        c->err_line = line;
        rb_err_prefix(&c->err, "%s:%d: ", c->path, line);
        c->err.code = code;
    }
    return 0;
}

/* The last section header at or above line. */
static int section_at(const ini_ctx *c, int line)
{
    int s = -1;
    for (int i = 0; i < c->n_sec && c->sec[i].line < line; i++)
        s = i;
    return s;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx *c = user;
    int line = c->line;
    if (c->err_line)
        return 1; /* inih already holds the first error line; keep its message */
    int s = section_at(c, line);
    if (!*section || s < 0) {
        rb_errf(&c->err, RB_EINPUT, "key '%s' outside any section (add a [name] line above it)",
                name);
        return ctx_fail(c, line, RB_EINPUT);
    }
    ini_section *sec = &c->sec[s];
    int id = axis_id(name);
    if (id < 0) {
        unknown_key(name, &c->err);
        return ctx_fail(c, line, RB_EINPUT);
    }
    if (id == AX_MODEL) {
        /* paths are relative to the matrix file, wherever rnnbench runs */
        char dir[RB_MODEL_PATH_MAX];
        const char *slash = strrchr(c->path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->path) : 1,
                 slash ? c->path : ".");
        if (parse_models(&sec->axes, value, dir, &c->err))
            return ctx_fail(c, line, RB_EINPUT);
        sec->has_model = 1;
        return 1;
    }
    /* inih hands an indented line after a key to the handler again under the
     * previous key (Python configparser's continuation lines): append. */
    int indented = c->line_ptr && ini_space(*c->line_ptr);
    int continuation = indented && c->last_sec == s && c->last_axis == id;
    if (!continuation && sec->key_line[id]) {
        rb_errf(&c->err, RB_EINPUT, "duplicate key '%s' in section [%s] (first set on line %d)",
                name, sec->name, sec->key_line[id]);
        return ctx_fail(c, line, RB_EINPUT);
    }
    if (continuation && (strchr(value, '=') || strchr(value, ':'))) {
        rb_errf(&c->err, RB_EINPUT,
                "indented line continues the '%s' list above it; remove the indentation to "
                "start a new key",
                name);
        return ctx_fail(c, line, RB_EINPUT);
    }
    rb_axes tmp;
    memset(&tmp, 0, sizeof tmp);
    axis_ref src = axis_of(&tmp, id), dst = axis_of(&sec->axes, id);
    int rc = parse_list(id, value, src, &c->err);
    for (int i = 0; rc == 0 && i < *src.n; i++)
        rc = axis_append(dst, id, src.v[i], &c->err);
    if (rc != 0)
        return ctx_fail(c, line, rc);
    if (!continuation)
        sec->key_line[id] = line;
    c->last_sec = s;
    c->last_axis = id;
    return 1;
}

static int read_text(const char *path, char **out, size_t *len, rb_err *e)
{
    FILE *f = rb_fopen_in(path, MATRIX_MAX_FILE, "a matrix file", e);
    if (!f)
        return e->code;
    /* the size the file has (rb_fopen_in capped it), and one byte to see it
     * did not grow meanwhile */
    struct stat st;
    size_t want = fstat(fileno(f), &st) ? MATRIX_MAX_FILE : (size_t)st.st_size;
    char *buf = malloc(want + 2);
    if (!buf) {
        fclose(f);
        return rb_errf(e, RB_ENOMEM, "%s: cannot allocate %zu bytes", path, want + 2);
    }
    size_t n = fread(buf, 1, want + 1, f);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return rb_errf(e, RB_EINPUT, "%s: cannot read: %s", path, strerror(saved));
    }
    if (n > want || n > MATRIX_MAX_FILE) {
        free(buf);
        return rb_errf(e, RB_EINPUT, "%s: larger than %d bytes; is it a matrix file?", path,
                       MATRIX_MAX_FILE);
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        return rb_errf(e, RB_EINPUT, "%s: contains NUL bytes; is it a matrix file?", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* inih's ini_find_chars_or_comment: an inline ';' counts only after a space. */
static const char *find_or_comment(const char *s, const char *end, const char *chars)
{
    int was_space = 0;
    while (s < end && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = ini_space(*s);
        s++;
    }
    return s;
}

static int add_section(ini_ctx *c, const char *name, size_t n, int line, rb_err *e)
{
    ini_section *p = realloc(c->sec, (size_t)(c->n_sec + 1) * sizeof *p);
    if (!p)
        return rb_errf(e, RB_ENOMEM, "%s: out of memory", c->path);
    c->sec = p;
    ini_section *s = &p[c->n_sec++];
    memset(s, 0, sizeof *s);
    if (n >= sizeof s->name)
        n = sizeof s->name - 1;
    memcpy(s->name, name, n);
    s->line = line;
    return 0;
}

/* Finds section headers with inih's rules, and refuses lines inih would
 * silently cut at its buffer size. */
static int prescan(ini_ctx *c, rb_err *e)
{
    int lineno = 0, after_key = 0;
    const char *p = c->text, *end = c->text + c->len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (!eol)
            eol = end;
        lineno++;
        size_t raw = (size_t)(eol - p) - (eol > p && eol[-1] == '\r');
        if (raw > MATRIX_MAX_LINE)
            return rb_errf(e, RB_EINPUT,
                           "%s:%d: line longer than %d characters; split the list over "
                           "indented continuation lines",
                           c->path, lineno, MATRIX_MAX_LINE);
        const char *s = p, *t = eol;
        if (lineno == 1 && t - s >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
            s += 3;
        while (t > s && ini_space(t[-1]))
            t--;
        const char *start = s;
        while (start < t && ini_space(*start))
            start++;
        if (start == t || *start == ';' || *start == '#') {
            /* blank or comment: inih keeps the continuation state */
        } else if (after_key && start > p) {
            /* continuation of the previous key */
        } else if (*start == '[') {
            const char *close = find_or_comment(start + 1, t, "]");
            if (close < t && *close == ']') {
                if (close == start + 1)
                    return rb_errf(e, RB_EINPUT, "%s:%d: empty section name '[]'", c->path, lineno);
                int rc = add_section(c, start + 1, (size_t)(close - start - 1), lineno, e);
                if (rc != 0)
                    return rc;
                after_key = 0;
            }
        } else {
            const char *sep = find_or_comment(start, t, "=:");
            if (sep < t && (*sep == '=' || *sep == ':'))
                after_key = 1;
        }
        p = next;
    }
    return 0;
}

/* Words for a line inih rejected, from the line itself. */
static void syntax_error(const ini_ctx *c, int line, rb_err *e)
{
    const char *p = c->text, *end = c->text + c->len;
    for (int l = 1; l < line && p < end; l++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        p = eol ? eol + 1 : end;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    int n = (int)((eol ? eol : end) - p);
    while (n > 0 && ini_space(p[n - 1]))
        n--;
    while (n > 0 && ini_space(*p)) {
        p++;
        n--;
    }
    const char *what =
        n > 0 && *p == '[' ? "section header without ']'" : "expected '[section]' or 'key = value'";
    rb_errf(e, RB_EINPUT, "%s:%d: syntax error: %s: '%.*s'", c->path, line, what, n > 60 ? 60 : n,
            p);
}

static int check_sections(const ini_ctx *c, const rb_axes *override, rb_err *e)
{
    if (c->n_sec == 0)
        return rb_errf(e, RB_EINPUT,
                       "%s: no sections; a matrix file needs at least one [name] section with "
                       "seq and hidden",
                       c->path);
    double total = 0;
    for (int s = 0; s < c->n_sec; s++) {
        const ini_section *sec = &c->sec[s];
        static const int required[] = {AX_SEQ, AX_HIDDEN};
        /* an imported model brings its own sizes */
        for (int r = 0; r < 2 && !sec->has_model && !(override && override->n_model); r++) {
            axis_ref o = axis_of((rb_axes *)(override ? override : &sec->axes), required[r]);
            if (!sec->key_line[required[r]] && !(override && *o.n > 0))
                return rb_errf(e, RB_EINPUT, "%s:%d: section [%s] has no '%s' (required)", c->path,
                               sec->line, sec->name, axis_name[required[r]]);
        }
        rb_axes a = with_defaults(effective_axes(&sec->axes, override));
        total += axes_points(&a);
    }
    if (total > MATRIX_MAX_POINTS)
        return too_many_points(total, c->path, e);
    return 0;
}

static int parse_file(ini_ctx *c, rb_err *e)
{
    int rc = prescan(c, e);
    if (rc != 0)
        return rc;
    c->at_line_start = 1;
    c->last_sec = c->last_axis = -1;
    int line = ini_parse_stream(ctx_reader, c, on_key, c);
    if (line == 0)
        return 0;
    if (line > 0 && line == c->err_line) {
        if (e)
            *e = c->err;
        return c->err.code;
    }
    if (line > 0) {
        syntax_error(c, line, e);
        return RB_EINPUT;
    }
    return rb_errf(e, RB_ERUNTIME, "%s: the INI parser failed (%d)", c->path, line);
}

int rb_matrix_load(rb_matrix *m, const char *path, const rb_axes *override, int input_proj,
                   rb_err *e)
{
    ini_ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    char *text = NULL;
    int rc = read_text(path, &text, &c.len, e);
    if (rc != 0)
        return rc;
    c.text = text;
    rc = parse_file(&c, e);
    if (rc == 0)
        rc = check_sections(&c, override, e);
    for (int s = 0; rc == 0 && s < c.n_sec; s++) {
        rb_axes given = effective_axes(&c.sec[s].axes, override), a = with_defaults(given);
        rc = a.n_model ? expand_models(m, &given, &a, input_proj, e)
                       : expand(m, &given, &a, input_proj, e);
        if (rc && a.n_model)
            rb_err_prefix(e, "%s: [%s]: ", path, c.sec[s].name);
    }
    free(c.sec);
    free(text);
    return rc;
}
