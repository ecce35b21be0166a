/* fuzz_merge.c — `rnnbench merge` reads databases from other machines: a
 * run whose stored configuration (runs.config_json: the shard, its
 * partition and points, a merged run's list of shards) is the input, in a
 * database that is otherwise well-formed, merged into an empty one and
 * finished (the missing pairs listed).  SQLite itself guards the file
 * format; what is ours is what the merge reads from the JSON. */
#include "../../harness/store.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1), src[160], out[160], tmp[160];
    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    snprintf(src, sizeof src, "%s/src.db", fuzz_dir());
    snprintf(out, sizeof out, "%s/out.db", fuzz_dir());
    snprintf(tmp, sizeof tmp, "%s/tmp.db", fuzz_dir());
    rb_store_remove_files(src);
    rb_store_remove_files(out);
    rb_store_remove_files(tmp);
    rb_store *s = NULL;
    rb_err e = {0};
    int64_t run = 0, dev = 0;
    if (!rb_store_open(&s, src, 0, &e)) {
        rb_run_info ri = {"fuzz", "sha", "rnnbench run", "{}", json, "[]", "0"};
        rb_device_info d = {0};
        snprintf(d.name, sizeof d.name, "a device");
        rb_device_id who = {"cpu", "cpu", "{}"};
        if (!rb_store_run_begin(s, &ri, &run, &e))
            rb_store_device(s, run, &who, "measured", &d, &dev, &e);
        rb_store_run_finish(s, run, "interrupted", &e);
        rb_store_close(s);
    }
    if (!rb_store_open(&s, out, 0, &e)) {
        rb_merge_stats ms = {0};
        int incomplete = 0;
        if (!rb_store_merge_from(s, src, tmp, &ms, NULL, &e))
            rb_store_merge_finish(s, NULL, &incomplete, &e);
        rb_store_close(s);
    }
    free(json);
    return 0;
}
