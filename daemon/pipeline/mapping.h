/* mapping.h: computing results (per WFM queue, value type and interval) from staged values.
 *
 * A mapping's inputs p1 .. pn are staged values (source, external queue, metric) of the same
 * interval. Without a formula the value type decides: "sum" adds the inputs that have a value;
 * "weighted" (AHT, ASA, service level) is the average weighted by the value type's weight
 * (e.g. handled) of each input's external queue, taken from the mapping of the weight type of
 * the same WFM queue. A formula is a safe SQLite expression over p1 .. pn, weekday (Monday =
 * 1) and minute_of_day (local to the WFM queue); a missing input is NULL and a division by
 * zero gives no value. Intervals where nothing has a value get no result. */
#ifndef ACDL_PIPELINE_MAPPING_H
#define ACDL_PIPELINE_MAPPING_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define MAPPING_MAX_INPUTS 32

/* Recomputes the results of mapping id for the staged local days from..to of its sources
 * (both NULL: every staged day), replacing the results of that window (writing only the rows
 * that changed) and queueing the changed ones for delivery, in one transaction that also reads
 * the mapping and the staged values. *written gets the number of results. Returns 0,
 * ACDL_ENOTFOUND (no such mapping), ACDL_EINVAL (e.g. a weighted mapping whose weights are not
 * mapped) or ACDL_EDB; err always says why on failure. */
int mapping_compute(struct store_conn *c, int64_t id, const char *from, const char *to,
                    int64_t *written, char *err, size_t errsz);

/* At most this many failed mappings of one run are recorded one by one. */
#define MAPPING_MAX_FAILED 256

/* Recomputes every mapping with an input from source_id for from..to, several mappings to a
 * transaction (up to 64, or 200 ms of work), each in a savepoint of its own; mappings that
 * follow each other with the same input read its staged days once. Errors of single
 * mappings are written to err (the first) and counted in *failed, their ids in
 * failed_ids[0..max_failed); the others still run (a commit that fails counts every mapping
 * of its transaction as failed). Returns 0, or ACDL_EDB / ACDL_ENOMEM when
 * the mappings cannot even be listed. */
int mapping_apply_source(struct store_conn *c, int64_t source_id, const char *from, const char *to,
                         int64_t *written, int64_t *failed_ids, int *failed, int max_failed,
                         char *err, size_t errsz);

/* Records, inside the caller's (staging) transaction, that run_id staged the local days
 * from..to and their results are still to be computed. */
int mapping_mark_due(struct store_conn *c, int64_t run_id, const char *from, const char *to);

/* Computes what mapping_mark_due() recorded for run_id (nothing when nothing is due), as
 * mapping_apply_source() does, then, in one transaction, records each failed mapping as a
 * recompute of those days (store/recomputes.h) and clears the run's days; so a crash between
 * staging and mapping is made good when the interrupted run runs again (or by
 * pipeline/recompute.c once the run has ended), and a failed mapping is retried. written and
 * failed as there. Returns 0, or the code that left the days due on the run. */
int mapping_apply_due(struct store_conn *c, int64_t run_id, int64_t source_id, int64_t *written,
                      int *failed, char *err, size_t errsz);

/* Checks a weighted mapping's weights: for each input, the weight type's mapping of the same
 * WFM queue must have an input with the same source and external queue. Returns 0 or
 * ACDL_EINVAL with err naming the input. */
int mapping_check_weights(struct store_conn *c, int64_t id, char *err, size_t errsz);

#endif
