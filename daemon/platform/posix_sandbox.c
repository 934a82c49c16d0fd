/* posix_sandbox.c: threads that cannot read the daemon's own files (Linux Landlock).
 *
 * Landlock only allows: a ruleset handles some access rights (here reading files and listing
 * folders), and a thread restricted by it keeps them only beneath the paths a rule names. To
 * hide a few paths and keep everything else readable, the ruleset names every entry of "/"
 * except the hidden paths and the folders that lead to them, and goes down into those folders
 * the same way. Entries created later beside a hidden path are hidden too (no rule names them),
 * and so is a file renamed over an entry there (a rule names an inode), until the ruleset is
 * made anew (plat_sandbox_enter, every few minutes); symbolic links get no rule of their own
 * (Landlock checks the path they lead to). The
 * restriction belongs to the thread that entered it (and threads it starts) and cannot be
 * undone, so callers run the work to restrict on threads of its own. */
#define _GNU_SOURCE
#include "platform/platform.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

#if defined(__linux__)
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#if defined(__linux__) && defined(SYS_landlock_create_ruleset) &&                                  \
    defined(LANDLOCK_CREATE_RULESET_VERSION)
#define HAVE_LANDLOCK 1
#endif

#define SANDBOX_MAX_HIDDEN 8

static int g_ruleset = -1;
static _Thread_local int t_inside;

#ifdef HAVE_LANDLOCK
#define READ_DIR_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

struct hidden_set {
    char path[SANDBOX_MAX_HIDDEN][PATH_MAX];
    size_t n;
};

/* 1: full is hidden; 2: full is a folder on the way to a hidden path; 0: neither. */
static int hidden_kind(const struct hidden_set *h, const char *full)
{
    size_t len = strlen(full);
    int kind = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (strcmp(h->path[i], full) == 0) {
            return 1;
        }
        if (strncmp(h->path[i], full, len) == 0 &&
            (h->path[i][len] == '/' || (len == 1 && full[0] == '/'))) {
            kind = 2;
        }
    }
    return kind;
}

/* Allows reading beneath full (a folder) or reading full (a file); links get no rule. */
static int allow_path(int ruleset, const char *full)
{
    struct landlock_path_beneath_attr pb;
    struct stat st;
    int fd = open(full, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    int rc = ACDL_OK;
    if (fd < 0) {
        return ACDL_OK; /* gone since it was listed: nothing to allow */
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ACDL_OK;
    }
    if (!S_ISLNK(st.st_mode)) {
        memset(&pb, 0, sizeof(pb));
        pb.allowed_access = S_ISDIR(st.st_mode) ? READ_DIR_RIGHTS : LANDLOCK_ACCESS_FS_READ_FILE;
        pb.parent_fd = fd;
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
            rc = ACDL_EIO;
        }
    }
    close(fd);
    return rc;
}

/* Adds a rule for every entry of dir except the hidden ones; goes into the folders that lead
 * to a hidden path. */
static int allow_all_but(int ruleset, const struct hidden_set *h, const char *dir, int depth)
{
    char full[PATH_MAX];
    struct dirent *e;
    int rc = ACDL_OK;
    DIR *d;

    if (depth > 64) {
        return ACDL_ETOOBIG;
    }
    d = opendir(dir);
    if (!d) {
        return ACDL_EIO;
    }
    while (rc == ACDL_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (snprintf(full, sizeof(full), "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
                     e->d_name) >= (int)sizeof(full)) {
            rc = ACDL_ETOOBIG;
            break;
        }
        int kind = hidden_kind(h, full);
        if (kind == 2) {
            rc = allow_all_but(ruleset, h, full, depth + 1);
        } else if (kind == 0) {
            rc = allow_path(ruleset, full);
        }
    }
    closedir(d);
    return rc;
}
#endif

#ifdef HAVE_LANDLOCK
static struct hidden_set g_hidden;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t g_built_ms;

/* A new ruleset from the entries as they are now, or -1 with *rc set. */
static int ruleset_build(int *rc)
{
    struct landlock_ruleset_attr ra;
    int ruleset;
    memset(&ra, 0, sizeof(ra));
    ra.handled_access_fs = READ_DIR_RIGHTS;
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
    if (ruleset < 0) {
        *rc = ACDL_EPERM;
        return -1;
    }
    *rc = allow_all_but(ruleset, &g_hidden, "/", 0);
    if (*rc != ACDL_OK) {
        close(ruleset);
        return -1;
    }
    return ruleset;
}
#endif

int plat_sandbox_init(const char *const *hidden, size_t n)
{
#ifdef HAVE_LANDLOCK
    int ruleset, rc;

    if (g_ruleset >= 0) {
        return ACDL_OK;
    }
    if (syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) < 1) {
        return ACDL_EPERM;
    }
    memset(&g_hidden, 0, sizeof(g_hidden));
    for (size_t i = 0; i < n && g_hidden.n < SANDBOX_MAX_HIDDEN; i++) {
        /* what does not exist yet is hidden anyway when it appears beside a hidden path;
         * elsewhere there is nothing to read */
        if (hidden[i] && hidden[i][0] && realpath(hidden[i], g_hidden.path[g_hidden.n]) &&
            strcmp(g_hidden.path[g_hidden.n], "/") != 0) {
            g_hidden.n++;
        }
    }
    if (g_hidden.n == 0) {
        return ACDL_EINVAL;
    }
    ruleset = ruleset_build(&rc);
    if (ruleset < 0) {
        return rc;
    }
    g_built_ms = plat_monotonic_ms();
    g_ruleset = ruleset;
    return ACDL_OK;
#else
    (void)hidden;
    (void)n;
    return ACDL_EPERM;
#endif
}

int plat_sandbox_ready(void)
{
    return g_ruleset >= 0;
}

int plat_sandbox_enter(void)
{
    if (t_inside) {
        return ACDL_OK;
    }
#ifdef HAVE_LANDLOCK
    int rc = ACDL_OK;
    if (g_ruleset < 0) {
        return ACDL_EPERM;
    }
    pthread_mutex_lock(&g_mu);
    /* an entry replaced since (a file renamed over one in a folder on the way to a hidden
     * path, such as /etc/resolv.conf beside /etc/acdlink) has no rule: rebuild now and then */
    if (plat_monotonic_ms() - g_built_ms > PLAT_SANDBOX_MAX_AGE_MS) {
        int fresh = ruleset_build(&rc);
        if (fresh >= 0) {
            close(g_ruleset);
            g_ruleset = fresh;
            g_built_ms = plat_monotonic_ms();
        }
        rc = ACDL_OK; /* the old one still hides what it hid */
    }
    /* no_new_privs belongs to this thread: it only keeps its programs from gaining rights */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_landlock_restrict_self, g_ruleset, 0) != 0) {
        rc = ACDL_EPERM;
    }
    pthread_mutex_unlock(&g_mu);
    if (rc == ACDL_OK) {
        t_inside = 1;
    }
    return rc;
#else
    return ACDL_EPERM;
#endif
}

int plat_sandbox_inside(void)
{
    return t_inside;
}
