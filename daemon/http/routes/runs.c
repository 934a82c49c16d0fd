/* runs.c (routes): /api/v1/runs: start an import for a source and a period (202, executed by
 * the worker pool), follow its progress and log, cancel it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "sched/runner.h"
#include "store/runs.h"
#include "store/sources.h"

#define MAX_PERIOD_DAYS 400

static json_t *run_json(const struct store_run *r)
{
    json_t *params = r->error_code[0] ? json_loads(r->error_params, 0, NULL) : NULL;
    json_t *o = json_pack(
        "{s:I, s:{s:I, s:s}, s:s, s:s, s:s, s:s, s:{s:i, s:i}, s:{s:i, s:i, s:I, s:I, s:I, s:I}, "
        "s:o, s:s, s:o, s:o, s:o, s:b, s:i, s:b, s:b}",
        "id", (json_int_t)r->id, "source", "id", (json_int_t)r->source_id, "name", r->source_name,
        "trigger", r->trigger, "from", r->period_from, "to", r->period_to, "state", r->state,
        "progress", "days_done", r->days_done, "days_total", r->days_total, "counts", "files_read",
        r->files_read, "files_skipped", r->files_skipped, "rows_read", (json_int_t)r->rows_read,
        "rows_staged", (json_int_t)r->rows_staged, "rows_rejected", (json_int_t)r->rows_rejected,
        "rows_filtered", (json_int_t)r->rows_filtered, "error",
        r->error[0] ? json_string(r->error) : json_null(), "created_by", r->created_by,
        "created_at", json_time(r->created_at), "started_at", json_time(r->started_at),
        "finished_at", json_time(r->finished_at), "zero_fill", r->zero_fill, "failed_mappings",
        r->failed_mappings, "partial", !strcmp(r->state, "done") && r->failed_mappings > 0,
        "reread", r->reread);
    json_object_set_new(o, "error_code",
                        r->error_code[0] && params ? json_string(r->error_code) : json_null());
    json_object_set_new(o, "error_params", params ? params : json_null());
    return o;
}

json_t *route_run_json(const struct store_run *run)
{
    return run_json(run);
}

int route_runs_create(struct req *r)
{
    json_int_t source_id = 0;
    const char *from = NULL, *to = NULL;
    int zero_fill = 0, reread = 0;
    json_error_t jerr;
    struct tz_date a, b;
    struct store_source src;
    struct store_run run;
    char who[96];
    int64_t id;

    const json_t *zf = json_is_object(r->body) ? json_object_get(r->body, "zero_fill") : NULL;
    if (zf && !json_is_boolean(zf)) {
        return reply_error(r, 422, "invalid_field",
                           "true: intervals without source data become 0; false (the default): "
                           "they are left alone",
                           "zero_fill: must be true or false");
    }
    const json_t *rr = json_is_object(r->body) ? json_object_get(r->body, "reread") : NULL;
    if (rr && !json_is_boolean(rr)) {
        return reply_error(r, 422, "invalid_field",
                           "true: CSV files imported before are read again and replace the "
                           "period's staged days; false (the default): they are skipped",
                           "reread: must be true or false");
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:I, s:s, s:s, s?b, s?b}", "source_id",
                       &source_id, "from", &from, "to", &to, "zero_fill", &zero_fill, "reread",
                       &reread) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"source_id\": N, \"from\": \"YYYY-MM-DD\", \"to\": "
                           "\"YYYY-MM-DD\", \"zero_fill\": false, \"reread\": false} (local "
                           "days of the source)",
                           "%s", jerr.text);
    }
    if (tz_date_parse(from, &a) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use YYYY-MM-DD", "from: '%.20s' is not a date",
                           from);
    }
    if (tz_date_parse(to, &b) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "use YYYY-MM-DD", "to: '%.20s' is not a date",
                           to);
    }
    if (tz_date_cmp(a, b) > 0) {
        return reply_error(r, 422, "invalid_field", "give the earlier day first",
                           "to: %s is before from %s", to, from);
    }
    if (tz_date_diff(b, a) + 1 > MAX_PERIOD_DAYS) {
        return reply_error(r, 422, "invalid_field", "split a long backfill into several runs",
                           "to: a run covers at most %d days", MAX_PERIOD_DAYS);
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_source_get(c, source_id, &src);
    if (rc == ACDL_ENOTFOUND) {
        store_release(r->app->store, c);
        return reply_error(r, 422, "invalid_field", "list the sources to find the id",
                           "source_id: no source %lld", (long long)source_id);
    }
    if (rc == ACDL_OK && !src.enabled) {
        store_release(r->app->store, c);
        store_source_clear(&src);
        return reply_error(r, 409, "conflict", "enable the source first",
                           "the source '%s' is disabled", src.name);
    }
    snprintf(who, sizeof(who), "%s%s", r->auth.kind == AUTH_TOKEN ? "token:" : "", r->auth.name);
    if (rc == ACDL_OK) {
        rc = store_run_add(c, source_id, "manual", from, to,
                           (zero_fill ? STORE_RUN_ZERO_FILL : 0) | (reread ? STORE_RUN_REREAD : 0),
                           who, plat_now(), &id);
    }
    if (rc == ACDL_OK) {
        rc = store_run_get(c, id, &run);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        store_source_clear(&src);
        return reply_rc(r, rc, "run");
    }
    runner_wake(r->app->runner);
    http_audit(r, "run.create", src.name, "ok",
               json_pack("{s:I, s:s, s:s, s:b, s:b}", "run", (json_int_t)id, "from", from, "to", to,
                         "zero_fill", zero_fill, "reread", reread));
    store_source_clear(&src);
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/runs/%lld", (long long)id);
    reply_header(r, "Location", loc);
    return reply_json(r, 202, run_json(&run));
}

int route_runs_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, source_id = 0;
    char buf[32], state[16];
    const char *state_p = NULL;
    struct store_run *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    if (req_query(r, "source_id", buf, sizeof(buf)) >= 0) {
        char *end = NULL;
        source_id = strtoll(buf, &end, 10);
        if (!end || *end || source_id < 1) {
            return reply_error(r, 400, "invalid_parameter", "use a source id",
                               "parameter 'source_id' is invalid");
        }
    }
    int sl = req_query(r, "state", state, sizeof(state));
    if (sl >= 0) {
        if (strcmp(state, "queued") && strcmp(state, "running") && strcmp(state, "done") &&
            strcmp(state, "failed") && strcmp(state, "cancelled")) {
            return reply_error(r, 400, "invalid_parameter",
                               "use queued, running, done, failed or cancelled",
                               "parameter 'state' is invalid");
        }
        state_p = state;
    } else if (sl == -2) {
        return reply_error(r, 400, "invalid_parameter",
                           "use queued, running, done, failed or cancelled",
                           "parameter 'state' is invalid");
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_run_list(c, cursor, source_id, state_p, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "runs");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, run_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_runs_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_run run;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_run_get(c, id, &run);
    store_release(r->app->store, c);
    return rc == ACDL_OK ? reply_json(r, 200, run_json(&run)) : reply_rc(r, rc, "run");
}

int route_runs_log(struct req *r)
{
    int64_t id, after = 0;
    int st, limit, n = 0;
    struct store_run run;
    struct store_run_log_line *lines = NULL;
    if ((st = req_id(r, 0, &id)) != 0 || (st = req_page(r, &limit, &after)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_run_get(c, id, &run);
    if (rc == ACDL_OK) {
        rc = store_run_log_list(c, id, after, limit + 1, &lines, &n);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "run");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_t *params = lines[i].params[0] ? json_loads(lines[i].params, 0, NULL) : NULL;
        json_array_append_new(
            items,
            json_pack("{s:I, s:o, s:s, s:s, s:o, s:o}", "seq", (json_int_t)lines[i].seq, "ts",
                      json_time(lines[i].ts), "level", lines[i].level, "message", lines[i].message,
                      "code", lines[i].code[0] ? json_string(lines[i].code) : json_null(), "params",
                      params && json_is_object(params) ? params : json_null()));
        if (params && !json_is_object(params)) {
            json_decref(params);
        }
    }
    int64_t last = shown ? lines[shown - 1].seq : 0;
    free(lines);
    return reply_page(r, items, n > limit, last);
}

int route_runs_cancel(struct req *r)
{
    int64_t id;
    int st;
    struct store_run run;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_run_cancel_queued(c, id, plat_now());
    if (rc == ACDL_EAGAIN) {
        rc = runner_cancel(r->app->runner, id) == ACDL_OK ? ACDL_EAGAIN : ACDL_ECONFLICT;
    }
    int grc = store_run_get(c, id, &run);
    store_release(r->app->store, c);
    if (rc == ACDL_ENOTFOUND || grc != ACDL_OK) {
        return reply_rc(r, grc != ACDL_OK ? grc : rc, "run");
    }
    if (rc == ACDL_ECONFLICT) {
        return reply_error(r, 409, "conflict", "only queued and running runs can be cancelled",
                           "run %lld is %s", (long long)id, run.state);
    }
    http_audit(r, "run.cancel", run.source_name, "ok", json_pack("{s:I}", "run", (json_int_t)id));
    /* a running import stops at its next row; poll the run for the final state */
    return reply_json(r, rc == ACDL_EAGAIN ? 202 : 200, run_json(&run));
}
