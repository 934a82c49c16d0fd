/* secret.c: AES-256-GCM sealing of stored secrets under a key file. */
#include "crypto/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "platform/platform.h"

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define FILE_MAGIC "acdlink-secret-key-v1\n"
#define MAX_SECRET 65536

struct secret_key {
    unsigned char key[KEY_LEN];
    char id[9];
};

static void derive_id(struct secret_key *k)
{
    unsigned char h[32];
    unsigned char in[KEY_LEN + 6];
    memcpy(in, "key-id", 6);
    memcpy(in + 6, k->key, KEY_LEN);
    crypto_sha256(in, sizeof(in), h);
    snprintf(k->id, sizeof(k->id), "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
    OPENSSL_cleanse(in, sizeof(in));
}

static int b64url_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in; in++) {
        const char *p = strchr(alpha, *in);
        if (!p) {
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

int secret_key_load(const char *path, struct secret_key **out, char *err, size_t errsz)
{
    char buf[256];
    size_t mlen = strlen(FILE_MAGIC);
    int rc = ACDL_EIO;
    struct secret_key *k = calloc(1, sizeof(*k));
    if (!k) {
        return ACDL_ENOMEM;
    }
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        if (n != mlen + KEY_LEN || memcmp(buf, FILE_MAGIC, mlen) != 0) {
            snprintf(err, errsz,
                     "%s: not an acdlink key file (damaged?); restore it from the backup, or "
                     "the stored passwords cannot be decrypted",
                     path);
            rc = ACDL_EINVAL;
            goto fail;
        }
        memcpy(k->key, buf + mlen, KEY_LEN);
    } else {
        if (crypto_random(k->key, KEY_LEN) != ACDL_OK) {
            snprintf(err, errsz, "no random bytes for a new key");
            rc = ACDL_ECRYPTO;
            goto fail;
        }
        memcpy(buf, FILE_MAGIC, mlen);
        memcpy(buf + mlen, k->key, KEY_LEN);
        if (plat_file_write_atomic(path, buf, mlen + KEY_LEN, 1) != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot write the key file", path);
            goto fail;
        }
        log_info("crypto", "created the secrets key %s; keep it with the backups", path);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    derive_id(k);
    *out = k;
    return ACDL_OK;
fail:
    OPENSSL_cleanse(buf, sizeof(buf));
    secret_key_free(k);
    return rc;
}

void secret_key_free(struct secret_key *k)
{
    if (k) {
        OPENSSL_cleanse(k, sizeof(*k));
        free(k);
    }
}

const char *secret_key_id(const struct secret_key *k)
{
    return k->id;
}

int secret_seal(const struct secret_key *k, const char *aad, const void *plain, size_t len,
                char **out)
{
    int rc = ACDL_ECRYPTO, outl = 0;
    unsigned char *raw = NULL;
    char *text = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    if (len > MAX_SECRET) {
        return ACDL_ETOOBIG;
    }
    size_t rawlen = NONCE_LEN + len + TAG_LEN;
    raw = malloc(rawlen);
    text = malloc(4 * (rawlen / 3 + 1) + 32);
    ctx = EVP_CIPHER_CTX_new();
    if (!raw || !text || !ctx) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    if (crypto_random(raw, NONCE_LEN) != ACDL_OK ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, raw) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        (len > 0 && EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &outl, plain, (int)len) != 1) ||
        EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + len, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, raw + NONCE_LEN + len) != 1) {
        goto out;
    }
    int n = snprintf(text, 32, "v1.%s.", k->id);
    crypto_b64url(raw, rawlen, text + n, 4 * (rawlen / 3 + 1) + 1);
    *out = text;
    text = NULL;
    rc = ACDL_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (raw) {
        OPENSSL_cleanse(raw, rawlen);
    }
    free(raw);
    free(text);
    return rc;
}

int secret_open(const struct secret_key *k, const char *aad, const char *sealed, char **out,
                size_t *len)
{
    int rc = ACDL_EINVAL, outl = 0;
    unsigned char *raw = NULL;
    char *plain = NULL;
    size_t rawlen = 0, clen = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    size_t slen = strlen(sealed);
    if (strncmp(sealed, "v1.", 3) != 0 || slen < 13 || sealed[11] != '.' ||
        slen > 3 + 9 + 4 * ((MAX_SECRET + NONCE_LEN + TAG_LEN) / 3 + 1)) {
        return ACDL_EINVAL;
    }
    if (memcmp(sealed + 3, k->id, 8) != 0) {
        return ACDL_EAUTH; /* sealed under another key */
    }
    raw = malloc(slen);
    if (!raw) {
        return ACDL_ENOMEM;
    }
    if (b64url_decode(sealed + 12, raw, slen, &rawlen) != ACDL_OK ||
        rawlen < NONCE_LEN + TAG_LEN) {
        goto out;
    }
    clen = rawlen - NONCE_LEN - TAG_LEN;
    plain = malloc(clen + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!plain || !ctx) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    rc = ACDL_EAUTH;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, raw) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        (clen > 0 &&
         EVP_DecryptUpdate(ctx, (unsigned char *)plain, &outl, raw + NONCE_LEN, (int)clen) != 1) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + clen) != 1 ||
        EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + clen, &outl) != 1) {
        goto out;
    }
    plain[clen] = '\0';
    *out = plain;
    *len = clen;
    plain = NULL;
    rc = ACDL_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (plain) {
        secret_wipe(plain, clen + 1);
    }
    free(raw);
    return rc;
}

void secret_wipe(char *buf, size_t len)
{
    if (buf) {
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
}
