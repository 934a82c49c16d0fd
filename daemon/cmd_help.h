/* cmd_help.h: `acdlink SUBCOMMAND --help` and `acdlink help SUBCOMMAND`. */
#ifndef ACDL_CMD_HELP_H
#define ACDL_CMD_HELP_H
#include <stdio.h>

/* Prints the usage of the subcommand name to out. Returns 0, or ACDL_ENOTFOUND for a name
 * that is no subcommand. */
int cmd_help_print(const char *name, FILE *out);

/* 1 when the arguments ask for help (--help or -h), 0 otherwise. */
int cmd_help_asked(int argc, char **argv);

#endif
