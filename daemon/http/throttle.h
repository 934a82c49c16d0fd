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

/* Records a failure. */
void throttle_fail(struct throttle *t, const char *key, int64_t now_ms);

/* Forgets key (after a successful login of that account). */
void throttle_reset(struct throttle *t, const char *key);

#endif
