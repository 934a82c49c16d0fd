/* targets.c: the targets table. */
#include "store/targets.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

#define TARGET_COLS                                                                            \
    "id, name, connector, enabled, settings, secret_sealed, created_at, updated_at"

void store_target_clear(struct store_target *t)
{
    if (t) {
        free(t->settings);
        free(t->secret_sealed);
        t->settings = t->secret_sealed = NULL;
    }
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strdup((const char *)t) : NULL;
}

static int row_to_target(sqlite3_stmt *st, struct store_target *t)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, t->name, sizeof(t->name));
    store_column_text(st, 2, t->connector, sizeof(t->connector));
    t->enabled = sqlite3_column_int(st, 3);
    t->settings = dup_col(st, 4);
    t->secret_sealed = dup_col(st, 5);
    t->created_at = sqlite3_column_int64(st, 6);
    t->updated_at = sqlite3_column_int64(st, 7);
    return t->settings ? ACDL_OK : ACDL_ENOMEM;
}

static int finish(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    int rc = ACDL_OK;
    if (r == SQLITE_CONSTRAINT_UNIQUE || sqlite3_extended_errcode(store_db(c)) ==
                                             SQLITE_CONSTRAINT_UNIQUE) {
        rc = ACDL_EEXIST;
    } else if (r != SQLITE_DONE) {
        log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
    store_done(st);
    return rc;
}

int store_target_add(struct store_conn *c, const struct store_target *t, int64_t now,
                     int64_t *id)
{
    sqlite3_stmt *st = store_prepare(c, "INSERT INTO targets (name, connector, enabled, "
                                        "settings, created_at, updated_at) VALUES (?, ?, ?, ?, "
                                        "?5, ?5)");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, t->name);
    store_bind_text(st, 2, t->connector);
    sqlite3_bind_int(st, 3, t->enabled ? 1 : 0);
    store_bind_text(st, 4, t->settings);
    sqlite3_bind_int64(st, 5, now);
    int rc = finish(c, st, "adding a target");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
        /* agent-state changes from now on are this target's (upload/outbox.c) */
        st = store_prepare(c, "INSERT INTO target_agent_cursors (target_id, last_seq) SELECT ?, "
                              "coalesce(max(change_seq), 0) FROM agent_days");
        if (!st) {
            return ACDL_EDB;
        }
        sqlite3_bind_int64(st, 1, *id);
        rc = finish(c, st, "starting a target's agent-state position");
    }
    return rc;
}

int store_target_get(struct store_conn *c, int64_t id, struct store_target *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " TARGET_COLS " FROM targets WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    int rc = r == SQLITE_ROW ? row_to_target(st, out)
                             : (r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB);
    store_done(st);
    return rc;
}

int store_target_list(struct store_conn *c, int64_t after_id, int limit,
                      struct store_target **out, int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " TARGET_COLS " FROM targets WHERE id > ? "
                                        "ORDER BY id LIMIT ?");
    struct store_target *arr = NULL;
    int cnt = 0, rc = ACDL_OK;
    *out = NULL;
    *n = 0;
    if (!st) {
        return ACDL_EDB;
    }
    arr = calloc((size_t)(limit > 0 ? limit : 1), sizeof(*arr));
    if (!arr) {
        store_done(st);
        return ACDL_ENOMEM;
    }
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    while (cnt < limit && sqlite3_step(st) == SQLITE_ROW) {
        if ((rc = row_to_target(st, &arr[cnt])) != ACDL_OK) {
            break;
        }
        cnt++;
    }
    store_done(st);
    if (rc != ACDL_OK) {
        for (int i = 0; i <= cnt && i < limit; i++) {
            store_target_clear(&arr[i]);
        }
        free(arr);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}

int store_target_update(struct store_conn *c, const struct store_target *t, int64_t now)
{
    /* A target whose agent_days changes (https-json: whole days or their changed part) forgets
     * what it last accepted: the basis is only kept while parts are sent, so the next change of
     * each day goes whole and the basis starts again from it (docs/https-json.md). */
    sqlite3_stmt *st = store_prepare(
        c, "DELETE FROM target_agent_sent WHERE target_id = ?1 AND (SELECT "
           "json_extract(settings, '$.agent_days') FROM targets WHERE id = ?1) IS NOT "
           "json_extract(?2, '$.agent_days')");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, t->id);
    store_bind_text(st, 2, t->settings);
    int r = sqlite3_step(st);
    store_done(st);
    if (r != SQLITE_DONE) {
        return ACDL_EDB;
    }
    st = store_prepare(c, "UPDATE targets SET name = ?, enabled = ?, settings = "
                          "?, updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, t->name);
    sqlite3_bind_int(st, 2, t->enabled ? 1 : 0);
    store_bind_text(st, 3, t->settings);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, t->id);
    int rc = finish(c, st, "updating a target");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_target_set_secret(struct store_conn *c, int64_t id, const char *sealed, int64_t now)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE targets SET secret_sealed = ?, updated_at = ? "
                                        "WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, sealed);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    int rc = finish(c, st, "setting a target's secret");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_target_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *st = store_prepare(c, "DELETE FROM targets WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = finish(c, st, "deleting a target");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}
