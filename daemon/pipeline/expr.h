/* expr.h: safe expressions over named values, evaluated by SQLite.
 *
 * Derived fields of a source ("answered = outcome = 'AGENT'"), row filters and mapping formulas
 * ("p1 + p2", "iif(p2 > 0, p1 / p2, NULL)") are SQLite expressions. An expression is compiled
 * once into "SELECT (expr) FROM (SELECT ?1 AS name1, ?2 AS name2 ...)" on a private in-memory
 * connection whose authorizer allows nothing but reading those values and calling a fixed list
 * of pure functions (expr_allowed_functions): no table, no PRAGMA, no ATTACH, no randomness, no
 * side effects. The date and time functions take only values that do not depend on the clock
 * or the machine: 'now', 'localtime' and 'utc' are refused (in the text when it is saved, in a
 * value when evaluated). Division
 * by zero yields NULL ("no value"), never an error. Limits on length and depth keep a hostile
 * expression cheap. An expr is used by one thread at a time. */
#ifndef ACDL_PIPELINE_EXPR_H
#define ACDL_PIPELINE_EXPR_H
#include <stddef.h>
#include <stdint.h>

#define EXPR_MAX_TEXT 4096
#define EXPR_MAX_NAMES 256

struct expr;

/* Compiles text over the variables names[0..n) (any strings; they are quoted). *out is new:
 * free with expr_free(). ACDL_EINVAL with a message in err ("no such column: x", "function
 * random is not allowed", "syntax error near ...") when it does not compile or is not allowed. */
int expr_compile(const char *text, const char *const *names, int n, struct expr **out, char *err,
                 size_t errsz);
void expr_free(struct expr *e);

/* Binds variable i (0-based) as a number, text (copied; len -1 = strlen), or NULL. */
int expr_bind_double(struct expr *e, int i, double v);
int expr_bind_int64(struct expr *e, int i, int64_t v);
int expr_bind_text(struct expr *e, int i, const char *s, int len);
int expr_bind_null(struct expr *e, int i);
/* Binds a column's text as a number when it is one (expr_text_number), otherwise as text: so
 * "ser_time > 0" is false for "0", and "007" stays the text "007". */
int expr_bind_field(struct expr *e, int i, const char *s, size_t len);

/* 1 when s (n bytes) is a whole number (*iv), 2 when a decimal one (*dv), 0 when it is text: a
 * sign, digits and at most one '.', no leading zero before another digit ("007" is text), no
 * blanks. */
int expr_text_number(const char *s, size_t n, int64_t *iv, double *dv);

/* 1 when the text compares variable i with a number literal ("x > 0", "0 = x"): a caller warns
 * when it binds text there (text is greater than every number in SQLite). */
int expr_compares_to_number(const struct expr *e, int i);

/* Every function an expression may call, comma-separated (static storage). */
const char *expr_allowed_functions(void);

/* A value with the type the expression produced. */
enum expr_kind { EXPR_NULL = 0, EXPR_INTEGER, EXPR_REAL, EXPR_TEXT };
struct expr_value {
    enum expr_kind kind;
    double num;   /* EXPR_INTEGER, EXPR_REAL */
    int64_t inum; /* EXPR_INTEGER */
};

/* Evaluates into v (its type) and text (its text form, as SQLite writes it, truncated to
 * textsz - 1 bytes). Returns 0, or ACDL_EINVAL with err for a runtime error. */
int expr_eval_value(struct expr *e, struct expr_value *v, char *text, size_t textsz, char *err,
                    size_t errsz);

/* Evaluates with the current bindings. *is_null tells "no value" (NULL, or division by zero);
 * otherwise *out is the numeric value (text results are converted as SQLite does). Returns 0,
 * or ACDL_EINVAL with err for a runtime error (e.g. an integer overflow in abs()). */
int expr_eval(struct expr *e, double *out, int *is_null, char *err, size_t errsz);

/* Evaluates to text (numbers are formatted as SQLite does) into out, truncated to outsz - 1
 * bytes; *is_null tells "no value". For derived fields that yield names or ids. */
int expr_eval_text(struct expr *e, char *out, size_t outsz, int *is_null, char *err,
                   size_t errsz);

/* Like expr_eval but for row filters: *truth is 1 when the value is true (non-zero). NULL is
 * false. */
int expr_eval_bool(struct expr *e, int *truth, char *err, size_t errsz);

#endif
