/* test_log.c: unit tests of logging (core/log.c): levels, the rotated file, escaping. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/err.h"
#include "core/log.h"

static char tmp[512];
static int saved_stderr = -1;

/* Sends stderr (where every log line also goes) to path, or back when path is NULL. */
static void redirect_stderr(const char *path)
{
    fflush(stderr);
    if (path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            return;
        }
        saved_stderr = dup(2);
        dup2(fd, 2);
        close(fd);
    } else if (saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; s && *s; s++) {
        n += *s == c;
    }
    return n;
}

static void test_levels(void)
{
    CHECK_EQ_INT(log_level_parse("error"), LOG_ERROR);
    CHECK_EQ_INT(log_level_parse("warn"), LOG_WARN);
    CHECK_EQ_INT(log_level_parse("info"), LOG_INFO);
    CHECK_EQ_INT(log_level_parse("debug"), LOG_DEBUG);
    CHECK_EQ_INT(log_level_parse("trace"), LOG_TRACE);
    CHECK_EQ_INT(log_level_parse("INFO"), -1);
    CHECK_EQ_INT(log_level_parse("warning"), -1);
    CHECK_EQ_INT(log_level_parse(""), -1);
    CHECK_EQ_INT(log_level_parse("info "), -1);
    CHECK_EQ_STR(log_level_name(LOG_ERROR), "error");
    CHECK_EQ_STR(log_level_name(LOG_TRACE), "trace");
    CHECK_EQ_STR(log_level_name(-1), "?");
    CHECK_EQ_STR(log_level_name(99), "?");
    CHECK_EQ_INT(log_get_level(), LOG_INFO); /* the default */
    log_set_level(LOG_DEBUG);
    CHECK_EQ_INT(log_get_level(), LOG_DEBUG);
    log_set_level(LOG_INFO);
}

static void test_file_and_filter(void)
{
    char path[700], errpath[700];
    snprintf(path, sizeof(path), "%s/filter.log", tmp);
    snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmp);
    redirect_stderr(errpath);
    CHECK_EQ_INT(log_set_file(path, 1 << 20, 3), ACDL_OK);
    log_set_level(LOG_WARN);
    log_info("http", "not written %d", 1);
    log_debug("http", "not written %d", 2);
    log_warn("store", "written %d", 3);
    log_error("sched", "written %s", "four");
    log_set_level(LOG_INFO);
    log_info("http", "written %d", 5);
    log_msg(LOG_TRACE, "http", "not written %d", 6);
    log_set_file(NULL, 0, 0);
    log_info("http", "only on stderr");
    redirect_stderr(NULL);

    char *text = check_read_file(path, NULL);
    CHECK_EQ_INT(count_char(text, '\n'), 3);
    CHECK(text && strstr(text, "not written") == NULL);
    CHECK_CONTAINS(text, " warn  store: written 3\n");
    CHECK_CONTAINS(text, " error sched: written four\n");
    CHECK_CONTAINS(text, " info  http: written 5\n");
    CHECK(text && strstr(text, "only on stderr") == NULL);
    /* lines start with a UTC time stamp */
    if (text && strlen(text) > 21) {
        CHECK(text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
              text[19] == 'Z' && text[20] == ' ');
    }
    free(text);
    text = check_read_file(errpath, NULL);
    CHECK_EQ_INT(count_char(text, '\n'), 4);
    CHECK_CONTAINS(text, "only on stderr");
    free(text);

    /* a file that cannot be opened */
    CHECK_EQ_INT(log_set_file("/nonexistent-dir/acdl/x.log", 1000, 2), ACDL_EIO);
    CHECK_EQ_INT(log_set_file(NULL, 0, 0), ACDL_OK);
    CHECK_EQ_INT(log_set_file("", 0, 0), ACDL_OK);
    log_shutdown();
}

static void test_rotation(void)
{
    char path[700], errpath[700], name[800];
    const int keep = 3;
    const long long max = 300;
    snprintf(path, sizeof(path), "%s/rot.log", tmp);
    snprintf(errpath, sizeof(errpath), "%s/stderr-rot.txt", tmp);
    /* an old file is appended to, and its size counts */
    CHECK(check_write_file(path, "old line\n", 9) == 0);
    redirect_stderr(errpath);
    CHECK_EQ_INT(log_set_file(path, max, keep), ACDL_OK);
    for (int i = 0; i < 60; i++) {
        log_info("rot", "line %03d padding padding padding", i); /* ~70 bytes */
    }
    log_shutdown();
    redirect_stderr(NULL);

    /* path, path.1 .. path.keep exist; path.keep+1 does not; none is over max */
    int prev_first = 1000;
    for (int k = 0; k <= keep + 1; k++) {
        if (k == 0) {
            snprintf(name, sizeof(name), "%s", path);
        } else {
            snprintf(name, sizeof(name), "%s.%d", path, k);
        }
        size_t len = 0;
        char *text = check_read_file(name, &len);
        if (k == keep + 1) {
            CHECK(text == NULL);
            free(text);
            continue;
        }
        if (!CHECK(text != NULL)) {
            fprintf(stdout, "  (missing %s)\n", name);
            continue;
        }
        CHECK(len > 0 && (long long)len <= max);
        CHECK_EQ_INT(text[len - 1], '\n');
        /* older files hold older lines */
        const char *l = strstr(text, "line ");
        int first = l ? (int)strtol(l + 5, NULL, 10) : -1;
        CHECK(first >= 0 && first < prev_first);
        prev_first = first;
        free(text);
    }
    /* the newest line is in the current file; the old content has rotated away */
    char *cur = check_read_file(path, NULL);
    CHECK_CONTAINS(cur, "line 059 padding");
    free(cur);
    snprintf(name, sizeof(name), "%s.%d", path, keep);
    char *oldest = check_read_file(name, NULL);
    CHECK(oldest && strstr(oldest, "old line") == NULL);
    free(oldest);

    /* reopening counts the existing size: the first line rotates the nearly full file */
    char nearly[270];
    for (size_t i = 0; i < sizeof(nearly); i++) {
        nearly[i] = (char)('0' + i % 10);
    }
    nearly[sizeof(nearly) - 1] = '\n';
    CHECK(check_write_file(path, nearly, sizeof(nearly)) == 0);
    redirect_stderr(errpath);
    CHECK_EQ_INT(log_set_file(path, max, keep), ACDL_OK);
    log_info("rot", "after reopen");
    log_shutdown();
    redirect_stderr(NULL);
    snprintf(name, sizeof(name), "%s.1", path);
    char *one = check_read_file(name, NULL);
    CHECK(one && strncmp(one, "0123456789", 10) == 0);
    free(one);
    cur = check_read_file(path, NULL);
    CHECK_EQ_INT(count_char(cur, '\n'), 1);
    CHECK_CONTAINS(cur, "after reopen");
    free(cur);

    /* keep 1 (the minimum): only path and path.1 */
    snprintf(path, sizeof(path), "%s/one.log", tmp);
    redirect_stderr(errpath);
    CHECK_EQ_INT(log_set_file(path, 100, 0), ACDL_OK); /* 0 is raised to 1 */
    for (int i = 0; i < 20; i++) {
        log_info("rot", "line %03d xxxxxxxxxxxxxxxx", i);
    }
    log_shutdown();
    redirect_stderr(NULL);
    snprintf(name, sizeof(name), "%s.1", path);
    CHECK(access(path, F_OK) == 0);
    CHECK(access(name, F_OK) == 0);
    snprintf(name, sizeof(name), "%s.2", path);
    CHECK(access(name, F_OK) != 0);
}

static void test_escaping(void)
{
    char path[700], errpath[700];
    snprintf(path, sizeof(path), "%s/esc.log", tmp);
    snprintf(errpath, sizeof(errpath), "%s/stderr-esc.txt", tmp);
    redirect_stderr(errpath);
    CHECK_EQ_INT(log_set_file(path, 0, 1), ACDL_OK); /* max 0: never rotate */
    log_warn("http", "login failed for '%s' from %s",
             "eve\n2026-01-01T00:00:00Z info  http: admin logged in", "10.0.0.9\r\x1b[2K\x7f\t");
    /* a line longer than 2 KiB is truncated but still ends with one newline */
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("http", "big %s", big);
    log_shutdown();
    redirect_stderr(NULL);

    size_t len = 0;
    char *text = check_read_file(path, &len);
    CHECK_EQ_INT(count_char(text, '\n'), 2);
    CHECK_CONTAINS(text, "login failed for 'eve?2026-01-01T00:00:00Z info  http: admin logged "
                         "in' from 10.0.0.9??[2K??\n");
    CHECK(text && strchr(text, '\r') == NULL && strchr(text, '\x1b') == NULL &&
          strchr(text, '\t') == NULL && strchr(text, '\x7f') == NULL);
    const char *second = text ? strchr(text, '\n') : NULL;
    if (CHECK(second != NULL)) {
        size_t l2 = strlen(second + 1);
        CHECK(l2 > 2000 && l2 <= 2048 + 128);
        CHECK_EQ_INT(second[l2], '\n');
    }
    free(text);
    /* stderr got the same escaped lines */
    text = check_read_file(errpath, NULL);
    CHECK_EQ_INT(count_char(text, '\n'), 2);
    CHECK_CONTAINS(text, "eve?2026");
    free(text);
}

int main(void)
{
    if (check_tmpdir("log", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_levels);
    RUN(test_file_and_filter);
    RUN(test_rotation);
    RUN(test_escaping);
    check_tmpdir_done(tmp);
    return check_summary();
}
