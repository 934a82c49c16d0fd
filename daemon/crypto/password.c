/* password.c: scrypt password hashes in PHC string form. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"

#define SALT_LEN 16
#define HASH_LEN 32

static int b64_decode_nopad(const char *in, size_t inlen, unsigned char *out, size_t outsz,
                            size_t *outlen)
{
    /* standard alphabet, no padding, as PHC strings use */
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < inlen; i++) {
        const char *p = strchr(alpha, in[i]);
        if (!p || !in[i]) {
            return ACDL_EINVAL;
        }
        acc = (acc << 6) | (unsigned)(p - alpha);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= outsz) {
                return ACDL_EINVAL;
            }
            out[n++] = (unsigned char)(acc >> bits);
        }
        acc &= (1u << bits) - 1;
    }
    *outlen = n;
    return ACDL_OK;
}

static size_t b64_encode_nopad(const unsigned char *in, size_t len, char *out, size_t outsz)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6 && n + 1 < outsz) {
            bits -= 6;
            out[n++] = alpha[(acc >> bits) & 63];
        }
    }
    if (bits > 0 && n + 1 < outsz) {
        out[n++] = alpha[(acc << (6 - bits)) & 63];
    }
    out[n] = '\0';
    return n;
}

/* scrypt costs 32 MiB and ~100 ms: at most this many run at once, whoever calls. */
#define DERIVE_SLOTS 4
static pthread_mutex_t derive_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t derive_cv = PTHREAD_COND_INITIALIZER;
static int derive_busy;

static int derive_raw(const char *pw, const unsigned char *salt, size_t saltlen, int ln, int r, int p,
                  unsigned char *out, size_t outlen)
{
    uint64_t n = (uint64_t)1 << ln;
    /* memory = 128 * r * N (+ 128 * r * p); allow twice that */
    uint64_t maxmem = 2 * (128ull * (uint64_t)r * n + 128ull * (uint64_t)r * (uint64_t)p) +
                      (1ull << 20);
    if (EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, n, (uint64_t)r, (uint64_t)p, maxmem, out,
                       outlen) != 1) {
        return ACDL_ECRYPTO;
    }
    return ACDL_OK;
}

static int derive(const char *pw, const unsigned char *salt, size_t saltlen, int ln, int r, int p,
                  unsigned char *out, size_t outlen)
{
    pthread_mutex_lock(&derive_mu);
    while (derive_busy >= DERIVE_SLOTS) {
        pthread_cond_wait(&derive_cv, &derive_mu);
    }
    derive_busy++;
    pthread_mutex_unlock(&derive_mu);
    int rc = derive_raw(pw, salt, saltlen, ln, r, p, out, outlen);
    pthread_mutex_lock(&derive_mu);
    derive_busy--;
    pthread_cond_signal(&derive_cv);
    pthread_mutex_unlock(&derive_mu);
    return rc;
}

/* The cost of new hashes. Test builds take a lower one from ACDL_TEST_SCRYPT_LN (10 to the
 * default), so that a daemon under Valgrind logs in within seconds; hashes carry their cost,
 * so verification is unchanged. */
static int hash_ln(void)
{
#ifdef ACDLINK_TEST_CLOCK
    const char *v = getenv("ACDL_TEST_SCRYPT_LN");
    long ln = v ? strtol(v, NULL, 10) : 0;
    if (ln >= 10 && ln < CRYPTO_SCRYPT_LN) { /* 10: the least crypto_password_verify takes */
        return (int)ln;
    }
#endif
    return CRYPTO_SCRYPT_LN;
}

int crypto_password_hash(const char *password, char *out, size_t outsz)
{
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char s64[32], h64[64];
    int rc = crypto_random(salt, sizeof(salt));
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = derive(password, salt, sizeof(salt), hash_ln(), CRYPTO_SCRYPT_R, CRYPTO_SCRYPT_P, hash,
                sizeof(hash));
    if (rc != ACDL_OK) {
        return rc;
    }
    b64_encode_nopad(salt, sizeof(salt), s64, sizeof(s64));
    b64_encode_nopad(hash, sizeof(hash), h64, sizeof(h64));
    OPENSSL_cleanse(hash, sizeof(hash));
    int n = snprintf(out, outsz, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", hash_ln(), CRYPTO_SCRYPT_R,
                     CRYPTO_SCRYPT_P, s64, h64);
    return n > 0 && (size_t)n < outsz ? ACDL_OK : ACDL_ETOOBIG;
}

/* Reads "name=<1-3 digits>" followed by sep; advances *p. */
static int phc_param(const char **p, const char *name, char sep, int *out)
{
    size_t nl = strlen(name);
    const char *s = *p;
    int v = 0, digits = 0;
    if (strncmp(s, name, nl) != 0 || s[nl] != '=') {
        return ACDL_EINVAL;
    }
    s += nl + 1;
    while (*s >= '0' && *s <= '9' && digits < 3) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0 || *s != sep) {
        return ACDL_EINVAL;
    }
    *p = s + 1;
    *out = v;
    return ACDL_OK;
}

int crypto_password_verify(const char *password, const char *phc)
{
    int ln, r, p;
    unsigned char salt[64], want[64], got[64];
    size_t saltlen, wantlen;
    const char *cur = phc + 8;
    if (strncmp(phc, "$scrypt$", 8) != 0 || phc_param(&cur, "ln", ',', &ln) != ACDL_OK ||
        phc_param(&cur, "r", ',', &r) != ACDL_OK || phc_param(&cur, "p", '$', &p) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    /* Bounded so that a damaged or planted hash cannot cost minutes and gigabytes:
     * at most 128 MiB (2^17 * 8 * 128) and 2^22 block mixes. */
    if (ln < 10 || ln > 17 || r < 1 || r > 16 || p < 1 || p > 8 ||
        ((uint64_t)1 << ln) * (uint64_t)r > ((uint64_t)1 << 20) ||
        ((uint64_t)1 << ln) * (uint64_t)r * (uint64_t)p > ((uint64_t)1 << 22)) {
        return ACDL_EINVAL;
    }
    const char *s = cur;
    const char *d = strchr(s, '$');
    if (!d || b64_decode_nopad(s, (size_t)(d - s), salt, sizeof(salt), &saltlen) != 0 ||
        b64_decode_nopad(d + 1, strlen(d + 1), want, sizeof(want), &wantlen) != 0 ||
        saltlen < 8 || wantlen < 16) {
        return ACDL_EINVAL;
    }
    if (derive(password, salt, saltlen, ln, r, p, got, wantlen) != ACDL_OK) {
        return ACDL_ECRYPTO;
    }
    int same = CRYPTO_memcmp(got, want, wantlen) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return same ? ACDL_OK : ACDL_EAUTH;
}

void crypto_password_dummy(const char *password)
{
    unsigned char salt[SALT_LEN] = {0}, out[HASH_LEN];
    derive(password, salt, sizeof(salt), hash_ln(), CRYPTO_SCRYPT_R, CRYPTO_SCRYPT_P, out,
           sizeof(out));
}
