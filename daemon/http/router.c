/* router.c: route matching, and the checks every API request passes before its handler:
 * authentication, role, CSRF, body size and JSON parsing. Deny by default. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/http.h"
#include "store/users.h"

static const char *role_name(int role)
{
    switch (role) {
    case ROLE_PUBLIC: return "public";
    case ROLE_VIEWER: return "viewer";
    case ROLE_OPERATOR: return "operator";
    default: return "admin";
    }
}

/* Matches pattern against path segment by segment; {x} matches one non-empty segment. */
static int path_match(const char *pat, const char *path, struct req *r)
{
    size_t used = 0;
    int np = 0;
    while (*pat && *path) {
        if (*pat != '/' || *path != '/') {
            return 0;
        }
        pat++;
        path++;
        const char *pe = strchr(pat, '/');
        const char *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - path) : strlen(path);
        if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
            if (sl == 0 || np >= REQ_MAX_PARAMS || used + sl + 1 > sizeof(r->param_buf)) {
                return 0;
            }
            memcpy(r->param_buf + used, path, sl);
            r->param_buf[used + sl] = '\0';
            r->params[np++] = r->param_buf + used;
            used += sl + 1;
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return 0;
        }
        pat += pl;
        path += sl;
    }
    return *pat == '\0' && *path == '\0';
}

/* The number of literal (not {x}) segments of a route pattern. */
static int literal_segments(const char *pat)
{
    int n = 0;
    for (const char *p = pat; *p; p++) {
        if (*p == '/' && p[1] && p[1] != '{') {
            n++;
        }
    }
    return n;
}

/* The most literal segments of any route matching path, or -1 when none matches: a path that
 * a route names literally (/mappings/bulk) belongs to that route, not to /mappings/{id}. */
static int best_match(const char *path, struct req *r)
{
    int best = -1;
    for (size_t i = 0; i < http_route_count; i++) {
        int lit = literal_segments(http_routes[i].path);
        if (lit > best && path_match(http_routes[i].path, path, r)) {
            best = lit;
        }
    }
    return best;
}

int http_route_find(const char *method, const char *path, struct req *r, char *allow,
                    size_t allowsz)
{
    int path_found = 0;
    size_t used = 0;
    int best = best_match(path, r);
    if (allowsz) {
        allow[0] = '\0';
    }
    for (size_t i = 0; i < http_route_count; i++) {
        const struct route *rt = &http_routes[i];
        if (literal_segments(rt->path) != best || !path_match(rt->path, path, r)) {
            continue;
        }
        if (strcmp(rt->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
            r->route = rt;
            return ACDL_OK;
        }
        path_found = 1;
        int n = snprintf(allow + used, allowsz - used, "%s%s", used ? ", " : "", rt->method);
        if (n > 0 && used + (size_t)n < allowsz) {
            used += (size_t)n;
        }
    }
    if (path_found) {
        int n = snprintf(allow + used, allowsz - used, ", OPTIONS");
        (void)n;
        return ACDL_EPERM;
    }
    return ACDL_ENOTFOUND;
}

int req_query(struct req *r, const char *name, char *out, size_t outsz)
{
    const char *q = r->ri->query_string;
    if (!q) {
        return -1;
    }
    int n = mg_get_var(q, strlen(q), name, out, outsz);
    return n < 0 ? (n == -1 ? -1 : -2) : n;
}

static int parse_int64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    if (!*s || *s == '+' || *s == '-' || *s == ' ') {
        return ACDL_EINVAL;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < lo || v > hi) {
        return ACDL_EINVAL;
    }
    *out = v;
    return ACDL_OK;
}

int req_query_nth(struct req *r, const char *name, int nth, char *out, size_t outsz)
{
    const char *q = r->ri->query_string;
    if (!q || nth < 0) {
        return -1;
    }
    int n = mg_get_var2(q, strlen(q), name, out, outsz, (size_t)nth);
    return n < 0 ? (n == -1 ? -1 : -2) : n;
}

int req_limit(struct req *r, int *limit)
{
    char buf[64];
    int64_t v;
    int n = req_query(r, "limit", buf, sizeof(buf));
    *limit = 50;
    if (n != -1) {
        if (n < 0 || parse_int64(buf, 1, 500, &v) != ACDL_OK) {
            return reply_error(r, 400, "invalid_parameter", "use a whole number from 1 to 500",
                               "parameter 'limit' is invalid");
        }
        *limit = (int)v;
    }
    return 0;
}

int req_page(struct req *r, int *limit, int64_t *cursor)
{
    char buf[64];
    int64_t v;
    int n, st;
    *cursor = 0;
    if ((st = req_limit(r, limit)) != 0) {
        return st;
    }
    n = req_query(r, "cursor", buf, sizeof(buf));
    if (n != -1) {
        if (n < 0 || parse_int64(buf, 1, INT64_MAX, &v) != ACDL_OK) {
            return reply_error(r, 400, "invalid_parameter",
                               "pass the next_cursor value of the previous page unchanged",
                               "parameter 'cursor' is invalid");
        }
        *cursor = v;
    }
    return 0;
}

int req_id(struct req *r, int i, int64_t *id)
{
    if (i >= REQ_MAX_PARAMS || !r->params[i] ||
        parse_int64(r->params[i], 1, INT64_MAX, id) != ACDL_OK) {
        return reply_error(r, 404, "not_found", "ids are positive whole numbers",
                           "no object with id '%.40s'", r->params[i] ? r->params[i] : "");
    }
    return 0;
}

/* Reads the body into a JSON value; answers and returns the status on failure, else 0. */
static int read_body(struct req *r)
{
    const struct mg_request_info *ri = r->ri;
    size_t limit = r->route->body_limit;
    long long declared = ri->content_length;
    const char *ctype = mg_get_header(r->conn, "Content-Type");
    int rc = 0;
    char *buf = NULL;

    if (limit == 0) {
        if (declared > 0) {
            return reply_error(r, 413, "payload_too_large", "send this request without a body",
                               "this endpoint takes no request body");
        }
        return 0;
    }
    if (declared > (long long)limit) {
        return reply_error(r, 413, "payload_too_large", "send a smaller body",
                           "request body of %lld bytes exceeds the limit of %zu bytes", declared,
                           limit);
    }
    if (!ctype || strncmp(ctype, "application/json", 16) != 0 ||
        (ctype[16] != '\0' && ctype[16] != ';')) {
        return reply_error(r, 415, "unsupported_media_type",
                           "send the body as JSON with Content-Type: application/json",
                           "request body must be application/json");
    }
    buf = malloc(limit + 1);
    if (!buf) {
        return reply_error(r, 500, "internal", "retry later", "out of memory");
    }
    size_t got = 0;
    for (;;) {
        int n = mg_read(r->conn, buf + got, limit + 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        if (got > limit) {
            rc = reply_error(r, 413, "payload_too_large", "send a smaller body",
                             "request body exceeds the limit of %zu bytes", limit);
            goto out;
        }
    }
    json_error_t jerr;
    r->body = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &jerr);
    if (!r->body) {
        rc = reply_error(r, 400, "bad_request", "send a valid JSON object",
                         "request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
    } else if (!json_is_object(r->body)) {
        rc = reply_error(r, 400, "bad_request", "send a JSON object",
                         "request body must be a JSON object");
    } else if (json_object_size(r->body) == 0 && strcmp(ri->request_method, "PATCH") == 0) {
        rc = reply_error(r, 422, "invalid_field", "send at least one field to change",
                         "request body: an empty object changes nothing");
    }
out:
    free(buf);
    return rc;
}

static int is_state_changing(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

static int route_cached(const struct route *rt)
{
    for (size_t i = 0; i < http_cached_route_count; i++) {
        if (rt->fn == http_cached_routes[i] && strcmp(rt->method, "GET") == 0) {
            return 1;
        }
    }
    return 0;
}

static int api_dispatch(struct req *r)
{
    char allow[128];
    const char *method = r->ri->request_method;
    const char *path = r->ri->local_uri;
    int rc;

    if (strcmp(method, "OPTIONS") == 0) {
        int found = 0;
        size_t used = 0;
        int best = best_match(path, r);
        allow[0] = '\0';
        for (size_t i = 0; i < http_route_count; i++) {
            if (literal_segments(http_routes[i].path) == best &&
                path_match(http_routes[i].path, path, r)) {
                found = 1;
                int n = snprintf(allow + used, sizeof(allow) - used, "%s, ", http_routes[i].method);
                if (n > 0 && used + (size_t)n < sizeof(allow)) {
                    used += (size_t)n;
                }
            }
        }
        if (!found) {
            return reply_error(r, 404, "not_found", "GET /api/v1/endpoints lists every route",
                               "no such endpoint");
        }
        snprintf(allow + used, sizeof(allow) - used, "OPTIONS");
        reply_header(r, "Allow", allow);
        return reply_empty(r, 204);
    }
    store_thread_clear(); /* reply_rc() looks at this request's database failures only */
    rc = http_route_find(method, path, r, allow, sizeof(allow));
    if (rc == ACDL_ENOTFOUND) {
        return reply_error(r, 404, "not_found", "GET /api/v1/endpoints lists every route",
                           "no endpoint %.100s", path);
    }
    if (rc == ACDL_EPERM) {
        reply_header(r, "Allow", allow);
        return reply_error(r, 405, "method_not_allowed", "allowed here: see the Allow header",
                           "%s is not allowed on %.100s", method, path);
    }
    const struct route *rt = r->route;
    /* Public routes (health, login) ignore credentials: a stale or foreign cookie must not
     * get in the way of logging in again. */
    if (rt->role != ROLE_PUBLIC && http_auth_resolve(r) != ACDL_OK) {
        return reply_error(r, 401, "unauthorized", "log in again or use a valid API token",
                           "your session has ended or the token is not valid");
    }
    if (rt->role != ROLE_PUBLIC) {
        if (r->auth.kind == AUTH_NONE) {
            return reply_error(r, 401, "unauthorized",
                               "log in (POST /api/v1/auth/login) or send an API token as "
                               "'Authorization: Bearer ...'",
                               "authentication required");
        }
        if (store_role_rank(r->auth.role) < rt->role) {
            return reply_error(r, 403, "forbidden", "ask an administrator for the role",
                               "this needs the %s role; you have %s", role_name(rt->role),
                               r->auth.role);
        }
    }
    if (is_state_changing(method)) {
        const char *why = NULL;
        if (http_csrf_check(r, &why) != ACDL_OK) {
            http_audit(r, "auth.csrf_rejected", path, "denied",
                       json_pack("{s:s, s:s}", "method", method, "reason", why));
            return reply_error(r, 403, "csrf_failed",
                               "reload the console; scripts should use an API token",
                               "request refused: %s", why);
        }
    }
    rc = read_body(r);
    if (rc != 0) {
        return rc;
    }
    if (route_cached(rt) && (rc = reply_cached(r)) != 0) {
        return rc; /* after every check above: the cache never decides who may read */
    }
    return rt->fn(r);
}

/* The client's address: the peer's, or behind the proxy that public_url names (a peer on
 * loopback), the last address of X-Forwarded-For, which that proxy set. Login throttling and
 * the audit log then see each browser, not the proxy. */
static void client_address(struct req *r)
{
    const char *peer = r->ri->remote_addr;
    const char *xff = mg_get_header(r->conn, "X-Forwarded-For");
    snprintf(r->client, sizeof(r->client), "%s", peer);
    if (!r->app->cfg->public_url[0] || !xff ||
        (strncmp(peer, "127.", 4) != 0 && strcmp(peer, "::1") != 0)) {
        return;
    }
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t') {
        last++;
    }
    size_t n = 0;
    while (last[n] && (isxdigit((unsigned char)last[n]) || last[n] == '.' || last[n] == ':')) {
        n++;
    }
    const char *rest = last + n;
    while (*rest == ' ' || *rest == '\t') {
        rest++;
    }
    if (n > 0 && n <= 45 && *rest == '\0') {
        snprintf(r->client, sizeof(r->client), "%.*s", (int)n, last);
    }
}

int http_dispatch(struct mg_connection *conn, struct app *app)
{
    struct req r;
    int status;
    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.ri = mg_get_request_info(conn);
    r.app = app;
    http_req_output(&r, mg_get_thread_pointer(conn));
    client_address(&r);
    const char *uri = r.ri->local_uri ? r.ri->local_uri : "/";
    if (strncmp(uri, "/api/", 5) == 0 || strcmp(uri, "/api") == 0) {
        status = api_dispatch(&r);
        json_decref(r.body);
        json_decref(r.audit_before);
    } else {
        status = http_assets_serve(conn, app);
    }
    http_req_output_done(&r);
    log_debug("http", "%s %s %s -> %d", r.client, r.ri->request_method, uri, status);
    return status;
}

/* GET /api/v1/endpoints: the route table itself. */
int route_endpoints_list(struct req *r);
int route_endpoints_list(struct req *r)
{
    json_t *items = json_array();
    for (size_t i = 0; i < http_route_count; i++) {
        const struct route *rt = &http_routes[i];
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:I}", "method", rt->method, "path",
                                               rt->path, "role", role_name(rt->role), "body_limit",
                                               (json_int_t)rt->body_limit));
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int http_call(struct app *app, const struct auth_ctx *actor, const char *method, const char *target,
              json_t *body, json_t **answer)
{
    struct mg_request_info ri;
    struct req r;
    char path[512], allow[128];
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : strlen(target);
    int status;

    *answer = NULL;
    memset(&ri, 0, sizeof(ri));
    memset(&r, 0, sizeof(r));
    snprintf(path, sizeof(path), "%.*s", (int)(plen < sizeof(path) ? plen : sizeof(path) - 1),
             target);
    ri.request_method = method;
    ri.local_uri = path;
    ri.request_uri = path;
    ri.query_string = q ? q + 1 : NULL;
    ri.remote_addr[0] = '\0';
    r.ri = &ri;
    r.app = app;
    r.auth = *actor;
    http_req_output(&r, NULL);
    snprintf(r.client, sizeof(r.client), "local");
    int rc = http_route_find(method, path, &r, allow, sizeof(allow));
    if (rc != ACDL_OK) {
        status = reply_error(&r, 404, "not_found", "GET /api/v1/endpoints lists every route",
                             "no endpoint %s %.100s", method, path);
    } else if (store_role_rank(actor->role) < r.route->role) {
        status = reply_error(&r, 403, "forbidden", "ask an administrator for the role",
                             "this needs the %s role; you have %s", role_name(r.route->role),
                             actor->role);
    } else {
        r.body = body;
        status = r.route->fn(&r);
        json_decref(r.audit_before);
    }
    http_req_output_done(&r);
    *answer = r.captured;
    return status;
}
