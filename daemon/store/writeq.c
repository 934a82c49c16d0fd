/* writeq.c: the daemon's writers in line for the write lock (see writeq.h). The lock passes
 * from the leaving writer straight to the first in line (its flag set and its own condition
 * signalled under the mutex), so no wake-up is lost and nobody can overtake the line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "store/writeq.h"

struct writeq_waiter {
    pthread_cond_t cv;
    const char *kind;
    int granted;
    struct writeq_waiter *next;
};

int64_t writeq_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A wait's end for pthread_cond_timedwait, ms from now (the conditions keep their default
 * clock, as everywhere in the daemon: the Windows build's threads know no other). */
static struct timespec deadline_in(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void writeq_init(struct writeq *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->changed, NULL);
}

void writeq_destroy(struct writeq *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->changed);
}

/* The counters of kind; with q->mu held. Kinds are static strings: the address usually finds
 * them, the text when one kind came from two copies of a string. */
static struct writeq_stat *stat_of(struct writeq *q, const char *kind)
{
    if (!kind) {
        kind = "other";
    }
    for (int i = 0; i < q->nstats; i++) {
        if (q->stats[i].kind == kind || !strcmp(q->stats[i].kind, kind)) {
            return &q->stats[i];
        }
    }
    if (q->nstats == WRITEQ_KINDS) {
        struct writeq_stat *last = &q->stats[WRITEQ_KINDS - 1];
        last->kind = "other";
        return last;
    }
    struct writeq_stat *s = &q->stats[q->nstats++];
    s->kind = kind;
    return s;
}

/* A release or a commit: wakes writeq_await. With q->mu held. */
static void moved(struct writeq *q)
{
    q->gen++;
    pthread_cond_broadcast(&q->changed);
}

static void got_lock(struct writeq *q, const char *kind, int64_t waited, int64_t now)
{
    struct writeq_stat *s = stat_of(q, kind);
    q->busy = 1;
    q->holder = kind;
    q->since_us = now;
    s->n++;
    s->wait_us += waited;
    if (waited > s->wait_max_us) {
        s->wait_max_us = waited;
    }
}

int writeq_enter(struct writeq *q, const char *kind, int timeout_ms, int64_t *waited_us, char *err,
                 size_t errsz)
{
    int64_t t0 = writeq_now_us();
    if (waited_us) {
        *waited_us = 0;
    }
    pthread_mutex_lock(&q->mu);
    if (!q->busy && !q->head) {
        got_lock(q, kind, 0, t0);
        pthread_mutex_unlock(&q->mu);
        return ACDL_OK;
    }
    struct writeq_waiter w = {.kind = kind};
    pthread_cond_init(&w.cv, NULL);
    if (q->tail) {
        q->tail->next = &w;
    } else {
        q->head = &w;
    }
    q->tail = &w;
    q->nwaiting++;
    struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    while (!w.granted) {
        if (pthread_cond_timedwait(&w.cv, &q->mu, &until) == ETIMEDOUT && !w.granted) {
            break;
        }
    }
    int64_t now = writeq_now_us();
    int rc = ACDL_OK;
    if (w.granted) {
        got_lock(q, kind, now - t0, now); /* writeq_leave took w out of the line */
    } else {
        struct writeq_waiter **p = &q->head, *prev = NULL;
        while (*p != &w) {
            prev = *p;
            p = &(*p)->next;
        }
        *p = w.next;
        if (q->tail == &w) {
            q->tail = prev;
        }
        q->nwaiting--;
        stat_of(q, kind)->timeouts++;
        if (errsz) {
            snprintf(err, errsz,
                     "waited %d ms for the database's write lock in vain: %s held it for %lld ms "
                     "and %d more waited",
                     timeout_ms, q->holder ? q->holder : "another writer",
                     (long long)((now - q->since_us) / 1000), q->nwaiting);
        }
        rc = ACDL_EAGAIN;
    }
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&w.cv);
    if (waited_us) {
        *waited_us = now - t0;
    }
    return rc;
}

void writeq_leave(struct writeq *q)
{
    int64_t now = writeq_now_us();
    pthread_mutex_lock(&q->mu);
    if (q->busy) {
        struct writeq_stat *s = stat_of(q, q->holder);
        int64_t held = now - q->since_us;
        s->held_us += held;
        if (held > s->held_max_us) {
            s->held_max_us = held;
        }
    }
    struct writeq_waiter *w = q->head;
    if (w) {
        q->head = w->next;
        if (!q->head) {
            q->tail = NULL;
        }
        q->nwaiting--;
        w->granted = 1;
        q->holder = w->kind; /* busy stays: the lock is w's now */
        q->since_us = now;
        pthread_cond_signal(&w->cv);
    } else {
        q->busy = 0;
        q->holder = NULL;
    }
    moved(q);
    pthread_mutex_unlock(&q->mu);
}

uint64_t writeq_gen(struct writeq *q)
{
    return writeq_await(q, UINT64_MAX, 0); /* the generation never reaches UINT64_MAX */
}

uint64_t writeq_await(struct writeq *q, uint64_t seen, int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&q->mu);
    while (q->gen == seen) {
        if (pthread_cond_timedwait(&q->changed, &q->mu, &until) == ETIMEDOUT) {
            break;
        }
    }
    uint64_t g = q->gen;
    pthread_mutex_unlock(&q->mu);
    return g;
}

void writeq_note_commit(struct writeq *q)
{
    pthread_mutex_lock(&q->mu);
    moved(q);
    pthread_mutex_unlock(&q->mu);
}

void writeq_note_busy(struct writeq *q, const char *kind, int64_t us)
{
    pthread_mutex_lock(&q->mu);
    stat_of(q, kind)->busy_us += us;
    pthread_mutex_unlock(&q->mu);
}

int writeq_waiting(struct writeq *q)
{
    pthread_mutex_lock(&q->mu);
    int n = q->nwaiting;
    pthread_mutex_unlock(&q->mu);
    return n;
}

int writeq_stats(struct writeq *q, struct writeq_stat *out, int max)
{
    pthread_mutex_lock(&q->mu);
    int n = q->nstats < max ? q->nstats : max;
    memcpy(out, q->stats, (size_t)n * sizeof(*out));
    pthread_mutex_unlock(&q->mu);
    return n;
}
