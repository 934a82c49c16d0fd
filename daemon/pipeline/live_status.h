/* live_status.h: agent-state sources that poll a live-status table (settings.live_status): one
 * row per agent holding its current state, an optional reason and since when.
 *
 * Design: a poll reads the whole table into temp.live_seen (one row per agent: the first row
 * of an agent counts, a later one is rejected) and compares it with what the source's last
 * staging saw (source_live). An agent whose code (the state, or "state:reason" when the reason
 * is not empty) or since value differs, or that is new, starts a state: at its since value
 * (converted from the source's zone), or at the poll time when the table has no since column,
 * the row's since is empty, or it lies before the agent's last staged start. An agent that
 * left the table starts the source's first logout code at the poll time. The states go to
 * temp.agent_acc and are staged like an incremental poll's (start-only: each ends the agent's
 * previous state); source_live is written in the same transaction, so a crash or kill -9
 * repeats a poll at worst. An unchanged table stages nothing. A change that came and went
 * between two polls is never seen by the polls.
 *
 * Reconciliation (settings.live_status.history_sql): a run of such a source reads the history
 * query instead, with the ODBC column contract (agent, activity, start, then end or duration
 * by history_span) and :since/:until bound to the local midnights of its days, into
 * temp.agent_acc. In one transaction (agent_import.c): the history's states replace the staged
 * states of the window from its first midnight up to the history's newest start (new, changed,
 * and those the history lacks removed); staged states newer than that newest start are kept
 * (the polls saw them, the history has not caught up); the changed agents' spans are
 * recomputed into the delivery, and the counts recorded in source_follow. A kill -9 leaves the
 * staged states as they were or as the history has them, nothing between.
 *
 * Every function takes the struct rows of a poll or run (rows.h) on its connection. */
#ifndef ACDL_PIPELINE_LIVE_STATUS_H
#define ACDL_PIPELINE_LIVE_STATUS_H
#include <jansson.h>
#include <stdint.h>

#include "pipeline/rows.h"

/* Creates (or empties) the temporary tables of a poll. Returns 0 or ACDL_EDB. */
int live_status_prepare(struct rows *r);

/* The current row (r->val with the roles of settings.live_status) into temp.live_seen, or into
 * r->preview_row in a preview. A row without agent or state, with a since value that does not
 * parse, or of an agent seen before in this read is rejected (counted, logged). Returns 0 or
 * ACDL_EDB. */
int live_status_row(struct rows *r);

/* What the read changes, against source_live: the states to stage into temp.agent_acc, their
 * number into *changed. now: the poll time (UTC). Returns 0 or ACDL_EDB. */
int live_status_changes(struct rows *r, int64_t now, int64_t *changed);

/* Inside the staging transaction: source_live becomes what the read saw. Returns 0 or
 * ACDL_EDB. */
int live_status_commit(struct rows *r, int64_t now);

/* What a reconciliation corrected. */
struct live_reconcile {
    int64_t rows;                    /* history states read inside the window */
    int64_t added, changed, removed; /* states the polls had missed, had wrong, had extra */
    int64_t kept;                    /* staged states newer than the history's newest start */
    int64_t newest;                  /* that start (UTC), when have_newest */
    int have_newest;
};

/* Inside the staging transaction of a reconciliation, before the history's states are
 * compared: temp.agent_acc keeps its states that start in [lo, hi) (the window, UTC), and
 * rec->rows, rec->newest are set. Returns 0 or ACDL_EDB. */
int live_status_history_trim(struct rows *r, int64_t lo, int64_t hi, struct live_reconcile *rec);

/* After temp.agent_chg holds the history's new (kind 1) and changed (0) states: adds the staged
 * states of [lo, rec->newest] that the history lacks (-1) and sets the counts of rec. Returns
 * 0 or ACDL_EDB. */
int live_status_history_window(struct rows *r, int64_t lo, int64_t hi, struct live_reconcile *rec);

/* Records rec as the source's last reconciliation (source_follow) at now. In the staging
 * transaction. Returns 0 or ACDL_EDB. */
int live_status_reconcile_record(struct store_conn *c, int64_t source_id,
                                 const struct live_reconcile *rec, int64_t now);

/* The number of agents source_id's table showed at its last staging. Borrowed connection. */
int64_t live_status_agents(struct store_conn *c, int64_t source_id);

#endif
