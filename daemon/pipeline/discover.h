/* discover.h: what a source sees for one local day, before anything is mapped: its external
 * queues (with names, row counts and first/last interval), metrics (rows with a value and
 * their total), and for agent-state sources its agents and activity codes. The whole day is
 * read the way an import would (CSV files imported before or not), and nothing is written. */
#ifndef ACDL_PIPELINE_DISCOVER_H
#define ACDL_PIPELINE_DISCOVER_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* Rows read at the most; beyond that the answer says "truncated". */
#define DISCOVER_MAX_ROWS 5000000

/* Reads source_id's local day (YYYY-MM-DD) into *out (new): {"source_id", "day", "columns",
 * "counts", "messages", "errors" (the first rejected rows: {"where", "line", "error"}),
 * "truncated", "queues": [{"ext_queue", "name", "rows", "first",
 * "last"}], "metrics": [{"metric", "rows", "total", "min", "max", "avg", "aggregate"}], "agents": [{"ext_agent", "rows"}],
 * "activities": [{"code", "rows"}]}, each list sorted by its key. Returns 0 or an ACDL_E*
 * code with err. Runs on a job thread: it may take as long as an import of the day. */
int discover_day(struct app *app, int64_t source_id, const char *day, json_t **out, char *err,
                 size_t errsz);

/* 1 when a metric's name says it is an average, a ratio or a level (aht, ASA, avg_talk,
 * service_level, abandon_rate, sl_pct, "SL %"): its interval values do not add up. */
int discover_metric_is_average(const char *name);
/* 1 when a metric's name says it is a count or a total time and not an average (handle_time,
 * talk_time, calls, offered, total_wait): its interval values add up. A name that says
 * neither (x1) is neither. */
int discover_metric_is_total(const char *name);

enum discover_what { DISCOVER_QUEUE = 0, DISCOVER_METRIC };

/* What the last discoveries saw (the last DISCOVER_KEEP sources, in memory until a restart):
 * 1 when source_id's last discovery listed name as an external queue or metric, 0 when it did
 * not, -1 when there was no discovery of that source. When names is not NULL, up to max of
 * the names it listed are appended to it (strings). Thread-safe. */
#define DISCOVER_KEEP 32
int discover_seen(int64_t source_id, enum discover_what what, const char *name, json_t *names,
                  size_t max);

#endif
