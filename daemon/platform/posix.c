/* posix.c: platform functions for Linux and other POSIX systems. */
/* realpath() is an XSI function */
#define _XOPEN_SOURCE 700
#include "platform/platform.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fnmatch.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "platform/entries.h"

static void (*stop_cb)(void);

static void on_signal(int sig)
{
    (void)sig;
    if (stop_cb) {
        stop_cb();
    }
}

int plat_signals_install(void (*on_stop)(void))
{
    struct sigaction sa;
    stop_cb = on_stop;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        return ACDL_EIO;
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return ACDL_OK;
}

void plat_files_private(void)
{
    umask(077);
}

int plat_dir_is_private(const char *dir, unsigned *mode)
{
    struct stat st;
    *mode = 0;
    if (stat(dir, &st) != 0) {
        return 1; /* nothing there to be seen */
    }
    *mode = (unsigned)(st.st_mode & 07777);
    return (st.st_mode & 077) == 0;
}

int plat_mkdir_p(const char *dir, int private_mode)
{
    char buf[4096];
    size_t n = strlen(dir);
    mode_t mode = private_mode ? 0700 : 0755;
    if (n == 0 || n >= sizeof(buf)) {
        return ACDL_EINVAL;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST) {
                return ACDL_EIO;
            }
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return ACDL_EIO;
    }
    return ACDL_OK;
}

/* The ACDL_E* code of a failed file system call's errno. */
static int errno_rc(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return ACDL_ENOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS: return ACDL_EPERM;
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return ACDL_ENOSPC;
    default: return ACDL_EIO;
    }
}

int plat_file_write_atomic(const char *path, const void *data, size_t len, int private_mode)
{
    char tmp[4096];
    int rc = ACDL_EIO;
    int fd = -1;
    int saved = 0;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return ACDL_EINVAL;
    }
    /* never through a link someone placed at the temporary name */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              private_mode ? 0600 : 0644);
    if (fd < 0) {
        saved = errno;
        goto out;
    }
    if (private_mode && fchmod(fd, 0600) != 0) {
        saved = errno;
        goto out;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            saved = errno;
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        saved = errno;
        goto out;
    }
    if (close(fd) != 0) {
        saved = errno;
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        saved = errno;
        goto out;
    }
    rc = ACDL_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != ACDL_OK) {
        unlink(tmp);
        rc = errno_rc(saved);
    }
    return rc;
}

int plat_disk_space(const char *path, long long *free_bytes, long long *total_bytes)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0) {
        return ACDL_EIO;
    }
    *free_bytes = (long long)v.f_bavail * (long long)v.f_frsize;
    *total_bytes = (long long)v.f_blocks * (long long)v.f_frsize;
    return ACDL_OK;
}

void plat_memory_trim(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void plat_memory_init(void)
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, PLAT_MEMORY_ARENAS);
    mallopt(M_MMAP_THRESHOLD, PLAT_MEMORY_MMAP_KIB * 1024);
    mallopt(M_TRIM_THRESHOLD, PLAT_MEMORY_TRIM_KIB * 1024);
#endif
}

void plat_memory_stats(struct plat_memory *m)
{
    char line[128];
    m->rss = m->rss_anon = m->rss_file = -1;
    m->heap_system = m->heap_in_use = m->heap_free = m->heap_mapped = -1;
    m->threads = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f)) {
        long long kib;
        if (sscanf(line, "VmRSS: %lld", &kib) == 1) {
            m->rss = kib * 1024;
        } else if (sscanf(line, "RssAnon: %lld", &kib) == 1) {
            m->rss_anon = kib * 1024;
        } else if (sscanf(line, "RssFile: %lld", &kib) == 1) {
            m->rss_file = kib * 1024;
        } else if (sscanf(line, "Threads: %lld", &kib) == 1) {
            m->threads = (int)kib;
        }
    }
    if (f) {
        fclose(f);
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    if (mi.arena == 0) {
        return; /* another allocator in front of glibc's (a sanitizer's): nothing to say */
    }
    m->heap_system = (long long)mi.arena;
    m->heap_in_use = (long long)mi.uordblks;
    m->heap_free = (long long)mi.fordblks;
    m->heap_mapped = (long long)mi.hblkhd;
#endif
}

int plat_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int plat_path_is_native(const char *path)
{
    return path && path[0] == '/';
}

int plat_file_remove(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT) {
        return ACDL_EIO;
    }
    return ACDL_OK;
}

int plat_file_rename(const char *from, const char *to)
{
    return rename(from, to) == 0 ? ACDL_OK : ACDL_EIO;
}

long long plat_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    return (long long)st.st_size;
}

int64_t plat_file_age_s(const char *path)
{
    struct stat st;
    time_t now = time(NULL);
    if (stat(path, &st) != 0) {
        return -1;
    }
    return now > st.st_mtime ? (int64_t)(now - st.st_mtime) : 0;
}

int64_t plat_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#ifdef ACDLINK_TEST_CLOCK
/* The test clock (docs/testing.md): only in builds with ACDLINK_TESTS=ON (never in the
 * packages, which build with ACDLINK_TESTS=OFF), and only when ACDL_TEST_CLOCK_FILE names a
 * file holding an offset in seconds. The offset is read again when the file changes, so a
 * test moves the daemon's wall clock forward by rewriting the file. */
static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t test_clock_offset(void)
{
    static int64_t offset;
    static struct timespec seen;
    static off_t seen_size = -1;
    const char *path = getenv("ACDL_TEST_CLOCK_FILE");
    struct stat sb;
    if (!path || !*path || stat(path, &sb) != 0) {
        return 0;
    }
    pthread_mutex_lock(&clock_mu);
    if (sb.st_mtim.tv_sec != seen.tv_sec || sb.st_mtim.tv_nsec != seen.tv_nsec ||
        sb.st_size != seen_size) {
        FILE *f = fopen(path, "r");
        long long v = 0;
        if (f) {
            if (fscanf(f, "%lld", &v) == 1) {
                offset = (int64_t)v;
            }
            fclose(f);
        }
        seen = sb.st_mtim;
        seen_size = sb.st_size;
    }
    int64_t o = offset;
    pthread_mutex_unlock(&clock_mu);
    return o;
}

int64_t plat_now(void)
{
    return (int64_t)time(NULL) + test_clock_offset();
}

int plat_test_clock_active(void)
{
    const char *path = getenv("ACDL_TEST_CLOCK_FILE");
    return path && *path;
}
#else
int plat_test_clock_active(void)
{
    return 0;
}

int64_t plat_now(void)
{
    return (int64_t)time(NULL);
}
#endif

void plat_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void plat_time_iso(int64_t t, char *out, size_t outsz)
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *plat_tz_dir(void)
{
    return "/usr/share/zoneinfo"; /* Debian's tzdata package */
}

void plat_hostname(char *out, size_t outsz)
{
    if (gethostname(out, outsz) != 0) {
        out[0] = '\0';
    }
    out[outsz - 1] = '\0';
}

extern char **environ;

char **plat_environ(void)
{
    return environ;
}

int plat_setenv(const char *name, const char *value)
{
    return setenv(name, value, 1) == 0 ? ACDL_OK : ACDL_EIO;
}

void plat_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    size_t n;
    if (!path || (path[0] != '/' && path[0] != '@') || (n = strlen(path)) >= sizeof(sa.sun_path)) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@') {
        sa.sun_path[0] = '\0'; /* abstract socket */
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sa,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    close(fd);
}

int plat_dir_is_empty(const char *dir, const char *ignore)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (!d) {
        return errno == ENOENT ? 1 : ACDL_EIO;
    }
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            (ignore && !strcmp(e->d_name, ignore))) {
            continue;
        }
        empty = 0;
        break;
    }
    closedir(d);
    return empty;
}

int plat_dir_remove(const char *dir)
{
    if (rmdir(dir) != 0 && errno != ENOENT) {
        return ACDL_EIO;
    }
    return ACDL_OK;
}

struct plat_lock {
    int fd;
};

int plat_lock_acquire(const char *path, struct plat_lock **out)
{
    struct flock fl;
    struct plat_lock *l;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return ACDL_EIO;
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    /* fcntl locks belong to the process; nothing else here opens this file, so no other close
     * can drop the lock early */
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int busy = errno == EACCES || errno == EAGAIN;
        close(fd);
        return busy ? ACDL_EAGAIN : ACDL_EIO;
    }
    l = malloc(sizeof(*l));
    if (!l) {
        close(fd);
        return ACDL_ENOMEM;
    }
    l->fd = fd;
    *out = l;
    return ACDL_OK;
}

void plat_lock_release(struct plat_lock *l)
{
    if (!l) {
        return;
    }
    close(l->fd);
    free(l);
}

FILE *plat_fopen_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f;
    if (fd < 0) {
        return NULL;
    }
    if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "wb")) == NULL) {
        close(fd);
        return NULL;
    }
    return f;
}

int plat_file_sync(FILE *f)
{
    return fflush(f) == 0 && fsync(fileno(f)) == 0 ? ACDL_OK : ACDL_EIO;
}

void plat_stdio_binary(FILE *f)
{
    (void)f;
}

/* Linux has no service control manager to talk to: systemd starts `acdlink serve` in the
 * foreground and chooses the state folder (packaging/deb). */
int plat_service_run(const char *name, int (*serve)(void *ctx), void *ctx, void (*on_stop)(void),
                     int *serve_rc)
{
    (void)name, (void)serve, (void)ctx, (void)on_stop, (void)serve_rc;
    return ACDL_EINVAL;
}

static int no_scm(char *err, size_t errsz)
{
    snprintf(err, errsz, "there is no Windows service manager here: on Linux systemd runs "
                         "acdlink (install the .deb, or see packaging/deb)");
    return ACDL_EINVAL;
}

int plat_service_install(const char *name, const char *display, const char *description,
                         const char *args, char *err, size_t errsz)
{
    (void)name, (void)display, (void)description, (void)args;
    return no_scm(err, errsz);
}

int plat_service_remove(const char *name, char *err, size_t errsz)
{
    (void)name;
    return no_scm(err, errsz);
}

int plat_service_data_dir(char *out, size_t outsz)
{
    (void)outsz;
    out[0] = '\0';
    return ACDL_EINVAL;
}

/* --- paths under the allowed roots --- */

int plat_path_real(const char *path, char *out, size_t outsz)
{
    char *r = realpath(path, NULL);
    int rc = ACDL_OK;
    if (!r) {
        return errno == ENOENT || errno == ENOTDIR ? ACDL_ENOTFOUND : ACDL_EIO;
    }
    if (strlen(r) >= outsz) {
        rc = ACDL_ETOOBIG;
    } else {
        memcpy(out, r, strlen(r) + 1);
    }
    free(r);
    return rc;
}

int plat_path_absolute(const char *path, char *out, size_t outsz)
{
    char cwd[4096];
    if (path[0] == '/') {
        return (size_t)snprintf(out, outsz, "%s", path) < outsz ? ACDL_OK : ACDL_ETOOBIG;
    }
    if (!getcwd(cwd, sizeof(cwd))) {
        return ACDL_EIO;
    }
    return (size_t)snprintf(out, outsz, "%s/%s", cwd, path) < outsz ? ACDL_OK : ACDL_ETOOBIG;
}

const char *plat_entry_kind_text(enum plat_entry_kind k)
{
    switch (k) {
    case PLAT_ENTRY_FILE: return "a regular file";
    case PLAT_ENTRY_LINK: return "a symbolic link";
    case PLAT_ENTRY_DIR: return "a folder";
    case PLAT_ENTRY_FIFO: return "a named pipe (FIFO)";
    case PLAT_ENTRY_DEVICE: return "a device";
    case PLAT_ENTRY_SOCKET: return "a socket";
    default: return "not a regular file";
    }
}

static enum plat_entry_kind mode_kind(mode_t m)
{
    return S_ISREG(m)                 ? PLAT_ENTRY_FILE
           : S_ISLNK(m)               ? PLAT_ENTRY_LINK
           : S_ISDIR(m)               ? PLAT_ENTRY_DIR
           : S_ISFIFO(m)              ? PLAT_ENTRY_FIFO
           : S_ISCHR(m) || S_ISBLK(m) ? PLAT_ENTRY_DEVICE
           : S_ISSOCK(m)              ? PLAT_ENTRY_SOCKET
                                      : PLAT_ENTRY_OTHER;
}

struct plat_dir {
    int fd;
    char path[4096];
};

int plat_dir_open(const char *path, struct plat_dir **out)
{
    struct plat_dir *d;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return errno == ELOOP ? ACDL_ENOTFOUND : errno_rc(errno);
    }
    d = malloc(sizeof(*d));
    if (!d) {
        close(fd);
        return ACDL_ENOMEM;
    }
    d->fd = fd;
    snprintf(d->path, sizeof(d->path), "%s", path);
    *out = d;
    return ACDL_OK;
}

/* The path of what fd refers to, as the kernel knows it (Linux); else the resolved path. */
static int fd_path(int fd, const char *fallback, char *out, size_t outsz)
{
    char link[64], buf[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    if (n > 0 && buf[0] == '/') {
        buf[n] = '\0';
        if ((size_t)n >= outsz) {
            return ACDL_ETOOBIG;
        }
        memcpy(out, buf, (size_t)n + 1);
        return ACDL_OK;
    }
    return plat_path_real(fallback, out, outsz);
}

int plat_dir_real(struct plat_dir *d, char *out, size_t outsz)
{
    return fd_path(d->fd, d->path, out, outsz);
}

int plat_dir_entries(struct plat_dir *d, const char *pattern,
                     int (*fn)(const char *name, enum plat_entry_kind kind, void *ctx), void *ctx)
{
    int fd = dup(d->fd);
    DIR *dir;
    struct dirent *e;
    struct plat_entries list = {NULL, 0, 0};
    int rc = ACDL_OK;
    if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0) {
            close(fd);
        }
        return ACDL_EIO;
    }
    while (rc == ACDL_OK && (e = readdir(dir)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' || fnmatch(pattern, e->d_name, FNM_PERIOD) != 0 ||
            fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode)) {
            continue;
        }
        rc = plat_entries_add(&list, e->d_name, mode_kind(st.st_mode));
    }
    closedir(dir);
    return plat_entries_run(&list, rc, fn, ctx);
}

int plat_dir_open_file(struct plat_dir *d, const char *name, FILE **out, char *real, size_t realsz,
                       enum plat_entry_kind *kind)
{
    struct stat st, got;
    char target[4096];
    int fd = -1, rc;
    FILE *f;
    *out = NULL;
    *kind = PLAT_ENTRY_OTHER;
    if (strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, ".")) {
        return ACDL_EINVAL;
    }
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_rc(errno);
    }
    *kind = mode_kind(st.st_mode);
    if (S_ISLNK(st.st_mode)) {
        /* what the link points to: only a regular file is opened, never a FIFO or device */
        char linkpath[8200];
        snprintf(linkpath, sizeof(linkpath), "%s/%s", d->path, name);
        if (plat_path_real(linkpath, target, sizeof(target)) != ACDL_OK || stat(target, &st) != 0) {
            return ACDL_ENOTFOUND;
        }
        *kind = mode_kind(st.st_mode);
        if (!S_ISREG(st.st_mode)) {
            return ACDL_EPERM;
        }
        fd = open(target, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } else if (S_ISREG(st.st_mode)) {
        fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } else {
        return ACDL_EPERM;
    }
    if (fd < 0) {
        return errno_rc(errno);
    }
    /* the entry may have been swapped since it was looked at: what is open must be it */
    if (fstat(fd, &got) != 0 || !S_ISREG(got.st_mode) || got.st_dev != st.st_dev ||
        got.st_ino != st.st_ino) {
        *kind = fstat(fd, &got) == 0 ? mode_kind(got.st_mode) : PLAT_ENTRY_OTHER;
        close(fd);
        return ACDL_EPERM;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    snprintf(target, sizeof(target), "%s/%s", d->path, name);
    if ((rc = fd_path(fd, target, real, realsz)) != ACDL_OK) {
        close(fd);
        return rc;
    }
    if (!(f = fdopen(fd, "rb"))) {
        close(fd);
        return ACDL_ENOMEM;
    }
    *kind = PLAT_ENTRY_FILE;
    *out = f;
    return ACDL_OK;
}

int plat_file_identity(FILE *f, char *id, size_t idsz, long long *size)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        return ACDL_EIO;
    }
    snprintf(id, idsz, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    *size = (long long)st.st_size;
    return ACDL_OK;
}

int plat_file_seek(FILE *f, long long off)
{
    return fseeko(f, (off_t)off, SEEK_SET) == 0 ? ACDL_OK : ACDL_EIO;
}

int plat_dir_remove_file(struct plat_dir *d, const char *name)
{
    return unlinkat(d->fd, name, 0) == 0 || errno == ENOENT ? ACDL_OK : errno_rc(errno);
}

int plat_dir_move_file(struct plat_dir *d, const char *name, struct plat_dir *to)
{
    return renameat(d->fd, name, to->fd, name) == 0 ? ACDL_OK : errno_rc(errno);
}

void plat_dir_close(struct plat_dir *d)
{
    if (!d) {
        return;
    }
    close(d->fd);
    free(d);
}

int plat_dir_check_writable(const char *path, char *sys, size_t syssz)
{
    struct stat st;
    char probe[4200];
    int fd, e;
    sys[0] = '\0';
    if (stat(path, &st) != 0) {
        e = errno;
        snprintf(sys, syssz, "%s", strerror(e));
        return e == EACCES ? ACDL_EPERM : e == ENOENT || e == ENOTDIR ? ACDL_ENOTFOUND : ACDL_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(sys, syssz, "not a folder");
        return ACDL_ENOTFOUND;
    }
    snprintf(probe, sizeof(probe), "%s/.acdlink-probe-%ld", path, (long)getpid());
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = errno;
        snprintf(sys, syssz, "%s", strerror(e));
        return errno_rc(e) == ACDL_ENOTFOUND ? ACDL_EIO : errno_rc(e);
    }
    /* a file that holds a byte: a full disk refuses it even when it still has inodes */
    ssize_t w = write(fd, "x", 1);
    e = w == 1 ? (fsync(fd) == 0 ? 0 : errno) : errno;
    close(fd);
    unlink(probe);
    if (e) {
        snprintf(sys, syssz, "%s", strerror(e));
        return errno_rc(e);
    }
    return ACDL_OK;
}
