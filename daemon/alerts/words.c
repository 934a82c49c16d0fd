/* words.c: alert notices in a channel's language (see words.h). What the console does in
 * web/src/i18n/index.js (messageText, frenchTypography), done here for what alerts send. */
#include "alerts/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBSP "\xC2\xA0"      /* U+00A0 no-break space */
#define NNBSP "\xE2\x80\xAF" /* U+202F narrow no-break space */
#define WORDS_DEPTH 4        /* messages inside messages, at most */

/* 0 en, 1 de, 2 fr; -1 for another */
static int lang_index(const char *lang)
{
    static const char *const langs[] = {"en", "de", "fr"};
    for (int i = 0; lang && i < 3; i++) {
        if (!strcmp(lang, langs[i])) {
            return i;
        }
    }
    return -1;
}

int alert_language_valid(const char *lang)
{
    return lang_index(lang) >= 0;
}

static int cmp_key(const void *k, const void *e)
{
    return strcmp(k, ((const struct alert_text *)e)->key);
}

/* The text of key in language li; NULL when there is none. */
static const char *text_of(const char *key, int li)
{
    const struct alert_text *t =
        bsearch(key, alert_texts, alert_texts_n, sizeof(alert_texts[0]), cmp_key);
    if (!t) {
        return NULL;
    }
    return li == 1 ? t->de : li == 2 ? t->fr : t->en;
}

/* A bounded output buffer. */
struct out {
    char *p;
    size_t n, sz;
};

static void put(struct out *o, const char *s, size_t len)
{
    while (len-- && o->n + 1 < o->sz) {
        o->p[o->n++] = *s++;
    }
    o->p[o->n] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Drops one space, no-break or narrow no-break space at the end of o; returns 1 when it did. */
static int drop_space(struct out *o)
{
    if (o->n >= 1 && o->p[o->n - 1] == ' ') {
        o->n -= 1;
    } else if (o->n >= 2 && !memcmp(o->p + o->n - 2, NBSP, 2)) {
        o->n -= 2;
    } else if (o->n >= 3 && !memcmp(o->p + o->n - 3, NNBSP, 3)) {
        o->n -= 3;
    } else {
        return 0;
    }
    o->p[o->n] = '\0';
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* French typography on a dictionary text: a narrow no-break space before ; ! ? and a no-break
 * space before : (when a space or the end follows), no-break spaces inside « ». */
static void french(const char *s, struct out *o)
{
    for (; *s; s++) {
        int end = !s[1] || is_space(s[1]);
        int closing = s[1] == ')' || !strncmp(s + 1, "\xC2\xBB", 2);
        if ((*s == ';' || *s == '!' || *s == '?' || *s == ':') && (end || (*s != ':' && closing))) {
            size_t keep = o->n;
            int dropped = drop_space(o);
            if (o->n > 0 && !is_space(o->p[o->n - 1])) {
                puts_(o, *s == ':' ? NBSP : NNBSP);
            } else if (dropped) {
                o->n = keep; /* nothing before it: as it was */
                o->p[o->n] = '\0';
            }
            put(o, s, 1);
        } else if (!strncmp(s, "\xC2\xAB", 2)) { /* « */
            puts_(o, "\xC2\xAB" NBSP);
            s += s[2] == ' ' ? 2 : 1;
        } else if (!strncmp(s, "\xC2\xBB", 2)) { /* » */
            if (o->n && o->p[o->n - 1] == ' ') {
                o->n--;
            }
            puts_(o, NBSP "\xC2\xBB");
            s++;
        } else {
            put(o, s, 1);
        }
    }
}

/* An integer with the language's digit grouping: 1,234 / 1.234 / 1 234 (narrow space). */
static void number(json_int_t v, int li, struct out *o)
{
    char digits[32], g[96];
    snprintf(digits, sizeof(digits), "%lld", (long long)(v < 0 ? -v : v));
    const char *sep = li == 1 ? "." : li == 2 ? NNBSP : ",";
    size_t len = strlen(digits), n = 0;
    if (v < 0) {
        g[n++] = '-';
    }
    for (size_t i = 0; i < len && n + 4 < sizeof(g); i++) {
        if (i && (len - i) % 3 == 0) {
            memcpy(g + n, sep, strlen(sep));
            n += strlen(sep);
        }
        g[n++] = digits[i];
    }
    g[n] = '\0';
    puts_(o, g);
}

/* A date "YYYY-MM-DD" (and "YYYY-MM-DD HH:MM..." ) in the language's one format. */
static int date(const char *v, int li, struct out *o)
{
    size_t len = strlen(v);
    if (len < 10 || strspn(v, "0123456789") != 4 || v[4] != '-' || v[7] != '-' ||
        strspn(v + 5, "0123456789") != 2 || strspn(v + 8, "0123456789") != 2 ||
        (len > 10 && (v[10] != ' ' || len < 16 || v[13] != ':'))) {
        return 0;
    }
    char d[16];
    if (li == 0) {
        snprintf(d, sizeof(d), "%.10s", v);
    } else {
        snprintf(d, sizeof(d), "%.2s%c%.2s%c%.4s", v + 8, li == 1 ? '.' : '/', v + 5,
                 li == 1 ? '.' : '/', v);
    }
    puts_(o, d);
    puts_(o, v + 10);
    return 1;
}

static int word(int li, const char *key, json_t *params, const char *fallback, struct out *o,
                int depth);

/* The value of parameter name of params, as the language writes it. */
static void value(int li, const char *name, json_t *params, struct out *o, int depth)
{
    static const struct {
        const char *name, *prefix;
    } words[] = {{"state", "runs.state."},       {"kind", "msg.kind."},
                 {"event", "alerts.event."},     {"check", "health.check."},
                 {"expected", "msg.json_kind."}, {"got", "msg.json_kind."}};
    static const char *const verbatim[] = {"year", "line", "column", "status", "port", "record"};
    char key[160];
    json_t *v = json_object_get(params, name);
    snprintf(key, sizeof(key), "%s_code", name);
    const char *code = json_string_value(json_object_get(params, key));
    if (code && depth < WORDS_DEPTH) {
        char ckey[96];
        snprintf(key, sizeof(key), "%s_params", name);
        snprintf(ckey, sizeof(ckey), "msg.%s", code);
        word(li, ckey, json_object_get(params, key), json_string_value(v), o, depth + 1);
        return;
    }
    if (json_is_integer(v)) {
        for (size_t i = 0; i < sizeof(verbatim) / sizeof(verbatim[0]); i++) {
            if (!strcmp(name, verbatim[i])) {
                char d[32];
                snprintf(d, sizeof(d), "%lld", (long long)json_integer_value(v));
                puts_(o, d);
                return;
            }
        }
        number(json_integer_value(v), li, o);
        return;
    }
    if (json_is_real(v)) {
        char d[48];
        snprintf(d, sizeof(d), "%.3g", json_real_value(v));
        for (char *p = d; li && *p; p++) {
            *p = *p == '.' ? ',' : *p;
        }
        puts_(o, d);
        return;
    }
    const char *s = json_string_value(v);
    if (!s) {
        put(o, "{", 1);
        puts_(o, name);
        put(o, "}", 1);
        return;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcmp(name, words[i].name)) {
            char wkey[160];
            snprintf(wkey, sizeof(wkey), "%s%s", words[i].prefix, s);
            for (char *p = wkey + strlen(words[i].prefix); *p; p++) {
                *p = *p == ' ' ? '_' : *p;
            }
            const char *w = text_of(wkey, li);
            if (w) {
                if (li == 2) {
                    french(w, o);
                } else {
                    puts_(o, w);
                }
                return;
            }
        }
    }
    if (!date(s, li, o)) {
        puts_(o, s);
    }
}

/* The plural form of the number n in language li: one or other (the console's
 * Intl.PluralRules; French counts 0 and 1 as one). */
static const char *plural_of(const json_t *n, int li)
{
    double v = json_is_number(n)   ? json_number_value(n)
               : json_is_string(n) ? strtod(json_string_value(n), NULL)
                                   : 0;
    int one = li == 2 ? (v >= 0 && v < 2 && v == (long long)v) : v == 1;
    return one ? "one" : "other";
}

/* The plural form of params' n (or count) in language li. */
static const char *plural(json_t *params, int li)
{
    json_t *n = json_object_get(params, "n");
    return plural_of(n ? n : json_object_get(params, "count"), li);
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyz_0123456789"

/* An inline plural block at s, "{name, plural, one {# row} other {# rows}}" (the console's
 * pluralBlocks): writes the form of params' name for language li (other when li has none of
 * its own), # as the value. Returns the length of the block less one, 0 when s starts none. */
static size_t plural_block(int li, const char *s, json_t *params, struct out *o, int depth)
{
    static const char tag[] = ", plural,";
    size_t nl = strspn(s + 1, NAME_CHARS);
    if (!nl || nl >= 64 || strncmp(s + 1 + nl, tag, sizeof(tag) - 1) != 0) {
        return 0;
    }
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)nl, s + 1);
    const char *want = plural_of(json_object_get(params, name), li);
    const char *form = NULL, *other = NULL;
    size_t form_len = 0, other_len = 0;
    const char *p = s + 1 + nl + sizeof(tag) - 1;
    while (*p == ' ') {
        size_t cl = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz");
        const char *f = p + 1 + cl + 2;
        const char *end = cl && !strncmp(p + 1 + cl, " {", 2) ? strpbrk(f, "{}") : NULL;
        if (!end || *end != '}') {
            return 0;
        }
        if (cl == strlen(want) && !strncmp(p + 1, want, cl)) {
            form = f;
            form_len = (size_t)(end - f);
        }
        if (cl == 5 && !strncmp(p + 1, "other", 5)) {
            other = f;
            other_len = (size_t)(end - f);
        }
        p = end + 1;
    }
    if (*p != '}' || !other) {
        return 0;
    }
    if (!form) {
        form = other;
        form_len = other_len;
    }
    for (size_t i = 0; i < form_len; i++) {
        if (form[i] == '#') {
            value(li, name, params, o, depth);
        } else {
            put(o, form + i, 1);
        }
    }
    return (size_t)(p - s);
}

static int word(int li, const char *key, json_t *params, const char *fallback, struct out *o,
                int depth)
{
    char pkey[200];
    const char *text = text_of(key, li);
    if (!text) {
        snprintf(pkey, sizeof(pkey), "%s#%s", key, plural(params, li));
        text = text_of(pkey, li);
    }
    if (!text) {
        puts_(o, fallback ? fallback : "");
        return 0;
    }
    char typo[4096];
    struct out t = {typo, 0, sizeof(typo)};
    typo[0] = '\0';
    if (li == 2) {
        french(text, &t);
        text = typo;
    }
    for (const char *s = text; *s; s++) {
        size_t nl = *s == '{' ? strspn(s + 1, NAME_CHARS) : 0;
        size_t block = nl ? plural_block(li, s, params, o, depth) : 0;
        if (block) {
            s += block;
        } else if (nl && nl < 64 && s[1 + nl] == '}') {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)nl, s + 1);
            value(li, name, params, o, depth);
            s += nl + 1;
        } else {
            put(o, s, 1);
        }
    }
    return 1;
}

int alert_words(const char *lang, const char *key, json_t *params, const char *fallback, char *out,
                size_t outsz)
{
    struct out o = {out, 0, outsz};
    int li = lang_index(lang);
    if (!outsz) {
        return 0;
    }
    out[0] = '\0';
    return word(li < 0 ? 0 : li, key, params, fallback, &o, 0);
}

int alert_words_code(const char *lang, const char *code, const char *params, const char *fallback,
                     char *out, size_t outsz)
{
    char key[96];
    json_t *p = params && *params ? json_loads(params, 0, NULL) : NULL;
    snprintf(key, sizeof(key), "msg.%s", code ? code : "");
    int rc = code && *code ? alert_words(lang, key, p, fallback, out, outsz)
                           : (snprintf(out, outsz, "%s", fallback ? fallback : ""), 0);
    json_decref(p);
    return rc;
}
