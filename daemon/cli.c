/* cli.c: opening a data folder for the command-line tools. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "bootstrap.h"
#include "core/err.h"
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
