/* fuzz_tz.c: zone names, dates and wall times from arbitrary bytes (core/tz.c).
 *
 * Input: ZONE '\n' DATE '\n' REST. ZONE goes through tz_check and tz_open; an empty ZONE picks
 * one of a few DST zones by REST[0] instead, so every input reaches the day functions. DATE
 * goes through tz_date_parse (and, when valid, the date helpers). REST: byte 0 chooses the
 * interval length (15/30/60, or an invalid one) and a day offset, then each 3 bytes are a wall
 * time (minute of day, second; out-of-range values included) fed to tz_local_to_utc and to a
 * tz_sequencer. Invariants: days tile the time line, intervals are consecutive and cover the
 * day, conversions round-trip, and nothing returns an unexpected code. */
#include "core/err.h"
#include "core/tz.h"
#include "fuzz_util.h"

static const char *const zones[] = {
    "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
    "Asia/Beirut",   "Pacific/Apia",     "Asia/Kathmandu",      "UTC"};

/* The next '\n'-terminated field of data[*pos..size) as a new C string. */
static char *field(const uint8_t *data, size_t size, size_t *pos)
{
    const uint8_t *nl = memchr(data + *pos, '\n', size - *pos);
    size_t len = nl ? (size_t)(nl - (data + *pos)) : size - *pos;
    char *s = fuzz_cstr(data + *pos, len);
    *pos += len + (nl ? 1 : 0);
    return s;
}

static void check_date(const char *text)
{
    struct tz_date d = {-1, -1, -1}, back;
    char out[11];
    int rc = tz_date_parse(text, &d);
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    if (rc != ACDL_OK) {
        FUZZ_ASSERT(d.y == -1 && d.m == -1 && d.d == -1);
        return;
    }
    FUZZ_ASSERT(strlen(text) == 10 && tz_date_valid(d));
    tz_date_format(d, out);
    FUZZ_ASSERT(strcmp(out, text) == 0);
    FUZZ_ASSERT(tz_date_parse(out, &back) == ACDL_OK && tz_date_cmp(back, d) == 0);
    int wd = tz_date_weekday(d);
    FUZZ_ASSERT(wd >= 1 && wd <= 7);
    struct tz_date next = d;
    tz_date_add_days(&next, 1);
    FUZZ_ASSERT(tz_date_valid(next));
    if (tz_date_cmp(next, d) != 0) { /* not saturated at 9999-12-31 */
        FUZZ_ASSERT(tz_date_cmp(next, d) > 0 && tz_date_diff(next, d) == 1);
        FUZZ_ASSERT(tz_date_weekday(next) == wd % 7 + 1);
        tz_date_add_days(&next, -1);
        FUZZ_ASSERT(tz_date_cmp(next, d) == 0);
    }
}

/* The day's bounds and intervals, against the days before and after. */
static void check_day(struct tz *tz, struct tz_date day, int minutes)
{
    int64_t s, e, ps, pe, iv[TZ_DAY_INTERVALS_MAX];
    int n = -1;
    int rc = tz_day_intervals(tz, day, minutes, iv, TZ_DAY_INTERVALS_MAX, &n);
    if (minutes != 15 && minutes != 30 && minutes != 60) {
        FUZZ_ASSERT(rc == ACDL_EINVAL);
        minutes = 15;
        rc = tz_day_intervals(tz, day, minutes, iv, TZ_DAY_INTERVALS_MAX, &n);
    }
    FUZZ_ASSERT(rc == ACDL_OK);
    FUZZ_ASSERT(tz_day_bounds(tz, day, &s, &e) == ACDL_OK);
    FUZZ_ASSERT(s <= e && e - s <= 48 * 3600 && n >= 0 && n <= TZ_DAY_INTERVALS_MAX);
    FUZZ_ASSERT(n == (int)((e - s + minutes * 60 - 1) / (minutes * 60)));
    for (int i = 0; i < n; i++) {
        FUZZ_ASSERT(iv[i] == s + (int64_t)i * minutes * 60 && iv[i] < e);
    }
    struct tz_date before = day;
    tz_date_add_days(&before, -1);
    if (tz_date_cmp(before, day) != 0) {
        FUZZ_ASSERT(tz_day_bounds(tz, before, &ps, &pe) == ACDL_OK && pe == s);
    }
    if (n > 0) { /* the day's first instant reads back as this day */
        struct tz_date d;
        int min = -1, sec = -1, off = 0;
        if (tz_utc_to_local(tz, s, &d, &min, &sec, &off) == ACDL_OK) {
            FUZZ_ASSERT(tz_date_cmp(d, day) == 0 && min >= 0 && min < 1440 && sec >= 0 && sec < 60);
        }
    }
}

/* Wall times: conversions, the way back, and the sequencer's choice among them. */
static void check_walls(struct tz *tz, struct tz_date day, const uint8_t *p, size_t len)
{
    struct tz_sequencer seq;
    int lo = -1, hi = -1;
    int64_t s, e;
    FUZZ_ASSERT(tz_day_fold(tz, day, &lo, &hi) == ACDL_OK);
    FUZZ_ASSERT(lo >= 0 && lo <= hi && hi <= 86400);
    FUZZ_ASSERT(tz_day_bounds(tz, day, &s, &e) == ACDL_OK);
    tz_sequencer_init(&seq, tz, day);
    for (size_t i = 0; i + 3 <= len && i < 3 * 64; i += 3) {
        int minute = ((p[i] << 8) | p[i + 1]) % 1500 - 30; /* some below 0 and above 1439 */
        int second = p[i + 2] % 62;                        /* 60 and 61 are invalid */
        int64_t a = -1, b = -1, q = -1;
        int ra = tz_local_to_utc(tz, day, minute, second, TZ_EARLIER, &a);
        int rb = tz_local_to_utc(tz, day, minute, second, TZ_LATER, &b);
        int rq = tz_sequencer_next(&seq, minute, second, &q);
        FUZZ_ASSERT(ra == ACDL_OK || ra == ACDL_EINVAL);
        FUZZ_ASSERT(ra == rb && ra == rq);
        if (minute < 0 || minute >= 1440 || second >= 60) {
            FUZZ_ASSERT(ra == ACDL_EINVAL);
            continue;
        }
        if (ra != ACDL_OK) {
            continue;
        }
        FUZZ_ASSERT(a <= b && (q == a || q == b));
        int sec_of_day = minute * 60 + second;
        if (a != b) {
            FUZZ_ASSERT(sec_of_day >= lo && sec_of_day < hi);
        }
        for (int k = 0; k < 2; k++) {
            struct tz_date d;
            int m2 = -1, s2 = -1, off = 0;
            FUZZ_ASSERT(tz_utc_to_local(tz, k ? b : a, &d, &m2, &s2, &off) == ACDL_OK);
            FUZZ_ASSERT(tz_date_cmp(d, day) == 0 && m2 == minute && s2 == second);
            FUZZ_ASSERT(off > -24 * 3600 && off < 24 * 3600);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    struct tz *tz = NULL;
    char canonical[TZ_NAME_MAX + 1];
    if (size > 1024) {
        return 0;
    }
    char *zone = field(data, size, &pos);
    char *datetext = field(data, size, &pos);
    const uint8_t *rest = data + pos;
    size_t restlen = size - pos;
    if (!zone || !datetext) {
        goto out;
    }
    check_date(datetext);

    const char *name = zone;
    if (!*zone) {
        name = zones[(restlen ? rest[0] : 0) % (sizeof(zones) / sizeof(zones[0]))];
    }
    int rc = tz_check(name, canonical, sizeof(canonical));
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    int ro = tz_open(name, &tz);
    FUZZ_ASSERT(ro == rc);
    if (rc != ACDL_OK) {
        FUZZ_ASSERT(tz == NULL);
        goto out;
    }
    FUZZ_ASSERT(tz != NULL && strcmp(canonical, name) == 0 && strcmp(tz_name(tz), name) == 0);

    struct tz_date day;
    if (tz_date_parse(datetext, &day) != ACDL_OK) {
        day = (struct tz_date){2026, 10, 25};
    }
    int sel = restlen ? rest[0] : 0;
    static const int mins[] = {15, 30, 60, 15, 30, 60, 15, 20};
    tz_date_add_days(&day, (sel >> 3) - 16); /* move around the given day */
    check_day(tz, day, mins[sel & 7]);
    if (restlen > 1) {
        check_walls(tz, day, rest + 1, restlen - 1);
    }
out:
    tz_close(tz);
    free(zone);
    free(datetext);
    return 0;
}
