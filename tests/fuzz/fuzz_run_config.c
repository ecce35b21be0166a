/* fuzz_run_config.c — the stored run configuration `run --resume` reads
 * (runs.config_json, which a database from elsewhere may hold). */
#include "../../harness/run_config.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    rb_run_config c;
    memset(&c, 0, sizeof c);
    rb_err e = {0};
    rb_run_config_from_json(&c, json, &e);
    rb_matrix_free(&c.points); /* what a refused configuration left, too */
    free(json);
    return 0;
}
