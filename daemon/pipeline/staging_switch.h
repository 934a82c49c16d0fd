/* staging_switch.h: large imports staged in short transactions (schema 0017).
 *
 * Design: a run whose spilled days exceed one slice writes them to staging_pending in slices
 * (staging.c), then switches itself in with one short transaction (staging_switches.committed
 * = 1, with its files marked imported and its days due for mapping). From then on the run's
 * data is committed: the pending days are merged into staged_days slice by slice, and whoever
 * finds a committed switch finishes it (the run, the next run of the same source before it
 * reads, the scheduler after a restart or a failure). Until it is finished the run's days stay
 * due for mapping, so results computed meanwhile are recomputed afterwards. A switch that was
 * never committed is the remains of a failed or killed run and is removed, also in slices.
 * Between slices, a write of another connection that waits gets the database first
 * (store_yield()), so no writer waits for more than one slice. All functions borrow a
 * connection held by the caller, outside a transaction. */
#ifndef ACDL_PIPELINE_STAGING_SWITCH_H
#define ACDL_PIPELINE_STAGING_SWITCH_H
#include <stdint.h>

#include "store/store.h"

/* Rows (days of one external queue) per slice transaction: 1000, or in test builds the value
 * of ACDL_TEST_STAGING_SLICE (1..100000). */
int staging_slice_rows(void);

/* Merges the pending days of run_id's committed switch into staged_days (key by key, or
 * replacing the days of its replace period whole and removing that period's other days) and
 * removes the switch; removes an uncommitted switch and its days. idle_only: stops (0) as soon
 * as the run is running (it settles its switches itself). Returns 0 (also when there is none),
 * or the ACDL_E* code of the slice that failed (what is done stays done). */
int staging_switch_finish(struct store_conn *c, int64_t run_id, int idle_only);

/* Settles every switch of source_id (at the start of its run: all of them), or with
 * source_id 0 those of every source whose run is not running (the scheduler). *settled (may
 * be NULL) gets how many were finished or removed. Returns 0 or the first failure. */
int staging_switch_settle(struct store_conn *c, int64_t source_id, int *settled);

#endif
