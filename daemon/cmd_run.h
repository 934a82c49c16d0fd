/* cmd_run.h: `acdlink run --source NAME --from YYYY-MM-DD --to YYYY-MM-DD [--zero-fill]
 * [--reread]`. */
#ifndef ACDL_CMD_RUN_H
#define ACDL_CMD_RUN_H

#include "config/config.h"

/* Imports source for the local days from..to in this process; prints the run's log to stderr
 * and a summary to stdout. Returns the exit code: 0 done, 1 failed or cancelled, 2 usage. */
int cmd_run(const struct acdl_config *cfg, const char *source, const char *from, const char *to,
            int zero_fill);

#endif
