/* schedule.c: next firing times of schedules in a source's local time (see schedule.h). */
#include "sched/schedule.h"

#include <string.h>

#include "core/err.h"

int schedule_parse_hhmm(const char *s, int *minute)
{
    if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' ||
        s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9') {
        return ACDL_EINVAL;
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    if (h > 23) {
        return ACDL_EINVAL;
    }
    *minute = h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
    return ACDL_OK;
}

/* UTC of local day + minute; a skipped wall time moves to the end of the gap. */
static int wall_to_utc(struct tz *tz, struct tz_date day, int minute, int64_t *out)
{
    for (int m = minute; m < minute + 180 && m < 1440; m++) {
        if (tz_local_to_utc(tz, day, m, 0, TZ_EARLIER, out) == ACDL_OK) {
            return ACDL_OK;
        }
    }
    return ACDL_EINVAL;
}

int schedule_next(struct tz *tz, const struct schedule_rule *rule, int64_t now, int64_t *next)
{
    struct tz_date day;
    int minute, second, off;
    if (tz_utc_to_local(tz, now, &day, &minute, &second, &off) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    /* look at today's and the next days' candidate wall times, in order */
    for (int d = 0; d < 3; d++) {
        if (rule->kind == SCHEDULE_DAILY) {
            int64_t t;
            if (wall_to_utc(tz, day, rule->daily_minute, &t) == ACDL_OK && t > now) {
                *next = t;
                return ACDL_OK;
            }
        } else {
            if (rule->every_minutes < 1) {
                return ACDL_EINVAL;
            }
            for (int m = rule->offset_minutes; m < 1440; m += rule->every_minutes) {
                int64_t t;
                if (wall_to_utc(tz, day, m, &t) == ACDL_OK && t > now) {
                    *next = t;
                    return ACDL_OK;
                }
            }
        }
        tz_date_add_days(&day, 1);
    }
    return ACDL_EINVAL;
}

int schedule_period(struct tz *tz, const struct schedule_rule *rule, int64_t at,
                    struct tz_date *from, struct tz_date *to)
{
    struct tz_date day;
    int minute, second, off;
    if (tz_utc_to_local(tz, at, &day, &minute, &second, &off) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    if (rule->kind == SCHEDULE_EVERY) {
        *from = *to = day;
        /* just after midnight the last intervals of yesterday may still be missing */
        if (minute < rule->every_minutes + rule->offset_minutes) {
            tz_date_add_days(from, -1);
        }
        return ACDL_OK;
    }
    *to = day;
    tz_date_add_days(to, -1);
    *from = day;
    tz_date_add_days(from, -rule->days_back);
    return ACDL_OK;
}
