/* smtp.c: the SMTP client of the e-mail alert channel (see smtp.h). */
#include "alerts/smtp.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "platform/printf.h"
#include "upload/netconn.h"

#define LINE_MAX_OUT 990 /* RFC 5321 allows 998 characters per line; stay below */

/* Reads the 3-digit code and separator of a reply line; 0 when malformed. */
static int line_head(const char *l, size_t len, int *code, char *sep)
{
    if (len < 3 || !isdigit((unsigned char)l[0]) || !isdigit((unsigned char)l[1]) ||
        !isdigit((unsigned char)l[2]) || l[0] < '2' || l[0] > '5') {
        return 0;
    }
    *code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    *sep = len > 3 ? l[3] : ' ';
    return *sep == ' ' || *sep == '-';
}

/* Adds the extension a line after the first of an EHLO reply announces. */
static int line_ext(const char *t, size_t len)
{
    char w[64];
    int ext = 0;
    size_t i = 0;
    if (len >= 8 && !strncasecmp(t, "STARTTLS", 8) && (len == 8 || t[8] == ' ')) {
        return SMTP_EXT_STARTTLS;
    }
    if (len >= 8 && !strncasecmp(t, "8BITMIME", 8) && (len == 8 || t[8] == ' ')) {
        return SMTP_EXT_8BITMIME;
    }
    if (len < 5 || strncasecmp(t, "AUTH", 4) != 0 || (t[4] != ' ' && t[4] != '=')) {
        return 0;
    }
    for (i = 5; i < len;) {
        size_t wl = 0;
        while (i < len && (t[i] == ' ' || t[i] == '=')) {
            i++;
        }
        while (i < len && t[i] != ' ' && wl < sizeof(w) - 1) {
            w[wl++] = t[i++];
        }
        while (i < len && t[i] != ' ') {
            i++; /* a word longer than any mechanism name */
        }
        w[wl] = '\0';
        ext |= !strcasecmp(w, "PLAIN") ? SMTP_EXT_AUTH_PLAIN : 0;
        ext |= !strcasecmp(w, "LOGIN") ? SMTP_EXT_AUTH_LOGIN : 0;
    }
    return ext;
}

int smtp_reply_parse(const char *buf, size_t n, struct smtp_reply *r, size_t *used)
{
    size_t pos = 0, tl = 0;
    int first = 0;
    memset(r, 0, sizeof(*r));
    for (;;) {
        const char *l = buf + pos;
        const char *nl = memchr(l, '\n', n - pos);
        if (!nl) {
            return n - pos > SMTP_REPLY_MAX ? ACDL_EINVAL : ACDL_EAGAIN;
        }
        size_t len = (size_t)(nl - l);
        if (len > 0 && l[len - 1] == '\r') {
            len--;
        }
        int code;
        char sep;
        if (len > SMTP_REPLY_MAX || !line_head(l, len, &code, &sep) ||
            (r->lines > 0 && code != first)) {
            return ACDL_EINVAL;
        }
        first = code;
        const char *t = len > 4 ? l + 4 : l + len;
        size_t tlen = len > 4 ? len - 4 : 0;
        if (r->lines > 0) {
            r->ext |= line_ext(t, tlen);
            if (tl + 3 < sizeof(r->text)) {
                memcpy(r->text + tl, " / ", 3);
                tl += 3;
            }
        }
        for (size_t i = 0; i < tlen && tl + 1 < sizeof(r->text); i++) {
            unsigned char ch = (unsigned char)t[i];
            r->text[tl++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        }
        r->text[tl] = '\0';
        r->lines++;
        r->code = code;
        pos = (size_t)(nl - buf) + 1;
        if (sep == ' ') {
            *used = pos;
            return ACDL_OK;
        }
        if (pos > SMTP_REPLY_MAX * 4) {
            return ACDL_EINVAL;
        }
    }
}

/* --- building the message --- */

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_fmt(struct sbuf *b, const char *fmt, ...) ACDL_PRINTF(2, 3);
static void sb_fmt(struct sbuf *b, const char *fmt, ...)
{
    char tmp[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) {
        sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
    }
}

static int is_ascii_text(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20) {
            return 0;
        }
    }
    return 1;
}

/* The subject as encoded words (RFC 2047, UTF-8, base64), each under 76 characters and
 * split only between whole UTF-8 characters. */
static void sb_subject(struct sbuf *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    if (is_ascii_text(s) && n < LINE_MAX_OUT - 20) {
        sb_str(b, s);
        return;
    }
    while (i < n) {
        size_t take = 0;
        while (i + take < n) {
            size_t ch = 1;
            unsigned char c = (unsigned char)s[i + take];
            ch = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (take + ch > 45) {
                break;
            }
            take += ch;
        }
        if (take == 0 || i + take > n) {
            take = n - i;
        }
        unsigned char enc[80];
        int el = EVP_EncodeBlock(enc, (const unsigned char *)s + i, (int)take);
        sb_str(b, i ? "\r\n " : "");
        sb_str(b, "=?UTF-8?B?");
        sb_add(b, (const char *)enc, (size_t)el);
        sb_str(b, "?=");
        i += take;
    }
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void rfc5322_date(long long t, char *out, size_t outsz)
{
    static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    long long sec = t - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[((days % 7) + 7) % 7], d,
             mn[m - 1], y, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
}

/* The body: CRLF line ends, long lines broken, lines starting with '.' doubled. */
static void sb_body(struct sbuf *b, const char *s)
{
    size_t col = 0;
    sb_str(b, *s == '.' ? "." : "");
    for (; *s; s++) {
        if (*s == '\r') {
            continue;
        }
        if (*s == '\n' || col >= LINE_MAX_OUT) {
            sb_str(b, "\r\n");
            col = 0;
            if (*s != '\n') {
                s--; /* the character that did not fit starts the next line */
            }
            if (s[1] == '.') {
                sb_str(b, ".");
                col++;
            }
            continue;
        }
        sb_add(b, s, 1);
        col++;
    }
    sb_str(b, col ? "\r\n.\r\n" : ".\r\n");
}

int smtp_message_build(const struct smtp_message *m, long long now, const char *id_hex, char **out,
                       size_t *len)
{
    struct sbuf b = {NULL, 0, 0, 0};
    char date[64];
    const char *at = strrchr(m->from, '@');
    rfc5322_date(now, date, sizeof(date));
    sb_fmt(&b, "Date: %s\r\nFrom: %s\r\nTo: ", date, m->from);
    for (int i = 0; i < m->nto; i++) {
        sb_fmt(&b, "%s%s", i ? ",\r\n " : "", m->to[i]);
    }
    sb_str(&b, "\r\nSubject: ");
    sb_subject(&b, m->subject);
    sb_fmt(&b,
           "\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: "
           "auto-generated\r\nX-Mailer: acdlink/" ACDLINK_VERSION "\r\n\r\n",
           id_hex, at && at[1] ? at + 1 : "acdlink.invalid");
    sb_body(&b, m->body);
    if (b.oom) {
        free(b.p);
        return ACDL_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return ACDL_OK;
}

/* --- the dialogue --- */

struct session {
    struct netconn c;
    struct upload_answer *a;
    char buf[SMTP_REPLY_MAX * 4 + 1];
    size_t have;
    struct smtp_reply r;
};

/* Writes the failure's English text and its message code code with the parameters params
 * (stolen, NULL: none) into the answer. */
static void fail(struct session *s, enum upload_fail f, const char *code, json_t *params,
                 const char *fmt, ...) ACDL_PRINTF(5, 6);
static void fail(struct session *s, enum upload_fail f, const char *code, json_t *params,
                 const char *fmt, ...)
{
    va_list ap;
    s->a->fail = f;
    va_start(ap, fmt);
    vsnprintf(s->a->error, sizeof(s->a->error), fmt, ap);
    va_end(ap);
    s->a->error_code[0] = s->a->error_params[0] = '\0';
    netconn_code(s->a, code, params);
}

/* The parameters of a failure in step: the step as shown, with its own message code when it is
 * worded in English rather than named by its SMTP command. */
static json_t *step_params(const char *step)
{
    static const struct {
        const char *text, *code;
    } words[] = {{"greeting", "smtp.step_greeting"},
                 {"end of DATA", "smtp.step_end_of_data"},
                 {"EHLO after STARTTLS", "smtp.step_ehlo_tls"},
                 {"AUTH LOGIN (user name)", "smtp.step_auth_user"},
                 {"AUTH LOGIN (password)", "smtp.step_auth_password"}};
    json_t *p = json_pack("{s:s}", "step", step);
    for (size_t i = 0; p && i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcmp(step, words[i].text)) {
            json_object_set_new(p, "step_code", json_string(words[i].code));
            json_object_set_new(p, "step_params", json_object());
        }
    }
    return p;
}

/* The parameters of an unexpected reply in step: its status and the server's own text. */
static json_t *reply_params(const char *step, const struct smtp_reply *r)
{
    json_t *p = step_params(step);
    if (p) {
        json_object_set_new(p, "status", json_integer(r->code));
        json_object_set_new(p, "reply", json_stringn(r->text, strnlen(r->text, 200)));
    }
    return p;
}

/* Reads the next reply into s->r; names step in failures. */
static int reply(struct session *s, const char *step)
{
    for (;;) {
        size_t used = 0;
        int rc = smtp_reply_parse(s->buf, s->have, &s->r, &used);
        if (rc == ACDL_OK) {
            memmove(s->buf, s->buf + used, s->have - used);
            s->have -= used;
            return ACDL_OK;
        }
        if (rc != ACDL_EAGAIN || s->have >= sizeof(s->buf) - 1) {
            fail(s, UPLOAD_FAIL_IO, "smtp.not_smtp", step_params(step),
                 "%s: the server's answer is not SMTP", step);
            return ACDL_EIO;
        }
        long got = netconn_read(&s->c, s->buf + s->have, sizeof(s->buf) - 1 - s->have);
        if (got == -2) {
            fail(s, UPLOAD_FAIL_TIMEOUT, "smtp.no_answer", step_params(step),
                 "%s: no answer within the timeout", step);
            return ACDL_EIO;
        }
        if (got <= 0) {
            fail(s, UPLOAD_FAIL_IO, "smtp.closed", step_params(step),
                 "%s: the server closed the connection", step);
            return ACDL_EIO;
        }
        s->have += (size_t)got;
    }
}

/* Sends a command line (shown in failures as shown, never the text when it holds secrets)
 * and reads the reply; it must have code want (or want2). */
static int command(struct session *s, const char *line, const char *shown, int want, int want2)
{
    char out[1100];
    int n = snprintf(out, sizeof(out), "%s\r\n", line);
    if (n <= 0 || (size_t)n >= sizeof(out) || netconn_write(&s->c, out, (size_t)n) != ACDL_OK) {
        fail(s, UPLOAD_FAIL_IO, "smtp.broke", step_params(shown), "%s: the connection broke",
             shown);
        return ACDL_EIO;
    }
    if (reply(s, shown) != ACDL_OK) {
        return ACDL_EIO;
    }
    if (s->r.code != want && s->r.code != want2) {
        fail(s, UPLOAD_FAIL_NONE, "smtp.answered", reply_params(shown, &s->r),
             "%s: the server answered %d %s", shown, s->r.code, s->r.text);
        s->a->status = s->r.code;
        return ACDL_EIO;
    }
    return ACDL_OK;
}

static void b64(const char *in, size_t n, char *out, size_t outsz)
{
    if (outsz < 4 * ((n + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
}

static int authenticate(struct session *s, const struct smtp_message *m, int ext)
{
    char raw[1100], line[1600];
    size_t ul = strlen(m->user), pl = m->password ? strlen(m->password) : 0;
    int plain = strcmp(m->auth, "login") != 0 && (ext & SMTP_EXT_AUTH_PLAIN);
    int login = strcmp(m->auth, "plain") != 0 && (ext & SMTP_EXT_AUTH_LOGIN);
    int rc = ACDL_EIO;
    if (ul + pl + 2 >= sizeof(raw)) {
        fail(s, UPLOAD_FAIL_CONFIG, "smtp.auth_too_long", NULL,
             "the user name and password are too long");
        return ACDL_EIO;
    }
    if (!plain && !login) {
        const char *want = !strcmp(m->auth, "plain")   ? "AUTH PLAIN"
                           : !strcmp(m->auth, "login") ? "AUTH LOGIN"
                                                       : "AUTH PLAIN or LOGIN";
        int some = ext & (SMTP_EXT_AUTH_PLAIN | SMTP_EXT_AUTH_LOGIN);
        char offers[16];
        snprintf(offers, sizeof(offers), "%s%s", ext & SMTP_EXT_AUTH_PLAIN ? "PLAIN " : "",
                 ext & SMTP_EXT_AUTH_LOGIN ? "LOGIN" : "");
        fail(s, UPLOAD_FAIL_CONFIG, some ? "smtp.auth_unoffered" : "smtp.auth_none",
             json_pack("{s:s, s:s, s:s}", "auth", m->auth, "want", want, "offers", offers),
             "AUTH: the server does not offer %s after EHLO (it offers %s%s); check security "
             "and auth",
             want, offers, some ? "" : "no usable mechanism");
        return ACDL_EIO;
    }
    if (plain) {
        raw[0] = '\0';
        memcpy(raw + 1, m->user, ul);
        raw[ul + 1] = '\0';
        memcpy(raw + ul + 2, m->password ? m->password : "", pl);
        memcpy(line, "AUTH PLAIN ", 11);
        b64(raw, ul + pl + 2, line + 11, sizeof(line) - 11);
        rc = command(s, line, "AUTH PLAIN", 235, 235);
    } else {
        rc = command(s, "AUTH LOGIN", "AUTH LOGIN", 334, 334);
        if (rc == ACDL_OK) {
            b64(m->user, ul, line, sizeof(line));
            rc = command(s, line, "AUTH LOGIN (user name)", 334, 334);
        }
        if (rc == ACDL_OK) {
            b64(m->password ? m->password : "", pl, line, sizeof(line));
            rc = command(s, line, "AUTH LOGIN (password)", 235, 235);
        }
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(line, sizeof(line));
    if (rc != ACDL_OK && s->a->status == 535) {
        fail(s, UPLOAD_FAIL_NONE, "smtp.auth_refused", reply_params("AUTH", &s->r),
             "the server refused the user name or password (%d %.300s): set the right "
             "password",
             s->r.code, s->r.text);
    }
    return rc;
}

/* The password as sent (itself, AUTH LOGIN's base64 of it, AUTH PLAIN's of user and password)
 * never stays in what the server answered: a failure is shown beside the channel. */
static void redact_login(const struct smtp_message *m, struct upload_answer *a)
{
    char raw[1100], enc[1600];
    size_t ul = m->user ? strlen(m->user) : 0, pl = m->password ? strlen(m->password) : 0;
    if (!pl || ul + pl + 2 >= sizeof(raw)) {
        return;
    }
    netconn_redact(a, m->password);
    b64(m->password, pl, enc, sizeof(enc));
    netconn_redact(a, enc);
    raw[0] = '\0';
    memcpy(raw + 1, m->user ? m->user : "", ul);
    raw[ul + 1] = '\0';
    memcpy(raw + ul + 2, m->password, pl);
    b64(raw, ul + pl + 2, enc, sizeof(enc));
    netconn_redact(a, enc);
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(enc, sizeof(enc));
}

int smtp_send(const struct smtp_message *m, struct upload_answer *a)
{
    struct session *s = calloc(1, sizeof(*s));
    char line[1100], *msg = NULL, id[40];
    size_t msglen = 0;
    unsigned char rnd[12];
    int tls_now = !strcmp(m->security, "tls"), rc = ACDL_OK;
    memset(a, 0, sizeof(*a));
    a->retry_after = -1;
    if (!s) {
        return ACDL_ENOMEM;
    }
    s->a = a;
    netconn_init(&s->c, m->timeout_s > 0 ? m->timeout_s : 30);
    if (crypto_random(rnd, sizeof(rnd)) != ACDL_OK) {
        memset(rnd, 0, sizeof(rnd));
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    }
    snprintf(id + 24, sizeof(id) - 24, ".%llx", (long long)plat_now());
    if (smtp_message_build(m, (long long)plat_now(), id, &msg, &msglen) != ACDL_OK) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    if (netconn_connect(&s->c, m->host, m->port, UPLOAD_FAIL_TCP, a) != ACDL_OK ||
        (tls_now && netconn_tls(&s->c, m->host, NULL, m->ca_file, NULL, a) != ACDL_OK) ||
        reply(s, "greeting") != ACDL_OK) {
        goto out;
    }
    if (s->r.code != 220) {
        fail(s, UPLOAD_FAIL_NONE, "smtp.answered", reply_params("greeting", &s->r),
             "greeting: the server answered %d %s", s->r.code, s->r.text);
        a->status = s->r.code;
        goto out;
    }
    snprintf(line, sizeof(line), "EHLO %s", m->helo);
    if (command(s, line, "EHLO", 250, 250) != ACDL_OK) {
        goto out;
    }
    if (!tls_now) {
        if (!(s->r.ext & SMTP_EXT_STARTTLS)) {
            fail(s, UPLOAD_FAIL_TLS, "smtp.no_starttls", NULL,
                 "STARTTLS: the server does not offer it; use security \"tls\" if it expects "
                 "TLS from the start (usually port 465)");
            goto out;
        }
        if (command(s, "STARTTLS", "STARTTLS", 220, 220) != ACDL_OK ||
            netconn_tls(&s->c, m->host, NULL, m->ca_file, NULL, a) != ACDL_OK) {
            goto out;
        }
        s->have = 0; /* nothing sent before TLS counts after it */
        if (command(s, line, "EHLO after STARTTLS", 250, 250) != ACDL_OK) {
            goto out;
        }
    }
    int ext = s->r.ext;
    if (m->user && *m->user && authenticate(s, m, ext) != ACDL_OK) {
        goto out;
    }
    snprintf(line, sizeof(line), "MAIL FROM:<%s>%s", m->from,
             ext & SMTP_EXT_8BITMIME ? " BODY=8BITMIME" : "");
    if (command(s, line, "MAIL FROM", 250, 250) != ACDL_OK) {
        goto out;
    }
    for (int i = 0; i < m->nto; i++) {
        char shown[300];
        snprintf(line, sizeof(line), "RCPT TO:<%s>", m->to[i]);
        snprintf(shown, sizeof(shown), "RCPT TO %.250s", m->to[i]);
        if (command(s, line, shown, 250, 251) != ACDL_OK) {
            goto out;
        }
    }
    if (command(s, "DATA", "DATA", 354, 354) != ACDL_OK) {
        goto out;
    }
    if (netconn_write(&s->c, msg, msglen) != ACDL_OK) {
        fail(s, UPLOAD_FAIL_IO, "smtp.data_broke", NULL,
             "DATA: the connection broke while sending the message");
        goto out;
    }
    if (reply(s, "end of DATA") != ACDL_OK) {
        goto out;
    }
    if (s->r.code != 250) {
        fail(s, UPLOAD_FAIL_NONE, "smtp.refused_message", reply_params("end of DATA", &s->r),
             "end of DATA: the server refused the message: %d %s", s->r.code, s->r.text);
        a->status = s->r.code;
        goto out;
    }
    a->status = 250;
    snprintf(a->answer, sizeof(a->answer), "%s", s->r.text);
    netconn_write(&s->c, "QUIT\r\n", 6); /* the message is taken; the answer does not matter */
out:
    netconn_close(&s->c);
    redact_login(m, a);
    free(msg);
    free(s);
    return rc;
}
