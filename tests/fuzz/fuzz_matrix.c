/* fuzz_matrix.c — workload matrix INI files (rb_matrix_load). */
#include "../../workloads/matrix.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rb_matrix m = {0};
    rb_err e = {0};
    if (!rb_matrix_load(&m, fuzz_file("m.ini", data, size), NULL, 1, &e))
        rb_matrix_free(&m);
    return 0;
}
