/* test_crypto.c: unit tests of password hashing, secrets, digests and the self-signed
 * certificate (crypto/). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"

static char tmp[512];

static int all_in(const char *s, size_t n, const char *alphabet)
{
    for (size_t i = 0; i < n; i++) {
        if (!s[i] || !strchr(alphabet, s[i])) {
            return 0;
        }
    }
    return 1;
}

#define B64_STD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define B64_URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void test_password_hash(void)
{
    char h1[CRYPTO_PHC_MAX], h2[CRYPTO_PHC_MAX];
    const char *prefix = "$scrypt$ln=15,r=8,p=3$";
    CHECK_EQ_INT(crypto_password_hash("correct horse", h1, sizeof(h1)), ACDL_OK);
    CHECK_EQ_INT(strncmp(h1, prefix, strlen(prefix)), 0);
    /* 16-byte salt: 22 characters, 32-byte hash: 43 characters, standard alphabet, no padding */
    const char *salt = h1 + strlen(prefix);
    const char *dollar = strchr(salt, '$');
    if (CHECK(dollar != NULL)) {
        CHECK_EQ_INT(dollar - salt, 22);
        CHECK(all_in(salt, 22, B64_STD));
        CHECK_EQ_INT(strlen(dollar + 1), 43);
        CHECK(all_in(dollar + 1, 43, B64_STD));
    }
    CHECK_EQ_INT(strlen(h1), strlen(prefix) + 22 + 1 + 43);
    CHECK(strchr(salt, '=') == NULL); /* no base64 padding */

    /* each scrypt here costs ~0.3 s (N = 2^15, p = 3): verify right and wrong once */
    CHECK_EQ_INT(crypto_password_verify("correct horse", h1), ACDL_OK);
    CHECK_EQ_INT(crypto_password_verify("correct horsf", h1), ACDL_EAUTH);

    /* a fresh salt every time */
    CHECK_EQ_INT(crypto_password_hash("correct horse", h2, sizeof(h2)), ACDL_OK);
    CHECK(strcmp(h1, h2) != 0);
    CHECK(strncmp(h1, h2, strlen(prefix) + 22) != 0);
    CHECK_EQ_INT(strncmp(h1, h2, strlen(prefix)), 0);

    /* too small an output buffer */
    char small[40];
    CHECK_EQ_INT(crypto_password_hash("x", small, sizeof(small)), ACDL_ETOOBIG);

    /* the dummy verification runs (for unknown users) */
    crypto_password_dummy("whatever");
}

static void test_password_known_answer(void)
{
    /* RFC 7914 section 12: scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1, 64) */
    const char *phc = "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$"
                      "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDf"
                      "zwF7RVdYhw";
    CHECK_EQ_INT(crypto_password_verify("pleaseletmein", phc), ACDL_OK);
    CHECK_EQ_INT(crypto_password_verify("pleaseletmeim", phc), ACDL_EAUTH);
    /* the first 32 bytes of the same output (PBKDF2 output is a prefix) */
    CHECK_EQ_INT(crypto_password_verify("pleaseletmein",
                                        "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$"
                                        "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI"),
                 ACDL_OK);
    /* computed independently (Python hashlib.scrypt) with other parameters */
    CHECK_EQ_INT(crypto_password_verify("pw", "$scrypt$ln=10,r=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"
                                              "91gYVmX1sVQ/C4wAGInkFWSpo6AxQEEIoiTJmd83rw0"),
                 ACDL_OK);
    CHECK_EQ_INT(crypto_password_verify("pW", "$scrypt$ln=10,r=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"
                                              "91gYVmX1sVQ/C4wAGInkFWSpo6AxQEEIoiTJmd83rw0"),
                 ACDL_EAUTH);
    /* the empty password, and a UTF-8 one with other r and p */
    CHECK_EQ_INT(crypto_password_verify("", "$scrypt$ln=10,r=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"
                                            "Jh/EEVX0irXBGruxW5kanD8Rzk7OaZYjfa2M77ieVD8"),
                 ACDL_OK);
    CHECK_EQ_INT(crypto_password_verify(" ", "$scrypt$ln=10,r=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"
                                             "Jh/EEVX0irXBGruxW5kanD8Rzk7OaZYjfa2M77ieVD8"),
                 ACDL_EAUTH);
    CHECK_EQ_INT(crypto_password_verify("p\xc3\xa4ssw\xc3\xb6rd",
                                        "$scrypt$ln=11,r=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$"
                                        "H0bVNYQLQ9F5eEg5Bhb+iILwf7gxbMP4yCaTYv4h2e4"),
                 ACDL_OK);
}

static void test_password_malformed(void)
{
    /* salt "0123456789abcdef" and a 32-byte hash in PHC base64, reused below */
#define SALT "MDEyMzQ1Njc4OWFiY2RlZg"
#define HASH "91gYVmX1sVQ/C4wAGInkFWSpo6AxQEEIoiTJmd83rw0"
    const char *bad[] = {
        "",
        "$",
        "$scrypt$",
        "$scrypt",
        "scrypt$ln=10,r=1,p=1$" SALT "$" HASH,
        "$SCRYPT$ln=10,r=1,p=1$" SALT "$" HASH,
        "$argon2id$v=19$m=65536,t=3,p=4$" SALT "$" HASH,
        "$scrypt$ln=10,r=1$" SALT "$" HASH,
        "$scrypt$ln=10,r=1,p=1" SALT "$" HASH,
        "$scrypt$r=1,ln=10,p=1$" SALT "$" HASH,
        "$scrypt$ln=x,r=1,p=1$" SALT "$" HASH,
        "$scrypt$ln=,r=1,p=1$" SALT "$" HASH,
        "$scrypt$ln=9,r=1,p=1$" SALT "$" HASH,
        "$scrypt$ln=21,r=1,p=1$" SALT "$" HASH,
        "$scrypt$ln=-1,r=1,p=1$" SALT "$" HASH,
        "$scrypt$ln=10,r=0,p=1$" SALT "$" HASH,
        "$scrypt$ln=10,r=33,p=1$" SALT "$" HASH,
        "$scrypt$ln=10,r=1,p=0$" SALT "$" HASH,
        "$scrypt$ln=10,r=1,p=17$" SALT "$" HASH,
        "$scrypt$ln=10,r=1,p=1$" SALT,                /* no hash */
        "$scrypt$ln=10,r=1,p=1$" SALT "$",            /* empty hash */
        "$scrypt$ln=10,r=1,p=1$$" HASH,               /* empty salt */
        "$scrypt$ln=10,r=1,p=1$$",                    /* neither */
        "$scrypt$ln=10,r=1,p=1$MDEy!zQ1Njc4OWFiY2RlZg$" HASH, /* bad character */
        "$scrypt$ln=10,r=1,p=1$" SALT "$91gYVmX1sVQ-C4wAGInkFWSpo6AxQEEIoiTJmd83rw0", /* url */
        "$scrypt$ln=10,r=1,p=1$" SALT "==$" HASH,     /* padding */
        "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH "=",   /* padding */
        "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH "$",   /* trailing field */
        "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH "$x",  /* extra field */
        "$scrypt$ln=10,r=1,p=1$c2FsdA$" HASH,         /* 4-byte salt: too short */
        "$scrypt$ln=10,r=1,p=1$" SALT "$c2hvcnRoYXNo", /* 9-byte hash: too short */
        "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH HASH HASH, /* 96-byte hash: too long */
        "$scrypt$ln=10,r=1,p=1$" SALT SALT SALT SALT "$" HASH, /* 64+ byte salt: too long */
        "$scrypt$ln=10,r=1,p=1$ " SALT "$" HASH,      /* space */
        "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH "\n",  /* newline */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!CHECK_EQ_INT(crypto_password_verify("pw", bad[i]), ACDL_EINVAL)) {
            fprintf(stdout, "  (phc #%zu: '%s')\n", i, bad[i]);
        }
    }
    /* the well-formed one these were made from */
    CHECK_EQ_INT(crypto_password_verify("pw", "$scrypt$ln=10,r=1,p=1$" SALT "$" HASH), ACDL_OK);
#undef SALT
#undef HASH
}

static void test_b64url_sha256_random(void)
{
    struct {
        const char *in, *out;
    } v[] = {{"", ""},          {"f", "Zg"},         {"fo", "Zm8"},
             {"foo", "Zm9v"},   {"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"},
             {"foobar", "Zm9vYmFy"}};
    char out[64];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = crypto_b64url((const unsigned char *)v[i].in, strlen(v[i].in), out,
                                 sizeof(out));
        CHECK_EQ_STR(out, v[i].out);
        CHECK_EQ_INT(n, strlen(v[i].out));
    }
    /* the URL-safe characters */
    const unsigned char bin[] = {0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83};
    CHECK_EQ_INT(crypto_b64url(bin, sizeof(bin), out, sizeof(out)), 8);
    CHECK_EQ_STR(out, "-_-_ABCD");
    CHECK_EQ_INT(crypto_b64url(bin, 2, out, sizeof(out)), 3);
    CHECK_EQ_STR(out, "-_8");
    /* exactly 4*ceil(len/3)+1 bytes is enough; less truncates safely */
    char exact[4 * 2 + 1];
    CHECK_EQ_INT(crypto_b64url((const unsigned char *)"foobar", 6, exact, sizeof(exact)), 8);
    CHECK_EQ_STR(exact, "Zm9vYmFy");
    char tiny[3] = {'x', 'x', 'x'};
    CHECK_EQ_INT(crypto_b64url((const unsigned char *)"foobar", 6, tiny, sizeof(tiny)), 2);
    CHECK_EQ_STR(tiny, "Zm");
    char none = 'x';
    CHECK_EQ_INT(crypto_b64url((const unsigned char *)"foobar", 6, &none, 0), 0);
    CHECK_EQ_INT(none, 'x');
    /* a long input: the encoder's bit accumulator must not lose data */
    unsigned char big[300];
    char bigout[401], ref[404];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (unsigned char)(i * 37 + 11);
    }
    CHECK_EQ_INT(crypto_b64url(big, sizeof(big), bigout, sizeof(bigout)), 400);
    EVP_EncodeBlock((unsigned char *)ref, big, (int)sizeof(big));
    for (char *p = ref; *p; p++) {
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
    CHECK_EQ_STR(bigout, ref);

    /* SHA-256 of "abc" and of "" (FIPS 180-2) */
    unsigned char d[32];
    char hex[65];
    crypto_sha256("abc", 3, d);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256("", 0, d);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* random bytes differ */
    unsigned char r1[32], r2[32];
    CHECK_EQ_INT(crypto_random(r1, sizeof(r1)), ACDL_OK);
    CHECK_EQ_INT(crypto_random(r2, sizeof(r2)), ACDL_OK);
    CHECK(memcmp(r1, r2, sizeof(r1)) != 0);
    CHECK_EQ_INT(crypto_random(r1, 0), ACDL_OK);

    /* secrets: prefix + 43 URL-safe characters */
    char s1[80], s2[80];
    CHECK_EQ_INT(crypto_secret_new("acdl_", s1, sizeof(s1)), ACDL_OK);
    CHECK_EQ_INT(strlen(s1), 5 + 43);
    CHECK_EQ_INT(strncmp(s1, "acdl_", 5), 0);
    CHECK(all_in(s1 + 5, 43, B64_URL));
    CHECK_EQ_INT(crypto_secret_new("acdl_", s2, sizeof(s2)), ACDL_OK);
    CHECK(strcmp(s1, s2) != 0);
    CHECK_EQ_INT(crypto_secret_new("", s1, sizeof(s1)), ACDL_OK);
    CHECK_EQ_INT(strlen(s1), 43);
    CHECK_EQ_INT(crypto_secret_new("", s1, 44), ACDL_OK);
    CHECK_EQ_INT(crypto_secret_new("", s1, 43), ACDL_ETOOBIG);
    CHECK_EQ_INT(crypto_secret_new("acdl_", s1, 20), ACDL_ETOOBIG);
}

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = NULL;
    if (f) {
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    return x;
}

static void test_cert(void)
{
    char dir[700], cert[800], key[800], err[512] = "";
    struct stat sb;
    snprintf(dir, sizeof(dir), "%s/data/tls", tmp); /* parents created as needed */
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);

    CHECK_EQ_INT(crypto_cert_ensure(dir, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(stat(dir, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0700);
    CHECK_EQ_INT(stat(key, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(stat(cert, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0077 & ~0044, 0); /* not writable by others */

    X509 *x = load_cert(cert);
    if (!CHECK(x != NULL)) {
        return;
    }
    FILE *kf = fopen(key, "r");
    EVP_PKEY *pk = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
    if (kf) {
        fclose(kf);
    }
    CHECK(pk != NULL);
    if (pk) {
        CHECK(EVP_PKEY_is_a(pk, "EC"));
        char group[64] = "";
        size_t glen = 0;
        EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &glen);
        CHECK_EQ_STR(group, "prime256v1");
        CHECK_EQ_INT(X509_check_private_key(x, pk), 1);
        EVP_PKEY_free(pk);
    }
    /* self-signed and valid for years */
    EVP_PKEY *pub = X509_get0_pubkey(x);
    CHECK_EQ_INT(X509_verify(x, pub), 1);
    time_t now = time(NULL), soon = now + 800L * 86400, late = now + 900L * 86400;
    CHECK(X509_cmp_time(X509_get0_notBefore(x), &now) < 0);
    CHECK(X509_cmp_time(X509_get0_notAfter(x), &soon) > 0);
    CHECK(X509_cmp_time(X509_get0_notAfter(x), &late) < 0);
    /* the whole validity, the backdated hour included, is at most 825 days */
    int days = -1, secs = -1;
    CHECK_EQ_INT(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
    CHECK(days > 824 || (days == 824 && secs > 0));
    CHECK(days < 825 || (days == 825 && secs == 0));
    /* the subject alternative names */
    CHECK_EQ_INT(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    CHECK_EQ_INT(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    CHECK_EQ_INT(X509_check_ip_asc(x, "::1", 0), 1);
    CHECK(X509_check_host(x, "example.com", 0, 0, NULL) != 1);
    CHECK(X509_check_ip_asc(x, "10.0.0.1", 0) != 1);
    int dns_localhost = 0, ip4 = 0, ip6 = 0;
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    CHECK(sans != NULL);
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type == GEN_DNS) {
            const char *s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
            dns_localhost |= strcmp(s, "localhost") == 0;
        } else if (g->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
            int len = ASN1_STRING_length(g->d.iPAddress);
            static const unsigned char lo4[4] = {127, 0, 0, 1};
            static const unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            ip4 |= len == 4 && memcmp(ip, lo4, 4) == 0;
            ip6 |= len == 16 && memcmp(ip, lo6, 16) == 0;
        }
    }
    GENERAL_NAMES_free(sans);
    CHECK(dns_localhost);
    CHECK(ip4);
    CHECK(ip6);
    /* a server certificate, not a CA */
    CHECK_EQ_INT(X509_check_ca(x), 0);
    CHECK(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    X509_free(x);

    /* a second call keeps the same certificate and key */
    char *c1 = check_read_file(cert, NULL), *k1 = check_read_file(key, NULL);
    CHECK_EQ_INT(crypto_cert_ensure(dir, err, sizeof(err)), ACDL_OK);
    char *c2 = check_read_file(cert, NULL), *k2 = check_read_file(key, NULL);
    CHECK(c1 && c2 && strcmp(c1, c2) == 0);
    CHECK(k1 && k2 && strcmp(k1, k2) == 0);
    free(c2);
    free(k2);

    /* a broken certificate is replaced */
    CHECK(check_write_file(cert, "not a certificate\n", 18) == 0);
    CHECK_EQ_INT(crypto_cert_ensure(dir, err, sizeof(err)), ACDL_OK);
    x = load_cert(cert);
    CHECK(x != NULL);
    X509_free(x);
    c2 = check_read_file(cert, NULL);
    CHECK(c1 && c2 && strcmp(c1, c2) != 0);
    free(c2);
    /* a missing key means a new pair */
    unlink(key);
    c2 = check_read_file(cert, NULL);
    CHECK_EQ_INT(crypto_cert_ensure(dir, err, sizeof(err)), ACDL_OK);
    char *c3 = check_read_file(cert, NULL);
    CHECK(c2 && c3 && strcmp(c2, c3) != 0);
    CHECK_EQ_INT(stat(key, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    free(c1);
    free(k1);
    free(c2);
    free(c3);

    /* a folder that cannot be made */
    err[0] = '\0';
    CHECK(crypto_cert_ensure("/proc/acdl-no/tls", err, sizeof(err)) != ACDL_OK);
    CHECK(err[0] != '\0');
}

int main(void)
{
    log_set_level(LOG_WARN);
    if (check_tmpdir("crypto", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_password_hash);
    RUN(test_password_known_answer);
    RUN(test_password_malformed);
    RUN(test_b64url_sha256_random);
    RUN(test_cert);
    check_tmpdir_done(tmp);
    return check_summary();
}
