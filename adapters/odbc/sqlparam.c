/* sqlparam.c: rewrites the named period and cursor parameters of a source query into ODBC ?
 * markers.
 *
 * A small lexer, not a parser: it only needs to know where string literals, quoted identifiers
 * and comments begin and end, so that ':period_start' inside '...' or -- ... is left alone.
 * The dialect rules are the common ground of the databases ACDs use (Informix, SQL Server,
 * PostgreSQL, MySQL, Oracle, SQLite):
 *   '...'  with '' inside; E'...' (PostgreSQL) also with backslash escapes
 *   "..."  and `...` quoted identifiers with the quote doubled inside
 *   $tag$...$tag$  PostgreSQL dollar quoting ($1 and a$b are not dollar quotes)
 *   -- to the end of the line; / * ... * / nested (PostgreSQL and SQL Server nest them)
 *   ::     a PostgreSQL cast, never a parameter
 * Brackets ([name], SQL Server) are not treated as quotes: a[lo:hi] is an array slice in
 * PostgreSQL, and ':' after an identifier character is not a parameter anyway. Backslashes in
 * plain '...' literals are ordinary characters (standard SQL; MySQL users write '' instead). */
#include "adapters/odbc/odbc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static const struct {
    const char *name;
    enum odbc_param_id id;
} known_params[] = {
    {"period_start", ODBC_PARAM_PERIOD_START},
    {"period_end", ODBC_PARAM_PERIOD_END},
    {"since", ODBC_PARAM_SINCE},
    {"until", ODBC_PARAM_UNTIL},
};

static int is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static int lower_ascii(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int name_equals(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (lit[i] == '\0' || lower_ascii((unsigned char)s[i]) != lit[i]) {
            return 0;
        }
    }
    return lit[n] == '\0';
}

/* Line and column (1-based, bytes) of offset off. */
static void position_of(const char *sql, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1, i;
    for (i = 0; i < off; i++) {
        if (sql[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static void set_err_at(char *err, size_t errsz, const char *sql, size_t off, const char *what)
{
    size_t line, col;
    if (!err || errsz == 0) {
        return;
    }
    position_of(sql, off, &line, &col);
    snprintf(err, errsz, "%s at line %lu, column %lu", what, (unsigned long)line,
             (unsigned long)col);
}

/* Skips a quoted run starting at sql[i] == q, with q doubled inside (and backslash escapes
 * when bs). Returns the index after the closing quote, or 0 when unterminated. */
static size_t skip_quoted(const char *sql, size_t len, size_t i, char q, int bs)
{
    i++;
    while (i < len) {
        if (bs && sql[i] == '\\' && i + 1 < len) {
            i += 2;
            continue;
        }
        if (sql[i] == q) {
            if (i + 1 < len && sql[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return 0;
}

/* Skips a (nested) block comment starting at sql[i] == '/', sql[i+1] == '*'. Returns the
 * index after it, or 0 when unterminated. */
static size_t skip_block_comment(const char *sql, size_t len, size_t i)
{
    size_t depth = 0;
    while (i + 1 < len) {
        if (sql[i] == '/' && sql[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (sql[i] == '*' && sql[i + 1] == '/') {
            depth--;
            i += 2;
            if (depth == 0) {
                return i;
            }
        } else {
            i++;
        }
    }
    return 0;
}

/* When sql[i] == '$' opens a dollar quote ($$ or $tag$), returns the length of the opening
 * delimiter, else 0. */
static size_t dollar_tag_len(const char *sql, size_t len, size_t i)
{
    size_t j = i + 1;
    if (i > 0 && is_ident_char((unsigned char)sql[i - 1])) {
        return 0;
    }
    if (j < len && sql[j] == '$') {
        return 2;
    }
    if (j >= len || !is_ident_start((unsigned char)sql[j])) {
        return 0;
    }
    while (j < len && is_ident_char((unsigned char)sql[j]) && sql[j] != '$') {
        j++;
    }
    if (j < len && sql[j] == '$') {
        return j - i + 1;
    }
    return 0;
}

/* Skips a dollar-quoted string whose delimiter (tag bytes) starts at sql[i]. Returns the index
 * after the closing delimiter, or 0 when unterminated. */
static size_t skip_dollar(const char *sql, size_t len, size_t i, size_t tag)
{
    size_t j = i + tag;
    while (j + tag <= len) {
        if (sql[j] == '$' && memcmp(sql + j, sql + i, tag) == 0) {
            return j + tag;
        }
        j++;
    }
    return 0;
}

int odbc_sql_rewrite(const char *sql, struct odbc_sql *out, char *err, size_t errsz)
{
    size_t len, i = 0, o = 0;
    char *text = NULL;
    int rc = ACDL_OK;

    if (err && errsz) {
        err[0] = '\0';
    }
    if (!out) {
        return ACDL_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (!sql) {
        if (err && errsz) {
            snprintf(err, errsz, "no SQL given");
        }
        return ACDL_EINVAL;
    }
    len = strlen(sql);
    if (len > ODBC_SQL_MAX_BYTES) {
        if (err && errsz) {
            snprintf(err, errsz, "SQL text is %lu bytes, longer than the limit of %d",
                     (unsigned long)len,
                     ODBC_SQL_MAX_BYTES);
        }
        return ACDL_ETOOBIG;
    }
    /* every rewrite only shortens the text */
    text = malloc(len + 1);
    if (!text) {
        return ACDL_ENOMEM;
    }

    while (i < len) {
        unsigned char c = (unsigned char)sql[i];
        size_t start = i, next = 0, tag;

        if (c == '\'') {
            /* E'..' (PostgreSQL escape string): the E must stand alone before the quote */
            int bs = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     (i < 2 || !is_ident_char((unsigned char)sql[i - 2]));
            next = skip_quoted(sql, len, i, '\'', bs);
            if (!next) {
                set_err_at(err, errsz, sql, start, "unterminated string literal starting");
                rc = ACDL_EINVAL;
                goto out;
            }
        } else if (c == '"' || c == '`') {
            next = skip_quoted(sql, len, i, (char)c, 0);
            if (!next) {
                set_err_at(err, errsz, sql, start, "unterminated quoted identifier starting");
                rc = ACDL_EINVAL;
                goto out;
            }
        } else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
            next = i + 2;
            while (next < len && sql[next] != '\n') {
                next++;
            }
        } else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
            next = skip_block_comment(sql, len, i);
            if (!next) {
                set_err_at(err, errsz, sql, start, "unterminated block comment starting");
                rc = ACDL_EINVAL;
                goto out;
            }
        } else if (c == '$' && (tag = dollar_tag_len(sql, len, i)) > 0) {
            next = skip_dollar(sql, len, i, tag);
            if (!next) {
                set_err_at(err, errsz, sql, start, "unterminated dollar-quoted string starting");
                rc = ACDL_EINVAL;
                goto out;
            }
        } else if (c == ':' && i + 1 < len && sql[i + 1] == ':') {
            /* a cast: copy "::" and the type name after it */
            next = i + 2;
            while (next < len && is_ident_char((unsigned char)sql[next])) {
                next++;
            }
        } else if (c == ':' && i + 1 < len && is_ident_start((unsigned char)sql[i + 1]) &&
                   (i == 0 || !is_ident_char((unsigned char)sql[i - 1]))) {
            size_t n = i + 1, k, found = sizeof(known_params) / sizeof(known_params[0]);
            while (n < len && is_ident_char((unsigned char)sql[n])) {
                n++;
            }
            for (k = 0; k < sizeof(known_params) / sizeof(known_params[0]); k++) {
                if (name_equals(sql + i + 1, n - i - 1, known_params[k].name)) {
                    found = k;
                    break;
                }
            }
            if (found == sizeof(known_params) / sizeof(known_params[0])) {
                char what[160] = "";
                size_t nlen = n - i;
                if (nlen > 64) {
                    nlen = 64;
                }
                snprintf(what, sizeof(what),
                         "unknown parameter %.*s%s (only :period_start, :period_end, :since "
                         "and :until are allowed)",
                         (int)nlen, sql + i, nlen < n - i ? "..." : "");
                set_err_at(err, errsz, sql, start, what);
                rc = ACDL_EINVAL;
                goto out;
            }
            if (out->nparams >= ODBC_SQL_MAX_PARAMS) {
                set_err_at(err, errsz, sql, start, "too many parameter markers (limit 64)");
                rc = ACDL_ETOOBIG;
                goto out;
            }
            out->params[out->nparams++] = (unsigned char)known_params[found].id;
            text[o++] = '?';
            i = n;
            continue;
        } else if (c == '?') {
            set_err_at(err, errsz, sql, start,
                       "positional parameter marker ? is not supported (use :period_start and "
                       ":period_end)");
            rc = ACDL_EINVAL;
            goto out;
        } else {
            next = i + 1;
        }
        memcpy(text + o, sql + i, next - i);
        o += next - i;
        i = next;
    }
    text[o] = '\0';
    out->text = text;
    out->len = o;
    text = NULL;

out:
    free(text);
    if (rc != ACDL_OK) {
        out->nparams = 0;
    }
    return rc;
}

void odbc_sql_free(struct odbc_sql *s)
{
    if (!s) {
        return;
    }
    free(s->text);
    s->text = NULL;
    s->len = 0;
    s->nparams = 0;
}
