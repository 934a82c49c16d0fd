/* backup.c: making backups: the online database snapshot, the manifest and the archive. */
#include "ops/backup.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "platform/platform.h"
#include "store/store.h"

#define SMALL_MAX (1024 * 1024)

static const struct archive_rule rules[] = {
    {"manifest.json", 64 * 1024, 1},
    {"acdlink.db", 1ULL << 40, 1},
    {"secret.key", 4096, 1},
    {"tls/cert.pem", SMALL_MAX, 0},
    {"tls/key.pem", SMALL_MAX, 0},
};

const struct archive_rule *backup_rules(size_t *n)
{
    *n = sizeof(rules) / sizeof(rules[0]);
    return rules;
}

struct blob {
    char *data;
    size_t len;
};

struct backup {
    char snapshot[1100]; /* the database copy, deleted by backup_free() */
    uint64_t db_size;
    struct blob manifest, key, cert, tls_key;
    int schema_version;
    int64_t created;
};

/* Reads a small file whole. ACDL_ENOTFOUND when it does not exist. */
static int read_small(const char *path, struct blob *b, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!plat_path_exists(path)) {
            return ACDL_ENOTFOUND;
        }
        snprintf(err, errsz, "%s: cannot be read", path);
        return ACDL_EIO;
    }
    b->data = malloc(SMALL_MAX + 1);
    b->len = b->data ? fread(b->data, 1, SMALL_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!b->data) {
        return ACDL_ENOMEM;
    }
    if (bad || b->len > SMALL_MAX) {
        snprintf(err, errsz, "%s: %s", path, bad ? "cannot be read" : "is larger than 1 MiB");
        return ACDL_EIO;
    }
    return ACDL_OK;
}

static void hex_sha256(const void *data, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_sha256(data, len, h);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    }
}

/* Copies the live database at db_path into dest with the online backup API. */
static int snapshot(const char *db_path, const char *dest, int *version, char *err, size_t errsz)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk = NULL;
    sqlite3_stmt *st = NULL;
    int rc = ACDL_EDB, r;
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot open the database: %s", db_path,
                 src ? sqlite3_errmsg(src) : "out of memory");
        rc = plat_path_exists(db_path) ? ACDL_EDB : ACDL_ENOTFOUND;
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot create the snapshot", dest);
        goto out;
    }
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
        snprintf(err, errsz, "cannot start the snapshot: %s", sqlite3_errmsg(dst));
        goto out;
    }
    /* every page in one step: one read transaction, so the copy is one consistent state even
     * while other connections write (they are not blocked in WAL mode) */
    for (int tries = 0; tries < 100; tries++) {
        r = sqlite3_backup_step(bk, -1);
        if (r != SQLITE_BUSY && r != SQLITE_LOCKED) {
            break;
        }
        plat_sleep_ms(100);
    }
    r = sqlite3_backup_finish(bk);
    bk = NULL;
    if (r != SQLITE_OK) {
        snprintf(err, errsz, "the snapshot failed: %s", sqlite3_errstr(r));
        goto out;
    }
    /* one self-contained file: no -wal beside it */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(dst, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errsz, "the snapshot cannot be read back: %s", sqlite3_errmsg(dst));
        goto out;
    }
    *version = sqlite3_column_int(st, 0);
    rc = ACDL_OK;
out:
    sqlite3_finalize(st);
    if (bk) {
        sqlite3_backup_finish(bk);
    }
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
}

static int build_manifest(struct backup *b, char *err, size_t errsz)
{
    char when[32], host[256], sha[65];
    long long size = 0;
    json_t *files = json_array();
    if (crypto_sha256_file(b->snapshot, sha, &size) != ACDL_OK) {
        json_decref(files);
        snprintf(err, errsz, "%s: cannot read the snapshot", b->snapshot);
        return ACDL_EIO;
    }
    b->db_size = (uint64_t)size;
    json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", "acdlink.db", "size",
                                           (json_int_t)size, "sha256", sha));
    const struct {
        const char *name;
        const struct blob *blob;
    } small[] = {{"secret.key", &b->key}, {"tls/cert.pem", &b->cert}, {"tls/key.pem", &b->tls_key}};
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        if (!small[i].blob->data) {
            continue;
        }
        hex_sha256(small[i].blob->data, small[i].blob->len, sha);
        json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", small[i].name, "size",
                                               (json_int_t)small[i].blob->len, "sha256", sha));
    }
    plat_time_iso(b->created, when, sizeof(when));
    plat_hostname(host, sizeof(host));
    json_t *m = json_pack("{s:s, s:i, s:s, s:i, s:s, s:s, s:o}", "format", "acdlink-backup",
                          "format_version", 1, "product_version", ACDLINK_VERSION,
                          "schema_version", b->schema_version, "created_at", when, "host", host,
                          "files", files);
    b->manifest.data = m ? json_dumps(m, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    json_decref(m);
    if (!b->manifest.data) {
        return ACDL_ENOMEM;
    }
    b->manifest.len = strlen(b->manifest.data);
    return ACDL_OK;
}

int backup_prepare(const struct acdl_config *cfg, struct backup **out, char *err, size_t errsz)
{
    char db[1100], key[1100], cert[1100], tkey[1100];
    unsigned char rnd[6];
    int rc;
    struct backup *b = calloc(1, sizeof(*b));
    if (!b) {
        return ACDL_ENOMEM;
    }
    b->created = plat_now();
    snprintf(db, sizeof(db), "%s/acdlink.db", cfg->data_dir);
    if (cfg->secret_key_file[0]) {
        snprintf(key, sizeof(key), "%s", cfg->secret_key_file);
    } else {
        snprintf(key, sizeof(key), "%s/secret.key", cfg->data_dir);
    }
    if (cfg->tls_cert[0]) {
        snprintf(cert, sizeof(cert), "%s", cfg->tls_cert);
        snprintf(tkey, sizeof(tkey), "%s", cfg->tls_key);
    } else {
        snprintf(cert, sizeof(cert), "%s/tls/cert.pem", cfg->data_dir);
        snprintf(tkey, sizeof(tkey), "%s/tls/key.pem", cfg->data_dir);
    }
    if ((rc = read_small(key, &b->key, err, errsz)) != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            snprintf(err, errsz, "%s: no key file; without it the stored passwords could not be "
                                 "decrypted after a restore", key);
        }
        goto fail;
    }
    rc = read_small(cert, &b->cert, err, errsz);
    if (rc == ACDL_OK) {
        rc = read_small(tkey, &b->tls_key, err, errsz);
    }
    if (rc == ACDL_ENOTFOUND) {
        /* plain HTTP, or never started: no certificate to keep */
        free(b->cert.data);
        free(b->tls_key.data);
        memset(&b->cert, 0, sizeof(b->cert));
        memset(&b->tls_key, 0, sizeof(b->tls_key));
    } else if (rc != ACDL_OK) {
        goto fail;
    }
    if ((rc = crypto_random(rnd, sizeof(rnd))) != ACDL_OK) {
        goto fail;
    }
    snprintf(b->snapshot, sizeof(b->snapshot), "%s/.backup-%02x%02x%02x%02x%02x%02x.db",
             cfg->data_dir, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
    if ((rc = snapshot(db, b->snapshot, &b->schema_version, err, errsz)) != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            snprintf(err, errsz, "%s: no database here; is --data-dir right?", db);
        }
        goto fail;
    }
    if ((rc = build_manifest(b, err, errsz)) != ACDL_OK) {
        goto fail;
    }
    *out = b;
    return ACDL_OK;
fail:
    backup_free(b);
    return rc;
}

uint64_t backup_size(const struct backup *b)
{
    uint64_t n = archive_entry_bytes(b->manifest.len) + archive_entry_bytes(b->db_size) +
                 archive_entry_bytes(b->key.len) + archive_end_bytes();
    if (b->cert.data) {
        n += archive_entry_bytes(b->cert.len) + archive_entry_bytes(b->tls_key.len);
    }
    return n;
}

json_t *backup_summary(const struct backup *b)
{
    return json_pack("{s:I, s:i, s:b}", "bytes", (json_int_t)backup_size(b), "schema_version",
                     b->schema_version, "tls", b->cert.data != NULL);
}

static int put_blob(struct archive_writer *w, const char *name, const struct blob *bl,
                    int64_t when)
{
    int rc = archive_writer_begin(w, name, bl->len, when);
    return rc == ACDL_OK ? archive_writer_data(w, bl->data, bl->len) : rc;
}

int backup_stream(struct backup *b, archive_write_fn write, void *ctx, char *err, size_t errsz)
{
    struct archive_writer w;
    char *buf = NULL;
    FILE *f = NULL;
    uint64_t left = b->db_size;
    int rc;
    archive_writer_init(&w, write, ctx);
    if ((rc = put_blob(&w, "manifest.json", &b->manifest, b->created)) != ACDL_OK ||
        (rc = archive_writer_begin(&w, "acdlink.db", b->db_size, b->created)) != ACDL_OK) {
        goto out;
    }
    f = fopen(b->snapshot, "rb");
    buf = malloc(64 * 1024);
    if (!f || !buf) {
        snprintf(err, errsz, "%s: cannot read the snapshot", b->snapshot);
        rc = ACDL_EIO;
        goto out;
    }
    while (left > 0) {
        size_t n = fread(buf, 1, left < 65536 ? (size_t)left : 65536, f);
        if (n == 0) {
            snprintf(err, errsz, "%s: the snapshot shrank while it was read", b->snapshot);
            rc = ACDL_EIO;
            goto out;
        }
        if ((rc = archive_writer_data(&w, buf, n)) != ACDL_OK) {
            goto out;
        }
        left -= n;
    }
    if ((rc = put_blob(&w, "secret.key", &b->key, b->created)) != ACDL_OK) {
        goto out;
    }
    if (b->cert.data && ((rc = put_blob(&w, "tls/cert.pem", &b->cert, b->created)) != ACDL_OK ||
                         (rc = put_blob(&w, "tls/key.pem", &b->tls_key, b->created)) != ACDL_OK)) {
        goto out;
    }
    rc = archive_writer_finish(&w);
out:
    if (rc != ACDL_OK && !err[0]) {
        snprintf(err, errsz, "writing the backup failed: %s", acdl_strerror(rc));
    }
    if (f) {
        fclose(f);
    }
    free(buf);
    return rc;
}

static void blob_wipe(struct blob *bl)
{
    if (bl->data) {
        memset(bl->data, 0, bl->len);
        free(bl->data);
    }
}

void backup_free(struct backup *b)
{
    if (!b) {
        return;
    }
    if (b->snapshot[0]) {
        plat_file_remove(b->snapshot);
    }
    free(b->manifest.data);
    blob_wipe(&b->key);
    blob_wipe(&b->cert);
    blob_wipe(&b->tls_key);
    free(b);
}

/* Records a backup in the audit log of the live database, on a connection of its own and
 * without migrating it (the daemon running on it may be older than this binary). */
static void audit_file_backup(const struct acdl_config *cfg, const struct backup *b,
                              const char *path)
{
    char db[1100];
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    json_t *detail = backup_summary(b);
    json_object_set_new(detail, "file", json_string(path));
    char *text = json_dumps(detail, JSON_COMPACT);
    snprintf(db, sizeof(db), "%s/acdlink.db", cfg->data_dir);
    if (text && sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 10000);
        if (sqlite3_prepare_v2(h,
                               "INSERT INTO audit (ts, actor, actor_kind, client, action, target, "
                               "outcome, detail) VALUES (?, 'acdlink backup', 'system', 'local', "
                               "'backup.create', 'file', 'ok', ?)",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, plat_now());
            sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) != SQLITE_DONE) {
                log_warn("store", "the backup was written, but not recorded in the audit log: %s",
                         sqlite3_errmsg(h));
            }
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(text);
    json_decref(detail);
}

static int file_write(void *ctx, const void *buf, size_t len)
{
    return fwrite(buf, 1, len, (FILE *)ctx) == len ? ACDL_OK : ACDL_EIO;
}

int backup_to_file(const struct acdl_config *cfg, const char *path, char *err, size_t errsz)
{
    char tmp[1200];
    struct backup *b = NULL;
    FILE *f = NULL;
    int rc;
    err[0] = '\0';
    if (snprintf(tmp, sizeof(tmp), "%s.partial", path) >= (int)sizeof(tmp)) {
        snprintf(err, errsz, "%s: the path is too long", path);
        return ACDL_EINVAL;
    }
    if ((rc = backup_prepare(cfg, &b, err, errsz)) != ACDL_OK) {
        return rc;
    }
    f = plat_fopen_private(tmp);
    if (!f) {
        snprintf(err, errsz, "%s: cannot be written", tmp);
        rc = ACDL_EIO;
        goto out;
    }
    if ((rc = backup_stream(b, file_write, f, err, errsz)) != ACDL_OK) {
        goto out;
    }
    if (plat_file_sync(f) != ACDL_OK) {
        snprintf(err, errsz, "%s: writing failed (disk full?)", tmp);
        rc = ACDL_EIO;
        goto out;
    }
    fclose(f);
    f = NULL;
    if (plat_file_rename(tmp, path) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot be renamed to %s", tmp, path);
        rc = ACDL_EIO;
        goto out;
    }
    audit_file_backup(cfg, b, path);
out:
    if (f) {
        fclose(f);
        plat_file_remove(tmp);
    } else if (rc != ACDL_OK) {
        plat_file_remove(tmp);
    }
    backup_free(b);
    return rc;
}

int backup_manifest_parse(const char *text, size_t len, struct backup_manifest *m, char *err,
                          size_t errsz)
{
    json_error_t jerr;
    const char *format, *pv, *created, *host = "";
    int fv, sv;
    json_t *files = NULL, *f;
    size_t i;
    int rc = ACDL_EINVAL;
    memset(m, 0, sizeof(*m));
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(err, errsz, "manifest.json is not valid JSON (line %d): %s", jerr.line,
                 jerr.text);
        return ACDL_EINVAL;
    }
    if (json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s, s:i, s:s, s:i, s:s, s?s, s:o}", "format",
                       &format, "format_version", &fv, "product_version", &pv, "schema_version",
                       &sv, "created_at", &created, "host", &host, "files", &files) != 0) {
        snprintf(err, errsz, "manifest.json: %s", jerr.text);
        goto out;
    }
    if (strcmp(format, "acdlink-backup") != 0 || fv != 1) {
        snprintf(err, errsz, "manifest.json: not an acdlink backup of format 1 (format '%.40s' "
                             "version %d)", format, fv);
        goto out;
    }
    if (sv < 1 || strlen(pv) >= sizeof(m->product_version) ||
        strlen(created) >= sizeof(m->created_at) || strlen(host) >= sizeof(m->host) ||
        !json_is_array(files) || json_array_size(files) > 8) {
        snprintf(err, errsz, "manifest.json: a version, the time, the host or the file list is "
                             "out of range");
        goto out;
    }
    snprintf(m->product_version, sizeof(m->product_version), "%s", pv);
    snprintf(m->created_at, sizeof(m->created_at), "%s", created);
    snprintf(m->host, sizeof(m->host), "%s", host);
    m->schema_version = sv;
    json_array_foreach(files, i, f)
    {
        const char *name, *sha;
        json_int_t size;
        size_t nr = 0, k;
        const struct archive_rule *rl = backup_rules(&nr);
        if (json_unpack_ex(f, &jerr, JSON_STRICT, "{s:s, s:I, s:s}", "name", &name, "size",
                           &size, "sha256", &sha) != 0) {
            snprintf(err, errsz, "manifest.json: files[%zu]: %s", i, jerr.text);
            goto out;
        }
        for (k = 0; k < nr && strcmp(rl[k].name, name) != 0; k++) {
        }
        if (k == nr || k == 0 || size < 0 || (uint64_t)size > rl[k].max_size ||
            strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) {
            snprintf(err, errsz, "manifest.json: files[%zu] ('%.40s') has an unknown name, a "
                                 "size out of range or a malformed sha256", i, name);
            goto out;
        }
        for (int x = 0; x < m->nfiles; x++) {
            if (!strcmp(m->files[x].name, name)) {
                snprintf(err, errsz, "manifest.json: '%s' is listed twice", name);
                goto out;
            }
        }
        snprintf(m->files[m->nfiles].name, sizeof(m->files[0].name), "%s", name);
        m->files[m->nfiles].size = (uint64_t)size;
        snprintf(m->files[m->nfiles].sha256, sizeof(m->files[0].sha256), "%s", sha);
        m->nfiles++;
    }
    rc = ACDL_OK;
out:
    json_decref(j);
    return rc;
}
