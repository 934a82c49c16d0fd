/* live_status.c: polls of live-status tables: the table's rows against what the last staging
 * saw (see live_status.h). */
#include "pipeline/live_status.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "platform/platform.h"
#include "store/store.h"

#define LIVE_FILE "live status"

/* A field of the current row without the blanks around it ("" for NULL). */
static size_t trimmed(const struct rows *r, int i, const char **out)
{
    const char *s = r->val[i];
    size_t n = r->null[i] ? 0 : r->len[i];
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    *out = s;
    return n;
}

/* Runs sql with :source, :now, :now_day and :gone bound. */
static int exec_live(struct rows *r, const char *sql, int64_t now, const char *now_day)
{
    sqlite3_stmt *s = store_prepare(r->c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
        const char *p = sqlite3_bind_parameter_name(s, i);
        if (!p) {
            continue;
        }
        if (!strcmp(p, ":source")) {
            sqlite3_bind_int64(s, i, r->src.id);
        } else if (!strcmp(p, ":now")) {
            sqlite3_bind_int64(s, i, now);
        } else if (!strcmp(p, ":now_day")) {
            sqlite3_bind_text(s, i, now_day ? now_day : "", -1, SQLITE_TRANSIENT);
        } else if (!strcmp(p, ":gone")) {
            sqlite3_bind_text(s, i, r->cfg->states.logout[0], -1, SQLITE_TRANSIENT);
        }
    }
    int rc = store_step_done(r->c, s, "following a live-status table");
    store_done(s);
    return rc;
}

int live_status_prepare(struct rows *r)
{
    const char *sql =
        "CREATE TEMP TABLE IF NOT EXISTS live_seen (ext_agent TEXT PRIMARY KEY, code TEXT NOT "
        "NULL, name TEXT, since INTEGER, day TEXT, line INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS live_chg (ext_agent TEXT PRIMARY KEY, kind INTEGER NOT "
        "NULL, start INTEGER NOT NULL, day TEXT NOT NULL, code TEXT NOT NULL, name TEXT) WITHOUT "
        "ROWID;"
        "DELETE FROM temp.live_seen; DELETE FROM temp.live_chg;";
    return sqlite3_exec(store_db(r->c), sql, NULL, NULL, NULL) == SQLITE_OK ? ACDL_OK : ACDL_EDB;
}

int live_status_row(struct rows *r)
{
    const char *agent, *state, *reason = "", *name = NULL;
    size_t alen = trimmed(r, r->i_agent, &agent), slen = trimmed(r, r->i_activity, &state);
    size_t rlen = r->i_reason >= 0 ? trimmed(r, r->i_reason, &reason) : 0, nlen = 0;
    char code[260];
    int64_t since = 0;
    int have_since = 0;
    struct tz_date day;
    if (alen == 0 || alen > 128) {
        rows_reject_column(
            r, r->i_agent, 0,
            alen ? rows_why("row.agent_too_long", "an agent id is at most 128 characters")
                 : rows_why("row.no_agent", "no agent id"));
        return ACDL_OK;
    }
    if (slen == 0) {
        rows_reject_column(r, r->i_activity, 0, rows_why("row.no_activity", "no activity code"));
        return ACDL_OK;
    }
    int clen = snprintf(code, sizeof(code), "%.*s%s%.*s", (int)(slen > 128 ? 128 : slen), state,
                        rlen ? ":" : "", (int)(rlen > 128 ? 128 : rlen), reason);
    if (slen > 128 || clen > 128) {
        rows_reject_column(
            r, r->i_activity, 0,
            rows_why("row.activity_too_long", "an activity code is at most 128 characters"));
        return ACDL_OK;
    }
    if (r->i_activity_name >= 0) {
        nlen = trimmed(r, r->i_activity_name, &name);
    }
    if (r->i_start >= 0 && !r->null[r->i_start] && r->len[r->i_start] > 0) {
        int minute = 0, second = 0;
        r->any_day = 1; /* the table's rows are now: every day counts */
        int rc = rows_time(r, agent, alen, &day, &since, &minute, &second);
        r->any_day = 0;
        if (rc != ACDL_OK) {
            return ACDL_OK; /* rejected and counted */
        }
        have_since = 1;
    }
    if (r->preview_row) {
        char iso[32];
        json_object_set_new(r->preview_row, "agent", json_stringn(agent, alen));
        json_object_set_new(r->preview_row, "activity", json_stringn(code, (size_t)clen));
        if (have_since) {
            plat_time_iso(since, iso, sizeof(iso));
        }
        json_object_set_new(r->preview_row, "start", have_since ? json_string(iso) : json_null());
        r->k.rows_staged++;
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(r->c, "INSERT OR IGNORE INTO temp.live_seen (ext_agent, code, "
                                          "name, since, day, line) VALUES (?, ?, ?, ?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    char ds[11];
    sqlite3_bind_text(s, 1, agent, (int)alen, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, code, clen, SQLITE_TRANSIENT);
    if (nlen) {
        sqlite3_bind_text(s, 3, name, (int)(nlen > 256 ? 256 : nlen), SQLITE_TRANSIENT);
    }
    if (have_since) {
        tz_date_format(day, ds);
        sqlite3_bind_int64(s, 4, since);
        sqlite3_bind_text(s, 5, ds, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(s, 6, (sqlite3_int64)r->line);
    int rc = store_step_done(r->c, s, "reading a live-status table");
    int added = sqlite3_changes(store_db(r->c)) > 0;
    store_done(s);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (!added) {
        rows_reject(r, "row.live_agent_repeated", json_pack("{s:s%}", "agent", agent, alen),
                    "agent %.*s has an earlier row in the table: the first one counts", (int)alen,
                    agent);
        return ACDL_OK;
    }
    r->k.rows_staged++;
    return ACDL_OK;
}

int live_status_changes(struct rows *r, int64_t now, int64_t *changed)
{
    static const char *const steps[] = {
        /* new, or another code or since: a state from its since (the poll time without one,
         * or when it lies before the agent's last start) */
        "INSERT INTO temp.live_chg (ext_agent, kind, start, day, code, name) SELECT s.ext_agent, "
        "1, CASE WHEN s.since IS NULL OR s.since < p.start THEN :now ELSE s.since END, CASE WHEN "
        "s.since IS NULL OR s.since < p.start THEN :now_day ELSE s.day END, s.code, s.name FROM "
        "temp.live_seen s LEFT JOIN source_live p ON p.source_id = :source AND p.ext_agent = "
        "s.ext_agent WHERE p.ext_agent IS NULL OR p.code IS NOT s.code OR p.since IS NOT s.since",
        /* gone from the table: logged out now */
        "INSERT INTO temp.live_chg (ext_agent, kind, start, day, code, name) SELECT p.ext_agent, "
        "-1, :now, :now_day, :gone, NULL FROM source_live p WHERE p.source_id = :source AND NOT "
        "EXISTS (SELECT 1 FROM temp.live_seen s WHERE s.ext_agent = p.ext_agent)",
        "INSERT INTO temp.agent_acc (ext_agent, start, end, day, code, name, file, line, cursor) "
        "SELECT c.ext_agent, c.start, NULL, c.day, c.code, c.name, '" LIVE_FILE "', "
        "coalesce(s.line, 0), NULL FROM temp.live_chg c LEFT JOIN temp.live_seen s ON "
        "s.ext_agent = c.ext_agent ORDER BY c.ext_agent",
    };
    struct tz_date d;
    int minute = 0, second = 0, rc = ACDL_OK;
    char day[11];
    tz_utc_to_local(r->tz, now, &d, &minute, &second, NULL);
    tz_date_format(d, day);
    *changed = 0;
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
        rc = exec_live(r, steps[i], now, day);
    }
    sqlite3_stmt *s =
        rc == ACDL_OK ? store_prepare(r->c, "SELECT count(*) FROM temp.live_chg") : NULL;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        *changed = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return rc;
}

int live_status_commit(struct rows *r, int64_t now)
{
    static const char *const steps[] = {
        "DELETE FROM source_live WHERE source_id = :source AND ext_agent IN (SELECT ext_agent "
        "FROM temp.live_chg WHERE kind = -1)",
        "INSERT OR REPLACE INTO source_live (source_id, ext_agent, code, since, start, seen_at) "
        "SELECT :source, c.ext_agent, c.code, s.since, c.start, :now FROM temp.live_chg c JOIN "
        "temp.live_seen s ON s.ext_agent = c.ext_agent WHERE c.kind = 1",
    };
    int rc = ACDL_OK;
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
        rc = exec_live(r, steps[i], now, NULL);
    }
    return rc;
}

int64_t live_status_agents(struct store_conn *c, int64_t source_id)
{
    int64_t n = 0;
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM source_live WHERE source_id = ?");
    if (s) {
        sqlite3_bind_int64(s, 1, source_id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            n = sqlite3_column_int64(s, 0);
        }
        store_done(s);
    }
    return n;
}

/* Runs sql with :source, :lo, :hi and :newest bound; a SELECT's first value into *out. */
static int exec_window(struct rows *r, const char *sql, int64_t lo, int64_t hi, int64_t newest,
                       int64_t *out)
{
    sqlite3_stmt *s = store_prepare(r->c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
        const char *p = sqlite3_bind_parameter_name(s, i);
        int64_t v = !p                      ? 0
                    : !strcmp(p, ":source") ? r->src.id
                    : !strcmp(p, ":lo")     ? lo
                    : !strcmp(p, ":hi")     ? hi
                                            : newest;
        sqlite3_bind_int64(s, i, v);
    }
    int st = sqlite3_step(s), rc = ACDL_OK;
    if (out && st == SQLITE_ROW) {
        *out = sqlite3_column_type(s, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, 0);
    } else if (st != SQLITE_DONE && st != SQLITE_ROW) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int live_status_history_trim(struct rows *r, int64_t lo, int64_t hi, struct live_reconcile *rec)
{
    int rc = exec_window(r, "DELETE FROM temp.agent_acc WHERE start < :lo OR start >= :hi", lo, hi,
                         0, NULL);
    int64_t newest = INT64_MIN;
    if (rc == ACDL_OK) {
        rc = exec_window(r, "SELECT count(*) FROM temp.agent_acc", lo, hi, 0, &rec->rows);
    }
    if (rc == ACDL_OK) {
        rc = exec_window(r, "SELECT max(start) FROM temp.agent_acc", lo, hi, 0, &newest);
    }
    rec->have_newest = rc == ACDL_OK && newest != INT64_MIN;
    rec->newest = rec->have_newest ? newest : 0;
    return rc;
}

int live_status_history_window(struct rows *r, int64_t lo, int64_t hi, struct live_reconcile *rec)
{
    static const char *const counts[] = {
        "SELECT count(*) FROM temp.agent_chg WHERE kind = 1",
        "SELECT count(*) FROM temp.agent_chg WHERE kind = 0",
        "SELECT count(*) FROM temp.agent_chg WHERE kind = -1",
        "SELECT count(*) FROM agent_staged WHERE source_id = :source AND start > :newest AND "
        "start < :hi",
    };
    int64_t *out[] = {&rec->added, &rec->changed, &rec->removed, &rec->kept};
    int rc = ACDL_OK;
    if (rec->have_newest) { /* nothing read: the history is not there yet, nothing is removed */
        rc = exec_window(r,
                         "INSERT INTO temp.agent_chg (ext_agent, start, day, code, kind) SELECT "
                         "s.ext_agent, s.start, s.day, s.code, -1 FROM agent_staged s WHERE "
                         "s.source_id = :source AND s.start >= :lo AND s.start <= :newest AND NOT "
                         "EXISTS (SELECT 1 FROM temp.agent_acc a WHERE a.ext_agent = s.ext_agent "
                         "AND a.start = s.start)",
                         lo, hi, rec->newest, NULL);
    }
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(counts) / sizeof(counts[0]); i++) {
        rc = exec_window(r, counts[i], lo, hi, rec->have_newest ? rec->newest : INT64_MAX, out[i]);
    }
    return rc;
}

int live_status_reconcile_record(struct store_conn *c, int64_t source_id,
                                 const struct live_reconcile *rec, int64_t now)
{
    sqlite3_stmt *s = store_prepare(
        c, "UPDATE source_follow SET reconcile_at = ?, reconcile_rows = ?, reconcile_added = ?, "
           "reconcile_changed = ?, reconcile_removed = ?, reconcile_kept = ?, reconcile_newest = "
           "? WHERE source_id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, rec->rows);
    sqlite3_bind_int64(s, 3, rec->added);
    sqlite3_bind_int64(s, 4, rec->changed);
    sqlite3_bind_int64(s, 5, rec->removed);
    sqlite3_bind_int64(s, 6, rec->kept);
    if (rec->have_newest) {
        sqlite3_bind_int64(s, 7, rec->newest);
    }
    sqlite3_bind_int64(s, 8, source_id);
    int rc = store_step_done(c, s, "recording a reconciliation");
    store_done(s);
    return rc;
}
