/* activities.c (routes): /api/v1/activities (the WFM's activities) and /api/v1/activity-codes
 * (the external codes agent-state sources have shown, and which activity each one maps to).
 * Every mapping change recomputes the agent spans it affects in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "pipeline/agent_results.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "store/activities.h"
#include "store/recomputes.h"
#include "store/sources.h"

static json_t *activity_json(const struct store_activity *a)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)a->id, "identifier",
                     a->identifier, "name", a->name, "builtin",
                     a->builtin[0] ? json_string(a->builtin) : json_null(), "created_at",
                     json_time(a->created_at), "updated_at", json_time(a->updated_at));
}

static int fill_activity(struct req *r, struct store_activity *a, int partial)
{
    const char *identifier = NULL, *name = NULL, *why;
    json_error_t jerr;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, partial ? "{s?s, s?s}" : "{s:s, s:s}",
                       "identifier", &identifier, "name", &name) != 0) {
        return reply_error(r, 422, "invalid_field", "send identifier and name", "%s", jerr.text);
    }
    if (identifier) {
        if ((why = route_check_text(identifier, 128)) != NULL) {
            return reply_error(r, 422, "invalid_field", "use the activity's identifier in the WFM",
                               "identifier: %s", why);
        }
        snprintf(a->identifier, sizeof(a->identifier), "%s", identifier);
    }
    if (name) {
        if ((why = route_check_text(name, 256)) != NULL) {
            return reply_error(r, 422, "invalid_field", "give the activity a readable name",
                               "name: %s", why);
        }
        snprintf(a->name, sizeof(a->name), "%s", name);
    }
    return 0;
}

int route_activities_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_activity *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activities");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, activity_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_activities_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_activity a;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_get(c, id, &a);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity");
    }
    return reply_json(r, 200, activity_json(&a));
}

int route_activities_create(struct req *r)
{
    struct store_activity a;
    int64_t id = 0;
    int st;
    memset(&a, 0, sizeof(a));
    if ((st = fill_activity(r, &a, 0)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_add(c, &a, plat_now(), &id);
    if (rc == ACDL_OK) {
        rc = store_activity_get(c, id, &a);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "use another identifier",
                           "an activity '%s' exists already", a.identifier);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity");
    }
    http_audit(r, "activity.create", a.identifier, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/activities/%lld", (long long)id);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, activity_json(&a));
}

int route_activities_update(struct req *r)
{
    struct store_activity a;
    int64_t id;
    int st;
    char before[sizeof(a.identifier)];
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_get(c, id, &a);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity");
    }
    snprintf(before, sizeof(before), "%s", a.identifier);
    if ((st = fill_activity(r, &a, 1)) != 0) {
        return st;
    }
    c = store_acquire(r->app->store);
    int renamed = strcmp(before, a.identifier) != 0;
    rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_activity_update(c, &a, plat_now());
    }
    /* the identifier is what the WFM gets: every day that shows it changes */
    if (rc == ACDL_OK && renamed) {
        rc = store_recompute_add(c, "source_agents", 0, NULL, NULL, "activity renamed", plat_now(),
                                 NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK && renamed) {
        recompute_now(c, "source_agents", 0, NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_activity_get(c, id, &a);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "use another identifier",
                           "an activity '%s' exists already", a.identifier);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity");
    }
    http_audit(r, "activity.update", a.identifier, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    return reply_json(r, 200, activity_json(&a));
}

int route_activities_delete(struct req *r)
{
    struct store_activity a;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_get(c, id, &a);
    if (rc == ACDL_OK && a.builtin[0]) {
        rc = ACDL_ECONFLICT;
    }
    int64_t sources[64];
    int ns = 0;
    if (rc == ACDL_OK) {
        rc = store_begin(c);
    }
    if (rc == ACDL_OK) {
        sqlite3_stmt *s = store_prepare(c, "SELECT DISTINCT source_id FROM activity_codes WHERE "
                                           "activity_id = ? LIMIT 64");
        if (s) {
            sqlite3_bind_int64(s, 1, id);
            while (sqlite3_step(s) == SQLITE_ROW && ns < 64) {
                sources[ns++] = sqlite3_column_int64(s, 0);
            }
            store_done(s);
        }
        rc = store_activity_delete(c, id);
        /* its codes count as present again, and its spans are gone: recompute */
        for (int i = 0; rc == ACDL_OK && i < ns; i++) {
            rc = store_recompute_add(c, "source_agents", sources[i], NULL, NULL, "activity deleted",
                                     plat_now(), NULL);
        }
        if (rc == ACDL_OK) {
            rc = store_commit(c);
        } else {
            store_rollback(c);
        }
        for (int i = 0; rc == ACDL_OK && i < ns; i++) {
            recompute_now(c, "source_agents", sources[i], NULL);
        }
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT) {
        return reply_error(r, 409, "conflict", "rename it instead",
                           "'%s' is built in and stays", a.identifier);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity");
    }
    http_audit(r, "activity.delete", a.identifier, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    return reply_empty(r, 204);
}

/* ?source= as a source id of an agent-state source (0 when absent). Answers 400 when bad. */
int route_agent_source_param(struct req *r, int64_t *source_id)
{
    char buf[32];
    *source_id = 0;
    int n = req_query(r, "source", buf, sizeof(buf));
    if (n == -1) {
        return 0;
    }
    char *end = NULL;
    long long v = n > 0 ? strtoll(buf, &end, 10) : 0;
    if (n <= 0 || !end || *end || v <= 0) {
        return reply_error(r, 400, "invalid_parameter", "give the id of an agent-state source",
                           "parameter 'source' must be a source id");
    }
    *source_id = v;
    return 0;
}

static json_t *code_json(const struct store_activity_code *k)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "source_id",
                     (json_int_t)k->source_id, "source", k->source_name, "code", k->code, "name",
                     k->name[0] ? json_string(k->name) : json_null(), "activity",
                     k->activity_id ? json_string(k->activity_identifier) : json_null(),
                     "first_seen", json_time(k->first_seen), "last_seen",
                     json_time(k->last_seen), "count", (json_int_t)k->count);
}

int route_activity_codes_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, source_id;
    char buf[16];
    struct store_activity_code *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0 ||
        (st = route_agent_source_param(r, &source_id)) != 0) {
        return st;
    }
    int unmapped = req_query(r, "unmapped", buf, sizeof(buf)) >= 0 && strcmp(buf, "false") != 0;
    /* the cursor is a row number here: codes have no id of their own */
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_activity_code_list(c, source_id, unmapped, (int)cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "activity codes");
    }
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) {
        json_array_append_new(items, code_json(&arr[i]));
    }
    free(arr);
    return reply_page(r, items, n > limit, cursor + limit);
}

/* Checks that source_id is an agent-state source; answers 422 when not. */
int route_agent_source_check(struct req *r, struct store_conn *c, int64_t source_id)
{
    struct store_source s;
    int rc = store_source_get(c, source_id, &s);
    if (rc != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use the id of an agent-state source",
                           "source_id: no source %lld", (long long)source_id);
    }
    int ok = !strcmp(s.product, "agent_states");
    store_source_clear(&s);
    if (!ok) {
        return reply_error(r, 422, "invalid_field", "use the id of an agent-state source",
                           "source_id: source %lld imports contact statistics",
                           (long long)source_id);
    }
    return 0;
}

int route_activity_codes_map(struct req *r)
{
    json_int_t source_id;
    const char *code, *why;
    json_t *jact = NULL;
    json_error_t jerr;
    struct store_activity a;
    struct agent_results_stats stats = {0, 0, 0, 0};
    int st;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:I, s:s, s:o}", "source_id", &source_id,
                       "code", &code, "activity", &jact) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send source_id, code and activity (an identifier, or null)", "%s",
                           jerr.text);
    }
    if ((why = route_check_text(code, 128)) != NULL) {
        return reply_error(r, 422, "invalid_field", "send the code as the source gives it",
                           "code: %s", why);
    }
    if (!json_is_null(jact) && !json_is_string(jact)) {
        return reply_error(r, 422, "invalid_field", "send the activity's identifier, or null",
                           "activity: must be text or null");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = ACDL_OK;
    memset(&a, 0, sizeof(a));
    if ((st = route_agent_source_check(r, c, source_id)) != 0) {
        store_release(r->app->store, c);
        return st;
    }
    if (json_is_string(jact) && store_activity_find(c, json_string_value(jact), &a) != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_error(r, 422, "invalid_field", "add the activity first (POST /api/v1/activities)",
                           "activity: no activity '%.128s'", json_string_value(jact));
    }
    rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_activity_code_map(c, source_id, code, a.id);
    }
    if (rc == ACDL_OK) {
        rc = store_recompute_add(c, "source_agents", source_id, NULL, NULL, "activity code mapped",
                                 plat_now(), NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK) {
        recompute_now(c, "source_agents", source_id, &stats);
    }
    struct store_activity_code *arr = NULL;
    int n = 0;
    if (rc == ACDL_OK) {
        /* read the code back: its place in the ordered list is not known, so scan */
        sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM activity_codes WHERE "
                                           "source_id = ? AND code < ?");
        int offset = 0;
        if (s) {
            sqlite3_bind_int64(s, 1, source_id);
            store_bind_text(s, 2, code);
            offset = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
            store_done(s);
        }
        rc = store_activity_code_list(c, source_id, 0, offset, 1, &arr, &n);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK || n != 1) {
        free(arr);
        return reply_rc(r, rc != ACDL_OK ? rc : ACDL_EDB, "activity code");
    }
    http_audit(r, "activity_code.map", code, "ok",
               json_pack("{s:I, s:o}", "source_id", (json_int_t)source_id, "activity",
                         json_deep_copy(jact)));
    json_t *body = code_json(&arr[0]);
    free(arr);
    json_object_set_new(body, "recomputed",
                        json_pack("{s:I, s:I}", "agents", (json_int_t)stats.agents,
                                  "days_changed", (json_int_t)stats.days_changed));
    return reply_json(r, 200, body);
}
