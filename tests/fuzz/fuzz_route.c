/* fuzz_route.c: http_route_find with an arbitrary method and path.
 * Input: METHOD, one space, PATH; the first byte sets the Allow buffer size (1..128). */
#include "core/err.h"
#include "fuzz_util.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192) {
        return 0;
    }
    size_t allowsz = 1 + data[0] % 128;
    const uint8_t *sp = memchr(data + 1, ' ', size - 1);
    size_t mlen = sp ? (size_t)(sp - (data + 1)) : 0;
    const uint8_t *p = sp ? sp + 1 : data + 1;
    size_t plen = size - (size_t)(p - data);
    char *method = fuzz_cstr(data + 1, mlen);
    char *path = fuzz_cstr(p, plen);
    char *allow = malloc(allowsz);
    struct req *r = calloc(1, sizeof(*r));
    if (!method || !path || !allow || !r) {
        goto out;
    }
    memset(allow, 'X', allowsz);
    int rc = http_route_find(method, path, r, allow, allowsz);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_ENOTFOUND || rc == ACDL_EPERM);
    if (rc == ACDL_OK) {
        FUZZ_ASSERT(r->route != NULL);
        FUZZ_ASSERT(strcmp(r->route->method, method) == 0 ||
                    (strcmp(method, "HEAD") == 0 && strcmp(r->route->method, "GET") == 0));
        FUZZ_ASSERT(strncmp(path, "/api/v1/", 8) == 0);
        for (int i = 0; i < REQ_MAX_PARAMS && r->params[i]; i++) {
            const char *q = r->params[i];
            FUZZ_ASSERT(q >= r->param_buf && q < r->param_buf + sizeof(r->param_buf));
            FUZZ_ASSERT(memchr(q, '\0', sizeof(r->param_buf) - (size_t)(q - r->param_buf)));
            FUZZ_ASSERT(*q != '\0' && strchr(q, '/') == NULL && strstr(path, q) != NULL);
        }
    } else {
        FUZZ_ASSERT(memchr(allow, '\0', allowsz) != NULL);
        if (rc == ACDL_ENOTFOUND) {
            FUZZ_ASSERT(allow[0] == '\0');
        }
    }
out:
    free(method);
    free(path);
    free(allow);
    free(r);
    return 0;
}
