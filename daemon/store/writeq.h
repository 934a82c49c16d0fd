/* writeq.h: the daemon's writers in line for the database's one write lock.
 *
 * Every writer of the daemon is a thread of one process. SQLite's busy handler lets a waiting
 * writer find the lock free only by trying again after a sleep, so the lock sat free between a
 * commit and the next try, and whoever tried first got it. Here a writer takes its place in a
 * first-come, first-served line before BEGIN IMMEDIATE and is woken the moment the writer before
 * it ends its transaction. Writers of other processes (the CLI) and writes outside a
 * transaction still meet SQLite's lock; they wait on writeq_await(), which returns at the next
 * commit or release instead of after a fixed sleep.
 *
 * Each writer names its kind (a static string, e.g. the calling function); the line keeps per
 * kind how many transactions went through, how long they waited and how long they held the
 * lock, for the metrics. */
#ifndef ACDL_STORE_WRITEQ_H
#define ACDL_STORE_WRITEQ_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define WRITEQ_KINDS 64 /* kinds counted apart; more go into the last one, "other" */

struct writeq_stat {
    const char *kind;
    uint64_t n;        /* transactions that got the lock */
    uint64_t timeouts; /* waits that gave up */
    int64_t wait_us;   /* time spent in line, summed */
    int64_t wait_max_us;
    int64_t held_us; /* time from getting the lock to writeq_leave, summed */
    int64_t held_max_us;
    int64_t busy_us; /* time waited for another process or a write outside the line */
};

struct writeq_waiter;

struct writeq {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast on every release and commit: writeq_await */
    uint64_t gen;           /* counts those */
    int busy;               /* a writer holds the place at the front */
    const char *holder;     /* its kind */
    int64_t since_us;       /* when it got the lock */
    struct writeq_waiter *head, *tail;
    int nwaiting;
    struct writeq_stat stats[WRITEQ_KINDS];
    int nstats;
};

void writeq_init(struct writeq *q);
void writeq_destroy(struct writeq *q);

/* Takes the lock for kind, in line behind the writers already waiting; waits at most
 * timeout_ms (0: only when free). Returns 0, or ACDL_EAGAIN with err saying how long it waited
 * and who held the lock for how long. *waited_us gets the time in line (may be NULL). */
int writeq_enter(struct writeq *q, const char *kind, int timeout_ms, int64_t *waited_us, char *err,
                 size_t errsz);

/* Ends the holder's turn: the next writer in line has the lock when this returns. */
void writeq_leave(struct writeq *q);

/* The generation of releases and commits, and a wait until it moves past seen or timeout_ms
 * passed; returns the generation then. For SQLite's busy handler. */
uint64_t writeq_gen(struct writeq *q);
uint64_t writeq_await(struct writeq *q, uint64_t seen, int timeout_ms);

/* A commit seen by SQLite (its WAL hook, also of writes outside the line): wakes writeq_await. */
void writeq_note_commit(struct writeq *q);

/* Adds us to kind's time waited on SQLite's own lock (the busy handler). */
void writeq_note_busy(struct writeq *q, const char *kind, int64_t us);

/* How many wait in line now (not counting the holder). */
int writeq_waiting(struct writeq *q);

/* Copies up to max kinds' counters into out; returns how many. */
int writeq_stats(struct writeq *q, struct writeq_stat *out, int max);

/* Monotonic microseconds. */
int64_t writeq_now_us(void);

#endif
