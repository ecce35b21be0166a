/* decimal.c — a number as people write one (decimal.h). */
#include "decimal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

int rb_parse_decimal(const char *s, double *out, const char **end)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q))
                q++;
            p = q;
        }
    }
    if (*p && !end)
        return -1;
    errno = 0;
    char *e;
    double v = strtod(s, &e);
    if (e != p || errno || !isfinite(v))
        return -1;
    *out = v;
    if (end)
        *end = p;
    return 0;
}
