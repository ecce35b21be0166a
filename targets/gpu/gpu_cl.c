/* gpu_cl.c — OpenCL plumbing: error names, device queries, enumeration and
 * selection.  Nothing here runs a kernel. */
#ifdef RB_HAVE_OPENCL
#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

const char *rb_gpu_errname(cl_int code)
{
    switch (code) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
        return "CL_MEM_OBJECT_ALLOCATION_FAILURE (device memory)";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_CONTEXT: return "CL_INVALID_CONTEXT";
    case CL_INVALID_COMMAND_QUEUE: return "CL_INVALID_COMMAND_QUEUE";
    case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT";
    case CL_INVALID_PROGRAM_EXECUTABLE: return "CL_INVALID_PROGRAM_EXECUTABLE";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_EVENT: return "CL_INVALID_EVENT";
    case CL_PROFILING_INFO_NOT_AVAILABLE: return "CL_PROFILING_INFO_NOT_AVAILABLE";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL driver registered)";
    case -9999: return "device lost or driver fault (NVIDIA -9999)";
    default: return "OpenCL error";
    }
}

const char *rb_gpu_clblast_errname(int status)
{
    switch (status) {
    case CLBlastSuccess: return "success";
    case CLBlastTempBufferAllocFailure: return "temporary buffer allocation failed (device memory)";
    case CLBlastOpenCLOutOfResources: return "out of device resources";
    case CLBlastOpenCLOutOfHostMemory: return "out of host memory";
    case CLBlastOpenCLBuildProgramFailure: return "its kernels failed to build for this device";
    case CLBlastInvalidLocalMemUsage: return "invalid local memory usage for this device";
    case CLBlastNotImplemented: return "not implemented";
    case CLBlastUnknownError: return "unknown error";
    default: return status < 0 && status > -1000 ? rb_gpu_errname(status) : "CLBlast error";
    }
}

void rb_gpu_info_str(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
    size_t got = 0;
    if (clGetDeviceInfo(d, what, n, buf, &got) != CL_SUCCESS)
        buf[0] = '\0';
    buf[n - 1] = '\0';
    /* drivers pad some strings with spaces */
    for (size_t len = strlen(buf); len && buf[len - 1] == ' '; len--)
        buf[len - 1] = '\0';
}

cl_ulong rb_gpu_info_ulong(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? v : 0;
}

cl_uint rb_gpu_info_uint(cl_device_id d, cl_device_info what)
{
    cl_uint v = 0;
    return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? v : 0;
}

int rb_gpu_devices(gpu_dev *out, int max, rb_err *e)
{
    cl_platform_id plats[8];
    cl_uint np = 0;
    cl_int rc = clGetPlatformIDs(8, plats, &np);
    if (rc == -1001 || (rc == CL_SUCCESS && np == 0))
        return rb_errf(e, RB_EUNAVAIL,
                       "no OpenCL platform found: the ICD loader found no driver in "
                       "/etc/OpenCL/vendors (or $OCL_ICD_VENDORS); install a GPU driver, or "
                       "pocl-opencl-icd for a CPU device");
    if (rc != CL_SUCCESS)
        return rb_errf(e, RB_EUNAVAIL, "clGetPlatformIDs failed: %s (%d)", rb_gpu_errname(rc), rc);
    int n = 0;
    for (cl_uint p = 0; p < np && p < 8; p++) {
        cl_device_id devs[RB_GPU_MAX_DEVICES];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, RB_GPU_MAX_DEVICES, devs, &nd) !=
            CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < nd && d < RB_GPU_MAX_DEVICES && n < max; d++)
            out[n++] = (gpu_dev){plats[p], devs[d]};
    }
    if (!n)
        return rb_errf(e, RB_EUNAVAIL, "OpenCL platforms exist but offer no device");
    return n;
}

/* "platform: device" for matching and messages */
static void label(const gpu_dev *d, char *buf, size_t n)
{
    char plat[128], name[128];
    if (clGetPlatformInfo(d->platform, CL_PLATFORM_NAME, sizeof plat, plat, NULL) != CL_SUCCESS)
        plat[0] = '\0';
    plat[sizeof plat - 1] = '\0';
    rb_gpu_info_str(d->device, CL_DEVICE_NAME, name, sizeof name);
    snprintf(buf, n, "%s: %s", plat, name);
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

int rb_gpu_select(const gpu_dev *devs, int n, const char *selector, int *index, rb_err *e)
{
    if (!selector || !*selector) {
        *index = 0;
        for (int i = 0; i < n; i++)
            if (rb_gpu_info_ulong(devs[i].device, CL_DEVICE_TYPE) & CL_DEVICE_TYPE_GPU) {
                *index = i;
                break;
            }
        return 0;
    }
    char *end;
    long k = strtol(selector, &end, 10);
    if (!*end) {
        if (k < 0 || k >= n)
            return rb_errf(e, RB_EINPUT,
                           "gpu device %s: there are %d OpenCL devices (0..%d); "
                           "`rnnbench list` shows them",
                           selector, n, n - 1);
        *index = (int)k;
        return 0;
    }
    int found = -1, matches = 0;
    char all[1024] = "", one[300];
    for (int i = 0; i < n; i++) {
        label(&devs[i], one, sizeof one);
        size_t len = strlen(all);
        snprintf(all + len, sizeof all - len, "%s#%d %s", i ? "; " : "", i, one);
        if (contains_nocase(one, selector)) {
            matches++;
            if (found < 0)
                found = i;
        }
    }
    if (matches != 1)
        return rb_errf(e, RB_EINPUT, "gpu device '%s' matches %s OpenCL device (%s)", selector,
                       matches ? "more than one" : "no", all);
    *index = found;
    return 0;
}

void rb_gpu_describe(const gpu_dev *d, rb_device_info *out, const char *peak_note)
{
    char name[128], vendor[128], driver[64], version[64], plat[128];
    rb_gpu_info_str(d->device, CL_DEVICE_NAME, name, sizeof name);
    rb_gpu_info_str(d->device, CL_DEVICE_VENDOR, vendor, sizeof vendor);
    rb_gpu_info_str(d->device, CL_DRIVER_VERSION, driver, sizeof driver);
    rb_gpu_info_str(d->device, CL_DEVICE_VERSION, version, sizeof version);
    if (clGetPlatformInfo(d->platform, CL_PLATFORM_NAME, sizeof plat, plat, NULL) != CL_SUCCESS)
        plat[0] = '\0';
    plat[sizeof plat - 1] = '\0';
    cl_ulong type = rb_gpu_info_ulong(d->device, CL_DEVICE_TYPE);
    const char *tname = type & CL_DEVICE_TYPE_GPU   ? "gpu"
                        : type & CL_DEVICE_TYPE_CPU ? "cpu"
                                                    : "accelerator";

    memset(out, 0, sizeof *out);
    /* Honesty first: a CPU behind OpenCL (PoCL) must never read as a GPU. */
    if (type & CL_DEVICE_TYPE_GPU)
        snprintf(out->name, sizeof out->name, "%.100s (%.40s)", name, plat);
    else
        snprintf(out->name, sizeof out->name, "%.72s (OpenCL %s device via %.32s, not a GPU)", name,
                 tname, plat);
    snprintf(out->type, sizeof out->type, "%s", tname);
    snprintf(out->numerics, sizeof out->numerics, "fp32");

    cl_uint cus = rb_gpu_info_uint(d->device, CL_DEVICE_MAX_COMPUTE_UNITS);
    cl_uint mhz = rb_gpu_info_uint(d->device, CL_DEVICE_MAX_CLOCK_FREQUENCY);
    /* The PCI address NVML needs to find the same board: cl_khr_pci_bus_info
     * where the driver has it, else NVIDIA's own query.  Its slot is the
     * device number: driver 580 on an H200 at 0000:00:06.0 answers 6 (read
     * as PCI devfn, as clinfo does, that was 00:00.6, which NVML does not
     * know); hwloc reads it the same way. */
    char ext[4096];
    rb_gpu_info_str(d->device, CL_DEVICE_EXTENSIONS, ext, sizeof ext);
    struct {
        cl_uint domain, bus, device, function;
    } pci;
    if (strstr(ext, "cl_khr_pci_bus_info") &&
        clGetDeviceInfo(d->device, 0x410F /* CL_DEVICE_PCI_BUS_INFO_KHR */, sizeof pci, &pci,
                        NULL) == CL_SUCCESS)
        snprintf(out->bus_id, sizeof out->bus_id, "%08x:%02x:%02x.%x", pci.domain, pci.bus,
                 pci.device, pci.function);
    else if (strstr(ext, "cl_nv_device_attribute_query")) {
        cl_uint bus = rb_gpu_info_uint(d->device, 0x4008 /* CL_DEVICE_PCI_BUS_ID_NV */);
        cl_uint slot = rb_gpu_info_uint(d->device, 0x4009 /* CL_DEVICE_PCI_SLOT_ID_NV */);
        cl_uint dom = rb_gpu_info_uint(d->device, 0x400A /* CL_DEVICE_PCI_DOMAIN_ID_NV */);
        snprintf(out->bus_id, sizeof out->bus_id, "%08x:%02x:%02x.0", dom, bus, slot);
    }
    /* A CPU device (PoCL) draws from the host's package; an NVIDIA board has
     * NVML (its bus id, or its vendor's name, finds it). */
    if (type & CL_DEVICE_TYPE_CPU)
        out->energy_counters = RB_ENERGY_RAPL;
    else if (out->bus_id[0] || strcasestr(vendor, "nvidia") || strcasestr(name, "nvidia"))
        out->energy_counters = RB_ENERGY_NVML;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "platform", plat);
    cJSON_AddStringToObject(x, "device", name);
    cJSON_AddStringToObject(x, "vendor", vendor);
    cJSON_AddStringToObject(x, "device_type", tname);
    cJSON_AddNumberToObject(x, "compute_units", cus);
    cJSON_AddNumberToObject(x, "clock_mhz", mhz);
    cJSON_AddNumberToObject(x, "global_mem_bytes",
                            (double)rb_gpu_info_ulong(d->device, CL_DEVICE_GLOBAL_MEM_SIZE));
    cJSON_AddNumberToObject(x, "local_mem_bytes",
                            (double)rb_gpu_info_ulong(d->device, CL_DEVICE_LOCAL_MEM_SIZE));
    cJSON_AddNumberToObject(x, "max_alloc_bytes",
                            (double)rb_gpu_info_ulong(d->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE));
    cJSON_AddStringToObject(x, "driver_version", driver);
    cJSON_AddStringToObject(x, "opencl_version", version);
    if (out->bus_id[0])
        cJSON_AddStringToObject(x, "bus_id", out->bus_id);
    if (peak_note)
        cJSON_AddStringToObject(x, "peak_flops_source", peak_note);
    char *json = cJSON_PrintUnformatted(x);
    cJSON_Delete(x);
    if (json && strlen(json) < sizeof out->extra_json)
        memcpy(out->extra_json, json, strlen(json) + 1);
    free(json);
}
#endif
