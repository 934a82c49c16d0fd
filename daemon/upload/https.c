/* https.c: the HTTPS client of the connectors (see https.h). Blocking sockets with send and
 * receive timeouts, checked against one deadline; Connection: close, so the answer ends at
 * the end of the stream or of its Content-Length / chunks. */
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

#include "core/err.h"
#include "config/roots.h"
#include "core/log.h"
#include "platform/platform.h"
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

int https_send(const struct https_request *rq, struct upload_answer *a)
{
    char host[256], path[1024], *head = NULL, *buf = NULL;
    const char *why = NULL;
    int port, rc = ACDL_OK;
    struct netconn c;
    memset(a, 0, sizeof(*a));
    a->retry_after = -1;
    netconn_init(&c, rq->timeout_s > 0 ? rq->timeout_s : 30);
    if (https_url_parse(rq->url, host, sizeof(host), &port, path, sizeof(path), &why) != 0) {
        netconn_fail(a, UPLOAD_FAIL_CONFIG, "the URL %s", why);
        return ACDL_OK;
    }
    const char *proxy = rq->direct ? NULL : proxy_for(host);
    if ((proxy ? proxy_tunnel(&c, proxy, host, port, a)
               : netconn_connect(&c, host, port, UPLOAD_FAIL_TCP, a)) != ACDL_OK) {
        goto out;
    }
    if (netconn_tls(&c, host, rq->ca_pem, rq->ca_file, rq->pin_sha256, a) != ACDL_OK) {
        goto out;
    }
    head = malloc(HEAD_MAX);
    buf = malloc(READ_MAX + 1);
    if (!head || !buf) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    char hostport[300];
    if (port == 443) {
        snprintf(hostport, sizeof(hostport), strchr(host, ':') ? "[%s]" : "%s", host);
    } else {
        snprintf(hostport, sizeof(hostport), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    }
    int n = snprintf(head, HEAD_MAX,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: acdlink/" ACDLINK_VERSION
                     "\r\nAccept: application/json\r\nConnection: close\r\n",
                     rq->method, path, hostport);
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
    if (n >= HEAD_MAX || netconn_write(&c, head, (size_t)n) != ACDL_OK ||
        (rq->len && netconn_write(&c, rq->body, rq->len) != ACDL_OK)) {
        netconn_fail(a, netconn_left_ms(&c) ? UPLOAD_FAIL_IO : UPLOAD_FAIL_TIMEOUT, "%s",
                     netconn_left_ms(&c) ? "the connection broke while sending the request"
                                         : "sending the request took too long");
        netconn_code(a, netconn_left_ms(&c) ? "net.send_broke" : "net.send_slow", NULL);
        goto out;
    }
    size_t got = 0;
    int eof = 0;
    for (;;) {
        long r = netconn_read(&c, buf + got, READ_MAX - got);
        if (r == 0) {
            eof = 1;
            break;
        }
        if (r == -2) {
            netconn_fail(a, UPLOAD_FAIL_TIMEOUT, "no complete answer within the timeout");
            netconn_code(a, "net.answer_timeout", NULL);
            goto out;
        }
        if (r < 0) {
            if (got == 0) {
                netconn_fail(a, UPLOAD_FAIL_IO, "the connection broke before an answer came");
                netconn_code(a, "net.broke_before_answer", NULL);
                goto out;
            }
            break; /* a reset after part of the answer: parse_answer decides */
        }
        got += (size_t)r;
        buf[got] = '\0';
        if (got == READ_MAX) {
            break;
        }
    }
    buf[got] = '\0';
    parse_answer(buf, got, eof, a);
out:
    netconn_close(&c);
    free(head);
    free(buf);
    return rc;
}
