/* smtp.h: a small SMTP client for alert e-mails (RFC 5321), over upload/netconn.c.
 *
 * Design: one message per connection. Security is "starttls" (port 587: plain greeting, EHLO,
 * STARTTLS, EHLO again) or "tls" (port 465: TLS from the first byte); certificates are always
 * verified. AUTH PLAIN or LOGIN when a user is given, only ever over TLS. The whole dialogue
 * has one deadline. Errors name the step and quote the server's reply; the password never
 * appears in them. The reply reader is a pure function (smtp_reply_parse) so that it can be
 * tested and fuzzed on its own. Thread-safe (no shared state). */
#ifndef ACDL_ALERTS_SMTP_H
#define ACDL_ALERTS_SMTP_H
#include <stddef.h>

#include "upload/connector.h"

#define SMTP_REPLY_MAX 4096 /* the longest reply (all its lines) that is read */
#define SMTP_TEXT_MAX 400   /* what is kept of a reply's text */

/* Extensions an EHLO reply announced. */
#define SMTP_EXT_STARTTLS 1
#define SMTP_EXT_AUTH_PLAIN 2
#define SMTP_EXT_AUTH_LOGIN 4
#define SMTP_EXT_8BITMIME 8

struct smtp_reply {
    int code;                 /* 200..599 */
    int lines;                /* how many lines the reply had */
    int ext;                  /* SMTP_EXT_* found in the lines after the first */
    char text[SMTP_TEXT_MAX]; /* the lines' texts joined by " / ", control characters blanked */
};

/* Parses one complete reply at the start of buf[0..n). Returns 0 with *r and *used (the bytes
 * it took, up to and including the last line's CRLF), ACDL_EAGAIN when buf holds no complete
 * reply yet, or ACDL_EINVAL when it is not an SMTP reply (bad code, codes that differ between
 * lines, a line longer than SMTP_REPLY_MAX). */
int smtp_reply_parse(const char *buf, size_t n, struct smtp_reply *r, size_t *used);

struct smtp_message {
    const char *host;
    int port;
    const char *security; /* "starttls" or "tls" */
    const char *ca_file;  /* "" or NULL: the system's CAs */
    const char *user;     /* "" or NULL: no AUTH */
    const char *password;
    const char *auth;      /* "auto", "plain" or "login" */
    const char *helo;      /* the name this client gives in EHLO */
    const char *from;      /* an address */
    const char *const *to; /* addresses */
    int nto;
    const char *subject; /* UTF-8 */
    const char *body;    /* UTF-8 text, lines separated by \n */
    int timeout_s;
};

/* Builds the message (headers Date, From, To, Subject (RFC 2047 when not ASCII), Message-ID,
 * MIME; the body with CRLF line ends, dot-stuffed, ending in CRLF.CRLF) into *out (new, free()).
 * now is the Date in epoch seconds; id_hex makes the Message-ID unique. Returns 0 or
 * ACDL_ENOMEM. */
int smtp_message_build(const struct smtp_message *m, long long now, const char *id_hex, char **out,
                       size_t *len);

/* Sends m. Returns 0 with a->fail UPLOAD_FAIL_NONE and a->status 250 when the server took the
 * message; otherwise 0 with a->fail and a->error saying which step failed and why (a->status
 * is then the server's reply code when it refused something). ACDL_ENOMEM only when memory ran
 * out. */
int smtp_send(const struct smtp_message *m, struct upload_answer *a);

#endif
