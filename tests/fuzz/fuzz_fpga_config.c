/* fuzz_fpga_config.c — fpga config INI files (--fpga-config FILE).
 *
 * The fuzz build leaves the RTL unverilated (its C++ would take longer to
 * build than the fuzzing runs), so the parser is compiled here as the fpga
 * target compiles it; the configurations it looks up (fpga_hw_table.c) need
 * no simulator. */
#define RB_HAVE_VERILATOR 1
#include "../../targets/fpga/fpga_config.c"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("f.ini", data, size);
    rb_instance in;
    rb_err e = {0};
    if (rb_instance_parse("fpga", &in, &e) || rb_instance_default(&in, "config", path, &e))
        abort(); /* the harness itself is wrong */
    rb_target t;
    rb_target_init_instance(&t, &in, 1);
    fpga_config c;
    rb_fpga_config(&t, &c, &e);
    return 0;
}
