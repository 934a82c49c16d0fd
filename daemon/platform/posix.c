/* posix.c: platform functions for Linux and other POSIX systems. */
#include "platform/platform.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

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

int plat_file_write_atomic(const char *path, const void *data, size_t len, int private_mode)
{
    char tmp[4096];
    int rc = ACDL_EIO;
    int fd = -1;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return ACDL_EINVAL;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, private_mode ? 0600 : 0644);
    if (fd < 0) {
        goto out;
    }
    if (private_mode && fchmod(fd, 0600) != 0) {
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
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        goto out;
    }
    rc = ACDL_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != ACDL_OK) {
        unlink(tmp);
    }
    return rc;
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

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int plat_dir_files(const char *dir, const char *pattern,
                   int (*fn)(const char *name, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = ACDL_OK;
    if (!d) {
        return errno == ENOENT || errno == ENOTDIR ? ACDL_ENOTFOUND : ACDL_EIO;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.' || fnmatch(pattern, e->d_name, FNM_PERIOD) != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof(*names));
            if (!nn) {
                rc = ACDL_ENOMEM;
                break;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            rc = ACDL_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == ACDL_OK && n > 1) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == ACDL_OK) {
            rc = fn(names[i], ctx);
        }
        free(names[i]);
    }
    free(names);
    return rc;
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
