/* store.h: the SQLite store: a bounded pool of connections, cached statements, migrations.
 *
 * Design: every connection gets busy_timeout, WAL, foreign_keys=ON and synchronous=NORMAL.
 * Threads borrow a connection with store_acquire() and give it back with store_release();
 * statements prepared with store_prepare() stay cached on that connection. All SQL binds its
 * parameters. Migrations are the numbered files of schema/, embedded into the binary, each
 * applied in one transaction that also sets PRAGMA user_version. */
#ifndef ACDL_STORE_H
#define ACDL_STORE_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/embedded.h"

struct store;
struct store_conn;

/* Opens (creating if needed) the database at path, migrates it to the newest schema and makes
 * a pool of up to pool_size connections (opened as borrowers need them). Refuses a database written
 * by a newer version (ACDL_ENEWER). On error writes a message to err. *out is new: free with
 * store_close(). */
int store_open(const char *path, int pool_size, struct store **out, char *err, size_t errsz);

/* Closes every connection. Accepts NULL. All connections must have been released. */
void store_close(struct store *st);

/* Borrows a connection, waiting while all are in use. Thread-safe. Never NULL. */
struct store_conn *store_acquire(struct store *st);

/* Gives a connection back; rolls back a transaction left open by mistake. Accepts NULL. */
void store_release(struct store *st, struct store_conn *c);

/* The store's change generation, as of the last read transaction on c (a statement stepped
 * since c was acquired): it has moved past every value returned before a commit that c's
 * read saw, whichever connection or process made it. Moves on changes of c's own too, and
 * once for each connection's first look. Answers tagged with a value read before their own
 * read are current while the value stays the same. Thread-safe while c is held. */
uint64_t store_generation(struct store *st, struct store_conn *c);

/* The count of committed changes of the WFM queues (wfm_queues), moved by triggers in the
 * same transaction as each change by any connection or process (schema 0037), as read in c's
 * current read transaction (call it inside one, after a statement stepped in it and before
 * the answer's own read: the data version it keys its copy by is read first): an answer that
 * reads only wfm_queues is current while the count stays the same. Read again only when c's
 * data version moved. ACDL_ENOTFOUND when the count or one of its triggers is missing (use
 * store_generation then), ACDL_EDB on failure. */
int store_queues_generation(struct store_conn *c, uint64_t *out);

/* The raw handle, borrowed while c is held. */
sqlite3 *store_db(struct store_conn *c);

/* Returns a cached prepared statement for sql, which must be a string literal (the cache is
 * keyed by its address). Borrowed: call store_done() when finished with it. NULL on error. */
sqlite3_stmt *store_prepare(struct store_conn *c, const char *sql);
/* As store_prepare, for the nth (0 ..) of several copies of the same statement that step at
 * once (e.g. one per value type, merged by the caller); copy 0 is store_prepare's. */
sqlite3_stmt *store_prepare_nth(struct store_conn *c, const char *sql, int nth);

/* Resets a statement from store_prepare() and clears its bindings. Accepts NULL. */
void store_done(sqlite3_stmt *stmt);

/* Steps a bound statement whose first column is an id and collects every id into *ids
 * (new: caller frees with free(); NULL when there are none), then calls store_done().
 * Returns 0, ACDL_ENOMEM, or ACDL_EDB when stepping failed. */
int store_ids_collect(sqlite3_stmt *stmt, int64_t **ids, size_t *n);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0, ACDL_EAGAIN (another connection held the
 * database longer than the wait, see store_wait()), ACDL_ENOSPC (disk full) or ACDL_EDB. A
 * transaction that held the database for seconds is logged as a warning.
 * store_begin takes the writer's place in the store's write line first (store/writeq.h: first
 * come, first served, woken when the writer ahead commits or rolls back) and counts the wait
 * and the transaction under the calling function's name (store_write_stats); commit and
 * rollback (and store_release, for a transaction left open) give the lock to the next. */
#define store_begin(c) store_begin_as((c), __func__)
int store_begin_as(struct store_conn *c, const char *kind);
int store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);

/* The write line's counters per kind of writer (the function that began the transaction):
 * transactions, time waited in line and on SQLite's lock, time held; up to max into out,
 * returns how many. And the WAL checkpoints: how many, their time summed and the longest. */
struct writeq_stat;
int store_write_stats(struct store *st, struct writeq_stat *out, int max);
/* How many of the daemon's writers wait in line now. */
int store_write_waiting(struct store *st);
void store_checkpoint_stats(struct store *st, int64_t *n, int64_t *us, int64_t *max_us);

/* wide 1: the connection's page cache may hold STORE_CACHE_WIDE_KIB, for a transaction that
 * changes thousands of pages (a poll's staging, a large feed batch), which would otherwise
 * spill them into the WAL and read them back before it commits; 0: back to SQLite's default
 * (2 MiB), freeing what is beyond it. */
#define STORE_CACHE_WIDE_KIB 16384
void store_cache_wide(struct store_conn *c, int wide);

/* The store's memory, for the metrics: SQLite's heap in use and its peak since the start
 * (every connection's page cache, schema and statements; sqlite3_status64), the page caches of
 * the connections open, counted over the idle ones (a borrowed one is not looked at: its
 * thread owns it), the slabs of the page caches' blocks as held from the system and in use
 * (store/pagemem.h), the connections open and idle. Thread-safe. */
struct store_memory {
    long long sqlite_used, sqlite_peak, cache_idle, slabs_held, slabs_used;
    int conns, conns_idle;
};
void store_memory(struct store *st, struct store_memory *m);

/* Frees the page caches of the connections idle in the pool for idle_ms or longer (the pages
 * are read again from the file when one is borrowed next), and gives the page slabs left
 * empty back to the system. Returns how many caches it freed. Thread-safe. */
int store_release_idle(struct store *st, int64_t idle_ms);

/* The memory all connections' page caches, schemas and statements share (SQLite's soft heap
 * limit): beyond it a page cache reuses its oldest pages instead of growing. Above what the
 * pool uses at its busiest (a poll's wide cache and a few 2 MiB caches), so it bounds what
 * many connections, each filling its cache over time, would hold. */
#define STORE_SQLITE_SOFT_KIB 32768

/* Applies the migrations in files[0..n) (named NNNN_*.sql) that are newer than the database's
 * user_version. Returns 0, ACDL_ENEWER or ACDL_EDB (with err). */
int store_migrate(sqlite3 *db, const struct embedded_file *files, size_t n, char *err,
                  size_t errsz);

/* The schema version this binary knows (the highest migration number). */
int store_schema_version(void);

/* The one mapping of SQLite result codes to ours: OK/ROW/DONE -> 0, BUSY and LOCKED ->
 * ACDL_EAGAIN (retry later), FULL -> ACDL_ENOSPC, NOMEM -> ACDL_ENOMEM, others ACDL_EDB. */
int store_rc(int sqlite_rc);

/* Refines rc == ACDL_EDB with the last SQLite failure of this thread that explains it (busy
 * after the wait, locked, disk full; seen by the busy handler, the helpers of this file and
 * SQLite's error log), so that callers which pass a bare ACDL_EDB on still answer "retry
 * later". Other codes are returned as they are. store_thread_clear() forgets it (the HTTP
 * layer does at the start of every request). */
int store_thread_rc(int rc);
void store_thread_clear(void);

/* Whether the database can be written, as far as the last writes tell: 0 when no write
 * failed since the last commit that worked; otherwise the retry-later code of the failure
 * (ACDL_ENOSPC for a full disk, ACDL_EDB for I/O errors or a read-only file), *failed_at its
 * time and why its text. Thread-safe. */
int store_write_state(int64_t *failed_at, char *why, size_t whysz);

/* Sets how long writes on c wait for another connection's transaction (ms; default 10,000);
 * returns the previous value. 0 makes a write give up at once (ACDL_EAGAIN): for
 * best-effort writes such as a session's last-seen time. Thread: the holder of c. */
int store_wait(struct store_conn *c, int ms);

/* Between the slices of a long piece of work: when a write of another connection waited for
 * the database within the last few milliseconds, sleeps long enough for it to get in (a
 * waiting write polls every 10 ms at most). Thread-safe. */
void store_yield(void);

/* A cheap health check: 0 when the database answers. */
int store_ping(struct store *st);
/* The same on a connection held (e.g. inside store_read_begin). */
int store_ping_conn(struct store_conn *c);

/* A read transaction on c (BEGIN, deferred): the statements until store_read_end see one state
 * of the database and take its locks once. store_read_begin returns 0 or ACDL_EDB. */
int store_read_begin(struct store_conn *c);
void store_read_end(struct store_conn *c);
/* Takes the snapshot of c's read transaction now (BEGIN defers it to the first read): a read
 * of the database header. 0 or ACDL_EDB. */
int store_read_snapshot(struct store_conn *c);

/* Records remembered on a connection for as long as it sees no commit: a lookup made in one
 * read transaction is found again in a later one without reading, while c's data version (see
 * store_generation: it moves on every commit of c's own and whenever a read transaction of c
 * finds the database changed by another connection or process) stays the same. Both calls
 * work only inside a read transaction of c whose snapshot is taken (a statement read in it:
 * store_read_snapshot) and in which c wrote nothing, so the version compared is that of the
 * state the caller reads; elsewhere nothing is found or kept. key has STORE_MEMO_KEY bytes,
 * a record at most STORE_MEMO_VAL; kind (not 0) keeps the callers' records apart. A few per
 * connection (STORE_MEMO_SLOTS, the oldest gives way). store_memo_get copies key's record of
 * kind into val (vlen bytes) and returns 1, or returns 0. */
#define STORE_MEMO_SLOTS 4
#define STORE_MEMO_KEY 32
#define STORE_MEMO_VAL 320
enum { STORE_MEMO_TOKEN = 1, STORE_MEMO_SESSION = 2 };
int store_memo_get(struct store_conn *c, int kind, const unsigned char *key, void *val,
                   size_t vlen);
void store_memo_put(struct store_conn *c, int kind, const unsigned char *key, const void *val,
                    size_t vlen);

/* Steps a prepared, bound statement and turns up to limit rows into an array of elements of
 * elem_size bytes with row(). *out is new (free()); *n gets the count. Resets the statement.
 * Returns 0, ACDL_ENOMEM or ACDL_EDB. */
int store_collect(sqlite3_stmt *st, size_t elem_size, int limit,
                  void (*row)(sqlite3_stmt *st, void *elem), void **out, int *n);

/* Steps a prepared, bound statement that returns no rows and resets it. Returns 0,
 * ACDL_EEXIST (unique or primary key), ACDL_ECONFLICT (foreign key or trigger) or ACDL_EDB
 * (logged with what). */
int store_step_done(struct store_conn *c, sqlite3_stmt *s, const char *what);

/* Binds a text parameter (copied) or NULL when s is NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Copies column col as text into out (empty string for NULL), truncating to outsz-1. */
void store_column_text(sqlite3_stmt *st, int col, char *out, size_t outsz);

#endif
