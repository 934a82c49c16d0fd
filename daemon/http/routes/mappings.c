/* mappings.c (routes): /api/v1/mappings, /api/v1/results and /api/v1/unmapped-queues. Saving a
 * mapping recomputes its results over everything staged, so the console shows them at once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
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

#define RESULTS_MAX_DAYS 62

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
    return json_pack("{s:I, s:{s:I, s:s}, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:b}", "id",
                     (json_int_t)m->id, "queue", "id", (json_int_t)m->queue_id, "identifier",
                     m->queue_identifier, "value_type", m->value_type_key, "formula",
                     m->has_formula ? json_string(m->formula) : json_null(), "inputs", inputs,
                     "created_at", json_time(m->created_at), "updated_at", json_time(m->updated_at),
                     "pending_recompute", m->pending_recompute, "recompute_error",
                     m->recompute_error[0] ? json_string(m->recompute_error) : json_null(),
                     "override", m->form_override);
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

/* GET /api/v1/results' query for one queue, once its parameters are checked and its queue
 * found: the rows (interval_start, value type key, value) in answer order from s. */
struct results_query {
    struct store_conn *c;
    sqlite3_stmt *s;
    struct tz *tz;
    struct store_queue q;
    char from_s[16], to_s[16];
};

#define RESULTS_MAX_ITEMS 100000

/* Checks the parameters, finds the queue and starts the query. Returns 0, or the status of
 * the error answered (then nothing is left open). */
static int results_open(struct req *r, struct results_query *rq)
{
    char qbuf[160], vt_key[70];
    struct tz_date from, to;
    int64_t lo, hi, tmp;
    int have_vt = 0;
    memset(rq, 0, sizeof(*rq));
    if (req_query(r, "queue", qbuf, sizeof(qbuf)) < 0) {
        return reply_error(r, 400, "invalid_parameter",
                           "name the WFM queue by id or identifier: ?queue=...",
                           "parameter 'queue' is required");
    }
    if (req_query(r, "from", rq->from_s, sizeof(rq->from_s)) < 0 ||
        tz_date_parse(rq->from_s, &from) || req_query(r, "to", rq->to_s, sizeof(rq->to_s)) < 0 ||
        tz_date_parse(rq->to_s, &to)) {
        return reply_error(r, 400, "invalid_parameter",
                           "give from and to as YYYY-MM-DD (local days of the queue)",
                           "parameters 'from' and 'to' are required dates");
    }
    if (tz_date_cmp(from, to) > 0 || tz_date_diff(to, from) + 1 > RESULTS_MAX_DAYS) {
        return reply_error(r, 400, "invalid_parameter", "ask for at most 62 days at a time",
                           "to: must be from 'from' to 62 days later");
    }
    int vl = req_query(r, "value_type", vt_key, sizeof(vt_key));
    if (vl == -2) {
        return reply_error(r, 400, "invalid_parameter", "use a value type key",
                           "parameter 'value_type' is too long");
    }
    have_vt = vl >= 0;
    struct store_conn *c = store_acquire(r->app->store);
    int rc = route_results_queue_find(c, qbuf, &rq->q);
    if (rc != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_rc(r, rc, "queue");
    }
    if (tz_open(rq->q.time_zone, &rq->tz) != ACDL_OK) {
        store_release(r->app->store, c);
        return reply_rc(r, ACDL_EINVAL, "queue time zone");
    }
    tz_day_bounds(rq->tz, from, &lo, &tmp);
    tz_day_bounds(rq->tz, to, &tmp, &hi);
    rq->c = c;
    rq->s = store_prepare(
        c, "SELECT r.interval_start, v.key, r.value FROM results r JOIN value_types v ON v.id = "
           "r.value_type_id WHERE r.queue_id = ? AND r.interval_start >= ? AND r.interval_start "
           "< ? AND (?4 IS NULL OR v.key = ?4) ORDER BY r.interval_start, v.key LIMIT 100001");
    if (rq->s) {
        sqlite3_bind_int64(rq->s, 1, rq->q.id);
        sqlite3_bind_int64(rq->s, 2, lo);
        sqlite3_bind_int64(rq->s, 3, hi);
        store_bind_text(rq->s, 4, have_vt ? vt_key : NULL);
    }
    return 0;
}

static void results_close(struct req *r, struct results_query *rq)
{
    store_done(rq->s);
    store_release(r->app->store, rq->c);
    tz_close(rq->tz);
}

static int results_too_many(struct req *r)
{
    return reply_error(r, 400, "invalid_parameter", "ask for fewer days or one value_type",
                       "the answer would hold more than 100000 results");
}

/* The answer of GET /api/v1/results for one queue as JSON in *body (new), or the status of
 * the error answered (then *body stays NULL). */
static int results_body(struct req *r, json_t **body)
{
    struct results_query rq;
    int st = results_open(r, &rq);
    if (st) {
        return st;
    }
    json_t *items = json_array();
    while (rq.s && sqlite3_step(rq.s) == SQLITE_ROW) {
        if (json_array_size(items) == RESULTS_MAX_ITEMS) {
            results_close(r, &rq);
            json_decref(items);
            return results_too_many(r);
        }
        int64_t t = sqlite3_column_int64(rq.s, 0);
        char local[40];
        route_results_local(rq.tz, t, local, sizeof(local));
        json_array_append_new(items, json_pack("{s:o, s:s, s:s, s:f}", "interval_start",
                                               json_time(t), "local", local, "value_type",
                                               (const char *)sqlite3_column_text(rq.s, 1), "value",
                                               sqlite3_column_double(rq.s, 2)));
    }
    results_close(r, &rq);
    *body =
        json_pack("{s:{s:I, s:s, s:s, s:i}, s:s, s:s, s:o}", "queue", "id", (json_int_t)rq.q.id,
                  "identifier", rq.q.identifier, "time_zone", rq.q.time_zone, "interval_minutes",
                  rq.q.interval_minutes, "from", rq.from_s, "to", rq.to_s, "items", items);
    return *body ? 0 : reply_rc(r, ACDL_ENOMEM, "results");
}

/* GET /api/v1/results for one queue: the text results_body's tree would give, written row by
 * row straight into the answer. */
static int results_stream(struct req *r)
{
    struct results_query rq;
    int st = results_open(r, &rq);
    if (st) {
        return st;
    }
    struct jsonw *w = reply_stream_begin(r); /* members in json_pack's order */
    jsonw_obj_begin(w);
    jsonw_key(w, "queue");
    jsonw_obj_begin(w);
    jsonw_kint(w, "id", rq.q.id);
    jsonw_kstr(w, "identifier", rq.q.identifier);
    jsonw_kstr(w, "time_zone", rq.q.time_zone);
    jsonw_kint(w, "interval_minutes", rq.q.interval_minutes);
    jsonw_obj_end(w);
    jsonw_kstr(w, "from", rq.from_s);
    jsonw_kstr(w, "to", rq.to_s);
    jsonw_key(w, "items");
    jsonw_arr_begin(w);
    int n = 0;
    int64_t last_t = INT64_MIN;
    char local[40] = "";
    while (rq.s && sqlite3_step(rq.s) == SQLITE_ROW) {
        if (n++ == RESULTS_MAX_ITEMS) {
            results_close(r, &rq);
            return results_too_many(r);
        }
        int64_t t = sqlite3_column_int64(rq.s, 0);
        if (t != last_t) { /* rows come by interval: each value type of one shares its time */
            route_results_local(rq.tz, t, local, sizeof(local));
            last_t = t;
        }
        jsonw_obj_begin(w);
        jsonw_ktime(w, "interval_start", t);
        jsonw_kstr(w, "local", local);
        jsonw_key(w, "value_type");
        jsonw_strn(w, (const char *)sqlite3_column_text(rq.s, 1),
                   (size_t)sqlite3_column_bytes(rq.s, 1));
        jsonw_key(w, "value");
        jsonw_real(w, sqlite3_column_double(rq.s, 2));
        jsonw_obj_end(w);
    }
    results_close(r, &rq);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
    return reply_stream_send(r, 200);
}

int route_results_list(struct req *r)
{
    if (route_results_paged(r)) {
        return route_results_page(r);
    }
    return results_stream(r);
}

/* A growing text (the CSV answer). */
struct csv_text {
    char *b;
    size_t n, cap;
    int failed;
};

static void csv_put(struct csv_text *t, const char *fmt, ...) ACDL_PRINTF(2, 3);
static void csv_put(struct csv_text *t, const char *fmt, ...)
{
    va_list ap;
    char piece[256];
    va_start(ap, fmt);
    int k = vsnprintf(piece, sizeof(piece), fmt, ap);
    va_end(ap);
    if (t->failed || k < 0) {
        t->failed = 1;
        return;
    }
    size_t len = (size_t)k < sizeof(piece) ? (size_t)k : sizeof(piece) - 1;
    if (t->n + len + 1 > t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8192;
        while (nc < t->n + len + 1) {
            nc *= 2;
        }
        char *g = realloc(t->b, nc);
        if (!g) {
            t->failed = 1;
            return;
        }
        t->b = g;
        t->cap = nc;
    }
    memcpy(t->b + t->n, piece, len);
    t->n += len;
    t->b[t->n] = '\0';
}

/* Writes one day's totals line: sums for summed value types, the weighted mean (by the weight
 * type's values of the same intervals, when they are in the answer) for weighted ones. */
static void csv_day_total(struct csv_text *t, const char *day, int nvt, const double *sum,
                          const double *wsum, const double *wtot, const int *has,
                          const int *weighted)
{
    csv_put(t, "%s;total", day);
    for (int k = 0; k < nvt; k++) {
        if (!has[k] || (weighted[k] && wtot[k] <= 0)) {
            csv_put(t, ";");
        } else {
            csv_put(t, ";%.10g", weighted[k] ? wsum[k] / wtot[k] : sum[k]);
        }
    }
    csv_put(t, "\r\n");
}

#define RESULTS_CSV_TYPES 64

/* GET /api/v1/results/csv: what GET /api/v1/results answers, as CSV for a spreadsheet: one
 * line per local interval with one column per value type, and after each local day a line of
 * that day's totals. */
int route_results_csv(struct req *r)
{
    json_t *body = NULL, *it;
    int st = results_body(r, &body);
    if (st) {
        return st;
    }
    const char *keys[RESULTS_CSV_TYPES];
    int weighted[RESULTS_CSV_TYPES] = {0}, weight_of[RESULTS_CSV_TYPES], nvt = 0;
    json_t *items = json_object_get(body, "items");
    size_t i;
    json_array_foreach(items, i, it)
    {
        const char *k = json_string_value(json_object_get(it, "value_type"));
        int found = 0;
        for (int j = 0; j < nvt && !found; j++) {
            found = !strcmp(keys[j], k);
        }
        if (!found && nvt < RESULTS_CSV_TYPES) {
            keys[nvt++] = k;
        }
    }
    /* columns in key order; weighted types know their weight's column */
    for (int a = 1; a < nvt; a++) {
        for (int b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
            const char *x = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = x;
        }
    }
    struct store_conn *c = store_acquire(r->app->store);
    for (int k = 0; k < nvt; k++) {
        struct store_value_type vt;
        weight_of[k] = -1;
        if (store_value_type_get_by_key(c, keys[k], &vt) == ACDL_OK &&
            !strcmp(vt.combine, "weighted")) {
            weighted[k] = 1;
            for (int j = 0; j < nvt; j++) {
                if (!strcmp(keys[j], vt.weight_key)) {
                    weight_of[k] = j;
                }
            }
        }
    }
    store_release(r->app->store, c);
    struct csv_text t = {NULL, 0, 0, 0};
    csv_put(&t, "queue;%s\r\ndate;time",
            json_string_value(json_object_get(json_object_get(body, "queue"), "identifier")));
    for (int k = 0; k < nvt; k++) {
        csv_put(&t, ";%s", keys[k]);
    }
    csv_put(&t, "\r\n");
    double val[RESULTS_CSV_TYPES], sum[RESULTS_CSV_TYPES], wsum[RESULTS_CSV_TYPES],
        wtot[RESULTS_CSV_TYPES];
    int has[RESULTS_CSV_TYPES], dhas[RESULTS_CSV_TYPES];
    char day[16] = "", local[40] = "";
    size_t n = json_array_size(items);
    memset(sum, 0, sizeof(sum));
    memset(wsum, 0, sizeof(wsum));
    memset(wtot, 0, sizeof(wtot));
    memset(dhas, 0, sizeof(dhas));
    for (i = 0; i <= n; i++) {
        json_t *x = i < n ? json_array_get(items, i) : NULL;
        const char *lt = x ? json_string_value(json_object_get(x, "local")) : "";
        if (local[0] && (!x || strcmp(lt, local) != 0)) { /* one interval's line is complete */
            csv_put(&t, "%.10s;%.5s", local, local + 11);
            for (int k = 0; k < nvt; k++) {
                if (has[k]) {
                    csv_put(&t, ";%.10g", val[k]);
                    sum[k] += val[k];
                    dhas[k] = 1;
                    if (weighted[k] && weight_of[k] >= 0 && has[weight_of[k]]) {
                        wsum[k] += val[k] * val[weight_of[k]];
                        wtot[k] += val[weight_of[k]];
                    }
                } else {
                    csv_put(&t, ";");
                }
            }
            csv_put(&t, "\r\n");
            local[0] = '\0';
        }
        if (day[0] && (!x || strncmp(lt, day, 10) != 0)) { /* the day is complete */
            csv_day_total(&t, day, nvt, sum, wsum, wtot, dhas, weighted);
            memset(sum, 0, sizeof(sum));
            memset(wsum, 0, sizeof(wsum));
            memset(wtot, 0, sizeof(wtot));
            memset(dhas, 0, sizeof(dhas));
            day[0] = '\0';
        }
        if (!x) {
            break;
        }
        if (!local[0]) {
            snprintf(local, sizeof(local), "%s", lt);
            memset(has, 0, sizeof(has));
        }
        if (!day[0]) {
            snprintf(day, sizeof(day), "%.10s", lt);
        }
        const char *k = json_string_value(json_object_get(x, "value_type"));
        for (int j = 0; j < nvt; j++) {
            if (!strcmp(keys[j], k)) {
                val[j] = json_number_value(json_object_get(x, "value"));
                has[j] = 1;
            }
        }
    }
    char disp[200];
    snprintf(disp, sizeof(disp), "attachment; filename=\"results-%s-%s-%s.csv\"",
             json_string_value(json_object_get(json_object_get(body, "queue"), "identifier")),
             json_string_value(json_object_get(body, "from")),
             json_string_value(json_object_get(body, "to")));
    json_decref(body);
    if (t.failed) {
        free(t.b);
        return reply_rc(r, ACDL_ENOMEM, "results");
    }
    reply_header(r, "Content-Disposition", disp);
    st = reply_text(r, 200, "text/csv; charset=utf-8", t.b ? t.b : "", t.n);
    free(t.b);
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
