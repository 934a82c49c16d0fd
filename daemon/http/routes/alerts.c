/* alerts.c (routes): /api/v1/alerts: channels (where notices go), rules (which events go to
 * which channel, how often) and the notices sent. Admins only: a webhook URL or mail server is
 * where the appliance sends what it knows. The channel's secret (the webhook's bearer token,
 * the SMTP password) is write-only: sealed at rest, reported only as secret_set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "alerts/channel.h"
#include "core/err.h"
#include "core/why.h"
#include "crypto/secret.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "sched/jobs.h"
#include "store/alerts.h"

#define MIN_INTERVAL_MAX 604800 /* a week */

static json_t *channel_json(const struct store_alert_channel *ch)
{
    json_t *settings = json_loads(ch->settings, 0, NULL);
    int failing = ch->last_error[0] != '\0';
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:b, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "id",
                  (json_int_t)ch->id, "name", ch->name, "kind", ch->kind, "enabled", ch->enabled,
                  "settings", settings ? settings : json_object(), "secret_set",
                  ch->secret_sealed[0] != '\0', "last_ok_at", json_time(ch->last_ok_at),
                  "last_error", failing ? json_string(ch->last_error) : json_null(),
                  "last_error_at", json_time(failing ? ch->last_error_at : 0), "created_at",
                  json_time(ch->created_at), "updated_at", json_time(ch->updated_at));
    return json_set_code(o, "last_error_code", "last_error_params",
                         failing ? ch->last_error_code : "", ch->last_error_params);
}

static int check_channel_settings(struct req *r, struct store_alert_channel *ch,
                                  const json_t *settings)
{
    char err[512] = "";
    json_t *copy = json_deep_copy(settings);
    if (!copy) {
        return reply_rc(r, ACDL_ENOMEM, "channel");
    }
    if (alert_channel_check(ch->kind, &copy, err, sizeof(err)) != ACDL_OK) {
        json_decref(copy);
        return reply_error(r, 422, "invalid_field",
                           "see the channel settings in docs/openapi.yaml (schema "
                           "AlertChannelSettings)",
                           "%s%s", strncmp(err, "settings", 8) ? "settings." : "", err);
    }
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (!text || strlen(text) >= sizeof(ch->settings)) {
        free(text);
        return reply_error(r, 422, "invalid_field", "shorten the settings",
                           "settings: longer than %zu bytes", sizeof(ch->settings) - 1);
    }
    snprintf(ch->settings, sizeof(ch->settings), "%s", text);
    free(text);
    return 0;
}

/* The secret member: absent (keep), null (clear) or text (set). */
static int secret_member(struct req *r, const json_t *v, const char **secret)
{
    *secret = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 1024 ||
        json_string_length(v) != strlen(json_string_value(v)) ||
        strpbrk(json_string_value(v), "\r\n")) {
        return reply_error(r, 422, "invalid_field",
                           "send the password (e-mail) or bearer token (webhook) as text, or null",
                           "secret: must be text of 1..1024 bytes without line breaks, or null");
    }
    *secret = json_string_value(v);
    return 0;
}

static int set_secret(struct req *r, struct store_conn *c, int64_t id, const char *secret)
{
    char aad[64], *sealed = NULL;
    int rc;
    if (secret) {
        snprintf(aad, sizeof(aad), "alert_channels/%lld/secret", (long long)id);
        if ((rc = secret_seal(r->app->secrets, aad, secret, strlen(secret), &sealed)) != ACDL_OK) {
            return rc;
        }
    }
    rc = store_alert_channel_set_secret(c, id, sealed, plat_now());
    free(sealed);
    return rc;
}

static int check_name(struct req *r, const char *name)
{
    const char *why = route_check_text(name, 64);
    return why ? reply_error(r, 422, "invalid_field", "name the channel after who it reaches",
                             "name: %s", why)
               : 0;
}

/* Reads channel id into a new struct (free()); answers and returns the status on failure. */
static int load_channel(struct req *r, int64_t id, struct store_alert_channel **out)
{
    struct store_alert_channel *ch = malloc(sizeof(*ch));
    if (!ch) {
        return reply_rc(r, ACDL_ENOMEM, "channel");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_channel_get(c, id, ch);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        free(ch);
        return reply_rc(r, rc, "alert channel");
    }
    *out = ch;
    return 0;
}

int route_alert_channels_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_alert_channel *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_channel_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert channels");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, channel_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_alert_channels_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_alert_channel *ch = NULL;
    if ((st = req_id(r, 0, &id)) != 0 || (st = load_channel(r, id, &ch)) != 0) {
        return st;
    }
    st = reply_json(r, 200, channel_json(ch));
    free(ch);
    return st;
}

/* Writes ch (new when id is 0) and its secret in one transaction; answers. */
static int save_channel(struct req *r, struct store_alert_channel *ch, const json_t *jsecret,
                        const char *secret, int created)
{
    int64_t id = ch->id;
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = created ? store_alert_channel_add(c, ch, plat_now(), &id)
                     : store_alert_channel_update(c, ch, plat_now());
    }
    if (rc == ACDL_OK && jsecret) {
        rc = set_secret(r, c, id, secret);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK) {
        rc = store_alert_channel_get(c, id, ch);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another name",
                           "an alert channel named '%.64s' exists already", ch->name);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert channel");
    }
    json_t *detail = json_pack("{s:I, s:s}", "id", (json_int_t)id, "kind", ch->kind);
    if (jsecret) {
        json_object_set_new(detail, "secret", json_string(secret ? "changed" : "cleared"));
    }
    http_audit(r, created ? "alert_channel.create" : "alert_channel.update", ch->name, "ok",
               detail);
    if (created) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/alerts/channels/%lld", (long long)id);
        reply_header(r, "Location", loc);
    }
    return reply_json(r, created ? 201 : 200, channel_json(ch));
}

int route_alert_channels_create(struct req *r)
{
    const char *name, *kind, *secret;
    int enabled = 1, st;
    json_t *settings = NULL, *jsecret = NULL;
    json_error_t jerr;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?b, s:o, s?o}", "name", &name,
                       "kind", &kind, "enabled", &enabled, "settings", &settings, "secret",
                       &jsecret) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send name, kind and settings; optionally enabled and secret", "%s",
                           jerr.text);
    }
    if (!alert_channel_kind_valid(kind)) {
        return reply_error(r, 422, "invalid_field", "use webhook or email",
                           "kind: '%.20s' is not a channel kind", kind);
    }
    if ((st = check_name(r, name)) != 0 || (st = secret_member(r, jsecret, &secret)) != 0) {
        return st;
    }
    struct store_alert_channel *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        return reply_rc(r, ACDL_ENOMEM, "channel");
    }
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    snprintf(ch->kind, sizeof(ch->kind), "%s", kind);
    ch->enabled = enabled;
    if ((st = check_channel_settings(r, ch, settings)) == 0) {
        st = save_channel(r, ch, jsecret && !json_is_null(jsecret) ? jsecret : NULL, secret, 1);
    }
    free(ch);
    return st;
}

int route_alert_channels_update(struct req *r)
{
    const char *name = NULL, *secret = NULL;
    int enabled = -1, st;
    json_t *settings = NULL, *jsecret = NULL;
    json_error_t jerr;
    int64_t id;
    struct store_alert_channel *ch = NULL;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?b, s?o, s?o}", "name", &name,
                       "enabled", &enabled, "settings", &settings, "secret", &jsecret) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send any of name, enabled, settings, secret (the kind is fixed)", "%s",
                           jerr.text);
    }
    if ((name && (st = check_name(r, name)) != 0) ||
        (st = secret_member(r, jsecret, &secret)) != 0 || (st = load_channel(r, id, &ch)) != 0) {
        return st;
    }
    if (name) {
        snprintf(ch->name, sizeof(ch->name), "%s", name);
    }
    if (enabled != -1) {
        ch->enabled = enabled;
    }
    if (!settings || (st = check_channel_settings(r, ch, settings)) == 0) {
        st = save_channel(r, ch, jsecret, secret, 0);
    }
    free(ch);
    alerter_wake(r->app->alerter);
    return st;
}

int route_alert_channels_delete(struct req *r)
{
    int64_t id;
    int st;
    struct store_alert_channel *ch = NULL;
    if ((st = req_id(r, 0, &id)) != 0 || (st = load_channel(r, id, &ch)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_channel_delete(c, id);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        free(ch);
        return reply_rc(r, rc, "alert channel");
    }
    http_audit(r, "alert_channel.delete", ch->name, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    free(ch);
    return reply_empty(r, 204);
}

struct test_arg {
    int64_t id;
    char who[96];
};

static int run_test(struct app *app, void *p, json_t **result, char *err, size_t errsz)
{
    struct test_arg *t = p;
    char why[800] = "";
    int sent = 0;
    int rc = alerts_send_test(app, t->id, t->who, &sent, why, sizeof(why));
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "the test could not run: %s", acdl_strerror(rc));
        return rc;
    }
    /* a failure's message carries its code (message_code, message_params) */
    *result = why_attach(json_pack("{s:b}", "ok", sent), "message",
                         sent ? "the channel took the test notice" : why);
    return *result ? ACDL_OK : ACDL_ENOMEM;
}

int route_alert_channels_test(struct req *r)
{
    int64_t id, job;
    int st;
    struct store_alert_channel *ch = NULL;
    if ((st = req_id(r, 0, &id)) != 0 || (st = load_channel(r, id, &ch)) != 0) {
        return st;
    }
    free(ch);
    struct test_arg *arg = malloc(sizeof(*arg));
    if (!arg) {
        return reply_rc(r, ACDL_ENOMEM, "test");
    }
    arg->id = id;
    snprintf(arg->who, sizeof(arg->who), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "",
             r->auth.name);
    if (jobs_submit(r->app, "alert.test", arg->who, run_test, arg, &job) != ACDL_OK) {
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

/* --- rules --- */

static json_t *rule_json(const struct store_alert_rule *ru)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:b, s:I, s:b, s:o, s:o}", "id", (json_int_t)ru->id,
                     "event", ru->event, "channel_id", (json_int_t)ru->channel_id, "channel",
                     ru->channel, "enabled", ru->enabled, "min_interval_seconds",
                     (json_int_t)ru->min_interval, "recovery", ru->recovery, "created_at",
                     json_time(ru->created_at), "updated_at", json_time(ru->updated_at));
}

static int check_rule(struct req *r, const struct store_alert_rule *ru)
{
    if (!alerts_event_valid(ru->event)) {
        return reply_error(r, 422, "invalid_field", "use one of the event kinds listed",
                           "event: '%.40s' is not an event kind (%s)", ru->event,
                           alerts_event_list());
    }
    if (ru->min_interval < 0 || ru->min_interval > MIN_INTERVAL_MAX) {
        return reply_error(r, 422, "invalid_field",
                           "give the seconds between two notices of the same kind and subject",
                           "min_interval_seconds: must be 0..%d", MIN_INTERVAL_MAX);
    }
    return 0;
}

/* Writes ru (new when created) and answers. */
static int save_rule(struct req *r, struct store_alert_rule *ru, int created)
{
    int64_t id = ru->id;
    struct store_conn *c = store_acquire(r->app->store);
    int rc = created ? store_alert_rule_add(c, ru, plat_now(), &id)
                     : store_alert_rule_update(c, ru, plat_now());
    if (rc == ACDL_OK) {
        rc = store_alert_rule_get(c, id, ru);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "change the rule that is there",
                           "the channel has a rule for %s already", ru->event);
    }
    if (rc == ACDL_ECONFLICT) {
        return reply_error(r, 422, "invalid_field", "name an alert channel that exists",
                           "channel_id: no alert channel %lld", (long long)ru->channel_id);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert rule");
    }
    http_audit(
        r, created ? "alert_rule.create" : "alert_rule.update", ru->event, "ok",
        json_pack("{s:I, s:I}", "id", (json_int_t)id, "channel_id", (json_int_t)ru->channel_id));
    alerter_wake(r->app->alerter);
    if (created) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/alerts/rules/%lld", (long long)id);
        reply_header(r, "Location", loc);
    }
    return reply_json(r, created ? 201 : 200, rule_json(ru));
}

int route_alert_rules_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_alert_rule *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_rule_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert rules");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, rule_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_alert_rules_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_alert_rule ru;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_rule_get(c, id, &ru);
    store_release(r->app->store, c);
    return rc == ACDL_OK ? reply_json(r, 200, rule_json(&ru)) : reply_rc(r, rc, "alert rule");
}

int route_alert_rules_create(struct req *r)
{
    const char *event;
    json_int_t channel_id, min_interval = 3600;
    int enabled = 1, recovery = 1, st;
    json_error_t jerr;
    struct store_alert_rule ru;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:I, s?b, s?I, s?b}", "event", &event,
                       "channel_id", &channel_id, "enabled", &enabled, "min_interval_seconds",
                       &min_interval, "recovery", &recovery) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send event and channel_id; optionally enabled, min_interval_seconds "
                           "and recovery",
                           "%s", jerr.text);
    }
    memset(&ru, 0, sizeof(ru));
    snprintf(ru.event, sizeof(ru.event), "%s", event);
    ru.channel_id = channel_id;
    ru.enabled = enabled;
    ru.min_interval = min_interval;
    ru.recovery = recovery;
    if (strlen(event) >= sizeof(ru.event)) {
        ru.event[0] = '?';
    }
    if ((st = check_rule(r, &ru)) != 0) {
        return st;
    }
    return save_rule(r, &ru, 1);
}

int route_alert_rules_update(struct req *r)
{
    const char *event = NULL;
    json_int_t channel_id = -1, min_interval = -1;
    int enabled = -1, recovery = -1, st;
    int64_t id;
    json_error_t jerr;
    struct store_alert_rule ru;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?I, s?b, s?I, s?b}", "event", &event,
                       "channel_id", &channel_id, "enabled", &enabled, "min_interval_seconds",
                       &min_interval, "recovery", &recovery) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send any of event, channel_id, enabled, min_interval_seconds, "
                           "recovery",
                           "%s", jerr.text);
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_rule_get(c, id, &ru);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert rule");
    }
    if (event) {
        snprintf(ru.event, sizeof(ru.event), "%s", strlen(event) < sizeof(ru.event) ? event : "?");
    }
    ru.channel_id = channel_id != -1 ? channel_id : ru.channel_id;
    ru.enabled = enabled != -1 ? enabled : ru.enabled;
    ru.min_interval = min_interval != -1 ? min_interval : ru.min_interval;
    ru.recovery = recovery != -1 ? recovery : ru.recovery;
    if ((st = check_rule(r, &ru)) != 0) {
        return st;
    }
    return save_rule(r, &ru, 0);
}

int route_alert_rules_delete(struct req *r)
{
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_rule_delete(c, id);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert rule");
    }
    http_audit(r, "alert_rule.delete", "rule", "ok", json_pack("{s:I}", "id", (json_int_t)id));
    return reply_empty(r, 204);
}

/* --- notices --- */

int route_alert_notices_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, channel_id = 0;
    char v[32];
    struct store_alert_notice *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    if (req_query(r, "channel_id", v, sizeof(v)) >= 0) {
        char *end = NULL;
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || x < 1) {
            return reply_error(r, 400, "invalid_parameter", "give a channel's id",
                               "channel_id: must be a positive integer");
        }
        channel_id = x;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_alert_notice_list(c, channel_id, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "alert notices");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        const struct store_alert_notice *x = &arr[i];
        json_t *o = json_pack(
            "{s:I, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)x->id,
            "channel_id", x->channel_id ? json_integer(x->channel_id) : json_null(), "channel",
            x->channel[0] ? json_string(x->channel) : json_null(), "rule_id",
            x->rule_id ? json_integer(x->rule_id) : json_null(), "event", x->event, "subject",
            x->subject, "state", x->state, "title", x->title, "outcome", x->outcome, "error",
            x->error[0] ? json_string(x->error) : json_null(), "created_at",
            json_time(x->created_at));
        json_set_code(o, "title_code", "title_params", x->title_code, x->title_params);
        json_set_code(o, "error_code", "error_params", x->error_code, x->error_params);
        json_array_append_new(items, o);
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}
