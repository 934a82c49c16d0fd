/* fuzz_smtp_reply.c: libFuzzer target for the SMTP reply reader (alerts/smtp.c): any bytes a
 * server sends are read as replies one after another, each within its bounds, or refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/smtp.h"
#include "core/err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smtp_reply r;
    size_t pos = 0;
    if (size > 65536) {
        return 0;
    }
    /* an exact-size copy: ASan catches any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        return 0;
    }
    memcpy(buf, data, size);
    while (pos < size) {
        size_t used = 0;
        int rc = smtp_reply_parse(buf + pos, size - pos, &r, &used);
        if (rc != ACDL_OK) {
            FUZZ_ASSERT(rc == ACDL_EAGAIN || rc == ACDL_EINVAL);
            break;
        }
        FUZZ_ASSERT(used > 0 && used <= size - pos);
        FUZZ_ASSERT(r.code >= 200 && r.code <= 599 && r.lines >= 1);
        FUZZ_ASSERT(strlen(r.text) < sizeof(r.text));
        for (const char *t = r.text; *t; t++) {
            FUZZ_ASSERT((unsigned char)*t >= 0x20 && *t != 0x7f);
        }
        pos += used;
    }
    free(buf);
    return 0;
}
