/* rows.c: a source's rows for every data product (see rows.h). */
#include "pipeline/rows.h"
#include "pipeline/rows_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/csv/csv.h"
#include "adapters/odbc/odbc.h"
#include "config/roots.h"
#include "core/why.h"
#include "core/datetime.h"
#include "core/err.h"
#include "core/fspath.h"
#include "core/log.h"
#include "core/tz.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "pipeline/expr.h"
#include "pipeline/source_cfg.h"
#include "platform/platform.h"
#include "store/sources.h"

#define SEQ_SLOTS 4096

void import_cancel_init(struct import_cancel *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->flag = 0;
    c->conn = NULL;
    memset(c->more, 0, sizeof(c->more));
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
    for (int i = 0; i < ROWS_ODBC_MAX_CONNS - 1; i++) {
        if (c->more[i]) {
            odbc_conn_cancel(c->more[i]);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* A wall-time sequencer per (queue, day): tells the repeated autumn hour apart by row order. */
struct rows_seq_slot {
    char key[160];
    struct tz_sequencer seq;
};

static void pause_sink(struct rows *r)
{
    if (r->sink && r->sink->pause) {
        r->sink->pause(r->sink->ctx);
    }
}

#define HEAD_LINES 12
#define HEAD_LINE_MAX 240

/* The first lines of a file as JSON strings (new): each cut at HEAD_LINE_MAX bytes, line ends
 * removed, bytes that are no UTF-8 shown as '?'. */
static json_t *head_lines(FILE *f)
{
    json_t *out = json_array();
    char buf[HEAD_LINE_MAX + 1];
    for (int n = 0; n < HEAD_LINES && fgets(buf, sizeof(buf), f); n++) {
        size_t len = strlen(buf);
        int whole = len > 0 && buf[len - 1] == '\n';
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            buf[--len] = '\0';
        }
        if (!whole) { /* the rest of a long line is not shown */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
        }
        json_t *s = json_stringn(buf, len);
        if (!s) {
            for (size_t i = 0; i < len; i++) {
                if ((unsigned char)buf[i] >= 0x80) {
                    buf[i] = '?';
                }
            }
            s = json_stringn(buf, len);
        }
        json_array_append_new(out, s ? s : json_string(""));
    }
    return out;
}

/* The header named a column that is not there: when one of the first lines of the file has a
 * field of that name, that line is the header, and skip_lines should skip what comes before. */
static void suggest_skip(struct rows *r, const char *name, const struct csv_options *o)
{
    size_t want = strlen(r->missing_col);
    for (size_t i = 0; i < json_array_size(r->preview_head); i++) {
        const char *line = json_string_value(json_array_get(r->preview_head, i));
        const char *p = line;
        while (p && *p) {
            const char *end = strchr(p, o->separator);
            size_t len = end ? (size_t)(end - p) : strlen(p);
            const char *f = p;
            while (len > 0 && (*f == ' ' || *f == o->quote)) {
                f++;
                len--;
            }
            while (len > 0 && (f[len - 1] == ' ' || f[len - 1] == o->quote)) {
                len--;
            }
            if (len == want && !memcmp(f, r->missing_col, want) && i != o->skip_lines) {
                r->skip_hint = (long)i;
                rows_note(r, "warn", "run.suggest_skip",
                          json_pack("{s:s, s:s, s:I, s:I}", "file", name, "column", r->missing_col,
                                    "line", (json_int_t)i + 1, "skip", (json_int_t)i),
                          "%s: line %zu holds the column '%s': set csv.skip_lines to %zu to read "
                          "the header there",
                          name, i + 1, r->missing_col, i);
                return;
            }
            p = end ? end + 1 : NULL;
        }
    }
}

static void note_v(struct rows *r, const char *level, const char *code, json_t *params,
                   const char *fmt, va_list ap)
{
    char msg[1024];
    char *ptext = NULL;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (r->poll) { /* polls run every few seconds: the poller reports, not each line */
        if (strcmp(level, "info") != 0) {
            snprintf(r->poll_note, sizeof(r->poll_note), "%s", msg);
        }
        json_decref(params);
        return;
    }
    if (r->preview_msgs) {
        json_t *m = json_pack("{s:s, s:s}", "level", level, "message", msg);
        if (m && code) {
            json_object_set_new(m, "code", json_string(code));
            json_object_set(m, "params", params ? params : json_object());
        }
        json_array_append_new(r->preview_msgs, m);
        json_decref(params);
        return;
    }
    if (code) {
        ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
        /* a line whose parameters do not fit is kept with its English text only */
        if (ptext && strlen(ptext) >= sizeof(((struct store_run_log_line *)0)->params)) {
            free(ptext);
            ptext = NULL;
            code = NULL;
        }
    }
    pause_sink(r);
    store_run_log(r->c, r->run->id, level, msg, code, code ? (ptext ? ptext : "{}") : NULL,
                  plat_now());
    free(ptext);
    json_decref(params);
}

void rows_log(struct rows *r, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_v(r, level, NULL, NULL, fmt, ap);
    va_end(ap);
}

void rows_note(struct rows *r, const char *level, const char *code, json_t *params, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_v(r, level, code, params, fmt, ap);
    va_end(ap);
}

void rows_reject(struct rows *r, const char *code, json_t *params, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    r->k.rows_rejected++;
    if (!params) {
        params = json_object();
    }
    if (r->preview_row) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_object_set_new(r->preview_row, "error", json_string(msg));
        json_object_set_new(r->preview_row, "error_code", json_string(code));
        json_object_set_new(r->preview_row, "error_params", params);
        return;
    }
    if (r->row_errors++ >= ROWS_LOG_ERRORS) {
        json_decref(params);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rows_note(r, "warn", "run.row_rejected",
              json_pack("{s:s, s:I, s:s, s:s, s:o}", "where", r->where, "line", (json_int_t)r->line,
                        "reason", msg, "reason_code", code, "reason_params", params),
              "%s:%llu: %s", r->where, (unsigned long long)r->line, msg);
}

/* A CSV reader's error as a run-log line: "run.file_error" (the file is not read on) or
 * "run.row_rejected_at", with the reason's code and its line, column and counts. */
void rows_csv_error(struct rows *r, const char *level, const char *code, const char *file,
                    const struct csv_error *e)
{
    json_t *p = json_pack("{s:s, s:I, s:I, s:s}", "where", file, "line", (json_int_t)e->line,
                          "column", (json_int_t)e->column, "reason", e->reason);
    if (p && e->code) {
        json_object_set_new(p, "reason_code", json_string(e->code));
        json_object_set_new(p, "reason_params",
                            json_pack("{s:I, s:I, s:I, s:s}", "column", (json_int_t)e->column, "n",
                                      (json_int_t)e->n, "m", (json_int_t)e->m, "detail",
                                      e->detail));
    }
    rows_note(r, level, code, p, "%s", e->message);
}

/* An ODBC error's detail with the message code of its SQLSTATE's class (the first "[XXXXX]" in
 * it) beside it: the driver's own text stays as the quoted detail. params is borrowed. */
static json_t *odbc_detail(json_t *params, const char *detail)
{
    static const struct {
        const char *prefix, *code;
    } classes[] = {
        {"08", "odbc.connection"}, {"28", "odbc.auth"},       {"42", "odbc.syntax_access"},
        {"IM", "odbc.driver"},     {"HYT", "odbc.timeout"},   {"HY", "odbc.driver_call"},
        {"22", "odbc.data"},       {"23", "odbc.constraint"}, {"40", "odbc.rollback"},
        {"3D", "odbc.catalog"},    {"01", "odbc.warning"},
    };
    const char *b = detail ? strchr(detail, '[') : NULL;
    json_object_set_new(params, "detail", json_string(detail ? detail : ""));
    if (!b || strlen(b) < 7 || b[6] != ']') {
        return params;
    }
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        if (!strncmp(b + 1, classes[i].prefix, strlen(classes[i].prefix))) {
            json_object_set_new(params, "detail_code", json_string(classes[i].code));
            json_object_set_new(
                params, "detail_params",
                json_pack("{s:s%, s:s}", "state", b + 1, (size_t)5, "detail", detail));
            break;
        }
    }
    return params;
}

void rows_reject_column(struct rows *r, int col, int numbered, const char *why)
{
    const char *name = col >= 0 && col < r->nnames ? r->names[col] : "?";
    json_t *p = why_attach(json_pack("{s:s, s:i}", "column", name, "n", col + 1), "why", why);
    if (numbered) {
        rows_reject(r, "row.column_n", p, "column %d '%s': %s", col + 1, name, why);
    } else {
        rows_reject(r, "row.column", p, "column '%s': %s", name, why);
    }
}

void rows_set_error(char *err, size_t errsz, const char *code, json_t *params, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    why_note(err, code, params);
}

const char *rows_why(const char *code, const char *text)
{
    why_note(text, code, NULL);
    return text;
}

int rows_cancelled(const struct rows *r)
{
    return r->cancel && r->cancel->flag;
}

void rows_progress(struct rows *r, int force)
{
    if (!force && ++r->progress_tick < ROWS_PROGRESS_TICK) {
        return;
    }
    r->progress_tick = 0;
    int64_t now = plat_monotonic_ms();
    if (r->preview_rows || r->poll || (!force && now - r->last_progress_ms < 1000)) {
        return;
    }
    r->last_progress_ms = now;
    pause_sink(r);
    store_run_progress(r->c, r->run->id, &r->k);
}

/* --- values --- */

int rows_parse_number(const struct rows *r, const char *s, size_t n, double *out, char *why,
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
        why_note(why, "num.too_long", json_pack("{s:i}", "max", (int)sizeof(buf) - 1));
        return ACDL_EINVAL;
    }
    int dots = 0, digits = 0, frac = 0;
    int64_t mant = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ',' && (r->cfg->kind == SOURCE_ODBC || r->cfg->csv.separator != ',')) {
            ch = '.';
        }
        if (ch >= '0' && ch <= '9') {
            digits++;
            frac += dots;
            mant = digits <= 15 ? mant * 10 + (ch - '0') : mant;
        } else if (ch == '.') {
            dots++;
        } else if (!(i == 0 && (ch == '-' || ch == '+'))) {
            snprintf(why, whysz, "'%.*s' is not a number", (int)(n > 40 ? 40 : n), s);
            why_note(why, "num.not_number", json_pack("{s:s%}", "value", s, n > 40 ? 40 : n));
            return ACDL_EINVAL;
        }
        buf[i] = ch;
    }
    buf[n] = '\0';
    if (digits == 0 || dots > 1) {
        snprintf(why, whysz, "'%s' is not a number", buf);
        why_note(why, "num.not_number", json_pack("{s:s}", "value", buf));
        return ACDL_EINVAL;
    }
    if (digits <= 15) {
        /* mant < 10^15 < 2^53 and 10^frac are exact doubles, so one division is correctly
         * rounded: the same double strtod gives, without its cost */
        static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        double v = (double)mant / p10[frac];
        *out = buf[0] == '-' ? -v : v;
        return 0;
    }
    *out = strtod(buf, NULL);
    if (!isfinite(*out)) {
        snprintf(why, whysz, "'%s' is out of range", buf);
        why_note(why, "num.out_of_range", json_pack("{s:s}", "value", buf));
        return ACDL_EINVAL;
    }
    return 0;
}

/* --- time --- */

/* The period rule. ODBC rows must lie in the queried period. A CSV run reads the files not
 * imported before (by checksum) and stages every day they hold, whatever the run's period:
 * dropping rows of other days would lose them for good, since the file is not read again.
 * A CSV run that re-reads (files imported before too), a preview and discovery take only the
 * period's days. The days the files held are tracked for recomputing the mappings and for
 * the preview's "no file holds this day". */
static int day_in_period(struct rows *r, struct tz_date d)
{
    if ((r->cfg->incremental.enabled || r->cfg->live_status.enabled) && !r->preview_rows) {
        return 1;
    }
    int in = tz_date_cmp(d, r->from) >= 0 && tz_date_cmp(d, r->to) <= 0;
    if (r->cfg->kind == SOURCE_CSV && (in || !r->reread)) { /* re-read: the period's days */
        if (!r->seen_any || tz_date_cmp(d, r->seen_from) < 0) {
            r->seen_from = d;
        }
        if (!r->seen_any || tz_date_cmp(d, r->seen_to) > 0) {
            r->seen_to = d;
        }
        r->seen_any = 1;
    }
    if (r->cfg->kind == SOURCE_CSV && !r->reread && !r->preview_rows) {
        return 1;
    }
    return in;
}

static struct tz_sequencer *sequencer_for(struct rows *r, const char *queue, size_t qlen,
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
        struct rows_seq_slot *s = &r->seq[(h + i) % SEQ_SLOTS];
        if (!s->key[0]) {
            snprintf(s->key, sizeof(s->key), "%s", key);
            tz_sequencer_init(&s->seq, r->tz, day);
            return &s->seq;
        }
        if (!strcmp(s->key, key)) {
            return &s->seq;
        }
    }
    /* full: start over (only matters on a day with a repeated hour and > 4096 queues) */
    memset(r->seq, 0, sizeof(struct rows_seq_slot) * SEQ_SLOTS);
    return sequencer_for(r, queue, qlen, day);
}

int rows_interval(struct rows *r, struct tz_date day, int64_t utc, int64_t *start, int *slot)
{
    if (r->nday_intervals == 0 || tz_date_cmp(day, r->intervals_day) != 0) {
        if (tz_day_intervals(r->tz, day, r->cfg->interval_minutes, r->day_intervals,
                             TZ_DAY_INTERVALS_MAX, &r->nday_intervals) != ACDL_OK) {
            r->nday_intervals = 0;
            return -1;
        }
        r->intervals_day = day;
    }
    int lo = 0, hi = r->nday_intervals - 1, best = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (r->day_intervals[mid] <= utc) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (best < 0) {
        return -1;
    }
    *start = r->day_intervals[best];
    if (slot) {
        *slot = best;
    }
    return 0;
}

/* Whether day has a repeated hour (cached for the last day asked about). */
static int day_has_fold(struct rows *r, struct tz_date day)
{
    if (!r->fold_valid || tz_date_cmp(day, r->fold_day) != 0) {
        int lo = 0, hi = 0;
        /* when the zone cannot say, go the careful way (the sequencer) */
        r->fold = tz_day_fold(r->tz, day, &lo, &hi) != ACDL_OK || lo < hi;
        r->fold_day = day;
        r->fold_valid = 1;
    }
    return r->fold;
}

/* rows_time() without the cache; *cacheable: the result depends on the fields alone (not on
 * the order of rows, as wall times of a day with a repeated hour do). */
static int parse_time(struct rows *r, const char *queue, size_t qlen, struct tz_date *day,
                      int64_t *utc, int *minute_of_day, int *second, int *cacheable)
{
    struct datetime_stamp st;
    *cacheable = 1;
    char why[160];
    why[0] = '\0'; /* printed after parsers that fail: never unwritten */
    memset(&st, 0, sizeof(st));
    if (r->i_stamp >= 0) {
        const char *s = r->val[r->i_stamp];
        size_t n = r->len[r->i_stamp];
        int rc = r->cfg->timestamp_format[0]
                     ? datetime_parse_format(&r->fmt_stamp, s, n, &st, why, sizeof(why))
                     : datetime_parse_stamp(
                           s, n, r->cfg->kind == SOURCE_ODBC ? DATETIME_YMD : r->cfg->date_order, 0,
                           &st, why, sizeof(why));
        if (rc != ACDL_OK || r->null[r->i_stamp]) {
            rows_reject_column(r, r->i_stamp, 0,
                               r->null[r->i_stamp] ? rows_why("row.no_timestamp", "no timestamp")
                                                   : why);
            return ACDL_EINVAL;
        }
    } else {
        int rc = r->cfg->date_format[0]
                     ? datetime_parse_format(&r->fmt_date, r->val[r->i_date], r->len[r->i_date],
                                             &st, why, sizeof(why))
                     : datetime_parse_date(r->val[r->i_date], r->len[r->i_date], r->cfg->date_order,
                                           &st.date, why, sizeof(why));
        if (rc != ACDL_OK) {
            rows_reject_column(r, r->i_date, 0, why);
            return ACDL_EINVAL;
        }
        struct datetime_stamp t;
        memset(&t, 0, sizeof(t));
        rc = r->cfg->time_format[0] ? datetime_parse_format(&r->fmt_time, r->val[r->i_time],
                                                            r->len[r->i_time], &t, why, sizeof(why))
                                    : datetime_parse_time(r->val[r->i_time], r->len[r->i_time], 0,
                                                          &t.time, why, sizeof(why));
        if (rc != ACDL_OK) {
            rows_reject_column(r, r->i_time, 0, why);
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
        tz_utc_to_local(r->tz, t, day, minute_of_day, second, &utc_off);
        *utc = t;
        return (r->any_day || day_in_period(r, *day)) ? 0 : 1;
    }
    if (*minute_of_day == 1440) {
        if (r->cfg->layout == LAYOUT_INTERVAL && r->cfg->product == PRODUCT_CONTACTS) {
            rows_reject(r, "row.end_of_day", NULL,
                        "24:00 is the end of a day, not the start of an interval");
            return ACDL_EINVAL;
        }
        tz_date_add_days(day, 1);
        *minute_of_day = 0;
    }
    if (!(r->any_day || day_in_period(r, *day))) {
        return 1;
    }
    if (r->cfg->layout == LAYOUT_INTERVAL && r->cfg->product == PRODUCT_CONTACTS &&
        (*minute_of_day % r->cfg->interval_minutes != 0 || *second != 0)) {
        char hms[12];
        snprintf(hms, sizeof(hms), "%02d:%02d:%02d", *minute_of_day / 60 % 100, *minute_of_day % 60,
                 *second % 100);
        rows_reject(r, "row.not_interval_start",
                    json_pack("{s:s, s:i}", "time", hms, "minutes", r->cfg->interval_minutes),
                    "%s is not the start of a %d-minute interval", hms, r->cfg->interval_minutes);
        return ACDL_EINVAL;
    }
    int rc;
    if (day_has_fold(r, *day)) {
        *cacheable = 0;
        rc = tz_sequencer_next(sequencer_for(r, queue, qlen, *day), *minute_of_day, *second, utc);
    } else {
        /* no wall time occurs twice: the order of rows does not matter */
        rc = tz_local_to_utc(r->tz, *day, *minute_of_day, *second, TZ_EARLIER, utc);
    }
    if (rc != ACDL_OK) {
        char ds[11];
        tz_date_format(*day, ds);
        char hm[8];
        snprintf(hm, sizeof(hm), "%02d:%02d", *minute_of_day / 60 % 100, *minute_of_day % 60);
        rows_reject(r, "row.time_skipped",
                    json_pack("{s:s, s:s, s:s}", "date", ds, "time", hm, "zone", r->cfg->time_zone),
                    "%s %s does not exist in %s (the clocks skip that hour)", ds, hm,
                    r->cfg->time_zone);
        return ACDL_EINVAL;
    }
    return 0;
}

/* A run read in parts of a day: a row whose local time (the naive time the query compares
 * with its period) lies outside the part being read. */
static inline void part_check(struct rows *r, int rc, struct tz_date day, int minute, int second)
{
    if (r->part_check && (rc == 0 || rc == 1)) {
        int64_t t = datetime_days_from_civil(day.y, day.m, day.d) * 86400 + minute * 60 + second;
        r->part_mismatch |= t < r->part_lo || t >= r->part_hi;
    }
}

int rows_time(struct rows *r, const char *queue, size_t qlen, struct tz_date *day, int64_t *utc,
              int *minute_of_day, int *second)
{
    /* Thousands of rows share a timestamp (all queues of an interval): the last conversion
     * is reused when the row's time fields are the same bytes. */
    struct rows_time_cache *tc = &r->tcache;
    const char *a, *b = "";
    size_t alen, blen = 0;
    int cacheable, rc;
    if (r->i_stamp >= 0) {
        a = r->val[r->i_stamp];
        alen = r->null[r->i_stamp] ? sizeof(tc->a) : r->len[r->i_stamp];
    } else {
        a = r->val[r->i_date];
        alen = r->len[r->i_date];
        b = r->val[r->i_time];
        blen = r->len[r->i_time];
    }
    if (tc->valid && alen == tc->alen && blen == tc->blen && !memcmp(a, tc->a, alen) &&
        !memcmp(b, tc->b, blen)) {
        *day = tc->day;
        *utc = tc->utc;
        *minute_of_day = tc->minute;
        *second = tc->second;
        r->outside |= tc->rc == 1;
        part_check(r, tc->rc, *day, *minute_of_day, *second);
        return tc->rc;
    }
    tc->valid = 0;
    rc = parse_time(r, queue, qlen, day, utc, minute_of_day, second, &cacheable);
    r->outside |= rc == 1;
    if ((rc == 0 || rc == 1) && cacheable && alen < sizeof(tc->a) && blen < sizeof(tc->b)) {
        memcpy(tc->a, a, alen);
        memcpy(tc->b, b, blen);
        tc->alen = alen;
        tc->blen = blen;
        tc->day = *day;
        tc->utc = *utc;
        tc->minute = *minute_of_day;
        tc->second = *second;
        tc->rc = rc;
        tc->valid = 1;
    }
    part_check(r, rc, *day, *minute_of_day, *second);
    return rc;
}

/* --- one row --- */

/* Binds the row's first n values to e: raw fields as numbers where they are numbers
 * (expr_bind_field), derived fields with the type their expression produced. Text where the
 * expression compares the value with a number is named once per input (what: the
 * expression's name for the run log; slot: its warning flag). */
static void bind_row(struct rows *r, struct expr *e, int n, const char *what, int slot)
{
    for (int i = 0; i < n; i++) {
        int is_text = 0;
        if (r->null[i]) {
            expr_bind_null(e, i);
        } else if (i >= r->nraw) {
            const struct expr_value *v = &r->derived_val[i - r->nraw];
            if (v->kind == EXPR_INTEGER) {
                expr_bind_int64(e, i, v->inum);
            } else if (v->kind == EXPR_REAL) {
                expr_bind_double(e, i, v->num);
            } else {
                expr_bind_text(e, i, r->val[i], (int)r->len[i]);
                is_text = v->kind == EXPR_TEXT && r->len[i] > 0;
            }
        } else {
            int64_t iv;
            double dv;
            expr_bind_field(e, i, r->val[i], r->len[i]);
            is_text = r->len[i] > 0 && !expr_text_number(r->val[i], r->len[i], &iv, &dv);
        }
        if (is_text && !r->text_cmp_warned[slot] && expr_compares_to_number(e, i)) {
            r->text_cmp_warned[slot] = 1;
            size_t vlen = r->len[i] > 40 ? 40 : r->len[i];
            json_t *p =
                json_pack("{s:s, s:I, s:s, s:s%}", "where", r->where, "line", (json_int_t)r->line,
                          "column", r->names[i], "value", r->val[i], vlen);
            if (slot < SOURCE_MAX_DERIVED) {
                json_object_set_new(p, "name", json_string(r->cfg->derived[slot].name));
            }
            rows_note(r, "warn",
                      slot < SOURCE_MAX_DERIVED ? "run.text_compared_derived"
                                                : "run.text_compared_filter",
                      p,
                      "%s:%llu: %s compares '%s' with a number, but it holds the text '%.*s' "
                      "(text is greater than every number): write CAST(\"%s\" AS REAL) or "
                      "check the column",
                      r->where, (unsigned long long)r->line, what, r->names[i], (int)vlen,
                      r->val[i], r->names[i]);
        }
    }
}

static int eval_derived(struct rows *r)
{
    char err[256] = "";
    for (int d = 0; d < r->cfg->nderived; d++) {
        struct expr *e = r->derived[d];
        char what[96];
        snprintf(what, sizeof(what), "derived field '%s'", r->cfg->derived[d].name);
        bind_row(r, e, r->nraw + d, what, d);
        if (expr_eval_value(e, &r->derived_val[d], r->derived_buf[d], sizeof(r->derived_buf[d]),
                            err, sizeof(err)) != ACDL_OK) {
            rows_reject(r, "row.derived",
                        why_attach(json_pack("{s:s}", "name", r->cfg->derived[d].name), "why", err),
                        "derived field '%s': %s", r->cfg->derived[d].name, err);
            return ACDL_EINVAL;
        }
        int slot = r->nraw + d;
        r->val[slot] = r->derived_buf[d];
        r->len[slot] = strlen(r->derived_buf[d]);
        r->null[slot] = r->derived_val[d].kind == EXPR_NULL;
    }
    if (r->filter) {
        int truth;
        bind_row(r, r->filter, r->nnames, "the row filter", SOURCE_MAX_DERIVED);
        if (expr_eval_bool(r->filter, &truth, err, sizeof(err)) != ACDL_OK) {
            rows_reject(r, "row.filter", why_attach(json_object(), "why", err), "row filter: %s",
                        err);
            return ACDL_EINVAL;
        }
        if (!truth) {
            r->k.rows_filtered++;
            return 1;
        }
    }
    return 0;
}

static int process_row_inner(struct rows *r)
{
    r->k.rows_read++;
    if (eval_derived(r) != 0) {
        return ACDL_OK; /* filtered or rejected: counted, go on with the next row */
    }
    return r->sink->row(r, r->sink->ctx);
}

/* Counts one member value of a previewed row into digest[group][value]; returns that entry. */
static json_t *digest_entry(json_t *digest, const char *group, const json_t *value)
{
    const char *v = json_string_value(value);
    json_t *g = json_object_get(digest, group), *e;
    if (!v || !g) {
        return NULL;
    }
    e = json_object_get(g, v);
    if (!e) {
        e = json_pack("{s:I}", "rows", (json_int_t)0);
        json_object_set_new(g, v, e);
    }
    json_object_set_new(e, "rows",
                        json_integer(json_integer_value(json_object_get(e, "rows")) + 1));
    return e;
}

/* What a previewed row holds, into the digest (see rows.h). */
static void digest_row(json_t *digest, const json_t *row)
{
    const char *name;
    json_t *v;
    if (json_object_get(row, "error")) { /* the first ones, for discovery */
        json_t *errors = json_object_get(digest, "errors");
        if (json_array_size(errors) < ROWS_DIGEST_ERRORS) {
            json_t *e =
                json_pack("{s:O, s:O, s:O}", "where", json_object_get(row, "where"), "line",
                          json_object_get(row, "line"), "error", json_object_get(row, "error"));
            if (e && json_object_get(row, "error_code")) {
                json_object_set(e, "error_code", json_object_get(row, "error_code"));
                json_object_set(e, "error_params", json_object_get(row, "error_params"));
            }
            json_array_append_new(errors, e);
        }
        return;
    }
    if (json_object_get(row, "filtered")) {
        return;
    }
    json_t *q = digest_entry(digest, "queues", json_object_get(row, "ext_queue"));
    if (q) {
        const char *at = json_string_value(json_object_get(row, "local"));
        const char *first = json_string_value(json_object_get(q, "first"));
        const char *last = json_string_value(json_object_get(q, "last"));
        if (at && (!first || strcmp(at, first) < 0)) {
            json_object_set_new(q, "first", json_string(at));
        }
        if (at && (!last || strcmp(at, last) > 0)) {
            json_object_set_new(q, "last", json_string(at));
        }
        if (json_is_string(json_object_get(row, "queue_name"))) {
            json_object_set(q, "name", json_object_get(row, "queue_name"));
        }
    }
    json_object_foreach(json_object_get(row, "values"), name, v)
    {
        json_t *key = json_string(name);
        json_t *m = digest_entry(digest, "metrics", key);
        json_decref(key);
        if (m) {
            double x = json_number_value(v);
            json_t *lo = json_object_get(m, "min"), *hi = json_object_get(m, "max");
            json_object_set_new(m, "total",
                                json_real(json_number_value(json_object_get(m, "total")) + x));
            if (!lo || x < json_number_value(lo)) {
                json_object_set_new(m, "min", json_real(x));
            }
            if (!hi || x > json_number_value(hi)) {
                json_object_set_new(m, "max", json_real(x));
            }
        }
    }
    digest_entry(digest, "agents", json_object_get(row, "agent"));
    digest_entry(digest, "activities", json_object_get(row, "activity"));
}

/* In preview mode each row becomes one JSON object: its raw fields, then either its parsed
 * queue, interval and values, an error, or filtered: true. */
static int process_row(struct rows *r)
{
    if (!r->preview_rows) {
        return process_row_inner(r);
    }
    if (r->preview_seen >= r->preview_max) {
        return ACDL_ESTOP;
    }
    r->preview_seen++;
    r->outside = 0;
    json_t *fields = json_array();
    for (int i = 0; i < r->nraw; i++) {
        json_array_append_new(fields,
                              r->null[i] ? json_null() : json_stringn(r->val[i], r->len[i]));
    }
    r->preview_row = json_pack("{s:s, s:I, s:o}", "where", r->where, "line", (json_int_t)r->line,
                               "fields", fields);
    int64_t filtered = r->k.rows_filtered;
    int rc = process_row_inner(r);
    if (r->outside) { /* another day: not part of this preview, not counted */
        r->outside = 0;
        r->preview_seen--;
        r->preview_other++;
        r->k.rows_read--;
        r->k.rows_filtered = filtered;
        json_decref(r->preview_row);
        r->preview_row = NULL;
        return rc;
    }
    if (r->k.rows_filtered > filtered) {
        json_object_set_new(r->preview_row, "filtered", json_true());
    }
    digest_row(r->preview_digest, r->preview_row);
    if ((int)json_array_size(r->preview_rows) < r->preview_keep) {
        json_array_append_new(r->preview_rows, r->preview_row);
    } else {
        json_decref(r->preview_row);
    }
    r->preview_row = NULL;
    return rc;
}

/* --- names and roles --- */

static int add_name(struct rows *r, const char *s, size_t n)
{
    if (r->nnames >= ROWS_MAX_COLS) {
        return ACDL_ETOOBIG;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        return ACDL_ENOMEM;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    r->name_store[r->nnames] = copy;
    r->names[r->nnames++] = copy;
    return ACDL_OK;
}

static void free_names(struct rows *r)
{
    for (int i = 0; i < r->nnames; i++) {
        free(r->name_store[i]);
        r->name_store[i] = NULL;
    }
    for (int d = 0; d < SOURCE_MAX_DERIVED; d++) {
        expr_free(r->derived[d]);
        r->derived[d] = NULL;
    }
    expr_free(r->filter);
    r->filter = NULL;
    r->nnames = r->nraw = 0;
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
static int find_column(struct rows *r, const char *spec)
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
        return n >= 1 && n <= r->nraw ? (int)n - 1 : -1;
    }
    for (int i = 0; i < r->nnames; i++) {
        if (!strcasecmp_ascii(r->names[i], spec)) {
            return i;
        }
    }
    return -1;
}

/* A live-status query's columns by the names settings.live_status gives (derived fields too),
 * and an optional column named activity_name. */
static int prepare_live_columns(struct rows *r)
{
    const struct source_live_status *ls = &r->cfg->live_status;
    struct {
        const char *name, *field;
        int *idx;
    } cols[] = {
        {ls->agent_column, "settings.live_status.agent_column", &r->i_agent},
        {ls->state_column, "settings.live_status.state_column", &r->i_activity},
        {ls->reason_column, "settings.live_status.reason_column", &r->i_reason},
        {ls->since_column, "settings.live_status.since_column", &r->i_start},
    };
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        if (!cols[i].name[0]) {
            continue;
        }
        *cols[i].idx = find_column(r, cols[i].name);
        if (*cols[i].idx < 0) {
            rows_note(r, "error", "run.live_column_missing",
                      json_pack("{s:s, s:s}", "column", cols[i].name, "field", cols[i].field),
                      "the query's result has no column '%s' (%s)", cols[i].name, cols[i].field);
            return ACDL_EINVAL;
        }
    }
    r->i_stamp = r->i_start;
    r->i_activity_name = find_column(r, "activity_name");
    return ACDL_OK;
}

/* Compiles derived fields and the filter over the current raw names and resolves the column
 * roles. Returns 0, or ACDL_EINVAL after logging why (the whole input is unusable). */
/* Agent states: the ODBC contract (agent id, activity id, start, then end or duration, and
 * an optional column named activity_name) or the CSV column roles. The start (and end) is the
 * timestamp role, or the time role beside the date column. */
static int prepare_state_columns(struct rows *r)
{
    const struct source_cfg *cfg = r->cfg;
    enum agent_span_form span = cfg->states.span;
    if (cfg->live_status.enabled && !r->history) {
        return prepare_live_columns(r);
    }
    if (cfg->kind == SOURCE_ODBC) {
        int need = span == SPAN_START_ONLY ? 3 : 4;
        if (r->nraw < need) {
            rows_note(r, "error",
                      span == SPAN_START_END        ? "run.query_columns_states_end"
                      : span == SPAN_START_DURATION ? "run.query_columns_states_duration"
                                                    : "run.query_columns_states",
                      json_pack("{s:i, s:s}", "n", r->nraw, "span", source_span_name(span)),
                      "the query returns %d column%s; agent states (%s) need agent id, "
                      "activity id, start%s",
                      r->nraw, r->nraw == 1 ? "" : "s", source_span_name(span),
                      span == SPAN_START_END        ? ", end"
                      : span == SPAN_START_DURATION ? ", duration seconds"
                                                    : "");
            return ACDL_EINVAL;
        }
        r->i_agent = 0;
        r->i_activity = 1;
        r->i_start = r->i_stamp = 2;
        if (span == SPAN_START_END) {
            r->i_end = 3;
        } else if (span == SPAN_START_DURATION) {
            r->i_duration = 3;
        }
        r->i_activity_name = find_column(r, "activity_name");
        return ACDL_OK;
    }
    struct {
        const struct source_column *col;
        int *idx;
        const char *role;
    } roles[] = {
        {&cfg->agent, &r->i_agent, "agent"},
        {&cfg->activity, &r->i_activity, "activity"},
        {&cfg->activity_name, &r->i_activity_name, "activity_name"},
        {&cfg->date, &r->i_date, "date"},
        {&cfg->start, &r->i_start, "start"},
        {&cfg->end, &r->i_end, "end"},
        {&cfg->duration, &r->i_duration, "duration"},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (!roles[i].col->spec[0]) {
            continue;
        }
        *roles[i].idx = find_column(r, roles[i].col->spec);
        if (*roles[i].idx < 0) {
            snprintf(r->missing_col, sizeof(r->missing_col), "%s", roles[i].col->spec);
            rows_note(r, "error", "run.no_column",
                      json_pack("{s:s, s:s, s:s, s:i}", "where", r->where, "column",
                                roles[i].col->spec, "role", roles[i].role, "columns", r->nraw),
                      "%s: no column '%s' for %s (the header has %d column%s)", r->where,
                      roles[i].col->spec, roles[i].role, r->nraw, r->nraw == 1 ? "" : "s");
            return ACDL_EINVAL;
        }
    }
    if (r->i_date >= 0) {
        r->i_time = r->i_start;
    } else {
        r->i_stamp = r->i_start;
    }
    return ACDL_OK;
}

static int prepare_columns(struct rows *r)
{
    r->tcache.valid = 0;
    memset(r->text_cmp_warned, 0, sizeof(r->text_cmp_warned));
    r->answered_guess_warned = 0;
    char err[800] = "";
    const struct source_cfg *cfg = r->cfg;
    for (int d = 0; d < cfg->nderived; d++) {
        if (expr_compile(cfg->derived[d].expression, r->names, r->nnames, &r->derived[d], err,
                         sizeof(err)) != ACDL_OK) {
            rows_note(
                r, "error", "run.derived_invalid",
                why_attach(json_pack("{s:s, s:s}", "where", r->where, "name", cfg->derived[d].name),
                           "why", err),
                "%s: derived field '%s': %s", r->where, cfg->derived[d].name, err);
            return ACDL_EINVAL;
        }
        if (add_name(r, cfg->derived[d].name, strlen(cfg->derived[d].name)) != ACDL_OK) {
            return ACDL_ENOMEM;
        }
    }
    if (cfg->filter[0] &&
        expr_compile(cfg->filter, r->names, r->nnames, &r->filter, err, sizeof(err)) != ACDL_OK) {
        rows_note(r, "error", "run.filter_invalid",
                  why_attach(json_pack("{s:s}", "where", r->where), "why", err),
                  "%s: row filter: %s", r->where, err);
        return ACDL_EINVAL;
    }
    r->i_queue = r->i_qname = r->i_date = r->i_time = r->i_stamp = r->i_answered = r->i_duration =
        -1;
    r->nmetric_cols = 0;
    r->i_agent = r->i_activity = r->i_activity_name = r->i_start = r->i_end = r->i_reason = -1;
    if (cfg->product == PRODUCT_AGENT_STATES) {
        return prepare_state_columns(r);
    }
    if (cfg->kind == SOURCE_ODBC) {
        /* the documented result contract */
        if (r->nraw < 4) {
            rows_note(r, "error",
                      cfg->layout == LAYOUT_CONTACT ? "run.query_columns_contact"
                                                    : "run.query_columns_interval",
                      json_pack("{s:i}", "n", r->nraw),
                      "the query returns %d column%s; the %s layout needs %s", r->nraw,
                      r->nraw == 1 ? "" : "s", source_layout_name(cfg->layout),
                      cfg->layout == LAYOUT_CONTACT
                          ? "queue id, timestamp, answered (0/1), duration seconds"
                          : "queue id, queue name, interval start, then one column per metric");
            return ACDL_EINVAL;
        }
        r->i_queue = 0;
        if (cfg->layout == LAYOUT_CONTACT) {
            r->i_stamp = 1;
            r->i_answered = 2;
            r->i_duration = 3;
        } else {
            r->i_qname = 1;
            r->i_stamp = 2;
            for (int i = 3; i < r->nraw; i++) {
                r->i_metric[r->nmetric_cols] = i;
                snprintf(r->metric_names[r->nmetric_cols], sizeof(r->metric_names[0]), "%s",
                         r->names[i]);
                r->nmetric_cols++;
            }
        }
        return ACDL_OK;
    }
    struct {
        const struct source_column *col;
        int *idx;
        const char *role;
    } roles[] = {
        {&cfg->queue, &r->i_queue, "queue"},
        {&cfg->queue_name, &r->i_qname, "queue_name"},
        {&cfg->date, &r->i_date, "date"},
        {&cfg->time, &r->i_time, "time"},
        {&cfg->timestamp, &r->i_stamp, "timestamp"},
        {&cfg->answered, &r->i_answered, "answered"},
        {&cfg->duration, &r->i_duration, "duration"},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (!roles[i].col->spec[0]) {
            continue;
        }
        *roles[i].idx = find_column(r, roles[i].col->spec);
        if (*roles[i].idx < 0) {
            snprintf(r->missing_col, sizeof(r->missing_col), "%s", roles[i].col->spec);
            rows_note(r, "error", "run.no_column",
                      json_pack("{s:s, s:s, s:s, s:i}", "where", r->where, "column",
                                roles[i].col->spec, "role", roles[i].role, "columns", r->nraw),
                      "%s: no column '%s' for %s (the header has %d column%s)", r->where,
                      roles[i].col->spec, roles[i].role, r->nraw, r->nraw == 1 ? "" : "s");
            return ACDL_EINVAL;
        }
    }
    for (int i = 0; i < cfg->nmetrics; i++) {
        int idx = find_column(r, cfg->metrics[i].col.spec);
        if (idx < 0) {
            snprintf(r->missing_col, sizeof(r->missing_col), "%s", cfg->metrics[i].col.spec);
            rows_note(r, "error", "run.no_metric_column",
                      json_pack("{s:s, s:s, s:s}", "where", r->where, "column",
                                cfg->metrics[i].col.spec, "metric", cfg->metrics[i].name),
                      "%s: no column '%s' for metric '%s'", r->where, cfg->metrics[i].col.spec,
                      cfg->metrics[i].name);
            return ACDL_EINVAL;
        }
        r->i_metric[r->nmetric_cols] = idx;
        snprintf(r->metric_names[r->nmetric_cols], sizeof(r->metric_names[0]), "%s",
                 cfg->metrics[i].name);
        r->nmetric_cols++;
    }
    return ACDL_OK;
}

/* --- CSV --- */

struct csv_walk {
    struct rows *r;
    int rc;
    struct plat_dir *dir; /* the source folder, checked against the import roots */
    FILE *file;           /* the file being read (closed by read_csv after each file) */
};

/* csv_read_fn over an open file. */
static int read_stream(void *ctx, char *buf, size_t cap, size_t *got)
{
    FILE *f = ctx;
    *got = fread(buf, 1, cap, f);
    return *got == 0 && ferror(f) ? ACDL_EIO : ACDL_OK;
}

static int file_done_before(struct rows *r, const char *sha)
{
    sqlite3_stmt *s = store_prepare(r->c, "SELECT 1 FROM imported_files WHERE source_id = ? AND "
                                          "sha256 = ?");
    int found = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, r->run->source_id);
        sqlite3_bind_text(s, 2, sha, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
        store_done(s);
    }
    return found;
}

static int note_file(struct rows *r, const char *name, const char *sha, long long size)
{
    if (r->nfiles == r->files_cap) {
        int ncap = r->files_cap ? r->files_cap * 2 : 64;
        struct rows_file *nf = realloc(r->files, (size_t)ncap * sizeof(*nf));
        if (!nf) {
            return ACDL_ENOMEM;
        }
        r->files = nf;
        r->files_cap = ncap;
    }
    struct rows_file *f = &r->files[r->nfiles];
    size_t n = strlen(name);
    f->name = malloc(n + 1);
    if (!f->name) {
        return ACDL_ENOMEM;
    }
    memcpy(f->name, name, n + 1);
    snprintf(f->sha256, sizeof(f->sha256), "%s", sha);
    f->size = size;
    r->nfiles++;
    return ACDL_OK;
}

/* A last line without a line end in a file changed within the source's wait may be one the
 * ACD is still writing (a value cut short looks like a smaller value): 1 when that is so, and
 * the run log says the file waits. */
static int file_still_written(struct rows *r, const char *path, const char *name, uint64_t line)
{
    int64_t age = plat_file_age_s(path);
    if (age < 0 || age >= r->cfg->partial_line_wait_s) {

        return 0;
    }
    rows_note(r, "info", "run.partial_line",
              json_pack("{s:s, s:I, s:I, s:i}", "file", name, "line", (json_int_t)line, "age",
                        (json_int_t)age, "wait", r->cfg->partial_line_wait_s),
              "%s: line %llu has no line end and the file changed %llds ago: it may still be "
              "being written, so that line is left for a later run and the file is not marked "
              "imported (csv.partial_line_wait_s %d)",
              name, (unsigned long long)line, (long long)age, r->cfg->partial_line_wait_s);
    return 1;
}

/* Opens name in the source folder for reading: only a regular file whose resolved path (into
 * real) lies inside the import roots. NULL (logged, counted as skipped) otherwise. */
FILE *rows_open_in_folder(struct rows *r, struct plat_dir *dir, const char *name,
                          enum plat_entry_kind kind, char *real, size_t realsz)
{
    char parent[ROOTS_PATH_MAX], why[1600] = "";
    enum fspath_flavour fl = PLAT_PATH_WINDOWS ? FSPATH_WINDOWS : FSPATH_POSIX;
    FILE *f = NULL;
    int rc;
    if (kind != PLAT_ENTRY_FILE && kind != PLAT_ENTRY_LINK) {
        rows_note(r, "warn", "run.file_not_regular",
                  json_pack("{s:s, s:s}", "file", name, "kind", plat_entry_kind_key(kind)),
                  "%s: skipped: it is %s, not a regular file", name, plat_entry_kind_text(kind));
        r->k.files_skipped++;
        return NULL;
    }
    rc = plat_dir_open_file(dir, name, &f, real, realsz, &kind);
    if (rc == ACDL_EPERM) {
        rows_note(r, "warn", "run.file_not_regular",
                  json_pack("{s:s, s:s}", "file", name, "kind", plat_entry_kind_key(kind)),
                  "%s: skipped: it is %s%s, not a regular file", name,
                  kind == PLAT_ENTRY_FILE ? "" : "or leads to ", plat_entry_kind_text(kind));
        r->k.files_skipped++;
        return NULL;
    }
    if (rc != ACDL_OK) {
        rows_note(r, "warn", "run.file_cannot_open",
                  why_attach(json_pack("{s:s}", "file", name), "reason", acdl_strerror(rc)),
                  "%s: cannot open: %s; skipped", name, acdl_strerror(rc));
        r->k.files_skipped++;
        return NULL;
    }
    /* a link, or a folder swapped meanwhile, must not lead out of the roots */
    if (fspath_parent(fl, real, parent, sizeof(parent)) != ACDL_OK ||
        roots_check_folder(ROOTS_IMPORT, parent, NULL, 0, why, sizeof(why)) != ACDL_OK) {
        rows_note(r, "warn", "run.file_outside_roots", json_pack("{s:s}", "file", name),
                  "%s: skipped: it is a link that leads outside the allowed import folders "
                  "(import_roots) or into acdlink's own files",
                  name);
        fclose(f);
        r->k.files_skipped++;
        return NULL;
    }
    return f;
}

int rows_csv_columns(struct rows *r, struct csv_reader *rd, const char *name,
                     const struct csv_options *o)
{
    free_names(r);
    size_t nh = 0;
    const struct csv_field *hdr = csv_header(rd, &nh);
    if (hdr) {
        for (size_t i = 0; i < nh && (int)i < ROWS_MAX_COLS - SOURCE_MAX_DERIVED; i++) {
            add_name(r, hdr[i].ptr, hdr[i].len);
        }
    } else {
        /* no header: columns are known by number; name them "1", "2", ... */
        for (int i = 0; i < ROWS_MAX_COLS - SOURCE_MAX_DERIVED && i < 256; i++) {
            char num[8];
            int n = snprintf(num, sizeof(num), "%d", i + 1);
            add_name(r, num, (size_t)n);
        }
    }
    r->nraw = r->nnames;
    r->missing_col[0] = '\0';
    if (prepare_columns(r) != ACDL_OK) {
        if (r->preview_rows && r->missing_col[0]) {
            suggest_skip(r, name, o);
        }
        return 1;
    }
    if (r->sink->columns) {
        return r->sink->columns(r, r->sink->ctx);
    }
    return ACDL_OK;
}

int rows_csv_record(struct rows *r, const struct csv_record *rec)
{
    int n = (int)rec->nfields < r->nraw ? (int)rec->nfields : r->nraw;
    for (int i = 0; i < r->nraw; i++) {
        r->val[i] = i < n ? rec->fields[i].ptr : "";
        r->len[i] = i < n ? rec->fields[i].len : 0;
        r->null[i] = i >= n;
    }
    return process_row(r);
}

static int import_file(const char *name, enum plat_entry_kind kind, void *ctx)
{
    struct csv_walk *w = ctx;
    struct rows *r = w->r;
    char sha[65], path[ROOTS_PATH_MAX];
    long long size = 0;
    struct csv_reader *rd = NULL;
    struct csv_record rec;
    struct csv_error cerr;
    struct csv_options o = r->cfg->csv;
    FILE *f = NULL;
    int rc;

    if (rows_cancelled(r)) {
        return ACDL_ESTOP;
    }
    snprintf(r->where, sizeof(r->where), "%s", name);
    if (!(f = rows_open_in_folder(r, w->dir, name, kind, path, sizeof(path)))) {
        return 0;
    }
    if (crypto_sha256_stream(f, sha, &size) != ACDL_OK || fseek(f, 0, SEEK_SET) != 0) {
        rows_note(r, "warn", "run.file_cannot_read", json_pack("{s:s}", "file", name),
                  "%s: cannot read the file; skipped", name);
        r->k.files_skipped++;
        fclose(f);
        return 0;
    }
    if (!r->preview_rows && !r->reread && file_done_before(r, sha)) {
        rows_note(r, "info", "run.file_seen", json_pack("{s:s}", "file", name),
                  "%s: imported before (same content); skipped", name);
        r->k.files_skipped++;
        fclose(f);
        return 0;
    }
    if (r->preview_rows && !r->preview_head) {
        /* the preview shows the first lines of the file as they are */
        r->preview_head = head_lines(f);
        if (fseek(f, 0, SEEK_SET) != 0) {
            rows_note(r, "warn", "run.file_cannot_read", json_pack("{s:s}", "file", name),
                      "%s: cannot read the file; skipped", name);
            r->k.files_skipped++;
            fclose(f);
            return 0;
        }
    }
    o.name = name;
    rc = csv_open_stream(&rd, read_stream, f, &o);
    if (rc != ACDL_OK) {
        rows_note(r, "warn", "run.file_cannot_open",
                  why_attach(json_pack("{s:s}", "file", name), "reason", acdl_strerror(rc)),
                  "%s: cannot open: %s", name, acdl_strerror(rc));
        r->k.files_skipped++;
        fclose(f);
        return 0;
    }
    w->file = f;
    rc = csv_header_read(rd, &cerr);
    if (rc == ACDL_OK && o.header && csv_last_open(rd) && file_still_written(r, path, name, 1)) {
        csv_close(rd);
        r->k.files_skipped++;
        return 0;
    }
    if (rc != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            rows_note(r, "error", "run.file_no_header", json_pack("{s:s}", "file", name),
                      "%s: the file has no header", name);
        } else {
            rows_csv_error(r, "error", "run.file_error", name, &cerr);
        }
        csv_close(rd);
        r->k.files_skipped++;
        return 0;
    }
    rc = rows_csv_columns(r, rd, name, &o);
    if (rc != ACDL_OK) {
        csv_close(rd);
        if (rc == 1) {
            r->k.files_skipped++;
            return 0;
        }
        return rc;
    }
    int64_t rejected_before = r->k.rows_rejected;
    int strict_fail = 0, waiting = 0;
    for (;;) {
        rc = csv_next(rd, &rec, &cerr);
        if (rc == CSV_END) {
            break;
        }
        if ((rc == CSV_RECORD || csv_error_recoverable(rc)) && csv_last_open(rd) &&
            file_still_written(r, path, name, rc == CSV_RECORD ? rec.line : cerr.line)) {
            waiting = 1;
            break;
        }
        if (rc < 0) {
            if (!csv_error_recoverable(rc)) {
                rows_csv_error(r, "error", "run.file_error", name, &cerr);
                strict_fail = 1;
                break;
            }
            r->line = cerr.line;
            r->k.rows_read++;
            r->k.rows_rejected++;
            if (r->row_errors++ < ROWS_LOG_ERRORS) {
                rows_csv_error(r, "warn", "run.row_rejected_at", name, &cerr);
            }
            continue;
        }
        r->line = rec.line;
        rc = rows_csv_record(r, &rec);
        if (rc != ACDL_OK) {
            csv_close(rd);
            return rc;
        }
        if (rows_cancelled(r)) {
            csv_close(rd);
            return ACDL_ESTOP;
        }
        rows_progress(r, 0);
    }
    csv_close(rd);
    if (!strict_fail && r->sink->end_input && (rc = r->sink->end_input(r, r->sink->ctx))) {
        return rc;
    }
    if (r->cfg->strict && (strict_fail || r->k.rows_rejected > rejected_before)) {
        rows_note(r, "error", "run.strict_stop", json_pack("{s:s}", "file", name),
                  "%s: rejected rows and the source is strict: the run stops", name);
        return ACDL_EINVAL;
    }
    if (strict_fail) {
        r->k.files_skipped++;
        return 0;
    }
    r->k.files_read++;
    if (r->preview_rows) {
        return r->preview_seen >= r->preview_max ? ACDL_ESTOP : 0;
    }
    if (waiting) {
        return 0; /* its complete lines are staged; the whole file is read again later */
    }
    if ((rc = note_file(r, name, sha, size)) != ACDL_OK) {
        return rc;
    }
    rows_note(r, "info", "run.file_read",
              json_pack("{s:s, s:I}", "file", name, "bytes", (json_int_t)size),
              "%s: read (%lld byte%s)", name, size, size == 1 ? "" : "s");
    return 0;
}

/* Opens folder after checking it (and what was opened) against the import roots; *out is
 * new. Returns 0, or an ACDL_E* code after a run-log line. */
int rows_open_folder(struct rows *r, const char *field, const char *folder, struct plat_dir **out)
{
    char real[ROOTS_PATH_MAX], opened[ROOTS_PATH_MAX], why[1600] = "";
    int rc = roots_check_folder(ROOTS_IMPORT, folder, real, sizeof(real), why, sizeof(why));
    *out = NULL;
    if (rc != ACDL_OK) {
        rows_note(r, "error", "run.folder_refused",
                  why_attach(json_pack("{s:s}", "field", field), "why", why), "%s: %s", field, why);
        return ACDL_EPERM;
    }
    rc = plat_dir_open(real, out);
    if (rc == ACDL_ENOTFOUND) {
        rows_note(r, "error", "run.folder_missing", json_pack("{s:s}", "folder", folder),
                  "the folder %s does not exist or cannot be read", folder);
        return rc;
    }
    if (rc != ACDL_OK) {
        rows_note(r, "error", "run.folder_unreadable",
                  why_attach(json_pack("{s:s}", "folder", folder), "reason", acdl_strerror(rc)),
                  "the folder %s cannot be read: %s", folder, acdl_strerror(rc));
        return rc;
    }
    if (plat_dir_real(*out, opened, sizeof(opened)) != ACDL_OK ||
        roots_check_folder(ROOTS_IMPORT, opened, NULL, 0, why, sizeof(why)) != ACDL_OK) {
        rows_note(r, "error", "run.folder_changed",
                  json_pack("{s:s, s:s}", "field", field, "folder", folder),
                  "%s: the folder %s changed while it was opened; not read", field, folder);
        plat_dir_close(*out);
        *out = NULL;
        return ACDL_EPERM;
    }
    return ACDL_OK;
}

static int import_entry(const char *name, enum plat_entry_kind kind, void *ctx)
{
    struct csv_walk *w = ctx;
    int rc = import_file(name, kind, ctx);
    if (w->file) {
        fclose(w->file);
        w->file = NULL;
    }
    return rc;
}

static int read_csv(struct rows *r)
{
    struct csv_walk w = {r, 0, NULL, NULL};
    int rc = rows_open_folder(r, "csv.folder", r->cfg->folder, &w.dir);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = plat_dir_entries(w.dir, r->cfg->pattern, import_entry, &w);
    if (rc == ACDL_EIO) {
        rows_note(
            r, "error", "run.folder_unreadable",
            why_attach(json_pack("{s:s}", "folder", r->cfg->folder), "reason", acdl_strerror(rc)),
            "the folder %s cannot be read", r->cfg->folder);
    }
    plat_dir_close(w.dir);
    return rc;
}

int rows_files_commit(struct rows *r)
{
    int rc = ACDL_OK;
    if (r->nfiles == 0) {
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(r->c, "INSERT OR REPLACE INTO imported_files (source_id, "
                                          "sha256, name, size, imported_at, run_id) VALUES (?, ?, "
                                          "?, ?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    int64_t now = plat_now();
    for (int i = 0; i < r->nfiles && rc == ACDL_OK; i++) {
        sqlite3_bind_int64(s, 1, r->run->source_id);
        sqlite3_bind_text(s, 2, r->files[i].sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, r->files[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, r->files[i].size);
        sqlite3_bind_int64(s, 5, now);
        sqlite3_bind_int64(s, 6, r->run->id);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        sqlite3_reset(s);
    }
    store_done(s);
    return rc;
}

void rows_files_after(struct rows *r)
{
    struct plat_dir *dir = NULL, *archive = NULL;
    char real[ROOTS_PATH_MAX], why[1600] = "";
    if (r->cfg->kind != SOURCE_CSV || r->cfg->after_import == AFTER_KEEP || r->nfiles == 0) {
        return;
    }
    if (rows_open_folder(r, "csv.folder", r->cfg->folder, &dir) != ACDL_OK) {
        rows_note(r, "warn", "run.files_stay", NULL, "imported files stay where they are");
        return;
    }
    if (r->cfg->after_import == AFTER_MOVE) {
        /* the archive folder is made when missing, but only inside the roots */
        if (roots_check_folder(ROOTS_IMPORT, r->cfg->archive_folder, real, sizeof(real), why,
                               sizeof(why)) == ACDL_OK) {
            plat_mkdir_p(real, 0);
        }
        if (rows_open_folder(r, "csv.archive_folder", r->cfg->archive_folder, &archive) !=
            ACDL_OK) {
            rows_note(r, "warn", "run.files_stay", NULL, "imported files stay where they are");
            plat_dir_close(dir);
            return;
        }
    }
    for (int i = 0; i < r->nfiles; i++) {
        const char *name = r->files[i].name;
        if (r->cfg->after_import == AFTER_DELETE) {
            if (plat_dir_remove_file(dir, name) != ACDL_OK) {
                rows_note(r, "warn", "run.file_not_deleted", json_pack("{s:s}", "file", name),
                          "%s: imported, but could not be deleted", name);
            }
        } else if (plat_dir_move_file(dir, name, archive) != ACDL_OK) {
            rows_note(r, "warn", "run.file_not_moved",
                      json_pack("{s:s, s:s}", "file", name, "folder", r->cfg->archive_folder),
                      "%s: imported, but could not be moved to %s", name, r->cfg->archive_folder);
        }
    }
    plat_dir_close(archive);
    plat_dir_close(dir);
}

/* --- ODBC --- */

/* Rows per server round trip (psqlODBC's Fetch=, whose rows the driver holds as they come)
 * and per SQLFetchScroll (column buffers of up to 256 bytes a value): small enough that the
 * driver's and our buffers stay a few MB, large enough that a round trip or a call costs
 * nothing per row. */
#define ROWS_ODBC_FETCH_ROWS 1000u
#define ROWS_ODBC_BLOCK_ROWS 128u
/* Blocks a run's query fetches ahead on a thread of its own while the rows before them are
 * staged: the driver's work (half of a run's CPU) and its waits for the server's next batch
 * then overlap with ours. One is enough for that (two sets of buffers, ~0.4 MB: the run's
 * memory bound counts them). Previews and discovery read a few rows and fetch inline. */
#define ROWS_ODBC_READ_AHEAD 1u
/* A run of several days read by several connections (odbc.connections): one query per day,
 * or per few days beyond this many days, and the rows of the days not yet staged held in at
 * most this many bytes (about 40 bytes a row of 9 short columns: ~400,000 rows). */
#define ROWS_ODBC_MAX_PARTS 62
#define ROWS_ODBC_HOLD_BYTES (16u * 1024u * 1024u)

/* Naive seconds (days since 1970-01-01 x 86400 + seconds of the day) as a date and time. */
static void naive_datetime(int64_t t, struct odbc_datetime *out)
{
    struct tz_date d = {1970, 1, 1};
    int64_t days;
    t = t < -62135596800LL ? -62135596800LL : t; /* 0001-01-01: no earlier date binds */
    days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    tz_date_add_days(&d, (int)days);
    *out = (struct odbc_datetime){
        d.y, d.m, d.d, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60)};
}

void rows_conn_keep_close(struct rows_conn_keep *k)
{
    if (k && k->conn) {
        odbc_conn_close(k->conn);
        k->conn = NULL;
        k->key = 0;
    }
}

static uint64_t fnv_add(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return (h ^ 0xff) * 1099511628211ULL; /* a separator: "ab","c" differs from "a","bc" */
}

/* What a kept connection was opened with: another value means connect again. */
static uint64_t conn_key(const struct rows *r, const struct store_source *src)
{
    char t[24];
    uint64_t h = 14695981039346656037ULL;
    snprintf(t, sizeof(t), "%d", r->cfg->timeout_s);
    h = fnv_add(h, r->cfg->dsn);
    h = fnv_add(h, r->cfg->connection_string);
    h = fnv_add(h, r->cfg->user);
    h = fnv_add(h, src->password_sealed);
    return fnv_add(h, t);
}

/* Whether a run's days may be read in parts of a day: contact statistics only, whose rows
 * each stand alone in time, and not once the query was found not to select by the time within
 * a day. An agent state's row ends the state before it (start-only layouts) or may begin in an
 * earlier part (start and duration): the day is read whole. */
static int odbc_day_split_ok(const struct rows *r)
{
    return !r->no_day_split && r->cfg->product == PRODUCT_CONTACTS;
}

/* How many connections read a run's days at once: odbc.connections, but 1 for a kept
 * connection (polls), previews, incremental reads, a driver that does not stream (MariaDB's
 * holds each result whole: several at once would hold several) and SQL without both period
 * parameters; a single day too when it is not read in parts (odbc_day_split_ok). */
static unsigned odbc_split_conns(const struct rows *r, struct odbc_conn *conn, const char *sql)
{
    struct odbc_sql rw;
    unsigned want = (unsigned)r->cfg->connections, both = 0;
    int64_t days = tz_date_diff(r->to, r->from) + 1;
    if (want <= 1 || r->keep || r->preview_max != 0 || r->cfg->incremental.enabled ||
        !odbc_conn_streaming(conn)[0] || (days < 2 && !odbc_day_split_ok(r)) ||
        odbc_sql_rewrite(sql, &rw, NULL, 0) != ACDL_OK) {
        return 1;
    }
    for (size_t i = 0; i < rw.nparams; i++) {
        if (rw.params[i] > ODBC_PARAM_PERIOD_END) {
            both = 4; /* :since or :until */
        } else {
            both |= 1u << rw.params[i];
        }
    }
    odbc_sql_free(&rw);
    if (both != 3) {
        return 1;
    }
    return days < (int64_t)want && !odbc_day_split_ok(r) ? (unsigned)days : want;
}

/* A run of fewer days than connections (nconn): each day in this many parts of a day. */
static int64_t odbc_day_split(const struct rows *r, unsigned nconn)
{
    int64_t days = tz_date_diff(r->to, r->from) + 1;
    return !odbc_day_split_ok(r) || days >= (int64_t)nconn ? 1 : ((int64_t)nconn + days - 1) / days;
}

/* A run of fewer days than connections: each day as that many consecutive parts of equal
 * length (naive local times; a day the clocks change has the same cuts, and the parts still
 * cover it whole), the run checking that each row lies in its part (rows_time()). */
static struct odbc_period *odbc_subday_parts(struct rows *r, unsigned nconn, unsigned *n)
{
    int64_t days = tz_date_diff(r->to, r->from) + 1, k = odbc_day_split(r, nconn);
    struct odbc_period *out = calloc((size_t)(days * k), sizeof(*out));
    struct tz_date d = r->from;
    for (int64_t i = 0; out && i < days; i++, tz_date_add_days(&d, 1)) {
        struct tz_date next = d;
        tz_date_add_days(&next, 1);
        for (int64_t j = 0; j < k; j++) {
            int lo = (int)(j * 1440 / k), hi = (int)((j + 1) * 1440 / k);
            struct odbc_period *p = &out[i * k + j];
            p->start = (struct odbc_datetime){d.y, d.m, d.d, lo / 60, lo % 60, 0};
            p->end = hi == 1440 ? (struct odbc_datetime){next.y, next.m, next.d, 0, 0, 0}
                                : (struct odbc_datetime){d.y, d.m, d.d, hi / 60, hi % 60, 0};
        }
    }
    *n = (unsigned)(days * k);
    r->part_check = out != NULL;
    return out;
}

/* The naive seconds of a period's bound. */
static int64_t naive_seconds(const struct odbc_datetime *t)
{
    return datetime_days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
           t->minute * 60 + t->second;
}

/* The run's days as consecutive periods of whole days, in order (new, *n of them): one day
 * each, or a few when there are more than ROWS_ODBC_MAX_PARTS days; parts of a day when the
 * run has fewer days than connections (odbc_subday_parts). */
static struct odbc_period *odbc_day_parts(struct rows *r, unsigned nconn, unsigned *n)
{
    if (odbc_day_split(r, nconn) > 1) {
        return odbc_subday_parts(r, nconn, n);
    }
    int64_t days = tz_date_diff(r->to, r->from) + 1;
    int64_t len = (days + ROWS_ODBC_MAX_PARTS - 1) / ROWS_ODBC_MAX_PARTS;
    unsigned count = (unsigned)((days + len - 1) / len);
    struct odbc_period *out = calloc(count, sizeof(*out));
    struct tz_date d = r->from;
    for (unsigned i = 0; out && i < count; i++) {
        out[i].start = (struct odbc_datetime){d.y, d.m, d.d, 0, 0, 0};
        tz_date_add_days(&d, (int)len);
        if (tz_date_cmp(d, r->to) > 0) {
            d = r->to;
            tz_date_add_days(&d, 1);
        }
        out[i].end = (struct odbc_datetime){d.y, d.m, d.d, 0, 0, 0};
    }
    *n = count;
    return out;
}

struct conn_opener {
    pthread_t th;
    int started, rc;
    const struct odbc_conn_opts *co;
    struct odbc_conn *conn;
    char why[600];
};

static void *conn_opener_main(void *arg)
{
    struct conn_opener *o = arg;
    o->rc = odbc_conn_open(o->co, &o->conn, o->why, sizeof(o->why));
    return NULL;
}

/* Opens the further connections of a run that reads in parts (more[0..nconn-2]), all at once
 * (each connecting takes a few round trips to the server and its login), and returns how
 * many connections the run has then: those refused are left out, with a warning. */
static unsigned more_conns_open(const struct odbc_conn_opts *co, struct odbc_conn **more,
                                unsigned nconn, int64_t source_id)
{
    struct conn_opener o[ROWS_ODBC_MAX_CONNS - 1];
    unsigned got = 1;
    memset(o, 0, sizeof(o));
    for (unsigned i = 0; i + 1 < nconn; i++) {
        o[i].co = co;
        o[i].started = pthread_create(&o[i].th, NULL, conn_opener_main, &o[i]) == 0;
        if (!o[i].started) {
            conn_opener_main(&o[i]);
        }
    }
    for (unsigned i = 0; i + 1 < nconn; i++) {
        if (o[i].started) {
            pthread_join(o[i].th, NULL);
        }
        if (o[i].rc == ACDL_OK) {
            more[got++ - 1] = o[i].conn;
        } else {
            log_warn("odbc", "source %lld: a connection of the run was refused: %s",
                     (long long)source_id, o[i].why);
        }
    }
    if (got < nconn) {
        log_warn("odbc", "source %lld: the run reads with %u connections, not %u",
                 (long long)source_id, got, nconn);
    }
    return got;
}

static int read_odbc(struct rows *r, const struct store_source *src)
{
    char err[600] = "", aad[64];
    char *password = NULL;
    size_t pwlen = 0;
    struct odbc_conn *conn = NULL;
    struct odbc_conn *more[ROWS_ODBC_MAX_CONNS - 1] = {NULL};
    struct odbc_query *q = NULL;
    struct odbc_parts *parts = NULL;
    struct odbc_period *pp = NULL;
    unsigned nconn = 1, npp = 0, part = ~0u;
    struct odbc_row row;
    int rc;

    uint64_t key = r->keep ? conn_key(r, src) : 0;
    if (r->keep && r->keep->conn && r->keep->key != key) {
        rows_conn_keep_close(r->keep); /* opened with other settings */
    }
    if (src->password_sealed && !(r->keep && r->keep->conn)) {
        snprintf(aad, sizeof(aad), "sources/%lld/password", (long long)src->id);
        rc = secret_open(r->app->secrets, aad, src->password_sealed, &password, &pwlen);
        if (rc != ACDL_OK) {
            rows_note(r, "error", "run.password_undecryptable", NULL,
                      "the stored password cannot be decrypted (was the key file "
                      "replaced?); set it again");
            return rc;
        }
    }
    /* the driver and the files the connection string names, checked again when used (saved
     * before the rules, or written into the database some other way): whenever a connection
     * is opened, and once a minute while a followed source keeps its connection */
    int64_t now_ms = plat_monotonic_ms();
    int recheck = !(r->keep && r->keep->conn) || now_ms - r->keep->checked_ms >= ROWS_KEPT_CHECK_MS;
    if (recheck && r->keep) {
        r->keep->checked_ms = now_ms;
    }
    if (recheck && source_cfg_check_paths(r->cfg, err, sizeof(err)) != ACDL_OK) {
        secret_wipe(password, pwlen);
        rows_note(r, "error", "run.paths_refused", why_attach(json_object(), "detail", err), "%s",
                  err);
        return ACDL_EPERM;
    }
    const char *sql = r->cfg->sql;
    if (r->history && r->cfg->live_status.history_preset[0]) {
        const struct odbc_preset *p = odbc_preset_find(r->cfg->live_status.history_preset);
        sql = p ? p->sql : "";
    } else if (r->history) {
        sql = r->cfg->live_status.history_sql;
    } else if (r->cfg->preset[0]) {
        const struct odbc_preset *p = odbc_preset_find(r->cfg->preset);
        sql = p ? p->sql : "";
    }
    struct odbc_conn_opts co;
    memset(&co, 0, sizeof(co));
    co.dsn = r->cfg->dsn[0] ? r->cfg->dsn : NULL;
    co.connstr = r->cfg->connection_string[0] ? r->cfg->connection_string : NULL;
    co.user = r->cfg->user;
    co.password = password;
    co.query_timeout_s = r->cfg->timeout_s;
    co.stream_rows = ROWS_ODBC_FETCH_ROWS;
    if (r->keep && r->keep->conn) {
        conn = r->keep->conn;
        rc = ACDL_OK;
    } else {
        rc = odbc_conn_open(&co, &conn, err, sizeof(err));
    }
    if (rc == ACDL_OK && (nconn = odbc_split_conns(r, conn, sql)) > 1) {
        /* the further connections of a run read in parts; fewer when the server refuses more */
        nconn = more_conns_open(&co, more, nconn, src->id);
    }
    secret_wipe(password, pwlen);
    if (rc != ACDL_OK) {
        rows_note(r, "error", "run.connect_failed", odbc_detail(json_object(), err),
                  "connecting failed: %s", err);
        return rc;
    }
    if (r->keep && !r->keep->conn) {
        r->keep->conn = conn;
        r->keep->key = key;
        r->keep->opened_at = plat_now();
        r->keep->connects++;
        log_info("odbc", "source %lld: connected to %s (%s), kept open for its polls",
                 (long long)src->id, odbc_conn_dbms_name(conn), odbc_conn_driver_name(conn));
    }
    pthread_mutex_lock(&r->cancel->mu);
    r->cancel->conn = conn;
    for (unsigned i = 1; i < nconn; i++) {
        r->cancel->more[i - 1] = more[i - 1];
    }
    int was_cancelled = r->cancel->flag;
    pthread_mutex_unlock(&r->cancel->mu);
    if (was_cancelled) {
        rc = ACDL_ESTOP;
        goto out;
    }
    /* the period: local midnight of the first day to local midnight after the last */
    struct odbc_period period;
    struct tz_date end = r->to;
    tz_date_add_days(&end, 1);
    memset(&period, 0, sizeof(period));
    period.start = (struct odbc_datetime){r->from.y, r->from.m, r->from.d, 0, 0, 0};
    period.end = (struct odbc_datetime){end.y, end.m, end.d, 0, 0, 0};
    if (r->cfg->incremental.enabled || r->history) {
        period.cursor_is_id = r->cfg->incremental.cursor_type == CURSOR_ID && !r->history;
        period.since_id = r->since;
        period.until_id = r->until;
        if (!period.cursor_is_id) {
            naive_datetime(r->since, &period.since);
            naive_datetime(r->until, &period.until);
        }
    }
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s}", "dbms", odbc_conn_dbms_name(conn), "driver",
                               odbc_conn_driver_name(conn), "from", r->run->period_from, "to",
                               r->run->period_to);
    if (nconn > 1) {
        json_object_set_new(detail, "connections", json_integer(nconn));
    }
    rows_note(r, "info", "run.querying", detail, "querying %s (%s) for %s .. %s",
              odbc_conn_dbms_name(conn), odbc_conn_driver_name(conn), r->run->period_from,
              r->run->period_to);
    struct odbc_query_opts qo = {.rowset_rows = ROWS_ODBC_BLOCK_ROWS,
                                 .read_ahead = r->preview_max == 0 ? ROWS_ODBC_READ_AHEAD : 0,
                                 .prepared = r->keep != NULL};
    if (nconn > 1) {
        struct odbc_conn *all[ROWS_ODBC_MAX_CONNS];
        all[0] = conn;
        memcpy(all + 1, more, (nconn - 1) * sizeof(*more));
        pp = odbc_day_parts(r, nconn, &npp);
        rc = pp ? odbc_parts_open(all, nconn, sql, pp, npp, &qo, ROWS_ODBC_HOLD_BYTES, &parts, err,
                                  sizeof(err))
                : ACDL_ENOMEM;
    } else {
        rc = odbc_query_open(conn, sql, &period, &qo, &q, err, sizeof(err));
    }
    if (rc != ACDL_OK) {
        rows_note(r, "error", "run.query_failed", odbc_detail(json_object(), err),
                  "the query failed: %s", err);
        goto out;
    }
    free_names(r);
    size_t ncols = parts ? odbc_parts_ncols(parts) : odbc_query_ncols(q);
    for (size_t i = 0; i < ncols && i < ROWS_MAX_COLS - SOURCE_MAX_DERIVED; i++) {
        const struct odbc_column *col =
            parts ? odbc_parts_column(parts, i) : odbc_query_column(q, i);
        add_name(r, col->name, strlen(col->name));
    }
    r->nraw = r->nnames;
    snprintf(r->where, sizeof(r->where), "query row");
    if ((rc = prepare_columns(r)) != ACDL_OK) {
        goto out;
    }
    if (r->sink->columns && (rc = r->sink->columns(r, r->sink->ctx)) != ACDL_OK) {
        goto out;
    }
    for (;;) {
        rc = parts ? odbc_parts_next(parts, &row, err, sizeof(err))
                   : odbc_query_next(q, &row, err, sizeof(err));
        if (rc == 0) {
            break;
        }
        r->line = row.number;
        if (rc == ACDL_ETOOBIG || (rc == ACDL_EDB && row.number > 0)) {
            r->k.rows_read++;
            rows_reject(r, "row.query_value", json_pack("{s:s}", "detail", err), "%s", err);
            continue;
        }
        if (rc < 0) {
            rows_note(r, "error", "run.result_failed", json_pack("{s:s}", "detail", err),
                      "reading the result failed: %s", err);
            goto out;
        }
        if (r->part_check && odbc_parts_part(parts) != part) {
            part = odbc_parts_part(parts);
            r->part_lo = naive_seconds(&pp[part].start);
            r->part_hi = naive_seconds(&pp[part].end);
        }
        int n = (int)row.nfields < r->nraw ? (int)row.nfields : r->nraw;
        for (int i = 0; i < n; i++) {
            r->val[i] = row.fields[i].ptr;
            r->len[i] = row.fields[i].len;
            r->null[i] = row.fields[i].is_null;
        }
        rc = process_row(r);
        if (rc != ACDL_OK) {
            goto out;
        }
        if (r->part_mismatch) {
            rc = ACDL_EAGAIN; /* the caller reads again by whole days */
            goto out;
        }
        if (rows_cancelled(r)) {
            rc = ACDL_ESTOP;
            goto out;
        }
        rows_progress(r, 0);
    }
    rc = r->sink->end_input ? r->sink->end_input(r, r->sink->ctx) : ACDL_OK;
out:
    odbc_parts_close(parts);
    free(pp);
    odbc_query_close(q);
    pthread_mutex_lock(&r->cancel->mu);
    r->cancel->conn = NULL;
    memset(r->cancel->more, 0, sizeof(r->cancel->more));
    pthread_mutex_unlock(&r->cancel->mu);
    for (unsigned i = 1; i < nconn; i++) {
        odbc_conn_close(more[i - 1]);
    }
    if (!r->keep) {
        odbc_conn_close(conn);
    } else if (rc != ACDL_OK) {
        rows_conn_keep_close(r->keep); /* lost, cancelled or failing: the next read connects */
    }
    if (rc == ACDL_ESTOP || rows_cancelled(r)) {
        rc = ACDL_ESTOP;
    }
    return rc;
}

int rows_open(struct rows *r, struct app *app, const struct store_run *run,
              struct import_cancel *cancel, int preview_max, char *err, size_t errsz)
{
    char why[200] = "";
    enum source_kind kind;
    enum source_layout layout;
    memset(r, 0, sizeof(*r));
    r->app = app;
    r->run = run;
    r->cancel = cancel;
    r->preview_max = preview_max < 0 ? -preview_max : preview_max;
    r->preview_keep = preview_max < 0 ? 0 : preview_max;
    r->preview_seen = 0;
    r->skip_hint = -1;
    if (preview_max != 0) {
        r->preview_rows = json_array();
        r->preview_msgs = json_array();
        r->preview_digest = json_pack("{s:{}, s:{}, s:{}, s:{}, s:[]}", "queues", "metrics",
                                      "agents", "activities", "errors");
    }
    r->c = store_acquire(app->store);
    r->cfg = malloc(sizeof(*r->cfg));
    r->seq = calloc(SEQ_SLOTS, sizeof(*r->seq));
    if (!r->cfg || !r->seq) {
        rows_set_error(err, errsz, "err.enomem", NULL, "out of memory");
        return ACDL_ENOMEM;
    }
    int rc = store_source_get(r->c, run->source_id, &r->src);
    if (rc != ACDL_OK) {
        rows_set_error(err, errsz, "run.error_source_gone", NULL, "the source is gone");
        return rc;
    }
    r->have_src = 1;
    json_t *settings = json_loads(r->src.settings, 0, NULL);
    source_kind_parse(r->src.kind, &kind);
    source_layout_parse(r->src.layout, &layout);
    enum source_product product = PRODUCT_CONTACTS;
    source_product_parse(r->src.product, &product);
    rc = source_cfg_parse_product(settings, product, kind, layout, r->src.time_zone,
                                  r->src.interval_minutes, r->cfg, err, errsz);
    json_decref(settings);
    if (rc == ACDL_OK &&
        ((r->cfg->date_format[0] &&
          datetime_format_compile(&r->fmt_date, r->cfg->date_format, why, sizeof(why))) ||
         (r->cfg->time_format[0] &&
          datetime_format_compile(&r->fmt_time, r->cfg->time_format, why, sizeof(why))) ||
         (r->cfg->timestamp_format[0] &&
          datetime_format_compile(&r->fmt_stamp, r->cfg->timestamp_format, why, sizeof(why))))) {
        rc = ACDL_EINVAL;
        rows_set_error(err, errsz, "run.error_format", why_attach(json_object(), "why", why), "%s",
                       why);
    }
    if (rc == ACDL_OK && (rc = tz_open(r->src.time_zone, &r->tz)) != ACDL_OK) {
        rows_set_error(err, errsz, "run.error_zone", json_pack("{s:s}", "zone", r->src.time_zone),
                       "time zone %s cannot be used", r->src.time_zone);
    }
    if (rc == ACDL_OK && (tz_date_parse(run->period_from, &r->from) != ACDL_OK ||
                          tz_date_parse(run->period_to, &r->to) != ACDL_OK)) {
        rc = ACDL_EINVAL;
        rows_set_error(err, errsz, "run.error_period",
                       json_pack("{s:s, s:s}", "from", run->period_from, "to", run->period_to),
                       "bad period %s .. %s", run->period_from, run->period_to);
    }
    r->reread = rc == ACDL_OK && run->reread && r->cfg->kind == SOURCE_CSV;
    return rc;
}

void rows_close(struct rows *r)
{
    free_names(r);
    tz_close(r->tz);
    free(r->seq);
    free(r->cfg);
    for (int i = 0; i < r->nfiles; i++) {
        free(r->files[i].name);
    }
    free(r->files);
    json_decref(r->preview_rows);
    json_decref(r->preview_msgs);
    json_decref(r->preview_digest);
    json_decref(r->preview_head);
    if (r->have_src) {
        store_source_clear(&r->src);
    }
    if (r->c) {
        store_release(r->app->store, r->c);
    }
    memset(r, 0, sizeof(*r));
}

int rows_read(struct rows *r, const struct rows_sink *sink)
{
    r->sink = sink;
    r->last_progress_ms = plat_monotonic_ms();
    int rc = r->follow                    ? rows_follow_read(r)
             : r->cfg->kind == SOURCE_CSV ? read_csv(r)
                                          : read_odbc(r, &r->src);
    if (rc == ACDL_OK && rows_cancelled(r)) {
        rc = ACDL_ESTOP;
    }
    return rc;
}

void rows_restart(struct rows *r)
{
    int days_total = r->k.days_total;
    memset(&r->k, 0, sizeof(r->k));
    r->k.days_total = days_total;
    r->row_errors = 0;
    r->line = 0;
    r->outside = 0;
    r->tcache.valid = 0;
    r->fold_valid = 0;
    memset(r->seq, 0, sizeof(struct rows_seq_slot) * SEQ_SLOTS);
    r->part_check = 0;
    r->part_mismatch = 0;
    r->no_day_split = 1;
    store_run_progress(r->c, r->run->id, &r->k);
}

void rows_finish(struct rows *r, int rc, const char *tag, char *err, size_t errsz)
{
    const char *state = "failed";
    if (rc == ACDL_ESTOP) {
        state = "cancelled";
        rows_set_error(err, errsz, "run.error_cancelled", NULL,
                       "cancelled; nothing of this run was staged");
    } else if (rc == ACDL_OK) {
        state = "done";
    } else if (!err[0]) {
        rows_set_error(err, errsz, "run.error_see_log",
                       why_attach(json_object(), "reason", acdl_strerror(rc)),
                       "%s (see the run log)", acdl_strerror(rc));
    }
    if (r->c) {
        if (rc != ACDL_OK && rc != ACDL_ESTOP && err[0]) {
            rows_note(r, "error", "run.error", why_attach(json_object(), "error", err), "%s", err);
        }
        rows_note(r, "info", "run.summary",
                  json_pack("{s:s, s:I, s:I, s:I, s:I, s:i, s:i}", "state", state, "read",
                            (json_int_t)r->k.rows_read, "staged", (json_int_t)r->k.rows_staged,
                            "rejected", (json_int_t)r->k.rows_rejected, "filtered",
                            (json_int_t)r->k.rows_filtered, "files", r->k.files_read, "skipped",
                            r->k.files_skipped),
                  "%s: %lld rows read, %lld staged, %lld rejected, %lld filtered; %d files read, "
                  "%d skipped",
                  state, (long long)r->k.rows_read, (long long)r->k.rows_staged,
                  (long long)r->k.rows_rejected, (long long)r->k.rows_filtered, r->k.files_read,
                  r->k.files_skipped);
        if (r->row_errors > ROWS_LOG_ERRORS) {
            rows_note(r, "warn", "run.rejected_unlisted",
                      json_pack("{s:i}", "n", r->row_errors - ROWS_LOG_ERRORS),
                      "%d more rejected rows are not listed here", r->row_errors - ROWS_LOG_ERRORS);
        }
        /* a done run whose mappings partly failed keeps why (they stay due and are retried) */
        store_run_finish(r->c, r->run->id, state,
                         rc == ACDL_OK && !r->k.failed_mappings ? NULL : err, &r->k, plat_now());
    }
    log_info(tag, "run %lld of source %lld: %s", (long long)r->run->id,
             (long long)r->run->source_id, state);
    rows_close(r);
}

/* A preview whose source cannot be read as configured fails with the first error its messages
 * hold: the read itself failed (folder, query), or no row was read and an input was refused
 * (a column role or an expression that does not fit the data). Rows with errors are data, not
 * a failed preview. */
static int preview_outcome(struct rows *r, int read_rc, char *err, size_t errsz)
{
    size_t i;
    json_t *m;
    if ((read_rc == ACDL_OK || read_rc == ACDL_ESTOP) && r->k.rows_read > 0) {
        return ACDL_OK;
    }
    json_array_foreach(r->preview_msgs, i, m)
    {
        const char *level = json_string_value(json_object_get(m, "level"));
        if (level && !strcmp(level, "error")) {
            snprintf(err, errsz, "%s", json_string_value(json_object_get(m, "message")));
            const char *code = json_string_value(json_object_get(m, "code"));
            if (code) { /* the job's error keeps the message's code (core/why.h) */
                why_note(err, code, json_incref(json_object_get(m, "params")));
            }
            return ACDL_EINVAL;
        }
    }
    if (read_rc != ACDL_OK && read_rc != ACDL_ESTOP) {
        rows_set_error(err, errsz, "run.error_unreadable",
                       why_attach(json_object(), "reason", acdl_strerror(read_rc)),
                       "the source could not be read: %s", acdl_strerror(read_rc));
        return read_rc;
    }
    return ACDL_OK;
}

int rows_preview(struct rows *r, struct app *app, int64_t source_id, const char *day, int max_rows,
                 const struct rows_sink *sink, json_t **out, char *err, size_t errsz)
{
    struct store_run run;
    struct import_cancel cancel;
    struct tz_date d;
    int rc;
    memset(&run, 0, sizeof(run));
    run.source_id = source_id;
    snprintf(run.period_from, sizeof(run.period_from), "%.10s", day);
    snprintf(run.period_to, sizeof(run.period_to), "%.10s", day);
    import_cancel_init(&cancel);
    if (tz_date_parse(day, &d) != ACDL_OK) {
        rows_set_error(err, errsz, "run.day_format",
                       json_pack("{s:s%}", "day", day, strnlen(day, 20)),
                       "day: '%.20s' is not YYYY-MM-DD", day);
        memset(r, 0, sizeof(*r));
        rc = ACDL_EINVAL;
        goto out;
    }
    rc = rows_open(r, app, &run, &cancel, max_rows != 0 ? max_rows : 1, err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    /* enough rows (ACDL_ESTOP), or a failure its messages tell */
    int read_rc = rows_read(r, sink);
    if ((read_rc == ACDL_OK || read_rc == ACDL_ESTOP) && r->cfg && r->cfg->kind == SOURCE_CSV &&
        r->k.rows_read == 0) {
        char lo[11], hi[11];
        tz_date_format(r->seen_from, lo);
        tz_date_format(r->seen_to, hi);
        if (r->preview_other > 0) {
            rows_note(r, "warn", "run.preview_other_days",
                      json_pack("{s:s, s:I, s:s, s:s}", "day", day, "rows",
                                (json_int_t)r->preview_other, "from", lo, "to", hi),
                      "no file in the folder holds rows of %.10s: the %lld rows read are of %s "
                      "to %s; choose one of those days or check the file pattern",
                      day, (long long)r->preview_other, lo, hi);
        } else {
            rows_note(r, "warn", "run.preview_no_day", json_pack("{s:s}", "day", day),
                      "no file in the folder holds rows of %.10s", day);
        }
    }
    json_t *head_empty = json_array();
    json_t *cols = json_array();
    for (int i = 0; i < r->nnames; i++) {
        json_array_append_new(cols, json_string(r->names[i]));
    }
    *out = json_pack(
        "{s:I, s:s, s:o, s:O, s:O, s:{s:I, s:I, s:I, s:I}, s:O, s:o}", "source_id",
        (json_int_t)source_id, "day", day, "columns", cols, "rows", r->preview_rows, "messages",
        r->preview_msgs, "counts", "rows_read", (json_int_t)r->k.rows_read, "rows_ok",
        (json_int_t)(r->k.rows_read - r->k.rows_rejected - r->k.rows_filtered), "rows_rejected",
        (json_int_t)r->k.rows_rejected, "rows_filtered", (json_int_t)r->k.rows_filtered, "head",
        r->preview_head ? r->preview_head : head_empty, "suggested_skip_lines",
        r->skip_hint >= 0 ? json_integer(r->skip_hint) : json_null());
    json_decref(head_empty);
    if (max_rows < 0) { /* discovery: what the day holds (rows.h) */
        json_object_set(*out, "digest", r->preview_digest);
    }
    rc = *out ? ACDL_OK : ACDL_ENOMEM;
    if (rc == ACDL_OK) {
        rc = preview_outcome(r, read_rc, err, errsz);
    }
out:
    rows_close(r);
    import_cancel_destroy(&cancel);
    return rc;
}
