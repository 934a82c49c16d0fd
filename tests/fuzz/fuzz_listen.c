/* fuzz_listen.c: config_parse_listen on arbitrary text, into buffers of varying size. */
#include "config/config.h"
#include "core/err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) {
        return 0;
    }
    /* the first byte picks the host buffer size (1..256), heap-allocated to exactly that */
    size_t hostsz = 1 + data[0];
    char *s = fuzz_cstr(data + 1, size - 1);
    char *host = malloc(hostsz);
    if (!s || !host) {
        free(s);
        free(host);
        return 0;
    }
    int port = -1;
    memset(host, 'X', hostsz);
    int rc = config_parse_listen(s, host, hostsz, &port);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    if (rc == ACDL_OK) {
        size_t hl = strnlen(host, hostsz);
        FUZZ_ASSERT(hl < hostsz && hl > 0);
        FUZZ_ASSERT(port >= 1 && port <= 65535);
        /* the host is the text before the port's colon */
        FUZZ_ASSERT(strncmp(s, host, hl) == 0 && s[hl] == ':');
        FUZZ_ASSERT(strchr(host, ' ') == NULL && strchr(host, '/') == NULL);
    } else {
        FUZZ_ASSERT(port == -1);
    }
    free(s);
    free(host);
    return 0;
}
