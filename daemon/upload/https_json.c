/* https_json.c: the https-json connector: acdlink's own batch format (docs/https-json.md)
 * POSTed to any HTTPS URL, with the batch id in the Idempotency-Key header and in the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/jsonw.h"
#include "platform/platform.h"
#include "upload/connector.h"
#include "upload/settings.h"

static int check(json_t **settings, char *err, size_t errsz)
{
    const char *url = NULL, *ca = "", *ca_pem = "", *pin = "", *agent_days = "whole";
    int timeout = 30, max_intervals = 1000, use_proxy = 1;
    json_error_t je;
    if (json_unpack_ex(*settings, &je, JSON_STRICT, "{s:s, s?s, s?s, s?s, s?i, s?i, s?b, s?s}",
                       "url", &url, "ca_file", &ca, "ca_pem", &ca_pem, "pin_sha256", &pin,
                       "timeout_seconds", &timeout, "max_intervals", &max_intervals, "use_proxy",
                       &use_proxy, "agent_days", &agent_days) != 0) {
        snprintf(err, errsz,
                 "settings: %s (https-json takes url, ca_file, ca_pem, pin_sha256, "
                 "timeout_seconds, max_intervals, use_proxy, agent_days)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (settings_https_check("url", url, ca, ca_pem, pin, timeout, err, errsz) != ACDL_OK ||
        settings_limit("max_intervals", max_intervals, 10000, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    if (strcmp(agent_days, "whole") != 0 && strcmp(agent_days, "changes") != 0) {
        snprintf(err, errsz, "agent_days: must be whole or changes");
        return ACDL_EINVAL;
    }
    json_t *n = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s}", "url", url, "ca_file", ca,
                          "pin_sha256", pin, "timeout_seconds", timeout, "max_intervals",
                          max_intervals, "use_proxy", use_proxy, "agent_days", agent_days);
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
 * "filled"}]}]}: each day replaces what the receiver holds for that agent and day; with
 * agent_days "changes" the batch is version 2 and a part day carries "from": its spans replace
 * the receiver's spans of the day that start at or after it (days left out: unchanged). Written
 * straight into the body (http/jsonw.h), not as a jansson tree: a batch of 3,000 agent days
 * holds up to 60,000 spans, whose tree of small blocks (about half a kilobyte a span) filled
 * the allocator's arenas in a burst and left them fragmented after it was freed; the body is
 * one block, mapped on its own once it is large, and given back in one piece. */
static int build_agents(const struct upload_target *t, const struct upload_agent_day *days,
                        size_t n, const char *key, struct upload_payload *out)
{
    struct jsonw w;
    size_t guess = 96, sent = 0;
    int part = !strcmp(settings_str(t->settings, "agent_days", "whole"), "changes");
    for (size_t i = 0; i < n; i++) {
        guess += 64 + (size_t)days[i].nspans * 112;
        sent += days[i].from >= 0;
    }
    if (sent == 0) {
        return ACDL_ENOTFOUND; /* every day is as the receiver holds it */
    }
    jsonw_init(&w, (size_t)1 << 30);
    jsonw_room(&w, guess);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "version", part ? 2 : 1);
    jsonw_kstr(&w, "batchId", key);
    jsonw_kstr(&w, "kind", "agent_states");
    jsonw_key(&w, "days");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        if (days[i].from < 0) {
            continue;
        }
        jsonw_obj_begin(&w);
        jsonw_kstr(&w, "agent", days[i].agent);
        jsonw_kstr(&w, "day", days[i].day);
        if (days[i].from > 0) {
            char f[24];
            jsonw_key(&w, "from");
            jsonw_strn(&w, f, jsonw_fmt_time(f, days[i].from));
        }
        jsonw_key(&w, "spans");
        jsonw_arr_begin(&w);
        for (int k = 0; k < days[i].nspans; k++) {
            const struct upload_span *s = &days[i].spans[k];
            char a[24];
            jsonw_obj_begin(&w);
            jsonw_kstr(&w, "activity", s->activity);
            jsonw_key(&w, "start");
            jsonw_strn(&w, a, jsonw_fmt_time(a, s->start));
            jsonw_ktime(&w, "end", s->end); /* null while the span goes on */
            jsonw_key(&w, "filled");
            jsonw_bool(&w, s->filled);
            jsonw_obj_end(&w);
        }
        jsonw_arr_end(&w);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    char *nul = jsonw_room(&w, 1);
    if (!nul || w.failed) {
        jsonw_free(&w);
        return ACDL_ENOMEM;
    }
    *nul = '\0';
    out->body = w.buf; /* the writer's buffer becomes the payload's (upload_payload_clear) */
    out->len = w.len;
    out->endpoint[0] = '\0';
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    return ACDL_OK;
}

/* where batches and the bearer token go, and whom the connection trusts */
static const char *const admin_settings[] = {"url", "ca_file", "ca_pem", "pin_sha256", NULL};

const struct upload_connector upload_https_json = {
    "https-json", check, max_rows, build, build_agents, send_payload, probe, 0, 0, 3000, 1,
    admin_settings,
};
