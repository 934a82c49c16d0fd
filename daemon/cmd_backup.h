/* cmd_backup.h: `acdlink backup FILE` and `acdlink restore FILE --data-dir DIR [--force]`. */
#ifndef ACDL_CMD_BACKUP_H
#define ACDL_CMD_BACKUP_H

#include "config/config.h"

/* Writes a backup of cfg's data folder to path ("-": standard output). Returns the exit code:
 * 0 done, 1 failed. */
int cmd_backup(const struct acdl_config *cfg, const char *path);

/* Restores the backup at path ("-": standard input) into cfg's data folder. Returns the exit
 * code: 0 done, 1 failed (nothing changed), 3 refused (not empty without force, or a daemon
 * runs on it). */
int cmd_restore(const struct acdl_config *cfg, const char *path, int force);

#endif
