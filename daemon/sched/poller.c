/* poller.c: the thread that follows incremental agent-state sources (see poller.h). */
#include "sched/poller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/agent_follow.h"
#include "pipeline/agent_import.h"
#include "pipeline/rows.h"
#include "platform/platform.h"
#include "sched/runner.h"
#include "store/runs.h"
#include "upload/uploader.h"

#define MAX_SOURCES 256
#define REFRESH_MS 2000
#define TICK_MS 100
#define BACKOFF_MAX_MS 60000
#define FAIL_LOG_EVERY_MS 300000

struct followed {
    int64_t id;
    int poll_s, reconcile_minutes, reconcile_hours;
    char zone[65];
    int64_t next_ms;     /* monotonic time of its next poll */
    int fails;           /* polls failed in a row */
    int64_t fail_log_ms; /* when its failure was last logged */
    int64_t updated_at;  /* of its settings: a change is polled at once */
    int seen;
    int file; /* follows a growing file (settings.follow), not a query */
    struct agent_follow_keep keep; /* its connection and last read, between polls */
};

struct poller {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    struct import_cancel cancel;
    struct followed src[MAX_SOURCES];
    int n;
};

/* Reads which sources are followed; keeps the timing of those already known. */
static void refresh(struct poller *p, int64_t now_ms)
{
    struct store_conn *c = store_acquire(p->app->store);
    sqlite3_stmt *s = store_prepare(
        c, "SELECT id, json_extract(settings, '$.' || k || '.poll_s'), json_extract(settings, "
           "'$.' || k || '.reconcile_minutes'), json_extract(settings, '$.' || k || "
           "'.reconcile_hours'), time_zone, updated_at, k = 'follow' FROM (SELECT *, CASE WHEN "
           "kind = 'odbc' AND json_type(settings, '$.live_status') = 'object' THEN 'live_status' "
           "WHEN kind = 'odbc' THEN 'incremental' ELSE 'follow' END AS k FROM sources WHERE "
           "enabled = 1 AND product = 'agent_states') WHERE json_type(settings, '$.' || k) = "
           "'object' ORDER BY id");
    for (int i = 0; i < p->n; i++) {
        p->src[i].seen = 0;
    }
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        struct followed *f = NULL;
        for (int i = 0; i < p->n && !f; i++) {
            f = p->src[i].id == id ? &p->src[i] : NULL;
        }
        if (!f && p->n < MAX_SOURCES) {
            f = &p->src[p->n++];
            memset(f, 0, sizeof(*f));
            f->id = id;
            f->next_ms = now_ms;
        }
        if (!f) {
            continue;
        }
        f->seen = 1;
        f->file = sqlite3_column_int(s, 6);
        if (f->updated_at != sqlite3_column_int64(s, 5)) {
            if (f->updated_at && f->keep.conn.conn) {
                log_info("follow", "source %lld: settings changed: connecting again",
                         (long long)id);
            }
            f->updated_at = sqlite3_column_int64(s, 5);
            f->next_ms = now_ms;
            agent_follow_keep_reset(&f->keep); /* connected and read with the old settings */
        }
        f->poll_s = sqlite3_column_int(s, 1) > 0 ? sqlite3_column_int(s, 1) : 5;
        f->reconcile_minutes = sqlite3_column_int(s, 2);
        f->reconcile_hours = sqlite3_column_int(s, 3) > 0 ? sqlite3_column_int(s, 3) : 24;
        const char *z = (const char *)sqlite3_column_text(s, 4);
        snprintf(f->zone, sizeof(f->zone), "%s", z ? z : "UTC");
    }
    store_done(s);
    store_release(p->app->store, c);
    int w = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->src[i].seen) {
            p->src[w++] = p->src[i];
        } else {
            if (p->src[i].keep.conn.conn) {
                log_info("follow",
                         "source %lld: no longer followed (disabled, changed or "
                         "deleted): its connection is closed",
                         (long long)p->src[i].id);
            }
            agent_follow_keep_free(&p->src[i].keep);
        }
    }
    p->n = w;
}

/* Queues the reconciliation run of f when it is due and no run of the source waits or runs:
 * the local days of the last reconcile_hours, in one transaction with its next due time. */
static void reconcile_due(struct poller *p, struct followed *f, int64_t now)
{
    struct store_conn *c;
    struct tz *tz = NULL;
    struct tz_date a, b;
    int minute = 0, second = 0, due = 0, rc;
    char from[11], to[11];
    int64_t run_id = 0;
    if (f->reconcile_minutes <= 0) {
        return;
    }
    c = store_acquire(p->app->store);
    sqlite3_stmt *s = store_prepare(
        c, f->file ? "SELECT (next_reconcile_at IS NULL OR next_reconcile_at <= ?2) AND NOT EXISTS "
                     "(SELECT 1 FROM runs WHERE source_id = ?1 AND state IN ('queued', "
                     "'running')) FROM source_file_follow WHERE source_id = ?1"
                   : "SELECT (next_reconcile_at IS NULL OR next_reconcile_at <= ?2) AND NOT EXISTS "
                     "(SELECT 1 FROM runs WHERE source_id = ?1 AND state IN ('queued', "
                     "'running')) FROM source_follow WHERE source_id = ?1");
    if (s) {
        sqlite3_bind_int64(s, 1, f->id);
        sqlite3_bind_int64(s, 2, now);
        due = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
        store_done(s);
    }
    if (!due || tz_open(f->zone, &tz) != ACDL_OK) {
        store_release(p->app->store, c);
        return;
    }
    tz_utc_to_local(tz, now - (int64_t)f->reconcile_hours * 3600, &a, &minute, &second, NULL);
    tz_utc_to_local(tz, now, &b, &minute, &second, NULL);
    tz_close(tz);
    tz_date_format(a, from);
    tz_date_format(b, to);
    rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_run_add(c, f->id, "schedule", from, to, 0, "reconciliation", now, &run_id);
    }
    s = rc != ACDL_OK ? NULL
        : f->file     ? store_prepare(c, "UPDATE source_file_follow SET next_reconcile_at = ?, "
                                         "last_reconcile_run = ? WHERE source_id = ?")
                      : store_prepare(c, "UPDATE source_follow SET next_reconcile_at = ?, "
                                         "last_reconcile_run = ? WHERE source_id = ?");
    if (s) {
        sqlite3_bind_int64(s, 1, now + (int64_t)f->reconcile_minutes * 60);
        sqlite3_bind_int64(s, 2, run_id);
        sqlite3_bind_int64(s, 3, f->id);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        store_done(s);
    } else if (rc == ACDL_OK) {
        rc = ACDL_EDB;
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    store_release(p->app->store, c);
    if (rc == ACDL_OK) {
        log_info("follow", "source %lld: reconciliation run %lld queued for %s .. %s",
                 (long long)f->id, (long long)run_id, from, to);
        runner_wake(p->app->runner);
    }
}

static void poll_one(struct poller *p, struct followed *f, int64_t now_ms)
{
    struct agent_follow_poll res;
    char err[600] = "";
    if (!agent_follow_trylock(f->id)) {
        f->next_ms = now_ms + 250; /* a run reads or stages the source: right after it */
        return;
    }
    int rc = agent_import_poll(p->app, f->id, &p->cancel, &f->keep, &res, err, sizeof(err));
    agent_follow_unlock(f->id);
    int64_t end_ms = plat_monotonic_ms();
    if (rc == ACDL_ESTOP) {
        return;
    }
    if (rc != ACDL_OK) {
        int64_t wait = (int64_t)f->poll_s * 1000;
        for (int i = 0; i < f->fails && wait < BACKOFF_MAX_MS; i++) {
            wait *= 2;
        }
        f->next_ms = end_ms + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
        if (f->fails == 0 || end_ms - f->fail_log_ms >= FAIL_LOG_EVERY_MS) {
            log_warn("follow", "source %lld: poll failed%s: %s", (long long)f->id,
                     f->fails ? " again" : "", err);
            f->fail_log_ms = end_ms;
        }
        f->fails++;
        return;
    }
    if (f->fails > 0) {
        log_info("follow", "source %lld: polls work again after %d failures", (long long)f->id,
                 f->fails);
        f->fails = 0;
    }
    f->next_ms = res.again ? now_ms : now_ms + (int64_t)f->poll_s * 1000;
    if (res.rows_changed > 0) {
        log_debug("follow",
                  "source %lld: %lld rows read (%lld of them as the last poll read "
                  "them), %lld states staged, %lld left to the next poll (bounded)",
                  (long long)f->id, (long long)res.rows_read, (long long)f->keep.rows_skipped,
                  (long long)res.rows_changed, (long long)res.rows_left);
        uploader_wake(p->app->uploader);
    }
    reconcile_due(p, f, plat_now());
}

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    int64_t refreshed = 0;
    while (!atomic_load(&p->stop)) {
        int64_t now_ms = plat_monotonic_ms();
        if (refreshed == 0 || now_ms - refreshed >= REFRESH_MS) {
            refresh(p, now_ms);
            refreshed = now_ms;
        }
        for (int i = 0; i < p->n && !atomic_load(&p->stop); i++) {
            if (p->src[i].next_ms <= now_ms) {
                poll_one(p, &p->src[i], now_ms);
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&p->mu);
        if (!atomic_load(&p->stop)) {
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        }
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

int poller_start(struct app *app, struct poller **out)
{
    struct poller *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p) {
        return ACDL_ENOMEM;
    }
    p->app = app;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    import_cancel_init(&p->cancel);
    atomic_init(&p->stop, 0);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        import_cancel_destroy(&p->cancel);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return ACDL_EAGAIN;
    }
    *out = p;
    return ACDL_OK;
}

void poller_stop(struct poller *p)
{
    if (!p) {
        return;
    }
    atomic_store(&p->stop, 1);
    import_cancel(&p->cancel);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < p->n; i++) {
        agent_follow_keep_free(&p->src[i].keep);
    }
    import_cancel_destroy(&p->cancel);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
