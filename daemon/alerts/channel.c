/* channel.c: webhook and e-mail alert channels: their settings, payloads and sending. */
#include "alerts/channel.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/smtp.h"
#include "alerts/words.h"
#include "core/err.h"
#include "core/why.h"
#include "platform/platform.h"
#include "upload/https.h"
#include "upload/settings.h"

/* A bounded text being written: p[0..n) of sz bytes. */
struct body {
    char *p;
    size_t n, sz;
};

int alert_channel_kind_valid(const char *kind)
{
    return kind && (!strcmp(kind, "webhook") || !strcmp(kind, "email"));
}

static int check_webhook(json_t **settings, char *err, size_t errsz)
{
    const char *url = NULL, *format = "json", *ca = "", *pin = "", *language = "en";
    int timeout = 10;
    json_error_t je;
    if (json_unpack_ex(*settings, &je, JSON_STRICT, "{s:s, s?s, s?s, s?s, s?i, s?s}", "url", &url,
                       "format", &format, "ca_file", &ca, "pin_sha256", &pin, "timeout_seconds",
                       &timeout, "language", &language) != 0) {
        snprintf(err, errsz,
                 "settings: %s (a webhook takes url, format, ca_file, pin_sha256, "
                 "timeout_seconds, language)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (!alert_language_valid(language)) {
        snprintf(err, errsz, "language: must be en, de or fr");
        return ACDL_EINVAL;
    }
    if (strcmp(format, "json") && strcmp(format, "slack") && strcmp(format, "teams")) {
        snprintf(err, errsz, "format: must be json (acdlink's notice), slack or teams");
        return ACDL_EINVAL;
    }
    if (settings_https_check("url", url, ca, NULL, pin, timeout, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "url", url, "format", format, "ca_file",
                          ca, "pin_sha256", pin, "timeout_seconds", timeout, "language", language);
    if (!n) {
        return ACDL_ENOMEM;
    }
    json_decref(*settings);
    *settings = n;
    return ACDL_OK;
}

/* A bare address local@domain: printable ASCII, no spaces, brackets or quotes. */
static const char *address_why(const char *a)
{
    const char *at = strrchr(a, '@');
    size_t n = strlen(a);
    if (n < 3 || n > 254 || !at || at == a || !at[1]) {
        return "must be an address like name@example.com";
    }
    for (const char *p = a; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>()[],;:\"\\", *p)) {
            return "must be a bare address (name@example.com) without spaces, names or brackets";
        }
    }
    return NULL;
}

static const char *host_why(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253) {
        return "must be the SMTP server's host name or address";
    }
    for (const char *p = h; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':') {
            return "must be a host name or address (letters, digits, '.', '-', ':')";
        }
    }
    return NULL;
}

static int check_email(json_t **settings, char *err, size_t errsz)
{
    const char *host = NULL, *security = "starttls", *from = NULL, *user = "", *auth = "auto",
               *ca = "", *language = "en", *why;
    int port = 0, timeout = 30;
    json_t *to = NULL, *v;
    json_error_t je;
    size_t i;
    if (json_unpack_ex(*settings, &je, JSON_STRICT,
                       "{s:s, s?i, s?s, s:s, s:o, s?s, s?s, s?s, s?i, s?s}", "host", &host, "port",
                       &port, "security", &security, "from", &from, "to", &to, "user", &user,
                       "auth", &auth, "ca_file", &ca, "timeout_seconds", &timeout, "language",
                       &language) != 0) {
        snprintf(err, errsz,
                 "settings: %s (e-mail takes host, port, security, from, to, user, auth, "
                 "ca_file, timeout_seconds, language)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (!alert_language_valid(language)) {
        snprintf(err, errsz, "language: must be en, de or fr");
        return ACDL_EINVAL;
    }
    if ((why = host_why(host)) != NULL) {
        snprintf(err, errsz, "host: %s", why);
        return ACDL_EINVAL;
    }
    if (strcmp(security, "starttls") && strcmp(security, "tls")) {
        snprintf(err, errsz,
                 "security: must be starttls (usually port 587) or tls (usually port "
                 "465); certificates are always verified");
        return ACDL_EINVAL;
    }
    if (port == 0) {
        port = strcmp(security, "tls") ? 587 : 465;
    }
    if (port < 1 || port > 65535) {
        snprintf(err, errsz, "port: must be 1..65535");
        return ACDL_EINVAL;
    }
    if ((why = address_why(from)) != NULL) {
        snprintf(err, errsz, "from: %s", why);
        return ACDL_EINVAL;
    }
    if (!json_is_array(to) || json_array_size(to) < 1 || json_array_size(to) > ALERT_TO_MAX) {
        snprintf(err, errsz, "to: must be a list of 1..%d addresses", ALERT_TO_MAX);
        return ACDL_EINVAL;
    }
    json_array_foreach(to, i, v)
    {
        if (!json_is_string(v) || (why = address_why(json_string_value(v))) != NULL) {
            snprintf(err, errsz, "to[%zu]: %s", i,
                     json_is_string(v) ? why : "must be an address like name@example.com");
            return ACDL_EINVAL;
        }
    }
    if (strlen(user) > 200 || strpbrk(user, "\r\n")) {
        snprintf(err, errsz, "user: must be at most 200 characters on one line");
        return ACDL_EINVAL;
    }
    if (strcmp(auth, "auto") && strcmp(auth, "plain") && strcmp(auth, "login")) {
        snprintf(err, errsz, "auth: must be auto, plain or login");
        return ACDL_EINVAL;
    }
    /* a path is a privilege: only a file inside the import roots, read when sending */
    char cwhy[1800] = "";
    if (*ca && (strlen(ca) > 1000 || https_ca_file_check(ca, cwhy, sizeof(cwhy)) != ACDL_OK)) {
        snprintf(err, errsz, "ca_file: %.400s", *cwhy ? cwhy : "is longer than 1000 characters");
        return ACDL_EINVAL;
    }
    if (timeout < 1 || timeout > 300) {
        snprintf(err, errsz, "timeout_seconds: must be 1..300");
        return ACDL_EINVAL;
    }
    json_t *n =
        json_pack("{s:s, s:i, s:s, s:s, s:O, s:s, s:s, s:s, s:i, s:s}", "host", host, "port", port,
                  "security", security, "from", from, "to", to, "user", user, "auth", auth,
                  "ca_file", ca, "timeout_seconds", timeout, "language", language);
    if (!n) {
        return ACDL_ENOMEM;
    }
    json_decref(*settings);
    *settings = n;
    return ACDL_OK;
}

int alert_channel_check(const char *kind, json_t **settings, char *err, size_t errsz)
{
    if (!json_is_object(*settings)) {
        snprintf(err, errsz, "settings: must be an object");
        return ACDL_EINVAL;
    }
    return !strcmp(kind, "email") ? check_email(settings, err, errsz)
                                  : check_webhook(settings, err, errsz);
}

/* Slack reads &, < and > as markup (links, mentions): escape them. */
static char *slack_escape(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : 1;
    }
    char *o = malloc(n + 1), *q = o;
    if (!o) {
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
        if (rep) {
            memcpy(q, rep, strlen(rep));
            q += strlen(rep);
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return o;
}

char *alert_webhook_body(const char *format, const struct alert_notice *n, const char *appliance)
{
    json_t *doc = NULL;
    char at[32];
    plat_time_iso(n->at, at, sizeof(at));
    if (!strcmp(format, "slack")) {
        char *t = slack_escape(n->title), *m = slack_escape(n->message), *text = NULL;
        size_t len = (t ? strlen(t) : 0) + (m ? strlen(m) : 0) + 8;
        if (t && m && (text = malloc(len)) != NULL) {
            snprintf(text, len, "*%s*\n%s", t, m);
            doc = json_pack("{s:s}", "text", text);
        }
        free(t);
        free(m);
        free(text);
    } else if (!strcmp(format, "teams")) {
        /* a message with one Adaptive Card, as Teams incoming webhooks and workflows take */
        doc = json_pack(
            "{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, "
            "s:b}]}}]}",
            "type", "message", "attachments", "contentType",
            "application/vnd.microsoft.card.adaptive", "contentUrl", "content", "$schema",
            "http://adaptivecards.io/schemas/adaptive-card.json", "type", "AdaptiveCard", "version",
            "1.2", "body", "type", "TextBlock", "text", n->title, "weight", "Bolder", "size",
            "Medium", "wrap", 1, "type", "TextBlock", "text", n->message, "wrap", 1);
    } else {
        doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "event", n->event, "state",
                        n->state, "subject", n->subject, "title", n->title, "message", n->message,
                        "at", at, "suppressed", n->suppressed, "appliance",
                        appliance ? appliance : "");
    }
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return body;
}

/* Adds the answer's error to p as its detail, with the detail's message code and parameters
 * beside it when it has one. Returns p. */
static json_t *detail_params(json_t *p, const struct upload_answer *a)
{
    json_t *dp = a->error_code[0] ? json_loads(a->error_params, 0, NULL) : NULL;
    if (p) {
        json_object_set_new(p, "detail", json_string(a->error));
    }
    if (p && dp) {
        json_object_set_new(p, "detail_code", json_string(a->error_code));
        json_object_set_new(p, "detail_params", dp);
    } else {
        json_decref(dp);
    }
    return p;
}

static int send_webhook(const struct alert_channel *ch, const struct alert_notice *n,
                        const char *appliance, char *err, size_t errsz)
{
    struct https_request rq;
    struct upload_answer a;
    char *body = alert_webhook_body(settings_str(ch->settings, "format", "json"), n, appliance);
    if (!body) {
        return ACDL_ENOMEM;
    }
    memset(&rq, 0, sizeof(rq));
    rq.url = settings_str(ch->settings, "url", "");
    rq.method = "POST";
    rq.content_type = "application/json";
    rq.body = body;
    rq.len = strlen(body);
    rq.bearer = ch->secret;
    rq.ca_file = settings_str(ch->settings, "ca_file", "");
    rq.pin_sha256 = settings_str(ch->settings, "pin_sha256", "");
    rq.timeout_s = settings_int(ch->settings, "timeout_seconds", 10);
    int rc = https_send(&rq, &a);
    free(body);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (a.fail == UPLOAD_FAIL_NONE && a.status >= 200 && a.status < 300) {
        return ACDL_OK;
    }
    if (a.fail != UPLOAD_FAIL_NONE) {
        snprintf(err, errsz, "the webhook was not reached: %s", a.error);
        why_note(err, "alert.webhook_unreached", detail_params(json_object(), &a));
    } else {
        snprintf(err, errsz, "the webhook answered %d: %.300s", a.status, a.answer);
        why_note(err, "alert.webhook_status",
                 json_pack("{s:i, s:s%}", "status", a.status, "answer", a.answer,
                           strnlen(a.answer, 300)));
    }
    return ACDL_EIO;
}

/* One line of an e-mail notice: the text of key in lang with params (stolen), a line break. */
static void body_line(const char *lang, const char *key, json_t *params, struct body *b)
{
    char line[1200];
    alert_words(lang, key, params, "", line, sizeof(line));
    json_decref(params);
    int w = snprintf(b->p + b->n, b->sz - b->n, "%s\n", line);
    b->n = w < 0 || (size_t)w >= b->sz - b->n ? b->sz - 1 : b->n + (size_t)w;
}

/* The text of an e-mail notice in lang: title, message, event, subject, time, held-back
 * notices and the sending machine. */
static void email_body(const char *lang, const struct alert_notice *n, const char *appliance,
                       char *out, size_t outsz)
{
    struct body b = {out, 0, outsz};
    char at[32], key[64], event[200];
    plat_time_iso(n->at, at, sizeof(at));
    snprintf(key, sizeof(key), "alerts.event.%s", n->event);
    /* English keeps the event's key as it is, the others name it */
    if (!strcmp(lang, "en") || !alert_words(lang, key, NULL, n->event, event, sizeof(event))) {
        snprintf(event, sizeof(event), "%s", n->event);
    }
    snprintf(key, sizeof(key), "notice.state.%s", n->state);
    char state[64];
    alert_words(lang, key, NULL, n->state, state, sizeof(state));
    int w = snprintf(out, outsz, "%s\n\n%s\n\n", n->title, n->message);
    b.n = w < 0 || (size_t)w >= outsz ? outsz - 1 : (size_t)w;
    body_line(lang, "notice.event", json_pack("{s:s, s:s}", "event", event, "state", state), &b);
    body_line(lang, "notice.subject", json_pack("{s:s}", "subject", n->subject), &b);
    body_line(lang, "notice.at", json_pack("{s:s}", "at", at), &b);
    if (n->suppressed) {
        body_line(lang, "notice.held_back", json_pack("{s:i}", "count", n->suppressed), &b);
    }
    if (appliance && *appliance) {
        body_line(lang, "notice.appliance", json_pack("{s:s}", "appliance", appliance), &b);
    }
}

static int send_email(const struct alert_channel *ch, const struct alert_notice *n,
                      const char *appliance, char *err, size_t errsz)
{
    struct smtp_message m;
    struct upload_answer a;
    const char *to[ALERT_TO_MAX];
    char helo[256], subject[400], body[2048];
    json_t *jto = json_object_get(ch->settings, "to");
    memset(&m, 0, sizeof(m));
    for (size_t i = 0; i < json_array_size(jto) && i < ALERT_TO_MAX; i++) {
        to[m.nto++] = json_string_value(json_array_get(jto, i));
    }
    plat_hostname(helo, sizeof(helo));
    for (char *p = helo; *p; p++) {
        *p = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-';
    }
    snprintf(subject, sizeof(subject), "[acdlink] %s", n->title);
    email_body(settings_str(ch->settings, "language", "en"), n, appliance, body, sizeof(body));
    m.host = settings_str(ch->settings, "host", "");
    m.port = settings_int(ch->settings, "port", 587);
    m.security = settings_str(ch->settings, "security", "starttls");
    m.ca_file = settings_str(ch->settings, "ca_file", "");
    m.user = settings_str(ch->settings, "user", "");
    m.password = ch->secret;
    m.auth = settings_str(ch->settings, "auth", "auto");
    m.helo = *helo ? helo : "acdlink";
    m.from = settings_str(ch->settings, "from", "");
    m.to = to;
    m.subject = subject;
    m.body = body;
    m.timeout_s = settings_int(ch->settings, "timeout_seconds", 30);
    if (*m.user && !m.password) {
        snprintf(err, errsz, "the channel has a user but no password: set the password");
        why_note(err, "alert.email_no_password", NULL);
        return ACDL_EIO;
    }
    int rc = smtp_send(&m, &a);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (a.fail == UPLOAD_FAIL_NONE && a.status == 250) {
        return ACDL_OK;
    }
    snprintf(err, errsz, "the mail server %s port %d: %s", m.host, m.port, a.error);
    why_note(err, "alert.email_failed",
             detail_params(json_pack("{s:s, s:i}", "host", m.host, "port", m.port), &a));
    return ACDL_EIO;
}

int alert_channel_send(const struct alert_channel *ch, const struct alert_notice *n,
                       const char *appliance, char *err, size_t errsz)
{
    err[0] = '\0';
    /* the notice in the channel's language, from the codes of its title and message */
    const char *lang = settings_str(ch->settings, "language", "en");
    struct alert_notice *w = malloc(sizeof(*w));
    if (!w) {
        return ACDL_ENOMEM;
    }
    *w = *n;
    if (strcmp(lang, "en") != 0) {
        alert_words_code(lang, n->title_code, n->title_params, n->title, w->title,
                         sizeof(w->title));
        alert_words_code(lang, n->message_code, n->message_params, n->message, w->message,
                         sizeof(w->message));
    }
    int rc = !strcmp(ch->kind, "email") ? send_email(ch, w, appliance, err, errsz)
                                        : send_webhook(ch, w, appliance, err, errsz);
    free(w);
    return rc;
}
