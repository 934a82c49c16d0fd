/* ini.c: reading Xlink's ini files: encodings, line endings, sections, keys, quotes. */
#include "xlink/ini.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

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

char *ini_cp1252_to_utf8(const char *data, size_t len)
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
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp < 0x800) {
            out[o++] = (char)(0xc0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            out[o++] = (char)(0xe0 | (cp >> 12));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[o++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    out[o] = '\0';
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

static void problem(struct ini_file *f, int line, int column, const char *fmt, ...)
{
    va_list ap;
    if (f->nproblems >= INI_MAX_PROBLEMS) {
        return;
    }
    struct ini_problem *p = &f->problems[f->nproblems++];
    p->line = line;
    p->column = column;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
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
    if (vl >= 2 && e->value[0] == '"' && e->value[vl - 1] == '"') {
        memmove(e->value, e->value + 1, vl - 2);
        e->value[vl - 2] = '\0';
        e->quoted = 1;
    } else if (vl >= 1 && e->value[0] == '"') {
        problem(f, lineno, (int)(eq + 2), "the value opens a quote that it does not close");
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
        if (!close) {
            problem(f, lineno, (int)i + 1, "a section header without ']'");
            return ACDL_OK;
        }
        for (const char *p = close + 1; p < line + n; p++) {
            if (!is_blank(*p)) {
                if (*p != ';' && *p != '#') {
                    problem(f, lineno, (int)(p - line) + 1,
                            "text after the section header is ignored");
                }
                break;
            }
        }
        return add_section(f, line + i + 1, (size_t)(close - line) - i - 1, lineno);
    }
    const char *eq = memchr(line, '=', n);
    if (!eq) {
        problem(f, lineno, (int)i + 1, "neither a section, a key=value line nor a comment");
        return ACDL_OK;
    }
    if ((size_t)(eq - line) == i) {
        problem(f, lineno, (int)i + 1, "a value without a key");
        return ACDL_OK;
    }
    if (f->nentries >= INI_MAX_ENTRIES) {
        return ACDL_ETOOBIG;
    }
    return add_entry(f, line, (size_t)(eq - line), n, lineno, cap);
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
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
        data += 3;
        len -= 3;
    }
    if (ini_is_utf8(data, len)) {
        text = malloc(len + 1);
        if (text) {
            memcpy(text, data, len);
            text[len] = '\0';
        }
    } else {
        f->cp1252 = 1;
        text = ini_cp1252_to_utf8(data, len);
        len = text ? strlen(text) : 0;
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
        if (memchr(text + pos, '\0', end - pos)) {
            problem(f, lineno, 1, "the line holds a NUL byte and is ignored");
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
        if (ini_ieq(f->sections[e->section].name, f->sections[sec].name) && !e->taken &&
            ini_ieq(e->key, key)) {
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
