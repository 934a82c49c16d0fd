/* server.c: civetweb configuration: TLS, threads, timeouts; no file serving, no CGI. */
#include "http/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "http/http.h"

struct http_server {
    struct mg_context *ctx;
    struct app *app;
    char cert[1100];
    char key[1100];
    char tls_error[2400];
};

static int on_request(struct mg_connection *conn, void *cbdata)
{
    return http_dispatch(conn, cbdata);
}

/* Each worker thread gets its answer buffer, reused for every request it serves. */
static void *on_init_thread(const struct mg_context *ctx, int thread_type)
{
    (void)ctx;
    return thread_type == 1 ? http_worker_new() : NULL;
}

static void on_exit_thread(const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
    (void)ctx;
    (void)thread_type;
    http_worker_free(thread_pointer);
}

static int on_log(const struct mg_connection *conn, const char *msg)
{
    (void)conn;
    log_warn("http", "civetweb: %s", msg);
    return 1;
}

/* Answers that civetweb makes itself, before any handler runs: a request it cannot read
 * (400 malformed, 411 unusable Content-Length, 413 headers over max_request_size, 414, 431,
 * 505 other HTTP versions, 400 for TRACE and other methods it does not know). They get the
 * error envelope and security headers of every other answer, and the connection closes. */
static int on_http_error(struct mg_connection *conn, int status, const char *msg)
{
    static const struct {
        int status;
        const char *code, *hint;
    } kinds[] = {
        {400, "bad_request",
         "send a well-formed HTTP/1.1 request (methods GET, HEAD, POST, PATCH, DELETE, OPTIONS)"},
        {405, "method_not_allowed", "GET /api/v1/endpoints lists every route and its method"},
        {411, "length_required", "send a valid Content-Length with a body"},
        {413, "payload_too_large", "send shorter headers (at most 16 KiB in all)"},
        {414, "uri_too_long", "send a shorter URL"},
        {431, "headers_too_large", "send fewer or shorter headers"},
        {505, "http_version_not_supported", "use HTTP/1.1"},
    };
    const char *code = status >= 500 ? "internal" : "bad_request", *hint = "";
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].status == status) {
            code = kinds[i].code;
            hint = kinds[i].hint;
        }
    }
    json_t *e = json_pack("{s:{s:s, s:s+, s:s}}", "error", "code", code, "message",
                          "the request could not be read: ", msg ? msg : "", "hint", hint);
    char *text = e ? json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(e);
    if (!text) {
        return 1; /* civetweb's own plain answer */
    }
    const struct mg_request_info *ri = mg_get_request_info(conn);
    size_t len = strlen(text);
    reply_start(conn, status, "application/json", len, 1);
    mg_response_header_add(conn, "Connection", "close", -1);
    mg_response_header_send(conn);
    if (!ri || !ri->request_method || strcmp(ri->request_method, "HEAD") != 0) {
        mg_write(conn, text, len);
    }
    free(text);
    return 0;
}

/* Called by civetweb with its fresh SSL_CTX: we load the certificate and set the policy. */
static int on_init_ssl(void *ssl_ctx, void *user_data)
{
    struct http_server *srv = user_data;
    SSL_CTX *ctx = ssl_ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* a TLS record in one read() instead of its header and its body in two (civetweb asks
     * SSL_has_pending before it waits on the socket: cmake/Civetweb.cmake) */
    SSL_CTX_set_read_ahead(ctx, 1);
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, srv->cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, srv->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        const char *why = ERR_reason_error_string(ERR_peek_last_error());
        snprintf(srv->tls_error, sizeof(srv->tls_error), "%s or %s: %s", srv->cert, srv->key,
                 why ? why : "OpenSSL gives no reason");
        return -1;
    }
    return 1;
}

int http_server_start(struct app *app, struct http_server **out, char *err, size_t errsz)
{
    const struct acdl_config *cfg = app->cfg;
    char ports[320], threads[16], extra_headers[512];
    char errtext[256] = "";
    unsigned errcode = 0;
    struct mg_callbacks cb;
    struct mg_init_data init;
    struct mg_error_data error;
    int rc;
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        return ACDL_ENOMEM;
    }
    srv->app = app;
    app->tls = !cfg->plain_http;
    app->secure_cookies = app->tls || cfg->public_https;
    if (app->tls) {
        if (cfg->tls_cert[0]) {
            snprintf(srv->cert, sizeof(srv->cert), "%s", cfg->tls_cert);
            snprintf(srv->key, sizeof(srv->key), "%s", cfg->tls_key);
        } else {
            char dir[1100];
            snprintf(dir, sizeof(dir), "%s/tls", cfg->data_dir);
            rc = crypto_cert_ensure(dir, err, errsz);
            if (rc != ACDL_OK) {
                free(srv);
                return rc;
            }
            snprintf(srv->cert, sizeof(srv->cert), "%s/cert.pem", dir);
            snprintf(srv->key, sizeof(srv->key), "%s/key.pem", dir);
        }
        rc = crypto_tls_files_check(srv->cert, srv->key, err, errsz);
        if (rc != ACDL_OK) {
            free(srv);
            return rc;
        }
    }
    snprintf(ports, sizeof(ports), "%s:%d%s", cfg->listen_host, cfg->listen_port,
             app->tls ? "s" : "");
    snprintf(threads, sizeof(threads), "%d", cfg->http_threads);
    /* for any answer civetweb writes on its own past on_http_error */
    if (reply_security_header_lines(extra_headers, sizeof(extra_headers)) != ACDL_OK) {
        free(srv);
        return ACDL_ENOMEM;
    }
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", threads,
        "tcp_nodelay", "1", /* without it keep-alive requests stall ~40 ms */
        /* Each connection holds a worker thread until it closes: a socket that sends nothing
         * (not even a TLS hello) or drips its headers holds one for request_timeout_ms (the
         * TLS handshake and the whole request head, not each read), a kept-alive one for
         * keep_alive_timeout_ms between requests. With http_threads above what idle and slow
         * clients hold at once, the rest are served at once (tests/api/slow-clients). Threads
         * and their 16 KiB request buffers are made at start: memory stays bounded. */
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "request_timeout_ms", "10000",
        "max_request_size", "16384",
        "linger_timeout_ms", "1000",
        /* with civetweb's ALTERNATIVE_QUEUE (cmake/Civetweb.cmake) an accepted connection goes
         * to the idle worker of the lowest number, or waits for one when all are busy (checked
         * every millisecond; the backlog holds the next ones): connection_queue is unused */
        "connection_queue", "64",
        "listen_backlog", "512",  /* not yet accepted; the kernel caps it (somaxconn) */
        "access_control_allow_origin", "",
        "enable_directory_listing", "no",
        "enable_auth_domain_check", "no",
        "ssl_protocol_version", "4",
        "additional_header", extra_headers,
        NULL, NULL,
    };
    memset(&cb, 0, sizeof(cb));
    cb.log_message = on_log;
    cb.http_error = on_http_error;
    cb.init_thread = on_init_thread;
    cb.exit_thread = on_exit_thread;
    if (app->tls) {
        cb.init_ssl = on_init_ssl;
    }
    init.callbacks = &cb;
    init.user_data = srv;
    init.configuration_options = options;
    error.code = &errcode;
    error.text = errtext;
    error.text_buffer_size = sizeof(errtext);
    srv->ctx = mg_start2(&init, &error);
    if (!srv->ctx) {
        snprintf(err, errsz, "cannot serve on %s: %s%s%s", cfg->listen, errtext,
                 srv->tls_error[0] ? "; TLS: " : "", srv->tls_error);
        free(srv);
        return ACDL_EIO;
    }
    mg_set_request_handler(srv->ctx, "**", on_request, app);
    *out = srv;
    return ACDL_OK;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv) {
        return;
    }
    mg_stop(srv->ctx);
    free(srv);
}
