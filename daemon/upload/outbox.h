/* outbox.h: from changed results to batches.
 *
 * Design: outbox_mark() runs inside the transaction that writes results (pipeline/mapping.c):
 * for every target it compares each result of the window with the value that target was last
 * given (target_cells) and records the changed (queue, interval) pairs in outbox_cells, so no
 * moment exists where a result is stored but not queued. outbox_flush() then packs the queued
 * pairs into batches, in one transaction that also removes them: each row carries the current
 * values of every value type of that queue and interval, a batch carries at most the
 * connector's limit of rows, and its id is the SHA-256 of the target, the rows and their
 * revisions (how often the target's cells changed; a negative revision: the target was last
 * sent the interval without that value, which has none any more), so rebuilding after a
 * crash gives the same id while a value that changes back is still sent. Batches of one
 * target are delivered in id order. */
#ifndef ACDL_UPLOAD_OUTBOX_H
#define ACDL_UPLOAD_OUTBOX_H
#include <stdint.h>

#include "store/store.h"

/* Queues the results of (queue_id, value_type_id) with lo <= interval_start < hi that differ
 * from what each target was last given. Must run inside the caller's transaction. */
int outbox_mark(struct store_conn *c, int64_t queue_id, int64_t value_type_id, int64_t lo,
                int64_t hi, int64_t now);

/* The (target, queue, interval) pairs outbox_mark_in() queued in the caller's open
 * transaction. The value types of one queue are computed by as many mappings, each changing
 * the same intervals: remembered, a pair is inserted into outbox_cells once per transaction
 * instead of once per mapping (the later inserts found it queued and did nothing). What is
 * remembered must be what the transaction holds: outbox_memo_rewind() to a position taken by
 * outbox_memo_mark() before a savepoint forgets the pairs a ROLLBACK TO it undid, and
 * outbox_memo_clear() forgets everything when the transaction ends (committed, the uploader
 * may pack and remove the pairs). It remembers at most a bounded number of pairs; beyond
 * them outbox_mark_in() inserts as outbox_mark() does. */
struct outbox_memo;
struct outbox_memo *outbox_memo_new(void);
void outbox_memo_free(struct outbox_memo *m);
size_t outbox_memo_mark(const struct outbox_memo *m);
void outbox_memo_rewind(struct outbox_memo *m, size_t mark);
void outbox_memo_clear(struct outbox_memo *m);

/* outbox_mark() remembering its pairs in memo (NULL: outbox_mark()). */
int outbox_mark_in(struct store_conn *c, struct outbox_memo *memo, int64_t queue_id,
                   int64_t value_type_id, int64_t lo, int64_t hi, int64_t now);

/* Queues every result of queue_id with lo <= interval_start < hi again for target_id (0: every
 * target), with a new revision per cell, so they are sent again even when unchanged (the
 * batches get new ids): for a resend (resend_id > 0 marks its pairs) and when what a row
 * carries besides the values changes (the queue's identifier, name, channel or interval).
 * Adds the (target, queue, interval) pairs queued to *pairs (may be NULL). Must run inside
 * the caller's transaction. */
int outbox_requeue(struct store_conn *c, int64_t target_id, int64_t queue_id, int64_t lo,
                   int64_t hi, int64_t resend_id, int64_t now, int64_t *pairs);

/* Packs queued pairs older than min_age seconds into batches (own transaction). *made gets the
 * number of batches written (may be NULL). */
int outbox_flush(struct store_conn *c, int64_t now, int64_t min_age, int *made);

/* Retries failed batch id by hand: it becomes pending again, due now. When later batches of
 * its target (made since, in any state) overlap its intervals, the WFM may hold newer values
 * than the ones it carries, so every cell its target was given in its interval range is
 * queued again with a new revision and packed at once: delivered after the retried batch
 * (batches go out in id order), they leave the current values applied. *resent gets the
 * number of (queue, interval) pairs queued again. Returns 0, ACDL_ENOTFOUND, or
 * ACDL_ECONFLICT when the batch is not failed. Own transactions. */
int outbox_retry(struct store_conn *c, int64_t id, int64_t now, int *resent);

/* Agent states: reads the change feed of agent-state results (agent_days.change_seq) after
 * each target's position and writes, per target, one batch of the changed agent days (their
 * spans as they now are; for a connector with agent_spans_changed_only, the spans that differ
 * from what the target last accepted; for a target getting part days, the changed tail of a
 * day it holds) together with the new position, in one transaction. A
 * target's feed makes no batch while one of its feed batches is undelivered, nor (with the
 * connector's agent_period_s, while a source is followed) twice in one period unless a full
 * batch waits: the changes wait
 * in agent_days, coalesced per agent day. A new target starts at the present position. *made
 * gets the batches written (may be NULL). */
int outbox_agents(struct store_conn *c, int64_t now, int *made);

#endif
