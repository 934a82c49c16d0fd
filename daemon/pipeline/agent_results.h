/* agent_results.h: agent-state results: per WFM agent and local day, the spans the WFM should
 * hold, computed from the staged states of every external id mapped to the agent.
 *
 * Design: staged states are kept as the source gave them (start, end or none, code), so a
 * mapping change or a later import only recomputes. Per external id the states become spans:
 * a state without an end lasts until the id's next state (start-only sources; a logout code
 * only ends the state before it), and stays open when there is none yet; a state shorter than
 * the source's minimum duration is dropped and its time goes to the state before it when that
 * one ended exactly where it began. The spans of all the agent's ids are then laid over each
 * other: where they overlap the later-starting one wins and an earlier one that lasts longer
 * resumes after it, so spans never overlap. A hole between two spans within one local day is
 * filled with the built-in "logged_out" activity, so the day's spans leave no gaps from the
 * first start to the last end. Unmapped codes count as the built-in "present". With the
 * source's split_at_midnight a span crossing local midnight is cut there and each part
 * belongs to its day; without, it belongs to the day it starts on.
 *
 * A day's spans are kept as one list in parts of a few hundred bytes (agent_day_parts,
 * schema 0039), beside its small agent_days row: a change from a time on rewrites the part
 * holding it and those after, not the day, and reads only those (each part keeps its first
 * start, the spans before it and the digest's state after them, schema 0040); the activities
 * of the source's codes are read once
 * per transaction, not joined to each state. Every agent and day has a digest in agent_days; when a
 * recomputation changes a day's spans, its change_seq is set to a new, higher number:
 * agent_results_changes() lists the days that changed after a given number (what the delivery
 * to the WFM reads).
 *
 * Called inside a transaction, the recomputation joins it; called outside, it commits every
 * 500 agents (and lets a write that waits go first), so that a recomputation of thousands of
 * agents never holds the database's write lock for long (the mapping routes commit the mapping
 * first; an interrupted recomputation is completed by the source's next run, which recomputes
 * its agents). */
#ifndef ACDL_PIPELINE_AGENT_RESULTS_H
#define ACDL_PIPELINE_AGENT_RESULTS_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct agent_results_stats {
    int64_t agents;       /* agents recomputed */
    int64_t days_changed; /* agent days whose spans changed */
    int64_t spans;        /* spans written for those days */
    int64_t from_change;  /* of the agents, those computed from their change on */
};

/* Recomputes the spans of the WFM agents agents[0..n) for the local days from..to
 * (YYYY-MM-DD; both NULL: every day with staged states of their ids or with results).
 * Adds to *st (may be NULL). Returns 0 or ACDL_EDB / ACDL_ENOMEM. */
int agent_results_apply(struct store_conn *c, const int64_t *agents, int n, const char *from,
                        const char *to, struct agent_results_stats *st);

/* An agent whose states changed from since on (the earliest start a change has, added,
 * changed or removed), or AGENT_SINCE_WHOLE: recompute its whole days. */
struct agent_since {
    int64_t agent_id;
    const char *ext_agent; /* its only external id, of the source; borrowed */
    int64_t since;
};
#define AGENT_SINCE_WHOLE INT64_MIN

/* agent_results_apply() for a followed source's poll, inside the caller's transaction, with
 * the same result: the agents ag[0..n) (ascending agent_id) whose only external id is of
 * source_id and whose days from..to hold what the states before since give. For each, the
 * stored spans before a cut are kept and only the rest is computed, from a few states before
 * since on: the cut is the end of the first segment those states give when the boundary
 * after it depends only on states before since (the next segment's first piece ends before
 * since; no overlapping pieces, no state with an end of its own, a start-only source). Then
 * the states before the cut and so the spans before it are those of the last computation,
 * and from the cut on the few states give what all of them give. The kept days (the one
 * before since's and since's) must also not depend on where a computation began to read: the
 * id has no state before the day before each, or a cut within that day. Where any of this
 * cannot be shown (a day with few states, a change not on the day after from, a state
 * reaching over a whole day, a recomputation pending, AGENT_SINCE_WHOLE) the agent's whole
 * days are computed. The digests are continued over the kept spans' lines, so they and
 * change_seq are what the whole computation gives (tests/unit/test_agent_since.c compares
 * both over randomized polls). */
int agent_results_apply_since(struct store_conn *c, int64_t source_id, const struct agent_since *ag,
                              int n, const char *from, const char *to,
                              struct agent_results_stats *st);

/* Recomputes every WFM agent that has an external id of source_id (source_id 0: every agent),
 * days as above. */
int agent_results_apply_source(struct store_conn *c, int64_t source_id, const char *from,
                               const char *to, struct agent_results_stats *st);

/* A state of an external id given by the caller (agent_results_run_agent); code borrowed,
 * NUL-terminated. */
struct agent_given_state {
    int64_t start, end; /* end AGENT_GIVEN_OPEN: none */
    const char *code;
};
#define AGENT_GIVEN_OPEN INT64_MIN

/* The spans of agents computed from states their caller holds instead of reading them back
 * from agent_staged: a run that has just staged an agent's states in its transaction. One
 * handle per transaction (the activities and the sources' codes are read once). */
struct agent_results_run;
int agent_results_run_open(struct store_conn *c, struct agent_results_run **out);
void agent_results_run_close(struct agent_results_run *u);

/* [*lo, *hi): the starts of source_id's staged states that the days from..to are computed
 * from (a state of the day before or after may reach into them). ACDL_EINVAL when the source's
 * settings are unusable or a day is malformed. */
int agent_results_run_window(struct agent_results_run *u, int64_t source_id, const char *from,
                             const char *to, int64_t *lo, int64_t *hi);

/* Recomputes WFM agent agent_id for the days from..to (as agent_results_apply) from st[0..n):
 * the agent's only external id is of source_id, and st are, in start order, every state of it
 * staged with start in the window (agent_results_run_window; others are passed over). Inside
 * the caller's transaction. */
int agent_results_run_agent(struct agent_results_run *u, int64_t agent_id, int64_t source_id,
                            const char *from, const char *to, const struct agent_given_state *st,
                            size_t n, struct agent_results_stats *stats);

/* One span of a result day; end 0 means still going. */
struct agent_span {
    int64_t start, end;
    int64_t activity_id;
    char activity[129]; /* the activity's identifier */
    int64_t source_id;  /* 0 for a filled hole */
    char code[129];     /* the external code ("" for a filled hole) */
};

/* The spans of agent_id on the local days from..to, ordered by day and start. *out is new
 * (free()); at most limit. Borrowed connection, no transaction needed. */
int agent_results_spans(struct store_conn *c, int64_t agent_id, const char *from, const char *to,
                        int limit, struct agent_span **out, char (**days)[11], int *n);

/* The activities' identifiers, loaded once for many agent_results_spans_with() calls (a batch
 * of many agent days). *out is new (agent_results_acts_free()). */
struct agent_acts;
int agent_results_acts(struct store_conn *c, struct agent_acts **out);
void agent_results_acts_free(struct agent_acts *a);

/* agent_results_spans() with the activities acts loaded before. */
int agent_results_spans_with(struct store_conn *c, const struct agent_acts *acts, int64_t agent_id,
                             const char *from, const char *to, int limit, struct agent_span **out,
                             char (**days)[11], int *n);

/* One span of a stored day as agent_results_day_spans() reads it; end 0: still going,
 * source_id 0: a filled hole. activity points into the acts it was read with. */
struct agent_span_ref {
    int64_t start, end;
    const char *activity; /* the activity's identifier */
    int64_t source_id;
};

/* The spans of agent_id's local day (at most limit, those of deleted activities left out, as
 * agent_results_spans() gives them) in start order, appended to (*buf)[*n..] (capacity *cap,
 * grown as needed; the caller frees *buf). The stored list is read in place: nothing is
 * copied but the numbers. Borrowed connection; the spans' names live as long as acts. */
int agent_results_day_spans(struct store_conn *c, const struct agent_acts *acts, int64_t agent_id,
                            const char *day, int limit, struct agent_span_ref **buf, size_t *cap,
                            size_t *n);

/* agent_results_day_spans() of the day's list parts number part to last (the spans of the
 * other parts not read), appended. */
int agent_results_day_spans_from(struct store_conn *c, const struct agent_acts *acts,
                                 int64_t agent_id, const char *day, int part, int last, int limit,
                                 struct agent_span_ref **buf, size_t *cap, size_t *n);

/* A digest of the activities' identifiers (ids, names and which exist): what the lines of a
 * day's spans are made of besides the spans themselves. */
uint64_t agent_results_acts_digest(const struct agent_acts *a);

/* What a part of a day's list (schema 0040) begins with: its first span's start, the day's
 * spans before it and the state of the day's digest after those. */
struct agent_part_state {
    int part;
    int64_t first_start;
    int spans_before;
    uint64_t digest_before;
};

/* The states of agent_id's day's parts in part order (*out new, free(); none for a day without
 * spans), the day's span count *nspans and its digest *digest (the state after all of its
 * spans). Reads none of the lists. ACDL_ENOTFOUND when a part was written before 0040 and
 * carries no state. */
int agent_results_day_parts(struct store_conn *c, int64_t agent_id, const char *day,
                            struct agent_part_state **out, int *np, int *nspans, uint64_t *digest);

/* A result day that changed. */
struct agent_day_change {
    int64_t agent_id;
    char agent[129]; /* the WFM agent identifier */
    char day[11];
    int64_t change_seq;
    int spans; /* 0: the day has no spans any more (delete it in the WFM) */
    int open;  /* 1: its last span is still going */
};

/* The days whose change_seq is above after_seq, in change_seq order, at most limit. *out is
 * new (free()). */
int agent_results_changes(struct store_conn *c, int64_t after_seq, int limit,
                          struct agent_day_change **out, int *n);

/* The agent days queued for target_id by its oldest resend still queued (outbox_agent_days):
 * *resend_id gets that resend (0 when nothing is queued), *out (new, free()) at most limit of
 * its days in agent and day order, as agent_results_changes() gives them. */
int agent_results_queued(struct store_conn *c, int64_t target_id, int limit, int64_t *resend_id,
                         struct agent_day_change **out, int *n);

#endif
