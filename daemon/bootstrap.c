/* bootstrap.c: the first admin of a new installation and its one-time password file. */
#include "bootstrap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "platform/platform.h"
#include "store/audit.h"
#include "store/store.h"
#include "store/users.h"

int bootstrap_first_admin(const char *data_dir, struct store *st)
{
    int64_t n = 0;
    char pw[64], phc[CRYPTO_PHC_MAX], path[1100], text[128] = "";
    struct store_conn *c = store_acquire(st);
    int rc = store_user_count(c, &n);
    if (rc != ACDL_OK || n > 0) {
        goto out;
    }
    if ((rc = crypto_secret_new("", pw, sizeof(pw))) != ACDL_OK ||
        (rc = crypto_password_hash(pw, phc, sizeof(phc))) != ACDL_OK) {
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s", data_dir, BOOTSTRAP_PASSWORD_FILE);
    snprintf(text, sizeof(text), "%s\n", pw);
    if ((rc = plat_file_write_atomic(path, text, strlen(text), 1)) != ACDL_OK) {
        log_error("auth", "cannot write %s", path);
        goto out;
    }
    rc = store_user_add(c, BOOTSTRAP_ADMIN, "admin", phc, 0, plat_now(), NULL);
    if (rc == ACDL_OK) {
        store_audit_add(c, plat_now(), "acdlink", "system", "local", "user.create",
                        BOOTSTRAP_ADMIN, "ok", "{\"reason\":\"first start\"}");
        log_warn("auth",
                 "first start: created user '%s'; its password is in %s (readable only by "
                 "this service's user). Log in and change it; the file goes away then.",
                 BOOTSTRAP_ADMIN, path);
    }
out:
    memset(text, 0, sizeof(text));
    memset(pw, 0, sizeof(pw));
    store_release(st, c);
    return rc;
}

void bootstrap_password_changed(const char *data_dir, const char *user)
{
    char path[1100];
    if (strcmp(user, BOOTSTRAP_ADMIN) != 0) {
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", data_dir, BOOTSTRAP_PASSWORD_FILE);
    if (plat_path_exists(path) && plat_file_remove(path) == ACDL_OK) {
        log_info("auth", "removed %s: the password of '%s' was changed", path, user);
    }
}

/* Files that only an installation that has run makes (the database aside). */
static const char *const earlier_signs[] = {"secret.key", "tls", BOOTSTRAP_PASSWORD_FILE};

int bootstrap_check_database(const char *data_dir, int start_fresh, char *err, size_t errsz)
{
    char db[1100], path[1100], found[200] = "";
    size_t used = 0;
    snprintf(db, sizeof(db), "%s/acdlink.db", data_dir);
    if (plat_file_size(db) > 0) {
        return ACDL_OK;
    }
    for (size_t i = 0; i < sizeof(earlier_signs) / sizeof(earlier_signs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", data_dir, earlier_signs[i]);
        if (plat_path_exists(path) && used < sizeof(found)) {
            used += (size_t)snprintf(found + used, sizeof(found) - used, "%s%s", used ? ", " : "",
                                     earlier_signs[i]);
        }
    }
    if (!found[0]) {
        return ACDL_OK; /* a new installation */
    }
    if (!start_fresh) {
        snprintf(err, errsz,
                 "%s is %s, but %s holds files of an earlier installation (%s): its database "
                 "was lost. Restore it from a backup (acdlink restore BACKUP --data-dir %s "
                 "--force), or start once with --start-fresh to begin a new installation with "
                 "an empty database and a new first admin",
                 db, plat_path_exists(db) ? "empty" : "missing", data_dir, found, data_dir);
        return ACDL_ENOTFOUND;
    }
    /* the log of a lost database must not be applied to the new one */
    static const char *const stale[] = {"acdlink.db", "acdlink.db-wal", "acdlink.db-shm",
                                        BOOTSTRAP_PASSWORD_FILE};
    for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", data_dir, stale[i]);
        if (plat_file_remove(path) != ACDL_OK) {
            snprintf(err, errsz, "%s: cannot be removed", path);
            return ACDL_EIO;
        }
    }
    log_warn("store",
             "--start-fresh: %s was %s; starting a new installation (a new database "
             "and first admin) beside the earlier files (%s)",
             db, "missing or empty", found);
    return ACDL_OK;
}

/* One sealed secret: where it is stored and its text. */
struct sealed_ref {
    const char *select_sql, *clear_sql; /* constant: store_prepare() caches by address */
    const char *table, *aad_name;       /* bound to "TABLE/ID/NAME" */
};
static const struct sealed_ref sealed_refs[] = {
    {"SELECT id, password_sealed FROM sources WHERE password_sealed IS NOT NULL",
     "UPDATE sources SET password_sealed = NULL WHERE id = ?", "sources", "password"},
    {"SELECT id, secret_sealed FROM targets WHERE secret_sealed IS NOT NULL",
     "UPDATE targets SET secret_sealed = NULL WHERE id = ?", "targets", "secret"},
    {"SELECT id, secret_sealed FROM alert_channels WHERE secret_sealed IS NOT NULL",
     "UPDATE alert_channels SET secret_sealed = NULL WHERE id = ?", "alert_channels", "secret"},
};

/* Counts the sealed secrets (*total) and those k cannot open (*bad; all when k is NULL);
 * with forget, clears those k cannot open. */
static int sealed_check(struct store_conn *c, const struct secret_key *k, int forget,
                        int64_t *total, int64_t *bad)
{
    char aad[80];
    *total = *bad = 0;
    for (size_t t = 0; t < sizeof(sealed_refs) / sizeof(sealed_refs[0]); t++) {
        const struct sealed_ref *ref = &sealed_refs[t];
        sqlite3_stmt *s = store_prepare(c, ref->select_sql);
        if (!s) {
            return ACDL_EDB;
        }
        int64_t ids[256];
        int nids = 0, step;
        while ((step = sqlite3_step(s)) == SQLITE_ROW) {
            long long id = sqlite3_column_int64(s, 0);
            const char *text = (const char *)sqlite3_column_text(s, 1);
            char *plain = NULL;
            size_t len = 0;
            (*total)++;
            snprintf(aad, sizeof(aad), "%s/%lld/%s", ref->table, id, ref->aad_name);
            if (k && text && secret_open(k, aad, text, &plain, &len) == ACDL_OK) {
                secret_wipe(plain, len);
                continue;
            }
            (*bad)++;
            if (nids < (int)(sizeof(ids) / sizeof(ids[0]))) {
                ids[nids++] = id;
            }
        }
        store_done(s);
        if (step != SQLITE_DONE) {
            return ACDL_EDB;
        }
        if (!forget) {
            continue;
        }
        s = store_prepare(c, ref->clear_sql);
        for (int i = 0; s && i < nids; i++) {
            sqlite3_bind_int64(s, 1, ids[i]);
            if (sqlite3_step(s) != SQLITE_DONE) {
                store_done(s);
                return ACDL_EDB;
            }
            sqlite3_reset(s);
        }
        store_done(s);
        if (!s) {
            return ACDL_EDB;
        }
    }
    return ACDL_OK;
}

int bootstrap_secret_key(struct store *st, const char *key_path, int forget,
                         struct secret_key **out, char *err, size_t errsz)
{
    struct store_conn *c = store_acquire(st);
    struct secret_key *k = NULL;
    int64_t total = 0, bad = 0;
    int missing = !plat_path_exists(key_path);
    int rc;
    *out = NULL;
    if (missing) {
        if ((rc = sealed_check(c, NULL, 0, &total, &bad)) != ACDL_OK) {
            snprintf(err, errsz, "reading the stored secrets failed");
            goto out;
        }
        if (total > 0 && !forget) {
            snprintf(err, errsz,
                     "the key file %s is missing, but the database holds %lld secret%s sealed "
                     "with it (ODBC passwords, target API keys): put the key file back (from "
                     "the backup of this installation: acdlink restore, or its secret.key); if "
                     "it is lost for good, start once with --forget-secrets to make a new key "
                     "and clear those secrets, which must then be entered again",
                     key_path, (long long)total, total == 1 ? "" : "s");
            rc = ACDL_ENOTFOUND;
            goto out;
        }
    }
    if ((rc = secret_key_load(key_path, &k, err, errsz)) != ACDL_OK) {
        goto out;
    }
    if ((rc = sealed_check(c, k, 0, &total, &bad)) != ACDL_OK) {
        snprintf(err, errsz, "reading the stored secrets failed");
        goto out;
    }
    if (bad > 0 && !forget) {
        snprintf(err, errsz,
                 "the key file %s (key %s) does not open %lld of the %lld secret%s in the "
                 "database: it is not the key they were sealed with. Put back the key file of "
                 "this installation (from its backup); if it is lost for good, start once with "
                 "--forget-secrets to clear those secrets, which must then be entered again",
                 key_path, secret_key_id(k), (long long)bad, (long long)total,
                 total == 1 ? "" : "s");
        rc = ACDL_EAUTH;
        goto out;
    }
    if (bad > 0) {
        if ((rc = sealed_check(c, k, 1, &total, &bad)) != ACDL_OK) {
            snprintf(err, errsz, "clearing the stored secrets failed");
            goto out;
        }
        store_audit_add(c, plat_now(), "acdlink", "system", "local", "secrets.forget", key_path,
                        "ok", NULL);
        log_warn("crypto",
                 "--forget-secrets: cleared %lld stored secret%s that the key file %s "
                 "cannot open; enter them again (sources' ODBC passwords, targets' "
                 "API keys)",
                 (long long)bad, bad == 1 ? "" : "s", key_path);
    }
    *out = k;
    k = NULL;
out:
    secret_key_free(k);
    store_release(st, c);
    return rc;
}
