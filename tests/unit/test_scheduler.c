/* test_scheduler.c: component test of the scheduler (sched/scheduler.c) on a real database:
 * a due schedule queues one run for its period and plans its next firing; a run still queued
 * for the same period is not queued twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "core/err.h"
#include "platform/platform.h"
#include "sched/scheduler.h"
#include "store/runs.h"
#include "store/schedules.h"
#include "store/sources.h"

static void test_tick(void)
{
    char dir[] = "/tmp/acdl-sched-XXXXXX", path[128], err[512];
    struct app app;
    struct store_source src;
    struct store_schedule s;
    int64_t source_id, sched_id, now;
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return;
    }
    memset(&app, 0, sizeof(app));
    snprintf(path, sizeof(path), "%s/acdlink.db", dir);
    if (!CHECK_EQ_INT(store_open(path, 2, &app.store, err, sizeof(err)), ACDL_OK)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    struct store_conn *c = store_acquire(app.store);
    memset(&src, 0, sizeof(src));
    snprintf(src.name, sizeof(src.name), "S");
    snprintf(src.kind, sizeof(src.kind), "csv");
    snprintf(src.product, sizeof(src.product), "contacts");
    snprintf(src.layout, sizeof(src.layout), "interval");
    snprintf(src.time_zone, sizeof(src.time_zone), "Europe/Berlin");
    src.interval_minutes = 15;
    src.enabled = 1;
    src.settings = "{}";
    CHECK_EQ_INT(store_source_add(c, &src, 1000, &source_id), ACDL_OK);

    /* daily at 06:30 Berlin for the previous 2 days, due at 2026-11-24 06:30 (05:30Z) */
    plat_time_parse_iso("2026-11-24T05:30:00Z", &now);
    memset(&s, 0, sizeof(s));
    s.source_id = source_id;
    snprintf(s.kind, sizeof(s.kind), "daily");
    snprintf(s.daily_at, sizeof(s.daily_at), "06:30");
    s.days_back = 2;
    s.enabled = 1;
    s.zero_fill = 1; /* the runs it queues carry the option */
    s.next_run_at = now;
    CHECK_EQ_INT(store_schedule_add(c, &s, 1000, &sched_id), ACDL_OK);
    store_release(app.store, c);

    CHECK_EQ_INT(scheduler_tick(&app, now + 2), 1);
    c = store_acquire(app.store);
    struct store_run *runs = NULL;
    int n = 0;
    CHECK_EQ_INT(store_run_list(c, 0, source_id, NULL, 10, &runs, &n), ACDL_OK);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(runs[0].trigger, "schedule");
        CHECK_EQ_STR(runs[0].period_from, "2026-11-22");
        CHECK_EQ_STR(runs[0].period_to, "2026-11-23");
        CHECK_EQ_STR(runs[0].state, "queued");
        CHECK_EQ_INT(runs[0].zero_fill, 1);
    }
    free(runs);
    CHECK_EQ_INT(store_schedule_get(c, sched_id, &s), ACDL_OK);
    char buf[32];
    plat_time_iso(s.next_run_at, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2026-11-25T05:30:00Z");
    CHECK(s.last_run_id > 0);
    CHECK_EQ_INT(s.zero_fill, 1);
    /* not due: nothing happens */
    store_release(app.store, c);
    CHECK_EQ_INT(scheduler_tick(&app, now + 60), 0);
    /* due again while the first run is still queued for the same period: not queued twice */
    c = store_acquire(app.store);
    s.next_run_at = now;
    store_schedule_update(c, &s, 1000);
    store_release(app.store, c);
    CHECK_EQ_INT(scheduler_tick(&app, now + 120), 0);
    c = store_acquire(app.store);
    CHECK_EQ_INT(store_schedule_get(c, sched_id, &s), ACDL_OK);
    CHECK(s.next_run_at > now + 120); /* but planned again */
    store_release(app.store, c);
    store_close(app.store);
}

int main(void)
{
    RUN(test_tick);
    return check_summary();
}
