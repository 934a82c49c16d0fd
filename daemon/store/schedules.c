/* schedules.c: the schedules table. */
#include "store/schedules.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

#define SCHED_COLS                                                                                 \
    "x.id, x.source_id, s.name, s.time_zone, x.kind, coalesce(x.every_minutes, 0), "               \
    "x.offset_minutes, coalesce(x.daily_at, ''), x.days_back, x.enabled, "                         \
    "coalesce(x.next_run_at, 0), coalesce(x.last_run_id, 0), x.created_at, x.updated_at, "         \
    "x.zero_fill, s.enabled FROM schedules x JOIN sources s ON s.id = x.source_id "

static void row(sqlite3_stmt *st, void *elem)
{
    struct store_schedule *s = elem;
    memset(s, 0, sizeof(*s));
    s->id = sqlite3_column_int64(st, 0);
    s->source_id = sqlite3_column_int64(st, 1);
    store_column_text(st, 2, s->source_name, sizeof(s->source_name));
    store_column_text(st, 3, s->source_tz, sizeof(s->source_tz));
    store_column_text(st, 4, s->kind, sizeof(s->kind));
    s->every_minutes = sqlite3_column_int(st, 5);
    s->offset_minutes = sqlite3_column_int(st, 6);
    store_column_text(st, 7, s->daily_at, sizeof(s->daily_at));
    s->days_back = sqlite3_column_int(st, 8);
    s->enabled = sqlite3_column_int(st, 9);
    s->next_run_at = sqlite3_column_int64(st, 10);
    s->last_run_id = sqlite3_column_int64(st, 11);
    s->created_at = sqlite3_column_int64(st, 12);
    s->updated_at = sqlite3_column_int64(st, 13);
    s->zero_fill = sqlite3_column_int(st, 14);
    s->source_enabled = sqlite3_column_int(st, 15);
}

static int done(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    store_done(st);
    if (r == SQLITE_DONE) {
        return ACDL_OK;
    }
    if (r == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return ACDL_ECONFLICT;
    }
    log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
    return ACDL_EDB;
}

static void bind_rule(sqlite3_stmt *st, const struct store_schedule *s)
{
    store_bind_text(st, 1, s->kind);
    if (s->every_minutes) {
        sqlite3_bind_int(st, 2, s->every_minutes);
    } else {
        sqlite3_bind_null(st, 2);
    }
    sqlite3_bind_int(st, 3, s->offset_minutes);
    store_bind_text(st, 4, s->daily_at[0] ? s->daily_at : NULL);
    sqlite3_bind_int(st, 5, s->days_back);
    sqlite3_bind_int(st, 6, s->enabled ? 1 : 0);
    if (s->next_run_at) {
        sqlite3_bind_int64(st, 7, s->next_run_at);
    } else {
        sqlite3_bind_null(st, 7);
    }
    sqlite3_bind_int(st, 10, s->zero_fill ? 1 : 0);
}

int store_schedule_add(struct store_conn *c, const struct store_schedule *s, int64_t now,
                       int64_t *id)
{
    sqlite3_stmt *st = store_prepare(
        c, "INSERT INTO schedules (kind, every_minutes, offset_minutes, daily_at, days_back, "
           "enabled, next_run_at, source_id, created_at, updated_at, zero_fill) VALUES (?, ?, ?, "
           "?, ?, ?, ?, ?, ?9, ?9, ?10)");
    if (!st) {
        return ACDL_EDB;
    }
    bind_rule(st, s);
    sqlite3_bind_int64(st, 8, s->source_id);
    sqlite3_bind_int64(st, 9, now);
    int rc = done(c, st, "adding a schedule");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_schedule_get(struct store_conn *c, int64_t id, struct store_schedule *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " SCHED_COLS "WHERE x.id = ?");
    int rc = ACDL_ENOTFOUND;
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        row(st, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(st);
    return rc;
}

int store_schedule_list(struct store_conn *c, int64_t after_id, int limit,
                        struct store_schedule **out, int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " SCHED_COLS "WHERE x.id > ? ORDER BY x.id "
                                                             "LIMIT ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    return store_collect(st, sizeof(struct store_schedule), limit, row, (void **)out, n);
}

int store_schedule_due(struct store_conn *c, int64_t now, int limit, struct store_schedule **out,
                       int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " SCHED_COLS "WHERE x.enabled = 1 AND s.enabled "
                                                             "= 1 AND x.next_run_at <= ? ORDER "
                                                             "BY x.next_run_at LIMIT ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return store_collect(st, sizeof(struct store_schedule), limit, row, (void **)out, n);
}

int store_schedule_update(struct store_conn *c, const struct store_schedule *s, int64_t now)
{
    sqlite3_stmt *st = store_prepare(
        c, "UPDATE schedules SET kind = ?, every_minutes = ?, offset_minutes = ?, daily_at = ?, "
           "days_back = ?, enabled = ?, next_run_at = ?, updated_at = ?, zero_fill = ?10 WHERE "
           "id = ?9");
    if (!st) {
        return ACDL_EDB;
    }
    bind_rule(st, s);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int64(st, 9, s->id);
    int rc = done(c, st, "changing a schedule");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_schedule_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *st = store_prepare(c, "DELETE FROM schedules WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = done(c, st, "deleting a schedule");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_schedule_fired(struct store_conn *c, int64_t id, int64_t run_id, int64_t next)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE schedules SET next_run_at = ?, last_run_id = "
                                        "coalesce(nullif(?, 0), last_run_id) WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, next);
    sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_int64(st, 3, id);
    return done(c, st, "recording a schedule's firing");
}

int store_schedule_next_of_source(struct store_conn *c, int64_t source_id, int64_t *next)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT coalesce(min(x.next_run_at), 0) FROM schedules x "
                                        "JOIN sources s ON s.id = x.source_id WHERE x.source_id "
                                        "= ? AND x.enabled = 1 AND s.enabled = 1");
    int rc = ACDL_EDB;
    *next = 0;
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, source_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *next = sqlite3_column_int64(st, 0);
        rc = ACDL_OK;
    }
    store_done(st);
    return rc;
}
