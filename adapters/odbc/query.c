/* query.c: one period query: bind the period, run it, fetch blocks of rows, hand out text rows.
 *
 * Every column is bound as SQL_C_CHAR into its own array of rowset x (field_max + 1) bytes plus
 * an indicator array (column-wise binding), so one SQLFetchScroll fills a whole block and the
 * per-row work is pointer arithmetic. A value that did not fit shows as an indicator larger
 * than field_max (or SQL_NO_TOTAL): that row is reported as an error naming the column, and the
 * next call goes on with the next row.
 *
 * Integer columns of psqlODBC (SMALLINT, INTEGER, BIGINT) are bound as SQL_C_SBIGINT instead and
 * written as text here, which spares the driver its text path per value (the encoding check
 * and a copy; it runs strtoll on the server's digits instead). Decimals stay text: as doubles
 * they would lose digits beyond 15 and the row error a value that is not finite gets today.
 * Timestamp columns of psqlODBC are bound as SQL_C_TYPE_TIMESTAMP: the driver parses
 * the server's text into its time structure either way, and its text for SQL_C_CHAR is made
 * from that structure with snprintf per value; we write the same text ("YYYY-MM-DD HH:MM:SS",
 * fractions only when not zero) with a few digit stores, and once per distinct value (the rows
 * of an interval share their start).
 *
 * Read-ahead (odbc_query_opts.read_ahead > 0): a thread of the query's own fetches the blocks
 * into a ring of read_ahead + 1 sets of buffers (the columns are bound again to the set to fill
 * before each SQLFetchScroll) while the caller works on the rows of the block it holds. So the
 * driver's work (and its waits for the server's next FETCH) runs beside the caller's. The
 * caller never calls the driver while the thread lives; the thread ends after the last block,
 * after a failed fetch, or when the query is closed (after the fetch under way, if any). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "adapters/odbc/odbc_int.h"
#include "core/err.h"
#include "core/log.h"
#include "platform/platform.h"

#define DEFAULT_ROWSET 1000u
#define MAX_ROWSET 100000u
#define DEFAULT_FIELD_MAX 255u
#define MAX_FIELD (1024u * 1024u)
#define DEFAULT_BUFFER_BYTES (32u * 1024u * 1024u)
#define MAX_COLUMNS 1024
#define MAX_READ_AHEAD 8u
#define INT_TEXT_MAX 24u /* "-9223372036854775808" and its NUL fit */

/* One set of column buffers and what the fetch into it gave. */
struct odbc_block {
    char **data;  /* per column: rowset x width bytes */
    SQLLEN **ind; /* per column: rowset indicators */
    /* per column: rowset timestamps when bound as such, or NULL */
    SQL_TIMESTAMP_STRUCT **tsv;
    SQLBIGINT **iv;       /* per column: rowset integers when bound as SQL_C_SBIGINT, or NULL */
    SQLUSMALLINT *status; /* rowset row states */
    SQLULEN fetched;      /* rows in the block */
    int rc;               /* of the fetch: 1 rows, 0 end, or an ACDL_E* code (msg) */
    char msg[512];
};

struct odbc_query {
    struct odbc_conn *conn;
    SQLHSTMT stmt;
    struct odbc_sql sql;
    SQL_TIMESTAMP_STRUCT ts[ODBC_PARAM_COUNT]; /* by enum odbc_param_id */
    char ts_text[ODBC_PARAM_COUNT][24];        /* the same as "YYYY-MM-DD HH:MM:SS", for SQLite */
    SQLBIGINT ids[ODBC_PARAM_COUNT];           /* :since and :until of an id cursor */
    SQLLEN ts_ind[ODBC_SQL_MAX_PARAMS];

    size_t ncols;
    struct odbc_column *cols;
    SQLSMALLINT *ctype; /* per column: SQL_C_CHAR, SQL_C_TYPE_TIMESTAMP or SQL_C_SBIGINT */
    size_t *cwidth;     /* per column: bytes of a value's text buffer (width, or less where the
                           type bounds the text) */
    struct odbc_block *blk;
    unsigned nblk;          /* 1, or read_ahead + 1 */
    unsigned bound;         /* the block the columns are bound to */
    SQLUSMALLINT *fstatus;  /* bound row states (copied into the block fetched) */
    SQLULEN ffetched;       /* bound rows-fetched count */
    struct odbc_block *cur; /* the block whose rows are handed out, or NULL */
    /* read-ahead: the thread fills blocks fill, fill+1, ... (mod nblk) while ready + held <
     * nblk; the caller takes them in the same order */
    pthread_t thread;
    int thread_on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned fill, take, ready, held;
    int stop;     /* close: the thread ends before its next fetch */
    int finished; /* the thread published its last block */
    /* the last timestamp written as text, and its text */
    SQL_TIMESTAMP_STRUCT ts_last;
    char ts_last_text[32];
    size_t ts_last_len;
    int ts_last_valid;
    struct odbc_field *fields;
    size_t width;       /* field_max + 1 */
    size_t field_max;
    SQLULEN rowset;
    SQLULEN pos;        /* next row of the current block to hand out */
    uint64_t rownum;    /* rows handed out (or reported) so far */
    int eof;
    int fatal;          /* sticky error code after a failed fetch */
    char fatal_msg[512];
    int kept;   /* stmt is the connection's prepared statement (conn->prep) */
    int failed; /* opening failed: a kept statement is dropped on close */
};

static const char *type_name(SQLSMALLINT t, char *buf, size_t bufsz)
{
    switch (t) {
    case SQL_CHAR: return "CHAR";
    case SQL_VARCHAR: return "VARCHAR";
    case SQL_LONGVARCHAR: return "LONGVARCHAR";
    case SQL_WCHAR: return "WCHAR";
    case SQL_WVARCHAR: return "WVARCHAR";
    case SQL_WLONGVARCHAR: return "WLONGVARCHAR";
    case SQL_DECIMAL: return "DECIMAL";
    case SQL_NUMERIC: return "NUMERIC";
    case SQL_SMALLINT: return "SMALLINT";
    case SQL_INTEGER: return "INTEGER";
    case SQL_REAL: return "REAL";
    case SQL_FLOAT: return "FLOAT";
    case SQL_DOUBLE: return "DOUBLE";
    case SQL_BIT: return "BIT";
    case SQL_TINYINT: return "TINYINT";
    case SQL_BIGINT: return "BIGINT";
    case SQL_BINARY: return "BINARY";
    case SQL_VARBINARY: return "VARBINARY";
    case SQL_LONGVARBINARY: return "LONGVARBINARY";
    case SQL_TYPE_DATE: case SQL_DATE: return "DATE";
    case SQL_TYPE_TIME: case SQL_TIME: return "TIME";
    case SQL_TYPE_TIMESTAMP: case SQL_TIMESTAMP: return "TIMESTAMP";
    case SQL_GUID: return "GUID";
    default:
        snprintf(buf, bufsz, "TYPE %d", (int)t);
        return buf;
    }
}

static int valid_datetime(const struct odbc_datetime *d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap;
    if (d->year < 1 || d->year > 9999 || d->month < 1 || d->month > 12 || d->day < 1 ||
        d->hour < 0 || d->hour > 23 || d->minute < 0 || d->minute > 59 || d->second < 0 ||
        d->second > 59) {
        return 0;
    }
    leap = (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;
    if (d->day > mdays[d->month - 1] || (d->month == 2 && d->day == 29 && !leap)) {
        return 0;
    }
    return 1;
}

static void to_ts(const struct odbc_datetime *d, SQL_TIMESTAMP_STRUCT *ts, char *text,
                  size_t textsz)
{
    snprintf(text, textsz, "%04d-%02d-%02d %02d:%02d:%02d", d->year, d->month, d->day, d->hour,
             d->minute, d->second);
    memset(ts, 0, sizeof(*ts));
    ts->year = (SQLSMALLINT)d->year;
    ts->month = (SQLUSMALLINT)d->month;
    ts->day = (SQLUSMALLINT)d->day;
    ts->hour = (SQLUSMALLINT)d->hour;
    ts->minute = (SQLUSMALLINT)d->minute;
    ts->second = (SQLUSMALLINT)d->second;
    ts->fraction = 0;
}

/* The error of a failed call on the statement: message into err, code returned. */
static int stmt_error(struct odbc_query *q, const char *what, char *err, size_t errsz)
{
    char msg[ODBC_MSG_MAX] = "";
    char state[6];
    int cancelled = atomic_load(&q->conn->cancelled);
    odbc_diag(SQL_HANDLE_STMT, q->stmt, NULL, msg, sizeof(msg), state);
    if (cancelled) {
        odbc_set_err(err, errsz, "%s: cancelled (%s)", what, msg);
    } else {
        odbc_set_err(err, errsz, "%s: %s", what, msg);
    }
    return odbc_classify(state, msg, cancelled);
}

static void free_block(struct odbc_block *b, size_t ncols)
{
    size_t i;
    for (i = 0; i < ncols; i++) {
        free(b->data ? b->data[i] : NULL);
        free(b->ind ? b->ind[i] : NULL);
        free(b->tsv ? b->tsv[i] : NULL);
        free(b->iv ? b->iv[i] : NULL);
    }
    free(b->data);
    free(b->ind);
    free(b->tsv);
    free(b->iv);
    free(b->status);
}

static void free_buffers(struct odbc_query *q)
{
    unsigned k;
    for (k = 0; q->blk && k < q->nblk; k++) {
        free_block(&q->blk[k], q->ncols);
    }
    free(q->blk);
    free(q->ctype);
    free(q->cwidth);
    free(q->cols);
    free(q->fields);
    free(q->fstatus);
    q->blk = NULL;
    q->ctype = NULL;
    q->cwidth = NULL;
    q->cols = NULL;
    q->fields = NULL;
    q->fstatus = NULL;
}

/* Ends the read-ahead thread: after the fetch under way, if any. */
static void stop_thread(struct odbc_query *q)
{
    if (!q->thread_on) {
        return;
    }
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    q->thread_on = 0;
}

static void query_close_run(void *q)
{
    odbc_query_close(q);
}

void odbc_query_close(struct odbc_query *q)
{
    if (!q) {
        return;
    }
    if (odbc_conn_guarded(q->conn) && odbc_sandboxed(query_close_run, q) == ACDL_OK) {
        return;
    }
    stop_thread(q);
    if (q->stmt) {
        pthread_mutex_lock(&q->conn->mu);
        q->conn->active = NULL;
        pthread_mutex_unlock(&q->conn->mu);
        SQLFreeStmt(q->stmt, SQL_CLOSE);
        if (q->kept && !q->failed && !q->fatal && !atomic_load(&q->conn->cancelled)) {
            /* kept prepared for the next query: nothing of q may stay bound to it */
            SQLFreeStmt(q->stmt, SQL_UNBIND);
            SQLFreeStmt(q->stmt, SQL_RESET_PARAMS);
            SQLSetStmtAttr(q->stmt, SQL_ATTR_ROW_STATUS_PTR, NULL, 0);
            SQLSetStmtAttr(q->stmt, SQL_ATTR_ROWS_FETCHED_PTR, NULL, 0);
        } else {
            if (q->kept) {
                q->conn->prep = NULL;
                free(q->conn->prep_sql);
                q->conn->prep_sql = NULL;
            }
            SQLFreeHandle(SQL_HANDLE_STMT, q->stmt);
        }
    }
    q->conn->busy = 0;
    free_buffers(q);
    odbc_sql_free(&q->sql);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* Describes the result's columns into q->cols. */
static int describe(struct odbc_query *q, char *err, size_t errsz)
{
    SQLSMALLINT n = 0, i;
    if (!SQL_SUCCEEDED(SQLNumResultCols(q->stmt, &n))) {
        return stmt_error(q, "counting the result's columns", err, errsz);
    }
    if (n <= 0) {
        odbc_set_err(err, errsz, "the SQL returns no result set (it must be a SELECT)");
        return ACDL_EINVAL;
    }
    if (n > MAX_COLUMNS) {
        odbc_set_err(err, errsz, "the result has %d columns, more than %d", (int)n, MAX_COLUMNS);
        return ACDL_ETOOBIG;
    }
    q->ncols = (size_t)n;
    q->cols = calloc(q->ncols, sizeof(*q->cols));
    if (!q->cols) {
        return ACDL_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        struct odbc_column *col = &q->cols[i];
        SQLSMALLINT nlen = 0, type = 0, digits = 0, nullable = SQL_NULLABLE_UNKNOWN;
        SQLULEN size = 0;
        char tbuf[16];
        if (!SQL_SUCCEEDED(SQLDescribeCol(q->stmt, (SQLUSMALLINT)(i + 1), (SQLCHAR *)col->name,
                                          sizeof(col->name), &nlen, &type, &size, &digits,
                                          &nullable))) {
            return stmt_error(q, "describing the result's columns", err, errsz);
        }
        col->name[sizeof(col->name) - 1] = '\0';
        col->sql_type = type;
        snprintf(col->type_name, sizeof(col->type_name), "%s", type_name(type, tbuf, sizeof(tbuf)));
        col->size = (unsigned long)size;
        col->nullable = nullable == SQL_NULLABLE ? 1 : nullable == SQL_NO_NULLS ? 0 : -1;
    }
    return ACDL_OK;
}

/* Binds every column to block k's buffers. */
static SQLRETURN bind_block(struct odbc_query *q, unsigned k)
{
    struct odbc_block *b = &q->blk[k];
    SQLRETURN r = SQL_SUCCESS;
    size_t i;
    for (i = 0; i < q->ncols && SQL_SUCCEEDED(r); i++) {
        if (b->tsv[i]) {
            r = SQLBindCol(q->stmt, (SQLUSMALLINT)(i + 1), SQL_C_TYPE_TIMESTAMP, b->tsv[i],
                           (SQLLEN)sizeof(SQL_TIMESTAMP_STRUCT), b->ind[i]);
        } else if (b->iv[i]) {
            r = SQLBindCol(q->stmt, (SQLUSMALLINT)(i + 1), SQL_C_SBIGINT, b->iv[i],
                           (SQLLEN)sizeof(SQLBIGINT), b->ind[i]);
        } else {
            r = SQLBindCol(q->stmt, (SQLUSMALLINT)(i + 1), SQL_C_CHAR, b->data[i],
                           (SQLLEN)q->cwidth[i], b->ind[i]);
        }
    }
    if (SQL_SUCCEEDED(r)) {
        q->bound = k;
    }
    return r;
}

/* The buffers of one block; 0 or ACDL_ENOMEM. */
static int alloc_block(struct odbc_query *q, struct odbc_block *b)
{
    size_t i;
    b->status = calloc(q->rowset, sizeof(*b->status));
    b->data = calloc(q->ncols, sizeof(*b->data));
    b->ind = calloc(q->ncols, sizeof(*b->ind));
    b->tsv = calloc(q->ncols, sizeof(*b->tsv));
    b->iv = calloc(q->ncols, sizeof(*b->iv));
    if (!b->status || !b->data || !b->ind || !b->tsv || !b->iv) {
        return ACDL_ENOMEM;
    }
    for (i = 0; i < q->ncols; i++) {
        b->data[i] = malloc(q->rowset * q->cwidth[i]);
        b->ind[i] = malloc(q->rowset * sizeof(SQLLEN));
        if (!b->data[i] || !b->ind[i]) {
            return ACDL_ENOMEM;
        }
        if (q->ctype[i] == SQL_C_TYPE_TIMESTAMP &&
            !(b->tsv[i] = malloc(q->rowset * sizeof(SQL_TIMESTAMP_STRUCT)))) {
            return ACDL_ENOMEM;
        }
        if (q->ctype[i] == SQL_C_SBIGINT && !(b->iv[i] = malloc(q->rowset * sizeof(SQLBIGINT)))) {
            return ACDL_ENOMEM;
        }
    }
    return ACDL_OK;
}

/* How column i is bound. psqlODBC: timestamps as SQL_C_TYPE_TIMESTAMP (their text buffer only
 * holds what ts_text() writes), integers as SQL_C_SBIGINT, written as text into a buffer of the
 * longest integer's text (int_text()): the server's types bound them, and the driver then only
 * runs strtoll on the server's digits instead of checking the encoding of the text and copying
 * it. SQLite's columns are not bound by their declared types (an INTEGER column may hold
 * text), so there every column is text of the full width. */
static void column_binding(struct odbc_query *q, size_t i)
{
    int t = q->cols[i].sql_type;
    int psql = q->conn->kind == ODBC_DRV_PSQL;
    q->ctype[i] = SQL_C_CHAR;
    q->cwidth[i] = q->width;
    if (psql && q->width >= sizeof(q->ts_last_text) &&
        (t == SQL_TYPE_TIMESTAMP || t == SQL_TIMESTAMP)) {
        q->ctype[i] = SQL_C_TYPE_TIMESTAMP;
        q->cwidth[i] = sizeof(q->ts_last_text);
    } else if (psql && q->width >= INT_TEXT_MAX &&
               (t == SQL_SMALLINT || t == SQL_INTEGER || t == SQL_BIGINT)) {
        q->ctype[i] = SQL_C_SBIGINT;
        q->cwidth[i] = INT_TEXT_MAX;
    }
}

/* Sets up the block cursor, allocates the blocks and binds every column to the first: as
 * text, or (psqlODBC) timestamps as SQL_C_TYPE_TIMESTAMP. */
static int bind_columns(struct odbc_query *q, const struct odbc_query_opts *opts, char *err,
                        size_t errsz)
{
    size_t i, budget, per_row;
    SQLULEN want, got = 0;
    SQLRETURN r;
    unsigned k, ahead = opts ? opts->read_ahead : 0;

    q->field_max = opts && opts->field_max ? opts->field_max : DEFAULT_FIELD_MAX;
    if (q->field_max > MAX_FIELD) {
        odbc_set_err(err, errsz, "field_max is at most %u bytes", MAX_FIELD);
        return ACDL_EINVAL;
    }
    if (ahead > MAX_READ_AHEAD) {
        odbc_set_err(err, errsz, "read_ahead is at most %u blocks", MAX_READ_AHEAD);
        return ACDL_EINVAL;
    }
    q->nblk = ahead + 1;
    q->width = q->field_max + 1;
    q->ctype = calloc(q->ncols, sizeof(*q->ctype));
    q->cwidth = calloc(q->ncols, sizeof(*q->cwidth));
    if (!q->ctype || !q->cwidth) {
        return ACDL_ENOMEM;
    }
    per_row = 0;
    for (i = 0; i < q->ncols; i++) {
        column_binding(q, i);
        per_row += q->cwidth[i] + sizeof(SQLLEN);
    }
    per_row *= q->nblk;
    budget = opts && opts->max_buffer_bytes ? opts->max_buffer_bytes : DEFAULT_BUFFER_BYTES;
    want = opts && opts->rowset_rows ? opts->rowset_rows : DEFAULT_ROWSET;
    if (want > MAX_ROWSET) {
        want = MAX_ROWSET;
    }
    if (want * per_row > budget) {
        want = budget / per_row;
        if (want < 1) {
            want = 1;
        }
    }

    r = SQLSetStmtAttr(q->stmt, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0);
    if (SQL_SUCCEEDED(r)) {
        r = SQLSetStmtAttr(q->stmt, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)want, 0);
    }
    if (!SQL_SUCCEEDED(r) ||
        !SQL_SUCCEEDED(SQLGetStmtAttr(q->stmt, SQL_ATTR_ROW_ARRAY_SIZE, &got, 0, NULL)) ||
        got < 1 || got > want) {
        /* no block cursors: one row per fetch still works */
        got = 1;
        SQLSetStmtAttr(q->stmt, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)1, 0);
    }
    q->rowset = got;

    q->fstatus = calloc(q->rowset, sizeof(*q->fstatus));
    q->fields = calloc(q->ncols, sizeof(*q->fields));
    q->blk = calloc(q->nblk, sizeof(*q->blk));
    if (!q->fstatus || !q->fields || !q->blk) {
        return ACDL_ENOMEM;
    }
    for (k = 0; k < q->nblk; k++) {
        if (alloc_block(q, &q->blk[k]) != ACDL_OK) {
            return ACDL_ENOMEM;
        }
    }
    if (!SQL_SUCCEEDED(SQLSetStmtAttr(q->stmt, SQL_ATTR_ROW_STATUS_PTR, q->fstatus, 0)) ||
        !SQL_SUCCEEDED(SQLSetStmtAttr(q->stmt, SQL_ATTR_ROWS_FETCHED_PTR, &q->ffetched, 0))) {
        return stmt_error(q, "setting up the block cursor", err, errsz);
    }
    if (!SQL_SUCCEEDED(bind_block(q, 0))) {
        return stmt_error(q, "binding the result's columns", err, errsz);
    }
    return ACDL_OK;
}

/* 1 when sql, read as MariaDB reads it, is one statement that starts with SELECT or WITH
 * (after blanks, comments and opening parentheses): no second statement after a ';' outside
 * quotes and comments, and no executable comment (slash-star-! or slash-star-M-!, whose text
 * MariaDB runs). MariaDB's driver always lets the server ask for local files, so nothing but a
 * query may be sent through it (LOAD DATA LOCAL INFILE would read the daemon's files). */
static int mariadb_reads_only(const char *sql)
{
    const char *p = sql;
    int first = 1, ended = 0;
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || (first && *p == '(')) {
            p++;
        } else if ((p[0] == '-' && p[1] == '-') || *p == '#') {
            while (*p && *p != '\n') {
                p++;
            }
        } else if (p[0] == '/' && p[1] == '*') {
            if (p[2] == '!' || (p[2] == 'M' && p[3] == '!')) {
                return 0;
            }
            const char *e = strstr(p + 2, "*/");
            if (!e) {
                return 0;
            }
            p = e + 2;
        } else if (ended) {
            return 0; /* something after the statement's ';' */
        } else if (first) {
            size_t n = 0;
            while (isalpha((unsigned char)p[n])) {
                n++;
            }
            if (!((n == 6 && odbc_ascii_casecmp_n(p, n, "select") == 0) ||
                  (n == 4 && odbc_ascii_casecmp_n(p, n, "with") == 0))) {
                return 0;
            }
            first = 0;
            p += n;
        } else if (*p == '\'' || *p == '"' || *p == '`') {
            char qch = *p++;
            while (*p && *p != qch) {
                p += (*p == '\\' && p[1]) ? 2 : 1;
            }
            if (!*p) {
                return 0;
            }
            p++;
        } else if (*p == ';') {
            ended = 1;
            p++;
        } else {
            p++;
        }
    }
    return !first;
}

/* 1 when sql, read as SQLite reads it, starts with SELECT or WITH (after blanks, comments and
 * opening parentheses). The SQLite driver runs one statement, on the daemon's own thread: any
 * other (VACUUM INTO, ATTACH) writes or opens files with the daemon's rights. */
static int sqlite_reads_only(const char *sql)
{
    const char *p = sql;
    for (;;) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '(') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') {
                p++;
            }
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e) {
                return 0;
            }
            p = e + 2;
        } else {
            break;
        }
    }
    size_t n = 0;
    while (isalpha((unsigned char)p[n])) {
        n++;
    }
    return (n == 6 && odbc_ascii_casecmp_n(p, n, "select") == 0) ||
           (n == 4 && odbc_ascii_casecmp_n(p, n, "with") == 0);
}

static int query_open(struct odbc_conn *c, const char *sql, const struct odbc_period *period,
                      const struct odbc_query_opts *opts, struct odbc_query **out, char *err,
                      size_t errsz)
{
    struct odbc_query *q = NULL;
    int rc = ACDL_OK;
    size_t i;
    SQLRETURN r;

    if (err && errsz) {
        err[0] = '\0';
    }
    if (!c || !sql || !out) {
        return ACDL_EINVAL;
    }
    *out = NULL;
    if (atomic_load(&c->cancelled)) {
        odbc_set_err(err, errsz, "the connection was cancelled");
        return ACDL_ESTOP;
    }
    if (c->busy) {
        odbc_set_err(err, errsz, "another query is open on this connection");
        return ACDL_ECONFLICT;
    }
    if (c->kind == ODBC_DRV_MARIADB && !mariadb_reads_only(sql)) {
        odbc_set_err(err, errsz,
                     "through MariaDB's driver the SQL must be one SELECT (or WITH) statement, "
                     "without executable comments: the driver lets the server read the daemon's "
                     "files for other statements");
        return ACDL_EINVAL;
    }
    if (c->kind == ODBC_DRV_SQLITE && !sqlite_reads_only(sql)) {
        odbc_set_err(err, errsz,
                     "through the SQLite driver the SQL must be one SELECT (or WITH) statement: "
                     "other statements (VACUUM INTO, ATTACH) write and open files with the "
                     "daemon's rights");
        return ACDL_EINVAL;
    }
    q = calloc(1, sizeof(*q));
    if (!q) {
        return ACDL_ENOMEM;
    }
    q->conn = c;
    c->busy = 1;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);

    rc = odbc_sql_rewrite(sql, &q->sql, err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    for (i = 0; i < q->sql.nparams; i++) {
        int id = q->sql.params[i];
        const struct odbc_datetime *d = !period                         ? NULL
                                        : id == ODBC_PARAM_PERIOD_START ? &period->start
                                        : id == ODBC_PARAM_PERIOD_END   ? &period->end
                                        : id == ODBC_PARAM_SINCE        ? &period->since
                                                                        : &period->until;
        if (!period) {
            odbc_set_err(err, errsz, "%s",
                         id <= ODBC_PARAM_PERIOD_END
                             ? "the SQL uses :period_start/:period_end but no period given"
                             : "the SQL uses :since/:until but no cursor window given");
            rc = ACDL_EINVAL;
            goto out;
        }
        if (id >= ODBC_PARAM_SINCE && period->cursor_is_id) {
            q->ids[id] = id == ODBC_PARAM_SINCE ? period->since_id : period->until_id;
            continue;
        }
        if (!valid_datetime(d)) {
            odbc_set_err(err, errsz, "the period's start or end is not a valid date and time");
            rc = ACDL_EINVAL;
            goto out;
        }
        to_ts(d, &q->ts[id], q->ts_text[id], sizeof(q->ts_text[0]));
    }

    if (opts && opts->prepared && c->prep && c->prep_sql && !strcmp(c->prep_sql, q->sql.text)) {
        q->stmt = c->prep; /* prepared by an earlier query of this SQL */
        q->kept = 1;
        r = SQL_SUCCESS;
    } else {
        if (c->prep) { /* another SQL now: the kept statement goes */
            SQLFreeHandle(SQL_HANDLE_STMT, c->prep);
            c->prep = NULL;
            free(c->prep_sql);
            c->prep_sql = NULL;
        }
        r = SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &q->stmt);
    }
    if (!SQL_SUCCEEDED(r)) {
        char msg[ODBC_MSG_MAX] = "";
        char state[6];
        q->stmt = NULL;
        odbc_diag(SQL_HANDLE_DBC, c->dbc, NULL, msg, sizeof(msg), state);
        odbc_set_err(err, errsz, "no statement handle: %s", msg);
        rc = odbc_classify(state, msg, 0);
        goto out;
    }
    pthread_mutex_lock(&c->mu);
    c->active = q->stmt;
    pthread_mutex_unlock(&c->mu);
    /* a cancel that came in before the handle was visible */
    if (atomic_load(&c->cancelled)) {
        odbc_set_err(err, errsz, "the connection was cancelled");
        rc = ACDL_ESTOP;
        goto out;
    }
    if (c->query_timeout_s > 0) {
        r = SQLSetStmtAttr(q->stmt, SQL_ATTR_QUERY_TIMEOUT,
                           (SQLPOINTER)(uintptr_t)c->query_timeout_s, 0);
        if (!SQL_SUCCEEDED(r)) {
            log_warn("odbc", "%s: driver %s ignores the query timeout", c->label, c->driver_name);
        }
    }
    SQLSetStmtAttr(q->stmt, SQL_ATTR_CONCURRENCY, (SQLPOINTER)SQL_CONCUR_READ_ONLY, 0);

    for (i = 0; i < q->sql.nparams; i++) {
        if (q->sql.params[i] >= ODBC_PARAM_SINCE && period->cursor_is_id) {
            q->ts_ind[i] = 0;
            r = SQLBindParameter(q->stmt, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_SBIGINT,
                                 SQL_BIGINT, 0, 0, &q->ids[q->sql.params[i]], 0, &q->ts_ind[i]);
        } else if (c->kind == ODBC_DRV_SQLITE) {
            /* SQLite has no timestamp type: times are stored as ISO text and compared as text,
             * but the driver turns a bound timestamp into "...:00.000", which sorts after
             * "...:00". So SQLite gets the same value as text in the stored form. */
            q->ts_ind[i] = SQL_NTS;
            r = SQLBindParameter(q->stmt, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_CHAR,
                                 SQL_VARCHAR, 19, 0, q->ts_text[q->sql.params[i]],
                                 sizeof(q->ts_text[0]), &q->ts_ind[i]);
        } else {
            q->ts_ind[i] = 0;
            r = SQLBindParameter(q->stmt, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT,
                                 SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 19, 0,
                                 &q->ts[q->sql.params[i]], sizeof(SQL_TIMESTAMP_STRUCT),
                                 &q->ts_ind[i]);
        }
        if (!SQL_SUCCEEDED(r)) {
            rc = stmt_error(q, "binding the period", err, errsz);
            goto out;
        }
    }
    if (q->kept) {
        r = SQLExecute(q->stmt);
    } else if (opts && opts->prepared) {
        r = SQLPrepare(q->stmt, (SQLCHAR *)q->sql.text, SQL_NTS);
        if (SQL_SUCCEEDED(r) && (c->prep_sql = strdup(q->sql.text)) != NULL) {
            c->prep = q->stmt;
            q->kept = 1;
        }
        if (SQL_SUCCEEDED(r)) {
            r = SQLExecute(q->stmt);
        }
    } else {
        r = SQLExecDirect(q->stmt, (SQLCHAR *)q->sql.text, SQL_NTS);
    }
    if (r == SQL_NO_DATA) {
        odbc_set_err(err, errsz, "the SQL returns no result set (it must be a SELECT)");
        rc = ACDL_EINVAL;
        goto out;
    }
    if (!SQL_SUCCEEDED(r)) {
        rc = stmt_error(q, "the query failed", err, errsz);
        goto out;
    }
    rc = describe(q, err, errsz);
    if (rc == ACDL_OK) {
        rc = bind_columns(q, opts, err, errsz);
    }
    if (rc == ACDL_ENOMEM) {
        odbc_set_err(err, errsz, "out of memory for the column buffers");
    }

out:
    if (rc != ACDL_OK) {
        q->failed = 1;
        odbc_query_close(q);
        return rc;
    }
    log_debug("odbc", "%s: query runs: %lu columns, %lu rows per block, %lu parameters", c->label,
              (unsigned long)q->ncols, (unsigned long)q->rowset, (unsigned long)q->sql.nparams);
    *out = q;
    return ACDL_OK;
}

struct query_open_call {
    struct odbc_conn *c;
    const char *sql;
    const struct odbc_period *period;
    const struct odbc_query_opts *opts;
    struct odbc_query **out;
    char *err;
    size_t errsz;
    int rc;
};

static void query_open_run(void *p)
{
    struct query_open_call *a = p;
    a->rc = query_open(a->c, a->sql, a->period, a->opts, a->out, a->err, a->errsz);
}

int odbc_query_open(struct odbc_conn *c, const char *sql, const struct odbc_period *period,
                    const struct odbc_query_opts *opts, struct odbc_query **out, char *err,
                    size_t errsz)
{
    struct query_open_call a = {c, sql, period, opts, out, err, errsz, ACDL_EPERM};
    int rc;
    if (!odbc_conn_guarded(c)) {
        return query_open(c, sql, period, opts, out, err, errsz);
    }
    rc = odbc_sandboxed(query_open_run, &a);
    if (rc != ACDL_OK) {
        odbc_set_err(err, errsz, "cannot start a restricted thread for the ODBC driver");
        return rc;
    }
    return a.rc;
}

size_t odbc_query_ncols(const struct odbc_query *q)
{
    return q ? q->ncols : 0;
}

const struct odbc_column *odbc_query_column(const struct odbc_query *q, size_t i)
{
    return q && i < q->ncols ? &q->cols[i] : NULL;
}

/* Fetches the next rows into block k: b->rc is 1 (rows), 0 (end) or an error code with the
 * reason in b->msg. Only the read-ahead thread calls it while that thread lives. */
static void fetch_into(struct odbc_query *q, unsigned k)
{
    struct odbc_block *b = &q->blk[k];
    SQLRETURN r;
    b->fetched = 0;
    b->msg[0] = '\0';
    if (q->bound != k && !SQL_SUCCEEDED(bind_block(q, k))) {
        b->rc = stmt_error(q, "binding the result's columns", b->msg, sizeof(b->msg));
        return;
    }
    q->ffetched = 0;
    r = SQLFetchScroll(q->stmt, SQL_FETCH_NEXT, 0);
    if (r == SQL_NO_DATA) {
        b->rc = 0;
        return;
    }
    if (!SQL_SUCCEEDED(r)) {
        b->rc = stmt_error(q, "fetching rows failed", b->msg, sizeof(b->msg));
        return;
    }
    b->fetched = q->ffetched > q->rowset ? q->rowset : q->ffetched;
    memcpy(b->status, q->fstatus, b->fetched * sizeof(*b->status));
    b->rc = b->fetched > 0 ? 1 : 0;
}

struct fetch_call {
    struct odbc_query *q;
    unsigned k;
};

static void fetch_run(void *p)
{
    struct fetch_call *f = p;
    fetch_into(f->q, f->k);
}

/* fetch_into, where MariaDB's driver cannot read the daemon's files */
static void fetch_guarded(struct odbc_query *q, unsigned k)
{
    struct fetch_call f = {q, k};
    int rc;
    if (!odbc_conn_guarded(q->conn)) {
        fetch_into(q, k);
        return;
    }
    rc = odbc_sandboxed(fetch_run, &f);
    if (rc != ACDL_OK) {
        q->blk[k].fetched = 0;
        q->blk[k].rc = rc;
        snprintf(q->blk[k].msg, sizeof(q->blk[k].msg),
                 "cannot start a restricted thread for the ODBC driver");
    }
}

/* The read-ahead thread: fills the free blocks in ring order until the end, an error or
 * close. For MariaDB's driver it cannot read the daemon's files. */
static void *read_ahead_main(void *arg)
{
    struct odbc_query *q = arg;
    unsigned k = 0;
    if (odbc_conn_guarded(q->conn) && plat_sandbox_enter() != ACDL_OK) {
        pthread_mutex_lock(&q->mu);
        q->blk[k].fetched = 0;
        q->blk[k].rc = ACDL_EPERM;
        snprintf(q->blk[k].msg, sizeof(q->blk[k].msg),
                 "cannot restrict the fetch thread for the ODBC driver");
        q->ready++;
        q->finished = 1;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!q->stop && q->ready + q->held >= q->nblk) {
            pthread_cond_wait(&q->cv, &q->mu);
        }
        int stop = q->stop;
        pthread_mutex_unlock(&q->mu);
        if (stop) {
            break;
        }
        fetch_into(q, k);
        int last = q->blk[k].rc <= 0;
        pthread_mutex_lock(&q->mu);
        q->ready++;
        q->finished = last;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        if (last) {
            break;
        }
        k = (k + 1) % q->nblk;
    }
    return NULL;
}

/* Moves on to the next block: gives the one held back to the read-ahead thread and waits for
 * the next (or fetches it here without read-ahead). Returns 1 (rows), 0 (end) or an error code
 * (sticky). */
static int next_block(struct odbc_query *q, char *err, size_t errsz)
{
    struct odbc_block *b;
    q->pos = 0;
    if (q->nblk == 1) {
        fetch_guarded(q, 0);
        b = &q->blk[0];
    } else {
        if (!q->thread_on) {
            if (pthread_create(&q->thread, NULL, read_ahead_main, q) != 0) {
                q->fatal = ACDL_ENOMEM;
                snprintf(q->fatal_msg, sizeof(q->fatal_msg), "cannot start the fetch thread");
                odbc_set_err(err, errsz, "%s", q->fatal_msg);
                return q->fatal;
            }
            q->thread_on = 1;
        }
        pthread_mutex_lock(&q->mu);
        if (q->cur) {
            q->held = 0;
            q->cur = NULL;
            pthread_cond_broadcast(&q->cv);
        }
        while (q->ready == 0) {
            pthread_cond_wait(&q->cv, &q->mu);
        }
        q->ready--;
        q->held = 1;
        pthread_mutex_unlock(&q->mu);
        b = &q->blk[q->take];
        q->take = (q->take + 1) % q->nblk;
    }
    q->cur = b;
    if (b->rc == 0) {
        q->eof = 1;
        return 0;
    }
    if (b->rc < 0) {
        q->fatal = b->rc;
        snprintf(q->fatal_msg, sizeof(q->fatal_msg), "%s", b->msg);
        odbc_set_err(err, errsz, "%s", q->fatal_msg);
        return q->fatal;
    }
    return 1;
}

static char *put_digits(char *p, unsigned v, int n)
{
    for (int k = n - 1; k >= 0; k--) {
        p[k] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* v as decimal text into out (INT_TEXT_MAX bytes); returns the length. */
static size_t int_text(SQLBIGINT v, char *out)
{
    char tmp[INT_TEXT_MAX];
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u);
    if (v < 0) {
        out[len++] = '-';
    }
    while (n) {
        out[len++] = tmp[--n];
    }
    out[len] = '\0';
    return len;
}

/* t as "YYYY-MM-DD HH:MM:SS" with ".f" (up to 9 digits, trailing zeros cut) when it has a
 * fraction; the text of the last value is reused. Returns the length (< 32). */
static size_t ts_text(struct odbc_query *q, const SQL_TIMESTAMP_STRUCT *t, char *out)
{
    if (!q->ts_last_valid || memcmp(t, &q->ts_last, sizeof(*t)) != 0) {
        char *p = q->ts_last_text;
        unsigned year = t->year < 0 ? 0u : (unsigned)t->year;
        p = put_digits(p, year > 9999 ? 9999 : year, 4);
        *p++ = '-';
        p = put_digits(p, t->month, 2);
        *p++ = '-';
        p = put_digits(p, t->day, 2);
        *p++ = ' ';
        p = put_digits(p, t->hour, 2);
        *p++ = ':';
        p = put_digits(p, t->minute, 2);
        *p++ = ':';
        p = put_digits(p, t->second, 2);
        if (t->fraction > 0 && t->fraction < 1000000000u) {
            *p++ = '.';
            p = put_digits(p, (unsigned)t->fraction, 9);
            while (p[-1] == '0') {
                p--;
            }
        }
        *p = '\0';
        q->ts_last_len = (size_t)(p - q->ts_last_text);
        memcpy(&q->ts_last, t, sizeof(*t));
        q->ts_last_valid = 1;
    }
    memcpy(out, q->ts_last_text, q->ts_last_len + 1);
    return q->ts_last_len;
}

int odbc_query_next(struct odbc_query *q, struct odbc_row *row, char *err, size_t errsz)
{
    if (err && errsz) {
        err[0] = '\0';
    }
    if (!q || !row) {
        return ACDL_EINVAL;
    }
    memset(row, 0, sizeof(*row));
    if (q->fatal) {
        odbc_set_err(err, errsz, "%s", q->fatal_msg);
        return q->fatal;
    }
    if (atomic_load(&q->conn->cancelled)) {
        q->fatal = ACDL_ESTOP;
        snprintf(q->fatal_msg, sizeof(q->fatal_msg), "the query was cancelled");
        odbc_set_err(err, errsz, "%s", q->fatal_msg);
        return q->fatal;
    }
    for (;;) {
        SQLULEN r;
        size_t i;
        if (q->eof) {
            return 0;
        }
        if (!q->cur || q->pos >= q->cur->fetched) {
            int frc = next_block(q, err, errsz);
            if (frc <= 0) {
                return frc;
            }
        }
        const struct odbc_block *b = q->cur;
        r = q->pos++;
        if (b->status[r] == SQL_ROW_NOROW || b->status[r] == SQL_ROW_DELETED) {
            continue;
        }
        row->number = ++q->rownum;
        if (b->status[r] == SQL_ROW_ERROR) {
            odbc_set_err(err, errsz, "row %llu: the driver could not read this row",
                         (unsigned long long)row->number);
            return ACDL_EDB;
        }
        for (i = 0; i < q->ncols; i++) {
            SQLLEN ind = b->ind[i][r];
            struct odbc_field *f = &q->fields[i];
            char *p = b->data[i] + r * q->cwidth[i];
            if (ind == SQL_NULL_DATA) {
                f->ptr = "";
                f->len = 0;
                f->is_null = 1;
                continue;
            }
            if (b->tsv[i]) {
                f->len = ts_text(q, &b->tsv[i][r], p);
                f->ptr = p;
                f->is_null = 0;
                continue;
            }
            if (b->iv[i]) {
                f->len = int_text(b->iv[i][r], p);
                f->ptr = p;
                f->is_null = 0;
                continue;
            }
            if (ind == SQL_NO_TOTAL || ind < 0 || (size_t)ind >= q->cwidth[i]) {
                if (ind == SQL_NO_TOTAL || ind < 0) {
                    odbc_set_err(err, errsz,
                                 "row %llu, column %lu (%s): value longer than %lu bytes",
                                 (unsigned long long)row->number, (unsigned long)(i + 1),
                                 q->cols[i].name, (unsigned long)(q->cwidth[i] - 1));
                } else {
                    odbc_set_err(err, errsz,
                                 "row %llu, column %lu (%s): value of %lld bytes is longer "
                                 "than %lu bytes",
                                 (unsigned long long)row->number, (unsigned long)(i + 1),
                                 q->cols[i].name, (long long)ind,
                                 (unsigned long)(q->cwidth[i] - 1));
                }
                return ACDL_ETOOBIG;
            }
            p[ind] = '\0';
            f->ptr = p;
            f->len = (size_t)ind;
            f->is_null = 0;
        }
        row->nfields = q->ncols;
        row->fields = q->fields;
        return 1;
    }
}
