/* alerts.h: the alerter thread: turns failures into notices on the admin's channels.
 *
 * Design: one thread, apart from the scheduler, the import workers and the uploader, so that
 * a slow or unreachable mail server or webhook never delays an import or a delivery. Every
 * round (ALERTS_ROUND_MS, or at once when woken) it collects the conditions that hold now,
 * each an event kind, a subject and an occurrence: the last run of a source failed or left
 * mappings uncomputed (run_failed, occurrence: the run) or rejected rows (rows_rejected), a
 * target's deliveries fail (target_failing), a target's oldest waiting batch is older than
 * backlog_warn_after (backlog), recomputes fail or are overdue (recompute_pending), a health
 * check is degraded (health_degraded, subject: the check). Per enabled rule and subject it
 * compares them with the stored state: a new occurrence sends a notice unless the rule's
 * minimum interval since the last notice has not passed (then it is counted as held back and
 * the next notice says how many were); a condition that cleared after a notice sends a
 * recovery notice when the rule asks for one. States are committed before sending, so a crash
 * never repeats a notice. Each send's outcome is kept (GET /api/v1/alerts/notices) and on the
 * channel; a channel whose last send failed degrades health ("alerts"). */
#ifndef ACDL_ALERTS_ALERTS_H
#define ACDL_ALERTS_ALERTS_H
#include <stddef.h>
#include <stdint.h>

#include "app.h"

#define ALERTS_ROUND_MS 2000

struct alerter;

/* 1 when name is an event kind a rule may name. */
int alerts_event_valid(const char *name);
/* The event kinds joined by ", " (for messages). */
const char *alerts_event_list(void);

/* Starts the thread. *out is new: stop with alerter_stop(). */
int alerter_start(struct app *app, struct alerter **out);
/* Stops and joins the thread (a send in flight ends by its timeout). Accepts NULL. */
void alerter_stop(struct alerter *a);
/* Runs a round now. Accepts NULL. Thread-safe. */
void alerter_wake(struct alerter *a);

/* Sends a test notice through channel id now, on the calling thread, and records it like
 * any notice. Returns 0 with *sent (1 when the channel took it) and why (the failure), or an
 * ACDL_E* code (ACDL_ENOTFOUND: no such channel). */
int alerts_send_test(struct app *app, int64_t id, const char *who, int *sent, char *why,
                     size_t whysz);

#endif
