/* cmd_xlink.h: `acdlink import-xlink DIR [--dry-run] [--time-zone ZONE] [--json]`. */
#ifndef ACDL_CMD_XLINK_H
#define ACDL_CMD_XLINK_H

#include "config/config.h"

/* Converts the Xlink files in dir into the data folder of cfg (or only plans, with dry_run)
 * and prints the report (as JSON with json). Returns the exit code: 0 done, 1 failed, 2 bad
 * input. */
int cmd_import_xlink(const struct acdl_config *cfg, const char *dir, int dry_run,
                     const char *time_zone, int json);

#endif
