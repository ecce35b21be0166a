/* test_natural_cmp.c — workload keys in the order a person reads them
 * (rb_natural_cmp): digit runs compare as numbers, the rest as strcmp. */
#include <string.h>

#include "../../reports/report_util.h"
#include "../rb_test.h"

static int sign(int v) { return (v > 0) - (v < 0); }

int main(void)
{
    const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"lstm_infer_t8_b1_i128_h128_l1", "lstm_infer_t8_b1_i1024_h1024_l1", -1},
        {"lstm_infer_t8_b1_i1024_h1024_l1", "lstm_infer_t8_b1_i128_h128_l1", 1},
        {"lstm_infer_t25_b1", "lstm_infer_t100_b1", -1},
        {"lstm_infer_t8_b1", "lstm_infer_t8_b1", 0},
        {"a9", "a10", -1},
        {"a007", "a7", 0}, /* leading zeros do not make a number larger */
        {"a7", "a7b", -1}, /* a prefix first */
        {"lstm_x", "rnn_x", -1},
        {"b2", "a10", 1}, /* letters before numbers decide */
        {"", "a", -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        CHECK_INT(sign(rb_natural_cmp(cases[k].a, cases[k].b)), cases[k].want);
    return rb_test_done("test_natural_cmp");
}
