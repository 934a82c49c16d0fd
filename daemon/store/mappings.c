/* mappings.c: the mappings and mapping_inputs tables. */
#include "store/mappings.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/recomputes.h"
#include "upload/outbox.h"

static int step(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
    int r = sqlite3_step(s);
    store_done(s);
    if (r == SQLITE_DONE) {
        return ACDL_OK;
    }
    if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return ACDL_EEXIST;
    }
    if (r == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return ACDL_ECONFLICT;
    }
    log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
    return ACDL_EDB;
}

static int put_inputs(struct store_conn *c, int64_t id, const struct store_mapping *m)
{
    sqlite3_stmt *s = store_prepare(c, "DELETE FROM mapping_inputs WHERE mapping_id = ?");
    int rc;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    if ((rc = step(c, s, "replacing mapping inputs")) != ACDL_OK) {
        return rc;
    }
    for (int i = 0; i < m->n; i++) {
        s = store_prepare(c, "INSERT INTO mapping_inputs (mapping_id, position, source_id, "
                             "ext_queue, metric) VALUES (?, ?, ?, ?, ?)");
        if (!s) {
            return ACDL_EDB;
        }
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int(s, 2, i + 1);
        sqlite3_bind_int64(s, 3, m->in[i].source_id);
        store_bind_text(s, 4, m->in[i].ext_queue);
        store_bind_text(s, 5, m->in[i].metric);
        if ((rc = step(c, s, "adding a mapping input")) != ACDL_OK) {
            return rc;
        }
    }
    return ACDL_OK;
}

int store_mapping_insert(struct store_conn *c, const struct store_mapping *m, int64_t now,
                         int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO mappings (queue_id, value_type_id, formula, "
                                       "created_at, updated_at, form_override) VALUES (?, ?, ?, "
                                       "?4, ?4, ?5)");
    int rc;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, m->queue_id);
    sqlite3_bind_int64(s, 2, m->value_type_id);
    store_bind_text(s, 3, m->has_formula ? m->formula : NULL);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int(s, 5, m->form_override != 0);
    if ((rc = step(c, s, "adding a mapping")) != ACDL_OK) {
        return rc;
    }
    *id = sqlite3_last_insert_rowid(store_db(c));
    if ((rc = put_inputs(c, *id, m)) == ACDL_OK) {
        rc = store_recompute_mapping(c, *id, "mapping created", now, NULL);
    }
    return rc;
}

int store_mapping_add(struct store_conn *c, const struct store_mapping *m, int64_t now, int64_t *id)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = store_mapping_insert(c, m, now, id);
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    }
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}

static int load_inputs(struct store_conn *c, struct store_mapping *m)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT i.source_id, s.name, i.ext_queue, i.metric FROM "
                                       "mapping_inputs i JOIN sources s ON s.id = i.source_id "
                                       "WHERE i.mapping_id = ? ORDER BY i.position");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, m->id);
    m->n = 0;
    while (sqlite3_step(s) == SQLITE_ROW && m->n < MAPPING_MAX_INPUTS) {
        struct store_mapping_input *in = &m->in[m->n++];
        in->source_id = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, in->source_name, sizeof(in->source_name));
        store_column_text(s, 2, in->ext_queue, sizeof(in->ext_queue));
        store_column_text(s, 3, in->metric, sizeof(in->metric));
    }
    store_done(s);
    return ACDL_OK;
}

#define MAPPING_SELECT                                                                             \
    "SELECT m.id, m.queue_id, m.value_type_id, q.identifier, v.key, m.formula, m.created_at, "     \
    "m.updated_at, r.id IS NOT NULL, r.last_error, m.form_override FROM mappings m JOIN "          \
    "wfm_queues q ON q.id = "                                                                      \
    "m.queue_id JOIN value_types v ON v.id = m.value_type_id LEFT JOIN recomputes r ON "           \
    "r.kind = 'mapping' AND r.ref_id = m.id "

static void row_to_mapping(sqlite3_stmt *s, struct store_mapping *m)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(s, 0);
    m->queue_id = sqlite3_column_int64(s, 1);
    m->value_type_id = sqlite3_column_int64(s, 2);
    store_column_text(s, 3, m->queue_identifier, sizeof(m->queue_identifier));
    store_column_text(s, 4, m->value_type_key, sizeof(m->value_type_key));
    m->has_formula = sqlite3_column_type(s, 5) != SQLITE_NULL;
    store_column_text(s, 5, m->formula, sizeof(m->formula));
    m->created_at = sqlite3_column_int64(s, 6);
    m->updated_at = sqlite3_column_int64(s, 7);
    m->pending_recompute = sqlite3_column_int(s, 8);
    store_column_text(s, 9, m->recompute_error, sizeof(m->recompute_error));
    m->form_override = sqlite3_column_int(s, 10);
}

int store_mapping_get(struct store_conn *c, int64_t id, struct store_mapping *out)
{
    sqlite3_stmt *s = store_prepare(c, MAPPING_SELECT "WHERE m.id = ?");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_mapping(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc == ACDL_OK ? load_inputs(c, out) : rc;
}

int store_mapping_list(struct store_conn *c, int64_t after_id, int64_t queue_id, int limit,
                       struct store_mapping **out, int *n)
{
    sqlite3_stmt *s = store_prepare(c, MAPPING_SELECT "WHERE m.id > ?1 AND (?2 = 0 OR m.queue_id "
                                                      "= ?2) ORDER BY m.id LIMIT ?3");
    struct store_mapping *arr;
    int cnt = 0;
    if (!s) {
        return ACDL_EDB;
    }
    arr = calloc((size_t)(limit > 0 ? limit : 1), sizeof(*arr));
    if (!arr) {
        store_done(s);
        return ACDL_ENOMEM;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, queue_id);
    sqlite3_bind_int(s, 3, limit);
    while (sqlite3_step(s) == SQLITE_ROW && cnt < limit) {
        row_to_mapping(s, &arr[cnt++]);
    }
    store_done(s);
    for (int i = 0; i < cnt; i++) {
        load_inputs(c, &arr[i]);
    }
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}

int store_mapping_update(struct store_conn *c, const struct store_mapping *m, int64_t now)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *s = store_prepare(c, "UPDATE mappings SET formula = ?, updated_at = ?, "
                                       "form_override = ?4 WHERE id = ?3");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    store_bind_text(s, 1, m->has_formula ? m->formula : NULL);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, m->id);
    sqlite3_bind_int(s, 4, m->form_override != 0);
    if ((rc = step(c, s, "changing a mapping")) == ACDL_OK) {
        rc = sqlite3_changes(store_db(c)) ? put_inputs(c, m->id, m) : ACDL_ENOTFOUND;
    }
    if (rc == ACDL_OK) { /* same transaction: a crash cannot leave the old results */
        rc = store_recompute_mapping(c, m->id, "mapping changed", now, NULL);
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

int store_mapping_remove(struct store_conn *c, int64_t id, int64_t now, int64_t *results)
{
    int64_t queue_id = 0, value_type_id = 0;
    sqlite3_stmt *s = store_prepare(c, "SELECT queue_id, value_type_id FROM mappings WHERE id = ?");
    int rc = s ? ACDL_ENOTFOUND : ACDL_EDB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            queue_id = sqlite3_column_int64(s, 0);
            value_type_id = sqlite3_column_int64(s, 1);
            rc = ACDL_OK;
        }
        store_done(s);
    }
    if (rc == ACDL_OK) { /* the weighted averages that took their weights from it */
        rc = store_recompute_mapping(c, id, "mapping deleted", now, NULL);
    }
    if (rc == ACDL_OK) {
        /* its results go with it: nothing computes them any more */
        s = store_prepare(c, "DELETE FROM results WHERE queue_id = ? AND value_type_id = ?");
        if (!s) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(s, 1, queue_id);
            sqlite3_bind_int64(s, 2, value_type_id);
            rc = step(c, s, "deleting results");
        }
        if (rc == ACDL_OK && results) {
            *results += sqlite3_changes(store_db(c));
        }
    }
    if (rc == ACDL_OK) { /* the targets get its intervals without it; a new mapping's values
                          * are sent again even when equal */
        rc = outbox_mark(c, queue_id, value_type_id, INT64_MIN, INT64_MAX, now);
    }
    if (rc == ACDL_OK) {
        s = store_prepare(c, "DELETE FROM mappings WHERE id = ?");
        if (!s) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(s, 1, id);
            rc = step(c, s, "deleting a mapping");
        }
    }
    if (rc == ACDL_OK) { /* nothing left to compute for it */
        s = store_prepare(c, "DELETE FROM recomputes WHERE kind = 'mapping' AND ref_id = ?");
        if (!s) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(s, 1, id);
            rc = step(c, s, "deleting a mapping's recompute");
        }
    }
    return rc;
}

int store_mapping_delete(struct store_conn *c, int64_t id, int64_t now)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = store_mapping_remove(c, id, now, NULL);
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    return rc;
}
