/* rows.h: a source's rows, the same for every data product: the CSV files of a CSV source
 * (checksum skip, header names, keep/move/delete afterwards) or the result rows of an ODBC
 * source's query, with derived fields, the row filter, column roles, time parsing into local
 * days and UTC instants, the run log and row errors.
 *
 * Use: rows_open() loads the source and the run's period; rows_read() walks every input and
 * calls sink->row once per row that passed the filter, with the row's fields in r->val[],
 * r->len[] and r->null[] (raw columns first, then the derived fields) and the columns of the
 * roles in r->i_* (-1: not used). The sink turns the row into its product's values (calling
 * rows_time(), rows_interval(), rows_parse_number() and rows_reject() as it needs) and counts
 * what it kept in r->k.rows_staged. After each input (one CSV file, one query) sink->end_input
 * is called: a point where the sink may write what it accumulated. Nothing in here writes
 * product data: the sink stages, and inside its staging transaction calls rows_files_commit()
 * so that the files of the run count as imported exactly when their data is staged; after the
 * commit rows_files_after() keeps, moves or deletes them.
 *
 * Preview (preview_max > 0 in rows_open): CSV files already imported are read too, nothing
 * is written, each row becomes a JSON object in r->preview_rows (its raw fields, then whatever
 * the sink adds to r->preview_row, or its error, or filtered: true) and the log lines go to
 * r->preview_msgs; reading stops (ACDL_ESTOP) after preview_max rows. Every previewed row is
 * also counted in r->preview_digest: {"queues": {ext_queue: {name, rows, first, last}},
 * "metrics": {metric: {rows, total, min, max}}, "agents": {ext_agent: {rows}}, "activities": {code:
 * {rows}}, "errors": [{where, line, error}]}, from the members the sink set (ext_queue,
 * queue_name, local, values, agent, activity); rows with an error (the first
 * ROWS_DIGEST_ERRORS are listed) or filtered do not count. Discovery (preview_max < 0): up to
 * -preview_max rows are read and digested, none is kept in r->preview_rows.
 *
 * A struct rows is used by one thread; only import_cancel() may be called from another. */
#ifndef ACDL_PIPELINE_ROWS_H
#define ACDL_PIPELINE_ROWS_H
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "core/datetime.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/expr.h"
#include "pipeline/source_cfg.h"
#include "store/runs.h"
#include "store/sources.h"

#define ROWS_MAX_COLS 512
#define ROWS_LOG_ERRORS 200   /* row errors written to the run log; the rest are counted */
#define ROWS_DIGEST_ERRORS 20 /* row errors kept in a preview's digest */
#define ROWS_PROGRESS_TICK 256 /* rows_progress calls per read of the clock */

struct odbc_conn;
struct expr;
struct file_follow_read;

/* How another thread cancels a run: import_cancel() sets the flag and cancels an ODBC
 * statement under way. Initialise with import_cancel_init(). */
#define ROWS_ODBC_MAX_CONNS SOURCE_ODBC_MAX_CONNECTIONS

struct import_cancel {
    pthread_mutex_t mu;
    volatile int flag;
    struct odbc_conn *conn; /* set by rows_read while a query runs */
    /* the further connections of a run read in parts (rows_read), or NULL */
    struct odbc_conn *more[ROWS_ODBC_MAX_CONNS - 1];
};

void import_cancel_init(struct import_cancel *c);
void import_cancel_destroy(struct import_cancel *c);
void import_cancel(struct import_cancel *c);

struct rows_seq_slot;
struct rows_sink;

/* An ODBC connection kept open between reads of one source (a followed source's polls): the
 * caller owns it (zeroed to start), rows_read() uses and fills it, drops it after a failure of
 * the connection or the query (the next read connects again) and when the source's
 * connection settings differ from those it was opened with. Close it with
 * rows_conn_keep_close(). Used by one thread at a time. */
struct rows_conn_keep {
    struct odbc_conn *conn; /* NULL: none open */
    uint64_t key;           /* of the connection settings it was opened with */
    int64_t opened_at;      /* plat_now() */
    int64_t connects;       /* connections opened through it */
    int64_t checked_ms;     /* plat_monotonic_ms() of the last check of its driver and files */
};

/* How often a poll through a kept connection checks its driver and files again (a connection
 * being opened is always checked): each listing of the registered drivers costs unixODBC about
 * 100 bytes that it never gives back, which a poll every second would add up. */
#define ROWS_KEPT_CHECK_MS 60000

/* Closes the kept connection, if any; accepts NULL. */
void rows_conn_keep_close(struct rows_conn_keep *k);

/* The last time fields converted (see rows_time()). */
struct rows_time_cache {
    int valid, rc;
    char a[64], b[64];
    size_t alen, blen;
    struct tz_date day;
    int64_t utc;
    int minute, second;
};

/* A CSV file read by this run, staged with the run's data. */
struct rows_file {
    char *name; /* owned */
    char sha256[65];
    long long size;
};

/* Every field is read-only for a sink unless said otherwise. */
struct rows {
    struct app *app;
    const struct store_run *run; /* borrowed; a preview's is a stand-in with id 0 */
    struct import_cancel *cancel;
    struct store_conn *c; /* held from rows_open to rows_close */
    struct store_source src;
    struct source_cfg *cfg;
    struct tz *tz;
    struct tz_date from, to;   /* the run's local days */
    struct store_run_counts k; /* the sink counts rows_staged; everything else is counted here */
    int row_errors;
    int64_t last_progress_ms;
    unsigned progress_tick; /* rows_progress calls without force since the clock was read */

    /* the current row: raw fields 0..nraw-1, then the derived fields up to nnames-1 */
    const char *names[ROWS_MAX_COLS];
    char *name_store[ROWS_MAX_COLS];
    int nraw, nnames;
    const char *val[ROWS_MAX_COLS]; /* not NUL-terminated */
    size_t len[ROWS_MAX_COLS];
    int null[ROWS_MAX_COLS];
    char derived_buf[SOURCE_MAX_DERIVED][512];
    struct expr_value derived_val[SOURCE_MAX_DERIVED];     /* the type each one produced */
    unsigned char text_cmp_warned[SOURCE_MAX_DERIVED + 1]; /* per input; the last: the filter */
    unsigned char answered_guess_warned; /* an answered value the default rule guessed */
    struct expr *derived[SOURCE_MAX_DERIVED];
    struct expr *filter;

    /* role -> index into val[] (-1: none); the metrics in the order of the source's config
     * (ODBC interval results: every column after the third, named by the column) */
    int i_queue, i_qname, i_date, i_time, i_stamp, i_answered, i_duration;
    /* agent states: agent, activity code and name, start and end (the start is also the
     * timestamp role, or the time role when a date column is given) */
    int i_agent, i_activity, i_activity_name, i_start, i_end;
    int i_reason; /* live-status sources: the reason beside the state (-1: none) */
    int any_day;  /* set by a sink: rows_time() then takes days outside an ODBC run's period */
    int i_metric[ROWS_MAX_COLS];
    char metric_names[ROWS_MAX_COLS][65];
    int nmetric_cols;
    struct datetime_format fmt_date, fmt_time, fmt_stamp;
    struct rows_seq_slot *seq;
    struct rows_time_cache tcache;
    struct tz_date fold_day;
    int fold_valid, fold;

    /* where the row came from, for messages: a file name or "query row", and its line */
    char where[300];
    uint64_t line;
    struct tz_date seen_from, seen_to; /* CSV: the days the files held */
    int seen_any;
    int reread;  /* CSV: files imported before are read again; only the period's days count */
    int outside; /* the current row's day is outside the period (rows_time() returned 1) */
    /* ODBC, a run shorter than its connections: its days read in parts of a day (naive
     * seconds [part_lo, part_hi) of the part being read). A row outside its part means the
     * query does not select by the time within a day: the read stops with ACDL_EAGAIN and
     * part_mismatch set, and the caller reads again with whole days (no_day_split). */
    int part_check, part_mismatch, no_day_split;
    int64_t part_lo, part_hi;

    /* preview */
    int64_t preview_other; /* rows of other days than the previewed one, left out */
    json_t *preview_rows, *preview_msgs, *preview_row, *preview_digest;
    json_t *preview_head;  /* the first lines of the first file read, as text */
    long skip_hint;        /* a csv.skip_lines that finds the header, or -1 */
    char missing_col[128]; /* the configured column the header lacked */
    int preview_max, preview_keep;
    int64_t preview_seen;

    /* the intervals of the last day asked about (rows_interval) */
    int64_t day_intervals[TZ_DAY_INTERVALS_MAX];
    int nday_intervals;
    struct tz_date intervals_day;

    /* the CSV files read (not skipped) so far */
    struct rows_file *files;
    int nfiles, files_cap;

    const struct rows_sink *sink; /* during rows_read */
    int have_src;

    /* incremental sources (cfg->incremental): the values bound to :since and :until (naive
     * seconds of the database's timestamps, or ids), set by the caller before rows_read();
     * every row's day is taken (the cursor, not the period, chooses the rows). poll: a poll of
     * the source, not a run: no run log; notes and row errors are counted, the last kept in
     * poll_note. */
    int64_t since, until;
    /* a reconciliation of a live-status source: the history query (cfg->live_status) is read
     * with the ODBC column contract and :since/:until bound to since and until, as above */
    int history;
    int poll;
    char poll_note[400];

    /* a poll of a followed file (cfg->follow): where to read, and where the read ended
     * (pipeline/file_follow.h); borrowed, set by the caller before rows_read() */
    struct file_follow_read *follow;
    struct rows_conn_keep *keep; /* NULL: an ODBC read connects and disconnects (borrowed) */
};

/* What rows_read() feeds. Each callback returns 0 to go on, or an ACDL_E* code that ends the
 * read with that code (ACDL_ESTOP: stop quietly). columns (may be NULL) is called once per
 * input (file, query) when its columns and roles are known, before its first row; row once
 * per row; end_input (may be NULL) after an input was read to its end. pause (may be NULL)
 * is called before rows writes to the database (run log, progress), so that a sink can end a
 * write batch it keeps open. */
struct rows_sink {
    int (*columns)(struct rows *r, void *ctx);
    int (*row)(struct rows *r, void *ctx);
    int (*end_input)(struct rows *r, void *ctx);
    void (*pause)(void *ctx);
    void *ctx;
};

/* Prepares r (caller's memory, zeroed or not) for run: holds a connection, loads the source,
 * its settings and time zone, and the run's period. preview_max > 0: preview mode,
 * < 0: discovery (see above). Returns 0, or an ACDL_E* code with err; rows_close() must be called
 * either way. */
int rows_open(struct rows *r, struct app *app, const struct store_run *run,
              struct import_cancel *cancel, int preview_max, char *err, size_t errsz);

/* Releases everything of r (the connection too). Safe after a failed rows_open(). */
void rows_close(struct rows *r);

/* Reads every input of the source (see above). Returns 0 when everything was read, ACDL_ESTOP
 * when cancelled (or, in preview, when enough rows were read), else an ACDL_E* code (the run
 * log says why). */
int rows_read(struct rows *r, const struct rows_sink *sink);

/* A line in the run log (or the preview's messages). */
void rows_log(struct rows *r, const char *level, const char *fmt, ...) ACDL_PRINTF(3, 4);
/* The same with a message code ("run.file_read") and its parameters (stolen, NULL: none)
 * beside the English text; the console words the line from the code in the reader's language
 * (web/src/i18n/, whose test checks every code written here has a text in each language). */
void rows_note(struct rows *r, const char *level, const char *code, json_t *params, const char *fmt,
               ...) ACDL_PRINTF(5, 6);

/* Rejects the current row with a reason: counted, and the first ROWS_LOG_ERRORS are logged
 * with file and line as a "run.row_rejected" line whose "reason" has the message code code and
 * parameters params (stolen) beside it (preview: the row's "error", "error_code" and
 * "error_params"). fmt is the reason's English text. */
void rows_reject(struct rows *r, const char *code, json_t *params, const char *fmt, ...)
    ACDL_PRINTF(4, 5);

/* Rejects the current row for the value of column col: "column 'NAME': WHY" (numbered: "column
 * N 'NAME': WHY"), worded from WHY's own code when the parser that wrote it noted one
 * (core/why.h). */
void rows_reject_column(struct rows *r, int col, int numbered, const char *why);

/* Writes a run's (or preview's) error text into err and notes its message code and parameters
 * (stolen) beside it (core/why.h): the run's record keeps both (store_run_finish()). */
void rows_set_error(char *err, size_t errsz, const char *code, json_t *params, const char *fmt, ...)
    ACDL_PRINTF(5, 6);

/* Notes code (no parameters) for the reason text and returns text: for literal reasons given
 * to rows_reject_column(). */
const char *rows_why(const char *code, const char *text);

/* Reads the current row's time (timestamp role, or date + time roles) into its local day,
 * UTC instant, minute of day and second. key (e.g. the queue) tells apart the wall-time
 * sequences of a repeated autumn hour: rows of one key and day are taken in row order.
 * Interval layout: the time must start an interval. Returns 0, 1 when the day is outside
 * the run's period (ODBC runs, CSV runs that re-read, previews and discovery: the caller
 * counts it as filtered; a preview leaves the row out), or ACDL_EINVAL after rows_reject(). */
int rows_time(struct rows *r, const char *key, size_t keylen, struct tz_date *day, int64_t *utc,
              int *minute_of_day, int *second);

/* The UTC start of the interval of the local day that holds utc into *start, and its index
 * among the day's intervals into *slot (may be NULL). Returns 0, or -1 when utc is outside
 * the day. */
int rows_interval(struct rows *r, struct tz_date day, int64_t utc, int64_t *start, int *slot);

/* A number as exports write it: "12", "-3.5", "12,5" (decimal comma unless ',' separates
 * fields), or a duration "hh:mm:ss" / "mm:ss" in seconds. Returns 0, 1 when empty (no
 * value), or ACDL_EINVAL with why. */
int rows_parse_number(const struct rows *r, const char *s, size_t n, double *out, char *why,
                      size_t whysz);

/* 1 when the run was cancelled. */
int rows_cancelled(const struct rows *r);

/* Writes the run's counters to the store, at most once a second unless force (the clock is
 * read every ROWS_PROGRESS_TICK calls without force: a call per row stays cheap). */
void rows_progress(struct rows *r, int force);

/* Records the files read as imported (by checksum): call it inside the staging transaction.
 * Returns 0 or ACDL_EDB. */
int rows_files_commit(struct rows *r);

/* After the staging commit: keeps, moves or deletes the files read, as the source says. */
void rows_files_after(struct rows *r);

/* Ends a run that read r (rows_open() with preview_max 0) whatever its outcome rc: the state
 * (done for 0, cancelled for ACDL_ESTOP, else failed), the error (err, or a text for rc when
 * empty), the summary of the counts in the run log, the run's record in the store, one line in
 * the daemon's log under tag. Then closes r. */
/* Before reading the run again from the start after rows_read() ended with ACDL_EAGAIN and
 * part_mismatch (its period then read by whole days): the counts and the row state reset. */
void rows_restart(struct rows *r);

void rows_finish(struct rows *r, int rc, const char *tag, char *err, size_t errsz);

/* A preview (max_rows > 0) or discovery (max_rows < 0) of source_id's local day through sink
 * (whose ctx holds r): opens r on a stand-in run, reads, and builds *out (new): "source_id",
 * "day", "columns", "rows", "messages", "counts", and "digest" for a discovery. A read that
 * stops early still answers: its messages say why. Closes r. Returns 0 or an ACDL_E* code
 * with err. */
int rows_preview(struct rows *r, struct app *app, int64_t source_id, const char *day, int max_rows,
                 const struct rows_sink *sink, json_t **out, char *err, size_t errsz);

#endif
