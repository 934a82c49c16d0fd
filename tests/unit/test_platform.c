/* test_platform.c: unit tests of the POSIX platform layer: files, times, service notification. */
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

int main(void)
{
    RUN(test_notify);
    RUN(test_files);
    RUN(test_times);
    return check_summary();
}
