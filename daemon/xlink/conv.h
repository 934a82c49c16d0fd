/* conv.h: what the Xlink converters share (internal to daemon/xlink/). */
#ifndef ACDL_XLINK_CONV_H
#define ACDL_XLINK_CONV_H
#include <jansson.h>

#include "core/log.h"
#include "pipeline/source_cfg.h"
#include "xlink/ini.h"
#include "xlink/xlink.h"

#define CONV_MAX_SOURCES 64

enum conv_status { ST_CONVERTED, ST_SKIPPED, ST_NOT_CONVERTIBLE };

/* Or-ed into a status: this line is why the source made next from the section is created
 * disabled (its detail becomes the reason in the section's block and the to-do list). */
#define CONV_DISABLES 0x10

/* A source made from an isps_ul.ini section. */
struct conv_source {
    char name[65];
    int odbc;        /* 0: CSV, 1: Universal (ODBC) */
    int made;        /* 0 when the section was converted but its source could not be made */
    int interval;
    char tz[65];
    json_t *metrics; /* Xlink metric name (ColumnNames entry / ValueTypes entry) -> ours */
};

struct conv {
    const struct xlink_opts *opts;
    json_t *items;        /* the report's lines */
    json_t *actions;      /* what the operator must do by hand */
    json_t *action_codes; /* the code of each action (conv_note_code) */
    json_t *value_types, *queues, *sources, *mappings; /* the setup document's lists */
    struct conv_source src[CONV_MAX_SOURCES];
    int nsrc;
    char wfm_system[128]; /* Name of [IES System WFM] in isps.cfg; "" when unknown */
    const struct xlink_file *files;
    size_t nfiles;
    struct source_cfg *cfg; /* scratch for checking settings (large: one per conversion) */
    json_t *seen;           /* "file:line" -> index of its line in items: one line per line */
    json_t *made;      /* per source: {file, sec, name, kind, product, enabled, why, password} */
    json_t *flags;     /* sections not converted: {file, sec, todo} */
    json_t *disabling; /* lines marked CONV_DISABLES since the last source was added */
    json_t *notes;     /* "file:line" -> a note for its report line (text after a number) */
};

/* Adds a report line for key of section sec of f (e may be NULL for a file-level line, or for
 * a key found in section by its name). A second line about the same file line is merged into
 * the first (details joined, the worse status kept): every line of a file has one report line.
 * st may carry CONV_DISABLES. */
void conv_item(struct conv *c, const struct ini_file *f, const char *section,
               const struct ini_entry *e, const char *key, enum conv_status st, const char *fmt,
               ...) ACDL_PRINTF(7, 8);

/* Adds an action for the operator. */
void conv_action(struct conv *c, const char *fmt, ...) ACDL_PRINTF(2, 3);

/* Records that section sec of f is not converted and what to do instead (its block's outcome
 * "not_converted" and a to-do line). */
void conv_flag(struct conv *c, const struct ini_file *f, int sec, const char *fmt, ...)
    ACDL_PRINTF(4, 5);

/* 1 when a line of file f at line has a report line already. */
int conv_reported(const struct conv *c, const struct ini_file *f, int line);

/* Reports every entry of section sec that no converter took. */
void conv_rest(struct conv *c, struct ini_file *f, int sec);

/* Reports a repeated section (f->sections[sec].first != sec) and its keys as never read. */
void conv_repeated_section(struct conv *c, struct ini_file *f, int sec);

/* 1 when a and b are equal ignoring ASCII case. */
int conv_ieq(const char *a, const char *b);

/* The source converted from the section called name (any case), or NULL. */
struct conv_source *conv_source_find(struct conv *c, const char *name);

/* isps.cfg: the WFM system's name and URL. */
void conv_isps_cfg(struct conv *c, struct ini_file *f);

/* isps_ul.ini: [General], [DB], CSV and Universal sections. */
void conv_isps_ul(struct conv *c, struct ini_file *f);

/* acd_map.ini and the $N.BAS scripts it names. */
void conv_acd_map(struct conv *c, struct ini_file *f);

/* Helpers of sources.c shared with agents.c. */
/* A whole number the way Xlink's profile reads took it (GetPrivateProfileInt: the leading
 * digits, with a sign; the rest is ignored). 1 when e's value starts with one; text after the
 * number is noted on e's report line. */
int conv_int(struct conv *c, const struct ini_file *f, const struct ini_entry *e, long *out);
json_t *conv_split_list(const char *s); /* a ';' list, items trimmed (new) */
int conv_time_zone(struct conv *c, struct ini_file *f, int sec, const char *key, char *out,
                   size_t outsz);
int conv_separator(struct conv *c, struct ini_file *f, int sec, const char *key, json_t *csv);
/* A folder key (what: the setting it becomes): 1 and reported converted when it is a path of
 * this machine (or a UNC path, checked with the source), else 0 and reported as disabling the
 * source. */
int conv_folder(struct conv *c, struct ini_file *f, int sec, const struct ini_entry *e,
                const char *what);
void conv_after_import(struct conv *c, struct ini_file *f, int sec, const char *key,
                       const char *dest_key, json_t *csv);
/* Checks settings (stolen, as metrics) with pipeline/source_cfg.c and adds the source.
 * password: 1 when the section had one (the to-do list asks for it if the source is made). */
void conv_add_source(struct conv *c, struct ini_file *f, int sec, const char *name, int odbc,
                     int agents, json_t *settings, int interval, const char *tz, int enabled,
                     json_t *metrics, int password);

/* 0 (reported: the source is created disabled) when e's value opens a quote it does not
 * close, so the query (what) made with it cannot run; 1 otherwise. */
int conv_sql_part_ok(struct conv *c, struct ini_file *f, int sec, struct ini_entry *e,
                     const char *what);

/* 0 when sql cannot be a working query (unbalanced quotes or parentheses, an empty select
 * expression or FROM); why says what. */
int conv_sql_shape(const char *sql, char *why, size_t whysz);
/* The TimeLink keys of a section still untaken: reported as not needed. */
void conv_agent_rest(struct conv *c, struct ini_file *f, int sec);

/* LogOffActivities and MinimumActivityDuration into the agent_states object (span: 0 start +
 * duration, 1 start + end, 2 start only). */
void conv_state_options(struct conv *c, struct ini_file *f, int sec, int span, json_t *states);
/* The agent-state source's time zone: TimeZone_TimeLink when given, else tz. */
int conv_states_zone(struct conv *c, struct ini_file *f, int sec, const char *tz, char *out,
                     size_t outsz);
/* Interval / IntervalDuration: 15, 30 or 60; 0 when not convertible (reported as disabling). */
int conv_interval(struct conv *c, struct ini_file *f, int sec);
/* Adds the message code and parameters of text (a note of report line it; note: 1 for a note
 * in parentheses, 0 for one joined with "; ") to it's "detail_codes" (xlink/notes.c). */
void conv_detail_code(json_t *it, const char *text, int note);

/* The message code and parameters of text, a note of the report: a new {"code", "params"}, or
 * an empty object when it has none. A "why" parameter that is itself a note has its code
 * beside it (why_code, why_params); one that is several notes of a report line has theirs
 * (why_codes, as a line's detail_codes). */
json_t *conv_note_code(const char *text);

/* Adds the message code and parameters of text (a part of block b's summary, joined with "; ")
 * to b's "summary_codes" (xlink/notes.c). */
void conv_summary_code(json_t *b, const char *text);

/* A note for e's report line (text after a number that was ignored, ...). */
void conv_note(struct conv *c, const struct ini_file *f, const struct ini_entry *e,
               const char *note);
/* conv_add_source for a source of the given layout (LAYOUT_INTERVAL or LAYOUT_CONTACT). */
void conv_add_source_layout(struct conv *c, struct ini_file *f, int sec, const char *name,
                            int odbc, int agents, int layout, json_t *settings, int interval,
                            const char *tz, int enabled, json_t *metrics, int password);

/* agents.c: the TimeLink keys of a CSV or Universal section into an agent-state source. */
void conv_agents_csv(struct conv *c, struct ini_file *f, int sec, const char *tz);
void conv_agents_odbc(struct conv *c, struct ini_file *f, int sec, const char *tz,
                      const char *dsn, const char *user, int password);

/* vendors.c: a vendor (standard) interface section: every key reported and the section
 * flagged with what to do for that vendor. 0 when the section is not one. */
int conv_vendor(struct conv *c, struct ini_file *f, int sec);

/* A file of the upload by name (any case), or NULL. */
const struct xlink_file *conv_file(const struct conv *c, const char *name);

/* 1 when s only sums Para1..ParaN, each once: 1 scaled by 100 (Xlink's usual Result), 2
 * unscaled; 0 otherwise (then why says what else it does). */
int conv_bas_is_sum(const char *text, size_t len, int n, char *why, size_t whysz);

#endif
