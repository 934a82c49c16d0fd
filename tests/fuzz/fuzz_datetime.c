/* fuzz_datetime.c: every datetime parser on arbitrary text; results must be in range and
 * survive a round trip through a canonical spelling.
 *
 * Byte 0 picks the parser, the date order and the flags; the rest is the text, passed with
 * its length in an exact-size buffer without a NUL (so ASan catches reads past the end). For
 * explicit formats the text is "FORMAT\nVALUE". */
#include "core/datetime.h"
#include "core/err.h"
#include "fuzz_util.h"

static void check_why(int rc, const char *why)
{
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    FUZZ_ASSERT(memchr(why, '\0', 96) != NULL);
    if (rc != ACDL_OK) {
        FUZZ_ASSERT(why[0] != '\0');
    }
}

static void check_date(const struct datetime_date *d)
{
    FUZZ_ASSERT(d->year >= 1900 && d->year <= 9999);
    FUZZ_ASSERT(d->month >= 1 && d->month <= 12);
    FUZZ_ASSERT(d->day >= 1 && d->day <= datetime_days_in_month(d->year, d->month));
    /* the ISO spelling reads back the same in every order */
    char iso[16];
    struct datetime_date back;
    int n = snprintf(iso, sizeof(iso), "%04d-%02d-%02d", d->year, d->month, d->day);
    for (int o = 0; o < 3; o++) {
        FUZZ_ASSERT(datetime_parse_date(iso, (size_t)n, (enum datetime_order)o, &back, NULL, 0) ==
                    ACDL_OK);
        FUZZ_ASSERT(back.year == d->year && back.month == d->month && back.day == d->day);
    }
}

static void check_time(const struct datetime_time *t)
{
    FUZZ_ASSERT(t->hour >= 0 && t->hour <= 24);
    FUZZ_ASSERT(t->minute >= 0 && t->minute <= 59);
    FUZZ_ASSERT(t->second >= 0 && t->second <= 59);
    FUZZ_ASSERT(t->millisecond >= 0 && t->millisecond <= 999);
    FUZZ_ASSERT(t->minute_of_day == t->hour * 60 + t->minute && t->minute_of_day <= 1440);
    if (t->hour == 24) {
        FUZZ_ASSERT(t->minute == 0 && t->second == 0 && t->millisecond == 0);
    }
    char txt[32];
    struct datetime_time back;
    int n = snprintf(txt, sizeof(txt), "%02d:%02d:%02d.%03d", t->hour, t->minute, t->second,
                     t->millisecond);
    FUZZ_ASSERT(datetime_parse_time(txt, (size_t)n, 0, &back, NULL, 0) == ACDL_OK);
    FUZZ_ASSERT(back.hour == t->hour && back.minute == t->minute && back.second == t->second &&
                back.millisecond == t->millisecond);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[96];
    int rc;
    if (size < 1 || size > 512) {
        return 0;
    }
    int mode = data[0] % 5;
    enum datetime_order order = (enum datetime_order)((data[0] / 5) % 3);
    unsigned flags = (data[0] / 15) & 1 ? DATETIME_DECIMAL_HOURS : 0;
    size_t len = size - 1;
    char *s = malloc(len ? len : 1);
    FUZZ_ASSERT(s != NULL);
    memcpy(s, data + 1, len);
    memset(why, 'x', sizeof(why));
    why[sizeof(why) - 1] = '\0';

    if (mode == 0) {
        struct datetime_date d;
        rc = datetime_parse_date(s, len, order, &d, why, sizeof(why));
        check_why(rc, why);
        if (rc == ACDL_OK) {
            check_date(&d);
        }
    } else if (mode == 1) {
        struct datetime_time t;
        rc = datetime_parse_time(s, len, flags, &t, why, sizeof(why));
        check_why(rc, why);
        if (rc == ACDL_OK) {
            check_time(&t);
        }
    } else if (mode == 2) {
        struct datetime_stamp st;
        rc = datetime_parse_stamp(s, len, order, flags, &st, why, sizeof(why));
        check_why(rc, why);
        if (rc == ACDL_OK) {
            FUZZ_ASSERT(st.has_date && st.has_time);
            check_date(&st.date);
            check_time(&st.time);
            FUZZ_ASSERT(!st.has_offset ||
                        (st.offset_minutes >= -18 * 60 - 59 && st.offset_minutes <= 18 * 60 + 59));
        }
    } else if (mode == 3) {
        int64_t ms = -1;
        rc = datetime_parse_duration(s, len, &ms, why, sizeof(why));
        check_why(rc, why);
        if (rc == ACDL_OK) {
            FUZZ_ASSERT(ms >= 0 && ms < 4000000000000000LL);
        }
    } else {
        /* "FORMAT\nVALUE" */
        char *nl = memchr(s, '\n', len);
        size_t flen = nl ? (size_t)(nl - s) : len;
        char *fmt = malloc(flen + 1);
        struct datetime_format f;
        FUZZ_ASSERT(fmt != NULL);
        memcpy(fmt, s, flen);
        fmt[flen] = '\0';
        rc = datetime_format_compile(&f, fmt, why, sizeof(why));
        check_why(rc, why);
        if (rc == ACDL_OK) {
            struct datetime_stamp st;
            const char *v = nl ? nl + 1 : s + len;
            size_t vlen = nl ? len - flen - 1 : 0;
            FUZZ_ASSERT(f.n >= 1 && f.n <= DATETIME_FORMAT_MAX);
            FUZZ_ASSERT(f.has_date || f.has_time);
            memset(why, 'x', sizeof(why) - 1);
            rc = datetime_parse_format(&f, v, vlen, &st, why, sizeof(why));
            check_why(rc, why);
            if (rc == ACDL_OK) {
                FUZZ_ASSERT(st.has_date == f.has_date && st.has_time == f.has_time);
                FUZZ_ASSERT(!st.has_offset);
                if (st.has_date) {
                    check_date(&st.date);
                }
                if (st.has_time) {
                    check_time(&st.time);
                }
            }
        }
        free(fmt);
    }
    free(s);
    return 0;
}
