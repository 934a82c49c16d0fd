/* restore.c: restoring a backup archive into a data folder, all or nothing. */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "ops/backup.h"
#include "platform/platform.h"
#include "store/audit.h"
#include "store/store.h"

#define NRULES 5

/* Staged file names, by rule index (manifest, db, key, cert, tls key). */
static const char *const staged_names[NRULES] = {"manifest.json", "acdlink.db", "secret.key",
                                                  "cert.pem", "key.pem"};

struct staged {
    char dir[1100];
    char path[NRULES][1200];
    char sha[NRULES][65];
    uint64_t size[NRULES];
    int have[NRULES];
    char *manifest;
    size_t manifest_len;
};

static void staged_remove(struct staged *s)
{
    for (int i = 0; i < NRULES; i++) {
        if (s->path[i][0]) {
            plat_file_remove(s->path[i]);
        }
    }
    if (s->dir[0]) {
        plat_dir_remove(s->dir);
    }
    free(s->manifest);
}

/* Streams the current entry into path (or memory for the manifest), hashing it. */
static int stage_entry(struct archive_reader *rd, struct staged *s, int idx, uint64_t size,
                       char *err, size_t errsz)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[32];
    unsigned int hl = 0;
    char *buf = malloc(64 * 1024);
    FILE *f = NULL;
    size_t got;
    int rc = ACDL_ENOMEM;
    if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        goto out;
    }
    if (idx == 0) {
        s->manifest = malloc((size_t)size + 1);
        if (!s->manifest) {
            goto out;
        }
    } else {
        char path[sizeof(s->path[0])];
        snprintf(path, sizeof(path), "%s/%s", s->dir, staged_names[idx]);
        memcpy(s->path[idx], path, sizeof(path));
        f = plat_fopen_private(s->path[idx]);
        if (!f) {
            snprintf(err, errsz, "%s: cannot be written", s->path[idx]);
            rc = ACDL_EIO;
            goto out;
        }
    }
    uint64_t total = 0;
    for (;;) {
        if ((rc = archive_reader_data(rd, buf, 64 * 1024, &got, err, errsz)) != ACDL_OK) {
            goto out;
        }
        if (got == 0) {
            break;
        }
        EVP_DigestUpdate(md, buf, got);
        if (idx == 0) {
            memcpy(s->manifest + total, buf, got);
        } else if (fwrite(buf, 1, got, f) != got) {
            snprintf(err, errsz, "%s: writing failed (disk full?)", s->path[idx]);
            rc = ACDL_EIO;
            goto out;
        }
        total += got;
    }
    if (idx == 0) {
        s->manifest[total] = '\0';
        s->manifest_len = (size_t)total;
    } else if (plat_file_sync(f) != ACDL_OK) {
        snprintf(err, errsz, "%s: writing failed (disk full?)", s->path[idx]);
        rc = ACDL_EIO;
        goto out;
    }
    EVP_DigestFinal_ex(md, h, &hl);
    for (int i = 0; i < 32; i++) {
        snprintf(s->sha[idx] + 2 * i, 3, "%02x", h[i]);
    }
    s->size[idx] = total;
    s->have[idx] = 1;
    rc = ACDL_OK;
out:
    if (f) {
        fclose(f);
    }
    EVP_MD_CTX_free(md);
    free(buf);
    return rc;
}

/* Every staged entry is in the manifest with its size and digest, and the other way round. */
static int check_against_manifest(const struct staged *s, const struct backup_manifest *m,
                                  char *err, size_t errsz)
{
    size_t nr;
    const struct archive_rule *rl = backup_rules(&nr);
    for (int i = 1; i < NRULES; i++) {
        int listed = -1;
        for (int k = 0; k < m->nfiles; k++) {
            if (!strcmp(m->files[k].name, rl[i].name)) {
                listed = k;
            }
        }
        if (listed < 0 && s->have[i]) {
            snprintf(err, errsz, "the archive holds '%s', which its manifest does not list",
                     rl[i].name);
            return ACDL_EINVAL;
        }
        if (listed >= 0 && !s->have[i]) {
            snprintf(err, errsz, "the manifest lists '%s', which the archive does not hold",
                     rl[i].name);
            return ACDL_EINVAL;
        }
        if (listed >= 0 && (m->files[listed].size != s->size[i] ||
                            strcmp(m->files[listed].sha256, s->sha[i]) != 0)) {
            snprintf(err, errsz, "'%s' in the archive does not match the SHA-256 its manifest "
                                 "records: the backup is damaged",
                     rl[i].name);
            return ACDL_EINVAL;
        }
    }
    if (s->have[3] != s->have[4]) {
        snprintf(err, errsz, "the archive holds a TLS certificate without its key or the other "
                             "way round");
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

/* The staged database is an intact SQLite file of the manifest's schema, not newer than ours;
 * the staged key file loads. */
static int check_contents(const struct staged *s, const struct backup_manifest *m, char *err,
                          size_t errsz)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct secret_key *k = NULL;
    char kerr[300];
    int rc = ACDL_EINVAL, version = -1;
    if (sqlite3_open_v2(s->path[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        snprintf(err, errsz, "the database in the archive is damaged: %s",
                 st && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0)
                                                  : sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        version = sqlite3_column_int(st, 0);
    }
    if (version != m->schema_version) {
        snprintf(err, errsz, "the database in the archive has schema version %d, its manifest "
                             "says %d: the backup is not consistent",
                 version, m->schema_version);
        goto out;
    }
    if (version > store_schema_version()) {
        snprintf(err, errsz, "the backup was made by acdlink %s with schema version %d; this "
                             "acdlink %s knows schema versions up to %d: install %s or newer to "
                             "restore it",
                 m->product_version, version, ACDLINK_VERSION, store_schema_version(),
                 m->product_version);
        rc = ACDL_ENEWER;
        goto out;
    }
    if (secret_key_load(s->path[2], &k, kerr, sizeof(kerr)) != ACDL_OK) {
        snprintf(err, errsz, "the key file in the archive is not a valid acdlink key file");
        goto out;
    }
    rc = ACDL_OK;
out:
    secret_key_free(k);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* Reads the whole archive into the staging folder and checks it. */
static int stage_archive(archive_read_fn read, void *ctx, struct staged *s,
                         struct backup_manifest *m, char *err, size_t errsz)
{
    struct archive_reader rd;
    size_t nr;
    const struct archive_rule *rl = backup_rules(&nr);
    int idx, rc, first = 1;
    uint64_t size;
    archive_reader_init(&rd, read, ctx, rl, nr);
    while ((rc = archive_reader_next(&rd, &idx, &size, err, errsz)) == 1) {
        if (first && idx != 0) {
            snprintf(err, errsz, "the archive does not start with manifest.json: it is not an "
                                 "acdlink backup");
            return ACDL_EINVAL;
        }
        if ((rc = stage_entry(&rd, s, idx, size, err, errsz)) != ACDL_OK) {
            return rc;
        }
        if (first && (rc = backup_manifest_parse(s->manifest, s->manifest_len, m, err,
                                                 errsz)) != ACDL_OK) {
            return rc;
        }
        first = 0;
    }
    if (rc != 0) {
        return rc;
    }
    if ((rc = check_against_manifest(s, m, err, errsz)) != ACDL_OK) {
        return rc;
    }
    return check_contents(s, m, err, errsz);
}

/* Moves the staged files into place. */
static int commit(struct staged *s, const char *dir, const char *key_path, int tls, char *err,
                  size_t errsz)
{
    char path[1200], tlsdir[1200];
    /* a -wal or -shm of a database that is replaced would be applied to the restored one */
    static const char *const stale[] = {"acdlink.db-wal", "acdlink.db-shm",
                                        "initial-admin-password"};
    for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, stale[i]);
        if (plat_file_remove(path) != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot be removed", path);
            return ACDL_EIO;
        }
    }
    if (plat_file_rename(s->path[2], key_path) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot be written", key_path);
        return ACDL_EIO;
    }
    s->path[2][0] = '\0';
    if (tls) {
        snprintf(tlsdir, sizeof(tlsdir), "%s/tls", dir);
        if (plat_mkdir_p(tlsdir, 1) != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot be created", tlsdir);
            return ACDL_EIO;
        }
        for (int i = 3; i <= 4; i++) {
            snprintf(path, sizeof(path), "%s/%s", tlsdir, staged_names[i]);
            if (plat_file_rename(s->path[i], path) != ACDL_OK) {
                snprintf(err, errsz, "%s: cannot be written", path);
                return ACDL_EIO;
            }
            s->path[i][0] = '\0';
        }
    }
    snprintf(path, sizeof(path), "%s/acdlink.db", dir);
    if (plat_file_rename(s->path[1], path) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot be written", path);
        return ACDL_EIO;
    }
    s->path[1][0] = '\0';
    return ACDL_OK;
}

/* Opens the restored database (which migrates it) and records the restore. */
static int migrate_and_audit(const char *dir, struct backup_restore_result *res, char *err,
                             size_t errsz)
{
    char path[1200];
    struct store *st = NULL;
    snprintf(path, sizeof(path), "%s/acdlink.db", dir);
    int rc = store_open(path, 1, &st, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    res->schema_to = store_schema_version();
    struct store_conn *c = store_acquire(st);
    json_t *d = json_pack("{s:s, s:s, s:i, s:i}", "product_version",
                          res->manifest.product_version, "created_at", res->manifest.created_at,
                          "schema_from", res->schema_from, "schema_to", res->schema_to);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    store_audit_add(c, plat_now(), "acdlink restore", "system", "local", "backup.restore",
                    res->manifest.host[0] ? res->manifest.host : "backup", "ok", text);
    free(text);
    json_decref(d);
    store_release(st, c);
    store_close(st);
    return ACDL_OK;
}

int backup_restore(archive_read_fn read, void *ctx, const struct backup_restore_opts *opts,
                   struct backup_restore_result *res, char *err, size_t errsz)
{
    struct staged s;
    struct plat_lock *lock = NULL;
    char lock_path[1200], key_path[1200];
    unsigned char rnd[6];
    const char *dir = opts->data_dir;
    int created = !plat_path_exists(dir);
    int rc;
    memset(&s, 0, sizeof(s));
    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    if (opts->key_path && opts->key_path[0]) {
        snprintf(key_path, sizeof(key_path), "%s", opts->key_path);
    } else {
        snprintf(key_path, sizeof(key_path), "%s/secret.key", dir);
    }
    if (plat_mkdir_p(dir, 1) != ACDL_OK) {
        snprintf(err, errsz, "%s: the data folder cannot be created", dir);
        return ACDL_EIO;
    }
    snprintf(lock_path, sizeof(lock_path), "%s/%s", dir, BACKUP_LOCK_NAME);
    rc = plat_lock_acquire(lock_path, &lock);
    if (rc != ACDL_OK) {
        snprintf(err, errsz,
                 rc == ACDL_EAGAIN
                     ? "%s: an acdlink daemon is running on this data folder; stop it first "
                       "(e.g. systemctl stop acdlink)"
                     : "%s: cannot lock the data folder",
                 dir);
        goto out;
    }
    int empty = plat_dir_is_empty(dir, BACKUP_LOCK_NAME);
    if (empty < 0) {
        snprintf(err, errsz, "%s: the data folder cannot be read", dir);
        rc = ACDL_EIO;
        goto out;
    }
    if (!empty && !opts->force) {
        snprintf(err, errsz, "%s is not empty: restore into a fresh data folder, or pass --force "
                             "to replace its database, key file and certificate",
                 dir);
        rc = ACDL_EEXIST;
        goto out;
    }
    if ((rc = crypto_random(rnd, sizeof(rnd))) != ACDL_OK) {
        goto out;
    }
    snprintf(s.dir, sizeof(s.dir), "%s/.restore-%02x%02x%02x%02x%02x%02x", dir, rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    if (plat_mkdir_p(s.dir, 1) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot be created", s.dir);
        s.dir[0] = '\0';
        rc = ACDL_EIO;
        goto out;
    }
    if ((rc = stage_archive(read, ctx, &s, &res->manifest, err, errsz)) != ACDL_OK) {
        goto out;
    }
    res->schema_from = res->manifest.schema_version;
    res->tls = s.have[3];
    if ((rc = commit(&s, dir, key_path, res->tls, err, errsz)) != ACDL_OK) {
        goto out;
    }
    rc = migrate_and_audit(dir, res, err, errsz);
out:
    staged_remove(&s);
    if (rc != ACDL_OK && created) {
        plat_lock_release(lock);
        lock = NULL;
        plat_file_remove(lock_path);
        plat_dir_remove(dir);
    }
    plat_lock_release(lock);
    return rc;
}
