/* throttle.c: a bounded table of failure counters with growing locks. */
#include "http/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define SLOTS 4096
#define WINDOW_MS 900000

struct entry {
    char key[112];
    int failures;
    int pending; /* attempts begun and not yet ended */
    int64_t last_failure;
    int64_t locked_until;
};

struct throttle {
    pthread_mutex_t mu;
    int max_failures, base, max;
    struct entry e[SLOTS];
};

struct throttle *throttle_new(int max_failures, int base, int max)
{
    struct throttle *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->max_failures = max_failures;
    t->base = base;
    t->max = max;
    return t;
}

void throttle_free(struct throttle *t)
{
    if (t) {
        pthread_mutex_destroy(&t->mu);
        free(t);
    }
}

/* Keys are cut to the slot size before any comparison, so lookups and inserts agree. */
#define KEY_NORM(buf, key) snprintf(buf, sizeof(buf), "%s", key)

static struct entry *lookup(struct throttle *t, const char *key)
{
    for (int i = 0; i < SLOTS; i++) {
        if (t->e[i].key[0] && strcmp(t->e[i].key, key) == 0) {
            return &t->e[i];
        }
    }
    return NULL;
}

/* Forget failures that are old and no longer locked. */
static void decay(struct entry *e, int64_t now)
{
    if (e && e->locked_until <= now && now - e->last_failure > WINDOW_MS) {
        e->failures = 0;
    }
}

int throttle_check(struct throttle *t, const char *key_in, int64_t now, int *retry_after)
{
    int rc = ACDL_OK;
    char key[sizeof(((struct entry *)0)->key)];
    KEY_NORM(key, key_in);
    pthread_mutex_lock(&t->mu);
    struct entry *e = lookup(t, key);
    decay(e, now);
    if (e && e->locked_until > now) {
        *retry_after = (int)((e->locked_until - now + 999) / 1000); /* whole seconds, rounded up */
        rc = ACDL_EAGAIN;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The entry of key, made (evicting the stalest unlocked idle one) when there is none. */
static struct entry *lookup_or_add(struct throttle *t, const char *key, int64_t now)
{
    struct entry *e = lookup(t, key);
    if (!e) {
        struct entry *victim = NULL;
        for (int i = 0; i < SLOTS; i++) {
            struct entry *c = &t->e[i];
            if (!c->key[0]) {
                victim = c;
                break;
            }
            if (c->locked_until <= now && c->pending == 0 &&
                (!victim || c->last_failure < victim->last_failure)) {
                victim = c;
            }
        }
        if (!victim) {
            /* every slot is locked: replace the one whose lock ends first */
            victim = &t->e[0];
            for (int i = 1; i < SLOTS; i++) {
                if (t->e[i].locked_until < victim->locked_until) {
                    victim = &t->e[i];
                }
            }
        }
        memset(victim, 0, sizeof(*victim));
        snprintf(victim->key, sizeof(victim->key), "%s", key);
        e = victim;
    }
    decay(e, now);
    return e;
}

/* Counts one failure of e and locks it once it has max_failures. Called with t->mu held. */
static void record_failure(struct throttle *t, struct entry *e, int64_t now)
{
    e->failures++;
    e->last_failure = now;
    if (e->failures >= t->max_failures) {
        int shift = e->failures - t->max_failures;
        int64_t lock = (int64_t)t->base * 1000;
        while (shift-- > 0 && lock < (int64_t)t->max * 1000) {
            lock *= 2;
        }
        if (lock > (int64_t)t->max * 1000) {
            lock = (int64_t)t->max * 1000;
        }
        e->locked_until = now + lock;
    }
}

void throttle_fail(struct throttle *t, const char *key_in, int64_t now)
{
    char key[sizeof(((struct entry *)0)->key)];
    KEY_NORM(key, key_in);
    pthread_mutex_lock(&t->mu);
    record_failure(t, lookup_or_add(t, key, now), now);
    pthread_mutex_unlock(&t->mu);
}

int throttle_begin(struct throttle *t, const char *key_in, int64_t now, int *retry_after)
{
    int rc = ACDL_OK;
    char key[sizeof(((struct entry *)0)->key)];
    KEY_NORM(key, key_in);
    pthread_mutex_lock(&t->mu);
    struct entry *e = lookup_or_add(t, key, now);
    if (e->locked_until > now) {
        *retry_after = (int)((e->locked_until - now + 999) / 1000); /* whole seconds, rounded up */
        rc = ACDL_EAGAIN;
    } else if (e->pending > 0 && e->failures + e->pending >= t->max_failures) {
        /* the attempts under way could all fail: one more would pass the limit unchecked (after
         * a lock has ended, attempts go one at a time, each failure locking again) */
        *retry_after = t->base > 0 ? t->base : 1;
        rc = ACDL_EAGAIN;
    } else {
        e->pending++;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void throttle_end(struct throttle *t, const char *key_in, int failed, int64_t now)
{
    char key[sizeof(((struct entry *)0)->key)];
    KEY_NORM(key, key_in);
    pthread_mutex_lock(&t->mu);
    struct entry *e = failed ? lookup_or_add(t, key, now) : lookup(t, key);
    if (e && e->pending > 0) {
        e->pending--;
    }
    if (failed) {
        record_failure(t, e, now);
    }
    pthread_mutex_unlock(&t->mu);
}

void throttle_reset(struct throttle *t, const char *key_in)
{
    char key[sizeof(((struct entry *)0)->key)];
    KEY_NORM(key, key_in);
    pthread_mutex_lock(&t->mu);
    struct entry *e = lookup(t, key);
    if (e) {
        e->failures = 0; /* attempts under way stay counted until they end */
        e->last_failure = 0;
        e->locked_until = 0;
    }
    pthread_mutex_unlock(&t->mu);
}
