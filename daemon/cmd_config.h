/* cmd_config.h: `acdlink config export|apply`: the whole setup as JSON, for keeping it as
 * code (see http/setup.h for the document). */
#ifndef ACDL_CMD_CONFIG_H
#define ACDL_CMD_CONFIG_H

#include "config/config.h"

/* Writes the document of cfg's data folder to output ("-" or NULL: standard output).
 * Returns the exit code: 0, or 1 on failure. */
int cmd_config_export(const struct acdl_config *cfg, const char *output);

/* Applies the document in file ("-": standard input) with SETUP_* flags, printing every
 * change to stdout. Returns the exit code: 0 applied, 1 refused part-way, 2 unreadable or
 * malformed document (nothing changed). */
int cmd_config_apply(const struct acdl_config *cfg, const char *file, int flags);

#endif
