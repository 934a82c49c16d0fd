/* test_writeq.c: the store's write line (store/writeq.c) with real threads: writers get the lock
 * in the order they came, no wake-up is lost under contention, a writer that waits too long
 * gives up with a message naming the holder, and the counters per kind add up. Then the same
 * through the store: two connections' transactions hand over without a sleep, and a long WAL
 * is checkpointed by the checkpointer's thread. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "check.h"
#include "core/err.h"
#include "platform/platform.h"
#include "store/store.h"
#include "store/writeq.h"

static struct writeq q;

/* order: each writer notes its number when it gets the lock */
static int order[8];
static atomic_int norder;

struct arg {
    int no;
    const char *kind;
};

static void *in_order(void *p)
{
    struct arg *a = p;
    char err[200];
    if (writeq_enter(&q, a->kind, 10000, NULL, err, sizeof(err)) == ACDL_OK) {
        order[atomic_fetch_add(&norder, 1)] = a->no;
        plat_sleep_ms(2);
        writeq_leave(&q);
    }
    return NULL;
}

static void wait_waiting(int n)
{
    for (int i = 0; i < 5000 && writeq_waiting(&q) < n; i++) {
        plat_sleep_ms(1);
    }
}

static void test_order(void)
{
    pthread_t t[8];
    struct arg a[8];
    char err[200];
    writeq_init(&q);
    atomic_store(&norder, 0);
    CHECK_EQ_INT(writeq_enter(&q, "holder", 0, NULL, err, sizeof(err)), ACDL_OK);
    for (int i = 0; i < 8; i++) {
        a[i].no = i;
        a[i].kind = i % 2 ? "odd" : "even";
        pthread_create(&t[i], NULL, in_order, &a[i]);
        wait_waiting(i + 1); /* the next one comes after this one is in line */
    }
    CHECK_EQ_INT(writeq_waiting(&q), 8);
    writeq_leave(&q);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
    }
    CHECK_EQ_INT(atomic_load(&norder), 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ_INT(order[i], i);
    }
    struct writeq_stat s[WRITEQ_KINDS];
    int n = writeq_stats(&q, s, WRITEQ_KINDS);
    CHECK_EQ_INT(n, 3);
    for (int i = 0; i < n; i++) {
        if (!strcmp(s[i].kind, "holder")) {
            CHECK_EQ_INT((long long)s[i].n, 1);
            CHECK_EQ_INT((long long)s[i].wait_us, 0);
        } else {
            CHECK_EQ_INT((long long)s[i].n, 4);
            CHECK(s[i].wait_us > 0);         /* each waited for the holder */
            CHECK(s[i].held_us >= 4 * 1500); /* four turns of about 2 ms */
            CHECK_EQ_INT((long long)s[i].timeouts, 0);
        }
    }
    writeq_destroy(&q);
}

/* many writers, each many times: exactly one inside at a time and every turn taken */
#define HAMMER_THREADS 8
#define HAMMER_TURNS 3000
static int inside, turns, overlap;

static void *hammer(void *p)
{
    (void)p;
    char err[200];
    for (int i = 0; i < HAMMER_TURNS; i++) {
        if (writeq_enter(&q, "hammer", 30000, NULL, err, sizeof(err)) != ACDL_OK) {
            fprintf(stdout, "hammer: %s\n", err);
            continue;
        }
        if (inside++) {
            overlap++;
        }
        turns++;
        inside--;
        writeq_leave(&q);
    }
    return NULL;
}

static void test_no_lost_wakeup(void)
{
    pthread_t t[HAMMER_THREADS];
    writeq_init(&q);
    for (int i = 0; i < HAMMER_THREADS; i++) {
        pthread_create(&t[i], NULL, hammer, NULL);
    }
    for (int i = 0; i < HAMMER_THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    CHECK_EQ_INT(turns, HAMMER_THREADS * HAMMER_TURNS);
    CHECK_EQ_INT(overlap, 0);
    CHECK_EQ_INT(writeq_waiting(&q), 0);
    struct writeq_stat s[2];
    CHECK_EQ_INT(writeq_stats(&q, s, 2), 1);
    CHECK_EQ_INT((long long)s[0].n, HAMMER_THREADS * HAMMER_TURNS);
    CHECK_EQ_INT((long long)s[0].timeouts, 0);
    /* the line is free again: the next writer gets it at once */
    char err[200];
    CHECK_EQ_INT(writeq_enter(&q, "after", 0, NULL, err, sizeof(err)), ACDL_OK);
    writeq_leave(&q);
    writeq_destroy(&q);
}

static void *late(void *p)
{
    int *rc = p;
    char err[200];
    *rc = writeq_enter(&q, "late", 10000, NULL, err, sizeof(err));
    if (*rc == ACDL_OK) {
        writeq_leave(&q);
    }
    return NULL;
}

static void test_timeout(void)
{
    char err[300] = "";
    int64_t waited = 0;
    writeq_init(&q);
    CHECK_EQ_INT(writeq_enter(&q, "agent staging", 0, NULL, err, sizeof(err)), ACDL_OK);
    /* one waits behind the one that will give up: it must still get its turn */
    int rc_late = -1;
    pthread_t t;
    pthread_create(&t, NULL, late, &rc_late);
    wait_waiting(1);
    int64_t t0 = writeq_now_us();
    CHECK_EQ_INT(writeq_enter(&q, "mapping", 50, &waited, err, sizeof(err)), ACDL_EAGAIN);
    int64_t took = writeq_now_us() - t0;
    CHECK(took >= 50000 && took < 2000000);
    CHECK(waited >= 50000);
    CHECK(strstr(err, "waited 50 ms for the database's write lock") != NULL);
    CHECK(strstr(err, "agent staging held it for") != NULL);
    CHECK(strstr(err, "1 more waited") != NULL);
    CHECK_EQ_INT(writeq_waiting(&q), 1); /* the one that gave up left the line */
    /* 0: only when free */
    CHECK_EQ_INT(writeq_enter(&q, "mapping", 0, NULL, err, sizeof(err)), ACDL_EAGAIN);
    writeq_leave(&q);
    pthread_join(t, NULL);
    CHECK_EQ_INT(rc_late, ACDL_OK);
    struct writeq_stat s[4];
    int n = writeq_stats(&q, s, 4);
    for (int i = 0; i < n; i++) {
        if (!strcmp(s[i].kind, "mapping")) {
            CHECK_EQ_INT((long long)s[i].timeouts, 2);
            CHECK_EQ_INT((long long)s[i].n, 0);
        }
    }
    CHECK_EQ_INT(writeq_enter(&q, "next", 0, NULL, err, sizeof(err)), ACDL_OK);
    writeq_leave(&q);
    writeq_destroy(&q);
}

/* writeq_await returns at the next release, not after its timeout */
static void *release_soon(void *p)
{
    (void)p;
    plat_sleep_ms(20);
    writeq_leave(&q);
    return NULL;
}

static void test_await(void)
{
    char err[200];
    writeq_init(&q);
    CHECK_EQ_INT(writeq_enter(&q, "holder", 0, NULL, err, sizeof(err)), ACDL_OK);
    uint64_t g = writeq_gen(&q);
    pthread_t t;
    pthread_create(&t, NULL, release_soon, NULL);
    int64_t t0 = writeq_now_us();
    CHECK(writeq_await(&q, g, 5000) != g);
    CHECK(writeq_now_us() - t0 < 2000000);
    pthread_join(t, NULL);
    /* a commit outside the line wakes it as well; without one it returns after the timeout */
    g = writeq_gen(&q);
    writeq_note_commit(&q);
    CHECK(writeq_await(&q, g, 5000) == g + 1);
    t0 = writeq_now_us();
    CHECK(writeq_await(&q, g + 1, 30) == g + 1);
    CHECK(writeq_now_us() - t0 >= 30000);
    writeq_destroy(&q);
}

/* Through the store: a transaction on a second connection waits in line while the first is
 * open and begins when it commits; counted under the calling function's name. */
static struct store *st;
static atomic_int second_began;

static void *second_writer(void *p)
{
    (void)p;
    struct store_conn *c = store_acquire(st);
    if (store_begin(c) == ACDL_OK) {
        atomic_store(&second_began, 1);
        sqlite3_exec(store_db(c), "INSERT INTO t VALUES (2)", NULL, NULL, NULL);
        store_commit(c);
    }
    store_release(st, c);
    return NULL;
}

static void test_store_line(void)
{
    char dir[512], path[600], err[256];
    CHECK_EQ_INT(check_tmpdir("writeq", dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/line.db", dir);
    CHECK_EQ_INT(store_open(path, 4, &st, err, sizeof(err)), ACDL_OK);
    if (!st) {
        return;
    }
    struct store_conn *c = store_acquire(st);
    sqlite3_exec(store_db(c), "CREATE TABLE t (v INTEGER)", NULL, NULL, NULL);
    CHECK_EQ_INT(store_begin(c), ACDL_OK);
    sqlite3_exec(store_db(c), "INSERT INTO t VALUES (1)", NULL, NULL, NULL);
    pthread_t t;
    pthread_create(&t, NULL, second_writer, NULL);
    for (int i = 0; i < 5000 && store_write_waiting(st) < 1; i++) {
        plat_sleep_ms(1);
    }
    CHECK_EQ_INT(store_write_waiting(st), 1);
    plat_sleep_ms(100);
    CHECK_EQ_INT(atomic_load(&second_began), 0); /* in line behind c */
    CHECK_EQ_INT(store_commit(c), ACDL_OK);
    pthread_join(t, NULL);
    CHECK_EQ_INT(atomic_load(&second_began), 1);
    /* a transaction left open is rolled back at release and the line moves on */
    CHECK_EQ_INT(store_begin(c), ACDL_OK);
    store_release(st, c);
    c = store_acquire(st);
    store_wait(c, 0);
    CHECK_EQ_INT(store_begin(c), ACDL_OK);
    store_rollback(c);
    struct writeq_stat s[WRITEQ_KINDS];
    int n = store_write_stats(st, s, WRITEQ_KINDS), seen = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(s[i].kind, "second_writer")) {
            CHECK_EQ_INT((long long)s[i].n, 1);
            CHECK(s[i].wait_us >= 90000); /* waited for the commit above */
            seen++;
        } else if (!strcmp(s[i].kind, "test_store_line")) {
            CHECK_EQ_INT((long long)s[i].n, 3);
            seen++;
        }
    }
    CHECK_EQ_INT(seen, 2);
    /* a commit that leaves the WAL longer than 1,000 pages has it checkpointed by the
     * checkpointer's thread: the counter moves without another commit */
    int64_t n0, n1 = 0, us, max_us;
    store_checkpoint_stats(st, &n0, &us, &max_us);
    CHECK_EQ_INT(store_begin(c), ACDL_OK);
    CHECK_EQ_INT(sqlite3_exec(store_db(c),
                              "CREATE TABLE big (b BLOB); WITH RECURSIVE k(i) AS (SELECT 1 UNION "
                              "ALL SELECT i + 1 FROM k WHERE i < 1500) INSERT INTO big SELECT "
                              "randomblob(4000) FROM k",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    CHECK_EQ_INT(store_commit(c), ACDL_OK);
    for (int i = 0; i < 500 && n1 <= n0; i++) {
        plat_sleep_ms(10);
        store_checkpoint_stats(st, &n1, &us, &max_us);
    }
    CHECK(n1 > n0);
    CHECK(us > 0 && max_us > 0);
    /* nothing left to copy: the checkpoint took every frame */
    sqlite3_stmt *ck = NULL;
    sqlite3_prepare_v2(store_db(c), "PRAGMA wal_checkpoint(PASSIVE)", -1, &ck, NULL);
    CHECK(ck && sqlite3_step(ck) == SQLITE_ROW);
    if (ck) {
        CHECK(sqlite3_column_int(ck, 1) >= 1000);
        CHECK_EQ_INT(sqlite3_column_int(ck, 1), sqlite3_column_int(ck, 2));
    }
    sqlite3_finalize(ck);
    store_release(st, c);
    store_close(st); /* ends the checkpointer */
    check_tmpdir_done(dir);
}

int main(void)
{
    RUN(test_order);
    RUN(test_no_lost_wakeup);
    RUN(test_timeout);
    RUN(test_await);
    RUN(test_store_line);
    return check_summary();
}
