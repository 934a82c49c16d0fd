/* fuzz_queue_log.c: libFuzzer target for the ODBC escapes turned into SQLite's forms for the
 * queue_log file preset (pipeline/queue_log.c): any text is translated within its buffer or
 * refused, and a translation holds no escape any more (translating it again changes nothing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/queue_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[4096], again[4096];
    if (size > 4096) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    int rc = queue_log_sql(text, out, sizeof(out));
    if (rc != ACDL_OK && rc != ACDL_EINVAL && rc != ACDL_ETOOBIG) {
        abort();
    }
    if (rc == ACDL_OK) {
        if (strlen(out) >= sizeof(out)) {
            abort();
        }
        if (queue_log_sql(out, again, sizeof(again)) == ACDL_OK && strcmp(out, again) != 0) {
            abort(); /* an escape was left, or one was made */
        }
    }
    free(text);
    return 0;
}
