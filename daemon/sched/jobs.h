/* jobs.h: short background jobs for slow requests (source preview, later connection tests).
 *
 * An HTTP handler submits a job and answers 202 with its id; the job runs on its own thread
 * (at most JOBS_RUNNING at once) and keeps its JSON result in memory until it is evicted
 * (the table holds JOBS_MAX jobs; the oldest finished one goes first). Jobs do not survive a
 * restart: they are answers to questions, not work. Thread-safe. */
#ifndef ACDL_SCHED_JOBS_H
#define ACDL_SCHED_JOBS_H
#include <jansson.h>
#include <stdint.h>

#include "app.h"

#define JOBS_MAX 64
#define JOBS_RUNNING 2

/* The work: fills *result (new reference) or err; returns 0 or an ACDL_E* code. arg is owned
 * by the job and freed with free() when the job ends. */
typedef int (*job_fn)(struct app *app, void *arg, json_t **result, char *err, size_t errsz);

/* Starts a job. Returns 0 with its id, or ACDL_EAGAIN when JOBS_RUNNING run already (arg is
 * freed then too). */
int jobs_submit(struct app *app, const char *kind, const char *owner, job_fn fn, void *arg,
                int64_t *id);

/* The job as JSON (new reference), or NULL when unknown or evicted. */
json_t *jobs_get(int64_t id);

/* Waits up to 3 s for running jobs to end (at shutdown), then frees the table. */
void jobs_shutdown(void);

#endif
