/* mappings_bulk.c (routes): many mappings in one step, all or nothing.
 *
 * POST /api/v1/mappings/bulk makes WFM queues (or takes existing ones) and gives each the
 * mappings of the listed value types from its external queues of one source; POST
 * /api/v1/queues/{id}/copy-mappings copies a queue's mappings to other queues, renaming
 * external queues on the way. Each runs in one transaction that also records the
 * recomputation of every new mapping (so nothing is half made and nothing is left
 * uncomputed), then computes their results as the creation of a single mapping does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "pipeline/discover.h"
#include "pipeline/mapping.h"
#include "pipeline/mapping_check.h"
#include "pipeline/recompute.h"
#include "platform/platform.h"
#include "store/catalog.h"
#include "store/mappings.h"
#include "store/sources.h"

#define BULK_MAX_QUEUES 200
#define BULK_MAX_TYPES 32
#define BULK_MAX_MAPPINGS 2000
/* Results are computed within the call for this long; what is left stays pending and the
 * scheduler computes it right after (the answer marks those mappings pending). */
#define BULK_COMPUTE_MS 10000

/* The first failure: answered after the rollback. */
struct fail {
    int status; /* 0: none; -1: rc says it */
    int rc;
    const char *code, *hint, *what;
    int overridable; /* the refusal goes away with "override": true */
    char msg[600];
};

static int set_fail(struct fail *f, int status, const char *code, const char *hint, const char *fmt,
                    ...) ACDL_PRINTF(5, 6);

static int set_fail(struct fail *f, int status, const char *code, const char *hint, const char *fmt,
                    ...)
{
    va_list ap;
    f->status = status;
    f->code = code;
    f->hint = hint;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int set_fail_rc(struct fail *f, int rc, const char *what)
{
    f->status = -1;
    f->rc = rc;
    f->what = what;
    return -1;
}

static int answer_fail(struct req *r, const struct fail *f)
{
    if (f->status == -1) {
        return reply_rc(r, f->rc, f->what);
    }
    if (f->overridable) {
        return reply_error_overridable(r, f->hint, "%s", f->msg);
    }
    return reply_error(r, f->status, f->code, f->hint, "%s", f->msg);
}

/* What one call made: the queues it used (in request order) and the new mappings. */
struct made {
    struct store_queue *queues;
    int *queue_new;
    size_t nq;
    int64_t *ids;
    size_t n;
};

static void made_free(struct made *m)
{
    free(m->queues);
    free(m->queue_new);
    free(m->ids);
}

/* Copies a body string into a fixed field; fails naming path.field when it does not fit. */
static int copy_text(struct fail *f, const char *path, const char *field, char *dst, size_t dstsz,
                     const char *s)
{
    if (strlen(s) >= dstsz) {
        return set_fail(f, 422, "invalid_field", "use a shorter value", "%s.%s: is too long", path,
                        field);
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* The queue of one item at path: {queue_id} for an existing queue, or {identifier, name,
 * channel?, time_zone?} for a new one, made inside the open transaction with like's interval
 * (and its time zone and channel unless given). Either way the queue must plan like's
 * interval. *ext gets the item's ext_queues (borrowed, may be NULL). */
static int item_queue(struct store_conn *c, json_t *item, const char *path,
                      const struct store_queue *like, struct store_queue *q, int *created,
                      json_t **ext, struct fail *f)
{
    json_int_t queue_id = 0;
    const char *identifier = NULL, *name = NULL, *channel = NULL, *zone = NULL;
    json_error_t jerr;
    *ext = NULL;
    *created = 0;
    if (!json_is_object(item) ||
        json_unpack_ex(item, &jerr, JSON_STRICT, "{s?I, s?s, s?s, s?s, s?s, s?o}", "queue_id",
                       &queue_id, "identifier", &identifier, "name", &name, "channel", &channel,
                       "time_zone", &zone, "ext_queues", ext) != 0) {
        return set_fail(f, 422, "invalid_field",
                        "give queue_id for an existing WFM queue, or identifier and name (and "
                        "optionally channel and time_zone) for a new one, with ext_queues",
                        "%s: %s", path, json_is_object(item) ? jerr.text : "must be an object");
    }
    if (queue_id != 0) {
        if (identifier || name || channel || zone) {
            return set_fail(f, 422, "invalid_field",
                            "send queue_id alone to use an existing queue, or no queue_id to "
                            "make a new one",
                            "%s.queue_id: an existing queue takes no identifier, name, channel "
                            "or time_zone",
                            path);
        }
        int rc = store_queue_get(c, queue_id, q);
        if (rc == ACDL_ENOTFOUND) {
            return set_fail(f, 422, "invalid_field", "list the queues to find the id",
                            "%s.queue_id: no queue %lld", path, (long long)queue_id);
        }
        if (rc != ACDL_OK) {
            return set_fail_rc(f, rc, "queue");
        }
        if (q->interval_minutes != like->interval_minutes) {
            return set_fail(f, 422, "invalid_field",
                            "map sources to queues with the same interval length",
                            "%s.queue_id: queue '%s' plans %d-minute intervals, the mappings "
                            "read %d-minute ones",
                            path, q->identifier, q->interval_minutes, like->interval_minutes);
        }
        return 0;
    }
    if (!identifier || !name) {
        return set_fail(f, 422, "invalid_field",
                        "give queue_id for an existing WFM queue, or identifier and name for a "
                        "new one",
                        "%s.%s: is required for a new queue", path,
                        identifier ? "name" : "identifier");
    }
    memset(q, 0, sizeof(*q));
    if (copy_text(f, path, "identifier", q->identifier, sizeof(q->identifier), identifier) ||
        copy_text(f, path, "name", q->name, sizeof(q->name), name) ||
        copy_text(f, path, "channel", q->channel, sizeof(q->channel),
                  channel ? channel : like->channel) ||
        copy_text(f, path, "time_zone", q->time_zone, sizeof(q->time_zone),
                  zone ? zone : like->time_zone)) {
        return -1;
    }
    q->interval_minutes = like->interval_minutes;
    char msg[300] = "";
    const char *hint = route_queue_problem(q, msg, sizeof(msg));
    if (hint) {
        return set_fail(f, 422, "invalid_field", hint, "%s.%s", path, msg);
    }
    int64_t now = plat_now(), id = 0;
    int rc = store_queue_add(c, q, now, &id);
    if (rc == ACDL_EEXIST) {
        return set_fail(f, 409, "conflict",
                        "each WFM queue identifier is used once: choose another one, or use "
                        "the existing queue by its queue_id",
                        "%s.identifier: a queue with identifier '%s' exists already", path,
                        q->identifier);
    }
    if (rc != ACDL_OK) {
        return set_fail_rc(f, rc, "queue");
    }
    q->id = id;
    q->created_at = q->updated_at = now;
    *created = 1;
    return 0;
}

/* Adds mapping m (queue q) inside the open transaction and checks its weights; path names
 * the item that asked for it in a failure. */
static int add_mapping(struct store_conn *c, struct store_mapping *m, const struct store_queue *q,
                       const char *vt_key, const char *path, const char *weight_path,
                       struct made *out, struct fail *f)
{
    int64_t id = 0;
    char err[400] = "";
    int rc = store_mapping_insert(c, m, plat_now(), &id);
    if (rc == ACDL_EEXIST) {
        return set_fail(
            f, 409, "conflict", "leave that value type out for this queue, or change its mapping",
            "%s: queue '%s' has a mapping for '%s' already", path, q->identifier, vt_key);
    }
    if (rc != ACDL_OK) {
        return set_fail_rc(f, rc, "mapping");
    }
    rc = mapping_check_weights(c, id, err, sizeof(err));
    if (rc == ACDL_EINVAL) {
        return set_fail(f, 422, "invalid_field",
                        "list the weight's value type (e.g. handled) as well",
                        "%s: queue '%s', '%s': %s", weight_path, q->identifier, vt_key, err);
    }
    if (rc != ACDL_OK) {
        return set_fail_rc(f, rc, "mapping");
    }
    out->ids[out->n++] = id;
    return 0;
}

/* After the commit: computes the new mappings' results, audits and answers 201 with the
 * queues used, the mappings made and the number of results written. */
static int answer_made(struct req *r, struct store_conn *c, const struct made *made,
                       const char *action, const char *target, json_t *detail)
{
    int64_t written = 0;
    json_t *maps = json_array(), *queues = json_array(), *names = json_array();
    struct store_mapping *m = malloc(sizeof(*m));
    int created = 0;
    if (!m) {
        json_decref(maps);
        json_decref(queues);
        json_decref(names);
        json_decref(detail);
        return reply_rc(r, ACDL_ENOMEM, "mapping");
    }
    int64_t until = plat_monotonic_ms() + BULK_COMPUTE_MS;
    for (size_t i = 0; i < made->n && plat_monotonic_ms() < until; i++) {
        char err[400] = "";
        struct recompute_stats rs;
        memset(&rs, 0, sizeof(rs));
        if (recompute_ref(c, "mapping", made->ids[i], &rs, err, sizeof(err)) != ACDL_OK) {
            log_warn("mapping",
                     "mapping %lld saved, but computing its results failed: %s; it "
                     "stays pending",
                     (long long)made->ids[i], err);
        }
        written += rs.results;
    }
    for (size_t i = 0; i < made->n; i++) {
        if (store_mapping_get(c, made->ids[i], m) == ACDL_OK) {
            json_t *j = route_mapping_json(m);
            json_object_set_new(j, "warnings", mapping_check_inputs(c, m));
            json_array_append_new(maps, j);
        }
    }
    free(m);
    for (size_t i = 0; i < made->nq; i++) {
        json_array_append_new(queues, route_queue_json(&made->queues[i]));
        if (made->queue_new[i]) {
            created++;
            json_array_append_new(names, json_string(made->queues[i].identifier));
        }
    }
    json_object_set_new(detail, "queues_created", names);
    json_object_set_new(detail, "mappings", json_integer((json_int_t)made->n));
    json_object_set_new(detail, "results", json_integer((json_int_t)written));
    http_audit(r, action, target, "ok", detail);
    log_info("mapping", "%s: %zu mappings on %zu queues (%d new), %lld results", action, made->n,
             made->nq, created, (long long)written);
    return reply_json(r, 201,
                      json_pack("{s:o, s:o, s:I}", "queues", queues, "mappings", maps, "results",
                                (json_int_t)written));
}

static int made_alloc(struct made *made, size_t nq, size_t nmap)
{
    memset(made, 0, sizeof(*made));
    made->queues = calloc(nq ? nq : 1, sizeof(*made->queues));
    made->queue_new = calloc(nq ? nq : 1, sizeof(*made->queue_new));
    made->ids = calloc(nmap ? nmap : 1, sizeof(*made->ids));
    return made->queues && made->queue_new && made->ids ? 0 : ACDL_ENOMEM;
}

/* One requested value type of POST /mappings/bulk. */
struct want {
    struct store_value_type vt;
    char metric[65];
    char divide_by[65]; /* "" or the metric that divides (the mapping is then a formula) */
    int index;          /* in the request */
    int form_override;  /* its form contradicts the value type, saved so by "override" */
};

/* "(coalesce(p1, 0) + coalesce(p2, 0)) / (coalesce(p3, 0) + coalesce(p4, 0))" for n = 2:
 * missing values count 0, and an interval without any gives 0 / 0, no value. */
static void ratio_formula(int n, char *out, size_t outsz)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < 2 * n; k++) {
        const char *pre = k == 0 ? "(" : k == n ? ") / (" : " + ";
        int w = snprintf(out + used, outsz - used, "%scoalesce(p%d, 0)", pre, k + 1);
        if (w < 0 || (size_t)w >= outsz - used) {
            return;
        }
        used += (size_t)w;
    }
    snprintf(out + used, outsz - used, ")");
}

/* The inputs and formula of want w over the external queues names[0..n): the metric of each
 * queue (the value type's default), or with divide_by the metric of each queue, then the
 * divisor of each, with the ratio of their sums as the formula (handle time per handled). */
static void want_mapping(const struct want *w, int64_t source_id, const char *const *names, int n,
                         struct store_mapping *m)
{
    int per = w->divide_by[0] != '\0';
    m->n = 0;
    for (int part = 0; part < 1 + per; part++) {
        for (int j = 0; j < n; j++) {
            struct store_mapping_input *in = &m->in[m->n++];
            in->source_id = source_id;
            snprintf(in->ext_queue, sizeof(in->ext_queue), "%s", names[j]);
            snprintf(in->metric, sizeof(in->metric), "%s", part ? w->divide_by : w->metric);
        }
    }
    m->has_formula = per;
    m->form_override = w->form_override;
    m->formula[0] = '\0';
    if (per && n == 1) {
        snprintf(m->formula, sizeof(m->formula), "p1 / p2");
    } else if (per) {
        ratio_formula(n, m->formula, sizeof(m->formula));
    }
}

/* Reads the "mappings" list: value types known, each once, metric names valid; weight types
 * come first in *order so that weighted averages find their weights. */
static int read_wants(struct store_conn *c, json_t *list, struct want *w, size_t *n, struct fail *f)
{
    size_t i, k = 0;
    json_t *item;
    struct want tmp[BULK_MAX_TYPES];
    json_array_foreach(list, i, item)
    {
        const char *key, *metric, *per = NULL, *why;
        int override = 0;
        json_error_t jerr;
        if (!json_is_object(item) ||
            json_unpack_ex(item, &jerr, JSON_STRICT, "{s:s, s:s, s?s, s?b}", "value_type", &key,
                           "metric", &metric, "divide_by", &per, "override", &override) != 0) {
            return set_fail(f, 422, "invalid_field",
                            "each item is {\"value_type\": \"offered\", \"metric\": \"offered\"}, "
                            "optionally with \"divide_by\": a metric (e.g. handled) or "
                            "\"override\": true",
                            "mappings[%zu]: %s", i,
                            json_is_object(item) ? jerr.text : "must be an object");
        }
        if ((why = route_check_text(metric, 64)) != NULL) {
            return set_fail(f, 422, "invalid_field", "use a metric name of the source",
                            "mappings[%zu].metric: %s", i, why);
        }
        if (per && (why = route_check_text(per, 64)) != NULL) {
            return set_fail(f, 422, "invalid_field", "use a metric name of the source",
                            "mappings[%zu].divide_by: %s", i, why);
        }
        snprintf(tmp[i].divide_by, sizeof(tmp[i].divide_by), "%s", per ? per : "");
        int rc = store_value_type_get_by_key(c, key, &tmp[i].vt);
        if (rc == ACDL_ENOTFOUND) {
            return set_fail(f, 422, "invalid_field", "list the value types",
                            "mappings[%zu].value_type: no value type '%.64s'", i, key);
        }
        if (rc != ACDL_OK) {
            return set_fail_rc(f, rc, "value type");
        }
        for (size_t j = 0; j < i; j++) {
            if (tmp[j].vt.id == tmp[i].vt.id) {
                return set_fail(
                    f, 422, "invalid_field", "a queue has one mapping per value type: list it once",
                    "mappings[%zu].value_type: '%s' is listed twice (mappings[%zu])", i, key, j);
            }
        }
        /* a total into an average, or an average into a sum, would be wrong without a word
         * (the single mapping route refuses it the same way) */
        int avg_type = !strcmp(tmp[i].vt.combine, "weighted");
        int wrong = !per && (avg_type ? discover_metric_is_total(metric)
                                      : discover_metric_is_average(metric));
        tmp[i].form_override = wrong && override;
        if (wrong && !override) {
            f->overridable = 1;
        }
        if (wrong && !override && avg_type) {
            return set_fail(f, 422, "invalid_field",
                            "map the metric that holds the average, or add \"divide_by\" with "
                            "the count (e.g. \"divide_by\": \"handled\"); send \"override\": "
                            "true with the item to save it as it is",
                            "mappings[%zu].metric: '%.64s' looks like a total, but '%s' is an "
                            "average weighted by '%s'",
                            i, metric, key, tmp[i].vt.weight_key);
        }
        if (wrong && !override) {
            return set_fail(f, 422, "invalid_field",
                            "map the metric that holds the count or total, or map the average to "
                            "a weighted value type such as aht; send \"override\": true with "
                            "the item to save it as it is",
                            "mappings[%zu].metric: '%.64s' looks like an average, but '%s' is a "
                            "sum: its value would be a sum of averages",
                            i, metric, key);
        }
        snprintf(tmp[i].metric, sizeof(tmp[i].metric), "%s", metric);
        tmp[i].index = (int)i;
    }
    for (int pass = 0; pass < 2; pass++) { /* sums first: they are the weights */
        for (i = 0; i < json_array_size(list); i++) {
            int weighted = strcmp(tmp[i].vt.combine, "weighted") == 0 && !tmp[i].divide_by[0];
            if (weighted == pass) {
                w[k++] = tmp[i];
            }
        }
    }
    *n = k;
    return 0;
}

/* Reads a queue item's ext_queues: 1 to 32 distinct external queue names. */
static int read_ext_list(json_t *ext, const char *path, const char **names, int *n, struct fail *f)
{
    size_t k;
    json_t *v;
    if (!json_is_array(ext) || json_array_size(ext) < 1 ||
        json_array_size(ext) > MAPPING_MAX_INPUTS) {
        return set_fail(
            f, 422, "invalid_field", "list the external queues as the source delivers them",
            "%s.ext_queues: must be a list of 1 to %d external queues", path, MAPPING_MAX_INPUTS);
    }
    *n = 0;
    json_array_foreach(ext, k, v)
    {
        const char *why =
            json_is_string(v) ? route_check_text(json_string_value(v), 128) : "must be text";
        if (why) {
            return set_fail(f, 422, "invalid_field", "use the queue id as the ACD writes it",
                            "%s.ext_queues[%zu]: %s", path, k, why);
        }
        for (int j = 0; j < *n; j++) {
            if (strcmp(names[j], json_string_value(v)) == 0) {
                return set_fail(f, 422, "invalid_field", "list each external queue once",
                                "%s.ext_queues[%zu]: '%s' is listed twice", path, k, names[j]);
            }
        }
        names[(*n)++] = json_string_value(v);
    }
    return 0;
}

int route_mappings_bulk(struct req *r)
{
    json_int_t source_id;
    json_t *queues = NULL, *list = NULL, *item;
    json_error_t jerr;
    struct fail f;
    struct made made;
    struct store_source src;
    struct store_queue like;
    struct want wants[BULK_MAX_TYPES];
    size_t nw = 0, i;
    int st, rc, in_tx = 0;
    memset(&f, 0, sizeof(f));
    memset(&made, 0, sizeof(made));
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:I, s:o, s:o}", "source_id", &source_id,
                       "queues", &queues, "mappings", &list) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send source_id, queues (new or existing WFM queues with their "
                           "ext_queues) and mappings (value_type and metric)",
                           "%s", jerr.text);
    }
    if (!json_is_array(queues) || json_array_size(queues) < 1 ||
        json_array_size(queues) > BULK_MAX_QUEUES) {
        return reply_error(r, 422, "invalid_field", "send up to 200 queues at a time",
                           "queues: must be a list of 1 to %d queues", BULK_MAX_QUEUES);
    }
    if (!json_is_array(list) || json_array_size(list) < 1 ||
        json_array_size(list) > BULK_MAX_TYPES) {
        return reply_error(r, 422, "invalid_field", "list the value types to map",
                           "mappings: must be a list of 1 to %d value types", BULK_MAX_TYPES);
    }
    if (json_array_size(queues) * json_array_size(list) > BULK_MAX_MAPPINGS) {
        return reply_error(r, 422, "invalid_field", "send the queues in several parts",
                           "queues: at most %d mappings (queues x value types) at a time",
                           BULK_MAX_MAPPINGS);
    }
    if (made_alloc(&made, json_array_size(queues),
                   json_array_size(queues) * json_array_size(list)) != 0) {
        made_free(&made);
        return reply_rc(r, ACDL_ENOMEM, "mappings");
    }
    struct store_mapping *m = calloc(1, sizeof(*m));
    struct store_conn *c = store_acquire(r->app->store);
    memset(&src, 0, sizeof(src));
    if (!m) {
        set_fail_rc(&f, ACDL_ENOMEM, "mapping");
        goto out;
    }
    rc = store_source_get(c, source_id, &src);
    if (rc != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            set_fail(&f, 422, "invalid_field", "list the sources to find the id",
                     "source_id: no source %lld", (long long)source_id);
        } else {
            set_fail_rc(&f, rc, "source");
        }
        goto out;
    }
    if (strcmp(src.product, "contacts") != 0) {
        set_fail(&f, 422, "invalid_field", "map a source of contact statistics",
                 "source_id: source '%s' delivers agent states, not queues", src.name);
        goto out;
    }
    if (read_wants(c, list, wants, &nw, &f) != 0) {
        goto out;
    }
    memset(&like, 0, sizeof(like));
    snprintf(like.channel, sizeof(like.channel), "calls");
    snprintf(like.time_zone, sizeof(like.time_zone), "%s", src.time_zone);
    like.interval_minutes = src.interval_minutes;
    if ((rc = store_begin(c)) != ACDL_OK) {
        set_fail_rc(&f, rc, "mappings");
        goto out;
    }
    in_tx = 1;
    json_array_foreach(queues, i, item)
    {
        char path[32];
        const char *names[MAPPING_MAX_INPUTS];
        int next = 0;
        json_t *ext = NULL;
        struct store_queue *q = &made.queues[made.nq];
        snprintf(path, sizeof(path), "queues[%zu]", i);
        if (item_queue(c, item, path, &like, q, &made.queue_new[made.nq], &ext, &f) != 0) {
            goto out;
        }
        made.nq++;
        if (!ext) {
            set_fail(&f, 422, "invalid_field",
                     "list the external queues as the source "
                     "delivers them",
                     "%s.ext_queues: is required", path);
            goto out;
        }
        if (read_ext_list(ext, path, names, &next, &f) != 0) {
            goto out;
        }
        for (size_t k = 0; k < nw; k++) {
            char wpath[40];
            memset(m, 0, sizeof(*m));
            m->queue_id = q->id;
            m->value_type_id = wants[k].vt.id;
            if (wants[k].divide_by[0] && next > MAPPING_MAX_INPUTS / 2) {
                set_fail(&f, 422, "invalid_field", "map fewer external queues into one queue",
                         "%s.ext_queues: at most %d external queues when a mapping divides "
                         "(mappings[%d])",
                         path, MAPPING_MAX_INPUTS / 2, wants[k].index);
                goto out;
            }
            want_mapping(&wants[k], src.id, names, next, m);
            snprintf(wpath, sizeof(wpath), "mappings[%d]", wants[k].index);
            if (add_mapping(c, m, q, wants[k].vt.key, path, wpath, &made, &f) != 0) {
                goto out;
            }
        }
    }
    if ((rc = store_commit(c)) != ACDL_OK) {
        set_fail_rc(&f, rc, "mappings");
        goto out;
    }
    in_tx = 0;
out:
    if (in_tx) {
        store_rollback(c);
    }
    if (f.status != 0) {
        st = answer_fail(r, &f);
    } else {
        st = answer_made(r, c, &made, "mapping.bulk", src.name,
                         json_pack("{s:I}", "source_id", (json_int_t)src.id));
    }
    store_release(r->app->store, c);
    store_source_clear(&src);
    free(m);
    made_free(&made);
    return st;
}

/* Copies src's inputs into m, renaming external queues by the object ren (may be NULL). */
static void copy_inputs(const struct store_mapping *src, json_t *ren, struct store_mapping *m)
{
    m->n = src->n;
    for (int j = 0; j < src->n; j++) {
        json_t *to = ren ? json_object_get(ren, src->in[j].ext_queue) : NULL;
        m->in[j] = src->in[j];
        if (to) {
            snprintf(m->in[j].ext_queue, sizeof(m->in[j].ext_queue), "%s", json_string_value(to));
        }
    }
}

/* Checks a rename object: every key is an external queue some mapping reads, every value a
 * valid external queue name. */
static int check_renames(json_t *ren, const char *path, const struct store_mapping *arr, int n,
                         const char *queue, struct fail *f)
{
    const char *key;
    json_t *v;
    if (!json_is_object(ren)) {
        return set_fail(f, 422, "invalid_field",
                        "give the renames as {\"old external queue\": \"new one\"}",
                        "%s.ext_queues: must be an object", path);
    }
    json_object_foreach(ren, key, v)
    {
        const char *why =
            json_is_string(v) ? route_check_text(json_string_value(v), 128) : "must be text";
        int used = 0;
        if (why) {
            return set_fail(f, 422, "invalid_field", "use the queue id as the ACD writes it",
                            "%s.ext_queues.%.128s: %s", path, key, why);
        }
        for (int i = 0; i < n && !used; i++) {
            for (int j = 0; j < arr[i].n && !used; j++) {
                used = strcmp(arr[i].in[j].ext_queue, key) == 0;
            }
        }
        if (!used) {
            return set_fail(
                f, 422, "invalid_field", "rename only external queues that the mappings read",
                "%s.ext_queues.%.128s: no mapping of queue '%s' reads it", path, key, queue);
        }
    }
    return 0;
}

int route_queues_copy_mappings(struct req *r)
{
    int64_t from_id;
    json_t *to = NULL, *item;
    json_error_t jerr;
    struct fail f;
    struct made made;
    struct store_queue from;
    struct store_mapping *arr = NULL, *m = NULL;
    int n = 0, st, rc, in_tx = 0;
    int *weighted = NULL;
    size_t i;
    memset(&f, 0, sizeof(f));
    memset(&made, 0, sizeof(made));
    if ((st = req_id(r, 0, &from_id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:o}", "to", &to) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send to: a list of queues ({queue_id} or {identifier, name}), each "
                           "optionally with ext_queues renames",
                           "%s", jerr.text);
    }
    if (!json_is_array(to) || json_array_size(to) < 1 || json_array_size(to) > BULK_MAX_QUEUES) {
        return reply_error(r, 422, "invalid_field", "send up to 200 queues at a time",
                           "to: must be a list of 1 to %d queues", BULK_MAX_QUEUES);
    }
    struct store_conn *c = store_acquire(r->app->store);
    rc = store_queue_get(c, from_id, &from);
    if (rc != ACDL_OK) {
        set_fail_rc(&f, rc, "queue");
        goto out;
    }
    rc = store_mapping_list(c, 0, from_id, BULK_MAX_TYPES * 4, &arr, &n);
    if (rc != ACDL_OK) {
        set_fail_rc(&f, rc, "mappings");
        goto out;
    }
    if (n == 0) {
        set_fail(&f, 422, "invalid_field", "map the queue first, then copy its mappings",
                 "to: queue '%s' has no mappings to copy", from.identifier);
        goto out;
    }
    if (json_array_size(to) * (size_t)n > BULK_MAX_MAPPINGS) {
        set_fail(&f, 422, "invalid_field", "send the queues in several parts",
                 "to: at most %d mappings at a time", BULK_MAX_MAPPINGS);
        goto out;
    }
    weighted = calloc((size_t)n, sizeof(*weighted));
    m = calloc(1, sizeof(*m));
    if (!weighted || !m || made_alloc(&made, json_array_size(to), json_array_size(to) * n)) {
        set_fail_rc(&f, ACDL_ENOMEM, "mappings");
        goto out;
    }
    for (int k = 0; k < n; k++) {
        struct store_value_type vt;
        if ((rc = store_value_type_get(c, arr[k].value_type_id, &vt)) != ACDL_OK) {
            set_fail_rc(&f, rc, "value type");
            goto out;
        }
        weighted[k] = !arr[k].has_formula && strcmp(vt.combine, "weighted") == 0;
    }
    if ((rc = store_begin(c)) != ACDL_OK) {
        set_fail_rc(&f, rc, "mappings");
        goto out;
    }
    in_tx = 1;
    json_array_foreach(to, i, item)
    {
        char path[32];
        json_t *ren = NULL;
        struct store_queue *q = &made.queues[made.nq];
        snprintf(path, sizeof(path), "to[%zu]", i);
        if (item_queue(c, item, path, &from, q, &made.queue_new[made.nq], &ren, &f) != 0) {
            goto out;
        }
        made.nq++;
        if (q->id == from.id) {
            set_fail(&f, 422, "invalid_field", "choose other queues",
                     "%s.queue_id: that is the queue the mappings come from", path);
            goto out;
        }
        if (ren && check_renames(ren, path, arr, n, from.identifier, &f) != 0) {
            goto out;
        }
        for (int pass = 0; pass < 2; pass++) { /* weights before the averages they weigh */
            for (int k = 0; k < n; k++) {
                if (weighted[k] != pass) {
                    continue;
                }
                memset(m, 0, sizeof(*m));
                m->queue_id = q->id;
                m->value_type_id = arr[k].value_type_id;
                m->has_formula = arr[k].has_formula;
                memcpy(m->formula, arr[k].formula, sizeof(m->formula));
                copy_inputs(&arr[k], ren, m);
                if (add_mapping(c, m, q, arr[k].value_type_key, path, path, &made, &f) != 0) {
                    goto out;
                }
            }
        }
    }
    if ((rc = store_commit(c)) != ACDL_OK) {
        set_fail_rc(&f, rc, "mappings");
        goto out;
    }
    in_tx = 0;
out:
    if (in_tx) {
        store_rollback(c);
    }
    if (f.status != 0) {
        st = answer_fail(r, &f);
    } else {
        st = answer_made(r, c, &made, "mapping.copy", from.identifier,
                         json_pack("{s:I}", "from_queue_id", (json_int_t)from.id));
    }
    store_release(r->app->store, c);
    free(arr);
    free(m);
    free(weighted);
    made_free(&made);
    return st;
}
