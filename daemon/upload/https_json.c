/* https_json.c: the https-json connector: acdlink's own batch format (docs/https-json.md)
 * POSTed to any HTTPS URL, with the batch id in the Idempotency-Key header and in the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"
#include "upload/connector.h"
#include "upload/settings.h"

static int check(json_t **settings, char *err, size_t errsz)
{
    const char *url = NULL, *ca = "", *ca_pem = "", *pin = "";
    int timeout = 30, max_intervals = 1000, use_proxy = 1;
    json_error_t je;
    if (json_unpack_ex(*settings, &je, JSON_STRICT, "{s:s, s?s, s?s, s?s, s?i, s?i, s?b}", "url",
                       &url, "ca_file", &ca, "ca_pem", &ca_pem, "pin_sha256", &pin,
                       "timeout_seconds", &timeout, "max_intervals", &max_intervals, "use_proxy",
                       &use_proxy) != 0) {
        snprintf(err, errsz,
                 "settings: %s (https-json takes url, ca_file, ca_pem, pin_sha256, "
                 "timeout_seconds, max_intervals, use_proxy)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (settings_https_check("url", url, ca, ca_pem, pin, timeout, err, errsz) != ACDL_OK ||
        settings_limit("max_intervals", max_intervals, 10000, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    json_t *n = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "url", url, "ca_file", ca, "pin_sha256",
                          pin, "timeout_seconds", timeout, "max_intervals", max_intervals,
                          "use_proxy", use_proxy);
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
    return settings_int(settings, "max_intervals", 1000);
}

static int build(const struct upload_target *t, const struct upload_row *rows, size_t n,
                 const char *key, struct upload_payload *out)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct upload_row *r = &rows[i];
        char ts[32];
        json_t *values = json_object();
        for (int k = 0; k < r->nvalues; k++) {
            json_object_set_new(values, r->values[k].key, json_real(r->values[k].value));
        }
        plat_time_iso(r->interval_start, ts, sizeof(ts));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "queue",
                                               r->queue_identifier, "queueName", r->queue_name,
                                               "channel", r->channel, "start", ts, "minutes",
                                               r->interval_minutes, "values", values));
    }
    json_t *body = json_pack("{s:i, s:s, s:s, s:o}", "version", 1, "batchId", key, "kind",
                             "intervals", "intervals", items);
    out->body = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!out->body) {
        return ACDL_ENOMEM;
    }
    out->len = strlen(out->body);
    out->endpoint[0] = '\0';
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    return ACDL_OK;
}

static int send_payload(const struct upload_target *t, const struct upload_payload *p,
                        const char *key, struct upload_answer *a)
{
    return settings_post(t, settings_str(t->settings, "url", ""), p, key, a);
}

/* A connection-test batch: receivers answer 2xx and store nothing (docs/https-json.md). */
static int probe(const struct upload_target *t, struct upload_answer *a)
{
    struct upload_payload p;
    memset(&p, 0, sizeof(p));
    p.body = strdup("{\"version\":1,\"kind\":\"connection-test\",\"intervals\":[]}");
    if (!p.body) {
        return ACDL_ENOMEM;
    }
    p.len = strlen(p.body);
    snprintf(p.content_type, sizeof(p.content_type), "application/json");
    int rc = send_payload(t, &p, NULL, a);
    upload_payload_clear(&p);
    return rc;
}

/* {"kind":"agent_states","days":[{"agent","day","spans":[{"activity","start","end",
 * "filled"}]}]}: each day replaces what the receiver holds for that agent and day. */
static int build_agents(const struct upload_target *t, const struct upload_agent_day *days,
                        size_t n, const char *key, struct upload_payload *out)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *spans = json_array();
        for (int k = 0; k < days[i].nspans; k++) {
            const struct upload_span *s = &days[i].spans[k];
            char a[32], b[32];
            plat_time_iso(s->start, a, sizeof(a));
            plat_time_iso(s->end, b, sizeof(b));
            json_array_append_new(spans, json_pack("{s:s, s:s, s:o, s:b}", "activity",
                                                   s->activity, "start", a, "end",
                                                   s->end ? json_string(b) : json_null(),
                                                   "filled", s->filled));
        }
        json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "agent", days[i].agent, "day",
                                              days[i].day, "spans", spans));
    }
    json_t *body = json_pack("{s:i, s:s, s:s, s:o}", "version", 1, "batchId", key, "kind",
                             "agent_states", "days", list);
    out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!out->body) {
        return ACDL_ENOMEM;
    }
    out->len = strlen(out->body);
    out->endpoint[0] = '\0';
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    return ACDL_OK;
}

const struct upload_connector upload_https_json = {
    "https-json", check, max_rows, build, build_agents, send_payload, probe, 0, 0, 3000,
};
