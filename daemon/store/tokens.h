/* tokens.h: named API tokens (Bearer) for automation. Only their SHA-256 is stored. */
#ifndef ACDL_STORE_TOKENS_H
#define ACDL_STORE_TOKENS_H
#include <stdint.h>

#include "store/store.h"

struct store_token {
    int64_t id;
    char name[65];
    char role[16];
    char prefix[16];
    char created_by[80];
    int64_t created_at;
    int64_t last_used_at; /* 0: never */
    int64_t revoked_at;   /* 0: live */
};

int store_token_add(struct store_conn *c, const char *name, const char *role, const char *prefix,
                    const unsigned char hash[32], const char *created_by, int64_t now,
                    int64_t *id_out);
/* A live (not revoked) token by hash; ACDL_ENOTFOUND otherwise. */
int store_token_find(struct store_conn *c, const unsigned char hash[32], struct store_token *out);
int store_token_get(struct store_conn *c, int64_t id, struct store_token *out);
/* Up to limit tokens with id > after_id. *out is new (free()). */
int store_token_list(struct store_conn *c, int64_t after_id, int limit, struct store_token **out,
                     int *n);
/* Records use at most once a minute (keeps reads cheap). */
int store_token_touch(struct store_conn *c, int64_t id, int64_t now);
/* ACDL_ENOTFOUND for an unknown or already revoked token. */
int store_token_revoke(struct store_conn *c, int64_t id, int64_t now);

#endif
