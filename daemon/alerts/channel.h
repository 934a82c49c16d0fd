/* channel.h: the alert channels: a webhook (JSON over HTTPS, in acdlink's own shape or one
 * that Slack or Microsoft Teams incoming webhooks accept) and e-mail (SMTP, alerts/smtp.c).
 * Settings are checked here, so what is stored is what is sent with; a notice is turned into
 * the channel's payload and sent. Thread-safe (no shared state). */
#ifndef ACDL_ALERTS_CHANNEL_H
#define ACDL_ALERTS_CHANNEL_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ALERT_TO_MAX 10

/* One notice about one event kind and subject. */
struct alert_notice {
    char event[32];    /* run_failed, rows_rejected, ..., or "test" */
    char state[16];    /* "firing", "resolved" or "test" */
    char subject[200]; /* what it is about: a source's or target's name, a health check */
    char title[320];   /* one line for people */
    char message[1024];
    /* the message codes of title and message with their parameters as JSON object text ("":
     * none), for a console or receiver that words them in its language */
    char title_code[48], message_code[48];
    char title_params[700], message_params[1300];
    int64_t at;     /* when it was noticed (epoch seconds) */
    int suppressed; /* notices held back by the minimum interval since the last one */
};

/* A channel ready to send: settings normalised, secret opened (NULL when none). */
struct alert_channel {
    int64_t id;
    char name[65];
    char kind[16];    /* "webhook" or "email" */
    json_t *settings; /* owned by whoever filled the struct */
    char *secret;     /* the bearer token or SMTP password, owned likewise */
};

/* 1 when kind names a channel kind. */
int alert_channel_kind_valid(const char *kind);

/* Validates settings (a JSON object, replaced by the normalised one with defaults) for kind.
 * Returns 0 or ACDL_EINVAL with err starting with the field's name; ACDL_ENOMEM. */
int alert_channel_check(const char *kind, json_t **settings, char *err, size_t errsz);

/* The webhook body for format "json", "slack" or "teams" (new, free()); NULL without memory.
 * appliance names the sender (may be ""). */
char *alert_webhook_body(const char *format, const struct alert_notice *n, const char *appliance);

/* Sends n through ch. Returns 0 when the channel took it; otherwise ACDL_EIO with err saying
 * why (never the secret), or ACDL_ENOMEM. */
int alert_channel_send(const struct alert_channel *ch, const struct alert_notice *n,
                       const char *appliance, char *err, size_t errsz);

#endif
