/* vendors.c: the legacy tool's "standard" (vendor) interface sections, recognised by their
 * name, their own keys or the table their call-data key names. Where the vendor's reporting
 * schema is public, the section becomes ODBC sources with acdlink's preset for it (contact
 * statistics, and agent states when the section imports them); a table-name key that names
 * another table than the preset's puts the preset's SQL with that table into the source. The
 * others are reported with what to do instead (which view to create, which preset to start
 * from). */
#include <stdio.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "xlink/conv.h"

/* A section key naming a table (or column) the preset reads, and the preset's name for it. */
struct vendor_name {
    const char *key;
    const char *preset_name;
    int column; /* 0: a table (after FROM or JOIN), 1: a column of the agent table */
};

struct vendor {
    const char *name;
    const char *const tokens[6]; /* in the section name, any case */
    const char *const keys[6];   /* keys only this interface has */
    const char *table_hint;      /* a CallDataTableName value containing this is this vendor's */
    const char *contacts_preset; /* NULL: the schema is not public */
    const char *agents_preset;
    const char *const agent_keys[5]; /* any of them: the section imports agent states */
    struct vendor_name names[7];
    const char *metrics;        /* the contact preset's metric columns, ';'-separated */
    const char *zone;           /* the zone the vendor's database writes, or NULL: the section's */
    const char *const notes[4]; /* keys reported as not converted, with notes[i + 1]... */
    const char *contacts;       /* what to do without a preset (%s: the DSN) */
    const char *agents;
};

/* what to do for an interface whose reporting schema is not public */
#define NOT_PUBLIC_CONTACTS                                                                        \
    "its reporting schema is not public: export the interval statistics per queue as CSV files "   \
    "(a CSV source), or create a view with the interval columns (queue_id, queue_name, "           \
    "interval_start, then one column per metric) and an ODBC source on DSN '%s' reading it; "      \
    "start from the SQL of the preset cisco_ucce_call_type_interval"
#define NOT_PUBLIC_AGENTS                                                                          \
    "export agent states as CSV (agent, activity, start, end) for a CSV agent-state source, or "   \
    "create a view as (agent_id, activity_id, start_time, end_time) read by an ODBC agent-state "  \
    "source on DSN '%s'"

static const struct vendor vendors[] = {
    {"Cisco Unified Contact Center Express (UCCX)",
     {"uccx", "ipcc express", "crs", NULL},
     {"ContactQueueDetailTable", "ContactCallDetailTable", "ContactServiceQueueTable",
      "AgentConnectionDetailTable", "AgentStateDetailTable", NULL},
     NULL,
     "cisco_uccx_csq_contacts",
     "cisco_uccx_agent_state_detail",
     {"AgentStateDetailTable", NULL},
     {{"ContactServiceQueueTable", "ContactServiceQueue", 0},
      {"ContactQueueDetailTable", "ContactQueueDetail", 0},
      {"ContactCallDetailTable", "ContactCallDetail", 0},
      {"AgentConnectionDetailTable", "AgentConnectionDetail", 0},
      {"AgentStateDetailTable", "AgentStateDetail", 0},
      {"ResourceTable", "Resource", 0},
      {NULL, NULL, 0}},
     "offered;handled;abandoned;handle_time",
     "UTC",
     {"QueueFilter",
      "the CSQ filter is not taken over: add the condition to the source's SQL (e.g. AND "
      "csq.csqName IN ('CSQ_A', 'CSQ_B')) or map only the CSQs you plan",
      NULL},
     NULL,
     NULL},
    {"Cisco Unified Contact Center Enterprise / ICM",
     {"icm", "ucce", "ipcc enterprise", NULL},
     {"AgentEventDetailTableName", "CallTypeIntervalTableName", "ReasonCodeTableName", NULL},
     "Call_Type",
     "cisco_ucce_call_type_interval",
     "cisco_ucce_agent_event_detail",
     {"AgentEventDetailTableName", "AgentTableName", NULL},
     {{"CallTypeIntervalTableName", "Call_Type_Interval", 0},
      {"CallDataTableName", "Call_Type_Interval", 0},
      {"AgentEventDetailTableName", "Agent_Event_Detail", 0},
      {"AgentTableName", "Agent", 0},
      {"ReasonCodeTableName", "Reason_Code", 0},
      {"AgentIdColumn", "PeripheralNumber", 1},
      {NULL, NULL, 0}},
     "CallsOffered;CallsHandled;CallsAnswered;TotalCallsAband;HandleTime;AnswerWaitTime;"
     "ServiceLevelCalls",
     NULL,
     {NULL},
     NULL,
     NULL},
    {"Avaya CMS",
     {"avaya cms", "cms", "definity", "lucent", NULL},
     {"HsplitTable", "AgActvTable", "IncludeWorkmodeForAgent", "LoadAllAgentActivities",
      "SplitAdditionalFields", NULL},
     NULL,
     "avaya_cms_hsplit",
     "avaya_cms_agent_trace",
     {"AgActvTable", "IncludeWorkmodeForAgent", "LoadAllAgentActivities", "ActivityDetails", NULL},
     {{"HsplitTable", "hsplit", 0}, {"AgActvTable", "ag_actv", 0}, {NULL, NULL, 0}},
     "callsoffered;acdcalls;abncalls;acdtime;acwtime;holdtime;anstime;abntime;outflowcalls;"
     "acceptable;i_stafftime",
     NULL,
     {"VDNAdditionalFields",
      "VDN statistics are not read by the preset (it reads splits/skills from hsplit): for VDNs "
      "create an ODBC source on hvdn with your own SQL",
      NULL},
     NULL,
     NULL},
    {"Nortel Symposium / Avaya Aura Contact Center (AACC)",
     {"symposium", "aacc", "nortel", "aura contact", NULL},
     {"ApplicationStat", "AgentLoginStat", "SkillSetStat", "AgentPerformanceStat",
      "SkillsetStatTable", NULL},
     NULL,
     "avaya_aacc_application_interval",
     "avaya_aacc_agent_login",
     {"AgentLoginStat", NULL},
     {{"ApplicationStat", "iApplicationStat", 0},
      {"AgentLoginStat", "eAgentLoginStat", 0},
      {NULL, NULL, 0}},
     "CallsOffered;CallsAnswered;CallsAbandoned;TalkTime;WaitTime;PostCallProcessingTime",
     NULL,
     {"SkillSetStat",
      "the source reads application statistics (iApplicationStat); for skillset statistics "
      "create a second ODBC source on iSkillsetStat starting from the preset's SQL",
      NULL},
     NULL,
     NULL},
    {"Interactive Intelligence CIC",
     {"interactive intelligence", "cic", "i3", "interaction center", "pureconnect", NULL},
     {"AgentActivityTableName", "AgentMappingFile", "QueueStatsTable", "AgentActivityLogTable",
      NULL},
     "IWrkgrp",
     "genesys_cic_workgroup_interval",
     "genesys_cic_agent_activity",
     {"AgentActivityTableName", "AgentActivityLogTable", NULL},
     {{"CallDataTableName", "IWrkgrpQueueStats", 0},
      {"QueueStatsTable", "IWrkgrpQueueStats", 0},
      {"AgentActivityTableName", "AgentActivityLog", 0},
      {"AgentActivityLogTable", "AgentActivityLog", 0},
      {NULL, NULL, 0}},
     "nEnteredAcd;nAnsweredAcd;nAbandonedAcd;nFlowOutAcd;tAnsweredAcd;tAbandonedAcd;tTalkAcd;"
     "tHoldAcd;tAcw",
     NULL,
     {"AgentMappingFile",
      "the agent mapping file is not read: import its pairs on the Agents page (agent id;WFM "
      "agent) for the agent-state source",
      NULL},
     NULL,
     NULL},
    {"Siemens HiPath ProCenter",
     {"hipath", "procenter", "siemens", NULL},
     {"AgentDataTableName", "GroupingQueue", "FlexRoutingValue", NULL},
     "CallRecord",
     NULL,
     NULL,
     {NULL},
     {{NULL, NULL, 0}},
     NULL,
     NULL,
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS},
    {"Vocalcom",
     {"vocalcom", "hermes", NULL},
     {"AdminSource", "CustomerID", NULL},
     NULL,
     NULL,
     NULL,
     {NULL},
     {{NULL, NULL, 0}},
     NULL,
     NULL,
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS},
    {"Alcatel OmniTouch",
     {"alcatel", "omnitouch", "ccd", NULL},
     {"AcdDataPath", "AcdReportFormat", NULL},
     NULL,
     NULL,
     NULL,
     {NULL},
     {{NULL, NULL, 0}},
     NULL,
     NULL,
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS},
};

#define NVENDORS (sizeof(vendors) / sizeof(vendors[0]))

static int is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_ident(char ch)
{
    return is_alpha(ch) || (ch >= '0' && ch <= '9') || ch == '_';
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* 1 when hay contains needle ignoring ASCII case, as a word (not inside a longer word). */
static int has_word(const char *hay, const char *needle)
{
    size_t n = strlen(needle), len = strlen(hay);
    for (size_t at = 0; at + n <= len; at++) {
        size_t i = 0;
        while (i < n && lower(hay[at + i]) == needle[i]) {
            i++;
        }
        if (i == n && (at == 0 || !is_alpha(hay[at - 1])) && !is_alpha(hay[at + n])) {
            return 1;
        }
    }
    return 0;
}

/* 1 when hay contains needle ignoring ASCII case. */
static int has_text(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && lower(p[i]) == lower(needle[i])) {
            i++;
        }
        if (i == n) {
            return 1;
        }
    }
    return 0;
}

static const struct vendor *vendor_of(const struct ini_file *f, int sec)
{
    for (size_t v = 0; v < NVENDORS; v++) {
        for (const char *const *k = vendors[v].keys; *k; k++) {
            if (ini_peek(f, sec, *k)) {
                return &vendors[v];
            }
        }
    }
    const struct ini_entry *table = ini_peek(f, sec, "CallDataTableName");
    for (size_t v = 0; table && v < NVENDORS; v++) {
        if (vendors[v].table_hint && has_text(table->value, vendors[v].table_hint)) {
            return &vendors[v];
        }
    }
    for (size_t v = 0; v < NVENDORS; v++) {
        for (const char *const *t = vendors[v].tokens; *t; t++) {
            if (has_word(f->sections[sec].name, *t)) {
                return &vendors[v];
            }
        }
    }
    return NULL;
}

/* tmpl with its one "%s" replaced by dsn, into out. */
static void fill(char *out, size_t outsz, const char *tmpl, const char *dsn)
{
    const char *at = strstr(tmpl, "%s");
    if (!at) {
        snprintf(out, outsz, "%s", tmpl);
        return;
    }
    snprintf(out, outsz, "%.*s%s%s", (int)(at - tmpl), tmpl, dsn, at + 2);
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && conv_ieq(s + a - b, tail);
}

/* 1 when s is a table or column name that can go into SQL as written: letters, digits and
 * '_', optionally qualified by schema (or database) names with '.'. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !(is_alpha(s[0]) || s[0] == '_')) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_ident(s[i]) && !(s[i] == '.' && i + 1 < n && s[i + 1] != '.')) {
            return 0;
        }
    }
    return 1;
}

/* Replaces in sql (of size sqlsz) every whole-word `from` by `to`: tables only right after
 * "FROM " or "JOIN ", columns only after a '.' (a qualified column of the preset). Returns the
 * number of replacements, or -1 when the result would not fit. */
static int replace_name(char *sql, size_t sqlsz, const char *from, const char *to, int column)
{
    char out[8192];
    size_t o = 0, n = strlen(from), tn = strlen(to);
    int count = 0;
    for (const char *p = sql; *p;) {
        int here = strncmp(p, from, n) == 0 && !is_ident(p[n]) && p > sql;
        if (here && column) {
            here = p[-1] == '.';
        } else if (here) {
            here = (p - sql >= 5 && (!strncmp(p - 5, "FROM ", 5) || !strncmp(p - 5, "JOIN ", 5)));
        }
        if (here) {
            if (o + tn >= sizeof(out)) {
                return -1;
            }
            memcpy(out + o, to, tn);
            o += tn;
            p += n;
            count++;
        } else {
            if (o + 1 >= sizeof(out)) {
                return -1;
            }
            out[o++] = *p++;
        }
    }
    if (o >= sqlsz) {
        return -1;
    }
    memcpy(sql, out, o);
    sql[o] = '\0';
    return count;
}

/* The preset's SQL with the section's table and column names. 1 when a name differs from the
 * preset's (then sql holds the SQL the source gets), 0 when the preset is used as it is. */
static int named_sql(struct conv *c, struct ini_file *f, int sec, const struct vendor *v,
                     const struct odbc_preset *p, char *sql, size_t sqlsz)
{
    const char *name = f->sections[sec].name;
    int changed = 0;
    snprintf(sql, sqlsz, "%s", p->sql);
    for (const struct vendor_name *vn = v->names; vn->key; vn++) {
        if (!strstr(p->sql, vn->preset_name)) {
            continue; /* the other product's table: reported with the other source */
        }
        struct ini_entry *e = ini_take(f, sec, vn->key);
        if (!e) {
            continue;
        }
        if (!e->value[0] || conv_ieq(e->value, vn->preset_name)) {
            conv_item(c, f, name, e, e->key, ST_CONVERTED, "%s: the preset %s reads it",
                      e->value[0] ? "the preset's name" : "empty: the preset's name", p->id);
            continue;
        }
        if (!plain_name(e->value)) {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                      "not a plain %s name (letters, digits, '_', '.'): the source reads %s; "
                      "create a view of that name over your table, or edit the source's SQL",
                      vn->column ? "column" : "table", vn->preset_name);
            continue;
        }
        int r = replace_name(sql, sqlsz, vn->preset_name, e->value, vn->column);
        if (r <= 0) {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                      "could not be put into the preset's SQL: the source reads %s; edit its "
                      "SQL",
                      vn->preset_name);
            continue;
        }
        changed = 1;
        conv_item(c, f, name, e, e->key, ST_CONVERTED,
                  "%s %s instead of the preset's %s (the source gets the preset %s's SQL with "
                  "that name)",
                  vn->column ? "reads the column" : "reads", e->value, vn->preset_name, p->id);
    }
    return changed;
}

/* The contact metrics of a vendor source: each preset column maps to itself, so acd_map.ini
 * lines naming them find their metric. */
static json_t *vendor_metrics(const struct vendor *v)
{
    json_t *m = json_object(), *list = conv_split_list(v->metrics ? v->metrics : ""), *x;
    size_t i;
    json_array_foreach(list, i, x)
    {
        if (json_string_length(x)) {
            json_object_set(m, json_string_value(x), x);
        }
    }
    json_decref(list);
    return m;
}

/* One ODBC source of the section with the vendor's preset p (agents: the agent-state one). */
static void vendor_source(struct conv *c, struct ini_file *f, int sec, const struct vendor *v,
                          const struct odbc_preset *p, int agents, const char *dsn,
                          const char *user, const char *tz, int interval, int password, int enabled)
{
    const char *name = f->sections[sec].name;
    char sql[8192], sname[80], zone[65];
    enabled &= dsn != NULL;
    json_t *odbc = json_pack("{s:s}", "dsn", dsn ? dsn : name);
    if (user) {
        json_object_set_new(odbc, "user", json_string(user));
    }
    json_t *settings = json_object();
    if (named_sql(c, f, sec, v, p, sql, sizeof(sql))) {
        json_object_set_new(odbc, "sql", json_string(sql));
    } else {
        json_object_set_new(odbc, "preset", json_string(p->id));
    }
    json_object_set_new(settings, "odbc", odbc);
    if (!dsn) {
        conv_item(c, f, name, NULL, "Source", ST_NOT_CONVERTIBLE | CONV_DISABLES,
                  "no DSN: the %s source is created disabled; set odbc.dsn",
                  agents ? "agent-state" : "contact");
    }
    snprintf(zone, sizeof(zone), "%s", tz);
    if (agents) {
        int span = !strcmp(p->span, "start_only") ? 2 : !strcmp(p->span, "start_end") ? 1 : 0;
        json_t *states = json_pack("{s:s}", "span", p->span);
        if (p->logout) {
            json_object_set_new(states, "logout_activities", conv_split_list(p->logout));
        }
        conv_state_options(c, f, sec, span, states);
        if (span == 2 && !json_array_size(json_object_get(states, "logout_activities"))) {
            enabled = 0;
            json_t *why = json_pack("{s:s, s:i, s:s}", "key", "LogOffActivities", "line",
                                    f->sections[sec].line, "detail",
                                    "set the event types that mean a log out "
                                    "(agent_states.logout_activities) so that a day ends there");
            json_array_append_new(c->disabling, why);
        }
        enabled &= conv_states_zone(c, f, sec, tz, zone, sizeof(zone));
        json_object_set_new(settings, "agent_states", states);
        snprintf(sname, sizeof(sname), "%.57s agents", name);
    } else {
        snprintf(sname, sizeof(sname), "%.64s", name);
    }
    conv_add_source_layout(c, f, sec, sname, 1, agents,
                           p->layout == ODBC_LAYOUT_CONTACT ? LAYOUT_CONTACT : LAYOUT_INTERVAL,
                           settings, interval, zone, enabled,
                           agents ? json_object() : vendor_metrics(v), password);
}

/* A section of a vendor with presets: its sources. */
static void vendor_convert(struct conv *c, struct ini_file *f, int sec, const struct vendor *v)
{
    const char *name = f->sections[sec].name;
    struct ini_entry *e;
    char tz[65];
    int password = 0, agents = 0;
    const char *dsn = NULL, *user = NULL;
    const struct odbc_preset *pc = odbc_preset_find(v->contacts_preset);
    const struct odbc_preset *pa = odbc_preset_find(v->agents_preset);
    for (const char *const *k = v->agent_keys; *k && !agents; k++) {
        const struct ini_entry *a = ini_peek(f, sec, *k);
        agents = a && a->value[0] && strcmp(a->value, "0") != 0;
    }
    if ((e = ini_take(f, sec, "Source")) != NULL) {
        dsn = e->value[0] ? e->value : NULL;
        conv_item(c, f, name, e, e->key, dsn ? ST_CONVERTED : ST_NOT_CONVERTIBLE,
                  dsn ? "odbc.dsn of the section's sources" : "empty: no DSN");
    }
    if ((e = ini_take(f, sec, "User")) != NULL) {
        user = e->value[0] ? e->value : NULL;
        conv_item(c, f, name, e, e->key, ST_CONVERTED, "odbc.user");
    }
    while ((e = ini_take(f, sec, "Password")) != NULL || (e = ini_take(f, sec, "Pwd")) != NULL) {
        password = 1;
        conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                  "passwords are never taken over: set it on the source (see the to-do list)");
    }
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *x = &f->entries[i];
        if (x->section == sec && !x->taken && conv_ieq(x->key, "CallDataTableName") &&
            has_text(x->value, "Half_Hour")) {
            x->taken = 1;
            conv_item(c, f, name, x, x->key, ST_NOT_CONVERTIBLE,
                      "a half-hour table: the source reads the interval table of the preset "
                      "instead (current versions no longer fill the *_Half_Hour tables, whose "
                      "columns are named differently); if your system writes only %s, edit the "
                      "source's SQL",
                      x->value);
        }
    }
    for (size_t i = 0; v->notes[i]; i += 2) {
        while ((e = ini_take(f, sec, v->notes[i])) != NULL) {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE, "%s", v->notes[i + 1]);
        }
    }
    int interval = conv_interval(c, f, sec);
    int zone_ok;
    if (v->zone && !ini_peek(f, sec, "TimeZone")) {
        snprintf(tz, sizeof(tz), "%s", v->zone);
        zone_ok = 1;
    } else {
        zone_ok = conv_time_zone(c, f, sec, "TimeZone", tz, sizeof(tz));
    }
    /* the contact source, then the agent-state one (the disabling lines so far are the
     * contact source's; the agent-state source collects its own) */
    vendor_source(c, f, sec, v, pc, 0, dsn, user, tz, interval ? interval : 15, password,
                  interval != 0 && zone_ok);
    if (agents && pa) {
        vendor_source(c, f, sec, v, pa, 1, dsn, user, tz, 15, password, zone_ok);
    } else if (pa) {
        conv_action(c,
                    "[%s]: agent states are not imported by this section; for them, create an "
                    "ODBC agent-state source on DSN '%s' with the preset %s",
                    name, dsn ? dsn : "(the section's DSN)", pa->id);
    }
    /* what is left of the section: the interface's own settings */
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *x = &f->entries[i];
        if (x->section != sec || x->taken) {
            continue;
        }
        x->taken = 1;
        if ((ends_with(x->key, "TableName") || ends_with(x->key, "Table")) && x->value[0]) {
            conv_item(c, f, name, x, x->key, ST_SKIPPED,
                      "a table the presets of the %s interface do not read", v->name);
        } else {
            conv_item(c, f, name, x, x->key, ST_SKIPPED,
                      "a setting of Xlink's %s interface: acdlink's preset does without it",
                      v->name);
        }
    }
}

/* A section of a vendor without a public schema: every key reported, the section flagged. */
static void vendor_flag(struct conv *c, struct ini_file *f, int sec, const struct vendor *v)
{
    const char *name = f->sections[sec].name;
    const struct ini_entry *src = ini_peek(f, sec, "Source");
    char todo[1800], what[900] = "";
    const char *dsn = src && src->value[0] ? src->value : "(your DSN)";
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        if (e->section != sec || e->taken) {
            continue;
        }
        e->taken = 1;
        if (conv_ieq(e->key, "Password") || conv_ieq(e->key, "Pwd")) {
            conv_item(c, f, name, e, e->key, ST_NOT_CONVERTIBLE,
                      "passwords are never taken over: set it on the source you create");
        } else if (conv_ieq(e->key, "Source") || conv_ieq(e->key, "User")) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "%s of the source you create (see the section's to-do)",
                      conv_ieq(e->key, "User") ? "odbc.user" : "odbc.dsn");
        } else if ((ends_with(e->key, "TableName") || ends_with(e->key, "Table")) && e->value[0]) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "a table of the %s interface: the view of the section's to-do reads it",
                      v->name);
        } else {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "a setting of the %s interface: not needed with the to-do's source", v->name);
        }
    }
    snprintf(todo, sizeof(todo),
             "the %s interface (a vendor \"standard\" interface of Xlink): contact statistics: ",
             v->name);
    fill(what, sizeof(what), v->contacts, dsn);
    strncat(todo, what, sizeof(todo) - strlen(todo) - 1);
    strncat(todo, "; agent states: ", sizeof(todo) - strlen(todo) - 1);
    fill(what, sizeof(what), v->agents, dsn);
    strncat(todo, what, sizeof(todo) - strlen(todo) - 1);
    struct ini_entry h = {0};
    h.line = f->sections[sec].line;
    conv_item(c, f, name, &h, NULL, ST_NOT_CONVERTIBLE,
              "the %s interface: not converted; the to-do says what to create", v->name);
    conv_flag(c, f, sec, "%s", todo);
}

int conv_vendor(struct conv *c, struct ini_file *f, int sec)
{
    const struct vendor *v = vendor_of(f, sec);
    if (!v) {
        return 0;
    }
    if (v->contacts_preset && odbc_preset_find(v->contacts_preset)) {
        vendor_convert(c, f, sec, v);
    } else {
        vendor_flag(c, f, sec, v);
    }
    return 1;
}
