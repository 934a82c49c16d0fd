/* agent_acc.c: a run's agent states in memory (see agent_acc.h). */
#include "pipeline/agent_acc.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/grow.h"

/* Distinct strings, numbered in the order they first came. */
struct spool {
    char *buf;
    size_t len, cap;
    uint32_t *off, *slen;
    uint32_t n, ncap;
    uint32_t *tab; /* open addressing: string number + 1, 0 empty */
    uint32_t tcap;
};

/* A state as held: 24 bytes. What a row shares with many others (its code, name, file and
 * day) is one number into the table of those combinations; the end is kept as the duration
 * (DUR_OPEN: none). */
struct packed_row {
    int64_t start;
    int32_t dur;
    uint32_t agent, combo, line;
};

#define DUR_OPEN INT32_MIN

struct combo {
    uint32_t code, name, file;
    int32_t day;
};

struct agent_acc {
    struct spool pool[4]; /* agent, code, name, file */
    struct packed_row *rows;
    size_t n, cap, max;
    uint32_t *order; /* after sorting: row numbers in sorted order */
    size_t sorted_n; /* rows held when order was made */
    struct combo *combos;
    size_t ncombos, combocap;
    uint32_t *ctab; /* open addressing over combos: number + 1, 0 empty */
    uint32_t ctcap;
};

static uint32_t hash_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    return h;
}

static int spool_rehash(struct spool *p, uint32_t tcap)
{
    uint32_t *t = calloc(tcap, sizeof(*t));
    if (!t) {
        return ACDL_ENOMEM;
    }
    for (uint32_t i = 0; i < p->n; i++) {
        uint32_t h = hash_of(p->buf + p->off[i], p->slen[i]) & (tcap - 1);
        while (t[h]) {
            h = (h + 1) & (tcap - 1);
        }
        t[h] = i + 1;
    }
    free(p->tab);
    p->tab = t;
    p->tcap = tcap;
    return ACDL_OK;
}

/* The number of s[0..n), added when new. */
static int spool_intern(struct spool *p, const char *s, size_t n, uint32_t *id)
{
    if ((p->n + 1) * 2 > p->tcap && spool_rehash(p, p->tcap ? p->tcap * 2 : 1024) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    uint32_t h = hash_of(s, n) & (p->tcap - 1);
    while (p->tab[h]) {
        uint32_t i = p->tab[h] - 1;
        if (p->slen[i] == n && !memcmp(p->buf + p->off[i], s, n)) {
            *id = i;
            return ACDL_OK;
        }
        h = (h + 1) & (p->tcap - 1);
    }
    size_t ncap = p->ncap;
    if (acdl_grow((void **)&p->buf, &p->cap, p->len + n + 1, 1) != ACDL_OK ||
        acdl_grow((void **)&p->off, &ncap, (size_t)p->n + 1, sizeof(*p->off)) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    if (ncap != p->ncap) {
        uint32_t *q = realloc(p->slen, ncap * sizeof(*q));
        if (!q) {
            return ACDL_ENOMEM; /* off grew, slen did not: ncap stays, off is grown again */
        }
        p->slen = q;
        p->ncap = (uint32_t)ncap;
    }
    memcpy(p->buf + p->len, s, n);
    p->buf[p->len + n] = '\0';
    p->off[p->n] = (uint32_t)p->len;
    p->slen[p->n] = (uint32_t)n;
    p->len += n + 1;
    p->tab[h] = p->n + 1;
    *id = p->n++;
    return ACDL_OK;
}

static void spool_free(struct spool *p)
{
    free(p->buf);
    free(p->off);
    free(p->slen);
    free(p->tab);
}

static uint32_t combo_hash(const struct combo *k)
{
    uint32_t h = 2166136261u;
    uint32_t v[4] = {k->code, k->name, k->file, (uint32_t)k->day};
    for (int i = 0; i < 4; i++) {
        h = (h ^ v[i]) * 16777619u;
        h ^= h >> 15;
    }
    return h;
}

static int combo_rehash(struct agent_acc *a, uint32_t tcap)
{
    uint32_t *t = calloc(tcap, sizeof(*t));
    if (!t) {
        return ACDL_ENOMEM;
    }
    for (size_t i = 0; i < a->ncombos; i++) {
        uint32_t h = combo_hash(&a->combos[i]) & (tcap - 1);
        while (t[h]) {
            h = (h + 1) & (tcap - 1);
        }
        t[h] = (uint32_t)i + 1;
    }
    free(a->ctab);
    a->ctab = t;
    a->ctcap = tcap;
    return ACDL_OK;
}

/* The number of the combination k, added when new. */
static int combo_intern(struct agent_acc *a, const struct combo *k, uint32_t *id)
{
    if ((a->ncombos + 1) * 2 > a->ctcap &&
        (a->ncombos >= UINT32_MAX / 4 ||
         combo_rehash(a, a->ctcap ? a->ctcap * 2 : 256) != ACDL_OK)) {
        return ACDL_ENOMEM;
    }
    uint32_t h = combo_hash(k) & (a->ctcap - 1);
    while (a->ctab[h]) {
        const struct combo *c = &a->combos[a->ctab[h] - 1];
        if (c->code == k->code && c->name == k->name && c->file == k->file && c->day == k->day) {
            *id = a->ctab[h] - 1;
            return ACDL_OK;
        }
        h = (h + 1) & (a->ctcap - 1);
    }
    if (acdl_grow((void **)&a->combos, &a->combocap, a->ncombos + 1, sizeof(*a->combos)) !=
        ACDL_OK) {
        return ACDL_ENOMEM;
    }
    a->combos[a->ncombos] = *k;
    a->ctab[h] = (uint32_t)a->ncombos + 1;
    *id = (uint32_t)a->ncombos++;
    return ACDL_OK;
}

struct agent_acc *agent_acc_create(size_t max_rows)
{
    struct agent_acc *a = calloc(1, sizeof(*a));
    if (a) {
        a->max = max_rows;
    }
    return a;
}

void agent_acc_destroy(struct agent_acc *a)
{
    if (!a) {
        return;
    }
    for (int i = 0; i < 4; i++) {
        spool_free(&a->pool[i]);
    }
    free(a->rows);
    free(a->order);
    free(a->combos);
    free(a->ctab);
    free(a);
}

int32_t agent_acc_day_pack(struct tz_date d)
{
    return (int32_t)((d.y * 16 + d.m) * 32 + d.d);
}

struct tz_date agent_acc_day_unpack(int32_t v)
{
    struct tz_date d;
    d.d = v % 32;
    d.m = v / 32 % 16;
    d.y = v / 512;
    return d;
}

int agent_acc_add(struct agent_acc *a, const char *agent, size_t alen, const char *code,
                  size_t clen, const char *name, size_t nlen, const char *file, int64_t start,
                  int64_t end, struct tz_date day, uint64_t line)
{
    struct packed_row r;
    struct combo k;
    int64_t dur = end == AGENT_ACC_OPEN ? DUR_OPEN : end - start;
    if (a->n >= a->max || line > UINT32_MAX || a->pool[3].len > (size_t)UINT32_MAX / 2 ||
        (end != AGENT_ACC_OPEN && (end < start - INT32_MAX || end > start + INT32_MAX))) {
        return ACDL_ETOOBIG;
    }
    if (acdl_grow((void **)&a->rows, &a->cap, a->n + 1, sizeof(*a->rows)) != ACDL_OK ||
        spool_intern(&a->pool[0], agent, alen, &r.agent) != ACDL_OK ||
        spool_intern(&a->pool[1], code, clen, &k.code) != ACDL_OK ||
        spool_intern(&a->pool[3], file, strlen(file), &k.file) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    k.name = AGENT_ACC_NONE;
    if (name && spool_intern(&a->pool[2], name, nlen, &k.name) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    k.day = agent_acc_day_pack(day);
    if (combo_intern(a, &k, &r.combo) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    r.start = start;
    r.dur = (int32_t)dur;
    r.line = (uint32_t)line;
    a->rows[a->n++] = r;
    return ACDL_OK;
}

size_t agent_acc_count(const struct agent_acc *a)
{
    return a->n;
}

const char *agent_acc_str(const struct agent_acc *a, int which, uint32_t id, size_t *len)
{
    const struct spool *p = &a->pool[which];
    if (id >= p->n) {
        *len = 0;
        return "";
    }
    *len = p->slen[id];
    return p->buf + p->off[id];
}

uint32_t agent_acc_distinct(const struct agent_acc *a, int which)
{
    return a->pool[which].n;
}

/* Text order of SQLite's BINARY collation: bytes, then the shorter first. */
static int cmp_text(const struct spool *p, uint32_t x, uint32_t y)
{
    uint32_t lx = p->slen[x], ly = p->slen[y];
    int c = memcmp(p->buf + p->off[x], p->buf + p->off[y], lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* Merge sort of agent numbers by their text (no context argument in qsort). */
static void sort_ids(const struct spool *p, uint32_t *v, uint32_t *tmp, uint32_t n)
{
    if (n < 2) {
        return;
    }
    uint32_t h = n / 2;
    sort_ids(p, v, tmp, h);
    sort_ids(p, v + h, tmp, n - h);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        tmp[k++] = cmp_text(p, v[j], v[i]) < 0 ? v[j++] : v[i++];
    }
    while (i < h) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof(*v));
}

struct start_seq {
    int64_t start;
    uint32_t seq;
};

static int cmp_start_seq(const void *x, const void *y)
{
    const struct start_seq *a = x, *b = y;
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

int agent_acc_sort(struct agent_acc *a)
{
    if (a->order && a->sorted_n == a->n) {
        return ACDL_OK; /* nothing added since */
    }
    uint32_t na = a->pool[0].n;
    uint32_t *ids = malloc(((size_t)na + 1) * sizeof(*ids));
    uint32_t *tmp = malloc(((size_t)na + 1) * sizeof(*tmp));
    uint32_t *first = calloc((size_t)na + 1, sizeof(*first));
    uint32_t *order = malloc((a->n + 1) * sizeof(*order));
    struct start_seq *ss = NULL;
    size_t sscap = 0;
    int rc = ACDL_OK;
    if (!ids || !tmp || !first || !order) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < na; i++) {
        ids[i] = i;
    }
    sort_ids(&a->pool[0], ids, tmp, na);
    for (uint32_t i = 0; i < na; i++) {
        tmp[ids[i]] = i; /* tmp: agent number -> rank */
    }
    /* stable bucket sort by rank: arrival order kept within an agent */
    for (size_t i = 0; i < a->n; i++) {
        first[tmp[a->rows[i].agent] + 1]++;
    }
    for (uint32_t r = 1; r <= na; r++) {
        first[r] += first[r - 1];
    }
    for (size_t i = 0; i < a->n; i++) {
        order[first[tmp[a->rows[i].agent]]++] = (uint32_t)i;
    }
    /* first[r] is now the end of rank r's bucket; its start is first[r - 1] (0 for rank 0) */
    for (uint32_t r = 0; r < na; r++) {
        size_t lo = r ? first[r - 1] : 0, hi = first[r], k;
        for (k = lo + 1; k < hi; k++) {
            if (a->rows[order[k]].start < a->rows[order[k - 1]].start) {
                break;
            }
        }
        if (k >= hi) {
            continue; /* in time order already, as exports are */
        }
        if (acdl_grow((void **)&ss, &sscap, hi - lo, sizeof(*ss)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            goto out;
        }
        for (k = lo; k < hi; k++) {
            ss[k - lo].start = a->rows[order[k]].start;
            ss[k - lo].seq = order[k];
        }
        qsort(ss, hi - lo, sizeof(*ss), cmp_start_seq);
        for (k = lo; k < hi; k++) {
            order[k] = ss[k - lo].seq;
        }
    }
    free(a->order);
    a->order = order;
    a->sorted_n = a->n;
    order = NULL;
out:
    free(ids);
    free(tmp);
    free(first);
    free(order);
    free(ss);
    return rc;
}

void agent_acc_code_names(const struct agent_acc *a, uint32_t *name_of)
{
    for (uint32_t i = 0; i < a->pool[1].n; i++) {
        name_of[i] = AGENT_ACC_NONE;
    }
    /* every combination is some row's: its name is one of the code's names */
    for (size_t i = 0; i < a->ncombos; i++) {
        const struct combo *c = &a->combos[i];
        uint32_t cur = name_of[c->code];
        if (c->name == AGENT_ACC_NONE || cur == c->name) {
            continue;
        }
        if (cur == AGENT_ACC_NONE) {
            name_of[c->code] = c->name;
            continue;
        }
        const struct spool *p = &a->pool[2];
        uint32_t nl = p->slen[c->name], ol = p->slen[cur];
        int d = memcmp(p->buf + p->off[c->name], p->buf + p->off[cur], nl < ol ? nl : ol);
        if (d > 0 || (d == 0 && nl > ol)) {
            name_of[c->code] = c->name;
        }
    }
}

struct agent_acc_row agent_acc_row_at(const struct agent_acc *a, size_t i, size_t *seq)
{
    size_t k = a->order ? a->order[i] : i;
    const struct packed_row *p = &a->rows[k];
    const struct combo *c = &a->combos[p->combo];
    struct agent_acc_row r;
    if (seq) {
        *seq = k;
    }
    r.start = p->start;
    r.end = p->dur == DUR_OPEN ? AGENT_ACC_OPEN : p->start + p->dur;
    r.agent = p->agent;
    r.code = c->code;
    r.name = c->name;
    r.file = c->file;
    r.line = p->line;
    r.day = c->day;
    return r;
}
