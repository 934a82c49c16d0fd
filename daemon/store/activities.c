/* activities.c: the wfm_activities and activity_codes tables. */
#include "store/activities.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/log.h"

#define ACT_COLS "id, identifier, name, coalesce(builtin, ''), created_at, updated_at"

static void row_to_activity(sqlite3_stmt *s, void *elem)
{
    struct store_activity *a = elem;
    a->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, a->identifier, sizeof(a->identifier));
    store_column_text(s, 2, a->name, sizeof(a->name));
    store_column_text(s, 3, a->builtin, sizeof(a->builtin));
    a->created_at = sqlite3_column_int64(s, 4);
    a->updated_at = sqlite3_column_int64(s, 5);
}

static int get_one(struct store_conn *c, sqlite3_stmt *s, struct store_activity *out)
{
    int rc = ACDL_ENOTFOUND;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_activity(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        log_error("store", "reading an activity failed: %s", sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_activity_add(struct store_conn *c, const struct store_activity *a, int64_t now,
                       int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO wfm_activities (identifier, name, "
                                       "created_at, updated_at) VALUES (?, ?, ?3, ?3)");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, a->identifier);
    store_bind_text(s, 2, a->name);
    sqlite3_bind_int64(s, 3, now);
    int rc = store_step_done(c, s, "adding an activity");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_activity_get(struct store_conn *c, int64_t id, struct store_activity *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " ACT_COLS " FROM wfm_activities WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return get_one(c, s, out);
}

int store_activity_find(struct store_conn *c, const char *identifier, struct store_activity *out)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT " ACT_COLS " FROM wfm_activities WHERE identifier = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, identifier);
    return get_one(c, s, out);
}

int64_t store_activity_builtin(struct store_conn *c, const char *builtin)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id FROM wfm_activities WHERE builtin = ?");
    int64_t id = 0;
    if (!s) {
        return 0;
    }
    store_bind_text(s, 1, builtin);
    if (sqlite3_step(s) == SQLITE_ROW) {
        id = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return id;
}

int store_activity_list(struct store_conn *c, int64_t after_id, int limit,
                        struct store_activity **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT " ACT_COLS " FROM wfm_activities WHERE id > ? ORDER BY id LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_activity), limit, row_to_activity, (void **)out,
                         n);
}

int store_activity_update(struct store_conn *c, const struct store_activity *a, int64_t now)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE wfm_activities SET identifier = ?, name = ?, "
                                       "updated_at = ? WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, a->identifier);
    store_bind_text(s, 2, a->name);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, a->id);
    int rc = store_step_done(c, s, "changing an activity");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_activity_delete(struct store_conn *c, int64_t id)
{
    struct store_activity a;
    int rc = store_activity_get(c, id, &a);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (a.builtin[0]) {
        return ACDL_ECONFLICT;
    }
    sqlite3_stmt *s = store_prepare(c, "DELETE FROM wfm_activities WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return store_step_done(c, s, "deleting an activity");
}

static void row_to_code(sqlite3_stmt *s, void *elem)
{
    struct store_activity_code *k = elem;
    k->source_id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, k->source_name, sizeof(k->source_name));
    store_column_text(s, 2, k->code, sizeof(k->code));
    store_column_text(s, 3, k->name, sizeof(k->name));
    k->activity_id = sqlite3_column_int64(s, 4);
    store_column_text(s, 5, k->activity_identifier, sizeof(k->activity_identifier));
    k->first_seen = sqlite3_column_int64(s, 6);
    k->last_seen = sqlite3_column_int64(s, 7);
    k->count = sqlite3_column_int64(s, 8);
}

int store_activity_code_list(struct store_conn *c, int64_t source_id, int unmapped_only,
                             int offset, int limit, struct store_activity_code **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT k.source_id, s.name, k.code, k.name, coalesce(k.activity_id, 0), "
           "coalesce(a.identifier, ''), coalesce(k.first_seen, 0), coalesce(k.last_seen, 0), "
           "k.count FROM activity_codes k JOIN sources s ON s.id = k.source_id LEFT JOIN "
           "wfm_activities a ON a.id = k.activity_id WHERE (?1 = 0 OR k.source_id = ?1) AND "
           "(?2 = 0 OR k.activity_id IS NULL) ORDER BY k.source_id, k.code LIMIT ?3 OFFSET ?4");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_int(s, 2, unmapped_only);
    sqlite3_bind_int(s, 3, limit);
    sqlite3_bind_int(s, 4, offset);
    return store_collect(s, sizeof(struct store_activity_code), limit, row_to_code, (void **)out,
                         n);
}

int store_activity_code_map(struct store_conn *c, int64_t source_id, const char *code,
                            int64_t activity_id)
{
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO activity_codes (source_id, code, activity_id) VALUES (?1, ?2, ?3) ON "
           "CONFLICT DO UPDATE SET activity_id = excluded.activity_id");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    store_bind_text(s, 2, code);
    if (activity_id > 0) {
        sqlite3_bind_int64(s, 3, activity_id);
    } else {
        sqlite3_bind_null(s, 3);
    }
    return store_step_done(c, s, "mapping an activity code");
}
