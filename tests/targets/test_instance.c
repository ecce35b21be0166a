/* Instance specs: parsing, canonical names, shorthand defaults and the
 * errors that name what is wrong (targets/instance.c). */
#include <stdlib.h>
#include <string.h>

#include "../../targets/target.h"
#include "../rb_test.h"

/* A spec and its canonical name, or the error it must give. */
static const struct {
    const char *spec, *name, *error;
} k_cases[] = {
    {"cpu", "cpu", NULL},
    {"cpu:onednn", "cpu:onednn", NULL},
    {"cpu?backend=onednn", "cpu:onednn", NULL},
    {"fpga", "fpga", NULL},
    {"fpga:large", "fpga:large", NULL},
    {"fpga:large?clock_mhz=250", "fpga:large?clock_mhz=250", NULL},
    /* table order, not the order given; the positional option by its key too */
    {"fpga?sim=full&clock_mhz=250&config=small8", "fpga:small8?clock_mhz=250", NULL},
    {"fpga:small?config=large", "fpga:large", NULL}, /* the later setting wins */
    {"asic:edge-npu", "asic:edge-npu", NULL},
    {"asic:my presets/x.ini", "asic:my presets/x.ini", NULL}, /* a path is a value */
    {"gpu:1", "gpu:1", NULL},
    {"fpga:", NULL, "empty config after ':'"},
    {"fpga?bogus=1", NULL, "has no option 'bogus' (options: config, clock_mhz, sim)"},
    {"fpga?clock_mhz=-3", NULL, "out of range"},
    {"fpga?clock_mhz=fast", NULL, "not a number"},
    {"fpga?sim=often", NULL, "'often': expected auto, full or sampled"},
    {"fpga?clock_mhz", NULL, "needs a value"},
    {"fpga?", NULL, "nothing after '?'"},
    {"cpu:x", NULL, "cpu option backend 'x': expected rnnbench or onednn"},
    {"nosuch:x", NULL, "unknown target 'nosuch' (known: cpu, gpu, fpga, asic, all)"},
};

static void test_specs(void)
{
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        rb_instance in;
        rb_err e = {0};
        int rc = rb_instance_parse(k_cases[i].spec, &in, &e);
        if (k_cases[i].name) {
            char name[RB_INSTANCE_NAME_MAX];
            CHECK_INT(rc, 0);
            if (!rc)
                CHECK_STR_HAS(rb_instance_name(&in, name, sizeof name), k_cases[i].name);
            if (!rc)
                CHECK_INT((int)strlen(name), (int)strlen(k_cases[i].name));
        } else {
            CHECK_INT(rc, RB_EINPUT);
            CHECK_STR_HAS(e.msg, k_cases[i].error);
            if (strncmp(k_cases[i].spec, "nosuch", 6))
                CHECK_STR_HAS(e.msg, k_cases[i].spec); /* the message names the spec */
        }
    }
}

/* Shorthand flags set what an instance leaves unset, and nothing else. */
static void test_defaults(void)
{
    rb_instance in;
    rb_err e = {0};
    char name[RB_INSTANCE_NAME_MAX];
    CHECK_INT(rb_instance_parse("fpga:large", &in, &e), 0);
    CHECK_INT(rb_instance_default(&in, "config", "small8", &e), 0);
    CHECK_INT(rb_instance_default(&in, "sim", "full", &e), 0);
    /* the simulation mode is how, not what: in the spec, not in the name */
    CHECK(!strcmp(rb_instance_name(&in, name, sizeof name), "fpga:large"));
    CHECK(!strcmp(rb_instance_spec(&in, name, sizeof name), "fpga:large?sim=full"));
    CHECK_INT(rb_instance_default(&in, "speed", "1", &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "target fpga has no option 'speed'");
    CHECK_INT(rb_instance_default(&in, "clock_mhz", "0", &e), RB_EINPUT);

    /* the options a target instance stores: given values, defaults, null where the
     * target decides */
    rb_target t;
    rb_target_init_instance(&t, &in, 1);
    CHECK(!strcmp(t.instance, "fpga:large"));
    CHECK(!strcmp(rb_target_opt(&t, "config"), "large"));
    char *json = rb_target_options_json(&t);
    CHECK(json && !strcmp(json, "{\"config\":\"large\",\"clock_mhz\":null,\"sim\":\"full\"}"));
    free(json);
    rb_target_init(&t, rb_target_find("asic"), 1);
    CHECK(!strcmp(t.instance, "asic"));
    json = rb_target_options_json(&t);
    CHECK(json && !strcmp(json, "{\"preset\":\"tpu-v1\",\"schedule\":null}"));
    free(json);
}

int main(void)
{
    test_specs();
    test_defaults();
    return rb_test_done("test_instance");
}
