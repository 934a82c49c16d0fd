/* deletes.c: counting and deleting what goes with a source or a WFM queue (store/deletes.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/deletes.h"
#include "store/mappings.h"
#include "store/recomputes.h"

/* The mappings that go with a source: every mapping with an input from it. */
#define SOURCE_MAPPINGS "SELECT DISTINCT mapping_id FROM mapping_inputs WHERE source_id = ?1"
#define QUEUE_MAPPINGS "SELECT id FROM mappings WHERE queue_id = ?1"

/* Statements are cached by the address of their text (store_prepare): each is a literal. */
#define MAPPING_LIST(IDS)                                                                          \
    "SELECT m.id, q.identifier, v.key FROM mappings m JOIN wfm_queues q ON q.id = m.queue_id "     \
    "JOIN value_types v ON v.id = m.value_type_id WHERE m.id IN (" IDS ") ORDER BY m.id"
#define MAPPING_RESULTS(IDS)                                                                       \
    "SELECT count(*) FROM mappings m JOIN results r ON r.queue_id = m.queue_id AND "               \
    "r.value_type_id = m.value_type_id WHERE m.id IN (" IDS ")"
/* target_cells is keyed by target first: one look-up per target */
#define MAPPING_DELIVERED(IDS)                                                                     \
    "SELECT count(*) FROM mappings m JOIN targets t JOIN target_cells tc ON tc.target_id = t.id "  \
    "AND tc.queue_id = m.queue_id AND tc.value_type_id = m.value_type_id AND tc.revision > 0 "     \
    "WHERE m.id IN (" IDS ")"
#define MAPPING_WEIGHTED(IDS)                                                                      \
    "SELECT count(DISTINCT w.id) FROM mappings m JOIN value_types v ON v.id = m.value_type_id "    \
    "JOIN mappings w ON w.queue_id = m.queue_id AND w.formula IS NULL JOIN value_types wv ON "     \
    "wv.id = w.value_type_id AND wv.combine = 'weighted' AND wv.weight_key = v.key WHERE m.id "    \
    "IN (" IDS ") AND w.id NOT IN (" IDS ")"

/* One count of sql with ?1 bound to id, added to *out. */
static int count_of(struct store_conn *c, const char *sql, int64_t id, int64_t *out)
{
    sqlite3_stmt *s = store_prepare(c, sql);
    int rc = ACDL_EDB;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *out += sqlite3_column_int64(s, 0);
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

/* Runs sql with ?1 bound to id. */
static int exec_id(struct store_conn *c, const char *sql, int64_t id, const char *what)
{
    sqlite3_stmt *s = store_prepare(c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return store_step_done(c, s, what);
}

/* Lists (up to the maximum) and counts the mappings of the source or the queue. */
static int list_mappings(struct store_conn *c, int queue, int64_t id,
                         struct store_delete_counts *out)
{
    sqlite3_stmt *s =
        store_prepare(c, queue ? MAPPING_LIST(QUEUE_MAPPINGS) : MAPPING_LIST(SOURCE_MAPPINGS));
    int r;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n_mapping_list < STORE_DELETE_LIST_MAX) {
            struct store_delete_mapping *m = &out->mapping_list[out->n_mapping_list++];
            m->id = sqlite3_column_int64(s, 0);
            store_column_text(s, 1, m->queue, sizeof(m->queue));
            store_column_text(s, 2, m->value_type, sizeof(m->value_type));
        }
        out->mappings++;
    }
    store_done(s);
    return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

/* Counts the results of a source's mappings, the values targets were given for them, and the
 * weighted averages outside them that take weights from them. */
static int count_mapping_data(struct store_conn *c, int64_t id, struct store_delete_counts *out)
{
    int rc = count_of(c, MAPPING_RESULTS(SOURCE_MAPPINGS), id, &out->results);
    if (rc == ACDL_OK) {
        rc = count_of(c, MAPPING_DELIVERED(SOURCE_MAPPINGS), id, &out->delivered);
    }
    if (rc == ACDL_OK) {
        rc = count_of(c, MAPPING_WEIGHTED(SOURCE_MAPPINGS), id, &out->recomputes);
    }
    return rc;
}

int store_delete_referenced(const struct store_delete_counts *n)
{
    return n->mappings > 0 || n->schedules > 0 || n->results > 0 || n->outbox_cells > 0;
}

static int exists(struct store_conn *c, const char *sql, int64_t id)
{
    int64_t n = 0;
    int rc = count_of(c, sql, id, &n);
    return rc != ACDL_OK ? rc : n > 0 ? ACDL_OK : ACDL_ENOTFOUND;
}

int store_source_delete_plan(struct store_conn *c, int64_t id, struct store_delete_counts *out)
{
    memset(out, 0, sizeof(*out));
    int rc = exists(c, "SELECT count(*) FROM sources WHERE id = ?1", id);
    if (rc == ACDL_OK) {
        rc = list_mappings(c, 0, id, out);
    }
    if (rc == ACDL_OK) {
        rc = count_mapping_data(c, id, out);
    }
    sqlite3_stmt *s = NULL;
    if (rc == ACDL_OK) {
        s = store_prepare(c, "SELECT id, kind, coalesce(every_minutes, 0), coalesce(daily_at, "
                             "'') FROM schedules WHERE source_id = ?1 ORDER BY id");
        rc = s ? ACDL_OK : ACDL_EDB;
    }
    if (s) {
        int r;
        sqlite3_bind_int64(s, 1, id);
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            if (out->n_schedule_list < STORE_DELETE_LIST_MAX) {
                struct store_delete_schedule *d = &out->schedule_list[out->n_schedule_list++];
                d->id = sqlite3_column_int64(s, 0);
                store_column_text(s, 1, d->kind, sizeof(d->kind));
                d->every_minutes = sqlite3_column_int(s, 2);
                store_column_text(s, 3, d->daily_at, sizeof(d->daily_at));
            }
            out->schedules++;
        }
        store_done(s);
        rc = r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    }
    static const char *const counts[] = {
        "SELECT count(*) FROM staged_days WHERE source_id = ?1",
        "SELECT count(*) FROM agent_staged WHERE source_id = ?1",
        "SELECT count(DISTINCT agent_id) FROM agent_ids WHERE source_id = ?1 AND agent_id IS "
        "NOT NULL",
        "SELECT count(*) FROM runs WHERE source_id = ?1",
        "SELECT count(*) FROM runs WHERE source_id = ?1 AND state IN ('queued', 'running')",
    };
    int64_t *to[] = {&out->staged_days, &out->agent_states, &out->agents, &out->runs,
                     &out->active_runs};
    for (size_t i = 0; rc == ACDL_OK && i < sizeof(counts) / sizeof(counts[0]); i++) {
        rc = count_of(c, counts[i], id, to[i]);
    }
    out->recomputes += out->agents;
    return rc;
}

int store_queue_delete_plan(struct store_conn *c, int64_t id, struct store_delete_counts *out)
{
    memset(out, 0, sizeof(*out));
    int rc = exists(c, "SELECT count(*) FROM wfm_queues WHERE id = ?1", id);
    if (rc == ACDL_OK) {
        rc = list_mappings(c, 1, id, out);
    }
    if (rc == ACDL_OK) { /* all of its results, also any no mapping computes any more */
        rc = count_of(c, "SELECT count(*) FROM results WHERE queue_id = ?1", id, &out->results);
    }
    if (rc == ACDL_OK) {
        rc = count_of(c,
                      "SELECT count(*) FROM targets t JOIN target_cells tc ON tc.target_id = "
                      "t.id AND tc.queue_id = ?1 AND tc.revision > 0",
                      id, &out->delivered);
    }
    if (rc == ACDL_OK) {
        rc = count_of(c,
                      "SELECT count(*) FROM targets t JOIN outbox_cells o ON o.target_id = t.id "
                      "AND o.queue_id = ?1",
                      id, &out->outbox_cells);
    }
    return rc;
}

/* Deletes the mappings of the source or the queue with their results, counting the results
 * into out->results. */
static int remove_mappings(struct store_conn *c, int queue, int64_t id, int64_t now,
                           struct store_delete_counts *out)
{
    int64_t *ids = NULL;
    size_t n = 0;
    sqlite3_stmt *s = store_prepare(c, queue ? QUEUE_MAPPINGS : SOURCE_MAPPINGS);
    int rc = s ? ACDL_OK : ACDL_EDB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        rc = store_ids_collect(s, &ids, &n);
    }
    out->results = 0;
    for (size_t i = 0; rc == ACDL_OK && i < n; i++) {
        rc = store_mapping_remove(c, ids[i], now, &out->results);
    }
    free(ids);
    return rc;
}

/* The common frame: plan, check, delete, all in one transaction. */
static int delete_checked(struct store_conn *c, int64_t id, int cascade, int64_t now,
                          struct store_delete_counts *out, int queue)
{
    int rc = store_begin(c);
    if (rc != ACDL_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    rc = queue ? store_queue_delete_plan(c, id, out) : store_source_delete_plan(c, id, out);
    if (rc == ACDL_OK && (out->active_runs > 0 || (!cascade && store_delete_referenced(out)))) {
        rc = ACDL_ECONFLICT;
    }
    if (rc == ACDL_OK) {
        rc = remove_mappings(c, queue, id, now, out);
    }
    if (rc == ACDL_OK && queue) {
        /* what waits to be packed and what the targets were given name a queue that is gone
         * (its id is never used again) */
        rc = exec_id(c, "DELETE FROM results WHERE queue_id = ?1", id, "deleting results");
        if (rc == ACDL_OK) {
            out->results += sqlite3_changes(store_db(c));
            rc = exec_id(c,
                         "DELETE FROM outbox_cells WHERE target_id IN (SELECT id FROM targets) "
                         "AND queue_id = ?1",
                         id, "deleting queued intervals");
        }
        if (rc == ACDL_OK) {
            rc = exec_id(c,
                         "DELETE FROM target_cells WHERE target_id IN (SELECT id FROM targets) "
                         "AND queue_id = ?1",
                         id, "deleting delivered values");
        }
        if (rc == ACDL_OK) {
            rc = exec_id(c, "DELETE FROM wfm_queues WHERE id = ?1", id, "deleting a queue");
        }
    } else if (rc == ACDL_OK) {
        /* the WFM agents it gave states for are computed again without them */
        int64_t *agents = NULL;
        size_t n = 0;
        sqlite3_stmt *s = store_prepare(c, "SELECT DISTINCT agent_id FROM agent_ids WHERE "
                                           "source_id = ?1 AND agent_id IS NOT NULL");
        rc = s ? ACDL_OK : ACDL_EDB;
        if (s) {
            sqlite3_bind_int64(s, 1, id);
            rc = store_ids_collect(s, &agents, &n);
        }
        for (size_t i = 0; rc == ACDL_OK && i < n; i++) {
            rc =
                store_recompute_add(c, "agent", agents[i], NULL, NULL, "source deleted", now, NULL);
        }
        free(agents);
        if (rc == ACDL_OK) {
            rc = exec_id(c, "DELETE FROM recomputes WHERE kind = 'source_agents' AND ref_id = ?1",
                         id, "deleting a source's recompute");
        }
        if (rc == ACDL_OK) {
            rc = exec_id(c, "DELETE FROM sources WHERE id = ?1", id, "deleting a source");
        }
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    return rc;
}

int store_source_delete_checked(struct store_conn *c, int64_t id, int cascade, int64_t now,
                                struct store_delete_counts *out)
{
    return delete_checked(c, id, cascade, now, out, 0);
}

int store_queue_delete_checked(struct store_conn *c, int64_t id, int cascade, int64_t now,
                               struct store_delete_counts *out)
{
    return delete_checked(c, id, cascade, now, out, 1);
}
