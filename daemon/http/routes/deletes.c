/* deletes.c (routes): DELETE of a source or a WFM queue with what goes along with it
 * (store/deletes.h). ?dry_run=true answers the consequences and deletes nothing; without
 * ?cascade=true a referenced object is refused with 409 and the consequences; with it the
 * object and everything counted go in one transaction and 200 says what went. An object that
 * nothing else depends on is deleted with 204. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/catalog.h"
#include "store/deletes.h"
#include "store/sources.h"

/* Parses ?name=true|false into *out (absent: 0). Answers 400 and returns the status when bad. */
static int flag_param(struct req *r, const char *name, int *out)
{
    char v[8];
    *out = 0;
    if (req_query(r, name, v, sizeof(v)) < 0) {
        return 0;
    }
    if (!strcmp(v, "true") || !strcmp(v, "1")) {
        *out = 1;
    } else if (strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
        return reply_error(r, 400, "invalid_parameter", "use true or false",
                           "parameter '%s' must be true or false", name);
    }
    return 0;
}

/* The counts that matter for the kind of object, as a JSON object (new). */
static json_t *counts_json(const struct store_delete_counts *n, int queue)
{
    if (queue) {
        return json_pack("{s:I, s:I, s:I, s:I}", "mappings", (json_int_t)n->mappings, "results",
                         (json_int_t)n->results, "delivered", (json_int_t)n->delivered,
                         "outbox_cells", (json_int_t)n->outbox_cells);
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "mappings",
                     (json_int_t)n->mappings, "results", (json_int_t)n->results, "delivered",
                     (json_int_t)n->delivered, "schedules", (json_int_t)n->schedules, "staged_days",
                     (json_int_t)n->staged_days, "agent_states", (json_int_t)n->agent_states,
                     "agents", (json_int_t)n->agents, "runs", (json_int_t)n->runs, "active_runs",
                     (json_int_t)n->active_runs, "recomputes", (json_int_t)n->recomputes);
}

/* The answer: the object, whether it was deleted, the counts, the first mappings and
 * schedules, and a message code with its parameters (new). */
static json_t *consequences_json(const struct store_delete_counts *n, int queue, int64_t id,
                                 const char *name, int deleted)
{
    json_t *maps = json_array(), *scheds = json_array();
    for (int i = 0; i < n->n_mapping_list; i++) {
        const struct store_delete_mapping *m = &n->mapping_list[i];
        json_array_append_new(maps, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)m->id, "queue",
                                              m->queue, "value_type", m->value_type));
    }
    for (int i = 0; i < n->n_schedule_list; i++) {
        const struct store_delete_schedule *d = &n->schedule_list[i];
        int every = !strcmp(d->kind, "every");
        json_array_append_new(
            scheds, json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)d->id, "kind", d->kind,
                              "every_minutes", every ? json_integer(d->every_minutes) : json_null(),
                              "daily_at", every ? json_null() : json_string(d->daily_at)));
    }
    json_t *params = counts_json(n, queue);
    json_object_set_new(params, "name", json_string(name));
    json_t *o = json_pack(
        "{s:{s:I, s:s}, s:b, s:b, s:o, s:o, s:s, s:o}", queue ? "queue" : "source", "id",
        (json_int_t)id, queue ? "identifier" : "name", name, "deleted", deleted, "cascade_needed",
        store_delete_referenced(n), "counts", counts_json(n, queue), "mappings", maps, "code",
        deleted ? (queue ? "delete.queue_deleted" : "delete.source_deleted")
        : queue ? "delete.queue_consequences"
                : "delete.source_consequences",
        "params", params);
    if (!queue) {
        json_object_set_new(o, "schedules", scheds);
    } else {
        json_decref(scheds);
    }
    return o;
}

/* 409: refused, with the consequences and a message code. */
static int reply_refused(struct req *r, const struct store_delete_counts *n, int queue, int64_t id,
                         const char *name)
{
    char text[400];
    json_t *params = counts_json(n, queue);
    json_object_set_new(params, "name", json_string(name));
    const char *code, *hint;
    if (n->active_runs > 0) {
        code = "delete.source_running";
        hint = "cancel the run (POST /api/v1/runs/{id}/cancel) or wait until it ends";
        snprintf(text, sizeof(text), "source '%.64s' has %lld run(s) queued or running", name,
                 (long long)n->active_runs);
    } else {
        code = queue ? "delete.queue_referenced" : "delete.source_referenced";
        hint = "delete again with ?cascade=true to delete them with it, or delete or change "
               "them first; ?dry_run=true shows what would go";
        if (queue) {
            snprintf(text, sizeof(text),
                     "WFM queue '%.128s' has %lld mapping(s), %lld result(s) and %lld interval(s) "
                     "waiting for delivery",
                     name, (long long)n->mappings, (long long)n->results,
                     (long long)n->outbox_cells);
        } else {
            snprintf(text, sizeof(text),
                     "source '%.64s' is read by %lld mapping(s) (with %lld result(s)) and run by "
                     "%lld schedule(s)",
                     name, (long long)n->mappings, (long long)n->results, (long long)n->schedules);
        }
    }
    json_t *body = json_pack("{s:{s:s, s:s, s:s, s:s, s:o}, s:o}", "error", "code",
                             n->active_runs > 0 ? "conflict" : "referenced", "message", text,
                             "hint", hint, "message_code", code, "params", params, "consequences",
                             consequences_json(n, queue, id, name, 0));
    char hint_code[64];
    if (why_hint(hint, hint_code, sizeof(hint_code))) {
        json_object_set_new(json_object_get(body, "error"), "hint_code", json_string(hint_code));
    }
    return reply_json(r, 409, body);
}

/* DELETE of a source (queue 0) or a WFM queue (queue 1). */
static int delete_object(struct req *r, int queue)
{
    int64_t id;
    int st, cascade, dry_run, rc;
    char name[130] = "";
    struct store_delete_counts *n = NULL;
    if ((st = req_id(r, 0, &id)) != 0 || (st = flag_param(r, "cascade", &cascade)) != 0 ||
        (st = flag_param(r, "dry_run", &dry_run)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    if (queue) {
        struct store_queue q;
        rc = store_queue_get(c, id, &q);
        snprintf(name, sizeof(name), "%s", rc == ACDL_OK ? q.identifier : "");
    } else {
        struct store_source s;
        rc = store_source_get(c, id, &s);
        if (rc == ACDL_OK) {
            snprintf(name, sizeof(name), "%s", s.name);
            store_source_clear(&s);
        }
    }
    n = rc == ACDL_OK ? calloc(1, sizeof(*n)) : NULL;
    if (rc == ACDL_OK && !n) {
        rc = ACDL_ENOMEM;
    }
    if (rc == ACDL_OK && dry_run) {
        rc = queue ? store_queue_delete_plan(c, id, n) : store_source_delete_plan(c, id, n);
    } else if (rc == ACDL_OK) {
        rc = queue ? store_queue_delete_checked(c, id, cascade, plat_now(), n)
                   : store_source_delete_checked(c, id, cascade, plat_now(), n);
    }
    store_release(r->app->store, c);
    const char *what = queue ? "queue" : "source";
    if (rc == ACDL_ECONFLICT) {
        st = reply_refused(r, n, queue, id, name);
    } else if (rc != ACDL_OK) {
        st = reply_rc(r, rc, what);
    } else if (dry_run) {
        st = reply_json(r, 200, consequences_json(n, queue, id, name, 0));
    } else {
        json_t *detail = counts_json(n, queue);
        json_object_set_new(detail, "id", json_integer(id));
        json_object_set_new(detail, "cascade", json_boolean(cascade));
        http_audit(r, queue ? "queue.delete" : "source.delete", name, "ok", detail);
        st = cascade ? reply_json(r, 200, consequences_json(n, queue, id, name, 1))
                     : reply_empty(r, 204);
    }
    free(n);
    return st;
}

int route_sources_delete(struct req *r)
{
    return delete_object(r, 0);
}

int route_queues_delete(struct req *r)
{
    return delete_object(r, 1);
}
