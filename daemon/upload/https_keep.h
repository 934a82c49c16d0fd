/* https_keep.h: what the HTTPS client (upload/https.c) keeps between requests of the same
 * endpoint: per key (host, port, proxy, trust anchors, pin; see https.c) one TLS context, the
 * last resumable TLS session and at most one idle connection (HTTP/1.1 keep-alive).
 *
 * Design: the uploader sends one request at a time per target, so one idle connection per
 * endpoint is what a target needs; a second sender of the same endpoint at the same moment
 * opens a connection of its own (resuming the session) and the slot keeps one of the two. An
 * idle connection is reused within its idle time (HTTPS_KEEP_IDLE_MS, less when the server
 * announces less) and up to HTTPS_KEEP_AGE_MS after it was opened, and only when the server
 * has neither closed it nor sent anything since (checked without waiting when it is taken).
 * Slots unused for HTTPS_KEEP_AGE_MS are freed. Thread-safe (one mutex; connections are
 * closed outside it). */
#ifndef ACDL_UPLOAD_HTTPS_KEEP_H
#define ACDL_UPLOAD_HTTPS_KEEP_H
#include <openssl/ssl.h>
#include <stdint.h>

#include "upload/netconn.h"

#define HTTPS_KEEP_IDLE_MS 30000       /* the longest an idle connection is kept */
#define HTTPS_KEEP_AGE_MS (600 * 1000) /* no reuse of a connection older than this */
#define HTTPS_KEEP_SLOTS 32            /* endpoints kept at once (least recently used go) */
#define HTTPS_KEEP_KEY 32              /* bytes of a key (a SHA-256) */

/* What https_keep_take() hands out. */
struct https_keep_lease {
    SSL_CTX *ctx;         /* new reference (SSL_CTX_free()), or NULL: none kept yet */
    SSL_SESSION *session; /* new reference (SSL_SESSION_free()), or NULL */
    struct netconn conn;  /* an idle kept connection, open; closed when none */
    int64_t opened_ms;    /* plat_monotonic_ms() when conn was opened */
};

/* Counters since the start (for the log and the tests of the client). */
struct https_keep_stats {
    uint64_t reused;  /* requests sent on a kept connection */
    uint64_t dropped; /* kept connections found closed or past their time when taken */
};

/* Fills l with what is kept for key: its context and session and, when with_conn is 1, its
 * idle connection (which leaves the slot). An idle connection past its time, or one the
 * server closed or sent something on, is closed instead of given. */
void https_keep_take(const unsigned char key[HTTPS_KEEP_KEY], int with_conn,
                     struct https_keep_lease *l);

/* Keeps for key: ctx (borrowed; the slot takes its own reference when it has none or another),
 * session (borrowed; replaces the slot's; NULL: keep the slot's) and c when idle_ms > 0 (moved:
 * c is closed afterwards either way; NULL: none), opened at opened_ms. */
void https_keep_give(const unsigned char key[HTTPS_KEEP_KEY], SSL_CTX *ctx, SSL_SESSION *session,
                     struct netconn *c, int64_t opened_ms, int idle_ms);

/* Drops l's references and closes its connection. */
void https_keep_lease_clear(struct https_keep_lease *l);

/* Closes idle connections past their time and frees slots unused for HTTPS_KEEP_AGE_MS (the
 * uploader calls it every round, so no socket waits half-closed for the next batch). */
void https_keep_prune(void);

/* Closes every kept connection and frees every slot (at shutdown, after the uploader). */
void https_keep_clear(void);

/* Counts the request on a kept connection. */
void https_keep_count_reused(void);

/* The counters so far. */
void https_keep_stats(struct https_keep_stats *out);

#endif
