/* uploader.c: the uploader thread (see uploader.h). */
#include "upload/uploader.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "platform/platform.h"
#include "store/targets.h"
#include "upload/connector.h"
#include "upload/https_keep.h"
#include "upload/outbox.h"

#define ROUND_MS 250
#define LEFTOVER_AGE_S 30
#define MAX_TARGETS 256

struct send_job;

/* A target's kept sender thread (agent-state batches): started at its first such batch, ended
 * when the target is no longer enabled and when the uploader stops. Its job and quit are under
 * the uploader's mu. */
struct sender {
    int64_t target_id;
    pthread_t thread;
    pthread_cond_t cv; /* a job or quit for it */
    struct send_job *job;
    int quit;
    struct uploader *u;
};

struct uploader {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    int woken;
    uint64_t rng;
    struct sender **senders; /* the uploader thread's own */
    int nsenders;
};

int64_t uploader_backoff(int attempt, int64_t base, int64_t cap, int64_t retry_after, double r)
{
    int64_t ceiling = base;
    for (int i = 1; i < attempt && ceiling < cap; i++) {
        ceiling *= 2;
    }
    if (ceiling > cap) {
        ceiling = cap;
    }
    int64_t d = (int64_t)(r * (double)(ceiling + 1));
    if (d > ceiling) {
        d = ceiling;
    }
    /* the clock counts whole seconds: one more makes "not before Retry-After" certain */
    if (retry_after >= 0 && d < retry_after + 1) {
        d = retry_after + 1;
    }
    return d;
}

static double next_random(struct uploader *u)
{
    /* xorshift64*: the jitter needs spread, not secrecy */
    u->rng ^= u->rng >> 12;
    u->rng ^= u->rng << 25;
    u->rng ^= u->rng >> 27;
    return (double)((u->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* Loads target id for sending: settings parsed, secret opened. */
int uploader_target_load(struct app *app, struct store_conn *c, int64_t id, struct upload_target *t)
{
    struct store_target st;
    int rc = store_target_get(c, id, &st);
    memset(t, 0, sizeof(*t));
    if (rc != ACDL_OK) {
        return rc;
    }
    t->id = st.id;
    snprintf(t->name, sizeof(t->name), "%s", st.name);
    snprintf(t->connector, sizeof(t->connector), "%s", st.connector);
    t->settings = json_loads(st.settings, 0, NULL);
    if (st.secret_sealed && app->secrets) {
        char aad[64];
        size_t len = 0;
        snprintf(aad, sizeof(aad), "targets/%lld/secret", (long long)id);
        if (secret_open(app->secrets, aad, st.secret_sealed, &t->secret, &len) != ACDL_OK) {
            log_error("upload",
                      "target %lld: the stored secret cannot be opened (another key "
                      "file?); set it again",
                      (long long)id);
            t->secret = NULL;
        }
    }
    store_target_clear(&st);
    return t->settings ? ACDL_OK : ACDL_EINVAL;
}

void uploader_target_free(struct upload_target *t)
{
    if (t) {
        json_decref(t->settings);
        if (t->secret) {
            secret_wipe(t->secret, strlen(t->secret));
        }
        t->settings = NULL;
        t->secret = NULL;
    }
}

/* One send on the target's sender thread, so the uploader makes the next batch of the change
 * feed while this one is in flight (outbox_agents: a connector whose batches do not depend on
 * the answer to the one before may have one made behind the one being sent). */
struct send_job {
    const struct upload_connector *con;
    const struct upload_target *t;
    const struct upload_payload *p;
    const char *key;
    struct upload_answer *a;
    int rc;
    int done;   /* under u->mu */
    int64_t ms; /* how long the send took */
};

static void send_run(struct send_job *j)
{
    int64_t t0 = plat_monotonic_ms();
    j->rc = j->con->send(j->t, j->p, j->key, j->a);
    j->ms = plat_monotonic_ms() - t0;
}

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    struct uploader *u = s->u;
    pthread_mutex_lock(&u->mu);
    for (;;) {
        while (!s->job && !s->quit) {
            pthread_cond_wait(&s->cv, &u->mu);
        }
        if (!s->job) {
            break;
        }
        struct send_job *j = s->job;
        pthread_mutex_unlock(&u->mu);
        send_run(j);
        pthread_mutex_lock(&u->mu);
        j->done = 1;
        s->job = NULL;
        pthread_cond_broadcast(&u->cv);
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

/* Ends sender i (after the job it has, which the uploader waited for) and joins it. */
static void sender_end(struct uploader *u, int i)
{
    struct sender *s = u->senders[i];
    pthread_mutex_lock(&u->mu);
    s->quit = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&u->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    free(s);
    u->senders[i] = u->senders[--u->nsenders];
}

/* The sender thread of target_id, started when it has none; NULL when it cannot be. */
static struct sender *sender_of(struct uploader *u, int64_t target_id)
{
    for (int i = 0; i < u->nsenders; i++) {
        if (u->senders[i]->target_id == target_id) {
            return u->senders[i];
        }
    }
    struct sender **g = realloc(u->senders, (size_t)(u->nsenders + 1) * sizeof(*g));
    struct sender *s = g ? calloc(1, sizeof(*s)) : NULL;
    if (g) {
        u->senders = g;
    }
    if (!s) {
        return NULL;
    }
    s->target_id = target_id;
    s->u = u;
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pthread_cond_destroy(&s->cv);
        free(s);
        return NULL;
    }
    u->senders[u->nsenders++] = s;
    return s;
}

/* Ends the sender threads of targets not among the n enabled ones of list (all: list NULL). */
static void senders_prune(struct uploader *u, const struct store_target *list, int n)
{
    for (int i = u->nsenders; i-- > 0;) {
        int keep = 0;
        for (int k = 0; list && k < n && !keep; k++) {
            keep = list[k].enabled && list[k].id == u->senders[i]->target_id;
        }
        if (!keep) {
            sender_end(u, i);
        }
    }
}

/* The clock of the uploader's condition variable ms milliseconds (< 1 s) from now. */
static void deadline_in(int ms, struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits up to ms for j to end or the uploader to be woken (a poll staged changes); 1 when j
 * ended. */
static int send_wait(struct uploader *u, struct send_job *j, int ms)
{
    struct timespec ts;
    deadline_in(ms, &ts);
    pthread_mutex_lock(&u->mu);
    while (!j->done && !u->woken) {
        if (pthread_cond_timedwait(&u->cv, &u->mu, &ts) != 0) {
            break;
        }
    }
    u->woken = 0;
    int done = j->done;
    pthread_mutex_unlock(&u->mu);
    return done;
}

/* Sends p for batch b of target t (*ms: how long that took); for a batch of agent states, on a
 * thread of its own while this one makes the change feed's next batch from the changes staged
 * meanwhile (once one is made, the feed waits for this send). */
static int send_and_feed(struct uploader *u, const struct upload_connector *con,
                         const struct upload_target *t, const struct upload_payload *p,
                         const struct store_batch *b, struct upload_answer *a, int64_t *ms)
{
    struct send_job j = {con, t, p, b->key, a, ACDL_OK, 0, 0};
    struct sender *s = strcmp(b->kind, "agent_states") == 0 ? sender_of(u, t->id) : NULL;
    if (!s) {
        send_run(&j);
        *ms = j.ms;
        return j.rc;
    }
    pthread_mutex_lock(&u->mu);
    s->job = &j;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&u->mu);
    int made = 0;
    do {
        struct store_conn *c = store_acquire(u->app->store);
        int64_t t0 = plat_monotonic_ms();
        outbox_agents(c, plat_now(), &made);
        store_release(u->app->store, c);
        if (made > 0) {
            log_debug("upload",
                      "agent-state feed: %d batches made in %lld ms while batch %lld is sent", made,
                      (long long)(plat_monotonic_ms() - t0), (long long)b->id);
        }
    } while (made == 0 && !atomic_load(&u->stop) && !send_wait(u, &j, ROUND_MS));
    pthread_mutex_lock(&u->mu); /* the send ends before j goes */
    while (!j.done) {
        pthread_cond_wait(&u->cv, &u->mu);
    }
    pthread_mutex_unlock(&u->mu);
    *ms = j.ms;
    return j.rc;
}

/* Sends batch b of target t; returns 1 when it was acked. */
static int deliver(struct uploader *u, struct upload_target *t, const struct store_batch *b)
{
    struct store *st = u->app->store;
    const struct upload_connector *con = upload_connector_find(t->connector);
    struct upload_payload p;
    struct upload_answer a;
    struct store_attempt at;
    int64_t now = plat_now();
    memset(&p, 0, sizeof(p));
    memset(&at, 0, sizeof(at));
    if (!con) {
        return 0;
    }
    int64_t t_read = plat_monotonic_ms();
    struct store_conn *c = store_acquire(st);
    int rc = store_batch_body(c, b->id, &p.body, &p.len);
    if (rc == ACDL_OK) {
        rc = store_batch_mark_sending(c, b->id, now);
    }
    store_release(st, c);
    if (rc != ACDL_OK) {
        upload_payload_clear(&p);
        return 0;
    }
    snprintf(p.endpoint, sizeof(p.endpoint), "%s", b->endpoint);
    snprintf(p.content_type, sizeof(p.content_type), "%s", b->content_type);
    size_t body_len = p.len;
    int64_t send_ms = 0;
    int64_t t0 = plat_monotonic_ms();
    rc = send_and_feed(u, con, t, &p, b, &a, &send_ms);
    upload_payload_clear(&p);
    if (rc != ACDL_OK) {
        memset(&a, 0, sizeof(a));
        a.fail = UPLOAD_FAIL_IO;
        a.retry_after = -1;
        snprintf(a.error, sizeof(a.error), "%s", acdl_strerror(rc));
        snprintf(a.error_code, sizeof(a.error_code), "%s", acdl_strerror_code(rc));
        snprintf(a.error_params, sizeof(a.error_params), "{}");
    }
    enum upload_verdict v = upload_classify(&a);
    now = plat_now();
    at.n = b->attempts + 1;
    at.started_at = now;
    at.duration_ms = (int)send_ms;
    at.http_status = a.status;
    snprintf(at.answer, sizeof(at.answer), "%s", a.answer);
    if (a.fail != UPLOAD_FAIL_NONE || v != UPLOAD_ACKED) {
        upload_delivery_error(&a, at.error, sizeof(at.error), at.error_code, sizeof(at.error_code),
                              at.error_params, sizeof(at.error_params));
    }
    const char *state;
    int64_t next = now;
    if (v == UPLOAD_ACKED) {
        state = "acked";
        snprintf(at.outcome, sizeof(at.outcome), "acked");
    } else if (v == UPLOAD_RETRY) {
        const struct acdl_config *cfg = u->app->cfg;
        state = "pending";
        snprintf(at.outcome, sizeof(at.outcome), "retry");
        next = now + uploader_backoff(at.n, cfg->upload_backoff_base, cfg->upload_backoff_cap,
                                      a.retry_after, next_random(u));
    } else {
        state = "failed";
        snprintf(at.outcome, sizeof(at.outcome), "failed");
    }
    int64_t t_record = plat_monotonic_ms();
    c = store_acquire(st);
    if (v == UPLOAD_ACKED) {
        sqlite3_exec(store_db(c), "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    }
    rc = store_batch_finish(c, b->id, state, next, &at, now);
    if (v == UPLOAD_ACKED) {
        sqlite3_exec(store_db(c), "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    }
    store_release(st, c);
    if (rc != ACDL_OK) {
        log_error("upload", "target %s: recording the answer of batch %lld failed", t->name,
                  (long long)b->id);
    } else if (v == UPLOAD_FAILED) {
        log_error("upload", "target %s: batch %lld failed for good: %s", t->name, (long long)b->id,
                  at.error);
    } else if (v == UPLOAD_RETRY) {
        log_warn("upload", "target %s: batch %lld attempt %d: %s; next try in %lld s", t->name,
                 (long long)b->id, at.n, at.error, (long long)(next - now));
    } else {
        log_debug("upload",
                  "target %s: batch %lld delivered (%d items, %zu bytes): read %lld ms, "
                  "send %d ms (done after %lld ms), record %lld ms",
                  t->name, (long long)b->id, b->items, body_len, (long long)(t0 - t_read),
                  at.duration_ms, (long long)(t_record - t0),
                  (long long)(plat_monotonic_ms() - t_record));
    }
    return v == UPLOAD_ACKED && rc == ACDL_OK;
}

/* One round over the enabled targets; returns how many batches were acked. */
static int round_once(struct uploader *u)
{
    struct store *st = u->app->store;
    struct store_target *targets = NULL;
    int n = 0, acked = 0;
    struct store_conn *c = store_acquire(st);
    outbox_flush(c, plat_now(), LEFTOVER_AGE_S, NULL);
    int64_t t0 = plat_monotonic_ms();
    int feed = 0;
    outbox_agents(c, plat_now(), &feed);
    if (feed > 0) {
        log_debug("upload", "agent-state feed: %d batches made in %lld ms", feed,
                  (long long)(plat_monotonic_ms() - t0));
    }
    int rc = store_target_list(c, 0, MAX_TARGETS, &targets, &n);
    store_release(st, c);
    if (rc != ACDL_OK) {
        return 0;
    }
    for (int i = 0; i < n && !atomic_load(&u->stop); i++) {
        struct store_batch b;
        struct upload_target t;
        if (!targets[i].enabled) {
            continue;
        }
        c = store_acquire(st);
        rc = store_batch_next(c, targets[i].id, plat_now(), &b);
        if (rc == ACDL_OK) {
            rc = uploader_target_load(u->app, c, targets[i].id, &t);
        }
        store_release(st, c);
        if (rc != ACDL_OK) {
            continue;
        }
        acked += deliver(u, &t, &b);
        uploader_target_free(&t);
    }
    senders_prune(u, targets, n);
    for (int i = 0; i < n; i++) {
        store_target_clear(&targets[i]);
    }
    free(targets);
    return acked;
}

static void *uploader_main(void *p)
{
    struct uploader *u = p;
    struct store_conn *c = store_acquire(u->app->store);
    int reset = store_batch_reset_sending(c);
    store_release(u->app->store, c);
    if (reset > 0) {
        log_info("upload",
                 "%d batches were being sent when the daemon stopped; they are sent "
                 "again with the same Idempotency-Key",
                 reset);
    }
    while (!atomic_load(&u->stop)) {
        int acked = round_once(u);
        https_keep_prune();
        if (acked > 0) {
            continue; /* drain a backlog without pausing */
        }
        struct timespec ts;
        deadline_in(ROUND_MS, &ts);
        pthread_mutex_lock(&u->mu);
        while (!u->woken && !atomic_load(&u->stop)) {
            if (pthread_cond_timedwait(&u->cv, &u->mu, &ts) != 0) {
                break;
            }
        }
        u->woken = 0;
        pthread_mutex_unlock(&u->mu);
    }
    senders_prune(u, NULL, 0);
    free(u->senders);
    u->senders = NULL;
    return NULL;
}

int uploader_start(struct app *app, struct uploader **out)
{
    struct uploader *u = calloc(1, sizeof(*u));
    *out = NULL;
    if (!u) {
        return ACDL_ENOMEM;
    }
    u->app = app;
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    atomic_init(&u->stop, 0);
    if (crypto_random(&u->rng, sizeof(u->rng)) != ACDL_OK || u->rng == 0) {
        u->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)plat_monotonic_ms();
    }
    if (pthread_create(&u->thread, NULL, uploader_main, u) != 0) {
        pthread_mutex_destroy(&u->mu);
        pthread_cond_destroy(&u->cv);
        free(u);
        return ACDL_EAGAIN;
    }
    *out = u;
    return ACDL_OK;
}

void uploader_wake(struct uploader *u)
{
    if (!u) {
        return;
    }
    pthread_mutex_lock(&u->mu);
    u->woken = 1;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

void uploader_stop(struct uploader *u)
{
    if (!u) {
        return;
    }
    atomic_store(&u->stop, 1);
    uploader_wake(u);
    pthread_join(u->thread, NULL);
    https_keep_clear();
    pthread_mutex_destroy(&u->mu);
    pthread_cond_destroy(&u->cv);
    free(u);
}
