/* resend.c: a target's results queued again for a period of local days (see resend.h). */
#include "upload/resend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "upload/outbox.h"

/* The UTC range [lo, hi) of the local days from..to in zone; ACDL_EINVAL for an unknown zone. */
static int period_range(const char *zone, struct tz_date from, struct tz_date to, int64_t *lo,
                        int64_t *hi)
{
    struct tz *tz = NULL;
    int rc = tz_open(zone, &tz);
    if (rc == ACDL_OK) {
        rc = tz_day_bounds(tz, from, lo, NULL);
    }
    if (rc == ACDL_OK) {
        rc = tz_day_bounds(tz, to, NULL, hi);
    }
    tz_close(tz);
    return rc;
}

/* Every WFM queue's results of the period. */
static int queue_contacts(struct store_conn *c, const struct resend_request *rq, int64_t resend_id,
                          int64_t now, int64_t *pairs)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id, time_zone FROM wfm_queues ORDER BY id");
    int64_t *ids = NULL;
    char(*zones)[64] = NULL;
    size_t n = 0, cap = 0;
    int rc = ACDL_OK;
    if (!s) {
        return ACDL_EDB;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int64_t *ni = realloc(ids, nc * sizeof(*ids));
            if (ni) {
                ids = ni;
            }
            char(*nz)[64] = realloc(zones, nc * sizeof(*zones));
            if (nz) {
                zones = nz;
            }
            if (!ni || !nz) {
                rc = ACDL_ENOMEM;
                break;
            }
            cap = nc;
        }
        ids[n] = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, zones[n], sizeof(zones[n]));
        n++;
    }
    store_done(s);
    for (size_t i = 0; i < n && rc == ACDL_OK; i++) {
        int64_t lo = 0, hi = 0;
        if (period_range(zones[i], rq->from, rq->to, &lo, &hi) != ACDL_OK) {
            log_warn("upload", "resend: WFM queue %lld has the unknown time zone '%s'; skipped",
                     (long long)ids[i], zones[i]);
            continue;
        }
        rc = outbox_requeue(c, rq->target_id, ids[i], lo, hi, resend_id, now, pairs);
    }
    free(ids);
    free(zones);
    return rc;
}

static int queue_agent_days(struct store_conn *c, const struct resend_request *rq,
                            int64_t resend_id, int64_t now, int64_t *days)
{
    char from[11], to[11];
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO outbox_agent_days (target_id, agent_id, day, resend_id, queued_at) "
           "SELECT ?1, agent_id, day, ?4, ?5 FROM agent_days WHERE day >= ?2 AND day <= ?3 AND "
           "spans > 0 ON CONFLICT DO UPDATE SET resend_id = excluded.resend_id");
    if (!s) {
        return ACDL_EDB;
    }
    tz_date_format(rq->from, from);
    tz_date_format(rq->to, to);
    sqlite3_bind_int64(s, 1, rq->target_id);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, resend_id);
    sqlite3_bind_int64(s, 5, now);
    int rc = store_step_done(c, s, "queueing agent days again");
    if (rc == ACDL_OK) {
        *days += sqlite3_changes(store_db(c));
    }
    return rc;
}

int resend_queue(struct store_conn *c, const struct resend_request *rq, int64_t now, int64_t *id)
{
    char from[11], to[11];
    int64_t pairs = 0, days = 0;
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        return rc;
    }
    tz_date_format(rq->from, from);
    tz_date_format(rq->to, to);
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO resends (target_id, from_day, to_day, contacts, agent_states, "
           "intervals, agent_days, requested_by, created_at) SELECT id, ?2, ?3, ?4, ?5, 0, 0, "
           "?6, ?7 FROM targets WHERE id = ?1");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, rq->target_id);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, rq->contacts ? 1 : 0);
    sqlite3_bind_int(s, 5, rq->agent_states ? 1 : 0);
    store_bind_text(s, 6, rq->by ? rq->by : "");
    sqlite3_bind_int64(s, 7, now);
    if ((rc = store_step_done(c, s, "recording a resend")) != ACDL_OK) {
        goto out;
    }
    if (sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
        goto out;
    }
    *id = sqlite3_last_insert_rowid(store_db(c));
    if (rq->contacts) {
        rc = queue_contacts(c, rq, *id, now, &pairs);
    }
    if (rc == ACDL_OK && rq->agent_states) {
        rc = queue_agent_days(c, rq, *id, now, &days);
    }
    if (rc != ACDL_OK) {
        goto out;
    }
    s = store_prepare(c, "UPDATE resends SET intervals = ?, agent_days = ? WHERE id = ?");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, pairs);
    sqlite3_bind_int64(s, 2, days);
    sqlite3_bind_int64(s, 3, *id);
    rc = store_step_done(c, s, "recording a resend");
out:
    if (rc != ACDL_OK) {
        store_rollback(c);
        return rc;
    }
    rc = store_commit(c);
    if (rc == ACDL_OK) {
        log_info("upload",
                 "target %lld: resend %lld of %s..%s queued %lld intervals and %lld "
                 "agent days",
                 (long long)rq->target_id, (long long)*id, from, to, (long long)pairs,
                 (long long)days);
    }
    return rc;
}

/* Progress: items of its batches by state, plus what is still queued. */
#define RESEND_COLS                                                                                \
    "r.id, r.target_id, r.from_day, r.to_day, r.contacts, r.agent_states, r.intervals, "           \
    "r.agent_days, r.requested_by, r.created_at, (SELECT coalesce(sum(items), 0) FROM batches "    \
    "b WHERE b.resend_id = r.id AND b.state = 'acked'), (SELECT coalesce(sum(items), 0) FROM "     \
    "batches b WHERE b.resend_id = r.id AND b.state = 'failed'), (SELECT coalesce(sum(items), "    \
    "0) FROM batches b WHERE b.resend_id = r.id AND b.state IN ('pending', 'sending')) + "         \
    "(SELECT count(*) FROM outbox_cells o WHERE o.resend_id = r.id) + (SELECT count(*) FROM "      \
    "outbox_agent_days a WHERE a.resend_id = r.id)"

static void row_to_resend(sqlite3_stmt *s, void *elem)
{
    struct resend *r = elem;
    r->id = sqlite3_column_int64(s, 0);
    r->target_id = sqlite3_column_int64(s, 1);
    store_column_text(s, 2, r->from, sizeof(r->from));
    store_column_text(s, 3, r->to, sizeof(r->to));
    r->contacts = sqlite3_column_int(s, 4);
    r->agent_states = sqlite3_column_int(s, 5);
    r->intervals = sqlite3_column_int64(s, 6);
    r->agent_days = sqlite3_column_int64(s, 7);
    store_column_text(s, 8, r->by, sizeof(r->by));
    r->created_at = sqlite3_column_int64(s, 9);
    r->sent = sqlite3_column_int64(s, 10);
    r->failed = sqlite3_column_int64(s, 11);
    r->remaining = sqlite3_column_int64(s, 12);
}

int resend_get(struct store_conn *c, int64_t id, struct resend *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " RESEND_COLS " FROM resends r WHERE r.id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        row_to_resend(s, out);
    }
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
}

int resend_list(struct store_conn *c, int64_t target_id, int64_t cursor, int limit,
                struct resend **out, int *n)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " RESEND_COLS " FROM resends r WHERE (?1 = 0 OR "
                                       "r.target_id = ?1) AND (?2 = 0 OR r.id < ?2) ORDER BY "
                                       "r.id DESC LIMIT ?3");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    sqlite3_bind_int64(s, 2, cursor);
    sqlite3_bind_int(s, 3, limit);
    return store_collect(s, sizeof(struct resend), limit, row_to_resend, (void **)out, n);
}
