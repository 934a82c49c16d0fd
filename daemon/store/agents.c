/* agents.c: the wfm_agents and agent_ids tables. */
#include "store/agents.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/log.h"

#define AGENT_COLS "id, identifier, coalesce(name, ''), created_at, updated_at"
#define ID_COLS                                                                                  \
    "i.source_id, s.name, i.ext_agent, coalesce(i.agent_id, 0), coalesce(a.identifier, ''), "  \
    "coalesce(i.first_seen, 0), coalesce(i.last_seen, 0), i.count FROM agent_ids i JOIN "      \
    "sources s ON s.id = i.source_id LEFT JOIN wfm_agents a ON a.id = i.agent_id "

static void row_to_agent(sqlite3_stmt *s, void *elem)
{
    struct store_agent *a = elem;
    a->id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, a->identifier, sizeof(a->identifier));
    store_column_text(s, 2, a->name, sizeof(a->name));
    a->created_at = sqlite3_column_int64(s, 3);
    a->updated_at = sqlite3_column_int64(s, 4);
}

static int get_one(struct store_conn *c, sqlite3_stmt *s, struct store_agent *out)
{
    int rc = ACDL_ENOTFOUND;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        row_to_agent(s, out);
        rc = ACDL_OK;
    } else if (r != SQLITE_DONE) {
        log_error("store", "reading an agent failed: %s", sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

int store_agent_add(struct store_conn *c, const struct store_agent *a, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "INSERT INTO wfm_agents (identifier, name, created_at, "
                                       "updated_at) VALUES (?, nullif(?, ''), ?3, ?3)");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, a->identifier);
    store_bind_text(s, 2, a->name);
    sqlite3_bind_int64(s, 3, now);
    int rc = store_step_done(c, s, "adding an agent");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_agent_get(struct store_conn *c, int64_t id, struct store_agent *out)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT " AGENT_COLS " FROM wfm_agents WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    return get_one(c, s, out);
}

int store_agent_find(struct store_conn *c, const char *identifier, struct store_agent *out)
{
    sqlite3_stmt *s =
        store_prepare(c, "SELECT " AGENT_COLS " FROM wfm_agents WHERE identifier = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, identifier);
    return get_one(c, s, out);
}

int store_agent_list(struct store_conn *c, int64_t after_id, int limit, struct store_agent **out,
                     int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT " AGENT_COLS " FROM wfm_agents WHERE id > ? ORDER BY id LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_agent), limit, row_to_agent, (void **)out, n);
}

int store_agent_update(struct store_conn *c, const struct store_agent *a, int64_t now)
{
    sqlite3_stmt *s = store_prepare(c, "UPDATE wfm_agents SET identifier = ?, name = "
                                       "nullif(?, ''), updated_at = ? WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, a->identifier);
    store_bind_text(s, 2, a->name);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, a->id);
    int rc = store_step_done(c, s, "changing an agent");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

int store_agent_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *s = store_prepare(c, "DELETE FROM wfm_agents WHERE id = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    int rc = store_step_done(c, s, "deleting an agent");
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

static void row_to_id(sqlite3_stmt *s, void *elem)
{
    struct store_agent_id *k = elem;
    k->source_id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, k->source_name, sizeof(k->source_name));
    store_column_text(s, 2, k->ext_agent, sizeof(k->ext_agent));
    k->agent_id = sqlite3_column_int64(s, 3);
    store_column_text(s, 4, k->agent_identifier, sizeof(k->agent_identifier));
    k->first_seen = sqlite3_column_int64(s, 5);
    k->last_seen = sqlite3_column_int64(s, 6);
    k->count = sqlite3_column_int64(s, 7);
}

int store_agent_ids_of(struct store_conn *c, int64_t agent_id, int limit,
                       struct store_agent_id **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT " ID_COLS "WHERE i.agent_id = ? ORDER BY i.source_id, i.ext_agent LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct store_agent_id), limit, row_to_id, (void **)out, n);
}

int store_agent_ids_unknown(struct store_conn *c, int64_t source_id, int offset, int limit,
                            struct store_agent_id **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT " ID_COLS "WHERE i.agent_id IS NULL AND (?1 = 0 OR i.source_id = ?1) ORDER "
           "BY i.source_id, i.ext_agent LIMIT ?2 OFFSET ?3");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int(s, 3, offset);
    return store_collect(s, sizeof(struct store_agent_id), limit, row_to_id, (void **)out, n);
}

int store_agent_id_map(struct store_conn *c, int64_t source_id, const char *ext_agent,
                       int64_t agent_id, int64_t *previous)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT coalesce(agent_id, 0) FROM agent_ids WHERE "
                                       "source_id = ? AND ext_agent = ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    store_bind_text(s, 2, ext_agent);
    int64_t prev = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    store_done(s);
    if (previous) {
        *previous = prev;
    }
    s = store_prepare(c, "INSERT INTO agent_ids (source_id, ext_agent, agent_id) VALUES (?1, ?2, "
                         "?3) ON CONFLICT DO UPDATE SET agent_id = excluded.agent_id");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    store_bind_text(s, 2, ext_agent);
    if (agent_id > 0) {
        sqlite3_bind_int64(s, 3, agent_id);
    } else {
        sqlite3_bind_null(s, 3);
    }
    return store_step_done(c, s, "mapping an agent id");
}
