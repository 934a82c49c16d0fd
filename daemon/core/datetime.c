/* datetime.c: parsers for dates, times, timestamps and durations (see datetime.h).
 *
 * Hand-written scanners over (pointer, length): no sscanf/strtol, so no locale, no hidden
 * whitespace skipping, no signs, no overflow. Every number is read digit by digit with an
 * explicit digit count. */
#include "core/datetime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"

#include "platform/printf.h"

/* Writes the reason into why and notes its message code and parameters (stolen; code NULL:
 * a reason of the configuration, which has no code) for whoever shows it (core/why.h). */
static int fail(char *why, size_t whysz, const char *code, json_t *params, const char *fmt, ...)
    ACDL_PRINTF(5, 6);

static int fail(char *why, size_t whysz, const char *code, json_t *params, const char *fmt, ...)
{
    if (why && whysz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
        if (code) {
            why_note(why, code, params);
            params = NULL;
        }
    }
    json_decref(params);
    return ACDL_EINVAL;
}

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Describes the character at s[i] (or the end) for "unexpected ..." reasons. */
static void describe(const char *s, size_t len, size_t i, char *out, size_t outsz)
{
    if (i >= len) {
        snprintf(out, outsz, "end");
    } else if ((unsigned char)s[i] >= 0x21 && (unsigned char)s[i] < 0x7F) {
        snprintf(out, outsz, "'%c'", s[i]);
    } else if (s[i] == ' ') {
        snprintf(out, outsz, "' '");
    } else {
        snprintf(out, outsz, "byte 0x%02X", (unsigned)(unsigned char)s[i]);
    }
}

/* Drops blanks around the text. */
static void trim(const char **s, size_t *len)
{
    while (*len && is_blank((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_blank((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Reads up to maxd digits at s[*i]; *nd gets how many. */
static long long read_digits(const char *s, size_t len, size_t *i, int maxd, int *nd)
{
    long long v = 0;
    int n = 0;
    while (*i < len && n < maxd && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    *nd = n;
    return v;
}

/* Counts the digits at s[i]. */
static size_t count_digits(const char *s, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && is_digit(s[i + n])) {
        n++;
    }
    return n;
}

static int check_sign(const char *s, size_t len, char *why, size_t whysz)
{
    if (len == 0) {
        return fail(why, whysz, "dt.empty", NULL, "empty");
    }
    if (s[0] == '+' || s[0] == '-') {
        return fail(why, whysz, "dt.sign", NULL, "sign not allowed");
    }
    return ACDL_OK;
}

/* --- calendar --- */

int datetime_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int datetime_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) {
        return 0;
    }
    return days[month - 1] + (month == 2 && datetime_is_leap(year));
}

int64_t datetime_days_from_civil(int year, int month, int day)
{
    /* Howard Hinnant's days_from_civil */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int year_from(long long v, int ndigits, int *year, char *why, size_t whysz)
{
    if (ndigits == 2) {
        *year = (int)(v >= 70 ? 1900 + v : 2000 + v);
        return ACDL_OK;
    }
    if (ndigits != 4) {
        return fail(why, whysz, "dt.year_digits", json_pack("{s:i}", "n", ndigits),
                    "year with %d digit%s (use 2 or 4)", ndigits, ndigits == 1 ? "" : "s");
    }
    if (v < 1900) {
        return fail(why, whysz, "dt.year_range", json_pack("{s:I}", "year", (json_int_t)v),
                    "year %04lld out of range", v);
    }
    *year = (int)v;
    return ACDL_OK;
}

static int date_check(int y, int m, int d, struct datetime_date *out, char *why, size_t whysz)
{
    int dim;
    if (m < 1 || m > 12) {
        return fail(why, whysz, "dt.month_range", json_pack("{s:i}", "month", m),
                    "month %d out of range", m);
    }
    dim = datetime_days_in_month(y, m);
    if (d < 1 || d > dim) {
        if (d >= 1 && d <= 31) {
            return fail(
                why, whysz, "dt.day_range_month",
                json_pack("{s:i, s:i, s:i, s:i}", "day", d, "month", m, "year", y, "days", dim),
                "day %d out of range (%s %d has %d days)", d, month_names[m - 1], y, dim);
        }
        return fail(why, whysz, "dt.day_range", json_pack("{s:i}", "day", d), "day %d out of range",
                    d);
    }
    out->year = y;
    out->month = m;
    out->day = d;
    return ACDL_OK;
}

/* --- dates --- */

int datetime_order_parse(const char *s, enum datetime_order *out)
{
    static const char *const names[3] = {"dmy", "mdy", "ymd"};
    if (!s || strlen(s) != 3) {
        return ACDL_EINVAL;
    }
    for (int k = 0; k < 3; k++) {
        int same = 1;
        for (int i = 0; i < 3; i++) {
            char c = s[i];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c - 'A' + 'a');
            }
            if (c != names[k][i]) {
                same = 0;
            }
        }
        if (same) {
            *out = (enum datetime_order)k;
            return ACDL_OK;
        }
    }
    return ACDL_EINVAL;
}

/* A date without separators: 6 or 8 digits. */
static int date_packed(const char *s, size_t len, enum datetime_order order,
                       struct datetime_date *out, char *why, size_t whysz)
{
    int yd = len == 8 ? 4 : 2, nd, year = 0, rc;
    size_t i = 0;
    long long a, b, c;
    if (len != 6 && len != 8) {
        return fail(why, whysz, "dt.packed_digits", json_pack("{s:I}", "n", (json_int_t)len),
                    "%zu digits: a date without separators has 6 or 8", len);
    }
    if (order == DATETIME_YMD) {
        a = read_digits(s, len, &i, yd, &nd); /* year */
        b = read_digits(s, len, &i, 2, &nd);  /* month */
        c = read_digits(s, len, &i, 2, &nd);  /* day */
        rc = year_from(a, yd, &year, why, whysz);
        return rc ? rc : date_check(year, (int)b, (int)c, out, why, whysz);
    }
    a = read_digits(s, len, &i, 2, &nd);
    b = read_digits(s, len, &i, 2, &nd);
    c = read_digits(s, len, &i, yd, &nd);
    rc = year_from(c, yd, &year, why, whysz);
    if (rc) {
        return rc;
    }
    return order == DATETIME_DMY ? date_check(year, (int)b, (int)a, out, why, whysz)
                                 : date_check(year, (int)a, (int)b, out, why, whysz);
}

static int date_parse(const char *s, size_t len, enum datetime_order order,
                      struct datetime_date *out, char *why, size_t whysz)
{
    long long part[3];
    int nd[3], year = 0, rc;
    size_t i = 0;
    char sep = 0, what[16] = "";
    int rc0 = check_sign(s, len, why, whysz);
    if (rc0) {
        return rc0;
    }
    if (order != DATETIME_DMY && order != DATETIME_MDY && order != DATETIME_YMD) {
        return fail(why, whysz, NULL, NULL, "unknown date order");
    }
    if (count_digits(s, len, 0) == len) {
        return date_packed(s, len, order, out, why, whysz);
    }
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (i >= len || (s[i] != '.' && s[i] != '/' && s[i] != '-')) {
                describe(s, len, i, what, sizeof(what));
                return fail(why, whysz, "dt.date_sep", json_pack("{s:s}", "found", what),
                            "expected '.', '/' or '-' in the date, found %s", what);
            }
            if (k == 1) {
                sep = s[i];
            } else if (s[i] != sep) {
                return fail(why, whysz, "dt.date_sep_mixed",
                            json_pack("{s:s%, s:s%}", "a", &sep, (size_t)1, "b", &s[i], (size_t)1),
                            "mixed date separators '%c' and '%c'", sep, s[i]);
            }
            i++;
        }
        if (count_digits(s, len, i) > 4) {
            return fail(why, whysz, "dt.date_digits", NULL, "too many digits in the date");
        }
        part[k] = read_digits(s, len, &i, 4, &nd[k]);
        if (nd[k] == 0) {
            describe(s, len, i, what, sizeof(what));
            return fail(why, whysz, "dt.date_digit", json_pack("{s:s}", "found", what),
                        "expected a digit in the date, found %s", what);
        }
    }
    if (i < len) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.after_date", json_pack("{s:s}", "found", what),
                    "unexpected %s after the date", what);
    }
    if (nd[0] == 4) {
        order = DATETIME_YMD; /* 2026-03-15 is unambiguous */
    }
    if (order == DATETIME_YMD) {
        if (nd[1] > 2 || nd[2] > 2) {
            return fail(why, whysz, "dt.part_digits",
                        json_pack("{s:s}", "part", nd[1] > 2 ? "month" : "day"),
                        "too many digits for the %s", nd[1] > 2 ? "month" : "day");
        }
        rc = year_from(part[0], nd[0], &year, why, whysz);
        return rc ? rc : date_check(year, (int)part[1], (int)part[2], out, why, whysz);
    }
    if (nd[0] > 2 || nd[1] > 2) {
        int day_first = order == DATETIME_DMY;
        return fail(why, whysz, "dt.part_digits",
                    json_pack("{s:s}", "part", (nd[0] > 2) == day_first ? "day" : "month"),
                    "too many digits for the %s", (nd[0] > 2) == day_first ? "day" : "month");
    }
    rc = year_from(part[2], nd[2], &year, why, whysz);
    if (rc) {
        return rc;
    }
    return order == DATETIME_DMY ? date_check(year, (int)part[1], (int)part[0], out, why, whysz)
                                 : date_check(year, (int)part[0], (int)part[1], out, why, whysz);
}

int datetime_parse_date(const char *s, size_t len, enum datetime_order order,
                        struct datetime_date *out, char *why, size_t whysz)
{
    trim(&s, &len);
    return date_parse(s, len, order, out, why, whysz);
}

/* --- times --- */

/* ampm: 0 none, 1 AM, 2 PM. */
static int time_finish(long long h, long long mi, long long sec, int ms, int ampm,
                       struct datetime_time *out, char *why, size_t whysz)
{
    if (ampm) {
        if (h < 1 || h > 12) {
            return fail(
                why, whysz, "dt.hour_ampm",
                json_pack("{s:I, s:s}", "hour", (json_int_t)h, "ampm", ampm == 1 ? "AM" : "PM"),
                "hour %lld out of range for %s (1 to 12)", h, ampm == 1 ? "AM" : "PM");
        }
        h = h % 12 + (ampm == 2 ? 12 : 0);
    } else if (h > 24) {
        return fail(why, whysz, "dt.hour_range", json_pack("{s:I}", "hour", (json_int_t)h),
                    "hour %lld out of range", h);
    }
    if (mi > 59) {
        return fail(why, whysz, "dt.minute_range", json_pack("{s:I}", "minute", (json_int_t)mi),
                    "minute %lld out of range", mi);
    }
    if (sec > 59) {
        return fail(why, whysz, "dt.second_range", json_pack("{s:I}", "second", (json_int_t)sec),
                    "second %lld out of range", sec);
    }
    if (h == 24 && (mi || sec || ms)) {
        return fail(why, whysz, "dt.after_24", NULL,
                    "after 24:00 (only 24:00 itself may end a day)");
    }
    out->hour = (int)h;
    out->minute = (int)mi;
    out->second = (int)sec;
    out->millisecond = ms;
    out->minute_of_day = (int)(h * 60 + mi);
    return ACDL_OK;
}

/* Strips a trailing AM/PM marker (am, pm, a.m., p.m., any case; blanks before it allowed).
 * Returns 0 none, 1 AM, 2 PM and shortens *len. */
static int strip_ampm(const char *s, size_t *len)
{
    size_t n = *len;
    char m;
    if (n >= 2 && (s[n - 1] == 'm' || s[n - 1] == 'M')) {
        m = s[n - 2];
        n -= 2;
    } else if (n >= 4 && s[n - 1] == '.' && (s[n - 2] == 'm' || s[n - 2] == 'M') &&
               s[n - 3] == '.') {
        m = s[n - 4];
        n -= 4;
    } else {
        return 0;
    }
    if (m != 'a' && m != 'A' && m != 'p' && m != 'P') {
        return 0;
    }
    while (n && is_blank(s[n - 1])) {
        n--;
    }
    *len = n;
    return (m == 'a' || m == 'A') ? 1 : 2;
}

/* Reads ".ddd" (1 to 9 digits) into milliseconds (truncated); *i at the '.'. */
static int read_fraction_ms(const char *s, size_t len, size_t *i, int *ms, char *why, size_t whysz)
{
    size_t nd = count_digits(s, len, *i + 1);
    long long v = 0;
    if (nd == 0) {
        return fail(why, whysz, "dt.digit_after", json_pack("{s:s%}", "char", &s[*i], (size_t)1),
                    "expected a digit after '%c'", s[*i]);
    }
    if (nd > 9) {
        return fail(why, whysz, "dt.fraction_digits", NULL, "too many digits in the fraction");
    }
    for (size_t k = 0; k < 3; k++) {
        v = v * 10 + (k < nd ? s[*i + 1 + k] - '0' : 0);
    }
    *ms = (int)v;
    *i += 1 + nd;
    return ACDL_OK;
}

/* Decimal hours: "8.5", ".5", "12,7". */
static int time_decimal(const char *s, size_t len, int ampm, struct datetime_time *out, char *why,
                        size_t whysz)
{
    size_t i = 0, nf;
    int nd;
    long long h = read_digits(s, len, &i, 2, &nd), frac = 0, scale = 1, secs;
    char what[16] = "";
    if (i < len && is_digit(s[i])) {
        return fail(why, whysz, "dt.part_digits", json_pack("{s:s}", "part", "hour"),
                    "too many digits for the hour");
    }
    if (i >= len || (s[i] != '.' && s[i] != ',')) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.colon_after_hour", json_pack("{s:s}", "found", what),
                    "expected ':' after the hour, found %s", what);
    }
    nf = count_digits(s, len, i + 1);
    if (nf == 0 || nf > 6) {
        return fail(why, whysz, "dt.fraction_after", json_pack("{s:s%}", "char", &s[i], (size_t)1),
                    "expected 1 to 6 digits after '%c'", s[i]);
    }
    if (s[i] == ',' && nf == 3 && nd > 0) {
        return fail(why, whysz, "dt.ambiguous", json_pack("{s:s%}", "value", s, len),
                    "ambiguous '%.*s' (thousands separator or decimal comma?)", (int)len, s);
    }
    for (size_t k = 0; k < nf; k++) {
        frac = frac * 10 + (s[i + 1 + k] - '0');
        scale *= 10;
    }
    i += 1 + nf;
    if (i < len) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.after_time", json_pack("{s:s}", "found", what),
                    "unexpected %s after the time", what);
    }
    /* whole seconds, rounded */
    secs = h * 3600 + (frac * 3600 * 2 + scale) / (2 * scale);
    if (ampm) {
        if (h < 1 || h > 12 || secs >= 13 * 3600) {
            return fail(
                why, whysz, "dt.hour_ampm",
                json_pack("{s:I, s:s}", "hour", (json_int_t)h, "ampm", ampm == 1 ? "AM" : "PM"),
                "hour %lld out of range for %s (1 to 12)", h, ampm == 1 ? "AM" : "PM");
        }
        return time_finish(secs / 3600, secs / 60 % 60, secs % 60, 0, ampm, out, why, whysz);
    }
    if (secs > 24 * 3600) {
        return fail(why, whysz, "dt.hour_range", json_pack("{s:I}", "hour", (json_int_t)h),
                    "hour %lld out of range", h);
    }
    return time_finish(secs / 3600, secs / 60 % 60, secs % 60, 0, 0, out, why, whysz);
}

static int time_parse(const char *s, size_t len, unsigned flags, struct datetime_time *out,
                      char *why, size_t whysz)
{
    int ampm, nd, ms = 0, rc;
    size_t i = 0, ndig;
    long long h, mi = 0, sec = 0;
    char what[16] = "";
    rc = check_sign(s, len, why, whysz);
    if (rc) {
        return rc;
    }
    ampm = strip_ampm(s, &len);
    if (len == 0) {
        return fail(why, whysz, "dt.time_before_ampm", NULL, "expected a time before AM/PM");
    }
    ndig = count_digits(s, len, 0);
    if (ndig == len) {
        /* digits only: HMM, HHMM, HMMSS, HHMMSS */
        if (len < 3) {
            return fail(why, whysz, "dt.colon_after_hour_plain", NULL,
                        "expected ':' after the hour");
        }
        if (len > 6) {
            return fail(why, whysz, "dt.packed_time_digits",
                        json_pack("{s:I}", "n", (json_int_t)len),
                        "%zu digits: a time without ':' has 3 to 6", len);
        }
        h = read_digits(s, len, &i, (len == 3 || len == 5) ? 1 : 2, &nd);
        mi = read_digits(s, len, &i, 2, &nd);
        sec = read_digits(s, len, &i, 2, &nd);
        return time_finish(h, mi, sec, 0, ampm, out, why, whysz);
    }
    if ((flags & DATETIME_DECIMAL_HOURS) && ndig <= 2 && ndig < len &&
        (s[ndig] == '.' || s[ndig] == ',')) {
        return time_decimal(s, len, ampm, out, why, whysz);
    }
    if (ndig == 0) {
        describe(s, len, 0, what, sizeof(what));
        return fail(why, whysz, "dt.expected_part",
                    json_pack("{s:s, s:s}", "part", "hour", "found", what),
                    "expected the hour, found %s", what);
    }
    if (ndig > 2) {
        return fail(why, whysz, "dt.part_digits", json_pack("{s:s}", "part", "hour"),
                    "too many digits for the hour");
    }
    h = read_digits(s, len, &i, 2, &nd);
    if (s[i] != ':') {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.colon_after_hour", json_pack("{s:s}", "found", what),
                    "expected ':' after the hour, found %s", what);
    }
    i++;
    if (count_digits(s, len, i) > 2) {
        return fail(why, whysz, "dt.part_digits", json_pack("{s:s}", "part", "minute"),
                    "too many digits for the minute");
    }
    mi = read_digits(s, len, &i, 2, &nd);
    if (nd == 0) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.expected_part",
                    json_pack("{s:s, s:s}", "part", "minute", "found", what),
                    "expected the minute, found %s", what);
    }
    if (i < len && s[i] == ':') {
        i++;
        if (count_digits(s, len, i) > 2) {
            return fail(why, whysz, "dt.part_digits", json_pack("{s:s}", "part", "second"),
                        "too many digits for the second");
        }
        sec = read_digits(s, len, &i, 2, &nd);
        if (nd == 0) {
            describe(s, len, i, what, sizeof(what));
            return fail(why, whysz, "dt.expected_part",
                        json_pack("{s:s, s:s}", "part", "second", "found", what),
                        "expected the second, found %s", what);
        }
        if (i < len && s[i] == '.') {
            rc = read_fraction_ms(s, len, &i, &ms, why, whysz);
            if (rc) {
                return rc;
            }
        }
    }
    if (i < len) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.after_time", json_pack("{s:s}", "found", what),
                    "unexpected %s after the time", what);
    }
    return time_finish(h, mi, sec, ms, ampm, out, why, whysz);
}

int datetime_parse_time(const char *s, size_t len, unsigned flags, struct datetime_time *out,
                        char *why, size_t whysz)
{
    trim(&s, &len);
    return time_parse(s, len, flags, out, why, whysz);
}

/* --- timestamps --- */

/* An offset at the end of the time part: Z, +HH:MM, -HH:MM, +HHMM, +HH. Shortens *len. */
static int strip_offset(const char *s, size_t *len, struct datetime_stamp *out, char *why,
                        size_t whysz)
{
    size_t n = *len, k, i, nd;
    long long hh, mm = 0;
    int d;
    if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
        out->has_offset = 1;
        out->offset_minutes = 0;
        *len = n - 1;
        return ACDL_OK;
    }
    for (k = n; k > 0; k--) {
        if (s[k - 1] == '+' || s[k - 1] == '-') {
            break;
        }
    }
    if (k == 0) {
        return ACDL_OK;
    }
    i = k; /* after the sign */
    nd = count_digits(s, n, i);
    if (nd == 4) {
        hh = read_digits(s, n, &i, 2, &d);
        mm = read_digits(s, n, &i, 2, &d);
    } else if (nd == 2) {
        hh = read_digits(s, n, &i, 2, &d);
        if (i < n && s[i] == ':') {
            i++;
            if (count_digits(s, n, i) != 2) {
                return fail(why, whysz, "dt.offset_minutes", NULL,
                            "expected two digits for the offset's minutes");
            }
            mm = read_digits(s, n, &i, 2, &d);
        }
    } else {
        return fail(why, whysz, "dt.offset_form", NULL,
                    "expected +HH:MM, +HHMM or +HH as the offset");
    }
    if (i != n) {
        return fail(why, whysz, "dt.after_offset", NULL, "unexpected text after the offset");
    }
    if (hh > 18 || mm > 59) {
        return fail(why, whysz, "dt.offset_range",
                    json_pack("{s:s%, s:I, s:I}", "sign", &s[k - 1], (size_t)1, "hours",
                              (json_int_t)hh, "minutes", (json_int_t)mm),
                    "offset %c%02lld:%02lld out of range", s[k - 1], hh, mm);
    }
    out->has_offset = 1;
    out->offset_minutes = (int)((hh * 60 + mm) * (s[k - 1] == '-' ? -1 : 1));
    *len = k - 1;
    return ACDL_OK;
}

int datetime_parse_stamp(const char *s, size_t len, enum datetime_order order, unsigned flags,
                         struct datetime_stamp *out, char *why, size_t whysz)
{
    size_t d = 0, t;
    int rc;
    memset(out, 0, sizeof(*out));
    trim(&s, &len);
    rc = check_sign(s, len, why, whysz);
    if (rc) {
        return rc;
    }
    while (d < len && s[d] != 'T' && s[d] != 't' && !is_blank(s[d])) {
        d++;
    }
    if (d == len) {
        return fail(why, whysz, "dt.time_after_date", NULL, "expected a time after the date");
    }
    rc = date_parse(s, d, order, &out->date, why, whysz);
    if (rc) {
        return rc;
    }
    t = d + 1;
    if (is_blank(s[d])) {
        while (t < len && is_blank(s[t])) {
            t++;
        }
    }
    len -= t;
    s += t;
    rc = strip_offset(s, &len, out, why, whysz);
    if (rc) {
        return rc;
    }
    if (out->has_offset && len && is_blank(s[len - 1])) {
        return fail(why, whysz, "dt.blank_offset", NULL, "blank before the offset");
    }
    if (len == 0) {
        return fail(why, whysz, "dt.time_after_date", NULL, "expected a time after the date");
    }
    rc = time_parse(s, len, flags, &out->time, why, whysz);
    if (rc) {
        return rc;
    }
    out->has_date = 1;
    out->has_time = 1;
    return ACDL_OK;
}

/* --- durations --- */

/* Milliseconds of a seconds value "ddd[.fff]" at s[*i] (up to 10 integer digits). */
static int duration_seconds(const char *s, size_t len, size_t *i, int maxd, long long *ms,
                            char *why, size_t whysz)
{
    size_t nd = count_digits(s, len, *i), nf;
    long long v = 0, frac = 0;
    int d;
    if ((int)nd > maxd) {
        return fail(why, whysz, "dt.number_large", NULL, "number too large");
    }
    v = read_digits(s, len, i, maxd, &d);
    if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
        char c = s[*i];
        nf = count_digits(s, len, *i + 1);
        if (nf == 0) {
            return fail(why, whysz, "dt.digit_after", json_pack("{s:s%}", "char", &c, (size_t)1),
                        "expected a digit after '%c'", c);
        }
        if (nf > 9) {
            return fail(why, whysz, "dt.digits_after", json_pack("{s:s%}", "char", &c, (size_t)1),
                        "too many digits after '%c'", c);
        }
        if (c == ',' && nf == 3 && nd > 0) {
            return fail(why, whysz, "dt.ambiguous", json_pack("{s:s%}", "value", s, len),
                        "ambiguous '%.*s' (thousands separator or decimal comma?)", (int)len, s);
        }
        for (size_t k = 0; k < 3; k++) { /* milliseconds; finer digits are cut off */
            frac = frac * 10 + (k < nf ? s[*i + 1 + k] - '0' : 0);
        }
        *i += 1 + nf;
    } else if (nd == 0) {
        return fail(why, whysz, "dt.expected_number", NULL, "expected a number");
    }
    *ms = v * 1000 + frac;
    return ACDL_OK;
}

int datetime_parse_duration(const char *s, size_t len, int64_t *ms, char *why, size_t whysz)
{
    long long part[3], total = 0;
    size_t i = 0;
    int n = 0, rc, d;
    char what[16] = "";
    trim(&s, &len);
    rc = check_sign(s, len, why, whysz);
    if (rc) {
        return rc;
    }
    if (!memchr(s, ':', len)) {
        long long v = 0;
        rc = duration_seconds(s, len, &i, 10, &v, why, whysz);
        if (rc) {
            return rc;
        }
        if (i < len) {
            describe(s, len, i, what, sizeof(what));
            return fail(why, whysz, "dt.in_duration", json_pack("{s:s}", "found", what),
                        "unexpected %s in the duration", what);
        }
        *ms = v;
        return ACDL_OK;
    }
    /* MM:SS or H:MM:SS */
    for (;;) {
        size_t nd = count_digits(s, len, i);
        size_t after = i + nd;
        int last = after >= len || s[after] != ':';
        if (n == 3) {
            return fail(why, whysz, "dt.duration_colons", NULL, "too many ':' in the duration");
        }
        if (last) {
            long long v = 0;
            if (n == 0) {
                i = after; /* "12a:3": reported below */
                break;
            }
            if (nd == 0 || nd > 2) {
                return fail(why, whysz, "dt.two_digits", json_pack("{s:s}", "part", "second"),
                            "expected 2 digits for the seconds");
            }
            rc = duration_seconds(s, len, &i, 2, &v, why, whysz);
            if (rc) {
                return rc;
            }
            if (v >= 60000) {
                return fail(why, whysz, "dt.second_range",
                            json_pack("{s:I}", "second", (json_int_t)(v / 1000)),
                            "seconds %lld out of range", v / 1000);
            }
            part[n++] = v;
            break;
        }
        if (nd == 0) {
            describe(s, len, i, what, sizeof(what));
            return fail(why, whysz, "dt.duration_digit", json_pack("{s:s}", "found", what),
                        "expected a digit in the duration, found %s", what);
        }
        if (n == 0 && nd > 9) {
            return fail(why, whysz, "dt.number_large", NULL, "number too large");
        }
        if (n > 0 && nd > 2) {
            return fail(why, whysz, "dt.two_digits", json_pack("{s:s}", "part", "minute"),
                        "expected 2 digits for the minutes");
        }
        part[n++] = read_digits(s, len, &i, 9, &d);
        i++; /* the ':' */
    }
    if (i < len) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.in_duration", json_pack("{s:s}", "found", what),
                    "unexpected %s in the duration", what);
    }
    if (n < 2) {
        return fail(why, whysz, "dt.duration_form", NULL, "expected MM:SS or H:MM:SS");
    }
    if (n == 3) {
        if (part[1] > 59) {
            return fail(why, whysz, "dt.minute_range",
                        json_pack("{s:I}", "minute", (json_int_t)part[1]),
                        "minutes %lld out of range", part[1]);
        }
        total = part[0] * 3600000 + part[1] * 60000 + part[2];
    } else {
        total = part[0] * 60000 + part[1];
    }
    *ms = total;
    return ACDL_OK;
}

/* --- explicit formats --- */

enum tok {
    T_LIT = 0,
    T_YEAR4,
    T_YEAR2,
    T_MONTH,
    T_DAY,
    T_HOUR,
    T_MINUTE,
    T_SECOND,
    T_AMPM,
    T_BLANKS,
    T__COUNT,
};

static const char *const tok_names[T__COUNT] = {
    "literal", "year", "year", "month", "day", "hour", "minute", "second", "AM/PM", "blank",
};

static int tok_numeric(int kind)
{
    return kind >= T_YEAR4 && kind <= T_SECOND;
}

/* 1 when a month token ending at fmt[end] stands for the minutes: right after an hour token
 * (hh:mm, H.mm, hhmm) or right before the seconds (mm:ss), with at most one ':' or '.'
 * between. */
static int minute_position(const struct datetime_format *f, const char *fmt, size_t end)
{
    int k = f->n - 1;
    if (k >= 0 && f->item[k].kind == T_LIT && (f->item[k].lit == ':' || f->item[k].lit == '.')) {
        k--;
    }
    if (k >= 0 && f->item[k].kind == T_HOUR) {
        return 1;
    }
    if (fmt[end] == ':' || fmt[end] == '.') {
        end++;
    }
    return (fmt[end] == 's' && fmt[end + 1] == 's') || (fmt[end] == 'S' && fmt[end + 1] == 'S');
}

int datetime_format_compile(struct datetime_format *f, const char *fmt, char *why, size_t whysz)
{
    static const struct {
        const char *text;
        unsigned char kind, minw, maxw;
    } toks[] = {
        {"yyyy", T_YEAR4, 4, 4}, {"yy", T_YEAR2, 2, 2},   {"mm", T_MONTH, 2, 2},
        {"m", T_MONTH, 1, 2},    {"dd", T_DAY, 2, 2},     {"d", T_DAY, 1, 2},
        {"HH", T_HOUR, 2, 2},    {"H", T_HOUR, 1, 2},     {"hh", T_HOUR, 2, 2},
        {"h", T_HOUR, 1, 2},     {"MM", T_MINUTE, 2, 2},  {"SS", T_SECOND, 2, 2},
        {"ss", T_SECOND, 2, 2},  {"AM/PM", T_AMPM, 0, 0}, {"am/pm", T_AMPM, 0, 0},
    };
    int seen[T__COUNT] = {0};
    size_t i = 0, flen;
    memset(f, 0, sizeof(*f));
    if (!fmt || !*fmt) {
        return fail(why, whysz, "fmt.empty", NULL, "empty format");
    }
    flen = strlen(fmt);
    while (i < flen) {
        size_t k;
        char c = fmt[i];
        if (f->n == DATETIME_FORMAT_MAX) {
            return fail(why, whysz, "fmt.too_long", NULL, "format too long");
        }
        for (k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
            size_t tl = strlen(toks[k].text);
            if (strncmp(fmt + i, toks[k].text, tl) == 0) {
                break;
            }
        }
        if (k < sizeof(toks) / sizeof(toks[0])) {
            int kind = toks[k].kind;
            if (kind == T_MONTH && minute_position(f, fmt, i + strlen(toks[k].text))) {
                kind = T_MINUTE; /* hh:mm, mm:ss */
            }
            int dup =
                kind == T_YEAR4 || kind == T_YEAR2 ? seen[T_YEAR4] || seen[T_YEAR2] : seen[kind];
            if (dup) {
                return fail(why, whysz, "fmt.twice", json_pack("{s:s}", "part", tok_names[kind]),
                            "the %s appears twice in the format", tok_names[kind]);
            }
            seen[kind] = 1;
            f->item[f->n].kind = (unsigned char)kind;
            f->item[f->n].width = toks[k].minw;
            f->item[f->n].outw = toks[k].minw;
            f->item[f->n].maxw = toks[k].maxw;
            f->item[f->n].lit = toks[k].text[0];
            f->n++;
            i += strlen(toks[k].text);
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            if (c != 'T') {
                const char *hint = "";
                int which = 0;
                if (c == 'M' || c == 'S' || c == 's' || c == 'y') {
                    hint = " (MM, SS, ss, yy and yyyy come in full)";
                    which = 1;
                } else if (c == 'Y' || c == 'D') {
                    hint = " (dates use yyyy, mm, dd)";
                    which = 2;
                }
                return fail(why, whysz,
                            which == 1   ? "fmt.unknown_token_full"
                            : which == 2 ? "fmt.unknown_token_dates"
                                         : "fmt.unknown_token",
                            json_pack("{s:s%}", "token", &c, (size_t)1),
                            "unknown token '%c' in the format%s; %s", c, hint, DATETIME_TOKENS);
            }
        } else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7F) {
            char hex[8];
            snprintf(hex, sizeof(hex), "0x%02X", (unsigned)(unsigned char)c);
            return fail(why, whysz, "fmt.byte", json_pack("{s:s}", "value", hex),
                        "unexpected byte %s in the format", hex);
        }
        if (is_blank(c)) {
            while (i < flen && is_blank(fmt[i])) {
                i++;
            }
            f->item[f->n].kind = T_BLANKS;
        } else {
            f->item[f->n].kind = T_LIT;
            f->item[f->n].lit = c;
            i++;
        }
        f->n++;
    }
    /* two-letter tokens are lenient (1-2 digits) unless a number follows directly */
    for (int k = 0; k < f->n; k++) {
        int kind = f->item[k].kind;
        if ((kind == T_MONTH || kind == T_DAY || kind == T_HOUR || kind == T_MINUTE ||
             kind == T_SECOND) &&
            f->item[k].width == 2 && !(k + 1 < f->n && tok_numeric(f->item[k + 1].kind))) {
            f->item[k].width = 1;
        }
    }
    f->has_date = seen[T_YEAR4] || seen[T_YEAR2] || seen[T_MONTH] || seen[T_DAY];
    f->has_time = seen[T_HOUR] || seen[T_MINUTE] || seen[T_SECOND] || seen[T_AMPM];
    if (f->has_date && !((seen[T_YEAR4] || seen[T_YEAR2]) && seen[T_MONTH] && seen[T_DAY])) {
        return fail(why, whysz, "fmt.date_parts", NULL,
                    "the format's date needs a year, a month and a day");
    }
    if (f->has_time && !(seen[T_HOUR] && seen[T_MINUTE])) {
        return fail(why, whysz, "fmt.time_parts", NULL,
                    "the format's time needs an hour (HH, H, hh, h) and minutes (MM, or mm after "
                    "the hour)");
    }
    if (!f->has_date && !f->has_time) {
        return fail(why, whysz, "fmt.no_tokens", NULL, "the format has no date or time tokens; %s",
                    DATETIME_TOKENS);
    }
    return ACDL_OK;
}

int datetime_parse_format(const struct datetime_format *f, const char *s, size_t len,
                          struct datetime_stamp *out, char *why, size_t whysz)
{
    long long v[T__COUNT] = {0};
    int ampm = 0, rc, prev = -1;
    size_t i = 0;
    char what[16] = "";
    memset(out, 0, sizeof(*out));
    trim(&s, &len);
    rc = check_sign(s, len, why, whysz);
    if (rc) {
        return rc;
    }
    for (int k = 0; k < f->n; k++) {
        int kind = f->item[k].kind;
        if (kind == T_LIT || kind == T_BLANKS) {
            /* blanks before AM/PM may also be missing: 9:50PM */
            int ok = kind == T_LIT ? (i < len && s[i] == f->item[k].lit)
                                   : ((i < len && is_blank(s[i])) ||
                                      (k + 1 < f->n && f->item[k + 1].kind == T_AMPM));
            if (!ok) {
                char want[16];
                describe(s, len, i, what, sizeof(what));
                if (kind == T_LIT) {
                    snprintf(want, sizeof(want), "'%c'", f->item[k].lit);
                } else {
                    snprintf(want, sizeof(want), "a blank");
                }
                if (prev >= 0) {
                    return fail(why, whysz, "dt.expected_after",
                                json_pack("{s:s, s:s, s:s}", "want", want, "part", tok_names[prev],
                                          "found", what),
                                "expected %s after the %s, found %s", want, tok_names[prev], what);
                }
                return fail(why, whysz, "dt.expected",
                            json_pack("{s:s, s:s}", "want", want, "found", what),
                            "expected %s, found %s", want, what);
            }
            if (kind == T_LIT) {
                i++;
            }
            while (kind == T_BLANKS && i < len && is_blank(s[i])) {
                i++;
            }
        } else if (kind == T_AMPM) {
            size_t rest = len - i, n;
            if (rest >= 2 && (s[i + 1] == 'm' || s[i + 1] == 'M')) {
                n = 2;
            } else if (rest >= 4 && s[i + 1] == '.' && (s[i + 2] == 'm' || s[i + 2] == 'M') &&
                       s[i + 3] == '.') {
                n = 4;
            } else {
                n = 0;
            }
            if (n && (s[i] == 'a' || s[i] == 'A')) {
                ampm = 1;
            } else if (n && (s[i] == 'p' || s[i] == 'P')) {
                ampm = 2;
            } else {
                describe(s, len, i, what, sizeof(what));
                return fail(why, whysz, "dt.expected_ampm", json_pack("{s:s}", "found", what),
                            "expected AM or PM, found %s", what);
            }
            i += n;
            prev = kind;
        } else {
            int minw = f->item[k].width, maxw = f->item[k].maxw, nd;
            size_t avail = count_digits(s, len, i);
            v[kind] = read_digits(s, len, &i, maxw, &nd);
            if (nd < minw ||
                (avail > (size_t)maxw && !(k + 1 < f->n && tok_numeric(f->item[k + 1].kind)))) {
                if (nd == 0) {
                    describe(s, len, i, what, sizeof(what));
                    return fail(why, whysz, "dt.expected_part",
                                json_pack("{s:s, s:s}", "part", tok_names[kind], "found", what),
                                "expected the %s, found %s", tok_names[kind], what);
                }
                if (nd < minw) {
                    return fail(why, whysz, "dt.min_digits",
                                json_pack("{s:i, s:s}", "n", minw, "part", tok_names[kind]),
                                "expected %d digits for the %s", minw, tok_names[kind]);
                }
                return fail(why, whysz, "dt.part_digits",
                            json_pack("{s:s}", "part", tok_names[kind]),
                            "too many digits for the %s", tok_names[kind]);
            }
            prev = kind;
        }
    }
    if (i < len) {
        describe(s, len, i, what, sizeof(what));
        return fail(why, whysz, "dt.at_end", json_pack("{s:s}", "found", what),
                    "unexpected %s at the end", what);
    }
    if (f->has_date) {
        int year = 0;
        for (int k = 0; k < f->n; k++) {
            if (f->item[k].kind == T_YEAR2 || f->item[k].kind == T_YEAR4) {
                int two = f->item[k].kind == T_YEAR2;
                rc = year_from(v[f->item[k].kind], two ? 2 : 4, &year, why, whysz);
                if (rc) {
                    return rc;
                }
            }
        }
        rc = date_check(year, (int)v[T_MONTH], (int)v[T_DAY], &out->date, why, whysz);
        if (rc) {
            return rc;
        }
        out->has_date = 1;
    }
    if (f->has_time) {
        rc = time_finish(v[T_HOUR], v[T_MINUTE], v[T_SECOND], 0, ampm, &out->time, why, whysz);
        if (rc) {
            return rc;
        }
        out->has_time = 1;
    }
    return ACDL_OK;
}

/* v with at least width digits, zero-padded (what "%0*d" writes), without printf: export
 * files write several of these per line. Returns the length written. */
static size_t write_digits(char *piece, size_t sz, int v, int width)
{
    char d[12];
    int n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do {
        d[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    size_t o = 0;
    if (v < 0) {
        piece[o++] = '-';
        width--;
    }
    for (int i = n; i < width && o + 1 < sz; i++) {
        piece[o++] = '0';
    }
    while (n > 0 && o + 1 < sz) {
        piece[o++] = d[--n];
    }
    piece[o] = '\0';
    return o;
}

int datetime_format_write(const struct datetime_format *f, int year, int month, int day, int hour,
                          int minute, int second, char *out, size_t outsz)
{
    size_t o = 0;
    int ampm = 0;
    for (int k = 0; k < f->n; k++) {
        ampm |= f->item[k].kind == T_AMPM;
    }
    if (outsz == 0) {
        return ACDL_EINVAL;
    }
    out[0] = '\0';
    for (int k = 0; k < f->n; k++) {
        char piece[16];
        int v = 0, kind = f->item[k].kind;
        size_t pl;
        switch (kind) {
        case T_LIT:
            piece[0] = f->item[k].lit;
            piece[1] = '\0';
            pl = strlen(piece);
            break;
        case T_BLANKS:
            snprintf(piece, sizeof(piece), " ");
            pl = 1;
            break;
        case T_AMPM:
            snprintf(piece, sizeof(piece), "%s",
                     f->item[k].lit == 'a' ? (hour < 12 ? "am" : "pm") : (hour < 12 ? "AM" : "PM"));
            pl = 2;
            break;
        default:
            v = kind == T_YEAR4    ? year
                : kind == T_YEAR2  ? year % 100
                : kind == T_MONTH  ? month
                : kind == T_DAY    ? day
                : kind == T_HOUR   ? (ampm ? (hour % 12 == 0 ? 12 : hour % 12) : hour)
                : kind == T_MINUTE ? minute
                                   : second;
            pl = write_digits(piece, sizeof(piece), v, f->item[k].outw);
            break;
        }
        if (o + pl >= outsz) {
            return ACDL_ETOOBIG;
        }
        memcpy(out + o, piece, pl + 1);
        o += pl;
    }
    return ACDL_OK;
}
