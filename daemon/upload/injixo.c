/* injixo.c: the injixo-api connector: POST /external-systems/contact-events with Bearer key.
 *
 * The API takes one element per contact, not per interval, so each interval row is expanded
 * into max(offered, handled) contact events: the first `offered` are offered, the first
 * `handled` are handled, and the handle time T of the interval (the handle_time value type,
 * else aht x handled) is spread over the handled events in whole milliseconds, q or q + 1 ms
 * each, so that their sum is T and their average T / handled, exactly. The events' timestamps
 * are spread evenly inside the interval. A batch carries whole intervals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"
#include "upload/connector.h"
#include "upload/settings.h"

#define DEFAULT_BASE "https://api.injixo.com"
#define EVENTS_MAX_PER_INTERVAL 100000

static int check(json_t **settings, char *err, size_t errsz)
{
    const char *base = DEFAULT_BASE, *ext = "acdlink", *ca = "", *ca_pem = "", *pin = "";
    json_int_t icid = 0;
    int timeout = 30, max_intervals = 50, use_proxy = 1;
    json_error_t je;
    if (json_unpack_ex(*settings, &je, JSON_STRICT, "{s:I, s?s, s?s, s?s, s?s, s?s, s?i, s?i, s?b}",
                       "integration_configuration_id", &icid, "base_url", &base, "external_system",
                       &ext, "ca_file", &ca, "ca_pem", &ca_pem, "pin_sha256", &pin,
                       "timeout_seconds", &timeout, "max_intervals", &max_intervals, "use_proxy",
                       &use_proxy) != 0) {
        snprintf(err, errsz,
                 "settings: %s (injixo-api takes integration_configuration_id, base_url, "
                 "external_system, ca_file, ca_pem, pin_sha256, timeout_seconds, "
                 "max_intervals, use_proxy)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (icid < 1) {
        snprintf(err, errsz, "integration_configuration_id: must be the positive number shown "
                             "on the integration's page");
        return ACDL_EINVAL;
    }
    if (settings_https_check("base_url", base, ca, ca_pem, pin, timeout, err, errsz) != ACDL_OK ||
        settings_limit("max_intervals", max_intervals, 1000, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    if (!*ext || strlen(ext) > 128) {
        snprintf(err, errsz, "external_system: must be 1..128 characters");
        return ACDL_EINVAL;
    }
    size_t bl = strlen(base);
    char trimmed[256];
    while (bl > 8 && base[bl - 1] == '/') { /* paths are appended to it */
        bl--;
    }
    snprintf(trimmed, sizeof(trimmed), "%.*s", (int)bl, base);
    json_t *n = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:b}", "integration_configuration_id", icid,
        "base_url", trimmed, "external_system", ext, "ca_file", ca, "pin_sha256", pin,
        "timeout_seconds", timeout, "max_intervals", max_intervals, "use_proxy", use_proxy);
    /* ca_pem only when given: settings saved before it existed read the same */
    if (!n || (*ca_pem && json_object_set_new(n, "ca_pem", json_string(ca_pem)) != 0)) {
        json_decref(n);
        return ACDL_ENOMEM;
    }
    json_decref(*settings);
    *settings = n;
    return ACDL_OK;
}

static int max_rows(const json_t *settings)
{
    return settings_int(settings, "max_intervals", 50);
}

static const char *channel_of(const char *ours)
{
    static const char *const map[][2] = {{"calls", "calls"},   {"chats", "chats"},
                                         {"emails", "emails"}, {"messages", "chats"},
                                         {"social", "social_media"}, {"tasks", "cases"},
                                         {"other", "documents"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (!strcmp(ours, map[i][0])) {
            return map[i][1];
        }
    }
    return "calls";
}

static long long count_of(const struct upload_row *r, const char *key)
{
    double v = 0;
    if (!upload_row_value(r, key, &v) || !(v > 0)) {
        return 0;
    }
    return llround(v);
}

/* Appends the contact events of one interval row to data. */
static int expand(const struct upload_row *r, json_t *data)
{
    long long offered = count_of(r, "offered"), handled = count_of(r, "handled");
    long long n = offered > handled ? offered : handled;
    double total = 0, aht = 0;
    if (!upload_row_value(r, "handle_time", &total) && upload_row_value(r, "aht", &aht)) {
        total = aht * (double)handled;
    }
    long long total_ms = total > 0 ? llround(total * 1000.0) : 0;
    if (n > EVENTS_MAX_PER_INTERVAL) {
        return ACDL_ETOOBIG;
    }
    long long q = handled ? total_ms / handled : 0, rem = handled ? total_ms % handled : 0;
    int64_t span = (int64_t)r->interval_minutes * 60;
    const char *channel = channel_of(r->channel);
    for (long long i = 0; i < n; i++) {
        char ts[32];
        plat_time_iso(r->interval_start + (int64_t)(i * span / n), ts, sizeof(ts));
        long long ms = i < handled ? q + (i < rem ? 1 : 0) : 0;
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:b, s:b, s:f}}", "queueIdentifier",
                               r->queue_identifier, "queueName", r->queue_name, "timestamp", ts,
                               "channel", channel, "properties", "offered", i < offered,
                               "handled", i < handled, "duration", (double)ms / 1000.0);
        if (!ev || json_array_append_new(data, ev) != 0) {
            return ACDL_ENOMEM;
        }
    }
    return ACDL_OK;
}

static int build(const struct upload_target *t, const struct upload_row *rows, size_t n,
                 const char *key, struct upload_payload *out)
{
    json_t *data = json_array();
    int rc = ACDL_OK;
    for (size_t i = 0; i < n && rc == ACDL_OK; i++) {
        rc = expand(&rows[i], data);
    }
    if (rc != ACDL_OK) {
        json_decref(data);
        return rc;
    }
    json_t *icid = json_object_get(t->settings, "integration_configuration_id");
    json_t *body = icid ? json_pack("{s:o, s:{s:O}}", "data", data, "meta",
                                    "integrationConfigurationId", icid)
                        : NULL;
    if (!icid) {
        json_decref(data);
    }
    out->body = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!out->body) {
        return ACDL_ENOMEM;
    }
    out->len = strlen(out->body);
    snprintf(out->endpoint, sizeof(out->endpoint), "/external-systems/contact-events");
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    return ACDL_OK;
}

static int send_payload(const struct upload_target *t, const struct upload_payload *p,
                        const char *key, struct upload_answer *a)
{
    char url[HTTPS_URL_MAX + 128];
    snprintf(url, sizeof(url), "%s%s", settings_str(t->settings, "base_url", DEFAULT_BASE),
             p->endpoint);
    return settings_post(t, url, p, key, a);
}

/* An empty list of contact events: authenticates and finds the endpoint, stores nothing. */
static int probe(const struct upload_target *t, struct upload_answer *a)
{
    struct upload_payload p;
    memset(&p, 0, sizeof(p));
    json_t *body = json_pack("{s:[], s:{s:O}}", "data", "meta", "integrationConfigurationId",
                             json_object_get(t->settings, "integration_configuration_id"));
    p.body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!p.body) {
        return ACDL_ENOMEM;
    }
    p.len = strlen(p.body);
    snprintf(p.endpoint, sizeof(p.endpoint), "/external-systems/contact-events");
    snprintf(p.content_type, sizeof(p.content_type), "application/json");
    int rc = send_payload(t, &p, NULL, a);
    upload_payload_clear(&p);
    return rc;
}

/* POST /external-systems/agent-statuses: one element per span (filled holes are not sent:
 * the WFM treats time without a status as logged out); a span still going has no endTime. */
static int build_agents(const struct upload_target *t, const struct upload_agent_day *days,
                        size_t n, const char *key, struct upload_payload *out)
{
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < days[i].nspans; k++) {
            const struct upload_span *s = &days[i].spans[k];
            char a[32], b[32];
            if (s->filled) {
                continue;
            }
            plat_time_iso(s->start, a, sizeof(a));
            json_t *e = json_pack("{s:s, s:s, s:s}", "agentIdentifier", days[i].agent,
                                  "activityIdentifier", s->activity, "startTime", a);
            if (e && s->end) {
                plat_time_iso(s->end, b, sizeof(b));
                json_object_set_new(e, "endTime", json_string(b));
            }
            json_array_append_new(data, e);
        }
    }
    if (json_array_size(data) == 0) {
        json_decref(data);
        return ACDL_ENOTFOUND;
    }
    json_t *icid = json_object_get(t->settings, "integration_configuration_id");
    json_t *body = icid ? json_pack("{s:o, s:{s:O, s:s}}", "data", data, "meta",
                                    "integrationConfigurationId", icid, "externalSystem",
                                    settings_str(t->settings, "external_system", "acdlink"))
                        : NULL;
    if (!icid) {
        json_decref(data);
    }
    out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!out->body) {
        return ACDL_ENOMEM;
    }
    out->len = strlen(out->body);
    snprintf(out->endpoint, sizeof(out->endpoint), "/external-systems/agent-statuses");
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    return ACDL_OK;
}

/* where batches and the API key go, and whom the connection trusts */
static const char *const admin_settings[] = {"base_url", "ca_file", "ca_pem", "pin_sha256", NULL};

const struct upload_connector upload_injixo = {
    "injixo-api", check, max_rows, build, build_agents, send_payload, probe, 1, 0, 0, 0,
    admin_settings,
};
