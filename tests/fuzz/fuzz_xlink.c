/* fuzz_xlink.c: libFuzzer target for the Xlink conversion (xlink/xlink.c, xlink/sources.c,
 * xlink/mappings.c): arbitrary bytes are split into an isps_ul.ini, an acd_map.ini and a $1.BAS
 * and converted into a configuration document and a report. The report's counts must add up
 * to its lines. Slower than the parser alone (fuzz_ini.c): every input is a whole migration. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz_util.h"
#include "xlink/xlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400];
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
