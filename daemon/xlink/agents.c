/* agents.c: the TimeLink (agent-state) keys of isps_ul.ini into acdlink agent-state sources:
 * a CSV section's Activity* files, a Universal section's AgentActivityTable query. */
#include <stdio.h>
#include <string.h>

#include "xlink/conv.h"

static const char *const spans[] = {"start_duration", "start_end", "start_only"};

/* ActivityTimeSpanType: 0 start + duration, 1 start + end, 2 start only; -1 when unknown. */
static int span_of(struct conv *c, struct ini_file *f, int sec)
{
    struct ini_entry *e = ini_take(f, sec, "ActivityTimeSpanType");
    long v = -1;
    const char *name = f->sections[sec].name;
    if (e && conv_int(c, f, e, &v) && v >= 0 && v <= 2) {
        conv_item(c, f, name, e, e->key, ST_CONVERTED, "agent_states.span %s", spans[v]);
        return (int)v;
    }
    conv_item(c, f, name, e, "ActivityTimeSpanType", ST_NOT_CONVERTIBLE | CONV_DISABLES,
              "%s: start_end is used and the agent-state source is disabled",
              e ? "known values are 0, 1 and 2" : "not set");
    return -1;
}

void conv_state_options(struct conv *c, struct ini_file *f, int sec, int span, json_t *states)
{
    const char *name = f->sections[sec].name;
    struct ini_entry *e;
    long v;
    if ((e = ini_take(f, sec, "LogOffActivities")) != NULL) {
        if (span == 2) {
            json_t *codes = conv_split_list(e->value), *keep = json_array(), *x;
            size_t i;
            json_array_foreach(codes, i, x)
            {
                if (json_string_length(x)) {
                    json_array_append(keep, x);
                }
            }
            json_decref(codes);
            conv_item(c, f, name, e, e->key, ST_CONVERTED,
                      "agent_states.logout_activities (%zu codes)", json_array_size(keep));
            json_object_set_new(states, "logout_activities", keep);
        } else {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "only used with start-only states (ActivityTimeSpanType 2)");
        }
    }
    if ((e = ini_take(f, sec, "MinimumActivityDuration")) != NULL) {
        if (conv_int(c, f, e, &v) && v >= 0 && v <= 86400) {
            json_object_set_new(states, "min_duration_s", json_integer(v));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "agent_states.min_duration_s %ld", v);
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "not seconds from 0 to 86400");
        }
    }
    static const char *const learnt[] = {"ActivityIdentifiers", "ActivityDescriptions",
                                         "ActivitySQL", "ActivityColumnNames", NULL};
    for (const char *const *k = learnt; *k; k++) {
        while ((e = ini_take(f, sec, *k)) != NULL) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "acdlink learns the activity codes from the data and lists those without "
                      "a WFM activity (Activity codes); map them there");
        }
    }
}

int conv_states_zone(struct conv *c, struct ini_file *f, int sec, const char *tz, char *out,
                       size_t outsz)
{
    if (!ini_peek(f, sec, "TimeZone_TimeLink")) {
        snprintf(out, outsz, "%s", tz);
        return 1;
    }
    return conv_time_zone(c, f, sec, "TimeZone_TimeLink", out, outsz);
}

/* A column-number key into columns[role]; 0 when absent or bad (reported). */
static int column(struct conv *c, struct ini_file *f, int sec, const char *key, const char *role,
                  json_t *cols)
{
    struct ini_entry *e = ini_take(f, sec, key);
    long v;
    if (!e) {
        return 0;
    }
    int list = strchr(e->value, ';') != NULL;
    if (list || !conv_int(c, f, e, &v) || v < 1 || v > 100000) {
        conv_item(c, f, f->sections[sec].name, e, key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  list ? "two columns joined into one time are not supported: give one "
                         "timestamp column, or a date and a time column"
                       : "not a column number (columns are counted from 1)");
        return -1;
    }
    json_object_set_new(cols, role, json_integer(v));
    conv_item(c, f, f->sections[sec].name, e, key, ST_CONVERTED, "columns.%s = column %ld", role,
              v);
    return (int)v;
}

void conv_agents_csv(struct conv *c, struct ini_file *f, int sec, const char *tz)
{
    const char *name = f->sections[sec].name;
    struct ini_entry *src = ini_take(f, sec, "ActivitySource"), *e;
    json_t *csv, *cols, *states;
    char sname[80], zone[65];
    int enabled = 1, bad = 0;
    long v;
    if (!src) {
        return;
    }
    if (!src->value[0]) {
        conv_item(c, f, name, src, src->key, ST_SKIPPED,
                  "empty: no agent-state import from this section");
        return;
    }
    snprintf(sname, sizeof(sname), "%.57s agents", name);
    csv = json_pack("{s:s, s:s, s:s, s:b}", "folder", src->value, "pattern", "*", "encoding",
                    "windows-1252", "header", 0);
    cols = json_object();
    states = json_object();
    enabled &= conv_folder(c, f, sec, src, "csv.folder");
    enabled &= conv_separator(c, f, sec, "ActivitySeparatorCharacter", csv);
    conv_after_import(c, f, sec, "DeleteActivityImportFiles", "ActivityDestination", csv);
    if ((e = ini_take(f, sec, "ActivityHeaderLines")) != NULL) {
        if (conv_int(c, f, e, &v) && v >= 0 && v <= 1000) {
            json_object_set_new(csv, "skip_lines", json_integer(v));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.skip_lines %ld", v);
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "not a line count");
        }
    }
    if ((e = ini_take(f, sec, "ActivityDateOrder")) != NULL) {
        char o[4] = "";
        for (int i = 0; i < 3 && e->value[i]; i++) {
            char ch = e->value[i];
            o[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        if (strlen(e->value) == 3 && (!strcmp(o, "dmy") || !strcmp(o, "mdy") || !strcmp(o, "ymd"))) {
            json_object_set_new(csv, "date_order", json_string(o));
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "csv.date_order %s", o);
        } else {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "use dmy, mdy or ymd");
        }
    }
    int span = span_of(c, f, sec);
    enabled &= span >= 0;
    json_object_set_new(states, "span", json_string(spans[span >= 0 ? span : 1]));
    bad |= column(c, f, sec, "AgentColumn", "agent", cols) < 0;
    bad |= column(c, f, sec, "ActivityColumn", "activity", cols) < 0;
    int ts = column(c, f, sec, "ActivityStartTimeStampColumn", "start", cols);
    bad |= ts < 0;
    if (!ts) {
        int d = column(c, f, sec, "ActivityStartDateColumn", "date", cols);
        bad |= d < 0 || column(c, f, sec, "ActivityStartTimeColumn", "start", cols) < 0;
        e = ini_take(f, sec, "ActivityEndDateColumn");
        if (e && conv_int(c, f, e, &v) && v == d) {
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "the same date column as the start");
        } else if (e) {
            bad = 1;
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                      "acdlink reads one date per row (the start's); a state ending on another "
                      "day is cut at midnight");
        }
    }
    if (span == 1) {
        int end = column(c, f, sec, "ActivityEndTimeStampColumn", "end", cols);
        if (!end) {
            end = column(c, f, sec, "ActivityEndTimeColumn", "end", cols);
        }
        bad |= end < 0;
    } else if (span == 0) {
        bad |= column(c, f, sec, "ActivityDurationColumn", "duration", cols) < 0;
    }
    for (int k = 0; k < 2; k++) {
        while ((e = ini_take(f, sec, k ? "ActivityEndTimeStampFormat"
                                       : "ActivityStartTimeStampFormat")) != NULL) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "acdlink detects the date and time; set csv.timestamp_format if it "
                      "does not");
        }
    }
    conv_state_options(c, f, sec, span, states);
    enabled &= conv_states_zone(c, f, sec, tz, zone, sizeof(zone)) && !bad;
    json_t *settings = json_pack("{s:o, s:o, s:o}", "csv", csv, "columns", cols, "agent_states",
                                 states);
    conv_add_source(c, f, sec, sname, 0, 1, settings, 15, zone, enabled, json_object(), 0);
}

void conv_agents_odbc(struct conv *c, struct ini_file *f, int sec, const char *tz,
                      const char *dsn, const char *user, int password)
{
    const char *name = f->sections[sec].name;
    struct ini_entry *e, *k[5] = {NULL, NULL, NULL, NULL, NULL};
    static const char *const need[] = {"AgentActivityTable", "AgentColumn", "ActivityColumn",
                                       "ActivityStartTimeStampColumn", NULL};
    char sname[80], zone[65], sql[8192], missing[200] = "", why[200] = "";
    size_t mo = 0;
    int enabled = 1, set = 0;
    if (!ini_peek(f, sec, "AgentActivityTable")) {
        return;
    }
    snprintf(sname, sizeof(sname), "%.57s agents", name);
    for (int i = 0; i < 4; i++) {
        const struct ini_entry *p = ini_peek(f, sec, need[i]);
        set += p && p->value[0];
    }
    if (!set) {
        /* the needed keys are all empty: the section does not import agent states */
        for (int i = 0; i < 4; i++) {
            while ((e = ini_take(f, sec, need[i])) != NULL) {
                conv_item(c, f, name, e, e->key, ST_SKIPPED,
                          "empty: no agent-state import from this section (AgentActivityTable, "
                          "AgentColumn, ActivityColumn and ActivityStartTimeStampColumn are all "
                          "empty)");
            }
        }
        return;
    }
    set = 0;
    int span = span_of(c, f, sec);
    enabled &= span >= 0;
    const char *endkey = span == 1   ? "ActivityEndTimeStampColumn"
                         : span == 0 ? "ActivityDurationColumn"
                                     : NULL;
    for (int i = 0; i < 5; i++) {
        const char *key = i < 4 ? need[i] : endkey;
        if (!key) {
            continue;
        }
        k[i] = ini_take(f, sec, key);
        set += k[i] && k[i]->value[0];
        if (!k[i] || !k[i]->value[0]) {
            mo += (size_t)snprintf(missing + mo, sizeof(missing) - mo, "%s%s", mo ? ", " : "", key);
        }
    }
    for (int j = 0; j < 2; j++) {
        while (
            (e = ini_take(f, sec, j ? "ActivityEndTimeStampType" : "ActivityStartTimeStampType")) !=
            NULL) {
            int ok = !strcmp(e->value, "2");
            enabled &= ok;
            conv_item(c, f, name, e, e->key, ok ? ST_CONVERTED : ST_NOT_CONVERTIBLE | CONV_DISABLES,
                      ok ? "a date/time column"
                         : "not a date/time column: convert it in the SQL; the agent-state "
                           "source is disabled");
        }
    }
    if (mo) {
        for (int i = 0; i < 5; i++) {
            if (k[i]) {
                conv_item(c, f, name, k[i], k[i]->key, ST_NOT_CONVERTIBLE,
                          "no agent-state query without %s", missing);
            }
        }
        conv_flag(c, f, sec,
                  "no agent-state source: %s missing or empty; set %s in the section and import "
                  "again, or create an ODBC agent-state source with your own SQL",
                  missing, strchr(missing, ',') ? "them" : "it");
        json_array_clear(c->disabling);
        return;
    }
    struct ini_entry *table = k[0], *agent = k[1], *activity = k[2], *start = k[3];
    struct ini_entry *end = span == 1 ? k[4] : NULL, *dur = span == 0 ? k[4] : NULL;
    int shape = 1;
    for (int i = 0; i < 5; i++) {
        if (k[i]) {
            shape &= conv_sql_part_ok(c, f, sec, k[i], "agent-state query");
        }
    }
    enabled &= shape;
    snprintf(sql, sizeof(sql),
             "SELECT %s AS agent_id, %s AS activity_id, %s AS start_time%s%s%s FROM %s WHERE %s "
             ">= :period_start AND %s < :period_end",
             agent->value, activity->value, start->value, end || dur ? ", " : "",
             end ? end->value : dur ? dur->value : "", end ? " AS end_time" : dur ? " AS duration" : "",
             table->value, start->value, start->value);
    conv_item(c, f, name, table, table->key, ST_CONVERTED, "FROM of the agent-state query");
    conv_item(c, f, name, agent, agent->key, ST_CONVERTED, "the agent id column");
    conv_item(c, f, name, activity, activity->key, ST_CONVERTED, "the activity code column");
    conv_item(c, f, name, start, start->key, ST_CONVERTED, "the state's start column");
    if (end || dur) {
        conv_item(c, f, name, end ? end : dur, (end ? end : dur)->key, ST_CONVERTED,
                  end ? "the state's end column" : "the state's duration column (seconds)");
    }
    if (shape && !conv_sql_shape(sql, why, sizeof(why))) {
        enabled = 0;
        conv_item(c, f, name, table, table->key, ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "the agent-state query built from the section would not run (%s): the source "
                  "is created disabled; correct its SQL",
                  why);
    }
    if (!dsn) {
        enabled = 0;
        conv_item(c, f, name, NULL, "Source", ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "no DSN for the agent-state source: it is created disabled; set odbc.dsn");
    }
    json_t *states = json_pack("{s:s}", "span", spans[span >= 0 ? span : 1]);
    conv_state_options(c, f, sec, span, states);
    enabled &= conv_states_zone(c, f, sec, tz, zone, sizeof(zone));
    json_t *odbc = json_pack("{s:s, s:s}", "dsn", dsn ? dsn : name, "sql", sql);
    if (user) {
        json_object_set_new(odbc, "user", json_string(user));
    }
    conv_add_source(c, f, sec, sname, 1, 1,
                    json_pack("{s:o, s:o}", "odbc", odbc, "agent_states", states), 15, zone,
                    enabled, json_object(), password);
}
