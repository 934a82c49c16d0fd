/* staging.c: accumulating, spilling and staging one import's values (see staging.h). */
#include "pipeline/staging.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datetime.h"
#include "core/err.h"
#include "core/log.h"
#include "pipeline/staging_switch.h"
#include "platform/platform.h"
#include "store/staged.h"

/* Bytes of accumulated grids held before a spill (2,000 queues x 96 slots x 6 metrics of one
 * day take ~10 MB). */
#define GRID_BUDGET (48 * 1024 * 1024)
#define MAX_METRICS 1024
#define METRIC_WORDS (MAX_METRICS / 64)

/* An external queue. What a row looks at comes first (one cache line): ids of up to
 * QID_INLINE - 1 bytes are kept inline, and the accumulator of the queue's latest day. */
#define QID_INLINE 24
struct squeue {
    uint32_t hash;
    int acc; /* index into acc of the queue's last accumulator (check its queue and day) */
    size_t len;
    char idbuf[QID_INLINE]; /* the id when len < QID_INLINE, NUL-terminated */
    char *idp;              /* else the id (owned) */
    char *name;
    int64_t db_id;
    uint64_t metrics[METRIC_WORDS]; /* run-local metrics that got a value */
};

static const char *qid(const struct squeue *q)
{
    return q->len < QID_INLINE ? q->idbuf : q->idp;
}

struct smetric {
    int64_t id;
    char name[65];
};

/* One queue and day in memory: a grid slot-major, so that the metrics of one row (which
 * arrive together) share a cache line or two: per slot nm values (8 bytes each, read and
 * written with memcpy: a slot's start is not aligned), then nm counts (how many rows gave the
 * value, saturating at 2). */
struct acc {
    int64_t dayno;
    struct tz_date day;
    int queue;
    int64_t base;
    int step, nslots;
    int nm;              /* metrics per slot */
    unsigned char *grid; /* nslots x grid_stride(nm) bytes */
};

static size_t grid_stride(int nm)
{
    return (size_t)nm * (sizeof(double) + 1);
}

/* The bytes of slot's first value. */
static unsigned char *grid_v(const struct acc *a, int slot)
{
    return a->grid + (size_t)slot * grid_stride(a->nm);
}

static double cell_get(const unsigned char *p)
{
    double v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void cell_put(unsigned char *p, double v)
{
    memcpy(p, &v, sizeof(v));
}

static uint8_t *grid_has(const struct acc *a, int slot)
{
    return a->grid + (size_t)slot * grid_stride(a->nm) + (size_t)a->nm * sizeof(double);
}

/* Streaming (staging_stream()): where the run's switch stands. */
enum { STREAM_NO_SWITCH = 0, STREAM_SWITCH_OPEN, STREAM_SWITCH_DONE };

struct staging {
    struct store_conn *c;
    int64_t source_id, run_id;
    struct squeue *q;
    int nq, qcap;
    int *qhash; /* open addressing: index into q, -1 empty */
    int last_q;
    int qhcap;
    struct smetric *mt;
    int nm, mcap;
    struct acc *acc;
    int nacc, acccap;
    int *ahash;
    int ahcap;
    int64_t grid_bytes;
    struct acc *last; /* the accumulator of the last value (rows give several) */
    int64_t overlaps;

    /* streaming: whole days go to staging_pending as the next day begins */
    int stream;       /* 1 while days are streamed (off, or fallen back: 0) */
    int lean;         /* staging_stream_lean(): new grids first encode a day in flight */
    int switch_state; /* STREAM_* */
    char stream_from[11], stream_to[11];
    struct tz_date stream_day; /* the latest day so far */
    int have_stream_day;
    int64_t streamed; /* days (of one queue) written to staging_pending */
    int fallback;     /* why streaming stopped (staging_stream_fallback()) */
    struct tz_date fb_day, fb_after;
    struct enc *enc; /* finished days being encoded by a thread of their own (or NULL) */
};

/* Makes room for one more element in the array whose pointer is at arrp (n used of *cap,
 * elem bytes each), doubling from first. The pointer is copied, not cast, so any element type
 * fits. Returns 0 or ACDL_ENOMEM (then the array is unchanged). */
static int array_room(void *arrp, int n, int *cap, size_t elem, int first)
{
    void *arr, *na;
    if (n < *cap) {
        return ACDL_OK;
    }
    int ncap = *cap ? *cap * 2 : first;
    memcpy(&arr, arrp, sizeof(arr));
    na = realloc(arr, (size_t)ncap * elem);
    if (!na) {
        return ACDL_ENOMEM;
    }
    memcpy(arrp, &na, sizeof(na));
    *cap = ncap;
    return ACDL_OK;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    return h;
}

static uint32_t hash_key(int64_t dayno, int queue)
{
    uint64_t x = (uint64_t)dayno * 0x9E3779B97F4A7C15ull ^ (uint64_t)queue * 0xC2B2AE3D27D4EB4Full;
    return (uint32_t)(x >> 32);
}

/* A fresh open-addressing table of cap (power of 2) slots, all -1. */
static int *table_new(int cap)
{
    int *t = malloc((size_t)cap * sizeof(*t));
    if (t) {
        memset(t, 0xff, (size_t)cap * sizeof(*t));
    }
    return t;
}

int staging_open(struct staging **out, struct store_conn *c, int64_t source_id, int64_t run_id)
{
    struct staging *s = calloc(1, sizeof(*s));
    if (!s) {
        return ACDL_ENOMEM;
    }
    s->c = c;
    s->source_id = source_id;
    s->run_id = run_id;
    s->qhcap = 1024;
    s->last_q = -1;
    s->ahcap = 4096;
    s->qhash = table_new(s->qhcap);
    s->ahash = table_new(s->ahcap);
    if (!s->qhash || !s->ahash) {
        staging_close(s);
        return ACDL_ENOMEM;
    }
    /* keyed (q, day), the order the commit reads them in: keyed (day, q), every slice of
     * the commit sorted the whole table (blobs and all) to find its next 1,000 rows */
    const char *sql = "CREATE TEMP TABLE IF NOT EXISTS staging_days (day TEXT NOT NULL, q INTEGER "
                      "NOT NULL, vals BLOB NOT NULL, PRIMARY KEY (q, day));"
                      "DELETE FROM temp.staging_days;";
    if (sqlite3_exec(store_db(c), sql, NULL, NULL, NULL) != SQLITE_OK) {
        log_error("import", "run %lld: cannot prepare the staging table: %s", (long long)run_id,
                  sqlite3_errmsg(store_db(c)));
        staging_close(s);
        return ACDL_EDB;
    }
    *out = s;
    return ACDL_OK;
}

static void enc_drop(struct staging *s);
static int enc_done(const struct enc *e);
static int enc_finish(struct staging *s);
static void enc_help(struct enc *e);

static void accs_free(struct staging *s)
{
    for (int i = 0; i < s->nacc; i++) {
        free(s->acc[i].grid);
    }
    s->nacc = 0;
    s->grid_bytes = 0;
    if (s->ahash) {
        memset(s->ahash, 0xff, (size_t)s->ahcap * sizeof(*s->ahash));
    }
}

void staging_close(struct staging *s)
{
    if (!s) {
        return;
    }
    enc_drop(s);
    if (s->switch_state == STREAM_SWITCH_OPEN) {
        /* a run that failed or was cancelled while streaming: its days written aside go */
        staging_switch_finish(s->c, s->run_id, 0);
    }
    accs_free(s);
    for (int i = 0; i < s->nq; i++) {
        free(s->q[i].idp);
        free(s->q[i].name);
    }
    free(s->q);
    free(s->qhash);
    free(s->mt);
    free(s->acc);
    free(s->ahash);
    free(s);
}

static int set_name(struct squeue *q, const char *name, size_t namelen)
{
    if (q->name && strlen(q->name) == namelen && !memcmp(q->name, name, namelen)) {
        return ACDL_OK;
    }
    char *copy = malloc(namelen + 1);
    if (!copy) {
        return ACDL_ENOMEM;
    }
    memcpy(copy, name, namelen);
    copy[namelen] = '\0';
    free(q->name);
    q->name = copy;
    return ACDL_OK;
}

static uint32_t queue_hash(const struct staging *s, int i)
{
    return s->q[i].hash;
}

static uint32_t acc_hash(const struct staging *s, int i)
{
    return hash_key(s->acc[i].dayno, s->acc[i].queue);
}

/* Doubles the open-addressing table *t (*cap slots) over n entries hashed by hash(). */
static int table_grow(struct staging *s, int **t, int *cap, int n,
                      uint32_t (*hash)(const struct staging *s, int i))
{
    int ncap = *cap * 2;
    int *nt = table_new(ncap);
    if (!nt) {
        return ACDL_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        uint32_t h = hash(s, i) & (uint32_t)(ncap - 1);
        while (nt[h] >= 0) {
            h = (h + 1) & (uint32_t)(ncap - 1);
        }
        nt[h] = i;
    }
    free(*t);
    *t = nt;
    *cap = ncap;
    return ACDL_OK;
}

static int find_queue(struct staging *s, const char *id, size_t idlen, const char *name,
                      size_t namelen);

int staging_queue(struct staging *s, const char *id, size_t idlen, const char *name, size_t namelen)
{
    /* exports list the queues of every interval in the same order: try the one after the
     * last before hashing */
    int guess = s->last_q + 1;
    if (guess < s->nq && s->q[guess].len == idlen && !memcmp(qid(&s->q[guess]), id, idlen)) {
        if (name && set_name(&s->q[guess], name, namelen) != ACDL_OK) {
            return ACDL_ENOMEM;
        }
        s->last_q = guess;
        return guess;
    }
    int idx = find_queue(s, id, idlen, name, namelen);
    if (idx >= 0) {
        s->last_q = idx;
    }
    return idx;
}

static int find_queue(struct staging *s, const char *id, size_t idlen, const char *name,
                      size_t namelen)
{
    uint32_t hv = hash_bytes(id, idlen);
    uint32_t h = hv & (uint32_t)(s->qhcap - 1);
    while (s->qhash[h] >= 0) {
        struct squeue *q = &s->q[s->qhash[h]];
        if (q->hash == hv && q->len == idlen && !memcmp(qid(q), id, idlen)) {
            if (name && set_name(q, name, namelen) != ACDL_OK) {
                return ACDL_ENOMEM;
            }
            return s->qhash[h];
        }
        h = (h + 1) & (uint32_t)(s->qhcap - 1);
    }
    if (array_room(&s->q, s->nq, &s->qcap, sizeof(*s->q), 256) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    struct squeue *q = &s->q[s->nq];
    memset(q, 0, sizeof(*q));
    q->acc = -1;
    char *copy = q->idbuf;
    if (idlen >= QID_INLINE && !(copy = q->idp = malloc(idlen + 1))) {
        return ACDL_ENOMEM;
    }
    memcpy(copy, id, idlen);
    copy[idlen] = '\0';
    q->len = idlen;
    q->hash = hv;
    if (name && set_name(q, name, namelen) != ACDL_OK) {
        free(q->idp);
        return ACDL_ENOMEM;
    }
    s->qhash[h] = s->nq;
    int idx = s->nq++;
    if (s->nq * 2 > s->qhcap && table_grow(s, &s->qhash, &s->qhcap, s->nq, queue_hash) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    return idx;
}

int staging_metric(struct staging *s, const char *name)
{
    for (int i = 0; i < s->nm; i++) {
        if (!strcmp(s->mt[i].name, name)) {
            return i;
        }
    }
    if (s->nm >= MAX_METRICS) {
        return ACDL_ETOOBIG;
    }
    if (array_room(&s->mt, s->nm, &s->mcap, sizeof(*s->mt), 16) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    int64_t id = -1;
    sqlite3_stmt *st = store_prepare(s->c, "SELECT id FROM metric_names WHERE name = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
    }
    store_done(st);
    if (id < 0) {
        st = store_prepare(s->c, "INSERT INTO metric_names (name) VALUES (?) ON CONFLICT (name) "
                                 "DO UPDATE SET name = excluded.name RETURNING id");
        if (!st) {
            return ACDL_EDB;
        }
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
        }
        store_done(st);
    }
    if (id < 0) {
        return ACDL_EDB;
    }
    s->mt[s->nm].id = id;
    snprintf(s->mt[s->nm].name, sizeof(s->mt[0].name), "%s", name);
    return s->nm++;
}

int64_t staging_overlaps(const struct staging *s)
{
    return s->overlaps;
}

/* (Re)allocates a's grid for nm metrics, keeping its values. */
static int acc_grid(struct staging *s, struct acc *a, int nm)
{
    struct acc b = *a;
    b.nm = nm;
    b.grid = calloc((size_t)a->nslots, grid_stride(nm));
    if (!b.grid) {
        return ACDL_ENOMEM;
    }
    for (int i = 0; i < a->nslots && a->nm > 0; i++) {
        memcpy(grid_v(&b, i), grid_v(a, i), (size_t)a->nm * sizeof(double));
        memcpy(grid_has(&b, i), grid_has(a, i), (size_t)a->nm);
    }
    free(a->grid);
    s->grid_bytes += (int64_t)((size_t)a->nslots * (grid_stride(nm) - grid_stride(a->nm)));
    *a = b;
    return ACDL_OK;
}

static struct acc *acc_get(struct staging *s, struct tz_date day, int64_t base, int step,
                           int nslots, int queue)
{
    int64_t dayno = datetime_days_from_civil(day.y, day.m, day.d);
    uint32_t h = hash_key(dayno, queue) & (uint32_t)(s->ahcap - 1);
    while (s->ahash[h] >= 0) {
        struct acc *a = &s->acc[s->ahash[h]];
        if (a->dayno == dayno && a->queue == queue) {
            return a;
        }
        h = (h + 1) & (uint32_t)(s->ahcap - 1);
    }
    if (array_room(&s->acc, s->nacc, &s->acccap, sizeof(*s->acc), 1024) != ACDL_OK) {
        return NULL;
    }
    struct acc *a = &s->acc[s->nacc];
    memset(a, 0, sizeof(*a));
    a->dayno = dayno;
    a->day = day;
    a->queue = queue;
    a->base = base;
    a->step = step;
    a->nslots = nslots;
    if (s->enc && s->lean) {
        enc_help(s->enc); /* a grid of the batch in flight freed first */
    }
    if (acc_grid(s, a, s->nm) != ACDL_OK) {
        return NULL;
    }
    s->ahash[h] = s->nacc++;
    if (s->nacc * 2 > s->ahcap &&
        table_grow(s, &s->ahash, &s->ahcap, s->nacc, acc_hash) != ACDL_OK) {
        return NULL;
    }
    return a;
}

static int spill_all(struct staging *s);
static int stream_day(struct staging *s, struct tz_date day);
static int stream_overflow(struct staging *s);

int staging_add(struct staging *s, struct tz_date day, int64_t base, int step, int nslots, int slot,
                int queue, int metric, double value)
{
    if (slot < 0 || slot >= nslots || nslots > STAGED_MAX_SLOTS || queue < 0 || queue >= s->nq ||
        metric < 0 || metric >= s->nm) {
        return ACDL_EINVAL;
    }
    if (s->stream && (!s->have_stream_day || tz_date_cmp(day, s->stream_day) != 0)) {
        int rc = stream_day(s, day);
        if (rc != ACDL_OK) {
            return rc;
        }
    } else if (s->enc && enc_done(s->enc)) {
        /* the finished days are encoded: their blobs go aside now, not beside the whole day */
        int rc = enc_finish(s);
        if (rc != ACDL_OK) {
            return rc;
        }
    }
    struct acc *a = s->last;
    if (!a || a->queue != queue || tz_date_cmp(a->day, day) != 0) {
        /* rows ordered by time give a new queue each row: its latest day first */
        struct squeue *q = &s->q[queue];
        a = q->acc >= 0 && q->acc < s->nacc ? &s->acc[q->acc] : NULL;
        if (!a || a->queue != queue || tz_date_cmp(a->day, day) != 0) {
            a = acc_get(s, day, base, step, nslots, queue);
            if (!a) {
                return ACDL_ENOMEM;
            }
            q->acc = (int)(a - s->acc);
        }
        s->last = a;
    }
    if (metric >= a->nm && acc_grid(s, a, s->nm) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    uint8_t *has = grid_has(a, slot) + metric;
    unsigned char *v = grid_v(a, slot) + (size_t)metric * sizeof(double);
    if (*has) {
        if (*has == 1) {
            s->overlaps++;
            *has = 2;
        }
        cell_put(v, cell_get(v) + value);
    } else {
        cell_put(v, value);
        *has = 1;
    }
    if (s->grid_bytes > GRID_BUDGET) {
        return s->stream ? stream_overflow(s) : spill_all(s);
    }
    return ACDL_OK;
}

/* a as a staged day (into d), its metrics' ids in mt; sets the bits of the metrics it
 * delivered in metrics. */
static int acc_day(const struct smetric *mt, const struct acc *a, struct staged_day *d,
                   uint64_t *metrics)
{
    staged_day_reset(d, a->base, a->step, a->nslots);
    for (int m = 0; m < a->nm; m++) {
        struct staged_series *ser = NULL;
        for (int i = 0; i < a->nslots; i++) {
            if (!grid_has(a, i)[m]) {
                continue;
            }
            if (!ser && !(ser = staged_day_series(d, mt[m].id, 1))) {
                return ACDL_ENOMEM;
            }
            ser->v[i] = cell_get(grid_v(a, i) + (size_t)m * sizeof(double));
            ser->has[i] = 1;
        }
        if (ser) {
            metrics[m / 64] |= 1ull << (m % 64);
        }
    }
    return ACDL_OK;
}

/* a as a staged day (into d); notes the metrics its queue delivered. */
static int acc_to_day(struct staging *s, const struct acc *a, struct staged_day *d)
{
    return acc_day(s->mt, a, d, s->q[a->queue].metrics);
}

/* Adds a into the spilled row of its day and queue. */
static int spill_merge(struct staging *s, const struct acc *a, const struct staged_day *d,
                       const char *ds, struct staged_day *tmp)
{
    uint8_t *blob = NULL;
    size_t n = 0;
    int rc = ACDL_EDB;
    sqlite3_stmt *st = store_prepare(s->c, "SELECT vals FROM temp.staging_days WHERE day = ? AND "
                                           "q = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, a->queue);
    if (sqlite3_step(st) == SQLITE_ROW) {
        rc =
            staged_day_decode(tmp, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    }
    store_done(st);
    if (rc == ACDL_OK) {
        rc = staged_day_merge(tmp, d, 1, &s->overlaps);
    }
    if (rc == ACDL_OK) {
        rc = staged_day_encode(tmp, &blob, &n);
    }
    if (rc != ACDL_OK) {
        return rc;
    }
    st = store_prepare(s->c, "UPDATE temp.staging_days SET vals = ? WHERE day = ? AND q = ?");
    if (!st) {
        free(blob);
        return ACDL_EDB;
    }
    sqlite3_bind_blob64(st, 1, blob, n, free);
    sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->queue);
    rc = sqlite3_step(st) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(st);
    return rc;
}

int staging_spill(struct staging *s)
{
    /* streaming: the days stay until the next day begins or the commit */
    return s->stream ? ACDL_OK : spill_all(s);
}

static int spill_all(struct staging *s)
{
    sqlite3 *db = store_db(s->c);
    struct staged_day tmp = {0}, day = {0};
    int rc = ACDL_OK;
    s->last = NULL;
    if (s->nacc == 0) {
        return ACDL_OK;
    }
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        return ACDL_EDB;
    }
    sqlite3_stmt *ins = store_prepare(s->c, "INSERT INTO temp.staging_days (day, q, vals) VALUES "
                                            "(?, ?, ?) ON CONFLICT (q, day) DO NOTHING");
    if (!ins) {
        rc = ACDL_EDB;
    }
    for (int i = 0; i < s->nacc && rc == ACDL_OK; i++) {
        const struct acc *a = &s->acc[i];
        uint8_t *blob = NULL;
        size_t n = 0;
        char ds[11];
        if ((rc = acc_to_day(s, a, &day)) != ACDL_OK) {
            break;
        }
        if (day.n == 0) {
            continue;
        }
        if ((rc = staged_day_encode(&day, &blob, &n)) != ACDL_OK) {
            break;
        }
        tz_date_format(a->day, ds);
        sqlite3_bind_text(ins, 1, ds, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, a->queue);
        sqlite3_bind_blob64(ins, 3, blob, n, free);
        rc = sqlite3_step(ins) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        sqlite3_reset(ins);
        if (rc == ACDL_OK && sqlite3_changes(db) == 0) {
            rc =
                spill_merge(s, a, &day, ds, &tmp); /* this day and queue came in an earlier spill */
        }
    }
    store_done(ins);
    staged_day_clear(&tmp);
    staged_day_clear(&day);
    if (rc == ACDL_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ACDL_EDB;
    }
    if (rc != ACDL_OK) {
        log_error("import", "run %lld: spilling staged days failed: %s", (long long)s->run_id,
                  sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    accs_free(s);
    return rc;
}

static int step_done(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE || r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}

/* The external queues that got values: upserted, their ids and metrics recorded. */
static int commit_queues(struct staging *s, int64_t now, int first, int end)
{
    sqlite3_stmt *up = store_prepare(
        s->c, "INSERT INTO ext_queues (source_id, ext_queue, name, first_seen, last_seen) VALUES "
              "(?1, ?2, ?3, ?4, ?4) ON CONFLICT (source_id, ext_queue) DO UPDATE SET last_seen = "
              "excluded.last_seen, name = coalesce(excluded.name, name) RETURNING id");
    sqlite3_stmt *qm = store_prepare(s->c, "INSERT OR IGNORE INTO ext_queue_metrics (queue_id, "
                                           "metric_id) VALUES (?, ?)");
    int rc = up && qm ? ACDL_OK : ACDL_EDB;
    for (int i = first; i < end && i < s->nq && rc == ACDL_OK; i++) {
        struct squeue *q = &s->q[i];
        int any = 0;
        for (int w = 0; w < METRIC_WORDS; w++) {
            any |= q->metrics[w] != 0;
        }
        if (!any) {
            continue;
        }
        sqlite3_bind_int64(up, 1, s->source_id);
        sqlite3_bind_text(up, 2, qid(q), (int)q->len, SQLITE_STATIC);
        if (q->name) {
            sqlite3_bind_text(up, 3, q->name, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(up, 3);
        }
        sqlite3_bind_int64(up, 4, now);
        if (sqlite3_step(up) == SQLITE_ROW) {
            q->db_id = sqlite3_column_int64(up, 0);
        } else {
            rc = ACDL_EDB;
        }
        sqlite3_reset(up);
        for (int m = 0; m < s->nm && rc == ACDL_OK; m++) {
            if (q->metrics[m / 64] & (1ull << (m % 64))) {
                sqlite3_bind_int64(qm, 1, q->db_id);
                sqlite3_bind_int64(qm, 2, s->mt[m].id);
                rc = step_done(qm);
            }
        }
    }
    store_done(up);
    store_done(qm);
    return rc;
}

/* --- streaming (staging_stream()) --- */

/* Inside a transaction: the run's switch, not committed (what a failed or killed run leaves
 * is removed later), with the days it replaces. */
static int switch_open(struct staging *s, const char *replace_from, const char *replace_to)
{
    sqlite3_stmt *del = store_prepare(s->c, "DELETE FROM staging_switches WHERE run_id = ?");
    sqlite3_stmt *ins = store_prepare(
        s->c, "INSERT INTO staging_switches (run_id, source_id, replace_from, replace_to) "
              "VALUES (?, ?, ?, ?)");
    int rc = del && ins ? ACDL_OK : ACDL_EDB;
    if (rc == ACDL_OK) {
        sqlite3_bind_int64(del, 1, s->run_id);
        rc = step_done(del);
    }
    if (rc == ACDL_OK) {
        sqlite3_bind_int64(ins, 1, s->run_id);
        sqlite3_bind_int64(ins, 2, s->source_id);
        store_bind_text(ins, 3, replace_from);
        store_bind_text(ins, 4, replace_to);
        rc = step_done(ins);
    }
    store_done(del);
    store_done(ins);
    return rc;
}

/* Inside a transaction: the blob (owned: freed here) of queue's day into staging_pending
 * (the queue upserted first if need be; its metrics noted before). */
static int pending_blob(struct staging *s, int queue, struct tz_date day, uint8_t *blob, size_t n,
                        int64_t now)
{
    char ds[11];
    int rc;
    if (s->q[queue].db_id <= 0 && (rc = commit_queues(s, now, queue, queue + 1)) != ACDL_OK) {
        free(blob);
        return rc;
    }
    sqlite3_stmt *ins = store_prepare(s->c, "INSERT INTO staging_pending (run_id, queue_id, day, "
                                            "vals) VALUES (?, ?, ?, ?)");
    if (!ins) {
        free(blob);
        return ACDL_EDB;
    }
    tz_date_format(day, ds);
    sqlite3_bind_int64(ins, 1, s->run_id);
    sqlite3_bind_int64(ins, 2, s->q[queue].db_id);
    sqlite3_bind_text(ins, 3, ds, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(ins, 4, blob, n, free);
    rc = step_done(ins);
    store_done(ins);
    s->streamed += rc == ACDL_OK;
    return rc;
}

/* Inside a transaction: a's day into staging_pending (its queue upserted first if need be). */
static int pending_put(struct staging *s, const struct acc *a, struct staged_day *d, int64_t now)
{
    uint8_t *blob = NULL;
    size_t n = 0;
    int rc = acc_to_day(s, a, d);
    if (rc != ACDL_OK || d->n == 0) {
        return rc;
    }
    if ((rc = staged_day_encode(d, &blob, &n)) != ACDL_OK) {
        return rc;
    }
    return pending_blob(s, a->queue, a->day, blob, n, now);
}

/* A transaction that writes finished days aside: the first opens the run's switch. */
static int aside_begin(struct staging *s)
{
    int rc;
    store_yield();
    if ((rc = store_begin(s->c)) == ACDL_OK && s->switch_state == STREAM_NO_SWITCH) {
        rc = switch_open(s, s->stream_from[0] ? s->stream_from : NULL,
                         s->stream_to[0] ? s->stream_to : NULL);
        if (rc != ACDL_OK) {
            store_rollback(s->c);
        }
    }
    return rc;
}

/* Ends aside_begin()'s transaction: committed when rc is 0, else rolled back. */
static int aside_end(struct staging *s, int rc)
{
    rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
    if (rc == ACDL_OK && s->switch_state == STREAM_NO_SWITCH) {
        s->switch_state = STREAM_SWITCH_OPEN;
    }
    return rc;
}

/* --- finished days encoded beside the reading (streaming) ---
 *
 * When a day is finished, its accumulators are handed to a thread of their own, which turns
 * them into staged-day blobs and frees their grids, while the run reads the next day; the
 * blobs are written to staging_pending (on the run's connection, in the run's thread) when
 * the next day is finished, or before anything else looks at staging_pending or the run's
 * data (stream_stop(), staging_commit(), staging_close()). The thread touches nothing of
 * struct staging: it gets the accumulators and a copy of the metric ids, and gives back the
 * blobs and the metrics each queue delivered. At most one batch is in flight; its grids count
 * towards the memory bound until they are freed. In a lean run (staging_stream_lean()) each
 * new grid the run's thread makes while a batch is in flight first encodes a day of the batch
 * the thread has not taken (enc_help()), so the two days' grids are not held together. The run's
 * thread writes the blobs as soon as it sees the batch done (staging_add() looks at every value),
 * not only when the next day is finished, so a day's blobs (~2 KB a queue-day) are not held beside
 * the next day's grids. */
struct enc {
    pthread_t th;
    int started; /* a thread runs it (else it was encoded in the caller's thread) */
    struct acc *acc;
    int n;
    struct smetric *mt;
    int64_t bytes;  /* the grids' bytes */
    uint8_t **blob; /* NULL: the day had no value */
    size_t *len;
    uint64_t (*bits)[METRIC_WORDS];
    int rc;                /* the thread's */
    int own_rc;            /* the run's thread's (enc_help()) */
    atomic_int next;       /* the next day to encode: each is taken by one thread */
    atomic_int done;       /* set by the thread when every day is taken and its own are encoded */
    struct staged_day own; /* the run's thread's scratch day */
};

/* Encodes day i of e into its blob (d a scratch day) and frees its grid. */
static int enc_one(struct enc *e, int i, struct staged_day *d)
{
    int rc = acc_day(e->mt, &e->acc[i], d, e->bits[i]);
    if (rc == ACDL_OK && d->n > 0) {
        rc = staged_day_encode(d, &e->blob[i], &e->len[i]);
    }
    free(e->acc[i].grid);
    e->acc[i].grid = NULL;
    return rc;
}

static void *enc_main(void *arg)
{
    struct enc *e = arg;
    struct staged_day d = {0};
    int i;
    while ((i = atomic_fetch_add_explicit(&e->next, 1, memory_order_relaxed)) < e->n) {
        int rc = enc_one(e, i, &d);
        e->rc = e->rc == ACDL_OK ? rc : e->rc;
    }
    staged_day_clear(&d);
    atomic_store_explicit(&e->done, 1, memory_order_release);
    return NULL;
}

/* 1 once e's thread has encoded every day of it (its results are then final). */
static int enc_done(const struct enc *e)
{
    return atomic_load_explicit(&e->done, memory_order_acquire);
}

/* The run's thread takes a new day's grid: it first encodes a day of the batch in flight that
 * the thread has not taken yet, freeing that day's grid. The first interval of a day ordered
 * by time makes a grid for every queue at once, long before the thread is through the day
 * before; without this the two days' grids were held together, ~10 MB more at the peak for
 * 2,000 queues. */
static void enc_help(struct enc *e)
{
    int i = atomic_fetch_add_explicit(&e->next, 1, memory_order_relaxed);
    if (i < e->n) {
        int rc = enc_one(e, i, &e->own);
        e->own_rc = e->own_rc == ACDL_OK ? rc : e->own_rc;
    }
}

static void enc_free(struct enc *e)
{
    if (!e) {
        return;
    }
    for (int i = 0; i < e->n; i++) {
        free(e->acc[i].grid);
        if (e->blob) {
            free(e->blob[i]);
        }
    }
    staged_day_clear(&e->own);
    free(e->acc);
    free(e->mt);
    free(e->blob);
    free(e->len);
    free(e->bits);
    free(e);
}

/* Hands every accumulator in memory to the encoding thread (none may be in flight). Returns
 * 0 or ACDL_ENOMEM (then nothing was handed over). */
static int enc_start(struct staging *s)
{
    struct enc *e = calloc(1, sizeof(*e));
    size_t n = (size_t)s->nacc;
    if (!e) {
        return ACDL_ENOMEM;
    }
    e->acc = malloc(n * sizeof(*e->acc));
    e->mt = malloc(((size_t)s->nm + 1) * sizeof(*e->mt));
    e->blob = calloc(n, sizeof(*e->blob));
    e->len = calloc(n, sizeof(*e->len));
    e->bits = calloc(n, sizeof(*e->bits));
    if (!e->acc || !e->mt || !e->blob || !e->len || !e->bits) {
        enc_free(e);
        return ACDL_ENOMEM;
    }
    memcpy(e->acc, s->acc, n * sizeof(*e->acc));
    memcpy(e->mt, s->mt, (size_t)s->nm * sizeof(*e->mt));
    e->n = s->nacc;
    for (int i = 0; i < e->n; i++) {
        e->bytes += (int64_t)((size_t)e->acc[i].nslots * grid_stride(e->acc[i].nm));
    }
    /* the accumulators are the batch's now; the hash table forgets them */
    s->nacc = 0;
    s->last = NULL;
    memset(s->ahash, 0xff, (size_t)s->ahcap * sizeof(*s->ahash));
    e->started = pthread_create(&e->th, NULL, enc_main, e) == 0;
    if (!e->started) {
        enc_main(e); /* no thread: encoded here */
    }
    s->enc = e;
    return ACDL_OK;
}

/* Waits for the batch in flight (if any) and writes its days to staging_pending, a slice per
 * transaction, opening the run's switch with the first. */
static int enc_finish(struct staging *s)
{
    struct enc *e = s->enc;
    const int n = staging_slice_rows();
    int64_t now = plat_now();
    int rc;
    if (!e) {
        return ACDL_OK;
    }
    s->enc = NULL;
    if (e->started) {
        pthread_join(e->th, NULL);
    }
    s->grid_bytes -= e->bytes;
    rc = e->rc != ACDL_OK ? e->rc : e->own_rc;
    for (int i = 0; rc == ACDL_OK && i < e->n;) {
        if ((rc = aside_begin(s)) != ACDL_OK) {
            break;
        }
        for (int put = 0; rc == ACDL_OK && put < n && i < e->n; i++) {
            const struct acc *a = &e->acc[i];
            for (int w = 0; w < METRIC_WORDS; w++) {
                s->q[a->queue].metrics[w] |= e->bits[i][w];
            }
            if (e->blob[i]) {
                rc = pending_blob(s, a->queue, a->day, e->blob[i], e->len[i], now);
                e->blob[i] = NULL; /* SQLite has it (and frees it) */
                put++;
            }
        }
        rc = aside_end(s, rc);
    }
    if (rc != ACDL_OK) {
        log_error("import", "run %lld: writing finished days aside failed: %s",
                  (long long)s->run_id, acdl_strerror(store_thread_rc(rc)));
    }
    enc_free(e);
    return rc;
}

/* Waits for the batch in flight (if any) and drops it: the run failed or was cancelled. */
static void enc_drop(struct staging *s)
{
    if (s->enc) {
        if (s->enc->started) {
            pthread_join(s->enc->th, NULL);
        }
        s->grid_bytes -= s->enc->bytes;
        enc_free(s->enc);
        s->enc = NULL;
    }
}

/* Writes the days in memory before the latest one (all of them when all is set) to
 * staging_pending, one slice per transaction, and frees them; the latest day's stay. */
static int stream_flush(struct staging *s, int all)
{
    const int n = staging_slice_rows();
    int64_t now = plat_now();
    int64_t cur = datetime_days_from_civil(s->stream_day.y, s->stream_day.m, s->stream_day.d);
    struct staged_day d = {0};
    int rc = enc_finish(s), i = 0, kept = 0;
    s->last = NULL;
    while (rc == ACDL_OK && i < s->nacc) {
        if ((rc = aside_begin(s)) != ACDL_OK) {
            break;
        }
        for (int put = 0; rc == ACDL_OK && put < n && i < s->nacc; i++) {
            struct acc *a = &s->acc[i];
            if (!all && a->dayno >= cur) {
                s->acc[kept++] = *a; /* the latest day: kept, moved down */
                continue;
            }
            rc = pending_put(s, a, &d, now);
            s->grid_bytes -= (int64_t)((size_t)a->nslots * grid_stride(a->nm));
            free(a->grid);
            put++;
        }
        rc = aside_end(s, rc);
    }
    staged_day_clear(&d);
    if (rc != ACDL_OK) {
        log_error("import", "run %lld: writing finished days aside failed: %s",
                  (long long)s->run_id, acdl_strerror(store_thread_rc(rc)));
        for (; i < s->nacc; i++) { /* the rest is dropped with the run */
            s->acc[kept++] = s->acc[i];
        }
    }
    /* the kept accumulators (moved down) get the hash table rebuilt */
    s->nacc = kept;
    memset(s->ahash, 0xff, (size_t)s->ahcap * sizeof(*s->ahash));
    for (int k = 0; k < s->nacc; k++) {
        uint32_t h = acc_hash(s, k) & (uint32_t)(s->ahcap - 1);
        while (s->ahash[h] >= 0) {
            h = (h + 1) & (uint32_t)(s->ahcap - 1);
        }
        s->ahash[h] = k;
    }
    return rc;
}

struct qidx {
    int64_t db_id;
    int q;
};

static int qidx_cmp(const void *a, const void *b)
{
    const struct qidx *x = a, *y = b;
    return x->db_id < y->db_id ? -1 : x->db_id > y->db_id;
}

/* Streaming stops: the days written aside go back to the run's temporary table, and the run
 * goes on the way of unordered rows (spilled days, merged at the commit). */
static int stream_stop(struct staging *s)
{
    struct qidx *ix = NULL;
    int nix = 0, rc = enc_finish(s), r = SQLITE_DONE;
    s->stream = 0;
    if (rc != ACDL_OK) {
        return rc;
    }
    if (s->switch_state != STREAM_SWITCH_OPEN) {
        return ACDL_OK;
    }
    log_info("import", "run %lld: streaming ends; %lld days of a queue go back to the spill table",
             (long long)s->run_id, (long long)s->streamed);
    ix = malloc(((size_t)s->nq + 1) * sizeof(*ix));
    if (!ix) {
        return ACDL_ENOMEM;
    }
    for (int i = 0; i < s->nq; i++) {
        if (s->q[i].db_id > 0) {
            ix[nix++] = (struct qidx){s->q[i].db_id, i};
        }
    }
    qsort(ix, (size_t)nix, sizeof(*ix), qidx_cmp);
    sqlite3_stmt *sel = store_prepare(s->c, "SELECT queue_id, day, vals FROM staging_pending "
                                            "WHERE run_id = ? ORDER BY id");
    sqlite3_stmt *ins = store_prepare(s->c, "INSERT INTO temp.staging_days (day, q, vals) "
                                            "VALUES (?, ?, ?)");
    rc = sel && ins ? ACDL_OK : ACDL_EDB;
    if (rc == ACDL_OK && (rc = store_begin(s->c)) == ACDL_OK) {
        sqlite3_bind_int64(sel, 1, s->run_id);
        while (rc == ACDL_OK && (r = sqlite3_step(sel)) == SQLITE_ROW) {
            struct qidx key = {sqlite3_column_int64(sel, 0), 0};
            const struct qidx *hit = bsearch(&key, ix, (size_t)nix, sizeof(*ix), qidx_cmp);
            if (!hit) {
                rc = ACDL_EDB;
                break;
            }
            sqlite3_bind_value(ins, 1, sqlite3_column_value(sel, 1));
            sqlite3_bind_int(ins, 2, hit->q);
            sqlite3_bind_value(ins, 3, sqlite3_column_value(sel, 2));
            rc = step_done(ins);
        }
        if (rc == ACDL_OK && r != SQLITE_DONE) {
            rc = store_rc(r);
        }
        store_done(sel);
        rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
    }
    store_done(sel);
    store_done(ins);
    free(ix);
    if (rc == ACDL_OK) {
        /* the switch is not committed: this removes it and its days */
        rc = staging_switch_finish(s->c, s->run_id, 0);
        s->switch_state = rc == ACDL_OK ? STREAM_NO_SWITCH : s->switch_state;
    }
    return rc;
}

/* A value of another day than the latest: a later day writes the finished ones aside (once
 * more than a slice of them is held, or once streaming has begun); an earlier one ends
 * streaming. */
static int stream_day(struct staging *s, struct tz_date day)
{
    if (!s->have_stream_day || tz_date_cmp(day, s->stream_day) > 0) {
        int rc = ACDL_OK;
        if (s->have_stream_day && s->nacc > 0 &&
            (s->switch_state == STREAM_SWITCH_OPEN || s->enc || s->nacc >= staging_slice_rows())) {
            /* the finished days are encoded beside the next day's reading */
            rc = enc_finish(s);
            if (rc == ACDL_OK && enc_start(s) != ACDL_OK) {
                rc = stream_flush(s, 1);
            }
        }
        s->stream_day = day;
        s->have_stream_day = 1;
        return rc;
    }
    s->fallback = STAGING_UNORDERED;
    s->fb_day = day;
    s->fb_after = s->stream_day;
    return stream_stop(s);
}

/* Over the memory bound while streaming: the finished days go aside; if the latest day alone
 * is too big, streaming ends and everything is spilled. */
static int stream_overflow(struct staging *s)
{
    int rc = stream_flush(s, 0);
    if (rc == ACDL_OK && s->grid_bytes > GRID_BUDGET) {
        s->fallback = STAGING_OVERFLOW;
        s->fb_day = s->stream_day;
        s->fb_after = s->stream_day;
        if ((rc = stream_stop(s)) == ACDL_OK) {
            rc = spill_all(s);
        }
    }
    return rc;
}

void staging_stream_lean(struct staging *s)
{
    s->lean = 1;
}

void staging_stream(struct staging *s, const char *replace_from, const char *replace_to)
{
    s->stream = 1;
    snprintf(s->stream_from, sizeof(s->stream_from), "%s", replace_from ? replace_from : "");
    snprintf(s->stream_to, sizeof(s->stream_to), "%s", replace_to ? replace_to : "");
}

int staging_stream_fallback(const struct staging *s, struct tz_date *day, struct tz_date *after)
{
    if (s->fallback) {
        *day = s->fb_day;
        *after = s->fb_after;
    }
    return s->fallback;
}

/* Every spilled day into staged_days, merged key by key with what is there. */
static int commit_days(struct staging *s)
{
    sqlite3_stmt *sel = store_prepare(s->c, "SELECT day, q, vals FROM temp.staging_days ORDER BY "
                                            "q, day");
    sqlite3_stmt *ins = store_prepare(
        s->c, "INSERT INTO staged_days (source_id, queue_id, day, vals, run_id) VALUES (?, ?, ?, "
              "?, ?) ON CONFLICT (source_id, queue_id, day) DO UPDATE SET vals = "
              "acdl_staged_merge(vals, excluded.vals), run_id = excluded.run_id");
    int rc = sel && ins ? ACDL_OK : ACDL_EDB;
    int r;
    while (rc == ACDL_OK && (r = sqlite3_step(sel)) == SQLITE_ROW) {
        int q = sqlite3_column_int(sel, 1);
        if (q < 0 || q >= s->nq || s->q[q].db_id <= 0) {
            rc = ACDL_EDB;
            break;
        }
        sqlite3_bind_int64(ins, 1, s->source_id);
        sqlite3_bind_int64(ins, 2, s->q[q].db_id);
        sqlite3_bind_value(ins, 3, sqlite3_column_value(sel, 0));
        sqlite3_bind_value(ins, 4, sqlite3_column_value(sel, 2));
        sqlite3_bind_int64(ins, 5, s->run_id);
        rc = step_done(ins);
    }
    store_done(sel);
    store_done(ins);
    return rc;
}

/* The spilled days from after (q, day) on, up to n of them, into staging_pending. *more: 1
 * while days are left; *q and day move on. */
static int pending_slice(struct staging *s, int n, int *q, char *day, size_t daysz, int *more)
{
    sqlite3_stmt *sel = store_prepare(s->c, "SELECT day, q, vals FROM temp.staging_days WHERE "
                                            "(q, day) > (?, ?) ORDER BY q, day LIMIT ?");
    sqlite3_stmt *ins = store_prepare(s->c, "INSERT INTO staging_pending (run_id, queue_id, day, "
                                            "vals) VALUES (?, ?, ?, ?)");
    int rc = sel && ins ? ACDL_OK : ACDL_EDB, r = SQLITE_DONE, got = 0;
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_bind_int(sel, 1, *q);
    sqlite3_bind_text(sel, 2, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(sel, 3, n);
    while (rc == ACDL_OK && (r = sqlite3_step(sel)) == SQLITE_ROW) {
        int qi = sqlite3_column_int(sel, 1);
        if (qi < 0 || qi >= s->nq || s->q[qi].db_id <= 0) {
            rc = ACDL_EDB;
            break;
        }
        *q = qi;
        store_column_text(sel, 0, day, daysz);
        sqlite3_bind_int64(ins, 1, s->run_id);
        sqlite3_bind_int64(ins, 2, s->q[qi].db_id);
        sqlite3_bind_value(ins, 3, sqlite3_column_value(sel, 0));
        sqlite3_bind_value(ins, 4, sqlite3_column_value(sel, 2));
        rc = step_done(ins);
        got++;
    }
    if (rc == ACDL_OK && r != SQLITE_DONE && r != SQLITE_ROW) {
        rc = store_rc(r);
    }
    store_done(sel);
    store_done(ins);
    *more = got == n;
    return rc;
}

/* Staging in slices (staging_switch.h): the switch, the queues and the pending days in short
 * transactions, then the switch committed with in_tx, then the days merged in. */
static int commit_sliced(struct staging *s, const char *replace_from, const char *replace_to,
                         int (*in_tx)(void *ctx), void *ctx)
{
    const int n = staging_slice_rows();
    int rc = ACDL_OK, more = 1, q = -1, committed = 0;
    char day[16] = "";
    int64_t now = plat_now();
    /* 1: the switch, uncommitted (streaming opened it already) */
    if (s->switch_state == STREAM_NO_SWITCH && (rc = store_begin(s->c)) == ACDL_OK) {
        rc = switch_open(s, replace_from, replace_to);
        rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
        s->switch_state = rc == ACDL_OK ? STREAM_SWITCH_OPEN : STREAM_NO_SWITCH;
    }
    /* 2: the external queues (ids for the pending days; harmless if the run fails) */
    for (int first = 0; rc == ACDL_OK && first < s->nq; first += n) {
        store_yield();
        if ((rc = store_begin(s->c)) != ACDL_OK) {
            break;
        }
        rc = commit_queues(s, now, first, first + n);
        rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
    }
    /* 3: the spilled days into staging_pending */
    while (rc == ACDL_OK && more) {
        store_yield();
        if ((rc = store_begin(s->c)) != ACDL_OK) {
            break;
        }
        rc = pending_slice(s, n, &q, day, sizeof(day), &more);
        rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
    }
    /* 4: the switch: from here on the run's data is committed */
    if (rc == ACDL_OK) {
        store_yield();
        rc = store_begin(s->c);
    }
    if (rc == ACDL_OK) {
        sqlite3_stmt *up = store_prepare(s->c, "UPDATE staging_switches SET committed = 1, "
                                               "replace_from = ?, replace_to = ? WHERE run_id = ?");
        rc = up ? ACDL_OK : ACDL_EDB;
        if (up) {
            store_bind_text(up, 1, replace_from);
            store_bind_text(up, 2, replace_to);
            sqlite3_bind_int64(up, 3, s->run_id);
            rc = step_done(up);
            store_done(up);
        }
        if (rc == ACDL_OK && in_tx) {
            rc = in_tx(ctx);
        }
        rc = rc == ACDL_OK ? store_commit(s->c) : (store_rollback(s->c), rc);
        committed = rc == ACDL_OK;
    }
    s->switch_state = committed ? STREAM_SWITCH_DONE : STREAM_SWITCH_OPEN;
    if (rc != ACDL_OK) {
        log_error("import", "run %lld: staging failed: %s", (long long)s->run_id,
                  acdl_strerror(store_thread_rc(rc)));
        if (!committed && staging_switch_finish(s->c, s->run_id, 0) == ACDL_OK) {
            s->switch_state = STREAM_NO_SWITCH; /* removed what was written */
        }
        return rc;
    }
    /* 5: the days merged in (on failure the scheduler finishes it; the days stay due) */
    return staging_switch_finish(s->c, s->run_id, 0);
}

int staging_commit(struct staging *s, const char *replace_from, const char *replace_to, int whole,
                   int (*in_tx)(void *ctx), void *ctx)
{
    int rc = enc_finish(s);
    if (rc != ACDL_OK) {
        return rc; /* staging_close() removes the switch */
    }
    if (s->switch_state == STREAM_SWITCH_OPEN ||
        (s->stream && !whole && s->nacc > staging_slice_rows())) {
        /* streamed: the last days go aside too, and the switch is committed (also a run
         * whose days are all still in memory, a single day say, when they are more than a
         * slice: written aside at once rather than spilled and read back) */
        if ((rc = stream_flush(s, 1)) != ACDL_OK) {
            return rc; /* staging_close() removes the switch */
        }
        log_info("import", "run %lld: %lld days of a queue were written aside as they completed",
                 (long long)s->run_id, (long long)s->streamed);
        return commit_sliced(s, replace_from, replace_to, in_tx, ctx);
    }
    s->stream = 0;
    if ((rc = spill_all(s)) != ACDL_OK) {
        return rc;
    }
    if (!whole) {
        sqlite3_stmt *cnt = store_prepare(s->c, "SELECT count(*) FROM temp.staging_days");
        int64_t rows = 0;
        if (cnt && sqlite3_step(cnt) == SQLITE_ROW) {
            rows = sqlite3_column_int64(cnt, 0);
        }
        store_done(cnt);
        if (rows > staging_slice_rows()) {
            return commit_sliced(s, replace_from, replace_to, in_tx, ctx);
        }
    }
    if ((rc = store_begin(s->c)) != ACDL_OK) {
        return rc;
    }
    if (replace_from && replace_to) {
        sqlite3_stmt *del = store_prepare(s->c, "DELETE FROM staged_days WHERE source_id = ? AND "
                                                "day >= ? AND day <= ?");
        rc = del ? ACDL_OK : ACDL_EDB;
        if (del) {
            sqlite3_bind_int64(del, 1, s->source_id);
            sqlite3_bind_text(del, 2, replace_from, -1, SQLITE_STATIC);
            sqlite3_bind_text(del, 3, replace_to, -1, SQLITE_STATIC);
            rc = step_done(del);
            store_done(del);
        }
    }
    if (rc == ACDL_OK) {
        rc = commit_queues(s, plat_now(), 0, s->nq);
    }
    if (rc == ACDL_OK) {
        rc = commit_days(s);
    }
    if (rc == ACDL_OK && in_tx) {
        rc = in_tx(ctx);
    }
    if (rc == ACDL_OK) {
        rc = store_commit(s->c);
    } else {
        log_error("import", "run %lld: staging failed: %s", (long long)s->run_id,
                  sqlite3_errmsg(store_db(s->c)));
        store_rollback(s->c);
    }
    return rc;
}

/* --- zero-fill --- */

struct fill_pair {
    char queue[129];
    char metric[65];
};

static int fill_queue_id(struct staging *s, const char *queue, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(
        s->c, "INSERT INTO ext_queues (source_id, ext_queue, name, first_seen, last_seen) VALUES "
              "(?1, ?2, NULL, ?3, ?3) ON CONFLICT (source_id, ext_queue) DO UPDATE SET last_seen "
              "= last_seen RETURNING id");
    int rc = ACDL_EDB;
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, s->source_id);
    sqlite3_bind_text(st, 2, queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = ACDL_OK;
    }
    store_done(st);
    return rc;
}

/* Fills the empty slots of one queue's metric on one day. */
static int fill_day(struct staging *s, int64_t queue_id, int64_t metric_id, const char *ds,
                    const int64_t *starts, int nslots, int step, struct staged_day *d,
                    int64_t *filled)
{
    int rc = ACDL_OK, found = 0;
    sqlite3_stmt *sel = store_prepare(s->c, "SELECT vals FROM staged_days WHERE source_id = ? "
                                            "AND queue_id = ? AND day = ?");
    if (!sel) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(sel, 1, s->source_id);
    sqlite3_bind_int64(sel, 2, queue_id);
    sqlite3_bind_text(sel, 3, ds, -1, SQLITE_STATIC);
    if (sqlite3_step(sel) == SQLITE_ROW) {
        found = staged_day_decode(d, sqlite3_column_blob(sel, 0),
                                  (size_t)sqlite3_column_bytes(sel, 0)) == ACDL_OK;
    }
    store_done(sel);
    if (!found) {
        staged_day_reset(d, starts[0], step, nslots);
    }
    struct staged_series *ser = staged_day_series(d, metric_id, 1);
    if (!ser) {
        return ACDL_ENOMEM;
    }
    int64_t n = 0;
    for (int i = 0; i < d->nslots; i++) {
        if (!ser->has[i]) {
            ser->v[i] = 0;
            ser->has[i] = 1;
            n++;
        }
    }
    if (n == 0) {
        return ACDL_OK;
    }
    uint8_t *blob = NULL;
    size_t len = 0;
    if ((rc = staged_day_encode(d, &blob, &len)) != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *up = store_prepare(
        s->c, "INSERT INTO staged_days (source_id, queue_id, day, vals, run_id) VALUES (?, ?, ?, "
              "?, ?) ON CONFLICT (source_id, queue_id, day) DO UPDATE SET vals = excluded.vals, "
              "run_id = excluded.run_id");
    if (!up) {
        free(blob);
        return ACDL_EDB;
    }
    sqlite3_bind_int64(up, 1, s->source_id);
    sqlite3_bind_int64(up, 2, queue_id);
    sqlite3_bind_text(up, 3, ds, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(up, 4, blob, len, free);
    sqlite3_bind_int64(up, 5, s->run_id);
    rc = step_done(up);
    store_done(up);
    if (rc == ACDL_OK) {
        *filled += n;
    }
    return rc;
}

int staging_zero_fill(struct staging *s, struct tz *tz, int minutes, struct tz_date from,
                      struct tz_date to, int64_t *filled, int *pairs)
{
    struct fill_pair *p = NULL;
    int np = 0, cap = 0, rc = ACDL_OK;
    struct staged_day d = {0};
    *filled = 0;
    *pairs = 0;
    sqlite3_stmt *st = store_prepare(
        s->c, "SELECT DISTINCT i.ext_queue, i.metric FROM mapping_inputs i JOIN mappings m ON "
              "m.id = i.mapping_id JOIN value_types v ON v.id = m.value_type_id WHERE "
              "i.source_id = ? AND (m.formula IS NOT NULL OR v.combine = 'sum') ORDER BY 1, 2");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, s->source_id);
    while (rc == ACDL_OK && sqlite3_step(st) == SQLITE_ROW) {
        if ((rc = array_room(&p, np, &cap, sizeof(*p), 64)) != ACDL_OK) {
            break;
        }
        store_column_text(st, 0, p[np].queue, sizeof(p[np].queue));
        store_column_text(st, 1, p[np].metric, sizeof(p[np].metric));
        np++;
    }
    store_done(st);
    int64_t now = plat_now();
    int64_t starts[TZ_DAY_INTERVALS_MAX];
    for (int k = 0; k < np && rc == ACDL_OK; k++) {
        int64_t queue_id = 0;
        int metric = staging_metric(s, p[k].metric);
        if (metric < 0) {
            rc = metric;
            break;
        }
        if ((rc = fill_queue_id(s, p[k].queue, now, &queue_id)) != ACDL_OK) {
            break;
        }
        sqlite3_stmt *qm = store_prepare(s->c, "INSERT OR IGNORE INTO ext_queue_metrics "
                                               "(queue_id, metric_id) VALUES (?, ?)");
        if (!qm) {
            rc = ACDL_EDB;
            break;
        }
        sqlite3_bind_int64(qm, 1, queue_id);
        sqlite3_bind_int64(qm, 2, s->mt[metric].id);
        rc = step_done(qm);
        store_done(qm);
        for (struct tz_date day = from; rc == ACDL_OK && tz_date_cmp(day, to) <= 0;
             tz_date_add_days(&day, 1)) {
            int n = 0;
            char ds[11];
            if (tz_day_intervals(tz, day, minutes, starts, TZ_DAY_INTERVALS_MAX, &n) != ACDL_OK ||
                n < 1) {
                continue; /* a day the zone skipped */
            }
            tz_date_format(day, ds);
            rc = fill_day(s, queue_id, s->mt[metric].id, ds, starts, n, minutes * 60, &d, filled);
            if (tz_date_cmp(day, (struct tz_date){9999, 12, 31}) == 0) {
                break;
            }
        }
        (*pairs)++;
    }
    staged_day_clear(&d);
    free(p);
    return rc;
}
