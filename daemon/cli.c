/* cli.c: opening a data folder for the command-line tools. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "bootstrap.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "ops/backup.h"
#include "platform/platform.h"
#include "store/store.h"

int cli_app_open(const struct acdl_config *cfg, struct app *app, char *err, size_t errsz)
{
    char path[1100];
    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    app->started_at = plat_now();
    snprintf(path, sizeof(path), "%s/acdlink.db", cfg->data_dir);
    if (!plat_path_exists(path)) {
        snprintf(err, errsz, "no database in %s (start the daemon once, or pass --data-dir)",
                 cfg->data_dir);
        return ACDL_ENOTFOUND;
    }
    snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, RESTORE_JOURNAL);
    if (plat_path_exists(path)) {
        snprintf(err, errsz,
                 "a restore into %s was stopped part-way: start the daemon (or run "
                 "the restore again) to finish it first",
                 cfg->data_dir);
        return ACDL_ECONFLICT;
    }
    int rc = bootstrap_check_database(cfg->data_dir, 0, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    snprintf(path, sizeof(path), "%s/acdlink.db", cfg->data_dir);
    rc = store_open(path, 2, &app->store, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (cfg->secret_key_file[0]) {
        snprintf(path, sizeof(path), "%s", cfg->secret_key_file);
    } else {
        snprintf(path, sizeof(path), "%s/secret.key", cfg->data_dir);
    }
    rc = bootstrap_secret_key(app->store, path, 0, &app->secrets, err, errsz);
    if (rc != ACDL_OK) {
        cli_app_close(app);
    }
    return rc;
}

void cli_app_close(struct app *app)
{
    secret_key_free(app->secrets);
    store_close(app->store);
    app->secrets = NULL;
    app->store = NULL;
}

void cli_odbc_guard(const struct acdl_config *cfg)
{
    const char *hidden[] = {cfg->data_dir, cfg->secret_key_file, cfg->tls_cert,
                            cfg->tls_key,  cfg->config_file,     cfg->log_file};
    int rc = ACDL_EPERM;
#ifdef ACDLINK_TEST_CLOCK
    /* test builds: the fallback of a system without Landlock, on demand */
    if (!getenv("ACDL_TEST_NO_SANDBOX"))
#endif
        rc = odbc_client_guard(hidden, sizeof(hidden) / sizeof(hidden[0]));
    if (rc == ACDL_OK) {
        log_info("odbc",
                 "ODBC drivers run on threads that cannot read %s or the key, TLS, config and "
                 "log files",
                 cfg->data_dir);
    } else {
        log_warn("odbc",
                 "this system cannot keep ODBC drivers from the daemon's files (%s): sources "
                 "through MariaDB's driver may connect only to a DSN",
                 rc == ACDL_EPERM ? "no Linux Landlock" : acdl_strerror(rc));
    }
}
