/* thread_pool.c: a fixed pool of worker threads for the CPU kernels. One parallel region at a time;
 * workers spin briefly for the next region (decode issues hundreds of small regions per token) and then
 * sleep on a condition variable. The caller's thread does the first chunk itself. A region started by
 * dlp_parallel_run runs on every thread and may split into phases with a spinning barrier. */
#include "cpu_internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define DLP_SPIN_ITERATIONS 50000
#define DLP_YIELD_EVERY 1024         /* a spinning thread gives its core away this often: with more pool
                                      * threads than free cores, the thread it waits for may need it */

struct dlp_thread_pool {
    int32_t n_threads;                 /* including the caller */
    pthread_t *workers;                /* [n_threads - 1] */
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    _Atomic uint64_t generation;       /* bumped for every region */
    _Atomic int32_t pending;           /* workers still running the current region */
    _Atomic int stop;
    dlp_range_fn fn;
    void *arg;
    int64_t n_items;
    _Atomic int32_t barrier_arrived;   /* threads waiting at the current barrier */
    _Atomic uint32_t barrier_phase;    /* bumped when the last thread arrives */
};

typedef struct { dlp_thread_pool *pool; int32_t index; } worker_start;

static void run_chunk(dlp_thread_pool *pool, int32_t index) {
    int64_t n = pool->n_items, t = pool->n_threads;
    int64_t begin = n * index / t, end = n * (index + 1) / t;
    if (begin < end) pool->fn(pool->arg, begin, end, index);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One step of a spin-wait: a pause, and every DLP_YIELD_EVERY steps a yield of the core. */
static inline void spin_step(int spins) {
    if (spins % DLP_YIELD_EVERY == DLP_YIELD_EVERY - 1) sched_yield();
    else cpu_relax();
}

static void *worker_main(void *p) {
    worker_start start = *(worker_start *)p;
    free(p);
    dlp_thread_pool *pool = start.pool;
    uint64_t seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
               !atomic_load(&pool->stop) && spins < DLP_SPIN_ITERATIONS) {
            spin_step(spins);
            spins++;
        }
        if (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen && !atomic_load(&pool->stop)) {
            pthread_mutex_lock(&pool->mutex);
            while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        run_chunk(pool, start.index);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
    }
}

dlp_thread_pool *dlp_thread_pool_create(int32_t n_threads) {
    if (n_threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = cores > 0 ? (int32_t)cores : 1;
    }
    dlp_thread_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    if (n_threads > 1) {
        pool->workers = calloc((size_t)n_threads - 1, sizeof(pthread_t));
        if (!pool->workers) { free(pool); return NULL; }
        for (int32_t i = 1; i < n_threads; i++) {
            worker_start *s = malloc(sizeof *s);
            if (!s) { pool->n_threads = i; break; }
            s->pool = pool;
            s->index = i;
            if (pthread_create(&pool->workers[i - 1], NULL, worker_main, s) != 0) {
                free(s);
                pool->n_threads = i;
                break;
            }
        }
    }
    return pool;
}

void dlp_thread_pool_destroy(dlp_thread_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int32_t i = 1; i < pool->n_threads; i++) pthread_join(pool->workers[i - 1], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free(pool);
}

int32_t dlp_thread_pool_size(const dlp_thread_pool *pool) { return pool->n_threads; }

void dlp_parallel_for(dlp_thread_pool *pool, int64_t n, int64_t min_items_per_thread, dlp_range_fn fn, void *arg) {
    if (n <= 0) return;
    if (pool->n_threads == 1 || n < 2 * (min_items_per_thread > 0 ? min_items_per_thread : 1)) {
        fn(arg, 0, n, 0);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    pool->n_items = n;
    atomic_store_explicit(&pool->pending, pool->n_threads - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    run_chunk(pool, 0);
    for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; spins++) spin_step(spins);
}

typedef struct { dlp_thread_fn fn; void *arg; int32_t n_threads; } run_args;

static void run_one_thread(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)begin; (void)end;
    const run_args *a = p;
    a->fn(a->arg, thread, a->n_threads);
}

void dlp_parallel_run(dlp_thread_pool *pool, dlp_thread_fn fn, void *arg) {
    run_args args = {fn, arg, pool->n_threads};
    /* one item per thread, so every thread runs (and can meet at the barrier) */
    dlp_parallel_for(pool, pool->n_threads, 1, run_one_thread, &args);
}

void dlp_parallel_barrier(dlp_thread_pool *pool) {
    if (pool->n_threads == 1) return;
    uint32_t phase = atomic_load_explicit(&pool->barrier_phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&pool->barrier_arrived, 1, memory_order_acq_rel) == pool->n_threads - 1) {
        atomic_store_explicit(&pool->barrier_arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&pool->barrier_phase, 1, memory_order_release);
        return;
    }
    for (int spins = 0; atomic_load_explicit(&pool->barrier_phase, memory_order_acquire) == phase; spins++)
        spin_step(spins);
}
