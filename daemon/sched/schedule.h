/* schedule.h: when a schedule fires next, and which period it imports. Pure functions. */
#ifndef ACDL_SCHED_SCHEDULE_H
#define ACDL_SCHED_SCHEDULE_H
#include <stdint.h>

#include "core/tz.h"

enum schedule_kind { SCHEDULE_EVERY = 0, SCHEDULE_DAILY };

struct schedule_rule {
    enum schedule_kind kind;
    int every_minutes;  /* SCHEDULE_EVERY: 5 .. 1440 */
    int offset_minutes; /* SCHEDULE_EVERY: 0 .. every_minutes - 1 */
    int daily_minute;   /* SCHEDULE_DAILY: minute of the local day, 0 .. 1439 */
    int days_back;      /* SCHEDULE_DAILY: 1 .. 400 */
};

/* The first firing strictly after now (UTC seconds), in the zone tz: "every" fires at each
 * multiple of every_minutes after local midnight plus the offset; "daily" at daily_minute.
 * A local time that the clocks skip fires at the first instant after the gap; in a repeated
 * hour it fires once, on its first occurrence. Returns 0 or ACDL_EINVAL. */
int schedule_next(struct tz *tz, const struct schedule_rule *rule, int64_t now, int64_t *next);

/* The local days a firing at `at` imports: "every" -> that day; "daily" -> the days_back days
 * before it. */
int schedule_period(struct tz *tz, const struct schedule_rule *rule, int64_t at,
                    struct tz_date *from, struct tz_date *to);

/* "HH:MM" -> minute of the day. Returns 0 or ACDL_EINVAL. */
int schedule_parse_hhmm(const char *s, int *minute);

#endif
