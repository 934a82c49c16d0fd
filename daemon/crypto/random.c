/* random.c: CSPRNG bytes, secrets, base64url and SHA-256. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"

int crypto_random(void *buf, size_t len)
{
    return RAND_bytes(buf, (int)len) == 1 ? ACDL_OK : ACDL_ECRYPTO;
}

size_t crypto_b64url(const unsigned char *in, size_t len, char *out, size_t outsz)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
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
    if (outsz) {
        out[n] = '\0';
    }
    return n;
}

/* SHA-256 fetched from the provider once: EVP_sha256() makes every digest fetch it again, under
 * a lock all threads share (each answer's ETag and each request's credential are digested) */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void crypto_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    pthread_once(&sha256_once, sha256_fetch);
    EVP_Digest(data, len, out, &n, sha256_md ? sha256_md : EVP_sha256(), NULL);
}

struct crypto_sha256_ctx {
    EVP_MD_CTX *run, *peek;
};

struct crypto_sha256_ctx *crypto_sha256_begin(void)
{
    struct crypto_sha256_ctx *x = calloc(1, sizeof(*x));
    pthread_once(&sha256_once, sha256_fetch);
    if (x) {
        x->run = EVP_MD_CTX_new();
        x->peek = EVP_MD_CTX_new();
    }
    if (!x || !x->run || !x->peek ||
        EVP_DigestInit_ex(x->run, sha256_md ? sha256_md : EVP_sha256(), NULL) != 1) {
        crypto_sha256_end(x);
        return NULL;
    }
    return x;
}

void crypto_sha256_add(struct crypto_sha256_ctx *x, const void *data, size_t len)
{
    EVP_DigestUpdate(x->run, data, len);
}

int crypto_sha256_peek(struct crypto_sha256_ctx *x, unsigned char out[32])
{
    unsigned int n = 32;
    return EVP_MD_CTX_copy_ex(x->peek, x->run) == 1 && EVP_DigestFinal_ex(x->peek, out, &n) == 1
               ? ACDL_OK
               : ACDL_ECRYPTO;
}

void crypto_sha256_end(struct crypto_sha256_ctx *x)
{
    if (x) {
        EVP_MD_CTX_free(x->run);
        EVP_MD_CTX_free(x->peek);
        free(x);
    }
}

int crypto_secret_new(const char *prefix, char *out, size_t outsz)
{
    unsigned char raw[32];
    char enc[48];
    int rc = crypto_random(raw, sizeof(raw));
    if (rc != ACDL_OK) {
        return rc;
    }
    crypto_b64url(raw, sizeof(raw), enc, sizeof(enc));
    int n = snprintf(out, outsz, "%s%s", prefix, enc);
    return n > 0 && (size_t)n < outsz ? ACDL_OK : ACDL_ETOOBIG;
}

int crypto_sha256_stream(FILE *f, char out[65], long long *size)
{
    unsigned char buf[65536], md[32];
    unsigned int mdlen = 32;
    size_t n;
    long long total = 0;
    int rc = ACDL_OK;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = ACDL_ECRYPTO;
        goto out;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
        total += (long long)n;
    }
    if (ferror(f)) {
        rc = ACDL_EIO;
        goto out;
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    *size = total;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int crypto_sha256_file(const char *path, char out[65], long long *size)
{
    FILE *f = fopen(path, "rb");
    int rc;
    if (!f) {
        return ACDL_ENOTFOUND;
    }
    rc = crypto_sha256_stream(f, out, size);
    fclose(f);
    return rc;
}
