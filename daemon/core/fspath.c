/* fspath.c: the text rules of file system paths (POSIX and Windows flavours). */
#include "core/fspath.h"

#include <string.h>

#include "core/err.h"

static int is_sep(enum fspath_flavour fl, char c)
{
    return c == '/' || (fl == FSPATH_WINDOWS && c == '\\');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Appends len bytes of s to out at *o. */
static int put(char *out, size_t outsz, size_t *o, const char *s, size_t len)
{
    if (*o + len + 1 > outsz) {
        return ACDL_ETOOBIG;
    }
    memcpy(out + *o, s, len);
    *o += len;
    out[*o] = '\0';
    return ACDL_OK;
}

/* Checks one name of a path. Returns NULL or why it cannot be used. */
static const char *name_problem(enum fspath_flavour fl, const char *s, size_t len)
{
    if (len == 2 && s[0] == '.' && s[1] == '.') {
        return "must not contain '..': give the folder itself";
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return "must not contain control characters";
        }
        if (fl == FSPATH_WINDOWS && strchr(":*?\"<>|", c)) {
            return "must not contain : * ? \" < > | after the drive";
        }
    }
    if (fl == FSPATH_WINDOWS && (s[len - 1] == '.' || s[len - 1] == ' ')) {
        return "has a name ending in '.' or a space, which Windows drops";
    }
    return NULL;
}

/* Reads the next name of path at *p (skipping separators); returns its length (0 at the
 * end) and sets *start. */
static size_t next_name(enum fspath_flavour fl, const char **p, const char **start)
{
    while (**p && is_sep(fl, **p)) {
        (*p)++;
    }
    *start = *p;
    while (**p && !is_sep(fl, **p)) {
        (*p)++;
    }
    return (size_t)(*p - *start);
}

int fspath_normalize(enum fspath_flavour fl, const char *path, char *out, size_t outsz,
                     const char **why)
{
    const char *p = path, *s;
    size_t o = 0, len;
    const char *w = NULL;
    char sep = fl == FSPATH_WINDOWS ? '\\' : '/';
    int rc;
    *why = "must be an absolute path";
    if (outsz == 0) {
        return ACDL_ETOOBIG;
    }
    out[0] = '\0';
    if (fl == FSPATH_POSIX) {
        if (p[0] != '/') {
            return ACDL_EINVAL;
        }
        if ((rc = put(out, outsz, &o, "/", 1)) != ACDL_OK) {
            return rc;
        }
    } else if (is_sep(fl, p[0]) && is_sep(fl, p[1])) {
        /* \\server\share: the share is the root; \\?\ and \\.\ name devices */
        p += 2;
        const char *srv, *share;
        size_t ls, lh;
        if ((p[0] == '?' || p[0] == '.') && (is_sep(fl, p[1]) || !p[1])) {
            *why = "must be a folder, not a device path (\\\\?\\ or \\\\.\\)";
            return ACDL_EINVAL;
        }
        ls = next_name(fl, &p, &srv);
        lh = next_name(fl, &p, &share);
        if (ls == 0 || lh == 0) {
            *why = "a network path needs a server and a share: \\\\server\\share\\folder";
            return ACDL_EINVAL;
        }
        if ((w = name_problem(fl, srv, ls)) != NULL || (w = name_problem(fl, share, lh)) != NULL) {
            *why = w;
            return ACDL_EINVAL;
        }
        if ((rc = put(out, outsz, &o, "\\\\", 2)) != ACDL_OK ||
            (rc = put(out, outsz, &o, srv, ls)) != ACDL_OK ||
            (rc = put(out, outsz, &o, "\\", 1)) != ACDL_OK ||
            (rc = put(out, outsz, &o, share, lh)) != ACDL_OK) {
            return rc;
        }
    } else if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':' &&
               is_sep(fl, p[2])) {
        char drive[3] = {(char)(p[0] >= 'a' ? p[0] - 'a' + 'A' : p[0]), ':', '\\'};
        if ((rc = put(out, outsz, &o, drive, 3)) != ACDL_OK) {
            return rc;
        }
        p += 3;
    } else {
        return ACDL_EINVAL;
    }
    size_t root = o;
    while ((len = next_name(fl, &p, &s)) > 0) {
        if (len == 1 && s[0] == '.') {
            continue;
        }
        if ((w = name_problem(fl, s, len)) != NULL) {
            *why = w;
            return ACDL_EINVAL;
        }
        if (o > root || (fl == FSPATH_WINDOWS && out[o - 1] != '\\')) {
            if ((rc = put(out, outsz, &o, &sep, 1)) != ACDL_OK) {
                return rc;
            }
        }
        if ((rc = put(out, outsz, &o, s, len)) != ACDL_OK) {
            return rc;
        }
    }
    *why = NULL;
    return ACDL_OK;
}

size_t fspath_root_len(enum fspath_flavour fl, const char *path)
{
    if (fl == FSPATH_POSIX) {
        return path[0] == '/' ? 1 : 0;
    }
    if (path[0] && path[1] == ':' && path[2] == '\\') {
        return 3;
    }
    if (path[0] == '\\' && path[1] == '\\') {
        const char *a = strchr(path + 2, '\\');
        if (!a) {
            return 0;
        }
        const char *b = strchr(a + 1, '\\');
        return b ? (size_t)(b - path) : strlen(path);
    }
    return 0;
}

int fspath_inside(enum fspath_flavour fl, const char *path, const char *dir)
{
    size_t n = strlen(dir), rl = fspath_root_len(fl, dir);
    char sep = fl == FSPATH_WINDOWS ? '\\' : '/';
    if (n == 0 || strlen(path) < n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char a = path[i], b = dir[i];
        if (fl == FSPATH_WINDOWS ? lower(a) != lower(b) : a != b) {
            return 0;
        }
    }
    /* "/srv/acd" holds "/srv/acd/x", not "/srv/acdx"; a root such as "/" or "C:\" ends in
     * its separator already */
    return path[n] == '\0' || path[n] == sep || (n == rl && dir[n - 1] == sep);
}

int fspath_parent(enum fspath_flavour fl, const char *path, char *out, size_t outsz)
{
    size_t rl = fspath_root_len(fl, path), n = strlen(path);
    char sep = fl == FSPATH_WINDOWS ? '\\' : '/';
    while (n > rl && path[n - 1] != sep) {
        n--;
    }
    if (n > rl) {
        n--; /* the separator before the last name */
    }
    if (n < rl) {
        n = rl;
    }
    if (n + 1 > outsz) {
        return ACDL_ETOOBIG;
    }
    memcpy(out, path, n);
    out[n] = '\0';
    return ACDL_OK;
}

int fspath_from_final(const char *in, char *out, size_t outsz)
{
    const char *rest = in;
    const char *prefix = "";
    if (!strncmp(in, "\\\\?\\UNC\\", 8)) {
        prefix = "\\\\";
        rest = in + 8;
    } else if (!strncmp(in, "\\\\?\\", 4)) {
        rest = in + 4;
    }
    size_t a = strlen(prefix), b = strlen(rest);
    if (a + b + 1 > outsz) {
        return ACDL_ETOOBIG;
    }
    memcpy(out, prefix, a);
    memcpy(out + a, rest, b + 1);
    return ACDL_OK;
}

int fspath_pattern_ok(const char *name)
{
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..")) {
        return 0;
    }
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':') {
            return 0;
        }
    }
    return 1;
}
