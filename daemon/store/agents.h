/* agents.h: WFM agents and the external agent ids of agent-state sources, with their mapping.
 * All functions borrow a held connection. */
#ifndef ACDL_STORE_AGENTS_H
#define ACDL_STORE_AGENTS_H
#include <stdint.h>

#include "store/store.h"

struct store_agent {
    int64_t id;
    char identifier[129];
    char name[257]; /* "" when none */
    int64_t created_at, updated_at;
};

/* ACDL_EEXIST when the identifier is taken. */
int store_agent_add(struct store_conn *c, const struct store_agent *a, int64_t now, int64_t *id);
int store_agent_get(struct store_conn *c, int64_t id, struct store_agent *out);
/* By identifier (exact). ACDL_ENOTFOUND. */
int store_agent_find(struct store_conn *c, const char *identifier, struct store_agent *out);
/* Up to limit agents with id > after_id. *out is new (free()). */
int store_agent_list(struct store_conn *c, int64_t after_id, int limit, struct store_agent **out,
                     int *n);
/* Changes identifier and name. ACDL_ENOTFOUND, ACDL_EEXIST. */
int store_agent_update(struct store_conn *c, const struct store_agent *a, int64_t now);
/* Deletes the agent with its spans; its external ids become unknown again. */
int store_agent_delete(struct store_conn *c, int64_t id);

struct store_agent_id {
    int64_t source_id;
    char source_name[65];
    char ext_agent[129];
    int64_t agent_id; /* 0: unknown */
    char agent_identifier[129];
    int64_t first_seen, last_seen; /* 0: not seen yet */
    int64_t count;
};

/* External ids of WFM agent agent_id (at most limit). *out is new (free()). */
int store_agent_ids_of(struct store_conn *c, int64_t agent_id, int limit,
                       struct store_agent_id **out, int *n);
/* External ids without a WFM agent (of source_id, or every source when 0), by source and id,
 * skipping offset rows. *out is new (free()). */
int store_agent_ids_unknown(struct store_conn *c, int64_t source_id, int offset, int limit,
                            struct store_agent_id **out, int *n);
/* Gives ext_agent of source_id to agent_id (0: makes it unknown), creating the id when it was
 * not seen yet. *previous (may be NULL) gets the agent it belonged to (0: none).
 * ACDL_ECONFLICT when the source or agent does not exist. */
int store_agent_id_map(struct store_conn *c, int64_t source_id, const char *ext_agent,
                       int64_t agent_id, int64_t *previous);

#endif
