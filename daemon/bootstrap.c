/* bootstrap.c: the first admin of a new installation and its one-time password file. */
#include "bootstrap.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "platform/platform.h"
#include "store/audit.h"
#include "store/users.h"

int bootstrap_first_admin(const char *data_dir, struct store *st)
{
    int64_t n = 0;
    char pw[64], phc[CRYPTO_PHC_MAX], path[1100], text[128];
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
