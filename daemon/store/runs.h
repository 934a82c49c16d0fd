/* runs.h: import runs, their progress counters and their logs. All functions borrow a held
 * connection. */
#ifndef ACDL_STORE_RUNS_H
#define ACDL_STORE_RUNS_H
#include <stdint.h>

#include "store/store.h"

struct store_run {
    int64_t id, source_id;
    char source_name[65];
    char trigger[16];
    char period_from[11], period_to[11];
    char state[16];
    int days_total, days_done, files_read, files_skipped;
    int64_t rows_read, rows_staged, rows_rejected, rows_filtered;
    char error[512];
    char error_code[48];    /* the error's message code, "" when it has none */
    char error_params[700]; /* its parameters as JSON object text, "" when none */
    char created_by[96];
    int64_t created_at, started_at, finished_at;
    int zero_fill; /* 1: intervals of the period without source data become 0 (import.h) */
    int failed_mappings; /* mappings (or agent spans) that failed: "done" but partial */
    int reread;          /* 1: CSV files imported before are read again (import.h) */
};

/* The zero_fill argument of store_run_add*() is a set of these flags (1 stays zero-fill). */
#define STORE_RUN_ZERO_FILL 1
#define STORE_RUN_REREAD 2

struct store_run_counts {
    int days_total, days_done, files_read, files_skipped;
    int64_t rows_read, rows_staged, rows_rejected, rows_filtered;
    int failed_mappings; /* written by store_run_finish() only */
};

int store_run_add(struct store_conn *c, int64_t source_id, const char *trigger,
                  const char *from, const char *to, int zero_fill, const char *created_by,
                  int64_t now, int64_t *id);
/* Adds a run that starts at once (the command line's): ACDL_ECONFLICT when the source has a
 * run in progress. */
int store_run_add_started(struct store_conn *c, int64_t source_id, const char *trigger,
                          const char *from, const char *to, int zero_fill,
                          const char *created_by, int64_t now, int64_t *id);
int store_run_get(struct store_conn *c, int64_t id, struct store_run *out);
/* Newest first: up to limit runs with id < before_id (0: from the newest), of one source when
 * source_id > 0, in one state when state is not NULL. *out is new (free()). */
int store_run_list(struct store_conn *c, int64_t before_id, int64_t source_id, const char *state,
                   int limit, struct store_run **out, int *n);
/* The oldest queued run whose source has no running run; ACDL_ENOTFOUND when none. Marks it
 * running (started_at = now) in the same transaction. */
int store_run_claim(struct store_conn *c, int64_t now, struct store_run *out);
int store_run_progress(struct store_conn *c, int64_t id, const struct store_run_counts *k);
/* Ends a run: state done, failed or cancelled, with an error text or NULL. A done run with
 * k->failed_mappings > 0 is partial: what failed stays due (store/recomputes.h). */
int store_run_finish(struct store_conn *c, int64_t id, const char *state, const char *error,
                     const struct store_run_counts *k, int64_t now);
/* A queued run is cancelled at once (returns 0); a running one gets ACDL_EAGAIN (the caller
 * signals the worker); a finished one ACDL_ECONFLICT. */
int store_run_cancel_queued(struct store_conn *c, int64_t id, int64_t now);
/* After a restart: runs left "running" are queued again (their work is redone from the start;
 * staging replaces, so nothing is doubled). Returns how many. */
int store_run_requeue_interrupted(struct store_conn *c, int *n);

/* Appends a line: its English message, and a message code with its parameters as JSON text
 * (both NULL for a line without a code). */
int store_run_log(struct store_conn *c, int64_t run_id, const char *level, const char *message,
                  const char *code, const char *params, int64_t now);

struct store_run_log_line {
    int64_t seq, ts;
    char level[8];
    char message[1024];
    char code[48];     /* "" when the line has none */
    char params[1100]; /* JSON object text, "" when none */
};
/* Lines with seq > after_seq, oldest first. *out is new (free()). */
int store_run_log_list(struct store_conn *c, int64_t run_id, int64_t after_seq, int limit,
                       struct store_run_log_line **out, int *n);

#endif
