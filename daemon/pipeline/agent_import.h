/* agent_import.h: one import run of an agent-state source: its rows (pipeline/rows.h) become
 * staged states per source and local day, and the spans of the WFM agents they belong to are
 * recomputed (pipeline/agent_results.h).
 *
 * Design: a row gives an agent id (text, kept as written: leading zeros and case matter; only
 * surrounding blanks are dropped), an activity code, a start and, by the source's span form,
 * an end, a duration or nothing. Rows collect in a temporary table of the run's connection
 * and are staged in one transaction: ODBC runs replace the staged days of their period, CSV
 * runs replace state by state (agent and start), so a file imported twice, or a day re-read,
 * gives the same result. States of agents nobody has mapped yet are staged too and listed as
 * unknown agents: mapping them later recomputes from the staged states, without a new read.
 * Two rows of one agent with the same start, and states that overlap, are reported in the run
 * log with file and line of both (the later-starting state wins in the results). Every run
 * recomputes the agents of the source for the days it touched (and the run's period), so
 * running again after a mapping change brings the results up to date. */
#ifndef ACDL_PIPELINE_AGENT_IMPORT_H
#define ACDL_PIPELINE_AGENT_IMPORT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "pipeline/rows.h"

/* 1 when source_id is an agent-state source. */
int agent_import_is_states(struct app *app, int64_t source_id);

/* As import_run() (pipeline/import.h) for an agent-state source. */
int agent_import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel);

struct agent_follow_poll;
struct agent_follow_keep;

/* One poll of incremental agent-state source source_id (pipeline/agent_follow.h): reads from
 * its cursor, stages what is new or changed with the new cursor and the recomputed spans of
 * the agents it touched: found before the write lock is taken, staged in parts of
 * FOLLOW_PART_STATES in cursor order, each part one transaction with the cursor at its end. The
 * caller holds the source's follow lock (nothing else stages the source meanwhile). *out gets
 * the counts (rows_changed > 0: the delivery has something new). Returns 0, or an ACDL_E* code
 * with err (nothing more staged, the cursor at the end of the last part committed). keep (NULL: none) is what the poller
 * keeps of the source between polls: the ODBC connection is reused, and a row read again with
 * what the last poll read and staged for its key is skipped without touching SQLite. */
int agent_import_poll(struct app *app, int64_t source_id, struct import_cancel *cancel,
                      struct agent_follow_keep *keep, struct agent_follow_poll *out, char *err,
                      size_t errsz);

/* As import_preview() for an agent-state source: each row gets its parsed agent, activity,
 * start and end (or its error). */
int agent_import_preview(struct app *app, int64_t source_id, const char *day, int max_rows,
                         json_t **out, char *err, size_t errsz);

#endif
