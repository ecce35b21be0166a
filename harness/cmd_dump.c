/* cmd_dump.c — `rnnbench dump`: one workload's weights, input, reference and
 * target outputs as .npy, so anyone can check them with NumPy or PyTorch
 * (scripts/check-dump-vs-pytorch.py loads them into nn.LSTM). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../workloads/utf8.h"
#include "../workloads/files.h"
#include "../workloads/npy.h"
#include "../workloads/params.h"
#include "../workloads/reference.h"
#include "command.h"
#include "host.h"
#include "measure.h"
#include "run_config.h"

static const char dump_help[] =
    "Usage: rnnbench dump -o DIR [axis options] [--seed N] [--targets LIST]\n"
    "\n"
    "Write one workload point as NumPy files into DIR: the weights under PyTorch's\n"
    "parameter names (weight_ih_l0.npy, ...), the input x.npy [T,B,I], the fp64\n"
    "reference output y_ref.npy [T,B,H] with h_n_ref.npy / c_n_ref.npy [L,B,H], each\n"
    "target's output y_<target>.npy (float32), and meta.json describing the shapes.\n"
    "\n"
    "With --mode train, also the training step's MSE target y_target.npy [T,B,H]\n"
    "(loss = 0.5 * mean((y - y_target)^2)), the fp64 reference gradients\n"
    "grad_ref/<parameter>.npy and dx_ref.npy [T,B,I], and each training target's\n"
    "gradients of its first step grad_<target>/<parameter>.npy and dx_<target>.npy\n"
    "(float32), to compare with PyTorch's autograd.\n"
    "\n"
    "  -o, --output DIR    directory to write (created if missing)\n"
    "  --seed N            seed for weights and inputs (default 1, as `run`)\n"
    "  --targets LIST      targets whose output to include (default cpu)\n"
    "  --threads N         threads for the targets (default: all CPUs)\n"
    "  The workload axes take one value each: dump writes a single point.\n";

enum { OPT_SEED = RB_OPT_FIRST_FREE, OPT_TARGETS, OPT_THREADS };

static int save3(const char *dir, const char *name, const double *d64, const float *d32, size_t a,
                 size_t b, size_t c, rb_err *e)
{
    char path[4096];
    size_t shape[3] = {a, b, c};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return d64 ? rb_npy_write_f64(path, d64, 3, shape, e)
               : rb_npy_write_f32(path, d32, 3, shape, e);
}

/* Gradients in the flat params.h layout as one .npy per parameter, under
 * PyTorch's names, in dir/sub/ (f64 from g64, else f32 from g32). */
static int save_grads(const char *dir, const char *sub, const rb_model *m, const double *g64,
                      const float *g32, rb_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    if (rb_mkdir_out(path, 0, e))
        return e->code;
    size_t gh = (size_t)rb_cell_gates(m->cell) * (size_t)m->hidden;
    int rc = 0;
    for (int l = 0; l < m->layers && !rc; l++)
        for (int k = RB_P_W_IH; k <= RB_P_B_HH && !rc; k++) {
            size_t n = rb_param_count(m, l, (rb_param_kind)k), off = rb_param_off(m, l, k);
            if (!n)
                continue;
            size_t shape[2] = {gh, n / gh};
            int nd = k >= RB_P_B_IH ? 1 : 2;
            char name[64];
            snprintf(path, sizeof path, "%s/%s/%s.npy", dir, sub,
                     rb_model_param_name(name, sizeof name, m, rb_param_kind_name(k), l));
            rc = g64 ? rb_npy_write_f64(path, g64 + off, nd, shape, e)
                     : rb_npy_write_f32(path, g32 + off, nd, shape, e);
        }
    return rc;
}

/* One training step of a target loaded for training: its gradients and
 * dLoss/dx saved beside the reference's, and their errors printed. */
/* The instance's name as a file name: "cpu", "fpga_large", "asic_my.ini"
 * (characters a shell or a path would read specially become '_'). */
static const char *file_name(const rb_target *t, char *buf, size_t n)
{
    snprintf(buf, n, "%s", t->instance);
    for (char *p = buf; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_'))
            *p = '_';
    return buf;
}

static int dump_train_step(const char *dir, rb_target *t, rb_point *pt, rb_err *e)
{
    const rb_workload *w = pt->w;
    size_t P = rb_param_total(&pt->model), nx = (size_t)w->seq * w->batch * pt->batch.width;
    float *g = malloc(P * sizeof *g), *dx = malloc(nx * sizeof *dx);
    rb_train_io io = pt->io;
    io.dx = dx;
    int rc = !g || !dx ? rb_errf(e, RB_ENOMEM, "out of memory for the gradients") : 0;
    if (!rc)
        rc = rb_target_train_step(t, &pt->batch, &io, NULL, e);
    if (!rc)
        rc = rb_target_params(t, NULL, g, e);
    char sub[RB_INSTANCE_NAME_MAX + 8], name[RB_INSTANCE_NAME_MAX + 8];
    char file[RB_INSTANCE_NAME_MAX];
    snprintf(sub, sizeof sub, "grad_%s", file_name(t, file, sizeof file));
    snprintf(name, sizeof name, "dx_%s.npy", file);
    if (!rc)
        rc = save_grads(dir, sub, &pt->model, NULL, g, e);
    if (!rc)
        rc = save3(dir, name, NULL, dx, (size_t)w->seq, (size_t)w->batch, (size_t)pt->batch.width,
                   e);
    if (!rc) {
        rb_errstat es;
        rb_grad_compare(&pt->model, g, pt->check.g_ref, &es);
        printf("%-6s gradients: worst tensor max |g - ref| / max |ref| %.3g (fp32 bound %.3g), "
               "loss %.6g (reference %.6g)\n",
               t->instance, es.max_rel, rb_fp32_grad_tolerance(w), io.loss_value,
               pt->check.loss_ref);
    }
    free(g);
    free(dx);
    return rc;
}

static int write_meta(const char *dir, const rb_workload *w, uint64_t seed, rb_err *e)
{
    cJSON *o = cJSON_CreateObject();
    rb_workload_to_json(o, w);
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddStringToObject(o, "layout", "seq-major [T,B,*] as nn.LSTM(batch_first=False)");
    cJSON_AddStringToObject(o, "rnnbench_version", RB_VERSION);
    char *s = rb_json_utf8(cJSON_Print(o));
    cJSON_Delete(o);
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = rb_fopen_out(path, e);
    if (!f) {
        free(s);
        return e->code;
    }
    int bad = fputs(s, f) < 0 || fputc('\n', f) < 0;
    if (fclose(f))
        bad = 1;
    free(s);
    return bad ? rb_errf(e, RB_ERUNTIME, "cannot write %s: %s", path, strerror(errno)) : 0;
}

static int dump_targets(const char *dir, const char *targets, int threads,
                        const rb_cli_topts *topts, rb_point *pt, rb_err *e)
{
    rb_instance in[16];
    int n, rc = rb_cli_instances("--targets", targets, topts, in, &n, 16, e);
    const rb_workload *w = pt->w;
    size_t Y = (size_t)rb_workload_y_width(w), ny = (size_t)w->seq * w->batch * Y;
    for (int i = 0; i < n && !rc; i++) {
        rb_target t;
        rb_err te = {0};
        rb_target_init_instance(&t, &in[i], threads);
        if (rb_target_probe(&t, &te)) {
            fprintf(stderr, "rnnbench dump: %s\n", te.msg);
            continue;
        }
        rb_tensor out = {malloc(ny * sizeof(float)), 3, {(size_t)w->seq, (size_t)w->batch, Y, 0}};
        rb_sample s;
        if (!out.data)
            rc = rb_errf(e, RB_ENOMEM, "out of memory for the %s output", t.instance);
        if (!rc)
            rc = rb_target_load(&t, &pt->model, w, e);
        if (!rc)
            rc = rb_target_forward(&t, &pt->batch, &out, &s, e);
        if (!rc && w->mode == RB_MODE_TRAIN && !rb_target_can_train(&t))
            printf("%-6s does not train: no gradients\n", t.instance);
        else if (!rc && w->mode == RB_MODE_TRAIN)
            rc = dump_train_step(dir, &t, pt, e);
        if (!rc) {
            char name[RB_INSTANCE_NAME_MAX + 8];
            rb_errstat es;
            char file[RB_INSTANCE_NAME_MAX];
            snprintf(name, sizeof name, "y_%s.npy", file_name(&t, file, sizeof file));
            rc = save3(dir, name, NULL, out.data, (size_t)w->seq, (size_t)w->batch, Y, e);
            rb_compare(out.data, pt->y_ref, ny, &es);
            printf("%-6s max abs %.3g, max rel %.3g vs reference (fp32 bound %.3g)\n", t.instance,
                   es.max_abs, es.max_rel, rb_fp32_tolerance(w, 0));
        }
        rb_target_close(&t);
        free(out.data);
    }
    return rc;
}

typedef struct dump_args {
    const char *dir, *targets;
    long seed, threads;
} dump_args;

static int dump_option(void *args, int opt, const char *arg, rb_err *e)
{
    dump_args *a = args;
    switch (opt) {
    case 'o': a->dir = arg; return 0;
    case OPT_TARGETS: a->targets = arg; return 0;
    case OPT_SEED: return rb_cli_long("seed", arg, 0, 0x7fffffffL, &a->seed, e);
    case OPT_THREADS: return rb_cli_long("threads", arg, 1, 4096, &a->threads, e);
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static const struct option dump_options[] = {{"output", required_argument, 0, 'o'},
                                             {"seed", required_argument, 0, OPT_SEED},
                                             {"targets", required_argument, 0, OPT_TARGETS},
                                             {"threads", required_argument, 0, OPT_THREADS},
                                             {0, 0, 0, 0}};

static int dump_main(int argc, char **argv)
{
    dump_args a = {NULL, "cpu", 1, rb_host_default_threads()};
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_dump, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a.dir)
        return rb_cli_usage("dump", "-o DIR is required");
    const char *dir = a.dir;
    long seed = a.seed;
    rb_err e = {0};
    int rc;

    rb_matrix m = {0};
    m.model_max_bytes = rb_cli_model_max_bytes();
    rc = rb_matrix_from_axes(&m, &com.axes.axes, com.axes.input_proj, &e);
    if (!rc && m.n != 1)
        rc = rb_errf(&e, RB_EINPUT,
                     "dump writes one point, but the axes give %zu: use one value "
                     "per axis",
                     m.n);
    if (!rc && m.points[0].mode == RB_MODE_TRAIN && m.points[0].features) {
        char f[128];
        rc = rb_errf(&e, RB_EINPUT, "--mode train: training covers the plain stack, and %s needs %s",
                     m.points[0].model, rb_features_str(m.points[0].features, f, sizeof f));
    }
    if (!rc)
        rc = rb_cli_check_memory(&m, &e);
    if (!rc)
        rc = rb_mkdir_out(dir, 1, &e);
    rb_point pt = {0};
    const rb_net *net = rc ? NULL : rb_matrix_net(&m, &m.points[0]);
    if (!rc)
        rc = rb_point_prepare(&pt, &m.points[0], net ? &net->model : NULL, (uint64_t)seed,
                              RB_POINT_FULL_CHECK, &e);
    if (!rc) {
        const rb_workload *w = &m.points[0];
        /* an imported stack: D directions, states per unit (model.h) */
        size_t T = (size_t)w->seq, B = (size_t)w->batch, H = (size_t)w->hidden,
               Y = (size_t)rb_workload_y_width(w), L = (size_t)rb_model_units(&pt.model),
               LBH = L * B * H;
        double *hn = malloc(LBH * sizeof *hn), *cn = malloc(LBH * sizeof *cn);
        rc = !hn || !cn ? rb_errf(&e, RB_ENOMEM, "out of memory") : 0;
        /* rb_point_prepare computed y_ref; the final states need one more pass. */
        if (!rc)
            rc = rb_ref_forward(&pt.model, &pt.batch, pt.y_ref, hn, cn, &e);
        if (!rc)
            rc = rb_model_save_npy(&pt.model, dir, &e);
        if (!rc)
            rc = save3(dir, "x.npy", NULL, pt.x, T, B, (size_t)rb_workload_x_width(w), &e);
        if (!rc)
            rc = save3(dir, "y_ref.npy", pt.y_ref, NULL, T, B, Y, &e);
        if (!rc)
            rc = save3(dir, "h_n_ref.npy", hn, NULL, L, B, H, &e);
        if (!rc && w->cell == RB_CELL_LSTM)
            rc = save3(dir, "c_n_ref.npy", cn, NULL, L, B, H, &e);
        if (!rc && w->mode == RB_MODE_TRAIN)
            rc = save3(dir, "y_target.npy", NULL, pt.y_target, T, B, H, &e);
        if (!rc && w->mode == RB_MODE_TRAIN)
            rc = save_grads(dir, "grad_ref", &pt.model, pt.check.g_ref, NULL, &e);
        if (!rc && w->mode == RB_MODE_TRAIN)
            rc = save3(dir, "dx_ref.npy", pt.check.dx_ref, NULL, T, B,
                       (size_t)rb_workload_x_width(w), &e);
        if (!rc)
            rc = write_meta(dir, w, (uint64_t)seed, &e);
        if (!rc)
            rc = dump_targets(dir, a.targets, (int)a.threads, &com.topts, &pt, &e);
        if (!rc)
            printf("wrote %s (%s)\n", dir, w->key);
        free(hn);
        free(cn);
    }
    rb_point_free(&pt);
    rb_matrix_free(&m);
    return rc ? rb_cli_fail("dump", &e) : RB_EXIT_OK;
}

const rb_command rb_command_dump = {
    .name = "dump",
    .summary = "write one point's weights, input and outputs as .npy files",
    .help = dump_help,
    .uses = RB_USE_AXES | RB_USE_TARGET_FLAGS,
    .options = dump_options,
    .shortopts = "o:",
    .option = dump_option,
    .main = dump_main,
};
