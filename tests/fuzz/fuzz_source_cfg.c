/* fuzz_source_cfg.c: libFuzzer target for source settings (pipeline/source_cfg.c): arbitrary
 * JSON for each product, kind and layout is validated and, when accepted, written back and re-read,
 * which must give the same settings. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/source_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct source_cfg a, b;
    char err[512];
    if (size < 1 || size > 65536) {
        return 0;
    }
    enum source_kind kind = (data[0] & 1) ? SOURCE_ODBC : SOURCE_CSV;
    enum source_layout layout = (data[0] & 2) ? LAYOUT_CONTACT : LAYOUT_INTERVAL;
    enum source_product product = (data[0] & 4) ? PRODUCT_AGENT_STATES : PRODUCT_CONTACTS;
    json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!j) {
        return 0;
    }
    if (source_cfg_parse_product(j, product, kind, layout, "Europe/Berlin", 15, &a, err,
                                 sizeof(err)) == ACDL_OK) {
        json_t *out = source_cfg_settings_json(&a);
        if (source_cfg_parse_product(out, product, kind, layout, "Europe/Berlin", 15, &b, err,
                                     sizeof(err)) != ACDL_OK) {
            abort(); /* what was accepted and written back must be accepted again */
        }
        json_t *again = source_cfg_settings_json(&b);
        if (!json_equal(out, again)) {
            abort();
        }
        json_decref(again);
        json_decref(out);
    }
    json_decref(j);
    return 0;
}
