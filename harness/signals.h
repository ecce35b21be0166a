/* signals.h — Ctrl-C and SIGTERM stop a run cleanly.
 *
 * The first signal sets a flag that the measurement loop checks between
 * calls, so the result in flight is dropped, finished ones stay stored and
 * the run is marked interrupted.  A second Ctrl-C restores the default action
 * and kills the process at once; the store's dead-run recovery then marks the
 * run interrupted the next time the database is opened. */
#ifndef RB_SIGNALS_H
#define RB_SIGNALS_H

void rb_signals_install(void);
int rb_interrupted(void); /* the signal number received, 0 if none */

#endif
