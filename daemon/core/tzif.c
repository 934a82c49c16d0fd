/* tzif.c: parser and offset queries for TZif files and their POSIX TZ footer (see tzif.h).
 *
 * Design note. A zone is its table of transitions (instant, type) plus at most one rule, the
 * footer, for every instant after the last transition. The rule's yearly DST start and end are
 * computed on demand for the few years around the asked instant; nothing is expanded ahead, so
 * a query far in the future costs the same as one today. */
#include "core/tzif.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"

#define HEADER_LEN 44
#define TIMECNT_MAX 65536
#define TYPECNT_MAX 256
#define CHARCNT_MAX 65536
#define FOOTER_MAX 255
#define UTOFF_MIN (-89999)
#define UTOFF_MAX 93599

/* One yearly date of a POSIX TZ rule and its local time of day (seconds). */
struct rule_date {
    char kind; /* 'J': day n of 1..365 without Feb 29; 'N': day n of 0..365; 'M': m.w.d */
    int n, m, w, d;
    int32_t time;
};

/* The footer: std_off all year, or DST (dst_off) from start to end every year. */
struct rule {
    int present;
    int32_t std_off, dst_off; /* east positive */
    int has_dst;
    struct rule_date start, end;
};

struct tzif {
    int timecnt;
    int64_t *at;          /* transition instants, ascending */
    unsigned char *which; /* type index of each transition */
    int typecnt;
    int32_t *utoff; /* per type */
    struct rule rule;
};

/* --- reading --- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* --- POSIX TZ strings --- */

/* A zone abbreviation: <...> of [A-Za-z0-9+-] or [A-Za-z]+, at least 3 characters. */
static const char *parse_name(const char *s)
{
    const char *p = s;
    if (*p == '<') {
        for (p++; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-';
             p++) {
        }
        return *p == '>' && p - s >= 4 ? p + 1 : NULL;
    }
    for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++) {
    }
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh 0..max_h into *out (seconds, sign applied). */
static const char *parse_hms(const char *s, int max_h, int32_t *out)
{
    int sign = 1, v[3] = {0, 0, 0};
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (*s != ':') {
                break;
            }
            s++;
        }
        int digits = 0;
        for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++) {
            v[k] = v[k] * 10 + (*s - '0');
        }
        if (digits == 0 || (k > 0 && (digits != 2 || v[k] > 59))) {
            return NULL;
        }
    }
    if (v[0] > max_h) {
        return NULL;
    }
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return s;
}

/* A decimal number of at most 3 digits within lo..hi. */
static const char *parse_num(const char *s, int lo, int hi, int *out)
{
    int v = 0, digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++) {
        v = v * 10 + (*s - '0');
    }
    if (digits == 0 || v < lo || v > hi) {
        return NULL;
    }
    *out = v;
    return s;
}

static const char *parse_date(const char *s, struct rule_date *r)
{
    r->time = 7200; /* 02:00 unless given */
    if (*s == 'M') {
        r->kind = 'M';
        s = parse_num(s + 1, 1, 12, &r->m);
        s = s && *s == '.' ? parse_num(s + 1, 1, 5, &r->w) : NULL;
        s = s && *s == '.' ? parse_num(s + 1, 0, 6, &r->d) : NULL;
    } else if (*s == 'J') {
        r->kind = 'J';
        s = parse_num(s + 1, 1, 365, &r->n);
    } else {
        r->kind = 'N';
        s = parse_num(s, 0, 365, &r->n);
    }
    if (s && *s == '/') {
        s = parse_hms(s + 1, 167, &r->time);
    }
    return s;
}

/* Parses a whole POSIX TZ string (the footer's text, without its newlines). */
static int parse_rule(const char *s, struct rule *r)
{
    int32_t off;
    memset(r, 0, sizeof(*r));
    if (!(s = parse_name(s)) || !(s = parse_hms(s, 24, &off))) {
        return ACDL_EINVAL;
    }
    r->present = 1;
    r->std_off = -off; /* POSIX counts west positive */
    r->dst_off = r->std_off;
    if (*s == '\0') {
        return ACDL_OK;
    }
    if (!(s = parse_name(s))) {
        return ACDL_EINVAL;
    }
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*s != ',' && *s != '\0') {
        if (!(s = parse_hms(s, 24, &off))) {
            return ACDL_EINVAL;
        }
        r->dst_off = -off;
    }
    if (*s == '\0') { /* no rule given: POSIX leaves it to the implementation; the US one */
        r->start = (struct rule_date){'M', 0, 3, 2, 0, 7200};
        r->end = (struct rule_date){'M', 0, 11, 1, 0, 7200};
        return ACDL_OK;
    }
    if (*s != ',' || !(s = parse_date(s + 1, &r->start)) || *s != ',' ||
        !(s = parse_date(s + 1, &r->end)) || *s != '\0') {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

/* --- the rule's instants --- */

/* Days since 1970-01-01 of the rule date in year y (1..9999). */
static int64_t rule_day(const struct rule_date *r, int y)
{
    static const struct tz_date epoch = {1970, 1, 1};
    struct tz_date jan1 = {y, 1, 1};
    int64_t d0 = tz_date_diff(jan1, epoch);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (r->kind == 'J') {
        return d0 + r->n - 1 + (leap && r->n >= 60);
    }
    if (r->kind == 'N') {
        return d0 + r->n;
    }
    struct tz_date first = {y, r->m, 1};
    int64_t fd = tz_date_diff(first, epoch);
    int wd = tz_date_weekday(first) % 7; /* Sunday 0 */
    int64_t day = fd + (r->d - wd + 7) % 7 + 7 * (r->w - 1);
    struct tz_date next = first;
    tz_date_add_days(&next, 31);
    next.d = 1;
    int64_t month_end = tz_date_diff(next, epoch); /* the next month's first day */
    while (day >= month_end) {
        day -= 7; /* "the last d of the month" */
    }
    return day;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The year (clamped to 3..9996, so that y - 2 .. y + 3 stay valid dates) that instant t lies in. */
static int year_near(int64_t t)
{
    int64_t days = floor_div(t, 86400);
    int64_t y = 1970 + floor_div(days * 400, 146097);
    return (int)(y < 3 ? 3 : y > 9996 ? 9996 : y);
}

/* DST start and end instants (UTC) of year y. */
static void rule_events(const struct rule *r, int y, int64_t *start, int64_t *end)
{
    *start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    *end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
}

static int32_t rule_offset(const struct rule *r, int64_t t)
{
    int64_t best = INT64_MIN;
    int dst = 0;
    if (!r->has_dst) {
        return r->std_off;
    }
    int y0 = year_near(t);
    for (int y = y0 - 2; y <= y0 + 1; y++) {
        int64_t s, e;
        rule_events(r, y, &s, &e);
        if (e <= t && e > best) {
            best = e;
            dst = 0;
        }
        if (s <= t && s >= best) { /* a start at the instant of an end: DST all year */
            best = s;
            dst = 1;
        }
    }
    return dst ? r->dst_off : r->std_off;
}

static int rule_next(const struct rule *r, int64_t t, int64_t *next)
{
    int64_t best = INT64_MAX;
    if (!r->has_dst) {
        return 0;
    }
    int y0 = year_near(t);
    for (int y = y0 - 1; y <= y0 + 2; y++) {
        int64_t s, e;
        rule_events(r, y, &s, &e);
        if (s > t && s < best) {
            best = s;
        }
        if (e > t && e < best) {
            best = e;
        }
    }
    *next = best;
    return best != INT64_MAX;
}

/* --- the file --- */

struct counts {
    uint32_t isut, isstd, leap, time, type, chr;
};

static int read_header(const unsigned char *p, size_t left, struct counts *c, const char **err)
{
    if (left < HEADER_LEN || memcmp(p, "TZif", 4) != 0) {
        *err = "not a TZif file (no \"TZif\" header)";
        return ACDL_EINVAL;
    }
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chr = be32(p + 40);
    if (c->type == 0 || c->type > TYPECNT_MAX || c->time > TIMECNT_MAX || c->chr > CHARCNT_MAX ||
        (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type)) {
        *err = "TZif counts out of range";
        return ACDL_EINVAL;
    }
    if (c->leap != 0) {
        *err = "TZif file with leap seconds (not UTC seconds)";
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

/* Size of a data block whose times are tsize bytes. */
static size_t block_len(const struct counts *c, size_t tsize)
{
    return (size_t)c->time * (tsize + 1) + (size_t)c->type * 6 + c->chr +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

/* Reads the data block at p (times of tsize bytes) into z. */
static int read_block(const unsigned char *p, const struct counts *c, size_t tsize, struct tzif *z,
                      const char **err)
{
    z->timecnt = (int)c->time;
    z->typecnt = (int)c->type;
    z->at = malloc(sizeof(*z->at) * (c->time ? c->time : 1));
    z->which = malloc(c->time ? c->time : 1);
    z->utoff = malloc(sizeof(*z->utoff) * c->type);
    if (!z->at || !z->which || !z->utoff) {
        return ACDL_ENOMEM;
    }
    for (uint32_t i = 0; i < c->time; i++) {
        const unsigned char *q = p + (size_t)i * tsize;
        z->at[i] = tsize == 8 ? be64(q) : (int64_t)(int32_t)be32(q);
        if (i > 0 && z->at[i] <= z->at[i - 1]) {
            *err = "TZif transition times not ascending";
            return ACDL_EINVAL;
        }
    }
    p += (size_t)c->time * tsize;
    for (uint32_t i = 0; i < c->time; i++) {
        z->which[i] = p[i];
        if (p[i] >= c->type) {
            *err = "TZif transition names an unknown type";
            return ACDL_EINVAL;
        }
    }
    p += c->time;
    for (uint32_t i = 0; i < c->type; i++, p += 6) {
        int32_t off = (int32_t)be32(p);
        if (off < UTOFF_MIN || off > UTOFF_MAX || p[4] > 1 || (c->chr && p[5] >= c->chr)) {
            *err = "TZif time type out of range";
            return ACDL_EINVAL;
        }
        z->utoff[i] = off;
    }
    return ACDL_OK;
}

int tzif_parse(const unsigned char *buf, size_t len, struct tzif **out, const char **err)
{
    const char *why = "malformed TZif file";
    struct counts c;
    struct tzif *z = NULL;
    int rc = ACDL_EINVAL;
    if (!err) {
        err = &why;
    }
    *err = why;
    if (!buf || !out || len > TZIF_FILE_MAX) {
        *err = "TZif file missing or too large";
        goto out;
    }
    *out = NULL;
    if ((rc = read_header(buf, len, &c, err)) != ACDL_OK) {
        goto out;
    }
    rc = ACDL_EINVAL;
    size_t pos = HEADER_LEN, v1 = block_len(&c, 4);
    if (v1 > len - pos) {
        *err = "TZif file cut short";
        goto out;
    }
    z = calloc(1, sizeof(*z));
    if (!z) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    if (buf[4] == '\0') { /* version 1: 32-bit times, no footer */
        rc = read_block(buf + pos, &c, 4, z, err);
        goto out;
    }
    if (buf[4] < '2' || buf[4] > '4') {
        *err = "unknown TZif version";
        goto out;
    }
    pos += v1;
    if ((rc = read_header(buf + pos, len - pos, &c, err)) != ACDL_OK) {
        goto out;
    }
    rc = ACDL_EINVAL;
    pos += HEADER_LEN;
    size_t v2 = block_len(&c, 8);
    if (v2 > len - pos) {
        *err = "TZif file cut short";
        goto out;
    }
    if ((rc = read_block(buf + pos, &c, 8, z, err)) != ACDL_OK) {
        goto out;
    }
    rc = ACDL_EINVAL;
    pos += v2;
    /* the footer: "\n" TZ-string "\n" */
    char footer[FOOTER_MAX + 1];
    size_t flen = 0;
    if (pos >= len || buf[pos] != '\n') {
        *err = "TZif footer missing";
        goto out;
    }
    for (pos++; pos < len && buf[pos] != '\n'; pos++) {
        if (flen == FOOTER_MAX || buf[pos] == '\0') {
            *err = "TZif footer too long or not text";
            goto out;
        }
        footer[flen++] = (char)buf[pos];
    }
    footer[flen] = '\0';
    if (pos >= len) {
        *err = "TZif footer not terminated";
        goto out;
    }
    if (flen > 0 && parse_rule(footer, &z->rule) != ACDL_OK) {
        *err = "TZif footer is not a valid POSIX TZ string";
        goto out;
    }
    rc = ACDL_OK;
out:
    if (rc == ACDL_OK) {
        *out = z;
        *err = NULL;
    } else {
        tzif_free(z);
    }
    return rc;
}

void tzif_free(struct tzif *z)
{
    if (!z) {
        return;
    }
    free(z->at);
    free(z->which);
    free(z->utoff);
    free(z);
}

/* Index of the last transition at or before t, or -1. */
static int last_at_or_before(const struct tzif *z, int64_t t)
{
    int lo = 0, hi = z->timecnt; /* answer in [lo - 1, hi - 1] */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo - 1;
}

int32_t tzif_offset(const struct tzif *z, int64_t t)
{
    if (z->timecnt == 0) {
        return z->rule.present ? rule_offset(&z->rule, t) : z->utoff[0];
    }
    int i = last_at_or_before(z, t);
    if (i < 0) {
        return z->utoff[0]; /* before the first transition: type 0 (RFC 8536) */
    }
    if (i == z->timecnt - 1 && z->rule.present) {
        return rule_offset(&z->rule, t);
    }
    return z->utoff[z->which[i]];
}

int tzif_next(const struct tzif *z, int64_t t, int64_t *next)
{
    int i = last_at_or_before(z, t);
    if (i + 1 < z->timecnt) {
        *next = z->at[i + 1];
        return 1;
    }
    return z->rule.present ? rule_next(&z->rule, t, next) : 0;
}
