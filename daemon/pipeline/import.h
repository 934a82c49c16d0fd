/* import.h: one import run: read a source for a period of local days, turn its rows into
 * values per interval (UTC), external queue and metric, and stage them.
 *
 * The rows come from pipeline/rows.h (files, query, fields, filter, time); pipeline/staging.h
 * accumulates them per day and queue in memory (bounded, spilled to the run's temporary table
 * after each input) and stages everything in one transaction at the end, so a failed or
 * cancelled run leaves the staged data as it was. ODBC runs replace the staged days of their
 * period (the query returns whole days); CSV runs replace the values their files hold, key by
 * key (day, interval, queue, metric), so files that each hold part of a day add up and a file
 * imported twice gives the same result. A CSV file is read once, so every day it holds is
 * staged, whatever the run's period. CSV files already imported (same SHA-256) are skipped;
 * after staging a file is kept, moved or deleted as the source says.
 * Zero-fill (store_run.zero_fill): in the same transaction, every interval of the run's days
 * without a staged value gets 0 for the queue metrics that sum mappings and formulas of the
 * source read; inputs read only by weighted averages stay empty (staging_zero_fill()). Then
 * the mappings fed by the source are recomputed for the days staged (and the filled days).
 * Contact-layout rows are aggregated: offered = contacts, handled = answered contacts,
 * abandoned = unanswered contacts, handle_time = sum of the durations of answered contacts.
 * Every rejected row is reported with file, line, column and reason (the first 200 in the run
 * log, all counted). */
#ifndef ACDL_PIPELINE_IMPORT_H
#define ACDL_PIPELINE_IMPORT_H
#include <stdint.h>

#include "app.h"
#include "pipeline/rows.h" /* struct import_cancel */
#include "store/runs.h"

/* Runs the import of run (already marked running) to its end and records the outcome (done,
 * failed, cancelled) and its log in the store. Returns 0 when the run is done, else the
 * ACDL_E* code it failed with (ACDL_ESTOP when cancelled). */
int import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel);

/* Reads the first max_rows rows of source_id for the local day (YYYY-MM-DD) the way an import
 * would, without writing anything: *out (new) holds the columns, each row's raw fields and
 * either its parsed queue, interval and values, its error (with file and line) or that the
 * filter skipped it, plus the messages an import would log. CSV previews read the matching
 * files in name order, imported before or not. max_rows < 0: discovery (pipeline/discover.h):
 * up to -max_rows rows are read, none is kept, and *out gets their "digest" (rows.h).
 * Returns 0 or an ACDL_E* code with err. */
#include <jansson.h>
int import_preview(struct app *app, int64_t source_id, const char *day, int max_rows, json_t **out,
                   char *err, size_t errsz);

#endif
