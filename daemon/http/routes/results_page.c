/* results_page.c (routes): GET /api/v1/results across WFM queues, paged with a cursor.
 *
 * Rows come in the order of the results table's primary key (queue id, value type id, interval
 * start), and a page ends at a row of that key: the cursor is that key, so the next page seeks
 * past it on the index (no OFFSET). Rows written or deleted between two pages move nothing:
 * every row that exists from the first page to the last is answered exactly once. Each queue's
 * local days (from .. to) are bounded in its own time zone. The cursor also carries a digest
 * of the query (queues, value type, days), so it cannot be used with another one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "crypto/crypto.h"
#include "http/jsonw.h"
#include "http/routes/routes.h"
#include "store/catalog.h"

#define PAGE_MAX_DAYS 366
#define PAGE_MAX_QUEUES 100
/* queue id, value type id, interval start (8 bytes each), the query's digest (4), a check of
 * the 28 bytes before (4) */
#define CURSOR_BYTES 32
#define CURSOR_TEXT 44

/* Where a page ends: the key of its last row. */
struct page_key {
    int64_t queue_id, vt_id, t;
};

/* The query a cursor belongs to. */
struct page_query {
    int64_t queue_ids[PAGE_MAX_QUEUES];
    int nqueues;   /* 0: every queue */
    int64_t vt_id; /* 0: every value type */
    char vt_key[65];
    char from[16], to[16];
    unsigned char digest[4];
};

/* The answer being written. */
struct page_out {
    struct jsonw *w; /* the items, row by row */
    int limit, count;
    struct page_key last; /* of the limit-th row */
};

int route_results_queue_find(struct store_conn *c, const char *text, struct store_queue *q)
{
    char *end = NULL;
    long long qid = strtoll(text, &end, 10);
    int rc = ACDL_ENOTFOUND;
    if (end && !*end && qid > 0) {
        rc = store_queue_get(c, qid, q);
    }
    if (rc == ACDL_ENOTFOUND) {
        sqlite3_stmt *s = store_prepare(c, "SELECT id FROM wfm_queues WHERE identifier = ?");
        if (!s) {
            return ACDL_EDB;
        }
        store_bind_text(s, 1, text);
        if (sqlite3_step(s) == SQLITE_ROW) {
            qid = sqlite3_column_int64(s, 0);
            store_done(s);
            rc = store_queue_get(c, qid, q);
        } else {
            store_done(s);
        }
    }
    return rc;
}

void route_results_local(struct tz *tz, int64_t t, char *out, size_t outsz)
{
    struct tz_date day;
    int minute, second, off;
    char buf[24];
    tz_utc_to_local(tz, t, &day, &minute, &second, &off);
    tz_date_format(day, buf);
    /* by hand, not snprintf: this runs for every row of a results answer */
    int a = off < 0 ? -off : off;
    int f[4] = {minute / 60 % 100, minute % 60, a / 3600 % 100, a % 3600 / 60};
    char *p = buf + 10;
    *p++ = 'T';
    for (int i = 0; i < 4; i++) {
        *p++ = (char)('0' + f[i] / 10);
        *p++ = (char)('0' + f[i] % 10);
        if (i < 3) {
            *p++ = i == 1 ? (off < 0 ? '-' : '+') : ':';
        }
    }
    size_t n = (size_t)(p - buf) < outsz ? (size_t)(p - buf) : outsz - 1;
    memcpy(out, buf, n);
    out[n] = '\0';
}

int route_results_paged(struct req *r)
{
    char buf[8];
    return req_query(r, "limit", buf, sizeof(buf)) != -1 ||
           req_query(r, "cursor", buf, sizeof(buf)) != -1 ||
           req_query_nth(r, "queue", 0, buf, sizeof(buf)) == -1 ||
           req_query_nth(r, "queue", 1, buf, sizeof(buf)) != -1;
}

static void put64(unsigned char *p, int64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)((uint64_t)v & 0xff);
        v = (int64_t)((uint64_t)v >> 8);
    }
}

static int64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return (int64_t)v;
}

static void cursor_encode(const struct page_query *pq, const struct page_key *k,
                          char out[CURSOR_TEXT])
{
    unsigned char raw[CURSOR_BYTES];
    put64(raw, k->queue_id);
    put64(raw + 8, k->vt_id);
    put64(raw + 16, k->t);
    memcpy(raw + 24, pq->digest, 4);
    unsigned char sha[32];
    crypto_sha256(raw, 28, sha);
    memcpy(raw + 28, sha, 4);
    crypto_b64url(raw, sizeof(raw), out, CURSOR_TEXT);
}

/* Reads a cursor of cursor_encode(); ACDL_EINVAL when it is not one, ACDL_ECONFLICT when it
 * belongs to another query. */
static int cursor_decode(const char *text, const struct page_query *pq, struct page_key *k)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[CURSOR_BYTES];
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    if (strlen(text) != CURSOR_TEXT - 1) {
        return ACDL_EINVAL;
    }
    for (const char *p = text; *p; p++) {
        const char *hit = strchr(alpha, *p);
        if (!hit) {
            return ACDL_EINVAL;
        }
        acc = (acc << 6) | (unsigned)(hit - alpha);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    unsigned char sha[32];
    if (n != CURSOR_BYTES) {
        return ACDL_EINVAL;
    }
    crypto_sha256(raw, 28, sha);
    if (memcmp(raw + 28, sha, 4) != 0) { /* not made by cursor_encode() */
        return ACDL_EINVAL;
    }
    k->queue_id = get64(raw);
    k->vt_id = get64(raw + 8);
    k->t = get64(raw + 16);
    if (k->queue_id < 1 || k->vt_id < 1) {
        return ACDL_EINVAL;
    }
    return memcmp(raw + 24, pq->digest, 4) ? ACDL_ECONFLICT : ACDL_OK;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Reads the query's parameters (but limit and cursor) into pq; the status of the 400 or 404
 * answered, or 0. */
static int read_query(struct req *r, struct store_conn *c, struct page_query *pq)
{
    struct tz_date from, to;
    char qbuf[160];
    memset(pq, 0, sizeof(*pq));
    if (req_query(r, "from", pq->from, sizeof(pq->from)) < 0 || tz_date_parse(pq->from, &from) ||
        req_query(r, "to", pq->to, sizeof(pq->to)) < 0 || tz_date_parse(pq->to, &to)) {
        return reply_error(r, 400, "invalid_parameter",
                           "give from and to as YYYY-MM-DD (local days of each queue)",
                           "parameters 'from' and 'to' are required dates");
    }
    if (tz_date_cmp(from, to) > 0 || tz_date_diff(to, from) + 1 > PAGE_MAX_DAYS) {
        return reply_error(r, 400, "invalid_parameter",
                           "ask for at most 366 days at a time; page through them with cursor",
                           "to: must be from 'from' to 366 days later");
    }
    int vl = req_query(r, "value_type", pq->vt_key, sizeof(pq->vt_key));
    if (vl == -2) {
        return reply_error(r, 400, "invalid_parameter", "use a value type key",
                           "parameter 'value_type' is too long");
    }
    if (vl >= 0) {
        struct store_value_type vt;
        int rc = store_value_type_get_by_key(c, pq->vt_key, &vt);
        if (rc == ACDL_ENOTFOUND) {
            return reply_error(r, 400, "invalid_parameter", "list the value types for their keys",
                               "parameter 'value_type': no value type '%.64s'", pq->vt_key);
        }
        if (rc != ACDL_OK) {
            return reply_rc(r, rc, "value type");
        }
        pq->vt_id = vt.id;
    }
    for (int i = 0;; i++) {
        int n = req_query_nth(r, "queue", i, qbuf, sizeof(qbuf));
        if (n == -1) {
            break;
        }
        if (i == PAGE_MAX_QUEUES) {
            return reply_error(r, 400, "invalid_parameter",
                               "name at most 100 queues, or none for every queue",
                               "parameter 'queue': more than 100 queues");
        }
        if (n < 0) {
            return reply_error(r, 400, "invalid_parameter",
                               "name the WFM queue by id or identifier",
                               "parameter 'queue' (number %d) is too long", i + 1);
        }
        struct store_queue q;
        int rc = route_results_queue_find(c, qbuf, &q);
        if (rc == ACDL_ENOTFOUND) {
            return reply_error(r, 404, "not_found", "list the queues for their ids and identifiers",
                               "queue '%.128s' not found", qbuf);
        }
        if (rc != ACDL_OK) {
            return reply_rc(r, rc, "queue");
        }
        pq->queue_ids[pq->nqueues++] = q.id;
    }
    qsort(pq->queue_ids, (size_t)pq->nqueues, sizeof(int64_t), cmp_id);
    int k = 0;
    for (int i = 0; i < pq->nqueues; i++) { /* a queue named twice is read once */
        if (k == 0 || pq->queue_ids[k - 1] != pq->queue_ids[i]) {
            pq->queue_ids[k++] = pq->queue_ids[i];
        }
    }
    pq->nqueues = k;
    /* the digest of what the rows are chosen by */
    char canon[PAGE_MAX_QUEUES * 21 + 128];
    size_t used = (size_t)snprintf(canon, sizeof(canon), "%s|%s|%lld|", pq->from, pq->to,
                                   (long long)pq->vt_id);
    for (int i = 0; i < pq->nqueues && used < sizeof(canon); i++) {
        used += (size_t)snprintf(canon + used, sizeof(canon) - used, "%lld,",
                                 (long long)pq->queue_ids[i]);
    }
    unsigned char sha[32];
    crypto_sha256(canon, strlen(canon), sha);
    memcpy(pq->digest, sha, sizeof(pq->digest));
    return 0;
}

/* Appends the rows of one queue's value type from interval start t0 (inclusive) to hi; 1 when
 * the page is full (limit + 1 rows seen), 0 to go on, negative on a database error. */
static int read_rows(struct store_conn *c, const struct store_queue *q, struct tz *tz,
                     int64_t vt_id, const char *vt_key, int64_t t0, int64_t hi, struct page_out *po)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT interval_start, value FROM results WHERE "
                                       "queue_id = ? AND value_type_id = ? AND interval_start "
                                       ">= ? AND interval_start < ? ORDER BY interval_start "
                                       "LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_int64(s, 2, vt_id);
    sqlite3_bind_int64(s, 3, t0);
    sqlite3_bind_int64(s, 4, hi);
    sqlite3_bind_int(s, 5, po->limit + 1 - po->count);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(s, 0);
        if (po->count++ == po->limit) { /* one row more than the page: there is a next one */
            store_done(s);
            return 1;
        }
        char local[40];
        route_results_local(tz, t, local, sizeof(local));
        struct jsonw *w = po->w;
        jsonw_obj_begin(w);
        jsonw_kint(w, "queue_id", q->id);
        jsonw_kstr(w, "queue_identifier", q->identifier);
        jsonw_ktime(w, "interval_start", t);
        jsonw_kstr(w, "local", local);
        jsonw_kstr(w, "value_type", vt_key);
        jsonw_key(w, "value");
        jsonw_real(w, sqlite3_column_double(s, 1));
        jsonw_obj_end(w);
        po->last.queue_id = q->id;
        po->last.vt_id = vt_id;
        po->last.t = t;
    }
    store_done(s);
    return rc == SQLITE_DONE ? 0 : ACDL_EDB;
}

/* The rows of one queue from key k on (k: the cursor when it is in this queue, else NULL). */
static int read_queue(struct store_conn *c, const struct page_query *pq, int64_t queue_id,
                      const struct page_key *k, struct page_out *po)
{
    struct store_queue q;
    struct tz *tz = NULL;
    struct tz_date from, to;
    int64_t lo, hi, tmp;
    int rc = store_queue_get(c, queue_id, &q);
    if (rc == ACDL_ENOTFOUND) { /* deleted since: its rows are gone too */
        return 0;
    }
    if (rc != ACDL_OK || tz_open(q.time_zone, &tz) != ACDL_OK) {
        return rc != ACDL_OK ? rc : ACDL_EINVAL;
    }
    tz_date_parse(pq->from, &from);
    tz_date_parse(pq->to, &to);
    tz_day_bounds(tz, from, &lo, &tmp);
    tz_day_bounds(tz, to, &tmp, &hi);
    int64_t vt = k ? k->vt_id : 0;
    int first = 1;
    rc = 0;
    while (rc == 0) {
        char key[65] = "";
        if (pq->vt_id) { /* one value type */
            if (!first || vt > pq->vt_id) {
                break;
            }
            vt = pq->vt_id;
        } else { /* the next value type this queue has rows of: a seek on the key */
            sqlite3_stmt *s = store_prepare(c, "SELECT value_type_id FROM results WHERE "
                                               "queue_id = ? AND value_type_id >= ? ORDER BY "
                                               "value_type_id LIMIT 1");
            if (!s) {
                rc = ACDL_EDB;
                break;
            }
            sqlite3_bind_int64(s, 1, q.id);
            sqlite3_bind_int64(s, 2, first ? vt : vt + 1);
            int has = sqlite3_step(s) == SQLITE_ROW;
            vt = has ? sqlite3_column_int64(s, 0) : 0;
            store_done(s);
            if (!has) {
                break;
            }
        }
        sqlite3_stmt *s = store_prepare(c, "SELECT key FROM value_types WHERE id = ?");
        if (!s) {
            rc = ACDL_EDB;
            break;
        }
        sqlite3_bind_int64(s, 1, vt);
        if (sqlite3_step(s) == SQLITE_ROW) {
            store_column_text(s, 0, key, sizeof(key));
        }
        store_done(s);
        int64_t t0 = first && k && k->vt_id == vt ? (k->t < INT64_MAX ? k->t + 1 : INT64_MAX) : lo;
        first = 0;
        if (key[0]) {
            rc = read_rows(c, &q, tz, vt, key, t0 > lo ? t0 : lo, hi, po);
        }
    }
    tz_close(tz);
    return rc;
}

int route_results_page(struct req *r)
{
    struct page_query *pq = calloc(1, sizeof(*pq));
    struct page_out po = {NULL, 0, 0, {0, 0, 0}};
    struct page_key k = {0, 0, 0};
    char cur[CURSOR_TEXT + 8];
    int st = 0, rc = 0, full = 0, has_cursor = 0;
    if (!pq) {
        return reply_rc(r, ACDL_ENOMEM, "results");
    }
    if ((st = req_limit(r, &po.limit)) != 0) {
        free(pq);
        return st;
    }
    struct store_conn *c = req_store(r);
    if ((st = read_query(r, c, pq)) != 0) {
        goto out;
    }
    int cl = req_query(r, "cursor", cur, sizeof(cur));
    if (cl != -1) {
        int crc = cl < 0 ? ACDL_EINVAL : cursor_decode(cur, pq, &k);
        if (crc == ACDL_ECONFLICT) {
            st = reply_error(r, 400, "invalid_parameter",
                             "keep queue, value_type, from and to as they were for the first "
                             "page, or start again without cursor",
                             "parameter 'cursor' belongs to another query");
            goto out;
        }
        if (crc != ACDL_OK) {
            st = reply_error(r, 400, "invalid_parameter",
                             "pass the next_cursor value of the previous page unchanged",
                             "parameter 'cursor' is invalid");
            goto out;
        }
        has_cursor = 1;
    }
    /* the members in the order the jansson tree had them: from, to, items, next_cursor */
    po.w = reply_stream_begin(r);
    jsonw_obj_begin(po.w);
    jsonw_kstr(po.w, "from", pq->from);
    jsonw_kstr(po.w, "to", pq->to);
    jsonw_key(po.w, "items");
    jsonw_arr_begin(po.w);
    if (pq->nqueues) {
        for (int i = 0; i < pq->nqueues && rc == 0; i++) {
            int64_t qid = pq->queue_ids[i];
            if (has_cursor && qid < k.queue_id) {
                continue;
            }
            rc = read_queue(c, pq, qid, has_cursor && qid == k.queue_id ? &k : NULL, &po);
        }
    } else { /* every queue, from the cursor's on, a batch of ids at a time */
        int64_t next = has_cursor ? k.queue_id : 1;
        while (rc == 0) {
            int64_t ids[64];
            int n = 0;
            sqlite3_stmt *s =
                store_prepare(c, "SELECT id FROM wfm_queues WHERE id >= ? ORDER BY id LIMIT 64");
            if (!s) {
                rc = ACDL_EDB;
                break;
            }
            sqlite3_bind_int64(s, 1, next);
            while (sqlite3_step(s) == SQLITE_ROW) {
                ids[n++] = sqlite3_column_int64(s, 0);
            }
            store_done(s);
            for (int i = 0; i < n && rc == 0; i++) {
                rc = read_queue(c, pq, ids[i], has_cursor && ids[i] == k.queue_id ? &k : NULL, &po);
            }
            if (n < 64) {
                break;
            }
            next = ids[n - 1] + 1;
        }
    }
    full = rc == 1;
    if (rc < 0) {
        st = reply_rc(r, rc, "results");
        goto out;
    }
    jsonw_arr_end(po.w);
    jsonw_key(po.w, "next_cursor");
    if (full) {
        char text[CURSOR_TEXT];
        cursor_encode(pq, &po.last, text);
        jsonw_str(po.w, text);
    } else {
        jsonw_null(po.w);
    }
    jsonw_obj_end(po.w);
    req_store_done(r, c); /* the read ends before the answer goes out */
    c = NULL;
    st = reply_stream_send(r, 200);
out:
    if (c) {
        req_store_done(r, c);
    }
    free(pq);
    return st;
}
