/* rb_err.h — error reporting shared by every module.
 *
 * Library code never exits: a function returns 0 on success or a negative
 * RB_E* code, and fills an rb_err with a message a person can act on.  Only
 * main() turns codes into exit statuses (rb_err_exit_code). */
#ifndef RB_ERR_H
#define RB_ERR_H

enum {
    RB_OK = 0,
    RB_EINPUT = -2,   /* bad usage or bad input: exit 2 */
    RB_ERUNTIME = -3, /* something failed while running: exit 3 */
    RB_ENOMEM =
        -4, /* allocation failed or would exceed memory: exit 2 (it is the request that is absurd) */
    RB_EUNAVAIL = -5, /* target or feature not available on this machine/build */
    RB_ETIMEOUT = -6, /* a result ran past --timeout-s */
    RB_EINTR = -7,    /* interrupted by SIGINT/SIGTERM */
    RB_EDB = -8,      /* database corrupt or unwritable: exit 3 */
    RB_EBUSY = -9     /* database locked by another process past the busy timeout: exit 3 */
};

/* Process exit statuses: the contract with scripts and CI (README "Exit
 * status").  Only commands return them; rb_err_exit_code maps a code. */
enum {
    RB_EXIT_OK = 0,
    RB_EXIT_REGRESSION = 1, /* compare: a regression was found */
    RB_EXIT_USAGE = 2,      /* bad usage or bad input; nothing was run */
    RB_EXIT_FAILURE = 3     /* a run-time failure: a device, the database, a result */
};

typedef struct rb_err {
    int code;
    char msg[1024];
} rb_err;

/* Fill e (may be NULL) with a formatted message; returns code so callers can
 * write `return rb_errf(e, RB_EINPUT, "...")`. */
int rb_errf(rb_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with context ("file.ini: "), keeping the code. */
int rb_err_prefix(rb_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void rb_err_clear(rb_err *e);

/* The process exit status for an error code: 0, 2 or 3 (1 is reserved for
 * "regression found", which only `compare` decides). */
int rb_err_exit_code(int code);

const char *rb_err_name(int code);

#endif
