/* secret.h: encryption of stored secrets (ODBC passwords, WFM API keys) with AES-256-GCM.
 *
 * The key is 32 random bytes in a key file made at first start (mode 0600), never in the
 * database, so a copy of the database alone reveals nothing. Every ciphertext is bound to
 * where it is stored by the associated data (e.g. "sources/7/password"): a ciphertext copied
 * into another row or column does not decrypt. Sealed text: "v1.<key id>.<base64url of
 * nonce (12) | ciphertext | tag (16)>". Thread-safe after secret_key_load(). */
#ifndef ACDL_CRYPTO_SECRET_H
#define ACDL_CRYPTO_SECRET_H
#include <stddef.h>

struct secret_key;

/* Loads the key file at path, creating it (with a new random key) when it does not exist.
 * *out is new: free with secret_key_free(). Returns 0, ACDL_EIO or ACDL_EINVAL (a damaged
 * file) with a message in err. */
int secret_key_load(const char *path, struct secret_key **out, char *err, size_t errsz);
void secret_key_free(struct secret_key *k);

/* The key's id (8 hex digits, derived from the key): shows which key sealed a secret. */
const char *secret_key_id(const struct secret_key *k);

/* Encrypts plain[0..len) bound to aad. *out is new (free()). Returns 0 or ACDL_ECRYPTO. */
int secret_seal(const struct secret_key *k, const char *aad, const void *plain, size_t len,
                char **out);

/* Decrypts sealed text bound to aad into a new NUL-terminated buffer *out (free() it, after
 * wiping it with secret_wipe()); *len gets the length. ACDL_EAUTH when the text was altered,
 * sealed for another place or with another key; ACDL_EINVAL when it is malformed. */
int secret_open(const struct secret_key *k, const char *aad, const char *sealed, char **out,
                size_t *len);

/* Overwrites and frees a buffer from secret_open(). Accepts NULL. */
void secret_wipe(char *buf, size_t len);

#endif
