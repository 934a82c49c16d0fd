/* schedules.c (routes): /api/v1/schedules: when runs of a source start by themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "sched/scheduler.h"
#include "sched/runner.h"
#include "store/runs.h"
#include "store/schedules.h"
#include "store/sources.h"

static json_t *schedule_json(const struct store_schedule *s)
{
    json_t *o = json_pack(
        "{s:I, s:{s:I, s:s, s:s, s:b}, s:s, s:b, s:b, s:o, s:o, s:o}", "id", (json_int_t)s->id,
        "source", "id", (json_int_t)s->source_id, "name", s->source_name, "time_zone", s->source_tz,
        "enabled", s->source_enabled, "kind", s->kind, "enabled", s->enabled, "zero_fill",
        s->zero_fill, "next_run_at", s->enabled ? json_time(s->next_run_at) : json_null(),
        "last_run_id", s->last_run_id ? json_integer(s->last_run_id) : json_null(), "created_at",
        json_time(s->created_at));
    if (!strcmp(s->kind, "every")) {
        json_object_set_new(o, "every_minutes", json_integer(s->every_minutes));
        json_object_set_new(o, "offset_minutes", json_integer(s->offset_minutes));
    } else {
        json_object_set_new(o, "daily_at", json_string(s->daily_at));
        json_object_set_new(o, "days_back", json_integer(s->days_back));
    }
    return o;
}

/* Validates the rule in s and plans its next firing; answers 422 and returns it when bad. */
static int plan(struct req *r, struct store_schedule *s)
{
    struct schedule_rule rule;
    struct tz *tz = NULL;
    if (!strcmp(s->kind, "every")) {
        if (s->every_minutes < 5 || s->every_minutes > 1440) {
            return reply_error(r, 422, "invalid_field", "e.g. 15 for every quarter-hour",
                               "every_minutes: must be from 5 to 1440");
        }
        if (s->offset_minutes < 0 || s->offset_minutes >= s->every_minutes) {
            return reply_error(r, 422, "invalid_field",
                               "minutes after each interval boundary, e.g. 5",
                               "offset_minutes: must be from 0 to every_minutes - 1");
        }
        s->daily_at[0] = '\0';
    } else if (!strcmp(s->kind, "daily")) {
        int minute;
        if (schedule_parse_hhmm(s->daily_at, &minute) != ACDL_OK) {
            return reply_error(r, 422, "invalid_field", "use HH:MM, e.g. 06:30",
                               "daily_at: '%.8s' is not a time of day", s->daily_at);
        }
        if (s->days_back < 1 || s->days_back > 400) {
            return reply_error(r, 422, "invalid_field", "e.g. 1 for yesterday",
                               "days_back: must be from 1 to 400");
        }
        s->every_minutes = 0;
        s->offset_minutes = 0;
    } else {
        return reply_error(r, 422, "invalid_field", "use every or daily",
                           "kind: '%.10s' is not every or daily", s->kind);
    }
    if (scheduler_rule(s, &rule) != ACDL_OK || tz_open(s->source_tz, &tz) != ACDL_OK ||
        schedule_next(tz, &rule, plat_now(), &s->next_run_at) != ACDL_OK) {
        tz_close(tz);
        return reply_error(r, 422, "invalid_field", "check the rule", "the schedule never fires");
    }
    tz_close(tz);
    return 0;
}

static int fill(struct req *r, struct store_schedule *s, int create)
{
    const char *kind = NULL, *daily_at = NULL;
    int every = -1, offset = -1, days_back = -1, enabled = -1;
    json_int_t source_id = 0;
    json_t *jenabled = NULL, *jzero = NULL;
    json_error_t jerr;
    int rc =
        create ? json_unpack_ex(r->body, &jerr, JSON_STRICT,
                                "{s:I, s:s, s?i, s?i, s?s, s?i, s?o, s?o}", "source_id", &source_id,
                                "kind", &kind, "every_minutes", &every, "offset_minutes", &offset,
                                "daily_at", &daily_at, "days_back", &days_back, "enabled",
                                &jenabled, "zero_fill", &jzero)
               : json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?i, s?i, s?s, s?i, s?o, s?o}",
                                "kind", &kind, "every_minutes", &every, "offset_minutes", &offset,
                                "daily_at", &daily_at, "days_back", &days_back, "enabled",
                                &jenabled, "zero_fill", &jzero);
    if (rc != 0) {
        return reply_error(r, 422, "invalid_field",
                           "every: {source_id, kind: \"every\", every_minutes, offset_minutes}; "
                           "daily: {source_id, kind: \"daily\", daily_at: \"HH:MM\", days_back}",
                           "%s", jerr.text);
    }
    if (jenabled) {
        if (!json_is_boolean(jenabled)) {
            return reply_error(r, 422, "invalid_field", "use true or false",
                               "enabled: must be a boolean");
        }
        enabled = json_is_true(jenabled);
    }
    if (jzero && !json_is_boolean(jzero)) {
        return reply_error(r, 422, "invalid_field",
                           "true: the runs it queues give 0 to intervals without source data",
                           "zero_fill: must be a boolean");
    }
    if (create) {
        struct store_source src;
        struct store_conn *c = store_acquire(r->app->store);
        int grc = store_source_get(c, source_id, &src);
        store_release(r->app->store, c);
        if (grc != ACDL_OK) {
            return reply_error(r, 422, "invalid_field", "list the sources to find the id",
                               "source_id: no source %lld", (long long)source_id);
        }
        s->source_id = source_id;
        snprintf(s->source_name, sizeof(s->source_name), "%s", src.name);
        snprintf(s->source_tz, sizeof(s->source_tz), "%s", src.time_zone);
        store_source_clear(&src);
        s->enabled = 1;
        s->days_back = 1;
    }
    if (kind) {
        snprintf(s->kind, sizeof(s->kind), "%.7s", kind);
    }
    /* Presence, not a sentinel value, says a field was sent: -1 is refused like any bad value. */
    if (json_object_get(r->body, "every_minutes")) {
        s->every_minutes = every;
    }
    if (json_object_get(r->body, "offset_minutes")) {
        s->offset_minutes = offset;
    }
    if (daily_at) {
        snprintf(s->daily_at, sizeof(s->daily_at), "%.5s", daily_at);
        if (strlen(daily_at) > 5) {
            s->daily_at[0] = 'x'; /* refused by plan() */
        }
    }
    if (json_object_get(r->body, "days_back")) {
        s->days_back = days_back;
    }
    if (enabled != -1) {
        s->enabled = enabled;
    }
    if (jzero) {
        s->zero_fill = json_is_true(jzero);
    }
    /* A field of the other kind would be dropped silently: refuse it instead. */
    static const char *const every_only[] = {"every_minutes", "offset_minutes", NULL};
    static const char *const daily_only[] = {"daily_at", "days_back", NULL};
    int is_every = !strcmp(s->kind, "every");
    for (const char *const *f = is_every ? daily_only : every_only;
         (is_every || !strcmp(s->kind, "daily")) && *f; f++) {
        if (json_object_get(r->body, *f)) {
            return reply_error(r, 422, "invalid_field",
                               is_every ? "an every schedule has every_minutes and offset_minutes"
                                        : "a daily schedule has daily_at and days_back",
                               is_every ? "%s: only daily schedules have it"
                                        : "%s: only every schedules have it",
                               *f);
        }
    }
    return plan(r, s);
}

int route_schedules_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_schedule *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "schedules");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, schedule_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_schedules_create(struct req *r)
{
    struct store_schedule s;
    int64_t id;
    int st;
    memset(&s, 0, sizeof(s));
    if ((st = fill(r, &s, 1)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_add(c, &s, plat_now(), &id);
    if (rc == ACDL_OK) {
        rc = store_schedule_get(c, id, &s);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "schedule");
    }
    http_audit(r, "schedule.create", s.source_name, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/schedules/%lld", (long long)id);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, schedule_json(&s));
}

int route_schedules_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_schedule s;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_get(c, id, &s);
    store_release(r->app->store, c);
    return rc == ACDL_OK ? reply_json(r, 200, schedule_json(&s)) : reply_rc(r, rc, "schedule");
}

int route_schedules_update(struct req *r)
{
    int64_t id;
    int st;
    struct store_schedule s;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_get(c, id, &s);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "schedule");
    }
    r->audit_before = schedule_json(&s);
    if ((st = fill(r, &s, 0)) != 0) {
        return st;
    }
    c = store_acquire(r->app->store);
    rc = store_schedule_update(c, &s, plat_now());
    if (rc == ACDL_OK) {
        rc = store_schedule_get(c, id, &s);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "schedule");
    }
    json_t *now = schedule_json(&s);
    http_audit(r, "schedule.update", s.source_name, "ok", http_audit_update(r, now, id));
    return reply_json(r, 200, now);
}

int route_schedules_delete(struct req *r)
{
    int64_t id;
    int st;
    struct store_schedule s;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_get(c, id, &s);
    if (rc == ACDL_OK) {
        rc = store_schedule_delete(c, id);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "schedule");
    }
    http_audit(r, "schedule.delete", s.source_name, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    return reply_empty(r, 204);
}

/* Run now: the run the next firing would queue, at once; the planned firing stays. */
int route_schedules_run(struct req *r)
{
    int64_t id, run_id = 0;
    int st;
    struct store_schedule s;
    struct store_source src;
    struct store_run run;
    char who[96], from[11] = "", to[11] = "";
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    snprintf(who, sizeof(who), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "", r->auth.name);
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_get(c, id, &s);
    if (rc == ACDL_OK) {
        rc = store_source_get(c, s.source_id, &src);
    }
    if (rc != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_rc(r, rc, "schedule");
    }
    int enabled = src.enabled;
    store_source_clear(&src);
    if (!enabled) {
        store_release(r->app->store, c);
        return reply_error(r, 409, "conflict", "enable the source first",
                           "the source '%s' is disabled", s.source_name);
    }
    rc = scheduler_run_now(c, &s, who, plat_now(), from, to, &run_id);
    if (rc == ACDL_OK) {
        rc = store_run_get(c, run_id, &run);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "wait for it on the Runs page",
                           "a run of '%s' for %s .. %s is queued already", s.source_name, from, to);
    }
    if (rc == ACDL_EINVAL) {
        return reply_error(r, 422, "invalid_field", "check the source's time zone",
                           "time_zone: the schedule's period cannot be computed in '%s'",
                           s.source_tz);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "run");
    }
    runner_wake(r->app->runner);
    http_audit(r, "schedule.run", s.source_name, "ok",
               json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)id, "run", (json_int_t)run_id,
                         "from", from, "to", to));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/runs/%lld", (long long)run_id);
    reply_header(r, "Location", loc);
    return reply_json(r, 202, route_run_json(&run));
}
