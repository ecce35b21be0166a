#include "rb_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rb_errf(rb_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int rb_err_prefix(rb_err *e, const char *fmt, ...)
{
    if (!e)
        return RB_ERUNTIME;
    char prefix[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* prefix + old message, cut to fit (snprintf would be flagged as truncating) */
    size_t pl = strnlen(prefix, sizeof e->msg - 1);
    size_t ol = strnlen(old, sizeof e->msg - 1 - pl);
    memcpy(e->msg, prefix, pl);
    memcpy(e->msg + pl, old, ol);
    e->msg[pl + ol] = '\0';
    return e->code;
}

void rb_err_clear(rb_err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}

int rb_err_exit_code(int code)
{
    switch (code) {
    case RB_OK: return RB_EXIT_OK;
    case RB_EINPUT:
    case RB_ENOMEM: return RB_EXIT_USAGE;
    default: return RB_EXIT_FAILURE;
    }
}

const char *rb_err_name(int code)
{
    switch (code) {
    case RB_OK: return "ok";
    case RB_EINPUT: return "bad input";
    case RB_ERUNTIME: return "run-time failure";
    case RB_ENOMEM: return "out of memory";
    case RB_EUNAVAIL: return "unavailable";
    case RB_ETIMEOUT: return "timed out";
    case RB_EINTR: return "interrupted";
    case RB_EDB: return "database error";
    case RB_EBUSY: return "database locked";
    default: return "error";
    }
}
