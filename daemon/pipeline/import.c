/* import.c: contact statistics: a source's rows (rows.h) into staged values per local day,
 * interval, external queue and metric (staging.h); see import.h for the design. */
#include "pipeline/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/why.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/agent_import.h"
#include "pipeline/mapping.h"
#include "pipeline/rows.h"
#include "pipeline/staging.h"
#include "pipeline/staging_switch.h"
#include "platform/platform.h"

/* Contact-layout rows count into these metrics. */
static const char *const contact_metrics[] = {"offered", "handled", "abandoned", "handle_time"};
enum { CM_OFFERED, CM_HANDLED, CM_ABANDONED, CM_HANDLE_TIME, CM_N };

/* The staging state of one run (or preview) over its rows. */
struct imp {
    struct rows r;
    struct staging *st;            /* NULL in preview */
    int col_metric[ROWS_MAX_COLS]; /* the current input's metric columns: run-local ids */
    int contact_metric[CM_N];
    int step;            /* interval seconds */
    int64_t zero_filled; /* zero-fill: values set to 0, over zero_pairs queue metrics */
    int zero_pairs;
    char map_from[11], map_to[11]; /* the days whose results the run computes ("" none) */
    int stream_noted;              /* the run log said why streaming ended */
};

/* The current input's metrics as run-local ids. */
static int imp_columns(struct rows *r, void *ctx)
{
    struct imp *m = ctx;
    if (!m->st) {
        return ACDL_OK;
    }
    if (r->cfg->layout == LAYOUT_CONTACT) {
        for (int i = 0; i < CM_N; i++) {
            int id = staging_metric(m->st, contact_metrics[i]);
            if (id < 0) {
                return id;
            }
            m->contact_metric[i] = id;
        }
        return ACDL_OK;
    }
    for (int i = 0; i < r->nmetric_cols; i++) {
        int id = staging_metric(m->st, r->metric_names[i]);
        if (id < 0) {
            rows_note(
                r, "error", "run.metric_not_staged",
                why_attach(json_pack("{s:s, s:s}", "where", r->where, "metric", r->metric_names[i]),
                           "reason", acdl_strerror(id)),
                "%s: metric '%s' cannot be staged: %s", r->where, r->metric_names[i],
                acdl_strerror(id));
            return id;
        }
        m->col_metric[i] = id;
    }
    return ACDL_OK;
}

static int imp_end_input(struct rows *r, void *ctx)
{
    struct imp *m = ctx;
    (void)r;
    return m->st ? staging_spill(m->st) : ACDL_OK;
}

/* Preview: the row's parsed queue, interval and values as JSON. */
static void preview_value(struct imp *m, int64_t interval, const char *queue, size_t qlen,
                          const char *metric, double value)
{
    json_t *values = json_object_get(m->r.preview_row, "values");
    if (!values) {
        char local[40], ds[11], iso[32];
        int minute, second, off;
        struct tz_date lday;
        tz_utc_to_local(m->r.tz, interval, &lday, &minute, &second, &off);
        tz_date_format(lday, ds);
        snprintf(local, sizeof(local), "%sT%02d:%02d", ds, minute / 60, minute % 60);
        json_object_set_new(m->r.preview_row, "ext_queue", json_stringn(queue, qlen));
        plat_time_iso(interval, iso, sizeof(iso));
        json_object_set_new(m->r.preview_row, "interval_start", json_string(iso));
        json_object_set_new(m->r.preview_row, "local", json_string(local));
        values = json_object();
        json_object_set_new(m->r.preview_row, "values", values);
    }
    json_object_set_new(values, metric, json_real(value));
}

/* One value of the current row. */
static int add_value(struct imp *m, struct tz_date day, int64_t start, int slot, int q,
                     const char *queue, size_t qlen, int metric, const char *metric_name,
                     double value)
{
    if (!m->st) {
        preview_value(m, start, queue, qlen, metric_name, value);
        return ACDL_OK;
    }
    return staging_add(m->st, day, m->r.day_intervals[0], m->step, m->r.nday_intervals, slot, q,
                       metric, value);
}

/* Once, when staging stopped streaming the days (staging_stream()): why, in the run log. */
static void stream_note(struct imp *m)
{
    struct tz_date day, after;
    char ds[11], as[11];
    int why = m->st && !m->stream_noted ? staging_stream_fallback(m->st, &day, &after) : 0;
    if (!why) {
        return;
    }
    m->stream_noted = 1;
    tz_date_format(day, ds);
    tz_date_format(after, as);
    if (why == STAGING_UNORDERED) {
        rows_note(
            &m->r, "info", "run.rows_unordered",
            json_pack("{s:I, s:s, s:s}", "row", (json_int_t)m->r.line, "day", ds, "after", as),
            "query row %llu holds %s after rows of %s: the rows are not ordered by time, "
            "so the days are staged at the end of the run (ORDER BY the interval start "
            "or timestamp makes the import faster)",
            (unsigned long long)m->r.line, ds, as);
    } else {
        rows_note(&m->r, "info", "run.day_too_large", json_pack("{s:s}", "day", ds),
                  "the values of %s alone exceed the memory bound: the days are staged at the "
                  "end of the run",
                  ds);
    }
}

/* The sink's row: one interval row (its metrics) or one contact (offered, handled or
 * abandoned, handle time) into the accumulator. */
static int imp_row(struct rows *r, void *ctx)
{
    struct imp *m = ctx;
    struct tz_date day;
    int64_t utc;
    int minute, second, rc;
    char why[160];
    why[0] = '\0'; /* printed after parsers that fail: never unwritten */
    if (m->r.null[m->r.i_queue] || m->r.len[m->r.i_queue] == 0) {
        rows_reject_column(&m->r, m->r.i_queue, 0, rows_why("row.no_queue", "no queue"));
        return ACDL_OK;
    }
    const char *queue = m->r.val[m->r.i_queue];
    size_t qlen = m->r.len[m->r.i_queue];
    if (qlen > 128) {
        rows_reject_column(&m->r, m->r.i_queue, 0,
                           rows_why("row.queue_too_long", "queue id longer than 128 characters"));
        return ACDL_OK;
    }
    rc = rows_time(&m->r, queue, qlen, &day, &utc, &minute, &second);
    if (rc == 1) {
        m->r.k.rows_filtered++;
        return ACDL_OK;
    }
    if (rc != ACDL_OK) {
        return ACDL_OK;
    }
    int64_t start;
    int slot, q = -1;
    if (rows_interval(r, day, utc, &start, &slot) != 0) {
        rows_reject(&m->r, "row.outside_intervals", NULL, "time outside its day's intervals");
        return ACDL_OK;
    }
    int has_name = r->i_qname >= 0 && !r->null[r->i_qname] && r->len[r->i_qname] > 0;
    if (!m->st) {
        if (has_name) {
            json_object_set_new(r->preview_row, "queue_name",
                                json_stringn(r->val[r->i_qname], r->len[r->i_qname]));
        }
    } else if ((q = staging_queue(m->st, queue, qlen, has_name ? r->val[r->i_qname] : NULL,
                                  has_name ? r->len[r->i_qname] : 0)) < 0) {
        return q;
    }
    if (m->r.cfg->layout == LAYOUT_CONTACT) {
        double dur = 0;
        int ia = m->r.i_answered;
        int answered = source_cfg_answered(m->r.cfg, m->r.null[ia] ? "" : m->r.val[ia],
                                           m->r.null[ia] ? 0 : m->r.len[ia]);
        if (answered < 0) {
            char what[200];
            snprintf(what, sizeof(what),
                     "'%.*s' is in neither answered_values nor unanswered_values",
                     (int)(m->r.len[ia] > 64 ? 64 : m->r.len[ia]), m->r.val[ia]);
            why_note(what, "row.answered_unknown",
                     json_pack("{s:s%}", "value", m->r.val[ia],
                               m->r.len[ia] > 64 ? (size_t)64 : m->r.len[ia]));
            rows_reject_column(&m->r, ia, 1, what);
            return ACDL_OK;
        }
        if (!m->r.cfg->nanswered_values && !m->r.answered_guess_warned && !m->r.null[ia] &&
            !source_cfg_answered_plain(m->r.val[ia], m->r.len[ia])) {
            /* the default rule counts any word as answered: say so once per input, with the
             * settings that make the meaning explicit */
            size_t vlen = m->r.len[ia] > 40 ? 40 : m->r.len[ia];
            m->r.answered_guess_warned = 1;
            rows_note(&m->r, "warn", "run.answered_guessed",
                      json_pack("{s:s, s:I, s:s, s:s%}", "where", m->r.where, "line",
                                (json_int_t)m->r.line, "column", m->r.names[ia], "value",
                                m->r.val[ia], vlen),
                      "%s:%llu: the answered column '%s' holds '%.*s', which counts as answered "
                      "(without answered_values and unanswered_values only empty, 0, n, f, no "
                      "and false mean not answered): list the values in answered_values and "
                      "unanswered_values",
                      m->r.where, (unsigned long long)m->r.line, m->r.names[ia], (int)vlen,
                      m->r.val[ia]);
        }
        if (answered && !m->r.null[m->r.i_duration]) {
            rc = rows_parse_number(&m->r, m->r.val[m->r.i_duration], m->r.len[m->r.i_duration],
                                   &dur, why, sizeof(why));
            if (rc < 0) {
                rows_reject_column(&m->r, m->r.i_duration, 0, why);
                return ACDL_OK;
            }
        }
        int kind = answered ? CM_HANDLED : CM_ABANDONED;
        if ((rc = add_value(m, day, start, slot, q, queue, qlen, m->contact_metric[CM_OFFERED],
                            contact_metrics[CM_OFFERED], 1)) ||
            (rc = add_value(m, day, start, slot, q, queue, qlen, m->contact_metric[kind],
                            contact_metrics[kind], 1)) ||
            (answered &&
             (rc = add_value(m, day, start, slot, q, queue, qlen, m->contact_metric[CM_HANDLE_TIME],
                             contact_metrics[CM_HANDLE_TIME], dur)))) {
            return rc;
        }
        m->r.k.rows_staged++;
        stream_note(m);
        return ACDL_OK;
    }
    /* interval layout: check every metric first, so a bad row stages nothing */
    double values[ROWS_MAX_COLS];
    int has[ROWS_MAX_COLS];
    for (int i = 0; i < m->r.nmetric_cols; i++) {
        int col = m->r.i_metric[i];
        has[i] = 0;
        if (m->r.null[col]) {
            continue;
        }
        rc = rows_parse_number(&m->r, m->r.val[col], m->r.len[col], &values[i], why, sizeof(why));
        if (rc < 0) {
            rows_reject_column(&m->r, col, 1, why);
            return ACDL_OK;
        }
        has[i] = rc == 0;
    }
    for (int i = 0; i < m->r.nmetric_cols; i++) {
        if (has[i] && (rc = add_value(m, day, start, slot, q, queue, qlen, m->col_metric[i],
                                      m->r.metric_names[i], values[i]))) {
            return rc;
        }
    }
    m->r.k.rows_staged++;
    stream_note(m);
    return ACDL_OK;
}

/* Inside the staging transaction: the files count as imported, and a zero-fill run gives 0 to
 * the empty intervals of its days. */
static int commit_in_tx(void *ctx)
{
    struct imp *m = ctx;
    int rc = rows_files_commit(&m->r);
    if (rc == ACDL_OK && m->r.run->zero_fill) {
        rc = staging_zero_fill(m->st, m->r.tz, m->r.cfg->interval_minutes, m->r.from, m->r.to,
                               &m->zero_filled, &m->zero_pairs);
    }
    if (rc == ACDL_OK && m->map_from[0]) { /* same transaction: survives a crash before mapping */
        rc = mapping_mark_due(m->r.c, m->r.run->id, m->map_from, m->map_to);
    }
    return rc;
}

int import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel)
{
    if (agent_import_is_states(app, run->source_id)) {
        return agent_import_run(app, run, cancel);
    }
    struct imp *m = calloc(1, sizeof(*m));
    char err[600] = "";
    int rc;

    if (!m) {
        return ACDL_ENOMEM;
    }
    struct rows *r = &m->r;
    const struct rows_sink sink = {
        .columns = imp_columns, .row = imp_row, .end_input = imp_end_input, .ctx = m};
    rc = rows_open(r, app, run, cancel, 0, err, sizeof(err));
    if (rc != ACDL_OK) {
        goto out;
    }
    enum source_kind kind = r->cfg->kind;
    enum source_layout layout = r->cfg->layout;
    r->k.days_total = tz_date_diff(r->to, r->from) + 1;
    store_run_progress(r->c, run->id, &r->k);
    m->step = r->cfg->interval_minutes * 60;
    /* a large run of this source staged before a crash or failure: finished before reading */
    if ((rc = staging_switch_settle(r->c, run->source_id, NULL)) != ACDL_OK) {
        rows_set_error(err, sizeof(err), "run.error_settle",
                       why_attach(json_object(), "reason", acdl_strerror(store_thread_rc(rc))),
                       "the days an earlier run staged could not be finished: %s",
                       acdl_strerror(store_thread_rc(rc)));
        goto out;
    }
    {
        /* staged before a crash, not yet mapped: compute it before reading on */
        int64_t results = 0;
        int failed = 0;
        char merr[400] = "";
        if (mapping_apply_due(r->c, run->id, run->source_id, &results, &failed, merr,
                              sizeof(merr)) == ACDL_OK &&
            results > 0) {
            rows_note(r, "info", "run.mapping_resumed",
                      json_pack("{s:I}", "n", (json_int_t)results),
                      "mapping: %lld results computed for days staged before the run was "
                      "interrupted",
                      (long long)results);
        }
    }
again:
    if ((rc = staging_open(&m->st, r->c, run->source_id, run->id)) != ACDL_OK) {
        rows_set_error(err, sizeof(err), "run.error_staging_area", NULL,
                       "cannot prepare the staging area");
        goto out;
    }
    if (kind == SOURCE_ODBC && !run->zero_fill) {
        /* a query ordered by time stages each day as the next begins; ODBC runs replace
         * their period whole (a zero-fill run is staged whole: it reads the replaced days) */
        staging_stream(m->st, run->period_from, run->period_to);
        staging_stream_lean(m->st);
    } else if (kind == SOURCE_CSV && !run->zero_fill) {
        /* files of one day each, read in time order (the usual export), stage the same way:
         * no spill table in between; files in another order end streaming at their first
         * earlier day and are spilled as before (a normal case for files, not worth a note;
         * what a re-read replaces is known at the commit, which tells the switch) */
        staging_stream(m->st, NULL, NULL);
        m->stream_noted = 1;
    }
    rows_note(r, "info", "run.import_start",
              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "source", r->src.name, "kind",
                        r->src.kind, "layout", r->src.layout, "zone", r->src.time_zone, "from",
                        run->period_from, "to", run->period_to),
              "import of %s (%s, %s layout, %s) for %s .. %s", r->src.name, r->src.kind,
              r->src.layout, r->src.time_zone, run->period_from, run->period_to);
    rc = rows_read(r, &sink);
    if (rc == ACDL_EAGAIN && r->part_mismatch && !r->no_day_split) {
        /* read in parts of a day, the query gave a row outside its part: it selects by
         * something else than the time (a date, say), so the run reads again by whole days */
        rows_note(r, "info", "run.day_parts_mismatch",
                  json_pack("{s:I}", "row", (json_int_t)r->line),
                  "query row %llu lies outside the part of the day it was asked for: the query "
                  "does not select by the time within a day, so the run reads again with one "
                  "query per day",
                  (unsigned long long)r->line);
        staging_close(m->st);
        m->st = NULL;
        m->stream_noted = 0;
        rows_restart(r);
        goto again;
    }
    if (rc == ACDL_OK) {
        int64_t dups = staging_overlaps(m->st);
        if (dups > 0 && layout == LAYOUT_INTERVAL) {
            rows_note(r, "warn", "run.values_added_up", json_pack("{s:I}", "n", (json_int_t)dups),
                      "%lld values came in more than one row (same queue, interval and "
                      "metric); they were added up",
                      (long long)dups);
        }
        snprintf(m->map_from, sizeof(m->map_from), "%s", run->period_from);
        snprintf(m->map_to, sizeof(m->map_to), "%s", run->period_to);
        if (kind == SOURCE_CSV && r->seen_any) {
            struct tz_date lo = r->seen_from, hi = r->seen_to;
            if (run->zero_fill && tz_date_cmp(r->from, lo) < 0) {
                lo = r->from; /* the zero-filled days need their results too */
            }
            if (run->zero_fill && tz_date_cmp(r->to, hi) > 0) {
                hi = r->to;
            }
            tz_date_format(lo, m->map_from);
            tz_date_format(hi, m->map_to);
        }
        if (!(kind == SOURCE_ODBC || r->seen_any || run->zero_fill)) {
            m->map_from[0] = '\0';
        }
        /* ODBC: the query returned whole days, they replace what was staged for them; a CSV
         * re-read replaces the period's days from the first to the last one its files hold
         * (days before and after, which no file holds any more, keep what they have) */
        /* zero-fill reads the staged days, so a replacing run that fills stays whole */
        char rfrom[11] = "", rto[11] = "";
        if (kind == SOURCE_ODBC) {
            snprintf(rfrom, sizeof(rfrom), "%s", run->period_from);
            snprintf(rto, sizeof(rto), "%s", run->period_to);
        } else if (r->reread && r->seen_any) {
            tz_date_format(r->seen_from, rfrom);
            tz_date_format(r->seen_to, rto);
            rows_note(r, "info", "run.reread_replaced",
                      json_pack("{s:s, s:s}", "from", rfrom, "to", rto),
                      "re-read: the staged days %s to %s are replaced by what the files hold",
                      rfrom, rto);
        } else if (r->reread) {
            rows_note(r, "warn", "run.reread_nothing",
                      json_pack("{s:s, s:s}", "from", run->period_from, "to", run->period_to),
                      "re-read: no file in the folder holds rows of %s to %s; nothing was "
                      "replaced",
                      run->period_from, run->period_to);
        }
        rc = staging_commit(m->st, rfrom[0] ? rfrom : NULL, rto[0] ? rto : NULL,
                            rfrom[0] && run->zero_fill, commit_in_tx, m);
        if (rc == ACDL_OK) {
            int64_t results = 0;
            int failed = 0;
            char merr[400] = "";
            rows_files_after(r);
            r->k.days_done = r->k.days_total;
            if (run->zero_fill) {
                rows_note(r, "info", "run.zero_filled",
                          json_pack("{s:I, s:i}", "n", (json_int_t)m->zero_filled, "pairs",
                                    m->zero_pairs),
                          "zero-fill: %lld empty intervals set to 0 over %d queue metrics (inputs "
                          "of sum and formula mappings; averages stay empty)",
                          (long long)m->zero_filled, m->zero_pairs);
            }
            int mrc = mapping_apply_due(r->c, run->id, run->source_id, &results, &failed, merr,
                                        sizeof(merr));
            rows_note(r, failed || mrc != ACDL_OK ? "warn" : "info",
                      failed || mrc != ACDL_OK ? "run.mapping_partial" : "run.mapping_done",
                      json_pack("{s:I, s:s}", "n", (json_int_t)results, "detail", merr),
                      "mapping: %lld results computed%s%s", (long long)results,
                      failed || mrc != ACDL_OK ? "; " : "", merr);
            if (failed || mrc != ACDL_OK) {
                /* the run is done but partial: what failed stays due and is retried */
                r->k.failed_mappings = failed ? failed : 1;
                const char *why = merr[0] ? merr : acdl_strerror(mrc);
                rows_set_error(
                    err, sizeof(err), "run.error_mappings",
                    why_attach(json_pack("{s:i}", "n", r->k.failed_mappings), "detail", why),
                    "%d of the source's mappings could not be computed; %s (GET "
                    "/api/v1/recomputes): %s",
                    r->k.failed_mappings,
                    r->k.failed_mappings == 1 ? "it stays due and is retried"
                                              : "they stay due and are retried",
                    why);
            }
        } else {
            rows_set_error(err, sizeof(err), "run.error_staging",
                           why_attach(json_object(), "reason", acdl_strerror(rc)),
                           "staging failed: %s", acdl_strerror(rc));
        }
    }
    if (rc != ACDL_OK) {
        r->k.rows_staged = 0; /* the staging transaction never ran or was rolled back */
    }
out:
    staging_close(m->st);
    rows_finish(r, rc, "import", err, sizeof(err));
    free(m);
    return rc;
}

int import_preview(struct app *app, int64_t source_id, const char *day, int max_rows, json_t **out,
                   char *err, size_t errsz)
{
    if (agent_import_is_states(app, source_id)) {
        return agent_import_preview(app, source_id, day, max_rows, out, err, errsz);
    }
    struct imp *m = calloc(1, sizeof(*m));
    if (!m) {
        return ACDL_ENOMEM;
    }
    const struct rows_sink sink = {
        .columns = imp_columns, .row = imp_row, .end_input = imp_end_input, .ctx = m};
    int rc = rows_preview(&m->r, app, source_id, day, max_rows, &sink, out, err, errsz);
    free(m);
    return rc;
}
