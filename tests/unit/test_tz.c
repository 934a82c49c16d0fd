/* test_tz.c: unit tests of time zones and local days (core/tz.c), with the system's tz database
 * (what Linux uses) and again with ICU's data (what Windows uses), there checked against ICU's
 * own wall-time resolution (UCAL_REPEATED_WALL_TIME / UCAL_SKIPPED_WALL_TIME) as an oracle.
 * test_tzif.c checks the system database's reader against glibc. */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

#include "check.h"
#include "core/err.h"
#include "core/tz.h"
#include "platform/platform.h"

/* "YYYY-MM-DDTHH:MM:SSZ" as epoch seconds. */
static int64_t iso(const char *s)
{
    int64_t t = -1;
    if (plat_time_parse_iso(s, &t) != ACDL_OK) {
        fprintf(stdout, "bad test time %s\n", s);
    }
    return t;
}

static struct tz_date date(const char *s)
{
    struct tz_date d = {0, 0, 0};
    if (tz_date_parse(s, &d) != ACDL_OK) {
        fprintf(stdout, "bad test date %s\n", s);
    }
    return d;
}

static struct tz *open_zone(const char *name)
{
    struct tz *tz = NULL;
    int rc = tz_open(name, &tz);
    CHECK_EQ_INT(rc, ACDL_OK);
    return tz;
}

/* Wall time h:m:s of day in zone z as UTC (fold), or the error code. */
static int64_t l2u(struct tz *tz, const char *day, int h, int m, int s, enum tz_fold fold)
{
    int64_t out = -1;
    int rc = tz_local_to_utc(tz, date(day), h * 60 + m, s, fold, &out);
    return rc == ACDL_OK ? out : rc;
}

static void test_check(void)
{
    char c[TZ_NAME_MAX + 1];
    const char *good[] = {"UTC",
                          "Europe/Berlin",
                          "America/New_York",
                          "Etc/UTC",
                          "GMT",
                          "US/Eastern",
                          "Asia/Kolkata",
                          "Asia/Calcutta",
                          "Etc/GMT+5",
                          "Australia/Lord_Howe",
                          "America/Argentina/ComodRivadavia",
                          "America/Port-au-Prince",
                          "EST5EDT"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        memset(c, 'x', sizeof(c));
        if (!CHECK_EQ_INT(tz_check(good[i], c, sizeof(c)), ACDL_OK)) {
            fprintf(stdout, "  name %s\n", good[i]);
        }
        CHECK_EQ_STR(c, good[i]); /* the name as given, not CLDR's "Asia/Calcutta" */
    }
    char overlong[TZ_NAME_MAX + 2];
    memset(overlong, 'A', sizeof(overlong) - 1);
    overlong[sizeof(overlong) - 1] = '\0';
    const char *bad[] = {"",
                         "Foo/Bar",
                         "europe/berlin",
                         "EUROPE/BERLIN",
                         "utc",
                         "Etc/Unknown",
                         "GMT+5",
                         "GMT+05:00",
                         "Europe/Berlin ",
                         " UTC",
                         "Europe/Berlin\n",
                         "../../etc/passwd",
                         "Europe//Berlin",
                         "Europe/Berlin/",
                         "Z",
                         "Europe/M\xc3\xbcnchen",
                         "America/New York",
                         overlong};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(c, sizeof(c), "untouched");
        if (!CHECK_EQ_INT(tz_check(bad[i], c, sizeof(c)), ACDL_EINVAL)) {
            fprintf(stdout, "  name \"%s\"\n", bad[i]);
        }
    }
    CHECK_EQ_INT(tz_check(NULL, c, sizeof(c)), ACDL_EINVAL);
    CHECK_EQ_INT(tz_check("UTC", NULL, 0), ACDL_OK);
    CHECK_EQ_INT(tz_check("Europe/Berlin", c, 13), ACDL_ETOOBIG);
    CHECK_EQ_INT(tz_check("Europe/Berlin", c, 14), ACDL_OK);
    CHECK_EQ_STR(c, "Europe/Berlin");

    struct tz *tz = (struct tz *)&c; /* must be overwritten with NULL */
    CHECK_EQ_INT(tz_open("Mars/Olympus_Mons", &tz), ACDL_EINVAL);
    CHECK(tz == NULL);
    CHECK_EQ_INT(tz_open("", &tz), ACDL_EINVAL);
    CHECK_EQ_INT(tz_open(NULL, &tz), ACDL_EINVAL);
    CHECK_EQ_INT(tz_open("UTC", NULL), ACDL_EINVAL);
    tz = open_zone("US/Eastern");
    CHECK_EQ_STR(tz_name(tz), "US/Eastern");
    CHECK_EQ_INT(l2u(tz, "2026-07-01", 12, 0, 0, TZ_EARLIER), iso("2026-07-01T16:00:00Z"));
    tz_close(tz);
    tz_close(NULL);
    CHECK(strlen(tz_data_version()) >= 4);
    fprintf(stdout, "  tz data %s (%s)\n", tz_data_version(), tz_data_source());
}

/* Zones whose rules changed after ICU 72's tz data (2022e), as the system's database has them:
 * local days, intervals and conversions of the days a Mexican contact centre exports. */
static void test_changed_since_2022(void)
{
    struct {
        const char *zone, *when;
        int off;
    } c[] = {
        /* Mexico: no DST since 2022-10-30 (tz 2022f) */
        {"America/Mexico_City", "2022-07-15T12:00:00Z", -5 * 3600},
        {"America/Mexico_City", "2023-07-15T12:00:00Z", -6 * 3600},
        {"America/Mexico_City", "2026-07-15T12:00:00Z", -6 * 3600},
        {"America/Mexico_City", "2026-01-15T12:00:00Z", -6 * 3600},
        {"America/Monterrey", "2026-07-15T12:00:00Z", -6 * 3600},
        {"America/Ciudad_Juarez", "2026-07-15T12:00:00Z", -6 * 3600}, /* new in 2022g */
        {"America/Ciudad_Juarez", "2026-01-15T12:00:00Z", -7 * 3600},
        /* Egypt: DST again from 2023 (tz 2023c), last Friday of April to last Thursday of Oct. */
        {"Africa/Cairo", "2024-01-15T12:00:00Z", 2 * 3600},
        {"Africa/Cairo", "2024-07-01T12:00:00Z", 3 * 3600},
        {"Africa/Cairo", "2026-07-01T12:00:00Z", 3 * 3600},
        /* Kazakhstan: one zone, +05, from 2024-03-01 00:00 (tz 2024a) */
        {"Asia/Almaty", "2024-02-29T17:59:59Z", 6 * 3600},
        {"Asia/Almaty", "2024-02-29T18:00:00Z", 5 * 3600},
        {"Asia/Almaty", "2026-07-01T12:00:00Z", 5 * 3600},
        /* Greenland: standard time -02 from 2023-10-28, DST -01 (tz 2022g, 2023a) */
        {"America/Nuuk", "2026-01-15T12:00:00Z", -2 * 3600},
        {"America/Nuuk", "2026-07-15T12:00:00Z", -1 * 3600},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct tz *tz = open_zone(c[i].zone);
        int off = 0;
        if (tz &&
            (!CHECK_EQ_INT(tz_utc_to_local(tz, iso(c[i].when), NULL, NULL, NULL, &off), ACDL_OK) ||
             !CHECK_EQ_INT(off, c[i].off))) {
            fprintf(stdout, "  %s at %s\n", c[i].zone, c[i].when);
        }
        tz_close(tz);
    }
    /* Mexico City's July 2026 day: 96 quarter-hours from 06:00 UTC; every day of 2026 24 h */
    struct tz *tz = open_zone("America/Mexico_City");
    if (tz) {
        int64_t iv[TZ_DAY_INTERVALS_MAX];
        int n = 0;
        CHECK_EQ_INT(tz_day_intervals(tz, date("2026-07-15"), 15, iv, TZ_DAY_INTERVALS_MAX, &n),
                     ACDL_OK);
        CHECK_EQ_INT(n, 96);
        CHECK_EQ_INT(iv[0], iso("2026-07-15T06:00:00Z"));
        CHECK_EQ_INT(iv[95], iso("2026-07-16T05:45:00Z"));
        CHECK_EQ_INT(l2u(tz, "2026-07-15", 9, 30, 0, TZ_EARLIER), iso("2026-07-15T15:30:00Z"));
        struct tz_date d = date("2026-01-01");
        int long_days = 0;
        for (int i = 0; i < 365; i++, tz_date_add_days(&d, 1)) {
            int64_t s = 0, e = 0;
            tz_day_bounds(tz, d, &s, &e);
            long_days += e - s != 86400;
        }
        CHECK_EQ_INT(long_days, 0);
        tz_close(tz);
    }
    /* Egypt's spring day 2024-04-26 (00:00 -> 01:00): 23 hours */
    tz = open_zone("Africa/Cairo");
    if (tz) {
        int n = 0;
        int64_t iv[TZ_DAY_INTERVALS_MAX];
        CHECK_EQ_INT(tz_day_intervals(tz, date("2024-04-26"), 15, iv, TZ_DAY_INTERVALS_MAX, &n),
                     ACDL_OK);
        CHECK_EQ_INT(n, 92);
        tz_close(tz);
    }
}

static void test_dates(void)
{
    struct tz_date d = {1, 2, 3};
    char s[11];
    CHECK_EQ_INT(tz_date_parse("2028-02-29", &d), ACDL_OK);
    CHECK(d.y == 2028 && d.m == 2 && d.d == 29);
    const char *bad[] = {"",
                         "2026-02-29",
                         "2100-02-29",
                         "2026-13-01",
                         "2026-00-10",
                         "2026-04-31",
                         "2026-01-00",
                         "0000-01-01",
                         "2026-1-01",
                         "2026-01-1",
                         "2026-01-011",
                         " 2026-01-01",
                         "2026-01-01 ",
                         "+026-01-01",
                         "2026/01/01",
                         "20260101",
                         "2026-01-0a",
                         "2026-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tz_date x = {7, 7, 7};
        if (!CHECK_EQ_INT(tz_date_parse(bad[i], &x), ACDL_EINVAL)) {
            fprintf(stdout, "  date \"%s\"\n", bad[i]);
        }
        CHECK(x.y == 7 && x.m == 7 && x.d == 7);
    }
    CHECK_EQ_INT(tz_date_parse(NULL, &d), ACDL_EINVAL);
    CHECK_EQ_INT(tz_date_parse("2000-02-29", &d), ACDL_OK);
    CHECK_EQ_INT(tz_date_parse("0001-01-01", &d), ACDL_OK);
    CHECK_EQ_INT(tz_date_parse("9999-12-31", &d), ACDL_OK);

    tz_date_format(date("2028-02-29"), s);
    CHECK_EQ_STR(s, "2028-02-29");
    tz_date_format(date("0042-07-04"), s);
    CHECK_EQ_STR(s, "0042-07-04");
    tz_date_format((struct tz_date){2026, 2, 30}, s);
    CHECK_EQ_STR(s, "0000-00-00");
    tz_date_format((struct tz_date){100000, 1, 1}, s);
    CHECK_EQ_STR(s, "0000-00-00");

    /* day arithmetic across months, years and leap days */
    struct {
        const char *from;
        int n;
        const char *to;
    } add[] = {
        {"2028-02-28", 1, "2028-02-29"},          {"2028-02-28", 2, "2028-03-01"},
        {"2027-02-28", 1, "2027-03-01"},          {"2026-12-31", 1, "2027-01-01"},
        {"2027-01-01", -1, "2026-12-31"},         {"2026-03-31", -31, "2026-02-28"},
        {"2026-01-31", 30, "2026-03-02"},         {"2026-10-25", 0, "2026-10-25"},
        {"2026-01-01", 365, "2027-01-01"},        {"2028-01-01", 366, "2029-01-01"},
        {"2000-02-28", 1, "2000-02-29"},          {"1900-02-28", 1, "1900-03-01"},
        {"1970-01-01", -1, "1969-12-31"},         {"2026-06-15", 36524, "2126-06-15"},
        {"9999-12-30", 5, "9999-12-31"},          {"0001-01-02", -5, "0001-01-01"},
        {"2026-06-15", 2147483647, "9999-12-31"}, {"2026-06-15", -2147483647 - 1, "0001-01-01"},
    };
    for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
        struct tz_date x = date(add[i].from);
        tz_date_add_days(&x, add[i].n);
        tz_date_format(x, s);
        if (!CHECK_EQ_STR(s, add[i].to)) {
            fprintf(stdout, "  %s %+d\n", add[i].from, add[i].n);
        }
    }
    struct tz_date inv = {2026, 2, 30};
    tz_date_add_days(&inv, 1);
    CHECK(inv.y == 2026 && inv.m == 2 && inv.d == 30);
    tz_date_add_days(NULL, 1);
    /* walking day by day agrees with parse and format over 400 years */
    struct tz_date w = date("1999-12-25");
    int ok = 1;
    for (int i = 0; i < 146097; i++) {
        struct tz_date back;
        tz_date_format(w, s);
        if (tz_date_parse(s, &back) != ACDL_OK || tz_date_cmp(back, w) != 0 ||
            tz_date_diff(w, date("1999-12-25")) != i ||
            tz_date_weekday(w) != ((i + 5) % 7) + 1) { /* 1999-12-25 was a Saturday */
            ok = 0;
            break;
        }
        tz_date_add_days(&w, 1);
    }
    CHECK(ok);
    tz_date_format(w, s);
    CHECK_EQ_STR(s, "2399-12-25");

    CHECK(tz_date_cmp(date("2026-01-01"), date("2026-01-02")) < 0);
    CHECK(tz_date_cmp(date("2026-02-01"), date("2026-01-31")) > 0);
    CHECK(tz_date_cmp(date("2025-12-31"), date("2026-01-01")) < 0);
    CHECK_EQ_INT(tz_date_cmp(date("2026-10-25"), date("2026-10-25")), 0);
    CHECK_EQ_INT(tz_date_diff(date("2027-01-01"), date("2026-01-01")), 365);
    CHECK_EQ_INT(tz_date_diff(date("2026-01-01"), date("2027-01-01")), -365);

    CHECK_EQ_INT(tz_date_weekday(date("2026-03-29")), 7); /* Sunday */
    CHECK_EQ_INT(tz_date_weekday(date("2026-10-25")), 7);
    CHECK_EQ_INT(tz_date_weekday(date("2026-03-30")), 1); /* Monday */
    CHECK_EQ_INT(tz_date_weekday(date("2028-02-29")), 2); /* Tuesday */
    CHECK_EQ_INT(tz_date_weekday(date("1970-01-01")), 4);
    CHECK_EQ_INT(tz_date_weekday(date("2000-01-01")), 6);
    CHECK_EQ_INT(tz_date_weekday(date("1969-12-31")), 3);
    CHECK_EQ_INT(tz_date_weekday(date("0001-01-01")), 1); /* proleptic Gregorian */
    CHECK_EQ_INT(tz_date_weekday((struct tz_date){2026, 2, 29}), 0);
    CHECK(tz_date_valid(date("2028-02-29")));
    CHECK(!tz_date_valid((struct tz_date){2027, 2, 29}));
    CHECK(!tz_date_valid((struct tz_date){10000, 1, 1}));
    CHECK(!tz_date_valid((struct tz_date){2026, 0, 1}));
}

/* Checks a day's bounds, its interval counts at 15/30/60 minutes, and that the 15-minute
 * starts are consecutive from start to end. */
static void check_day(struct tz *tz, const char *day, const char *start, const char *end, int n15,
                      int n30, int n60)
{
    int64_t s = 0, e = 0, st[TZ_DAY_INTERVALS_MAX];
    int n = -1;
    CHECK_EQ_INT(tz_day_bounds(tz, date(day), &s, &e), ACDL_OK);
    if (!CHECK_EQ_INT(s, iso(start)) | !CHECK_EQ_INT(e, iso(end))) {
        fprintf(stdout, "  day %s in %s\n", day, tz_name(tz));
    }
    int mins[] = {15, 30, 60}, want[] = {n15, n30, n60};
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_INT(tz_day_intervals(tz, date(day), mins[k], st, TZ_DAY_INTERVALS_MAX, &n),
                     ACDL_OK);
        if (!CHECK_EQ_INT(n, want[k])) {
            fprintf(stdout, "  day %s in %s, %d minutes\n", day, tz_name(tz), mins[k]);
            continue;
        }
        int ok = st[0] == s;
        for (int i = 1; i < n; i++) {
            ok = ok && st[i] == st[i - 1] + mins[k] * 60;
        }
        ok = ok && st[n - 1] < e && st[n - 1] + mins[k] * 60 >= e;
        CHECK(ok);
    }
}

static void test_berlin(void)
{
    struct tz *tz = open_zone("Europe/Berlin");
    if (!tz) {
        return;
    }
    check_day(tz, "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 92, 46, 23);
    check_day(tz, "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 100, 50, 25);
    check_day(tz, "2026-06-15", "2026-06-14T22:00:00Z", "2026-06-15T22:00:00Z", 96, 48, 24);
    check_day(tz, "2026-01-15", "2026-01-14T23:00:00Z", "2026-01-15T23:00:00Z", 96, 48, 24);
    check_day(tz, "2026-03-28", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", 96, 48, 24);
    check_day(tz, "2026-03-30", "2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z", 96, 48, 24);
    check_day(tz, "2028-02-29", "2028-02-28T23:00:00Z", "2028-02-29T23:00:00Z", 96, 48, 24);

    /* spring: 02:00-02:59 does not exist */
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 1, 59, 59, TZ_EARLIER), iso("2026-03-29T00:59:59Z"));
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 2, 0, 0, TZ_EARLIER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 2, 30, 0, TZ_LATER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 2, 59, 59, TZ_EARLIER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 3, 0, 0, TZ_EARLIER), iso("2026-03-29T01:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 3, 0, 0, TZ_LATER), iso("2026-03-29T01:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 0, 0, 0, TZ_EARLIER), iso("2026-03-28T23:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 23, 59, 59, TZ_EARLIER), iso("2026-03-29T21:59:59Z"));
    /* autumn: 02:00-02:59 twice */
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 1, 59, 59, TZ_LATER), iso("2026-10-24T23:59:59Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 2, 0, 0, TZ_EARLIER), iso("2026-10-25T00:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 2, 0, 0, TZ_LATER), iso("2026-10-25T01:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 2, 59, 59, TZ_EARLIER), iso("2026-10-25T00:59:59Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 2, 59, 59, TZ_LATER), iso("2026-10-25T01:59:59Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 3, 0, 0, TZ_EARLIER), iso("2026-10-25T02:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-10-25", 3, 0, 0, TZ_LATER), iso("2026-10-25T02:00:00Z"));
    /* a plain day ignores fold; the leap day works */
    CHECK_EQ_INT(l2u(tz, "2026-06-15", 2, 30, 0, TZ_LATER), iso("2026-06-15T00:30:00Z"));
    CHECK_EQ_INT(l2u(tz, "2028-02-29", 12, 0, 0, TZ_EARLIER), iso("2028-02-29T11:00:00Z"));

    int lo = -1, hi = -1;
    CHECK_EQ_INT(tz_day_fold(tz, date("2026-10-25"), &lo, &hi), ACDL_OK);
    CHECK(lo == 7200 && hi == 10800);
    CHECK_EQ_INT(tz_day_fold(tz, date("2026-03-29"), &lo, &hi), ACDL_OK);
    CHECK(lo == 0 && hi == 0);
    CHECK_EQ_INT(tz_day_fold(tz, date("2026-06-15"), &lo, &hi), ACDL_OK);
    CHECK(lo == 0 && hi == 0);

    /* UTC -> local around the autumn switch */
    struct tz_date d;
    int min = -1, sec = -1, off = 0;
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-10-25T00:30:00Z"), &d, &min, &sec, &off), ACDL_OK);
    CHECK(tz_date_cmp(d, date("2026-10-25")) == 0 && min == 150 && sec == 0 && off == 7200);
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-10-25T01:30:15Z"), &d, &min, &sec, &off), ACDL_OK);
    CHECK(tz_date_cmp(d, date("2026-10-25")) == 0 && min == 150 && sec == 15 && off == 3600);
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-03-28T22:59:59Z"), &d, &min, &sec, &off), ACDL_OK);
    CHECK(tz_date_cmp(d, date("2026-03-28")) == 0 && min == 1439 && sec == 59 && off == 3600);
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-03-29T01:00:00Z"), NULL, &min, NULL, &off), ACDL_OK);
    CHECK(min == 180 && off == 7200);

    /* the spring day's quarter-hours read back as 00:00 .. 01:45, 03:00 .. 23:45 */
    int64_t st[TZ_DAY_INTERVALS_MAX];
    int n = 0, ok = 1;
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-03-29"), 15, st, TZ_DAY_INTERVALS_MAX, &n),
                 ACDL_OK);
    for (int i = 0; i < n && n == 92; i++) {
        int want = i < 8 ? i * 15 : (i + 4) * 15;
        ok = ok && tz_utc_to_local(tz, st[i], &d, &min, &sec, NULL) == ACDL_OK &&
             tz_date_cmp(d, date("2026-03-29")) == 0 && min == want && sec == 0;
    }
    CHECK(ok);
    tz_close(tz);
}

static void test_new_york_utc(void)
{
    struct tz *tz = open_zone("America/New_York");
    if (!tz) {
        return;
    }
    check_day(tz, "2026-03-08", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 92, 46, 23);
    check_day(tz, "2026-11-01", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 100, 50, 25);
    check_day(tz, "2026-07-04", "2026-07-04T04:00:00Z", "2026-07-05T04:00:00Z", 96, 48, 24);
    CHECK_EQ_INT(l2u(tz, "2026-03-08", 2, 30, 0, TZ_EARLIER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-03-08", 1, 59, 0, TZ_EARLIER), iso("2026-03-08T06:59:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-03-08", 3, 0, 0, TZ_EARLIER), iso("2026-03-08T07:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-11-01", 1, 30, 0, TZ_EARLIER), iso("2026-11-01T05:30:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-11-01", 1, 30, 0, TZ_LATER), iso("2026-11-01T06:30:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-11-01", 0, 59, 0, TZ_LATER), iso("2026-11-01T04:59:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-11-01", 2, 0, 0, TZ_EARLIER), iso("2026-11-01T07:00:00Z"));
    int lo = -1, hi = -1;
    CHECK_EQ_INT(tz_day_fold(tz, date("2026-11-01"), &lo, &hi), ACDL_OK);
    CHECK(lo == 3600 && hi == 7200);
    tz_close(tz);

    tz = open_zone("UTC");
    if (!tz) {
        return;
    }
    check_day(tz, "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z", 96, 48, 24);
    check_day(tz, "2026-10-25", "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", 96, 48, 24);
    check_day(tz, "2028-02-29", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z", 96, 48, 24);
    CHECK_EQ_INT(l2u(tz, "2026-03-29", 2, 30, 0, TZ_LATER), iso("2026-03-29T02:30:00Z"));
    int off = -1;
    CHECK_EQ_INT(tz_utc_to_local(tz, 0, NULL, NULL, NULL, &off), ACDL_OK);
    CHECK_EQ_INT(off, 0);
    tz_close(tz);
}

static void test_lord_howe(void)
{
    /* +10:30 standard, +11 summer: the clocks move by 30 minutes at 02:00 */
    struct tz *tz = open_zone("Australia/Lord_Howe");
    if (!tz) {
        return;
    }
    /* autumn 2026-04-05: 02:00 -> 01:30, 24.5 h; the last hour is half an hour */
    check_day(tz, "2026-04-05", "2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z", 98, 49, 25);
    /* spring 2026-10-04: 02:00 -> 02:30, 23.5 h */
    check_day(tz, "2026-10-04", "2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z", 94, 47, 24);
    check_day(tz, "2026-07-01", "2026-06-30T13:30:00Z", "2026-07-01T13:30:00Z", 96, 48, 24);
    CHECK_EQ_INT(l2u(tz, "2026-10-04", 2, 0, 0, TZ_EARLIER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-10-04", 2, 29, 59, TZ_EARLIER), ACDL_EINVAL);
    CHECK_EQ_INT(l2u(tz, "2026-10-04", 2, 30, 0, TZ_EARLIER), iso("2026-10-03T15:30:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-04-05", 1, 29, 0, TZ_LATER), iso("2026-04-04T14:29:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-04-05", 1, 30, 0, TZ_EARLIER), iso("2026-04-04T14:30:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-04-05", 1, 30, 0, TZ_LATER), iso("2026-04-04T15:00:00Z"));
    CHECK_EQ_INT(l2u(tz, "2026-04-05", 1, 59, 59, TZ_LATER), iso("2026-04-04T15:29:59Z"));
    CHECK_EQ_INT(l2u(tz, "2026-04-05", 2, 0, 0, TZ_EARLIER), iso("2026-04-04T15:30:00Z"));
    int lo = -1, hi = -1;
    CHECK_EQ_INT(tz_day_fold(tz, date("2026-04-05"), &lo, &hi), ACDL_OK);
    CHECK(lo == 5400 && hi == 7200);
    int off = 0;
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-07-01T00:00:00Z"), NULL, NULL, NULL, &off), ACDL_OK);
    CHECK_EQ_INT(off, 37800);
    tz_close(tz);
}

static void test_midnight_switch(void)
{
    /* America/Santiago switches at 24:00 / 00:00 local */
    struct tz *tz = open_zone("America/Santiago");
    if (tz) {
        /* autumn: Saturday 2026-04-04 24:00 -> 23:00, so 23:00-23:59 happen twice */
        check_day(tz, "2026-04-04", "2026-04-04T03:00:00Z", "2026-04-05T04:00:00Z", 100, 50, 25);
        check_day(tz, "2026-04-05", "2026-04-05T04:00:00Z", "2026-04-06T04:00:00Z", 96, 48, 24);
        CHECK_EQ_INT(l2u(tz, "2026-04-04", 23, 30, 0, TZ_EARLIER), iso("2026-04-05T02:30:00Z"));
        CHECK_EQ_INT(l2u(tz, "2026-04-04", 23, 30, 0, TZ_LATER), iso("2026-04-05T03:30:00Z"));
        int lo = -1, hi = -1;
        CHECK_EQ_INT(tz_day_fold(tz, date("2026-04-04"), &lo, &hi), ACDL_OK);
        CHECK(lo == 82800 && hi == 86400);
        /* spring: Sunday 2026-09-06 00:00 -> 01:00; the day starts at 01:00 */
        check_day(tz, "2026-09-05", "2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z", 96, 48, 24);
        check_day(tz, "2026-09-06", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z", 92, 46, 23);
        CHECK_EQ_INT(l2u(tz, "2026-09-06", 0, 0, 0, TZ_EARLIER), ACDL_EINVAL);
        CHECK_EQ_INT(l2u(tz, "2026-09-06", 0, 59, 59, TZ_EARLIER), ACDL_EINVAL);
        CHECK_EQ_INT(l2u(tz, "2026-09-06", 1, 0, 0, TZ_EARLIER), iso("2026-09-06T04:00:00Z"));
        struct tz_date d;
        int min = -1;
        CHECK_EQ_INT(tz_utc_to_local(tz, iso("2026-09-06T04:00:00Z"), &d, &min, NULL, NULL),
                     ACDL_OK);
        CHECK(tz_date_cmp(d, date("2026-09-06")) == 0 && min == 60);
        tz_close(tz);
    }
    /* Asia/Beirut (2019 rules): 00:00 -> 01:00 in March, 00:00 -> 23:00 in October */
    tz = open_zone("Asia/Beirut");
    if (tz) {
        check_day(tz, "2019-03-31", "2019-03-30T22:00:00Z", "2019-03-31T21:00:00Z", 92, 46, 23);
        check_day(tz, "2019-10-26", "2019-10-25T21:00:00Z", "2019-10-26T22:00:00Z", 100, 50, 25);
        check_day(tz, "2019-10-27", "2019-10-26T22:00:00Z", "2019-10-27T22:00:00Z", 96, 48, 24);
        tz_close(tz);
    }
    /* Pacific/Apia skipped 2011-12-30 when it moved across the date line */
    tz = open_zone("Pacific/Apia");
    if (tz) {
        int64_t s = 0, e = 1, st[4];
        int n = -1;
        CHECK_EQ_INT(tz_day_bounds(tz, date("2011-12-30"), &s, &e), ACDL_OK);
        CHECK_EQ_INT(s, e);
        CHECK_EQ_INT(s, iso("2011-12-30T10:00:00Z"));
        CHECK_EQ_INT(tz_day_intervals(tz, date("2011-12-30"), 15, st, 4, &n), ACDL_OK);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_INT(l2u(tz, "2011-12-30", 12, 0, 0, TZ_EARLIER), ACDL_EINVAL);
        check_day(tz, "2011-12-29", "2011-12-29T10:00:00Z", "2011-12-30T10:00:00Z", 96, 48, 24);
        check_day(tz, "2011-12-31", "2011-12-30T10:00:00Z", "2011-12-31T10:00:00Z", 96, 48, 24);
        tz_close(tz);
    }
}

static void test_errors(void)
{
    struct tz *tz = open_zone("Europe/Berlin");
    int64_t st[TZ_DAY_INTERVALS_MAX], out = 0;
    int n = 0;
    if (!tz) {
        return;
    }
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 20, st, 96, &n), ACDL_EINVAL);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 0, st, 96, &n), ACDL_EINVAL);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 15, st, 95, &n), ACDL_ETOOBIG);
    CHECK_EQ_INT(n, 96);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 15, st, 96, &n), ACDL_OK);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-10-25"), 15, st, 96, &n), ACDL_ETOOBIG);
    CHECK_EQ_INT(n, 100);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 15, NULL, 0, &n), ACDL_ETOOBIG);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 15, NULL, 5, &n), ACDL_EINVAL);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-06-15"), 15, st, 96, NULL), ACDL_EINVAL);
    struct tz_date bad = {2026, 2, 29};
    CHECK_EQ_INT(tz_day_intervals(tz, bad, 15, st, 96, &n), ACDL_EINVAL);
    CHECK_EQ_INT(tz_day_bounds(tz, bad, NULL, NULL), ACDL_EINVAL);
    CHECK_EQ_INT(tz_day_bounds(NULL, date("2026-06-15"), NULL, NULL), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, bad, 0, 0, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, date("2026-06-15"), 1440, 0, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, date("2026-06-15"), -1, 0, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, date("2026-06-15"), 0, 60, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, date("2026-06-15"), 0, -1, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(tz, date("2026-06-15"), 0, 0, TZ_EARLIER, NULL), ACDL_EINVAL);
    CHECK_EQ_INT(tz_local_to_utc(NULL, date("2026-06-15"), 0, 0, TZ_EARLIER, &out), ACDL_EINVAL);
    CHECK_EQ_INT(tz_utc_to_local(tz, INT64_MAX, NULL, NULL, NULL, NULL), ACDL_EINVAL);
    CHECK_EQ_INT(tz_utc_to_local(tz, INT64_MIN, NULL, NULL, NULL, NULL), ACDL_EINVAL);
    CHECK_EQ_INT(tz_utc_to_local(NULL, 0, NULL, NULL, NULL, NULL), ACDL_EINVAL);
    /* the ends of the date range work */
    CHECK_EQ_INT(tz_day_intervals(tz, date("0001-01-01"), 60, st, 24, &n), ACDL_OK);
    CHECK_EQ_INT(n, 24);
    CHECK_EQ_INT(tz_day_intervals(tz, date("9999-12-31"), 60, st, 24, &n), ACDL_OK);
    CHECK_EQ_INT(n, 24);
    struct tz_date d;
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("9999-12-31T22:59:59Z"), &d, NULL, NULL, NULL), ACDL_OK);
    CHECK(tz_date_cmp(d, date("9999-12-31")) == 0);
    CHECK_EQ_INT(tz_utc_to_local(tz, iso("9999-12-31T23:00:00Z"), &d, NULL, NULL, NULL),
                 ACDL_EINVAL);
    tz_close(tz);
}

/* Feeds hh:mm wall times into a sequencer and compares with the expected UTC instants. */
static void test_sequencer(void)
{
    struct tz *tz = open_zone("Europe/Berlin");
    struct tz_sequencer s;
    int64_t out = 0;
    if (!tz) {
        return;
    }
    /* autumn as an ACD export lists it: 02:00-02:45 twice, in order */
    static const int list[][2] = {{1, 45}, {2, 0},  {2, 15}, {2, 30}, {2, 45}, {2, 0},
                                  {2, 15}, {2, 30}, {2, 45}, {3, 0},  {3, 15}};
    int64_t first = iso("2026-10-24T23:45:00Z");
    tz_sequencer_init(&s, tz, date("2026-10-25"));
    for (int i = 0; i < 11; i++) {
        CHECK_EQ_INT(tz_sequencer_next(&s, list[i][0] * 60 + list[i][1], 0, &out), ACDL_OK);
        if (!CHECK_EQ_INT(out, first + 900 * i)) {
            fprintf(stdout, "  row %d (%02d:%02d)\n", i, list[i][0], list[i][1]);
        }
    }
    /* contacts: several in the same second stay in the first pass; going back switches */
    static const int secs[][2] = {{2 * 60 + 10, 5}, {2 * 60 + 10, 5}, {2 * 60 + 59, 59},
                                  {2 * 60 + 0, 1},  {2 * 60 + 10, 5}, {1 * 60 + 0, 0},
                                  {2 * 60 + 30, 0}};
    const char *want[] = {"2026-10-25T00:10:05Z", "2026-10-25T00:10:05Z", "2026-10-25T00:59:59Z",
                          "2026-10-25T01:00:01Z", "2026-10-25T01:10:05Z", "2026-10-24T23:00:00Z",
                          "2026-10-25T01:30:00Z"};
    tz_sequencer_init(&s, tz, date("2026-10-25"));
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(tz_sequencer_next(&s, secs[i][0], secs[i][1], &out), ACDL_OK);
        if (!CHECK_EQ_INT(out, iso(want[i]))) {
            fprintf(stdout, "  contact %d\n", i);
        }
    }
    /* the whole autumn day as its 100 quarter-hours' wall times reproduces the intervals */
    int64_t st[TZ_DAY_INTERVALS_MAX];
    int n = 0, ok = 1;
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-10-25"), 15, st, TZ_DAY_INTERVALS_MAX, &n),
                 ACDL_OK);
    tz_sequencer_init(&s, tz, date("2026-10-25"));
    for (int i = 0; i < n; i++) {
        int min = 0;
        ok = ok && tz_utc_to_local(tz, st[i], NULL, &min, NULL, NULL) == ACDL_OK &&
             tz_sequencer_next(&s, min, 0, &out) == ACDL_OK && out == st[i];
    }
    CHECK(ok && n == 100);

    /* spring: the gap is an error that leaves the state alone */
    static const int spring[][2] = {{1, 30}, {1, 45}, {2, 0}, {2, 15}, {3, 0}, {3, 15}};
    static const int spring_rc[] = {ACDL_OK, ACDL_OK, ACDL_EINVAL, ACDL_EINVAL, ACDL_OK, ACDL_OK};
    const char *spring_want[] = {"2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z", NULL, NULL,
                                 "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"};
    tz_sequencer_init(&s, tz, date("2026-03-29"));
    for (int i = 0; i < 6; i++) {
        out = -1;
        CHECK_EQ_INT(tz_sequencer_next(&s, spring[i][0] * 60 + spring[i][1], 0, &out),
                     spring_rc[i]);
        if (spring_want[i]) {
            CHECK_EQ_INT(out, iso(spring_want[i]));
        } else {
            CHECK_EQ_INT(out, -1);
        }
    }
    CHECK_EQ_INT(n, 100);
    CHECK_EQ_INT(tz_day_intervals(tz, date("2026-03-29"), 15, st, TZ_DAY_INTERVALS_MAX, &n),
                 ACDL_OK);
    tz_sequencer_init(&s, tz, date("2026-03-29"));
    ok = 1;
    for (int i = 0; i < n; i++) {
        int min = 0;
        ok = ok && tz_utc_to_local(tz, st[i], NULL, &min, NULL, NULL) == ACDL_OK &&
             tz_sequencer_next(&s, min, 0, &out) == ACDL_OK && out == st[i];
    }
    CHECK(ok && n == 92);
    CHECK_EQ_INT(tz_sequencer_next(&s, 1440, 0, &out), ACDL_EINVAL);
    tz_close(tz);

    /* New York's autumn hour at 60-minute intervals: 00:00, 01:00, 01:00, 02:00 */
    tz = open_zone("America/New_York");
    if (tz) {
        tz_sequencer_init(&s, tz, date("2026-11-01"));
        int64_t a = 0, b = 0, c = 0, d = 0;
        tz_sequencer_next(&s, 0, 0, &a);
        tz_sequencer_next(&s, 60, 0, &b);
        tz_sequencer_next(&s, 60, 0, &c); /* equal, not backwards: cannot be told apart */
        tz_sequencer_next(&s, 119, 0, &d);
        CHECK_EQ_INT(b, iso("2026-11-01T05:00:00Z"));
        CHECK_EQ_INT(c, b);
        CHECK_EQ_INT(d, iso("2026-11-01T05:59:00Z"));
        tz_sequencer_next(&s, 60, 0, &d); /* 01:59 -> 01:00 goes back: the second 01:00 */
        CHECK_EQ_INT(d, iso("2026-11-01T06:00:00Z"));
        tz_close(tz);
    }
}

/* --- ICU as an oracle --- */

/* ICU's own answer for wall time day minute:00 through its REPEATED/SKIPPED options: the first
 * and the last occurrence, and whether the wall time was skipped (the "next valid" instant
 * then reads back as another wall time). */
static void icu_wall(UCalendar *cal, struct tz_date day, int minute, int64_t *early, int64_t *late,
                     int *skipped)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    for (int k = 0; k < 2; k++) {
        ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME,
                          k == 0 ? UCAL_WALLTIME_FIRST : UCAL_WALLTIME_LAST);
        ucal_clear(cal);
        ucal_setDateTime(cal, day.y, day.m - 1, day.d, minute / 60, minute % 60, 0, &st);
        UDate ms = ucal_getMillis(cal, &st);
        *(k == 0 ? early : late) = (int64_t)(ms / 1000);
    }
    ucal_setMillis(cal, (UDate)*early * 1000.0, &st);
    *skipped =
        ucal_get(cal, UCAL_HOUR_OF_DAY, &st) * 60 + ucal_get(cal, UCAL_MINUTE, &st) != minute ||
        ucal_get(cal, UCAL_SECOND, &st) != 0 || ucal_get(cal, UCAL_DATE, &st) != day.d;
    if (U_FAILURE(st)) {
        fprintf(stdout, "ICU oracle failed: %s\n", u_errorName(st));
    }
}

struct oracle {
    long days, wall_times, bad, max_n;
};

/* Compares one day with ICU: its start (ICU's first 00:00, or the next valid time), that it
 * starts where the day before ended, its interval count, and the wall times every step
 * minutes from first (both folds, the gap) including the way back from UTC. */
static void compare_day(struct oracle *o, const char *zone, struct tz *tz, UCalendar *cal,
                        struct tz_date day, int first, int step)
{
    int64_t s = 0, e = 0, ps = 0, pe = 0, ie = 0, il = 0, iv[TZ_DAY_INTERVALS_MAX];
    int skipped = 0, n = 0;
    struct tz_date before = day;
    tz_date_add_days(&before, -1);
    o->days++;
    if (tz_day_bounds(tz, before, &ps, &pe) != ACDL_OK ||
        tz_day_bounds(tz, day, &s, &e) != ACDL_OK ||
        tz_day_intervals(tz, day, 15, iv, TZ_DAY_INTERVALS_MAX, &n) != ACDL_OK) {
        o->bad++;
        fprintf(stdout, "FAIL %s %d-%02d-%02d: no bounds or intervals\n", zone, day.y, day.m,
                day.d);
        return;
    }
    o->max_n = n > o->max_n ? n : o->max_n;
    icu_wall(cal, day, 0, &ie, &il, &skipped);
    if (s != pe || s != ie || e < s || n != (e - s + 899) / 900) {
        o->bad++;
        fprintf(stdout,
                "FAIL %s %d-%02d-%02d: [%lld, %lld) n %d, day before ended %lld, ICU %lld\n", zone,
                day.y, day.m, day.d, (long long)s, (long long)e, n, (long long)pe, (long long)ie);
    }
    for (int m = first; m < 1440 && o->bad < 20; m += step) {
        int64_t a = -1, b = -1;
        int ra = tz_local_to_utc(tz, day, m, 0, TZ_EARLIER, &a);
        int rb = tz_local_to_utc(tz, day, m, 0, TZ_LATER, &b);
        icu_wall(cal, day, m, &ie, &il, &skipped);
        o->wall_times++;
        int ok = skipped ? (ra == ACDL_EINVAL && rb == ACDL_EINVAL)
                         : (ra == ACDL_OK && rb == ACDL_OK && a == ie && b == il);
        if (!ok) {
            o->bad++;
            fprintf(stdout,
                    "FAIL %s %d-%02d-%02d %02d:%02d: ours %d/%d %lld/%lld, ICU %s%lld/%lld\n", zone,
                    day.y, day.m, day.d, m / 60, m % 60, ra, rb, (long long)a, (long long)b,
                    skipped ? "skipped " : "", (long long)ie, (long long)il);
        }
        for (int k = 0; k < 2 && ra == ACDL_OK; k++) { /* and back from UTC */
            struct tz_date d2;
            int m2 = -1, s2 = -1;
            if (tz_utc_to_local(tz, k ? b : a, &d2, &m2, &s2, NULL) != ACDL_OK ||
                tz_date_cmp(d2, day) != 0 || m2 != m || s2 != 0) {
                o->bad++;
                fprintf(stdout, "FAIL %s %d-%02d-%02d %02d:%02d: back as %02d:%02d\n", zone, day.y,
                        day.m, day.d, m / 60, m % 60, m2 / 60, m2 % 60);
            }
        }
    }
}

static UCalendar *icu_open(const char *zone)
{
    UChar uz[TZ_NAME_MAX + 1];
    UErrorCode st = U_ZERO_ERROR;
    u_charsToUChars(zone, uz, (int32_t)strlen(zone) + 1);
    UCalendar *cal = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        ucal_close(cal);
        return NULL;
    }
    return cal;
}

/* Selected zones, every day of 2018..2030: bounds, and a sample of wall times each day
 * (every minute on days that are not 24 hours long). */
static void test_against_icu_days(void)
{
    static const char *zones[] = {"Europe/Berlin",    "America/New_York",   "Australia/Lord_Howe",
                                  "America/Santiago", "Asia/Beirut",        "America/Sao_Paulo",
                                  "Pacific/Apia",     "Asia/Kathmandu",     "Pacific/Chatham",
                                  "America/St_Johns", "Europe/London",      "Africa/Casablanca",
                                  "Asia/Tehran",      "America/Havana",     "Europe/Dublin",
                                  "Antarctica/Troll", "Pacific/Kiritimati", "UTC"};
    struct oracle o = {0, 0, 0, 0};
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        struct tz *tz = open_zone(zones[z]);
        UCalendar *cal = icu_open(zones[z]);
        struct tz_date day = date("2018-01-01");
        int64_t s = 0, e = 0;
        for (int i = 0; tz && cal && tz_date_cmp(day, date("2031-01-01")) < 0;
             i++, tz_date_add_days(&day, 1)) {
            int full = tz_day_bounds(tz, day, &s, &e) == ACDL_OK && e - s != 86400;
            compare_day(&o, zones[z], tz, cal, day, full ? 0 : i % 180, full ? 1 : 180);
        }
        CHECK(tz && cal);
        tz_close(tz);
        ucal_close(cal);
    }
    CHECK_EQ_INT(o.bad, 0);
    fprintf(stdout, "  compared %ld days and %ld wall times with ICU\n", o.days, o.wall_times);
}

/* Every zone ICU knows, around each of its transitions 2010..2030: the day of the transition
 * every 15 minutes, the days before and after every two hours. TZ_TEST_FULL=1 widens this to
 * 1800..2100 (all zones' history and near future: half a minute or so). */
static void test_against_icu_all_zones(void)
{
    int full = getenv("TZ_TEST_FULL") && !strcmp(getenv("TZ_TEST_FULL"), "1");
    UDate from = full ? -5364662400000.0 : 1262304000000.0; /* 1800 or 2010 */
    UDate to = full ? 4102444800000.0 : 1893456000000.0;    /* 2100 or 2030 */
    UErrorCode st = U_ZERO_ERROR;
    UEnumeration *en = ucal_openTimeZones(&st);
    struct oracle o = {0, 0, 0, 0};
    const char *id;
    int32_t len;
    long zones = 0;
    while (en && (id = uenum_next(en, &len, &st)) != NULL && o.bad < 20) {
        struct tz *tz = NULL;
        UCalendar *cal = icu_open(id);
        if (!CHECK_EQ_INT(tz_open(id, &tz), ACDL_OK) || !CHECK(cal != NULL)) {
            fprintf(stdout, "  zone %s\n", id);
            tz_close(tz);
            ucal_close(cal);
            continue;
        }
        zones++;
        for (UDate t = from;;) {
            UDate next = 0;
            UErrorCode s2 = U_ZERO_ERROR;
            ucal_setMillis(cal, t, &s2);
            if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &s2) ||
                U_FAILURE(s2) || next > to) {
                break;
            }
            t = next;
            struct tz_date d;
            if (!CHECK_EQ_INT(tz_utc_to_local(tz, (int64_t)(next / 1000), &d, NULL, NULL, NULL),
                              ACDL_OK)) {
                break;
            }
            tz_date_add_days(&d, -1);
            for (int k = 0; k < 3; k++, tz_date_add_days(&d, 1)) {
                compare_day(&o, id, tz, cal, d, 0, k == 1 ? 15 : 120);
            }
        }
        tz_close(tz);
        ucal_close(cal);
    }
    uenum_close(en);
    CHECK(zones > 400);
    CHECK_EQ_INT(o.bad, 0);
    CHECK(o.max_n <= TZ_DAY_INTERVALS_MAX);
    fprintf(stdout,
            "  %ld zones: compared %ld days around transitions, %ld wall times; at most "
            "%ld quarter-hours a day\n",
            zones, o.days, o.wall_times, o.max_n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: fair on a busy machine */
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not a pass/fail check: prints how fast conversions are (cached day, and changing days). */
static void test_speed(void)
{
    struct tz *tz = open_zone("Europe/Berlin");
    if (!tz) {
        return;
    }
    struct tz_date day = date("2026-10-25");
    int64_t sum = 0, out = 0;
    long calls = 2000000;
    double t0 = now_s();
    for (long i = 0; i < calls; i++) {
        int m = (int)(i % 1440);
        if (tz_local_to_utc(tz, day, m, (int)(i % 60), (enum tz_fold)(i & 1), &out) == ACDL_OK) {
            sum += out;
        }
    }
    double t1 = now_s();
    long day_calls = 20000;
    struct tz_date d = date("2026-01-01");
    for (long i = 0; i < day_calls; i++) {
        tz_date_add_days(&d, 1); /* a new day every call: the slow path */
        if (tz_local_to_utc(tz, d, 600, 0, TZ_EARLIER, &out) == ACDL_OK) {
            sum += out;
        }
    }
    double t2 = now_s();
    long back_calls = 2000000;
    int64_t base = iso("2026-10-24T22:00:00Z");
    for (long i = 0; i < back_calls; i++) {
        int min = 0;
        if (tz_utc_to_local(tz, base + (i % 90000), NULL, &min, NULL, NULL) == ACDL_OK) {
            sum += min;
        }
    }
    double t3 = now_s();
    CHECK(sum != 0);
    fprintf(stdout,
            "  tz_local_to_utc: %.1f M calls/s (same day), %.0f k calls/s (new day each call); "
            "tz_utc_to_local: %.1f M calls/s\n",
            calls / (t1 - t0) / 1e6, day_calls / (t2 - t1) / 1e3, back_calls / (t3 - t2) / 1e6);
    tz_close(tz);
}

/* What ICU's own data says about Mexico City in July 2026 (printed: it depends on the ICU
 * release; ICU 72's 2022e still has DST there). */
static void test_icu_mexico(void)
{
    struct tz *tz = open_zone("America/Mexico_City");
    int off = 0;
    if (tz && tz_utc_to_local(tz, iso("2026-07-15T12:00:00Z"), NULL, NULL, NULL, &off) == ACDL_OK) {
        fprintf(stdout, "  ICU's data %s: Mexico City in July 2026 at UTC%+.1f h\n",
                tz_data_version(), off / 3600.0);
    }
    tz_close(tz);
}

/* The tests that hold whichever data is in use. */
static void run_engine_tests(void)
{
    RUN(test_check);
    RUN(test_berlin);
    RUN(test_new_york_utc);
    RUN(test_lord_howe);
    RUN(test_midnight_switch);
    RUN(test_errors);
    RUN(test_sequencer);
    RUN(test_speed);
}

int main(void)
{
    /* the system's tz database */
    CHECK_EQ_INT(tz_data_select(plat_tz_dir()), ACDL_OK);
    CHECK_EQ_STR(tz_data_source(), "system");
    RUN(test_dates);
    run_engine_tests();
    RUN(test_changed_since_2022);
    /* ICU's data: the same engine, and ICU as the oracle */
    tz_data_select(NULL);
    CHECK_EQ_STR(tz_data_source(), "icu");
    run_engine_tests();
    RUN(test_icu_mexico);
    RUN(test_against_icu_days);
    RUN(test_against_icu_all_zones);
    return check_summary();
}
