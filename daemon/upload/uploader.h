/* uploader.h: the uploader thread: delivers pending batches, oldest first per target.
 *
 * Design: one thread. At start every batch left in `sending` (the daemon stopped or crashed
 * mid-request) becomes `pending`; that is safe because the WFM sees the same Idempotency-Key
 * again. Each round it packs leftover queued results (outbox_flush), then, per enabled
 * target, sends the oldest pending batch when it is due: `sending` is committed before the
 * request, the answer and the new state after it (acked with synchronous=FULL). Failures
 * that may pass (network errors, timeouts, 408, 429, 5xx) wait a full-jitter exponential
 * backoff, random in [0, min(cap, base * 2^(attempt-1))] seconds, and at least Retry-After;
 * other answers fail the batch for good, keeping the answer. A target's later batches wait
 * while its oldest is in backoff, so the WFM sees changes in order. An agent-state batch is sent
 * on the target's sender thread (one kept per target, started at its first such batch, ended
 * when the target is no longer enabled or the uploader stops) while this thread makes the change
 * feed's next batch; it waits for that send before the next. */
#ifndef ACDL_UPLOAD_UPLOADER_H
#define ACDL_UPLOAD_UPLOADER_H
#include <stdint.h>

#include "app.h"
#include "store/store.h"
#include "upload/connector.h"

struct uploader;

/* Starts the thread. *out is new: stop with uploader_stop(). */
int uploader_start(struct app *app, struct uploader **out);

/* Asks the thread to stop and joins it (it finishes the request in flight, bounded by the
 * target's timeout). Accepts NULL. */
void uploader_stop(struct uploader *u);

/* Wakes the thread now (after new batches or a retry). Accepts NULL. Thread-safe. */
void uploader_wake(struct uploader *u);

/* The full-jitter delay for the attempt-th failure (1-based): random in
 * [0, min(cap, base * 2^(attempt-1))], at least retry_after + 1 (whole seconds) when that is
 * >= 0. r is a uniform
 * random number in [0, 1). */
int64_t uploader_backoff(int attempt, int64_t base, int64_t cap, int64_t retry_after, double r);

/* Fills t with target id: settings parsed, the secret opened (NULL when none or when it
 * cannot be opened). Free with uploader_target_free(). */
int uploader_target_load(struct app *app, struct store_conn *c, int64_t id,
                         struct upload_target *t);
/* Frees t's settings and wipes its secret (not t). */
void uploader_target_free(struct upload_target *t);

#endif
