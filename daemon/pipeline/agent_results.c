/* agent_results.c: computing agent spans from staged states (see agent_results.h). */
#include "pipeline/agent_results.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/source_cfg.h"
#include "platform/platform.h"
#include "store/sources.h"

#define OPEN_END INT64_MAX
#define MAX_SOURCES 64
#define BATCH_AGENTS 500

/* An external code's activity (unmapped codes are absent: they count as present). */
struct code_act {
    char *code; /* owned */
    int64_t act;
};

struct src {
    int64_t id;
    struct tz *tz;
    struct source_states states;
    struct code_act *codes; /* sorted by code (BINARY order) */
    size_t ncodes;
    int codes_loaded; /* in the current transaction */
};

struct piece {
    int64_t start, end; /* end OPEN_END: still going */
    int64_t act;
    int src; /* index into ctx.srcs; -1 for a filled hole */
    int seq; /* input order, for ties */
    char code[129];
};

struct out_span {
    struct tz_date day;
    int64_t start, end; /* end OPEN_END: open */
    int64_t act;
    int src;
    const char *code;
};

struct activity_name {
    int64_t id;
    char identifier[129];
};

struct ctx {
    struct store_conn *c;
    struct src srcs[MAX_SOURCES];
    int nsrc;
    int64_t present, logged_out;
    struct activity_name *acts;
    int nacts;
    struct piece *p, *seg;
    size_t np, pcap, nseg, segcap;
    struct out_span *o;
    size_t no, ocap;
    char *list; /* a day's span list being written */
    size_t listcap;
    int64_t seq; /* the last change_seq given in this transaction, 0: not read yet */
    int had_end; /* load_id() read a state with an end of its own */
};

static int ctx_init(struct ctx *x, struct store_conn *c)
{
    memset(x, 0, sizeof(*x));
    x->c = c;
    sqlite3_stmt *s = store_prepare(c, "SELECT id, identifier, coalesce(builtin, '') FROM "
                                       "wfm_activities ORDER BY id");
    if (!s) {
        return ACDL_EDB;
    }
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (acdl_grow((void **)&x->acts, &cap, (size_t)x->nacts + 1, sizeof(*x->acts)) != ACDL_OK) {
            store_done(s);
            return ACDL_ENOMEM;
        }
        struct activity_name *a = &x->acts[x->nacts++];
        a->id = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, a->identifier, sizeof(a->identifier));
        const char *b = (const char *)sqlite3_column_text(s, 2);
        if (b && !strcmp(b, "present")) {
            x->present = a->id;
        } else if (b && !strcmp(b, "logged_out")) {
            x->logged_out = a->id;
        }
    }
    store_done(s);
    return ACDL_OK;
}

static void codes_free(struct src *s)
{
    for (size_t i = 0; i < s->ncodes; i++) {
        free(s->codes[i].code);
    }
    free(s->codes);
    s->codes = NULL;
    s->ncodes = 0;
    s->codes_loaded = 0;
}

static void ctx_free(struct ctx *x)
{
    for (int i = 0; i < x->nsrc; i++) {
        tz_close(x->srcs[i].tz);
        codes_free(&x->srcs[i]);
    }
    free(x->acts);
    free(x->p);
    free(x->seg);
    free(x->o);
    free(x->list);
}

/* The identifier of activity id in acts[0..n) (sorted by id); "" when it is not there. */
static const char *act_find(const struct activity_name *acts, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (acts[mid].id == id) {
            return acts[mid].identifier;
        }
        if (acts[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return "";
}

static const char *act_identifier(const struct ctx *x, int64_t id)
{
    return act_find(x->acts, x->nacts, id);
}

/* The source's index in the cache, loading its settings and zone; -1 when unusable. */
static int src_get(struct ctx *x, int64_t source_id)
{
    for (int i = 0; i < x->nsrc; i++) {
        if (x->srcs[i].id == source_id) {
            return x->srcs[i].tz ? i : -1;
        }
    }
    if (x->nsrc == MAX_SOURCES) {
        return -1;
    }
    struct src *s = &x->srcs[x->nsrc++];
    struct store_source row;
    char err[300] = "";
    memset(s, 0, sizeof(*s));
    s->id = source_id;
    if (store_source_get(x->c, source_id, &row) != ACDL_OK) {
        return -1;
    }
    struct source_cfg *cfg = malloc(sizeof(*cfg));
    json_t *settings = json_loads(row.settings, 0, NULL);
    enum source_kind kind;
    int ok = 0;
    source_kind_parse(row.kind, &kind);
    if (cfg && settings &&
        source_cfg_parse_product(settings, PRODUCT_AGENT_STATES, kind, LAYOUT_INTERVAL,
                                 row.time_zone, row.interval_minutes, cfg, err,
                                 sizeof(err)) == ACDL_OK &&
        tz_open(row.time_zone, &s->tz) == ACDL_OK) {
        s->states = cfg->states;
        ok = 1;
    } else {
        log_warn("agents", "source %lld: settings unusable for agent states: %s",
                 (long long)source_id, err);
    }
    json_decref(settings);
    free(cfg);
    store_source_clear(&row);
    return ok ? x->nsrc - 1 : -1;
}

static int is_logout(const struct source_states *st, const char *code)
{
    for (int i = 0; i < st->nlogout; i++) {
        if (!strcmp(st->logout[i], code)) {
            return 1;
        }
    }
    return 0;
}

static int add_piece(struct ctx *x, int64_t start, int64_t end, int64_t act, int src,
                     const char *code)
{
    if (acdl_grow((void **)&x->p, &x->pcap, x->np + 1, sizeof(*x->p)) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    struct piece *p = &x->p[x->np];
    p->start = start;
    p->end = end;
    p->act = act;
    p->src = src;
    p->seq = (int)x->np;
    size_t len = strnlen(code, sizeof(p->code) - 1); /* as "%s" into it: cut at 128 bytes */
    memcpy(p->code, code, len);
    p->code[len] = '\0';
    x->np++;
    return ACDL_OK;
}

/* The mapped codes of source si, read once per transaction (a mapping committed between two
 * of them is seen by the next, as the join of each state with its code was). */
static int codes_load(struct ctx *x, int si)
{
    struct src *s = &x->srcs[si];
    size_t cap = 0;
    if (s->codes_loaded) {
        return ACDL_OK;
    }
    codes_free(s);
    sqlite3_stmt *q = store_prepare(x->c, "SELECT code, activity_id FROM activity_codes WHERE "
                                          "source_id = ? AND activity_id IS NOT NULL ORDER BY "
                                          "code");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, s->id);
    int rc = ACDL_OK, r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(q, 0);
        size_t len = (size_t)sqlite3_column_bytes(q, 0);
        char *dup = malloc(len + 1);
        if (!dup ||
            acdl_grow((void **)&s->codes, &cap, s->ncodes + 1, sizeof(*s->codes)) != ACDL_OK) {
            free(dup);
            rc = ACDL_ENOMEM;
            break;
        }
        memcpy(dup, code ? code : "", len);
        dup[len] = '\0';
        s->codes[s->ncodes].code = dup;
        s->codes[s->ncodes].act = sqlite3_column_int64(q, 1);
        s->ncodes++;
    }
    store_done(q);
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    s->codes_loaded = rc == ACDL_OK;
    return rc;
}

/* The activity of a code of source s: its mapping, or "present". */
static int64_t code_activity(const struct ctx *x, const struct src *s, const char *code)
{
    size_t lo = 0, hi = s->ncodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->codes[mid].code, code);
        if (c == 0) {
            return s->codes[mid].act;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return x->present;
}

/* Where the pieces of one external id are being made: the index of its first piece, and
 * whether a state came before and was a logout. */
struct id_pieces {
    size_t first;
    int have_prev, prev_logout;
};

/* The next state of an external id (in start order) into a piece. */
static int piece_state(struct ctx *x, int si, struct id_pieces *ip, int64_t start, int64_t end,
                       const char *code)
{
    const struct src *s = &x->srcs[si];
    int64_t act = code_activity(x, s, code);
    /* the state before this one, when it had no end of its own, lasts until now */
    if (ip->have_prev && !ip->prev_logout && x->np > ip->first && x->p[x->np - 1].end == OPEN_END) {
        x->p[x->np - 1].end = start;
    }
    ip->have_prev = 1;
    ip->prev_logout = s->states.span == SPAN_START_ONLY && is_logout(&s->states, code);
    if (ip->prev_logout) {
        return ACDL_OK; /* a logout ends the state before it and is no span itself */
    }
    return add_piece(x, start, end, act, si, code);
}

/* The external id's pieces done: too short ones dropped, their time going to the state
 * before them when that one touches them. */
static void pieces_end(struct ctx *x, int si, const struct id_pieces *ip)
{
    const struct src *s = &x->srcs[si];
    if (s->states.min_duration_s <= 0) {
        return;
    }
    size_t w = ip->first;
    for (size_t i = ip->first; i < x->np; i++) {
        struct piece *p = &x->p[i];
        if (p->end != OPEN_END && p->end - p->start < s->states.min_duration_s) {
            if (w > ip->first && x->p[w - 1].end == p->start) {
                x->p[w - 1].end = p->end;
            }
            continue;
        }
        x->p[w++] = *p;
    }
    x->np = w;
}

/* Reads the states of one external id with start in [lo, hi) and turns them into pieces. */
static int load_id(struct ctx *x, int si, const char *ext_agent, int64_t lo, int64_t hi)
{
    const struct src *s = &x->srcs[si];
    int rc = codes_load(x, si);
    if (rc != ACDL_OK) {
        return rc;
    }
    sqlite3_stmt *q = store_prepare(x->c, "SELECT start, end, code FROM agent_staged WHERE "
                                          "source_id = ?1 AND ext_agent = ?2 AND start >= ?3 "
                                          "AND start < ?4 ORDER BY start");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, s->id);
    sqlite3_bind_text(q, 2, ext_agent, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, lo);
    sqlite3_bind_int64(q, 4, hi);
    struct id_pieces ip = {x->np, 0, 0};
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        int has_end = sqlite3_column_type(q, 1) != SQLITE_NULL;
        x->had_end |= has_end;
        const char *code = (const char *)sqlite3_column_text(q, 2);
        rc = piece_state(x, si, &ip, sqlite3_column_int64(q, 0),
                         has_end ? sqlite3_column_int64(q, 1) : OPEN_END, code ? code : "");
        if (rc != ACDL_OK) {
            break;
        }
    }
    store_done(q);
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    if (rc == ACDL_OK) {
        pieces_end(x, si, &ip);
    }
    return rc;
}

/* load_id() from states the caller gives (those with start in [lo, hi) count). */
static int load_given(struct ctx *x, int si, const struct agent_given_state *st, size_t n,
                      int64_t lo, int64_t hi)
{
    int rc = codes_load(x, si);
    struct id_pieces ip = {x->np, 0, 0};
    for (size_t i = 0; rc == ACDL_OK && i < n; i++) {
        if (st[i].start >= lo && st[i].start < hi) {
            rc = piece_state(x, si, &ip, st[i].start,
                             st[i].end == AGENT_GIVEN_OPEN ? OPEN_END : st[i].end, st[i].code);
        }
    }
    if (rc == ACDL_OK) {
        pieces_end(x, si, &ip);
    }
    return rc;
}

static int cmp_piece(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    return x->seq - y->seq;
}

static int cmp_span_start(const void *a, const void *b)
{
    const struct agent_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int add_seg(struct ctx *x, const struct piece *p, int64_t start, int64_t end)
{
    if (x->nseg > 0) {
        struct piece *last = &x->seg[x->nseg - 1];
        if (last->end == start && last->act == p->act) {
            last->end = end;
            return ACDL_OK;
        }
    }
    if (acdl_grow((void **)&x->seg, &x->segcap, x->nseg + 1, sizeof(*x->seg)) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    x->seg[x->nseg] = *p;
    x->seg[x->nseg].start = start;
    x->seg[x->nseg].end = end;
    x->nseg++;
    return ACDL_OK;
}

/* Lays the sorted pieces over each other: the later start wins where they overlap. */
static int overlay(struct ctx *x)
{
    int overlapping = 0;
    x->nseg = 0;
    for (size_t i = 0; i + 1 < x->np; i++) {
        overlapping |= x->p[i].end > x->p[i + 1].start;
    }
    if (!overlapping) {
        for (size_t i = 0; i < x->np; i++) {
            if (x->p[i].end > x->p[i].start && add_seg(x, &x->p[i], x->p[i].start, x->p[i].end)) {
                return ACDL_ENOMEM;
            }
        }
        return ACDL_OK;
    }
    /* boundaries: every start and end; between two, the covering piece that started last */
    int64_t *b = malloc(2 * x->np * sizeof(*b));
    size_t *active = malloc(x->np * sizeof(*active));
    size_t nb = 0, na = 0, next = 0;
    int rc = ACDL_OK;
    if (!b || !active) {
        free(b);
        free(active);
        return ACDL_ENOMEM;
    }
    for (size_t i = 0; i < x->np; i++) {
        b[nb++] = x->p[i].start;
        if (x->p[i].end != OPEN_END) {
            b[nb++] = x->p[i].end;
        }
    }
    qsort(b, nb, sizeof(*b), cmp_i64);
    for (size_t i = 0; i < nb && rc == ACDL_OK; i++) {
        if (i > 0 && b[i] == b[i - 1]) {
            continue;
        }
        size_t w = 0;
        for (size_t k = 0; k < na; k++) {
            if (x->p[active[k]].end > b[i]) {
                active[w++] = active[k];
            }
        }
        na = w;
        while (next < x->np && x->p[next].start == b[i]) {
            if (x->p[next].end > b[i]) {
                active[na++] = next;
            }
            next++;
        }
        if (na == 0) {
            continue;
        }
        size_t win = active[0];
        for (size_t k = 1; k < na; k++) {
            if (cmp_piece(&x->p[active[k]], &x->p[win]) > 0) {
                win = active[k];
            }
        }
        size_t j = i + 1;
        while (j < nb && b[j] == b[i]) {
            j++;
        }
        int64_t end = j < nb ? b[j] : OPEN_END;
        rc = add_seg(x, &x->p[win], b[i], end);
    }
    free(b);
    free(active);
    return rc;
}

static int add_out(struct ctx *x, struct tz_date day, const struct piece *p, int64_t start,
                   int64_t end)
{
    if (acdl_grow((void **)&x->o, &x->ocap, x->no + 1, sizeof(*x->o)) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    struct out_span *o = &x->o[x->no++];
    o->day = day;
    o->start = start;
    o->end = end;
    o->act = p->act;
    o->src = p->src;
    o->code = p->code;
    return ACDL_OK;
}

/* Fills holes within a local day, then cuts the segments into days [from, to]. */
static int to_days(struct ctx *x, struct tz_date from, struct tz_date to)
{
    x->no = 0;
    struct piece hole;
    memset(&hole, 0, sizeof(hole));
    hole.act = x->logged_out;
    hole.src = -1;
    for (size_t i = 0; i < x->nseg; i++) {
        struct piece *p = &x->seg[i];
        const struct src *s = &x->srcs[p->src];
        struct tz_date d, d2;
        int64_t ds, de;
        tz_utc_to_local(s->tz, p->start, &d, NULL, NULL, NULL);
        int rc = ACDL_OK;
        if (p->end == OPEN_END || !s->states.split_at_midnight) {
            if (tz_date_cmp(d, from) >= 0 && tz_date_cmp(d, to) <= 0) {
                rc = add_out(x, d, p, p->start, p->end);
            }
        } else {
            for (int64_t t = p->start; t < p->end && rc == ACDL_OK;) {
                tz_day_bounds(s->tz, d, &ds, &de);
                int64_t e = de < p->end ? de : p->end;
                if (e <= t) {
                    break;
                }
                if (tz_date_cmp(d, from) >= 0 && tz_date_cmp(d, to) <= 0) {
                    rc = add_out(x, d, p, t, e);
                }
                t = e;
                tz_date_add_days(&d, 1);
            }
        }
        if (rc != ACDL_OK) {
            return rc;
        }
        /* a hole before the next segment, within one local day, is "logged out" */
        if (i + 1 < x->nseg && p->end != OPEN_END && p->end < x->seg[i + 1].start &&
            x->logged_out) {
            tz_utc_to_local(s->tz, p->end, &d, NULL, NULL, NULL);
            tz_utc_to_local(s->tz, x->seg[i + 1].start - 1, &d2, NULL, NULL, NULL);
            if (tz_date_cmp(d, d2) == 0 && tz_date_cmp(d, from) >= 0 && tz_date_cmp(d, to) <= 0 &&
                (rc = add_out(x, d, &hole, p->end, x->seg[i + 1].start))) {
                return rc;
            }
        }
    }
    return ACDL_OK;
}

static int cmp_out(const void *a, const void *b)
{
    const struct out_span *x = a, *y = b;
    int c = tz_date_cmp(x->day, y->day);
    if (c) {
        return c;
    }
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Appends v in decimal to *w (the caller leaves 20 bytes room). */
static char *put_i64(char *w, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *w++ = '-';
    }
    while (n) {
        *w++ = tmp[--n];
    }
    return w;
}

#define DIGEST_SEED 1469598103934665603ull

/* FNV-1a of h continued over one span's line "start,end,identifier\n" (end -1 while open), as
 * the digests stored so far were taken: a line of 200 bytes or more counts as its first 199 and
 * a NUL. */
static uint64_t digest_line(uint64_t h, int64_t start, int64_t end, const char *id)
{
    char buf[200];
    size_t il = strlen(id);
    char *w = put_i64(buf, start);
    *w++ = ',';
    w = put_i64(w, end == OPEN_END ? -1 : end);
    *w++ = ',';
    size_t len = (size_t)(w - buf), room = sizeof(buf) - 1 - len;
    memcpy(w, id, il < room ? il : room);
    len += il < room ? il : room;
    buf[len++] = il < room ? '\n' : '\0'; /* cut short: as snprintf left it */
    for (size_t k = 0; k < len; k++) {
        h = (h ^ (unsigned char)buf[k]) * 1099511628211ull;
    }
    return h;
}

/* The digest of a day: h (DIGEST_SEED, or the state after the spans before o) continued over
 * o[0..n). */
static void digest_of(const struct ctx *x, uint64_t h, const struct out_span *o, size_t n,
                      char out[17])
{
    for (size_t i = 0; i < n; i++) {
        h = digest_line(h, o[i].start, o[i].end, act_identifier(x, o[i].act));
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The day's spans as its span list (schema 0028, in parts since 0039): a line per span,
 * "start,end,activity_id,source_id,bytes:code\n", written after the first off bytes of x->list
 * (kept). *len: the whole list's length; it is x->list, valid until the next call. */
static int span_list_of(struct ctx *x, size_t off, const struct out_span *o, size_t n, size_t *len)
{
    size_t need = off + 1;
    for (size_t i = 0; i < n; i++) {
        need += 5 * 21 + 2 + (o[i].src >= 0 ? strlen(o[i].code) : 0);
    }
    if (acdl_grow((void **)&x->list, &x->listcap, need, 1) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    char *w = x->list + off;
    for (size_t i = 0; i < n; i++) {
        const char *code = o[i].src >= 0 ? o[i].code : "";
        size_t cl = strlen(code);
        w = put_i64(w, o[i].start);
        *w++ = ',';
        if (o[i].end != OPEN_END) {
            w = put_i64(w, o[i].end);
        }
        *w++ = ',';
        w = put_i64(w, o[i].act);
        *w++ = ',';
        w = put_i64(w, o[i].src >= 0 ? x->srcs[o[i].src].id : 0);
        *w++ = ',';
        w = put_i64(w, (int64_t)cl);
        *w++ = ':';
        memcpy(w, code, cl);
        w += cl;
        *w++ = '\n';
    }
    *len = (size_t)(w - x->list);
    return ACDL_OK;
}

/* The next change_seq: the greatest one read once per transaction (x->seq 0: not yet), then
 * counted on here; only this recomputation writes agent_days while it holds the transaction. */
static int next_seq(struct ctx *x, int64_t *seq)
{
    if (x->seq == 0) {
        sqlite3_stmt *s = store_prepare(x->c, "SELECT coalesce(max(change_seq), 0) FROM "
                                              "agent_days");
        if (!s) {
            return ACDL_EDB;
        }
        int r = sqlite3_step(s);
        int64_t top = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        store_done(s);
        if (r != SQLITE_ROW) {
            return ACDL_EDB;
        }
        x->seq = top;
    }
    *seq = ++x->seq;
    return ACDL_OK;
}

/* Reads an unsigned decimal up to sep from *p (advancing past sep); 0 or -1 when malformed. */
static int list_num(const char **p, const char *end, char sep, int64_t *v, int *empty)
{
    const char *q = *p;
    int neg = q < end && *q == '-';
    uint64_t u = 0;
    q += neg;
    const char *digits = q;
    while (q < end && *q >= '0' && *q <= '9' && u < UINT64_MAX / 10) {
        u = u * 10 + (uint64_t)(*q++ - '0');
    }
    if (q >= end || *q != sep) {
        return -1;
    }
    if (empty) {
        *empty = q == digits;
    } else if (q == digits) {
        return -1;
    }
    *v = neg ? -(int64_t)u : (int64_t)u;
    *p = q + 1;
    return 0;
}

/* One line of a stored span list ("start,end,activity,source,bytes:code\n"; an empty end: still
 * going), read in place from *p (advanced past it); -1 when it is malformed. */
struct list_span {
    int64_t start, stop, act, src, len;
    int open;
    const char *code; /* len bytes, not terminated */
};

static int list_span_next(const char **p, const char *end, struct list_span *ls)
{
    ls->open = 0;
    if (list_num(p, end, ',', &ls->start, NULL) || list_num(p, end, ',', &ls->stop, &ls->open) ||
        list_num(p, end, ',', &ls->act, NULL) || list_num(p, end, ',', &ls->src, NULL) ||
        list_num(p, end, ':', &ls->len, NULL) || ls->len < 0 || ls->len > end - *p - 1 ||
        (*p)[ls->len] != '\n') {
        return -1;
    }
    ls->code = *p;
    *p += ls->len + 1;
    return 0;
}

/* The spans of a stored day kept before the ones computed again: their list's first len bytes
 * (copied to x->list's start), how many, the digest's state after them, and whether the last
 * is open. */
struct kept {
    size_t len, n;
    uint64_t h;
    int open;
    size_t from;     /* the list's bytes before the first part rewritten (schema 0039) */
    int part;        /* that part's number */
    size_t part_n;   /* the day's spans before that part (schema 0040) */
    uint64_t part_h; /* the digest's state after them */
};

/* A part of a day's list (schema 0039) is closed once it holds this many bytes or more: a
 * part stays within its page, and a change rewrites only the part holding its cut and those
 * after. */
#define PART_BYTES 512

/* Writes the list's bytes from its part number part on: parts of whole lines, each closed at
 * PART_BYTES or more, replacing the stored parts from part on (had: the day had a row). Each
 * part gets what a change needs to begin there (schema 0040): its first start, the spans
 * before it (n before the first) and the digest's state after them (h before the first). */
static int write_parts(struct ctx *x, int64_t agent, const char *ds, int part, const char *list,
                       size_t len, int had, size_t n, uint64_t h)
{
    const char *p = list, *end = list + len;
    int rc = ACDL_OK;
    while (rc == ACDL_OK && p < end) {
        const char *b = p;
        size_t n0 = n;
        uint64_t h0 = h;
        int64_t first = 0;
        while (p < end && (size_t)(p - b) < PART_BYTES) {
            struct list_span ls;
            if (list_span_next(&p, end, &ls) != 0) {
                return ACDL_EINVAL;
            }
            first = n == n0 ? ls.start : first;
            h = digest_line(h, ls.start, ls.open ? OPEN_END : ls.stop, act_identifier(x, ls.act));
            n++;
        }
        sqlite3_stmt *s = store_prepare(
            x->c, "INSERT INTO agent_day_parts (agent_id, day, part, list, first_start, "
                  "spans_before, digest_before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT "
                  "DO UPDATE SET list = excluded.list, first_start = excluded.first_start, "
                  "spans_before = excluded.spans_before, digest_before = excluded.digest_before");
        if (!s) {
            return ACDL_EDB;
        }
        sqlite3_bind_int64(s, 1, agent);
        sqlite3_bind_text(s, 2, ds, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, part++);
        sqlite3_bind_text(s, 4, b, (int)(p - b), SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, first);
        sqlite3_bind_int64(s, 6, (int64_t)n0);
        sqlite3_bind_int64(s, 7, (int64_t)h0);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        store_done(s);
    }
    if (rc == ACDL_OK && had) {
        sqlite3_stmt *s = store_prepare(x->c, "DELETE FROM agent_day_parts WHERE agent_id = ?1 "
                                              "AND day = ?2 AND part >= ?3");
        if (!s) {
            return ACDL_EDB;
        }
        sqlite3_bind_int64(s, 1, agent);
        sqlite3_bind_text(s, 2, ds, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, part);
        rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
        store_done(s);
    }
    if (rc != ACDL_OK) {
        log_error("agents", "writing spans failed: %s", sqlite3_errmsg(store_db(x->c)));
    }
    return rc;
}

/* Writes one day when its digest differs from the stored one: its row (an update of the
 * stored row, or a new row) and its spans (those kept, if any, then o[0..n)) as one list in
 * parts, from the first part not wholly kept on. */
static int write_day(struct ctx *x, int64_t agent, struct tz_date day, const struct kept *k,
                     const struct out_span *o, size_t n, const char *old_digest,
                     struct agent_results_stats *st)
{
    char dig[17], ds[11];
    size_t len = 0, all = n + (k ? k->n : 0);
    int64_t seq = 0;
    digest_of(x, k ? k->h : DIGEST_SEED, o, n, dig);
    if (old_digest && !strcmp(old_digest, dig)) {
        return ACDL_OK;
    }
    tz_date_format(day, ds);
    if (span_list_of(x, k ? k->len : 0, o, n, &len) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    if (next_seq(x, &seq) != ACDL_OK) {
        return ACDL_EDB;
    }
    sqlite3_stmt *s = store_prepare(
        x->c, old_digest ? "UPDATE agent_days SET digest = ?3, spans = ?4, open = ?5, change_seq "
                           "= ?6, changed_at = ?7 WHERE agent_id = ?1 AND day = ?2"
                         : "INSERT INTO agent_days (agent_id, day, digest, spans, open, "
                           "change_seq, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent);
    sqlite3_bind_text(s, 2, ds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, dig, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, (int)all);
    sqlite3_bind_int(s, 5, n > 0 ? o[n - 1].end == OPEN_END : k && k->n > 0 && k->open);
    sqlite3_bind_int64(s, 6, seq);
    sqlite3_bind_int64(s, 7, plat_now());
    int r = sqlite3_step(s);
    store_done(s);
    if (r != SQLITE_DONE || sqlite3_changes(store_db(x->c)) != 1) {
        log_error("agents", "writing spans failed: %s", sqlite3_errmsg(store_db(x->c)));
        return ACDL_EDB;
    }
    size_t from = k ? k->from : 0;
    int rc = write_parts(x, agent, ds, k ? k->part : 0, x->list + from, len - from,
                         old_digest != NULL, k ? k->part_n : 0, k ? k->part_h : DIGEST_SEED);
    if (rc != ACDL_OK) {
        return rc;
    }
    if (st) {
        st->days_changed++;
        st->spans += (int64_t)all;
    }
    return ACDL_OK;
}

static int kept_of(struct ctx *x, const char *list, size_t len, int64_t cut, struct kept *k);

/* The stored list of an agent day from the part holding cut on (schema 0040: the last part
 * whose first span starts before cut, else the first): those parts joined (*list, *len;
 * malloc'd), where each ends (*ends, *nparts; malloc'd), the first one's number (*part) and
 * the state before it (*n spans, digest *h). Parts written before 0040 carry no state: then
 * the whole day from part 0 on, *whole set. */
static int day_tail(struct ctx *x, int64_t agent, struct tz_date day, int64_t cut, char **list,
                    size_t *len, size_t **ends, int *nparts, int *part, size_t *n, uint64_t *h,
                    int *whole)
{
    char ds[11];
    size_t cap = 0, ecap = 0;
    int r, rc = ACDL_OK;
    tz_date_format(day, ds);
    *list = NULL;
    *len = 0;
    *ends = NULL;
    *nparts = 0;
    *part = 0;
    *n = 0;
    *h = DIGEST_SEED;
    *whole = 0;
    sqlite3_stmt *q = store_prepare(
        x->c, "SELECT part, list, first_start, spans_before, digest_before FROM agent_day_parts "
              "WHERE agent_id = ?1 AND day = ?2 AND part >= coalesce((SELECT part FROM "
              "agent_day_parts WHERE agent_id = ?1 AND day = ?2 AND first_start < ?3 ORDER BY "
              "part DESC LIMIT 1), 0) ORDER BY part");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, agent);
    sqlite3_bind_text(q, 2, ds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, cut);
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(q, 1);
        size_t pn = (size_t)sqlite3_column_bytes(q, 1);
        if (*nparts == 0) {
            *part = sqlite3_column_int(q, 0);
            *whole = sqlite3_column_type(q, 3) == SQLITE_NULL ||
                     sqlite3_column_type(q, 4) == SQLITE_NULL;
            if (*whole && *part != 0) {
                rc = ACDL_EINVAL; /* a part with a state always follows one with a state */
                break;
            }
            *n = *whole ? 0 : (size_t)sqlite3_column_int64(q, 3);
            *h = *whole ? DIGEST_SEED : (uint64_t)sqlite3_column_int64(q, 4);
        }
        if (acdl_grow((void **)list, &cap, *len + pn + 1, 1) != ACDL_OK ||
            acdl_grow((void **)ends, &ecap, (size_t)*nparts + 1, sizeof(**ends)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        memcpy(*list + *len, p ? p : "", pn);
        *len += pn;
        (*ends)[(*nparts)++] = *len;
    }
    store_done(q);
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    return rc;
}

/* Counts on *n and the digest's state *h over the spans of list[0..len). */
static int list_state(const struct ctx *x, const char *list, size_t len, size_t *n, uint64_t *h)
{
    const char *p = list, *end = list + len;
    while (p < end) {
        struct list_span ls;
        if (list_span_next(&p, end, &ls) != 0) {
            return ACDL_EINVAL;
        }
        *h = digest_line(*h, ls.start, ls.open ? OPEN_END : ls.stop, act_identifier(x, ls.act));
        (*n)++;
    }
    return ACDL_OK;
}

/* Writes the computed spans x->o (in day and start order) over the stored days from..to: a
 * day whose spans changed is rewritten, a stored one now without spans emptied. With cut (0:
 * none) the stored spans before it are kept and x->o holds those from it on. The stored days
 * are read before any is written. */
static int write_days(struct ctx *x, int64_t agent, struct tz_date from, struct tz_date to,
                      int64_t cut, struct agent_results_stats *st)
{
    char fs[11], ts[11];
    tz_date_format(from, fs);
    tz_date_format(to, ts);
    sqlite3_stmt *q = store_prepare(
        x->c, "SELECT day, digest FROM agent_days WHERE agent_id = ? AND day >= ? AND day <= ? "
              "ORDER BY day");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, agent);
    sqlite3_bind_text(q, 2, fs, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, ts, -1, SQLITE_TRANSIENT);
    struct stored {
        struct tz_date day;
        char digest[17];
        char *list; /* with cut: its parts from the one holding the cut on, joined */
        size_t len;
        size_t *ends;     /* where each part ends in list */
        int nparts, part; /* how many, the first one's number */
        size_t n;         /* the day's spans before it */
        uint64_t h;       /* the digest's state after them */
        int whole;        /* parts without a state (before schema 0040): all of them read */
    } *old = NULL;
    size_t nold = 0, oldcap = 0;
    int r, rc = ACDL_OK;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (acdl_grow((void **)&old, &oldcap, nold + 1, sizeof(*old)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        struct stored *o = &old[nold++];
        memset(o, 0, sizeof(*o));
        if (tz_date_parse((const char *)sqlite3_column_text(q, 0), &o->day) != ACDL_OK) {
            rc = ACDL_EINVAL;
            break;
        }
        store_column_text(q, 1, o->digest, sizeof(o->digest));
    }
    store_done(q);
    if (rc == ACDL_OK && r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    for (size_t m = 0; cut && rc == ACDL_OK && m < nold; m++) {
        struct stored *o = &old[m];
        rc = day_tail(x, agent, o->day, cut, &o->list, &o->len, &o->ends, &o->nparts, &o->part,
                      &o->n, &o->h, &o->whole);
    }
    size_t i = 0, k = 0;
    while (rc == ACDL_OK && (i < x->no || k < nold)) {
        int c = i >= x->no ? 1 : k >= nold ? -1 : tz_date_cmp(x->o[i].day, old[k].day);
        struct tz_date d = c > 0 ? old[k].day : x->o[i].day;
        size_t j = i;
        while (c <= 0 && j < x->no && tz_date_cmp(x->o[j].day, d) == 0) {
            j++;
        }
        struct kept kp, *kept = NULL;
        if (c >= 0 && cut) {
            struct stored *o = &old[k];
            kp.n = o->n;
            kp.h = o->h;
            rc = kept_of(x, o->list, o->len, cut, &kp);
            /* from the first part not wholly kept on (all of them for a day read whole, so
             * that each part gets its state); its state: the stored one, or the kept spans' */
            kp.part = o->part;
            kp.part_n = o->n;
            kp.part_h = o->h;
            for (int e = 0; !o->whole && e < o->nparts && o->ends[e] <= kp.len; e++) {
                kp.from = o->ends[e];
                kp.part++;
            }
            if (kp.from == kp.len) {
                kp.part_n = kp.n;
                kp.part_h = kp.h;
            } else if (kp.from > 0 && rc == ACDL_OK) {
                rc = list_state(x, o->list, kp.from, &kp.part_n, &kp.part_h);
            }
            kept = &kp;
        }
        if (rc == ACDL_OK) {
            rc = write_day(x, agent, d, kept, j > i ? &x->o[i] : NULL, j - i,
                           c >= 0 ? old[k].digest : NULL, st);
        }
        k += c >= 0;
        i = j;
    }
    for (size_t m = 0; m < nold; m++) {
        free(old[m].list);
        free(old[m].ends);
    }
    free(old);
    return rc;
}

struct ext_id {
    int64_t source_id;
    char ext_agent[129];
};

static int agent_ids(struct ctx *x, int64_t agent, struct ext_id **out, int *n)
{
    sqlite3_stmt *s = store_prepare(x->c, "SELECT source_id, ext_agent FROM agent_ids WHERE "
                                          "agent_id = ? ORDER BY source_id, ext_agent");
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (acdl_grow((void **)out, &cap, (size_t)*n + 1, sizeof(**out)) != ACDL_OK) {
            store_done(s);
            return ACDL_ENOMEM;
        }
        (*out)[*n].source_id = sqlite3_column_int64(s, 0);
        store_column_text(s, 1, (*out)[*n].ext_agent, sizeof((*out)[0].ext_agent));
        (*n)++;
    }
    store_done(s);
    return ACDL_OK;
}

/* The widest day range of the agent's staged states and results. 1 when there is none. */
static int agent_range(struct ctx *x, int64_t agent, const struct ext_id *ids, int n,
                       struct tz_date *from, struct tz_date *to)
{
    int any = 0;
    sqlite3_stmt *s = store_prepare(x->c, "SELECT min(day), max(day) FROM agent_staged WHERE "
                                          "source_id = ? AND ext_agent = ?");
    for (int i = 0; s && i <= n; i++) {
        if (i == n) {
            s = store_prepare(x->c, "SELECT min(day), max(day) FROM agent_days WHERE agent_id = ?");
            if (!s) {
                break;
            }
            sqlite3_bind_int64(s, 1, agent);
        } else {
            sqlite3_bind_int64(s, 1, ids[i].source_id);
            sqlite3_bind_text(s, 2, ids[i].ext_agent, -1, SQLITE_TRANSIENT);
        }
        struct tz_date a, b;
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
            tz_date_parse((const char *)sqlite3_column_text(s, 0), &a) == ACDL_OK &&
            tz_date_parse((const char *)sqlite3_column_text(s, 1), &b) == ACDL_OK) {
            if (!any || tz_date_cmp(a, *from) < 0) {
                *from = a;
            }
            if (!any || tz_date_cmp(b, *to) > 0) {
                *to = b;
            }
            any = 1;
        }
        store_done(s);
    }
    if (any) {
        tz_date_add_days(to, 1); /* a state crossing midnight after the last staged day */
    }
    return any ? 0 : 1;
}

/* The states of an agent's only external id, given instead of read back. */
struct given {
    int64_t source_id;
    const struct agent_given_state *st;
    size_t n;
};

static int compute_agent(struct ctx *x, int64_t agent, const char *from_s, const char *to_s,
                         const struct given *g, struct agent_results_stats *st)
{
    struct ext_id *ids = NULL;
    struct tz_date from, to;
    int n = 0, rc = ACDL_OK;
    if (g) {
        ids = calloc(1, sizeof(*ids));
        rc = ids ? ACDL_OK : ACDL_ENOMEM;
        if (ids) {
            ids[0].source_id = g->source_id;
            n = 1;
        }
    } else {
        rc = agent_ids(x, agent, &ids, &n);
    }
    if (rc != ACDL_OK) {
        goto out;
    }
    if (from_s && to_s) {
        if (tz_date_parse(from_s, &from) != ACDL_OK || tz_date_parse(to_s, &to) != ACDL_OK) {
            rc = ACDL_EINVAL;
            goto out;
        }
    } else if (agent_range(x, agent, ids, n, &from, &to) != 0) {
        goto out; /* nothing staged, no results */
    }
    x->np = 0;
    for (int i = 0; i < n; i++) {
        int si = src_get(x, ids[i].source_id);
        struct tz_date a = from, b = to;
        int64_t lo, hi;
        if (si < 0) {
            continue;
        }
        tz_date_add_days(&a, -1);
        tz_date_add_days(&b, 1);
        tz_day_bounds(x->srcs[si].tz, a, &lo, NULL);
        tz_day_bounds(x->srcs[si].tz, b, NULL, &hi);
        rc = g ? load_given(x, si, g->st, g->n, lo, hi) : load_id(x, si, ids[i].ext_agent, lo, hi);
        if (rc != ACDL_OK) {
            goto out;
        }
    }
    size_t ordered = 1; /* one source's states come in start order: nothing to sort */
    while (ordered < x->np && cmp_piece(&x->p[ordered - 1], &x->p[ordered]) < 0) {
        ordered++;
    }
    if (ordered < x->np) {
        qsort(x->p, x->np, sizeof(*x->p), cmp_piece);
    }
    if ((rc = overlay(x)) != ACDL_OK || (rc = to_days(x, from, to)) != ACDL_OK) {
        goto out;
    }
    if (x->no > 1) {
        qsort(x->o, x->no, sizeof(*x->o), cmp_out);
    }

    rc = write_days(x, agent, from, to, 0, st);
    if (st) {
        st->agents++;
    }
out:
    free(ids);
    return rc;
}

int agent_results_apply(struct store_conn *c, const int64_t *agents, int n, const char *from,
                        const char *to, struct agent_results_stats *st)
{
    struct ctx x;
    int rc = ctx_init(&x, c);
    int own = sqlite3_get_autocommit(store_db(c));
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        /* outside a transaction: short ones of BATCH_AGENTS agents, so that other writers
         * (a run, a login) never wait long */
        if (own && i % BATCH_AGENTS == 0) {
            rc = i > 0 ? store_commit(c) : ACDL_OK;
            if (i > 0) {
                store_yield(); /* a write that waits goes between two batches */
            }
            if (rc == ACDL_OK) {
                rc = store_begin(c);
            }
            if (rc != ACDL_OK) {
                break;
            }
            for (int k = 0; k < x.nsrc; k++) {
                x.srcs[k].codes_loaded = 0; /* read again in this transaction */
            }
            x.seq = 0;
        }
        rc = compute_agent(&x, agents[i], from, to, NULL, st);
    }
    if (own && !sqlite3_get_autocommit(store_db(c))) {
        if (rc == ACDL_OK) {
            rc = store_commit(c);
        } else {
            store_rollback(c);
        }
    }
    if (rc != ACDL_OK) {
        log_error("agents", "computing agent spans failed: %s", acdl_strerror(rc));
    }
    ctx_free(&x);
    return rc;
}

int agent_results_apply_source(struct store_conn *c, int64_t source_id, const char *from,
                               const char *to, struct agent_results_stats *st)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT DISTINCT agent_id FROM agent_ids WHERE agent_id "
                                       "IS NOT NULL AND (?1 = 0 OR source_id = ?1) ORDER BY 1");
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = ACDL_OK;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (acdl_grow((void **)&ids, &cap, n + 1, sizeof(*ids)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        ids[n++] = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    if (rc == ACDL_OK) {
        rc = agent_results_apply(c, ids, (int)n, from, to, st);
    }
    free(ids);
    return rc;
}

struct agent_results_run {
    struct ctx x;
};

int agent_results_run_open(struct store_conn *c, struct agent_results_run **out)
{
    struct agent_results_run *u = malloc(sizeof(*u));
    *out = NULL;
    if (!u) {
        return ACDL_ENOMEM;
    }
    int rc = ctx_init(&u->x, c);
    if (rc != ACDL_OK) {
        ctx_free(&u->x);
        free(u);
        return rc;
    }
    *out = u;
    return ACDL_OK;
}

void agent_results_run_close(struct agent_results_run *u)
{
    if (u) {
        ctx_free(&u->x);
        free(u);
    }
}

int agent_results_run_window(struct agent_results_run *u, int64_t source_id, const char *from,
                             const char *to, int64_t *lo, int64_t *hi)
{
    struct tz_date a, b;
    int si = src_get(&u->x, source_id);
    if (si < 0 || tz_date_parse(from, &a) != ACDL_OK || tz_date_parse(to, &b) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    tz_date_add_days(&a, -1); /* as compute_agent reads them */
    tz_date_add_days(&b, 1);
    tz_day_bounds(u->x.srcs[si].tz, a, lo, NULL);
    tz_day_bounds(u->x.srcs[si].tz, b, NULL, hi);
    return ACDL_OK;
}

int agent_results_run_agent(struct agent_results_run *u, int64_t agent_id, int64_t source_id,
                            const char *from, const char *to, const struct agent_given_state *st,
                            size_t n, struct agent_results_stats *stats)
{
    const struct given g = {source_id, st, n};
    return compute_agent(&u->x, agent_id, from, to, &g, stats);
}

/* The identifiers of the activities, sorted by id. */
static int acts_load(struct store_conn *c, struct activity_name **acts, int *n)
{
    struct ctx x;
    int rc = ctx_init(&x, c);
    *acts = x.acts;
    *n = x.nacts;
    x.acts = NULL;
    ctx_free(&x);
    return rc;
}

struct agent_acts {
    struct activity_name *acts;
    int n;
};

int agent_results_acts(struct store_conn *c, struct agent_acts **out)
{
    struct agent_acts *a = calloc(1, sizeof(*a));
    *out = NULL;
    if (!a) {
        return ACDL_ENOMEM;
    }
    int rc = acts_load(c, &a->acts, &a->n);
    if (rc != ACDL_OK) {
        agent_results_acts_free(a);
        return rc;
    }
    *out = a;
    return ACDL_OK;
}

void agent_results_acts_free(struct agent_acts *a)
{
    if (a) {
        free(a->acts);
        free(a);
    }
}

int agent_results_spans(struct store_conn *c, int64_t agent_id, const char *from, const char *to,
                        int limit, struct agent_span **out, char (**days)[11], int *n)
{
    struct agent_acts *acts = NULL;
    *out = NULL;
    *days = NULL;
    *n = 0;
    int rc = agent_results_acts(c, &acts);
    if (rc == ACDL_OK) {
        rc = agent_results_spans_with(c, acts, agent_id, from, to, limit, out, days, n);
    }
    agent_results_acts_free(acts);
    return rc;
}

/* The start of the back-th staged state of ext_agent before t with start >= floor (0: none). */
static int state_before(struct ctx *x, int si, const char *ext_agent, int64_t t, int64_t floor,
                        int back, int64_t *start)
{
    sqlite3_stmt *q = store_prepare(x->c, "SELECT start FROM agent_staged WHERE source_id = ?1 "
                                          "AND ext_agent = ?2 AND start < ?3 AND start >= ?4 "
                                          "ORDER BY start DESC LIMIT 1 OFFSET ?5");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, x->srcs[si].id);
    sqlite3_bind_text(q, 2, ext_agent, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, t);
    sqlite3_bind_int64(q, 4, floor);
    sqlite3_bind_int(q, 5, back - 1);
    int r = sqlite3_step(q);
    *start = r == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    store_done(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

/* The spans of the external id's states from start sj on (x->p, x->seg), and the time from
 * which they are the whole computation's: *cut, the end of their first segment, when the
 * second one (and so the boundary between them) depends only on states before since (its
 * first piece ends before since), else 0. */
static int tail_from(struct ctx *x, int si, const char *ext_agent, int64_t sj, int64_t since,
                     int64_t hi, int64_t *cut)
{
    *cut = 0;
    x->np = 0;
    x->had_end = 0;
    int rc = load_id(x, si, ext_agent, sj, hi);
    if (rc != ACDL_OK || x->had_end) {
        return rc;
    }
    for (size_t i = 0; i + 1 < x->np; i++) {
        if (x->p[i].end > x->p[i + 1].start) {
            return ACDL_OK; /* overlapping pieces: the whole computation */
        }
    }
    if ((rc = overlay(x)) != ACDL_OK || x->nseg < 2) {
        return rc;
    }
    for (size_t i = 0; i < x->np; i++) {
        if (x->p[i].start == x->seg[1].start) {
            if (x->p[i].end < since) {
                *cut = x->seg[0].end;
            }
            break;
        }
    }
    return ACDL_OK;
}

/* The stored spans of a day before cut: their bytes at the list's start, copied to x->list,
 * counted on from k->n spans and the digest's state k->h before the list (the rest of *k
 * zeroed). */
static int kept_of(struct ctx *x, const char *list, size_t len, int64_t cut, struct kept *k)
{
    const char *p = list, *end = list + len;
    size_t n = k->n;
    uint64_t h = k->h;
    memset(k, 0, sizeof(*k));
    k->n = n;
    k->h = h;
    while (p < end) {
        struct list_span ls;
        const char *line = p;
        if (list_span_next(&p, end, &ls) != 0) {
            return ACDL_EINVAL;
        }
        if (ls.start >= cut) {
            p = line;
            break;
        }
        k->h = digest_line(k->h, ls.start, ls.open ? OPEN_END : ls.stop, act_identifier(x, ls.act));
        k->open = ls.open;
        k->n++;
    }
    k->len = (size_t)(p - list);
    if (acdl_grow((void **)&x->list, &x->listcap, k->len + 1, 1) != ACDL_OK) {
        return ACDL_ENOMEM;
    }
    if (k->len) {
        memcpy(x->list, list, k->len);
    }
    return ACDL_OK;
}

#define SINCE_BACK_FIRST 4
#define SINCE_BACK_MAX 64

/* The cut (tail_from) of the states before t from the few before it on, with start >= floor:
 * more of them while none is shown; 0 when there is none. */
static int cut_before(struct ctx *x, int si, const char *ext_agent, int64_t t, int64_t floor,
                      int64_t hi, int64_t *cut)
{
    int64_t sj = 0;
    int rc = ACDL_OK;
    *cut = 0;
    for (int back = SINCE_BACK_FIRST; back <= SINCE_BACK_MAX && !*cut; back *= 4) {
        if ((rc = state_before(x, si, ext_agent, t, floor, back, &sj)) != ACDL_OK || sj == 0) {
            break;
        }
        rc = tail_from(x, si, ext_agent, sj, t, hi, cut);
    }
    return rc;
}

/* *settled: 1 when the stored spans of day d are what any computation whose days begin at d
 * or before gives (which reads from the day before its first on): the external id has no
 * state before the day before d, or the states of the day before d have a cut, from which on
 * the spans do not depend on earlier states. A state that reaches over a whole day into d
 * without one makes d's spans depend on where the computation began to read. */
static int day_settled(struct ctx *x, int si, const char *ext_agent, struct tz_date d, int *settled)
{
    struct tz_date p = d;
    int64_t d0, p0, cut = 0;
    tz_date_add_days(&p, -1);
    tz_day_bounds(x->srcs[si].tz, d, &d0, NULL);
    tz_day_bounds(x->srcs[si].tz, p, &p0, NULL);
    *settled = 0;
    sqlite3_stmt *q = store_prepare(x->c, "SELECT EXISTS (SELECT 1 FROM agent_staged WHERE "
                                          "source_id = ?1 AND ext_agent = ?2 AND start < ?3)");
    if (!q) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(q, 1, x->srcs[si].id);
    sqlite3_bind_text(q, 2, ext_agent, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, p0);
    int r = sqlite3_step(q);
    int before = r == SQLITE_ROW && sqlite3_column_int(q, 0);
    store_done(q);
    if (r != SQLITE_ROW) {
        return ACDL_EDB;
    }
    if (!before) {
        *settled = 1;
        return ACDL_OK;
    }
    int rc = cut_before(x, si, ext_agent, d0, p0, d0, &cut);
    *settled = rc == ACDL_OK && cut != 0;
    return rc;
}

/* compute_agent() for an agent whose only external id is ext_agent of source si, when its
 * states changed from since on and its stored days are those of the states before: the
 * stored spans before the cut are kept, the rest computed from a few states before since on.
 * *whole: 1 when that cannot be shown equal to the whole computation (nothing written). */
static int compute_since(struct ctx *x, int64_t agent, int si, const char *ext_agent, int64_t since,
                         const char *from_s, const char *to_s, int *whole,
                         struct agent_results_stats *st)
{
    struct src *s = &x->srcs[si];
    struct tz_date from, to, a, b, dc;
    int64_t lo, hi, day0, cut = 0;
    int rc;
    *whole = 1;
    if (s->states.span != SPAN_START_ONLY || tz_date_parse(from_s, &from) != ACDL_OK ||
        tz_date_parse(to_s, &to) != ACDL_OK ||
        tz_utc_to_local(s->tz, since, &dc, NULL, NULL, NULL) != ACDL_OK) {
        return ACDL_OK;
    }
    a = from;
    b = to;
    tz_date_add_days(&a, -1);
    tz_date_add_days(&b, 1);
    tz_day_bounds(s->tz, a, &lo, NULL);
    tz_day_bounds(s->tz, b, NULL, &hi);
    tz_day_bounds(s->tz, dc, &day0, NULL);
    struct tz_date next = from;
    tz_date_add_days(&next, 1);
    if (since < lo || since >= hi || tz_date_cmp(dc, next) != 0) {
        return ACDL_OK;
    }
    /* the stored days kept (the one before since's, and since's up to the cut) must not
     * depend on where their computation began to read */
    int settled = 0;
    if ((rc = day_settled(x, si, ext_agent, from, &settled)) != ACDL_OK || !settled ||
        (rc = day_settled(x, si, ext_agent, dc, &settled)) != ACDL_OK || !settled) {
        return rc;
    }
    /* from a few states before since (on its own day), more while the cut is not shown */
    if ((rc = cut_before(x, si, ext_agent, since, day0 > lo ? day0 : lo, hi, &cut)) != ACDL_OK ||
        !cut) {
        return rc; /* a short day: the whole computation reads little */
    }
    if ((rc = to_days(x, from, to)) != ACDL_OK) {
        return rc;
    }
    size_t w = 0; /* the computed spans from the cut on */
    for (size_t i = 0; i < x->no; i++) {
        if (x->o[i].start >= cut) {
            x->o[w++] = x->o[i];
        }
    }
    x->no = w;
    if (x->no > 1) {
        qsort(x->o, x->no, sizeof(*x->o), cmp_out);
    }
    /* the stored days the cut reaches: each keeps its spans before the cut */
    struct tz_date cd;
    if (tz_utc_to_local(s->tz, cut, &cd, NULL, NULL, NULL) != ACDL_OK) {
        return ACDL_EINVAL;
    }
    *whole = 0;
    rc = write_days(x, agent, tz_date_cmp(cd, from) > 0 ? cd : from, to, cut, st);
    if (rc == ACDL_OK && st) {
        st->agents++;
        st->from_change++;
    }
    return rc;
}

static int pending_recompute(struct store_conn *c, int *pending)
{
    sqlite3_stmt *q = store_prepare(c, "SELECT EXISTS (SELECT 1 FROM recomputes WHERE kind IN "
                                       "('source_agents', 'agent'))");
    if (!q) {
        return ACDL_EDB;
    }
    int r = sqlite3_step(q);
    *pending = r == SQLITE_ROW && sqlite3_column_int(q, 0);
    store_done(q);
    return r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}

int agent_results_apply_since(struct store_conn *c, int64_t source_id, const struct agent_since *ag,
                              int n, const char *from, const char *to,
                              struct agent_results_stats *st)
{
    struct ctx x;
    int rc = ctx_init(&x, c), pending = 1;
    int si = rc == ACDL_OK ? src_get(&x, source_id) : -1;
    if (rc == ACDL_OK) {
        rc = pending_recompute(c, &pending);
    }
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        int whole = 1;
        if (si >= 0 && !pending && ag[i].since != AGENT_SINCE_WHOLE) {
            rc = compute_since(&x, ag[i].agent_id, si, ag[i].ext_agent, ag[i].since, from, to,
                               &whole, st);
        }
        if (rc == ACDL_OK && whole) {
            rc = compute_agent(&x, ag[i].agent_id, from, to, NULL, st);
        }
    }
    if (rc != ACDL_OK) {
        log_error("agents", "computing agent spans failed: %s", acdl_strerror(rc));
    }
    ctx_free(&x);
    return rc;
}

int agent_results_spans_with(struct store_conn *c, const struct agent_acts *acts, int64_t agent_id,
                             const char *from, const char *to, int limit, struct agent_span **out,
                             char (**days)[11], int *n)
{
    size_t cap = 0, dcap = 0;
    int rc = ACDL_OK;
    *out = NULL;
    *days = NULL;
    *n = 0;
    char cur[11] = "";
    int first = 0;
    sqlite3_stmt *s = store_prepare(c, "SELECT day, list FROM agent_day_parts WHERE agent_id = ? "
                                       "AND day >= ? AND day <= ? ORDER BY day, part");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_TRANSIENT);
    while (rc == ACDL_OK && *n < limit && sqlite3_step(s) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 1);
        const char *end = p + sqlite3_column_bytes(s, 1);
        const char *day = (const char *)sqlite3_column_text(s, 0);
        if (strcmp(cur, day ? day : "") != 0) { /* a day's first part */
            if (*n - first > 1) {
                qsort(*out + first, (size_t)(*n - first), sizeof(**out), cmp_span_start);
            }
            snprintf(cur, sizeof(cur), "%s", day ? day : "");
            first = *n;
        }
        while (p && p < end && *n < limit) {
            struct list_span ls;
            if (list_span_next(&p, end, &ls)) {
                log_error("agents", "agent %lld: the stored spans of %s are malformed",
                          (long long)agent_id, (const char *)sqlite3_column_text(s, 0));
                rc = ACDL_EDB;
                break;
            }
            const char *ident = act_find(acts->acts, acts->n, ls.act);
            if (!ident[0]) {
                continue; /* its activity was deleted: the day is computed again */
            }
            if (acdl_grow((void **)out, &cap, (size_t)*n + 1, sizeof(**out)) != ACDL_OK ||
                acdl_grow((void **)days, &dcap, (size_t)*n + 1, sizeof(**days)) != ACDL_OK) {
                rc = ACDL_ENOMEM;
                break;
            }
            struct agent_span *sp = &(*out)[*n];
            store_column_text(s, 0, (*days)[*n], sizeof((*days)[0]));
            sp->start = ls.start;
            sp->end = ls.open ? 0 : ls.stop;
            sp->activity_id = ls.act;
            snprintf(sp->activity, sizeof(sp->activity), "%s", ident);
            sp->source_id = ls.src;
            snprintf(
                sp->code, sizeof(sp->code), "%.*s",
                (int)(ls.len < (int64_t)sizeof(sp->code) ? ls.len : (int64_t)sizeof(sp->code) - 1),
                ls.code);
            (*n)++;
        }
    }
    store_done(s);
    if (rc == ACDL_OK && *n - first > 1) {
        qsort(*out + first, (size_t)(*n - first), sizeof(**out), cmp_span_start);
    }
    return rc;
}

static int cmp_ref_start(const void *a, const void *b)
{
    const struct agent_span_ref *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

int agent_results_day_spans(struct store_conn *c, const struct agent_acts *acts, int64_t agent_id,
                            const char *day, int limit, struct agent_span_ref **buf, size_t *cap,
                            size_t *n)
{
    return agent_results_day_spans_from(c, acts, agent_id, day, 0, INT_MAX, limit, buf, cap, n);
}

int agent_results_day_spans_from(struct store_conn *c, const struct agent_acts *acts,
                                 int64_t agent_id, const char *day, int part, int last, int limit,
                                 struct agent_span_ref **buf, size_t *cap, size_t *n)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT list FROM agent_day_parts WHERE agent_id = ? AND "
                                       "day = ? AND part >= ? AND part <= ? ORDER BY part");
    int rc = ACDL_OK, kept = 0, sorted = 1;
    size_t first = *n;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, part);
    sqlite3_bind_int(s, 4, last);
    int r;
    while (rc == ACDL_OK && kept < limit && (r = sqlite3_step(s)) != SQLITE_DONE) {
        if (r != SQLITE_ROW) {
            rc = ACDL_EDB;
            break;
        }
        const char *p = (const char *)sqlite3_column_text(s, 0);
        const char *end = p + sqlite3_column_bytes(s, 0);
        while (p && p < end && kept < limit) {
            struct list_span ls;
            if (list_span_next(&p, end, &ls)) {
                log_error("agents", "agent %lld: the stored spans of %s are malformed",
                          (long long)agent_id, day);
                rc = ACDL_EDB;
                break;
            }
            const char *ident = act_find(acts->acts, acts->n, ls.act);
            if (!ident[0]) {
                continue; /* its activity was deleted: the day is computed again */
            }
            if (acdl_grow((void **)buf, cap, *n + 1, sizeof(**buf)) != ACDL_OK) {
                rc = ACDL_ENOMEM;
                break;
            }
            struct agent_span_ref *sp = &(*buf)[(*n)++];
            sp->start = ls.start;
            sp->end = ls.open ? 0 : ls.stop;
            sp->activity = ident;
            sp->source_id = ls.src;
            sorted = sorted && (kept == 0 || sp[-1].start <= sp->start);
            kept++;
        }
    }
    store_done(s);
    if (rc == ACDL_OK && !sorted) { /* lists are written in start order: hardly ever */
        qsort(*buf + first, (size_t)kept, sizeof(**buf), cmp_ref_start);
    }
    return rc;
}

uint64_t agent_results_acts_digest(const struct agent_acts *a)
{
    uint64_t h = DIGEST_SEED;
    for (int i = 0; i < a->n; i++) {
        h = digest_line(h, a->acts[i].id, 0, a->acts[i].identifier);
    }
    return h;
}

int agent_results_day_parts(struct store_conn *c, int64_t agent_id, const char *day,
                            struct agent_part_state **out, int *np, int *nspans, uint64_t *digest)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT digest, spans FROM agent_days WHERE agent_id = ? "
                                       "AND day = ?");
    int rc = ACDL_OK, r;
    size_t cap = 0;
    *out = NULL;
    *np = 0;
    *nspans = 0;
    *digest = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(s, 0);
        *digest = d ? strtoull(d, NULL, 16) : 0;
        *nspans = sqlite3_column_int(s, 1);
    } else if (r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    if (rc != ACDL_OK || *nspans == 0) {
        return rc;
    }
    s = store_prepare(c, "SELECT part, first_start, spans_before, digest_before FROM "
                         "agent_day_parts WHERE agent_id = ? AND day = ? ORDER BY part");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
    while (rc == ACDL_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 1) == SQLITE_NULL || sqlite3_column_type(s, 2) == SQLITE_NULL ||
            sqlite3_column_type(s, 3) == SQLITE_NULL) {
            rc = ACDL_ENOTFOUND; /* written before 0040 */
            break;
        }
        if (acdl_grow((void **)out, &cap, (size_t)*np + 1, sizeof(**out)) != ACDL_OK) {
            rc = ACDL_ENOMEM;
            break;
        }
        struct agent_part_state *p = &(*out)[(*np)++];
        p->part = sqlite3_column_int(s, 0);
        p->first_start = sqlite3_column_int64(s, 1);
        p->spans_before = sqlite3_column_int(s, 2);
        p->digest_before = (uint64_t)sqlite3_column_int64(s, 3);
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(s);
    if (rc != ACDL_OK) {
        free(*out);
        *out = NULL;
        *np = 0;
    }
    return rc;
}

static void row_to_change(sqlite3_stmt *s, void *elem)
{
    struct agent_day_change *d = elem;
    d->agent_id = sqlite3_column_int64(s, 0);
    store_column_text(s, 1, d->agent, sizeof(d->agent));
    store_column_text(s, 2, d->day, sizeof(d->day));
    d->change_seq = sqlite3_column_int64(s, 3);
    d->spans = sqlite3_column_int(s, 4);
    d->open = sqlite3_column_int(s, 5);
}

int agent_results_changes(struct store_conn *c, int64_t after_seq, int limit,
                          struct agent_day_change **out, int *n)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT d.agent_id, a.identifier, d.day, d.change_seq, d.spans, d.open FROM "
           "agent_days d JOIN wfm_agents a ON a.id = d.agent_id WHERE d.change_seq > ? ORDER BY "
           "d.change_seq LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, after_seq);
    sqlite3_bind_int(s, 2, limit);
    return store_collect(s, sizeof(struct agent_day_change), limit, row_to_change, (void **)out, n);
}

int agent_results_queued(struct store_conn *c, int64_t target_id, int limit, int64_t *resend_id,
                         struct agent_day_change **out, int *n)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT min(resend_id) FROM outbox_agent_days WHERE "
                                       "target_id = ?");
    *out = NULL;
    *n = 0;
    *resend_id = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *resend_id = sqlite3_column_int64(s, 0);
    }
    store_done(s);
    if (*resend_id == 0) {
        return ACDL_OK;
    }
    /* a day whose result is gone since is sent as empty (delete it in the WFM) */
    s = store_prepare(c, "SELECT q.agent_id, a.identifier, q.day, coalesce(d.change_seq, 0), "
                         "coalesce(d.spans, 0), coalesce(d.open, 0) FROM outbox_agent_days q "
                         "JOIN wfm_agents a ON a.id = q.agent_id LEFT JOIN agent_days d ON "
                         "d.agent_id = q.agent_id AND d.day = q.day WHERE q.target_id = ? AND "
                         "q.resend_id = ? ORDER BY q.agent_id, q.day LIMIT ?");
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, target_id);
    sqlite3_bind_int64(s, 2, *resend_id);
    sqlite3_bind_int(s, 3, limit);
    return store_collect(s, sizeof(struct agent_day_change), limit, row_to_change, (void **)out, n);
}
