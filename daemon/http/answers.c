/* answers.c: the answer cache of read routes (see answers.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/answers.h"

struct answer {
    char *mem; /* key, then body; NULL: the slot is free */
    size_t klen, len;
    uint64_t hash, gen;
    char etag[ANSWERS_ETAG_LEN + 1];
};

struct answers {
    pthread_mutex_t mu;
    size_t bytes, max_bytes;
    struct answer slot[ANSWERS_SLOTS];
};

struct answers *answers_new(size_t max_bytes)
{
    struct answers *a = calloc(1, sizeof(*a));
    if (a) {
        pthread_mutex_init(&a->mu, NULL);
        a->max_bytes = max_bytes;
    }
    return a;
}

void answers_free(struct answers *a)
{
    if (!a) {
        return;
    }
    for (int i = 0; i < ANSWERS_SLOTS; i++) {
        free(a->slot[i].mem);
    }
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* 1 when generation a is of the same group as b and earlier. */
static int gen_before(uint64_t a, uint64_t b)
{
    return (a >> 56) == (b >> 56) && a < b;
}

/* FNV-1a, 64 bits. */
static uint64_t key_hash(const char *key, size_t klen)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < klen; i++) {
        h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    }
    return h;
}

static int answer_is(const struct answer *e, const char *key, size_t klen, uint64_t hash)
{
    return e->mem && e->hash == hash && e->klen == klen && memcmp(e->mem, key, klen) == 0;
}

/* Empties slot e; returns its memory for the caller to free outside the lock. */
static char *answer_drop(struct answers *a, struct answer *e)
{
    char *mem = e->mem;
    if (mem) {
        a->bytes -= e->klen + e->len;
    }
    memset(e, 0, sizeof(*e));
    return mem;
}

int answers_get(struct answers *a, const char *key, size_t klen, uint64_t gen, struct jsonw *w,
                char *etag)
{
    uint64_t hash = key_hash(key, klen);
    struct answer *e = &a->slot[hash % ANSWERS_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&a->mu);
    if (answer_is(e, key, klen, hash) && e->gen == gen) {
        char *p = jsonw_room(w, e->len);
        if (p) {
            memcpy(p, e->mem + e->klen, e->len);
            w->len += e->len;
            memcpy(etag, e->etag, sizeof(e->etag));
            hit = 1;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return hit;
}

int answers_renew(struct answers *a, const char *key, size_t klen, uint64_t gen, const char *body,
                  size_t len, char *etag)
{
    uint64_t hash = key_hash(key, klen);
    struct answer *e = &a->slot[hash % ANSWERS_SLOTS];
    int same = 0;
    pthread_mutex_lock(&a->mu);
    if (answer_is(e, key, klen, hash) && (e->gen == gen || gen_before(e->gen, gen)) &&
        e->len == len && memcmp(e->mem + e->klen, body, len) == 0) {
        e->gen = gen;
        memcpy(etag, e->etag, sizeof(e->etag));
        same = 1;
    }
    pthread_mutex_unlock(&a->mu);
    return same;
}

void answers_put(struct answers *a, const char *key, size_t klen, uint64_t gen, const char *body,
                 size_t len, const char *etag)
{
    uint64_t hash = key_hash(key, klen);
    size_t need = klen + len;
    char *old[ANSWERS_SLOTS + 1];
    int nold = 0;
    if (len > ANSWERS_ONE_MAX || klen > ANSWERS_KEY_MAX || need > a->max_bytes) {
        return;
    }
    char *mem = malloc(need);
    if (!mem) {
        return;
    }
    memcpy(mem, key, klen);
    memcpy(mem + klen, body, len);
    pthread_mutex_lock(&a->mu);
    struct answer *e = &a->slot[hash % ANSWERS_SLOTS];
    if (e->mem && gen_before(gen, e->gen)) {
        goto out; /* made from an older read than what the slot holds */
    }
    old[nold++] = answer_drop(a, e);
    /* over the budget: answers of earlier generations can never be served again */
    for (int i = 0; i < ANSWERS_SLOTS && a->bytes + need > a->max_bytes; i++) {
        if (a->slot[i].mem && gen_before(a->slot[i].gen, gen)) {
            old[nold++] = answer_drop(a, &a->slot[i]);
        }
    }
    if (a->bytes + need > a->max_bytes) {
        goto out;
    }
    e->mem = mem;
    mem = NULL;
    e->klen = klen;
    e->len = len;
    e->hash = hash;
    e->gen = gen;
    memcpy(e->etag, etag, ANSWERS_ETAG_LEN);
    e->etag[ANSWERS_ETAG_LEN] = '\0';
    a->bytes += need;
out:
    pthread_mutex_unlock(&a->mu);
    free(mem);
    for (int i = 0; i < nold; i++) {
        free(old[i]);
    }
}

size_t answers_bytes(struct answers *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->bytes;
    pthread_mutex_unlock(&a->mu);
    return n;
}
