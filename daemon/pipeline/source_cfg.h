/* source_cfg.h: a source's settings: parsed from the API's JSON, validated, and turned back
 * into the JSON stored in sources.settings.
 *
 * One function validates for the API (every error names the field, e.g. "csv.separator:
 * must be one character") and for the importer (which re-reads the stored JSON), so what was
 * accepted is what runs. The ODBC password is not part of the settings: it is sealed
 * separately and never returned. */
#ifndef ACDL_PIPELINE_SOURCE_CFG_H
#define ACDL_PIPELINE_SOURCE_CFG_H
#include <jansson.h>
#include <stddef.h>

#include "adapters/csv/csv.h"
#include "core/datetime.h"

#define SOURCE_MAX_METRICS 64
#define SOURCE_MAX_DERIVED 32
#define SOURCE_PATH_MAX 1024
#define SOURCE_PARTIAL_LINE_WAIT_S 120

enum source_kind { SOURCE_CSV = 0, SOURCE_ODBC };
enum source_layout { LAYOUT_INTERVAL = 0, LAYOUT_CONTACT };
enum after_import { AFTER_KEEP = 0, AFTER_MOVE, AFTER_DELETE };
enum source_product { PRODUCT_CONTACTS = 0, PRODUCT_AGENT_STATES };
/* How an agent-state row gives its time span. */
enum agent_span_form { SPAN_START_END = 0, SPAN_START_DURATION, SPAN_START_ONLY };

#define SOURCE_MAX_LOGOUT 32
/* odbc.connections: a run's days read by this many queries on as many connections at once */
#define SOURCE_ODBC_CONNECTIONS 3
#define SOURCE_ODBC_MAX_CONNECTIONS 8
#define SOURCE_MAX_ANSWER_VALUES 32

struct source_column {
    char spec[129]; /* a header name, or digits for a 1-based column number; "" = not used */
};

struct source_metric {
    char name[65];           /* the external metric name used by mappings */
    struct source_column col; /* CSV: where it is; ODBC: the result column (by name) */
};

struct source_derived {
    char name[65];
    char expression[1024];
};

/* The agent-state options of a source (product agent_states). */
struct source_states {
    enum agent_span_form span;
    char logout[SOURCE_MAX_LOGOUT][65]; /* activity codes that mean logout (start-only) */
    int nlogout;
    int min_duration_s;    /* states shorter than this are dropped (0: keep all) */
    int split_at_midnight; /* 1: a state crossing midnight is cut at the day boundary */
};

/* An ODBC agent-state source that follows its table: the query takes :since and :until, and a
 * poller runs it every poll_s seconds from the last cursor value read (minus the overlap), so
 * changes are staged within seconds (pipeline/agent_follow.h). */
enum source_cursor_type { CURSOR_TIMESTAMP = 0, CURSOR_ID };

struct source_incremental {
    int enabled;
    char cursor_column[129]; /* the result column holding the cursor */
    enum source_cursor_type cursor_type;
    int overlap_s;         /* re-read this far behind the cursor (rows committed late) */
    int poll_s;            /* 1..3600 */
    int reconcile_minutes; /* a full re-read this often (0: never) */
    int reconcile_hours;   /* of this many hours back */
    int max_states;        /* a poll stages at most this many new states (agent_follow.h) */
};

/* A CSV agent-state source that follows one growing file of its folder (settings.follow): a
 * poller reads the complete lines appended since the last poll every poll_s seconds, across
 * rotation and truncation (pipeline/file_follow.h). */
struct source_follow_file {
    int enabled;
    char file[256];        /* a file name in csv.folder (no folder parts) */
    int poll_s;            /* 1..3600 */
    int reconcile_minutes; /* a run of the folder this often (0: never) */
    int reconcile_hours;   /* of the local days of this many hours back */
};

/* An ODBC agent-state source whose query reads a live-status table (one row per agent: its
 * current state, an optional reason and since when): polled every poll_s seconds, each change
 * of an agent's row becomes a state start (pipeline/live_status.h). Columns by name. */
struct source_live_status {
    int enabled;
    char agent_column[129], state_column[129];
    char reason_column[129], since_column[129]; /* "" = none */
    int poll_s;                                 /* 1..3600 */
    /* the optional history query a reconciliation reads (live_status.h): agent, activity,
     * start (and end or duration by history_span), :since and :until bound; "" = none */
    char history_sql[65536];
    char history_preset[64]; /* or an agent-state preset read by days; "" = none */
    enum agent_span_form history_span;
    int reconcile_minutes; /* a reconciliation this often (0: never) */
    int reconcile_hours;   /* of the local days of this many hours back */
};

/* The state an agent whose row left the table is given when the source names no logout code. */
#define SOURCE_LIVE_GONE "LOGGED_OUT"

/* The preset of CSV sources: Asterisk's queue_log file, read into agent states by the SQL of
 * the queue_log table preset of the same name (pipeline/queue_log.h). */
#define SOURCE_QUEUE_LOG_PRESET "asterisk_queue_log_states"

#define SOURCE_OVERLAP_S 120
#define SOURCE_POLL_S 5
#define SOURCE_MAX_STATES 1000000 /* settings.incremental.max_states_per_poll: no bound */
#define SOURCE_RECONCILE_MINUTES 15
#define SOURCE_RECONCILE_HOURS 24

struct source_cfg {
    enum source_product product;
    enum source_kind kind;
    enum source_layout layout;
    char time_zone[65];
    int interval_minutes;

    /* CSV */
    char folder[SOURCE_PATH_MAX];
    char pattern[256];
    struct csv_options csv; /* separator, quote, encoding, skip_lines, header */
    enum datetime_order date_order;
    char date_format[64], time_format[64], timestamp_format[64]; /* "" = by date_order */
    enum after_import after_import;
    char archive_folder[SOURCE_PATH_MAX];
    int strict; /* 1: a bad row fails the file */
    /* a last line without a line end in a file modified less than this many seconds ago may
     * still be being written: it is left (and the file not marked imported) for a later run */
    int partial_line_wait_s;

    /* column roles (CSV by name/number; ODBC results follow the documented contract) */
    struct source_column queue, queue_name, date, time, timestamp, answered, duration;
    struct source_metric metrics[SOURCE_MAX_METRICS];
    int nmetrics;
    /* contact layout: the answered column's values that mean answered and not answered (blanks
     * around them ignored, ASCII case ignored); both empty: the default rule
     * (source_cfg_answered) */
    char answered_values[SOURCE_MAX_ANSWER_VALUES][65];
    char unanswered_values[SOURCE_MAX_ANSWER_VALUES][65];
    int nanswered_values, nunanswered_values;

    /* agent states: column roles (CSV), with date/start/end/duration as above: start and end
     * are timestamps, or times of the date column when one is given */
    struct source_column agent, activity, activity_name, start, end;
    struct source_states states;
    struct source_incremental incremental;
    struct source_follow_file follow;
    struct source_live_status live_status;

    /* ODBC */
    char dsn[256];
    char connection_string[1024];
    char user[129];
    char sql[65536];
    char preset[64];
    int timeout_s;
    int connections;     /* a run's period read by up to this many queries at once (by days) */
    unsigned sql_params; /* the named parameters the SQL uses: bit (1 << enum odbc_param_id) */

    /* both */
    struct source_derived derived[SOURCE_MAX_DERIVED];
    int nderived;
    char filter[1024];
};

/* Fills cfg from the JSON object of a source's "settings" for the given kind and layout.
 * Returns 0, or ACDL_EINVAL with a message naming the field in err. cfg is large: allocate it
 * on the heap. */
int source_cfg_parse(const json_t *settings, enum source_kind kind, enum source_layout layout,
                     const char *time_zone, int interval_minutes, struct source_cfg *cfg,
                     char *err, size_t errsz);

/* As source_cfg_parse() for a source of the given product: agent_states sources take the
 * columns agent, activity, activity_name, date, start, end, duration and an "agent_states"
 * object {span, logout_activities, min_duration_s, split_at_midnight}. */
int source_cfg_parse_product(const json_t *settings, enum source_product product,
                             enum source_kind kind, enum source_layout layout,
                             const char *time_zone, int interval_minutes, struct source_cfg *cfg,
                             char *err, size_t errsz);

/* 1 when the ODBC connection string s sets a password (a PWD or PASSWORD attribute, in any
 * case and spacing; values in braces may hold ';'), 2 when psqlODBC's pqopt gives libpq one
 * (password, sslpassword or a URI), 3 for MariaDB's TLSKEYPWD (a client key's passphrase),
 * else 0. Such strings are refused when saved: the password belongs
 * in the source's sealed password field, never in readable settings. */
int source_cfg_connstr_has_password(const char *s);
/* Checks a CSV source's folder and archive folder against the allowed import roots
 * (config/roots.h), resolving them on this machine; for an ODBC source, that its connection
 * string's Driver= is a driver registered by name (never a library file), that no member makes
 * the driver load a library, and that database files lie inside the import roots. Returns 0,
 * or ACDL_EPERM / ACDL_EINVAL with err naming the field and what is allowed. */
int source_cfg_check_paths(const struct source_cfg *cfg, char *err, size_t errsz);

/* For an ODBC source: Driver= of the connection string must name a driver registered with the
 * ODBC driver manager (odbcinst.ini; the registry on Windows), not a library file (a path, or a
 * name ending in .so, .dll or .dylib), and LoadExt=, PLUGIN_DIR= (MariaDB's authentication
 * plugins), TranslationDLL= and TranslateDLL= (they load libraries into the daemon) are refused. A
 * DSN's own driver is the definition of the machine's administrator and is not checked. Returns 0
 * or ACDL_EINVAL with err naming "odbc.connection_string (Driver=)" and the registered drivers.
 * Part of source_cfg_check_paths(). */
int source_cfg_check_driver(const struct source_cfg *cfg, char *err, size_t errsz);

/* What the contact layout's answered column says in s (n bytes): 1 answered, 0 not answered,
 * -1 neither (a row error). Without answered_values / unanswered_values, empty, 0, n, N, f,
 * F, no and false are not answered and everything else is answered. */
int source_cfg_answered(const struct source_cfg *cfg, const char *s, size_t n);

/* 1 when s (n bytes) reads as yes or no by itself: empty, a number, or (blanks around it and
 * ASCII case ignored) y, yes, t, true, n, no, f, false. Any other value (AGENT, HANG) says
 * something the default rule of source_cfg_answered() can only guess (it counts it answered). */
int source_cfg_answered_plain(const char *s, size_t n);

/* 1 when code is one of the source's logout activity codes. */
int source_cfg_is_logout(const struct source_cfg *cfg, const char *code, size_t len);

const char *source_product_name(enum source_product p);
int source_product_parse(const char *s, enum source_product *out);
const char *source_span_name(enum agent_span_form f);
const char *source_cursor_type_name(enum source_cursor_type t);

/* The settings as JSON, with every default written out (new reference). */
json_t *source_cfg_settings_json(const struct source_cfg *cfg);

const char *source_kind_name(enum source_kind k);
const char *source_layout_name(enum source_layout l);
int source_kind_parse(const char *s, enum source_kind *out);
int source_layout_parse(const char *s, enum source_layout *out);

#endif
