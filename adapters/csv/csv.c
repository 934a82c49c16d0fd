/* csv.c: the streaming CSV record reader.
 *
 * Design: the reader holds a window buf[pos, len) of the input. A record is parsed in one pass
 * over that window with a byte-class table (the inner loops only look for the few bytes that
 * matter); when the window ends inside a record, the partial record is moved to the front,
 * more input is read, and the record is parsed again from its start. Blocks are much larger
 * than records, so re-parsing costs little, and no parser state has to survive a refill.
 * Memory inputs are parsed in place (the window is the caller's memory and never refilled).
 *
 * Fields point into the window when they can be used as they are (UTF-8 input, no doubled
 * quotes) and into a side buffer otherwise (transcoded or unescaped). The side buffer is sized
 * for the worst case (3 bytes of UTF-8 per input byte) before the first copy of a record, so
 * it never moves while fields point into it.
 *
 * Overlong records are detected after at most max_record + 2 bytes: an incomplete record
 * longer than max_record + 1 bytes cannot end within max_record bytes. The same rules hold
 * for any split of the input into blocks, which fuzz_csv checks. */
#include "adapters/csv/csv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "core/err.h"

/* byte classes */
enum {
    CL_SEP = 1,
    CL_QUOTE = 2,
    CL_CR = 4,
    CL_LF = 8,
    CL_NUL = 16,
    CL_HIGH = 32,
};
#define STOP_PLAIN (CL_SEP | CL_CR | CL_LF | CL_NUL | CL_HIGH)
#define STOP_QUOTED (CL_QUOTE | CL_CR | CL_LF | CL_NUL | CL_HIGH)
#define CSV_NAME_MAX 200

struct csv_reader {
    struct csv_options o;
    char name[CSV_NAME_MAX + 1];
    unsigned char cls[256];

    /* input */
    FILE *file;
    csv_read_fn fn;
    void *ctx;
    /* UTF-16 input (0: none, 1: little-endian, 2: big-endian) is decoded into UTF-8 as it is
     * read, so the parser sees UTF-8; raw holds one block of it, carry the bytes of a code
     * point cut by the end of a block. A memory input in UTF-16 is read like a stream. */
    int utf16;
    unsigned char *raw;
    unsigned char carry[4];
    size_t ncarry;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    const unsigned char *buf; /* the window: own, or the caller's memory */
    unsigned char *own;       /* NULL for memory inputs */
    size_t own_cap, cap_max;
    size_t pos, len;
    uint64_t base; /* input offset of buf[0] */
    int eof;
    int fatal; /* sticky ACDL_E* code once reading cannot go on */
    char fatal_reason[CSV_REASON_MAX]; /* why, when more can be said than the code's text */
    char fatal_detail[16];             /* "LE" or "BE" for a UTF-16 file read as UTF-8 */

    /* position */
    uint64_t line;  /* physical line at pos */
    int pending_lf; /* the last line end was a CR: a following LF belongs to it */
    int bom_done;
    int last_open; /* the last record read reached the end of the input without a line end */
    unsigned long skip_left; /* physical lines still to skip */

    /* the current record */
    struct csv_field *fields;
    size_t fields_cap, nfields;
    unsigned char *out;
    size_t out_cap, out_len;
    uint64_t nrec;

    /* header */
    int header_done;
    struct csv_field *hdr;
    size_t nhdr;
    char *hdr_buf;
};

/* What one parse of a record found. Offsets are into buf. */
struct pstate {
    size_t end;           /* after the record and its line end */
    size_t content_end;   /* the record's line end (or the end of the input) */
    int cr_end;           /* the line end was a CR */
    uint64_t inner_lines; /* line ends inside quoted fields */
    int last_quoted;      /* the last field was quoted */
    size_t mark_off;      /* start of the field with index r->nhdr (SIZE_MAX: none) */
    int has_err;
    size_t err_off;
    int err_unterminated; /* the error is an unterminated quote (resynchronise) */
    char reason[CSV_REASON_MAX];
    const char *code; /* the reason's message code, see struct csv_error */
    uint64_t n;
    char detail[16];
};

enum { P_DONE, P_MORE, P_TOOBIG, P_NOMEM };

/* Windows-1252 0x80..0x9F as code points (WHATWG encoding standard). */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void csv_options_init(struct csv_options *o)
{
    memset(o, 0, sizeof(*o));
    o->separator = ',';
    o->quote = '"';
    o->encoding = CSV_ENC_UTF8;
    o->max_record = CSV_DEFAULT_MAX_RECORD;
    o->max_fields = CSV_DEFAULT_MAX_FIELDS;
    o->block_size = CSV_DEFAULT_BLOCK_SIZE;
}

int csv_last_open(const struct csv_reader *r)
{
    return r->last_open;
}

int csv_error_recoverable(int rc)
{
    return rc == ACDL_EINVAL || rc == ACDL_ETOOBIG;
}

/* --- opening and closing --- */

static int options_check(const struct csv_options *o)
{
    unsigned char sep = (unsigned char)o->separator;
    if (sep == 0 || sep >= 0x80 || sep == '\r' || sep == '\n') {
        return ACDL_EINVAL;
    }
    if (o->quote != CSV_QUOTE_NONE && (o->quote <= 0 || o->quote >= 0x80 || o->quote == '\r' ||
                                       o->quote == '\n' || o->quote == sep)) {
        return ACDL_EINVAL;
    }
    if (o->encoding != CSV_ENC_UTF8 && o->encoding != CSV_ENC_CP1252 &&
        o->encoding != CSV_ENC_LATIN1 && o->encoding != CSV_ENC_UTF16LE &&
        o->encoding != CSV_ENC_UTF16BE) {
        return ACDL_EINVAL;
    }
    if (o->max_record < 1 || o->max_record > CSV_LIMIT_MAX_RECORD || o->max_fields < 1 ||
        o->max_fields > CSV_LIMIT_MAX_FIELDS || o->block_size < 1 ||
        o->block_size > CSV_LIMIT_BLOCK_SIZE) {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

static int reader_new(struct csv_reader **out, const struct csv_options *o, const char *name)
{
    struct csv_options def;
    struct csv_reader *r;
    int rc;
    *out = NULL;
    if (!o) {
        csv_options_init(&def);
        o = &def;
    }
    rc = options_check(o);
    if (rc != ACDL_OK) {
        return rc;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        return ACDL_ENOMEM;
    }
    r->o = *o;
    if (o->encoding == CSV_ENC_UTF16LE || o->encoding == CSV_ENC_UTF16BE) {
        r->utf16 = o->encoding == CSV_ENC_UTF16LE ? 1 : 2;
        r->o.encoding = CSV_ENC_UTF8; /* what the parser sees */
    }
    if (o->name) {
        name = o->name;
    }
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "(memory)");
    r->o.name = NULL; /* not kept: the copy above is */
    r->cls[(unsigned char)o->separator] |= CL_SEP;
    if (o->quote != CSV_QUOTE_NONE) {
        r->cls[(unsigned char)o->quote] |= CL_QUOTE;
    }
    r->cls['\r'] |= CL_CR;
    r->cls['\n'] |= CL_LF;
    r->cls[0] |= CL_NUL;
    for (int c = 0x80; c < 0x100; c++) {
        r->cls[c] |= CL_HIGH;
    }
    r->line = 1;
    r->skip_left = o->skip_lines;
    r->header_done = !o->header;
    /* room for a whole overlong-record check (max_record + 2) plus one more block */
    r->cap_max = o->max_record + 2 + o->block_size + (r->utf16 ? 8 : 0);
    *out = r;
    return ACDL_OK;
}

static int alloc_window(struct csv_reader *r)
{
    size_t cap = r->o.block_size * 2;
    if (cap < 256) {
        cap = 256;
    }
    if (cap > r->cap_max) {
        cap = r->cap_max;
    }
    r->own = malloc(cap);
    if (!r->own) {
        return ACDL_ENOMEM;
    }
    r->own_cap = cap;
    r->buf = r->own;
    if (r->utf16) {
        r->raw = malloc(r->o.block_size + 4);
        if (!r->raw) {
            return ACDL_ENOMEM;
        }
    }
    return ACDL_OK;
}

int csv_open_file(struct csv_reader **out, const char *path, const struct csv_options *o)
{
    struct csv_reader *r = NULL;
    int rc;
    *out = NULL;
    rc = reader_new(&r, o, path);
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = alloc_window(r);
    if (rc != ACDL_OK) {
        goto out;
    }
    r->file = fopen(path, "rb");
    if (!r->file) {
        rc = errno == ENOENT ? ACDL_ENOTFOUND : ACDL_EIO;
        goto out;
    }
    /* our window is the buffer: stdio's own buffer would only add a copy */
    setvbuf(r->file, NULL, _IONBF, 0);
    *out = r;
    r = NULL;
out:
    csv_close(r);
    return rc;
}

int csv_open_mem(struct csv_reader **out, const void *data, size_t len, const struct csv_options *o)
{
    struct csv_reader *r = NULL;
    int rc;
    *out = NULL;
    rc = reader_new(&r, o, NULL);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (r->utf16) {
        /* decoded block by block like a stream */
        rc = alloc_window(r);
        if (rc != ACDL_OK) {
            csv_close(r);
            return rc;
        }
        r->mem = data;
        r->mem_len = len;
        *out = r;
        return ACDL_OK;
    }
    r->buf = len ? data : (const unsigned char *)"";
    r->len = len;
    r->eof = 1;
    *out = r;
    return ACDL_OK;
}

int csv_open_stream(struct csv_reader **out, csv_read_fn fn, void *ctx,
                    const struct csv_options *o)
{
    struct csv_reader *r = NULL;
    int rc = ACDL_EINVAL;
    *out = NULL;
    if (!fn) {
        goto out;
    }
    rc = reader_new(&r, o, "(stream)");
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = alloc_window(r);
    if (rc != ACDL_OK) {
        goto out;
    }
    r->fn = fn;
    r->ctx = ctx;
    *out = r;
    r = NULL;
out:
    csv_close(r);
    return rc;
}

void csv_close(struct csv_reader *r)
{
    if (!r) {
        return;
    }
    if (r->file) {
        fclose(r->file);
    }
    free(r->own);
    free(r->raw);
    free(r->fields);
    free(r->out);
    free(r->hdr);
    free(r->hdr_buf);
    free(r);
}

/* --- input --- */

/* Reads up to want bytes of the input as it is into dst. */
static int read_raw(struct csv_reader *r, unsigned char *dst, size_t want, size_t *got)
{
    int rc = ACDL_OK;
    *got = 0;
    if (r->file) {
        *got = fread(dst, 1, want, r->file);
        if (*got == 0 && ferror(r->file)) {
            rc = ACDL_EIO;
        }
    } else if (r->fn) {
        rc = r->fn(r->ctx, (char *)dst, want, got);
        if (rc > 0) {
            rc = ACDL_EIO; /* not a code of ours */
        }
        if (rc == ACDL_OK && *got > want) {
            rc = ACDL_EINVAL;
        }
    } else {
        *got = r->mem_len - r->mem_pos < want ? r->mem_len - r->mem_pos : want;
        memcpy(dst, r->mem + r->mem_pos, *got);
        r->mem_pos += *got;
    }
    return rc;
}

static void put_utf8(unsigned char **d, uint32_t cp)
{
    unsigned char *p = *d;
    if (cp < 0x80) {
        *p++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *p++ = (unsigned char)(0xC0 | (cp >> 6));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (unsigned char)(0xE0 | (cp >> 12));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (unsigned char)(0xF0 | (cp >> 18));
        *p++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *d = p;
}

/* Reads UTF-16 and appends it as UTF-8 to the window (at most want bytes). An unpaired
 * surrogate becomes the byte 0xFF, which the parser reports as invalid UTF-16; an odd byte
 * at the end of the input likewise. *got == 0 only at the end of the input. */
static int read_utf16(struct csv_reader *r, size_t want, size_t *got)
{
    unsigned char *d0 = r->own + r->len, *d = d0;
    size_t n = 0, i = 0, take;
    int rc;
    *got = 0;
    /* a UTF-16 unit of 2 bytes gives at most 3 bytes of UTF-8; a pair of 4 gives 4 */
    take = (want / 3) * 2;
    if (take > (r->o.block_size < 4 ? 4 : r->o.block_size)) {
        take = r->o.block_size < 4 ? 4 : r->o.block_size;
    }
    memcpy(r->raw, r->carry, r->ncarry);
    n = r->ncarry;
    r->ncarry = 0;
    do {
        size_t g = 0;
        rc = read_raw(r, r->raw + n, take - n, &g);
        if (rc != ACDL_OK) {
            return rc;
        }
        if (g == 0) {
            break;
        }
        n += g;
    } while (n < 4 && n < take);
    while (i + 1 < n) {
        uint32_t u = r->utf16 == 1 ? (uint32_t)(r->raw[i] | (r->raw[i + 1] << 8))
                                   : (uint32_t)((r->raw[i] << 8) | r->raw[i + 1]);
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 3 >= n) {
                break; /* its pair is in the next block (or missing at the end) */
            }
            uint32_t v = r->utf16 == 1 ? (uint32_t)(r->raw[i + 2] | (r->raw[i + 3] << 8))
                                       : (uint32_t)((r->raw[i + 2] << 8) | r->raw[i + 3]);
            if (v >= 0xDC00 && v <= 0xDFFF) {
                put_utf8(&d, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                i += 4;
                continue;
            }
            *d++ = 0xFF;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            *d++ = 0xFF;
        } else {
            put_utf8(&d, u);
        }
        i += 2;
    }
    if (i < n) {
        size_t left = n - i;
        if (d == d0) {
            /* nothing decoded: the input ended inside a code point */
            *d++ = 0xFF;
        } else {
            memcpy(r->carry, r->raw + i, left);
            r->ncarry = left;
        }
    }
    *got = (size_t)(d - d0);
    return ACDL_OK;
}

/* Moves the unread rest to the front of the window and reads one more block. Memory inputs
 * are complete already. Returns 0 or a fatal code. */
static int fill(struct csv_reader *r)
{
    size_t want, got = 0;
    int rc = ACDL_OK;
    if (!r->own || r->eof) {
        r->eof = 1;
        return ACDL_OK;
    }
    if (r->pos > 0) {
        memmove(r->own, r->own + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->own_cap - r->len < (r->utf16 ? 8u : 1u)) {
        size_t cap = r->own_cap * 2;
        unsigned char *nb;
        if (cap > r->cap_max || cap < r->own_cap) {
            cap = r->cap_max;
        }
        if (cap <= r->own_cap) {
            return ACDL_ETOOBIG; /* cannot happen: overlong records are caught before */
        }
        nb = realloc(r->own, cap);
        if (!nb) {
            return ACDL_ENOMEM;
        }
        r->own = nb;
        r->buf = nb;
        r->own_cap = cap;
    }
    want = r->own_cap - r->len;
    if (want > r->o.block_size && want > 8) {
        want = r->o.block_size > 8 ? r->o.block_size : 8;
    }
    if (r->utf16) {
        rc = read_utf16(r, want, &got);
    } else {
        rc = read_raw(r, r->own + r->len, want, &got);
    }
    if (rc != ACDL_OK) {
        return rc;
    }
    if (got == 0) {
        r->eof = 1;
    }
    r->len += got;
    return ACDL_OK;
}

/* --- positions and messages --- */

/* Line and column of buffer offset off, counting from a record start at offset from, which
 * is at the start of line line0. *line_start gets the offset where that line begins. */
static void locate(const struct csv_reader *r, size_t from, uint64_t line0, size_t off,
                   uint64_t *line, uint64_t *col, size_t *line_start)
{
    uint64_t l = line0, c = 1;
    size_t ls = from;
    int utf8 = r->o.encoding == CSV_ENC_UTF8;
    for (size_t i = from; i < off && i < r->len; i++) {
        unsigned char b = r->buf[i];
        if (b == '\r') {
            l++;
            c = 1;
            ls = i + 1;
        } else if (b == '\n') {
            if (!(i > from && r->buf[i - 1] == '\r')) {
                l++;
            }
            c = 1;
            ls = i + 1;
        } else if (!utf8 || (b & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
    if (line_start) {
        *line_start = ls;
    }
}

static void error_set(const struct csv_reader *r, struct csv_error *err, uint64_t record,
                      uint64_t line, uint64_t col, const char *reason)
{
    if (!err) {
        return;
    }
    err->code = NULL;
    err->n = err->m = 0;
    err->detail[0] = '\0';
    err->record = record;
    err->line = line;
    err->column = col;
    snprintf(err->reason, sizeof(err->reason), "%s", reason);
    snprintf(err->message, sizeof(err->message), "%s:%" PRIu64 ":%" PRIu64 ": %s", r->name, line,
             col, reason);
}

/* Sets the message code of the error error_set() just wrote. */
static void error_code(struct csv_error *err, const char *code, uint64_t n, uint64_t m,
                       const char *detail)
{
    if (err) {
        err->code = code;
        err->n = n;
        err->m = m;
        snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
    }
}

static void perr(struct pstate *ps, size_t off, const char *code, uint64_t n, const char *detail,
                 const char *reason)
{
    if (!ps->has_err) {
        ps->has_err = 1;
        ps->err_off = off;
        ps->code = code;
        ps->n = n;
        snprintf(ps->detail, sizeof(ps->detail), "%s", detail ? detail : "");
        snprintf(ps->reason, sizeof(ps->reason), "%s", reason);
    }
}

/* --- parsing --- */

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80): n > 0, 0 when invalid, -1 when
 * it may be valid but is cut off at end. Overlong forms and surrogates are invalid. */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if (p + i >= end) {
            return -1;
        }
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF)) {
            return 0;
        }
    }
    return n;
}

/* Handles a byte >= 0x80 at p: validates UTF-8, or notes that the field needs transcoding.
 * Returns the bytes to step over, or 0 when more input is needed. */
static size_t high_byte(const struct csv_reader *r, struct pstate *ps, const unsigned char *p,
                        const unsigned char *end, int *copy)
{
    int n;
    char why[CSV_REASON_MAX];
    if (r->o.encoding != CSV_ENC_UTF8) {
        *copy = 1;
        return 1;
    }
    n = utf8_len(p, end);
    if (n > 0) {
        return (size_t)n;
    }
    if (n < 0 && !r->eof) {
        return 0;
    }
    if (!ps->has_err) {
        char byte[8];
        snprintf(byte, sizeof(byte), "0x%02X", (unsigned)p[0]);
        if (r->utf16) {
            snprintf(why, sizeof(why),
                     "invalid UTF-16 (an unpaired surrogate or a cut-off "
                     "character)");
        } else {
            snprintf(why, sizeof(why), "invalid UTF-8 (byte %s; is the file Windows-1252?)", byte);
        }
        perr(ps, (size_t)(p - r->buf), r->utf16 ? "csv.utf16_invalid" : "csv.utf8_invalid", 0, byte,
             why);
    }
    return 1;
}

/* Scans unquoted data from p up to a separator, a line end or the end of the input.
 * Returns the stop position, or NULL when more input is needed. */
static const unsigned char *scan_plain(const struct csv_reader *r, struct pstate *ps,
                                       const unsigned char *p, const unsigned char *end, int *copy)
{
    const unsigned char *cls = r->cls;
    for (;;) {
        while (p < end && !(cls[*p] & STOP_PLAIN)) {
            p++;
        }
        if (p == end) {
            return r->eof ? p : NULL;
        }
        if (cls[*p] & (CL_SEP | CL_CR | CL_LF)) {
            return p;
        }
        if (*p == 0) {
            perr(ps, (size_t)(p - r->buf), "csv.nul_byte", 0, NULL, "NUL byte");
            p++;
        } else {
            size_t n = high_byte(r, ps, p, end, copy);
            if (n == 0) {
                return NULL;
            }
            p += n;
        }
    }
}

/* Makes sure the side buffer holds the worst case of what the record can need. */
static int out_reserve(struct csv_reader *r)
{
    size_t n = r->len - r->pos;
    if (n > r->o.max_record + 2) {
        n = r->o.max_record + 2;
    }
    n = n * 3 + 1;
    if (r->out_cap < n) {
        unsigned char *nb = realloc(r->out, n);
        if (!nb) {
            return ACDL_ENOMEM;
        }
        r->out = nb;
        r->out_cap = n;
    }
    return ACDL_OK;
}

/* Copies n bytes at s into the side buffer, undoubling quotes (unesc) and transcoding bytes
 * of single-byte encodings. Returns the start of the copy. */
static const char *copy_field(struct csv_reader *r, const unsigned char *s, size_t n, int unesc)
{
    unsigned char *d = r->out + r->out_len, *d0 = d;
    unsigned char q = (unsigned char)(r->o.quote == CSV_QUOTE_NONE ? 0 : r->o.quote);
    int cp1252 = r->o.encoding == CSV_ENC_CP1252;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x80) {
            *d++ = c;
            if (unesc && c == q) {
                i++; /* a doubled quote: skip its second half */
            }
        } else if (r->o.encoding == CSV_ENC_UTF8) {
            *d++ = c;
        } else {
            unsigned cp = (cp1252 && c < 0xA0) ? cp1252_c1[c - 0x80] : c;
            if (cp < 0x800) {
                *d++ = (unsigned char)(0xC0 | (cp >> 6));
                *d++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                *d++ = (unsigned char)(0xE0 | (cp >> 12));
                *d++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *d++ = (unsigned char)(0x80 | (cp & 0x3F));
            }
        }
    }
    r->out_len += (size_t)(d - d0);
    return (const char *)d0;
}

static int fields_add(struct csv_reader *r, const unsigned char *s, size_t n, int copy, int unesc,
                      int *reserved)
{
    struct csv_field *f;
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 32;
        struct csv_field *nf;
        if (cap > r->o.max_fields) {
            cap = r->o.max_fields;
        }
        nf = realloc(r->fields, cap * sizeof(*nf));
        if (!nf) {
            return ACDL_ENOMEM;
        }
        r->fields = nf;
        r->fields_cap = cap;
    }
    f = &r->fields[r->nfields++];
    if (copy || unesc) {
        if (!*reserved) {
            if (out_reserve(r) != ACDL_OK) {
                return ACDL_ENOMEM;
            }
            *reserved = 1;
        }
        f->ptr = copy_field(r, s, n, unesc);
        f->len = (size_t)(r->out + r->out_len - (const unsigned char *)f->ptr);
    } else {
        f->ptr = (const char *)s;
        f->len = n;
    }
    return ACDL_OK;
}

static int is_blank(const struct csv_reader *r, unsigned char c)
{
    return (c == ' ' || c == '\t') && !(r->cls[c] & (CL_SEP | CL_QUOTE));
}

/* Parses the record at r->pos into r->fields. */
static int parse(struct csv_reader *r, struct pstate *ps)
{
    const unsigned char *buf = r->buf, *cls = r->cls;
    const unsigned char *start = buf + r->pos, *end = buf + r->len, *p = start;
    const size_t limit = r->o.max_record + 1;
    int reserved = 0;

    /* not memset: the reason buffer is only written with an error */
    ps->end = ps->content_end = 0;
    ps->cr_end = ps->last_quoted = ps->has_err = ps->err_unterminated = 0;
    ps->inner_lines = 0;
    ps->err_off = 0;
    ps->mark_off = SIZE_MAX;
    r->nfields = 0;
    r->out_len = 0;
    for (;;) {
        const unsigned char *fs = p, *vs, *ve;
        int copy = 0, unesc = 0;
        if (r->nfields == r->nhdr && r->hdr) {
            ps->mark_off = (size_t)(fs - buf);
        }

        if (p < end && (cls[*p] & CL_QUOTE)) {
            const unsigned char *q = p + 1;
            vs = q;
            for (;;) {
                while (q < end && !(cls[*q] & STOP_QUOTED)) {
                    q++;
                }
                if (q == end) {
                    break;
                }
                if (cls[*q] & CL_QUOTE) {
                    if (q + 1 == end) {
                        break;
                    }
                    if (q[1] != *q) {
                        break;
                    }
                    unesc = 1;
                    q += 2;
                } else if (*q == '\r') {
                    ps->inner_lines++;
                    q++;
                } else if (*q == '\n') {
                    if (q[-1] != '\r') {
                        ps->inner_lines++;
                    }
                    q++;
                } else if (*q == 0) {
                    perr(ps, (size_t)(q - buf), "csv.nul_byte", 0, NULL, "NUL byte");
                    q++;
                } else {
                    size_t n = high_byte(r, ps, q, end, &copy);
                    if (n == 0) {
                        return P_MORE;
                    }
                    q += n;
                }
            }
            if ((size_t)(q - start) > limit) {
                return P_TOOBIG;
            }
            if (q == end || (q + 1 == end && !r->eof)) {
                if (!r->eof) {
                    return P_MORE;
                }
                if (q == end) {
                    /* unterminated: the record ends with the input */
                    perr(ps, (size_t)(fs - buf), "csv.unterminated_quote", 0, NULL,
                         "unterminated quoted field");
                    ps->err_unterminated = 1;
                    ps->content_end = ps->end = r->len;
                    return P_DONE;
                }
            }
            ve = q;
            p = q + 1; /* after the closing quote */
            while (p < end && is_blank(r, *p)) {
                p++;
            }
            if (p == end && !r->eof) {
                return P_MORE;
            }
            if (p < end && !(cls[*p] & (CL_SEP | CL_CR | CL_LF))) {
                char why[CSV_REASON_MAX], what[16];
                if (*p >= 0x21 && *p < 0x7F) {
                    snprintf(what, sizeof(what), "'%c'", *p);
                } else {
                    snprintf(what, sizeof(what), "byte 0x%02X", (unsigned)*p);
                }
                snprintf(why, sizeof(why), "unexpected %s after the closing quote", what);
                perr(ps, (size_t)(p - buf), "csv.after_quote", 0, what, why);
                p = scan_plain(r, ps, p, end, &copy);
                if (!p) {
                    return P_MORE;
                }
            }
            ps->last_quoted = 1;
        } else {
            vs = p;
            /* the common case first: plain bytes up to a separator */
            while (p < end && !(cls[*p] & STOP_PLAIN)) {
                p++;
            }
            if (p < end && (cls[*p] & CL_SEP) && r->nfields < r->fields_cap &&
                (size_t)(p - start) <= limit) {
                r->fields[r->nfields].ptr = (const char *)vs;
                r->fields[r->nfields].len = (size_t)(p - vs);
                r->nfields++;
                ps->last_quoted = 0;
                p++;
                continue;
            }
            p = scan_plain(r, ps, p, end, &copy);
            if (!p) {
                return P_MORE;
            }
            ve = p;
            ps->last_quoted = 0;
        }
        if ((size_t)(p - start) > limit) {
            return P_TOOBIG;
        }
        if (r->nfields < r->o.max_fields) {
            if (fields_add(r, vs, (size_t)(ve - vs), copy, unesc, &reserved) != ACDL_OK) {
                return P_NOMEM;
            }
        } else if (!ps->has_err) {
            char why[CSV_REASON_MAX];
            snprintf(why, sizeof(why), "more than %zu fields", r->o.max_fields);
            perr(ps, (size_t)(fs - buf), "csv.too_many_fields", r->o.max_fields, NULL, why);
        }
        if (p == end) {
            ps->content_end = ps->end = r->len;
            return P_DONE;
        }
        if (cls[*p] & CL_SEP) {
            p++;
            continue;
        }
        ps->content_end = (size_t)(p - buf);
        ps->cr_end = *p == '\r';
        ps->end = (size_t)(p - buf) + 1;
        return P_DONE;
    }
}

/* Reads the next record (header or data) into r->fields. number is used in errors. */
static int read_record(struct csv_reader *r, struct csv_error *err, uint64_t number,
                       struct pstate *ps, uint64_t *line, uint64_t *offset)
{
    int rc;
    for (;;) {
        const unsigned char *p, *end;
        if (r->fatal) {
            error_set(r, err, number, r->line, 1,
                      r->fatal_reason[0]        ? r->fatal_reason
                      : r->fatal == ACDL_ENOMEM ? "out of memory"
                                                : "the file cannot be read");
            error_code(err,
                       r->fatal_reason[0]        ? "csv.utf16_bom"
                       : r->fatal == ACDL_ENOMEM ? "err.enomem"
                                                 : "csv.unreadable",
                       0, 0, r->fatal_detail);
            return r->fatal;
        }
        if (r->pos == r->len || (!r->bom_done && r->len - r->pos < 3 && !r->eof)) {
            if (r->eof && r->pos == r->len) {
                return CSV_END;
            }
            rc = fill(r);
            if (rc != ACDL_OK) {
                r->fatal = rc;
            }
            continue;
        }
        p = r->buf + r->pos;
        end = r->buf + r->len;
        if (!r->bom_done) {
            r->bom_done = 1;
            if (r->o.encoding == CSV_ENC_UTF8 && end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB &&
                p[2] == 0xBF) {
                r->pos += 3;
            } else if (!r->utf16 && end - p >= 2 &&
                       ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
                int le = p[0] == 0xFF;
                snprintf(r->fatal_detail, sizeof(r->fatal_detail), "%s", le ? "LE" : "BE");
                snprintf(r->fatal_reason, sizeof(r->fatal_reason),
                         "the file is UTF-16 %s (it starts with the byte-order mark %s): set the "
                         "encoding to utf-16%s, or export it as UTF-8",
                         le ? "LE" : "BE", le ? "FF FE" : "FE FF", le ? "le" : "be");
                r->fatal = ACDL_EIO;
            }
            continue;
        }
        if (r->pending_lf) {
            r->pending_lf = 0;
            if (*p == '\n') {
                r->pos++;
            }
            continue;
        }
        if (r->skip_left > 0) {
            while (p < end && *p != '\r' && *p != '\n') {
                p++;
            }
            r->pos = (size_t)(p - r->buf);
            if (p < end) {
                r->pos++;
                r->line++;
                r->pending_lf = *p == '\r';
                r->skip_left--;
            }
            continue;
        }
        /* blank lines, also of blanks only (as long as a record could be, so that the
         * verdict does not depend on how the input arrives) */
        while (p < end && is_blank(r, *p)) {
            p++;
        }
        if ((size_t)(p - (r->buf + r->pos)) > r->o.max_record) {
            /* not blank: parse it and fail */
        } else if (p == end && r->eof) {
            r->pos = r->len;
            continue;
        } else if (p < end && (*p == '\r' || *p == '\n')) {
            r->pos = (size_t)(p - r->buf) + 1;
            r->line++;
            r->pending_lf = *p == '\r';
            continue;
        }
        rc = parse(r, ps);
        if (rc == P_MORE) {
            size_t have = r->len - r->pos, want = have * 2;
            if (have > r->o.max_record + 1) {
                rc = P_TOOBIG;
            } else {
                /* read until the partial record has doubled (or could be too long), so that
                 * parsing it again from its start costs linear time even with tiny blocks */
                if (want > r->o.max_record + 2) {
                    want = r->o.max_record + 2;
                }
                if (want <= have) {
                    want = have + 1;
                }
                do {
                    rc = fill(r);
                } while (rc == ACDL_OK && !r->eof && r->len - r->pos < want);
                if (rc != ACDL_OK) {
                    r->fatal = rc;
                }
                continue;
            }
        }
        if (rc == P_NOMEM) {
            r->fatal = ACDL_ENOMEM;
            continue;
        }
        if (rc == P_DONE && ps->content_end - r->pos > r->o.max_record) {
            rc = P_TOOBIG;
        }
        *line = r->line;
        *offset = r->base + r->pos;
        r->last_open = rc == P_DONE && ps->end == ps->content_end && ps->end == r->len && r->eof;
        if (rc == P_TOOBIG) {
            char why[CSV_REASON_MAX];
            snprintf(why, sizeof(why), "record longer than %zu bytes", r->o.max_record);
            error_set(r, err, number, r->line, 1, why);
            error_code(err, "csv.record_too_long", r->o.max_record, 0, NULL);
            r->nfields = 0;
            r->skip_left = 1; /* resynchronise after the record's first line */
            return ACDL_ETOOBIG;
        }
        if (ps->has_err) {
            uint64_t el, ec;
            size_t ls;
            locate(r, r->pos, r->line, ps->err_off, &el, &ec, &ls);
            error_set(r, err, number, el, ec, ps->reason);
            error_code(err, ps->code, ps->n, 0, ps->detail);
            r->nfields = 0;
            if (ps->err_unterminated) {
                /* resynchronise after the line with the opening quote */
                r->pos = ls;
                r->line = el;
                r->skip_left = 1;
                return ACDL_EINVAL;
            }
        }
        r->pos = ps->end;
        r->line += ps->inner_lines + (ps->end > ps->content_end ? 1 : 0);
        r->pending_lf = ps->cr_end;
        return ps->has_err ? ACDL_EINVAL : CSV_RECORD;
    }
}

/* --- header --- */

int csv_header_read(struct csv_reader *r, struct csv_error *err)
{
    struct pstate ps;
    uint64_t line, off;
    size_t total = 0, n;
    int rc;
    if (r->header_done) {
        return r->fatal ? r->fatal : ACDL_OK;
    }
    rc = read_record(r, err, 0, &ps, &line, &off);
    if (rc == CSV_END) {
        r->header_done = 1;
        error_set(r, err, 0, r->line, 1, "no header line");
        error_code(err, "csv.no_header", 0, 0, NULL);
        return ACDL_ENOTFOUND;
    }
    if (rc != CSV_RECORD) {
        r->header_done = 1; /* a bad header: go on without one */
        return rc;
    }
    r->header_done = 1;
    n = r->nfields;
    if (n > 1 && r->fields[n - 1].len == 0 && !ps.last_quoted) {
        n--; /* "a;b;c;": a separator at the end of the line */
    }
    for (size_t i = 0; i < n; i++) {
        total += r->fields[i].len;
    }
    r->hdr = malloc(n * sizeof(*r->hdr));
    r->hdr_buf = malloc(total + 1);
    if (!r->hdr || !r->hdr_buf) {
        free(r->hdr);
        free(r->hdr_buf);
        r->hdr = NULL;
        r->hdr_buf = NULL;
        r->fatal = ACDL_ENOMEM;
        return ACDL_ENOMEM;
    }
    total = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(r->hdr_buf + total, r->fields[i].ptr, r->fields[i].len);
        r->hdr[i].ptr = r->hdr_buf + total;
        r->hdr[i].len = r->fields[i].len;
        total += r->fields[i].len;
    }
    r->nhdr = n;
    return ACDL_OK;
}

const struct csv_field *csv_header(const struct csv_reader *r, size_t *n)
{
    *n = r->hdr ? r->nhdr : 0;
    return r->hdr;
}

/* --- records --- */

int csv_next(struct csv_reader *r, struct csv_record *rec, struct csv_error *err)
{
    struct pstate ps;
    uint64_t line = 0, off = 0;
    size_t n;
    int rc;
    if (!r->header_done) {
        rc = csv_header_read(r, err);
        if (rc == ACDL_ENOTFOUND) {
            return CSV_END;
        }
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    rc = read_record(r, err, r->nrec + 1, &ps, &line, &off);
    if (rc == CSV_END || (rc < 0 && !csv_error_recoverable(rc))) {
        return rc;
    }
    r->nrec++;
    if (rc != CSV_RECORD) {
        return rc;
    }
    n = r->nfields;
    if (r->hdr) {
        if (n == r->nhdr + 1 && r->fields[n - 1].len == 0 && !ps.last_quoted) {
            n--; /* a separator at the end of the line */
        }
        if (n != r->nhdr && !r->o.allow_ragged) {
            char why[CSV_REASON_MAX];
            uint64_t el, ec;
            /* the reader has moved on, but the record is still in the window */
            locate(r, (size_t)(off - r->base), line, n < r->nhdr ? ps.content_end : ps.mark_off,
                   &el, &ec, NULL);
            snprintf(why, sizeof(why), "%zu field%s, the header has %zu", n, n == 1 ? "" : "s",
                     r->nhdr);
            error_set(r, err, r->nrec, el, ec, why);
            error_code(err, "csv.field_count", n, r->nhdr, NULL);
            return ACDL_EINVAL;
        }
    }
    rec->fields = r->fields;
    rec->nfields = n;
    rec->number = r->nrec;
    rec->line = line;
    rec->offset = off;
    return CSV_RECORD;
}

size_t csv_memory(const struct csv_reader *r)
{
    size_t hdr = 0;
    for (size_t i = 0; r->hdr && i < r->nhdr; i++) {
        hdr += sizeof(*r->hdr) + r->hdr[i].len;
    }
    return sizeof(*r) + r->own_cap + r->out_cap + r->fields_cap * sizeof(*r->fields) + hdr;
}

const struct csv_field *csv_record_field(const struct csv_record *rec, size_t index)
{
    return index < rec->nfields ? &rec->fields[index] : NULL;
}

/* --- column lookup --- */

static void trim(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) {
        (*n)--;
    }
}

/* Equal after simple case folding; both are UTF-8 (invalid sequences compare as bytes). */
static int name_eq(const char *a, size_t an, const char *b, size_t bn)
{
    int32_t i = 0, j = 0;
    if (an > INT32_MAX || bn > INT32_MAX) {
        return 0;
    }
    while (i < (int32_t)an && j < (int32_t)bn) {
        UChar32 ca, cb;
        int32_t i0 = i, j0 = j;
        U8_NEXT((const uint8_t *)a, i, (int32_t)an, ca);
        U8_NEXT((const uint8_t *)b, j, (int32_t)bn, cb);
        if (ca < 0 || cb < 0) {
            if (ca != cb || i - i0 != j - j0 || memcmp(a + i0, b + j0, (size_t)(i - i0)) != 0) {
                return 0;
            }
            continue;
        }
        if (ca != cb &&
            u_foldCase(ca, U_FOLD_CASE_DEFAULT) != u_foldCase(cb, U_FOLD_CASE_DEFAULT)) {
            return 0;
        }
    }
    return i == (int32_t)an && j == (int32_t)bn;
}

int csv_column_by_name(const struct csv_reader *r, const char *name)
{
    const char *want = name;
    size_t wn = strlen(name);
    int found = ACDL_ENOTFOUND;
    trim(&want, &wn);
    if (!r->hdr || wn == 0) {
        return ACDL_ENOTFOUND;
    }
    for (size_t i = 0; i < r->nhdr && i < (size_t)INT32_MAX; i++) {
        const char *h = r->hdr[i].ptr;
        size_t hn = r->hdr[i].len;
        trim(&h, &hn);
        if (name_eq(h, hn, want, wn)) {
            if (found >= 0) {
                return ACDL_ECONFLICT;
            }
            found = (int)i;
        }
    }
    return found;
}

int csv_column_by_number(const struct csv_reader *r, unsigned long n)
{
    if (n < 1 || n > (unsigned long)INT32_MAX || (r->hdr && n > r->nhdr) || n > r->o.max_fields) {
        return ACDL_ENOTFOUND;
    }
    return (int)(n - 1);
}

int csv_column_find(const struct csv_reader *r, const char *spec)
{
    const char *s = spec;
    size_t n = strlen(spec);
    unsigned long v = 0;
    trim(&s, &n);
    if (n == 0) {
        return ACDL_ENOTFOUND;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return csv_column_by_name(r, spec);
        }
        if (v > 100000000UL) {
            return ACDL_ENOTFOUND;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    return csv_column_by_number(r, v);
}
