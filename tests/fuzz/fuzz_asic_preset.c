/* fuzz_asic_preset.c — asic preset INI files (rb_asic_preset_load). */
#include "../../targets/asic/asic.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rb_asic_preset p;
    rb_err e = {0};
    rb_asic_preset_load(fuzz_file("p.ini", data, size), &p, &e);
    return 0;
}
