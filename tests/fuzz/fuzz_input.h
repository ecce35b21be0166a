/* fuzz_input.h — what the libFuzzer harnesses share: the readers under test
 * read files, so each input is written to a file of this process first.
 * One harness a reader of untrusted input (tests/fuzz/README.md). */
#ifndef RB_FUZZ_INPUT_H
#define RB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of this process under /tmp, made once (removed at exit). */
static inline const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/rb_fuzz_%ld", (long)getpid());
        mkdir(dir, 0700);
    }
    return dir;
}

/* data[0..size) as the file NAME in fuzz_dir(); its path. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return path;
}

#endif
