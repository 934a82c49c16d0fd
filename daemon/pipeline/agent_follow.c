/* agent_follow.c: the cursor, window and poll record of incremental agent-state sources (see
 * agent_follow.h). */
#include "pipeline/agent_follow.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datetime.h"
#include "core/err.h"
#include "pipeline/live_status.h"
#include "platform/platform.h"

#define LOCKS 256

static pthread_mutex_t locks[LOCKS];
static unsigned generations[LOCKS]; /* each under its lock */
static pthread_once_t locks_once = PTHREAD_ONCE_INIT;

static void locks_init(void)
{
    for (int i = 0; i < LOCKS; i++) {
        pthread_mutex_init(&locks[i], NULL);
    }
}

static pthread_mutex_t *lock_of(int64_t source_id)
{
    pthread_once(&locks_once, locks_init);
    return &locks[(uint64_t)source_id % LOCKS];
}

void agent_follow_lock(int64_t source_id)
{
    pthread_mutex_lock(lock_of(source_id));
    generations[(uint64_t)source_id % LOCKS]++;
}

unsigned agent_follow_generation(int64_t source_id)
{
    return generations[(uint64_t)source_id % LOCKS];
}

int agent_follow_seen_find(const struct follow_seen *t, uint64_t key, uint64_t h, int *same)
{
    key = key ? key : 1;
    *same = 0;
    if (!t->cap) {
        return 0;
    }
    for (size_t i = key & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[2 * i] == key) {
            *same = t->slot[2 * i + 1] == h;
            return 1;
        }
        if (!t->slot[2 * i]) {
            return 0;
        }
    }
}

/* Puts key into a table with room (no growth). */
static void seen_insert(struct follow_seen *t, uint64_t key, uint64_t h)
{
    size_t i = key & (t->cap - 1);
    while (t->slot[2 * i] && t->slot[2 * i] != key) {
        i = (i + 1) & (t->cap - 1);
    }
    t->n += !t->slot[2 * i];
    t->slot[2 * i] = key;
    t->slot[2 * i + 1] = h;
}

int agent_follow_seen_put(struct follow_seen *t, uint64_t key, uint64_t h)
{
    key = key ? key : 1;
    if ((t->n + 1) * 2 > t->cap) { /* at most half full */
        if (t->n >= FOLLOW_SEEN_MAX) {
            return ACDL_ETOOBIG;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        struct follow_seen g = {calloc(cap * 2, sizeof(uint64_t)), cap, 0};
        if (!g.slot) {
            return ACDL_ENOMEM;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slot[2 * i]) {
                seen_insert(&g, t->slot[2 * i], t->slot[2 * i + 1]);
            }
        }
        free(t->slot);
        *t = g;
    }
    seen_insert(t, key, h);
    return ACDL_OK;
}

int agent_follow_seen_merge(struct follow_seen *t, const struct follow_seen *from)
{
    int rc = ACDL_OK;
    for (size_t i = 0; i < from->cap && rc == ACDL_OK; i++) {
        if (from->slot[2 * i]) {
            rc = agent_follow_seen_put(t, from->slot[2 * i], from->slot[2 * i + 1]);
        }
    }
    return rc;
}

void agent_follow_seen_clear(struct follow_seen *t)
{
    if (t->cap > FOLLOW_SEEN_KEEP && t->n * 8 < t->cap) {
        agent_follow_seen_free(t);
        return;
    }
    if (t->n) {
        memset(t->slot, 0, t->cap * 2 * sizeof(uint64_t));
    }
    t->n = 0;
}

void agent_follow_seen_free(struct follow_seen *t)
{
    free(t->slot);
    memset(t, 0, sizeof(*t));
}

void agent_follow_keep_reset(struct agent_follow_keep *k)
{
    if (!k) {
        return;
    }
    rows_conn_keep_close(&k->conn);
    agent_follow_seen_free(&k->seen);
    agent_follow_seen_free(&k->next);
    k->have_seen = 0;
    k->deep_ms = 0;
}

void agent_follow_keep_free(struct agent_follow_keep *k)
{
    if (!k) {
        return;
    }
    rows_conn_keep_close(&k->conn);
    agent_follow_seen_free(&k->seen);
    agent_follow_seen_free(&k->next);
    k->have_seen = 0;
}

size_t agent_follow_bound_max(const struct source_cfg *cfg, size_t n)
{
    size_t max =
        cfg->incremental.max_states > 0 ? (size_t)cfg->incremental.max_states : SOURCE_MAX_STATES;
    return n / 4 > max ? n / 4 : max;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int agent_follow_bound(int64_t *cursors, size_t n, size_t max, int64_t *limit, size_t *kept)
{
    size_t i = 0;
    if (n <= max) {
        return 0;
    }
    qsort(cursors, n, sizeof(*cursors), cmp_i64);
    /* the end of the first group, then of every group that still fits */
    for (i = 1; i < n && cursors[i] == cursors[0]; i++) {
    }
    *kept = i;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && cursors[j] == cursors[i]) {
            j++;
        }
        if (j > max) {
            break;
        }
        *kept = i = j;
    }
    *limit = cursors[*kept - 1];
    return *kept < n;
}

int agent_follow_parts(int64_t *cur, size_t n, size_t max, int64_t **ends, size_t *nparts)
{
    size_t k = 0;
    *nparts = 0;
    *ends = malloc((n ? n : 1) * sizeof(**ends));
    if (!*ends) {
        return ACDL_ENOMEM;
    }
    if (n > 1) {
        qsort(cur, n, sizeof(*cur), cmp_i64);
    }
    for (size_t i = 0, in_part = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && cur[j] == cur[i]) {
            j++;
        }
        if (in_part > 0 && in_part + (j - i) > max) { /* the group starts the next part */
            (*ends)[k++] = cur[i - 1];
            in_part = 0;
        }
        in_part += j - i;
        i = j;
    }
    if (n > 0) {
        (*ends)[k++] = cur[n - 1];
    }
    *nparts = k;
    return ACDL_OK;
}

/* Binds source_id, cfg's cursor type and column to parameters 1-3 of s. */
static void bind_cursor_key(sqlite3_stmt *s, int64_t source_id, const struct source_cfg *cfg)
{
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, source_cursor_type_name(cfg->incremental.cursor_type), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cfg->incremental.cursor_column, -1, SQLITE_STATIC);
}

int agent_follow_advance(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                         int64_t value, int64_t changed)
{
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO source_follow (source_id, cursor_type, cursor_column, value, rows_changed) "
           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (source_id) DO UPDATE SET value = CASE WHEN "
           "cursor_type != excluded.cursor_type OR cursor_column != excluded.cursor_column OR "
           "value IS NULL OR excluded.value > value THEN excluded.value ELSE value END, "
           "cursor_type = excluded.cursor_type, cursor_column = excluded.cursor_column, "
           "rows_changed = rows_changed + ?5");
    if (!s) {
        return ACDL_EDB;
    }
    bind_cursor_key(s, source_id, cfg);
    sqlite3_bind_int64(s, 4, value);
    sqlite3_bind_int64(s, 5, changed);
    int rc = store_step_done(c, s, "moving a source's cursor");
    store_done(s);
    return rc;
}

int agent_follow_trylock(int64_t source_id)
{
    return pthread_mutex_trylock(lock_of(source_id)) == 0;
}

void agent_follow_unlock(int64_t source_id)
{
    pthread_mutex_unlock(lock_of(source_id));
}

static int64_t naive(struct tz_date d, int64_t second_of_day)
{
    return datetime_days_from_civil(d.y, d.m, d.d) * 86400 + second_of_day;
}

int agent_follow_parse(const struct source_cfg *cfg, struct tz *tz, const char *s, size_t n,
                       int64_t *out, char *why, size_t whysz)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    if (cfg->incremental.cursor_type == CURSOR_ID) {
        int64_t v = 0;
        size_t i = 0;
        int neg = n > 0 && s[0] == '-';
        for (i = (size_t)neg; i < n && s[i] >= '0' && s[i] <= '9' && v < INT64_MAX / 10 - 9; i++) {
            v = v * 10 + (s[i] - '0');
        }
        /* numeric columns may come as "42.0" or "42.000" */
        size_t k = i;
        if (k < n && s[k] == '.') {
            for (k++; k < n && s[k] == '0'; k++) {
            }
        }
        if (n == (size_t)neg || i == (size_t)neg || k != n) {
            snprintf(why, whysz, "'%.*s' is not a whole number (the cursor is an id)",
                     (int)(n > 40 ? 40 : n), s);
            return ACDL_EINVAL;
        }
        *out = neg ? -v : v;
        return ACDL_OK;
    }
    struct datetime_stamp st;
    if (datetime_parse_stamp(s, n, DATETIME_YMD, 0, &st, why, whysz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    struct tz_date d = {st.date.year, st.date.month, st.date.day};
    int64_t sec = (int64_t)st.time.minute_of_day * 60 + st.time.second;
    if (st.has_offset) { /* an instant: the source's local wall time of it */
        int64_t utc = naive(d, sec) - (int64_t)st.offset_minutes * 60;
        int minute = 0, second = 0;
        tz_utc_to_local(tz, utc, &d, &minute, &second, NULL);
        sec = (int64_t)minute * 60 + second;
    }
    *out = naive(d, sec);
    return ACDL_OK;
}

/* The stored cursor of source_id when it belongs to cfg's cursor column and type. */
static int cursor_get(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                      int *have, int64_t *value)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT value FROM source_follow WHERE source_id = ? AND "
                                       "cursor_type = ? AND cursor_column = ? AND value IS NOT "
                                       "NULL");
    if (!s) {
        return ACDL_EDB;
    }
    bind_cursor_key(s, source_id, cfg);
    int r = sqlite3_step(s);
    *have = r == SQLITE_ROW;
    if (*have) {
        *value = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

/* The greatest id read at or before time at (newest mark); *have 0 when none is that old.
 * oldest: the oldest mark instead when none is. */
static int mark_at(struct store_conn *c, int64_t source_id, int64_t at, int oldest, int *have,
                   int64_t *value)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT value FROM (SELECT value, 0 AS o, at FROM source_follow_marks WHERE "
           "source_id = ?1 AND at <= ?2 ORDER BY at DESC LIMIT 1) UNION ALL SELECT value FROM "
           "(SELECT value, 1 AS o, at FROM source_follow_marks WHERE source_id = ?1 AND ?3 "
           "ORDER BY at LIMIT 1) LIMIT 1");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int(s, 3, oldest);
    int r = sqlite3_step(s);
    *have = r == SQLITE_ROW;
    if (*have) {
        *value = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

int agent_follow_overlap(const struct source_cfg *cfg, const struct agent_follow_keep *keep,
                         int64_t now_ms, int *deep)
{
    const struct source_incremental *in = &cfg->incremental;
    int near_s = FOLLOW_NEAR_S + in->poll_s;
    *deep = 1;
    if (!keep || in->overlap_s <= near_s || in->poll_s >= FOLLOW_DEEP_EVERY_S) {
        return in->overlap_s;
    }
    if (keep->deep_ms > 0 && now_ms - keep->deep_ms < FOLLOW_DEEP_EVERY_S * 1000) {
        *deep = 0;
        return near_s;
    }
    return in->overlap_s + FOLLOW_DEEP_EVERY_S;
}

int agent_follow_window(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                        struct tz *tz, const char *from, const char *to, int64_t now, int overlap_s,
                        int64_t *since, int64_t *until, int *have_cursor, int64_t *cursor)
{
    const struct source_incremental *in = &cfg->incremental;
    int have = 0, rc = cursor_get(c, source_id, cfg, have_cursor, cursor);
    int64_t value = 0;
    struct tz_date a, b;
    if (rc != ACDL_OK) {
        return rc;
    }
    if (in->cursor_type == CURSOR_ID) {
        *until = FOLLOW_UNTIL_ID;
        *since = INT64_MIN;
        if (from) { /* a run: from what was read reconcile_hours ago */
            rc = mark_at(c, source_id, now - (int64_t)in->reconcile_hours * 3600, 0, &have, &value);
        } else if (*have_cursor) {
            rc = mark_at(c, source_id, now - overlap_s, 1, &have, &value);
        }
        if (rc == ACDL_OK && have) {
            *since = value;
        }
        return rc;
    }
    *until = datetime_days_from_civil(9999, 12, 31) * 86400 + 86399;
    if (from && to) {
        if (tz_date_parse(from, &a) != ACDL_OK || tz_date_parse(to, &b) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        tz_date_add_days(&b, 1);
        *since = naive(a, 0);
        *until = naive(b, 0);
        return ACDL_OK;
    }
    if (*have_cursor) {
        *since = *cursor - overlap_s;
        return ACDL_OK;
    }
    int minute = 0, second = 0;
    tz_utc_to_local(tz, now, &a, &minute, &second, NULL);
    *since = naive(a, (int64_t)minute * 60 + second) - (int64_t)in->reconcile_hours * 3600;
    return ACDL_OK;
}

int agent_follow_record(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                        const struct agent_follow_poll *p, const char *error, int64_t now)
{
    const char *type = source_cursor_type_name(cfg->incremental.cursor_type);
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO source_follow (source_id, cursor_type, cursor_column, value, polls, "
           "last_poll_at, last_rows, last_change_at, rows_read, rows_changed, last_rejected, "
           "last_cursor_nulls, last_note, last_error, last_error_at, failing_since) VALUES (?1, "
           "?2, ?3, ?4, 1, ?5, ?6, CASE WHEN ?7 > 0 THEN ?5 END, ?6, ?7, ?8, ?9, ?11, ?10, CASE "
           "WHEN ?10 IS NOT NULL THEN ?5 END, CASE WHEN ?10 IS NOT NULL THEN ?5 END) ON CONFLICT "
           "(source_id) DO "
           "UPDATE SET value = CASE WHEN cursor_type != excluded.cursor_type OR cursor_column "
           "!= excluded.cursor_column THEN excluded.value WHEN excluded.value IS NULL THEN value "
           "WHEN value IS NULL OR excluded.value > value THEN excluded.value ELSE value END, "
           "cursor_type = excluded.cursor_type, cursor_column = excluded.cursor_column, polls = "
           "polls + 1, last_poll_at = ?5, last_rows = ?6, last_change_at = CASE WHEN ?7 > 0 THEN "
           "?5 ELSE last_change_at END, rows_read = rows_read + ?6, rows_changed = rows_changed "
           "+ ?7, last_rejected = ?8, last_cursor_nulls = ?9, last_note = ?11, last_error = ?10, "
           " last_error_at = CASE WHEN ?10 IS NOT NULL THEN ?5 ELSE "
           "last_error_at END, failing_since = CASE WHEN ?10 IS NULL THEN NULL ELSE "
           "coalesce(failing_since, ?5) END");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cfg->incremental.cursor_column, -1, SQLITE_STATIC);
    if (p->have_cursor) {
        sqlite3_bind_int64(s, 4, p->max_cursor);
    }
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, p->rows_read);
    sqlite3_bind_int64(s, 7, p->rows_changed);
    sqlite3_bind_int64(s, 8, p->rows_rejected);
    sqlite3_bind_int64(s, 9, p->cursor_nulls);
    if (error) {
        sqlite3_bind_text(s, 10, error, -1, SQLITE_STATIC);
    }
    if (p->note[0]) {
        sqlite3_bind_text(s, 11, p->note, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    if (rc != ACDL_OK || cfg->incremental.cursor_type != CURSOR_ID || !p->have_cursor) {
        return rc;
    }
    /* ids: a mark of the cursor now and then, kept a day beyond the reconciliation's reach */
    s = store_prepare(c, "INSERT INTO source_follow_marks (source_id, at, value) SELECT ?1, ?2, "
                         "value FROM source_follow WHERE source_id = ?1 AND NOT EXISTS (SELECT 1 "
                         "FROM source_follow_marks WHERE source_id = ?1 AND at > ?2 - ?3)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, FOLLOW_MARK_EVERY_S);
    rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    s = rc == ACDL_OK ? store_prepare(c, "DELETE FROM source_follow_marks WHERE source_id = ? AND "
                                         "at < ?")
                      : NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, source_id);
        sqlite3_bind_int64(s, 2, now - (int64_t)cfg->incremental.reconcile_hours * 3600 - 86400);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        store_done(s);
    }
    return rc;
}

/* An instant as ISO-8601 UTC, or null for 0. */
static json_t *time_or_null(int64_t t)
{
    char iso[32];
    if (!t) {
        return json_null();
    }
    plat_time_iso(t, iso, sizeof(iso));
    return json_string(iso);
}

json_t *agent_follow_status_json(struct store_conn *c, int64_t source_id)
{
    json_t *o = NULL;
    sqlite3_stmt *s = store_prepare(
        c, "SELECT cursor_type, cursor_column, value, polls, last_poll_at, last_rows, "
           "last_change_at, rows_read, rows_changed, last_rejected, last_cursor_nulls, "
           "last_note, last_error, last_error_at, failing_since, next_reconcile_at, "
           "last_reconcile_run, reconcile_at, reconcile_rows, reconcile_added, reconcile_changed, "
           "reconcile_removed, reconcile_kept, reconcile_newest FROM source_follow WHERE "
           "source_id = ?");
    if (!s) {
        return json_null();
    }
    sqlite3_bind_int64(s, 1, source_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(s, 0);
        const char *column = (const char *)sqlite3_column_text(s, 1);
        int live = !column || !column[0]; /* a live-status source records no cursor */
        json_t *cursor = json_null();
        if (live) {
            type = NULL;
        } else if (sqlite3_column_type(s, 2) != SQLITE_NULL && type && !strcmp(type, "id")) {
            cursor = json_integer(sqlite3_column_int64(s, 2));
        } else if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
            /* naive seconds: the database's own wall time, shown without a zone */
            int64_t v = sqlite3_column_int64(s, 2);
            char iso[32];
            plat_time_iso(v, iso, sizeof(iso));
            iso[19] = '\0';
            iso[10] = ' ';
            cursor = json_string(iso);
        }
        const char *note = (const char *)sqlite3_column_text(s, 11);
        const char *error = (const char *)sqlite3_column_text(s, 12);
        o = json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, "
                      "s:o, s:o, s:o}",
                      "mode", live ? "live_status" : "incremental", "cursor_type",
                      type ? json_string(type) : json_null(), "cursor_column",
                      live ? json_null() : json_string(column), "cursor", cursor, "polls",
                      (json_int_t)sqlite3_column_int64(s, 3), "last_poll_at",
                      time_or_null(sqlite3_column_int64(s, 4)), "last_rows",
                      (json_int_t)sqlite3_column_int64(s, 5), "last_change_at",
                      time_or_null(sqlite3_column_int64(s, 6)), "rows_read",
                      (json_int_t)sqlite3_column_int64(s, 7), "rows_changed",
                      (json_int_t)sqlite3_column_int64(s, 8), "last_rejected",
                      (json_int_t)sqlite3_column_int64(s, 9), "last_cursor_nulls",
                      (json_int_t)sqlite3_column_int64(s, 10), "last_note",
                      note ? json_string(note) : json_null(), "error",
                      error ? json_string(error) : json_null(), "error_at",
                      time_or_null(sqlite3_column_int64(s, 13)), "failing_since",
                      time_or_null(sqlite3_column_int64(s, 14)), "next_reconcile_at",
                      time_or_null(sqlite3_column_int64(s, 15)), "last_reconcile_run",
                      sqlite3_column_type(s, 16) == SQLITE_NULL
                          ? json_null()
                          : json_integer(sqlite3_column_int64(s, 16)));
        if (o && live) { /* a reconciliation from the history query (live_status.h) */
            json_object_set_new(o, "last_reconciliation",
                                sqlite3_column_type(s, 17) == SQLITE_NULL
                                    ? json_null()
                                    : json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "at",
                                                time_or_null(sqlite3_column_int64(s, 17)), "rows",
                                                (json_int_t)sqlite3_column_int64(s, 18), "added",
                                                (json_int_t)sqlite3_column_int64(s, 19), "changed",
                                                (json_int_t)sqlite3_column_int64(s, 20), "removed",
                                                (json_int_t)sqlite3_column_int64(s, 21), "kept",
                                                (json_int_t)sqlite3_column_int64(s, 22), "newest",
                                                sqlite3_column_type(s, 23) == SQLITE_NULL
                                                    ? json_null()
                                                    : time_or_null(sqlite3_column_int64(s, 23))));
        }
    }
    store_done(s);
    if (o && json_is_null(json_object_get(o, "cursor_column"))) {
        json_object_set_new(o, "agents", json_integer(live_status_agents(c, source_id)));
    }
    return o ? o : json_null();
}
