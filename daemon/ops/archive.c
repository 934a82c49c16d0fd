/* archive.c: writing and strictly parsing the ustar archives that hold backups. */
#include "ops/archive.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* Offsets and lengths of the ustar header fields we use. */
#define H_NAME 0
#define H_MODE 100
#define H_UID 108
#define H_GID 116
#define H_SIZE 124
#define H_MTIME 136
#define H_CHKSUM 148
#define H_TYPE 156
#define H_MAGIC 257
#define H_UNAME 265
#define H_GNAME 297
#define H_PREFIX 345
#define NAME_LEN 100
#define PREFIX_LEN 155
#define TRAILER_MAX (1024 * 1024)

static const unsigned char zero_block[ARCHIVE_BLOCK];

uint64_t archive_entry_bytes(uint64_t size)
{
    return ARCHIVE_BLOCK + size + (ARCHIVE_BLOCK - size % ARCHIVE_BLOCK) % ARCHIVE_BLOCK;
}

uint64_t archive_end_bytes(void)
{
    return 2 * ARCHIVE_BLOCK;
}

/* --- reading --- */

void archive_reader_init(struct archive_reader *r, archive_read_fn read, void *ctx,
                         const struct archive_rule *rules, size_t nrules)
{
    memset(r, 0, sizeof(*r));
    r->read = read;
    r->ctx = ctx;
    r->rules = rules;
    r->nrules = nrules > ARCHIVE_MAX_RULES ? ARCHIVE_MAX_RULES : nrules;
    r->current = -1;
}

/* Reads exactly len bytes; *got tells how many arrived before the end. */
static int read_full(struct archive_reader *r, void *buf, size_t len, size_t *got, char *err,
                     size_t errsz)
{
    size_t have = 0;
    while (have < len) {
        size_t n = 0;
        if (r->read(r->ctx, (char *)buf + have, len - have, &n) != ACDL_OK) {
            snprintf(err, errsz, "reading the archive failed at byte %llu",
                     (unsigned long long)(r->offset + have));
            return ACDL_EIO;
        }
        if (n == 0) {
            break;
        }
        have += n;
    }
    r->offset += have;
    *got = have;
    return ACDL_OK;
}

static const char *entry_name(const struct archive_reader *r)
{
    return r->current >= 0 ? r->rules[r->current].name : "?";
}

/* Parses an octal field (leading spaces, digits, then NUL/space to the end). */
static int parse_octal(const unsigned char *f, size_t len, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    int digits = 0;
    while (i < len && f[i] == ' ') {
        i++;
    }
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3)) {
            return ACDL_EINVAL;
        }
        v = (v << 3) | (uint64_t)(f[i] - '0');
        digits++;
    }
    for (; i < len; i++) {
        if (f[i] != '\0' && f[i] != ' ') {
            return ACDL_EINVAL;
        }
    }
    if (!digits) {
        return ACDL_EINVAL;
    }
    *out = v;
    return ACDL_OK;
}

/* The size field: octal, or base-256 (first byte 0x80, then big-endian). */
static int parse_size(const unsigned char *f, uint64_t *out)
{
    if (f[0] & 0x80) {
        uint64_t v = 0;
        if (f[0] != 0x80 || f[1] || f[2] || f[3]) {
            return ACDL_EINVAL; /* negative, or beyond 64 bits */
        }
        for (int i = 4; i < 12; i++) {
            v = (v << 8) | f[i];
        }
        *out = v;
        return ACDL_OK;
    }
    return parse_octal(f, 12, out);
}

static int checksum_ok(const unsigned char *h)
{
    uint64_t want;
    unsigned long us = 0;
    long sg = 0;
    if (parse_octal(h + H_CHKSUM, 8, &want) != ACDL_OK) {
        return 0;
    }
    for (int i = 0; i < ARCHIVE_BLOCK; i++) {
        unsigned char c = (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : h[i];
        us += c;
        sg += (signed char)c;
    }
    /* some old tars summed signed bytes; accept both */
    return want == us || (sg >= 0 && want == (uint64_t)sg);
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return 0;
        }
    }
    return 1;
}

/* After the first zero block: a second one, then only zeros until the end. */
static int read_end(struct archive_reader *r, uint64_t at, char *err, size_t errsz)
{
    unsigned char b[ARCHIVE_BLOCK];
    size_t got;
    uint64_t trailer = 0;
    int rc = read_full(r, b, sizeof(b), &got, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (got != sizeof(b) || !all_zero(b, sizeof(b))) {
        snprintf(err, errsz,
                 "the archive has a zero block at byte %llu that is not followed by a second "
                 "one: it is damaged or cut short",
                 (unsigned long long)at);
        return ACDL_EINVAL;
    }
    for (;;) {
        rc = read_full(r, b, sizeof(b), &got, err, errsz);
        if (rc != ACDL_OK) {
            return rc;
        }
        if (got == 0) {
            break;
        }
        trailer += got;
        if (!all_zero(b, got) || trailer > TRAILER_MAX) {
            snprintf(err, errsz,
                     "the archive has data after its end marker (byte %llu): it is not one "
                     "acdlink backup",
                     (unsigned long long)(at + 2 * ARCHIVE_BLOCK));
            return ACDL_EINVAL;
        }
    }
    for (size_t i = 0; i < r->nrules; i++) {
        if (r->rules[i].required && !(r->seen & (1u << i))) {
            snprintf(err, errsz, "the archive has no '%s': it is not a complete acdlink backup",
                     r->rules[i].name);
            return ACDL_EINVAL;
        }
    }
    r->done = 1;
    return 0;
}

/* Checks one header block; fills *index and *size. */
static int check_header(struct archive_reader *r, const unsigned char *h, uint64_t at,
                        int *index, uint64_t *size, char *err, size_t errsz)
{
    char name[NAME_LEN + 1];
    uint64_t v;
    const void *nul = memchr(h + H_NAME, '\0', NAME_LEN);
    if (!checksum_ok(h)) {
        snprintf(err, errsz, "the archive header at byte %llu has a wrong checksum: the file "
                             "is damaged or not an acdlink backup",
                 (unsigned long long)at);
        return ACDL_EINVAL;
    }
    if (memcmp(h + H_MAGIC, "ustar\0" "00", 8) != 0 && memcmp(h + H_MAGIC, "ustar  \0", 8) != 0) {
        snprintf(err, errsz, "the archive header at byte %llu is not a ustar header",
                 (unsigned long long)at);
        return ACDL_EINVAL;
    }
    if (!nul || nul == h + H_NAME) {
        snprintf(err, errsz, "the archive entry at byte %llu has %s name",
                 (unsigned long long)at, nul ? "an empty" : "an overlong");
        return ACDL_EINVAL;
    }
    memcpy(name, h + H_NAME, (size_t)((const unsigned char *)nul - (h + H_NAME)) + 1);
    for (char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
            *p = '?'; /* for the message only: such a name matches no rule anyway */
        }
    }
    if (!all_zero(h + H_PREFIX, PREFIX_LEN)) {
        snprintf(err, errsz, "the archive entry '%s' at byte %llu has a path prefix; a backup "
                             "holds plain names only",
                 name, (unsigned long long)at);
        return ACDL_EINVAL;
    }
    int found = -1;
    for (size_t i = 0; i < r->nrules; i++) {
        if (strcmp(name, r->rules[i].name) == 0) {
            found = (int)i;
        }
    }
    if (found < 0) {
        char names[512];
        size_t used = 0;
        names[0] = '\0';
        for (size_t i = 0; i < r->nrules; i++) {
            int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                             r->rules[i].name);
            if (n < 0 || used + (size_t)n >= sizeof(names)) {
                break;
            }
            used += (size_t)n;
        }
        snprintf(err, errsz, "the archive entry '%s' at byte %llu is not expected here (the "
                             "entries are: %s)",
                 name, (unsigned long long)at, names);
        return ACDL_EINVAL;
    }
    if (h[H_TYPE] != '0' && h[H_TYPE] != '\0') {
        snprintf(err, errsz, "the archive entry '%s' at byte %llu is not a regular file (type "
                             "'%c'); links, folders and devices are refused",
                 name, (unsigned long long)at, h[H_TYPE] >= 0x20 && h[H_TYPE] < 0x7f ? h[H_TYPE] : '?');
        return ACDL_EINVAL;
    }
    if (r->seen & (1u << found)) {
        snprintf(err, errsz, "the archive holds '%s' twice (second at byte %llu)", name,
                 (unsigned long long)at);
        return ACDL_EINVAL;
    }
    if (parse_octal(h + H_MODE, 8, &v) != ACDL_OK || parse_octal(h + H_UID, 8, &v) != ACDL_OK ||
        parse_octal(h + H_GID, 8, &v) != ACDL_OK || parse_octal(h + H_MTIME, 12, &v) != ACDL_OK) {
        snprintf(err, errsz, "the archive header of '%s' at byte %llu has a malformed number",
                 name, (unsigned long long)at);
        return ACDL_EINVAL;
    }
    if (parse_size(h + H_SIZE, size) != ACDL_OK) {
        snprintf(err, errsz, "the archive header of '%s' at byte %llu has a malformed size",
                 name, (unsigned long long)at);
        return ACDL_EINVAL;
    }
    if (*size > r->rules[found].max_size) {
        snprintf(err, errsz, "the archive entry '%s' is %llu bytes; at most %llu are allowed",
                 name, (unsigned long long)*size, (unsigned long long)r->rules[found].max_size);
        return ACDL_EINVAL;
    }
    *index = found;
    return ACDL_OK;
}

int archive_reader_next(struct archive_reader *r, int *index, uint64_t *size, char *err,
                        size_t errsz)
{
    unsigned char h[ARCHIVE_BLOCK];
    size_t got;
    int rc;
    if (r->done) {
        return 0;
    }
    while (r->remaining > 0) {
        unsigned char skip[ARCHIVE_BLOCK];
        size_t n = r->remaining < sizeof(skip) ? (size_t)r->remaining : sizeof(skip);
        if ((rc = archive_reader_data(r, skip, n, &got, err, errsz)) != ACDL_OK) {
            return rc;
        }
    }
    if (r->pad > 0) {
        unsigned char p[ARCHIVE_BLOCK];
        size_t n = (size_t)r->pad;
        if ((rc = read_full(r, p, n, &got, err, errsz)) != ACDL_OK) {
            return rc;
        }
        if (got != n) {
            snprintf(err, errsz, "the archive ends inside the padding of '%s' (cut short?)",
                     entry_name(r));
            return ACDL_EINVAL;
        }
        if (!all_zero(p, n)) {
            snprintf(err, errsz, "the padding after '%s' (byte %llu) is not zero: the archive "
                                 "is damaged",
                     entry_name(r), (unsigned long long)(r->offset - n));
            return ACDL_EINVAL;
        }
        r->pad = 0;
    }
    uint64_t at = r->offset;
    if ((rc = read_full(r, h, sizeof(h), &got, err, errsz)) != ACDL_OK) {
        return rc;
    }
    if (got != sizeof(h)) {
        snprintf(err, errsz,
                 got == 0 ? "the archive ends at byte %llu without its end marker: it was cut "
                            "short (an interrupted download or copy?)"
                          : "the archive ends at byte %llu inside a header: it was cut short",
                 (unsigned long long)(at + got));
        return ACDL_EINVAL;
    }
    if (all_zero(h, sizeof(h))) {
        return read_end(r, at, err, errsz);
    }
    if ((rc = check_header(r, h, at, index, size, err, errsz)) != ACDL_OK) {
        return rc;
    }
    r->current = *index;
    r->seen |= 1u << *index;
    r->remaining = *size;
    r->pad = (ARCHIVE_BLOCK - *size % ARCHIVE_BLOCK) % ARCHIVE_BLOCK;
    return 1;
}

int archive_reader_data(struct archive_reader *r, void *buf, size_t len, size_t *got, char *err,
                        size_t errsz)
{
    size_t n = len, have = 0;
    *got = 0;
    if (r->current < 0 || r->remaining == 0 || len == 0) {
        return ACDL_OK;
    }
    if (n > r->remaining) {
        n = (size_t)r->remaining;
    }
    int rc = read_full(r, buf, n, &have, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (have != n) {
        snprintf(err, errsz, "the archive ends inside '%s' with %llu bytes missing (cut short?)",
                 entry_name(r), (unsigned long long)(r->remaining - have));
        return ACDL_EINVAL;
    }
    r->remaining -= have;
    *got = have;
    return ACDL_OK;
}

/* --- writing --- */

void archive_writer_init(struct archive_writer *w, archive_write_fn write, void *ctx)
{
    memset(w, 0, sizeof(*w));
    w->write = write;
    w->ctx = ctx;
}

static int put(struct archive_writer *w, const void *buf, size_t len)
{
    int rc = w->write(w->ctx, buf, len);
    if (rc == ACDL_OK) {
        w->written += len;
    }
    return rc;
}

static int finish_entry(struct archive_writer *w)
{
    if (w->remaining) {
        return ACDL_EINVAL;
    }
    if (w->pad) {
        int rc = put(w, zero_block, (size_t)w->pad);
        if (rc != ACDL_OK) {
            return rc;
        }
        w->pad = 0;
    }
    return ACDL_OK;
}

int archive_writer_begin(struct archive_writer *w, const char *name, uint64_t size,
                         int64_t mtime)
{
    unsigned char h[ARCHIVE_BLOCK];
    char num[16];
    size_t nlen = strlen(name);
    unsigned long sum = 0;
    int rc = finish_entry(w);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (nlen == 0 || nlen >= NAME_LEN) {
        return ACDL_EINVAL;
    }
    memset(h, 0, sizeof(h));
    memcpy(h + H_NAME, name, nlen);
    memcpy(h + H_MODE, "0000600", 8);
    memcpy(h + H_UID, "0000000", 8);
    memcpy(h + H_GID, "0000000", 8);
    if (size < (1ULL << 33)) {
        snprintf(num, sizeof(num), "%011llo", (unsigned long long)size);
        memcpy(h + H_SIZE, num, 12);
    } else {
        h[H_SIZE] = 0x80;
        for (int i = 0; i < 8; i++) {
            h[H_SIZE + 11 - i] = (unsigned char)(size >> (8 * i));
        }
    }
    snprintf(num, sizeof(num), "%011llo", (unsigned long long)(mtime > 0 ? mtime : 0));
    memcpy(h + H_MTIME, num, 12);
    h[H_TYPE] = '0';
    memcpy(h + H_MAGIC, "ustar\0" "00", 8);
    memcpy(h + H_UNAME, "acdlink", 7);
    memcpy(h + H_GNAME, "acdlink", 7);
    memset(h + H_CHKSUM, ' ', 8);
    for (int i = 0; i < ARCHIVE_BLOCK; i++) {
        sum += h[i];
    }
    snprintf(num, sizeof(num), "%06lo", sum);
    memcpy(h + H_CHKSUM, num, 7); /* six digits, NUL, and the space that is already there */
    if ((rc = put(w, h, sizeof(h))) != ACDL_OK) {
        return rc;
    }
    w->remaining = size;
    w->pad = (ARCHIVE_BLOCK - size % ARCHIVE_BLOCK) % ARCHIVE_BLOCK;
    return ACDL_OK;
}

int archive_writer_data(struct archive_writer *w, const void *buf, size_t len)
{
    if (len > w->remaining) {
        return ACDL_EINVAL;
    }
    int rc = put(w, buf, len);
    if (rc == ACDL_OK) {
        w->remaining -= len;
    }
    return rc;
}

int archive_writer_finish(struct archive_writer *w)
{
    int rc = finish_entry(w);
    if (rc == ACDL_OK) {
        rc = put(w, zero_block, sizeof(zero_block));
    }
    if (rc == ACDL_OK) {
        rc = put(w, zero_block, sizeof(zero_block));
    }
    return rc;
}
