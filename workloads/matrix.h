/* matrix.h — the workload matrix: INI files (libinih) and command-line axes.
 *
 * Each INI section is a sub-matrix; keys are axes (cell, mode, seq, hidden,
 * input, layers, batch, model; and for serving scenarios scenario, qps,
 * streams, slo_ms, max_batch, batch_timeout_ms), values are lists separated by spaces and/or
 * commas, and the section expands to the cross product.  "input = hidden"
 * means input size equals the hidden size of each point.  "model" lists
 * imported models (ONNX files or state_dict directories, relative to the
 * matrix file): their stack fixes cell, input, hidden and layers, and seq
 * and batch where the file fixes them; the other axes still apply.  Every
 * bad value is an error naming file, line and key, found before anything
 * runs. */
#ifndef RB_MATRIX_H
#define RB_MATRIX_H

#include <stddef.h>

#include "import/net.h"
#include "rb_err.h"
#include "workload.h"

#define RB_AXIS_MAX_VALUES 64
#define RB_AXIS_LIMIT (1 << 24) /* per-axis sanity cap; memory is checked separately */
#define RB_AXIS_MAX_MODELS 8
#define RB_MODEL_PATH_MAX 1024

/* The value lists of one sub-matrix.  n == 0 means "not given" (default applies). */
typedef struct rb_axes {
    int cell[RB_CELL_COUNT], n_cell;
    int mode[2], n_mode;
    int seq[RB_AXIS_MAX_VALUES], n_seq;
    int hidden[RB_AXIS_MAX_VALUES], n_hidden;
    int input[RB_AXIS_MAX_VALUES], n_input; /* value 0 = "hidden" */
    int layers[RB_AXIS_MAX_VALUES], n_layers;
    int batch[RB_AXIS_MAX_VALUES], n_batch;
    /* serving (scenario.h): scenario, offered qps, streams, the latency
     * bound and the batch timeout in microseconds, max_batch; value 0 of
     * each but scenario: the scenario's default */
    int scenario[RB_SCN_COUNT], n_scenario;
    int qps[RB_AXIS_MAX_VALUES], n_qps;
    int streams[RB_AXIS_MAX_VALUES], n_streams;
    int slo_us[RB_AXIS_MAX_VALUES], n_slo_us;
    int max_batch[RB_AXIS_MAX_VALUES], n_max_batch;
    int timeout_us[RB_AXIS_MAX_VALUES], n_timeout_us;
    char model[RB_AXIS_MAX_MODELS][RB_MODEL_PATH_MAX];
    int n_model;
} rb_axes;

typedef struct rb_matrix {
    rb_workload *points;
    size_t n, cap;
    /* The imported models the points name (rb_workload.model = their id),
     * loaded once each; their paths as given, for a run's configuration. */
    rb_net *nets;
    char (*net_path)[RB_MODEL_PATH_MAX];
    int n_nets;
    long model_max_bytes; /* set before loading: the largest model file to read (0: any) */
} rb_matrix;

/* Parse one axis value list, e.g. "1,4 16" for key "batch".  Errors name the key
 * and the offending token; the caller adds file/line or option context. */
int rb_axes_set(rb_axes *a, const char *key, const char *value, rb_err *e);

/* Load an INI file and expand it.  `override` (may be NULL) holds command-line
 * axes: an axis given there replaces that axis in every section.
 * input_proj is applied to every point. */
int rb_matrix_load(rb_matrix *m, const char *path, const rb_axes *override, int input_proj,
                   rb_err *e);
/* Expand command-line axes alone (defaults: cell lstm, mode infer, seq 25,
 * hidden 256, input = hidden, layers 1, batch 1). */
int rb_matrix_from_axes(rb_matrix *m, const rb_axes *axes, int input_proj, rb_err *e);
/* Append one point (deduplicated by key); used by expansion and by --resume. */
int rb_matrix_add(rb_matrix *m, const rb_workload *w, rb_err *e);
/* Load (once) the model at path into m's models; *out is it. */
int rb_matrix_model_load(rb_matrix *m, const char *path, const rb_net **out, rb_err *e);
/* The model of a point (w->model), or NULL for a seeded stack. */
const rb_net *rb_matrix_net(const rb_matrix *m, const rb_workload *w);
void rb_matrix_free(rb_matrix *m);

#endif
