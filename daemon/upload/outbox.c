/* outbox.c: changed results into batches (see outbox.h). */
#include "upload/outbox.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "http/jsonw.h"
#include "pipeline/agent_results.h"
#include "store/targets.h"
#include "upload/connector.h"
#include "upload/settings.h"

/* At most this many pairs are remembered (24 bytes each in the list, two 4-byte slots in
 * the table): 8 MiB for a transaction of mappings over a long history; the rest are
 * inserted. */
#define MEMO_MAX (1u << 18)

struct memo_pair {
    int64_t target_id, queue_id, interval_start;
};

struct outbox_memo {
    struct memo_pair *list; /* in the order remembered: a rewind truncates it */
    size_t n, cap;
    uint32_t *slot; /* open addressing: index + 1 into list, 0 free */
    size_t nslots;  /* a power of two, at least twice n */
};

struct outbox_memo *outbox_memo_new(void)
{
    return calloc(1, sizeof(struct outbox_memo));
}

void outbox_memo_free(struct outbox_memo *m)
{
    if (m) {
        free(m->list);
        free(m->slot);
        free(m);
    }
}

static size_t memo_hash(const struct memo_pair *p, size_t nslots)
{
    uint64_t h = (uint64_t)p->target_id * 0x9E3779B97F4A7C15u;
    h ^= (uint64_t)p->queue_id * 0xC2B2AE3D27D4EB4Fu;
    h ^= (uint64_t)p->interval_start * 0x165667B19E3779F9u;
    h ^= h >> 29;
    return (size_t)h & (nslots - 1);
}

/* The slot holding p, or the free slot where it would go. */
static size_t memo_find(const struct outbox_memo *m, const struct memo_pair *p)
{
    size_t i = memo_hash(p, m->nslots);
    while (m->slot[i]) {
        const struct memo_pair *q = &m->list[m->slot[i] - 1];
        if (q->interval_start == p->interval_start && q->queue_id == p->queue_id &&
            q->target_id == p->target_id) {
            break;
        }
        i = (i + 1) & (m->nslots - 1);
    }
    return i;
}

static void memo_index(struct outbox_memo *m)
{
    memset(m->slot, 0, m->nslots * sizeof(*m->slot));
    for (size_t k = 0; k < m->n; k++) {
        m->slot[memo_find(m, &m->list[k])] = (uint32_t)(k + 1);
    }
}

static int memo_has(const struct outbox_memo *m, const struct memo_pair *p)
{
    return m->n > 0 && m->slot[memo_find(m, p)] != 0;
}

/* Remembers p (not yet remembered); silently not when full or out of memory. */
static void memo_add(struct outbox_memo *m, const struct memo_pair *p)
{
    if (m->n >= MEMO_MAX) {
        return;
    }
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 1024;
        struct memo_pair *nl = realloc(m->list, nc * sizeof(*nl));
        if (!nl) {
            return;
        }
        m->list = nl;
        m->cap = nc;
    }
    if (2 * (m->n + 1) > m->nslots) {
        size_t ns = m->nslots ? m->nslots * 2 : 4096;
        uint32_t *sl = malloc(ns * sizeof(*sl));
        if (!sl) {
            return;
        }
        free(m->slot);
        m->slot = sl;
        m->nslots = ns;
        memo_index(m);
    }
    m->list[m->n] = *p;
    m->slot[memo_find(m, p)] = (uint32_t)(m->n + 1);
    m->n++;
}

size_t outbox_memo_mark(const struct outbox_memo *m)
{
    return m ? m->n : 0;
}

void outbox_memo_rewind(struct outbox_memo *m, size_t mark)
{
    if (m && mark < m->n) {
        m->n = mark;
        memo_index(m);
    }
}

void outbox_memo_clear(struct outbox_memo *m)
{
    outbox_memo_rewind(m, 0);
}

int outbox_mark(struct store_conn *c, int64_t queue_id, int64_t value_type_id, int64_t lo,
                int64_t hi, int64_t now)
{
    return outbox_mark_in(c, NULL, queue_id, value_type_id, lo, hi, now);
}

int outbox_mark_in(struct store_conn *c, struct outbox_memo *memo, int64_t queue_id,
                   int64_t value_type_id, int64_t lo, int64_t hi, int64_t now)
{
    /* The upsert changes a target's cell only when the value differs; RETURNING gives
     * exactly the changed ones (inserted or updated). */
    sqlite3_stmt *up = store_prepare(
        c, "INSERT INTO target_cells (target_id, queue_id, value_type_id, interval_start, "
           "value, revision) SELECT t.id, r.queue_id, r.value_type_id, r.interval_start, "
           "r.value, 1 FROM results r, targets t WHERE r.queue_id = ?1 AND r.value_type_id = "
           "?2 AND r.interval_start >= ?3 AND r.interval_start < ?4 ON CONFLICT DO UPDATE SET "
           "value = excluded.value, revision = abs(revision) + 1 WHERE value <> excluded.value "
           "OR revision < 0 RETURNING target_id, interval_start");
    /* a result that is gone (an interval that has no value any more): the cell's revision
     * turns negative ("told: no value"), growing in size so the row sent without the value
     * is a new batch, and a value that comes back is queued whatever it is */
    sqlite3_stmt *gone = store_prepare(
        c, "UPDATE target_cells SET revision = -(revision + 1) WHERE target_id IN (SELECT id "
           "FROM targets) AND queue_id = ?1 AND value_type_id = ?2 AND interval_start >= ?3 AND "
           "interval_start < ?4 AND revision > 0 AND NOT EXISTS (SELECT 1 FROM results r WHERE "
           "r.queue_id = ?1 AND r.value_type_id = ?2 AND r.interval_start = "
           "target_cells.interval_start) RETURNING target_id, interval_start");
    sqlite3_stmt *q = store_prepare(c, "INSERT INTO outbox_cells (target_id, queue_id, "
                                       "interval_start, revision, queued_at) VALUES (?, ?, ?, "
                                       "0, ?) ON CONFLICT DO NOTHING");
    /* both statements join the targets: without one there is nothing to compare (a run's
     * results would otherwise be read once more per mapping for nothing) */
    sqlite3_stmt *any = store_prepare(c, "SELECT 1 FROM targets LIMIT 1");
    int rc = ACDL_OK, r = SQLITE_DONE;
    if (!up || !q || !gone || !any) {
        store_done(up);
        store_done(gone);
        return ACDL_EDB;
    }
    r = sqlite3_step(any);
    store_done(any);
    if (r != SQLITE_ROW) {
        return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    }
    sqlite3_stmt *st[2] = {up, gone};
    for (int i = 0; i < 2; i++) {
        sqlite3_bind_int64(st[i], 1, queue_id);
        sqlite3_bind_int64(st[i], 2, value_type_id);
        sqlite3_bind_int64(st[i], 3, lo);
        sqlite3_bind_int64(st[i], 4, hi);
        while (rc == ACDL_OK && (r = sqlite3_step(st[i])) == SQLITE_ROW) {
            struct memo_pair p = {sqlite3_column_int64(st[i], 0), queue_id,
                                  sqlite3_column_int64(st[i], 1)};
            if (memo && memo_has(memo, &p)) {
                continue; /* queued in this transaction: the insert would do nothing */
            }
            sqlite3_bind_int64(q, 1, p.target_id);
            sqlite3_bind_int64(q, 2, queue_id);
            sqlite3_bind_int64(q, 3, p.interval_start);
            sqlite3_bind_int64(q, 4, now);
            if (sqlite3_step(q) != SQLITE_DONE) {
                rc = ACDL_EDB;
            } else if (memo) {
                memo_add(memo, &p);
            }
            store_done(q);
        }
        if (rc == ACDL_OK && r != SQLITE_DONE) {
            rc = ACDL_EDB;
        }
        store_done(st[i]);
    }
    if (rc != ACDL_OK) {
        log_error("upload", "queueing changed results failed: %s", sqlite3_errmsg(store_db(c)));
    }
    return rc;
}

struct pair {
    int64_t target_id, queue_id, interval_start, resend_id;
};

struct qcache {
    int64_t id;
    struct upload_row proto; /* queue fields only */
    int ok;
};

static int load_queue(struct store_conn *c, int64_t id, struct qcache *qc)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT identifier, name, channel, interval_minutes, "
                                        "time_zone FROM wfm_queues WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    memset(qc, 0, sizeof(*qc));
    qc->id = id;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        store_column_text(st, 0, qc->proto.queue_identifier, sizeof(qc->proto.queue_identifier));
        store_column_text(st, 1, qc->proto.queue_name, sizeof(qc->proto.queue_name));
        store_column_text(st, 2, qc->proto.channel, sizeof(qc->proto.channel));
        qc->proto.interval_minutes = sqlite3_column_int(st, 3);
        store_column_text(st, 4, qc->proto.time_zone, sizeof(qc->proto.time_zone));
        qc->ok = 1;
    }
    store_done(st);
    return ACDL_OK;
}

/* Pairs further apart than this are not read with one range (the rows between are read for
 * nothing), and a range holds at most OUTBOX_RANGE_MAX pairs. */
#define OUTBOX_RANGE_GAP 3600
#define OUTBOX_RANGE_MAX 512

/* Fills the values of rows[0..n) and the revision sums of (target, queue, interval) for the
 * pairs p[0..n) (one target and queue, intervals ascending, within OUTBOX_RANGE_GAP of each
 * other): two range reads, merged in interval order, instead of two lookups per pair. Both
 * keys lead with the value type before the interval, so the reads go through the few value
 * types (CROSS JOIN keeps that order): each is a key seek and a short range, not a scan of
 * the queue's whole history, which made packing a month of a queue's results quadratic and
 * held the write lock for tens of seconds. */
static int load_rows(struct store_conn *c, const struct pair *p, size_t n, struct upload_row *rows,
                     int64_t *revs)
{
    sqlite3_stmt *v = store_prepare(
        c, "SELECT r.interval_start, t.key, r.value FROM value_types t CROSS JOIN results r ON "
           "r.queue_id = ?1 AND r.value_type_id = t.id AND r.interval_start >= ?2 AND "
           "r.interval_start <= ?3 ORDER BY r.interval_start, t.key");
    sqlite3_stmt *rv = store_prepare(
        c, "SELECT x.interval_start, sum(abs(x.revision)) FROM value_types t CROSS JOIN "
           "target_cells x ON x.target_id = ?1 AND x.queue_id = ?2 AND x.value_type_id = t.id "
           "AND x.interval_start >= ?3 AND x.interval_start <= ?4 GROUP BY x.interval_start "
           "ORDER BY x.interval_start");
    int r, rc = ACDL_OK;
    if (!v || !rv) {
        store_done(v);
        store_done(rv);
        return ACDL_EDB;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].interval_start = p[i].interval_start;
        rows[i].nvalues = 0;
        revs[i] = 0;
    }
    sqlite3_bind_int64(v, 1, p[0].queue_id);
    sqlite3_bind_int64(v, 2, p[0].interval_start);
    sqlite3_bind_int64(v, 3, p[n - 1].interval_start);
    size_t i = 0;
    while ((r = sqlite3_step(v)) == SQLITE_ROW) {
        int64_t at = sqlite3_column_int64(v, 0);
        while (i < n && p[i].interval_start < at) {
            i++;
        }
        if (i == n) {
            break;
        }
        struct upload_row *row = &rows[i];
        if (p[i].interval_start != at || row->nvalues >= UPLOAD_MAX_VALUES) {
            continue; /* an interval between the pairs */
        }
        store_column_text(v, 1, row->values[row->nvalues].key, sizeof(row->values[0].key));
        row->values[row->nvalues].value = sqlite3_column_double(v, 2);
        row->nvalues++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(v);
    sqlite3_bind_int64(rv, 1, p[0].target_id);
    sqlite3_bind_int64(rv, 2, p[0].queue_id);
    sqlite3_bind_int64(rv, 3, p[0].interval_start);
    sqlite3_bind_int64(rv, 4, p[n - 1].interval_start);
    i = 0;
    while (rc == ACDL_OK && (r = sqlite3_step(rv)) == SQLITE_ROW) {
        int64_t at = sqlite3_column_int64(rv, 0);
        while (i < n && p[i].interval_start < at) {
            i++;
        }
        if (i == n) {
            break;
        }
        if (p[i].interval_start == at) {
            revs[i] = sqlite3_column_int64(rv, 1);
        }
    }
    if (rc == ACDL_OK && r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(rv);
    return rc;
}

/* The batch id: SHA-256 over the target and every row with its revision. The text is made
 * without printf (the same bytes as "%s\t%lld\t%lld" and "\t%s=%.17g"): formatting the
 * values took a fifth of packing the queued intervals. */
static void batch_key(int64_t target_id, const struct upload_row *rows, const int64_t *revs,
                      size_t n, char key[65])
{
    unsigned char md[32];
    /* a row: its identifier, two numbers (21 bytes at most) and per value a key and a number
     * (40), with their separators */
    size_t cap = 64, len = 0;
    for (size_t i = 0; i < n; i++) {
        cap += strnlen(rows[i].queue_identifier, sizeof(rows[i].queue_identifier)) + 2 * 21 + 3;
        for (int k = 0; k < rows[i].nvalues && k < UPLOAD_MAX_VALUES; k++) {
            cap += strnlen(rows[i].values[k].key, sizeof(rows[i].values[k].key)) + 40 + 2;
        }
    }
    char *buf = malloc(cap);
    if (!buf) {
        memset(key, '0', 64);
        key[64] = '\0';
        return;
    }
    len += (size_t)snprintf(buf, cap, "acdlink-batch-v1\ntarget %lld\n", (long long)target_id);
    for (size_t i = 0; i < n; i++) {
        const struct upload_row *r = &rows[i];
        size_t l = strnlen(r->queue_identifier, sizeof(r->queue_identifier) - 1);
        memcpy(buf + len, r->queue_identifier, l);
        len += l;
        buf[len++] = '\t';
        len += jsonw_fmt_int(buf + len, r->interval_start);
        buf[len++] = '\t';
        len += jsonw_fmt_int(buf + len, revs[i]);
        for (int k = 0; k < r->nvalues && k < UPLOAD_MAX_VALUES; k++) {
            buf[len++] = '\t';
            l = strnlen(r->values[k].key, sizeof(r->values[k].key) - 1);
            memcpy(buf + len, r->values[k].key, l);
            len += l;
            buf[len++] = '=';
            len += jsonw_fmt_g17(buf + len, r->values[k].value);
        }
        buf[len++] = '\n';
    }
    crypto_sha256(buf, len, md);
    free(buf);
    for (int i = 0; i < 32; i++) {
        snprintf(key + 2 * i, 3, "%02x", md[i]);
    }
}

static int insert_batch(struct store_conn *c, const struct upload_target *t,
                        const struct upload_connector *con, const struct upload_row *rows,
                        const int64_t *revs, size_t n, int64_t resend_id, int64_t now, int *made)
{
    char key[65];
    struct upload_payload p;
    memset(&p, 0, sizeof(p));
    batch_key(t->id, rows, revs, n, key);
    int rc = con->build(t, rows, n, key, &p);
    if (rc != ACDL_OK) {
        log_error("upload", "target %lld: building a batch of %zu intervals failed: %s",
                  (long long)t->id, n, acdl_strerror(rc));
        return rc;
    }
    int64_t first = rows[0].interval_start, last = rows[0].interval_start;
    for (size_t i = 1; i < n; i++) {
        first = rows[i].interval_start < first ? rows[i].interval_start : first;
        last = rows[i].interval_start > last ? rows[i].interval_start : last;
    }
    sqlite3_stmt *st = store_prepare(
        c, "INSERT INTO batches (target_id, batch_key, kind, endpoint, content_type, body, "
           "items, first_interval, last_interval, state, next_attempt_at, created_at, "
           "updated_at, resend_id) VALUES (?1, ?2, 'intervals', ?3, ?4, ?5, ?6, ?7, ?8, "
           "'pending', ?9, ?9, ?9, ?10) ON CONFLICT (target_id, batch_key) DO NOTHING");
    if (!st) {
        upload_payload_clear(&p);
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, t->id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p.endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p.content_type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, p.body, (int)p.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)n);
    sqlite3_bind_int64(st, 7, first);
    sqlite3_bind_int64(st, 8, last);
    sqlite3_bind_int64(st, 9, now);
    if (resend_id > 0) {
        sqlite3_bind_int64(st, 10, resend_id);
    }
    rc = sqlite3_step(st) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) > 0 && made) {
        (*made)++;
    }
    store_done(st);
    upload_payload_clear(&p);
    return rc;
}

/* Packs the pairs of one target and resend, pairs[0..n), into batches. */
static int flush_target(struct store_conn *c, const struct pair *pairs, size_t n, int64_t now,
                        int *made)
{
    struct store_target st;
    struct upload_target t;
    struct qcache qc;
    int rc = store_target_get(c, pairs[0].target_id, &st);
    if (rc != ACDL_OK) {
        return rc == ACDL_ENOTFOUND ? ACDL_OK : rc;
    }
    memset(&t, 0, sizeof(t));
    t.id = st.id;
    snprintf(t.name, sizeof(t.name), "%s", st.name);
    snprintf(t.connector, sizeof(t.connector), "%s", st.connector);
    t.settings = json_loads(st.settings, 0, NULL);
    store_target_clear(&st);
    const struct upload_connector *con = upload_connector_find(t.connector);
    if (!con || !t.settings) {
        json_decref(t.settings);
        return ACDL_EINVAL;
    }
    size_t max = (size_t)con->max_rows(t.settings);
    /* a batch never holds more rows than there are pairs: no rows (1.6 KB each) of a whole
     * batch are allocated and touched for a few queued intervals */
    size_t room = n < max ? n : max;
    struct upload_row *rows = malloc(room * sizeof(*rows));
    int64_t *revs = malloc(room * sizeof(*revs));
    size_t k = 0;
    memset(&qc, 0, sizeof(qc));
    if (!rows || !revs) {
        rc = ACDL_ENOMEM;
    }
    for (size_t i = 0; i < n && rc == ACDL_OK;) {
        if (qc.id != pairs[i].queue_id) {
            rc = load_queue(c, pairs[i].queue_id, &qc);
        }
        /* the pairs read with one range: same queue, close together, room in the batch */
        size_t g = 1;
        while (i + g < n && g < max - k && g < OUTBOX_RANGE_MAX &&
               pairs[i + g].queue_id == pairs[i].queue_id &&
               pairs[i + g].interval_start - pairs[i + g - 1].interval_start <= OUTBOX_RANGE_GAP) {
            g++;
        }
        if (rc != ACDL_OK || !qc.ok) {
            i += g;
            continue;
        }
        for (size_t m = 0; m < g; m++) {
            rows[k + m] = qc.proto;
        }
        rc = load_rows(c, &pairs[i], g, &rows[k], &revs[k]);
        size_t base = k;
        for (size_t m = 0; rc == ACDL_OK && m < g; m++) {
            if (rows[base + m].nvalues > 0) { /* kept: moved down over the ones without values */
                rows[k] = rows[base + m];
                revs[k] = revs[base + m];
                k++;
            }
        }
        i += g;
        if (rc == ACDL_OK && (k == max || (i == n && k > 0))) {
            rc = insert_batch(c, &t, con, rows, revs, k, pairs[0].resend_id, now, made);
            k = 0;
        }
    }
    if (rc == ACDL_OK && k > 0) {
        rc = insert_batch(c, &t, con, rows, revs, k, pairs[0].resend_id, now, made);
    }
    free(rows);
    free(revs);
    json_decref(t.settings);
    return rc;
}

int outbox_requeue(struct store_conn *c, int64_t target_id, int64_t queue_id, int64_t lo,
                   int64_t hi, int64_t resend_id, int64_t now, int64_t *pairs)
{
    /* a new revision even for an unchanged value: the batch gets a new id and is sent */
    sqlite3_stmt *cells = store_prepare(
        c, "INSERT INTO target_cells (target_id, queue_id, value_type_id, interval_start, "
           "value, revision) SELECT t.id, r.queue_id, r.value_type_id, r.interval_start, "
           "r.value, 1 FROM results r JOIN targets t ON ?1 = 0 OR t.id = ?1 WHERE r.queue_id = "
           "?2 AND r.interval_start >= ?3 AND r.interval_start < ?4 ON CONFLICT DO UPDATE SET "
           "value = excluded.value, revision = abs(revision) + 1");
    sqlite3_stmt *q = store_prepare(
        c, "INSERT INTO outbox_cells (target_id, queue_id, interval_start, revision, queued_at, "
           "resend_id) SELECT DISTINCT t.id, r.queue_id, r.interval_start, 0, ?5, nullif(?6, 0) "
           "FROM results r JOIN targets t ON ?1 = 0 OR t.id = ?1 WHERE r.queue_id = ?2 AND "
           "r.interval_start >= ?3 AND r.interval_start < ?4 ON CONFLICT DO UPDATE SET "
           "resend_id = coalesce(excluded.resend_id, resend_id)");
    int rc = ACDL_OK;
    if (!cells || !q) {
        store_done(cells);
        store_done(q);
        return ACDL_EDB;
    }
    sqlite3_stmt *st[2] = {cells, q};
    for (int i = 0; i < 2 && rc == ACDL_OK; i++) {
        sqlite3_bind_int64(st[i], 1, target_id);
        sqlite3_bind_int64(st[i], 2, queue_id);
        sqlite3_bind_int64(st[i], 3, lo);
        sqlite3_bind_int64(st[i], 4, hi);
        if (i == 1) {
            sqlite3_bind_int64(st[i], 5, now);
            sqlite3_bind_int64(st[i], 6, resend_id);
        }
        rc = store_step_done(c, st[i], "queueing results again");
        if (rc == ACDL_OK && i == 1 && pairs) {
            *pairs += sqlite3_changes(store_db(c));
        }
    }
    if (rc != ACDL_OK) {
        store_done(cells);
        store_done(q);
    }
    return rc;
}

int outbox_flush(struct store_conn *c, int64_t now, int64_t min_age, int *made)
{
    struct pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc;
    if (made) {
        *made = 0;
    }
    if ((rc = store_begin(c)) != ACDL_OK) {
        return rc;
    }
    /* a resend's pairs make batches of their own (after the target's other pairs), so that
     * its delivery can be counted */
    sqlite3_stmt *sel = store_prepare(c, "SELECT target_id, queue_id, interval_start, "
                                         "coalesce(resend_id, 0) FROM outbox_cells WHERE "
                                         "queued_at <= ? ORDER BY target_id, coalesce(resend_id, "
                                         "0), queue_id, interval_start");
    if (!sel) {
        store_rollback(c);
        return ACDL_EDB;
    }
    sqlite3_bind_int64(sel, 1, now - min_age);
    while (rc == ACDL_OK && sqlite3_step(sel) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            struct pair *np = realloc(pairs, nc * sizeof(*pairs));
            if (!np) {
                rc = ACDL_ENOMEM;
                break;
            }
            pairs = np;
            cap = nc;
        }
        pairs[n].target_id = sqlite3_column_int64(sel, 0);
        pairs[n].queue_id = sqlite3_column_int64(sel, 1);
        pairs[n].interval_start = sqlite3_column_int64(sel, 2);
        pairs[n].resend_id = sqlite3_column_int64(sel, 3);
        n++;
    }
    store_done(sel);
    for (size_t i = 0; i < n && rc == ACDL_OK;) {
        size_t j = i;
        while (j < n && pairs[j].target_id == pairs[i].target_id &&
               pairs[j].resend_id == pairs[i].resend_id) {
            j++;
        }
        rc = flush_target(c, pairs + i, j - i, now, made);
        i = j;
    }
    if (rc == ACDL_OK && n > 0) {
        sqlite3_stmt *del = store_prepare(c, "DELETE FROM outbox_cells WHERE queued_at <= ?");
        if (!del) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(del, 1, now - min_age);
            rc = sqlite3_step(del) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
            store_done(del);
        }
    }
    free(pairs);
    if (rc != ACDL_OK) {
        store_rollback(c);
        log_error("upload", "packing queued results into batches failed: %s", acdl_strerror(rc));
        return rc;
    }
    return store_commit(c);
}

#define AGENT_DAYS_PER_BATCH 200
#define AGENT_FEED_SPANS_MAX 60000 /* spans of a feed batch beyond its first 200 days */

/* Target target_id's feed position without creating it: ACDL_ENOTFOUND for a target that has
 * none yet. */
static int cursor_peek(struct store_conn *c, int64_t target_id, int64_t *seq)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT last_seq FROM target_agent_cursors WHERE "
                                       "target_id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
}

static int cursor_get(struct store_conn *c, int64_t target_id, int64_t *seq)
{
    int rc = cursor_peek(c, target_id, seq);
    if (rc != ACDL_ENOTFOUND) {
        return rc;
    }
    /* a new target: the days that changed from its creation on, like interval results (not
     * from the uploader's first look at it, which may come after an import) */
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO target_agent_cursors (target_id, last_seq) SELECT ?1, "
           "coalesce(max(change_seq), 0) FROM agent_days WHERE changed_at < (SELECT created_at "
           "FROM targets WHERE id = ?1) RETURNING last_seq");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}

static int cursor_set(struct store_conn *c, int64_t target_id, int64_t seq)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE target_agent_cursors SET last_seq = ? WHERE "
                                       "target_id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, target_id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    return rc;
}

/* The longest line of a span in target_agent_sent: two numbers, the activity, separators and
 * the mark of a filled hole. */
#define SENT_LINE_MAX (2 * 21 + 129 + 5)

/* 1 when target t gets part days (https-json with agent_days "changes", docs/https-json.md). */
static int agent_part(const struct upload_target *t, const struct upload_connector *con)
{
    return con->agent_days_part &&
           !strcmp(settings_str(t->settings, "agent_days", "whole"), "changes");
}

/* 1 when the change feed keeps what target t last accepted of each agent day (its basis,
 * target_agent_sent): a connector that keeps spans by start, or a target getting part days. */
static int keeps_basis(const struct upload_target *t, const struct upload_connector *con)
{
    return con->agent_spans_changed_only || agent_part(t, con);
}

/* The basis of agent_id's day for target_id into *old (new; "" when none). *newer: a batch of
 * the target newer than the basis's carried the day and is not accepted (pending, being sent,
 * or refused for good); with tail the basis then counts as none (what the receiver holds is not
 * known). */
static int sent_basis(struct store_conn *c, int64_t target_id, int64_t agent_id, const char *day,
                      int tail, char **old, int *has, int *newer)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT t.spans, EXISTS (SELECT 1 FROM batches b JOIN batch_agent_sent s ON s.batch_id "
           "= b.id AND s.agent_id = t.agent_id AND s.day = t.day WHERE b.target_id = t.target_id "
           "AND b.state IN ('pending', 'sending', 'failed') AND b.id > coalesce(t.batch_id, 0)) "
           "FROM target_agent_sent t WHERE t.target_id = ? AND t.agent_id = ? AND t.day = ?");
    *old = NULL;
    *has = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    sqlite3_bind_int64(s, 2, agent_id);
    sqlite3_bind_text(s, 3, day, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    int later = r == SQLITE_ROW && sqlite3_column_int(s, 1);
    if (newer) {
        *newer = later;
    }
    if (r == SQLITE_ROW && !(tail && later)) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        *old = strdup(v ? v : "");
        *has = 1;
    } else if (r == SQLITE_ROW || r == SQLITE_DONE) {
        *old = strdup("");
    }
    store_done(s);
    if (!*old) {
        return r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_ENOMEM : ACDL_EDB;
    }
    return ACDL_OK;
}

/* The length of the line at p (with its newline). */
static size_t line_len(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? (size_t)(nl - p) + 1 : strlen(p);
}

/* A part day (tail): the lines of the basis old and of the day now (sp[0..*ns)) agree up to
 * the k-th; keeps sp[k..) in sp[0..*ns) and sets *from to the earlier of their k-th spans'
 * starts, so that the receiver keeps its spans before *from (the first k) and takes the rest.
 * *from -1 when the day is as the basis (left out), 0 when it differs from the first span on
 * (the whole day is no dearer). *keep: the bytes of the lines kept (the first k). */
static void tail_cut(const char *old, const char *now, struct upload_span *sp, int *ns,
                     int64_t *from, size_t *keep)
{
    const char *o = old, *q = now;
    int k = 0;
    while (*o && *q) {
        size_t ol = line_len(o), ql = line_len(q);
        if (ol != ql || memcmp(o, q, ol) != 0) {
            break;
        }
        o += ol;
        q += ql;
        k++;
    }
    if (!*o && !*q) {
        *from = -1;
        *ns = 0;
        return;
    }
    if (k == 0) {
        *from = 0;
        return;
    }
    int64_t f = *o ? strtoll(o, NULL, 10) : INT64_MAX;
    if (k < *ns && sp[k].start < f) {
        f = sp[k].start;
    }
    memmove(sp, sp + k, (size_t)(*ns - k) * sizeof(*sp));
    *ns -= k;
    *from = f;
    *keep = (size_t)(q - now);
}

/* Span s's line as a basis holds it ("start<TAB>end<TAB>activity", "<TAB>-" for a filled hole,
 * a newline) into out (SENT_LINE_MAX + 1 bytes, terminated); its length, 0 when the activity is
 * longer than 128 bytes (it cannot be). Made without printf: a part day formats every line of the
 * day, and printf took most of that. */
static size_t sent_line(char *out, const struct upload_span *s)
{
    size_t al = strlen(s->activity), n;
    if (al > 128) {
        return 0;
    }
    n = jsonw_fmt_int(out, s->start);
    out[n++] = '\t';
    n += jsonw_fmt_int(out + n, s->end);
    out[n++] = '\t';
    memcpy(out + n, s->activity, al);
    n += al;
    if (s->filled) {
        out[n++] = '\t';
        out[n++] = '-';
    }
    out[n++] = '\n';
    out[n] = '\0';
    return n;
}

/* A target getting part days keeps as its basis not the day's lines but their digest at a few
 * points: "#L\n" (the day has L lines), then for each point j (L, L-1 .. L-4, L-8, L-16, L-32 ..
 * while above 0, and 1) "j<TAB>start<TAB>digest\n": the start of line j + 1 (empty for j = L) and,
 * in hex, the first 16 bytes of SHA-256 over the first j lines. It stays a few hundred bytes
 * however long the day grows, so making a part, recording it and its acceptance read and write that
 * much instead of the day's lines (about 5 KB at 120 states), and acceptance copies it instead of
 * composing the day. The part starts at the last point both agree on: the first line that
 * differs when it is among the last five lines of the basis (a new state, a state ended) or the
 * second, else at most twice as many lines before the end as the exact cut. */
#define SUM_EXACT 4
#define SUM_MAX 72 /* points of any int line count */
#define SUM_LINE_MAX (11 + 1 + 21 + 1 + 32 + 1)

struct sum_point {
    int j;
    int64_t start; /* INT64_MAX: none (j is the last line) */
    unsigned char md[16];
};

/* The points of a day of n lines, in descending order, into js; their count. */
static int sum_points(int n, int *js)
{
    int k = 0;
    if (n <= 0) {
        return 0;
    }
    for (int d = 0; d <= SUM_EXACT && n - d > 0; d++) {
        js[k++] = n - d;
    }
    for (int64_t d = 2 * SUM_EXACT; n - d > 0; d *= 2) {
        js[k++] = (int)(n - d);
    }
    if (js[k - 1] > 1) { /* nothing cut nearer the start than after the first line */
        js[k++] = 1;
    }
    return k;
}

static int hex_val(int ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Reads a decimal number at *p (none: INT64_MAX when empty_ok), then sep; -1 when it is not
 * there. */
static int dec_at(const char **p, char sep, int empty_ok, int64_t *v)
{
    char *e;
    if (empty_ok && **p == sep) {
        *v = INT64_MAX;
        (*p)++;
        return 0;
    }
    *v = strtoll(*p, &e, 10);
    if (e == *p || *e != sep) {
        return -1;
    }
    *p = e + 1;
    return 0;
}

/* Reads the digest basis s ("#L\n..." as above) into *lines and pt[0..*np); -1 when malformed. */
static int sum_parse(const char *s, int *lines, struct sum_point *pt, int *np)
{
    char *e;
    long long v = strtoll(s + 1, &e, 10);
    *np = 0;
    if (s[0] != '#' || e == s + 1 || *e != '\n' || v <= 0 || v > INT32_MAX) {
        return -1;
    }
    *lines = (int)v;
    for (s = e + 1; *s && *np < SUM_MAX; (*np)++) {
        struct sum_point *p = &pt[*np];
        int64_t j;
        if (dec_at(&s, '\t', 0, &j) != 0 || j <= 0 || j > *lines ||
            dec_at(&s, '\t', 1, &p->start) != 0) {
            return -1;
        }
        p->j = (int)j;
        for (int i = 0; i < 16; i++) {
            int hi = hex_val(s[2 * i]), lo = hi < 0 ? -1 : hex_val(s[2 * i + 1]);
            if (lo < 0) {
                return -1;
            }
            p->md[i] = (unsigned char)(hi << 4 | lo);
        }
        s += 32;
        if (*s++ != '\n') {
            return -1;
        }
    }
    return *s ? -1 : 0;
}

/* The part of a day for a target getting part days (sent_diff with tail): the day's lines now
 * (sp[0..*ns)) against the basis old (has: the target holds it), as tail_cut; a basis of lines
 * (kept before the digests) is cut exactly by tail_cut. *given: the basis the batch makes when
 * accepted, the digests of the day now, "=" before them for a part (then the target must still
 * hold a basis), "" for an empty day; NULL when the day is left out. */
static int tail_diff(const char *old, int has, int changes_only, struct upload_span *sp, int *ns,
                     char **given, int64_t *from)
{
    int m = *ns, want[2 * SUM_MAX], nwant = 0, jnow[SUM_MAX], nnow = sum_points(m, jnow);
    int lines = 0, nb = 0, legacy = 0, rc = ACDL_OK;
    struct sum_point bp[SUM_MAX];
    unsigned char(*md)[16] = NULL;
    size_t *off = malloc(((size_t)m + 1) * sizeof(*off));
    char *now = malloc((size_t)m * SENT_LINE_MAX + 1);
    struct crypto_sha256_ctx *h = m > 0 ? crypto_sha256_begin() : NULL;
    *given = NULL;
    *from = 0;
    if (!off || !now || (m > 0 && !h)) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    off[0] = 0;
    now[0] = '\0';
    for (int k = 0; k < m; k++) {
        size_t w = sent_line(now + off[k], &sp[k]);
        if (w == 0) {
            rc = ACDL_EINVAL;
            goto out;
        }
        off[k + 1] = off[k] + w;
    }
    if (changes_only && has && old[0] == '#') {
        if (sum_parse(old, &lines, bp, &nb) != 0) {
            nb = 0; /* not readable: the day goes whole */
        }
    } else if (changes_only && has && old[0]) {
        legacy = 1;
    }
    /* the points digested, ascending: the day's own and the basis's within it */
    for (int i = nnow; i-- > 0;) {
        want[nwant++] = jnow[i];
    }
    for (int i = 0; i < nb; i++) {
        if (bp[i].j <= m) {
            want[nwant++] = bp[i].j;
        }
    }
    for (int i = 1; i < nwant; i++) { /* a few dozen at most */
        for (int k = i; k > 0 && want[k - 1] > want[k]; k--) {
            int t = want[k];
            want[k] = want[k - 1];
            want[k - 1] = t;
        }
    }
    md = nwant ? malloc((size_t)nwant * sizeof(*md)) : NULL;
    if (nwant && !md) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    for (int i = 0, at = 0; i < nwant; i++) {
        unsigned char full[32];
        crypto_sha256_add(h, now + off[at], off[want[i]] - off[at]);
        at = want[i];
        if (crypto_sha256_peek(h, full) != ACDL_OK) {
            rc = ACDL_ECRYPTO;
            goto out;
        }
        memcpy(md[i], full, 16);
    }
    /* where the part starts */
    if (legacy) {
        size_t keep = 0;
        tail_cut(old, now, sp, ns, from, &keep);
    } else {
        for (int i = 0; i < nb; i++) {
            int w = 0;
            while (w < nwant && want[w] != bp[i].j) {
                w++;
            }
            if (w == nwant || memcmp(md[w], bp[i].md, 16) != 0) {
                continue;
            }
            int k = bp[i].j;
            if (k == lines && k == m) {
                *from = -1; /* as the target holds it */
                *ns = 0;
            } else {
                int64_t f = bp[i].start;
                if (k < m && sp[k].start < f) {
                    f = sp[k].start;
                }
                memmove(sp, sp + k, (size_t)(m - k) * sizeof(*sp));
                *ns = m - k;
                *from = f;
            }
            break;
        }
    }
    if (*from < 0) {
        goto out;
    }
    /* the basis it makes: the day now's digests */
    *given = malloc(2 + 12 + (size_t)nnow * SUM_LINE_MAX + 1);
    if (!*given) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    char *g = *given;
    if (m > 0) {
        if (*from > 0) {
            *g++ = '=';
        }
        *g++ = '#';
        g += jsonw_fmt_int(g, m);
        *g++ = '\n';
    }
    for (int i = 0; i < nnow; i++) {
        int w = 0, j = jnow[i];
        while (want[w] != j) {
            w++;
        }
        g += jsonw_fmt_int(g, j);
        *g++ = '\t';
        if (j < m) {
            g += jsonw_fmt_int(g, strtoll(now + off[j], NULL, 10));
        }
        *g++ = '\t';
        for (int b = 0; b < 16; b++) {
            *g++ = "0123456789abcdef"[md[w][b] >> 4];
            *g++ = "0123456789abcdef"[md[w][b] & 15];
        }
        *g++ = '\n';
    }
    *g = '\0';
out:
    crypto_sha256_end(h);
    free(md);
    free(off);
    free(now);
    return rc;
}

/* The basis of a part-day target by parts (schema 0040 keeps each part's state, so a batch finds
 * what the receiver holds without reading or formatting the lines before it): "@G<TAB>L<TAB>D\n"
 * (G: the digest of the activities' identifiers and the agent's, agent_results_acts_digest;
 * L: the day's spans; D: the day's digest, the state after all of them), then for some of the
 * day's parts after the first (the last six and those 8, 16, 32 .. parts before the last)
 * "j<TAB>start<TAB>state\n": the spans before the part, its first start and the digest's state
 * after those spans; then "~j\n" (j: the spans before the day's last part) and points within
 * that part, "+i<TAB>start<TAB>state\n" for i of its lines (the last five, then 8, 16 .. before
 * its end, and 1; start empty after its last line): the start of line i + 1 and an FNV-1a state
 * continued from the part's over its first i lines as sent. Digests in hex. A day's lines are
 * its spans formatted with the activities' identifiers, so with G equal and a state equal at j
 * the receiver holds the lines of the day now before its span j, and with one equal within
 * the last part those before its line i too. */
#define PART_KEEP_LAST 6

/* Reads a hex number of 16 digits at *p, then the separator sep; -1 when it is not there. */
static int hex64_at(const char **p, char sep, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 16; i++) {
        int d = hex_val((*p)[i]);
        if (d < 0) {
            return -1;
        }
        x = x << 4 | (uint64_t)d;
    }
    if ((*p)[16] != sep) {
        return -1;
    }
    *v = x;
    *p += 17;
    return 0;
}

static char *hex64_put(char *g, uint64_t v)
{
    for (int i = 15; i >= 0; i--) {
        g[i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    }
    return g + 16;
}

/* What a part day of a part-day target is planned from (part_plan, part_cut). */
struct part_plan {
    struct agent_part_state *ps; /* the day's parts' states */
    int np, nspans;
    uint64_t gen, dig;
    int part;     /* the first part read and given */
    int64_t from; /* the part day's from; 0: whole, -1: left out */
    int in_last;  /* the match is at the day's last part, whose points the basis holds */
    int nin;      /* those points */
    struct {
        int64_t i, start;
        uint64_t st;
    } in[SUM_MAX];
};

/* Where the part day of ch for a part-day target begins, by the parts' states against the
 * basis (above): p->part the first part of the list to read, p->from (0: the whole day, -1: as
 * the receiver holds it, left out). The part is the last one whose first span's count is at
 * most the basis's span count and whose state the basis holds, or the basis's end where a part
 * begins there; from the earlier of the two days' starts there (part_cut may cut further in
 * the last part). ACDL_ENOTFOUND when the day's parts carry no state (written before 0040) or
 * the day is longer than a batch gives: then tail_diff does it from the lines. */
static int part_plan(struct store_conn *c, int64_t target_id, uint64_t gen,
                     const struct agent_day_change *ch, int changes_only, struct part_plan *p)
{
    int has = 0;
    char *old = NULL;
    memset(p, 0, sizeof(*p));
    p->gen = gen;
    int rc = agent_results_day_parts(c, ch->agent_id, ch->day, &p->ps, &p->np, &p->nspans, &p->dig);
    if (rc == ACDL_OK && p->nspans > 5000) {
        rc = ACDL_ENOTFOUND;
    }
    if (rc == ACDL_OK) {
        rc = sent_basis(c, target_id, ch->agent_id, ch->day, 1, &old, &has, NULL);
    }
    if (rc != ACDL_OK || p->nspans == 0) {
        goto out;
    }
    const char *b = old;
    uint64_t bgen, bdig;
    int64_t lines;
    if (!changes_only || !has || *b++ != '@' || hex64_at(&b, '\t', &bgen) != 0 || bgen != gen ||
        dec_at(&b, '\t', 0, &lines) != 0 || hex64_at(&b, '\n', &bdig) != 0) {
        goto out;
    }
    if (lines == p->nspans && bdig == p->dig) {
        p->from = -1;
        goto out;
    }
    /* the basis's end (no span after it), then its points; the last part that matches */
    int64_t j = lines, start = INT64_MAX, j0 = -1;
    uint64_t st = bdig;
    int best = -1;
    for (;;) {
        for (int k = p->np; k-- > 1;) {
            if (p->ps[k].spans_before < j) {
                break;
            }
            if (p->ps[k].spans_before == j && p->ps[k].digest_before == st && k > best) {
                best = k;
                p->from = p->ps[k].first_start < start ? p->ps[k].first_start : start;
                p->part = p->ps[k].part;
            }
        }
        if (!*b || *b == '~' || dec_at(&b, '\t', 0, &j) != 0 || dec_at(&b, '\t', 1, &start) != 0 ||
            hex64_at(&b, '\n', &st) != 0 || j <= 0 || j > lines) {
            break;
        }
    }
    if (best < 0 && p->np > 0) { /* the first part begins the day: its state is always held */
        best = 0;
        p->part = p->ps[0].part;
    }
    /* the points within the basis's last part, when the match is at that part */
    if (*b == '~' && (b++, dec_at(&b, '\n', 0, &j0) == 0) && best == p->np - 1 &&
        p->ps[best].spans_before == j0) {
        p->in_last = 1;
        while (*b == '+' && p->nin < SUM_MAX) {
            b++;
            if (dec_at(&b, '\t', 0, &p->in[p->nin].i) != 0 ||
                dec_at(&b, '\t', 1, &p->in[p->nin].start) != 0 ||
                hex64_at(&b, '\n', &p->in[p->nin].st) != 0) {
                p->nin = 0;
                break;
            }
            p->nin++;
        }
    }
out:
    free(old);
    if (rc != ACDL_OK) {
        free(p->ps);
        p->ps = NULL;
    }
    return rc;
}

/* FNV-1a of h continued over span s's line as sent. */
static uint64_t part_line_state(uint64_t h, const struct agent_span_ref *r)
{
    char line[SENT_LINE_MAX + 1];
    struct upload_span u = {r->start, r->end, r->activity, r->source_id == 0};
    size_t n = sent_line(line, &u);
    for (size_t k = 0; k < n; k++) {
        h = (h ^ (unsigned char)line[k]) * 1099511628211ull;
    }
    return h;
}

/* The part day planned by p, its lines r[0..n) read from p->part on, of which the day's last
 * part's are r[nlast_at..n): *skip the lines the receiver holds (cut within the last part at
 * the last point the basis holds there and the day now agrees on), p->from moved to the cut,
 * and *given the basis the batch makes ("=" before it for a part, "" for an empty day). */
static int part_cut(struct part_plan *p, const struct agent_span_ref *r, size_t n, size_t last_at,
                    size_t *skip, char **given)
{
    size_t nl = n - last_at;
    int js[SUM_MAX], nj = sum_points((int)nl, js);
    uint64_t st[SUM_MAX];
    *skip = 0;
    *given = NULL;
    if (p->nspans == 0) {
        *given = strdup("");
        return *given ? ACDL_OK : ACDL_ENOMEM;
    }
    uint64_t h = p->np > 0 ? p->ps[p->np - 1].digest_before : 0;
    for (int q = nj, i = 0; q-- > 0;) { /* js descending: walk it backwards */
        for (; i < js[q]; i++) {
            h = part_line_state(h, &r[last_at + (size_t)i]);
        }
        st[q] = h;
    }
    if (p->in_last) {
        int64_t bi = 0, bstart = INT64_MAX;
        for (int k = 0; k < p->nin; k++) {
            for (int q = 0; q < nj; q++) {
                if (js[q] == p->in[k].i && st[q] == p->in[k].st && p->in[k].i > bi) {
                    bi = p->in[k].i;
                    bstart = p->in[k].start;
                }
            }
        }
        if (bi > 0) {
            int64_t f = (size_t)bi < nl ? r[last_at + (size_t)bi].start : INT64_MAX;
            p->from = f < bstart ? f : bstart;
            *skip = last_at + (size_t)bi;
        }
    }
    char *g = *given = malloc(2 + 3 * 17 + 12 + (size_t)(p->np + nj + 1) * (22 + 21 + 17 + 3) + 1);
    if (!g) {
        return ACDL_ENOMEM;
    }
    if (p->from > 0) {
        *g++ = '=';
    }
    *g++ = '@';
    g = hex64_put(g, p->gen);
    *g++ = '\t';
    g += jsonw_fmt_int(g, p->nspans);
    *g++ = '\t';
    g = hex64_put(g, p->dig);
    *g++ = '\n';
    for (int k = p->np; k-- > 1;) {
        int d = p->np - 1 - k;
        if (d >= PART_KEEP_LAST && (d & (d - 1)) != 0) {
            continue;
        }
        g += jsonw_fmt_int(g, p->ps[k].spans_before);
        *g++ = '\t';
        g += jsonw_fmt_int(g, p->ps[k].first_start);
        *g++ = '\t';
        g = hex64_put(g, p->ps[k].digest_before);
        *g++ = '\n';
    }
    *g++ = '~';
    g += jsonw_fmt_int(g, p->np > 0 ? p->ps[p->np - 1].spans_before : 0);
    *g++ = '\n';
    for (int q = 0; q < nj; q++) {
        *g++ = '+';
        g += jsonw_fmt_int(g, js[q]);
        *g++ = '\t';
        if ((size_t)js[q] < nl) {
            g += jsonw_fmt_int(g, r[last_at + (size_t)js[q]].start);
        }
        *g++ = '\t';
        g = hex64_put(g, st[q]);
        *g++ = '\n';
    }
    *g = '\0';
    return ACDL_OK;
}

/* For a target getting part days (https-json with agent_days "changes"): the spans of
 * agent_id's day as they are given to target_id now, filled holes too, and with changes_only a
 * part day when the target holds its basis (tail_diff; *from); *given the digests of the day
 * (see sum_points), NULL when the day is left out. The basis moves on only when the batch is
 * accepted (store_batch_finish). Inside a transaction. */
static int sent_diff(struct store_conn *c, int64_t target_id, int64_t agent_id, const char *day,
                     struct upload_span *sp, int *ns, int changes_only, char **given, int64_t *from)
{
    char *old = NULL;
    int has = 0;
    int rc = sent_basis(c, target_id, agent_id, day, 1, &old, &has, NULL);
    *given = NULL;
    *from = 0;
    if (rc == ACDL_OK) {
        rc = tail_diff(old, has, changes_only, sp, ns, given, from);
    }
    free(old);
    return rc;
}

/* A target that keeps spans by start (injixo-api, agent_spans_changed_only) keeps as its basis
 * the lines of the day it last accepted, "start<TAB>end<TAB>activity\n" in start order (end 0
 * while a span goes on, filled holes not given), and after them, when the day's parts carry
 * their state (schema 0040), a trailer: "@G<TAB>L<TAB>D\n" (G, L, D as in the basis by parts
 * above), then for each part of the day after the first "^j<TAB>state<TAB>off\n": the day's
 * spans before the part, the digest's state after them (hex) and the bytes of the lines before
 * the part. With G and a state equal at j the basis's lines before off are the day's lines
 * before its span j, so no span there differs: a change reads the parts' states, then only the
 * parts from the last one whose state the trailer holds (or that begins at the basis's end) and
 * compares their lines with the basis's from off on. The spans given are the same as those a
 * comparison of the whole day finds. A day whose parts carry no state (written before 0040) or
 * that is longer than a batch reads (5,000 spans) has lines without a trailer and is read whole,
 * as is a day whose basis is unknown, of another generation (a rename) or none. */
#define KEEP_SPANS_MAX 5000

struct keep_plan {
    struct agent_part_state *ps; /* the day's parts' states (NULL: none known) */
    int np, nspans;
    int usable; /* the day gets a trailer */
    int same;   /* the day is as the basis: nothing read, nothing given */
    int newer;  /* a batch not accepted, newer than the basis's, carried the day */
    uint64_t gen, dig;
    char *old;       /* the basis ("" when none) */
    size_t lines;    /* the bytes of its lines */
    const char *pts; /* its points within old (NULL: none usable) */
    int k;           /* the first part read, an index of ps (0: the whole day) */
    size_t off;      /* the bytes of the basis's lines before ps[k] */
};

static void keep_plan_clear(struct keep_plan *p)
{
    free(p->ps);
    free(p->old);
    memset(p, 0, sizeof(*p));
}

/* Where the comparison of ch's day for target_id begins (above): p->k and p->off, or p->same.
 * Reads the parts' states and the basis, none of the day's lists. */
static int keep_plan(struct store_conn *c, int64_t target_id, uint64_t gen,
                     const struct agent_day_change *ch, int changes_only, struct keep_plan *p)
{
    int has = 0;
    memset(p, 0, sizeof(*p));
    p->gen = gen;
    int rc = agent_results_day_parts(c, ch->agent_id, ch->day, &p->ps, &p->np, &p->nspans, &p->dig);
    p->usable = rc == ACDL_OK && p->nspans <= KEEP_SPANS_MAX;
    if (rc == ACDL_ENOTFOUND) {
        rc = ACDL_OK;
    }
    if (rc == ACDL_OK) {
        rc = sent_basis(c, target_id, ch->agent_id, ch->day, 0, &p->old, &has, &p->newer);
    }
    if (rc != ACDL_OK) {
        return rc;
    }
    /* the trailer: the line beginning with '@' (a line of a span begins with a digit) */
    const char *o = p->old;
    size_t t = strlen(o);
    while (t > 0 && !(o[t] == '@' && o[t - 1] == '\n')) {
        t--;
    }
    p->lines = o[t] == '@' ? t : strlen(o);
    const char *b = o + p->lines;
    uint64_t bgen, bdig;
    int64_t lines;
    if (!changes_only || !has || !p->usable || *b++ != '@' || hex64_at(&b, '\t', &bgen) != 0 ||
        bgen != gen || dec_at(&b, '\t', 0, &lines) != 0 || hex64_at(&b, '\n', &bdig) != 0) {
        return ACDL_OK; /* the whole day */
    }
    if (lines == p->nspans && bdig == p->dig) {
        p->same = 1;
        return ACDL_OK;
    }
    /* the basis's end, then its points: the last part that begins at one */
    p->pts = b;
    int64_t j = lines, off = (int64_t)p->lines;
    uint64_t st = bdig;
    for (;;) {
        for (int k = p->np; k-- > p->k + 1;) {
            if (p->ps[k].spans_before == j && p->ps[k].digest_before == st) {
                p->k = k;
                p->off = (size_t)off;
                break;
            }
        }
        if (*b != '^') {
            break;
        }
        b++;
        if (dec_at(&b, '\t', 0, &j) != 0 || hex64_at(&b, '\t', &st) != 0 ||
            dec_at(&b, '\n', 0, &off) != 0 || j <= 0 || j > lines || off < 0 ||
            off > (int64_t)p->lines) {
            p->k = 0; /* not readable: the whole day */
            p->off = 0;
            p->pts = NULL;
            break;
        }
    }
    return rc;
}

/* The spans sp[0..*ns) of the day planned by p, read from part p->k on (the whole day with k
 * 0), kept in sp only where their line differs from the basis's (all of them without
 * changes_only: a resend), and into *given the basis the batch makes: NULL when it is the
 * basis, "=off\n" and the lines from the part on with the trailer when the basis at acceptance
 * still begins with the off bytes (store_batch_finish), else the day's lines whole with it. */
static int keep_diff(const struct keep_plan *p, struct upload_span *sp, int *ns, int changes_only,
                     char **given)
{
    size_t len = 0, ptslen = 0;
    int kept = 0, rc = ACDL_OK, next = p->k + 1;
    int64_t jk = p->k > 0 ? p->ps[p->k].spans_before : 0;
    *given = NULL;
    if (p->usable && p->k > 0 && p->pts) { /* the basis's points before the part stay */
        for (const char *q = p->pts; *q == '^' && strtoll(q + 1, NULL, 10) < jk; q += line_len(q)) {
            ptslen = (size_t)(q + line_len(q) - p->pts);
        }
    }
    size_t *poff = p->np > 0 ? calloc((size_t)p->np, sizeof(*poff)) : NULL;
    char *now = malloc((size_t)*ns * SENT_LINE_MAX + ptslen + (size_t)(p->np + 1) * 64 + 1);
    if (!now || (p->np > 0 && !poff)) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    now[0] = '\0';
    /* both lists are in start order: one walk through the basis's lines finds each span's */
    const char *o = p->old + p->off, *oend = p->old + p->lines;
    for (int k = 0; k < *ns; k++) {
        int changed = 1;
        while (next < p->np && sp[k].start >= p->ps[next].first_start) {
            poff[next++] = p->off + len;
        }
        if (sp[k].filled) {
            continue;
        }
        size_t w = sent_line(now + len, &sp[k]);
        if (w == 0) {
            rc = ACDL_EINVAL;
            goto out;
        }
        const char *line = now + len;
        len += w;
        while (o < oend && strtoll(o, NULL, 10) < sp[k].start) {
            o += line_len(o);
        }
        if (o < oend) {
            size_t ol = line_len(o);
            changed = ol != w || memcmp(o, line, ol) != 0;
        }
        if (changed || !changes_only) {
            sp[kept++] = sp[k];
        }
    }
    while (next < p->np) {
        poff[next++] = p->off + len;
    }
    *ns = kept;
    if (p->usable && p->nspans > 0) { /* the trailer */
        char *g = now + len;
        *g++ = '@';
        g = hex64_put(g, p->gen);
        *g++ = '\t';
        g += jsonw_fmt_int(g, p->nspans);
        *g++ = '\t';
        g = hex64_put(g, p->dig);
        *g++ = '\n';
        memcpy(g, p->pts ? p->pts : "", ptslen);
        g += ptslen;
        for (int k = p->k > 1 ? p->k : 1; k < p->np; k++) {
            *g++ = '^';
            g += jsonw_fmt_int(g, p->ps[k].spans_before);
            *g++ = '\t';
            g = hex64_put(g, p->ps[k].digest_before);
            *g++ = '\t';
            g += jsonw_fmt_int(g, k == p->k ? (int64_t)p->off : (int64_t)poff[k]);
            *g++ = '\n';
        }
        *g = '\0';
        len = (size_t)(g - now);
    }
    if (strcmp(p->old + p->off, now) == 0) {
        goto out; /* as the basis */
    }
    if (p->off > 0) {
        size_t head = p->newer ? p->off : 0;
        char *g = malloc(head + 24 + len + 1);
        if (!g) {
            rc = ACDL_ENOMEM;
            goto out;
        }
        size_t n = head;
        if (p->newer) {
            memcpy(g, p->old, head);
        } else {
            g[n++] = '=';
            n += jsonw_fmt_int(g + n, (int64_t)p->off);
            g[n++] = '\n';
        }
        memcpy(g + n, now, len + 1);
        *given = g;
    } else {
        *given = now;
        now = NULL;
    }
out:
    free(poff);
    free(now);
    return rc;
}

/* Records the spans given[i] of the agent days ch[0..n) as carried by batch_id (NULL entries:
 * the basis's); they become the target's basis when the batch is accepted. Inside a
 * transaction. */
static int sent_record(struct store_conn *c, int64_t batch_id, const struct agent_day_change *ch,
                       char *const *given, int n)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO batch_agent_sent (batch_id, agent_id, day, "
                                       "spans) VALUES (?, ?, ?, ?)");
    int rc = s ? ACDL_OK : ACDL_EDB;
    for (int i = 0; s && i < n && rc == ACDL_OK; i++) {
        if (!given[i]) {
            continue;
        }
        sqlite3_bind_int64(s, 1, batch_id);
        sqlite3_bind_int64(s, 2, ch[i].agent_id);
        sqlite3_bind_text(s, 3, ch[i].day, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, given[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        sqlite3_reset(s);
    }
    store_done(s);
    return rc;
}

/* A batch of agent days made but not yet written: its id, payload (built 0: nothing to send)
 * and, for a connector that keeps a basis, the spans given per day (NULL: the basis's). */
struct agents_made {
    char key[65];
    struct upload_payload p;
    int built, n;
    char **given;
};

static void agents_made_clear(struct agents_made *m)
{
    for (int i = 0; m->given && i < m->n; i++) {
        free(m->given[i]);
    }
    free(m->given);
    upload_payload_clear(&m->p);
    memset(m, 0, sizeof(*m));
}

/* Makes the batch of the agent days ch[0..n) for target t into *m (their spans as they are
 * now, or only those that changed for a connector that keeps spans by start and changes_only),
 * marked with resend_id (0: the change feed). max_spans > 0: the batch ends after the first
 * day at which the spans it carries reach max_spans (m->n says how many days it holds), so that
 * long days (a whole day of a thousand states each) make a body of bounded size. Only reads:
 * inside a read or write transaction. */
static int agents_make(struct store_conn *c, const struct upload_target *t,
                       const struct upload_connector *con, const struct agent_day_change *ch, int n,
                       int64_t resend_id, int changes_only, size_t max_spans, struct agents_made *m)
{
    struct upload_agent_day *days = calloc((size_t)n, sizeof(*days));
    /* every day's spans in one array (mapped on its own once it is large and given back in
     * one piece), not a block per day left between the batch's other blocks in the arenas */
    size_t *first = calloc((size_t)n, sizeof(*first));
    struct upload_span *all = NULL;
    struct agent_span_ref *refs = NULL;
    size_t nall = 0, capall = 0, caprefs = 0;
    size_t cap = 256 + (size_t)n * 80, len = 0;
    char *hash = malloc(cap);
    struct agent_acts *acts = NULL;
    int rc = ACDL_OK;
    memset(m, 0, sizeof(*m));
    m->n = n;
    m->given = calloc((size_t)n, sizeof(*m->given));
    if (!days || !first || !m->given || !hash) {
        rc = ACDL_ENOMEM;
    }
    if (rc == ACDL_OK) { /* once for all the days */
        rc = agent_results_acts(c, &acts);
    }
    if (hash) {
        len += (size_t)snprintf(hash, cap, "acdlink-agents-v1\ntarget %lld\n", (long long)t->id);
        if (resend_id > 0) { /* the same days sent again make another batch */
            len += (size_t)snprintf(hash + len, cap - len, "resend %lld\n", (long long)resend_id);
        }
        if (agent_part(t, con)) { /* a part day is other content than the whole day */
            len += (size_t)snprintf(hash + len, cap - len, "part\n");
        }
    }
    uint64_t acts_gen = acts ? agent_results_acts_digest(acts) : 0;
    for (int i = 0; i < n && rc == ACDL_OK; i++) {
        size_t nref = 0;
        int part = 0, planned = 0;
        /* both fields are as long as ch's (terminated there) */
        memcpy(days[i].agent, ch[i].agent, sizeof(days[i].agent));
        memcpy(days[i].day, ch[i].day, sizeof(days[i].day));
        struct part_plan plan;
        struct keep_plan kp;
        size_t skip = 0;
        uint64_t gen = acts_gen;
        for (const char *a = ch[i].agent; *a; a++) {
            gen = (gen ^ (unsigned char)*a) * 1099511628211ull;
        }
        memset(&plan, 0, sizeof(plan));
        memset(&kp, 0, sizeof(kp));
        if (con->agent_spans_changed_only) { /* the part the comparison begins at */
            rc = keep_plan(c, t->id, gen, &ch[i], changes_only, &kp);
            part = kp.k > 0 ? kp.ps[kp.k].part : 0;
        }
        if (agent_part(t, con)) { /* where the part begins, from the parts' states */
            rc = part_plan(c, t->id, gen, &ch[i], changes_only, &plan);
            planned = rc == ACDL_OK;
            rc = rc == ACDL_ENOTFOUND ? ACDL_OK : rc;
            part = plan.part;
            days[i].from = plan.from;
        }
        /* the day's spans (from the part on) read in place into refs (one buffer for the
         * batch), their names pointing into acts; with a plan the last part's apart */
        if (rc == ACDL_OK && !(planned && plan.from < 0) && !kp.same) {
            int last = planned && plan.np > 0 ? plan.ps[plan.np - 1].part : -1;
            size_t last_at = 0;
            rc = agent_results_day_spans_from(c, acts, ch[i].agent_id, ch[i].day, part,
                                              last >= 0 ? last - 1 : INT_MAX, 5000, &refs, &caprefs,
                                              &nref);
            last_at = nref;
            if (rc == ACDL_OK && last >= 0) {
                rc = agent_results_day_spans_from(c, acts, ch[i].agent_id, ch[i].day,
                                                  last > part ? last : part, INT_MAX, 5000, &refs,
                                                  &caprefs, &nref);
            }
            if (rc == ACDL_OK && planned) {
                rc = part_cut(&plan, refs, nref, last_at, &skip, &m->given[i]);
                days[i].from = plan.from;
            }
        }
        free(plan.ps);
        if (skip > 0) {
            memmove(refs, refs + skip, (nref - skip) * sizeof(*refs));
            nref -= skip;
        }
        if (rc == ACDL_OK && nref > 0 && nall + nref > capall) {
            size_t want = capall ? capall * 2 : 1024;
            while (want < nall + nref) {
                want *= 2;
            }
            struct upload_span *grown = realloc(all, want * sizeof(*all));
            if (!grown) {
                rc = ACDL_ENOMEM;
            } else {
                all = grown;
                capall = want;
            }
        }
        if (rc == ACDL_OK && nref > 0) {
            struct upload_span *h = all + nall;
            for (size_t k = 0; k < nref; k++) {
                h[k].start = refs[k].start;
                h[k].end = refs[k].end;
                h[k].filled = refs[k].source_id == 0;
                h[k].activity = refs[k].activity;
            }
            first[i] = nall;
            days[i].nspans = (int)nref;
            nall += nref;
        }
        if (rc == ACDL_OK && con->agent_spans_changed_only && !kp.same) {
            rc = keep_diff(&kp, days[i].nspans ? all + first[i] : NULL, &days[i].nspans,
                           changes_only, &m->given[i]);
        } else if (rc == ACDL_OK && keeps_basis(t, con) && !planned && !kp.same) {
            rc = sent_diff(c, t->id, ch[i].agent_id, ch[i].day,
                           days[i].nspans ? all + first[i] : NULL, &days[i].nspans, changes_only,
                           &m->given[i], &days[i].from);
        }
        keep_plan_clear(&kp);
        if (hash && len + 21 + 1 + sizeof(ch[i].day) + 21 + 1 <= cap) { /* "%lld\t%s\t%lld\n" */
            size_t dl = strnlen(ch[i].day, sizeof(ch[i].day) - 1);
            len += jsonw_fmt_int(hash + len, ch[i].agent_id);
            hash[len++] = '\t';
            memcpy(hash + len, ch[i].day, dl);
            len += dl;
            hash[len++] = '\t';
            len += jsonw_fmt_int(hash + len, ch[i].change_seq);
            hash[len++] = '\n';
        }
        if (max_spans > 0 && nall >= max_spans && i + 1 < n) { /* the rest in the next batch */
            n = m->n = i + 1;
        }
    }
    for (int i = 0; rc == ACDL_OK && i < n; i++) { /* the array moved while it grew */
        days[i].spans = days[i].nspans ? all + first[i] : NULL;
    }
    if (rc == ACDL_OK) {
        unsigned char md[32];
        crypto_sha256(hash, len < cap ? len : cap, md);
        for (int i = 0; i < 32; i++) {
            snprintf(m->key + 2 * i, 3, "%02x", md[i]);
        }
        int b = con->build_agents(t, days, (size_t)n, m->key, &m->p);
        m->built = b == ACDL_OK;
        if (b != ACDL_OK && b != ACDL_ENOTFOUND) {
            rc = b;
        }
    }
    agent_results_acts_free(acts);
    free(refs);
    free(all);
    free(first);
    free(days);
    free(hash);
    return rc;
}

/* Writes the batch m made of the agent days ch[0..m->n) for target t. Inside a transaction. */
static int agents_put(struct store_conn *c, const struct upload_target *t,
                      const struct upload_connector *con, const struct agent_day_change *ch,
                      const struct agents_made *m, int64_t resend_id, int64_t now, int *made)
{
    if (!m->built) {
        return ACDL_OK;
    }
    sqlite3_stmt *st = store_prepare(
        c, "INSERT INTO batches (target_id, batch_key, kind, endpoint, content_type, "
           "body, items, first_interval, last_interval, state, next_attempt_at, "
           "created_at, updated_at, resend_id) VALUES (?1, ?2, 'agent_states', ?3, ?4, "
           "?5, ?6, NULL, NULL, 'pending', ?7, ?7, ?7, ?8) ON CONFLICT (target_id, "
           "batch_key) DO NOTHING RETURNING id");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, t->id);
    sqlite3_bind_text(st, 2, m->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->p.endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->p.content_type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, m->p.body, (int)m->p.len, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, m->n);
    sqlite3_bind_int64(st, 7, now);
    if (resend_id > 0) {
        sqlite3_bind_int64(st, 8, resend_id);
    }
    int r = sqlite3_step(st);
    int64_t id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int rc = r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(st);
    if (rc == ACDL_OK && id > 0 && made) {
        (*made)++;
    }
    if (rc == ACDL_OK && id > 0 && keeps_basis(t, con)) {
        rc = sent_record(c, id, ch, m->given, m->n);
    }
    return rc;
}

/* One batch of the agent days ch[0..n) for target t (see agents_make), marked with resend_id
 * (0: the change feed). Inside a transaction. */
static int agents_batch(struct store_conn *c, const struct upload_target *t,
                        const struct upload_connector *con, const struct agent_day_change *ch,
                        int n, int64_t resend_id, int changes_only, int64_t now, int *made)
{
    struct agents_made m;
    int rc = agents_make(c, t, con, ch, n, resend_id, changes_only, 0, &m);
    if (rc == ACDL_OK) {
        rc = agents_put(c, t, con, ch, &m, resend_id, now, made);
    }
    agents_made_clear(&m);
    return rc;
}

/* 1 when the change feed of connector con may make a batch while the previous one is being
 * sent: a connector without a basis (each batch carries its days whole, so a batch never
 * depends on the answer to the one before) and without a period. Batches go out in id order,
 * one at a time, so the second waits behind the first, and a kill -9 leaves both pending to be
 * sent in that order. */
static int feed_ahead(const struct upload_target *t, const struct upload_connector *con)
{
    return !keeps_basis(t, con) && con->agent_period_s == 0;
}

/* 1 when target_id's change feed waits: one of its feed batches is pending (not sent yet, or
 * in backoff after a failed attempt), or being sent (two with ahead: one batch may be made
 * while the previous one is in flight, see feed_ahead), or, with period_s while an enabled
 * source is followed (incremental, followed file, live status), its last feed batch was made
 * in the present period of the clock (the next one goes at the next period unless full).
 * Without a followed source the changes come from runs and settings changes, which go out as
 * they are made. Waiting changes stay in agent_days, where a newer version of an agent day
 * replaces the older one, so the outbox holds at most one (with ahead two) undelivered feed
 * batches per target however many changes come while it is slow or down, and a period gets
 * one batch however many changes it has. */
static int feed_waits(struct store_conn *c, int64_t target_id, int period_s, int ahead, int64_t now,
                      int full, int *waits)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT (SELECT count(*) FROM batches WHERE target_id = ?1 AND state = 'pending' "
           "AND kind = 'agent_states' AND resend_id IS NULL), (SELECT count(*) FROM batches "
           "WHERE target_id = ?1 AND state = 'sending' AND kind = 'agent_states' AND resend_id "
           "IS NULL), (SELECT created_at FROM batches WHERE target_id = ?1 AND kind = "
           "'agent_states' AND resend_id IS NULL ORDER BY id DESC LIMIT 1), EXISTS (SELECT 1 "
           "FROM sources WHERE enabled AND product = 'agent_states' AND "
           "(json_extract(settings, '$.incremental') IS NOT NULL OR json_extract(settings, "
           "'$.follow') IS NOT NULL OR json_extract(settings, '$.live_status') IS NOT NULL))");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *waits = sqlite3_column_int(s, 0) > 0 || sqlite3_column_int(s, 1) > (ahead ? 1 : 0) ||
                 (period_s > 0 && !full && sqlite3_column_int(s, 3) &&
                  sqlite3_column_type(s, 2) != SQLITE_NULL &&
                  sqlite3_column_int64(s, 2) / period_s == now / period_s);
    }
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}

/* The next feed batch of target t, made from what the transaction sees: the changes after its
 * position last (past 200 days, within AGENT_FEED_SPANS_MAX spans) into f->ch[0..f->n) and
 * the batch into f->m, unless its feed waits (f->n 0). Only reads. */
struct agents_feed {
    int64_t last;
    struct agent_day_change *ch;
    int n, full; /* full: as many days or spans as a batch takes (a period does not wait) */
    struct agents_made m;
};

static int feed_make(struct store_conn *c, const struct upload_target *t,
                     const struct upload_connector *con, int64_t now, struct agents_feed *f)
{
    int waits = 0, rc = ACDL_OK;
    int most =
        con->agent_feed_days > AGENT_DAYS_PER_BATCH ? con->agent_feed_days : AGENT_DAYS_PER_BATCH;
    rc = agent_results_changes(c, f->last, most, &f->ch, &f->n);
    int64_t spans = 0;
    for (int i = 0; rc == ACDL_OK && i < f->n; i++) { /* past 200 days, a bounded body */
        spans += f->ch[i].spans;
        if (i >= AGENT_DAYS_PER_BATCH && spans > AGENT_FEED_SPANS_MAX) {
            f->n = i;
        }
    }
    /* whole days count here: what a batch carries of them (a part day) is known once made */
    f->full = f->n >= AGENT_DAYS_PER_BATCH || spans > AGENT_FEED_SPANS_MAX;
    if (rc == ACDL_OK && f->n > 0) {
        rc = feed_waits(c, t->id, con->agent_period_s, feed_ahead(t, con), now, f->full, &waits);
    }
    if (rc == ACDL_OK && waits) {
        f->n = 0;
    }
    if (rc == ACDL_OK && f->n > 0) { /* within the spans also before 200 days (long days) */
        rc = agents_make(c, t, con, f->ch, f->n, 0, 1, AGENT_FEED_SPANS_MAX, &f->m);
        f->full = f->full || f->m.n < f->n;
        f->n = f->m.n < f->n ? f->m.n : f->n;
    }
    return rc;
}

static void feed_clear(struct agents_feed *f)
{
    agents_made_clear(&f->m);
    free(f->ch);
    f->ch = NULL;
    f->n = 0;
}

/* Writes feed batch f of target t with the new position, inside the write transaction. f was
 * made from an earlier read snapshot: nothing else moves a target's position or sends its feed
 * batches (the uploader's thread does both), and every change made since has a higher
 * change_seq, so the batch is still the next one when the position is still f->last and the
 * feed does not wait (else it is dropped and made again). */
static int feed_put(struct store_conn *c, const struct upload_target *t,
                    const struct upload_connector *con, int64_t now, const struct agents_feed *f,
                    int *made)
{
    int64_t last = -1;
    int waits = 0, rc = cursor_peek(c, t->id, &last);
    if (rc != ACDL_OK || last != f->last || f->n == 0) {
        return rc == ACDL_ENOTFOUND ? ACDL_OK : rc;
    }
    rc = feed_waits(c, t->id, con->agent_period_s, feed_ahead(t, con), now, f->full, &waits);
    if (rc == ACDL_OK && !waits) {
        rc = agents_put(c, t, con, f->ch, &f->m, 0, now, made);
    }
    if (rc == ACDL_OK && !waits) {
        rc = cursor_set(c, t->id, f->ch[f->n - 1].change_seq);
    }
    return rc;
}

/* One target: agent days a resend queued (the oldest resend first) into one batch, removed
 * from the queue in the same transaction. Inside a transaction. */
static int agents_resent(struct store_conn *c, const struct upload_target *t,
                         const struct upload_connector *con, int64_t now, int *made)
{
    struct agent_day_change *ch = NULL;
    int64_t resend_id = 0;
    int n = 0, rc = agent_results_queued(c, t->id, AGENT_DAYS_PER_BATCH, &resend_id, &ch, &n);
    if (rc == ACDL_OK && n > 0) {
        rc = agents_batch(c, t, con, ch, n, resend_id, 0, now, made);
    }
    sqlite3_stmt *del = rc == ACDL_OK && n > 0
                            ? store_prepare(c, "DELETE FROM outbox_agent_days WHERE target_id = "
                                               "? AND agent_id = ? AND day = ?")
                            : NULL;
    for (int i = 0; del && i < n && rc == ACDL_OK; i++) {
        sqlite3_bind_int64(del, 1, t->id);
        sqlite3_bind_int64(del, 2, ch[i].agent_id);
        sqlite3_bind_text(del, 3, ch[i].day, -1, SQLITE_STATIC);
        rc = sqlite3_step(del) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        store_done(del);
    }
    if (rc == ACDL_OK && n > 0 && !del) {
        rc = ACDL_EDB;
    }
    free(ch);
    return rc;
}

/* 1 when target_id has agent-state changes to read (or no position yet) and its feed does not
 * wait for an undelivered batch (see feed_waits; ahead: one may be in flight), or agent days a
 * resend queued: a cheap read, so that the snapshot and the write transaction are only taken
 * when there is work (not every round while a target is down). */
static int agents_waiting(struct store_conn *c, int64_t target_id, int ahead)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT NOT EXISTS (SELECT 1 FROM target_agent_cursors WHERE target_id = ?1) OR "
           "(EXISTS (SELECT 1 FROM agent_days WHERE change_seq > (SELECT last_seq FROM "
           "target_agent_cursors WHERE target_id = ?1)) AND NOT EXISTS (SELECT 1 FROM batches "
           "WHERE target_id = ?1 AND state = 'pending' AND kind = 'agent_states' AND resend_id "
           "IS NULL) AND (SELECT count(*) FROM batches WHERE target_id = ?1 AND state = "
           "'sending' AND kind = 'agent_states' AND resend_id IS NULL) < ?2) OR EXISTS (SELECT "
           "1 FROM outbox_agent_days WHERE target_id = ?1)");
    int waiting = 1;
    if (!s) {
        return 1;
    }
    sqlite3_bind_int64(s, 1, target_id);
    sqlite3_bind_int(s, 2, ahead ? 2 : 1);
    if (sqlite3_step(s) == SQLITE_ROW) {
        waiting = sqlite3_column_int(s, 0);
    }
    store_done(s);
    return waiting;
}

/* 1 when a resend queued agent days of target_id. */
static int resend_waiting(struct store_conn *c, int64_t target_id)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT EXISTS (SELECT 1 FROM outbox_agent_days WHERE "
                                       "target_id = ?)");
    int waiting = 1;
    if (!s) {
        return 1;
    }
    sqlite3_bind_int64(s, 1, target_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        waiting = sqlite3_column_int(s, 0);
    }
    store_done(s);
    return waiting;
}

/* One target: its next feed batch and the agent days a resend queued. The feed batch is made
 * from a read snapshot, outside the write lock (a poll staging thousands of states holds that
 * for seconds, and the feed waited for it before reading a thing); the write transaction only
 * inserts it with the new position (feed_put). A target without a position gets it, and its
 * first batch, inside the write transaction. */
static int agents_target(struct store_conn *c, const struct upload_target *t,
                         const struct upload_connector *con, int64_t now, int *made)
{
    struct agents_feed f;
    int fresh = 0, resend = 0, rc;
    memset(&f, 0, sizeof(f));
    if ((rc = store_read_begin(c)) != ACDL_OK) {
        return rc;
    }
    rc = cursor_peek(c, t->id, &f.last);
    if (rc == ACDL_ENOTFOUND) {
        fresh = 1;
        rc = ACDL_OK;
    } else if (rc == ACDL_OK) {
        rc = feed_make(c, t, con, now, &f);
    }
    if (rc == ACDL_OK) {
        resend = resend_waiting(c, t->id);
    }
    store_read_end(c);
    if (rc == ACDL_OK && (fresh || f.n > 0 || resend) && (rc = store_begin(c)) == ACDL_OK) {
        if (fresh) {
            rc = cursor_get(c, t->id, &f.last);
            if (rc == ACDL_OK) {
                rc = feed_make(c, t, con, now, &f);
            }
        }
        if (rc == ACDL_OK) {
            rc = feed_put(c, t, con, now, &f, made);
        }
        if (rc == ACDL_OK) {
            rc = agents_resent(c, t, con, now, made);
        }
        if (rc == ACDL_OK) {
            rc = store_commit(c);
        } else {
            store_rollback(c);
        }
    }
    feed_clear(&f);
    return rc;
}

int outbox_agents(struct store_conn *c, int64_t now, int *made)
{
    struct store_target *targets = NULL;
    int n = 0, rc;
    if (made) {
        *made = 0;
    }
    if ((rc = store_target_list(c, 0, 256, &targets, &n)) != ACDL_OK) {
        return rc;
    }
    for (int i = 0; i < n; i++) {
        const struct upload_connector *con = upload_connector_find(targets[i].connector);
        struct upload_target t;
        if (!con || !con->build_agents) {
            continue;
        }
        memset(&t, 0, sizeof(t));
        t.id = targets[i].id;
        snprintf(t.name, sizeof(t.name), "%s", targets[i].name);
        snprintf(t.connector, sizeof(t.connector), "%s", targets[i].connector);
        t.settings = json_loads(targets[i].settings, 0, NULL);
        if (!t.settings || !agents_waiting(c, t.id, feed_ahead(&t, con))) {
            json_decref(t.settings);
            continue;
        }
        store_cache_wide(c, 1);
        int r = t.settings ? agents_target(c, &t, con, now, made) : ACDL_OK;
        if (r != ACDL_OK) {
            log_error("upload", "target %s: queueing agent states failed: %s", t.name,
                      acdl_strerror(r));
        }
        store_cache_wide(c, 0);
        json_decref(t.settings);
    }
    for (int i = 0; i < n; i++) {
        store_target_clear(&targets[i]);
    }
    free(targets);
    return ACDL_OK;
}

/* 1 when a later batch of b's target overlaps b's interval range. */
static int newer_overlap(struct store_conn *c, const struct store_batch *b)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT 1 FROM batches WHERE target_id = ?1 AND id > "
                                        "?2 AND kind = 'intervals' AND first_interval <= ?4 AND "
                                        "last_interval >= ?3 LIMIT 1");
    if (!st) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, b->target_id);
    sqlite3_bind_int64(st, 2, b->id);
    sqlite3_bind_int64(st, 3, b->first_interval);
    sqlite3_bind_int64(st, 4, b->last_interval);
    int r = sqlite3_step(st);
    store_done(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

/* Queues every cell of b's target in b's interval range again, with a new revision (so the
 * batch made of them has a new id and is not taken for one the WFM has seen). */
static int requeue_range(struct store_conn *c, const struct store_batch *b, int64_t now,
                         int *resent)
{
    sqlite3_stmt *up = store_prepare(
        c, "UPDATE target_cells SET revision = CASE WHEN revision < 0 THEN revision - 1 ELSE "
           "revision + 1 END WHERE target_id = ?1 AND "
           "interval_start >= ?2 AND interval_start <= ?3 RETURNING queue_id, interval_start");
    sqlite3_stmt *q = store_prepare(c, "INSERT INTO outbox_cells (target_id, queue_id, "
                                       "interval_start, revision, queued_at) VALUES (?, ?, ?, "
                                       "0, ?) ON CONFLICT DO NOTHING");
    int rc = ACDL_OK, r;
    if (!up || !q) {
        store_done(up);
        return ACDL_EDB;
    }
    sqlite3_bind_int64(up, 1, b->target_id);
    sqlite3_bind_int64(up, 2, b->first_interval);
    sqlite3_bind_int64(up, 3, b->last_interval);
    while ((r = sqlite3_step(up)) == SQLITE_ROW) {
        sqlite3_bind_int64(q, 1, b->target_id);
        sqlite3_bind_int64(q, 2, sqlite3_column_int64(up, 0));
        sqlite3_bind_int64(q, 3, sqlite3_column_int64(up, 1));
        sqlite3_bind_int64(q, 4, now);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = ACDL_EDB;
        }
        store_done(q);
        if (rc != ACDL_OK) {
            break;
        }
        (*resent)++;
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(up);
    return rc;
}

int outbox_retry(struct store_conn *c, int64_t id, int64_t now, int *resent)
{
    struct store_batch b;
    int rc, later = 0;
    *resent = 0;
    if ((rc = store_batch_get(c, id, &b)) != ACDL_OK) {
        return rc;
    }
    if ((rc = store_begin(c)) != ACDL_OK) {
        return rc;
    }
    rc = store_batch_retry(c, id, now);
    if (rc == ACDL_OK && !strcmp(b.kind, "intervals") && b.items > 0) {
        later = newer_overlap(c, &b);
        rc = later < 0 ? ACDL_EDB : later ? requeue_range(c, &b, now, resent) : ACDL_OK;
    }
    if (rc != ACDL_OK) {
        store_rollback(c);
        *resent = 0;
        return rc;
    }
    rc = store_commit(c);
    if (rc == ACDL_OK && *resent > 0) {
        log_info("upload",
                 "batch %lld retried; %d intervals of target %lld sent since are "
                 "queued again with their current values",
                 (long long)id, *resent, (long long)b.target_id);
        outbox_flush(c, now, 0, NULL); /* the uploader packs them later if this fails */
    }
    return rc;
}
