/* audit.c: the audit table (append-only; triggers refuse updates and deletes). */
#include "store/audit.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

int store_audit_add(struct store_conn *c, int64_t ts, const char *actor, const char *actor_kind,
                    const char *client, const char *action, const char *target,
                    const char *outcome, const char *detail)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO audit (ts, actor, actor_kind, client, action, "
                                       "target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    int rc = ACDL_EDB;
    if (!s) {
        return rc;
    }
    sqlite3_bind_int64(s, 1, ts);
    store_bind_text(s, 2, actor);
    store_bind_text(s, 3, actor_kind);
    store_bind_text(s, 4, client);
    store_bind_text(s, 5, action);
    store_bind_text(s, 6, target ? target : "");
    store_bind_text(s, 7, outcome);
    store_bind_text(s, 8, detail ? detail : "{}");
    if (sqlite3_step(s) == SQLITE_DONE) {
        rc = ACDL_OK;
    } else {
        log_error("store", "writing the audit log failed: %s", sqlite3_errmsg(store_db(c)));
    }
    store_done(s);
    return rc;
}

int store_audit_list(struct store_conn *c, const struct store_audit_filter *f, int limit,
                     struct store_audit_entry **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT id, ts, actor, actor_kind, client, action, target, outcome, detail FROM audit "
           "WHERE (?1 = 0 OR id < ?1) AND (?2 IS NULL OR action = ?2) "
           "AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR outcome = ?4) "
           "AND (?5 = 0 OR ts >= ?5) AND (?6 = 0 OR ts < ?6) ORDER BY id DESC LIMIT ?7");
    struct store_audit_entry *arr;
    int cnt = 0, r, rc = ACDL_OK;
    if (!s) {
        return ACDL_EDB;
    }
    arr = calloc((size_t)(limit > 0 ? limit : 1), sizeof(*arr));
    if (!arr) {
        store_done(s);
        return ACDL_ENOMEM;
    }
    sqlite3_bind_int64(s, 1, f->before_id);
    store_bind_text(s, 2, f->action);
    store_bind_text(s, 3, f->actor);
    store_bind_text(s, 4, f->outcome);
    sqlite3_bind_int64(s, 5, f->since);
    sqlite3_bind_int64(s, 6, f->until);
    sqlite3_bind_int(s, 7, limit);
    while ((r = sqlite3_step(s)) == SQLITE_ROW && cnt < limit) {
        struct store_audit_entry *e = &arr[cnt];
        e->id = sqlite3_column_int64(s, 0);
        e->ts = sqlite3_column_int64(s, 1);
        store_column_text(s, 2, e->actor, sizeof(e->actor));
        store_column_text(s, 3, e->actor_kind, sizeof(e->actor_kind));
        store_column_text(s, 4, e->client, sizeof(e->client));
        store_column_text(s, 5, e->action, sizeof(e->action));
        store_column_text(s, 6, e->target, sizeof(e->target));
        store_column_text(s, 7, e->outcome, sizeof(e->outcome));
        const unsigned char *d = sqlite3_column_text(s, 8);
        e->detail = strdup(d ? (const char *)d : "{}");
        cnt++;
        if (!e->detail) {
            rc = ACDL_ENOMEM;
            break;
        }
    }
    store_done(s);
    if (rc == ACDL_OK && r != SQLITE_DONE && r != SQLITE_ROW) {
        rc = ACDL_EDB;
    }
    if (rc != ACDL_OK) {
        store_audit_free(arr, cnt);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}

void store_audit_free(struct store_audit_entry *arr, int n)
{
    if (!arr) {
        return;
    }
    for (int i = 0; i < n; i++) {
        free(arr[i].detail);
    }
    free(arr);
}
