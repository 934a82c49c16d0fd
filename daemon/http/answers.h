/* answers.h: the answer cache of read routes.
 *
 * Holds the bodies of 200 answers of the GET routes marked cached in the route table, keyed by
 * the caller's text (the router's: the role that passed the checks, the path and the query),
 * each tagged with the store's change generation read before the answer's own read
 * (store_generation). An answer is served only at the very generation it was made at, so any
 * commit seen since, by any connection of this process or another process, retires it. Bounded:
 * a fixed number of slots (one per key hash; a newer key takes the slot) and a byte budget;
 * an answer that reads the WFM queues only is tagged with their change count instead
 * (ANSWERS_GEN), so commits elsewhere do not retire it;
 * answers over ANSWERS_ONE_MAX are not kept. Authentication and the role check run before
 * every lookup (http/router.c); the cache never decides who may read. Thread-safe. */
#ifndef ACDL_HTTP_ANSWERS_H
#define ACDL_HTTP_ANSWERS_H
#include <stddef.h>
#include <stdint.h>

#include "http/jsonw.h"

#define ANSWERS_SLOTS 256
#define ANSWERS_BUDGET ((size_t)8 * 1024 * 1024) /* the daemon's cache */
#define ANSWERS_ONE_MAX ((size_t)512 * 1024)
#define ANSWERS_KEY_MAX 1024
#define ANSWERS_ETAG_LEN 34 /* "\"" + 32 hex digits + "\"" */

/* What an answer's generation counts, in its top byte: any commit (store_generation) or the
 * WFM queues' changes only (store_queues_generation). Generations are compared only within
 * their group: one of another group is neither earlier nor later. */
enum { ANSWERS_GROUP_ALL = 0, ANSWERS_GROUP_QUEUES = 1 };
#define ANSWERS_GEN(group, n) (((uint64_t)(group) << 56) | ((uint64_t)(n) & ((1ull << 56) - 1)))

struct answers;

/* A cache of at most max_bytes of keys and bodies. NULL on out of memory. Free with
 * answers_free (accepts NULL). */
struct answers *answers_new(size_t max_bytes);
void answers_free(struct answers *a);

/* When key's answer of generation gen is held: appends its body to w, copies its entity tag
 * (terminated) into etag[ANSWERS_ETAG_LEN + 1] and returns 1. Returns 0 when it is not held
 * (or w failed to grow). */
int answers_get(struct answers *a, const char *key, size_t klen, uint64_t gen, struct jsonw *w,
                char *etag);

/* Keeps body (len bytes, copied) with its entity tag as key's answer of generation gen, unless
 * it is too large, the budget is spent by answers of gen or later, or the slot holds a later
 * generation's answer. */
void answers_put(struct answers *a, const char *key, size_t klen, uint64_t gen, const char *body,
                 size_t len, const char *etag);

/* When key's answer held (of gen or an earlier generation of its group) has the very text
 * body (len bytes): makes it gen's answer, copies its entity tag (terminated) into
 * etag[ANSWERS_ETAG_LEN + 1] and returns 1, so an answer that a commit elsewhere left as it
 * was needs no new digest and copy. Returns 0 otherwise (keep it with answers_put). */
int answers_renew(struct answers *a, const char *key, size_t klen, uint64_t gen, const char *body,
                  size_t len, char *etag);

/* The bytes held (keys and bodies), for tests and metrics. */
size_t answers_bytes(struct answers *a);

#endif
