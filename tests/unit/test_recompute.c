/* test_recompute.c: unit tests of pending recomputes (store/recomputes.c, pipeline/recompute.c)
 * with mapping.c on a real database file: a mapping that fails during a run stays due with the
 * run's days while the others are computed and the run's days are cleared; the pending record
 * survives closing and reopening the database and is worked off once the mapping is fixed; a
 * record raised by a newer change is not removed by an older recomputation; failures wait
 * (backoff); a finished run that kept its due days is computed by the drain. A run's mappings
 * are computed several to a transaction: a mapping that fails after it has written is rolled
 * back alone (its results stay as they were), the others of its transaction and of the next
 * one are stored; the intervals a transaction queued for the targets are remembered for its
 * later mappings, and forgotten with the mapping that is rolled back. The mappings of a run
 * that share an input read its staged days once: what they compute is exactly what each
 * mapping computes alone, over whole batches of results and the rows after the last one. A
 * re-import writes only the results that changed. */
#include <sqlite3.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/mapping.h"
#include "pipeline/recompute.h"
#include "pipeline/staging.h"
#include "platform/platform.h"
#include "store/catalog.h"
#include "store/mappings.h"
#include "store/deletes.h"
#include "store/recomputes.h"
#include "store/runs.h"
#include "store/sources.h"
#include "store/store.h"

static char tmp[512];
static char dbpath[700];

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

static int exec(struct store_conn *c, const char *sql)
{
    return sqlite3_exec(store_db(c), sql, NULL, NULL, NULL) == SQLITE_OK ? ACDL_OK : ACDL_EDB;
}

struct due {
    struct store_conn *c;
    int64_t run_id;
};

static int mark_due(void *ctx)
{
    struct due *d = ctx;
    return mapping_mark_due(d->c, d->run_id, "2026-06-01", "2026-06-01");
}

static int64_t mapping(struct store_conn *c, int64_t queue_id, const char *vt, int64_t source_id,
                       const char *formula)
{
    struct store_mapping *m = calloc(1, sizeof(*m));
    struct store_value_type v;
    int64_t id = 0;
    if (!m || store_value_type_get_by_key(c, vt, &v) != ACDL_OK) {
        free(m);
        return 0;
    }
    m->queue_id = queue_id;
    m->value_type_id = v.id;
    m->n = 1;
    m->in[0].source_id = source_id;
    snprintf(m->in[0].ext_queue, sizeof(m->in[0].ext_queue), "Q1");
    snprintf(m->in[0].metric, sizeof(m->in[0].metric), "offered");
    if (formula) {
        m->has_formula = 1;
        snprintf(m->formula, sizeof(m->formula), "%s", formula);
    }
    if (store_mapping_add(c, m, 1000, &id) != ACDL_OK) {
        id = 0;
    }
    free(m);
    return id;
}

/* A CSV interval source "S" in UTC, 15 minutes: its id (0 when it could not be added). */
static int64_t add_source(struct store_conn *c)
{
    struct store_source src;
    int64_t id = 0;
    memset(&src, 0, sizeof(src));
    snprintf(src.name, sizeof(src.name), "S");
    snprintf(src.kind, sizeof(src.kind), "csv");
    snprintf(src.product, sizeof(src.product), "contacts");
    snprintf(src.layout, sizeof(src.layout), "interval");
    snprintf(src.time_zone, sizeof(src.time_zone), "UTC");
    src.interval_minutes = 15;
    src.enabled = 1;
    src.settings = "{}";
    CHECK_EQ_INT(store_source_add(c, &src, 1000, &id), ACDL_OK);
    return id;
}

/* A WFM queue named and identified ident, calls, UTC, 15 minutes: its id. */
static int64_t add_queue(struct store_conn *c, const char *ident)
{
    struct store_queue q;
    int64_t id = 0;
    memset(&q, 0, sizeof(q));
    snprintf(q.identifier, sizeof(q.identifier), "%s", ident);
    snprintf(q.name, sizeof(q.name), "%s", ident);
    snprintf(q.channel, sizeof(q.channel), "calls");
    snprintf(q.time_zone, sizeof(q.time_zone), "UTC");
    q.interval_minutes = 15;
    CHECK_EQ_INT(store_queue_add(c, &q, 1000, &id), ACDL_OK);
    return id;
}

static void test_failed_mapping_stays_due(void)
{
    char err[512];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/recompute.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = 0, queue_id = 0, run_id = 0;
    source_id = add_source(c);
    queue_id = add_queue(c, "W1");

    /* a good mapping and one whose formula cannot be compiled (the store takes it as is) */
    int64_t good = mapping(c, queue_id, "offered", source_id, NULL);
    int64_t bad = mapping(c, queue_id, "handled", source_id, "p1 +");
    CHECK(good > 0 && bad > 0);
    /* adding recorded both as pending; an empty staging area computes nothing */
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM recomputes WHERE kind = 'mapping'"), 2);
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);

    /* a run stages 2026-06-01 and marks the day due in the same transaction */
    CHECK_EQ_INT(
        store_run_add(c, source_id, "manual", "2026-06-01", "2026-06-01", 0, "t", 1000, &run_id),
        ACDL_OK);
    struct staging *sg = NULL;
    const struct tz_date d1 = {2026, 6, 1};
    const int64_t base = 1780272000;
    if (!CHECK_EQ_INT(staging_open(&sg, c, source_id, run_id), ACDL_OK)) {
        return;
    }
    int offered = staging_metric(sg, "offered");
    int q1 = staging_queue(sg, "Q1", 2, NULL, 0);
    CHECK_EQ_INT(staging_add(sg, d1, base, 900, 96, 4, q1, offered, 7), ACDL_OK);
    struct due due = {c, run_id};
    CHECK_EQ_INT(staging_commit(sg, NULL, NULL, 0, mark_due, &due), ACDL_OK);
    staging_close(sg);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM runs WHERE map_from = '2026-06-01'"), 1);

    int64_t written = 0;
    int failed = 0;
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 1);
    CHECK_EQ_INT(written, 1);
    char want[64];
    snprintf(want, sizeof(want), "mapping %lld: ", (long long)bad);
    CHECK_CONTAINS(err, want);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM runs WHERE map_from IS NOT NULL"), 0);
    struct store_recompute p;
    if (CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p), ACDL_OK)) {
        CHECK_EQ_STR(p.day_from, "2026-06-01");
        CHECK_EQ_STR(p.day_to, "2026-06-01");
        CHECK_CONTAINS(p.reason, "failed in run");
    }
    CHECK_EQ_INT(store_recompute_find(c, "mapping", good, &p), ACDL_ENOTFOUND);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 1);

    /* the drain retries and fails again: the record waits, with its error */
    int done = -1;
    int64_t now = plat_now();
    CHECK_EQ_INT(recompute_drain(c, now, 10, &done, &failed), ACDL_OK);
    CHECK_EQ_INT(done, 0);
    CHECK_EQ_INT(failed, 1);
    if (CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p), ACDL_OK)) {
        CHECK_EQ_INT(p.attempts, 1);
        CHECK(p.next_at > now);
        CHECK(p.last_error[0] != '\0');
    }
    CHECK_EQ_INT(recompute_drain(c, now, 10, &done, &failed), ACDL_OK);
    CHECK_EQ_INT(done + failed, 0); /* not due yet */
    store_release(st, c);
    store_close(st);

    /* restart: the record is still there; fixing the mapping widens it to every day */
    st = NULL;
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    c = store_acquire(st);
    now = plat_now();
    CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p), ACDL_OK);
    struct store_mapping *m = calloc(1, sizeof(*m));
    if (CHECK(m != NULL) && CHECK_EQ_INT(store_mapping_get(c, bad, m), ACDL_OK)) {
        CHECK_EQ_INT(m->pending_recompute, 1);
        CHECK(m->recompute_error[0] != '\0');
        snprintf(m->formula, sizeof(m->formula), "p1 * 2");
        CHECK_EQ_INT(store_mapping_update(c, m, now), ACDL_OK);
    }
    struct store_recompute p2;
    if (CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p2), ACDL_OK)) {
        CHECK_EQ_STR(p2.day_from, "");
        CHECK_EQ_INT(p2.gen, p.gen + 1);
        CHECK_EQ_INT(p2.attempts, 0);
        /* a recomputation that read the older record does not remove the newer one */
        CHECK_EQ_INT(store_recompute_done(c, p.id, p.gen), ACDL_OK);
        CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p2), ACDL_OK);
    }
    CHECK_EQ_INT(recompute_drain(c, now, 10, &done, &failed), ACDL_OK);
    CHECK_EQ_INT(done, 1);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM recomputes"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT value FROM results r JOIN value_types v ON v.id = "
                          "r.value_type_id WHERE v.key = 'handled'"),
                 14);
    if (m && CHECK_EQ_INT(store_mapping_get(c, bad, m), ACDL_OK)) {
        CHECK_EQ_INT(m->pending_recompute, 0);
    }

    /* a finished run that kept its due days (it could not record them) is computed */
    CHECK_EQ_INT(exec(c, "DELETE FROM results"), ACDL_OK);
    CHECK_EQ_INT(exec(c, "UPDATE runs SET state = 'done', map_from = '2026-06-01', map_to = "
                         "'2026-06-01'"),
                 ACDL_OK);
    CHECK_EQ_INT(recompute_drain(c, now, 10, &done, &failed), ACDL_OK);
    CHECK_EQ_INT(done, 1);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM runs WHERE map_from IS NOT NULL"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 2);

    /* a value type's combination decides its mappings: changing it records them */
    struct store_value_type vt;
    if (CHECK_EQ_INT(store_value_type_get_by_key(c, "handled", &vt), ACDL_OK)) {
        CHECK_EQ_INT(store_value_type_update(c, &vt, now), ACDL_OK);
        CHECK_EQ_INT(store_recompute_find(c, "mapping", bad, &p), ACDL_OK);
        CHECK_EQ_INT(store_recompute_find(c, "mapping", good, &p), ACDL_ENOTFOUND);
        CHECK_EQ_INT(recompute_drain(c, now, 10, &done, &failed), ACDL_OK);
        CHECK_EQ_INT(done, 1);
    }

    /* deleting a mapping takes its record with it */
    CHECK_EQ_INT(store_recompute_mapping(c, good, "test", 8000, NULL), ACDL_OK);
    CHECK_EQ_INT(store_mapping_delete(c, good, 8000), ACDL_OK);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM recomputes"), 0);

    /* deleting the source: refused while mappings read it; with cascade they go with their
     * results, and nothing is left to recompute for them */
    struct store_delete_counts dc;
    int reading = q_int(c, "SELECT count(DISTINCT mapping_id) FROM mapping_inputs");
    CHECK(reading > 0);
    CHECK_EQ_INT(store_source_delete_checked(c, source_id, 0, now, &dc), ACDL_ECONFLICT);
    CHECK_EQ_INT((int)dc.mappings, reading);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM sources"), 1);
    CHECK_EQ_INT(store_source_delete_checked(c, source_id, 1, now, &dc), ACDL_OK);
    CHECK_EQ_INT((int)dc.mappings, reading);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM sources"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM mappings"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM recomputes"), 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 0);
    free(m);
    store_release(st, c);
    store_close(st);
}

/* Stages vals[slot] for queue Q1, metric offered, at the first nslots intervals of 2026-06-01
 * (a negative value: none) in a run of its own and marks the day due; returns the run. */
static int64_t stage_vals(struct store_conn *c, int64_t source_id, const double *vals, int nslots)
{
    int64_t run_id = 0;
    struct staging *sg = NULL;
    const struct tz_date d1 = {2026, 6, 1};
    if (store_run_add(c, source_id, "manual", "2026-06-01", "2026-06-01", 0, "t", 1000, &run_id) !=
            ACDL_OK ||
        staging_open(&sg, c, source_id, run_id) != ACDL_OK) {
        return 0;
    }
    int offered = staging_metric(sg, "offered");
    int q1 = staging_queue(sg, "Q1", 2, NULL, 0);
    struct due due = {c, run_id};
    int rc = ACDL_OK;
    for (int slot = 0; slot < nslots && rc == ACDL_OK; slot++) {
        if (vals[slot] >= 0) {
            rc = staging_add(sg, d1, 1780272000, 900, 96, slot, q1, offered, vals[slot]);
        }
    }
    if (rc == ACDL_OK) {
        rc = staging_commit(sg, NULL, NULL, 0, mark_due, &due);
    }
    staging_close(sg);
    return rc == ACDL_OK ? run_id : 0;
}

/* Stages value v at the first nslots intervals of 2026-06-01 (see stage_vals()). */
static int64_t stage_run(struct store_conn *c, int64_t source_id, double v, int nslots)
{
    double vals[96];
    for (int i = 0; i < nslots && i < 96; i++) {
        vals[i] = v;
    }
    return stage_vals(c, source_id, vals, nslots);
}

static void test_mappings_grouped(void)
{
    char err[512], sql[300];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/grouped.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = 0, queue_id = 0, first_queue = 0;
    source_id = add_source(c);
    /* 90 WFM queues with an offered mapping each, the first with a handled and an abandoned
     * one too: 92 mappings, more than one transaction holds */
    int64_t handled = 0;
    for (int i = 0; i < 90; i++) {
        char ident[16];
        snprintf(ident, sizeof(ident), "W%d", i);
        queue_id = add_queue(c, ident);
        CHECK(mapping(c, queue_id, "offered", source_id, NULL) > 0);
        if (i == 0) {
            first_queue = queue_id;
            handled = mapping(c, queue_id, "handled", source_id, "p1 * 2");
            CHECK(handled > 0);
            CHECK(mapping(c, queue_id, "abandoned", source_id, NULL) > 0);
        }
    }
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);

    int64_t written = 0;
    int failed = 0;
    int64_t run_id = stage_run(c, source_id, 7, 1);
    CHECK(run_id > 0);
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(written, 92);
    CHECK_EQ_INT(q_int(c, "PRAGMA foreign_keys"), 1); /* off only inside the groups */
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 7"), 91);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 14"), 1);

    /* the handled mapping fails while it writes (after its results were deleted): only it is
     * rolled back, the mappings before and after it in its transaction are stored */
    snprintf(sql, sizeof(sql),
             "CREATE TEMP TRIGGER refuse BEFORE INSERT ON results WHEN NEW.queue_id = %lld AND "
             "NEW.value = 18 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
             (long long)first_queue);
    CHECK_EQ_INT(exec(c, sql), ACDL_OK);
    run_id = stage_run(c, source_id, 9, 1);
    CHECK(run_id > 0);
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 1);
    CHECK_EQ_INT(written, 91);
    CHECK_EQ_INT(q_int(c, "PRAGMA foreign_keys"), 1);
    snprintf(sql, sizeof(sql), "mapping %lld: ", (long long)handled);
    CHECK_CONTAINS(err, sql);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 9"), 91);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 14"), 1); /* as it was */
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 92);
    struct store_recompute p;
    CHECK_EQ_INT(store_recompute_find(c, "mapping", handled, &p), ACDL_OK);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM recomputes"), 1);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM runs WHERE map_from IS NOT NULL"), 0);

    /* once it can be written, the drain computes it */
    CHECK_EQ_INT(exec(c, "DROP TRIGGER temp.refuse"), ACDL_OK);
    int done = 0;
    CHECK_EQ_INT(recompute_drain(c, plat_now(), 10, &done, &failed), ACDL_OK);
    CHECK_EQ_INT(done, 1);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 18"), 1);
    store_release(st, c);
    store_close(st);
}

/* A WFM queue's value types are computed by as many mappings of one transaction: its changed
 * intervals are inserted into outbox_cells by the first of them only. When that one fails
 * after it queued some of them (its savepoint rolled back, the pairs with it), the next
 * mapping of the queue must queue them itself: every interval reaches the target. */
static void test_queued_once_rolled_back(void)
{
    char err[512], sql[600];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/queued.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = add_source(c), queue_id = add_queue(c, "W");
    CHECK_EQ_INT(exec(c, "INSERT INTO targets (id, name, connector, settings, created_at, "
                         "updated_at) VALUES (1, 'T', 'csv-export', '{}', 1000, 1000)"),
                 ACDL_OK);
    int64_t offered = mapping(c, queue_id, "offered", source_id, NULL);
    int64_t handled = mapping(c, queue_id, "handled", source_id, "p1 * 2");
    CHECK(offered > 0 && handled > offered); /* computed in this order */
    struct store_value_type vt;
    CHECK_EQ_INT(store_value_type_get_by_key(c, "handled", &vt), ACDL_OK);
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);
    /* what reaches outbox_cells and stays (a temporary table rolls back with the savepoint) */
    CHECK_EQ_INT(exec(c, "CREATE TEMP TABLE queued (interval_start INTEGER)"), ACDL_OK);
    CHECK_EQ_INT(exec(c, "CREATE TEMP TRIGGER seen AFTER INSERT ON outbox_cells BEGIN INSERT "
                         "INTO queued VALUES (NEW.interval_start); END"),
                 ACDL_OK);
    /* the offered mapping fails at the last interval's insert, after it queued the others,
     * as long as the handled mapping has not written */
    snprintf(sql, sizeof(sql),
             "CREATE TEMP TRIGGER refuse BEFORE INSERT ON outbox_cells WHEN NEW.interval_start "
             "= 1780274700 AND NOT EXISTS (SELECT 1 FROM results WHERE queue_id = %lld AND "
             "value_type_id = %lld) BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
             (long long)queue_id, (long long)vt.id);
    CHECK_EQ_INT(exec(c, sql), ACDL_OK);

    int64_t written = 0;
    int failed = 0;
    int64_t run_id = stage_run(c, source_id, 5, 4);
    CHECK(run_id > 0);
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 1);
    snprintf(sql, sizeof(sql), "mapping %lld: ", (long long)offered);
    CHECK_CONTAINS(err, sql);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 10"), 4);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 5"), 0);
    /* all four intervals queued (by the handled mapping), each once */
    CHECK_EQ_INT(q_int(c, "SELECT count(DISTINCT interval_start) FROM queued"), 4);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM queued"), 4);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM target_cells WHERE revision = 1"), 4);
    store_release(st, c);
    store_close(st);
}

/* A group writes without checking foreign keys: what it writes must take its parents from
 * rows it read. A mapping whose WFM queue is gone (left behind with the checks off, as no
 * route can) writes nothing, fails nothing, and the results have no orphan afterwards; the
 * next group's mappings are stored. */
static void test_missing_parent(void)
{
    char err[512];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/parent.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = add_source(c);
    int64_t gone = add_queue(c, "GONE"), kept = add_queue(c, "KEPT");
    CHECK(mapping(c, gone, "offered", source_id, NULL) > 0);
    CHECK(mapping(c, kept, "offered", source_id, NULL) > 0);
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "PRAGMA foreign_keys = OFF; DELETE FROM wfm_queues WHERE id = %lld; PRAGMA "
             "foreign_keys = ON",
             (long long)gone);
    CHECK_EQ_INT(exec(c, sql), ACDL_OK);
    int64_t written = 0;
    int failed = 0;
    int64_t run_id = stage_run(c, source_id, 3, 2);
    CHECK(run_id > 0);
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(written, 2);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM results WHERE queue_id = %lld",
             (long long)kept);
    CHECK_EQ_INT(q_int(c, sql), 2);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 2);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM pragma_foreign_key_check('results')"), 0);
    CHECK_EQ_INT(q_int(c, "PRAGMA foreign_keys"), 1);
    store_release(st, c);
    store_close(st);
}

/* mapping_mark_due() for the two days of test_days_read_once. */
static int mark_due2(void *ctx)
{
    struct due *d = ctx;
    return mapping_mark_due(d->c, d->run_id, "2026-06-01", "2026-06-02");
}

/* A mapping of WFM queue queue_id, value type vt, from queue Q1's metric, with formula (or
 * NULL): its id (0 on failure). */
static int64_t mapping_of(struct store_conn *c, int64_t queue_id, const char *vt, int64_t source_id,
                          const char *metric, const char *formula)
{
    int64_t id = mapping(c, queue_id, vt, source_id, formula);
    char sql[200];
    snprintf(sql, sizeof(sql), "UPDATE mapping_inputs SET metric = '%s' WHERE mapping_id = %lld",
             metric, (long long)id);
    return id > 0 && exec(c, sql) == ACDL_OK ? id : 0;
}

static void test_days_read_once(void)
{
    char err[512];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/once.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = add_source(c), w1 = add_queue(c, "W1"), w2 = add_queue(c, "W2");
    int64_t ids[5];
    ids[0] = mapping_of(c, w1, "offered", source_id, "offered", NULL);
    ids[1] = mapping_of(c, w1, "handled", source_id, "handled", NULL);
    ids[2] = mapping_of(c, w1, "abandoned", source_id, "offered", "p1 - 1");
    ids[3] = mapping_of(c, w2, "offered", source_id, "handled", "p1 * 3");
    ids[4] = mapping_of(c, w2, "handled", source_id, "offered", NULL);
    for (int i = 0; i < 5; i++) {
        CHECK(ids[i] > 0);
    }
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);

    /* two days of Q1: offered = slot + 1 + 100 * day, handled = slot (none at slot 5) */
    int64_t run_id = 0;
    struct staging *sg = NULL;
    CHECK_EQ_INT(
        store_run_add(c, source_id, "manual", "2026-06-01", "2026-06-02", 0, "t", 1000, &run_id),
        ACDL_OK);
    CHECK_EQ_INT(staging_open(&sg, c, source_id, run_id), ACDL_OK);
    int offered = staging_metric(sg, "offered"), handled = staging_metric(sg, "handled");
    int q1 = staging_queue(sg, "Q1", 2, NULL, 0);
    int rc = ACDL_OK;
    for (int day = 0; day < 2; day++) {
        const struct tz_date d = {2026, 6, 1 + day};
        for (int slot = 0; slot < 96 && rc == ACDL_OK; slot++) {
            int64_t base = 1780272000 + 86400 * day;
            rc = staging_add(sg, d, base, 900, 96, slot, q1, offered, slot + 1 + 100 * day);
            if (rc == ACDL_OK && slot != 5) {
                rc = staging_add(sg, d, base, 900, 96, slot, q1, handled, slot);
            }
        }
    }
    struct due due = {c, run_id};
    CHECK_EQ_INT(rc, ACDL_OK);
    CHECK_EQ_INT(staging_commit(sg, NULL, NULL, 0, mark_due2, &due), ACDL_OK);
    staging_close(sg);

    int64_t written = 0;
    int failed = 0;
    CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(written, 192 * 5 - 2 * 2); /* handled has no slot 5 */
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 192 * 5 - 4);
    CHECK_EQ_INT(exec(c, "CREATE TEMP TABLE together AS SELECT queue_id, value_type_id, "
                         "interval_start, value FROM results"),
                 ACDL_OK);
    /* each mapping alone, reading its days itself */
    CHECK_EQ_INT(exec(c, "DELETE FROM results"), ACDL_OK);
    for (int i = 0; i < 5; i++) {
        int64_t w = 0;
        CHECK_EQ_INT(mapping_compute(c, ids[i], "2026-06-01", "2026-06-02", &w, err, sizeof(err)),
                     ACDL_OK);
    }
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 192 * 5 - 4);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM (SELECT queue_id, value_type_id, interval_start, "
                          "value FROM results EXCEPT SELECT * FROM together)"),
                 0);
    CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM (SELECT * FROM together EXCEPT SELECT "
                          "queue_id, value_type_id, interval_start, value FROM results)"),
                 0);
    /* and the values are the rules': W1 abandoned = offered - 1 on the second day's last slot,
     * W2 offered = 3 x handled */
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT value FROM together WHERE queue_id = %lld AND interval_start = %lld AND "
             "value_type_id = (SELECT value_type_id FROM mappings WHERE id = %lld)",
             (long long)w1, (long long)(1780272000 + 86400 + 95 * 900), (long long)ids[2]);
    CHECK_EQ_INT(q_int(c, sql), 195);
    snprintf(sql, sizeof(sql),
             "SELECT sum(value) FROM together WHERE queue_id = %lld AND value_type_id = (SELECT "
             "value_type_id FROM mappings WHERE id = %lld)",
             (long long)w2, (long long)ids[3]);
    CHECK_EQ_INT(q_int(c, sql), 2 * 3 * (95 * 96 / 2 - 5));
    store_release(st, c);
    store_close(st);
}

/* A re-import writes only the results that changed: one changed value is the one row written
 * (the others keep their updated_at), an interval without a value loses its row, the same
 * values write nothing, and when most values change the day is written anew. */
static void test_reimport_writes_changes(void)
{
    char err[512];
    struct store *st = NULL;
    snprintf(dbpath, sizeof(dbpath), "%s/reimport.db", tmp);
    if (!CHECK_EQ_INT(store_open(dbpath, 1, &st, err, sizeof(err)), ACDL_OK)) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    int64_t source_id = add_source(c), queue_id = add_queue(c, "W");
    CHECK(mapping(c, queue_id, "offered", source_id, NULL) > 0);
    CHECK_EQ_INT(exec(c, "DELETE FROM recomputes"), ACDL_OK);
    double vals[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    int64_t written = 0, run_id;
    int failed = 0;
    for (int round = 0; round < 5; round++) {
        if (round == 1) {
            vals[3] = 6; /* one value changes */
        } else if (round == 4) {
            for (int i = 0; i < 8; i++) {
                vals[i] = 9; /* all change */
            }
        }
        CHECK_EQ_INT(exec(c, "UPDATE results SET updated_at = 1"), ACDL_OK);
        if (round == 2) { /* an interval that has no value (any more) */
            char sql[200];
            snprintf(sql, sizeof(sql),
                     "INSERT INTO results VALUES (%lld, (SELECT value_type_id FROM mappings), "
                     "1780272000 + 20 * 900, 4, 1)",
                     (long long)queue_id);
            CHECK_EQ_INT(exec(c, sql), ACDL_OK);
        }
        run_id = stage_vals(c, source_id, vals, 8);
        CHECK(run_id > 0);
        CHECK_EQ_INT(mapping_apply_due(c, run_id, source_id, &written, &failed, err, sizeof(err)),
                     ACDL_OK);
        CHECK_EQ_INT(failed, 0);
        CHECK_EQ_INT(written, 8);
        switch (round) {
        case 0:
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 5 AND updated_at > "
                                  "1"),
                         8);
            break;
        case 1:
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE updated_at = 1 AND value = "
                                  "5"),
                         7);
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE updated_at > 1 AND value = "
                                  "6 AND interval_start = 1780272000 + 3 * 900"),
                         1);
            break;
        case 2:
        case 3: /* the same again: nothing written */
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 8);
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE updated_at = 1"), 8);
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 4"), 0);
            break;
        default:
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results WHERE value = 9 AND updated_at > "
                                  "1"),
                         8);
            CHECK_EQ_INT(q_int(c, "SELECT count(*) FROM results"), 8);
        }
    }
    store_release(st, c);
    store_close(st);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (check_tmpdir("recompute", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_failed_mapping_stays_due);
    RUN(test_mappings_grouped);
    RUN(test_queued_once_rolled_back);
    RUN(test_missing_parent);
    RUN(test_days_read_once);
    RUN(test_reimport_writes_changes);
    check_tmpdir_done(tmp);
    return check_summary();
}
