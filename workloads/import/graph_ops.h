/* graph_ops.h — the ONNX operators rnnbench runs on the host.
 *
 * Frameworks wrap a recurrent stack in a little graph: the shape plumbing
 * PyTorch adds for zero initial states and batch-first layouts, an
 * embedding, a classifier head.  These are the operators of that graph, with
 * ONNX's semantics for the opsets graph.h reads; the recurrent operators
 * themselves run on a target (net.c).  Anything else is refused by name
 * before anything runs: never a silently wrong graph. */
#ifndef RB_GRAPH_OPS_H
#define RB_GRAPH_OPS_H

#include "graph.h"

/* Does the host run this operator (of the default domain)? */
int rb_gop_known(const char *op);
/* The operators it runs, comma-separated, for messages and `inspect`. */
const char *rb_gop_list(void);

/* Run node n: in[k] is NULL for an omitted optional input; out[0..n_out)
 * receive new tensors the caller frees.  RB_EINPUT naming the node for
 * inputs the operator does not accept. */
int rb_gop_run(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, rb_gtensor *out,
               rb_err *e);

#endif
