/* test_answers.c: unit tests of the answer cache (http/answers.c) and of the store's change
 * generation it is keyed by (store_generation): an answer is served only at the generation it
 * was made at, the byte budget and the size limit hold, and the generation moves past a commit
 * of another pool connection, of the looking connection itself and of another process's
 * connection (a handle of its own on the same file). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "http/answers.h"
#include "store/store.h"

static const char etag_a[] = "\"0123456789abcdef0123456789abcdef\"";
static const char etag_b[] = "\"fedcba9876543210fedcba9876543210\"";

/* Looks key up at gen into a fresh writer; returns 1 on a hit, with the body in body[]. */
static int get(struct answers *a, const char *key, uint64_t gen, char *body, size_t bodysz,
               char *etag)
{
    struct jsonw w;
    jsonw_init(&w, 1 << 20);
    int hit = answers_get(a, key, strlen(key), gen, &w, etag);
    body[0] = '\0';
    if (hit && w.len < bodysz) {
        memcpy(body, w.buf, w.len);
        body[w.len] = '\0';
    }
    jsonw_free(&w);
    return hit;
}

static void test_generation_and_keys(void)
{
    struct answers *a = answers_new(1 << 20);
    char body[256], etag[ANSWERS_ETAG_LEN + 1];
    CHECK(a != NULL);
    if (!a) {
        return;
    }
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", 7, body, sizeof(body), etag), 0);
    answers_put(a, "1|/api/v1/queues", 16, 7, "{\"items\":[]}", 12, etag_a);
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", 7, body, sizeof(body), etag), 1);
    CHECK_EQ_STR(body, "{\"items\":[]}");
    CHECK_EQ_STR(etag, etag_a);
    /* another generation, another key (the role, the query): not served */
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", 8, body, sizeof(body), etag), 0);
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", 6, body, sizeof(body), etag), 0);
    CHECK_EQ_INT(get(a, "2|/api/v1/queues", 7, body, sizeof(body), etag), 0);
    CHECK_EQ_INT(get(a, "1|/api/v1/queues?limit=5", 7, body, sizeof(body), etag), 0);
    CHECK_EQ_INT(get(a, "1|/api/v1/queue", 7, body, sizeof(body), etag), 0);
    /* a later answer replaces it; an answer made from an older read does not replace that */
    answers_put(a, "1|/api/v1/queues", 16, 9, "{\"items\":[1]}", 13, etag_b);
    answers_put(a, "1|/api/v1/queues", 16, 8, "{\"items\":[0]}", 13, etag_a);
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", 9, body, sizeof(body), etag), 1);
    CHECK_EQ_STR(body, "{\"items\":[1]}");
    CHECK_EQ_STR(etag, etag_b);
    CHECK_EQ_INT(answers_bytes(a), 16 + 13);
    answers_free(a);
    answers_free(NULL);
}

static void test_bounds(void)
{
    struct answers *a = answers_new(64 * 1024);
    char key[32], body[64], etag[ANSWERS_ETAG_LEN + 1];
    char *big = calloc(1, ANSWERS_ONE_MAX + 1);
    CHECK(a != NULL && big != NULL);
    if (!a || !big) {
        answers_free(a);
        free(big);
        return;
    }
    memset(big, 'x', ANSWERS_ONE_MAX + 1);
    /* over the size of one answer, or of the whole budget: not kept */
    answers_put(a, "big", 3, 1, big, ANSWERS_ONE_MAX + 1, etag_a);
    answers_put(a, "big2", 4, 1, big, 65 * 1024, etag_a);
    CHECK_EQ_INT(answers_bytes(a), 0);
    /* many answers of one generation: the budget holds */
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        answers_put(a, key, strlen(key), 5, big, 1000, etag_a);
        CHECK(answers_bytes(a) <= 64 * 1024);
    }
    CHECK(answers_bytes(a) > 32 * 1024);
    /* a later generation's answers take the room of the earlier ones, which are stale */
    for (int i = 0; i < 60; i++) {
        snprintf(key, sizeof(key), "n%d", i);
        answers_put(a, key, strlen(key), 6, big, 1000, etag_b);
        CHECK(answers_bytes(a) <= 64 * 1024);
    }
    answers_put(a, "fresh", 5, 6, "[]", 2, etag_b);
    CHECK_EQ_INT(get(a, "fresh", 6, body, sizeof(body), etag), 1);
    CHECK_EQ_INT(get(a, "n59", 6, big, ANSWERS_ONE_MAX, etag), 1);
    CHECK_EQ_INT(strlen(big), 1000);
    CHECK_EQ_INT(get(a, "n59", 5, body, sizeof(body), etag), 0);
    answers_free(a);
    free(big);
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* A read on c (a statement stepped), then c's generation. */
static uint64_t look(struct store *st, struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM users");
    CHECK(s != NULL && sqlite3_step(s) == SQLITE_ROW);
    store_done(s);
    return store_generation(st, c);
}

/* A store of two connections in a new folder named for name (path: its file); NULL on failure. */
static struct store *store_in(const char *name, char *dir, size_t dirsz, char *path, size_t pathsz)
{
    char err[512] = "";
    struct store *st = NULL;
    CHECK_EQ_INT(check_tmpdir(name, dir, dirsz), 0);
    snprintf(path, pathsz, "%s/%s.db", dir, name);
    if (!CHECK_EQ_INT(store_open(path, 2, &st, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "  store_open: %s\n", err);
        return NULL;
    }
    return st;
}

/* Closes st and removes its folder when every check passed. */
static void store_out(struct store *st, const char *dir)
{
    store_close(st);
    if (check_failed == 0) {
        check_rm_rf(dir);
    }
}

static void test_store_generation(void)
{
    char dir[512], path[700];
    sqlite3 *other = NULL;
    struct store *st = store_in("answers", dir, sizeof(dir), path, sizeof(path));
    if (!st) {
        return;
    }
    struct store_conn *c1 = store_acquire(st), *c2 = store_acquire(st);
    uint64_t g1 = look(st, c1);
    uint64_t g2 = look(st, c2);
    CHECK(g2 > g1);                 /* each connection's first look moves it */
    CHECK_EQ_INT(look(st, c1), g2); /* nothing changed since */
    CHECK_EQ_INT(look(st, c2), g2);
    CHECK(exec_sql(store_db(c2), "CREATE TABLE t (x)")); /* another pool connection commits */
    uint64_t g3 = look(st, c1);
    CHECK(g3 > g2);
    CHECK(look(st, c2) >= g3); /* its own commit: moves (at least not backwards) */
    uint64_t g4 = look(st, c1);
    CHECK_EQ_INT(look(st, c1), g4);
    CHECK(exec_sql(store_db(c1), "INSERT INTO t VALUES (1)")); /* the looking one commits */
    uint64_t g5 = look(st, c1);
    CHECK(g5 > g4);
    /* another process's connection: a handle of its own on the file */
    CHECK(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    CHECK(exec_sql(other, "INSERT INTO t VALUES (2)"));
    uint64_t g6 = look(st, c1);
    CHECK(g6 > g5);
    CHECK_EQ_INT(look(st, c1), g6);
    /* a read that saw nothing new: the same value */
    CHECK(exec_sql(other, "SELECT * FROM t"));
    CHECK_EQ_INT(look(st, c1), g6);
    sqlite3_close(other);
    store_release(st, c2);
    store_release(st, c1);
    store_out(st, dir);
}

/* In a read transaction on c, after a read in it (as the router's, after the credentials'):
 * the queues' change count (-1: not available). */
static int64_t queues_count(struct store_conn *c)
{
    uint64_t n = 0;
    CHECK_EQ_INT(store_read_begin(c), ACDL_OK);
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM users");
    CHECK(s != NULL && sqlite3_step(s) == SQLITE_ROW);
    store_done(s);
    int rc = store_queues_generation(c, &n);
    store_read_end(c);
    return rc == ACDL_OK ? (int64_t)n : -1;
}

/* The queues' change count moves with every commit that changes wfm_queues, in that commit,
 * whoever makes it, and with no other; without its triggers it is not offered. */
static void test_queues_generation(void)
{
    char dir[512], path[700];
    sqlite3 *other = NULL;
    struct store *st = store_in("answers-q", dir, sizeof(dir), path, sizeof(path));
    if (!st) {
        return;
    }
    struct store_conn *c1 = store_acquire(st), *c2 = store_acquire(st);
    int64_t n0 = queues_count(c1);
    CHECK(n0 >= 0);
    CHECK_EQ_INT(queues_count(c2), n0);
    /* other tables change: the count stays (an import's commits) */
    CHECK(exec_sql(store_db(c2), "CREATE TABLE t (x); INSERT INTO t VALUES (1)"));
    CHECK(exec_sql(store_db(c2), "INSERT INTO t VALUES (2)"));
    CHECK_EQ_INT(queues_count(c1), n0);
    CHECK_EQ_INT(queues_count(c2), n0);
    /* a queue added, changed, deleted: each moves it, seen by both connections */
    CHECK(exec_sql(store_db(c2), "INSERT INTO wfm_queues (identifier, name, channel, "
                                 "interval_minutes, time_zone, created_at, updated_at) VALUES "
                                 "('Q1', 'one', 'calls', 15, 'UTC', 0, 0)"));
    int64_t n1 = queues_count(c1);
    CHECK(n1 > n0);
    CHECK_EQ_INT(queues_count(c2), n1);
    CHECK(exec_sql(store_db(c1), "UPDATE wfm_queues SET name = 'One' WHERE identifier = 'Q1'"));
    int64_t n2 = queues_count(c1);
    CHECK(n2 > n1);
    CHECK_EQ_INT(queues_count(c2), n2);
    /* another process's handle on the file */
    CHECK(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    CHECK(exec_sql(other, "DELETE FROM wfm_queues WHERE identifier = 'Q1'"));
    int64_t n3 = queues_count(c2);
    CHECK(n3 > n2);
    CHECK_EQ_INT(queues_count(c1), n3);
    /* a change rolled back does not count */
    CHECK(exec_sql(other, "BEGIN; INSERT INTO wfm_queues (identifier, name, channel, "
                          "interval_minutes, time_zone, created_at, updated_at) VALUES "
                          "('Q2', 'two', 'calls', 15, 'UTC', 0, 0); ROLLBACK"));
    CHECK_EQ_INT(queues_count(c1), n3);
    /* a trigger gone (a migration rebuilding the table would drop them): not offered */
    CHECK(exec_sql(other, "DROP TRIGGER wfm_queues_counted_update"));
    CHECK_EQ_INT(queues_count(c1), -1);
    CHECK_EQ_INT(queues_count(c2), -1);
    sqlite3_close(other);
    store_release(st, c2);
    store_release(st, c1);
    store_out(st, dir);
}

/* Generations of different groups: neither retires the other's answers. */
static void test_groups(void)
{
    struct answers *a = answers_new(1 << 20);
    char body[64], etag[ANSWERS_ETAG_LEN + 1];
    uint64_t q5 = ANSWERS_GEN(ANSWERS_GROUP_QUEUES, 5);
    answers_put(a, "1|/api/v1/queues", 16, q5, "[5]", 3, etag_a);
    CHECK_EQ_INT(get(a, "1|/api/v1/queues", q5, body, sizeof(body), etag), 1);
    /* the same number in the other group is another generation */
    CHECK_EQ_INT(
        get(a, "1|/api/v1/queues", ANSWERS_GEN(ANSWERS_GROUP_ALL, 5), body, sizeof(body), etag), 0);
    /* a later generation of any commit does not count as later than the queues' */
    answers_put(a, "1|/api/v1/queues", 16, ANSWERS_GEN(ANSWERS_GROUP_ALL, 9), "[9]", 3, etag_a);
    CHECK_EQ_INT(
        get(a, "1|/api/v1/queues", ANSWERS_GEN(ANSWERS_GROUP_ALL, 9), body, sizeof(body), etag), 1);
    /* an earlier queues' answer does not take the slot of a later one */
    answers_put(a, "2|/api/v1/queues", 16, ANSWERS_GEN(ANSWERS_GROUP_QUEUES, 7), "[7]", 3, etag_a);
    answers_put(a, "2|/api/v1/queues", 16, q5, "[5]", 3, etag_a);
    CHECK_EQ_INT(get(a, "2|/api/v1/queues", q5, body, sizeof(body), etag), 0);
    CHECK_EQ_INT(
        get(a, "2|/api/v1/queues", ANSWERS_GEN(ANSWERS_GROUP_QUEUES, 7), body, sizeof(body), etag),
        1);
    answers_free(a);
}

/* An answer made again with the same text after a commit: renewed, with its tag, in place. */
static void test_renew(void)
{
    struct answers *a = answers_new(1 << 20);
    char body[64], etag[ANSWERS_ETAG_LEN + 1];
    answers_put(a, "1|/api/v1/results", 17, 5, "[1,2]", 5, etag_a);
    size_t held = answers_bytes(a);
    /* the same text at a later generation: renewed, the old tag */
    etag[0] = '\0';
    CHECK_EQ_INT(answers_renew(a, "1|/api/v1/results", 17, 6, "[1,2]", 5, etag), 1);
    CHECK_EQ_STR(etag, etag_a);
    CHECK_EQ_INT(answers_bytes(a), held);
    CHECK_EQ_INT(get(a, "1|/api/v1/results", 6, body, sizeof(body), etag), 1);
    CHECK_EQ_STR(body, "[1,2]");
    CHECK_EQ_INT(get(a, "1|/api/v1/results", 5, body, sizeof(body), etag), 0);
    /* another text, another length, an earlier generation, another group or key: not */
    CHECK_EQ_INT(answers_renew(a, "1|/api/v1/results", 17, 7, "[1,3]", 5, etag), 0);
    CHECK_EQ_INT(answers_renew(a, "1|/api/v1/results", 17, 7, "[1,2] ", 6, etag), 0);
    CHECK_EQ_INT(answers_renew(a, "1|/api/v1/results", 17, 4, "[1,2]", 5, etag), 0);
    CHECK_EQ_INT(answers_renew(a, "1|/api/v1/results", 17, ANSWERS_GEN(ANSWERS_GROUP_QUEUES, 9),
                               "[1,2]", 5, etag),
                 0);
    CHECK_EQ_INT(answers_renew(a, "2|/api/v1/results", 17, 7, "[1,2]", 5, etag), 0);
    CHECK_EQ_INT(get(a, "1|/api/v1/results", 6, body, sizeof(body), etag), 1);
    answers_free(a);
}

int main(void)
{
    RUN(test_renew);
    RUN(test_generation_and_keys);
    RUN(test_bounds);
    RUN(test_store_generation);
    RUN(test_queues_generation);
    RUN(test_groups);
    return check_summary();
}
