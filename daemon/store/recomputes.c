/* recomputes.c: the recomputes table (see recomputes.h). */
#include "store/recomputes.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

int store_recompute_add(struct store_conn *c, const char *kind, int64_t ref_id, const char *from,
                        const char *to, const char *reason, int64_t now, int64_t *id)
{
    /* a day range only widens; NULL (every day) wins over any range */
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO recomputes (kind, ref_id, day_from, day_to, reason, created_at, "
           "next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (kind, ref_id) DO UPDATE "
           "SET day_from = CASE WHEN day_from IS NULL OR excluded.day_from IS NULL THEN NULL "
           "ELSE min(day_from, excluded.day_from) END, day_to = CASE WHEN day_to IS NULL OR "
           "excluded.day_to IS NULL THEN NULL ELSE max(day_to, excluded.day_to) END, reason = "
           "excluded.reason, gen = gen + 1, attempts = 0, next_at = excluded.next_at "
           "RETURNING id");
    int rc = ACDL_EDB;
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, kind);
    sqlite3_bind_int64(s, 2, ref_id);
    store_bind_text(s, 3, from && to ? from : NULL);
    store_bind_text(s, 4, from && to ? to : NULL);
    store_bind_text(s, 5, reason);
    sqlite3_bind_int64(s, 6, now);
    if (sqlite3_step(s) == SQLITE_ROW) {
        if (id) {
            *id = sqlite3_column_int64(s, 0);
        }
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_recompute_mapping(struct store_conn *c, int64_t mapping_id, const char *reason,
                            int64_t now, int64_t *id)
{
    /* weighted averages of the queue read their weights through this mapping's inputs */
    sqlite3_stmt *s = store_prepare(
        c, "SELECT w.id FROM mappings m JOIN value_types v ON v.id = m.value_type_id JOIN "
           "mappings w ON w.queue_id = m.queue_id AND w.id <> m.id AND w.formula IS NULL JOIN "
           "value_types wv ON wv.id = w.value_type_id AND wv.combine = 'weighted' AND "
           "wv.weight_key = v.key WHERE m.id = ? LIMIT 64");
    int64_t dep[64];
    int n = 0, rc;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, mapping_id);
    while (n < 64 && sqlite3_step(s) == SQLITE_ROW) {
        dep[n++] = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    rc = store_recompute_add(c, "mapping", mapping_id, NULL, NULL, reason, now, id);
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        rc = store_recompute_add(c, "mapping", dep[i], NULL, NULL, reason, now, NULL);
    }
    return rc;
}

int store_recompute_mappings_of(struct store_conn *c, const char *of, int64_t id,
                                const char *reason, int64_t now)
{
    sqlite3_stmt *s =
        !strcmp(of, "source")
            ? store_prepare(c, "SELECT DISTINCT mapping_id FROM mapping_inputs WHERE source_id = ?")
        : !strcmp(of, "queue_formulas")
            ? store_prepare(c, "SELECT id FROM mappings WHERE queue_id = ? AND formula IS NOT NULL")
            : store_prepare(c, "SELECT id FROM mappings WHERE value_type_id = ?");
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    rc = store_ids_collect(s, &ids, &n);
    for (size_t i = 0; rc == ACDL_OK && i < n; i++) {
        rc = store_recompute_mapping(c, ids[i], reason, now, NULL);
    }
    free(ids);
    return rc;
}

#define RECOMPUTE_SELECT                                                                           \
    "SELECT r.id, r.kind, r.ref_id, r.day_from, r.day_to, r.reason, r.gen, r.attempts, "           \
    "r.last_error, r.created_at, r.next_at, CASE r.kind WHEN 'mapping' THEN (SELECT "              \
    "q.identifier || ' / ' || v.key FROM mappings m JOIN wfm_queues q ON q.id = m.queue_id "       \
    "JOIN value_types v ON v.id = m.value_type_id WHERE m.id = r.ref_id) WHEN 'agent' THEN "       \
    "(SELECT identifier FROM wfm_agents WHERE id = r.ref_id) ELSE (SELECT name FROM sources "      \
    "WHERE id = r.ref_id) END FROM recomputes r "

static void row_to_recompute(sqlite3_stmt *s, void *elem)
{
    struct store_recompute *p = elem;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, p->kind, sizeof(p->kind));
    p->ref_id = sqlite3_column_int64(s, 2);
    store_column_text(s, 3, p->day_from, sizeof(p->day_from));
    store_column_text(s, 4, p->day_to, sizeof(p->day_to));
    store_column_text(s, 5, p->reason, sizeof(p->reason));
    p->gen = sqlite3_column_int64(s, 6);
    p->attempts = sqlite3_column_int(s, 7);
    store_column_text(s, 8, p->last_error, sizeof(p->last_error));
    p->created_at = sqlite3_column_int64(s, 9);
    p->next_at = sqlite3_column_int64(s, 10);
    store_column_text(s, 11, p->ref_name, sizeof(p->ref_name));
    if (!p->day_to[0]) {
        p->day_from[0] = '\0';
    }
}

/* Steps bound statement s (RECOMPUTE_SELECT) for one row. */
static int one_row(sqlite3_stmt *s, struct store_recompute *out)
{
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_recompute(s, out);
    }
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : r == SQLITE_DONE ? ACDL_ENOTFOUND : ACDL_EDB;
}

int store_recompute_get(struct store_conn *c, int64_t id, struct store_recompute *out)
{
    sqlite3_stmt *s = store_prepare(c, RECOMPUTE_SELECT "WHERE r.id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return one_row(s, out);
}

int store_recompute_find(struct store_conn *c, const char *kind, int64_t ref_id,
                         struct store_recompute *out)
{
    sqlite3_stmt *s = store_prepare(c, RECOMPUTE_SELECT "WHERE r.kind = ? AND r.ref_id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, kind);
    sqlite3_bind_int64(s, 2, ref_id);
    return one_row(s, out);
}

int store_recompute_list(struct store_conn *c, int64_t after_id, int64_t due_by, int limit,
                         struct store_recompute **out, int *n)
{
    sqlite3_stmt *s = store_prepare(c, RECOMPUTE_SELECT "WHERE r.id > ?1 AND (?2 = 0 OR "
                                                        "r.next_at <= ?2) ORDER BY r.id LIMIT ?3");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, due_by);
    sqlite3_bind_int(s, 3, limit);
    return store_collect(s, sizeof(**out), limit, row_to_recompute, (void **)out, n);
}

int store_recompute_done(struct store_conn *c, int64_t id, int64_t gen)
{
    sqlite3_stmt *s = store_prepare(c, "DELETE FROM recomputes WHERE id = ? AND gen = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, gen);
    return store_step_done(c, s, "clearing a recompute");
}

int store_recompute_failed(struct store_conn *c, int64_t id, const char *error, int64_t next_at)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE recomputes SET attempts = attempts + 1, "
                                       "last_error = ?, next_at = ? WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, error);
    sqlite3_bind_int64(s, 2, next_at);
    sqlite3_bind_int64(s, 3, id);
    return store_step_done(c, s, "recording a failed recompute");
}

int store_recompute_count(struct store_conn *c, int64_t *pending, int64_t *failing)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*), count(last_error) FROM recomputes");
    int rc = ACDL_EDB;
    *pending = 0;
    *failing = 0;
    if (!s) {
        return ACDL_EDB;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        *pending = sqlite3_column_int64(s, 0);
        *failing = sqlite3_column_int64(s, 1);
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}
