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

/* Fields that say when, not what: never listed as changes. */
static int audit_ignored(const char *key)
{
    return !strcmp(key, "updated_at") || !strcmp(key, "created_at") ||
           !strcmp(key, "last_used_at") || !strcmp(key, "last_login_at");
}

/* Secrets never reach an answer, but a field that names one is listed as changed only. */
static int audit_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "api_key") ||
           strstr(key, "token");
}

static void changes_add(json_t *out, const char *prefix, const json_t *before, const json_t *after,
                        int depth)
{
    const char *key;
    json_t *b, *a;
    char path[160];
    void *tmp;
    json_t *keys = json_object();
    json_object_foreach((json_t *)before, key, b)
    {
        json_object_set_new(keys, key, json_true());
    }
    json_object_foreach((json_t *)after, key, a)
    {
        json_object_set_new(keys, key, json_true());
    }
    json_object_foreach_safe(keys, tmp, key, a)
    {
        b = json_object_get(before, key);
        a = json_object_get(after, key);
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
        if (audit_ignored(key) || json_equal(b, a)) {
            continue;
        }
        if (json_is_object(b) && json_is_object(a) && depth < 4) {
            changes_add(out, path, b, a, depth + 1);
        } else if (audit_secret(key)) {
            json_object_set_new(out, path, json_string("changed"));
        } else {
            json_object_set_new(out, path,
                                json_pack("{s:O, s:O}", "before", b ? b : json_null(), "after",
                                          a ? a : json_null()));
        }
    }
    json_decref(keys);
}

json_t *http_audit_changes(const json_t *before, const json_t *after)
{
    json_t *out = json_object();
    if (json_is_object(before) && json_is_object(after)) {
        changes_add(out, "", before, after, 0);
    }
    return out;
}

json_t *http_audit_update(struct req *r, const json_t *after, int64_t id)
{
    json_t *detail = http_audit_changes(r->audit_before, after);
    json_object_set_new(detail, "id", json_integer((json_int_t)id));
    return detail;
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
