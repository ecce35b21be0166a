/* test_npy.c — .npy writing (byte-identical to np.save) and defensive reading. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../workloads/npy.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_npy_XXXXXX";

static const char *tmp_path(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n)) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static size_t read_bytes(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* A .npy file with the given version and header text, followed by data. */
static void make_npy(const char *path, int major, const char *header, const void *data,
                     size_t ndata)
{
    unsigned char buf[4096];
    size_t hlen = strlen(header), off = 0;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
        off = 10;
    } else {
        for (int i = 0; i < 4; i++)
            buf[8 + i] = (unsigned char)(hlen >> (8 * i));
        off = 12;
    }
    memcpy(buf + off, header, hlen);
    if (ndata)
        memcpy(buf + off + hlen, data, ndata);
    write_bytes(path, buf, off + hlen + ndata);
}

/* ---- round trips ------------------------------------------------------ */

static void test_round_trip(void)
{
    static const struct {
        int ndim;
        size_t shape[4];
    } shapes[] = {
        {0, {0}},       {1, {3}},          {1, {1}}, {2, {2, 3}},
        {3, {2, 1, 4}}, {4, {1, 2, 3, 2}}, {1, {0}}, {2, {3, 0}},
    };
    rb_rng r = {42};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t count = 1;
        for (int d = 0; d < shapes[s].ndim; d++)
            count *= shapes[s].shape[d];
        float f[64];
        double g[64];
        for (size_t i = 0; i < count; i++) {
            f[i] = rb_rng_uniform(&r, -3, 3);
            g[i] = (double)rb_rng_uniform(&r, -3, 3) / 3.0; /* not representable in float */
        }
        rb_err e = {0};
        const char *p = tmp_path("rt.npy");

        CHECK_INT(rb_npy_write_f32(p, f, shapes[s].ndim, shapes[s].shape, &e), 0);
        rb_npy a;
        CHECK_INT(rb_npy_read_f32(p, &a, 0, &e), 0);
        CHECK_INT(a.ndim, shapes[s].ndim);
        CHECK_INT(a.count, count);
        CHECK(a.f64 == NULL);
        for (int d = 0; d < shapes[s].ndim; d++)
            CHECK_INT(a.shape[d], shapes[s].shape[d]);
        CHECK(count == 0 || (a.f32 && !memcmp(a.f32, f, count * sizeof *f)));
        rb_npy_free(&a);
        CHECK(a.f32 == NULL && a.count == 0);

        /* float32 file read as float64: exact */
        CHECK_INT(rb_npy_read_f64(p, &a, 0, &e), 0);
        CHECK_INT(a.count, count);
        for (size_t i = 0; i < count; i++)
            CHECK(a.f64[i] == (double)f[i]);
        rb_npy_free(&a);

        CHECK_INT(rb_npy_write_f64(p, g, shapes[s].ndim, shapes[s].shape, &e), 0);
        CHECK_INT(rb_npy_read_f64(p, &a, 0, &e), 0);
        CHECK_INT(a.ndim, shapes[s].ndim);
        CHECK(count == 0 || (a.f64 && !memcmp(a.f64, g, count * sizeof *g)));
        rb_npy_free(&a);

        /* float64 file read as float32: rounded to nearest */
        CHECK_INT(rb_npy_read_f32(p, &a, 0, &e), 0);
        for (size_t i = 0; i < count; i++)
            CHECK(a.f32[i] == (float)g[i]);
        rb_npy_free(&a);
    }
}

static void test_large_conversion(void)
{
    /* more than one bounce buffer's worth of float64 -> float32 */
    size_t n = 5000;
    double *g = malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++)
        g[i] = (double)i * 0.1 - 7;
    rb_err e = {0};
    const char *p = tmp_path("big.npy");
    CHECK_INT(rb_npy_write_f64(p, g, 1, &n, &e), 0);
    rb_npy a;
    CHECK_INT(rb_npy_read_f32(p, &a, 0, &e), 0);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += a.f32[i] != (float)g[i];
    CHECK_INT(bad, 0);
    rb_npy_free(&a);
    free(g);
}

/* ---- exact bytes: what np.save writes -------------------------------- */

/* np.save(f, np.arange(3, dtype='<f4')) with NumPy 1.24 (also checked by
 * scripts/make-torch-fixtures.py's environment): a 118-byte header holding
 * the dict, 19 spaces NumPy reserves for growing the first axis, padding
 * spaces and '\n', so the data starts at byte 128. */
static void test_numpy_bytes(void)
{
    unsigned char want[140];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10);
    memset(want + 10, ' ', 118);
    memcpy(want + 10, dict, strlen(dict));
    want[127] = '\n';
    const float data[3] = {0, 1, 2};
    memcpy(want + 128, "\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40", 12);

    rb_err e = {0};
    const char *p = tmp_path("arange.npy");
    size_t shape = 3;
    CHECK_INT(rb_npy_write_f32(p, data, 1, &shape, &e), 0);
    unsigned char got[512];
    size_t n = read_bytes(p, got, sizeof got);
    CHECK_INT(n, sizeof want);
    CHECK(n == sizeof want && !memcmp(got, want, sizeof want));
    CHECK_INT(strlen(dict), 57);

    /* np.save(f, np.zeros((2, 3))): '<f8', 2-d, 19 spaces after (2, 3) */
    const char *dict2 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    double z[6] = {0};
    size_t shape2[2] = {2, 3};
    CHECK_INT(rb_npy_write_f64(p, z, 2, shape2, &e), 0);
    n = read_bytes(p, got, sizeof got);
    CHECK_INT(n, 176);
    CHECK(!memcmp(got + 10, dict2, strlen(dict2)));
    CHECK(got[127] == '\n' && got[126] == ' ' && got[8] == 118 && got[9] == 0);

    /* np.save(f, np.float32(2.5)): 0-d, no growth space, still 128 bytes */
    const char *dict0 = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
    float v = 2.5f;
    CHECK_INT(rb_npy_write_f32(p, &v, 0, NULL, &e), 0);
    n = read_bytes(p, got, sizeof got);
    CHECK_INT(n, 132);
    CHECK(!memcmp(got + 10, dict0, strlen(dict0)));
    CHECK(got[127] == '\n' && !memcmp(got + 128, "\x00\x00\x20\x40", 4));
}

/* ---- other writers' headers ------------------------------------------ */

static void test_accepts(void)
{
    const float d[2] = {1.5f, -2.0f};
    static const struct {
        int major;
        const char *header;
    } ok[] = {
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"},
        {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"},
        {1, "{\"shape\": (2,), \"descr\": \"<f4\", \"fortran_order\": False}"},
        {1, "{ 'fortran_order' :False,'shape':( 2 , ),'descr':'<f4' }   \n"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }\n"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *p = tmp_path("ok.npy");
        make_npy(p, ok[i].major, ok[i].header, d, sizeof d);
        rb_npy a;
        rb_err e = {0};
        int rc = rb_npy_read_f32(p, &a, 0, &e);
        if (rc)
            fprintf(stderr, "accept case %zu: %s\n", i, e.msg);
        CHECK_INT(rc, 0);
        CHECK_INT(a.count, 2);
        CHECK(rc == 0 && a.f32[0] == 1.5f && a.f32[1] == -2.0f);
        rb_npy_free(&a);
    }
}

/* ---- malformed files -------------------------------------------------- */

typedef struct bad_npy {
    const char *name;
    int major;
    const char *header; /* NULL: raw bytes below */
    size_t ndata;       /* bytes of data after the header */
    const char *frag[2];
} bad_npy;

#define H(shape) "{'descr': '<f4', 'fortran_order': False, 'shape': " shape ", }\n"

static const bad_npy bad_headers[] = {
    {"fortran",
     1,
     "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
     8,
     {"fortran_order True", NULL}},
    {"big-endian",
     1,
     "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
     8,
     {"'>f4'", "not supported"}},
    {"int32", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8, {"'<i4'", NULL}},
    {"half", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4, {"'<f2'", NULL}},
    {"struct-descr",
     1,
     "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
     8,
     {"bad .npy header", "quoted string"}},
    {"no-shape", 1, "{'descr': '<f4', 'fortran_order': False, }", 8, {"'shape'", "exactly once"}},
    {"no-descr", 1, "{'fortran_order': False, 'shape': (2,), }", 8, {"'descr'", NULL}},
    {"twice",
     1,
     "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
     8,
     {"exactly once", NULL}},
    {"shape-int", 1, H("2"), 8, {"not a tuple", NULL}},
    {"shape-paren", 1, H("(2)"), 8, {"1-tuple", NULL}},
    {"shape-neg", 1, H("(-2,)"), 8, {"non-negative", NULL}},
    {"shape-float", 1, H("(2.0,)"), 8, {"'shape'", NULL}},
    {"shape-unclosed",
     1,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (2,",
     8,
     {"bad .npy header", NULL}},
    {"shape-huge", 1, H("(99999999999999999999999,)"), 8, {"overflows", NULL}},
    {"shape-product",
     1,
     H("(4294967296, 4294967296)"),
     8,
     {"overflows", "[4294967296, 4294967296]"}},
    {"too-many-dims", 1, H("(1, 1, 1, 1, 1, 1, 1, 1, 2)"), 8, {"more dimensions", NULL}},
    {"short-data", 1, H("(3,)"), 8, {"needs 12 data bytes but the file has 8", "[3]"}},
    {"long-data", 1, H("(1,)"), 8, {"needs 4 data bytes but the file has 8", NULL}},
    {"bool",
     1,
     "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }",
     8,
     {"True or False", NULL}},
    {"unknown-key",
     1,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
     8,
     {"unknown key", NULL}},
    {"trailing",
     1,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk",
     8,
     {"after the header", NULL}},
    {"not-dict", 1, "['descr', '<f4']", 8, {"not a dict", NULL}},
    {"unterminated",
     1,
     "{'descr: '<f4', 'fortran_order': False, 'shape': (2,), }",
     8,
     {"bad .npy header", NULL}},
    {"no-colon",
     1,
     "{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }",
     8,
     {"bad .npy header", NULL}},
    {"version4", 4, H("(2,)"), 8, {"version 4.0", NULL}},
    {"empty-header", 1, "", 8, {"not a dict", NULL}},
};

static void test_bad_headers(void)
{
    const float d[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        const bad_npy *c = &bad_headers[i];
        char name[64];
        snprintf(name, sizeof name, "%s.npy", c->name);
        const char *p = tmp_path(name);
        make_npy(p, c->major, c->header, d, c->ndata);
        rb_npy a;
        rb_err e = {0};
        int rc = rb_npy_read_f32(p, &a, 0, &e);
        if (rc != RB_EINPUT)
            fprintf(stderr, "bad case %s: rc %d %s\n", c->name, rc, e.msg);
        CHECK_INT(rc, RB_EINPUT);
        CHECK(a.f32 == NULL && a.f64 == NULL);
        CHECK_STR_HAS(e.msg, name); /* names the file */
        for (int k = 0; k < 2 && c->frag[k]; k++)
            CHECK_STR_HAS(e.msg, c->frag[k]);
    }
}

static void expect_bad(const char *name, const char *frag)
{
    rb_npy a;
    rb_err e = {0};
    CHECK_INT(rb_npy_read_f64(tmp_path(name), &a, 0, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, name);
    CHECK_STR_HAS(e.msg, frag);
}

static void test_bad_raw(void)
{
    write_bytes(tmp_path("empty.npy"), "", 0);
    expect_bad("empty.npy", "too short");
    write_bytes(tmp_path("short.npy"), "\x93NUM", 4);
    expect_bad("short.npy", "too short");
    write_bytes(tmp_path("magic.npy"), "\x93NUMPZ\x01\x00\x10\x00{}              ", 26);
    expect_bad("magic.npy", "bad magic");
    write_bytes(tmp_path("text.npy"), "hello, this is not numpy\n", 25);
    expect_bad("text.npy", "bad magic");
    /* header announces 118 bytes, the file stops after 20 */
    write_bytes(tmp_path("trunc.npy"), "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fo", 30);
    expect_bad("trunc.npy", "truncated .npy header");
    /* v2 lengths are 32-bit: a huge one must not be believed */
    write_bytes(tmp_path("hugehdr.npy"), "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 14);
    expect_bad("hugehdr.npy", "implausible");
    write_bytes(tmp_path("v2short.npy"), "\x93NUMPY\x02\x00\x05\x00", 10);
    expect_bad("v2short.npy", "truncated");
    write_bytes(tmp_path("nul.npy"), "\x93NUMPY\x01\x00\x04\x00{\0}\n", 14);
    expect_bad("nul.npy", "NUL");

    rb_npy a;
    rb_err e = {0};
    CHECK_INT(rb_npy_read_f32(tmp_path("no-such-file.npy"), &a, 0, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "no-such-file.npy");
    CHECK_STR_HAS(e.msg, "No such file or directory");
    CHECK_INT(rb_npy_read_f32(tmpdir, &a, 0, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "not a regular file");

    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/missing/x.npy", tmpdir);
    float v = 1;
    size_t one = 1;
    CHECK_INT(rb_npy_write_f32(nodir, &v, 1, &one, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "missing/x.npy");
    CHECK_INT(
        rb_npy_write_f32(tmp_path("nine.npy"), &v, 9, (size_t[9]){1, 1, 1, 1, 1, 1, 1, 1, 1}, &e),
        RB_EINPUT);
}

static void test_max_bytes(void)
{
    float f[100] = {0};
    size_t n = 100;
    const char *p = tmp_path("limit.npy");
    rb_err e = {0};
    CHECK_INT(rb_npy_write_f32(p, f, 1, &n, &e), 0);
    rb_npy a;
    CHECK_INT(rb_npy_read_f32(p, &a, 400, &e), 0); /* exactly the data: fine */
    rb_npy_free(&a);
    CHECK_INT(rb_npy_read_f32(p, &a, 399, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "limit.npy");
    CHECK_STR_HAS(e.msg, "above the limit of 399");
    CHECK(a.f32 == NULL);
    /* converting to float64 doubles the memory: that is what counts */
    CHECK_INT(rb_npy_read_f64(p, &a, 799, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "800 bytes");
    CHECK_INT(rb_npy_read_f64(p, &a, 800, &e), 0);
    rb_npy_free(&a);
}

/* Every prefix of a valid file, and random corruption of its header, must
 * give a clean RB_EINPUT (or success), never a crash or a leak. */
static void test_garbage(void)
{
    float f[6] = {1, 2, 3, 4, 5, 6};
    size_t shape[2] = {2, 3};
    const char *p = tmp_path("good.npy");
    rb_err e = {0};
    CHECK_INT(rb_npy_write_f32(p, f, 2, shape, &e), 0);
    unsigned char good[256];
    size_t n = read_bytes(p, good, sizeof good);
    CHECK_INT(n, 128 + 24);

    int prefix_errors = 0;
    const char *q = tmp_path("cut.npy");
    for (size_t len = 0; len < n; len++) {
        write_bytes(q, good, len);
        rb_npy a;
        prefix_errors += rb_npy_read_f32(q, &a, 0, &e) == RB_EINPUT;
    }
    CHECK_INT(prefix_errors, (int)n);

    rb_rng r = {7};
    int ok = 0, rejected = 0;
    for (int trial = 0; trial < 3000; trial++) {
        unsigned char buf[256];
        memcpy(buf, good, n);
        int flips = 1 + (int)(rb_rng_next(&r) % 4);
        for (int k = 0; k < flips; k++)
            buf[rb_rng_next(&r) % 128] = (unsigned char)rb_rng_next(&r);
        write_bytes(q, buf, n);
        rb_npy a;
        int rc = rb_npy_read_f32(q, &a, 0, &e);
        if (rc == 0) {
            ok++;
            /* whatever header survived must describe exactly the 24 data bytes */
            CHECK(a.count == 6 || a.count == 3);
            rb_npy_free(&a);
        } else {
            rejected += rc == RB_EINPUT;
        }
    }
    CHECK_INT(ok + rejected, 3000);
    CHECK(rejected > 1000); /* most corruptions are caught */
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_large_conversion();
    test_numpy_bytes();
    test_accepts();
    test_bad_headers();
    test_bad_raw();
    test_max_bytes();
    test_garbage();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    return rb_test_done("test_npy");
}
