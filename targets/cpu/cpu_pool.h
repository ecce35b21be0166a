/* cpu_pool.h — the cpu target's persistent worker threads.
 *
 * A layer's T steps each end in a dependency (step t+1 reads all of h_t),
 * so splitting a step across threads needs a rendezvous per step.  A
 * fork/join per step (OpenBLAS's own threading around each small product)
 * costs a wake-up and a join every step; here the threads are created at
 * load, run a whole layer's loop once per call, and meet at a spinning
 * barrier between steps. */
#ifndef RB_TARGET_CPU_POOL_H
#define RB_TARGET_CPU_POOL_H

typedef struct rb_cpu_pool rb_cpu_pool;

/* fn(arg, tid, n) runs on each of the n threads, tid 0 being the caller. */
typedef void (*rb_cpu_pool_fn)(void *arg, int tid, int n);

/* n threads in all (n - 1 created); NULL when they cannot be created. */
rb_cpu_pool *rb_cpu_pool_new(int n);
void rb_cpu_pool_free(rb_cpu_pool *p);
int rb_cpu_pool_size(const rb_cpu_pool *p);
/* Run fn on every thread; returns when all have returned. */
void rb_cpu_pool_run(rb_cpu_pool *p, rb_cpu_pool_fn fn, void *arg);
/* Inside fn: wait until all n threads have reached this point; what each
 * wrote before it is visible to all after it. */
void rb_cpu_pool_barrier(rb_cpu_pool *p);

#endif
