/* rows_follow.c: the whole lines appended to a followed file since the last poll, across
 * rotation and truncation (see file_follow.h), read as CSV rows (rows.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/roots.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "pipeline/file_follow.h"
#include "pipeline/rows_int.h"

#define PREFIX_MAX (64 * 1024) /* skipped lines and header of a followed file, at most */

/* SHA-256 of the first len bytes of f as hex into out; 0, or ACDL_EIO when f is shorter. */
static int head_hash(FILE *f, int len, char out[65])
{
    unsigned char buf[FILE_FOLLOW_HEAD], d[32];
    if (len < 0 || len > FILE_FOLLOW_HEAD || plat_file_seek(f, 0) != ACDL_OK ||
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        return ACDL_EIO;
    }
    crypto_sha256(buf, (size_t)len, d);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
    return ACDL_OK;
}

/* 1 when f starts with the bytes pos recognises it by. */
static int head_matches(FILE *f, long long size, const struct file_follow_pos *pos)
{
    char h[65];
    if (pos->head_len <= 0) {
        return 1;
    }
    return size >= pos->head_len && head_hash(f, pos->head_len, h) == ACDL_OK &&
           !strcmp(h, pos->head_hash);
}

/* The skipped lines and header at the start of f (for reading on from an offset): their
 * bytes into *out (new) and *len, their number into *lines. */
static int read_prefix(struct rows *r, FILE *f, char **out, size_t *len, int64_t *lines)
{
    unsigned long want = r->cfg->csv.skip_lines + (r->cfg->csv.header ? 1u : 0u);
    char *buf = malloc(PREFIX_MAX);
    size_t got, i, n = 0;
    *out = NULL;
    *len = 0;
    *lines = 0;
    if (want == 0) {
        free(buf);
        return ACDL_OK;
    }
    if (!buf) {
        return ACDL_ENOMEM;
    }
    if (plat_file_seek(f, 0) != ACDL_OK) {
        free(buf);
        return ACDL_EIO;
    }
    got = fread(buf, 1, PREFIX_MAX, f);
    for (i = 0; i < got && n < want; i++) {
        n += buf[i] == '\n';
    }
    if (n < want) {
        free(buf);
        return ACDL_EINVAL;
    }
    *out = buf;
    *len = i;
    *lines = (int64_t)n;
    return ACDL_OK;
}

/* A reader's error of a followed file at its line in the file (not in the bytes read). */
static void reject_at(struct rows *r, const char *name, struct csv_error *e, int64_t delta)
{
    e->line = (uint64_t)((int64_t)e->line + delta);
    snprintf(e->message, sizeof(e->message), "%s:%llu:%llu: %s", name, (unsigned long long)e->line,
             (unsigned long long)e->column, e->reason);
    r->line = e->line;
    r->k.rows_read++;
    r->k.rows_rejected++;
    if (r->row_errors++ < ROWS_LOG_ERRORS) {
        rows_csv_error(r, "warn", "run.row_rejected_at", name, e);
    }
}

/* The whole lines of f (size bytes now) after pos, up to *budget bytes; pos, *budget and
 * *more (the budget stopped the read) follow. */
static int read_lines(struct rows *r, FILE *f, const char *name, long long size,
                      struct file_follow_pos *pos, int64_t *budget, int *more)
{
    char *prefix = NULL, *buf = NULL;
    size_t plen = 0, want, complete = 0;
    int64_t plines = 0, rejected = r->k.rows_rejected;
    struct csv_options o = r->cfg->csv;
    struct csv_reader *rd = NULL;
    struct csv_record rec;
    struct csv_error cerr;
    int rc = ACDL_OK;
    if (size <= pos->offset || *budget <= 0) {
        *more = *more || size > pos->offset;
        return ACDL_OK;
    }
    want = (size_t)(size - pos->offset < *budget ? size - pos->offset : *budget);
    if (pos->offset > 0 && (rc = read_prefix(r, f, &prefix, &plen, &plines)) != ACDL_OK) {
        rows_note(r, "error", "run.follow_no_header", json_pack("{s:s}", "file", name),
                  "%s: its header (or the lines to skip) cannot be read again", name);
        return rc;
    }
    if (!(buf = malloc(plen + want))) {
        free(prefix);
        return ACDL_ENOMEM;
    }
    if (plen) {
        memcpy(buf, prefix, plen);
    }
    free(prefix);
    if (plat_file_seek(f, pos->offset) != ACDL_OK || (want = fread(buf + plen, 1, want, f)) == 0) {
        free(buf);
        return ACDL_OK; /* shorter than it said: the next poll looks again */
    }
    for (size_t i = want; i > 0 && !complete; i--) {
        complete = buf[plen + i - 1] == '\n' ? i : 0;
    }
    if (!complete) {
        free(buf);
        if ((int64_t)want >= *budget && want < (size_t)(size - pos->offset)) {
            rows_note(r, "error", "run.follow_line_too_long",
                      json_pack("{s:s, s:I, s:I}", "file", name, "line",
                                (json_int_t)(pos->line + 1), "max", (json_int_t)*budget),
                      "%s: line %lld is longer than %lld bytes", name, (long long)(pos->line + 1),
                      (long long)*budget);
            return ACDL_ETOOBIG;
        }
        return ACDL_OK; /* a line still being written: read when it ends */
    }
    o.name = name;
    int64_t delta = pos->line - plines; /* the reader counts lines from the bytes given */
    rc = csv_open_mem(&rd, buf, plen + complete, &o);
    if (rc == ACDL_OK) {
        rc = csv_header_read(rd, &cerr);
        if (rc == ACDL_ENOTFOUND) {
            rc = ACDL_OK; /* nothing but skipped lines yet */
        } else if (rc != ACDL_OK) {
            cerr.line = (uint64_t)((int64_t)cerr.line + delta);
            rows_csv_error(r, "error", "run.file_error", name, &cerr);
        }
    }
    if (rc == ACDL_OK) {
        snprintf(r->where, sizeof(r->where), "%s", name);
        rc = rows_csv_columns(r, rd, name, &o);
        rc = rc == 1 ? ACDL_EINVAL : rc;
    }
    while (rc == ACDL_OK) {
        int n = csv_next(rd, &rec, &cerr);
        if (n == CSV_END) {
            break;
        }
        if (n == CSV_RECORD) {
            r->line = (uint64_t)((int64_t)rec.line + delta);
            rc = rows_csv_record(r, &rec);
        } else if (csv_error_recoverable(n)) {
            reject_at(r, name, &cerr, delta);
        } else {
            cerr.line = (uint64_t)((int64_t)cerr.line + delta);
            rows_csv_error(r, "error", "run.file_error", name, &cerr);
            rc = n;
        }
    }
    csv_close(rd);
    if (rc == ACDL_OK && r->cfg->strict && r->k.rows_rejected > rejected) {
        rows_note(r, "error", "run.strict_stop", json_pack("{s:s}", "file", name),
                  "%s: rejected rows and the source is strict: the run stops", name);
        rc = ACDL_EINVAL;
    }
    if (rc == ACDL_OK) {
        for (size_t i = 0; i < complete; i++) {
            pos->line += buf[plen + i] == '\n';
        }
        pos->offset += (int64_t)complete;
        *budget -= (int64_t)complete;
        *more = *more || pos->offset < size;
        if (pos->head_len < FILE_FOLLOW_HEAD && pos->offset > pos->head_len) {
            pos->head_len = (int)(pos->offset < FILE_FOLLOW_HEAD ? pos->offset : FILE_FOLLOW_HEAD);
            if (head_hash(f, pos->head_len, pos->head_hash) != ACDL_OK) {
                rc = ACDL_EIO;
            }
        }
    }
    free(buf);
    return rc;
}

/* Looks for the file whose identity is id among the folder's files (a rotated file keeps it
 * under its new name). */
struct find {
    struct rows *r;
    struct plat_dir *dir;
    const char *id, *skip;
    FILE *f;
    long long size;
    char name[256];
};

static int find_entry(const char *name, enum plat_entry_kind kind, void *ctx)
{
    struct find *w = ctx;
    char real[ROOTS_PATH_MAX], id[64];
    long long size = 0;
    if ((kind != PLAT_ENTRY_FILE && kind != PLAT_ENTRY_LINK) || !strcmp(name, w->skip)) {
        return 0;
    }
    FILE *f = rows_open_in_folder(w->r, w->dir, name, kind, real, sizeof(real));
    if (!f) {
        return 0;
    }
    if (plat_file_identity(f, id, sizeof(id), &size) == ACDL_OK && !strcmp(id, w->id)) {
        w->f = f;
        w->size = size;
        snprintf(w->name, sizeof(w->name), "%s", name);
        return 1;
    }
    fclose(f);
    return 0;
}

int rows_follow_read(struct rows *r)
{
    struct file_follow_read *fr = r->follow;
    struct file_follow_pos pos = fr->at;
    const char *name = r->cfg->follow.file;
    struct plat_dir *dir = NULL;
    char real[ROOTS_PATH_MAX], cur_id[64] = "";
    long long cur_size = 0;
    int64_t budget = FILE_FOLLOW_CHUNK;
    FILE *cur = NULL;
    int rc = rows_open_folder(r, "csv.folder", r->cfg->folder, &dir);
    if (rc != ACDL_OK) {
        return rc;
    }
    snprintf(r->where, sizeof(r->where), "%s", name);
    cur = rows_open_in_folder(r, dir, name, PLAT_ENTRY_FILE, real, sizeof(real));
    if (cur && plat_file_identity(cur, cur_id, sizeof(cur_id), &cur_size) != ACDL_OK) {
        rc = ACDL_EIO;
        goto out;
    }
    if (!fr->have) {
        if (!cur) {
            goto out; /* not there yet */
        }
        memset(&pos, 0, sizeof(pos));
        snprintf(pos.file_id, sizeof(pos.file_id), "%s", cur_id);
    } else if (!cur || strcmp(cur_id, pos.file_id) != 0) {
        /* the name holds another file (or none): the one read before was rotated */
        struct find w = {r, dir, pos.file_id, name, NULL, 0, ""};
        plat_dir_entries(dir, "*", find_entry, &w);
        if (w.f && head_matches(w.f, w.size, &pos)) {
            rc = read_lines(r, w.f, w.name, w.size, &pos, &budget, &fr->more);
            fclose(w.f);
            if (rc != ACDL_OK || fr->more || !cur) {
                goto out; /* its rest first; or no new file yet */
            }
            snprintf(fr->note, sizeof(fr->note),
                     "%s was rotated: %s (the file read before) was read to its end at line %lld, "
                     "then the new %s from its start",
                     name, w.name, (long long)pos.line, name);
        } else {
            if (w.f) {
                fclose(w.f);
            }
            if (!cur) {
                goto out;
            }
            snprintf(fr->note, sizeof(fr->note),
                     "%s was replaced and the file read before is no longer in the folder: what "
                     "was appended to it after line %lld was not read; the new %s is read from "
                     "its start",
                     name, (long long)pos.line, name);
        }
        log_info("follow", "source %lld: %s", (long long)r->src.id, fr->note);
        memset(&pos, 0, sizeof(pos));
        snprintf(pos.file_id, sizeof(pos.file_id), "%s", cur_id);
        fr->rotated = 1;
    } else if (cur_size < pos.offset || !head_matches(cur, cur_size, &pos)) {
        snprintf(fr->note, sizeof(fr->note),
                 "%s was truncated or rewritten (%lld bytes, %lld were read up to line %lld): "
                 "it is read again from its start",
                 name, cur_size, (long long)pos.offset, (long long)pos.line);
        log_warn("follow", "source %lld: %s", (long long)r->src.id, fr->note);
        memset(&pos, 0, sizeof(pos));
        snprintf(pos.file_id, sizeof(pos.file_id), "%s", cur_id);
        fr->truncated = 1;
    }
    rc = read_lines(r, cur, name, cur_size, &pos, &budget, &fr->more);
out:
    if (cur) {
        fclose(cur);
    }
    plat_dir_close(dir);
    fr->size = cur_size;
    if (rc == ACDL_OK) {
        fr->moved = pos.offset != fr->at.offset || pos.line != fr->at.line ||
                    strcmp(pos.file_id, fr->at.file_id) != 0 || (!fr->have && pos.file_id[0]);
        fr->at = pos;
    }
    return rc;
}
