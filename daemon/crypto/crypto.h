/* crypto.h: password hashing, random tokens, digests and the self-signed certificate.
 * All functions are thread-safe (OpenSSL 3 is). */
#ifndef ACDL_CRYPTO_H
#define ACDL_CRYPTO_H
#include <stddef.h>
#include <stdio.h>

/* scrypt parameters: N = 2^15, r = 8, p = 3 (32 MiB, ~100 ms on one core). */
#define CRYPTO_SCRYPT_LN 15
#define CRYPTO_SCRYPT_R 8
#define CRYPTO_SCRYPT_P 3
#define CRYPTO_PHC_MAX 160

/* Hashes a password with a fresh 16-byte salt into PHC form
 * "$scrypt$ln=15,r=8,p=3$<salt>$<hash>" (base64 without padding). Returns 0 or ACDL_ECRYPTO. */
int crypto_password_hash(const char *password, char *out, size_t outsz);

/* 0 when password matches phc, ACDL_EAUTH when not, ACDL_EINVAL when phc is malformed.
 * Compares in constant time. Accepts ln 10..17, r 1..16, p 1..8 within 128 MiB of memory. */
int crypto_password_verify(const char *password, const char *phc);

/* Spends the time of one verification, for unknown users (no user enumeration by timing). */
void crypto_password_dummy(const char *password);

/* Fills buf with len bytes from the OS CSPRNG. Returns 0 or ACDL_ECRYPTO. */
int crypto_random(void *buf, size_t len);

/* base64url without padding; out needs 4*ceil(len/3)+1 bytes. Returns the text length. */
size_t crypto_b64url(const unsigned char *in, size_t len, char *out, size_t outsz);

/* SHA-256 of data. */
void crypto_sha256(const void *data, size_t len, unsigned char out[32]);

/* SHA-256 over data given in pieces, with the digest of what was given so far taken at any
 * point (crypto_sha256_peek; the data may go on after it). begin: NULL when out of memory. */
struct crypto_sha256_ctx;
struct crypto_sha256_ctx *crypto_sha256_begin(void);
void crypto_sha256_add(struct crypto_sha256_ctx *x, const void *data, size_t len);
int crypto_sha256_peek(struct crypto_sha256_ctx *x, unsigned char out[32]);
void crypto_sha256_end(struct crypto_sha256_ctx *x);

/* SHA-256 of a file's content as 64 hex digits (out: 65 bytes); *size gets its length.
 * Returns 0, ACDL_ENOTFOUND or ACDL_EIO. */
int crypto_sha256_file(const char *path, char out[65], long long *size);

/* As crypto_sha256_file, for the rest of the open file f (borrowed; read to its end). */
int crypto_sha256_stream(FILE *f, char out[65], long long *size);

/* A new random secret: prefix followed by 43 base64url characters (32 bytes). */
int crypto_secret_new(const char *prefix, char *out, size_t outsz);

/* Makes sure dir/cert.pem and dir/key.pem hold a usable self-signed certificate (EC P-256,
 * SAN localhost, 127.0.0.1, ::1 and the host name), creating or renewing it when missing or
 * expiring within 30 days. Returns 0 or an ACDL_E* code with err. */
int crypto_cert_ensure(const char *dir, char *err, size_t errsz);

/* Checks that cert holds a PEM certificate and key the PEM private key that belongs to it,
 * before the server uses them. Returns 0, ACDL_EIO (a file cannot be read: err has the
 * system's reason, e.g. permission denied) or ACDL_EINVAL (err names the file and the cause:
 * not a PEM certificate / private key with OpenSSL's reason, or the key does not match). */
int crypto_tls_files_check(const char *cert, const char *key, char *err, size_t errsz);

#endif
