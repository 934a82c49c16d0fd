/* tz.h: IANA time zones for local days, their intervals, and wall time <-> UTC (ICU).
 *
 * acdlink imports per source and LOCAL day of the source's IANA zone and stores UTC instants
 * (int64_t seconds since the epoch). A local day runs from the first instant at which the
 * zone's clock shows that date (its midnight, or the end of a gap when DST starts at midnight)
 * to the first instant of the next day, so the days of a zone tile the time line without
 * overlap. DST days are 23 or 25 hours long (92 or 100 quarter-hours); in the repeated autumn
 * hour a wall time occurs twice, and struct tz_sequencer tells the two apart from row order.
 *
 * The offsets come from the tz database (see tz_data_version()): the system's compiled copy
 * (Debian's tzdata package, /usr/share/zoneinfo or $TZDIR: TZif files read by core/tzif.c),
 * which the operating system keeps current, or, where there is none (Windows), ICU's, which
 * Windows updates with its own icu.dll. ICU 72's built-in copy (2022e) predates Mexico's end
 * of DST, Egypt's return to it and Kazakhstan's single zone, so Linux never uses it unless
 * the tzdata package is missing (then start-up says so). Nothing here hand-codes an offset
 * or a rule. A struct tz keeps one ICU calendar and the offsets around
 * the last local day it was asked about, so converting many wall times of one day costs a
 * few comparisons each and no ICU call.
 *
 * Dates are proleptic Gregorian, years 0001..9999. All functions return 0 or a negative
 * ACDL_E* code (core/err.h) unless said otherwise. */
#ifndef ACDL_CORE_TZ_H
#define ACDL_CORE_TZ_H
#include <stddef.h>
#include <stdint.h>

/* Longest zone name accepted (IANA's longest is 32 characters). */
#define TZ_NAME_MAX 64

/* Enough for the intervals of any day of any zone: since 2000 days are at most 27 hours long
 * (Antarctica/Casey 2010-03-05: 108 quarter-hours); the longest day in the tz database is
 * Alaska's 1867-10-19 (48 hours, when it moved across the date line): 192 quarter-hours. */
#define TZ_DAY_INTERVALS_MAX 192

/* --- zone names --- */

/* Validates a zone name: ASCII letters, digits and "/_+-", 1..TZ_NAME_MAX characters, a zone or
 * link of the tz database in use (the names in tzdata.zi; with ICU's data, the zones ICU
 * knows), case-sensitive as IANA names are: "Europe/Berlin", "UTC", "US/Eastern". Unknown
 * names (which ICU would silently turn into "Etc/Unknown", GMT), custom offsets like "GMT+5",
 * "Etc/Unknown" and tzdata's "Factory" are rejected with ACDL_EINVAL.
 * On success copies the name to store into canonical (sz bytes, NUL-terminated; canonical may
 * be NULL): the name as given, because ICU's canonical ids are CLDR's frozen spellings
 * ("Asia/Calcutta" for "Asia/Kolkata") which users would not recognise. Aliases such as
 * "US/Eastern" stay valid and behave exactly like their target. ACDL_ETOOBIG when canonical
 * is too small. Thread-safe. */
int tz_check(const char *iana, char *canonical, size_t sz);

/* Version of the tz database in use, e.g. "2025b" (static text, never NULL; "unknown" when ICU
 * cannot say). The database is chosen at the first call of any tz_* function: the folder
 * $TZDIR, else the system's (plat_tz_dir(): /usr/share/zoneinfo on Linux), when it holds tzdata.zi
 * (its "# version" line, zone and link names) and the zones' TZif files; else ICU's data.
 * Thread-safe. */
const char *tz_data_version(void);

/* Where the data comes from: "system" (the tz database folder) or "icu" (static text). */
const char *tz_data_source(void);

/* One line for the start-up log into out (sz bytes): version and folder, or, with ICU's data,
 * why no folder could be used. */
void tz_data_describe(char *out, size_t sz);

/* 1 when ICU's data is in use although the system has a tz database folder that could not
 * be read (ICU's built-in copy is older than the system's), else 0. */
int tz_data_outdated(void);

/* Uses the tz database in folder dir (as above), or ICU's data when dir is NULL, from now on.
 * For tests and tools: call it before any zone is opened and while no other thread uses tz_*.
 * ACDL_EINVAL (or ACDL_EIO, ACDL_ENOMEM) when dir holds no usable database: ICU's data is
 * used then. */
int tz_data_select(const char *dir);

/* --- local dates --- */

/* A local calendar date (proleptic Gregorian): y 1..9999, m 1..12, d 1..31. */
struct tz_date {
    int y, m, d;
};

/* Parses exactly "YYYY-MM-DD" (no spaces, signs or other lengths; years 0001..9999; the day
 * must exist in that month, so 2027-02-29 is rejected). *out is unchanged on error.
 * Returns 0 or ACDL_EINVAL. */
int tz_date_parse(const char *yyyy_mm_dd, struct tz_date *out);

/* 1 when day is a valid date in 0001-01-01..9999-12-31, else 0. */
int tz_date_valid(struct tz_date day);

/* Moves *day by n days (negative: back), across months and years; the result saturates at
 * 0001-01-01 and 9999-12-31. An invalid *day is left unchanged. */
void tz_date_add_days(struct tz_date *day, int n);

/* <0, 0 or >0 as a is before, equal to or after b (field by field). */
static inline int tz_date_cmp(struct tz_date a, struct tz_date b)
{
    if (a.y != b.y) {
        return a.y < b.y ? -1 : 1;
    }
    if (a.m != b.m) {
        return a.m < b.m ? -1 : 1;
    }
    if (a.d != b.d) {
        return a.d < b.d ? -1 : 1;
    }
    return 0;
}

/* Days from b to a (a - b); both must be valid. */
int64_t tz_date_diff(struct tz_date a, struct tz_date b);

/* ISO weekday of a valid date: Monday = 1 ... Sunday = 7; 0 for an invalid date. */
int tz_date_weekday(struct tz_date day);

/* Writes "YYYY-MM-DD" and a NUL into out; "0000-00-00" for an invalid date. */
void tz_date_format(struct tz_date day, char out[11]);

/* --- a zone --- */

struct tz;

enum tz_fold {
    TZ_EARLIER = 0, /* the first occurrence of a repeated wall time (still on summer time) */
    TZ_LATER = 1,   /* the second occurrence (after the clocks went back) */
};

/* Opens the zone iana (checked as by tz_check()). *out is new: close it with tz_close().
 * ACDL_EINVAL for an unknown name, ACDL_ENOMEM when ICU could not allocate.
 * A struct tz is not thread-safe: use it from one thread at a time (each import worker opens
 * its own; opening costs tens of microseconds). Different struct tz may be used concurrently. */
int tz_open(const char *iana, struct tz **out);

/* Closes tz; NULL is fine. */
void tz_close(struct tz *tz);

/* The zone's name as given to tz_open() (borrowed, valid while tz lives). */
const char *tz_name(const struct tz *tz);

/* UTC seconds of the local day's start and of the next local day's start (end exclusive):
 * the first instant whose local clock shows day 00:00:00 or later. When DST starts at midnight
 * (00:00 -> 01:00) the day starts at the switch, i.e. at local 01:00; when the clocks go back
 * across midnight the day starts at the first 00:00. A day that a zone skipped entirely
 * (Pacific/Apia 2011-12-30) has start == end. Either output pointer may be NULL.
 * ACDL_EINVAL for an invalid day. */
int tz_day_bounds(struct tz *tz, struct tz_date day, int64_t *start_utc, int64_t *end_utc);

/* UTC starts of the day's intervals of minutes (15, 30 or 60) minutes into starts[0..max-1],
 * their count into *n: consecutive spans of real time from the day's start to its end (see
 * tz_day_bounds()), so Europe/Berlin has 96 quarter-hours on a plain day, 92 on the spring
 * day and 100 on the autumn day (24/23/25 hours). When the day's length is not a multiple of
 * the interval (Australia/Lord_Howe shifts by 30 minutes: 23.5 h with 60-minute intervals) the
 * last interval is shorter and ends at the day's end. ACDL_EINVAL for another minutes value or
 * an invalid day, ACDL_ETOOBIG when more than max intervals (then *n is the count needed);
 * TZ_DAY_INTERVALS_MAX is always enough. */
int tz_day_intervals(struct tz *tz, struct tz_date day, int minutes, int64_t *starts, int max,
                     int *n);

/* Converts the wall time minute_of_day (0..1439) : second (0..59) of the local day into UTC
 * seconds. In a repeated hour fold picks the occurrence; elsewhere fold is ignored. A wall
 * time that does not exist on that day (inside the spring-forward gap, e.g. 02:30 in
 * Europe/Berlin on 2026-03-29) gives ACDL_EINVAL, as do out-of-range arguments. */
int tz_local_to_utc(struct tz *tz, struct tz_date day, int minute_of_day, int second,
                    enum tz_fold fold, int64_t *out);

/* Converts UTC seconds into the local wall-clock date, minute of day (0..1439), second and the
 * zone's total UTC offset in seconds (east positive: 3600 for CET, 7200 for CEST). Output
 * pointers may be NULL. ACDL_EINVAL when utc is outside years 0001..9999. */
int tz_utc_to_local(struct tz *tz, int64_t utc, struct tz_date *day, int *minute_of_day,
                    int *second, int *utc_offset_s);

/* The fold (repeated wall times) of a local day, if any: *lo and *hi (seconds of the day,
 * end exclusive) enclose wall times that occur twice; *lo == *hi == 0 when none. For
 * Europe/Berlin 2026-10-25: 7200..10800 (02:00:00 to 02:59:59). When a day has several
 * folds, the first one. */
int tz_day_fold(struct tz *tz, struct tz_date day, int *lo, int *hi);

/* --- reading rows in order --- */

/* Converts the successive wall times of one local day, as an ACD export lists them for one
 * queue (chronologically, the repeated hour listed twice), into UTC.
 *
 * The rule: a wall time inside a repeated range (a fold) is taken as its LATER occurrence
 * once, within the same fold, some wall time has been fed that is strictly smaller than the
 * wall time fed just before it ("the clock went backwards inside the fold"), and as its
 * EARLIER occurrence until then. So 01:45, 02:00, 02:15, 02:30, 02:45, 02:00, 02:15, ... on
 * Berlin's autumn day gives the first four in summer time and everything from the second 02:00
 * on in winter time. Equal successive wall times (several contacts in the same second) do not
 * count as going backwards. Wall times outside a fold are unambiguous and converted as is,
 * in any order. A wall time in the spring gap gives ACDL_EINVAL and leaves the state as it
 * was, so the caller can report that row and go on.
 * What order cannot recover: an export that lists the repeated hour only once (all EARLIER),
 * or rows sorted by wall time with the two occurrences interleaved.
 *
 * The fields are private; the struct lives wherever the caller wants (stack is fine). It
 * borrows tz, which must outlive it and carries its thread rule. */
struct tz_sequencer {
    struct tz *tz;
    struct tz_date day;
    int has_prev;
    int prev_sec;           /* the last wall time fed, seconds of the day */
    int later_lo, later_hi; /* the fold in which the clock went backwards; lo == hi: none */
};

/* Starts a sequence for one local day (and one queue). */
void tz_sequencer_init(struct tz_sequencer *s, struct tz *tz, struct tz_date day);

/* Converts the next wall time of the sequence (see above) into UTC seconds in *out.
 * ACDL_EINVAL for a wall time in the gap or out of range. */
int tz_sequencer_next(struct tz_sequencer *s, int minute_of_day, int second, int64_t *out);

#endif
