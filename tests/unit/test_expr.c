/* test_expr.c: unit tests of safe SQLite expressions (pipeline/expr.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "pipeline/expr.h"

static const char *const P[] = {"p1", "p2", "weekday", "minute_of_day"};

static double eval2(const char *text, double a, double b, int *is_null)
{
    struct expr *e = NULL;
    char err[256];
    double v = -12345;
    if (!CHECK_EQ_INT(expr_compile(text, P, 4, &e, err, sizeof(err)), ACDL_OK)) {
        fprintf(stderr, "  %s: %s\n", text, err);
        *is_null = -1;
        return v;
    }
    expr_bind_double(e, 0, a);
    expr_bind_double(e, 1, b);
    expr_bind_double(e, 2, 3);
    expr_bind_double(e, 3, 510);
    CHECK_EQ_INT(expr_eval(e, &v, is_null, err, sizeof(err)), ACDL_OK);
    expr_free(e);
    return v;
}

static void test_formulas(void)
{
    int is_null;
    CHECK(eval2("p1 + p2", 3, 4, &is_null) == 7 && !is_null);
    CHECK(eval2("p1 / p2", 3, 2, &is_null) == 1.5 && !is_null); /* numbers are reals */
    eval2("p1 / p2", 3, 0, &is_null);
    CHECK_EQ_INT(is_null, 1); /* division by zero: no value, no error */
    CHECK(eval2("iif(p2 > 0, p1 / p2, NULL)", 10, 4, &is_null) == 2.5);
    CHECK(eval2("round(p1 * 100.0 / p2, 1)", 1, 3, &is_null) == 33.3);
    CHECK(eval2("max(p1, p2) - min(p1, p2)", 2, 9, &is_null) == 7);
    CHECK(eval2("coalesce(NULL, p1)", 5, 0, &is_null) == 5);
    CHECK(eval2("CASE WHEN weekday >= 6 THEN 0 ELSE p1 END", 8, 0, &is_null) == 8);
    CHECK(eval2("minute_of_day / 60", 0, 0, &is_null) == 8.5);
    CHECK(eval2("abs(p1 - p2)", 2, 5, &is_null) == 3);
    CHECK(eval2("p1 BETWEEN 1 AND 3", 2, 0, &is_null) == 1);
}

static void expect_refused(const char *text, const char *needle)
{
    struct expr *e = NULL;
    char err[256] = "";
    int rc = expr_compile(text, P, 4, &e, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EINVAL);
    if (needle && !CHECK(strstr(err, needle) != NULL)) {
        fprintf(stderr, "  %s -> '%s' lacks '%s'\n", text, err, needle);
    }
    CHECK(e == NULL);
}

static void test_refused(void)
{
    expect_refused("p3 + 1", "unknown name 'p3'");
    expect_refused("random()", "not allowed");
    expect_refused("randomblob(8)", "not allowed");
    expect_refused("load_extension('x')", NULL);
    expect_refused("sqlite_version()", "not allowed");
    expect_refused("(SELECT count(*) FROM sqlite_master)", "not allowed");
    expect_refused("(SELECT 1) ; DROP TABLE x", NULL);
    expect_refused("1; SELECT 2", "syntax error");
    expect_refused("p1 +", NULL);
    expect_refused("", "1 to");
    expect_refused("nosuchfn(p1)", NULL);
    expect_refused("p1) FROM (SELECT 1 AS p1) UNION SELECT (2", NULL);
    expect_refused("(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c)",
                   NULL);
    char deep[2100];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        deep[n++] = '(';
    }
    deep[n++] = '1';
    for (int i = 0; i < 1000; i++) {
        deep[n++] = ')';
    }
    deep[n] = '\0';
    expect_refused(deep, NULL);
    char big[EXPR_MAX_TEXT + 10];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_refused(big, "characters");
}

static void test_fields_and_filters(void)
{
    const char *const names[] = {"outcome", "talk time", "we\"ird", "Queue"};
    struct expr *e = NULL, *f = NULL, *t = NULL;
    char err[256], buf[64];
    int truth, is_null;
    double v;
    CHECK_EQ_INT(expr_compile("outcome = 'AGENT'", names, 4, &e, err, sizeof(err)), ACDL_OK);
    expr_bind_text(e, 0, "AGENT", -1);
    CHECK_EQ_INT(expr_eval_bool(e, &truth, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(truth, 1);
    expr_bind_text(e, 0, "ABANDON", -1);
    expr_eval_bool(e, &truth, err, sizeof(err));
    CHECK_EQ_INT(truth, 0);
    expr_bind_null(e, 0);
    expr_eval_bool(e, &truth, err, sizeof(err));
    CHECK_EQ_INT(truth, 0); /* NULL is false */
    CHECK_EQ_INT(expr_compile("\"talk time\" + \"we\"\"ird\"", names, 4, &f, err, sizeof(err)),
                 ACDL_OK);
    expr_bind_text(f, 1, "12", -1);
    expr_bind_double(f, 2, 0.5);
    CHECK_EQ_INT(expr_eval(f, &v, &is_null, err, sizeof(err)), ACDL_OK);
    CHECK(v == 12.5 && !is_null);
    CHECK_EQ_INT(expr_compile("upper(trim(Queue))", names, 4, &t, err, sizeof(err)), ACDL_OK);
    expr_bind_text(t, 3, "  sales-de ", -1);
    CHECK_EQ_INT(expr_eval_text(t, buf, sizeof(buf), &is_null, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_STR(buf, "SALES-DE");
    CHECK_EQ_INT(expr_bind_text(t, 4, "x", -1), ACDL_EINVAL); /* out of range */
    expr_free(e);
    expr_free(f);
    expr_free(t);
    expr_free(NULL);
}

/* Compiles text over names, binds the fields as a source row would, evaluates to text. */
static int eval_row(const char *text, const char *const *names, int n, const char *const *vals,
                    char *out, size_t outsz, struct expr_value *v, char *err, size_t errsz)
{
    struct expr *e = NULL;
    int rc = expr_compile(text, names, n, &e, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    for (int i = 0; i < n; i++) {
        expr_bind_field(e, i, vals[i], strlen(vals[i]));
    }
    rc = expr_eval_value(e, v, out, outsz, err, errsz);
    expr_free(e);
    return rc;
}

static void test_typed_fields(void)
{
    const char *const names[] = {"ser_time", "split", "es", "ss"};
    const char *const zero[] = {"0", "007", "9", "10"};
    char out[128], err[1024] = "";
    struct expr_value v;
    CHECK_EQ_INT(eval_row("ser_time > 0", names, 4, zero, out, sizeof(out), &v, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_STR(out, "0"); /* the text '0' would be greater than 0 */
    CHECK_EQ_INT(v.kind, EXPR_INTEGER);
    eval_row("'Q' || split", names, 4, zero, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "Q007"); /* leading zeros stay: such a value is text */
    CHECK_EQ_INT(v.kind, EXPR_TEXT);
    eval_row("es < ss", names, 4, zero, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "1"); /* 9 < 10 as numbers; as text '9' > '10' */
    eval_row("ss / 4", names, 4, zero, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "2");
    eval_row("ss / 4.0", names, 4, zero, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_INT(v.kind, EXPR_REAL);
    CHECK(v.num == 2.5);
    int64_t iv = 0;
    double dv = 0;
    CHECK_EQ_INT(expr_text_number("-12", 3, &iv, &dv), 1);
    CHECK(iv == -12);
    CHECK_EQ_INT(expr_text_number("0.25", 4, &iv, &dv), 2);
    CHECK(dv == 0.25);
    CHECK_EQ_INT(expr_text_number("007", 3, &iv, &dv), 0);
    CHECK_EQ_INT(expr_text_number("1e5", 3, &iv, &dv), 0);
    CHECK_EQ_INT(expr_text_number(" 1", 2, &iv, &dv), 0);
    CHECK_EQ_INT(expr_text_number("1.", 2, &iv, &dv), 0);
    CHECK_EQ_INT(expr_text_number("", 0, &iv, &dv), 0);

    struct expr *e = NULL;
    CHECK_EQ_INT(expr_compile("ser_time > 0 AND \"split\" <> 'x' AND 5 <= ss", names, 4, &e, err,
                              sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(expr_compares_to_number(e, 0), 1);
    CHECK_EQ_INT(expr_compares_to_number(e, 1), 0);
    CHECK_EQ_INT(expr_compares_to_number(e, 2), 0);
    CHECK_EQ_INT(expr_compares_to_number(e, 3), 1);
    expr_free(e);
}

static void test_dates(void)
{
    const char *const names[] = {"day", "start", "end"};
    const char *const vals[] = {"2026-11-24", "23:50:00", "00:10:00"};
    char out[128], err[1024] = "";
    struct expr_value v;
    CHECK_EQ_INT(
        eval_row("date(day, '+1 day')", names, 3, vals, out, sizeof(out), &v, err, sizeof(err)),
        ACDL_OK);
    CHECK_EQ_STR(out, "2026-11-25");
    eval_row("iif(\"end\" < start, date(day, '+1 day'), day) || ' ' || \"end\"", names, 3, vals,
             out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "2026-11-25 00:10:00");
    eval_row("strftime('%w', day)", names, 3, vals, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "2"); /* a Tuesday */
    eval_row("julianday(day || ' 12:00') - julianday('2026-11-23 12:00')", names, 3, vals, out,
             sizeof(out), &v, err, sizeof(err));
    CHECK(v.kind == EXPR_REAL && v.num == 1.0);
    eval_row("unixepoch(day)", names, 3, vals, out, sizeof(out), &v, err, sizeof(err));
    CHECK_EQ_STR(out, "1795478400");
    eval_row("datetime(day || ' ' || start, '+20 minutes')", names, 3, vals, out, sizeof(out), &v,
             err, sizeof(err));
    CHECK_EQ_STR(out, "2026-11-25 00:10:00");
    /* the clock and the machine's zone are refused: in the text when compiled... */
    expect_refused("date('now')", "'now'");
    expect_refused("datetime(p1, 'unixepoch', 'localtime')", "'localtime'");
    expect_refused("date(p1, ' UTC ')", "'utc'");
    expect_refused("current_timestamp", "not allowed");
    /* ...and in a value or without one when evaluated */
    const char *const now[] = {"NOW", "x", "y"};
    CHECK_EQ_INT(eval_row("date(day)", names, 3, now, out, sizeof(out), &v, err, sizeof(err)),
                 ACDL_EINVAL);
    CHECK(strstr(err, "'now'") != NULL);
    CHECK_EQ_INT(eval_row("date()", names, 3, vals, out, sizeof(out), &v, err, sizeof(err)),
                 ACDL_EINVAL);
    CHECK(strstr(err, "needs a time value") != NULL);
    /* the word as a plain value is fine where no date function reads it */
    CHECK_EQ_INT(eval_row("day = 'now'", names, 3, now, out, sizeof(out), &v, err, sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_STR(out, "0");
    /* the refusal lists every function */
    struct expr *e = NULL;
    expr_compile("random()", P, 4, &e, err, sizeof(err));
    CHECK(strstr(err, "julianday") && strstr(err, "strftime") && strstr(err, "unixepoch") &&
          strstr(err, "abs") && strstr(err, "upper"));
    expr_compile("nosuch(p1)", P, 4, &e, err, sizeof(err));
    CHECK(strstr(err, "unknown function 'nosuch'") && strstr(err, "datetime"));
}

int main(void)
{
    RUN(test_typed_fields);
    RUN(test_dates);
    RUN(test_formulas);
    RUN(test_refused);
    RUN(test_fields_and_filters);
    return check_summary();
}
