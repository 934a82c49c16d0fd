/* auth.c: resolving credentials (session cookie or Bearer token) and the CSRF checks. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/platform.h"
#include "store/store.h"
#include "store/tokens.h"
#include "store/users.h"

const char *http_cookie_name(const struct app *app)
{
    /* Browsers accept the __Host- prefix only with Secure, which needs HTTPS (here, or at the
     * proxy named by public_url). */
    return app->secure_cookies ? "__Host-acdlink_session" : "acdlink_session";
}

static int prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char a = *s, b = *prefix;
        if (a >= 'A' && a <= 'Z') {
            a = (char)(a - 'A' + 'a');
        }
        if (b >= 'A' && b <= 'Z') {
            b = (char)(b - 'A' + 'a');
        }
        if (a != b) {
            return 0;
        }
    }
    return 1;
}

static int strcasecmp_ascii(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strlen(a) != n || !prefix_nocase(a, b);
}

/* Writes a credential's last use: a token's or a session's (best effort: never waits for a
 * long write for this). */
static void used_write(struct store_conn *c, int64_t token_id, int64_t session_id, int64_t now)
{
    store_wait(c, 0);
    if (token_id) {
        store_token_touch(c, token_id, now);
    } else {
        store_session_touch(c, session_id, now);
    }
}

/* Records a credential's use when one is due (an id not 0): at once on c, which is then given
 * back; or, on the connection the router holds, after the answer, outside its read
 * transaction (http_auth_finish). */
static void used_and_release(struct req *r, struct store_conn *c, int64_t token_id,
                             int64_t session_id, int64_t now)
{
    if (r->held) {
        r->touch_token = token_id;
        r->touch_session = session_id;
        r->touch_at = now;
        return;
    }
    if (token_id || session_id) {
        used_write(c, token_id, session_id, now);
    }
    store_release(r->app->store, c);
}

static int resolve_token(struct req *r, const char *value)
{
    unsigned char hash[32];
    struct store_token t;
    size_t len = strlen(value);
    if (len < 16 || len > 128) {
        return ACDL_EAUTH;
    }
    crypto_sha256(value, len, hash);
    int64_t now = plat_now();
    struct store_conn *c = req_store(r);
    int rc = store_token_find(c, hash, now, &t);
    if (rc == ACDL_OK) {
        /* never above what its owner may do now */
        const char *role =
            store_role_rank(t.owner_role) < store_role_rank(t.role) ? t.owner_role : t.role;
        r->generation = store_generation(r->app->store, c);
        r->generation_read = 1;
        r->auth.kind = AUTH_TOKEN;
        r->auth.token_id = t.id;
        r->auth.user_id = t.owner_id;
        snprintf(r->auth.name, sizeof(r->auth.name), "%s", t.name);
        snprintf(r->auth.role, sizeof(r->auth.role), "%s", role);
    }
    /* last_used_at moves at most once a minute (as store_token_touch writes it): most requests
     * write nothing and take no write lock */
    int due = rc == ACDL_OK && (t.last_used_at == 0 || t.last_used_at < now - 60);
    used_and_release(r, c, due ? t.id : 0, 0, now);
    return rc == ACDL_OK ? ACDL_OK : ACDL_EAUTH;
}

static int resolve_session(struct req *r, const char *value)
{
    unsigned char hash[32];
    struct store_session s;
    int64_t now = plat_now();
    crypto_sha256(value, strlen(value), hash);
    struct store_conn *c = req_store(r);
    int rc = store_session_find(c, hash, now, r->app->cfg->session_idle_timeout, &s);
    if (rc == ACDL_OK) {
        r->generation = store_generation(r->app->store, c);
        r->generation_read = 1;
        r->auth.kind = AUTH_SESSION;
        r->auth.user_id = s.user_id;
        r->auth.session_id = s.id;
        r->auth.expires_at = s.expires_at;
        snprintf(r->auth.name, sizeof(r->auth.name), "%s", s.user_name);
        snprintf(r->auth.role, sizeof(r->auth.role), "%s", s.role);
        snprintf(r->auth.csrf, sizeof(r->auth.csrf), "%s", s.csrf);
    }
    /* write last_seen at most every 30 s: reads stay cheap */
    used_and_release(r, c, 0, rc == ACDL_OK && now - s.last_seen >= 30 ? s.id : 0, now);
    return rc == ACDL_OK ? ACDL_OK : ACDL_EAUTH;
}

struct store_conn *req_store(struct req *r)
{
    return r->held ? r->held : store_acquire(r->app->store);
}

void req_store_done(struct req *r, struct store_conn *c)
{
    if (c != r->held) {
        store_release(r->app->store, c);
    } else if (r->held_open) {
        store_read_end(c); /* the snapshot ends before the answer goes out */
        r->held_open = 0;
    }
}

void http_auth_hold(struct req *r)
{
    r->held = store_acquire(r->app->store);
    /* the snapshot taken at once: a token looked up in an earlier one and unchanged since is
     * found without a read (store_token_find) */
    r->held_open = store_read_begin(r->held) == ACDL_OK;
    if (r->held_open && store_read_snapshot(r->held) != ACDL_OK) {
        store_read_end(r->held);
        r->held_open = 0;
    }
}

/* Ends what the router holds for a cached route: the read transaction, then the credential's
 * last-use write (best effort, never waiting for a long write), then the connection. */
void http_auth_finish(struct req *r)
{
    struct store_conn *c = r->held;
    if (!c) {
        return;
    }
    req_store_done(r, c);
    if (r->touch_token || r->touch_session) {
        used_write(c, r->touch_token, r->touch_session, r->touch_at);
    }
    r->held = NULL;
    store_release(r->app->store, c);
}

int http_auth_resolve(struct req *r)
{
    char value[160];
    const char *authz = mg_get_header(r->conn, "Authorization");
    memset(&r->auth, 0, sizeof(r->auth));
    if (authz) {
        if (!prefix_nocase(authz, "Bearer ")) {
            return ACDL_EAUTH;
        }
        return resolve_token(r, authz + 7);
    }
    const char *cookies = mg_get_header(r->conn, "Cookie");
    if (cookies) {
        int n = mg_get_cookie(cookies, http_cookie_name(r->app), value, sizeof(value));
        if (n > 0) {
            return resolve_session(r, value);
        }
        if (n == -2 || n == -3) {
            return ACDL_EAUTH;
        }
    }
    return ACDL_OK;
}

int http_csrf_check(struct req *r, const char **why)
{
    const char *origin = mg_get_header(r->conn, "Origin");
    const char *site = mg_get_header(r->conn, "Sec-Fetch-Site");
    const char *host = mg_get_header(r->conn, "Host");
    char expect[300];

    if (r->auth.kind == AUTH_TOKEN) {
        return ACDL_OK; /* no ambient credential: a cross-site page cannot send the header */
    }
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
        *why = "cross-site request";
        return ACDL_EPERM;
    }
    if (origin && strcmp(origin, "null") != 0) {
        /* behind a proxy the browser's origin is the public one, not what reaches us */
        const char *pub = r->app->cfg->public_origin;
        snprintf(expect, sizeof(expect), "%s://%s", r->app->tls ? "https" : "http",
                 host ? host : "");
        if (pub[0] ? strcasecmp_ascii(origin, pub) != 0 : (!host || strcmp(origin, expect) != 0)) {
            *why = "the Origin header names another site";
            return ACDL_EPERM;
        }
    } else if (origin) {
        *why = "opaque Origin";
        return ACDL_EPERM;
    }
    if (r->auth.kind == AUTH_SESSION) {
        const char *tok = mg_get_header(r->conn, "X-CSRF-Token");
        size_t want = strlen(r->auth.csrf);
        if (!tok) {
            *why = "the X-CSRF-Token header is missing";
            return ACDL_EPERM;
        }
        if (strlen(tok) != want || CRYPTO_memcmp(tok, r->auth.csrf, want) != 0) {
            *why = "the X-CSRF-Token header does not match the session";
            return ACDL_EPERM;
        }
    }
    return ACDL_OK;
}
