/* users.c: the users table. */
#include "store/users.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

int store_role_rank(const char *role)
{
    if (!role) {
        return 0;
    }
    if (!strcmp(role, "viewer")) {
        return 1;
    }
    if (!strcmp(role, "operator")) {
        return 2;
    }
    if (!strcmp(role, "admin")) {
        return 3;
    }
    return 0;
}

#define USER_COLS "id, name, role, password_hash, disabled, created_at, updated_at, last_login_at"

static void row_to_user(sqlite3_stmt *s, void *elem)
{
    struct store_user *u = elem;
    u->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, u->name, sizeof(u->name));
    store_column_text(s, 2, u->role, sizeof(u->role));
    store_column_text(s, 3, u->password_hash, sizeof(u->password_hash));
    u->disabled = sqlite3_column_int(s, 4);
    u->created_at = sqlite3_column_int64(s, 5);
    u->updated_at = sqlite3_column_int64(s, 6);
    u->last_login_at = sqlite3_column_int64(s, 7);
}

int store_user_add(struct store_conn *c, const char *name, const char *role, const char *hash,
                   int disabled, int64_t now, int64_t *id_out)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO users (name, role, password_hash, disabled, "
                                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
    int rc = ACDL_EDB;
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, role);
    store_bind_text(s, 3, hash);
    sqlite3_bind_int(s, 4, disabled ? 1 : 0);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    int r = sqlite3_step(s);
    if (r == SQLITE_DONE) {
        rc = ACDL_OK;
        if (id_out) {
            *id_out = sqlite3_last_insert_rowid(store_db(c));
        }
    } else if (r == SQLITE_CONSTRAINT_UNIQUE) {
        rc = ACDL_EEXIST;
    } else {
        log_error("store", "adding a user failed: %s", sqlite3_errmsg(store_db(c)));
    }
    store_done(s);
    return rc;
}

static int get_one(sqlite3_stmt *s, struct store_user *out)
{
    int rc = ACDL_ENOTFOUND;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_user(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_user_get(struct store_conn *c, int64_t id, struct store_user *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " USER_COLS " FROM users WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return get_one(s, out);
}

int store_user_get_by_name(struct store_conn *c, const char *name, struct store_user *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " USER_COLS " FROM users WHERE name = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, name);
    return get_one(s, out);
}

int store_user_list(struct store_conn *c, int64_t after_id, int limit, struct store_user **out,
                    int *n)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_user), limit, row_to_user, (void **)out, n);
}

int store_user_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM users");
    int rc = ACDL_EDB;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

static int enabled_admins(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0");
    int rc = ACDL_EDB;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

static int exec_id(struct store_conn *c, const char *sql, int64_t id)
{
    sqlite3_stmt *s = store_prepare(c, sql);
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

int store_user_update(struct store_conn *c, int64_t id, const char *role, const char *hash,
                      int disabled, int64_t now)
{
    struct store_user before;
    int64_t admins_before = 0, admins = 0;
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = store_user_get(c, id, &before);
    if (rc == ACDL_OK) {
        rc = enabled_admins(c, &admins_before);
    }
    if (rc != ACDL_OK) {
        goto out;
    }
    sqlite3_stmt *s = store_prepare(
        c, "UPDATE users SET role = coalesce(?, role), password_hash = coalesce(?, "
           "password_hash), disabled = CASE WHEN ? < 0 THEN disabled ELSE ? END, updated_at = ? "
           "WHERE id = ?");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    store_bind_text(s, 1, role);
    store_bind_text(s, 2, hash);
    sqlite3_bind_int(s, 3, disabled);
    sqlite3_bind_int(s, 4, disabled);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, id);
    rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = enabled_admins(c, &admins);
    if (rc != ACDL_OK) {
        goto out;
    }
    if (admins_before > 0 && admins == 0) {
        rc = ACDL_ECONFLICT;
        goto out;
    }
    /* A new password, a disabled account or fewer rights end the user's sessions. */
    if (hash || disabled == 1 || (role && store_role_rank(role) < store_role_rank(before.role))) {
        rc = exec_id(c, "DELETE FROM sessions WHERE user_id = ?", id);
        if (rc != ACDL_OK) {
            goto out;
        }
    }
    rc = store_commit(c);
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}

int store_user_delete(struct store_conn *c, int64_t id)
{
    int64_t admins_before = 0, admins = 0;
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = enabled_admins(c, &admins_before);
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = exec_id(c, "DELETE FROM users WHERE id = ?", id);
    if (rc != ACDL_OK) {
        goto out;
    }
    if (sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
        goto out;
    }
    rc = enabled_admins(c, &admins);
    if (rc == ACDL_OK && admins_before > 0 && admins == 0) {
        rc = ACDL_ECONFLICT;
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

int store_user_set_login(struct store_conn *c, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE users SET last_login_at = ? WHERE id = ?");
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}
