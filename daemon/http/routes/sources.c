/* sources.c (routes): /api/v1/sources: the ACD exports acdlink reads, and the ODBC presets.
 * Settings are validated by pipeline/source_cfg.c, so what is stored is what an import runs.
 * The ODBC password is write-only: sealed at rest, reported only as password_set. Setting it
 * needs the admin role (operators configure, admins hold secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "core/err.h"
#include "core/tz.h"
#include "crypto/secret.h"
#include "http/routes/routes.h"
#include "pipeline/discover.h"
#include "pipeline/import.h"
#include "pipeline/recompute.h"
#include "pipeline/source_cfg.h"
#include "sched/jobs.h"
#include "platform/platform.h"
#include "pipeline/agent_follow.h"
#include "pipeline/file_follow.h"
#include "store/recomputes.h"
#include "store/schedules.h"
#include "store/sources.h"
#include "store/users.h"

static json_t *source_json(const struct store_source *s)
{
    json_t *settings = json_loads(s->settings, 0, NULL);
    /* the interval / contact layout is a contact-statistics matter: agent states have none */
    int states = !strcmp(s->product, "agent_states");
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:i, s:b, s:o, s:b, s:o, s:o}", "id",
                     (json_int_t)s->id, "name", s->name, "kind", s->kind, "product", s->product,
                     "layout", states ? json_null() : json_string(s->layout), "time_zone",
                     s->time_zone, "interval_minutes", s->interval_minutes, "enabled", s->enabled,
                     "settings", settings ? settings : json_object(), "password_set",
                     s->password_sealed != NULL, "created_at", json_time(s->created_at),
                     "updated_at", json_time(s->updated_at));
}

/* An incremental source's poll status (agent_follow.h) added to its answer o as "follow". */
static json_t *with_follow(struct req *r, const struct store_source *s, json_t *o)
{
    if (o && !strcmp(s->product, "agent_states")) {
        /* ODBC: its cursor; CSV: its followed file (file_follow.h) */
        struct store_conn *c = store_acquire(r->app->store);
        json_object_set_new(o, "follow",
                            !strcmp(s->kind, "odbc") ? agent_follow_status_json(c, s->id)
                                                     : file_follow_status_json(c, s->id));
        store_release(r->app->store, c);
    }
    return o;
}

/* A source as the API answers it, with the earliest next firing of its schedules. */
static json_t *source_answer(struct req *r, const struct store_source *s)
{
    int64_t next = 0;
    json_t *o = source_json(s);
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_schedule_next_of_source(c, s->id, &next);
    store_release(r->app->store, c);
    if (o) {
        json_object_set_new(o, "next_run_at",
                            rc == ACDL_OK && next ? json_time(next) : json_null());
    }
    return o;
}

/* The refusal of a connection string that holds a secret, by source_cfg_connstr_has_password() - 1:
 * every viewer reads the connection string. */
static const struct {
    const char *hint, *message;
} connstr_secrets[] = {
    {"remove PWD=... from the connection string and set the source's password field instead: "
     "it is stored sealed and never shown",
     "odbc.connection_string: holds a password (PWD= or Password=), which would be readable by "
     "every viewer"},
    {"remove the password from pqopt and set the source's password field instead (it is stored "
     "sealed and never shown); a client key's passphrase belongs in a DSN of the machine "
     "(odbc.ini)",
     "odbc.connection_string (pqopt): holds a password (password=, sslpassword= or a URI), which "
     "would be readable by every viewer"},
    {"put the client key's passphrase in a DSN of the machine (odbc.ini), or use a key without "
     "one",
     "odbc.connection_string (TLSKEYPWD=): holds a key's passphrase, which would be readable by "
     "every viewer"},
};

/* Validates settings for s (kind, layout, time zone, interval already in s) and replaces
 * s->settings by the normalised JSON. Answers 422 and returns the status when bad. */
static int check_settings(struct req *r, struct store_source *s, const json_t *settings)
{
    char err[2000] = "";
    enum source_kind kind;
    enum source_layout layout;
    struct source_cfg *cfg = malloc(sizeof(*cfg));
    int st = 0, pw;
    if (!cfg) {
        return reply_rc(r, ACDL_ENOMEM, "source");
    }
    enum source_product product = PRODUCT_CONTACTS;
    source_kind_parse(s->kind, &kind);
    source_layout_parse(s->layout, &layout);
    source_product_parse(s->product, &product);
    if (source_cfg_parse_product(settings, product, kind, layout, s->time_zone, s->interval_minutes,
                                 cfg, err, sizeof(err)) != ACDL_OK) {
        st = reply_error(r, 422, "invalid_field",
                         "see the source settings in docs/openapi.yaml (schema SourceSettings)",
                         "%s", err);
    } else if (kind == SOURCE_ODBC &&
               (pw = source_cfg_connstr_has_password(cfg->connection_string)) != 0) {
        st = reply_error(r, 422, "invalid_field", connstr_secrets[pw - 1].hint, "%s",
                         connstr_secrets[pw - 1].message);
    } else if (source_cfg_check_driver(cfg, err, sizeof(err)) != ACDL_OK) {
        st = reply_error(r, 422, "invalid_field",
                         "name an ODBC driver registered on this machine (odbcinst -q -d lists "
                         "them; registering one needs access to the machine), or a DSN",
                         "%s", err);
    } else if (source_cfg_check_paths(cfg, err, sizeof(err)) != ACDL_OK) {
        st = reply_error(r, 422, "invalid_field",
                         "use a folder inside the allowed import folders (GET /api/v1/roots); "
                         "changing them needs access to the machine (import_roots)",
                         "%s", err);
    } else {
        json_t *norm = source_cfg_settings_json(cfg);
        char *text = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(norm);
        free(s->settings);
        s->settings = text;
        if (!text) {
            st = reply_rc(r, ACDL_ENOMEM, "source");
        }
    }
    free(cfg);
    return st;
}

static int check_common(struct req *r, struct store_source *s)
{
    const char *why;
    char canonical[sizeof(s->time_zone)];
    if ((why = route_check_text(s->name, 64)) != NULL) {
        return reply_error(r, 422, "invalid_field", "name the source after the ACD it reads",
                           "name: %s", why);
    }
    if (s->interval_minutes != 15 && s->interval_minutes != 30 && s->interval_minutes != 60) {
        return reply_error(r, 422, "invalid_field", "use 15, 30 or 60",
                           "interval_minutes: must be 15, 30 or 60");
    }
    if (tz_check(s->time_zone, canonical, sizeof(canonical)) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field",
                           "use the IANA time zone the ACD writes its times in, e.g. "
                           "Europe/Berlin",
                           "time_zone: '%.64s' is not a known time zone", s->time_zone);
    }
    snprintf(s->time_zone, sizeof(s->time_zone), "%s", canonical);
    return 0;
}

/* Seals and stores the password of source id (NULL clears it). */
static int set_password(struct req *r, struct store_conn *c, int64_t id, const char *pw)
{
    char aad[64], *sealed = NULL;
    int rc;
    if (pw) {
        snprintf(aad, sizeof(aad), "sources/%lld/password", (long long)id);
        rc = secret_seal(r->app->secrets, aad, pw, strlen(pw), &sealed);
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    rc = store_source_set_password(c, id, sealed, plat_now());
    free(sealed);
    return rc;
}

/* Where an ODBC source connects (its DSN and connection string) in its stored settings, into
 * out ("" for a CSV source). */
static void source_address(const char *settings, char *out, size_t n)
{
    json_t *j = settings ? json_loads(settings, 0, NULL) : NULL;
    json_t *o = json_object_get(j, "odbc");
    const char *dsn = json_string_value(json_object_get(o, "dsn"));
    const char *cs = json_string_value(json_object_get(o, "connection_string"));
    snprintf(out, n, "%s\n%s", dsn ? dsn : "", cs ? cs : "");
    json_decref(j);
}

/* The password member: absent (keep), null (clear) or a string (set; admins only). */
static int password_member(struct req *r, const json_t *v, int *present, const char **pw)
{
    *present = v != NULL;
    *pw = NULL;
    if (!v) {
        return 0;
    }
    if (store_role_rank(r->auth.role) < ROLE_ADMIN) {
        return reply_error(r, 403, "forbidden", "ask an admin to set the password",
                           "stored passwords are set by admins only");
    }
    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) > 1024 ||
        json_string_length(v) != strlen(json_string_value(v))) {
        return reply_error(r, 422, "invalid_field", "send the password as text or null",
                           "password: must be text of at most 1024 bytes, or null");
    }
    *pw = json_string_value(v);
    return 0;
}

int route_sources_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_source *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_source_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "sources");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, with_follow(r, &arr[i], source_answer(r, &arr[i])));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    for (int i = 0; i < n; i++) {
        store_source_clear(&arr[i]);
    }
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_sources_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_source s;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_source_get(c, id, &s);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "source");
    }
    st = reply_json(r, 200, with_follow(r, &s, source_answer(r, &s)));
    store_source_clear(&s);
    return st;
}

int route_sources_create(struct req *r)
{
    const char *name, *kind, *product = "contacts", *layout = "interval", *zone_name;
    json_t *jlayout = NULL;
    int interval = 15, enabled = 1, st, pw_present;
    json_t *settings = NULL, *jpw = NULL;
    json_error_t jerr;
    const char *pw;
    struct store_source s;
    int64_t id;
    enum source_kind k;
    enum source_layout l;

    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?s, s?o, s:s, s?i, s?b, s:o, s?o}",
                       "name", &name, "kind", &kind, "product", &product, "layout", &jlayout,
                       "time_zone", &zone_name, "interval_minutes", &interval, "enabled", &enabled,
                       "settings", &settings, "password", &jpw) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send name, kind, time_zone and settings; optionally product, layout, "
                           "interval_minutes, enabled, password",
                           "%s", jerr.text);
    }
    if (source_kind_parse(kind, &k) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use csv or odbc",
                           "kind: '%.20s' is not csv or odbc", kind);
    }
    enum source_product prod;
    if (source_product_parse(product, &prod) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use contacts or agent_states",
                           "product: '%.20s' is not contacts or agent_states", product);
    }
    if (jlayout && !json_is_null(jlayout) && !json_is_string(jlayout)) {
        return reply_error(r, 422, "invalid_field", "use interval or contact",
                           "layout: must be a string");
    }
    int layout_given = jlayout && json_is_string(jlayout);
    if (layout_given) {
        layout = json_string_value(jlayout);
    }
    if (prod == PRODUCT_AGENT_STATES && layout_given && strcmp(layout, "interval") != 0) {
        return reply_error(r, 422, "invalid_field",
                           "leave layout out: the span form is settings.agent_states.span",
                           "layout: agent-state sources have no contact layout");
    }
    if (source_layout_parse(layout, &l) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use interval or contact",
                           "layout: '%.20s' is not interval or contact", layout);
    }
    if ((st = password_member(r, jpw, &pw_present, &pw)) != 0) {
        return st;
    }
    if (pw_present && k != SOURCE_ODBC) {
        return reply_error(r, 422, "invalid_field", "only ODBC sources have a password",
                           "password: CSV sources have none");
    }
    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "%.64s", name);
    if (strlen(name) > 64) {
        return reply_error(r, 422, "invalid_field", "use a shorter name", "name: is too long");
    }
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.product, sizeof(s.product), "%s", product);
    snprintf(s.layout, sizeof(s.layout), "%s", layout);
    snprintf(s.time_zone, sizeof(s.time_zone), "%.64s", zone_name);
    s.interval_minutes = interval;
    s.enabled = enabled;
    if ((st = check_common(r, &s)) != 0 || (st = check_settings(r, &s, settings)) != 0) {
        store_source_clear(&s);
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_source_add(c, &s, plat_now(), &id);
    }
    if (rc == ACDL_OK && pw) {
        rc = set_password(r, c, id, pw);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    store_source_clear(&s);
    if (rc == ACDL_OK) {
        rc = store_source_get(c, id, &s);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another name",
                           "a source named '%.64s' exists already", name);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "source");
    }
    http_audit(r, "source.create", s.name, "ok",
               json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "kind", s.kind, "password_set",
                         s.password_sealed != NULL));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/sources/%lld", (long long)id);
    reply_header(r, "Location", loc);
    st = reply_json(r, 201, source_answer(r, &s));
    store_source_clear(&s);
    return st;
}

int route_sources_update(struct req *r)
{
    const char *name = NULL, *zone_name = NULL, *pw;
    int interval = -1, enabled = -1, st, pw_present;
    json_t *settings = NULL, *jpw = NULL, *jenabled = NULL;
    json_error_t jerr;
    int64_t id;
    struct store_source s;

    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?s, s?i, s?o, s?o, s?o}", "name", &name,
                       "time_zone", &zone_name, "interval_minutes", &interval, "enabled", &jenabled,
                       "settings", &settings, "password", &jpw) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send any of name, time_zone, interval_minutes, enabled, settings, "
                           "password (kind, product and layout are fixed)",
                           "%s", jerr.text);
    }
    if (jenabled) {
        if (!json_is_boolean(jenabled)) {
            return reply_error(r, 422, "invalid_field", "use true or false",
                               "enabled: must be a boolean");
        }
        enabled = json_is_true(jenabled);
    }
    if ((st = password_member(r, jpw, &pw_present, &pw)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_source_get(c, id, &s);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "source");
    }
    r->audit_before = source_answer(r, &s);
    if (pw_present && strcmp(s.kind, "odbc") != 0) {
        store_source_clear(&s);
        return reply_error(r, 422, "invalid_field", "only ODBC sources have a password",
                           "password: CSV sources have none");
    }
    if (name) {
        if (strlen(name) > 64) {
            store_source_clear(&s);
            return reply_error(r, 422, "invalid_field", "use a shorter name", "name: is too long");
        }
        snprintf(s.name, sizeof(s.name), "%s", name);
    }
    if (zone_name) {
        snprintf(s.time_zone, sizeof(s.time_zone), "%.64s", zone_name);
    }
    if (json_object_get(r->body, "interval_minutes")) { /* any value, -1 too, is checked */
        s.interval_minutes = interval;
    }
    if (enabled != -1) {
        s.enabled = enabled;
    }
    json_t *current = settings ? NULL : json_loads(s.settings, 0, NULL);
    /* where a source that holds a password connects is an admin's choice: an operator pointing
     * it at a server of theirs would have the daemon log in there with the stored password */
    char before[4200], after[4200];
    source_address(s.settings, before, sizeof(before));
    st = check_common(r, &s);
    if (st == 0) {
        st = check_settings(r, &s, settings ? settings : current);
    }
    json_decref(current);
    if (st != 0) {
        store_source_clear(&s);
        return st;
    }
    source_address(s.settings, after, sizeof(after));
    if (s.password_sealed && strcmp(before, after) != 0 &&
        store_role_rank(r->auth.role) < ROLE_ADMIN) {
        store_source_clear(&s);
        return reply_error(r, 403, "forbidden",
                           "ask an admin to change where a source that holds a password connects",
                           "odbc: the connection (dsn, connection_string) of a source that "
                           "holds a password is changed by admins only");
    }
    /* agent-state results depend on the source's time zone and settings (minimum duration,
     * split at midnight): recorded in the same transaction, recomputed after it */
    int recompute = !strcmp(s.product, "agent_states") && (settings || zone_name);
    c = store_acquire(r->app->store);
    rc = store_begin(c);
    if (rc == ACDL_OK) {
        rc = store_source_update(c, &s, plat_now());
    }
    if (rc == ACDL_OK && pw_present) {
        rc = set_password(r, c, id, pw);
    }
    if (rc == ACDL_OK && recompute) {
        rc = store_recompute_add(c, "source_agents", id, NULL, NULL, "source changed", plat_now(),
                                 NULL);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(c);
    } else {
        store_rollback(c);
    }
    if (rc == ACDL_OK && recompute) {
        recompute_now(c, "source_agents", id, NULL);
    }
    store_source_clear(&s);
    if (rc == ACDL_OK) {
        rc = store_source_get(c, id, &s);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another name",
                           "a source named '%.64s' exists already", name ? name : "");
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "source");
    }
    json_t *now = source_answer(r, &s);
    json_t *detail = http_audit_update(r, now, id);
    if (pw_present) {
        json_object_set_new(detail, "password", json_string(pw ? "changed" : "cleared"));
    }
    http_audit(r, "source.update", s.name, "ok", detail);
    st = reply_json(r, 200, now);
    store_source_clear(&s);
    return st;
}

int route_source_presets_list(struct req *r)
{
    size_t n = 0;
    const struct odbc_preset *p = odbc_presets(&n);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        int states = p[i].layout == ODBC_LAYOUT_AGENT_STATES;
        json_t *item = json_pack(
            "{s:s, s:s, s:s, s:o, s:s, s:s}", "id", p[i].id, "title", p[i].title, "product",
            states ? "agent_states" : "contacts", "layout",
            states ? json_null()
                   : json_string(p[i].layout == ODBC_LAYOUT_CONTACT ? "contact" : "interval"),
            "sql", p[i].sql, "notes", p[i].notes);
        if (states) {
            json_t *lo = json_array();
            for (const char *a = p[i].logout ? p[i].logout : ""; *a;) {
                const char *b = strchr(a, ';');
                size_t len = b ? (size_t)(b - a) : strlen(a);
                json_array_append_new(lo, json_stringn(a, len));
                a += len + (b != NULL);
            }
            json_object_set_new(item, "span", json_string(p[i].span));
            json_object_set_new(item, "logout_activities", lo);
            const struct odbc_preset_live *pl = odbc_preset_live(p[i].id);
            json_object_set_new(item, "live_status",
                                pl ? json_pack("{s:s, s:s, s:o, s:o}", "agent_column", pl->agent,
                                               "state_column", pl->state, "reason_column",
                                               pl->reason ? json_string(pl->reason) : json_null(),
                                               "since_column",
                                               pl->since ? json_string(pl->since) : json_null())
                                   : json_null());
        }
        json_array_append_new(items, item);
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

struct preview_arg {
    int64_t source_id;
    char day[11];
    int rows; /* 0: discovery of the whole day */
};

static int run_preview(struct app *app, void *p, json_t **result, char *err, size_t errsz)
{
    struct preview_arg *a = p;
    if (a->rows == 0) {
        return discover_day(app, a->source_id, a->day, result, err, errsz);
    }
    return import_preview(app, a->source_id, a->day, a->rows, result, err, errsz);
}

/* Validates {"day"[, "rows"]} and the source, then queues the read as a job: 202 + Location. */
static int submit_read(struct req *r, int discover)
{
    const char *day;
    int rows = 50, st;
    int64_t id, job;
    json_error_t jerr;
    struct tz_date d;
    struct store_source s;
    char who[96];
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    int bad = discover ? json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s}", "day", &day)
                       : json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s?i}", "day", &day,
                                        "rows", &rows);
    if (bad != 0) {
        return reply_error(r, 422, "invalid_field",
                           discover ? "send {\"day\": \"YYYY-MM-DD\"}"
                                    : "send {\"day\": \"YYYY-MM-DD\", \"rows\": 1..200}",
                           "%s", jerr.text);
    }
    if (tz_date_parse(day, &d) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use YYYY-MM-DD", "day: '%.20s' is not a date",
                           day);
    }
    if (rows < 1 || rows > 200) {
        return reply_error(r, 422, "invalid_field", "ask for 1 to 200 rows",
                           "rows: must be from 1 to 200");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_source_get(c, id, &s);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "source");
    }
    store_source_clear(&s);
    struct preview_arg *a = calloc(1, sizeof(*a));
    if (!a) {
        return reply_rc(r, ACDL_ENOMEM, "preview");
    }
    a->source_id = id;
    snprintf(a->day, sizeof(a->day), "%s", day);
    a->rows = discover ? 0 : rows;
    snprintf(who, sizeof(who), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "", r->auth.name);
    if (jobs_submit(r->app, discover ? "source.discover" : "source.preview", who, run_preview, a,
                    &job) != ACDL_OK) {
        reply_header(r, "Retry-After", "2");
        return reply_error(r, 503, "unavailable", "wait a moment, then ask again",
                           "other previews are running");
    }
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/jobs/%lld", (long long)job);
    reply_header(r, "Location", loc);
    json_t *body = jobs_get(job);
    return reply_json(r, 202, body ? body : json_pack("{s:I}", "id", (json_int_t)job));
}

int route_sources_preview(struct req *r)
{
    return submit_read(r, 0);
}

int route_sources_discover(struct req *r)
{
    return submit_read(r, 1);
}

int route_jobs_get(struct req *r)
{
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    json_t *j = jobs_get(id);
    if (!j) {
        return reply_error(r, 404, "not_found", "jobs are kept for a while, then forgotten",
                           "no job %lld", (long long)id);
    }
    return reply_json(r, 200, j);
}
