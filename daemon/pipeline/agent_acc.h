/* agent_acc.h: the states an agent-state run read, held in memory until they are staged.
 *
 * A run of a day reads millions of states (10,000 agents x 200 a day) in time order; they are
 * staged per agent and start. Held as fixed-size records with the agent ids, codes, names and
 * file names as numbers into string pools, they are put in that order by a stable bucket sort
 * on the agent (then by start within an agent, where an export was not in time order), with no
 * SQL per state before the staging transaction. Not thread-safe: one per run. */
#ifndef ACDL_AGENT_ACC_H
#define ACDL_AGENT_ACC_H

#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

#define AGENT_ACC_NONE UINT32_MAX /* no activity name */

struct agent_acc_row {
    int64_t start, end;               /* UTC seconds; end AGENT_ACC_OPEN: none (yet) */
    uint32_t agent, code, name, file; /* string numbers (agent_acc_str) */
    uint32_t line;
    int32_t day; /* local day of start, agent_acc_day_pack */
};

#define AGENT_ACC_OPEN INT64_MIN

struct agent_acc;

/* New (free with agent_acc_destroy); NULL without memory. max_rows: how many rows it takes
 * before agent_acc_add answers ACDL_ETOOBIG. */
struct agent_acc *agent_acc_create(size_t max_rows);
void agent_acc_destroy(struct agent_acc *a);

/* Appends a state. Strings are copied. ACDL_ETOOBIG when max_rows are held, line does not
 * fit 32 bits or end is more than 2^31 s from start (the caller then keeps the rest
 * elsewhere), ACDL_ENOMEM. */
int agent_acc_add(struct agent_acc *a, const char *agent, size_t alen, const char *code,
                  size_t clen, const char *name, size_t nlen, const char *file, int64_t start,
                  int64_t end, struct tz_date day, uint64_t line);

size_t agent_acc_count(const struct agent_acc *a);

/* The string of a row's agent, code, name or file number (borrowed, NUL-terminated, valid
 * while a lives); *len its length. which: 0 agent, 1 code, 2 name, 3 file. */
const char *agent_acc_str(const struct agent_acc *a, int which, uint32_t id, size_t *len);

/* Number of distinct agents (0 .. n-1) or codes. */
uint32_t agent_acc_distinct(const struct agent_acc *a, int which);

/* Orders the rows by agent id (as SQLite's BINARY collation orders text), start and arrival.
 * Returns 0 or ACDL_ENOMEM. Afterwards agent_acc_row_at walks that order. Sorting again
 * with no row added since costs nothing. */
int agent_acc_sort(struct agent_acc *a);

/* The i-th row in sorted order (after agent_acc_sort), or in arrival order before it; *seq
 * its arrival number. A copy: rows are held packed (24 bytes each, the code, name, file and
 * day of a row as one number of their combination). */
struct agent_acc_row agent_acc_row_at(const struct agent_acc *a, size_t i, size_t *seq);

/* Per code number (0 .. agent_acc_distinct(a, 1) - 1): the greatest of the names its rows
 * came with (as SQLite's BINARY collation orders text, as max() would give it), or
 * AGENT_ACC_NONE when none had a name. */
void agent_acc_code_names(const struct agent_acc *a, uint32_t *name_of);

int32_t agent_acc_day_pack(struct tz_date d);
struct tz_date agent_acc_day_unpack(int32_t v);

#endif
