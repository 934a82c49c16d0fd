/* test_queue_log.c: unit tests of the ODBC escapes turned into SQLite's forms for the queue_log
 * file preset (pipeline/queue_log.c): the shared preset's text compiles and computes in SQLite,
 * and what the translation refuses. */
#include <sqlite3.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "check.h"
#include "core/err.h"
#include "pipeline/queue_log.h"
#include "pipeline/source_cfg.h"

static void is(const char *in, const char *want)
{
    char out[256];
    if (CHECK_EQ_INT(queue_log_sql(in, out, sizeof(out)), ACDL_OK)) {
        CHECK_EQ_STR(out, want);
    }
}

static void refused(const char *in, int rc)
{
    char out[64];
    CHECK_EQ_INT(queue_log_sql(in, out, sizeof(out)), rc);
}

static void test_escapes(void)
{
    is("SELECT {fn CONCAT('PAUSED:', RTRIM(data1))}", "SELECT ('PAUSED:' || RTRIM(data1))");
    is("{fn CONCAT(a, f(b, c))}", "(a || f(b, c))");
    is("COALESCE(x, {ts '1970-01-01 00:00:00'})", "COALESCE(x, unixepoch('1970-01-01 00:00:00'))");
    is("'{fn CONCAT(' || \"{ts\"", "'{fn CONCAT(' || \"{ts\""); /* in quotes: text */
    refused("{fn CONCAT(a, {fn CONCAT(b, c)})}", ACDL_EINVAL);
    refused("{fn MOD(a, 2)}", ACDL_EINVAL);
    refused("{fn CONCAT(a, b)", ACDL_EINVAL);
    refused("{ts '1970-01-01'", ACDL_EINVAL);
    refused("'open", ACDL_EINVAL);
    refused("SELECT a_very_long_column_name_that_does_not_fit_in_the_buffer_given FROM t",
            ACDL_ETOOBIG);
}

/* The shared preset's SQL runs in SQLite over a table of lines with times in Unix seconds. */
static void test_preset_runs(void)
{
    const struct odbc_preset *p = odbc_preset_find(SOURCE_QUEUE_LOG_PRESET);
    static char sql[16384];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char got[512] = "";
    if (!CHECK(p != NULL) || !CHECK_EQ_INT(queue_log_sql(p->sql, sql, sizeof(sql)), ACDL_OK)) {
        return;
    }
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
                              "CREATE TABLE queue_log (time INTEGER, callid TEXT, queuename TEXT, "
                              "agent TEXT, event TEXT, data1 TEXT, data2 TEXT, data3 TEXT, data4 "
                              "TEXT, data5 TEXT);"
                              "INSERT INTO queue_log VALUES"
                              "(100, 'NONE', 'q', 'A', 'ADDMEMBER', '', '', '', '', ''),"
                              "(110, 'c1', 'q', 'A', 'CONNECT', '5', '', '', '', ''),"
                              "(120, 'NONE', 'q', 'A', 'PAUSE', 'lunch', '', '', '', ''),"
                              "(130, 'c1', 'q', 'A', 'COMPLETECALLER', '5', '20', '', '', ''),"
                              "(140, 'NONE', 'q', 'A', 'REMOVEMEMBER', '', '', '', '', '');",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    if (CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK)) {
        sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":period_start"), 0);
        sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":period_end"), 1000);
        while (sqlite3_step(s) == SQLITE_ROW) {
            size_t k = strlen(got);
            snprintf(got + k, sizeof(got) - k, "%s %s %lld;", sqlite3_column_text(s, 0),
                     sqlite3_column_text(s, 1), (long long)sqlite3_column_int64(s, 2));
        }
        /* the pause during the call shows from its end */
        CHECK_EQ_STR(got, "A AVAILABLE 100;A ONCALL 110;A PAUSED:lunch 130;A LOGGEDOUT 140;");
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

int main(void)
{
    RUN(test_escapes);
    RUN(test_preset_runs);
    return check_summary();
}
