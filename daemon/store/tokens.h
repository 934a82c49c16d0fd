/* tokens.h: named API tokens (Bearer) for automation. Only their SHA-256 is stored.
 *
 * Every token has an owner: the user who made it, or the owner of the token it was made with.
 * A token never outranks its owner: it acts with the lower of its own role and the owner's
 * current one, and stops when the owner is disabled or deleted (owner_id becomes 0 then). */
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
    int64_t owner_id;     /* 0: the owner was deleted */
    int64_t expires_at;   /* 0: never */
    char owner_role[16];  /* the owner's current role (store_token_find only) */
};

int store_token_add(struct store_conn *c, const char *name, const char *role, const char *prefix,
                    const unsigned char hash[32], const char *created_by, int64_t owner_id,
                    int64_t expires_at, int64_t now, int64_t *id_out);
/* A live token by hash: not revoked, not expired at now, its owner there and enabled
 * (owner_role filled); ACDL_ENOTFOUND otherwise. Inside a read transaction whose snapshot is
 * taken, a token found before on c is found again without a read while c has seen no commit
 * since (store_memo_get): any change (a revocation, the owner's role, disabling) is a commit. */
int store_token_find(struct store_conn *c, const unsigned char hash[32], int64_t now,
                     struct store_token *out);
int store_token_get(struct store_conn *c, int64_t id, struct store_token *out);
/* Up to limit tokens with id > after_id. *out is new (free()). */
int store_token_list(struct store_conn *c, int64_t after_id, int limit, struct store_token **out,
                     int *n);
/* Records use at most once a minute (keeps reads cheap). */
int store_token_touch(struct store_conn *c, int64_t id, int64_t now);
/* ACDL_ENOTFOUND for an unknown or already revoked token. */
int store_token_revoke(struct store_conn *c, int64_t id, int64_t now);

#endif
