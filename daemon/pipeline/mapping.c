/* mapping.c: results from staged values (see mapping.h). */
#include "pipeline/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/expr.h"
#include "platform/platform.h"
#include "store/recomputes.h"
#include "store/staged.h"
#include "upload/outbox.h"

struct input {
    int64_t source_id;
    char ext_queue[129];
    char metric[65];
    char weight_metric[65]; /* weighted types: the weight's metric for this input */
    char time_zone[65];     /* the source's */
};

struct mapping {
    int64_t id, queue_id, value_type_id;
    char queue_tz[65];
    char combine[16];
    char weight_key[65];
    char formula[4097];
    int has_formula;
    struct input in[MAPPING_MAX_INPUTS];
    int n;
};

struct cell {
    int64_t interval;
    int input;
    int is_weight;
    double value;
};

static int load(struct store_conn *c, int64_t id, struct mapping *m, char *err, size_t errsz)
{
    memset(m, 0, sizeof(*m));
    sqlite3_stmt *s = store_prepare(
        c, "SELECT m.id, m.queue_id, m.value_type_id, q.time_zone, v.combine, "
           "coalesce(v.weight_key, ''), m.formula FROM mappings m JOIN wfm_queues q ON q.id = "
           "m.queue_id JOIN value_types v ON v.id = m.value_type_id WHERE m.id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        m->id = sqlite3_column_int64(s, 0);
        m->queue_id = sqlite3_column_int64(s, 1);
        m->value_type_id = sqlite3_column_int64(s, 2);
        store_column_text(s, 3, m->queue_tz, sizeof(m->queue_tz));
        store_column_text(s, 4, m->combine, sizeof(m->combine));
        store_column_text(s, 5, m->weight_key, sizeof(m->weight_key));
        m->has_formula = sqlite3_column_type(s, 6) != SQLITE_NULL;
        store_column_text(s, 6, m->formula, sizeof(m->formula));
    }
    store_done(s);
    if (r != SQLITE_ROW) {
        return r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
    }
    s = store_prepare(c, "SELECT i.source_id, i.ext_queue, i.metric, s.time_zone FROM "
                         "mapping_inputs i JOIN sources s ON s.id = i.source_id WHERE "
                         "i.mapping_id = ? ORDER BY i.position");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    while (sqlite3_step(s) == SQLITE_ROW && m->n < MAPPING_MAX_INPUTS) {
        struct input *in = &m->in[m->n++];
        in->source_id = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, in->ext_queue, sizeof(in->ext_queue));
        store_column_text(s, 2, in->metric, sizeof(in->metric));
        store_column_text(s, 3, in->time_zone, sizeof(in->time_zone));
    }
    store_done(s);
    if (!m->has_formula && !strcmp(m->combine, "weighted") && m->n > 1) {
        /* each input's weight: the weight type's mapping of this WFM queue, same source and
         * external queue */
        s = store_prepare(c, "SELECT i.metric FROM mappings m JOIN value_types v ON v.id = "
                             "m.value_type_id JOIN mapping_inputs i ON i.mapping_id = m.id WHERE "
                             "m.queue_id = ? AND v.key = ? AND i.source_id = ? AND i.ext_queue = "
                             "? ORDER BY i.position LIMIT 1");
        if (!s) {
            return ACDL_EDB;
        }
        for (int i = 0; i < m->n; i++) {
            sqlite3_bind_int64(s, 1, m->queue_id);
            sqlite3_bind_text(s, 2, m->weight_key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 3, m->in[i].source_id);
            sqlite3_bind_text(s, 4, m->in[i].ext_queue, -1, SQLITE_STATIC);
            if (sqlite3_step(s) == SQLITE_ROW) {
                store_column_text(s, 0, m->in[i].weight_metric, sizeof(m->in[i].weight_metric));
            }
            store_done(s);
            if (!m->in[i].weight_metric[0]) {
                snprintf(err, errsz,
                         "input p%d (queue '%s'): a weighted average over several queues needs "
                         "the '%s' mapping of this WFM queue to include that queue",
                         i + 1, m->in[i].ext_queue, m->weight_key);
                return ACDL_EINVAL;
            }
        }
    }
    return ACDL_OK;
}

int mapping_check_weights(struct store_conn *c, int64_t id, char *err, size_t errsz)
{
    struct mapping *m = malloc(sizeof(*m));
    if (!m) {
        return ACDL_ENOMEM;
    }
    int rc = load(c, id, m, err, errsz);
    free(m);
    return rc;
}

static int cmp_cells(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    if (x->interval != y->interval) {
        return x->interval < y->interval ? -1 : 1;
    }
    return x->input - y->input;
}

/* Cells of one input without weights come in order already (days in key order, intervals in
 * order within a day): sorting them is then only a check. */
static int cells_sorted(const struct cell *cells, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (cmp_cells(&cells[i - 1], &cells[i]) > 0) {
            return 0;
        }
    }
    return 1;
}

struct collect_ctx {
    struct cell **cells;
    size_t *n, *cap;
    int index, is_weight;
};

static int collect_cell(void *ctx, int64_t utc, double value)
{
    struct collect_ctx *k = ctx;
    if (*k->n == *k->cap) {
        size_t ncap = *k->cap ? *k->cap * 2 : 1024;
        struct cell *nc = realloc(*k->cells, ncap * sizeof(**k->cells));
        if (!nc) {
            return ACDL_ENOMEM;
        }
        *k->cells = nc;
        *k->cap = ncap;
    }
    struct cell *x = &(*k->cells)[(*k->n)++];
    x->interval = utc;
    x->value = value;
    x->input = k->index;
    x->is_weight = k->is_weight;
    return 0;
}

/* The staged days of one input (source, external queue) in one day window, as read: the
 * mappings of a WFM queue (offered, handled, AHT, ...) usually share their inputs, and each
 * takes its metric from the same day blobs, so they are read from the store once for all of
 * them. Valid within one write transaction only (the mappings write results, never staged
 * days); day_memo_clear() when it ends. */
struct day_memo {
    int valid;
    int64_t source_id;
    char ext_queue[129];
    char from[11], to[11];
    size_t n, cap, bytes;
    struct memo_day {
        size_t len;
        unsigned char *blob;
    } * days;
};

static void day_memo_clear(struct day_memo *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        free(d->days[i].blob);
    }
    d->n = 0;
    d->bytes = 0;
    d->valid = 0;
}

static void day_memo_free(struct day_memo *d)
{
    if (d) {
        day_memo_clear(d);
        free(d->days);
        free(d);
    }
}

/* Days beyond this many bytes are not held (a long history read without a period): the input
 * is then read from the store for each of its mappings, as it always was. */
#define DAY_MEMO_MAX_BYTES (8 << 20)

static int day_memo_holds(const struct day_memo *d, const struct input *in, const char *from,
                          const char *to)
{
    return d && d->valid && d->source_id == in->source_id && !strcmp(d->ext_queue, in->ext_queue) &&
           !strcmp(d->from, from ? from : "") && !strcmp(d->to, to ? to : "");
}

static int day_memo_add(struct day_memo *d, const void *blob, size_t len)
{
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 64;
        struct memo_day *nd = realloc(d->days, ncap * sizeof(*nd));
        if (!nd) {
            return ACDL_ENOMEM;
        }
        d->days = nd;
        d->cap = ncap;
    }
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) {
        return ACDL_ENOMEM;
    }
    if (len) {
        memcpy(copy, blob, len);
    }
    d->days[d->n].blob = copy;
    d->days[d->n++].len = len;
    d->bytes += len;
    return ACDL_OK;
}

/* Appends the values of metric_id in one staged day to cells; a day that cannot be read is
 * skipped with a warning. */
static int collect_day(const struct input *in, const void *blob, size_t len, int64_t metric_id,
                       struct collect_ctx *k)
{
    int rc = staged_blob_values(blob, len, metric_id, collect_cell, k);
    if (rc == ACDL_EINVAL) {
        log_warn("mapping", "source %lld, queue '%s': a staged day cannot be read; skipped",
                 (long long)in->source_id, in->ext_queue);
        rc = ACDL_OK;
    }
    return rc;
}

/* Appends the staged values of (source, queue, metric) in the day window to cells, from memo
 * when it holds the input's days (may be NULL), else from the store, keeping them in memo. */
static int collect(struct store_conn *c, struct day_memo *memo, const struct input *in,
                   const char *metric, int index, int is_weight, const char *from, const char *to,
                   struct cell **cells, size_t *n, size_t *cap)
{
    struct collect_ctx k = {cells, n, cap, index, is_weight};
    int64_t metric_id = 0;
    int rc = ACDL_OK;
    sqlite3_stmt *s = store_prepare(c, "SELECT id FROM metric_names WHERE name = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_text(s, 1, metric, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        metric_id = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    if (r != SQLITE_ROW) {
        return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB; /* never staged: no values */
    }
    if (day_memo_holds(memo, in, from, to)) {
        for (size_t i = 0; rc == ACDL_OK && i < memo->n; i++) {
            rc = collect_day(in, memo->days[i].blob, memo->days[i].len, metric_id, &k);
        }
        return rc;
    }
    /* Two statements, so that with a period SQLite seeks by the key (source_id, queue_id, day)
     * instead of reading the queue's whole history. */
    s = from && to ? store_prepare(c, "SELECT d.vals FROM ext_queues e JOIN staged_days d ON "
                                      "d.source_id = e.source_id AND d.queue_id = e.id AND d.day "
                                      "BETWEEN ?2 AND ?3 WHERE e.source_id = ?1 AND e.ext_queue "
                                      "= ?4")
                   : store_prepare(c, "SELECT d.vals FROM ext_queues e JOIN staged_days d ON "
                                      "d.source_id = e.source_id AND d.queue_id = e.id WHERE "
                                      "e.source_id = ?1 AND e.ext_queue = ?4 AND ?2 IS NULL AND "
                                      "?3 IS NULL");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, in->source_id);
    store_bind_text(s, 2, from);
    store_bind_text(s, 3, to);
    sqlite3_bind_text(s, 4, in->ext_queue, -1, SQLITE_STATIC);
    int keep = memo != NULL;
    if (keep) {
        day_memo_clear(memo);
    }
    while (rc == ACDL_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0);
        rc = collect_day(in, blob, len, metric_id, &k);
        if (rc == ACDL_OK && keep) {
            if (memo->bytes + len > DAY_MEMO_MAX_BYTES) {
                day_memo_clear(memo);
                keep = 0;
            } else if ((rc = day_memo_add(memo, blob, len)) != ACDL_OK) {
                day_memo_clear(memo);
            }
        }
    }
    store_done(s);
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    if (rc == ACDL_OK && keep) {
        memo->valid = 1;
        memo->source_id = in->source_id;
        snprintf(memo->ext_queue, sizeof(memo->ext_queue), "%s", in->ext_queue);
        snprintf(memo->from, sizeof(memo->from), "%s", from ? from : "");
        snprintf(memo->to, sizeof(memo->to), "%s", to ? to : "");
    } else if (keep) {
        day_memo_clear(memo);
    }
    return rc;
}

/* The UTC window of the local days from..to over the inputs' time zones. */
static int window(const struct mapping *m, const char *from, const char *to, int64_t *lo,
                  int64_t *hi)
{
    struct tz_date a, b;
    *lo = INT64_MAX;
    *hi = INT64_MIN;
    if (tz_date_parse(from, &a) != ACDL_OK || tz_date_parse(to, &b) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    for (int i = 0; i < m->n; i++) {
        struct tz *tz = NULL;
        int64_t s0, e0, s1, e1;
        if (tz_open(m->in[i].time_zone, &tz) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        tz_day_bounds(tz, a, &s0, &e0);
        tz_day_bounds(tz, b, &s1, &e1);
        tz_close(tz);
        if (s0 < *lo) {
            *lo = s0;
        }
        if (e1 > *hi) {
            *hi = e1;
        }
    }
    return ACDL_OK;
}

/* Results are written RESULTS_BATCH at a time by one statement: one statement per result row
 * cost more than computing them, in setting up and ending the statement and in seeking the
 * table and the foreign keys' parents anew for every row; within one statement the cursors
 * stay where the previous row left them. The rows are a plain multi-row VALUES (no SELECT
 * around it to filter rows not used: that took a second coroutine and a test per row, 7 of
 * the statement's 32 opcodes a row); the last rows of a mapping, fewer than a batch, go by
 * statements of 32, 8 and 1 rows. */
#define RESULTS_BATCH 128
/* ?1 .. ?3 first, so that (interval, value) of row i are ?(4 + 2i) and ?(5 + 2i) */
#define RB_INS                                                                                     \
    "INSERT INTO results (updated_at, queue_id, value_type_id, interval_start, value) VALUES "
#define RB_ROW "(?3,?1,?2,?,?)"
#define RB_ROWS8 RB_ROW "," RB_ROW "," RB_ROW "," RB_ROW "," RB_ROW "," RB_ROW "," RB_ROW "," RB_ROW
#define RB_ROWS32 RB_ROWS8 "," RB_ROWS8 "," RB_ROWS8 "," RB_ROWS8
#define RB_ROWS128 RB_ROWS32 "," RB_ROWS32 "," RB_ROWS32 "," RB_ROWS32
#define RB_SIZES 4

static const int rb_rows[RB_SIZES] = {RESULTS_BATCH, 32, 8, 1};
static const char *const rb_sql[RB_SIZES] = {RB_INS RB_ROWS128, RB_INS RB_ROWS32, RB_INS RB_ROWS8,
                                             RB_INS RB_ROW};

struct results_batch {
    sqlite3_stmt *ins[RB_SIZES]; /* rb_rows[i] rows each */
    int64_t queue_id, value_type_id, now;
    int n;
    int64_t interval[RESULTS_BATCH];
    double value[RESULTS_BATCH];
};

static int results_batch_open(struct store_conn *c, struct results_batch *b, int64_t queue_id,
                              int64_t value_type_id, int64_t now)
{
    int rc = ACDL_OK;
    for (int i = 0; i < RB_SIZES; i++) {
        if (!(b->ins[i] = store_prepare(c, rb_sql[i]))) {
            rc = ACDL_EDB;
        }
    }
    b->queue_id = queue_id;
    b->value_type_id = value_type_id;
    b->now = now;
    b->n = 0;
    return rc;
}

/* Writes the rows held: by the largest statements that they fill. */
static int results_batch_flush(struct results_batch *b)
{
    int rc = ACDL_OK, k = 0;
    for (int z = 0; z < RB_SIZES && rc == ACDL_OK && k < b->n; z++) {
        sqlite3_stmt *s = b->ins[z];
        int per = rb_rows[z];
        if (b->n - k < per) {
            continue;
        }
        sqlite3_bind_int64(s, 1, b->queue_id);
        sqlite3_bind_int64(s, 2, b->value_type_id);
        sqlite3_bind_int64(s, 3, b->now);
        for (; b->n - k >= per && rc == ACDL_OK; k += per) {
            for (int i = 0; i < per; i++) {
                sqlite3_bind_int64(s, 4 + 2 * i, b->interval[k + i]);
                sqlite3_bind_double(s, 5 + 2 * i, b->value[k + i]);
            }
            rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
            sqlite3_reset(s); /* the bindings stay: ?1 .. ?3 are the same for every row */
        }
        store_done(s);
    }
    b->n = 0;
    return rc;
}

static int results_batch_add(struct results_batch *b, int64_t interval, double value)
{
    b->interval[b->n] = interval;
    b->value[b->n] = value;
    return ++b->n == RESULTS_BATCH ? results_batch_flush(b) : ACDL_OK;
}

struct result {
    int64_t interval;
    double value;
};

/* The results of (queue, value type) in [lo, hi), in interval order, into *old. */
static int read_results(struct store_conn *c, int64_t queue_id, int64_t value_type_id, int64_t lo,
                        int64_t hi, struct result **old, size_t *n)
{
    size_t cap = 0;
    int rc = ACDL_OK, r;
    *old = NULL;
    *n = 0;
    sqlite3_stmt *s = store_prepare(c, "SELECT interval_start, value FROM results WHERE queue_id "
                                       "= ? AND value_type_id = ? AND interval_start >= ? AND "
                                       "interval_start < ? ORDER BY interval_start");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, queue_id);
    sqlite3_bind_int64(s, 2, value_type_id);
    sqlite3_bind_int64(s, 3, lo);
    sqlite3_bind_int64(s, 4, hi);
    while (rc == ACDL_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct result *nr = realloc(*old, ncap * sizeof(*nr));
            if (!nr) {
                rc = ACDL_ENOMEM;
                break;
            }
            *old = nr;
            cap = ncap;
        }
        (*old)[*n].interval = sqlite3_column_int64(s, 0);
        (*old)[(*n)++].value = sqlite3_column_double(s, 1);
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

/* Writes one changed result (value set) or removes one that is gone (value NULL). */
static int write_one(struct store_conn *c, int64_t queue_id, int64_t value_type_id,
                     int64_t interval, const double *value, int64_t now)
{
    sqlite3_stmt *s =
        value ? store_prepare(c, "UPDATE results SET value = ?5, updated_at = ?4 WHERE queue_id = "
                                 "?1 AND value_type_id = ?2 AND interval_start = ?3")
              : store_prepare(c, "DELETE FROM results WHERE queue_id = ?1 AND value_type_id = ?2 "
                                 "AND interval_start = ?3");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, queue_id);
    sqlite3_bind_int64(s, 2, value_type_id);
    sqlite3_bind_int64(s, 3, interval);
    if (value) {
        sqlite3_bind_int64(s, 4, now);
        sqlite3_bind_double(s, 5, *value);
    }
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    return rc;
}

/* Makes the results of (queue, value type) in [lo, hi) res[0..n) (in interval order), writing
 * only what changed: a re-import of the same values writes nothing, one changed value one row
 * (the others keep their updated_at). When more than a quarter of the rows there would change
 * or go, the window is deleted and written anew, as one statement a row costs more than a
 * batch's row. */
static int write_results(struct store_conn *c, int64_t queue_id, int64_t value_type_id, int64_t lo,
                         int64_t hi, const struct result *res, size_t n, int64_t now)
{
    struct result *old = NULL;
    size_t nold = 0, i = 0, j = 0, changes = 0;
    int rc = read_results(c, queue_id, value_type_id, lo, hi, &old, &nold);
    while (rc == ACDL_OK && j < nold) {
        if (i < n && res[i].interval < old[j].interval) {
            i++; /* new: inserted in the batch, whatever else changes */
        } else if (i == n || old[j].interval < res[i].interval) {
            changes++, j++; /* gone */
        } else {
            changes += res[i++].value != old[j++].value;
        }
    }
    int anew = changes * 4 > nold;
    if (rc == ACDL_OK && anew) {
        sqlite3_stmt *del = store_prepare(c, "DELETE FROM results WHERE queue_id = ? AND "
                                             "value_type_id = ? AND interval_start >= ? AND "
                                             "interval_start < ?");
        if (!del) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(del, 1, queue_id);
            sqlite3_bind_int64(del, 2, value_type_id);
            sqlite3_bind_int64(del, 3, lo);
            sqlite3_bind_int64(del, 4, hi);
            rc = sqlite3_step(del) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
            store_done(del);
        }
        nold = 0; /* all of res is new now */
    }
    struct results_batch *rb = rc == ACDL_OK ? malloc(sizeof(*rb)) : NULL;
    if (rc == ACDL_OK && !rb) {
        rc = ACDL_ENOMEM;
    } else if (rc == ACDL_OK) {
        rc = results_batch_open(c, rb, queue_id, value_type_id, now);
    }
    for (i = 0, j = 0; rc == ACDL_OK && (i < n || j < nold);) {
        if (j == nold || (i < n && res[i].interval < old[j].interval)) {
            rc = results_batch_add(rb, res[i].interval, res[i].value);
            i++;
        } else if (i == n || old[j].interval < res[i].interval) {
            rc = write_one(c, queue_id, value_type_id, old[j++].interval, NULL, now);
        } else {
            if (res[i].value != old[j].value) {
                rc = write_one(c, queue_id, value_type_id, res[i].interval, &res[i].value, now);
            }
            i++, j++;
        }
    }
    if (rc == ACDL_OK) {
        rc = results_batch_flush(rb);
    }
    free(rb);
    free(old);
    return rc;
}

/* Computes mapping id inside the caller's write transaction (see mapping_compute()); on
 * failure the caller rolls back what it wrote. memo: the pairs queued in the transaction so
 * far (outbox_mark_in(); may be NULL). */
static int compute_in_tx(struct store_conn *c, struct outbox_memo *memo, struct day_memo *days,
                         int64_t id, const char *from, const char *to, int64_t *written, char *err,
                         size_t errsz)
{
    struct mapping *m = malloc(sizeof(*m));
    struct cell *cells = NULL;
    struct result *res = NULL;
    size_t n = 0, cap = 0, nres = 0;
    struct expr *e = NULL;
    struct tz *qtz = NULL;
    int rc;
    *written = 0;
    if (errsz) {
        err[0] = '\0';
    }
    if (!m) {
        return ACDL_ENOMEM;
    }
    rc = load(c, id, m, err, errsz);
    if (rc != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            snprintf(err, errsz, "the mapping no longer exists");
        }
        goto out;
    }
    /* without inputs (their source was deleted) nothing is computed: its results go */
    if (m->has_formula && m->n > 0) {
        const char *names[MAPPING_MAX_INPUTS + 2];
        char pn[MAPPING_MAX_INPUTS][8];
        for (int i = 0; i < m->n; i++) {
            snprintf(pn[i], sizeof(pn[i]), "p%d", i + 1);
            names[i] = pn[i];
        }
        names[m->n] = "weekday";
        names[m->n + 1] = "minute_of_day";
        if ((rc = expr_compile(m->formula, names, m->n + 2, &e, err, errsz)) != ACDL_OK) {
            goto out;
        }
        if ((rc = tz_open(m->queue_tz, &qtz)) != ACDL_OK) {
            snprintf(err, errsz, "the queue's time zone %s cannot be used", m->queue_tz);
            goto out;
        }
    }
    for (int i = 0; i < m->n && rc == ACDL_OK; i++) {
        rc = collect(c, days, &m->in[i], m->in[i].metric, i, 0, from, to, &cells, &n, &cap);
        if (rc == ACDL_OK && m->in[i].weight_metric[0]) {
            rc = collect(c, days, &m->in[i], m->in[i].weight_metric, i, 1, from, to, &cells, &n,
                         &cap);
        }
    }
    if (rc != ACDL_OK) {
        goto out;
    }
    if (!cells_sorted(cells, n)) {
        qsort(cells, n, sizeof(*cells), cmp_cells);
    }

    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (from && to && (rc = window(m, from, to, &lo, &hi)) != ACDL_OK) {
        snprintf(err, errsz, "bad period %s .. %s", from, to);
        goto out;
    }
    /* at most one result a cell */
    if (!(res = malloc((n ? n : 1) * sizeof(*res)))) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < n && rc == ACDL_OK;) {
        int64_t interval = cells[k].interval;
        double v[MAPPING_MAX_INPUTS], w[MAPPING_MAX_INPUTS];
        int hv[MAPPING_MAX_INPUTS] = {0}, hw[MAPPING_MAX_INPUTS] = {0};
        for (; k < n && cells[k].interval == interval; k++) {
            if (cells[k].is_weight) {
                w[cells[k].input] = cells[k].value;
                hw[cells[k].input] = 1;
            } else {
                v[cells[k].input] = cells[k].value;
                hv[cells[k].input] = 1;
            }
        }
        double value = 0;
        int has = 0;
        if (m->has_formula) {
            struct tz_date day;
            int minute, second, off, is_null;
            char why[200];
            for (int i = 0; i < m->n; i++) {
                if (hv[i]) {
                    expr_bind_double(e, i, v[i]);
                } else {
                    expr_bind_null(e, i);
                }
            }
            tz_utc_to_local(qtz, interval, &day, &minute, &second, &off);
            expr_bind_double(e, m->n, tz_date_weekday(day));
            expr_bind_double(e, m->n + 1, minute);
            if (expr_eval(e, &value, &is_null, why, sizeof(why)) == ACDL_OK && !is_null) {
                has = 1;
            }
        } else if (!strcmp(m->combine, "weighted") && m->n > 1) {
            double num = 0, den = 0;
            for (int i = 0; i < m->n; i++) {
                if (hv[i] && hw[i]) {
                    num += v[i] * w[i];
                    den += w[i];
                }
            }
            if (den > 0) {
                value = num / den;
                has = 1;
            }
        } else {
            for (int i = 0; i < m->n; i++) {
                if (hv[i]) {
                    value += v[i];
                    has = 1;
                }
            }
        }
        if (!has) {
            continue;
        }
        res[nres].interval = interval;
        res[nres++].value = value;
    }
    *written = (int64_t)nres;
    int64_t now = plat_now();
    rc = write_results(c, m->queue_id, m->value_type_id, lo, hi, res, nres, now);
    if (rc == ACDL_OK) {
        /* same transaction */
        rc = outbox_mark_in(c, memo, m->queue_id, m->value_type_id, lo, hi, now);
    }
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "writing results failed: %s", sqlite3_errmsg(store_db(c)));
    }
out:
    if (rc != ACDL_OK && errsz && !err[0]) {
        snprintf(err, errsz, "%s", acdl_strerror(rc));
    }
    expr_free(e);
    tz_close(qtz);
    free(cells);
    free(res);
    free(m);
    return rc;
}

int mapping_compute(struct store_conn *c, int64_t id, const char *from, const char *to,
                    int64_t *written, char *err, size_t errsz)
{
    int rc;
    *written = 0;
    if (errsz) {
        err[0] = '\0';
    }
    /* The mapping and the staged values are read inside the write transaction: a change of
     * either committed meanwhile (a route, a run, another recomputation) can then never be
     * overwritten by results computed from what was there before. */
    if ((rc = store_begin(c)) != ACDL_OK) {
        snprintf(err, errsz, "cannot start a transaction: %s", sqlite3_errmsg(store_db(c)));
        return rc;
    }
    rc = compute_in_tx(c, NULL, NULL, id, from, to, written, err, errsz);
    if (rc != ACDL_OK) {
        store_rollback(c);
        return rc;
    }
    if ((rc = store_commit(c)) != ACDL_OK) {
        /* the cause, not the message of the rollback that followed */
        snprintf(err, errsz, "storing the results failed: %s", acdl_strerror(rc));
    }
    return rc;
}

/* A run's mappings are computed several to a transaction: one transaction per mapping took
 * the write lock 6,000 times for a 2,000-queue day, each time after whatever else waited for
 * it (an agent run's staging, its span batches, the uploader). A group ends after
 * GROUP_MAX mappings or GROUP_MS of work, so other writers still get their turn; each mapping
 * has its own savepoint, so one that fails is rolled back alone. */
#define GROUP_MAX 64
#define GROUP_MS 200

/* Foreign keys are not checked inside a group's transaction (the pragma does nothing inside
 * one, so it is set around it): every row a group writes takes its parents from rows read in
 * the same write transaction (the mapping joined with its WFM queue and value type, the
 * targets joined with the results), so no check could fail, and checking them cost about a
 * quarter of writing a result (SQLite opens and closes a cursor on each parent per row). A
 * group deletes only results and outbox rows, which no table references. */
static void group_fk(sqlite3 *db, int on)
{
    sqlite3_exec(db, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF", NULL, NULL,
                 NULL);
}

struct group {
    struct store_conn *c;
    struct outbox_memo *memo; /* what the open transaction queued (NULL: not remembered) */
    struct day_memo *days;    /* the staged days last read in the open transaction (or NULL) */
    int64_t ids[GROUP_MAX];
    int64_t written[GROUP_MAX];
    int n, open;
    int64_t started;
};

struct apply {
    int64_t *written, *failed_ids;
    int *failed, max_failed;
    char *err;
    size_t errsz;
};

static void apply_fail(struct apply *a, int64_t id, const char *why)
{
    if (*a->failed == 0) {
        snprintf(a->err, a->errsz, "mapping %lld: %s", (long long)id, why);
    }
    if (*a->failed < a->max_failed) {
        a->failed_ids[*a->failed] = id;
    }
    (*a->failed)++;
}

/* Commits the group: its mappings count as written, or all as failed when the commit does
 * not go through (or the transaction was lost, ok = 0). */
static void group_end(struct group *g, struct apply *a, int ok)
{
    int rc = ACDL_EDB;
    char why[200] = "the transaction was rolled back";
    if (!g->open) {
        return;
    }
    g->open = 0;
    outbox_memo_clear(g->memo); /* committed, the pairs may be packed and gone */
    day_memo_clear(g->days);    /* others may stage days once it has ended */
    if (ok && (rc = store_commit(g->c)) != ACDL_OK) {
        snprintf(why, sizeof(why), "storing the results failed: %s", acdl_strerror(rc));
    } else if (!ok) {
        store_rollback(g->c);
    }
    group_fk(store_db(g->c), 1);
    for (int i = 0; i < g->n; i++) {
        if (rc == ACDL_OK) {
            *a->written += g->written[i];
        } else {
            apply_fail(a, g->ids[i], why);
        }
    }
    g->n = 0;
}

/* Computes mapping id within the open group, in a savepoint of its own. */
static void group_compute(struct group *g, struct apply *a, int64_t id, const char *from,
                          const char *to)
{
    sqlite3 *db = store_db(g->c);
    int64_t w = 0;
    char e[300] = "";
    if (!g->open) {
        store_yield(); /* between groups: a waiting write goes first */
        group_fk(db, 0);
        if (store_begin(g->c) != ACDL_OK) {
            snprintf(e, sizeof(e), "cannot start a transaction: %s", sqlite3_errmsg(db));
            group_fk(db, 1);
            apply_fail(a, id, e);
            return;
        }
        g->open = 1;
        g->started = plat_monotonic_ms();
    }
    size_t queued = outbox_memo_mark(g->memo);
    if (sqlite3_exec(db, "SAVEPOINT mapping", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(e, sizeof(e), "cannot start a savepoint: %s", sqlite3_errmsg(db));
        apply_fail(a, id, e);
        group_end(g, a, 0);
        return;
    }
    int mrc = compute_in_tx(g->c, g->memo, g->days, id, from, to, &w, e, sizeof(e));
    if (mrc == ACDL_OK) {
        sqlite3_exec(db, "RELEASE mapping", NULL, NULL, NULL);
        g->ids[g->n] = id;
        g->written[g->n++] = w;
    } else {
        sqlite3_exec(db, "ROLLBACK TO mapping", NULL, NULL, NULL);
        sqlite3_exec(db, "RELEASE mapping", NULL, NULL, NULL);
        outbox_memo_rewind(g->memo, queued); /* its inserts into outbox_cells are undone */
        if (mrc != ACDL_ENOTFOUND) {
            apply_fail(a, id, e); /* ENOTFOUND: deleted during the run, its results went too */
        }
        if (sqlite3_get_autocommit(db)) {
            /* SQLite ended the transaction itself (a full disk, an I/O error): the group's
             * earlier mappings went with it */
            group_end(g, a, 0);
            return;
        }
    }
    if (g->n == GROUP_MAX || plat_monotonic_ms() - g->started >= GROUP_MS) {
        group_end(g, a, 1);
    }
}

int mapping_apply_source(struct store_conn *c, int64_t source_id, const char *from, const char *to,
                         int64_t *written, int64_t *failed_ids, int *failed, int max_failed,
                         char *err, size_t errsz)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;
    *written = 0;
    *failed = 0;
    if (errsz) {
        err[0] = '\0';
    }
    sqlite3_stmt *s = store_prepare(c, "SELECT DISTINCT mapping_id FROM mapping_inputs WHERE "
                                       "source_id = ? ORDER BY mapping_id");
    if (!s) {
        snprintf(err, errsz, "cannot list the mappings: %s", sqlite3_errmsg(store_db(c)));
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    rc = store_ids_collect(s, &ids, &n);
    if (rc == ACDL_EDB) {
        snprintf(err, errsz, "cannot list the mappings: %s", sqlite3_errmsg(store_db(c)));
    }
    struct group *g = calloc(1, sizeof(*g));
    struct apply a = {written, failed_ids, failed, max_failed, err, errsz};
    if (!g && rc == ACDL_OK) {
        rc = ACDL_ENOMEM;
    }
    if (g) {
        g->c = c;
        g->memo = outbox_memo_new();           /* without it every pair is inserted, as before */
        g->days = calloc(1, sizeof(*g->days)); /* without it each mapping reads its days */
    }
    for (size_t i = 0; rc == ACDL_OK && i < n; i++) {
        group_compute(g, &a, ids[i], from, to);
    }
    if (g) {
        group_end(g, &a, 1);
        outbox_memo_free(g->memo);
        day_memo_free(g->days);
    }
    free(g);
    free(ids);
    /* every mapping of the source is computed: queued results become whole-row batches */
    outbox_flush(c, plat_now(), 0, NULL);
    return rc;
}

int mapping_mark_due(struct store_conn *c, int64_t run_id, const char *from, const char *to)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE runs SET map_from = ?, map_to = ? WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, from);
    store_bind_text(s, 2, to);
    sqlite3_bind_int64(s, 3, run_id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    return rc;
}

int mapping_apply_due(struct store_conn *c, int64_t run_id, int64_t source_id, int64_t *written,
                      int *failed, char *err, size_t errsz)
{
    char from[11] = "", to[11] = "", reason[64];
    int64_t failed_ids[MAPPING_MAX_FAILED];
    *written = 0;
    *failed = 0;
    if (errsz) {
        err[0] = '\0';
    }
    sqlite3_stmt *s = store_prepare(c, "SELECT map_from, map_to FROM runs WHERE id = ? AND "
                                       "map_from IS NOT NULL AND map_to IS NOT NULL");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, run_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        store_column_text(s, 0, from, sizeof(from));
        store_column_text(s, 1, to, sizeof(to));
    }
    store_done(s);
    if (!from[0]) {
        return ACDL_OK;
    }
    int rc = mapping_apply_source(c, source_id, from, to, written, failed_ids, failed,
                                  MAPPING_MAX_FAILED, err, errsz);
    if (rc != ACDL_OK) {
        return rc; /* the days stay due */
    }
    /* the failed mappings stay due as recomputes of these days, in the transaction that
     * takes the days off the run */
    int64_t now = plat_now();
    int recorded = *failed < MAPPING_MAX_FAILED ? *failed : MAPPING_MAX_FAILED;
    snprintf(reason, sizeof(reason), "failed in run %lld", (long long)run_id);
    rc = store_begin(c);
    for (int i = 0; rc == ACDL_OK && i < recorded; i++) {
        rc = store_recompute_add(c, "mapping", failed_ids[i], from, to, reason, now, NULL);
    }
    if (rc == ACDL_OK && *failed > recorded) {
        rc = ACDL_ETOOBIG; /* too many to list: the whole range stays with the run */
    }
    if (rc == ACDL_OK) {
        rc = mapping_mark_due(c, run_id, NULL, NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc != ACDL_OK && !*failed) {
        snprintf(err, errsz, "the days stay due: %s", sqlite3_errmsg(store_db(c)));
    }
    return rc;
}
