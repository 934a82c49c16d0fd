/* staging_switch.c: finishing and removing the switches of large imports (staging_switch.h). */
#include "pipeline/staging_switch.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/log.h"

#define SLICE_DEFAULT 1000
#define SETTLE_MAX 64

int staging_slice_rows(void)
{
#ifdef ACDLINK_TEST_CLOCK
    const char *v = getenv("ACDL_TEST_STAGING_SLICE");
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n >= 1 && n <= 100000) {
        return (int)n;
    }
#endif
    return SLICE_DEFAULT;
}

struct sw {
    int64_t run_id, source_id;
    char from[11], to[11]; /* "" when the run merges key by key */
    int committed, running;
};

static int sw_read(struct store_conn *c, int64_t run_id, struct sw *w, int *found)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT w.source_id, w.replace_from, w.replace_to, w.committed, coalesce(r.state = "
           "'running', 0) FROM staging_switches w LEFT JOIN runs r ON r.id = w.run_id WHERE "
           "w.run_id = ?");
    int r;
    *found = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, run_id);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        w->run_id = run_id;
        w->source_id = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, w->from, sizeof(w->from));
        store_column_text(s, 2, w->to, sizeof(w->to));
        w->committed = sqlite3_column_int(s, 3);
        w->running = sqlite3_column_int(s, 4);
        *found = 1;
    }
    store_done(s);
    return r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_OK : store_rc(r);
}

/* One slice of a committed switch: up to n pending days into staged_days, by one statement
 * (a statement stepped per row copied every blob out of SQLite and back in). *more: 1 while
 * pending days are left. */
static int slice_merge(struct store_conn *c, const struct sw *w, int n, int *more)
{
    sqlite3_stmt *cut = store_prepare(c, "SELECT max(id), count(*) FROM (SELECT id FROM "
                                         "staging_pending WHERE run_id = ? ORDER BY id LIMIT ?)");
    sqlite3_stmt *ins = store_prepare(
        c, w->from[0]
               ? "INSERT INTO staged_days (source_id, queue_id, day, vals, run_id) SELECT ?1, "
                 "queue_id, day, vals, ?2 FROM staging_pending WHERE run_id = ?2 AND id <= ?3 "
                 "ORDER BY id ON CONFLICT (source_id, queue_id, day) DO UPDATE SET vals = "
                 "excluded.vals, run_id = excluded.run_id"
               : "INSERT INTO staged_days (source_id, queue_id, day, vals, run_id) SELECT ?1, "
                 "queue_id, day, vals, ?2 FROM staging_pending WHERE run_id = ?2 AND id <= ?3 "
                 "ORDER BY id ON CONFLICT (source_id, queue_id, day) DO UPDATE SET vals = "
                 "acdl_staged_merge(vals, excluded.vals), run_id = excluded.run_id");
    sqlite3_stmt *del =
        store_prepare(c, "DELETE FROM staging_pending WHERE run_id = ? AND id <= ?");
    int rc = cut && ins && del ? ACDL_OK : ACDL_EDB, r, got = 0;
    int64_t last = 0;
    if (rc != ACDL_OK) {
        store_done(cut);
        store_done(ins);
        store_done(del);
        return rc;
    }
    sqlite3_bind_int64(cut, 1, w->run_id);
    sqlite3_bind_int(cut, 2, n);
    if ((r = sqlite3_step(cut)) == SQLITE_ROW) {
        last = sqlite3_column_int64(cut, 0);
        got = sqlite3_column_int(cut, 1);
    } else {
        rc = store_rc(r);
    }
    store_done(cut);
    if (rc == ACDL_OK && got > 0) {
        sqlite3_bind_int64(ins, 1, w->source_id);
        sqlite3_bind_int64(ins, 2, w->run_id);
        sqlite3_bind_int64(ins, 3, last);
        rc = store_step_done(c, ins, "merging a slice of staged days");
    }
    if (rc == ACDL_OK && got > 0) {
        sqlite3_bind_int64(del, 1, w->run_id);
        sqlite3_bind_int64(del, 2, last);
        rc = store_step_done(c, del, "removing merged pending days");
    }
    store_done(ins);
    store_done(del);
    *more = got == n;
    return rc;
}

/* One slice of the replace period's days that the run did not deliver. */
static int slice_stale(struct store_conn *c, const struct sw *w, int n, int *more)
{
    sqlite3_stmt *del = store_prepare(
        c, "DELETE FROM staged_days WHERE id IN (SELECT id FROM staged_days WHERE source_id = ? "
           "AND day >= ? AND day <= ? AND run_id <> ? LIMIT ?)");
    int rc;
    if (!del) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(del, 1, w->source_id);
    sqlite3_bind_text(del, 2, w->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(del, 3, w->to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(del, 4, w->run_id);
    sqlite3_bind_int(del, 5, n);
    rc = store_step_done(c, del, "removing replaced staged days");
    *more = rc == ACDL_OK && sqlite3_changes(store_db(c)) >= n;
    return rc;
}

/* One slice of an uncommitted switch's days. */
static int slice_drop(struct store_conn *c, const struct sw *w, int n, int *more)
{
    sqlite3_stmt *del = store_prepare(c, "DELETE FROM staging_pending WHERE id IN (SELECT id FROM "
                                         "staging_pending WHERE run_id = ? LIMIT ?)");
    int rc;
    if (!del) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(del, 1, w->run_id);
    sqlite3_bind_int(del, 2, n);
    rc = store_step_done(c, del, "removing the pending days of an unfinished run");
    *more = rc == ACDL_OK && sqlite3_changes(store_db(c)) >= n;
    return rc;
}

int staging_switch_finish(struct store_conn *c, int64_t run_id, int idle_only)
{
    const int n = staging_slice_rows();
    int rc = ACDL_OK, found = 0, more = 1, phase = 0;
    struct sw w;
    /* phase 0: the pending days; 1: the replaced period's other days; 2: the switch itself */
    while (rc == ACDL_OK) {
        if ((rc = store_begin(c)) != ACDL_OK) {
            break;
        }
        rc = sw_read(c, run_id, &w, &found);
        /* idle_only: a run that started meanwhile settles its switches itself */
        if (rc == ACDL_OK && (!found || (idle_only && w.running))) {
            rc = store_commit(c);
            break;
        }
        if (rc == ACDL_OK && phase == 0) {
            rc = w.committed ? slice_merge(c, &w, n, &more) : slice_drop(c, &w, n, &more);
        } else if (rc == ACDL_OK && phase == 1) {
            rc = w.committed && w.from[0] ? slice_stale(c, &w, n, &more) : ACDL_OK;
            more = rc == ACDL_OK && w.committed && w.from[0] && more;
        } else if (rc == ACDL_OK) {
            sqlite3_stmt *del = store_prepare(c, "DELETE FROM staging_switches WHERE run_id = ?");
            rc = del ? ACDL_OK : ACDL_EDB;
            if (del) {
                sqlite3_bind_int64(del, 1, run_id);
                rc = store_step_done(c, del, "ending a staging switch");
            }
            more = 0;
        }
        if (rc != ACDL_OK) {
            store_rollback(c);
            break;
        }
        if ((rc = store_commit(c)) != ACDL_OK) {
            break;
        }
        if (!more && phase == 2) {
            break;
        }
        if (!more) {
            phase++;
            more = 1;
        }
        store_yield();
    }
    if (rc != ACDL_OK) {
        log_warn("import",
                 "run %lld: finishing its staged days failed: %s; they are finished "
                 "later",
                 (long long)run_id, acdl_strerror(store_thread_rc(rc)));
    }
    return rc;
}

int staging_switch_settle(struct store_conn *c, int64_t source_id, int *settled)
{
    sqlite3_stmt *s = store_prepare(
        c, source_id
               ? "SELECT run_id FROM staging_switches WHERE source_id = ? ORDER BY run_id "
                 "LIMIT 64"
               : "SELECT w.run_id FROM staging_switches w LEFT JOIN runs r ON r.id = w.run_id "
                 "WHERE coalesce(r.state, '') <> 'running' AND ? = 0 ORDER BY w.run_id "
                 "LIMIT 64");
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;
    if (settled) {
        *settled = 0;
    }
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    if ((rc = store_ids_collect(s, &ids, &n)) != ACDL_OK) {
        return rc;
    }
    for (size_t i = 0; rc == ACDL_OK && i < n && i < SETTLE_MAX; i++) {
        rc = staging_switch_finish(c, ids[i], source_id == 0);
        if (rc == ACDL_OK && settled) {
            (*settled)++;
        }
    }
    free(ids);
    return rc;
}
