/* file_follow.h: CSV agent-state sources that follow one growing file (settings.follow), such
 * as Asterisk's queue_log or an export that is appended to.
 *
 * Design: where reading stopped is a position: the file (its identity: device and inode, or
 * volume and file index, plus a SHA-256 of its first bytes, up to FILE_FOLLOW_HEAD), the byte
 * offset just after the last whole line read, and the number of lines read. A poll opens the
 * file by name inside the source folder (checked against the import roots each time, as every
 * CSV read), and reads the whole lines appended after the offset; a last line without a line
 * end is left until it has one. What it read is staged in one transaction with the new
 * position (pipeline/agent_import.h), so a crash repeats a read at worst, and states are keyed
 * by agent and start, so a repeated read changes nothing.
 *
 * Rotation: when the name holds another file than the position's, the position's file is
 * looked for among the folder's files by its identity (logrotate renames it beside the new
 * one): it is read to its last whole line, then the new file from its start, in the same
 * poll. A file that is gone (moved away or deleted) loses what was not read of it; the poll
 * says so. Truncation (copytruncate): the same file, smaller than the offset or with other
 * first bytes, is read again from its start, and counted. */
#ifndef ACDL_PIPELINE_FILE_FOLLOW_H
#define ACDL_PIPELINE_FILE_FOLLOW_H
#include <jansson.h>
#include <stdint.h>

#include "pipeline/agent_follow.h"
#include "pipeline/source_cfg.h"
#include "store/store.h"

#define FILE_FOLLOW_HEAD 1024       /* bytes at a file's start that recognise it */
#define FILE_FOLLOW_CHUNK (4 << 20) /* bytes read by one poll at most (then at once again) */

struct file_follow_pos {
    char file_id[64]; /* "" before the first read */
    int64_t offset;   /* bytes read (the end of the last whole line) */
    int64_t line;     /* lines read */
    int head_len;     /* bytes hashed into head_hash */
    char head_hash[65];
};

/* One poll's read: the position before (from the store) and after, and what happened. */
struct file_follow_read {
    struct file_follow_pos at; /* in: the stored position; out: where the read ended */
    int have;                  /* a position was stored */
    int moved;                 /* out: the position changed (stage it even without rows) */
    int more;                  /* out: the chunk limit stopped the read: poll again at once */
    int rotated, truncated;    /* out: counted once each */
    int64_t size;              /* out: the followed file's size */
    char note[400];            /* out: what happened to the file ("" when nothing) */
};

/* The stored position of source_id's followed file into *rd (rd->have 0 when none, or when it
 * belongs to another file name). Borrowed connection. Returns 0 or ACDL_EDB. */
int file_follow_get(struct store_conn *c, int64_t source_id, const char *file,
                    struct file_follow_read *rd);

/* Records a poll: rd's position (when error is NULL), the counters of p, the error (NULL: the
 * poll succeeded) while polls fail. Inside the poll's staging transaction when it staged
 * something, else on its own. Returns 0 or ACDL_EDB. */
int file_follow_record(struct store_conn *c, int64_t source_id, const char *file,
                       const struct file_follow_read *rd, const struct agent_follow_poll *p,
                       const char *error, int64_t now);

/* What the API shows of the follow (new reference): {file, file_id, offset, line, size,
 * polls, last_poll_at, last_rows, last_change_at, rows_read, rows_changed, last_rejected,
 * rows_rejected, last_note, rotations, truncations, last_rotation_at, last_truncation_at,
 * error, error_at, failing_since, next_reconcile_at, last_reconcile_run}, or null before the
 * first poll. Borrowed connection. */
json_t *file_follow_status_json(struct store_conn *c, int64_t source_id);

#endif
