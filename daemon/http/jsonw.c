/* jsonw.c: the streaming JSON writer (see jsonw.h). */
#include "http/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONW_MIN_CAP 16384

void jsonw_init(struct jsonw *w, size_t limit)
{
    memset(w, 0, sizeof(*w));
    w->limit = limit;
    w->day = -1;
}

void jsonw_free(struct jsonw *w)
{
    if (!w) {
        return;
    }
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void jsonw_reset(struct jsonw *w, size_t reserve, size_t keep)
{
    if (w->cap > keep) {
        free(w->buf);
        w->buf = NULL;
        w->cap = 0;
    }
    w->len = 0;
    w->failed = 0;
    w->comma = 0;
    if (reserve && jsonw_room(w, reserve)) {
        w->len = reserve;
    }
}

char *jsonw_room(struct jsonw *w, size_t n)
{
    if (w->failed) {
        return NULL;
    }
    if (n <= w->cap - w->len) {
        return w->buf + w->len;
    }
    if (n > w->limit || w->len > w->limit - n) {
        w->failed = 1;
        return NULL;
    }
    size_t cap = w->cap ? w->cap : JSONW_MIN_CAP;
    while (cap - w->len < n) {
        cap *= 2;
    }
    if (cap > w->limit) {
        cap = w->limit;
    }
    char *b = realloc(w->buf, cap);
    if (!b) {
        w->failed = 1;
        return NULL;
    }
    w->buf = b;
    w->cap = cap;
    return b + w->len;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
    char *p = jsonw_room(w, n);
    if (p) {
        memcpy(p, s, n);
        w->len += n;
    }
}

/* The comma before a value or member, when one came before it at this level. */
static void sep(struct jsonw *w)
{
    if (w->comma) {
        put(w, ",", 1);
    }
    w->comma = 1;
}

void jsonw_obj_begin(struct jsonw *w)
{
    sep(w);
    put(w, "{", 1);
    w->comma = 0;
}

void jsonw_obj_end(struct jsonw *w)
{
    put(w, "}", 1);
    w->comma = 1;
}

void jsonw_arr_begin(struct jsonw *w)
{
    sep(w);
    put(w, "[", 1);
    w->comma = 0;
}

void jsonw_arr_end(struct jsonw *w)
{
    put(w, "]", 1);
    w->comma = 1;
}

void jsonw_keyn(struct jsonw *w, const char *key, size_t n)
{
    sep(w);
    char *p = jsonw_room(w, n + 3);
    if (p) {
        p[0] = '"';
        memcpy(p + 1, key, n);
        p[n + 1] = '"';
        p[n + 2] = ':';
        w->len += n + 3;
    }
    w->comma = 0; /* the value follows without one */
}

/* The code point of the UTF-8 sequence at s (n bytes left), with its length in *used; -1 (and
 * *used 1) for a byte that does not start a valid, shortest-form sequence of a scalar value. */
static long utf8_next(const unsigned char *s, size_t n, size_t *used)
{
    unsigned char c = s[0];
    long cp;
    size_t len;
    *used = 1;
    if (c < 0x80) {
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if (n < len) {
        return -1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return -1;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return -1;
    }
    *used = len;
    return cp;
}

static const char hexdig[] = "0123456789ABCDEF";

static char *put_u16(char *p, unsigned v)
{
    p[0] = '\\';
    p[1] = 'u';
    p[2] = hexdig[(v >> 12) & 15];
    p[3] = hexdig[(v >> 8) & 15];
    p[4] = hexdig[(v >> 4) & 15];
    p[5] = hexdig[v & 15];
    return p + 6;
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    sep(w);
    /* at most 6 bytes per input byte (a control character or a bad byte as \uXXXX; a 4-byte
     * sequence makes a surrogate pair of 12), plus the quotes */
    if (n > (w->limit / 6) || !jsonw_room(w, n * 6 + 2)) {
        w->failed = 1;
        return;
    }
    char *p = w->buf + w->len;
    *p++ = '"';
    size_t i = 0;
    while (i < n) {
        /* the common run of plain characters in one go */
        size_t j = i;
        while (j < n && u[j] >= 0x20 && u[j] < 0x80 && u[j] != '"' && u[j] != '\\') {
            j++;
        }
        memcpy(p, u + i, j - i);
        p += j - i;
        i = j;
        if (i >= n) {
            break;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
            i++;
            continue;
        }
        if (c < 0x20) {
            *p++ = '\\';
            switch (c) {
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            default: p = put_u16(p - 1, c); break;
            }
            i++;
            continue;
        }
        size_t used;
        long cp = utf8_next(u + i, n - i, &used);
        i += used;
        if (cp < 0) {
            cp = 0xfffd;
        }
        if (cp < 0x10000) {
            p = put_u16(p, (unsigned)cp);
        } else {
            cp -= 0x10000;
            p = put_u16(p, 0xd800 | (unsigned)(cp >> 10));
            p = put_u16(p, 0xdc00 | (unsigned)(cp & 0x3ff));
        }
    }
    *p++ = '"';
    w->len = (size_t)(p - w->buf);
}

void jsonw_str(struct jsonw *w, const char *s)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    jsonw_strn(w, s, strlen(s));
}

size_t jsonw_fmt_int(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    /* in unsigned arithmetic, so INT64_MIN has a magnitude too */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0) {
        out[k++] = '-';
    }
    while (n) {
        out[k++] = tmp[--n];
    }
    return k;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    sep(w);
    char *p = jsonw_room(w, 21);
    if (p) {
        w->len += jsonw_fmt_int(p, v);
    }
}

/* "%.17g" of v into out (at least 40 bytes) without printf, when v is not a whole number and
 * its exact decimal value has at most 17 significant digits and needs no exponent (as 217.125,
 * 0.5 or 2.75): then printf prints exactly those digits. Returns the length, or 0 for every
 * other value. A double is m * 2^-f with m odd, which is (m * 5^f) / 10^f exactly: the digits
 * are those of m * 5^f, f of them after the point. */
static size_t fmt_short_real(char *out, double v)
{
    int e;
    double frac = frexp(v < 0 ? -v : v, &e); /* |v| = frac * 2^e, frac in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(frac, 53);  /* exact: 53 bits */
    int f = 53 - e;                          /* |v| = m * 2^-f */
    if (v == 0 || f <= 0) {
        return 0;
    }
    while (!(m & 1) && f > 0) {
        m >>= 1;
        f--;
    }
    if (f == 0) {
        return 0; /* whole */
    }
    for (int i = 0; i < f; i++) { /* m * 5^f, while it has at most 17 digits */
        if (m > 99999999999999999ULL / 5) {
            return 0;
        }
        m *= 5;
    }
    char dig[24];
    size_t nd = jsonw_fmt_int(dig, (int64_t)m), k = 0;
    int x = (int)nd - 1 - f; /* the decimal exponent of the first digit */
    if (x < -4) {
        return 0; /* "%g" would write an exponent */
    }
    if (v < 0) {
        out[k++] = '-';
    }
    if ((int)nd > f) { /* digits before the point */
        memcpy(out + k, dig, nd - (size_t)f);
        k += nd - (size_t)f;
        out[k++] = '.';
        memcpy(out + k, dig + nd - (size_t)f, (size_t)f);
        k += (size_t)f;
    } else {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < f - (int)nd; i++) {
            out[k++] = '0';
        }
        memcpy(out + k, dig, nd);
        k += nd;
    }
    return k;
}

size_t jsonw_fmt_g17(char *out, double v)
{
    size_t n;
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
        return jsonw_fmt_int(out, (int64_t)v);
    }
    if (isfinite(v) && (n = fmt_short_real(out, v)) > 0) {
        return n;
    }
    char b[40];
    int k = snprintf(b, sizeof(b), "%.17g", v);
    n = k > 0 && (size_t)k < sizeof(b) ? (size_t)k : 0;
    memcpy(out, b, n);
    return n;
}

void jsonw_real(struct jsonw *w, double v)
{
    char b[40];
    size_t n;
    if (!isfinite(v)) {
        jsonw_null(w);
        return;
    }
    sep(w);
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
        /* a whole number: "%.17g" prints its digits, and jansson adds ".0" */
        n = jsonw_fmt_int(b, (int64_t)v);
        b[n++] = '.';
        b[n++] = '0';
    } else if ((n = fmt_short_real(b, v)) > 0) {
        /* printf's text, made by hand: most results are such values (217.125, 92.5) */
    } else {
        int k = snprintf(b, sizeof(b), "%.17g", v);
        n = k > 0 && (size_t)k < sizeof(b) ? (size_t)k : 0;
        b[n] = '\0';
        for (size_t i = 0; i < n; i++) { /* a locale's decimal comma */
            if (b[i] == ',') {
                b[i] = '.';
            }
        }
        if (!strchr(b, '.') && !strchr(b, 'e')) {
            b[n++] = '.';
            b[n++] = '0';
            b[n] = '\0';
        }
        char *e = strchr(b, 'e');
        if (e) { /* as jansson: no '+' and no leading zeros in the exponent */
            char *start = e + 1, *end = e + 2;
            if (*start == '-') {
                start++;
            }
            while (*end == '0') {
                end++;
            }
            if (end != start) {
                memmove(start, end, strlen(end) + 1);
                n = strlen(b);
            }
        }
    }
    put(w, b, n);
}

void jsonw_bool(struct jsonw *w, int v)
{
    sep(w);
    if (v) {
        put(w, "true", 4);
    } else {
        put(w, "false", 5);
    }
}

void jsonw_null(struct jsonw *w)
{
    sep(w);
    put(w, "null", 4);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), after Howard Hinnant's
 * days_from_civil inverse. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void two(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

size_t jsonw_fmt_time(char *out, int64_t t)
{
    int y, mo, d;
    if (t < 0) {
        t = 0;
    }
    if (t > 253402300799LL) {
        t = 253402300799LL;
    }
    int64_t days = t / 86400, secs = t % 86400;
    civil_from_days(days, &y, &mo, &d);
    two(out, y / 100);
    two(out + 2, y % 100);
    out[4] = '-';
    two(out + 5, mo);
    out[7] = '-';
    two(out + 8, d);
    out[10] = 'T';
    two(out + 11, (int)(secs / 3600));
    out[13] = ':';
    two(out + 14, (int)(secs / 60 % 60));
    out[16] = ':';
    two(out + 17, (int)(secs % 60));
    out[19] = 'Z';
    out[20] = '\0';
    return 20;
}

void jsonw_time(struct jsonw *w, int64_t t)
{
    if (t == 0) {
        jsonw_null(w);
        return;
    }
    sep(w);
    char *p = jsonw_room(w, 23);
    if (!p) {
        return;
    }
    p[0] = '"';
    if (t > 0 && t <= 253402300799LL && t / 86400 == w->day) { /* the date part as before */
        int64_t secs = t % 86400;
        memcpy(p + 1, w->day_text, 10);
        p[11] = 'T';
        two(p + 12, (int)(secs / 3600));
        p[14] = ':';
        two(p + 15, (int)(secs / 60 % 60));
        p[17] = ':';
        two(p + 18, (int)(secs % 60));
        p[20] = 'Z';
    } else {
        jsonw_fmt_time(p + 1, t);
        if (t > 0 && t <= 253402300799LL) {
            w->day = t / 86400;
            memcpy(w->day_text, p + 1, 10);
        }
    }
    p[21] = '"';
    w->len += 22;
}

void jsonw_raw(struct jsonw *w, const char *text, size_t n)
{
    sep(w);
    put(w, text, n);
}

void jsonw_again(struct jsonw *w, size_t off, size_t n)
{
    sep(w);
    if (off > w->len || n > w->len - off) {
        w->failed = 1;
        return;
    }
    char *p = jsonw_room(w, n); /* may move the buffer: the source is found after it */
    if (p) {
        memmove(p, w->buf + off, n);
        w->len += n;
    }
}
