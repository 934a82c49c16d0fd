/* log.h: leveled, tagged logging to stderr and an optional bounded, rotated file.
 *
 * Thread-safe. Lines look like "2026-11-23T17:42:25Z info  http: listening on ...".
 * Callers must never pass passwords, tokens or connection strings. */
#ifndef ACDL_CORE_LOG_H
#define ACDL_CORE_LOG_H
#include <stdarg.h>

#include "platform/printf.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* Parses "error|warn|info|debug|trace". Returns the level or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* Sets the threshold (default LOG_INFO). */
void log_set_level(int level);
int log_get_level(void);

/* Also writes to path, rotating it to path.1 .. path.<keep> when it exceeds max_bytes.
 * path NULL closes the file. Returns 0 or ACDL_EIO. */
int log_set_file(const char *path, long long max_bytes, int keep);

/* Logs one line tagged with a subsystem ("http", "store", ...). Lines longer than 2 KiB are
 * truncated; control characters are escaped so a line cannot be forged by input. */
void log_msg(int level, const char *tag, const char *fmt, ...) ACDL_PRINTF(3, 4);

#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...) log_msg(LOG_DEBUG, tag, __VA_ARGS__)

/* Closes the log file. */
void log_shutdown(void);

#endif
