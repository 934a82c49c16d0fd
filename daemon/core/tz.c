/* tz.c: local days and wall time <-> UTC on top of ICU's time zones (see tz.h).
 *
 * Design note. ICU answers "what is the offset at instant t" and "when is the next transition
 * after t"; everything else is arithmetic on a small cache. For a local day D whose midnight
 * as a "wall-clock epoch" is base = days(D) * 86400, a wall time w has the UTC solutions
 * u = w - off(u). Offsets stay within +-MARGIN (the tz database's extremes are below 16 hours),
 * so every solution for a wall time of D or of D+1's midnight lies in the window
 * [base - MARGIN, base + 86400 + MARGIN). tz_load() reads the offset at the window's start and
 * every transition inside it into segments (from, off) once per day; afterwards a conversion
 * checks u = w - off against each segment's range: no candidate = gap, two = fold. The same
 * rule, "first instant whose wall clock is >= w", gives the day's start and end, so days tile
 * the time line even when DST starts or ends at midnight. */
#include "core/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tzif.h"
#include "platform/platform.h"

#define DAY_S 86400
#define MARGIN_S (36 * 3600)
#define SEG_MAX 32

/* 0001-01-01 and 9999-12-31 as days since 1970-01-01. */
#define DAYS_MIN (-719162)
#define DAYS_MAX 2932896

/* One stretch of constant total offset: from seg[i].from up to seg[i + 1].from (or hi). */
struct seg {
    int64_t from;
    int32_t off;
};

struct tz {
    UCalendar *cal;          /* ICU's zone, or NULL when zone is set */
    const struct tzif *zone; /* borrowed from the database cache (lives until exit) */
    char name[TZ_NAME_MAX + 1];
    /* the cache: offsets around one local day */
    int loaded;
    struct tz_date day;
    int64_t base;       /* the day's 00:00 as wall-clock seconds */
    int64_t lo, hi;     /* the UTC window the segments cover */
    int64_t start, end; /* the day's bounds (UTC) */
    int nseg;
    struct seg seg[SEG_MAX];
};

/* --- calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms) --- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static struct tz_date civil_from_days(int64_t z)
{
    struct tz_date r;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    r.y = (int)(yoe + era * 400 + (m <= 2));
    r.m = (int)m;
    r.d = (int)d;
    return r;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

int tz_date_valid(struct tz_date day)
{
    return day.y >= 1 && day.y <= 9999 && day.m >= 1 && day.m <= 12 && day.d >= 1 &&
           day.d <= month_days(day.y, day.m);
}

int tz_date_parse(const char *s, struct tz_date *out)
{
    int v[8];
    if (!s || !out) {
        return ACDL_EINVAL;
    }
    for (int i = 0, k = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') {
                return ACDL_EINVAL;
            }
        } else {
            if (s[i] < '0' || s[i] > '9') { /* also stops at the NUL of a short string */
                return ACDL_EINVAL;
            }
            v[k++] = s[i] - '0';
        }
    }
    if (s[10] != '\0') {
        return ACDL_EINVAL;
    }
    struct tz_date d = {v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], v[4] * 10 + v[5],
                        v[6] * 10 + v[7]};
    if (!tz_date_valid(d)) {
        return ACDL_EINVAL;
    }
    *out = d;
    return ACDL_OK;
}

void tz_date_add_days(struct tz_date *day, int n)
{
    if (!day || !tz_date_valid(*day)) {
        return;
    }
    int64_t z = days_from_civil(day->y, day->m, day->d) + n;
    if (z < DAYS_MIN) {
        z = DAYS_MIN;
    } else if (z > DAYS_MAX) {
        z = DAYS_MAX;
    }
    *day = civil_from_days(z);
}

int64_t tz_date_diff(struct tz_date a, struct tz_date b)
{
    if (!tz_date_valid(a) || !tz_date_valid(b)) {
        return 0;
    }
    return days_from_civil(a.y, a.m, a.d) - days_from_civil(b.y, b.m, b.d);
}

int tz_date_weekday(struct tz_date day)
{
    if (!tz_date_valid(day)) {
        return 0;
    }
    /* 1970-01-01 was a Thursday (4) */
    int64_t z = days_from_civil(day.y, day.m, day.d);
    return (int)(((z % 7) + 7 + 3) % 7) + 1;
}

void tz_date_format(struct tz_date day, char out[11])
{
    if (!tz_date_valid(day)) {
        memcpy(out, "0000-00-00", 11);
        return;
    }
    /* by hand, not snprintf: every row of a results answer has a local date */
    int f[2] = {day.y / 100, day.y % 100};
    for (int i = 0; i < 2; i++) {
        out[2 * i] = (char)('0' + f[i] / 10);
        out[2 * i + 1] = (char)('0' + f[i] % 10);
    }
    out[4] = '-';
    out[5] = (char)('0' + day.m / 10);
    out[6] = (char)('0' + day.m % 10);
    out[7] = '-';
    out[8] = (char)('0' + day.d / 10);
    out[9] = (char)('0' + day.d % 10);
    out[10] = '\0';
}

/* --- zone names --- */

/* ACDL_ENOMEM for ICU's allocation failure, ACDL_EINVAL for anything else. */
static int icu_rc(UErrorCode st)
{
    return st == U_MEMORY_ALLOCATION_ERROR ? ACDL_ENOMEM : ACDL_EINVAL;
}

/* Checks the name's shape and converts it to UTF-16 into u (TZ_NAME_MAX + 1 units). */
static int name_to_uchars(const char *iana, UChar *u)
{
    size_t len = 0;
    if (!iana) {
        return ACDL_EINVAL;
    }
    for (; iana[len]; len++) {
        char c = iana[len];
        if (len >= TZ_NAME_MAX) {
            return ACDL_EINVAL;
        }
        /* only ICU's invariant characters may go through u_charsToUChars */
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-')) {
            return ACDL_EINVAL;
        }
    }
    if (len == 0) {
        return ACDL_EINVAL;
    }
    u_charsToUChars(iana, u, (int32_t)len + 1);
    return ACDL_OK;
}

/* --- the tz database in use --- */

#define ZI_MAX (4 * 1024 * 1024)

/* The system's tz database (dir holds tzdata.zi and one TZif file per zone), or ICU's built-in
 * copy when there is none. Set once (db_ready(), tz_data_select()); names and version are
 * read-only afterwards, zones[] fills under db_mu as zones are first opened. */
static struct {
    int ready;
    int system;
    char dir[512];
    char version[32];
    char why[300]; /* why ICU's data is in use, when it is */
    char **names;  /* sorted zone and link names of tzdata.zi */
    struct tzif **zones;
    size_t n;
} db;
static pthread_mutex_t db_mu = PTHREAD_MUTEX_INITIALIZER;

static void db_clear(void)
{
    for (size_t i = 0; i < db.n; i++) {
        free(db.names[i]);
        tzif_free(db.zones[i]);
    }
    free(db.names);
    free(db.zones);
    memset(&db, 0, sizeof(db));
}

/* Reads at most max bytes of path into *buf (new, NUL-terminated; caller frees). */
static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0;
    int rc = ACDL_EIO;
    if (!f) {
        goto out;
    }
    b = malloc(max + 1);
    if (!b) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    n = fread(b, 1, max + 1, f);
    if (ferror(f)) {
        goto out;
    }
    rc = n > max ? ACDL_ETOOBIG : ACDL_OK;
out:
    if (f) {
        fclose(f);
    }
    if (rc == ACDL_OK) {
        b[n] = '\0';
        *buf = b;
        *len = n;
    } else {
        free(b);
    }
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a name of tzdata.zi (the text up to the next blank) to db.names. */
static int db_add_name(const char *p, size_t *cap)
{
    size_t len = strcspn(p, " \t\r\n");
    if (len == 0 || len > TZ_NAME_MAX) {
        return ACDL_OK; /* no zone we could be asked for */
    }
    if (db.n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        char **nn = realloc(db.names, c * sizeof(*nn));
        if (!nn) {
            return ACDL_ENOMEM;
        }
        db.names = nn;
        *cap = c;
    }
    db.names[db.n] = malloc(len + 1);
    if (!db.names[db.n]) {
        return ACDL_ENOMEM;
    }
    memcpy(db.names[db.n], p, len);
    db.names[db.n][len] = '\0';
    db.n++;
    return ACDL_OK;
}

/* Makes db the tz database of dir: its version and every zone ("Z NAME ...") and link
 * ("L TARGET NAME") of dir/tzdata.zi. On failure db.why says why. */
static int db_load(const char *dir)
{
    char path[600], *zi = NULL;
    size_t len = 0, cap = 0;
    int rc;
    if (strlen(dir) >= sizeof(db.dir)) {
        snprintf(db.why, sizeof(db.why), "tz database folder name too long");
        return ACDL_EINVAL;
    }
    snprintf(path, sizeof(path), "%s/tzdata.zi", dir);
    rc = read_file(path, ZI_MAX, &zi, &len);
    if (rc != ACDL_OK) {
        snprintf(db.why, sizeof(db.why), "%s %s", path,
                 rc == ACDL_EIO ? "cannot be read" : "is too large");
        goto out;
    }
    rc = ACDL_EINVAL;
    if (sscanf(zi, "# version %31s", db.version) != 1) {
        snprintf(db.why, sizeof(db.why), "%s has no \"# version\" line", path);
        goto out;
    }
    for (char *p = zi; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (p[0] == 'Z' && p[1] == ' ') {
            rc = db_add_name(p + 2, &cap);
        } else if (p[0] == 'L' && p[1] == ' ') {
            const char *target_end = p + 2 + strcspn(p + 2, " \t\r\n");
            rc = *target_end == ' ' ? db_add_name(target_end + 1, &cap) : ACDL_OK;
        } else {
            continue;
        }
        if (rc != ACDL_OK) {
            snprintf(db.why, sizeof(db.why), "out of memory reading %s", path);
            goto out;
        }
    }
    if (db.n < 10) {
        snprintf(db.why, sizeof(db.why), "%s lists no zones", path);
        rc = ACDL_EINVAL;
        goto out;
    }
    qsort(db.names, db.n, sizeof(*db.names), name_cmp);
    db.zones = calloc(db.n, sizeof(*db.zones));
    if (!db.zones) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    memcpy(db.dir, dir, strlen(dir) + 1);
    db.system = 1;
    rc = ACDL_OK;
out:
    free(zi);
    if (rc != ACDL_OK) {
        char why[sizeof(db.why)] = "";
        memcpy(why, db.why, sizeof(why));
        db_clear();
        memcpy(db.why, why, sizeof(why));
    }
    return rc;
}

/* Picks the database at first use: $TZDIR or the system's folder, else ICU's data. */
static void db_ready(void)
{
    pthread_mutex_lock(&db_mu);
    if (!db.ready) {
        const char *dir = getenv("TZDIR");
        if (!dir || !*dir) {
            dir = plat_tz_dir();
        }
        if (dir) {
            (void)db_load(dir);
        } else {
            snprintf(db.why, sizeof(db.why), "the system's own");
        }
        db.ready = 1;
    }
    pthread_mutex_unlock(&db_mu);
}

int tz_data_select(const char *dir)
{
    int rc = ACDL_OK;
    pthread_mutex_lock(&db_mu);
    db_clear();
    if (dir) {
        rc = db_load(dir);
    } else {
        snprintf(db.why, sizeof(db.why), "ICU's data chosen");
    }
    db.ready = 1;
    pthread_mutex_unlock(&db_mu);
    return rc;
}

/* Index of name in db.names, or -1. */
static long db_find(const char *name)
{
    char *key = (char *)name;
    char **hit = bsearch(&key, db.names, db.n, sizeof(*db.names), name_cmp);
    return hit ? (long)(hit - db.names) : -1;
}

/* The parsed zone at index i, read from its file on first use (borrowed; lives until exit). */
static int db_zone(long i, const struct tzif **out)
{
    char path[sizeof(db.dir) + TZ_NAME_MAX + 2], *buf = NULL;
    size_t len = 0;
    int rc = ACDL_OK;
    pthread_mutex_lock(&db_mu);
    if (!db.zones[i]) {
        const char *err = NULL;
        snprintf(path, sizeof(path), "%s/%s", db.dir, db.names[i]);
        rc = read_file(path, TZIF_FILE_MAX, &buf, &len);
        if (rc == ACDL_OK) {
            rc = tzif_parse((const unsigned char *)buf, len, &db.zones[i], &err);
        }
        if (rc != ACDL_OK) {
            log_error("tz", "zone %s: %s: %s (reinstall the tzdata package)", db.names[i], path,
                      err ? err : "cannot be read");
        }
    }
    *out = db.zones[i];
    pthread_mutex_unlock(&db_mu);
    free(buf);
    return rc;
}

/* --- zone names --- */

int tz_check(const char *iana, char *canonical, size_t sz)
{
    UChar u[TZ_NAME_MAX + 1], c[128]; /* a canonical id may be longer than the alias */
    UChar unknown[16];
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    int rc = name_to_uchars(iana, u);
    if (rc != ACDL_OK) {
        return rc;
    }
    db_ready();
    if (db.system) {
        /* "Factory" is tzdata's zone for "not set yet" (abbreviation -00): not a place */
        if (db_find(iana) < 0 || !strcmp(iana, "Factory")) {
            return ACDL_EINVAL;
        }
    } else {
        /* Unknown names fail here; custom ids ("GMT+5") come back with system == false. */
        int32_t n = ucal_getCanonicalTimeZoneID(u, -1, c, (int32_t)(sizeof(c) / sizeof(c[0])),
                                                &system, &st);
        if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || !system || n <= 0) {
            return U_FAILURE(st) ? icu_rc(st) : ACDL_EINVAL;
        }
        u_charsToUChars("Etc/Unknown", unknown, 12);
        if (u_strcmp(c, unknown) == 0) {
            return ACDL_EINVAL;
        }
    }
    if (canonical) {
        size_t len = strlen(iana);
        if (len + 1 > sz) {
            return ACDL_ETOOBIG;
        }
        memcpy(canonical, iana, len + 1);
    }
    return ACDL_OK;
}

const char *tz_data_version(void)
{
    UErrorCode st = U_ZERO_ERROR;
    db_ready();
    if (db.system) {
        return db.version;
    }
    const char *v = ucal_getTZDataVersion(&st);
    return U_SUCCESS(st) && v ? v : "unknown";
}

const char *tz_data_source(void)
{
    db_ready();
    return db.system ? "system" : "icu";
}

int tz_data_outdated(void)
{
    db_ready();
    return !db.system && strcmp(db.why, "the system's own") != 0;
}

void tz_data_describe(char *out, size_t sz)
{
    db_ready();
    if (db.system) {
        snprintf(out, sz, "tz database %s from %s", db.version, db.dir);
    } else {
        snprintf(out, sz, "ICU's tz data %s (%s)", tz_data_version(), db.why);
    }
}

/* --- a zone --- */

int tz_open(const char *iana, struct tz **out)
{
    UChar u[TZ_NAME_MAX + 1];
    UErrorCode st = U_ZERO_ERROR;
    struct tz *tz = NULL;
    int rc;
    if (!out) {
        return ACDL_EINVAL;
    }
    *out = NULL;
    rc = tz_check(iana, NULL, 0);
    if (rc != ACDL_OK) {
        goto out;
    }
    name_to_uchars(iana, u);
    tz = calloc(1, sizeof(*tz));
    if (!tz) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    memcpy(tz->name, iana, strlen(iana) + 1);
    if (db.system) {
        rc = db_zone(db_find(iana), &tz->zone);
        if (rc != ACDL_OK) {
            goto out;
        }
    } else {
        /* The locale only affects week fields, which are not used; fixed for repeatability. */
        tz->cal = ucal_open(u, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
        if (U_FAILURE(st) || !tz->cal) {
            rc = U_FAILURE(st) ? icu_rc(st) : ACDL_ENOMEM;
            goto out;
        }
    }
    *out = tz;
    tz = NULL;
    rc = ACDL_OK;
out:
    tz_close(tz);
    return rc;
}

void tz_close(struct tz *tz)
{
    if (!tz) {
        return;
    }
    if (tz->cal) {
        ucal_close(tz->cal);
    }
    free(tz);
}

const char *tz_name(const struct tz *tz)
{
    return tz ? tz->name : "";
}

/* The total UTC offset (seconds) at instant t. */
static int zone_offset(struct tz *tz, int64_t t, int32_t *off)
{
    UErrorCode st = U_ZERO_ERROR;
    if (tz->zone) {
        *off = tzif_offset(tz->zone, t);
        return ACDL_OK;
    }
    ucal_setMillis(tz->cal, (UDate)t * 1000.0, &st);
    int32_t zone = ucal_get(tz->cal, UCAL_ZONE_OFFSET, &st);
    int32_t dst = ucal_get(tz->cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st)) {
        return icu_rc(st);
    }
    *off = (int32_t)floor_div((int64_t)zone + dst, 1000);
    return ACDL_OK;
}

/* The first transition after t (whole seconds, a fraction rounded up) into *next; *found 0
 * when the zone has none. */
static int zone_next(struct tz *tz, int64_t t, int64_t *next, int *found)
{
    UErrorCode st = U_ZERO_ERROR;
    UDate ms = 0;
    if (tz->zone) {
        *found = tzif_next(tz->zone, t, next);
        return ACDL_OK;
    }
    ucal_setMillis(tz->cal, (UDate)t * 1000.0, &st);
    *found = ucal_getTimeZoneTransitionDate(tz->cal, UCAL_TZ_TRANSITION_NEXT, &ms, &st);
    if (U_FAILURE(st)) {
        return icu_rc(st);
    }
    if (*found) {
        /* ICU's dates are doubles: beyond the int64 range means "never" */
        if (ms >= 9.2e18 || ms <= -9.2e18) {
            *found = 0;
        } else {
            *next = -floor_div(-(int64_t)ms, 1000);
        }
    }
    return ACDL_OK;
}

/* End (exclusive) of segment i. */
static int64_t seg_end(const struct tz *tz, int i)
{
    return i + 1 < tz->nseg ? tz->seg[i + 1].from : tz->hi;
}

/* The first instant of the window whose wall clock shows w or later (wall seconds). */
static int first_at_or_after(const struct tz *tz, int64_t w, int64_t *out)
{
    for (int i = 0; i < tz->nseg; i++) {
        int64_t u = w - tz->seg[i].off;
        if (u < tz->seg[i].from) {
            u = tz->seg[i].from;
        }
        if (u < seg_end(tz, i)) {
            *out = u;
            return ACDL_OK;
        }
    }
    return ACDL_EINVAL; /* offsets beyond MARGIN_S: not in any tz database */
}

/* Makes the cache hold the offsets around day (a valid date). */
static int tz_load(struct tz *tz, struct tz_date day)
{
    int rc;
    if (tz->loaded && tz_date_cmp(tz->day, day) == 0) {
        return ACDL_OK;
    }
    tz->loaded = 0;
    tz->base = days_from_civil(day.y, day.m, day.d) * DAY_S;
    tz->lo = tz->base - MARGIN_S;
    tz->hi = tz->base + DAY_S + MARGIN_S;
    tz->nseg = 1;
    tz->seg[0].from = tz->lo;
    rc = zone_offset(tz, tz->lo, &tz->seg[0].off);
    if (rc != ACDL_OK) {
        return rc;
    }
    for (int64_t t = tz->lo;;) {
        int64_t ts = 0;
        int found = 0;
        rc = zone_next(tz, t, &ts, &found);
        if (rc != ACDL_OK) {
            return rc;
        }
        if (!found || ts >= tz->hi) {
            break;
        }
        /* transitions are whole seconds in the tz database; never stall */
        if (ts <= t) {
            ts = t + 1;
        }
        if (ts >= tz->hi) {
            break;
        }
        int32_t off;
        rc = zone_offset(tz, ts, &off);
        if (rc != ACDL_OK) {
            return rc;
        }
        /* a transition may only move offset between standard and DST time: nothing to do */
        if (off != tz->seg[tz->nseg - 1].off) {
            if (tz->nseg == SEG_MAX) {
                return ACDL_EINVAL;
            }
            tz->seg[tz->nseg].from = ts;
            tz->seg[tz->nseg].off = off;
            tz->nseg++;
        }
        t = ts;
    }
    rc = first_at_or_after(tz, tz->base, &tz->start);
    if (rc == ACDL_OK) {
        rc = first_at_or_after(tz, tz->base + DAY_S, &tz->end);
    }
    if (rc != ACDL_OK) {
        return rc;
    }
    tz->day = day;
    tz->loaded = 1;
    return ACDL_OK;
}

int tz_day_bounds(struct tz *tz, struct tz_date day, int64_t *start_utc, int64_t *end_utc)
{
    if (!tz || !tz_date_valid(day)) {
        return ACDL_EINVAL;
    }
    int rc = tz_load(tz, day);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (start_utc) {
        *start_utc = tz->start;
    }
    if (end_utc) {
        *end_utc = tz->end;
    }
    return ACDL_OK;
}

int tz_day_intervals(struct tz *tz, struct tz_date day, int minutes, int64_t *starts, int max,
                     int *n)
{
    int64_t start, end;
    if (!n || (minutes != 15 && minutes != 30 && minutes != 60) || max < 0 ||
        (max > 0 && !starts)) {
        return ACDL_EINVAL;
    }
    int rc = tz_day_bounds(tz, day, &start, &end);
    if (rc != ACDL_OK) {
        return rc;
    }
    int64_t step = (int64_t)minutes * 60;
    int64_t count = (end - start + step - 1) / step;
    *n = (int)count;
    if (count > max) {
        return ACDL_ETOOBIG;
    }
    for (int i = 0; i < (int)count; i++) {
        starts[i] = start + i * step;
    }
    return ACDL_OK;
}

/* The UTC solutions of a wall time of the loaded day: *nsol of them, the first in *early and
 * the last in *late, and in *flo and *fhi (seconds of the day) the range of wall times that share
 * those two occurrences (the fold) when there are several. */
static void solve(const struct tz *tz, int64_t sec_of_day, int *nsol, int64_t *early, int64_t *late,
                  int *flo, int *fhi)
{
    int64_t w = tz->base + sec_of_day;
    int first = -1, last = -1;
    *nsol = 0;
    for (int i = 0; i < tz->nseg; i++) {
        int64_t u = w - tz->seg[i].off;
        if (u >= tz->seg[i].from && u < seg_end(tz, i)) {
            if (first < 0) {
                first = i;
                *early = u;
            }
            last = i;
            *late = u;
            (*nsol)++;
        }
    }
    if (flo && fhi && *nsol > 1) {
        /* the wall-clock ranges of both segments overlap here; clip to the day */
        int64_t a = tz->seg[first].from + tz->seg[first].off;
        int64_t b = seg_end(tz, first) + tz->seg[first].off;
        int64_t c = tz->seg[last].from + tz->seg[last].off;
        int64_t d = seg_end(tz, last) + tz->seg[last].off;
        int64_t lo = (a > c ? a : c) - tz->base;
        int64_t hi = (b < d ? b : d) - tz->base;
        *flo = (int)(lo < 0 ? 0 : lo);
        *fhi = (int)(hi > DAY_S ? DAY_S : hi);
    }
}

/* Loads day and checks a wall time's range; *sec gets the seconds of the day. */
static int prepare(struct tz *tz, struct tz_date day, int minute_of_day, int second, int64_t *sec)
{
    if (!tz || !tz_date_valid(day) || minute_of_day < 0 || minute_of_day >= 1440 || second < 0 ||
        second >= 60) {
        return ACDL_EINVAL;
    }
    *sec = (int64_t)minute_of_day * 60 + second;
    return tz_load(tz, day);
}

int tz_local_to_utc(struct tz *tz, struct tz_date day, int minute_of_day, int second,
                    enum tz_fold fold, int64_t *out)
{
    int64_t sec, early = 0, late = 0;
    int nsol;
    int rc = prepare(tz, day, minute_of_day, second, &sec);
    if (rc != ACDL_OK || !out) {
        return rc != ACDL_OK ? rc : ACDL_EINVAL;
    }
    solve(tz, sec, &nsol, &early, &late, NULL, NULL);
    if (nsol == 0) {
        return ACDL_EINVAL; /* in a gap: this wall time does not exist on that day */
    }
    *out = fold == TZ_LATER ? late : early;
    return ACDL_OK;
}

int tz_utc_to_local(struct tz *tz, int64_t utc, struct tz_date *day, int *minute_of_day,
                    int *second, int *utc_offset_s)
{
    int32_t off = 0;
    int found = 0;
    if (!tz || utc < (int64_t)DAYS_MIN * DAY_S - MARGIN_S ||
        utc > ((int64_t)DAYS_MAX + 1) * DAY_S + MARGIN_S) {
        return ACDL_EINVAL;
    }
    if (tz->loaded && utc >= tz->lo && utc < tz->hi) {
        for (int i = tz->nseg - 1; i >= 0; i--) {
            if (utc >= tz->seg[i].from) {
                off = tz->seg[i].off;
                found = 1;
                break;
            }
        }
    }
    if (!found) {
        int rc = zone_offset(tz, utc, &off);
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    int64_t wall = utc + off;
    int64_t z = floor_div(wall, DAY_S);
    if (z < DAYS_MIN || z > DAYS_MAX) {
        return ACDL_EINVAL;
    }
    struct tz_date d = civil_from_days(z);
    int64_t s = wall - z * DAY_S;
    if (!found) {
        /* callers tend to convert many instants of one day: make the next ones cache hits
         * (a failure only costs speed; the answer is already known) */
        (void)tz_load(tz, d);
    }
    if (day) {
        *day = d;
    }
    if (minute_of_day) {
        *minute_of_day = (int)(s / 60);
    }
    if (second) {
        *second = (int)(s % 60);
    }
    if (utc_offset_s) {
        *utc_offset_s = off;
    }
    return ACDL_OK;
}

int tz_day_fold(struct tz *tz, struct tz_date day, int *lo, int *hi)
{
    int64_t best_lo = DAY_S, best_hi = DAY_S;
    if (!tz || !lo || !hi || !tz_date_valid(day)) {
        return ACDL_EINVAL;
    }
    int rc = tz_load(tz, day);
    if (rc != ACDL_OK) {
        return rc;
    }
    /* every pair of segments whose wall-clock ranges overlap within the day */
    for (int i = 0; i < tz->nseg; i++) {
        for (int j = i + 1; j < tz->nseg; j++) {
            int64_t a = tz->seg[i].from + tz->seg[i].off, b = seg_end(tz, i) + tz->seg[i].off;
            int64_t c = tz->seg[j].from + tz->seg[j].off, d = seg_end(tz, j) + tz->seg[j].off;
            int64_t l = (a > c ? a : c) - tz->base, h = (b < d ? b : d) - tz->base;
            if (l < 0) {
                l = 0;
            }
            if (h > DAY_S) {
                h = DAY_S;
            }
            if (l < h && l < best_lo) {
                best_lo = l;
                best_hi = h;
            }
        }
    }
    if (best_lo >= DAY_S) {
        best_lo = best_hi = 0;
    }
    *lo = (int)best_lo;
    *hi = (int)best_hi;
    return ACDL_OK;
}

/* --- reading rows in order --- */

void tz_sequencer_init(struct tz_sequencer *s, struct tz *tz, struct tz_date day)
{
    memset(s, 0, sizeof(*s));
    s->tz = tz;
    s->day = day;
}

int tz_sequencer_next(struct tz_sequencer *s, int minute_of_day, int second, int64_t *out)
{
    int64_t sec, early = 0, late = 0;
    int nsol, flo = 0, fhi = 0;
    if (!s || !out) {
        return ACDL_EINVAL;
    }
    int rc = prepare(s->tz, s->day, minute_of_day, second, &sec);
    if (rc != ACDL_OK) {
        return rc;
    }
    solve(s->tz, sec, &nsol, &early, &late, &flo, &fhi);
    if (nsol == 0) {
        return ACDL_EINVAL;
    }
    if (nsol == 1) {
        *out = early;
    } else if (s->later_lo < s->later_hi && sec >= s->later_lo && sec < s->later_hi) {
        *out = late; /* the clock already went backwards in this fold */
    } else if (s->has_prev && sec < s->prev_sec) {
        s->later_lo = flo;
        s->later_hi = fhi;
        *out = late;
    } else {
        *out = early;
    }
    s->has_prev = 1;
    s->prev_sec = (int)sec;
    return ACDL_OK;
}
