/* target.c — samples, tensors and the checked wrappers around rb_target_ops.
 *
 * As in fio, the harness never calls an adapter's function pointer itself:
 * these wrappers refuse calls in the wrong state or with mismatched shapes,
 * so every adapter can assume its arguments are consistent with what it was
 * loaded for, and a missing optional operation becomes an honest
 * RB_EUNAVAIL instead of a NULL call. */
#include "target.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void rb_sample_reset(rb_sample *s)
{
    memset(s, 0, sizeof *s);
    s->device_s = -1;
    s->energy_j = -1;
}

void rb_sample_metric(rb_sample *s, const char *name, double value, const char *unit,
                      const char *source)
{
    rb_metric *m = NULL;
    for (int i = 0; i < s->n_metrics; i++)
        if (!strncmp(s->metrics[i].name, name, sizeof m->name - 1)) {
            m = &s->metrics[i];
            break;
        }
    if (!m) {
        if (s->n_metrics >= RB_SAMPLE_MAX_METRICS)
            return;
        m = &s->metrics[s->n_metrics++];
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    m->value = value;
    snprintf(m->unit, sizeof m->unit, "%s", unit ? unit : "");
    snprintf(m->source, sizeof m->source, "%s", source ? source : "");
}

size_t rb_tensor_count(const rb_tensor *t)
{
    if (!t || t->ndim < 1 || t->ndim > 4)
        return 0;
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static const char *tname(const rb_target *t)
{
    return t && t->ops && t->ops->name ? t->ops->name : "(none)";
}

void rb_target_init(rb_target *t, const rb_target_ops *ops, int threads)
{
    memset(t, 0, sizeof *t);
    t->ops = ops;
    if (ops && ops->name)
        snprintf(t->instance, sizeof t->instance, "%s", ops->name);
    t->threads = threads < 0 ? 0 : threads;
    t->features = ops ? ops->features : 0;
}

int rb_target_probe(rb_target *t, rb_err *e)
{
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "probe: no target given");
    if (t->loaded)
        return rb_errf(e, RB_EINPUT, "target %s: probe while a model is loaded; unload first",
                       tname(t));
    rb_target_close(t); /* a second probe starts a fresh session */
    memset(&t->info, 0, sizeof t->info);
    /* The adapter's own words, before touching anything it was built without. */
    if (t->ops->unavailable)
        return rb_errf(e, RB_EUNAVAIL, "target %s is unavailable: %s", tname(t),
                       t->ops->unavailable);
    if (!t->ops->probe)
        return rb_errf(e, RB_EUNAVAIL, "target %s has no probe operation", tname(t));
    snprintf(t->info.type, sizeof t->info.type, "%s", tname(t));
    snprintf(t->info.name, sizeof t->info.name, "%s", tname(t));
    t->features = t->ops->features;
    rb_err_clear(e); /* so "failed without a message" can be told apart */
    int rc = t->ops->probe(t, &t->info, e);
    if (rc) {
        /* An adapter that fails without saying why still gets a message. */
        if (e && !e->msg[0])
            rb_errf(e, rc, "target %s: probe failed (%d)", tname(t), rc);
        memset(&t->info, 0, sizeof t->info);
        return rc;
    }
    if (!t->info.type[0])
        snprintf(t->info.type, sizeof t->info.type, "%s", tname(t));
    t->available = 1;
    return 0;
}

/* The model must be exactly what the workload describes: adapters size their
 * buffers from the workload and read weights from the model. */
static int check_features(const rb_target *t, const rb_workload *w, rb_err *e);

static int check_model(const rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    if (!m || !w)
        return rb_errf(e, RB_EINPUT, "target %s: load needs a model and a workload", tname(t));
    if (w->seq < 1 || w->batch < 1 || w->hidden < 1 || w->layers < 1 ||
        (w->input_proj && w->input < 1))
        return rb_errf(e, RB_EINPUT,
                       "target %s: workload %s has a non-positive size (seq %d, batch %d, "
                       "input %d, hidden %d, layers %d)",
                       tname(t), w->key, w->seq, w->batch, w->input, w->hidden, w->layers);
    if (m->cell != w->cell || m->hidden != w->hidden || m->layers != w->layers ||
        m->input_proj != w->input_proj || (w->input_proj && m->input != w->input) ||
        (m->dirs == 2 ? 2 : 1) != rb_workload_dirs(w) || (rb_model_features(m) & ~w->features) != 0)
        return rb_errf(e, RB_EINPUT,
                       "target %s: model (%s, input %d, hidden %d, layers %d, input_proj %d, "
                       "directions %d) does not match workload %s",
                       tname(t), rb_cell_name(m->cell), m->input, m->hidden, m->layers,
                       m->input_proj, m->dirs, w->key);
    if (!m->layer)
        return rb_errf(e, RB_EINPUT, "target %s: model has no layers allocated", tname(t));
    int D = rb_workload_dirs(w);
    for (int u = 0; u < m->layers * D; u++) {
        const rb_layer *ly = &m->layer[u];
        int want_in = u < D ? (m->input_proj ? m->input : 0) : D * m->hidden;
        if (ly->in != want_in || (want_in && !ly->w_ih) || !ly->w_hh || !ly->b_ih || !ly->b_hh)
            return rb_errf(e, RB_EINPUT,
                           "target %s: layer %d of the model is malformed (in %d, expected %d, "
                           "or a weight is missing)",
                           tname(t), u / D, ly->in, want_in);
    }
    return check_features(t, w, e);
}

/* What the point needs and the target does not run is a property of the
 * target: RB_EUNAVAIL, stored as unsupported, naming the feature. */
static int check_features(const rb_target *t, const rb_workload *w, rb_err *e)
{
    if (!(t->ops->cells & RB_CELL_BIT(w->cell)))
        return rb_errf(e, RB_EUNAVAIL, "unsupported: cell %s", rb_cell_name(w->cell));
    unsigned missing = w->features & ~t->features;
    if (w->mode == RB_MODE_TRAIN)
        missing = w->features;
    if (missing) {
        char names[128];
        return rb_errf(e, RB_EUNAVAIL, "unsupported: %s%s",
                       rb_features_str(missing, names, sizeof names),
                       w->mode == RB_MODE_TRAIN ? " (training covers the plain stack)" : "");
    }
    return 0;
}

int rb_target_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "load: no target given");
    if (!t->available)
        return rb_errf(e, RB_EINPUT, "target %s: load before a successful probe", tname(t));
    if (!t->ops->load)
        return rb_errf(e, RB_EUNAVAIL, "target %s cannot load models", tname(t));
    int rc = check_model(t, m, w, e);
    if (rc)
        return rc;
    rb_target_unload(t);
    rb_err_clear(e);
    rc = t->ops->load(t, m, w, e);
    if (rc) {
        if (e && !e->msg[0])
            rb_errf(e, rc, "target %s: load failed (%d)", tname(t), rc);
        /* A failed load may have left partial state: the adapter's unload frees it. */
        if (t->ops->unload)
            t->ops->unload(t);
        t->priv = NULL;
        return rc;
    }
    t->workload = *w;
    t->loaded = 1;
    return 0;
}

static int check_batch(const rb_target *t, const rb_batch *in, rb_err *e)
{
    const rb_workload *w = &t->workload;
    if (!in || !in->x)
        return rb_errf(e, RB_EINPUT, "target %s: no input batch", tname(t));
    int width = rb_workload_x_width(w);
    if (in->seq != w->seq || in->batch != w->batch || in->width != width)
        return rb_errf(e, RB_EINPUT,
                       "target %s: batch is [%d, %d, %d] but %s was loaded for [%d, %d, %d]",
                       tname(t), in->seq, in->batch, in->width, w->key, w->seq, w->batch, width);
    if (in->lens && !(w->features & RB_FEAT_SEQ_LENS))
        return rb_errf(e, RB_EINPUT,
                       "target %s: batch has sequence lengths but %s was loaded "
                       "without them",
                       tname(t), w->key);
    for (int b = 0; in->lens && b < in->batch; b++)
        if (in->lens[b] < 0 || in->lens[b] > in->seq)
            return rb_errf(e, RB_EINPUT, "target %s: row %d has length %d, outside 0..%d", tname(t),
                           b, in->lens[b], in->seq);
    return 0;
}

static int check_out(const rb_target *t, const rb_tensor *out, const char *what, rb_err *e)
{
    const rb_workload *w = &t->workload;
    if (!out || !out->data)
        return rb_errf(e, RB_EINPUT, "target %s: no %s tensor", tname(t), what);
    if (out->ndim != 3 || out->shape[0] != (size_t)w->seq || out->shape[1] != (size_t)w->batch ||
        out->shape[2] != (size_t)rb_workload_y_width(w))
        return rb_errf(e, RB_EINPUT,
                       "target %s: %s tensor must be [T, B, D*H] = [%d, %d, %d] for %s "
                       "(got ndim %d, [%zu, %zu, %zu])",
                       tname(t), what, w->seq, w->batch, rb_workload_y_width(w), w->key, out->ndim,
                       out->shape[0], out->shape[1], out->shape[2]);
    return 0;
}

/* Provenance is mandatory: a figure without a source cannot be stored. */
static int check_sample(const rb_target *t, rb_sample *s, rb_err *e)
{
    if (s->device_s >= 0 && !s->time_source)
        s->time_source = t->ops->method;
    if (s->energy_j >= 0 && !s->energy_source)
        return rb_errf(e, RB_ERUNTIME, "target %s reported energy without its source (bug)",
                       tname(t));
    return 0;
}

/* The batch and the tensor match what was loaded; clears e for the call that
 * follows, so an adapter that fails without a message can be told apart. */
static int check_args(const rb_target *t, const rb_batch *in, const rb_tensor *out,
                      const char *what, rb_err *e)
{
    int rc = check_batch(t, in, e);
    if (!rc)
        rc = check_out(t, out, what, e);
    if (!rc)
        rb_err_clear(e);
    return rc;
}

/* An adapter's return code: a message if it gave none, else the sample's provenance check. */
static int after_call(const rb_target *t, const char *op, int rc, rb_sample *s, rb_err *e)
{
    if (rc) {
        if (e && !e->msg[0])
            rb_errf(e, rc, "target %s: %s failed (%d)", tname(t), op, rc);
        return rc;
    }
    return check_sample(t, s, e);
}

int rb_target_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e)
{
    rb_sample local;
    if (!s)
        s = &local;
    rb_sample_reset(s);
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "forward: no target given");
    if (!t->loaded)
        return rb_errf(e, RB_EINPUT, "target %s: forward before a model was loaded", tname(t));
    if (!t->ops->forward)
        return rb_errf(e, RB_EUNAVAIL, "target %s does not support inference", tname(t));
    int rc = check_args(t, in, out, "output", e);
    if (rc)
        return rc;
    return after_call(t, "forward", t->ops->forward(t, in, out, s, e), s, e);
}

/* Training needs a load for training and a loss to learn from. */
static int check_train(const rb_target *t, const rb_batch *in, const rb_train_io *io, rb_err *e)
{
    if (!t->ops->train_step)
        return rb_errf(e, RB_EUNAVAIL, "target %s does not support training", tname(t));
    if (!t->loaded)
        return rb_errf(e, RB_EINPUT, "target %s: train_step before a model was loaded", tname(t));
    if (t->workload.mode != RB_MODE_TRAIN)
        return rb_errf(e, RB_EINPUT,
                       "target %s: %s was loaded for inference; load a train-mode workload to "
                       "train",
                       tname(t), t->workload.key);
    if (!io || !io->loss)
        return rb_errf(e, RB_EINPUT, "target %s: train_step without a loss", tname(t));
    if (!(io->opt.lr > 0) || !(io->opt.beta1 >= 0 && io->opt.beta1 < 1) ||
        !(io->opt.beta2 >= 0 && io->opt.beta2 < 1) || !(io->opt.eps > 0))
        return rb_errf(e, RB_EINPUT,
                       "target %s: bad optimizer settings (lr %g, betas %g %g, eps %g)", tname(t),
                       io->opt.lr, io->opt.beta1, io->opt.beta2, io->opt.eps);
    int rc = check_batch(t, in, e);
    if (!rc)
        rb_err_clear(e);
    return rc;
}

int rb_target_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *s, rb_err *e)
{
    rb_sample local;
    if (!s)
        s = &local;
    rb_sample_reset(s);
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "train_step: no target given");
    int rc = check_train(t, in, io, e);
    if (rc)
        return rc;
    io->loss_value = io->grad_norm = 0;
    return after_call(t, "train_step", t->ops->train_step(t, in, io, s, e), s, e);
}

int rb_target_can_train(const rb_target *t)
{
    return t && t->ops && t->ops->train_step && t->ops->params;
}

int rb_target_work(rb_target *t, const rb_workload *w, rb_call_work *out, rb_err *e)
{
    if (!t || !t->ops || !w)
        return rb_errf(e, RB_EINPUT, "work: no target or workload given");
    if (!t->available)
        return rb_errf(e, RB_EINPUT, "target %s: work before a successful probe", tname(t));
    /* the refusals rb_measure and load would store, in their words */
    if (w->mode == RB_MODE_TRAIN && !rb_target_can_train(t))
        return rb_errf(e, RB_EUNAVAIL, "target %s does not train (inference only)", t->ops->name);
    int rc = check_features(t, w, e);
    if (rc)
        return rc;
    /* training: a forward and a backward pass through the steps */
    const int train = w->mode == RB_MODE_TRAIN;
    double steps = (double)w->seq * w->layers * rb_workload_dirs(w);
    /* W_hh of every unit at every step (the input projection is one GEMM
     * over all steps; fp32), the part that a core's L2 cannot keep: below
     * it a step's weights come from cache and cost what the FLOPs cost.
     * (The L3 size a VM reports is the host's, shared: not a boundary.) */
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    double per_step =
        4.0 * rb_cell_gates(w->cell) * w->hidden * w->hidden - (l2 > 0 ? l2 : 1 << 20);
    double bytes = per_step > 0 ? steps * per_step : 0;
    *out = (rb_call_work){train ? 2 * steps : steps, rb_workload_flops(w),
                          train ? 2 * bytes : bytes, 0};
    return t->ops->work ? t->ops->work(t, w, out, e) : 0;
}

int rb_target_params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "params: no target given");
    if (!t->ops->params)
        return rb_errf(e, RB_EUNAVAIL, "target %s cannot return its parameters", tname(t));
    if (!t->loaded || t->workload.mode != RB_MODE_TRAIN)
        return rb_errf(e, RB_EINPUT, "target %s: params needs a model loaded for training",
                       tname(t));
    rb_err_clear(e);
    int rc = t->ops->params(t, weights, grads, e);
    if (rc && e && !e->msg[0])
        rb_errf(e, rc, "target %s: params failed (%d)", tname(t), rc);
    return rc;
}

void rb_target_unload(rb_target *t)
{
    if (!t || !t->loaded)
        return;
    if (t->ops && t->ops->unload)
        t->ops->unload(t);
    t->loaded = 0;
    t->priv = NULL;
    memset(&t->workload, 0, sizeof t->workload);
}

int rb_target_enumerate(rb_target *t, rb_device_info *out, int max, rb_err *e)
{
    if (!t || !t->ops)
        return rb_errf(e, RB_EINPUT, "enumerate: no target given");
    if (!t->available)
        return rb_errf(e, RB_EINPUT, "target %s: enumerate before a successful probe", tname(t));
    if (!t->ops->enumerate) {
        /* one device: the probed one */
        if (max > 0)
            out[0] = t->info;
        return 1;
    }
    return t->ops->enumerate(t, out, max, e);
}

void rb_target_close(rb_target *t)
{
    if (!t)
        return;
    rb_target_unload(t);
    if (t->session && t->ops && t->ops->close)
        t->ops->close(t);
    t->session = NULL;
    t->available = 0;
}

int rb_target_set_opt(rb_target *t, const char *key, const char *value)
{
    int i = 0;
    while (i < t->n_opts && strcmp(t->opts[i].key, key))
        i++;
    if (i == RB_TARGET_MAX_OPTS)
        return RB_EINPUT;
    if (i == t->n_opts)
        t->n_opts++;
    snprintf(t->opts[i].key, sizeof t->opts[i].key, "%s", key);
    snprintf(t->opts[i].value, sizeof t->opts[i].value, "%s", value);
    return 0;
}

const char *rb_target_opt(const rb_target *t, const char *key)
{
    for (int i = 0; i < t->n_opts; i++)
        if (!strcmp(t->opts[i].key, key))
            return t->opts[i].value;
    return NULL;
}
