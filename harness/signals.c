#include "signals.h"

#include <signal.h>
#include <string.h>

/* The one piece of process-wide state outside the target registry: a signal
 * handler has nowhere else to put what it saw. */
static volatile sig_atomic_t received;

static void on_signal(int sig)
{
    if (received) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    received = sig;
}

void rb_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int rb_interrupted(void) { return received; }
