/* expr.c: compiling and evaluating SQLite expressions under a strict authorizer. */
#include "pipeline/expr.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct expr {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int nvars;
};

/* Pure functions an expression may call. */
static const char *const allowed_functions[] = {
    "abs",    "round",  "min",    "max",     "coalesce", "ifnull", "nullif", "iif",
    "length", "lower",  "upper",  "trim",    "ltrim",    "rtrim",  "substr", "substring",
    "instr",  "replace", "typeof", "sign",   "floor",    "ceil",   "ceiling", "trunc",
    "like",   "glob",   "printf", "format",  "mod",      "pow",    "power",  "sqrt",
    "likely", "unlikely",
};

static int authorize(void *ctx, int action, const char *a, const char *b, const char *c,
                     const char *d)
{
    (void)ctx;
    (void)b;
    (void)c;
    (void)d;
    switch (action) {
    case SQLITE_SELECT:
        return SQLITE_OK;
    case SQLITE_READ:
        /* columns of our own subquery have no table; every real table is refused */
        return a == NULL ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_FUNCTION:
        for (size_t i = 0; i < sizeof(allowed_functions) / sizeof(allowed_functions[0]); i++) {
            if (b && sqlite3_stricmp(b, allowed_functions[i]) == 0) {
                return SQLITE_OK;
            }
        }
        return SQLITE_DENY;
    default:
        return SQLITE_DENY;
    }
}

static int append(char *buf, size_t sz, size_t *used, const char *s, size_t n)
{
    if (*used + n + 1 > sz) {
        return ACDL_ETOOBIG;
    }
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
    return ACDL_OK;
}

/* Turns SQLite's message into ours: an unknown column is an unknown name, and a refused
 * function or table is named. */
static void explain(sqlite3 *db, const char *text, char *err, size_t errsz)
{
    const char *msg = sqlite3_errmsg(db);
    if (strstr(msg, "not authorized")) {
        snprintf(err, errsz,
                 "the expression uses something that is not allowed (only the named values "
                 "and pure functions such as abs, round, min, max, coalesce, iif, substr)");
    } else if (strncmp(msg, "no such column: ", 16) == 0) {
        snprintf(err, errsz, "unknown name '%s' (it is neither a field nor a function)",
                 msg + 16);
    } else if (strncmp(msg, "no such function: ", 18) == 0) {
        snprintf(err, errsz, "unknown function '%s'", msg + 18);
    } else {
        snprintf(err, errsz, "%s in \"%.80s\"", msg, text);
    }
}

int expr_compile(const char *text, const char *const *names, int n, struct expr **out, char *err,
                 size_t errsz)
{
    char *sql = NULL;
    size_t used = 0, sz;
    int rc = ACDL_EINVAL;
    struct expr *e = NULL;
    size_t tl = strlen(text);

    if (tl == 0 || tl > EXPR_MAX_TEXT) {
        snprintf(err, errsz, "the expression must be 1 to %d characters long", EXPR_MAX_TEXT);
        return ACDL_EINVAL;
    }
    if (n < 0 || n > EXPR_MAX_NAMES) {
        snprintf(err, errsz, "too many names (at most %d)", EXPR_MAX_NAMES);
        return ACDL_EINVAL;
    }
    /* A ';' outside strings would start a second statement: prepare stops there, so check
     * that the whole text was consumed (below). */
    sz = tl + 64;
    for (int i = 0; i < n; i++) {
        sz += 2 * strlen(names[i]) + 24;
    }
    sql = malloc(sz);
    e = calloc(1, sizeof(*e));
    if (!sql || !e) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    used = 0;
    sql[0] = '\0';
    append(sql, sz, &used, "SELECT (", 8);
    append(sql, sz, &used, text, tl);
    append(sql, sz, &used, "\n)", 2);
    if (n > 0) {
        append(sql, sz, &used, " FROM (SELECT ", 14);
        for (int i = 0; i < n; i++) {
            char num[24];
            int k = snprintf(num, sizeof(num), "%s?%d AS \"", i ? ", " : "", i + 1);
            append(sql, sz, &used, num, (size_t)k);
            for (const char *p = names[i]; *p; p++) {
                append(sql, sz, &used, p, 1);
                if (*p == '"') {
                    append(sql, sz, &used, "\"", 1); /* a quote in a name is doubled */
                }
            }
            append(sql, sz, &used, "\"", 1);
        }
        append(sql, sz, &used, ")", 1);
    }
    if (sqlite3_open_v2(":memory:", &e->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errsz, "cannot open the expression engine");
        rc = ACDL_ENOMEM;
        goto out;
    }
    /* Keep hostile expressions cheap. */
    sqlite3_limit(e->db, SQLITE_LIMIT_EXPR_DEPTH, 100);
    sqlite3_limit(e->db, SQLITE_LIMIT_LENGTH, 1000000);
    sqlite3_limit(e->db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 200);
    sqlite3_limit(e->db, SQLITE_LIMIT_FUNCTION_ARG, 16);
    sqlite3_limit(e->db, SQLITE_LIMIT_COMPOUND_SELECT, 1);
    sqlite3_db_config(e->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    sqlite3_db_config(e->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(e->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_set_authorizer(e->db, authorize, NULL);
    const char *tail = NULL;
    if (sqlite3_prepare_v3(e->db, sql, (int)used, SQLITE_PREPARE_PERSISTENT, &e->stmt, &tail) !=
        SQLITE_OK) {
        explain(e->db, text, err, errsz);
        goto out;
    }
    if (tail && *tail) {
        snprintf(err, errsz, "the expression must be one expression (no ';')");
        goto out;
    }
    if (sqlite3_column_count(e->stmt) != 1 || !sqlite3_stmt_readonly(e->stmt)) {
        snprintf(err, errsz, "the expression must be one value");
        goto out;
    }
    e->nvars = n;
    *out = e;
    e = NULL;
    rc = ACDL_OK;
out:
    free(sql);
    expr_free(e);
    return rc;
}

void expr_free(struct expr *e)
{
    if (e) {
        sqlite3_finalize(e->stmt);
        sqlite3_close(e->db);
        free(e);
    }
}

int expr_bind_double(struct expr *e, int i, double v)
{
    if (i < 0 || i >= e->nvars) {
        return ACDL_EINVAL;
    }
    return sqlite3_bind_double(e->stmt, i + 1, v) == SQLITE_OK ? ACDL_OK : ACDL_EINVAL;
}

int expr_bind_text(struct expr *e, int i, const char *s, int len)
{
    if (i < 0 || i >= e->nvars) {
        return ACDL_EINVAL;
    }
    return sqlite3_bind_text(e->stmt, i + 1, s, len, SQLITE_TRANSIENT) == SQLITE_OK ? ACDL_OK
                                                                                    : ACDL_EINVAL;
}

int expr_bind_null(struct expr *e, int i)
{
    if (i < 0 || i >= e->nvars) {
        return ACDL_EINVAL;
    }
    return sqlite3_bind_null(e->stmt, i + 1) == SQLITE_OK ? ACDL_OK : ACDL_EINVAL;
}

int expr_eval(struct expr *e, double *out, int *is_null, char *err, size_t errsz)
{
    int rc = ACDL_OK;
    int r = sqlite3_step(e->stmt);
    if (r == SQLITE_ROW) {
        *is_null = sqlite3_column_type(e->stmt, 0) == SQLITE_NULL;
        *out = *is_null ? 0.0 : sqlite3_column_double(e->stmt, 0);
    } else if (r == SQLITE_DONE) {
        *is_null = 1;
        *out = 0.0;
    } else {
        snprintf(err, errsz, "%s", sqlite3_errmsg(e->db));
        rc = ACDL_EINVAL;
    }
    sqlite3_reset(e->stmt);
    return rc;
}

int expr_eval_text(struct expr *e, char *out, size_t outsz, int *is_null, char *err,
                   size_t errsz)
{
    int rc = ACDL_OK;
    int r = sqlite3_step(e->stmt);
    out[0] = '\0';
    *is_null = 1;
    if (r == SQLITE_ROW) {
        *is_null = sqlite3_column_type(e->stmt, 0) == SQLITE_NULL;
        if (!*is_null) {
            const unsigned char *t = sqlite3_column_text(e->stmt, 0);
            snprintf(out, outsz, "%s", t ? (const char *)t : "");
        }
    } else if (r != SQLITE_DONE) {
        snprintf(err, errsz, "%s", sqlite3_errmsg(e->db));
        rc = ACDL_EINVAL;
    }
    sqlite3_reset(e->stmt);
    return rc;
}

int expr_eval_bool(struct expr *e, int *truth, char *err, size_t errsz)
{
    double v;
    int is_null;
    int rc = expr_eval(e, &v, &is_null, err, errsz);
    if (rc == ACDL_OK) {
        *truth = !is_null && v != 0.0;
    }
    return rc;
}
