/* test_staging.c: unit tests of an import's write side (pipeline/staging.c) on a real database
 * file: thousands of queues and days (the hash tables grow), a day spilled twice in one run
 * adds up, nothing is visible before the commit, and a later commit replaces key by key. */
#include <sqlite3.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "core/log.h"
#include "pipeline/staging.h"
#include "store/sources.h"
#include "store/staged.h"
#include "store/store.h"

static char tmp[512];

static long long q_int(struct store_conn *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -999;
    if (sqlite3_prepare_v2(store_db(c), sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

struct one {
    int64_t want_utc;
    double got;
    int n;
};

static int pick(void *ctx, int64_t utc, double value)
{
    struct one *o = ctx;
    if (utc == o->want_utc) {
        o->got = value;
        o->n++;
    }
    return 0;
}

/* The staged value of queue q, metric, day at utc; -1 when absent. */
static double staged_value(struct store_conn *c, const char *q, const char *metric, const char *day,
                           int64_t utc)
{
    sqlite3_stmt *s = NULL;
    struct one o = {utc, -1, 0};
    sqlite3_prepare_v2(store_db(c),
                       "SELECT d.vals, m.id FROM staged_days d JOIN ext_queues e ON e.id = "
                       "d.queue_id JOIN metric_names m ON m.name = ?2 WHERE e.ext_queue = ?1 AND "
                       "d.day = ?3",
                       -1, &s, NULL);
    sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, day, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        staged_blob_values(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                           sqlite3_column_int64(s, 1), pick, &o);
    }
    sqlite3_finalize(s);
    return o.n == 1 ? o.got : -1;
}

/* Opens a fresh store tmp/name with one 15-minute CSV interval source; NULL on failure. */
static struct store *open_with_source(const char *name, struct store_conn **conn,
                                      int64_t *source_id)
{
    char path[700], err[512];
    struct store *st = NULL;
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    if (!CHECK_EQ_INT(store_open(path, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return NULL;
    }
    struct store_conn *c = store_acquire(st);
    struct store_source src;
    memset(&src, 0, sizeof(src));
    snprintf(src.name, sizeof(src.name), "S");
    snprintf(src.kind, sizeof(src.kind), "csv");
    snprintf(src.product, sizeof(src.product), "contacts");
    snprintf(src.layout, sizeof(src.layout), "interval");
    snprintf(src.time_zone, sizeof(src.time_zone), "UTC");
    src.interval_minutes = 15;
    src.enabled = 1;
    src.settings = "{}";
    CHECK_EQ_INT(store_source_add(c, &src, 1000, source_id), ACDL_OK);
    *conn = c;
    return st;
}

static void test_many(void)
{
    struct store_conn *c = NULL;
    int64_t source_id = 0;
    struct store *st = open_with_source("staging.db", &c, &source_id);
    if (!st) {
        return;
    }

    /* 2026-06-01 and -02 in UTC: 96 slots each */
    const int64_t base1 = 1780272000, base2 = base1 + 86400;
    const struct tz_date d1 = {2026, 6, 1}, d2 = {2026, 6, 2};
    struct staging *s = NULL;
    if (!CHECK_EQ_INT(staging_open(&s, c, source_id, 7), ACDL_OK)) {
        return;
    }
    int offered = staging_metric(s, "offered");
    int handled = staging_metric(s, "handled");
    CHECK(offered == 0 && handled == 1 && staging_metric(s, "offered") == 0);
    int ok = 1;
    for (int q = 0; q < 3000 && ok; q++) {
        char id[16];
        int n = snprintf(id, sizeof(id), "Q%d", q);
        int qi = staging_queue(s, id, (size_t)n, q == 5 ? "Five" : NULL, q == 5 ? 4 : 0);
        ok = qi == q;
        ok = ok && staging_add(s, d1, base1, 900, 96, q % 96, qi, offered, q) == ACDL_OK;
        ok = ok && staging_add(s, d2, base2, 900, 96, 0, qi, handled, 1) == ACDL_OK;
    }
    CHECK(ok);
    /* the same queue again is the same number, also out of order */
    CHECK_EQ_INT(staging_queue(s, "Q17", 3, NULL, 0), 17);
    CHECK_EQ_INT(staging_queue(s, "Q2999", 5, NULL, 0), 2999);
    CHECK_EQ_INT(staging_spill(s), ACDL_OK);
    /* a second input: adds to what the first spilled */
    CHECK_EQ_INT(staging_add(s, d2, base2, 900, 96, 0, 17, handled, 2), ACDL_OK);
    CHECK_EQ_INT(staging_add(s, d2, base2, 900, 96, 1, 17, handled, 4), ACDL_OK);
    CHECK_EQ_INT(staging_add(s, d2, base2, 900, 96, 200, 17, handled, 4), ACDL_EINVAL);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days"), 0); /* nothing before the commit */
    CHECK_EQ_INT(staging_commit(s, NULL, NULL, 0, NULL, NULL), ACDL_OK);
    CHECK_EQ_INT(staging_overlaps(s), 1);
    staging_close(s);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days"), 6000);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queues"), 3000);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queue_metrics"), 6000);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queues WHERE name = 'Five'"), 1);
    CHECK(staged_value(c, "Q17", "handled", "2026-06-02", base2) == 3);
    CHECK(staged_value(c, "Q17", "handled", "2026-06-02", base2 + 900) == 4);
    CHECK(staged_value(c, "Q2999", "offered", "2026-06-01", base1 + (2999 % 96) * 900) == 2999);

    /* a later run: replaces the keys it holds, keeps the others */
    CHECK_EQ_INT(staging_open(&s, c, source_id, 8), ACDL_OK);
    int h2 = staging_metric(s, "handled");
    int q17 = staging_queue(s, "Q17", 3, NULL, 0);
    CHECK_EQ_INT(staging_add(s, d2, base2, 900, 96, 0, q17, h2, 10), ACDL_OK);
    CHECK_EQ_INT(staging_commit(s, NULL, NULL, 0, NULL, NULL), ACDL_OK);
    staging_close(s);
    CHECK(staged_value(c, "Q17", "handled", "2026-06-02", base2) == 10);
    CHECK(staged_value(c, "Q17", "handled", "2026-06-02", base2 + 900) == 4);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days WHERE run_id = 8"), 1);

    /* replacing whole days (ODBC): the period's other queues are gone */
    CHECK_EQ_INT(staging_open(&s, c, source_id, 9), ACDL_OK);
    int o3 = staging_metric(s, "offered");
    int q1 = staging_queue(s, "Q1", 2, NULL, 0);
    CHECK_EQ_INT(staging_add(s, d1, base1, 900, 96, 3, q1, o3, 5), ACDL_OK);
    CHECK_EQ_INT(staging_commit(s, "2026-06-01", "2026-06-01", 0, NULL, NULL), ACDL_OK);
    staging_close(s);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days WHERE day = '2026-06-01'"), 1);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days WHERE day = '2026-06-02'"), 3000);
    CHECK(staged_value(c, "Q1", "offered", "2026-06-01", base1 + 3 * 900) == 5);
    store_release(st, c);
    store_close(st);
}

/* Queue ids around the length kept inline (23, 24 bytes) and up to 128, values of one queue
 * on alternating days (its latest day is remembered), and a metric that comes after values
 * (every grid grows a column): each value lands where it belongs. */
static void test_ids_days_metrics(void)
{
    struct store_conn *c = NULL;
    int64_t source_id = 0;
    struct store *st = open_with_source("ids.db", &c, &source_id);
    if (!st) {
        return;
    }
    const int64_t base1 = 1780272000, base2 = base1 + 86400;
    const struct tz_date d1 = {2026, 6, 1}, d2 = {2026, 6, 2};
    struct staging *s = NULL;
    if (!CHECK_EQ_INT(staging_open(&s, c, source_id, 7), ACDL_OK)) {
        return;
    }
    static const size_t lens[] = {1, 22, 23, 24, 25, 64, 128};
    enum { NL = sizeof(lens) / sizeof(lens[0]) };
    char ids[NL][129];
    int qi[NL];
    int offered = staging_metric(s, "offered");
    for (size_t k = 0; k < NL; k++) {
        memset(ids[k], 'a' + (int)k, lens[k]);
        ids[k][lens[k]] = '\0';
        qi[k] = staging_queue(s, ids[k], lens[k], NULL, 0);
        CHECK_EQ_INT(qi[k], (int)k);
    }
    /* day 1, day 2, day 1 again for every queue, one queue after the other */
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < NL; k++) {
            struct tz_date d = round == 1 ? d2 : d1;
            int64_t base = round == 1 ? base2 : base1;
            CHECK_EQ_INT(staging_add(s, d, base, 900, 96, (int)k, qi[k], offered, 10 * round + 1),
                         ACDL_OK);
        }
    }
    /* a metric after the values: the grids grow and keep what they hold */
    int handled = staging_metric(s, "handled");
    CHECK_EQ_INT(handled, 1);
    for (size_t k = 0; k < NL; k++) {
        CHECK_EQ_INT(staging_queue(s, ids[k], lens[k], NULL, 0), qi[k]);
        CHECK_EQ_INT(staging_add(s, d1, base1, 900, 96, (int)k, qi[k], handled, 100 + (double)k),
                     ACDL_OK);
        CHECK_EQ_INT(staging_add(s, d2, base2, 900, 96, 95, qi[k], handled, 7), ACDL_OK);
    }
    CHECK_EQ_INT(staging_commit(s, NULL, NULL, 0, NULL, NULL), ACDL_OK);
    CHECK_EQ_INT(staging_overlaps(s), NL);
    staging_close(s);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queues"), NL);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queues WHERE length(ext_queue) = 128"), 1);
    for (size_t k = 0; k < NL; k++) {
        int64_t at = base1 + (int64_t)k * 900;
        if (!CHECK(staged_value(c, ids[k], "offered", "2026-06-01", at) == 22) ||
            !CHECK(staged_value(c, ids[k], "offered", "2026-06-02", base2 + (int64_t)k * 900) ==
                   11) ||
            !CHECK(staged_value(c, ids[k], "handled", "2026-06-01", at) == 100 + (double)k) ||
            !CHECK(staged_value(c, ids[k], "handled", "2026-06-02", base2 + 95 * 900) == 7)) {
            printf("  queue id of %zu bytes\n", lens[k]);
        }
    }
    store_release(st, c);
    store_close(st);
}

/* Streaming (staging_stream()) over days of 1,500 queues in time order: each finished day is
 * encoded beside the next day's values and written aside when that one is finished. A metric
 * that first comes on day 3 is staged and noted; a value of day 2 after day 4 began (a batch
 * in flight) ends streaming and adds up key by key; a run closed without its commit while a
 * batch is in flight leaves nothing behind. */
static void stream_days(int lean)
{
    struct store_conn *c = NULL;
    int64_t source_id = 0;
    struct store *st = open_with_source(lean ? "stream-lean.db" : "stream.db", &c, &source_id);
    if (!st) {
        return;
    }
    enum { NQ = 1500, ND = 4 };
    const int64_t base1 = 1780272000;
    struct staging *s = NULL;
    if (!CHECK_EQ_INT(staging_open(&s, c, source_id, 7), ACDL_OK)) {
        return;
    }
    staging_stream(s, NULL, NULL);
    if (lean) {
        staging_stream_lean(s);
    }
    int offered = staging_metric(s, "offered"), handled = -1;
    int ok = 1;
    for (int day = 0; day < ND && ok; day++) {
        struct tz_date d = {2026, 6, 1 + day};
        if (day == 2) {
            handled = staging_metric(s, "handled");
        }
        for (int q = 0; q < NQ && ok; q++) {
            char id[16];
            int n = snprintf(id, sizeof(id), "Q%d", q);
            int qi = staging_queue(s, id, (size_t)n, NULL, 0);
            ok = staging_add(s, d, base1 + day * 86400, 900, 96, q % 96, qi, offered,
                             day * 10000 + q) == ACDL_OK;
            if (ok && handled >= 0) {
                ok = staging_add(s, d, base1 + day * 86400, 900, 96, 0, qi, handled, 1) == ACDL_OK;
            }
        }
    }
    CHECK(ok);
    CHECK_EQ_INT(staging_stream_fallback(s, NULL, NULL), 0);
    /* day 2 again, for queue 7 (days 1 and 2 were written aside, day 3 is being encoded) */
    const struct tz_date d2 = {2026, 6, 2};
    CHECK_EQ_INT(staging_add(s, d2, base1 + 86400, 900, 96, 7, 7, offered, 5), ACDL_OK);
    struct tz_date fd, fa;
    CHECK_EQ_INT(staging_stream_fallback(s, &fd, &fa), STAGING_UNORDERED);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days"), 0); /* nothing before the commit */
    CHECK_EQ_INT(staging_commit(s, NULL, NULL, 0, NULL, NULL), ACDL_OK);
    CHECK_EQ_INT(staging_overlaps(s), 1);
    staging_close(s);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days"), NQ * ND);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM ext_queue_metrics"), 2 * NQ);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staging_pending"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staging_switches"), 0);
    CHECK(staged_value(c, "Q7", "offered", "2026-06-02", base1 + 86400 + 7 * 900) == 10007 + 5);
    CHECK(staged_value(c, "Q1499", "offered", "2026-06-04",
                       base1 + 3 * 86400 + (1499 % 96) * 900) == 31499);
    CHECK(staged_value(c, "Q3", "handled", "2026-06-03", base1 + 2 * 86400) == 1);
    CHECK(staged_value(c, "Q3", "handled", "2026-06-02", base1 + 86400) == -1);

    /* closed while a batch is in flight, never committed: nothing of it stays */
    CHECK_EQ_INT(staging_open(&s, c, source_id, 8), ACDL_OK);
    staging_stream(s, NULL, NULL);
    int o2 = staging_metric(s, "offered");
    ok = 1;
    for (int day = 0; day < 3 && ok; day++) {
        struct tz_date d = {2026, 6, 10 + day};
        for (int q = 0; q < NQ && ok; q++) {
            char id[16];
            int n = snprintf(id, sizeof(id), "Q%d", q);
            ok = staging_add(s, d, base1 + (9 + day) * 86400, 900, 96, 1,
                             staging_queue(s, id, (size_t)n, NULL, 0), o2, 1) == ACDL_OK;
        }
    }
    CHECK(ok);
    staging_close(s);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staged_days"), NQ * ND);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staging_pending"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM staging_switches"), 0);
    store_release(st, c);
    store_close(st);
}

static void test_stream_days(void)
{
    stream_days(0);
}

/* The same with the run's thread encoding a day in flight before each new grid. */
static void test_stream_days_lean(void)
{
    stream_days(1);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (check_tmpdir("staging", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_many);
    RUN(test_ids_days_metrics);
    RUN(test_stream_days);
    RUN(test_stream_days_lean);
    check_tmpdir_done(tmp);
    return check_summary();
}
