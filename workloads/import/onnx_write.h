/* onnx_write.h — a trained text classifier written as an ONNX model. */
#ifndef RB_ONNX_WRITE_H
#define RB_ONNX_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "../model.h"

/* embedding [V, E] -> the stack (plain, one direction, input E) -> the
 * last step -> logits = w [C, H] h + b [C]: the text-classification model
 * (workloads/textclass/).  seq > 0 fixes the token sequence's length in the
 * file (the model was trained on that T); 0 leaves it free. */
typedef struct rb_onnx_classifier {
    const char *name; /* the graph's name */
    const rb_model *stack;
    const float *emb;
    int V, E;
    const float *w, *b;
    int C;
    int seq;
} rb_onnx_classifier;

/* Its bytes (*buf, caller frees): input "tokens" int64 [T, B], output
 * "logits" float [B, C].  RB_EUNAVAIL when built without protobuf-c. */
int rb_onnx_pack_classifier(const rb_onnx_classifier *c, uint8_t **buf, size_t *len, rb_err *e);

#endif
