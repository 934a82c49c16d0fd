/* settings.h: helpers for connectors' settings (upload/connector.c). */
#ifndef ACDL_UPLOAD_SETTINGS_H
#define ACDL_UPLOAD_SETTINGS_H
#include <jansson.h>
#include <stddef.h>

#include "upload/connector.h"

/* The longest address (url, base_url) a setting may hold: a Teams workflow's, with its
 * signature in the query, has 230 to 300 characters; the request path holds up to 1023. */
#define HTTPS_URL_MAX 1000

/* Checks an https URL (named field in messages), an optional CA file (read inside the import
 * roots) or CA text (PEM certificates; not both), an optional pin and a timeout. Returns 0 or
 * ACDL_EINVAL with err naming the field. */
int settings_https_check(const char *field, const char *url, const char *ca_file,
                         const char *ca_pem, const char *pin, int timeout, char *err, size_t errsz);
/* 0 when 1 <= v <= max, else ACDL_EINVAL with err naming field. */
int settings_limit(const char *field, int v, int max, char *err, size_t errsz);
/* A string / integer member of normalised settings, or def (borrowed). */
const char *settings_str(const json_t *settings, const char *key, const char *def);
int settings_int(const json_t *settings, const char *key, int def);
int settings_bool(const json_t *settings, const char *key, int def);
/* POSTs p to url with the target's secret as bearer, its CA file, pin and timeout. */
int settings_post(const struct upload_target *t, const char *url, const struct upload_payload *p,
                  const char *key, struct upload_answer *a);

#endif
