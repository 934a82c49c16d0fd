/* odbc.c: ODBC connections: connection string, driver streaming settings, diagnostics, cancel.
 *
 * Design note (see odbc.h for the contract). Connecting is the only place that sees the
 * password: it is merged into a stack buffer with the rest of the connection string, handed to
 * SQLDriverConnect, and the buffer is wiped before returning. Diagnostics are masked with the
 * password (raw and braced), the secret values of the caller's string and the strings
 * themselves. psqlODBC reads UseDeclareFetch only at connect time, so when the driver was not
 * known before connecting (a DSN that SQLDataSources does not list, a file DSN) and turns out
 * to be psqlODBC, we disconnect and connect once more with the setting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "adapters/odbc/odbc_int.h"
#include "core/err.h"
#include "core/log.h"
#include "platform/platform.h"

#define DEFAULT_LOGIN_TIMEOUT_S 15
#define DEFAULT_STREAM_ROWS 10000u

void odbc_set_err(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    if (!err || errsz == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* Some drivers answer an ODBC 3 application with ODBC 2 SQLSTATEs (MariaDB Connector/ODBC:
 * S1000 for its client errors, 37000 for a refused database) and put a refused or lost
 * connection under the general S1000/HY000 with the client library's error number (2002,
 * 2003, 2005: cannot connect; 2006, 2013: connection lost), while psqlODBC reports a refused
 * password as 08001. st is rewritten to the ODBC 3 state, such connection errors to 08001 /
 * 08S01 and the refused password to 28000, so that one classification (odbc_classify, the run
 * log's message codes) serves every driver. */
static void odbc_state_normalize(char st[6], SQLINTEGER native, const char *text)
{
    static const char *const v2[][2] = {{"S1000", "HY000"}, {"S1001", "HY001"}, {"S1008", "HY008"},
                                        {"S1009", "HY009"}, {"S1010", "HY010"}, {"S1090", "HY090"},
                                        {"S1T00", "HYT00"}, {"37000", "42000"}, {"S0001", "42S01"},
                                        {"S0002", "42S02"}, {"S0012", "42S12"}, {"S0022", "42S22"},
                                        {"22005", "22018"}};
    for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
        if (strcmp(st, v2[i][0]) == 0) {
            memcpy(st, v2[i][1], 6);
            break;
        }
    }
    /* psqlODBC reports a refused password as a failed connection (08001) */
    if (strncmp(st, "08", 2) == 0 && odbc_ascii_contains(text, "password authentication failed")) {
        memcpy(st, "28000", 6);
    }
    if (strcmp(st, "HY000") == 0 && odbc_ascii_contains(text, "server")) {
        if (native == 2002 || native == 2003 || native == 2005) {
            memcpy(st, "08001", 6);
        } else if (native == 2006 || native == 2013) {
            memcpy(st, "08S01", 6);
        }
    }
}

void odbc_diag(SQLSMALLINT type, SQLHANDLE h, const struct odbc_secrets *sec, char *msg,
               size_t msgsz, char state[6])
{
    SQLSMALLINT rec;
    size_t used = 0;

    state[0] = '\0';
    if (msgsz == 0) {
        return;
    }
    msg[0] = '\0';
    for (rec = 1; rec <= 3; rec++) {
        SQLCHAR st[6] = {0};
        SQLCHAR text[ODBC_MSG_MAX];
        SQLINTEGER native = 0;
        SQLSMALLINT tlen = 0;
        SQLRETURN r = SQLGetDiagRec(type, h, rec, st, &native, text, sizeof(text), &tlen);
        size_t n;
        if (!SQL_SUCCEEDED(r)) {
            break;
        }
        text[sizeof(text) - 1] = '\0';
        /* drivers put newlines into messages; the log would escape them, but one line reads
         * better: turn them into spaces and drop trailing ones */
        n = strlen((char *)text);
        for (size_t k = 0; k < n; k++) {
            if (text[k] == '\n' || text[k] == '\r' || text[k] == '\t') {
                text[k] = ' ';
            }
        }
        while (n > 0 && text[n - 1] == ' ') {
            text[--n] = '\0';
        }
        odbc_state_normalize((char *)st, native, (const char *)text);
        if (rec == 1) {
            memcpy(state, st, 6);
            state[5] = '\0';
        }
        if (used + 4 >= msgsz) {
            break;
        }
        used += (size_t)snprintf(msg + used, msgsz - used, "%s[%s] %s", rec > 1 ? "; " : "",
                                 (char *)st, (char *)text);
        if (used >= msgsz) {
            used = msgsz - 1;
            break;
        }
    }
    if (msg[0] == '\0') {
        snprintf(msg, msgsz, "no diagnostics from the driver");
    }
    odbc_redact(msg, msgsz, sec);
}

int odbc_classify(const char *state, const char *msg, int cancelled)
{
    if (cancelled) {
        return ACDL_ESTOP;
    }
    if (strncmp(state, "28", 2) == 0 || odbc_ascii_contains(msg, "password authentication") ||
        odbc_ascii_contains(msg, "authentication failed") ||
        odbc_ascii_contains(msg, "login failed")) {
        return ACDL_EAUTH;
    }
    /* timeouts, lost or refused connections, a cancel by someone else: retry later */
    if (strcmp(state, "HYT00") == 0 || strcmp(state, "HYT01") == 0 ||
        strcmp(state, "HY008") == 0 || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "57014") == 0 || odbc_ascii_contains(msg, "statement timeout") ||
        odbc_ascii_contains(msg, "timeout expired") ||
        odbc_ascii_contains(msg, "canceling statement")) {
        return ACDL_EAGAIN;
    }
    if (strcmp(state, "42501") == 0 || strcmp(state, "25006") == 0 ||
        odbc_ascii_contains(msg, "read-only") || odbc_ascii_contains(msg, "readonly")) {
        return ACDL_EPERM;
    }
    /* unknown DSN or driver, syntax, parameter or conversion errors: the source's configuration
     * is wrong, and retrying will not help */
    if (strncmp(state, "IM", 2) == 0 || strncmp(state, "42", 2) == 0 ||
        strncmp(state, "07", 2) == 0 || strcmp(state, "22007") == 0 ||
        strcmp(state, "22008") == 0 || strcmp(state, "22018") == 0) {
        return ACDL_EINVAL;
    }
    return ACDL_EDB;
}

/* Which family a driver description, path or SQL_DRIVER_NAME belongs to. */
static enum odbc_driver_kind kind_of(const char *driver)
{
    if (odbc_ascii_contains(driver, "psqlodbc") || odbc_ascii_contains(driver, "postgresql")) {
        return ODBC_DRV_PSQL;
    }
    if (odbc_ascii_contains(driver, "sqlite")) {
        return ODBC_DRV_SQLITE;
    }
    /* MariaDB Connector/ODBC (libmaodbc), also registered for MySQL servers */
    if (odbc_ascii_contains(driver, "maodbc") || odbc_ascii_contains(driver, "mariadb") ||
        odbc_ascii_contains(driver, "mysql")) {
        return ODBC_DRV_MARIADB;
    }
    return ODBC_DRV_OTHER;
}

/* The library a registered driver name loads (its Driver= attribute), or 0 when the driver
 * manager does not list it: a driver registered under a name of the administrator's choosing
 * is still known by its library before the first byte goes to the server. */
static int driver_library(SQLHENV env, const char *name, char *out, size_t outsz)
{
    SQLCHAR desc[256], attrs[2048];
    SQLSMALLINT dl = 0, al = 0;
    SQLUSMALLINT dir = SQL_FETCH_FIRST;
    int found = 0;

    while (SQL_SUCCEEDED(
        SQLDrivers(env, dir, desc, sizeof(desc), &dl, attrs, sizeof(attrs), &al))) {
        dir = SQL_FETCH_NEXT;
        const char *d = (const char *)desc;
        if (found || odbc_ascii_casecmp_n(d, strlen(d), name) != 0) {
            continue;
        }
        /* attrs: "key=value\0key=value\0\0" */
        for (const char *a = (const char *)attrs; *a && a < (const char *)attrs + sizeof(attrs);
             a += strlen(a) + 1) {
            if (odbc_ascii_casecmp_n(a, 7, "Driver=") == 0) {
                snprintf(out, outsz, "%s", a + 7);
                found = 1;
                break;
            }
        }
    }
    return found;
}

/* The family of the driver named drv (a registered name, or what a DSN lists): by its name,
 * else by its library. */
static enum odbc_driver_kind kind_of_registered(SQLHENV env, const char *drv)
{
    char lib[512];
    enum odbc_driver_kind k = kind_of(drv);
    if (k == ODBC_DRV_OTHER && driver_library(env, drv, lib, sizeof(lib))) {
        k = kind_of(lib);
    }
    return k;
}

int odbc_client_guard(const char *const *hidden, size_t n)
{
    return plat_sandbox_init(hidden, n);
}

int odbc_conn_guarded(const struct odbc_conn *c)
{
    return c && c->kind == ODBC_DRV_MARIADB && plat_sandbox_ready() && !plat_sandbox_inside();
}

/* Restricted threads that wait for calls: restricting a thread costs a copy of the whole
 * ruleset (one rule per entry beside the hidden paths), so a thread is kept for the next call
 * instead of being made for each one. */
#define SANDBOX_IDLE_MAX 8

struct sandbox_job {
    void (*fn)(void *);
    void *arg;
    int rc;
    int done;
};

struct sandbox_worker {
    pthread_cond_t cv;
    struct sandbox_job *job;
    struct sandbox_worker *next;
};

static pthread_mutex_t g_sandbox_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_sandbox_done = PTHREAD_COND_INITIALIZER;
static struct sandbox_worker *g_sandbox_idle;
static unsigned g_sandbox_nidle;

static void *sandbox_worker_main(void *p)
{
    struct sandbox_worker *w = p;
    int entered = plat_sandbox_enter();
    int64_t since = plat_monotonic_ms();
    pthread_mutex_lock(&g_sandbox_mu);
    for (;;) {
        while (!w->job) {
            pthread_cond_wait(&w->cv, &g_sandbox_mu);
        }
        struct sandbox_job *job = w->job;
        if (entered == ACDL_OK) {
            pthread_mutex_unlock(&g_sandbox_mu);
            job->fn(job->arg);
            pthread_mutex_lock(&g_sandbox_mu);
        }
        job->rc = entered;
        job->done = 1;
        w->job = NULL;
        pthread_cond_broadcast(&g_sandbox_done);
        /* kept no longer than its restriction is current (plat_sandbox_enter) */
        if (entered != ACDL_OK || g_sandbox_nidle >= SANDBOX_IDLE_MAX ||
            plat_monotonic_ms() - since > PLAT_SANDBOX_MAX_AGE_MS) {
            break;
        }
        w->next = g_sandbox_idle;
        g_sandbox_idle = w;
        g_sandbox_nidle++;
    }
    pthread_mutex_unlock(&g_sandbox_mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    return NULL;
}

int odbc_sandboxed(void (*fn)(void *), void *arg)
{
    struct sandbox_job job = {fn, arg, ACDL_EPERM, 0};
    struct sandbox_worker *w;
    if (plat_sandbox_inside()) {
        fn(arg);
        return ACDL_OK;
    }
    pthread_mutex_lock(&g_sandbox_mu);
    w = g_sandbox_idle;
    if (w) {
        g_sandbox_idle = w->next;
        g_sandbox_nidle--;
    }
    pthread_mutex_unlock(&g_sandbox_mu);
    if (!w) {
        pthread_t t;
        pthread_attr_t at;
        int ok;
        w = calloc(1, sizeof(*w));
        if (!w || pthread_cond_init(&w->cv, NULL) != 0) {
            free(w);
            return ACDL_ENOMEM;
        }
        ok = pthread_attr_init(&at) == 0;
        if (ok) {
            ok = pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) == 0 &&
                 pthread_create(&t, &at, sandbox_worker_main, w) == 0;
            pthread_attr_destroy(&at);
        }
        if (!ok) {
            pthread_cond_destroy(&w->cv);
            free(w);
            return ACDL_ENOMEM;
        }
    }
    pthread_mutex_lock(&g_sandbox_mu);
    w->job = &job;
    pthread_cond_signal(&w->cv);
    while (!job.done) {
        pthread_cond_wait(&g_sandbox_done, &g_sandbox_mu);
    }
    pthread_mutex_unlock(&g_sandbox_mu);
    return job.rc;
}

/* The driver of a DSN as the driver manager lists it (unixODBC: the ini's Driver= value). */
static int dsn_driver(SQLHENV env, const char *dsn, char *out, size_t outsz)
{
    SQLCHAR name[SQL_MAX_DSN_LENGTH + 1];
    SQLCHAR desc[256];
    SQLSMALLINT nl = 0, dl = 0;
    SQLUSMALLINT dir = SQL_FETCH_FIRST;
    int found = 0;

    while (SQL_SUCCEEDED(SQLDataSources(env, dir, name, sizeof(name), &nl, desc, sizeof(desc),
                                        &dl))) {
        dir = SQL_FETCH_NEXT;
        const char *n = (const char *)name;
        if (!found && odbc_ascii_casecmp_n(n, strlen(n), dsn) == 0) {
            snprintf(out, outsz, "%s", (const char *)desc);
            found = 1; /* keep going to the end, so the next enumeration starts fresh */
        }
    }
    return found;
}

int odbc_driver_registered(const char *name, char *names, size_t namesz)
{
    SQLHENV env = NULL;
    SQLCHAR desc[256], attrs[1024];
    SQLSMALLINT dl = 0, al = 0;
    SQLUSMALLINT dir = SQL_FETCH_FIRST;
    size_t used = 0;
    int found = 0;

    if (namesz > 0) {
        names[0] = '\0';
    }
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env))) {
        return ACDL_EDB;
    }
    SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    while (
        SQL_SUCCEEDED(SQLDrivers(env, dir, desc, sizeof(desc), &dl, attrs, sizeof(attrs), &al))) {
        const char *d = (const char *)desc;
        dir = SQL_FETCH_NEXT;
        if (odbc_ascii_casecmp_n(d, strlen(d), name) == 0) {
            found = 1;
        }
        if (used < namesz) {
            int n = snprintf(names + used, namesz - used, "%s%s", used ? "; " : "", d);
            used = n < 0 ? namesz : used + (size_t)n;
        }
    }
    SQLFreeHandle(SQL_HANDLE_ENV, env);
    return found;
}

static const char *stream_settings(enum odbc_driver_kind kind, unsigned rows, char *buf,
                                   size_t bufsz)
{
    switch (kind) {
    case ODBC_DRV_PSQL:
        snprintf(buf, bufsz, "UseDeclareFetch=1;Fetch=%u", rows);
        return buf;
    case ODBC_DRV_SQLITE:
        /* without it the driver reads the whole result into memory (sqlite3_get_table) */
        snprintf(buf, bufsz, "StepAPI=1");
        return buf;
    default:
        buf[0] = '\0';
        return buf;
    }
}

/* PostgreSQL compiles a query whose estimated cost passes jit_above_cost to machine code
 * before running it (PostgreSQL 11 and later, on by default). The queries of an import read
 * rows and hardly compute, so the compilation is nearly all cost, paid again for every query
 * of a run split by days. The session turns it off where nobody chose it: only when the
 * server's value is its built-in default, so a setting of the server's configuration, of the
 * database or role (ALTER ... SET jit), of PGOPTIONS or of the connection string (psqlODBC's
 * ConnSettings=SET jit = on) stays. A server without the setting returns no row; a failure is
 * logged and changes nothing else. Returns 1 when turned off. */
static int psql_jit_default(struct odbc_conn *c)
{
    static const char sql[] = "SELECT set_config('jit', 'off', false) FROM pg_catalog.pg_settings "
                              "WHERE name = 'jit' AND source = 'default'";
    SQLHSTMT st = NULL;
    SQLRETURN r;
    int off = 0;

    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
        return 0;
    }
    if (c->query_timeout_s > 0) {
        SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(uintptr_t)c->query_timeout_s, 0);
    }
    r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
    while (SQL_SUCCEEDED(r) && SQL_SUCCEEDED(SQLFetch(st))) {
        off = 1;
    }
    if (!SQL_SUCCEEDED(r)) {
        char msg[ODBC_MSG_MAX] = "";
        char state[6];
        odbc_diag(SQL_HANDLE_STMT, st, NULL, msg, sizeof(msg), state);
        log_info("odbc", "%s: the session's JIT setting stays as the server has it: %s", c->label,
                 msg);
    }
    SQLFreeStmt(st, SQL_CLOSE);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return off;
}

/* Builds the connection string into cs. Returns 0 or an ACDL_E* code with err set. */
static int build_connstr(const struct odbc_conn_opts *o, enum odbc_driver_kind kind,
                         struct odbc_conn *c, char *cs, size_t cssz, char *err, size_t errsz)
{
    int rc = ACDL_OK;
    char extra[64];
    const char *user_cs = o->connstr;

    cs[0] = '\0';
    c->streaming[0] = '\0';
    if (o->dsn && *o->dsn) {
        rc = odbc_connstr_append(cs, cssz, "DSN", o->dsn);
    } else {
        size_t n = strlen(user_cs);
        if (n + 2 > cssz) {
            rc = ACDL_ETOOBIG;
        } else {
            memcpy(cs, user_cs, n + 1);
            if (n > 0 && cs[n - 1] != ';') {
                cs[n] = ';';
                cs[n + 1] = '\0';
            }
        }
    }
    if (rc == ACDL_OK && o->user && *o->user) {
        rc = odbc_connstr_append(cs, cssz, "UID", o->user);
    }
    if (rc == ACDL_OK && o->password) {
        rc = odbc_connstr_append(cs, cssz, "PWD", o->password);
    }
    if (rc == ACDL_OK && !o->no_streaming &&
        !(user_cs && (odbc_connstr_get(user_cs, "UseDeclareFetch", NULL, 0) ||
                      odbc_connstr_get(user_cs, "StepAPI", NULL, 0)))) {
        stream_settings(kind, o->stream_rows ? o->stream_rows : DEFAULT_STREAM_ROWS, extra,
                        sizeof(extra));
        if (extra[0]) {
            size_t n = strlen(cs);
            if (n + strlen(extra) + 2 > cssz) {
                rc = ACDL_ETOOBIG;
            } else {
                snprintf(cs + n, cssz - n, "%s;", extra);
                snprintf(c->streaming, sizeof(c->streaming), "%s", extra);
            }
        }
    }
    if (rc == ACDL_OK && kind == ODBC_DRV_PSQL &&
        !(user_cs && odbc_connstr_get(user_cs, "ReadOnly", NULL, 0))) {
        /* psqlODBC then refuses INSERT/UPDATE/DELETE/DDL itself */
        size_t n = strlen(cs);
        if (n + sizeof("ReadOnly=1;") > cssz) {
            rc = ACDL_ETOOBIG;
        } else {
            snprintf(cs + n, cssz - n, "ReadOnly=1;");
        }
    }
    if (rc == ACDL_OK && kind == ODBC_DRV_MARIADB) {
        /* last, so that it wins over USE_MYCNF=1 or OPTION= before it: no option file is read,
         * so none (/etc/mysql, ~/.my.cnf) can turn local files on; without them the client
         * library sends a local file only after a statement that starts with LOAD, which
         * odbc_query_open never sends */
        size_t n = strlen(cs);
        if (n + sizeof("USE_MYCNF=0;") > cssz) {
            rc = ACDL_ETOOBIG;
        } else {
            snprintf(cs + n, cssz - n, "USE_MYCNF=0;");
        }
    }
    if (rc == ACDL_ETOOBIG) {
        odbc_set_err(err, errsz, "connection string longer than %d bytes", ODBC_CONNSTR_MAX);
    } else if (rc != ACDL_OK) {
        odbc_set_err(err, errsz, "DSN, user or password holds control characters");
    }
    return rc;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--) {
        *v++ = 0;
    }
}

static void get_info_str(SQLHDBC dbc, SQLUSMALLINT what, char *out, size_t outsz)
{
    SQLSMALLINT len = 0;
    out[0] = '\0';
    if (!SQL_SUCCEEDED(SQLGetInfo(dbc, what, out, (SQLSMALLINT)outsz, &len))) {
        out[0] = '\0';
    }
    out[outsz - 1] = '\0';
}

/* One SQLDriverConnect with cs; on failure fills err (masked) and returns the code. */
static int connect_once(struct odbc_conn *c, char *cs, const struct odbc_secrets *sec,
                        char *err, size_t errsz)
{
    SQLRETURN r;
    SQLSMALLINT outlen = 0;
    char msg[ODBC_MSG_MAX] = "";
    char state[6];

    r = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, &outlen,
                         SQL_DRIVER_NOPROMPT);
    if (SQL_SUCCEEDED(r)) {
        c->connected = 1;
        return ACDL_OK;
    }
    odbc_diag(SQL_HANDLE_DBC, c->dbc, sec, msg, sizeof(msg), state);
    odbc_set_err(err, errsz, "connect to %s failed: %s", c->label, msg);
    return odbc_classify(state, msg, 0);
}

/* Everything that must never show up in a message, except the built string (added later). */
static void collect_secrets(const struct odbc_conn_opts *o, const char *pw_braced,
                            struct odbc_secrets *sec)
{
    memset(sec, 0, sizeof(*sec));
    if (o->password && *o->password) {
        odbc_secrets_add(sec, o->password, strlen(o->password));
        if (pw_braced[0]) {
            /* "PWD={...}};": the value as it appears in the string */
            odbc_secrets_add(sec, pw_braced + 4, strlen(pw_braced + 4) - 1);
        }
    }
    if (o->connstr && *o->connstr) {
        size_t pos = 0;
        struct odbc_cs_pair p;
        odbc_secrets_add(sec, o->connstr, strlen(o->connstr));
        while (odbc_connstr_next(o->connstr, &pos, &p)) {
            if (odbc_connstr_is_secret_key(p.key, p.key_len)) {
                odbc_secrets_add(sec, p.val, p.val_len);
            }
        }
    }
}

static int validate_opts(const struct odbc_conn_opts *o, char *err, size_t errsz)
{
    int has_dsn = o->dsn && *o->dsn, has_cs = o->connstr && *o->connstr;
    if (has_dsn == has_cs) {
        odbc_set_err(err, errsz, "give either a DSN or a connection string");
        return ACDL_EINVAL;
    }
    if (has_cs && strlen(o->connstr) >= ODBC_CONNSTR_MAX - 512) {
        odbc_set_err(err, errsz, "connection string longer than %d bytes",
                     ODBC_CONNSTR_MAX - 512);
        return ACDL_ETOOBIG;
    }
    if (has_cs && o->user && *o->user &&
        (odbc_connstr_get(o->connstr, "UID", NULL, 0) ||
         odbc_connstr_get(o->connstr, "User", NULL, 0) ||
         odbc_connstr_get(o->connstr, "Username", NULL, 0))) {
        odbc_set_err(err, errsz, "the user is given twice: in the connection string and apart");
        return ACDL_EINVAL;
    }
    if (has_cs && o->password &&
        (odbc_connstr_get(o->connstr, "PWD", NULL, 0) ||
         odbc_connstr_get(o->connstr, "Password", NULL, 0))) {
        odbc_set_err(err, errsz,
                     "the password is given twice: in the connection string and apart");
        return ACDL_EINVAL;
    }
    if (o->login_timeout_s < 0 || o->query_timeout_s < 0 || o->stream_rows > 1000000u) {
        odbc_set_err(err, errsz, "timeouts must not be negative; Fetch rows at most 1000000");
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

static int conn_open(const struct odbc_conn_opts *o, struct odbc_conn **out, char *err,
                     size_t errsz)
{
    struct odbc_conn *c = NULL;
    struct odbc_secrets sec;
    char cs[ODBC_CONNSTR_MAX];
    char pw_braced[ODBC_CONNSTR_MAX];
    char drv[256] = "";
    enum odbc_driver_kind kind = ODBC_DRV_OTHER, seen;
    int rc = ACDL_OK, mutex_ok = 0;
    SQLRETURN r;

    cs[0] = '\0';
    pw_braced[0] = '\0';
    if (err && errsz) {
        err[0] = '\0';
    }
    if (!o || !out) {
        return ACDL_EINVAL;
    }
    *out = NULL;
    rc = validate_opts(o, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }

    if (o->password && *o->password &&
        odbc_connstr_append(pw_braced, sizeof(pw_braced), "PWD", o->password) != ACDL_OK) {
        pw_braced[0] = '\0';
    }
    collect_secrets(o, pw_braced, &sec);

    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    atomic_init(&c->cancelled, 0);
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    mutex_ok = 1;
    c->query_timeout_s = o->query_timeout_s;

    r = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env);
    if (!SQL_SUCCEEDED(r)) {
        c->env = NULL;
        odbc_set_err(err, errsz, "no ODBC driver manager environment");
        rc = ACDL_EDB;
        goto out;
    }
    SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    r = SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc);
    if (!SQL_SUCCEEDED(r)) {
        c->dbc = NULL;
        odbc_set_err(err, errsz, "no ODBC connection handle");
        rc = ACDL_EDB;
        goto out;
    }
    SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                      (SQLPOINTER)(intptr_t)(o->login_timeout_s ? o->login_timeout_s
                                                                : DEFAULT_LOGIN_TIMEOUT_S),
                      0);

    /* the driver, when it can be known before connecting */
    if (o->dsn && *o->dsn) {
        snprintf(c->label, sizeof(c->label), "DSN '%.100s'", o->dsn);
        if (dsn_driver(c->env, o->dsn, drv, sizeof(drv))) {
            kind = kind_of_registered(c->env, drv);
        }
    } else {
        char dsn[128];
        if (odbc_connstr_get(o->connstr, "Driver", drv, sizeof(drv))) {
            kind = kind_of_registered(c->env, drv);
            snprintf(c->label, sizeof(c->label), "driver '%.100s'", drv);
        } else if (odbc_connstr_get(o->connstr, "DSN", dsn, sizeof(dsn))) {
            snprintf(c->label, sizeof(c->label), "DSN '%.100s'", dsn);
            if (dsn_driver(c->env, dsn, drv, sizeof(drv))) {
                kind = kind_of_registered(c->env, drv);
            }
        } else {
            snprintf(c->label, sizeof(c->label), "the connection string's data source");
        }
    }

    if (kind == ODBC_DRV_MARIADB && !plat_sandbox_inside() && !(o->dsn && *o->dsn)) {
        /* nothing here keeps the driver from the daemon's files: only a server the
         * administrator named in a DSN on this machine is trusted with it */
        odbc_set_err(err, errsz,
                     "through MariaDB's driver this system can only connect to a DSN set up by "
                     "the administrator in odbc.ini: it cannot keep the driver from reading the "
                     "daemon's files (that needs Linux with Landlock); give the DSN's name");
        rc = ACDL_EPERM;
        goto out;
    }
    rc = build_connstr(o, kind, c, cs, sizeof(cs), err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    odbc_secrets_add(&sec, cs, strlen(cs));
    rc = connect_once(c, cs, &sec, err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    get_info_str(c->dbc, SQL_DRIVER_NAME, c->driver_name, sizeof(c->driver_name));
    get_info_str(c->dbc, SQL_DBMS_NAME, c->dbms_name, sizeof(c->dbms_name));
    get_info_str(c->dbc, SQL_DBMS_VER, c->dbms_version, sizeof(c->dbms_version));
    seen = kind_of(c->driver_name);
    if (seen == ODBC_DRV_MARIADB && kind != ODBC_DRV_MARIADB) {
        /* its option files were not asked for: nothing is read from this connection */
        odbc_set_err(err, errsz,
                     "the driver (%s) is MariaDB's but its registration does not say so; "
                     "register it with its library libmaodbc or a name containing MariaDB",
                     c->driver_name);
        rc = ACDL_EDB;
        goto out;
    }
    if (seen != kind && seen != ODBC_DRV_OTHER && !o->no_streaming) {
        /* known only now: psqlODBC takes UseDeclareFetch at connect time, so connect again */
        log_debug("odbc", "%s: driver %s known after connecting; reconnecting to stream",
                  c->label, c->driver_name);
        SQLDisconnect(c->dbc);
        c->connected = 0;
        wipe(cs, sizeof(cs));
        kind = seen;
        collect_secrets(o, pw_braced, &sec);
        rc = build_connstr(o, kind, c, cs, sizeof(cs), err, errsz);
        if (rc != ACDL_OK) {
            goto out;
        }
        odbc_secrets_add(&sec, cs, strlen(cs));
        rc = connect_once(c, cs, &sec, err, errsz);
        if (rc != ACDL_OK) {
            goto out;
        }
    }
    /* what the driver says it is wins (it decides how SQLite's period is bound) */
    c->kind = seen != ODBC_DRV_OTHER ? seen : kind;
    /* read-only where the driver allows it; a refusal is not an error */
    r = SQLSetConnectAttr(c->dbc, SQL_ATTR_ACCESS_MODE, (SQLPOINTER)SQL_MODE_READ_ONLY, 0);
    if (!SQL_SUCCEEDED(r)) {
        log_debug("odbc", "%s: driver %s does not take SQL_ATTR_ACCESS_MODE read-only", c->label,
                  c->driver_name);
    }
    if (c->kind == ODBC_DRV_PSQL && odbc_ascii_contains(c->dbms_name, "postgresql")) {
        c->jit_off = psql_jit_default(c);
    }
    log_info("odbc", "connected to %s: %s %s through %s%s%s%s", c->label, c->dbms_name,
             c->dbms_version, c->driver_name, c->streaming[0] ? ", streaming " : "", c->streaming,
             c->jit_off ? ", JIT off for the session" : "");
    *out = c;
    c = NULL;

out:
    wipe(cs, sizeof(cs));
    wipe(pw_braced, sizeof(pw_braced));
    if (c) {
        if (c->connected) {
            SQLDisconnect(c->dbc);
        }
        if (c->dbc) {
            SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
        }
        if (c->env) {
            SQLFreeHandle(SQL_HANDLE_ENV, c->env);
        }
        if (mutex_ok) {
            pthread_mutex_destroy(&c->mu);
        }
        free(c);
    }
    return rc;
}

struct open_call {
    const struct odbc_conn_opts *o;
    struct odbc_conn **out;
    char *err;
    size_t errsz;
    int rc;
};

static void open_call_run(void *p)
{
    struct open_call *a = p;
    a->rc = conn_open(a->o, a->out, a->err, a->errsz);
}

int odbc_conn_open(const struct odbc_conn_opts *o, struct odbc_conn **out, char *err, size_t errsz)
{
    struct open_call a = {o, out, err, errsz, ACDL_EPERM};
    int rc;
    if (!plat_sandbox_ready() || plat_sandbox_inside()) {
        return conn_open(o, out, err, errsz);
    }
    /* every connect runs where the daemon's files cannot be read: a driver may answer a
     * server's request for a local file while connecting, and a driver known only now may be
     * MariaDB's */
    rc = odbc_sandboxed(open_call_run, &a);
    if (rc != ACDL_OK) {
        odbc_set_err(err, errsz, "cannot start a restricted thread for the ODBC driver");
        return rc;
    }
    return a.rc;
}

static void conn_close_run(void *p)
{
    odbc_conn_close(p);
}

void odbc_conn_close(struct odbc_conn *c)
{
    if (!c) {
        return;
    }
    if (odbc_conn_guarded(c) && odbc_sandboxed(conn_close_run, c) == ACDL_OK) {
        return;
    }
    if (c->prep) {
        SQLFreeHandle(SQL_HANDLE_STMT, c->prep);
    }
    free(c->prep_sql);
    if (c->connected) {
        SQLDisconnect(c->dbc);
    }
    if (c->dbc) {
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    }
    if (c->env) {
        SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *odbc_conn_dbms_name(const struct odbc_conn *c)
{
    return c ? c->dbms_name : "";
}

const char *odbc_conn_dbms_version(const struct odbc_conn *c)
{
    return c ? c->dbms_version : "";
}

const char *odbc_conn_driver_name(const struct odbc_conn *c)
{
    return c ? c->driver_name : "";
}

const char *odbc_conn_streaming(const struct odbc_conn *c)
{
    return c ? c->streaming : "";
}

int odbc_conn_jit_off(const struct odbc_conn *c)
{
    return c ? c->jit_off : 0;
}

static void cancel_run(void *stmt)
{
    SQLCancel((SQLHSTMT)stmt);
}

int odbc_conn_cancel(struct odbc_conn *c)
{
    if (!c) {
        return ACDL_EINVAL;
    }
    atomic_store(&c->cancelled, 1);
    pthread_mutex_lock(&c->mu);
    if (c->active) {
        /* MariaDB's driver cancels through a connection of its own */
        if (!odbc_conn_guarded(c) || odbc_sandboxed(cancel_run, c->active) != ACDL_OK) {
            SQLCancel(c->active);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return ACDL_OK;
}
