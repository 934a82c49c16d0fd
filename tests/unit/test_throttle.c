/* test_throttle.c: unit tests of login throttling (http/throttle.c), with explicit clocks. */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "http/throttle.h"

/* 0 when key may try at now, else the seconds to wait. */
static int wait_for(struct throttle *t, const char *key, int64_t now)
{
    int retry = -1;
    int rc = throttle_check(t, key, now, &retry);
    if (rc == ACDL_OK) {
        return 0;
    }
    CHECK_EQ_INT(rc, ACDL_EAGAIN);
    CHECK(retry > 0);
    return retry;
}

static void test_lock_and_growth(void)
{
    struct throttle *t = throttle_new(3, 10, 100);
    if (!CHECK(t != NULL)) {
        return;
    }
    CHECK_EQ_INT(wait_for(t, "account:alice", 0), 0);
    throttle_fail(t, "account:alice", 0);
    throttle_fail(t, "account:alice", 1);
    CHECK_EQ_INT(wait_for(t, "account:alice", 2), 0);
    throttle_fail(t, "account:alice", 2); /* 3rd failure: locked for base seconds */
    CHECK_EQ_INT(wait_for(t, "account:alice", 2), 10);
    CHECK_EQ_INT(wait_for(t, "account:alice", 11), 1);
    CHECK_EQ_INT(wait_for(t, "account:alice", 12), 0);
    /* other keys are not affected */
    CHECK_EQ_INT(wait_for(t, "account:bob", 5), 0);
    CHECK_EQ_INT(wait_for(t, "client:10.0.0.1", 5), 0);
    /* each further failure doubles the lock, up to max */
    throttle_fail(t, "account:alice", 12);
    CHECK_EQ_INT(wait_for(t, "account:alice", 12), 20);
    throttle_fail(t, "account:alice", 32);
    CHECK_EQ_INT(wait_for(t, "account:alice", 32), 40);
    throttle_fail(t, "account:alice", 72);
    CHECK_EQ_INT(wait_for(t, "account:alice", 72), 80);
    throttle_fail(t, "account:alice", 152);
    CHECK_EQ_INT(wait_for(t, "account:alice", 152), 100); /* 160 capped */
    throttle_fail(t, "account:alice", 252);
    CHECK_EQ_INT(wait_for(t, "account:alice", 252), 100);
    for (int i = 0; i < 100; i++) { /* many failures: no overflow of the doubling */
        throttle_fail(t, "account:alice", 300 + i);
    }
    CHECK_EQ_INT(wait_for(t, "account:alice", 399), 100);
    /* reset forgets everything: one failure does not lock again */
    throttle_reset(t, "account:alice");
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 0);
    throttle_fail(t, "account:alice", 400);
    throttle_fail(t, "account:alice", 400);
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 0);
    throttle_fail(t, "account:alice", 400);
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 10);
    throttle_reset(t, "account:nobody"); /* unknown key: harmless */
    throttle_free(t);
    throttle_free(NULL);

    /* max_failures 1: the first failure locks; base == max: no growth */
    t = throttle_new(1, 30, 30);
    throttle_fail(t, "k", 1000);
    CHECK_EQ_INT(wait_for(t, "k", 1000), 30);
    throttle_fail(t, "k", 1030);
    CHECK_EQ_INT(wait_for(t, "k", 1030), 30);
    throttle_free(t);
}

static void test_decay(void)
{
    struct throttle *t = throttle_new(3, 10, 100);
    /* failures older than the 15-minute window are forgotten */
    throttle_fail(t, "a", 1000);
    throttle_fail(t, "a", 1000);
    throttle_fail(t, "a", 1000 + 901);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 901), 0);
    throttle_fail(t, "a", 1000 + 902);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 902), 0); /* 2 recent failures */
    throttle_fail(t, "a", 1000 + 903);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 903), 10);
    /* within the window they add up */
    throttle_fail(t, "b", 1000);
    throttle_fail(t, "b", 1000);
    throttle_fail(t, "b", 1000 + 899);
    CHECK_EQ_INT(wait_for(t, "b", 1000 + 899), 10);
    /* after a lock has expired and the window has passed, the count starts over */
    throttle_fail(t, "b", 1000 + 899 + 901);
    CHECK_EQ_INT(wait_for(t, "b", 1000 + 899 + 901), 0);
    /* but an expired lock inside the window still grows */
    throttle_fail(t, "c", 5000);
    throttle_fail(t, "c", 5000);
    throttle_fail(t, "c", 5000);
    CHECK_EQ_INT(wait_for(t, "c", 5000), 10);
    throttle_fail(t, "c", 5020);
    CHECK_EQ_INT(wait_for(t, "c", 5020), 20);
    /* a check alone after the window does not unlock a locked key early */
    CHECK_EQ_INT(wait_for(t, "c", 5039), 1);
    CHECK_EQ_INT(wait_for(t, "c", 5040), 0);
    throttle_free(t);
}

static void test_table_full(void)
{
    char key[64];
    /* more keys than slots: the stalest unlocked ones make room */
    struct throttle *t = throttle_new(5, 10, 100);
    if (!CHECK(t != NULL)) {
        return;
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "client:10.0.%d.%d", i / 256, i % 256);
        throttle_fail(t, key, 1000 + i);
    }
    /* a new key still gets locked */
    for (int i = 0; i < 5; i++) {
        throttle_fail(t, "account:new", 6000);
    }
    CHECK_EQ_INT(wait_for(t, "account:new", 6000), 10);
    /* a recent key kept its count: 1 + 4 failures lock it */
    snprintf(key, sizeof(key), "client:10.0.%d.%d", 4999 / 256, 4999 % 256);
    for (int i = 0; i < 4; i++) {
        throttle_fail(t, key, 6001);
    }
    CHECK_EQ_INT(wait_for(t, key, 6001), 10);
    /* the stalest key was evicted: its old failure is forgotten */
    snprintf(key, sizeof(key), "client:10.0.0.0");
    for (int i = 0; i < 4; i++) {
        throttle_fail(t, key, 6002);
    }
    CHECK_EQ_INT(wait_for(t, key, 6002), 0);
    throttle_fail(t, key, 6002);
    CHECK_EQ_INT(wait_for(t, key, 6002), 10);
    throttle_free(t);

    /* every slot locked: the lock that ends first is replaced, and the new key is locked */
    t = throttle_new(1, 100, 100);
    for (int i = 0; i < 4096; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        throttle_fail(t, key, i < 10 ? 0 : 5);
    }
    CHECK_EQ_INT(wait_for(t, "k4095", 6), 99);
    throttle_fail(t, "fresh", 10);
    CHECK_EQ_INT(wait_for(t, "fresh", 10), 100);
    CHECK_EQ_INT(wait_for(t, "k0", 10), 0);   /* its lock ended first, so it went */
    CHECK_EQ_INT(wait_for(t, "k1", 10), 90);  /* the rest stay locked */
    CHECK_EQ_INT(wait_for(t, "k4095", 10), 95);
    throttle_free(t);
}

static void test_long_key(void)
{
    /* BUG: keys are stored truncated to 111 characters (struct entry key[112]) but looked up
     * with strcmp on the full key, so a key of 112+ characters never matches its entry: every
     * failure adds a new entry (filling the table) and the key is never locked. Expected: the
     * key is locked after max_failures failures. */
    char key[200];
    memset(key, 'a', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    struct throttle *t = throttle_new(2, 10, 100);
    throttle_fail(t, key, 100);
    throttle_fail(t, key, 100);
    CHECK_EQ_INT(wait_for(t, key, 100), 10);
    /* a key that just fits is fine */
    memset(key, 'b', 111);
    key[111] = '\0';
    throttle_fail(t, key, 100);
    throttle_fail(t, key, 100);
    CHECK_EQ_INT(wait_for(t, key, 100), 10);
    throttle_free(t);
}

struct worker {
    struct throttle *t;
    int index;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char key[32];
    int retry;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "w%d-%d", w->index, i % 50);
        throttle_fail(w->t, key, i);
        throttle_check(w->t, key, i, &retry);
        if (i % 100 == 0) {
            throttle_reset(w->t, key);
        }
    }
    return NULL;
}

static void test_threads(void)
{
    struct throttle *t = throttle_new(3, 1, 10);
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].t = t;
        w[i].index = i;
        CHECK_EQ_INT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
    }
    /* still consistent afterwards */
    throttle_fail(t, "after", 5000);
    throttle_fail(t, "after", 5000);
    throttle_fail(t, "after", 5000);
    CHECK_EQ_INT(wait_for(t, "after", 5000), 1);
    throttle_free(t);
}

int main(void)
{
    RUN(test_lock_and_growth);
    RUN(test_decay);
    RUN(test_table_full);
    RUN(test_long_key);
    RUN(test_threads);
    return check_summary();
}
