/* sessions.c: console sessions, looked up by the SHA-256 of the cookie value. */
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/users.h"

int store_session_add(struct store_conn *c, const unsigned char hash[32], int64_t user_id,
                      const char *csrf, const char *client, int64_t now, int64_t expires_at,
                      int max_per_user)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO sessions (token_hash, user_id, csrf_token, "
                                       "client, created_at, last_seen, expires_at) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, user_id);
    store_bind_text(s, 3, csrf);
    store_bind_text(s, 4, client);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, expires_at);
    rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    if (rc != ACDL_OK) {
        goto out;
    }
    /* Cap: keep the newest max_per_user sessions of this user. */
    s = store_prepare(c, "DELETE FROM sessions WHERE user_id = ?1 AND id NOT IN "
                         "(SELECT id FROM sessions WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int(s, 2, max_per_user);
    rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    }
out:
    if (rc != ACDL_OK) {
        log_error("store", "creating a session failed: %s", sqlite3_errmsg(store_db(c)));
        store_rollback(c);
    }
    return rc;
}

int store_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now,
                       int idle, struct store_session *out)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT s.id, s.user_id, u.name, u.role, s.csrf_token, s.created_at, s.last_seen, "
           "s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
           "WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen > ? AND u.disabled = 0");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, now - idle);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        out->user_id = sqlite3_column_int64(s, 1);
        store_column_text(s, 2, out->user_name, sizeof(out->user_name));
        store_column_text(s, 3, out->role, sizeof(out->role));
        store_column_text(s, 4, out->csrf, sizeof(out->csrf));
        out->created_at = sqlite3_column_int64(s, 5);
        out->last_seen = sqlite3_column_int64(s, 6);
        out->expires_at = sqlite3_column_int64(s, 7);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_session_touch(struct store_conn *c, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE sessions SET last_seen = ? WHERE id = ?");
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

int store_session_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *s = store_prepare(c, "DELETE FROM sessions WHERE id = ?");
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

int store_session_purge(struct store_conn *c, int64_t now, int idle)
{
    sqlite3_stmt *s =
        store_prepare(c, "DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?");
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, now - idle);
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}
