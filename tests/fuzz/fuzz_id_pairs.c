/* fuzz_id_pairs.c: libFuzzer target for pasted agent id pairs (pipeline/id_pairs.c): any
 * text either parses into pairs that keep the documented bounds or is refused with a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/id_pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct id_pair pairs[64];
    char why[160];
    int n = 0, bad = 0;
    if (size > 65536) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    int rc = id_pairs_parse(text, pairs, 64, &n, &bad, why, sizeof(why));
    if (rc != ACDL_OK && (bad < 1 || why[0] == '\0')) {
        abort(); /* a refusal names its line */
    }
    for (int i = 0; i < n; i++) {
        size_t xl = strlen(pairs[i].ext), yl = strlen(pairs[i].agent);
        if (xl < 1 || xl > 128 || yl > 128 || pairs[i].line < 1 || strchr(pairs[i].ext, '\n') ||
            strpbrk(pairs[i].ext, "\t;,") || pairs[i].ext[0] == ' ' || pairs[i].ext[xl - 1] == ' ') {
            abort();
        }
    }
    free(text);
    return 0;
}
