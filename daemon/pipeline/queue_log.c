/* queue_log.c: Asterisk's queue_log file as agent states (see queue_log.h). */
#include "pipeline/queue_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "core/err.h"
#include "pipeline/source_cfg.h"

#define KEEP_S (8 * 86400)
#define SQL_MAX 16384

/* Appends n bytes of s to out at *k. */
static int put(char *out, size_t outsz, size_t *k, const char *s, size_t n)
{
    if (*k + n >= outsz) {
        return ACDL_ETOOBIG;
    }
    memcpy(out + *k, s, n);
    *k += n;
    out[*k] = '\0';
    return ACDL_OK;
}

int queue_log_sql(const char *in, char *out, size_t outsz)
{
    static const char concat[] = "{fn CONCAT(", ts[] = "{ts ";
    size_t k = 0, i = 0, n = strlen(in);
    int rc = ACDL_OK, depth = -1; /* depth of parentheses inside a CONCAT, -1: outside */
    char quote = 0;
    if (outsz == 0) {
        return ACDL_ETOOBIG;
    }
    out[0] = '\0';
    while (i < n && rc == ACDL_OK) {
        char ch = in[i];
        if (quote) {
            quote = ch == quote ? 0 : quote;
            rc = put(out, outsz, &k, &in[i++], 1);
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
            rc = put(out, outsz, &k, &in[i++], 1);
        } else if (!strncmp(in + i, concat, sizeof(concat) - 1)) {
            if (depth >= 0) {
                return ACDL_EINVAL; /* nested: not in the presets */
            }
            depth = 0;
            i += sizeof(concat) - 1;
            rc = put(out, outsz, &k, "(", 1);
        } else if (!strncmp(in + i, ts, sizeof(ts) - 1)) {
            const char *a = strchr(in + i + sizeof(ts) - 1, '\'');
            const char *b = a ? strchr(a + 1, '\'') : NULL;
            if (!b || b[1] != '}') {
                return ACDL_EINVAL;
            }
            rc = put(out, outsz, &k, "unixepoch(", 10);
            if (rc == ACDL_OK) {
                rc = put(out, outsz, &k, a, (size_t)(b - a + 1));
            }
            if (rc == ACDL_OK) {
                rc = put(out, outsz, &k, ")", 1);
            }
            i = (size_t)(b - in) + 2;
        } else if (ch == '{') {
            return ACDL_EINVAL; /* another escape */
        } else if (depth >= 0 && ch == '(') {
            depth++;
            rc = put(out, outsz, &k, &in[i++], 1);
        } else if (depth > 0 && ch == ')') {
            depth--;
            rc = put(out, outsz, &k, &in[i++], 1);
        } else if (depth == 0 && ch == ',') {
            i++;
            rc = put(out, outsz, &k, " ||", 3);
        } else if (depth == 0 && ch == ')') {
            if (i + 1 >= n || in[i + 1] != '}') {
                return ACDL_EINVAL;
            }
            depth = -1;
            i += 2;
            rc = put(out, outsz, &k, ")", 1);
        } else {
            rc = put(out, outsz, &k, &in[i++], 1);
        }
    }
    return rc == ACDL_OK && (quote || depth >= 0) ? ACDL_EINVAL : rc;
}

int queue_log_prepare(struct store_conn *c)
{
    const char *sql = "CREATE TEMP TABLE IF NOT EXISTS qlog_new (time INTEGER NOT NULL, callid "
                      "TEXT NOT NULL, queuename TEXT NOT NULL, agent TEXT NOT NULL, event TEXT NOT "
                      "NULL, data1 TEXT NOT NULL, data2 TEXT NOT NULL, data3 TEXT NOT NULL, data4 "
                      "TEXT NOT NULL, data5 TEXT NOT NULL); DELETE FROM temp.qlog_new;";
    return sqlite3_exec(store_db(c), sql, NULL, NULL, NULL) == SQLITE_OK ? ACDL_OK : ACDL_EDB;
}

/* Unix seconds in s (n bytes): 0 with *out, or -1. */
static int unix_seconds(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0 || n > 12) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int queue_log_row(struct rows *r)
{
    int64_t t = 0;
    if (r->nraw < 5 || r->null[0] || unix_seconds(r->val[0], r->len[0], &t) != 0) {
        rows_reject_column(r, 0, 1,
                           rows_why("row.queue_log_time",
                                    "a queue_log line starts with its time in Unix seconds"));
        return ACDL_OK;
    }
    if (r->null[4] || r->len[4] == 0) {
        rows_reject_column(r, 4, 1, rows_why("row.no_activity", "no activity code"));
        return ACDL_OK;
    }
    if (r->preview_row) {
        r->k.rows_staged++;
        return ACDL_OK;
    }
    sqlite3_stmt *s = store_prepare(r->c, "INSERT INTO temp.qlog_new VALUES (?, ?, ?, ?, ?, ?, ?, "
                                          "?, ?, ?)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, t);
    for (int i = 1; i < 10; i++) {
        int has = i < r->nraw && !r->null[i];
        sqlite3_bind_text(s, i + 1, has ? r->val[i] : "", has ? (int)r->len[i] : 0,
                          SQLITE_TRANSIENT);
    }
    int rc = store_step_done(r->c, s, "keeping queue_log lines");
    store_done(s);
    if (rc == ACDL_OK) {
        r->k.rows_staged++;
    }
    return rc;
}

/* Runs sql with source_id bound as ?1. */
static int exec_source(struct store_conn *c, const char *sql, int64_t source_id)
{
    sqlite3_stmt *s = store_prepare(c, sql);
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    return rc;
}

/* The local day of each derived state (they come with day ''). */
static int fill_days(struct store_conn *c, struct tz *tz)
{
    sqlite3_stmt *q = store_prepare(c, "SELECT rowid, start FROM temp.agent_acc WHERE day = ''");
    sqlite3_stmt *u = store_prepare(c, "UPDATE temp.agent_acc SET day = ? WHERE rowid = ?");
    int rc = q && u ? ACDL_OK : ACDL_EDB;
    while (rc == ACDL_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tz_date d;
        int minute = 0, second = 0;
        char ds[11];
        tz_utc_to_local(tz, sqlite3_column_int64(q, 1), &d, &minute, &second, NULL);
        tz_date_format(d, ds);
        sqlite3_bind_text(u, 1, ds, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 2, sqlite3_column_int64(q, 0));
        rc = sqlite3_step(u) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        sqlite3_reset(u);
    }
    store_done(q);
    store_done(u);
    return rc;
}

int queue_log_derive(struct store_conn *c, int64_t source_id, struct tz *tz, int64_t from,
                     int64_t to, const char *file, int64_t *added, char *err, size_t errsz)
{
    const struct odbc_preset *p = odbc_preset_find(SOURCE_QUEUE_LOG_PRESET);
    char *sql = malloc(SQL_MAX), *ins = malloc(SQL_MAX + 256);
    char view[200];
    int rc = p && sql && ins ? ACDL_OK : ACDL_ENOMEM;
    sqlite3_stmt *s = NULL;
    *added = 0;
    if (rc == ACDL_OK && queue_log_sql(p->sql, sql, SQL_MAX) != ACDL_OK) {
        snprintf(err, errsz, "the preset's SQL has an escape SQLite cannot take");
        rc = ACDL_EINVAL;
    }
    if (rc == ACDL_OK && from == INT64_MIN) { /* a poll: from its first new line on */
        s = store_prepare(c, "SELECT min(time) FROM temp.qlog_new");
        from = INT64_MAX;
        if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
            from = sqlite3_column_int64(s, 0);
        }
        store_done(s);
    }
    if (rc == ACDL_OK) {
        rc = exec_source(c,
                         "INSERT OR IGNORE INTO queue_log_lines SELECT ?1, * FROM "
                         "temp.qlog_new",
                         source_id);
    }
    if (rc == ACDL_OK) {
        rc = exec_source(c,
                         "DELETE FROM queue_log_lines WHERE source_id = ?1 AND time < (SELECT "
                         "max(time) FROM queue_log_lines WHERE source_id = ?1) - 691200",
                         source_id);
    }
    /* the preset's table: this source's lines (a view cannot take a parameter: the id is a
     * number written into it) */
    snprintf(view, sizeof(view),
             "CREATE TEMP VIEW queue_log AS SELECT time, callid, queuename, agent, event, data1, "
             "data2, data3, data4, data5 FROM main.queue_log_lines WHERE source_id = %lld",
             (long long)source_id);
    if (rc == ACDL_OK && (sqlite3_exec(store_db(c), "DROP VIEW IF EXISTS temp.queue_log", NULL,
                                       NULL, NULL) != SQLITE_OK ||
                          sqlite3_exec(store_db(c), view, NULL, NULL, NULL) != SQLITE_OK)) {
        rc = ACDL_EDB;
    }
    if (rc == ACDL_OK && from < to) {
        snprintf(ins, SQL_MAX + 256,
                 "INSERT INTO temp.agent_acc (ext_agent, code, start, end, day, name, file, line, "
                 "cursor) SELECT agent_id, activity_id, start_time, NULL, '', NULL, :file, 0, "
                 "NULL FROM (%s)",
                 sql);
        s = store_prepare(c, ins);
        if (!s) {
            snprintf(err, errsz, "the preset's SQL does not compile in SQLite: %s",
                     sqlite3_errmsg(store_db(c)));
            rc = ACDL_EDB;
        } else {
            sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":period_start"), from);
            sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":period_end"), to);
            sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":file"), file, -1,
                              SQLITE_TRANSIENT);
            rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
            *added = sqlite3_changes64(store_db(c));
            if (rc != ACDL_OK) {
                snprintf(err, errsz, "deriving the states failed: %s", sqlite3_errmsg(store_db(c)));
            }
            store_done(s);
        }
    }
    if (rc == ACDL_OK) {
        rc = fill_days(c, tz);
    }
    free(sql);
    free(ins);
    return rc;
}
