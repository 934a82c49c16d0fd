/* test_schedule.c: unit tests of schedule firing times (sched/schedule.c), across DST. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "core/tz.h"
#include "platform/platform.h"
#include "sched/schedule.h"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    plat_time_parse_iso(iso, &t);
    return t;
}

static void iso(int64_t t, char *out)
{
    plat_time_iso(t, out, 32);
}

static void test_every(void)
{
    struct tz *tz = NULL;
    struct schedule_rule r = {SCHEDULE_EVERY, 15, 5, 0, 1};
    int64_t next;
    char buf[32];
    if (!CHECK_EQ_INT(tz_open("Europe/Berlin", &tz), ACDL_OK)) {
        return;
    }
    /* 10:07 Berlin (09:07Z in winter) -> 10:20 local = 09:20Z */
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-11-24T09:07:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-11-24T09:20:00Z");
    /* exactly on a slot: the next one */
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-11-24T09:20:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-11-24T09:35:00Z");
    /* 23:55 local -> 00:05 local next day */
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-11-24T22:55:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-11-24T23:05:00Z");
    /* spring forward 2026-03-29: at 01:50 local (00:50Z) the next slot, 02:05, does not exist:
     * it fires at the end of the gap, 03:00 local (01:00Z) */
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-03-29T00:50:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-03-29T01:00:00Z");
    struct tz_date from, to;
    CHECK_EQ_INT(schedule_period(tz, &r, at("2026-11-24T09:20:00Z"), &from, &to), ACDL_OK);
    CHECK(from.d == 24 && to.d == 24);
    /* just after midnight: yesterday too */
    CHECK_EQ_INT(schedule_period(tz, &r, at("2026-11-24T23:05:00Z"), &from, &to), ACDL_OK);
    CHECK(from.d == 24 && to.d == 25);
    tz_close(tz);
}

static void test_daily(void)
{
    struct tz *tz = NULL;
    struct schedule_rule r = {SCHEDULE_DAILY, 0, 0, 6 * 60 + 30, 3};
    int64_t next;
    char buf[32];
    struct tz_date from, to;
    if (!CHECK_EQ_INT(tz_open("America/New_York", &tz), ACDL_OK)) {
        return;
    }
    /* 06:30 New York: 11:30Z in winter, 10:30Z in summer */
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-11-24T12:00:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-11-25T11:30:00Z");
    CHECK_EQ_INT(schedule_next(tz, &r, at("2026-07-01T00:00:00Z"), &next), ACDL_OK);
    iso(next, buf);
    CHECK_EQ_STR(buf, "2026-07-01T10:30:00Z");
    CHECK_EQ_INT(schedule_period(tz, &r, at("2026-11-25T11:30:00Z"), &from, &to), ACDL_OK);
    char a[11], b[11];
    tz_date_format(from, a);
    tz_date_format(to, b);
    CHECK_EQ_STR(a, "2026-11-22");
    CHECK_EQ_STR(b, "2026-11-24");
    int minute;
    CHECK_EQ_INT(schedule_parse_hhmm("06:30", &minute), ACDL_OK);
    CHECK_EQ_INT(minute, 390);
    CHECK_EQ_INT(schedule_parse_hhmm("24:00", &minute), ACDL_EINVAL);
    CHECK_EQ_INT(schedule_parse_hhmm("6:30", &minute), ACDL_EINVAL);
    CHECK_EQ_INT(schedule_parse_hhmm("06:60", &minute), ACDL_EINVAL);
    tz_close(tz);
}

int main(void)
{
    RUN(test_every);
    RUN(test_daily);
    return check_summary();
}
