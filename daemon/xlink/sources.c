/* sources.c: isps_ul.ini and isps.cfg into acdlink sources: [General], [DB], CSV sections and
 * Universal (ODBC) sections, key by key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "config/roots.h"
#include "core/tz.h"
#include "platform/platform.h"
#include "pipeline/source_cfg.h"
#include "xlink/conv.h"

#define PASSWORD_HINT "set it in the console (Sources) or with PATCH /api/v1/sources/{id}"

static int is_unc(const char *path);

static const char *sec_name(const struct ini_file *f, int sec)
{
    return f->sections[sec].name;
}

/* TimeLink (agent-state) keys of Xlink. */
static int is_agent_key(const char *k)
{
    static const char *const keys[] = {"AgentColumn", "LogOffActivities",
                                       "MinimumActivityDuration", "AgentActivityTable",
                                       "DeleteActivityImportFiles", "TimeZone_TimeLink", NULL};
    if (!strncmp(k, "Activity", 8) || !strncmp(k, "activity", 8) || !strncmp(k, "ACTIVITY", 8)) {
        return 1;
    }
    for (const char *const *p = keys; *p; p++) {
        if (conv_ieq(k, *p)) {
            return 1;
        }
    }
    return 0;
}

/* 1 when an agent-state source was made from section sec of f. */
static int agents_made(const struct conv *c, const struct ini_file *f, int sec)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->made, i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "file")), f->name) &&
            json_integer_value(json_object_get(m, "sec")) == sec &&
            !strcmp(json_string_value(json_object_get(m, "product")), "agent_states") &&
            json_is_true(json_object_get(m, "made"))) {
            return 1;
        }
    }
    return 0;
}

void conv_agent_rest(struct conv *c, struct ini_file *f, int sec)
{
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        if (!e->taken && e->section == sec && is_agent_key(e->key)) {
            e->taken = 1;
            conv_item(c, f, sec_name(f, sec), e, e->key, ST_SKIPPED,
                      agents_made(c, f, sec)
                          ? "an agent-state (TimeLink) key that acdlink's agent-state sources do "
                            "not need"
                          : "an agent-state (TimeLink) key, but no agent-state source is made "
                            "from this section (no ActivitySource or AgentActivityTable, or see "
                            "their lines): not used");
        }
    }
}

/* Splits a ';' list into trimmed items (new array of strings). Empty items are kept. */
json_t *conv_split_list(const char *s)
{
    json_t *a = json_array();
    const char *p = s;
    for (;;) {
        const char *q = strchr(p, ';');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        json_array_append_new(a, json_stringn(p, n));
        if (!q) {
            break;
        }
        p = q + 1;
    }
    return a;
}

/* A metric name acdlink accepts (1-64 of letters, digits, space, _ - .), unique in used. */
static void metric_name(const char *want, int col, json_t *used, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = want; *p && o + 1 < outsz && o < 64; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || ch == '.' || ch == ' ';
        out[o++] = ok ? ch : '_';
    }
    while (o && out[o - 1] == ' ') {
        o--;
    }
    out[o] = '\0';
    if (!o) {
        snprintf(out, outsz, "col%d", col);
    }
    for (int k = 2; json_object_get(used, out); k++) {
        char base[60];
        snprintf(base, sizeof(base), "%.55s", out);
        snprintf(out, outsz, "%s_%d", base, k);
    }
}

/* A separator code (2 comma, 3 semicolon; 0 space and 4 tab per the French help) into
 * csv.separator; 0 when it is not one (';' is used then). */
int conv_separator(struct conv *c, struct ini_file *f, int sec, const char *key, json_t *csv)
{
    static const char *const seps[] = {" ", NULL, ",", ";", "\t"};
    struct ini_entry *e = ini_take(f, sec, key);
    long v = -1;
    if (!e) {
        json_object_set_new(csv, "separator", json_string(","));
        return 1;
    }
    if (conv_int(c, f, e, &v) && v >= 0 && v <= 4 && seps[v]) {
        json_object_set_new(csv, "separator", json_string(seps[v]));
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_CONVERTED, "csv.separator '%s'",
                  v == 4 ? "\\t" : seps[v]);
        return 1;
    }
    json_object_set_new(csv, "separator", json_string(";"));
    conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
              "known codes are 2 (comma), 3 (semicolon), 0 (space), 4 (tab); ';' is used and "
              "the source is disabled: set csv.separator");
    return 0;
}

int conv_folder(struct conv *c, struct ini_file *f, int sec, const struct ini_entry *e,
                const char *what)
{
    if (plat_path_is_native(e->value) || is_unc(e->value)) {
        /* a UNC path that this machine cannot use is reported when the source is checked */
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_CONVERTED, "%s", what);
        return 1;
    }
    conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
              "%s: not a folder of this machine (a path of the Xlink server), so the source is "
              "created disabled: copy or mount the files here, inside acdlink's allowed import "
              "roots, set %s to that folder and enable the source",
              what, what);
    return 0;
}

/* What happens to a file after import (0 keep, 1 move to the destination key, 2 delete). */
void conv_after_import(struct conv *c, struct ini_file *f, int sec, const char *key,
                       const char *dest_key, json_t *csv)
{
    const char *name = sec_name(f, sec);
    struct ini_entry *dest = ini_take(f, sec, dest_key), *e = ini_take(f, sec, key);
    long v = -1;
    if (e) {
        if (conv_int(c, f, e, &v) && v == 1 && dest && dest->value[0]) {
            json_object_set_new(csv, "after_import", json_string("move"));
            json_object_set_new(csv, "archive_folder", json_string(dest->value));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.after_import move");
            conv_folder(c, f, sec, dest, "csv.archive_folder");
            dest = NULL;
        } else if (conv_int(c, f, e, &v) && (v == 0 || v == 2)) {
            json_object_set_new(csv, "after_import", json_string(v ? "delete" : "keep"));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.after_import %s",
                      v ? "delete" : "keep");
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                      "%s; files are kept after import",
                      v == 1 ? "move needs its destination folder" : "known values are 0, 1 and 2");
        }
    }
    if (dest) {
        conv_item(c, f, name, dest, dest->key, ST_SKIPPED,
                  "only used when %s is 1 (move)", key);
    }
}

/* Interval (15, 30, 60); 0 when not convertible (reported). */
int conv_interval(struct conv *c, struct ini_file *f, int sec)
{
    struct ini_entry *e = ini_take(f, sec, "Interval");
    struct ini_entry *e2 = e ? NULL : ini_take(f, sec, "IntervalDuration");
    long v = -1;
    if (!e) {
        e = e2;
    }
    if (!e) {
        conv_item(c, f, sec_name(f, sec), NULL, "Interval", ST_SKIPPED,
                  "not set: 15-minute intervals assumed");
        return 15;
    }
    if (conv_int(c, f, e, &v) && (v == 15 || v == 30 || v == 60)) {
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_CONVERTED, "interval_minutes %ld", v);
        return (int)v;
    }
    conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
              "acdlink plans 15, 30 or 60-minute intervals; the source is created disabled with "
              "15: aggregate the data to one of them");
    return 0;
}

/* TimeZone as an hour offset into out; 0 when not convertible (reported, default zone used). */
int conv_time_zone(struct conv *c, struct ini_file *f, int sec, const char *key, char *out,
                   size_t outsz)
{
    struct ini_entry *e = ini_take(f, sec, key);
    const char *def = c->opts->time_zone && *c->opts->time_zone ? c->opts->time_zone : "UTC";
    char val[64] = "", note[200];
    snprintf(out, outsz, "%s", def);
    if (e) {
        /* a note after the offset ("1 ; CET", "-5 (New York)") is not part of it */
        snprintf(val, sizeof(val), "%s", e->value);
        size_t n = strcspn(val, " \t;(");
        if (n > 0 && val[n]) {
            snprintf(note, sizeof(note), "read as %.*s: the text '%.60s' after the offset is ignored",
                     (int)n, val, e->value + n);
            conv_note(c, f, e, note);
            val[n] = '\0';
        }
    }
    if (!e || !strcmp(val, "0") || !strcmp(val, "00:00") || !val[0]) {
        conv_item(c, f, sec_name(f, sec), e, key, e ? ST_CONVERTED : ST_SKIPPED,
                  "no offset: the data is in the Xlink server's local time; the source uses %s"
                  "%s",
                  def, strcmp(def, "UTC") ? "" : " (pass the server's zone, e.g. "
                                                 "Europe/Berlin, as the migration's time zone)");
        return 1;
    }
    const char *s = val;
    int neg = *s == '-';
    s += (*s == '-' || *s == '+');
    double hours = -1;
    int h = 0, m = 0;
    char tail = 0;
    if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) == 2 && m >= 0 && m < 60) {
        hours = h + m / 60.0;
    } else {
        char *end = NULL;
        double v = strtod(s, &end);
        if (end != s && !*end) {
            hours = v;
        } else if (end != s && *end == ',' && end[1]) {
            hours = v + strtod(end + 1, NULL) / 10.0; /* "3,5" written with a decimal comma */
        }
    }
    if (hours < 0 || hours > 14) {
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "not an hour offset; the source uses %s and is created disabled: set its zone",
                  def);
        return 0;
    }
    if (fabs(hours - floor(hours)) > 1e-9) {
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "a fractional offset has no Etc zone; the source uses %s and is created "
                  "disabled: set its IANA zone (e.g. Asia/Kolkata for +5:30)",
                  def);
        return 0;
    }
    int whole = (int)hours * (neg ? -1 : 1);
    if (whole < -12) {
        conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "offsets west of UTC-12 do not exist; the source uses %s and is disabled", def);
        return 0;
    }
    /* POSIX signs: Etc/GMT-2 is UTC+2 */
    snprintf(out, outsz, "Etc/GMT%+d", -whole);
    conv_item(c, f, sec_name(f, sec), e, e->key, ST_CONVERTED,
              "time_zone %s (UTC%+d all year): a fixed offset has no daylight saving time; if "
              "the ACD writes local time with DST, set the region's zone instead (e.g. "
              "Europe/Berlin)",
              out, whole);
    return 1;
}

static void common_skips(struct conv *c, struct ini_file *f, int sec)
{
    static const char *const logs[] = {"Protocol", "LogDir", "LogFile", NULL};
    for (const char *const *k = logs; *k; k++) {
        struct ini_entry *e;
        while ((e = ini_take(f, sec, *k)) != NULL) {
            conv_item(c, f, sec_name(f, sec), e, e->key, ST_SKIPPED,
                      "acdlink keeps the log of every run with the run (Runs page); no switch "
                      "needed");
        }
    }
}

/* 1 when path is a Windows UNC path (\\server\share\...). */
static int is_unc(const char *path)
{
    return path && ((path[0] == '\\' && path[1] == '\\') || (path[0] == '/' && path[1] == '/'));
}

/* What to do for a UNC folder that this machine cannot read as a path: mount the share. */
static void unc_todo(const char *folder, int writes, char *out, size_t outsz)
{
    char server[80] = "", share[80] = "", rest[300] = "", mnt[200];
    const char *p = folder + 2;
    size_t n = strcspn(p, "\\/");
    snprintf(server, sizeof(server), "%.*s", (int)(n < 79 ? n : 79), p);
    p += n;
    p += *p ? 1 : 0;
    n = strcspn(p, "\\/");
    snprintf(share, sizeof(share), "%.*s", (int)(n < 79 ? n : 79), p);
    p += n;
    snprintf(rest, sizeof(rest), "%s", p);
    for (char *q = rest; *q; q++) {
        *q = *q == '\\' ? '/' : *q;
    }
    snprintf(mnt, sizeof(mnt), "/mnt/xlink/%s-%s", server, share);
    snprintf(out, outsz,
             "the folder %s is a Windows share (UNC path), which is not a folder on this machine: "
             "mount //%s/%s here, e.g. 'mount -t cifs //%s/%s %s -o %scredentials=FILE' (or an "
             "/etc/fstab line or systemd mount unit, so it stays after a restart) at a place "
             "acdlink may read (inside its allowed import roots), then create the source with "
             "csv.folder %s%s",
             folder, server, share, server, share, mnt, writes ? "" : "ro,", mnt, rest);
}

/* Adds text to a source's reasons (why) and its code to why_codes. */
static void why_add(json_t *why, json_t *why_codes, const char *text)
{
    json_array_append_new(why, json_string(text));
    json_array_append_new(why_codes, conv_note_code(text));
}

void conv_add_source(struct conv *c, struct ini_file *f, int sec, const char *name, int odbc,
                     int agents, json_t *settings, int interval, const char *tz, int enabled,
                     json_t *metrics, int password)
{
    conv_add_source_layout(c, f, sec, name, odbc, agents, LAYOUT_INTERVAL, settings, interval, tz,
                           enabled, metrics, password);
}

void conv_add_source_layout(struct conv *c, struct ini_file *f, int sec, const char *name,
                            int odbc, int agents, int layout, json_t *settings, int interval,
                            const char *tz, int enabled, json_t *metrics, int password)
{
    char err[600] = "", canonical[65], todo[1200];
    struct source_cfg *cfg = c->cfg;
    json_t *why = json_array(), *why_codes = json_array(), *it;
    size_t i;
    if (json_array_size(c->disabling)) {
        enabled = 0; /* a line says it disables the source: so it does */
    }
    json_array_foreach(c->disabling, i, it)
    {
        char t[1100];
        const char *detail = json_string_value(json_object_get(it, "detail"));
        snprintf(t, sizeof(t), "%s (line %lld): %s", json_string_value(json_object_get(it, "key")),
                 (long long)json_integer_value(json_object_get(it, "line")), detail);
        json_array_append_new(why, json_string(t));
        json_t *codes = json_object_get(it, "detail_codes");
        codes = codes ? json_deep_copy(codes) : json_pack("[o]", conv_note_code(detail));
        json_array_append_new(
            why_codes, json_pack("{s:s, s:{s:O*, s:O*, s:s, s:o}}", "code", "xlink.todo.key_line",
                                 "params", "key", json_object_get(it, "key"), "line",
                                 json_object_get(it, "line"), "why", detail, "why_codes", codes));
    }
    json_array_clear(c->disabling);
    json_t *made = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b, s:b, s:b}", "file", f->name, "sec",
                             sec, "name", name, "kind", odbc ? "odbc" : "csv", "product",
                             agents ? "agent_states" : "contacts", "enabled", 0, "made", 0,
                             "password", password);
    json_object_set_new(made, "why", why);
    json_object_set_new(made, "why_codes", why_codes);
    json_array_append_new(c->made, made);
    if (!cfg || c->nsrc == CONV_MAX_SOURCES) {
        json_decref(settings);
        json_decref(metrics);
        conv_item(c, f, sec_name(f, sec), NULL, NULL, ST_NOT_CONVERTIBLE, "too many sections");
        why_add(why, why_codes,
                "more sections than one migration converts: import the rest in a second run");
        return;
    }
    struct conv_source *s = &c->src[c->nsrc];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->odbc = odbc;
    s->interval = interval;
    if (tz_check(tz, canonical, sizeof(canonical)) != ACDL_OK) {
        snprintf(canonical, sizeof(canonical), "UTC");
        enabled = 0;
        snprintf(todo, sizeof(todo), "the time zone '%s' is not known here: set the source's zone",
                 tz);
        why_add(why, why_codes, todo);
    }
    snprintf(s->tz, sizeof(s->tz), "%s", canonical);
    int rc = source_cfg_parse_product(settings, agents ? PRODUCT_AGENT_STATES : PRODUCT_CONTACTS,
                                      odbc ? SOURCE_ODBC : SOURCE_CSV, (enum source_layout)layout,
                                      canonical, interval, cfg, err, sizeof(err));
    int nroots = 0;
    roots_list(ROOTS_IMPORT, &nroots);
    if (rc == ACDL_OK && nroots > 0) {
        /* the folders must lie inside the allowed import roots, as the API checks on save */
        rc = source_cfg_check_paths(cfg, err, sizeof(err));
    }
    if (rc != ACDL_OK || strlen(name) > 64 || !*name) {
        json_t *csv = json_object_get(settings, "csv");
        const char *folder = json_string_value(json_object_get(csv, "folder"));
        const char *archive = json_string_value(json_object_get(csv, "archive_folder"));
        const char *after = json_string_value(json_object_get(csv, "after_import"));
        int writes = after && strcmp(after, "keep") != 0;
        if (rc != ACDL_OK && is_unc(folder) && strstr(err, "csv.folder")) {
            unc_todo(folder, writes, todo, sizeof(todo));
            conv_item(c, f, sec_name(f, sec), NULL, agents ? "ActivitySource" : "Source",
                      ST_NOT_CONVERTIBLE, "not a folder here: see the section's to-do");
        } else if (rc != ACDL_OK && is_unc(archive) && strstr(err, "csv.archive_folder")) {
            unc_todo(archive, 1, todo, sizeof(todo));
            conv_item(c, f, sec_name(f, sec), NULL, agents ? "ActivityDestination" : "Destination",
                      ST_NOT_CONVERTIBLE, "not a folder here: see the section's to-do");
        } else {
            snprintf(todo, sizeof(todo), "%s",
                     rc != ACDL_OK ? err
                                   : "the section name is empty or longer than 64 characters: "
                                     "create the source by hand");
        }
        conv_item(c, f, sec_name(f, sec), NULL, NULL, ST_NOT_CONVERTIBLE, "no %ssource made: %s",
                  agents ? "agent-state " : "", todo);
        why_add(why, why_codes, todo);
        json_decref(settings);
        s->metrics = metrics; /* the mappings of acd_map.ini still name their lines */
        c->nsrc++;
        return;
    }
    json_t *norm = source_cfg_settings_json(cfg);
    json_decref(settings);
    json_array_append_new(c->sources,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:o}", "name", name,
                                    "kind", odbc ? "odbc" : "csv", "product",
                                    agents ? "agent_states" : "contacts",
                                    "layout", layout == LAYOUT_CONTACT ? "contact" : "interval",
                                    "time_zone", canonical,
                                    "interval_minutes", interval, "enabled", enabled,
                                    "settings", norm));
    s->made = 1;
    s->metrics = metrics;
    c->nsrc++;
    json_object_set_new(made, "made", json_true());
    json_object_set_new(made, "enabled", json_boolean(enabled));
    if (!enabled && !json_array_size(why)) {
        json_array_append_new(why, json_string("see the section's lines"));
    }
    if (enabled) {
        json_array_clear(why);
    }
    conv_item(c, f, sec_name(f, sec), NULL, NULL, ST_CONVERTED, "%s %ssource '%s'%s",
              odbc ? "ODBC" : "CSV", agents ? "agent-state " : "", name,
              enabled ? "" : ", created disabled: see the section's to-do");
}

int conv_sql_shape(const char *sql, char *why, size_t whysz)
{
    int depth = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '[') {
            quote = ']';
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth < 0) {
            snprintf(why, whysz, "a ')' without its '('");
            return 0;
        }
    }
    if (quote) {
        snprintf(why, whysz, "a quote (%c) that is not closed", quote == ']' ? '[' : quote);
        return 0;
    }
    if (depth) {
        snprintf(why, whysz, "a '(' that is not closed");
        return 0;
    }
    if (strstr(sql, "SELECT  AS") || strstr(sql, ",  AS") || strstr(sql, "FROM  ") ||
        strstr(sql, "( )") || strstr(sql, "WHERE  >=")) {
        snprintf(why, whysz, "an empty column or table name");
        return 0;
    }
    return 1;
}

/* A 1-based column number key; 0 when absent or not a number (reported). */
static int column_key(struct conv *c, struct ini_file *f, int sec, const char *key,
                      const char *role)
{
    struct ini_entry *e = ini_take(f, sec, key);
    long v = -1;
    if (!e) {
        return 0;
    }
    if (!conv_int(c, f, e, &v) || v < 0 || v > 100000) {
        conv_item(c, f, sec_name(f, sec), e, key, ST_NOT_CONVERTIBLE,
                  "not a column number (columns are counted from 1)");
        return 0;
    }
    if (v == 0) {
        conv_item(c, f, sec_name(f, sec), e, key, ST_SKIPPED, "0: no such column");
        return 0;
    }
    if (!strcmp(role, "aht")) {
        conv_item(c, f, sec_name(f, sec), e, key, ST_CONVERTED,
                  "column %ld holds an average handle time", v);
    } else {
        conv_item(c, f, sec_name(f, sec), e, key, ST_CONVERTED, "columns.%s = column %ld", role,
                  v);
    }
    return (int)v;
}

static void conv_csv(struct conv *c, struct ini_file *f, int sec, int calls)
{
    const char *name = sec_name(f, sec);
    json_t *csv = json_object(), *cols = json_object(), *metrics = json_object();
    json_t *names = NULL, *map = json_object();
    struct ini_entry *e;
    int enabled = 1, interval;
    char tz[65];
    long v = -1;

    if (!calls) {
        /* agent states only: no contact-statistics source */
        json_decref(csv);
        json_decref(cols);
        json_decref(metrics);
        json_decref(map);
        if ((e = ini_take(f, sec, "Source")) != NULL) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "the call-data folder, but the section has no call-data keys (GroupColumn, "
                      "ColumnNames, ...): no contact-statistics source");
        }
        conv_time_zone(c, f, sec, "TimeZone", tz, sizeof(tz));
        common_skips(c, f, sec);
        conv_agents_csv(c, f, sec, tz);
        conv_agent_rest(c, f, sec);
        return;
    }
    if ((e = ini_take(f, sec, "Source")) != NULL && e->value[0]) {
        json_object_set_new(csv, "folder", json_string(e->value));
        enabled &= conv_folder(c, f, sec, e, "csv.folder");
    } else {
        conv_item(c, f, name, e, "Source", ST_NOT_CONVERTIBLE,
                  "the folder of the call-data files is not set");
    }
    json_object_set_new(csv, "pattern", json_string("*"));
    json_object_set_new(csv, "encoding", json_string("windows-1252"));
    json_object_set_new(csv, "header", json_false());
    conv_item(c, f, name, NULL, NULL, ST_CONVERTED,
              "every file in the folder is read (pattern *), as Xlink did; files already "
              "imported are recognised by their SHA-256; the files are read as Windows-1252");
    enabled &= conv_separator(c, f, sec, "SeparatorCharacter", csv);
    conv_after_import(c, f, sec, "DeleteImportFiles", "Destination", csv);
    if ((e = ini_take(f, sec, "HeaderLines")) != NULL) {
        if (conv_int(c, f, e, &v) && v >= 0 && v <= 1000) {
            json_object_set_new(csv, "skip_lines", json_integer(v));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.skip_lines %ld", v);
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "not a line count from 0 to 1000");
        }
    }
    if ((e = ini_take(f, sec, "DateOrder")) != NULL) {
        char o[8];
        snprintf(o, sizeof(o), "%.3s", e->value);
        for (char *p = o; *p; p++) {
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        }
        if (strlen(e->value) == 3 && (!strcmp(o, "dmy") || !strcmp(o, "mdy") || !strcmp(o, "ymd"))) {
            json_object_set_new(csv, "date_order", json_string(o));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.date_order %s", o);
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "use dmy, mdy or ymd");
        }
    }
    int group = column_key(c, f, sec, "GroupColumn", "queue");
    int ts = column_key(c, f, sec, "TimeStampColumn", "timestamp");
    int date = 0, time = 0;
    if (ts) {
        for (int k = 0; k < 2; k++) {
            if ((e = ini_take(f, sec, k ? "TimeColumn" : "DateColumn")) != NULL) {
                conv_item(c, f, name, e, e->key, ST_SKIPPED, "TimeStampColumn overrides it");
            }
        }
        json_object_set_new(cols, "timestamp", json_integer(ts));
    } else {
        date = column_key(c, f, sec, "DateColumn", "date");
        time = column_key(c, f, sec, "TimeColumn", "time");
        json_object_set_new(cols, "date", date ? json_integer(date) : json_null());
        json_object_set_new(cols, "time", time ? json_integer(time) : json_null());
    }
    json_object_set_new(cols, "queue", group ? json_integer(group) : json_null());
    if ((e = ini_take(f, sec, "ColumnNames")) != NULL) {
        names = conv_split_list(e->value);
        conv_item(c, f, name, e, e->key, ST_CONVERTED,
                  "%zu columns named; the columns other than queue, date and time are metrics",
                  json_array_size(names));
    } else {
        conv_item(c, f, name, NULL, "ColumnNames", ST_NOT_CONVERTIBLE,
                  "not set: the metrics cannot be named");
    }
    int aht = column_key(c, f, sec, "AHTColumn", "aht");
    size_t i;
    json_t *nm;
    json_array_foreach(names, i, nm)
    {
        int col = (int)i + 1;
        char mname[80];
        if (col == group || col == ts || col == date || col == time) {
            continue;
        }
        metric_name(json_string_value(nm), col, metrics, mname, sizeof(mname));
        json_object_set_new(metrics, mname, json_integer(col));
        json_object_set_new(map, json_string_value(nm), json_string(mname));
        if (col == aht) {
            conv_item(c, f, name, NULL, "AHTColumn", ST_CONVERTED,
                      "metric '%s' holds an average: map it to the value type aht, which "
                      "acdlink weights by handled",
                      mname);
        }
        if (strcmp(mname, json_string_value(nm)) != 0) {
            conv_item(c, f, name, NULL, "ColumnNames", ST_CONVERTED,
                      "column %d '%s' is the metric '%s'", col, json_string_value(nm), mname);
        }
    }
    json_decref(names);
    if ((e = ini_take(f, sec, "Groups")) != NULL) {
        conv_item(c, f, name, e, e->key, ST_SKIPPED,
                  "acdlink imports every queue of the file and lists those without a mapping "
                  "(Unmapped queues); names stay case-sensitive");
    }
    while ((e = ini_take(f, sec, "SubGroups")) != NULL || (e = ini_take(f, sec, "SubGroupColumn"))) {
        long sg = 0;
        int none = conv_ieq(e->key, "SubGroupColumn") && conv_int(c, f, e, &sg) && sg == 0;
        conv_item(c, f, name, e, e->key, none ? ST_SKIPPED : ST_NOT_CONVERTIBLE,
                  none ? "0: no sub-groups" : "a second naming level is not supported; derive a "
                                              "combined queue in the source's derived fields");
    }
    if ((e = ini_take(f, sec, "TimeFormat")) != NULL) {
        conv_item(c, f, name, e, e->key, ST_SKIPPED,
                  "acdlink detects the time format; set csv.time_format if it does not");
    }
    interval = conv_interval(c, f, sec);
    enabled &= interval != 0;
    enabled &= conv_time_zone(c, f, sec, "TimeZone", tz, sizeof(tz));
    common_skips(c, f, sec);
    json_t *settings = json_pack("{s:o, s:o, s:o}", "csv", csv, "columns", cols, "metrics",
                                 metrics);
    conv_add_source(c, f, sec, name, 0, 0, settings, interval ? interval : 15, tz, enabled, map, 0);
    conv_agents_csv(c, f, sec, tz);
    conv_agent_rest(c, f, sec);
}

int conv_sql_part_ok(struct conv *c, struct ini_file *f, int sec, struct ini_entry *e,
                     const char *what)
{
    if (!e->open_quote) {
        return 1;
    }
    conv_item(c, f, sec_name(f, sec), e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
              "the quote is not closed, so the %s would not run; the source is created "
              "disabled: correct the name in the source's SQL",
              what);
    return 0;
}

/* The Universal call-data query into odbc.sql; 0 when a needed key is missing or empty (every
 * key present is reported naming the missing ones). */
static int universal_calls(struct conv *c, struct ini_file *f, int sec, json_t *odbc, json_t *map,
                           int *enabled)
{
    const char *name = sec_name(f, sec);
    static const char *const need[] = {"QueueNameColumn", "TimeStampColumn", "CallDataTable",
                                       "ValueTypes"};
    struct ini_entry *k[4], *fns, *e;
    char missing[200] = "", why[200] = "";
    size_t mo = 0;
    for (int i = 0; i < 4; i++) {
        k[i] = ini_take(f, sec, need[i]);
        if (!k[i] || !k[i]->value[0]) {
            mo += (size_t)snprintf(missing + mo, sizeof(missing) - mo, "%s%s", mo ? ", " : "",
                                   need[i]);
        }
    }
    fns = ini_take(f, sec, "ValueTypeFunctions");
    if ((e = ini_take(f, sec, "QueueSQL")) != NULL) {
        conv_item(c, f, name, e, e->key, ST_SKIPPED,
                  "acdlink learns the queues from the data and lists those without a mapping");
    }
    if ((e = ini_take(f, sec, "QueueMappingSQL")) != NULL) {
        *enabled = 0;
        conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "queue names by id: join the name table in the source's SQL (queue id, queue "
                  "name as the first two columns); the source is disabled");
    }
    if ((e = ini_take(f, sec, "TimeStampType")) != NULL && strcmp(e->value, "2") != 0) {
        *enabled = 0;
        conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "the timestamp is not a date/time column (1 = Unix time): convert it in the "
                  "SQL; the source is disabled");
    } else if (e) {
        conv_item(c, f, name, e, e->key, ST_CONVERTED, "a date/time column");
    }
    if (mo) {
        for (int i = 0; i < 4; i++) {
            if (k[i]) {
                conv_item(c, f, name, k[i], k[i]->key, ST_NOT_CONVERTIBLE,
                          "no call-data query without %s (%s)", missing,
                          k[i]->value[0] ? "empty or missing" : "this one is empty");
            }
        }
        if (fns) {
            conv_item(c, f, name, fns, fns->key, ST_NOT_CONVERTIBLE,
                      "no call-data query without %s", missing);
        }
        conv_flag(c, f, sec,
                  "no call-data source: %s %s missing or empty; add %s to the section and import "
                  "again, or create an ODBC source with your own SQL",
                  missing, strchr(missing, ',') ? "are" : "is",
                  strchr(missing, ',') ? "them" : "it");
        return 0;
    }
    struct ini_entry *q = k[0], *ts = k[1], *table = k[2], *vts = k[3];
    int shape = conv_sql_part_ok(c, f, sec, q, "query") & conv_sql_part_ok(c, f, sec, ts, "query") &
                conv_sql_part_ok(c, f, sec, table, "query") &
                conv_sql_part_ok(c, f, sec, vts, "query");
    *enabled &= shape;
    json_t *qcols = conv_split_list(q->value), *used = json_object();
    if (q->open_quote) {
        /* reported by conv_sql_part_ok() */
    } else if (json_array_size(qcols) > 1) {
        *enabled = 0;
        conv_item(c, f, name, q, q->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "a queue key of several columns: the first is used and the source disabled; "
                  "concatenate them in the SQL");
    } else {
        conv_item(c, f, name, q, q->key, ST_CONVERTED, "the queue column of the query");
    }
    const char *qcol = json_string_value(json_array_get(qcols, 0));
    if (!ts->open_quote) {
        conv_item(c, f, name, ts, ts->key, ST_CONVERTED,
                  "the interval start column of the query; rows are summed into intervals");
    }
    if (!table->open_quote) {
        conv_item(c, f, name, table, table->key, ST_CONVERTED, "FROM of the query");
    }
    json_t *exprs = conv_split_list(vts->value);
    json_t *funcs = fns ? conv_split_list(fns->value) : json_array();
    size_t sqlcap = 65536, used_len = 0;
    char *sql = malloc(sqlcap), bad[400] = "";
    size_t bo = 0;
    int nmetrics = 0;
    size_t i;
    json_t *x;
    if (!sql) {
        goto out;
    }
    used_len = (size_t)snprintf(sql, sqlcap, "SELECT %s AS queue, %s AS queue_name, %s AS "
                                             "interval_start",
                                qcol, qcol, ts->value);
    json_array_foreach(exprs, i, x)
    {
        const char *ex = json_string_value(x);
        const char *fn = json_string_value(json_array_get(funcs, json_array_size(funcs) > 1 ? i : 0));
        char alias[80], base[80];
        const char *dot = strrchr(ex, '.');
        if (!*ex) {
            continue;
        }
        snprintf(base, sizeof(base), "%s", dot && strspn(dot + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(dot + 1) ? dot + 1 : ex);
        for (char *p = base; *p; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
                *p = '_';
            }
        }
        if (strlen(base) > 40 || strspn(base, "_") == strlen(base) || (base[0] >= '0' && base[0] <= '9')) {
            snprintf(base, sizeof(base), "value_%zu", i + 1);
        }
        metric_name(base, (int)i + 1, used, alias, sizeof(alias));
        for (char *p = alias; *p; p++) {
            *p = *p == '-' || *p == '.' || *p == ' ' ? '_' : *p;
        }
        int n;
        if (!fn || !*fn || conv_ieq(fn, "sum")) {
            n = snprintf(sql + used_len, sqlcap - used_len, ", %s AS %s", ex, alias);
        } else if (conv_ieq(fn, "count")) {
            n = snprintf(sql + used_len, sqlcap - used_len,
                         ", CASE WHEN (%s) IS NULL THEN 0 ELSE 1 END AS %s", ex, alias);
        } else {
            if (bo < sizeof(bad)) {
                bo += (size_t)snprintf(bad + bo, sizeof(bad) - bo, "%s%s of '%s'", bo ? ", " : "",
                                       fn, ex);
            }
            continue;
        }
        if (n < 0 || used_len + (size_t)n >= sqlcap) {
            break;
        }
        used_len += (size_t)n;
        json_object_set_new(used, alias, json_true());
        json_object_set_new(map, ex, json_string(alias));
        nmetrics++;
        conv_item(c, f, name, vts, vts->key, ST_CONVERTED, "'%s' is the metric '%s'", ex, alias);
    }
    if (fns && bo) {
        *enabled = 0;
        conv_item(c, f, name, fns, fns->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "%s cannot be summed per interval, so the query leaves it out and the source "
                  "is created disabled: compute it in the source's SQL or as a mapping formula, "
                  "then enable the source",
                  bad);
    } else if (fns) {
        conv_item(c, f, name, fns, fns->key, ST_CONVERTED,
                  "applied per row: SUM as the value, COUNT as 1 per row");
    }
    snprintf(sql + used_len, sqlcap - used_len,
             " FROM %s WHERE %s >= :period_start AND %s < :period_end", table->value, ts->value,
             ts->value);
    json_object_set_new(odbc, "sql", json_string(sql));
    if (!nmetrics) {
        *enabled = 0;
        conv_item(c, f, name, vts, vts->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "no value type is usable: the source is created disabled");
    }
    if (shape && !conv_sql_shape(sql, why, sizeof(why))) {
        *enabled = 0;
        conv_item(c, f, name, vts, vts->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "the query built from the section would not run (%s): the source is created "
                  "disabled; correct its SQL",
                  why);
    }
out:
    free(sql);
    json_decref(exprs);
    json_decref(funcs);
    json_decref(qcols);
    json_decref(used);
    return 1;
}

/* A Universal (ODBC) section: the DSN and login, the call-data query when the section has
 * call-data keys, the agent-state query when it has agent-state keys. */
static void conv_universal(struct conv *c, struct ini_file *f, int sec, int calls)
{
    const char *name = sec_name(f, sec);
    json_t *odbc = json_object(), *map = json_object();
    struct ini_entry *e;
    int enabled = 1, interval = 15, password = 0, have_dsn = 0;
    char tz[65];
    if ((e = ini_take(f, sec, "Source")) != NULL && e->value[0]) {
        have_dsn = 1;
        json_object_set_new(odbc, "dsn", json_string(e->value));
        conv_item(c, f, name, e, e->key, ST_CONVERTED,
                  "odbc.dsn: create this DSN for unixODBC (odbc.ini) or the Windows driver "
                  "manager on this machine");
    } else {
        json_object_set_new(odbc, "dsn", json_string(name));
        enabled = 0;
        conv_item(c, f, name, e, "Source", ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "no DSN: the section name is used and the source is created disabled; set "
                  "odbc.dsn");
    }
    if ((e = ini_take(f, sec, "User")) != NULL) {
        json_object_set_new(odbc, "user", json_string(e->value));
        conv_item(c, f, name, e, e->key, ST_CONVERTED, "odbc.user");
    }
    for (int k = 0; k < 2; k++) {
        while ((e = ini_take(f, sec, k ? "Pwd" : "Password")) != NULL) {
            password = 1;
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                      "passwords are never taken over (Xlink's encodings are not encryption): "
                      "the to-do list names the sources to set it for");
        }
    }
    static const char *const sizes[] = {
        "QueueNameType", "RetrieveValueTypesUsing", "ValueTypesSize",  "ValueTypeSize",
        "QueueSQLSize",  "QueueMappingSQLSize",     "ActivitySQLSize", NULL};
    for (const char *const *k = sizes; *k; k++) {
        while ((e = ini_take(f, sec, *k)) != NULL) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "not needed: acdlink has no fixed "
                      "buffers or column type codes");
        }
    }
    int query = calls && universal_calls(c, f, sec, odbc, map, &enabled);
    if (calls) {
        interval = conv_interval(c, f, sec);
        enabled &= interval != 0;
    }
    int zone_ok = conv_time_zone(c, f, sec, "TimeZone", tz, sizeof(tz));
    enabled &= zone_ok;
    common_skips(c, f, sec);
    json_t *dsn = json_incref(json_object_get(odbc, "dsn"));
    json_t *user = json_incref(json_object_get(odbc, "user"));
    if (query) {
        conv_add_source(c, f, sec, name, 1, 0, json_pack("{s:O}", "odbc", odbc),
                        interval ? interval : 15, tz, enabled, map, password);
    } else {
        json_decref(map);
        json_array_clear(c->disabling);
    }
    conv_agents_odbc(c, f, sec, tz, have_dsn ? json_string_value(dsn) : NULL,
                     json_string_value(user), password);
    conv_agent_rest(c, f, sec);
    json_decref(odbc);
    json_decref(dsn);
    json_decref(user);
}

static void conv_general(struct conv *c, struct ini_file *f, int sec)
{
    struct ini_entry *e;
    const char *name = sec_name(f, sec);
    if ((e = ini_take(f, sec, "WriteAlways")) != NULL) {
        int on = strcmp(e->value, "0") != 0;
        conv_item(c, f, name, e, e->key, on ? ST_NOT_CONVERTIBLE : ST_CONVERTED,
                  on ? "acdlink has no global 'write zero values': intervals without data are "
                       "left alone unless a run (or schedule) asks for zero_fill"
                     : "the same as acdlink: intervals without data are left alone");
    }
    if ((e = ini_take(f, sec, "LogMaxFileSize")) != NULL) {
        conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                  "a bootstrap setting in acdlink: put log_file_max_kb = %s into acdlink.conf "
                  "(logs rotate by default)",
                  e->value);
    }
    while ((e = ini_take(f, sec, "Protocol")) != NULL || (e = ini_take(f, sec, "LogDir"))) {
        conv_item(c, f, name, e, e->key, ST_SKIPPED,
                  "acdlink logs to the journal or log_file and keeps each run's log with the run");
    }
    if ((e = ini_take(f, sec, "AutomaticMappingCorrection")) != NULL) {
        conv_item(c, f, name, e, e->key, ST_SKIPPED,
                  "acdlink checks every mapping when it is saved; nothing to correct later");
    }
}

void conv_isps_cfg(struct conv *c, struct ini_file *f)
{
    for (size_t s = 1; s < f->nsections; s++) {
        if (f->sections[s].first != (int)s) {
            conv_repeated_section(c, f, (int)s);
            continue;
        }
        int sec = (int)s;
        const char *name = sec_name(f, sec);
        struct ini_entry *e;
        if (!strncmp(name, "IES System ", 11) || !strncmp(name, "ies system ", 11) ||
            !strncmp(name, "IES SYSTEM ", 11)) {
            if ((e = ini_take(f, sec, "Name")) != NULL) {
                snprintf(c->wfm_system, sizeof(c->wfm_system), "%s", e->value);
                conv_item(c, f, name, e, e->key, ST_CONVERTED,
                          "acd_map.ini lines of the WFM system '%s' are converted", e->value);
            }
            if ((e = ini_take(f, sec, "Url")) != NULL) {
                conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                          "Xlink's own protocol (port 45054) is not used: acdlink delivers to the "
                          "WFM through a target (e.g. the vendor's REST API); set one up");
            }
        }
        conv_rest(c, f, sec);
    }
}

/* Keys that only a section of the given kind has. */
static const char *const csv_call_keys[] = {
    "GroupColumn", "ColumnNames",       "SeparatorCharacter", "HeaderLines", "DateColumn",
    "TimeColumn",  "DeleteImportFiles", "AHTColumn",          NULL};
static const char *const odbc_call_keys[] = {
    "QueueSQL",           "CallDataTable",   "ValueTypes", "QueueNameColumn",
    "ValueTypeFunctions", "QueueMappingSQL", NULL};

static int has_any(const struct ini_file *f, int sec, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        if (ini_peek(f, sec, *k)) {
            return 1;
        }
    }
    return 0;
}

/* 1 when the section has an agent-state (TimeLink) key. */
static int has_agent_keys(const struct ini_file *f, int sec)
{
    for (size_t i = 0; i < f->nentries; i++) {
        if (f->entries[i].section == sec && is_agent_key(f->entries[i].key)) {
            return 1;
        }
    }
    return 0;
}

void conv_isps_ul(struct conv *c, struct ini_file *f)
{
    conv_rest(c, f, 0); /* lines before any section */
    for (size_t s = 1; s < f->nsections; s++) {
        int sec = (int)s;
        const char *name = sec_name(f, sec);
        if (f->sections[sec].first != sec) {
            conv_repeated_section(c, f, sec);
            continue;
        }
        /* what the section holds decides what it becomes: call data, agent states, both, or
         * a vendor's standard interface */
        int odbc_calls = has_any(f, sec, odbc_call_keys);
        int csv_calls =
            !odbc_calls && (has_any(f, sec, csv_call_keys) || ini_peek(f, sec, "TimeStampColumn"));
        int agents = has_agent_keys(f, sec);
        int csv_agents = ini_peek(f, sec, "ActivitySource") != NULL;
        if (conv_ieq(name, "General")) {
            conv_general(c, f, sec);
        } else if (conv_ieq(name, "DB")) {
            for (size_t i = 0; i < f->nentries; i++) {
                struct ini_entry *e = &f->entries[i];
                if (e->section == sec && !e->taken) {
                    e->taken = 1;
                    conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                              "the WFM login of Xlink is not taken over (its password is "
                              "never decoded): deliver through an acdlink target");
                }
            }
        } else if (!odbc_calls && !csv_calls && !csv_agents &&
                   !ini_peek(f, sec, "AgentActivityTable") && conv_vendor(c, f, sec)) {
            /* reported with what to do */
        } else if (odbc_calls || (agents && !csv_calls && !csv_agents)) {
            conv_universal(c, f, sec, odbc_calls);
        } else if (csv_calls || csv_agents) {
            conv_csv(c, f, sec, csv_calls);
        } else if (ini_peek(f, sec, "Source") || ini_peek(f, sec, "Interval") || agents) {
            conv_flag(c, f, sec,
                      "the section has no keys of a CSV, Universal or known standard interface "
                      "(call data: GroupColumn, ColumnNames, CallDataTable, ValueTypes; agent "
                      "states: ActivitySource, AgentActivityTable): if it reads an ACD, create "
                      "its source by hand");
        }
        conv_rest(c, f, sec);
    }
}
