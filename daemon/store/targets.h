/* targets.h: the targets table (WFM connections) and the outbox of batches. All functions
 * borrow a held connection. */
#ifndef ACDL_STORE_TARGETS_H
#define ACDL_STORE_TARGETS_H
#include <stdint.h>

#include "store/store.h"

struct store_target {
    int64_t id;
    char name[65];
    char connector[16];
    int enabled;
    char *settings;      /* JSON text; new: free with store_target_clear() */
    char *secret_sealed; /* NULL when no secret is set; new, as settings */
    int64_t created_at, updated_at;
};

/* Frees the strings of t (not t). Accepts NULL. */
void store_target_clear(struct store_target *t);
/* Adds a target; its position in the agent-state change feed is the present one (call it in a
 * transaction to have both or neither). ACDL_EEXIST when the name is taken. */
int store_target_add(struct store_conn *c, const struct store_target *t, int64_t now,
                     int64_t *id);
int store_target_get(struct store_conn *c, int64_t id, struct store_target *out);
/* Up to limit targets with id > after_id. *out is new: clear each and free() the array. */
int store_target_list(struct store_conn *c, int64_t after_id, int limit,
                      struct store_target **out, int *n);
/* Replaces name, enabled and settings. */
int store_target_update(struct store_conn *c, const struct store_target *t, int64_t now);
/* Sets (sealed text) or clears (NULL) the secret. */
int store_target_set_secret(struct store_conn *c, int64_t id, const char *sealed, int64_t now);
/* Deletes the target with its batches. */
int store_target_delete(struct store_conn *c, int64_t id);

struct store_batch {
    int64_t id, target_id;
    char key[65];
    char kind[16];
    char endpoint[256];
    char content_type[64];
    int items;
    int64_t first_interval, last_interval;
    char state[12];
    int attempts;
    int64_t next_attempt_at;
    int last_status; /* 0: none */
    char last_error[512];
    char last_error_code[48];    /* its message code, "" when none (rows of older versions) */
    char last_error_params[768]; /* its parameters as JSON object text */
    int64_t created_at, updated_at, acked_at;
};

/* Up to limit batches with id < before_id (0: from the newest), newest first; target_id 0
 * and state NULL mean any. *out is new (free()). */
int store_batch_list(struct store_conn *c, int64_t target_id, const char *state,
                     int64_t before_id, int limit, struct store_batch **out, int *n);
int store_batch_get(struct store_conn *c, int64_t id, struct store_batch *out);
/* The stored payload. *body is new (free()). */
int store_batch_body(struct store_conn *c, int64_t id, char **body, size_t *len);

struct store_attempt {
    int n;
    int64_t started_at;
    int duration_ms;
    char outcome[8];
    int http_status;
    char answer[2048];
    char error[512];
    char error_code[48];    /* the error's message code, "" when none */
    char error_params[768]; /* its parameters as JSON object text */
};
/* The attempts of batch id in order. *out is new (free()). */
int store_batch_attempts(struct store_conn *c, int64_t id, struct store_attempt **out, int *n);

/* A failed batch becomes pending again, due now. ACDL_ECONFLICT when it is not failed. */
int store_batch_retry(struct store_conn *c, int64_t id, int64_t now);
/* At start: every sending batch becomes pending. Returns how many, or a negative code. */
int store_batch_reset_sending(struct store_conn *c);
/* The oldest pending batch of target_id: ACDL_OK, ACDL_ENOTFOUND when none, ACDL_EAGAIN when
 * it is not due before now (*out is filled then too). */
int store_batch_next(struct store_conn *c, int64_t target_id, int64_t now,
                     struct store_batch *out);
/* pending -> sending, counting the attempt. */
int store_batch_mark_sending(struct store_conn *c, int64_t id, int64_t now);
/* Records attempt a (a.n is the batch's attempt count) and sets the new state (acked,
 * pending with next_attempt_at, or failed) in one transaction. */
int store_batch_finish(struct store_conn *c, int64_t id, const char *state,
                       int64_t next_attempt_at, const struct store_attempt *a, int64_t now);

struct store_backlog {
    int64_t pending, sending, failed, acked;
    int64_t queued; /* changed intervals and agent days not packed into a batch yet */
    int64_t oldest_pending_at; /* 0 when nothing waits */
    int64_t last_acked_at;     /* 0 when nothing was acked */
};
/* Counts of target_id's batches (0: all targets). */
int store_backlog_get(struct store_conn *c, int64_t target_id, struct store_backlog *out);

#endif
