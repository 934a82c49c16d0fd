/* audit.c (routes): GET /api/v1/audit, and http_audit() used by every changing route. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/audit.h"

void http_audit(struct req *r, const char *action, const char *target, const char *outcome,
                json_t *detail)
{
    const char *kind = "anonymous";
    char actor[96];
    switch (r->auth.kind) {
    case AUTH_SESSION: kind = "user"; break;
    case AUTH_TOKEN: kind = "token"; break;
    default: break;
    }
    snprintf(actor, sizeof(actor), "%s", r->auth.kind == AUTH_NONE ? "" : r->auth.name);
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_audit_add(c, plat_now(), actor, kind, r->client, action, target, outcome, text);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        log_error("audit", "could not record %s on %s (%s)", action, target ? target : "",
                  outcome);
    }
    free(text);
}

/* Parses an ISO time parameter; answers 400 and returns the status when it is bad. */
static int time_param(struct req *r, const char *name, int64_t *out)
{
    char buf[40];
    int n = req_query(r, name, buf, sizeof(buf));
    *out = 0;
    if (n == -1) {
        return 0;
    }
    if (n < 0 || plat_time_parse_iso(buf, out) != ACDL_OK) {
        return reply_error(r, 400, "invalid_parameter",
                           "use a UTC time like 2026-11-23T17:00:00Z or a date like 2026-11-23",
                           "parameter '%s' is not a time", name);
    }
    return 0;
}

static int text_param(struct req *r, const char *name, char *buf, size_t bufsz,
                      const char **out)
{
    int n = req_query(r, name, buf, bufsz);
    *out = NULL;
    if (n == -1) {
        return 0;
    }
    if (n < 0) {
        return reply_error(r, 400, "invalid_parameter", "use a shorter value",
                           "parameter '%s' is too long", name);
    }
    *out = buf;
    return 0;
}

int route_audit_list(struct req *r)
{
    struct store_audit_filter f;
    char action[64], actor[128], outcome[16];
    int limit, n = 0, st;
    struct store_audit_entry *arr = NULL;
    memset(&f, 0, sizeof(f));
    if ((st = req_page(r, &limit, &f.before_id)) != 0 ||
        (st = text_param(r, "action", action, sizeof(action), &f.action)) != 0 ||
        (st = text_param(r, "actor", actor, sizeof(actor), &f.actor)) != 0 ||
        (st = text_param(r, "outcome", outcome, sizeof(outcome), &f.outcome)) != 0 ||
        (st = time_param(r, "since", &f.since)) != 0 ||
        (st = time_param(r, "until", &f.until)) != 0) {
        return st;
    }
    if (f.outcome && strcmp(f.outcome, "ok") && strcmp(f.outcome, "denied") &&
        strcmp(f.outcome, "error")) {
        return reply_error(r, 400, "invalid_parameter", "use ok, denied or error",
                           "parameter 'outcome' is invalid");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_audit_list(c, &f, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "audit log");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        const struct store_audit_entry *e = &arr[i];
        json_t *detail = json_loads(e->detail, 0, NULL);
        json_array_append_new(
            items, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
                             (json_int_t)e->id, "ts", json_time(e->ts), "actor", e->actor,
                             "actor_kind", e->actor_kind, "client", e->client, "action",
                             e->action, "target", e->target, "outcome", e->outcome, "detail",
                             detail ? detail : json_object()));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    store_audit_free(arr, n);
    return reply_page(r, items, n > limit, last);
}
