/* queue_log.h: Asterisk's queue_log file as agent states (csv.preset asterisk_queue_log_states
 * of a CSV agent-state source, followed or read by runs).
 *
 * Design: the event logic lives once, as the SQL of the queue_log table preset of the same name
 * (adapters/odbc/presets.c), which the ACD's database runs for the table. For the file, that
 * same text runs in SQLite: its ODBC escapes ({fn CONCAT(a, b)}, {ts '...'}) are turned into
 * SQLite's forms, and the table it reads is a view of the lines of the file kept per source
 * (queue_log_lines, schema/0032; time in Unix seconds, as the file writes it). A read keeps the
 * new lines and derives the states whose start lies in its window (a poll: from its first new
 * line on, since a line changes no earlier state; a run: its days), all in the transaction
 * that stages them. */
#ifndef ACDL_PIPELINE_QUEUE_LOG_H
#define ACDL_PIPELINE_QUEUE_LOG_H
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"
#include "pipeline/rows.h"
#include "store/store.h"

/* The SQL text in with its ODBC escapes in SQLite's forms into out ({fn CONCAT(a, b)} -> (a ||
 * b), {ts 'T'} -> unixepoch of T). Returns 0, ACDL_EINVAL for another escape or unbalanced
 * text, ACDL_ETOOBIG when out is too small. */
int queue_log_sql(const char *in, char *out, size_t outsz);

/* Prepares (or empties) the connection's table of the lines a read finds. */
int queue_log_prepare(struct store_conn *c);

/* The current row of r as a queue_log line: kept for queue_log_derive(), or rejected naming its
 * column (a time that is not Unix seconds, a line without an event). Returns 0 or ACDL_EDB. */
int queue_log_row(struct rows *r);

/* Inside the staging transaction: keeps the lines read for source_id (dropping those more than
 * 8 days before its newest), and adds the states whose start lies in [from, to) - from = INT64_MIN:
 * from the first line read - to temp.agent_acc with their local days in tz (file: the name
 * they carry). *added gets their number. Returns 0, or an ACDL_E* code with err. */
int queue_log_derive(struct store_conn *c, int64_t source_id, struct tz *tz, int64_t from,
                     int64_t to, const char *file, int64_t *added, char *err, size_t errsz);

#endif
