/* rb_test.h — the few macros the unit tests share.
 *
 * Each test file is one executable that ctest runs; a failed CHECK prints
 * file:line and the values, the program exits 1 at the end if any failed. */
#ifndef RB_TEST_H
#define RB_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int rb_test_failures;
static int rb_test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        rb_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        rb_test_checks++;                                                                          \
        if (va_ != vb_) {                                                                          \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    va_, #b, vb_);                                                                 \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double va_ = (double)(a), vb_ = (double)(b), vt_ = (double)(tol);                          \
        rb_test_checks++;                                                                          \
        if (!(fabs(va_ - vb_) <= vt_)) {                                                           \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tol %g)\n", __FILE__, __LINE__,    \
                    #a, va_, vb_, vt_);                                                            \
        }                                                                                          \
    } while (0)

/* haystack contains needle */
#define CHECK_STR_HAS(hay, needle)                                                                 \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        rb_test_checks++;                                                                          \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    h_ ? h_ : "(null)", n_);                                                       \
        }                                                                                          \
    } while (0)

/* Print the summary line and return the exit status for main(). */
static inline int rb_test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, rb_test_checks, rb_test_failures);
    return rb_test_failures ? 1 : 0;
}

#endif
