/* pagemem.c: SQLite's memory, page-sized blocks in slabs of their own (see pagemem.h). */
#include "store/pagemem.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"

#define CHUNK_BYTES ((size_t)STORE_PAGEMEM_CHUNK_KIB * 1024)
#define SLOTS (CHUNK_BYTES / STORE_PAGEMEM_SLOT)
#define WORDS (STORE_PAGEMEM_CHUNKS / 64)
/* a block from malloc carries its size in front of it, keeping malloc's 16-byte alignment */
#define HEAD 16

struct chunk {
    void *free;    /* freed slots, linked through their first bytes */
    uint32_t used; /* slots in use */
    uint32_t bump; /* slots [bump, SLOTS) never used since the chunk was committed */
    int committed; /* backed by memory */
};

static pthread_mutex_t pm_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char *base; /* STORE_PAGEMEM_CHUNKS slabs of address space (NULL: none, all from malloc) */
    struct chunk ch[STORE_PAGEMEM_CHUNKS];
    uint64_t room[WORDS]; /* bit i: slab i has a slot to give (or is not committed yet) */
    int committed, empty; /* slabs committed, and those of them empty */
    long long used;       /* slots in use */
} pm;

static int installed;

static void release(int i)
{
    struct chunk *c = &pm.ch[i];
    plat_pages_release(pm.base + (size_t)i * CHUNK_BYTES, CHUNK_BYTES);
    memset(c, 0, sizeof(*c));
    pm.committed--;
    pm.empty--;
}

/* A slot from the lowest slab with room, or NULL (no address space: the caller uses malloc). */
static void *slot_take(void)
{
    void *p = NULL;
    pthread_mutex_lock(&pm_mu);
    for (int w = 0; pm.base && w < WORDS && !p; w++) {
        if (!pm.room[w]) {
            continue;
        }
        int i = w * 64 + __builtin_ctzll(pm.room[w]);
        struct chunk *c = &pm.ch[i];
        char *start = pm.base + (size_t)i * CHUNK_BYTES;
        if (!c->committed) {
            if (plat_pages_commit(start, CHUNK_BYTES) != ACDL_OK) {
                break;
            }
            c->committed = 1;
            pm.committed++;
            pm.empty++;
        }
        if (c->used == 0) {
            pm.empty--;
        }
        if (c->free) {
            p = c->free;
            memcpy(&c->free, p, sizeof(void *));
        } else {
            p = start + (size_t)c->bump++ * STORE_PAGEMEM_SLOT;
        }
        c->used++;
        pm.used++;
        if (!c->free && c->bump == SLOTS) {
            pm.room[w] &= ~((uint64_t)1 << (i % 64));
        }
    }
    pthread_mutex_unlock(&pm_mu);
    return p;
}

static int in_slabs(const void *p)
{
    /* base is set once, before SQLite's first allocation */
    const char *b = pm.base;
    return b && (const char *)p >= b && (const char *)p < b + CHUNK_BYTES * STORE_PAGEMEM_CHUNKS;
}

static void slot_give(void *p)
{
    pthread_mutex_lock(&pm_mu);
    int i = (int)(((char *)p - pm.base) / CHUNK_BYTES);
    struct chunk *c = &pm.ch[i];
    memcpy(p, &c->free, sizeof(void *));
    c->free = p;
    c->used--;
    pm.used--;
    pm.room[i / 64] |= (uint64_t)1 << (i % 64);
    if (c->used == 0) {
        pm.empty++;
        if (pm.empty > STORE_PAGEMEM_KEEP) {
            release(i);
        }
    }
    pthread_mutex_unlock(&pm_mu);
}

static int is_page(int n)
{
    return n >= STORE_PAGEMEM_MIN && n <= STORE_PAGEMEM_SLOT;
}

static void *mem_malloc(int n)
{
    if (n <= 0) {
        return NULL;
    }
    void *p = is_page(n) ? slot_take() : NULL;
    if (p) {
        return p;
    }
    char *h = malloc((size_t)n + HEAD);
    if (!h) {
        return NULL;
    }
    memcpy(h, &(size_t){(size_t)n}, sizeof(size_t));
    return h + HEAD;
}

static void mem_free(void *p)
{
    if (!p) {
        return;
    }
    if (in_slabs(p)) {
        slot_give(p);
    } else {
        free((char *)p - HEAD);
    }
}

static int mem_size(void *p)
{
    size_t n;
    if (!p) {
        return 0;
    }
    if (in_slabs(p)) {
        return STORE_PAGEMEM_SLOT;
    }
    memcpy(&n, (char *)p - HEAD, sizeof(n));
    return (int)n;
}

static void *mem_realloc(void *p, int n)
{
    if (n <= 0) {
        return NULL;
    }
    if (in_slabs(p)) {
        if (is_page(n)) {
            return p;
        }
        void *q = mem_malloc(n);
        if (q) {
            memcpy(q, p, n < STORE_PAGEMEM_SLOT ? (size_t)n : STORE_PAGEMEM_SLOT);
            slot_give(p);
        }
        return q;
    }
    char *h = realloc((char *)p - HEAD, (size_t)n + HEAD);
    if (!h) {
        return NULL;
    }
    memcpy(h, &(size_t){(size_t)n}, sizeof(size_t));
    return h + HEAD;
}

static int mem_roundup(int n)
{
    return is_page(n) ? STORE_PAGEMEM_SLOT : (n + 7) & ~7;
}

static int mem_init(void *arg)
{
    (void)arg;
    return SQLITE_OK;
}

static void mem_shutdown(void *arg)
{
    (void)arg;
}

int store_pagemem_install(void)
{
    static const sqlite3_mem_methods methods = {
        mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init, mem_shutdown, NULL,
    };
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    int rc = ACDL_OK;
    pthread_mutex_lock(&once);
    if (!installed) {
        if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK) {
            installed = 1;
            /* address space only: memory is taken slab by slab as pages are used */
            pm.base = plat_pages_reserve(CHUNK_BYTES * STORE_PAGEMEM_CHUNKS);
            memset(pm.room, 0xff, sizeof(pm.room));
        } else {
            rc = ACDL_EINVAL;
        }
    }
    pthread_mutex_unlock(&once);
    return rc;
}

void store_pagemem_trim(void)
{
    pthread_mutex_lock(&pm_mu);
    for (int i = 0; pm.base && i < STORE_PAGEMEM_CHUNKS && pm.empty > 0; i++) {
        if (pm.ch[i].committed && pm.ch[i].used == 0) {
            release(i);
        }
    }
    pthread_mutex_unlock(&pm_mu);
}

void store_pagemem_stats(long long *held, long long *in_use)
{
    pthread_mutex_lock(&pm_mu);
    *held = (long long)pm.committed * (long long)CHUNK_BYTES;
    *in_use = pm.used * STORE_PAGEMEM_SLOT;
    pthread_mutex_unlock(&pm_mu);
}
