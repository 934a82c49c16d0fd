/* https.h: a small HTTPS client for the connectors: a POST on a new connection, or on one kept
 * alive from the last request to the same endpoint (rq->keep), certificates always verified (system
 * CAs, or CA certificates given as text or as a file inside the import roots), an optional pinned
 * certificate, the https_proxy environment variable (HTTP CONNECT), and a deadline for the whole
 * exchange. */
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
    const char *ca_pem;          /* "" or NULL: none; else the PEM text of the trusted CAs */
    const char *ca_file;         /* "" or NULL: none; else a PEM file inside the import roots */
    const char *pin_sha256;      /* "" or NULL: none; else 64 hex digits of the leaf's DER */
    int timeout_s;               /* for the whole exchange */
    int direct;                  /* 1: connect directly even when https_proxy is set */
    int keep; /* 1: keep the connection for the next request to the same endpoint and send on
               * a kept one (upload/https_keep.h); only for requests with an idempotency_key */
};

#define HTTPS_CA_MAX (256 * 1024) /* bytes of PEM text a CA file or ca_pem may hold */

/* Checks that pem[0..len) is one or more PEM certificates and nothing else. Returns 0 or
 * ACDL_EINVAL with why (e.g. "block 1 is a PRIVATE KEY, not a CERTIFICATE ..."). */
int https_ca_check(const char *pem, size_t len, char *why, size_t whysz);

/* Reads file as a CA file is read when sending (inside the import roots, see
 * roots_read_file()) and checks it with https_ca_check(). Returns 0, or an ACDL_E* code with
 * why naming the file and, when it lies outside them, the roots. */
int https_ca_file_check(const char *file, char *why, size_t whysz);

/* Splits an https URL. Returns 0 or ACDL_EINVAL with why. */
int https_url_parse(const char *url, char *host, size_t hostsz, int *port, char *path,
                    size_t pathsz, const char **why);

/* Sends rq and fills a (status, Retry-After, the answer's start) or a's failure class and
 * error. Returns 0 in both cases; ACDL_ENOMEM only when memory ran out. Thread-safe. */
int https_send(const struct https_request *rq, struct upload_answer *a);

#endif
