/* staged.h: staged contact statistics, one row per source, external queue and local day
 * (table staged_days), the values of all the day's intervals and metrics in one compact blob.
 *
 * Design: an import stages ~200k values per day; one SQLite row per value (text keys, written
 * twice) made the store the bottleneck. A day's grid is regular in UTC (tz_day_intervals():
 * slot i starts at base + i * step), so a day is stored as a grid: per metric (interned in
 * metric_names, an integer id) a presence bitmap over the slots and the present values.
 *
 * Blob format, version 1 (all varints are unsigned LEB128, zz = zigzag for signed):
 *   u8 1 | varint zz(base) | varint step_s (1..86400) | varint nslots (1..STAGED_MAX_SLOTS) |
 *   varint nmetrics, then nmetrics sections, metric ids strictly ascending:
 *     varint metric_id | varint len (bytes that follow in this section) |
 *     bitmap[(nslots + 7) / 8] (bit i of byte i/8 = slot i has a value; spare bits 0) |
 *     one value per set bit, in slot order: varint u with tag u & 3:
 *       0: integer zz(u >> 2); 1: zz(u >> 2) / 10; 2: zz(u >> 2) / 100 (exact decimals as
 *       exports write them: "187,4"); 3: u == 3 and the IEEE-754 double follows (8 bytes LE).
 * The encoder picks the shortest tag that decodes to the same double, bit for bit.
 *
 * Merging (staged_day_merge) is key by key, a key being (slot, metric): a later import
 * replaces the keys it holds and keeps the others, so CSV files with parts of a day add up;
 * within one run keys are added up. Grids that differ (the source's interval or zone changed
 * between imports) do not merge: the newer day replaces the older one whole.
 *
 * Not thread-safe per struct; no global state. */
#ifndef ACDL_STORE_STAGED_H
#define ACDL_STORE_STAGED_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

#define STAGED_MAX_SLOTS TZ_DAY_INTERVALS_MAX
#define STAGED_MAX_BLOB (16 * 1024 * 1024)

/* The values of one metric over the day's slots. */
struct staged_series {
    int64_t metric;
    double v[STAGED_MAX_SLOTS];
    uint8_t has[STAGED_MAX_SLOTS]; /* 0: no value */
};

/* One source x external queue x local day, decoded. Zero it before first use; free its
 * series with staged_day_clear(). */
struct staged_day {
    int64_t base; /* UTC start of slot 0 */
    int step;     /* seconds per slot */
    int nslots;
    int n, cap;
    struct staged_series **s; /* n series, metric ids ascending; owned */
};

/* Empties d (keeps nothing allocated). */
void staged_day_clear(struct staged_day *d);

/* Sets the grid and drops every series. */
void staged_day_reset(struct staged_day *d, int64_t base, int step, int nslots);

/* The series of metric in d, created (empty) when create and absent; NULL when absent and
 * not create, or out of memory. Borrowed: valid until d changes. */
struct staged_series *staged_day_series(struct staged_day *d, int64_t metric, int create);

/* Decodes blob (n bytes) into d (replacing what it held). ACDL_EINVAL for anything that is
 * not a well-formed version-1 blob, ACDL_ENOMEM. */
int staged_day_decode(struct staged_day *d, const void *blob, size_t n);

/* Encodes d into *out (new: free()) of *n bytes; series without values are left out.
 * ACDL_ENOMEM. */
int staged_day_encode(const struct staged_day *d, uint8_t **out, size_t *n);

/* Merges from into d: add = 0 replaces d's keys by from's (and keeps the others), add = 1 adds
 * the values of keys both hold (*overlaps, if not NULL, counts those). Different grids: d
 * becomes a copy of from. ACDL_ENOMEM. */
int staged_day_merge(struct staged_day *d, const struct staged_day *from, int add,
                     int64_t *overlaps);

/* Calls fn(ctx, utc, value) for every value of metric_id in blob, in slot order, without
 * decoding the other metrics. Returns 0, ACDL_EINVAL for a malformed blob, or what fn
 * returned when not 0 (which stops the walk). */
int staged_blob_values(const void *blob, size_t n, int64_t metric_id,
                       int (*fn)(void *ctx, int64_t utc, double value), void *ctx);

/* The metric ids a blob holds, into ids (up to max; *count gets the total). Returns 0 or
 * ACDL_EINVAL. */
int staged_blob_metrics(const void *blob, size_t n, int64_t *ids, int max, int *count);

/* Registers the SQL functions of the staged layout on db:
 *   acdl_staged_merge(old BLOB, new BLOB) -> BLOB: staged_day_merge() with add = 0 (old may
 *     be NULL);
 *   acdl_staged_pack(time_zone, interval_minutes, day, interval_start, metric_id, value):
 *     an aggregate building the blob of one day from per-value rows (used by the migration
 *     of the old per-value table; values off the interval grid fall back to a 15-minute
 *     grid, values outside the day are dropped).
 * Returns 0 or ACDL_EDB. */
int staged_register(sqlite3 *db);

#endif
