/* odbc.h: the ODBC source reader: connect, run one period query, stream its rows as text.
 *
 * Design note. A source query is plain SQL with two named parameters, :period_start and
 * :period_end (the caller's local day bounds). They are rewritten to ODBC "?" markers and bound
 * as SQL_TYPE_TIMESTAMP values, never spliced into the text. (SQLite has no timestamp type and
 * keeps times as 'YYYY-MM-DD HH:MM:SS' text; its driver would bind "...:00.000", which sorts
 * wrongly against that, so for the SQLite driver the same value is bound as that text.)
 * Rows come back through a block cursor (SQL_ATTR_ROW_ARRAY_SIZE rows per SQLFetchScroll,
 * column-wise binding, every column as SQL_C_CHAR text in a bounded buffer), and are handed out
 * one by one as text fields (pointer, length, NULL flag) with a row number: the same shape the
 * CSV reader gives, so one pipeline consumes both. With read-ahead a thread of the query's own
 * fetches the next blocks while the caller works on the rows of the current one (the driver's
 * calls then run on that thread, never on two at once). A value longer than its column buffer is an
 * error for that row and column, never silently cut. Text is what the driver makes of a value
 * (psqlODBC: "2024-03-31 03:00:00", "2.50", upper-case GUIDs; UTF-8 kept as it is).
 *
 * Memory stays flat for any row count because the driver is told to stream too: psqlODBC gets
 * UseDeclareFetch=1;Fetch=<n> (a server-side cursor) and the SQLite driver StepAPI=1. The driver
 * is recognised from the connection string's Driver=, from the DSN's driver (SQLDataSources),
 * or after connecting from SQLGetInfo (then the connection is made once more with the setting,
 * which psqlODBC only reads at connect time). MariaDB Connector/ODBC 3.1 (Debian's odbc-mariadb)
 * has no such setting: it holds a statement's whole result in memory (measured: 2M rows of two
 * short columns, 164 MB), whatever OPTION, FORWARDONLY or the cursor type say.
 *
 * Secrets: the password is merged into the connection string (braced per the ODBC rules when it
 * holds ; { } or similar), the string is wiped after use and never logged, and every message
 * taken from SQLGetDiagRec has the password, other secret values of the connection string
 * (PWD=, Password=) and the whole connection string replaced by "***" before it is passed on.
 *
 * Threads: a connection and its query are used by one thread at a time, except
 * odbc_conn_cancel(), which may be called from any thread while the connection is open.
 * Different connections are independent. The presets and odbc_sql_rewrite() are pure and
 * thread-safe.
 *
 * Error texts: functions that can fail take (char *err, size_t errsz); err may be NULL. On
 * failure it receives one line of text (truncated to errsz) that is safe to log and to show.
 *
 * Result-column contracts (positional; names are free):
 *   interval layout: queue id, queue name (may be NULL), interval start, then one column per
 *                    metric (the column name is the metric's name)
 *   contact layout:  queue id, timestamp, answered (0 or 1), duration in seconds
 */
#ifndef ACDL_ADAPTERS_ODBC_H
#define ACDL_ADAPTERS_ODBC_H
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------- */
/* Named parameters                                                                           */

enum odbc_param_id {
    ODBC_PARAM_PERIOD_START = 0,
    ODBC_PARAM_PERIOD_END = 1,
    ODBC_PARAM_SINCE = 2, /* incremental queries: the cursor's lower bound (inclusive) */
    ODBC_PARAM_UNTIL = 3, /* and its upper bound (exclusive) */
    ODBC_PARAM_COUNT
};

#define ODBC_SQL_MAX_BYTES (256 * 1024) /* longest accepted SQL text */
#define ODBC_SQL_MAX_PARAMS 64          /* most parameter markers in one statement */

/* A rewritten statement. */
struct odbc_sql {
    char *text;  /* SQL with ? markers (new: freed by odbc_sql_free) */
    size_t len;  /* strlen(text) */
    size_t nparams;
    unsigned char params[ODBC_SQL_MAX_PARAMS]; /* enum odbc_param_id of marker i, in order */
};

/* Rewrites each :period_start, :period_end, :since and :until (ASCII case-insensitive; a name may
 * appear any number of times) outside string literals ('..', E'..'), quoted identifiers ("..",
 * `..`), dollar-quoted strings ($tag$..$tag$), comments (-- .., nested / * .. * /) and "::" casts
 * into a
 * "?" marker. A ':' right after a letter, digit, '_' or '$' (as in a[lo:hi]) is not a
 * parameter. Rejects, with the name and its line and column in err: any other :name, a bare ?
 * marker, an unterminated literal, identifier or comment, a NUL-free text longer than
 * ODBC_SQL_MAX_BYTES, and more than ODBC_SQL_MAX_PARAMS markers.
 * Returns 0 (out filled; free it with odbc_sql_free), ACDL_EINVAL, ACDL_ETOOBIG or ACDL_ENOMEM
 * (out then holds nothing to free). Thread-safe. */
int odbc_sql_rewrite(const char *sql, struct odbc_sql *out, char *err, size_t errsz);

/* Frees what odbc_sql_rewrite made; accepts NULL and a zeroed struct. */
void odbc_sql_free(struct odbc_sql *s);

/* ---------------------------------------------------------------------------------------- */
/* Connection-string helpers (exposed for tests and for the console's connection templates)   */

/* Appends "key=value;" to buf (of size bufsz, NUL-terminated, may hold text already), bracing
 * the value as {..} with } doubled when it contains ; { } = spaces or other characters the ODBC
 * grammar reserves. Returns 0, ACDL_EINVAL (control characters in key or value) or
 * ACDL_ETOOBIG (buf too small; buf is then left as it was). */
int odbc_connstr_append(char *buf, size_t bufsz, const char *key, const char *value);

/* Finds key (ASCII case-insensitive) in a connection string and copies its value (braces
 * removed, }} undone) into out. Returns 1 when found, 0 when not. */
int odbc_connstr_get(const char *connstr, const char *key, char *out, size_t outsz);

/* Whether name (ASCII case-insensitive) is a driver the driver manager has registered by name
 * (SQLDrivers: unixODBC's odbcinst.ini sections, the registry's ODBC drivers on Windows).
 * names receives the registered names, "; "-separated (cut to namesz; "" when none).
 * Returns 1 (registered), 0 (not) or ACDL_EDB (no driver manager environment). */
int odbc_driver_registered(const char *name, char *names, size_t namesz);

/* Keeps ODBC drivers from the daemon's own files: hidden (the data folder, the key, TLS, config
 * and log files; at most 8) become unreadable for the threads that call into drivers (Linux
 * Landlock, plat_sandbox_init). Every connect then runs on such a thread, and so does every
 * later call into MariaDB's driver (Connector/ODBC: its client library answers a server that
 * asks for a local file, LOAD DATA LOCAL INFILE). Where this cannot be done (ACDL_EPERM:
 * Windows, a kernel without Landlock), connections through MariaDB's driver are allowed only to
 * a DSN (set up by the administrator), not to a server named in a connection string.
 * Connections through MariaDB's driver also get USE_MYCNF=0 as the last member of their
 * connection string, so that no option file can turn local files on. Call once at start,
 * before any connection. Returns 0, ACDL_EPERM, ACDL_EINVAL or ACDL_EIO. */
int odbc_client_guard(const char *const *hidden, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* Connections                                                                                */

struct odbc_conn;

struct odbc_conn_opts {
    const char *dsn;       /* a DSN name; exactly one of dsn and connstr is set */
    const char *connstr;   /* a full connection string (Driver=...;Server=...;...) */
    const char *user;      /* NULL or "": none given here (the DSN's or the string's) */
    const char *password;  /* NULL: none given here. Borrowed for the call, never stored */
    int login_timeout_s;   /* SQL_ATTR_LOGIN_TIMEOUT; 0: 15 s */
    int query_timeout_s;   /* SQL_ATTR_QUERY_TIMEOUT per statement; 0: none */
    unsigned stream_rows;  /* psqlODBC Fetch= (rows per server round trip); 0: 10000 */
    int no_streaming;      /* 1: add no driver streaming settings (for comparisons) */
};

/* Connects. Sets the login timeout, adds the driver's streaming settings, asks for read-only
 * access (SQL_ATTR_ACCESS_MODE; drivers that refuse it are used as they are; psqlODBC also gets
 * ReadOnly=1). user/password given here must not also be in connstr (ACDL_EINVAL).
 * Returns 0 and *out (new: close with odbc_conn_close), or
 *   ACDL_EINVAL   bad options, unknown DSN or driver, bad connection string
 *   ACDL_EAUTH    the server refused the user or password
 *   ACDL_EAGAIN   the server could not be reached or timed out (retry later)
 *   ACDL_EDB      any other driver error
 *   ACDL_ENOMEM / ACDL_ETOOBIG (connection string longer than 4 KiB)
 * with the driver's (redacted) diagnostics in err. */
int odbc_conn_open(const struct odbc_conn_opts *opts, struct odbc_conn **out, char *err,
                   size_t errsz);

/* Disconnects and frees; accepts NULL. Not concurrently with odbc_conn_cancel(). */
void odbc_conn_close(struct odbc_conn *c);

/* What the driver reported (borrowed, valid while c lives; "" when unknown): SQL_DBMS_NAME,
 * SQL_DBMS_VER, SQL_DRIVER_NAME. */
const char *odbc_conn_dbms_name(const struct odbc_conn *c);
const char *odbc_conn_dbms_version(const struct odbc_conn *c);
const char *odbc_conn_driver_name(const struct odbc_conn *c);

/* The streaming settings that were added to the connection string ("UseDeclareFetch=1;
 * Fetch=10000", "StepAPI=1"), or "" when none (borrowed, valid while c lives). */
const char *odbc_conn_streaming(const struct odbc_conn *c);

/* 1 when the connection turned PostgreSQL's JIT compilation off for its session (psqlODBC to
 * PostgreSQL 11 or later whose jit setting was the server's default; see odbc.c). */
int odbc_conn_jit_off(const struct odbc_conn *c);

/* Cancels the statement running on c (SQLCancel) and makes every later call on c fail with
 * ACDL_ESTOP: after a cancel the connection is only good for closing. Safe from any thread
 * while c is open, also when no statement runs. Returns 0. */
int odbc_conn_cancel(struct odbc_conn *c);

/* ---------------------------------------------------------------------------------------- */
/* Queries                                                                                    */

/* A local date and time, as the caller's time zone gives it. */
struct odbc_datetime {
    int year, month, day, hour, minute, second;
};

struct odbc_period {
    struct odbc_datetime start; /* bound to :period_start */
    struct odbc_datetime end;   /* bound to :period_end */
    /* :since and :until of an incremental query: timestamps, or whole numbers (SQL_BIGINT)
     * when cursor_is_id; only the parameters the SQL uses are checked */
    int cursor_is_id;
    struct odbc_datetime since, until;
    int64_t since_id, until_id;
};

struct odbc_query_opts {
    unsigned rowset_rows; /* rows per SQLFetchScroll; 0: 1000; lowered to keep the buffers
                             under max_buffer_bytes; at most 100000 */
    size_t field_max;     /* longest value in bytes; 0: 255 (a 256-byte buffer); at most 1 MiB */
    size_t max_buffer_bytes; /* all column buffers together; 0: 32 MiB */
    unsigned read_ahead;     /* 0: each block is fetched inside odbc_query_next(); 1..8: a
                                thread of the query fetches up to this many blocks ahead while
                                the caller works on the rows (one more set of buffers each) */
    int prepared;            /* 1: the statement is prepared once (SQLPrepare) and kept on the
                                connection; a later query of the same SQL on it re-executes
                                it with the new parameter values (a poll every second); a
                                query that fails drops it */
};

/* One column of the result. */
struct odbc_column {
    char name[128];      /* as the driver reports it (cut to 127 bytes) */
    char type_name[32];  /* "INTEGER", "VARCHAR", "TIMESTAMP", ... or "TYPE <n>" */
    int sql_type;        /* SQL_INTEGER, SQL_VARCHAR, SQL_TYPE_TIMESTAMP, ... */
    unsigned long size;  /* column size as described (0 when unknown) */
    int nullable;        /* 1 yes, 0 no, -1 unknown */
};

/* One text field of a row: borrowed, valid until the next odbc_query_next() or close.
 * ptr is NUL-terminated; a NULL value has is_null 1, ptr "" and len 0. */
struct odbc_field {
    const char *ptr;
    size_t len;
    int is_null;
};

struct odbc_row {
    uint64_t number;                 /* 1 for the first row of the result */
    size_t nfields;
    const struct odbc_field *fields; /* borrowed, valid until the next call */
};

struct odbc_query;

/* Rewrites the named parameters of sql (see odbc_sql_rewrite), binds the period (period may be
 * NULL when sql has no markers), executes it (SQLExecDirect, forward-only, read-only
 * concurrency, the connection's query timeout) and binds the result's columns as text.
 * The call blocks while the server works; odbc_conn_cancel() from another thread ends it with
 * ACDL_ESTOP. One query at a time per connection (ACDL_ECONFLICT otherwise).
 * Returns 0 and *out (new: close with odbc_query_close before closing c), or ACDL_EINVAL (bad
 * SQL, unknown parameter, no result set, bad period), ACDL_EAGAIN (timeout, lost connection),
 * ACDL_ESTOP (cancelled), ACDL_EPERM (refused: no permission, read-only), ACDL_EDB, ACDL_ENOMEM,
 * ACDL_ETOOBIG (too many columns), with the reason in err. */
int odbc_query_open(struct odbc_conn *c, const char *sql, const struct odbc_period *period,
                    const struct odbc_query_opts *opts, struct odbc_query **out, char *err,
                    size_t errsz);

/* The result's columns (borrowed, valid while q lives). */
size_t odbc_query_ncols(const struct odbc_query *q);
const struct odbc_column *odbc_query_column(const struct odbc_query *q, size_t i);

/* Delivers the next row into *row. Returns 1 (a row), 0 (no more rows), or an error:
 *   ACDL_ETOOBIG  a value of this row was longer than field_max: row->number is the row, err
 *                 names row, column number and name; the next call goes on with the next row
 *   ACDL_EDB      the driver failed on this row (row->number set) or on the fetch
 *   ACDL_ESTOP    cancelled;  ACDL_EAGAIN  timeout or lost connection
 * After ACDL_EDB on a fetch, ACDL_ESTOP or ACDL_EAGAIN, further calls return the same code. */
int odbc_query_next(struct odbc_query *q, struct odbc_row *row, char *err, size_t errsz);

/* Closes the statement and frees q; accepts NULL. */
void odbc_query_close(struct odbc_query *q);

/* ---------------------------------------------------------------------------------------- */
/* One period as several queries on several connections                                      */

#define ODBC_PARTS_MAX_CONNS 8

struct odbc_parts;

/* Runs sql once per period of periods[0..nparts-1] (consecutive ranges of the run's days or
 * parts of a day, in time order), part k on conns[k mod nconn] (open connections, copied; nconn at most
 * ODBC_PARTS_MAX_CONNS; used only by the threads of p until odbc_parts_close), each on a thread
 * of its connection, and hands the rows out in the order of the parts: the rows of one query
 * of the whole period, when the SQL selects the rows of [:period_start, :period_end) and, when
 * ordered, by time. Rows not yet handed out are held, all together in at most hold_bytes (at
 * least 2 MiB): a connection whose part is not being read waits when they fill. qo as for
 * odbc_query_open (read_ahead and prepared are not used). Waits until the first part's query
 * runs (its columns are those of the result). Returns 0 and *out (close with
 * odbc_parts_close before closing the connections) or the first query's error (as
 * odbc_query_open), with the reason in err. */
int odbc_parts_open(struct odbc_conn **conns, unsigned nconn, const char *sql,
                    const struct odbc_period *periods, unsigned nparts,
                    const struct odbc_query_opts *qo, size_t hold_bytes, struct odbc_parts **out,
                    char *err, size_t errsz);

size_t odbc_parts_ncols(const struct odbc_parts *p);
const struct odbc_column *odbc_parts_column(const struct odbc_parts *p, size_t i);

/* As odbc_query_next, over the parts in order: row numbers count from the first part's first
 * row. A part that fails (its query, a fetch, or cancelled through odbc_conn_cancel of its
 * connection) is returned at once, whatever part is being read, as its error code with the
 * part's first day in err; every later call returns it again. */
int odbc_parts_next(struct odbc_parts *p, struct odbc_row *row, char *err, size_t errsz);

/* The part (index into periods) of the row odbc_parts_next handed out last. */
unsigned odbc_parts_part(const struct odbc_parts *p);

/* Stops the threads (a statement still running is cancelled: its connection is then good only
 * for closing) and frees p; accepts NULL. */
void odbc_parts_close(struct odbc_parts *p);

/* ---------------------------------------------------------------------------------------- */
/* Presets: ready SQL for common ACD schemas                                                  */

/* Agent-state presets return agent id, activity id, start, then the end or the duration
 * (seconds) as their span form says (nothing more for start-only), and optionally a column
 * named activity_name. */
enum odbc_layout { ODBC_LAYOUT_INTERVAL = 1, ODBC_LAYOUT_CONTACT = 2, ODBC_LAYOUT_AGENT_STATES = 3 };

struct odbc_preset {
    const char *id;     /* "avaya_cms_hsplit", "cisco_ucce_call_type_interval", ... */
    const char *title;  /* for the console */
    int layout;         /* enum odbc_layout */
    const char *sql;    /* uses :period_start and :period_end */
    const char *notes;  /* one paragraph: tables read, time zone, assumptions */
    const char *span;   /* agent states: "start_end", "start_duration" or "start_only" */
    const char *logout; /* agent states, start-only: default logout codes, ';'-separated */
};

/* The result columns of a preset that reads a live-status table (one row per agent, polled:
 * settings.live_status), by name; reason may be NULL. */
struct odbc_preset_live {
    const char *id;
    const char *agent, *state, *reason, *since;
};

/* The live-status columns of preset id, or NULL when the preset reads by days (static). */
const struct odbc_preset_live *odbc_preset_live(const char *id);

/* All presets (static, thread-safe); *count receives their number. */
const struct odbc_preset *odbc_presets(size_t *count);

/* The preset with this id, or NULL. */
const struct odbc_preset *odbc_preset_find(const char *id);

#endif
