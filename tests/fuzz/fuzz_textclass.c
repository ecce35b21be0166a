/* fuzz_textclass.c — a saved text classifier's textclass.ini and vocab.txt
 * (rb_tc_load_meta): the input is the INI, a line "--" and the vocabulary. */
#include "../../workloads/textclass/textclass.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memmem(data, size, "\n--\n", 4);
    size_t ini = sep ? (size_t)(sep - data) + 1 : size, rest = sep ? ini + 3 : size;
    fuzz_file("textclass.ini", data, ini);
    fuzz_file("vocab.txt", data + rest, size - rest);
    rb_tc_meta m;
    char **vocab = NULL;
    int n = 0;
    rb_err e = {0};
    if (!rb_tc_load_meta(fuzz_dir(), &m, &vocab, &n, &e))
        rb_tc_vocab_free(vocab, n);
    return 0;
}
