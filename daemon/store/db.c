/* db.c: opening the SQLite database, the connection pool and the statement cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "platform/platform.h"
#include "store/staged.h"
#include "store/store.h"

#define STMT_CACHE 256 /* distinct SQL texts per connection; a full cache leaks what it cannot keep */
#define POOL_MAX 128

struct store_conn {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE];
    int ncache;
    struct store_conn *next_free;
};

struct store {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store_conn *free_list;
    struct store_conn *conns[POOL_MAX];
    int n;
};

static int conn_open(const char *path, sqlite3 **out, char *err, size_t errsz)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot open the database: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return ACDL_EDB;
    }
    /* busy timeout first: the WAL switch itself may need to wait for another connection */
    sqlite3_busy_timeout(db, 10000);
    sqlite3_extended_result_codes(db, 1);
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL; PRAGMA trusted_schema=OFF;";
    char *msg = NULL;
    if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot configure the database: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return ACDL_EDB;
    }
    /* the staged layout's functions: used by the migrations and the import */
    if (staged_register(db) != ACDL_OK) {
        snprintf(err, errsz, "%s: cannot register SQL functions: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return ACDL_EDB;
    }
    *out = db;
    return ACDL_OK;
}

static void conn_free(struct store_conn *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].stmt);
    }
    sqlite3_close(c->db);
    free(c);
}

int store_open(const char *path, int pool_size, struct store **out, char *err, size_t errsz)
{
    int rc;
    struct store *st = calloc(1, sizeof(*st));
    if (!st) {
        return ACDL_ENOMEM;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    if (pool_size < 1) {
        pool_size = 1;
    }
    if (pool_size > POOL_MAX) {
        pool_size = POOL_MAX;
    }
    for (int i = 0; i < pool_size; i++) {
        struct store_conn *c = calloc(1, sizeof(*c));
        if (!c) {
            rc = ACDL_ENOMEM;
            goto fail;
        }
        rc = conn_open(path, &c->db, err, errsz);
        if (rc != ACDL_OK) {
            free(c);
            goto fail;
        }
        st->conns[st->n++] = c;
        if (i == 0) {
            rc = store_migrate(c->db, schema_files, schema_count, err, errsz);
            if (rc != ACDL_OK) {
                goto fail;
            }
        }
        c->next_free = st->free_list;
        st->free_list = c;
    }
    *out = st;
    return ACDL_OK;
fail:
    store_close(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st) {
        return;
    }
    for (int i = 0; i < st->n; i++) {
        conn_free(st->conns[i]);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    free(st);
}

struct store_conn *store_acquire(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    while (!st->free_list) {
        pthread_cond_wait(&st->cv, &st->mu);
    }
    struct store_conn *c = st->free_list;
    st->free_list = c->next_free;
    pthread_mutex_unlock(&st->mu);
    return c;
}

void store_release(struct store *st, struct store_conn *c)
{
    if (!c) {
        return;
    }
    if (!sqlite3_get_autocommit(c->db)) {
        log_warn("store", "a transaction was left open; rolling it back");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_lock(&st->mu);
    c->next_free = st->free_list;
    st->free_list = c;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

sqlite3 *store_db(struct store_conn *c)
{
    return c->db;
}

sqlite3_stmt *store_prepare(struct store_conn *c, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].sql == sql) {
            return c->cache[i].stmt;
        }
    }
    unsigned flags = c->ncache < STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(c->db, sql, -1, flags, &stmt, NULL) != SQLITE_OK) {
        log_error("store", "prepare failed: %s", sqlite3_errmsg(c->db));
        return NULL;
    }
    if (c->ncache < STMT_CACHE) {
        c->cache[c->ncache].sql = sql;
        c->cache[c->ncache].stmt = stmt;
        c->ncache++;
    } else {
        log_warn("store", "statement cache full; statement not cached");
    }
    return stmt;
}

void store_done(sqlite3_stmt *stmt)
{
    if (stmt) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
}

int store_begin(struct store_conn *c)
{
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        log_error("store", "BEGIN failed: %s", sqlite3_errmsg(c->db));
        return ACDL_EDB;
    }
    return ACDL_OK;
}

int store_commit(struct store_conn *c)
{
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        log_error("store", "COMMIT failed: %s", sqlite3_errmsg(c->db));
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return ACDL_EDB;
    }
    return ACDL_OK;
}

void store_rollback(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int store_ping(struct store *st)
{
    struct store_conn *c = store_acquire(st);
    int rc = ACDL_EDB;
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM sqlite_schema");
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        rc = ACDL_OK;
    }
    store_done(s);
    store_release(st, c);
    return rc;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (!s) {
        return sqlite3_bind_null(st, idx);
    }
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

int store_step_done(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
    int r = sqlite3_step(s);
    int rc = ACDL_OK;
    if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY) {
        rc = ACDL_EEXIST;
    } else if (r == SQLITE_CONSTRAINT_FOREIGNKEY || r == SQLITE_CONSTRAINT_TRIGGER) {
        rc = ACDL_ECONFLICT;
    } else if (r != SQLITE_DONE) {
        log_error("store", "%s failed: %s", what, sqlite3_errmsg(store_db(c)));
        rc = ACDL_EDB;
    }
    store_done(s);
    return rc;
}

void store_column_text(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, outsz, "%s", t ? (const char *)t : "");
}

int store_collect(sqlite3_stmt *st, size_t elem_size, int limit,
                  void (*row)(sqlite3_stmt *st, void *elem), void **out, int *n)
{
    int cnt = 0, r;
    char *arr = calloc((size_t)(limit > 0 ? limit : 1), elem_size);
    if (!arr) {
        store_done(st);
        return ACDL_ENOMEM;
    }
    while (cnt < limit && (r = sqlite3_step(st)) == SQLITE_ROW) {
        row(st, arr + (size_t)cnt * elem_size);
        cnt++;
    }
    if (cnt < limit && r != SQLITE_DONE) {
        store_done(st);
        free(arr);
        return ACDL_EDB;
    }
    store_done(st);
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}
