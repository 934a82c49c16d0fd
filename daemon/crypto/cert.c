/* cert.c: the self-signed TLS certificate made at first start (EC P-256, SAN for local names). */
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "platform/platform.h"

#define CERT_DAYS 825
#define CERT_BACKDATE_S 3600L

/* 1 when the certificate at path loads and is valid for at least 30 more days. */
static int cert_usable(const char *path)
{
    int ok = 0;
    FILE *f = fopen(path, "r");
    X509 *x = NULL;
    if (!f) {
        return 0;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x) {
        time_t soon = time(NULL) + 30 * 86400;
        ok = X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;
        X509_free(x);
    }
    return ok;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) {
        return 0;
    }
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int bio_to_file(BIO *b, const char *path, int private_mode)
{
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    if (len <= 0) {
        return ACDL_ECRYPTO;
    }
    return plat_file_write_atomic(path, data, (size_t)len, private_mode);
}

int crypto_cert_ensure(const char *dir, char *err, size_t errsz)
{
    char cert_path[1100], key_path[1100], san[512], host[256];
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    BIO *kb = NULL, *cb = NULL;
    unsigned char serial[16];
    int rc = ACDL_ECRYPTO;

    snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
    snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
    if (plat_path_exists(key_path) && cert_usable(cert_path)) {
        return ACDL_OK;
    }
    if (plat_mkdir_p(dir, 1) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot create the TLS folder", dir);
        return ACDL_EIO;
    }
    key = EVP_EC_gen("P-256");
    x = X509_new();
    if (!key || !x || crypto_random(serial, sizeof(serial)) != ACDL_OK) {
        goto out;
    }
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
        BN_free(bn);
        goto out;
    }
    BN_free(bn);
    X509_set_version(x, 2);
    /* valid from an hour ago (clocks of clients that lag), and the whole span, that hour
     * included, within the 825 days browsers accept */
    X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_S);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400 - CERT_BACKDATE_S);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"acdlink", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"acdlink self-signed", -1, -1, 0);
    X509_set_issuer_name(x, name);
    plat_hostname(host, sizeof(host));
    int host_ok = host[0] != '\0' && strcmp(host, "localhost") != 0;
    for (const char *p = host; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.') {
            host_ok = 0;
        }
    }
    snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1%s%s", host_ok ? ",DNS:" : "",
             host_ok ? host : "");
    if (!add_ext(x, NID_subject_alt_name, san) ||
        !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(x, NID_ext_key_usage, "serverAuth") ||
        !add_ext(x, NID_subject_key_identifier, "hash")) {
        goto out;
    }
    if (!X509_sign(x, key, EVP_sha256())) {
        goto out;
    }
    kb = BIO_new(BIO_s_mem());
    cb = BIO_new(BIO_s_mem());
    if (!kb || !cb || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cb, x)) {
        goto out;
    }
    if (bio_to_file(kb, key_path, 1) != ACDL_OK || bio_to_file(cb, cert_path, 0) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot write the certificate or key", dir);
        rc = ACDL_EIO;
        goto out;
    }
    log_info("tls", "created a self-signed certificate %s (SAN %s)", cert_path, san);
    rc = ACDL_OK;
out:
    if (rc == ACDL_ECRYPTO) {
        snprintf(err, errsz, "creating the self-signed certificate failed: %s",
                 ERR_reason_error_string(ERR_get_error()));
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

/* OpenSSL's reasons for the last failure on this thread, each once (and clears the queue). */
static void ssl_reason(char *out, size_t outsz)
{
    unsigned long e;
    size_t used = 0;
    out[0] = '\0';
    while ((e = ERR_get_error()) != 0 && used + 1 < outsz) {
        char one[120];
        const char *why = ERR_reason_error_string(e);
        if (why) {
            snprintf(one, sizeof(one), "%s", why);
        } else {
            ERR_error_string_n(e, one, sizeof(one));
        }
        if (!strstr(out, one)) {
            int n = snprintf(out + used, outsz - used, "%s%s", used ? ", " : "", one);
            used = n < 0 ? outsz : used + (size_t)n;
        }
    }
    ERR_clear_error();
    if (!out[0]) {
        snprintf(out, outsz, "no further detail from OpenSSL");
    }
}

/* 1 when f holds a line starting "-----BEGIN" (f is rewound). */
static int has_pem_block(FILE *f)
{
    char line[256];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        found = !strncmp(line, "-----BEGIN", 10);
    }
    rewind(f);
    return found;
}

int crypto_tls_files_check(const char *cert, const char *key, char *err, size_t errsz)
{
    char why[200] = "";
    X509 *x = NULL;
    EVP_PKEY *pk = NULL;
    FILE *f = NULL;
    int rc = ACDL_EINVAL;
    ERR_clear_error();
    if (!(f = fopen(cert, "r"))) {
        snprintf(err, errsz, "TLS certificate %s cannot be read: %s", cert, strerror(errno));
        rc = ACDL_EIO;
        goto out;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        ssl_reason(why, sizeof(why));
        snprintf(err, errsz, "TLS certificate %s: not a PEM certificate (%s)", cert, why);
        goto out;
    }
    if (!(f = fopen(key, "r"))) {
        snprintf(err, errsz, "TLS key %s cannot be read: %s", key, strerror(errno));
        rc = ACDL_EIO;
        goto out;
    }
    if (!has_pem_block(f)) {
        fclose(f);
        snprintf(err, errsz,
                 "TLS key %s: not a PEM private key (no \"-----BEGIN ... PRIVATE KEY-----\" "
                 "line)",
                 key);
        goto out;
    }
    /* no passphrase callback: an encrypted key fails here instead of prompting */
    pk = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
    fclose(f);
    if (!pk) {
        ssl_reason(why, sizeof(why));
        snprintf(err, errsz,
                 "TLS key %s: not a PEM private key, or one protected by a passphrase (%s)", key,
                 why);
        goto out;
    }
    if (X509_check_private_key(x, pk) != 1) {
        ERR_clear_error();
        snprintf(err, errsz, "TLS key %s does not match the certificate %s", key, cert);
        goto out;
    }
    rc = ACDL_OK;
out:
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}
