/* backup.h: backups of a data folder and their restore.
 *
 * Design: a backup is one ustar archive (ops/archive.h) of fixed entries: manifest.json
 * first (format, product and schema version, creation time, and the size and SHA-256 of every
 * other entry), then acdlink.db, secret.key and, when there is one, tls/cert.pem + tls/key.pem.
 * The database is an online snapshot taken with SQLite's backup API in one read transaction
 * on its own connection: consistent, and the daemon and its imports go on writing meanwhile
 * (WAL). A restore is all or nothing: every entry is streamed into a staging folder inside
 * the target and checked (names, sizes, SHA-256 against the manifest, SQLite quick_check,
 * schema not newer than this binary, a valid key file) before anything of the target is
 * replaced; a failed restore leaves the target as it was. The target must be empty unless
 * forced and must not be in use by a daemon (DATA/acdlink.lock). The restored database is
 * migrated to this binary's schema at once. */
#ifndef ACDL_OPS_BACKUP_H
#define ACDL_OPS_BACKUP_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ops/archive.h"

#define BACKUP_LOCK_NAME "acdlink.lock"
/* A restore stages into DATA/.restore and switches over under DATA/restore.journal (see
 * restore.c); both are gone when no restore is under way. */
#define RESTORE_STAGING ".restore"
#define RESTORE_JOURNAL "restore.journal"

struct backup;

/* Takes a snapshot of cfg's data folder (database, key file, certificate) into a private
 * temporary file in the data folder and prepares the manifest. *out is new: free with
 * backup_free() (which deletes the snapshot). Returns 0 or ACDL_ENOTFOUND (no database),
 * ACDL_EIO, ACDL_EDB with err. Safe while a daemon runs on the folder. */
int backup_prepare(const struct acdl_config *cfg, struct backup **out, char *err, size_t errsz);

/* The exact size in bytes of the archive backup_stream() writes. */
uint64_t backup_size(const struct backup *b);

/* A summary for logs and the audit log: {"bytes", "schema_version", "tls"}. New reference. */
json_t *backup_summary(const struct backup *b);

/* Writes the archive through write(ctx). Returns 0, the write function's code, or ACDL_EIO
 * with err. */
int backup_stream(struct backup *b, archive_write_fn write, void *ctx, char *err, size_t errsz);

/* Deletes the snapshot and frees b. Accepts NULL. */
void backup_free(struct backup *b);

/* Writes a backup of cfg's data folder to path (atomically: a temporary file renamed at the
 * end, mode 0600). Records "backup.create" in the audit log. Returns 0 or an ACDL_E* code
 * with err. */
int backup_to_file(const struct acdl_config *cfg, const char *path, char *err, size_t errsz);

struct backup_manifest {
    char product_version[32];
    char created_at[32];
    char host[256];
    int schema_version;
    struct {
        char name[32];
        uint64_t size;
        char sha256[65];
    } files[8];
    int nfiles;
};

/* Parses and checks the manifest text. Returns 0 or ACDL_EINVAL with err. */
int backup_manifest_parse(const char *text, size_t len, struct backup_manifest *m, char *err,
                          size_t errsz);

/* The archive entries a backup may hold (for archive readers such as the fuzz target). */
const struct archive_rule *backup_rules(size_t *n);

struct backup_restore_opts {
    const char *data_dir; /* the target folder (created when missing) */
    const char *key_path; /* where the key file goes; NULL: DATA/secret.key */
    int force;            /* 1: replace what is in a non-empty target */
};

struct backup_restore_result {
    struct backup_manifest manifest;
    int schema_from; /* the backup's schema version */
    int schema_to;   /* after migrating */
    int tls;         /* 1 when a certificate was restored */
};

/* Restores the archive read through read(ctx) into opts->data_dir. Returns 0; ACDL_EEXIST
 * (the target is not empty and force is not set), ACDL_EAGAIN (a daemon runs on it),
 * ACDL_EINVAL (a damaged or foreign archive), ACDL_ENEWER (the backup comes from a newer
 * acdlink), ACDL_EIO or ACDL_EDB, each with err; on every error the target is left as it was.
 */
int backup_restore(archive_read_fn read, void *ctx, const struct backup_restore_opts *opts,
                   struct backup_restore_result *res, char *err, size_t errsz);

/* Finishes a restore of dir that was stopped part-way (killed, power lost): with its journal
 * present, the switch to the restored files is completed; without it, a leftover staging
 * folder is removed, leaving the folder as it was. Call with dir's lock held (serve, restore).
 * Returns 0 (nothing to do), 1 (a restore was completed), or an ACDL_E* code with err. */
int backup_restore_recover(const char *dir, char *err, size_t errsz);

#endif
