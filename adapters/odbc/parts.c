/* parts.c: one period read as several queries on several connections, rows handed out in order.
 *
 * Each connection has a thread of its own that runs the queries of its parts (part k goes to
 * connection k mod n, in order) and copies their rows into chunks: per row a kind byte, then
 * per field a tag (its length when below 252; 252: a 4-byte length follows; 253: the same text
 * as the previous row's field in this chunk; 254: NULL) and the text with its NUL. The caller
 * takes the chunks of part 0, then of part 1, and so on, so the rows come in the order of the
 * parts. All chunks together stay under hold_bytes: a thread whose part is not the one being
 * read waits when the chunks reach hold_bytes less a reserve, the thread of the part being
 * read only at hold_bytes; the reader frees chunks as it goes, so the part being read always
 * advances. A failed part (its query or a fetch) is reported to the reader at once, at the next
 * chunk it takes; closing early cancels every connection's statement. The chunks are slots of
 * one block of hold_bytes taken at open (its pages are touched only when a slot is first used,
 * and the slot freed last is the next taken), so the rows held never cost more than that,
 * whatever the drivers' own allocations on the same threads do to the heap; only a row longer
 * than a slot gets a block of its own. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "adapters/odbc/odbc_int.h"
#include "core/err.h"
#include "core/log.h"

#define CHUNK_BYTES (256u * 1024u)
#define RESERVE_BYTES (4u * CHUNK_BYTES) /* kept for the part being read */
#define TAG_LONG 252u
#define TAG_SAME 253u
#define TAG_NULL 254u
#define SAME_MIN 8u /* shorter values are written again rather than compared */
#define REC_ROW 0u
#define REC_REJECT 1u /* a row the driver could not give: rc, then the message */

struct parts_chunk {
    struct parts_chunk *next;
    size_t cap, used;
    int last; /* the part's final chunk */
    unsigned char data[];
};

struct parts_worker {
    struct odbc_parts *p;
    unsigned idx;
    pthread_t thread;
    int started;
    unsigned part;                   /* the part this thread works on */
    struct parts_chunk *head, *tail; /* filled, not yet taken */
    /* writing: the chunk being filled, and the previous row's fields in it */
    struct parts_chunk *cur;
    size_t *prev_off, *prev_len;
};

struct odbc_parts {
    unsigned char *pool; /* hold bytes: nslots slots of CHUNK_BYTES */
    size_t nslots;
    struct parts_chunk *spare; /* free slots */
    struct odbc_conn *conns[ODBC_PARTS_MAX_CONNS];
    unsigned nconn;
    const char *sql;
    const struct odbc_period *periods;
    unsigned nparts;
    struct odbc_query_opts qo;
    size_t hold;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t allocated; /* bytes of every chunk that exists */
    unsigned reading; /* the part the reader is on */
    int stop;
    int failed; /* a part failed: fail_rc and fail_msg */
    int fail_rc;
    char fail_msg[600];
    int opened; /* part 0's query is open: columns known (or failed) */
    struct parts_worker *w;

    size_t ncols;
    struct odbc_column *cols;

    /* reader */
    struct parts_chunk *rchunk; /* the chunk the rows come from */
    size_t rpos;
    unsigned rpart;
    uint64_t base;  /* rows of the parts before */
    uint64_t local; /* rows of this part so far */
    int eof;
    struct odbc_field *fields;
    const unsigned char **same; /* per column: the previous row's text in rchunk */
    size_t *same_len;
};

static void fail_with(struct odbc_parts *p, unsigned part, int rc, const char *msg)
{
    const struct odbc_datetime *a = &p->periods[part].start;
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = 1;
        p->fail_rc = rc;
        snprintf(p->fail_msg, sizeof(p->fail_msg),
                 "the days from %04d-%02d-%02d (query %u of %u): %s", a->year, a->month, a->day,
                 part + 1, p->nparts, msg);
        log_warn("odbc", "%s", p->fail_msg);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Hands the chunk being written to the reader. */
static void publish(struct parts_worker *w, int last)
{
    struct odbc_parts *p = w->p;
    struct parts_chunk *c = w->cur;
    w->cur = NULL;
    c->last = last;
    pthread_mutex_lock(&p->mu);
    if (w->tail) {
        w->tail->next = c;
    } else {
        w->head = c;
    }
    w->tail = c;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* A new chunk of at least need bytes to write into (waits for room). 0, ACDL_ESTOP (closing)
 * or ACDL_ENOMEM. */
static int take_chunk(struct parts_worker *w, size_t need)
{
    struct odbc_parts *p = w->p;
    size_t slot = CHUNK_BYTES - sizeof(struct parts_chunk);
    size_t cap = need > slot ? need : slot;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        size_t limit = p->reading == w->part ? p->hold : p->hold - RESERVE_BYTES;
        if (p->stop || p->failed) {
            pthread_mutex_unlock(&p->mu);
            return ACDL_ESTOP;
        }
        if (cap == slot ? p->spare && p->allocated + cap <= limit
                        : p->allocated + cap <= limit || p->allocated == 0) {
            break;
        }
        pthread_cond_wait(&p->cv, &p->mu);
    }
    p->allocated += cap;
    if (cap == slot) {
        w->cur = p->spare;
        p->spare = w->cur->next;
    } else {
        w->cur = malloc(sizeof(*w->cur) + cap);
    }
    pthread_mutex_unlock(&p->mu);
    if (!w->cur) {
        pthread_mutex_lock(&p->mu);
        p->allocated -= cap;
        pthread_mutex_unlock(&p->mu);
        return ACDL_ENOMEM;
    }
    w->cur->next = NULL;
    w->cur->cap = cap;
    w->cur->used = 0;
    w->cur->last = 0;
    for (size_t i = 0; i < p->ncols; i++) {
        w->prev_len[i] = 0;
    }
    return ACDL_OK;
}

static int in_pool(const struct odbc_parts *p, const struct parts_chunk *c)
{
    return p->pool && (const unsigned char *)c >= p->pool &&
           (const unsigned char *)c < p->pool + p->nslots * CHUNK_BYTES;
}

static void chunk_free(struct odbc_parts *p, struct parts_chunk *c)
{
    pthread_mutex_lock(&p->mu);
    p->allocated -= c->cap;
    if (in_pool(p, c)) {
        c->next = p->spare;
        p->spare = c;
        c = NULL;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    free(c);
}

/* Room for need more bytes in the chunk being written. */
static int room(struct parts_worker *w, size_t need)
{
    if (w->cur && w->cur->cap - w->cur->used >= need) {
        return ACDL_OK;
    }
    if (w->cur) {
        publish(w, 0);
    }
    return take_chunk(w, need);
}

static int put_row(struct parts_worker *w, const struct odbc_row *row)
{
    size_t need = 1, i;
    for (i = 0; i < row->nfields; i++) {
        need += 5 + row->fields[i].len + 1;
    }
    int rc = room(w, need);
    if (rc != ACDL_OK) {
        return rc;
    }
    unsigned char *base = w->cur->data, *o = base + w->cur->used;
    *o++ = REC_ROW;
    for (i = 0; i < row->nfields; i++) {
        const struct odbc_field *f = &row->fields[i];
        if (f->is_null) {
            *o++ = TAG_NULL;
            continue;
        }
        if (f->len >= SAME_MIN && w->prev_len[i] == f->len &&
            !memcmp(base + w->prev_off[i], f->ptr, f->len)) {
            *o++ = TAG_SAME;
            continue;
        }
        if (f->len < TAG_LONG) {
            *o++ = (unsigned char)f->len;
        } else {
            uint32_t n = (uint32_t)f->len;
            *o++ = TAG_LONG;
            memcpy(o, &n, 4);
            o += 4;
        }
        w->prev_off[i] = (size_t)(o - base);
        w->prev_len[i] = f->len;
        memcpy(o, f->ptr, f->len);
        o += f->len;
        *o++ = '\0';
    }
    w->cur->used = (size_t)(o - base);
    return ACDL_OK;
}

static int put_reject(struct parts_worker *w, int code, const char *msg)
{
    size_t len = strlen(msg);
    int rc = room(w, 1 + sizeof(int) + 4 + len + 1);
    if (rc != ACDL_OK) {
        return rc;
    }
    unsigned char *o = w->cur->data + w->cur->used;
    uint32_t n = (uint32_t)len;
    *o++ = REC_REJECT;
    memcpy(o, &code, sizeof(code));
    o += sizeof(code);
    memcpy(o, &n, 4);
    o += 4;
    memcpy(o, msg, len + 1);
    w->cur->used = (size_t)(o - w->cur->data) + len + 1;
    return ACDL_OK;
}

/* Runs one part's query into chunks. 0 or the part's error (reported to the reader). */
static int run_part(struct parts_worker *w, unsigned part)
{
    struct odbc_parts *p = w->p;
    struct odbc_conn *c = p->conns[w->idx];
    struct odbc_query *q = NULL;
    struct odbc_row row;
    char err[600] = "";
    int rc = odbc_query_open(c, p->sql, &p->periods[part], &p->qo, &q, err, sizeof(err));
    if (rc == ACDL_OK && part == 0) {
        pthread_mutex_lock(&p->mu);
        p->ncols = odbc_query_ncols(q);
        p->cols = calloc(p->ncols ? p->ncols : 1, sizeof(*p->cols));
        for (size_t i = 0; p->cols && i < p->ncols; i++) {
            p->cols[i] = *odbc_query_column(q, i);
        }
        rc = p->cols ? ACDL_OK : ACDL_ENOMEM;
        pthread_mutex_unlock(&p->mu);
    } else if (rc == ACDL_OK) {
        pthread_mutex_lock(&p->mu);
        while (!p->opened && !p->stop) {
            pthread_cond_wait(&p->cv, &p->mu);
        }
        pthread_mutex_unlock(&p->mu);
        if (odbc_query_ncols(q) != p->ncols) {
            snprintf(err, sizeof(err),
                     "the query returned %lu columns here, %lu for the first days",
                     (unsigned long)odbc_query_ncols(q), (unsigned long)p->ncols);
            rc = ACDL_EINVAL;
        }
    }
    if (part == 0) {
        pthread_mutex_lock(&p->mu);
        p->opened = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (rc == ACDL_OK) {
        w->prev_off = calloc(p->ncols ? p->ncols : 1, sizeof(*w->prev_off));
        w->prev_len = calloc(p->ncols ? p->ncols : 1, sizeof(*w->prev_len));
        if (!w->prev_off || !w->prev_len) {
            rc = ACDL_ENOMEM;
        }
    }
    while (rc == ACDL_OK) {
        int n = odbc_query_next(q, &row, err, sizeof(err));
        if (n == 0) {
            if ((rc = room(w, 0)) == ACDL_OK) {
                publish(w, 1);
            }
            break;
        }
        if (n == 1) {
            rc = put_row(w, &row);
        } else if (n == ACDL_ETOOBIG || (n == ACDL_EDB && row.number > 0)) {
            rc = put_reject(w, n, err);
        } else {
            rc = n;
        }
    }
    odbc_query_close(q);
    free(w->prev_off);
    free(w->prev_len);
    w->prev_off = w->prev_len = NULL;
    if (rc != ACDL_OK && rc != ACDL_ESTOP) {
        fail_with(p, part, rc, err[0] ? err : "out of memory");
    } else if (rc == ACDL_ESTOP && atomic_load(&c->cancelled)) {
        fail_with(p, part, rc, err[0] ? err : "cancelled");
    }
    if (w->cur) {
        chunk_free(p, w->cur);
        w->cur = NULL;
    }
    return rc;
}

static void *worker_main(void *arg)
{
    struct parts_worker *w = arg;
    struct odbc_parts *p = w->p;
    for (unsigned part = w->idx; part < p->nparts; part += p->nconn) {
        w->part = part;
        if (run_part(w, part) != ACDL_OK) {
            break;
        }
    }
    return NULL;
}

void odbc_parts_close(struct odbc_parts *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    int early = !p->eof;
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; p->w && i < p->nconn; i++) {
        if (early) {
            odbc_conn_cancel(p->conns[i]); /* a statement under way ends now */
        }
    }
    for (unsigned i = 0; p->w && i < p->nconn; i++) {
        struct parts_worker *w = &p->w[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
        }
        while (w->head) {
            struct parts_chunk *c = w->head;
            w->head = c->next;
            chunk_free(p, c);
        }
    }
    if (p->rchunk) {
        chunk_free(p, p->rchunk);
    }
    free(p->pool);
    free(p->w);
    free(p->cols);
    free(p->fields);
    free(p->same);
    free(p->same_len);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int odbc_parts_open(struct odbc_conn **conns, unsigned nconn, const char *sql,
                    const struct odbc_period *periods, unsigned nparts,
                    const struct odbc_query_opts *qo, size_t hold_bytes, struct odbc_parts **out,
                    char *err, size_t errsz)
{
    struct odbc_parts *p;
    int rc = ACDL_OK;
    if (err && errsz) {
        err[0] = '\0';
    }
    if (!conns || nconn < 1 || nconn > ODBC_PARTS_MAX_CONNS || !sql || !periods || nparts < 1 ||
        !out || hold_bytes < 2 * RESERVE_BYTES) {
        return ACDL_EINVAL;
    }
    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (!p) {
        return ACDL_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->nconn = nconn > nparts ? nparts : nconn;
    memcpy(p->conns, conns, p->nconn * sizeof(*conns));
    p->sql = sql;
    p->periods = periods;
    p->nparts = nparts;
    p->hold = hold_bytes;
    p->nslots = hold_bytes / CHUNK_BYTES;
    p->pool = malloc(p->nslots * CHUNK_BYTES);
    for (size_t i = p->nslots; p->pool && i-- > 0;) {
        struct parts_chunk *c = (struct parts_chunk *)(void *)(p->pool + i * CHUNK_BYTES);
        c->next = p->spare;
        p->spare = c;
    }
    if (qo) {
        p->qo = *qo;
    }
    p->qo.read_ahead = 0; /* the thread of the connection is the read-ahead */
    p->qo.prepared = 0;
    p->w = calloc(p->nconn, sizeof(*p->w));
    if (!p->w || !p->pool) {
        odbc_parts_close(p);
        return ACDL_ENOMEM;
    }
    for (unsigned i = 0; i < p->nconn; i++) {
        p->w[i].p = p;
        p->w[i].idx = i;
        p->w[i].part = i;
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0) {
            odbc_set_err(err, errsz, "cannot start the query threads");
            odbc_parts_close(p);
            return ACDL_ENOMEM;
        }
        p->w[i].started = 1;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->opened) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    if (p->failed && !p->cols) {
        rc = p->fail_rc;
        odbc_set_err(err, errsz, "%s", p->fail_msg);
    }
    pthread_mutex_unlock(&p->mu);
    if (rc == ACDL_OK) {
        p->fields = calloc(p->ncols ? p->ncols : 1, sizeof(*p->fields));
        p->same = calloc(p->ncols ? p->ncols : 1, sizeof(*p->same));
        p->same_len = calloc(p->ncols ? p->ncols : 1, sizeof(*p->same_len));
        if (!p->fields || !p->same || !p->same_len) {
            rc = ACDL_ENOMEM;
        }
    }
    if (rc != ACDL_OK) {
        odbc_parts_close(p);
        return rc;
    }
    *out = p;
    return ACDL_OK;
}

size_t odbc_parts_ncols(const struct odbc_parts *p)
{
    return p ? p->ncols : 0;
}

const struct odbc_column *odbc_parts_column(const struct odbc_parts *p, size_t i)
{
    return p && i < p->ncols ? &p->cols[i] : NULL;
}

/* The next chunk to read from (the one read is freed): 1, 0 (no more parts) or the error of a
 * failed part. */
static int next_chunk(struct odbc_parts *p, char *err, size_t errsz)
{
    struct parts_chunk *c = p->rchunk;
    int last = c ? c->last : 0;
    p->rchunk = NULL;
    if (c) {
        chunk_free(p, c);
    }
    if (last) {
        p->base += p->local;
        p->local = 0;
        pthread_mutex_lock(&p->mu);
        p->rpart++;
        p->reading = p->rpart;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (p->rpart >= p->nparts) {
        p->eof = 1;
        return 0;
    }
    struct parts_worker *w = &p->w[p->rpart % p->nconn];
    pthread_mutex_lock(&p->mu);
    while (!w->head && !p->failed) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    if (p->failed) {
        int rc = p->fail_rc;
        odbc_set_err(err, errsz, "%s", p->fail_msg);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    c = w->head;
    w->head = c->next;
    if (!w->head) {
        w->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    p->rchunk = c;
    p->rpos = 0;
    return 1;
}

/* A message of the driver's that starts with "row <local number>": with the run's number. */
static void renumber(const char *msg, uint64_t local, uint64_t number, char *err, size_t errsz)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "row %" PRIu64, local);
    if (n > 0 && !strncmp(msg, head, (size_t)n)) {
        odbc_set_err(err, errsz, "row %" PRIu64 "%s", number, msg + n);
    } else {
        odbc_set_err(err, errsz, "%s", msg);
    }
}

unsigned odbc_parts_part(const struct odbc_parts *p)
{
    return p ? p->rpart : 0;
}

int odbc_parts_next(struct odbc_parts *p, struct odbc_row *row, char *err, size_t errsz)
{
    if (err && errsz) {
        err[0] = '\0';
    }
    if (!p || !row) {
        return ACDL_EINVAL;
    }
    memset(row, 0, sizeof(*row));
    if (p->eof) {
        return 0;
    }
    while (!p->rchunk || p->rpos >= p->rchunk->used) {
        int rc = next_chunk(p, err, errsz);
        if (rc <= 0) {
            return rc;
        }
        for (size_t i = 0; i < p->ncols; i++) {
            p->same[i] = NULL;
        }
    }
    const unsigned char *o = p->rchunk->data + p->rpos;
    unsigned kind = *o++;
    p->local++;
    row->number = p->base + p->local;
    if (kind == REC_REJECT) {
        int code;
        uint32_t len;
        memcpy(&code, o, sizeof(code));
        o += sizeof(code);
        memcpy(&len, o, 4);
        o += 4;
        renumber((const char *)o, p->local, row->number, err, errsz);
        p->rpos = (size_t)(o - p->rchunk->data) + len + 1;
        return code;
    }
    for (size_t i = 0; i < p->ncols; i++) {
        struct odbc_field *f = &p->fields[i];
        unsigned tag = *o++;
        if (tag == TAG_NULL) {
            f->ptr = "";
            f->len = 0;
            f->is_null = 1;
            continue;
        }
        f->is_null = 0;
        if (tag == TAG_SAME) {
            f->ptr = (const char *)p->same[i];
            f->len = p->same_len[i];
            continue;
        }
        size_t len = tag;
        if (tag == TAG_LONG) {
            uint32_t n;
            memcpy(&n, o, 4);
            o += 4;
            len = n;
        }
        f->ptr = (const char *)o;
        f->len = len;
        p->same[i] = o;
        p->same_len[i] = len;
        o += len + 1;
    }
    p->rpos = (size_t)(o - p->rchunk->data);
    row->nfields = p->ncols;
    row->fields = p->fields;
    return 1;
}
