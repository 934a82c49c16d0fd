/* overview.h: the appliance at a glance (GET /api/v1/overview, the console's home page): per
 * source its last run, next scheduled run and health with reasons; per target its backlog, last
 * success and last error; today's offered and handled contacts per interval of the WFM queues.
 * A handful of queries, whatever the number of sources, targets and queues. */
#ifndef ACDL_OPS_OVERVIEW_H
#define ACDL_OPS_OVERVIEW_H
#include <stdint.h>

#include <jansson.h>

#include "app.h"

/* Builds the overview at now (UTC seconds). queue_id > 0 adds that WFM queue's own series of
 * the day ("volumes.series"); 0 leaves it null. *out is new (caller frees with json_decref()).
 * Returns 0, ACDL_EDB when the database fails, ACDL_ENOMEM. Thread-safe (borrows a pooled
 * connection). */
int overview_collect(struct app *app, int64_t now, int64_t queue_id, json_t **out);

#endif
