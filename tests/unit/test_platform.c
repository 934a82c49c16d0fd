/* test_platform.c: unit tests of the POSIX platform layer: files, times, service notification. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "core/err.h"
#include "platform/platform.h"

static void test_notify(void)
{
    char dir[] = "/tmp/acdl-notify-XXXXXX";
    char path[128], buf[256];
    struct sockaddr_un sa;
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return;
    }
    snprintf(path, sizeof(path), "%s/notify.sock", dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    CHECK_EQ_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

    unsetenv("NOTIFY_SOCKET");
    plat_notify("READY=1"); /* no service manager: nothing happens */
    setenv("NOTIFY_SOCKET", path, 1);
    plat_notify("READY=1\nSTATUS=up");
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_EQ_STR(buf, "READY=1\nSTATUS=up");
    setenv("NOTIFY_SOCKET", "relative/path", 1); /* ignored: not absolute, not abstract */
    plat_notify("STOPPING=1");
    unsetenv("NOTIFY_SOCKET");
    close(fd);
    unlink(path);
    rmdir(dir);
}

static void test_files(void)
{
    char dir[] = "/tmp/acdl-plat-XXXXXX";
    char sub[128], file[160];
    struct stat st;
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return;
    }
    snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
    CHECK_EQ_INT(plat_mkdir_p(sub, 1), ACDL_OK);
    CHECK_EQ_INT(plat_mkdir_p(sub, 1), ACDL_OK); /* exists: fine */
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
    snprintf(file, sizeof(file), "%s/secret", sub);
    CHECK_EQ_INT(plat_file_write_atomic(file, "abc", 3, 1), ACDL_OK);
    CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(plat_file_size(file), 3);
    CHECK_EQ_INT(plat_file_write_atomic(file, "abcdef", 6, 1), ACDL_OK); /* replaces */
    CHECK_EQ_INT(plat_file_size(file), 6);
    CHECK(plat_path_exists(file));
    CHECK_EQ_INT(plat_file_remove(file), ACDL_OK);
    CHECK(!plat_path_exists(file));
    CHECK_EQ_INT(plat_file_remove(file), ACDL_OK); /* missing: fine */
    CHECK_EQ_INT(plat_file_size(file), -1);
    /* a file where a folder should be */
    snprintf(file, sizeof(file), "%s/f", dir);
    CHECK_EQ_INT(plat_file_write_atomic(file, "x", 1, 0), ACDL_OK);
    snprintf(sub, sizeof(sub), "%s/f/g", dir);
    CHECK(plat_mkdir_p(sub, 0) != ACDL_OK);
}

static void test_times(void)
{
    char buf[32];
    plat_time_iso(0, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "1970-01-01T00:00:00Z");
    plat_time_iso(1795455745, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2026-11-23T17:42:25Z");
    int64_t a = plat_monotonic_ms();
    plat_sleep_ms(20);
    CHECK(plat_monotonic_ms() - a >= 19);
    CHECK(plat_now() > 1700000000);
}

/* What a restricted thread could open, by name; filled by sandbox_thread. */
struct sandbox_probe {
    char dir[64];
    int entered, inside, hidden_file, hidden_dir_file, hidden_list, later, open_file, sibling;
};

static int can_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return errno == EACCES ? 0 : -1;
    }
    fclose(f);
    return 1;
}

static void *sandbox_thread(void *arg)
{
    struct sandbox_probe *p = arg;
    char path[160];
    DIR *d;
    p->entered = plat_sandbox_enter();
    p->inside = plat_sandbox_inside();
    snprintf(path, sizeof(path), "%s/key.file", p->dir);
    p->hidden_file = can_read(path);
    snprintf(path, sizeof(path), "%s/data/secret.key", p->dir);
    p->hidden_dir_file = can_read(path);
    snprintf(path, sizeof(path), "%s/data", p->dir);
    d = opendir(path);
    p->hidden_list = d != NULL;
    if (d) {
        closedir(d);
    }
    snprintf(path, sizeof(path), "%s/later.txt", p->dir);
    p->later = can_read(path);
    snprintf(path, sizeof(path), "%s/open/query.sql", p->dir);
    p->open_file = can_read(path);
    p->sibling = can_read("/proc/self/status");
    return NULL;
}

/* A restricted thread cannot read the hidden folder, the hidden file or what appears beside
 * them later; it reads everything else; the other threads read all. */
static void test_sandbox(void)
{
    struct sandbox_probe p;
    char path[160];
    const char *hidden[2];
    char data[120], key[120];
    pthread_t t;
    int rc;

    memset(&p, 0, sizeof(p));
    snprintf(p.dir, sizeof(p.dir), "/tmp/acdl-sandbox-XXXXXX");
    if (!CHECK(mkdtemp(p.dir) != NULL)) {
        return;
    }
    snprintf(data, sizeof(data), "%s/data", p.dir);
    snprintf(key, sizeof(key), "%s/key.file", p.dir);
    snprintf(path, sizeof(path), "%s/open", p.dir);
    CHECK_EQ_INT(plat_mkdir_p(data, 1), ACDL_OK);
    CHECK_EQ_INT(plat_mkdir_p(path, 1), ACDL_OK);
    snprintf(path, sizeof(path), "%s/secret.key", data);
    CHECK_EQ_INT(plat_file_write_atomic(path, "k", 1, 1), ACDL_OK);
    CHECK_EQ_INT(plat_file_write_atomic(key, "k", 1, 1), ACDL_OK);
    snprintf(path, sizeof(path), "%s/open/query.sql", p.dir);
    CHECK_EQ_INT(plat_file_write_atomic(path, "q", 1, 1), ACDL_OK);
    CHECK_EQ_INT(plat_sandbox_inside(), 0);
    CHECK_EQ_INT(plat_sandbox_enter(), ACDL_EPERM); /* not prepared */
    hidden[0] = data;
    hidden[1] = key;
    rc = plat_sandbox_init(hidden, 2);
    if (rc == ACDL_EPERM) {
        printf("  (this kernel has no Landlock: restricting threads is not possible here)\n");
        return;
    }
    CHECK_EQ_INT(rc, ACDL_OK);
    CHECK_EQ_INT(plat_sandbox_ready(), 1);
    snprintf(path, sizeof(path), "%s/later.txt", p.dir);
    CHECK_EQ_INT(plat_file_write_atomic(path, "l", 1, 1), ACDL_OK);
    CHECK_EQ_INT(pthread_create(&t, NULL, sandbox_thread, &p), 0);
    pthread_join(t, NULL);
    CHECK_EQ_INT(p.entered, ACDL_OK);
    CHECK_EQ_INT(p.inside, 1);
    CHECK_EQ_INT(p.hidden_file, 0);
    CHECK_EQ_INT(p.hidden_dir_file, 0);
    CHECK_EQ_INT(p.hidden_list, 0);
    CHECK_EQ_INT(p.later, 0);
    CHECK_EQ_INT(p.open_file, 1);
    CHECK_EQ_INT(p.sibling, 1);
    /* this thread was not restricted */
    CHECK_EQ_INT(plat_sandbox_inside(), 0);
    CHECK_EQ_INT(can_read(key), 1);
    snprintf(path, sizeof(path), "%s/secret.key", data);
    CHECK_EQ_INT(can_read(path), 1);
    check_rm_rf(p.dir);
}

int main(void)
{
    RUN(test_notify);
    RUN(test_files);
    RUN(test_times);
    RUN(test_sandbox);
    return check_summary();
}
