/* https.h: a small HTTPS client for the connectors: one POST per connection, certificates
 * always verified (system CAs, or a CA file), an optional pinned certificate, the https_proxy
 * environment variable (HTTP CONNECT), and a deadline for the whole exchange. */
#ifndef ACDL_UPLOAD_HTTPS_H
#define ACDL_UPLOAD_HTTPS_H
#include <stddef.h>

#include "upload/connector.h"

struct https_request {
    const char *url;          /* https://host[:port]/path */
    const char *method;       /* "POST" */
    const char *content_type; /* NULL: no body */
    const char *body;
    size_t len;
    const char *bearer;          /* Authorization: Bearer ... (NULL: none) */
    const char *idempotency_key; /* NULL: none */
    const char *ca_file;         /* "" or NULL: the system's CAs */
    const char *pin_sha256;      /* "" or NULL: none; else 64 hex digits of the leaf's DER */
    int timeout_s;               /* for the whole exchange */
};

/* Splits an https URL. Returns 0 or ACDL_EINVAL with why. */
int https_url_parse(const char *url, char *host, size_t hostsz, int *port, char *path,
                    size_t pathsz, const char **why);

/* Sends rq and fills a (status, Retry-After, the answer's start) or a's failure class and
 * error. Returns 0 in both cases; ACDL_ENOMEM only when memory ran out. Thread-safe. */
int https_send(const struct https_request *rq, struct upload_answer *a);

#endif
