/* setup.h: the whole setup as one JSON document (`acdlink config export|apply`,
 * GET /api/v1/config, POST /api/v1/config/apply).
 *
 * Design: the document holds the same shapes as the API, with ids replaced by names so that it
 * can be kept as code and applied to another appliance: custom value types by key, WFM queues
 * by identifier, sources by name, mappings by queue identifier + value type, schedules by
 * source name and their position among that source's schedules, alert channels by name and
 * alert rules by event + channel name (both for admins only). Export and apply go through
 * the route handlers themselves (http_call), acting as the caller: the API's validation and
 * role checks apply unchanged, and the audit log names the caller. Apply compares each item
 * with what is there (only the members the file names), then creates and updates in the order
 * the references need (value types, queues, sources, mappings, schedules); with prune it also
 * deletes what the file does not name, but only for the kinds the file has. It stops at the
 * first refusal and reports what was done before it: applying the corrected file again carries
 * on from there. Passwords are never exported; a file may carry one ("password") to set it. */
#ifndef ACDL_HTTP_SETUP_H
#define ACDL_HTTP_SETUP_H
#include <jansson.h>

#include "http/http.h"

#define SETUP_DRY_RUN 1 /* plan only: change nothing */
#define SETUP_PRUNE 2   /* also delete what the document does not name */
#define SETUP_CASCADE 4 /* prune sources and WFM queues with what depends on them */

/* The version written as "acdlink_config" and the only one accepted. */
#define SETUP_VERSION 1

/* Builds the document of the current setup as actor sees it into *out (new). Returns 0, or an
 * ACDL_E* code with err. */
int setup_export(struct app *app, const struct auth_ctx *actor, json_t **out, char *err,
                 size_t errsz);

/* Applies doc (borrowed) as actor with SETUP_* flags. *report (new, always set) lists every
 * change planned or made ({"changes": [{"kind", "key", "action", "fields"}], "unchanged", and
 * "error": {"path", "status", "message", "hint"} when something was refused}). Returns 0 when
 * everything was applied (or planned), ACDL_EINVAL when the document is malformed (nothing
 * changed), ACDL_ECONFLICT when the API refused a change (the changes before it were made). */
int setup_apply(struct app *app, const struct auth_ctx *actor, const json_t *doc, int flags,
                json_t **report);

#endif
