/* test_textclass_head.c — the host's model: seeded init, batches, the
 * class-weighted loss (a hand-computed case, and its gradients w.r.t. y, w
 * and b against finite differences), the update's embedding scatter (against
 * a direct computation, and end to end against finite differences), scores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/rng.h"
#include "../../workloads/textclass/textclass.h"
#include "../rb_test.h"

/* Just what rb_tc_head_init reads from a data set. */
static void fake_data(rb_tc_data *d, int V, int C, const size_t *train_count)
{
    memset(d, 0, sizeof *d);
    d->vocab_size = V;
    d->n_classes = C;
    for (int c = 0; c < C; c++) {
        d->train_count[c] = train_count[c];
        d->n_train += train_count[c];
    }
}

static void fill(float *p, size_t n, rb_rng *r, float k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rb_rng_uniform(r, -k, k);
}

static int make_head(rb_tc_head *h, int V, int E, int H, int C, uint64_t seed)
{
    static const size_t counts[RB_TC_MAX_CLASSES] = {3, 2, 1, 4, 5, 6, 7, 8,
                                                     1, 1, 1, 1, 1, 1, 1, 1};
    rb_tc_data d;
    rb_err e = {0};
    fake_data(&d, V, C, counts);
    int rc = rb_tc_head_init(h, &d, E, H, seed, &e);
    if (rc != 0)
        fprintf(stderr, "head init: %s\n", e.msg);
    return rc;
}

static void test_init(void)
{
    rb_tc_head h, h2, h3;
    if (make_head(&h, 2000, 16, 9, 3, 1) || make_head(&h2, 2000, 16, 9, 3, 1) ||
        make_head(&h3, 2000, 16, 9, 3, 2)) {
        CHECK(0);
        return;
    }
    CHECK_INT(h.n, 2000 * 16 + 3 * 9 + 3);
    CHECK(h.w == h.emb + 2000 * 16 && h.b == h.w + 27 && h.emb == h.p);
    /* n / (C * count): 6 / 9, 6 / 6, 6 / 3 */
    CHECK_NEAR(h.class_w[0], 6.0 / 9.0, 1e-7);
    CHECK_NEAR(h.class_w[1], 1.0, 1e-7);
    CHECK_NEAR(h.class_w[2], 2.0, 1e-7);
    int pad_zero = 1;
    for (int j = 0; j < 16; j++)
        pad_zero &= h.emb[j] == 0.0f;
    CHECK(pad_zero);
    /* N(0, 1) over 31984 values: mean and variance within a few standard errors */
    double s = 0, s2 = 0;
    size_t n = (size_t)1999 * 16;
    for (size_t i = 16; i < 16 + n; i++) {
        s += h.emb[i];
        s2 += (double)h.emb[i] * h.emb[i];
    }
    double mean = s / (double)n, var = s2 / (double)n - mean * mean;
    CHECK_NEAR(mean, 0.0, 0.03);
    CHECK_NEAR(var, 1.0, 0.05);
    /* U(-1/sqrt(H), 1/sqrt(H)) = U(-1/3, 1/3), and it fills the range */
    float lo = 1, hi = -1;
    for (int i = 0; i < 30; i++) {
        float x = h.w[i];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    CHECK(lo >= -1.0f / 3 && hi <= 1.0f / 3 && hi - lo > 0.3f);
    CHECK(!memcmp(h.p, h2.p, h.n * sizeof *h.p));
    CHECK(memcmp(h.p, h3.p, h.n * sizeof *h.p) != 0);
    int zero = 1;
    for (size_t i = 0; i < h.n; i++)
        zero &= h.g[i] == 0 && h.m[i] == 0 && h.v[i] == 0;
    CHECK(zero && h.step == 0);
    rb_tc_head_free(&h);
    rb_tc_head_free(&h2);
    rb_tc_head_free(&h3);
    CHECK(h.p == NULL);
    rb_tc_head_free(&h); /* twice is harmless */

    rb_tc_data d;
    rb_err e = {0};
    static const size_t counts[2] = {1, 1};
    fake_data(&d, 5, 2, counts);
    CHECK_INT(rb_tc_head_init(&h, &d, 0, 4, 1, &e), RB_EINPUT);
    fake_data(&d, 5, 1, counts);
    CHECK_INT(rb_tc_head_init(&h, &d, 3, 4, 1, &e), RB_EINPUT);
}

static void test_batch_fill(void)
{
    rb_tc_head h;
    rb_tc_batch b;
    rb_err e = {0};
    if (make_head(&h, 10, 3, 4, 2, 7) || rb_tc_batch_alloc(&b, 4, 3, 3, &e)) {
        CHECK(0);
        return;
    }
    int t0[] = {5, 6}, t1[] = {2, 3, 4, 7, 8}, t2[] = {42};
    rb_tc_doc docs[3] = {{1, 2, t0}, {0, 5, t1}, {1, 1, t2}};
    size_t idx[3] = {1, 0, 2};
    rb_tc_batch_fill(&b, &h, docs, idx, 3);
    CHECK_INT(b.n, 3);
    /* row 0: doc 1 cut to its first 4 tokens; row 1: doc 0 left-padded;
     * row 2: an id past the vocabulary reads as UNK */
    static const int want[4][3] = {{2, 0, 0}, {3, 0, 0}, {4, 5, 0}, {7, 6, RB_TC_UNK}};
    int ok = 1;
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 3; r++) {
            int id = b.tok[t * 3 + r];
            ok &= id == want[t][r];
            ok &= !memcmp(b.x + (t * 3 + r) * 3, h.emb + id * 3, 3 * sizeof(float));
        }
    CHECK(ok);
    CHECK(b.label[0] == 0 && b.label[1] == 1 && b.label[2] == 1);
    /* refilled with fewer: the rest is padding, zero, unlabelled */
    rb_tc_batch_fill(&b, &h, docs, idx, 1);
    CHECK_INT(b.n, 1);
    ok = 1;
    for (int t = 0; t < 4; t++)
        for (int r = 1; r < 3; r++) {
            ok &= b.tok[t * 3 + r] == RB_TC_PAD;
            for (int k = 0; k < 3; k++)
                ok &= b.x[(t * 3 + r) * 3 + k] == 0.0f;
        }
    CHECK(ok && b.label[1] == -1 && b.label[2] == -1);
    rb_tc_batch_free(&b);
    rb_tc_batch_free(&b);
    rb_tc_head_free(&h);
    CHECK_INT(rb_tc_batch_alloc(&b, 0, 3, 3, &e), RB_EINPUT);
}

/* The 2-class case worked by hand: H = 1, w = [1, -1], b = 0, so the logits
 * of h are (h, -h); class weights 2 and 0.5.
 *   row 0: h = 0.5, class 0: nll = log(1 + e^-1) = 0.31326168751822286
 *   row 1: h = 1,   class 1: nll = log(1 + e^2)  = 2.1269280110429727
 *   row 2: h = 0,   class 1: nll = log 2         = 0.6931471805599453
 * loss = (2 * 0.3133 + 0.5 * 2.1269 + 0.5 * 0.6931) / (2 + 0.5 + 0.5)
 *      = 0.6788536569459683 (the unweighted mean would be 1.0444). */
static void test_weighted_loss_by_hand(void)
{
    static const size_t counts[2] = {3, 1};
    rb_tc_data d;
    rb_tc_head h;
    rb_tc_batch b;
    rb_err e = {0};
    fake_data(&d, 4, 2, counts);
    if (rb_tc_head_init(&h, &d, 1, 1, 1, &e) || rb_tc_batch_alloc(&b, 2, 4, 1, &e)) {
        CHECK(0);
        return;
    }
    /* from the counts: 4 / (2 * 3) and 4 / (2 * 1) */
    CHECK_NEAR(h.class_w[0], 4.0 / 6.0, 1e-7);
    CHECK_NEAR(h.class_w[1], 2.0, 1e-7);
    h.class_w[0] = 2.0f;
    h.class_w[1] = 0.5f;
    h.w[0] = 1;
    h.w[1] = -1;
    h.b[0] = h.b[1] = 0;
    b.n = 3;
    b.label[0] = 0;
    b.label[1] = 1;
    b.label[2] = 1;
    float y[2 * 4], dy[2 * 4];
    static const float last[4] = {0.5f, 1.0f, 0.0f, 9.0f}; /* row 3 is padding */
    for (int i = 0; i < 4; i++) {
        y[i] = 3.0f; /* t = 0: not read */
        y[4 + i] = last[i];
    }
    double loss = -1;
    rb_tc_step st = {&h, &b};
    CHECK_INT(rb_tc_loss(&st, y, dy, &loss, &e), 0);
    CHECK_NEAR(loss, 0.6788536569459683, 1e-12);
    CHECK_NEAR(b.loss, loss, 0);
    CHECK_NEAR(b.weight, 3.0, 0);
    CHECK(b.pred[0] == 0 && b.pred[1] == 0 && b.pred[2] == 0 && b.pred[3] == -1);
    /* row 1 by hand: p = softmax(1, -1), dL/dz = w_1 / W (p - e_1), dy = w^T dz:
     * dz = (0.5/3) (0.880797, -0.880797), dy = 2 * (0.5/3) * 0.880797 */
    CHECK_NEAR(dy[4 + 1], 2.0 * 0.5 / 3.0 * (1.0 / (1.0 + exp(-2.0))), 1e-6);
    rb_tc_predict(&h, &b, y);
    CHECK_NEAR(b.loss, 0.6788536569459683, 1e-12);
    rb_tc_batch_free(&b);
    rb_tc_head_free(&h);
}

typedef struct fd_setup {
    int T, B, n, H, C;
    rb_tc_head h;
    rb_tc_batch b;
    float *y, *dy;
} fd_setup;

static int fd_init(fd_setup *s, int T, int B, int n, int H, int C, uint64_t seed)
{
    rb_err e = {0};
    *s = (fd_setup){.T = T, .B = B, .n = n, .H = H, .C = C};
    if (make_head(&s->h, 8, 2, H, C, seed) || rb_tc_batch_alloc(&s->b, T, B, 2, &e))
        return -1;
    rb_rng r = {seed * 31 + 7};
    fill(s->h.w, (size_t)C * H, &r, 1.0f); /* larger than the init, so logits vary */
    fill(s->h.b, (size_t)C, &r, 0.5f);
    for (int c = 0; c < C; c++)
        s->h.class_w[c] = 0.5f + (float)c * 0.75f;
    size_t ny = (size_t)T * B * H;
    s->y = malloc(ny * sizeof *s->y);
    s->dy = malloc(ny * sizeof *s->dy);
    if (!s->y || !s->dy)
        return -1;
    fill(s->y, ny, &r, 1.0f);
    s->b.n = n;
    for (int i = 0; i < n; i++)
        s->b.label[i] = (i * 2 + 1) % C;
    return 0;
}

static void fd_free(fd_setup *s)
{
    free(s->y);
    free(s->dy);
    rb_tc_batch_free(&s->b);
    rb_tc_head_free(&s->h);
}

static double loss_at(fd_setup *s)
{
    rb_tc_predict(&s->h, &s->b, s->y);
    return s->b.loss;
}

/* d loss / d p[i] by central differences; the step actually taken in float */
static double central(fd_setup *s, float *p, double eps)
{
    float x0 = *p;
    *p = (float)(x0 + eps);
    double hi = (double)*p, lp = loss_at(s);
    *p = (float)(x0 - eps);
    double lo = (double)*p, lm = loss_at(s);
    *p = x0;
    return (lp - lm) / (hi - lo);
}

static void test_loss_gradients(void)
{
    static const struct {
        int T, B, n, H, C;
    } cases[] = {{3, 4, 3, 5, 3}, {1, 2, 2, 3, 2}, {4, 3, 1, 4, 6}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        fd_setup s;
        if (fd_init(&s, cases[ci].T, cases[ci].B, cases[ci].n, cases[ci].H, cases[ci].C, ci + 3) !=
            0) {
            CHECK(0);
            fd_free(&s);
            continue;
        }
        const int T = s.T, B = s.B, H = s.H, C = s.C;
        size_t ny = (size_t)T * B * H;
        for (size_t i = 0; i < ny; i++)
            s.dy[i] = 7.0f; /* all of dy must be written */
        rb_tc_step st = {&s.h, &s.b};
        double loss;
        rb_err e = {0};
        CHECK_INT(rb_tc_loss(&st, s.y, s.dy, &loss, &e), 0);
        CHECK_NEAR(loss_at(&s), loss, 1e-12);
        /* dy: zero except the real rows at t = T-1 */
        int zero = 1;
        for (int t = 0; t < T; t++)
            for (int r = 0; r < B; r++)
                if (t < T - 1 || r >= s.n)
                    for (int j = 0; j < H; j++)
                        zero &= s.dy[((size_t)t * B + r) * H + j] == 0.0f;
        CHECK(zero);
        double worst = 0;
        for (int r = 0; r < s.n; r++)
            for (int j = 0; j < H; j++) {
                size_t at = ((size_t)(T - 1) * B + r) * H + j;
                double fd = central(&s, &s.y[at], 1e-2), an = s.dy[at];
                worst = fmax(worst, fabs(fd - an) / (1e-3 + fabs(fd)));
            }
        CHECK(worst < 1e-3);
        /* w and b: the head's gradients in g, nothing in the embedding's part */
        float *gw = s.h.g + (s.h.w - s.h.p), *gb = s.h.g + (s.h.b - s.h.p);
        double worst_w = 0;
        for (int i = 0; i < C * H; i++) {
            double fd = central(&s, &s.h.w[i], 1e-2);
            worst_w = fmax(worst_w, fabs(fd - gw[i]) / (1e-3 + fabs(fd)));
        }
        for (int c = 0; c < C; c++) {
            double fd = central(&s, &s.h.b[c], 1e-2);
            worst_w = fmax(worst_w, fabs(fd - gb[c]) / (1e-3 + fabs(fd)));
        }
        CHECK(worst_w < 1e-3);
        int emb_zero = 1;
        for (size_t i = 0; i < (size_t)s.h.V * s.h.E; i++)
            emb_zero &= s.h.g[i] == 0.0f;
        CHECK(emb_zero);
        /* predictions are the largest logit's class */
        for (int r = 0; r < s.n; r++) {
            const float *x = s.y + ((size_t)(T - 1) * B + r) * H;
            int best = 0;
            double bz = -1e300;
            for (int c = 0; c < C; c++) {
                double z = s.h.b[c];
                for (int j = 0; j < H; j++)
                    z += (double)s.h.w[c * H + j] * x[j];
                if (z > bz) {
                    bz = z;
                    best = c;
                }
            }
            CHECK_INT(s.b.pred[r], best);
        }
        fd_free(&s);
    }

    /* refused: a label outside the classes, no real rows, mismatched E */
    fd_setup s;
    if (fd_init(&s, 2, 3, 2, 3, 3, 1) == 0) {
        rb_tc_step st = {&s.h, &s.b};
        double loss;
        rb_err e = {0};
        s.b.label[1] = 3;
        CHECK_INT(rb_tc_loss(&st, s.y, s.dy, &loss, &e), RB_EINPUT);
        CHECK_STR_HAS(e.msg, "label 3");
        s.b.label[1] = 0;
        s.b.n = 0;
        CHECK_INT(rb_tc_loss(&st, s.y, s.dy, &loss, &e), RB_EINPUT);
        s.b.n = 2;
        s.b.E = 5;
        CHECK_INT(rb_tc_loss(&st, s.y, s.dy, &loss, &e), RB_EINPUT);
        s.b.E = 2;
        CHECK_INT(rb_tc_loss(NULL, s.y, s.dy, &loss, &e), RB_EINPUT);
    } else
        CHECK(0);
    fd_free(&s);
}

/* The update's embedding scatter against the same computation written out:
 * expected = Adam(p0, clip(g_head + scatter(dx))), with the clipping active. */
static void test_update_direct(void)
{
    const int V = 6, E = 3, H = 2, C = 2, T = 3, B = 3;
    rb_tc_head h;
    rb_tc_batch b;
    rb_err e = {0};
    if (make_head(&h, V, E, H, C, 11) || rb_tc_batch_alloc(&b, T, B, E, &e)) {
        CHECK(0);
        return;
    }
    b.n = 2;
    /* [t][r]: token 2 three times, 3 once, 4 once; row 2 is padding and its
     * (nonsense) token 5 must be ignored; PAD gets nothing */
    static const int tok[3][3] = {{RB_TC_PAD, 2, 5}, {2, 2, 5}, {3, 4, 5}};
    for (int t = 0; t < T; t++)
        for (int r = 0; r < B; r++)
            b.tok[t * B + r] = tok[t][r];
    rb_rng rng = {99};
    float dx[3 * 3 * 3];
    fill(dx, sizeof dx / sizeof dx[0], &rng, 1.0f);
    float *gw = h.g + (h.w - h.p);
    fill(gw, (size_t)C * H + C, &rng, 0.5f); /* as a loss would have left them */

    float *p = malloc(h.n * sizeof *p), *g = calloc(h.n, sizeof *g), *m = calloc(h.n, sizeof *m),
          *v = calloc(h.n, sizeof *v);
    if (!p || !g || !m || !v) {
        CHECK(0);
        return;
    }
    memcpy(p, h.p, h.n * sizeof *p);
    memcpy(g, h.g, h.n * sizeof *g);
    for (int t = 0; t < T; t++)
        for (int r = 0; r < b.n; r++)
            if (tok[t][r] != RB_TC_PAD)
                for (int k = 0; k < E; k++)
                    g[tok[t][r] * E + k] += dx[(t * B + r) * E + k];
    rb_optim o;
    rb_optim_default(&o);
    o.clip = 0.1;
    o.lr = 0.01;
    float scale = rb_clip_scale(&o, rb_grad_norm(g, h.n));
    CHECK(scale < 0.5f);
    rb_adam_step(&o, 1, scale, p, g, m, v, h.n);

    float before[6 * 3];
    memcpy(before, h.emb, sizeof before);
    rb_tc_head_update(&h, &b, dx, &o);
    CHECK_INT(h.step, 1);
    double worst = 0;
    for (size_t i = 0; i < h.n; i++)
        worst = fmax(worst, fabs((double)h.p[i] - p[i]));
    CHECK(worst <= 1e-7);
    int zero = 1;
    for (size_t i = 0; i < h.n; i++)
        zero &= h.g[i] == 0.0f;
    CHECK(zero);
    /* PAD stays zero; UNK and token 5 had no gradient: unmoved at step 1 */
    for (int k = 0; k < E; k++) {
        CHECK(h.emb[k] == 0.0f);
        CHECK(h.emb[1 * E + k] == before[1 * E + k]);
        CHECK(h.emb[5 * E + k] == before[5 * E + k]);
        CHECK(h.emb[2 * E + k] != before[2 * E + k]);
    }
    /* dx NULL: the embedding is left alone, the head still steps */
    memcpy(before, h.emb, sizeof before);
    float w0 = h.w[0];
    gw[0] = 1.0f;
    rb_tc_head_update(&h, &b, NULL, &o);
    CHECK_INT(h.step, 2);
    CHECK(h.w[0] != w0);
    free(p);
    free(g);
    free(m);
    free(v);
    rb_tc_batch_free(&b);
    rb_tc_head_free(&h);
}

/* End to end through the embedding: with an identity "recurrent stack"
 * (y = x, H = E) the embedding's gradient is the loss's gradient w.r.t. the
 * embedding rows of each row's last token.  Adam hides magnitudes, so the
 * gradient is read back from one step with beta1 = beta2 = 0 and
 * lr = eps = 1e6: p -= lr g / (|g| + eps) = g / (1 + |g| 1e-6) ~ g. */
static void test_update_end_to_end(void)
{
    const int V = 7, E = 3, C = 3, T = 2, B = 3;
    rb_tc_head h;
    rb_tc_batch b;
    rb_err e = {0};
    if (make_head(&h, V, E, E, C, 21) || rb_tc_batch_alloc(&b, T, B, E, &e)) {
        CHECK(0);
        return;
    }
    h.class_w[0] = 1.5f;
    h.class_w[2] = 0.25f;
    /* token 4 ends two rows; 5 and 6 appear only before the end */
    int t0[] = {5, 4}, t1[] = {6, 2}, t2[] = {4};
    rb_tc_doc docs[3] = {{0, 2, t0}, {2, 2, t1}, {1, 1, t2}};
    size_t idx[3] = {0, 1, 2};
    rb_tc_batch_fill(&b, &h, docs, idx, 3);
    size_t ny = (size_t)T * B * E;
    float *dy = malloc(ny * sizeof *dy);
    double fd[7 * 3];
    /* finite differences of the loss w.r.t. every embedding value */
    for (int i = 0; i < V * E; i++) {
        float x0 = h.emb[i];
        h.emb[i] = x0 + 1e-2f;
        double hi = h.emb[i];
        rb_tc_batch_fill(&b, &h, docs, idx, 3);
        rb_tc_predict(&h, &b, b.x);
        double lp = b.loss;
        h.emb[i] = x0 - 1e-2f;
        double lo = h.emb[i];
        rb_tc_batch_fill(&b, &h, docs, idx, 3);
        rb_tc_predict(&h, &b, b.x);
        fd[i] = (lp - b.loss) / (hi - lo);
        h.emb[i] = x0;
    }
    rb_tc_batch_fill(&b, &h, docs, idx, 3);
    rb_tc_step st = {&h, &b};
    double loss;
    CHECK_INT(rb_tc_loss(&st, b.x, dy, &loss, &e), 0);
    float before[7 * 3];
    memcpy(before, h.emb, sizeof before);
    rb_optim o = {.lr = 1e6, .beta1 = 0, .beta2 = 0, .eps = 1e6, .clip = 0};
    rb_tc_head_update(&h, &b, dy, &o); /* identity stack: dx = dy */
    double worst = 0;
    for (int i = E; i < V * E; i++) {
        double g = (double)before[i] - h.emb[i];
        worst = fmax(worst, fabs(g - fd[i]) / (1e-3 + fabs(fd[i])));
    }
    CHECK(worst < 2e-3);
    for (int k = 0; k < E; k++) {
        CHECK(fabs(fd[4 * E + k]) > 1e-3); /* the test means something */
        CHECK(fd[5 * E + k] == 0.0 && h.emb[5 * E + k] == before[5 * E + k]);
    }
    free(dy);
    rb_tc_batch_free(&b);
    rb_tc_head_free(&h);
}

static void test_scores(void)
{
    /* confusion (rows truth, columns prediction):
     *        0  1  2
     *   0  [ 2  1  0 ]   F1_0 = 2*2 / (2*2 + 1 + 1) = 2/3
     *   1  [ 0  2  1 ]   F1_1 = 2*2 / (2*2 + 1 + 1) = 2/3
     *   2  [ 1  0  3 ]   F1_2 = 2*3 / (2*3 + 1 + 1) = 3/4
     * accuracy 7/10, macro-F1 (2/3 + 2/3 + 3/4) / 3 */
    static const int truth[10] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 1};
    static const int pred[10] = {0, 1, 0, 1, 2, 2, 2, 0, 2, 1};
    rb_tc_scores s;
    rb_tc_score(truth, pred, 10, 3, &s);
    CHECK_INT(s.n, 10);
    CHECK_NEAR(s.accuracy, 0.7, 1e-12);
    CHECK_NEAR(s.macro_f1, (2.0 / 3 + 2.0 / 3 + 0.75) / 3, 1e-12);
    /* a fourth class never present nor predicted is skipped */
    rb_tc_score(truth, pred, 10, 4, &s);
    CHECK_NEAR(s.macro_f1, (2.0 / 3 + 2.0 / 3 + 0.75) / 3, 1e-12);
    /* an unlabelled row is not scored; a prediction of -1 is a miss, no false positive */
    static const int truth2[4] = {0, 1, -1, 1};
    static const int pred2[4] = {0, -1, 1, 1};
    rb_tc_score(truth2, pred2, 4, 2, &s);
    CHECK_INT(s.n, 3);
    CHECK_NEAR(s.accuracy, 2.0 / 3, 1e-12);
    CHECK_NEAR(s.macro_f1, (1.0 + 2.0 / 3) / 2, 1e-12); /* F1_0 = 1, F1_1 = 2/(2+1) */
    rb_tc_score(truth, pred, 0, 3, &s);
    CHECK(s.n == 0 && s.accuracy == 0 && s.macro_f1 == 0);

    /* the majority baseline agrees with scoring its predictions */
    rb_tc_data d;
    memset(&d, 0, sizeof d);
    d.n_classes = 3;
    d.train_count[0] = 5;
    d.train_count[1] = 9;
    d.train_count[2] = 9; /* a tie: the first, class 1 */
    rb_tc_doc test[6] = {{0, 0, NULL}, {1, 0, NULL}, {1, 0, NULL},
                         {2, 0, NULL}, {0, 0, NULL}, {0, 0, NULL}};
    d.test = test;
    d.n_test = 6;
    d.test_count[0] = 3;
    d.test_count[1] = 2;
    d.test_count[2] = 1;
    int t[6], p[6];
    for (int i = 0; i < 6; i++) {
        t[i] = test[i].label;
        p[i] = 1;
    }
    rb_tc_scores a, m;
    rb_tc_score(t, p, 6, 3, &a);
    rb_tc_majority(&d, &m);
    CHECK_INT(m.n, 6);
    CHECK_NEAR(m.accuracy, 2.0 / 6, 1e-12);
    CHECK_NEAR(m.accuracy, a.accuracy, 1e-15);
    CHECK_NEAR(m.macro_f1, a.macro_f1, 1e-15);
    CHECK_NEAR(m.macro_f1, (2.0 * 2 / (2 * 2 + 4)) / 3, 1e-12);
}

int main(void)
{
    test_init();
    test_batch_fill();
    test_weighted_loss_by_hand();
    test_loss_gradients();
    test_update_direct();
    test_update_end_to_end();
    test_scores();
    return rb_test_done("test_textclass_head");
}
