/* params.h — every parameter of a model in one flat array.
 *
 * Training keeps weights, gradients and the optimizer's two moments in four
 * arrays of this one layout, so clipping and the update are each a single
 * pass, a target copies all of its parameters in one transfer, and the
 * reference's gradients line up with a target's element for element.
 * Order: per unit u = 0..L*D-1 (model.h): weight_ih (absent without input
 * projection), weight_hh, bias_ih, bias_hh, peepholes (absent without),
 * each row-major as PyTorch stores it and each starting on a 64-byte
 * boundary (16 floats); the gaps are zeros. */
#ifndef RB_PARAMS_H
#define RB_PARAMS_H

#include <stddef.h>

#include "model.h"

typedef enum {
    RB_P_W_IH = 0,
    RB_P_W_HH = 1,
    RB_P_B_IH = 2,
    RB_P_B_HH = 3,
    RB_P_PEEP = 4 /* training never has peepholes: its loops stop at RB_P_B_HH */
} rb_param_kind;

#define RB_PARAM_ALIGN 16 /* floats */

/* Elements of one parameter tensor of unit u (0 for weight_ih of a layer
 * without input projection, and for absent peepholes). */
size_t rb_param_count(const rb_model *m, int u, rb_param_kind k);
/* Its offset in the flat array. */
size_t rb_param_off(const rb_model *m, int u, rb_param_kind k);
/* Length of the flat array, padding included. */
size_t rb_param_total(const rb_model *m);
/* PyTorch's name of the tensor's kind: "weight_ih", "weight_hh", "bias_ih", "bias_hh"
 * (and "peephole"). */
const char *rb_param_kind_name(rb_param_kind k);

/* Copy the model's tensors into flat[rb_param_total(m)] (padding zeroed), and back. */
void rb_model_flatten(const rb_model *m, float *flat);
void rb_model_unflatten(rb_model *m, const float *flat);

#endif
