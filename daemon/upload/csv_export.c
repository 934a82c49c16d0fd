/* csv_export.c: the csv-export connector: one file per batch in a folder that a WFM's own
 * file collector watches, written as NAME.tmp and renamed, so a collector never sees half a
 * file. Columns, their order, the separator and the date and time formats are settings; the
 * defaults are the WFM's interval-based CSV import: Queue;Date;Time;IncomingCalls;
 * AnsweredCalls;AHT with dd/mm/yyyy, hh:mm and whole seconds, in the WFM queue's time zone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/roots.h"
#include "core/datetime.h"
#include "core/err.h"
#include "core/tz.h"
#include "platform/platform.h"
#include "core/why.h"
#include "upload/connector.h"
#include "upload/netconn.h"
#include "upload/settings.h"

#define MAX_COLUMNS 32

static const char *const default_agent_columns[][2] = {
    {"StartDate", "start_date"}, {"StartTime", "start_time"}, {"EndDate", "end_date"},
    {"EndTime", "end_time"},     {"AgentID", "agent"},        {"AgentActivityID", "activity"}};

static const char *const agent_values[] = {"start_date", "end_date", "start_time",
                                           "end_time",   "agent",    "activity"};

static const char *const default_columns[][2] = {
    {"Queue", "queue"},          {"Date", "date"},       {"Time", "time"},
    {"IncomingCalls", "offered"}, {"AnsweredCalls", "handled"}, {"AHT", "aht"}};

/* Formats a date (is_time 0: a b c = year month day) or a time (1: hour minute second) by fmt
 * with the tokens that source formats read (core/datetime.h: yyyy yy mm m dd d, HH H hh h, MM
 * or mm beside the hour, SS ss, AM/PM). Returns 0, or ACDL_EINVAL with why (may be NULL) when
 * fmt does not compile, holds the other part, or has a quote. */
static int format_fields(const char *fmt, int is_time, int a, int b, int c, char *out, size_t outsz,
                         char *why, size_t whysz)
{
    struct datetime_format f;
    char reason[400] = "";
    out[0] = '\0';
    if (strlen(fmt) > 32 || strchr(fmt, '"')) {
        snprintf(reason, sizeof(reason), "at most 32 characters, no quote");
        why_note(reason, "fmt.export_length", NULL);
    } else if (datetime_format_compile(&f, fmt, reason, sizeof(reason)) != ACDL_OK) {
        /* reason says why */
    } else if (is_time ? (f.has_date || !f.has_time) : (f.has_time || !f.has_date)) {
        snprintf(reason, sizeof(reason), "must hold a %s only (%s)", is_time ? "time" : "date",
                 DATETIME_TOKENS);
        why_note(reason, is_time ? "fmt.export_time_only" : "fmt.export_date_only", NULL);
    } else if (datetime_format_write(&f, is_time ? 0 : a, is_time ? 0 : b, is_time ? 0 : c,
                                     is_time ? a : 0, is_time ? b : 0, is_time ? c : 0, out,
                                     outsz) != ACDL_OK) {
        snprintf(reason, sizeof(reason), "writes too long a value");
        why_note(reason, "fmt.export_too_long", NULL);
    } else {
        return ACDL_OK;
    }
    if (why) {
        snprintf(why, whysz, "%s", reason);
    }
    return ACDL_EINVAL;
}

/* Writes "FIELD: WHY (e.g. EXAMPLE)" into err and notes its reason's code, so that the
 * console words it with the reason (why) and the example. */
static void format_error(char *err, size_t errsz, const char *field, const char *why,
                         const char *example)
{
    int n = snprintf(err, errsz, "%s: ", field);
    snprintf(err + n, errsz - (size_t)n, "%s (e.g. %s)", why, example);
    why_note(err + n, "fmt.export_example",
             why_attach(json_pack("{s:s}", "example", example), "why", why));
}

static int check_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

static int is_agent_value(const char *v)
{
    for (size_t i = 0; i < sizeof(agent_values) / sizeof(agent_values[0]); i++) {
        if (!strcmp(v, agent_values[i])) {
            return 1;
        }
    }
    return 0;
}

/* Validates a columns list (NULL: the defaults def[0..ndef)) into *out (new). */
static int check_columns(const json_t *columns, const char *field, int agent, char sep,
                         const char *const (*def)[2], size_t ndef, json_t **out, char *err,
                         size_t errsz)
{
    json_error_t je;
    json_t *cols = json_array();
    *out = cols;
    if (!columns) {
        for (size_t i = 0; i < ndef; i++) {
            json_array_append_new(cols, json_pack("{s:s, s:s}", "header", def[i][0], "value",
                                                  def[i][1]));
        }
        return ACDL_OK;
    }
    if (!json_is_array(columns) || json_array_size(columns) == 0 ||
        json_array_size(columns) > MAX_COLUMNS) {
        snprintf(err, errsz, "%s: a list of 1..%d {\"header\", \"value\"} objects", field,
                 MAX_COLUMNS);
        return ACDL_EINVAL;
    }
    size_t i;
    json_t *c;
    json_array_foreach(columns, i, c) {
        const char *h = NULL, *v = NULL;
        if (json_unpack_ex(c, &je, JSON_STRICT, "{s:s, s:s}", "header", &h, "value", &v) != 0 ||
            strlen(h) > 64 || strpbrk(h, "\"\r\n") || strchr(h, sep) ||
            !(agent ? is_agent_value(v) : check_key(v))) {
            snprintf(err, errsz,
                     "%s[%zu]: needs header (at most 64 characters, no quotes, line breaks or "
                     "separator) and value (%s)",
                     field, i,
                     agent ? "start_date, start_time, end_date, end_time, agent or activity"
                           : "queue, queue_name, channel, date, time or a value type key such "
                             "as offered");
            return ACDL_EINVAL;
        }
        json_array_append_new(cols, json_pack("{s:s, s:s}", "header", h, "value", v));
    }
    return ACDL_OK;
}

/* A separator that a written date or time holds (the '/' of 31/12/2026) would split its cell:
 * such cells are not quoted. fmt was checked before. */
static int separator_in_format(char sep, const char *field, const char *fmt, int is_time,
                               char *err, size_t errsz)
{
    char probe[64], why[400];
    if (format_fields(fmt, is_time, is_time ? 23 : 2026, is_time ? 59 : 12, is_time ? 0 : 31,
                      probe, sizeof(probe), why, sizeof(why)) != ACDL_OK ||
        !strchr(probe, sep)) {
        return ACDL_OK;
    }
    snprintf(err, errsz,
             "separator: '%c' is in what %s writes (%s): choose another separator or format", sep,
             field, probe);
    return ACDL_EINVAL;
}

static int check(json_t **settings, char *err, size_t errsz)
{
    const char *folder = NULL, *prefix = "acdlink-intervals", *sep = ";",
               *date_fmt = "dd/mm/yyyy", *time_fmt = "hh:mm", *a_date = "yyyy-mm-dd",
               *a_time = "hh:mm:ss", *a_zone = "UTC";
    json_t *columns = NULL, *a_columns = NULL;
    int header = 1, decimals = 0, max_intervals = 10000, create_folder = 0;
    json_error_t je;
    char probe[64], why[1600] = "";
    if (json_unpack_ex(*settings, &je, JSON_STRICT,
                       "{s:s, s?s, s?s, s?s, s?s, s?o, s?b, s?i, s?i, s?o, s?s, s?s, s?s, s?b}",
                       "folder", &folder, "file_prefix", &prefix, "separator", &sep, "date_format",
                       &date_fmt, "time_format", &time_fmt, "columns", &columns, "header", &header,
                       "decimals", &decimals, "max_intervals", &max_intervals, "agent_columns",
                       &a_columns, "agent_date_format", &a_date, "agent_time_format", &a_time,
                       "agent_time_zone", &a_zone, "create_folder", &create_folder) != 0) {
        snprintf(err, errsz,
                 "settings: %s (csv-export takes folder, create_folder, file_prefix, separator, "
                 "date_format, time_format, columns, header, decimals, max_intervals, "
                 "agent_columns, agent_date_format, agent_time_format, agent_time_zone)",
                 je.text);
        return ACDL_EINVAL;
    }
    if (!*folder || strlen(folder) > 900) {
        snprintf(err, errsz, "folder: give the folder the WFM's file collector watches");
        return ACDL_EINVAL;
    }
    if (!*prefix || strlen(prefix) > 64 || strpbrk(prefix, "/\\:*?\"<>|") ||
        prefix[0] == '.') {
        snprintf(err, errsz, "file_prefix: 1..64 characters without / \\ : * ? \" < > | and not "
                             "starting with '.'");
        return ACDL_EINVAL;
    }
    /* no letter or digit: the default column headers are made of them, and a header holding
     * the separator would split its column */
    if (strlen(sep) != 1 || strchr("\"\r\n", sep[0]) || (sep[0] >= 'a' && sep[0] <= 'z') ||
        (sep[0] >= 'A' && sep[0] <= 'Z') || (sep[0] >= '0' && sep[0] <= '9')) {
        snprintf(err, errsz, "separator: one character such as ; , | or a tab");
        return ACDL_EINVAL;
    }
    if (format_fields(date_fmt, 0, 2026, 12, 31, probe, sizeof(probe), why, sizeof(why)) !=
        ACDL_OK) {
        format_error(err, errsz, "date_format", why, "dd/mm/yyyy or yyyy-mm-dd");
        return ACDL_EINVAL;
    }
    if (format_fields(time_fmt, 1, 23, 59, 0, probe, sizeof(probe), why, sizeof(why)) != ACDL_OK) {
        format_error(err, errsz, "time_format", why, "hh:mm or HH:MM:SS");
        return ACDL_EINVAL;
    }
    if (decimals < 0 || decimals > 6) {
        snprintf(err, errsz, "decimals: must be 0..6");
        return ACDL_EINVAL;
    }
    if (settings_limit("max_intervals", max_intervals, 100000, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    if (format_fields(a_date, 0, 2026, 12, 31, probe, sizeof(probe), why, sizeof(why)) != ACDL_OK) {
        format_error(err, errsz, "agent_date_format", why, "yyyy-mm-dd");
        return ACDL_EINVAL;
    }
    if (format_fields(a_time, 1, 23, 59, 0, probe, sizeof(probe), why, sizeof(why)) != ACDL_OK) {
        format_error(err, errsz, "agent_time_format", why, "hh:mm:ss");
        return ACDL_EINVAL;
    }
    if (separator_in_format(sep[0], "date_format", date_fmt, 0, err, errsz) != ACDL_OK ||
        separator_in_format(sep[0], "time_format", time_fmt, 1, err, errsz) != ACDL_OK ||
        separator_in_format(sep[0], "agent_date_format", a_date, 0, err, errsz) != ACDL_OK ||
        separator_in_format(sep[0], "agent_time_format", a_time, 1, err, errsz) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    /* values are not quoted either: a negative one starts with '-', decimals have a '.' */
    if (sep[0] == '-' || (sep[0] == '.' && decimals > 0)) {
        snprintf(err, errsz,
                 "separator: '%c' is in the values written (%s): choose another separator",
                 sep[0], sep[0] == '-' ? "-3" : "2.50");
        return ACDL_EINVAL;
    }
    char zone[65];
    if (tz_check(a_zone, zone, sizeof(zone)) != ACDL_OK) {
        snprintf(err, errsz, "agent_time_zone: '%.64s' is not a known time zone (e.g. UTC or "
                             "Europe/Berlin)", a_zone);
        return ACDL_EINVAL;
    }
    if (roots_check_folder(ROOTS_EXPORT, folder, NULL, 0, why, sizeof(why)) != ACDL_OK) {
        snprintf(err, errsz, "folder: %s", why);
        return ACDL_EINVAL;
    }
    json_t *cols = NULL, *acols = NULL;
    if (check_columns(columns, "columns", 0, sep[0], default_columns,
                      sizeof(default_columns) / sizeof(default_columns[0]), &cols, err,
                      errsz) != ACDL_OK ||
        check_columns(a_columns, "agent_columns", 1, sep[0], default_agent_columns,
                      sizeof(default_agent_columns) / sizeof(default_agent_columns[0]), &acols,
                      err, errsz) != ACDL_OK) {
        json_decref(cols);
        json_decref(acols);
        return ACDL_EINVAL;
    }
    json_t *n = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:b, s:i, s:i, s:o, s:s, s:s, s:s}",
                          "folder", folder, "create_folder", create_folder, "file_prefix", prefix,
                          "separator", sep, "date_format", date_fmt, "time_format", time_fmt,
                          "columns", cols, "header", header, "decimals", decimals, "max_intervals",
                          max_intervals, "agent_columns", acols, "agent_date_format", a_date,
                          "agent_time_format", a_time, "agent_time_zone", zone);
    if (!n) {
        return ACDL_ENOMEM;
    }
    json_decref(*settings);
    *settings = n;
    return ACDL_OK;
}

static int max_rows(const json_t *settings)
{
    return settings_int(settings, "max_intervals", 10000);
}

struct out {
    char *b;
    size_t n, cap;
    int oom;
};

static void put_n(struct out *o, const char *s, size_t l)
{
    if (o->oom) {
        return;
    }
    if (o->n + l + 1 > o->cap) {
        size_t nc = (o->cap ? o->cap * 2 : 65536) + l;
        char *nb = realloc(o->b, nc);
        if (!nb) {
            o->oom = 1;
            return;
        }
        o->b = nb;
        o->cap = nc;
    }
    memcpy(o->b + o->n, s, l);
    o->n += l;
    o->b[o->n] = '\0';
}

static void put(struct out *o, const char *s)
{
    put_n(o, s, strlen(s));
}

/* A text field, quoted when it holds the separator or a quote. */
static void put_text(struct out *o, const char *s, char sep)
{
    const char stop[3] = {sep, '"', '\0'};
    size_t plain = strcspn(s, stop); /* one pass: most fields need no quotes */
    if (!s[plain]) {
        put_n(o, s, plain);
        return;
    }
    put(o, "\"");
    for (const char *p = s; *p; p++) {
        char ch[3] = {*p, *p == '"' ? '"' : '\0', '\0'};
        put(o, ch);
    }
    put(o, "\"");
}

/* What a column writes, worked out once per batch instead of once per cell. */
enum col_kind {
    COL_QUEUE,
    COL_QUEUE_NAME,
    COL_CHANNEL,
    COL_DATE,
    COL_TIME,
    COL_VALUE,
    COL_AGENT,
    COL_ACTIVITY,
    COL_START_DATE,
    COL_START_TIME,
    COL_END_DATE,
    COL_END_TIME,
};

/* A formatted date or time kept for the next cell that asks for the same one (a batch's rows
 * share a few days and, for intervals, a few times of day). */
struct stamp_cache {
    int a, b, c, ok;
    size_t len; /* of text */
    char text[96];
};

struct plan {
    size_t n;
    struct {
        enum col_kind kind;
        const char *key; /* COL_VALUE: the value type's key (borrowed from the settings) */
    } col[MAX_COLUMNS];
    char sep;
    int decimals;
    struct datetime_format date, time;
    int date_ok, time_ok; /* 0: the format does not compile, its cells stay empty */
    struct stamp_cache dates[2], times;
};

static enum col_kind col_kind_of(const char *v, int agent)
{
    static const struct {
        const char *name;
        enum col_kind kind;
        int agent;
    } names[] = {
        {"queue", COL_QUEUE, 0},           {"queue_name", COL_QUEUE_NAME, 0},
        {"channel", COL_CHANNEL, 0},       {"date", COL_DATE, 0},
        {"time", COL_TIME, 0},             {"agent", COL_AGENT, 1},
        {"activity", COL_ACTIVITY, 1},     {"start_date", COL_START_DATE, 1},
        {"start_time", COL_START_TIME, 1}, {"end_date", COL_END_DATE, 1},
        {"end_time", COL_END_TIME, 1},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].agent == agent && !strcmp(v, names[i].name)) {
            return names[i].kind;
        }
    }
    return COL_VALUE;
}

/* Compiles a date or time format as format_fields checks it; 0 when it cannot be used. */
static int plan_format(struct datetime_format *f, const char *fmt, int is_time)
{
    return strlen(fmt) <= 32 && !strchr(fmt, '"') &&
           datetime_format_compile(f, fmt, NULL, 0) == ACDL_OK &&
           (is_time ? f->has_time && !f->has_date : f->has_date && !f->has_time);
}

/* The plan of columns (agent: agent_columns) and formats; writes the header line when the
 * settings ask for one. */
static void plan_make(struct plan *pl, const struct upload_target *t, int agent, struct out *o)
{
    const json_t *cols = json_object_get(t->settings, agent ? "agent_columns" : "columns");
    const char *sepstr = settings_str(t->settings, "separator", ";");
    size_t i;
    json_t *c;
    memset(pl, 0, sizeof(*pl));
    pl->sep = sepstr[0];
    pl->decimals = settings_int(t->settings, "decimals", 0);
    pl->date_ok = plan_format(&pl->date,
                              agent ? settings_str(t->settings, "agent_date_format", "yyyy-mm-dd")
                                    : settings_str(t->settings, "date_format", "dd/mm/yyyy"),
                              0);
    pl->time_ok = plan_format(&pl->time,
                              agent ? settings_str(t->settings, "agent_time_format", "hh:mm:ss")
                                    : settings_str(t->settings, "time_format", "hh:mm"),
                              1);
    int header = json_is_true(json_object_get(t->settings, "header"));
    json_array_foreach(cols, i, c) {
        if (pl->n == MAX_COLUMNS) {
            break;
        }
        const char *v = json_string_value(json_object_get(c, "value"));
        pl->col[pl->n].kind = col_kind_of(v ? v : "", agent);
        pl->col[pl->n].key = v ? v : "";
        pl->n++;
        if (header) {
            put_n(o, &pl->sep, i ? 1 : 0);
            put(o, json_string_value(json_object_get(c, "header")));
        }
    }
    if (header) {
        put_n(o, "\r\n", 2);
    }
}

/* A date (a b c = year month day) or a time (hour minute second) by the plan's format. */
static void put_stamp(struct out *o, const struct plan *pl, struct stamp_cache *k, int is_time,
                      int a, int b, int c)
{
    if (!(is_time ? pl->time_ok : pl->date_ok)) {
        return;
    }
    if (!k->ok || k->a != a || k->b != b || k->c != c) {
        if ((is_time ? datetime_format_write(&pl->time, 0, 0, 0, a, b, c, k->text, sizeof(k->text))
                     : datetime_format_write(&pl->date, a, b, c, 0, 0, 0, k->text,
                                             sizeof(k->text))) != ACDL_OK) {
            k->text[0] = '\0';
        }
        k->len = strlen(k->text);
        k->a = a;
        k->b = b;
        k->c = c;
        k->ok = 1;
    }
    put_n(o, k->text, k->len);
}

/* A value rounded to a whole number or with the plan's decimals. */
static void put_value(struct out *o, const struct plan *pl, double x)
{
    char cell[96];
    if (pl->decimals != 0) {
        int l = snprintf(cell, sizeof(cell), "%.*f", pl->decimals, x);
        put_n(o, cell, l > 0 ? ((size_t)l < sizeof(cell) ? (size_t)l : sizeof(cell) - 1) : 0);
        return;
    }
    long long v = llround(x);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    size_t n = sizeof(cell);
    do {
        cell[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        cell[--n] = '-';
    }
    put_n(o, cell + n, sizeof(cell) - n);
}

static int build(const struct upload_target *t, const struct upload_row *rows, size_t n,
                 const char *key, struct upload_payload *out)
{
    struct out o = {NULL, 0, 0, 0};
    struct plan *pl = malloc(sizeof(*pl));
    if (!pl) {
        return ACDL_ENOMEM;
    }
    plan_make(pl, t, 0, &o);
    struct tz *tz = NULL;
    char tzname[65] = "";
    for (size_t k = 0; k < n; k++) {
        const struct upload_row *r = &rows[k];
        struct tz_date day;
        int minute = 0, second = 0;
        if (strcmp(tzname, r->time_zone) != 0) {
            tz_close(tz);
            tz = NULL;
            snprintf(tzname, sizeof(tzname), "%s", r->time_zone);
            if (tz_open(r->time_zone, &tz) != ACDL_OK) {
                free(o.b);
                free(pl);
                return ACDL_EINVAL;
            }
        }
        tz_utc_to_local(tz, r->interval_start, &day, &minute, &second, NULL);
        for (size_t i = 0; i < pl->n; i++) {
            double x;
            put_n(&o, &pl->sep, i ? 1 : 0);
            switch (pl->col[i].kind) {
            case COL_QUEUE: put_text(&o, r->queue_identifier, pl->sep); break;
            case COL_QUEUE_NAME: put_text(&o, r->queue_name, pl->sep); break;
            case COL_CHANNEL: put(&o, r->channel); break;
            case COL_DATE: put_stamp(&o, pl, &pl->dates[0], 0, day.y, day.m, day.d); break;
            case COL_TIME:
                put_stamp(&o, pl, &pl->times, 1, minute / 60, minute % 60, second);
                break;
            default:
                if (upload_row_value(r, pl->col[i].key, &x)) {
                    put_value(&o, pl, x);
                }
                break;
            }
        }
        put_n(&o, "\r\n", 2);
    }
    tz_close(tz);
    free(pl);
    if (o.oom || !o.b) {
        free(o.b);
        return ACDL_ENOMEM;
    }
    char stamp[32];
    plat_time_iso(plat_now(), stamp, sizeof(stamp));
    /* 2026-05-04T10:15:00Z -> 20260504T101500Z: file names sort in delivery order */
    char compact[24];
    size_t w = 0;
    for (const char *p = stamp; *p && w < sizeof(compact) - 1; p++) {
        if (*p != '-' && *p != ':') {
            compact[w++] = *p;
        }
    }
    compact[w] = '\0';
    snprintf(out->endpoint, sizeof(out->endpoint), "%s-%s-%.16s.csv",
             settings_str(t->settings, "file_prefix", "acdlink-intervals"), compact, key);
    snprintf(out->content_type, sizeof(out->content_type), "text/csv");
    out->body = o.b;
    out->len = o.n;
    return ACDL_OK;
}

/* The target's folder, checked against the export roots now (they or the folder may have
 * changed since the settings were saved), resolved into real. Fills a and returns 0 when it
 * may not be used. */
static int folder_allowed(const struct upload_target *t, char *real, size_t realsz,
                          struct upload_answer *a)
{
    char why[1600] = "";
    const char *folder = settings_str(t->settings, "folder", "");
    if (roots_check_folder(ROOTS_EXPORT, folder, real, realsz, why, sizeof(why)) != ACDL_OK) {
        a->fail = UPLOAD_FAIL_CONFIG;
        snprintf(a->error, sizeof(a->error), "folder: %.480s", why);
        netconn_code(a, "export.folder_refused", why_attach(json_object(), "why", why));
        return 0;
    }
    return 1;
}

/* A sentence for a folder that cannot be written (rc from plat_*), into a->error, with its
 * message code: file is the file being written (NULL: none), sys the system's own words (NULL:
 * none), named when the folder is "the folder". */
static void folder_problem(struct upload_answer *a, const char *file, const char *folder, int named,
                           int rc, const char *sys)
{
    const char *why = rc == ACDL_ENOTFOUND ? "is missing (create it, or set create_folder)"
                      : rc == ACDL_EPERM   ? "is not writable for the daemon's user"
                      : rc == ACDL_ENOSPC  ? "is on a full disk (disk full)"
                                           : "cannot be written (input/output error)";
    /* per cause: without more, with the file named, with the system's own words */
    static const char *const codes[4][3] = {
        {"export.folder_missing", "export.folder_missing_file", "export.folder_missing_sys"},
        {"export.folder_not_writable", "export.folder_not_writable_file",
         "export.folder_not_writable_sys"},
        {"export.disk_full", "export.disk_full_file", "export.disk_full_sys"},
        {"export.write_failed", "export.write_failed_file", "export.write_failed_sys"},
    };
    int cause = rc == ACDL_ENOTFOUND ? 0 : rc == ACDL_EPERM ? 1 : rc == ACDL_ENOSPC ? 2 : 3;
    a->fail = UPLOAD_FAIL_FILE;
    snprintf(a->error, sizeof(a->error), "%s%s%s%.400s %s", file ? file : "", file ? ": " : "",
             named ? "the folder " : "", folder, why);
    json_t *params = json_pack("{s:s}", "folder", folder);
    if (file) {
        json_object_set_new(params, "file", json_string(file));
    }
    if (sys && *sys) {
        size_t n = strlen(a->error);
        snprintf(a->error + n, sizeof(a->error) - n, " (%.200s)", sys);
        json_object_set_new(params, "sys", json_string(sys));
    }
    netconn_code(a, codes[cause][file ? 1 : sys && *sys ? 2 : 0], params);
}

static int send_payload(const struct upload_target *t, const struct upload_payload *p,
                        const char *key, struct upload_answer *a)
{
    char path[1200], real[1024];
    int rc;
    memset(a, 0, sizeof(a[0]));
    a->retry_after = -1;
    if (strchr(p->endpoint, '/') || strchr(p->endpoint, '\\') || p->endpoint[0] == '.') {
        a->fail = UPLOAD_FAIL_CONFIG;
        snprintf(a->error, sizeof(a->error), "bad file name");
        netconn_code(a, "export.bad_name", NULL);
        return ACDL_OK;
    }
    if (!folder_allowed(t, real, sizeof(real), a)) {
        return ACDL_OK;
    }
    if (json_is_true(json_object_get(t->settings, "create_folder")) && !plat_path_exists(real) &&
        (rc = plat_mkdir_p(real, 0)) != ACDL_OK) {
        folder_problem(a, NULL, real, 0, rc == ACDL_EIO ? ACDL_EPERM : rc, NULL);
        return ACDL_OK;
    }
    snprintf(path, sizeof(path), "%s%c%s", real, PLAT_PATH_SEP, p->endpoint);
    if ((rc = plat_file_write_atomic(path, p->body, p->len, 0)) != ACDL_OK) {
        folder_problem(a, rc == ACDL_ENOTFOUND || rc == ACDL_EPERM ? NULL : p->endpoint, real, 1,
                       rc, NULL);
        return ACDL_OK;
    }
    a->status = 201;
    snprintf(a->answer, sizeof(a->answer), "wrote %.900s", path);
    return ACDL_OK;
}

/* The connection test of a folder: whether it exists and a file can be created in it (a
 * probe file is written and removed). Creates nothing else, whatever create_folder says. */
static int probe(const struct upload_target *t, struct upload_answer *a)
{
    char real[1024], sys[256];
    int rc;
    memset(a, 0, sizeof(a[0]));
    a->retry_after = -1;
    if (!folder_allowed(t, real, sizeof(real), a)) {
        return ACDL_OK;
    }
    rc = plat_dir_check_writable(real, sys, sizeof(sys));
    if (rc == ACDL_ENOTFOUND && json_is_true(json_object_get(t->settings, "create_folder"))) {
        a->fail = UPLOAD_FAIL_NONE;
        snprintf(a->answer, sizeof(a->answer),
                 "Folder: %.900s is missing; it is created with the first delivery "
                 "(create_folder).",
                 real);
        return ACDL_OK;
    }
    if (rc != ACDL_OK) {
        folder_problem(a, NULL, real, 1, rc, sys);
        return ACDL_OK;
    }
    snprintf(a->answer, sizeof(a->answer), "Folder: %.900s exists and is writable.", real);
    /* a probe that found nothing wrong names what it checked in error (upload_explain_code) */
    snprintf(a->error, sizeof(a->error), "%.500s", real);
    return ACDL_OK;
}

/* One line per span with agent_columns (default StartDate;StartTime;EndDate;EndTime;AgentID;
 * AgentActivityID), dates and times by agent_date_format / agent_time_format (default
 * yyyy-mm-dd, hh:mm:ss) in agent_time_zone (default UTC); filled holes are not written, a span
 * still going has empty end fields. */
static int build_agents(const struct upload_target *t, const struct upload_agent_day *days,
                        size_t n, const char *key, struct upload_payload *out)
{
    struct out o = {NULL, 0, 0, 0};
    struct tz *tz = NULL;
    int lines = 0;
    struct plan *pl = malloc(sizeof(*pl));
    if (!pl) {
        return ACDL_ENOMEM;
    }
    if (tz_open(settings_str(t->settings, "agent_time_zone", "UTC"), &tz) != ACDL_OK) {
        free(pl);
        return ACDL_EINVAL;
    }
    plan_make(pl, t, 1, &o);
    for (size_t d = 0; d < n; d++) {
        for (int k = 0; k < days[d].nspans; k++) {
            const struct upload_span *s = &days[d].spans[k];
            struct tz_date day[2];
            int minute[2] = {0, 0}, second[2] = {0, 0};
            if (s->filled) {
                continue;
            }
            /* start and end in local time, each worked out once for the line */
            const int64_t at[2] = {s->start, s->end};
            for (int e = 0; e < 2; e++) {
                if (at[e]) {
                    tz_utc_to_local(tz, at[e], &day[e], &minute[e], &second[e], NULL);
                }
            }
            for (size_t i = 0; i < pl->n; i++) {
                enum col_kind kind = pl->col[i].kind;
                int e = kind == COL_END_DATE || kind == COL_END_TIME;
                put_n(&o, &pl->sep, i ? 1 : 0);
                if (kind == COL_AGENT) {
                    put_text(&o, days[d].agent, pl->sep);
                } else if (kind == COL_ACTIVITY) {
                    put_text(&o, s->activity, pl->sep);
                } else if (!at[e]) {
                    /* still going: no end */
                } else if (kind == COL_START_DATE || kind == COL_END_DATE) {
                    put_stamp(&o, pl, &pl->dates[e], 0, day[e].y, day[e].m, day[e].d);
                } else if (kind == COL_START_TIME || kind == COL_END_TIME) {
                    put_stamp(&o, pl, &pl->times, 1, minute[e] / 60, minute[e] % 60,
                              second[e]);
                }
            }
            put_n(&o, "\r\n", 2);
            lines++;
        }
    }
    tz_close(tz);
    free(pl);
    if (o.oom || !o.b) {
        free(o.b);
        return ACDL_ENOMEM;
    }
    if (lines == 0) {
        free(o.b);
        return ACDL_ENOTFOUND;
    }
    char stamp[32], compact[24];
    size_t w = 0;
    plat_time_iso(plat_now(), stamp, sizeof(stamp));
    for (const char *p = stamp; *p && w < sizeof(compact) - 1; p++) {
        if (*p != '-' && *p != ':') {
            compact[w++] = *p;
        }
    }
    compact[w] = '\0';
    snprintf(out->endpoint, sizeof(out->endpoint), "%s-agent-states-%s-%.16s.csv",
             settings_str(t->settings, "file_prefix", "acdlink-intervals"), compact, key);
    snprintf(out->content_type, sizeof(out->content_type), "text/csv");
    out->body = o.b;
    out->len = o.n;
    return ACDL_OK;
}

/* no admin settings: its folder is confined to the export roots instead */
const struct upload_connector upload_csv_export = {
    "csv-export", check, max_rows, build, build_agents, send_payload, probe, 0, 60, 0, 0, NULL,
};
