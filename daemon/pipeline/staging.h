/* staging.h: the write side of one contact-statistics import: values per local day, interval
 * slot, external queue and metric are accumulated in memory, spilled to the run's temporary
 * table as one compact row per day and queue (store/staged.h), and staged in one transaction.
 *
 * Design: a run interns its external queues and metrics to small run-local numbers
 * (staging_queue(), staging_metric()), so adding a value is a hash lookup and an array store.
 * Memory is bounded: the days in memory are spilled (staging_spill()) at the end of every
 * input and whenever they exceed a fixed budget; a day spilled twice in one run is added up
 * key by key. Nothing reaches staged_days before staging_commit(), which in one transaction
 * (or, for large runs, in slices: staging_switch.h)
 * upserts the external queues (ids, names, last seen), merges every spilled day into
 * staged_days key by key (or, for replace_from..replace_to, first deletes the source's days
 * of that period: ODBC queries return whole days) and records the metrics each queue has.
 * So a failed or cancelled run leaves the staged data as it was.
 *
 * One struct staging per run, used by one thread (while streaming, it encodes finished days
 * on a thread of its own, which touches nothing the caller uses). */
#ifndef ACDL_PIPELINE_STAGING_H
#define ACDL_PIPELINE_STAGING_H
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"
#include "store/store.h"

struct staging;

/* Starts the staging of run_id for source_id on c (borrowed, held by the caller until
 * staging_close()); creates or empties the connection's temporary tables. *out is new.
 * Returns 0, ACDL_ENOMEM or ACDL_EDB. */
int staging_open(struct staging **out, struct store_conn *c, int64_t source_id, int64_t run_id);

/* Frees s (NULL is fine); what was not committed is dropped. */
void staging_close(struct staging *s);

/* The run-local number (>= 0) of external queue id[0..idlen) (at most 128 bytes); name (may
 * be NULL) is the queue's display name, the last one given wins. Negative ACDL_E* on error. */
int staging_queue(struct staging *s, const char *id, size_t idlen, const char *name,
                  size_t namelen);

/* The run-local number (>= 0) of metric name (interned in metric_names, outside any
 * transaction: a name costs nothing when unused). Negative ACDL_E* on error. */
int staging_metric(struct staging *s, const char *name);

/* Adds value to (day, slot, queue, metric). The day's grid: base = UTC start of slot 0,
 * step seconds, nslots slots (tz_day_intervals()); slot < nslots. Returns 0 or an ACDL_E*
 * code (ACDL_ENOMEM, or ACDL_EDB when a spill failed). */
int staging_add(struct staging *s, struct tz_date day, int64_t base, int step, int nslots, int slot,
                int queue, int metric, double value);

/* Writes the days in memory to the run's temporary table and frees them. Call it at the end
 * of each input (while streaming it does nothing). Returns 0 or ACDL_EDB / ACDL_ENOMEM. */
int staging_spill(struct staging *s);

/* Streaming, for inputs whose values come ordered by day (an ODBC query ordered by time, CSV
 * files of one day each read in time order):
 * call it after staging_open(), before the first value. A day is finished when a value of a
 * later day comes; finished days (once more than a slice of them is held, and from then on
 * each) are encoded on a thread of their own while the next day comes in, then written to
 * staging_pending of the run's uncommitted switch (staging_switch.h) in short transactions
 * and freed, so nothing piles up to the memory bound and nothing is read
 * back from the temporary table: staging_commit() then only commits the switch and merges.
 * replace_from/replace_to: the days the run replaces (as staging_commit() will be told; both
 * or neither NULL). A value of an earlier day than one seen before ends streaming
 * (staging_stream_fallback()): the days written aside go back to the temporary table and the
 * run goes on as one with unordered rows; so does a single day larger than the memory bound.
 * Not for runs staged whole (zero-fill). A failed run's switch is removed by staging_close(). */
void staging_stream(struct staging *s, const char *replace_from, const char *replace_to);

/* After staging_stream(): a day ordered by time makes a grid for every queue in its first
 * interval, while the thread still encodes the day before, so two days' grids are held for a
 * moment (~10 MB more for 2,000 queues). In a lean run each new grid made while a batch is in
 * flight first encodes a day of that batch on the run's thread, so they never are: for runs
 * whose other buffers leave less room under the memory bound (ODBC: the drivers' fetches on
 * several connections). It costs the encoding's parallelism: the run's thread then encodes
 * most of each day itself (a CSV month ~20 % longer), so other runs leave it off. */
void staging_stream_lean(struct staging *s);

enum { STAGING_UNORDERED = 1, STAGING_OVERFLOW = 2 };

/* Why streaming ended: 0 (it did not, or was never on), STAGING_UNORDERED (a value of *day
 * came after one of the later day *after) or STAGING_OVERFLOW (the values of the day *day
 * alone exceeded the memory bound). */
int staging_stream_fallback(const struct staging *s, struct tz_date *day, struct tz_date *after);

/* Keys (interval, queue, metric) that more than one row gave a value to, so far. */
int64_t staging_overlaps(const struct staging *s);

/* Stages everything (see above); replace_from/replace_to (YYYY-MM-DD, both or neither NULL)
 * name the days to replace whole. in_tx (may be NULL) runs inside the transaction that
 * commits the run's data (e.g. rows_files_commit()) and may fail it. More spilled days than
 * one slice (staging_slice_rows()) are staged in short transactions unless whole is set
 * (pipeline/staging_switch.h): written aside, committed with in_tx in one short transaction,
 * then merged in. Returns 0 or an ACDL_E* code: then nothing was staged, or (sliced, after
 * the commit) the merge is finished later and the run's days stay due for mapping. */
int staging_commit(struct staging *s, const char *replace_from, const char *replace_to, int whole,
                   int (*in_tx)(void *ctx), void *ctx);

/* Zero-fill (call it inside staging_commit(), from in_tx): every interval of the local days
 * from..to (the day grid of tz and minutes, or the grid already staged for that day) that has
 * no staged value gets 0, for each (external queue, metric) that a mapping without averaging
 * reads from this source: inputs of sum mappings and of formulas. Inputs that only feed
 * weighted averages (AHT, ASA, service level) stay absent: an average over no contacts has no
 * value. *filled gets the number of values set, *pairs the number of queue metrics looked at.
 * Returns 0 or an ACDL_E* code. */
int staging_zero_fill(struct staging *s, struct tz *tz, int minutes, struct tz_date from,
                      struct tz_date to, int64_t *filled, int *pairs);

#endif
