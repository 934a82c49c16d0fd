/* netconn.c: outgoing TCP connections with TLS for the HTTPS and SMTP clients (see netconn.h). */
#include "upload/netconn.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/roots.h"
#include "core/err.h"
#include "core/why.h"
#include "platform/printf.h"
#include "upload/https.h"

void netconn_fail(struct upload_answer *a, enum upload_fail f, const char *fmt, ...)
{
    va_list ap;
    a->fail = f;
    va_start(ap, fmt);
    vsnprintf(a->error, sizeof(a->error), fmt, ap);
    va_end(ap);
    a->error_code[0] = a->error_params[0] = '\0';
}

/* Writes "***" over every copy of secret in text (NUL-terminated, in place), and over its start
 * where the kept text ends inside it. */
static void redact_text(char *text, const char *secret)
{
    size_t sl = strlen(secret);
    char *p = text;
    if (sl < 4) {
        return;
    }
    while ((p = strstr(p, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + sl, strlen(p + sl) + 1);
        p += 3;
    }
    size_t tl = strlen(text);
    for (size_t k = sl - 1 < tl ? sl - 1 : tl; k >= 4; k--) {
        if (!memcmp(text + tl - k, secret, k)) {
            snprintf(text + tl - k, k + 1, "%s", "***");
            break;
        }
    }
}

void netconn_redact(struct upload_answer *a, const char *secret)
{
    if (secret) {
        redact_text(a->answer, secret);
        redact_text(a->error, secret);
        redact_text(a->error_params, secret);
    }
}

void netconn_code(struct upload_answer *a, const char *code, json_t *params)
{
    if (!params) {
        params = json_object();
    }
    char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    if (text && strlen(text) < sizeof(a->error_params)) {
        snprintf(a->error_code, sizeof(a->error_code), "%s", code);
        snprintf(a->error_params, sizeof(a->error_params), "%s", text);
    }
    free(text);
}

void netconn_init(struct netconn *c, int timeout_s)
{
    memset(c, 0, sizeof(*c));
    c->fd = PLAT_SOCK_NONE;
    c->deadline = plat_monotonic_ms() + (int64_t)timeout_s * 1000;
}

int netconn_left_ms(const struct netconn *c)
{
    int64_t l = c->deadline - plat_monotonic_ms();
    return l < 0 ? 0 : (int)l;
}

int netconn_connect(struct netconn *c, const char *host, int port, enum upload_fail connect_fail,
                    struct upload_answer *a)
{
    char why[256] = "";
    int left = netconn_left_ms(c);
    int rc = plat_tcp_connect(host, port, left, left > 0 ? left : 1, &c->fd, why, sizeof(why));
    if (rc == ACDL_ENOTFOUND) {
        a->fail = connect_fail == UPLOAD_FAIL_PROXY ? UPLOAD_FAIL_PROXY : UPLOAD_FAIL_DNS;
        snprintf(a->error, sizeof(a->error), "%s%s does not resolve: %s",
                 connect_fail == UPLOAD_FAIL_PROXY ? "the proxy " : "", host, why);
        netconn_code(a,
                     connect_fail == UPLOAD_FAIL_PROXY ? "net.proxy_no_resolve" : "net.no_resolve",
                     why_attach(json_pack("{s:s}", "host", host), "why", why));
    } else if (rc != ACDL_OK) {
        a->fail = connect_fail;
        snprintf(a->error, sizeof(a->error), "%sconnecting to %s port %d failed: %s",
                 connect_fail == UPLOAD_FAIL_PROXY ? "the proxy: " : "", host, port, why);
        netconn_code(a,
                     connect_fail == UPLOAD_FAIL_PROXY ? "net.proxy_connect_failed"
                                                       : "net.connect_failed",
                     why_attach(json_pack("{s:s, s:i}", "host", host, "port", port), "why", why));
    }
    return rc == ACDL_OK ? ACDL_OK : ACDL_EIO;
}

int netconn_write(struct netconn *c, const char *p, size_t n)
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

long netconn_read(struct netconn *c, char *p, size_t n)
{
    if (netconn_left_ms(c) == 0) {
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

/* Reads the PEM text pem[0..len) block by block: every block must be a certificate; each is
 * added to store (NULL: only checked). Returns the count of certificates (>= 1), or
 * ACDL_EINVAL with why. */
int netconn_ca_load(const char *pem, size_t len, X509_STORE *store, char *why, size_t whysz)
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

/* Loads the trust anchors into ctx: the CA text, the CA file (its text file_pem when already
 * read, else read here inside the import roots), or the system's CAs. */
static int tls_trust(SSL_CTX *ctx, const char *ca_pem, const char *ca_file, const char *file_pem,
                     size_t file_len, struct upload_answer *a)
{
    char why[1800] = "", *pem = NULL;
    size_t len = file_len;
    int rc = ACDL_OK;
    if (ca_pem && *ca_pem) {
        rc = netconn_ca_load(ca_pem, strlen(ca_pem), SSL_CTX_get_cert_store(ctx), why, sizeof(why));
        if (rc < 0) {
            netconn_fail(a, UPLOAD_FAIL_CONFIG, "ca_pem %s", why);
            netconn_code(a, "tls.ca_pem", why_attach(json_object(), "why", why));
        }
    } else if (ca_file && *ca_file) {
        if (!file_pem) {
            rc = roots_read_file(ROOTS_IMPORT, ca_file, HTTPS_CA_MAX, &pem, &len, why, sizeof(why));
            file_pem = pem;
        }
        if (rc != ACDL_OK) {
            netconn_fail(a, UPLOAD_FAIL_CONFIG, "the CA file (ca_file) %s", why);
            netconn_code(a, "tls.ca_file_unread", why_attach(json_object(), "why", why));
        } else if ((rc = netconn_ca_load(file_pem, len, SSL_CTX_get_cert_store(ctx), why,
                                         sizeof(why))) < 0) {
            netconn_fail(a, UPLOAD_FAIL_CONFIG, "the CA file %.300s %s", ca_file, why);
            netconn_code(a, "tls.ca_file_refused",
                         why_attach(json_pack("{s:s%}", "file", ca_file, strnlen(ca_file, 300)),
                                    "why", why));
        }
        free(pem);
    } else {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    return rc < 0 ? ACDL_EINVAL : ACDL_OK;
}

/* The message code of a refused server certificate: the causes people meet. */
static const char *tls_verify_code(long v)
{
    switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "tls.untrusted";
    case X509_V_ERR_CERT_HAS_EXPIRED: return "tls.expired";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "tls.not_yet_valid";
    case X509_V_ERR_HOSTNAME_MISMATCH: return "tls.hostname";
    default: return "tls.verify_failed";
    }
}

int netconn_ctx_new(const char *ca_pem, const char *ca_file, const char *file_pem, size_t file_len,
                    SSL_CTX **out, struct upload_answer *a)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    *out = NULL;
    if (!ctx) {
        netconn_fail(a, UPLOAD_FAIL_TLS, "TLS could not be set up");
        netconn_code(a, "tls.setup", NULL);
        return ACDL_ECRYPTO;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (tls_trust(ctx, ca_pem, ca_file, file_pem, file_len, a) != ACDL_OK) {
        SSL_CTX_free(ctx);
        return ACDL_EINVAL;
    }
    *out = ctx;
    return ACDL_OK;
}

/* 1 when leaf names host (a DNS name, or an IP address in its IP entries). */
static int leaf_names(X509 *leaf, const char *host)
{
    return X509_check_ip_asc(leaf, host, 0) == 1 ||
           X509_check_host(leaf, host, strlen(host), 0, NULL) == 1;
}

/* Compares the leaf's SHA-256 with pin ("" or NULL: none); fills a when it differs. */
static int tls_pin_check(X509 *leaf, const char *pin, struct upload_answer *a)
{
    unsigned char md[32];
    unsigned int mdl = 0;
    char hex[65];
    if (!pin || !*pin) {
        return ACDL_OK;
    }
    if (!leaf || X509_digest(leaf, EVP_sha256(), md, &mdl) != 1 || mdl != 32) {
        netconn_fail(a, UPLOAD_FAIL_TLS, "the server sent no certificate to compare with the pin");
        netconn_code(a, "tls.no_certificate", NULL);
        return ACDL_EIO;
    }
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    if (strcasecmp(hex, pin) != 0) {
        netconn_fail(a, UPLOAD_FAIL_TLS,
                     "the server's certificate (SHA-256 %s) is not the pinned certificate", hex);
        netconn_code(a, "tls.pin_mismatch", json_pack("{s:s}", "sha256", hex));
        return ACDL_EIO;
    }
    return ACDL_OK;
}

int netconn_tls_start(struct netconn *c, SSL_CTX *ctx, SSL_SESSION *session, const char *host,
                      const char *pin, struct upload_answer *a)
{
    c->ctx = SSL_CTX_up_ref(ctx) == 1 ? ctx : NULL; /* netconn_close() drops it */
    if (!c->ctx || !(c->ssl = SSL_new(ctx))) {
        netconn_fail(a, UPLOAD_FAIL_TLS, "TLS could not be set up");
        netconn_code(a, "tls.setup", NULL);
        return ACDL_ECRYPTO;
    }
    SSL_set_fd(c->ssl, (int)c->fd); /* OpenSSL keeps a Windows SOCKET in an int, too */
    SSL_set_tlsext_host_name(c->ssl, host);
    SSL_set1_host(c->ssl, host);
    /* Offered as a copy: a connection that ends in an error (a reset, a missing close_notify)
     * marks its session as not resumable, which must not spoil the one kept. */
    SSL_SESSION *copy = session ? SSL_SESSION_dup(session) : NULL;
    if (copy) {
        SSL_set_session(c->ssl, copy); /* offered; the server decides */
        SSL_SESSION_free(copy);
    }
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
        netconn_fail(a, UPLOAD_FAIL_TLS, "%s", why);
        if (v != X509_V_OK) {
            netconn_code(a, tls_verify_code(v),
                         json_pack("{s:s}", "detail", X509_verify_cert_error_string(v)));
        } else {
            netconn_code(a, "tls.handshake", json_pack("{s:s}", "detail", why + 26));
        }
        SSL_free(c->ssl); /* no close_notify on a failed handshake */
        c->ssl = NULL;
        return ACDL_EIO;
    }
    /* A resumed session skips the chain: its certificate was verified for this host by this
     * context when the session began; it must still name the host and match the pin. */
    X509 *leaf = SSL_get1_peer_certificate(c->ssl);
    int rc = ACDL_OK;
    long v = SSL_get_verify_result(c->ssl);
    if (SSL_session_reused(c->ssl) && v == X509_V_OK && (!leaf || !leaf_names(leaf, host))) {
        v = X509_V_ERR_HOSTNAME_MISMATCH;
    }
    if (v != X509_V_OK) {
        netconn_fail(a, UPLOAD_FAIL_TLS, "the server's certificate was refused: %s",
                     X509_verify_cert_error_string(v));
        netconn_code(a, tls_verify_code(v),
                     json_pack("{s:s}", "detail", X509_verify_cert_error_string(v)));
        rc = ACDL_EIO;
    } else {
        rc = tls_pin_check(leaf, pin, a);
    }
    X509_free(leaf);
    return rc;
}

int netconn_tls(struct netconn *c, const char *host, const char *ca_pem, const char *ca_file,
                const char *pin, struct upload_answer *a)
{
    SSL_CTX *ctx = NULL;
    int rc = netconn_ctx_new(ca_pem, ca_file, NULL, 0, &ctx, a);
    if (rc == ACDL_OK) {
        rc = netconn_tls_start(c, ctx, NULL, host, pin, a);
    }
    SSL_CTX_free(ctx); /* the connection holds its own reference */
    return rc;
}

int netconn_tls_resumed(const struct netconn *c)
{
    return c->ssl && SSL_session_reused(c->ssl);
}

SSL_SESSION *netconn_tls_session(const struct netconn *c)
{
    SSL_SESSION *s = c->ssl ? SSL_get0_session(c->ssl) : NULL;
    /* a copy, for the reason given in netconn_tls_start() */
    return s && SSL_SESSION_is_resumable(s) ? SSL_SESSION_dup(s) : NULL;
}

void netconn_rearm(struct netconn *c, int timeout_s)
{
    c->deadline = plat_monotonic_ms() + (int64_t)timeout_s * 1000;
    if (c->fd != PLAT_SOCK_NONE) {
        plat_sock_set_timeout(c->fd, timeout_s * 1000);
    }
}

int netconn_quiet(const struct netconn *c)
{
    return c->fd != PLAT_SOCK_NONE && (!c->ssl || SSL_pending(c->ssl) == 0) &&
           plat_sock_quiet(c->fd);
}

void netconn_close(struct netconn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd != PLAT_SOCK_NONE) {
        plat_sock_close(c->fd);
    }
    c->ssl = NULL;
    c->ctx = NULL;
    c->fd = PLAT_SOCK_NONE;
}
