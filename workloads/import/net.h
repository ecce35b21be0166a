/* net.h — an imported model: its recurrent stack as an rb_model, the graph
 * around it run on the host.
 *
 * A file's LSTM / GRU / RNN nodes, chained output to input through nothing but
 * layout operators, become one rb_model that a target runs whole, exactly
 * as a stack described by axes; everything before the first node (an
 * embedding, batch-first transposes, zero initial states) and after the
 * last (a classifier head) runs on the host with graph_ops.c.  What cannot
 * be mapped so is refused with the operator, node and place named. */
#ifndef RB_NET_H
#define RB_NET_H

#include "../model.h"
#include "graph.h"
#include "graph_eval.h"

#define RB_NET_MAX_LAYERS 16

/* One recurrent node: the names of its inputs and outputs ("" when absent). */
typedef struct rb_net_rec {
    int node; /* index in the graph */
    const char *x, *w, *r, *b, *lens, *h0, *c0, *p;
    const char *y, *y_h, *y_c;
    int reverse; /* direction = reverse */
} rb_net_rec;

typedef struct rb_net {
    rb_graph g;
    char name[48];            /* the file's name, without directory and extension */
    char id[RB_MODEL_ID_MAX]; /* "name-1a2b3c4d": name and content hash */
    rb_cell cell;
    int hidden, input, dirs, layout; /* layout 1: batch-major X and Y (ONNX layout) */
    float clip;
    int input_forget;
    int reset_before; /* GRU linear_before_reset = 0 (RB_FEAT_RESET_BEFORE) */
    int n_rec;
    rb_net_rec rec[RB_NET_MAX_LAYERS];
    unsigned features; /* RB_FEAT_* of the stack (sequence lengths when the graph gives them) */
    int seq_fixed, batch_fixed; /* > 0: the file fixes it; 0: free (an axis) */
    rb_model model;             /* the stack's weights, after rb_net_build */
    int built;
    int weights_are_inputs; /* W, R, B or P is a graph input (ONNX's node tests): built per input set */
    char ignored[512];      /* a state_dict's other tensors (embedding, head), not used */
} rb_net;

/* Is op a recurrent operator the stack maps (LSTM, GRU, RNN)?  1 and its
 * cell in *cell (may be NULL), else 0. */
int rb_net_rec_cell(const char *op, rb_cell *cell);
/* The ONNX operator of a cell: "LSTM", "GRU", "RNN". */
const char *rb_net_op_of(rb_cell c);

/* An imported model by path: a directory is a PyTorch state_dict (one .npy
 * per tensor), anything else an ONNX file of at most max_bytes; built,
 * unless its weights are graph inputs (weights_are_inputs). */
int rb_net_load(const char *path, long max_bytes, rb_net *n, rb_err *e);
/* The state_dict reader (state_dict.c); built, without a graph. */
int rb_net_from_state_dict(const char *dir, rb_net *n, rb_err *e);
/* n->name from a path (its last component, without ".onnx") and n->id
 * from it and a content hash. */
void rb_net_set_id(rb_net *n, const char *path, uint64_t hash);

/* Read an ONNX file and find its stack: every node's operator and every
 * recurrent attribute is checked here, before any data is looked at.
 * RB_EINPUT naming what is unsupported (operator, node, position). */
int rb_net_open(const char *path, long max_bytes, rb_net *n, rb_err *e);
/* rb_net_open on a graph already read (the fuzzer's entry); takes g over. */
int rb_net_from_graph(rb_graph *g, const char *name, rb_net *n, rb_err *e);
/* Weights into n->model, sizes and fixed dimensions, and the layout
 * operators between the nodes checked to be exactly the stacking a target
 * does.  Weights that are graph inputs (ONNX's node tests feed them) come
 * from ev (may be NULL); anything else they need must be constant. */
int rb_net_build(rb_net *n, rb_geval *ev, rb_err *e);
void rb_net_free(rb_net *n);

/* The workload of the stack for seq T and batch B (fixed ones from the
 * file), with the model's identity in its key. */
rb_workload rb_net_workload(const rb_net *n, rb_mode mode, int T, int B);

/* Runs the whole stack once: x [T, B, I] to y [T, B, D*H] (rb_batch gives
 * h0, c0 [L*D, B, H] and lens, or NULL). */
typedef int (*rb_net_stack_fn)(void *ctx, const rb_batch *in, float *y, rb_err *e);

/* A hook for rb_geval_new that runs the stack through fn when a value of
 * the last recurrent node is asked for: pass rb_net_hook with a
 * rb_net_run_ctx.  The first node's inputs come from the graph, the last
 * node's Y and Y_h are bound; any other recurrent value is refused. */
typedef struct rb_net_run_ctx {
    rb_net *net;
    rb_net_stack_fn fn;
    void *ctx;
    int T, B; /* of the run, set by the hook */
} rb_net_run_ctx;
int rb_net_hook(void *ctx, rb_geval *ev, int node, rb_err *e);

/* Bind the graph's inputs from a directory: <name>.npy for each input
 * (float32/64 for float inputs, integers for token ids), or ONNX's
 * input_<k>.pb.  Shapes are checked against what the graph declares. */
int rb_net_read_inputs(const rb_net *n, const char *dir, rb_geval *ev, rb_err *e);

#endif
