/* battery.h — the shape battery and PyTorch fixtures every fp32 target is
 * checked on, shared by the target tests so each target meets the same cases
 * under the same rule the harness applies (rb_compare's max_rel against
 * rb_fp32_tolerance).  Header-only: each test program includes it once. */
#ifndef RB_TEST_BATTERY_H
#define RB_TEST_BATTERY_H

#include <stdlib.h>

#include "../../targets/target.h"
#include "../../workloads/npy.h"
#include "../../workloads/params.h"
#include "../../workloads/reference.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"
#include "../rb_torch_cases.h"

typedef struct shape {
    const char *what;
    rb_cell cell;
    int T, B, I, H, L;
    int proj;    /* input projection in layer 0 */
    int with_h0; /* pass random h0 (and c0 for the LSTM) */
} shape;

static const shape shapes[] = {
    {"lstm B=1", RB_CELL_LSTM, 5, 1, 32, 32, 1, 1, 0},
    {"lstm T=1", RB_CELL_LSTM, 1, 3, 16, 16, 1, 1, 0},
    {"lstm 3 layers", RB_CELL_LSTM, 4, 2, 24, 24, 3, 1, 0},
    {"lstm I<H, H%8!=0", RB_CELL_LSTM, 6, 2, 10, 20, 1, 1, 0},
    {"lstm I>H", RB_CELL_LSTM, 6, 3, 40, 12, 2, 1, 0},
    {"lstm h0/c0", RB_CELL_LSTM, 5, 2, 8, 16, 2, 1, 1},
    {"lstm no input proj", RB_CELL_LSTM, 5, 2, 16, 16, 2, 0, 0},
    {"lstm no input proj, h0/c0, B=1", RB_CELL_LSTM, 4, 1, 8, 8, 1, 0, 1},
    {"rnn B=1", RB_CELL_RNN, 7, 1, 9, 17, 1, 1, 0},
    {"rnn 2 layers I<H", RB_CELL_RNN, 7, 2, 9, 17, 2, 1, 0},
    {"rnn I>H h0", RB_CELL_RNN, 5, 3, 33, 8, 2, 1, 1},
    {"rnn no input proj", RB_CELL_RNN, 6, 2, 12, 12, 2, 0, 0},
    /* many panels of W_hh per step, the last one partial */
    {"lstm H=600 B=3 chunked", RB_CELL_LSTM, 3, 3, 300, 600, 1, 1, 0},
    {"lstm T=25 B=4 H=256", RB_CELL_LSTM, 25, 4, 256, 256, 1, 1, 0},
    {"gru B=1", RB_CELL_GRU, 5, 1, 32, 32, 1, 1, 0},
    {"gru 2 layers I<H h0, H%8!=0", RB_CELL_GRU, 6, 2, 10, 20, 2, 1, 1},
    {"gru I>H", RB_CELL_GRU, 6, 3, 40, 12, 1, 1, 0},
    {"gru no input proj h0", RB_CELL_GRU, 5, 2, 16, 16, 2, 0, 1},
    {"gru H=600 B=3 chunked", RB_CELL_GRU, 3, 3, 300, 600, 1, 1, 0},
    {"gru T=25 B=4 H=256", RB_CELL_GRU, 25, 4, 256, 256, 1, 1, 0},
};

/* What imported models add (RB_FEAT_*), each alone and together.  A target
 * that does not declare a feature must refuse the case naming it. */
typedef struct feat_shape {
    shape s;
    int dirs;
    unsigned feat;
} feat_shape;

#define BATTERY_CLIP 0.3f /* low enough that pre-activations of these shapes hit it */

static const feat_shape feat_shapes[] = {
    {{"lstm bidirectional", RB_CELL_LSTM, 5, 2, 8, 12, 2, 1, 0}, 2, RB_FEAT_BIDIR},
    {{"lstm reverse h0/c0", RB_CELL_LSTM, 6, 3, 10, 16, 2, 1, 1}, 1, RB_FEAT_REVERSE},
    {{"lstm peepholes h0/c0", RB_CELL_LSTM, 5, 2, 7, 9, 1, 1, 1}, 1, RB_FEAT_PEEPHOLES},
    {{"lstm clip", RB_CELL_LSTM, 5, 2, 16, 16, 1, 1, 0}, 1, RB_FEAT_CLIP},
    {{"lstm input_forget", RB_CELL_LSTM, 5, 2, 16, 8, 1, 1, 0}, 1, RB_FEAT_INPUT_FORGET},
    {{"lstm lengths", RB_CELL_LSTM, 6, 4, 8, 16, 2, 1, 1}, 1, RB_FEAT_SEQ_LENS},
    {{"lstm reverse lengths", RB_CELL_LSTM, 6, 4, 8, 16, 1, 1, 0},
     1,
     RB_FEAT_REVERSE | RB_FEAT_SEQ_LENS},
    {{"lstm bidir peep clip lengths H%8", RB_CELL_LSTM, 7, 3, 5, 13, 2, 1, 1},
     2,
     RB_FEAT_BIDIR | RB_FEAT_PEEPHOLES | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {{"lstm bidir input_forget B=1", RB_CELL_LSTM, 4, 1, 6, 8, 3, 1, 0},
     2,
     RB_FEAT_BIDIR | RB_FEAT_INPUT_FORGET},
    {{"rnn bidirectional h0", RB_CELL_RNN, 6, 2, 9, 17, 2, 1, 1}, 2, RB_FEAT_BIDIR},
    {{"rnn reverse clip lengths", RB_CELL_RNN, 6, 3, 9, 12, 1, 1, 0},
     1,
     RB_FEAT_REVERSE | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {{"rnn bidir no input proj", RB_CELL_RNN, 5, 2, 8, 8, 2, 0, 0}, 2, RB_FEAT_BIDIR},
    {{"gru bidirectional h0", RB_CELL_GRU, 5, 2, 9, 17, 2, 1, 1}, 2, RB_FEAT_BIDIR},
    {{"gru reverse clip lengths", RB_CELL_GRU, 6, 3, 9, 12, 1, 1, 0},
     1,
     RB_FEAT_REVERSE | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {{"gru linear_before_reset=0 h0", RB_CELL_GRU, 5, 2, 8, 12, 2, 1, 1}, 1, RB_FEAT_RESET_BEFORE},
    {{"gru bidir lbr=0 lengths no proj", RB_CELL_GRU, 6, 3, 8, 8, 2, 0, 0},
     2,
     RB_FEAT_BIDIR | RB_FEAT_RESET_BEFORE | RB_FEAT_SEQ_LENS},
};

static rb_workload make_workload(const shape *s)
{
    return rb_test_workload(s->cell, s->T, s->B, s->I, s->H, s->L, s->proj);
}

/* Everything one comparison needs, built from a seed. */
typedef struct fixture {
    rb_workload w;
    rb_model m;
    float *x, *h0, *c0, *y;
    double *ref;
    int *lens;
    rb_batch batch;
    rb_tensor out;
    size_t n; /* T*B*D*H */
} fixture;

static float *random_floats(size_t n, uint64_t seed)
{
    float *p = malloc(n * sizeof *p);
    rb_rng r = {seed};
    for (size_t i = 0; i < n && p; i++)
        p[i] = rb_rng_uniform(&r, -1.0f, 1.0f);
    return p;
}

/* A case with directions and features (dirs 1 and feat 0: the plain stack). */
static int fixture_init_feat(fixture *f, const shape *s, int dirs, unsigned feat, uint64_t seed)
{
    rb_err e = {0};
    memset(f, 0, sizeof *f);
    f->w = make_workload(s);
    f->w.dirs = dirs;
    f->w.features = feat;
    rb_workload_make_key(&f->w);
    if (rb_model_alloc(&f->m, &f->w, &e)) {
        fprintf(stderr, "%s: %s\n", s->what, e.msg);
        return -1;
    }
    rb_model_init_seeded(&f->m, seed);
    if (feat & RB_FEAT_CLIP)
        f->m.clip = BATTERY_CLIP;
    f->m.input_forget = (feat & RB_FEAT_INPUT_FORGET) != 0;
    f->x = rb_make_input(&f->w, seed + 1, &e);
    size_t LBH = (size_t)s->L * dirs * s->B * s->H;
    if (s->with_h0) {
        f->h0 = random_floats(LBH, seed + 2);
        if (s->cell == RB_CELL_LSTM)
            f->c0 = random_floats(LBH, seed + 3);
    }
    if (feat & RB_FEAT_SEQ_LENS) {
        /* the full length, an empty row, and lengths between */
        f->lens = malloc((size_t)s->B * sizeof *f->lens);
        for (int b = 0; f->lens && b < s->B; b++)
            f->lens[b] = b == 0 ? s->T : b == 1 ? 0 : 1 + (int)((seed + (uint64_t)b) % s->T);
    }
    f->n = (size_t)s->T * s->B * dirs * s->H;
    f->y = calloc(f->n, sizeof *f->y);
    f->ref = calloc(f->n, sizeof *f->ref);
    f->batch = (rb_batch){s->T, s->B, rb_workload_x_width(&f->w), f->x, f->h0, f->c0, f->lens};
    f->out = (rb_tensor){f->y, 3, {(size_t)s->T, (size_t)s->B, (size_t)dirs * s->H, 0}};
    if (!f->x || !f->y || !f->ref || (s->with_h0 && !f->h0) ||
        ((feat & RB_FEAT_SEQ_LENS) && !f->lens))
        return -1;
    if (rb_ref_forward(&f->m, &f->batch, f->ref, NULL, NULL, &e)) {
        fprintf(stderr, "%s: reference: %s\n", s->what, e.msg);
        return -1;
    }
    return 0;
}

static int fixture_init(fixture *f, const shape *s, uint64_t seed)
{
    return fixture_init_feat(f, s, 1, 0, seed);
}

static void fixture_free(fixture *f)
{
    rb_model_free(&f->m);
    free(f->x);
    free(f->h0);
    free(f->c0);
    free(f->y);
    free(f->ref);
    free(f->lens);
}

static double max_abs(const float *y, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(y[i]) > m ? fabs(y[i]) : m;
    return m;
}

/* Is y within the fp32 tolerance of the reference?  Exactly the rule the
 * harness applies to every stored result (rb_compare's max_rel, relative to
 * max(|r|, 1), against rb_fp32_tolerance). */
static int within_tolerance(const rb_errstat *st, double tol)
{
    return st->nonfinite == 0 && st->max_rel <= tol;
}

/* Target `name` with its option: selector is "KEY=VALUE" (cpu's
 * "backend=onednn"), else the gpu's device. */
static void init_target(rb_target *t, const char *name, const char *selector, int threads)
{
    rb_target_init(t, rb_target_find(name), threads);
    if (!selector || !*selector)
        return;
    const char *eq = strchr(selector, '=');
    char key[32];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - selector) : 6, eq ? selector : "device");
    rb_target_set_opt(t, key, eq ? eq + 1 : selector);
}

/* What the instance runs: its features (rb_target.features, narrowed by
 * its probe) and its cells (its ops'); none when the probe fails. */
static void target_runs(const char *name, const char *selector, unsigned *features,
                        unsigned *cells)
{
    rb_target t;
    rb_err e = {0};
    init_target(&t, name, selector, 1);
    int rc = rb_target_probe(&t, &e);
    if (features)
        *features = rc ? 0 : t.features;
    if (cells)
        *cells = rc ? 0 : t.ops->cells;
    rb_target_close(&t);
}

/* A cell the instance does not run must be refused naming it: 1 when it was
 * (the case is done), 0 when the cell runs. */
static int refused_cell(const char *who, const char *what, rb_cell cell, unsigned cells, int rc,
                        const rb_err *e)
{
    if (cells & RB_CELL_BIT(cell))
        return 0;
    char want[48];
    snprintf(want, sizeof want, "unsupported: cell %s", rb_cell_name(cell));
    printf("  %s %-32s refused: %s\n", who, what, e->msg);
    CHECK_INT(rc, RB_EUNAVAIL);
    CHECK_STR_HAS(e->msg, want);
    return 1;
}

/* Probe, load and run target `name` (device `selector`) on f, twice so that
 * state cannot leak from one forward into the next; output left in f->y. */
static int run_target(const char *name, const char *selector, fixture *f, int threads, rb_err *e)
{
    rb_target t;
    init_target(&t, name, selector, threads);
    int rc = rb_target_probe(&t, e);
    if (!rc)
        rc = rb_target_load(&t, &f->m, &f->w, e);
    rb_sample smp;
    for (int k = 0; k < 2 && !rc; k++)
        rc = rb_target_forward(&t, &f->batch, &f->out, &smp, e);
    rb_target_close(&t);
    return rc;
}

/* battery_reference's and battery_train_flags' flags */
#define BATTERY_REFUSES_NOPROJ 1 /* the instance refuses a stack without input projection, by name */

/* Every shape of the battery against the fp64 reference. */
static void battery_reference(const char *name, const char *selector, unsigned flags)
{
    char who[96]; /* what the lines below name: "cpu", "cpu backend=onednn" */
    snprintf(who, sizeof who, "%s%s%s", name, selector && *selector ? " " : "",
             selector ? selector : "");
    unsigned cells, runs;
    target_runs(name, selector, &runs, &cells);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *s = &shapes[k];
        fixture f;
        rb_err e = {0};
        CHECK_INT(fixture_init(&f, s, 1000 + k), 0);
        int rc = run_target(name, selector, &f, 2, &e);
        if (refused_cell(who, s->what, s->cell, cells, rc, &e)) {
            fixture_free(&f);
            continue;
        }
        if (!s->proj && (flags & BATTERY_REFUSES_NOPROJ)) {
            printf("  %s %-32s refused: %s\n", who, s->what, e.msg);
            CHECK_INT(rc, RB_EUNAVAIL);
            CHECK_STR_HAS(e.msg, "unsupported: no input projection");
            fixture_free(&f);
            continue;
        }
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "%s %s: %s\n", name, s->what, e.msg);
        rb_errstat st;
        rb_compare(f.y, f.ref, f.n, &st);
        double tol = rb_fp32_tolerance(&f.w, 0), big = max_abs(f.y, f.n);
        printf("  %s %-32s %-36s max_rel %.2e (tol %.2e)\n", who, s->what, f.w.key, st.max_rel,
               tol);
        CHECK_INT(st.nonfinite, 0);
        CHECK(within_tolerance(&st, tol));
        CHECK(big > 1e-3);
        fixture_free(&f);
    }
    /* What imported models add: run where the target declares it, refused
     * naming the feature where it does not. */
    for (size_t k = 0; k < sizeof feat_shapes / sizeof feat_shapes[0]; k++) {
        const feat_shape *fs = &feat_shapes[k];
        fixture f;
        rb_err e = {0};
        CHECK_INT(fixture_init_feat(&f, &fs->s, fs->dirs, fs->feat, 2000 + k), 0);
        int rc = run_target(name, selector, &f, 2, &e);
        if (refused_cell(who, fs->s.what, fs->s.cell, cells, rc, &e)) {
            fixture_free(&f);
            continue;
        }
        unsigned missing = fs->feat & ~runs;
        if (missing) {
            char want[64];
            unsigned bit = missing & -missing;
            snprintf(want, sizeof want, "unsupported: %s", rb_feature_name(bit));
            printf("  %s %-32s refused: %s\n", who, fs->s.what, e.msg);
            CHECK_INT(rc, RB_EUNAVAIL);
            CHECK_STR_HAS(e.msg, want);
            fixture_free(&f);
            continue;
        }
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "%s %s: %s\n", name, fs->s.what, e.msg);
        rb_errstat st;
        rb_compare(f.y, f.ref, f.n, &st);
        double tol = rb_fp32_tolerance(&f.w, 0);
        printf("  %s %-32s %-36s max_rel %.2e (tol %.2e)\n", who, fs->s.what, f.w.key, st.max_rel,
               tol);
        CHECK_INT(st.nonfinite, 0);
        CHECK(within_tolerance(&st, tol));
        CHECK(max_abs(f.y, f.n) > 1e-3);
        fixture_free(&f);
    }
}

static void battery_against_reference(const char *name, const char *selector)
{
    battery_reference(name, selector, 0);
}

/* RB_FEAT_STATEFUL: a call whose batch gives no states continues from the
 * states the previous call ended in.  So the second of two calls must give
 * the reference's output on its own input started from the reference's
 * final states of the first (rb_ref_forward's h_n, c_n): every unit's,
 * reversed ones (whose last step is t = 0) and rows with lengths included.
 * A third call that gives states again starts from them. */
static const feat_shape stateful_shapes[] = {
    {{"stateful lstm 2 layers h0/c0", RB_CELL_LSTM, 4, 3, 8, 16, 2, 1, 1}, 1, 0},
    {{"stateful rnn 2 layers B=1", RB_CELL_RNN, 3, 1, 9, 17, 2, 1, 0}, 1, 0},
    {{"stateful gru 2 layers h0", RB_CELL_GRU, 4, 3, 8, 16, 2, 1, 1}, 1, 0},
    {{"stateful gru reverse lengths", RB_CELL_GRU, 5, 4, 8, 12, 1, 1, 0},
     1,
     RB_FEAT_REVERSE | RB_FEAT_SEQ_LENS},
    {{"stateful lstm T=1 no proj", RB_CELL_LSTM, 1, 2, 16, 16, 1, 0, 1}, 1, 0},
    {{"stateful lstm bidirectional", RB_CELL_LSTM, 5, 2, 8, 12, 2, 1, 1}, 2, RB_FEAT_BIDIR},
    {{"stateful lstm reverse lengths peep", RB_CELL_LSTM, 6, 4, 8, 16, 2, 1, 1},
     1,
     RB_FEAT_REVERSE | RB_FEAT_SEQ_LENS | RB_FEAT_PEEPHOLES},
};

static float *to_floats(const double *d, size_t n)
{
    float *f = malloc(n * sizeof *f);
    for (size_t i = 0; f && i < n; i++)
        f[i] = (float)d[i];
    return f;
}

static void battery_stateful(const char *name, const char *selector)
{
    unsigned cells;
    target_runs(name, selector, NULL, &cells);
    for (size_t k = 0; k < sizeof stateful_shapes / sizeof stateful_shapes[0]; k++) {
        const feat_shape *fs = &stateful_shapes[k];
        const shape *s = &fs->s;
        fixture a, b; /* one model (one seed); b's input another */
        rb_err e = {0};
        CHECK_INT(fixture_init_feat(&a, s, fs->dirs, fs->feat, 3000 + k), 0);
        CHECK_INT(fixture_init_feat(&b, s, fs->dirs, fs->feat, 3000 + k), 0);
        size_t LBH = (size_t)s->L * fs->dirs * s->B * s->H;
        double *hn = calloc(LBH, sizeof *hn), *cn = calloc(LBH, sizeof *cn);
        CHECK_INT(rb_ref_forward(&a.m, &a.batch, a.ref, hn, cn, &e), 0);
        free(b.x);
        free(b.h0);
        free(b.c0);
        b.batch.x = b.x = random_floats(a.n / fs->dirs / s->H * b.batch.width, 4000 + k);
        b.batch.h0 = b.h0 = to_floats(hn, LBH);
        b.batch.c0 = b.c0 = s->cell == RB_CELL_LSTM ? to_floats(cn, LBH) : NULL;
        CHECK_INT(rb_ref_forward(&b.m, &b.batch, b.ref, NULL, NULL, &e), 0);

        rb_target t;
        init_target(&t, name, selector, 2);
        rb_workload w = a.w;
        w.features |= RB_FEAT_STATEFUL;
        rb_batch cont = b.batch;
        cont.h0 = cont.c0 = NULL; /* continue from the first call's states */
        int rc = rb_target_probe(&t, &e);
        if (!rc)
            rc = rb_target_load(&t, &a.m, &w, &e);
        rb_sample smp;
        rb_errstat st1, st2, st3;
        if (refused_cell(name, s->what, s->cell, cells, rc, &e))
            rc = -1; /* checked: nothing below runs */
        if (!rc && !(rc = rb_target_forward(&t, &a.batch, &a.out, &smp, &e)))
            rb_compare(a.y, a.ref, a.n, &st1);
        if (!rc && !(rc = rb_target_forward(&t, &cont, &b.out, &smp, &e)))
            rb_compare(b.y, b.ref, b.n, &st2);
        if (!rc && s->with_h0 && !(rc = rb_target_forward(&t, &a.batch, &a.out, &smp, &e)))
            rb_compare(a.y, a.ref, a.n, &st3);
        rb_target_close(&t);
        if (rc != -1)
            CHECK_INT(rc, 0);
        if (rc) {
            if (rc != -1)
                fprintf(stderr, "%s %s: %s\n", name, s->what, e.msg);
        } else {
            double tol = rb_fp32_tolerance(&a.w, 0);
            printf("  %s %-36s continued max_rel %.2e (tol %.2e)\n", name, s->what, st2.max_rel,
                   tol);
            CHECK(within_tolerance(&st1, tol));
            CHECK(within_tolerance(&st2, tol));
            CHECK(max_abs(b.y, b.n) > 1e-3);
            if (s->with_h0)
                CHECK(within_tolerance(&st3, tol));
        }
        free(hn);
        free(cn);
        fixture_free(&a);
        fixture_free(&b);
    }
}

/* A target on the committed PyTorch fixtures: weights, inputs and
 * initial states as nn.LSTM / nn.RNN saw them, checked against PyTorch's fp64
 * output (made by scripts/make-torch-fixtures.py, an independent tool). */
static float *fixture_f32(const char *dir, const char *name, size_t want, rb_npy *a)
{
    char path[1024];
    rb_err e = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = rb_npy_read_f32(path, a, 0, &e);
    CHECK_INT(rc, 0);
    CHECK_INT(a->count, want);
    return rc == 0 && a->count == want ? a->f32 : NULL;
}

static void battery_torch_fixtures(const char *name, const char *selector)
{
    const rb_torch_case *cases = rb_torch_cases;
    unsigned cells;
    target_runs(name, selector, NULL, &cells);
    for (size_t k = 0; k < RB_N_TORCH_CASES; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/torch/%s", RB_FIXTURES, cases[k].name);
        rb_workload w = rb_workload_of(cases[k].cell, RB_MODE_INFER, cases[k].T, cases[k].B,
                                       cases[k].I, cases[k].H, cases[k].L, 1);
        size_t ny = (size_t)w.seq * w.batch * w.hidden, ns = (size_t)w.layers * w.batch * w.hidden;
        rb_model m;
        rb_err e = {0};
        rb_npy x = {0}, h0 = {0}, c0 = {0}, yt = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        CHECK_INT(rb_model_load_npy(&m, dir, &e), 0);
        rb_batch in = {w.seq,   w.batch,
                       w.input, fixture_f32(dir, "x.npy", (size_t)w.seq * w.batch * w.input, &x),
                       NULL,    NULL,
                       NULL};
        if (cases[k].state) {
            in.h0 = fixture_f32(dir, "h0.npy", ns, &h0);
            if (w.cell == RB_CELL_LSTM)
                in.c0 = fixture_f32(dir, "c0.npy", ns, &c0);
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/y_ref.npy", dir);
        CHECK_INT(rb_npy_read_f64(path, &yt, 0, &e), 0);
        CHECK_INT(yt.count, ny);

        float *y = malloc(ny * sizeof *y);
        rb_tensor out = {y, 3, {(size_t)w.seq, (size_t)w.batch, (size_t)w.hidden, 0}};
        rb_target t;
        rb_sample smp;
        init_target(&t, name, selector, 2);
        int rc = rb_target_probe(&t, &e);
        if (!rc && in.x && yt.f64)
            rc = rb_target_load(&t, &m, &w, &e);
        if (refused_cell(name, cases[k].name, w.cell, cells, rc, &e))
            rc = -1; /* checked */
        if (!rc && in.x && yt.f64)
            rc = rb_target_forward(&t, &in, &out, &smp, &e);
        if (rc != -1)
            CHECK_INT(rc, 0);
        if (!rc && yt.f64) {
            rb_errstat st;
            rb_compare(y, yt.f64, ny, &st);
            printf("  torch %-22s %s%s%s vs PyTorch max_rel %.2e (tol %.2e)\n", cases[k].name, name,
                   selector && *selector ? " " : "", selector ? selector : "",
                   st.max_rel, rb_fp32_tolerance(&w, 0));
            CHECK(within_tolerance(&st, rb_fp32_tolerance(&w, 0)));
            CHECK(max_abs(y, ny) > 0.1);
        }
        rb_target_close(&t);
        free(y);
        rb_npy_free(&x);
        rb_npy_free(&h0);
        rb_npy_free(&c0);
        rb_npy_free(&yt);
        rb_model_free(&m);
    }
}

/* ---- training ------------------------------------------------------------
 * One training step of the target (MSE against a seeded target): its
 * gradients and dL/dx against the reference backward under
 * rb_fp32_grad_tolerance, its loss against the reference's, its updated
 * weights against Adam applied on the host to its own gradients, and a
 * forward after the update against the reference with those weights (so a
 * stale fused bias or a half-applied step shows). */
static const shape train_shapes[] = {
    {"lstm B=1", RB_CELL_LSTM, 5, 1, 32, 32, 1, 1, 0},
    {"lstm T=1", RB_CELL_LSTM, 1, 3, 16, 16, 1, 1, 0},
    {"lstm 3 layers", RB_CELL_LSTM, 4, 2, 24, 24, 3, 1, 0},
    {"lstm I<H, H%8!=0", RB_CELL_LSTM, 6, 2, 10, 20, 1, 1, 0},
    {"lstm I>H h0/c0", RB_CELL_LSTM, 6, 3, 40, 12, 2, 1, 1},
    {"lstm no input proj, h0/c0", RB_CELL_LSTM, 5, 2, 16, 16, 2, 0, 1},
    {"rnn 2 layers I<H", RB_CELL_RNN, 7, 2, 9, 17, 2, 1, 0},
    {"rnn I>H h0, B=1", RB_CELL_RNN, 5, 1, 33, 8, 2, 1, 1},
    {"rnn no input proj", RB_CELL_RNN, 6, 2, 12, 12, 2, 0, 0},
    {"lstm T=25 B=4 H=128", RB_CELL_LSTM, 25, 4, 128, 128, 2, 1, 0},
    /* T*B = 560: the weight gradients summed in more than one chunk (cpu) */
    {"lstm T*B > 512 h0/c0", RB_CELL_LSTM, 70, 8, 20, 24, 2, 1, 1},
    {"gru B=1", RB_CELL_GRU, 5, 1, 32, 32, 1, 1, 0},
    {"gru 2 layers I<H h0, H%8!=0", RB_CELL_GRU, 6, 2, 10, 20, 2, 1, 1},
    {"gru no input proj", RB_CELL_GRU, 5, 2, 16, 16, 2, 0, 0},
    {"gru T*B > 512 h0", RB_CELL_GRU, 70, 8, 20, 24, 2, 1, 1},
};

/* max |a - r| / max |r| */
static double scaled_err(const float *a, const double *r, size_t n)
{
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double d = isfinite(a[i]) ? fabs((double)a[i] - r[i]) : INFINITY;
        worst = d > worst ? d : worst;
        scale = fabs(r[i]) > scale ? fabs(r[i]) : scale;
    }
    return scale > 0 ? worst / scale : worst;
}

static void train_one(const char *name, const char *selector, const shape *s, uint64_t seed,
                      unsigned flags)
{
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, s, seed), 0);
    rb_workload w = f.w;
    w.mode = RB_MODE_TRAIN;
    rb_workload_make_key(&w);
    size_t P = rb_param_total(&f.m), NX = (size_t)w.seq * w.batch * rb_workload_x_width(&w);
    float *target = rb_make_train_target(&w, seed, &e), *g = malloc(P * sizeof *g),
          *w0 = malloc(P * sizeof *w0), *w1 = malloc(P * sizeof *w1), *mom = calloc(P, sizeof *mom),
          *var = calloc(P, sizeof *var), *dx = malloc(NX * sizeof *dx);
    double *gref = malloc(P * sizeof *gref), *dxref = malloc(NX * sizeof *dxref),
           *dy = malloc(f.n * sizeof *dy);
    rb_mse ctx = {target, f.n};
    rb_train_io io = {.loss = rb_mse_loss, .ctx = &ctx, .dx = dx};
    rb_optim_default(&io.opt);
    io.opt.clip = 0.05; /* small enough that some shapes clip */

    char who[96]; /* what the lines below name: "cpu", "cpu backend=onednn" */
    snprintf(who, sizeof who, "%s%s%s", name, selector && *selector ? " " : "",
             selector ? selector : "");
    rb_target t;
    rb_sample smp;
    init_target(&t, name, selector, 2);
    int rc = rb_target_probe(&t, &e);
    if (!rc)
        rc = rb_target_load(&t, &f.m, &w, &e);
    int refused = refused_cell(who, s->what, s->cell, t.ops->cells, rc, &e);
    if (refused)
        rc = RB_EUNAVAIL;
    else if ((refused = !s->proj && (flags & BATTERY_REFUSES_NOPROJ))) {
        printf("  %s train %-28s refused: %s\n", who, s->what, e.msg);
        CHECK_INT(rc, RB_EUNAVAIL);
        CHECK_STR_HAS(e.msg, "unsupported: no input projection");
        rc = RB_EUNAVAIL; /* nothing below runs; everything is freed */
    }
    if (!rc)
        rc = rb_target_train_step(&t, &f.batch, &io, &smp, &e);
    if (!rc)
        rc = rb_target_params(&t, w1, g, &e);
    if (!refused) {
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "%s %s: %s\n", name, s->what, e.msg);
    }

    double ref_loss = 0;
    for (size_t i = 0; i < f.n; i++) {
        double d = f.ref[i] - target[i];
        ref_loss += d * d;
        dy[i] = d / (double)f.n;
    }
    ref_loss *= 0.5 / (double)f.n;
    CHECK_INT(rb_ref_backward(&f.m, &f.batch, dy, gref, dxref, &e), 0);
    if (!rc) {
        rb_errstat st;
        rb_grad_compare(&f.m, g, gref, &st);
        double tol = rb_fp32_grad_tolerance(&w), dxe = scaled_err(dx, dxref, NX);
        printf("  %s train %-28s %-36s grad %.2e dx %.2e (tol %.2e) |g| %.3g\n", who, s->what,
               w.key, st.max_rel, dxe, tol, io.grad_norm);
        CHECK_INT(st.nonfinite, 0);
        CHECK(st.max_rel <= tol);
        CHECK(dxe <= tol);
        CHECK_NEAR(io.loss_value, ref_loss, 1e-5 * ref_loss);
        CHECK_NEAR(io.grad_norm, rb_grad_norm(g, P), 1e-5 * io.grad_norm);
        CHECK(io.grad_norm > 1e-4);

        /* the update: Adam's first step on the target's own gradients,
         * applied here to the initial weights (w0), against the target's (w1) */
        rb_model_flatten(&f.m, w0);
        double dw = 0, moved = 0;
        for (size_t i = 0; i < P; i++)
            moved = fabs((double)w1[i] - w0[i]) > moved ? fabs((double)w1[i] - w0[i]) : moved;
        rb_adam_step(&io.opt, 1, rb_clip_scale(&io.opt, io.grad_norm), w0, g, mom, var, P);
        for (size_t i = 0; i < P; i++)
            dw = fabs((double)w1[i] - w0[i]) > dw ? fabs((double)w1[i] - w0[i]) : dw;
        CHECK(dw <= 2e-7);
        CHECK_NEAR(moved, io.opt.lr, 1e-4); /* Adam's first step moves by ~lr */

        /* forward after the update = the reference with the new weights */
        rb_model_unflatten(&f.m, w1);
        CHECK_INT(rb_ref_forward(&f.m, &f.batch, f.ref, NULL, NULL, &e), 0);
        CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), 0);
        rb_compare(f.y, f.ref, f.n, &st);
        CHECK(within_tolerance(&st, rb_fp32_tolerance(&w, 0)));
    }
    rb_target_close(&t);
    free(target);
    free(g);
    free(w0);
    free(w1);
    free(mom);
    free(var);
    free(dx);
    free(gref);
    free(dxref);
    free(dy);
    fixture_free(&f);
}

static void battery_train_flags(const char *name, const char *selector, unsigned flags)
{
    for (size_t k = 0; k < sizeof train_shapes / sizeof train_shapes[0]; k++)
        train_one(name, selector, &train_shapes[k], 3000 + k, flags);
}

static void battery_train(const char *name, const char *selector)
{
    battery_train_flags(name, selector, 0);
}

#endif
