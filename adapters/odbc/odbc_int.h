/* odbc_int.h: what the files of adapters/odbc/ share; not for use outside this folder. */
#ifndef ACDL_ADAPTERS_ODBC_INT_H
#define ACDL_ADAPTERS_ODBC_INT_H
#ifdef _WIN32
#include <windows.h>
#endif
#include <pthread.h>
#include <sql.h>
#include <sqlext.h>
#include <stdatomic.h>
#include <stddef.h>

#include "platform/printf.h"

#define ODBC_CONNSTR_MAX 4096 /* longest connection string we build */
#define ODBC_MAX_SECRETS 8
#define ODBC_MSG_MAX 1024 /* one diagnostic message, before it is cut to the caller's err */

/* Which driver family we know streaming (or safety) settings for. */
enum odbc_driver_kind { ODBC_DRV_OTHER = 0, ODBC_DRV_PSQL, ODBC_DRV_SQLITE, ODBC_DRV_MARIADB };

struct odbc_conn {
    SQLHENV env;
    SQLHDBC dbc;
    int connected;
    pthread_mutex_t mu;   /* guards active (cancel from another thread vs. free) */
    SQLHSTMT active;      /* the statement of the open query, or NULL */
    atomic_int cancelled; /* sticky: set by odbc_conn_cancel */
    int busy;             /* a query is open (owner thread only) */
    int query_timeout_s;
    enum odbc_driver_kind kind;
    char label[160]; /* "DSN 'x'" or "connection string (driver 'y')": safe to log */
    char dbms_name[64];
    char dbms_version[64];
    char driver_name[128];
    char streaming[64];
    int jit_off; /* PostgreSQL: the session's JIT was turned off (psql_jit_default) */
    /* a statement kept prepared for the next query of the same SQL (odbc_query_opts.prepared),
     * or NULL; prep_sql is its rewritten text (owned) */
    SQLHSTMT prep;
    char *prep_sql;
};

/* Values to mask in messages (borrowed pointers, longest first). */
struct odbc_secrets {
    const char *ptr[ODBC_MAX_SECRETS];
    size_t len[ODBC_MAX_SECRETS];
    size_t n;
};

/* One key=value of a connection string, pointing into it. */
struct odbc_cs_pair {
    const char *key;
    size_t key_len;
    const char *val; /* without the braces; }} still doubled when braced */
    size_t val_len;
    int braced;
};

/* connstr.c */
int odbc_ascii_casecmp_n(const char *a, size_t alen, const char *b);
int odbc_ascii_contains(const char *hay, const char *needle);
/* Iterates the pairs of s from *pos (start at 0). Returns 1 with *pair filled, 0 at the end. */
int odbc_connstr_next(const char *s, size_t *pos, struct odbc_cs_pair *pair);
int odbc_connstr_is_secret_key(const char *key, size_t len);
void odbc_secrets_add(struct odbc_secrets *sec, const char *p, size_t len);
/* Masks every secret in buf with "***" (in place, stays within bufsz). */
void odbc_redact(char *buf, size_t bufsz, const struct odbc_secrets *sec);

/* odbc.c */
/* Collects up to three diagnostic records of handle h as "[SQLSTATE] text; ...", masked by sec
 * (may be NULL), into msg; the first record's SQLSTATE goes to state (6 bytes, "" if none). */
void odbc_diag(SQLSMALLINT type, SQLHANDLE h, const struct odbc_secrets *sec, char *msg,
               size_t msgsz, char state[6]);
/* 1 when the calls into c's driver must run on a thread that cannot read the daemon's files
 * (MariaDB's driver, odbc_client_guard() done, and this thread is not one). */
int odbc_conn_guarded(const struct odbc_conn *c);
/* Runs fn(arg) on a new thread that cannot read the daemon's files and waits for it (on such a
 * thread: runs it here). Returns 0, or ACDL_EPERM / ACDL_ENOMEM without running fn. */
int odbc_sandboxed(void (*fn)(void *), void *arg);
/* Turns a SQLSTATE (and message) into an ACDL_E* code. */
int odbc_classify(const char *state, const char *msg, int cancelled);
/* snprintf into err when err is not NULL. */
void odbc_set_err(char *err, size_t errsz, const char *fmt, ...) ACDL_PRINTF(3, 4);

#endif
