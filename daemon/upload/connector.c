/* connector.c: what the connectors share: lookup, the HTTP verdict, explanations for people,
 * and the validation of the HTTPS settings (url, ca_file, ca_pem, pin_sha256,
 * timeout_seconds). */
#include "upload/connector.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"
#include "upload/https.h"
#include "upload/settings.h"

const struct upload_connector *upload_connector_find(const char *name)
{
    static const struct upload_connector *const all[] = {&upload_injixo, &upload_csv_export,
                                                         &upload_https_json};
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++) {
        if (!strcmp(all[i]->name, name)) {
            return all[i];
        }
    }
    return NULL;
}

int upload_row_value(const struct upload_row *row, const char *key, double *out)
{
    for (int i = 0; i < row->nvalues; i++) {
        if (!strcmp(row->values[i].key, key)) {
            *out = row->values[i].value;
            return 1;
        }
    }
    return 0;
}

void upload_payload_clear(struct upload_payload *p)
{
    if (p) {
        free(p->body);
        p->body = NULL;
        p->len = 0;
    }
}

enum upload_verdict upload_classify(const struct upload_answer *a)
{
    if (a->fail == UPLOAD_FAIL_CONFIG) {
        return UPLOAD_RETRY; /* settings can be fixed; the data must wait, not be dropped */
    }
    if (a->fail != UPLOAD_FAIL_NONE) {
        return UPLOAD_RETRY;
    }
    if (a->status >= 200 && a->status < 300) {
        return UPLOAD_ACKED;
    }
    if (a->status == 408 || a->status == 429 || a->status >= 500) {
        return UPLOAD_RETRY;
    }
    return UPLOAD_FAILED;
}

void upload_explain(const struct upload_answer *a, char *out, size_t outsz)
{
    switch (a->fail) {
    case UPLOAD_FAIL_DNS:
        snprintf(out, outsz, "DNS: %s. Check the host name in the URL and the DNS settings.",
                 a->error);
        return;
    case UPLOAD_FAIL_TCP:
        snprintf(out, outsz,
                 "TCP: %s. Check the port and that a firewall allows outgoing connections.",
                 a->error);
        return;
    case UPLOAD_FAIL_PROXY:
        snprintf(out, outsz, "Proxy: %s. Check https_proxy (http://[user:pass@]host:port).",
                 a->error);
        return;
    case UPLOAD_FAIL_TLS:
        snprintf(out, outsz,
                 "TLS: %s. If the server uses a private CA, set ca_file to its certificate.",
                 a->error);
        return;
    case UPLOAD_FAIL_TIMEOUT:
        snprintf(out, outsz, "Timeout: %s. The server is slow or unreachable.", a->error);
        return;
    case UPLOAD_FAIL_IO:
        snprintf(out, outsz, "Connection: %s.", a->error);
        return;
    case UPLOAD_FAIL_FILE:
        snprintf(out, outsz, "Folder: %s.", a->error);
        return;
    case UPLOAD_FAIL_CONFIG:
        snprintf(out, outsz, "Settings: %s.", a->error);
        return;
    case UPLOAD_FAIL_NONE:
        break;
    }
    if (a->status == 0) {
        /* file targets: no server, the connector says what it found */
        snprintf(out, outsz, "%s", a->answer);
    } else if (a->status == 401 || a->status == 403) {
        snprintf(out, outsz,
                 "Authentication: the server answered %d. Check the API key (set it again as "
                 "an admin; it is shown only once by the WFM).",
                 a->status);
    } else if (a->status == 404) {
        snprintf(out, outsz,
                 "Not found: the server answered 404. Check the base URL or URL path.");
    } else if (a->status >= 200 && a->status < 300) {
        snprintf(out, outsz, "Connected: the server answered %d.", a->status);
    } else {
        snprintf(out, outsz, "The server answered %d: %.300s", a->status, a->answer);
    }
}

const char *upload_explain_code(const struct upload_answer *a, json_t **params)
{
    static const char *const codes[] = {
        [UPLOAD_FAIL_DNS] = "conn.dns",         [UPLOAD_FAIL_TCP] = "conn.tcp",
        [UPLOAD_FAIL_PROXY] = "conn.proxy",     [UPLOAD_FAIL_TLS] = "conn.tls",
        [UPLOAD_FAIL_TIMEOUT] = "conn.timeout", [UPLOAD_FAIL_IO] = "conn.io",
        [UPLOAD_FAIL_FILE] = "conn.file",       [UPLOAD_FAIL_CONFIG] = "conn.settings",
    };
    if (a->fail != UPLOAD_FAIL_NONE && (size_t)a->fail < sizeof(codes) / sizeof(codes[0]) &&
        codes[a->fail]) {
        *params = json_pack("{s:s}", "detail", a->error);
        json_t *dp = a->error_code[0] ? json_loads(a->error_params, 0, NULL) : NULL;
        if (*params && dp) {
            json_object_set_new(*params, "detail_code", json_string(a->error_code));
            json_object_set_new(*params, "detail_params", dp);
        } else {
            json_decref(dp);
        }
        return codes[a->fail];
    }
    if (a->status == 0) {
        /* a file target's probe: the folder it found writable */
        *params = json_pack("{s:s}", "folder", a->error);
        return "conn.folder_ok";
    }
    *params =
        json_pack("{s:i, s:s%}", "status", a->status, "answer", a->answer, strnlen(a->answer, 300));
    if (a->status == 401 || a->status == 403) {
        return "conn.auth";
    }
    if (a->status == 404) {
        return "conn.not_found";
    }
    return a->status >= 200 && a->status < 300 ? "conn.ok" : "conn.status";
}

/* The WFM's own words in an answer: a JSON body's message, error (text or {message}),
 * detail or title; else the body's first line; into out ("" when the body is empty). */
static void answer_words(const char *body, char *out, size_t outsz)
{
    static const char *const keys[] = {"message", "error", "detail", "title", "error_description"};
    json_t *j = json_loads(body, 0, NULL);
    out[0] = '\0';
    for (size_t i = 0; json_is_object(j) && i < sizeof(keys) / sizeof(keys[0]) && !out[0]; i++) {
        json_t *v = json_object_get(j, keys[i]);
        if (json_is_object(v)) {
            v = json_object_get(v, "message");
        }
        if (json_is_string(v)) {
            snprintf(out, outsz, "%.200s", json_string_value(v));
        }
    }
    json_decref(j);
    if (!out[0]) {
        size_t n = strcspn(body, "\r\n");
        snprintf(out, outsz, "%.*s", (int)(n > 200 ? 200 : n), body);
    }
}

void upload_delivery_error(const struct upload_answer *a, char *text, size_t textsz, char *code,
                           size_t codesz, char *params, size_t paramssz)
{
    json_t *p = NULL;
    const char *c = NULL;
    char words[256];
    code[0] = params[0] = '\0';
    if (a->fail != UPLOAD_FAIL_NONE) {
        upload_explain(a, text, textsz);
        c = upload_explain_code(a, &p);
    } else {
        const char *why;
        int s = a->status;
        if (s == 401 || s == 403) {
            c = "delivery.auth";
            why = "the API key was refused (set it again as an admin)";
        } else if (s == 404) {
            c = "delivery.not_found";
            why = "the URL was not found (check the base URL or URL path)";
        } else if (s == 409) {
            c = "delivery.conflict";
            why = "the WFM refused the batch as a conflict with an earlier delivery under the same "
                  "Idempotency-Key";
        } else if (s == 413) {
            c = "delivery.too_large";
            why = "the batch is too large for the WFM (lower the rows per batch)";
        } else if (s == 429) {
            c = "delivery.too_many";
            why = "too many requests; the batch is sent again later";
        } else if (s == 408 || s >= 500) {
            c = "delivery.server_failed";
            why = "a failure on the WFM's side; the batch is sent again later";
        } else {
            c = "delivery.refused";
            why = "the WFM refused the data";
        }
        answer_words(a->answer, words, sizeof(words));
        if (words[0]) {
            snprintf(text, textsz, "the server answered %d: %s. The WFM says: \u201c%s\u201d", s,
                     why, words);
            p = json_pack("{s:i, s:s}", "status", s, "detail", words);
            /* the same with the WFM's words: the code + "_said" */
            static const struct {
                const char *plain, *said;
            } said[] = {
                {"delivery.auth", "delivery.auth_said"},
                {"delivery.not_found", "delivery.not_found_said"},
                {"delivery.conflict", "delivery.conflict_said"},
                {"delivery.too_large", "delivery.too_large_said"},
                {"delivery.too_many", "delivery.too_many_said"},
                {"delivery.server_failed", "delivery.server_failed_said"},
                {"delivery.refused", "delivery.refused_said"},
            };
            for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
                if (!strcmp(said[i].plain, c)) {
                    c = said[i].said;
                }
            }
        } else {
            snprintf(text, textsz, "the server answered %d: %s", s, why);
            p = json_pack("{s:i}", "status", s);
        }
    }
    char *ptext = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (c && ptext && strlen(ptext) < paramssz) {
        snprintf(code, codesz, "%s", c);
        snprintf(params, paramssz, "%s", ptext);
    }
    free(ptext);
}

/* --- settings shared by the HTTPS connectors --- */

#define CA_PEM_MAX 48000 /* characters of CA certificates given as text (a chain of a few) */

static int is_hex64(const char *s)
{
    if (strlen(s) != 64) {
        return 0;
    }
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int settings_https_check(const char *field, const char *url, const char *ca_file,
                         const char *ca_pem, const char *pin, int timeout, char *err, size_t errsz)
{
    char host[256], path[1024], why[1800] = "";
    int port;
    const char *uwhy = NULL;
    if (https_url_parse(url, host, sizeof(host), &port, path, sizeof(path), &uwhy) != ACDL_OK) {
        snprintf(err, errsz, "%s: %s", field, uwhy);
        return ACDL_EINVAL;
    }
    /* a Teams workflow's address, its signature in the query, has 230 to 300 characters */
    if (strlen(url) > HTTPS_URL_MAX) {
        snprintf(err, errsz, "%s: is longer than %d characters", field, HTTPS_URL_MAX);
        return ACDL_EINVAL;
    }
    if (ca_file && *ca_file && ca_pem && *ca_pem) {
        snprintf(err, errsz,
                 "ca_pem: give the CA certificate either as text (ca_pem) or as a "
                 "file (ca_file), not both");
        return ACDL_EINVAL;
    }
    if (ca_file && *ca_file && strlen(ca_file) > 1000) {
        snprintf(err, errsz, "ca_file: is longer than 1000 characters");
        return ACDL_EINVAL;
    }
    /* a path is a privilege: only a file inside the import roots, read as it is when sending */
    if (ca_file && *ca_file && https_ca_file_check(ca_file, why, sizeof(why)) != ACDL_OK) {
        snprintf(err, errsz, "ca_file: %s; or paste the certificate as ca_pem", why);
        return ACDL_EINVAL;
    }
    if (ca_pem && *ca_pem && strlen(ca_pem) > CA_PEM_MAX) {
        snprintf(err, errsz, "ca_pem: is longer than %d characters", CA_PEM_MAX);
        return ACDL_EINVAL;
    }
    if (ca_pem && *ca_pem && https_ca_check(ca_pem, strlen(ca_pem), why, sizeof(why)) != ACDL_OK) {
        snprintf(err, errsz, "ca_pem: %s", why);
        return ACDL_EINVAL;
    }
    if (pin && *pin && !is_hex64(pin)) {
        snprintf(err, errsz, "pin_sha256: must be the 64 hex digits of the SHA-256 of the "
                             "server certificate (DER)");
        return ACDL_EINVAL;
    }
    if (timeout < 1 || timeout > 300) {
        snprintf(err, errsz, "timeout_seconds: must be 1..300");
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

int settings_limit(const char *field, int v, int max, char *err, size_t errsz)
{
    if (v < 1 || v > max) {
        snprintf(err, errsz, "%s: must be 1..%d", field, max);
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

const char *settings_str(const json_t *settings, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(settings, key));
    return s ? s : def;
}

int settings_int(const json_t *settings, const char *key, int def)
{
    json_t *v = json_object_get(settings, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

int settings_bool(const json_t *settings, const char *key, int def)
{
    json_t *v = json_object_get(settings, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

int settings_post(const struct upload_target *t, const char *url, const struct upload_payload *p,
                  const char *key, struct upload_answer *a)
{
    struct https_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.url = url;
    rq.method = "POST";
    rq.content_type = p->content_type;
    rq.body = p->body;
    rq.len = p->len;
    rq.bearer = t->secret;
    rq.idempotency_key = key;
    rq.ca_file = settings_str(t->settings, "ca_file", "");
    rq.ca_pem = settings_str(t->settings, "ca_pem", "");
    rq.pin_sha256 = settings_str(t->settings, "pin_sha256", "");
    rq.timeout_s = settings_int(t->settings, "timeout_seconds", 30);
    rq.direct = !settings_bool(t->settings, "use_proxy", 1);
    /* deliveries (with their batch id) keep the connection; the connection test opens its own */
    rq.keep = key != NULL;
    return https_send(&rq, a);
}
