/* odbc-fetch.c: the bare driver, for bench/odbc.sh (not part of the product).
 *
 * Runs the bench's period query through unixODBC and a driver the way acdlink's ODBC reader
 * does (adapters/odbc/query.c): the period bound as two SQL_C_TYPE_TIMESTAMP parameters,
 * column-wise bound block cursor, timestamps as SQL_C_TYPE_TIMESTAMP, integers as
 * SQL_C_SBIGINT, everything else as text of up to 256 bytes, psqlODBC's JIT turned off for
 * the session, one query per day spread over --connections connections (each on a thread of
 * its own) when the period is longer than a day. Then it does nothing with the rows but count
 * them and sum the decimals as exact tenths (a check that another binding reads the same
 * values). What this program reaches is what the driver and the server give; acdlink's
 * figure beside it shows the daemon's own share.
 *
 *   odbc-fetch CONNSTR SQL FROM DAYS [option...]
 *     CONNSTR  full connection string (UID, PWD included); UseDeclareFetch/Fetch/ReadOnly as
 *              the daemon adds them are appended unless --raw
 *     SQL      with two '?' (period start, end)
 *     FROM     YYYY-MM-DD, DAYS: the period's length
 *   --connections N  queries at once (default 3, as odbc.connections); 1: one query
 *   --rowset N       SQL_ATTR_ROW_ARRAY_SIZE (default 128)
 *   --fetch N        psqlODBC Fetch= with UseDeclareFetch=1 (default 1000); 0: UseDeclareFetch=0
 *   --ts text        timestamps as SQL_C_CHAR instead of SQL_C_TYPE_TIMESTAMP
 *   --int text       integers as SQL_C_CHAR instead of SQL_C_SBIGINT
 *   --dec numeric|double  decimals as SQL_C_NUMERIC (precision 38, scale 1) or SQL_C_DOUBLE
 *   --raw            the connection string as given
 * Prints one line: "rows=N dec_tenths=S wall=W cpu=C rss_kb=K rowset=R". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sql.h>
#include <sqlext.h>

#define MAX_COLS 64
#define TEXT_W 257

static const char *g_connstr, *g_sql;
static int g_y, g_m, g_d, g_days, g_conns = 3, g_rowset = 128, g_fetch = 1000, g_raw;
static int g_ts_text, g_int_text, g_dec_mode; /* dec: 0 text, 1 numeric, 2 double */
static atomic_int g_next_day;
static atomic_llong g_rows, g_tenths;

static void die_diag(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
    SQLCHAR state[6] = "", msg[512] = "";
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof(msg), &len);
    fprintf(stderr, "odbc-fetch: %s: %s %s\n", what, state, msg);
    exit(1);
}

static void day_ts(int offset, SQL_TIMESTAMP_STRUCT *ts)
{
    struct tm tm = {
        .tm_year = g_y - 1900, .tm_mon = g_m - 1, .tm_mday = g_d + offset, .tm_hour = 12};
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    memset(ts, 0, sizeof(*ts));
    ts->year = (SQLSMALLINT)(tm.tm_year + 1900);
    ts->month = (SQLUSMALLINT)(tm.tm_mon + 1);
    ts->day = (SQLUSMALLINT)tm.tm_mday;
}

/* exact tenths of a decimal's text ("12.3", "-0.5", "7") */
static long long text_tenths(const char *s)
{
    long long v = 0;
    int neg = *s == '-', frac = -1;
    for (s += neg; *s; s++) {
        if (*s == '.') {
            frac = 0;
        } else if (frac < 0 || frac++ < 1) {
            v = v * 10 + (*s - '0');
        }
    }
    if (frac <= 0) {
        v *= 10;
    }
    return neg ? -v : v;
}

static long long numeric_tenths(const SQL_NUMERIC_STRUCT *n)
{
    unsigned long long v = 0;
    for (int i = 15; i >= 0; i--) {
        v = v * 256 + n->val[i];
    }
    for (int s = n->scale; s > 1; s--) {
        v /= 10;
    }
    for (int s = n->scale; s < 1; s++) {
        v *= 10;
    }
    return n->sign ? (long long)v : -(long long)v;
}

struct col {
    SQLSMALLINT sqltype, ctype;
    void *buf;
    SQLLEN width, *ind;
};

static void read_range(SQLHDBC dbc, int first, int ndays)
{
    SQLHSTMT st;
    SQL_TIMESTAMP_STRUCT from, to;
    SQLLEN ind0 = 0, ind1 = 0;
    SQLULEN fetched = 0;
    SQLUSMALLINT *status = calloc((size_t)g_rowset, sizeof(*status));
    SQLSMALLINT ncols = 0;
    struct col cols[MAX_COLS];
    long long rows = 0, tenths = 0;

    day_ts(first, &from);
    day_ts(first + ndays, &to);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
        die_diag(SQL_HANDLE_DBC, dbc, "statement");
    }
    SQLSetStmtAttr(st, SQL_ATTR_CONCURRENCY, (SQLPOINTER)SQL_CONCUR_READ_ONLY, 0);
    SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 19, 0, &from,
                     sizeof(from), &ind0);
    SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 19, 0, &to,
                     sizeof(to), &ind1);
    if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)g_sql, SQL_NTS))) {
        die_diag(SQL_HANDLE_STMT, st, "query");
    }
    SQLNumResultCols(st, &ncols);
    if (ncols < 1 || ncols > MAX_COLS) {
        fprintf(stderr, "odbc-fetch: %d columns\n", ncols);
        exit(1);
    }
    SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0);
    SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)g_rowset, 0);
    SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, status, 0);
    SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &fetched, 0);
    for (SQLSMALLINT i = 0; i < ncols; i++) {
        struct col *c = &cols[i];
        SQLCHAR name[128];
        SQLSMALLINT nl, dig, nul;
        SQLULEN size;
        SQLDescribeCol(st, (SQLUSMALLINT)(i + 1), name, sizeof(name), &nl, &c->sqltype, &size, &dig,
                       &nul);
        c->ctype = SQL_C_CHAR;
        c->width = TEXT_W;
        if ((c->sqltype == SQL_TYPE_TIMESTAMP || c->sqltype == SQL_TIMESTAMP) && !g_ts_text) {
            c->ctype = SQL_C_TYPE_TIMESTAMP;
            c->width = sizeof(SQL_TIMESTAMP_STRUCT);
        } else if ((c->sqltype == SQL_SMALLINT || c->sqltype == SQL_INTEGER ||
                    c->sqltype == SQL_BIGINT) &&
                   !g_int_text) {
            c->ctype = SQL_C_SBIGINT;
            c->width = sizeof(SQLBIGINT);
        } else if ((c->sqltype == SQL_NUMERIC || c->sqltype == SQL_DECIMAL) && g_dec_mode == 1) {
            c->ctype = SQL_C_NUMERIC;
            c->width = sizeof(SQL_NUMERIC_STRUCT);
        } else if ((c->sqltype == SQL_NUMERIC || c->sqltype == SQL_DECIMAL) && g_dec_mode == 2) {
            c->ctype = SQL_C_DOUBLE;
            c->width = sizeof(double);
        }
        c->buf = malloc((size_t)(g_rowset * c->width));
        c->ind = malloc((size_t)g_rowset * sizeof(SQLLEN));
        if (!SQL_SUCCEEDED(
                SQLBindCol(st, (SQLUSMALLINT)(i + 1), c->ctype, c->buf, c->width, c->ind))) {
            die_diag(SQL_HANDLE_STMT, st, "bind");
        }
        if (c->ctype == SQL_C_NUMERIC) {
            /* without these the driver rounds to scale 0 (the ODBC default) */
            SQLHDESC ard;
            SQLGetStmtAttr(st, SQL_ATTR_APP_ROW_DESC, &ard, 0, NULL);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_TYPE, (SQLPOINTER)SQL_C_NUMERIC, 0);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_PRECISION, (SQLPOINTER)38, 0);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_SCALE, (SQLPOINTER)1, 0);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_DATA_PTR, c->buf, 0);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_INDICATOR_PTR, c->ind, 0);
            SQLSetDescField(ard, (SQLSMALLINT)(i + 1), SQL_DESC_OCTET_LENGTH_PTR, c->ind, 0);
        }
    }
    for (;;) {
        SQLRETURN r = SQLFetchScroll(st, SQL_FETCH_NEXT, 0);
        if (r == SQL_NO_DATA) {
            break;
        }
        if (!SQL_SUCCEEDED(r)) {
            die_diag(SQL_HANDLE_STMT, st, "fetch");
        }
        rows += (long long)fetched;
        for (SQLSMALLINT i = 0; i < ncols; i++) {
            struct col *c = &cols[i];
            if (c->sqltype != SQL_NUMERIC && c->sqltype != SQL_DECIMAL) {
                continue;
            }
            for (SQLULEN k = 0; k < fetched; k++) {
                if (c->ind[k] == SQL_NULL_DATA) {
                    continue;
                }
                if (c->ctype == SQL_C_NUMERIC) {
                    tenths += numeric_tenths((SQL_NUMERIC_STRUCT *)c->buf + k);
                } else if (c->ctype == SQL_C_DOUBLE) {
                    double v = ((double *)c->buf)[k] * 10.0;
                    tenths += (long long)(v < 0 ? v - 0.5 : v + 0.5);
                } else {
                    tenths += text_tenths((char *)c->buf + k * TEXT_W);
                }
            }
        }
    }
    SQLFreeStmt(st, SQL_CLOSE);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    for (SQLSMALLINT i = 0; i < ncols; i++) {
        free(cols[i].buf);
        free(cols[i].ind);
    }
    free(status);
    atomic_fetch_add(&g_rows, rows);
    atomic_fetch_add(&g_tenths, tenths);
}

static void *conn_main(void *arg)
{
    SQLHENV env = arg;
    SQLHDBC dbc;
    char cs[2048];
    SQLHSTMT st;
    snprintf(cs, sizeof(cs), "%s", g_connstr);
    if (!g_raw) {
        size_t n = strlen(cs);
        if (g_fetch > 0) {
            snprintf(cs + n, sizeof(cs) - n, ";UseDeclareFetch=1;Fetch=%d;ReadOnly=1;", g_fetch);
        } else {
            snprintf(cs + n, sizeof(cs) - n, ";UseDeclareFetch=0;ReadOnly=1;");
        }
    }
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc))) {
        die_diag(SQL_HANDLE_ENV, env, "connection handle");
    }
    if (!SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL,
                                        SQL_DRIVER_NOPROMPT))) {
        die_diag(SQL_HANDLE_DBC, dbc, "connect");
    }
    /* as the daemon does on a psqlODBC connection */
    if (SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
        if (SQL_SUCCEEDED(SQLExecDirect(st,
                                        (SQLCHAR *)"SELECT set_config('jit', 'off', false) FROM "
                                                   "pg_catalog.pg_settings WHERE name = 'jit' "
                                                   "AND source = 'default'",
                                        SQL_NTS))) {
            while (SQL_SUCCEEDED(SQLFetch(st))) {
            }
        }
        SQLFreeHandle(SQL_HANDLE_STMT, st);
    }
    if (g_conns == 1) {
        read_range(dbc, 0, g_days);
    } else {
        int d;
        while ((d = atomic_fetch_add(&g_next_day, 1)) < g_days) {
            read_range(dbc, d, 1);
        }
    }
    SQLDisconnect(dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return NULL;
}

int main(int argc, char **argv)
{
    SQLHENV env;
    pthread_t th[16];
    struct timespec t0, t1;
    struct rusage ru;
    if (argc < 5 || sscanf(argv[3], "%d-%d-%d", &g_y, &g_m, &g_d) != 3) {
        fprintf(stderr, "usage: odbc-fetch CONNSTR SQL FROM DAYS [options] (see the source)\n");
        return 2;
    }
    g_connstr = argv[1];
    g_sql = argv[2];
    g_days = (int)strtol(argv[4], NULL, 10);
    for (int i = 5; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--connections")) {
            g_conns = (int)strtol(v, NULL, 10), i++;
        } else if (!strcmp(a, "--rowset")) {
            g_rowset = (int)strtol(v, NULL, 10), i++;
        } else if (!strcmp(a, "--fetch")) {
            g_fetch = (int)strtol(v, NULL, 10), i++;
        } else if (!strcmp(a, "--ts")) {
            g_ts_text = !strcmp(v, "text"), i++;
        } else if (!strcmp(a, "--int")) {
            g_int_text = !strcmp(v, "text"), i++;
        } else if (!strcmp(a, "--dec")) {
            g_dec_mode = !strcmp(v, "numeric") ? 1 : !strcmp(v, "double") ? 2 : 0, i++;
        } else if (!strcmp(a, "--raw")) {
            g_raw = 1;
        } else {
            fprintf(stderr, "odbc-fetch: unknown option %s\n", a);
            return 2;
        }
    }
    if (g_days < 2) {
        g_conns = 1;
    }
    if (g_conns > g_days) {
        g_conns = g_days;
    }
    if (g_conns < 1 || g_conns > 16 || g_rowset < 1) {
        fprintf(stderr, "odbc-fetch: --connections 1..16, --rowset >= 1\n");
        return 2;
    }
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
    SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < g_conns; i++) {
        pthread_create(&th[i], NULL, conn_main, env);
    }
    for (int i = 0; i < g_conns; i++) {
        pthread_join(th[i], NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &ru);
    printf("rows=%lld dec_tenths=%lld wall=%.3f cpu=%.3f rss_kb=%ld rowset=%d\n",
           (long long)atomic_load(&g_rows), (long long)atomic_load(&g_tenths),
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
           ru.ru_maxrss, g_rowset);
    SQLFreeHandle(SQL_HANDLE_ENV, env);
    return 0;
}
