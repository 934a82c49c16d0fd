/* tokens.c (routes): /api/v1/tokens: named API tokens, shown once, stored hashed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/tokens.h"

#define TOKEN_PREFIX "acdl_"

static json_t *token_json(const struct store_token *t)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)t->id,
                     "name", t->name, "role", t->role, "prefix", t->prefix, "created_at",
                     json_time(t->created_at), "created_by", t->created_by, "last_used_at",
                     json_time(t->last_used_at), "revoked_at", json_time(t->revoked_at),
                     "expires_at", json_time(t->expires_at));
}

int route_token_mint(struct store_conn *c, const char *name, const char *role, const char *creator,
                     int64_t owner_id, int64_t expires_at, char *secret, size_t secretsz,
                     struct store_token *out)
{
    unsigned char hash[32];
    char prefix[16];
    int64_t id;
    if (crypto_secret_new(TOKEN_PREFIX, secret, secretsz) != ACDL_OK) {
        return ACDL_ECRYPTO;
    }
    crypto_sha256(secret, strlen(secret), hash);
    /* the prefix identifies a token in lists and logs without revealing it */
    snprintf(prefix, sizeof(prefix), "%.9s", secret);
    int rc = store_token_add(c, name, role, prefix, hash, creator, owner_id, expires_at, plat_now(),
                             &id);
    if (rc == ACDL_OK) {
        rc = store_token_get(c, id, out);
    }
    return rc;
}

int route_tokens_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_token *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_token_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "tokens");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, token_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_tokens_create(struct req *r)
{
    const char *name = NULL, *role = NULL, *why;
    json_int_t days = 0;
    json_error_t jerr;
    char secret[96], creator[96];
    struct store_token t;

    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?I}", "name", &name, "role", &role,
                       "expires_in_days", &days) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"name\": ..., \"role\": ..., \"expires_in_days\": N (optional)}",
                           "%s", jerr.text);
    }
    if ((why = route_check_name(name)) != NULL) {
        return reply_error(r, 422, "invalid_field", "name the token after what uses it", "name: %s",
                           why);
    }
    if ((why = route_check_role(role)) != NULL) {
        return reply_error(r, 422, "invalid_field", "use admin, operator or viewer", "role: %s",
                           why);
    }
    if (json_object_get(r->body, "expires_in_days") && (days < 1 || days > TOKEN_MAX_DAYS)) {
        return reply_error(r, 422, "invalid_field", "leave it out for a token that does not expire",
                           "expires_in_days: must be 1 to %d", TOKEN_MAX_DAYS);
    }
    snprintf(creator, sizeof(creator), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "",
             r->auth.name);
    struct store_conn *c = store_acquire(r->app->store);
    /* the owner: the user of the session, or the owner of the token in use */
    int rc = route_token_mint(c, name, role, creator, r->auth.user_id,
                              days > 0 ? plat_now() + (int64_t)days * 86400 : 0, secret,
                              sizeof(secret), &t);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "token");
    }
    http_audit(r, "token.create", t.name, "ok",
               json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)t.id, "role", t.role, "prefix",
                         t.prefix, "expires_at", json_time(t.expires_at)));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/tokens/%lld", (long long)t.id);
    reply_header(r, "Location", loc);
    json_t *body = token_json(&t);
    json_object_set_new(body, "token", json_string(secret));
    memset(secret, 0, sizeof(secret));
    return reply_json(r, 201, body);
}

int route_tokens_revoke(struct req *r)
{
    int64_t id;
    int st;
    struct store_token t;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_token_get(c, id, &t);
    if (rc == ACDL_OK) {
        rc = store_token_revoke(c, id, plat_now());
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "live token");
    }
    http_audit(r, "token.revoke", t.name, "ok",
               json_pack("{s:I, s:s}", "id", (json_int_t)t.id, "prefix", t.prefix));
    return reply_empty(r, 204);
}
