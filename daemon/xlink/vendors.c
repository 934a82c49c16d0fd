/* vendors.c: the legacy tool's "standard" (vendor) interface sections: recognised by their
 * name or their table-name keys and reported with what to do instead (which preset to use, or
 * which view to create and which preset to start from). */
#include <stdio.h>
#include <string.h>

#include "xlink/conv.h"

struct vendor {
    const char *name;
    const char *const tokens[6]; /* in the section name, any case */
    const char *const keys[4];   /* keys only this interface has */
    const char *contacts;        /* what to do for contact statistics (%s: the DSN) */
    const char *agents;          /* what to do for agent states (%s: the DSN) */
    const char *default_tables;  /* the tables the preset reads, or NULL */
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
     {"ContactQueueDetailTable", "ContactCallDetailTable", "AgentStateDetailTable", NULL},
     "create a view acdlink_uccx_intervals on the UCCX historical database (db_cra) that sums "
     "ContactQueueDetail (joined to ContactCallDetail) per CSQ and interval into the interval "
     "columns (queue_id, queue_name, interval_start, then one column per metric: offered, "
     "handled, abandoned, handle_time), then an ODBC source on DSN '%s' with the SQL SELECT * "
     "FROM acdlink_uccx_intervals WHERE interval_start >= :period_start AND interval_start < "
     ":period_end; start from the SQL of the preset cisco_ucce_call_type_interval",
     "create a view over AgentStateDetail (agentID, eventType, eventDateTime) as (agent_id, "
     "activity_id, start_time) and an ODBC agent-state source on DSN '%s' reading it with start "
     "only states; start from the preset cisco_ucce_agent_event_detail",
     NULL},
    {"Cisco Unified Contact Center Enterprise / ICM",
     {"icm", "ucce", "ipcc enterprise", NULL},
     {"AgentEventDetailTableName", "CallTypeIntervalTableName", NULL},
     "create an ODBC source on DSN '%s' (the AW/HDS database) with the preset "
     "cisco_ucce_call_type_interval",
     "create an ODBC agent-state source on DSN '%s' with the preset "
     "cisco_ucce_agent_event_detail",
     "Call_Type_Interval, Agent_Event_Detail"},
    {"Avaya CMS",
     {"avaya cms", "cms", "definity", NULL},
     {"HsplitTable", "AgActvTable", NULL},
     "create an ODBC source on DSN '%s' (the CMS Informix database) with the preset "
     "avaya_cms_hsplit",
     "create an ODBC agent-state source on DSN '%s' with the preset avaya_cms_agent_trace (switch "
     "on agent trace in CMS for the agents)",
     "hsplit, ag_actv"},
    {"Nortel Symposium / Avaya Aura Contact Center (AACC)",
     {"symposium", "aacc", "nortel", "aura contact", NULL},
     {"SkillsetStatTable", NULL},
     "create a view acdlink_aacc_intervals over the interval statistics view iSkillsetStat (one "
     "row per skillset and interval) with the interval columns (queue_id, queue_name, "
     "interval_start, then one column per metric), then an ODBC source on DSN '%s' reading it "
     "with :period_start and :period_end; start from the SQL of the preset avaya_cms_hsplit",
     "create a view over the agent login and state events (eAgentLoginStat) as (agent_id, "
     "activity_id, start_time) and an ODBC agent-state source on DSN '%s' reading it with start "
     "only states; start from the preset avaya_cms_agent_trace",
     NULL},
    {"Interactive Intelligence CIC",
     {"interactive intelligence", "cic", "i3", "interaction center", NULL},
     {"QueueStatsTable", "AgentActivityLogTable", NULL},
     "create a view acdlink_cic_intervals over the queue statistics per interval "
     "(IWrkgrpQueueStats) with the interval columns (queue_id, queue_name, interval_start, then "
     "one column per metric), then an ODBC source on DSN '%s' reading it with :period_start and "
     ":period_end; start from the SQL of the preset cisco_ucce_call_type_interval",
     "create a view over the agent activity log (AgentActivityLog) as (agent_id, activity_id, "
     "start_time, end_time) and an ODBC agent-state source on DSN '%s' reading it; start from "
     "the preset cisco_ucce_agent_event_detail",
     NULL},
    {"Siemens HiPath ProCenter",
     {"hipath", "procenter", "siemens", NULL},
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS,
     NULL},
    {"Vocalcom",
     {"vocalcom", "hermes", NULL},
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS,
     NULL},
    {"Alcatel OmniTouch",
     {"alcatel", "omnitouch", "ccd", NULL},
     {NULL},
     NOT_PUBLIC_CONTACTS,
     NOT_PUBLIC_AGENTS,
     NULL},
};

/* 1 when hay contains needle ignoring ASCII case, as a word (not inside a longer word). */
static int has_word(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i]) {
            char a = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] + 32) : p[i];
            if (a != needle[i]) {
                break;
            }
            i++;
        }
        int before =
            p == hay || !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));
        char after = p[n < strlen(p) ? n : strlen(p)];
        if (i == n && before &&
            !((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'))) {
            return 1;
        }
    }
    return 0;
}

static const struct vendor *vendor_of(const struct ini_file *f, int sec)
{
    for (size_t v = 0; v < sizeof(vendors) / sizeof(vendors[0]); v++) {
        for (const char *const *k = vendors[v].keys; *k; k++) {
            if (ini_peek(f, sec, *k)) {
                return &vendors[v];
            }
        }
    }
    for (size_t v = 0; v < sizeof(vendors) / sizeof(vendors[0]); v++) {
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

int conv_vendor(struct conv *c, struct ini_file *f, int sec)
{
    const struct vendor *v = vendor_of(f, sec);
    const char *name = f->sections[sec].name;
    const struct ini_entry *src = ini_peek(f, sec, "Source");
    char tables[400] = "", todo[1800], what[900] = "";
    size_t to = 0;
    if (!v) {
        return 0;
    }
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
                      "%s of the source you create (see the "
                      "section's to-do)",
                      conv_ieq(e->key, "User") ? "odbc.user" : "odbc.dsn");
        } else if ((ends_with(e->key, "TableName") || ends_with(e->key, "Table")) && e->value[0]) {
            if (to < sizeof(tables)) {
                to += (size_t)snprintf(tables + to, sizeof(tables) - to, "%s%s", to ? ", " : "",
                                       e->value);
            }
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "a table of the %s interface: the view or preset of the section's to-do "
                      "reads it",
                      v->name);
        } else {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "a setting of the %s interface: not needed with the to-do's source", v->name);
        }
    }
    snprintf(todo, sizeof(todo),
             "the %s interface (a vendor \"standard\" interface of Xlink): "
             "contact statistics: ",
             v->name);
    fill(what, sizeof(what), v->contacts, dsn);
    strncat(todo, what, sizeof(todo) - strlen(todo) - 1);
    strncat(todo, "; agent states: ", sizeof(todo) - strlen(todo) - 1);
    fill(what, sizeof(what), v->agents, dsn);
    strncat(todo, what, sizeof(todo) - strlen(todo) - 1);
    if (to && v->default_tables) {
        snprintf(what, sizeof(what),
                 "; the section names the tables %s: where they differ from the preset's (%s), "
                 "create views of the preset's names over them or edit the preset's SQL",
                 tables, v->default_tables);
        strncat(todo, what, sizeof(todo) - strlen(todo) - 1);
    }
    struct ini_entry h = {0};
    h.line = f->sections[sec].line;
    conv_item(c, f, name, &h, NULL, ST_NOT_CONVERTIBLE,
              "the %s interface: not converted; the to-do says what to create", v->name);
    conv_flag(c, f, sec, "%s", todo);
    return 1;
}
