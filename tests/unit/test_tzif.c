/* test_tzif.c: unit tests of the TZif reader (core/tzif.c) and of the tz database folder
 * (core/tz.c), with glibc's own reader of the same files and TZ strings as the oracle. */
#define _DEFAULT_SOURCE /* tm_gmtoff */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/err.h"
#include "core/tz.h"
#include "core/tzif.h"
#include "platform/platform.h"

static int64_t iso(const char *s)
{
    int64_t t = -1;
    if (plat_time_parse_iso(s, &t) != ACDL_OK) {
        fprintf(stdout, "bad test time %s\n", s);
    }
    return t;
}

/* --- writing TZif files --- */

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static unsigned char *header(unsigned char *p, char version, uint32_t leap, uint32_t timecnt,
                             uint32_t typecnt, uint32_t charcnt)
{
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    p = put32(p + 20, 0);
    p = put32(p, 0);
    p = put32(p, leap);
    p = put32(p, timecnt);
    p = put32(p, typecnt);
    return put32(p, charcnt);
}

/* A version-2 file: transitions at[i] to type which[i], types of offset utoff[], the footer
 * (NULL: none at all, which is malformed). Returns its length. */
static size_t make_tzif(unsigned char *b, const int64_t *at, const unsigned char *which,
                        int timecnt, const int32_t *utoff, int typecnt, const char *footer)
{
    unsigned char *p = header(b, '2', 0, 0, 1, 1); /* a minimal version-1 block, as zic -b slim */
    p = put32(p, 0);
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    p = header(p, '2', 0, (uint32_t)timecnt, (uint32_t)typecnt, 4);
    for (int i = 0; i < timecnt; i++) {
        p = put32(p, (uint32_t)((uint64_t)at[i] >> 32));
        p = put32(p, (uint32_t)at[i]);
    }
    for (int i = 0; i < timecnt; i++) {
        *p++ = which[i];
    }
    for (int i = 0; i < typecnt; i++) {
        p = put32(p, (uint32_t)utoff[i]);
        *p++ = 0;
        *p++ = 0;
    }
    memcpy(p, "XYZ", 4);
    p += 4;
    if (footer) {
        *p++ = '\n';
        memcpy(p, footer, strlen(footer));
        p += strlen(footer);
        *p++ = '\n';
    }
    return (size_t)(p - b);
}

static struct tzif *footer_zone(const char *footer)
{
    unsigned char b[512];
    int32_t off = 0;
    struct tzif *z = NULL;
    const char *err = NULL;
    size_t n = make_tzif(b, NULL, NULL, 0, &off, 1, footer);
    if (!CHECK_EQ_INT(tzif_parse(b, n, &z, &err), ACDL_OK)) {
        fprintf(stdout, "  footer \"%s\": %s\n", footer, err ? err : "?");
    }
    return z;
}

/* glibc's offset at t under the TZ value tz (a POSIX string, or ":Zone/Name"). */
static long glibc_offset(int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!localtime_r(&tt, &tm)) {
        return -999999;
    }
    return tm.tm_gmtoff;
}

static void set_tz(const char *v)
{
    setenv("TZ", v, 1);
    tzset();
}

/* --- POSIX TZ rules --- */

static void test_rules_fixed(void)
{
    struct {
        const char *footer;
        const char *when;
        int32_t off;
    } c[] = {
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T00:59:59Z", 3600},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T01:00:00Z", 7200},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T00:59:59Z", 7200},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T01:00:00Z", 3600},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2500-07-01T00:00:00Z", 7200},
        /* southern hemisphere: DST across the new year */
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-01-15T00:00:00Z", 39600},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T15:59:59Z", 39600},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T16:00:00Z", 36000},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T15:59:59Z", 36000},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T16:00:00Z", 39600},
        /* half-hour DST and a fraction-hour standard offset (Lord Howe) */
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-07-01T00:00:00Z", 37800},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-12-01T00:00:00Z", 39600},
        /* no DST; angle-bracket names */
        {"<+05>-5", "2026-07-01T00:00:00Z", 18000},
        {"<-03>3", "2026-07-01T00:00:00Z", -10800},
        {"UTC0", "2026-07-01T00:00:00Z", 0},
        /* RFC 8536 times beyond 24 h (Israel: Friday before the last Sunday, 02:00) */
        {"IST-2IDT,M3.4.4/26,M10.5.0", "2026-03-26T23:59:59Z", 7200},
        {"IST-2IDT,M3.4.4/26,M10.5.0", "2026-03-27T00:00:00Z", 10800},
        /* negative times (America/Nuuk since 2023: at -01:00, i.e. 23:00 the evening before) */
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T00:59:59Z", -7200},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T01:00:00Z", -3600},
        /* DST all year, as zic writes it */
        {"EST5EDT,0/0,J365/25", "2026-01-01T12:00:00Z", -14400},
        {"EST5EDT,0/0,J365/25", "2026-12-31T23:30:00Z", -14400},
        {"EST5EDT,0/0,J365/25", "2027-01-01T00:30:00Z", -14400},
        /* Julian days without and with Feb 29 */
        {"AAA3BBB,J60/0,J300/0", "2028-03-01T02:59:59Z", -10800},
        {"AAA3BBB,J60/0,J300/0", "2028-03-01T03:00:00Z", -7200},
        {"AAA3BBB,59/0,299/0", "2028-02-29T02:59:59Z", -10800},
        {"AAA3BBB,59/0,299/0", "2028-02-29T03:00:00Z", -7200},
        /* DST offset given explicitly, and the default of one hour more */
        {"AAA3BBB2,M3.2.0,M11.1.0", "2026-07-01T00:00:00Z", -7200},
        {"AAA3BBB,M3.2.0,M11.1.0", "2026-07-01T00:00:00Z", -7200},
        {"AAA3BBB", "2026-07-01T00:00:00Z", -7200}, /* no rule: the US one */
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct tzif *z = footer_zone(c[i].footer);
        if (z && !CHECK_EQ_INT(tzif_offset(z, iso(c[i].when)), c[i].off)) {
            fprintf(stdout, "  \"%s\" at %s\n", c[i].footer, c[i].when);
        }
        tzif_free(z);
    }
}

/* Every rule against glibc's reading of the same TZ string, for 1970..2200: offsets every
 * 53 hours and 13 minutes, and both sides of every transition we find. */
static void test_rules_glibc(void)
{
    static const char *rules[] = {"CET-1CEST,M3.5.0,M10.5.0/3",
                                  "AEST-10AEDT,M10.1.0,M4.1.0/3",
                                  "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                                  "EST5EDT,M3.2.0,M11.1.0",
                                  "IST-2IDT,M3.4.4/26,M10.5.0",
                                  "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
                                  "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
                                  "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
                                  "NZST-12NZDT,M9.5.0,M4.1.0/3",
                                  "AAA3BBB,J60/0,J300/0",
                                  "AAA3BBB,59/0,299/0",
                                  "WET0WEST,M3.5.0/1,M10.5.0",
                                  "<+0545>-5:45"};
    long compared = 0, bad = 0, transitions = 0;
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        struct tzif *z = footer_zone(rules[r]);
        if (!z) {
            continue;
        }
        set_tz(rules[r]);
        for (int64_t t = iso("1970-01-01T00:00:00Z"); t < iso("2200-01-01T00:00:00Z") && bad < 10;
             t += 53 * 3600 + 13 * 60) {
            compared++;
            if (tzif_offset(z, t) != glibc_offset(t)) {
                bad++;
                fprintf(stdout, "FAIL \"%s\" at %lld: ours %d, glibc %ld\n", rules[r], (long long)t,
                        tzif_offset(z, t), glibc_offset(t));
            }
        }
        int64_t t = iso("1970-01-01T00:00:00Z"), next = 0;
        while (tzif_next(z, t, &next) && next < iso("2200-01-01T00:00:00Z") && bad < 10) {
            CHECK(next > t);
            transitions++;
            if (tzif_offset(z, next - 1) != glibc_offset(next - 1) ||
                tzif_offset(z, next) != glibc_offset(next)) {
                bad++;
                fprintf(stdout, "FAIL \"%s\" transition at %lld: ours %d/%d, glibc %ld/%ld\n",
                        rules[r], (long long)next, tzif_offset(z, next - 1), tzif_offset(z, next),
                        glibc_offset(next - 1), glibc_offset(next));
            }
            t = next;
        }
        tzif_free(z);
    }
    unsetenv("TZ");
    tzset();
    CHECK_EQ_INT(bad, 0);
    CHECK(transitions > 2000);
    fprintf(stdout, "  %ld offsets and %ld transitions of %zu rules agree with glibc\n", compared,
            transitions, sizeof(rules) / sizeof(rules[0]));
}

/* --- the file format --- */

static void test_malformed(void)
{
    unsigned char b[1024], c[1024];
    int64_t at[2] = {1000, 2000};
    unsigned char which[2] = {1, 0};
    int32_t off[2] = {3600, 7200};
    struct tzif *z = NULL;
    const char *err = NULL;
    size_t n = make_tzif(b, at, which, 2, off, 2, "");
    CHECK_EQ_INT(tzif_parse(b, n, &z, &err), ACDL_OK);
    if (z) {
        CHECK_EQ_INT(tzif_offset(z, 999), 3600); /* before the first: type 0 */
        CHECK_EQ_INT(tzif_offset(z, 1000), 7200);
        CHECK_EQ_INT(tzif_offset(z, 1999), 7200);
        CHECK_EQ_INT(tzif_offset(z, 2000), 3600);
        CHECK_EQ_INT(tzif_offset(z, INT64_MAX), 3600);
        CHECK_EQ_INT(tzif_offset(z, INT64_MIN), 3600);
        int64_t next = 0;
        CHECK(tzif_next(z, 0, &next) == 1 && next == 1000);
        CHECK(tzif_next(z, 1000, &next) == 1 && next == 2000);
        CHECK(tzif_next(z, 2000, &next) == 0); /* empty footer: nothing after the last */
    }
    tzif_free(z);
    z = NULL;
    /* every cut-short prefix is refused, never read beyond */
    for (size_t k = 0; k < n; k++) {
        unsigned char *cut = malloc(k ? k : 1);
        if (cut) {
            memcpy(cut, b, k);
            if (!CHECK_EQ_INT(tzif_parse(cut, k, &z, &err), ACDL_EINVAL)) {
                fprintf(stdout, "  prefix of %zu bytes\n", k);
            }
            free(cut);
        }
    }
    struct {
        const char *what;
        size_t pos;
        unsigned char byte;
    } flips[] = {
        {"magic", 0, 'X'},
        {"version", 4, '9'},
    };
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        memcpy(c, b, n);
        c[flips[i].pos] = flips[i].byte;
        if (!CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL)) {
            fprintf(stdout, "  %s\n", flips[i].what);
        }
    }
    /* descending transitions, an unknown type, an offset beyond 26 hours, leap seconds */
    int64_t desc[2] = {2000, 1000};
    n = make_tzif(c, desc, which, 2, off, 2, "");
    CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL);
    CHECK_CONTAINS(err, "ascending");
    unsigned char unknown[2] = {0, 2};
    n = make_tzif(c, at, unknown, 2, off, 2, "");
    CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL);
    int32_t far[2] = {3600, 94000};
    n = make_tzif(c, at, which, 2, far, 2, "");
    CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL);
    n = make_tzif(c, at, which, 2, off, 2, "");
    put32(c + 28, 1); /* leapcnt of the version-1 header */
    CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL);
    CHECK_CONTAINS(err, "leap");
    /* footers: missing, unterminated, not a TZ string */
    n = make_tzif(c, at, which, 2, off, 2, NULL);
    CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL);
    n = make_tzif(c, at, which, 2, off, 2, "CET-1");
    CHECK_EQ_INT(tzif_parse(c, n - 1, &z, &err), ACDL_EINVAL);
    const char *bad[] = {"CE-1",
                         "CET",
                         "CET-1CEST,M3.5.0",
                         "CET-1CEST,M13.5.0,M10.5.0",
                         "CET-25",
                         "CET-1CEST,M3.6.0,M10.5.0",
                         "CET-1CEST,M3.5.7,M10.5.0",
                         "CET-1CEST,J0,J300",
                         "CET-1CEST,366,300",
                         "CET-1CEST,M3.5.0/168,M10.5.0",
                         "CET-1:60",
                         "CET-1 ",
                         "<AB>-1",
                         "<+05-5",
                         "CET-1CEST,M3.5.0,M10.5.0,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = make_tzif(c, at, which, 2, off, 2, bad[i]);
        if (!CHECK_EQ_INT(tzif_parse(c, n, &z, &err), ACDL_EINVAL)) {
            fprintf(stdout, "  footer \"%s\"\n", bad[i]);
            tzif_free(z);
        }
    }
    CHECK_EQ_INT(tzif_parse(NULL, 0, &z, &err), ACDL_EINVAL);
    tzif_free(NULL);
}

/* --- the system's database --- */

/* Every zone and link of the system's tzdata.zi against glibc reading the same TZif files:
 * offsets every 10 days 1950..2060 and both sides of every change found between samples. */
static void test_system_zones_glibc(void)
{
    char path[512], line[512];
    const char *dir = plat_tz_dir();
    snprintf(path, sizeof(path), "%s/tzdata.zi", dir);
    FILE *f = fopen(path, "r");
    if (!CHECK(f != NULL)) {
        fprintf(stdout, "  %s: install Debian's tzdata package\n", path);
        return;
    }
    long zones = 0, samples = 0, changes = 0, bad = 0;
    while (fgets(line, sizeof(line), f) && bad < 10) {
        char name[128], target[128], tzv[140];
        if (!(sscanf(line, "Z %127s", name) == 1 ||
              sscanf(line, "L %127s %127s", target, name) == 2) ||
            !strcmp(name, "Factory")) {
            continue;
        }
        struct tz *tz = NULL;
        if (!CHECK_EQ_INT(tz_open(name, &tz), ACDL_OK)) {
            fprintf(stdout, "  zone %s\n", name);
            continue;
        }
        zones++;
        snprintf(tzv, sizeof(tzv), ":%s", name);
        set_tz(tzv);
        int prev = 0;
        int64_t prev_t = 0;
        for (int64_t t = (int64_t)-631152000 /* 1950-01-01 */;
             t < iso("2060-01-01T00:00:00Z") && bad < 10; t += 10 * 86400) {
            int off = 0;
            tz_utc_to_local(tz, t, NULL, NULL, NULL, &off);
            samples++;
            if (off != glibc_offset(t)) {
                bad++;
                fprintf(stdout, "FAIL %s at %lld: ours %d, glibc %ld\n", name, (long long)t, off,
                        glibc_offset(t));
            }
            if (t > (int64_t)-631152000 /* 1950-01-01 */ && off != prev) {
                /* the change between the samples, to the second */
                int64_t lo = prev_t, hi = t;
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2, o = 0;
                    int om = 0;
                    tz_utc_to_local(tz, mid, NULL, NULL, NULL, &om);
                    o = om;
                    if (o == prev) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                changes++;
                int before = 0, after = 0;
                tz_utc_to_local(tz, hi - 1, NULL, NULL, NULL, &before);
                tz_utc_to_local(tz, hi, NULL, NULL, NULL, &after);
                if (before != glibc_offset(hi - 1) || after != glibc_offset(hi)) {
                    bad++;
                    fprintf(stdout, "FAIL %s change at %lld: ours %d/%d, glibc %ld/%ld\n", name,
                            (long long)hi, before, after, glibc_offset(hi - 1), glibc_offset(hi));
                }
            }
            prev = off;
            prev_t = t;
        }
        tz_close(tz);
    }
    fclose(f);
    unsetenv("TZ");
    tzset();
    CHECK(zones > 500);
    CHECK_EQ_INT(bad, 0);
    fprintf(stdout, "  %ld zones of tz data %s: %ld offsets and %ld changes agree with glibc\n",
            zones, tz_data_version(), samples, changes);
}

/* A database folder made here: its version, its names only, a malformed zone file. */
static void test_folder(void)
{
    char dir[256], path[512];
    unsigned char b[512];
    if (!CHECK(check_tmpdir("tzdb", dir, sizeof(dir)) == 0)) {
        return;
    }
    snprintf(path, sizeof(path), "%s/tzdata.zi", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("# version 2099z\n# a test database\n", f);
        for (int i = 0; i < 10; i++) {
            fprintf(f, "Z Test/Zone%d 1 - X\n", i);
        }
        fputs("Z Test/Broken 0 - X\nL Test/Zone1 Test/Alias\nR X 1 2 - - 0 0 -\n", f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/Test", dir);
    plat_mkdir_p(path, 0);
    int32_t off = 3 * 3600;
    size_t n = make_tzif(b, NULL, NULL, 0, &off, 1, "<+03>-3");
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "%s/Test/Zone%d", dir, i);
        plat_file_write_atomic(path, b, n, 0);
    }
    snprintf(path, sizeof(path), "%s/Test/Alias", dir);
    plat_file_write_atomic(path, b, n, 0);
    snprintf(path, sizeof(path), "%s/Test/Broken", dir);
    plat_file_write_atomic(path, "TZif2", 5, 0);

    CHECK_EQ_INT(tz_data_select(dir), ACDL_OK);
    CHECK_EQ_STR(tz_data_version(), "2099z");
    CHECK_EQ_STR(tz_data_source(), "system");
    CHECK_EQ_INT(tz_data_outdated(), 0);
    CHECK_EQ_INT(tz_check("Test/Zone3", NULL, 0), ACDL_OK);
    CHECK_EQ_INT(tz_check("Test/Alias", NULL, 0), ACDL_OK);
    CHECK_EQ_INT(tz_check("Europe/Berlin", NULL, 0), ACDL_EINVAL); /* not in this list */
    CHECK_EQ_INT(tz_check("Test", NULL, 0), ACDL_EINVAL);
    struct tz *tz = NULL;
    if (CHECK_EQ_INT(tz_open("Test/Alias", &tz), ACDL_OK)) {
        int o = 0;
        tz_utc_to_local(tz, iso("2026-07-01T00:00:00Z"), NULL, NULL, NULL, &o);
        CHECK_EQ_INT(o, 3 * 3600);
        tz_close(tz);
    }
    tz = NULL;
    CHECK_EQ_INT(tz_open("Test/Broken", &tz), ACDL_EINVAL); /* and logged with the file */
    CHECK(tz == NULL);
    char line[300];
    tz_data_describe(line, sizeof(line));
    CHECK_CONTAINS(line, "2099z");
    CHECK_CONTAINS(line, dir);

    /* a folder without tzdata.zi: ICU's data, and it says why */
    snprintf(path, sizeof(path), "%s/Test", dir);
    CHECK_EQ_INT(tz_data_select(path), ACDL_EIO);
    CHECK_EQ_STR(tz_data_source(), "icu");
    CHECK_EQ_INT(tz_data_outdated(), 1);
    tz_data_describe(line, sizeof(line));
    CHECK_CONTAINS(line, "tzdata.zi cannot be read");
    CHECK_EQ_INT(tz_check("Europe/Berlin", NULL, 0), ACDL_OK);

    CHECK_EQ_INT(tz_data_select(plat_tz_dir()), ACDL_OK);
    check_tmpdir_done(dir);
}

int main(void)
{
    RUN(test_rules_fixed);
    RUN(test_rules_glibc);
    RUN(test_malformed);
    RUN(test_system_zones_glibc);
    RUN(test_folder);
    return check_summary();
}
