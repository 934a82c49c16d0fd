/* cli.h: what the command-line tools (run, config) share: opening a data folder beside a
 * daemon that may be running on it. */
#ifndef ACDL_CLI_H
#define ACDL_CLI_H
#include <stddef.h>

#include "app.h"

/* Opens the database and the secrets key of cfg's data folder into app (zeroed first; cfg is
 * borrowed and must outlive app). Refuses a folder without a database: the daemon makes it.
 * Returns 0, or an ACDL_E* code with err. Close with cli_app_close(). */
int cli_app_open(const struct acdl_config *cfg, struct app *app, char *err, size_t errsz);

/* Keeps the ODBC drivers of this process from cfg's data folder and its key, TLS, config and log
 * files (odbc_client_guard) and logs which guard holds. Call once, before any connection. */
void cli_odbc_guard(const struct acdl_config *cfg);

/* Closes what cli_app_open() opened; accepts a zeroed app. */
void cli_app_close(struct app *app);

#endif
