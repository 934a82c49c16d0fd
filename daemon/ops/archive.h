/* archive.h: the container of backups: a POSIX ustar archive we write and read ourselves.
 *
 * Design: the writer emits regular-file entries only (fixed mode 0600, owner 0, sizes in
 * octal, or base-256 past 8 GiB as GNU tar and bsdtar read it), pads each to 512 bytes and
 * ends with two zero blocks, so any tar can list and extract a backup. The reader is a parser
 * for untrusted input: every header's checksum, magic, type (regular files only) and numeric
 * fields are checked, the name must be exactly one of the caller's fixed set (no prefix
 * field, so no paths to interpret and no "../"), each name at most once and within its size
 * limit, padding and the end marker must be zeros, and nothing but zeros may follow. Errors
 * name the byte offset and the entry. Neither side allocates; both stream. */
#ifndef ACDL_OPS_ARCHIVE_H
#define ACDL_OPS_ARCHIVE_H
#include <stddef.h>
#include <stdint.h>

#define ARCHIVE_BLOCK 512
#define ARCHIVE_MAX_RULES 16

/* Reads up to len bytes into buf; *got = 0 at the end. Returns 0 or ACDL_EIO. */
typedef int (*archive_read_fn)(void *ctx, void *buf, size_t len, size_t *got);
/* Writes all len bytes. Returns 0 or an ACDL_E* code. */
typedef int (*archive_write_fn)(void *ctx, const void *buf, size_t len);

/* One allowed entry: its exact name, its largest size, and whether it must be present. */
struct archive_rule {
    const char *name;
    uint64_t max_size;
    int required;
};

struct archive_reader {
    archive_read_fn read;
    void *ctx;
    const struct archive_rule *rules;
    size_t nrules;
    uint32_t seen;      /* bit i: rules[i] was read */
    uint64_t offset;    /* bytes consumed so far */
    uint64_t remaining; /* content bytes of the current entry still to read */
    uint64_t pad;       /* padding after the current entry */
    int current;        /* rule index of the current entry, -1 before the first */
    int done;
};

/* Sets up r to read through read(ctx) with the allowed entries rules[0..nrules) (at most
 * ARCHIVE_MAX_RULES; borrowed while r is used). */
void archive_reader_init(struct archive_reader *r, archive_read_fn read, void *ctx,
                         const struct archive_rule *rules, size_t nrules);

/* Moves to the next entry, skipping what is left of the current one. Returns 1 with the
 * entry's rule index and size, 0 at a valid end of the archive (every required entry seen,
 * only zeros after the end marker), or ACDL_EINVAL / ACDL_EIO with a message in err. */
int archive_reader_next(struct archive_reader *r, int *index, uint64_t *size, char *err,
                        size_t errsz);

/* Reads up to len bytes of the current entry; *got = 0 at its end. Returns 0, or ACDL_EINVAL
 * (archive cut short) / ACDL_EIO with err. */
int archive_reader_data(struct archive_reader *r, void *buf, size_t len, size_t *got, char *err,
                        size_t errsz);

struct archive_writer {
    archive_write_fn write;
    void *ctx;
    uint64_t remaining; /* content bytes the current entry still needs */
    uint64_t pad;
    uint64_t written;   /* bytes written so far */
};

void archive_writer_init(struct archive_writer *w, archive_write_fn write, void *ctx);

/* Starts an entry of exactly size bytes. name: 1-99 bytes, no NUL. Returns 0, ACDL_EINVAL (a
 * bad name, or the previous entry is not complete) or the write function's code. */
int archive_writer_begin(struct archive_writer *w, const char *name, uint64_t size,
                         int64_t mtime);

/* Writes content of the current entry; more than declared is ACDL_EINVAL. */
int archive_writer_data(struct archive_writer *w, const void *buf, size_t len);

/* Pads the current entry (which must be complete) and writes the end marker. */
int archive_writer_finish(struct archive_writer *w);

/* Bytes an entry of size content bytes takes in the archive (header, content, padding). */
uint64_t archive_entry_bytes(uint64_t size);

/* Bytes of the end marker. */
uint64_t archive_end_bytes(void);

#endif
