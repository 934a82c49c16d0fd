/* agent_live.h: the live board: every agent's current state, read from the staged states.
 *
 * Design: "current" is defined on the staged states, not on the computed spans, so the board
 * shows a state as soon as a run (or a fast poll) has staged it, before any recomputation,
 * and shows unknown external ids too. Per external id (source, ext_agent) the current state is
 * its staged state with the latest start that is not after now (a state that starts in the
 * future is not current yet). A WFM agent with several external ids takes the latest of
 * theirs (equal starts: the higher source id, then the higher external id); an external id
 * that is not mapped to a WFM agent is an agent of its own. That state gives the status:
 *   - logged_out: its code is one of the source's logout_activities (start-only sources, where
 *     a logout ends the state before it), or its code is mapped to the built-in "logged_out"
 *     activity; since = its start;
 *   - ended: it has an end and the end is not after now (nothing is known since); the agent
 *     counts as logged out; since = its end;
 *   - in_state: otherwise (no end yet, or an end after now); activity = the code's WFM
 *     activity (the built-in "present" when the code is not mapped); since = its start;
 *   - no_state: a WFM agent with no staged state that has begun.
 * Reads only: one statement seeks every external id's latest state on agent_staged's primary
 * key (source_id, ext_agent, start), so the board costs one index seek per external id,
 * whatever the number of staged states. */
#ifndef ACDL_PIPELINE_AGENT_LIVE_H
#define ACDL_PIPELINE_AGENT_LIVE_H
#include <stdint.h>

#include "store/store.h"

enum agent_live_status {
    LIVE_IN_STATE = 0,
    LIVE_LOGGED_OUT,
    LIVE_ENDED,
    LIVE_NO_STATE,
    LIVE_NSTATUS
};

/* One agent on the board. The strings are borrowed: valid during the callback only. */
struct agent_live_row {
    int64_t agent_id;       /* the WFM agent; 0 for an external id not mapped to one */
    const char *identifier; /* the WFM agent's identifier; NULL when not mapped */
    const char *name;       /* the WFM agent's name; NULL when none */
    int64_t source_id;      /* of the current state's external id; 0 with LIVE_NO_STATE */
    const char *ext_agent;  /* NULL with LIVE_NO_STATE */
    const char *code;       /* the current state's external activity code; NULL: no state */
    int64_t activity_id;    /* the WFM activity the agent is in now; 0 with LIVE_NO_STATE */
    int64_t start, end;     /* the current state's start and end (0: none) */
    int64_t since;          /* when the agent entered activity_id (0 with LIVE_NO_STATE) */
    enum agent_live_status status;
};

typedef int (*agent_live_fn)(const struct agent_live_row *row, void *ctx);

/* The status's name in the API ("in_state", "logged_out", "ended", "no_state"). */
const char *agent_live_status_name(enum agent_live_status s);

/* Calls fn for every agent on the board as of now (Unix seconds), ordered by WFM agent
 * identifier, then the unmapped external ids by source and id. A non-zero return of fn stops
 * the scan and is returned. Borrowed connection; reads only. Returns 0 or ACDL_EDB /
 * ACDL_ENOMEM. */
int agent_live_scan(struct store_conn *c, int64_t now, agent_live_fn fn, void *ctx);

/* The colour the console gives an activity ("#2f6fb0"): one of 8 picked by its identifier (the
 * agent timeline's palette), grey for the built-in logged_out. Static text. */
const char *agent_live_colour(const char *identifier, int logged_out);

#endif
