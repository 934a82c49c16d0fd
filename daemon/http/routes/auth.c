/* auth.c (routes): login, logout, the current session, changing one's own password. */
#include <stdio.h>
#include <string.h>

#include "bootstrap.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "http/routes/routes.h"
#include "http/throttle.h"
#include "platform/platform.h"
#include "store/users.h"

/* Verifies password for user (or spends the same time when user is NULL). */
static int verify_password(const struct store_user *u, const char *password)
{
    int rc;
    if (u) {
        rc = crypto_password_verify(password, u->password_hash);
    } else {
        crypto_password_dummy(password);
        rc = ACDL_EAUTH;
    }
    return rc;
}

static void lower_copy(char *out, size_t outsz, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outsz; i++) {
        char c = in[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[i] = '\0';
}

int route_auth_login(struct req *r)
{
    const char *username = NULL, *password = NULL;
    json_error_t jerr;
    char kclient[96], kaccount[96], token[64], csrf[64], cookie[256], num[16];
    int retry = 0, retry2 = 0;
    struct store_user u;
    int64_t now = plat_now();
    int64_t now_ms = plat_monotonic_ms();
    const struct acdl_config *cfg = r->app->cfg;

    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s}", "username", &username,
                       "password", &password) != 0) {
        return reply_error(r, 422, "invalid_field", "send {\"username\": ..., \"password\": ...}",
                           "%s", jerr.text);
    }
    snprintf(kclient, sizeof(kclient), "client:%s", r->client);
    if (strlen(username) > USER_NAME_MAX || strlen(password) > 1024) {
        /* cannot match any account; still a failure of this client */
        throttle_fail(r->app->login_throttle, kclient, now_ms);
        return reply_error(r, 401, "invalid_credentials", "check the user name and password",
                           "wrong user name or password");
    }
    char lowered[USER_NAME_MAX + 1];
    lower_copy(lowered, sizeof(lowered), username);
    snprintf(kaccount, sizeof(kaccount), "account:%s", lowered);

    /* Begun atomically with the check: parallel guesses cannot all pass it before the first
     * of them has failed. */
    struct throttle *th = r->app->login_throttle;
    int locked_c = throttle_begin(th, kclient, now_ms, &retry);
    int locked_a = locked_c == ACDL_OK ? throttle_begin(th, kaccount, now_ms, &retry2) : ACDL_OK;
    if (locked_c != ACDL_OK || locked_a != ACDL_OK) {
        if (locked_c == ACDL_OK) {
            throttle_end(th, kclient, 0, now_ms);
        }
        int wait = retry > retry2 ? retry : retry2;
        snprintf(num, sizeof(num), "%d", wait);
        reply_header(r, "Retry-After", num);
        http_audit(r, "auth.login_failed", username, "denied",
                   json_pack("{s:s, s:i}", "reason", "locked", "retry_after", wait));
        if (wait == 1) {
            return reply_error(r, 429, "too_many_requests",
                               "wait for the time in the Retry-After header, then try again",
                               "too many failed logins; try again in 1 second");
        }
        return reply_error(r, 429, "too_many_requests",
                           "wait for the time in the Retry-After header, then try again",
                           "too many failed logins; try again in %d seconds", wait);
    }

    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_get_by_name(c, username, &u);
    store_release(r->app->store, c);
    if (rc != ACDL_OK && rc != ACDL_ENOTFOUND) {
        throttle_end(th, kclient, 0, plat_monotonic_ms());
        throttle_end(th, kaccount, 0, plat_monotonic_ms());
        return reply_rc(r, rc, "login");
    }
    int found = rc == ACDL_OK && !u.disabled;
    rc = verify_password(found ? &u : NULL, password);
    throttle_end(th, kclient, rc != ACDL_OK, plat_monotonic_ms());
    throttle_end(th, kaccount, rc != ACDL_OK, plat_monotonic_ms());
    if (rc != ACDL_OK) {
        http_audit(r, "auth.login_failed", username, "denied",
                   json_pack("{s:s}", "reason", rc == ACDL_EINVAL ? "bad stored hash"
                                                                  : "wrong name or password"));
        return reply_error(r, 401, "invalid_credentials", "check the user name and password",
                           "wrong user name or password");
    }
    throttle_reset(th, kaccount);

    unsigned char hash[32];
    if (crypto_secret_new("", token, sizeof(token)) != ACDL_OK ||
        crypto_secret_new("", csrf, sizeof(csrf)) != ACDL_OK) {
        return reply_rc(r, ACDL_ECRYPTO, "login");
    }
    crypto_sha256(token, strlen(token), hash);
    int64_t expires = now + cfg->session_absolute_timeout;
    c = store_acquire(r->app->store);
    rc = store_session_add(c, hash, u.id, csrf, r->client, now, expires, cfg->max_sessions_per_user,
                           cfg->session_idle_timeout);
    if (rc == ACDL_OK) {
        /* best effort: a busy or full database skips them (the next login does it) */
        store_wait(c, 0);
        store_user_set_login(c, u.id, now);
        store_session_purge(c, now, cfg->session_idle_timeout);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "login");
    }
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
             http_cookie_name(r->app), token, r->app->secure_cookies ? "; Secure" : "");
    reply_header(r, "Set-Cookie", cookie);
    r->auth.kind = AUTH_SESSION;
    r->auth.user_id = u.id;
    snprintf(r->auth.name, sizeof(r->auth.name), "%s", u.name);
    snprintf(r->auth.role, sizeof(r->auth.role), "%s", u.role);
    http_audit(r, "auth.login", u.name, "ok", NULL);
    return reply_json(r, 200,
                      json_pack("{s:{s:I, s:s, s:s}, s:s, s:o, s:i}", "user", "id",
                                (json_int_t)u.id, "name", u.name, "role", u.role, "csrf_token",
                                csrf, "expires_at", json_time(expires), "idle_timeout_s",
                                cfg->session_idle_timeout));
}

int route_auth_logout(struct req *r)
{
    char cookie[160];
    if (r->auth.kind == AUTH_SESSION) {
        struct store_conn *c = store_acquire(r->app->store);
        int rc = store_session_delete(c, r->auth.session_id);
        store_release(r->app->store, c);
        if (rc != ACDL_OK) {
            return reply_rc(r, rc, "logout");
        }
    }
    snprintf(cookie, sizeof(cookie), "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             http_cookie_name(r->app), r->app->secure_cookies ? "; Secure" : "");
    reply_header(r, "Set-Cookie", cookie);
    http_audit(r, "auth.logout", r->auth.name, "ok", NULL);
    return reply_empty(r, 204);
}

int route_auth_session(struct req *r)
{
    json_t *user;
    if (r->auth.kind == AUTH_SESSION) {
        user = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r->auth.user_id, "name",
                         r->auth.name, "role", r->auth.role);
    } else {
        user = json_pack("{s:n, s:s, s:s}", "id", "name", r->auth.name, "role", r->auth.role);
    }
    int sess = r->auth.kind == AUTH_SESSION;
    return reply_json(r, 200,
                      json_pack("{s:o, s:s, s:o, s:o}", "user", user, "auth",
                                sess ? "session" : "token", "csrf_token",
                                sess ? json_string(r->auth.csrf) : json_null(), "expires_at",
                                sess ? json_time(r->auth.expires_at) : json_null()));
}

int route_auth_password(struct req *r)
{
    const char *cur = NULL, *next = NULL, *why;
    json_error_t jerr;
    struct store_user u;
    char phc[CRYPTO_PHC_MAX];
    char kaccount[96];
    int retry = 0;
    int64_t now = plat_now();

    if (r->auth.kind != AUTH_SESSION) {
        return reply_error(r, 403, "forbidden", "log in as the user to change its password",
                           "API tokens cannot change passwords");
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s}", "current_password", &cur,
                       "new_password", &next) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"current_password\": ..., \"new_password\": ...}", "%s",
                           jerr.text);
    }
    if ((why = route_check_password(next)) != NULL) {
        return reply_error(r, 422, "invalid_field", "choose a longer password",
                           "new_password: %s", why);
    }
    snprintf(kaccount, sizeof(kaccount), "password:%lld", (long long)r->auth.user_id);
    if (throttle_begin(r->app->login_throttle, kaccount, plat_monotonic_ms(), &retry) != ACDL_OK) {
        char num[16];
        snprintf(num, sizeof(num), "%d", retry);
        reply_header(r, "Retry-After", num);
        if (retry == 1) {
            return reply_error(r, 429, "too_many_requests", "wait, then try again",
                               "too many wrong passwords; try again in 1 second");
        }
        return reply_error(r, 429, "too_many_requests", "wait, then try again",
                           "too many wrong passwords; try again in %d seconds", retry);
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_user_get(c, r->auth.user_id, &u);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        throttle_end(r->app->login_throttle, kaccount, 0, plat_monotonic_ms());
        return reply_rc(r, rc, "user");
    }
    rc = verify_password(&u, cur);
    throttle_end(r->app->login_throttle, kaccount, rc != ACDL_OK, plat_monotonic_ms());
    if (rc != ACDL_OK) {
        http_audit(r, "auth.password", u.name, "denied",
                   json_pack("{s:s}", "reason", "wrong current password"));
        return reply_error(r, 422, "invalid_field", "type your current password again",
                           "current_password is wrong");
    }
    rc = crypto_password_hash(next, phc, sizeof(phc));
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "password");
    }
    c = store_acquire(r->app->store);
    rc = store_user_update(c, u.id, NULL, phc, -1, now); /* ends all its sessions */
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "password");
    }
    bootstrap_password_changed(r->app->cfg->data_dir, u.name);
    http_audit(r, "auth.password", u.name, "ok", NULL);
    return reply_empty(r, 204);
}
