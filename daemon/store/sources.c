/* sources.c: the sources table. */
#include "store/sources.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/recomputes.h"

#define SOURCE_COLS                                                                            \
    "id, name, kind, product, layout, time_zone, interval_minutes, enabled, settings, "        \
    "password_sealed, created_at, updated_at"

void store_source_clear(struct store_source *s)
{
    if (s) {
        free(s->settings);
        free(s->password_sealed);
        s->settings = s->password_sealed = NULL;
    }
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strdup((const char *)t) : NULL;
}

static int row_to_source(sqlite3_stmt *st, struct store_source *s)
{
    memset(s, 0, sizeof(*s));
    s->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, s->name, sizeof(s->name));
    store_column_text(st, 2, s->kind, sizeof(s->kind));
    store_column_text(st, 3, s->product, sizeof(s->product));
    store_column_text(st, 4, s->layout, sizeof(s->layout));
    store_column_text(st, 5, s->time_zone, sizeof(s->time_zone));
    s->interval_minutes = sqlite3_column_int(st, 6);
    s->enabled = sqlite3_column_int(st, 7);
    s->settings = dup_col(st, 8);
    s->password_sealed = dup_col(st, 9);
    s->created_at = sqlite3_column_int64(st, 10);
    s->updated_at = sqlite3_column_int64(st, 11);
    if (!s->settings) {
        return ACDL_ENOMEM;
    }
    return ACDL_OK;
}

static int finish(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    int rc = ACDL_OK;
    if (r == SQLITE_CONSTRAINT_UNIQUE) {
        rc = ACDL_EEXIST;
    } else if (r != SQLITE_DONE) {
        log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
    store_done(st);
    return rc;
}

int store_source_add(struct store_conn *c, const struct store_source *s, int64_t now,
                     int64_t *id)
{
    sqlite3_stmt *st = store_prepare(
        c, "INSERT INTO sources (name, kind, product, layout, time_zone, interval_minutes, "
           "enabled, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?9, ?9)");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, s->name);
    store_bind_text(st, 2, s->kind);
    store_bind_text(st, 3, s->product);
    store_bind_text(st, 4, s->layout);
    store_bind_text(st, 5, s->time_zone);
    sqlite3_bind_int(st, 6, s->interval_minutes);
    sqlite3_bind_int(st, 7, s->enabled ? 1 : 0);
    store_bind_text(st, 8, s->settings);
    sqlite3_bind_int64(st, 9, now);
    int rc = finish(c, st, "adding a source");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_source_get(struct store_conn *c, int64_t id, struct store_source *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " SOURCE_COLS " FROM sources WHERE id = ?");
    int rc = ACDL_ENOTFOUND;
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        rc = row_to_source(st, out);
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(st);
    return rc;
}

int store_source_list(struct store_conn *c, int64_t after_id, int limit,
                      struct store_source **out, int *n)
{
    sqlite3_stmt *st = store_prepare(
        c, "SELECT " SOURCE_COLS " FROM sources WHERE id > ? ORDER BY id LIMIT ?");
    struct store_source *arr;
    int cnt = 0, r, rc = ACDL_OK;
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
    while ((r = sqlite3_step(st)) == SQLITE_ROW && cnt < limit) {
        rc = row_to_source(st, &arr[cnt++]);
        if (rc != ACDL_OK) {
            break;
        }
    }
    store_done(st);
    if (rc == ACDL_OK && r != SQLITE_DONE && r != SQLITE_ROW) {
        rc = ACDL_EDB;
    }
    if (rc != ACDL_OK) {
        for (int i = 0; i < cnt; i++) {
            store_source_clear(&arr[i]);
        }
        free(arr);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}

int store_source_update(struct store_conn *c, const struct store_source *s, int64_t now)
{
    sqlite3_stmt *st = store_prepare(
        c, "UPDATE sources SET name = ?, time_zone = ?, interval_minutes = ?, enabled = ?, "
           "settings = ?, updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, s->name);
    store_bind_text(st, 2, s->time_zone);
    sqlite3_bind_int(st, 3, s->interval_minutes);
    sqlite3_bind_int(st, 4, s->enabled ? 1 : 0);
    store_bind_text(st, 5, s->settings);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, s->id);
    int rc = finish(c, st, "changing a source");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_source_set_password(struct store_conn *c, int64_t id, const char *sealed, int64_t now)
{
    sqlite3_stmt *st = store_prepare(
        c, "UPDATE sources SET password_sealed = ?, updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, sealed);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    int rc = finish(c, st, "setting a source's password");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

