/* cmd_token.h: `acdlink token create NAME --role ROLE [--owner USER] [--expires DAYS]`. */
#ifndef ACDL_CMD_TOKEN_H
#define ACDL_CMD_TOKEN_H

#include "config/config.h"

struct cmd_token_args {
    const char *name, *role; /* checked by the caller */
    const char *owner;       /* NULL: the oldest enabled admin */
    int expires_days;        /* 0: never */
};

/* Makes the token in cfg's data folder (the daemon may be running on it), records it in the
 * audit log and prints its secret on standard output. Returns the exit code: 0 or 1. */
int cmd_token_create(const struct acdl_config *cfg, const struct cmd_token_args *a);

#endif
