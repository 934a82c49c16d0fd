/* test_datetime.c: unit tests of the date, time, timestamp and duration parsers
 * (core/datetime.c), table-driven: each row is an input and its result or its reason. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/datetime.h"
#include "core/err.h"

static void date_ok(const char *s, enum datetime_order order, int y, int m, int d, int line)
{
    struct datetime_date out = {0};
    char why[96] = "";
    int rc = datetime_parse_date(s, strlen(s), order, &out, why, sizeof(why));
    if (rc != 0 || out.year != y || out.month != m || out.day != d) {
        char what[200];
        snprintf(what, sizeof(what), "date '%s' (order %d): rc %d %04d-%02d-%02d '%s'", s,
                 (int)order, rc, out.year, out.month, out.day, why);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

static void date_bad(const char *s, enum datetime_order order, const char *reason, int line)
{
    struct datetime_date out;
    char why[96] = "";
    int rc = datetime_parse_date(s, strlen(s), order, &out, why, sizeof(why));
    if (rc != ACDL_EINVAL || strcmp(why, reason) != 0) {
        char what[240];
        snprintf(what, sizeof(what), "date '%s': rc %d, reason '%s', expected '%s'", s, rc, why,
                 reason);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

#define DATE_OK(s, o, y, m, d) date_ok(s, o, y, m, d, __LINE__)
#define DATE_BAD(s, o, why) date_bad(s, o, why, __LINE__)

static void test_dates(void)
{
    /* separators, orders, 1- and 2-digit parts */
    DATE_OK("15.03.2026", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("15/03/2026", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("15-03-2026", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("5.3.2026", DATETIME_DMY, 2026, 3, 5);
    DATE_OK("02/09/2019", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("02/09/19", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("2/9/19", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("2/9/2019", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("2026-03-15", DATETIME_YMD, 2026, 3, 15);
    DATE_OK("2026/3/5", DATETIME_YMD, 2026, 3, 5);
    DATE_OK("26.03.15", DATETIME_YMD, 2026, 3, 15);
    /* a leading 4-digit year is ISO order whatever the setting */
    DATE_OK("2026-03-15", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("2026.03.15", DATETIME_MDY, 2026, 3, 15);
    /* without separators */
    DATE_OK("020919", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("02092019", DATETIME_MDY, 2019, 2, 9);
    DATE_OK("15032026", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("150326", DATETIME_DMY, 2026, 3, 15);
    DATE_OK("20260315", DATETIME_YMD, 2026, 3, 15);
    DATE_OK("260315", DATETIME_YMD, 2026, 3, 15);
    /* two-digit year pivot: 70..99 -> 19xx, 00..69 -> 20xx */
    DATE_OK("01.01.70", DATETIME_DMY, 1970, 1, 1);
    DATE_OK("31.12.99", DATETIME_DMY, 1999, 12, 31);
    DATE_OK("01.01.00", DATETIME_DMY, 2000, 1, 1);
    DATE_OK("31.12.69", DATETIME_DMY, 2069, 12, 31);
    /* leap years */
    DATE_OK("29.02.2024", DATETIME_DMY, 2024, 2, 29);
    DATE_OK("29.02.2000", DATETIME_DMY, 2000, 2, 29);
    DATE_OK("29.02.00", DATETIME_DMY, 2000, 2, 29);
    DATE_BAD("29.02.2026", DATETIME_DMY, "day 29 out of range (February 2026 has 28 days)");
    DATE_BAD("29.02.1900", DATETIME_DMY, "day 29 out of range (February 1900 has 28 days)");
    DATE_BAD("31.04.2026", DATETIME_DMY, "day 31 out of range (April 2026 has 30 days)");
    /* blanks around are fine, inside are not */
    DATE_OK("  15.03.2026\t", DATETIME_DMY, 2026, 3, 15);
    DATE_BAD("15. 03.2026", DATETIME_DMY, "expected a digit in the date, found ' '");
    DATE_BAD("15.03 .2026", DATETIME_DMY, "expected '.', '/' or '-' in the date, found ' '");
    /* ranges */
    DATE_BAD("15.13.2026", DATETIME_DMY, "month 13 out of range");
    DATE_BAD("15.00.2026", DATETIME_DMY, "month 0 out of range");
    DATE_BAD("00.03.2026", DATETIME_DMY, "day 0 out of range");
    DATE_BAD("32.03.2026", DATETIME_DMY, "day 32 out of range");
    DATE_BAD("03/15/2026", DATETIME_DMY, "month 15 out of range");
    DATE_BAD("15.03.0026", DATETIME_DMY, "year 0026 out of range");
    DATE_BAD("15.03.1899", DATETIME_DMY, "year 1899 out of range");
    DATE_BAD("15.03.202", DATETIME_DMY, "year with 3 digits (use 2 or 4)");
    DATE_BAD("15.03.2", DATETIME_DMY, "year with 1 digit (use 2 or 4)");
    /* shapes */
    DATE_BAD("", DATETIME_DMY, "empty");
    DATE_BAD("   ", DATETIME_DMY, "empty");
    DATE_BAD("-15.03.2026", DATETIME_DMY, "sign not allowed");
    DATE_BAD("+2026-03-15", DATETIME_YMD, "sign not allowed");
    DATE_BAD("15.03/2026", DATETIME_DMY, "mixed date separators '.' and '/'");
    DATE_BAD("15.03.2026.", DATETIME_DMY, "unexpected '.' after the date");
    DATE_BAD("15.03", DATETIME_DMY, "expected '.', '/' or '-' in the date, found end");
    DATE_BAD("15..2026", DATETIME_DMY, "expected a digit in the date, found '.'");
    DATE_BAD("15.03.20261", DATETIME_DMY, "too many digits in the date");
    DATE_BAD("150.03.2026", DATETIME_DMY, "too many digits for the day");
    DATE_BAD("03.150.2026", DATETIME_MDY, "too many digits for the day");
    DATE_BAD("2026-003-15", DATETIME_YMD, "too many digits for the month");
    DATE_BAD("1503202", DATETIME_DMY, "7 digits: a date without separators has 6 or 8");
    DATE_BAD("15 03 2026", DATETIME_DMY, "expected '.', '/' or '-' in the date, found ' '");
    DATE_BAD("15.März.2026", DATETIME_DMY, "expected a digit in the date, found 'M'");
    DATE_BAD("20261315", DATETIME_YMD, "month 13 out of range");
    DATE_BAD("15.03.2026", (enum datetime_order)9, "unknown date order");

    enum datetime_order o = DATETIME_DMY;
    CHECK_EQ_INT(datetime_order_parse("MDY", &o), 0);
    CHECK_EQ_INT(o, DATETIME_MDY);
    CHECK_EQ_INT(datetime_order_parse("ymd", &o), 0);
    CHECK_EQ_INT(o, DATETIME_YMD);
    CHECK_EQ_INT(datetime_order_parse("dmy", &o), 0);
    CHECK_EQ_INT(o, DATETIME_DMY);
    CHECK_EQ_INT(datetime_order_parse("dym", &o), ACDL_EINVAL);
    CHECK_EQ_INT(datetime_order_parse("dmyy", &o), ACDL_EINVAL);
    CHECK_EQ_INT(datetime_order_parse(NULL, &o), ACDL_EINVAL);

    /* not NUL-terminated: only len bytes count */
    struct datetime_date d;
    CHECK_EQ_INT(datetime_parse_date("15.03.2026XYZ", 10, DATETIME_DMY, &d, NULL, 0), 0);
    CHECK_EQ_INT(d.day, 15);
    /* why may be NULL */
    CHECK_EQ_INT(datetime_parse_date("x", 1, DATETIME_DMY, &d, NULL, 0), ACDL_EINVAL);
}

static void time_ok(const char *s, unsigned flags, int h, int m, int sec, int ms, int line)
{
    struct datetime_time out = {0};
    char why[96] = "";
    int rc = datetime_parse_time(s, strlen(s), flags, &out, why, sizeof(why));
    if (rc != 0 || out.hour != h || out.minute != m || out.second != sec || out.millisecond != ms ||
        out.minute_of_day != h * 60 + m) {
        char what[200];
        snprintf(what, sizeof(what), "time '%s': rc %d %02d:%02d:%02d.%03d (%d) '%s'", s, rc,
                 out.hour, out.minute, out.second, out.millisecond, out.minute_of_day, why);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

static void time_bad(const char *s, unsigned flags, const char *reason, int line)
{
    struct datetime_time out;
    char why[96] = "";
    int rc = datetime_parse_time(s, strlen(s), flags, &out, why, sizeof(why));
    if (rc != ACDL_EINVAL || strcmp(why, reason) != 0) {
        char what[240];
        snprintf(what, sizeof(what), "time '%s': rc %d, reason '%s', expected '%s'", s, rc, why,
                 reason);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

#define TIME_OK(s, h, m, sec) time_ok(s, 0, h, m, sec, 0, __LINE__)
#define TIME_OKF(s, f, h, m, sec, ms) time_ok(s, f, h, m, sec, ms, __LINE__)
#define TIME_BAD(s, why) time_bad(s, 0, why, __LINE__)
#define TIME_BADF(s, f, why) time_bad(s, f, why, __LINE__)

static void test_times(void)
{
    TIME_OK("8:48", 8, 48, 0);
    TIME_OK("08:48", 8, 48, 0);
    TIME_OK("0848", 8, 48, 0);
    TIME_OK("848", 8, 48, 0);
    TIME_OK("08:48:00", 8, 48, 0);
    TIME_OK("8:48:00", 8, 48, 0);
    TIME_OK("8:48:5", 8, 48, 5);
    TIME_OK("8:5", 8, 5, 0);
    TIME_OK("084800", 8, 48, 0);
    TIME_OK("84800", 8, 48, 0);
    TIME_OK("235959", 23, 59, 59);
    TIME_OK("00:00", 0, 0, 0);
    TIME_OK("0:00", 0, 0, 0);
    TIME_OK(" 08:48 ", 8, 48, 0);
    TIME_OKF("08:48:00.250", 0, 8, 48, 0, 250);
    TIME_OKF("08:48:01.5", 0, 8, 48, 1, 500);
    TIME_OKF("08:48:01.123456789", 0, 8, 48, 1, 123);
    /* AM / PM */
    TIME_OK("9:50 AM", 9, 50, 0);
    TIME_OK("9:50pm", 21, 50, 0);
    TIME_OK("9:50 p.m.", 21, 50, 0);
    TIME_OK("9:50 A.M.", 9, 50, 0);
    TIME_OK("9:50:34 AM", 9, 50, 34);
    TIME_OK("12:00 AM", 0, 0, 0);
    TIME_OK("12:00 PM", 12, 0, 0);
    TIME_OK("12:30 am", 0, 30, 0);
    TIME_OK("1:05 PM", 13, 5, 0);
    TIME_OK("1159PM", 23, 59, 0);
    TIME_BAD("13:00 PM", "hour 13 out of range for PM (1 to 12)");
    TIME_BAD("0:30 AM", "hour 0 out of range for AM (1 to 12)");
    TIME_BAD("AM", "expected a time before AM/PM");
    TIME_BAD("9:50 XM", "unexpected ' ' after the time");
    /* 24:00 is the end of the day */
    TIME_OK("24:00", 24, 0, 0);
    TIME_OK("24:00:00", 24, 0, 0);
    TIME_OK("2400", 24, 0, 0);
    TIME_BAD("24:01", "after 24:00 (only 24:00 itself may end a day)");
    TIME_BAD("24:00:01", "after 24:00 (only 24:00 itself may end a day)");
    TIME_BADF("24:00:00.5", 0, "after 24:00 (only 24:00 itself may end a day)");
    /* ranges and shapes */
    TIME_BAD("25:00", "hour 25 out of range");
    TIME_BAD("08:60", "minute 60 out of range");
    TIME_BAD("08:59:60", "second 60 out of range");
    TIME_BAD("0860", "minute 60 out of range");
    TIME_BAD("8", "expected ':' after the hour");
    TIME_BAD("08", "expected ':' after the hour");
    TIME_BAD("8.30", "expected ':' after the hour, found '.'");
    TIME_BAD("8h30", "expected ':' after the hour, found 'h'");
    TIME_BAD("1234567", "7 digits: a time without ':' has 3 to 6");
    TIME_BAD("123:00", "too many digits for the hour");
    TIME_BAD("08:123", "too many digits for the minute");
    TIME_BAD("08:12:123", "too many digits for the second");
    TIME_BAD("08:", "expected the minute, found end");
    TIME_BAD("08:12:", "expected the second, found end");
    TIME_BAD("08:12:00.", "expected a digit after '.'");
    TIME_BAD("08: 12", "expected the minute, found ' '");
    TIME_BAD("08 :12", "expected ':' after the hour, found ' '");
    TIME_BAD("08:12x", "unexpected 'x' after the time");
    TIME_BAD(":12", "expected the hour, found ':'");
    TIME_BAD("-08:00", "sign not allowed");
    TIME_BAD("+0800", "sign not allowed");
    TIME_BAD("", "empty");
    /* decimal hours (opt-in) */
    TIME_OKF("8.5", DATETIME_DECIMAL_HOURS, 8, 30, 0, 0);
    TIME_OKF(".5", DATETIME_DECIMAL_HOURS, 0, 30, 0, 0);
    TIME_OKF("12,7", DATETIME_DECIMAL_HOURS, 12, 42, 0, 0);
    TIME_OKF("24.0", DATETIME_DECIMAL_HOURS, 24, 0, 0, 0);
    TIME_OKF("0.25", DATETIME_DECIMAL_HOURS, 0, 15, 0, 0);
    TIME_OKF("8.5 PM", DATETIME_DECIMAL_HOURS, 20, 30, 0, 0);
    TIME_OKF("08:48", DATETIME_DECIMAL_HOURS, 8, 48, 0, 0);
    TIME_BADF("24.5", DATETIME_DECIMAL_HOURS, "hour 24 out of range");
    TIME_BADF("8.", DATETIME_DECIMAL_HOURS, "expected 1 to 6 digits after '.'");
    TIME_BADF("8,500", DATETIME_DECIMAL_HOURS,
              "ambiguous '8,500' (thousands separator or decimal comma?)");
    TIME_BADF("8.5x", DATETIME_DECIMAL_HOURS, "unexpected 'x' after the time");
}

static void stamp_ok(const char *s, enum datetime_order order, int y, int mo, int d, int h, int mi,
                     int sec, int has_off, int off, int line)
{
    struct datetime_stamp out;
    char why[96] = "";
    memset(&out, 0, sizeof(out));
    int rc = datetime_parse_stamp(s, strlen(s), order, 0, &out, why, sizeof(why));
    if (rc != 0 || !out.has_date || !out.has_time || out.date.year != y || out.date.month != mo ||
        out.date.day != d || out.time.hour != h || out.time.minute != mi ||
        out.time.second != sec || out.has_offset != has_off || out.offset_minutes != off) {
        char what[240];
        snprintf(what, sizeof(what),
                 "stamp '%s': rc %d %04d-%02d-%02d %02d:%02d:%02d off %d/%d '%s'", s, rc,
                 out.date.year, out.date.month, out.date.day, out.time.hour, out.time.minute,
                 out.time.second, out.has_offset, out.offset_minutes, why);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

static void stamp_bad(const char *s, enum datetime_order order, const char *reason, int line)
{
    struct datetime_stamp out;
    char why[96] = "";
    int rc = datetime_parse_stamp(s, strlen(s), order, 0, &out, why, sizeof(why));
    if (rc != ACDL_EINVAL || strcmp(why, reason) != 0) {
        char what[240];
        snprintf(what, sizeof(what), "stamp '%s': rc %d, reason '%s', expected '%s'", s, rc, why,
                 reason);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

#define STAMP_OK(s, o, y, mo, d, h, mi, sec) stamp_ok(s, o, y, mo, d, h, mi, sec, 0, 0, __LINE__)
#define STAMP_OFF(s, o, y, mo, d, h, mi, sec, off)                                                 \
    stamp_ok(s, o, y, mo, d, h, mi, sec, 1, off, __LINE__)
#define STAMP_BAD(s, o, why) stamp_bad(s, o, why, __LINE__)

static void test_stamps(void)
{
    STAMP_OK("2026-03-15 08:45:00", DATETIME_YMD, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("15.03.2026 8:45", DATETIME_DMY, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("15.03.2026   8:45", DATETIME_DMY, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("03/15/26 9:50 PM", DATETIME_MDY, 2026, 3, 15, 21, 50, 0);
    STAMP_OK("2026-03-15T08:45:00", DATETIME_YMD, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("2026-03-15T08:45:00", DATETIME_DMY, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("20260315 0845", DATETIME_YMD, 2026, 3, 15, 8, 45, 0);
    STAMP_OK("2026-03-15 24:00", DATETIME_YMD, 2026, 3, 15, 24, 0, 0);
    STAMP_OFF("2026-03-15T08:45:00Z", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 0);
    STAMP_OFF("2026-03-15T08:45:00.123Z", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 0);
    STAMP_OFF("2026-03-15T08:45:00+01:00", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 60);
    STAMP_OFF("2026-03-15T08:45:00-05:30", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, -330);
    STAMP_OFF("2026-03-15T08:45+0200", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 120);
    STAMP_OFF("2026-03-15T08:45:00+02", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 120);
    STAMP_OFF("2026-03-15T08:45:00-00:00", DATETIME_YMD, 2026, 3, 15, 8, 45, 0, 0);
    STAMP_BAD("2026-03-15T08:45:00+1:00", DATETIME_YMD,
              "expected +HH:MM, +HHMM or +HH as the offset");
    STAMP_BAD("2026-03-15T08:45:00+01:0", DATETIME_YMD,
              "expected two digits for the offset's minutes");
    STAMP_BAD("2026-03-15T08:45:00+19:00", DATETIME_YMD, "offset +19:00 out of range");
    STAMP_BAD("2026-03-15T08:45:00+01:00x", DATETIME_YMD, "unexpected text after the offset");
    STAMP_BAD("2026-03-15T08:45:00 +01:00", DATETIME_YMD, "blank before the offset");
    STAMP_BAD("2026-03-15TZ", DATETIME_YMD, "expected a time after the date");
    STAMP_BAD("2026-03-15", DATETIME_YMD, "expected a time after the date");
    STAMP_BAD("2026-03-15 ", DATETIME_YMD, "expected a time after the date");
    STAMP_BAD("2026-13-15 08:00", DATETIME_YMD, "month 13 out of range");
    STAMP_BAD("2026-03-15 08:61", DATETIME_YMD, "minute 61 out of range");
    STAMP_BAD("2026-03-15T 08:00", DATETIME_YMD, "expected the hour, found ' '");
    STAMP_BAD("-2026-03-15 08:00", DATETIME_YMD, "sign not allowed");
    STAMP_BAD("", DATETIME_YMD, "empty");
}

static void dur_ok(const char *s, long long ms, int line)
{
    int64_t out = -1;
    char why[96] = "";
    int rc = datetime_parse_duration(s, strlen(s), &out, why, sizeof(why));
    if (rc != 0 || out != ms) {
        char what[200];
        snprintf(what, sizeof(what), "duration '%s': rc %d %lld ms '%s'", s, rc, (long long)out,
                 why);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

static void dur_bad(const char *s, const char *reason, int line)
{
    int64_t out;
    char why[96] = "";
    int rc = datetime_parse_duration(s, strlen(s), &out, why, sizeof(why));
    if (rc != ACDL_EINVAL || strcmp(why, reason) != 0) {
        char what[240];
        snprintf(what, sizeof(what), "duration '%s': rc %d, reason '%s', expected '%s'", s, rc, why,
                 reason);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

#define DUR_OK(s, ms) dur_ok(s, ms, __LINE__)
#define DUR_BAD(s, why) dur_bad(s, why, __LINE__)

static void test_durations(void)
{
    DUR_OK("125", 125000);
    DUR_OK("125.6", 125600);
    DUR_OK("125,6", 125600);
    DUR_OK("0", 0);
    DUR_OK(".5", 500);
    DUR_OK("0.0019", 1);
    DUR_OK("125.6789", 125678);
    DUR_OK(" 42 ", 42000);
    DUR_OK("9999999999", 9999999999000LL);
    DUR_OK("02:05", 125000);
    DUR_OK("2:05", 125000);
    DUR_OK("90:00", 5400000);
    DUR_OK("0:59.5", 59500);
    DUR_OK("01:02:03", 3723000);
    DUR_OK("26:00:00", 93600000);
    DUR_OK("100:00:00.25", 360000250);
    DUR_OK("1:2:3", 3723000);
    DUR_BAD("", "empty");
    DUR_BAD("-5", "sign not allowed");
    DUR_BAD("+5", "sign not allowed");
    DUR_BAD("12 5", "unexpected ' ' in the duration");
    DUR_BAD("1,234", "ambiguous '1,234' (thousands separator or decimal comma?)");
    DUR_BAD("12.", "expected a digit after '.'");
    DUR_BAD("abc", "expected a number");
    DUR_BAD("12s", "unexpected 's' in the duration");
    DUR_BAD("99999999999", "number too large");
    DUR_BAD("0.1234567891", "too many digits after '.'");
    DUR_BAD("1:60", "seconds 60 out of range");
    DUR_BAD("1:60:00", "minutes 60 out of range");
    DUR_BAD("1:02:03:04", "too many ':' in the duration");
    DUR_BAD("1:", "expected 2 digits for the seconds");
    DUR_BAD("1:123", "expected 2 digits for the seconds");
    DUR_BAD("1:123:00", "expected 2 digits for the minutes");
    DUR_BAD(":30", "expected a digit in the duration, found ':'");
    DUR_BAD("12a:3", "unexpected 'a' in the duration");
    DUR_BAD("1: 30", "expected 2 digits for the seconds");
    DUR_BAD("1234567890:00", "number too large");
}

/* --- explicit formats --- */

static void fmt_ok(const char *fmt, const char *s, int y, int mo, int d, int h, int mi, int sec,
                   int line)
{
    struct datetime_format f;
    struct datetime_stamp out;
    char why[400] = "";
    int rc = datetime_format_compile(&f, fmt, why, sizeof(why));
    memset(&out, 0, sizeof(out));
    if (rc == 0) {
        rc = datetime_parse_format(&f, s, strlen(s), &out, why, sizeof(why));
    }
    int want_date = y != 0, want_time = h >= 0;
    if (rc != 0 || out.has_date != want_date || out.has_time != want_time ||
        (want_date && (out.date.year != y || out.date.month != mo || out.date.day != d)) ||
        (want_time && (out.time.hour != h || out.time.minute != mi || out.time.second != sec))) {
        char what[240];
        snprintf(what, sizeof(what),
                 "format '%s' on '%s': rc %d %04d-%02d-%02d %02d:%02d:%02d '%s'", fmt, s, rc,
                 out.date.year, out.date.month, out.date.day, out.time.hour, out.time.minute,
                 out.time.second, why);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, s);
    }
}

static void fmt_bad(const char *fmt, const char *s, const char *reason, int line)
{
    struct datetime_format f;
    struct datetime_stamp out;
    char why[400] = "";
    int rc = datetime_format_compile(&f, fmt, why, sizeof(why));
    if (rc == 0 && s) {
        rc = datetime_parse_format(&f, s, strlen(s), &out, why, sizeof(why));
    } else if (rc == 0) {
        snprintf(why, sizeof(why), "(format compiled)");
    }
    if (rc != ACDL_EINVAL || strcmp(why, reason) != 0) {
        char what[1000];
        snprintf(what, sizeof(what), "format '%s' on '%s': rc %d, reason '%s', expected '%s'", fmt,
                 s ? s : "-", rc, why, reason);
        check_record(0, __FILE__, line, what);
    } else {
        check_record(1, __FILE__, line, fmt);
    }
}

#define FMT_DATE(f, s, y, mo, d) fmt_ok(f, s, y, mo, d, -1, 0, 0, __LINE__)
#define FMT_TIME(f, s, h, mi, sec) fmt_ok(f, s, 0, 0, 0, h, mi, sec, __LINE__)
#define FMT_BOTH(f, s, y, mo, d, h, mi, sec) fmt_ok(f, s, y, mo, d, h, mi, sec, __LINE__)
#define FMT_BAD(f, s, why) fmt_bad(f, s, why, __LINE__)

static void test_formats(void)
{
    FMT_DATE("dd.mm.yyyy", "15.03.2026", 2026, 3, 15);
    FMT_DATE("dd.mm.yyyy", "5.3.2026", 2026, 3, 5);
    FMT_DATE("yyyy-mm-dd", "2026-03-15", 2026, 3, 15);
    FMT_DATE("mm/dd/yy", "03/15/26", 2026, 3, 15);
    FMT_DATE("mm/dd/yy", "03/15/99", 1999, 3, 15);
    FMT_DATE("m/d/yyyy", "3/5/2026", 2026, 3, 5);
    FMT_DATE("m/d/yyyy", "12/25/2026", 2026, 12, 25);
    FMT_DATE("ddmmyyyy", "15032026", 2026, 3, 15);
    FMT_DATE("yyyymmdd", "20260315", 2026, 3, 15);
    FMT_DATE("yymmdd", "260315", 2026, 3, 15);
    FMT_DATE("dd/mm/yyyy", " 15/03/2026 ", 2026, 3, 15);
    FMT_TIME("HH:MM:SS", "08:45:00", 8, 45, 0);
    FMT_TIME("HH:MM:SS", "8:45:00", 8, 45, 0);
    FMT_TIME("HH:MM", "24:00", 24, 0, 0);
    FMT_TIME("H:MM", "9:05", 9, 5, 0);
    FMT_TIME("HHMMSS", "084500", 8, 45, 0);
    FMT_TIME("HHMM", "0845", 8, 45, 0);
    FMT_TIME("H:MM AM/PM", "9:50 PM", 21, 50, 0);
    FMT_TIME("H:MM AM/PM", "9:50pm", 21, 50, 0);
    FMT_TIME("H:MM AM/PM", "12:10 a.m.", 0, 10, 0);
    FMT_TIME("H:MM am/pm", "12:10 PM", 12, 10, 0);
    FMT_BOTH("yyyy-mm-ddTHH:MM:SS", "2026-03-15T08:45:00", 2026, 3, 15, 8, 45, 0);
    FMT_BOTH("dd/mm/yyyy HH:MM", "15/03/2026  08:45", 2026, 3, 15, 8, 45, 0);
    FMT_BOTH("yyyymmddHHMMSS", "20260315084500", 2026, 3, 15, 8, 45, 0);

    FMT_BAD("dd.mm.yyyy", "31.04.2026", "day 31 out of range (April 2026 has 30 days)");
    FMT_BAD("dd.mm.yyyy", "15.13.2026", "month 13 out of range");
    FMT_BAD("dd.mm.yyyy", "15-03-2026", "expected '.' after the day, found '-'");
    FMT_BAD("dd.mm.yyyy", "15.03.26", "expected 4 digits for the year");
    FMT_BAD("dd.mm.yyyy", "15.03.20266", "too many digits for the year");
    FMT_DATE("dd.mm.yyyy", "15.03.2026 ", 2026, 3, 15);
    FMT_BAD("dd.mm.yyyy", "15.03.2026x", "unexpected 'x' at the end");
    FMT_BAD("dd.mm.yyyy", "x15.03.2026", "expected the day, found 'x'");
    FMT_BAD("dd.mm.yyyy", "-15.03.2026", "sign not allowed");
    FMT_BAD("dd.mm.yyyy", "", "empty");
    FMT_BAD("dd.mm.yyyy", "150.03.2026", "too many digits for the day");
    FMT_BAD("ddmmyyyy", "1532026", "expected 4 digits for the year");
    FMT_BAD("HH:MM", "8h45", "expected ':' after the hour, found 'h'");
    FMT_BAD("HH:MM", "25:00", "hour 25 out of range");
    FMT_BAD("HH:MM", "24:30", "after 24:00 (only 24:00 itself may end a day)");
    FMT_BAD("H:MM AM/PM", "13:00 PM", "hour 13 out of range for PM (1 to 12)");
    FMT_BAD("H:MM AM/PM", "9:50", "expected AM or PM, found end");
    FMT_BAD("H:MM AM/PM", "9:50 XM", "expected AM or PM, found 'X'");
    FMT_BAD("mm/dd/yy", "03/15/2026", "too many digits for the year");
    FMT_BAD("dd/mm/yyyy HH:MM", "15/03/200608:45", "too many digits for the year");
    FMT_BAD("dd/mm/yyyy HH:MM", "15/03/2026T08:45", "expected a blank after the year, found 'T'");

    /* compile errors */
    FMT_BAD("", NULL, "empty format");
    FMT_BAD(
        "HH:M", NULL,
        "unknown token 'M' in the format (MM, SS, ss, yy and yyyy come in full); " DATETIME_TOKENS);
    FMT_BAD("YYYY-MM-DD", NULL,
            "unknown token 'Y' in the format (dates use yyyy, mm, dd); " DATETIME_TOKENS);
    FMT_BAD(
        "hh:mm:s", NULL,
        "unknown token 's' in the format (MM, SS, ss, yy and yyyy come in full); " DATETIME_TOKENS);
    FMT_BAD("dd.mm", NULL, "the format's date needs a year, a month and a day");
    FMT_BAD("dd.mm.yyyy.yy", NULL, "the year appears twice in the format");
    FMT_BAD(
        "HH", NULL,
        "the format's time needs an hour (HH, H, hh, h) and minutes (MM, or mm after the hour)");
    FMT_BAD(
        "MM:SS", NULL,
        "the format's time needs an hour (HH, H, hh, h) and minutes (MM, or mm after the hour)");
    FMT_BAD("---", NULL, "the format has no date or time tokens; " DATETIME_TOKENS);
    FMT_BAD("dd.mm.yyyy\x01", NULL, "unexpected byte 0x01 in the format");
    FMT_BAD("d.d.d.d.d.d.d.d.d.d.d.d.d.d.d.d.d.d.d.d", NULL, "the day appears twice in the format");
    FMT_BAD("..................................", NULL, "format too long");
    /* one token set: lower-case hours and seconds, mm as the minutes beside them */
    FMT_TIME("hh:mm", "08:45", 8, 45, 0);
    FMT_TIME("hh:mm:ss", "8:45:12", 8, 45, 12);
    FMT_TIME("h.mm", "8.05", 8, 5, 0);
    FMT_TIME("hhmm", "0845", 8, 45, 0);
    FMT_TIME("hh:MM:SS", "23:59:58", 23, 59, 58);
    FMT_DATE("dd.mm.yyyy", "05.03.2026", 2026, 3, 5);
    FMT_BAD("dd.mm.yyyy hh:mm", "05.03.2026 08:61", "minute 61 out of range");
    FMT_BAD(
        "mm:ss", NULL,
        "the format's time needs an hour (HH, H, hh, h) and minutes (MM, or mm after the hour)");
    struct datetime_format f;
    char w[64];
    CHECK_EQ_INT(datetime_format_compile(&f, "dd.mm.yyyy hh:mm", w, sizeof(w)), ACDL_OK);
    CHECK(f.has_date && f.has_time);
    CHECK_EQ_INT(datetime_format_write(&f, 2026, 3, 5, 8, 7, 9, w, sizeof(w)), ACDL_OK);
    CHECK_EQ_STR(w, "05.03.2026 08:07");
    CHECK_EQ_INT(datetime_format_compile(&f, "d/m/yy H:MM:SS am/pm", w, sizeof(w)), ACDL_OK);
    CHECK_EQ_INT(datetime_format_write(&f, 2026, 3, 5, 15, 7, 9, w, sizeof(w)), ACDL_OK);
    CHECK_EQ_STR(w, "5/3/26 3:07:09 pm");
    CHECK_EQ_INT(datetime_format_compile(&f, "yyyy-mm-ddTHH:MM:SS", w, sizeof(w)), ACDL_OK);
    CHECK_EQ_INT(datetime_format_write(&f, 2026, 12, 31, 0, 0, 0, w, sizeof(w)), ACDL_OK);
    CHECK_EQ_STR(w, "2026-12-31T00:00:00");
    CHECK_EQ_INT(datetime_format_write(&f, 2026, 12, 31, 0, 0, 0, w, 8), ACDL_ETOOBIG);
    CHECK_EQ_INT(datetime_format_compile(&f, NULL, NULL, 0), ACDL_EINVAL);
    /* a date-only format gives no time and vice versa */
    struct datetime_stamp st;
    if (CHECK_EQ_INT(datetime_format_compile(&f, "dd.mm.yyyy", NULL, 0), 0)) {
        CHECK_EQ_INT(datetime_parse_format(&f, "15.03.2026", 10, &st, NULL, 0), 0);
        CHECK(st.has_date && !st.has_time && !st.has_offset);
    }
}

static void test_calendar(void)
{
    CHECK(datetime_is_leap(2024));
    CHECK(!datetime_is_leap(2026));
    CHECK(!datetime_is_leap(1900));
    CHECK(datetime_is_leap(2000));
    CHECK_EQ_INT(datetime_days_in_month(2024, 2), 29);
    CHECK_EQ_INT(datetime_days_in_month(2026, 2), 28);
    CHECK_EQ_INT(datetime_days_in_month(2026, 12), 31);
    CHECK_EQ_INT(datetime_days_in_month(2026, 13), 0);
    CHECK_EQ_INT(datetime_days_in_month(2026, 0), 0);
    CHECK_EQ_INT(datetime_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(datetime_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(datetime_days_from_civil(2026, 3, 15), 20527);
    CHECK_EQ_INT(datetime_days_from_civil(1969, 12, 31), -1);
    /* every day of 1900..2100 follows the one before */
    int64_t prev = datetime_days_from_civil(1899, 12, 31);
    int bad = 0;
    for (int y = 1900; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= datetime_days_in_month(y, m); d++) {
                int64_t n = datetime_days_from_civil(y, m, d);
                bad += n != prev + 1;
                prev = n;
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    RUN(test_dates);
    RUN(test_times);
    RUN(test_stamps);
    RUN(test_durations);
    RUN(test_formats);
    RUN(test_calendar);
    return check_summary();
}
