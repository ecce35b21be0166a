/* graph.h — an ONNX model as rnnbench holds it, independent of protobuf.
 *
 * onnx_read.c turns a file into this (protobuf-c, from onnx.proto), then
 * frees the protobuf message: everything after reading works on these plain
 * structures.  Only the tensor types rnnbench computes with exist here:
 * float32, and int64 (int32, int8 and bool tensors are widened to it on
 * reading; shapes, indices and lengths are integers). */
#ifndef RB_GRAPH_H
#define RB_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "../rb_err.h"

/* TensorProto.DataType codes. */
enum { RB_GT_FLOAT = 1, RB_GT_INT64 = 7 };

#define RB_GT_MAXDIM 8
/* The largest tensor the host graph makes (2^28 elements, 1 GiB of float),
 * and the most multiply-adds one Gemm / MatMul may take: far beyond the
 * embedding or head of any recurrent model, short of what a crafted file
 * could ask for to exhaust memory or time.  The fuzz build lowers both. */
#ifndef RB_GT_MAX_ELEMS
#define RB_GT_MAX_ELEMS ((size_t)1 << 28)
#endif
#ifndef RB_GT_MAX_MACS
#define RB_GT_MAX_MACS ((double)(1ull << 36))
#endif

typedef struct rb_gtensor {
    int type; /* RB_GT_FLOAT or RB_GT_INT64 */
    int ndim;
    int64_t dims[RB_GT_MAXDIM];
    size_t count; /* product of dims (1 for a scalar) */
    union {
        void *data;
        float *f;
        int64_t *i;
    };
    int borrowed; /* data belongs to someone else (an initializer): not freed */
} rb_gtensor;

/* AttributeProto, the kinds operators take. */
enum {
    RB_GA_FLOAT = 1,
    RB_GA_INT = 2,
    RB_GA_STRING = 3,
    RB_GA_TENSOR = 4,
    RB_GA_FLOATS = 6,
    RB_GA_INTS = 7,
    RB_GA_STRINGS = 8
};

typedef struct rb_gattr {
    char *name;
    int type; /* RB_GA_*; anything else is kept with its code, for the message */
    float f;
    int64_t i;
    char *s;
    size_t n; /* elements of floats / ints / strings */
    float *floats;
    int64_t *ints;
    char **strings;
    rb_gtensor t;
} rb_gattr;

typedef struct rb_gnode {
    char *name, *op, *domain;
    int n_in, n_out, n_attr;
    char **in, **out; /* "" for an omitted optional input or output */
    rb_gattr *attr;
} rb_gnode;

/* A graph input or output: its element type and shape, each dimension a
 * number or a name (dim_param; NULL when fixed; both unset: unknown). */
typedef struct rb_gio {
    char *name;
    int elem_type; /* TensorProto.DataType as declared (not narrowed) */
    int ndim;      /* -1: no shape given */
    int64_t dims[RB_GT_MAXDIM];
    char *dim_param[RB_GT_MAXDIM];
} rb_gio;

typedef struct rb_graph {
    char *name;
    char *producer;            /* "pytorch 1.13.1" */
    int64_t ir_version, opset; /* opset of the default domain */
    uint64_t hash;             /* rb_content_hash of the file's bytes: its identity */
    int n_nodes, n_inits, n_inputs, n_outputs;
    rb_gnode *nodes; /* in file order, which ONNX requires to be topological */
    char **init_names;
    rb_gtensor *inits;
    rb_gio *inputs; /* the inputs a caller feeds: initializers listed as inputs are left out */
    rb_gio *outputs;
} rb_graph;

/* Read an ONNX model file: RB_EINPUT with the reason for anything that is
 * not a well-formed model rnnbench can hold (truncated, corrupt, a tensor
 * whose data disagrees with its shape, external data missing, an opset out
 * of range ...); RB_ENOMEM past max_bytes of file; RB_EUNAVAIL when built
 * without protobuf-c. */
int rb_onnx_read(const char *path, long max_bytes, rb_graph *g, rb_err *e);
/* The same from bytes in memory (the fuzzer's entry); base_dir is where
 * external data would be (NULL: external data refused). */
int rb_onnx_parse(const uint8_t *buf, size_t len, const char *base_dir, rb_graph *g, rb_err *e);
void rb_graph_free(rb_graph *g);
/* One TensorProto file (ONNX's test data: test_data_set_N/input_0.pb) or
 * bytes; *name (caller frees) is the tensor's name, "" when it has none. */
int rb_onnx_read_tensor(const char *path, long max_bytes, rb_gtensor *t, char **name, rb_err *e);
int rb_onnx_parse_tensor(const uint8_t *buf, size_t len, rb_gtensor *t, char **name, rb_err *e);
/* The content hash of imported files (64-bit FNV-1a over words). */
uint64_t rb_content_hash(const uint8_t *p, size_t n);

/* The opsets of the default domain rnnbench reads (the LSTM, GRU and RNN as
 * defined since opset 7; layout since 14). */
#define RB_ONNX_OPSET_MIN 7
#define RB_ONNX_OPSET_MAX 17

/* Lookups; NULL when absent. */
const rb_gattr *rb_gnode_attr(const rb_gnode *n, const char *name);
const rb_gtensor *rb_graph_init(const rb_graph *g, const char *name);

/* Tensor helpers. */
int rb_gtensor_alloc(rb_gtensor *t, int type, int ndim, const int64_t *dims, rb_err *e);
void rb_gtensor_free(rb_gtensor *t);
/* "[3, 1, 2]" into buf. */
const char *rb_gdims_str(int ndim, const int64_t *dims, char *buf, size_t n);
/* Element i of an int64 or float tensor as a double / an integer. */
double rb_gtensor_get(const rb_gtensor *t, size_t i);

#endif
