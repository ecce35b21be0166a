/* onnx_read.c — an ONNX file into a graph.h graph, through protobuf-c.
 *
 * The message code is generated at build time from the onnx.proto that
 * Debian's libonnx-dev ships; protobuf-c does all decoding.  What this file
 * adds is the checking a file from anywhere needs before anything trusts
 * it: every tensor's data agrees with its shape and type, every name is
 * there, external data stays beside the model, opsets are in range. */
#include "graph.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../files.h"

uint64_t rb_content_hash(const uint8_t *p, size_t n)
{
    /* FNV-1a over little-endian 64-bit words (the tail zero-padded), then
     * the length: eight times fewer multiplies than bytewise, which is what
     * hashing a 50 MB model costs */
    uint64_t h = 1469598103934665603ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (int b = 0; b < 8; b++)
            w |= (uint64_t)p[i + b] << (8 * b);
        h = (h ^ w) * 1099511628211ull;
    }
    uint64_t w = 0;
    for (int b = 0; i + (size_t)b < n; b++)
        w |= (uint64_t)p[i + b] << (8 * b);
    h = (h ^ w) * 1099511628211ull;
    return (h ^ n) * 1099511628211ull;
}

#ifndef RB_HAVE_ONNX

int rb_onnx_parse(const uint8_t *buf, size_t len, const char *base_dir, rb_graph *g, rb_err *e)
{
    memset(g, 0, sizeof *g);
    return rb_errf(e, RB_EUNAVAIL,
                   "rnnbench was built without ONNX import (install libprotobuf-c-dev "
                   "protobuf-c-compiler libonnx-dev, or run scripts/setup.sh, and rebuild)");
}

int rb_onnx_parse_tensor(const uint8_t *buf, size_t len, rb_gtensor *t, char **name, rb_err *e)
{
    memset(t, 0, sizeof *t);
    *name = NULL;
    return rb_onnx_parse(buf, len, NULL, &(rb_graph){0}, e);
}

#else

#include "onnx.pb-c.h"

static char *dup_str(const char *s) { return strdup(s ? s : ""); }

/* Bytes of a protobuf string as a C string; an unset one (data NULL) is "". */
static char *dup_bytes(const ProtobufCBinaryData *b)
{
    return b->data ? strndup((const char *)b->data, b->len) : strdup("");
}

/* The count of elements of dims, or SIZE_MAX when a dimension is negative
 * or the product overflows. */
static size_t dims_count(size_t n, const int64_t *dims)
{
    size_t count = 1;
    for (size_t d = 0; d < n; d++) {
        if (dims[d] < 0 || (dims[d] && count > SIZE_MAX / 16 / (size_t)dims[d]))
            return SIZE_MAX;
        count *= (size_t)dims[d];
    }
    return count;
}

/* Bytes per element of the types rnnbench reads, by TensorProto.DataType;
 * 0 for the others. */
static size_t elem_size(int type)
{
    switch (type) {
    case 1: return 4;  /* FLOAT */
    case 2: return 1;  /* UINT8 */
    case 3: return 1;  /* INT8 */
    case 5: return 2;  /* INT16 */
    case 6: return 4;  /* INT32 */
    case 7: return 8;  /* INT64 */
    case 9: return 1;  /* BOOL */
    case 11: return 8; /* DOUBLE */
    default: return 0;
    }
}

static const char *type_name(int type)
{
    static const char *names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                  "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                  "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                  "COMPLEX128", "BFLOAT16"};
    return type >= 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "unknown";
}

/* Little-endian raw bytes of element i as a double or an integer. */
static double raw_f(int type, const uint8_t *p)
{
    if (type == 1) {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    double v;
    memcpy(&v, p, 8);
    return v;
}

static int64_t raw_i(int type, const uint8_t *p)
{
    switch (type) {
    case 2: return p[0];
    case 3: return (int8_t)p[0];
    case 9: return p[0] != 0;
    case 5: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 6: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        int64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

/* A relative path without ".." that stays beside the model. */
static int safe_location(const char *loc)
{
    if (!loc[0] || loc[0] == '/')
        return 0;
    for (const char *p = loc; *p; p++)
        if (p[0] == '.' && p[1] == '.' && (p == loc || p[-1] == '/') && (!p[2] || p[2] == '/'))
            return 0;
    return 1;
}

/* Read the external data of a tensor (ONNX's external data format: keys
 * location, offset, length) into a new buffer of want bytes. */
static uint8_t *read_external(const Onnx__TensorProto *tp, const char *base_dir, size_t want,
                              const char *what, rb_err *e)
{
    const char *loc = NULL;
    long long offset = 0, length = -1;
    for (size_t k = 0; k < tp->n_external_data; k++) {
        const Onnx__StringStringEntryProto *kv = tp->external_data[k];
        if (!kv->key || !kv->value)
            continue;
        if (!strcmp(kv->key, "location"))
            loc = kv->value;
        else if (!strcmp(kv->key, "offset"))
            offset = strtoll(kv->value, NULL, 10);
        else if (!strcmp(kv->key, "length"))
            length = strtoll(kv->value, NULL, 10);
    }
    if (!base_dir) {
        rb_errf(e, RB_EINPUT, "%s: its data is in an external file, which is not read here", what);
        return NULL;
    }
    if (!loc || !safe_location(loc)) {
        rb_errf(e, RB_EINPUT,
                "%s: external data location %s%s%s is not a relative path beside the model", what,
                loc ? "\"" : "", loc ? loc : "(none)", loc ? "\"" : "");
        return NULL;
    }
    if (offset < 0 || (length >= 0 && (size_t)length != want)) {
        rb_errf(e, RB_EINPUT,
                "%s: external data offset %lld, length %lld, but its shape needs %zu "
                "bytes",
                what, offset, length, want);
        return NULL;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", base_dir, loc) >= (int)sizeof path) {
        rb_errf(e, RB_EINPUT, "%s: external data path too long", what);
        return NULL;
    }
    /* one file usually holds every tensor: its size is not this tensor's */
    FILE *f = rb_fopen_in(path, LONG_MAX, "external tensor data", e);
    if (!f) {
        rb_err_prefix(e, "%s: ", what);
        return NULL;
    }
    uint8_t *buf = malloc(want ? want : 1);
    if (!buf || fseek(f, (long)offset, SEEK_SET) || fread(buf, 1, want, f) != want) {
        rb_errf(e, buf ? RB_EINPUT : RB_ENOMEM, "%s: %s: cannot read %zu bytes at offset %lld%s",
                what, path, want, offset, buf ? " (file too short)" : "");
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* TensorProto to rb_gtensor: float stays float, DOUBLE narrows to float,
 * the integer types widen to int64. */
static int tensor_from(Onnx__TensorProto *tp, const char *base_dir, const char *what, rb_gtensor *t,
                       rb_err *e)
{
    memset(t, 0, sizeof *t);
    int type = tp->has_data_type ? tp->data_type : 0;
    size_t es = elem_size(type);
    if (!es)
        return rb_errf(e, RB_EINPUT,
                       "%s: data type %s is not one rnnbench reads (float, double, "
                       "or an integer type)",
                       what, type_name(type));
    if (tp->n_dims > RB_GT_MAXDIM)
        return rb_errf(e, RB_EINPUT, "%s: %zu dimensions, more than %d", what, tp->n_dims,
                       RB_GT_MAXDIM);
    size_t count = dims_count(tp->n_dims, tp->dims);
    if (count == SIZE_MAX)
        return rb_errf(e, RB_EINPUT, "%s: negative or absurd dimensions", what);
    if (tp->segment)
        return rb_errf(e, RB_EINPUT, "%s: segmented tensors are not read", what);

    /* Where the values are: raw bytes, external file, or the typed field. */
    const uint8_t *raw = NULL;
    uint8_t *ext = NULL;
    size_t n_typed = type == 1    ? tp->n_float_data
                     : type == 7  ? tp->n_int64_data
                     : type == 11 ? tp->n_double_data
                                  : tp->n_int32_data;
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (!(ext = read_external(tp, base_dir, count * es, what, e)))
            return e->code;
        raw = ext;
    } else if (tp->has_raw_data) {
        if (tp->raw_data.len != count * es)
            return rb_errf(e, RB_EINPUT, "%s: %zu bytes of data, but %s of %zu elements needs %zu",
                           what, tp->raw_data.len, type_name(type), count, count * es);
        raw = tp->raw_data.data;
    } else if (n_typed != count) {
        return rb_errf(e, RB_EINPUT, "%s: %zu values, but its shape has %zu elements", what,
                       n_typed, count);
    }

    int64_t dims[RB_GT_MAXDIM];
    for (size_t d = 0; d < tp->n_dims; d++)
        dims[d] = tp->dims[d];
    int out_type = type == 1 || type == 11 ? RB_GT_FLOAT : RB_GT_INT64;
    int rc = rb_gtensor_alloc(t, out_type, (int)tp->n_dims, dims, e);
    if (rc) {
        free(ext);
        return rb_err_prefix(e, "%s: ", what);
    }
    /* the common case, raw little-endian float32 (or int64): the bytes
     * protobuf-c copied out of the file (malloc'd, so aligned) become the
     * tensor's; a 50 MB model is not copied twice */
    static const uint16_t probe = 1;
    int little = *(const uint8_t *)&probe == 1;
    if (raw && little && ((type == 1 && out_type == RB_GT_FLOAT) || type == 7)) {
        if (!ext && count) {
            free(t->data);
            t->data = tp->raw_data.data;
            tp->raw_data.data = NULL;
            tp->raw_data.len = 0;
            tp->has_raw_data = 0;
        } else {
            memcpy(t->data, raw, count * es);
        }
        free(ext);
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = raw ? raw + i * es : NULL;
        if (out_type == RB_GT_FLOAT)
            t->f[i] = p           ? (float)raw_f(type, p)
                      : type == 1 ? tp->float_data[i]
                                  : (float)tp->double_data[i];
        else
            t->i[i] = p ? raw_i(type, p) : type == 7 ? tp->int64_data[i] : tp->int32_data[i];
    }
    free(ext);
    return 0;
}

static int attr_from(Onnx__AttributeProto *ap, const char *node, rb_gattr *a, const char *base_dir,
                     rb_err *e)
{
    a->name = dup_str(ap->name);
    a->type = ap->has_type ? (int)ap->type : 0;
    a->f = ap->f;
    a->i = ap->i;
    if (!a->name)
        return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
    switch (a->type) {
    case RB_GA_STRING:
        if (!(a->s = dup_bytes(&ap->s)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
        break;
    case RB_GA_FLOATS:
        a->n = ap->n_floats;
        if (!(a->floats = malloc((a->n ? a->n : 1) * sizeof *a->floats)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
        if (a->n)
            memcpy(a->floats, ap->floats, a->n * sizeof *a->floats);
        break;
    case RB_GA_INTS:
        a->n = ap->n_ints;
        if (!(a->ints = malloc((a->n ? a->n : 1) * sizeof *a->ints)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
        if (a->n)
            memcpy(a->ints, ap->ints, a->n * sizeof *a->ints);
        break;
    case RB_GA_STRINGS:
        a->n = ap->n_strings;
        if (!(a->strings = calloc(a->n ? a->n : 1, sizeof *a->strings)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
        for (size_t k = 0; k < a->n; k++)
            if (!(a->strings[k] = dup_bytes(&ap->strings[k])))
                return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", node);
        break;
    case RB_GA_TENSOR: {
        if (!ap->t)
            return rb_errf(e, RB_EINPUT, "node %s: attribute %s has no tensor", node, a->name);
        char what[256];
        snprintf(what, sizeof what, "node %s, attribute %s", node, a->name);
        return tensor_from(ap->t, base_dir, what, &a->t, e);
    }
    default: break;
    }
    return 0;
}

static int node_from(Onnx__NodeProto *np, int index, rb_gnode *n, const char *base_dir, rb_err *e)
{
    char fallback[32];
    snprintf(fallback, sizeof fallback, "#%d", index);
    n->name = dup_str(np->name && np->name[0] ? np->name : fallback);
    n->op = dup_str(np->op_type);
    n->domain = dup_str(np->domain);
    n->in = calloc(np->n_input + 1, sizeof *n->in);
    n->out = calloc(np->n_output + 1, sizeof *n->out);
    n->attr = calloc(np->n_attribute + 1, sizeof *n->attr);
    if (!n->name || !n->op || !n->domain || !n->in || !n->out || !n->attr)
        return rb_errf(e, RB_ENOMEM, "out of memory reading node %d", index);
    if (np->n_input > 64 || np->n_output > 64 || np->n_attribute > 64)
        return rb_errf(e, RB_EINPUT, "node %s (%s): more than 64 inputs, outputs or attributes",
                       n->name, n->op);
    for (size_t k = 0; k < np->n_input; k++, n->n_in++)
        if (!(n->in[k] = dup_str(np->input[k])))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", n->name);
    for (size_t k = 0; k < np->n_output; k++, n->n_out++)
        if (!(n->out[k] = dup_str(np->output[k])))
            return rb_errf(e, RB_ENOMEM, "out of memory reading node %s", n->name);
    for (size_t k = 0; k < np->n_attribute; k++) {
        n->n_attr++;
        int rc = attr_from(np->attribute[k], n->name, &n->attr[k], base_dir, e);
        if (rc)
            return rc;
    }
    return 0;
}

static int io_from(const Onnx__ValueInfoProto *vp, rb_gio *io, rb_err *e)
{
    io->name = dup_str(vp->name);
    io->ndim = -1;
    if (!io->name)
        return rb_errf(e, RB_ENOMEM, "out of memory reading the graph's inputs");
    const Onnx__TypeProto *tp = vp->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return 0; /* not a tensor: checked where it is used */
    io->elem_type = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
    const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
    if (!sp)
        return 0;
    if (sp->n_dim > RB_GT_MAXDIM)
        return rb_errf(e, RB_EINPUT, "graph input %s: %zu dimensions, more than %d", io->name,
                       sp->n_dim, RB_GT_MAXDIM);
    io->ndim = (int)sp->n_dim;
    for (size_t d = 0; d < sp->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[d];
        io->dims[d] = -1;
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            io->dims[d] = dm->dim_value;
        else if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                 !(io->dim_param[d] = dup_str(dm->dim_param)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading the graph's inputs");
    }
    return 0;
}

static int is_default_domain(const char *d) { return !d || !d[0] || !strcmp(d, "ai.onnx"); }

static int graph_from(Onnx__ModelProto *mp, const char *base_dir, rb_graph *g, rb_err *e)
{
    Onnx__GraphProto *gp = mp->graph;
    if (!gp)
        return rb_errf(e, RB_EINPUT, "the model has no graph");
    g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
    g->opset = -1;
    for (size_t k = 0; k < mp->n_opset_import; k++)
        if (is_default_domain(mp->opset_import[k]->domain) && mp->opset_import[k]->has_version)
            g->opset = mp->opset_import[k]->version;
    if (g->opset < 0)
        return rb_errf(e, RB_EINPUT,
                       "the model imports no opset of the default ONNX domain "
                       "(IR version %lld)",
                       (long long)g->ir_version);
    if (g->opset < RB_ONNX_OPSET_MIN || g->opset > RB_ONNX_OPSET_MAX)
        return rb_errf(e, RB_EINPUT, "opset %lld is outside the range rnnbench reads (%d..%d)",
                       (long long)g->opset, RB_ONNX_OPSET_MIN, RB_ONNX_OPSET_MAX);
    char producer[128];
    snprintf(producer, sizeof producer, "%s%s%s", mp->producer_name ? mp->producer_name : "",
             mp->producer_version && mp->producer_version[0] ? " " : "",
             mp->producer_version ? mp->producer_version : "");
    g->name = dup_str(gp->name);
    g->producer = dup_str(producer);
    g->nodes = calloc(gp->n_node + 1, sizeof *g->nodes);
    g->inits = calloc(gp->n_initializer + 1, sizeof *g->inits);
    g->init_names = calloc(gp->n_initializer + 1, sizeof *g->init_names);
    g->inputs = calloc(gp->n_input + 1, sizeof *g->inputs);
    g->outputs = calloc(gp->n_output + 1, sizeof *g->outputs);
    if (!g->name || !g->producer || !g->nodes || !g->inits || !g->init_names || !g->inputs ||
        !g->outputs)
        return rb_errf(e, RB_ENOMEM, "out of memory reading the model");

    for (size_t k = 0; k < gp->n_initializer; k++) {
        Onnx__TensorProto *tp = gp->initializer[k];
        char what[256];
        snprintf(what, sizeof what, "initializer %s", tp->name ? tp->name : "(unnamed)");
        if (!tp->name || !tp->name[0])
            return rb_errf(e, RB_EINPUT, "initializer %zu has no name", k);
        g->n_inits++;
        if (!(g->init_names[k] = dup_str(tp->name)))
            return rb_errf(e, RB_ENOMEM, "out of memory reading the model");
        int rc = tensor_from(tp, base_dir, what, &g->inits[k], e);
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < gp->n_node; k++) {
        g->n_nodes++;
        int rc = node_from(gp->node[k], (int)k, &g->nodes[k], base_dir, e);
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < gp->n_input; k++) {
        if (rb_graph_init(g, gp->input[k]->name))
            continue; /* IR < 4 lists initializers as inputs too: they are not fed */
        int rc = io_from(gp->input[k], &g->inputs[g->n_inputs++], e);
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < gp->n_output; k++) {
        int rc = io_from(gp->output[k], &g->outputs[g->n_outputs++], e);
        if (rc)
            return rc;
    }
    if (!g->n_outputs)
        return rb_errf(e, RB_EINPUT, "the graph has no outputs");
    return 0;
}

int rb_onnx_parse(const uint8_t *buf, size_t len, const char *base_dir, rb_graph *g, rb_err *e)
{
    memset(g, 0, sizeof *g);
    /* protobuf-c checks the wire format (lengths, tags, UTF-8 of strings)
     * and refuses what is truncated or corrupt. */
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    if (!mp)
        return rb_errf(e, RB_EINPUT,
                       "not an ONNX model: the protobuf does not parse (truncated or "
                       "corrupt, or another kind of file)");
    int rc = graph_from(mp, base_dir, g, e);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (rc)
        rb_graph_free(g);
    return rc;
}

int rb_onnx_parse_tensor(const uint8_t *buf, size_t len, rb_gtensor *t, char **name, rb_err *e)
{
    memset(t, 0, sizeof *t);
    *name = NULL;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    if (!tp)
        return rb_errf(e, RB_EINPUT, "not an ONNX tensor: the protobuf does not parse");
    int rc = tensor_from(tp, NULL, "the tensor", t, e);
    if (!rc && !(*name = dup_str(tp->name))) {
        rb_gtensor_free(t);
        rc = rb_errf(e, RB_ENOMEM, "out of memory reading a tensor");
    }
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return rc;
}

#endif

/* A regular file of at most max_bytes, mapped read-only (no copy: the
 * page cache is read where it lies).  unmap() undoes it. */
static int map_file(const char *path, long max_bytes, const char *what, uint8_t **buf, size_t *len,
                    rb_err *e)
{
    static uint8_t empty;
    *buf = NULL;
    *len = 0;
    FILE *f = rb_fopen_in(path, max_bytes, what, e);
    if (!f)
        return errno == EFBIG ? (e->code = RB_ENOMEM) : RB_EINPUT;
    struct stat st;
    int rc = 0;
    if (fstat(fileno(f), &st))
        rc = rb_errf(e, RB_EINPUT, "%s: %s", path, strerror(errno));
    else if (st.st_size == 0)
        *buf = &empty;
    else if ((*buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0)) ==
             MAP_FAILED) {
        *buf = NULL;
        rc = rb_errf(e, RB_ENOMEM, "%s: cannot map %lld bytes: %s", path, (long long)st.st_size,
                     strerror(errno));
    }
    if (!rc)
        *len = (size_t)st.st_size;
    fclose(f);
    return rc;
}

static void unmap(uint8_t *buf, size_t len)
{
    if (buf && len)
        munmap(buf, len);
}

int rb_onnx_read_tensor(const char *path, long max_bytes, rb_gtensor *t, char **name, rb_err *e)
{
    uint8_t *buf;
    size_t len;
    memset(t, 0, sizeof *t);
    *name = NULL;
    int rc = map_file(path, max_bytes, "an ONNX tensor (.pb)", &buf, &len, e);
    if (!rc && (rc = rb_onnx_parse_tensor(buf, len, t, name, e)))
        rb_err_prefix(e, "%s: ", path);
    unmap(buf, len);
    return rc;
}

int rb_onnx_read(const char *path, long max_bytes, rb_graph *g, rb_err *e)
{
    memset(g, 0, sizeof *g);
    uint8_t *buf;
    size_t len;
    int rc = map_file(path, max_bytes, "an ONNX model", &buf, &len, e);
    if (rc)
        return rc;
    /* external data lives beside the model */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    rc = rb_onnx_parse(buf, len, dir, g, e);
    if (rc)
        rb_err_prefix(e, "%s: ", path);
    else
        g->hash = rb_content_hash(buf, len);
    unmap(buf, len);
    return rc;
}
