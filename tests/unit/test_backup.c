/* test_backup.c: unit tests of the backup archive (ops/archive.c) and of backup and restore
 * (ops/backup.c, ops/restore.c) on real data folders: round trips, a backup of an older schema
 * restored and migrated, and damaged or hostile archives refused without touching anything. */
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "core/embedded.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "ops/archive.h"
#include "ops/backup.h"
#include "platform/platform.h"
#include "store/store.h"

static char tmp[512];

/* --- an archive in memory --- */

struct mem {
    unsigned char *buf;
    size_t len, cap, pos;
};

static int mem_write(void *ctx, const void *data, size_t len)
{
    struct mem *m = ctx;
    if (m->len + len > m->cap) {
        size_t cap = (m->len + len) * 2 + 4096;
        unsigned char *nb = realloc(m->buf, cap);
        if (!nb) {
            return ACDL_ENOMEM;
        }
        m->buf = nb;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
    return ACDL_OK;
}

static int mem_read(void *ctx, void *data, size_t len, size_t *got)
{
    struct mem *m = ctx;
    size_t n = m->len - m->pos < len ? m->len - m->pos : len;
    /* odd-sized pieces, so the reader must cope with short reads */
    if (n > 700) {
        n = 700;
    }
    if (n > 0) {
        memcpy(data, m->buf + m->pos, n);
    }
    m->pos += n;
    *got = n;
    return ACDL_OK;
}

static const struct archive_rule test_rules[] = {
    {"a.txt", 4096, 1}, {"b.bin", 1ULL << 40, 0}, {"empty", 10, 0}, {"dir/c.pem", 600, 0}};

static void put(struct archive_writer *w, const char *name, const char *data, size_t len)
{
    CHECK_EQ_INT(archive_writer_begin(w, name, len, 1700000000), ACDL_OK);
    CHECK_EQ_INT(archive_writer_data(w, data, len), ACDL_OK);
}

/* Reads the whole archive in m with test_rules; returns the last code and the error text. */
static int read_all(struct mem *m, char *err, size_t errsz, int *entries)
{
    struct archive_reader r;
    int idx, rc;
    uint64_t size;
    unsigned char buf[300];
    size_t got;
    m->pos = 0;
    *entries = 0;
    err[0] = '\0';
    archive_reader_init(&r, mem_read, m, test_rules, 4);
    while ((rc = archive_reader_next(&r, &idx, &size, err, errsz)) == 1) {
        (*entries)++;
        do {
            rc = archive_reader_data(&r, buf, sizeof(buf), &got, err, errsz);
        } while (rc == ACDL_OK && got > 0);
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    return rc;
}

static void test_archive_roundtrip(void)
{
    struct mem m = {0};
    struct archive_writer w;
    struct archive_reader r;
    char big[1500], err[400];
    int idx, n;
    uint64_t size;
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (char)(i * 7);
    }
    archive_writer_init(&w, mem_write, &m);
    put(&w, "a.txt", "hello", 5);
    put(&w, "empty", "", 0);
    put(&w, "b.bin", big, sizeof(big));
    put(&w, "dir/c.pem", big, 512);
    CHECK_EQ_INT(archive_writer_finish(&w), ACDL_OK);
    CHECK_EQ_INT(m.len, archive_entry_bytes(5) + archive_entry_bytes(0) +
                            archive_entry_bytes(sizeof(big)) + archive_entry_bytes(512) +
                            archive_end_bytes());
    CHECK_EQ_INT(m.len % 512, 0);
    /* a ustar header: magic, octal size, checksum */
    CHECK(memcmp(m.buf + 257, "ustar\0" "00", 8) == 0);
    CHECK(memcmp(m.buf + 124, "00000000005", 11) == 0);

    archive_reader_init(&r, mem_read, &m, test_rules, 4);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 1);
    CHECK_EQ_INT(idx, 0);
    CHECK_EQ_INT(size, 5);
    char got[2000];
    size_t g = 0;
    CHECK_EQ_INT(archive_reader_data(&r, got, sizeof(got), &g, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(g, 5);
    CHECK(memcmp(got, "hello", 5) == 0);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 1);
    CHECK_EQ_INT(idx, 2);
    CHECK_EQ_INT(size, 0);
    /* b.bin is read in pieces; c.pem is skipped unread */
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 1);
    CHECK_EQ_INT(size, sizeof(big));
    size_t total = 0;
    do {
        CHECK_EQ_INT(archive_reader_data(&r, got + total, 333, &g, err, sizeof(err)), ACDL_OK);
        total += g;
    } while (g > 0 && total < sizeof(got));
    CHECK_EQ_INT(total, sizeof(big));
    CHECK(memcmp(got, big, sizeof(big)) == 0);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 1);
    CHECK_EQ_INT(idx, 3);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 0);
    CHECK_EQ_INT(read_all(&m, err, sizeof(err), &n), 0);
    CHECK_EQ_INT(n, 4);

    /* GNU tar pads to 10240-byte records: trailing zeros are fine */
    unsigned char zeros[4096] = {0};
    mem_write(&m, zeros, sizeof(zeros));
    CHECK_EQ_INT(read_all(&m, err, sizeof(err), &n), 0);
    free(m.buf);
}

static void test_archive_large_size(void)
{
    struct mem m = {0};
    struct archive_writer w;
    struct archive_reader r;
    char err[400];
    int idx;
    uint64_t size, nine = 9ULL << 30;
    archive_writer_init(&w, mem_write, &m);
    /* past 8 GiB the size is base-256; the content is then missing: cut short */
    CHECK_EQ_INT(archive_writer_begin(&w, "b.bin", nine, 1), ACDL_OK);
    CHECK_EQ_INT(m.buf[124], 0x80);
    CHECK_EQ_INT(archive_writer_data(&w, "x", 1), ACDL_OK);
    CHECK_EQ_INT(archive_writer_finish(&w), ACDL_EINVAL); /* the entry is not complete */
    archive_reader_init(&r, mem_read, &m, test_rules, 4);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), 1);
    CHECK_EQ_INT(size, nine);
    CHECK_EQ_INT(archive_reader_next(&r, &idx, &size, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "cut short");
    /* more than declared is refused by the writer */
    struct archive_writer w2;
    struct mem m2 = {0};
    archive_writer_init(&w2, mem_write, &m2);
    CHECK_EQ_INT(archive_writer_begin(&w2, "a.txt", 2, 1), ACDL_OK);
    CHECK_EQ_INT(archive_writer_data(&w2, "abc", 3), ACDL_EINVAL);
    CHECK_EQ_INT(archive_writer_begin(&w2, "", 2, 1), ACDL_EINVAL);
    free(m.buf);
    free(m2.buf);
}

/* A valid two-entry archive into m. */
static void good_archive(struct mem *m)
{
    struct archive_writer w;
    memset(m, 0, sizeof(*m));
    archive_writer_init(&w, mem_write, m);
    put(&w, "a.txt", "hello", 5);
    put(&w, "dir/c.pem", "pem", 3);
    archive_writer_finish(&w);
}

/* Recomputes the checksum of the header at off after a test changed it. */
static void fix_checksum(struct mem *m, size_t off)
{
    unsigned long sum = 0;
    char num[16];
    memset(m->buf + off + 148, ' ', 8);
    for (int i = 0; i < 512; i++) {
        sum += m->buf[off + i];
    }
    snprintf(num, sizeof(num), "%06lo", sum);
    memcpy(m->buf + off + 148, num, 7);
}

static void expect_bad(struct mem *m, const char *what)
{
    char err[400];
    int n;
    CHECK_EQ_INT(read_all(m, err, sizeof(err), &n), ACDL_EINVAL);
    if (!CHECK_CONTAINS(err, what)) {
        fprintf(stdout, "  (wanted an error about '%s')\n", what);
    }
}

static void test_archive_bad(void)
{
    struct mem m;
    /* one flipped bit anywhere in a header: wrong checksum */
    good_archive(&m);
    m.buf[10] ^= 1;
    expect_bad(&m, "wrong checksum");
    free(m.buf);
    /* names outside the fixed set, path tricks */
    const char *names[] = {"../a.txt", "/a.txt", "a.txt/", "A.TXT", "./a.txt", "dir/../a.txt"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        good_archive(&m);
        memset(m.buf, 0, 100);
        memcpy(m.buf, names[i], strlen(names[i]));
        fix_checksum(&m, 0);
        expect_bad(&m, "is not expected here");
        free(m.buf);
    }
    /* a prefix field (ustar's long paths) */
    good_archive(&m);
    memcpy(m.buf + 345, "etc", 3);
    fix_checksum(&m, 0);
    expect_bad(&m, "path prefix");
    free(m.buf);
    /* links, folders, devices */
    const char types[] = {'1', '2', '3', '5', '6', 'L', 'x'};
    for (size_t i = 0; i < sizeof(types); i++) {
        good_archive(&m);
        m.buf[156] = (unsigned char)types[i];
        fix_checksum(&m, 0);
        expect_bad(&m, "not a regular file");
        free(m.buf);
    }
    /* the same name twice */
    good_archive(&m);
    memset(m.buf + 1024, 0, 100);
    memcpy(m.buf + 1024, "a.txt", 5);
    fix_checksum(&m, 1024);
    expect_bad(&m, "twice");
    free(m.buf);
    /* over the size limit (dir/c.pem allows 600) */
    good_archive(&m);
    memcpy(m.buf + 1024 + 124, "00000001131", 11);
    fix_checksum(&m, 1024);
    expect_bad(&m, "at most 600");
    free(m.buf);
    /* a malformed size, a negative base-256 size */
    good_archive(&m);
    memcpy(m.buf + 124, "0000000009x", 11);
    fix_checksum(&m, 0);
    expect_bad(&m, "malformed size");
    free(m.buf);
    good_archive(&m);
    memset(m.buf + 124, 0xff, 12);
    fix_checksum(&m, 0);
    expect_bad(&m, "malformed size");
    free(m.buf);
    /* not ustar */
    good_archive(&m);
    memcpy(m.buf + 257, "nope\0\0\0\0", 8);
    fix_checksum(&m, 0);
    expect_bad(&m, "not a ustar header");
    free(m.buf);
    /* garbage in the padding */
    good_archive(&m);
    m.buf[512 + 7] = 'x';
    expect_bad(&m, "padding");
    free(m.buf);
    /* cut short: in an entry, before the end marker, inside the end marker */
    good_archive(&m);
    m.len = 512 + 3;
    expect_bad(&m, "missing");
    m.len = 2048;
    expect_bad(&m, "without its end marker");
    m.len = 2048 + 512;
    expect_bad(&m, "not followed by a second");
    m.len = 2048 + 100;
    expect_bad(&m, "inside a header");
    free(m.buf);
    /* data after the end */
    good_archive(&m);
    mem_write(&m, "trailing", 8);
    expect_bad(&m, "after its end marker");
    free(m.buf);
    /* a required entry missing */
    struct archive_writer w;
    memset(&m, 0, sizeof(m));
    archive_writer_init(&w, mem_write, &m);
    put(&w, "empty", "", 0);
    archive_writer_finish(&w);
    expect_bad(&m, "has no 'a.txt'");
    free(m.buf);
    /* nothing at all */
    memset(&m, 0, sizeof(m));
    expect_bad(&m, "without its end marker");
}

/* --- backup and restore --- */

/* Makes a data folder at dir with a database migrated to `version` (0: newest), a user and a
 * sealed secret in it, and a key file. */
static void make_data_dir(const char *dir, int version, char *sealed_out, size_t sealedsz)
{
    char path[700], err[400], *sealed = NULL;
    struct secret_key *k = NULL;
    sqlite3 *db = NULL;
    CHECK_EQ_INT(plat_mkdir_p(dir, 1), ACDL_OK);
    snprintf(path, sizeof(path), "%s/acdlink.db", dir);
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    CHECK_EQ_INT(store_migrate(db, schema_files, version ? (size_t)version : schema_count, err,
                               sizeof(err)),
                 ACDL_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "INSERT INTO users (name, role, password_hash, created_at, "
                                  "updated_at) VALUES ('old-admin', 'admin', 'x', 1, 1)",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    CHECK_EQ_INT(secret_key_load(path, &k, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(secret_seal(k, "sources/1/password", "canary-pw", 9, &sealed), ACDL_OK);
    if (sealed) {
        snprintf(sealed_out, sealedsz, "%s", sealed);
    }
    free(sealed);
    secret_key_free(k);
    /* kept open (WAL and all) while the backup is taken, like a running daemon */
    sqlite3_exec(db, "INSERT INTO audit (ts, actor, actor_kind, client, action, target, outcome) "
                     "VALUES (1, 'x', 'system', 'local', 'test', 'wal', 'ok')",
                 NULL, NULL, NULL);
    sqlite3_close(db);
}

static long long q_int(const char *dbpath, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -999;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* 1 when dir holds a leftover staging folder (.restore-*) or snapshot (.backup-*). */
static int has_staging(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)) != NULL) {
        found |= !strncmp(e->d_name, ".restore-", 9) || !strncmp(e->d_name, ".backup-", 8);
    }
    if (d) {
        closedir(d);
    }
    return found;
}

static int file_read(void *ctx, void *buf, size_t len, size_t *got)
{
    *got = fread(buf, 1, len, (FILE *)ctx);
    return ACDL_OK;
}

static int restore_file(const char *archive, const char *dir, int force,
                        struct backup_restore_result *res, char *err, size_t errsz)
{
    struct backup_restore_opts o = {dir, NULL, force};
    FILE *f = fopen(archive, "rb");
    if (!f) {
        snprintf(err, errsz, "cannot open %s", archive);
        return ACDL_EIO;
    }
    int rc = backup_restore(file_read, f, &o, res, err, errsz);
    fclose(f);
    return rc;
}

static void test_backup_old_schema_restored_and_migrated(void)
{
    char src[600], dst[600], archive[700], err[1400], path[700], sealed[512] = "";
    struct acdl_config cfg;
    struct backup_restore_result res;
    snprintf(src, sizeof(src), "%s/old", tmp);
    snprintf(dst, sizeof(dst), "%s/restored", tmp);
    snprintf(archive, sizeof(archive), "%s/old.tar", tmp);
    make_data_dir(src, 3, sealed, sizeof(sealed)); /* users .. sources, no runs yet */
    config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", src);
    if (!CHECK_EQ_INT(backup_to_file(&cfg, archive, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "  %s\n", err);
        return;
    }
    /* the backup is recorded in the source's audit log; the snapshot file is gone */
    snprintf(path, sizeof(path), "%s/acdlink.db", src);
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM audit WHERE action = 'backup.create'"), 1);
    CHECK(!has_staging(src));
    /* the backup did not migrate the live database (its daemon may be older) */
    CHECK_EQ_INT(q_int(path, "PRAGMA user_version"), 3);

    int rc = restore_file(archive, dst, 0, &res, err, sizeof(err));
    if (!CHECK_EQ_INT(rc, ACDL_OK)) {
        fprintf(stdout, "  %s\n", err);
        return;
    }
    CHECK_EQ_INT(res.schema_from, 3);
    CHECK_EQ_INT(res.schema_to, store_schema_version());
    CHECK_EQ_STR(res.manifest.product_version, ACDLINK_VERSION);
    CHECK_EQ_INT(res.tls, 0);
    snprintf(path, sizeof(path), "%s/acdlink.db", dst);
    CHECK_EQ_INT(q_int(path, "PRAGMA user_version"), store_schema_version());
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM users WHERE name = 'old-admin'"), 1);
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM runs"), 0); /* table of migration 4 */
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM audit WHERE target = 'wal'"), 1);
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM audit WHERE action = 'backup.restore'"), 1);
    /* the restored key opens what the old one sealed */
    struct secret_key *k = NULL;
    char *plain = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/secret.key", dst);
    CHECK_EQ_INT(secret_key_load(path, &k, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(secret_open(k, "sources/1/password", sealed, &plain, &len), ACDL_OK);
    CHECK_EQ_STR(plain, "canary-pw");
    secret_wipe(plain, len);
    secret_key_free(k);
    CHECK(!has_staging(dst));

    /* a second restore into the now non-empty folder is refused, --force replaces */
    rc = restore_file(archive, dst, 0, &res, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_EEXIST);
    CHECK_CONTAINS(err, "--force");
    rc = restore_file(archive, dst, 1, &res, err, sizeof(err));
    CHECK_EQ_INT(rc, ACDL_OK);
    snprintf(path, sizeof(path), "%s/acdlink.db", dst);
    CHECK_EQ_INT(q_int(path, "SELECT count(*) FROM audit WHERE action = 'backup.restore'"), 1);
}

/* Writes an archive with a manifest describing the given db and key contents. */
static void forged_backup(const char *path, const void *db, size_t dblen, int schema,
                          const char *extra_name)
{
    struct mem m = {0};
    struct archive_writer w;
    unsigned char h[32];
    char dbsha[65], keysha[65], manifest[1500];
    static const char key[] = "acdlink-secret-key-v1\n0123456789abcdef0123456789abcdef";
    size_t keylen = sizeof(key) - 1;
    crypto_sha256(db, dblen, h);
    for (int i = 0; i < 32; i++) {
        snprintf(dbsha + 2 * i, 3, "%02x", h[i]);
    }
    crypto_sha256(key, keylen, h);
    for (int i = 0; i < 32; i++) {
        snprintf(keysha + 2 * i, 3, "%02x", h[i]);
    }
    snprintf(manifest, sizeof(manifest),
             "{\"format\":\"acdlink-backup\",\"format_version\":1,\"product_version\":\"9.9\","
             "\"schema_version\":%d,\"created_at\":\"2026-01-01T00:00:00Z\",\"files\":["
             "{\"name\":\"acdlink.db\",\"size\":%zu,\"sha256\":\"%s\"},"
             "{\"name\":\"secret.key\",\"size\":%zu,\"sha256\":\"%s\"}]}",
             schema, dblen, dbsha, keylen, keysha);
    archive_writer_init(&w, mem_write, &m);
    put(&w, "manifest.json", manifest, strlen(manifest));
    put(&w, "acdlink.db", db, dblen);
    put(&w, "secret.key", key, keylen);
    if (extra_name) {
        put(&w, extra_name, "x", 1);
    }
    archive_writer_finish(&w);
    check_write_file(path, (const char *)m.buf, m.len);
    free(m.buf);
}

static void test_restore_refuses_bad_backups(void)
{
    char dir[600], archive[700], err[1400], path[700], good[700], sealed[512];
    struct backup_restore_result res;
    struct acdl_config cfg;
    size_t dblen = 0;
    snprintf(dir, sizeof(dir), "%s/target", tmp);
    snprintf(archive, sizeof(archive), "%s/bad.tar", tmp);
    snprintf(good, sizeof(good), "%s/good.tar", tmp);

    /* a real backup, cut short and with one flipped byte in the database */
    char src[600];
    snprintf(src, sizeof(src), "%s/src2", tmp);
    make_data_dir(src, 0, sealed, sizeof(sealed));
    config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", src);
    CHECK_EQ_INT(backup_to_file(&cfg, good, err, sizeof(err)), ACDL_OK);
    size_t len = 0;
    char *bytes = check_read_file(good, &len);
    if (!CHECK(bytes != NULL && len > 4096)) {
        free(bytes);
        return;
    }
    check_write_file(archive, bytes, len / 2);
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "cut short");
    CHECK(!plat_path_exists(dir)); /* a fresh target that failed is not left behind */
    bytes[2048 + 600] ^= 0x20;      /* inside acdlink.db */
    check_write_file(archive, bytes, len);
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "does not match the SHA-256");
    CHECK(!plat_path_exists(dir));
    free(bytes);

    /* manifest, SHA-256 all fine, but the database is not SQLite, or is newer than us */
    forged_backup(archive, "this is not a database at all, not even close........", 54, 6,
                  NULL);
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "database in the archive is damaged");
    snprintf(path, sizeof(path), "%s/newer.db", tmp);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA user_version = 999", NULL, NULL, NULL);
    sqlite3_close(db);
    char *newer = check_read_file(path, &dblen);
    forged_backup(archive, newer, dblen, 999, NULL);
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_ENEWER);
    CHECK_CONTAINS(err, "install 9.9 or newer");
    /* the manifest's schema disagrees with the database */
    forged_backup(archive, newer, dblen, 5, NULL);
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "manifest says 5");
    /* an entry the manifest does not list */
    forged_backup(archive, newer, dblen, 999, "tls/cert.pem");
    CHECK_EQ_INT(restore_file(archive, dir, 0, &res, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "does not list");
    free(newer);

    /* an existing folder restored with --force from a bad archive keeps every byte */
    char before_path[700];
    size_t blen = 0, alen = 0;
    snprintf(before_path, sizeof(before_path), "%s/acdlink.db", src);
    char *before = check_read_file(before_path, &blen);
    CHECK_EQ_INT(restore_file(archive, src, 1, &res, err, sizeof(err)), ACDL_EINVAL);
    char *after = check_read_file(before_path, &alen);
    CHECK(before && after && blen == alen && memcmp(before, after, blen) == 0);
    CHECK_EQ_INT(plat_dir_is_empty(src, NULL), 0);
    free(before);
    free(after);
    CHECK(!has_staging(src));
    CHECK_EQ_INT(restore_file(good, src, 1, &res, err, sizeof(err)), ACDL_OK);
    CHECK(!has_staging(src));
}

static void test_manifest_parse(void)
{
    struct backup_manifest m;
    char err[400];
    const char *ok = "{\"format\":\"acdlink-backup\",\"format_version\":1,\"product_version\":"
                     "\"0.1.0\",\"schema_version\":6,\"created_at\":\"x\",\"files\":[]}";
    CHECK_EQ_INT(backup_manifest_parse(ok, strlen(ok), &m, err, sizeof(err)), ACDL_OK);
    CHECK_EQ_INT(m.schema_version, 6);
    const char *bad[] = {
        "[]",
        "{\"format\":\"tar\",\"format_version\":1,\"product_version\":\"1\",\"schema_version\":6,"
        "\"created_at\":\"x\",\"files\":[]}",
        "{\"format\":\"acdlink-backup\",\"format_version\":1,\"product_version\":\"1\","
        "\"schema_version\":6,\"created_at\":\"x\",\"files\":[],\"extra\":1}",
        "{\"format\":\"acdlink-backup\",\"format_version\":1,\"product_version\":\"1\","
        "\"schema_version\":6,\"created_at\":\"x\",\"files\":[{\"name\":\"../etc/passwd\","
        "\"size\":1,\"sha256\":\"" "0000000000000000000000000000000000000000000000000000000000000000"
        "\"}]}",
        "{\"format\":\"acdlink-backup\",\"format_version\":1,\"product_version\":\"1\","
        "\"schema_version\":6,\"created_at\":\"x\",\"files\":[{\"name\":\"secret.key\","
        "\"size\":1,\"sha256\":\"xyz\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_INT(backup_manifest_parse(bad[i], strlen(bad[i]), &m, err, sizeof(err)),
                     ACDL_EINVAL);
        CHECK_CONTAINS(err, "manifest.json");
    }
}

int main(void)
{
    if (check_tmpdir("backup", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 1;
    }
    RUN(test_archive_roundtrip);
    RUN(test_archive_large_size);
    RUN(test_archive_bad);
    RUN(test_manifest_parse);
    RUN(test_backup_old_schema_restored_and_migrated);
    RUN(test_restore_refuses_bad_backups);
    check_tmpdir_done(tmp);
    return check_summary();
}
