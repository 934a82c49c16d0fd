/* fuzz_tzif.c: TZif files and their POSIX TZ footers from arbitrary bytes (core/tzif.c).
 *
 * Input: a TZif file (the seeds are real ones of the tz database and footers zic writes).
 * Invariants: parsing answers 0 or ACDL_EINVAL with a reason; a parsed zone's offsets stay
 * within -25 h .. +26 h; tzif_next() always moves forward and no offset changes between an
 * instant and the next transition it names (what core/tz.c relies on), over a walk through
 * 1900..2100 and at instants taken from the input's bytes. */
#include "core/err.h"
#include "core/tzif.h"
#include "fuzz_util.h"

#define OFF_LIMIT (26 * 3600)

static void check_at(const struct tzif *z, int64_t t)
{
    int64_t next = 0;
    int32_t off = tzif_offset(z, t);
    FUZZ_ASSERT(off > -OFF_LIMIT && off < OFF_LIMIT);
    if (tzif_next(z, t, &next)) {
        FUZZ_ASSERT(next > t);
        FUZZ_ASSERT(tzif_offset(z, next - 1) == off);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tzif *z = NULL;
    const char *err = NULL;
    int rc = tzif_parse(data, size, &z, &err);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    FUZZ_ASSERT((rc == ACDL_OK) == (z != NULL));
    FUZZ_ASSERT(rc == ACDL_OK || (err != NULL && *err != '\0'));
    if (!z) {
        return 0;
    }
    int64_t t = -2208988800LL;                           /* 1900-01-01 */
    for (int k = 0; k < 1000 && t < 4102444800LL; k++) { /* up to 2100 */
        int64_t next = 0;
        check_at(z, t);
        if (!tzif_next(z, t, &next)) {
            break;
        }
        t = next;
    }
    for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
        int64_t v = 0;
        memcpy(&v, data + i, 8);
        check_at(z, v >> 16); /* within the years the tz database speaks of, mostly */
        check_at(z, v);
    }
    tzif_free(z);
    return 0;
}
