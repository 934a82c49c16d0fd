/* test_upload.c: the delivery pieces without a network: full-jitter backoff (bounds and spread
 * over many draws, Retry-After), the verdicts of answers, https URL parsing, the injixo-api
 * expansion of intervals into contact events (exact totals), csv-export formats, and the
 * settings checks naming the field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/roots.h"
#include "core/err.h"
#include "upload/connector.h"
#include "upload/https.h"
#include "upload/uploader.h"

static void test_backoff(void)
{
    /* bounds: [0, min(cap, base * 2^(n-1))] */
    CHECK_EQ_INT(uploader_backoff(1, 2, 900, -1, 0.0), 0);
    CHECK_EQ_INT(uploader_backoff(1, 2, 900, -1, 0.999999), 2);
    CHECK_EQ_INT(uploader_backoff(4, 2, 900, -1, 0.999999), 16);
    CHECK_EQ_INT(uploader_backoff(40, 2, 900, -1, 0.999999), 900);
    CHECK_EQ_INT(uploader_backoff(40, 2, 900, -1, 0.0), 0);
    /* Retry-After is a floor (one more second: the clock counts whole seconds) */
    CHECK_EQ_INT(uploader_backoff(1, 2, 900, 30, 0.5), 31);
    CHECK_EQ_INT(uploader_backoff(12, 2, 900, 1, 0.999999), 900);
    /* spread: 2000 draws for attempt 6 (ceiling 64) cover the range roughly uniformly */
    unsigned long long x = 88172645463325252ULL;
    int buckets[4] = {0};
    double sum = 0;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double r = (double)(x >> 11) / 9007199254740992.0;
        int64_t d = uploader_backoff(6, 2, 900, -1, r);
        CHECK(d >= 0 && d <= 64);
        buckets[d * 4 / 65]++;
        sum += (double)d;
    }
    for (int b = 0; b < 4; b++) {
        CHECK(buckets[b] > 400 && buckets[b] < 600);
    }
    CHECK(fabs(sum / 2000 - 32) < 2.5);
}

static void test_classify(void)
{
    struct upload_answer a;
    memset(&a, 0, sizeof(a));
    int retry[] = {408, 429, 500, 502, 503, 504};
    int fail[] = {400, 401, 403, 404, 409, 413, 422};
    for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
        a.status = retry[i];
        CHECK_EQ_INT(upload_classify(&a), UPLOAD_RETRY);
    }
    for (size_t i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
        a.status = fail[i];
        CHECK_EQ_INT(upload_classify(&a), UPLOAD_FAILED);
    }
    a.status = 204;
    CHECK_EQ_INT(upload_classify(&a), UPLOAD_ACKED);
    a.status = 0;
    for (int f = UPLOAD_FAIL_DNS; f <= UPLOAD_FAIL_CONFIG; f++) {
        a.fail = (enum upload_fail)f;
        CHECK_EQ_INT(upload_classify(&a), UPLOAD_RETRY);
    }
}

static void test_url(void)
{
    char host[256], path[256];
    int port;
    const char *why = NULL;
    CHECK_EQ_INT(https_url_parse("https://api.injixo.com", host, sizeof(host), &port, path,
                                 sizeof(path), &why),
                 ACDL_OK);
    CHECK_EQ_STR(host, "api.injixo.com");
    CHECK_EQ_INT(port, 443);
    CHECK_EQ_STR(path, "/");
    CHECK_EQ_INT(https_url_parse("https://[::1]:8443/in?x=1", host, sizeof(host), &port, path,
                                 sizeof(path), &why),
                 ACDL_OK);
    CHECK_EQ_STR(host, "::1");
    CHECK_EQ_INT(port, 8443);
    CHECK_EQ_STR(path, "/in?x=1");
    const char *bad[] = {"http://h/", "https://", "https://u:p@h/", "https://h:0/",
                         "https://h:99999/", "https://h x/", "https://h_/", "https://[::1/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_INT(https_url_parse(bad[i], host, sizeof(host), &port, path, sizeof(path), &why),
                     ACDL_EINVAL);
    }
}

static struct upload_row row(const char *q, int64_t start, double offered, double handled,
                             double aht)
{
    struct upload_row r;
    memset(&r, 0, sizeof(r));
    snprintf(r.queue_identifier, sizeof(r.queue_identifier), "%s", q);
    snprintf(r.queue_name, sizeof(r.queue_name), "Queue %s", q);
    snprintf(r.channel, sizeof(r.channel), "social");
    snprintf(r.time_zone, sizeof(r.time_zone), "Europe/Berlin");
    r.interval_minutes = 15;
    r.interval_start = start;
    snprintf(r.values[0].key, sizeof(r.values[0].key), "offered");
    r.values[0].value = offered;
    snprintf(r.values[1].key, sizeof(r.values[1].key), "handled");
    r.values[1].value = handled;
    snprintf(r.values[2].key, sizeof(r.values[2].key), "aht");
    r.values[2].value = aht;
    r.nvalues = 3;
    return r;
}

static void test_injixo(void)
{
    char err[512];
    json_t *s = json_pack("{s:i}", "integration_configuration_id", 12);
    CHECK_EQ_INT(upload_injixo.check(&s, err, sizeof(err)), ACDL_OK);
    struct upload_target t = {1, "t", "injixo-api", s, NULL};
    struct upload_row rows[2] = {row("A", 1796300100, 7, 3, 100.0 / 3.0),
                                 row("B", 1796300100, 0, 0, 0)};
    struct upload_payload p;
    memset(&p, 0, sizeof(p));
    CHECK_EQ_INT(upload_injixo.build(&t, rows, 2, "k", &p), ACDL_OK);
    CHECK_EQ_STR(p.endpoint, "/external-systems/contact-events");
    json_t *body = json_loads(p.body ? p.body : "", 0, NULL);
    json_t *data = json_object_get(body, "data");
    CHECK_EQ_INT(json_array_size(data), 7);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(body, "meta"),
                                                    "integrationConfigurationId")),
                 12);
    long long offered = 0, handled = 0, ms = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(data, i, ev) {
        json_t *pr = json_object_get(ev, "properties");
        offered += json_is_true(json_object_get(pr, "offered"));
        handled += json_is_true(json_object_get(pr, "handled"));
        ms += llround(json_real_value(json_object_get(pr, "duration")) * 1000);
        CHECK_EQ_STR(json_string_value(json_object_get(ev, "channel")), "social_media");
        const char *ts = json_string_value(json_object_get(ev, "timestamp"));
        CHECK(ts && strncmp(ts, "2026-12-03T", 11) == 0 && strlen(ts) == 20);
    }
    CHECK_EQ_INT(offered, 7);
    CHECK_EQ_INT(handled, 3);
    CHECK_EQ_INT(ms, 100000); /* 3 x 33.333.. s: 33.334 + 33.333 + 33.333 */
    json_decref(body);
    upload_payload_clear(&p);
    json_decref(s);
    s = json_pack("{s:i, s:s}", "integration_configuration_id", 1, "base_url", "ftp://x");
    CHECK_EQ_INT(upload_injixo.check(&s, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "base_url");
    json_decref(s);
}

static void test_csv(void)
{
    char err[512];
    struct acdl_config cfg;
    config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "/nonexistent/acdlink-data");
    snprintf(cfg.export_roots, sizeof(cfg.export_roots), "/tmp");
    CHECK_EQ_INT(roots_init(&cfg, err, sizeof(err)), ACDL_OK);
    json_t *s = json_pack("{s:s}", "folder", "/etc");
    CHECK_EQ_INT(upload_csv_export.check(&s, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "export_roots");
    json_decref(s);
    s = json_pack("{s:s}", "folder", "/tmp/x");
    CHECK_EQ_INT(upload_csv_export.check(&s, err, sizeof(err)), ACDL_OK);
    struct upload_target t = {1, "t", "csv-export", s, NULL};
    /* 2026-10-25 00:30Z is 02:30 CEST; 01:30Z is the second 02:30 (CET) */
    struct upload_row rows[2] = {row("A;1", 1792888200, 5, 4, 10.5), row("A;1", 1792891800, 1,
                                                                           1, 20)};
    struct upload_payload p;
    memset(&p, 0, sizeof(p));
    CHECK_EQ_INT(upload_csv_export.build(&t, rows, 2, "0123456789abcdef0123", &p), ACDL_OK);
    CHECK_EQ_STR(p.body ? p.body : "", "Queue;Date;Time;IncomingCalls;AnsweredCalls;AHT\r\n"
                                       "\"A;1\";25/10/2026;02:30;5;4;11\r\n"
                                       "\"A;1\";25/10/2026;02:30;1;1;20\r\n");
    CHECK(strstr(p.endpoint, "-0123456789abcdef.csv") != NULL);
    upload_payload_clear(&p);
    /* agent lines (in UTC): fields with the separator or a quote quoted, a filled hole left
     * out, a span still going without its end */
    const struct upload_span spans[3] = {{1792888200, 1792889100, "say \"hi\"", 0},
                                         {1792889100, 1792890000, "logged_out", 1},
                                         {1792890000, 0, "Break", 0}};
    struct upload_agent_day day = {"A;7", "2026-10-25", spans, 3, 0};
    CHECK_EQ_INT(upload_csv_export.build_agents(&t, &day, 1, "0123456789abcdef0123", &p), ACDL_OK);
    CHECK_EQ_STR(p.body ? p.body : "",
                 "StartDate;StartTime;EndDate;EndTime;AgentID;AgentActivityID\r\n"
                 "2026-10-25;00:30:00;2026-10-25;00:45:00;\"A;7\";\"say \"\"hi\"\"\"\r\n"
                 "2026-10-25;01:00:00;;;\"A;7\";Break\r\n");
    upload_payload_clear(&p);
    json_decref(s);
    const char *bad[][2] = {{"{\"folder\":\"/tmp/x\",\"date_format\":\"d/m/y\"}", "date_format"},
                            {"{\"folder\":\"/tmp/x\",\"time_format\":\"\"}", "time_format"},
                            {"{\"folder\":\"/tmp/x\",\"decimals\":9}", "decimals"},
                            {"{\"folder\":\"/tmp/x\",\"columns\":[{\"header\":\"a\"}]}", "columns[0]"},
                            {"{\"folder\":\"/tmp/x\",\"max_intervals\":0}", "max_intervals"},
                            {"{}", "folder"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = json_loads(bad[i][0], 0, NULL);
        err[0] = '\0';
        CHECK_EQ_INT(upload_csv_export.check(&s, err, sizeof(err)), ACDL_EINVAL);
        CHECK_CONTAINS(err, bad[i][1]);
        json_decref(s);
    }
}

int main(void)
{
    test_backoff();
    test_classify();
    test_url();
    test_injixo();
    test_csv();
    return check_summary();
}
