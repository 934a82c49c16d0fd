/* fuzz_odbc.c: the ODBC reader's named-parameter rewriter (and connection-string quoting) on
 * arbitrary text. Invariants: only the documented codes; on success every marker replaced
 * exactly one ":period_start" (12 bytes saved) or ":period_end" (10 bytes saved) and nothing
 * else changed length; on failure a message with a position and no text to free. The same
 * input as a connection-string value must survive odbc_connstr_append + odbc_connstr_get. */
#include "adapters/odbc/odbc.h"
#include "core/err.h"
#include "fuzz_util.h"

static void check_rewrite(const char *s)
{
    struct odbc_sql out;
    char err[256];
    size_t i, saved = 0, markers = 0;
    int rc;

    err[0] = 'x';
    err[1] = '\0';
    rc = odbc_sql_rewrite(s, &out, err, sizeof(err));
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL || rc == ACDL_ETOOBIG);
    if (rc != ACDL_OK) {
        FUZZ_ASSERT(out.text == NULL && out.nparams == 0);
        FUZZ_ASSERT(strstr(err, " at line ") != NULL && strstr(err, ", column ") != NULL);
        odbc_sql_free(&out);
        return;
    }
    FUZZ_ASSERT(out.text != NULL);
    FUZZ_ASSERT(strlen(out.text) == out.len);
    FUZZ_ASSERT(out.nparams <= ODBC_SQL_MAX_PARAMS);
    for (i = 0; i < out.nparams; i++) {
        FUZZ_ASSERT(out.params[i] == ODBC_PARAM_PERIOD_START ||
                    out.params[i] == ODBC_PARAM_PERIOD_END);
        saved += out.params[i] == ODBC_PARAM_PERIOD_START ? 12 : 10;
    }
    FUZZ_ASSERT(strlen(s) == out.len + saved);
    for (i = 0; i < out.len; i++) {
        markers += out.text[i] == '?';
    }
    /* a ? outside literals is refused, so each marker left a ? (literals may hold more) */
    FUZZ_ASSERT(markers >= out.nparams);
    odbc_sql_free(&out);
    odbc_sql_free(&out); /* twice is harmless */
}

static void check_connstr(const char *s)
{
    char buf[1024], back[1024];
    int rc;
    /* reading keys from arbitrary text never fails hard */
    (void)odbc_connstr_get(s, "PWD", back, sizeof(back));
    (void)odbc_connstr_get(s, "Driver", back, 8);
    buf[0] = '\0';
    rc = odbc_connstr_append(buf, sizeof(buf), "PWD", s);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL || rc == ACDL_ETOOBIG);
    if (rc == ACDL_OK) {
        FUZZ_ASSERT(odbc_connstr_append(buf, sizeof(buf), "UID", "app") == ACDL_OK ||
                    strlen(buf) > sizeof(buf) - 16);
        FUZZ_ASSERT(odbc_connstr_get(buf, "pwd", back, sizeof(back)) == 1);
        /* values the grammar cannot carry unbraced are braced, so they come back whole;
         * outside braces drivers trim blanks, which is why those force braces too */
        FUZZ_ASSERT(strcmp(back, s) == 0);
    } else if (rc == ACDL_ETOOBIG) {
        FUZZ_ASSERT(buf[0] == '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    if (size > 64 * 1024) {
        return 0;
    }
    s = fuzz_cstr(data, size);
    if (!s) {
        return 0;
    }
    check_rewrite(s);
    if (strlen(s) < 900) {
        check_connstr(s);
    }
    free(s);
    return 0;
}
