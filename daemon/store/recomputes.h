/* recomputes.h: the recomputes table: results that must be computed again (schema 0014).
 *
 * Every change that alters results records here, in its own transaction, what to recompute:
 * a mapping (kind "mapping"), every agent of an agent-state source ("source_agents", ref 0:
 * every agent) or one WFM agent ("agent"), for a range of local days or for every staged day.
 * A second record of the same thing widens the first one's days and raises its gen, so that
 * a recomputation that read the older record leaves the newer one in place. All functions
 * borrow a held connection. */
#ifndef ACDL_STORE_RECOMPUTES_H
#define ACDL_STORE_RECOMPUTES_H
#include <stdint.h>

#include "store/store.h"

struct store_recompute {
    int64_t id, ref_id, gen;
    char kind[16];
    char day_from[11], day_to[11]; /* both "": every staged day */
    char reason[128];
    char ref_name[200]; /* what it is, for people: "Q1 / aht", a source's or agent's name */
    int attempts;
    char last_error[512]; /* "" while none failed */
    int64_t created_at, next_at;
};

/* Records (or widens) a recomputation; must run inside the caller's transaction. from and
 * to are local days or both NULL (every day). *id (may be NULL) gets the row. Returns 0 or
 * ACDL_EDB. */
int store_recompute_add(struct store_conn *c, const char *kind, int64_t ref_id, const char *from,
                        const char *to, const char *reason, int64_t now, int64_t *id);

/* The row of (kind, ref_id); ACDL_ENOTFOUND when nothing is pending for it. */
int store_recompute_find(struct store_conn *c, const char *kind, int64_t ref_id,
                         struct store_recompute *out);

/* Records mapping_id for every day, and the weighted mappings of its WFM queue that take
 * their weights from its value type (without a formula), inside the caller's transaction. */
int store_recompute_mapping(struct store_conn *c, int64_t mapping_id, const char *reason,
                            int64_t now, int64_t *id);

/* Records, inside the caller's transaction, every mapping (as store_recompute_mapping()) with
 * an input from source id (of "source"), with a formula on WFM queue id (of
 * "queue_formulas": they read the queue's local weekday and minute) or of value type id (of
 * "value_type"). */
int store_recompute_mappings_of(struct store_conn *c, const char *of, int64_t id,
                                const char *reason, int64_t now);

/* ACDL_ENOTFOUND when the row is gone (done). */
int store_recompute_get(struct store_conn *c, int64_t id, struct store_recompute *out);

/* Up to limit rows with id > after_id, oldest first; due_by > 0: only those with next_at <=
 * due_by. *out is new (free()). */
int store_recompute_list(struct store_conn *c, int64_t after_id, int64_t due_by, int limit,
                         struct store_recompute **out, int *n);

/* Removes row id when its gen is still gen (a newer change keeps it). */
int store_recompute_done(struct store_conn *c, int64_t id, int64_t gen);

/* Counts one more failed attempt of row id, with its error and the time of the next. */
int store_recompute_failed(struct store_conn *c, int64_t id, const char *error, int64_t next_at);

/* *pending gets the number of rows, *failing those with an error. */
int store_recompute_count(struct store_conn *c, int64_t *pending, int64_t *failing);

#endif
