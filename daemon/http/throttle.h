/* throttle.h: login throttling by key ("client:ADDR", "account:NAME").
 *
 * Counts failures per key in memory (structured state, never derived from log text). After
 * max_failures failures the key is locked for base seconds, and every further failure doubles
 * the lock up to max seconds. Failures older than the window (15 min) are forgotten. The table
 * is bounded; when full the stalest unlocked entry is evicted. Thread-safe.
 * Times (now_ms) are milliseconds of a monotonic clock (plat_monotonic_ms()). */
#ifndef ACDL_HTTP_THROTTLE_H
#define ACDL_HTTP_THROTTLE_H
#include <stdint.h>

struct throttle;

/* New throttle; free with throttle_free(). NULL on out of memory. */
struct throttle *throttle_new(int max_failures, int base, int max);
void throttle_free(struct throttle *t);

/* 0 when key may try now; ACDL_EAGAIN when locked, with the seconds left (rounded up) in
 * *retry_after. */
int throttle_check(struct throttle *t, const char *key, int64_t now_ms, int *retry_after);

/* Begins an attempt of key, atomically with the check: 0 when it may go ahead (it then counts
 * as under way until throttle_end()); ACDL_EAGAIN with *retry_after when key is locked, or when
 * attempts are under way and they plus the failures so far reach max_failures (so parallel
 * attempts cannot all pass the check before the first of them fails). */
int throttle_begin(struct throttle *t, const char *key, int64_t now_ms, int *retry_after);

/* Ends an attempt that throttle_begin() let through; failed: it counts as a failure. */
void throttle_end(struct throttle *t, const char *key, int failed, int64_t now_ms);

/* Records a failure. */
void throttle_fail(struct throttle *t, const char *key, int64_t now_ms);

/* Forgets key (after a successful login of that account). */
void throttle_reset(struct throttle *t, const char *key);

#endif
