/* runner.h: the import worker pool: runs execute here, never on HTTP threads.
 *
 * Design: queued runs live in the runs table (so a restart loses none: runs left "running"
 * are queued again at start). Workers claim the oldest queued run whose source has no run in
 * progress (one run per source at a time), execute it, and wait on a condition variable when
 * there is nothing to do (woken by runner_wake() or every second). Shutdown: a flag, a
 * broadcast, the running imports cancelled, joins. */
#ifndef ACDL_SCHED_RUNNER_H
#define ACDL_SCHED_RUNNER_H
#include <stdint.h>

#include "app.h"

struct runner;

/* Starts nworkers threads. *out is new: stop with runner_stop(). Returns 0 or an ACDL_E*. */
int runner_start(struct app *app, int nworkers, struct runner **out);

/* Tells the workers a run was queued. Thread-safe. Accepts NULL. */
void runner_wake(struct runner *r);

/* Cancels run id if a worker is executing it: returns 0, or ACDL_ENOTFOUND when no worker is.
 * Thread-safe. */
int runner_cancel(struct runner *r, int64_t run_id);

/* Stops the workers (cancelling running imports) and frees r. Accepts NULL. */
void runner_stop(struct runner *r);

#endif
