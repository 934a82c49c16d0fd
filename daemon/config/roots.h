/* roots.h: the folders sources and targets may use (the allowed roots).
 *
 * Design: paths in source and target settings are privileges. Whoever runs the machine sets
 * import_roots and export_roots (bootstrap settings: config file, environment, flags; never
 * the API). Every folder a source reads, moves to or deletes in must lie inside an import root
 * and every folder a csv-export target writes to inside an export root, after the system has
 * resolved symbolic links. The data folder and everything in it is never allowed, even when a
 * root lies above it; the one exception is a root that is itself a folder inside the data
 * folder (the defaults DATA/import and DATA/export), whose contents are allowed. Folders that
 * directly hold the key file, the TLS files, the log file or the config file are never
 * allowed either. Checked when a setting is saved (the API answers 422) and again whenever a
 * folder or file is opened.
 *
 * Thread safety: roots_init() runs once before any thread starts; everything else only reads
 * and may be called from any thread. */
#ifndef ACDL_CONFIG_ROOTS_H
#define ACDL_CONFIG_ROOTS_H
#include <stddef.h>

#include "config/config.h"
#include "core/fspath.h"

enum roots_kind { ROOTS_IMPORT = 0, ROOTS_EXPORT = 1 };

#define ROOTS_MAX 16
#define ROOTS_PATH_MAX 1024

/* Takes the roots and the daemon's own paths from cfg (import_roots / export_roots; empty:
 * DATA/import and DATA/export). Returns 0, or ACDL_EINVAL with err naming the setting when a
 * root is not an absolute folder, is the data folder, or holds the daemon's own files. */
int roots_init(const struct acdl_config *cfg, char *err, size_t errsz);

/* Creates the roots that are missing (the defaults at first start), folders for everyone
 * running acdlink to use. Logs a warning for each that cannot be made. */
void roots_create(void);

/* The roots of kind as given (normalised, absolute): n in *n, borrowed until exit. */
const char *const *roots_list(enum roots_kind kind, int *n);

/* The roots of kind joined with ", " into out (for messages). */
void roots_describe(enum roots_kind kind, char *out, size_t outsz);

/* Checks folder (as written in a setting). On success writes the resolved folder into real
 * (may be NULL) and returns 0. Otherwise returns ACDL_EINVAL (not an absolute path, a ".."
 * name, ...) or ACDL_EPERM (outside the roots, in the data folder) with a sentence in why
 * that says where the folder may be, e.g. "is outside the allowed import folders
 * (import_roots): /srv/acd; ask whoever runs the machine to add a root". */
int roots_check_folder(enum roots_kind kind, const char *folder, char *real, size_t realsz,
                       char *why, size_t whysz);

/* Checks file (a file named in a setting, e.g. a target's CA file): after links are resolved
 * it must lie in a folder roots_check_folder() allows. Returns 0, or ACDL_EINVAL / ACDL_EPERM
 * with a sentence in why naming the file and the roots of kind. */
int roots_check_file(enum roots_kind kind, const char *file, char *why, size_t whysz);

/* Reads file after roots_check_file(), opened as source files are: its folder without
 * following a link at its end, the file itself only when it is (or a link leads to) a regular
 * file, and what was opened checked against the roots again. *out is new (free()), NUL-ended,
 * *len bytes. Returns 0; ACDL_EINVAL / ACDL_EPERM (not allowed, not a regular file),
 * ACDL_ENOTFOUND, ACDL_ETOOBIG (more than max bytes), ACDL_EIO or ACDL_ENOMEM, each with why. */
int roots_read_file(enum roots_kind kind, const char *file, size_t max, char **out, size_t *len,
                    char *why, size_t whysz);

/* The decision itself on resolved, normalised paths (pure; tests give it either flavour):
 * 0 when folder is allowed; ACDL_EPERM with *why (static text) when not. roots[0..n), data
 * (the data folder) and own[0..nown) (folders directly holding the daemon's files). */
int roots_decide(enum fspath_flavour fl, const char *folder, const char *const *roots, int n,
                 const char *data, const char *const *own, int nown, const char **why);

/* Splits a list of folders separated by ';' into out[0..max) (normalised with fl); *n gets
 * the count. Empty entries are skipped. Returns 0, or ACDL_EINVAL with why naming the entry. */
int roots_parse_list(enum fspath_flavour fl, const char *list, char (*out)[ROOTS_PATH_MAX], int max,
                     int *n, char *why, size_t whysz);

#endif
