/* jsonw.h: a streaming JSON writer into one growing buffer, for answers built row by row.
 *
 * The text is what jansson's json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) makes of the same
 * values, byte for byte (tests/unit/test_jsonw.c compares them): strings escaped with \uXXXX
 * for every non-ASCII character and control character, reals as "%.17g" with ".0" added when
 * they look like integers. A string that is not valid UTF-8 (the store only holds what was
 * validated on the way in, but the writer does not rely on it) gets U+FFFD for each bad byte;
 * a real that is not finite becomes null. Nothing is allocated per value: the buffer grows by
 * doubling and is meant to be reused from answer to answer (jsonw_reset). Commas are placed by
 * the writer; the caller only keeps objects and arrays balanced. Not thread-safe: one writer
 * per thread. */
#ifndef ACDL_JSONW_H
#define ACDL_JSONW_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jsonw {
    char *buf;    /* owned; NULL until the first write */
    size_t len;   /* bytes used, including the reserved start (jsonw_reset) */
    size_t cap;   /* bytes allocated */
    size_t limit; /* the most the buffer may hold; past it the writer fails */
    int failed;   /* out of memory or over limit: the text is incomplete */
    int comma;    /* a value ended at this level: the next one needs a comma */
    int64_t day;  /* the Unix day whose "YYYY-MM-DD" is in day_text (times of one day repeat) */
    char day_text[11];
};

/* An empty writer that may grow to limit bytes. Allocates nothing yet. */
void jsonw_init(struct jsonw *w, size_t limit);
/* Frees the buffer; the writer may be initialised again. Accepts NULL. */
void jsonw_free(struct jsonw *w);
/* Starts a new text after reserve bytes left free at the start (for HTTP headers), keeping the
 * buffer; a buffer grown past keep bytes is freed first, so a rare large answer does not stay
 * resident. */
void jsonw_reset(struct jsonw *w, size_t reserve, size_t keep);
/* Makes room for n more bytes; returns a pointer to them (borrowed, valid until the next
 * write) or NULL when the writer failed. The caller then adds what it wrote with w->len += k. */
char *jsonw_room(struct jsonw *w, size_t n);

void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
/* An object member's name (n bytes): plain ASCII needing no escapes. */
void jsonw_keyn(struct jsonw *w, const char *key, size_t n);
/* A string value, escaped. s NULL writes null. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_real(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* ISO-8601 UTC ("2026-03-10T08:15:00Z") for Unix time t, or null when t is 0 (json_time). */
void jsonw_time(struct jsonw *w, int64_t t);
/* A value that is already JSON text (n bytes), copied as it is. */
void jsonw_raw(struct jsonw *w, const char *text, size_t n);
/* The n bytes this writer wrote at offset off (w->len before them) again, as jsonw_raw: a
 * member or value that repeats from row to row is escaped and formatted once. */
void jsonw_again(struct jsonw *w, size_t off, size_t n);

/* An object member's name: key must be plain ASCII needing no escapes (a literal, whose
 * length the compiler counts here, once). And shorthands for a member: key and value. */
static inline void jsonw_key(struct jsonw *w, const char *key)
{
    jsonw_keyn(w, key, strlen(key));
}
static inline void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_str(w, s);
}
static inline void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}
static inline void jsonw_ktime(struct jsonw *w, const char *key, int64_t t)
{
    jsonw_key(w, key);
    jsonw_time(w, t);
}

/* Writes the decimal digits of v into out (at least 21 bytes); returns their count. */
size_t jsonw_fmt_int(char *out, int64_t v);
/* Writes printf's "%.17g" of v (C locale) into out (at least 40 bytes, not terminated);
 * returns its length. Whole numbers and short decimals (217.125) are made by hand. */
size_t jsonw_fmt_g17(char *out, double v);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes, terminated) for t from
 * 0000-03-01 to 9999-12-31 (outside, the result is clamped to those years' digits); returns
 * 20, the length. The same text as plat_time_iso, without the C library. */
size_t jsonw_fmt_time(char *out, int64_t t);

#endif
