/* schedules.h: the schedules table. All functions borrow a held connection. */
#ifndef ACDL_STORE_SCHEDULES_H
#define ACDL_STORE_SCHEDULES_H
#include <stdint.h>

#include "store/store.h"

struct store_schedule {
    int64_t id, source_id;
    char source_name[65];
    char source_tz[65];
    char kind[8];
    int every_minutes;   /* 0 for daily */
    int offset_minutes;
    char daily_at[6];    /* "" for every */
    int days_back;
    int enabled;
    int zero_fill;       /* the runs it queues zero-fill (store_run.zero_fill) */
    int64_t next_run_at; /* 0: not planned */
    int64_t last_run_id; /* 0: none yet */
    int64_t created_at, updated_at;
    int source_enabled; /* the source's own switch: a disabled source's schedules never fire */
};

int store_schedule_add(struct store_conn *c, const struct store_schedule *s, int64_t now,
                       int64_t *id);
int store_schedule_get(struct store_conn *c, int64_t id, struct store_schedule *out);
int store_schedule_list(struct store_conn *c, int64_t after_id, int limit,
                        struct store_schedule **out, int *n);
/* Replaces the rule, enabled and next_run_at. */
int store_schedule_update(struct store_conn *c, const struct store_schedule *s, int64_t now);
int store_schedule_delete(struct store_conn *c, int64_t id);
/* Enabled schedules due at now (next_run_at <= now), at most limit. *out is new. */
int store_schedule_due(struct store_conn *c, int64_t now, int limit, struct store_schedule **out,
                       int *n);
/* Records a firing: the run it queued (0: none) and the next time. */
int store_schedule_fired(struct store_conn *c, int64_t id, int64_t run_id, int64_t next);
/* The earliest next firing of the source's enabled schedules (0: none, or the source is
 * disabled). */
int store_schedule_next_of_source(struct store_conn *c, int64_t source_id, int64_t *next);

#endif
