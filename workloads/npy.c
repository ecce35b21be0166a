/* npy.c — NumPy .npy files, float32 and float64, without NumPy.
 *
 * Writing reproduces np.save byte for byte (v1.0 header, the 21-character
 * growth space NumPy >= 1.21 reserves after the dict, padding so the data
 * starts on a 64-byte boundary), so files compare equal with `cmp`.
 * Reading accepts what NumPy can produce for '<f4'/'<f8' C-order arrays and
 * treats everything else as untrusted input: every length is checked
 * against the file before it is used, and nothing is allocated until the
 * header, shape and file size agree. */
#include "npy.h"
#include "files.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21
/* NumPy refuses headers above 10000 bytes unless told otherwise; a little
 * headroom, but never the 4 GiB a v2 length field allows. */
#define NPY_MAX_HEADER (1 << 16)

typedef enum { NPY_F4 = 4, NPY_F8 = 8 } npy_dtype;

/* ---- byte order ------------------------------------------------------- */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(void *data, size_t count, size_t size)
{
    unsigned char *p = data;
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, z = size - 1; a < z; a++, z--) {
            unsigned char t = p[a];
            p[a] = p[z];
            p[z] = t;
        }
}

/* ---- writing ---------------------------------------------------------- */

/* The header text exactly as numpy.lib.format._write_array_header builds it. */
static int format_header(char *buf, size_t cap, char kind, npy_dtype dt, int ndim,
                         const size_t *shape)
{
    char dims[RB_NPY_MAX_DIMS * 24 + 8];
    size_t len = 0;
    dims[len++] = '(';
    for (int d = 0; d < ndim; d++)
        len += (size_t)snprintf(dims + len, sizeof dims - len, d ? ", %zu" : "%zu", shape[d]);
    if (ndim == 1)
        dims[len++] = ',';
    dims[len++] = ')';
    dims[len] = '\0';

    int n = snprintf(buf, cap, "{'descr': '<%c%d', 'fortran_order': False, 'shape': %s, }", kind,
                     (int)dt, dims);
    if (ndim > 0) {
        char first[24];
        int digits = snprintf(first, sizeof first, "%zu", shape[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS && (size_t)n + 1 < cap; i++)
            buf[n++] = ' ';
        buf[n] = '\0';
    }
    return n;
}

/* kind: 'f' (float) or 'i' (signed integer) of dt bytes. */
static int npy_write(const char *path, const void *data, char kind, npy_dtype dt, int ndim,
                     const size_t *shape, rb_err *e)
{
    if (ndim < 0 || ndim > RB_NPY_MAX_DIMS)
        return rb_errf(e, RB_EINPUT, "%s: cannot write %d dimensions (at most %d)", path, ndim,
                       RB_NPY_MAX_DIMS);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] && count > SIZE_MAX / dt / shape[d])
            return rb_errf(e, RB_EINPUT, "%s: shape too large to write", path);
        count *= shape[d];
    }

    char hdr[512];
    int text = format_header(hdr, sizeof hdr - NPY_ALIGN - 2, kind, dt, ndim, shape);
    /* NumPy pads with at least one space, and a full 64 when already aligned. */
    size_t hlen = (size_t)text + 1;
    size_t pad = NPY_ALIGN - (NPY_MAGIC_LEN + 4 + hlen) % NPY_ALIGN;
    memset(hdr + text, ' ', pad);
    hdr[text + pad] = '\n';
    size_t total = (size_t)text + pad + 1;

    unsigned char prefix[NPY_MAGIC_LEN + 4];
    memcpy(prefix, NPY_MAGIC, NPY_MAGIC_LEN);
    prefix[6] = 1;
    prefix[7] = 0;
    prefix[8] = (unsigned char)(total & 0xff);
    prefix[9] = (unsigned char)(total >> 8);

    FILE *f = rb_fopen_out(path, e);
    if (!f)
        return e ? e->code : RB_EINPUT;
    int ok =
        fwrite(prefix, 1, sizeof prefix, f) == sizeof prefix && fwrite(hdr, 1, total, f) == total;
    if (ok && count) {
        if (host_is_little_endian()) {
            ok = fwrite(data, dt, count, f) == count;
        } else {
            unsigned char tmp[8];
            for (size_t i = 0; ok && i < count; i++) {
                memcpy(tmp, (const unsigned char *)data + i * dt, dt);
                swap_bytes(tmp, 1, dt);
                ok = fwrite(tmp, dt, 1, f) == 1;
            }
        }
    }
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok)
        return rb_errf(e, RB_ERUNTIME, "%s: write failed: %s", path, strerror(saved));
    return 0;
}

int rb_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape, rb_err *e)
{
    return npy_write(path, data, 'f', NPY_F4, ndim, shape, e);
}

int rb_npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape, rb_err *e)
{
    return npy_write(path, data, 'f', NPY_F8, ndim, shape, e);
}

int rb_npy_write_i64(const char *path, const int64_t *data, int ndim, const size_t *shape,
                     rb_err *e)
{
    return npy_write(path, data, 'i', NPY_F8, ndim, shape, e);
}

/* ---- header parsing --------------------------------------------------- */

/* The header is a Python dict literal.  This accepts the subset NumPy and
 * other writers produce: string keys in either quote style, values that are
 * strings, True/False, or tuples of non-negative integers, any order,
 * optional trailing comma, whitespace anywhere. */
typedef struct hdr_parser {
    const char *p, *end;
    const char *why; /* first problem found */
} hdr_parser;

typedef struct npy_header {
    char descr[16];
    int have_descr, have_order, have_shape;
    int fortran;
    int ndim;
    size_t shape[RB_NPY_MAX_DIMS];
} npy_header;

static void hp_ws(hdr_parser *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hp_fail(hdr_parser *h, const char *why)
{
    if (!h->why)
        h->why = why;
    return -1;
}

static int hp_char(hdr_parser *h, char c)
{
    hp_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return 0;
    }
    return -1;
}

static int hp_string(hdr_parser *h, char *out, size_t cap)
{
    hp_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return hp_fail(h, "expected a quoted string in the header");
    char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || n + 1 >= cap)
            return hp_fail(h, "unsupported or overlong string in the header");
        out[n++] = *h->p++;
    }
    if (h->p >= h->end)
        return hp_fail(h, "unterminated string in the header");
    h->p++;
    out[n] = '\0';
    return 0;
}

static int hp_bool(hdr_parser *h, int *out)
{
    hp_ws(h);
    size_t left = (size_t)(h->end - h->p);
    if (left >= 4 && !memcmp(h->p, "True", 4)) {
        h->p += 4;
        *out = 1;
        return 0;
    }
    if (left >= 5 && !memcmp(h->p, "False", 5)) {
        h->p += 5;
        *out = 0;
        return 0;
    }
    return hp_fail(h, "'fortran_order' is not True or False");
}

static int hp_uint(hdr_parser *h, size_t *out)
{
    hp_ws(h);
    if (h->p >= h->end || *h->p < '0' || *h->p > '9')
        return hp_fail(h, "'shape' holds something other than non-negative integers");
    size_t v = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        unsigned d = (unsigned)(*h->p - '0');
        if (v > (SIZE_MAX - d) / 10)
            return hp_fail(h, "a 'shape' dimension overflows");
        v = v * 10 + d;
        h->p++;
    }
    /* Python 2 era writers appended L to longs. */
    if (h->p < h->end && *h->p == 'L')
        h->p++;
    *out = v;
    return 0;
}

static int hp_shape(hdr_parser *h, npy_header *hd)
{
    if (hp_char(h, '(') != 0)
        return hp_fail(h, "'shape' is not a tuple");
    hd->ndim = 0;
    for (;;) {
        if (hp_char(h, ')') == 0)
            return 0;
        if (hd->ndim == RB_NPY_MAX_DIMS)
            return hp_fail(h, "'shape' has more dimensions than supported (8)");
        if (hp_uint(h, &hd->shape[hd->ndim]) != 0)
            return -1;
        hd->ndim++;
        if (hp_char(h, ',') == 0)
            continue;
        if (hp_char(h, ')') == 0)
            /* (3) is an int in Python, not a tuple: only (3,) is one. */
            return hd->ndim == 1 ? hp_fail(h, "'shape' (n) lacks the comma of a 1-tuple") : 0;
        return hp_fail(h, "'shape' is not a well-formed tuple");
    }
}

static int parse_header(const char *text, size_t len, npy_header *hd, const char **why)
{
    hdr_parser h = {text, text + len, NULL};
    memset(hd, 0, sizeof *hd);
    if (hp_char(&h, '{') != 0) {
        *why = "header is not a dict";
        return -1;
    }
    for (;;) {
        if (hp_char(&h, '}') == 0)
            break;
        char key[32];
        if (hp_string(&h, key, sizeof key) != 0 || hp_char(&h, ':') != 0) {
            *why = h.why ? h.why : "expected 'key': in the header";
            return -1;
        }
        int rc;
        if (!strcmp(key, "descr")) {
            rc = hp_string(&h, hd->descr, sizeof hd->descr);
            hd->have_descr++;
        } else if (!strcmp(key, "fortran_order")) {
            rc = hp_bool(&h, &hd->fortran);
            hd->have_order++;
        } else if (!strcmp(key, "shape")) {
            rc = hp_shape(&h, hd);
            hd->have_shape++;
        } else {
            rc = hp_fail(&h, "unknown key in the header (expected descr, fortran_order, shape)");
        }
        if (rc != 0) {
            *why = h.why;
            return -1;
        }
        if (hp_char(&h, ',') == 0)
            continue;
        if (hp_char(&h, '}') == 0)
            break;
        *why = "header dict is not well formed";
        return -1;
    }
    hp_ws(&h);
    if (h.p != h.end) {
        *why = "unexpected text after the header dict";
        return -1;
    }
    if (hd->have_descr != 1 || hd->have_order != 1 || hd->have_shape != 1) {
        *why = "header needs each of 'descr', 'fortran_order' and 'shape' exactly once";
        return -1;
    }
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

static void describe_shape(char *buf, size_t cap, const npy_header *hd)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < hd->ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, d ? ", %zu" : "%zu", hd->shape[d]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* Reads magic, version and header; leaves f at the first data byte. */
static int read_header(FILE *f, const char *path, long long file_size, npy_header *hd,
                       size_t *data_off, rb_err *e)
{
    unsigned char pre[12];
    if (file_size < 10 || fread(pre, 1, 10, f) != 10)
        return rb_errf(e, RB_EINPUT, "%s: not a .npy file (too short for the magic and version)",
                       path);
    if (memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return rb_errf(e, RB_EINPUT, "%s: not a .npy file (bad magic)", path);
    int major = pre[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return rb_errf(e, RB_EINPUT, "%s: truncated .npy header", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        off = 12;
    } else {
        return rb_errf(e, RB_EINPUT, "%s: unsupported .npy format version %d.%d", path, major,
                       pre[7]);
    }
    if (hlen > NPY_MAX_HEADER)
        return rb_errf(e, RB_EINPUT, "%s: .npy header length %zu is implausible", path, hlen);
    if ((long long)(off + hlen) > file_size)
        return rb_errf(e, RB_EINPUT,
                       "%s: truncated .npy header (%zu bytes announced, %lld in file)", path, hlen,
                       file_size - (long long)off);

    char *text = malloc(hlen + 1);
    if (!text)
        return rb_errf(e, RB_ENOMEM, "%s: cannot allocate %zu bytes for the header", path, hlen);
    if (fread(text, 1, hlen, f) != hlen) {
        free(text);
        return rb_errf(e, RB_EINPUT, "%s: truncated .npy header", path);
    }
    text[hlen] = '\0';
    if (memchr(text, '\0', hlen)) {
        free(text);
        return rb_errf(e, RB_EINPUT, "%s: .npy header contains a NUL byte", path);
    }
    const char *why = NULL;
    int rc = parse_header(text, hlen, hd, &why);
    free(text);
    if (rc != 0)
        return rb_errf(e, RB_EINPUT, "%s: bad .npy header: %s", path, why);
    *data_off = off + hlen;
    return 0;
}

static int check_dtype(const char *path, const npy_header *hd, npy_dtype *dt, rb_err *e)
{
    if (hd->fortran)
        return rb_errf(e, RB_EINPUT,
                       "%s: fortran_order True is not supported (save a C-order array, e.g. "
                       "np.ascontiguousarray)",
                       path);
    if (!strcmp(hd->descr, "<f4"))
        *dt = NPY_F4;
    else if (!strcmp(hd->descr, "<f8"))
        *dt = NPY_F8;
    else
        return rb_errf(e, RB_EINPUT,
                       "%s: dtype '%s' is not supported (need little-endian float32 '<f4' or "
                       "float64 '<f8')",
                       path, hd->descr);
    return 0;
}

/* Reads count little-endian elements of size dt straight into buf. */
static int fread_raw(FILE *f, void *buf, size_t count, npy_dtype dt)
{
    if (count && fread(buf, dt, count, f) != count)
        return -1;
    if (!host_is_little_endian())
        swap_bytes(buf, count, dt);
    return 0;
}

/* Reads count elements of the other float type through a small bounce
 * buffer, so the output is the only allocation. */
static int fread_convert(FILE *f, void *buf, size_t count, npy_dtype dt)
{
    unsigned char chunk[8192];
    size_t per = sizeof chunk / dt;
    for (size_t done = 0; done < count;) {
        size_t n = count - done < per ? count - done : per;
        if (fread(chunk, dt, n, f) != n)
            return -1;
        if (!host_is_little_endian())
            swap_bytes(chunk, n, dt);
        for (size_t i = 0; i < n; i++) {
            if (dt == NPY_F4) {
                float v;
                memcpy(&v, chunk + i * 4, 4);
                ((double *)buf)[done + i] = v;
            } else {
                double v;
                memcpy(&v, chunk + i * 8, 8);
                ((float *)buf)[done + i] = (float)v;
            }
        }
        done += n;
    }
    return 0;
}

static int npy_read(const char *path, rb_npy *out, size_t max_bytes, npy_dtype want, rb_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rb_errf(e, RB_EINPUT, "%s: not a regular file", path);
    }

    npy_header hd;
    npy_dtype dt = NPY_F4;
    size_t off = 0;
    int rc = read_header(f, path, (long long)st.st_size, &hd, &off, e);
    if (rc == 0)
        rc = check_dtype(path, &hd, &dt, e);
    if (rc != 0) {
        fclose(f);
        return rc;
    }

    char shp[RB_NPY_MAX_DIMS * 24 + 4];
    describe_shape(shp, sizeof shp, &hd);
    size_t count = 1;
    for (int d = 0; d < hd.ndim; d++) {
        if (hd.shape[d] && count > SIZE_MAX / 8 / hd.shape[d]) {
            fclose(f);
            return rb_errf(e, RB_EINPUT, "%s: shape %s overflows", path, shp);
        }
        count *= hd.shape[d];
    }
    size_t data_bytes = count * dt;
    size_t out_bytes = count * want;
    unsigned long long have = (unsigned long long)st.st_size - off;
    if (have != data_bytes) {
        fclose(f);
        return rb_errf(e, RB_EINPUT,
                       "%s: shape %s of '%s' needs %zu data bytes but the file has %llu", path, shp,
                       hd.descr, data_bytes, have);
    }
    size_t need = data_bytes > out_bytes ? data_bytes : out_bytes;
    if (max_bytes && need > max_bytes) {
        fclose(f);
        return rb_errf(e, RB_EINPUT, "%s: shape %s of '%s' needs %zu bytes, above the limit of %zu",
                       path, shp, hd.descr, need, max_bytes);
    }

    void *buf = malloc(out_bytes ? out_bytes : 1);
    if (!buf) {
        fclose(f);
        return rb_errf(e, RB_ENOMEM, "%s: cannot allocate %zu bytes", path, out_bytes);
    }
    rc = dt == want ? fread_raw(f, buf, count, dt) : fread_convert(f, buf, count, dt);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return rb_errf(e, RB_EINPUT, "%s: truncated data", path);
    }

    out->ndim = hd.ndim;
    memcpy(out->shape, hd.shape, sizeof out->shape);
    out->count = count;
    if (want == NPY_F4)
        out->f32 = buf;
    else
        out->f64 = buf;
    return 0;
}

int rb_npy_read_f32(const char *path, rb_npy *out, size_t max_bytes, rb_err *e)
{
    return npy_read(path, out, max_bytes, NPY_F4, e);
}

int rb_npy_read_f64(const char *path, rb_npy *out, size_t max_bytes, rb_err *e)
{
    return npy_read(path, out, max_bytes, NPY_F8, e);
}

int rb_npy_read_i64(const char *path, rb_npy *out, size_t max_bytes, rb_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    npy_header hd;
    size_t off = 0, es = 0;
    int rc = 0, sign = 1;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = rb_errf(e, RB_EINPUT, "%s: not a regular file", path);
    if (!rc)
        rc = read_header(f, path, (long long)st.st_size, &hd, &off, e);
    if (!rc && hd.fortran)
        rc = rb_errf(e, RB_EINPUT, "%s: fortran_order True is not supported", path);
    if (!rc) {
        es = !strcmp(hd.descr, "<i8")   ? 8
             : !strcmp(hd.descr, "<i4") ? 4
             : !strcmp(hd.descr, "|i1") ? 1
             : !strcmp(hd.descr, "|u1") ? (sign = 0, 1)
                                        : 0;
        if (!es)
            rc = rb_errf(e, RB_EINPUT,
                         "%s: dtype '%s' is not an integer type rnnbench reads "
                         "('<i8', '<i4', '|i1', '|u1')",
                         path, hd.descr);
    }
    size_t count = 1;
    for (int d = 0; !rc && d < hd.ndim; d++) {
        if (hd.shape[d] && count > SIZE_MAX / 8 / hd.shape[d])
            rc = rb_errf(e, RB_EINPUT, "%s: shape overflows", path);
        else
            count *= hd.shape[d];
    }
    if (!rc && (unsigned long long)st.st_size - off != count * es)
        rc = rb_errf(e, RB_EINPUT, "%s: the shape needs %zu data bytes but the file has %llu", path,
                     count * es, (unsigned long long)st.st_size - off);
    if (!rc && max_bytes && count * 8 > max_bytes)
        rc = rb_errf(e, RB_EINPUT, "%s: %zu elements, above the limit of %zu bytes", path, count,
                     max_bytes);
    unsigned char *raw = rc ? NULL : malloc(count * es + 1);
    int64_t *v = rc ? NULL : malloc(count * 8 + 8);
    if (!rc && (!raw || !v))
        rc = rb_errf(e, RB_ENOMEM, "%s: cannot allocate %zu bytes", path, count * 8);
    if (!rc && count && fread(raw, es, count, f) != count)
        rc = rb_errf(e, RB_EINPUT, "%s: truncated data", path);
    fclose(f);
    for (size_t i = 0; !rc && i < count; i++) {
        const unsigned char *p = raw + i * es;
        uint64_t u = 0;
        for (size_t b = 0; b < es; b++)
            u |= (uint64_t)p[b] << (8 * b);
        /* sign-extend the narrower little-endian integers */
        if (sign && es < 8 && (u >> (8 * es - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * es);
        v[i] = (int64_t)u;
    }
    free(raw);
    if (rc) {
        free(v);
        return rc;
    }
    out->ndim = hd.ndim;
    memcpy(out->shape, hd.shape, sizeof out->shape);
    out->count = count;
    out->i64 = v;
    return 0;
}

void rb_npy_free(rb_npy *n)
{
    if (!n)
        return;
    free(n->f32);
    free(n->f64);
    free(n->i64);
    memset(n, 0, sizeof *n);
}

int rb_npy_check_finite(const rb_npy *a, const char *path, rb_err *e)
{
    for (size_t i = 0; a->f32 && i < a->count; i++)
        if (!isfinite(a->f32[i]))
            return rb_errf(e, RB_EINPUT, "%s: element %zu is %s: weights must be finite numbers",
                           path, i, isnan(a->f32[i]) ? "NaN" : "infinite");
    return 0;
}
