/* fuzz_time.c: plat_time_parse_iso on arbitrary text; accepted times must round-trip. */
#include "core/err.h"
#include "fuzz_util.h"
#include "platform/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) {
        return 0;
    }
    char *s = fuzz_cstr(data, size);
    if (!s) {
        return 0;
    }
    int64_t t = -42;
    int rc = plat_time_parse_iso(s, &t);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    if (rc == ACDL_OK) {
        FUZZ_ASSERT(t >= 0 && t <= 253402300799LL); /* 1970 .. 9999-12-31T23:59:59Z */
        FUZZ_ASSERT(strlen(s) == 10 || strlen(s) == 20);
        char iso[32];
        int64_t back = -1;
        plat_time_iso(t, iso, sizeof(iso));
        FUZZ_ASSERT(plat_time_parse_iso(iso, &back) == ACDL_OK && back == t);
        if (strlen(s) == 10) {
            FUZZ_ASSERT(t % 86400 == 0);
        }
    } else {
        FUZZ_ASSERT(t == -42);
    }
    free(s);
    return 0;
}
