/* cmd_help.c: the usage text of each subcommand (`acdlink SUBCOMMAND --help`). The manual
 * pages in docs/man/ say the same at length; tests/api/cli-help.test.mjs keeps the options of
 * both in step. */
#include "cmd_help.h"

#include <string.h>

#include "core/err.h"

struct cmd_help {
    const char *name;
    const char *text;
};

static const struct cmd_help helps[] = {
    {"serve",
     "Usage: acdlink serve [--console] [--config FILE] [--data-dir DIR] [--listen ADDR:PORT]\n"
     "                     [--start-fresh] [--forget-secrets] [SETTINGS]\n"
     "       acdlink serve --service [SETTINGS]\n\n"
     "Runs the daemon in the foreground: console and REST API on HTTPS (a self-signed\n"
     "certificate in DIR/tls unless --tls-cert/--tls-key), or HTTP with --plain-http.\n\n"
     "  --console         run in the foreground (the default)\n"
     "  --service         run under the Windows service manager\n"
     "  --start-fresh     begin a new installation when DIR's database was lost\n"
     "  --forget-secrets  clear stored secrets the key file cannot open (enter them again)\n"},
    {"service",
     "Usage: acdlink service install [SETTINGS]\n"
     "       acdlink service remove\n\n"
     "Registers and starts (install) or stops and removes (remove) the Windows service; the\n"
     "SETTINGS are added to the service's command line. Needs an administrator. On Linux,\n"
     "systemd runs 'acdlink serve'.\n"},
    {"user",
     "Usage: acdlink user add NAME --role admin|operator|viewer --password-stdin [SETTINGS]\n"
     "       acdlink user passwd NAME --password-stdin [SETTINGS]\n\n"
     "Creates a user (add) or sets a user's password and enables the account again (passwd).\n"
     "The password is the first line of standard input, never a command-line argument.\n\n"
     "  --role ROLE       admin, operator or viewer (add only)\n"
     "  --password-stdin  read the password from standard input\n"},
    {"token",
     "Usage: acdlink token create NAME --role admin|operator|viewer [--owner USER]\n"
     "                            [--expires DAYS] [SETTINGS]\n\n"
     "Makes a named API token for automation and prints its secret once on standard output\n"
     "(send it as 'Authorization: Bearer SECRET'). The token acts with the lower of its role\n"
     "and its owner's, and stops when the owner is disabled or deleted. The daemon may be\n"
     "running on the same data folder. The creation is recorded in the audit log.\n\n"
     "  --role ROLE       admin, operator or viewer\n"
     "  --owner USER      the user the token belongs to (default: the oldest enabled admin)\n"
     "  --expires DAYS    the token stops working after DAYS days (1 to 3650; default: never)\n"},
    {"run",
     "Usage: acdlink run --source NAME --from YYYY-MM-DD --to YYYY-MM-DD [--zero-fill] "
     "[--reread]\n"
     "                   [SETTINGS]\n\n"
     "Imports a source for a period of its local days in this process, prints the run's log\n"
     "on standard error and a summary on standard output. Exit code 0: done; 1: failed.\n\n"
     "  --source NAME     the source to import\n"
     "  --from DATE       the first local day\n"
     "  --to DATE         the last local day\n"
     "  --zero-fill       intervals of the period without data become 0\n"
     "  --reread          CSV files imported before are read again; the period's days they\n"
     "                    hold replace what was staged\n"},
    {"backup",
     "Usage: acdlink backup FILE [SETTINGS]\n\n"
     "Writes a consistent backup (database, key file, certificate) to FILE, also while the\n"
     "daemon runs; - writes to standard output.\n"},
    {"restore",
     "Usage: acdlink restore FILE --data-dir DIR [--force] [SETTINGS]\n\n"
     "Restores a backup into an empty data folder; the daemon must not run on DIR. Older\n"
     "backups are migrated.\n\n"
     "  --data-dir DIR    the data folder to restore into\n"
     "  --force           replace what is in DIR\n"},
    {"import-xlink",
     "Usage: acdlink import-xlink DIR [--dry-run] [--time-zone ZONE] [--json] [SETTINGS]\n\n"
     "Converts an Xlink installation's isps_ul.ini, isps.cfg, acd_map.ini and $N.BAS files in\n"
     "DIR into sources, WFM queues and mappings, with a report of every key.\n\n"
     "  --dry-run         report only; change nothing\n"
     "  --time-zone ZONE  the IANA time zone of the ACD (default: this machine's)\n"
     "  --json            print the report as JSON\n"},
    {"config",
     "Usage: acdlink config export [--output FILE] [SETTINGS]\n"
     "       acdlink config apply FILE|- [--dry-run] [--prune [--cascade]] [SETTINGS]\n"
     "       acdlink config keys\n\n"
     "export and apply: the whole setup (value types, queues, activities, sources, targets,\n"
     "agents, activity codes, mappings, schedules) as JSON, the API's shapes with names\n"
     "instead of ids; apply creates and updates what differs. keys: every setting with its\n"
     "flag and variable.\n\n"
     "  --output FILE     write the export to FILE instead of standard output\n"
     "  --dry-run         report what apply would change; change nothing\n"
     "  --prune           also delete what the file does not name; a source or WFM queue\n"
     "                    that mappings, schedules or results use is refused (listed)\n"
     "  --cascade         with --prune: delete those with it (see what goes with --dry-run)\n"},
    {"version", "Usage: acdlink version\n\n"
                "Prints the version and the database schema version this binary uses.\n"},
    {"help", "Usage: acdlink help [SUBCOMMAND]\n"
             "       acdlink SUBCOMMAND --help\n\n"
             "Prints the overview, or one subcommand's usage.\n"},
};

static const char settings_note[] =
    "\nSETTINGS are --key value flags, ACDLINK_KEY variables or key = value lines in the\n"
    "config file; see 'acdlink config keys'.\n";

int cmd_help_print(const char *name, FILE *out)
{
    for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
        if (!strcmp(helps[i].name, name)) {
            fputs(helps[i].text, out);
            if (strstr(helps[i].text, "SETTINGS")) {
                fputs(settings_note, out);
            }
            return ACDL_OK;
        }
    }
    return ACDL_ENOTFOUND;
}

int cmd_help_asked(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            return 1;
        }
    }
    return 0;
}
