/* graph_eval.h — values of an ONNX graph, computed on demand on the host.
 *
 * Bind the graph's inputs, then ask for any value: the nodes it needs run
 * once each, in the file's (topological) order, without recursion, so a
 * deep graph from an untrusted file cannot exhaust the stack.  Recurrent
 * nodes are not run here: asking for a value one of them produces calls the
 * hook, which binds it (net.c runs the whole stack on a target at once). */
#ifndef RB_GRAPH_EVAL_H
#define RB_GRAPH_EVAL_H

#include "graph.h"

typedef struct rb_geval rb_geval;

/* Called for a node the host does not run (a recurrent one): it binds the
 * node's outputs with rb_geval_bind, or fails. */
typedef int (*rb_geval_hook)(void *ctx, rb_geval *ev, int node, rb_err *e);

rb_geval *rb_geval_new(const rb_graph *g, rb_geval_hook hook, void *ctx, rb_err *e);
void rb_geval_free(rb_geval *ev);
/* Give value name its tensor; ev takes t over (t is emptied).  A name bound
 * twice keeps the first. */
int rb_geval_bind(rb_geval *ev, const char *name, rb_gtensor *t, rb_err *e);
/* Value name, computed if need be; it stays owned by ev.  RB_EINPUT naming
 * the node for anything that cannot be computed. */
int rb_geval_get(rb_geval *ev, const char *name, const rb_gtensor **out, rb_err *e);
/* Is value name known without running anything (bound, an initializer, or
 * computed already)? */
int rb_geval_has(const rb_geval *ev, const char *name);

#endif
