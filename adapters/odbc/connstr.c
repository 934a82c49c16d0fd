/* connstr.c: ODBC connection strings: building them safely, reading keys, redacting secrets.
 *
 * Grammar (SQLDriverConnect): attribute pairs "key=value" separated by ';'. A value that holds
 * ';' or starts with '{' must be written as {value}; inside braces a '}' is doubled. unixODBC,
 * psqlODBC and the SQLite driver all accept this (checked by the unit test with a password that
 * holds ; { } and =). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "adapters/odbc/odbc_int.h"
#include "core/err.h"

static int lower_ascii(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int odbc_ascii_casecmp_n(const char *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || lower_ascii((unsigned char)a[i]) != lower_ascii((unsigned char)b[i])) {
            return 1;
        }
    }
    return b[alen] != '\0';
}

int odbc_ascii_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle), h, i;
    if (!hay) {
        return 0;
    }
    h = strlen(hay);
    for (i = 0; i + n <= h; i++) {
        if (odbc_ascii_casecmp_n(hay + i, n, needle) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Characters that force braces: the grammar's reserved ones, and spaces, which drivers trim. */
static int needs_braces(const char *v)
{
    size_t n = strlen(v);
    if (n == 0) {
        return 0;
    }
    if (v[0] == ' ' || v[n - 1] == ' ' || v[0] == '\t' || v[n - 1] == '\t') {
        return 1;
    }
    return strpbrk(v, ";{}[](),=?*!@") != NULL;
}

static int has_ctl(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 && *s != '\t') {
            return 1;
        }
    }
    return 0;
}

int odbc_connstr_append(char *buf, size_t bufsz, const char *key, const char *value)
{
    size_t len, need, klen, i;
    char *p;

    if (!buf || bufsz == 0 || !key || !*key || !value) {
        return ACDL_EINVAL;
    }
    if (has_ctl(key) || has_ctl(value) || strpbrk(key, ";={}") != NULL) {
        return ACDL_EINVAL;
    }
    len = strnlen(buf, bufsz);
    if (len == bufsz) {
        return ACDL_EINVAL;
    }
    klen = strlen(key);
    /* worst case: "key={" + every char doubled + "};" + NUL */
    need = klen + 1 + 2 + 1 + 1;
    for (i = 0; value[i]; i++) {
        need += value[i] == '}' ? 2 : 1;
    }
    if (len > 0 && buf[len - 1] != ';') {
        need++;
    }
    if (len + need > bufsz) {
        return ACDL_ETOOBIG;
    }
    p = buf + len;
    if (len > 0 && buf[len - 1] != ';') {
        *p++ = ';';
    }
    memcpy(p, key, klen);
    p += klen;
    *p++ = '=';
    if (needs_braces(value)) {
        *p++ = '{';
        for (i = 0; value[i]; i++) {
            *p++ = value[i];
            if (value[i] == '}') {
                *p++ = '}';
            }
        }
        *p++ = '}';
    } else {
        size_t vlen = strlen(value);
        memcpy(p, value, vlen);
        p += vlen;
    }
    *p++ = ';';
    *p = '\0';
    return ACDL_OK;
}

int odbc_connstr_next(const char *s, size_t *pos, struct odbc_cs_pair *pair)
{
    size_t i = *pos;

    for (;;) {
        while (s[i] == ';' || s[i] == ' ' || s[i] == '\t') {
            i++;
        }
        if (s[i] == '\0') {
            *pos = i;
            return 0;
        }
        pair->key = s + i;
        while (s[i] && s[i] != '=' && s[i] != ';') {
            i++;
        }
        pair->key_len = (size_t)(s + i - pair->key);
        while (pair->key_len > 0 &&
               (pair->key[pair->key_len - 1] == ' ' || pair->key[pair->key_len - 1] == '\t')) {
            pair->key_len--;
        }
        if (s[i] != '=') {
            /* a key without a value: skip it */
            continue;
        }
        i++;
        while (s[i] == ' ' || s[i] == '\t') {
            i++;
        }
        if (s[i] == '{') {
            pair->braced = 1;
            pair->val = s + i + 1;
            i++;
            for (;;) {
                if (s[i] == '\0') {
                    pair->val_len = (size_t)(s + i - pair->val);
                    break;
                }
                if (s[i] == '}') {
                    if (s[i + 1] == '}') {
                        i += 2;
                        continue;
                    }
                    pair->val_len = (size_t)(s + i - pair->val);
                    i++;
                    break;
                }
                i++;
            }
            while (s[i] && s[i] != ';') {
                i++;
            }
        } else {
            pair->braced = 0;
            pair->val = s + i;
            while (s[i] && s[i] != ';') {
                i++;
            }
            pair->val_len = (size_t)(s + i - pair->val);
            while (pair->val_len > 0 && (pair->val[pair->val_len - 1] == ' ' ||
                                         pair->val[pair->val_len - 1] == '\t')) {
                pair->val_len--;
            }
        }
        *pos = i;
        return 1;
    }
}

/* Copies a pair's value, undoing }} when braced. */
static void copy_value(const struct odbc_cs_pair *p, char *out, size_t outsz)
{
    size_t i, o = 0;
    if (outsz == 0) {
        return;
    }
    for (i = 0; i < p->val_len && o + 1 < outsz; i++) {
        out[o++] = p->val[i];
        if (p->braced && p->val[i] == '}' && i + 1 < p->val_len && p->val[i + 1] == '}') {
            i++;
        }
    }
    out[o] = '\0';
}

int odbc_connstr_get(const char *connstr, const char *key, char *out, size_t outsz)
{
    size_t pos = 0;
    struct odbc_cs_pair p;
    if (!connstr || !key) {
        return 0;
    }
    while (odbc_connstr_next(connstr, &pos, &p)) {
        if (odbc_ascii_casecmp_n(p.key, p.key_len, key) == 0) {
            if (out) {
                copy_value(&p, out, outsz);
            }
            return 1;
        }
    }
    return 0;
}

int odbc_connstr_is_secret_key(const char *key, size_t len)
{
    static const char *const secret[] = {"pwd", "password", "passwd", "pass", "secret",
                                         "token", "authentication", "accesstoken"};
    size_t k;
    for (k = 0; k < sizeof(secret) / sizeof(secret[0]); k++) {
        if (odbc_ascii_casecmp_n(key, len, secret[k]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Replaces every occurrence of needle (nlen > 0) in buf with "***", in place, keeping the
 * text NUL-terminated within bufsz. */
static void redact_one(char *buf, size_t bufsz, const char *needle, size_t nlen)
{
    static const char mask[] = "***";
    size_t mlen = sizeof(mask) - 1, len = strlen(buf), i = 0;
    while (i + nlen <= len) {
        if (memcmp(buf + i, needle, nlen) == 0) {
            size_t tail = len - i - nlen;
            if (i + mlen + tail >= bufsz) {
                tail = bufsz - 1 - i - mlen;
            }
            memmove(buf + i + mlen, buf + i + nlen, tail);
            memcpy(buf + i, mask, mlen);
            len = i + mlen + tail;
            buf[len] = '\0';
            i += mlen;
        } else {
            i++;
        }
    }
}

void odbc_secrets_add(struct odbc_secrets *sec, const char *p, size_t len)
{
    size_t k;
    if (!sec || !p || len == 0 || sec->n >= ODBC_MAX_SECRETS) {
        return;
    }
    /* keep them longest first, so a secret that contains another is masked whole */
    k = sec->n;
    while (k > 0 && sec->len[k - 1] < len) {
        sec->ptr[k] = sec->ptr[k - 1];
        sec->len[k] = sec->len[k - 1];
        k--;
    }
    sec->ptr[k] = p;
    sec->len[k] = len;
    sec->n++;
}

void odbc_redact(char *buf, size_t bufsz, const struct odbc_secrets *sec)
{
    size_t k;
    if (!buf || bufsz == 0 || !sec) {
        return;
    }
    for (k = 0; k < sec->n; k++) {
        redact_one(buf, bufsz, sec->ptr[k], sec->len[k]);
    }
}
