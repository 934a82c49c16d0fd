/* fuzz_ini.c: libFuzzer target for the Xlink ini parser (xlink/ini.c) alone: arbitrary bytes
 * in any of the encodings it accepts. Entries must come in line order with valid UTF-8 text.
 * fuzz_xlink.c drives the same bytes through the whole conversion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz_util.h"
#include "xlink/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ini_file *f = NULL;
    char err[400];
    if (ini_parse("fuzz.ini", (const char *)data, size, &f, err, sizeof(err)) == ACDL_OK) {
        int last = 0;
        for (size_t i = 0; i < f->nentries; i++) {
            const struct ini_entry *e = &f->entries[i];
            FUZZ_ASSERT(e->line >= last && e->line > 0);
            FUZZ_ASSERT(e->section >= 0 && (size_t)e->section < f->nsections);
            FUZZ_ASSERT(ini_is_utf8(e->key, strlen(e->key)) &&
                        ini_is_utf8(e->value, strlen(e->value)));
            FUZZ_ASSERT(strchr(e->key, '\n') == NULL && strchr(e->value, '\r') == NULL);
            last = e->line;
        }
        ini_free(f);
    } else {
        FUZZ_ASSERT(err[0] != '\0');
    }
    return 0;
}
