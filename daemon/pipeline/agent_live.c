/* agent_live.c: every agent's current state for the live board (see agent_live.h). */
#include "pipeline/agent_live.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "pipeline/source_cfg.h"
#include "store/sources.h"

#define MAX_SOURCES 64

/* The logout codes of one agent-state source (start-only sources only, as in the spans). */
struct live_src {
    int64_t id;
    int start_only;
    struct source_states states;
};

struct live_ctx {
    struct live_src src[MAX_SOURCES];
    int nsrc;
    int64_t present, logged_out;
};

const char *agent_live_status_name(enum agent_live_status s)
{
    switch (s) {
    case LIVE_IN_STATE: return "in_state";
    case LIVE_LOGGED_OUT: return "logged_out";
    case LIVE_ENDED: return "ended";
    default: return "no_state";
    }
}

const char *agent_live_colour(const char *identifier, int logged_out)
{
    static const char *const palette[8] = {"#2f6fb0", "#3f9c5a", "#c7832a", "#9b4fb0",
                                           "#c2454b", "#2a9c9c", "#7a7f2a", "#5a5fc7"};
    const unsigned char *p = (const unsigned char *)(identifier ? identifier : "");
    unsigned h = 0;
    if (logged_out) {
        return "#9aa1ab";
    }
    /* the console's hash: per character, its first UTF-16 unit (web/src/pages/timeline.js) */
    while (*p) {
        unsigned cp = *p, n = 0;
        if (cp >= 0xf0) {
            cp &= 0x07;
            n = 3;
        } else if (cp >= 0xe0) {
            cp &= 0x0f;
            n = 2;
        } else if (cp >= 0xc0) {
            cp &= 0x1f;
            n = 1;
        }
        p++;
        for (; n > 0 && (*p & 0xc0) == 0x80; n--, p++) {
            cp = (cp << 6) | (*p & 0x3f);
        }
        if (cp >= 0x10000) {
            cp = 0xd800 + ((cp - 0x10000) >> 10);
        }
        h = (h * 31 + cp) % 997;
    }
    return palette[h % 8];
}

/* Loads the logout codes of every agent-state source. */
static int load_sources(struct store_conn *c, struct live_ctx *x)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id, kind, time_zone, interval_minutes, settings "
                                       "FROM sources WHERE product = 'agent_states' ORDER BY id");
    struct source_cfg *cfg = malloc(sizeof(*cfg));
    int rc = ACDL_OK;
    if (!s || !cfg) {
        store_done(s);
        free(cfg);
        return s ? ACDL_ENOMEM : ACDL_EDB;
    }
    while (sqlite3_step(s) == SQLITE_ROW && x->nsrc < MAX_SOURCES) {
        char err[300] = "";
        enum source_kind kind = SOURCE_CSV;
        const char *text = (const char *)sqlite3_column_text(s, 4);
        json_t *settings = json_loads(text ? text : "{}", 0, NULL);
        struct live_src *ls = &x->src[x->nsrc];
        source_kind_parse((const char *)sqlite3_column_text(s, 1), &kind);
        memset(ls, 0, sizeof(*ls));
        ls->id = sqlite3_column_int64(s, 0);
        if (settings &&
            source_cfg_parse_product(settings, PRODUCT_AGENT_STATES, kind, LAYOUT_INTERVAL,
                                     (const char *)sqlite3_column_text(s, 2),
                                     sqlite3_column_int(s, 3), cfg, err, sizeof(err)) == ACDL_OK) {
            ls->states = cfg->states;
            ls->start_only = cfg->states.span == SPAN_START_ONLY;
        } else {
            log_warn("agents", "source %lld: settings unusable for the live board: %s",
                     (long long)ls->id, err);
        }
        json_decref(settings);
        x->nsrc++;
    }
    store_done(s);
    free(cfg);
    return rc;
}

static int is_logout(const struct live_ctx *x, int64_t source_id, const char *code)
{
    for (int i = 0; i < x->nsrc; i++) {
        if (x->src[i].id != source_id) {
            continue;
        }
        for (int k = 0; x->src[i].start_only && k < x->src[i].states.nlogout; k++) {
            if (!strcmp(x->src[i].states.logout[k], code)) {
                return 1;
            }
        }
        return 0;
    }
    return 0;
}

static int64_t builtin(struct store_conn *c, const char *which)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id FROM wfm_activities WHERE builtin = ?");
    int64_t id = 0;
    if (s) {
        store_bind_text(s, 1, which);
        if (sqlite3_step(s) == SQLITE_ROW) {
            id = sqlite3_column_int64(s, 0);
        }
        store_done(s);
    }
    return id;
}

/* Per external id the latest state begun by ?1 (one seek on agent_staged's primary key each;
 * CROSS JOIN keeps agent_ids outside: without statistics the planner would rather scan every
 * staged state and seek per state),
 * then the WFM agents without one (a seek per id of theirs); rows of one WFM agent are
 * adjacent, latest first. */
static const char live_sql[] =
    "WITH cur AS (SELECT i.agent_id AS agent_id, i.source_id AS source_id, "
    "i.ext_agent AS ext_agent, s.start AS start, s.end AS end, s.code AS code FROM agent_ids i "
    "CROSS JOIN agent_staged s ON s.source_id = i.source_id AND s.ext_agent = i.ext_agent AND "
    "s.start = (SELECT m.start FROM agent_staged m WHERE m.source_id = i.source_id AND "
    "m.ext_agent = i.ext_agent AND m.start <= ?1 ORDER BY m.start DESC LIMIT 1)) "
    "SELECT * FROM (SELECT c.agent_id IS NULL AS unmapped, c.agent_id AS agent_id, "
    "a.identifier AS identifier, a.name AS name, c.source_id AS source_id, c.ext_agent AS "
    "ext_agent, c.start AS start, c.end AS end, c.code AS code, k.activity_id AS activity_id "
    "FROM cur c LEFT JOIN wfm_agents a ON a.id = c.agent_id LEFT JOIN activity_codes k ON "
    "k.source_id = c.source_id AND k.code = c.code "
    "UNION ALL SELECT 0, a.id, a.identifier, a.name, NULL, NULL, NULL, NULL, NULL, NULL FROM "
    "wfm_agents a WHERE NOT EXISTS (SELECT 1 FROM agent_ids i WHERE i.agent_id = a.id AND "
    "EXISTS (SELECT 1 FROM agent_staged m WHERE m.source_id = i.source_id AND m.ext_agent = "
    "i.ext_agent AND m.start <= ?1))) "
    "ORDER BY unmapped, identifier, agent_id, CASE WHEN unmapped THEN source_id END, CASE WHEN "
    "unmapped THEN ext_agent END, start DESC, source_id DESC, ext_agent DESC";

int agent_live_scan(struct store_conn *c, int64_t now, agent_live_fn fn, void *ctx)
{
    struct live_ctx *x = calloc(1, sizeof(*x));
    sqlite3_stmt *s = NULL;
    int64_t last_agent = 0;
    int rc = ACDL_OK, st;
    if (!x) {
        return ACDL_ENOMEM;
    }
    if ((rc = load_sources(c, x)) != ACDL_OK) {
        goto out;
    }
    x->present = builtin(c, "present");
    x->logged_out = builtin(c, "logged_out");
    s = store_prepare(c, live_sql);
    if (!s) {
        rc = ACDL_EDB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, now);
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        struct agent_live_row row;
        memset(&row, 0, sizeof(row));
        row.agent_id = sqlite3_column_int64(s, 1);
        if (row.agent_id != 0 && row.agent_id == last_agent) {
            continue; /* an older state of another external id of the same agent */
        }
        last_agent = row.agent_id;
        row.identifier = (const char *)sqlite3_column_text(s, 2);
        row.name = (const char *)sqlite3_column_text(s, 3);
        row.code = (const char *)sqlite3_column_text(s, 8);
        if (!row.code) {
            row.status = LIVE_NO_STATE;
        } else {
            row.source_id = sqlite3_column_int64(s, 4);
            row.ext_agent = (const char *)sqlite3_column_text(s, 5);
            row.start = sqlite3_column_int64(s, 6);
            row.end = sqlite3_column_type(s, 7) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 7);
            row.activity_id =
                sqlite3_column_type(s, 9) == SQLITE_NULL ? x->present : sqlite3_column_int64(s, 9);
            row.since = row.start;
            if (is_logout(x, row.source_id, row.code) || row.activity_id == x->logged_out) {
                row.status = LIVE_LOGGED_OUT;
                row.activity_id = x->logged_out;
            } else if (sqlite3_column_type(s, 7) != SQLITE_NULL && row.end <= now) {
                row.status = LIVE_ENDED;
                row.activity_id = x->logged_out;
                row.since = row.end;
            } else {
                row.status = LIVE_IN_STATE;
            }
        }
        if ((rc = fn(&row, ctx)) != 0) {
            break;
        }
    }
    if (rc == ACDL_OK && st != SQLITE_DONE) {
        log_error("agents", "live board: %s", sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
out:
    store_done(s);
    free(x);
    return rc;
}
