/* netconn.h: one outgoing TCP connection with optional TLS, bounded by a deadline: what the
 * HTTPS client (upload/https.c) and the SMTP client (alerts/smtp.c) share. Certificates are
 * always verified (system CAs, or a CA file) against the host name; a pinned certificate is
 * optional. TLS may start at once or later on the same connection (SMTP STARTTLS). Failures
 * fill an upload_answer (class and sentence). Not thread-safe per connection; independent
 * connections may be used from any thread. */
#ifndef ACDL_UPLOAD_NETCONN_H
#define ACDL_UPLOAD_NETCONN_H
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"
#include "platform/printf.h"
#include "upload/connector.h"

struct netconn {
    plat_sock fd;
    SSL_CTX *ctx;
    SSL *ssl;
    int64_t deadline; /* plat_monotonic_ms */
};

/* Sets a's failure class f and its sentence (printf-style). */
void netconn_fail(struct upload_answer *a, enum upload_fail f, const char *fmt, ...)
    ACDL_PRINTF(3, 4);

/* Writes "***" over secret (a key, token or password that was sent) wherever the answer,
 * the error or its parameters quote it, also where the kept text ends inside it: they are shown
 * to operators and viewers. NULL: nothing. */
void netconn_redact(struct upload_answer *a, const char *secret);

/* Sets the message code of a->error (after netconn_fail() or a text written there) and its
 * parameters (stolen; NULL: none); see struct upload_answer. */
void netconn_code(struct upload_answer *a, const char *code, json_t *params);

/* A closed connection whose exchange must end timeout_s seconds from now. */
void netconn_init(struct netconn *c, int timeout_s);

/* Milliseconds left before the deadline (0 when passed). */
int netconn_left_ms(const struct netconn *c);

/* Connects to host:port within the deadline. On failure fills a (DNS, or connect_fail: TCP or
 * PROXY) and returns ACDL_EIO. */
int netconn_connect(struct netconn *c, const char *host, int port, enum upload_fail connect_fail,
                    struct upload_answer *a);

/* Starts TLS on the connection, verifying the certificate for host against ca_pem (PEM text),
 * else ca_file (a PEM file read inside the import roots), else the system's CAs ("" or NULL:
 * not given) and, when pin is given, comparing the leaf's SHA-256 with it. Fills a and returns
 * an ACDL_E* code on failure. */
int netconn_tls(struct netconn *c, const char *host, const char *ca_pem, const char *ca_file,
                const char *pin, struct upload_answer *a);

/* A TLS client context (TLS 1.2 or newer, the peer's chain always verified) trusting ca_pem
 * (PEM text), else the CA file ca_file (its text file_pem[0..file_len) when already read, else
 * read here inside the import roots), else the system's CAs ("" or NULL: not given). *out is
 * new (SSL_CTX_free()). Fills a and returns an ACDL_E* code on failure. */
int netconn_ctx_new(const char *ca_pem, const char *ca_file, const char *file_pem, size_t file_len,
                    SSL_CTX **out, struct upload_answer *a);

/* Starts TLS on the connection with ctx (the connection takes its own reference), offering
 * session for resumption (NULL: none; borrowed), and checks the server on every connection:
 * a full handshake verifies the chain and host name against ctx's anchors; a resumed session
 * (verified so when it began) must have verified and its certificate must name host; both
 * compare the leaf's SHA-256 with pin ("" or NULL: none). Fills a and returns an ACDL_E* code
 * on failure. */
int netconn_tls_start(struct netconn *c, SSL_CTX *ctx, SSL_SESSION *session, const char *host,
                      const char *pin, struct upload_answer *a);

/* 1 when the connection's TLS session was resumed (no certificate exchange). */
int netconn_tls_resumed(const struct netconn *c);

/* The connection's TLS session when it can be resumed (new: SSL_SESSION_free()), else NULL.
 * With TLS 1.3 the server's tickets come after the handshake: ask after an answer was read. */
SSL_SESSION *netconn_tls_session(const struct netconn *c);

/* Gives an open connection a new exchange: its deadline timeout_s seconds from now, and every
 * send and receive bounded by it. */
void netconn_rearm(struct netconn *c, int timeout_s);

/* 1 when the connection is open and nothing waits to be read on it (the server has neither
 * closed it nor sent anything unasked): a kept connection that may carry the next request. */
int netconn_quiet(const struct netconn *c);

/* Reads the PEM text pem[0..len) block by block: every block must be a certificate; each is
 * added to store (NULL: only checked). Returns the count of certificates (>= 1), or
 * ACDL_EINVAL with why. */
int netconn_ca_load(const char *pem, size_t len, X509_STORE *store, char *why, size_t whysz);

/* Writes all of p[0..n). Returns 0 or ACDL_EIO. */
int netconn_write(struct netconn *c, const char *p, size_t n);

/* Reads up to n bytes: their count, 0 at the end of the stream, -1 on error, -2 on timeout. */
long netconn_read(struct netconn *c, char *p, size_t n);

/* Closes the connection (TLS close_notify when TLS runs). Safe on a closed one. */
void netconn_close(struct netconn *c);

#endif
