/* results.c (routes): GET /api/v1/results of one WFM queue and its CSV download.
 *
 * The answer's order is interval, then value type key; the results table's key is queue, value
 * type, interval. Instead of sorting, the rows are read as one stream per value type the queue
 * has in the period (each a seek and a range of the key, already in interval order), and the
 * streams are merged: the next row is the stream with the earliest interval, the first in key
 * order on a tie. All streams step inside one read transaction (a statement stays active from
 * the first to the last), so the answer is one snapshot. A queue with more value types than
 * RESULTS_STREAMS is read by one sorted statement instead. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/jsonw.h"
#include "http/routes/routes.h"
#include "store/catalog.h"

#define RESULTS_MAX_DAYS 62
#define RESULTS_MAX_ITEMS 100000
#define RESULTS_TYPES 64   /* value types listed (the CSV's columns) */
#define RESULTS_STREAMS 16 /* value types merged; a queue with more is read sorted */

/* The value types of the queue with rows in the period, in key order. */
static const char vt_sql[] =
    "SELECT v.id, v.key FROM value_types v WHERE (?4 IS NULL OR v.key = ?4) AND EXISTS (SELECT 1 "
    "FROM results r WHERE r.queue_id = ?1 AND r.value_type_id = v.id AND r.interval_start >= ?2 "
    "AND r.interval_start < ?3) ORDER BY v.key";
/* One value type's rows: a range of the results' key. */
static const char stream_sql[] = "SELECT interval_start, value FROM results WHERE queue_id = ? AND "
                                 "value_type_id = ? AND interval_start >= ? AND interval_start < "
                                 "? ORDER BY interval_start";
/* Every value type at once, sorted: for queues with more than RESULTS_STREAMS. */
static const char sorted_sql[] =
    "SELECT r.interval_start, v.key, r.value FROM results r JOIN value_types v ON v.id = "
    "r.value_type_id WHERE r.queue_id = ? AND r.interval_start >= ? AND r.interval_start < ? AND "
    "(?4 IS NULL OR v.key = ?4) ORDER BY r.interval_start, v.key";

/* GET /api/v1/results' query for one queue, once its parameters are checked and its queue
 * found: the rows in answer order from results_next(). */
struct results_query {
    struct store_conn *c;
    struct tz *tz;
    struct store_queue q;
    char from_s[16], to_s[16];
    int nvt;                          /* value types with rows (listed: at most RESULTS_TYPES) */
    char vt_key[RESULTS_TYPES][65];   /* in key order */
    int merged;                       /* 1: a stream per value type; 0: sorted_sql in s[0] */
    int nstreams;                     /* statements in s */
    sqlite3_stmt *s[RESULTS_STREAMS]; /* borrowed from the connection's cache */
    int64_t head_t[RESULTS_STREAMS];  /* each stream's next row */
    double head_v[RESULTS_STREAMS];
    unsigned char live[RESULTS_STREAMS];
    char head_key[65], out_key[65]; /* sorted: the next row's key and the one answered */
};

/* Steps stream i to its next row; 0, or ACDL_EDB. */
static int stream_step(struct results_query *rq, int i)
{
    int sr = sqlite3_step(rq->s[i]);
    if (sr != SQLITE_ROW) {
        rq->live[i] = 0;
        return sr == SQLITE_DONE ? 0 : ACDL_EDB;
    }
    rq->head_t[i] = sqlite3_column_int64(rq->s[i], 0);
    if (rq->merged) {
        rq->head_v[i] = sqlite3_column_double(rq->s[i], 1);
    } else {
        store_column_text(rq->s[i], 1, rq->head_key, sizeof(rq->head_key));
        rq->head_v[i] = sqlite3_column_double(rq->s[i], 2);
    }
    rq->live[i] = 1;
    return 0;
}

/* Starts the streams (or the sorted statement) for value type key vt_key (NULL: every one)
 * between lo and hi. Every statement is stepped to its first row before the list of value
 * types ends, so all of them read the same snapshot. */
static int results_start(struct results_query *rq, int64_t lo, int64_t hi, const char *vt_key)
{
    sqlite3_stmt *v = store_prepare(rq->c, vt_sql);
    int rc = 0, sr;
    if (!v) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(v, 1, rq->q.id);
    sqlite3_bind_int64(v, 2, lo);
    sqlite3_bind_int64(v, 3, hi);
    store_bind_text(v, 4, vt_key);
    rq->merged = 1;
    while (rc == 0 && (sr = sqlite3_step(v)) == SQLITE_ROW) {
        if (rq->nvt < RESULTS_TYPES) {
            store_column_text(v, 1, rq->vt_key[rq->nvt], sizeof(rq->vt_key[0]));
        }
        if (rq->nvt < RESULTS_STREAMS) {
            sqlite3_stmt *s = store_prepare_nth(rq->c, stream_sql, rq->nvt);
            if (!s) {
                rc = ACDL_EDB;
                break;
            }
            rq->s[rq->nstreams++] = s;
            sqlite3_bind_int64(s, 1, rq->q.id);
            sqlite3_bind_int64(s, 2, sqlite3_column_int64(v, 0));
            sqlite3_bind_int64(s, 3, lo);
            sqlite3_bind_int64(s, 4, hi);
            rc = stream_step(rq, rq->nvt);
        } else if (rq->merged) { /* too many to merge: one sorted statement instead */
            sqlite3_stmt *s = store_prepare(rq->c, sorted_sql);
            if (!s) {
                rc = ACDL_EDB;
                break;
            }
            sqlite3_bind_int64(s, 1, rq->q.id);
            sqlite3_bind_int64(s, 2, lo);
            sqlite3_bind_int64(s, 3, hi);
            store_bind_text(s, 4, vt_key);
            /* its first row while the streams still hold the snapshot, then they go */
            for (int i = 0; i < rq->nstreams; i++) {
                store_done(rq->s[i]);
            }
            rq->merged = 0;
            rq->nstreams = 1;
            rq->s[0] = s;
            rc = stream_step(rq, 0);
        }
        rq->nvt++;
    }
    if (rc == 0 && sr != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(v);
    return rc;
}

/* The next row in answer order: 1 with its interval start, value type key (borrowed until the
 * next call), value and column (the value type's index in vt_key, -1 when not listed), 0 at
 * the end, ACDL_EDB on a database error. */
static int results_next(struct results_query *rq, int64_t *t, const char **key, double *value,
                        int *col)
{
    int best = -1;
    for (int i = 0; i < rq->nstreams; i++) {
        if (rq->live[i] && (best < 0 || rq->head_t[i] < rq->head_t[best])) {
            best = i;
        }
    }
    if (best < 0) {
        return 0;
    }
    *t = rq->head_t[best];
    *value = rq->head_v[best];
    if (rq->merged) {
        *key = rq->vt_key[best];
        *col = best;
    } else {
        memcpy(rq->out_key, rq->head_key, sizeof(rq->out_key));
        *key = rq->out_key;
        *col = -1;
        for (int j = 0; j < rq->nvt && j < RESULTS_TYPES && *col < 0; j++) {
            if (strcmp(rq->vt_key[j], rq->out_key) == 0) {
                *col = j;
            }
        }
    }
    return stream_step(rq, best) == 0 ? 1 : ACDL_EDB;
}

static void results_close(struct req *r, struct results_query *rq)
{
    for (int i = 0; i < rq->nstreams; i++) {
        store_done(rq->s[i]);
    }
    rq->nstreams = 0;
    req_store_done(r, rq->c);
    rq->c = NULL;
    tz_close(rq->tz);
    rq->tz = NULL;
}

/* Checks the parameters, finds the queue and starts the query. Returns 0, or the status of
 * the error answered (then nothing is left open). */
static int results_open(struct req *r, struct results_query *rq)
{
    char qbuf[160], vt_key[70];
    struct tz_date from, to;
    int64_t lo, hi, tmp;
    memset(rq, 0, sizeof(*rq));
    if (req_query(r, "queue", qbuf, sizeof(qbuf)) < 0) {
        return reply_error(r, 400, "invalid_parameter",
                           "name the WFM queue by id or identifier: ?queue=...",
                           "parameter 'queue' is required");
    }
    if (req_query(r, "from", rq->from_s, sizeof(rq->from_s)) < 0 ||
        tz_date_parse(rq->from_s, &from) || req_query(r, "to", rq->to_s, sizeof(rq->to_s)) < 0 ||
        tz_date_parse(rq->to_s, &to)) {
        return reply_error(r, 400, "invalid_parameter",
                           "give from and to as YYYY-MM-DD (local days of the queue)",
                           "parameters 'from' and 'to' are required dates");
    }
    if (tz_date_cmp(from, to) > 0 || tz_date_diff(to, from) + 1 > RESULTS_MAX_DAYS) {
        return reply_error(r, 400, "invalid_parameter", "ask for at most 62 days at a time",
                           "to: must be from 'from' to 62 days later");
    }
    int vl = req_query(r, "value_type", vt_key, sizeof(vt_key));
    if (vl == -2) {
        return reply_error(r, 400, "invalid_parameter", "use a value type key",
                           "parameter 'value_type' is too long");
    }
    rq->c = req_store(r);
    int rc = route_results_queue_find(rq->c, qbuf, &rq->q);
    if (rc == ACDL_OK && tz_open(rq->q.time_zone, &rq->tz) != ACDL_OK) {
        results_close(r, rq);
        return reply_rc(r, ACDL_EINVAL, "queue time zone");
    }
    if (rc == ACDL_OK) {
        tz_day_bounds(rq->tz, from, &lo, &tmp);
        tz_day_bounds(rq->tz, to, &tmp, &hi);
        rc = results_start(rq, lo, hi, vl >= 0 ? vt_key : NULL);
    }
    if (rc != ACDL_OK) {
        results_close(r, rq);
        return reply_rc(r, rc, rc == ACDL_ENOTFOUND ? "queue" : "results");
    }
    return 0;
}

static int results_too_many(struct req *r)
{
    return reply_error(r, 400, "invalid_parameter", "ask for fewer days or one value_type",
                       "the answer would hold more than 100000 results");
}

/* GET /api/v1/results for one queue, written row by row straight into the answer. */
static int results_stream(struct req *r)
{
    struct results_query rq;
    int st = results_open(r, &rq);
    if (st) {
        return st;
    }
    struct jsonw *w = reply_stream_begin(r);
    jsonw_obj_begin(w);
    jsonw_key(w, "queue");
    jsonw_obj_begin(w);
    jsonw_kint(w, "id", rq.q.id);
    jsonw_kstr(w, "identifier", rq.q.identifier);
    jsonw_kstr(w, "time_zone", rq.q.time_zone);
    jsonw_kint(w, "interval_minutes", rq.q.interval_minutes);
    jsonw_obj_end(w);
    jsonw_kstr(w, "from", rq.from_s);
    jsonw_kstr(w, "to", rq.to_s);
    jsonw_key(w, "items");
    jsonw_arr_begin(w);
    int n = 0, rc, col;
    int64_t t, last_t = INT64_MIN;
    const char *key;
    double value;
    char local[40] = "";
    /* what repeats from row to row is written once and copied after: an interval's times
     * (each value type of the interval has them) and each value type's member */
    size_t at_off = 0, at_len = 0, vt_off[RESULTS_TYPES], vt_len[RESULTS_TYPES] = {0};
    while ((rc = results_next(&rq, &t, &key, &value, &col)) == 1) {
        if (n++ == RESULTS_MAX_ITEMS) {
            results_close(r, &rq);
            return results_too_many(r);
        }
        jsonw_obj_begin(w);
        if (t != last_t) { /* rows come by interval: each value type of one shares its time */
            route_results_local(rq.tz, t, local, sizeof(local));
            last_t = t;
            at_off = w->len;
            jsonw_ktime(w, "interval_start", t);
            jsonw_kstr(w, "local", local);
            at_len = w->len - at_off;
        } else {
            jsonw_again(w, at_off, at_len);
        }
        if (col >= 0 && col < RESULTS_TYPES && vt_len[col]) {
            jsonw_again(w, vt_off[col], vt_len[col]);
        } else {
            size_t off = w->len + 1; /* after the comma */
            jsonw_kstr(w, "value_type", key);
            if (col >= 0 && col < RESULTS_TYPES) {
                vt_off[col] = off;
                vt_len[col] = w->len - off;
            }
        }
        jsonw_key(w, "value");
        jsonw_real(w, value);
        jsonw_obj_end(w);
    }
    results_close(r, &rq);
    if (rc < 0) {
        return reply_rc(r, rc, "results");
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
    return reply_stream_send(r, 200);
}

int route_results_list(struct req *r)
{
    if (route_results_paged(r)) {
        return route_results_page(r);
    }
    return results_stream(r);
}

/* Appends printf-formatted text (at most 255 bytes a call) to the CSV answer. */
static void csv_put(struct jsonw *w, const char *fmt, ...) ACDL_PRINTF(2, 3);
static void csv_put(struct jsonw *w, const char *fmt, ...)
{
    va_list ap;
    char *p = jsonw_room(w, 256);
    if (!p) {
        return;
    }
    va_start(ap, fmt);
    int k = vsnprintf(p, 256, fmt, ap);
    va_end(ap);
    if (k < 0) {
        w->failed = 1;
        return;
    }
    w->len += (size_t)k < 256 ? (size_t)k : 255;
}

/* Appends s as one CSV cell: in quotes (a quote doubled) when it holds the separator ';' or a
 * quote, which would otherwise split the cell or open a quoted one. */
static void csv_put_cell(struct jsonw *w, const char *s)
{
    size_t n = strlen(s), k = 0;
    int quote = strpbrk(s, ";\"") != NULL;
    char *p = jsonw_room(w, 2 * n + 2);
    if (!p) {
        return;
    }
    if (quote) {
        p[k++] = '"';
    }
    for (size_t i = 0; i < n; i++) {
        p[k++] = s[i];
        if (s[i] == '"') {
            p[k++] = '"';
        }
    }
    if (quote) {
        p[k++] = '"';
    }
    w->len += k;
}

/* Writes one day's totals line: sums for summed value types, the weighted mean (by the weight
 * type's values of the same intervals, when they are in the answer) for weighted ones. */
static void csv_day_total(struct jsonw *w, const char *day, int nvt, const double *sum,
                          const double *wsum, const double *wtot, const int *has,
                          const int *weighted)
{
    csv_put(w, "%s;total", day);
    for (int k = 0; k < nvt; k++) {
        if (!has[k] || (weighted[k] && wtot[k] <= 0)) {
            csv_put(w, ";");
        } else {
            csv_put(w, ";%.10g", weighted[k] ? wsum[k] / wtot[k] : sum[k]);
        }
    }
    csv_put(w, "\r\n");
}

/* One interval's line, its values added to the day's totals. */
static void csv_line(struct jsonw *w, const char *local, int nvt, const double *val, const int *has,
                     const int *weighted, const int *weight_of, double *sum, double *wsum,
                     double *wtot, int *dhas)
{
    csv_put(w, "%.10s;%.5s", local, local + 11);
    for (int k = 0; k < nvt; k++) {
        if (has[k]) {
            csv_put(w, ";%.10g", val[k]);
            sum[k] += val[k];
            dhas[k] = 1;
            if (weighted[k] && weight_of[k] >= 0 && has[weight_of[k]]) {
                wsum[k] += val[k] * val[weight_of[k]];
                wtot[k] += val[weight_of[k]];
            }
        } else {
            csv_put(w, ";");
        }
    }
    csv_put(w, "\r\n");
}

/* GET /api/v1/results/csv: what GET /api/v1/results answers, as CSV for a spreadsheet: one
 * line per local interval with one column per value type (in key order), and after each local
 * day a line of that day's totals. */
int route_results_csv(struct req *r)
{
    struct results_query rq;
    int st = results_open(r, &rq);
    if (st) {
        return st;
    }
    int nvt = rq.nvt < RESULTS_TYPES ? rq.nvt : RESULTS_TYPES;
    int weighted[RESULTS_TYPES] = {0}, weight_of[RESULTS_TYPES];
    for (int k = 0; k < nvt; k++) {
        struct store_value_type vt;
        weight_of[k] = -1;
        if (store_value_type_get_by_key(rq.c, rq.vt_key[k], &vt) == ACDL_OK &&
            !strcmp(vt.combine, "weighted")) {
            weighted[k] = 1;
            for (int j = 0; j < nvt; j++) {
                if (!strcmp(rq.vt_key[j], vt.weight_key)) {
                    weight_of[k] = j;
                }
            }
        }
    }
    struct jsonw *w = reply_stream_begin(r);
    csv_put(w, "queue;");
    csv_put_cell(w, rq.q.identifier);
    csv_put(w, "\r\ndate;time");
    for (int k = 0; k < nvt; k++) {
        csv_put(w, ";%s", rq.vt_key[k]);
    }
    csv_put(w, "\r\n");
    double val[RESULTS_TYPES], sum[RESULTS_TYPES] = {0}, wsum[RESULTS_TYPES] = {0},
                               wtot[RESULTS_TYPES] = {0};
    int has[RESULTS_TYPES] = {0}, dhas[RESULTS_TYPES] = {0};
    char day[16] = "", local[40] = "", lt[40] = "";
    int n = 0, rc, col;
    int64_t t, last_t = INT64_MIN;
    const char *key;
    double value;
    for (;;) {
        rc = results_next(&rq, &t, &key, &value, &col);
        if (rc == 1 && n++ == RESULTS_MAX_ITEMS) {
            results_close(r, &rq);
            return results_too_many(r);
        }
        if (rc == 1 && t != last_t) {
            route_results_local(rq.tz, t, lt, sizeof(lt));
            last_t = t;
        }
        if (local[0] && (rc != 1 || strcmp(lt, local) != 0)) { /* an interval is complete */
            csv_line(w, local, nvt, val, has, weighted, weight_of, sum, wsum, wtot, dhas);
            local[0] = '\0';
        }
        if (day[0] && (rc != 1 || strncmp(lt, day, 10) != 0)) { /* the day is complete */
            csv_day_total(w, day, nvt, sum, wsum, wtot, dhas, weighted);
            memset(sum, 0, sizeof(sum));
            memset(wsum, 0, sizeof(wsum));
            memset(wtot, 0, sizeof(wtot));
            memset(dhas, 0, sizeof(dhas));
            day[0] = '\0';
        }
        if (rc != 1) {
            break;
        }
        if (!local[0]) {
            memcpy(local, lt, sizeof(local));
            memset(has, 0, sizeof(has));
        }
        if (!day[0]) {
            snprintf(day, sizeof(day), "%.10s", lt);
        }
        if (col >= 0 && col < nvt) {
            val[col] = value;
            has[col] = 1;
        }
    }
    /* the file name without what a quoted header value or a file system takes apart */
    char disp[200], fname[130];
    snprintf(fname, sizeof(fname), "%s", rq.q.identifier);
    for (char *c = fname; *c; c++) {
        *c = strchr("\";\\/:*?<>|", *c) ? '_' : *c;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"results-%s-%s-%s.csv\"", fname, rq.from_s,
             rq.to_s);
    results_close(r, &rq);
    if (rc < 0) {
        return reply_rc(r, rc, "results");
    }
    reply_header(r, "Content-Disposition", disp);
    return reply_stream_send_as(r, 200, "text/csv; charset=utf-8");
}
