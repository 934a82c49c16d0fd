/* win32.c: platform functions for Windows (mingw-w64). Threads come from winpthreads. */
#include <windows.h>
#include <sddl.h>
#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/err.h"
#include "core/fspath.h"
#include "platform/entries.h"
#include "platform/platform.h"

static void (*stop_cb)(void);

static BOOL WINAPI on_console(DWORD type)
{
    if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT || type == CTRL_CLOSE_EVENT ||
        type == CTRL_SHUTDOWN_EVENT) {
        if (stop_cb) {
            stop_cb();
        }
        return TRUE;
    }
    return FALSE;
}

int plat_signals_install(void (*on_stop)(void))
{
    stop_cb = on_stop;
    return SetConsoleCtrlHandler(on_console, TRUE) ? ACDL_OK : ACDL_EIO;
}

/* A security descriptor for a private folder: full control for SYSTEM, the Administrators
 * and the account running acdlink (the LocalService account for the service), inherited by
 * everything inside, nothing inherited from the parent (ProgramData lets every local user
 * read). Caller frees it with LocalFree. Returns NULL on failure. */
static PSECURITY_DESCRIPTOR private_sd(void)
{
    HANDLE token = NULL;
    union {
        TOKEN_USER user;
        char buf[256];
    } tu;
    DWORD n = 0;
    char *sid = NULL, sddl[512];
    PSECURITY_DESCRIPTOR sd = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
        return NULL;
    }
    if (GetTokenInformation(token, TokenUser, &tu, sizeof(tu), &n) &&
        ConvertSidToStringSidA(tu.user.User.Sid, &sid)) {
        snprintf(sddl, sizeof(sddl), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;%s)", sid);
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd,
                                                                  NULL)) {
            sd = NULL;
        }
        LocalFree(sid);
    }
    CloseHandle(token);
    return sd;
}

void plat_files_private(void)
{
    /* Nothing to set: Windows has no umask. New files inherit the ACL of their folder, and
     * plat_mkdir_p gives a data folder it creates a private one (SYSTEM, Administrators, the
     * account running acdlink), not inherited from ProgramData. A data folder made by someone
     * else keeps the ACL they gave it; acdlink does not rewrite it. */
}

int plat_dir_is_private(const char *dir, unsigned *mode)
{
    /* Reading a folder's effective ACL back is not attempted: the folder acdlink creates is
     * private by construction (see plat_files_private). */
    (void)dir;
    *mode = 0;
    return 1;
}

int plat_mkdir_p(const char *dir, int private_mode)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(buf)) {
        return ACDL_EINVAL;
    }
    memcpy(buf, dir, n + 1);
    while (n > 1 && (buf[n - 1] == '/' || buf[n - 1] == '\\')) {
        buf[--n] = '\0';
    }
    for (size_t i = 1; i < n; i++) {
        if (buf[i] == '/' || buf[i] == '\\') {
            char c = buf[i];
            if (i == 2 && buf[1] == ':') {
                continue; /* "C:" */
            }
            buf[i] = '\0';
            if (_mkdir(buf) != 0 && errno != EEXIST) {
                return ACDL_EIO;
            }
            buf[i] = c;
        }
    }
    /* The folder itself: a new private folder gets its ACL at creation; an existing one keeps
     * the ACL its creator gave it. */
    if (GetFileAttributesA(buf) == INVALID_FILE_ATTRIBUTES) {
        SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
        if (private_mode && !(sa.lpSecurityDescriptor = private_sd())) {
            return ACDL_EIO;
        }
        BOOL ok = CreateDirectoryA(buf, private_mode ? &sa : NULL);
        if (sa.lpSecurityDescriptor) {
            LocalFree(sa.lpSecurityDescriptor);
        }
        if (!ok && GetLastError() != ERROR_ALREADY_EXISTS) {
            return ACDL_EIO;
        }
    }
    DWORD attr = GetFileAttributesA(buf);
    return attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY) ? ACDL_OK
                                                                                : ACDL_EIO;
}

int plat_file_write_atomic(const char *path, const void *data, size_t len, int private_mode)
{
    char tmp[4096];
    FILE *f;
    (void)private_mode;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return ACDL_EINVAL;
    }
    f = fopen(tmp, "wb");
    if (!f) {
        return errno == ENOENT   ? ACDL_ENOTFOUND
               : errno == EACCES ? ACDL_EPERM
               : errno == ENOSPC ? ACDL_ENOSPC
                                 : ACDL_EIO;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || _commit(_fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        DeleteFileA(tmp);
        return e == ENOSPC ? ACDL_ENOSPC : ACDL_EIO;
    }
    fclose(f);
    if (!MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        DeleteFileA(tmp);
        return ACDL_EIO;
    }
    return ACDL_OK;
}

int plat_disk_space(const char *path, long long *free_bytes, long long *total_bytes)
{
    ULARGE_INTEGER avail, total;
    if (!GetDiskFreeSpaceExA(path, &avail, &total, NULL)) {
        return ACDL_EIO;
    }
    *free_bytes = (long long)avail.QuadPart;
    *total_bytes = (long long)total.QuadPart;
    return ACDL_OK;
}

void plat_memory_trim(void)
{
    /* the Windows heap returns free pages itself */
}

void plat_memory_init(void)
{
    /* the Windows heap has no per-thread arenas to limit */
}

void plat_memory_stats(struct plat_memory *m)
{
    /* not measured here: the Windows heap has no arenas to watch */
    m->rss = m->rss_anon = m->rss_file = -1;
    m->heap_system = m->heap_in_use = m->heap_free = m->heap_mapped = -1;
    m->threads = -1;
}

int plat_path_exists(const char *path)
{
    return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

int plat_path_is_native(const char *path)
{
    if (!path || !path[0]) {
        return 0;
    }
    int drive = ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) &&
                path[1] == ':' && (path[2] == '\\' || path[2] == '/');
    int unc = (path[0] == '\\' && path[1] == '\\') || (path[0] == '/' && path[1] == '/');
    return drive || unc;
}

int plat_file_remove(const char *path)
{
    if (!DeleteFileA(path) && GetLastError() != ERROR_FILE_NOT_FOUND) {
        return ACDL_EIO;
    }
    return ACDL_OK;
}

int plat_file_rename(const char *from, const char *to)
{
    return MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING) ? ACDL_OK : ACDL_EIO;
}

long long plat_file_size(const char *path)
{
    WIN32_FILE_ATTRIBUTE_DATA a;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &a)) {
        return -1;
    }
    return ((long long)a.nFileSizeHigh << 32) | a.nFileSizeLow;
}

int plat_file_identity(FILE *f, char *id, size_t idsz, long long *size)
{
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
    if (h == INVALID_HANDLE_VALUE || !GetFileInformationByHandle(h, &info)) {
        return ACDL_EIO;
    }
    snprintf(id, idsz, "%lu:%lu:%lu", (unsigned long)info.dwVolumeSerialNumber,
             (unsigned long)info.nFileIndexHigh, (unsigned long)info.nFileIndexLow);
    *size = ((long long)info.nFileSizeHigh << 32) | info.nFileSizeLow;
    return ACDL_OK;
}

int plat_file_seek(FILE *f, long long off)
{
    return _fseeki64(f, off, SEEK_SET) == 0 ? ACDL_OK : ACDL_EIO;
}

int64_t plat_file_age_s(const char *path)
{
    WIN32_FILE_ATTRIBUTE_DATA a;
    FILETIME now;
    ULARGE_INTEGER m, n;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &a)) {
        return -1;
    }
    GetSystemTimeAsFileTime(&now);
    m.LowPart = a.ftLastWriteTime.dwLowDateTime;
    m.HighPart = a.ftLastWriteTime.dwHighDateTime;
    n.LowPart = now.dwLowDateTime;
    n.HighPart = now.dwHighDateTime;
    /* both count 100 ns steps */
    return n.QuadPart > m.QuadPart ? (int64_t)((n.QuadPart - m.QuadPart) / 10000000ULL) : 0;
}

int64_t plat_monotonic_ms(void)
{
    return (int64_t)GetTickCount64();
}

int64_t plat_now(void)
{
    return (int64_t)time(NULL);
}

int plat_test_clock_active(void)
{
    return 0; /* the test clock exists on POSIX test builds only */
}

void plat_sleep_ms(int ms)
{
    Sleep((DWORD)ms);
}

void plat_time_iso(int64_t t, char *out, size_t outsz)
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_s(&tm, &tt);
    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *plat_tz_dir(void)
{
    return NULL; /* Windows keeps the tz data of its own icu.dll current */
}

void plat_hostname(char *out, size_t outsz)
{
    DWORD n = (DWORD)outsz;
    if (!GetComputerNameExA(ComputerNameDnsHostname, out, &n)) {
        out[0] = '\0';
    }
}

char **plat_environ(void)
{
    return _environ;
}

int plat_setenv(const char *name, const char *value)
{
    return _putenv_s(name, value) == 0 ? ACDL_OK : ACDL_EIO;
}

/* Windows has no way to keep one thread of a process from the files the process may read:
 * callers fall back to what they do without it. */
int plat_sandbox_init(const char *const *hidden, size_t n)
{
    (void)hidden;
    (void)n;
    return ACDL_EPERM;
}

int plat_sandbox_ready(void)
{
    return 0;
}

int plat_sandbox_enter(void)
{
    return ACDL_EPERM;
}

int plat_sandbox_inside(void)
{
    return 0;
}

int plat_dir_is_empty(const char *dir, const char *ignore)
{
    char pattern[4096];
    WIN32_FIND_DATAA fd;
    int empty = 1;
    if (snprintf(pattern, sizeof(pattern), "%s\\*", dir) >= (int)sizeof(pattern)) {
        return ACDL_EINVAL;
    }
    HANDLE h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? 1 : ACDL_EIO;
    }
    do {
        if (!strcmp(fd.cFileName, ".") || !strcmp(fd.cFileName, "..") ||
            (ignore && !_stricmp(fd.cFileName, ignore))) {
            continue;
        }
        empty = 0;
        break;
    } while (FindNextFileA(h, &fd));
    FindClose(h);
    return empty;
}

int plat_dir_remove(const char *dir)
{
    if (!RemoveDirectoryA(dir) && GetLastError() != ERROR_FILE_NOT_FOUND &&
        GetLastError() != ERROR_PATH_NOT_FOUND) {
        return ACDL_EIO;
    }
    return ACDL_OK;
}

struct plat_lock {
    HANDLE h;
};

int plat_lock_acquire(const char *path, struct plat_lock **out)
{
    /* no sharing: a second open fails while this handle lives */
    HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    struct plat_lock *l;
    if (h == INVALID_HANDLE_VALUE) {
        return GetLastError() == ERROR_SHARING_VIOLATION ? ACDL_EAGAIN : ACDL_EIO;
    }
    l = malloc(sizeof(*l));
    if (!l) {
        CloseHandle(h);
        return ACDL_ENOMEM;
    }
    l->h = h;
    *out = l;
    return ACDL_OK;
}

void plat_lock_release(struct plat_lock *l)
{
    if (!l) {
        return;
    }
    CloseHandle(l->h);
    free(l);
}

FILE *plat_fopen_private(const char *path)
{
    /* the data folder's ACL (set by the installer) keeps others out */
    return fopen(path, "wb");
}

int plat_file_sync(FILE *f)
{
    return fflush(f) == 0 && _commit(_fileno(f)) == 0 ? ACDL_OK : ACDL_EIO;
}

void plat_stdio_binary(FILE *f)
{
    _setmode(_fileno(f), _O_BINARY);
}

/* --- paths under the allowed roots --- */

static int win_rc(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_DIRECTORY: return ACDL_ENOTFOUND;
    case ERROR_ACCESS_DENIED:
    case ERROR_WRITE_PROTECT:
    case ERROR_SHARING_VIOLATION: return ACDL_EPERM;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return ACDL_ENOSPC;
    default: return ACDL_EIO;
    }
}

/* The final path of an open handle in the usual form (C:\dir, \\server\share\dir). */
static int handle_path(HANDLE h, char *out, size_t outsz)
{
    char buf[4096];
    DWORD n = GetFinalPathNameByHandleA(h, buf, sizeof(buf), FILE_NAME_NORMALIZED);
    if (n == 0 || n >= sizeof(buf)) {
        return ACDL_EIO;
    }
    return fspath_from_final(buf, out, outsz);
}

int plat_path_real(const char *path, char *out, size_t outsz)
{
    HANDLE h = CreateFileA(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    int rc;
    if (h == INVALID_HANDLE_VALUE) {
        return win_rc(GetLastError()) == ACDL_ENOTFOUND ? ACDL_ENOTFOUND : ACDL_EIO;
    }
    rc = handle_path(h, out, outsz);
    CloseHandle(h);
    return rc;
}

int plat_path_absolute(const char *path, char *out, size_t outsz)
{
    DWORD n = GetFullPathNameA(path, (DWORD)outsz, out, NULL);
    return n > 0 && n < outsz ? ACDL_OK : ACDL_ETOOBIG;
}

const char *plat_entry_kind_text(enum plat_entry_kind k)
{
    switch (k) {
    case PLAT_ENTRY_FILE: return "a regular file";
    case PLAT_ENTRY_LINK: return "a symbolic link or junction";
    case PLAT_ENTRY_DIR: return "a folder";
    case PLAT_ENTRY_FIFO: return "a named pipe";
    case PLAT_ENTRY_DEVICE: return "a device";
    case PLAT_ENTRY_SOCKET: return "a socket";
    default: return "not a regular file";
    }
}

struct plat_dir {
    HANDLE h; /* held open: the folder cannot be renamed or replaced meanwhile */
    char path[4096];
};

int plat_dir_open(const char *path, struct plat_dir **out)
{
    struct plat_dir *d;
    HANDLE h =
        CreateFileA(path, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    BY_HANDLE_FILE_INFORMATION info;
    if (h == INVALID_HANDLE_VALUE) {
        return win_rc(GetLastError());
    }
    if (!GetFileInformationByHandle(h, &info) ||
        !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
        (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        CloseHandle(h);
        return ACDL_ENOTFOUND;
    }
    d = malloc(sizeof(*d));
    if (!d) {
        CloseHandle(h);
        return ACDL_ENOMEM;
    }
    d->h = h;
    snprintf(d->path, sizeof(d->path), "%s", path);
    *out = d;
    return ACDL_OK;
}

int plat_dir_real(struct plat_dir *d, char *out, size_t outsz)
{
    return handle_path(d->h, out, outsz);
}

int plat_dir_entries(struct plat_dir *d, const char *pattern,
                     int (*fn)(const char *name, enum plat_entry_kind kind, void *ctx), void *ctx)
{
    char spec[4200];
    WIN32_FIND_DATAA fd;
    struct plat_entries list = {NULL, 0, 0};
    int rc = ACDL_OK;
    if (snprintf(spec, sizeof(spec), "%s\\%s", d->path, pattern) >= (int)sizeof(spec)) {
        return ACDL_EINVAL;
    }
    HANDLE h = FindFirstFileA(spec, &fd);
    if (h == INVALID_HANDLE_VALUE) {
        return GetLastError() == ERROR_FILE_NOT_FOUND ? ACDL_OK : ACDL_EIO;
    }
    do {
        DWORD a = fd.dwFileAttributes;
        if (fd.cFileName[0] == '.' ||
            ((a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT))) {
            continue;
        }
        rc = plat_entries_add(&list, fd.cFileName,
                              (a & FILE_ATTRIBUTE_REPARSE_POINT) ? PLAT_ENTRY_LINK
                              : (a & FILE_ATTRIBUTE_DEVICE)      ? PLAT_ENTRY_DEVICE
                                                                 : PLAT_ENTRY_FILE);
    } while (rc == ACDL_OK && FindNextFileA(h, &fd));
    FindClose(h);
    return plat_entries_run(&list, rc, fn, ctx);
}

int plat_dir_open_file(struct plat_dir *d, const char *name, FILE **out, char *real, size_t realsz,
                       enum plat_entry_kind *kind)
{
    char path[8300];
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE h;
    int fd, rc;
    FILE *f;
    *out = NULL;
    *kind = PLAT_ENTRY_OTHER;
    if (!fspath_pattern_ok(name) || strpbrk(name, "*?")) {
        return ACDL_EINVAL;
    }
    snprintf(path, sizeof(path), "%s\\%s", d->path, name);
    /* links are followed here; real then names the target, which the caller checks */
    h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        return win_rc(GetLastError());
    }
    if (GetFileType(h) != FILE_TYPE_DISK) {
        *kind = GetFileType(h) == FILE_TYPE_PIPE ? PLAT_ENTRY_FIFO : PLAT_ENTRY_DEVICE;
        CloseHandle(h);
        return ACDL_EPERM;
    }
    if (!GetFileInformationByHandle(h, &info) ||
        (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
        *kind = PLAT_ENTRY_DIR;
        CloseHandle(h);
        return ACDL_EPERM;
    }
    if ((rc = handle_path(h, real, realsz)) != ACDL_OK) {
        CloseHandle(h);
        return rc;
    }
    fd = _open_osfhandle((intptr_t)h, _O_RDONLY | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h);
        return ACDL_EIO;
    }
    if (!(f = _fdopen(fd, "rb"))) {
        _close(fd);
        return ACDL_ENOMEM;
    }
    *kind = PLAT_ENTRY_FILE;
    *out = f;
    return ACDL_OK;
}

int plat_dir_remove_file(struct plat_dir *d, const char *name)
{
    char path[8300];
    snprintf(path, sizeof(path), "%s\\%s", d->path, name);
    return DeleteFileA(path) || GetLastError() == ERROR_FILE_NOT_FOUND ? ACDL_OK
                                                                       : win_rc(GetLastError());
}

int plat_dir_move_file(struct plat_dir *d, const char *name, struct plat_dir *to)
{
    char from[8300], dest[8300];
    snprintf(from, sizeof(from), "%s\\%s", d->path, name);
    snprintf(dest, sizeof(dest), "%s\\%s", to->path, name);
    return MoveFileExA(from, dest, MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED)
               ? ACDL_OK
               : win_rc(GetLastError());
}

void plat_dir_close(struct plat_dir *d)
{
    if (!d) {
        return;
    }
    CloseHandle(d->h);
    free(d);
}

int plat_dir_check_writable(const char *path, char *sys, size_t syssz)
{
    char probe[4200];
    DWORD attr = GetFileAttributesA(path), e, w = 0;
    sys[0] = '\0';
    if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) {
        e = GetLastError();
        snprintf(sys, syssz, "%s",
                 attr == INVALID_FILE_ATTRIBUTES ? "cannot be found" : "not a folder");
        return attr == INVALID_FILE_ATTRIBUTES && win_rc(e) == ACDL_EPERM ? ACDL_EPERM
                                                                          : ACDL_ENOTFOUND;
    }
    snprintf(probe, sizeof(probe), "%s\\.acdlink-probe-%lu", path,
             (unsigned long)GetCurrentProcessId());
    HANDLE h = CreateFileA(probe, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                           FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        e = GetLastError();
        snprintf(sys, syssz, "Windows error %lu", (unsigned long)e);
        return win_rc(e) == ACDL_ENOTFOUND ? ACDL_EIO : win_rc(e);
    }
    BOOL ok = WriteFile(h, "x", 1, &w, NULL) && w == 1 && FlushFileBuffers(h);
    e = ok ? 0 : GetLastError();
    CloseHandle(h);
    if (!ok) {
        snprintf(sys, syssz, "Windows error %lu", (unsigned long)e);
        return win_rc(e);
    }
    return ACDL_OK;
}
