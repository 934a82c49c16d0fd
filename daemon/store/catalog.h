/* catalog.h: the WFM side's catalogue: WFM queues and value types. All functions borrow a held
 * connection. */
#ifndef ACDL_STORE_CATALOG_H
#define ACDL_STORE_CATALOG_H
#include <stdint.h>

#include "store/store.h"

struct store_queue {
    int64_t id;
    char identifier[129];
    char name[257];
    char channel[16];
    int interval_minutes;
    char time_zone[65];
    int64_t created_at, updated_at;
};

/* ACDL_EEXIST when the identifier is taken. */
int store_queue_add(struct store_conn *c, const struct store_queue *q, int64_t now, int64_t *id);
int store_queue_get(struct store_conn *c, int64_t id, struct store_queue *out);
/* Up to limit queues with id > after_id, in id order, as a statement to step (bound; NULL on
 * a database error; store_done it) for an answer written straight from the rows: the columns
 * are struct store_queue's members in their order (id, identifier, name, channel,
 * interval_minutes, time_zone, created_at, updated_at). */
sqlite3_stmt *store_queue_list_rows(struct store_conn *c, int64_t after_id, int limit);
/* Replaces every field but id and created_at. ACDL_ENOTFOUND, ACDL_EEXIST. In the same
 * transaction: a new time zone records the recomputation of the queue's formula mappings, and
 * a new identifier, name, channel or interval (every delivered row carries them) queues all of
 * the queue's results again for every target (upload/outbox.h). */
int store_queue_update(struct store_conn *c, const struct store_queue *q, int64_t now);
/* A source mapped into queue id whose interval is not minutes: 0 with its name and interval,
 * ACDL_ENOTFOUND when there is none, ACDL_EDB. */
int store_queue_interval_conflict(struct store_conn *c, int64_t id, int minutes, char *source,
                                  size_t sourcesz, int *theirs);
/* Deleting a queue: store/deletes.h. */

struct store_value_type {
    int64_t id;
    char key[65];
    char name[129];
    char unit[16];
    char combine[16];
    char weight_key[65]; /* "" unless combine is "weighted" */
    int builtin;
};

int store_value_type_add(struct store_conn *c, const struct store_value_type *v, int64_t *id);
int store_value_type_get(struct store_conn *c, int64_t id, struct store_value_type *out);
int store_value_type_get_by_key(struct store_conn *c, const char *key,
                                struct store_value_type *out);
int store_value_type_list(struct store_conn *c, int64_t after_id, int limit,
                          struct store_value_type **out, int *n);
/* Changes name, unit, combine, weight_key (not key). */
/* Records the recomputation of its mappings in the same transaction. */
int store_value_type_update(struct store_conn *c, const struct store_value_type *v, int64_t now);
/* ACDL_ECONFLICT when it is built in, the weight of another type, or (by foreign key) used by
 * a mapping. */
int store_value_type_delete(struct store_conn *c, int64_t id);

#endif
