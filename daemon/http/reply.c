/* reply.c: writing responses: the JSON envelope, errors and the common security headers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/http.h"
#include "platform/platform.h"
#include "store/store.h"

/* The security headers of every answer. */
static const struct {
    const char *name, *value;
} security_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                "form-action 'self'; object-src 'none'"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
};
#define N_SECURITY_HEADERS (sizeof(security_headers) / sizeof(security_headers[0]))

int reply_security_header_lines(char *out, size_t outsz)
{
    size_t used = 0;
    for (size_t i = 0; i < N_SECURITY_HEADERS; i++) {
        int n = snprintf(out + used, outsz - used, "%s%s: %s", i ? "\r\n" : "",
                         security_headers[i].name, security_headers[i].value);
        if (n < 0 || used + (size_t)n >= outsz) {
            return ACDL_ENOMEM;
        }
        used += (size_t)n;
    }
    return ACDL_OK;
}

void reply_start(struct mg_connection *conn, int status, const char *content_type, size_t len,
                 int api)
{
    char num[32];
    mg_response_header_start(conn, status);
    if (content_type) {
        mg_response_header_add(conn, "Content-Type", content_type, -1);
    }
    snprintf(num, sizeof(num), "%zu", len);
    mg_response_header_add(conn, "Content-Length", num, -1);
    for (size_t i = 0; i < N_SECURITY_HEADERS; i++) {
        mg_response_header_add(conn, security_headers[i].name, security_headers[i].value, -1);
    }
    if (api) {
        mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    }
}

void reply_header(struct req *r, const char *name, const char *value)
{
    if (r->nheaders >= REQ_MAX_HEADERS) {
        log_error("http", "too many response headers; dropped %s", name);
        return;
    }
    snprintf(r->headers[r->nheaders].name, sizeof(r->headers[0].name), "%s", name);
    snprintf(r->headers[r->nheaders].value, sizeof(r->headers[0].value), "%s", value);
    r->nheaders++;
}

static int send_body(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
    if (!r->conn) { /* an in-process call keeps the answer */
        (void)ctype;
        json_decref(r->captured);
        r->captured = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
        r->captured_status = status;
        return status;
    }
    reply_start(r->conn, status, ctype, len, 1);
    for (int i = 0; i < r->nheaders; i++) {
        mg_response_header_add(r->conn, r->headers[i].name, r->headers[i].value, -1);
    }
    mg_response_header_send(r->conn);
    if (len > 0 && strcmp(r->ri->request_method, "HEAD") != 0) {
        mg_write(r->conn, body, len);
    }
    return status;
}

int reply_json(struct req *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of "
                                  "memory\",\"hint\":\"retry later\"}}";
        return send_body(r, 500, "application/json", oom, sizeof(oom) - 1);
    }
    int rc = send_body(r, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

int reply_text(struct req *r, int status, const char *content_type, const char *body,
               size_t len)
{
    return send_body(r, status, content_type, body, len);
}

int reply_empty(struct req *r, int status)
{
    return send_body(r, status, NULL, "", 0);
}

int reply_error(struct req *r, int status, const char *code, const char *hint, const char *fmt,
                ...)
{
    char msg[1024] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg, "hint",
                          hint ? hint : "");
    if (status >= 500) {
        log_error("http", "%s %s -> %d %s", r->ri->request_method, r->ri->local_uri, status, msg);
    }
    return reply_json(r, status, e);
}

int reply_rc(struct req *r, int rc, const char *what)
{
    char num[16];
    rc = store_thread_rc(rc); /* a bare ACDL_EDB may have been a busy or full database */
    int retry = acdl_err_retry_after(rc);
    switch (rc) {
    case ACDL_ENOTFOUND:
        return reply_error(r, 404, "not_found", "check the id; list the collection to find it",
                           "%s not found", what);
    case ACDL_EEXIST:
        return reply_error(r, 409, "conflict", "choose another name", "%s exists already", what);
    case ACDL_ECONFLICT:
        return reply_error(r, 409, "conflict", NULL, "%s conflicts with the current state", what);
    case ACDL_EAGAIN:
    case ACDL_ENOSPC:
    case ACDL_ESTOP:
        snprintf(num, sizeof(num), "%d", retry);
        reply_header(r, "Retry-After", num);
        return reply_error(r, 503, "unavailable",
                           rc == ACDL_ENOSPC
                               ? "free space on the data disk (GET /api/v1/health says how much "
                                 "is left); then retry"
                               : "retry after the seconds in the Retry-After header",
                           "%s: %s", what, acdl_strerror(rc));
    case ACDL_ENOMEM:
    case ACDL_EDB:
        return reply_error(r, 500, "internal", "retry; if it persists, look at the daemon's log",
                           "%s: %s", what, acdl_strerror(rc));
    default:
        return reply_error(r, acdl_err_http_status(rc), "internal",
                           "look at the daemon's log", "%s: %s", what, acdl_strerror(rc));
    }
}

json_t *json_time(int64_t t)
{
    char buf[32];
    if (t == 0) {
        return json_null();
    }
    plat_time_iso(t, buf, sizeof(buf));
    return json_string(buf);
}

int reply_page(struct req *r, json_t *items, int more, int64_t last_id)
{
    char cur[32];
    json_t *next = json_null();
    if (more) {
        snprintf(cur, sizeof(cur), "%lld", (long long)last_id);
        json_decref(next);
        next = json_string(cur);
    }
    return reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
