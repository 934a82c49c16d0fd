/* setup.c: export and apply of the whole setup as one document (see setup.h for the design). */
#include "http/setup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

enum kind_id {
    K_VALUE_TYPES,
    K_QUEUES,
    K_ACTIVITIES,
    K_SOURCES,
    K_TARGETS,
    K_AGENTS,
    K_ACTIVITY_CODES,
    K_MAPPINGS,
    K_SCHEDULES,
    K_ALERT_CHANNELS,
    K_ALERT_RULES,
    K_COUNT
};

struct kind {
    const char *name;     /* member of the document */
    const char *path;     /* the API collection */
    const char *what;     /* singular, for messages */
    const char *fixed[4]; /* members that cannot change once the object exists */
    int upsert;           /* created, changed and cleared by POST to path (no ids) */
    int admin_only;       /* exported only to admins (the API answers others 403) */
};

/* In the order references need: agents, activity codes, mappings and schedules name sources;
 * activity codes name activities; mappings name queues and value types. */
static const struct kind kinds[K_COUNT] = {
    {"value_types", "/api/v1/value-types", "value type", {NULL}, 0, 0},
    {"queues", "/api/v1/queues", "queue", {NULL}, 0, 0},
    {"activities", "/api/v1/activities", "activity", {NULL}, 0, 0},
    {"sources", "/api/v1/sources", "source", {"kind", "product", "layout", NULL}, 0, 0},
    {"targets", "/api/v1/targets", "target", {"connector", NULL}, 0, 0},
    {"agents", "/api/v1/agents", "agent", {NULL}, 0, 0},
    {"activity_codes", "/api/v1/activity-codes", "activity code", {NULL}, 1, 0},
    {"mappings", "/api/v1/mappings", "mapping", {NULL}, 0, 0},
    {"schedules", "/api/v1/schedules", "schedule", {NULL}, 0, 0},
    {"alert_channels", "/api/v1/alerts/channels", "alert channel", {"kind", NULL}, 0, 1},
    {"alert_rules", "/api/v1/alerts/rules", "alert rule", {NULL}, 0, 1},
};

struct setup {
    struct app *app;
    const struct auth_ctx *actor;
    int flags;
    /* per kind, what is there: [{"id", "key", "doc"}] */
    json_t *cur[K_COUNT];
    json_t *value_types; /* every value type as listed, built-in ones too */
    json_t *changes;
    int unchanged;
    json_t *error; /* {"path", "status", "message", "hint"} */
};

static void set_error(struct setup *s, const char *path, int status, const char *hint,
                      const char *fmt, ...) ACDL_PRINTF(5, 6);
static void set_error(struct setup *s, const char *path, int status, const char *hint,
                      const char *fmt, ...)
{
    char msg[700] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(s->error);
    s->error = json_pack("{s:s, s:i, s:s, s:s}", "path", path, "status", status, "message", msg,
                         "hint", hint ? hint : "");
}

/* Takes the message of an API error envelope for the report. */
static void set_api_error(struct setup *s, const char *path, int status, const json_t *answer)
{
    const char *msg = "the API refused the change", *hint = "";
    json_t *e = json_object_get(answer, "error");
    if (json_is_string(json_object_get(e, "message"))) {
        msg = json_string_value(json_object_get(e, "message"));
    }
    if (json_is_string(json_object_get(e, "hint"))) {
        hint = json_string_value(json_object_get(e, "hint"));
    }
    set_error(s, path, status, hint, "%s", msg);
}

static const char *str_member(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* Reads a whole collection, page by page, into *items (new). */
static int list_all(struct setup *s, int k, json_t **items)
{
    char target[160];
    json_int_t cursor = 0;
    *items = json_array();
    for (;;) {
        json_t *answer = NULL;
        if (cursor) {
            snprintf(target, sizeof(target), "%s?limit=500&cursor=%lld", kinds[k].path,
                     (long long)cursor);
        } else {
            snprintf(target, sizeof(target), "%s?limit=500", kinds[k].path);
        }
        int st = http_call(s->app, s->actor, "GET", target, NULL, &answer);
        if (st != 200) {
            set_api_error(s, kinds[k].name, st, answer);
            json_decref(answer);
            return ACDL_EPERM;
        }
        json_array_extend(*items, json_object_get(answer, "items"));
        json_t *next = json_object_get(answer, "next_cursor");
        cursor = json_is_integer(next) ? json_integer_value(next) : 0;
        if (json_is_string(next)) {
            cursor = strtoll(json_string_value(next), NULL, 10);
        }
        json_decref(answer);
        if (cursor <= 0) {
            return ACDL_OK;
        }
    }
}

static json_t *strip(const json_t *item, const char *const *drop)
{
    json_t *o = json_deep_copy(item);
    for (; *drop; drop++) {
        json_object_del(o, *drop);
    }
    return o;
}

/* The document shape of an API item (new), or NULL when it is not part of a document. */
static json_t *doc_of(int k, const json_t *it)
{
    static const char *const plain[] = {"id",           "created_at", "updated_at",  "builtin",
                                        "password_set", "secret_set", "next_run_at", NULL};
    static const char *const sched[] = {"id", "created_at", "next_run_at", "last_run_id",
                                        "source", NULL};
    size_t i;
    json_t *in, *o;
    switch (k) {
    case K_VALUE_TYPES:
        return json_is_true(json_object_get(it, "builtin")) ? NULL : strip(it, plain);
    case K_ACTIVITIES: /* built-in ones (the default "Present") are the appliance's own */
        return json_is_string(json_object_get(it, "builtin")) ? NULL : strip(it, plain);
    case K_SOURCES: /* its follow status is the appliance's own, not setup */
        o = strip(it, plain);
        json_object_del(o, "follow");
        return o;
    case K_QUEUES:
    case K_TARGETS:
        return strip(it, plain);
    case K_ALERT_CHANNELS:
        o = strip(it, plain);
        json_object_del(o, "last_ok_at");
        json_object_del(o, "last_error");
        json_object_del(o, "last_error_at");
        json_object_del(o, "last_error_code");
        json_object_del(o, "last_error_params");
        return o;
    case K_ALERT_RULES:
        return json_pack("{s:O, s:O, s:O, s:O, s:O}", "event", json_object_get(it, "event"),
                         "channel", json_object_get(it, "channel"), "enabled",
                         json_object_get(it, "enabled"), "min_interval_seconds",
                         json_object_get(it, "min_interval_seconds"), "recovery",
                         json_object_get(it, "recovery"));
    case K_AGENTS: {
        json_t *ids = json_array();
        json_array_foreach(json_object_get(it, "external_ids"), i, in)
        {
            json_array_append_new(ids, json_pack("{s:O, s:O}", "source",
                                                 json_object_get(in, "source"), "ext_agent",
                                                 json_object_get(in, "ext_agent")));
        }
        json_t *name = json_object_get(it, "name");
        return json_pack("{s:O, s:O, s:o}", "identifier", json_object_get(it, "identifier"),
                         "name", name ? name : json_null(), "external_ids", ids);
    }
    case K_ACTIVITY_CODES: /* only the mapped ones: the others are merely seen */
        if (!json_is_string(json_object_get(it, "activity"))) {
            return NULL;
        }
        return json_pack("{s:O, s:O, s:O}", "source", json_object_get(it, "source"), "code",
                         json_object_get(it, "code"), "activity", json_object_get(it, "activity"));
    case K_MAPPINGS: {
        json_t *inputs = json_array();
        json_array_foreach(json_object_get(it, "inputs"), i, in)
        {
            json_array_append_new(inputs, json_pack("{s:O, s:O, s:O}", "source",
                                                    json_object_get(in, "source"), "ext_queue",
                                                    json_object_get(in, "ext_queue"), "metric",
                                                    json_object_get(in, "metric")));
        }
        json_t *f = json_object_get(it, "formula");
        return json_pack("{s:O, s:O, s:O, s:o}", "queue",
                         json_object_get(json_object_get(it, "queue"), "identifier"),
                         "value_type", json_object_get(it, "value_type"), "formula",
                         f ? f : json_null(), "inputs", inputs);
    }
    default:
        o = strip(it, sched);
        json_object_set(o, "source", json_object_get(json_object_get(it, "source"), "name"));
        return o;
    }
}

/* The key of document item i of list (the schedules' position counts among their source's). */
static int key_of(int k, const json_t *list, size_t i, char *out, size_t outsz,
                  const char **missing)
{
    const json_t *o = json_array_get(list, i);
    const char *a = NULL, *b = NULL;
    switch (k) {
    case K_VALUE_TYPES:
        a = str_member(o, *missing = "key");
        break;
    case K_QUEUES:
    case K_ACTIVITIES:
    case K_AGENTS:
        a = str_member(o, *missing = "identifier");
        break;
    case K_SOURCES:
    case K_TARGETS:
    case K_ALERT_CHANNELS:
        a = str_member(o, *missing = "name");
        break;
    case K_ALERT_RULES:
        a = str_member(o, *missing = "event");
        b = a ? str_member(o, *missing = "channel") : NULL;
        if (!b) {
            return ACDL_EINVAL;
        }
        snprintf(out, outsz, "%s %s", a, b);
        return ACDL_OK;
    case K_ACTIVITY_CODES:
        a = str_member(o, *missing = "source");
        b = a ? str_member(o, *missing = "code") : NULL;
        if (!b) {
            return ACDL_EINVAL;
        }
        snprintf(out, outsz, "%s / %s", a, b);
        return ACDL_OK;
    case K_MAPPINGS:
        a = str_member(o, *missing = "queue");
        b = a ? str_member(o, *missing = "value_type") : NULL;
        if (!b) {
            return ACDL_EINVAL;
        }
        snprintf(out, outsz, "%s %s", a, b);
        return ACDL_OK;
    default: {
        a = str_member(o, *missing = "source");
        if (!a) {
            return ACDL_EINVAL;
        }
        size_t nth = 1;
        for (size_t j = 0; j < i; j++) {
            const char *src = str_member(json_array_get(list, j), "source");
            nth += src && !strcmp(src, a);
        }
        snprintf(out, outsz, "%s #%zu", a, nth);
        return ACDL_OK;
    }
    }
    if (!a) {
        return ACDL_EINVAL;
    }
    snprintf(out, outsz, "%s", a);
    return ACDL_OK;
}

/* Loads what is there of kind k into s->cur[k]. */
static int load(struct setup *s, int k)
{
    json_t *items, *docs, *it;
    size_t i;
    int rc;
    json_decref(s->cur[k]);
    s->cur[k] = json_array();
    if (kinds[k].admin_only && strcmp(s->actor->role, "admin") != 0) {
        return ACDL_OK; /* not theirs to see: applying such a kind answers 403 */
    }
    docs = json_array();
    rc = list_all(s, k, &items);
    if (rc != ACDL_OK) {
        json_decref(items);
        json_decref(docs);
        return rc;
    }
    if (k == K_VALUE_TYPES) {
        json_decref(s->value_types);
        s->value_types = json_incref(items);
    }
    json_t *ids = json_array();
    json_array_foreach(items, i, it)
    {
        json_t *d = doc_of(k, it);
        if (d) {
            json_array_append_new(docs, d);
            json_t *id = json_object_get(it, "id");
            json_array_append(ids, id ? id : json_null()); /* activity codes have none */
        }
    }
    for (i = 0; i < json_array_size(docs); i++) {
        char key[300];
        const char *missing;
        if (key_of(k, docs, i, key, sizeof(key), &missing) == ACDL_OK) {
            json_array_append_new(s->cur[k], json_pack("{s:O?, s:s, s:O}", "id",
                                                       json_array_get(ids, i), "key", key,
                                                       "doc", json_array_get(docs, i)));
        }
    }
    json_decref(ids);
    json_decref(docs);
    json_decref(items);
    return ACDL_OK;
}

static json_t *find(json_t *entries, const char *key)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (!strcmp(str_member(e, "key"), key)) {
            return e;
        }
    }
    return NULL;
}

/* 1 when every member want names has the same value in have (objects: recursively; arrays:
 * same length, element by element), so that defaults the API fills in do not count. */
static int subset_equal(const json_t *want, const json_t *have)
{
    const char *name;
    json_t *v;
    size_t i;
    if (!have) {
        return json_is_null(want);
    }
    if (json_is_object(want) && json_is_object(have)) {
        json_object_foreach((json_t *)want, name, v)
        {
            if (!subset_equal(v, json_object_get(have, name))) {
                return 0;
            }
        }
        return 1;
    }
    if (json_is_array(want) && json_is_array(have)) {
        if (json_array_size(want) != json_array_size(have)) {
            return 0;
        }
        json_array_foreach(want, i, v)
        {
            if (!subset_equal(v, json_array_get(have, i))) {
                return 0;
            }
        }
        return 1;
    }
    if (json_is_number(want) && json_is_number(have)) {
        return json_number_value(want) == json_number_value(have);
    }
    return json_equal(want, have);
}

/* The id of the object of kind k named key into *id; in a dry run an object the document
 * creates resolves to 0. */
static int resolve(struct setup *s, const json_t *doc, int k, const char *key, const char *path,
                   json_int_t *id)
{
    json_t *e = key ? find(s->cur[k], key) : NULL;
    if (e) {
        *id = json_integer_value(json_object_get(e, "id"));
        return ACDL_OK;
    }
    if (key && (s->flags & SETUP_DRY_RUN)) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(doc, kinds[k].name), i, it)
        {
            char other[300];
            const char *missing;
            if (key_of(k, json_object_get(doc, kinds[k].name), i, other, sizeof(other),
                       &missing) == ACDL_OK &&
                !strcmp(other, key)) {
                *id = 0;
                return ACDL_OK;
            }
        }
    }
    set_error(s, path, 422, "define it in the file or create it first", "no %s '%s'",
              kinds[k].what, key ? key : "");
    return ACDL_EINVAL;
}

/* Replaces obj's member name (the key of an object of kind k) by member id_name with its id;
 * absent members stay absent. Returns 0, or ACDL_EINVAL with s->error. */
static int swap_ref(struct setup *s, const json_t *doc, json_t *obj, int k, const char *name,
                    const char *id_name, const char *path)
{
    char at[240];
    json_int_t id;
    json_t *v = json_object_get(obj, name);
    if (!v) {
        return ACDL_OK;
    }
    snprintf(at, sizeof(at), "%s.%s", path, name);
    if (resolve(s, doc, k, json_string_value(v), at, &id) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    json_object_del(obj, name);
    json_object_set_new(obj, id_name, json_integer(id));
    return ACDL_OK;
}

/* The same for every element of the list member of body ({"source": ...} -> source_id). */
static int swap_refs(struct setup *s, const json_t *doc, json_t *body, const char *member,
                     const char *path)
{
    char at[220];
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, member), i, v)
    {
        snprintf(at, sizeof(at), "%s.%s[%zu]", path, member, i);
        if (!json_is_object(v)) {
            set_error(s, at, 422, "each element is an object naming its source",
                      "must be an object");
            return ACDL_EINVAL;
        }
        if (!json_object_get(v, "source")) {
            set_error(s, at, 422, "each element names its source", "has no member 'source'");
            return ACDL_EINVAL;
        }
        if (swap_ref(s, doc, v, K_SOURCES, "source", "source_id", at) != ACDL_OK) {
            return ACDL_EINVAL;
        }
    }
    return ACDL_OK;
}

/* The request body that makes the object like item (new); NULL with s->error when a
 * reference does not resolve. changed lists the members to send on an update (NULL: a
 * create, or an upsert, which sends everything). */
static json_t *body_of(struct setup *s, const json_t *doc, int k, const json_t *item,
                       const json_t *changed, const char *path)
{
    json_t *body, *v;
    size_t i;
    int rc = ACDL_OK;
    if (k == K_MAPPINGS && changed) { /* inputs and formula go together */
        body = json_pack("{s:O, s:O}", "inputs", json_object_get(item, "inputs"), "formula",
                         json_object_get(item, "formula"));
    } else if (changed) {
        body = json_object();
        json_array_foreach(changed, i, v)
        {
            json_object_set(body, json_string_value(v),
                            json_object_get(item, json_string_value(v)));
        }
    } else {
        body = json_deep_copy(item);
    }
    switch (k) {
    case K_MAPPINGS:
        rc = swap_refs(s, doc, body, "inputs", path);
        if (rc == ACDL_OK) {
            rc = swap_ref(s, doc, body, K_QUEUES, "queue", "queue_id", path);
        }
        break;
    case K_AGENTS:
        rc = swap_refs(s, doc, body, "external_ids", path);
        break;
    case K_ACTIVITY_CODES:
        if (json_is_string(json_object_get(body, "activity"))) {
            json_int_t id;
            char at[240];
            snprintf(at, sizeof(at), "%s.activity", path);
            rc = resolve(s, doc, K_ACTIVITIES, str_member(body, "activity"), at, &id);
        }
        if (rc == ACDL_OK) {
            rc = swap_ref(s, doc, body, K_SOURCES, "source", "source_id", path);
        }
        break;
    case K_SCHEDULES:
        if (rc == ACDL_OK) {
            rc = swap_ref(s, doc, body, K_SOURCES, "source", "source_id", path);
        }
        break;
    case K_ALERT_RULES:
        rc = swap_ref(s, doc, body, K_ALERT_CHANNELS, "channel", "channel_id", path);
        break;
    default:
        break;
    }
    if (rc != ACDL_OK) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static void note(struct setup *s, int k, const char *key, const char *action, json_t *fields)
{
    json_t *c = json_pack("{s:s, s:s, s:s}", "kind", kinds[k].name, "key", key, "action", action);
    if (fields) {
        json_object_set(c, "fields", fields);
    }
    json_array_append_new(s->changes, c);
}

/* Sends one change unless this is a dry run; 0 when the API took it. */
static int send(struct setup *s, const char *method, const char *target, json_t *body,
                const char *path)
{
    json_t *answer = NULL;
    if (s->flags & SETUP_DRY_RUN) {
        return ACDL_OK;
    }
    int st = http_call(s->app, s->actor, method, target, body, &answer);
    if (st < 200 || st > 299) {
        set_api_error(s, path, st, answer);
        json_decref(answer);
        return ACDL_ECONFLICT;
    }
    json_decref(answer);
    return ACDL_OK;
}

/* Names the object of kind k whose change the API refused in the error's message ("target
 * 'Cloud WFM': base_url: ..."): the document path alone gives only its place in the list. */
static void error_names(struct setup *s, int k, const char *key)
{
    const char *msg = str_member(s->error, "message");
    char text[800];
    if (msg) {
        snprintf(text, sizeof(text), "%s '%.200s': %.590s", kinds[k].what, key, msg);
        json_t *v = json_string(text);
        if (v) {
            json_object_set_new(s->error, "message", v);
        }
    }
}

/* The products of a resend item or answer as "contacts,agent_states" (both when absent). */
static void resend_products(const json_t *item, char *out, size_t sz)
{
    const json_t *p = json_object_get(item, "products"), *v;
    size_t i;
    int contacts = !p, agents = !p;
    json_array_foreach(p, i, v)
    {
        const char *t = json_string_value(v);
        contacts |= t && !strcmp(t, "contacts");
        agents |= t && !strcmp(t, "agent_states");
    }
    snprintf(out, sz, "%s%s%s", contacts ? "contacts" : "", contacts && agents ? "," : "",
             agents ? "agent_states" : "");
}

/* 1 when target_id already has a resend of item's period and products. */
static int resend_exists(struct setup *s, json_int_t target_id, const json_t *item)
{
    char target[120], want[40], have[40];
    json_t *answer = NULL, *r;
    size_t i;
    int found = 0;
    snprintf(target, sizeof(target), "/api/v1/resends?limit=500&target_id=%lld",
             (long long)target_id);
    if (http_call(s->app, s->actor, "GET", target, NULL, &answer) != 200) {
        json_decref(answer);
        return 0;
    }
    resend_products(item, want, sizeof(want));
    json_array_foreach(json_object_get(answer, "items"), i, r)
    {
        resend_products(r, have, sizeof(have));
        found |= !strcmp(have, want) &&
                 !strcmp(str_member(r, "from") ? str_member(r, "from") : "",
                         str_member(item, "from") ? str_member(item, "from") : "") &&
                 !strcmp(str_member(r, "to") ? str_member(r, "to") : "",
                         str_member(item, "to") ? str_member(item, "to") : "");
    }
    json_decref(answer);
    return found;
}

/* The resends the document asks for ({"target": NAME, "from", "to", "products"}): each is
 * made once; one that exists already with the same period and products is left alone. */
static int apply_resends(struct setup *s, const json_t *list)
{
    json_t *targets = NULL, *item, *t;
    size_t i, j;
    int rc = list_all(s, K_TARGETS, &targets);
    json_array_foreach(list, i, item)
    {
        char path[64], key[200], url[80];
        const char *name = str_member(item, "target");
        json_int_t id = 0;
        if (rc != ACDL_OK) {
            break;
        }
        snprintf(path, sizeof(path), "resends[%zu]", i);
        json_array_foreach(targets, j, t)
        {
            if (name && str_member(t, "name") && !strcmp(name, str_member(t, "name"))) {
                id = json_integer_value(json_object_get(t, "id"));
            }
        }
        if (!id && !(s->flags & SETUP_DRY_RUN)) {
            set_error(s, path, 422, "name a target of the document or of the appliance",
                      "no target is named '%.64s'", name ? name : "");
            rc = ACDL_EINVAL;
            break;
        }
        if (id && resend_exists(s, id, item)) {
            s->unchanged++;
            continue;
        }
        json_t *body = json_deep_copy(item);
        json_object_del(body, "target");
        snprintf(url, sizeof(url), "/api/v1/targets/%lld/resend", (long long)id);
        snprintf(key, sizeof(key), "%.64s %.12s..%.12s", name ? name : "",
                 str_member(item, "from") ? str_member(item, "from") : "",
                 str_member(item, "to") ? str_member(item, "to") : "");
        rc = send(s, "POST", url, body, path);
        json_decref(body);
        if (rc == ACDL_OK) {
            json_array_append_new(s->changes, json_pack("{s:s, s:s, s:s}", "kind", "resends", "key",
                                                        key, "action", "create"));
        }
    }
    json_decref(targets);
    return rc;
}

/* 1 when mapping item's value type is an average weighted by another type's mapping, which
 * must then exist first. */
static int weighted(const struct setup *s, const json_t *doc, const json_t *item)
{
    const char *key = str_member(item, "value_type");
    json_t *v;
    size_t i;
    json_array_foreach(s->value_types, i, v)
    {
        if (key && !strcmp(key, str_member(v, "key") ? str_member(v, "key") : "")) {
            return json_is_string(json_object_get(v, "weight_key"));
        }
    }
    json_array_foreach(json_object_get(doc, "value_types"), i, v)
    {
        if (key && !strcmp(key, str_member(v, "key") ? str_member(v, "key") : "")) {
            return json_is_string(json_object_get(v, "weight_key"));
        }
    }
    return 0;
}

/* Creates or updates every item of kind k the document has; mappings of weighted value types
 * come after the others, since their weights must be mapped first. */
static int apply_kind(struct setup *s, const json_t *doc, int k)
{
    json_t *list = json_object_get(doc, kinds[k].name), *item;
    size_t n = json_array_size(list);
    for (size_t step = 0; step < 2 * n; step++) {
        size_t i = step % n;
        item = json_array_get(list, i);
        if ((k == K_MAPPINGS ? weighted(s, doc, item) : 0) != (step >= n) ||
            (k != K_MAPPINGS && step >= n)) {
            continue;
        }
        char key[300], path[200], target[200];
        const char *missing;
        snprintf(path, sizeof(path), "%s[%zu]", kinds[k].name, i);
        key_of(k, list, i, key, sizeof(key), &missing);
        json_t *want = json_deep_copy(item), *e = find(s->cur[k], key), *body;
        if (k == K_MAPPINGS && !json_object_get(want, "formula")) {
            json_object_set_new(want, "formula", json_null()); /* absent = the default */
        }
        int rc = ACDL_OK;
        if (!e) {
            body = body_of(s, doc, k, want, NULL, path);
            rc = body ? send(s, "POST", kinds[k].path, body, path) : ACDL_EINVAL;
            if (rc == ACDL_OK) {
                note(s, k, key, "create", NULL);
            } else if (rc == ACDL_ECONFLICT) {
                error_names(s, k, key);
            }
            json_decref(body);
            json_decref(want);
            if (rc != ACDL_OK) {
                return rc;
            }
            continue;
        }
        json_t *have = json_object_get(e, "doc"), *changed = json_array(), *v;
        const char *name;
        json_object_foreach(want, name, v)
        {
            if (!subset_equal(v, json_object_get(have, name))) {
                json_array_append_new(changed, json_string(name));
            }
        }
        for (const char *const *f = kinds[k].fixed; *f && rc == ACDL_OK; f++) {
            if (!subset_equal(json_object_get(want, *f), json_object_get(have, *f)) &&
                json_object_get(want, *f)) {
                set_error(s, path, 422,
                          "delete the object first, or give the new one another name",
                          "%s '%s': %s cannot change once it exists", kinds[k].what, key, *f);
                rc = ACDL_EINVAL;
            }
        }
        if (rc == ACDL_OK && json_array_size(changed) == 0) {
            s->unchanged++;
        } else if (rc == ACDL_OK) {
            snprintf(target, sizeof(target), "%s/%lld", kinds[k].path,
                     (long long)json_integer_value(json_object_get(e, "id")));
            body = body_of(s, doc, k, want, kinds[k].upsert ? NULL : changed, path);
            rc = !body ? ACDL_EINVAL
                       : send(s, kinds[k].upsert ? "POST" : "PATCH",
                              kinds[k].upsert ? kinds[k].path : target, body, path);
            if (rc == ACDL_OK) {
                note(s, k, key, "update", changed);
            } else if (rc == ACDL_ECONFLICT) {
                error_names(s, k, key);
            }
            json_decref(body);
        }
        json_decref(changed);
        json_decref(want);
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    return (s->flags & SETUP_DRY_RUN) ? ACDL_OK : load(s, k);
}

/* Deletes a source or WFM queue (target) as DELETE does: refused while others depend on it
 * unless cascade; a dry run asks what it would take. The change noted carries the counts. */
static int prune_checked(struct setup *s, int k, const char *key, const char *target,
                         const char *path)
{
    char url[240];
    json_t *answer = NULL;
    int dry = (s->flags & SETUP_DRY_RUN) != 0;
    const char *query = dry ? "?dry_run=true" : (s->flags & SETUP_CASCADE) ? "?cascade=true" : "";
    snprintf(url, sizeof(url), "%s%s", target, query);
    int st = http_call(s->app, s->actor, "DELETE", url, NULL, &answer);
    if (st < 200 || st > 299) {
        set_api_error(s, path, st, answer);
        json_t *cq = json_object_get(answer, "consequences");
        if (s->error && cq) {
            json_object_set(s->error, "consequences", json_object_get(cq, "counts"));
        }
        json_decref(answer);
        return ACDL_ECONFLICT;
    }
    note(s, k, key, "delete", NULL);
    json_t *counts = json_object_get(answer, "counts");
    if (counts) {
        json_t *c = json_array_get(s->changes, json_array_size(s->changes) - 1);
        json_object_set(c, "consequences", counts);
        if (dry && !(s->flags & SETUP_CASCADE) &&
            json_is_true(json_object_get(answer, "cascade_needed"))) {
            json_object_set_new(c, "needs_cascade", json_true());
        }
    }
    json_decref(answer);
    return ACDL_OK;
}

/* Deletes what is there of kind k and not in the document. */
static int prune_kind(struct setup *s, const json_t *doc, int k)
{
    json_t *list = json_object_get(doc, kinds[k].name), *e;
    size_t i;
    json_array_foreach(s->cur[k], i, e)
    {
        int named = 0;
        for (size_t j = 0; j < json_array_size(list) && !named; j++) {
            char key[300];
            const char *missing;
            named = key_of(k, list, j, key, sizeof(key), &missing) == ACDL_OK &&
                    !strcmp(key, str_member(e, "key"));
        }
        if (named) {
            continue;
        }
        char target[200], path[200];
        int rc;
        snprintf(target, sizeof(target), "%s/%lld", kinds[k].path,
                 (long long)json_integer_value(json_object_get(e, "id")));
        snprintf(path, sizeof(path), "%s '%s'", kinds[k].name, str_member(e, "key"));
        if (kinds[k].upsert) { /* cleared, not deleted: the code stays known as seen */
            json_t *clear = json_deep_copy(json_object_get(e, "doc"));
            json_object_set_new(clear, "activity", json_null());
            json_t *body = body_of(s, doc, k, clear, NULL, path);
            rc = body ? send(s, "POST", kinds[k].path, body, path) : ACDL_EINVAL;
            json_decref(body);
            json_decref(clear);
        } else if (k == K_SOURCES || k == K_QUEUES) {
            rc = prune_checked(s, k, str_member(e, "key"), target, path);
            if (rc != ACDL_OK) {
                return rc;
            }
            continue;
        } else {
            rc = send(s, "DELETE", target, NULL, path);
        }
        if (rc != ACDL_OK) {
            return rc;
        }
        note(s, k, str_member(e, "key"), "delete", NULL);
    }
    return ACDL_OK;
}

/* Checks the document's shape: known members, lists of objects with their keys, no key twice. */
static int check_doc(struct setup *s, const json_t *doc)
{
    const char *name;
    json_t *v;
    if (!json_is_object(doc)) {
        set_error(s, "$", 422, "export a setup with 'acdlink config export' to see the shape",
                  "the document must be a JSON object");
        return ACDL_EINVAL;
    }
    v = json_object_get(doc, "acdlink_config");
    if (!json_is_integer(v) || json_integer_value(v) != SETUP_VERSION) {
        set_error(s, "acdlink_config", 422, "start the file with \"acdlink_config\": 1",
                  "must be %d, the document version this acdlink reads", SETUP_VERSION);
        return ACDL_EINVAL;
    }
    json_object_foreach((json_t *)doc, name, v)
    {
        int k = -1;
        for (int i = 0; i < K_COUNT; i++) {
            k = strcmp(kinds[i].name, name) == 0 ? i : k;
        }
        if (k < 0) {
            if (!strcmp(name, "resends")) {
                size_t i;
                json_t *r;
                if (!json_is_array(v)) {
                    set_error(s, name, 422, "give a list, e.g. []", "must be a list");
                    return ACDL_EINVAL;
                }
                json_array_foreach(v, i, r)
                {
                    char path[64];
                    snprintf(path, sizeof(path), "resends[%zu]", i);
                    if (!json_is_object(r) || !json_is_string(json_object_get(r, "target")) ||
                        !json_is_string(json_object_get(r, "from")) ||
                        !json_is_string(json_object_get(r, "to"))) {
                        set_error(s, path, 422,
                                  "write {\"target\": NAME, \"from\": \"YYYY-MM-DD\", "
                                  "\"to\": \"YYYY-MM-DD\"}",
                                  "must be an object with the text members target, from and "
                                  "to");
                        return ACDL_EINVAL;
                    }
                }
                continue;
            }
            if (strcmp(name, "acdlink_config") != 0 && strcmp(name, "exported_by") != 0) {
                set_error(
                    s, name, 422,
                    "known members: value_types, queues, activities, sources, targets, agents, "
                    "activity_codes, mappings, schedules, resends, alert_channels, alert_rules",
                    "unknown member '%.60s'", name);
                return ACDL_EINVAL;
            }
            continue;
        }
        if (!json_is_array(v)) {
            set_error(s, name, 422, "give a list, e.g. []", "must be a list");
            return ACDL_EINVAL;
        }
        for (size_t i = 0; i < json_array_size(v); i++) {
            char key[300], path[200], other[300];
            const char *missing = "";
            snprintf(path, sizeof(path), "%s[%zu]", name, i);
            if (!json_is_object(json_array_get(v, i)) ||
                key_of(k, v, i, key, sizeof(key), &missing) != ACDL_OK) {
                set_error(s, path, 422, "every item names itself",
                          "must be an object with the text member '%s'", missing);
                return ACDL_EINVAL;
            }
            for (size_t j = 0; j < i; j++) {
                if (key_of(k, v, j, other, sizeof(other), &missing) == ACDL_OK &&
                    !strcmp(other, key)) {
                    set_error(s, path, 422, "name every object once",
                              "'%s' is also %s[%zu]", key, name, j);
                    return ACDL_EINVAL;
                }
            }
        }
    }
    return ACDL_OK;
}

static void setup_clear(struct setup *s)
{
    for (int k = 0; k < K_COUNT; k++) {
        json_decref(s->cur[k]);
    }
    json_decref(s->value_types);
    json_decref(s->changes);
    json_decref(s->error);
}

static int cmp_key(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(str_member(x, "key"), str_member(y, "key"));
}

int setup_export(struct app *app, const struct auth_ctx *actor, json_t **out, char *err,
                 size_t errsz)
{
    struct setup s;
    int rc = ACDL_OK;
    memset(&s, 0, sizeof(s));
    s.app = app;
    s.actor = actor;
    *out = json_pack("{s:i, s:s}", "acdlink_config", SETUP_VERSION, "exported_by",
                     "acdlink " ACDLINK_VERSION);
    for (int k = 0; k < K_COUNT && rc == ACDL_OK; k++) {
        rc = load(&s, k);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "%s: %s", kinds[k].name,
                     str_member(s.error, "message") ? str_member(s.error, "message") : "");
            break;
        }
        if (kinds[k].admin_only && strcmp(actor->role, "admin") != 0) {
            continue;
        }
        size_t n = json_array_size(s.cur[k]);
        json_t **v = calloc(n + 1, sizeof(*v)), *list = json_array();
        if (!v || !list) {
            free(v);
            json_decref(list);
            snprintf(err, errsz, "%s: out of memory", kinds[k].name);
            rc = ACDL_ENOMEM;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            v[i] = json_array_get(s.cur[k], i);
        }
        if (k != K_SCHEDULES) { /* schedules keep their order: it is part of their key */
            qsort(v, n, sizeof(*v), cmp_key);
        }
        for (size_t i = 0; i < n; i++) {
            json_array_append(list, json_object_get(v[i], "doc"));
        }
        free(v);
        json_object_set_new(*out, kinds[k].name, list);
    }
    if (rc != ACDL_OK) {
        json_decref(*out);
        *out = NULL;
    }
    setup_clear(&s);
    return rc;
}

int setup_apply(struct app *app, const struct auth_ctx *actor, const json_t *doc, int flags,
                json_t **report)
{
    struct setup s;
    int rc;
    memset(&s, 0, sizeof(s));
    s.app = app;
    s.actor = actor;
    s.flags = flags;
    s.changes = json_array();
    rc = check_doc(&s, doc);
    for (int k = 0; k < K_COUNT && rc == ACDL_OK; k++) {
        rc = load(&s, k) == ACDL_OK ? ACDL_OK : ACDL_ECONFLICT;
    }
    for (int k = 0; k < K_COUNT && rc == ACDL_OK; k++) {
        if (json_object_get(doc, kinds[k].name)) {
            rc = apply_kind(&s, doc, k);
        }
    }
    if (rc == ACDL_OK && json_object_get(doc, "resends")) {
        rc = apply_resends(&s, json_object_get(doc, "resends"));
    }
    for (int k = K_COUNT - 1; k >= 0 && rc == ACDL_OK && (flags & SETUP_PRUNE); k--) {
        if (json_object_get(doc, kinds[k].name)) {
            rc = prune_kind(&s, doc, k);
        }
    }
    if (rc == ACDL_EINVAL && json_array_size(s.changes) > 0) {
        rc = ACDL_ECONFLICT; /* refused after changes were made */
    }
    *report = json_pack("{s:b, s:b, s:b, s:O, s:i}", "dry_run", (flags & SETUP_DRY_RUN) != 0,
                        "prune", (flags & SETUP_PRUNE) != 0, "cascade",
                        (flags & SETUP_CASCADE) != 0, "changes", s.changes, "unchanged",
                        s.unchanged);
    if (s.error) {
        json_object_set(*report, "error", s.error);
    }
    setup_clear(&s);
    return rc;
}
