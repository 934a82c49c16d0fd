/* time.c: portable UTC calendar arithmetic (no timegm/_mkgmtime differences). */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* 1 when s matches the pattern, where '9' stands for any digit. */
static int shape(const char *s, const char *pattern)
{
    for (; *pattern; s++, pattern++) {
        if (*pattern == '9' ? (*s < '0' || *s > '9') : *s != *pattern) {
            return 0;
        }
    }
    return *s == '\0';
}

int plat_time_parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);
    if (!shape(s, "9999-99-99") && !shape(s, "9999-99-99T99:99:99Z")) {
        return ACDL_EINVAL;
    }
    if (len == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
            return ACDL_EINVAL;
        }
    } else if (len == 20) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
            n != 20) {
            return ACDL_EINVAL;
        }
    } else {
        return ACDL_EINVAL;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0) {
        return ACDL_EINVAL;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) {
        return ACDL_EINVAL;
    }
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return ACDL_OK;
}
