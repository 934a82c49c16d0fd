/* fuzz_archive.c: libFuzzer target for the backup archive reader (ops/archive.c) and the
 * manifest parser (ops/backup.c): arbitrary bytes are read as a backup, every entry to its
 * end, in reads of varying size. The reader must never hand out more than the input holds,
 * never accept an entry outside the fixed set or over its limit, and end cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz_util.h"
#include "ops/archive.h"
#include "ops/backup.h"

struct input {
    const uint8_t *data;
    size_t size, pos;
    unsigned step; /* read sizes vary with the input's first byte */
};

static int in_read(void *ctx, void *buf, size_t len, size_t *got)
{
    struct input *in = ctx;
    size_t n = in->size - in->pos;
    size_t cap = 1 + (in->step * 37 + in->pos) % 1031;
    if (n > len) {
        n = len;
    }
    if (n > cap) {
        n = cap;
    }
    memcpy(buf, in->data + in->pos, n);
    in->pos += n;
    *got = n;
    return ACDL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size, 0, size ? data[0] : 0};
    struct archive_reader r;
    char err[600], manifest[64 * 1024 + 1];
    size_t nrules, got;
    const struct archive_rule *rules = backup_rules(&nrules);
    uint64_t total = 0, esize;
    int idx, rc, entries = 0;
    archive_reader_init(&r, in_read, &in, rules, nrules);
    while ((rc = archive_reader_next(&r, &idx, &esize, err, sizeof(err))) == 1) {
        FUZZ_ASSERT(idx >= 0 && (size_t)idx < nrules);
        FUZZ_ASSERT(esize <= rules[idx].max_size);
        size_t mlen = 0;
        uint64_t read_here = 0;
        for (;;) {
            char buf[700];
            rc = archive_reader_data(&r, buf, sizeof(buf), &got, err, sizeof(err));
            if (rc != ACDL_OK || got == 0) {
                break;
            }
            if (idx == 0 && mlen + got < sizeof(manifest)) {
                memcpy(manifest + mlen, buf, got);
                mlen += got;
            }
            read_here += got;
        }
        if (rc != ACDL_OK) {
            FUZZ_ASSERT(err[0] != '\0');
            break;
        }
        FUZZ_ASSERT(read_here == esize);
        total += read_here;
        entries++;
        if (idx == 0) {
            struct backup_manifest m;
            if (backup_manifest_parse(manifest, mlen, &m, err, sizeof(err)) == ACDL_OK) {
                FUZZ_ASSERT(m.nfiles <= 8 && m.schema_version >= 1);
            } else {
                FUZZ_ASSERT(err[0] != '\0');
            }
        }
    }
    FUZZ_ASSERT(total + (uint64_t)entries * ARCHIVE_BLOCK <= size);
    if (rc == 0) {
        FUZZ_ASSERT(entries >= 3 && in.pos == size); /* the required entries, read to the end */
    } else {
        FUZZ_ASSERT(rc < 0 && err[0] != '\0');
    }
    return 0;
}
