/* deliveries.c (routes): /api/v1/deliveries (the outbox's batches, their attempts, retrying
 * a failed one), /api/v1/backlog (what waits, and since when) and /api/v1/metrics
 * (Prometheus text format). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ops/health.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/recomputes.h"
#include "store/targets.h"
#include "store/writeq.h"
#include "upload/outbox.h"
#include "upload/uploader.h"

static json_t *batch_json(const struct store_batch *b)
{
    return json_set_code(
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:s, s:i, s:o, s:o, s:o, s:o, "
                  "s:o, s:o}",
                  "id", (json_int_t)b->id, "target_id", (json_int_t)b->target_id, "batch_key",
                  b->key, "kind", b->kind, "endpoint", b->endpoint, "items", b->items,
                  "first_interval", json_time(b->first_interval), "last_interval",
                  json_time(b->last_interval), "state", b->state, "attempts", b->attempts,
                  "next_attempt_at",
                  !strcmp(b->state, "pending") ? json_time(b->next_attempt_at) : json_null(),
                  "last_status", b->last_status ? json_integer(b->last_status) : json_null(),
                  "last_error", b->last_error[0] ? json_string(b->last_error) : json_null(),
                  "created_at", json_time(b->created_at), "updated_at", json_time(b->updated_at),
                  "acked_at", json_time(b->acked_at)),
        "last_error_code", "last_error_params", b->last_error_code, b->last_error_params);
}

int route_deliveries_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, target_id = 0;
    char state[16], tid[24];
    struct store_batch *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    int has_state = req_query(r, "state", state, sizeof(state)) >= 0;
    if (has_state && strcmp(state, "pending") && strcmp(state, "sending") &&
        strcmp(state, "acked") && strcmp(state, "failed")) {
        return reply_error(r, 400, "invalid_parameter", "use pending, sending, acked or failed",
                           "state: '%.16s' is not a batch state", state);
    }
    if (req_query(r, "target_id", tid, sizeof(tid)) >= 0) {
        char *end = NULL;
        target_id = strtoll(tid, &end, 10);
        if (!end || *end || target_id < 1) {
            return reply_error(r, 400, "invalid_parameter", "give a target's id",
                               "target_id: must be a positive integer");
        }
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_batch_list(c, target_id, has_state ? state : NULL, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "deliveries");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, batch_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_deliveries_get(struct req *r)
{
    int64_t id;
    int st, n = 0;
    struct store_batch b;
    struct store_attempt *at = NULL;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_batch_get(c, id, &b);
    if (rc == ACDL_OK) {
        rc = store_batch_attempts(c, id, &at, &n);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "delivery");
    }
    json_t *o = batch_json(&b);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(
            list, json_set_code(
                      json_pack("{s:i, s:o, s:i, s:s, s:o, s:o, s:o}", "n", at[i].n, "started_at",
                                json_time(at[i].started_at), "duration_ms", at[i].duration_ms,
                                "outcome", at[i].outcome, "http_status",
                                at[i].http_status ? json_integer(at[i].http_status) : json_null(),
                                "answer", at[i].answer[0] ? json_string(at[i].answer) : json_null(),
                                "error", at[i].error[0] ? json_string(at[i].error) : json_null()),
                      "error_code", "error_params", at[i].error_code, at[i].error_params));
    }
    free(at);
    json_object_set_new(o, "attempt_log", list);
    return reply_json(r, 200, o);
}

int route_deliveries_retry(struct req *r)
{
    int64_t id;
    int st;
    struct store_batch b;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int resent = 0;
    int rc = outbox_retry(c, id, plat_now(), &resent);
    if (rc == ACDL_OK || rc == ACDL_ECONFLICT) {
        int g = store_batch_get(c, id, &b);
        rc = g == ACDL_OK ? rc : g;
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT) {
        return reply_error(r, 409, "conflict",
                           "only failed batches are retried by hand; the "
                           "others are retried by themselves",
                           "batch %lld is %s", (long long)id, b.state);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "delivery");
    }
    char what[32] = "";
    snprintf(what, sizeof(what), "batch %lld", (long long)id);
    http_audit(r, "delivery.retry", what, "ok",
               json_pack("{s:I, s:I, s:i}", "id", (json_int_t)id, "target_id",
                         (json_int_t)b.target_id, "requeued_intervals", resent));
    uploader_wake(r->app->uploader);
    return reply_json(r, 200, batch_json(&b));
}

static json_t *backlog_json(const struct store_backlog *b, int64_t now, int warn_after)
{
    int64_t age = b->oldest_pending_at ? now - b->oldest_pending_at : 0;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:b, s:o}", "queued",
                     (json_int_t)b->queued, "pending", (json_int_t)b->pending, "sending",
                     (json_int_t)b->sending, "failed", (json_int_t)b->failed, "acked",
                     (json_int_t)b->acked, "oldest_waiting_at", json_time(b->oldest_pending_at),
                     "age_seconds", (json_int_t)(age > 0 ? age : 0), "warning", age > warn_after,
                     "last_acked_at", json_time(b->last_acked_at));
}

int route_backlog_get(struct req *r)
{
    struct store_backlog all;
    struct store_target *targets = NULL;
    int n = 0;
    int64_t now = plat_now();
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_backlog_get(c, 0, &all);
    if (rc == ACDL_OK) {
        rc = store_target_list(c, 0, 500, &targets, &n);
    }
    json_t *list = json_array();
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        struct store_backlog b;
        if ((rc = store_backlog_get(c, targets[i].id, &b)) == ACDL_OK) {
            json_t *o = backlog_json(&b, now, r->app->cfg->backlog_warn_after);
            json_object_set_new(o, "target_id", json_integer(targets[i].id));
            json_object_set_new(o, "name", json_string(targets[i].name));
            json_object_set_new(o, "enabled", json_boolean(targets[i].enabled));
            json_array_append_new(list, o);
        }
    }
    store_release(r->app->store, c);
    for (int i = 0; i < n; i++) {
        store_target_clear(&targets[i]);
    }
    free(targets);
    if (rc != ACDL_OK) {
        json_decref(list);
        return reply_rc(r, rc, "backlog");
    }
    json_t *o = backlog_json(&all, now, r->app->cfg->backlog_warn_after);
    json_object_set_new(o, "targets", list);
    json_object_set_new(o, "warn_after_seconds", json_integer(r->app->cfg->backlog_warn_after));
    return reply_json(r, 200, o);
}

/* --- Prometheus text --- */

struct text {
    char *b;
    size_t n, cap;
    int oom;
};

static void emit(struct text *t, const char *fmt, ...) ACDL_PRINTF(2, 3);
static void emit(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2 && !t->oom; pass++) {
        va_start(ap, fmt);
        int w = vsnprintf(t->b ? t->b + t->n : NULL, t->b ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            t->oom = 1;
            return;
        }
        if (t->b && t->n + (size_t)w < t->cap) {
            t->n += (size_t)w;
            return;
        }
        size_t nc = (t->cap ? t->cap * 2 : 8192) + (size_t)w + 1;
        char *nb = realloc(t->b, nc);
        if (!nb) {
            t->oom = 1;
            return;
        }
        t->b = nb;
        t->cap = nc;
    }
}

/* A label value with \, " and line breaks escaped. */
static void label(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < outsz; p++) {
        if (*p == '\\' || *p == '"') {
            out[o++] = '\\';
            out[o++] = *p;
        } else if (*p == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void emit_runs(struct text *t, struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT state, count(*), coalesce(sum(rows_read), 0), "
                                       "coalesce(sum(rows_staged), 0), "
                                       "coalesce(sum(rows_rejected), 0) FROM runs GROUP BY "
                                       "state ORDER BY state");
    int64_t read = 0, staged = 0, rejected = 0;
    emit(t, "# HELP acdlink_runs Runs by state.\n# TYPE acdlink_runs gauge\n");
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        emit(t, "acdlink_runs{state=\"%s\"} %lld\n", (const char *)sqlite3_column_text(s, 0),
             (long long)sqlite3_column_int64(s, 1));
        read += sqlite3_column_int64(s, 2);
        staged += sqlite3_column_int64(s, 3);
        rejected += sqlite3_column_int64(s, 4);
    }
    store_done(s);
    int64_t partial = 0, pending = 0, failing = 0;
    s = store_prepare(c, "SELECT count(*) FROM runs WHERE state = 'done' AND failed_mappings > 0");
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        partial = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    store_recompute_count(c, &pending, &failing);
    emit(t,
         "# HELP acdlink_runs_partial Done runs whose mappings partly failed (retried).\n"
         "# TYPE acdlink_runs_partial gauge\nacdlink_runs_partial %lld\n"
         "# HELP acdlink_recomputes_pending Results waiting to be computed again.\n"
         "# TYPE acdlink_recomputes_pending gauge\nacdlink_recomputes_pending %lld\n"
         "# HELP acdlink_recomputes_failing Pending recomputes whose last attempt failed.\n"
         "# TYPE acdlink_recomputes_failing gauge\nacdlink_recomputes_failing %lld\n",
         (long long)partial, (long long)pending, (long long)failing);
    emit(t,
         "# HELP acdlink_rows_read_total Rows read by all runs.\n"
         "# TYPE acdlink_rows_read_total counter\nacdlink_rows_read_total %lld\n"
         "# HELP acdlink_rows_staged_total Rows staged by all runs.\n"
         "# TYPE acdlink_rows_staged_total counter\nacdlink_rows_staged_total %lld\n"
         "# HELP acdlink_rows_rejected_total Rows rejected by all runs.\n"
         "# TYPE acdlink_rows_rejected_total counter\nacdlink_rows_rejected_total %lld\n",
         (long long)read, (long long)staged, (long long)rejected);
    s = store_prepare(c, "SELECT s.name, max(r.finished_at) FROM sources s JOIN runs r ON "
                         "r.source_id = s.id AND r.state = 'done' GROUP BY s.id ORDER BY s.id");
    emit(t, "# HELP acdlink_source_last_success_timestamp_seconds End of the last successful "
            "run per source.\n# TYPE acdlink_source_last_success_timestamp_seconds gauge\n");
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        char name[200];
        label((const char *)sqlite3_column_text(s, 0), name, sizeof(name));
        emit(t, "acdlink_source_last_success_timestamp_seconds{source=\"%s\"} %lld\n", name,
             (long long)sqlite3_column_int64(s, 1));
    }
    store_done(s);
}

static void emit_targets(struct text *t, struct store_conn *c, int64_t now)
{
    static const char *const states[] = {"pending", "sending", "acked", "failed"};
    struct store_target *targets = NULL;
    int n = 0;
    if (store_target_list(c, 0, 500, &targets, &n) != ACDL_OK) {
        return;
    }
    emit(t, "# HELP acdlink_batches Outbox batches per target and state.\n"
            "# TYPE acdlink_batches gauge\n");
    struct store_backlog *b = calloc((size_t)(n ? n : 1), sizeof(*b));
    for (int i = 0; b && i < n; i++) {
        char name[200];
        store_backlog_get(c, targets[i].id, &b[i]);
        label(targets[i].name, name, sizeof(name));
        int64_t v[] = {b[i].pending, b[i].sending, b[i].acked, b[i].failed};
        for (int k = 0; k < 4; k++) {
            emit(t, "acdlink_batches{target=\"%s\",state=\"%s\"} %lld\n", name, states[k],
                 (long long)v[k]);
        }
    }
    emit(t, "# HELP acdlink_backlog_age_seconds Age of the oldest undelivered batch per "
            "target (0: none).\n# TYPE acdlink_backlog_age_seconds gauge\n");
    for (int i = 0; b && i < n; i++) {
        char name[200];
        label(targets[i].name, name, sizeof(name));
        emit(t, "acdlink_backlog_age_seconds{target=\"%s\"} %lld\n", name,
             (long long)(b[i].oldest_pending_at ? now - b[i].oldest_pending_at : 0));
    }
    emit(t, "# HELP acdlink_target_last_success_timestamp_seconds When a batch was last "
            "acknowledged per target (0: never).\n"
            "# TYPE acdlink_target_last_success_timestamp_seconds gauge\n");
    for (int i = 0; b && i < n; i++) {
        char name[200];
        label(targets[i].name, name, sizeof(name));
        emit(t, "acdlink_target_last_success_timestamp_seconds{target=\"%s\"} %lld\n", name,
             (long long)b[i].last_acked_at);
    }
    free(b);
    for (int i = 0; i < n; i++) {
        store_target_clear(&targets[i]);
    }
    free(targets);
}

/* The health checks: one series per check (1 = degraded), and the figures behind them. */
static void emit_health(struct text *t, struct app *app)
{
    struct health h;
    health_collect(app, &h);
    emit(t, "# HELP acdlink_health_degraded 1 while a health check finds a problem (GET "
            "/api/v1/health says why).\n# TYPE acdlink_health_degraded gauge\n");
    for (int i = 0; i < HEALTH_NCHECKS; i++) {
        emit(t, "acdlink_health_degraded{check=\"%s\"} %d\n", health_check_name(i), h.degraded[i]);
    }
    emit(t,
         "# HELP acdlink_disk_free_bytes Free space of the data folder's disk.\n"
         "# TYPE acdlink_disk_free_bytes gauge\nacdlink_disk_free_bytes %lld\n"
         "# HELP acdlink_disk_min_free_bytes Below this free space health is degraded.\n"
         "# TYPE acdlink_disk_min_free_bytes gauge\nacdlink_disk_min_free_bytes %lld\n",
         h.disk_free, h.disk_min_free);
    emit(t,
         "# HELP acdlink_sessions_in_memory Console sessions kept in memory because the "
         "database could not be written.\n# TYPE acdlink_sessions_in_memory gauge\n"
         "acdlink_sessions_in_memory %d\n",
         h.sessions_in_memory);
}

/* One gauge; nothing when the figure is not known here (-1). */
static void emit_gauge(struct text *t, const char *name, const char *help, long long v)
{
    if (v >= 0) {
        emit(t, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
    }
}

/* What the daemon's memory is made of: the resident set, the allocator's arenas, SQLite's
 * share and the connections of the store's pool. */
static void emit_memory(struct text *t, struct app *app)
{
    struct plat_memory m;
    struct store_memory s;
    plat_memory_stats(&m);
    store_memory(app->store, &s);
    emit_gauge(t, "acdlink_memory_resident_bytes", "Resident memory of the daemon.", m.rss);
    emit_gauge(t, "acdlink_memory_resident_anonymous_bytes",
               "Resident memory not backed by a file (heap, thread stacks).", m.rss_anon);
    emit_gauge(t, "acdlink_memory_heap_system_bytes",
               "Memory the allocator's arenas took from the system.", m.heap_system);
    emit_gauge(t, "acdlink_memory_heap_in_use_bytes", "Memory of the arenas in use.",
               m.heap_in_use);
    emit_gauge(t, "acdlink_memory_heap_free_bytes", "Free memory the arenas keep for reuse.",
               m.heap_free);
    emit_gauge(t, "acdlink_memory_heap_mapped_bytes",
               "Large blocks mapped on their own, outside the arenas.", m.heap_mapped);
    emit_gauge(t, "acdlink_threads", "Threads of the daemon.", m.threads);
    emit_gauge(t, "acdlink_memory_sqlite_bytes",
               "SQLite's memory in use: page caches, schemas, statements.", s.sqlite_used);
    emit_gauge(t, "acdlink_memory_sqlite_peak_bytes", "The peak of SQLite's memory.",
               s.sqlite_peak);
    emit_gauge(t, "acdlink_memory_sqlite_idle_cache_bytes",
               "Page caches of the idle database connections.", s.cache_idle);
    emit_gauge(t, "acdlink_memory_sqlite_slabs_bytes",
               "Slabs of SQLite's page blocks, outside the arenas, taken from the system.",
               s.slabs_held);
    emit_gauge(t, "acdlink_memory_sqlite_slabs_in_use_bytes", "Page blocks in use in those slabs.",
               s.slabs_used);
    emit_gauge(t, "acdlink_store_connections", "Database connections open.", s.conns);
    emit_gauge(t, "acdlink_store_connections_idle", "Database connections idle in the pool.",
               s.conns_idle);
}

/* The store's writers: per kind (the function that began the transaction) the transactions,
 * the seconds they waited in the write line and on SQLite's lock, and held the lock; and the
 * WAL checkpoints. Where the wall time of a busy day goes between writers. */
static void emit_writers(struct text *t, struct app *app)
{
    static const struct {
        const char *name, *help;
    } m[] = {
        {"acdlink_store_write_transactions_total",
         "Write transactions by the function that began them."},
        {"acdlink_store_write_wait_seconds_total",
         "Time write transactions waited in line for the write lock."},
        {"acdlink_store_write_busy_seconds_total",
         "Time writes waited on SQLite's lock held outside the line (another process, a write "
         "outside a transaction)."},
        {"acdlink_store_write_held_seconds_total", "Time write transactions held the write lock."},
        {"acdlink_store_write_timeouts_total",
         "Write transactions that gave up waiting for the lock."},
    };
    struct writeq_stat ws[WRITEQ_KINDS];
    int n = store_write_stats(app->store, ws, WRITEQ_KINDS);
    for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
        emit(t, "# HELP %s %s\n# TYPE %s counter\n", m[k].name, m[k].help, m[k].name);
        for (int i = 0; i < n; i++) {
            char kind[128];
            label(ws[i].kind, kind, sizeof(kind));
            if (k == 0 || k == 4) {
                emit(t, "%s{kind=\"%s\"} %llu\n", m[k].name, kind,
                     (unsigned long long)(k == 0 ? ws[i].n : ws[i].timeouts));
            } else {
                int64_t us = k == 1 ? ws[i].wait_us : k == 2 ? ws[i].busy_us : ws[i].held_us;
                emit(t, "%s{kind=\"%s\"} %.6f\n", m[k].name, kind, (double)us / 1e6);
            }
        }
    }
    emit_gauge(t, "acdlink_store_writers_waiting", "Write transactions waiting in line now.",
               store_write_waiting(app->store));
    int64_t cn, cus, cmax;
    store_checkpoint_stats(app->store, &cn, &cus, &cmax);
    emit(t,
         "# HELP acdlink_store_checkpoints_total WAL checkpoints after commits.\n"
         "# TYPE acdlink_store_checkpoints_total counter\nacdlink_store_checkpoints_total %lld\n"
         "# HELP acdlink_store_checkpoint_seconds_total Time spent in WAL checkpoints.\n"
         "# TYPE acdlink_store_checkpoint_seconds_total counter\n"
         "acdlink_store_checkpoint_seconds_total %.6f\n"
         "# HELP acdlink_store_checkpoint_max_seconds The longest WAL checkpoint.\n"
         "# TYPE acdlink_store_checkpoint_max_seconds gauge\n"
         "acdlink_store_checkpoint_max_seconds %.6f\n",
         (long long)cn, (double)cus / 1e6, (double)cmax / 1e6);
}

int route_metrics_get(struct req *r)
{
    struct text t = {NULL, 0, 0, 0};
    int64_t now = plat_now();
    emit(&t,
         "# HELP acdlink_up 1 while the daemon serves.\n# TYPE acdlink_up gauge\n"
         "acdlink_up 1\n# HELP acdlink_start_time_seconds When the daemon started.\n"
         "# TYPE acdlink_start_time_seconds gauge\nacdlink_start_time_seconds %lld\n",
         (long long)r->app->started_at);
    struct store_conn *c = store_acquire(r->app->store);
    emit_runs(&t, c);
    emit_targets(&t, c, now);
    store_release(r->app->store, c);
    emit_health(&t, r->app);
    emit_memory(&t, r->app);
    emit_writers(&t, r->app);
    if (t.oom || !t.b) {
        free(t.b);
        return reply_rc(r, ACDL_ENOMEM, "metrics");
    }
    int st = reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", t.b, t.n);
    free(t.b);
    return st;
}
