/* expr.c: compiling and evaluating SQLite expressions under a strict authorizer. */
#include "pipeline/expr.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"

/* SQLite's date and time functions, taken only with values that do not depend on the clock or
 * the machine (see date_call). */
static const char *const date_functions[] = {"date",      "time",     "datetime",
                                             "julianday", "strftime", "unixepoch"};
#define DATE_FNS ((int)(sizeof(date_functions) / sizeof(date_functions[0])))
#define DATE_MAX_ARGS 16 /* SQLITE_LIMIT_FUNCTION_ARG below */

struct expr;
struct date_fn {
    struct expr *e;
    int fn;
};

struct expr {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int nvars;
    unsigned char *numcmp; /* per variable: compared with a number literal in the text */
    struct date_fn dfn[DATE_FNS];
    sqlite3 *dates; /* opened at the first date function call: SQLite's own functions */
    sqlite3_stmt *date_stmt[DATE_FNS][DATE_MAX_ARGS + 1];
};

/* Pure functions an expression may call, in the order the error message lists them. */
static const char *const allowed_functions[] = {
    "abs",       "ceil",    "ceiling", "coalesce", "date",      "datetime",  "floor",    "format",
    "glob",      "ifnull",  "iif",     "instr",    "julianday", "length",    "like",     "likely",
    "lower",     "ltrim",   "max",     "min",      "mod",       "nullif",    "pow",      "power",
    "printf",    "replace", "round",   "rtrim",    "sign",      "sqrt",      "strftime", "substr",
    "substring", "time",    "trim",    "trunc",    "typeof",    "unixepoch", "unlikely", "upper",
};

const char *expr_allowed_functions(void)
{
    static char list[600];
    if (!list[0]) {
        size_t used = 0;
        for (size_t i = 0; i < sizeof(allowed_functions) / sizeof(allowed_functions[0]); i++) {
            int k = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                             allowed_functions[i]);
            if (k < 0 || (size_t)k >= sizeof(list) - used) {
                break;
            }
            used += (size_t)k;
        }
    }
    return list;
}

/* 'now', 'localtime' and 'utc' (any case, blanks around them ignored): the date functions read
 * the clock or the machine's time zone for them. */
static int clock_word(const char *s, size_t n)
{
    static const char *const words[] = {"now", "localtime", "utc"};
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        if (strlen(words[w]) == n && sqlite3_strnicmp(s, words[w], (int)n) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char clock_refusal[] =
    "'now', 'localtime' and 'utc' are not allowed in expressions: they depend on the clock or "
    "the machine's time zone (give the date functions a column or a fixed time)";

/* date(), datetime(), ... with their arguments checked, evaluated by SQLite's own function on a
 * second private connection (whose statements are kept per function and argument count). */
static void date_call(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct date_fn *d = sqlite3_user_data(ctx);
    struct expr *e = d->e;
    const char *name = date_functions[d->fn];
    char msg[400];
    if (argc == (strcmp(name, "strftime") == 0 ? 1 : 0)) {
        snprintf(msg, sizeof(msg),
                 "%s() needs a time value: without one it means now, which "
                 "is not allowed",
                 name);
        sqlite3_result_error(ctx, msg, -1);
        return;
    }
    if (argc > DATE_MAX_ARGS) {
        sqlite3_result_error(ctx, "too many arguments", -1);
        return;
    }
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_TEXT &&
            clock_word((const char *)sqlite3_value_text(argv[i]),
                       (size_t)sqlite3_value_bytes(argv[i]))) {
            snprintf(msg, sizeof(msg), "%s(): %s", name, clock_refusal);
            sqlite3_result_error(ctx, msg, -1);
            return;
        }
    }
    if (!e->dates &&
        sqlite3_open_v2(":memory:", &e->dates, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_stmt **st = &e->date_stmt[d->fn][argc];
    if (!*st) {
        char sql[160];
        size_t used = (size_t)snprintf(sql, sizeof(sql), "SELECT %s(", name);
        for (int i = 0; i < argc; i++) {
            used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s?", i ? "," : "");
        }
        snprintf(sql + used, sizeof(sql) - used, ")");
        if (sqlite3_prepare_v3(e->dates, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
            SQLITE_OK) {
            snprintf(msg, sizeof(msg), "%s(): %s", name, sqlite3_errmsg(e->dates));
            sqlite3_result_error(ctx, msg, -1);
            return;
        }
    }
    for (int i = 0; i < argc; i++) {
        sqlite3_bind_value(*st, i + 1, argv[i]);
    }
    if (sqlite3_step(*st) == SQLITE_ROW) {
        sqlite3_result_value(ctx, sqlite3_column_value(*st, 0));
    } else {
        snprintf(msg, sizeof(msg), "%s(): %s", name, sqlite3_errmsg(e->dates));
        sqlite3_result_error(ctx, msg, -1);
    }
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
}

/* --- a light scan of the text: string literals and comparisons with number literals --- */

enum tok { TK_OTHER = 0, TK_NAME, TK_NUMBER, TK_CMP };

static int is_ident(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (unsigned char)c >= 0x80 || (!first && c >= '0' && c <= '9');
}

/* Index of the variable spelled by the n bytes at s (ASCII case ignored), or -1. */
static int var_index(const char *const *names, int nnames, const char *s, size_t n)
{
    for (int i = 0; i < nnames; i++) {
        if (strlen(names[i]) == n && sqlite3_strnicmp(names[i], s, (int)n) == 0) {
            return i;
        }
    }
    return -1;
}

/* Marks in numcmp the variables compared with a number literal ("x > 0", "0 < x"), and
 * refuses a string literal that names the clock in a text that calls a date function. Quoted names
 * ("a b", [a b], `a b`) count; a name doubled quote inside is not looked up (the scan is a hint,
 * not a parser). */
static int scan_text(const char *text, const char *const *names, int nnames, unsigned char *numcmp,
                     char *err, size_t errsz)
{
    enum tok prev2 = TK_OTHER, prev = TK_OTHER;
    int prev_var = -1, prev2_var = -1, clock_literal = 0, dates = 0;
    const char *p = text;
    while (*p) {
        enum tok t = TK_OTHER;
        int var = -1;
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            p++;
            continue;
        }
        if (c == '\'') {
            const char *q = ++p;
            while (*p && !(*p == '\'' && p[1] != '\'')) {
                p += *p == '\'' ? 2 : 1;
            }
            clock_literal |= clock_word(q, (size_t)(p - q));
            p += *p ? 1 : 0;
        } else if (c == '"' || c == '[' || c == '`') {
            char close = c == '[' ? ']' : c;
            const char *q = ++p;
            while (*p && *p != close) {
                p++;
            }
            t = TK_NAME;
            var = var_index(names, nnames, q, (size_t)(p - q));
            p += *p ? 1 : 0;
        } else if (is_ident(c, 1)) {
            const char *q = p;
            while (*p && is_ident(*p, 0)) {
                p++;
            }
            t = TK_NAME;
            var = var_index(names, nnames, q, (size_t)(p - q));
            for (int f = 0; f < DATE_FNS && var < 0; f++) {
                dates |= strlen(date_functions[f]) == (size_t)(p - q) &&
                         sqlite3_strnicmp(date_functions[f], q, (int)(p - q)) == 0;
            }
        } else if ((c >= '0' && c <= '9') || (c == '.' && p[1] >= '0' && p[1] <= '9')) {
            while (*p &&
                   ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == 'x' ||
                    *p == 'X' || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))) {
                p++;
            }
            t = TK_NUMBER;
        } else if (c == '<' || c == '>' || c == '=' || c == '!') {
            while (*p == '<' || *p == '>' || *p == '=' || *p == '!') {
                p++;
            }
            t = TK_CMP;
        } else if (c == '-' && prev == TK_CMP) {
            p++;
            continue; /* a sign: the number follows */
        } else {
            p++;
        }
        if (prev == TK_CMP && numcmp) {
            if (t == TK_NUMBER && prev2 == TK_NAME && prev2_var >= 0) {
                numcmp[prev2_var] = 1;
            } else if (t == TK_NAME && var >= 0 && prev2 == TK_NUMBER) {
                numcmp[var] = 1;
            }
        }
        prev2 = prev;
        prev2_var = prev_var;
        prev = t;
        prev_var = var;
    }
    if (clock_literal && dates) {
        snprintf(err, errsz, "%s", clock_refusal);
        why_note(err, "expr.clock", NULL);
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

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
                 "the expression uses something that is not allowed: only the named values, "
                 "operators, CASE, CAST and these functions: %s",
                 expr_allowed_functions());
        why_note(err, "expr.not_allowed",
                 json_pack("{s:s}", "functions", expr_allowed_functions()));
    } else if (strncmp(msg, "no such column: ", 16) == 0) {
        snprintf(err, errsz, "unknown name '%s' (it is neither a field nor a function)",
                 msg + 16);
        why_note(err, "expr.unknown_name", json_pack("{s:s}", "name", msg + 16));
    } else if (strncmp(msg, "no such function: ", 18) == 0) {
        snprintf(err, errsz, "unknown function '%s' (the functions are: %s)", msg + 18,
                 expr_allowed_functions());
        why_note(err, "expr.unknown_function",
                 json_pack("{s:s, s:s}", "name", msg + 18, "functions", expr_allowed_functions()));
    } else {
        snprintf(err, errsz, "%s in \"%.80s\"", msg, text);
        /* SQLite's own words stay a quoted detail */
        why_note(err, "expr.sqlite",
                 json_pack("{s:s, s:s%}", "detail", msg, "text", text, strnlen(text, 80)));
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
        why_note(err, "expr.length", json_pack("{s:i}", "max", EXPR_MAX_TEXT));
        return ACDL_EINVAL;
    }
    if (n < 0 || n > EXPR_MAX_NAMES) {
        snprintf(err, errsz, "too many names (at most %d)", EXPR_MAX_NAMES);
        why_note(err, "expr.too_many_names", json_pack("{s:i}", "max", EXPR_MAX_NAMES));
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
    if (!sql || !e || !(e->numcmp = calloc((size_t)n + 1, 1))) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    if (scan_text(text, names, n, e->numcmp, err, errsz) != ACDL_OK) {
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
        why_note(err, "expr.engine", NULL);
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
    for (int f = 0; f < DATE_FNS; f++) {
        e->dfn[f].e = e;
        e->dfn[f].fn = f;
        if (sqlite3_create_function_v2(e->db, date_functions[f], -1,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, &e->dfn[f], date_call,
                                       NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errsz, "cannot prepare the expression engine");
            why_note(err, "expr.engine_prepare", NULL);
            rc = ACDL_ENOMEM;
            goto out;
        }
    }
    sqlite3_set_authorizer(e->db, authorize, NULL);
    const char *tail = NULL;
    if (sqlite3_prepare_v3(e->db, sql, (int)used, SQLITE_PREPARE_PERSISTENT, &e->stmt, &tail) !=
        SQLITE_OK) {
        explain(e->db, text, err, errsz);
        goto out;
    }
    if (tail && *tail) {
        snprintf(err, errsz, "the expression must be one expression (no ';')");
        why_note(err, "expr.one_expression", NULL);
        goto out;
    }
    if (sqlite3_column_count(e->stmt) != 1 || !sqlite3_stmt_readonly(e->stmt)) {
        snprintf(err, errsz, "the expression must be one value");
        why_note(err, "expr.one_value", NULL);
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
        for (int f = 0; f < DATE_FNS; f++) {
            for (int a = 0; a <= DATE_MAX_ARGS; a++) {
                sqlite3_finalize(e->date_stmt[f][a]);
            }
        }
        sqlite3_close(e->dates);
        free(e->numcmp);
        free(e);
    }
}

int expr_compares_to_number(const struct expr *e, int i)
{
    return i >= 0 && i < e->nvars && e->numcmp[i];
}

int expr_text_number(const char *s, size_t n, int64_t *iv, double *dv)
{
    char buf[32];
    size_t i = 0, digits = 0, dots = 0;
    if (n == 0 || n >= sizeof(buf)) {
        return 0;
    }
    if (s[0] == '-' || s[0] == '+') {
        i = 1;
    }
    size_t first = i;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digits++;
        } else if (s[i] == '.') {
            dots++;
        } else {
            return 0;
        }
    }
    /* "007" stays text (ids keep their zeros); "0", "0.5" and "10" are numbers */
    if (digits == 0 || dots > 1 || s[n - 1] == '.' || s[first] == '.' ||
        (s[first] == '0' && n > first + 1 && s[first + 1] != '.')) {
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (dots == 0 && digits <= 18) {
        *iv = strtoll(buf, NULL, 10);
        return 1;
    }
    *dv = strtod(buf, NULL);
    return 2;
}

int expr_bind_int64(struct expr *e, int i, int64_t v)
{
    if (i < 0 || i >= e->nvars) {
        return ACDL_EINVAL;
    }
    return sqlite3_bind_int64(e->stmt, i + 1, v) == SQLITE_OK ? ACDL_OK : ACDL_EINVAL;
}

int expr_bind_field(struct expr *e, int i, const char *s, size_t len)
{
    int64_t iv = 0;
    double dv = 0;
    switch (expr_text_number(s, len, &iv, &dv)) {
    case 1: return expr_bind_int64(e, i, iv);
    case 2: return expr_bind_double(e, i, dv);
    default: return expr_bind_text(e, i, s, (int)len);
    }
}

/* SQLite's message of a failed evaluation into err, noted with its code: SQLite's own words
 * stay a quoted detail. */
static void expr_eval_failed(struct expr *e, char *err, size_t errsz)
{
    snprintf(err, errsz, "%s", sqlite3_errmsg(e->db));
    why_note(err, "expr.eval", json_pack("{s:s}", "detail", err));
}

int expr_eval_value(struct expr *e, struct expr_value *v, char *text, size_t textsz, char *err,
                    size_t errsz)
{
    int rc = ACDL_OK;
    int r = sqlite3_step(e->stmt);
    text[0] = '\0';
    v->kind = EXPR_NULL;
    v->num = 0;
    if (r == SQLITE_ROW) {
        int t = sqlite3_column_type(e->stmt, 0);
        if (t != SQLITE_NULL) {
            const unsigned char *s = sqlite3_column_text(e->stmt, 0);
            snprintf(text, textsz, "%s", s ? (const char *)s : "");
            v->kind = t == SQLITE_INTEGER ? EXPR_INTEGER
                      : t == SQLITE_FLOAT ? EXPR_REAL
                                          : EXPR_TEXT;
            v->num = t == SQLITE_INTEGER ? (double)sqlite3_column_int64(e->stmt, 0)
                                         : sqlite3_column_double(e->stmt, 0);
            v->inum = sqlite3_column_int64(e->stmt, 0);
        }
    } else if (r != SQLITE_DONE) {
        expr_eval_failed(e, err, errsz);
        rc = ACDL_EINVAL;
    }
    sqlite3_reset(e->stmt);
    return rc;
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
        expr_eval_failed(e, err, errsz);
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
        expr_eval_failed(e, err, errsz);
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
