/* catalog.c: the wfm_queues and value_types tables. */
#include "store/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/recomputes.h"
#include "upload/outbox.h"

#define QUEUE_COLS                                                                                 \
    "id, identifier, name, channel, interval_minutes, time_zone, created_at, updated_at"
#define VT_COLS "id, key, name, unit, combine, coalesce(weight_key, ''), builtin"

static int step_done(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
    return store_step_done(c, s, what);
}

static void row_to_queue(sqlite3_stmt *s, void *elem)
{
    struct store_queue *q = elem;
    q->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, q->identifier, sizeof(q->identifier));
    store_column_text(s, 2, q->name, sizeof(q->name));
    store_column_text(s, 3, q->channel, sizeof(q->channel));
    q->interval_minutes = sqlite3_column_int(s, 4);
    store_column_text(s, 5, q->time_zone, sizeof(q->time_zone));
    q->created_at = sqlite3_column_int64(s, 6);
    q->updated_at = sqlite3_column_int64(s, 7);
}

static void bind_queue(sqlite3_stmt *s, const struct store_queue *q)
{
    store_bind_text(s, 1, q->identifier);
    store_bind_text(s, 2, q->name);
    store_bind_text(s, 3, q->channel);
    sqlite3_bind_int(s, 4, q->interval_minutes);
    store_bind_text(s, 5, q->time_zone);
}

int store_queue_add(struct store_conn *c, const struct store_queue *q, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO wfm_queues (identifier, name, channel, interval_minutes, time_zone, "
           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?6, ?6)");
    if (!s) {
        return ACDL_EDB;
    }
    bind_queue(s, q);
    sqlite3_bind_int64(s, 6, now);
    int rc = step_done(c, s, "adding a queue");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_queue_get(struct store_conn *c, int64_t id, struct store_queue *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " QUEUE_COLS " FROM wfm_queues WHERE id = ?");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_queue(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

sqlite3_stmt *store_queue_list_rows(struct store_conn *c, int64_t after_id, int limit)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT " QUEUE_COLS " FROM wfm_queues WHERE id > ? ORDER BY id LIMIT ?");
    if (s) {
        sqlite3_bind_int64(s, 1, after_id);
        sqlite3_bind_int(s, 2, limit);
    }
    return s;
}

int store_queue_update(struct store_conn *c, const struct store_queue *q, int64_t now)
{
    struct store_queue before;
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = store_queue_get(c, q->id, &before);
    sqlite3_stmt *s = rc == ACDL_OK ? store_prepare(c, "UPDATE wfm_queues SET identifier = ?, "
                                                       "name = ?, channel = ?, interval_minutes "
                                                       "= ?, time_zone = ?, updated_at = ? WHERE "
                                                       "id = ?")
                                    : NULL;
    if (rc == ACDL_OK && !s) {
        rc = ACDL_EDB;
    }
    if (rc == ACDL_OK) {
        bind_queue(s, q);
        sqlite3_bind_int64(s, 6, now);
        sqlite3_bind_int64(s, 7, q->id);
        rc = step_done(c, s, "changing a queue");
    }
    /* formulas see the queue's local weekday and minute: same transaction */
    if (rc == ACDL_OK && strcmp(before.time_zone, q->time_zone) != 0) {
        rc =
            store_recompute_mappings_of(c, "queue_formulas", q->id, "queue time zone changed", now);
    }
    /* every row delivered carries these: the WFM gets all of the queue's rows again */
    if (rc == ACDL_OK &&
        (strcmp(before.identifier, q->identifier) || strcmp(before.name, q->name) ||
         strcmp(before.channel, q->channel) || before.interval_minutes != q->interval_minutes)) {
        rc = outbox_requeue(c, 0, q->id, INT64_MIN, INT64_MAX, 0, now, NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    return rc;
}

int store_queue_interval_conflict(struct store_conn *c, int64_t id, int minutes, char *source,
                                  size_t sourcesz, int *theirs)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT s.name, s.interval_minutes FROM mappings m JOIN mapping_inputs i ON "
           "i.mapping_id = m.id JOIN sources s ON s.id = i.source_id WHERE m.queue_id = ? AND "
           "s.interval_minutes <> ? ORDER BY s.id LIMIT 1");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, minutes);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        store_column_text(s, 0, source, sourcesz);
        *theirs = sqlite3_column_int(s, 1);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

static void row_to_vt(sqlite3_stmt *s, void *elem)
{
    struct store_value_type *v = elem;
    v->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, v->key, sizeof(v->key));
    store_column_text(s, 2, v->name, sizeof(v->name));
    store_column_text(s, 3, v->unit, sizeof(v->unit));
    store_column_text(s, 4, v->combine, sizeof(v->combine));
    store_column_text(s, 5, v->weight_key, sizeof(v->weight_key));
    v->builtin = sqlite3_column_int(s, 6);
}

int store_value_type_add(struct store_conn *c, const struct store_value_type *v, int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO value_types (key, name, unit, combine, "
                                       "weight_key) VALUES (?, ?, ?, ?, nullif(?, ''))");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, v->key);
    store_bind_text(s, 2, v->name);
    store_bind_text(s, 3, v->unit);
    store_bind_text(s, 4, v->combine);
    store_bind_text(s, 5, v->weight_key);
    int rc = step_done(c, s, "adding a value type");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

static int vt_get(struct store_conn *c, sqlite3_stmt *s, struct store_value_type *out)
{
    int rc = ACDL_ENOTFOUND;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_vt(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_value_type_get(struct store_conn *c, int64_t id, struct store_value_type *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " VT_COLS " FROM value_types WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return vt_get(c, s, out);
}

int store_value_type_get_by_key(struct store_conn *c, const char *key, struct store_value_type *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " VT_COLS " FROM value_types WHERE key = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, key);
    return vt_get(c, s, out);
}

int store_value_type_list(struct store_conn *c, int64_t after_id, int limit,
                          struct store_value_type **out, int *n)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT " VT_COLS " FROM value_types WHERE id > ? ORDER BY id LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_value_type), limit, row_to_vt, (void **)out, n);
}

int store_value_type_update(struct store_conn *c, const struct store_value_type *v, int64_t now)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *s = store_prepare(c, "UPDATE value_types SET name = ?, unit = ?, combine = ?, "
                                       "weight_key = nullif(?, '') WHERE id = ?");
    if (!s) {
        store_rollback(c);
        return ACDL_EDB;
    }
    store_bind_text(s, 1, v->name);
    store_bind_text(s, 2, v->unit);
    store_bind_text(s, 3, v->combine);
    store_bind_text(s, 4, v->weight_key);
    sqlite3_bind_int64(s, 5, v->id);
    rc = step_done(c, s, "changing a value type");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    /* the combination (sum, weighted and its weight) decides its mappings' results */
    if (rc == ACDL_OK) {
        rc = store_recompute_mappings_of(c, "value_type", v->id, "value type changed", now);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    return rc;
}

int store_value_type_delete(struct store_conn *c, int64_t id)
{
    struct store_value_type v;
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = store_value_type_get(c, id, &v);
    if (rc != ACDL_OK) {
        goto out;
    }
    /* Uses by mappings are refused by their foreign key (ON DELETE RESTRICT). */
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM value_types WHERE weight_key = ?");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    store_bind_text(s, 1, v.key);
    int64_t uses = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    store_done(s);
    if (v.builtin || uses != 0) {
        rc = uses < 0 ? ACDL_EDB : ACDL_ECONFLICT;
        goto out;
    }
    s = store_prepare(c, "DELETE FROM value_types WHERE id = ?");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, id);
    rc = step_done(c, s, "deleting a value type");
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    }
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}
