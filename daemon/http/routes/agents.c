/* agents.c (routes): /api/v1/agents (the WFM's agents with their external ids),
 * /api/v1/unknown-agents, /api/v1/agent-ids (bulk mapping of pasted id pairs) and
 * /api/v1/agent-states (the computed spans). Mapping changes recompute the spans of every
 * agent they touch in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "pipeline/agent_results.h"
#include "pipeline/id_pairs.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "store/agents.h"
#include "store/recomputes.h"
#include "store/sources.h"

#define MAX_EXT_IDS 256
#define STATES_MAX_DAYS 62

static json_t *ext_id_json(const struct store_agent_id *k, int with_agent)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:I}", "source_id", (json_int_t)k->source_id,
                          "source", k->source_name, "ext_agent", k->ext_agent, "first_seen",
                          json_time(k->first_seen), "last_seen", json_time(k->last_seen),
                          "count", (json_int_t)k->count);
    if (with_agent) {
        json_object_set_new(o, "agent",
                            k->agent_id ? json_string(k->agent_identifier) : json_null());
    }
    return o;
}

static json_t *agent_json(struct store_conn *c, const struct store_agent *a)
{
    struct store_agent_id *ids = NULL;
    int n = 0;
    json_t *arr = json_array();
    if (store_agent_ids_of(c, a->id, MAX_EXT_IDS, &ids, &n) == ACDL_OK) {
        for (int i = 0; i < n; i++) {
            json_array_append_new(arr, ext_id_json(&ids[i], 0));
        }
    }
    free(ids);
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)a->id, "identifier",
                     a->identifier, "name", a->name[0] ? json_string(a->name) : json_null(),
                     "external_ids", arr, "created_at", json_time(a->created_at), "updated_at",
                     json_time(a->updated_at));
}

static const char *check_ext(const char *s)
{
    return route_check_text(s, 128);
}

struct int64_set {
    int64_t *v;
    size_t n, cap;
};

static int set_add(struct int64_set *s, int64_t v)
{
    if (v <= 0) {
        return ACDL_OK;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i] == v) {
            return ACDL_OK;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int64_t *q = realloc(s->v, cap * sizeof(*q));
        if (!q) {
            return ACDL_ENOMEM;
        }
        s->v = q;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return ACDL_OK;
}

struct ext_ref {
    int64_t source_id;
    char ext_agent[129];
};

/* Parses "external_ids": [{source_id, ext_agent}, ...]; answers 422 when bad. */
static int parse_ext_ids(struct req *r, struct store_conn *c, json_t *arr, struct ext_ref *out,
                         int *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) > MAX_EXT_IDS) {
        return reply_error(r, 422, "invalid_field", "send a list of {source_id, ext_agent}",
                           "external_ids: must be a list of at most %d ids", MAX_EXT_IDS);
    }
    json_array_foreach(arr, i, v)
    {
        json_int_t sid;
        const char *ext, *why;
        json_error_t jerr;
        if (json_unpack_ex(v, &jerr, JSON_STRICT, "{s:I, s:s}", "source_id", &sid, "ext_agent",
                           &ext) != 0) {
            return reply_error(r, 422, "invalid_field", "send {source_id, ext_agent}",
                               "external_ids[%zu]: %s", i, jerr.text);
        }
        if ((why = check_ext(ext)) != NULL) {
            return reply_error(r, 422, "invalid_field", "send the id as the source gives it",
                               "external_ids[%zu].ext_agent: %s", i, why);
        }
        int st = route_agent_source_check(r, c, sid);
        if (st != 0) {
            return st;
        }
        out[*n].source_id = sid;
        snprintf(out[*n].ext_agent, sizeof(out[0].ext_agent), "%s", ext);
        (*n)++;
    }
    return 0;
}

/* Who holds (source, ext) now: 0 when nobody. */
static int64_t holder(struct store_conn *c, int64_t source_id, const char *ext)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT coalesce(agent_id, 0) FROM agent_ids WHERE "
                                       "source_id = ? AND ext_agent = ?");
    int64_t id = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, source_id);
        store_bind_text(s, 2, ext);
        if (sqlite3_step(s) == SQLITE_ROW) {
            id = sqlite3_column_int64(s, 0);
        }
        store_done(s);
    }
    return id;
}

static int fill_agent(struct req *r, struct store_agent *a, json_t **ext, int partial)
{
    const char *identifier = NULL, *name = NULL, *why;
    json_t *jname = NULL;
    json_error_t jerr;
    *ext = NULL;
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, partial ? "{s?s, s?o, s?o}" : "{s:s, s?o, s?o}",
                       "identifier", &identifier, "name", &jname, "external_ids", ext) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send identifier, optionally name and external_ids", "%s", jerr.text);
    }
    if (identifier) {
        if ((why = route_check_text(identifier, 128)) != NULL) {
            return reply_error(r, 422, "invalid_field",
                               "use the agent's identifier in the WFM (e.g. an e-mail address)",
                               "identifier: %s", why);
        }
        snprintf(a->identifier, sizeof(a->identifier), "%s", identifier);
    }
    if (jname) {
        name = json_is_string(jname) ? json_string_value(jname) : NULL;
        if (!json_is_null(jname) && (!name || (why = route_check_text(name, 256)) != NULL)) {
            return reply_error(r, 422, "invalid_field", "send a readable name or null",
                               "name: %s", name ? why : "must be text or null");
        }
        snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
    }
    return 0;
}

int route_agents_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_agent *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_list(c, cursor, limit + 1, &arr, &n);
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; rc == ACDL_OK && i < shown; i++) {
        json_array_append_new(items, agent_json(c, &arr[i]));
    }
    store_release(r->app->store, c);
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    if (rc != ACDL_OK) {
        json_decref(items);
        return reply_rc(r, rc, "agents");
    }
    return reply_page(r, items, n > limit, last);
}

int route_agents_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_agent a;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_get(c, id, &a);
    json_t *body = rc == ACDL_OK ? agent_json(c, &a) : NULL;
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "agent");
    }
    return reply_json(r, 200, body);
}

/* Gives the agent exactly the external ids ext[0..n) (replace: others it had become unknown)
 * and recomputes it and the agents that lost ids. ACDL_ECONFLICT (with *who) when an id
 * belongs to another agent. */
static int set_ext_ids(struct store_conn *c, int64_t agent, const struct ext_ref *ext, int n,
                       int replace, int *who)
{
    struct int64_set touched = {NULL, 0, 0};
    int rc = set_add(&touched, agent);
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        int64_t h = holder(c, ext[i].source_id, ext[i].ext_agent);
        if (h != 0 && h != agent) {
            *who = i;
            rc = ACDL_ECONFLICT;
        }
    }
    if (rc == ACDL_OK && replace) {
        sqlite3_stmt *s = store_prepare(c, "UPDATE agent_ids SET agent_id = NULL WHERE agent_id = ?");
        if (!s) {
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(s, 1, agent);
            rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
            store_done(s);
        }
    }
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        rc = store_agent_id_map(c, ext[i].source_id, ext[i].ext_agent, agent, NULL);
    }
    if (rc == ACDL_OK) {
        rc = agent_results_apply(c, touched.v, (int)touched.n, NULL, NULL, NULL);
    }
    free(touched.v);
    return rc;
}

static int save_agent(struct req *r, int64_t id, struct store_agent *a, json_t *jext)
{
    struct ext_ref *ext = NULL;
    int next = 0, st = 0, who = -1;
    int64_t newid = id;
    struct store_conn *c = store_acquire(r->app->store);
    if (jext) {
        ext = calloc(MAX_EXT_IDS, sizeof(*ext));
        if (!ext) {
            store_release(r->app->store, c);
            return reply_rc(r, ACDL_ENOMEM, "agent");
        }
        if ((st = parse_ext_ids(r, c, jext, ext, &next)) != 0) {
            store_release(r->app->store, c);
            free(ext);
            return st;
        }
    }
    int rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = id ? store_agent_update(c, a, plat_now()) : store_agent_add(c, a, plat_now(), &newid);
    }
    if (rc == ACDL_OK && jext) {
        rc = set_ext_ids(c, newid, ext, next, 1, &who);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    json_t *body = NULL;
    if (rc == ACDL_OK && (rc = store_agent_get(c, newid, a)) == ACDL_OK) {
        body = agent_json(c, a);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT && who >= 0) {
        st = reply_error(r, 409, "conflict",
                         "an external id belongs to one agent: take it from the other first, or "
                         "move it with POST /api/v1/agent-ids",
                         "external_ids[%d]: '%s' of source %lld belongs to another agent", who,
                         ext[who].ext_agent, (long long)ext[who].source_id);
    } else if (rc == ACDL_EEXIST) {
        st = reply_error(r, 409, "conflict", "use another identifier",
                         "an agent '%s' exists already", a->identifier);
    } else if (rc != ACDL_OK) {
        st = reply_rc(r, rc, "agent");
    } else {
        http_audit(r, id ? "agent.update" : "agent.create", a->identifier, "ok",
                   json_pack("{s:I}", "id", (json_int_t)newid));
        if (!id) {
            char loc[64];
            snprintf(loc, sizeof(loc), "/api/v1/agents/%lld", (long long)newid);
            reply_header(r, "Location", loc);
        }
        st = reply_json(r, id ? 200 : 201, body);
        body = NULL;
    }
    json_decref(body);
    free(ext);
    return st;
}

int route_agents_create(struct req *r)
{
    struct store_agent a;
    json_t *ext;
    int st;
    memset(&a, 0, sizeof(a));
    if ((st = fill_agent(r, &a, &ext, 0)) != 0) {
        return st;
    }
    return save_agent(r, 0, &a, ext);
}

int route_agents_update(struct req *r)
{
    struct store_agent a;
    json_t *ext;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_get(c, id, &a);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "agent");
    }
    if ((st = fill_agent(r, &a, &ext, 1)) != 0) {
        return st;
    }
    return save_agent(r, id, &a, ext);
}

int route_agents_delete(struct req *r)
{
    struct store_agent a;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_get(c, id, &a);
    if (rc == ACDL_OK) {
        rc = store_agent_delete(c, id);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "agent");
    }
    http_audit(r, "agent.delete", a.identifier, "ok", json_pack("{s:I}", "id", (json_int_t)id));
    return reply_empty(r, 204);
}

int route_unknown_agents_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, source_id;
    struct store_agent_id *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0 ||
        (st = route_agent_source_param(r, &source_id)) != 0) {
        return st;
    }
    /* the cursor is a row number here: external ids have no id of their own */
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_ids_unknown(c, source_id, (int)cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "unknown agents");
    }
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) {
        json_array_append_new(items, ext_id_json(&arr[i], 0));
    }
    free(arr);
    return reply_page(r, items, n > limit, cursor + limit);
}

int route_agent_ids_map(struct req *r)
{
    json_int_t source_id;
    const char *text;
    int create = 1, n = 0, st;
    json_error_t jerr;
    struct agent_results_stats stats = {0, 0, 0, 0};
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:I, s:s, s?b}", "source_id", &source_id,
                       "text", &text, "create_agents", &create) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send source_id and text (one 'external id;agent identifier' per "
                           "line), optionally create_agents",
                           "%s", jerr.text);
    }
    struct id_pair *p = malloc(ID_PAIRS_MAX * sizeof(*p));
    int bad_line = 0;
    char why[160] = "";
    if (!p) {
        return reply_rc(r, ACDL_ENOMEM, "agent ids");
    }
    if (id_pairs_parse(text, p, ID_PAIRS_MAX, &n, &bad_line, why, sizeof(why)) != ACDL_OK) {
        free(p);
        return reply_error(r, 422, "invalid_field",
                           "write one pair per line: external id, then a tab, ; or , and the "
                           "WFM agent identifier (empty: the id becomes unknown again); nothing "
                           "was changed",
                           "text: %s", why);
    }
    struct store_conn *c = store_acquire(r->app->store);
    if ((st = route_agent_source_check(r, c, source_id)) != 0) {
        store_release(r->app->store, c);
        free(p);
        return st;
    }
    struct int64_set touched = {NULL, 0, 0};
    int64_t mapped = 0, created = 0, moved = 0, cleared = 0;
    int bad = -1;
    int rc = store_begin(c);
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        struct store_agent a;
        int64_t prev = 0;
        memset(&a, 0, sizeof(a));
        if (p[i].agent[0]) {
            rc = store_agent_find(c, p[i].agent, &a);
            if (rc == ACDL_ENOTFOUND && create) {
                snprintf(a.identifier, sizeof(a.identifier), "%s", p[i].agent);
                rc = store_agent_add(c, &a, plat_now(), &a.id);
                created += rc == ACDL_OK;
            } else if (rc == ACDL_ENOTFOUND) {
                bad = i;
                break;
            }
        }
        if (rc == ACDL_OK) {
            rc = store_agent_id_map(c, source_id, p[i].ext, a.id, &prev);
        }
        if (rc == ACDL_OK) {
            mapped += a.id != 0;
            cleared += a.id == 0;
            moved += prev != 0 && prev != a.id && a.id != 0;
            rc = set_add(&touched, a.id);
        }
        if (rc == ACDL_OK) {
            rc = set_add(&touched, prev);
        }
    }
    /* same transaction: the agents' results are recomputed even after a crash */
    for (size_t i = 0; rc == ACDL_OK && bad < 0 && i < touched.n; i++) {
        if (touched.v[i]) {
            rc = store_recompute_add(c, "agent", touched.v[i], NULL, NULL, "agent ids mapped",
                                     plat_now(), NULL);
        }
    }
    if (rc == ACDL_OK && bad < 0) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK && bad < 0) {
        recompute_agents(c, touched.v, (int)touched.n, &stats);
    }
    store_release(r->app->store, c);
    free(touched.v);
    if (bad >= 0) {
        st = reply_error(r, 422, "invalid_field",
                         "add the agent first, or send create_agents: true",
                         "text: line %d: no WFM agent '%s' (nothing was changed)", p[bad].line,
                         p[bad].agent);
        free(p);
        return st;
    }
    free(p);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "agent ids");
    }
    http_audit(r, "agent_ids.map", "agent-ids", "ok",
               json_pack("{s:I, s:I, s:I, s:I}", "source_id", (json_int_t)source_id, "mapped",
                         (json_int_t)mapped, "created_agents", (json_int_t)created, "cleared",
                         (json_int_t)cleared));
    return reply_json(r, 200,
                      json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "mapped",
                                (json_int_t)mapped, "created_agents", (json_int_t)created,
                                "moved", (json_int_t)moved, "cleared", (json_int_t)cleared,
                                "recomputed", "agents", (json_int_t)stats.agents,
                                "days_changed", (json_int_t)stats.days_changed, "spans",
                                (json_int_t)stats.spans));
}

/* Local wall time of t in tz as "YYYY-MM-DDTHH:MM:SS+HH:MM". */
static void local_text(struct tz *tz, int64_t t, char *out, size_t outsz)
{
    struct tz_date d;
    int minute = 0, second = 0, off = 0;
    char ds[11];
    tz_utc_to_local(tz, t, &d, &minute, &second, &off);
    tz_date_format(d, ds);
    snprintf(out, outsz, "%sT%02d:%02d:%02d%c%02d:%02d", ds, minute / 60, minute % 60, second,
             off < 0 ? '-' : '+', abs(off) / 3600, abs(off) % 3600 / 60);
}

int route_agent_states_list(struct req *r)
{
    char abuf[160], from_s[16], to_s[16], zone[65] = "UTC";
    struct tz_date from, to;
    struct store_agent a;
    struct tz *tz = NULL;
    if (req_query(r, "agent", abuf, sizeof(abuf)) <= 0) {
        return reply_error(r, 400, "invalid_parameter",
                           "give agent (the WFM identifier or id), from and to",
                           "parameter 'agent' is required");
    }
    if (req_query(r, "from", from_s, sizeof(from_s)) < 0 || tz_date_parse(from_s, &from) ||
        req_query(r, "to", to_s, sizeof(to_s)) < 0 || tz_date_parse(to_s, &to)) {
        return reply_error(r, 400, "invalid_parameter", "give from and to as YYYY-MM-DD",
                           "parameters 'from' and 'to' are required dates");
    }
    if (tz_date_cmp(from, to) > 0 || tz_date_diff(to, from) + 1 > STATES_MAX_DAYS) {
        return reply_error(r, 400, "invalid_parameter", "ask for at most 62 days at a time",
                           "to: must be from 'from' to 62 days later");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_agent_find(c, abuf, &a);
    if (rc == ACDL_ENOTFOUND) {
        char *end = NULL;
        long long id = strtoll(abuf, &end, 10);
        if (end && !*end && id > 0) {
            rc = store_agent_get(c, id, &a);
        }
    }
    /* times are shown in the zone of the agent's first source */
    sqlite3_stmt *s = store_prepare(c, "SELECT s.time_zone FROM agent_ids i JOIN sources s ON "
                                       "s.id = i.source_id WHERE i.agent_id = ? ORDER BY "
                                       "i.source_id LIMIT 1");
    if (rc == ACDL_OK && s) {
        sqlite3_bind_int64(s, 1, a.id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            store_column_text(s, 0, zone, sizeof(zone));
        }
    }
    store_done(s);
    struct agent_span *sp = NULL;
    char (*days)[11] = NULL;
    int n = 0;
    json_t *seqs = json_object();
    if (rc == ACDL_OK) {
        rc = agent_results_spans(c, a.id, from_s, to_s, 100000, &sp, &days, &n);
    }
    s = rc == ACDL_OK ? store_prepare(c, "SELECT day, change_seq FROM agent_days WHERE agent_id = "
                                         "? AND day >= ? AND day <= ?")
                      : NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, a.id);
        sqlite3_bind_text(s, 2, from_s, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, to_s, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(s) == SQLITE_ROW) {
            json_object_set_new(seqs, (const char *)sqlite3_column_text(s, 0),
                                json_integer(sqlite3_column_int64(s, 1)));
        }
        store_done(s);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_OK && tz_open(zone, &tz) != ACDL_OK) {
        rc = ACDL_EINVAL;
    }
    if (rc != ACDL_OK) {
        free(sp);
        free(days);
        tz_close(tz);
        json_decref(seqs);
        return reply_rc(r, rc, "agent");
    }
    json_t *out_days = json_array(), *cur = NULL;
    for (int i = 0; i < n; i++) {
        if (!cur || strcmp(json_string_value(json_object_get(cur, "day")), days[i]) != 0) {
            json_t *seq = json_object_get(seqs, days[i]);
            cur = json_pack("{s:s, s:o, s:[]}", "day", days[i], "change_seq",
                            seq ? json_incref(seq) : json_integer(0), "spans");
            json_array_append_new(out_days, cur);
        }
        char ls[40], le[40] = "";
        local_text(tz, sp[i].start, ls, sizeof(ls));
        if (sp[i].end) {
            local_text(tz, sp[i].end, le, sizeof(le));
        }
        json_array_append_new(
            json_object_get(cur, "spans"),
            json_pack("{s:o, s:o, s:s, s:o, s:I, s:s, s:o, s:o, s:b}", "start",
                      json_time(sp[i].start), "end", json_time(sp[i].end), "local_start", ls,
                      "local_end", le[0] ? json_string(le) : json_null(), "activity_id",
                      (json_int_t)sp[i].activity_id, "activity", sp[i].activity, "source_id",
                      sp[i].source_id ? json_integer(sp[i].source_id) : json_null(), "code",
                      sp[i].code[0] ? json_string(sp[i].code) : json_null(), "open",
                      sp[i].end == 0));
    }
    free(sp);
    free(days);
    tz_close(tz);
    json_decref(seqs);
    return reply_json(r, 200,
                      json_pack("{s:{s:I, s:s, s:o}, s:s, s:s, s:s, s:o}", "agent", "id",
                                (json_int_t)a.id, "identifier", a.identifier, "name",
                                a.name[0] ? json_string(a.name) : json_null(), "time_zone", zone,
                                "from", from_s, "to", to_s, "days", out_days));
}
