/* test_expr.c: unit tests of safe SQLite expressions (pipeline/expr.c). */
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

int main(void)
{
    RUN(test_formulas);
    RUN(test_refused);
    RUN(test_fields_and_filters);
    return check_summary();
}
