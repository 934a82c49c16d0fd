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

static void staging_remove(const char *dir);

/* Test builds: ACDL_TEST_RESTORE_EXIT_AT=N ends the process at once (like kill -9: no
 * clean-up) at the N-th step of a restore (1: after staging the first file), so that a test
 * can stop a restore at each point and check that the folder is then the old or the new one. */
static void step_done(void)
{
#ifdef ACDLINK_TEST_CLOCK
    static long n;
    const char *at = getenv("ACDL_TEST_RESTORE_EXIT_AT");
    if (at && ++n == strtol(at, NULL, 10)) {
        _Exit(137);
    }
#endif
}

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
    char dir[1100];
    if (s->dir[0]) {
        /* DATA/.restore: remove it and whatever it holds */
        size_t n = strlen(s->dir) - strlen(RESTORE_STAGING) - 1;
        snprintf(dir, sizeof(dir), "%.*s", (int)n, s->dir);
        staging_remove(dir);
    }
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
    char kerr[300] = "";
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
        step_done();
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

/* Switching the data folder over is all or nothing, also when the process is killed: the
 * staged files are complete and checked (and the database migrated) in DATA/.restore before
 * anything in DATA changes. Then the journal DATA/restore.journal is written (atomically) with
 * state "out": every file of the old installation is moved into the staging folder; then state
 * "in": every new file is moved into place; then the journal is removed and the staging folder
 * with the old files deleted. Each step can be repeated, so whoever finds the journal (the next
 * start of the daemon, the next restore) finishes the switch: the folder is the old one while
 * there is no journal and the new one once there is. */

/* The files of an installation: where they live (relative to DATA; "" for the key file, whose
 * path the journal gives), their name in the staging folder, and their old copy's name there. */
static const struct {
    const char *live, *staged, *old;
    int tls;
} managed[] = {
    {"acdlink.db", "acdlink.db", "old-acdlink.db", 0},
    {"acdlink.db-wal", "acdlink.db-wal", "old-acdlink.db-wal", 0},
    {"acdlink.db-shm", "acdlink.db-shm", "old-acdlink.db-shm", 0},
    {"initial-admin-password", NULL, "old-initial-admin-password", 0},
    {"", "secret.key", "old-secret.key", 0},
    {"tls/cert.pem", "cert.pem", "old-cert.pem", 1},
    {"tls/key.pem", "key.pem", "old-key.pem", 1},
};
#define NMANAGED (sizeof(managed) / sizeof(managed[0]))

static void live_path(const char *dir, const char *key_path, size_t i, char *out, size_t outsz)
{
    if (!managed[i].live[0]) {
        snprintf(out, outsz, "%s", key_path);
    } else {
        snprintf(out, outsz, "%s/%s", dir, managed[i].live);
    }
}

/* Removes the staging folder and everything that can be in it. */
static void staging_remove(const char *dir)
{
    char path[1300];
    static const char *const extra[] = {"acdlink.db-journal", "manifest.json"};
    for (size_t i = 0; i < NMANAGED; i++) {
        if (managed[i].staged) {
            snprintf(path, sizeof(path), "%s/%s/%s", dir, RESTORE_STAGING, managed[i].staged);
            plat_file_remove(path);
        }
        snprintf(path, sizeof(path), "%s/%s/%s", dir, RESTORE_STAGING, managed[i].old);
        plat_file_remove(path);
    }
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", dir, RESTORE_STAGING, extra[i]);
        plat_file_remove(path);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, RESTORE_STAGING);
    plat_dir_remove(path);
}

static int journal_write(const char *dir, const char *state, const char *key_path, int tls,
                         char *err, size_t errsz)
{
    char path[1200];
    json_t *j = json_pack("{s:s, s:s, s:b}", "state", state, "key_file", key_path, "tls", tls);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc = ACDL_ENOMEM;
    json_decref(j);
    if (text) {
        snprintf(path, sizeof(path), "%s/%s", dir, RESTORE_JOURNAL);
        rc = plat_file_write_atomic(path, text, strlen(text), 1);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot be written (disk full?)", path);
        }
    }
    free(text);
    return rc;
}

/* Runs the switch from the journal's state on. */
static int switch_over(const char *dir, const char *state, const char *key_path, int tls, char *err,
                       size_t errsz)
{
    char live[1200], other[1300];
    int rc;
    if (!strcmp(state, "out")) {
        for (size_t i = 0; i < NMANAGED; i++) {
            if (managed[i].tls && !tls) {
                continue; /* a backup without a certificate keeps the folder's one */
            }
            live_path(dir, key_path, i, live, sizeof(live));
            snprintf(other, sizeof(other), "%s/%s/%s", dir, RESTORE_STAGING, managed[i].old);
            if (plat_path_exists(live)) {
                if (plat_file_rename(live, other) != ACDL_OK) {
                    snprintf(err, errsz, "%s: cannot be moved to %s", live, other);
                    return ACDL_EIO;
                }
                step_done();
            }
        }
        if ((rc = journal_write(dir, "in", key_path, tls, err, errsz)) != ACDL_OK) {
            return rc;
        }
        step_done();
    } else if (strcmp(state, "in") != 0) {
        snprintf(err, errsz, "%s/%s: unknown state '%s'", dir, RESTORE_JOURNAL, state);
        return ACDL_EINVAL;
    }
    for (size_t i = 0; i < NMANAGED; i++) {
        if (!managed[i].staged) {
            continue;
        }
        live_path(dir, key_path, i, live, sizeof(live));
        snprintf(other, sizeof(other), "%s/%s/%s", dir, RESTORE_STAGING, managed[i].staged);
        if (!plat_path_exists(other)) {
            continue;
        }
        if (managed[i].tls) {
            char tlsdir[1200];
            snprintf(tlsdir, sizeof(tlsdir), "%s/tls", dir);
            plat_mkdir_p(tlsdir, 1);
        }
        if (plat_file_rename(other, live) != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot be written", live);
            return ACDL_EIO;
        }
        step_done();
    }
    snprintf(live, sizeof(live), "%s/%s", dir, RESTORE_JOURNAL);
    if (plat_file_remove(live) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot be removed", live);
        return ACDL_EIO;
    }
    step_done();
    staging_remove(dir);
    return ACDL_OK;
}

int backup_restore_recover(const char *dir, char *err, size_t errsz)
{
    char path[1200];
    json_t *j;
    json_error_t je;
    const char *state = NULL, *key = NULL;
    int tls = 0, rc;
    snprintf(path, sizeof(path), "%s/%s", dir, RESTORE_JOURNAL);
    if (!plat_path_exists(path)) {
        /* a restore that ended before its switch began: only its staging folder is left */
        snprintf(path, sizeof(path), "%s/%s", dir, RESTORE_STAGING);
        if (plat_path_exists(path)) {
            staging_remove(dir);
        }
        return 0;
    }
    j = json_load_file(path, 0, &je);
    if (!j || json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s:b}", "state", &state, "key_file",
                             &key, "tls", &tls) != 0) {
        snprintf(err, errsz,
                 "%s is damaged (%s): the restore it records cannot be finished; "
                 "restore the backup again with acdlink restore --force",
                 path, je.text);
        json_decref(j);
        return ACDL_EINVAL;
    }
    rc = switch_over(dir, state, key, tls, err, errsz);
    json_decref(j);
    return rc == ACDL_OK ? 1 : rc;
}

/* Opens the restored database in the staging folder (which migrates it) and records the
 * restore. */
static int migrate_and_audit(const char *db_path, struct backup_restore_result *res, char *err,
                             size_t errsz)
{
    struct store *st = NULL;
    int rc = store_open(db_path, 1, &st, err, errsz);
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
    /* an earlier restore killed part-way is finished (or its leftovers removed) first */
    if ((rc = backup_restore_recover(dir, err, errsz)) < 0) {
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
    snprintf(s.dir, sizeof(s.dir), "%s/%s", dir, RESTORE_STAGING);
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
    step_done();
    if ((rc = migrate_and_audit(s.path[1], res, err, errsz)) != ACDL_OK ||
        (rc = journal_write(dir, "out", key_path, res->tls, err, errsz)) != ACDL_OK) {
        goto out;
    }
    step_done();
    rc = switch_over(dir, "out", key_path, res->tls, err, errsz);
    if (rc != ACDL_OK) {
        /* the journal stays: the next start (or restore) finishes the switch */
        goto out_kept;
    }
out:
    staged_remove(&s);
out_kept:
    free(s.manifest);
    if (rc != ACDL_OK && created) {
        plat_lock_release(lock);
        lock = NULL;
        plat_file_remove(lock_path);
        plat_dir_remove(dir);
    }
    plat_lock_release(lock);
    return rc;
}
