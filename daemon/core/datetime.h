/* datetime.h: dates, times, timestamps and durations as ACD exports write them.
 *
 * All parsers take text and its length (it need not be NUL-terminated: CSV fields are not),
 * ignore blanks (spaces, tabs) around the value, and reject anything else they do not know:
 * signs, blanks inside numbers, trailing text. They do not depend on the locale. They return
 * 0 and fill *out, or ACDL_EINVAL and write a short reason into why (why may be NULL; whysz
 * bytes, 96 are plenty; always NUL-terminated), e.g. "month 13 out of range" or "expected ':'
 * after the hour", for the caller's row error. On error *out is unspecified.
 *
 * Dates (datetime_parse_date), given the file's date order:
 *   with separators . / or - (the same one twice): 15.03.2026, 3/15/26, 2026-03-15;
 *     day and month have 1 or 2 digits, the year 2 or 4; a first part of 4 digits is always
 *     the year (2026-03-15 reads as ISO whatever the order);
 *   without separators: 6 or 8 digits in the given order: 150326, 15032026, 20260315.
 * Two-digit years: 70..99 are 1970..1999, 00..69 are 2000..2069. Four-digit years run from
 * 1900 to 9999. The day must exist (29 February only in leap years).
 *
 * Times (datetime_parse_time): H:MM, HH:MM, H:MM:SS (each part after the hour has 1 or 2
 * digits: 8:48:5 is 08:48:05), an optional fraction of the second (08:48:00.250),
 * digits only HMM, HHMM, HMMSS, HHMMSS (848, 0848, 84800, 084800), each optionally followed by
 * AM or PM (any case, also a.m./p.m., with or without a space: 9:50 AM, 9:50pm), where the hour
 * runs 1..12 and 12 AM is 00:00. 24:00 (and 24:00:00) is the end of the day: hour 24,
 * minute_of_day 1440, for the caller to handle. With DATETIME_DECIMAL_HOURS, also decimal
 * hours as Xlink accepted them: 8.5 = 08:30, .5 = 00:30, 12,7 = 12:42 (off by default: a
 * German "8.30" means 08:30, not 08:18).
 *
 * Timestamps (datetime_parse_stamp): a date as above, then 'T' or blanks, then a time as
 * above, then optionally 'Z' or an offset +HH:MM, -HH:MM, +HHMM, +HH (reported, not applied).
 *
 * Durations (datetime_parse_duration): seconds as a number (125, 125.6, 125,6), MM:SS or
 * H:MM:SS where the first part is unbounded (90:00, 26:00:00) and the others run 0..59, with
 * an optional fraction on the last part; digits beyond milliseconds are cut off. A comma followed
 * by exactly three digits (1,234) is refused as ambiguous (a thousands separator or a decimal
 * comma?).
 *
 * Explicit formats (datetime_format_compile, datetime_parse_format, datetime_format_write;
 * the same tokens for reading source data and writing export files) combine the tokens
 *   yyyy (4-digit year), yy (2-digit year, pivot as above), mm, m (month), dd, d (day),
 *   HH, H, hh, h (hour), MM (minute), SS, ss (second), AM/PM or am/pm (then the hour runs
 *   1..12; a blank before it may be missing in the text)
 * with literal characters (any ASCII punctuation, digits, 'T'; a blank matches one or more
 * blanks). mm and m are the month, except right after an hour token or right before the
 * seconds (at most one ':' or '.' between): there they are the minutes, so "hh:mm:ss" and
 * "HH:MM:SS" are the same format and "dd.mm.yyyy hh:mm" holds a month and minutes. Two-letter
 * tokens read 1 or 2 digits where a literal or the end follows (dd.mm.yyyy also reads
 * 5.3.2026) and exactly 2 where another number follows directly (ddmmyyyy, HHMMSS); m, d, H
 * and h read 1 or 2. Written, two-letter tokens have 2 digits, one-letter ones no padding.
 * Examples: "dd.mm.yyyy", "yyyy-mm-dd", "mm/dd/yy", "HH:MM:SS", "hh:mm", "H:MM AM/PM",
 * "yyyy-mm-ddTHH:MM:SS", "dd/mm/yyyy HH:MM".
 *
 * Thread safety: all functions are reentrant; a compiled format may be shared read-only. */
#ifndef ACDL_CORE_DATETIME_H
#define ACDL_CORE_DATETIME_H
#include <stddef.h>
#include <stdint.h>

enum datetime_order { DATETIME_DMY = 0, DATETIME_MDY, DATETIME_YMD };

struct datetime_date {
    int year;  /* 1900..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31, valid for the month */
};

struct datetime_time {
    int hour;          /* 0..23, or 24 for 24:00 */
    int minute;        /* 0..59 */
    int second;        /* 0..59 */
    int millisecond;   /* 0..999 (a fraction of the second, truncated) */
    int minute_of_day; /* hour * 60 + minute: 0..1439, or 1440 for 24:00 (end of the day) */
};

struct datetime_stamp {
    int has_date, has_time; /* which parts the text held (explicit formats may lack one) */
    struct datetime_date date;
    struct datetime_time time;
    int has_offset;     /* 'Z' or an offset followed the time */
    int offset_minutes; /* east of UTC: "+01:00" = 60, "-05:30" = -330, "Z" = 0 */
};

/* datetime_parse_time flags */
#define DATETIME_DECIMAL_HOURS 1u /* also decimal hours: 8.5, .5, 12,7 */

/* "dmy", "mdy" or "ymd" (any case). Returns 0 or ACDL_EINVAL. */
int datetime_order_parse(const char *s, enum datetime_order *out);

int datetime_parse_date(const char *s, size_t len, enum datetime_order order,
                        struct datetime_date *out, char *why, size_t whysz);

int datetime_parse_time(const char *s, size_t len, unsigned flags, struct datetime_time *out,
                        char *why, size_t whysz);

/* Sets has_date and has_time (both 1 on success). */
int datetime_parse_stamp(const char *s, size_t len, enum datetime_order order, unsigned flags,
                         struct datetime_stamp *out, char *why, size_t whysz);

/* *ms: the duration in milliseconds (0 .. about 10^13). */
int datetime_parse_duration(const char *s, size_t len, int64_t *ms, char *why, size_t whysz);

/* A compiled explicit format. Plain data: copy it, share it read-only; no destroy needed.
 * Its fields are private to datetime.c. */
#define DATETIME_FORMAT_MAX 32
struct datetime_format {
    int n;
    int has_date, has_time;
    struct {
        unsigned char kind;  /* token kind or literal */
        unsigned char width; /* digits: minimum; maximum is 2 or 4 */
        unsigned char maxw;
        unsigned char outw; /* digits when written */
        char lit;           /* a literal; AM/PM: 'A' or 'a' */
    } item[DATETIME_FORMAT_MAX];
};

/* The valid tokens, for error messages. */
#define DATETIME_TOKENS                                                                            \
    "the tokens are yyyy yy mm m dd d (date), HH H hh h (hour), MM (minute; mm and m after "       \
    "the hour or before the seconds), SS ss (second), AM/PM am/pm; other characters are copied"

/* Compiles fmt (NUL-terminated). A format needs a complete date (year, month and day), a
 * time (an hour and the minutes), or both; each token at most once. Returns 0 or
 * ACDL_EINVAL with the reason (e.g. "unknown token 'h' (hours are H or HH)"). */
int datetime_format_compile(struct datetime_format *f, const char *fmt, char *why, size_t whysz);

/* Writes a date and time by a compiled format into out (tokens the format lacks are not
 * written). Returns 0, or ACDL_ETOOBIG when out is too small. */
int datetime_format_write(const struct datetime_format *f, int year, int month, int day, int hour,
                          int minute, int second, char *out, size_t outsz);

/* Parses s by a compiled format. has_date/has_time say what the format holds; the other part
 * is zero. Never sets has_offset. */
int datetime_parse_format(const struct datetime_format *f, const char *s, size_t len,
                          struct datetime_stamp *out, char *why, size_t whysz);

/* Calendar helpers (proleptic Gregorian). */
int datetime_is_leap(int year);
int datetime_days_in_month(int year, int month); /* 0 for a month out of 1..12 */
/* Days from 1970-01-01 to the date (negative before). */
int64_t datetime_days_from_civil(int year, int month, int day);

#endif
