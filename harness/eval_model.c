/* eval_model.c — an imported model on every target, on the user's inputs.
 *
 * The graph around the stack runs on the host in fp32; the stack runs on
 * each target in its number format, and on the fp64 reference first.  Each
 * target's outputs are compared with the reference's, element for element;
 * with labels, its predictions (argmax over the last axis of the first
 * output) are scored.  Input sets are ONNX's test_data_set_N directories
 * when the inputs directory holds them, else the directory itself. */
#include "eval_model.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../workloads/files.h"
#include "../workloads/import/net.h"
#include "../workloads/npy.h"
#include "../workloads/reference.h"
#include "../workloads/textclass/textclass.h"
#include "cli.h"
#include "signals.h"
#include "task_cli.h"

#define MAX_SETS 256
#define MAX_OUTPUTS 8
#define MAX_LABELS (1 << 24)

typedef struct stack_ctx {
    rb_target *t; /* NULL: fwd, or the fp64 reference */
    rb_tc_forward_fn fwd;
    void *fwd_ctx;
    rb_net *net;
    rb_workload loaded;
    int is_loaded;
} stack_ctx;

/* The stack on one target (loaded again only when the shape changes). */
static int run_stack(void *vc, const rb_batch *in, float *y, rb_err *e)
{
    stack_ctx *c = vc;
    rb_workload w = rb_net_workload(c->net, RB_MODE_INFER, in->seq, in->batch);
    if (in->lens)
        w.features |= RB_FEAT_SEQ_LENS;
    size_t ny = (size_t)in->seq * in->batch * rb_workload_y_width(&w);
    if (!c->t && c->fwd)
        return c->fwd(c->fwd_ctx, in, y, e);
    if (!c->t) {
        double *r = malloc(ny * sizeof *r);
        int rc = r ? rb_ref_forward(&c->net->model, in, r, NULL, NULL, e)
                   : rb_errf(e, RB_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < ny; i++)
            y[i] = (float)r[i];
        free(r);
        return rc;
    }
    int rc = 0;
    if (!c->is_loaded || strcmp(c->loaded.key, w.key) || c->loaded.features != w.features) {
        c->is_loaded = 0;
        if ((rc = rb_target_load(c->t, &c->net->model, &w, e)))
            return rc;
        c->loaded = w;
        c->is_loaded = 1;
    }
    rb_tensor out = {y, 3, {(size_t)in->seq, (size_t)in->batch, (size_t)rb_workload_y_width(&w)}};
    return rb_target_forward(c->t, in, &out, NULL, e);
}

/* The input sets: test_data_set_N subdirectories in order, else dir. */
static int list_sets(const char *dir, char (*sets)[1024], int *n, rb_err *e)
{
    *n = 0;
    for (int k = 0; k < MAX_SETS; k++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/test_data_set_%d", dir, k);
        DIR *d = opendir(p);
        if (!d)
            break;
        closedir(d);
        snprintf(sets[(*n)++], 1024, "%s", p);
    }
    if (*n)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return rb_errf(e, RB_EINPUT, "--inputs %s: not a directory", dir);
    closedir(d);
    snprintf(sets[(*n)++], 1024, "%s", dir);
    return 0;
}

/* A state_dict's stack on x.npy [T, B, I] (and lens.npy [B] if there). */
static int run_weights(rb_net *net, const char *set, stack_ctx *c, rb_gtensor *y, rb_err *e)
{
    char path[1100];
    rb_npy x = {0}, l = {0};
    snprintf(path, sizeof path, "%s/x.npy", set);
    int rc = rb_npy_read_f32(path, &x, (size_t)1 << 30, e);
    if (!rc && (x.ndim != 3 || x.shape[2] != (size_t)net->input || !x.shape[0] || !x.shape[1]))
        rc = rb_errf(e, RB_EINPUT, "%s: must be float [T, B, %d] (seq-major, the stack's input)",
                     path, net->input);
    int *lens = NULL;
    snprintf(path, sizeof path, "%s/lens.npy", set);
    if (!rc && !access(path, R_OK)) {
        if (!(rc = rb_npy_read_i64(path, &l, 0, e)) && l.count != x.shape[1])
            rc = rb_errf(e, RB_EINPUT, "%s: %zu lengths for a batch of %zu", path, l.count,
                         x.shape[1]);
        if (!rc && !(lens = malloc(l.count * sizeof *lens)))
            rc = rb_errf(e, RB_ENOMEM, "out of memory");
        for (size_t b = 0; !rc && b < l.count; b++) {
            if (l.i64[b] < 0 || l.i64[b] > (int64_t)x.shape[0])
                rc = rb_errf(e, RB_EINPUT, "%s: length %lld outside 0..%zu", path,
                             (long long)l.i64[b], x.shape[0]);
            else
                lens[b] = (int)l.i64[b];
        }
    }
    if (!rc) {
        int64_t dims[3] = {(int64_t)x.shape[0], (int64_t)x.shape[1],
                           (int64_t)net->dirs * net->hidden};
        rb_batch in = {(int)x.shape[0], (int)x.shape[1], net->input, x.f32, NULL, NULL, lens};
        if (!(rc = rb_gtensor_alloc(y, RB_GT_FLOAT, 3, dims, e)) &&
            (rc = run_stack(c, &in, y->f, e)))
            rb_gtensor_free(y);
    }
    free(lens);
    rb_npy_free(&x);
    rb_npy_free(&l);
    return rc;
}

/* Every output of the model on one input set, copied out. */
static int run_set(rb_net *net, const char *set, stack_ctx *c, rb_gtensor *out, int *n_out,
                   rb_err *e)
{
    if (!net->g.n_nodes) {
        *n_out = 1;
        return run_weights(net, set, c, &out[0], e);
    }
    rb_net_run_ctx rc_ctx = {.net = net, .fn = run_stack, .ctx = c};
    rb_geval *ev = rb_geval_new(&net->g, rb_net_hook, &rc_ctx, e);
    if (!ev)
        return e->code;
    int rc = rb_net_read_inputs(net, set, ev, e);
    if (!rc && net->weights_are_inputs)
        rc = rb_net_build(net, ev, e); /* this set's weights */
    *n_out = net->g.n_outputs < MAX_OUTPUTS ? net->g.n_outputs : MAX_OUTPUTS;
    for (int o = 0; !rc && o < *n_out; o++) {
        const rb_gtensor *t;
        if (!(rc = rb_geval_get(ev, net->g.outputs[o].name, &t, e)) &&
            !(rc = rb_gtensor_alloc(&out[o], t->type, t->ndim, t->dims, e)))
            memcpy(out[o].data, t->data, t->count * (t->type == RB_GT_FLOAT ? 4 : 8));
    }
    rb_geval_free(ev);
    return rc;
}

/* Class ids: an integer .npy, or text with one integer per line. */
static int read_labels(const char *path, int **labels, size_t *n, rb_err *e)
{
    size_t len = strlen(path);
    *labels = NULL;
    *n = 0;
    if (len > 4 && !strcmp(path + len - 4, ".npy")) {
        rb_npy a;
        int rc = rb_npy_read_i64(path, &a, (size_t)MAX_LABELS * 8, e);
        if (rc)
            return rc;
        if (!(*labels = malloc((a.count ? a.count : 1) * sizeof **labels)))
            rc = rb_errf(e, RB_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < a.count; i++) {
            if (a.i64[i] < 0 || a.i64[i] > 1 << 20)
                rc = rb_errf(e, RB_EINPUT, "%s: label %zu is %lld, not a class id", path, i,
                             (long long)a.i64[i]);
            else
                (*labels)[i] = (int)a.i64[i];
        }
        *n = a.count;
        rb_npy_free(&a);
        return rc;
    }
    FILE *f = rb_fopen_in(path, 64L << 20, "a labels file", e);
    if (!f)
        return RB_EINPUT;
    size_t cap = 1024, line = 0;
    int rc = 0;
    char buf[64];
    *labels = malloc(cap * sizeof **labels);
    while (!rc && *labels && fgets(buf, sizeof buf, f)) {
        line++;
        char *end;
        long v = strtol(buf, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (end == buf || *end || v < 0 || v > 1 << 20) {
            rc = rb_errf(e, RB_EINPUT, "%s:%zu: not a class id (a non-negative integer)", path,
                         line);
            break;
        }
        if (*n == cap || *n >= MAX_LABELS) {
            int *p = *n < MAX_LABELS ? realloc(*labels, 2 * cap * sizeof *p) : NULL;
            if (!p) {
                rc = rb_errf(e, RB_ENOMEM, "%s: too many labels", path);
                break;
            }
            *labels = p;
            cap *= 2;
        }
        (*labels)[(*n)++] = (int)v;
    }
    fclose(f);
    if (!*labels)
        return rb_errf(e, RB_ENOMEM, "out of memory");
    return rc;
}

/* argmax over the last axis of the first output of every set, in order. */
static size_t predict(rb_gtensor (*outs)[MAX_OUTPUTS], int n_sets, int *pred, size_t max,
                      int *classes)
{
    size_t k = 0;
    for (int s = 0; s < n_sets; s++) {
        const rb_gtensor *t = &outs[s][0];
        size_t C = t->ndim ? (size_t)t->dims[t->ndim - 1] : 1, rows = C ? t->count / C : 0;
        *classes = (int)C > *classes ? (int)C : *classes;
        for (size_t r = 0; r < rows && k < max; r++) {
            size_t best = 0;
            for (size_t j = 1; j < C; j++)
                if (rb_gtensor_get(t, r * C + j) > rb_gtensor_get(t, r * C + best))
                    best = j;
            pred[k++] = (int)best;
        }
    }
    return k;
}

static void free_outs(rb_gtensor (*outs)[MAX_OUTPUTS], int n_sets)
{
    for (int s = 0; outs && s < n_sets; s++)
        for (int o = 0; o < MAX_OUTPUTS; o++)
            rb_gtensor_free(&outs[s][o]);
}

/* The largest error of outs against ref over every set and output. */
static void errors(rb_gtensor (*outs)[MAX_OUTPUTS], rb_gtensor (*ref)[MAX_OUTPUTS], int n_sets,
                   int n_out, double *max_abs, double *max_rel)
{
    *max_abs = *max_rel = 0;
    for (int s = 0; s < n_sets; s++)
        for (int o = 0; o < n_out; o++)
            for (size_t i = 0; i < outs[s][o].count && i < ref[s][o].count; i++) {
                double a = rb_gtensor_get(&outs[s][o], i), r = rb_gtensor_get(&ref[s][o], i);
                double d = fabs(a - r), rel = d / fmax(fabs(r), RB_REL_FLOOR);
                if (!(d <= *max_abs))
                    *max_abs = d;
                if (!(rel <= *max_rel))
                    *max_rel = rel;
            }
}

/* A set's expected output o: ONNX's output_K.pb, or <output name>.npy (what
 * scripts/export-pytorch.py --module writes beside the inputs); 0 if found. */
static int expected(const rb_net *net, const char *set, int o, rb_gtensor *want)
{
    char p[1100], *name = NULL;
    rb_err e = {0};
    snprintf(p, sizeof p, "%s/output_%d.pb", set, o);
    if (!access(p, R_OK) && !rb_onnx_read_tensor(p, 1L << 30, want, &name, &e)) {
        free(name);
        return 0;
    }
    if (!net->g.n_outputs)
        return -1;
    snprintf(p, sizeof p, "%s/%s.npy", set, net->g.outputs[o].name);
    rb_npy a;
    if (access(p, R_OK) || rb_npy_read_f32(p, &a, (size_t)1 << 30, &e))
        return -1;
    int64_t dims[RB_GT_MAXDIM];
    for (int d = 0; d < a.ndim && d < RB_GT_MAXDIM; d++)
        dims[d] = (int64_t)a.shape[d];
    int rc = rb_gtensor_alloc(want, RB_GT_FLOAT, a.ndim, dims, &e);
    if (!rc)
        memcpy(want->f, a.f32, a.count * sizeof *a.f32);
    rb_npy_free(&a);
    return rc;
}

/* The reference against a set's expected outputs, if it has them. */
static void check_expected(const rb_net *net, char (*sets)[1024], int n_sets,
                           rb_gtensor (*ref)[MAX_OUTPUTS], int n_out)
{
    double worst = 0;
    int found = 0;
    for (int s = 0; s < n_sets; s++)
        for (int o = 0; o < n_out; o++) {
            rb_gtensor want;
            if (expected(net, sets[s], o, &want))
                continue;
            found++;
            for (size_t i = 0; i < want.count && i < ref[s][o].count; i++) {
                double r = rb_gtensor_get(&want, i);
                double d = fabs(rb_gtensor_get(&ref[s][o], i) - r) / fmax(fabs(r), RB_REL_FLOOR);
                worst = d > worst || isnan(d) ? d : worst;
            }
            if (want.count != ref[s][o].count)
                worst = INFINITY;
            rb_gtensor_free(&want);
        }
    if (found)
        printf("the reference against the %d expected output%s of the input sets: max_rel %.3g "
               "(fp32 bound %.3g)\n",
               found, found == 1 ? "" : "s", worst,
               rb_fp32_tolerance(&(rb_workload){.cell = net->cell,
                                                .seq = 1,
                                                .hidden = net->hidden,
                                                .input = net->input,
                                                .layers = net->n_rec,
                                                .input_proj = 1,
                                                .dirs = net->dirs},
                                 0));
}

/* What one evaluation holds, freed in one place. */
typedef struct eval_bufs {
    rb_net net;
    char (*sets)[1024];
    rb_gtensor (*ref)[MAX_OUTPUTS], (*outs)[MAX_OUTPUTS];
    int n_sets, n_out, classes;
    int *labels, *pred, *ref_pred;
    size_t n_labels;
} eval_bufs;

static void eval_bufs_free(eval_bufs *b)
{
    free_outs(b->ref, b->n_sets);
    free_outs(b->outs, b->n_sets);
    free(b->sets);
    free(b->ref);
    free(b->outs);
    free(b->labels);
    free(b->pred);
    free(b->ref_pred);
    rb_net_free(&b->net);
}

/* The model, its input sets, the labels, and the fp64 reference's outputs
 * (what every target is measured against) with its predictions. */
static int eval_prepare(const rb_eval_model_args *a, eval_bufs *b, rb_err *e)
{
    int rc = rb_net_load(a->model, rb_cli_model_max_bytes(), &b->net, e);
    if (rc)
        return rc;
    b->sets = malloc(MAX_SETS * sizeof *b->sets);
    b->ref = calloc(MAX_SETS, sizeof *b->ref);
    b->outs = calloc(MAX_SETS, sizeof *b->outs);
    if (!b->sets || !b->ref || !b->outs)
        return rb_errf(e, RB_ENOMEM, "out of memory");
    if ((rc = list_sets(a->inputs, b->sets, &b->n_sets, e)))
        return rc;
    if (a->labels && (rc = read_labels(a->labels, &b->labels, &b->n_labels, e)))
        return rc;
    if (b->labels && (!(b->pred = malloc(b->n_labels * sizeof *b->pred + 1)) ||
                      !(b->ref_pred = malloc(b->n_labels * sizeof *b->ref_pred + 1))))
        return rb_errf(e, RB_ENOMEM, "out of memory");
    stack_ctx c = {.net = &b->net};
    for (int s = 0; s < b->n_sets; s++)
        if ((rc = run_set(&b->net, b->sets[s], &c, b->ref[s], &b->n_out, e)))
            return rb_err_prefix(e, "%s: ", b->sets[s]);
    if (b->labels) {
        size_t k = predict(b->ref, b->n_sets, b->ref_pred, b->n_labels, &b->classes);
        if (k != b->n_labels || b->classes < 2)
            return rb_errf(e, RB_EINPUT,
                           "%s: %zu labels, but the model's first output has %zu rows of %d "
                           "classes over the input sets",
                           a->labels, b->n_labels, k, b->classes);
    }
    return 0;
}

struct rb_eval_set {
    eval_bufs b;
    rb_tc_scores ref; /* the fp64 reference's scores */
};

int rb_eval_set_open(const char *model, const char *inputs, const char *labels,
                     rb_eval_set **out, rb_err *e)
{
    rb_eval_model_args a = {.model = model, .inputs = inputs, .labels = labels};
    rb_eval_set *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "out of memory");
    int rc = eval_prepare(&a, &s->b, e);
    if (!rc && !s->b.labels)
        rc = rb_errf(e, RB_EINPUT, "an accuracy needs labels: --labels FILE");
    if (rc) {
        rb_eval_set_free(s);
        return rc;
    }
    rb_tc_score(s->b.labels, s->b.ref_pred, s->b.n_labels, s->b.classes, &s->ref);
    *out = s;
    return 0;
}

const rb_model *rb_eval_set_model(const rb_eval_set *s) { return &s->b.net.model; }

int rb_eval_set_score(rb_eval_set *s, rb_tc_forward_fn fwd, void *ctx, rb_tc_scores *sc,
                      rb_err *e)
{
    eval_bufs *b = &s->b;
    if (!fwd) {
        *sc = s->ref;
        return 0;
    }
    stack_ctx c = {.fwd = fwd, .fwd_ctx = ctx, .net = &b->net};
    int rc = 0, n_o = 0, cls = b->classes;
    free_outs(b->outs, b->n_sets);
    for (int i = 0; !rc && i < b->n_sets; i++)
        if ((rc = run_set(&b->net, b->sets[i], &c, b->outs[i], &n_o, e)))
            rb_err_prefix(e, "%s: ", b->sets[i]);
    if (rc)
        return rc;
    predict(b->outs, b->n_sets, b->pred, b->n_labels, &cls);
    rb_tc_score(b->labels, b->pred, b->n_labels, b->classes, sc);
    return 0;
}

void rb_eval_set_free(rb_eval_set *s)
{
    if (!s)
        return;
    eval_bufs_free(&s->b);
    free(s);
}

/* Accuracy of always predicting the labels' most frequent class. */
static void majority(const eval_bufs *b, rb_tc_scores *base)
{
    int *count = calloc((size_t)b->classes, sizeof *count), best = 0, *maj = NULL;
    memset(base, 0, sizeof *base);
    for (size_t i = 0; count && i < b->n_labels; i++)
        if (b->labels[i] < b->classes && ++count[b->labels[i]] > count[best])
            best = b->labels[i];
    if (count && (maj = malloc(b->n_labels * sizeof *maj))) {
        for (size_t i = 0; i < b->n_labels; i++)
            maj[i] = best;
        rb_tc_score(b->labels, maj, b->n_labels, b->classes, base);
    }
    free(maj);
    free(count);
}

int rb_eval_model(const rb_eval_model_args *a, int argc, char **argv, rb_err *e)
{
    eval_bufs b = {0};
    rb_store *st = NULL;
    int64_t run_id = 0, dev[16] = {0};
    rb_target *run_t[16];
    int n_avail = 0, bad = 0;
    for (int i = 0; i < a->n && n_avail < 16; i++)
        if (a->avail[i])
            run_t[n_avail++] = &a->t[i];
    int rc = eval_prepare(a, &b, e);
    if (!rc && b.labels)
        rc = rb_task_run_begin(a->db, a->label, argc, argv, "{\"command\":\"eval\"}", run_t,
                               n_avail, &st, &run_id, dev, e);
    if (rc) {
        eval_bufs_free(&b);
        return rb_cli_fail("eval", e);
    }

    printf("%s: %d input set%s from %s, %d output%s\n", b.net.id, b.n_sets,
           b.n_sets == 1 ? "" : "s", a->inputs, b.n_out, b.n_out == 1 ? "" : "s");
    check_expected(&b.net, b.sets, b.n_sets, b.ref, b.n_out);
    rb_tc_scores base = {0}, ref_sc = {0};
    if (b.labels) {
        majority(&b, &base);
        rb_tc_score(b.labels, b.ref_pred, b.n_labels, b.classes, &ref_sc);
        printf("%zu labels, %d classes; majority-class accuracy %.4f, reference accuracy %.4f\n",
               b.n_labels, b.classes, base.accuracy, ref_sc.accuracy);
    }
    printf("%-8s %-28s %10s %10s %10s %9s %9s %9s\n", "target", "numerics", "max_abs", "max_rel",
           "fp32 bound", "accuracy", "macro-F1", "agreement");
    for (int i = 0, k = 0; i < a->n && !rc; i++) {
        if (!a->avail[i])
            continue;
        int64_t device_id = dev[k++];
        stack_ctx c = {.t = &a->t[i], .net = &b.net};
        rb_err te = {0};
        int trc = 0, n_o = 0;
        free_outs(b.outs, b.n_sets);
        for (int s = 0; !trc && s < b.n_sets; s++)
            trc =
                rb_interrupted() ? RB_EINTR : run_set(&b.net, b.sets[s], &c, b.outs[s], &n_o, &te);
        rb_target_unload(&a->t[i]);
        if (trc == RB_EINTR || rb_interrupted()) {
            rc = rb_errf(e, RB_EINTR, "interrupted");
            break;
        }
        if (trc) {
            printf("%-8s %-28s %s\n", a->t[i].instance, a->t[i].info.numerics, te.msg);
            bad += trc != RB_EUNAVAIL;
            continue;
        }
        double mabs, mrel;
        errors(b.outs, b.ref, b.n_sets, b.n_out, &mabs, &mrel);
        int fp32 = !strcmp(a->t[i].info.numerics, "fp32");
        double bound = rb_fp32_tolerance(&c.loaded, 0);
        printf("%-8s %-28s %10.3g %10.3g %10s", a->t[i].instance, a->t[i].info.numerics, mabs, mrel,
               fp32 ? (mrel <= bound ? "within" : "EXCEEDED") : "n/a");
        bad += fp32 && !(mrel <= bound);
        if (b.labels) {
            rb_tc_scores sc;
            int cls = b.classes;
            predict(b.outs, b.n_sets, b.pred, b.n_labels, &cls);
            rb_tc_score(b.labels, b.pred, b.n_labels, b.classes, &sc);
            size_t same = 0;
            for (size_t j = 0; j < b.n_labels; j++)
                same += b.pred[j] == b.ref_pred[j];
            double agree = (double)same / (double)b.n_labels;
            printf(" %9.4f %9.4f %9.4f", sc.accuracy, sc.macro_f1, agree);
            const char *slash = strrchr(a->inputs, '/');
            rb_accuracy_row row = {.task = "imported",
                                   .model = b.net.id,
                                   .cell = rb_cell_name(b.net.cell),
                                   .phase = "eval",
                                   .split = slash && slash[1] ? slash + 1 : a->inputs,
                                   .numerics = a->t[i].info.numerics,
                                   .n = (long)b.n_labels,
                                   .accuracy = sc.accuracy,
                                   .macro_f1 = sc.macro_f1,
                                   .loss = -1,
                                   .baseline_accuracy = base.accuracy,
                                   .baseline_macro_f1 = base.macro_f1,
                                   .agreement = agree};
            rc = rb_store_accuracy(st, run_id, device_id, &row, e);
        }
        printf("\n");
    }
    rc = rb_task_run_end(st, run_id, rc, bad, e);
    eval_bufs_free(&b);
    return rb_task_exit("eval", rc, bad, e);
}
