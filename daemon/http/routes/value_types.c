/* value_types.c (routes): /api/v1/value-types: built-in and custom value types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/catalog.h"

static json_t *vt_json(const struct store_value_type *v)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)v->id, "key",
                     v->key, "name", v->name, "unit", v->unit, "combine", v->combine,
                     "weight_key", v->weight_key[0] ? json_string(v->weight_key) : json_null(),
                     "builtin", v->builtin);
}

static const char *check_key(const char *key)
{
    size_t n = strlen(key);
    if (n < 1 || n > 64) {
        return "must be 1 to 64 characters long";
    }
    for (size_t i = 0; i < n; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
            return "may contain only a-z, 0-9 and _";
        }
    }
    return NULL;
}

/* Checks unit, combine and weight_key of v; answers 422 and returns the status when bad. */
static int check_vt(struct req *r, struct store_conn *c, const struct store_value_type *v)
{
    const char *why;
    struct store_value_type w;
    if ((why = route_check_text(v->name, 128)) != NULL) {
        return reply_error(r, 422, "invalid_field", "give the value type a readable name",
                           "name: %s", why);
    }
    if (strcmp(v->unit, "count") && strcmp(v->unit, "seconds") && strcmp(v->unit, "percent") &&
        strcmp(v->unit, "number")) {
        return reply_error(r, 422, "invalid_field", "use count, seconds, percent or number",
                           "unit: '%.20s' is not a unit", v->unit);
    }
    if (!strcmp(v->combine, "sum")) {
        if (v->weight_key[0]) {
            return reply_error(r, 422, "invalid_field", "leave weight_key out for sums",
                               "weight_key: only a weighted value type has a weight");
        }
        return 0;
    }
    if (strcmp(v->combine, "weighted") != 0) {
        return reply_error(r, 422, "invalid_field", "use sum or weighted",
                           "combine: '%.20s' is not sum or weighted", v->combine);
    }
    if (!v->weight_key[0] || !strcmp(v->weight_key, v->key)) {
        return reply_error(r, 422, "invalid_field",
                           "name the value type that weighs the average, e.g. handled",
                           "weight_key: a weighted value type needs another value type as weight");
    }
    int rc = store_value_type_get_by_key(c, v->weight_key, &w);
    if (rc == ACDL_ENOTFOUND || (rc == ACDL_OK && strcmp(w.combine, "sum") != 0)) {
        return reply_error(r, 422, "invalid_field", "use a summed value type such as handled",
                           "weight_key: '%.64s' is not a summed value type", v->weight_key);
    }
    return rc == ACDL_OK ? 0 : reply_rc(r, rc, "value type");
}

static int fill_vt(struct req *r, struct store_value_type *v, int create)
{
    const char *key = NULL, *name = NULL, *unit = NULL, *combine = NULL;
    json_t *weight = NULL;
    json_error_t jerr;
    const char *why;
    int rc = create ? json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?s, s?s, s?o}",
                                     "key", &key, "name", &name, "unit", &unit, "combine",
                                     &combine, "weight_key", &weight)
                    : json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?o}", "name",
                                     &name, "unit", &unit, "combine", &combine, "weight_key",
                                     &weight);
    if (rc != 0) {
        return reply_error(r, 422, "invalid_field",
                           create ? "send key and name, optionally unit, combine, weight_key"
                                  : "send any of name, unit, combine, weight_key (key is fixed)",
                           "%s", jerr.text);
    }
    if (key && (why = check_key(key)) != NULL) {
        return reply_error(r, 422, "invalid_field", "use a short key like talk_time",
                           "key: %s", why);
    }
    if (weight && !json_is_null(weight) && !json_is_string(weight)) {
        return reply_error(r, 422, "invalid_field", "send a value type key or null",
                           "weight_key: must be a string or null");
    }
    if ((name && strlen(name) >= sizeof(v->name)) ||
        (weight && json_is_string(weight) && strlen(json_string_value(weight)) >= sizeof(v->weight_key))) {
        return reply_error(r, 422, "invalid_field", "use a shorter value",
                           "%s: is too long", name && strlen(name) >= sizeof(v->name) ? "name" : "weight_key");
    }
    if (key) {
        snprintf(v->key, sizeof(v->key), "%s", key);
    }
    if (name) {
        snprintf(v->name, sizeof(v->name), "%s", name);
    }
    if (unit) {
        snprintf(v->unit, sizeof(v->unit), "%.15s", unit);
    }
    if (combine) {
        snprintf(v->combine, sizeof(v->combine), "%.15s", combine);
    }
    if (weight) {
        snprintf(v->weight_key, sizeof(v->weight_key), "%s",
                 json_is_string(weight) ? json_string_value(weight) : "");
    }
    return 0;
}

int route_value_types_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_value_type *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_value_type_list(c, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "value types");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, vt_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_value_types_create(struct req *r)
{
    struct store_value_type v;
    int64_t id;
    int st;
    memset(&v, 0, sizeof(v));
    snprintf(v.unit, sizeof(v.unit), "number");
    snprintf(v.combine, sizeof(v.combine), "sum");
    if ((st = fill_vt(r, &v, 1)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = 0;
    if ((st = check_vt(r, c, &v)) == 0) {
        rc = store_value_type_add(c, &v, &id);
        if (rc == ACDL_OK) {
            rc = store_value_type_get(c, id, &v);
        }
    }
    store_release(r->app->store, c);
    if (st != 0) {
        return st;
    }
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "choose another key",
                           "a value type with key '%s' exists already", v.key);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "value type");
    }
    http_audit(r, "value_type.create", v.key, "ok", NULL);
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/value-types/%lld", (long long)v.id);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, vt_json(&v));
}

int route_value_types_update(struct req *r)
{
    struct store_value_type v;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_value_type_get(c, id, &v);
    if (rc != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_rc(r, rc, "value type");
    }
    struct store_value_type before = v;
    r->audit_before = vt_json(&v);
    if ((st = fill_vt(r, &v, 0)) == 0 && (st = check_vt(r, c, &v)) == 0) {
        if (v.builtin && (strcmp(v.unit, before.unit) || strcmp(v.combine, before.combine) ||
                          strcmp(v.weight_key, before.weight_key))) {
            st = reply_error(r, 409, "conflict", "only the name of a built-in type can change",
                             "'%s' is built in: its unit and combination are fixed", v.key);
        } else {
            rc = store_value_type_update(c, &v, plat_now());
        }
    }
    store_release(r->app->store, c);
    if (st != 0) {
        return st;
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "value type");
    }
    json_t *now = vt_json(&v);
    http_audit(r, "value_type.update", v.key, "ok", http_audit_update(r, now, id));
    return reply_json(r, 200, now);
}

int route_value_types_delete(struct req *r)
{
    struct store_value_type v;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_value_type_get(c, id, &v);
    if (rc == ACDL_OK) {
        rc = store_value_type_delete(c, id);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_ECONFLICT) {
        return reply_error(r, 409, "conflict",
                           v.builtin ? "built-in value types stay"
                                     : "remove the mappings that use it, and change the value "
                                       "types that are weighted by it, first",
                           v.builtin ? "'%s' is built in" : "'%s' is in use by a mapping or as "
                                                            "the weight of another value type",
                           v.key);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "value type");
    }
    http_audit(r, "value_type.delete", v.key, "ok", NULL);
    return reply_empty(r, 204);
}
