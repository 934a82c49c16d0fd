/* fuzz_ini.c: libFuzzer target for the Xlink ini parser (xlink/ini.c) and the conversion
 * behind it (xlink/sources.c, xlink/mappings.c): arbitrary bytes are parsed, then split into
 * an isps_ul.ini, an acd_map.ini and a $1.BAS and converted. Entries must come in line order
 * with valid UTF-8 text, and the report's counts must add up to its lines. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz_util.h"
#include "xlink/ini.h"
#include "xlink/xlink.h"

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
            FUZZ_ASSERT(ini_is_utf8(e->key, strlen(e->key)) && ini_is_utf8(e->value, strlen(e->value)));
            FUZZ_ASSERT(strchr(e->key, '\n') == NULL && strchr(e->value, '\r') == NULL);
            last = e->line;
        }
        ini_free(f);
    } else {
        FUZZ_ASSERT(err[0] != '\0');
    }
    /* the same bytes as three files: cut at the first two 0x1e bytes */
    const char *p = (const char *)data, *end = p + size;
    const char *a = memchr(p, 0x1e, size);
    const char *b = a ? memchr(a + 1, 0x1e, (size_t)(end - a - 1)) : NULL;
    struct xlink_file files[3] = {
        {"isps_ul.ini", p, a ? (size_t)(a - p) : size},
        {"acd_map.ini", a ? a + 1 : "", a ? (size_t)((b ? b : end) - a - 1) : 0},
        {"$1.BAS", b ? b + 1 : "", b ? (size_t)(end - b - 1) : 0},
    };
    struct xlink_opts o = {"Europe/Berlin", 1};
    json_t *doc = NULL, *report = NULL;
    if (xlink_convert(files, 3, &o, &doc, &report, err, sizeof(err)) == ACDL_OK) {
        json_t *s = json_object_get(report, "summary");
        FUZZ_ASSERT(json_integer_value(json_object_get(s, "converted")) +
                        json_integer_value(json_object_get(s, "skipped")) +
                        json_integer_value(json_object_get(s, "not_convertible")) ==
                    (json_int_t)json_array_size(json_object_get(report, "items")));
        FUZZ_ASSERT(json_is_array(json_object_get(doc, "sources")));
    }
    json_decref(doc);
    json_decref(report);
    return 0;
}
