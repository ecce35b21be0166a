/* state_dict.c — a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict saved as one .npy
 * per tensor, under its own names, as a net without a graph (net.h).
 *
 * The names are PyTorch's: [prefix.]weight_ih_l{k}[_reverse], weight_hh,
 * bias_ih, bias_hh, where the prefix is the module's path in its model
 * ("lstm.", "module.encoder.rnn." ...).  The recurrent module's tensors
 * must share one prefix; other tensors (an embedding, a head) are listed,
 * not used: --weights gives the stack.  Shapes say the rest: weight_hh [G*H,
 * H] gives H and the cell (G = 4: LSTM, 3: GRU, 1: RNN). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../npy.h"
#include "../params.h"
#include "net.h"

static const char *const kinds[] = {"weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"};

/* Parse "<prefix><kind><k>[_reverse].npy": kind index, layer, direction and
 * the prefix length; -1 when the name is not a recurrent parameter. */
static int parse_name(const char *f, int *layer, int *rev, size_t *plen)
{
    size_t len = strlen(f);
    if (len < 5 || strcmp(f + len - 4, ".npy"))
        return -1;
    for (int k = 0; k < 4; k++) {
        for (const char *p = strstr(f, kinds[k]); p; p = strstr(p + 1, kinds[k])) {
            if (p != f && p[-1] != '.')
                continue;
            const char *q = p + strlen(kinds[k]);
            char *end;
            long l = strtol(q, &end, 10);
            if (end == q || l < 0 || l >= RB_NET_MAX_LAYERS)
                continue;
            *rev = !strncmp(end, "_reverse", 8);
            if (strcmp(end + (*rev ? 8 : 0), ".npy"))
                continue;
            *layer = (int)l;
            *plen = (size_t)(p - f);
            return k;
        }
    }
    return -1;
}

typedef struct sd_scan {
    char prefix[256];
    int have_prefix;
    int layers, dirs;
    int have[RB_NET_MAX_LAYERS][2][4];
    char others[512];
} sd_scan;

static int scan(const char *dir, sd_scan *s, rb_err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return rb_errf(e, RB_EINPUT, "%s: cannot read the directory", dir);
    memset(s, 0, sizeof *s);
    s->dirs = 1;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        int layer, rev;
        size_t plen;
        int k = parse_name(de->d_name, &layer, &rev, &plen);
        if (k < 0) {
            size_t len = strlen(de->d_name);
            if (len > 4 && !strcmp(de->d_name + len - 4, ".npy") &&
                strlen(s->others) + len + 3 < sizeof s->others)
                snprintf(s->others + strlen(s->others), sizeof s->others - strlen(s->others),
                         "%s%s", s->others[0] ? ", " : "", de->d_name);
            continue;
        }
        if (plen >= sizeof s->prefix)
            rc = rb_errf(e, RB_EINPUT, "%s/%s: module path too long", dir, de->d_name);
        else if (!s->have_prefix) {
            memcpy(s->prefix, de->d_name, plen);
            s->prefix[plen] = '\0';
            s->have_prefix = 1;
        } else if (strlen(s->prefix) != plen || strncmp(s->prefix, de->d_name, plen)) {
            rc = rb_errf(e, RB_EINPUT,
                         "%s: recurrent tensors of two modules ('%s' and '%.*s'); give a "
                         "directory holding one",
                         dir, s->prefix, (int)plen, de->d_name);
        }
        if (!rc) {
            s->have[layer][rev][k] = 1;
            s->layers = layer + 1 > s->layers ? layer + 1 : s->layers;
            if (rev)
                s->dirs = 2;
        }
    }
    closedir(d);
    if (!rc && !s->have_prefix)
        rc = rb_errf(
            e, RB_EINPUT,
            "%s: no PyTorch LSTM/GRU/RNN parameters (weight_ih_l0.npy ...) in the directory", dir);
    return rc;
}

static int load_tensor(const char *dir, const sd_scan *s, int k, int layer, int rev, rb_npy *a,
                       rb_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s%d%s.npy", dir, s->prefix, kinds[k], layer,
             rev ? "_reverse" : "");
    int rc = rb_npy_read_f32(path, a, (size_t)1 << 34, e);
    if (!rc && (rc = rb_npy_check_finite(a, path, e)))
        rb_npy_free(a);
    return rc;
}

static int shape_is(const rb_npy *a, size_t r, size_t c)
{
    return c ? a->ndim == 2 && a->shape[0] == r && a->shape[1] == c
             : a->ndim == 1 && a->shape[0] == r;
}

int rb_net_from_state_dict(const char *dir, rb_net *n, rb_err *e)
{
    memset(n, 0, sizeof *n);
    sd_scan s;
    int rc = scan(dir, &s, e);
    if (rc)
        return rc;
    for (int l = 0; l < s.layers; l++)
        for (int d = 0; d < s.dirs; d++)
            for (int k = 0; k < 2; k++)
                if (!s.have[l][d][k])
                    return rb_errf(e, RB_EINPUT, "%s: %s%s%d%s.npy is missing", dir, s.prefix,
                                   kinds[k], l, d ? "_reverse" : "");
    /* the sizes from layer 0 */
    rb_npy hh = {0}, ih = {0};
    if ((rc = load_tensor(dir, &s, 1, 0, 0, &hh, e)) ||
        (rc = load_tensor(dir, &s, 0, 0, 0, &ih, e))) {
        rb_npy_free(&hh);
        return rc;
    }
    size_t H = hh.ndim == 2 ? hh.shape[1] : 0, G = H ? hh.shape[0] / H : 0;
    size_t I = ih.ndim == 2 ? ih.shape[1] : 0;
    rb_npy_free(&hh);
    rb_npy_free(&ih);
    if (!H || !I || (G != 4 && G != 3 && G != 1) || H > (1 << 20) || I > (1 << 24))
        return rb_errf(e, RB_EINPUT,
                       "%s: weight_hh_l0 / weight_ih_l0 have shapes that are not "
                       "an LSTM's, a GRU's or an RNN's ([G*H, H] and [G*H, I], G = 4, 3 or 1)",
                       dir);
    rb_cell cell = G == 4 ? RB_CELL_LSTM : G == 3 ? RB_CELL_GRU : RB_CELL_RNN;
    rb_workload w = rb_workload_of(cell, RB_MODE_INFER, 1, 1, (int)I, (int)H, s.layers, 1);
    w.dirs = s.dirs;
    w.features = s.dirs == 2 ? RB_FEAT_BIDIR : 0;
    if ((rc = rb_model_alloc(&n->model, &w, e)))
        return rc;
    for (int u = 0; !rc && u < rb_model_units(&n->model); u++) {
        rb_layer *ly = &n->model.layer[u];
        int l = u / s.dirs, d = u % s.dirs;
        float *dst[4] = {ly->w_ih, ly->w_hh, ly->b_ih, ly->b_hh};
        size_t cols[4] = {(size_t)ly->in, H, 0, 0};
        for (int k = 0; !rc && k < 4; k++) {
            if (k >= 2 && !s.have[l][d][k])
                continue; /* bias=False: zeros */
            rb_npy a = {0};
            if ((rc = load_tensor(dir, &s, k, l, d, &a, e)))
                break;
            if (!shape_is(&a, G * H, cols[k]))
                rc = rb_errf(e, RB_EINPUT,
                             "%s: %s%s%d%s.npy has the wrong shape for layer %d "
                             "(hidden %zu, input %zu)",
                             dir, s.prefix, kinds[k], l, d ? "_reverse" : "", l, H, (size_t)ly->in);
            else
                memcpy(dst[k], a.f32, a.count * sizeof *a.f32);
            rb_npy_free(&a);
        }
    }
    if (rc) {
        rb_net_free(n);
        return rc;
    }
    n->cell = n->model.cell;
    n->hidden = (int)H;
    n->input = (int)I;
    n->dirs = s.dirs;
    n->n_rec = s.layers;
    n->features = w.features;
    n->built = 1;
    /* identity: the directory's name and a hash of the weights */
    size_t total = rb_param_total(&n->model);
    float *flat = malloc(total * sizeof *flat);
    uint64_t h = 0;
    if (flat) {
        rb_model_flatten(&n->model, flat);
        h = rb_content_hash((const uint8_t *)flat, total * sizeof *flat);
        free(flat);
    }
    rb_net_set_id(n, dir, h);
    snprintf(n->ignored, sizeof n->ignored, "%s", s.others);
    return 0;
}
