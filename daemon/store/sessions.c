/* sessions.c: console sessions, looked up by the SHA-256 of the cookie value.
 *
 * Logging in must work while the database cannot be written (disk full, read-only, another
 * transaction holding it for longer than the login waits). A session whose row cannot be
 * written is kept in memory instead: a bounded table, ids below 0, checked against the user's
 * row on every lookup (disabled, deleted or changed since the login end it, like the rows a
 * user update deletes). Such sessions end when the daemon stops. */
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "platform/platform.h"
#include "store/users.h"

#define MEM_SESSIONS 256
#define SESSION_WRITE_WAIT_MS 3000 /* then the session goes to memory */

struct mem_session {
    int64_t id; /* < 0; 0 = free slot */
    unsigned char hash[32];
    int64_t user_id, created_at, last_seen, expires_at;
    char csrf[64];
};

static pthread_mutex_t mem_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mem_session mem[MEM_SESSIONS];
static int64_t mem_next_id = -1;

/* Keeps a session in memory, replacing an ended one or else the oldest. */
static int64_t mem_add(const unsigned char hash[32], int64_t user_id, const char *csrf, int64_t now,
                       int64_t expires_at, int idle)
{
    pthread_mutex_lock(&mem_mu);
    struct mem_session *slot = &mem[0];
    for (int i = 0; i < MEM_SESSIONS; i++) {
        struct mem_session *m = &mem[i];
        if (m->id == 0 || m->expires_at <= now || m->last_seen <= now - idle) {
            slot = m;
            break;
        }
        if (m->created_at < slot->created_at) {
            slot = m;
        }
    }
    memset(slot, 0, sizeof(*slot));
    slot->id = mem_next_id--;
    memcpy(slot->hash, hash, 32);
    slot->user_id = user_id;
    slot->created_at = now;
    slot->last_seen = now;
    slot->expires_at = expires_at;
    snprintf(slot->csrf, sizeof(slot->csrf), "%s", csrf);
    int64_t id = slot->id;
    pthread_mutex_unlock(&mem_mu);
    return id;
}

/* Copies the live memory session with hash into *out (user fields not filled); 0 or
 * ACDL_ENOTFOUND. */
static int mem_find(const unsigned char hash[32], int64_t now, int idle, struct store_session *out)
{
    int rc = ACDL_ENOTFOUND;
    pthread_mutex_lock(&mem_mu);
    for (int i = 0; i < MEM_SESSIONS; i++) {
        const struct mem_session *m = &mem[i];
        if (m->id != 0 && memcmp(m->hash, hash, 32) == 0 && m->expires_at > now &&
            m->last_seen > now - idle) {
            memset(out, 0, sizeof(*out));
            out->id = m->id;
            out->user_id = m->user_id;
            snprintf(out->csrf, sizeof(out->csrf), "%s", m->csrf);
            out->created_at = m->created_at;
            out->last_seen = m->last_seen;
            out->expires_at = m->expires_at;
            rc = ACDL_OK;
            break;
        }
    }
    pthread_mutex_unlock(&mem_mu);
    return rc;
}

/* Applies fn to the memory session id: touch (now > 0) or delete (now == 0). */
static void mem_update(int64_t id, int64_t now)
{
    pthread_mutex_lock(&mem_mu);
    for (int i = 0; i < MEM_SESSIONS; i++) {
        if (mem[i].id == id) {
            if (now > 0) {
                mem[i].last_seen = now;
            } else {
                memset(&mem[i], 0, sizeof(mem[i]));
            }
            break;
        }
    }
    pthread_mutex_unlock(&mem_mu);
}

int store_session_memory_count(int64_t now)
{
    int n = 0;
    pthread_mutex_lock(&mem_mu);
    for (int i = 0; i < MEM_SESSIONS; i++) {
        n += mem[i].id != 0 && mem[i].expires_at > now;
    }
    pthread_mutex_unlock(&mem_mu);
    return n;
}

static int db_add(struct store_conn *c, const unsigned char hash[32], int64_t user_id,
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
    rc = store_step_done(c, s, "session insert");
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
    rc = store_step_done(c, s, "session cap");
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    }
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
    }
    return rc;
}

int store_session_add(struct store_conn *c, const unsigned char hash[32], int64_t user_id,
                      const char *csrf, const char *client, int64_t now, int64_t expires_at,
                      int max_per_user, int idle)
{
    int wait = store_wait(c, SESSION_WRITE_WAIT_MS);
    int rc = db_add(c, hash, user_id, csrf, client, now, expires_at, max_per_user);
    store_wait(c, wait);
    if (rc != ACDL_EAGAIN && rc != ACDL_ENOSPC && rc != ACDL_EDB) {
        return rc; /* 0, or a refusal (an unknown user, a duplicate) that memory would not cure */
    }
    int64_t id = mem_add(hash, user_id, csrf, now, expires_at, idle);
    log_warn("store",
             "session %lld of user %lld kept in memory (it ends when the daemon "
             "stops): the database cannot be written: %s",
             (long long)id, (long long)user_id, acdl_strerror(store_thread_rc(rc)));
    return ACDL_OK;
}

/* The user of a memory session: enabled and unchanged since the login. */
static int mem_user(struct store_conn *c, struct store_session *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT name, role, updated_at FROM users WHERE id = ? "
                                       "AND disabled = 0");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, out->user_id);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 2) <= out->created_at) {
        store_column_text(s, 0, out->user_name, sizeof(out->user_name));
        store_column_text(s, 1, out->role, sizeof(out->role));
        rc = ACDL_OK;
    }
    store_done(s);
    if (rc == ACDL_ENOTFOUND) {
        mem_update(out->id, 0);
    }
    return rc;
}

int store_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now, int idle,
                       struct store_session *out)
{
    if (mem_find(hash, now, idle, out) == ACDL_OK) {
        return mem_user(c, out);
    }
    /* found in an earlier read transaction of c and nothing committed since (a logout, the
     * user's role or disabling, the last-seen write: all commits): the same row, with the
     * query's conditions on the clock checked again */
    struct store_session m;
    if (store_memo_get(c, STORE_MEMO_SESSION, hash, &m, sizeof(m))) {
        if (!(m.expires_at > now && m.last_seen > now - idle)) {
            return ACDL_ENOTFOUND;
        }
        *out = m;
        return ACDL_OK;
    }
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
        store_memo_put(c, STORE_MEMO_SESSION, hash, out, sizeof(*out));
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

_Static_assert(sizeof(struct store_session) <= STORE_MEMO_VAL, "a session's record fits the memo");

int store_session_touch(struct store_conn *c, int64_t id, int64_t now)
{
    if (id < 0) {
        mem_update(id, now);
        return ACDL_OK;
    }
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
    if (id < 0) {
        mem_update(id, 0);
        return ACDL_OK;
    }
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
