/* test_csv.c: unit tests of the CSV reader (adapters/csv/csv.c).
 *
 * Most tests render everything a reader returns into one text ("LINE: f1|f2|f3" per record,
 * "!LINE:COL reason" per bad record) and compare it with the expected text. render() reads
 * each input from memory and again through the stream interface in many block and chunk
 * sizes (down to one byte, so every record straddles a block boundary somewhere) and checks
 * that all of them agree. Fixture files live in tests/fixtures/csv/ (see make-fixtures.py). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/csv/csv.h"
#include "check.h"
#include "core/err.h"

/* --- a small string builder --- */

struct sb {
    char *s;
    size_t n, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 64) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            abort();
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) {
        sb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
    }
}

/* --- rendering a reader's output --- */

/* Renders all records and errors; CR and LF inside fields as \r and \n. *maxmem gets the
 * most memory the reader held (may be NULL). Returns a new string (free()). */
static char *render_reader(struct csv_reader *r, size_t *maxmem)
{
    struct sb b = {0};
    struct csv_record rec;
    struct csv_error err;
    int rc;
    sb_puts(&b, "");
    while ((rc = csv_next(r, &rec, &err)) != CSV_END) {
        if (maxmem && csv_memory(r) > *maxmem) {
            *maxmem = csv_memory(r);
        }
        if (rc == CSV_RECORD) {
            sb_printf(&b, "%llu:", (unsigned long long)rec.line);
            for (size_t i = 0; i < rec.nfields; i++) {
                if (i) {
                    sb_puts(&b, "|");
                }
                for (size_t k = 0; k < rec.fields[i].len; k++) {
                    char c = rec.fields[i].ptr[k];
                    if (c == '\r') {
                        sb_puts(&b, "\\r");
                    } else if (c == '\n') {
                        sb_puts(&b, "\\n");
                    } else {
                        sb_putn(&b, &c, 1);
                    }
                }
            }
            sb_puts(&b, "\n");
        } else if (csv_error_recoverable(rc)) {
            sb_printf(&b, "!%llu:%llu %s\n", (unsigned long long)err.line,
                      (unsigned long long)err.column, err.reason);
        } else {
            sb_printf(&b, "FATAL %d\n", rc);
            break;
        }
    }
    return b.s;
}

struct chunker {
    const char *data;
    size_t len, off;
    size_t chunk; /* bytes per call at most; 0: random */
    uint32_t rng;
    int fail_at; /* fail when off reaches this (-1: never) */
};

static int chunk_read(void *ctx, char *buf, size_t cap, size_t *got)
{
    struct chunker *c = ctx;
    size_t n = c->len - c->off;
    if (c->fail_at >= 0 && c->off >= (size_t)c->fail_at) {
        return ACDL_EIO;
    }
    if (n > cap) {
        n = cap;
    }
    if (c->chunk && n > c->chunk) {
        n = c->chunk;
    } else if (!c->chunk && n > 0) {
        c->rng = c->rng * 1103515245u + 12345u;
        n = 1 + (c->rng >> 16) % n;
    }
    memcpy(buf, c->data + c->off, n);
    c->off += n;
    *got = n;
    return ACDL_OK;
}

/* Renders data read from memory, and checks that streaming it in pieces of many sizes gives
 * the same. Returns a new string (free()). */
static char *render_opts(const char *data, size_t len, const struct csv_options *o)
{
    static const size_t blocks[] = {1, 2, 3, 5, 7, 13, 64, 4096};
    struct csv_reader *r = NULL;
    char *want;
    if (!CHECK_EQ_INT(csv_open_mem(&r, data, len, o), 0)) {
        return strdup("(open failed)");
    }
    want = render_reader(r, NULL);
    csv_close(r);
    for (size_t k = 0; k < sizeof(blocks) / sizeof(blocks[0]) + 3; k++) {
        struct csv_options so = *o;
        struct chunker c = {data, len, 0, 0, (uint32_t)k * 7919u, -1};
        if (k < sizeof(blocks) / sizeof(blocks[0])) {
            so.block_size = blocks[k];
        } else {
            so.block_size = 1 + k * 5; /* with random chunks below the block size */
        }
        if (!CHECK_EQ_INT(csv_open_stream(&r, chunk_read, &c, &so), 0)) {
            continue;
        }
        char *got = render_reader(r, NULL);
        if (strcmp(got, want) != 0) {
            fprintf(stdout, "block %zu differs:\n%s--- from memory:\n%s", so.block_size, got, want);
            CHECK(0);
        }
        free(got);
        csv_close(r);
    }
    return want;
}

static char *render(const char *text, char sep, int header)
{
    struct csv_options o;
    csv_options_init(&o);
    o.separator = sep;
    o.header = header;
    return render_opts(text, strlen(text), &o);
}

#define CHECK_RENDER(got_expr, want)                                                               \
    do {                                                                                           \
        char *got_ = (got_expr);                                                                   \
        CHECK_EQ_STR(got_, want);                                                                  \
        free(got_);                                                                                \
    } while (0)

/* Path of a fixture file, from this source file's location. */
static void fixture(const char *name, char *out, size_t outsz)
{
    const char *env = getenv("ACDL_FIXTURES");
    if (env && *env) {
        snprintf(out, outsz, "%s/csv/%s", env, name);
        return;
    }
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(out, outsz, "%.*s/../fixtures/csv/%s", dirlen, slash ? __FILE__ : ".", name);
}

static char *render_file(const char *name, const struct csv_options *o)
{
    char path[4096];
    struct csv_reader *r = NULL;
    fixture(name, path, sizeof(path));
    int rc = csv_open_file(&r, path, o);
    if (!CHECK_EQ_INT(rc, 0)) {
        fprintf(stdout, "fixture %s\n", path);
        return strdup("(open failed)");
    }
    char *s = render_reader(r, NULL);
    csv_close(r);
    /* the same bytes from memory and in pieces must give the same */
    size_t len = 0;
    char *data = check_read_file(path, &len);
    if (CHECK(data != NULL)) {
        struct csv_options mo = *o;
        mo.name = NULL;
        char *m = render_opts(data, len, &mo);
        CHECK_EQ_STR(m, s);
        free(m);
    }
    free(data);
    return s;
}

/* --- RFC 4180 and exporter quirks --- */

static void test_basic(void)
{
    CHECK_RENDER(render("a,b,c\n1,2,3\n", ',', 0), "1:a|b|c\n2:1|2|3\n");
    /* last line without a line end; empty fields */
    CHECK_RENDER(render("a,,c\n,,\nx", ',', 0), "1:a||c\n2:||\n3:x\n");
    /* empty input, only blank lines, a lone separator */
    CHECK_RENDER(render("", ',', 0), "");
    CHECK_RENDER(render("\n\r\n\r\n", ',', 0), "");
    CHECK_RENDER(render(",", ',', 0), "1:|\n");
}

static void test_quoted(void)
{
    CHECK_RENDER(render("\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\",\"\"\nnext,\"\"\"\"\n", ',', 0),
                 "1:x,y|say \"hi\"|l1\\nl2|\n3:next|\"\n");
    /* CRLF inside a quoted field counts as one line */
    CHECK_RENDER(render("\"a\r\nb\r\nc\",d\r\ne,f\r\n", ',', 0), "1:a\\r\\nb\\r\\nc|d\n4:e|f\n");
    /* a quote inside an unquoted field is kept; blanks before a quote make it literal */
    CHECK_RENDER(render("ab\"c,d\"\n 12\" screen, \"x\" \n", ',', 0),
                 "1:ab\"c|d\"\n2: 12\" screen| \"x\" \n");
    /* blanks after the closing quote are fine, text is not */
    CHECK_RENDER(render("\"a\"  ,\"b\"\t\n\"c\"d,e\nok,1\n", ',', 0),
                 "1:a|b\n!2:4 unexpected 'd' after the closing quote\n3:ok|1\n");
    /* a quoted field at the end of the input without a line end */
    CHECK_RENDER(render("a,\"b\"", ',', 0), "1:a|b\n");
    /* no quote character: quotes are data */
    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.quote = CSV_QUOTE_NONE;
    const char *t = "\"a;b\";\"\"\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "1:\"a|b\"|\"\"\n");
    /* another quote character */
    o.quote = '\'';
    t = "'a;b';'it''s'\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "1:a;b|it's\n");
}

static void test_separators(void)
{
    CHECK_RENDER(render("a;b;\"c;d\"\n", ';', 0), "1:a|b|c;d\n");
    CHECK_RENDER(render("a\tb\t\"c\td\"\n", '\t', 0), "1:a|b|c\td\n");
    CHECK_RENDER(render("a|b|\"c|d\"\n", '|', 0), "1:a|b|c|d\n");
    /* a blank as separator: blank lines are then empty lines only */
    CHECK_RENDER(render("a b  c\n \n", ' ', 0), "1:a|b||c\n2:|\n");
    /* tabs are blanks for blank-line detection unless they separate */
    CHECK_RENDER(render("a;b\n \t \nc;d\n", ';', 0), "1:a|b\n3:c|d\n");
    CHECK_RENDER(render("a\tb\n\t\n", '\t', 0), "1:a|b\n2:|\n");
}

static void test_line_ends(void)
{
    /* CRLF, LF, CR, mixed; blank lines in each style */
    CHECK_RENDER(render("a,b\r\n1,2\n3,4\r\r\n5,6\r7,8\n\n\r\n\r9,10", ',', 0),
                 "1:a|b\n2:1|2\n3:3|4\n5:5|6\n6:7|8\n10:9|10\n");
    struct csv_options o;
    csv_options_init(&o);
    CHECK_RENDER(render_file("mixed-eol.csv", &o),
                 "1:a|b\n2:1|2\n3:3|4\n5:5|6\n6:7|8\\r\\n9\n8:10|11\n");
}

static void test_blank_lines(void)
{
    CHECK_RENDER(render("\n\na;b\n\n   \n\t\nc;d\n\n", ';', 0), "3:a|b\n7:c|d\n");
    /* with a header: blank lines before it are skipped too */
    CHECK_RENDER(render("\n\nh1;h2\n\n1;2\n", ';', 1), "5:1|2\n");
}

static void test_trailing_separator(void)
{
    /* with a header, one empty field at the end is the exporter's trailing separator */
    CHECK_RENDER(render("a;b;c\n1;2;3;\n4;5;6\n", ';', 1), "2:1|2|3\n3:4|5|6\n");
    CHECK_RENDER(render("a;b;c;\n1;2;3;\n4;5;6\n", ';', 1), "2:1|2|3\n3:4|5|6\n");
    /* a quoted empty last field is data, so that is one field too many */
    CHECK_RENDER(render("a;b\n1;2;\"\"\n", ';', 1), "!2:5 3 fields, the header has 2\n");
    /* without a header, the empty field stays */
    CHECK_RENDER(render("1;2;\n", ';', 0), "1:1|2|\n");
}

static void test_ragged(void)
{
    CHECK_RENDER(render("a;b;c\n1;2\n1;2;3;4;5\n1;2;3\n", ';', 1),
                 "!2:4 2 fields, the header has 3\n!3:7 5 fields, the header has 3\n"
                 "4:1|2|3\n");
    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    o.allow_ragged = 1;
    const char *t = "a;b;c\n1;2\n1;2;3;4;5\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "2:1|2\n3:1|2|3|4|5\n");
    /* the position of a short record is its line end, in characters */
    o.allow_ragged = 0;
    t = "a;b;c\n\"ä\nö\";ü\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "!3:5 2 fields, the header has 3\n");
}

/* --- bad records --- */

static void test_nul(void)
{
    const char t[] = "a,b\nc\0d,e\n\"f\0\",g\nh,i\n";
    struct csv_options o;
    csv_options_init(&o);
    CHECK_RENDER(render_opts(t, sizeof(t) - 1, &o), "1:a|b\n!2:2 NUL byte\n!3:3 NUL byte\n4:h|i\n");
}

static void test_unterminated(void)
{
    /* at the end of the input */
    CHECK_RENDER(render("a,b\n1,\"open\n", ',', 0), "1:a|b\n!2:3 unterminated quoted field\n");
    /* in the middle: the reader resynchronises after the line of the opening quote */
    CHECK_RENDER(render("a;b;c\n1;\"oops;3\n4;5;6\n7;8;9", ';', 1),
                 "!2:3 unterminated quoted field\n3:4|5|6\n4:7|8|9\n");
    /* the opening quote on the second line of a record */
    CHECK_RENDER(render("1;\"ok\nstill\";\"open\n2;3\n", ';', 0),
                 "!2:8 unterminated quoted field\n3:2|3\n");
}

static void test_too_big(void)
{
    struct csv_options o;
    csv_options_init(&o);
    o.max_record = 10;
    /* exactly 10 bytes are fine, 11 are not; the next line is read again */
    const char *t = "0123456789\n0123456789A\nshort,1\n\"quoted\nfield is long\",x\nend\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o),
                 "1:0123456789\n!2:1 record longer than 10 bytes\n3:short|1\n"
                 "!4:1 record longer than 10 bytes\n!5:1 record longer than 10 bytes\n6:end\n");
    /* the default limit (1 MiB): a 3 MiB line between good ones, from a file in blocks */
    size_t big = 3 * 1024 * 1024;
    char *data = malloc(big + 64);
    if (!CHECK(data != NULL)) {
        return;
    }
    size_t n = 0;
    memcpy(data, "a,b\n", 4);
    n = 4;
    memset(data + n, 'x', big);
    n += big;
    memcpy(data + n, "\nc,d\n", 5);
    n += 5;
    char dir[512], path[600];
    if (CHECK_EQ_INT(check_tmpdir("csv", dir, sizeof(dir)), 0)) {
        snprintf(path, sizeof(path), "%s/big.csv", dir);
        CHECK_EQ_INT(check_write_file(path, data, n), 0);
        struct csv_reader *r = NULL;
        csv_options_init(&o);
        if (CHECK_EQ_INT(csv_open_file(&r, path, &o), 0)) {
            size_t mem = 0;
            char *s = render_reader(r, &mem);
            CHECK_EQ_STR(s, "1:a|b\n!2:1 record longer than 1048576 bytes\n3:c|d\n");
            CHECK(mem < 2 * 1024 * 1024);
            free(s);
            csv_close(r);
        }
        check_tmpdir_done(dir);
    }
    free(data);
}

/* Tiny blocks and a long record: reading stays linear (the partial record is parsed again
 * only each time it has doubled). */
static void test_small_blocks_long_record(void)
{
    const size_t flen = 600 * 1024;
    size_t n = 0;
    char *data = malloc(flen + 64);
    if (!CHECK(data != NULL)) {
        return;
    }
    memcpy(data, "a,\"", 3);
    n = 3;
    memset(data + n, 'x', flen);
    n += flen;
    memcpy(data + n, "\",b\nc,d\n", 8);
    n += 8;
    struct chunker c = {data, n, 0, 1, 0, -1};
    struct csv_options o;
    struct csv_reader *r = NULL;
    csv_options_init(&o);
    o.block_size = 1;
    if (CHECK_EQ_INT(csv_open_stream(&r, chunk_read, &c, &o), 0)) {
        struct csv_record rec;
        if (CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD) && CHECK_EQ_INT(rec.nfields, 3)) {
            CHECK_EQ_INT(rec.fields[1].len, flen);
        }
        CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD);
        CHECK_EQ_INT(rec.line, 2);
        CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_END);
        CHECK(csv_memory(r) < 2 * 1024 * 1024);
        csv_close(r);
    }
    free(data);
}

static void test_max_fields(void)
{
    struct csv_options o;
    csv_options_init(&o);
    o.max_fields = 3;
    const char *t = "a,b,c\na,b,c,d,e\n1,2,3\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "1:a|b|c\n!2:7 more than 3 fields\n3:1|2|3\n");
}

static void test_utf8_validation(void)
{
    struct {
        const char *in;
        int ok;
    } cases[] = {
        {"\xc3\xa4", 1},
        {"\xe2\x82\xac", 1},
        {"\xf0\x9f\x98\x80", 1},
        {"\xc0\x80", 0},
        {"\xc1\xbf", 0},
        {"\xe0\x80\xaf", 0},
        {"\xed\xa0\x80", 0},
        {"\xf4\x90\x80\x80", 0},
        {"\xf5\x80\x80\x80", 0},
        {"\x80", 0},
        {"\xc3", 0},
        {"\xe2\x82", 0},
        {"\xef\xbf\xbf", 1},
        {"\xf4\x8f\xbf\xbf", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[32];
        snprintf(in, sizeof(in), "x%s\n", cases[i].in);
        char *s = render(in, ',', 0);
        if (cases[i].ok) {
            char want[32];
            snprintf(want, sizeof(want), "1:x%s\n", cases[i].in);
            CHECK_EQ_STR(s, want);
        } else {
            CHECK_CONTAINS(s, "!1:2 invalid UTF-8");
        }
        free(s);
    }
    CHECK_RENDER(render("äö,\xe9x\nok\n", ',', 0),
                 "!1:4 invalid UTF-8 (byte 0xE9; is the file Windows-1252?)\n2:ok\n");
    /* a sequence cut off by the end of the input */
    CHECK_RENDER(render("ab\xe2\x82", ',', 0),
                 "!1:3 invalid UTF-8 (byte 0xE2; is the file Windows-1252?)\n");
}

static void test_dirty_file(void)
{
    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    o.name = "orders.csv";
    CHECK_RENDER(render_file("dirty.csv", &o),
                 "2:SUPPORT|15.03.2026|08:00|12\n"
                 "!3:23 3 fields, the header has 4\n"
                 "!4:28 5 fields, the header has 4\n"
                 "5:BILLING|15.03.2026|08:45|5\n"
                 "!6:2 NUL byte\n"
                 "!7:23 invalid UTF-8 (byte 0xE9; is the file Windows-1252?)\n"
                 "!8:6 unexpected 'P' after the closing quote\n"
                 "10:HELP|15.03.2026|09:45|3\n"
                 "!11:1 unterminated quoted field\n"
                 "12:LAST|15.03.2026|10:15|5\n");
    /* the messages name the file, and the record numbers count bad records too */
    char path[4096];
    struct csv_reader *r = NULL;
    fixture("dirty.csv", path, sizeof(path));
    if (!CHECK_EQ_INT(csv_open_file(&r, path, &o), 0)) {
        return;
    }
    struct csv_record rec;
    struct csv_error err;
    CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_RECORD);
    CHECK_EQ_INT(rec.number, 1);
    CHECK_EQ_INT(rec.offset, 24);
    CHECK_EQ_INT(csv_next(r, &rec, &err), ACDL_EINVAL);
    CHECK_EQ_INT(err.record, 2);
    CHECK_EQ_STR(err.message, "orders.csv:3:23: 3 fields, the header has 4");
    for (int i = 0; i < 6; i++) {
        csv_next(r, &rec, &err);
    }
    CHECK_EQ_INT(csv_next(r, &rec, &err), ACDL_EINVAL);
    CHECK_EQ_STR(err.message, "orders.csv:11:1: unterminated quoted field");
    CHECK_EQ_INT(err.record, 9);
    CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_RECORD);
    CHECK_EQ_INT(rec.number, 10);
    CHECK_EQ_INT(rec.line, 12);
    CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_END);
    CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_END);
    csv_close(r);
}

/* --- encodings --- */

static void test_encodings(void)
{
    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    o.encoding = CSV_ENC_CP1252;
    CHECK_RENDER(render_file("cp1252.csv", &o), "2:Café|15.03.2026|08:00|12|Preis 5 €\n"
                                                "3:Müller|15.03.2026|08:15|7|“quoted” text\n"
                                                "4:Straße|15.03.2026|08:30|3|it’s fine\n");
    csv_options_init(&o);
    o.header = 1;
    o.encoding = CSV_ENC_LATIN1;
    CHECK_RENDER(render_file("latin1.csv", &o), "2:Génération|2026-03-15|08:00|5\n"
                                                "3:Zürich|2026-03-15|08:15|6\n"
                                                "4:Ålesund, ±|2026-03-15|08:30|7\n");
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    CHECK_RENDER(render_file("utf8-bom-crlf.csv", &o), "2:Köln|2026-03-15|08:00|4\n"
                                                       "3:Zürich; Nord|2026-03-15|08:15|5\n"
                                                       "4:€uro|2026-03-15|08:30|6\n");
    /* the BOM is not part of the first header name */
    char path[4096];
    struct csv_reader *r = NULL;
    fixture("utf8-bom-crlf.csv", path, sizeof(path));
    if (CHECK_EQ_INT(csv_open_file(&r, path, &o), 0)) {
        CHECK_EQ_INT(csv_header_read(r, NULL), 0);
        CHECK_EQ_INT(csv_column_by_name(r, "queue"), 0);
        csv_close(r);
    }
    /* all bytes of both single-byte encodings, in quoted fields with doubled quotes too */
    char in[600];
    size_t n = 0;
    in[n++] = '"';
    for (int c = 0x80; c < 0x100; c++) {
        in[n++] = (char)c;
        if (c == 0xC0) {
            in[n++] = '"';
            in[n++] = '"';
        }
    }
    in[n++] = '"';
    in[n++] = '\n';
    for (int enc = CSV_ENC_CP1252; enc <= CSV_ENC_LATIN1; enc++) {
        csv_options_init(&o);
        o.encoding = (enum csv_encoding)enc;
        if (CHECK_EQ_INT(csv_open_mem(&r, in, n, &o), 0)) {
            struct csv_record rec;
            if (CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD)) {
                const unsigned char *p = (const unsigned char *)rec.fields[0].ptr;
                size_t len = rec.fields[0].len;
                /* Latin-1: 128 two-byte characters and one '"' */
                if (enc == CSV_ENC_LATIN1) {
                    CHECK_EQ_INT(len, 128 * 2 + 1);
                    CHECK(p[0] == 0xC2 && p[1] == 0x80);
                } else {
                    /* € first: E2 82 AC; 0x81 maps to U+0081 */
                    CHECK(p[0] == 0xE2 && p[1] == 0x82 && p[2] == 0xAC);
                    CHECK(p[3] == 0xC2 && p[4] == 0x81);
                }
                CHECK(memchr(p, '"', len) != NULL);
                CHECK(p[len - 2] == 0xC3 && p[len - 1] == 0xBF); /* ÿ */
            }
            csv_close(r);
        }
    }
    /* a BOM is data in single-byte encodings; only the first bytes of the input are a BOM */
    csv_options_init(&o);
    o.encoding = CSV_ENC_LATIN1;
    const char *t = "\xef\xbb\xbfx\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "1:ï»¿x\n");
    CHECK_RENDER(render("\xef\xbb\xbf", ',', 0), "");
    CHECK_RENDER(render("x\n\xef\xbb\xbfy\n", ',', 0), "1:x\n2:\xef\xbb\xbfy\n");
    /* columns count characters of the original encoding: one per byte */
    o.encoding = CSV_ENC_CP1252;
    t = "\xe9\xe9\xe9,\"x\"y\n";
    CHECK_RENDER(render_opts(t, strlen(t), &o), "!1:8 unexpected 'y' after the closing quote\n");
}

/* --- skipping, header, columns --- */

static void test_header_and_columns(void)
{
    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    o.skip_lines = 2;
    const char *t = "Report \"daily\n;;garbage\" 2026\n Queue ; Date;Ärger;Offered;Date;\n"
                    "S;15.03.2026;1;2;x\n";
    struct csv_reader *r = NULL;
    if (!CHECK_EQ_INT(csv_open_mem(&r, t, strlen(t), &o), 0)) {
        return;
    }
    size_t n = 99;
    CHECK(csv_header(r, &n) == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(csv_header_read(r, NULL), 0);
    CHECK_EQ_INT(csv_header_read(r, NULL), 0); /* twice is fine */
    const struct csv_field *h = csv_header(r, &n);
    CHECK_EQ_INT(n, 5);
    if (h && n == 5) {
        CHECK_EQ_INT(h[0].len, 7); /* " Queue ": kept as it is, trimmed only when compared */
    }
    CHECK_EQ_INT(csv_column_by_name(r, "queue"), 0);
    CHECK_EQ_INT(csv_column_by_name(r, "  QUEUE\t"), 0);
    CHECK_EQ_INT(csv_column_by_name(r, "ärger"), 2);
    CHECK_EQ_INT(csv_column_by_name(r, "ÄRGER"), 2);
    CHECK_EQ_INT(csv_column_by_name(r, "offered"), 3);
    CHECK_EQ_INT(csv_column_by_name(r, "date"), ACDL_ECONFLICT);
    CHECK_EQ_INT(csv_column_by_name(r, "Queues"), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_by_name(r, ""), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_by_name(r, "Que"), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_by_number(r, 1), 0);
    CHECK_EQ_INT(csv_column_by_number(r, 5), 4);
    CHECK_EQ_INT(csv_column_by_number(r, 6), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_by_number(r, 0), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_find(r, "3"), 2);
    CHECK_EQ_INT(csv_column_find(r, " offered "), 3);
    CHECK_EQ_INT(csv_column_find(r, "99"), ACDL_ENOTFOUND);
    CHECK_EQ_INT(csv_column_find(r, "99999999999999999999"), ACDL_ENOTFOUND);
    struct csv_record rec;
    if (CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD)) {
        CHECK_EQ_INT(rec.line, 4);
        CHECK_EQ_INT(rec.number, 1);
        CHECK_EQ_INT(rec.nfields, 5);
        CHECK(csv_record_field(&rec, 4) != NULL);
        CHECK(csv_record_field(&rec, 5) == NULL);
    }
    CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_END);
    csv_close(r);

    /* without a header: numbers are not checked against one, names are not found */
    csv_options_init(&o);
    if (CHECK_EQ_INT(csv_open_mem(&r, "a,b\n", 4, &o), 0)) {
        CHECK_EQ_INT(csv_header_read(r, NULL), 0);
        CHECK_EQ_INT(csv_column_by_number(r, 7), 6);
        CHECK_EQ_INT(csv_column_by_name(r, "a"), ACDL_ENOTFOUND);
        csv_close(r);
    }
    /* an input without a header line */
    o.header = 1;
    struct csv_error err;
    if (CHECK_EQ_INT(csv_open_mem(&r, "\n\n", 2, &o), 0)) {
        CHECK_EQ_INT(csv_header_read(r, &err), ACDL_ENOTFOUND);
        CHECK_EQ_STR(err.reason, "no header line");
        CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_END);
        csv_close(r);
    }
    /* skipping more lines than there are */
    o.skip_lines = 5;
    CHECK_RENDER(render_opts("a\nb\n", 4, &o), "");
    /* skipped lines may hold anything, also NUL bytes and bad UTF-8; CRLF is one line */
    o.header = 0;
    o.skip_lines = 2;
    const char s2[] = "\"\0\xff\r\nx\ry\nz\n";
    CHECK_RENDER(render_opts(s2, sizeof(s2) - 1, &o), "3:y\n4:z\n");
    /* a bad header is reported as record 0, then the data follow without header checks */
    o.skip_lines = 0;
    o.header = 1;
    const char s3[] = "a,\"b\"c\n1,2,3\n";
    if (CHECK_EQ_INT(csv_open_mem(&r, s3, sizeof(s3) - 1, &o), 0)) {
        CHECK_EQ_INT(csv_next(r, &rec, &err), ACDL_EINVAL);
        CHECK_EQ_INT(err.record, 0);
        CHECK_EQ_STR(err.message, "(memory):1:6: unexpected 'c' after the closing quote");
        CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_RECORD);
        CHECK_EQ_INT(rec.nfields, 3);
        CHECK_EQ_INT(rec.number, 1);
        CHECK(csv_header(r, &n) == NULL);
        csv_close(r);
    }
}

/* --- opening, options, failures --- */

static void test_open_errors(void)
{
    struct csv_reader *r = (struct csv_reader *)1;
    struct csv_options o;
    csv_options_init(&o);
    CHECK_EQ_INT(csv_open_file(&r, "/nonexistent/acdl.csv", &o), ACDL_ENOTFOUND);
    CHECK(r == NULL);
    CHECK_EQ_INT(csv_open_file(&r, "/", &o), 0); /* a folder opens but cannot be read ... */
    if (r) {
        struct csv_record rec;
        int rc = csv_next(r, &rec, NULL); /* ... on Linux fread fails with EISDIR */
        CHECK(rc == ACDL_EIO || rc == CSV_END);
        csv_close(r);
    }
    csv_close(NULL);
    o.separator = '\n';
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    o.separator = (char)0xA7;
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    o.separator = '"';
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    csv_options_init(&o);
    o.quote = 0;
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    csv_options_init(&o);
    o.max_record = 0;
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    csv_options_init(&o);
    o.max_fields = CSV_LIMIT_MAX_FIELDS + 1;
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    csv_options_init(&o);
    o.encoding = (enum csv_encoding)7;
    CHECK_EQ_INT(csv_open_mem(&r, "", 0, &o), ACDL_EINVAL);
    CHECK_EQ_INT(csv_open_stream(&r, NULL, NULL, NULL), ACDL_EINVAL);
    /* NULL options are the defaults */
    if (CHECK_EQ_INT(csv_open_mem(&r, "a,b", 3, NULL), 0)) {
        struct csv_record rec;
        CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD);
        CHECK_EQ_INT(rec.nfields, 2);
        csv_close(r);
    }
}

static void test_stream_failure(void)
{
    const char *t = "a,b\nc,d\ne,f\n";
    struct chunker c = {t, strlen(t), 0, 4, 0, 8};
    struct csv_options o;
    struct csv_reader *r = NULL;
    struct csv_record rec;
    csv_options_init(&o);
    if (!CHECK_EQ_INT(csv_open_stream(&r, chunk_read, &c, &o), 0)) {
        return;
    }
    CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD);
    CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD);
    CHECK_EQ_INT(csv_next(r, &rec, NULL), ACDL_EIO);
    CHECK(!csv_error_recoverable(ACDL_EIO));
    CHECK_EQ_INT(csv_next(r, &rec, NULL), ACDL_EIO); /* sticky */
    csv_close(r);
}

/* Fields stay valid until the next call, also when they were copied (unescaped). */
static void test_field_lifetime(void)
{
    const char *t = "\"a\"\"b\",plain,\"c\"\n";
    struct csv_reader *r = NULL;
    struct csv_record rec;
    if (!CHECK_EQ_INT(csv_open_mem(&r, t, strlen(t), NULL), 0)) {
        return;
    }
    if (CHECK_EQ_INT(csv_next(r, &rec, NULL), CSV_RECORD) && CHECK_EQ_INT(rec.nfields, 3)) {
        CHECK(rec.fields[0].len == 3 && memcmp(rec.fields[0].ptr, "a\"b", 3) == 0);
        /* zero-copy: an unquoted UTF-8 field points into the caller's memory */
        CHECK(rec.fields[1].ptr == t + 7);
        CHECK(rec.fields[2].ptr == t + 14);
    }
    csv_close(r);
}

/* --- large input in constant memory --- */

static void test_large_file(void)
{
    char dir[512], path[600];
    if (!CHECK_EQ_INT(check_tmpdir("csvbig", dir, sizeof(dir)), 0)) {
        return;
    }
    snprintf(path, sizeof(path), "%s/intervals.csv", dir);
    FILE *f = fopen(path, "wb");
    if (!CHECK(f != NULL)) {
        return;
    }
    /* ~40 MB of interval rows; every 1000th row has a quoted queue name with a separator */
    const long rows = 900000;
    unsigned long long sum = 0, bytes = 0;
    fputs("Queue;Date;Time;Offered;Handled;AHT\r\n", f);
    for (long i = 0; i < rows; i++) {
        char line[128];
        int n;
        if (i % 1000 == 0) {
            n = snprintf(line, sizeof(line), "\"Q;%ld\";15.03.2026;%02ld:%02ld;%ld;%ld;%ld\r\n",
                         i % 50, (i / 4) % 24, (i % 4) * 15, i % 97, i % 89, 120 + i % 300);
        } else {
            n = snprintf(line, sizeof(line), "SUPPORT_%ld;15.03.2026;%02ld:%02ld;%ld;%ld;%ld\r\n",
                         i % 50, (i / 4) % 24, (i % 4) * 15, i % 97, i % 89, 120 + i % 300);
        }
        fwrite(line, 1, (size_t)n, f);
        sum += (unsigned long long)(i % 97);
        bytes += (unsigned long long)n;
    }
    fclose(f);
    CHECK(bytes > 30000000ULL);

    struct csv_options o;
    csv_options_init(&o);
    o.separator = ';';
    o.header = 1;
    struct csv_reader *r = NULL;
    if (CHECK_EQ_INT(csv_open_file(&r, path, &o), 0)) {
        struct csv_record rec;
        struct csv_error err;
        long count = 0, quoted = 0;
        unsigned long long got_sum = 0;
        size_t maxmem = 0;
        int rc, col;
        CHECK_EQ_INT(csv_header_read(r, NULL), 0); /* columns are known once it is read */
        col = csv_column_find(r, "offered");
        CHECK_EQ_INT(col, 3);
        while ((rc = csv_next(r, &rec, &err)) == CSV_RECORD) {
            unsigned long long v = 0;
            const struct csv_field *fo = csv_record_field(&rec, (size_t)col);
            for (size_t k = 0; fo && k < fo->len; k++) {
                v = v * 10 + (unsigned long long)(fo->ptr[k] - '0');
            }
            got_sum += v;
            if (rec.fields[0].len >= 2 && rec.fields[0].ptr[0] == 'Q' &&
                rec.fields[0].ptr[1] == ';') {
                quoted++;
            }
            count++;
            if (csv_memory(r) > maxmem) {
                maxmem = csv_memory(r);
            }
        }
        CHECK_EQ_INT(rc, CSV_END);
        CHECK_EQ_INT(count, rows);
        CHECK_EQ_INT(quoted, rows / 1000);
        CHECK(got_sum == sum);
        CHECK_EQ_INT(rec.line, rows + 1);
        /* two blocks of window, the fields, nothing that grows with the file */
        CHECK(maxmem < 256 * 1024);
        if (maxmem >= 256 * 1024) {
            fprintf(stdout, "reader held %zu bytes\n", maxmem);
        }
        csv_close(r);
    }
    check_tmpdir_done(dir);
}

/* UTF-16 text of s (ASCII and the code points given as \uXXXX-free UTF-8 below) with a
 * byte-order mark; le selects the byte order. Returns the length written to out. */
static size_t to_utf16(const char *utf8, int le, unsigned char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)utf8;
    uint32_t units[2];
    out[n++] = le ? 0xFF : 0xFE;
    out[n++] = le ? 0xFE : 0xFF;
    while (*p && n + 4 <= cap) {
        uint32_t cp;
        int k = 1;
        if (*p < 0x80) {
            cp = *p++;
        } else if (*p < 0xE0) {
            cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else if (*p < 0xF0) {
            cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            p += 3;
        } else {
            cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                 ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
            p += 4;
        }
        if (cp >= 0x10000) {
            units[0] = 0xD800 + ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            k = 2;
        } else {
            units[0] = cp;
        }
        for (int i = 0; i < k; i++) {
            out[n++] = (unsigned char)(le ? units[i] & 0xFF : units[i] >> 8);
            out[n++] = (unsigned char)(le ? units[i] >> 8 : units[i] & 0xFF);
        }
    }
    return n;
}

static void test_utf16(void)
{
    const char *text = "queue;name\r\n101;Köln €\r\n102;\"a;\xF0\x9F\x98\x80\"\n";
    unsigned char buf[256];
    struct csv_options o;
    for (int le = 0; le <= 1; le++) {
        size_t n = to_utf16(text, le, buf, sizeof(buf));
        csv_options_init(&o);
        o.separator = ';';
        o.header = 1;
        o.encoding = le ? CSV_ENC_UTF16LE : CSV_ENC_UTF16BE;
        CHECK_RENDER(render_opts((const char *)buf, n, &o), "2:101|Köln €\n3:102|a;😀\n");
        /* read as UTF-8, the byte-order mark is named */
        o.encoding = CSV_ENC_UTF8;
        struct csv_reader *r = NULL;
        struct csv_record rec;
        struct csv_error err;
        o.name = "export.csv";
        if (CHECK_EQ_INT(csv_open_mem(&r, buf, n, &o), 0)) {
            int rc = csv_next(r, &rec, &err);
            CHECK(rc < 0 && !csv_error_recoverable(rc));
            CHECK_EQ_STR(err.message,
                         le ? "export.csv:1:1: the file is UTF-16 LE (it starts with the "
                              "byte-order mark FF FE): set the encoding to utf-16le, or export it "
                              "as UTF-8"
                            : "export.csv:1:1: the file is UTF-16 BE (it starts with the "
                              "byte-order mark FE FF): set the encoding to utf-16be, or export it "
                              "as UTF-8");
            csv_close(r);
        }
    }
    /* an unpaired surrogate and an odd last byte are errors of their records */
    static const unsigned char bad[] = {'a', 0, '\n', 0, 0x00, 0xD8, 'b', 0, '\n', 0, 'c', 0, 'd'};
    csv_options_init(&o);
    o.encoding = CSV_ENC_UTF16LE;
    CHECK_RENDER(render_opts((const char *)bad, sizeof(bad), &o),
                 "1:a\n!2:1 invalid UTF-16 (an unpaired surrogate or a cut-off character)\n"
                 "!3:2 invalid UTF-16 (an unpaired surrogate or a cut-off character)\n");
}

/* csv_last_open: only a last line without a line end */
static void test_last_open(void)
{
    static const struct {
        const char *in;
        int header, open_after[4];
    } cases[] = {
        {"a,b\n1,2\n3,4", 1, {0, 1, -1, -1}},   {"a,b\n1,2\n3,4\n", 1, {0, 0, -1, -1}},
        {"a,b\n1,2\n3,4\r", 1, {0, 0, -1, -1}}, {"a,b\n1,2\n3,\"4", 1, {0, 1, -1, -1}},
        {"1,2\n3", 0, {0, 1, -1, -1}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct csv_options o;
        struct csv_reader *r = NULL;
        struct csv_record rec;
        struct csv_error err;
        csv_options_init(&o);
        o.header = cases[i].header;
        o.block_size = 3;
        /* the reader keeps this context: it must live as long as the reader */
        struct chunker ch = {cases[i].in, strlen(cases[i].in), 0, 2, 1, -1};
        if (!CHECK_EQ_INT(csv_open_stream(&r, chunk_read, &ch, &o), 0)) {
            continue;
        }
        for (int k = 0; cases[i].open_after[k] >= 0; k++) {
            int rc = csv_next(r, &rec, &err);
            CHECK(rc == CSV_RECORD || csv_error_recoverable(rc));
            if (!CHECK_EQ_INT(csv_last_open(r), cases[i].open_after[k])) {
                fprintf(stdout, "case %zu record %d\n", i, k);
            }
        }
        CHECK_EQ_INT(csv_next(r, &rec, &err), CSV_END);
        csv_close(r);
    }
}

int main(void)
{
    RUN(test_basic);
    RUN(test_quoted);
    RUN(test_separators);
    RUN(test_line_ends);
    RUN(test_blank_lines);
    RUN(test_trailing_separator);
    RUN(test_ragged);
    RUN(test_nul);
    RUN(test_unterminated);
    RUN(test_too_big);
    RUN(test_small_blocks_long_record);
    RUN(test_max_fields);
    RUN(test_utf8_validation);
    RUN(test_dirty_file);
    RUN(test_encodings);
    RUN(test_header_and_columns);
    RUN(test_open_errors);
    RUN(test_stream_failure);
    RUN(test_field_lifetime);
    RUN(test_large_file);
    RUN(test_utf16);
    RUN(test_last_open);
    return check_summary();
}
