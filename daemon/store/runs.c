/* runs.c: the runs and run_log tables. */
#include "store/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/why.h"

#define RUN_COLS                                                                                   \
    "r.id, r.source_id, s.name, r.trigger, r.period_from, r.period_to, r.state, r.days_total, "    \
    "r.days_done, r.files_read, r.files_skipped, r.rows_read, r.rows_staged, r.rows_rejected, "    \
    "r.rows_filtered, coalesce(r.error, ''), r.created_by, r.created_at, "                         \
    "coalesce(r.started_at, 0), coalesce(r.finished_at, 0), r.zero_fill, r.failed_mappings, "      \
    "r.reread, coalesce(r.error_code, ''), coalesce(r.error_params, '')"
#define RUN_FROM " FROM runs r JOIN sources s ON s.id = r.source_id "

static void row_to_run(sqlite3_stmt *s, void *elem)
{
    struct store_run *r = elem;
    r->id = sqlite3_column_int64(s, 0);
    r->source_id = sqlite3_column_int64(s, 1);
    store_column_text(s, 2, r->source_name, sizeof(r->source_name));
    store_column_text(s, 3, r->trigger, sizeof(r->trigger));
    store_column_text(s, 4, r->period_from, sizeof(r->period_from));
    store_column_text(s, 5, r->period_to, sizeof(r->period_to));
    store_column_text(s, 6, r->state, sizeof(r->state));
    r->days_total = sqlite3_column_int(s, 7);
    r->days_done = sqlite3_column_int(s, 8);
    r->files_read = sqlite3_column_int(s, 9);
    r->files_skipped = sqlite3_column_int(s, 10);
    r->rows_read = sqlite3_column_int64(s, 11);
    r->rows_staged = sqlite3_column_int64(s, 12);
    r->rows_rejected = sqlite3_column_int64(s, 13);
    r->rows_filtered = sqlite3_column_int64(s, 14);
    store_column_text(s, 15, r->error, sizeof(r->error));
    store_column_text(s, 16, r->created_by, sizeof(r->created_by));
    r->created_at = sqlite3_column_int64(s, 17);
    r->started_at = sqlite3_column_int64(s, 18);
    r->finished_at = sqlite3_column_int64(s, 19);
    r->zero_fill = sqlite3_column_int(s, 20);
    r->failed_mappings = sqlite3_column_int(s, 21);
    r->reread = sqlite3_column_int(s, 22);
    store_column_text(s, 23, r->error_code, sizeof(r->error_code));
    store_column_text(s, 24, r->error_params, sizeof(r->error_params));
}

static int step_done(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
    int r = sqlite3_step(s);
    store_done(s);
    if (r != SQLITE_DONE) {
        log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
        return ACDL_EDB;
    }
    return ACDL_OK;
}

int store_run_add(struct store_conn *c, int64_t source_id, const char *trigger,
                  const char *from, const char *to, int zero_fill, const char *created_by,
                  int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO runs (source_id, trigger, period_from, "
                                       "period_to, state, created_by, created_at, zero_fill, "
                                       "reread) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    store_bind_text(s, 2, trigger);
    store_bind_text(s, 3, from);
    store_bind_text(s, 4, to);
    store_bind_text(s, 5, created_by);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int(s, 7, (zero_fill & STORE_RUN_ZERO_FILL) ? 1 : 0);
    sqlite3_bind_int(s, 8, (zero_fill & STORE_RUN_REREAD) ? 1 : 0);
    int rc = step_done(c, s, "queueing a run");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_run_add_started(struct store_conn *c, int64_t source_id, const char *trigger,
                          const char *from, const char *to, int zero_fill,
                          const char *created_by, int64_t now, int64_t *id)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM runs WHERE source_id = ? AND state "
                                       "= 'running'");
    int busy = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, source_id);
        busy = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
        store_done(s);
    }
    if (busy) {
        rc = ACDL_ECONFLICT;
        goto out;
    }
    s = store_prepare(c, "INSERT INTO runs (source_id, trigger, period_from, period_to, state, "
                         "created_by, created_at, started_at, zero_fill, reread) VALUES (?, ?, ?, "
                         "?, 'running', ?, ?6, ?6, ?7, ?8)");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, source_id);
    store_bind_text(s, 2, trigger);
    store_bind_text(s, 3, from);
    store_bind_text(s, 4, to);
    store_bind_text(s, 5, created_by);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int(s, 7, (zero_fill & STORE_RUN_ZERO_FILL) ? 1 : 0);
    sqlite3_bind_int(s, 8, (zero_fill & STORE_RUN_REREAD) ? 1 : 0);
    rc = step_done(c, s, "starting a run");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
        rc = store_commit(c);
    }
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}

int store_run_get(struct store_conn *c, int64_t id, struct store_run *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " RUN_COLS RUN_FROM "WHERE r.id = ?");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_run(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_run_list(struct store_conn *c, int64_t before_id, int64_t source_id, const char *state,
                   int limit, struct store_run **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT " RUN_COLS RUN_FROM "WHERE (?1 = 0 OR r.id < ?1) AND (?2 = 0 OR "
           "r.source_id = ?2) AND (?3 IS NULL OR r.state = ?3) ORDER BY r.id DESC LIMIT ?4");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, before_id);
    sqlite3_bind_int64(s, 2, source_id);
    store_bind_text(s, 3, state);
    sqlite3_bind_int(s, 4, limit);
    return store_collect(s, sizeof(struct store_run), limit, row_to_run, (void **)out, n);
}

int store_run_claim(struct store_conn *c, int64_t now, struct store_run *out)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *s = store_prepare(
        c, "SELECT r.id FROM runs r WHERE r.state = 'queued' AND NOT EXISTS (SELECT 1 FROM runs "
           "x WHERE x.source_id = r.source_id AND x.state = 'running') ORDER BY r.id LIMIT 1");
    int64_t id = 0;
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        id = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    if (r != SQLITE_ROW) {
        rc = r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
        goto out;
    }
    s = store_prepare(c, "UPDATE runs SET state = 'running', started_at = ? WHERE id = ?");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    rc = step_done(c, s, "starting a run");
    if (rc == ACDL_OK) {
        rc = store_run_get(c, id, out);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    }
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}

static void bind_counts(sqlite3_stmt *s, int first, const struct store_run_counts *k)
{
    sqlite3_bind_int(s, first, k->days_total);
    sqlite3_bind_int(s, first + 1, k->days_done);
    sqlite3_bind_int(s, first + 2, k->files_read);
    sqlite3_bind_int(s, first + 3, k->files_skipped);
    sqlite3_bind_int64(s, first + 4, k->rows_read);
    sqlite3_bind_int64(s, first + 5, k->rows_staged);
    sqlite3_bind_int64(s, first + 6, k->rows_rejected);
    sqlite3_bind_int64(s, first + 7, k->rows_filtered);
}

int store_run_progress(struct store_conn *c, int64_t id, const struct store_run_counts *k)
{
    sqlite3_stmt *s = store_prepare(
        c, "UPDATE runs SET days_total = ?, days_done = ?, files_read = ?, files_skipped = ?, "
           "rows_read = ?, rows_staged = ?, rows_rejected = ?, rows_filtered = ? WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    bind_counts(s, 1, k);
    sqlite3_bind_int64(s, 9, id);
    return step_done(c, s, "recording progress");
}

int store_run_finish(struct store_conn *c, int64_t id, const char *state, const char *error,
                     const struct store_run_counts *k, int64_t now)
{
    char code[48];
    json_t *params = NULL;
    char *ptext = NULL;
    sqlite3_stmt *s = store_prepare(
        c, "UPDATE runs SET days_total = ?, days_done = ?, files_read = ?, files_skipped = ?, "
           "rows_read = ?, rows_staged = ?, rows_rejected = ?, rows_filtered = ?, state = ?, "
           "error = ?, finished_at = ?, failed_mappings = ?, error_code = ?, error_params = ? "
           "WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    /* the error's code, when whoever wrote its text noted one (core/why.h) */
    if (error && why_lookup(error, code, sizeof(code), &params)) {
        ptext = json_dumps(params, JSON_COMPACT);
        json_decref(params);
    }
    bind_counts(s, 1, k);
    store_bind_text(s, 9, state);
    store_bind_text(s, 10, error);
    sqlite3_bind_int64(s, 11, now);
    sqlite3_bind_int(s, 12, k->failed_mappings);
    store_bind_text(s, 13, ptext ? code : NULL);
    store_bind_text(s, 14, ptext);
    sqlite3_bind_int64(s, 15, id);
    free(ptext);
    return step_done(c, s, "ending a run");
}

int store_run_cancel_queued(struct store_conn *c, int64_t id, int64_t now)
{
    struct store_run r;
    int rc = store_run_get(c, id, &r);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (!strcmp(r.state, "running")) {
        return ACDL_EAGAIN;
    }
    if (strcmp(r.state, "queued") != 0) {
        return ACDL_ECONFLICT;
    }
    sqlite3_stmt *s = store_prepare(c, "UPDATE runs SET state = 'cancelled', finished_at = ?, "
                                       "error = 'cancelled before it started', "
                                       "error_code = 'run.error_cancelled_queued', "
                                       "error_params = '{}' WHERE id = ? "
                                       "AND state = 'queued'");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    rc = step_done(c, s, "cancelling a run");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_EAGAIN; /* it started meanwhile */
    }
    return rc;
}

int store_run_requeue_interrupted(struct store_conn *c, int *n)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE runs SET state = 'queued', started_at = NULL "
                                       "WHERE state = 'running'");
    if (!s) {
        return ACDL_EDB;
    }
    int rc = step_done(c, s, "re-queueing interrupted runs");
    *n = rc == ACDL_OK ? sqlite3_changes(store_db(c)) : 0;
    return rc;
}

int store_run_log(struct store_conn *c, int64_t run_id, const char *level, const char *message,
                  const char *code, const char *params, int64_t now)
{
    sqlite3_stmt *s = store_prepare(
        c,
        "INSERT INTO run_log (run_id, seq, ts, level, message, code, params) VALUES (?1, "
        "(SELECT coalesce(max(seq), 0) + 1 FROM run_log WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, now);
    store_bind_text(s, 3, level);
    store_bind_text(s, 4, message);
    if (code) {
        store_bind_text(s, 5, code);
    } else {
        sqlite3_bind_null(s, 5);
    }
    if (params) {
        store_bind_text(s, 6, params);
    } else {
        sqlite3_bind_null(s, 6);
    }
    return step_done(c, s, "writing the run log");
}

int store_run_log_list(struct store_conn *c, int64_t run_id, int64_t after_seq, int limit,
                       struct store_run_log_line **out, int *n)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT seq, ts, level, message, code, params FROM run_log WHERE "
                         "run_id = ? AND seq > ? ORDER BY seq LIMIT ?");
    struct store_run_log_line *arr;
    int cnt = 0, r;
    if (!s) {
        return ACDL_EDB;
    }
    arr = calloc((size_t)(limit > 0 ? limit : 1), sizeof(*arr));
    if (!arr) {
        store_done(s);
        return ACDL_ENOMEM;
    }
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, after_seq);
    sqlite3_bind_int(s, 3, limit);
    while ((r = sqlite3_step(s)) == SQLITE_ROW && cnt < limit) {
        arr[cnt].seq = sqlite3_column_int64(s, 0);
        arr[cnt].ts = sqlite3_column_int64(s, 1);
        store_column_text(s, 2, arr[cnt].level, sizeof(arr[cnt].level));
        store_column_text(s, 3, arr[cnt].message, sizeof(arr[cnt].message));
        store_column_text(s, 4, arr[cnt].code, sizeof(arr[cnt].code));
        store_column_text(s, 5, arr[cnt].params, sizeof(arr[cnt].params));
        cnt++;
    }
    store_done(s);
    if (r != SQLITE_DONE && r != SQLITE_ROW) {
        free(arr);
        return ACDL_EDB;
    }
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}
