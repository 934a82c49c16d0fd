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

#define HEAD_MAX 16384
#define READ_MAX (64 * 1024)

struct conn {
    plat_sock fd;
    SSL_CTX *ctx;
    SSL *ssl;
    int64_t deadline; /* plat_monotonic_ms */
};

static void fail(struct upload_answer *a, enum upload_fail f, const char *fmt, ...)
    ACDL_PRINTF(3, 4);
static void fail(struct upload_answer *a, enum upload_fail f, const char *fmt, ...)
{
    va_list ap;
    a->fail = f;
    va_start(ap, fmt);
    vsnprintf(a->error, sizeof(a->error), fmt, ap);
    va_end(ap);
}

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

static int left_ms(const struct conn *c)
{
    int64_t l = c->deadline - plat_monotonic_ms();
    return l < 0 ? 0 : (int)l;
}

/* TCP connection to host:port within the deadline. */
static int tcp_connect(struct conn *c, const char *host, int port, enum upload_fail connect_fail,
                       struct upload_answer *a)
{
    char why[256] = "";
    int left = left_ms(c);
    int rc = plat_tcp_connect(host, port, left, left > 0 ? left : 1, &c->fd, why, sizeof(why));
    if (rc == ACDL_ENOTFOUND) {
        a->fail = connect_fail == UPLOAD_FAIL_PROXY ? UPLOAD_FAIL_PROXY : UPLOAD_FAIL_DNS;
        snprintf(a->error, sizeof(a->error), "%s%s does not resolve: %s",
                 connect_fail == UPLOAD_FAIL_PROXY ? "the proxy " : "", host, why);
    } else if (rc != ACDL_OK) {
        a->fail = connect_fail;
        snprintf(a->error, sizeof(a->error), "%sconnecting to %s port %d failed: %s",
                 connect_fail == UPLOAD_FAIL_PROXY ? "the proxy: " : "", host, port, why);
    }
    return rc == ACDL_OK ? ACDL_OK : ACDL_EIO;
}

static int raw_write(struct conn *c, const char *p, size_t n)
{
    while (n > 0) {
        long w = c->ssl ? SSL_write(c->ssl, p, (int)n) : plat_sock_send(c->fd, p, n);
        if (w <= 0) {
            return ACDL_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return ACDL_OK;
}

/* Reads up to n bytes; 0 at the end of the stream, -1 on error, -2 on timeout. */
static long raw_read(struct conn *c, char *p, size_t n)
{
    if (left_ms(c) == 0) {
        return -2;
    }
    plat_sock_error_clear();
    if (c->ssl) {
        int r = SSL_read(c->ssl, p, (int)n);
        if (r > 0) {
            return r;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) {
            return 0;
        }
        if (plat_sock_timed_out()) {
            return -2;
        }
        return -1;
    }
    return plat_sock_recv(c->fd, p, n);
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
static int proxy_tunnel(struct conn *c, const char *proxy_url, const char *host, int port,
                        struct upload_answer *a)
{
    char phost[256], auth[512] = "", req[1200], head[2048];
    const char *p = proxy_url;
    int pport = 8080;
    if (!strncmp(p, "http://", 7)) {
        p += 7;
    } else if (strstr(p, "://")) {
        fail(a, UPLOAD_FAIL_PROXY, "https_proxy must be an http:// URL of the proxy");
        return ACDL_EINVAL;
    }
    const char *at = strchr(p, '@');
    if (at) {
        unsigned char enc[400];
        size_t ul = (size_t)(at - p);
        if (ul > 250) {
            fail(a, UPLOAD_FAIL_PROXY, "the proxy's user:password in https_proxy is too long");
            return ACDL_EINVAL;
        }
        EVP_EncodeBlock(enc, (const unsigned char *)p, (int)ul);
        snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %s\r\n", enc);
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof(phost)) {
        fail(a, UPLOAD_FAIL_PROXY, "https_proxy names no proxy host");
        return ACDL_EINVAL;
    }
    memcpy(phost, p, hl);
    phost[hl] = '\0';
    if (p[hl] == ':') {
        pport = (int)strtol(p + hl + 1, NULL, 10);
    }
    if (tcp_connect(c, phost, pport, UPLOAD_FAIL_PROXY, a) != ACDL_OK) {
        return ACDL_EIO;
    }
    int n = snprintf(req, sizeof(req), "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n", host,
                     port, host, port, auth);
    if (raw_write(c, req, (size_t)n) != ACDL_OK) {
        fail(a, UPLOAD_FAIL_PROXY, "the proxy closed the connection");
        return ACDL_EIO;
    }
    size_t got = 0;
    while (got < sizeof(head) - 1) {
        long r = raw_read(c, head + got, 1); /* byte by byte: nothing past the head */
        if (r <= 0) {
            fail(a, UPLOAD_FAIL_PROXY, "the proxy did not answer the CONNECT request");
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
        fail(a, UPLOAD_FAIL_PROXY, "the proxy refused the tunnel (status %s)", what);
        return ACDL_EIO;
    }
    return ACDL_OK;
}

/* Reads the PEM text pem[0..len) block by block: every block must be a certificate; each is
 * added to store (NULL: only checked). Returns the count of certificates (>= 1), or
 * ACDL_EINVAL with why. */
static int ca_load(const char *pem, size_t len, X509_STORE *store, char *why, size_t whysz)
{
    BIO *b = BIO_new_mem_buf(pem, len > INT32_MAX ? -1 : (int)len);
    int count = 0, rc = ACDL_OK;
    if (!b) {
        snprintf(why, whysz, "out of memory");
        return ACDL_ENOMEM;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (PEM_read_bio(b, &name, &header, &data, &dlen) != 1) {
            unsigned long e = ERR_peek_last_error();
            if (count == 0 || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
                snprintf(why, whysz,
                         count == 0 ? "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                                    : "has a damaged PEM block after certificate %d",
                         count);
                rc = ACDL_EINVAL;
            }
            break;
        }
        const unsigned char *p = data;
        X509 *x = NULL;
        if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0) {
            snprintf(why, whysz,
                     "block %d is a %.40s, not a CERTIFICATE: give only the CA's "
                     "certificate",
                     count + 1, name);
            rc = ACDL_EINVAL;
        } else if (!(x = d2i_X509(NULL, &p, dlen)) || p != data + dlen) {
            snprintf(why, whysz, "certificate %d cannot be read as an X.509 certificate",
                     count + 1);
            rc = ACDL_EINVAL;
        } else if (store && X509_STORE_add_cert(store, x) != 1 &&
                   ERR_GET_REASON(ERR_peek_last_error()) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
            snprintf(why, whysz, "certificate %d cannot be used", count + 1);
            rc = ACDL_EINVAL;
        }
        X509_free(x);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (rc != ACDL_OK) {
            break;
        }
        count++;
    }
    ERR_clear_error();
    BIO_free(b);
    return rc == ACDL_OK ? count : rc;
}

int https_ca_check(const char *pem, size_t len, char *why, size_t whysz)
{
    int n = ca_load(pem, len, NULL, why, whysz);
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

/* The trust anchors of rq: its CA text, the CA file read inside the import roots, or the
 * system's CAs. */
static int tls_trust(struct conn *c, const struct https_request *rq, struct upload_answer *a)
{
    char why[1800] = "", *pem = NULL;
    size_t len = 0;
    int rc = ACDL_OK;
    if (rq->ca_pem && *rq->ca_pem) {
        rc = ca_load(rq->ca_pem, strlen(rq->ca_pem), SSL_CTX_get_cert_store(c->ctx), why,
                     sizeof(why));
        if (rc < 0) {
            fail(a, UPLOAD_FAIL_CONFIG, "ca_pem %s", why);
        }
    } else if (rq->ca_file && *rq->ca_file) {
        rc = roots_read_file(ROOTS_IMPORT, rq->ca_file, HTTPS_CA_MAX, &pem, &len, why, sizeof(why));
        if (rc != ACDL_OK) {
            fail(a, UPLOAD_FAIL_CONFIG, "the CA file (ca_file) %s", why);
        } else if ((rc = ca_load(pem, len, SSL_CTX_get_cert_store(c->ctx), why, sizeof(why))) < 0) {
            fail(a, UPLOAD_FAIL_CONFIG, "the CA file %.300s %s", rq->ca_file, why);
        }
        free(pem);
    } else {
        SSL_CTX_set_default_verify_paths(c->ctx);
    }
    return rc < 0 ? ACDL_EINVAL : ACDL_OK;
}

static int tls_start(struct conn *c, const char *host, const struct https_request *rq,
                     struct upload_answer *a)
{
    const char *pin = rq->pin_sha256;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx) {
        fail(a, UPLOAD_FAIL_TLS, "TLS could not be set up");
        return ACDL_ECRYPTO;
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (tls_trust(c, rq, a) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl) {
        fail(a, UPLOAD_FAIL_TLS, "TLS could not be set up");
        return ACDL_ECRYPTO;
    }
    SSL_set_fd(c->ssl, (int)c->fd); /* OpenSSL keeps a Windows SOCKET in an int, too */
    SSL_set_tlsext_host_name(c->ssl, host);
    SSL_set1_host(c->ssl, host);
    if (SSL_connect(c->ssl) != 1) {
        long v = SSL_get_verify_result(c->ssl);
        char why[256] = "";
        if (v != X509_V_OK) {
            snprintf(why, sizeof(why), "the server's certificate was refused: %s",
                     X509_verify_cert_error_string(v));
        } else {
            unsigned long e = ERR_peek_last_error();
            snprintf(why, sizeof(why), "the TLS handshake failed: %s",
                     e ? ERR_reason_error_string(e) : "the connection closed");
        }
        ERR_clear_error();
        fail(a, UPLOAD_FAIL_TLS, "%s", why);
        SSL_free(c->ssl); /* no close_notify on a failed handshake */
        c->ssl = NULL;
        return ACDL_EIO;
    }
    if (pin && *pin) {
        X509 *leaf = SSL_get1_peer_certificate(c->ssl);
        unsigned char md[32];
        unsigned int mdl = 0;
        char hex[65];
        if (!leaf || X509_digest(leaf, EVP_sha256(), md, &mdl) != 1 || mdl != 32) {
            X509_free(leaf);
            fail(a, UPLOAD_FAIL_TLS, "the server sent no certificate to compare with the pin");
            return ACDL_EIO;
        }
        X509_free(leaf);
        for (int i = 0; i < 32; i++) {
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        }
        if (strcasecmp(hex, pin) != 0) {
            fail(a, UPLOAD_FAIL_TLS,
                 "the server's certificate (SHA-256 %s) is not the pinned certificate", hex);
            return ACDL_EIO;
        }
    }
    return ACDL_OK;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    plat_sock_close(c->fd);
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
        fail(a, UPLOAD_FAIL_IO, "%s",
             got ? "the server's answer is not HTTP"
                 : "the server closed the connection without an answer");
        return;
    }
    *sep = '\0';
    char *body = sep + 4;
    size_t blen = got - (size_t)(body - buf);
    if (head_value(buf, "Transfer-Encoding", v, sizeof(v)) && strstr(v, "chunked")) {
        long d = dechunk(body, blen);
        if (d < 0) {
            fail(a, UPLOAD_FAIL_IO, "the answer was cut off (incomplete chunks)");
            return;
        }
        blen = (size_t)d;
    } else if (head_value(buf, "Content-Length", v, sizeof(v))) {
        unsigned long want = strtoul(v, NULL, 10);
        if (blen < want && got < READ_MAX) {
            fail(a, UPLOAD_FAIL_IO, "the answer was cut off before its end");
            return;
        }
        if (blen > want) {
            blen = want;
        }
    } else if (!complete_by_eof) {
        fail(a, UPLOAD_FAIL_IO, "the answer was cut off before its end");
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
    struct conn c = {PLAT_SOCK_NONE, NULL, NULL, 0};
    memset(a, 0, sizeof(*a));
    a->retry_after = -1;
    if (https_url_parse(rq->url, host, sizeof(host), &port, path, sizeof(path), &why) != 0) {
        fail(a, UPLOAD_FAIL_CONFIG, "the URL %s", why);
        return ACDL_OK;
    }
    c.deadline = plat_monotonic_ms() + (int64_t)(rq->timeout_s > 0 ? rq->timeout_s : 30) * 1000;
    const char *proxy = rq->direct ? NULL : proxy_for(host);
    if ((proxy ? proxy_tunnel(&c, proxy, host, port, a)
               : tcp_connect(&c, host, port, UPLOAD_FAIL_TCP, a)) != ACDL_OK) {
        goto out;
    }
    if (tls_start(&c, host, rq, a) != ACDL_OK) {
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
    if (n >= HEAD_MAX || raw_write(&c, head, (size_t)n) != ACDL_OK ||
        (rq->len && raw_write(&c, rq->body, rq->len) != ACDL_OK)) {
        fail(a, left_ms(&c) ? UPLOAD_FAIL_IO : UPLOAD_FAIL_TIMEOUT, "%s",
             left_ms(&c) ? "the connection broke while sending the request"
                         : "sending the request took too long");
        goto out;
    }
    size_t got = 0;
    int eof = 0;
    for (;;) {
        long r = raw_read(&c, buf + got, READ_MAX - got);
        if (r == 0) {
            eof = 1;
            break;
        }
        if (r == -2) {
            fail(a, UPLOAD_FAIL_TIMEOUT, "no complete answer within the timeout");
            goto out;
        }
        if (r < 0) {
            if (got == 0) {
                fail(a, UPLOAD_FAIL_IO, "the connection broke before an answer came");
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
    conn_close(&c);
    free(head);
    free(buf);
    return rc;
}
