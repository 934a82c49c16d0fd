/* test_secret.c: unit tests of AES-256-GCM sealing of stored secrets (crypto/secret.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/err.h"
#include "crypto/secret.h"

static void test_roundtrip(void)
{
    char dir[] = "/tmp/acdl-secret-XXXXXX";
    char path[128], err[256], *sealed = NULL, *sealed2 = NULL, *plain = NULL;
    size_t len = 0;
    struct secret_key *k = NULL, *k2 = NULL, *other = NULL;
    struct stat st;
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return;
    }
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    CHECK_EQ_INT(secret_key_load(path, &k, err, sizeof(err)), ACDL_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(strlen(secret_key_id(k)), 8);
    /* loading again gives the same key */
    CHECK_EQ_INT(secret_key_load(path, &k2, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_STR(secret_key_id(k), secret_key_id(k2));

    CHECK_EQ_INT(secret_seal(k, "sources/7/password", "canary-Pa55", 11, &sealed), ACDL_OK);
    CHECK(strncmp(sealed, "v1.", 3) == 0);
    CHECK(strstr(sealed, "canary") == NULL);
    CHECK_EQ_INT(secret_open(k2, "sources/7/password", sealed, &plain, &len), ACDL_OK);
    CHECK_EQ_INT(len, 11);
    CHECK_EQ_STR(plain, "canary-Pa55");
    secret_wipe(plain, len);
    plain = NULL;
    /* the same secret sealed twice differs (fresh nonce) */
    CHECK_EQ_INT(secret_seal(k, "sources/7/password", "canary-Pa55", 11, &sealed2), ACDL_OK);
    CHECK(strcmp(sealed, sealed2) != 0);
    /* bound to its place: another row or column does not decrypt */
    CHECK_EQ_INT(secret_open(k, "sources/8/password", sealed, &plain, &len), ACDL_EAUTH);
    CHECK_EQ_INT(secret_open(k, "targets/7/password", sealed, &plain, &len), ACDL_EAUTH);
    /* a flipped character fails authentication */
    size_t n = strlen(sealed);
    sealed[n - 3] = sealed[n - 3] == 'A' ? 'B' : 'A';
    CHECK(secret_open(k, "sources/7/password", sealed, &plain, &len) != ACDL_OK);
    /* malformed */
    CHECK_EQ_INT(secret_open(k, "a", "", &plain, &len), ACDL_EINVAL);
    CHECK_EQ_INT(secret_open(k, "a", "v2.00000000.AAAA", &plain, &len), ACDL_EINVAL);
    CHECK(secret_open(k, "a", "v1.", &plain, &len) != ACDL_OK);
    /* another key */
    snprintf(path, sizeof(path), "%s/other.key", dir);
    CHECK_EQ_INT(secret_key_load(path, &other, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(secret_open(other, "sources/7/password", sealed2, &plain, &len), ACDL_EAUTH);
    /* empty secrets work */
    free(sealed);
    CHECK_EQ_INT(secret_seal(k, "x", "", 0, &sealed), ACDL_OK);
    CHECK_EQ_INT(secret_open(k, "x", sealed, &plain, &len), ACDL_OK);
    CHECK_EQ_INT(len, 0);
    secret_wipe(plain, len);
    /* a damaged key file is refused with a message */
    FILE *f = fopen(path, "wb");
    fputs("garbage", f);
    fclose(f);
    struct secret_key *bad = NULL;
    CHECK_EQ_INT(secret_key_load(path, &bad, err, sizeof(err)), ACDL_EINVAL);
    CHECK(strstr(err, "not an acdlink key file") != NULL);
    free(sealed);
    free(sealed2);
    secret_key_free(k);
    secret_key_free(k2);
    secret_key_free(other);
    secret_key_free(NULL);
}

int main(void)
{
    RUN(test_roundtrip);
    return check_summary();
}
