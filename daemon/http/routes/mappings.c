/* mappings.c (routes): /api/v1/mappings and /api/v1/unmapped-queues. Saving a
 * mapping recomputes its results over everything staged, so the console shows them at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "pipeline/discover.h"
#include "pipeline/expr.h"
#include "pipeline/mapping.h"
#include "pipeline/mapping_check.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "store/catalog.h"
#include "store/mappings.h"
#include "store/sources.h"

json_t *route_mapping_json(const struct store_mapping *m)
{
    json_t *inputs = json_array();
    for (int i = 0; i < m->n; i++) {
        char pn[8];
        snprintf(pn, sizeof(pn), "p%d", i + 1);
        json_array_append_new(inputs, json_pack("{s:s, s:I, s:s, s:s, s:s}", "name", pn,
                                                "source_id", (json_int_t)m->in[i].source_id,
                                                "source", m->in[i].source_name, "ext_queue",
                                                m->in[i].ext_queue, "metric", m->in[i].metric));
    }
    json_t *j = json_pack(
        "{s:I, s:{s:I, s:s}, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:b}", "id", (json_int_t)m->id,
        "queue", "id", (json_int_t)m->queue_id, "identifier", m->queue_identifier, "value_type",
        m->value_type_key, "formula", m->has_formula ? json_string(m->formula) : json_null(),
        "inputs", inputs, "created_at", json_time(m->created_at), "updated_at",
        json_time(m->updated_at), "pending_recompute", m->pending_recompute, "recompute_error",
        m->recompute_error[0] ? json_string(m->recompute_error) : json_null(), "override",
        m->form_override);
    /* recompute_error_code and recompute_error_params beside a known error (core/why.h) */
    return m->recompute_error[0] ? why_attach(j, "recompute_error", m->recompute_error) : j;
}

/* route_mapping_json() with the warnings about inputs their sources never delivered. */
static json_t *mapping_json_checked(struct store_conn *c, const struct store_mapping *m)
{
    json_t *j = route_mapping_json(m);
    json_object_set_new(j, "warnings", mapping_check_inputs(c, m));
    return j;
}

/* Reads inputs and formula from the body into m and checks them against the store. */
static int fill_mapping(struct req *r, struct store_conn *c, const struct store_queue *q,
                        json_t *inputs, json_t *formula, struct store_mapping *m)
{
    size_t i;
    json_t *in;
    if (!json_is_array(inputs) || json_array_size(inputs) < 1 ||
        json_array_size(inputs) > MAPPING_MAX_INPUTS) {
        return reply_error(r, 422, "invalid_field", "list 1 to 32 inputs p1, p2 ...",
                           "inputs: must be a list of 1 to %d inputs", MAPPING_MAX_INPUTS);
    }
    m->n = 0;
    json_array_foreach(inputs, i, in)
    {
        json_int_t source_id;
        const char *queue, *metric, *why;
        struct store_source src;
        if (json_unpack(in, "{s:I, s:s, s:s !}", "source_id", &source_id, "ext_queue", &queue,
                        "metric", &metric) != 0) {
            return reply_error(r, 422, "invalid_field",
                               "each input is {\"source_id\", \"ext_queue\", \"metric\"}",
                               "inputs[%zu]: must be {source_id, ext_queue, metric}", i);
        }
        if ((why = route_check_text(queue, 128)) != NULL) {
            return reply_error(r, 422, "invalid_field", "use the queue id as the ACD writes it",
                               "inputs[%zu].ext_queue: %s", i, why);
        }
        if ((why = route_check_text(metric, 64)) != NULL) {
            return reply_error(r, 422, "invalid_field", "use a metric name of the source",
                               "inputs[%zu].metric: %s", i, why);
        }
        int rc = store_source_get(c, source_id, &src);
        if (rc != ACDL_OK) {
            return rc == ACDL_ENOTFOUND
                       ? reply_error(r, 422, "invalid_field", "list the sources to find the id",
                                     "inputs[%zu].source_id: no source %lld", i,
                                     (long long)source_id)
                       : reply_rc(r, rc, "source");
        }
        int interval = src.interval_minutes;
        store_source_clear(&src);
        if (interval != q->interval_minutes) {
            return reply_error(r, 422, "invalid_field",
                               "map sources with the queue's interval length",
                               "inputs[%zu].source_id: the source delivers %d-minute intervals, "
                               "the queue plans %d-minute ones",
                               i, interval, q->interval_minutes);
        }
        m->in[m->n].source_id = source_id;
        snprintf(m->in[m->n].ext_queue, sizeof(m->in[0].ext_queue), "%s", queue);
        snprintf(m->in[m->n].metric, sizeof(m->in[0].metric), "%s", metric);
        m->n++;
    }
    m->has_formula = 0;
    m->formula[0] = '\0';
    if (formula && !json_is_null(formula)) {
        const char *names[MAPPING_MAX_INPUTS + 2];
        char pn[MAPPING_MAX_INPUTS][8], err[800] = "";
        struct expr *e = NULL;
        if (!json_is_string(formula) || json_string_length(formula) >= sizeof(m->formula)) {
            return reply_error(r, 422, "invalid_field", "send the formula as text, or null",
                               "formula: must be text of at most 4096 characters, or null");
        }
        for (int k = 0; k < m->n; k++) {
            snprintf(pn[k], sizeof(pn[k]), "p%d", k + 1);
            names[k] = pn[k];
        }
        names[m->n] = "weekday";
        names[m->n + 1] = "minute_of_day";
        if (expr_compile(json_string_value(formula), names, m->n + 2, &e, err, sizeof(err)) !=
            ACDL_OK) {
            return reply_error(r, 422, "invalid_field",
                               "use p1 .. pn, weekday, minute_of_day and functions such as "
                               "iif, round, min, max",
                               "formula: %s", err);
        }
        expr_free(e);
        m->has_formula = 1;
        snprintf(m->formula, sizeof(m->formula), "%s", json_string_value(formula));
    }
    return 0;
}

/* A mapping without a formula combines its inputs as its value type says: summed, or averaged
 * weighted by another value type. An input whose metric's name says the other (a total such
 * as handle_time into the average aht, an average such as aht into a sum) gives numbers that
 * are wrong without a word: refused with a hint, unless override asks to save it as it is
 * (then m->form_override records that). Returns 0 to go on, or the status of the 422. */
static int check_form(struct req *r, struct store_conn *c, struct store_mapping *m, int override)
{
    struct store_value_type vt;
    m->form_override = 0;
    if (m->has_formula || store_value_type_get_by_key(c, m->value_type_key, &vt) != ACDL_OK) {
        return 0;
    }
    int weighted = !strcmp(vt.combine, "weighted");
    for (int i = 0; i < m->n; i++) {
        const char *metric = m->in[i].metric;
        int wrong =
            weighted ? discover_metric_is_total(metric) : discover_metric_is_average(metric);
        if (!wrong) {
            continue;
        }
        if (override) {
            m->form_override = 1;
            return 0;
        }
        if (weighted) {
            return reply_error_overridable(
                r,
                "map the metric that holds the average, or give a formula (e.g. p1 / p2 with the "
                "total as p1 and the count as p2), or map the total to a summed value type such "
                "as handle_time; send \"override\": true to save it as it is",
                "inputs[%d].metric: '%s' looks like a total, but '%s' is an average weighted by "
                "'%s': its value would be the weighted mean of totals, not an average",
                i, metric, vt.key, vt.weight_key);
        }
        return reply_error_overridable(
            r,
            "map the metric that holds the count or total, or map the average to "
            "a weighted value type such as aht; send \"override\": true to save "
            "it as it is",
            "inputs[%d].metric: '%s' looks like an average, but '%s' is a sum: "
            "its value would be a sum of averages",
            i, metric, vt.key);
    }
    return 0;
}

/* Recomputes what the saved change recorded and answers; when that fails the mapping stays
 * pending (the scheduler retries) and its answer says so. */
static int save_and_answer(struct req *r, struct store_conn *c, int64_t id, int created,
                           const char *action)
{
    char err[400] = "";
    struct recompute_stats rs;
    struct store_mapping m;
    memset(&rs, 0, sizeof(rs));
    int rc = recompute_ref(c, "mapping", id, &rs, err, sizeof(err));
    if (rc != ACDL_OK) {
        log_warn("mapping",
                 "mapping %lld saved, but computing its results failed: %s; it "
                 "stays pending",
                 (long long)id, err);
    }
    int64_t written = rs.results;
    rc = store_mapping_get(c, id, &m);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "mapping");
    }
    http_audit(r, action, m.queue_identifier, "ok",
               json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "value_type", m.value_type_key,
                         "results", (json_int_t)written));
    if (created) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/mappings/%lld", (long long)id);
        reply_header(r, "Location", loc);
    }
    return reply_json(r, created ? 201 : 200, mapping_json_checked(c, &m));
}

int route_mappings_create(struct req *r)
{
    json_int_t queue_id;
    const char *vt_key;
    json_t *inputs = NULL, *formula = NULL;
    json_error_t jerr;
    struct store_queue q;
    struct store_value_type vt;
    struct store_mapping *m = calloc(1, sizeof(*m));
    int64_t id;
    int st = 0, override = 0;
    if (!m) {
        return reply_rc(r, ACDL_ENOMEM, "mapping");
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:I, s:s, s:o, s?o, s?b}", "queue_id",
                       &queue_id, "value_type", &vt_key, "inputs", &inputs, "formula", &formula,
                       "override", &override) != 0) {
        free(m);
        return reply_error(r, 422, "invalid_field",
                           "send queue_id, value_type (a key such as offered) and inputs; "
                           "optionally formula and override",
                           "%s", jerr.text);
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_queue_get(c, queue_id, &q);
    if (rc != ACDL_OK) {
        st = rc == ACDL_ENOTFOUND ? reply_error(r, 422, "invalid_field", "list the queues",
                                                "queue_id: no queue %lld", (long long)queue_id)
                                  : reply_rc(r, rc, "queue");
        goto out;
    }
    rc = store_value_type_get_by_key(c, vt_key, &vt);
    if (rc != ACDL_OK) {
        st = rc == ACDL_ENOTFOUND
                 ? reply_error(r, 422, "invalid_field", "list the value types",
                               "value_type: no value type '%.64s'", vt_key)
                 : reply_rc(r, rc, "value type");
        goto out;
    }
    m->queue_id = q.id;
    m->value_type_id = vt.id;
    if ((st = fill_mapping(r, c, &q, inputs, formula, m)) != 0) {
        goto out;
    }
    snprintf(m->value_type_key, sizeof(m->value_type_key), "%s", vt.key);
    if ((st = check_form(r, c, m, override)) != 0) {
        goto out;
    }
    rc = store_mapping_add(c, m, plat_now(), &id);
    if (rc == ACDL_EEXIST) {
        st = reply_error(r, 409, "conflict", "change the existing mapping instead",
                         "queue '%s' has a mapping for '%s' already", q.identifier, vt.key);
        goto out;
    }
    if (rc != ACDL_OK) {
        st = reply_rc(r, rc, "mapping");
        goto out;
    }
    char err[400] = "";
    if (mapping_check_weights(c, id, err, sizeof(err)) != ACDL_OK) {
        store_mapping_delete(c, id, plat_now());
        st = reply_error(r, 422, "invalid_field", "map the weight (e.g. handled) first",
                         "inputs: %s", err);
        goto out;
    }
    st = save_and_answer(r, c, id, 1, "mapping.create");
out:
    store_release(r->app->store, c);
    free(m);
    return st;
}

int route_mappings_update(struct req *r)
{
    json_t *inputs = NULL, *formula = NULL;
    json_error_t jerr;
    struct store_queue q;
    int64_t id;
    int st, override = -1;
    struct store_mapping *m = calloc(1, sizeof(*m)), *before = calloc(1, sizeof(*before));
    if (!m || !before) {
        free(m);
        free(before);
        return reply_rc(r, ACDL_ENOMEM, "mapping");
    }
    if ((st = req_id(r, 0, &id)) != 0) {
        goto done;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s?o, s?o, s?b}", "inputs", &inputs, "formula",
                       &formula, "override", &override) != 0) {
        st = reply_error(r, 422, "invalid_field",
                         "send inputs, formula and/or override (queue and value type are fixed)",
                         "%s", jerr.text);
        goto done;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_mapping_get(c, id, before);
    if (rc == ACDL_OK) {
        rc = store_queue_get(c, before->queue_id, &q);
    }
    if (rc != ACDL_OK) {
        st = reply_rc(r, rc, "mapping");
        goto out;
    }
    *m = *before;
    json_t *cur_inputs = NULL;
    if (!inputs) {
        cur_inputs = json_array();
        for (int i = 0; i < before->n; i++) {
            json_array_append_new(cur_inputs,
                                  json_pack("{s:I, s:s, s:s}", "source_id",
                                            (json_int_t)before->in[i].source_id, "ext_queue",
                                            before->in[i].ext_queue, "metric",
                                            before->in[i].metric));
        }
    }
    json_t *keep_formula = !formula && before->has_formula ? json_string(before->formula) : NULL;
    st = fill_mapping(r, c, &q, inputs ? inputs : cur_inputs,
                      formula ? formula : keep_formula, m);
    json_decref(cur_inputs);
    json_decref(keep_formula);
    if (st != 0) {
        goto out;
    }
    /* override not sent: a mapping saved with it keeps it */
    if ((st = check_form(r, c, m, override < 0 ? before->form_override : override)) != 0) {
        goto out;
    }
    rc = store_mapping_update(c, m, plat_now());
    if (rc != ACDL_OK) {
        st = reply_rc(r, rc, "mapping");
        goto out;
    }
    char err[400] = "";
    if (mapping_check_weights(c, id, err, sizeof(err)) != ACDL_OK) {
        store_mapping_update(c, before, plat_now());
        st = reply_error(r, 422, "invalid_field", "map the weight (e.g. handled) first",
                         "inputs: %s", err);
        goto out;
    }
    st = save_and_answer(r, c, id, 0, "mapping.update");
out:
    store_release(r->app->store, c);
done:
    free(m);
    free(before);
    return st;
}

int route_mappings_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_mapping *m = malloc(sizeof(*m));
    if (!m) {
        return reply_rc(r, ACDL_ENOMEM, "mapping");
    }
    if ((st = req_id(r, 0, &id)) == 0) {
        struct store_conn *c = store_acquire(r->app->store);
        int rc = store_mapping_get(c, id, m);
        json_t *j = rc == ACDL_OK ? mapping_json_checked(c, m) : NULL;
        store_release(r->app->store, c);
        st = rc == ACDL_OK ? reply_json(r, 200, j) : reply_rc(r, rc, "mapping");
    }
    free(m);
    return st;
}

int route_mappings_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, queue_id = 0;
    char buf[32];
    struct store_mapping *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    if (req_query(r, "queue_id", buf, sizeof(buf)) >= 0) {
        char *end = NULL;
        queue_id = strtoll(buf, &end, 10);
        if (!end || *end || queue_id < 1) {
            return reply_error(r, 400, "invalid_parameter", "use a queue id",
                               "parameter 'queue_id' is invalid");
        }
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_mapping_list(c, cursor, queue_id, limit + 1, &arr, &n);
    if (rc != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_rc(r, rc, "mappings");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, mapping_json_checked(c, &arr[i]));
    }
    store_release(r->app->store, c);
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_mappings_delete(struct req *r)
{
    int64_t id;
    int st;
    struct store_mapping *m = malloc(sizeof(*m));
    if (!m) {
        return reply_rc(r, ACDL_ENOMEM, "mapping");
    }
    if ((st = req_id(r, 0, &id)) == 0) {
        struct store_conn *c = store_acquire(r->app->store);
        int rc = store_mapping_get(c, id, m);
        if (rc == ACDL_OK) {
            rc = store_mapping_delete(c, id, plat_now());
        }
        store_release(r->app->store, c);
        if (rc != ACDL_OK) {
            st = reply_rc(r, rc, "mapping");
        } else {
            http_audit(r, "mapping.delete", m->queue_identifier, "ok",
                       json_pack("{s:I, s:s}", "id", (json_int_t)id, "value_type",
                                 m->value_type_key));
            st = reply_empty(r, 204);
        }
    }
    free(m);
    return st;
}

int route_unmapped_list(struct req *r)
{
    int limit, st;
    int64_t cursor;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    /* the cursor is a row number here: unmapped queues have no id of their own */
    struct store_conn *c = store_acquire(r->app->store);
    sqlite3_stmt *s = store_prepare(
        c, "SELECT e.source_id, s.name, e.ext_queue, e.name, e.first_seen, e.last_seen FROM "
           "ext_queues e JOIN sources s ON s.id = e.source_id WHERE NOT EXISTS (SELECT 1 FROM "
           "mapping_inputs i WHERE i.source_id = e.source_id AND i.ext_queue = e.ext_queue) "
           "ORDER BY e.source_id, e.ext_queue LIMIT ? OFFSET ?");
    sqlite3_stmt *mq = store_prepare(c, "SELECT n.name FROM ext_queues e JOIN ext_queue_metrics "
                                        "x ON x.queue_id = e.id JOIN metric_names n ON n.id = "
                                        "x.metric_id WHERE e.source_id = ? AND e.ext_queue = ? "
                                        "ORDER BY n.name LIMIT 64");
    json_t *items = json_array();
    int n = 0;
    if (s && mq) {
        sqlite3_bind_int(s, 1, limit + 1);
        sqlite3_bind_int64(s, 2, cursor);
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (++n > limit) {
                break;
            }
            json_t *metrics = json_array();
            sqlite3_bind_int64(mq, 1, sqlite3_column_int64(s, 0));
            sqlite3_bind_text(mq, 2, (const char *)sqlite3_column_text(s, 2), -1,
                              SQLITE_TRANSIENT);
            while (sqlite3_step(mq) == SQLITE_ROW) {
                json_array_append_new(metrics,
                                      json_string((const char *)sqlite3_column_text(mq, 0)));
            }
            store_done(mq);
            const unsigned char *name = sqlite3_column_text(s, 3);
            json_array_append_new(
                items, json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "source_id",
                                 (json_int_t)sqlite3_column_int64(s, 0), "source",
                                 (const char *)sqlite3_column_text(s, 1), "ext_queue",
                                 (const char *)sqlite3_column_text(s, 2), "name",
                                 name ? json_string((const char *)name) : json_null(),
                                 "metrics", metrics, "first_seen",
                                 json_time(sqlite3_column_int64(s, 4)), "last_seen",
                                 json_time(sqlite3_column_int64(s, 5))));
        }
    }
    store_done(s);
    store_release(r->app->store, c);
    return reply_page(r, items, n > limit, cursor + limit);
}
