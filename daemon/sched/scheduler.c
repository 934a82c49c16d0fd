/* scheduler.c: the thread that turns due schedules into queued runs. */
#include "sched/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "sched/runner.h"
#include "store/runs.h"

struct scheduler {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

int scheduler_rule(const struct store_schedule *s, struct schedule_rule *rule)
{
    memset(rule, 0, sizeof(*rule));
    if (!strcmp(s->kind, "every")) {
        rule->kind = SCHEDULE_EVERY;
        rule->every_minutes = s->every_minutes;
        rule->offset_minutes = s->offset_minutes;
        return s->every_minutes >= 5 ? ACDL_OK : ACDL_EINVAL;
    }
    rule->kind = SCHEDULE_DAILY;
    rule->days_back = s->days_back;
    return schedule_parse_hhmm(s->daily_at, &rule->daily_minute);
}

static int queued_same(struct store_conn *c, int64_t source_id, const char *from, const char *to)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT count(*) FROM runs WHERE source_id = ? AND state "
                                        "= 'queued' AND period_from = ? AND period_to = ?");
    int n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, source_id);
        store_bind_text(st, 2, from);
        store_bind_text(st, 3, to);
        if (sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int(st, 0);
        }
        store_done(st);
    }
    return n > 0;
}

int scheduler_run_now(struct store_conn *c, const struct store_schedule *s, const char *who,
                      int64_t now, char *from, char *to, int64_t *run_id)
{
    struct schedule_rule rule;
    struct tz *tz = NULL;
    struct tz_date a, b;
    if (scheduler_rule(s, &rule) != ACDL_OK || tz_open(s->source_tz, &tz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    int rc = schedule_period(tz, &rule, now, &a, &b);
    tz_close(tz);
    if (rc != ACDL_OK) {
        return rc;
    }
    tz_date_format(a, from);
    tz_date_format(b, to);
    if (queued_same(c, s->source_id, from, to)) {
        return ACDL_EEXIST;
    }
    return store_run_add(c, s->source_id, "manual", from, to, s->zero_fill, who, now, run_id);
}

int scheduler_tick(struct app *app, int64_t now)
{
    struct store_schedule *due = NULL;
    int n = 0, queued = 0;
    struct store_conn *c = store_acquire(app->store);
    if (store_schedule_due(c, now, 100, &due, &n) != ACDL_OK) {
        store_release(app->store, c);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        struct schedule_rule rule;
        struct tz *tz = NULL;
        struct tz_date from, to;
        char f[11], t[11], who[64];
        int64_t next = now + 3600, run_id = 0;
        if (scheduler_rule(&due[i], &rule) != ACDL_OK || tz_open(due[i].source_tz, &tz)) {
            log_error("sched", "schedule %lld cannot be planned; it waits an hour",
                      (long long)due[i].id);
            store_schedule_fired(c, due[i].id, 0, next);
            continue;
        }
        schedule_period(tz, &rule, due[i].next_run_at, &from, &to);
        tz_date_format(from, f);
        tz_date_format(to, t);
        schedule_next(tz, &rule, now, &next);
        tz_close(tz);
        if (queued_same(c, due[i].source_id, f, t)) {
            log_info("sched", "schedule %lld: a run of '%s' for %s .. %s is still queued",
                     (long long)due[i].id, due[i].source_name, f, t);
        } else {
            snprintf(who, sizeof(who), "schedule %lld", (long long)due[i].id);
            if (store_run_add(c, due[i].source_id, "schedule", f, t, due[i].zero_fill, who, now,
                              &run_id) == ACDL_OK) {
                queued++;
            }
        }
        store_schedule_fired(c, due[i].id, run_id, next);
    }
    store_release(app->store, c);
    free(due);
    if (queued > 0) {
        runner_wake(app->runner);
    }
    return queued;
}

int scheduler_recompute(struct app *app, int64_t now)
{
    int done = 0, failed = 0;
    struct store_conn *c = store_acquire(app->store);
    recompute_drain(c, now, 64, &done, &failed);
    store_release(app->store, c);
    return done;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        scheduler_tick(s->app, plat_now());
        scheduler_recompute(s->app, plat_now());
        pthread_mutex_lock(&s->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (plat_test_clock_active()) { /* the clock jumps: look at it often */
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
        } else {
            ts.tv_sec += 5;
        }
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0) {
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int scheduler_start(struct app *app, struct scheduler **out)
{
    struct scheduler *s = calloc(1, sizeof(*s));
    if (!s) {
        return ACDL_ENOMEM;
    }
    s->app = app;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return ACDL_EIO;
    }
    *out = s;
    return ACDL_OK;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
