/* activities.h: WFM activities and the external activity codes of agent-state sources, with
 * their mapping. All functions borrow a held connection. */
#ifndef ACDL_STORE_ACTIVITIES_H
#define ACDL_STORE_ACTIVITIES_H
#include <stdint.h>

#include "store/store.h"

struct store_activity {
    int64_t id;
    char identifier[129];
    char name[257];
    char builtin[16]; /* "present", "logged_out" or "" */
    int64_t created_at, updated_at;
};

/* ACDL_EEXIST when the identifier is taken. */
int store_activity_add(struct store_conn *c, const struct store_activity *a, int64_t now,
                       int64_t *id);
int store_activity_get(struct store_conn *c, int64_t id, struct store_activity *out);
/* By identifier (exact, case kept). ACDL_ENOTFOUND. */
int store_activity_find(struct store_conn *c, const char *identifier, struct store_activity *out);
/* The id of a built-in activity ("present", "logged_out"); 0 when missing. */
int64_t store_activity_builtin(struct store_conn *c, const char *builtin);
/* Up to limit activities with id > after_id. *out is new (free()). */
int store_activity_list(struct store_conn *c, int64_t after_id, int limit,
                        struct store_activity **out, int *n);
/* Changes identifier and name. ACDL_ENOTFOUND, ACDL_EEXIST. */
int store_activity_update(struct store_conn *c, const struct store_activity *a, int64_t now);
/* ACDL_ECONFLICT for a built-in activity. Codes mapped to it become unmapped. */
int store_activity_delete(struct store_conn *c, int64_t id);

struct store_activity_code {
    int64_t source_id;
    char source_name[65];
    char code[129];
    char name[257];          /* "" when the source gives none */
    int64_t activity_id;     /* 0: not mapped (counts as present) */
    char activity_identifier[129];
    int64_t first_seen, last_seen; /* 0: not seen yet */
    int64_t count;
};

/* Codes of source_id (0: of every source), unmapped ones only when unmapped_only, ordered by
 * source and code, skipping offset rows. *out is new (free()). */
int store_activity_code_list(struct store_conn *c, int64_t source_id, int unmapped_only,
                             int offset, int limit, struct store_activity_code **out, int *n);
/* Maps code of source_id to activity_id (0: unmaps it), creating the code when it was not
 * seen yet. ACDL_ECONFLICT when the source or activity does not exist. */
int store_activity_code_map(struct store_conn *c, int64_t source_id, const char *code,
                            int64_t activity_id);

#endif
