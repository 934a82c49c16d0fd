/* log.c: leveled, tagged logging with a bounded, rotated file. */
#include "core/log.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"

#define LOG_LINE_MAX 2048

static int threshold = LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *file;
static char file_path[1024];
static long long file_max;
static long long file_size;
static int file_keep;

static const char *const names[] = {"error", "warn", "info", "debug", "trace"};

int log_level_parse(const char *s)
{
    for (int i = 0; i <= LOG_TRACE; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *log_level_name(int level)
{
    return level >= 0 && level <= LOG_TRACE ? names[level] : "?";
}

void log_set_level(int level)
{
    threshold = level;
}

int log_get_level(void)
{
    return threshold;
}

int log_set_file(const char *path, long long max_bytes, int keep)
{
    int rc = ACDL_OK;
    pthread_mutex_lock(&lock);
    if (file) {
        fclose(file);
        file = NULL;
    }
    if (path && *path) {
        snprintf(file_path, sizeof(file_path), "%s", path);
        file = fopen(file_path, "a");
        if (!file) {
            rc = ACDL_EIO;
        } else {
            long long sz = plat_file_size(file_path);
            file_size = sz < 0 ? 0 : sz;
            file_max = max_bytes;
            file_keep = keep < 1 ? 1 : keep;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* Called with lock held: path.(k-1) -> path.k, ..., path -> path.1, reopen path. */
static void rotate(void)
{
    char from[1100], to[1100];
    fclose(file);
    file = NULL;
    snprintf(to, sizeof(to), "%s.%d", file_path, file_keep);
    plat_file_remove(to);
    for (int k = file_keep - 1; k >= 1; k--) {
        snprintf(from, sizeof(from), "%s.%d", file_path, k);
        snprintf(to, sizeof(to), "%s.%d", file_path, k + 1);
        if (plat_path_exists(from)) {
            plat_file_rename(from, to);
        }
    }
    snprintf(to, sizeof(to), "%s.1", file_path);
    plat_file_rename(file_path, to);
    file = fopen(file_path, "a");
    file_size = 0;
}

void log_msg(int level, const char *tag, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    char line[LOG_LINE_MAX + 128];
    char ts[32];
    va_list ap;
    if (level > threshold) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Escape control characters: input from the network must not forge log lines. */
    for (char *p = msg; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    plat_time_iso(plat_now(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %-5s %s: %s\n", ts, log_level_name(level), tag, msg);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    pthread_mutex_lock(&lock);
    fwrite(line, 1, (size_t)n, stderr);
    fflush(stderr); /* Windows' C runtime buffers stderr when it is not a console */
    if (file) {
        if (file_max > 0 && file_size + n > file_max) {
            rotate();
        }
        if (file) {
            fwrite(line, 1, (size_t)n, file);
            fflush(file);
            file_size += n;
        }
    }
    pthread_mutex_unlock(&lock);
}

void log_shutdown(void)
{
    log_set_file(NULL, 0, 0);
}
