/* sources.h: the sources table. All functions borrow a held connection. */
#ifndef ACDL_STORE_SOURCES_H
#define ACDL_STORE_SOURCES_H
#include <stdint.h>

#include "store/store.h"

struct store_source {
    int64_t id;
    char name[65];
    char kind[8];
    char product[16];
    char layout[16];
    char time_zone[65];
    int interval_minutes;
    int enabled;
    char *settings;        /* JSON text, new: free with store_source_clear() */
    char *password_sealed; /* NULL when no password is set; new, as settings */
    int64_t created_at, updated_at;
};

/* Frees the strings of s (not s itself). Accepts NULL. */
void store_source_clear(struct store_source *s);

/* Adds a source; the password (sealed text or NULL) is set separately because it is bound to
 * the new id. ACDL_EEXIST when the name is taken. */
int store_source_add(struct store_conn *c, const struct store_source *s, int64_t now,
                     int64_t *id);
int store_source_get(struct store_conn *c, int64_t id, struct store_source *out);
/* Up to limit sources with id > after_id. *out is new: clear each and free() the array. */
int store_source_list(struct store_conn *c, int64_t after_id, int limit,
                      struct store_source **out, int *n);
/* Replaces name, time_zone, interval_minutes, enabled and settings. */
int store_source_update(struct store_conn *c, const struct store_source *s, int64_t now);
/* Sets (sealed text) or clears (NULL) the password. */
int store_source_set_password(struct store_conn *c, int64_t id, const char *sealed, int64_t now);
/* Deleting a source: store/deletes.h. */

#endif
