/* scheduler.h: the scheduler thread: queues the runs of due schedules.
 *
 * Every few seconds it reads the schedules whose next_run_at has come, queues one run each
 * (not when a run of that source for the same period is still queued: an outage must not
 * pile up work), plans the next firing and wakes the workers. Then it works off what is
 * pending recomputation (changes and failed mappings, see pipeline/recompute.h). State lives in the
 * table, so a restart loses nothing: a firing missed while stopped happens right after the start.
 */
#ifndef ACDL_SCHED_SCHEDULER_H
#define ACDL_SCHED_SCHEDULER_H

#include "app.h"
#include "sched/schedule.h"
#include "store/schedules.h"

struct scheduler;

int scheduler_start(struct app *app, struct scheduler **out);
void scheduler_stop(struct scheduler *s); /* accepts NULL */

/* The rule of a stored schedule. Returns 0 or ACDL_EINVAL. */
int scheduler_rule(const struct store_schedule *s, struct schedule_rule *rule);

/* Queues the run that a firing of schedule s at now would queue (its period, its zero_fill),
 * triggered by hand: trigger "manual", created_by who; the planned next firing stays. Returns
 * 0 with *run_id, ACDL_EEXIST when a run of the source for that period is still queued (*from
 * and *to name it), ACDL_EINVAL when the rule or zone cannot be read, or a store error. from
 * and to receive the period (YYYY-MM-DD, 11 bytes each). Borrows c. */
int scheduler_run_now(struct store_conn *c, const struct store_schedule *s, const char *who,
                      int64_t now, char *from, char *to, int64_t *run_id);

/* Queues due schedules' runs now (the thread calls it; tests may too). Returns how many. */
int scheduler_tick(struct app *app, int64_t now);

/* Works off pending recomputes and finished runs' due days (pipeline/recompute.h); the
 * thread calls it after every tick, the first right at the start. Returns how many were
 * done. */
int scheduler_recompute(struct app *app, int64_t now);

#endif
