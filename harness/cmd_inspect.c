/* cmd_inspect.c — `rnnbench inspect MODEL`: what an imported model is, as
 * rnnbench sees it, before anything is run: the recurrent stack, its
 * shapes, parameters and FLOPs, the graph around it, and which targets run
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/import/net.h"
#include "../workloads/params.h"
#include "command.h"

static const char inspect_help[] =
    "Usage: rnnbench inspect MODEL\n"
    "\n"
    "Describe an imported model without running it: MODEL is an ONNX file, or a\n"
    "directory of a PyTorch state_dict saved as one .npy per tensor.  Prints the\n"
    "recurrent stack found (cell, layers, directions, hidden and input sizes, what\n"
    "beyond a plain stack it needs), its parameters, FLOPs per sequence, which\n"
    "dimensions the file fixes and which are axes, the operators run on the host\n"
    "around it, and for every target whether it runs the model or what it lacks.\n"
    "Anything rnnbench cannot import is an error naming the operator or attribute\n"
    "and where it sits (exit 2).\n";

static const char *elem_name(int t)
{
    return t == 1 ? "float" : t == 7 ? "int64" : t == 6 ? "int32" : t == 11 ? "double" : "tensor";
}

static void print_io(const char *what, const rb_gio *io)
{
    printf("%-10s %s: %s", what, io->name, elem_name(io->elem_type));
    if (io->ndim >= 0) {
        printf(" [");
        for (int d = 0; d < io->ndim; d++) {
            if (io->dim_param[d])
                printf("%s%s", d ? ", " : "", io->dim_param[d]);
            else if (io->dims[d] >= 0)
                printf("%s%lld", d ? ", " : "", (long long)io->dims[d]);
            else
                printf("%s?", d ? ", " : "");
        }
        printf("]");
    }
    printf("\n");
}

/* The host operators of nodes [from, to), counted by operator. */
static void print_host(const char *label, const char *what, const rb_graph *g, int from, int to)
{
    printf("%-10s %s: ", label, what);
    int any = 0;
    for (int k = from; k < to; k++) {
        const char *op = g->nodes[k].op;
        if (rb_net_rec_cell(op, NULL))
            continue;
        int seen = 0, count = 0;
        for (int j = from; j < k; j++)
            seen |= !strcmp(g->nodes[j].op, op);
        if (seen)
            continue;
        for (int j = k; j < to; j++)
            count += !strcmp(g->nodes[j].op, op);
        printf("%s%s", any ? ", " : "", op);
        if (count > 1)
            printf(" x%d", count);
        any = 1;
    }
    printf("%s\n", any ? "" : "nothing");
}

static void print_dim(const char *name, int fixed)
{
    if (fixed)
        printf("%s %d (fixed by the file)", name, fixed);
    else
        printf("%s free (an axis: --%s)", name, !strcmp(name, "seq") ? "seq" : "batch");
}

static int inspect_main(int argc, char **argv)
{
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_inspect, argc, argv, NULL, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (next >= argc) {
        fprintf(stderr, "rnnbench inspect: which model? (an ONNX file or a state_dict "
                        "directory)\nTry 'rnnbench inspect --help'.\n");
        return RB_EXIT_USAGE;
    }
    rb_err e = {0};
    rb_net n;
    if (rb_net_load(argv[next], rb_cli_model_max_bytes(), &n, &e))
        return rb_cli_fail("inspect", &e);

    const rb_graph *g = &n.g;
    const rb_model *m = &n.model;
    char feats[128];
    printf("%-10s %s\n", "model", n.id);
    if (g->n_nodes) {
        printf("%-10s ONNX IR %lld, opset %lld%s%s\n", "format", (long long)g->ir_version,
               (long long)g->opset, g->producer[0] ? ", made by " : "", g->producer);
        for (int k = 0; k < g->n_inputs; k++)
            print_io(k ? "" : "inputs", &g->inputs[k]);
        for (int k = 0; k < g->n_outputs; k++)
            print_io(k ? "" : "outputs", &g->outputs[k]);
    } else {
        printf("%-10s PyTorch state_dict (.npy per tensor)\n", "format");
        if (n.ignored[0])
            printf("%-10s %s (not part of the recurrent stack)\n", "ignored", n.ignored);
    }
    char sizes[64] = "";
    if (n.built)
        snprintf(sizes, sizeof sizes, ", hidden %d, input %d", n.hidden, n.input);
    printf("%-10s %s%s, %d layer%s, %s%s%s\n", "stack", rb_net_op_of(n.cell),
           n.cell == RB_CELL_RNN ? " (tanh)" : "", n.n_rec, n.n_rec == 1 ? "" : "s",
           n.dirs == 2                    ? "bidirectional"
           : n.features & RB_FEAT_REVERSE ? "reverse"
                                          : "forward",
           sizes, n.layout ? ", batch-major (layout 1)" : "");
    printf("%-10s %s\n", "needs",
           n.features ? rb_features_str(n.features, feats, sizeof feats)
                      : "nothing beyond a plain stack");
    if (!n.built) {
        /* ONNX's node tests: the weights come with each set of inputs */
        printf("%-10s graph inputs, given with each input set (rnnbench eval --inputs); sizes "
               "follow from them\n",
               "weights");
        rb_net_free(&n);
        return ferror(stdout) ? RB_EXIT_FAILURE : RB_EXIT_OK;
    }
    size_t params = 0;
    for (int u = 0; u < rb_model_units(m); u++)
        for (int k = RB_P_W_IH; k <= RB_P_PEEP; k++)
            params += rb_param_count(m, u, (rb_param_kind)k);
    printf("%-10s %zu parameters (%.1f KiB as fp32)\n", "weights", params, params * 4 / 1024.0);
    printf("%-10s ", "shapes");
    print_dim("seq", n.seq_fixed);
    printf(", ");
    print_dim("batch", n.batch_fixed);
    printf("\n");
    rb_workload one = rb_net_workload(&n, RB_MODE_INFER, 1, 1);
    double per_step = rb_workload_flops(&one) / (one.seq * one.batch);
    if (n.seq_fixed)
        printf("%-10s %.4g MFLOP per sequence of its %d steps (x B rows)\n", "flops",
               per_step * n.seq_fixed * 1e-6, n.seq_fixed);
    else
        printf("%-10s %.4g MFLOP per step of a sequence (x T steps, x B rows)\n", "flops",
               per_step * 1e-6);
    if (g->n_nodes) {
        print_host("host", "before the stack", g, 0, n.rec[0].node);
        print_host("", "between layers", g, n.rec[0].node, n.rec[n.n_rec - 1].node);
        print_host("", "after the stack", g, n.rec[n.n_rec - 1].node + 1, g->n_nodes);
    }
    /* which targets run it: their declared features, no device probed */
    for (size_t i = 0; i < rb_target_count(); i++) {
        const rb_target_ops *ops = rb_target_at(i);
        unsigned missing = n.features & ~ops->features;
        printf("%-10s %-6s ", i ? "" : "targets", ops->name);
        if (ops->unavailable)
            printf("not built here: %s\n", ops->unavailable);
        else if (!(ops->cells & RB_CELL_BIT(n.cell)))
            printf("unsupported: cell %s\n", rb_cell_name(n.cell));
        else if (missing)
            printf("unsupported: %s\n", rb_features_str(missing, feats, sizeof feats));
        else
            printf("runs it\n");
    }
    printf("%-10s workload key %s (for seq and batch as run)\n", "identity", one.key);
    rb_net_free(&n);
    return ferror(stdout) ? RB_EXIT_FAILURE : RB_EXIT_OK;
}

const rb_command rb_command_inspect = {
    .name = "inspect",
    .summary = "describe an imported model (ONNX or state_dict): its stack, shapes and targets",
    .help = inspect_help,
    .max_args = 1,
    .main = inspect_main,
};
