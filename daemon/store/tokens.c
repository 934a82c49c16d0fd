/* tokens.c: the api_tokens table. */
#include "store/tokens.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

#define TOKEN_COLS                                                                                 \
    "t.id, t.name, t.role, t.prefix, t.created_by, t.created_at, t.last_used_at, "                 \
    "t.revoked_at, t.owner_id, t.expires_at"

static void row_to_token(sqlite3_stmt *s, void *elem)
{
    struct store_token *t = elem;
    t->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, t->name, sizeof(t->name));
    store_column_text(s, 2, t->role, sizeof(t->role));
    store_column_text(s, 3, t->prefix, sizeof(t->prefix));
    store_column_text(s, 4, t->created_by, sizeof(t->created_by));
    t->created_at = sqlite3_column_int64(s, 5);
    t->last_used_at = sqlite3_column_int64(s, 6);
    t->revoked_at = sqlite3_column_int64(s, 7);
    t->owner_id = sqlite3_column_int64(s, 8);
    t->expires_at = sqlite3_column_int64(s, 9);
    t->owner_role[0] = '\0';
}

int store_token_add(struct store_conn *c, const char *name, const char *role, const char *prefix,
                    const unsigned char hash[32], const char *created_by, int64_t owner_id,
                    int64_t expires_at, int64_t now, int64_t *id_out)
{
    sqlite3_stmt *s =
        store_prepare(c, "INSERT INTO api_tokens (name, role, prefix, token_hash, created_by, "
                         "created_at, owner_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, role);
    store_bind_text(s, 3, prefix);
    sqlite3_bind_blob(s, 4, hash, 32, SQLITE_TRANSIENT);
    store_bind_text(s, 5, created_by);
    sqlite3_bind_int64(s, 6, now);
    if (owner_id > 0) {
        sqlite3_bind_int64(s, 7, owner_id);
    } else {
        sqlite3_bind_null(s, 7); /* made by no user: it never works */
    }
    if (expires_at > 0) {
        sqlite3_bind_int64(s, 8, expires_at);
    } else {
        sqlite3_bind_null(s, 8);
    }
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = ACDL_OK;
        *id_out = sqlite3_last_insert_rowid(store_db(c));
    } else {
        log_error("store", "adding a token failed: %s", sqlite3_errmsg(store_db(c)));
    }
    store_done(s);
    return rc;
}

static int get_one(sqlite3_stmt *s, struct store_token *out)
{
    int rc = ACDL_ENOTFOUND;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_token(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

/* A lookup kept on the connection (store_memo_*): the token as found, and whether it never
 * expires (expires_at NULL). */
struct token_memo {
    struct store_token t;
    int expires_null;
};
_Static_assert(sizeof(struct token_memo) <= STORE_MEMO_VAL, "a token's record fits the memo");

int store_token_find(struct store_conn *c, const unsigned char hash[32], int64_t now,
                     struct store_token *out)
{
    struct token_memo m;
    /* found in an earlier read transaction of c and nothing committed since: the same row,
     * with the query's conditions that do not depend on the data (expiry) checked again */
    if (store_memo_get(c, STORE_MEMO_TOKEN, hash, &m, sizeof(m))) {
        if (!m.expires_null && !(m.t.expires_at > now)) {
            return ACDL_ENOTFOUND;
        }
        *out = m.t;
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(c, "SELECT " TOKEN_COLS ", u.role FROM api_tokens t "
                                       "JOIN users u ON u.id = t.owner_id "
                                       "WHERE t.token_hash = ? AND t.revoked_at IS NULL "
                                       "AND (t.expires_at IS NULL OR t.expires_at > ?) "
                                       "AND u.disabled = 0");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, now);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_token(s, out);
        store_column_text(s, 10, out->owner_role, sizeof(out->owner_role));
        memset(&m, 0, sizeof(m));
        m.t = *out;
        m.expires_null = sqlite3_column_type(s, 9) == SQLITE_NULL;
        store_memo_put(c, STORE_MEMO_TOKEN, hash, &m, sizeof(m));
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_token_get(struct store_conn *c, int64_t id, struct store_token *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " TOKEN_COLS " FROM api_tokens t WHERE t.id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return get_one(s, out);
}

int store_token_list(struct store_conn *c, int64_t after_id, int limit, struct store_token **out,
                     int *n)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " TOKEN_COLS
                                       " FROM api_tokens t WHERE t.id > ? ORDER BY t.id LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_token), limit, row_to_token, (void **)out, n);
}

int store_token_touch(struct store_conn *c, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2 "
                                       "AND (last_used_at IS NULL OR last_used_at < ?1 - 60)");
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

int store_token_revoke(struct store_conn *c, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_prepare(
        c, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = sqlite3_changes(store_db(c)) ? ACDL_OK : ACDL_ENOTFOUND;
    }
    store_done(s);
    return rc;
}
