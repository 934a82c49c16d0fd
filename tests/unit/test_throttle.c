/* test_throttle.c: unit tests of login throttling (http/throttle.c), with explicit clocks. */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "http/throttle.h"

/* The throttle's clock is in milliseconds; these tests speak in whole seconds. */
static void fail_at(struct throttle *t, const char *key, int64_t now_s)
{
    throttle_fail(t, key, now_s * 1000);
}

/* 0 when key may try at now (seconds), else the seconds to wait. */
static int wait_for(struct throttle *t, const char *key, int64_t now_s)
{
    int retry = -1;
    int rc = throttle_check(t, key, now_s * 1000, &retry);
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
    fail_at(t, "account:alice", 0);
    fail_at(t, "account:alice", 1);
    CHECK_EQ_INT(wait_for(t, "account:alice", 2), 0);
    fail_at(t, "account:alice", 2); /* 3rd failure: locked for base seconds */
    CHECK_EQ_INT(wait_for(t, "account:alice", 2), 10);
    CHECK_EQ_INT(wait_for(t, "account:alice", 11), 1);
    CHECK_EQ_INT(wait_for(t, "account:alice", 12), 0);
    /* other keys are not affected */
    CHECK_EQ_INT(wait_for(t, "account:bob", 5), 0);
    CHECK_EQ_INT(wait_for(t, "client:10.0.0.1", 5), 0);
    /* each further failure doubles the lock, up to max */
    fail_at(t, "account:alice", 12);
    CHECK_EQ_INT(wait_for(t, "account:alice", 12), 20);
    fail_at(t, "account:alice", 32);
    CHECK_EQ_INT(wait_for(t, "account:alice", 32), 40);
    fail_at(t, "account:alice", 72);
    CHECK_EQ_INT(wait_for(t, "account:alice", 72), 80);
    fail_at(t, "account:alice", 152);
    CHECK_EQ_INT(wait_for(t, "account:alice", 152), 100); /* 160 capped */
    fail_at(t, "account:alice", 252);
    CHECK_EQ_INT(wait_for(t, "account:alice", 252), 100);
    for (int i = 0; i < 100; i++) { /* many failures: no overflow of the doubling */
        fail_at(t, "account:alice", 300 + i);
    }
    CHECK_EQ_INT(wait_for(t, "account:alice", 399), 100);
    /* reset forgets everything: one failure does not lock again */
    throttle_reset(t, "account:alice");
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 0);
    fail_at(t, "account:alice", 400);
    fail_at(t, "account:alice", 400);
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 0);
    fail_at(t, "account:alice", 400);
    CHECK_EQ_INT(wait_for(t, "account:alice", 400), 10);
    throttle_reset(t, "account:nobody"); /* unknown key: harmless */
    throttle_free(t);
    throttle_free(NULL);

    /* max_failures 1: the first failure locks; base == max: no growth */
    t = throttle_new(1, 30, 30);
    fail_at(t, "k", 1000);
    CHECK_EQ_INT(wait_for(t, "k", 1000), 30);
    fail_at(t, "k", 1030);
    CHECK_EQ_INT(wait_for(t, "k", 1030), 30);
    throttle_free(t);
}

static void test_decay(void)
{
    struct throttle *t = throttle_new(3, 10, 100);
    /* failures older than the 15-minute window are forgotten */
    fail_at(t, "a", 1000);
    fail_at(t, "a", 1000);
    fail_at(t, "a", 1000 + 901);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 901), 0);
    fail_at(t, "a", 1000 + 902);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 902), 0); /* 2 recent failures */
    fail_at(t, "a", 1000 + 903);
    CHECK_EQ_INT(wait_for(t, "a", 1000 + 903), 10);
    /* within the window they add up */
    fail_at(t, "b", 1000);
    fail_at(t, "b", 1000);
    fail_at(t, "b", 1000 + 899);
    CHECK_EQ_INT(wait_for(t, "b", 1000 + 899), 10);
    /* after a lock has expired and the window has passed, the count starts over */
    fail_at(t, "b", 1000 + 899 + 901);
    CHECK_EQ_INT(wait_for(t, "b", 1000 + 899 + 901), 0);
    /* but an expired lock inside the window still grows */
    fail_at(t, "c", 5000);
    fail_at(t, "c", 5000);
    fail_at(t, "c", 5000);
    CHECK_EQ_INT(wait_for(t, "c", 5000), 10);
    fail_at(t, "c", 5020);
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
        fail_at(t, key, 1000 + i);
    }
    /* a new key still gets locked */
    for (int i = 0; i < 5; i++) {
        fail_at(t, "account:new", 6000);
    }
    CHECK_EQ_INT(wait_for(t, "account:new", 6000), 10);
    /* a recent key kept its count: 1 + 4 failures lock it */
    snprintf(key, sizeof(key), "client:10.0.%d.%d", 4999 / 256, 4999 % 256);
    for (int i = 0; i < 4; i++) {
        fail_at(t, key, 6001);
    }
    CHECK_EQ_INT(wait_for(t, key, 6001), 10);
    /* the stalest key was evicted: its old failure is forgotten */
    snprintf(key, sizeof(key), "client:10.0.0.0");
    for (int i = 0; i < 4; i++) {
        fail_at(t, key, 6002);
    }
    CHECK_EQ_INT(wait_for(t, key, 6002), 0);
    fail_at(t, key, 6002);
    CHECK_EQ_INT(wait_for(t, key, 6002), 10);
    throttle_free(t);

    /* every slot locked: the lock that ends first is replaced, and the new key is locked */
    t = throttle_new(1, 100, 100);
    for (int i = 0; i < 4096; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        fail_at(t, key, i < 10 ? 0 : 5);
    }
    CHECK_EQ_INT(wait_for(t, "k4095", 6), 99);
    fail_at(t, "fresh", 10);
    CHECK_EQ_INT(wait_for(t, "fresh", 10), 100);
    CHECK_EQ_INT(wait_for(t, "k0", 10), 0);   /* its lock ended first, so it went */
    CHECK_EQ_INT(wait_for(t, "k1", 10), 90);  /* the rest stay locked */
    CHECK_EQ_INT(wait_for(t, "k4095", 10), 95);
    throttle_free(t);
}

static void test_long_key(void)
{
    /* Keys longer than a slot (111 characters) are cut before both storing and looking up,
     * so such a key still locks after max_failures failures. */
    char key[200];
    memset(key, 'a', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    struct throttle *t = throttle_new(2, 10, 100);
    fail_at(t, key, 100);
    fail_at(t, key, 100);
    CHECK_EQ_INT(wait_for(t, key, 100), 10);
    /* a key that just fits is fine */
    memset(key, 'b', 111);
    key[111] = '\0';
    fail_at(t, key, 100);
    fail_at(t, key, 100);
    CHECK_EQ_INT(wait_for(t, key, 100), 10);
    throttle_free(t);
}

static void test_attempts_under_way(void)
{
    int retry = 0;
    struct throttle *t = throttle_new(3, 10, 100);
    if (!CHECK(t != NULL)) {
        return;
    }
    /* three attempts under way at once: a fourth is refused before any of them has ended */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(throttle_begin(t, "account:race", 1000, &retry), ACDL_OK);
    }
    CHECK_EQ_INT(throttle_begin(t, "account:race", 1000, &retry), ACDL_EAGAIN);
    CHECK_EQ_INT(retry, 10);
    CHECK_EQ_INT(wait_for(t, "account:race", 1), 0); /* not locked yet: nothing failed */
    /* one succeeds: room for one more attempt */
    throttle_end(t, "account:race", 0, 1000);
    CHECK_EQ_INT(throttle_begin(t, "account:race", 1000, &retry), ACDL_OK);
    /* all three under way fail: the third failure locks */
    for (int i = 0; i < 3; i++) {
        throttle_end(t, "account:race", 1, 2000);
    }
    CHECK_EQ_INT(wait_for(t, "account:race", 2), 10);
    CHECK_EQ_INT(throttle_begin(t, "account:race", 3000, &retry), ACDL_EAGAIN);
    CHECK_EQ_INT(retry, 9);
    /* after the lock: one attempt at a time, and its failure locks again, twice as long */
    CHECK_EQ_INT(throttle_begin(t, "account:race", 12000, &retry), ACDL_OK);
    CHECK_EQ_INT(throttle_begin(t, "account:race", 12000, &retry), ACDL_EAGAIN);
    throttle_end(t, "account:race", 1, 12000);
    CHECK_EQ_INT(wait_for(t, "account:race", 12), 20);
    /* a reset (a good login) keeps counting the attempts still under way */
    CHECK_EQ_INT(throttle_begin(t, "account:x", 0, &retry), ACDL_OK);
    CHECK_EQ_INT(throttle_begin(t, "account:x", 0, &retry), ACDL_OK);
    throttle_reset(t, "account:x");
    CHECK_EQ_INT(throttle_begin(t, "account:x", 0, &retry), ACDL_OK);
    CHECK_EQ_INT(throttle_begin(t, "account:x", 0, &retry), ACDL_EAGAIN);
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
    fail_at(t, "after", 5000);
    fail_at(t, "after", 5000);
    fail_at(t, "after", 5000);
    CHECK_EQ_INT(wait_for(t, "after", 5000), 1);
    throttle_free(t);
}

int main(void)
{
    RUN(test_lock_and_growth);
    RUN(test_decay);
    RUN(test_table_full);
    RUN(test_long_key);
    RUN(test_attempts_under_way);
    RUN(test_threads);
    return check_summary();
}
