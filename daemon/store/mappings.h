/* mappings.h: the mappings and mapping_inputs tables. All functions borrow a held connection. */
#ifndef ACDL_STORE_MAPPINGS_H
#define ACDL_STORE_MAPPINGS_H
#include <stdint.h>

#include "pipeline/mapping.h"
#include "store/store.h"

struct store_mapping_input {
    int64_t source_id;
    char source_name[65];
    char ext_queue[129];
    char metric[65];
};

struct store_mapping {
    int64_t id, queue_id, value_type_id;
    char queue_identifier[129];
    char value_type_key[65];
    char formula[4097]; /* "" = none */
    int has_formula;
    struct store_mapping_input in[MAPPING_MAX_INPUTS];
    int n;
    int64_t created_at, updated_at;
    int form_override; /* 1: saved although its form contradicts its value type (asked for) */
    int pending_recompute;     /* 1: its results are still to be computed again */
    char recompute_error[512]; /* why the last attempt failed ("" none) */
};

/* ACDL_EEXIST when the queue has a mapping for that value type; ACDL_ECONFLICT when a
 * referenced queue, value type or source does not exist. */
int store_mapping_add(struct store_conn *c, const struct store_mapping *m, int64_t now,
                      int64_t *id);
/* store_mapping_add() inside the caller's transaction (which rolls back on failure), for
 * changes that create several mappings at once. */
int store_mapping_insert(struct store_conn *c, const struct store_mapping *m, int64_t now,
                         int64_t *id);
int store_mapping_get(struct store_conn *c, int64_t id, struct store_mapping *out);
/* Up to limit mappings with id > after_id (of one queue when queue_id > 0). *out is new. */
int store_mapping_list(struct store_conn *c, int64_t after_id, int64_t queue_id, int limit,
                       struct store_mapping **out, int *n);
/* Adding, changing and deleting record, in the same transaction, the recomputation of the
 * mapping and of the weighted mappings of its queue that take their weights from it
 * (store/recomputes.h). */
/* Replaces formula and inputs. */
int store_mapping_update(struct store_conn *c, const struct store_mapping *m, int64_t now);
/* Deletes the mapping with its results. */
int store_mapping_delete(struct store_conn *c, int64_t id, int64_t now);
/* store_mapping_delete() inside the caller's transaction; adds the number of results deleted
 * to *results (may be NULL). ACDL_ENOTFOUND when there is no such mapping. */
int store_mapping_remove(struct store_conn *c, int64_t id, int64_t now, int64_t *results);

#endif
