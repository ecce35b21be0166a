/* test_cpu_pool.c — the cpu target's workers (targets/cpu/cpu_pool.h): every
 * thread runs each call, and no thread passes a barrier before all have
 * reached it, with more threads than this machine has cores (spinning
 * waiters must yield, not deadlock). */
#include <stdatomic.h>
#include <stdlib.h>

#include "../../targets/cpu/cpu_pool.h"
#include "../rb_test.h"

#define THREADS 3
#define ROUNDS 500

typedef struct job {
    rb_cpu_pool *pool;
    int slot[THREADS]; /* each thread's round, written before the barrier */
    atomic_int bad;    /* a thread that saw another's slot behind its round */
    atomic_int ran[THREADS];
} job;

static void rounds(void *arg, int tid, int n)
{
    job *j = arg;
    atomic_fetch_add(&j->ran[tid], 1);
    for (int r = 1; r <= ROUNDS; r++) {
        j->slot[tid] = r;
        rb_cpu_pool_barrier(j->pool);
        for (int k = 0; k < n; k++)
            if (j->slot[k] != r)
                atomic_fetch_add(&j->bad, 1);
        rb_cpu_pool_barrier(j->pool); /* nobody writes round r+1 while others read r */
    }
}

int main(void)
{
    job j = {0};
    j.pool = rb_cpu_pool_new(THREADS);
    CHECK(j.pool != NULL);
    if (!j.pool)
        return 1;
    CHECK_INT(rb_cpu_pool_size(j.pool), THREADS);
    for (int call = 0; call < 3; call++) /* the workers wait for, and run, each call */
        rb_cpu_pool_run(j.pool, rounds, &j);
    CHECK_INT(atomic_load(&j.bad), 0);
    for (int k = 0; k < THREADS; k++)
        CHECK_INT(atomic_load(&j.ran[k]), 3);
    rb_cpu_pool_free(j.pool);

    /* one thread: run calls fn on the caller, the barrier returns at once */
    job one = {0};
    one.pool = rb_cpu_pool_new(1);
    CHECK(one.pool != NULL);
    rb_cpu_pool_run(one.pool, rounds, &one);
    CHECK_INT(atomic_load(&one.ran[0]), 1);
    CHECK_INT(atomic_load(&one.bad), 0);
    rb_cpu_pool_free(one.pool);
    return rb_test_done("test_cpu_pool");
}
