/* reply.c: writing responses: the JSON envelope, errors and the common security headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"
#include "http/answers.h"
#include "http/jsonw.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/platform.h"
#include "store/store.h"
#include "store/users.h"

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

/* --- the answer's buffer --- */

#define REPLY_HEAD_ROOM 2048                    /* headers go in front of the body: one write */
#define REPLY_KEEP ((size_t)64 * 1024)          /* a worker keeps a buffer up to this size */
#define REPLY_LIMIT ((size_t)512 * 1024 * 1024) /* the largest answer */

struct http_worker {
    struct jsonw out;
    int64_t date_day; /* the day (Unix days) the cached Date text is for, -1: none */
    char date[24];    /* "Tue, 10 Mar 2026 ", the time is written per answer */
};

struct http_worker *http_worker_new(void)
{
    struct http_worker *wk = calloc(1, sizeof(*wk));
    if (wk) {
        jsonw_init(&wk->out, REPLY_LIMIT);
        wk->date_day = -1;
    }
    return wk;
}

void http_worker_free(struct http_worker *wk)
{
    if (wk) {
        jsonw_free(&wk->out);
        free(wk);
    }
}

void http_req_output(struct req *r, struct http_worker *wk)
{
    r->worker = wk;
    if (wk) {
        r->out = &wk->out;
    } else {
        jsonw_init(&r->own_out, REPLY_LIMIT);
        r->out = &r->own_out;
    }
}

void http_req_output_done(struct req *r)
{
    if (r->out == &r->own_out) {
        jsonw_free(&r->own_out);
    } else if (r->out && r->out->cap > REPLY_KEEP) {
        jsonw_free(r->out); /* a rare large answer does not stay resident */
    }
    r->out = NULL;
}

static struct jsonw *output(struct req *r)
{
    if (!r->out) {
        http_req_output(r, NULL);
    }
    return r->out;
}

struct jsonw *reply_stream_begin(struct req *r)
{
    struct jsonw *w = output(r);
    jsonw_reset(w, REPLY_HEAD_ROOM, REPLY_KEEP);
    return w;
}

static void cat(char *h, size_t *n, const char *s, size_t len)
{
    if (*n <= REPLY_HEAD_ROOM && len <= REPLY_HEAD_ROOM - *n) {
        memcpy(h + *n, s, len);
    }
    *n += len; /* past the room: the caller sees it and lets civetweb write the headers */
}

static void cats(char *h, size_t *n, const char *s)
{
    cat(h, n, s, strlen(s));
}

/* The Date header's value for now, "Tue, 10 Mar 2026 08:15:00 GMT", into out[29]. */
static void http_date(struct http_worker *wk, char *out)
{
    static const char days[] = "ThuFriSatSunMonTueWed";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int64_t now = plat_now();
    int64_t day = now / 86400;
    char iso[24], local[24];
    char *d = wk ? wk->date : local;
    jsonw_fmt_time(iso, now);
    if (!wk || wk->date_day != day) {
        int mon = (iso[5] - '0') * 10 + (iso[6] - '0');
        memcpy(d, days + (day % 7) * 3, 3);
        memcpy(d + 3, ", ", 2);
        memcpy(d + 5, iso + 8, 2);
        d[7] = ' ';
        memcpy(d + 8, months + (mon - 1) * 3, 3);
        d[11] = ' ';
        memcpy(d + 12, iso, 4);
        d[16] = ' ';
        if (wk) {
            wk->date_day = day;
        }
    }
    memcpy(out, d, 17);
    memcpy(out + 17, iso + 11, 8);
    memcpy(out + 25, " GMT", 4);
}

/* Keep-alive as civetweb decides it: the client's Connection header, else HTTP/1.1's default. */
static int keep_alive(struct req *r)
{
    static const char want[] = "keep-alive";
    const char *c = mg_get_header(r->conn, "Connection");
    if (c) {
        for (const char *p = c; *p; p++) {
            size_t i = 0;
            while (want[i] && p[i] && (p[i] | 0x20) == want[i]) {
                i++;
            }
            if (!want[i]) {
                return 1;
            }
        }
        return 0;
    }
    return r->ri->http_version && strcmp(r->ri->http_version, "1.1") == 0;
}

/* Sends the status line, the headers and the body in r->out (after the head room) in one
 * write: one TLS record run and one system call instead of one per header line. */
static int send_out(struct req *r, int status, const char *ctype)
{
    struct jsonw *w = r->out;
    size_t blen = w->len - REPLY_HEAD_ROOM, n = 0;
    char h[REPLY_HEAD_ROOM], num[24], date[32];
    cats(h, &n, "HTTP/");
    cats(h, &n, r->ri->http_version ? r->ri->http_version : "1.1");
    cat(h, &n, " ", 1);
    cat(h, &n, num, jsonw_fmt_int(num, status));
    cat(h, &n, " ", 1);
    cats(h, &n, mg_get_response_code_text(r->conn, status));
    cat(h, &n, "\r\n", 2);
    if (ctype) {
        cats(h, &n, "Content-Type: ");
        cats(h, &n, ctype);
        cat(h, &n, "\r\n", 2);
    }
    if (status != 304) { /* a 304's length would be the 200's: it sends none */
        cats(h, &n, "Content-Length: ");
        cat(h, &n, num, jsonw_fmt_int(num, (int64_t)blen));
        cat(h, &n, "\r\n", 2);
    }
    for (size_t i = 0; i < N_SECURITY_HEADERS; i++) {
        cats(h, &n, security_headers[i].name);
        cat(h, &n, ": ", 2);
        cats(h, &n, security_headers[i].value);
        cat(h, &n, "\r\n", 2);
    }
    cats(h, &n, "Cache-Control: no-store\r\n");
    for (int i = 0; i < r->nheaders; i++) {
        cats(h, &n, r->headers[i].name);
        cat(h, &n, ": ", 2);
        cats(h, &n, r->headers[i].value);
        cat(h, &n, "\r\n", 2);
    }
    http_date(r->worker, date);
    cats(h, &n, "Date: ");
    cat(h, &n, date, 29);
    cats(h, &n,
         keep_alive(r) ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    if (strcmp(r->ri->request_method, "HEAD") == 0) {
        blen = 0;
    }
    if (n <= REPLY_HEAD_ROOM) {
        char *start = w->buf + REPLY_HEAD_ROOM - n;
        memcpy(start, h, n);
        mg_write(r->conn, start, n + blen);
    } else { /* headers past the room (long extra headers): civetweb writes them */
        reply_start(r->conn, status, ctype, w->len - REPLY_HEAD_ROOM, 1);
        for (int i = 0; i < r->nheaders; i++) {
            mg_response_header_add(r->conn, r->headers[i].name, r->headers[i].value, -1);
        }
        mg_response_header_send(r->conn);
        if (blen > 0) {
            mg_write(r->conn, w->buf + REPLY_HEAD_ROOM, blen);
        }
    }
    return status;
}

static const char oom_text[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of "
                               "memory\",\"hint\":\"retry later\"}}";

static int send_body(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
    if (!r->conn) { /* an in-process call keeps the answer */
        (void)ctype;
        json_decref(r->captured);
        r->captured = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
        r->captured_status = status;
        return status;
    }
    struct jsonw *w = reply_stream_begin(r);
    char *p = jsonw_room(w, len);
    if (!p) {
        if (body == oom_text) {
            return status; /* nothing more can be said */
        }
        return send_body(r, 500, "application/json", oom_text, sizeof(oom_text) - 1);
    }
    memcpy(p, body, len);
    w->len += len;
    return send_out(r, status, ctype);
}

static void body_etag(const struct jsonw *w, char *etag);
static int send_tagged(struct req *r, const char *etag);

int reply_stream_send(struct req *r, int status)
{
    return reply_stream_send_as(r, status, "application/json");
}

int reply_stream_send_as(struct req *r, int status, const char *content_type)
{
    struct jsonw *w = r->out;
    if (!w || w->failed || w->len < REPLY_HEAD_ROOM) {
        return send_body(r, 500, "application/json", oom_text, sizeof(oom_text) - 1);
    }
    if (!r->conn) {
        json_decref(r->captured);
        r->captured = json_loadb(w->buf + REPLY_HEAD_ROOM, w->len - REPLY_HEAD_ROOM, 0, NULL);
        r->captured_status = status;
        return status;
    }
    if (r->cache_fill && status == 200 && r->nheaders == 0 &&
        w->len - REPLY_HEAD_ROOM <= ANSWERS_ONE_MAX &&
        strcmp(content_type, "application/json") == 0) {
        char etag[ANSWERS_ETAG_LEN + 1];
        const char *body = w->buf + REPLY_HEAD_ROOM;
        size_t len = w->len - REPLY_HEAD_ROOM;
        /* the same text as the answer a commit retired: its tag stands, nothing is copied */
        if (!answers_renew(r->app->answers, r->cache_key, r->cache_klen, r->generation, body, len,
                           etag)) {
            body_etag(w, etag);
            answers_put(r->app->answers, r->cache_key, r->cache_klen, r->generation, body, len,
                        etag);
        }
        return send_tagged(r, etag);
    }
    return send_out(r, status, content_type);
}

/* 1 when an If-None-Match value (a list of entity tags, or "*") holds etag, compared weakly
 * (RFC 9110 13.1.2: a W/ prefix does not count). */
static int etag_listed(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '*') {
            return 1;
        }
        if (p[0] == 'W' && p[1] == '/') {
            p += 2;
        }
        const char *end = p;
        if (*p == '"') {
            end = strchr(p + 1, '"');
            end = end ? end + 1 : p + strlen(p);
        } else {
            while (*end && *end != ',') {
                end++;
            }
        }
        if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0) {
            return 1;
        }
        p = end;
        while (*p && *p != ',') {
            p++;
        }
    }
    return 0;
}

/* The strong entity tag of the answer in w: a quoted digest of its body, into
 * etag[ANSWERS_ETAG_LEN + 1]. */
static void body_etag(const struct jsonw *w, char *etag)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char dig[32];
    crypto_sha256(w->buf + REPLY_HEAD_ROOM, w->len - REPLY_HEAD_ROOM, dig);
    etag[0] = '"';
    for (int i = 0; i < 16; i++) {
        etag[1 + 2 * i] = hex[dig[i] >> 4];
        etag[2 + 2 * i] = hex[dig[i] & 15];
    }
    etag[33] = '"';
    etag[34] = '\0';
}

/* Sends the JSON answer in r->out with its ETag: 304 without the body when If-None-Match
 * lists the tag, else 200. */
static int send_tagged(struct req *r, const char *etag)
{
    reply_header(r, "ETag", etag);
    if (etag_listed(mg_get_header(r->conn, "If-None-Match"), etag)) {
        r->out->len = REPLY_HEAD_ROOM;
        return send_out(r, 304, NULL);
    }
    return send_out(r, 200, "application/json");
}

int reply_stream_send_tagged(struct req *r)
{
    struct jsonw *w = r->out;
    char etag[ANSWERS_ETAG_LEN + 1];
    if (!r->conn || !w || w->failed || w->len < REPLY_HEAD_ROOM) {
        return reply_stream_send(r, 200);
    }
    body_etag(w, etag);
    return send_tagged(r, etag);
}

int reply_cached(struct req *r)
{
    const char *path = r->ri->local_uri, *q = r->ri->query_string;
    char etag[ANSWERS_ETAG_LEN + 1];
    size_t plen = strlen(path), qlen = q ? strlen(q) : 0, n = 0;
    if (!r->conn || !r->app->answers || !r->generation_read ||
        plen + qlen + 4 > sizeof(r->cache_key)) {
        return 0;
    }
    /* the role that passed the checks, the path and the query: all the handler reads; the
     * path ends at a NUL, which no decoded path holds, so no path and query make another's */
    r->cache_key[n++] = (char)('0' + store_role_rank(r->auth.role));
    r->cache_key[n++] = '|';
    memcpy(r->cache_key + n, path, plen);
    n += plen;
    r->cache_key[n++] = '\0';
    if (q) {
        r->cache_key[n++] = '?';
        memcpy(r->cache_key + n, q, qlen);
        n += qlen;
    }
    r->cache_klen = n;
    /* an answer of the queues only: tagged with their change count, read in the snapshot the
     * answer will be read from (the credentials' read transaction); without it, with any
     * commit's generation */
    uint64_t count;
    if (r->cache_group == ANSWERS_GROUP_QUEUES && r->held && r->held_open &&
        store_queues_generation(r->held, &count) == ACDL_OK) {
        r->generation = ANSWERS_GEN(ANSWERS_GROUP_QUEUES, count);
    }
    struct jsonw *w = reply_stream_begin(r);
    if (answers_get(r->app->answers, r->cache_key, n, r->generation, w, etag)) {
        if (r->held) {
            req_store_done(r, r->held); /* no read left: the snapshot ends before sending */
        }
        return send_tagged(r, etag);
    }
    r->cache_fill = 1;
    return 0;
}

static int dump_piece(const char *buffer, size_t size, void *data)
{
    struct jsonw *w = data;
    char *p = jsonw_room(w, size);
    if (!p) {
        return -1;
    }
    memcpy(p, buffer, size);
    w->len += size;
    return 0;
}

int reply_json(struct req *r, int status, json_t *body)
{
    if (!r->conn || !body) {
        char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(body);
        if (!text) {
            return send_body(r, 500, "application/json", oom_text, sizeof(oom_text) - 1);
        }
        int rc = send_body(r, status, "application/json", text, strlen(text));
        free(text);
        return rc;
    }
    /* jansson writes straight into the answer's buffer */
    struct jsonw *w = reply_stream_begin(r);
    if (json_dump_callback(body, dump_piece, w, JSON_COMPACT | JSON_ENSURE_ASCII) != 0) {
        w->failed = 1;
    }
    json_decref(body);
    return reply_stream_send(r, status);
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

/* Adds message_code and params to the error envelope err when its message has a code: one
 * noted for the whole text (why.h), a known text (why_texts.c), or "FIELD: WHY" whose WHY is
 * one of those (then "val.field" with the field, as it is, and the why as a parameter). */
static void message_code_add(json_t *err, const char *msg)
{
    char code[48];
    json_t *params = NULL;
    const char *sep = strstr(msg, ": ");
    if (why_lookup(msg, code, sizeof(code), &params) ||
        why_match(msg, code, sizeof(code), &params)) {
        json_object_set_new(err, "message_code", json_string(code));
        json_object_set_new(err, "params", params);
        return;
    }
    if (!sep || sep == msg || sep - msg > 120) {
        return;
    }
    const char *why = sep + 2;
    if (why_lookup(why, code, sizeof(code), &params) ||
        why_match(why, code, sizeof(code), &params)) {
        json_t *p = json_pack("{s:s%, s:s, s:s, s:o}", "field", msg, (size_t)(sep - msg), "why",
                              why, "why_code", code, "why_params", params);
        if (p) {
            json_object_set_new(err, "message_code", json_string("val.field"));
            json_object_set_new(err, "params", p);
        }
    }
}

/* Adds hint_code to the error envelope err when its hint is a known one (core/hint_texts.c). */
static void hint_code_add(json_t *err, const char *hint)
{
    char code[64];
    if (err && why_hint(hint, code, sizeof(code))) {
        json_object_set_new(err, "hint_code", json_string(code));
    }
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
    hint_code_add(json_object_get(e, "error"), hint);
    if (status >= 400 && status < 500) {
        message_code_add(json_object_get(e, "error"), msg);
    }
    if (status >= 500) {
        log_error("http", "%s %s -> %d %s", r->ri->request_method, r->ri->local_uri, status, msg);
    }
    return reply_json(r, status, e);
}

int reply_error_overridable(struct req *r, const char *hint, const char *fmt, ...)
{
    char msg[1024] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:{s:s, s:s, s:s, s:b}}", "error", "code", "invalid_field", "message",
                          msg, "hint", hint, "overridable", 1);
    hint_code_add(json_object_get(e, "error"), hint);
    message_code_add(json_object_get(e, "error"), msg);
    return reply_json(r, 422, e);
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

json_t *json_set_code(json_t *o, const char *code_key, const char *params_key, const char *code,
                      const char *params)
{
    json_t *p = code && code[0] ? json_loads(params, 0, NULL) : NULL;
    if (!json_is_object(p)) {
        json_decref(p);
        p = NULL;
    }
    json_object_set_new(o, code_key, p ? json_string(code) : json_null());
    json_object_set_new(o, params_key, p ? p : json_null());
    return o;
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

void reply_stream_page_end(struct jsonw *w, int more, int64_t last_id)
{
    char cur[24];
    jsonw_arr_end(w);
    jsonw_key(w, "next_cursor");
    if (more) {
        jsonw_strn(w, cur, jsonw_fmt_int(cur, last_id));
    } else {
        jsonw_null(w);
    }
    jsonw_obj_end(w);
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
