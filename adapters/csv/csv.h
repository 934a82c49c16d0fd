/* csv.h: a streaming CSV record reader (RFC 4180 plus the quirks of ACD exporters).
 *
 * One reader reads one input (a file, a block of memory, or a read callback) record by record
 * in constant memory: about max_record + block_size bytes of input are held, plus up to three
 * times a record's size for its transcoded fields. Output is always UTF-8.
 *
 *   struct csv_options o;
 *   csv_options_init(&o);
 *   o.separator = ';';
 *   o.header = 1;
 *   struct csv_reader *r = NULL;
 *   int rc = csv_open_file(&r, "orders.csv", &o);
 *   struct csv_record rec;
 *   struct csv_error err;
 *   while (rc == 0) {
 *       rc = csv_next(r, &rec, &err);
 *       if (rc == CSV_RECORD) {
 *           ... use rec.fields[0 .. rec.nfields) ...
 *       } else if (csv_error_recoverable(rc)) {
 *           ... report err.message, e.g. "orders.csv:17:23: unterminated quoted field" ...
 *       } else {
 *           break; (CSV_END, or an I/O error / out of memory: the reader is finished)
 *       }
 *       rc = 0;
 *   }
 *   csv_close(r);
 *
 * What is accepted: separators of any ASCII byte (',' ';' '\t' '|' ' ' ...); fields quoted with
 * the quote character (or no quoting at all) holding separators, doubled quotes and line
 * breaks; CRLF, LF and CR line ends, also mixed; a quote inside an unquoted field (kept as it
 * is); blanks after a closing quote; a separator at the end of every line (with a header, the
 * empty field it makes is dropped); blank lines (also lines of only spaces and tabs), which
 * are skipped; a last line without a line end (csv_last_open() tells when the record just read
 * was one); a UTF-8 byte-order mark (skipped). A file that starts with a UTF-16 byte-order mark
 * while another encoding was chosen is not read: csv_next() fails with a message saying so.
 *
 * What is an error of one record (the reader goes on with the next one): a NUL byte, invalid
 * UTF-8 in a UTF-8 input, text after a closing quote, an unterminated quoted field, more than
 * max_fields fields, a record longer than max_record bytes, and (with a header, unless
 * allow_ragged) a record whose number of fields differs from the header's. An unterminated
 * quote or an overlong record can swallow line ends, so after those two the reader
 * resynchronises at the start of the next physical line: after an unterminated quote, the line
 * after the one with the opening quote; after an overlong record, the line after the one the
 * record started on.
 *
 * Positions: lines are physical lines (CR, LF and CRLF each end one) counted from 1 including
 * skipped lines; columns count characters (not bytes) of the original line from 1, so they
 * match what an editor shows for the file in its own encoding. A byte-order mark is not
 * counted.
 *
 * Thread safety: a reader is used by one thread at a time; different readers are independent. */
#ifndef ACDL_ADAPTERS_CSV_H
#define ACDL_ADAPTERS_CSV_H
#include <stddef.h>
#include <stdint.h>

/* csv_next's results besides the negative ACDL_E* codes. */
#define CSV_END 0    /* no more records */
#define CSV_RECORD 1 /* a record was read */

/* No quote character: every byte is data, fields end only at separators and line ends. */
#define CSV_QUOTE_NONE (-1)

struct csv_reader;

#define CSV_DEFAULT_MAX_RECORD (1024 * 1024)
#define CSV_DEFAULT_MAX_FIELDS 4096
#define CSV_DEFAULT_BLOCK_SIZE (64 * 1024)
/* Upper bounds for the options (so that sizes computed from them cannot overflow). */
#define CSV_LIMIT_MAX_RECORD (256 * 1024 * 1024)
#define CSV_LIMIT_MAX_FIELDS (1024 * 1024)
#define CSV_LIMIT_BLOCK_SIZE (16 * 1024 * 1024)

enum csv_encoding {
    CSV_ENC_UTF8 = 0, /* validated; a leading byte-order mark is skipped */
    CSV_ENC_CP1252,   /* Windows-1252 (WHATWG table: 0x81 0x8D 0x8F 0x90 0x9D map to C1 controls) */
    CSV_ENC_LATIN1,   /* ISO-8859-1 */
    CSV_ENC_UTF16LE,  /* UTF-16 little-endian, decoded as it is read; a byte-order mark is
                       * skipped. Offsets (csv_record.offset) then count UTF-8 bytes. */
    CSV_ENC_UTF16BE,  /* UTF-16 big-endian, likewise */
};

struct csv_options {
    char separator;             /* default ','; any ASCII byte except NUL, CR, LF and the quote */
    int quote;                  /* default '"'; an ASCII byte or CSV_QUOTE_NONE */
    enum csv_encoding encoding; /* default CSV_ENC_UTF8 */
    unsigned long skip_lines;   /* physical lines skipped before the header or data (default 0) */
    int header;                 /* 1: the first record after the skipped lines names the columns */
    int allow_ragged;           /* 1: records may have a different number of fields than the
                                 * header (default 0: that is an error of the record) */
    size_t max_record;          /* bytes of one record without its line end (default 1 MiB) */
    size_t max_fields;          /* fields of one record (default 4096) */
    size_t block_size;          /* bytes read at once from a file or callback (default 64 KiB) */
    const char *name;           /* shown in error messages (copied; default: the path, or
                                 * "(memory)"); at most 200 bytes are kept */
};

/* Sets the defaults listed above. */
void csv_options_init(struct csv_options *o);

/* One field: UTF-8, not NUL-terminated, may contain any byte but NUL (quoted fields may hold
 * separators and line ends). Borrowed from the reader: valid until the next call of csv_next,
 * csv_header_read or csv_close on it. */
struct csv_field {
    const char *ptr;
    size_t len;
};

struct csv_record {
    const struct csv_field *fields; /* borrowed, see struct csv_field */
    size_t nfields;                 /* >= 1 */
    uint64_t number;                /* 1-based among the data records (bad ones count too) */
    uint64_t line;                  /* physical line the record starts on */
    uint64_t offset;                /* byte offset of the record's start in the input */
};

#define CSV_REASON_MAX 160
#define CSV_MESSAGE_MAX 400
struct csv_error {
    uint64_t record;               /* number of the bad record (0: the header) */
    uint64_t line;                 /* 1-based physical line of the problem */
    uint64_t column;               /* 1-based, in characters of that line */
    char reason[CSV_REASON_MAX];   /* e.g. "unterminated quoted field" */
    char message[CSV_MESSAGE_MAX]; /* "NAME:LINE:COLUMN: REASON", e.g.
                                    * "orders.csv:17:23: unterminated quoted field" */
    /* the reason as a message code (static, e.g. "csv.field_count") and its parameters: n and
     * m are counts or limits, detail a byte or a variant ("0x00", "'x'", "LE") */
    const char *code;
    uint64_t n, m;
    char detail[16];
};

/* A data source for csv_open_stream: reads up to cap (>= 1) bytes into buf and sets *got;
 * *got == 0 means the end of the input. Returns 0 or a negative ACDL_E* code. */
typedef int (*csv_read_fn)(void *ctx, char *buf, size_t cap, size_t *got);

/* Opens a reader on a file (read in blocks of o->block_size; o NULL: defaults). *out is new
 * (csv_close). Returns 0, ACDL_EINVAL (bad options), ACDL_ENOTFOUND (no such file), ACDL_EIO,
 * ACDL_ENOMEM. */
int csv_open_file(struct csv_reader **out, const char *path, const struct csv_options *o);

/* Opens a reader on len bytes at data, which are borrowed and must stay unchanged until
 * csv_close (fields of UTF-8 inputs point straight into them). Returns like csv_open_file. */
int csv_open_mem(struct csv_reader **out, const void *data, size_t len,
                 const struct csv_options *o);

/* Opens a reader on a callback; ctx is borrowed. Returns like csv_open_file. */
int csv_open_stream(struct csv_reader **out, csv_read_fn fn, void *ctx,
                    const struct csv_options *o);

/* Closes the reader (and its file). NULL is fine. */
void csv_close(struct csv_reader *r);

/* Reads the next data record into *rec. With o->header set, the header is read first (see
 * csv_header_read; a bad header is returned here as an error of record 0).
 * Returns CSV_RECORD; CSV_END at the end of the input; for a bad record ACDL_EINVAL or
 * ACDL_ETOOBIG (overlong record) with *err filled in (err may be NULL), after which the next
 * call goes on with the following record; or ACDL_EIO / ACDL_ENOMEM / the callback's code,
 * after which the reader is finished and keeps returning that code (*err filled in too, e.g.
 * "NAME:1:1: the file is UTF-16 LE ..."). *rec is only set for
 * CSV_RECORD. */
int csv_next(struct csv_reader *r, struct csv_record *rec, struct csv_error *err);

/* 1 when the record (or bad record, or header) just read by csv_next or csv_header_read
 * reached the end of the input without a line end: the last line of a file that may still be
 * being written. */
int csv_last_open(const struct csv_reader *r);

/* 1 when rc (from csv_next) reported a bad record and reading may go on, else 0. */
int csv_error_recoverable(int rc);

/* Reads the skipped lines and the header now, if that has not happened yet (csv_next does it
 * by itself; call this to look up columns before the first record). Returns 0 (also when the
 * reader has no header option, or it was read before); ACDL_ENOTFOUND when the input ends
 * before a header; a bad header as csv_next does (err filled in); the reader then has no
 * header, and a later call returns 0. */
int csv_header_read(struct csv_reader *r, struct csv_error *err);

/* Column lookups need the header: it is known after csv_header_read or the first csv_next;
 * before that (and without a header) names are not found. */

/* The header's column names (borrowed: valid while the reader lives), or NULL and *n = 0
 * when there is no header (yet). A trailing empty name made by a separator at the end of the
 * line is not part of it. */
const struct csv_field *csv_header(const struct csv_reader *r, size_t *n);

/* 0-based index of the header column named name: compared with leading and trailing blanks
 * removed and without regard to case (Unicode simple case folding: "ÄRGER" matches "ärger", but
 * "GRÖSSE" does not match "Größe"). Returns the index, ACDL_ENOTFOUND, or ACDL_ECONFLICT when
 * several columns carry that name (pick one by number). */
int csv_column_by_name(const struct csv_reader *r, const char *name);

/* 0-based index of the 1-based column number n, checked against the header when there is
 * one. Returns the index or ACDL_ENOTFOUND. */
int csv_column_by_number(const struct csv_reader *r, unsigned long n);

/* A column given as text: all digits is a 1-based number, anything else a header name.
 * Returns like csv_column_by_name. */
int csv_column_find(const struct csv_reader *r, const char *spec);

/* Bytes of memory the reader holds now (window, fields, side buffer, header); stays below
 * about 4 * (max_record + block_size) + max_fields * 16 whatever the input's size. */
size_t csv_memory(const struct csv_reader *r);

/* The field of rec at a 0-based index, or NULL when the record is too short. */
const struct csv_field *csv_record_field(const struct csv_record *rec, size_t index);

#endif
