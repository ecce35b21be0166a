/* RAPL reading against a fake powercap tree: package zones summed, subzones
 * ignored, wrap-around handled, unreadable trees explained. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/energy.h"
#include "../rb_test.h"

static char root[256];

static void put(const char *zone, const char *file, const char *value)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, zone);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", root, zone, file);
    FILE *f = fopen(p, "w");
    fputs(value, f);
    fclose(f);
}

int main(void)
{
    char why[256] = "";
    rb_rapl r;
    CHECK_INT(rb_rapl_open(&r, "/nonexistent/powercap", why, sizeof why), 0);
    CHECK_STR_HAS(why, "RAPL not exposed");

    snprintf(root, sizeof root, "/tmp/rb_rapl_XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    CHECK_INT(rb_rapl_open(&r, root, why, sizeof why), 0);
    CHECK_STR_HAS(why, "no RAPL package zones");

    put("intel-rapl:0", "energy_uj", "1000000\n");
    put("intel-rapl:0", "max_energy_range_uj", "262143328850\n");
    put("intel-rapl:1", "energy_uj", "262143000000\n"); /* about to wrap */
    put("intel-rapl:1", "max_energy_range_uj", "262143328850\n");
    put("intel-rapl:0:0", "energy_uj", "5\n"); /* a core subzone: must not be added */
    put("intel-rapl:0:0", "max_energy_range_uj", "262143328850\n");
    CHECK_INT(rb_rapl_open(&r, root, why, sizeof why), 2);
    CHECK_INT(rb_rapl_start(&r), 0);
    put("intel-rapl:0", "energy_uj", "3500000\n");    /* +2.5 J */
    put("intel-rapl:1", "energy_uj", "671150\n");     /* wrapped: +328850 + 671150 = 1.0 J */
    CHECK_NEAR(rb_rapl_stop(&r), 3.5, 1e-9);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK_INT(system(cmd), 0);
    return rb_test_done("test_energy");
}
