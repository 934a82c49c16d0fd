/* test_alerts.c: the SMTP reply reader and message builder (alerts/smtp.c), the alert
 * channels' settings and webhook bodies (alerts/channel.c) and the wording of notices
 * (alerts/words.c). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alerts/channel.h"
#include "alerts/smtp.h"
#include "alerts/words.h"
#include "check.h"
#include "core/err.h"

static int parse(const char *text, struct smtp_reply *r, size_t *used)
{
    return smtp_reply_parse(text, strlen(text), r, used);
}

static void test_reply_single_and_multi(void)
{
    struct smtp_reply r;
    size_t used = 0;
    CHECK_EQ_INT(parse("220 mail.example.com ESMTP\r\n", &r, &used), ACDL_OK);
    CHECK_EQ_INT(r.code, 220);
    CHECK_EQ_INT(r.lines, 1);
    CHECK_EQ_STR(r.text, "mail.example.com ESMTP");
    CHECK_EQ_INT(used, 28);
    const char *ehlo = "250-mail.example.com\r\n250-SIZE 1000\r\n250-STARTTLS\r\n"
                       "250-AUTH LOGIN PLAIN CRAM-MD5\r\n250 8BITMIME\r\n354 next\r\n";
    CHECK_EQ_INT(parse(ehlo, &r, &used), ACDL_OK);
    CHECK_EQ_INT(r.code, 250);
    CHECK_EQ_INT(r.lines, 5);
    CHECK_EQ_INT(r.ext,
                 SMTP_EXT_STARTTLS | SMTP_EXT_AUTH_PLAIN | SMTP_EXT_AUTH_LOGIN | SMTP_EXT_8BITMIME);
    CHECK_EQ_INT(used, strlen(ehlo) - strlen("354 next\r\n"));
    CHECK_CONTAINS(r.text, "mail.example.com / SIZE 1000 / STARTTLS");
    /* the old AUTH= form, a bare LF, a code without text */
    CHECK_EQ_INT(parse("250-x\n250-AUTH=PLAIN\n250\n", &r, &used), ACDL_OK);
    CHECK_EQ_INT(r.ext, SMTP_EXT_AUTH_PLAIN);
    CHECK_EQ_INT(r.lines, 3);
    /* the extensions of the first line are its greeting text, not extensions */
    CHECK_EQ_INT(parse("250 STARTTLS\r\n", &r, &used), ACDL_OK);
    CHECK_EQ_INT(r.ext, 0);
}

static void test_reply_incomplete_and_bad(void)
{
    struct smtp_reply r;
    size_t used = 0;
    CHECK_EQ_INT(parse("", &r, &used), ACDL_EAGAIN);
    CHECK_EQ_INT(parse("250-first\r\n250-second", &r, &used), ACDL_EAGAIN);
    CHECK_EQ_INT(parse("250-first\r\n", &r, &used), ACDL_EAGAIN);
    CHECK_EQ_INT(parse("HTTP/1.1 200 OK\r\n", &r, &used), ACDL_EINVAL);
    CHECK_EQ_INT(parse("250-a\r\n251 b\r\n", &r, &used), ACDL_EINVAL); /* codes differ */
    CHECK_EQ_INT(parse("25\r\n", &r, &used), ACDL_EINVAL);
    CHECK_EQ_INT(parse("250x\r\n", &r, &used), ACDL_EINVAL);
    CHECK_EQ_INT(parse("150 not a final class\r\n", &r, &used), ACDL_EINVAL);
    /* control characters in the text are blanked */
    CHECK_EQ_INT(parse("535 bad\x01pass\x7f\r\n", &r, &used), ACDL_OK);
    CHECK_EQ_STR(r.text, "bad pass ");
    /* a line longer than the limit is refused, also before its end arrives */
    static char big[SMTP_REPLY_MAX + 100];
    memset(big, 'a', sizeof(big));
    memcpy(big, "250 ", 4);
    CHECK_EQ_INT(smtp_reply_parse(big, sizeof(big), &r, &used), ACDL_EINVAL);
    /* a long text is cut at the kept size */
    big[1000] = '\r';
    big[1001] = '\n';
    CHECK_EQ_INT(smtp_reply_parse(big, 1002, &r, &used), ACDL_OK);
    CHECK_EQ_INT(strlen(r.text), SMTP_TEXT_MAX - 1);
    CHECK_EQ_INT(used, 1002);
}

static void test_message_build(void)
{
    const char *to[] = {"a@example.com", "b@example.org"};
    struct smtp_message m;
    char *out = NULL;
    size_t len = 0;
    memset(&m, 0, sizeof(m));
    m.from = "acdlink@example.net";
    m.to = to;
    m.nto = 2;
    m.subject = "Run failed: ACD Köln";
    m.body = ".starts with a dot\nline 2\n..two dots\nend";
    /* 2026-12-06 07:42:44 UTC, a Sunday */
    CHECK_EQ_INT(smtp_message_build(&m, 1796542964LL, "abc123", &out, &len), ACDL_OK);
    if (!out) {
        return;
    }
    CHECK_EQ_INT(len, strlen(out));
    CHECK(strncmp(out, "Date: Sun, 06 Dec 2026 07:42:44 +0000\r\n", 39) == 0);
    CHECK_CONTAINS(out, "\r\nFrom: acdlink@example.net\r\n");
    CHECK_CONTAINS(out, "\r\nTo: a@example.com,\r\n b@example.org\r\n");
    /* "Run failed: ACD Köln" in UTF-8, base64 */
    CHECK_CONTAINS(out, "\r\nSubject: =?UTF-8?B?UnVuIGZhaWxlZDogQUNEIEvDtmxu?=\r\n");
    CHECK_CONTAINS(out, "\r\nMessage-ID: <abc123@example.net>\r\n");
    CHECK_CONTAINS(out, "\r\nContent-Type: text/plain; charset=UTF-8\r\n");
    CHECK_CONTAINS(out, "\r\n\r\n..starts with a dot\r\nline 2\r\n...two dots\r\nend\r\n.\r\n");
    free(out);
    /* an ASCII subject stays as it is; a body ending in a newline gets no empty line */
    m.subject = "Plain";
    m.body = "x\n";
    CHECK_EQ_INT(smtp_message_build(&m, 0, "id", &out, &len), ACDL_OK);
    if (out) {
        CHECK(strncmp(out, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", 39) == 0);
        CHECK_CONTAINS(out, "\r\nSubject: Plain\r\n");
        CHECK(len > 9 && strcmp(out + len - 8, "\r\nx\r\n.\r\n") == 0);
        free(out);
    }
    /* a long subject is split into encoded words of whole characters, a long line is broken */
    static char subject[400], body[2100];
    for (int i = 0; i < 130; i++) {
        memcpy(subject + 3 * i, "\xc3\xa9", 2);
        subject[3 * i + 2] = 'x';
    }
    subject[390] = '\0';
    memset(body, 'b', 2000);
    body[2000] = '\0';
    m.subject = subject;
    m.body = body;
    CHECK_EQ_INT(smtp_message_build(&m, 0, "id", &out, &len), ACDL_OK);
    if (out) {
        const char *l = out;
        int longest = 0;
        while (*l) {
            const char *e = strstr(l, "\r\n");
            int n = e ? (int)(e - l) : (int)strlen(l);
            longest = n > longest ? n : longest;
            l += n + (e ? 2 : 0);
        }
        CHECK(longest <= 998);
        CHECK_CONTAINS(out, "?=\r\n =?UTF-8?B?");
        free(out);
    }
}

static void test_channel_settings(void)
{
    char err[512];
    json_t *s = json_pack("{s:s}", "url", "https://hooks.example.com/x");
    CHECK_EQ_INT(alert_channel_check("webhook", &s, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_STR(json_string_value(json_object_get(s, "format")), "json");
    CHECK_EQ_INT(json_integer_value(json_object_get(s, "timeout_seconds")), 10);
    json_decref(s);
    s = json_pack("{s:s}", "url", "http://hooks.example.com/x");
    CHECK_EQ_INT(alert_channel_check("webhook", &s, err, sizeof(err)), ACDL_EINVAL);
    CHECK(strncmp(err, "url:", 4) == 0);
    json_decref(s);
    s = json_pack("{s:s, s:s, s:s, s:[s]}", "host", "smtp.example.com", "security", "tls", "from",
                  "a@example.com", "to", "b@example.com");
    CHECK_EQ_INT(alert_channel_check("email", &s, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(json_integer_value(json_object_get(s, "port")), 465);
    CHECK_EQ_STR(json_string_value(json_object_get(s, "auth")), "auto");
    json_decref(s);
    s = json_pack("{s:s, s:s, s:[s, s]}", "host", "smtp.example.com", "from", "a@example.com", "to",
                  "b@example.com", "Name <c@example.com>");
    CHECK_EQ_INT(alert_channel_check("email", &s, err, sizeof(err)), ACDL_EINVAL);
    CHECK(strncmp(err, "to[1]:", 6) == 0);
    json_decref(s);
    s = json_pack("{s:s, s:s, s:[s], s:s}", "host", "smtp.example.com\r\nRCPT", "from",
                  "a@example.com", "to", "b@example.com", "user", "u");
    CHECK_EQ_INT(alert_channel_check("email", &s, err, sizeof(err)), ACDL_EINVAL);
    CHECK(strncmp(err, "host:", 5) == 0);
    json_decref(s);
}

static void test_webhook_bodies(void)
{
    struct alert_notice n;
    memset(&n, 0, sizeof(n));
    snprintf(n.event, sizeof(n.event), "%s", "run_failed");
    snprintf(n.state, sizeof(n.state), "%s", "firing");
    snprintf(n.subject, sizeof(n.subject), "%s", "ACD <Nord> & Süd");
    snprintf(n.title, sizeof(n.title), "%s", "Run 7 of source 'ACD <Nord> & Süd' failed");
    snprintf(n.message, sizeof(n.message), "%s", "folder not found");
    n.at = 0;
    n.suppressed = 2;
    char *b = alert_webhook_body("json", &n, "https://acdlink.example.com");
    json_t *j = b ? json_loads(b, 0, NULL) : NULL;
    CHECK(j != NULL);
    CHECK_EQ_INT(json_object_size(j), 8);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "at")), "1970-01-01T00:00:00Z");
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "suppressed")), 2);
    json_decref(j);
    free(b);
    b = alert_webhook_body("slack", &n, "");
    j = b ? json_loads(b, 0, NULL) : NULL;
    CHECK_EQ_STR(json_string_value(json_object_get(j, "text")),
                 "*Run 7 of source 'ACD &lt;Nord&gt; &amp; Süd' failed*\nfolder not found");
    json_decref(j);
    free(b);
    b = alert_webhook_body("teams", &n, "");
    j = b ? json_loads(b, 0, NULL) : NULL;
    json_t *card = json_object_get(json_array_get(json_object_get(j, "attachments"), 0), "content");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "type")), "message");
    CHECK_EQ_STR(json_string_value(json_object_get(card, "type")), "AdaptiveCard");
    CHECK_EQ_STR(json_string_value(
                     json_object_get(json_array_get(json_object_get(card, "body"), 0), "text")),
                 n.title);
    json_decref(j);
    free(b);
}

/* Inline plural blocks take each count's form in the language: one, other, French 0 and 1. */
static void test_words_plural_blocks(void)
{
    char out[512];
    const char *one = "{\"from\": \"2026-11-24\", \"to\": \"2026-11-25\", \"agents\": 1, "
                      "\"days\": 2, \"spans\": 1200}";
    CHECK_EQ_INT(alert_words_code("en", "run.agent_spans", one, "x", out, sizeof(out)), 1);
    CHECK_EQ_STR(out, "Agent spans for 2026-11-24 – 2026-11-25: 1 agent, 2 agent days changed, "
                      "1,200 spans");
    CHECK_EQ_INT(alert_words_code("de", "run.agent_spans", one, "x", out, sizeof(out)), 1);
    CHECK_EQ_STR(out, "Agentenspannen für 24.11.2026 – 25.11.2026: 1 Agent, 2 Agententage "
                      "geändert, 1.200 Spannen");
    const char *zero = "{\"from\": \"2026-11-24\", \"to\": \"2026-11-24\", \"agents\": 0, "
                       "\"days\": 1, \"spans\": 2}";
    CHECK_EQ_INT(alert_words_code("fr", "run.agent_spans", zero, "x", out, sizeof(out)), 1);
    CHECK_EQ_STR(out, "Périodes d’agents pour 24/11/2026 – 24/11/2026\u00a0: 0 agent, 1 jour-agent "
                      "modifié, 2 périodes");
    /* the run log's coded lines count the same way */
    CHECK_EQ_INT(alert_words_code("fr", "run.file_read", "{\"file\": \"a.csv\", \"bytes\": 0}", "x",
                                  out, sizeof(out)),
                 1);
    CHECK_EQ_STR(out, "a.csv\u00a0: lu (0 octet)");
    CHECK_EQ_INT(alert_words_code("de", "val.login_throttled", "{\"seconds\": \"1\"}", "x", out,
                                  sizeof(out)),
                 1);
    CHECK_EQ_STR(out, "zu viele fehlgeschlagene Anmeldungen; versuchen Sie es in 1 Sekunde wieder");
    CHECK_EQ_INT(alert_words_code("en", "run.file_read", "{\"file\": \"a.csv\", \"bytes\": 2048}",
                                  "x", out, sizeof(out)),
                 1);
    CHECK_EQ_STR(out, "a.csv: read (2,048 bytes)");
    CHECK_EQ_INT(alert_words_code("en", "run.agent_spans", "{}", "x", out, sizeof(out)), 1);
    CHECK(strstr(out, "{agents} agents") != NULL);
}

int main(void)
{
    RUN(test_reply_single_and_multi);
    RUN(test_reply_incomplete_and_bad);
    RUN(test_message_build);
    RUN(test_channel_settings);
    RUN(test_webhook_bodies);
    RUN(test_words_plural_blocks);
    return check_summary();
}
