/* fuzz_jsonw.c: the streaming JSON writer on arbitrary bytes (names and other stored text end
 * up in answers through it). Its text must always be valid JSON that reads back as the input
 * (with U+FFFD for bytes that are not UTF-8), and be jansson's text byte for byte whenever
 * jansson takes the string. The first 8 bytes, read as a double, also go through jsonw_real. */
#include <jansson.h>
#include <math.h>

#include "fuzz_util.h"
#include "http/jsonw.h"

#define FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jsonw w;
    if (size > 4096) {
        return 0;
    }
    jsonw_init(&w, 1 << 16);
    jsonw_reset(&w, 7, 1 << 16);
    jsonw_strn(&w, (const char *)data, size);
    FUZZ_ASSERT(!w.failed && w.len >= 7 + 2);
    const char *text = w.buf + 7;
    size_t tlen = w.len - 7;
    for (size_t i = 0; i < tlen; i++) {
        FUZZ_ASSERT((unsigned char)text[i] >= 0x20 &&
                    (unsigned char)text[i] < 0x80); /* DEL stays */
    }
    json_error_t err;
    json_t *back = json_loadb(text, tlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    FUZZ_ASSERT(back && json_is_string(back));
    json_t *mine = json_stringn((const char *)data, size);
    if (mine) { /* valid UTF-8: the same text as jansson's, and the same string back */
        char *want = json_dumps(mine, FLAGS);
        FUZZ_ASSERT(want && strlen(want) == tlen && memcmp(want, text, tlen) == 0);
        FUZZ_ASSERT(json_string_length(back) == size &&
                    memcmp(json_string_value(back), data, size) == 0);
        free(want);
        json_decref(mine);
    } else { /* every bad byte became U+FFFD: never shorter than the valid bytes kept */
        FUZZ_ASSERT(strstr(text, "\\uFFFD") != NULL);
    }
    json_decref(back);
    if (size >= 8) {
        double v;
        memcpy(&v, data, sizeof(v));
        jsonw_reset(&w, 0, 1 << 16);
        jsonw_real(&w, v);
        FUZZ_ASSERT(!w.failed);
        json_t *j = isfinite(v) ? json_real(v) : json_null();
        char *want = json_dumps(j, FLAGS);
        FUZZ_ASSERT(want && strlen(want) == w.len && memcmp(want, w.buf, w.len) == 0);
        free(want);
        json_decref(j);
    }
    jsonw_free(&w);
    return 0;
}
