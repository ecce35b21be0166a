/* fuzz_baseline.c — baseline files (`compare BASE.jsonl`), and comparing one with itself. */
#include "../../harness/compare.h"
#include "../../harness/figures.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rb_figset fs;
    rb_err e = {0};
    if (rb_figset_from_baseline(fuzz_file("b.jsonl", data, size), &fs, &e))
        return 0;
    rb_cmp_opts o;
    rb_cmp_opts_default(&o);
    rb_comparison c;
    if (!rb_compare_sets(&fs, &fs, &o, &c, &e)) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            rb_comparison_write(null, &c, RB_CMP_FMT_JSON, 1, &e);
            fclose(null);
        }
        rb_comparison_free(&c);
    }
    rb_figset_free(&fs);
    return 0;
}
