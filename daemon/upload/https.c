/* https.c: the HTTPS client of the connectors (see https.h). Blocking sockets with send and
 * receive timeouts, checked against one deadline. A request with rq->keep asks for
 * keep-alive and reads the answer to the end its Content-Length or chunks give; the
 * connection is then kept for the next request to the same endpoint (upload/https_keep.c).
 * Other requests say Connection: close and read to the end of the stream. */
#include "upload/https.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/roots.h"
#include "core/err.h"
#include "core/why.h"
#include "core/log.h"
#include "platform/platform.h"
#include "upload/https_keep.h"
#include "upload/netconn.h"

#define HEAD_MAX 16384
#define READ_MAX (64 * 1024)

int https_url_parse(const char *url, char *host, size_t hostsz, int *port, char *path,
                    size_t pathsz, const char **why)
{
    const char *p, *h, *end;
    if (strncmp(url, "https://", 8) != 0) {
        *why = "must start with https:// (certificates are always verified)";
        return ACDL_EINVAL;
    }
    h = url + 8;
    end = h + strcspn(h, "/?#");
    if (*end == '#' || strchr(url, ' ') || strchr(h, '@')) {
        *why = "must be https://host[:port]/path without user, spaces or fragment";
        return ACDL_EINVAL;
    }
    const char *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) {
            *why = "has an unclosed [IPv6] host";
            return ACDL_EINVAL;
        }
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
        if ((size_t)(rb - h - 1) >= hostsz || rb == h + 1) {
            *why = "has a bad host";
            return ACDL_EINVAL;
        }
        memcpy(host, h + 1, (size_t)(rb - h - 1));
        host[rb - h - 1] = '\0';
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        size_t hl = (size_t)((colon ? colon : end) - h);
        if (hl == 0 || hl >= hostsz) {
            *why = "has no host";
            return ACDL_EINVAL;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
        for (size_t i = 0; i < hl; i++) {
            if (!isalnum((unsigned char)host[i]) && host[i] != '.' && host[i] != '-') {
                *why = "has a host with characters other than letters, digits, '.' and '-'";
                return ACDL_EINVAL;
            }
        }
    }
    *port = 443;
    if (colon) {
        int v = 0;
        for (p = colon + 1; p < end; p++) {
            if (!isdigit((unsigned char)*p) || v > 65535) {
                *why = "has a bad port";
                return ACDL_EINVAL;
            }
            v = v * 10 + (*p - '0');
        }
        if (v < 1 || v > 65535) {
            *why = "has a bad port";
            return ACDL_EINVAL;
        }
        *port = v;
    }
    snprintf(path, pathsz, "%s", *end ? end : "/");
    if (path[0] != '/') {
        memmove(path + 1, path, strnlen(path, pathsz - 2) + 1);
        path[0] = '/';
    }
    if (strlen(end) >= pathsz) {
        *why = "has a path that is too long";
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

static const char *proxy_for(const char *host)
{
    const char *np = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");
    if (np) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", np);
        for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save)) {
            size_t tl = strlen(t), hl = strlen(host);
            if (!strcmp(t, "*")) {
                return NULL;
            }
            if (t[0] == '.') {
                t++;
                tl--;
            }
            if (hl >= tl && !strcasecmp(host + hl - tl, t) &&
                (hl == tl || host[hl - tl - 1] == '.')) {
                return NULL;
            }
        }
    }
    const char *p = getenv("https_proxy");
    if (!p || !*p) {
        p = getenv("HTTPS_PROXY");
    }
    return p && *p ? p : NULL;
}

/* Opens a tunnel through the proxy at proxy_url ("http://[user:pass@]host[:port]"). */
static int proxy_tunnel(struct netconn *c, const char *proxy_url, const char *host, int port,
                        struct upload_answer *a)
{
    char phost[256], auth[512] = "", req[1200], head[2048];
    const char *p = proxy_url;
    int pport = 8080;
    if (!strncmp(p, "http://", 7)) {
        p += 7;
    } else if (strstr(p, "://")) {
        netconn_fail(a, UPLOAD_FAIL_PROXY, "https_proxy must be an http:// URL of the proxy");
        netconn_code(a, "net.proxy_scheme", NULL);
        return ACDL_EINVAL;
    }
    const char *at = strchr(p, '@');
    if (at) {
        unsigned char enc[400];
        size_t ul = (size_t)(at - p);
        if (ul > 250) {
            netconn_fail(a, UPLOAD_FAIL_PROXY,
                         "the proxy's user:password in https_proxy is too long");
            netconn_code(a, "net.proxy_auth_long", NULL);
            return ACDL_EINVAL;
        }
        EVP_EncodeBlock(enc, (const unsigned char *)p, (int)ul);
        snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %s\r\n", enc);
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof(phost)) {
        netconn_fail(a, UPLOAD_FAIL_PROXY, "https_proxy names no proxy host");
        netconn_code(a, "net.proxy_no_host", NULL);
        return ACDL_EINVAL;
    }
    memcpy(phost, p, hl);
    phost[hl] = '\0';
    if (p[hl] == ':') {
        pport = (int)strtol(p + hl + 1, NULL, 10);
    }
    if (netconn_connect(c, phost, pport, UPLOAD_FAIL_PROXY, a) != ACDL_OK) {
        return ACDL_EIO;
    }
    int n = snprintf(req, sizeof(req), "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n", host,
                     port, host, port, auth);
    if (netconn_write(c, req, (size_t)n) != ACDL_OK) {
        netconn_fail(a, UPLOAD_FAIL_PROXY, "the proxy closed the connection");
        netconn_code(a, "net.proxy_closed", NULL);
        return ACDL_EIO;
    }
    size_t got = 0;
    while (got < sizeof(head) - 1) {
        long r = netconn_read(c, head + got, 1); /* byte by byte: nothing past the head */
        if (r <= 0) {
            netconn_fail(a, UPLOAD_FAIL_PROXY, "the proxy did not answer the CONNECT request");
            netconn_code(a, "net.proxy_no_answer", NULL);
            return ACDL_EIO;
        }
        got++;
        head[got] = '\0';
        if (got >= 4 && !memcmp(head + got - 4, "\r\n\r\n", 4)) {
            break;
        }
    }
    int code = 0;
    if (sscanf(head, "HTTP/%*d.%*d %d", &code) != 1 || code != 200) {
        char what[80] = "";
        snprintf(what, sizeof(what), "%d", code);
        netconn_fail(a, UPLOAD_FAIL_PROXY, "the proxy refused the tunnel (status %s)", what);
        netconn_code(a, "net.proxy_refused", json_pack("{s:s}", "status", what));
        return ACDL_EIO;
    }
    return ACDL_OK;
}

int https_ca_check(const char *pem, size_t len, char *why, size_t whysz)
{
    int n = netconn_ca_load(pem, len, NULL, why, whysz);
    return n > 0 ? ACDL_OK : n;
}

int https_ca_file_check(const char *file, char *why, size_t whysz)
{
    char *pem = NULL, fwhy[1700] = "";
    size_t len = 0;
    int rc = roots_read_file(ROOTS_IMPORT, file, HTTPS_CA_MAX, &pem, &len, fwhy, sizeof(fwhy));
    if (rc != ACDL_OK) {
        snprintf(why, whysz, "%s", fwhy);
    } else if ((rc = https_ca_check(pem, len, fwhy, sizeof(fwhy))) != ACDL_OK) {
        snprintf(why, whysz, "'%.300s' %s", file, fwhy);
    }
    free(pem);
    return rc;
}

/* Finds header name (case-insensitive) in the head; copies its value. */
static int head_value(const char *head, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        const char *s = l + 2;
        if (!strncasecmp(s, name, nl) && s[nl] == ':') {
            s += nl + 1;
            while (*s == ' ' || *s == '\t') {
                s++;
            }
            size_t vl = strcspn(s, "\r\n");
            if (vl >= outsz) {
                vl = outsz - 1;
            }
            memcpy(out, s, vl);
            out[vl] = '\0';
            return 1;
        }
    }
    return 0;
}

/* Decodes chunked data in place; returns the decoded length, or -1 when incomplete. */
static long dechunk(char *b, size_t n)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end = NULL;
        if (in >= n) {
            return -1;
        }
        unsigned long sz = strtoul(b + in, &end, 16);
        char *crlf = strstr(b + in, "\r\n");
        if (!end || !crlf || (size_t)(crlf - b) >= n) {
            return -1;
        }
        in = (size_t)(crlf - b) + 2;
        if (sz == 0) {
            return (long)out;
        }
        if (in + sz + 2 > n) {
            return -1;
        }
        memmove(b + out, b + in, sz);
        out += sz;
        in += sz + 2;
    }
}

static void parse_answer(char *buf, size_t got, int complete_by_eof, struct upload_answer *a)
{
    char *sep = strstr(buf, "\r\n\r\n");
    char v[64];
    int code = 0;
    if (!sep || sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1 || code < 100 || code > 599) {
        netconn_fail(a, UPLOAD_FAIL_IO, "%s",
                     got ? "the server's answer is not HTTP"
                         : "the server closed the connection without an answer");
        netconn_code(a, got ? "net.not_http" : "net.closed_no_answer", NULL);
        return;
    }
    *sep = '\0';
    char *body = sep + 4;
    size_t blen = got - (size_t)(body - buf);
    if (head_value(buf, "Transfer-Encoding", v, sizeof(v)) && strstr(v, "chunked")) {
        long d = dechunk(body, blen);
        if (d < 0) {
            netconn_fail(a, UPLOAD_FAIL_IO, "the answer was cut off (incomplete chunks)");
            netconn_code(a, "net.cut_chunks", NULL);
            return;
        }
        blen = (size_t)d;
    } else if (head_value(buf, "Content-Length", v, sizeof(v))) {
        unsigned long want = strtoul(v, NULL, 10);
        if (blen < want && got < READ_MAX) {
            netconn_fail(a, UPLOAD_FAIL_IO, "the answer was cut off before its end");
            netconn_code(a, "net.cut_off", NULL);
            return;
        }
        if (blen > want) {
            blen = want;
        }
    } else if (!complete_by_eof) {
        netconn_fail(a, UPLOAD_FAIL_IO, "the answer was cut off before its end");
        netconn_code(a, "net.cut_off", NULL);
        return;
    }
    a->status = code;
    a->fail = UPLOAD_FAIL_NONE;
    if (head_value(buf, "Retry-After", v, sizeof(v))) {
        char *end = NULL;
        long s = strtol(v, &end, 10);
        if (end && end != v && *end == '\0' && s >= 0) {
            a->retry_after = s > 86400 ? 86400 : s;
        } else {
            a->retry_after = 60; /* an HTTP date: wait a minute, then ask again */
        }
    }
    size_t keep = blen < sizeof(a->answer) - 1 ? blen : sizeof(a->answer) - 1;
    memcpy(a->answer, body, keep);
    a->answer[keep] = '\0';
    for (size_t i = 0; i < keep; i++) {
        if ((unsigned char)a->answer[i] < 0x20 && a->answer[i] != '\n' && a->answer[i] != '\t') {
            a->answer[i] = ' ';
        }
    }
}

/* Where the answer in buf[0..got) (NUL-terminated) ends: 1 with *end when it is complete (its
 * length known from Content-Length or the chunks, or it has no body), 0 while it is not, -1
 * when only the end of the stream ends it. */
static int answer_end(char *buf, size_t got, size_t *end)
{
    char *sep = strstr(buf, "\r\n\r\n"), v[64];
    int code = 0, rc = -1;
    if (!sep) {
        return 0;
    }
    size_t at = (size_t)(sep - buf) + 4;
    *sep = '\0';
    sscanf(buf, "HTTP/%*d.%*d %d", &code);
    if (code == 204 || code == 304) {
        *end = at;
        rc = 1;
    } else if (head_value(buf, "Transfer-Encoding", v, sizeof(v))) {
        rc = strstr(v, "chunked") ? 0 : -1;
        while (rc == 0) { /* size CRLF data CRLF ... 0 CRLF [trailers] CRLF */
            char *crlf = at < got ? strstr(buf + at, "\r\n") : NULL;
            char *num_end = NULL;
            if (!crlf) {
                break;
            }
            unsigned long sz = strtoul(buf + at, &num_end, 16);
            if (num_end == buf + at) {
                rc = -1; /* not a chunk: read to the end, parse_answer says what it is */
                break;
            }
            at = (size_t)(crlf - buf) + 2;
            if (sz == 0) {
                char *last = strstr(buf + at - 2, "\r\n\r\n");
                if (last) {
                    *end = (size_t)(last - buf) + 4;
                    rc = 1;
                }
                break;
            }
            if (sz > READ_MAX || at + sz + 2 > got) {
                break;
            }
            at += sz + 2;
        }
    } else if (head_value(buf, "Content-Length", v, sizeof(v))) {
        unsigned long want = strtoul(v, NULL, 10);
        if (want <= READ_MAX) {
            *end = at + want;
            rc = got >= *end ? 1 : 0;
        }
    }
    *sep = '\r';
    return rc;
}

/* The first place of needle in hay, letters compared without case, or NULL. */
static const char *find_nocase(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        if (!strncasecmp(hay, needle, nl)) {
            return hay;
        }
    }
    return NULL;
}

/* How long the server lets the connection of the answer in buf (its head complete) idle:
 * HTTPS_KEEP_IDLE_MS, less when its Keep-Alive header says so (a second is left for the
 * journey), 0 when it closes it (HTTP/1.0, Connection: close, a timeout under 2 s). */
static int answer_idle_ms(char *buf)
{
    char *sep = strstr(buf, "\r\n\r\n"), v[128];
    int idle = HTTPS_KEEP_IDLE_MS;
    if (!sep || strncmp(buf, "HTTP/1.1 ", 9) != 0) {
        return 0;
    }
    *sep = '\0';
    if (head_value(buf, "Connection", v, sizeof(v)) && find_nocase(v, "close")) {
        idle = 0;
    } else if (head_value(buf, "Keep-Alive", v, sizeof(v))) {
        const char *t = find_nocase(v, "timeout=");
        long s = t ? strtol(t + 8, NULL, 10) : 0;
        if (t && s < 2) {
            idle = 0;
        } else if (t && (s - 1) * 1000 < idle) {
            idle = (int)(s - 1) * 1000;
        }
    }
    *sep = '\r';
    return idle;
}

/* What the client needs of a request to a target besides its text. */
struct https_target {
    char host[256];
    int port;
    const char *proxy; /* NULL: direct */
    unsigned char key[HTTPS_KEEP_KEY];
    char *ca_file_pem; /* new: the CA file's text when rq->ca_file is given and kept */
    size_t ca_file_len;
};

/* The key of what may be kept for rq: a connection or session is reused only for the same
 * host, port, proxy, pin and trust anchors (the CA text or the CA file's text as read now). */
static int target_key(const struct https_request *rq, struct https_target *tg,
                      struct upload_answer *a)
{
    char why[1800] = "", port[16];
    const char *pin = rq->pin_sha256 ? rq->pin_sha256 : "";
    const char *ca = rq->ca_pem && *rq->ca_pem ? rq->ca_pem : "";
    size_t calen = strlen(ca);
    int kind = *ca ? 1 : 0;
    if (!kind && rq->ca_file && *rq->ca_file) {
        int rc = roots_read_file(ROOTS_IMPORT, rq->ca_file, HTTPS_CA_MAX, &tg->ca_file_pem,
                                 &tg->ca_file_len, why, sizeof(why));
        if (rc != ACDL_OK) {
            netconn_fail(a, UPLOAD_FAIL_CONFIG, "the CA file (ca_file) %s", why);
            netconn_code(a, "tls.ca_file_unread", why_attach(json_object(), "why", why));
            return ACDL_EINVAL;
        }
        ca = tg->ca_file_pem;
        calen = tg->ca_file_len;
        kind = 2;
    }
    snprintf(port, sizeof(port), "%d:%d", tg->port, kind);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(md, tg->host, strlen(tg->host) + 1) == 1 &&
             EVP_DigestUpdate(md, port, strlen(port) + 1) == 1 &&
             EVP_DigestUpdate(md, tg->proxy ? tg->proxy : "",
                              strlen(tg->proxy ? tg->proxy : "") + 1) == 1 &&
             EVP_DigestUpdate(md, pin, strlen(pin) + 1) == 1 &&
             EVP_DigestUpdate(md, ca, calen) == 1 && EVP_DigestFinal_ex(md, tg->key, &n) == 1;
    EVP_MD_CTX_free(md);
    return ok && n == HTTPS_KEEP_KEY ? ACDL_OK : ACDL_ENOMEM;
}

/* Opens a connection for rq: TCP (through the proxy's tunnel when one is used) and TLS with
 * ctx (made here when *ctx is NULL; kept: the CA file's text read for the key), offering
 * session. */
static int open_conn(const struct https_request *rq, struct https_target *tg, SSL_CTX **ctx,
                     SSL_SESSION *session, struct netconn *c, struct upload_answer *a)
{
    if ((tg->proxy ? proxy_tunnel(c, tg->proxy, tg->host, tg->port, a)
                   : netconn_connect(c, tg->host, tg->port, UPLOAD_FAIL_TCP, a)) != ACDL_OK) {
        return ACDL_EIO;
    }
    if (!*ctx && netconn_ctx_new(rq->ca_pem, rq->ca_file, tg->ca_file_pem, tg->ca_file_len, ctx,
                                 a) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    return netconn_tls_start(c, *ctx, session, tg->host, rq->pin_sha256, a);
}

/* One request and its answer on the open connection c. *early is 1 when the connection broke
 * before any byte of the answer came (sending failed, or it closed or reset at once); *idle_ms
 * > 0 when c may carry another request (the answer read exactly to its end, the server keeps
 * the connection). */
static void exchange(const struct https_request *rq, struct netconn *c, const char *head,
                     size_t headlen, char *buf, struct upload_answer *a, int *early, int *idle_ms)
{
    size_t got = 0, end = 0;
    int eof = 0, done = 0;
    *early = 0;
    *idle_ms = 0;
    if (netconn_write(c, head, headlen) != ACDL_OK ||
        (rq->len && netconn_write(c, rq->body, rq->len) != ACDL_OK)) {
        int left = netconn_left_ms(c);
        netconn_fail(a, left ? UPLOAD_FAIL_IO : UPLOAD_FAIL_TIMEOUT, "%s",
                     left ? "the connection broke while sending the request"
                          : "sending the request took too long");
        netconn_code(a, left ? "net.send_broke" : "net.send_slow", NULL);
        *early = left > 0;
        return;
    }
    while (got < READ_MAX && done == 0) {
        long r = netconn_read(c, buf + got, READ_MAX - got);
        if (r == 0) {
            eof = 1;
            break;
        }
        if (r == -2) {
            netconn_fail(a, UPLOAD_FAIL_TIMEOUT, "no complete answer within the timeout");
            netconn_code(a, "net.answer_timeout", NULL);
            return;
        }
        if (r < 0) {
            if (got == 0) {
                netconn_fail(a, UPLOAD_FAIL_IO, "the connection broke before an answer came");
                netconn_code(a, "net.broke_before_answer", NULL);
                *early = 1;
                return;
            }
            break; /* a reset after part of the answer: parse_answer decides */
        }
        got += (size_t)r;
        buf[got] = '\0';
        done = rq->keep ? answer_end(buf, got, &end) : 0;
    }
    buf[got] = '\0';
    *early = got == 0;
    int idle = done == 1 && got == end ? answer_idle_ms(buf) : 0; /* parse_answer cuts the head */
    parse_answer(buf, got, eof || done == 1, a);
    if (idle > 0 && a->fail == UPLOAD_FAIL_NONE && netconn_quiet(c)) {
        *idle_ms = idle;
    }
}

int https_send(const struct https_request *rq, struct upload_answer *a)
{
    char path[1024], *head = NULL, *buf = NULL;
    const char *why = NULL;
    int rc = ACDL_OK, timeout = rq->timeout_s > 0 ? rq->timeout_s : 30;
    struct https_target tg;
    struct https_keep_lease l;
    memset(a, 0, sizeof(*a));
    memset(&tg, 0, sizeof(tg));
    memset(&l, 0, sizeof(l));
    l.conn.fd = PLAT_SOCK_NONE;
    a->retry_after = -1;
    if (https_url_parse(rq->url, tg.host, sizeof(tg.host), &tg.port, path, sizeof(path), &why) !=
        0) {
        netconn_fail(a, UPLOAD_FAIL_CONFIG, "the URL %s", why);
        return ACDL_OK;
    }
    tg.proxy = rq->direct ? NULL : proxy_for(tg.host);
    head = malloc(HEAD_MAX);
    buf = malloc(READ_MAX + 1);
    if (!head || !buf) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    char hostport[300];
    if (tg.port == 443) {
        snprintf(hostport, sizeof(hostport), strchr(tg.host, ':') ? "[%s]" : "%s", tg.host);
    } else {
        snprintf(hostport, sizeof(hostport), strchr(tg.host, ':') ? "[%s]:%d" : "%s:%d", tg.host,
                 tg.port);
    }
    int n = snprintf(head, HEAD_MAX,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: acdlink/" ACDLINK_VERSION
                     "\r\nAccept: application/json\r\nConnection: %s\r\n",
                     rq->method, path, hostport, rq->keep ? "keep-alive" : "close");
    if (rq->content_type) {
        n += snprintf(head + n, HEAD_MAX - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      rq->content_type, rq->len);
    }
    if (rq->bearer && *rq->bearer) {
        n += snprintf(head + n, HEAD_MAX - (size_t)n, "Authorization: Bearer %s\r\n", rq->bearer);
    }
    if (rq->idempotency_key) {
        n += snprintf(head + n, HEAD_MAX - (size_t)n, "Idempotency-Key: %s\r\n",
                      rq->idempotency_key);
    }
    n += snprintf(head + n, HEAD_MAX - (size_t)n, "\r\n");
    if (n >= HEAD_MAX) {
        netconn_fail(a, UPLOAD_FAIL_IO, "the connection broke while sending the request");
        netconn_code(a, "net.send_broke", NULL);
        goto out;
    }
    if (rq->keep && (rc = target_key(rq, &tg, a)) != ACDL_OK) {
        rc = rc == ACDL_ENOMEM ? rc : ACDL_OK;
        goto out;
    }
    /* A kept connection the server closed just as the request went out breaks before any
     * answer: the request goes once more on a new connection at once. Kept connections carry
     * only requests with an Idempotency-Key (rq->keep), so a server that did take it the
     * first time answers the second as it answered the first and applies nothing twice. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int early = 0, idle_ms = 0;
        if (rq->keep) {
            https_keep_take(tg.key, attempt == 0, &l);
        }
        int reused = l.conn.fd != PLAT_SOCK_NONE;
        if (reused) {
            netconn_rearm(&l.conn, timeout);
            https_keep_count_reused();
        } else {
            netconn_init(&l.conn, timeout);
            l.opened_ms = plat_monotonic_ms();
            if (open_conn(rq, &tg, &l.ctx, l.session, &l.conn, a) != ACDL_OK) {
                break;
            }
        }
        exchange(rq, &l.conn, head, (size_t)n, buf, a, &early, &idle_ms);
        if (reused && early && attempt == 0) {
            log_debug("upload",
                      "%s: the kept connection was closed by the server; sending "
                      "on a new one",
                      tg.host);
            https_keep_lease_clear(&l);
            memset(a, 0, sizeof(*a));
            a->retry_after = -1;
            continue;
        }
        if (rq->keep) {
            SSL_SESSION *session = netconn_tls_session(&l.conn);
            https_keep_give(tg.key, l.ctx, session, &l.conn, l.opened_ms,
                            a->fail == UPLOAD_FAIL_NONE ? idle_ms : 0);
            SSL_SESSION_free(session);
        }
        break;
    }
out:
    if (rq->bearer) {
        netconn_redact(a, rq->bearer);
    }
    https_keep_lease_clear(&l);
    if (tg.ca_file_pem) {
        free(tg.ca_file_pem);
    }
    free(head);
    free(buf);
    return rc;
}
