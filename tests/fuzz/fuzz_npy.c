/* fuzz_npy.c — .npy tensors (rb_npy_read_f32 and _f64, as model loading uses them). */
#include "../../workloads/npy.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("t.npy", data, size);
    rb_npy a;
    rb_err e = {0};
    if (!rb_npy_read_f32(path, &a, 1 << 20, &e)) {
        rb_npy_check_finite(&a, path, &e);
        rb_npy_free(&a);
    }
    if (!rb_npy_read_f64(path, &a, 1 << 20, &e))
        rb_npy_free(&a);
    return 0;
}
