/* connector.h: the operations every WFM connector implements, and what they exchange.
 *
 * Design: the outbox (upload/outbox.c) turns changed results into rows and asks the target's
 * connector to build the payload of a batch (build); the uploader (upload/uploader.c) later
 * hands the stored payload back to the connector to send it (send) and asks it how to treat
 * the answer (classify). The core knows connectors only through this struct: injixo-api and
 * https-json post JSON over HTTPS (upload/https.c), csv-export writes files. */
#ifndef ACDL_UPLOAD_CONNECTOR_H
#define ACDL_UPLOAD_CONNECTOR_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_MAX_VALUES 16
#define UPLOAD_ANSWER_MAX 2048

/* One WFM queue's interval with the values of the value types it has results for. */
struct upload_row {
    char queue_identifier[129];
    char queue_name[257];
    char channel[16];
    char time_zone[65];
    int interval_minutes;
    int64_t interval_start; /* UTC seconds */
    int nvalues;
    struct {
        char key[65];
        double value;
    } values[UPLOAD_MAX_VALUES];
};

/* Returns 1 and the value of key in row, or 0 when the row has none. */
int upload_row_value(const struct upload_row *row, const char *key, double *out);

/* One span of an agent's day; end 0: still going; filled: a hole the results filled with
 * the built-in logged_out activity. */
struct upload_span {
    int64_t start, end;
    const char *activity; /* the activity's identifier (owned by whoever filled the struct) */
    int filled;
};

/* An agent's local day as it now is (nspans 0: the day has no spans any more). */
struct upload_agent_day {
    char agent[129];
    char day[11];
    const struct upload_span *spans;
    int nspans;
    /* 0: spans is the whole day; > 0: spans replace the receiver's spans of the day that start
     * at or after this instant (a part day, agent_days_part); -1: the day is as the receiver
     * holds it, left out of the batch */
    int64_t from;
};

/* A target as connectors see it. */
struct upload_target {
    int64_t id;
    char name[65];
    char connector[16];
    json_t *settings; /* normalised settings (owned by whoever filled the struct) */
    char *secret;     /* the opened secret or NULL (owned, as settings) */
};

/* A built payload: where it goes (a URL path, or a file name) and what it is. */
struct upload_payload {
    char endpoint[256];
    char content_type[64];
    char *body; /* new: free() */
    size_t len;
};

/* The answer to one send. */
enum upload_fail {
    UPLOAD_FAIL_NONE = 0, /* an answer came (status is set) */
    UPLOAD_FAIL_DNS,      /* the host name did not resolve */
    UPLOAD_FAIL_TCP,      /* the connection was refused or could not be made */
    UPLOAD_FAIL_PROXY,    /* the proxy refused or did not tunnel */
    UPLOAD_FAIL_TLS,      /* TLS handshake or certificate verification failed */
    UPLOAD_FAIL_TIMEOUT,  /* no (complete) answer in time */
    UPLOAD_FAIL_IO,       /* the connection broke (reset, truncated answer) */
    UPLOAD_FAIL_FILE,     /* writing the file failed */
    UPLOAD_FAIL_CONFIG,   /* the target's settings cannot work (bad URL, missing CA file) */
};

struct upload_answer {
    enum upload_fail fail;
    int status;          /* HTTP status; 0 when no answer */
    int64_t retry_after; /* seconds from Retry-After; -1 when absent */
    char error[512];     /* what went wrong, for people */
    /* its message code ("net.connect_failed") and parameters as JSON object text, "" when the
     * error has none (the connection test words it from them) */
    char error_code[48];
    char error_params[600];
    char answer[UPLOAD_ANSWER_MAX]; /* the start of the answer's body */
};

/* How the uploader treats an answer. */
enum upload_verdict { UPLOAD_ACKED = 0, UPLOAD_RETRY, UPLOAD_FAILED };

struct upload_connector {
    const char *name;
    /* Validates settings (a JSON object, replaced by the normalised one with defaults) for
     * this connector. Returns 0 or ACDL_EINVAL with err naming the field. */
    int (*check)(json_t **settings, char *err, size_t errsz);
    /* The most rows one batch may carry with these settings. */
    int (*max_rows)(const json_t *settings);
    /* Builds the payload of one batch of rows[0..n) whose id is key. */
    int (*build)(const struct upload_target *t, const struct upload_row *rows, size_t n,
                 const char *key, struct upload_payload *out);
    /* Builds the payload of one batch of agent days[0..n) (NULL: the connector carries no
     * agent states). ACDL_ENOTFOUND when there is nothing to send for them. */
    int (*build_agents)(const struct upload_target *t, const struct upload_agent_day *days,
                        size_t n, const char *key, struct upload_payload *out);
    /* Sends a payload. Fills a; returns 0 when a carries an answer or a failure class. */
    int (*send)(const struct upload_target *t, const struct upload_payload *p, const char *key,
                struct upload_answer *a);
    /* Tries the connection without delivering data (a connection test). */
    int (*probe)(const struct upload_target *t, struct upload_answer *a);
    /* 1: the receiver keeps an agent's spans by their start, so the change feed sends only the
     * spans that differ from what the target was last given (build_agents gets those); 0: it
     * gets every span of each changed day. */
    int agent_spans_changed_only;
    /* > 0: the change feed makes at most one batch of agent states per this many seconds of
     * the clock (a file per minute), unless a full batch waits. */
    int agent_period_s;
    /* > 0: a batch of the change feed carries up to this many agent days (0: 200) while their
     * spans stay within AGENT_FEED_SPANS_MAX after the first 200 days: a target that keeps
     * up gets small batches, one that fell behind (a burst of changes) catches up with
     * fewer, larger ones. */
    int agent_feed_days;
    /* 1: a target whose settings say agent_days "changes" gets, of a day the receiver already
     * holds, only its changed tail (a part day: upload_agent_day.from), computed against what
     * it last accepted; the whole day otherwise (docs/https-json.md). */
    int agent_days_part;
    /* The settings that say where the data goes and whom to trust with it (the network address,
     * the CA, the pin; NULL-terminated, NULL: none): set and changed by admins only, since whoever
     * chooses them chooses who receives the data and the target's secret. */
    const char *const *admin_settings;
};

/* The connector called name, or NULL. */
const struct upload_connector *upload_connector_find(const char *name);

/* The usual verdict for an HTTP send: 2xx acked; network failures, timeouts, 408, 429 and 5xx
 * retry; every other answer fails for good. */
enum upload_verdict upload_classify(const struct upload_answer *a);

/* A sentence for people about a failed or refused probe or send (for the connection test). */
void upload_explain(const struct upload_answer *a, char *out, size_t outsz);
/* The same as a message code ("conn.tls") with its parameters in *params (new; the caller
 * owns it): the console words it in the reader's language. */
const char *upload_explain_code(const struct upload_answer *a, json_t **params);

/* The error of a delivery attempt that was not acked (verdict v) as a sentence for people
 * (text, textsz) and as a message code (code, codesz; "" when none) with its parameters as
 * JSON object text (params, paramssz): network, TLS, timeout and file failures as the
 * connection test words them; an HTTP status by its class (refused key, wrong URL, an
 * Idempotency conflict, too large, refused data, too many requests, the server's failure),
 * the WFM's own message (a JSON answer's message or error, else the start of the answer)
 * quoted after it. */
void upload_delivery_error(const struct upload_answer *a, char *text, size_t textsz, char *code,
                           size_t codesz, char *params, size_t paramssz);

/* Frees the body of p. Accepts NULL. */
void upload_payload_clear(struct upload_payload *p);

/* The connectors (upload/injixo.c, csv_export.c, https_json.c). */
extern const struct upload_connector upload_injixo;
extern const struct upload_connector upload_csv_export;
extern const struct upload_connector upload_https_json;

#endif
