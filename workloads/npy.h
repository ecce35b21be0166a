/* npy.h — NumPy .npy v1.0 files (little-endian, C order), float32 and float64.
 *
 * Enough of the format to exchange weights, inputs and outputs with PyTorch:
 * reads '<f4' and '<f8' (converting to what the caller asks), v1/v2/v3
 * headers, rejects Fortran order, big-endian and anything malformed with a
 * message naming the file and what is wrong. */
#ifndef RB_NPY_H
#define RB_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "rb_err.h"

#define RB_NPY_MAX_DIMS 8

typedef struct rb_npy {
    int ndim;
    size_t shape[RB_NPY_MAX_DIMS];
    size_t count; /* product of shape */
    float *f32;   /* set by rb_npy_read_f32 */
    double *f64;  /* set by rb_npy_read_f64 */
    int64_t *i64; /* set by rb_npy_read_i64 */
} rb_npy;

int rb_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape, rb_err *e);
int rb_npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape,
                     rb_err *e);
int rb_npy_write_i64(const char *path, const int64_t *data, int ndim, const size_t *shape,
                     rb_err *e);
/* Read any '<f4' or '<f8' file, converting to the requested type.  A file
 * larger than max_bytes (0: no limit) is refused before allocation. */
int rb_npy_read_f32(const char *path, rb_npy *out, size_t max_bytes, rb_err *e);
int rb_npy_read_f64(const char *path, rb_npy *out, size_t max_bytes, rb_err *e);
/* Read an integer file ('<i8', '<i4', '|i1', '|u1': token ids, lengths),
 * widened to int64. */
int rb_npy_read_i64(const char *path, rb_npy *out, size_t max_bytes, rb_err *e);
void rb_npy_free(rb_npy *n);
/* Weights must be numbers: RB_EINPUT naming path and the first NaN or
 * infinity of a (f32), or 0.  A NaN reached the fpga as 0 and the others as
 * a loss of nan with exit 0. */
int rb_npy_check_finite(const rb_npy *a, const char *path, rb_err *e);

#endif
