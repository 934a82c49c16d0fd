/* agent_follow.h: incremental agent-state sources (settings.incremental): their cursor, the
 * window a poll or a run reads, and what the admin sees of the polls.
 *
 * Design: the cursor is the greatest value of the source's cursor column read so far: for a
 * timestamp column its naive seconds (the database's own wall time, days since 1970-01-01 x
 * 86400 + seconds, fractions cut off), for an id column the id. A poll binds :since = cursor -
 * overlap_s (timestamps) or the greatest id read at least overlap_s seconds ago (ids, kept as
 * marks), and :until = 9999-12-31 23:59:59 or the largest 64-bit number: it reads everything
 * from :since on. With an overlap longer than FOLLOW_NEAR_S + poll_s, most polls read only
 * that near part of it (rows committed within FOLLOW_NEAR_S seconds of their cursor value) and
 * one poll every FOLLOW_DEEP_EVERY_S seconds reads overlap_s + FOLLOW_DEEP_EVERY_S: a row
 * committed up to overlap_s - poll_s late, as before, is still read, at most
 * FOLLOW_DEEP_EVERY_S seconds later, and a poll reads a fraction of the overlap's rows. Only the
 * database's own values are compared with each other, so a clock difference between the database
 * and the daemon moves nothing (the first poll of a timestamp cursor starts reconcile_hours before
 * the daemon's local time; that is the only use of the daemon's clock). What a poll read is staged
 * with the new cursor in the same transaction (in parts in cursor order, each with the cursor at
 * its end: agent_follow_parts, pipeline/agent_import.h), and re-reading the overlap changes
 * nothing: states are keyed by agent and start.
 *
 * A run of such a source (a reconciliation, or one started by hand) reads a window the normal
 * way: for timestamps :since and :until are the run's local days (midnight to midnight), for
 * ids :since is the greatest id read reconcile_hours ago. Its staging removes the states whose
 * cursor lies in that window but that the source no longer returns, and replaces the others.
 *
 * Polls and runs of one source never overlap: both hold the source's follow lock while they
 * read and stage (runs wait for it, the poller skips a source whose lock is taken). */
#ifndef ACDL_PIPELINE_AGENT_FOLLOW_H
#define ACDL_PIPELINE_AGENT_FOLLOW_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"
#include "pipeline/rows.h"
#include "pipeline/source_cfg.h"
#include "store/store.h"

#define FOLLOW_UNTIL_ID INT64_MAX
#define FOLLOW_MARK_EVERY_S 10
#define FOLLOW_NEAR_S 5        /* a near poll reads poll_s + this far behind the cursor */
#define FOLLOW_DEEP_EVERY_S 10 /* the whole overlap (and this much more) this often */

/* The source's follow lock (a fixed table of mutexes by source id). Thread-safe.
 * agent_follow_lock (a run's) also moves the lock's generation: a poll that finds another
 * generation than its last one knows that staged states may have changed behind it. */
void agent_follow_lock(int64_t source_id);
int agent_follow_trylock(int64_t source_id); /* 1 when taken */
void agent_follow_unlock(int64_t source_id);
unsigned agent_follow_generation(int64_t source_id); /* with the lock held */

/* The states a poll read, by a hash of their key (agent, start) and of what the staging
 * compares (end, day, code, name, cursor): after a poll that committed, exactly what is
 * staged for them. The next poll skips a row of the overlap found here with the same content
 * (most of its rows) without any SQLite work. At most FOLLOW_SEEN_MAX states, a table of 16 MiB
 * (beyond that the poll's rows are not remembered, so not skipped, and both tables are given
 * back: a poll that large reads a long day or a backlog, not an overlap). */
#define FOLLOW_SEEN_MAX 500000
struct follow_seen {
    uint64_t *slot; /* pairs key, hash; key 0: empty */
    size_t cap, n;  /* cap: a power of two, 0: none allocated */
};

/* 1 when key is held with hash h (*same) or with another hash (*same 0); 0 when not held. */
int agent_follow_seen_find(const struct follow_seen *t, uint64_t key, uint64_t h, int *same);
/* Holds key with hash h (replacing its hash). Returns 0, or ACDL_ETOOBIG / ACDL_ENOMEM when it
 * cannot (the table is unchanged). */
int agent_follow_seen_put(struct follow_seen *t, uint64_t key, uint64_t h);
/* Holds every key of from in t too, with from's hash. Returns 0, or ACDL_ETOOBIG /
 * ACDL_ENOMEM when t cannot hold them (t then holds a part: do not use it). */
int agent_follow_seen_merge(struct follow_seen *t, const struct follow_seen *from);
/* Empties t. It keeps its memory for the next poll unless that is more than FOLLOW_SEEN_KEEP
 * slots and more than 8 slots for each key its last use held (a large poll, or a long day's
 * first polls, read far more than the overlap holds since): then the memory is given back and
 * the table grows again from nothing as rows come. */
#define FOLLOW_SEEN_KEEP 65536 /* slots (1 MiB) */
void agent_follow_seen_clear(struct follow_seen *t);
void agent_follow_seen_free(struct follow_seen *t);

/* What the poller keeps of one followed source between polls (owned by the poller, zeroed to
 * start, used by one thread at a time): the ODBC connection (rows.h) and what the last poll
 * read (seen, valid for generation gen while have_seen). */
struct agent_follow_keep {
    struct rows_conn_keep conn;
    struct follow_seen seen, next;
    unsigned gen;
    int have_seen;
    int64_t rows_skipped; /* overlap rows skipped by the last poll */
    int64_t deep_ms;      /* monotonic time of the last poll that read the whole overlap */
};

/* Closes the connection and forgets what was read (giving its memory back); the keep can be
 * used again and the next poll reads the whole overlap. Accepts NULL. */
void agent_follow_keep_reset(struct agent_follow_keep *k);
/* The same, when the keep is not used again. */
void agent_follow_keep_free(struct agent_follow_keep *k);

/* The cursor value of the text s (n bytes) for cfg's cursor type: an id (whole number) or a
 * timestamp ("YYYY-MM-DD HH:MM:SS[.fff]"; with an offset it is turned into the source's local
 * time with tz). Returns 0, or ACDL_EINVAL with why. */
int agent_follow_parse(const struct source_cfg *cfg, struct tz *tz, const char *s, size_t n,
                       int64_t *out, char *why, size_t whysz);

/* The window of a poll (from, to NULL) reading overlap_s seconds behind the cursor, or of a
 * run of the local days from..to: *since and *until as above, read from the source's cursor
 * (*cursor, when *have_cursor). Borrowed connection; no transaction. */
int agent_follow_window(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                        struct tz *tz, const char *from, const char *to, int64_t now, int overlap_s,
                        int64_t *since, int64_t *until, int *have_cursor, int64_t *cursor);

/* The overlap a poll of cfg reads now (monotonic now_ms): the near part while the last read
 * of the whole overlap is less than FOLLOW_DEEP_EVERY_S seconds old, else the whole overlap
 * and FOLLOW_DEEP_EVERY_S more (*deep 1). keep NULL, an overlap within the near part or polls
 * as far apart as the deep reads: every poll reads overlap_s. */
int agent_follow_overlap(const struct source_cfg *cfg, const struct agent_follow_keep *keep,
                         int64_t now_ms, int *deep);

/* The bound of a poll. A poll stages the states it read at or behind the stored cursor (the
 * overlap) and, of those beyond it, at most agent_follow_bound_max(): when more were read, the
 * cursor stops at the greatest cursor value whose states (with every state of a smaller
 * value) fit, never between states of one value, and the poller polls again at once. The rest
 * is read again by that poll (it lies beyond the new cursor, inside its overlap) and is not
 * remembered as read (FOLLOW_SEEN_GONE). A poll never stages fewer than a quarter of the
 * states it read beyond the cursor, so a long backlog (a daemon stopped for hours) is caught
 * up in polls that each read at most four times what they stage. */
#define FOLLOW_SEEN_GONE 0 /* a hash no state has: read by a poll, not staged by it */

/* How many of n states read beyond the stored cursor one poll of cfg stages at most. */
size_t agent_follow_bound_max(const struct source_cfg *cfg, size_t n);

/* The bound of n cursor values (of the states read beyond the stored cursor; sorted in place):
 * 1 when more than max were read, with *limit the greatest value such that the values up to
 * it are at most max, or the smallest value when its states alone are more than max, and
 * *kept the number of values up to *limit; 0 (nothing cut) otherwise. */
int agent_follow_bound(int64_t *cursors, size_t n, size_t max, int64_t *limit, size_t *kept);

/* What one poll did. */
struct agent_follow_poll {
    int64_t rows_read, rows_changed, rows_rejected, cursor_nulls;
    int have_cursor;    /* a cursor value was read */
    int64_t max_cursor; /* the greatest one (of what was staged when the poll was bounded) */
    int64_t rows_left;  /* states read beyond the bound, left to the next poll */
    char note[400];     /* the last warning (a rejected row's reason), "" when none */
    int again;          /* poll again at once: a followed file's read stopped at its limit, or
                           the poll was bounded */
};

/* Records a poll: the cursor moves to max_cursor when that is greater, the counters add up,
 * the error (NULL: the poll succeeded) is kept while polls fail. Call it inside the poll's
 * staging transaction when it staged something (so the cursor and the states commit
 * together), else on its own. Returns 0 or ACDL_EDB. */
int agent_follow_record(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                        const struct agent_follow_poll *p, const char *error, int64_t now);

/* A poll's staging in parts (each its own transaction with its own cursor): the changed
 * states' cursor values cur (n, sorted here) are cut into parts of at most max states, never
 * between two equal values (a group larger than max is one part). *ends gets each part's
 * greatest value, ascending (new array, free it; *nparts of them). Returns 0 or ACDL_ENOMEM. */
/* 10,000: a poll that keeps up stages a second of a burst (3,000 states) in one part either
 * way; one that catches up stages a few seconds a part instead of one, so each agent's days
 * are computed and written and the part committed once for them (README, "CPU per staged
 * state": a lower burst p99 than 1,000 at a tenth of a core, at the same CPU or less). */
#define FOLLOW_PART_STATES 10000
int agent_follow_parts(int64_t *cur, size_t n, size_t max, int64_t **ends, size_t *nparts);

/* Moves the stored cursor of source_id to value when that is greater and counts changed states
 * staged (a part of a poll, inside the transaction that staged it; the poll's last part records
 * the poll with agent_follow_record). Returns 0 or ACDL_EDB. */
int agent_follow_advance(struct store_conn *c, int64_t source_id, const struct source_cfg *cfg,
                         int64_t value, int64_t changed);

/* What the API shows of source_id's polls (new reference): {mode ("incremental", or
 * "live_status" with agents: the agents its table showed, and cursor_type, cursor_column and
 * cursor null), cursor_type, cursor_column,
 * cursor (the id, or the timestamp as the database wrote it), polls, last_poll_at, last_rows,
 * last_change_at, rows_read, rows_changed, last_rejected, last_cursor_nulls, last_note, error,
 * error_at, failing_since, next_reconcile_at, last_reconcile_run}, or null before the first
 * poll. Borrowed connection. */
json_t *agent_follow_status_json(struct store_conn *c, int64_t source_id);

#endif
