/* test_odbc.c: the ODBC source reader against a real PostgreSQL (psqlODBC) and SQLite (sqliteodbc).
 *
 * Design note. The test starts its own PostgreSQL cluster: it runs tests/lib/pg.sh with
 * posix_spawnp and a fixed argv (no shell string), keeps a pipe to the script's stdin open, and
 * reads "PORT n" from its stdout. Closing the pipe (or dying) makes the script stop the cluster
 * and remove its folder. The drivers are found through odbcinst.ini and odbc.ini written into
 * a temp folder named by ODBCSYSINI (and ODBCINI), so /etc is never read for DSNs or touched.
 * PostgreSQL or a driver missing is a FAILURE with a message, never a skip.
 * The repository root comes from $ACDL_SOURCE_DIR or from this file's path (__FILE__ is
 * absolute in CMake builds). Fixtures: tests/fixtures/odbc/<preset id>.sql. */
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "adapters/odbc/odbc.h"
#include "check.h"
#include "core/err.h"
#include "platform/platform.h"

extern char **environ;

#define PG_PASSWORD "pw;with{braces}=x" /* pg.sh's default: ; { } and = in one value */
#define MILLION 1000000

static char g_root[1024];
static char g_tmp[1024];
static char g_psql_driver[512];
static char g_sqlite_driver[512];
static int g_pg_port;
static pid_t g_pg_pid = -1;
static int g_pg_stdin = -1;

/* ------------------------------------------------------------------------------------------ */
/* setup: cluster, ini files, fixtures                                                         */

static void find_root(void)
{
    const char *env = getenv("ACDL_SOURCE_DIR");
    const char *f = __FILE__;
    const char *tail = "/tests/unit/test_odbc.c";
    size_t n = strlen(f), t = strlen(tail);
    if (env && *env) {
        snprintf(g_root, sizeof(g_root), "%s", env);
    } else if (n > t && strcmp(f + n - t, tail) == 0 && f[0] == '/') {
        snprintf(g_root, sizeof(g_root), "%.*s", (int)(n - t), f);
    } else {
        snprintf(g_root, sizeof(g_root), "../..");
    }
}

static int find_driver(const char *name, char *out, size_t outsz)
{
    static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu/odbc",
                                       "/usr/lib/aarch64-linux-gnu/odbc", "/usr/lib/odbc",
                                       "/usr/lib64", "/usr/lib"};
    size_t i;
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(out, outsz, "%s/%s", dirs[i], name);
        if (access(out, R_OK) == 0) {
            return 0;
        }
    }
    out[0] = '\0';
    return -1;
}

/* Starts tests/lib/pg.sh run; fills g_pg_port. */
static int start_pg(void)
{
    char script[1200];
    int in[2], out[2];
    posix_spawn_file_actions_t fa;
    char *argv[4];
    FILE *f;
    char line[256];
    int rc;

    snprintf(script, sizeof(script), "%s/tests/lib/pg.sh", g_root);
    if (access(script, R_OK) != 0) {
        printf("cannot find %s (set ACDL_SOURCE_DIR to the repository)\n", script);
        return -1;
    }
    if (pipe(in) != 0 || pipe(out) != 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    argv[0] = "sh";
    argv[1] = script;
    argv[2] = "run";
    argv[3] = NULL;
    rc = posix_spawnp(&g_pg_pid, "sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        printf("posix_spawnp sh: %s\n", strerror(rc));
        close(in[1]);
        close(out[0]);
        g_pg_pid = -1;
        return -1;
    }
    g_pg_stdin = in[1];
    f = fdopen(out[0], "r");
    if (!f) {
        close(out[0]);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "PORT ", 5) == 0) {
            g_pg_port = (int)strtol(line + 5, NULL, 10);
        }
        if (strncmp(line, "DIR ", 4) == 0) {
            break;
        }
    }
    fclose(f);
    if (g_pg_port <= 0) {
        printf("FAIL: could not start the throwaway PostgreSQL cluster (see pg.sh's message "
               "above; PostgreSQL 15 must be installed: apt-get install postgresql)\n");
        return -1;
    }
    return 0;
}

static void stop_pg(void)
{
    int st;
    if (g_pg_stdin >= 0) {
        close(g_pg_stdin); /* EOF: pg.sh stops the cluster and removes its folder */
        g_pg_stdin = -1;
    }
    if (g_pg_pid > 0) {
        waitpid(g_pg_pid, &st, 0);
        g_pg_pid = -1;
    }
}

static int write_inis(void)
{
    char path[1200], text[4096];
    int n;
    snprintf(path, sizeof(path), "%s/odbcinst.ini", g_tmp);
    n = snprintf(text, sizeof(text),
                 "[PostgreSQL Unicode]\nDriver=%s\n\n"
                 "[Vendor X]\nDescription=psqlODBC under a name that does not say so\nDriver=%s\n\n"
                 "[SQLite3]\nDriver=%s\n",
                 g_psql_driver, g_psql_driver, g_sqlite_driver);
    if (check_write_file(path, text, (size_t)n) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/odbc.ini", g_tmp);
    n = snprintf(text, sizeof(text),
                 "[pg]\nDriver=PostgreSQL Unicode\nServername=127.0.0.1\nPort=%d\n"
                 "Database=postgres\n\n"
                 "[pgneutral]\nDriver=Vendor X\nServername=127.0.0.1\nPort=%d\n"
                 "Database=postgres\n\n"
                 "[lite]\nDriver=SQLite3\nDatabase=%s/test.sqlite\n",
                 g_pg_port, g_pg_port, g_tmp);
    if (check_write_file(path, text, (size_t)n) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/user.ini", g_tmp);
    if (check_write_file(path, "", 0) != 0) {
        return -1;
    }
    setenv("ODBCSYSINI", g_tmp, 1);
    setenv("ODBCINI", path, 1);
    return 0;
}

/* --- raw ODBC, for loading fixtures and for the row-at-a-time comparison --- */

struct raw {
    SQLHENV env;
    SQLHDBC dbc;
};

static void raw_error(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
    SQLCHAR st[6] = {0}, msg[512] = {0};
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    SQLGetDiagRec(type, h, 1, st, &native, msg, sizeof(msg), &len);
    printf("raw ODBC %s: [%s] %s\n", what, (char *)st, (char *)msg);
}

static int raw_open(struct raw *r, const char *connstr)
{
    memset(r, 0, sizeof(*r));
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &r->env);
    SQLSetEnvAttr(r->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    SQLAllocHandle(SQL_HANDLE_DBC, r->env, &r->dbc);
    if (!SQL_SUCCEEDED(SQLDriverConnect(r->dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL, 0, NULL,
                                        SQL_DRIVER_NOPROMPT))) {
        raw_error(SQL_HANDLE_DBC, r->dbc, "connect");
        SQLFreeHandle(SQL_HANDLE_DBC, r->dbc);
        SQLFreeHandle(SQL_HANDLE_ENV, r->env);
        memset(r, 0, sizeof(*r));
        return -1;
    }
    return 0;
}

static void raw_close(struct raw *r)
{
    if (r->dbc) {
        SQLDisconnect(r->dbc);
        SQLFreeHandle(SQL_HANDLE_DBC, r->dbc);
    }
    if (r->env) {
        SQLFreeHandle(SQL_HANDLE_ENV, r->env);
    }
    memset(r, 0, sizeof(*r));
}

static int raw_exec(struct raw *r, const char *sql)
{
    SQLHSTMT st;
    int rc = 0;
    SQLAllocHandle(SQL_HANDLE_STMT, r->dbc, &st);
    if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS))) {
        raw_error(SQL_HANDLE_STMT, st, sql);
        rc = -1;
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return rc;
}

/* Runs every statement of a fixture file (statements end with ";" at the end of a line). */
static int raw_exec_file(struct raw *r, const char *name)
{
    char path[1200];
    char *text, *p, *end;
    int rc = 0;
    snprintf(path, sizeof(path), "%s/tests/fixtures/odbc/%s", g_root, name);
    text = check_read_file(path, NULL);
    if (!text) {
        printf("cannot read %s\n", path);
        return -1;
    }
    p = text;
    while (rc == 0 && (end = strstr(p, ";\n")) != NULL) {
        *end = '\0';
        rc = raw_exec(r, p);
        p = end + 2;
    }
    free(text);
    return rc;
}

static void pg_connstr(char *out, size_t outsz, const char *extra)
{
    snprintf(out, outsz,
             "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=postgres;UID=app;"
             "PWD={pw;with{braces}}=x};%s",
             g_pg_port, extra);
}

static int setup(void)
{
    struct raw r;
    char cs[512];
    static const char *const fixtures[] = {"avaya_cms_hsplit.sql",
                                           "cisco_ucce_call_type_interval.sql",
                                           "asterisk_queue_log.sql",
                                           "mitel_micc_queue_performance.sql",
                                           "avaya_cms_agent_trace.sql",
                                           "cisco_ucce_agent_event_detail.sql",
                                           "cisco_ucce_agent_real_time.sql",
                                           "cisco_ucce_agent_state_trace.sql",
                                           "twilio_taskrouter_events.sql",
                                           "asterisk_queue_log_agents.sql",
                                           "cisco_uccx_csq_contacts.sql",
                                           "cisco_uccx_agent_state_detail.sql",
                                           "avaya_aacc_application_interval.sql",
                                           "avaya_aacc_agent_login.sql",
                                           "genesys_cic_workgroup_interval.sql",
                                           "genesys_cic_agent_activity.sql"};
    size_t i;

    find_root();
    if (find_driver("psqlodbcw.so", g_psql_driver, sizeof(g_psql_driver)) != 0) {
        printf("FAIL: psqlODBC (psqlodbcw.so) not found: apt-get install odbc-postgresql\n");
        return -1;
    }
    if (find_driver("libsqlite3odbc.so", g_sqlite_driver, sizeof(g_sqlite_driver)) != 0) {
        printf("FAIL: the SQLite ODBC driver (libsqlite3odbc.so) not found: apt-get install "
               "libsqliteodbc\n");
        return -1;
    }
    if (check_tmpdir("odbc", g_tmp, sizeof(g_tmp)) != 0) {
        return -1;
    }
    if (start_pg() != 0 || write_inis() != 0) {
        return -1;
    }
    pg_connstr(cs, sizeof(cs), "");
    if (raw_open(&r, cs) != 0) {
        return -1;
    }
    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        if (raw_exec_file(&r, fixtures[i]) != 0) {
            raw_close(&r);
            return -1;
        }
    }
    raw_close(&r);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

static struct odbc_conn *open_pg(const char *dsn, int query_timeout_s)
{
    struct odbc_conn_opts o;
    struct odbc_conn *c = NULL;
    char err[512];
    int rc;
    memset(&o, 0, sizeof(o));
    o.dsn = dsn;
    o.user = "app";
    o.password = PG_PASSWORD;
    o.login_timeout_s = 5;
    o.query_timeout_s = query_timeout_s;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  connect %s: %s\n", dsn, err);
    }
    return c;
}

static const struct odbc_period day_0331 = {.start = {2024, 3, 31, 0, 0, 0},
                                            .end = {2024, 4, 1, 0, 0, 0}};

/* Reads all rows of sql as "a|b|NULL|..." lines joined by "\n" into out (opts may be NULL; a
 * row with a value too long becomes "row N: ERROR <err>"). Returns rows or -1. */
static long read_all_opts(struct odbc_conn *c, const char *sql, const struct odbc_period *period,
                          const struct odbc_query_opts *opts, char *out, size_t outsz)
{
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[512];
    long n = 0;
    size_t used = 0;
    int rc = odbc_query_open(c, sql, period, opts, &q, err, sizeof(err));
    out[0] = '\0';
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  query: %s\n", err);
        return -1;
    }
    while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1 || rc == ACDL_ETOOBIG) {
        size_t i;
        n++;
        CHECK_EQ_INT(row.number, n);
        if (rc == ACDL_ETOOBIG) {
            used += (size_t)snprintf(out + used, outsz - used, "row %ld: ERROR %s\n", n, err);
            if (used >= outsz) {
                used = outsz - 1;
            }
            continue;
        }
        for (i = 0; i < row.nfields; i++) {
            const struct odbc_field *f = &row.fields[i];
            used += (size_t)snprintf(out + used, outsz - used, "%s%s", i ? "|" : "",
                                     f->is_null ? "NULL" : f->ptr);
            if (used >= outsz) {
                used = outsz - 1;
            }
        }
        used += (size_t)snprintf(out + used, outsz - used, "\n");
        if (used >= outsz) {
            used = outsz - 1;
        }
    }
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  next: %s\n", err);
    }
    odbc_query_close(q);
    return n;
}

static long read_all(struct odbc_conn *c, const char *sql, const struct odbc_period *period,
                     char *out, size_t outsz)
{
    return read_all_opts(c, sql, period, NULL, out, outsz);
}

/* Peak and current RSS in KiB from /proc/self/status (0 when unknown). */
static long proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t kl = strlen(key);
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0). */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ------------------------------------------------------------------------------------------ */
/* tests without a database                                                                    */

static void rewrite_ok(const char *in, const char *want, size_t nparams, const char *order)
{
    struct odbc_sql s;
    char err[256];
    int rc = odbc_sql_rewrite(in, &s, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s: %s\n", in, err);
        return;
    }
    CHECK_EQ_STR(s.text, want);
    CHECK_EQ_INT(s.len, strlen(want));
    if (CHECK_EQ_INT(s.nparams, nparams)) {
        size_t i;
        for (i = 0; i < nparams; i++) {
            CHECK_EQ_INT(s.params[i], order[i] == 's'   ? ODBC_PARAM_PERIOD_START
                                      : order[i] == 'e' ? ODBC_PARAM_PERIOD_END
                                      : order[i] == 'a' ? ODBC_PARAM_SINCE
                                                        : ODBC_PARAM_UNTIL);
        }
    }
    odbc_sql_free(&s);
}

static void rewrite_bad(const char *in, int want_rc, const char *want_msg)
{
    struct odbc_sql s;
    char err[256];
    int rc = odbc_sql_rewrite(in, &s, err, sizeof(err));
    CHECK_EQ_INT(rc, want_rc);
    CHECK_CONTAINS(err, want_msg);
    CHECK(s.text == NULL);
    odbc_sql_free(&s);
}

static void test_rewrite(void)
{
    rewrite_ok("SELECT 1", "SELECT 1", 0, "");
    rewrite_ok("SELECT * FROM t WHERE ts >= :period_start AND ts < :period_end",
               "SELECT * FROM t WHERE ts >= ? AND ts < ?", 2, "se");
    /* repeated names, any order, case-insensitive */
    rewrite_ok("x=:period_end OR y=:PERIOD_START OR z=:period_end OR (:period_start)",
               "x=? OR y=? OR z=? OR (?)", 4, "eses");
    /* inside literals, identifiers and comments: left alone */
    rewrite_ok("SELECT ':period_start', 'it''s :x', \":period_end\", `:y` FROM t -- :z\n"
               "/* :a /* :b */ :c */ WHERE a=:period_start",
               "SELECT ':period_start', 'it''s :x', \":period_end\", `:y` FROM t -- :z\n"
               "/* :a /* :b */ :c */ WHERE a=?",
               1, "s");
    rewrite_ok("SELECT E'\\':x', $$ :y $$, $t$ :z $ $t$, a$b FROM t WHERE ts > :period_start",
               "SELECT E'\\':x', $$ :y $$, $t$ :z $ $t$, a$b FROM t WHERE ts > ?", 1, "s");
    /* casts, slices, time literals, := are not parameters */
    rewrite_ok("SELECT ts::date, a[lo:hi], '10:30'::time, x := 1, :period_start::timestamp",
               "SELECT ts::date, a[lo:hi], '10:30'::time, x := 1, ?::timestamp", 1, "s");
    rewrite_ok("-- only a comment :x", "-- only a comment :x", 0, "");
    rewrite_ok("SELECT * FROM t WHERE c >= :SINCE AND c < :until AND d >= :since",
               "SELECT * FROM t WHERE c >= ? AND c < ? AND d >= ?", 3, "aua");

    rewrite_bad("SELECT * FROM t WHERE a = :foo", ACDL_EINVAL,
                "unknown parameter :foo (only :period_start, :period_end, :since and :until are "
                "allowed) at "
                "line 1, column 27");
    rewrite_bad("SELECT 1\nFROM t\n  WHERE ts >= :period_startx", ACDL_EINVAL,
                ":period_startx (only :period_start, :period_end, :since and :until are allowed) "
                "at line 3, "
                "column 15");
    rewrite_bad("SELECT * FROM t WHERE a = ?", ACDL_EINVAL,
                "positional parameter marker ? is not supported");
    rewrite_bad("SELECT 'abc", ACDL_EINVAL, "unterminated string literal starting at line 1, "
                                            "column 8");
    rewrite_bad("SELECT \"abc", ACDL_EINVAL, "unterminated quoted identifier");
    rewrite_bad("SELECT 1 /* /* */", ACDL_EINVAL, "unterminated block comment");
    rewrite_bad("SELECT $q$ abc $", ACDL_EINVAL, "unterminated dollar-quoted string");
    {
        /* too many markers, too long */
        size_t n = 70 * 14 + 1, i;
        char *s = malloc(n), *big;
        if (CHECK(s != NULL)) {
            s[0] = '\0';
            for (i = 0; i < 70; i++) {
                memcpy(s + i * 14, ":period_start,", 14);
            }
            s[70 * 14] = '\0';
            rewrite_bad(s, ACDL_ETOOBIG, "too many parameter markers");
            free(s);
        }
        big = malloc(ODBC_SQL_MAX_BYTES + 2);
        if (CHECK(big != NULL)) {
            memset(big, ' ', ODBC_SQL_MAX_BYTES + 1);
            big[ODBC_SQL_MAX_BYTES + 1] = '\0';
            rewrite_bad(big, ACDL_ETOOBIG, "longer than the limit");
            free(big);
        }
    }
}

static void test_connstr(void)
{
    char buf[256], v[64];
    buf[0] = '\0';
    CHECK_EQ_INT(odbc_connstr_append(buf, sizeof(buf), "DSN", "pg"), 0);
    CHECK_EQ_INT(odbc_connstr_append(buf, sizeof(buf), "UID", "app user"), 0);
    CHECK_EQ_INT(odbc_connstr_append(buf, sizeof(buf), "PWD", "a;b}c{d=e"), 0);
    CHECK_EQ_STR(buf, "DSN=pg;UID=app user;PWD={a;b}}c{d=e};");
    CHECK_EQ_INT(odbc_connstr_get(buf, "pwd", v, sizeof(v)), 1);
    CHECK_EQ_STR(v, "a;b}c{d=e");
    CHECK_EQ_INT(odbc_connstr_get(buf, "uid", v, sizeof(v)), 1);
    CHECK_EQ_STR(v, "app user");
    CHECK_EQ_INT(odbc_connstr_get(buf, "Server", v, sizeof(v)), 0);
    CHECK_EQ_INT(odbc_connstr_get("Driver={PostgreSQL Unicode}; Server = h ;", "server", v,
                                  sizeof(v)),
                 1);
    CHECK_EQ_STR(v, "h");
    CHECK_EQ_INT(odbc_connstr_append(buf, sizeof(buf), "X", " padded"), 0);
    CHECK_CONTAINS(buf, "X={ padded};");
    CHECK_EQ_INT(odbc_connstr_get(buf, "x", v, sizeof(v)), 1);
    CHECK_EQ_STR(v, " padded");
    buf[strlen(buf) - strlen("X={ padded};")] = '\0';
    CHECK_EQ_INT(odbc_connstr_append(buf, sizeof(buf), "PWD", "new\nline"), ACDL_EINVAL);
    CHECK_EQ_INT(odbc_connstr_append(buf, 40, "X", "y"), ACDL_ETOOBIG);
    CHECK_EQ_STR(buf, "DSN=pg;UID=app user;PWD={a;b}}c{d=e};");
}

static void test_presets_list(void)
{
    size_t n = 0, i;
    const struct odbc_preset *p = odbc_presets(&n);
    CHECK_EQ_INT(n, 20);
    for (i = 0; i < n; i++) {
        struct odbc_sql s;
        char err[256];
        CHECK_EQ_INT(odbc_sql_rewrite(p[i].sql, &s, err, sizeof(err)), 0);
        /* a live-status preset reads the table as it is now, the others a period */
        if (odbc_preset_live(p[i].id)) {
            CHECK_EQ_INT(s.nparams, 0);
            CHECK(p[i].layout == ODBC_LAYOUT_AGENT_STATES);
        } else {
            CHECK(s.nparams >= 2);
        }
        odbc_sql_free(&s);
        CHECK(odbc_preset_find(p[i].id) == &p[i]);
        CHECK(p[i].layout == ODBC_LAYOUT_INTERVAL || p[i].layout == ODBC_LAYOUT_CONTACT ||
              p[i].layout == ODBC_LAYOUT_AGENT_STATES);
        CHECK((p[i].layout == ODBC_LAYOUT_AGENT_STATES) == (p[i].span != NULL));
    }
    CHECK(odbc_preset_find("nope") == NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* connections                                                                                 */

static void test_connect_errors(void)
{
    struct odbc_conn_opts o;
    struct odbc_conn *c = NULL;
    char err[1024], cs[512];
    int rc;

    /* unknown DSN */
    memset(&o, 0, sizeof(o));
    o.dsn = "nosuchdsn";
    o.password = "s3cret-never-shown";
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EINVAL);
    CHECK(c == NULL);
    CHECK_CONTAINS(err, "DSN 'nosuchdsn'");
    CHECK_CONTAINS(err, "IM002");
    CHECK(strstr(err, "s3cret") == NULL);

    /* wrong password with ; and braces: refused, and not echoed */
    memset(&o, 0, sizeof(o));
    o.dsn = "pg";
    o.user = "app";
    o.password = "wrong;pw{x}y";
    o.login_timeout_s = 5;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EAUTH);
    CHECK_CONTAINS(err, "password authentication failed");
    CHECK(strstr(err, "wrong") == NULL && strstr(err, "pw{x") == NULL);
    printf("  bad password: %s\n", err);

    /* a password inside the caller's connection string is masked as well */
    snprintf(cs, sizeof(cs),
             "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=postgres;UID=app;"
             "PWD=topsecret99;",
             g_pg_port);
    memset(&o, 0, sizeof(o));
    o.connstr = cs;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EAUTH);
    CHECK(strstr(err, "topsecret99") == NULL);
    CHECK(strstr(err, "Server=127.0.0.1") == NULL);

    /* user or password given twice */
    o.user = "app";
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EINVAL);
    CHECK_CONTAINS(err, "user is given twice");

    /* both or neither of DSN and string */
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(odbc_conn_open(&o, &c, err, sizeof(err)), ACDL_EINVAL);
    o.dsn = "pg";
    o.connstr = "DSN=pg";
    CHECK_EQ_INT(odbc_conn_open(&o, &c, err, sizeof(err)), ACDL_EINVAL);

    /* nothing listens: retry later */
    memset(&o, 0, sizeof(o));
    o.connstr = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=postgres;";
    o.user = "app";
    o.password = PG_PASSWORD;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EAGAIN);
    CHECK(strstr(err, "braces") == NULL);
}

/* A server that accepts TCP connections and never answers: the login timeout must end it. */
static void test_login_timeout(void)
{
    struct odbc_conn_opts o;
    struct odbc_conn *c = NULL;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    char err[512], cs[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc;
    int64_t t0, ms;

    if (!CHECK(fd >= 0)) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0 &&
               getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)) {
        close(fd);
        return;
    }
    snprintf(cs, sizeof(cs), "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=x;",
             ntohs(sa.sin_port));
    memset(&o, 0, sizeof(o));
    o.connstr = cs;
    o.login_timeout_s = 2;
    t0 = plat_monotonic_ms();
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    ms = plat_monotonic_ms() - t0;
    CHECK_EQ_INT(rc, ACDL_EAGAIN);
    CHECK(ms >= 1500 && ms < 8000);
    printf("  login timeout 2 s: failed after %lld ms: %s\n", (long long)ms, err);
    close(fd);
}

static void test_connect_ok(void)
{
    struct odbc_conn *c;
    struct odbc_conn_opts o;
    char err[512], cs[512];
    int rc;

    c = open_pg("pg", 0);
    if (c) {
        CHECK_EQ_STR(odbc_conn_dbms_name(c), "PostgreSQL");
        CHECK_CONTAINS(odbc_conn_driver_name(c), "psqlodbc");
        CHECK_EQ_STR(odbc_conn_streaming(c), "UseDeclareFetch=1;Fetch=10000");
        CHECK(odbc_conn_dbms_version(c)[0] != '\0');
    }
    odbc_conn_close(c);

    /* a DSN whose driver name says nothing: known after connecting, connected again */
    c = open_pg("pgneutral", 0);
    if (c) {
        CHECK_EQ_STR(odbc_conn_streaming(c), "UseDeclareFetch=1;Fetch=10000");
    }
    odbc_conn_close(c);

    /* a full connection string plus user and password apart */
    snprintf(cs, sizeof(cs),
             "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=postgres", g_pg_port);
    memset(&o, 0, sizeof(o));
    o.connstr = cs;
    o.user = "app";
    o.password = PG_PASSWORD;
    o.stream_rows = 5000;
    c = NULL;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (CHECK_EQ_INT(rc, 0)) {
        CHECK_EQ_STR(odbc_conn_streaming(c), "UseDeclareFetch=1;Fetch=5000");
    } else {
        printf("  %s\n", err);
    }
    odbc_conn_close(c);
    odbc_conn_close(NULL);
}

/* What the server's session shows of JIT compilation: off where the server has its built-in
 * default, as set where someone chose it (the connection string's ConnSettings, the role). */
static void test_jit_default(void)
{
    static const char show[] =
        "SELECT current_setting('jit'), source FROM pg_settings WHERE name = 'jit'";
    struct odbc_conn_opts o;
    struct odbc_conn *c = open_pg("pg", 0);
    struct raw r;
    char err[512], cs[512], out[256];
    int rc;

    if (c) {
        CHECK_EQ_INT(odbc_conn_jit_off(c), 1);
        CHECK_EQ_INT(read_all(c, show, NULL, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "off|session\n");
        /* it stays off for the queries after, the prepared ones too */
        struct odbc_query_opts qo;
        memset(&qo, 0, sizeof(qo));
        qo.prepared = 1;
        CHECK_EQ_INT(read_all_opts(c, show, NULL, &qo, out, sizeof(out)), 1);
        CHECK_EQ_INT(read_all_opts(c, show, NULL, &qo, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "off|session\n");
    }
    odbc_conn_close(c);

    /* the connection string's own setting wins (as libpq's options: psqlODBC skips ConnSettings
     * on a read-only connection) */
    snprintf(cs, sizeof(cs),
             "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=postgres;"
             "pqopt={options='-c jit=on'}",
             g_pg_port);
    memset(&o, 0, sizeof(o));
    o.connstr = cs;
    o.user = "app";
    o.password = PG_PASSWORD;
    c = NULL;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (CHECK_EQ_INT(rc, 0)) {
        CHECK_EQ_INT(odbc_conn_jit_off(c), 0);
        CHECK_EQ_INT(read_all(c, show, NULL, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "on|client\n");
    } else {
        printf("  %s\n", err);
    }
    odbc_conn_close(c);

    /* and so does the role's */
    pg_connstr(cs, sizeof(cs), "");
    if (CHECK_EQ_INT(raw_open(&r, cs), 0)) {
        CHECK_EQ_INT(raw_exec(&r, "CREATE ROLE jit_kept LOGIN PASSWORD 'jit-kept-pw'"), 0);
        CHECK_EQ_INT(raw_exec(&r, "ALTER ROLE jit_kept SET jit = on"), 0);
        raw_close(&r);
    }
    snprintf(cs, sizeof(cs),
             "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=%d;Database=postgres", g_pg_port);
    o.user = "jit_kept";
    o.password = "jit-kept-pw";
    c = NULL;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (CHECK_EQ_INT(rc, 0)) {
        CHECK_EQ_INT(odbc_conn_jit_off(c), 0);
        CHECK_EQ_INT(read_all(c, show, NULL, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "on|user\n");
    } else {
        printf("  %s\n", err);
    }
    odbc_conn_close(c);
}

/* The reader asks for read-only access; psqlODBC refuses changes itself (ReadOnly=1). */
static void test_read_only(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    char err[512], out[256];
    int rc;
    if (!c) {
        return;
    }
    rc = odbc_query_open(c, "CREATE TABLE must_not_exist (a INTEGER)", NULL, NULL, &q, err,
                         sizeof(err));
    CHECK(rc != 0);
    CHECK(q == NULL);
    printf("  CREATE TABLE refused: %d %s\n", rc, err);
    rc = odbc_query_open(c, "DELETE FROM hsplit", NULL, NULL, &q, err, sizeof(err));
    CHECK(rc != 0);
    odbc_query_close(q);
    odbc_conn_close(c);
    c = open_pg("pg", 0);
    if (c) {
        CHECK_EQ_INT(read_all(c, "SELECT count(*) FROM hsplit", NULL, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "8\n");
        CHECK_EQ_INT(read_all(c,
                              "SELECT count(*) FROM pg_tables WHERE tablename = 'must_not_exist'",
                              NULL, out, sizeof(out)),
                     1);
        CHECK_EQ_STR(out, "0\n");
    }
    odbc_conn_close(c);
}

/* ------------------------------------------------------------------------------------------ */
/* queries                                                                                     */

static void test_period_binding(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    char out[4096];
    long n;
    if (!c) {
        return;
    }
    /* hourly timestamps around the day; the period is bound, used twice, end exclusive */
    n = read_all(c,
                 "SELECT ts, :period_start AS s, ts < :period_end AS before_end\n"
                 "  FROM generate_series(timestamp '2024-03-30 22:00', '2024-04-01 02:00',\n"
                 "                       interval '1 hour') ts\n"
                 " WHERE ts >= :period_start AND ts < :period_end -- :not_a_param\n"
                 " ORDER BY ts",
                 &day_0331, out, sizeof(out));
    CHECK_EQ_INT(n, 24);
    CHECK(strncmp(out, "2024-03-31 00:00:00|2024-03-31 00:00:00|1\n", 42) == 0);
    CHECK_CONTAINS(out, "2024-03-31 23:00:00|2024-03-31 00:00:00|1\n");
    CHECK(strstr(out, "2024-04-01") == NULL);

    /* an incremental query's cursor window: timestamps, or whole numbers bound as SQL_BIGINT */
    {
        const struct odbc_period w = {.since = {2024, 3, 31, 22, 0, 0},
                                      .until = {2024, 3, 31, 23, 30, 0}};
        const struct odbc_period ids = {
            .cursor_is_id = 1, .since_id = 5000000000LL, .until_id = 5000000003LL};
        n = read_all(c,
                     "SELECT ts FROM generate_series(timestamp '2024-03-31', '2024-04-01', "
                     "interval '1 hour') ts WHERE ts >= :since AND ts < :until ORDER BY ts",
                     &w, out, sizeof(out));
        CHECK_EQ_INT(n, 2);
        CHECK_EQ_STR(out, "2024-03-31 22:00:00\n2024-03-31 23:00:00\n");
        n = read_all(c,
                     "SELECT i FROM generate_series(4999999998::bigint, 5000000005) i WHERE i >= "
                     ":since AND i < :until ORDER BY i",
                     &ids, out, sizeof(out));
        CHECK_EQ_INT(n, 3);
        CHECK_EQ_STR(out, "5000000000\n5000000001\n5000000002\n");
    }

    /* a period is needed when the SQL names it; bad dates are refused */
    {
        struct odbc_query *q = NULL;
        char err[256];
        struct odbc_period bad = {.start = {2023, 2, 29, 0, 0, 0}, .end = {2023, 3, 1, 0, 0, 0}};
        CHECK_EQ_INT(odbc_query_open(c, "SELECT :period_start", NULL, NULL, &q, err, sizeof(err)),
                     ACDL_EINVAL);
        CHECK_CONTAINS(err, "no period given");
        CHECK_EQ_INT(odbc_query_open(c, "SELECT :period_start", &bad, NULL, &q, err, sizeof(err)),
                     ACDL_EINVAL);
        CHECK_EQ_INT(odbc_query_open(c, "SELECT 1 WHERE :period_x IS NULL", &day_0331, NULL, &q,
                                     err, sizeof(err)),
                     ACDL_EINVAL);
        CHECK_CONTAINS(err, "unknown parameter :period_x");
        CHECK_EQ_INT(odbc_query_open(c, "SELEC 1", NULL, NULL, &q, err, sizeof(err)),
                     ACDL_EINVAL);
        CHECK_CONTAINS(err, "42601");
        CHECK(q == NULL);
    }
    odbc_conn_close(c);
}

static void test_nulls_and_columns(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[512];
    const struct odbc_column *col;
    int rc;
    if (!c) {
        return;
    }
    rc = odbc_query_open(c,
                         "SELECT 42 AS n, NULL::varchar AS nothing, '' AS empty,\n"
                         "       'Kundenservice Störung' AS utf8, 2.50::numeric(6,2) AS dec,\n"
                         "       timestamp '2024-03-31 03:00:00' AS ts,\n"
                         "       timestamp '2024-12-01 23:59:58.25' AS frac, NULL::timestamp AS nts",
                         NULL, NULL, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        odbc_conn_close(c);
        return;
    }
    CHECK_EQ_INT(odbc_query_ncols(q), 8);
    col = odbc_query_column(q, 0);
    if (CHECK(col != NULL)) {
        CHECK_EQ_STR(col->name, "n");
        CHECK_EQ_STR(col->type_name, "INTEGER");
    }
    col = odbc_query_column(q, 5);
    if (CHECK(col != NULL)) {
        CHECK_EQ_STR(col->name, "ts");
        CHECK_EQ_STR(col->type_name, "TIMESTAMP");
    }
    CHECK(odbc_query_column(q, 8) == NULL);
    rc = odbc_query_next(q, &row, err, sizeof(err));
    if (CHECK_EQ_INT(rc, 1) && CHECK_EQ_INT(row.nfields, 8)) {
        CHECK_EQ_STR(row.fields[0].ptr, "42");
        CHECK_EQ_INT(row.fields[0].len, 2);
        CHECK_EQ_INT(row.fields[0].is_null, 0);
        CHECK_EQ_INT(row.fields[1].is_null, 1);
        CHECK_EQ_INT(row.fields[1].len, 0);
        CHECK_EQ_STR(row.fields[1].ptr, "");
        CHECK_EQ_INT(row.fields[2].is_null, 0);
        CHECK_EQ_INT(row.fields[2].len, 0);
        CHECK_EQ_STR(row.fields[3].ptr, "Kundenservice Störung");
        CHECK_EQ_STR(row.fields[4].ptr, "2.50");
        CHECK_EQ_STR(row.fields[5].ptr, "2024-03-31 03:00:00");
        CHECK_EQ_INT(row.fields[5].len, 19);
        /* timestamps come as the driver's structure and are written as text here */
        CHECK_EQ_STR(row.fields[6].ptr, "2024-12-01 23:59:58.25");
        CHECK_EQ_INT(row.fields[6].len, 22);
        CHECK_EQ_INT(row.fields[7].is_null, 1);
        CHECK_EQ_STR(row.fields[7].ptr, "");
    }
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 0);
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 0);
    odbc_query_close(q);
    odbc_conn_close(c);
}

/* Integers come from psqlODBC as SQL_C_SBIGINT and are written as text: NULLs, negatives and
 * the ends of each integer type read as the server's text would; decimals and timestamps with
 * fractions beside them. The SQLite driver's integers stay text (a column declared INTEGER may
 * hold text there). */
static void test_typed_values(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_conn_opts o;
    struct raw r;
    char out[2048], err[512];
    int rc;
    if (c) {
        CHECK_EQ_INT(
            read_all(c,
                     "SELECT i, s, b, d, ts FROM (VALUES\n"
                     " (1, 0::int, 0::smallint, 0::bigint, 0::numeric, timestamp '2024-03-31 "
                     "00:00:00'),\n"
                     " (2, -1, -32768, -9223372036854775808, -0.5, '2024-03-31 00:00:00.000001'),\n"
                     " (3, 2147483647, 32767, 9223372036854775807, 12345678901234567890.125,\n"
                     "  '2024-03-31 23:59:59.123456'),\n"
                     " (4, -2147483648, NULL, 5000000000, NULL, NULL),\n"
                     " (5, NULL, 7, NULL, 2.50::numeric(6,2), '1999-12-31 23:59:59.5'))\n"
                     " v(n, i, s, b, d, ts) ORDER BY n",
                     NULL, out, sizeof(out)),
            5);
        CHECK_EQ_STR(out, "0|0|0|0|2024-03-31 00:00:00\n"
                          "-1|-32768|-9223372036854775808|-0.5|2024-03-31 00:00:00.000001\n"
                          "2147483647|32767|9223372036854775807|12345678901234567890.125|"
                          "2024-03-31 23:59:59.123456\n"
                          "-2147483648|NULL|5000000000|NULL|NULL\n"
                          "NULL|7|NULL|2.50|1999-12-31 23:59:59.5\n");
        /* the same through the read-ahead thread, two rows per block */
        struct odbc_query_opts qo;
        char ahead[2048];
        memset(&qo, 0, sizeof(qo));
        qo.rowset_rows = 2;
        qo.read_ahead = 1;
        CHECK_EQ_INT(read_all_opts(c,
                                   "SELECT b FROM (VALUES (1, -42::bigint), (2, NULL), (3, 10), "
                                   "(4, -9223372036854775808), (5, 9)) v(n, b) ORDER BY n",
                                   NULL, &qo, ahead, sizeof(ahead)),
                     5);
        CHECK_EQ_STR(ahead, "-42\nNULL\n10\n-9223372036854775808\n9\n");
    }
    odbc_conn_close(c);

    if (!CHECK_EQ_INT(raw_open(&r, "DSN=lite"), 0)) {
        return;
    }
    CHECK_EQ_INT(raw_exec(&r, "CREATE TABLE typed (n INTEGER, i INTEGER, b BIGINT, d REAL, "
                              "ts TIMESTAMP)"),
                 0);
    CHECK_EQ_INT(raw_exec(&r, "INSERT INTO typed VALUES "
                              "(1, -7, -9223372036854775808, -0.5, '2024-03-31 00:00:00.25'), "
                              "(2, NULL, 9223372036854775807, NULL, NULL), "
                              "(3, 'not a number', 0, 2.5, '2024-03-31 23:45:00')"),
                 0);
    raw_close(&r);
    memset(&o, 0, sizeof(o));
    o.dsn = "lite";
    c = NULL;
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        return;
    }
    CHECK_EQ_INT(read_all(c, "SELECT i, b, d, ts FROM typed ORDER BY n", NULL, out, sizeof(out)),
                 3);
    CHECK_EQ_STR(out, "-7|-9223372036854775808|-0.5|2024-03-31 00:00:00.25\n"
                      "NULL|9223372036854775807|NULL|NULL\n"
                      "not a number|0|2.5|2024-03-31 23:45:00\n");
    odbc_conn_close(c);
}

static void test_too_long(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    struct odbc_query_opts qo;
    struct odbc_row row;
    char err[512];
    int rc;
    if (!c) {
        return;
    }
    memset(&qo, 0, sizeof(qo));
    qo.field_max = 16;
    qo.rowset_rows = 2; /* the long value sits in the second block */
    rc = odbc_query_open(c,
                         "SELECT g, CASE WHEN g = 3 THEN repeat('x', 17)\n"
                         "               WHEN g = 2 THEN repeat('y', 16)\n"
                         "               ELSE 'short' END AS label\n"
                         "  FROM generate_series(1, 4) g ORDER BY g",
                         NULL, &qo, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        odbc_conn_close(c);
        return;
    }
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 1);
    CHECK_EQ_INT(row.number, 1);
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 1);
    CHECK_EQ_INT(row.number, 2);
    CHECK_EQ_INT(row.fields[1].len, 16); /* exactly field_max fits */
    rc = odbc_query_next(q, &row, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_ETOOBIG);
    CHECK_EQ_INT(row.number, 3);
    CHECK_CONTAINS(err, "row 3, column 2 (label): value of 17 bytes is longer than 16 bytes");
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 1);
    CHECK_EQ_INT(row.number, 4);
    CHECK_EQ_STR(row.fields[1].ptr, "short");
    CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 0);
    odbc_query_close(q);
    odbc_conn_close(c);
}

static void test_query_timeout(void)
{
    struct odbc_conn *c = open_pg("pg", 1);
    struct odbc_query *q = NULL;
    char err[512];
    int64_t t0, ms;
    int rc;
    if (!c) {
        return;
    }
    t0 = plat_monotonic_ms();
    rc = odbc_query_open(c, "SELECT pg_sleep(10)", NULL, NULL, &q, err, sizeof(err));
    ms = plat_monotonic_ms() - t0;
    CHECK_EQ_INT(rc, ACDL_EAGAIN);
    CHECK(ms < 5000);
    printf("  query timeout 1 s: failed after %lld ms: %s\n", (long long)ms, err);
    odbc_query_close(q);
    odbc_conn_close(c);
}

/* ------------------------------------------------------------------------------------------ */
/* presets against their fixture tables                                                        */

static void check_preset(const char *id, const char *want, const char *col2, const char *col3,
                         const char *metric0)
{
    const struct odbc_preset *p = odbc_preset_find(id);
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    char out[4096], err[512];
    if (!CHECK(p != NULL) || !c) {
        odbc_conn_close(c);
        return;
    }
    read_all(c, p->sql, &day_0331, out, sizeof(out));
    if (!CHECK_EQ_STR(out, want)) {
        printf("  preset %s\n", id);
    }
    /* the column contract: names of the fixed columns, then the vendor's metric names */
    if (CHECK_EQ_INT(odbc_query_open(c, p->sql, &day_0331, NULL, &q, err, sizeof(err)), 0)) {
        CHECK_EQ_INT(odbc_query_ncols(q) >= 4, 1);
        CHECK_EQ_STR(odbc_query_column(q, 0)->name, "queue_id");
        CHECK_EQ_STR(odbc_query_column(q, 1)->name, col2);
        CHECK_EQ_STR(odbc_query_column(q, 2)->name, col3);
        CHECK_EQ_STR(odbc_query_column(q, 3)->name, metric0);
    } else {
        printf("  %s\n", err);
    }
    odbc_query_close(q);
    odbc_conn_close(c);
}

static void test_preset_avaya(void)
{
    check_preset("avaya_cms_hsplit",
                 "1|NULL|2024-03-31 00:00:00|4|4|0|600|120|0|30|0|0|4|3600\n"
                 "1|NULL|2024-03-31 01:30:00|2|1|1|140|40|10|15|33|0|1|1800\n"
                 "1|NULL|2024-03-31 03:00:00|3|3|0|450|90|0|21|NULL|0|3|1800\n"
                 "1|NULL|2024-03-31 08:30:00|31|30|1|5200|1300|120|400|12|0|29|14400\n"
                 "2|NULL|2024-03-31 08:30:00|57|52|5|9100|2100|640|1040|210|1|45|27000\n"
                 "2|NULL|2024-03-31 23:30:00|1|1|0|95|20|0|4|0|0|1|1800\n",
                 "queue_name", "interval_start", "callsoffered");
}

static void test_preset_ucce(void)
{
    check_preset("cisco_ucce_call_type_interval",
                 "5001|Sales_DE|2024-03-31 00:00:00|4|4|4|0|1220|64|4\n"
                 "5002|Support_DE|2024-03-31 01:45:00|2|1|2|1|310|35|1\n"
                 "5001|Sales_DE|2024-03-31 03:00:00|3|3|3|0|905|41|3\n"
                 "5002|Support_DE|2024-03-31 03:00:00|1|0|0|1|0|0|0\n"
                 "5003|NULL|2024-03-31 12:15:00|8|7|7|NULL|2100|96|6\n",
                 "queue_name", "interval_start", "callsoffered");
}

static void test_preset_asterisk(void)
{
    check_preset("asterisk_queue_log",
                 "support|2024-03-31 01:59:30|1|280\n"
                 "sales|2024-03-31 08:00:45|0|45\n"
                 "sales|2024-03-31 10:00:00|1|NULL\n"
                 "support|2024-03-31 23:59:50|1|310\n",
                 "contact_time", "answered", "duration");
}

static void test_preset_mitel(void)
{
    /* psqlODBC gives a uuid as SQL_GUID, in upper case */
    check_preset("mitel_micc_queue_performance",
                 "7D2F6A4E-1B3C-4D5E-8F90-A1B2C3D4E5F6|Hotline|2024-03-31 01:45:00|"
                 "2|1|1|1|0|12|9|200|1\n"
                 "0A1B2C3D-4E5F-4A6B-9C8D-7E6F5A4B3C2D|Billing|2024-03-31 03:00:00|"
                 "1|0|0|0|1|0|0|0|0\n"
                 "7D2F6A4E-1B3C-4D5E-8F90-A1B2C3D4E5F6|Hotline|2024-03-31 03:00:00|"
                 "5|5|0|0|0|75|0|1400|4\n",
                 "queue_name", "interval_start", "queueoffered");
}

static void test_preset_uccx(void)
{
    /* handled legs with their agent legs' talk + hold + work (a ring-no-answer leg adds 0),
     * abandoned without duration; dequeued and agent-targeted legs are left out */
    check_preset("cisco_uccx_csq_contacts",
                 "CSQ_Sales|2024-03-31 08:00:10|1|325\n"
                 "CSQ_Support|2024-03-31 08:10:00|0|NULL\n"
                 "CSQ_Support|2024-03-31 23:59:50|1|252\n",
                 "contact_time", "answered", "duration");
}

static void test_preset_aacc(void)
{
    check_preset("avaya_aacc_application_interval",
                 "10001|Sales_App|2024-03-31 01:45:00|5|4|1|820|95|120\n"
                 "10001|Sales_App|2024-03-31 03:00:00|3|3|0|610|40|90\n"
                 "10002|NULL|2024-03-31 03:00:00|1|0|1|0|60|0\n"
                 "10003|Billing_App|2024-03-31 23:45:00|2|2|0|300|12|30\n",
                 "queue_name", "interval_start", "callsoffered");
}

static void test_preset_cic(void)
{
    /* only the totals rows; the workgroup name trimmed */
    check_preset("genesys_cic_workgroup_interval",
                 "Sales|Sales|2024-03-31 08:00:00|12|10|1|1|240|35|2400|120|600\n"
                 "Support|Support|2024-03-31 08:00:00|4|3|1|0|60|80|700|30|210\n"
                 "Sales|Sales|2024-03-31 08:30:00|9|9|0|0|180|0|1900|0|450\n",
                 "queue_name", "interval_start", "nenteredacd");
}

/* agent-state presets: agent id, activity id, start, then end or duration (by span form) */
static void check_agent_preset(const char *id, const char *want, const char *col3)
{
    const struct odbc_preset *p = odbc_preset_find(id);
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    char out[4096], err[512];
    if (!CHECK(p != NULL) || !c) {
        odbc_conn_close(c);
        return;
    }
    CHECK_EQ_INT(p->layout, ODBC_LAYOUT_AGENT_STATES);
    read_all(c, p->sql, &day_0331, out, sizeof(out));
    if (!CHECK_EQ_STR(out, want)) {
        printf("  preset %s\n", id);
    }
    if (CHECK_EQ_INT(odbc_query_open(c, p->sql, &day_0331, NULL, &q, err, sizeof(err)), 0)) {
        CHECK_EQ_INT(odbc_query_ncols(q) >= 3, 1);
        CHECK_EQ_STR(odbc_query_column(q, 0)->name, "agent_id");
        CHECK_EQ_STR(odbc_query_column(q, 1)->name, "activity_id");
        CHECK_EQ_STR(odbc_query_column(q, 2)->name, "start_time");
        if (col3) {
            CHECK_EQ_STR(odbc_query_column(q, 3)->name, col3);
        }
    } else {
        printf("  %s\n", err);
    }
    odbc_query_close(q);
    odbc_conn_close(c);
}

static void test_preset_avaya_agents(void)
{
    /* CHAR login ids trimmed, leading zeros kept; AUX with its reason code */
    check_agent_preset("avaya_cms_agent_trace",
                       "00815|ACW|2024-03-31 09:00:00|30\n"
                       "0815|AVAIL|2024-03-31 01:30:00|5400\n"
                       "0815|AVAIL|2024-03-31 08:00:00|1800\n"
                       "0815|ACD|2024-03-31 08:30:00|245\n"
                       "0815|AUX7|2024-03-31 08:34:05|600\n",
                       "duration");
}

static void test_preset_ucce_agents(void)
{
    check_agent_preset("cisco_ucce_agent_event_detail",
                       "0042|LOGIN|2024-03-31 07:59:00|NULL\n"
                       "0042|NR3|2024-03-31 10:00:00|Lunch\n"
                       "0042|NR7|2024-03-31 10:45:00|Meeting\n"
                       "0042|LOGOUT|2024-03-31 16:00:00|NULL\n"
                       "42|LOGIN|2024-03-31 09:00:00|NULL\n",
                       "activity_name");
}

static void test_preset_ucce_real_time(void)
{
    /* the current states whose last change lies in the day; not ready with its reason */
    check_agent_preset("cisco_ucce_agent_real_time",
                       "0042|NR3|2024-03-31 12:30:00|Lunch\n"
                       "0077|READY|2024-03-31 08:05:00|NULL\n"
                       "0099|WORK_NOT_READY|2024-03-31 11:00:00|NULL\n"
                       "0100|LOGOUT|2024-03-31 17:00:00|NULL\n"
                       "42|TALKING|2024-03-31 09:15:10|NULL\n",
                       "activity_name");
}

static void test_preset_ucce_state_trace(void)
{
    /* every change of the day, with the live-status preset's codes */
    check_agent_preset("cisco_ucce_agent_state_trace",
                       "0042|LOGIN|2024-03-31 07:59:00|NULL\n"
                       "0042|READY|2024-03-31 08:00:00|NULL\n"
                       "0042|TALKING|2024-03-31 08:00:40|NULL\n"
                       "0042|READY|2024-03-31 08:00:55|NULL\n"
                       "0042|NR3|2024-03-31 12:30:00|Lunch\n"
                       "0077|READY|2024-03-31 08:05:00|NULL\n"
                       "42|LOGIN|2024-03-31 09:00:00|NULL\n"
                       "42|READY|2024-03-31 09:01:00|NULL\n"
                       "42|TALKING|2024-03-31 09:15:10|NULL\n",
                       "activity_name");
}

static void test_preset_twilio_events(void)
{
    /* the worker.activity.update events of the day: the worker's friendly name, the new
     * activity, from the event's date; other events and other days left out */
    check_agent_preset("twilio_taskrouter_events",
                       "alice@example.com|Available|2024-03-31 07:58:00\n"
                       "alice@example.com|Unavailable|2024-03-31 07:59:30\n"
                       "alice@example.com|Available|2024-03-31 08:00:05\n"
                       "bob@example.com|Available|2024-03-31 09:00:00\n"
                       "bob@example.com|Break|2024-03-31 10:15:00\n"
                       "dave@example.com|Unavailable|2024-03-31 11:00:00\n",
                       NULL);
}

static void test_preset_uccx_agents(void)
{
    /* not ready with its reason code; one login id per resource and profile */
    check_agent_preset("cisco_uccx_agent_state_detail",
                       "asmith|LOGIN|2024-03-31 07:58:00\n"
                       "asmith|READY|2024-03-31 07:58:05\n"
                       "asmith|TALKING|2024-03-31 08:00:50\n"
                       "asmith|WORK|2024-03-31 08:05:15\n"
                       "asmith|NR101|2024-03-31 12:00:00\n"
                       "asmith|LOGOUT|2024-03-31 16:00:00\n"
                       "bjones|LOGIN|2024-03-31 09:00:00\n"
                       "bjones|NR32760|2024-03-31 09:00:01\n",
                       NULL);
}

static void test_preset_aacc_agents(void)
{
    check_agent_preset("avaya_aacc_agent_login",
                       "05001|LI|2024-03-31 08:00:00\n"
                       "05001|RD|2024-03-31 08:00:30\n"
                       "05001|NR|2024-03-31 12:00:00\n"
                       "05001|LO|2024-03-31 17:00:00\n"
                       "5002|LI|2024-03-31 09:15:00\n",
                       NULL);
}

static void test_preset_cic_agents(void)
{
    /* two statuses in one second in SeqNo order; statuses while logged out not read */
    check_agent_preset("genesys_cic_agent_activity",
                       "jdoe|Available|2024-03-31 08:00:00|2024-03-31 10:00:00\n"
                       "jdoe|Do Not Disturb|2024-03-31 10:00:00|2024-03-31 10:00:00\n"
                       "jdoe|At Lunch|2024-03-31 10:00:00|2024-03-31 10:45:00\n"
                       "jdoe|Available|2024-03-31 10:45:00|2024-03-31 17:00:00\n"
                       "msmith|Available|2024-03-31 09:00:00|NULL\n",
                       "end_time");
}

static void test_preset_asterisk_agents(void)
{
    /* two ADDMEMBERs at 08:00 (two queues) are one state */
    check_agent_preset("asterisk_queue_log_agents",
                       "PJSIP/202|ADDMEMBER|2024-03-31 00:30:00\n"
                       "PJSIP/301|ADDMEMBER|2024-03-31 08:00:00\n"
                       "PJSIP/301|PAUSE:lunch|2024-03-31 12:00:00\n"
                       "PJSIP/301|UNPAUSE|2024-03-31 12:30:00\n"
                       "PJSIP/301|PAUSE|2024-03-31 13:00:00\n"
                       "PJSIP/301|REMOVEMEMBER|2024-03-31 17:00:00\n",
                       NULL);
}

static void test_preset_asterisk_states(void)
{
    /* PJSIP/201's call began the day before; PJSIP/301's call of 10:00 never ends, so its
     * pauses of 12:00-13:00 do not show (they would from the call's end) */
    check_agent_preset("asterisk_queue_log_states",
                       "PJSIP/201|AVAILABLE|2024-03-31 00:01:00\n"
                       "PJSIP/202|AVAILABLE|2024-03-31 00:30:00\n"
                       "PJSIP/202|ONCALL|2024-03-31 01:59:30\n"
                       "PJSIP/202|AVAILABLE|2024-03-31 03:04:10\n"
                       "PJSIP/202|ONCALL|2024-03-31 23:59:50\n"
                       "PJSIP/301|AVAILABLE|2024-03-31 08:00:00\n"
                       "PJSIP/301|ONCALL|2024-03-31 10:00:00\n"
                       "PJSIP/301|LOGGEDOUT|2024-03-31 17:00:00\n",
                       NULL);
}

static void test_preset_asterisk_intervals(void)
{
    /* offered, answered, answered_20s, abandoned, timeouts, exit_empty, exit_key, completed,
     * answer_wait_s, abandon_wait_s, talk_s; each event in its own quarter hour */
    check_preset("asterisk_queue_log_intervals",
                 "support|NULL|2024-03-31 00:00:00|0|0|0|0|0|0|0|1|0|0|660\n"
                 "support|NULL|2024-03-31 01:45:00|1|1|0|0|0|0|0|0|90|0|0\n"
                 "support|NULL|2024-03-31 03:00:00|0|0|0|0|0|0|0|1|0|0|280\n"
                 "sales|NULL|2024-03-31 08:00:00|1|0|0|1|0|0|0|0|0|45|0\n"
                 "sales|NULL|2024-03-31 09:45:00|1|0|0|0|0|0|0|0|0|0|0\n"
                 "sales|NULL|2024-03-31 10:00:00|0|1|1|0|0|0|0|0|20|0|0\n"
                 "support|NULL|2024-03-31 23:45:00|1|1|0|0|0|0|0|0|50|0|0\n",
                 "queue_name", "interval_start", "offered");
}

/* ------------------------------------------------------------------------------------------ */
/* SQLite through the sqliteodbc driver                                                        */

static void test_sqlite(void)
{
    struct raw r;
    struct odbc_conn_opts o;
    struct odbc_conn *c = NULL;
    char err[512], out[1024];
    int rc;

    if (!CHECK_EQ_INT(raw_open(&r, "DSN=lite"), 0)) {
        return;
    }
    CHECK_EQ_INT(raw_exec(&r, "CREATE TABLE calls (queue TEXT, ts TIMESTAMP, offered INTEGER, "
                              "note TEXT)"),
                 0);
    CHECK_EQ_INT(raw_exec(&r, "INSERT INTO calls VALUES "
                              "('q1', '2024-03-30 23:45:00', 5, NULL), "
                              "('q1', '2024-03-31 00:00:00', 7, 'first'), "
                              "('q2', '2024-03-31 03:00:00', 2, 'after the gap'), "
                              "('q1', '2024-03-31 23:45:00', 1, ''), "
                              "('q1', '2024-04-01 00:00:00', 9, 'next day')"),
                 0);
    raw_close(&r);

    memset(&o, 0, sizeof(o));
    o.dsn = "lite";
    rc = odbc_conn_open(&o, &c, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        return;
    }
    CHECK_EQ_STR(odbc_conn_streaming(c), "StepAPI=1");
    CHECK_EQ_STR(odbc_conn_dbms_name(c), "SQLite");
    CHECK_EQ_INT(odbc_conn_jit_off(c), 0);
    CHECK_EQ_INT(read_all(c,
                          "SELECT queue, ts, offered, note FROM calls\n"
                          " WHERE ts >= :period_start AND ts < :period_end ORDER BY ts",
                          &day_0331, out, sizeof(out)),
                 3);
    CHECK_EQ_STR(out, "q1|2024-03-31 00:00:00|7|first\n"
                      "q2|2024-03-31 03:00:00|2|after the gap\n"
                      "q1|2024-03-31 23:45:00|1|\n");
    {
        /* the same through a thread that fetches ahead, one row per block */
        struct odbc_query_opts qo;
        char ahead[1024];
        memset(&qo, 0, sizeof(qo));
        qo.rowset_rows = 1;
        qo.read_ahead = 2;
        CHECK_EQ_INT(read_all_opts(c,
                                   "SELECT queue, ts, offered, note FROM calls\n"
                                   " WHERE ts >= :period_start AND ts < :period_end ORDER BY ts",
                                   &day_0331, &qo, ahead, sizeof(ahead)),
                     3);
        CHECK_EQ_STR(ahead, out);
    }
    CHECK_EQ_INT(read_all(c, "SELECT note FROM calls WHERE note IS NULL", NULL, out, sizeof(out)),
                 1);
    CHECK_EQ_STR(out, "NULL\n");
    odbc_conn_close(c);
}

/* ------------------------------------------------------------------------------------------ */
/* one period as several queries on several connections                                       */

/* A digest of rows read: their count, an FNV-1a hash over every value (NULL marked), and the
 * messages of rejected rows. */
struct rows_digest {
    long rows;
    uint64_t hash;
    char rejects[512];
};

static void digest_row(struct rows_digest *d, const struct odbc_row *row, int rc, const char *err)
{
    d->rows++;
    CHECK_EQ_INT(row->number, d->rows);
    if (rc != 1) {
        size_t used = strlen(d->rejects);
        snprintf(d->rejects + used, sizeof(d->rejects) - used, "%s\n", err);
        return;
    }
    for (size_t i = 0; i < row->nfields; i++) {
        const struct odbc_field *f = &row->fields[i];
        const char *p = f->is_null ? "\1NULL" : f->ptr;
        size_t n = f->is_null ? 5 : f->len;
        CHECK(f->is_null || strlen(f->ptr) == f->len);
        for (size_t k = 0; k <= n; k++) {
            d->hash = (d->hash ^ (unsigned char)(k < n ? p[k] : '|')) * 1099511628211ULL;
        }
    }
}

static void test_parts_sqlite(void)
{
    static const char *const sql =
        "SELECT queue, ts, offered, note FROM big\n"
        " WHERE ts >= :period_start AND ts < :period_end ORDER BY ts, queue";
    struct raw r;
    struct odbc_conn_opts o;
    struct odbc_conn *c[3] = {NULL, NULL, NULL};
    struct odbc_period whole = {.start = {2024, 3, 29, 0, 0, 0}, .end = {2024, 4, 2, 0, 0, 0}};
    struct odbc_period days[4];
    struct odbc_query *q = NULL;
    struct odbc_parts *p = NULL;
    struct odbc_row row;
    struct rows_digest one, split;
    char err[512];
    int rc;

    if (!CHECK_EQ_INT(raw_open(&r, "DSN=lite"), 0)) {
        return;
    }
    /* 4 days of 4,000 rows with 200-byte notes (more than the 2 MiB held), NULLs, an interval
     * start shared by many rows, a 253-byte note, a queue id longer than 255 bytes, and rows
     * on each side of the period */
    CHECK_EQ_INT(raw_exec(&r, "CREATE TABLE big (queue TEXT, ts TIMESTAMP, offered INTEGER, "
                              "note TEXT)"),
                 0);
    CHECK_EQ_INT(raw_exec(&r, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
                              "WHERE i < 15999) INSERT INTO big SELECT 'q' || (i % 40), "
                              "datetime('2024-03-29', '+' || (i / 40 * 864) || ' seconds'), "
                              "CASE WHEN i % 7 = 0 THEN NULL ELSE i END, "
                              "printf('%0200d', i) FROM n"),
                 0);
    CHECK_EQ_INT(raw_exec(&r, "INSERT INTO big VALUES ('q1', '2024-03-30 12:00:00', 1, "
                              "printf('%0253d', 1)), (printf('%0300d', 7), "
                              "'2024-03-31 06:00:00', 1, 'x'), ('q1', '2024-03-28 23:59:59', 1, "
                              "'before'), ('q1', '2024-04-02 00:00:00', 1, 'after')"),
                 0);
    raw_close(&r);

    memset(&o, 0, sizeof(o));
    o.dsn = "lite";
    for (int i = 0; i < 3; i++) {
        rc = odbc_conn_open(&o, &c[i], err, sizeof(err));
        if (!CHECK_EQ_INT(rc, 0)) {
            printf("  %s\n", err);
            goto out;
        }
    }
    memset(&one, 0, sizeof(one));
    memset(&split, 0, sizeof(split));
    rc = odbc_query_open(c[0], sql, &whole, NULL, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        goto out;
    }
    while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1 || rc == ACDL_ETOOBIG) {
        digest_row(&one, &row, rc, err);
    }
    CHECK_EQ_INT(rc, 0);
    odbc_query_close(q);
    CHECK_EQ_INT(one.rows, 16002);
    CHECK(strstr(one.rejects, "column 1 (queue): value of 300 bytes") != NULL);

    for (int i = 0; i < 4; i++) {
        days[i] = (struct odbc_period){.start = {2024, 3, 29 + i, 0, 0, 0},
                                       .end = {2024, 3, 30 + i, 0, 0, 0}};
    }
    days[3].end = (struct odbc_datetime){2024, 4, 2, 0, 0, 0};
    days[2].start = (struct odbc_datetime){2024, 3, 31, 0, 0, 0};
    days[3].start = (struct odbc_datetime){2024, 4, 1, 0, 0, 0};
    days[2].end = days[3].start;
    rc = odbc_parts_open(c, 3, sql, days, 4, NULL, 2u * 1024u * 1024u, &p, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        goto out;
    }
    CHECK_EQ_INT(odbc_parts_ncols(p), 4);
    CHECK_EQ_STR(odbc_parts_column(p, 3)->name, "note");
    while ((rc = odbc_parts_next(p, &row, err, sizeof(err))) == 1 || rc == ACDL_ETOOBIG) {
        digest_row(&split, &row, rc, err);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(odbc_parts_next(p, &row, err, sizeof(err)), 0);
    odbc_parts_close(p);
    p = NULL;
    CHECK_EQ_INT(split.rows, one.rows);
    CHECK(split.hash == one.hash);
    CHECK_EQ_STR(split.rejects, one.rejects);

    /* a day whose query fails: reported at once, naming its day, whatever day is read */
    for (int i = 0; i < 3; i++) {
        odbc_conn_close(c[i]);
        c[i] = NULL;
        if (!CHECK_EQ_INT(odbc_conn_open(&o, &c[i], err, sizeof(err)), 0)) {
            goto out;
        }
    }
    rc = odbc_parts_open(c, 3,
                         "SELECT queue, ts FROM big WHERE ts >= :period_start AND ts < "
                         ":period_end AND (ts < '2024-03-31' OR no_such_column = 1)",
                         days, 4, NULL, 2u * 1024u * 1024u, &p, err, sizeof(err));
    if (rc == 0) {
        while ((rc = odbc_parts_next(p, &row, err, sizeof(err))) == 1) {
        }
        odbc_parts_close(p);
        p = NULL;
    }
    CHECK(rc < 0);
    CHECK(strstr(err, "the days from 2024-03-") != NULL);
out:
    odbc_parts_close(p);
    for (int i = 0; i < 3; i++) {
        odbc_conn_close(c[i]);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* cancel from another thread                                                                  */

struct canceller {
    struct odbc_conn *c;
    int delay_ms;
};

static void *cancel_later(void *p)
{
    struct canceller *k = p;
    plat_sleep_ms(k->delay_ms);
    odbc_conn_cancel(k->c);
    return NULL;
}

static void test_cancel(void)
{
    struct canceller k;
    pthread_t th;
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[512];
    int64_t t0, ms;
    long rows = 0;
    int rc;

    /* while the server works inside the execute */
    k.c = open_pg("pg", 0);
    k.delay_ms = 300;
    if (!k.c) {
        return;
    }
    t0 = plat_monotonic_ms();
    pthread_create(&th, NULL, cancel_later, &k);
    rc = odbc_query_open(k.c, "SELECT pg_sleep(20)", NULL, NULL, &q, err, sizeof(err));
    ms = plat_monotonic_ms() - t0;
    pthread_join(th, NULL);
    CHECK_EQ_INT(rc, ACDL_ESTOP);
    CHECK(ms < 5000);
    printf("  cancel during execute: %lld ms: %s\n", (long long)ms, err);
    odbc_query_close(q);
    q = NULL;
    /* the connection is done for */
    CHECK_EQ_INT(odbc_query_open(k.c, "SELECT 1", NULL, NULL, &q, err, sizeof(err)), ACDL_ESTOP);
    odbc_conn_close(k.c);

    /* while rows stream in */
    k.c = open_pg("pg", 0);
    k.delay_ms = 200;
    if (!k.c) {
        return;
    }
    rc = odbc_query_open(k.c, "SELECT g, md5(g::text) FROM generate_series(1, 50000000) g", NULL,
                         NULL, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        odbc_conn_close(k.c);
        return;
    }
    t0 = plat_monotonic_ms();
    pthread_create(&th, NULL, cancel_later, &k);
    while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1) {
        rows++;
    }
    ms = plat_monotonic_ms() - t0;
    pthread_join(th, NULL);
    CHECK_EQ_INT(rc, ACDL_ESTOP);
    CHECK(rows > 0 && rows < 50000000);
    CHECK(ms < 5000);
    printf("  cancel while fetching: after %ld rows, %lld ms\n", rows, (long long)ms);
    odbc_query_close(q);
    odbc_conn_close(k.c);
}

/* ------------------------------------------------------------------------------------------ */
/* read-ahead: a thread fetches the next blocks; the rows, NULLs and errors are the same        */

static void test_read_ahead(void)
{
    static const char sql[] =
        "SELECT g AS n,\n"
        "       CASE WHEN g = 2 THEN '-9223372036854775808'::bigint ELSE g * 1000000007::bigint\n"
        "       END AS big,\n"
        "       CASE WHEN g % 5 = 0 THEN NULL ELSE 'q' || g END AS label,\n"
        "       CASE WHEN g = 700 THEN repeat('z', 41) ELSE 'ok' END AS note,\n"
        "       CASE WHEN g % 7 = 0 THEN NULL ELSE (g / 8.0)::numeric(10,3) END AS dec,\n"
        "       timestamp '2024-03-31 00:00' + g * interval '1.5 second' AS ts,\n"
        "       (g % 3 = 0)::int::smallint AS small\n"
        "  FROM generate_series(1, 1000) g ORDER BY g";
    static char inline_out[256 * 1024], ahead_out[256 * 1024];
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query_opts qo;
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[512];
    long n;
    int rc;
    if (!c) {
        return;
    }
    memset(&qo, 0, sizeof(qo));
    qo.field_max = 40;
    qo.rowset_rows = 7; /* many blocks, the last one short */
    n = read_all_opts(c, sql, NULL, &qo, inline_out, sizeof(inline_out));
    CHECK_EQ_INT(n, 1000);
    CHECK_CONTAINS(inline_out, "1|1000000007|q1|ok|0.125|2024-03-31 00:00:01.5|0\n");
    CHECK_CONTAINS(inline_out, "2|-9223372036854775808|q2|ok|0.250|2024-03-31 00:00:03|0\n");
    CHECK_CONTAINS(inline_out, "5|5000000035|NULL|ok|0.625|2024-03-31 00:00:07.5|0\n");
    CHECK_CONTAINS(inline_out, "7|7000000049|q7|ok|NULL|2024-03-31 00:00:10.5|0\n");
    CHECK_CONTAINS(inline_out, "row 700: ERROR row 700, column 4 (note): value of 41 bytes is "
                               "longer than 40 bytes\n");
    CHECK_CONTAINS(inline_out, "1000|1000000007000|NULL|ok|125.000|2024-03-31 00:25:00|0\n");
    for (unsigned ahead = 1; ahead <= 8; ahead *= 2) {
        qo.read_ahead = ahead;
        n = read_all_opts(c, sql, NULL, &qo, ahead_out, sizeof(ahead_out));
        CHECK_EQ_INT(n, 1000);
        if (!CHECK_EQ_STR(ahead_out, inline_out)) {
            printf("  read_ahead %u differs from fetching inline\n", ahead);
        }
    }
    qo.read_ahead = 9;
    CHECK_EQ_INT(odbc_query_open(c, sql, NULL, &qo, &q, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "read_ahead is at most 8 blocks");

    /* closed after a few rows while the thread fetches ahead: the connection goes on */
    memset(&qo, 0, sizeof(qo));
    qo.read_ahead = 3;
    rc = odbc_query_open(c, "SELECT g FROM generate_series(1, 1000000) g", NULL, &qo, &q, err,
                         sizeof(err));
    if (CHECK_EQ_INT(rc, 0)) {
        for (int i = 0; i < 5; i++) {
            CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), 1);
        }
        CHECK_EQ_STR(row.fields[0].ptr, "5");
        odbc_query_close(q);
        q = NULL;
    }
    n = read_all_opts(c, "SELECT 'after' AS a", NULL, &qo, inline_out, sizeof(inline_out));
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(inline_out, "after\n");
    /* a query that fails while the thread fetches: the error reaches the reader, sticky */
    rc = odbc_query_open(c, "SELECT 1 / (g - 30000) FROM generate_series(1, 50000) g", NULL, &qo,
                         &q, err, sizeof(err));
    if (CHECK_EQ_INT(rc, 0)) {
        n = 0;
        while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1) {
            n++;
        }
        CHECK(rc < 0);
        CHECK(n >= 10000 && n < 30000);
        CHECK_CONTAINS(err, "division by zero");
        CHECK_EQ_INT(odbc_query_next(q, &row, err, sizeof(err)), rc);
        odbc_query_close(q);
        q = NULL;
    }
    odbc_conn_close(c);

    /* cancelled while the thread fetches */
    struct canceller k;
    pthread_t th;
    int64_t t0, ms;
    k.c = open_pg("pg", 0);
    k.delay_ms = 200;
    if (!k.c) {
        return;
    }
    rc = odbc_query_open(k.c, "SELECT g, md5(g::text) FROM generate_series(1, 50000000) g", NULL,
                         &qo, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        odbc_conn_close(k.c);
        return;
    }
    t0 = plat_monotonic_ms();
    pthread_create(&th, NULL, cancel_later, &k);
    n = 0;
    while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1) {
        n++;
    }
    ms = plat_monotonic_ms() - t0;
    pthread_join(th, NULL);
    CHECK_EQ_INT(rc, ACDL_ESTOP);
    CHECK(n > 0 && n < 50000000);
    odbc_query_close(q);
    ms = plat_monotonic_ms() - t0;
    CHECK(ms < 5000);
    printf("  read-ahead cancelled while fetching: after %ld rows, closed after %lld ms\n", n,
           (long long)ms);
    odbc_conn_close(k.c);
}

/* ------------------------------------------------------------------------------------------ */
/* a million rows: flat memory, rows/s, block cursor against row-at-a-time SQLGetData          */

/* Under ASan every malloc of the driver goes through the sanitizer's quarantine (up to 256 MiB
 * of freed blocks kept mapped) and everything runs several times slower, so the sanitizer build
 * reads a fifth of the rows, checks memory against a looser bound and does not compare speed. */
#define BIG_ROWS (UNDER_ASAN ? MILLION / 5 : MILLION)

static void big_sql(char *out, size_t outsz)
{
    snprintf(out, outsz,
             "SELECT g AS id, 'queue_' || (g %% 100) AS queue,\n"
             "       timestamp '2024-03-31 00:00' + (g %% 86400) * interval '1 second' AS ts,\n"
             "       g %% 7 AS offered, g %% 5 AS handled, (g %% 13) * 1.5 AS talk\n"
             "  FROM generate_series(1, %d) g",
             BIG_ROWS);
}

/* Reads big_sql() row by row with SQLFetch + SQLGetData per column (the slow, common way),
 * with the same streaming settings. Returns rows read, *ms the time taken. */
static long getdata_baseline(int64_t *ms)
{
    struct raw r;
    char cs[512], buf[256], sql[512];
    SQLHSTMT st;
    SQLSMALLINT ncols = 0, i;
    SQLLEN ind;
    long rows = 0;
    int64_t t0;

    pg_connstr(cs, sizeof(cs), "UseDeclareFetch=1;Fetch=10000;ReadOnly=1;");
    if (raw_open(&r, cs) != 0) {
        return -1;
    }
    big_sql(sql, sizeof(sql));
    t0 = plat_monotonic_ms();
    SQLAllocHandle(SQL_HANDLE_STMT, r.dbc, &st);
    if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS))) {
        raw_error(SQL_HANDLE_STMT, st, "baseline");
        rows = -1;
    } else {
        SQLNumResultCols(st, &ncols);
        while (SQL_SUCCEEDED(SQLFetch(st))) {
            for (i = 1; i <= ncols; i++) {
                SQLGetData(st, (SQLUSMALLINT)i, SQL_C_CHAR, buf, sizeof(buf), &ind);
            }
            rows++;
        }
    }
    *ms = plat_monotonic_ms() - t0;
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    raw_close(&r);
    return rows;
}

static void test_million_rows(void)
{
    struct odbc_conn *c = open_pg("pg", 0);
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[512], sql[512];
    long rows = 0, rss0, hwm, base_rows;
    unsigned long long bytes = 0;
    int64_t t0, ms, base_ms = 0;
    double rate, base_rate, growth_mib, limit_mib = UNDER_ASAN ? 512.0 : 64.0;
    int rc;

    if (!c) {
        return;
    }
    big_sql(sql, sizeof(sql));
    reset_peak_rss();
    rss0 = proc_status_kib("VmRSS");
    t0 = plat_monotonic_ms();
    rc = odbc_query_open(c, sql, NULL, NULL, &q, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, 0)) {
        printf("  %s\n", err);
        odbc_conn_close(c);
        return;
    }
    while ((rc = odbc_query_next(q, &row, err, sizeof(err))) == 1) {
        rows++;
        bytes += row.fields[1].len + row.fields[2].len;
    }
    ms = plat_monotonic_ms() - t0;
    hwm = proc_status_kib("VmHWM");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(rows, BIG_ROWS);
    CHECK(bytes > 0);
    odbc_query_close(q);
    odbc_conn_close(c);

    growth_mib = (double)(hwm - rss0) / 1024.0;
    rate = ms > 0 ? rows * 1000.0 / (double)ms : 0;
    printf("  block cursor (1000 rows, column-wise, UseDeclareFetch): %ld rows in %lld ms = "
           "%.0f rows/s; peak RSS growth %.1f MiB (RSS before %.1f MiB, limit %.0f MiB)\n",
           rows, (long long)ms, rate, growth_mib, rss0 / 1024.0, limit_mib);
    CHECK(hwm > 0);
    CHECK(growth_mib < limit_mib);

    base_rows = getdata_baseline(&base_ms);
    CHECK_EQ_INT(base_rows, BIG_ROWS);
    base_rate = base_ms > 0 ? base_rows * 1000.0 / (double)base_ms : 0;
    printf("  row-at-a-time SQLFetch + SQLGetData: %ld rows in %lld ms = %.0f rows/s; "
           "block/row-at-a-time = %.2fx\n",
           base_rows, (long long)base_ms, base_rate, base_rate > 0 ? rate / base_rate : 0);
    /* the block cursor must not be slower than the naive loop (lenient: CI machines are noisy,
     * and most of the time goes into the driver and the server either way) */
    CHECK(UNDER_ASAN || rate >= base_rate * 0.75);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(test_rewrite);
    RUN(test_connstr);
    RUN(test_presets_list);
    if (setup() != 0) {
        check_record(0, __FILE__, __LINE__,
                     "setup: a throwaway PostgreSQL cluster, psqlODBC, sqliteodbc and fixtures");
        stop_pg();
        if (g_tmp[0]) {
            check_tmpdir_done(g_tmp);
        }
        if (g_tmp[0]) {
            check_tmpdir_done(g_tmp);
        }
        return check_summary();
    }
    RUN(test_connect_errors);
    RUN(test_login_timeout);
    RUN(test_connect_ok);
    RUN(test_jit_default);
    RUN(test_read_only);
    RUN(test_period_binding);
    RUN(test_nulls_and_columns);
    RUN(test_typed_values);
    RUN(test_too_long);
    RUN(test_query_timeout);
    RUN(test_preset_avaya);
    RUN(test_preset_ucce);
    RUN(test_preset_asterisk);
    RUN(test_preset_mitel);
    RUN(test_preset_avaya_agents);
    RUN(test_preset_ucce_agents);
    RUN(test_preset_ucce_real_time);
    RUN(test_preset_ucce_state_trace);
    RUN(test_preset_twilio_events);
    RUN(test_preset_asterisk_agents);
    RUN(test_preset_asterisk_states);
    RUN(test_preset_asterisk_intervals);
    RUN(test_preset_uccx);
    RUN(test_preset_uccx_agents);
    RUN(test_preset_aacc);
    RUN(test_preset_aacc_agents);
    RUN(test_preset_cic);
    RUN(test_preset_cic_agents);
    RUN(test_sqlite);
    RUN(test_parts_sqlite);
    RUN(test_cancel);
    RUN(test_read_ahead);
    RUN(test_million_rows);
    stop_pg();
    check_tmpdir_done(g_tmp);
    return check_summary();
}
