/* router.c: route matching, and the checks every API request passes before its handler:
 * authentication, role, CSRF, body size and JSON parsing. Deny by default. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
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

/* The route table, indexed once: each pattern split into its segments, and the routes grouped
 * by their third segment (the resource after /api/v1), so that a request's path is split once
 * and compared with the few routes of its resource instead of the whole table twice. */
#define ROUTE_SEGS 8     /* segments of the longest pattern (a longer one is never matched) */
#define ROUTE_BUCKETS 64 /* a power of two */
#define ROUTE_KEY_SEG 2  /* "/api/v1/RESOURCE/...": the segment the routes are grouped by */

struct seg {
    const char *s;
    size_t len;
};

struct route_pat {
    int nseg, literal; /* its segments, and how many of them are literal (not {x}) */
    struct seg seg[ROUTE_SEGS];
    unsigned char param[ROUTE_SEGS];
};

static struct {
    struct route_pat *pat;  /* by table index */
    unsigned short *by_key; /* table indexes grouped by bucket, each group in table order */
    unsigned short first[ROUTE_BUCKETS + 1];
    unsigned short *general; /* routes without a literal key segment: checked for every path */
    size_t ngeneral;
} idx;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

/* Splits path ("/a/b/c") into its segments; -1 when it does not start with '/' or has more than
 * max segments. */
static int split_path(const char *path, struct seg *seg, int max)
{
    int n = 0;
    if (*path != '/') {
        return -1;
    }
    while (*path == '/') {
        const char *s = ++path;
        while (*path && *path != '/') {
            path++;
        }
        if (n == max) {
            return -1;
        }
        seg[n].s = s;
        seg[n].len = (size_t)(path - s);
        n++;
    }
    return n;
}

static unsigned seg_bucket(const struct seg *g)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < g->len; i++) {
        h = (h ^ (unsigned char)g->s[i]) * 16777619u;
    }
    return h & (ROUTE_BUCKETS - 1);
}

static int pat_keyed(const struct route_pat *p)
{
    return p->nseg > ROUTE_KEY_SEG && !p->param[ROUTE_KEY_SEG];
}

static void index_build(void)
{
    size_t n = http_route_count;
    idx.pat = calloc(n ? n : 1, sizeof(*idx.pat));
    idx.by_key = calloc(n ? n : 1, sizeof(*idx.by_key));
    idx.general = calloc(n ? n : 1, sizeof(*idx.general));
    if (!idx.pat || !idx.by_key || !idx.general) {
        log_error("http", "out of memory indexing the route table: no API route is served");
        free(idx.pat);
        idx.pat = NULL;
        return;
    }
    unsigned short count[ROUTE_BUCKETS] = {0};
    for (size_t i = 0; i < n; i++) {
        struct route_pat *p = &idx.pat[i];
        p->nseg = split_path(http_routes[i].path, p->seg, ROUTE_SEGS);
        for (int k = 0; k < p->nseg; k++) {
            const struct seg *g = &p->seg[k];
            p->param[k] = g->len >= 2 && g->s[0] == '{' && g->s[g->len - 1] == '}';
            p->literal += !p->param[k];
        }
        if (p->nseg < 0) {
            log_error("http", "route %s has more than %d segments: it is never matched",
                      http_routes[i].path, ROUTE_SEGS);
        } else if (pat_keyed(p)) {
            count[seg_bucket(&p->seg[ROUTE_KEY_SEG])]++;
        } else {
            idx.general[idx.ngeneral++] = (unsigned short)i;
        }
    }
    for (int b = 0; b < ROUTE_BUCKETS; b++) {
        idx.first[b + 1] = (unsigned short)(idx.first[b] + count[b]);
        count[b] = idx.first[b];
    }
    for (size_t i = 0; i < n; i++) {
        if (idx.pat[i].nseg >= 0 && pat_keyed(&idx.pat[i])) {
            idx.by_key[count[seg_bucket(&idx.pat[i].seg[ROUTE_KEY_SEG])]++] = (unsigned short)i;
        }
    }
}

/* Whether route pattern p matches the path's segments; {x} takes one non-empty segment, and
 * the captures must fit the request's parameter buffer. */
static int pat_match(const struct route_pat *p, const struct seg *seg, int nseg)
{
    size_t used = 0;
    int np = 0;
    if (p->nseg != nseg) {
        return 0;
    }
    for (int k = nseg - 1; k >= 0; k--) { /* the last segment differs most often */
        if (p->param[k]) {
            if (seg[k].len == 0 || np >= REQ_MAX_PARAMS) {
                return 0;
            }
            np++;
            used += seg[k].len + 1;
        } else if (p->seg[k].len != seg[k].len || memcmp(p->seg[k].s, seg[k].s, seg[k].len) != 0) {
            return 0;
        }
    }
    return used <= sizeof(((struct req *)0)->param_buf);
}

static void pat_params(const struct route_pat *p, const struct seg *seg, struct req *r)
{
    size_t used = 0;
    int np = 0;
    for (int k = 0; k < p->nseg; k++) {
        if (p->param[k]) {
            memcpy(r->param_buf + used, seg[k].s, seg[k].len);
            r->param_buf[used + seg[k].len] = '\0';
            r->params[np++] = r->param_buf + used;
            used += seg[k].len + 1;
        }
    }
}

/* The routes matching path with the most literal segments (a path that a route names literally,
 * /mappings/bulk, belongs to that route, not to /mappings/{id}), in table order: their indexes
 * into out (at most ROUTE_MATCH_MAX). Fills r's parameters from the path. Returns how many. */
#define ROUTE_MATCH_MAX 16
static int route_matches(const char *path, struct req *r, size_t *out)
{
    struct seg seg[ROUTE_SEGS];
    int nseg, n = 0, best = -1;
    size_t bi = 0, be = 0, gi = 0;
    pthread_once(&idx_once, index_build);
    if (!idx.pat || (nseg = split_path(path, seg, ROUTE_SEGS)) < 0) {
        return 0;
    }
    if (nseg > ROUTE_KEY_SEG) {
        unsigned b = seg_bucket(&seg[ROUTE_KEY_SEG]);
        bi = idx.first[b];
        be = idx.first[b + 1];
    }
    /* the bucket's and the general routes merged in table order */
    while (bi < be || gi < idx.ngeneral) {
        size_t i = gi >= idx.ngeneral || (bi < be && idx.by_key[bi] < idx.general[gi])
                       ? idx.by_key[bi++]
                       : idx.general[gi++];
        const struct route_pat *p = &idx.pat[i];
        if (p->literal < best || !pat_match(p, seg, nseg)) {
            continue;
        }
        if (p->literal > best) {
            best = p->literal;
            n = 0;
        }
        if (n < ROUTE_MATCH_MAX) {
            out[n++] = i;
        }
    }
    if (n > 0) {
        pat_params(&idx.pat[out[0]], seg, r);
    }
    return n;
}

int http_route_find(const char *method, const char *path, struct req *r, char *allow,
                    size_t allowsz)
{
    size_t m[ROUTE_MATCH_MAX];
    size_t used = 0;
    int n = route_matches(path, r, m);
    if (allowsz) {
        allow[0] = '\0';
    }
    for (int k = 0; k < n; k++) {
        const struct route *rt = &http_routes[m[k]];
        if (strcmp(rt->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
            r->route = rt;
            return ACDL_OK;
        }
        int w = snprintf(allow + used, allowsz - used, "%s%s", used ? ", " : "", rt->method);
        if (w > 0 && used + (size_t)w < allowsz) {
            used += (size_t)w;
        }
    }
    if (n > 0) {
        int w = snprintf(allow + used, allowsz - used, ", OPTIONS");
        (void)w;
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

/* 1 for a route whose answers are cached, with its group of tables in r->cache_group. */
static int route_cached(struct req *r, const struct route *rt)
{
    for (size_t i = 0; i < http_cached_route_count; i++) {
        if (rt->fn == http_cached_routes[i].fn && strcmp(rt->method, "GET") == 0) {
            r->cache_group = http_cached_routes[i].group;
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
        size_t m[ROUTE_MATCH_MAX];
        size_t used = 0;
        int n = route_matches(path, r, m);
        allow[0] = '\0';
        if (n == 0) {
            return reply_error(r, 404, "not_found", "GET /api/v1/endpoints lists every route",
                               "no such endpoint");
        }
        for (int k = 0; k < n; k++) {
            int w = snprintf(allow + used, sizeof(allow) - used, "%s, ", http_routes[m[k]].method);
            if (w > 0 && used + (size_t)w < sizeof(allow)) {
                used += (size_t)w;
            }
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
    int cached = route_cached(r, rt);
    if (cached && rt->role != ROLE_PUBLIC) {
        http_auth_hold(r); /* one read for the credentials and the answer */
    }
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
    if (cached && (rc = reply_cached(r)) != 0) {
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
        http_auth_finish(&r);
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
