/* platform.h: the operating-system seam. Only platform/ knows about POSIX or Win32.
 *
 * Threads use the pthreads API on both systems (mingw-w64 ships winpthreads). Everything else
 * that differs between Linux and Windows (signals, file modes, directories, clocks) is a
 * plat_* function implemented once in posix.c and once in win32.c. */
#ifndef ACDL_PLATFORM_H
#define ACDL_PLATFORM_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Calls on_stop (from a signal or console-control context: it must only set a flag) when the
 * process is asked to stop (SIGTERM, SIGINT; Ctrl-C or close on Windows). Ignores SIGPIPE. */
int plat_signals_install(void (*on_stop)(void));

/* Makes everything the process creates from now on private to its account: umask 077 on
 * POSIX (the database and its -wal and -shm files, keys, logs, exports: 0600, folders 0700,
 * as the packaged systemd unit's UMask=0077 does). On Windows there is no umask: files take
 * the ACL of their folder, and the data folder gets a private ACL when plat_mkdir_p creates
 * it. Call once at start, before any thread. */
void plat_files_private(void);

/* 1 when only the owner (and, on Windows, the system and administrators) can enter dir; 0 when
 * others can (then *mode, on POSIX, holds its permission bits, else 0). */
int plat_dir_is_private(const char *dir, unsigned *mode);

/* Creates dir and its parents; existing directories are fine. private_mode: 0700 on POSIX. */
int plat_mkdir_p(const char *dir, int private_mode);

/* Writes data to path atomically (temporary file, flush, rename), readable only by the owner
 * when private_mode is set. Returns 0 or ACDL_EIO. */
int plat_file_write_atomic(const char *path, const void *data, size_t len, int private_mode);

/* 1 when path exists, 0 otherwise. */
int plat_path_exists(const char *path);

/* 1 when path is an absolute path on this machine ("/..." on POSIX; "X:\...", "X:/..." or a
 * UNC path "\\server\share..." on Windows), 0 otherwise. Only looks at the text. */
int plat_path_is_native(const char *path);

/* Space of the file system holding path: bytes free to this process and the total. Returns 0
 * or ACDL_EIO. */
int plat_disk_space(const char *path, long long *free_bytes, long long *total_bytes);

/* Returns the free memory the allocator still holds to the operating system: glibc's
 * malloc_trim; a no-op elsewhere. Thread-safe. */
void plat_memory_trim(void);

/* Sets the allocator up for a daemon of many threads that runs for months, before the first
 * thread starts (glibc; a no-op elsewhere): at most PLAT_MEMORY_ARENAS arenas instead of 8 per
 * core, so the memory one thread frees is reused by the others instead of staying in an arena
 * of its own; blocks of PLAT_MEMORY_MMAP_KIB and more (row buffers, batches, hash tables)
 * mapped on their own and given back when freed, a fixed threshold instead of glibc's, which
 * rises with every such block freed until they all stay in the arenas; and the free top of an
 * arena given back beyond PLAT_MEMORY_TRIM_KIB. */
#define PLAT_MEMORY_ARENAS 2
#define PLAT_MEMORY_MMAP_KIB 256
#define PLAT_MEMORY_TRIM_KIB 1024
void plat_memory_init(void);

/* Address space for memory handed out in whole pages (the store's page-cache slabs): n bytes
 * reserved once and not backed by memory until used. plat_pages_commit backs a part before its
 * first use (a no-op on POSIX, where touching a page backs it); plat_pages_release gives a
 * part's memory back to the system at once (its contents are lost; commit it before using it
 * again). p and n of a part are multiples of the system's page size. Returns NULL, or ACDL_ENOMEM,
 * when the system refuses. Thread-safe. */
void *plat_pages_reserve(size_t n);
int plat_pages_commit(void *p, size_t n);
void plat_pages_release(void *p, size_t n);

/* What the process's memory is made of, in bytes, for the metrics (-1: not known here): the
 * resident set and its anonymous and file-backed parts (/proc/self/status), the allocator's
 * arenas as taken from the system, the part of them in use and the part free (glibc's
 * mallinfo2), the blocks mapped on their own, and the threads. */
struct plat_memory {
    long long rss, rss_anon, rss_file;
    long long heap_system, heap_in_use, heap_free, heap_mapped;
    int threads;
};
void plat_memory_stats(struct plat_memory *m);

/* Removes a file; a missing file is not an error. */
int plat_file_remove(const char *path);

/* Renames, replacing the target. */
int plat_file_rename(const char *from, const char *to);

/* Size of the file in bytes, or -1. */
long long plat_file_size(const char *path);

/* What tells the open file f apart from every other file of the machine while it exists (device
 * and inode; volume serial and file index on Windows) as text into id, and its size now into
 * *size. Returns 0 or ACDL_EIO. */
int plat_file_identity(FILE *f, char *id, size_t idsz, long long *size);

/* Moves f's read position to the byte offset off (64-bit). Returns 0 or ACDL_EIO. */
int plat_file_seek(FILE *f, long long off);

/* Seconds since the file was last modified, by the system's real clock (never the test
 * clock: modification times are written by it); 0 for a time in the future, -1 when the file
 * cannot be looked at. */
int64_t plat_file_age_s(const char *path);

/* Milliseconds from an arbitrary start; never goes backwards. */
int64_t plat_monotonic_ms(void);

/* Seconds since the epoch (UTC wall clock). In test builds the test clock may move it
 * (docs/delivery.md, "The test clock"). */
int64_t plat_now(void);

/* 1 when the test clock is on (a test build with ACDL_TEST_CLOCK_FILE set), else 0. Threads
 * that sleep between checks of plat_now() check more often then. */
int plat_test_clock_active(void);

void plat_sleep_ms(int ms);

/* Formats a UTC epoch time as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void plat_time_iso(int64_t t, char *out, size_t outsz);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (or a bare date) into epoch seconds. Returns 0 or ACDL_EINVAL. */
int plat_time_parse_iso(const char *s, int64_t *out);

/* The folder of the system's compiled tz database (TZif files and tzdata.zi), or NULL where
 * the system has none and ICU's time-zone data is the system's (Windows updates its icu.dll
 * with the rest of Windows). Static text. */
const char *plat_tz_dir(void);

/* The host's name (for the certificate's SAN); "" when unknown. */
void plat_hostname(char *out, size_t outsz);

/* Tells the service manager about the daemon's state ("READY=1", "STOPPING=1",
 * "STATUS=..."): systemd's notify protocol on $NOTIFY_SOCKET on Linux, nothing elsewhere.
 * Does nothing when not started by a service manager. */
void plat_notify(const char *state);

/* The process environment as NULL-terminated "NAME=value" strings (borrowed). */
char **plat_environ(void);

/* Sets the environment variable name to value (replacing it). Call before threads start.
 * Returns 0 or ACDL_EIO. */
int plat_setenv(const char *name, const char *value);

/* --- threads that cannot read the daemon's own files --- */

/* Prepares a restriction that keeps a thread from reading the hidden paths (folders: all they
 * hold; at most 8; those that do not exist are skipped) and anything that appears later beside
 * them; everything else stays readable. Linux: Landlock (kernel 5.13 or later, enabled). Call
 * once at start. Returns 0, ACDL_EPERM (the system cannot restrict threads: Windows, an older
 * or a Landlock-less kernel), ACDL_EINVAL (none of the paths exists) or ACDL_EIO. */
int plat_sandbox_init(const char *const *hidden, size_t n);

/* 1 when plat_sandbox_init() succeeded. */
int plat_sandbox_ready(void);

/* Restricts the calling thread (and the threads it starts) for the rest of its life. The
 * restriction names the entries beside the hidden paths as they were when it was made, and is
 * made anew for threads entering after PLAT_SANDBOX_MAX_AGE_MS: callers keep a restricted
 * thread no longer than that, so that a file replaced there (a new /etc/resolv.conf beside
 * /etc/acdlink) is readable again soon. Returns 0 (also when it already is), or ACDL_EPERM (not
 * prepared, or refused by the system). */
#define PLAT_SANDBOX_MAX_AGE_MS (5 * 60 * 1000)
int plat_sandbox_enter(void);

/* 1 when the calling thread is restricted. */
int plat_sandbox_inside(void);

/* Calls fn(name, ctx) for every regular file directly in dir whose name matches the shell
 * pattern (*, ?, [..]), in name order. Stops early when fn returns non-zero and returns that.
 * Returns 0, or ACDL_ENOTFOUND / ACDL_EIO when dir cannot be read. */
int plat_dir_files(const char *dir, const char *pattern,
                   int (*fn)(const char *name, void *ctx), void *ctx);

/* --- paths under the allowed roots (config/roots.h) --- */

/* The absolute path of an existing file or folder with every symbolic link (Windows: junction,
 * short name) resolved into out. Returns 0, ACDL_ENOTFOUND or ACDL_EIO (ACDL_ETOOBIG). */
int plat_path_real(const char *path, char *out, size_t outsz);

/* path made absolute against the working folder (nothing resolved; it need not exist). */
int plat_path_absolute(const char *path, char *out, size_t outsz);

/* What a folder entry is. */
enum plat_entry_kind {
    PLAT_ENTRY_FILE = 0, /* a regular file */
    PLAT_ENTRY_LINK,     /* a symbolic link (Windows: a reparse point) */
    PLAT_ENTRY_DIR,
    PLAT_ENTRY_FIFO,
    PLAT_ENTRY_DEVICE,
    PLAT_ENTRY_SOCKET,
    PLAT_ENTRY_OTHER,
};

/* "a named pipe (FIFO)", "a device", ...: for run logs. */
const char *plat_entry_kind_text(enum plat_entry_kind k);
/* The kind as a word of the message codes ("file", "link", "folder", "fifo", "device",
 * "socket", "other"); a static string. */
const char *plat_entry_kind_key(enum plat_entry_kind k);

/* An open folder: files in it are opened relative to it, so renaming or replacing the folder
 * path later changes nothing about what is read. */
struct plat_dir;

/* Opens the folder path (the last name may not be a symbolic link). *out is new: give it back
 * with plat_dir_close(). Returns 0, ACDL_ENOTFOUND (missing, or not a folder), ACDL_EPERM (no
 * access) or ACDL_EIO. */
int plat_dir_open(const char *path, struct plat_dir **out);

/* The resolved absolute path of the open folder itself. Returns 0 or ACDL_EIO. */
int plat_dir_real(struct plat_dir *d, char *out, size_t outsz);

/* Calls fn(name, kind, ctx) for every entry of d (except folders and names starting with '.')
 * whose name matches the shell pattern (*, ?, [..]), in name order. Stops early when fn returns
 * non-zero and returns that. Returns 0, ACDL_ENOMEM or ACDL_EIO. */
int plat_dir_entries(struct plat_dir *d, const char *pattern,
                     int (*fn)(const char *name, enum plat_entry_kind kind, void *ctx), void *ctx);

/* Opens the file name in d for reading: never a FIFO, device or socket (not even for a moment),
 * a symbolic link only to a regular file. *out is new (fclose); real gets the resolved path of
 * what was opened, for the caller to check against the roots before reading. Returns 0;
 * ACDL_EPERM with *kind set when it is not a regular file (for a link: what it points to);
 * ACDL_ENOTFOUND (gone), ACDL_EIO. */
int plat_dir_open_file(struct plat_dir *d, const char *name, FILE **out, char *real, size_t realsz,
                       enum plat_entry_kind *kind);

/* Removes the regular file or link name in d. Returns 0 or ACDL_EIO. */
int plat_dir_remove_file(struct plat_dir *d, const char *name);

/* Moves name in d into the open folder to, replacing a file of that name there. Returns 0 or
 * ACDL_EIO. */
int plat_dir_move_file(struct plat_dir *d, const char *name, struct plat_dir *to);

/* Closes d. Accepts NULL. */
void plat_dir_close(struct plat_dir *d);

/* The state of a folder a target writes to: 0 when it exists and a file can be created in it
 * (a probe file is created and removed), ACDL_ENOTFOUND (missing or not a folder), ACDL_EPERM
 * (not writable), ACDL_ETOOBIG (the disk is full) or ACDL_EIO; sys gets the system's text. */
int plat_dir_check_writable(const char *path, char *sys, size_t syssz);

/* Creates (or truncates) path for writing, readable only by the owner (mode 0600 on POSIX).
 * New: fclose() it. NULL on error. */
FILE *plat_fopen_private(const char *path);

/* Switches f (stdin or stdout) to binary mode, so archives pass unchanged (no CRLF
 * translation on Windows; nothing to do on POSIX). */
void plat_stdio_binary(FILE *f);

/* Flushes f and forces its data to the disk. Returns 0 or ACDL_EIO. */
int plat_file_sync(FILE *f);

/* 1 when dir holds nothing but (optionally) a file named ignore (NULL: nothing ignored) or does
 * not exist; 0 when it holds anything else; ACDL_EIO when it cannot be read. */
int plat_dir_is_empty(const char *dir, const char *ignore);

/* Removes an empty directory; a missing one is not an error. */
int plat_dir_remove(const char *dir);

/* An exclusive lock on a file, held until released or the process ends (also when it
 * crashes). Only one process at a time can hold it: `serve` holds DATA/acdlink.lock so that
 * `restore` can tell a running daemon and refuse. */
struct plat_lock;

/* Takes the lock on path (created, mode 0600, if missing) without waiting. *out is new: give
 * it back with plat_lock_release(). Returns 0, ACDL_EAGAIN when another process holds it, or
 * ACDL_EIO. */
int plat_lock_acquire(const char *path, struct plat_lock **out);

/* Releases and frees the lock. Accepts NULL. */
void plat_lock_release(struct plat_lock *l);

/* --- system service (the Windows service control manager; systemd needs none of this) --- */

/* Runs serve(ctx) as the service `name` under the Windows service control manager (SCM) and
 * returns when it has stopped, with serve's return value in *serve_rc. The SCM's stop and
 * shutdown requests call on_stop (the same function a console Ctrl-C or SIGTERM calls), and
 * plat_notify("READY=1") / ("STOPPING=1") from serve report the service running / stopping.
 * Returns ACDL_OK, ACDL_ENOTFOUND when the process was not started by the SCM, ACDL_EINVAL on
 * systems without one (Linux: systemd runs the daemon in the foreground). */
int plat_service_run(const char *name, int (*serve)(void *ctx), void *ctx, void (*on_stop)(void),
                     int *serve_rc);

/* Registers the running executable as the automatically started service `name` with the
 * command line arguments args (appended to the quoted executable path), running as the
 * built-in LocalService account, restarted by the SCM after a crash, and starts it.
 * Returns ACDL_OK, ACDL_EEXIST (registered already), ACDL_EPERM (not an administrator) or
 * ACDL_EIO / ACDL_EINVAL; err (errsz bytes) then says why. */
int plat_service_install(const char *name, const char *display, const char *description,
                         const char *args, char *err, size_t errsz);

/* Stops the service `name` (waiting up to 30 s) and removes its registration.
 * Returns ACDL_OK, ACDL_ENOTFOUND, ACDL_EPERM, ACDL_EIO or ACDL_EINVAL, with err as above. */
int plat_service_remove(const char *name, char *err, size_t errsz);

/* The state folder of the system service: %ProgramData%\acdlink on Windows. Returns ACDL_OK,
 * or ACDL_EINVAL where the service manager chooses it (Linux: StateDirectory=). */
int plat_service_data_dir(char *out, size_t outsz);

/* --- TCP client sockets (the connectors' HTTPS client) --- */

/* A connected TCP socket: a file descriptor on POSIX, a SOCKET on Windows. */
typedef intptr_t plat_sock;
#define PLAT_SOCK_NONE ((plat_sock)-1)

/* Resolves host (IPv4 and IPv6) and connects to port, trying each address in turn, within
 * connect_ms; afterwards every send and receive waits at most io_ms. *out is new: close it
 * with plat_sock_close(). Returns ACDL_OK, ACDL_ENOTFOUND when host does not resolve, or
 * ACDL_EIO when no address accepts; err (errsz bytes) then holds the resolver's or the
 * system's message. Thread-safe. */
int plat_tcp_connect(const char *host, int port, int connect_ms, int io_ms, plat_sock *out,
                     char *err, size_t errsz);

/* Sends up to n bytes; returns how many were sent, or -1 (never raises SIGPIPE). */
long plat_sock_send(plat_sock s, const void *p, size_t n);

/* Receives up to n bytes: the count, 0 at the end of the stream, -1 on an error, -2 when the
 * receive timeout passed. */
long plat_sock_recv(plat_sock s, void *p, size_t n);

/* Forgets this thread's last socket error; plat_sock_timed_out() then says whether the calls
 * since (also those inside OpenSSL) failed by timing out. */
void plat_sock_error_clear(void);
int plat_sock_timed_out(void);

/* Sets how long each later send and receive on s may wait (ms >= 1). */
void plat_sock_set_timeout(plat_sock s, int ms);

/* 1 when nothing can be read from s now (no data, no end of stream, no error), without
 * waiting: a kept-alive connection that is still usable; 0 otherwise. */
int plat_sock_quiet(plat_sock s);

/* Closes s; PLAT_SOCK_NONE is ignored. */
void plat_sock_close(plat_sock s);

/* Path separator of the host, and whether its paths follow the Windows rules (core/fspath.h). */
#ifdef _WIN32
#define PLAT_PATH_SEP '\\'
#define PLAT_PATH_WINDOWS 1
#else
#define PLAT_PATH_SEP '/'
#define PLAT_PATH_WINDOWS 0
#endif

#endif
