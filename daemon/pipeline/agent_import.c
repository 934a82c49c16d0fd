/* agent_import.c: agent states: a source's rows into staged states per agent and local day,
 * then the agents' spans (see agent_import.h for the design; the rows come from rows.h). */
#include "pipeline/agent_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datetime.h"
#include "core/why.h"
#include "core/err.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/agent_acc.h"
#include "pipeline/agent_follow.h"
#include "pipeline/agent_results.h"
#include "pipeline/file_follow.h"
#include "pipeline/live_status.h"
#include "pipeline/queue_log.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "store/recomputes.h"
#include "upload/uploader.h"

#define BATCH_ROWS 10000
#define REPORT_MAX 200 /* duplicates and overlaps listed in the run log; the rest are counted */

struct aimp {
    struct rows r;
    int in_batch, batch_rows;
    struct agent_acc *acc; /* the states read, or NULL when they go to temp.agent_acc */
    int any_day;
    struct tz_date dmin, dmax; /* the local days of the states read */
    char from[11], to[11];     /* the local days whose results the run recomputes */
    int64_t lo, hi;            /* their UTC bounds */
    /* incremental sources (agent_follow.h) */
    int i_cursor;    /* the cursor column, -1: none */
    int poll;        /* a poll, not a run */
    int live;        /* a live-status source (live_status.h): staged as a poll, also by a run */
    int have_stored; /* the stored cursor before the read */
    int64_t stored;
    struct agent_follow_poll p;     /* what the read found */
    struct file_follow_read ffr;    /* a followed file's position (cfg->follow) */
    struct agent_follow_keep *keep; /* a poll's: what the last poll read, or NULL */
    int no_skip;                    /* keep->next could not hold every row: skip none */
    int64_t beyond;                 /* a poll's states collected beyond the stored cursor */
    struct agent_results_stats st;
    struct agent_results_stats run_st; /* the spans computed in the staging transaction */
    /* a live-status source's reconciliation from its history query (live_status.h) */
    int history;
    int64_t wlo, whi; /* the window read: UTC of its first local midnight and of the one after */
    struct live_reconcile rec;
    /* states held in memory: rows of an agent with the start of the row before them, found
     * while staging (the first REPORT_MAX of them; nrepeated counts all) */
    struct repeated_row {
        int64_t start;
        uint32_t agent, file, line, first_file, first_line;
    } repeated[REPORT_MAX];
    int64_t nrepeated;
    /* a poll's staging, for the debug log (ms): the diff before the write lock, the waits for
     * it, how long it was held in all and at most, and of that the steps */
    struct {
        int64_t diff, wait, held, held_max, apply, spans, record, commit;
        int64_t step[8]; /* apply_steps over all parts */
        size_t parts;
    } tm;
    int64_t diffed; /* a poll's temp.agent_chg made before its staging: its rows + 1, else 0 */
};

static void result_days(struct aimp *m);

/* 1 when the source reads Asterisk's queue_log file (pipeline/queue_log.h). */
static int is_qlog(const struct rows *r)
{
    return r->cfg->kind == SOURCE_CSV && r->cfg->preset[0];
}

/* Inside the staging transaction of a queue_log file source: its lines kept and the states of
 * [from, to) derived from them into temp.agent_acc. */
static int qlog_derive(struct aimp *m, int64_t from, int64_t to)
{
    struct rows *r = &m->r;
    char err[300] = "";
    int64_t added = 0;
    int rc = queue_log_derive(r->c, r->src.id, r->tz, from, to,
                              r->cfg->follow.enabled ? r->cfg->follow.file : "queue_log", &added,
                              err, sizeof(err));
    if (rc != ACDL_OK) {
        log_error("agents", "source %lld: %s", (long long)r->src.id, err);
    }
    return rc;
}

static void ai_pause(void *ctx)
{
    struct aimp *m = ctx;
    if (m->in_batch) {
        sqlite3_exec(store_db(m->r.c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
}

/* A field without the blanks around it (exports and CHAR columns pad them). */
static size_t field(const struct rows *r, int i, const char **out)
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

/* The end of the current row's state into *end, or *open when it has none (yet). */
static int row_end(struct rows *r, const char *agent, size_t alen, struct tz_date day,
                   int64_t start, int64_t *end, int *open)
{
    const char *s;
    char why[160];
    why[0] = '\0'; /* printed after parsers that fail: never unwritten */
    *open = 0;
    enum agent_span_form span = r->cfg->states.span;
    if (span == SPAN_START_ONLY) {
        *open = 1;
        return ACDL_OK;
    }
    if (span == SPAN_START_DURATION) {
        double d = 0;
        size_t n = field(r, r->i_duration, &s);
        int rc = n ? rows_parse_number(r, s, n, &d, why, sizeof(why)) : 1;
        if (rc < 0 || d < 0 || d > 31 * 86400.0) {
            rows_reject_column(
                r, r->i_duration, 0,
                rc < 0 ? why
                       : rows_why("row.duration_range", "a duration is from 0 seconds to 31 days"));
            return ACDL_EINVAL;
        }
        *open = rc == 1;
        *end = start + (int64_t)(d + 0.5);
        return ACDL_OK;
    }
    if (field(r, r->i_end, &s) == 0) {
        *open = 1; /* still going: a later import closes it */
        return ACDL_OK;
    }
    char key[200];
    struct tz_date eday;
    int minute = 0, second = 0;
    int64_t t = 0;
    int klen = snprintf(key, sizeof(key),
                        "%.*s\x1f"
                        "end",
                        (int)(alen > 180 ? 180 : alen), agent);
    int save_stamp = r->i_stamp, save_time = r->i_time;
    if (r->i_date >= 0) {
        r->i_time = r->i_end;
    } else {
        r->i_stamp = r->i_end;
    }
    r->any_day = 1;
    int rc = rows_time(r, key, (size_t)klen, &eday, &t, &minute, &second);
    r->any_day = 0;
    r->i_stamp = save_stamp;
    r->i_time = save_time;
    if (rc != ACDL_OK) {
        return ACDL_EINVAL;
    }
    if (r->i_date >= 0 && t < start) {
        /* an end time earlier than the start, on the row's date: the next day */
        struct tz_date next = day;
        tz_date_add_days(&next, 1);
        if (tz_local_to_utc(r->tz, next, minute, second, TZ_EARLIER, &t) != ACDL_OK) {
            char what[64];
            snprintf(what, sizeof(what), "%02d:%02d does not exist on the next day",
                     minute / 60 % 100, minute % 60);
            why_note(what, "row.end_skipped", json_pack("{s:s%}", "time", what, (size_t)5));
            rows_reject_column(r, r->i_end, 0, what);
            return ACDL_EINVAL;
        }
    }
    if (t < start) {
        rows_reject_column(r, r->i_end, 0,
                           rows_why("row.ends_before_start", "the state ends before it starts"));
        return ACDL_EINVAL;
    }
    *end = t;
    return ACDL_OK;
}

static void fmt_local(struct rows *r, int64_t t, char out[24]);

static void preview_add(struct rows *r, const char *agent, size_t alen, const char *code,
                        size_t clen, struct tz_date day, int64_t start, int64_t end, int open)
{
    char iso[32], ds[11], local[24];
    plat_time_iso(start, iso, sizeof(iso));
    tz_date_format(day, ds);
    json_object_set_new(r->preview_row, "agent", json_stringn(agent, alen));
    json_object_set_new(r->preview_row, "activity", json_stringn(code, clen));
    json_object_set_new(r->preview_row, "day", json_string(ds));
    json_object_set_new(r->preview_row, "start", json_string(iso));
    fmt_local(r, start, local);
    json_object_set_new(r->preview_row, "local_start", json_string(local));
    if (open) {
        json_object_set_new(r->preview_row, "end", json_null());
        json_object_set_new(r->preview_row, "local_end", json_null());
    } else {
        plat_time_iso(end, iso, sizeof(iso));
        json_object_set_new(r->preview_row, "end", json_string(iso));
        fmt_local(r, end, local);
        json_object_set_new(r->preview_row, "local_end", json_string(local));
    }
}

/* The cursor column of an incremental source's result (matched by name, any ASCII case). */
static int ai_columns(struct rows *r, void *ctx)
{
    struct aimp *m = ctx;
    const char *want = r->cfg->incremental.cursor_column;
    m->i_cursor = -1;
    m->live = r->cfg->live_status.enabled && !r->history; /* also in a preview or a discovery */
    if (!r->cfg->incremental.enabled) {
        return ACDL_OK;
    }
    for (int i = 0; i < r->nraw && m->i_cursor < 0; i++) {
        size_t k = 0, n = strlen(r->names[i]);
        while (k < n && want[k] && (r->names[i][k] | 0x20) == (want[k] | 0x20)) {
            k++;
        }
        if (k == n && !want[k]) {
            m->i_cursor = i;
        }
    }
    if (m->i_cursor < 0) {
        rows_note(r, "error", "run.cursor_column_missing", json_pack("{s:s}", "column", want),
                  "the query's result has no column '%s' (settings.incremental.cursor_column)",
                  want);
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

/* The current row's cursor value into *cursor: 0, or 1 after rejecting the row (no value or
 * not a cursor value: such a row cannot be followed, so it is not staged). */
static int row_cursor(struct rows *r, struct aimp *m, int64_t *cursor)
{
    char why[200];
    why[0] = '\0';
    if (r->null[m->i_cursor]) {
        m->p.cursor_nulls++;
        rows_reject_column(r, m->i_cursor, 0,
                           rows_why("row.cursor_null", "the cursor column is NULL: the row cannot "
                                                       "be followed and is not staged"));
        return 1;
    }
    if (agent_follow_parse(r->cfg, r->tz, r->val[m->i_cursor], r->len[m->i_cursor], cursor, why,
                           sizeof(why)) != ACDL_OK) {
        rows_reject_column(r, m->i_cursor, 0, why);
        return 1;
    }
    if (!m->p.have_cursor || *cursor > m->p.max_cursor) {
        m->p.max_cursor = *cursor;
        m->p.have_cursor = 1;
    }
    return 0;
}

/* One state into temp.agent_acc (in transactions of BATCH_ROWS). */
static int collect(struct aimp *m, const char *agent, size_t alen, int64_t start, int64_t end,
                   struct tz_date day, const char *code, size_t clen, const char *name, size_t nlen,
                   const char *file, uint64_t line, const int64_t *cursor)
{
    struct rows *r = &m->r;
    sqlite3 *db = store_db(r->c);
    if (!m->in_batch) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            return ACDL_EDB;
        }
        m->in_batch = 1;
    }
    sqlite3_stmt *s = store_prepare(
        r->c, "INSERT INTO temp.agent_acc (ext_agent, start, end, day, code, name, file, line, "
              "cursor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    char ds[11];
    tz_date_format(day, ds);
    sqlite3_bind_text(s, 1, agent, (int)alen, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, start);
    if (end == AGENT_ACC_OPEN) {
        sqlite3_bind_null(s, 3);
    } else {
        sqlite3_bind_int64(s, 3, end);
    }
    sqlite3_bind_text(s, 4, ds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, code, (int)clen, SQLITE_TRANSIENT);
    if (name) {
        sqlite3_bind_text(s, 6, name, (int)nlen, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(s, 6);
    }
    sqlite3_bind_text(s, 7, file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)line);
    if (cursor) {
        sqlite3_bind_int64(s, 9, *cursor);
    } else {
        sqlite3_bind_null(s, 9);
    }
    int st = sqlite3_step(s);
    store_done(s);
    if (st != SQLITE_DONE) {
        log_error("agents", "run %lld: collecting states failed: %s", (long long)r->run->id,
                  sqlite3_errmsg(db));
        return ACDL_EDB;
    }
    if (++m->batch_rows >= BATCH_ROWS) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
        m->batch_rows = 0;
    }
    return ACDL_OK;
}

/* The states held in memory into temp.agent_acc, in the order they came; the run goes on
 * there. */
static int spill(struct aimp *m)
{
    int rc = ACDL_OK;
    size_t n = agent_acc_count(m->acc);
    if (n > 0) {
        log_info("agents",
                 "run %lld: more than %zu states (agent_states_in_memory): the rest "
                 "of the run is collected in a temporary table",
                 (long long)m->r.run->id, n);
    }
    for (size_t i = 0; i < n && rc == ACDL_OK; i++) {
        const struct agent_acc_row w = agent_acc_row_at(m->acc, i, NULL);
        size_t al, cl, nl = 0, fl;
        const char *ag = agent_acc_str(m->acc, 0, w.agent, &al);
        const char *co = agent_acc_str(m->acc, 1, w.code, &cl);
        const char *na = w.name == AGENT_ACC_NONE ? NULL : agent_acc_str(m->acc, 2, w.name, &nl);
        const char *fi = agent_acc_str(m->acc, 3, w.file, &fl);
        rc = collect(m, ag, al, w.start, w.end, agent_acc_day_unpack(w.day), co, cl, na, nl, fi,
                     w.line, NULL);
    }
    agent_acc_destroy(m->acc);
    m->acc = NULL;
    return rc;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_int(uint64_t h, int64_t v)
{
    return hash_bytes(h, &v, sizeof(v));
}

/* A poll: 1 when the row (its key agent + start, and what the staging compares) was read by
 * the last poll with the same content, so it is staged as it is; notes it for the next poll
 * either way. A key read twice in this poll is never skipped: the last row of a key wins. */
static int seen_before(struct aimp *m, const char *agent, size_t alen, int64_t start, int64_t end,
                       struct tz_date day, const char *code, size_t clen, const char *name,
                       size_t nlen, int64_t cursor)
{
    struct agent_follow_keep *k = m->keep;
    uint64_t key = hash_int(hash_bytes(14695981039346656037ULL, agent, alen), start);
    uint64_t h = hash_int(hash_int(14695981039346656037ULL, end),
                          (int64_t)day.y * 10000 + day.m * 100 + day.d);
    int same = 0, skip = 0;
    h = hash_bytes(hash_int(h, (int64_t)clen), code, clen);
    h = hash_bytes(hash_int(h, name ? (int64_t)nlen : -1), name, name ? nlen : 0);
    h = hash_int(h, cursor);
    h = h == FOLLOW_SEEN_GONE ? 1 : h;
    if (m->no_skip) {
        return 0;
    }
    if (agent_follow_seen_find(&k->next, key, h, &same)) {
        skip = 0; /* read before in this poll */
    } else if (k->have_seen && agent_follow_seen_find(&k->seen, key, h, &same) && same) {
        skip = 1;
    }
    if (agent_follow_seen_put(&k->next, key, h) != ACDL_OK) {
        m->no_skip = 1; /* the tables are of no use to this poll or the next: given back now */
        agent_follow_seen_free(&k->next);
        agent_follow_seen_free(&k->seen);
        k->have_seen = 0;
        return 0;
    }
    return skip;
}

static int ai_row(struct rows *r, void *ctx)
{
    struct aimp *m = ctx;
    if (is_qlog(r)) {
        return queue_log_row(r);
    }
    const char *agent, *code, *name = NULL;
    size_t alen = field(r, r->i_agent, &agent), clen = field(r, r->i_activity, &code), nlen = 0;
    struct tz_date day;
    int64_t start = 0, end = 0, cursor = 0;
    int minute, second, open = 0;
    if (m->live) { /* into a temporary table, in one transaction as collect() does */
        if (!m->in_batch && !r->preview_row) {
            if (sqlite3_exec(store_db(r->c), "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
                return ACDL_EDB;
            }
            m->in_batch = 1;
        }
        return live_status_row(r);
    }
    if (m->i_cursor >= 0 && row_cursor(r, m, &cursor) != 0) {
        return ACDL_OK;
    }
    if (alen == 0 || alen > 128) {
        rows_reject_column(
            r, r->i_agent, 0,
            alen ? rows_why("row.agent_too_long", "an agent id is at most 128 characters")
                 : rows_why("row.no_agent", "no agent id"));
        return ACDL_OK;
    }
    if (clen == 0 || clen > 128) {
        rows_reject_column(
            r, r->i_activity, 0,
            clen ? rows_why("row.activity_too_long", "an activity code is at most 128 characters")
                 : rows_why("row.no_activity", "no activity code"));
        return ACDL_OK;
    }
    if (r->i_activity_name >= 0) {
        nlen = field(r, r->i_activity_name, &name);
    }
    int rc = rows_time(r, agent, alen, &day, &start, &minute, &second);
    if (rc == 1) {
        r->k.rows_filtered++;
        return ACDL_OK;
    }
    if (rc != ACDL_OK || row_end(r, agent, alen, day, start, &end, &open) != ACDL_OK) {
        return ACDL_OK; /* rejected and counted */
    }
    if (r->preview_row) {
        preview_add(r, agent, alen, code, clen, day, start, end, open);
        r->k.rows_staged++;
        return ACDL_OK;
    }
    if (!m->any_day || tz_date_cmp(day, m->dmin) < 0) {
        m->dmin = day;
    }
    if (!m->any_day || tz_date_cmp(day, m->dmax) > 0) {
        m->dmax = day;
    }
    m->any_day = 1;
    if (m->keep && seen_before(m, agent, alen, start, open ? AGENT_ACC_OPEN : end, day, code, clen,
                               nlen ? name : NULL, nlen > 256 ? 256 : nlen, cursor)) {
        m->keep->rows_skipped++;
        return ACDL_OK;
    }
    if (m->acc) {
        rc = agent_acc_add(m->acc, agent, alen, code, clen, nlen ? name : NULL,
                           nlen > 256 ? 256 : nlen, r->where, start, open ? AGENT_ACC_OPEN : end,
                           day, r->line);
        if (rc == ACDL_OK) {
            r->k.rows_staged++;
            return ACDL_OK;
        }
        if (rc != ACDL_ETOOBIG || (rc = spill(m)) != ACDL_OK) {
            return rc;
        }
    }
    rc = collect(m, agent, alen, start, open ? AGENT_ACC_OPEN : end, day, code, clen,
                 nlen ? name : NULL, nlen > 256 ? 256 : nlen, r->where, r->line,
                 m->i_cursor >= 0 ? &cursor : NULL);
    if (rc == ACDL_OK) {
        r->k.rows_staged++;
        m->beyond += m->poll && m->i_cursor >= 0 && (!m->have_stored || cursor > m->stored);
    }
    return rc;
}

/* A poll that read more states beyond the stored cursor than it may stage (agent_follow.h):
 * the states beyond the bound leave temp.agent_acc and are noted as not staged in what the
 * poll read (so the next poll compares them), and the cursor stops at the bound. */
static int bound_poll(struct aimp *m)
{
    struct rows *r = &m->r;
    size_t n = 0, max = agent_follow_bound_max(r->cfg, (size_t)m->beyond), kept = 0;
    int64_t limit = 0;
    int rc = ACDL_OK;
    if ((size_t)m->beyond <= max) {
        return ACDL_OK;
    }
    int64_t *cur = malloc((size_t)m->beyond * sizeof(*cur));
    sqlite3_stmt *s = cur ? store_prepare(r->c, "SELECT cursor FROM temp.agent_acc WHERE cursor "
                                                "> ?1 OR ?2")
                          : NULL;
    if (!s) {
        free(cur);
        return cur ? ACDL_EDB : ACDL_ENOMEM;
    }
    sqlite3_bind_int64(s, 1, m->stored);
    sqlite3_bind_int(s, 2, !m->have_stored);
    while (n < (size_t)m->beyond && sqlite3_step(s) == SQLITE_ROW) {
        cur[n++] = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    if (!agent_follow_bound(cur, n, max, &limit, &kept)) {
        free(cur);
        return ACDL_OK;
    }
    free(cur);
    s = m->keep && !m->no_skip ? store_prepare(r->c, "SELECT ext_agent, start FROM "
                                                     "temp.agent_acc WHERE cursor > ?")
                               : NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, limit);
    }
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        const void *ag = sqlite3_column_blob(s, 0);
        uint64_t key =
            hash_int(hash_bytes(14695981039346656037ULL, ag, (size_t)sqlite3_column_bytes(s, 0)),
                     sqlite3_column_int64(s, 1));
        if (agent_follow_seen_put(&m->keep->next, key, FOLLOW_SEEN_GONE) != ACDL_OK) {
            m->no_skip = 1; /* nothing this poll read is remembered */
            agent_follow_seen_free(&m->keep->next);
            break;
        }
    }
    store_done(s);
    s = store_prepare(r->c, "DELETE FROM temp.agent_acc WHERE cursor > ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, limit);
    rc = store_step_done(r->c, s, "bounding a poll");
    store_done(s);
    if (rc == ACDL_OK) {
        int64_t left = sqlite3_changes64(store_db(r->c));
        r->k.rows_staged -= left;
        m->p.rows_left = left;
        m->p.max_cursor = limit;
    }
    return rc;
}

/* Runs sql with the named parameters :source, :run, :now, :from, :to bound. */
static int exec_bound(struct rows *r, const char *sql, const char *from, const char *to)
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
            sqlite3_bind_int64(s, i, r->run->source_id);
        } else if (!strcmp(p, ":run")) {
            sqlite3_bind_int64(s, i, r->run->id);
        } else if (!strcmp(p, ":now")) {
            sqlite3_bind_int64(s, i, plat_now());
        } else if (!strcmp(p, ":from")) {
            sqlite3_bind_text(s, i, from, -1, SQLITE_TRANSIENT);
        } else if (!strcmp(p, ":to")) {
            sqlite3_bind_text(s, i, to, -1, SQLITE_TRANSIENT);
        } else if (!strcmp(p, ":since")) {
            sqlite3_bind_int64(s, i, r->since);
        } else if (!strcmp(p, ":until")) {
            sqlite3_bind_int64(s, i, r->until);
        }
    }
    int st = sqlite3_step(s);
    store_done(s);
    if (st != SQLITE_DONE) {
        log_error("agents", "run %lld: %s", (long long)r->run->id, sqlite3_errmsg(store_db(r->c)));
        return ACDL_EDB;
    }
    return ACDL_OK;
}

/* What a run's staging changes in the counts of its agents and codes (the memory path of a
 * run that replaces no days wholesale): the staged states of each agent from its first state
 * read on (ex), walked beside its states in start order, tell an added state from a replaced
 * one, so the counts move by what changed instead of being counted again over every state the
 * source ever staged. */
struct count_delta {
    int64_t *ex_start; /* the agent's staged states from its first new start on, in order */
    uint32_t *ex_code; /* their codes: numbers into old */
    size_t nex, excap, at;
    int64_t added;    /* states of the current agent that were not staged before */
    int64_t *by_code; /* per code number of the run: states staged with it */
    char **old;       /* codes of replaced states, with how many were replaced */
    int64_t *old_n;
    size_t nold, oldcap;
    sqlite3_stmt *ex, *add;
    int64_t lo, hi; /* the run's days: a state outside them makes the counts counted again */
    int bad;
};

/* Grows the arrays *a and *b (elements of ea and eb bytes, *cap of each) to need. */
static int delta_grow(void **a, size_t ea, void **b, size_t eb, size_t *cap, size_t need)
{
    if (need <= *cap) {
        return ACDL_OK;
    }
    size_t ca = *cap, cb = *cap;
    if (acdl_grow(a, &ca, need, ea) != ACDL_OK || acdl_grow(b, &cb, need, eb) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    *cap = ca; /* the same as cb: both grew from *cap to need */
    return ACDL_OK;
}

static void delta_free(struct count_delta *d)
{
    for (size_t i = 0; i < d->nold; i++) {
        free(d->old[i]);
    }
    free(d->old);
    free(d->old_n);
    free(d->ex_start);
    free(d->ex_code);
    free(d->by_code);
    store_done(d->ex);
    store_done(d->add);
}

/* The number of an old code in d->old (added with 0 when new); -1 without memory. */
static long delta_old(struct count_delta *d, const char *code)
{
    for (size_t i = d->nold; i-- > 0;) {
        if (!strcmp(d->old[i], code)) {
            return (long)i;
        }
    }
    if (delta_grow((void **)&d->old, sizeof(*d->old), (void **)&d->old_n, sizeof(*d->old_n),
                   &d->oldcap, d->nold + 1) != ACDL_OK) {
        return -1;
    }
    size_t len = strlen(code);
    char *c = malloc(len + 1);
    if (!c) {
        return -1;
    }
    memcpy(c, code, len + 1);
    d->old[d->nold] = c;
    d->old_n[d->nold] = 0;
    return (long)d->nold++;
}

/* The staged states of an agent with start in [from, hi), before its new ones go in. */
static int delta_agent(struct count_delta *d, int64_t source, const char *ag, size_t al,
                       int64_t from, int64_t hi)
{
    int rc = ACDL_OK, st;
    d->nex = d->at = 0;
    d->added = 0;
    sqlite3_bind_int64(d->ex, 1, source);
    sqlite3_bind_text(d->ex, 2, ag, (int)al, SQLITE_STATIC);
    sqlite3_bind_int64(d->ex, 3, from);
    sqlite3_bind_int64(d->ex, 4, hi);
    while ((st = sqlite3_step(d->ex)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(d->ex, 1);
        long oc = delta_old(d, code ? code : "");
        if (oc < 0 || delta_grow((void **)&d->ex_start, sizeof(*d->ex_start), (void **)&d->ex_code,
                                 sizeof(*d->ex_code), &d->excap, d->nex + 1) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        d->ex_start[d->nex] = sqlite3_column_int64(d->ex, 0);
        d->ex_code[d->nex++] = (uint32_t)oc;
    }
    if (rc == ACDL_OK && st != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    sqlite3_reset(d->ex);
    return rc;
}

/* A state of the current agent staged with code number code: replaced or added. */
static void delta_state(struct count_delta *d, int64_t start, uint32_t code)
{
    while (d->at < d->nex && d->ex_start[d->at] < start) {
        d->at++;
    }
    if (d->at < d->nex && d->ex_start[d->at] == start) {
        d->old_n[d->ex_code[d->at++]]--;
    } else {
        d->added++;
    }
    d->by_code[code]++;
}

/* The agent's added states into temp.agent_run_added (none: no row). */
static int delta_agent_end(struct count_delta *d, struct store_conn *c, const char *ag, size_t al)
{
    if (d->added == 0) {
        return ACDL_OK;
    }
    sqlite3_bind_text(d->add, 1, ag, (int)al, SQLITE_STATIC);
    sqlite3_bind_int64(d->add, 2, d->added);
    int rc = store_step_done(c, d->add, "counting the states of the agents read");
    sqlite3_reset(d->add);
    return rc;
}

/* The codes' changes into temp.agent_counts (code, n). */
static int delta_codes(struct count_delta *d, struct rows *r, struct agent_acc *acc,
                       uint32_t ncodes)
{
    sqlite3_stmt *q = store_prepare(r->c, "INSERT INTO temp.agent_counts (code, n) VALUES (?, ?) "
                                          "ON CONFLICT DO UPDATE SET n = n + excluded.n");
    int rc = q ? ACDL_OK : ACDL_EDB;
    for (size_t i = 0; rc == ACDL_OK && i < (size_t)ncodes + d->nold; i++) {
        size_t cl;
        const char *co = i < ncodes ? agent_acc_str(acc, 1, (uint32_t)i, &cl) : d->old[i - ncodes];
        int64_t n = i < ncodes ? d->by_code[i] : d->old_n[i - ncodes];
        if (n == 0) {
            continue;
        }
        cl = i < ncodes ? cl : strlen(co);
        sqlite3_bind_text(q, 1, co, (int)cl, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, n);
        rc = store_step_done(r->c, q, "counting the states of the codes read");
        sqlite3_reset(q);
    }
    store_done(q);
    return rc;
}

/* Staged states go in STAGE_ROWS to a statement: a row per statement spent about a third of
 * the inserts' CPU in starting and ending statements (opening the table's and index's cursors,
 * the foreign key's counters) and binding (500,000 states: 1.65 CPU-s one by one, 1.05 with 32
 * to a statement, 0.87 with 128, 0.85 with 512). 128 rows are 1,152 parameters: within what
 * every SQLite build of the daemon allows (32,766 since 3.32; the Windows build sets more). */
#define STAGE_ROWS 128
#define STAGE_VALUES1 "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define STAGE_VALUES2 STAGE_VALUES1 ", " STAGE_VALUES1
#define STAGE_VALUES4 STAGE_VALUES2 ", " STAGE_VALUES2
#define STAGE_VALUES8 STAGE_VALUES4 ", " STAGE_VALUES4
#define STAGE_VALUES16 STAGE_VALUES8 ", " STAGE_VALUES8
#define STAGE_VALUES32 STAGE_VALUES16 ", " STAGE_VALUES16
#define STAGE_VALUES64 STAGE_VALUES32 ", " STAGE_VALUES32
#define STAGE_VALUES128 STAGE_VALUES64 ", " STAGE_VALUES64
/* an upsert, not INSERT OR REPLACE: a REPLACE row by row writes each page it changes to a
 * statement journal again for every row (the foreign key may abort it), a third of the time
 * of a day's staging */
#define STAGE_INSERT(values)                                                                       \
    "INSERT INTO agent_staged (source_id, ext_agent, start, end, day, code, run_id, file, "        \
    "line) VALUES " values " ON CONFLICT DO UPDATE SET end = excluded.end, day = excluded.day, "   \
    "code = excluded.code, run_id = excluded.run_id, file = excluded.file, line = "                \
    "excluded.line"

/* States waiting for their statement: the strings are the run's (agent_acc_str), the day each
 * row's own copy. */
struct stage_buf {
    struct agent_acc_row row[STAGE_ROWS];
    char day[STAGE_ROWS][11];
    int n;
};

/* Binds the first n rows of b from parameter 9 * k + 1 of s on (k: the row's place). */
static void stage_bind(struct rows *r, struct agent_acc *acc, sqlite3_stmt *s,
                       const struct stage_buf *b, int from, int n)
{
    for (int k = 0; k < n; k++) {
        const struct agent_acc_row *w = &b->row[from + k];
        int p = 9 * k;
        size_t al, cl, fl;
        const char *ag = agent_acc_str(acc, 0, w->agent, &al);
        const char *co = agent_acc_str(acc, 1, w->code, &cl);
        const char *fi = agent_acc_str(acc, 3, w->file, &fl);
        sqlite3_bind_int64(s, p + 1, r->run->source_id);
        sqlite3_bind_text(s, p + 2, ag, (int)al, SQLITE_STATIC);
        sqlite3_bind_int64(s, p + 3, w->start);
        if (w->end == AGENT_ACC_OPEN) {
            sqlite3_bind_null(s, p + 4);
        } else {
            sqlite3_bind_int64(s, p + 4, w->end);
        }
        sqlite3_bind_text(s, p + 5, b->day[from + k], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, p + 6, co, (int)cl, SQLITE_STATIC);
        sqlite3_bind_int64(s, p + 7, r->run->id);
        sqlite3_bind_text(s, p + 8, fi, (int)fl, SQLITE_STATIC);
        sqlite3_bind_int64(s, p + 9, (sqlite3_int64)w->line);
    }
}

/* Stages the rows b holds, in their order: whole statements of STAGE_ROWS, the rest (at the
 * end of the run) one by one. */
static int stage_flush(struct rows *r, struct agent_acc *acc, struct stage_buf *b)
{
    static const char *const sql[2] = {STAGE_INSERT(STAGE_VALUES1), STAGE_INSERT(STAGE_VALUES128)};
    int rc = ACDL_OK;
    for (int at = 0; rc == ACDL_OK && at < b->n;) {
        int whole = b->n - at >= STAGE_ROWS;
        int n = whole ? STAGE_ROWS : 1;
        sqlite3_stmt *s = store_prepare(r->c, sql[whole]);
        if (!s) {
            return ACDL_EDB;
        }
        stage_bind(r, acc, s, b, at, n);
        rc = store_step_done(r->c, s, "staging states");
        at += n;
    }
    b->n = 0;
    return rc;
}

/* The spans of a run's agents computed in its staging transaction from the states it holds,
 * instead of a recomputation after the commit that reads every state back (see run_spans_ok
 * for when). Per agent of the run mapped to a WFM agent that has no other external id: the
 * states staged before in the window its days are computed from (none for a day imported the
 * first time), read before its new ones go in, merged with the new ones (a new state replaces
 * one with its start), are what a read back would give. An agent mapped to a WFM agent with
 * several ids is computed after the staging in the same transaction, reading back. */
struct run_spans {
    struct agent_results_run *u;
    int64_t lo, hi;          /* the window of the run's days */
    sqlite3_stmt *who, *old; /* the agent's WFM agent (and its ids); its states before */
    int64_t agent_id;        /* of the current agent: 0 none (not mapped, or later) */
    struct agent_given_state *prev, *st; /* states staged before; merged with the new ones */
    size_t nprev, prevcap, nst, stcap;
    struct agent_given_state *add; /* the new ones */
    size_t nadd, addcap;
    int64_t *later; /* WFM agents with several ids */
    size_t nlater, latercap;
};

static int given_push(struct agent_given_state **a, size_t *n, size_t *cap,
                      struct agent_given_state v)
{
    if (acdl_grow((void **)a, cap, *n + 1, sizeof(**a)) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    (*a)[(*n)++] = v;
    return ACDL_OK;
}

static void run_spans_prev_free(struct run_spans *x)
{
    for (size_t i = 0; i < x->nprev; i++) {
        free((char *)x->prev[i].code);
    }
    x->nprev = 0;
}

static void run_spans_free(struct run_spans *x)
{
    run_spans_prev_free(x);
    free(x->prev);
    free(x->st);
    free(x->add);
    free(x->later);
    store_done(x->who);
    store_done(x->old);
    agent_results_run_close(x->u);
}

/* An agent of the run begins (before its states are staged): its WFM agent, and the states
 * staged before in the window. */
static int run_spans_agent(struct run_spans *x, struct store_conn *c, int64_t source,
                           const char *ag, size_t al)
{
    int rc = ACDL_OK, st;
    x->agent_id = 0;
    x->nadd = 0;
    run_spans_prev_free(x);
    sqlite3_bind_int64(x->who, 1, source);
    sqlite3_bind_text(x->who, 2, ag, (int)al, SQLITE_STATIC);
    int64_t agent = 0, ids = 0;
    if ((st = sqlite3_step(x->who)) == SQLITE_ROW) {
        agent = sqlite3_column_int64(x->who, 0);
        ids = sqlite3_column_int64(x->who, 1);
    }
    sqlite3_reset(x->who);
    if (st != SQLITE_ROW && st != SQLITE_DONE) {
        return ACDL_EDB;
    }
    if (agent == 0) {
        return ACDL_OK; /* not mapped: no results */
    }
    if (ids != 1) {
        if (acdl_grow((void **)&x->later, &x->latercap, x->nlater + 1, sizeof(*x->later)) !=
            ACDL_OK) {
            return ACDL_ENOMEM;
        }
        x->later[x->nlater++] = agent;
        return ACDL_OK;
    }
    x->agent_id = agent;
    sqlite3_bind_int64(x->old, 1, source);
    sqlite3_bind_text(x->old, 2, ag, (int)al, SQLITE_STATIC);
    sqlite3_bind_int64(x->old, 3, x->lo);
    sqlite3_bind_int64(x->old, 4, x->hi);
    while (rc == ACDL_OK && (st = sqlite3_step(x->old)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(x->old, 2);
        size_t len = (size_t)sqlite3_column_bytes(x->old, 2);
        char *dup = malloc(len + 1);
        struct agent_given_state v = {sqlite3_column_int64(x->old, 0),
                                      sqlite3_column_type(x->old, 1) == SQLITE_NULL
                                          ? AGENT_GIVEN_OPEN
                                          : sqlite3_column_int64(x->old, 1),
                                      dup};
        if (!dup) {
            rc = ACDL_ENOMEM;
            break;
        }
        memcpy(dup, code ? code : "", len);
        dup[len] = '\0';
        if ((rc = given_push(&x->prev, &x->nprev, &x->prevcap, v)) != ACDL_OK) {
            free(dup);
        }
    }
    if (rc == ACDL_OK && st != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    sqlite3_reset(x->old);
    return rc;
}

/* The current agent's states all staged: its spans from the states before and the new ones. */
static int run_spans_done(struct run_spans *x, struct aimp *m)
{
    if (x->agent_id == 0) {
        return ACDL_OK;
    }
    size_t i = 0, k = 0;
    int rc = ACDL_OK;
    x->nst = 0;
    while (rc == ACDL_OK && (i < x->nprev || k < x->nadd)) {
        if (k < x->nadd && (i >= x->nprev || x->add[k].start <= x->prev[i].start)) {
            if (i < x->nprev && x->prev[i].start == x->add[k].start) {
                i++; /* replaced */
            }
            rc = given_push(&x->st, &x->nst, &x->stcap, x->add[k++]);
        } else {
            rc = given_push(&x->st, &x->nst, &x->stcap, x->prev[i++]);
        }
    }
    if (rc == ACDL_OK) {
        rc = agent_results_run_agent(x->u, x->agent_id, m->r.run->source_id, m->from, m->to, x->st,
                                     x->nst, &m->run_st);
    }
    x->agent_id = 0;
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The WFM agents with several ids, computed reading back (their states are all staged). */
static int run_spans_later(struct run_spans *x, struct aimp *m)
{
    size_t w = 0;
    if (x->nlater == 0) {
        return ACDL_OK;
    }
    qsort(x->later, x->nlater, sizeof(*x->later), cmp_id);
    for (size_t i = 0; i < x->nlater; i++) {
        if (w == 0 || x->later[w - 1] != x->later[i]) {
            x->later[w++] = x->later[i];
        }
    }
    return agent_results_apply(m->r.c, x->later, (int)w, m->from, m->to, &m->run_st);
}

/* 1 when the run's spans may be computed in its staging transaction (run_spans): nothing else
 * of the source's or any agent's results waits to be recomputed (such a recomputation goes on
 * as before), so the results of the source's agents that the run does not touch are what a
 * recomputation of them would give, and only the run's agents need computing. A run that read
 * no state, an ODBC run (it replaces whole days), a queue_log source's (its states are derived
 * in the transaction) and one whose states went to the temporary table record the recomputation of
 * the source's agents instead, as before. */
static int run_spans_ok(struct aimp *m)
{
    sqlite3_stmt *s = store_prepare(m->r.c, "SELECT EXISTS (SELECT 1 FROM recomputes WHERE kind "
                                            "= 'agent' OR (kind = 'source_agents' AND ref_id "
                                            "IN (0, ?)))");
    int pending = 1;
    if (!s) {
        return 0;
    }
    sqlite3_bind_int64(s, 1, m->r.run->source_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        pending = sqlite3_column_int(s, 0);
    }
    store_done(s);
    return !pending && m->from[0] && m->to[0];
}

static int run_spans_init(struct run_spans *x, struct aimp *m)
{
    struct rows *r = &m->r;
    int rc = agent_results_run_open(r->c, &x->u);
    if (rc == ACDL_OK) {
        rc = agent_results_run_window(x->u, r->run->source_id, m->from, m->to, &x->lo, &x->hi);
    }
    if (rc == ACDL_OK) {
        x->who = store_prepare(r->c, "SELECT a.agent_id, (SELECT count(*) FROM agent_ids b WHERE "
                                     "b.agent_id = a.agent_id) FROM agent_ids a WHERE "
                                     "a.source_id = ? AND a.ext_agent = ? AND a.agent_id IS NOT "
                                     "NULL");
        x->old = store_prepare(r->c, "SELECT start, end, code FROM agent_staged WHERE source_id = "
                                     "?1 AND ext_agent = ?2 AND start >= ?3 AND start < ?4 ORDER "
                                     "BY start");
        rc = x->who && x->old ? ACDL_OK : ACDL_EDB;
    }
    return rc;
}

/* The states held in memory into agent_staged, in key order: of states of an agent with the
 * same start the last one read (as INSERT OR REPLACE in reading order would keep it); the
 * agents and codes seen into temp.agent_run_ids / temp.agent_run_codes (with the greatest
 * name, as max() would give it). Inside the staging transaction. */
static int stage_memory(struct aimp *m, struct count_delta *d, struct run_spans *sp)
{
    struct rows *r = &m->r;
    struct agent_acc *acc = m->acc;
    size_t n = agent_acc_count(acc);
    uint32_t ncodes = agent_acc_distinct(acc, 1);
    uint32_t *name_of = malloc(((size_t)ncodes + 1) * sizeof(*name_of));
    int rc = ACDL_OK;
    int32_t last_day = -1;
    char ds[11] = "";
    struct agent_acc_row next;
    uint32_t prev_agent = 0;
    memset(&next, 0, sizeof(next));
    if (!name_of || agent_acc_sort(acc) != ACDL_OK) {
        free(name_of);
        return ACDL_ENOMEM;
    }
    agent_acc_code_names(acc, name_of); /* the code's greatest name */
    struct stage_buf *buf = malloc(sizeof(*buf));
    sqlite3_stmt *ids =
        store_prepare(r->c, "INSERT INTO temp.agent_run_ids (ext_agent) VALUES (?)");
    sqlite3_stmt *days = store_prepare(r->c, "INSERT OR IGNORE INTO agent_staged_days (source_id, "
                                             "day, ext_agent) VALUES (?, ?, ?)");
    uint32_t days_agent = AGENT_ACC_NONE;
    int32_t days_day = -1;
    if (!buf || !ids || !days) {
        store_done(ids);
        store_done(days);
        free(buf);
        free(name_of);
        return buf ? ACDL_EDB : ACDL_ENOMEM;
    }
    buf->n = 0;
    for (size_t i = 0; i < n && rc == ACDL_OK; i++) {
        /* w: this row, next: the one after it (prev: before it, from the last turn) */
        const struct agent_acc_row w = i == 0 ? agent_acc_row_at(acc, 0, NULL) : next;
        if (i + 1 < n) {
            next = agent_acc_row_at(acc, i + 1, NULL);
        }
        size_t al, ol;
        const char *ag = agent_acc_str(acc, 0, w.agent, &al);
        if (d && (w.start < d->lo || w.start >= d->hi)) {
            d->bad = 1; /* counted again after staging */
            d = NULL;
        }
        if (i == 0 || prev_agent != w.agent) {
            if (sp && i > 0) {
                rc = run_spans_done(sp, m);
            }
            if (rc == ACDL_OK && sp) { /* before any of its states are staged */
                rc = run_spans_agent(sp, r->c, r->run->source_id, ag, al);
            }
            if (rc != ACDL_OK) {
                break;
            }
            sqlite3_bind_text(ids, 1, ag, (int)al, SQLITE_STATIC);
            rc = store_step_done(r->c, ids, "noting the agents read");
            sqlite3_reset(ids);
            if (rc == ACDL_OK && d && i > 0) {
                const char *pa = agent_acc_str(acc, 0, prev_agent, &ol);
                rc = delta_agent_end(d, r->c, pa, ol);
            }
            if (rc == ACDL_OK && d) { /* its states are in start order: w is its first */
                rc = delta_agent(d, r->run->source_id, ag, al, w.start, d->hi);
            }
        }
        prev_agent = w.agent;
        if (rc != ACDL_OK) {
            break;
        }
        if (i + 1 < n && next.agent == w.agent && next.start == w.start) {
            if (m->nrepeated < REPORT_MAX) { /* for the run log (report_conflicts) */
                struct repeated_row *e = &m->repeated[m->nrepeated];
                e->start = next.start;
                e->agent = next.agent;
                e->file = next.file;
                e->line = next.line;
                e->first_file = w.file;
                e->first_line = w.line;
            }
            m->nrepeated++;
            continue; /* a later row of the agent with this start replaces this one */
        }
        if (w.day != last_day) {
            tz_date_format(agent_acc_day_unpack(w.day), ds);
            last_day = w.day;
        }
        if (w.agent != days_agent || w.day != days_day) { /* the agent's states of a new day */
            sqlite3_bind_int64(days, 1, r->run->source_id);
            sqlite3_bind_text(days, 2, ds, -1, SQLITE_STATIC);
            sqlite3_bind_text(days, 3, ag, (int)al, SQLITE_STATIC);
            rc = store_step_done(r->c, days, "noting the agents' staged days");
            days_agent = w.agent;
            days_day = w.day;
            if (rc != ACDL_OK) {
                break;
            }
        }
        /* delta_agent reads only the agent whose first row it is: none of the rows waiting here */
        buf->row[buf->n] = w;
        memcpy(buf->day[buf->n], ds, sizeof(ds));
        if (++buf->n == STAGE_ROWS) {
            rc = stage_flush(r, acc, buf);
        }
        if (d) {
            delta_state(d, w.start, w.code);
        }
        if (sp && sp->agent_id) {
            const struct agent_given_state v = {w.start,
                                                w.end == AGENT_ACC_OPEN ? AGENT_GIVEN_OPEN : w.end,
                                                agent_acc_str(acc, 1, w.code, &ol)};
            rc = given_push(&sp->add, &sp->nadd, &sp->addcap, v);
        }
    }
    if (rc == ACDL_OK && sp && n > 0) {
        rc = run_spans_done(sp, m);
    }
    if (rc == ACDL_OK) {
        rc = stage_flush(r, acc, buf);
    }
    if (rc == ACDL_OK && sp) {
        rc = run_spans_later(sp, m);
    }
    free(buf);
    if (rc == ACDL_OK && d && n > 0) {
        size_t pl;
        const char *pa = agent_acc_str(acc, 0, prev_agent, &pl);
        rc = delta_agent_end(d, r->c, pa, pl);
    }
    if (rc == ACDL_OK && d) {
        rc = delta_codes(d, r, acc, ncodes);
    }
    store_done(ids);
    store_done(days);
    sqlite3_stmt *codes = rc == ACDL_OK ? store_prepare(r->c, "INSERT INTO temp.agent_run_codes "
                                                              "(code, name) VALUES (?, ?)")
                                        : NULL;
    if (rc == ACDL_OK && !codes) {
        rc = ACDL_EDB;
    }
    for (uint32_t i = 0; i < ncodes && rc == ACDL_OK; i++) {
        size_t cl, nl;
        const char *co = agent_acc_str(acc, 1, i, &cl);
        sqlite3_bind_text(codes, 1, co, (int)cl, SQLITE_STATIC);
        if (name_of[i] == AGENT_ACC_NONE) {
            sqlite3_bind_null(codes, 2);
        } else {
            const char *nm = agent_acc_str(acc, 2, name_of[i], &nl);
            sqlite3_bind_text(codes, 2, nm, (int)nl, SQLITE_STATIC);
        }
        rc = store_step_done(r->c, codes, "noting the activity codes read");
        sqlite3_reset(codes);
    }
    store_done(codes);
    free(name_of);
    return rc;
}

/* Moves the collected states into agent_staged, notes the agents and codes seen and their
 * counts, and marks the files imported: one transaction. */
static int stage_follow(struct aimp *m);
static int stage_history(struct aimp *m);

/* The starts of states of local days lo .. hi (SQL expressions of dates), as a range of
 * column col: a local day lies within 15 hours of the UTC day of its date, so two days either
 * side hold it whatever the zone was. A day's agents come from agent_staged_days, their states
 * by primary key in this range. */
#define DAYS_START_RANGE(col, lo, hi)                                                              \
    col " >= CAST(strftime('%s', " lo ") AS INTEGER) - 172800 AND " col                            \
        " < CAST(strftime('%s', " hi ") AS INTEGER) + 259200"

/* An ODBC run returned whole days: they replace what was staged for them. */
static const char *const days_replaced[] = {
    "DELETE FROM agent_staged WHERE source_id = :source AND ext_agent IN (SELECT ext_agent FROM "
    "agent_staged_days WHERE source_id = :source AND day >= :from AND day <= :to) "
    "AND " DAYS_START_RANGE("start", ":from", ":to") " AND day >= :from AND day <= :to",
    "DELETE FROM agent_staged_days WHERE source_id = :source AND day >= :from AND day <= :to",
};

static int stage(struct aimp *m)
{
    struct rows *r = &m->r;
    int rc;
    if (m->history) {
        return stage_history(m);
    }
    if (r->cfg->incremental.enabled || m->live) {
        return stage_follow(m);
    }
    /* the states in key order before the write lock: the sort needs no store, and the other
     * writers (a contact run's mappings, the uploader) go on meanwhile */
    if (m->acc && agent_acc_sort(m->acc) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    ai_pause(m);
    result_days(m);
    if ((rc = store_begin(r->c)) != ACDL_OK) {
        return rc;
    }
    if (is_qlog(r)) { /* the run's days, from the lines read and kept */
        int64_t lo = 0, hi = 0;
        tz_day_bounds(r->tz, r->from, &lo, NULL);
        tz_day_bounds(r->tz, r->to, NULL, &hi);
        rc = qlog_derive(m, lo, hi);
    }
    if (rc == ACDL_OK && r->cfg->kind == SOURCE_ODBC) {
        /* the query returned whole days: they replace what was staged for them */
        for (size_t i = 0; rc == ACDL_OK && i < sizeof(days_replaced) / sizeof(days_replaced[0]);
             i++) {
            rc = exec_bound(r, days_replaced[i], r->run->period_from, r->run->period_to);
        }
    }
    /* the counts move by what the run changed, unless it replaced whole days (ODBC) or a
     * state lies outside the days it recomputes: then they are counted again */
    struct count_delta delta;
    int use_delta = 0;
    memset(&delta, 0, sizeof(delta));
    if (rc == ACDL_OK && m->acc && r->cfg->kind != SOURCE_ODBC) {
        delta.lo = m->lo;
        delta.hi = m->hi;
        delta.by_code = calloc((size_t)agent_acc_distinct(m->acc, 1) + 1, sizeof(int64_t));
        delta.ex = store_prepare(r->c, "SELECT start, code FROM agent_staged WHERE source_id = ?1 "
                                       "AND ext_agent = ?2 AND start >= ?3 AND start < ?4 ORDER "
                                       "BY start");
        delta.add = store_prepare(r->c, "INSERT INTO temp.agent_run_added (ext_agent, n) VALUES "
                                        "(?, ?)");
        rc = !delta.by_code ? ACDL_ENOMEM : !delta.ex || !delta.add ? ACDL_EDB : ACDL_OK;
        use_delta = rc == ACDL_OK;
    }
    struct run_spans spans;
    int in_tx = 0;
    memset(&spans, 0, sizeof(spans));
    if (rc == ACDL_OK && m->acc && agent_acc_count(m->acc) > 0 && r->cfg->kind != SOURCE_ODBC &&
        !is_qlog(r) && run_spans_ok(m)) {
        int irc = run_spans_init(&spans, m);
        in_tx = irc == ACDL_OK;
        if (irc == ACDL_EINVAL) { /* settings unusable for spans: the recomputation says so */
            run_spans_free(&spans);
            memset(&spans, 0, sizeof(spans));
        } else if (irc != ACDL_OK) {
            rc = irc;
        }
    }
    if (rc == ACDL_OK && m->acc) {
        rc = stage_memory(m, use_delta ? &delta : NULL, in_tx ? &spans : NULL);
    } else if (rc == ACDL_OK) {
        const char *spilled[] = {
            "INSERT OR REPLACE INTO agent_staged (source_id, ext_agent, start, end, day, code, "
            "run_id, file, line) SELECT :source, ext_agent, start, end, day, code, :run, file, "
            "line FROM temp.agent_acc ORDER BY ext_agent, start, rowid",
            "INSERT INTO temp.agent_run_ids SELECT DISTINCT ext_agent FROM temp.agent_acc",
            "INSERT OR IGNORE INTO agent_staged_days (source_id, day, ext_agent) SELECT DISTINCT "
            ":source, day, ext_agent FROM temp.agent_acc",
            "INSERT INTO temp.agent_run_codes SELECT code, max(name) FROM temp.agent_acc GROUP "
            "BY code",
        };
        for (size_t i = 0; rc == ACDL_OK && i < sizeof(spilled) / sizeof(spilled[0]); i++) {
            rc = exec_bound(r, spilled[i], NULL, NULL);
        }
    }
    const char *steps[] = {
        "INSERT INTO agent_ids (source_id, ext_agent, first_seen, last_seen) SELECT :source, "
        "ext_agent, :now, :now FROM temp.agent_run_ids WHERE true ON CONFLICT DO UPDATE SET "
        "last_seen = excluded.last_seen, first_seen = coalesce(first_seen, excluded.first_seen)",
        "INSERT INTO activity_codes (source_id, code, name, first_seen, last_seen) SELECT :source, "
        "code, name, :now, :now FROM temp.agent_run_codes WHERE true ON CONFLICT DO UPDATE SET "
        "last_seen = excluded.last_seen, first_seen = coalesce(first_seen, excluded.first_seen), "
        "name = coalesce(excluded.name, name)",
        "UPDATE agent_ids SET count = c.n FROM (SELECT ext_agent, count(*) AS n FROM agent_staged "
        "WHERE source_id = :source AND ext_agent IN (SELECT ext_agent FROM temp.agent_run_ids) "
        "GROUP BY ext_agent) AS c WHERE agent_ids.source_id = :source AND agent_ids.ext_agent = "
        "c.ext_agent",
        "DELETE FROM temp.agent_counts",
        "INSERT INTO temp.agent_counts SELECT code, count(*) FROM agent_staged WHERE source_id = "
        ":source GROUP BY code",
        "UPDATE activity_codes SET count = coalesce((SELECT c.n FROM temp.agent_counts c WHERE "
        "c.code = activity_codes.code), 0) WHERE source_id = :source",
    };
    const char *delta_steps[] = {
        steps[0],
        steps[1],
        "UPDATE agent_ids SET count = count + a.n FROM temp.agent_run_added a WHERE "
        "agent_ids.source_id = :source AND agent_ids.ext_agent = a.ext_agent",
        "UPDATE activity_codes SET count = max(0, count + c.n) FROM temp.agent_counts c WHERE "
        "activity_codes.source_id = :source AND activity_codes.code = c.code",
    };
    use_delta = use_delta && !delta.bad;
    const char *const *count_steps = use_delta ? delta_steps : steps;
    size_t ncount_steps =
        use_delta ? sizeof(delta_steps) / sizeof(delta_steps[0]) : sizeof(steps) / sizeof(steps[0]);
    delta_free(&delta);
    for (size_t i = 0; rc == ACDL_OK && i < ncount_steps; i++) {
        rc = exec_bound(r, count_steps[i], NULL, NULL);
    }
    if (rc == ACDL_OK) {
        rc = rows_files_commit(r);
    }
    run_spans_free(&spans);
    if (rc == ACDL_OK && !in_tx) { /* same transaction: the results follow even after a crash */
        char reason[64] = "";
        snprintf(reason, sizeof(reason), "staged by run %lld", (long long)r->run->id);
        rc = store_recompute_add(r->c, "source_agents", r->run->source_id, m->from, m->to, reason,
                                 plat_now(), NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(r->c);
    } else {
        store_rollback(r->c);
        memset(&m->run_st, 0, sizeof(m->run_st));
    }
    return rc;
}

/* What an incremental read changes: temp.agent_chg gets the states read that are new (kind 1)
 * or differ from what is staged (0, with the staged code in was: the codes' counts move from
 * it). */
static const char *const chg_steps[] = {
    "CREATE TEMP TABLE IF NOT EXISTS agent_chg (ext_agent TEXT NOT NULL, start INTEGER NOT "
    "NULL, day TEXT NOT NULL, code TEXT NOT NULL, kind INTEGER NOT NULL, cursor INTEGER, was "
    "TEXT)",
    "DELETE FROM temp.agent_chg",
    "CREATE INDEX IF NOT EXISTS temp.agent_acc_key ON agent_acc (ext_agent, start)",
    /* no index on agent_chg's key: the statements walk it and look the rows read up by
     * agent_acc_key, so an index would be one more b-tree entry per change (and per copy) */
    /* new (kind 1) or different (0) */
    "INSERT INTO temp.agent_chg (ext_agent, start, day, code, kind, cursor, was) SELECT "
    "a.ext_agent, a.start, a.day, a.code, s.start IS NULL, a.cursor, s.code FROM temp.agent_acc "
    "a LEFT JOIN "
    "agent_staged s "
    "ON s.source_id = :source AND s.ext_agent = a.ext_agent AND s.start = a.start WHERE "
    "s.start IS NULL OR s.end IS NOT a.end OR s.code IS NOT a.code OR s.day IS NOT a.day OR "
    "s.cursor IS NOT a.cursor",
};

/* What temp.agent_chg holds goes into agent_staged: removed (kind -1), new or replaced (the
 * others), with the agents' and codes' counts. The agents' counts move by difference: the
 * states removed, and before the insert the keys of the part not staged yet (a key read twice,
 * or again in a later part, counts once), instead of counting every staged state of each
 * changed agent again. */
static const char *const apply_steps[] = {
    "DELETE FROM agent_staged WHERE source_id = :source AND (ext_agent, start) IN (SELECT "
    "ext_agent, start FROM temp.agent_chg WHERE kind = -1)",
    "UPDATE agent_ids SET count = max(0, count - d.n) FROM (SELECT ext_agent, count(*) AS n "
    "FROM temp.agent_chg WHERE kind = -1 GROUP BY ext_agent) AS d WHERE agent_ids.source_id = "
    ":source AND agent_ids.ext_agent = d.ext_agent",
    "INSERT INTO agent_ids (source_id, ext_agent, first_seen, last_seen, count) SELECT :source, "
    "k.ext_agent, :now, :now, sum(NOT EXISTS (SELECT 1 FROM agent_staged s WHERE s.source_id = "
    ":source AND s.ext_agent = k.ext_agent AND s.start = k.start)) FROM (SELECT DISTINCT "
    "ext_agent, start FROM temp.agent_chg WHERE kind >= 0) AS k GROUP BY k.ext_agent ON "
    "CONFLICT DO UPDATE SET last_seen = excluded.last_seen, first_seen = coalesce(first_seen, "
    "excluded.first_seen), count = count + excluded.count",
    /* from the changes (a part of a poll is a few of the states read) to their rows read, in
     * the order read (the last row of a key wins); an upsert, not INSERT OR REPLACE, which
     * deletes and inserts every row again (stage_memory) */
    "INSERT INTO agent_staged (source_id, ext_agent, start, end, day, code, run_id, file, line, "
    "cursor) SELECT :source, a.ext_agent, a.start, a.end, a.day, a.code, :run, a.file, a.line, "
    "a.cursor FROM temp.agent_chg c CROSS JOIN temp.agent_acc a ON a.ext_agent = c.ext_agent "
    "AND a.start = c.start WHERE c.kind >= 0 ORDER BY a.rowid ON CONFLICT DO UPDATE SET end = "
    "excluded.end, day = excluded.day, code = excluded.code, run_id = excluded.run_id, file = "
    "excluded.file, line = excluded.line, cursor = excluded.cursor",
    "INSERT OR IGNORE INTO agent_staged_days (source_id, day, ext_agent) SELECT DISTINCT "
    ":source, day, ext_agent FROM temp.agent_chg WHERE kind >= 0",
    "INSERT INTO activity_codes (source_id, code, name, first_seen, last_seen) SELECT "
    ":source, a.code, max(a.name), :now, :now FROM temp.agent_chg c CROSS JOIN temp.agent_acc "
    "a ON a.ext_agent = c.ext_agent AND a.start = c.start WHERE c.kind >= 0 GROUP BY a.code ON "
    "CONFLICT DO UPDATE SET last_seen = excluded.last_seen, first_seen = coalesce(first_seen, "
    "excluded.first_seen), name = coalesce(excluded.name, name)",
    "UPDATE activity_codes SET count = max(0, count + d.n) FROM (SELECT code, sum(n) AS n FROM "
    "(SELECT code, CASE WHEN kind = 0 THEN was IS NOT code ELSE kind END AS n FROM "
    "temp.agent_chg UNION ALL SELECT was, -1 FROM temp.agent_chg WHERE kind = 0 AND was IS NOT "
    "code) GROUP BY code) AS d WHERE activity_codes.source_id = :source AND activity_codes.code "
    "= d.code",
};

static int diff_follow(struct aimp *m, int64_t *changed)
{
    int rc = ACDL_OK;
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(chg_steps) / sizeof(chg_steps[0]); i++) {
        rc = exec_bound(&m->r, chg_steps[i], NULL, NULL);
    }
    sqlite3_stmt *s =
        rc == ACDL_OK ? store_prepare(m->r.c, "SELECT count(*) FROM temp.agent_chg") : NULL;
    *changed = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        *changed = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return rc;
}

/* The WFM agents of the states a staging changed, recomputed for the days around them inside
 * the staging transaction: a poll's changes reach the delivery in the same commit. Each agent
 * from its earliest changed state on where its only external id is this one
 * (agent_results_apply_since), else its whole days. */
static int recompute_changed(struct aimp *m)
{
    struct rows *r = &m->r;
    struct agent_since *ag = NULL;
    char(*ext)[129] = NULL;
    size_t n = 0, cap = 0, ecap = 0;
    int rc = ACDL_OK;
    char from[11] = "", to[11] = "";
    struct tz_date a, b;
    sqlite3_stmt *s = store_prepare(r->c, "SELECT min(day), max(day) FROM temp.agent_chg");
    if (!s) {
        return ACDL_EDB;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
        tz_date_parse((const char *)sqlite3_column_text(s, 0), &a) == ACDL_OK &&
        tz_date_parse((const char *)sqlite3_column_text(s, 1), &b) == ACDL_OK) {
        tz_date_add_days(&a, -1);
        tz_date_add_days(&b, 1);
        tz_date_format(a, from);
        tz_date_format(b, to);
    }
    store_done(s);
    if (!from[0]) {
        return ACDL_OK;
    }
    /* per agent (ascending) its external ids of this source changed, the earliest change, and
     * how many external ids it has in all */
    s = store_prepare(r->c, "SELECT i.agent_id, c.ext_agent, min(c.start), (SELECT count(*) "
                            "FROM agent_ids j WHERE j.agent_id = i.agent_id) FROM temp.agent_chg "
                            "c JOIN agent_ids i ON i.source_id = ? AND i.ext_agent = c.ext_agent "
                            "WHERE i.agent_id IS NOT NULL GROUP BY i.agent_id, c.ext_agent "
                            "ORDER BY i.agent_id");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, r->src.id);
    while (rc == ACDL_OK && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (n > 0 && ag[n - 1].agent_id == id) {
            ag[n - 1].since = AGENT_SINCE_WHOLE; /* several of its ids changed */
            continue;
        }
        if (acdl_grow((void **)&ag, &cap, n + 1, sizeof(*ag)) != ACDL_OK ||
            acdl_grow((void **)&ext, &ecap, n + 1, sizeof(*ext)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        store_column_text(s, 1, ext[n], sizeof(ext[n]));
        ag[n].agent_id = id;
        ag[n].since =
            sqlite3_column_int(s, 3) == 1 ? sqlite3_column_int64(s, 2) : AGENT_SINCE_WHOLE;
        n++;
    }
    store_done(s);
    for (size_t i = 0; i < n; i++) {
        ag[i].ext_agent = ext[i]; /* ext may have moved while it grew */
    }
    if (rc == ACDL_OK && n > 0) {
        rc = agent_results_apply_since(r->c, r->src.id, ag, (int)n, from, to, &m->st);
    }
    free(ag);
    free(ext);
    return rc;
}

/* Records a poll of an incremental source or a followed file (error NULL: it succeeded). */
static int record_poll(struct aimp *m, const char *error, int64_t now)
{
    struct rows *r = &m->r;
    if (r->follow) {
        return file_follow_record(r->c, r->src.id, r->cfg->follow.file, &m->ffr, &m->p, error, now);
    }
    return agent_follow_record(r->c, r->src.id, r->cfg, &m->p, error, now);
}

/* The end of a poll's or a reconciliation's staging transaction: the run's key index on its
 * states goes with the commit, and a failure rolls back all of it. */
static int stage_end(struct rows *r, int rc)
{
    if (rc == ACDL_OK) {
        rc = exec_bound(r, "DROP INDEX IF EXISTS temp.agent_acc_key", NULL, NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(r->c);
    } else {
        store_rollback(r->c);
    }
    return rc;
}

/* Staging of an incremental source (agent_follow.h), one transaction: the states read that
 * are new or differ from what is staged (agent and start are the key, so the overlap read
 * again changes nothing), and for a run the states of its window that the source no longer
 * returns, removed. A poll records its cursor and recomputes the agents it changed in the
 * same transaction; a run records the recomputation of the source's agents, as any run. A
 * live-status source stages as a poll (also in a run) with what it saw (live_status.h). */
static int stage_follow(struct aimp *m)
{
    struct rows *r = &m->r;
    int64_t now = plat_now();
    int pollish = m->poll || m->live;
    int rc;
    int64_t t0 = plat_monotonic_ms();
    ai_pause(m);
    if (!pollish) {
        result_days(m);
    }
    if ((rc = store_begin(r->c)) != ACDL_OK) {
        return rc;
    }
    int64_t t1 = plat_monotonic_ms();
    m->tm.parts = 1;
    m->tm.wait = t1 - t0;
    const char *window[] = {
        /* a run: gone from the window it read (-1) */
        "INSERT INTO temp.agent_chg (ext_agent, start, day, code, kind) SELECT s.ext_agent, "
        "s.start, s.day, s.code, -1 FROM agent_staged s WHERE :run > 0 AND s.source_id = "
        ":source AND s.cursor >= :since AND s.cursor < :until AND NOT EXISTS (SELECT 1 FROM "
        "temp.agent_acc a WHERE a.ext_agent = s.ext_agent AND a.start = s.start)",
        "INSERT INTO temp.agent_chg (ext_agent, start, day, code, kind) SELECT s.ext_agent, "
        "s.start, s.day, s.code, -1 FROM agent_staged_days d JOIN agent_staged s ON s.source_id "
        "= d.source_id AND s.ext_agent = d.ext_agent AND " DAYS_START_RANGE(
            "s.start", "d.day", "d.day") " AND s.day = d.day "
                                         "WHERE :run > 0 AND d.source_id = :source AND d.day >= "
                                         ":from AND d.day <= :to AND "
                                         "s.cursor IS NULL AND NOT EXISTS (SELECT 1 FROM "
                                         "temp.agent_acc a WHERE a.ext_agent = "
                                         "s.ext_agent AND a.start = s.start)",
    };
    int64_t first = 0;
    if (is_qlog(r)) { /* a poll: the states from its first new line on */
        rc = qlog_derive(m, INT64_MIN, INT64_MAX);
    }
    if (rc == ACDL_OK) {
        rc = diff_follow(m, &first);
    }
    for (size_t i = 0; rc == ACDL_OK && !pollish && i < sizeof(window) / sizeof(window[0]); i++) {
        rc = exec_bound(r, window[i], m->from, m->to);
    }
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(apply_steps) / sizeof(apply_steps[0]); i++) {
        rc = exec_bound(r, apply_steps[i], pollish ? NULL : m->from, pollish ? NULL : m->to);
    }
    if (rc == ACDL_OK && m->live) {
        rc = live_status_commit(r, now);
    }
    sqlite3_stmt *s =
        rc == ACDL_OK ? store_prepare(r->c, "SELECT count(*) FROM temp.agent_chg") : NULL;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        m->p.rows_changed = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    int64_t t2 = plat_monotonic_ms(), t3 = t2;
    if (rc == ACDL_OK && pollish) {
        snprintf(m->p.note, sizeof(m->p.note), "%s", r->poll_note);
        rc = recompute_changed(m);
        t3 = plat_monotonic_ms();
        if (rc == ACDL_OK) {
            rc = record_poll(m, NULL, now);
        }
    } else if (rc == ACDL_OK) {
        char reason[64] = "";
        snprintf(reason, sizeof(reason), "staged by run %lld", (long long)r->run->id);
        rc = store_recompute_add(r->c, "source_agents", r->run->source_id, m->from, m->to, reason,
                                 now, NULL);
    }
    int64_t t4 = plat_monotonic_ms();
    rc = stage_end(r, rc);
    int64_t t5 = plat_monotonic_ms();
    m->tm.apply = t2 - t1;
    m->tm.spans = t3 - t2;
    m->tm.record = t4 - t3;
    m->tm.commit = t5 - t4;
    m->tm.held = m->tm.held_max = t5 - t1;
    return rc;
}

/* Test builds: ACDL_TEST_FOLLOW_PART_STATES sets the states of a part (FOLLOW_PART_STATES). */
static size_t part_states(void)
{
#ifdef ACDLINK_TEST_CLOCK
    const char *v = getenv("ACDL_TEST_FOLLOW_PART_STATES");
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n >= 1) {
        return (size_t)n;
    }
#endif
    return FOLLOW_PART_STATES;
}

/* Test builds: ACDL_TEST_FOLLOW_EXIT_AFTER_PART=N ends the process at once (like kill -9: no
 * clean-up) when the N-th part of a poll committed and another one follows, so that a test
 * can check what a crash between two parts leaves. */
static void part_committed(size_t k, size_t nparts)
{
#ifdef ACDLINK_TEST_CLOCK
    const char *at = getenv("ACDL_TEST_FOLLOW_EXIT_AFTER_PART");
    if (at && k + 1 < nparts && (long)(k + 1) == strtol(at, NULL, 10)) {
        _Exit(137);
    }
#else
    (void)k;
    (void)nparts;
#endif
}

/* The changed states' cursor values cut into parts (agent_follow_parts): *ends, *nparts. */
static int cut_parts(struct aimp *m, int64_t changed, int64_t **ends, size_t *nparts)
{
    size_t n = 0;
    int64_t *cur = malloc((size_t)(changed > 0 ? changed : 1) * sizeof(*cur));
    sqlite3_stmt *s = cur ? store_prepare(m->r.c, "SELECT cursor FROM temp.agent_chg") : NULL;
    if (!s) {
        free(cur);
        return cur ? ACDL_EDB : ACDL_ENOMEM;
    }
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW && n < (size_t)changed) {
        cur[n++] = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    int rc = st == SQLITE_ROW || st == SQLITE_DONE
                 ? agent_follow_parts(cur, n, part_states(), ends, nparts)
                 : ACDL_EDB;
    free(cur);
    return rc;
}

/* A poll's part k of nparts ending at cursor end (after the part before, which ended at lo):
 * its changes into temp.agent_chg from temp.agent_chg_all (one part: they are there). */
static int part_load(struct aimp *m, size_t k, size_t nparts, int64_t lo, int64_t end)
{
    if (nparts <= 1) {
        return ACDL_OK;
    }
    int rc = exec_bound(&m->r, "DELETE FROM temp.agent_chg", NULL, NULL);
    sqlite3_stmt *s = rc == ACDL_OK ? store_prepare(m->r.c, "INSERT INTO temp.agent_chg SELECT * "
                                                            "FROM temp.agent_chg_all WHERE "
                                                            "(?1 OR cursor > ?2) AND cursor <= ?3")
                                    : NULL;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int(s, 1, k == 0);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, end);
    return store_step_done(m->r.c, s, "taking a part of a poll");
}

/* Staging of a poll of an incremental query: what changed is found before the write lock is
 * taken (from a read snapshot: only this poll stages the source while it holds the source's
 * lock, agent_follow_lock), then staged in parts of FOLLOW_PART_STATES states in cursor order,
 * each in a transaction of its own with its agents' spans, their outbox and its cursor (the
 * greatest cursor value of the part; the last part the poll's), so that the change feed and
 * the answers' records get the lock between two parts. A crash between two parts leaves the
 * cursor at the end of the part committed: the next poll reads the rest again. */
static int stage_parts(struct aimp *m)
{
    struct rows *r = &m->r;
    int64_t now = plat_now(), changed = 0, *ends = NULL, lo = 0, total = 0;
    int64_t t0 = plat_monotonic_ms();
    size_t nparts = 0;
    ai_pause(m);
    int rc = ACDL_OK;
    if (m->diffed) { /* the poll found its changes already (nothing written since) */
        changed = m->diffed - 1;
    } else {
        rc = diff_follow(m, &changed);
    }
    if (rc == ACDL_OK && changed > 0) {
        rc = cut_parts(m, changed, &ends, &nparts);
    }
    const char *keep_all[] = {
        "CREATE TEMP TABLE IF NOT EXISTS agent_chg_all AS SELECT * FROM temp.agent_chg WHERE 0",
        "DELETE FROM temp.agent_chg_all",
        "INSERT INTO temp.agent_chg_all SELECT * FROM temp.agent_chg",
        "CREATE INDEX IF NOT EXISTS temp.agent_chg_all_cursor ON agent_chg_all (cursor)",
    };
    for (size_t i = 0; rc == ACDL_OK && nparts > 1 && i < sizeof(keep_all) / sizeof(*keep_all);
         i++) {
        rc = exec_bound(r, keep_all[i], NULL, NULL);
    }
    snprintf(m->p.note, sizeof(m->p.note), "%s", r->poll_note);
    m->tm.diff = plat_monotonic_ms() - t0;
    for (size_t k = 0; rc == ACDL_OK && (k < nparts || k == 0); k++) {
        int last = k + 1 >= nparts;
        int64_t t1 = plat_monotonic_ms();
        rc = store_begin(r->c);
        int64_t t2 = plat_monotonic_ms(), t3 = t2, t4 = t2, t5 = t2;
        if (rc != ACDL_OK) {
            break;
        }
        rc = part_load(m, k, nparts, lo, nparts ? ends[k] : 0);
        for (size_t i = 0; rc == ACDL_OK && i < sizeof(apply_steps) / sizeof(apply_steps[0]); i++) {
            int64_t ts = plat_monotonic_ms();
            rc = exec_bound(r, apply_steps[i], NULL, NULL);
            m->tm.step[i] += plat_monotonic_ms() - ts;
        }
        int64_t in_part = 0;
        sqlite3_stmt *s =
            rc == ACDL_OK ? store_prepare(r->c, "SELECT count(*) FROM temp.agent_chg") : NULL;
        if (s && sqlite3_step(s) == SQLITE_ROW) {
            in_part = sqlite3_column_int64(s, 0);
        }
        store_done(s);
        t3 = plat_monotonic_ms();
        if (rc == ACDL_OK) {
            rc = recompute_changed(m);
        }
        t4 = plat_monotonic_ms();
        if (rc == ACDL_OK && last) { /* the poll, with the states of this part */
            struct agent_follow_poll p = m->p;
            p.rows_changed = in_part;
            rc = agent_follow_record(r->c, r->src.id, r->cfg, &p, NULL, now);
        } else if (rc == ACDL_OK) {
            rc = agent_follow_advance(r->c, r->src.id, r->cfg, ends[k], in_part);
        }
        t5 = plat_monotonic_ms();
        if (rc == ACDL_OK) {
            rc = store_commit(r->c);
        } else {
            store_rollback(r->c);
        }
        int64_t t6 = plat_monotonic_ms();
        m->tm.parts++;
        m->tm.wait += t2 - t1;
        m->tm.held += t6 - t2;
        if (t6 - t2 > m->tm.held_max) {
            m->tm.held_max = t6 - t2;
            m->tm.apply = t3 - t2;
            m->tm.spans = t4 - t3;
            m->tm.record = t5 - t4;
            m->tm.commit = t6 - t5;
        }
        if (rc == ACDL_OK) {
            total += in_part;
            m->p.rows_changed = total;
        }
        if (rc == ACDL_OK && !last) {
            part_committed(k, nparts);
            lo = ends[k];
            uploader_wake(r->app->uploader); /* the feed takes this part's days */
            store_yield();                   /* a write that waits goes between two parts */
        }
    }
    free(ends);
    exec_bound(r, "DROP INDEX IF EXISTS temp.agent_acc_key", NULL, NULL);
    if (rc != ACDL_OK) {
        m->p.rows_changed = 0; /* the parts committed counted theirs */
    }
    return rc;
}

/* Staging of a live-status source's reconciliation (live_status.h), one transaction: the
 * history's states replace the staged states of the window up to its newest start, the
 * changed agents' spans are recomputed into the delivery, and what it corrected is recorded. */
static int stage_history(struct aimp *m)
{
    struct rows *r = &m->r;
    int64_t now = plat_now(), first = 0;
    int rc;
    ai_pause(m);
    result_days(m);
    if ((rc = store_begin(r->c)) != ACDL_OK) {
        return rc;
    }
    rc = live_status_history_trim(r, m->wlo, m->whi, &m->rec);
    if (rc == ACDL_OK) {
        rc = diff_follow(m, &first);
    }
    if (rc == ACDL_OK) {
        rc = live_status_history_window(r, m->wlo, m->whi, &m->rec);
    }
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(apply_steps) / sizeof(apply_steps[0]); i++) {
        rc = exec_bound(r, apply_steps[i], NULL, NULL);
    }
    if (rc == ACDL_OK) {
        rc = recompute_changed(m);
    }
    if (rc == ACDL_OK) {
        rc = live_status_reconcile_record(r->c, r->src.id, &m->rec, now);
    }
    return stage_end(r, rc);
}

static void fmt_local(struct rows *r, int64_t t, char out[24])
{
    struct tz_date d;
    int minute = 0, second = 0;
    char ds[11];
    tz_utc_to_local(r->tz, t, &d, &minute, &second, NULL);
    tz_date_format(d, ds);
    snprintf(out, 24, "%s %02d:%02d:%02d", ds, minute / 60, minute % 60, second);
}

/* A state still running at the start of a later one of the same agent (report_overlaps). */
struct open_state {
    int64_t start, end, line;
    int this_run;
    char *code, *file; /* owned */
};

static void open_state_free(struct open_state *o)
{
    free(o->code);
    free(o->file);
}

static char *column_dup(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    size_t n = t ? strlen(t) : 0;
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, t ? t : "", n);
        c[n] = '\0';
    }
    return c;
}

/* Every pair of an agent's states of the run's days where the later one starts before the
 * earlier one ends, with at least one of them staged by this run: the first REPORT_MAX pairs
 * named with file and line of both, all counted. One pass in start order per agent keeps the
 * states still running (an overlapping pair is found once, from its later state). */
static void report_overlaps(struct rows *r, int64_t lo, int64_t hi)
{
    struct open_state *act = NULL;
    size_t na = 0, cap = 0;
    int64_t pairs = 0;
    char agent[129] = "", a[24], b[24];
    sqlite3_stmt *s = store_prepare(
        r->c,
        "SELECT ext_agent, start, end, code, file, line, run_id = ?4 FROM agent_staged "
        "WHERE source_id = ?1 AND ext_agent IN (SELECT ext_agent FROM temp.agent_run_ids) AND "
        "start >= ?2 AND start < ?3 ORDER BY ext_agent, start");
    if (!s) {
        return;
    }
    sqlite3_bind_int64(s, 1, r->run->source_id);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    sqlite3_bind_int64(s, 4, r->run->id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *ag = (const char *)sqlite3_column_text(s, 0);
        int64_t start = sqlite3_column_int64(s, 1);
        int this_run = sqlite3_column_int(s, 6);
        size_t w = 0;
        if (strcmp(agent, ag ? ag : "") != 0) {
            snprintf(agent, sizeof(agent), "%s", ag ? ag : "");
            for (size_t k = 0; k < na; k++) {
                open_state_free(&act[k]);
            }
            na = 0;
        }
        for (size_t k = 0; k < na; k++) { /* drop the states that ended by now */
            if (act[k].end > start) {
                act[w++] = act[k];
            } else {
                open_state_free(&act[k]);
            }
        }
        na = w;
        for (size_t k = 0; k < na; k++) {
            if (!this_run && !act[k].this_run) {
                continue;
            }
            if (pairs++ < REPORT_MAX) {
                fmt_local(r, start, a);
                fmt_local(r, act[k].end, b);
                const char *file = (const char *)sqlite3_column_text(s, 4);
                const char *code = (const char *)sqlite3_column_text(s, 3);
                long long line = (long long)sqlite3_column_int64(s, 5);
                rows_note(r, "warn", "run.overlap",
                          json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "file",
                                    file ? file : "", "line", (json_int_t)line, "agent", agent,
                                    "state", code ? code : "", "start", a, "other", act[k].code,
                                    "other_file", act[k].file, "other_line",
                                    (json_int_t)act[k].line, "until", b),
                          "%s:%lld: agent %s: state %s from %s begins while state %s of "
                          "%s:%lld lasts until %s; both are kept, and while both run the one "
                          "that began later counts",
                          file, line, agent, code, a, act[k].code, act[k].file,
                          (long long)act[k].line, b);
            }
        }
        if (sqlite3_column_type(s, 2) == SQLITE_NULL) {
            continue; /* still going: nothing after it is reported against it */
        }
        if (na == cap) {
            size_t nc = cap ? 2 * cap : 16;
            struct open_state *g = realloc(act, nc * sizeof(*act));
            if (!g) {
                break;
            }
            act = g;
            cap = nc;
        }
        struct open_state *o = &act[na];
        o->start = start;
        o->end = sqlite3_column_int64(s, 2);
        o->line = sqlite3_column_int64(s, 5);
        o->this_run = this_run;
        o->code = column_dup(s, 3);
        o->file = column_dup(s, 4);
        if (!o->code || !o->file) {
            open_state_free(o);
            break;
        }
        na++;
    }
    store_done(s);
    for (size_t k = 0; k < na; k++) {
        open_state_free(&act[k]);
    }
    free(act);
    if (pairs > 0) {
        rows_note(r, "warn", pairs > REPORT_MAX ? "run.overlap_pairs_named" : "run.overlap_pairs",
                  json_pack("{s:I, s:i}", "n", (json_int_t)pairs, "max", REPORT_MAX),
                  "%lld overlapping pairs of states%s", (long long)pairs,
                  pairs > REPORT_MAX ? " (the first 200 are named)" : "");
    }
}

static void note_repeated(struct rows *r, int64_t n, const char *agent, int64_t start,
                          const char *file, int64_t line, const char *first, int64_t first_line)
{
    char a[24];
    if (n >= REPORT_MAX) {
        return;
    }
    fmt_local(r, start, a);
    rows_note(r, "warn", "run.start_repeated_line",
              json_pack("{s:s, s:I, s:s, s:s, s:s, s:I}", "file", file ? file : "", "line",
                        (json_int_t)line, "agent", agent ? agent : "", "start", a, "first_file",
                        first ? first : "", "first_line", (json_int_t)first_line),
              "%s:%lld: agent %s has a second state starting %s (first at %s:%lld); the "
              "later row was kept",
              file, (long long)line, agent, a, first, (long long)first_line);
}

/* Two rows of one agent with the same start (the later row was kept), and states that begin
 * before another state of the agent ended: reported with file and line of both. */
static void report_conflicts(struct aimp *m, int64_t lo, int64_t hi)
{
    struct rows *r = &m->r;
    int64_t n = 0;
    if (m->acc) { /* found while staging them in key order (stage_memory) */
        size_t al, fl, pl;
        for (int64_t i = 0; i < m->nrepeated && i < REPORT_MAX; i++) {
            const struct repeated_row *e = &m->repeated[i];
            const char *ag = agent_acc_str(m->acc, 0, e->agent, &al);
            const char *file = agent_acc_str(m->acc, 3, e->file, &fl);
            const char *first = agent_acc_str(m->acc, 3, e->first_file, &pl);
            note_repeated(r, i, ag, e->start, file, e->line, first, e->first_line);
        }
        n = m->nrepeated;
    } else {
        /* rows are collected in arrival order (appending is what keeps a large import fast);
         * repeated starts are looked for only when fewer states were staged than rows
         * collected */
        sqlite3_stmt *s = store_prepare(
            r->c, "SELECT (SELECT count(*) FROM temp.agent_acc) > (SELECT count(*) FROM "
                  "agent_staged WHERE source_id = ? AND run_id = ?)");
        int repeated = 0;
        if (s) {
            sqlite3_bind_int64(s, 1, r->run->source_id);
            sqlite3_bind_int64(s, 2, r->run->id);
            repeated = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
            store_done(s);
        }
        s = repeated
                ? store_prepare(r->c, "SELECT ext_agent, start, file, line, pf, pl FROM (SELECT "
                                      "ext_agent, start, file, line, lag(file) OVER w AS pf, "
                                      "lag(line) OVER w AS pl FROM temp.agent_acc WINDOW w AS "
                                      "(PARTITION BY ext_agent, start ORDER BY rowid)) WHERE pf IS "
                                      "NOT NULL ORDER BY ext_agent, start")
                : NULL;
        while (s && sqlite3_step(s) == SQLITE_ROW) {
            note_repeated(r, n++, (const char *)sqlite3_column_text(s, 0),
                          sqlite3_column_int64(s, 1), (const char *)sqlite3_column_text(s, 2),
                          sqlite3_column_int64(s, 3), (const char *)sqlite3_column_text(s, 4),
                          sqlite3_column_int64(s, 5));
        }
        store_done(s);
        /* the agents of the run (an incremental source's staging does not note them) */
        exec_bound(r,
                   "INSERT OR IGNORE INTO temp.agent_run_ids SELECT DISTINCT ext_agent FROM "
                   "temp.agent_acc",
                   NULL, NULL);
    }
    if (r->cfg->states.span != SPAN_START_ONLY) {
        /* start-only: each state ends where the next begins, they cannot overlap */
        report_overlaps(r, lo, hi);
    }
    if (n > 0) {
        rows_note(r, "warn", "run.agent_start_repeated", json_pack("{s:I}", "n", (json_int_t)n),
                  "%lld rows repeated an agent's start time", (long long)n);
    }
}

static int prepare_temp(struct aimp *m)
{
    const char *sql =
        "DROP TABLE IF EXISTS temp.agent_acc;"
        "CREATE TEMP TABLE agent_acc (ext_agent TEXT NOT NULL, start INTEGER NOT NULL, end "
        "INTEGER, day TEXT NOT NULL, code TEXT NOT NULL, name TEXT, file TEXT NOT NULL, line "
        "INTEGER NOT NULL, cursor INTEGER);"
        "CREATE TEMP TABLE IF NOT EXISTS agent_run_ids (ext_agent TEXT PRIMARY KEY) WITHOUT "
        "ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS agent_run_codes (code TEXT PRIMARY KEY, name TEXT) "
        "WITHOUT ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS agent_counts (code TEXT PRIMARY KEY, n INTEGER);"
        "CREATE TEMP TABLE IF NOT EXISTS agent_run_added (ext_agent TEXT PRIMARY KEY, n INTEGER "
        "NOT NULL) WITHOUT ROWID;"
        "DELETE FROM temp.agent_acc; DELETE FROM temp.agent_counts; DELETE FROM "
        "temp.agent_run_ids; DELETE FROM temp.agent_run_codes; DELETE FROM "
        "temp.agent_run_added;";
    if (sqlite3_exec(store_db(m->r.c), sql, NULL, NULL, NULL) != SQLITE_OK) {
        return ACDL_EDB;
    }
    return is_qlog(&m->r) ? queue_log_prepare(m->r.c) : ACDL_OK;
}

int agent_import_is_states(struct app *app, int64_t source_id)
{
    struct store_source s;
    struct store_conn *c = store_acquire(app->store);
    int yes = 0;
    if (store_source_get(c, source_id, &s) == ACDL_OK) {
        yes = !strcmp(s.product, "agent_states");
        store_source_clear(&s);
    }
    store_release(app->store, c);
    return yes;
}

/* The days to recompute: the run's period and the days its rows held, one more each side
 * (a state crossing midnight, a start-only state closed by the next day's first). */
static void result_days(struct aimp *m)
{
    struct rows *r = &m->r;
    struct tz_date a = r->from, b = r->to;
    if (m->any_day && tz_date_cmp(m->dmin, a) < 0) {
        a = m->dmin;
    }
    if (m->any_day && tz_date_cmp(m->dmax, b) > 0) {
        b = m->dmax;
    }
    tz_date_add_days(&a, -1);
    tz_date_add_days(&b, 1);
    tz_date_format(a, m->from);
    tz_date_format(b, m->to);
    tz_day_bounds(r->tz, a, &m->lo, NULL);
    tz_day_bounds(r->tz, b, NULL, &m->hi);
}

static int64_t count_unknown(struct rows *r)
{
    sqlite3_stmt *s = store_prepare(
        r->c, "SELECT count(*) FROM agent_ids WHERE source_id = ? AND agent_id IS NULL AND "
              "count > 0");
    int64_t n = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, r->run->source_id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            n = sqlite3_column_int64(s, 0);
        }
        store_done(s);
    }
    return n;
}

int agent_import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel)
{
    struct aimp *m = calloc(1, sizeof(*m));
    char err[600] = "";
    int rc;
    if (!m) {
        return ACDL_ENOMEM;
    }
    struct rows *r = &m->r;
    const struct rows_sink sink = {
        .columns = ai_columns, .row = ai_row, .pause = ai_pause, .ctx = m};
    rc = rows_open(r, app, run, cancel, 0, err, sizeof(err));
    if (rc != ACDL_OK) {
        goto out;
    }
    r->k.days_total = tz_date_diff(r->to, r->from) + 1;
    store_run_progress(r->c, run->id, &r->k);
    if ((rc = prepare_temp(m)) != ACDL_OK) {
        rows_set_error(err, sizeof(err), "run.error_staging_area", NULL,
                       "cannot prepare the staging area");
        goto out;
    }
    rows_note(r, "info", "run.agent_import_start",
              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "source", r->src.name, "kind",
                        r->src.kind, "span", source_span_name(r->cfg->states.span), "zone",
                        r->src.time_zone, "from", run->period_from, "to", run->period_to),
              "import of agent states from %s (%s, span %s, %s) for %s .. %s", r->src.name,
              r->src.kind, source_span_name(r->cfg->states.span), r->src.time_zone,
              run->period_from, run->period_to);
    m->live = r->cfg->live_status.enabled;
    if (m->live && (r->cfg->live_status.history_sql[0] || r->cfg->live_status.history_preset[0])) {
        /* a reconciliation: the history query of the run's days, read the normal way */
        struct tz_date after = r->to;
        m->live = 0;
        m->history = r->history = 1;
        r->cfg->states.span = r->cfg->live_status.history_span;
        tz_date_add_days(&after, 1);
        r->since = datetime_days_from_civil(r->from.y, r->from.m, r->from.d) * 86400;
        r->until = datetime_days_from_civil(after.y, after.m, after.d) * 86400;
        tz_day_bounds(r->tz, r->from, &m->wlo, NULL);
        tz_day_bounds(r->tz, r->to, NULL, &m->whi);
    }
    int follow = r->cfg->incremental.enabled || m->live || m->history;
    /* the states of a run in memory, up to agent_states_in_memory (a 5,000-seat day is 2M
     * states, about 80 MB); a run that reads more goes on in a temporary table on disk, as
     * does an incremental source (its staging compares in SQL) */
    if (!follow && !is_qlog(r) &&
        !(m->acc = agent_acc_create((size_t)app->cfg->agent_states_in_memory))) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    if (m->history) { /* no poll stages the source meanwhile */
        agent_follow_lock(run->source_id);
    } else if (m->live) { /* a run reads the table as a poll does */
        agent_follow_lock(run->source_id);
        rc = live_status_prepare(r);
        if (rc != ACDL_OK) {
            rows_set_error(err, sizeof(err), "run.error_staging_area", NULL,
                           "cannot prepare the staging area");
            agent_follow_unlock(run->source_id);
            goto out;
        }
    } else if (follow) { /* no poll of the source reads or stages meanwhile */
        agent_follow_lock(run->source_id);
        rc = agent_follow_window(r->c, run->source_id, r->cfg, r->tz, run->period_from,
                                 run->period_to, plat_now(), r->cfg->incremental.overlap_s,
                                 &r->since, &r->until, &m->have_stored, &m->stored);
        if (rc != ACDL_OK) {
            rows_set_error(err, sizeof(err), "run.error_staging_area", NULL,
                           "cannot read the source's cursor");
            agent_follow_unlock(run->source_id);
            goto out;
        }
    }
    rc = rows_read(r, &sink);
    if (rc == ACDL_OK) { /* the rows read, all of them, shown while the run stages them */
        rows_progress(r, 1);
    }
    int64_t live_changes = 0;
    if (rc == ACDL_OK && m->live) {
        ai_pause(m);
        rc = live_status_changes(r, plat_now(), &live_changes);
    }
    if (rc == ACDL_OK) {
        rc = stage(m);
        if (rc != ACDL_OK) {
            rows_set_error(err, sizeof(err), "run.error_staging",
                           why_attach(json_object(), "reason", acdl_strerror(rc)),
                           "staging failed: %s", acdl_strerror(rc));
        }
    }
    if (follow) {
        agent_follow_unlock(run->source_id);
    }
    if (rc == ACDL_OK && m->history) {
        char newest[32] = "";
        if (m->rec.have_newest) {
            fmt_local(r, m->rec.newest, newest);
        }
        rows_note(r, "info", "run.live_reconciled",
                  json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "rows", (json_int_t)m->rec.rows,
                            "added", (json_int_t)m->rec.added, "changed",
                            (json_int_t)m->rec.changed, "removed", (json_int_t)m->rec.removed,
                            "kept", (json_int_t)m->rec.kept, "newest", newest),
                  "reconciled from the history query: %lld rows read, %lld states added, %lld "
                  "changed, %lld removed; %lld states after its newest row (%s) kept from the "
                  "live table",
                  (long long)m->rec.rows, (long long)m->rec.added, (long long)m->rec.changed,
                  (long long)m->rec.removed, (long long)m->rec.kept, newest);
    } else if (rc == ACDL_OK && m->live) {
        rows_note(r, "info", "run.live_status",
                  json_pack("{s:I}", "changed", (json_int_t)live_changes),
                  "%lld agents' rows changed, appeared or left the live-status table",
                  (long long)live_changes);
    } else if (rc == ACDL_OK && follow) {
        rows_note(r, "info", "run.follow_window",
                  json_pack("{s:I, s:I}", "changed", (json_int_t)m->p.rows_changed, "nulls",
                            (json_int_t)m->p.cursor_nulls),
                  "%lld states new, changed or gone from the window re-read; %lld rows without "
                  "a cursor value",
                  (long long)m->p.rows_changed, (long long)m->p.cursor_nulls);
    }
    if (rc == ACDL_OK) {
        struct recompute_stats st;
        char aerr[300] = "";
        memset(&st, 0, sizeof(st));
        rows_files_after(r);
        r->k.days_done = r->k.days_total;
        {
            /* the reports write run-log lines between the steps of their statements: outside
             * a transaction such a write fails (SQLITE_BUSY_SNAPSHOT) when another connection
             * committed after the statement began reading, and the line would be lost */
            int own = sqlite3_get_autocommit(store_db(r->c)) && store_begin(r->c) == ACDL_OK;
            report_conflicts(m, m->lo, m->hi);
            if (own && store_commit(r->c) != ACDL_OK) {
                log_warn("agents", "run %lld: the conflict report's run-log lines were not kept",
                         (long long)r->run->id);
            }
        }
        int64_t unknown = count_unknown(r);
        if (unknown > 0) {
            rows_note(r, "warn", "run.agents_unmapped",
                      json_pack("{s:I}", "n", (json_int_t)unknown),
                      "%lld agents are not mapped to a WFM agent: their states are "
                      "staged and count once they are mapped (see unknown agents)",
                      (long long)unknown);
        }
        int arc = recompute_ref(r->c, "source_agents", run->source_id, &st, aerr, sizeof(aerr));
        st.agents.agents += m->run_st.agents;
        st.agents.days_changed += m->run_st.days_changed;
        st.agents.spans += m->run_st.spans;
        rows_note(r, arc == ACDL_OK ? "info" : "error",
                  arc == ACDL_OK ? "run.agent_spans" : "run.agent_spans_failed",
                  json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "from", m->from, "to", m->to,
                            "agents", (json_int_t)st.agents.agents, "days",
                            (json_int_t)st.agents.days_changed, "spans",
                            (json_int_t)st.agents.spans, "detail", arc == ACDL_OK ? "" : aerr),
                  "agent spans for %s .. %s: %lld agents, %lld agent days changed, %lld spans%s%s",
                  m->from, m->to, (long long)st.agents.agents, (long long)st.agents.days_changed,
                  (long long)st.agents.spans,
                  arc == ACDL_OK ? "" : "; computing failed, it stays pending and is retried: ",
                  arc == ACDL_OK ? "" : aerr);
        if (arc != ACDL_OK) {
            r->k.failed_mappings = 1;
            rows_set_error(err, sizeof(err), "run.error_agent_spans",
                           json_pack("{s:s}", "detail", aerr),
                           "the agent spans could not be computed; they stay pending and are "
                           "retried: %s",
                           aerr);
        }
    }
    if (rc != ACDL_OK) {
        r->k.rows_staged = 0;
    }
out:
    if (m->in_batch) {
        sqlite3_exec(store_db(r->c), "ROLLBACK", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    rows_finish(r, rc, "agents", err, sizeof(err));
    agent_acc_destroy(m->acc);
    free(m);
    return rc;
}

int agent_import_preview(struct app *app, int64_t source_id, const char *day, int max_rows,
                         json_t **out, char *err, size_t errsz)
{
    struct aimp *m = calloc(1, sizeof(*m));
    if (!m) {
        return ACDL_ENOMEM;
    }
    const struct rows_sink sink = {
        .columns = ai_columns, .row = ai_row, .pause = ai_pause, .ctx = m};
    int rc = rows_preview(&m->r, app, source_id, day, max_rows, &sink, out, err, errsz);
    free(m);
    return rc;
}

int agent_import_poll(struct app *app, int64_t source_id, struct import_cancel *cancel,
                      struct agent_follow_keep *keep, struct agent_follow_poll *out, char *err,
                      size_t errsz)
{
    struct aimp *m = calloc(1, sizeof(*m));
    struct store_run run;
    int rc, deep = 1;
    int64_t started_ms = plat_monotonic_ms();
    memset(out, 0, sizeof(*out));
    if (!m) {
        snprintf(err, errsz, "out of memory");
        return ACDL_ENOMEM;
    }
    struct rows *r = &m->r;
    const struct rows_sink sink = {
        .columns = ai_columns, .row = ai_row, .pause = ai_pause, .ctx = m};
    memset(&run, 0, sizeof(run));
    run.source_id = source_id;
    plat_time_iso(plat_now(), run.period_from, sizeof(run.period_from)); /* the date only */
    memcpy(run.period_to, run.period_from, sizeof(run.period_to));
    m->poll = 1;
    rc = rows_open(r, app, &run, cancel, 0, err, errsz);
    r->poll = 1;
    int file = rc == ACDL_OK && r->cfg->follow.enabled;
    m->live = rc == ACDL_OK && r->cfg->live_status.enabled;
    if (keep && !file) { /* a query's poll */
        unsigned gen = agent_follow_generation(source_id);
        if (gen != keep->gen) { /* a run staged the source: what was read may be outdated */
            keep->have_seen = 0;
            keep->gen = gen;
        }
        agent_follow_seen_clear(&keep->next);
        keep->rows_skipped = 0;
        r->keep = &keep->conn;
        m->keep = keep;
    }
    if (rc == ACDL_OK && !r->cfg->incremental.enabled && !file && !m->live) {
        snprintf(err, errsz, "the source is not followed (incremental, follow or live_status)");
        rc = ACDL_EINVAL;
    }
    if (file) { /* where the last poll stopped in the file */
        rc = file_follow_get(r->c, source_id, r->cfg->follow.file, &m->ffr);
        r->follow = &m->ffr;
    } else if (rc == ACDL_OK && m->live) {
        rc = live_status_prepare(r);
    } else if (rc == ACDL_OK) {
        int ov = agent_follow_overlap(r->cfg, m->keep, started_ms, &deep);
        rc = agent_follow_window(r->c, source_id, r->cfg, r->tz, NULL, NULL, plat_now(), ov,
                                 &r->since, &r->until, &m->have_stored, &m->stored);
    }
    if (rc == ACDL_OK) {
        rc = prepare_temp(m);
    }
    int64_t read_ms = plat_monotonic_ms();
    if (rc == ACDL_OK) {
        rc = rows_read(r, &sink);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "%s", r->poll_note[0] ? r->poll_note : acdl_strerror(rc));
        }
    }
    m->p.rows_read = r->k.rows_read;
    m->p.rows_rejected = r->k.rows_rejected;
    if (rc == ACDL_OK && m->in_batch) {
        ai_pause(m);
    }
    if (rc == ACDL_OK && !file && !m->live && m->p.have_cursor) {
        rc = bound_poll(m);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "bounding the poll failed: %s", acdl_strerror(rc));
        }
    }
    /* a write only when something changed or the cursor moved: an idle poll writes nothing
     * (the poller records it now and then) */
    int64_t diff = 0, t_staged = 0;
    int staged = 0;
    int moved = r->follow ? rc == ACDL_OK && m->ffr.moved
                          : m->p.have_cursor && (!m->have_stored || m->p.max_cursor > m->stored);
    if (rc == ACDL_OK && m->live) {
        rc = live_status_changes(r, plat_now(), &diff); /* nothing changed: nothing written */
        moved = diff > 0;
    } else if (rc == ACDL_OK && !moved && r->k.rows_staged > 0) {
        rc = diff_follow(m, &diff); /* a read: most polls only read the overlap again */
        m->diffed = rc == ACDL_OK ? diff + 1 : 0;
    }
    if (rc == ACDL_OK && (moved || diff > 0)) {
        staged = 1;
        t_staged = plat_monotonic_ms();
        store_cache_wide(r->c, 1);
        rc = m->i_cursor >= 0 && !m->live && !r->follow ? stage_parts(m) : stage_follow(m);
        store_cache_wide(r->c, 0);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "staging failed: %s", acdl_strerror(rc));
        }
    } else if (rc == ACDL_OK) {
        snprintf(m->p.note, sizeof(m->p.note), "%s", r->poll_note);
    }
    if (staged) {
        log_debug("follow",
                  "source %lld: %lld rows read in %lld ms, %lld states staged: changes found in "
                  "%lld ms, %zu parts, the write lock waited for %lld ms and held %lld ms (the "
                  "longest part %lld ms: staging %lld, spans %lld, cursor %lld, commit %lld; "
                  "the staging's steps in all parts: %lld %lld %lld %lld %lld %lld %lld ms)",
                  (long long)source_id, (long long)m->p.rows_read, (long long)(t_staged - read_ms),
                  (long long)m->p.rows_changed, (long long)m->tm.diff, m->tm.parts,
                  (long long)m->tm.wait, (long long)m->tm.held, (long long)m->tm.held_max,
                  (long long)m->tm.apply, (long long)m->tm.spans, (long long)m->tm.record,
                  (long long)m->tm.commit, (long long)m->tm.step[0], (long long)m->tm.step[1],
                  (long long)m->tm.step[2], (long long)m->tm.step[3], (long long)m->tm.step[4],
                  (long long)m->tm.step[5], (long long)m->tm.step[6]);
    }
    if (m->in_batch) {
        sqlite3_exec(store_db(r->c), "ROLLBACK", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if (rc != ACDL_OK) {
        m->p.have_cursor = 0; /* the cursor moves only with what it staged */
    }
    /* what the admin sees: every poll, staged or not, failed or not (a small write) */
    if (r->have_src && r->cfg && (r->cfg->incremental.enabled || r->follow || m->live) &&
        (rc != ACDL_OK || !staged)) {
        if (store_begin(r->c) == ACDL_OK) {
            if (record_poll(m, rc == ACDL_OK ? NULL : err, plat_now()) == ACDL_OK) {
                store_commit(r->c);
            } else {
                store_rollback(r->c);
            }
        }
    }
    if (m->in_batch) {
        sqlite3_exec(store_db(r->c), "ROLLBACK", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if (keep && !file) { /* committed: what this poll read is what is staged for those keys */
        int ok = rc == ACDL_OK && !m->no_skip;
        if (ok && !deep && keep->have_seen) {
            /* a near read: what the last deep read saw of the rest of the overlap holds too */
            ok = agent_follow_seen_merge(&keep->seen, &keep->next) == ACDL_OK;
        } else {
            struct follow_seen t = keep->seen;
            keep->seen = keep->next;
            keep->next = t;
        }
        keep->have_seen = ok;
        if (!ok) { /* nothing in them can be used: their memory goes back at once */
            agent_follow_seen_free(&keep->seen);
            agent_follow_seen_free(&keep->next);
        }
        if (rc == ACDL_OK && deep) {
            keep->deep_ms = started_ms;
        }
    }
    *out = m->p;
    out->have_cursor = out->have_cursor && rc == ACDL_OK;
    out->again = rc == ACDL_OK && ((r->follow && m->ffr.more) || m->p.rows_left > 0);
    rows_close(r);
    free(m);
    return rc;
}
