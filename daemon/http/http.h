/* http.h: what route handlers see: the request, the route table, reply and audit helpers.
 *
 * Design: civetweb calls one handler for every request (http/server.c). Paths under /api/v1
 * go through the route table (http/routes/table.c): exact match by segment, then
 * authentication, role check, CSRF check and body parsing happen in http/router.c before the
 * handler runs, so a handler only validates its input, calls the store and serialises.
 * Everything else is the console (http/assets.c). Handlers run on civetweb's worker threads. */
#ifndef ACDL_HTTP_H
#define ACDL_HTTP_H
#include <civetweb.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "core/log.h"
#include "http/jsonw.h"

enum role_rank { ROLE_PUBLIC = 0, ROLE_VIEWER = 1, ROLE_OPERATOR = 2, ROLE_ADMIN = 3 };
enum auth_kind { AUTH_NONE = 0, AUTH_SESSION, AUTH_TOKEN };

struct auth_ctx {
    enum auth_kind kind;
    int64_t user_id;    /* AUTH_SESSION: the user; AUTH_TOKEN: the token's owner */
    int64_t session_id; /* AUTH_SESSION */
    int64_t token_id;   /* AUTH_TOKEN */
    char name[80];      /* user name, or the token's name */
    char role[16]; /* a token's: the lower of its own and its owner's current role */
    char csrf[64];
    int64_t expires_at;
};

/* A worker thread's reusable answer buffer (http/reply.c). */
struct http_worker;
struct store_conn;

#define REQ_MAX_PARAMS 3
#define REQ_MAX_HEADERS 6

struct req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    struct app *app;
    const struct route *route;
    const char *params[REQ_MAX_PARAMS]; /* {id} segments, pointing into param_buf */
    char param_buf[256];
    struct auth_ctx auth;
    json_t *body; /* parsed JSON body of POST/PUT/PATCH, owned by the router */
    json_t *audit_before; /* an update's resource as it was (http_audit_update), owned by the
                             router */
    char client[64];
    struct {
        char name[32];
        char value[512];
    } headers[REQ_MAX_HEADERS]; /* extra response headers set by the handler */
    int nheaders;
    /* in-process calls (http_call): conn is NULL and the answer lands here */
    json_t *captured;    /* new: the JSON answered, or NULL for an empty answer */
    int captured_status;
    /* the answer's buffer: the worker thread's (reused from request to request) or own_out */
    struct http_worker *worker;
    struct jsonw *out;
    struct jsonw own_out;
    /* the store's change generation read with the credentials (store_generation) */
    uint64_t generation;
    int generation_read;
    /* a cached route's read (http/router.c): the connection that checked the credentials,
     * whose read transaction the answer is read in too (req_store), and the credential's
     * last-use time to write after the answer (0: nothing to write) */
    struct store_conn *held;
    int held_open;
    int64_t touch_token, touch_session, touch_at;
    /* a cached route's answer to keep (reply_cached): its key; the group of tables its
     * generation counts (ANSWERS_GROUP_*) */
    int cache_fill;
    int cache_group;
    size_t cache_klen;
    char cache_key[1024];
};

/* A handler answers the request and returns the HTTP status it sent. */
typedef int (*route_fn)(struct req *r);

struct route {
    const char *method;
    const char *path; /* "/api/v1/users/{id}" */
    route_fn fn;
    int role;          /* enum role_rank: the minimum role */
    size_t body_limit; /* bytes; 0 = no body accepted */
};

extern const struct route http_routes[];
extern const size_t http_route_count;
/* The handlers of the GET routes whose 200 answers depend on nothing but the path, the query
 * and the stored data (no clock, no actor, no header): kept in the answer cache
 * (http/answers.h). */
struct http_cached_route {
    route_fn fn;
    int group; /* what its answers read: ANSWERS_GROUP_ALL or _QUEUES (answers.h) */
};
extern const struct http_cached_route http_cached_routes[];
extern const size_t http_cached_route_count;

/* Finds the route for method + path. Returns 0 and fills params (into r), ACDL_ENOTFOUND when
 * no route has the path, ACDL_EPERM when the path exists with other methods (then allow holds
 * them, comma-separated). */
int http_route_find(const char *method, const char *path, struct req *r, char *allow,
                    size_t allowsz);

/* Answers a request for any path (API and console). Returns the status sent. */
int http_dispatch(struct mg_connection *conn, struct app *app);

/* --- in-process calls (http/router.c) --- */
/* Calls the route for method and target ("/api/v1/queues?limit=500") in this thread, acting as
 * actor (borrowed; its role is checked against the route's like for a request, CSRF is not:
 * the caller is either a request that passed it or the local command line). body is borrowed
 * and may be NULL. *answer (new, may be NULL) gets what the route answered: its JSON, or an
 * error envelope when no route matches (404) or the role is too low (403). Returns the HTTP
 * status. Thread-safe as the routes are. */
int http_call(struct app *app, const struct auth_ctx *actor, const char *method,
              const char *target, json_t *body, json_t **answer);

/* --- replies (http/reply.c); each returns the status it sent --- */
/* A worker thread's answer buffer (new; free with http_worker_free, which accepts NULL). */
struct http_worker *http_worker_new(void);
void http_worker_free(struct http_worker *wk);
/* Gives r its answer buffer: the worker's (borrowed, NULL: a buffer of its own), and gives it
 * back after the answer (freeing what r owns, and a worker buffer grown large). */
void http_req_output(struct req *r, struct http_worker *wk);
void http_req_output_done(struct req *r);
/* A JSON answer written straight into the answer's buffer: begin returns the writer (borrowed,
 * valid for this request), send answers with status, the headers and the body in one write
 * (500 when the writer failed). For lists built row by row, without a jansson tree. */
struct jsonw *reply_stream_begin(struct req *r);
int reply_stream_send(struct req *r, int status);
/* The same for a body of another type (e.g. CSV text written with jsonw_room). */
int reply_stream_send_as(struct req *r, int status, const char *content_type);
/* As reply_stream_send with 200, tagged: the ETag is a digest of the body (strong: equal
 * bodies, equal tags), and a request whose If-None-Match lists it gets 304 with the ETag and
 * no body. */
int reply_stream_send_tagged(struct req *r);
/* For a route marked cached, after the checks: answers from the answer cache (200 with the
 * ETag, or 304 when If-None-Match lists it) and returns the status, or returns 0 and marks
 * the request so that its 200 JSON answer is kept, tagged with the ETag, at the generation
 * read with its credentials. Does nothing (0) without that generation. */
int reply_cached(struct req *r);
/* Ends a page begun as {"items":[ : closes the array and adds next_cursor (last_id as text
 * when more is true, else null) like reply_page. */
void reply_stream_page_end(struct jsonw *w, int more, int64_t last_id);
int reply_json(struct req *r, int status, json_t *body); /* steals body */
int reply_empty(struct req *r, int status);
/* A non-JSON body (e.g. Prometheus text), copied. */
int reply_text(struct req *r, int status, const char *content_type, const char *body,
               size_t len);
int reply_error(struct req *r, int status, const char *code, const char *hint, const char *fmt,
                ...) ACDL_PRINTF(5, 6);
/* A 422 invalid_field that the client may overrule: the envelope carries "overridable": true
 * (send "override": true to save it as it is). */
int reply_error_overridable(struct req *r, const char *hint, const char *fmt, ...)
    ACDL_PRINTF(3, 4);
/* Answers with the status and envelope that fit an ACDL_E* code. */
int reply_rc(struct req *r, int rc, const char *what);
/* Adds a response header for the next reply (ignored when full). */
void reply_header(struct req *r, const char *name, const char *value);
/* What changed between two answers of one resource (before and after an update, borrowed): an
 * object with a member per changed field, nested objects as "settings.folder", each
 * {"before": x, "after": y}; a field naming a password, secret, API key or token only as
 * "changed"; time stamps of the change itself are left out. New. */
json_t *http_audit_changes(const json_t *before, const json_t *after);
/* The audit detail of an update: {"id": id} and the changes from r->audit_before (set by the
 * handler when it read the resource) to after (borrowed). New. */
json_t *http_audit_update(struct req *r, const json_t *after, int64_t id);

/* 1 when an Accept-Encoding header value (NULL: none) accepts gzip (assets.c). */
int http_accepts_gzip(const char *value);

/* The security headers of reply_start() as "Name: value" lines joined by CRLF, for civetweb's
 * additional_header option. Returns 0 or ACDL_ENOMEM when out is too small. */
int reply_security_header_lines(char *out, size_t outsz);
/* Writes the status line and the common security headers (used by the console handler too). */
void reply_start(struct mg_connection *conn, int status, const char *content_type, size_t len,
                 int api);

/* --- request helpers (http/router.c) --- */
/* Parses ?limit= (default 50, 1..500) and ?cursor= (an id; 0 when absent). On bad input
 * answers 400 and returns the status (> 0); returns 0 when fine. */
int req_page(struct req *r, int *limit, int64_t *cursor);
/* Copies query parameter name into out; returns its length, or -1 when absent. */
int req_query(struct req *r, const char *name, char *out, size_t outsz);
/* As req_query, for the nth (0-based) occurrence of a repeated parameter; -2 when too long. */
int req_query_nth(struct req *r, const char *name, int nth, char *out, size_t outsz);
/* Parses ?limit= alone (default 50, 1..500); answers 400 and returns the status when bad. */
int req_limit(struct req *r, int *limit);
/* Parses path parameter i as a positive id; answers 404 and returns the status when bad. */
int req_id(struct req *r, int i, int64_t *id);
/* Emits {"items": items, "next_cursor": ...}: next_cursor is last_id when more is true. */
int reply_page(struct req *r, json_t *items, int more, int64_t last_id);

/* --- authentication (http/auth.c) --- */
/* The request's database connection: the one the router holds for a cached route (in the
 * read transaction the credentials were checked in, so the answer is read at the generation
 * it is tagged with), else one from the pool. Give it back with req_store_done, which ends
 * the held connection's read transaction (the router releases it after the answer). */
struct store_conn *req_store(struct req *r);
void req_store_done(struct req *r, struct store_conn *c);
/* For a cached route the router holds one connection in a read transaction from before the
 * credentials are checked (http_auth_hold) to after the answer (http_auth_finish, which then
 * writes the credential's last use when due). */
void http_auth_hold(struct req *r);
void http_auth_finish(struct req *r);
/* Resolves the request's credentials into r->auth. Returns 0, or ACDL_EAUTH when credentials
 * were presented but are invalid (a revoked token, an expired session). */
int http_auth_resolve(struct req *r);
/* 0 when a state-changing request passes the CSRF checks, ACDL_EPERM otherwise. */
int http_csrf_check(struct req *r, const char **why);
/* The name of the session cookie ("__Host-acdlink_session", or without prefix on plain HTTP). */
const char *http_cookie_name(const struct app *app);

/* --- audit (http/routes/audit.c) --- */
/* Appends an audit entry for the current actor. detail is stolen (may be NULL). */
void http_audit(struct req *r, const char *action, const char *target, const char *outcome,
                json_t *detail);

/* ISO-8601 UTC text for t, or JSON null when t is 0. New reference. */
json_t *json_time(int64_t t);
/* Sets o[code_key] and o[params_key] to a message code and its parameters (JSON object text),
 * both null when code is "" or NULL (a text without a code, e.g. written by an older version).
 * o is borrowed; returns o. */
json_t *json_set_code(json_t *o, const char *code_key, const char *params_key, const char *code,
                      const char *params);

/* --- the console (http/assets.c) --- */
int http_assets_serve(struct mg_connection *conn, struct app *app);

#endif
