/* audit.h: the append-only audit log (who, when, from where, what, outcome). */
#ifndef ACDL_STORE_AUDIT_H
#define ACDL_STORE_AUDIT_H
#include <stdint.h>

#include "store/store.h"

struct store_audit_entry {
    int64_t id, ts;
    char actor[96];
    char actor_kind[16];
    char client[64];
    char action[48];
    char target[128];
    char outcome[8];
    char *detail; /* JSON text, owned by the entry array (see store_audit_free) */
};

struct store_audit_filter {
    int64_t before_id; /* 0: from the newest */
    const char *action, *actor, *outcome; /* NULL: any */
    int64_t since, until;                 /* 0: unbounded */
};

/* Appends one entry; detail is JSON text or NULL for {}. */
int store_audit_add(struct store_conn *c, int64_t ts, const char *actor, const char *actor_kind,
                    const char *client, const char *action, const char *target,
                    const char *outcome, const char *detail);

/* Up to limit entries, newest first. *out is new: free with store_audit_free(*out, *n). */
int store_audit_list(struct store_conn *c, const struct store_audit_filter *f, int limit,
                     struct store_audit_entry **out, int *n);
void store_audit_free(struct store_audit_entry *arr, int n);

#endif
