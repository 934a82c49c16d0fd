/* runner.c: worker threads that execute queued import runs. */
#include "sched/runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "pipeline/import.h"
#include "platform/platform.h"
#include "store/runs.h"

#define MAX_WORKERS 8

struct worker {
    struct runner *r;
    pthread_t thread;
    int started;
    int64_t run_id; /* 0: idle; guarded by r->mu */
    struct import_cancel cancel;
};

struct runner {
    struct app *app;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int pending; /* wake-ups not yet seen */
    int n;
    struct worker w[MAX_WORKERS];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct runner *r = w->r;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && !r->pending) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) {
                break; /* poll the table every second as well */
            }
        }
        if (r->pending > 0) {
            r->pending--;
        }
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop) {
            break;
        }
        for (;;) {
            struct store_run run;
            struct store_conn *c = store_acquire(r->app->store);
            int rc = store_run_claim(c, plat_now(), &run);
            store_release(r->app->store, c);
            if (rc != ACDL_OK) {
                break;
            }
            pthread_mutex_lock(&r->mu);
            w->run_id = run.id;
            w->cancel.flag = r->stop;
            pthread_mutex_unlock(&r->mu);
            log_info("sched", "run %lld of source '%s' started", (long long)run.id,
                     run.source_name);
            import_run(r->app, &run, &w->cancel);
            /* a run's buffers (tens of MB) were freed: give the pages back to the system
             * instead of keeping them in this thread's allocator arena */
            plat_memory_trim();
            pthread_mutex_lock(&r->mu);
            w->run_id = 0;
            stop = r->stop;
            pthread_mutex_unlock(&r->mu);
            if (stop) {
                break;
            }
        }
    }
    return NULL;
}

int runner_start(struct app *app, int nworkers, struct runner **out)
{
    int requeued = 0;
    struct runner *r = calloc(1, sizeof(*r));
    if (!r) {
        return ACDL_ENOMEM;
    }
    r->app = app;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    struct store_conn *c = store_acquire(app->store);
    store_run_requeue_interrupted(c, &requeued);
    store_release(app->store, c);
    if (requeued > 0) {
        log_warn("sched", "%d runs were interrupted by a stop or crash; they run again", requeued);
    }
    if (nworkers < 1) {
        nworkers = 1;
    }
    if (nworkers > MAX_WORKERS) {
        nworkers = MAX_WORKERS;
    }
    r->pending = requeued > 0 ? nworkers : 0;
    for (int i = 0; i < MAX_WORKERS; i++) {
        r->w[i].r = r;
        import_cancel_init(&r->w[i].cancel);
    }
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &r->w[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            log_error("sched", "cannot start import worker %d", i);
            break;
        }
        w->started = 1;
        r->n++;
    }
    if (r->n == 0) {
        runner_stop(r);
        return ACDL_EIO;
    }
    *out = r;
    return ACDL_OK;
}

void runner_wake(struct runner *r)
{
    if (!r) {
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->pending++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int runner_cancel(struct runner *r, int64_t run_id)
{
    int rc = ACDL_ENOTFOUND;
    if (!r) {
        return rc;
    }
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->n; i++) {
        if (r->w[i].run_id == run_id) {
            import_cancel(&r->w[i].cancel);
            rc = ACDL_OK;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void runner_stop(struct runner *r)
{
    if (!r) {
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    for (int i = 0; i < r->n; i++) {
        if (r->w[i].run_id) {
            import_cancel(&r->w[i].cancel);
        }
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < MAX_WORKERS; i++) {
        if (r->w[i].started) {
            pthread_join(r->w[i].thread, NULL);
        }
        import_cancel_destroy(&r->w[i].cancel);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
