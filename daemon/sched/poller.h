/* poller.h: the poller thread: follows the incremental and live-status agent-state sources.
 *
 * Design: one thread. Every 2 s it reads which enabled ODBC agent-state sources have
 * settings.incremental or settings.live_status (pipeline/live_status.h); each is polled every
 * poll_s seconds (pipeline/agent_import.h: agent_import_poll), never while a run of the source
 * reads or stages (the source's follow lock: the poll is tried again shortly). A poll that staged a
 * change wakes the uploader, so the targets get it within seconds; a poll writes no run, only the
 * source's follow record (last poll, rows, error: GET /api/v1/sources/{id} "follow", and health). A
 * failing source is polled with a backoff doubling up to 60 s; its first failure, then one line per
 * 5 minutes while it lasts, and its recovery are logged. Every reconcile_minutes (the first right
 * after the start of following) a run of the last reconcile_hours' local days is queued, created by
 * "reconciliation": it re-reads them the normal way and corrects what the polls staged. */
#ifndef ACDL_SCHED_POLLER_H
#define ACDL_SCHED_POLLER_H

#include "app.h"

struct poller;

/* Starts the thread; *out is new (stop with poller_stop()). Returns 0 or ACDL_EAGAIN. */
int poller_start(struct app *app, struct poller **out);

/* Stops the thread (cancelling a poll's query under way) and frees p. Accepts NULL. */
void poller_stop(struct poller *p);

#endif
