/* fake_nvml.c — a stand-in for libnvidia-ml.so.1, for test_energy.
 *
 * Built as a loadable module and handed to the harness through
 * RB_NVML_LIBRARY, so the NVML meter runs its real dlopen/dlsym path on a
 * machine without an NVIDIA driver.  Only the entry points the meter uses
 * exist.  Scripted by the environment, read at nvmlInit_v2:
 *   FAKE_NVML_ENERGY=unsupported  the energy counter says NOT_SUPPORTED (pre-Volta),
 *                                 so the meter samples power (a constant 50 W)
 *   FAKE_NVML_FAIL_AFTER=N        energy and power reads fail (GPU lost) after N good ones
 * Three boards: a P100 and two identical H100s (a name that is ambiguous). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct fake_dev {
    const char *name, *bus_id;
    unsigned long long energy_mj; /* +1000 mJ on every read */
} fake_dev;

static fake_dev devs[] = {
    {"Tesla P100-PCIE-16GB", "00000000:3B:00.0", 0},
    {"NVIDIA H100 80GB HBM3", "00000000:65:00.0", 0},
    {"NVIDIA H100 80GB HBM3", "00000000:66:00.0", 0},
};
enum { N_DEVS = sizeof devs / sizeof devs[0] };
enum { OK = 0, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, NOT_FOUND = 6, GPU_IS_LOST = 15 };

static int energy_supported, fail_after, reads;

/* Counts a read; nonzero when the script says this one fails. */
static int failing(void) { return fail_after >= 0 && reads++ >= fail_after; }

static fake_dev *dev_of(void *handle)
{
    fake_dev *d = handle;
    return d >= devs && d < devs + N_DEVS ? d : NULL;
}

int nvmlInit_v2(void)
{
    const char *e = getenv("FAKE_NVML_ENERGY"), *f = getenv("FAKE_NVML_FAIL_AFTER");
    energy_supported = !(e && !strcmp(e, "unsupported"));
    fail_after = f ? atoi(f) : -1;
    reads = 0;
    for (int i = 0; i < N_DEVS; i++)
        devs[i].energy_mj = 1000000000ULL * (i + 1);
    return OK;
}

int nvmlShutdown(void) { return OK; }

const char *nvmlErrorString(int r)
{
    switch (r) {
    case OK: return "Success";
    case NOT_SUPPORTED: return "Not Supported";
    case NOT_FOUND: return "Not Found";
    case GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

int nvmlDeviceGetCount_v2(unsigned *count)
{
    *count = N_DEVS;
    return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **handle)
{
    if (i >= N_DEVS)
        return INVALID_ARGUMENT;
    *handle = &devs[i];
    return OK;
}

int nvmlDeviceGetHandleByPciBusId_v2(const char *bus_id, void **handle)
{
    for (int i = 0; i < N_DEVS; i++)
        if (!strcasecmp(devs[i].bus_id, bus_id)) {
            *handle = &devs[i];
            return OK;
        }
    return NOT_FOUND;
}

int nvmlDeviceGetName(void *handle, char *name, unsigned len)
{
    fake_dev *d = dev_of(handle);
    if (!d || !len)
        return INVALID_ARGUMENT;
    strncpy(name, d->name, len - 1);
    name[len - 1] = 0;
    return OK;
}

int nvmlDeviceGetTotalEnergyConsumption(void *handle, unsigned long long *mj)
{
    fake_dev *d = dev_of(handle);
    if (!d)
        return INVALID_ARGUMENT;
    if (!energy_supported)
        return NOT_SUPPORTED;
    if (failing())
        return GPU_IS_LOST;
    *mj = d->energy_mj;
    d->energy_mj += 1000;
    return OK;
}

int nvmlDeviceGetPowerUsage(void *handle, unsigned *mw)
{
    if (!dev_of(handle))
        return INVALID_ARGUMENT;
    if (failing())
        return GPU_IS_LOST;
    *mw = 50000;
    return OK;
}
