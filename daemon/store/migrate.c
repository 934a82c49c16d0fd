/* migrate.c: numbered, append-only schema migrations, one transaction each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/staged.h"
#include "store/store.h"

/* "0001_foundation.sql" -> 1; -1 when the name is not NNNN_*.sql. */
static int migration_number(const char *name)
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return -1;
        }
        n = n * 10 + (name[i] - '0');
    }
    size_t len = strlen(name);
    if (name[4] != '_' || len < 9 || strcmp(name + len - 4, ".sql") != 0) {
        return -1;
    }
    return n;
}

/* A migration that rebuilds tables (new table, copy, drop, rename) must run with foreign keys
 * off, or dropping a table would delete or refuse its children; SQLite ignores the pragma
 * inside a transaction, so the file asks for it on a line of its own. */
#define FK_OFF_MARK "\n-- acdlink: foreign_keys=off\n"

/* After a migration with foreign keys off: ACDL_OK when every reference still resolves,
 * otherwise ACDL_EDB with the first broken one in err. */
static int check_foreign_keys(sqlite3 *db, char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rc = ACDL_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "cannot check foreign keys: %s", sqlite3_errmsg(db));
        return ACDL_EDB;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const unsigned char *table = sqlite3_column_text(st, 0);
        const unsigned char *parent = sqlite3_column_text(st, 2);
        snprintf(err, errsz, "row %lld of %s refers to a missing row of %s",
                 (long long)sqlite3_column_int64(st, 1), table ? (const char *)table : "?",
                 parent ? (const char *)parent : "?");
        rc = ACDL_EDB;
    } else if (step != SQLITE_DONE) {
        snprintf(err, errsz, "cannot check foreign keys: %s", sqlite3_errmsg(db));
        rc = ACDL_EDB;
    }
    sqlite3_finalize(st);
    return rc;
}

int store_schema_version(void)
{
    int max = 0;
    for (size_t i = 0; i < schema_count; i++) {
        int n = migration_number(schema_files[i].name);
        if (n > max) {
            max = n;
        }
    }
    return max;
}

int store_migrate(sqlite3 *db, const struct embedded_file *files, size_t n, char *err,
                  size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int current = 0, known = 0;
    char *msg = NULL;

    /* migrations may use the staged layout's functions (0007 converts per-value rows) */
    if (staged_register(db) != ACDL_OK) {
        snprintf(err, errsz, "cannot register SQL functions: %s", sqlite3_errmsg(db));
        return ACDL_EDB;
    }

    for (size_t i = 0; i < n; i++) {
        int num = migration_number(files[i].name);
        if (num <= 0) {
            snprintf(err, errsz, "schema file '%s' is not named NNNN_description.sql",
                     files[i].name);
            return ACDL_EINVAL;
        }
        if (num != (int)i + 1) {
            snprintf(err, errsz, "schema migrations must be numbered 1, 2, 3 ... without gaps; "
                                 "found '%s' at position %zu", files[i].name, i + 1);
            return ACDL_EINVAL;
        }
        known = num;
    }
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errsz, "cannot read the schema version: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return ACDL_EDB;
    }
    current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (current < 0) {
        snprintf(err, errsz, "the database has an invalid schema version %d: it was not written "
                             "by acdlink; restore a backup", current);
        return ACDL_EINVAL;
    }
    if (current > known) {
        snprintf(err, errsz,
                 "the database has schema version %d but this acdlink knows only up to %d: it "
                 "was written by a newer acdlink; install that version or restore a backup",
                 current, known);
        return ACDL_ENEWER;
    }
    for (size_t i = (size_t)current; i < n; i++) {
        char sql[64], fkerr[300] = "";
        int fk_off = strstr((const char *)files[i].data, FK_OFF_MARK) != NULL;
        if (fk_off && sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, &msg) != SQLITE_OK) {
            goto fail;
        }
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
            goto fail;
        }
        if (sqlite3_exec(db, (const char *)files[i].data, NULL, NULL, &msg) != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (fk_off && check_foreign_keys(db, fkerr, sizeof(fkerr)) != ACDL_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (fk_off) {
            sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        }
        log_info("store", "applied schema migration %s", files[i].name);
        continue;
    fail:
        if (fk_off) {
            sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        }
        snprintf(err, errsz, "schema migration %s failed: %s", files[i].name,
                 fkerr[0] ? fkerr : msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return ACDL_EDB;
    }
    return ACDL_OK;
}
