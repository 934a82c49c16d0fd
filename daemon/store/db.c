/* db.c: opening the SQLite database, the connection pool and the statement cache. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "platform/platform.h"
#include "store/pagemem.h"
#include "store/staged.h"
#include "store/store.h"
#include "store/writeq.h"

/* distinct SQL texts per connection; a full cache leaks what it cannot keep */
#define STMT_CACHE 512
#define STMT_SLOTS 1024 /* the cache's hash table: twice its entries, so probes stay short */
#define STMT_USED 32    /* statements remembered per borrowing, to check at release */
#define POOL_MAX 128
#define WAIT_DEFAULT_MS 10000     /* how long a write waits for another connection's transaction */
#define TX_SLOW_MS 2000           /* a write transaction held longer is logged: it delays the API */
#define WAL_CHECKPOINT_PAGES 1000 /* a commit that leaves the WAL this long checkpoints it */

/* The last SQLite failure that says why a write could not proceed, on this thread (busy or
 * locked after the wait, disk full, read-only, I/O): refines ACDL_EDB into a retry-later code
 * where the caller only passed ACDL_EDB on. Reset by store_thread_clear(). */
static _Thread_local int thread_sqlite_err;

/* Whether writes work, for health: the time and code of the last write that failed because
 * the database cannot be written (disk full, I/O, read-only), and the time of the last write
 * that succeeded. */
static _Atomic int64_t write_failed_at, write_seq, write_failed_seq, write_ok_seq;
static _Atomic int write_failed_code;

/* Monotonic ms of the last time a write waited for another connection, and the thread that
 * waited (the address of its thread_mark): store_yield() gives way to another thread only, a
 * writer that had itself waited for its transaction does not sleep after it. */
static _Atomic int64_t last_wait_ms;
static _Atomic uintptr_t last_waiter;
static _Thread_local char thread_mark;
#define YIELD_RECENT_MS 30
#define YIELD_SLEEP_MS 15

static void note_write(int code)
{
    int prim = code & 0xff;
    if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_READONLY ||
        prim == SQLITE_CANTOPEN) {
        atomic_store(&write_failed_code, code);
        atomic_store(&write_failed_at, plat_now());
        atomic_store(&write_failed_seq, atomic_fetch_add(&write_seq, 1) + 1);
    }
}

struct store_conn {
    sqlite3 *db;
    struct store *st;
    int wait_ms;          /* busy wait of this connection's writes */
    int64_t busy_since;   /* monotonic ms of the current wait */
    int64_t busy_last_us; /* writeq_now_us() of the busy handler's last call */
    uint64_t busy_gen;    /* the write line's generation the busy handler waits to move */
    const char *kind;     /* the caller of store_begin while its transaction is open */
    int in_line;          /* holds the write line's lock (store_begin .. commit/rollback) */
    int checkpoint_due;   /* the WAL hook saw a long WAL during store_commit */
    int64_t tx_started;   /* monotonic ms of store_begin() */
    struct {
        const char *sql;
        int nth; /* which copy of sql (store_prepare_nth) */
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE];
    int ncache;
    short slot[STMT_SLOTS]; /* 1 + the cache index of a statement, by hash of (sql, nth); 0: free */
    short used[STMT_USED];  /* cache indexes handed out since the connection was acquired */
    int nused;              /* past STMT_USED: every statement is checked at release */
    unsigned char in_used[STMT_CACHE];
    struct store_conn *next_free;
    int64_t idle_since;    /* monotonic ms of the last store_release */
    unsigned seen_version; /* the data version store_generation last saw here */
    int seen;              /* 0: store_generation has not looked on this connection yet */
    /* store_queues_generation: what it last read here, at which data and schema version */
    unsigned counted_version;
    int counted_seen;   /* 0: not read on this connection yet */
    int counted_ok;     /* 1: the count and its three triggers were there */
    int counted_schema; /* the schema version the triggers were found at */
    uint64_t counted_n;
    /* store_memo_*: records kept for as long as the data version stays (kind 0: free) */
    struct {
        int kind;
        unsigned version;
        unsigned char key[STORE_MEMO_KEY];
        unsigned char val[STORE_MEMO_VAL];
    } memo[STORE_MEMO_SLOTS];
    int memo_next; /* the slot the next new record takes */
};

/* The pool opens its first connection (which migrates) at store_open and the others when a
 * borrower finds none free: each costs its schema and page cache (~190 KB), and most of the
 * HTTP threads' share is never used at once. */
struct store {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store_conn *free_list;
    struct store_conn *conns[POOL_MAX];
    int n;                       /* connections open */
    int max;                     /* the pool's bound: n + opening stays at or below it */
    int opening;                 /* connections being opened (outside the mutex) */
    _Atomic uint64_t generation; /* store_generation: bumped when a change is seen */
    char *path;
    struct writeq line; /* the daemon's writers, in line for the write lock */
    _Atomic int64_t checkpoints, checkpoint_us, checkpoint_max_us;
    /* the checkpointer: a thread of its own with a connection of its own, started at the
     * first long WAL; a commit only asks it (ckpt_due) */
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    pthread_t ckpt_thread;
    int ckpt_state; /* 0: not started, 1: running, -1: cannot run (checkpoints inline) */
    int ckpt_made;  /* the thread was created: store_close joins it */
    int ckpt_due, ckpt_stop;
};

/* The busy handler, for a lock held outside the write line (another process, a write outside
 * a transaction, a read transaction that wrote): waits up to the connection's wait_ms, each turn
 * until the next commit or release of this process or 1, 2, 4, 8, then 10 ms (another process's
 * commit is not seen; the default handler's sleeps grow to 100 ms, which a short API write
 * should not have to sit out), then gives up and remembers why on this thread. */
static int conn_busy(void *arg, int count)
{
    struct store_conn *c = arg;
    int64_t now = plat_monotonic_ms(), us = writeq_now_us();
    if (count == 0) {
        c->busy_since = now;
        c->busy_gen = writeq_gen(&c->st->line);
    } else {
        writeq_note_busy(&c->st->line, c->kind ? c->kind : "outside a transaction",
                         us - c->busy_last_us);
    }
    atomic_store(&last_waiter, (uintptr_t)&thread_mark);
    atomic_store(&last_wait_ms, now);
    if (now - c->busy_since >= c->wait_ms) {
        thread_sqlite_err = SQLITE_BUSY;
        return 0;
    }
    int ms = count < 4 ? 1 << count : 10;
    if (ms > c->wait_ms - (now - c->busy_since)) {
        ms = (int)(c->wait_ms - (now - c->busy_since));
    }
    c->busy_gen = writeq_await(&c->st->line, c->busy_gen, ms);
    c->busy_last_us = writeq_now_us();
    return 1;
}

/* A passive checkpoint of the WAL, counted for the metrics. */
static void conn_checkpoint(struct store_conn *c)
{
    struct store *st = c->st;
    int64_t t0 = writeq_now_us();
    sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    int64_t us = writeq_now_us() - t0;
    atomic_fetch_add(&st->checkpoints, 1);
    atomic_fetch_add(&st->checkpoint_us, us);
    if (us > atomic_load(&st->checkpoint_max_us)) {
        atomic_store(&st->checkpoint_max_us, us);
    }
}

static int conn_open(struct store *st, const char *path, struct store_conn *c, char *err,
                     size_t errsz);
static void conn_free(struct store_conn *c);

/* The checkpointer's thread: a passive checkpoint whenever a commit left a long WAL, on its
 * own connection, beside the writers (a passive checkpoint does not take the write lock). */
static void *ckpt_main(void *arg)
{
    struct store *st = arg;
    char err[512] = "";
    struct store_conn *c = calloc(1, sizeof(*c));
    if (!c || conn_open(st, st->path, c, err, sizeof(err)) != ACDL_OK) {
        log_warn("store", "no connection for the checkpoints (%s); commits checkpoint instead",
                 err[0] ? err : "out of memory");
        free(c);
        pthread_mutex_lock(&st->ckpt_mu);
        st->ckpt_state = -1;
        pthread_mutex_unlock(&st->ckpt_mu);
        return NULL;
    }
    pthread_mutex_lock(&st->ckpt_mu);
    while (!st->ckpt_stop) {
        if (!st->ckpt_due) {
            pthread_cond_wait(&st->ckpt_cv, &st->ckpt_mu);
            continue;
        }
        st->ckpt_due = 0;
        pthread_mutex_unlock(&st->ckpt_mu);
        conn_checkpoint(c);
        pthread_mutex_lock(&st->ckpt_mu);
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    conn_free(c);
    return NULL;
}

/* Asks the checkpointer for a checkpoint (starting it the first time); 0 when it cannot run:
 * then the caller checkpoints itself. */
static int ckpt_request(struct store *st)
{
    int ok;
    pthread_mutex_lock(&st->ckpt_mu);
    if (st->ckpt_state == 0 && !st->ckpt_stop) {
        st->ckpt_made = pthread_create(&st->ckpt_thread, NULL, ckpt_main, st) == 0;
        st->ckpt_state = st->ckpt_made ? 1 : -1;
    }
    ok = st->ckpt_state == 1;
    if (ok) {
        st->ckpt_due = 1;
        pthread_cond_signal(&st->ckpt_cv);
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    return ok;
}

/* SQLite's WAL hook: after every commit of c, the write lock released. Wakes the busy handlers
 * of this process, and has a long WAL checkpointed as SQLite's own hook would
 * (wal_autocheckpoint, which this hook replaces), but by the checkpointer's thread: the
 * committing writer goes on with its work, and the next writer does not wait. */
static int conn_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store_conn *c = arg;
    (void)db;
    writeq_note_commit(&c->st->line);
    if (pages >= WAL_CHECKPOINT_PAGES && !strcmp(name, "main") && !ckpt_request(c->st)) {
        if (c->in_line) {
            c->checkpoint_due = 1; /* after store_commit has left the line */
        } else {
            conn_checkpoint(c);
        }
    }
    return SQLITE_OK;
}

/* Leaves the write line if c holds its lock, then runs a checkpoint the commit made due. */
static void conn_leave_line(struct store_conn *c)
{
    c->kind = NULL;
    if (c->in_line) {
        c->in_line = 0;
        writeq_leave(&c->st->line);
    }
    if (c->checkpoint_due) {
        c->checkpoint_due = 0;
        conn_checkpoint(c);
    }
}

/* SQLite's error log: the failures that explain an ACDL_EDB are kept for this thread. */
static void store_log_cb(void *arg, int code, const char *msg)
{
    (void)arg;
    int prim = code & 0xff;
    if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_READONLY ||
        prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
        thread_sqlite_err = code;
        note_write(code);
        log_debug("store", "sqlite: %s (%d)", msg, code);
    }
}

int store_rc(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return ACDL_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ACDL_EAGAIN;
    case SQLITE_FULL: return ACDL_ENOSPC;
    case SQLITE_NOMEM: return ACDL_ENOMEM;
    default: return ACDL_EDB;
    }
}

int store_thread_rc(int rc)
{
    if (rc == ACDL_EDB && thread_sqlite_err != 0) {
        return store_rc(thread_sqlite_err);
    }
    /* not seen on this thread (SQLite does not log every failure), but the disk is known to
     * be full: no write has worked since one met it */
    if (rc == ACDL_EDB && (atomic_load(&write_failed_code) & 0xff) == SQLITE_FULL &&
        atomic_load(&write_failed_seq) > atomic_load(&write_ok_seq)) {
        return ACDL_ENOSPC;
    }
    return rc;
}

void store_thread_clear(void)
{
    thread_sqlite_err = 0;
}

int store_write_state(int64_t *failed_at, char *why, size_t whysz)
{
    int64_t f = atomic_load(&write_failed_seq), ok = atomic_load(&write_ok_seq);
    *failed_at = atomic_load(&write_failed_at);
    if (f == 0 || ok > f) {
        return ACDL_OK;
    }
    snprintf(why, whysz, "%s", sqlite3_errstr(atomic_load(&write_failed_code)));
    return store_rc(atomic_load(&write_failed_code));
}

void store_yield(void)
{
    if (plat_monotonic_ms() - atomic_load(&last_wait_ms) < YIELD_RECENT_MS &&
        atomic_load(&last_waiter) != (uintptr_t)&thread_mark) {
        plat_sleep_ms(YIELD_SLEEP_MS);
    }
}

int store_wait(struct store_conn *c, int ms)
{
    int before = c->wait_ms;
    c->wait_ms = ms;
    return before;
}

/* Keeps the SQLite failure of a call on c for this thread; returns store_rc() of it. */
static int conn_rc(struct store_conn *c, int r)
{
    int rc = store_rc(r);
    if (rc != ACDL_OK) {
        int x = sqlite3_extended_errcode(c->db);
        thread_sqlite_err = (x & 0xff) == SQLITE_OK ? r : x;
        note_write(thread_sqlite_err);
    }
    return rc;
}

static int conn_open(struct store *st, const char *path, struct store_conn *c, char *err,
                     size_t errsz)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot open the database: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return ACDL_EDB;
    }
    /* busy handler first: the WAL switch itself may need to wait for another connection */
    c->st = st;
    c->wait_ms = WAIT_DEFAULT_MS;
    sqlite3_busy_handler(db, conn_busy, c);
    sqlite3_wal_hook(db, conn_wal_hook, c);
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
    c->db = db;
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
    struct store_conn *c = NULL;
    struct store *st = calloc(1, sizeof(*st));
    if (!st) {
        return ACDL_ENOMEM;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    writeq_init(&st->line);
    pthread_mutex_init(&st->ckpt_mu, NULL);
    pthread_cond_init(&st->ckpt_cv, NULL);
    /* only possible before SQLite's first use; later calls change nothing (SQLITE_MISUSE) */
    sqlite3_config(SQLITE_CONFIG_LOG, store_log_cb, NULL);
    store_pagemem_install();
    /* one budget for every connection's page cache: past it a cache reuses its own oldest
     * pages instead of taking more memory */
    sqlite3_soft_heap_limit64((sqlite3_int64)STORE_SQLITE_SOFT_KIB * 1024);
    st->max = pool_size < 1 ? 1 : pool_size > POOL_MAX ? POOL_MAX : pool_size;
    st->path = strdup(path);
    c = calloc(1, sizeof(*c));
    if (!st->path || !c) {
        free(c);
        rc = ACDL_ENOMEM;
        goto fail;
    }
    rc = conn_open(st, path, c, err, errsz);
    if (rc != ACDL_OK) {
        free(c);
        goto fail;
    }
    st->conns[st->n++] = c;
    rc = store_migrate(c->db, schema_files, schema_count, err, errsz);
    if (rc != ACDL_OK) {
        goto fail;
    }
    st->free_list = c;
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
    pthread_mutex_lock(&st->ckpt_mu);
    st->ckpt_stop = 1;
    int joined = st->ckpt_made;
    pthread_cond_signal(&st->ckpt_cv);
    pthread_mutex_unlock(&st->ckpt_mu);
    if (joined) {
        pthread_join(st->ckpt_thread, NULL); /* also when it ended early (no connection) */
    }
    for (int i = 0; i < st->n; i++) {
        conn_free(st->conns[i]);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    writeq_destroy(&st->line);
    pthread_mutex_destroy(&st->ckpt_mu);
    pthread_cond_destroy(&st->ckpt_cv);
    free(st->path);
    free(st);
}

/* One more connection for the pool, opened without the mutex held; NULL when it cannot be
 * opened (logged: the pool stays at what it has, and borrowers wait for those). */
static struct store_conn *pool_open_one(struct store *st)
{
    char err[512] = "";
    struct store_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        log_warn("store", "out of memory for another database connection");
        return NULL;
    }
    if (conn_open(st, st->path, c, err, sizeof(err)) != ACDL_OK) {
        log_warn("store", "cannot open another database connection: %s", err);
        free(c);
        return NULL;
    }
    return c;
}

struct store_conn *store_acquire(struct store *st)
{
    struct store_conn *c;
    pthread_mutex_lock(&st->mu);
    while (!st->free_list) {
        if (st->n + st->opening < st->max) {
            st->opening++;
            pthread_mutex_unlock(&st->mu);
            c = pool_open_one(st);
            pthread_mutex_lock(&st->mu);
            st->opening--;
            if (c) {
                st->conns[st->n++] = c;
                pthread_mutex_unlock(&st->mu);
                return c;
            }
            st->max = st->n + st->opening; /* no more tries; n >= 1 */
            continue;
        }
        pthread_cond_wait(&st->cv, &st->mu);
    }
    c = st->free_list;
    st->free_list = c->next_free;
    pthread_mutex_unlock(&st->mu);
    return c;
}

void store_release(struct store *st, struct store_conn *c)
{
    if (!c) {
        return;
    }
    /* A statement left stepping keeps its snapshot (and, writing, the write lock) while the
     * connection waits in the pool: reset it, and say which one it was. The statements handed
     * out since store_acquire are checked; all of them (hundreds) only when a transaction is
     * still open after that, or when more were handed out than were remembered. */
    int all = c->nused > STMT_USED;
    for (int i = 0; i < c->nused && i < STMT_USED; i++) {
        sqlite3_stmt *s = c->cache[c->used[i]].stmt;
        c->in_used[c->used[i]] = 0;
        if (sqlite3_stmt_busy(s)) {
            log_warn("store", "a statement was left active; resetting it: %.160s", sqlite3_sql(s));
            sqlite3_reset(s);
        }
    }
    if (all) {
        memset(c->in_used, 0, sizeof(c->in_used));
    }
    c->nused = 0;
    if (all || sqlite3_txn_state(c->db, NULL) != SQLITE_TXN_NONE) {
        for (sqlite3_stmt *s = sqlite3_next_stmt(c->db, NULL); s; s = sqlite3_next_stmt(c->db, s)) {
            if (sqlite3_stmt_busy(s)) {
                log_warn("store", "a statement was left active; resetting it: %.160s",
                         sqlite3_sql(s));
                sqlite3_reset(s);
            }
        }
    }
    if (!sqlite3_get_autocommit(c->db)) {
        log_warn("store", "a transaction was left open; rolling it back");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    conn_leave_line(c);
    c->wait_ms = WAIT_DEFAULT_MS;
    c->tx_started = 0;
    c->idle_since = plat_monotonic_ms();
    pthread_mutex_lock(&st->mu);
    c->next_free = st->free_list;
    st->free_list = c;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* Walks the connections idle in the pool (an idle connection is only taken under the mutex:
 * nobody uses it meanwhile), adding up their page caches into *cache and their count into
 * *conns, and frees the caches of those idle for idle_ms or longer when release is set. Returns
 * how many caches it freed. */
static int idle_caches(struct store *st, int64_t idle_ms, int release, long long *cache, int *conns)
{
    int n = 0;
    int64_t now = plat_monotonic_ms();
    pthread_mutex_lock(&st->mu);
    for (struct store_conn *c = st->free_list; c; c = c->next_free) {
        int used = 0, hw = 0;
        if (sqlite3_db_status(c->db, SQLITE_DBSTATUS_CACHE_USED, &used, &hw, 0) != SQLITE_OK) {
            used = 0;
        }
        (*conns)++;
        if (release && used > 0 && now - c->idle_since >= idle_ms) {
            sqlite3_db_release_memory(c->db);
            n++;
            used = 0;
        }
        *cache += used;
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

void store_memory(struct store *st, struct store_memory *m)
{
    sqlite3_int64 cur = 0, peak = 0;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &peak, 0);
    m->sqlite_used = cur;
    m->sqlite_peak = peak;
    m->cache_idle = 0;
    m->conns_idle = 0;
    idle_caches(st, 0, 0, &m->cache_idle, &m->conns_idle);
    pthread_mutex_lock(&st->mu);
    m->conns = st->n;
    pthread_mutex_unlock(&st->mu);
    store_pagemem_stats(&m->slabs_held, &m->slabs_used);
}

int store_release_idle(struct store *st, int64_t idle_ms)
{
    long long cache = 0;
    int conns = 0;
    int n = idle_caches(st, idle_ms, 1, &cache, &conns);
    store_pagemem_trim();
    return n;
}

uint64_t store_generation(struct store *st, struct store_conn *c)
{
    unsigned v = 0;
    /* the pager's counter moves on this connection's commits and whenever a read transaction
     * finds the database changed by another connection, of this process or another one */
    if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK ||
        !c->seen || v != c->seen_version) {
        c->seen_version = v;
        c->seen = 1;
        return atomic_fetch_add(&st->generation, 1) + 1;
    }
    return atomic_load(&st->generation);
}

/* 1 when the three triggers that move the queues' change count are in the schema. */
static int queue_triggers_there(struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' "
                                       "AND tbl_name = 'wfm_queues' AND name IN "
                                       "('wfm_queues_counted_insert', 'wfm_queues_counted_update', "
                                       "'wfm_queues_counted_delete')");
    int there = s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 3;
    store_done(s);
    return there;
}

int store_queues_generation(struct store_conn *c, uint64_t *out)
{
    unsigned v = 0;
    if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK) {
        c->counted_seen = 0;
        return ACDL_EDB;
    }
    /* the same data version: nothing was committed since the last read here */
    if (!c->counted_seen || v != c->counted_version) {
        sqlite3_stmt *s = store_prepare(c, "SELECT n, (SELECT schema_version FROM "
                                           "pragma_schema_version) FROM change_counts WHERE grp "
                                           "= 'wfm_queues'");
        int ok = s && sqlite3_step(s) == SQLITE_ROW;
        uint64_t n = ok ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
        int schema = ok ? sqlite3_column_int(s, 1) : 0;
        store_done(s);
        /* a schema change (a migration rebuilding the table) may have dropped the triggers */
        if (ok && (!c->counted_ok || schema != c->counted_schema)) {
            ok = queue_triggers_there(c);
        }
        c->counted_version = v;
        c->counted_seen = 1;
        c->counted_ok = ok;
        c->counted_schema = schema;
        c->counted_n = n;
    }
    *out = c->counted_n;
    return c->counted_ok ? ACDL_OK : ACDL_ENOTFOUND;
}

sqlite3 *store_db(struct store_conn *c)
{
    return c->db;
}

/* Remembers that cache entry i was handed out, for store_release's check. */
static void note_used(struct store_conn *c, int i)
{
    if (c->in_used[i]) {
        return;
    }
    c->in_used[i] = 1;
    if (c->nused < STMT_USED) {
        c->used[c->nused] = (short)i;
    }
    c->nused++;
}

sqlite3_stmt *store_prepare(struct store_conn *c, const char *sql)
{
    return store_prepare_nth(c, sql, 0);
}

sqlite3_stmt *store_prepare_nth(struct store_conn *c, const char *sql, int nth)
{
    sqlite3_stmt *stmt = NULL;
    /* the statement's address hashed: every API request looks up several */
    uint64_t h = ((uint64_t)(uintptr_t)sql ^ (uint64_t)nth) * 0x9e3779b97f4a7c15ULL;
    size_t k = (size_t)(h >> 54) % STMT_SLOTS;
    while (c->slot[k]) {
        int i = c->slot[k] - 1;
        if (c->cache[i].sql == sql && c->cache[i].nth == nth) {
            note_used(c, i);
            return c->cache[i].stmt;
        }
        k = (k + 1) % STMT_SLOTS;
    }
    unsigned flags = c->ncache < STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(c->db, sql, -1, flags, &stmt, NULL) != SQLITE_OK) {
        log_error("store", "prepare failed: %s", sqlite3_errmsg(c->db));
        return NULL;
    }
    if (c->ncache < STMT_CACHE) {
        c->cache[c->ncache].sql = sql;
        c->cache[c->ncache].nth = nth;
        c->cache[c->ncache].stmt = stmt;
        c->ncache++;
        c->slot[k] = (short)c->ncache;
        note_used(c, c->ncache - 1);
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

int store_begin_as(struct store_conn *c, const char *kind)
{
    char why[256];
    int wait = c->wait_ms;
    if (!c->in_line) {
        if (writeq_enter(&c->st->line, kind, wait, NULL, why, sizeof(why)) == ACDL_OK) {
            c->in_line = 1;
        } else {
            /* one try at SQLite's lock without waiting: it answers "database is locked" when
             * the writer ahead has begun, and lets this one write if it has not yet */
            if (wait >= 1000) {
                log_warn("store", "%s: %s", kind, why);
            } else { /* a best-effort write (store_wait) that does not wait for this */
                log_debug("store", "%s: %s", kind, why);
            }
            c->wait_ms = 0;
        }
    }
    c->kind = kind;
    int r = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    c->wait_ms = wait;
    if (r != SQLITE_OK) {
        int rc = conn_rc(c, r);
        log_error("store", "BEGIN failed: %s", sqlite3_errmsg(c->db));
        conn_leave_line(c);
        return rc;
    }
    c->tx_started = plat_monotonic_ms();
    return ACDL_OK;
}

int store_commit(struct store_conn *c)
{
    int r = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (r != SQLITE_OK) {
        int rc = conn_rc(c, r);
        log_error("store", "COMMIT failed: %s", sqlite3_errmsg(c->db));
        if (!sqlite3_get_autocommit(c->db)) {
            /* still open (SQLite rolls back by itself after some errors, e.g. a full disk) */
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        }
        c->tx_started = 0;
        conn_leave_line(c);
        return rc;
    }
    int64_t held = plat_monotonic_ms() - c->tx_started;
    if (c->tx_started > 0 && held >= TX_SLOW_MS) {
        log_warn("store",
                 "a write transaction held the database for %lld ms; writes of the "
                 "API waited meanwhile",
                 (long long)held);
    }
    c->tx_started = 0;
    conn_leave_line(c);
    atomic_store(&write_ok_seq, atomic_fetch_add(&write_seq, 1) + 1);
    return ACDL_OK;
}

void store_rollback(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    conn_leave_line(c);
}

int store_write_stats(struct store *st, struct writeq_stat *out, int max)
{
    return writeq_stats(&st->line, out, max);
}

int store_write_waiting(struct store *st)
{
    return writeq_waiting(&st->line);
}

void store_checkpoint_stats(struct store *st, int64_t *n, int64_t *us, int64_t *max_us)
{
    *n = atomic_load(&st->checkpoints);
    *us = atomic_load(&st->checkpoint_us);
    *max_us = atomic_load(&st->checkpoint_max_us);
}

void store_cache_wide(struct store_conn *c, int wide)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "PRAGMA main.cache_size = -%d", wide ? STORE_CACHE_WIDE_KIB : 2000);
    sqlite3_exec(c->db, sql, NULL, NULL, NULL);
}

int store_ping_conn(struct store_conn *c)
{
    int rc = ACDL_EDB;
    sqlite3_stmt *s = store_prepare(c, "SELECT count(*) FROM sqlite_schema");
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

int store_ping(struct store *st)
{
    struct store_conn *c = store_acquire(st);
    int rc = store_ping_conn(c);
    store_release(st, c);
    return rc;
}

/* The data version of c's current read transaction (see store_memo_get) into *v: 1, or 0
 * when c is in none or has written in it. */
static int memo_version(struct store_conn *c, unsigned *v)
{
    return sqlite3_txn_state(c->db, "main") == SQLITE_TXN_READ &&
           sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, v) == SQLITE_OK;
}

int store_memo_get(struct store_conn *c, int kind, const unsigned char *key, void *val, size_t vlen)
{
    unsigned v;
    if (vlen > STORE_MEMO_VAL || !memo_version(c, &v)) {
        return 0;
    }
    for (int i = 0; i < STORE_MEMO_SLOTS; i++) {
        if (c->memo[i].kind == kind && c->memo[i].version == v &&
            memcmp(c->memo[i].key, key, STORE_MEMO_KEY) == 0) {
            memcpy(val, c->memo[i].val, vlen);
            return 1;
        }
    }
    return 0;
}

void store_memo_put(struct store_conn *c, int kind, const unsigned char *key, const void *val,
                    size_t vlen)
{
    unsigned v;
    if (kind == 0 || vlen > STORE_MEMO_VAL || !memo_version(c, &v)) {
        return;
    }
    int slot = -1;
    for (int i = 0; i < STORE_MEMO_SLOTS && slot < 0; i++) {
        if (c->memo[i].kind == kind && memcmp(c->memo[i].key, key, STORE_MEMO_KEY) == 0) {
            slot = i; /* the key's earlier record: replaced */
        }
    }
    if (slot < 0) {
        slot = c->memo_next;
        c->memo_next = (c->memo_next + 1) % STORE_MEMO_SLOTS;
    }
    c->memo[slot].kind = kind;
    c->memo[slot].version = v;
    memcpy(c->memo[slot].key, key, STORE_MEMO_KEY);
    memcpy(c->memo[slot].val, val, vlen);
}

int store_read_snapshot(struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "PRAGMA data_version");
    int r = s ? sqlite3_step(s) : SQLITE_ERROR;
    store_done(s);
    return r == SQLITE_ROW ? ACDL_OK : ACDL_EDB;
}

int store_read_begin(struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "BEGIN");
    int r = s ? sqlite3_step(s) : SQLITE_ERROR;
    store_done(s);
    return r == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

void store_read_end(struct store_conn *c)
{
    sqlite3_stmt *s = store_prepare(c, "COMMIT");
    if (s && sqlite3_step(s) != SQLITE_DONE) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    store_done(s);
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
        rc = conn_rc(c, r);
    }
    store_done(s);
    return rc;
}

void store_column_text(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
    /* a bounded copy, not snprintf: list answers call this for every column of every row */
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (outsz == 0) {
        return;
    }
    if (n >= outsz) {
        n = outsz - 1;
    }
    if (n) {
        memcpy(out, t, n);
    }
    out[n] = '\0';
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
        int rc = store_rc(r);
        store_done(st);
        free(arr);
        return rc;
    }
    store_done(st);
    *out = arr;
    *n = cnt;
    return ACDL_OK;
}

int store_ids_collect(sqlite3_stmt *stmt, int64_t **ids, size_t *n)
{
    int64_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc = ACDL_OK, r;
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            int64_t *nv = realloc(v, ncap * sizeof(*v));
            if (!nv) {
                rc = ACDL_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[len++] = sqlite3_column_int64(stmt, 0);
    }
    if (rc == ACDL_OK && r != SQLITE_DONE) {
        rc = ACDL_EDB;
    }
    store_done(stmt);
    if (rc != ACDL_OK) {
        free(v);
        v = NULL;
        len = 0;
    }
    *ids = v;
    *n = len;
    return rc;
}
