/* targets.c (routes): /api/v1/targets: the WFM connections, and their connection test.
 * Settings are validated by the target's connector (daemon/upload/), so what is stored is what
 * the uploader uses. The secret (API key or bearer token) is write-only: sealed at rest,
 * reported only as secret_set, and set by admins only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/secret.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "sched/jobs.h"
#include "store/targets.h"
#include "store/users.h"
#include "upload/connector.h"
#include "upload/uploader.h"

/* The query of a target's address, shown to admins only: receivers that sign their address
 * (Azure's ?code=, a Logic App's or Teams workflow's &sig=) take it as their credential. */
#define QUERY_SHOWN "?***"

/* Writes url with its query as QUERY_SHOWN into out; 0 when it has no query (out unused). */
static int url_masked(const char *url, char *out, size_t outsz)
{
    const char *q = url ? strchr(url, '?') : NULL;
    if (!q) {
        return 0;
    }
    snprintf(out, outsz, "%.*s%s", (int)(q - url), url, QUERY_SHOWN);
    return 1;
}

/* The connector's address setting (its first admin setting: url, base_url), or NULL. */
static const char *address_setting(const char *connector)
{
    const struct upload_connector *con = upload_connector_find(connector);
    return con && con->admin_settings ? con->admin_settings[0] : NULL;
}

static int is_admin(const struct req *r)
{
    return store_role_rank(r->auth.role) >= ROLE_ADMIN;
}

/* The target as answered; for callers below admin with the query of its address masked. */
static json_t *target_view(const struct store_target *t, int admin)
{
    json_t *settings = json_loads(t->settings, 0, NULL);
    const char *field = admin ? NULL : address_setting(t->connector);
    char shown[1100];
    if (field &&
        url_masked(json_string_value(json_object_get(settings, field)), shown, sizeof(shown))) {
        json_object_set_new(settings, field, json_string(shown));
    }
    return json_pack("{s:I, s:s, s:s, s:b, s:o, s:b, s:o, s:o}", "id", (json_int_t)t->id, "name",
                     t->name, "connector", t->connector, "enabled", t->enabled, "settings",
                     settings ? settings : json_object(), "secret_set", t->secret_sealed != NULL,
                     "created_at", json_time(t->created_at), "updated_at",
                     json_time(t->updated_at));
}

/* Validates settings for connector and stores the normalised text in t->settings. */
static int check_settings(struct req *r, struct store_target *t, const json_t *settings)
{
    const struct upload_connector *con = upload_connector_find(t->connector);
    char err[2048] = "";
    json_t *copy = json_deep_copy(settings);
    if (!copy) {
        return reply_rc(r, ACDL_ENOMEM, "target");
    }
    if (!json_is_object(copy) || con->check(&copy, err, sizeof(err)) != ACDL_OK) {
        json_decref(copy);
        return reply_error(r, 422, "invalid_field",
                           "see the target settings in docs/openapi.yaml (schema "
                           "TargetSettings)",
                           "%s", json_is_object(settings) ? err : "settings: must be an object");
    }
    free(t->settings);
    t->settings = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    return t->settings ? 0 : reply_rc(r, ACDL_ENOMEM, "target");
}

static int set_secret(struct req *r, struct store_conn *c, int64_t id, const char *secret)
{
    char aad[64], *sealed = NULL;
    int rc;
    if (secret) {
        snprintf(aad, sizeof(aad), "targets/%lld/secret", (long long)id);
        if ((rc = secret_seal(r->app->secrets, aad, secret, strlen(secret), &sealed)) != ACDL_OK) {
            return rc;
        }
    }
    rc = store_target_set_secret(c, id, sealed, plat_now());
    free(sealed);
    return rc;
}

/* The first of the connector's admin settings (connector.h: its address and trust settings)
 * whose value differs between the stored settings before and after (JSON text), or NULL when
 * none does. An absent setting counts as "" (ca_pem is kept only when given). */
static const char *admin_setting_changed(const struct upload_connector *con, const char *before,
                                         const char *after)
{
    json_t *b = before ? json_loads(before, 0, NULL) : NULL;
    json_t *a = after ? json_loads(after, 0, NULL) : NULL;
    const char *changed = NULL;
    for (const char *const *f = con ? con->admin_settings : NULL; f && *f && !changed; f++) {
        const char *x = json_string_value(json_object_get(b, *f));
        const char *y = json_string_value(json_object_get(a, *f));
        if (strcmp(x ? x : "", y ? y : "") != 0) {
            changed = *f;
        }
    }
    json_decref(b);
    json_decref(a);
    return changed;
}

/* Where a target sends (and whom it trusts with its data and secret) is an admin's choice: an
 * operator who could set it would have the daemon post to, and test, any address. */
static int refuse_admin_setting(struct req *r, const char *field)
{
    return reply_error(r, 403, "forbidden",
                       "ask an admin to set or change a target's address or its trust settings",
                       "%s: a target's address and trust settings are set by admins only", field);
}

/* The secret member: absent (keep), null (clear) or a string (set; admins only). */
static int secret_member(struct req *r, const json_t *v, const char **secret)
{
    *secret = NULL;
    if (!v) {
        return 0;
    }
    if (store_role_rank(r->auth.role) < ROLE_ADMIN) {
        return reply_error(r, 403, "forbidden", "ask an admin to set the secret",
                           "stored secrets are set by admins only");
    }
    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4096 ||
        json_string_length(v) != strlen(json_string_value(v)) ||
        strpbrk(json_string_value(v), "\r\n")) {
        return reply_error(r, 422, "invalid_field", "send the API key as text or null",
                           "secret: must be text of 1..4096 bytes without line breaks, or null");
    }
    *secret = json_string_value(v);
    return 0;
}

static int check_name(struct req *r, const char *name)
{
    const char *why = route_check_text(name, 64);
    return why ? reply_error(r, 422, "invalid_field", "name the target after the WFM it feeds",
                             "name: %s", why)
               : 0;
}

int route_targets_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_target *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_target_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "targets");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, target_view(&arr[i], is_admin(r)));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    for (int i = 0; i < n; i++) {
        store_target_clear(&arr[i]);
    }
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_targets_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_target t;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_target_get(c, id, &t);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    st = reply_json(r, 200, target_view(&t, is_admin(r)));
    store_target_clear(&t);
    return st;
}

int route_targets_create(struct req *r)
{
    const char *name, *connector, *secret;
    int enabled = 1, st;
    json_t *settings = NULL, *jsecret = NULL;
    json_error_t jerr;
    struct store_target t;
    int64_t id = 0;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?b, s:o, s?o}", "name", &name,
                       "connector", &connector, "enabled", &enabled, "settings", &settings,
                       "secret", &jsecret) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send name, connector and settings; optionally enabled and secret", "%s",
                           jerr.text);
    }
    if (!upload_connector_find(connector)) {
        return reply_error(r, 422, "invalid_field", "use injixo-api, csv-export or https-json",
                           "connector: '%.20s' is not a connector", connector);
    }
    if ((st = check_name(r, name)) != 0 || (st = secret_member(r, jsecret, &secret)) != 0) {
        return st;
    }
    const struct upload_connector *con = upload_connector_find(connector);
    if (con->admin_settings && store_role_rank(r->auth.role) < ROLE_ADMIN) {
        return refuse_admin_setting(r, con->admin_settings[0]); /* its address, whatever it is */
    }
    memset(&t, 0, sizeof(t));
    snprintf(t.name, sizeof(t.name), "%s", name);
    snprintf(t.connector, sizeof(t.connector), "%s", connector);
    t.enabled = enabled;
    if ((st = check_settings(r, &t, settings)) != 0) {
        store_target_clear(&t);
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_target_add(c, &t, plat_now(), &id);
    }
    if (rc == ACDL_OK && secret) {
        rc = set_secret(r, c, id, secret);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    store_target_clear(&t);
    if (rc == ACDL_OK) {
        rc = store_target_get(c, id, &t);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another name",
                           "a target named '%.64s' exists already", name);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    http_audit(r, "target.create", t.name, "ok",
               json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "connector", t.connector,
                         "secret_set", t.secret_sealed != NULL));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/targets/%lld", (long long)id);
    reply_header(r, "Location", loc);
    st = reply_json(r, 201, target_view(&t, is_admin(r)));
    store_target_clear(&t);
    return st;
}

int route_targets_update(struct req *r)
{
    const char *name = NULL, *secret = NULL;
    int enabled = -1, st;
    json_t *settings = NULL, *jsecret = NULL;
    json_error_t jerr;
    struct store_target t;
    int64_t id;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?b, s?o, s?o}", "name", &name,
                       "enabled", &enabled, "settings", &settings, "secret", &jsecret) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send any of name, enabled, settings, secret (the connector is "
                           "fixed)",
                           "%s", jerr.text);
    }
    if ((name && (st = check_name(r, name)) != 0) ||
        (st = secret_member(r, jsecret, &secret)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_target_get(c, id, &t);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    r->audit_before = target_view(&t, 0); /* the audit log keeps no signed address */
    if (name) {
        snprintf(t.name, sizeof(t.name), "%s", name);
    }
    if (enabled != -1) {
        t.enabled = enabled;
    }
    char *before = t.settings ? strdup(t.settings) : NULL;
    if (t.settings && !before) {
        store_target_clear(&t);
        return reply_rc(r, ACDL_ENOMEM, "target");
    }
    /* the address as shown to a caller below admin (its query masked) sent back is no change */
    const char *field = is_admin(r) ? NULL : address_setting(t.connector);
    json_t *jb = field ? json_loads(before ? before : "{}", 0, NULL) : NULL;
    const char *stored = json_string_value(json_object_get(jb, field));
    char shown[1100];
    if (settings && stored && url_masked(stored, shown, sizeof(shown)) &&
        json_is_string(json_object_get(settings, field)) &&
        !strcmp(json_string_value(json_object_get(settings, field)), shown)) {
        json_object_set_new(settings, field, json_string(stored));
    }
    json_decref(jb);
    if (settings && (st = check_settings(r, &t, settings)) != 0) {
        free(before);
        store_target_clear(&t);
        return st;
    }
    /* compared as stored (normalised): the same address sent back is no change */
    const char *guarded =
        store_role_rank(r->auth.role) < ROLE_ADMIN
            ? admin_setting_changed(upload_connector_find(t.connector), before, t.settings)
            : NULL;
    free(before);
    if (guarded) {
        store_target_clear(&t);
        return refuse_admin_setting(r, guarded);
    }
    c = store_acquire(r->app->store);
    rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_target_update(c, &t, plat_now());
    }
    store_target_clear(&t);
    if (rc == ACDL_OK && jsecret) {
        rc = set_secret(r, c, id, secret);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK) {
        rc = store_target_get(c, id, &t);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another name",
                           "a target named '%.64s' exists already", name ? name : "");
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    json_t *now = target_view(&t, 0);
    json_t *detail = http_audit_update(r, now, id);
    json_decref(now);
    if (jsecret) {
        json_object_set_new(detail, "secret", json_string(secret ? "changed" : "cleared"));
    }
    http_audit(r, "target.update", t.name, "ok", detail);
    uploader_wake(r->app->uploader);
    st = reply_json(r, 200, target_view(&t, is_admin(r)));
    store_target_clear(&t);
    return st;
}

int route_targets_delete(struct req *r)
{
    int64_t id;
    int st;
    struct store_target t;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_target_get(c, id, &t);
    if (rc == ACDL_OK) {
        rc = store_target_delete(c, id);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    http_audit(r, "target.delete", t.name, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    store_target_clear(&t);
    return reply_empty(r, 204);
}

static const char *fail_name(enum upload_fail f)
{
    static const char *const names[] = {"none",    "dns",        "tcp",  "proxy",   "tls",
                                        "timeout", "connection", "file", "settings"};
    return (size_t)f < sizeof(names) / sizeof(names[0]) ? names[f] : "connection";
}

static int run_test(struct app *app, void *p, json_t **result, char *err, size_t errsz)
{
    int64_t id = *(int64_t *)p;
    struct upload_target t;
    struct upload_answer a;
    char msg[800] = "";
    struct store_conn *c = store_acquire(app->store);
    int rc = uploader_target_load(app, c, id, &t);
    store_release(app->store, c);
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "target %lld cannot be loaded: %s", (long long)id, acdl_strerror(rc));
        return rc;
    }
    memset(&a, 0, sizeof(a));
    rc = upload_connector_find(t.connector)->probe(&t, &a);
    uploader_target_free(&t);
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "the test could not run: %s", acdl_strerror(rc));
        return rc;
    }
    upload_explain(&a, msg, sizeof(msg));
    const char *failure = a.fail != UPLOAD_FAIL_NONE                             ? fail_name(a.fail)
                          : a.status == 401 || a.status == 403                   ? "auth"
                          : a.status == 404                                      ? "not_found"
                          : a.status == 0 || (a.status >= 200 && a.status < 300) ? NULL
                          : a.status >= 500                                      ? "server"
                                                                                 : "refused";
    json_t *params = NULL;
    const char *code = upload_explain_code(&a, &params);
    *result = json_pack("{s:b, s:o, s:o, s:s, s:s, s:o}", "ok", failure == NULL, "failure",
                        failure ? json_string(failure) : json_null(), "status",
                        a.status ? json_integer(a.status) : json_null(), "message", msg, "code",
                        code, "params", params ? params : json_object());
    return *result ? ACDL_OK : ACDL_ENOMEM;
}

int route_targets_test(struct req *r)
{
    int64_t id, job;
    int st;
    struct store_target t;
    char who[96];
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_target_get(c, id, &t);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    store_target_clear(&t);
    int64_t *arg = malloc(sizeof(*arg));
    if (!arg) {
        return reply_rc(r, ACDL_ENOMEM, "test");
    }
    *arg = id;
    snprintf(who, sizeof(who), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "", r->auth.name);
    if (jobs_submit(r->app, "target.test", who, run_test, arg, &job) != ACDL_OK) {
        reply_header(r, "Retry-After", "2");
        return reply_error(r, 503, "unavailable", "wait a moment, then ask again",
                           "other tests or previews are running");
    }
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/jobs/%lld", (long long)job);
    reply_header(r, "Location", loc);
    json_t *body = jobs_get(job);
    return reply_json(r, 202, body ? body : json_pack("{s:I}", "id", (json_int_t)job));
}
