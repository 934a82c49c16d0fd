/* config.c: GET /api/v1/config and POST /api/v1/config/apply: the whole setup as one
 * document, exported and applied as the caller (see http/setup.h). */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "http/setup.h"

int route_config_get(struct req *r)
{
    char err[800] = "";
    json_t *doc = NULL;
    int rc = setup_export(r->app, &r->auth, &doc, err, sizeof(err));
    if (rc != ACDL_OK) {
        return reply_error(r, 500, "internal", "look at the daemon's log", "export failed: %s",
                           err);
    }
    return reply_json(r, 200, doc);
}

int route_config_apply(struct req *r)
{
    json_t *doc = NULL, *report = NULL;
    int dry_run = 0, prune = 0, cascade = 0;
    json_error_t jerr;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:o, s?b, s?b, s?b}", "config", &doc,
                       "dry_run", &dry_run, "prune", &prune, "cascade", &cascade) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"config\": <the exported document>, \"dry_run\": true|false, "
                           "\"prune\": true|false, \"cascade\": true|false}",
                           "%s", jerr.text);
    }
    int flags = (dry_run ? SETUP_DRY_RUN : 0) | (prune ? SETUP_PRUNE : 0) |
                (cascade ? SETUP_CASCADE : 0);
    int rc = setup_apply(r->app, &r->auth, doc, flags, &report);
    if (!dry_run) {
        http_audit(r, "config.apply", "setup", rc == ACDL_OK ? "ok" : "error",
                   json_pack("{s:I, s:b, s:b}", "changes",
                             (json_int_t)json_array_size(json_object_get(report, "changes")),
                             "prune", prune, "cascade", cascade));
    }
    if (rc == ACDL_OK) {
        return reply_json(r, 200, report);
    }
    json_t *e = json_object_get(report, "error");
    const char *path = json_string_value(json_object_get(e, "path"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *hint = json_string_value(json_object_get(e, "hint"));
    char text[900] = "";
    snprintf(text, sizeof(text), "config.%s: %s%s", path ? path : "", msg ? msg : "refused",
             rc == ACDL_EINVAL ? "" : " (the changes listed in report were made)");
    json_t *body = json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code",
                             rc == ACDL_EINVAL ? "invalid_field" : "conflict", "message", text,
                             "hint", hint ? hint : "", "report", report);
    int status = rc == ACDL_EINVAL ? 422 : 409;
    return reply_json(r, status, body);
}
