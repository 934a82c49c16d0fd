/* health.c: collecting the degraded states of the appliance, each with its reason. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/err.h"
#include "core/why.h"
#include "ops/health.h"
#include "platform/platform.h"
#include "platform/printf.h"
#include "store/alerts.h"
#include "store/store.h"
#include "store/targets.h"
#include "store/users.h"

#define RECOMPUTE_OVERDUE_S 120 /* a recompute waiting longer than this is a problem */

static const char *const names[HEALTH_NCHECKS] = {"disk",       "database", "runs",  "targets",
                                                  "recomputes", "backlog",  "alerts"};

const char *health_check_name(enum health_check k)
{
    return k >= 0 && k < HEALTH_NCHECKS ? names[k] : "?";
}

int health_degraded(const struct health *h)
{
    for (int i = 0; i < HEALTH_NCHECKS; i++) {
        if (h->degraded[i]) {
            return 1;
        }
    }
    return 0;
}

/* Marks check k degraded with why: its message code, parameters (stolen) and English text. */
static void flag(struct health *h, enum health_check k, const char *code, json_t *params,
                 const char *fmt, ...) ACDL_PRINTF(5, 6);
static void flag(struct health *h, enum health_check k, const char *code, json_t *params,
                 const char *fmt, ...)
{
    va_list ap;
    char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    h->degraded[k] = 1;
    va_start(ap, fmt);
    vsnprintf(h->message[k], sizeof(h->message[k]), fmt, ap);
    va_end(ap);
    h->code[k] = NULL;
    if (text && strlen(text) < sizeof(h->params[k])) {
        h->code[k] = code;
        snprintf(h->params[k], sizeof(h->params[k]), "%s", text);
    }
    free(text);
    json_decref(params);
}

static void check_disk(struct app *app, struct health *h)
{
    const char *dir = app->cfg->data_dir;
    h->disk_min_free = (long long)app->cfg->disk_min_free_mb * 1024 * 1024;
    if (plat_disk_space(dir, &h->disk_free, &h->disk_total) != ACDL_OK) {
        h->disk_free = h->disk_total = -1;
        flag(h, HEALTH_DISK, "health.disk_unknown", json_pack("{s:s}", "folder", dir),
             "cannot read the free space of %s", dir);
    } else if (h->disk_free < h->disk_min_free) {
        flag(h, HEALTH_DISK, "health.disk_low",
             json_pack("{s:s, s:I, s:i}", "folder", dir, "free_mib",
                       (json_int_t)(h->disk_free / (1024 * 1024)), "min_mib",
                       app->cfg->disk_min_free_mb),
             "the data folder %s has %lld MiB free, less than disk_min_free_mb (%d MiB): free "
             "space, or imports and changes fail once it is full",
             dir, h->disk_free / (1024 * 1024), app->cfg->disk_min_free_mb);
    }
}

static void check_database(struct health *h)
{
    int64_t at = 0;
    char why[160] = "", when[32];
    int rc = store_write_state(&at, why, sizeof(why));
    if (!h->db_ok) {
        flag(h, HEALTH_DATABASE, "health.db_down", NULL,
             "the database does not answer; see the daemon's log");
    } else if (rc != ACDL_OK) {
        plat_time_iso(at, when, sizeof(when));
        flag(h, HEALTH_DATABASE, "health.db_read_only",
             why_attach(json_pack("{s:s}", "since", when), "why", why),
             "the database cannot be written since %s (%s): nothing new is stored until this "
             "is fixed",
             when, why);
    }
}

/* Runs the query (no parameters but now), which gives count, name and detail of the first (and
 * the detail's message code and parameters when code is not NULL). */
static int64_t count_named_coded(struct store_conn *c, const char *sql, int64_t now, char *name,
                                 size_t namesz, char *detail, size_t detailsz, char *code,
                                 size_t codesz, char *params, size_t paramssz)
{
    int64_t n = 0;
    sqlite3_stmt *s = store_prepare(c, sql);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, now);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) {
            store_column_text(s, 0, name, namesz);
            store_column_text(s, 1, detail, detailsz);
            if (code) {
                store_column_text(s, 2, code, codesz);
                store_column_text(s, 3, params, paramssz);
            }
        }
        n++;
    }
    store_done(s);
    return r == SQLITE_DONE ? n : -1;
}

/* The parameters n, name and detail of a health problem, with detail_code and detail_params
 * beside the detail when code is not empty (the console words the detail from them). */
static json_t *named_params(int64_t n, const char *name, const char *detail, const char *code,
                            const char *cparams)
{
    json_t *p = json_pack("{s:I, s:s, s:s}", "n", (json_int_t)n, "name", name, "detail", detail);
    json_t *dp = code[0] ? json_loads(cparams, 0, NULL) : NULL;
    if (p && dp) {
        json_object_set_new(p, "detail_code", json_string(code));
        json_object_set_new(p, "detail_params", dp);
    } else {
        json_decref(dp);
    }
    return p;
}

static void check_work(struct app *app, struct store_conn *c, struct health *h, int64_t now)
{
    char name[160], detail[520], code[48], cparams[800];
    /* the latest finished run of each source: failed, or done with mappings left uncomputed */
    h->runs_failing = count_named_coded(
        c,
        "SELECT s.name, CASE WHEN r.state = 'failed' THEN coalesce(r.error, 'failed') ELSE "
        "coalesce(r.error, r.failed_mappings || ' mapping(s) failed') END, "
        "coalesce(r.error_code, ''), coalesce(r.error_params, '') FROM runs r "
        "JOIN sources s ON s.id = r.source_id WHERE ?1 >= 0 AND r.id IN (SELECT max(id) FROM "
        "runs WHERE state IN ('done', 'failed') GROUP BY source_id) AND (r.state = 'failed' OR "
        "r.failed_mappings > 0) ORDER BY r.id DESC",
        now, name, sizeof(name), detail, sizeof(detail), code, sizeof(code), cparams,
        sizeof(cparams));
    if (h->runs_failing > 0) {
        json_t *p = named_params(h->runs_failing, name, detail, code, cparams);
        flag(h, HEALTH_RUNS, "health.runs_failed", p,
             "the last run of %lld source(s) failed; '%s': %s", (long long)h->runs_failing, name,
             detail);
    }
    /* incremental sources whose polls have failed for a while (poller.h: they are retried) */
    int64_t polls = h->runs_failing > 0 ? 0
                                        : count_named_coded(c,
                                                            "SELECT s.name, f.last_error FROM "
                                                            "(SELECT source_id, last_error, "
                                                            "failing_since FROM source_follow "
                                                            "UNION ALL SELECT source_id, "
                                                            "last_error, failing_since FROM "
                                                            "source_file_follow) f JOIN sources "
                                                            "s ON s.id = f.source_id WHERE "
                                                            "s.enabled = 1 AND f.failing_since "
                                                            "<= ?1 - 10 ORDER BY s.id",
                                                            now, name, sizeof(name), detail,
                                                            sizeof(detail), NULL, 0, NULL, 0);
    if (polls > 0) {
        h->runs_failing = polls;
        flag(h, HEALTH_RUNS, "health.polls_failing",
             json_pack("{s:I, s:s, s:s}", "n", (json_int_t)polls, "name", name, "detail", detail),
             "the polls of %lld source(s) fail (they are retried); '%s': %s", (long long)polls,
             name, detail);
    }
    /* enabled targets with batches that failed for good or whose last attempt failed */
    h->targets_failing = count_named_coded(
        c,
        "SELECT t.name, coalesce(max(b.last_error), 'attempts failed'), "
        "coalesce(b.last_error_code, ''), coalesce(b.last_error_params, '') FROM batches b JOIN "
        "targets t ON t.id = b.target_id WHERE ?1 >= 0 AND t.enabled = 1 AND (b.state = "
        "'failed' OR (b.state = 'pending' AND b.attempts > 0)) GROUP BY t.id ORDER BY t.id",
        now, name, sizeof(name), detail, sizeof(detail), code, sizeof(code), cparams,
        sizeof(cparams));
    if (h->targets_failing > 0) {
        json_t *p = named_params(h->targets_failing, name, detail, code, cparams);
        flag(h, HEALTH_TARGETS, "health.targets_failing", p,
             "deliveries to %lld target(s) fail; '%s': %s", (long long)h->targets_failing, name,
             detail);
    }
    /* recomputes: failing ones, or waiting too long */
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*), count(last_error), "
                                       "count(CASE WHEN created_at < ?1 THEN 1 END), "
                                       "(SELECT last_error FROM recomputes WHERE last_error IS "
                                       "NOT NULL ORDER BY id LIMIT 1) FROM recomputes");
    if (s) {
        sqlite3_bind_int64(s, 1, now - RECOMPUTE_OVERDUE_S);
        if (sqlite3_step(s) == SQLITE_ROW) {
            h->recomputes_pending = sqlite3_column_int64(s, 0);
            h->recomputes_failing = sqlite3_column_int64(s, 1);
            int64_t overdue = sqlite3_column_int64(s, 2);
            store_column_text(s, 3, detail, sizeof(detail));
            if (h->recomputes_failing > 0) {
                flag(h, HEALTH_RECOMPUTES, "health.recomputes_failing",
                     why_attach(json_pack("{s:I, s:I}", "n", (json_int_t)h->recomputes_pending,
                                          "failing", (json_int_t)h->recomputes_failing),
                                "detail", detail),
                     "%lld result recomputation(s) pending, %lld failing (they are retried): %s",
                     (long long)h->recomputes_pending, (long long)h->recomputes_failing, detail);
            } else if (overdue > 0) {
                flag(h, HEALTH_RECOMPUTES, "health.recomputes_overdue",
                     json_pack("{s:I, s:i}", "n", (json_int_t)h->recomputes_pending, "seconds",
                               RECOMPUTE_OVERDUE_S),
                     "%lld result recomputation(s) pending for more than %d s",
                     (long long)h->recomputes_pending, RECOMPUTE_OVERDUE_S);
            }
        }
        store_done(s);
    }
    /* enabled alert channels whose last send failed */
    int64_t failing = count_named_coded(
        c,
        "SELECT name, last_error, coalesce(last_error_code, ''), coalesce(last_error_params, "
        "'') FROM alert_channels WHERE ?1 >= 0 AND enabled = 1 AND last_error IS NOT NULL ORDER "
        "BY id",
        now, name, sizeof(name), detail, sizeof(detail), code, sizeof(code), cparams,
        sizeof(cparams));
    if (failing > 0) {
        flag(h, HEALTH_ALERTS, "health.alerts_failing",
             named_params(failing, name, detail, code, cparams),
             "%lld alert channel(s) fail to deliver notices; '%s': %s (see Alerts in the "
             "console)",
             (long long)failing, name, detail);
    }
    struct store_backlog b;
    if (store_backlog_get(c, 0, &b) == ACDL_OK && b.oldest_pending_at > 0) {
        h->backlog_age_s = now - b.oldest_pending_at;
        if (h->backlog_age_s > app->cfg->backlog_warn_after) {
            flag(h, HEALTH_BACKLOG, "health.backlog",
                 json_pack("{s:I, s:I, s:i}", "n", (json_int_t)(b.pending + b.failed), "seconds",
                           (json_int_t)h->backlog_age_s, "warn", app->cfg->backlog_warn_after),
                 "%lld batch(es) wait for delivery since %lld s (warning "
                 "after backlog_warn_after, %d s)",
                 (long long)(b.pending + b.failed), (long long)h->backlog_age_s,
                 app->cfg->backlog_warn_after);
        }
    }
}

void health_collect(struct app *app, struct health *out)
{
    int64_t now = plat_now();
    memset(out, 0, sizeof(*out));
    /* one connection, one read transaction: the checks see one state of the database and take
     * its locks once instead of once per query */
    struct store_conn *c = store_acquire(app->store);
    int begun = store_read_begin(c) == ACDL_OK;
    out->db_ok = store_ping_conn(c) == ACDL_OK;
    check_disk(app, out);
    check_database(out);
    out->sessions_in_memory = store_session_memory_count(now);
    if (out->db_ok) {
        check_work(app, c, out, now);
    }
    if (begun) {
        store_read_end(c);
    }
    store_release(app->store, c);
}

json_t *health_problems_public(const struct health *h)
{
    json_t *problems = json_array();
    for (int i = 0; i < HEALTH_NCHECKS; i++) {
        if (!h->degraded[i]) {
            continue;
        }
        char msg[160];
        snprintf(msg, sizeof(msg), "%s: degraded; sign in (or send an API token) for the reason",
                 health_check_name(i));
        json_array_append_new(problems,
                              json_pack("{s:s, s:s, s:s, s:{s:s}}", "check", health_check_name(i),
                                        "message", msg, "code", "health.check_degraded", "params",
                                        "check", health_check_name(i)));
    }
    return problems;
}

json_t *health_problems_json(const struct health *h)
{
    json_t *problems = json_array();
    for (int i = 0; i < HEALTH_NCHECKS; i++) {
        if (!h->degraded[i]) {
            continue;
        }
        json_t *p =
            json_pack("{s:s, s:s}", "check", health_check_name(i), "message", h->message[i]);
        json_t *params = h->code[i] ? json_loads(h->params[i], 0, NULL) : NULL;
        if (p && params) {
            json_object_set_new(p, "code", json_string(h->code[i]));
            json_object_set_new(p, "params", params);
        } else {
            json_decref(params);
        }
        json_array_append_new(problems, p);
    }
    return problems;
}
