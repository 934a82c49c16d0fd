/* users.c (routes): /api/v1/users. Only admins reach these (see the route table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/users.h"

const char *route_check_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > USER_NAME_MAX) {
        return "must be 1 to 64 characters long";
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-')) {
            return "may contain only letters A-Z, digits and . _ @ -";
        }
    }
    return NULL;
}

const char *route_check_role(const char *role)
{
    return store_role_rank(role) ? NULL : "must be admin, operator or viewer";
}

const char *route_check_password(const char *pw)
{
    size_t n = strlen(pw), chars = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)pw[i] & 0xC0) != 0x80) {
            chars++; /* count UTF-8 characters, not bytes */
        }
    }
    if (chars < 12) {
        return "must be at least 12 characters long";
    }
    if (n > 1024) {
        return "must be at most 1024 bytes long";
    }
    return NULL;
}

static json_t *user_json(const struct store_user *u)
{
    return json_pack("{s:I, s:s, s:s, s:b, s:o, s:o, s:o}", "id", (json_int_t)u->id, "name",
                     u->name, "role", u->role, "disabled", u->disabled, "created_at",
                     json_time(u->created_at), "updated_at", json_time(u->updated_at),
                     "last_login_at", json_time(u->last_login_at));
}

int route_users_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_user *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "users");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, user_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

static int hash_password(struct req *r, const char *pw, char *phc, size_t phcsz)
{
    int rc = crypto_password_hash(pw, phc, phcsz);
    return rc == ACDL_OK ? 0 : reply_rc(r, rc, "password");
}

int route_users_create(struct req *r)
{
    const char *name = NULL, *role = NULL, *pw = NULL, *why;
    int disabled = 0;
    json_error_t jerr;
    char phc[CRYPTO_PHC_MAX];
    int64_t id;
    int st;
    struct store_user u;

    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s?b}", "name", &name,
                       "role", &role, "password", &pw, "disabled", &disabled) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"name\", \"role\", \"password\"} and optionally \"disabled\"",
                           "%s", jerr.text);
    }
    if ((why = route_check_name(name)) != NULL) {
        return reply_error(r, 422, "invalid_field", "choose another name", "name: %s", why);
    }
    if ((why = route_check_role(role)) != NULL) {
        return reply_error(r, 422, "invalid_field", "use admin, operator or viewer", "role: %s",
                           why);
    }
    if ((why = route_check_password(pw)) != NULL) {
        return reply_error(r, 422, "invalid_field", "choose a longer password", "password: %s",
                           why);
    }
    if ((st = hash_password(r, pw, phc, sizeof(phc))) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_add(c, name, role, phc, disabled, plat_now(), &id);
    if (rc == ACDL_OK) {
        rc = store_user_get(c, id, &u);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        http_audit(r, "user.create", name, "error", json_pack("{s:s}", "reason", "name taken"));
        return reply_error(r, 409, "conflict", "choose another name",
                           "a user named '%s' exists already", name);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "user");
    }
    http_audit(r, "user.create", u.name, "ok",
               json_pack("{s:s, s:b}", "role", u.role, "disabled", u.disabled));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/users/%lld", (long long)u.id);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, user_json(&u));
}

int route_users_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_user u;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_get(c, id, &u);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "user");
    }
    return reply_json(r, 200, user_json(&u));
}

int route_users_update(struct req *r)
{
    const char *role = NULL, *pw = NULL, *why;
    json_t *jdisabled = NULL;
    json_error_t jerr;
    char phc[CRYPTO_PHC_MAX];
    int64_t id;
    int st, disabled = -1;
    struct store_user before, after;

    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?s, s?o}", "role", &role,
                       "password", &pw, "disabled", &jdisabled) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send any of \"role\", \"password\", \"disabled\"", "%s", jerr.text);
    }
    if (jdisabled) {
        if (!json_is_boolean(jdisabled)) {
            return reply_error(r, 422, "invalid_field", "use true or false",
                               "disabled: must be a boolean");
        }
        disabled = json_is_true(jdisabled);
    }
    if (role && (why = route_check_role(role)) != NULL) {
        return reply_error(r, 422, "invalid_field", "use admin, operator or viewer", "role: %s",
                           why);
    }
    if (pw && (why = route_check_password(pw)) != NULL) {
        return reply_error(r, 422, "invalid_field", "choose a longer password", "password: %s",
                           why);
    }
    if (pw && (st = hash_password(r, pw, phc, sizeof(phc))) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_get(c, id, &before);
    if (rc == ACDL_OK) {
        rc = store_user_update(c, id, role, pw ? phc : NULL, disabled, plat_now());
    }
    if (rc == ACDL_OK) {
        rc = store_user_get(c, id, &after);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT) {
        http_audit(r, "user.update", before.name, "denied",
                   json_pack("{s:s}", "reason", "last admin"));
        return reply_error(r, 409, "last_admin",
                           "make another user an enabled admin first",
                           "this would leave no enabled admin");
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "user");
    }
    json_t *detail = json_object();
    if (role && strcmp(before.role, after.role) != 0) {
        json_object_set_new(detail, "role",
                            json_pack("{s:s, s:s}", "before", before.role, "after", after.role));
    }
    if (disabled >= 0 && before.disabled != after.disabled) {
        json_object_set_new(detail, "disabled", json_pack("{s:b, s:b}", "before",
                                                          before.disabled, "after",
                                                          after.disabled));
    }
    if (pw) {
        json_object_set_new(detail, "password", json_string("changed"));
        bootstrap_password_changed(r->app->cfg->data_dir, after.name);
    }
    http_audit(r, "user.update", after.name, "ok", detail);
    return reply_json(r, 200, user_json(&after));
}

int route_users_delete(struct req *r)
{
    int64_t id;
    int st;
    struct store_user u;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_get(c, id, &u);
    if (rc == ACDL_OK) {
        rc = store_user_delete(c, id);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT) {
        http_audit(r, "user.delete", u.name, "denied",
                   json_pack("{s:s}", "reason", "last admin"));
        return reply_error(r, 409, "last_admin", "make another user an enabled admin first",
                           "the last enabled admin cannot be deleted");
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "user");
    }
    http_audit(r, "user.delete", u.name, "ok", json_pack("{s:s}", "role", u.role));
    return reply_empty(r, 204);
}
