/* xlink.h: migration from the legacy Xlink tool: isps_ul.ini, isps.cfg, acd_map.ini and the
 * $N.BAS scripts become acdlink sources, WFM queues, value types and mappings.
 *
 * Design: conversion is pure (xlink_convert): the files are parsed (xlink/ini.h), every key
 * is classified as converted, skipped or not convertible with its reason, and the result is a
 * setup document in the shape of `acdlink config apply` (http/setup.h). xlink_import() then
 * leaves out what already exists (by name, identifier or key) and applies the rest through
 * setup_apply(), i.e. through the API's own route handlers and validation, as the caller.
 * Source settings are checked with pipeline/source_cfg.c before they go into the document, so
 * one bad section is reported and the others still go in. Passwords are never converted (not
 * even Xlink's reversible encodings): the report asks for them. A fixed-hour TimeZone becomes
 * an Etc/GMT zone (no daylight saving time), which the report says. The TimeLink keys of a
 * section (ActivitySource ... / AgentActivityTable ...) become a second source "<name>
 * agents" of product agent_states. */
#ifndef ACDL_XLINK_H
#define ACDL_XLINK_H
#include <jansson.h>
#include <stddef.h>

#include "app.h"
#include "http/http.h"

#define XLINK_MAX_FILES 64

struct xlink_file {
    const char *name; /* as uploaded or found, e.g. "isps_ul.ini", "$1.BAS" */
    const char *data; /* borrowed bytes */
    size_t len;
};

struct xlink_opts {
    const char *time_zone; /* for data in the Xlink server's local time; NULL: "UTC" */
    int dry_run;
};

/* Converts the files into a setup document *doc (new) and a report *report (new: {"files",
 * "items", "actions", "summary"}). Returns 0, or ACDL_EINVAL with err when there is nothing to
 * convert (no isps_ul.ini) or a file cannot be read (too large). */
int xlink_convert(const struct xlink_file *files, size_t n, const struct xlink_opts *o,
                  json_t **doc, json_t **report, char *err, size_t errsz);

/* Converts and applies (or, with dry_run, plans) as actor. *report (new) is xlink_convert's
 * plus "created" (what was made or would be), "existing" (left as it was) and "error" when the
 * API refused something. Returns 0, ACDL_EINVAL (with err; nothing changed) or ACDL_ECONFLICT
 * (the API refused an item: see report.error; items before it were made). */
int xlink_import(struct app *app, const struct auth_ctx *actor, const struct xlink_file *files,
                 size_t n, const struct xlink_opts *o, json_t **report, char *err,
                 size_t errsz);

#endif
