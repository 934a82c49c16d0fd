/* staged.c: the compact per-day blob of staged values and its SQL functions (see staged.h). */
#include "store/staged.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define BLOB_VERSION 1

/* --- a growable byte buffer --- */

struct buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
};

static void buf_need(struct buf *b, size_t more)
{
    if (b->oom || b->n + more <= b->cap) {
        return;
    }
    size_t ncap = b->cap ? b->cap * 2 : 1024;
    while (ncap < b->n + more) {
        ncap *= 2;
    }
    uint8_t *np = realloc(b->p, ncap);
    if (!np) {
        b->oom = 1;
        return;
    }
    b->p = np;
    b->cap = ncap;
}

static void put_varint(struct buf *b, uint64_t v)
{
    buf_need(b, 10);
    if (b->oom) {
        return;
    }
    while (v >= 0x80) {
        b->p[b->n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (uint8_t)v;
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Integers up to 2^52 in magnitude fit the tags with room to spare (zz << 2 < 2^63). */
#define EXACT_MAX 4503599627370496.0

static double absd(double v)
{
    return v < 0 ? -v : v;
}

static void put_value(struct buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int negative_zero = v == 0 && (bits >> 63);
    /* (no libm: integer casts are exact below EXACT_MAX) */
    if (!negative_zero && absd(v) < EXACT_MAX && v == (double)(int64_t)v) {
        put_varint(b, zz((int64_t)v) << 2);
        return;
    }
    static const double scale[] = {10.0, 100.0};
    for (int k = 0; k < 2 && !negative_zero; k++) {
        double s = v * scale[k];
        if (absd(s) < EXACT_MAX) {
            int64_t r = (int64_t)(s + (s >= 0 ? 0.5 : -0.5));
            if ((double)r / scale[k] == v) {
                put_varint(b, (zz(r) << 2) | (uint64_t)(k + 1));
                return;
            }
        }
    }
    put_varint(b, 3);
    buf_need(b, 8);
    if (b->oom) {
        return;
    }
    for (int i = 0; i < 8; i++) {
        b->p[b->n++] = (uint8_t)(bits >> (8 * i));
    }
}

/* --- reading --- */

struct rd {
    const uint8_t *p, *end;
};

static int get_varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            return ACDL_EINVAL;
        }
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return ACDL_OK;
        }
    }
    return ACDL_EINVAL;
}

static int get_value(struct rd *r, double *out)
{
    uint64_t u;
    if (get_varint(r, &u) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    unsigned tag = (unsigned)(u & 3);
    if (tag == 3) {
        if (u != 3 || r->end - r->p < 8) {
            return ACDL_EINVAL;
        }
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) {
            bits |= (uint64_t)r->p[i] << (8 * i);
        }
        r->p += 8;
        memcpy(out, &bits, sizeof(*out));
        return ACDL_OK;
    }
    double m = (double)unzz(u >> 2);
    *out = tag == 0 ? m : m / (tag == 1 ? 10.0 : 100.0);
    return ACDL_OK;
}

struct header {
    int64_t base;
    int step, nslots;
    uint64_t nmetrics;
};

static int get_header(struct rd *r, struct header *h)
{
    uint64_t u;
    if (r->p >= r->end || *r->p++ != BLOB_VERSION) {
        return ACDL_EINVAL;
    }
    if (get_varint(r, &u) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    h->base = unzz(u);
    /* instants of years 0001..9999 (and room for a day's slots), so base + i * step fits */
    if (h->base < -62200000000LL || h->base > 253500000000LL) {
        return ACDL_EINVAL;
    }
    if (get_varint(r, &u) != ACDL_OK || u < 1 || u > 86400) {
        return ACDL_EINVAL;
    }
    h->step = (int)u;
    if (get_varint(r, &u) != ACDL_OK || u < 1 || u > STAGED_MAX_SLOTS) {
        return ACDL_EINVAL;
    }
    h->nslots = (int)u;
    if (get_varint(r, &h->nmetrics) != ACDL_OK || h->nmetrics > (uint64_t)(r->end - r->p)) {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

/* One metric section: its id, bitmap and the reader positioned at its values; *next is where
 * the following section starts. */
struct section {
    int64_t metric;
    const uint8_t *bitmap;
    struct rd values;
};

static int get_section(struct rd *r, const struct header *h, int64_t prev, struct section *s)
{
    uint64_t id, len;
    if (get_varint(r, &id) != ACDL_OK || id > INT64_MAX || (prev >= 0 && (int64_t)id <= prev) ||
        get_varint(r, &len) != ACDL_OK || len > (uint64_t)(r->end - r->p)) {
        return ACDL_EINVAL;
    }
    size_t nb = ((size_t)h->nslots + 7) / 8;
    if (len < nb) {
        return ACDL_EINVAL;
    }
    s->metric = (int64_t)id;
    s->bitmap = r->p;
    if (h->nslots % 8 && (s->bitmap[nb - 1] >> (h->nslots % 8)) != 0) {
        return ACDL_EINVAL; /* spare bits must be 0 */
    }
    s->values.p = r->p + nb;
    s->values.end = r->p + len;
    r->p += len;
    return ACDL_OK;
}

static int bit(const uint8_t *bitmap, int i)
{
    return (bitmap[i / 8] >> (i % 8)) & 1;
}

/* --- struct staged_day --- */

void staged_day_clear(struct staged_day *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->s[i]);
    }
    free(d->s);
    memset(d, 0, sizeof(*d));
}

void staged_day_reset(struct staged_day *d, int64_t base, int step, int nslots)
{
    for (int i = 0; i < d->n; i++) {
        free(d->s[i]);
    }
    d->n = 0;
    d->base = base;
    d->step = step;
    d->nslots = nslots;
}

struct staged_series *staged_day_series(struct staged_day *d, int64_t metric, int create)
{
    int lo = 0, hi = d->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (d->s[mid]->metric == metric) {
            return d->s[mid];
        }
        if (d->s[mid]->metric < metric) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (!create) {
        return NULL;
    }
    if (d->n == d->cap) {
        int ncap = d->cap ? d->cap * 2 : 8;
        struct staged_series **ns = realloc(d->s, (size_t)ncap * sizeof(*ns));
        if (!ns) {
            return NULL;
        }
        d->s = ns;
        d->cap = ncap;
    }
    struct staged_series *s = malloc(sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->metric = metric;
    memset(s->has, 0, sizeof(s->has));
    memmove(&d->s[lo + 1], &d->s[lo], (size_t)(d->n - lo) * sizeof(*d->s));
    d->s[lo] = s;
    d->n++;
    return s;
}

int staged_day_decode(struct staged_day *d, const void *blob, size_t n)
{
    struct rd r = {blob, (const uint8_t *)blob + n};
    struct header h;
    if (!blob || get_header(&r, &h) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    staged_day_reset(d, h.base, h.step, h.nslots);
    int64_t prev = -1;
    uint64_t sections = 0;
    while (r.p < r.end) {
        sections++;
        struct section sec;
        if (get_section(&r, &h, prev, &sec) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        prev = sec.metric;
        struct staged_series *s = staged_day_series(d, sec.metric, 1);
        if (!s) {
            return ACDL_ENOMEM;
        }
        for (int i = 0; i < h.nslots; i++) {
            if (bit(sec.bitmap, i)) {
                if (get_value(&sec.values, &s->v[i]) != ACDL_OK) {
                    return ACDL_EINVAL;
                }
                s->has[i] = 1;
            }
        }
        if (sec.values.p != sec.values.end) {
            return ACDL_EINVAL;
        }
    }
    return sections == h.nmetrics ? ACDL_OK : ACDL_EINVAL;
}

int staged_day_encode(const struct staged_day *d, uint8_t **out, size_t *n)
{
    struct buf b = {0};
    struct buf sec = {0};
    size_t nb = ((size_t)d->nslots + 7) / 8;
    buf_need(&b, 1);
    if (!b.oom) {
        b.p[b.n++] = BLOB_VERSION;
    }
    put_varint(&b, zz(d->base));
    put_varint(&b, (uint64_t)d->step);
    put_varint(&b, (uint64_t)d->nslots);
    uint64_t nmetrics = 0;
    for (int k = 0; k < d->n; k++) {
        for (int i = 0; i < d->nslots; i++) {
            if (d->s[k]->has[i]) {
                nmetrics++;
                break;
            }
        }
    }
    put_varint(&b, nmetrics);
    for (int k = 0; k < d->n; k++) {
        const struct staged_series *s = d->s[k];
        sec.n = 0;
        buf_need(&sec, nb);
        if (sec.oom) {
            break;
        }
        memset(sec.p, 0, nb);
        sec.n = nb;
        int any = 0;
        for (int i = 0; i < d->nslots; i++) {
            if (s->has[i]) {
                sec.p[i / 8] |= (uint8_t)(1u << (i % 8));
                put_value(&sec, s->v[i]);
                any = 1;
            }
        }
        if (!any) {
            continue;
        }
        put_varint(&b, (uint64_t)s->metric);
        put_varint(&b, sec.n);
        buf_need(&b, sec.n);
        if (!b.oom && !sec.oom) {
            memcpy(b.p + b.n, sec.p, sec.n);
            b.n += sec.n;
        }
    }
    int oom = b.oom || sec.oom;
    free(sec.p);
    if (oom) {
        free(b.p);
        return ACDL_ENOMEM;
    }
    if (b.cap > b.n) {
        /* the buffer doubled past the blob (a 1.3 KB day took 2 KB): the rest goes back, since
         * a streamed run holds a day's blobs until they are written aside */
        uint8_t *fit = realloc(b.p, b.n ? b.n : 1);
        b.p = fit ? fit : b.p;
    }
    *out = b.p;
    *n = b.n;
    return ACDL_OK;
}

int staged_day_merge(struct staged_day *d, const struct staged_day *from, int add,
                     int64_t *overlaps)
{
    if (d->base != from->base || d->step != from->step || d->nslots != from->nslots) {
        staged_day_reset(d, from->base, from->step, from->nslots);
        add = 0;
    }
    for (int k = 0; k < from->n; k++) {
        const struct staged_series *f = from->s[k];
        struct staged_series *s = staged_day_series(d, f->metric, 1);
        if (!s) {
            return ACDL_ENOMEM;
        }
        for (int i = 0; i < d->nslots; i++) {
            if (!f->has[i]) {
                continue;
            }
            if (add && s->has[i]) {
                s->v[i] += f->v[i];
                if (overlaps) {
                    (*overlaps)++;
                }
            } else {
                s->v[i] = f->v[i];
            }
            s->has[i] = 1;
        }
    }
    return ACDL_OK;
}

int staged_blob_values(const void *blob, size_t n, int64_t metric_id,
                       int (*fn)(void *ctx, int64_t utc, double value), void *ctx)
{
    struct rd r = {blob, (const uint8_t *)blob + n};
    struct header h;
    if (!blob || get_header(&r, &h) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    int64_t prev = -1;
    while (r.p < r.end) {
        struct section sec;
        if (get_section(&r, &h, prev, &sec) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        prev = sec.metric;
        if (sec.metric < metric_id) {
            continue;
        }
        if (sec.metric > metric_id) {
            break;
        }
        for (int i = 0; i < h.nslots; i++) {
            double v;
            if (!bit(sec.bitmap, i)) {
                continue;
            }
            if (get_value(&sec.values, &v) != ACDL_OK) {
                return ACDL_EINVAL;
            }
            int rc = fn(ctx, h.base + (int64_t)i * h.step, v);
            if (rc != 0) {
                return rc;
            }
        }
        break;
    }
    return ACDL_OK;
}

int staged_blob_metrics(const void *blob, size_t n, int64_t *ids, int max, int *count)
{
    struct rd r = {blob, (const uint8_t *)blob + n};
    struct header h;
    *count = 0;
    if (!blob || get_header(&r, &h) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    int64_t prev = -1;
    while (r.p < r.end) {
        struct section sec;
        if (get_section(&r, &h, prev, &sec) != ACDL_OK) {
            return ACDL_EINVAL;
        }
        prev = sec.metric;
        if (*count < max) {
            ids[*count] = sec.metric;
        }
        (*count)++;
    }
    return (uint64_t)*count == h.nmetrics ? ACDL_OK : ACDL_EINVAL;
}

/* --- SQL functions --- */

static void fn_merge(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct staged_day a = {0}, b = {0};
    uint8_t *out = NULL;
    size_t n = 0;
    (void)argc;
    const void *nb = sqlite3_value_blob(argv[1]);
    int nn = sqlite3_value_bytes(argv[1]);
    if (staged_day_decode(&b, nb, (size_t)nn) != ACDL_OK) {
        sqlite3_result_error(cx, "acdl_staged_merge: the new value is not a staged day", -1);
        goto out;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
        staged_day_decode(&a, sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0])) !=
            ACDL_OK) {
        /* nothing (usable) before: the new day as it is */
        sqlite3_result_value(cx, argv[1]);
        goto out;
    }
    if (staged_day_merge(&a, &b, 0, NULL) != ACDL_OK ||
        staged_day_encode(&a, &out, &n) != ACDL_OK) {
        sqlite3_result_error_nomem(cx);
        goto out;
    }
    sqlite3_result_blob64(cx, out, n, free);
    out = NULL;
out:
    free(out);
    staged_day_clear(&a);
    staged_day_clear(&b);
}

struct pack {
    int init, failed;
    struct staged_day d;
    int64_t start, end; /* the day's bounds */
    int64_t starts[TZ_DAY_INTERVALS_MAX];
};

static void fn_pack_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct pack **pp = sqlite3_aggregate_context(cx, sizeof(*pp));
    (void)argc;
    if (!pp) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    if (!*pp) {
        *pp = calloc(1, sizeof(**pp));
        if (!*pp) {
            sqlite3_result_error_nomem(cx);
            return;
        }
    }
    struct pack *p = *pp;
    if (p->failed) {
        return;
    }
    int64_t utc = sqlite3_value_int64(argv[3]);
    if (!p->init) {
        struct tz *tz = NULL;
        struct tz_date day;
        int n = 0, minutes = sqlite3_value_int(argv[1]);
        const char *zone = (const char *)sqlite3_value_text(argv[0]);
        const char *ds = (const char *)sqlite3_value_text(argv[2]);
        if (!zone || !ds || tz_date_parse(ds, &day) != ACDL_OK || tz_open(zone, &tz) != ACDL_OK ||
            tz_day_bounds(tz, day, &p->start, &p->end) != ACDL_OK) {
            tz_close(tz);
            p->failed = 1;
            return;
        }
        if (tz_day_intervals(tz, day, minutes, p->starts, TZ_DAY_INTERVALS_MAX, &n) != ACDL_OK ||
            n < 1) {
            n = 0;
        }
        tz_close(tz);
        int step = minutes * 60;
        if (n == 0) {
            step = 900;
            n = (int)((p->end - p->start + step - 1) / step);
        }
        if (n < 1 || n > STAGED_MAX_SLOTS) {
            p->failed = 1;
            return;
        }
        staged_day_reset(&p->d, p->start, step, n);
        p->init = 1;
    }
    if (utc < p->start || utc >= p->end) {
        return;
    }
    if ((utc - p->d.base) % p->d.step != 0 && p->d.step != 900) {
        /* off the configured grid: the day was staged with another interval length; every
         * interval start lies on the day's quarter-hours */
        struct staged_day q = {0};
        int n = (int)((p->end - p->start + 899) / 900);
        staged_day_reset(&q, p->start, 900, n > STAGED_MAX_SLOTS ? STAGED_MAX_SLOTS : n);
        for (int k = 0; k < p->d.n; k++) {
            struct staged_series *from = p->d.s[k];
            struct staged_series *to = staged_day_series(&q, from->metric, 1);
            if (!to) {
                p->failed = 1;
                staged_day_clear(&q);
                return;
            }
            for (int i = 0; i < p->d.nslots; i++) {
                int j = (int)(((int64_t)i * p->d.step) / 900);
                if (from->has[i] && j < q.nslots) {
                    to->v[j] = from->v[i];
                    to->has[j] = 1;
                }
            }
        }
        staged_day_clear(&p->d);
        p->d = q;
    }
    int64_t off = utc - p->d.base;
    if (off % p->d.step != 0 || off / p->d.step >= p->d.nslots) {
        return;
    }
    struct staged_series *s = staged_day_series(&p->d, sqlite3_value_int64(argv[4]), 1);
    if (!s) {
        p->failed = 1;
        return;
    }
    int i = (int)(off / p->d.step);
    s->v[i] = sqlite3_value_double(argv[5]);
    s->has[i] = 1;
}

static void fn_pack_final(sqlite3_context *cx)
{
    struct pack **pp = sqlite3_aggregate_context(cx, 0);
    struct pack *p = pp ? *pp : NULL;
    uint8_t *out = NULL;
    size_t n = 0;
    if (!p || p->failed || !p->init) {
        sqlite3_result_null(cx);
    } else if (staged_day_encode(&p->d, &out, &n) != ACDL_OK) {
        sqlite3_result_error_nomem(cx);
    } else {
        sqlite3_result_blob64(cx, out, n, free);
    }
    if (p) {
        staged_day_clear(&p->d);
        free(p);
    }
}

int staged_register(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
    if (sqlite3_create_function(db, "acdl_staged_merge", 2, flags, NULL, fn_merge, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_create_function(db, "acdl_staged_pack", 6, flags, NULL, NULL, fn_pack_step,
                                fn_pack_final) != SQLITE_OK) {
        return ACDL_EDB;
    }
    return ACDL_OK;
}
