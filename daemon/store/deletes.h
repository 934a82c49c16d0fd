/* deletes.h: what deleting a source or a WFM queue takes with it, counted and (when allowed)
 * deleted in one transaction.
 *
 * A source is referenced by the mappings that read it (they go whole: a mapping that lost some
 * of its inputs would compute other values under the same name) and by its schedules; a WFM
 * queue by its mappings, its results and the intervals waiting to be packed for the targets.
 * Deleting a referenced object needs cascade; then the mappings go with their results and
 * pending recomputations, the weighted averages that took weights from them are recomputed,
 * and for an agent-state source the WFM agents whose states it gave are recomputed (their
 * changed days are delivered again). Values already delivered to a target stay in the WFM:
 * acdlink never withdraws them, so their number is counted for the answer. All functions
 * borrow a held connection. */
#ifndef ACDL_STORE_DELETES_H
#define ACDL_STORE_DELETES_H
#include <stdint.h>

#include "store/store.h"

#define STORE_DELETE_LIST_MAX 20 /* mappings and schedules named by id (the rest are counted) */

struct store_delete_mapping {
    int64_t id;
    char queue[129];     /* the WFM queue's identifier */
    char value_type[65]; /* the value type's key */
};

struct store_delete_schedule {
    int64_t id;
    char kind[8];      /* every | daily */
    int every_minutes; /* every */
    char daily_at[6];  /* daily: HH:MM */
};

struct store_delete_counts {
    int64_t mappings;     /* mappings that go (whole) */
    int64_t results;      /* results of them (a queue: all its results) */
    int64_t delivered;    /* values targets were given for them, which stay in the WFM */
    int64_t outbox_cells; /* intervals not yet packed into batches (queue) */
    int64_t schedules;    /* schedules of the source */
    int64_t staged_days;  /* staged days (external queue x local day) of the source */
    int64_t agent_states; /* staged agent states of the source */
    int64_t agents;       /* WFM agents whose states are recomputed */
    int64_t runs;         /* runs of the source (history) */
    int64_t active_runs;  /* of them queued or running */
    int64_t recomputes;   /* recomputations recorded (weighted averages, agents) */
    int n_mapping_list, n_schedule_list;
    struct store_delete_mapping mapping_list[STORE_DELETE_LIST_MAX];
    struct store_delete_schedule schedule_list[STORE_DELETE_LIST_MAX];
};

/* 1 when deleting needs cascade (something else would go with the object). */
int store_delete_referenced(const struct store_delete_counts *n);

/* Counts (into *out) what deleting source id would take. ACDL_ENOTFOUND when it does not exist. */
int store_source_delete_plan(struct store_conn *c, int64_t id, struct store_delete_counts *out);
int store_queue_delete_plan(struct store_conn *c, int64_t id, struct store_delete_counts *out);

/* Deletes source id in one transaction: counts first (into *out); when it is referenced and
 * cascade is 0, or a run of it is queued or running, nothing is deleted and ACDL_ECONFLICT is
 * returned (out->active_runs tells which). Otherwise deletes it with everything counted and
 * returns ACDL_OK. ACDL_ENOTFOUND when it does not exist. */
int store_source_delete_checked(struct store_conn *c, int64_t id, int cascade, int64_t now,
                                struct store_delete_counts *out);
/* The same for WFM queue id. */
int store_queue_delete_checked(struct store_conn *c, int64_t id, int cascade, int64_t now,
                               struct store_delete_counts *out);

#endif
