/* fuzz_staged.c: libFuzzer target for the staged-day blob (store/staged.c): decode arbitrary
 * bytes; what decodes must encode, decode again to the same values, merge with itself and walk
 * metric by metric without reading outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/staged.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_value(void *ctx, int64_t utc, double value)
{
    (void)utc;
    (void)value;
    (*(int *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct staged_day d = {0}, again = {0};
    uint8_t *blob = NULL;
    size_t n = 0;
    int64_t ids[8];
    int count = 0, values = 0;
    /* what the decoder accepts, the metric walker accepts too (it checks the framing only) */
    int ok = staged_day_decode(&d, data, size) == ACDL_OK;
    int listed = staged_blob_metrics(data, size, ids, 8, &count) == ACDL_OK;
    if (ok && !listed) {
        abort();
    }
    staged_blob_values(data, size, ok && count > 0 ? ids[0] : 1, count_value, &values);
    if (ok) {
        if (staged_day_encode(&d, &blob, &n) != ACDL_OK ||
            staged_day_decode(&again, blob, n) != ACDL_OK || again.nslots != d.nslots) {
            abort();
        }
        for (int k = 0; k < again.n; k++) {
            struct staged_series *a = again.s[k];
            struct staged_series *b = staged_day_series(&d, a->metric, 0);
            for (int i = 0; b && i < again.nslots; i++) {
                if (!!a->has[i] != !!b->has[i] ||
                    (a->has[i] && memcmp(&a->v[i], &b->v[i], sizeof(double)) != 0)) {
                    abort();
                }
            }
        }
        staged_day_merge(&again, &d, 1, NULL);
        free(blob);
    }
    staged_day_clear(&d);
    staged_day_clear(&again);
    return 0;
}
