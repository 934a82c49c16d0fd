/* ini.c: reading Xlink's ini files: encodings, line endings, sections, keys, quotes. */
#include "xlink/ini.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "platform/printf.h"

/* Windows-1252 0x80..0x9f as Unicode (0 = undefined, kept as U+FFFD). */
static const unsigned short cp1252_high[32] = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017d, 0,      0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178};

int ini_is_utf8(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/* Appends code point cp as UTF-8 at out[*o]. */
static void put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xe0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    }
}

char *ini_cp1252_to_utf8(const char *data, size_t len, size_t *outlen)
{
    char *out = malloc(len * 3 + 1);
    size_t o = 0;
    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)data[i];
        unsigned cp = c;
        if (c >= 0x80 && c <= 0x9f) {
            cp = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xfffd;
        }
        put_utf8(out, &o, cp);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

char *ini_utf16_to_utf8(const char *data, size_t len, int big_endian, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t n = len / 2, o = 0;
    char *out = malloc(n * 3 + 1);
    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned u = big_endian ? (unsigned)(s[2 * i] << 8 | s[2 * i + 1])
                                : (unsigned)(s[2 * i + 1] << 8 | s[2 * i]);
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
            unsigned lo = big_endian ? (unsigned)(s[2 * i + 2] << 8 | s[2 * i + 3])
                                     : (unsigned)(s[2 * i + 3] << 8 | s[2 * i + 2]);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                put_utf8(out, &o, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
                i++;
                continue;
            }
        }
        put_utf8(out, &o, u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

int ini_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

static void problem(struct ini_file *f, int line, int column, int ignored, const char *fmt, ...)
    ACDL_PRINTF(5, 6);

static void problem(struct ini_file *f, int line, int column, int ignored, const char *fmt, ...)
{
    va_list ap;
    if (f->nproblems >= INI_MAX_PROBLEMS) {
        return;
    }
    struct ini_problem *p = &f->problems[f->nproblems++];
    p->line = line;
    p->column = column;
    p->ignored = ignored;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v';
}

/* A trimmed copy of s[0..n). */
static char *trimmed(const char *s, size_t n)
{
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1])) {
        n--;
    }
    char *o = malloc(n + 1);
    if (o) {
        memcpy(o, s, n);
        o[n] = '\0';
    }
    return o;
}

static int add_section(struct ini_file *f, const char *name, size_t n, int line)
{
    struct ini_section *ns = realloc(f->sections, (f->nsections + 1) * sizeof(*ns));
    if (!ns) {
        return ACDL_ENOMEM;
    }
    f->sections = ns;
    ns[f->nsections].name = trimmed(name, n);
    ns[f->nsections].line = line;
    if (!ns[f->nsections].name) {
        return ACDL_ENOMEM;
    }
    ns[f->nsections].first = (int)f->nsections;
    for (size_t i = 0; i < f->nsections; i++) {
        if (ini_ieq(ns[i].name, ns[f->nsections].name)) {
            ns[f->nsections].first = (int)i;
            break;
        }
    }
    f->nsections++;
    return ACDL_OK;
}

static int add_entry(struct ini_file *f, const char *line, size_t eq, size_t n, int lineno,
                     size_t *cap)
{
    if (f->nentries == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct ini_entry *ne = realloc(f->entries, ncap * sizeof(*ne));
        if (!ne) {
            return ACDL_ENOMEM;
        }
        f->entries = ne;
        *cap = ncap;
    }
    struct ini_entry *e = &f->entries[f->nentries];
    memset(e, 0, sizeof(*e));
    e->key = trimmed(line, eq);
    e->value = trimmed(line + eq + 1, n - eq - 1);
    e->line = lineno;
    e->section = (int)f->nsections - 1;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return ACDL_ENOMEM;
    }
    size_t vl = strlen(e->value);
    char q = e->value[0];
    if (vl >= 2 && (q == '"' || q == '\'') && e->value[vl - 1] == q) {
        memmove(e->value, e->value + 1, vl - 2);
        e->value[vl - 2] = '\0';
        e->quoted = 1;
    } else if (vl >= 1 && (q == '"' || q == '\'')) {
        e->open_quote = 1;
        problem(f, lineno, (int)(eq + 2), 0,
                "the value opens a quote that it does not close: Windows (and so Xlink) reads "
                "it as written, the quote included");
    }
    f->nentries++;
    return ACDL_OK;
}

static int parse_line(struct ini_file *f, const char *line, size_t n, int lineno, size_t *cap)
{
    size_t i = 0;
    while (i < n && is_blank(line[i])) {
        i++;
    }
    if (i == n || line[i] == ';' || line[i] == '#') {
        return ACDL_OK;
    }
    if (line[i] == '[') {
        const char *close = memchr(line + i, ']', n - i);
        size_t end = close ? (size_t)(close - line) : n;
        if (!close) {
            problem(f, lineno, (int)n + 1, 0,
                    "a section header without ']': Windows (and so Xlink) reads the name to "
                    "the end of the line");
        }
        for (const char *p = close ? close + 1 : line + n; p < line + n; p++) {
            if (!is_blank(*p)) {
                if (*p != ';' && *p != '#') {
                    problem(f, lineno, (int)(p - line) + 1, 0,
                            "the text after ']' is ignored: Windows (and so Xlink) reads this "
                            "as the section [%.*s]",
                            (int)(end - i - 1 > 80 ? 80 : end - i - 1), line + i + 1);
                }
                break;
            }
        }
        return add_section(f, line + i + 1, end - i - 1, lineno);
    }
    const char *eq = memchr(line, '=', n);
    if (!eq) {
        problem(f, lineno, (int)i + 1, 1, "neither a section, a key=value line nor a comment");
        return ACDL_OK;
    }
    if ((size_t)(eq - line) == i) {
        problem(f, lineno, (int)i + 1, 1, "a value without a key");
        return ACDL_OK;
    }
    if (f->nentries >= INI_MAX_ENTRIES) {
        return ACDL_ETOOBIG;
    }
    return add_entry(f, line, (size_t)(eq - line), n, lineno, cap);
}

/* Control characters other than the white space of text files (and Ctrl-Z, DOS' end mark). */
static size_t count_controls(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        n += c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1a;
    }
    return n;
}

/* The bytes as UTF-8 text into *text (new) of *textlen bytes; f->encoding and f->empty set. */
static int decode(struct ini_file *f, const char *data, size_t len, char **text, size_t *textlen,
                  char *err, size_t errsz)
{
    const unsigned char *u = (const unsigned char *)data;
    *text = NULL;
    if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
        int be = u[0] == 0xfe;
        f->encoding = be ? "utf-16be" : "utf-16le";
        if (len % 2) {
            snprintf(err, errsz,
                     "%s: a UTF-16 file (byte-order mark %s) with an odd number of bytes: it is "
                     "cut short or damaged; copy it from the Xlink folder again",
                     f->name, be ? "FE FF" : "FF FE");
            return ACDL_EINVAL;
        }
        *text = ini_utf16_to_utf8(data + 2, len - 2, be, textlen);
    } else {
        if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
            data += 3;
            len -= 3;
        }
        if (ini_is_utf8(data, len)) {
            f->encoding = "utf-8";
            *text = malloc(len + 1);
            if (*text) {
                memcpy(*text, data, len);
                (*text)[len] = '\0';
                *textlen = len;
            }
        } else {
            f->encoding = "windows-1252";
            f->cp1252 = 1;
            *text = ini_cp1252_to_utf8(data, len, textlen);
        }
    }
    if (!*text) {
        return ACDL_ENOMEM;
    }
    size_t ctl = count_controls(*text, *textlen);
    if ((ctl >= 2 && ctl * 32 > *textlen) || ctl > 64) {
        size_t zodd = 0, zeven = 0;
        for (size_t i = 0; i < len; i++) {
            zodd += i % 2 && !u[i];
            zeven += !(i % 2) && !u[i];
        }
        int utf16 = len >= 4 && (zodd * 3 > len || zeven * 3 > len);
        snprintf(err, errsz, "%s: not a text file (%zu control bytes in %zu): %s", f->name, ctl,
                 len,
                 utf16 ? "it looks like UTF-16 without a byte-order mark; save it again with one "
                         "(Notepad: encoding \"Unicode\") or as UTF-8"
                       : "take the ini file from the Xlink folder, not another file");
        free(*text);
        *text = NULL;
        return ACDL_EINVAL;
    }
    f->empty = 1;
    for (size_t i = 0; i < *textlen && f->empty; i++) {
        char c = (*text)[i];
        f->empty =
            c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == 0x1a;
    }
    return ACDL_OK;
}

int ini_parse(const char *name, const char *data, size_t len, struct ini_file **out, char *err,
              size_t errsz)
{
    struct ini_file *f;
    char *text = NULL;
    size_t cap = 0, pos = 0;
    int rc = ACDL_OK, lineno = 0;
    if (len > INI_MAX_BYTES) {
        snprintf(err, errsz, "%s: is larger than %d bytes; this is not an Xlink file", name,
                 INI_MAX_BYTES);
        return ACDL_ETOOBIG;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        return ACDL_ENOMEM;
    }
    snprintf(f->name, sizeof(f->name), "%s", name);
    if ((rc = decode(f, data, len, &text, &len, err, errsz)) != ACDL_OK) {
        goto out;
    }
    if (!text || add_section(f, "", 0, 0) != ACDL_OK) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n' && text[end] != '\r') {
            end++;
        }
        lineno++;
        if (end - pos > INI_MAX_LINE) {
            snprintf(err, errsz, "%s:%d: the line is longer than %d bytes", name, lineno,
                     INI_MAX_LINE);
            rc = ACDL_ETOOBIG;
            goto out;
        }
        const char *nul = memchr(text + pos, '\0', end - pos);
        if (nul) {
            problem(f, lineno, (int)(nul - text - pos) + 1, 1,
                    "the line holds a NUL byte (a damaged or not a text file?) and is not read");
        } else if ((rc = parse_line(f, text + pos, end - pos, lineno, &cap)) != ACDL_OK) {
            if (rc == ACDL_ETOOBIG) {
                snprintf(err, errsz, "%s:%d: more than %d entries", name, lineno,
                         INI_MAX_ENTRIES);
            }
            goto out;
        }
        if (end < len && text[end] == '\r') {
            f->crlf |= end + 1 < len && text[end + 1] == '\n';
            end += end + 1 < len && text[end + 1] == '\n' ? 1 : 0;
        }
        pos = end + 1;
    }
out:
    free(text);
    if (rc != ACDL_OK) {
        if (rc == ACDL_ENOMEM) {
            snprintf(err, errsz, "%s: out of memory", name);
        }
        ini_free(f);
        return rc;
    }
    *out = f;
    return ACDL_OK;
}

void ini_free(struct ini_file *f)
{
    if (!f) {
        return;
    }
    for (size_t i = 0; i < f->nsections; i++) {
        free(f->sections[i].name);
    }
    for (size_t i = 0; i < f->nentries; i++) {
        free(f->entries[i].key);
        free(f->entries[i].value);
    }
    free(f->sections);
    free(f->entries);
    free(f);
}

int ini_section_find(const struct ini_file *f, const char *name)
{
    for (size_t i = 0; i < f->nsections; i++) {
        if (ini_ieq(f->sections[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

const struct ini_entry *ini_peek(const struct ini_file *f, int sec, const char *key)
{
    for (size_t i = 0; i < f->nentries; i++) {
        const struct ini_entry *e = &f->entries[i];
        if (e->section == sec && !e->taken && ini_ieq(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

struct ini_entry *ini_take(struct ini_file *f, int sec, const char *key)
{
    struct ini_entry *e = (struct ini_entry *)ini_peek(f, sec, key);
    if (e) {
        e->taken = 1;
    }
    return e;
}
