/* import.c: contact statistics: a source's rows into staged values per local day, interval,
 * external queue and metric (see import.h for the design; the rows come from rows.h). */
#include "pipeline/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/agent_import.h"
#include "pipeline/mapping.h"
#include "pipeline/rows.h"
#include "platform/platform.h"

#define BATCH_ROWS 10000

/* The staging state of one run (or preview) over its rows. */
struct imp {
    struct rows r;
    int in_batch, batch_rows;
};

/* The run log lives in the main database: end the temp-table batch before writing to it. */
static void imp_pause(void *ctx)
{
    struct imp *m = ctx;
    if (m->in_batch) {
        sqlite3_exec(store_db(m->r.c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
}

/* --- accumulation in the run's temporary table --- */

static int acc_add(struct imp *m, struct tz_date day, int64_t interval, const char *queue,
                   size_t qlen, const char *metric, double value)
{
    char ds[11];
    sqlite3 *db = store_db(m->r.c);
    if (m->r.preview_row) {
        char local[40];
        int minute, second, off;
        struct tz_date lday;
        json_t *values = json_object_get(m->r.preview_row, "values");
        if (!values) {
            tz_utc_to_local(m->r.tz, interval, &lday, &minute, &second, &off);
            tz_date_format(lday, ds);
            snprintf(local, sizeof(local), "%sT%02d:%02d", ds, minute / 60, minute % 60);
            json_object_set_new(m->r.preview_row, "ext_queue", json_stringn(queue, qlen));
            char iso[32];
            plat_time_iso(interval, iso, sizeof(iso));
            json_object_set_new(m->r.preview_row, "interval_start", json_string(iso));
            json_object_set_new(m->r.preview_row, "local", json_string(local));
            values = json_object();
            json_object_set_new(m->r.preview_row, "values", values);
        }
        json_object_set_new(values, metric, json_real(value));
        (void)day;
        return ACDL_OK;
    }
    if (!m->in_batch) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            return ACDL_EDB;
        }
        m->in_batch = 1;
    }
    sqlite3_stmt *s = store_prepare(
        m->r.c, "INSERT INTO temp.import_acc (day, interval_start, ext_queue, metric, value, n) "
                "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET value = value + "
                "excluded.value, n = n + 1");
    if (!s) {
        return ACDL_EDB;
    }
    tz_date_format(day, ds);
    sqlite3_bind_text(s, 1, ds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, interval);
    sqlite3_bind_text(s, 3, queue, (int)qlen, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, metric, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 5, value);
    int r = sqlite3_step(s);
    store_done(s);
    if (r != SQLITE_DONE) {
        log_error("import", "run %lld: staging failed: %s", (long long)m->r.run->id,
                  sqlite3_errmsg(db));
        return ACDL_EDB;
    }
    if (++m->batch_rows >= BATCH_ROWS) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
        m->batch_rows = 0;
    }
    return ACDL_OK;
}

static int note_queue_name(struct imp *m, const char *queue, size_t qlen, const char *name,
                           size_t nlen)
{
    if (m->r.preview_row) {
        json_object_set_new(m->r.preview_row, "queue_name", json_stringn(name, nlen));
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(m->r.c, "INSERT OR REPLACE INTO temp.import_names (ext_queue, "
                                            "name) VALUES (?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_text(s, 1, queue, (int)qlen, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, name, (int)nlen, SQLITE_TRANSIENT);
    int r = sqlite3_step(s);
    store_done(s);
    return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
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
    if (m->r.null[m->r.i_queue] || m->r.len[m->r.i_queue] == 0) {
        rows_error(&m->r, "column '%s': no queue", m->r.names[m->r.i_queue]);
        return ACDL_OK;
    }
    const char *queue = m->r.val[m->r.i_queue];
    size_t qlen = m->r.len[m->r.i_queue];
    if (qlen > 128) {
        rows_error(&m->r, "column '%s': queue id longer than 128 characters",
                   m->r.names[m->r.i_queue]);
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
    if (rows_interval(r, day, utc, &start, NULL) != 0) {
        rows_error(&m->r, "time outside its day's intervals");
        return ACDL_OK;
    }
    if (m->r.i_qname >= 0 && !m->r.null[m->r.i_qname] && m->r.len[m->r.i_qname] > 0 &&
        note_queue_name(m, queue, qlen, m->r.val[m->r.i_qname], m->r.len[m->r.i_qname]) !=
            ACDL_OK) {
        return ACDL_EDB;
    }
    if (m->r.cfg->layout == LAYOUT_CONTACT) {
        double dur = 0;
        int answered = !m->r.null[m->r.i_answered] &&
                       rows_truthy(m->r.val[m->r.i_answered], m->r.len[m->r.i_answered]);
        if (answered && !m->r.null[m->r.i_duration]) {
            rc = rows_parse_number(&m->r, m->r.val[m->r.i_duration], m->r.len[m->r.i_duration],
                                   &dur, why, sizeof(why));
            if (rc < 0) {
                rows_error(&m->r, "column '%s': %s", m->r.names[m->r.i_duration], why);
                return ACDL_OK;
            }
        }
        if ((rc = acc_add(m, day, start, queue, qlen, "offered", 1)) ||
            (rc = acc_add(m, day, start, queue, qlen, answered ? "handled" : "abandoned", 1)) ||
            (answered && (rc = acc_add(m, day, start, queue, qlen, "handle_time", dur)))) {
            return rc;
        }
        m->r.k.rows_staged++;
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
            rows_error(&m->r, "column %d '%s': %s", col + 1, m->r.names[col], why);
            return ACDL_OK;
        }
        has[i] = rc == 0;
    }
    for (int i = 0; i < m->r.nmetric_cols; i++) {
        if (has[i] && (rc = acc_add(m, day, start, queue, qlen, m->r.metric_names[i], values[i]))) {
            return rc;
        }
    }
    m->r.k.rows_staged++;
    return ACDL_OK;
}

/* --- staging in one transaction --- */

static int exec_bound(struct imp *m, const char *sql)
{
    sqlite3_stmt *s = store_prepare(m->r.c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
        const char *pname = sqlite3_bind_parameter_name(s, i);
        if (!pname) {
            continue;
        }
        if (!strcmp(pname, ":source")) {
            sqlite3_bind_int64(s, i, m->r.run->source_id);
        } else if (!strcmp(pname, ":run")) {
            sqlite3_bind_int64(s, i, m->r.run->id);
        } else if (!strcmp(pname, ":now")) {
            sqlite3_bind_int64(s, i, plat_now());
        } else if (!strcmp(pname, ":from")) {
            sqlite3_bind_text(s, i, m->r.run->period_from, -1, SQLITE_STATIC);
        } else if (!strcmp(pname, ":to")) {
            sqlite3_bind_text(s, i, m->r.run->period_to, -1, SQLITE_STATIC);
        }
    }
    int r = sqlite3_step(s);
    store_done(s);
    if (r != SQLITE_DONE) {
        log_error("import", "run %lld: %s", (long long)m->r.run->id,
                  sqlite3_errmsg(store_db(m->r.c)));
        return ACDL_EDB;
    }
    return ACDL_OK;
}

static int stage(struct imp *m)
{
    int rc;
    if (m->in_batch) {
        sqlite3_exec(store_db(m->r.c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if ((rc = store_begin(m->r.c)) != ACDL_OK) {
        return rc;
    }
    if (m->r.cfg->kind == SOURCE_ODBC) {
        /* the query returned whole days: they replace what was staged for them */
        rc = exec_bound(m, "DELETE FROM staged WHERE source_id = :source AND day >= :from AND "
                           "day <= :to");
    }
    if (rc == ACDL_OK) {
        rc = exec_bound(m, "INSERT OR REPLACE INTO staged (source_id, day, interval_start, "
                           "ext_queue, metric, value, run_id) SELECT :source, day, "
                           "interval_start, ext_queue, metric, value, :run FROM temp.import_acc");
    }
    if (rc == ACDL_OK) {
        rc = exec_bound(m, "INSERT INTO ext_queues (source_id, ext_queue, name, first_seen, "
                           "last_seen) SELECT DISTINCT :source, a.ext_queue, n.name, :now, :now "
                           "FROM temp.import_acc a LEFT JOIN temp.import_names n USING "
                           "(ext_queue) WHERE true ON CONFLICT DO UPDATE SET last_seen = "
                           "excluded.last_seen, name = coalesce(excluded.name, name)");
    }
    if (rc == ACDL_OK) {
        rc = rows_files_commit(&m->r);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(m->r.c);
    } else {
        store_rollback(m->r.c);
    }
    return rc;
}

static int count_duplicates(struct imp *m, int64_t *dups)
{
    sqlite3_stmt *s = store_prepare(m->r.c, "SELECT count(*) FROM temp.import_acc WHERE n > 1");
    *dups = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        *dups = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    return ACDL_OK;
}

static int prepare_temp(struct imp *m)
{
    const char *sql =
        "CREATE TEMP TABLE IF NOT EXISTS import_acc (day TEXT NOT NULL, interval_start INTEGER "
        "NOT NULL, ext_queue TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, n INTEGER "
        "NOT NULL, PRIMARY KEY (day, interval_start, ext_queue, metric)) WITHOUT ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS import_names (ext_queue TEXT PRIMARY KEY, name TEXT);"
        "DELETE FROM temp.import_acc; DELETE FROM temp.import_names;";
    return sqlite3_exec(store_db(m->r.c), sql, NULL, NULL, NULL) == SQLITE_OK ? ACDL_OK : ACDL_EDB;
}

int import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel)
{
    if (agent_import_is_states(app, run->source_id)) {
        return agent_import_run(app, run, cancel);
    }
    struct imp *m = calloc(1, sizeof(*m));
    char err[600] = "";
    int rc;
    const char *state = "failed";

    if (!m) {
        return ACDL_ENOMEM;
    }
    struct rows *r = &m->r;
    const struct rows_sink sink = {imp_row, NULL, imp_pause, m};
    rc = rows_open(r, app, run, cancel, 0, err, sizeof(err));
    if (rc != ACDL_OK) {
        goto out;
    }
    enum source_kind kind = r->cfg->kind;
    enum source_layout layout = r->cfg->layout;
    r->k.days_total = tz_date_diff(r->to, r->from) + 1;
    store_run_progress(r->c, run->id, &r->k);
    if ((rc = prepare_temp(m)) != ACDL_OK) {
        snprintf(err, sizeof(err), "cannot prepare the staging area");
        goto out;
    }
    rows_log(r, "info", "import of %s (%s, %s layout, %s) for %s .. %s", r->src.name, r->src.kind,
             r->src.layout, r->src.time_zone, run->period_from, run->period_to);
    rc = rows_read(r, &sink);
    if (rc == ACDL_OK) {
        int64_t dups = 0;
        count_duplicates(m, &dups);
        if (dups > 0 && layout == LAYOUT_INTERVAL) {
            rows_log(r, "warn",
                     "%lld values came in more than one row (same queue, interval and "
                     "metric); they were added up",
                     (long long)dups);
        }
        rc = stage(m);
        if (rc == ACDL_OK) {
            int64_t results = 0;
            int failed = 0;
            char merr[400] = "";
            rows_files_after(r);
            r->k.days_done = r->k.days_total;
            char mfrom[11], mto[11];
            snprintf(mfrom, sizeof(mfrom), "%s", run->period_from);
            snprintf(mto, sizeof(mto), "%s", run->period_to);
            if (kind == SOURCE_CSV && r->seen_any) {
                tz_date_format(r->seen_from, mfrom);
                tz_date_format(r->seen_to, mto);
            }
            if (kind == SOURCE_ODBC || r->seen_any) {
                mapping_apply_source(r->c, run->source_id, mfrom, mto, &results, &failed, merr,
                                     sizeof(merr));
            }
            rows_log(r, failed ? "warn" : "info", "mapping: %lld results computed%s%s",
                     (long long)results, failed ? "; " : "", merr);
        } else {
            snprintf(err, sizeof(err), "staging failed: %s", acdl_strerror(rc));
        }
    }
    if (rc != ACDL_OK) {
        r->k.rows_staged = 0; /* the staging transaction never ran or was rolled back */
    }
    if (rc == ACDL_ESTOP) {
        state = "cancelled";
        snprintf(err, sizeof(err), "cancelled; nothing of this run was staged");
    } else if (rc == ACDL_OK) {
        state = "done";
    } else if (!err[0]) {
        snprintf(err, sizeof(err), "%s (see the run log)", acdl_strerror(rc));
    }
out:
    if (m->in_batch) {
        sqlite3_exec(store_db(r->c), "ROLLBACK", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if (r->c) {
        if (rc != ACDL_OK && err[0] && strcmp(state, "cancelled") != 0) {
            rows_log(r, "error", "%s", err);
        }
        rows_log(r, "info",
                 "%s: %lld rows read, %lld staged, %lld rejected, %lld filtered; %d files read, "
                 "%d skipped",
                 state, (long long)r->k.rows_read, (long long)r->k.rows_staged,
                 (long long)r->k.rows_rejected, (long long)r->k.rows_filtered, r->k.files_read,
                 r->k.files_skipped);
        if (r->row_errors > ROWS_LOG_ERRORS) {
            rows_log(r, "warn", "%d more rejected rows are not listed here",
                     r->row_errors - ROWS_LOG_ERRORS);
        }
        store_run_finish(r->c, run->id, state, rc == ACDL_OK ? NULL : err, &r->k, plat_now());
    }
    log_info("import", "run %lld of source %lld: %s", (long long)run->id, (long long)run->source_id,
             state);
    rows_close(r);
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
    struct store_run run;
    struct import_cancel cancel;
    int rc;
    if (!m) {
        return ACDL_ENOMEM;
    }
    struct rows *r = &m->r;
    const struct rows_sink sink = {imp_row, NULL, imp_pause, m};
    memset(&run, 0, sizeof(run));
    run.source_id = source_id;
    snprintf(run.period_from, sizeof(run.period_from), "%.10s", day);
    snprintf(run.period_to, sizeof(run.period_to), "%.10s", day);
    import_cancel_init(&cancel);
    struct tz_date d;
    if (tz_date_parse(day, &d) != ACDL_OK) {
        snprintf(err, errsz, "day: '%.20s' is not YYYY-MM-DD", day);
        rc = ACDL_EINVAL;
        goto out;
    }
    rc = rows_open(r, app, &run, &cancel, max_rows > 0 ? max_rows : 1, err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = rows_read(r, &sink);
    if (rc == ACDL_ESTOP) {
        rc = ACDL_OK; /* enough rows */
    }
    json_t *cols = json_array();
    for (int i = 0; i < r->nnames; i++) {
        json_array_append_new(cols, json_string(r->names[i]));
    }
    *out = json_pack(
        "{s:I, s:s, s:o, s:O, s:O, s:{s:I, s:I, s:I, s:I}}", "source_id", (json_int_t)source_id,
        "day", day, "columns", cols, "rows", r->preview_rows, "messages", r->preview_msgs, "counts",
        "rows_read", (json_int_t)r->k.rows_read, "rows_ok",
        (json_int_t)(r->k.rows_read - r->k.rows_rejected - r->k.rows_filtered), "rows_rejected",
        (json_int_t)r->k.rows_rejected, "rows_filtered", (json_int_t)r->k.rows_filtered);
    rc = ACDL_OK;
out:
    rows_close(r);
    import_cancel_destroy(&cancel);
    free(m);
    return rc;
}
