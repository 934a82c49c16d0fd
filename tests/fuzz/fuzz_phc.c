/* fuzz_phc.c: crypto_password_verify with a fixed password and arbitrary PHC text.
 *
 * The parser accepts ln 10..20, r 1..32, p 1..16: one verification at ln=20, r=8, p=1 takes
 * ~7 s and 1 GiB, at the maximum (ln=20, r=32, p=16) minutes and 4 GiB. So that every input
 * stays fast, inputs that parse with a cost above ln=12, r*p > 8 are skipped here (the same
 * sscanf as the daemon's, so nothing expensive slips through); the parsing and decoding paths
 * are fuzzed in full. */
#include "core/err.h"
#include "crypto/crypto.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) {
        return 0;
    }
    char *phc = fuzz_cstr(data, size);
    if (!phc) {
        return 0;
    }
    int ln, r, p, used = 0;
    if (strncmp(phc, "$scrypt$", 8) == 0 &&
        sscanf(phc + 8, "ln=%d,r=%d,p=%d$%n", &ln, &r, &p, &used) == 3 && used != 0 &&
        (ln > 12 || r < 1 || p < 1 || r > 8 || p > 8 || r * p > 8)) {
        free(phc);
        return 0;
    }
    int rc = crypto_password_verify("fuzz-pw", phc);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EAUTH || rc == ACDL_EINVAL || rc == ACDL_ECRYPTO);
    free(phc);
    return 0;
}
