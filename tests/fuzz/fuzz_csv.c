/* fuzz_csv.c: the CSV reader on arbitrary bytes, with options from the first four input bytes
 * (separator, quote, encoding of all five, header, ragged rows, skipped lines, limits).
 *
 * The rest is read once from memory and once through the stream interface in pieces of
 * random sizes (seeded from the input), and both must give exactly the same records and
 * errors: the reader's results may not depend on how its input arrives. Every field must be
 * valid UTF-8 without NUL bytes, within the record limits; positions must make sense. */
#include "adapters/csv/csv.h"
#include "core/err.h"
#include "fuzz_util.h"

struct trace {
    unsigned char *s;
    size_t n, cap;
};

static void put(struct trace *t, const void *p, size_t n)
{
    if (t->n + n > t->cap) {
        size_t cap = (t->cap + n) * 2 + 256;
        unsigned char *ns = realloc(t->s, cap);
        FUZZ_ASSERT(ns != NULL);
        t->s = ns;
        t->cap = cap;
    }
    memcpy(t->s + t->n, p, n);
    t->n += n;
}

static void put_u64(struct trace *t, uint64_t v)
{
    put(t, &v, sizeof(v));
}

static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            if (c == 0) {
                return 0;
            }
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (k >= n - i) {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

struct pieces {
    const uint8_t *data;
    size_t len, off;
    uint32_t rng;
};

static int piece_read(void *ctx, char *buf, size_t cap, size_t *got)
{
    struct pieces *p = ctx;
    size_t n = p->len - p->off;
    if (n > cap) {
        n = cap;
    }
    if (n > 1) {
        p->rng = p->rng * 1664525u + 1013904223u;
        n = 1 + (p->rng >> 8) % n;
    }
    memcpy(buf, p->data + p->off, n);
    p->off += n;
    *got = n;
    return ACDL_OK;
}

static void run(struct csv_reader *r, const struct csv_options *o, struct trace *t)
{
    struct csv_record rec;
    struct csv_error err;
    uint64_t last_line = 0, number = 0;
    int rc;
    size_t hn = 0;
    while ((rc = csv_next(r, &rec, &err)) != CSV_END) {
        if (rc == CSV_RECORD) {
            FUZZ_ASSERT(rec.nfields >= 1 && rec.nfields <= o->max_fields);
            FUZZ_ASSERT(rec.line > last_line && rec.line > o->skip_lines);
            FUZZ_ASSERT(rec.number == ++number);
            last_line = rec.line;
            put(t, "R", 1);
            put_u64(t, rec.line);
            put_u64(t, rec.offset);
            put_u64(t, rec.nfields);
            for (size_t i = 0; i < rec.nfields; i++) {
                const struct csv_field *f = &rec.fields[i];
                FUZZ_ASSERT(f->len <= 3 * o->max_record);
                FUZZ_ASSERT(valid_utf8((const unsigned char *)f->ptr, f->len));
                put_u64(t, f->len);
                put(t, f->ptr, f->len);
            }
            FUZZ_ASSERT(csv_record_field(&rec, rec.nfields) == NULL);
            put(t, csv_last_open(r) ? "O" : "C", 1); /* an unterminated last line, or not */
        } else if (!csv_error_recoverable(rc)) {
            /* the reader is finished (a UTF-16 file read as another encoding): it says why,
             * and keeps answering the same */
            struct csv_error again;
            FUZZ_ASSERT(rc == ACDL_EIO || rc == ACDL_ENOMEM);
            FUZZ_ASSERT(err.reason[0] != '\0' && err.line >= 1 && err.column >= 1);
            FUZZ_ASSERT(csv_next(r, &rec, &again) == rc);
            put(t, "F", 1);
            put(t, err.reason, strlen(err.reason));
            break;
        } else {
            FUZZ_ASSERT(err.line >= 1 && err.column >= 1);
            FUZZ_ASSERT(err.record == 0 || err.record == number + 1);
            FUZZ_ASSERT(memchr(err.message, '\0', sizeof(err.message)) != NULL);
            FUZZ_ASSERT(err.reason[0] != '\0');
            if (err.record) {
                number++;
            }
            put(t, "E", 1);
            put_u64(t, err.line);
            put_u64(t, err.column);
            put(t, err.reason, strlen(err.reason));
        }
    }
    /* header lookups: each name finds its own column or reports a duplicate */
    const struct csv_field *h = csv_header(r, &hn);
    for (size_t i = 0; h && i < hn && i < 8; i++) {
        char name[64];
        size_t n = h[i].len < sizeof(name) - 1 ? h[i].len : sizeof(name) - 1;
        memcpy(name, h[i].ptr, n);
        name[n] = '\0';
        int c = csv_column_by_name(r, name);
        FUZZ_ASSERT(c == ACDL_ENOTFOUND || c == ACDL_ECONFLICT || (c >= 0 && (size_t)c < hn));
        c = csv_column_find(r, name);
        FUZZ_ASSERT(c == ACDL_ENOTFOUND || c == ACDL_ECONFLICT || (c >= 0 && (size_t)c < hn));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char seps[] = {',', ';', '\t', '|', ' ', ':', 'a', ','};
    static const int quotes[] = {'"', '"', '\'', CSV_QUOTE_NONE};
    static const size_t max_records[] = {1, 2, 3, 5, 8, 16, 40, CSV_DEFAULT_MAX_RECORD};
    static const size_t max_fields[] = {1, 2, 3, 4096};
    struct csv_options o;
    struct csv_reader *r = NULL;
    struct trace a = {0}, b = {0};
    if (size < 4 || size > 64 * 1024) {
        return 0;
    }
    csv_options_init(&o);
    o.separator = seps[data[0] & 7];
    o.quote = quotes[(data[0] >> 3) & 3];
    o.encoding = (enum csv_encoding)((data[0] >> 5) % 5); /* UTF-8, 1252, 8859-1, UTF-16 LE/BE */
    o.header = data[1] & 1;
    o.allow_ragged = (data[1] >> 1) & 1;
    o.skip_lines = (data[1] >> 2) & 3;
    o.max_record = max_records[(data[1] >> 4) & 7];
    o.max_fields = max_fields[data[2] & 3];
    o.block_size = 1 + (data[2] >> 2);
    uint32_t seed = data[3];
    data += 4;
    size -= 4;
    /* an exact-size copy, so that ASan sees reads past the end */
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);

    FUZZ_ASSERT(csv_open_mem(&r, copy, size, &o) == ACDL_OK);
    run(r, &o, &a);
    FUZZ_ASSERT(csv_memory(r) > 0);
    csv_close(r);

    struct pieces p = {copy, size, 0, seed};
    FUZZ_ASSERT(csv_open_stream(&r, piece_read, &p, &o) == ACDL_OK);
    run(r, &o, &b);
    csv_close(r);

    if (a.n != b.n || (a.n && memcmp(a.s, b.s, a.n) != 0)) {
        fprintf(stderr, "memory and stream readers differ (%zu vs %zu trace bytes)\n", a.n, b.n);
        abort();
    }
    free(a.s);
    free(b.s);
    free(copy);
    return 0;
}
