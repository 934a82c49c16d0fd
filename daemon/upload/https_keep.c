/* https_keep.c: the HTTPS client's kept contexts, sessions and idle connections (see
 * https_keep.h). */
#include "upload/https_keep.h"

#include <pthread.h>
#include <string.h>

#include "platform/platform.h"

struct slot {
    int used;
    unsigned char key[HTTPS_KEEP_KEY];
    SSL_CTX *ctx;
    SSL_SESSION *session;
    struct netconn conn; /* idle, or closed */
    int64_t opened_ms;   /* when conn was opened */
    int64_t idle_until;  /* conn is not reused after this */
    int64_t last_ms;     /* last taken or given */
};

static pthread_mutex_t keep_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot keep_slots[HTTPS_KEEP_SLOTS];
static struct https_keep_stats keep_counts;

/* The slot of key, or NULL. Under keep_mu. */
static struct slot *slot_find(const unsigned char *key)
{
    for (int i = 0; i < HTTPS_KEEP_SLOTS; i++) {
        if (keep_slots[i].used && !memcmp(keep_slots[i].key, key, HTTPS_KEEP_KEY)) {
            return &keep_slots[i];
        }
    }
    return NULL;
}

/* Moves s's connection to *out (to be closed outside the mutex). Under keep_mu. */
static void slot_take_conn(struct slot *s, struct netconn *out)
{
    *out = s->conn;
    memset(&s->conn, 0, sizeof(s->conn));
    s->conn.fd = PLAT_SOCK_NONE;
}

/* Empties s; its connection goes to *conn, its references to *ctx and *session (all to be
 * freed outside the mutex). Under keep_mu. */
static void slot_empty(struct slot *s, struct netconn *conn, SSL_CTX **ctx, SSL_SESSION **session)
{
    slot_take_conn(s, conn);
    *ctx = s->ctx;
    *session = s->session;
    memset(s, 0, sizeof(*s));
    s->conn.fd = PLAT_SOCK_NONE;
}

/* 1 when s's idle connection may carry the next request at now. Under keep_mu. */
static int conn_usable(const struct slot *s, int64_t now)
{
    return now < s->idle_until && now - s->opened_ms < HTTPS_KEEP_AGE_MS;
}

void https_keep_take(const unsigned char key[HTTPS_KEEP_KEY], int with_conn,
                     struct https_keep_lease *l)
{
    struct netconn stale;
    int64_t now = plat_monotonic_ms();
    memset(l, 0, sizeof(*l));
    l->conn.fd = PLAT_SOCK_NONE;
    memset(&stale, 0, sizeof(stale));
    stale.fd = PLAT_SOCK_NONE;
    pthread_mutex_lock(&keep_mu);
    struct slot *s = slot_find(key);
    if (s) {
        s->last_ms = now;
        if (s->ctx && SSL_CTX_up_ref(s->ctx) == 1) {
            l->ctx = s->ctx;
        }
        if (s->session && SSL_SESSION_up_ref(s->session) == 1) {
            l->session = s->session;
        }
        if (with_conn && s->conn.fd != PLAT_SOCK_NONE) {
            if (conn_usable(s, now) && netconn_quiet(&s->conn)) {
                slot_take_conn(s, &l->conn);
                l->opened_ms = s->opened_ms;
            } else {
                slot_take_conn(s, &stale);
                keep_counts.dropped++;
            }
        }
    }
    pthread_mutex_unlock(&keep_mu);
    netconn_close(&stale);
}

void https_keep_give(const unsigned char key[HTTPS_KEEP_KEY], SSL_CTX *ctx, SSL_SESSION *session,
                     struct netconn *c, int64_t opened_ms, int idle_ms)
{
    struct netconn old;
    SSL_CTX *old_ctx = NULL;
    SSL_SESSION *old_session = NULL;
    int64_t now = plat_monotonic_ms();
    memset(&old, 0, sizeof(old));
    old.fd = PLAT_SOCK_NONE;
    pthread_mutex_lock(&keep_mu);
    struct slot *s = slot_find(key);
    if (!s) {
        for (int i = 0; i < HTTPS_KEEP_SLOTS && !s; i++) {
            s = keep_slots[i].used ? NULL : &keep_slots[i];
        }
        if (!s) { /* all used: the least recently used slot goes */
            s = &keep_slots[0];
            for (int i = 1; i < HTTPS_KEEP_SLOTS; i++) {
                s = keep_slots[i].last_ms < s->last_ms ? &keep_slots[i] : s;
            }
            slot_empty(s, &old, &old_ctx, &old_session);
        }
        s->used = 1;
        memcpy(s->key, key, HTTPS_KEEP_KEY);
        s->conn.fd = PLAT_SOCK_NONE;
    }
    s->last_ms = now;
    if (ctx && s->ctx != ctx && SSL_CTX_up_ref(ctx) == 1) {
        SSL_CTX_free(old_ctx); /* an evicted slot's; freeing does no I/O */
        old_ctx = s->ctx;
        s->ctx = ctx;
    }
    if (session && SSL_SESSION_up_ref(session) == 1) {
        SSL_SESSION_free(old_session);
        old_session = s->session;
        s->session = session;
    }
    if (c && c->fd != PLAT_SOCK_NONE && idle_ms > 0) {
        if (s->conn.fd != PLAT_SOCK_NONE) { /* another sender's: keep the newer one */
            slot_take_conn(s, &old);        /* (a slot just made has none) */
        }
        s->conn = *c;
        s->opened_ms = opened_ms;
        s->idle_until = now + idle_ms;
        memset(c, 0, sizeof(*c));
        c->fd = PLAT_SOCK_NONE;
    }
    pthread_mutex_unlock(&keep_mu);
    if (c) {
        netconn_close(c);
    }
    netconn_close(&old);
    SSL_CTX_free(old_ctx);
    SSL_SESSION_free(old_session);
}

void https_keep_lease_clear(struct https_keep_lease *l)
{
    netconn_close(&l->conn);
    SSL_CTX_free(l->ctx);
    SSL_SESSION_free(l->session);
    l->ctx = NULL;
    l->session = NULL;
}

/* Prunes (all 0) or clears (all 1) the slots. */
static void keep_sweep(int all)
{
    struct netconn conns[HTTPS_KEEP_SLOTS];
    SSL_CTX *ctxs[HTTPS_KEEP_SLOTS];
    SSL_SESSION *sessions[HTTPS_KEEP_SLOTS];
    int64_t now = plat_monotonic_ms();
    pthread_mutex_lock(&keep_mu);
    for (int i = 0; i < HTTPS_KEEP_SLOTS; i++) {
        struct slot *s = &keep_slots[i];
        ctxs[i] = NULL;
        sessions[i] = NULL;
        memset(&conns[i], 0, sizeof(conns[i]));
        conns[i].fd = PLAT_SOCK_NONE;
        if (!s->used) {
            continue;
        }
        if (all || now - s->last_ms >= HTTPS_KEEP_AGE_MS) {
            slot_empty(s, &conns[i], &ctxs[i], &sessions[i]);
        } else if (s->conn.fd != PLAT_SOCK_NONE && !conn_usable(s, now)) {
            slot_take_conn(s, &conns[i]);
        }
    }
    pthread_mutex_unlock(&keep_mu);
    for (int i = 0; i < HTTPS_KEEP_SLOTS; i++) {
        netconn_close(&conns[i]);
        SSL_CTX_free(ctxs[i]);
        SSL_SESSION_free(sessions[i]);
    }
}

void https_keep_prune(void)
{
    keep_sweep(0);
}

void https_keep_clear(void)
{
    keep_sweep(1);
}

void https_keep_count_reused(void)
{
    pthread_mutex_lock(&keep_mu);
    keep_counts.reused++;
    pthread_mutex_unlock(&keep_mu);
}

void https_keep_stats(struct https_keep_stats *out)
{
    pthread_mutex_lock(&keep_mu);
    *out = keep_counts;
    pthread_mutex_unlock(&keep_mu);
}
