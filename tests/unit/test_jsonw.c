/* test_jsonw.c: unit tests of the streaming JSON writer (http/jsonw.c): its text must be what
 * jansson's json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) makes of the same values, byte for
 * byte, for strings (escapes, every kind of UTF-8, bad bytes), integers, reals and times; and
 * jsonw_fmt_g17() what printf's "%.17g" makes of every real. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "http/jsonw.h"
#include "platform/platform.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

/* The writer's text (a C string in a static buffer) for one value written by fn. */
static char text[65536];

static const char *finish(struct jsonw *w)
{
    size_t n = w->len < sizeof(text) - 1 ? w->len : sizeof(text) - 1;
    memcpy(text, w->buf ? w->buf : "", n);
    text[n] = '\0';
    return text;
}

static const char *w_str(const char *s, size_t n)
{
    struct jsonw w;
    jsonw_init(&w, 1 << 20);
    jsonw_strn(&w, s, n);
    finish(&w);
    jsonw_free(&w);
    return text;
}

/* jansson's text for a string, or NULL when it refuses it (not valid UTF-8). New. */
static char *j_str(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    char *t = v ? json_dumps(v, DUMP_FLAGS) : NULL;
    json_decref(v);
    return t;
}

static void same_as_jansson(const char *s, size_t n)
{
    char *want = j_str(s, n);
    if (!CHECK(want != NULL)) {
        return;
    }
    const char *got = w_str(s, n);
    if (!CHECK(strcmp(got, want) == 0)) {
        printf("  input of %zu bytes: got %s, jansson %s\n", n, got, want);
    }
    free(want);
}

static void test_strings(void)
{
    static const char *const cases[] = {
        "",
        "plain text",
        "quote \" backslash \\ slash / done",
        "\b\f\n\r\t and \x01\x02\x1f",
        "del \x7f stays",
        "umlaut \xc3\xa4\xc3\xb6\xc3\xbc \xc3\x9f",
        "euro \xe2\x82\xac, en dash \xe2\x80\x93, line separator \xe2\x80\xa8",
        "astral \xf0\x9f\x98\x80 and the last \xf4\x8f\xbf\xbf",
        "edges \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf \xf0\x90\x80\x80",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        same_as_jansson(cases[i], strlen(cases[i]));
    }
    /* every single byte below 0x80 */
    for (int c = 1; c < 0x80; c++) {
        char s[4] = {'a', (char)c, 'b', 0};
        same_as_jansson(s, 3);
    }
    /* every code point, one by one, as UTF-8 */
    int bad = 0;
    for (long cp = 0x80; cp <= 0x10ffff; cp += cp < 0x3000 ? 1 : 97) {
        unsigned char u[4];
        size_t n;
        if (cp >= 0xd800 && cp <= 0xdfff) {
            continue;
        }
        if (cp < 0x800) {
            u[0] = (unsigned char)(0xc0 | (cp >> 6));
            u[1] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xe0 | (cp >> 12));
            u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            u[2] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            u[0] = (unsigned char)(0xf0 | (cp >> 18));
            u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
            u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            u[3] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 4;
        }
        char *want = j_str((const char *)u, n);
        const char *got = w_str((const char *)u, n);
        if (!want || strcmp(got, want) != 0) {
            if (bad++ < 5) {
                printf("  code point U+%04lX: got %s, jansson %s\n", cp, got,
                       want ? want : "(refused)");
            }
        }
        free(want);
    }
    CHECK_EQ_INT(bad, 0);
}

/* Bytes that are not UTF-8 become U+FFFD each; the text stays valid JSON. */
static void test_bad_utf8(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\x80z", "\"a\\uFFFDz\""},                              /* a lone continuation byte */
        {"a\xc3", "\"a\\uFFFD\""},                                /* cut off at the end */
        {"\xc0\xaf", "\"\\uFFFD\\uFFFD\""},                       /* an overlong '/' */
        {"\xe0\x80\xaf", "\"\\uFFFD\\uFFFD\\uFFFD\""},            /* an overlong in three bytes */
        {"\xed\xa0\x80", "\"\\uFFFD\\uFFFD\\uFFFD\""},            /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\""}, /* past U+10FFFF */
        {"\xff\xfe ok", "\"\\uFFFD\\uFFFD ok\""},
        {"\xe2\x82", "\"\\uFFFD\\uFFFD\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        CHECK(j_str(cases[i].in, n) == NULL); /* jansson refuses them */
        CHECK_EQ_STR(w_str(cases[i].in, n), cases[i].out);
        json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
        CHECK(back && json_is_string(back));
        json_decref(back);
    }
    /* a NUL inside a counted string is escaped, as jansson does */
    same_as_jansson("a\0b", 3);
}

/* jsonw_fmt_g17() must write printf's "%.17g" of v (the batch ids are hashes of it). */
static void same_g17(double v)
{
    char want[64], got[64];
    snprintf(want, sizeof(want), "%.17g", v);
    size_t n = jsonw_fmt_g17(got, v);
    got[n] = '\0';
    if (!CHECK(strcmp(got, want) == 0)) {
        printf("  %%.17g of %s: got %s\n", want, got);
    }
}

static void same_real(double v)
{
    struct jsonw w;
    json_t *j = json_real(v);
    char *want = j ? json_dumps(j, DUMP_FLAGS) : NULL;
    json_decref(j);
    jsonw_init(&w, 4096);
    jsonw_real(&w, v);
    finish(&w);
    jsonw_free(&w);
    if (!CHECK(want && strcmp(text, want) == 0)) {
        printf("  real %.17g: got %s, jansson %s\n", v, text, want ? want : "(refused)");
    }
    free(want);
    same_g17(v);
}

static void test_numbers(void)
{
    static const double reals[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   1.0 / 3,
                                   12.5,
                                   180.125,
                                   1e15,
                                   -1e15,
                                   1e15 - 1,
                                   1e16,
                                   1e17,
                                   1e20,
                                   1e21,
                                   1e100,
                                   1e-5,
                                   1e-7,
                                   2.5e-300,
                                   4.9e-324,
                                   1.7976931348623157e308,
                                   123456789012345678.0,
                                   9007199254740993.0,
                                   -123.456};
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        same_real(reals[i]);
    }
    uint64_t x = 88172645463325252ULL; /* xorshift: many bit patterns */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof(v));
        if (isfinite(v)) {
            same_real(v);
        }
        same_real((double)(int64_t)(x >> 20) / 8.0); /* whole numbers and eighths */
        /* binary fractions of every length: the ones written without printf (exact decimals
         * of up to 17 digits) and their neighbours that need it */
        int shift = (int)(x % 64);
        same_real(ldexp((double)(int64_t)(x >> (11 + x % 40)), -shift));
        same_real(-ldexp((double)(x >> 40), -shift));
    }
    /* the edges of the hand-made form: 17 digits and 18, the fourth place after the point and
     * the fifth (where printf writes an exponent), the largest non-whole numbers */
    static const double edges[] = {0.5,
                                   -0.5,
                                   0.25,
                                   0.0001220703125,
                                   6.103515625e-05,
                                   0.0625,
                                   99999999999999.5,
                                   999999999999999.5,
                                   1000000000000000.5,
                                   4503599627370495.5,
                                   0.1 + 0.2,
                                   2.675,
                                   1.0000000000000002,
                                   12345678.125,
                                   -0.000244140625};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        same_real(edges[i]);
    }
    for (int k = 1; k < 1100; k++) { /* every power of two below one, and times 3 */
        same_real(ldexp(1.0, -k));
        same_real(ldexp(3.0, -k));
    }
    struct jsonw w;
    jsonw_init(&w, 4096);
    jsonw_arr_begin(&w);
    jsonw_real(&w, NAN);
    jsonw_real(&w, INFINITY);
    same_g17(INFINITY);
    same_g17(-INFINITY);
    same_g17(NAN);
    jsonw_int(&w, INT64_MIN);
    jsonw_int(&w, INT64_MAX);
    jsonw_int(&w, 0);
    jsonw_int(&w, -7);
    jsonw_arr_end(&w);
    CHECK_EQ_STR(finish(&w), "[null,null,-9223372036854775808,9223372036854775807,0,-7]");
    jsonw_free(&w);
}

static void test_times(void)
{
    char mine[32], libc[32];
    int bad = 0;
    static const int64_t edges[] = {1,
                                    59,
                                    86399,
                                    86400,
                                    951782400 /* 2000-02-29 */,
                                    4107542399LL /* 2100-02-28T23:59:59 */,
                                    253402300799LL};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        jsonw_fmt_time(mine, edges[i]);
        plat_time_iso(edges[i], libc, sizeof(libc));
        CHECK_EQ_STR(mine, libc);
    }
    for (int64_t t = 0; t < 253402300799LL; t += 86400 * 3 + 3607) {
        jsonw_fmt_time(mine, t);
        plat_time_iso(t, libc, sizeof(libc));
        if (strcmp(mine, libc) != 0 && bad++ < 5) {
            printf("  time %lld: got %s, libc %s\n", (long long)t, mine, libc);
        }
    }
    CHECK_EQ_INT(bad, 0);
    struct jsonw w;
    jsonw_init(&w, 4096);
    jsonw_obj_begin(&w);
    jsonw_ktime(&w, "a", 0);
    jsonw_ktime(&w, "b", 1773130500);
    jsonw_obj_end(&w);
    CHECK_EQ_STR(finish(&w), "{\"a\":null,\"b\":\"2026-03-10T08:15:00Z\"}");
    /* times in a row, within a day, across days and back (the writer keeps the last date) */
    static const int64_t seq[] = {1773100800, 1773101700, 1773187199, 1773187200,    1773101700,
                                  86399,      86400,      1773187200, 253402300799LL};
    char want[1024] = "[";
    jsonw_reset(&w, 0, 1 << 20);
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        jsonw_time(&w, seq[i]);
        plat_time_iso(seq[i], libc, sizeof(libc));
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\"%s\"", i ? "," : "", libc);
    }
    jsonw_arr_end(&w);
    snprintf(want + strlen(want), sizeof(want) - strlen(want), "]");
    CHECK_EQ_STR(finish(&w), want);
    jsonw_free(&w);
}

/* Nested objects and arrays: commas and the whole text as jansson writes the same tree. */
static void test_structure(void)
{
    struct jsonw w;
    jsonw_init(&w, 1 << 20);
    jsonw_reset(&w, 16, 1 << 20); /* room kept in front, as for HTTP headers */
    jsonw_obj_begin(&w);
    jsonw_key(&w, "items");
    jsonw_arr_begin(&w);
    for (int i = 0; i < 3; i++) {
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "id", i);
        jsonw_kstr(&w, "name", i == 1 ? "\xc3\xa4 \"x\"" : "n");
        jsonw_key(&w, "tags");
        jsonw_arr_begin(&w);
        jsonw_arr_end(&w);
        jsonw_key(&w, "o");
        jsonw_obj_begin(&w);
        jsonw_obj_end(&w);
        jsonw_key(&w, "ok");
        jsonw_bool(&w, i % 2);
        jsonw_key(&w, "v");
        jsonw_real(&w, i / 4.0);
        jsonw_key(&w, "raw");
        jsonw_raw(&w, "[1,2]", 5);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_key(&w, "next_cursor");
    jsonw_null(&w);
    jsonw_key(&w, "s");
    jsonw_str(&w, NULL);
    jsonw_obj_end(&w);
    CHECK_EQ_INT(w.failed, 0);
    CHECK_EQ_INT(w.len > 16, 1);
    json_t *items = json_array();
    for (int i = 0; i < 3; i++) {
        json_array_append_new(items, json_pack("{s:i, s:s, s:[], s:{}, s:b, s:f, s:[i,i]}", "id", i,
                                               "name", i == 1 ? "\xc3\xa4 \"x\"" : "n", "tags", "o",
                                               "ok", i % 2, "v", i / 4.0, "raw", 1, 2));
    }
    json_t *tree = json_pack("{s:o, s:n, s:n}", "items", items, "next_cursor", "s");
    char *want = json_dumps(tree, DUMP_FLAGS);
    json_decref(tree);
    char got[4096];
    size_t n = w.len - 16 < sizeof(got) - 1 ? w.len - 16 : sizeof(got) - 1;
    memcpy(got, w.buf + 16, n);
    got[n] = '\0';
    CHECK_EQ_STR(got, want);
    free(want);
    /* reuse: the next text starts afresh, no comma carried over */
    jsonw_reset(&w, 0, 1 << 20);
    jsonw_int(&w, 5);
    CHECK_EQ_STR(finish(&w), "5");
    /* a buffer grown past keep is given back on reset */
    jsonw_reset(&w, 0, 8);
    CHECK(w.buf == NULL);
    jsonw_free(&w);
    jsonw_free(NULL);
}

/* Past its limit the writer fails and stays failed; nothing is written out of bounds. */
static void test_limit(void)
{
    struct jsonw w;
    jsonw_init(&w, 100);
    jsonw_arr_begin(&w);
    for (int i = 0; i < 100; i++) {
        jsonw_str(&w, "twenty bytes of text");
    }
    CHECK_EQ_INT(w.failed, 1);
    CHECK(w.len <= 100);
    size_t len = w.len;
    jsonw_int(&w, 1);
    jsonw_arr_end(&w);
    CHECK_EQ_INT(w.len, len);
    CHECK(jsonw_room(&w, 1) == NULL);
    jsonw_reset(&w, 0, 1000);
    CHECK_EQ_INT(w.failed, 0);
    jsonw_str(&w, "ok");
    CHECK_EQ_STR(finish(&w), "\"ok\"");
    /* one string whose escapes would pass the limit */
    char big[64];
    memset(big, 1, sizeof(big));
    jsonw_reset(&w, 0, 1000);
    jsonw_strn(&w, big, sizeof(big));
    CHECK_EQ_INT(w.failed, 1);
    jsonw_free(&w);
}

/* jsonw_again: text written once is copied as the next value or member, also when the copy
 * makes the buffer grow (and move), with the writer's commas; a range outside the text fails. */
static void test_again(void)
{
    struct jsonw w;
    jsonw_init(&w, 1 << 20);
    jsonw_reset(&w, 8, 1 << 20);
    jsonw_arr_begin(&w);
    jsonw_obj_begin(&w);
    size_t off = w.len;
    jsonw_kstr(&w, "local", "2026-03-10T00:15+01:00");
    jsonw_kstr(&w, "k", "\xc3\xa4");
    size_t len = w.len - off;
    jsonw_obj_end(&w);
    for (int i = 0; i < 2000; i++) { /* past the first buffer: the source moves with it */
        jsonw_obj_begin(&w);
        jsonw_again(&w, off, len);
        jsonw_kint(&w, "i", i);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    CHECK_EQ_INT(w.failed, 0);
    json_t *arr = json_array();
    json_array_append_new(
        arr, json_pack("{s:s, s:s}", "local", "2026-03-10T00:15+01:00", "k", "\xc3\xa4"));
    for (int i = 0; i < 2000; i++) {
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "local", "2026-03-10T00:15+01:00",
                                             "k", "\xc3\xa4", "i", i));
    }
    char *want = json_dumps(arr, DUMP_FLAGS);
    json_decref(arr);
    CHECK(w.len - 8 == strlen(want) && memcmp(w.buf + 8, want, w.len - 8) == 0);
    free(want);
    /* after a comma-separated value, the copy gets its comma */
    jsonw_reset(&w, 0, 1 << 20);
    jsonw_arr_begin(&w);
    jsonw_str(&w, "a");
    jsonw_again(&w, 1, 3);
    jsonw_arr_end(&w);
    CHECK_EQ_STR(finish(&w), "[\"a\",\"a\"]");
    /* a range past the text: the writer fails */
    jsonw_reset(&w, 0, 1 << 20);
    jsonw_str(&w, "a");
    jsonw_again(&w, 1, 10);
    CHECK_EQ_INT(w.failed, 1);
    jsonw_free(&w);
}

int main(void)
{
    RUN(test_strings);
    RUN(test_bad_utf8);
    RUN(test_numbers);
    RUN(test_times);
    RUN(test_structure);
    RUN(test_limit);
    RUN(test_again);
    return check_summary();
}
