/* test_staged.c: unit tests of the staged-day blob (store/staged.h): exact round trips of the
 * value encodings, merging key by key, malformed blobs refused, and the migration that turns
 * per-value staged rows into day rows on a real database file. */
#include <sqlite3.h>
#include <string.h>

#include "check.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "store/staged.h"
#include "store/store.h"

static char tmp[512];

static int collect_fn(void *ctx, int64_t utc, double value)
{
    double *out = ctx;
    int i = (int)out[0];
    out[1 + 2 * i] = (double)utc;
    out[2 + 2 * i] = value;
    out[0] = i + 1;
    return 0;
}

static void test_round_trip(void)
{
    /* every kind of value the encoder has a tag for, and the awkward ones */
    const double values[] = {-0.0,
                             0,
                             1,
                             -1,
                             12,
                             187.4,
                             -3.5,
                             87.25,
                             0.1,
                             1e15,
                             -4.5e15,
                             1e300,
                             -0.125,
                             1.0 / 3.0,
                             2.5e-7,
                             123456789.12,
                             9007199254740993.0};
    const int nv = (int)(sizeof(values) / sizeof(values[0]));
    struct staged_day d = {0}, back = {0};
    staged_day_reset(&d, 1780000000, 900, 96);
    struct staged_series *a = staged_day_series(&d, 7, 1);
    struct staged_series *b = staged_day_series(&d, 3, 1); /* inserted before 7 */
    CHECK(a && b && d.n == 2 && d.s[0]->metric == 3 && d.s[1]->metric == 7);
    if (!a || !b) {
        return;
    }
    for (int i = 0; i < nv; i++) {
        a->v[i * 5] = values[i];
        a->has[i * 5] = 1;
    }
    b->v[95] = 42;
    b->has[95] = 1;
    staged_day_series(&d, 9, 1); /* no values: left out */
    uint8_t *blob = NULL;
    size_t n = 0;
    CHECK_EQ_INT(staged_day_encode(&d, &blob, &n), ACDL_OK);
    CHECK(n > 0 && n < 400);
    CHECK_EQ_INT(staged_day_decode(&back, blob, n), ACDL_OK);
    CHECK_EQ_INT(back.base, 1780000000);
    CHECK_EQ_INT(back.step, 900);
    CHECK_EQ_INT(back.nslots, 96);
    CHECK_EQ_INT(back.n, 2);
    struct staged_series *ra = staged_day_series(&back, 7, 0);
    CHECK(ra != NULL);
    int same = ra != NULL;
    for (int i = 0; ra && i < 96; i++) {
        int want = i % 5 == 0 && i / 5 < nv;
        if (!!ra->has[i] != want || (want && memcmp(&ra->v[i], &values[i / 5], 8) != 0)) {
            same = 0;
            fprintf(stdout, "slot %d differs\n", i);
        }
    }
    CHECK(same);
    CHECK(staged_day_series(&back, 9, 0) == NULL);

    /* one metric without decoding the others: UTC of each slot */
    double got[1 + 2 * 96] = {0};
    CHECK_EQ_INT(staged_blob_values(blob, n, 3, collect_fn, got), ACDL_OK);
    CHECK_EQ_INT((int)got[0], 1);
    CHECK_EQ_INT((int64_t)got[1], 1780000000 + 95 * 900);
    CHECK(got[2] == 42);
    memset(got, 0, sizeof(got));
    CHECK_EQ_INT(staged_blob_values(blob, n, 8, collect_fn, got), ACDL_OK);
    CHECK_EQ_INT((int)got[0], 0);
    int64_t ids[4];
    int count = 0;
    CHECK_EQ_INT(staged_blob_metrics(blob, n, ids, 4, &count), ACDL_OK);
    CHECK(count == 2 && ids[0] == 3 && ids[1] == 7);

    /* every truncation and a flipped version byte are refused, never read past the end */
    int refused = 1;
    for (size_t k = 0; k < n; k++) {
        if (staged_day_decode(&back, blob, k) != ACDL_EINVAL) {
            refused = 0;
            fprintf(stdout, "a blob cut to %zu bytes was accepted\n", k);
        }
    }
    CHECK(refused);
    blob[0] = 2;
    CHECK_EQ_INT(staged_day_decode(&back, blob, n), ACDL_EINVAL);
    free(blob);
    staged_day_clear(&d);
    staged_day_clear(&back);
}

static void test_merge(void)
{
    struct staged_day old = {0}, part = {0}, other = {0};
    int64_t overlaps = 0;
    staged_day_reset(&old, 1000, 900, 4);
    staged_day_reset(&part, 1000, 900, 4);
    struct staged_series *o = staged_day_series(&old, 1, 1);
    o->v[0] = 5, o->has[0] = 1;
    o->v[1] = 6, o->has[1] = 1;
    struct staged_series *p = staged_day_series(&part, 1, 1);
    p->v[1] = 60, p->has[1] = 1;
    p->v[2] = 70, p->has[2] = 1;
    struct staged_series *p2 = staged_day_series(&part, 2, 1);
    p2->v[3] = 1, p2->has[3] = 1;

    /* a later import replaces the keys it holds, keeps the others */
    CHECK_EQ_INT(staged_day_merge(&old, &part, 0, &overlaps), ACDL_OK);
    o = staged_day_series(&old, 1, 0);
    CHECK(o && o->has[0] && o->v[0] == 5 && o->v[1] == 60 && o->v[2] == 70 && !o->has[3]);
    CHECK(staged_day_series(&old, 2, 0) != NULL);
    CHECK_EQ_INT(overlaps, 0);
    /* within a run: added up, overlaps counted */
    CHECK_EQ_INT(staged_day_merge(&old, &part, 1, &overlaps), ACDL_OK);
    o = staged_day_series(&old, 1, 0);
    CHECK(o && o->v[1] == 120 && o->v[2] == 140 && o->v[0] == 5);
    CHECK_EQ_INT(overlaps, 3);
    /* another grid (the interval changed): replaced whole */
    staged_day_reset(&other, 1000, 1800, 2);
    struct staged_series *x = staged_day_series(&other, 4, 1);
    x->v[0] = 9, x->has[0] = 1;
    CHECK_EQ_INT(staged_day_merge(&old, &other, 0, NULL), ACDL_OK);
    CHECK(old.step == 1800 && old.nslots == 2 && old.n == 1 && old.s[0]->metric == 4);
    staged_day_clear(&old);
    staged_day_clear(&part);
    staged_day_clear(&other);
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

/* An upgrade keeps what was staged: the per-value rows of schema 6 become day rows. */
static void test_migration(void)
{
    char path[700], err[512] = "";
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/upgrade.db", tmp);
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(staged_register(db), ACDL_OK);
    size_t before = 0;
    while (before < schema_count && !strstr(schema_files[before].name, "_staged_days.sql")) {
        before++;
    }
    CHECK(before < schema_count);
    CHECK_EQ_INT(store_migrate(db, schema_files, before, err, sizeof(err)), ACDL_OK);
    /* Berlin, 2026-03-29 (the spring day: 92 quarter-hours from 2026-03-28T23:00Z), and a day
     * of a source that was switched from 15 to 60 minutes after staging */
    const char *old =
        "INSERT INTO sources (id, name, kind, product, layout, time_zone, interval_minutes, "
        "created_at, updated_at) VALUES (1, 'a', 'csv', 'contacts', 'interval', "
        "'Europe/Berlin', 15, 0, 0), (2, 'b', 'csv', 'contacts', 'interval', 'UTC', 60, 0, 0);"
        "INSERT INTO ext_queues VALUES (1, '101', 'Sales', 5, 6), (2, 'X', NULL, 5, 6);"
        "INSERT INTO staged VALUES (1, '2026-03-29', 1774738800, '101', 'offered', 10, 3),"
        " (1, '2026-03-29', 1774738800, '101', 'aht', 187.4, 3),"
        " (1, '2026-03-29', 1774820700, '101', 'offered', 4, 4),"
        " (1, '2026-03-29', 1774738800, '102', 'offered', 1, 3),"
        " (2, '2026-06-01', 1780273800, 'X', 'calls', 2.5, 5);";
    char *msg = NULL;
    CHECK_EQ_INT(sqlite3_exec(db, old, NULL, NULL, &msg), SQLITE_OK);
    if (msg) {
        fprintf(stdout, "%s\n", msg);
        sqlite3_free(msg);
    }
    CHECK_EQ_INT(store_migrate(db, schema_files, schema_count, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM staged_days"), 3);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'staged'"), 0);
    /* the queue staged without an ext_queues row got one */
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM ext_queues WHERE source_id = 1"), 2);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM ext_queue_metrics x JOIN ext_queues e ON e.id "
                           "= x.queue_id WHERE e.ext_queue = '101'"),
                 2);
    CHECK_EQ_INT(q_int(db, "SELECT run_id FROM staged_days d JOIN ext_queues e ON e.id = "
                           "d.queue_id WHERE e.ext_queue = '101'"),
                 4);

    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT d.vals, (SELECT id FROM metric_names WHERE name = ?) FROM "
                       "staged_days d JOIN ext_queues e ON e.id = d.queue_id WHERE e.ext_queue "
                       "= ?",
                       -1, &s, NULL);
    struct staged_day day = {0};
    double got[1 + 2 * 8];
    /* 101: the spring day's grid, both values of offered in place */
    sqlite3_bind_text(s, 1, "offered", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, "101", -1, SQLITE_STATIC);
    if (CHECK(sqlite3_step(s) == SQLITE_ROW)) {
        const void *b = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        CHECK_EQ_INT(staged_day_decode(&day, b, n), ACDL_OK);
        CHECK_EQ_INT(day.base, 1774738800);
        CHECK_EQ_INT(day.nslots, 92);
        CHECK_EQ_INT(day.step, 900);
        memset(got, 0, sizeof(got));
        CHECK_EQ_INT(staged_blob_values(b, n, sqlite3_column_int64(s, 1), collect_fn, got), 0);
        CHECK(got[0] == 2 && got[1] == 1774738800 && got[2] == 10 && got[3] == 1774820700 &&
              got[4] == 4);
    }
    sqlite3_reset(s);
    /* X: staged on a half-hour while the source now says 60 minutes: kept on quarter-hours */
    sqlite3_bind_text(s, 1, "calls", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, "X", -1, SQLITE_STATIC);
    if (CHECK(sqlite3_step(s) == SQLITE_ROW)) {
        const void *b = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        CHECK_EQ_INT(staged_day_decode(&day, b, n), ACDL_OK);
        CHECK_EQ_INT(day.step, 900);
        memset(got, 0, sizeof(got));
        staged_blob_values(b, n, sqlite3_column_int64(s, 1), collect_fn, got);
        CHECK(got[0] == 1 && got[1] == 1780273800 && got[2] == 2.5);
    }
    sqlite3_finalize(s);
    staged_day_clear(&day);

    /* merging through SQL: the new day's keys win, the old ones stay */
    CHECK_EQ_INT(q_int(db, "SELECT length(acdl_staged_merge(NULL, vals)) = length(vals) FROM "
                           "staged_days LIMIT 1"),
                 1);
    sqlite3_close(db);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (check_tmpdir("staged", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_round_trip);
    RUN(test_merge);
    RUN(test_migration);
    check_tmpdir_done(tmp);
    return check_summary();
}
