/* mapping_check.c: mapping inputs checked against what their sources delivered. */
#include "pipeline/mapping_check.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/discover.h"
#include "store/sources.h"

#define CHECK_NAMES 5000 /* known names compared for a suggestion */

/* Edit distance of a and b, or 3 when it is more than 2 (only close names are suggested). */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[130], prev[130];
    if (la > 128 || lb > 128 || (la > lb ? la - lb : lb - la) > 2) {
        return 3;
    }
    for (size_t j = 0; j <= lb; j++) {
        prev[j] = (int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        int best = row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            best = row[j] < best ? row[j] : best;
        }
        if (best > 2) {
            return 3;
        }
        memcpy(prev, row, (lb + 1) * sizeof(int));
    }
    return prev[lb] > 2 ? 3 : prev[lb];
}

/* Appends the texts of the first column of sql (bound to source_id) to names. */
static void collect(struct store_conn *c, const char *sql, int64_t source_id, json_t *names)
{
    sqlite3_stmt *st = store_prepare(c, sql);
    if (!st) {
        return;
    }
    sqlite3_bind_int64(st, 1, source_id);
    while (json_array_size(names) < CHECK_NAMES && sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v) {
            json_array_append_new(names, json_string(v));
        }
    }
    store_done(st);
}

/* The metric names a source's settings give (CSV interval metrics and derived fields; the
 * contact layout's four). */
static void configured_metrics(struct store_conn *c, int64_t source_id, json_t *names)
{
    static const char *const contact[] = {"offered", "handled", "abandoned", "handle_time"};
    struct store_source s;
    if (store_source_get(c, source_id, &s) != ACDL_OK) {
        return;
    }
    json_t *settings = json_loads(s.settings ? s.settings : "{}", 0, NULL);
    const char *k;
    json_t *v;
    size_t i;
    if (!strcmp(s.product, "contacts") && !strcmp(s.layout, "contact")) {
        for (i = 0; i < sizeof(contact) / sizeof(contact[0]); i++) {
            json_array_append_new(names, json_string(contact[i]));
        }
    } else if (!strcmp(s.kind, "csv")) {
        json_object_foreach(json_object_get(settings, "metrics"), k, v)
        {
            json_array_append_new(names, json_string(k));
        }
    }
    json_decref(settings);
    store_source_clear(&s);
}

static int listed(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (!strcmp(json_string_value(v), name)) {
            return 1;
        }
    }
    return 0;
}

static const char *closest(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;
    const char *best = NULL;
    int bd = 3;
    json_array_foreach(names, i, v)
    {
        int d = distance(name, json_string_value(v));
        if (d < bd) {
            bd = d;
            best = json_string_value(v);
        }
    }
    return best;
}

/* One warning when name is not among the names known for the input (none known: none). */
static void check_one(json_t *out, const json_t *names, int have_knowledge, size_t i,
                      const struct store_mapping_input *in, int is_queue)
{
    const char *name = is_queue ? in->ext_queue : in->metric;
    char field[48], msg[600];
    if (!have_knowledge || listed(names, name)) {
        return;
    }
    const char *near = closest(names, name);
    snprintf(field, sizeof(field), "inputs[%zu].%s", i, is_queue ? "ext_queue" : "metric");
    snprintf(msg, sizeof(msg),
             "%s: source '%s' has not delivered %s '%s' (neither in its staged data nor in its "
             "last discovery%s)%s%s%s",
             field, in->source_name, is_queue ? "an external queue" : "a metric", name,
             is_queue ? "" : " or its settings", near ? "; did you mean '" : "",
             near ? near : "", near ? "'?" : "");
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o}", "field", field, "code",
                                         is_queue ? "unknown_ext_queue" : "unknown_metric",
                                         "message", msg,
                                         "suggestion", near ? json_string(near) : json_null()));
}

json_t *mapping_check_inputs(struct store_conn *c, const struct store_mapping *m)
{
    json_t *out = json_array();
    for (int i = 0; i < m->n; i++) {
        const struct store_mapping_input *in = &m->in[i];
        json_t *queues = json_array(), *metrics = json_array();
        collect(c, "SELECT ext_queue FROM ext_queues WHERE source_id = ?1", in->source_id,
                queues);
        int seen_q = discover_seen(in->source_id, DISCOVER_QUEUE, NULL, queues, CHECK_NAMES);
        collect(c,
                "SELECT DISTINCT n.name FROM ext_queues e JOIN ext_queue_metrics x ON "
                "x.queue_id = e.id JOIN metric_names n ON n.id = x.metric_id WHERE "
                "e.source_id = ?1",
                in->source_id, metrics);
        configured_metrics(c, in->source_id, metrics);
        int seen_m = discover_seen(in->source_id, DISCOVER_METRIC, NULL, metrics, CHECK_NAMES);
        check_one(out, queues, json_array_size(queues) > 0 || seen_q >= 0, (size_t)i, in, 1);
        check_one(out, metrics, json_array_size(metrics) > 0 || seen_m >= 0, (size_t)i, in, 0);
        json_decref(queues);
        json_decref(metrics);
    }
    return out;
}
