/* import.c: reading a source's rows into staged values (see import.h for the design). */
#include "pipeline/import.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/csv/csv.h"
#include "adapters/odbc/odbc.h"
#include "core/datetime.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "pipeline/expr.h"
#include "pipeline/mapping.h"
#include "pipeline/source_cfg.h"
#include "platform/platform.h"
#include "store/sources.h"

#define LOG_ROW_ERRORS 200 /* row errors written to the run log; the rest are counted */
#define BATCH_ROWS 10000
#define MAX_COLS 512
#define SEQ_SLOTS 4096

void import_cancel_init(struct import_cancel *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->flag = 0;
    c->conn = NULL;
}

void import_cancel_destroy(struct import_cancel *c)
{
    pthread_mutex_destroy(&c->mu);
}

void import_cancel(struct import_cancel *c)
{
    pthread_mutex_lock(&c->mu);
    c->flag = 1;
    if (c->conn) {
        odbc_conn_cancel(c->conn);
    }
    pthread_mutex_unlock(&c->mu);
}

/* A wall-time sequencer per (queue, day): tells the repeated autumn hour apart by row order. */
struct seq_slot {
    char key[160];
    struct tz_sequencer seq;
};

struct imp {
    struct app *app;
    const struct store_run *run;
    struct import_cancel *cancel;
    struct store_conn *c;
    struct source_cfg *cfg;
    struct tz *tz;
    struct tz_date from, to;
    struct store_run_counts k;
    int row_errors;
    int64_t last_progress_ms;
    int in_batch, batch_rows;
    /* the row being processed: raw fields, then derived values */
    const char *names[MAX_COLS];
    char *name_store[MAX_COLS];
    int nraw, nnames;
    const char *val[MAX_COLS];
    size_t len[MAX_COLS];
    int null[MAX_COLS];
    char derived_buf[SOURCE_MAX_DERIVED][512];
    struct expr *derived[SOURCE_MAX_DERIVED];
    struct expr *filter;
    /* role -> index into val[] (-1: none) */
    int i_queue, i_qname, i_date, i_time, i_stamp, i_answered, i_duration;
    int i_metric[SOURCE_MAX_METRICS];
    char metric_names[MAX_COLS][65];
    int nmetric_cols;
    struct datetime_format fmt_date, fmt_time, fmt_stamp;
    struct seq_slot *seq;
    /* where the row came from, for messages */
    char where[300];
    uint64_t line;
    struct tz_date seen_from, seen_to; /* CSV: the days the files held */
    int seen_any;
    /* preview: nothing is written; rows and messages are collected here instead */
    json_t *preview_rows, *preview_msgs, *preview_row;
    int preview_max;
    int64_t day_intervals[TZ_DAY_INTERVALS_MAX];
    int nday_intervals;
    struct tz_date intervals_day;
};

static void run_log(struct imp *m, const char *level, const char *fmt, ...)
    ACDL_PRINTF(3, 4);
static void run_log(struct imp *m, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m->preview_msgs) {
        json_array_append_new(m->preview_msgs,
                              json_pack("{s:s, s:s}", "level", level, "message", msg));
        return;
    }
    store_run_log(m->c, m->run->id, level, msg, plat_now());
}

static void row_error(struct imp *m, const char *fmt, ...) ACDL_PRINTF(2, 3);
static void row_error(struct imp *m, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    m->k.rows_rejected++;
    if (m->preview_row) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_object_set_new(m->preview_row, "error", json_string(msg));
        return;
    }
    if (m->row_errors++ >= LOG_ROW_ERRORS) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m->in_batch) {
        /* the run log lives in the main database: write it outside the temp-table batch */
        sqlite3_exec(store_db(m->c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    run_log(m, "warn", "%s:%llu: %s", m->where, (unsigned long long)m->line, msg);
}

static int cancelled(struct imp *m)
{
    return m->cancel && m->cancel->flag;
}

static void progress(struct imp *m, int force)
{
    int64_t now = plat_monotonic_ms();
    if (m->preview_rows || (!force && now - m->last_progress_ms < 1000)) {
        return;
    }
    m->last_progress_ms = now;
    if (m->in_batch) {
        sqlite3_exec(store_db(m->c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    store_run_progress(m->c, m->run->id, &m->k);
}

/* --- values --- */

/* A number as exports write it: "12", "-3.5", "12,5" (decimal comma unless ',' separates
 * fields), or a duration "hh:mm:ss" / "mm:ss" in seconds. Empty: no value (returns 1). */
static int parse_value(struct imp *m, const char *s, size_t n, double *out, char *why,
                       size_t whysz)
{
    char buf[64];
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    if (n == 0) {
        return 1;
    }
    if (memchr(s, ':', n)) {
        int64_t ms;
        if (datetime_parse_duration(s, n, &ms, why, whysz) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        *out = (double)ms / 1000.0;
        return 0;
    }
    if (n >= sizeof(buf)) {
        snprintf(why, whysz, "a number longer than %zu characters", sizeof(buf) - 1);
        return ACDL_EINVAL;
    }
    int dots = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ',' && (m->cfg->kind == SOURCE_ODBC || m->cfg->csv.separator != ',')) {
            ch = '.';
        }
        if (ch >= '0' && ch <= '9') {
            digits++;
        } else if (ch == '.') {
            dots++;
        } else if (!(i == 0 && (ch == '-' || ch == '+'))) {
            snprintf(why, whysz, "'%.*s' is not a number", (int)(n > 40 ? 40 : n), s);
            return ACDL_EINVAL;
        }
        buf[i] = ch;
    }
    buf[n] = '\0';
    if (digits == 0 || dots > 1) {
        snprintf(why, whysz, "'%s' is not a number", buf);
        return ACDL_EINVAL;
    }
    *out = strtod(buf, NULL);
    if (!isfinite(*out)) {
        snprintf(why, whysz, "'%s' is out of range", buf);
        return ACDL_EINVAL;
    }
    return 0;
}

static int truthy(const char *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if ((n == 1 && (*s == '0' || *s == 'n' || *s == 'N' || *s == 'f' || *s == 'F')) ||
        (n == 2 && !strncmp(s, "no", 2)) || (n == 5 && !strncmp(s, "false", 5))) {
        return 0;
    }
    return 1;
}

/* --- time --- */

/* ODBC rows must lie in the queried period. CSV files are imported once (by checksum), so
 * every day a file holds is staged, whatever the run's period: dropping rows of other days
 * would lose them for good. The days seen are tracked for recomputing the mappings. */
static int day_in_period(struct imp *m, struct tz_date d)
{
    if (m->cfg->kind == SOURCE_CSV) {
        if (!m->seen_any || tz_date_cmp(d, m->seen_from) < 0) {
            m->seen_from = d;
        }
        if (!m->seen_any || tz_date_cmp(d, m->seen_to) > 0) {
            m->seen_to = d;
        }
        m->seen_any = 1;
        return 1;
    }
    return tz_date_cmp(d, m->from) >= 0 && tz_date_cmp(d, m->to) <= 0;
}

static struct tz_sequencer *sequencer_for(struct imp *m, const char *queue, size_t qlen,
                                          struct tz_date day)
{
    char key[160];
    char ds[11];
    tz_date_format(day, ds);
    snprintf(key, sizeof(key), "%.*s|%s", (int)(qlen > 140 ? 140 : qlen), queue, ds);
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++) {
        h = (h ^ (unsigned char)*p) * 16777619u;
    }
    for (unsigned i = 0; i < SEQ_SLOTS; i++) {
        struct seq_slot *s = &m->seq[(h + i) % SEQ_SLOTS];
        if (!s->key[0]) {
            snprintf(s->key, sizeof(s->key), "%s", key);
            tz_sequencer_init(&s->seq, m->tz, day);
            return &s->seq;
        }
        if (!strcmp(s->key, key)) {
            return &s->seq;
        }
    }
    /* full: start over (only matters on a day with a repeated hour and > 4096 queues) */
    memset(m->seq, 0, sizeof(struct seq_slot) * SEQ_SLOTS);
    return sequencer_for(m, queue, qlen, day);
}

/* The UTC start of the interval of day that contains utc; -1 when none. */
static int64_t interval_of(struct imp *m, struct tz_date day, int64_t utc)
{
    if (m->nday_intervals == 0 || tz_date_cmp(day, m->intervals_day) != 0) {
        if (tz_day_intervals(m->tz, day, m->cfg->interval_minutes, m->day_intervals,
                             TZ_DAY_INTERVALS_MAX, &m->nday_intervals) != ACDL_OK) {
            m->nday_intervals = 0;
            return -1;
        }
        m->intervals_day = day;
    }
    int lo = 0, hi = m->nday_intervals - 1, best = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (m->day_intervals[mid] <= utc) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (best < 0) {
        return -1;
    }
    return m->day_intervals[best];
}

/* Reads the row's time into a local day and a UTC instant. 1: outside the period. */
static int row_time(struct imp *m, const char *queue, size_t qlen, struct tz_date *day,
                    int64_t *utc, int *minute_of_day, int *second)
{
    struct datetime_stamp st;
    char why[160];
    memset(&st, 0, sizeof(st));
    if (m->i_stamp >= 0) {
        const char *s = m->val[m->i_stamp];
        size_t n = m->len[m->i_stamp];
        int rc = m->cfg->timestamp_format[0]
                     ? datetime_parse_format(&m->fmt_stamp, s, n, &st, why, sizeof(why))
                     : datetime_parse_stamp(s, n,
                                            m->cfg->kind == SOURCE_ODBC ? DATETIME_YMD
                                                                         : m->cfg->date_order,
                                            0, &st, why, sizeof(why));
        if (rc != ACDL_OK || m->null[m->i_stamp]) {
            row_error(m, "column '%s': %s", m->names[m->i_stamp],
                      m->null[m->i_stamp] ? "no timestamp" : why);
            return ACDL_EINVAL;
        }
    } else {
        int rc = m->cfg->date_format[0]
                     ? datetime_parse_format(&m->fmt_date, m->val[m->i_date], m->len[m->i_date],
                                             &st, why, sizeof(why))
                     : datetime_parse_date(m->val[m->i_date], m->len[m->i_date],
                                           m->cfg->date_order, &st.date, why, sizeof(why));
        if (rc != ACDL_OK) {
            row_error(m, "column '%s': %s", m->names[m->i_date], why);
            return ACDL_EINVAL;
        }
        struct datetime_stamp t;
        memset(&t, 0, sizeof(t));
        rc = m->cfg->time_format[0]
                 ? datetime_parse_format(&m->fmt_time, m->val[m->i_time], m->len[m->i_time], &t,
                                         why, sizeof(why))
                 : datetime_parse_time(m->val[m->i_time], m->len[m->i_time], 0, &t.time, why,
                                       sizeof(why));
        if (rc != ACDL_OK) {
            row_error(m, "column '%s': %s", m->names[m->i_time], why);
            return ACDL_EINVAL;
        }
        st.time = t.time;
    }
    day->y = st.date.year;
    day->m = st.date.month;
    day->d = st.date.day;
    *minute_of_day = st.time.minute_of_day;
    *second = st.time.second;
    if (st.has_offset) {
        /* an explicit offset names the instant: the local day follows from it */
        int64_t t = datetime_days_from_civil(day->y, day->m, day->d) * 86400 +
                    (int64_t)*minute_of_day * 60 + *second - (int64_t)st.offset_minutes * 60;
        int utc_off;
        tz_utc_to_local(m->tz, t, day, minute_of_day, second, &utc_off);
        *utc = t;
        return day_in_period(m, *day) ? 0 : 1;
    }
    if (*minute_of_day == 1440) {
        if (m->cfg->layout == LAYOUT_INTERVAL) {
            row_error(m, "24:00 is the end of a day, not the start of an interval");
            return ACDL_EINVAL;
        }
        tz_date_add_days(day, 1);
        *minute_of_day = 0;
    }
    if (!day_in_period(m, *day)) {
        return 1;
    }
    if (m->cfg->layout == LAYOUT_INTERVAL &&
        (*minute_of_day % m->cfg->interval_minutes != 0 || *second != 0)) {
        row_error(m, "%02d:%02d:%02d is not the start of a %d-minute interval",
                  *minute_of_day / 60, *minute_of_day % 60, *second,
                  m->cfg->interval_minutes);
        return ACDL_EINVAL;
    }
    struct tz_sequencer *seq = sequencer_for(m, queue, qlen, *day);
    if (tz_sequencer_next(seq, *minute_of_day, *second, utc) != ACDL_OK) {
        char ds[11];
        tz_date_format(*day, ds);
        row_error(m, "%s %02d:%02d does not exist in %s (the clocks skip that hour)", ds,
                  *minute_of_day / 60, *minute_of_day % 60, m->cfg->time_zone);
        return ACDL_EINVAL;
    }
    return 0;
}

/* --- accumulation in the run's temporary table --- */

static int acc_add(struct imp *m, struct tz_date day, int64_t interval, const char *queue,
                   size_t qlen, const char *metric, double value)
{
    char ds[11];
    sqlite3 *db = store_db(m->c);
    if (m->preview_row) {
        char local[40];
        int minute, second, off;
        struct tz_date lday;
        json_t *values = json_object_get(m->preview_row, "values");
        if (!values) {
            tz_utc_to_local(m->tz, interval, &lday, &minute, &second, &off);
            tz_date_format(lday, ds);
            snprintf(local, sizeof(local), "%sT%02d:%02d", ds, minute / 60, minute % 60);
            json_object_set_new(m->preview_row, "ext_queue", json_stringn(queue, qlen));
            char iso[32];
            plat_time_iso(interval, iso, sizeof(iso));
            json_object_set_new(m->preview_row, "interval_start", json_string(iso));
            json_object_set_new(m->preview_row, "local", json_string(local));
            values = json_object();
            json_object_set_new(m->preview_row, "values", values);
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
        m->c, "INSERT INTO temp.import_acc (day, interval_start, ext_queue, metric, value, n) "
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
        log_error("import", "run %lld: staging failed: %s", (long long)m->run->id,
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
    if (m->preview_row) {
        json_object_set_new(m->preview_row, "queue_name", json_stringn(name, nlen));
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(m->c, "INSERT OR REPLACE INTO temp.import_names (ext_queue, "
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

/* --- one row --- */

static int eval_derived(struct imp *m)
{
    char err[256];
    for (int d = 0; d < m->cfg->nderived; d++) {
        struct expr *e = m->derived[d];
        int nb = m->nraw + d;
        for (int i = 0; i < nb; i++) {
            if (m->null[i]) {
                expr_bind_null(e, i);
            } else {
                expr_bind_text(e, i, m->val[i], (int)m->len[i]);
            }
        }
        int is_null;
        if (expr_eval_text(e, m->derived_buf[d], sizeof(m->derived_buf[d]), &is_null, err,
                           sizeof(err)) != ACDL_OK) {
            row_error(m, "derived field '%s': %s", m->cfg->derived[d].name, err);
            return ACDL_EINVAL;
        }
        int slot = m->nraw + d;
        m->val[slot] = m->derived_buf[d];
        m->len[slot] = strlen(m->derived_buf[d]);
        m->null[slot] = is_null;
    }
    if (m->filter) {
        int truth;
        for (int i = 0; i < m->nnames; i++) {
            if (m->null[i]) {
                expr_bind_null(m->filter, i);
            } else {
                expr_bind_text(m->filter, i, m->val[i], (int)m->len[i]);
            }
        }
        if (expr_eval_bool(m->filter, &truth, err, sizeof(err)) != ACDL_OK) {
            row_error(m, "row filter: %s", err);
            return ACDL_EINVAL;
        }
        if (!truth) {
            m->k.rows_filtered++;
            return 1;
        }
    }
    return 0;
}

static int process_row_inner(struct imp *m);

/* In preview mode each row becomes one JSON object: its raw fields, then either its parsed
 * queue, interval and values, an error, or filtered: true. */
static int process_row(struct imp *m)
{
    if (!m->preview_rows) {
        return process_row_inner(m);
    }
    if ((int)json_array_size(m->preview_rows) >= m->preview_max) {
        return ACDL_ESTOP;
    }
    json_t *fields = json_array();
    for (int i = 0; i < m->nraw; i++) {
        json_array_append_new(fields, m->null[i] ? json_null() : json_stringn(m->val[i], m->len[i]));
    }
    m->preview_row = json_pack("{s:s, s:I, s:o}", "where", m->where, "line",
                               (json_int_t)m->line, "fields", fields);
    int64_t filtered = m->k.rows_filtered;
    int rc = process_row_inner(m);
    if (m->k.rows_filtered > filtered) {
        json_object_set_new(m->preview_row, "filtered", json_true());
    }
    json_array_append_new(m->preview_rows, m->preview_row);
    m->preview_row = NULL;
    return rc;
}

static int process_row_inner(struct imp *m)
{
    struct tz_date day;
    int64_t utc;
    int minute, second, rc;
    char why[160];
    m->k.rows_read++;
    if (eval_derived(m) != 0) {
        return ACDL_OK; /* filtered or rejected: counted, go on with the next row */
    }
    if (m->null[m->i_queue] || m->len[m->i_queue] == 0) {
        row_error(m, "column '%s': no queue", m->names[m->i_queue]);
        return ACDL_OK;
    }
    const char *queue = m->val[m->i_queue];
    size_t qlen = m->len[m->i_queue];
    if (qlen > 128) {
        row_error(m, "column '%s': queue id longer than 128 characters", m->names[m->i_queue]);
        return ACDL_OK;
    }
    rc = row_time(m, queue, qlen, &day, &utc, &minute, &second);
    if (rc == 1) {
        m->k.rows_filtered++;
        return ACDL_OK;
    }
    if (rc != ACDL_OK) {
        return ACDL_OK;
    }
    int64_t start = interval_of(m, day, utc);
    if (start < 0) {
        row_error(m, "time outside its day's intervals");
        return ACDL_OK;
    }
    if (m->i_qname >= 0 && !m->null[m->i_qname] && m->len[m->i_qname] > 0 &&
        note_queue_name(m, queue, qlen, m->val[m->i_qname], m->len[m->i_qname]) != ACDL_OK) {
        return ACDL_EDB;
    }
    if (m->cfg->layout == LAYOUT_CONTACT) {
        double dur = 0;
        int answered = !m->null[m->i_answered] &&
                       truthy(m->val[m->i_answered], m->len[m->i_answered]);
        if (answered && !m->null[m->i_duration]) {
            rc = parse_value(m, m->val[m->i_duration], m->len[m->i_duration], &dur, why,
                             sizeof(why));
            if (rc < 0) {
                row_error(m, "column '%s': %s", m->names[m->i_duration], why);
                return ACDL_OK;
            }
        }
        if ((rc = acc_add(m, day, start, queue, qlen, "offered", 1)) ||
            (rc = acc_add(m, day, start, queue, qlen, answered ? "handled" : "abandoned", 1)) ||
            (answered && (rc = acc_add(m, day, start, queue, qlen, "handle_time", dur)))) {
            return rc;
        }
        m->k.rows_staged++;
        return ACDL_OK;
    }
    /* interval layout: check every metric first, so a bad row stages nothing */
    double values[MAX_COLS];
    int has[MAX_COLS];
    for (int i = 0; i < m->nmetric_cols; i++) {
        int col = m->i_metric[i];
        has[i] = 0;
        if (m->null[col]) {
            continue;
        }
        rc = parse_value(m, m->val[col], m->len[col], &values[i], why, sizeof(why));
        if (rc < 0) {
            row_error(m, "column %d '%s': %s", col + 1, m->names[col], why);
            return ACDL_OK;
        }
        has[i] = rc == 0;
    }
    for (int i = 0; i < m->nmetric_cols; i++) {
        if (has[i] && (rc = acc_add(m, day, start, queue, qlen, m->metric_names[i], values[i]))) {
            return rc;
        }
    }
    m->k.rows_staged++;
    return ACDL_OK;
}

/* --- names and roles --- */

static int add_name(struct imp *m, const char *s, size_t n)
{
    if (m->nnames >= MAX_COLS) {
        return ACDL_ETOOBIG;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        return ACDL_ENOMEM;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    m->name_store[m->nnames] = copy;
    m->names[m->nnames++] = copy;
    return ACDL_OK;
}

static void free_names(struct imp *m)
{
    for (int i = 0; i < m->nnames; i++) {
        free(m->name_store[i]);
        m->name_store[i] = NULL;
    }
    for (int d = 0; d < SOURCE_MAX_DERIVED; d++) {
        expr_free(m->derived[d]);
        m->derived[d] = NULL;
    }
    expr_free(m->filter);
    m->filter = NULL;
    m->nnames = m->nraw = 0;
}

/* ASCII case-insensitive comparison with surrounding blanks ignored on a (header names). */
static int strcasecmp_ascii(const char *a, const char *b)
{
    while (*a == ' ' || *a == '\t') {
        a++;
    }
    size_t al = strlen(a);
    while (al > 0 && (a[al - 1] == ' ' || a[al - 1] == '\t')) {
        al--;
    }
    size_t bl = strlen(b);
    if (al != bl) {
        return 1;
    }
    for (size_t i = 0; i < al; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = (char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (char)(y - 'A' + 'a');
        }
        if (x != y) {
            return 1;
        }
    }
    return 0;
}

/* Index of a column given by spec (a name, or digits for a 1-based number) among the raw and
 * derived names; -1 when absent. */
static int find_column(struct imp *m, const char *spec)
{
    int digits = spec[0] != '\0';
    long n = 0;
    for (const char *p = spec; *p; p++) {
        if (*p < '0' || *p > '9') {
            digits = 0;
            break;
        }
        n = n * 10 + (*p - '0');
        if (n > 100000) {
            return -1;
        }
    }
    if (digits) {
        return n >= 1 && n <= m->nraw ? (int)n - 1 : -1;
    }
    for (int i = 0; i < m->nnames; i++) {
        if (!strcasecmp_ascii(m->names[i], spec)) {
            return i;
        }
    }
    return -1;
}

/* Compiles derived fields and the filter over the current raw names and resolves the column
 * roles. Returns 0, or ACDL_EINVAL after logging why (the whole input is unusable). */
static int prepare_columns(struct imp *m)
{
    char err[300];
    const struct source_cfg *cfg = m->cfg;
    for (int d = 0; d < cfg->nderived; d++) {
        if (expr_compile(cfg->derived[d].expression, m->names, m->nnames, &m->derived[d], err,
                         sizeof(err)) != ACDL_OK) {
            run_log(m, "error", "%s: derived field '%s': %s", m->where, cfg->derived[d].name,
                    err);
            return ACDL_EINVAL;
        }
        if (add_name(m, cfg->derived[d].name, strlen(cfg->derived[d].name)) != ACDL_OK) {
            return ACDL_ENOMEM;
        }
    }
    if (cfg->filter[0] &&
        expr_compile(cfg->filter, m->names, m->nnames, &m->filter, err, sizeof(err)) != ACDL_OK) {
        run_log(m, "error", "%s: row filter: %s", m->where, err);
        return ACDL_EINVAL;
    }
    m->i_queue = m->i_qname = m->i_date = m->i_time = m->i_stamp = m->i_answered =
        m->i_duration = -1;
    m->nmetric_cols = 0;
    if (cfg->kind == SOURCE_ODBC) {
        /* the documented result contract */
        if (m->nraw < 4) {
            run_log(m, "error",
                    "the query returns %d columns; the %s layout needs %s", m->nraw,
                    source_layout_name(cfg->layout),
                    cfg->layout == LAYOUT_CONTACT
                        ? "queue id, timestamp, answered (0/1), duration seconds"
                        : "queue id, queue name, interval start, then one column per metric");
            return ACDL_EINVAL;
        }
        m->i_queue = 0;
        if (cfg->layout == LAYOUT_CONTACT) {
            m->i_stamp = 1;
            m->i_answered = 2;
            m->i_duration = 3;
        } else {
            m->i_qname = 1;
            m->i_stamp = 2;
            for (int i = 3; i < m->nraw; i++) {
                m->i_metric[m->nmetric_cols] = i;
                snprintf(m->metric_names[m->nmetric_cols], sizeof(m->metric_names[0]), "%s",
                         m->names[i]);
                m->nmetric_cols++;
            }
        }
        return ACDL_OK;
    }
    struct {
        const struct source_column *col;
        int *idx;
        const char *role;
    } roles[] = {
        {&cfg->queue, &m->i_queue, "queue"},       {&cfg->queue_name, &m->i_qname, "queue_name"},
        {&cfg->date, &m->i_date, "date"},          {&cfg->time, &m->i_time, "time"},
        {&cfg->timestamp, &m->i_stamp, "timestamp"}, {&cfg->answered, &m->i_answered, "answered"},
        {&cfg->duration, &m->i_duration, "duration"},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (!roles[i].col->spec[0]) {
            continue;
        }
        *roles[i].idx = find_column(m, roles[i].col->spec);
        if (*roles[i].idx < 0) {
            run_log(m, "error", "%s: no column '%s' for %s (the header has %d columns)",
                    m->where, roles[i].col->spec, roles[i].role, m->nraw);
            return ACDL_EINVAL;
        }
    }
    for (int i = 0; i < cfg->nmetrics; i++) {
        int idx = find_column(m, cfg->metrics[i].col.spec);
        if (idx < 0) {
            run_log(m, "error", "%s: no column '%s' for metric '%s'", m->where,
                    cfg->metrics[i].col.spec, cfg->metrics[i].name);
            return ACDL_EINVAL;
        }
        m->i_metric[m->nmetric_cols] = idx;
        snprintf(m->metric_names[m->nmetric_cols], sizeof(m->metric_names[0]), "%s",
                 cfg->metrics[i].name);
        m->nmetric_cols++;
    }
    return ACDL_OK;
}

/* --- CSV --- */

struct csv_walk {
    struct imp *m;
    int rc;
};

static int file_done_before(struct imp *m, const char *sha)
{
    sqlite3_stmt *s = store_prepare(m->c, "SELECT 1 FROM imported_files WHERE source_id = ? AND "
                                          "sha256 = ?");
    int found = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, m->run->source_id);
        sqlite3_bind_text(s, 2, sha, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
        store_done(s);
    }
    return found;
}

static int note_file(struct imp *m, const char *name, const char *sha, long long size)
{
    sqlite3_stmt *s = store_prepare(m->c, "INSERT INTO temp.import_files (name, sha256, size) "
                                          "VALUES (?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, size);
    int r = sqlite3_step(s);
    store_done(s);
    return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

static int import_file(const char *name, void *ctx)
{
    struct csv_walk *w = ctx;
    struct imp *m = w->m;
    char path[SOURCE_PATH_MAX + 300], sha[65];
    long long size = 0;
    struct csv_reader *r = NULL;
    struct csv_record rec;
    struct csv_error cerr;
    struct csv_options o = m->cfg->csv;
    int rc;

    if (cancelled(m)) {
        return ACDL_ESTOP;
    }
    snprintf(path, sizeof(path), "%s/%s", m->cfg->folder, name);
    snprintf(m->where, sizeof(m->where), "%s", name);
    if (crypto_sha256_file(path, sha, &size) != ACDL_OK) {
        run_log(m, "warn", "%s: cannot read the file; skipped", name);
        m->k.files_skipped++;
        return 0;
    }
    if (!m->preview_rows && file_done_before(m, sha)) {
        run_log(m, "info", "%s: imported before (same content); skipped", name);
        m->k.files_skipped++;
        return 0;
    }
    o.name = name;
    o.allow_ragged = 1;
    rc = csv_open_file(&r, path, &o);
    if (rc != ACDL_OK) {
        run_log(m, "warn", "%s: cannot open: %s", name, acdl_strerror(rc));
        m->k.files_skipped++;
        return 0;
    }
    rc = csv_header_read(r, &cerr);
    if (rc != ACDL_OK) {
        run_log(m, "error", "%s", rc == ACDL_ENOTFOUND ? "the file has no header" : cerr.message);
        csv_close(r);
        m->k.files_skipped++;
        return 0;
    }
    free_names(m);
    size_t nh = 0;
    const struct csv_field *hdr = csv_header(r, &nh);
    if (hdr) {
        for (size_t i = 0; i < nh && (int)i < MAX_COLS - SOURCE_MAX_DERIVED; i++) {
            add_name(m, hdr[i].ptr, hdr[i].len);
        }
    } else {
        /* no header: columns are known by number; name them "1", "2", ... */
        for (int i = 0; i < MAX_COLS - SOURCE_MAX_DERIVED && i < 256; i++) {
            char num[8];
            int n = snprintf(num, sizeof(num), "%d", i + 1);
            add_name(m, num, (size_t)n);
        }
    }
    m->nraw = m->nnames;
    if (prepare_columns(m) != ACDL_OK) {
        csv_close(r);
        m->k.files_skipped++;
        return 0;
    }
    int64_t rejected_before = m->k.rows_rejected;
    int strict_fail = 0;
    for (;;) {
        rc = csv_next(r, &rec, &cerr);
        if (rc == CSV_END) {
            break;
        }
        if (rc < 0) {
            if (!csv_error_recoverable(rc)) {
                run_log(m, "error", "%s", cerr.message);
                strict_fail = 1;
                break;
            }
            m->line = cerr.line;
            m->k.rows_read++;
            m->k.rows_rejected++;
            if (m->row_errors++ < LOG_ROW_ERRORS) {
                if (m->in_batch) {
                    sqlite3_exec(store_db(m->c), "COMMIT", NULL, NULL, NULL);
                    m->in_batch = 0;
                }
                run_log(m, "warn", "%s", cerr.message);
            }
            continue;
        }
        m->line = rec.line;
        int n = (int)rec.nfields < m->nraw ? (int)rec.nfields : m->nraw;
        for (int i = 0; i < m->nraw; i++) {
            m->val[i] = i < n ? rec.fields[i].ptr : "";
            m->len[i] = i < n ? rec.fields[i].len : 0;
            m->null[i] = i >= n;
        }
        rc = process_row(m);
        if (rc != ACDL_OK) {
            csv_close(r);
            return rc;
        }
        if (cancelled(m)) {
            csv_close(r);
            return ACDL_ESTOP;
        }
        progress(m, 0);
    }
    csv_close(r);
    if (m->cfg->strict && (strict_fail || m->k.rows_rejected > rejected_before)) {
        run_log(m, "error", "%s: rejected rows and the source is strict: the run stops", name);
        return ACDL_EINVAL;
    }
    if (strict_fail) {
        m->k.files_skipped++;
        return 0;
    }
    m->k.files_read++;
    if (m->preview_rows) {
        return (int)json_array_size(m->preview_rows) >= m->preview_max ? ACDL_ESTOP : 0;
    }
    if (note_file(m, name, sha, size) != ACDL_OK) {
        return ACDL_EDB;
    }
    run_log(m, "info", "%s: read (%lld bytes)", name, size);
    return 0;
}

static int read_csv(struct imp *m)
{
    struct csv_walk w = {m, 0};
    int rc = plat_dir_files(m->cfg->folder, m->cfg->pattern, import_file, &w);
    if (rc == ACDL_ENOTFOUND) {
        run_log(m, "error", "the folder %s does not exist or cannot be read", m->cfg->folder);
        return ACDL_ENOTFOUND;
    }
    if (rc == ACDL_EIO) {
        run_log(m, "error", "the folder %s cannot be read", m->cfg->folder);
    }
    return rc;
}

/* After staging: keep, move or delete the files of this run. */
static void after_files(struct imp *m)
{
    if (m->cfg->kind != SOURCE_CSV || m->cfg->after_import == AFTER_KEEP) {
        return;
    }
    sqlite3_stmt *s = store_prepare(m->c, "SELECT name FROM temp.import_files");
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        char from[SOURCE_PATH_MAX + 300], to[SOURCE_PATH_MAX + 300];
        snprintf(from, sizeof(from), "%s/%s", m->cfg->folder, name);
        if (m->cfg->after_import == AFTER_DELETE) {
            if (plat_file_remove(from) != ACDL_OK) {
                run_log(m, "warn", "%s: imported, but could not be deleted", name);
            }
        } else {
            plat_mkdir_p(m->cfg->archive_folder, 0);
            snprintf(to, sizeof(to), "%s/%s", m->cfg->archive_folder, name);
            if (plat_file_rename(from, to) != ACDL_OK) {
                run_log(m, "warn", "%s: imported, but could not be moved to %s", name,
                        m->cfg->archive_folder);
            }
        }
    }
    store_done(s);
}

/* --- ODBC --- */

static int read_odbc(struct imp *m, const struct store_source *src)
{
    char err[600], aad[64];
    char *password = NULL;
    size_t pwlen = 0;
    struct odbc_conn *conn = NULL;
    struct odbc_query *q = NULL;
    struct odbc_row row;
    int rc;

    if (src->password_sealed) {
        snprintf(aad, sizeof(aad), "sources/%lld/password", (long long)src->id);
        rc = secret_open(m->app->secrets, aad, src->password_sealed, &password, &pwlen);
        if (rc != ACDL_OK) {
            run_log(m, "error", "the stored password cannot be decrypted (was the key file "
                                "replaced?); set it again");
            return rc;
        }
    }
    struct odbc_conn_opts co;
    memset(&co, 0, sizeof(co));
    co.dsn = m->cfg->dsn[0] ? m->cfg->dsn : NULL;
    co.connstr = m->cfg->connection_string[0] ? m->cfg->connection_string : NULL;
    co.user = m->cfg->user;
    co.password = password;
    co.query_timeout_s = m->cfg->timeout_s;
    rc = odbc_conn_open(&co, &conn, err, sizeof(err));
    secret_wipe(password, pwlen);
    if (rc != ACDL_OK) {
        run_log(m, "error", "connecting failed: %s", err);
        return rc;
    }
    pthread_mutex_lock(&m->cancel->mu);
    m->cancel->conn = conn;
    int was_cancelled = m->cancel->flag;
    pthread_mutex_unlock(&m->cancel->mu);
    if (was_cancelled) {
        rc = ACDL_ESTOP;
        goto out;
    }
    const char *sql = m->cfg->sql;
    if (m->cfg->preset[0]) {
        const struct odbc_preset *p = odbc_preset_find(m->cfg->preset);
        sql = p ? p->sql : "";
    }
    /* the period: local midnight of the first day to local midnight after the last */
    struct odbc_period period;
    struct tz_date end = m->to;
    tz_date_add_days(&end, 1);
    period.start = (struct odbc_datetime){m->from.y, m->from.m, m->from.d, 0, 0, 0};
    period.end = (struct odbc_datetime){end.y, end.m, end.d, 0, 0, 0};
    run_log(m, "info", "querying %s (%s) for %s .. %s", odbc_conn_dbms_name(conn),
            odbc_conn_driver_name(conn), m->run->period_from, m->run->period_to);
    rc = odbc_query_open(conn, sql, &period, NULL, &q, err, sizeof(err));
    if (rc != ACDL_OK) {
        run_log(m, "error", "the query failed: %s", err);
        goto out;
    }
    free_names(m);
    for (size_t i = 0; i < odbc_query_ncols(q) && i < MAX_COLS - SOURCE_MAX_DERIVED; i++) {
        const struct odbc_column *col = odbc_query_column(q, i);
        add_name(m, col->name, strlen(col->name));
    }
    m->nraw = m->nnames;
    snprintf(m->where, sizeof(m->where), "query row");
    if ((rc = prepare_columns(m)) != ACDL_OK) {
        goto out;
    }
    for (;;) {
        rc = odbc_query_next(q, &row, err, sizeof(err));
        if (rc == 0) {
            break;
        }
        m->line = row.number;
        if (rc == ACDL_ETOOBIG || (rc == ACDL_EDB && row.number > 0)) {
            m->k.rows_read++;
            row_error(m, "%s", err);
            continue;
        }
        if (rc < 0) {
            run_log(m, "error", "reading the result failed: %s", err);
            goto out;
        }
        int n = (int)row.nfields < m->nraw ? (int)row.nfields : m->nraw;
        for (int i = 0; i < n; i++) {
            m->val[i] = row.fields[i].ptr;
            m->len[i] = row.fields[i].len;
            m->null[i] = row.fields[i].is_null;
        }
        rc = process_row(m);
        if (rc != ACDL_OK) {
            goto out;
        }
        if (cancelled(m)) {
            rc = ACDL_ESTOP;
            goto out;
        }
        progress(m, 0);
    }
    rc = ACDL_OK;
out:
    odbc_query_close(q);
    pthread_mutex_lock(&m->cancel->mu);
    m->cancel->conn = NULL;
    pthread_mutex_unlock(&m->cancel->mu);
    odbc_conn_close(conn);
    if (rc == ACDL_ESTOP || cancelled(m)) {
        rc = ACDL_ESTOP;
    }
    return rc;
}

/* --- staging in one transaction --- */

static int exec_bound(struct imp *m, const char *sql)
{
    sqlite3_stmt *s = store_prepare(m->c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
        const char *pname = sqlite3_bind_parameter_name(s, i);
        if (!pname) {
            continue;
        }
        if (!strcmp(pname, ":source")) {
            sqlite3_bind_int64(s, i, m->run->source_id);
        } else if (!strcmp(pname, ":run")) {
            sqlite3_bind_int64(s, i, m->run->id);
        } else if (!strcmp(pname, ":now")) {
            sqlite3_bind_int64(s, i, plat_now());
        } else if (!strcmp(pname, ":from")) {
            sqlite3_bind_text(s, i, m->run->period_from, -1, SQLITE_STATIC);
        } else if (!strcmp(pname, ":to")) {
            sqlite3_bind_text(s, i, m->run->period_to, -1, SQLITE_STATIC);
        }
    }
    int r = sqlite3_step(s);
    store_done(s);
    if (r != SQLITE_DONE) {
        log_error("import", "run %lld: %s", (long long)m->run->id, sqlite3_errmsg(store_db(m->c)));
        return ACDL_EDB;
    }
    return ACDL_OK;
}

static int stage(struct imp *m)
{
    int rc;
    if (m->in_batch) {
        sqlite3_exec(store_db(m->c), "COMMIT", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if ((rc = store_begin(m->c)) != ACDL_OK) {
        return rc;
    }
    if (m->cfg->kind == SOURCE_ODBC) {
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
        rc = exec_bound(m, "INSERT OR REPLACE INTO imported_files (source_id, sha256, name, "
                           "size, imported_at, run_id) SELECT :source, sha256, name, size, :now, "
                           ":run FROM temp.import_files");
    }
    if (rc == ACDL_OK) {
        rc = store_commit(m->c);
    } else {
        store_rollback(m->c);
    }
    return rc;
}

static int count_duplicates(struct imp *m, int64_t *dups)
{
    sqlite3_stmt *s = store_prepare(m->c, "SELECT count(*) FROM temp.import_acc WHERE n > 1");
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
        "CREATE TEMP TABLE IF NOT EXISTS import_files (name TEXT, sha256 TEXT, size INTEGER);"
        "DELETE FROM temp.import_acc; DELETE FROM temp.import_names; DELETE FROM "
        "temp.import_files;";
    return sqlite3_exec(store_db(m->c), sql, NULL, NULL, NULL) == SQLITE_OK ? ACDL_OK : ACDL_EDB;
}

/* Loads the source, its settings, formats and time zone into m. Returns 0 or an ACDL_E* with
 * err. On success *src is filled (clear it with store_source_clear). */
static int imp_setup(struct imp *m, int64_t source_id, struct store_source *src, char *err,
                     size_t errsz)
{
    char why[200];
    enum source_kind kind;
    enum source_layout layout;
    m->cfg = malloc(sizeof(*m->cfg));
    m->seq = calloc(SEQ_SLOTS, sizeof(*m->seq));
    if (!m->cfg || !m->seq) {
        snprintf(err, errsz, "out of memory");
        return ACDL_ENOMEM;
    }
    int rc = store_source_get(m->c, source_id, src);
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "the source is gone");
        return rc;
    }
    json_t *settings = json_loads(src->settings, 0, NULL);
    source_kind_parse(src->kind, &kind);
    source_layout_parse(src->layout, &layout);
    rc = source_cfg_parse(settings, kind, layout, src->time_zone, src->interval_minutes, m->cfg,
                          err, errsz);
    json_decref(settings);
    if (rc == ACDL_OK &&
        ((m->cfg->date_format[0] &&
          datetime_format_compile(&m->fmt_date, m->cfg->date_format, why, sizeof(why))) ||
         (m->cfg->time_format[0] &&
          datetime_format_compile(&m->fmt_time, m->cfg->time_format, why, sizeof(why))) ||
         (m->cfg->timestamp_format[0] &&
          datetime_format_compile(&m->fmt_stamp, m->cfg->timestamp_format, why, sizeof(why))))) {
        rc = ACDL_EINVAL;
        snprintf(err, errsz, "%s", why);
    }
    if (rc == ACDL_OK && (rc = tz_open(src->time_zone, &m->tz)) != ACDL_OK) {
        snprintf(err, errsz, "time zone %s cannot be used", src->time_zone);
    }
    if (rc != ACDL_OK) {
        store_source_clear(src);
    }
    return rc;
}

static void imp_free(struct imp *m)
{
    free_names(m);
    tz_close(m->tz);
    free(m->seq);
    free(m->cfg);
    free(m);
}

int import_run(struct app *app, const struct store_run *run, struct import_cancel *cancel)
{
    struct imp *m = calloc(1, sizeof(*m));
    struct store_source src;
    char err[600] = "";
    int rc;
    const char *state = "failed";
    int have_src = 0;

    if (!m) {
        return ACDL_ENOMEM;
    }
    m->app = app;
    m->run = run;
    m->cancel = cancel;
    m->c = store_acquire(app->store);
    rc = imp_setup(m, run->source_id, &src, err, sizeof(err));
    if (rc != ACDL_OK) {
        goto out;
    }
    have_src = 1;
    enum source_kind kind = m->cfg->kind;
    enum source_layout layout = m->cfg->layout;
    if (tz_date_parse(run->period_from, &m->from) != ACDL_OK ||
        tz_date_parse(run->period_to, &m->to) != ACDL_OK) {
        rc = ACDL_EINVAL;
        snprintf(err, sizeof(err), "bad period %s .. %s", run->period_from, run->period_to);
        goto out;
    }
    m->k.days_total = tz_date_diff(m->to, m->from) + 1;
    store_run_progress(m->c, run->id, &m->k);
    if ((rc = prepare_temp(m)) != ACDL_OK) {
        snprintf(err, sizeof(err), "cannot prepare the staging area");
        goto out;
    }
    run_log(m, "info", "import of %s (%s, %s layout, %s) for %s .. %s", src.name, src.kind,
            src.layout, src.time_zone, run->period_from, run->period_to);
    m->last_progress_ms = plat_monotonic_ms();
    rc = kind == SOURCE_CSV ? read_csv(m) : read_odbc(m, &src);
    if (rc == ACDL_OK && cancelled(m)) {
        rc = ACDL_ESTOP;
    }
    if (rc == ACDL_OK) {
        int64_t dups = 0;
        count_duplicates(m, &dups);
        if (dups > 0 && layout == LAYOUT_INTERVAL) {
            run_log(m, "warn", "%lld values came in more than one row (same queue, interval and "
                               "metric); they were added up",
                    (long long)dups);
        }
        rc = stage(m);
        if (rc == ACDL_OK) {
            int64_t results = 0;
            int failed = 0;
            char merr[400] = "";
            after_files(m);
            m->k.days_done = m->k.days_total;
            char mfrom[11], mto[11];
            snprintf(mfrom, sizeof(mfrom), "%s", run->period_from);
            snprintf(mto, sizeof(mto), "%s", run->period_to);
            if (kind == SOURCE_CSV && m->seen_any) {
                tz_date_format(m->seen_from, mfrom);
                tz_date_format(m->seen_to, mto);
            }
            if (kind == SOURCE_ODBC || m->seen_any) {
                mapping_apply_source(m->c, run->source_id, mfrom, mto, &results, &failed, merr,
                                     sizeof(merr));
            }
            run_log(m, failed ? "warn" : "info", "mapping: %lld results computed%s%s",
                    (long long)results, failed ? "; " : "", merr);
        } else {
            snprintf(err, sizeof(err), "staging failed: %s", acdl_strerror(rc));
        }
    }
    if (rc != ACDL_OK) {
        m->k.rows_staged = 0; /* the staging transaction never ran or was rolled back */
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
        sqlite3_exec(store_db(m->c), "ROLLBACK", NULL, NULL, NULL);
        m->in_batch = 0;
    }
    if (rc != ACDL_OK && err[0] && strcmp(state, "cancelled") != 0) {
        run_log(m, "error", "%s", err);
    }
    run_log(m, "info",
            "%s: %lld rows read, %lld staged, %lld rejected, %lld filtered; %d files read, "
            "%d skipped",
            state, (long long)m->k.rows_read, (long long)m->k.rows_staged,
            (long long)m->k.rows_rejected, (long long)m->k.rows_filtered, m->k.files_read,
            m->k.files_skipped);
    if (m->row_errors > LOG_ROW_ERRORS) {
        run_log(m, "warn", "%d more rejected rows are not listed here",
                m->row_errors - LOG_ROW_ERRORS);
    }
    store_run_finish(m->c, run->id, state, rc == ACDL_OK ? NULL : err, &m->k, plat_now());
    log_info("import", "run %lld of source %lld: %s", (long long)run->id,
             (long long)run->source_id, state);
    store_release(app->store, m->c);
    if (have_src) {
        store_source_clear(&src);
    }
    imp_free(m);
    return rc;
}

int import_preview(struct app *app, int64_t source_id, const char *day, int max_rows,
                   json_t **out, char *err, size_t errsz)
{
    struct imp *m = calloc(1, sizeof(*m));
    struct store_source src;
    struct store_run run;
    struct import_cancel cancel;
    int rc;
    if (!m) {
        return ACDL_ENOMEM;
    }
    memset(&run, 0, sizeof(run));
    run.source_id = source_id;
    snprintf(run.period_from, sizeof(run.period_from), "%.10s", day);
    snprintf(run.period_to, sizeof(run.period_to), "%.10s", day);
    import_cancel_init(&cancel);
    m->app = app;
    m->run = &run;
    m->cancel = &cancel;
    m->preview_max = max_rows;
    m->preview_rows = json_array();
    m->preview_msgs = json_array();
    m->c = store_acquire(app->store);
    rc = imp_setup(m, source_id, &src, err, errsz);
    if (rc == ACDL_OK) {
        if (tz_date_parse(day, &m->from) != ACDL_OK) {
            snprintf(err, errsz, "day: '%.20s' is not YYYY-MM-DD", day);
            rc = ACDL_EINVAL;
        } else {
            m->to = m->from;
            rc = m->cfg->kind == SOURCE_CSV ? read_csv(m) : read_odbc(m, &src);
            if (rc == ACDL_ESTOP) {
                rc = ACDL_OK; /* enough rows */
            }
            json_t *cols = json_array();
            for (int i = 0; i < m->nnames; i++) {
                json_array_append_new(cols, json_string(m->names[i]));
            }
            *out = json_pack("{s:I, s:s, s:o, s:O, s:O, s:{s:I, s:I, s:I, s:I}}", "source_id",
                             (json_int_t)source_id, "day", day, "columns", cols, "rows",
                             m->preview_rows, "messages", m->preview_msgs, "counts", "rows_read",
                             (json_int_t)m->k.rows_read, "rows_ok",
                             (json_int_t)(m->k.rows_read - m->k.rows_rejected -
                                          m->k.rows_filtered),
                             "rows_rejected", (json_int_t)m->k.rows_rejected, "rows_filtered",
                             (json_int_t)m->k.rows_filtered);
            rc = ACDL_OK;
        }
        store_source_clear(&src);
    }
    store_release(app->store, m->c);
    json_decref(m->preview_rows);
    json_decref(m->preview_msgs);
    import_cancel_destroy(&cancel);
    imp_free(m);
    return rc;
}
