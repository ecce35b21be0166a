/* cpu_pool.c — persistent workers and a per-step barrier (cpu_pool.h).
 *
 * A waiter at the barrier spins first, because a step of a small layer
 * takes microseconds and a sleep/wake pair costs about as much; then it
 * sleeps on a futex, because on a machine with more runnable threads than
 * cores (a loaded CI machine, other benchmarks) the thread it waits for may
 * not be running, and a spinning or merely yielding waiter holds the core
 * that thread needs — a step then costs a scheduler time slice instead of
 * microseconds.  Between calls the workers sleep on a condition variable,
 * so an idle target costs nothing. */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu_pool.h"

/* Spins before a waiter sleeps: tens of microseconds of pause instructions. */
#define SPINS 2000
/* Polls of a new call before a worker sleeps on the condition variable. */
#define IDLE_POLLS 20000

struct rb_cpu_pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen; /* bumped for each call (under mu, for the sleepers) */
    int quit;        /* under mu */
    rb_cpu_pool_fn fn;
    void *arg;
    atomic_int count;    /* threads arrived at the barrier */
    atomic_uint bar;     /* barrier generation; the futex sleepers wait on */
    atomic_int sleepers; /* threads asleep (or about to be) on bar */
};

typedef struct worker {
    rb_cpu_pool *p;
    int tid;
} worker;

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wait until the barrier's generation moves past old: spin, then sleep.
 * The sleeper counts itself before FUTEX_WAIT rechecks the generation, and
 * the last arriver bumps the generation before reading the count (both
 * sequentially consistent): either it sees the sleeper and wakes it, or
 * the sleeper sees the new generation and does not sleep. */
static void wait_barrier(rb_cpu_pool *p, unsigned old)
{
    for (int i = 0; i < SPINS; i++) {
        if (atomic_load_explicit(&p->bar, memory_order_acquire) != old)
            return;
        relax();
    }
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(&p->bar) == old)
        syscall(SYS_futex, &p->bar, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
    atomic_fetch_sub(&p->sleepers, 1);
}

static void *work(void *arg)
{
    worker *w = arg;
    rb_cpu_pool *p = w->p;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
        for (int i = 0; g == seen && i < IDLE_POLLS; i++) {
            relax();
            g = atomic_load_explicit(&p->gen, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && !p->quit)
                pthread_cond_wait(&p->cv, &p->mu);
            int quit = p->quit;
            pthread_mutex_unlock(&p->mu);
            if (quit)
                break;
        }
        seen = g;
        p->fn(p->arg, w->tid, p->n);
        rb_cpu_pool_barrier(p); /* the caller returns when every thread is here */
    }
    free(w);
    return NULL;
}

int rb_cpu_pool_size(const rb_cpu_pool *p) { return p->n; }

rb_cpu_pool *rb_cpu_pool_new(int n)
{
    rb_cpu_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n < 1 ? 1 : n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (p->n > 1 && !(p->th = calloc((size_t)p->n - 1, sizeof *p->th))) {
        rb_cpu_pool_free(p);
        return NULL;
    }
    for (int i = 1; i < p->n; i++) {
        worker *w = malloc(sizeof *w);
        if (w) {
            *w = (worker){p, i};
            if (!pthread_create(&p->th[i - 1], NULL, work, w))
                continue;
            free(w);
        }
        p->n = i; /* free joins the ones that started */
        rb_cpu_pool_free(p);
        return NULL;
    }
    return p;
}

void rb_cpu_pool_free(rb_cpu_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n && p->th; i++)
        pthread_join(p->th[i - 1], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->th);
    free(p);
}

void rb_cpu_pool_run(rb_cpu_pool *p, rb_cpu_pool_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    rb_cpu_pool_barrier(p);
}

void rb_cpu_pool_barrier(rb_cpu_pool *p)
{
    if (p->n == 1)
        return;
    unsigned g = atomic_load_explicit(&p->bar, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->count, 1, memory_order_acq_rel) == p->n - 1) {
        /* the last to arrive resets the count before anyone can pass */
        atomic_store_explicit(&p->count, 0, memory_order_relaxed);
        atomic_fetch_add(&p->bar, 1);
        if (atomic_load(&p->sleepers) > 0)
            syscall(SYS_futex, &p->bar, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    } else {
        wait_barrier(p, g);
    }
}
