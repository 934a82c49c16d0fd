/* fspath.h: the text rules of file system paths for both systems, whatever system runs.
 *
 * The allowed-roots checks (config/roots.c) compare folders as text after the system has
 * resolved them; these functions are pure (no file system access) and take the flavour as a
 * parameter, so the Windows rules (drive letters, UNC shares, mixed separators, case-blind
 * names) are tested on Linux too. */
#ifndef ACDL_CORE_FSPATH_H
#define ACDL_CORE_FSPATH_H
#include <stddef.h>

enum fspath_flavour { FSPATH_POSIX = 0, FSPATH_WINDOWS = 1 };

/* Writes the normal form of the absolute path `path` into out (outsz bytes): one separator
 * ('/' on POSIX, '\' on Windows, where '/' is read as '\' too) between names, no "." names,
 * no separator at the end except for a root, Windows drive letters in upper case ("C:\dir"),
 * UNC paths as "\\server\share\dir". Returns 0, or ACDL_EINVAL with why (a static text) when
 * the path is relative, holds a ".." name, a control character, or (Windows) a ':' after the
 * drive, a name ending in '.' or ' ', a device path (\\?\, \\.\) or a UNC path without a
 * share; ACDL_ETOOBIG when out is too small. */
int fspath_normalize(enum fspath_flavour fl, const char *path, char *out, size_t outsz,
                     const char **why);

/* 1 when the normalised path equals the normalised folder dir or lies below it (Windows:
 * compared without regard to ASCII case), else 0. */
int fspath_inside(enum fspath_flavour fl, const char *path, const char *dir);

/* The folder holding the normalised path (a root stays itself) into out. Returns 0 or
 * ACDL_ETOOBIG. */
int fspath_parent(enum fspath_flavour fl, const char *path, char *out, size_t outsz);

/* Length of the root of a normalised path: 1 for "/", 3 for "C:\", the length of
 * "\\server\share" for UNC paths; 0 when there is none. */
size_t fspath_root_len(enum fspath_flavour fl, const char *path);

/* Turns a Windows final path name (what the system reports for an open handle:
 * "\\?\C:\dir" or "\\?\UNC\server\share\dir") into the usual form ("C:\dir",
 * "\\server\share\dir"). Other text is copied. Returns 0 or ACDL_ETOOBIG. */
int fspath_from_final(const char *in, char *out, size_t outsz);

/* 1 when name is a plain file-name pattern (no separator of either system, no ':', not "."
 * or "..", no control character), else 0. */
int fspath_pattern_ok(const char *name);

#endif
