/* resend.h: a target's results sent again for a period of local days ("send history").
 *
 * Design: resend_queue() writes the request (table resends) and, in the same transaction,
 * queues the current values of the period through the normal outbox: every result of every
 * WFM queue whose interval starts in the period's local days (in that queue's time zone) gets
 * a new revision in the target's cells and its (queue, interval) pair in outbox_cells, and
 * every agent day of the period with spans is queued in outbox_agent_days. The usual packing
 * then makes the batches (same row limits, ids from content and revisions, delivery in id
 * order), each marked with the resend, which is what its progress counts: intervals and agent
 * days queued, sent (acked), failed, and remaining (still queued or in pending and sending
 * batches). */
#ifndef ACDL_UPLOAD_RESEND_H
#define ACDL_UPLOAD_RESEND_H
#include <stdint.h>

#include "core/tz.h"
#include "store/store.h"

#define RESEND_MAX_DAYS 400 /* a period longer than this is refused */

struct resend_request {
    int64_t target_id;
    struct tz_date from, to; /* local days, inclusive */
    int contacts;            /* 1: contact statistics (interval results) */
    int agent_states;        /* 1: agent-state days */
    const char *by;          /* who asked (borrowed) */
};

struct resend {
    int64_t id, target_id;
    char from[11], to[11];
    int contacts, agent_states;
    int64_t intervals, agent_days; /* queued when it was made */
    int64_t sent, failed, remaining;
    char by[129];
    int64_t created_at;
};

/* Queues rq in one transaction (own). *id gets the new resend. Returns 0, ACDL_ENOTFOUND when
 * the target does not exist, or an ACDL_E* store code. */
int resend_queue(struct store_conn *c, const struct resend_request *rq, int64_t now, int64_t *id);

/* One resend with its progress. Returns 0 or ACDL_ENOTFOUND. */
int resend_get(struct store_conn *c, int64_t id, struct resend *out);

/* Resends with id below cursor (0: from the newest), newest first, of target_id (0: all), at
 * most limit; *out is new (free()). */
int resend_list(struct store_conn *c, int64_t target_id, int64_t cursor, int limit,
                struct resend **out, int *n);

#endif
