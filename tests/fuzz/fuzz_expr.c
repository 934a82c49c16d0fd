/* fuzz_expr.c: libFuzzer target for safe expressions (pipeline/expr.c): compile arbitrary text
 * over fixed names, evaluate it with values taken from the input; nothing may crash, leak, or
 * run longer than the limits allow.
 *
 * Each input compiles its own expression, which opens and closes a private in-memory SQLite
 * connection as the daemon does; most of an execution is SQLite's allocations. SQLite's
 * memory statistics (a global mutex and counters around every allocation) are switched off
 * once: the daemon never reads them, and nothing else changes. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/expr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"p1", "p2", "weekday", "minute_of_day", "a b"};
    char text[EXPR_MAX_TEXT + 1];
    char err[256], buf[64];
    struct expr *e = NULL;
    double v;
    int is_null, truth;
    if (size < 2 || size > EXPR_MAX_TEXT) {
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (expr_compile(text, names, 5, &e, err, sizeof(err)) != ACDL_OK) {
        return 0;
    }
    expr_bind_double(e, 0, data[0]);
    expr_bind_double(e, 1, (double)data[0] - 128.0);
    expr_bind_text(e, 2, "7", -1);
    expr_bind_null(e, 3);
    expr_bind_text(e, 4, text, -1);
    expr_eval(e, &v, &is_null, err, sizeof(err));
    expr_eval_bool(e, &truth, err, sizeof(err));
    expr_eval_text(e, buf, sizeof(buf), &is_null, err, sizeof(err));
    expr_free(e);
    return 0;
}
