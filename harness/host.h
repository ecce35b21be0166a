/* host.h — what the machine is, and what on it makes timings unreliable. */
#ifndef RB_HOST_H
#define RB_HOST_H

#include <stdint.h>

#define RB_HOST_SCHEMA 1
#define RB_WARN_MAX 8

typedef struct rb_warnings {
    int n;
    char msg[RB_WARN_MAX][256];
} rb_warnings;

void rb_warn_add(rb_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON array of the messages; caller frees. */
char *rb_warnings_json(const rb_warnings *w);

/* Load average, frequency governor, thread over-subscription, too few
 * repetitions: everything readable that makes a latency untrustworthy. */
void rb_host_reliability(rb_warnings *w, int threads, int min_reps);

/* Host metadata as JSON, following Google Benchmark's "context" block (host
 * name, CPUs, MHz, caches, load average, build type) plus OS, memory,
 * compiler, revision and library versions.  Caller frees. */
char *rb_host_json(void);

int rb_host_ncpus(void);
/* The threads a command uses unless told: every CPU, or 1 when the address
 * space is limited below what OpenBLAS's threads need (main.c set
 * RB_AS_LIMIT_MB): each thread of it reserves a buffer, and one it cannot
 * reserve makes it retry forever. */
int rb_host_default_threads(void);
/* MemAvailable from /proc/meminfo in bytes; 0 if unknown. */
uint64_t rb_host_mem_available(void);
/* This process's peak resident memory: reset it to the current (Linux's
 * clear_refs "5"; 0, or -1 where that cannot be done and the peak would be
 * the process's lifetime's), and read it (VmHWM, bytes; 0 if unknown). */
int rb_host_peak_rss_reset(void);
uint64_t rb_host_peak_rss(void);

#endif
