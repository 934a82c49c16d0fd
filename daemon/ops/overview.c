/* overview.c: the appliance at a glance: sources, targets and today's volumes, each part from
 * one query (plus the schedules and the queue catalogue), so the cost does not grow with a
 * round trip per source, target or queue.
 *
 * A source is healthy unless its last finished run failed, ended partly (mappings left
 * uncomputed) or rejected rows, results of its data wait for a recomputation, or a schedule
 * that has fired expects a later day than the latest day staged ("no data"): an intraday
 * schedule expects today once the first interval, its offset, one period and 30 minutes of
 * grace have passed; a daily schedule expects yesterday from one hour after its time on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/err.h"
#include "core/tz.h"
#include "http/http.h"
#include "ops/health.h"
#include "ops/overview.h"
#include "platform/platform.h"
#include "store/store.h"

#define GRACE_EVERY_MIN 30 /* an intraday schedule's data may be this late */
#define GRACE_DAILY_MIN 60 /* a daily schedule's run may take this long */
#define MINUTES_PER_DAY 1440

struct sched_row {
    int64_t source_id;
    int every;       /* minutes; 0 for a daily schedule */
    int offset;      /* minutes after the interval's end */
    int daily_at;    /* minute of day; -1 for an intraday schedule */
    int fired;       /* it has started a run */
    int64_t next_at; /* UTC seconds; 0 unknown */
};

static json_t *text_or_null(sqlite3_stmt *s, int col)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    return v ? json_string((const char *)v) : json_null();
}

/* "YYYY-MM-DD HH:MM" of utc in tz into out; "" when it cannot be converted. */
static void local_stamp(struct tz *tz, int64_t utc, char *out, size_t outsz)
{
    struct tz_date day;
    int mod = 0;
    char d[11];
    out[0] = '\0';
    if (tz && tz_utc_to_local(tz, utc, &day, &mod, NULL, NULL) == ACDL_OK) {
        tz_date_format(day, d);
        snprintf(out, outsz, "%s %02d:%02d", d, mod / 60, mod % 60);
    }
}

static int schedules_load(struct store_conn *c, struct sched_row **out, int *n)
{
    int rc = ACDL_OK, cap = 0, r;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s =
        store_prepare(c, "SELECT source_id, coalesce(every_minutes, 0), offset_minutes, "
                         "coalesce(daily_at, ''), last_run_id IS NOT NULL, "
                         "coalesce(next_run_at, 0) FROM schedules WHERE enabled = 1 "
                         "ORDER BY source_id");
    if (!s) {
        return ACDL_EDB;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 16;
            struct sched_row *g = realloc(*out, (size_t)ncap * sizeof(*g));
            if (!g) {
                rc = ACDL_ENOMEM;
                goto out;
            }
            *out = g;
            cap = ncap;
        }
        struct sched_row *x = &(*out)[(*n)++];
        char at[16] = "";
        int hh = 0, mm = 0;
        x->source_id = sqlite3_column_int64(s, 0);
        x->every = sqlite3_column_int(s, 1);
        x->offset = sqlite3_column_int(s, 2);
        store_column_text(s, 3, at, sizeof(at));
        x->daily_at = sscanf(at, "%d:%d", &hh, &mm) == 2 ? hh * 60 + mm : -1;
        x->fired = sqlite3_column_int(s, 4);
        x->next_at = sqlite3_column_int64(s, 5);
    }
    if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
out:
    store_done(s);
    return rc;
}

/* Adds the message code in column col of s and its parameters (JSON text in col + 1) to o as
 * code_key and params_key, when there is a code. */
static void error_code_add(json_t *o, const char *code_key, const char *params_key, sqlite3_stmt *s,
                           int col)
{
    const char *code = (const char *)sqlite3_column_text(s, col);
    json_t *params =
        code ? json_loads((const char *)sqlite3_column_text(s, col + 1), 0, NULL) : NULL;
    if (o && code && json_is_object(params)) {
        json_object_set_new(o, code_key, json_string(code));
        json_object_set_new(o, params_key, params);
    } else {
        json_decref(params);
    }
}

static void reason_add(json_t *reasons, const char *code, json_t *detail, int64_t run_id)
{
    json_array_append_new(reasons,
                          json_pack("{s:s, s:o, s:o}", "code", code, "detail", detail, "run_id",
                                    run_id ? json_integer(run_id) : json_null()));
}

/* The latest local day the source's fired schedules expect data for ("" when none), at now. */
static void expected_day(const struct sched_row *sch, int nsch, int64_t source_id, int interval_min,
                         struct tz *tz, int64_t now, char out[11])
{
    struct tz_date today;
    int mod = 0;
    out[0] = '\0';
    if (!tz || tz_utc_to_local(tz, now, &today, &mod, NULL, NULL) != ACDL_OK) {
        return;
    }
    int back = 99; /* days before today; the smallest wins */
    for (int i = 0; i < nsch; i++) {
        const struct sched_row *x = &sch[i];
        if (x->source_id != source_id || !x->fired) {
            continue;
        }
        int b;
        if (x->every > 0) {
            b = mod >= interval_min + x->offset + x->every + GRACE_EVERY_MIN ? 0 : 1;
        } else if (x->daily_at >= 0) {
            b = mod >= x->daily_at + GRACE_DAILY_MIN ? 1 : 2;
        } else {
            continue;
        }
        if (b < back) {
            back = b;
        }
    }
    if (back < 99) {
        tz_date_add_days(&today, -back);
        tz_date_format(today, out);
    }
}

static int sources_add(struct store_conn *c, json_t *list, int64_t now)
{
    struct sched_row *sch = NULL;
    int nsch = 0, r;
    int rc = schedules_load(c, &sch, &nsch);
    if (rc != ACDL_OK) {
        return rc;
    }
    /* recomputes: a mapping's belong to the sources of its inputs, an agent-state one to the
     * agent-state sources it names (source 0 and a single agent: every such source) */
    sqlite3_stmt *s = store_prepare(
        c, "WITH pend(sid, id, err) AS (SELECT DISTINCT mi.source_id, p.id, p.last_error FROM "
           "recomputes p JOIN mapping_inputs mi ON p.kind = 'mapping' AND mi.mapping_id = p.ref_id "
           "UNION SELECT s.id, p.id, p.last_error FROM recomputes p JOIN sources s ON s.product = "
           "'agent_states' AND (p.kind = 'agent' OR (p.kind = 'source_agents' AND p.ref_id IN (0, "
           "s.id)))), pc AS (SELECT sid, count(*) AS n, max(err) AS err FROM pend GROUP BY sid) "
           "SELECT s.id, s.name, s.kind, s.product, s.time_zone, s.interval_minutes, s.enabled, "
           "r.id, r.state, r.trigger, r.period_from, r.period_to, r.rows_read, r.rows_staged, "
           "r.rows_rejected, r.failed_mappings, r.error, r.created_at, coalesce(r.finished_at, 0), "
           "f.id, f.state, f.rows_rejected, f.failed_mappings, f.error, "
           "max(coalesce((SELECT max(day) FROM staged_days WHERE source_id = s.id), ''), "
           "coalesce((SELECT d.day FROM agent_staged_days d WHERE d.source_id = s.id AND EXISTS "
           "(SELECT 1 FROM agent_staged g WHERE g.source_id = d.source_id AND g.ext_agent = "
           "d.ext_agent AND g.start >= CAST(strftime('%s', d.day) AS INTEGER) - 172800 AND "
           "g.start < CAST(strftime('%s', d.day) AS INTEGER) + 259200 AND g.day = d.day) ORDER "
           "BY d.day DESC LIMIT 1), '')), "
           "coalesce(pc.n, 0), pc.err, r.error_code, r.error_params, f.error_code, f.error_params "
           "FROM sources s "
           "LEFT JOIN runs r ON r.id = (SELECT max(id) FROM runs WHERE source_id = s.id) "
           "LEFT JOIN runs f ON f.id = (SELECT max(id) FROM runs WHERE source_id = s.id AND state "
           "IN ('done', 'failed')) LEFT JOIN pc ON pc.sid = s.id ORDER BY s.name COLLATE NOCASE");
    if (!s) {
        free(sch);
        return ACDL_EDB;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        char zone[64] = "", last_day[16] = "", expect[11] = "", local[32] = "";
        store_column_text(s, 4, zone, sizeof(zone));
        int interval = sqlite3_column_int(s, 5);
        int enabled = sqlite3_column_int(s, 6);
        struct tz *tz = NULL;
        if (tz_open(zone, &tz) != ACDL_OK) {
            tz = NULL;
        }
        json_t *src = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:b}", "id", (json_int_t)id, "name",
                                (const char *)sqlite3_column_text(s, 1), "kind",
                                (const char *)sqlite3_column_text(s, 2), "product",
                                (const char *)sqlite3_column_text(s, 3), "time_zone", zone,
                                "interval_minutes", interval, "enabled", enabled);
        /* the latest run, whatever its state */
        json_t *last = json_null();
        if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
            const char *state = (const char *)sqlite3_column_text(s, 8);
            int partial = !strcmp(state, "done") && sqlite3_column_int(s, 15) > 0;
            last = json_pack("{s:I, s:s, s:b, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "id",
                             (json_int_t)sqlite3_column_int64(s, 7), "state", state, "partial",
                             partial, "trigger", (const char *)sqlite3_column_text(s, 9), "from",
                             (const char *)sqlite3_column_text(s, 10), "to",
                             (const char *)sqlite3_column_text(s, 11), "rows_read",
                             (json_int_t)sqlite3_column_int64(s, 12), "rows_staged",
                             (json_int_t)sqlite3_column_int64(s, 13), "rows_rejected",
                             (json_int_t)sqlite3_column_int64(s, 14), "error", text_or_null(s, 16),
                             "created_at", json_time(sqlite3_column_int64(s, 17)), "finished_at",
                             json_time(sqlite3_column_int64(s, 18)));
            error_code_add(last, "error_code", "error_params", s, 27);
        }
        json_object_set_new(src, "last_run", last);
        /* the next firing of its enabled schedules */
        int64_t next = 0;
        int nsched = 0;
        for (int i = 0; i < nsch; i++) {
            if (sch[i].source_id == id) {
                nsched++;
                if (sch[i].next_at && (!next || sch[i].next_at < next)) {
                    next = sch[i].next_at;
                }
            }
        }
        if (next) {
            local_stamp(tz, next, local, sizeof(local));
        }
        json_object_set_new(src, "schedules", json_integer(nsched));
        json_object_set_new(src, "next_run_at", json_time(next));
        json_object_set_new(src, "next_run_local", local[0] ? json_string(local) : json_null());
        store_column_text(s, 24, last_day, sizeof(last_day));
        json_object_set_new(src, "last_data_day",
                            last_day[0] ? json_string(last_day) : json_null());
        int64_t pending = sqlite3_column_int64(s, 25);
        json_object_set_new(src, "recomputes_pending", json_integer(pending));
        /* health, from the latest finished run and what waits */
        json_t *reasons = json_array();
        const char *health = "disabled";
        int run_failed = 0;
        if (enabled) {
            int64_t fin = sqlite3_column_int64(s, 19);
            if (sqlite3_column_type(s, 19) != SQLITE_NULL) {
                const char *fstate = (const char *)sqlite3_column_text(s, 20);
                if (!strcmp(fstate, "failed")) {
                    run_failed = 1;
                    reason_add(reasons, "run_failed", text_or_null(s, 23), fin);
                } else if (sqlite3_column_int(s, 22) > 0) {
                    reason_add(reasons, "run_partial", text_or_null(s, 23), fin);
                }
                if (json_array_size(reasons) > 0) {
                    error_code_add(json_array_get(reasons, 0), "detail_code", "detail_params", s,
                                   29);
                }
                if (sqlite3_column_int64(s, 21) > 0) {
                    reason_add(reasons, "rows_rejected", json_integer(sqlite3_column_int64(s, 21)),
                               fin);
                }
            }
            expected_day(sch, nsch, id, interval, tz, now, expect);
            if (expect[0] && strcmp(last_day, expect) < 0) {
                reason_add(reasons, "no_data", json_string(expect), 0);
            }
            if (pending > 0) {
                reason_add(reasons, "recompute_pending", text_or_null(s, 26), 0);
            }
            health = run_failed ? "failed" : json_array_size(reasons) ? "warning" : "ok";
        }
        json_object_set_new(src, "health", json_string(health));
        json_object_set_new(src, "reasons", reasons);
        tz_close(tz);
        if (!src || json_array_append_new(list, src) != 0) {
            rc = ACDL_ENOMEM;
            break;
        }
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    free(sch);
    return rc;
}

static int targets_add(struct store_conn *c, json_t *list, int64_t now, int warn_after)
{
    int r, rc = ACDL_OK;
    sqlite3_stmt *s = store_prepare(
        c, "WITH b AS (SELECT target_id, sum(state IN ('pending', 'sending')) AS waiting, "
           "sum(state = 'failed') AS failed, sum(state = 'pending' AND attempts > 0) AS retrying, "
           "min(CASE WHEN state IN ('pending', 'sending', 'failed') THEN created_at END) AS "
           "oldest, max(acked_at) AS ok_at FROM batches GROUP BY target_id), "
           "e AS (SELECT target_id, max(updated_at) AS at, last_error, last_status, "
           "last_error_code, last_error_params FROM batches "
           "WHERE last_error IS NOT NULL GROUP BY target_id), "
           "q AS (SELECT target_id, count(*) AS n FROM outbox_cells GROUP BY target_id), "
           "a AS (SELECT k.target_id, count(*) AS n FROM target_agent_cursors k JOIN agent_days d "
           "ON d.change_seq > k.last_seq GROUP BY k.target_id) "
           "SELECT t.id, t.name, t.connector, t.enabled, coalesce(b.waiting, 0), "
           "coalesce(b.failed, 0), coalesce(b.retrying, 0), coalesce(b.oldest, 0), "
           "coalesce(b.ok_at, 0), coalesce(q.n, 0) + coalesce(a.n, 0), coalesce(e.at, 0), "
           "e.last_error, e.last_status, e.last_error_code, e.last_error_params FROM targets t "
           "LEFT JOIN b ON b.target_id = t.id "
           "LEFT JOIN e ON e.target_id = t.id LEFT JOIN q ON q.target_id = t.id "
           "LEFT JOIN a ON a.target_id = t.id ORDER BY t.name COLLATE NOCASE");
    if (!s) {
        return ACDL_EDB;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int enabled = sqlite3_column_int(s, 3);
        int64_t waiting = sqlite3_column_int64(s, 4), failed = sqlite3_column_int64(s, 5);
        int64_t retrying = sqlite3_column_int64(s, 6), oldest = sqlite3_column_int64(s, 7);
        int64_t ok_at = sqlite3_column_int64(s, 8), err_at = sqlite3_column_int64(s, 10);
        int64_t age = oldest && now > oldest ? now - oldest : 0;
        json_t *last_error = json_null();
        if (err_at) {
            last_error = json_pack("{s:o, s:o, s:o}", "at", json_time(err_at), "message",
                                   text_or_null(s, 11), "status",
                                   sqlite3_column_type(s, 12) == SQLITE_NULL
                                       ? json_null()
                                       : json_integer(sqlite3_column_int(s, 12)));
            error_code_add(last_error, "code", "params", s, 13);
        }
        json_t *reasons = json_array();
        if (enabled) {
            if (failed > 0) {
                reason_add(reasons, "batches_failed", json_integer(failed), 0);
            }
            if (retrying > 0 && err_at > ok_at) {
                reason_add(reasons, "delivery_failing", text_or_null(s, 11), 0);
                error_code_add(json_array_get(reasons, json_array_size(reasons) - 1), "detail_code",
                               "detail_params", s, 13);
            }
            if (oldest && age > warn_after) {
                reason_add(reasons, "backlog_old", json_integer(age), 0);
            }
        }
        json_t *t = json_pack(
            "{s:I, s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:I, s:b, s:o, s:o, s:s, s:o}", "id",
            (json_int_t)sqlite3_column_int64(s, 0), "name", (const char *)sqlite3_column_text(s, 1),
            "connector", (const char *)sqlite3_column_text(s, 2), "enabled", enabled, "waiting",
            (json_int_t)waiting, "failed", (json_int_t)failed, "queued",
            (json_int_t)sqlite3_column_int64(s, 9), "oldest_waiting_at", json_time(oldest),
            "age_seconds", (json_int_t)age, "warning", oldest && age > warn_after,
            "last_success_at", json_time(ok_at), "last_error", last_error, "health",
            !enabled                       ? "disabled"
            : json_array_size(reasons) > 0 ? (failed > 0 ? "failed" : "warning")
                                           : "ok",
            "reasons", reasons);
        if (!t || json_array_append_new(list, t) != 0) {
            rc = ACDL_ENOMEM;
            break;
        }
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

/* Sums per local minute of day: offered and handled, and which minutes have a value. */
struct series {
    double offered[MINUTES_PER_DAY], handled[MINUTES_PER_DAY];
    unsigned char has[MINUTES_PER_DAY]; /* bit 1: offered, bit 2: handled */
};

static json_t *series_json(const struct series *x)
{
    json_t *pts = json_array();
    for (int m = 0; m < MINUTES_PER_DAY; m++) {
        if (!x->has[m]) {
            continue;
        }
        char hhmm[8];
        snprintf(hhmm, sizeof(hhmm), "%02d:%02d", m / 60, m % 60);
        json_array_append_new(
            pts, json_pack("{s:s, s:i, s:o, s:o}", "time", hhmm, "minute", m, "offered",
                           x->has[m] & 1 ? json_real(x->offered[m]) : json_null(), "handled",
                           x->has[m] & 2 ? json_real(x->handled[m]) : json_null()));
    }
    return pts;
}

struct vqueue {
    int64_t id;
    struct tz *tz;
    int64_t lo, hi; /* today's local bounds, UTC */
    double offered, handled;
    json_t *obj; /* borrowed from the queues list */
};

static int vqueue_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct vqueue *)a)->id, y = ((const struct vqueue *)b)->id;
    return x < y ? -1 : x > y;
}

static void volume_add(struct series *x, int minute, int is_offered, double v)
{
    if (is_offered) {
        x->offered[minute] += v;
        x->has[minute] |= 1;
    } else {
        x->handled[minute] += v;
        x->has[minute] |= 2;
    }
}

static int volumes_add(struct store_conn *c, json_t *out, int64_t now, int64_t queue_id)
{
    int rc = ACDL_OK, r, n = 0, cap = 0;
    struct vqueue *qs = NULL;
    struct series *total = calloc(1, sizeof(*total));
    struct series *one = queue_id > 0 ? calloc(1, sizeof(*one)) : NULL;
    json_t *queues = json_array();
    int64_t lo = 0, hi = 0;
    if (!total || (queue_id > 0 && !one) || !queues) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    sqlite3_stmt *s = store_prepare(c, "SELECT id, identifier, name, time_zone, "
                                       "interval_minutes FROM wfm_queues ORDER BY identifier");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            int ncap = cap ? cap * 2 : 16;
            struct vqueue *g = realloc(qs, (size_t)ncap * sizeof(*g));
            if (!g) {
                rc = ACDL_ENOMEM;
                break;
            }
            qs = g;
            cap = ncap;
        }
        struct vqueue *q = &qs[n++];
        char zone[64] = "", day[11] = "";
        struct tz_date today;
        memset(q, 0, sizeof(*q));
        q->id = sqlite3_column_int64(s, 0);
        store_column_text(s, 3, zone, sizeof(zone));
        if (tz_open(zone, &q->tz) == ACDL_OK &&
            tz_utc_to_local(q->tz, now, &today, NULL, NULL, NULL) == ACDL_OK &&
            tz_day_bounds(q->tz, today, &q->lo, &q->hi) == ACDL_OK) {
            tz_date_format(today, day);
            lo = !lo || q->lo < lo ? q->lo : lo;
            hi = q->hi > hi ? q->hi : hi;
        }
        q->obj = json_pack("{s:I, s:s, s:s, s:s, s:i, s:o}", "id", (json_int_t)q->id, "identifier",
                           (const char *)sqlite3_column_text(s, 1), "name",
                           (const char *)sqlite3_column_text(s, 2), "time_zone", zone,
                           "interval_minutes", sqlite3_column_int(s, 4), "day",
                           day[0] ? json_string(day) : json_null());
        if (!q->obj || json_array_append_new(queues, q->obj) != 0) {
            rc = ACDL_ENOMEM;
            break;
        }
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    if (rc != ACDL_OK) {
        goto out;
    }
    if (n > 1) {
        qsort(qs, (size_t)n, sizeof(*qs), vqueue_cmp); /* the JSON list keeps its order */
    }
    /* results of the window that holds every queue's today, by the results' primary key */
    s = store_prepare(c, "SELECT r.queue_id, v.key = 'offered', r.interval_start, r.value "
                         "FROM wfm_queues q JOIN value_types v ON v.key IN ('offered', "
                         "'handled') JOIN results r ON r.queue_id = q.id AND r.value_type_id = "
                         "v.id AND r.interval_start >= ?1 AND r.interval_start < ?2 "
                         "ORDER BY r.queue_id");
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t qid = sqlite3_column_int64(s, 0), at = sqlite3_column_int64(s, 2);
        int is_offered = sqlite3_column_int(s, 1);
        double v = sqlite3_column_double(s, 3);
        struct vqueue key = {.id = qid};
        struct vqueue *q = n ? bsearch(&key, qs, (size_t)n, sizeof(*qs), vqueue_cmp) : NULL;
        if (!q) {
            continue;
        }
        int minute = 0;
        if (!q->tz || at < q->lo || at >= q->hi ||
            tz_utc_to_local(q->tz, at, NULL, &minute, NULL, NULL) != ACDL_OK) {
            continue;
        }
        if (is_offered) {
            q->offered += v;
        } else {
            q->handled += v;
        }
        volume_add(total, minute, is_offered, v);
        if (one && qid == queue_id) {
            volume_add(one, minute, is_offered, v);
        }
    }
    if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    if (rc != ACDL_OK) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        json_object_set_new(qs[i].obj, "offered", json_real(qs[i].offered));
        json_object_set_new(qs[i].obj, "handled", json_real(qs[i].handled));
    }
    json_object_set_new(out, "queues", queues);
    queues = NULL;
    json_object_set_new(out, "total", series_json(total));
    json_object_set_new(
        out, "series",
        one ? json_pack("{s:I, s:o}", "queue_id", (json_int_t)queue_id, "points", series_json(one))
            : json_null());
out:
    for (int i = 0; i < n; i++) {
        tz_close(qs[i].tz);
    }
    free(qs);
    free(total);
    free(one);
    json_decref(queues);
    return rc;
}

int overview_collect(struct app *app, int64_t now, int64_t queue_id, json_t **out)
{
    struct health h;
    *out = NULL;
    health_collect(app, &h);
    if (!h.db_ok) {
        return ACDL_EDB;
    }
    json_t *problems = health_problems_json(&h);
    json_t *o =
        json_pack("{s:o, s:i, s:{s:s, s:o}, s:[], s:[], s:{}}", "generated_at", json_time(now),
                  "backlog_warn_after_seconds", app->cfg->backlog_warn_after, "health", "status",
                  health_degraded(&h) ? "degraded" : "ok", "problems", problems, "sources",
                  "targets", "volumes");
    if (!o) {
        return ACDL_ENOMEM;
    }
    struct store_conn *c = store_acquire(app->store);
    int rc = sources_add(c, json_object_get(o, "sources"), now);
    if (rc == ACDL_OK) {
        rc = targets_add(c, json_object_get(o, "targets"), now, app->cfg->backlog_warn_after);
    }
    if (rc == ACDL_OK) {
        rc = volumes_add(c, json_object_get(o, "volumes"), now, queue_id);
    }
    store_release(app->store, c);
    if (rc != ACDL_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return ACDL_OK;
}
