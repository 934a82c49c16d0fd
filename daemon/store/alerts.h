/* alerts.h (store): the alert tables: channels, rules, per rule and subject states, and the
 * notices sent. All functions borrow a held connection; rows are copied into fixed-size
 * structs (nothing to free but the arrays the lists return). */
#ifndef ACDL_STORE_ALERTS_H
#define ACDL_STORE_ALERTS_H
#include <stdint.h>

#include "store/store.h"

#define STORE_ALERT_SETTINGS_MAX 4096
#define STORE_ALERT_SEALED_MAX 2048

struct store_alert_channel {
    int64_t id;
    char name[65];
    char kind[16];
    int enabled;
    char settings[STORE_ALERT_SETTINGS_MAX];    /* JSON text */
    char secret_sealed[STORE_ALERT_SEALED_MAX]; /* "" when no secret is set */
    int64_t last_ok_at, last_error_at;          /* 0: never */
    char last_error[512];                       /* why the last send failed; "" after a success */
    char last_error_code[48], last_error_params[700]; /* its message code ("": none), params */
    int64_t created_at, updated_at;
};

/* Up to limit channels with id > after_id. *out is new (free()). */
int store_alert_channel_list(struct store_conn *c, int64_t after_id, int limit,
                             struct store_alert_channel **out, int *n);
int store_alert_channel_get(struct store_conn *c, int64_t id, struct store_alert_channel *out);
/* ACDL_EEXIST when the name is taken. */
int store_alert_channel_add(struct store_conn *c, const struct store_alert_channel *ch, int64_t now,
                            int64_t *id);
/* Replaces name, enabled and settings. */
int store_alert_channel_update(struct store_conn *c, const struct store_alert_channel *ch,
                               int64_t now);
/* Sets (sealed text) or clears (NULL) the secret. */
int store_alert_channel_set_secret(struct store_conn *c, int64_t id, const char *sealed,
                                   int64_t now);
/* Deletes the channel with its rules. */
int store_alert_channel_delete(struct store_conn *c, int64_t id);
/* Records the outcome of a send: error NULL for success (which forgets the last error). */
int store_alert_channel_result(struct store_conn *c, int64_t id, const char *error,
                               const char *code, const char *params, int64_t now);

struct store_alert_rule {
    int64_t id;
    char event[32];
    int64_t channel_id;
    char channel[65]; /* the channel's name */
    int enabled;
    int channel_enabled;
    int64_t min_interval; /* seconds */
    int recovery;
    int64_t created_at, updated_at;
};

/* Up to limit rules with id > after_id. *out is new (free()). */
int store_alert_rule_list(struct store_conn *c, int64_t after_id, int limit,
                          struct store_alert_rule **out, int *n);
int store_alert_rule_get(struct store_conn *c, int64_t id, struct store_alert_rule *out);
/* ACDL_EEXIST when the channel has a rule for the event; ACDL_ECONFLICT when the channel does
 * not exist. */
int store_alert_rule_add(struct store_conn *c, const struct store_alert_rule *r, int64_t now,
                         int64_t *id);
/* Replaces event, channel, enabled, min_interval and recovery. */
int store_alert_rule_update(struct store_conn *c, const struct store_alert_rule *r, int64_t now);
int store_alert_rule_delete(struct store_conn *c, int64_t id);

/* What a rule last saw of one subject. */
struct store_alert_state {
    char subject[200];
    int active;
    char occurrence[64]; /* what made it active (a run id, or "on") */
    int notified;        /* a firing notice went out in this episode */
    int64_t last_notice_at;
    int suppressed; /* occurrences held back since the last notice */
    int64_t since;
};

/* The states of rule_id that are active. *out is new (free()). */
int store_alert_state_active(struct store_conn *c, int64_t rule_id, struct store_alert_state **out,
                             int *n);
/* ACDL_ENOTFOUND when the rule has no state for subject. */
int store_alert_state_get(struct store_conn *c, int64_t rule_id, const char *subject,
                          struct store_alert_state *out);
int store_alert_state_put(struct store_conn *c, int64_t rule_id, const struct store_alert_state *s);

struct store_alert_notice {
    int64_t id, channel_id, rule_id; /* 0: none (deleted, or a test) */
    char channel[65];                /* "" when deleted */
    char event[32];
    char subject[200];
    char state[16];
    char title[320];
    char outcome[8]; /* "sent" or "failed" */
    char error[512];
    char title_code[48], error_code[48];       /* message codes, "" when none (older notices) */
    char title_params[700], error_params[700]; /* their parameters as JSON object text */
    int64_t created_at;
};

/* Adds a notice and keeps the newest 1,000. */
int store_alert_notice_add(struct store_conn *c, const struct store_alert_notice *n, int64_t *id);
/* Up to limit notices with id < before_id (0: from the newest), newest first; channel_id 0
 * means any. *out is new (free()). */
int store_alert_notice_list(struct store_conn *c, int64_t channel_id, int64_t before_id, int limit,
                            struct store_alert_notice **out, int *n);

#endif
