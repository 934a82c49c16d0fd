/* recompute.h: working off the recomputes that changes recorded (store/recomputes.h).
 *
 * Design: a change that alters results records "recompute this" in its own transaction; the
 * route that made it then recomputes at once (recompute_ref()), so the console shows the new
 * results, and the scheduler thread works off whatever is left (recompute_drain()): records
 * of changes whose process was killed before it recomputed, mappings that failed during a
 * run, and earlier failures whose time has come (backoff 10 s doubling to 30 min). Each
 * recomputation writes its results and their outbox entries in one transaction, as runs do,
 * and then removes the record it read unless a newer change raised its gen meanwhile. A
 * finished run that still has days due (it ended before it could compute or record them,
 * e.g. with the disk full) is worked off here as well. */
#ifndef ACDL_PIPELINE_RECOMPUTE_H
#define ACDL_PIPELINE_RECOMPUTE_H
#include <stddef.h>
#include <stdint.h>

#include "pipeline/agent_results.h"
#include "store/recomputes.h"
#include "store/store.h"

struct recompute_stats {
    int64_t results;                   /* contact-statistics results written */
    struct agent_results_stats agents; /* agent-state results */
};

/* Recomputes what row p says. On success the row is removed (when its gen is unchanged); on
 * failure it counts the attempt, keeps err and waits. st (may be NULL) is added to. Returns 0
 * or the failure's ACDL_E* code with err. */
int recompute_do(struct store_conn *c, const struct store_recompute *p, int64_t now,
                 struct recompute_stats *st, char *err, size_t errsz);

/* recompute_do() for the pending row of (kind, ref_id); 0 when nothing is pending. */
int recompute_ref(struct store_conn *c, const char *kind, int64_t ref_id,
                  struct recompute_stats *st, char *err, size_t errsz);

/* For a route, after the commit of a change that recorded (kind, ref_id): recompute_ref(),
 * with a failure logged (the change is stored and stays pending; the scheduler retries).
 * Agent-state statistics are added to st (may be NULL). */
void recompute_now(struct store_conn *c, const char *kind, int64_t ref_id,
                   struct agent_results_stats *st);

/* Recomputes the WFM agents ids[0..n) together (fewer transactions than one by one) and
 * removes their pending "agent" rows read before. */
int recompute_agents(struct store_conn *c, const int64_t *ids, int n,
                     struct agent_results_stats *st);

/* Works off up to max due rows and the due days of finished runs; queued results are then
 * packed into batches. *done and *failed (may be NULL) get the counts. Thread: the
 * scheduler's (one drainer at a time; routes may recompute the same things meanwhile). */
int recompute_drain(struct store_conn *c, int64_t now, int max, int *done, int *failed);

#endif
