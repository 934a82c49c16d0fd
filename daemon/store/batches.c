/* batches.c: the outbox's batches and their attempts (see targets.h). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/targets.h"

#define BATCH_COLS                                                                                 \
    "id, target_id, batch_key, kind, endpoint, content_type, items, first_interval, "              \
    "last_interval, state, attempts, next_attempt_at, last_status, last_error, created_at, "       \
    "updated_at, acked_at, last_error_code, last_error_params"

static void row_to_batch(sqlite3_stmt *st, void *elem)
{
    struct store_batch *b = elem;
    memset(b, 0, sizeof(*b));
    b->id = sqlite3_column_int64(st, 0);
    b->target_id = sqlite3_column_int64(st, 1);
    store_column_text(st, 2, b->key, sizeof(b->key));
    store_column_text(st, 3, b->kind, sizeof(b->kind));
    store_column_text(st, 4, b->endpoint, sizeof(b->endpoint));
    store_column_text(st, 5, b->content_type, sizeof(b->content_type));
    b->items = sqlite3_column_int(st, 6);
    b->first_interval = sqlite3_column_int64(st, 7);
    b->last_interval = sqlite3_column_int64(st, 8);
    store_column_text(st, 9, b->state, sizeof(b->state));
    b->attempts = sqlite3_column_int(st, 10);
    b->next_attempt_at = sqlite3_column_int64(st, 11);
    b->last_status = sqlite3_column_int(st, 12);
    store_column_text(st, 13, b->last_error, sizeof(b->last_error));
    b->created_at = sqlite3_column_int64(st, 14);
    b->updated_at = sqlite3_column_int64(st, 15);
    b->acked_at = sqlite3_column_int64(st, 16);
    store_column_text(st, 17, b->last_error_code, sizeof(b->last_error_code));
    store_column_text(st, 18, b->last_error_params, sizeof(b->last_error_params));
}

int store_batch_list(struct store_conn *c, int64_t target_id, const char *state, int64_t before_id,
                     int limit, struct store_batch **out, int *n)
{
    sqlite3_stmt *st = store_prepare(
        c, "SELECT " BATCH_COLS " FROM batches WHERE (?1 = 0 OR target_id = ?1) AND (?2 IS "
           "NULL OR state = ?2) AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, target_id);
    store_bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, before_id);
    sqlite3_bind_int(st, 4, limit);
    return store_collect(st, sizeof(**out), limit, row_to_batch, (void **)out, n);
}

int store_batch_get(struct store_conn *c, int64_t id, struct store_batch *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " BATCH_COLS " FROM batches WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        row_to_batch(st, out);
    }
    store_done(st);
    return r == SQLITE_ROW ? ACDL_OK : (r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB);
}

int store_batch_body(struct store_conn *c, int64_t id, char **body, size_t *len)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT body FROM batches WHERE id = ?");
    int rc = ACDL_ENOTFOUND;
    *body = NULL;
    *len = 0;
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        *body = malloc((size_t)n + 1);
        if (*body) {
            if (n > 0) {
                memcpy(*body, b, (size_t)n);
            }
            (*body)[n] = '\0';
            *len = (size_t)n;
            rc = ACDL_OK;
        } else {
            rc = ACDL_ENOMEM;
        }
    }
    store_done(st);
    return rc;
}

static void row_to_attempt(sqlite3_stmt *st, void *elem)
{
    struct store_attempt *a = elem;
    memset(a, 0, sizeof(*a));
    a->n = sqlite3_column_int(st, 0);
    a->started_at = sqlite3_column_int64(st, 1);
    a->duration_ms = sqlite3_column_int(st, 2);
    store_column_text(st, 3, a->outcome, sizeof(a->outcome));
    a->http_status = sqlite3_column_int(st, 4);
    store_column_text(st, 5, a->answer, sizeof(a->answer));
    store_column_text(st, 6, a->error, sizeof(a->error));
    store_column_text(st, 7, a->error_code, sizeof(a->error_code));
    store_column_text(st, 8, a->error_params, sizeof(a->error_params));
}

int store_batch_attempts(struct store_conn *c, int64_t id, struct store_attempt **out, int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT n, started_at, duration_ms, outcome, "
                                        "coalesce(http_status, 0), answer, error, error_code, "
                                        "error_params FROM "
                                        "batch_attempts WHERE batch_id = ? ORDER BY n DESC "
                                        "LIMIT 100");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    return store_collect(st, sizeof(**out), 100, row_to_attempt, (void **)out, n);
}

static int exec_changes(struct store_conn *c, sqlite3_stmt *st, int *changes)
{
    int r = sqlite3_step(st);
    store_done(st);
    if (r != SQLITE_DONE) {
        log_error("store", "outbox update failed: %s", sqlite3_errmsg(store_db(c)));
        return ACDL_EDB;
    }
    if (changes) {
        *changes = sqlite3_changes(store_db(c));
    }
    return ACDL_OK;
}

int store_batch_retry(struct store_conn *c, int64_t id, int64_t now)
{
    struct store_batch b;
    int rc = store_batch_get(c, id, &b), ch = 0;
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *st = store_prepare(c, "UPDATE batches SET state = 'pending', "
                                        "next_attempt_at = ?1, updated_at = ?1 WHERE id = ?2 "
                                        "AND state = 'failed'");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    rc = exec_changes(c, st, &ch);
    return rc == ACDL_OK && ch == 0 ? ACDL_ECONFLICT : rc;
}

int store_batch_reset_sending(struct store_conn *c)
{
    int ch = 0;
    sqlite3_stmt *st = store_prepare(c, "UPDATE batches SET state = 'pending' WHERE state = "
                                        "'sending'");
    if (!st) {
        return ACDL_EDB;
    }
    int rc = exec_changes(c, st, &ch);
    return rc == ACDL_OK ? ch : rc;
}

int store_batch_next(struct store_conn *c, int64_t target_id, int64_t now, struct store_batch *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " BATCH_COLS " FROM batches WHERE target_id = "
                                        "? AND state IN ('pending', 'sending') ORDER BY id "
                                        "LIMIT 1");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, target_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        row_to_batch(st, out);
    }
    store_done(st);
    if (r != SQLITE_ROW) {
        return r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
    }
    return out->next_attempt_at <= now ? ACDL_OK : ACDL_EAGAIN;
}

int store_batch_mark_sending(struct store_conn *c, int64_t id, int64_t now)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE batches SET state = 'sending', attempts = "
                                        "attempts + 1, updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    return exec_changes(c, st, NULL);
}

/* Batch id was accepted: the spans it carried (batch_agent_sent) become its target's basis
 * (target_agent_sent) for the agent days where no later batch set it. For a target getting part
 * days they are the digests of the day (outbox.c: "#" at points by line, sum_points, or "@" by
 * the parts' states, part_plan), copied as they are; "=" before them (a part day) only where
 * the target still holds a basis. Spans "=N\n..." (a part day made
 * before the digests) are the basis's first N bytes and the lines after, for a basis of lines;
 * a basis of digests cannot take them and is dropped. A day whose basis is gone meanwhile (a
 * changed setting) gets none: the next change sends it whole. An older batch accepted after a
 * later one (a failed batch retried by hand) may have put back older spans: those days lose
 * their basis and go to the end of the change feed, so they are given whole and current after
 * it. Inside the transaction that records the acceptance. */
static int sent_accept(struct store_conn *c, int64_t id)
{
    static const char *const sql[] = {
        "INSERT INTO target_agent_sent (target_id, agent_id, day, spans, batch_id) SELECT "
        "b.target_id, s.agent_id, s.day, CASE WHEN substr(s.spans, 1, 2) IN ('=#', '=@') THEN "
        "substr(s.spans, 2) WHEN substr(s.spans, 1, 1) = '=' THEN "
        "CAST(substr(CAST(t.spans AS BLOB), 1, CAST(substr(s.spans, 2, instr(s.spans, char(10)) "
        "- 2) AS INTEGER)) AS TEXT) || substr(s.spans, instr(s.spans, char(10)) + 1) ELSE "
        "s.spans END, s.batch_id FROM batch_agent_sent s JOIN batches b ON b.id = s.batch_id "
        "LEFT JOIN target_agent_sent t ON t.target_id = b.target_id AND t.agent_id = s.agent_id "
        "AND t.day = s.day WHERE s.batch_id = ?1 AND (substr(s.spans, 1, 1) <> '=' OR "
        "substr(s.spans, 2, 1) IN ('#', '@') AND t.spans IS NOT NULL OR substr(t.spans, 1, 1) "
        "NOT IN ('#', '@', '')) ON CONFLICT DO UPDATE SET spans = excluded.spans, batch_id = "
        "excluded.batch_id WHERE coalesce(target_agent_sent.batch_id, 0) <= excluded.batch_id",
        "UPDATE agent_days SET change_seq = m.top + x.n FROM (SELECT s.agent_id, s.day, "
        "row_number() OVER (ORDER BY s.agent_id, s.day) AS n FROM batch_agent_sent s JOIN "
        "batches b ON b.id = s.batch_id JOIN target_agent_sent t ON t.target_id = b.target_id "
        "AND t.agent_id = s.agent_id AND t.day = s.day WHERE s.batch_id = ?1 AND t.batch_id > "
        "?1) AS x, (SELECT max(change_seq) AS top FROM agent_days) AS m WHERE "
        "agent_days.agent_id = x.agent_id AND agent_days.day = x.day",
        "DELETE FROM target_agent_sent WHERE (target_id, agent_id, day) IN (SELECT b.target_id, "
        "s.agent_id, s.day FROM batch_agent_sent s JOIN batches b ON b.id = s.batch_id WHERE "
        "s.batch_id = ?1) AND (spans = '' OR batch_id IS NOT ?1)",
        "DELETE FROM batch_agent_sent WHERE batch_id = ?1",
    };
    int rc = ACDL_OK;
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == ACDL_OK; i++) {
        sqlite3_stmt *st = store_prepare(c, sql[i]);
        if (!st) {
            return ACDL_EDB;
        }
        sqlite3_bind_int64(st, 1, id);
        rc = exec_changes(c, st, NULL);
    }
    return rc;
}

int store_batch_finish(struct store_conn *c, int64_t id, const char *state, int64_t next_attempt_at,
                       const struct store_attempt *a, int64_t now)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *ins = store_prepare(c, "INSERT OR REPLACE INTO batch_attempts (batch_id, n, "
                                         "started_at, duration_ms, outcome, http_status, "
                                         "answer, error, error_code, error_params) VALUES (?, "
                                         "?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *up = store_prepare(
        c, "UPDATE batches SET state = ?1, next_attempt_at = ?2, last_status = ?3, last_error "
           "= ?4, updated_at = ?5, acked_at = CASE WHEN ?1 = 'acked' THEN ?5 ELSE acked_at END, "
           "last_error_code = ?7, last_error_params = ?8 WHERE id = ?6");
    if (!ins || !up) {
        store_rollback(c);
        return ACDL_EDB;
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int(ins, 2, a->n);
    sqlite3_bind_int64(ins, 3, a->started_at);
    sqlite3_bind_int(ins, 4, a->duration_ms);
    store_bind_text(ins, 5, a->outcome);
    if (a->http_status) {
        sqlite3_bind_int(ins, 6, a->http_status);
    }
    store_bind_text(ins, 7, a->answer[0] ? a->answer : NULL);
    store_bind_text(ins, 8, a->error[0] ? a->error : NULL);
    store_bind_text(ins, 9, a->error[0] && a->error_code[0] ? a->error_code : NULL);
    store_bind_text(ins, 10, a->error[0] && a->error_code[0] ? a->error_params : NULL);
    rc = exec_changes(c, ins, NULL);
    if (rc == ACDL_OK) {
        store_bind_text(up, 1, state);
        sqlite3_bind_int64(up, 2, next_attempt_at);
        if (a->http_status) {
            sqlite3_bind_int(up, 3, a->http_status);
        }
        store_bind_text(up, 4, a->error[0] ? a->error : NULL);
        sqlite3_bind_int64(up, 5, now);
        sqlite3_bind_int64(up, 6, id);
        store_bind_text(up, 7, a->error[0] && a->error_code[0] ? a->error_code : NULL);
        store_bind_text(up, 8, a->error[0] && a->error_code[0] ? a->error_params : NULL);
        rc = exec_changes(c, up, NULL);
    } else {
        store_done(up);
    }
    if (rc == ACDL_OK && !strcmp(state, "acked")) {
        rc = sent_accept(c, id);
    }
    if (rc == ACDL_OK) {
        return store_commit(c);
    }
    store_rollback(c);
    return rc;
}

int store_backlog_get(struct store_conn *c, int64_t target_id, struct store_backlog *out)
{
    sqlite3_stmt *st = store_prepare(
        c, "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'sending'), 0), "
           "coalesce(sum(state = 'failed'), 0), coalesce(sum(state = 'acked'), 0), "
           "coalesce(min(CASE WHEN state IN ('pending', 'sending', 'failed') THEN created_at "
           "END), 0), coalesce(max(acked_at), 0), (SELECT count(*) FROM outbox_cells WHERE ?1 "
           "= 0 OR target_id = ?1) + (SELECT count(*) FROM target_agent_cursors k JOIN "
           "agent_days a ON a.change_seq > k.last_seq WHERE ?1 = 0 OR k.target_id = ?1) + "
           "(SELECT count(*) FROM outbox_agent_days WHERE ?1 = 0 OR target_id = ?1) FROM "
           "batches WHERE ?1 = 0 OR target_id = ?1");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, target_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        out->pending = sqlite3_column_int64(st, 0);
        out->sending = sqlite3_column_int64(st, 1);
        out->failed = sqlite3_column_int64(st, 2);
        out->acked = sqlite3_column_int64(st, 3);
        out->oldest_pending_at = sqlite3_column_int64(st, 4);
        out->last_acked_at = sqlite3_column_int64(st, 5);
        out->queued = sqlite3_column_int64(st, 6);
    }
    store_done(st);
    return r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}
