/* check.h: the unit tests' tiny harness: CHECK macros that record file:line, a summary line.
 *
 * Each test executable includes this once, calls RUN(fn) for its test functions and ends main
 * with `return check_summary();`, which prints "N passed, M failed" and returns non-zero when
 * anything failed. Checks never return early: a test continues after a failed check, so guard
 * pointer dereferences yourself. Also: temp folders (removed again when everything passed). */
#ifndef ACDL_TEST_CHECK_H
#define ACDL_TEST_CHECK_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_passed;
static int check_failed;

static inline int check_record(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stdout, "FAIL %s:%d: %s\n", file, line, what);
        fflush(stdout);
    }
    return ok;
}

static inline int check_int(long long a, long long b, const char *file, int line, const char *ea,
                            const char *eb)
{
    if (a == b) {
        check_passed++;
        return 1;
    }
    check_failed++;
    fprintf(stdout, "FAIL %s:%d: %s == %s: got %lld, expected %lld\n", file, line, ea, eb, a, b);
    fflush(stdout);
    return 0;
}

static inline int check_str(const char *a, const char *b, const char *file, int line,
                            const char *ea, const char *eb)
{
    if (a && b && strcmp(a, b) == 0) {
        check_passed++;
        return 1;
    }
    check_failed++;
    fprintf(stdout, "FAIL %s:%d: %s == %s: got \"%s\", expected \"%s\"\n", file, line, ea, eb,
            a ? a : "(null)", b ? b : "(null)");
    fflush(stdout);
    return 0;
}

/* Each returns 1 when the check passed, so a test can skip what depends on it. */
#define CHECK(cond) check_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(a, b) check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_STR(a, b) check_str((a), (b), __FILE__, __LINE__, #a, #b)
static inline int check_contains(const char *s, const char *sub, const char *file, int line,
                                 const char *es)
{
    if (s && strstr(s, sub) != NULL) {
        check_passed++;
        return 1;
    }
    check_failed++;
    fprintf(stdout, "FAIL %s:%d: %s contains \"%s\": got \"%s\"\n", file, line, es, sub,
            s ? s : "(null)");
    fflush(stdout);
    return 0;
}
/* The text s contains sub. */
#define CHECK_CONTAINS(s, sub) check_contains((s), (sub), __FILE__, __LINE__, #s)

static inline void check_run(const char *name, void (*fn)(void))
{
    int before = check_failed;
    fn();
    fprintf(stdout, "%s %s\n", check_failed == before ? "ok  " : "FAIL", name);
    fflush(stdout);
}
#define RUN(fn) check_run(#fn, fn)

static inline int check_summary(void)
{
    fprintf(stdout, "%d passed, %d failed\n", check_passed, check_failed);
    fflush(stdout);
    return check_failed ? 1 : 0;
}

/* --- temp folders --- */

/* Makes a new folder $TMPDIR/acdl-<tag>-XXXXXX into out. Returns 0 or -1. */
static inline int check_tmpdir(const char *tag, char *out, size_t outsz)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) {
        base = "/tmp";
    }
    if (snprintf(out, outsz, "%s/acdl-%s-XXXXXX", base, tag) >= (int)outsz) {
        return -1;
    }
    return mkdtemp(out) ? 0 : -1;
}

/* Removes path and everything below it (no symlinks are followed). */
static inline void check_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            char sub[4096];
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
                continue;
            }
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            check_rm_rf(sub);
        }
        if (d) {
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Removes a temp folder, or keeps it (and says where) when a check failed. */
static inline void check_tmpdir_done(const char *path)
{
    if (check_failed) {
        fprintf(stdout, "kept %s for inspection\n", path);
        return;
    }
    check_rm_rf(path);
}

/* Writes text to path. Returns 0 or -1. */
static inline int check_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        return -1;
    }
    size_t n = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

/* Reads a whole file into a new NUL-terminated buffer (free()); NULL on error. */
static inline char *check_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = (cap + 4096) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

#endif
