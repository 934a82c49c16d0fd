/* health.h: the appliance's health: which states are degraded and why (disk nearly full,
 * database not writable, runs and targets failing, recomputes pending, deliveries waiting).
 * One collection feeds GET /api/v1/health, the console's banner and the metrics. */
#ifndef ACDL_OPS_HEALTH_H
#define ACDL_OPS_HEALTH_H
#include <jansson.h>
#include <stdint.h>

#include "app.h"

enum health_check {
    HEALTH_DISK,       /* the data folder's disk has less free space than disk_min_free_mb */
    HEALTH_DATABASE,   /* the database does not answer, or its last writes failed */
    HEALTH_RUNS,       /* the last run of a source failed or left mappings uncomputed */
    HEALTH_TARGETS,    /* a target has failed batches or its last attempt failed */
    HEALTH_RECOMPUTES, /* results wait for a recomputation that failed or is overdue */
    HEALTH_BACKLOG,    /* deliveries wait longer than backlog_warn_after */
    HEALTH_ALERTS,     /* an alert channel's last notice did not arrive */
    HEALTH_NCHECKS
};

struct health {
    int degraded[HEALTH_NCHECKS];      /* 1: the check found a problem */
    char message[HEALTH_NCHECKS][256]; /* why, for the degraded ones */
    const char *code[HEALTH_NCHECKS];  /* its message code ("health.runs_failed"), static */
    char params[HEALTH_NCHECKS][1200]; /* and its parameters, JSON object text */
    int db_ok;                         /* the database answers */
    long long disk_free, disk_total;   /* bytes; -1 when unknown */
    long long disk_min_free;           /* the threshold in bytes */
    int64_t runs_failing, targets_failing, recomputes_pending, recomputes_failing;
    int64_t backlog_age_s; /* 0 when nothing waits */
    int sessions_in_memory;
};

/* The name of a check as the API and metrics spell it ("disk", "database", ...). */
const char *health_check_name(enum health_check k);

/* The degraded checks of h as a JSON array (new) of {check, message, code, params}: code and
 * params word the message in the console's language. */
json_t *health_problems_json(const struct health *h);

/* The problems as a caller without credentials sees them: the degraded checks only, without
 * the names and reasons (sources, targets, hosts, files) that health_problems_json() gives. */
json_t *health_problems_public(const struct health *h);

/* Collects the health of app. Never fails: what cannot be read counts as degraded. */
void health_collect(struct app *app, struct health *out);

/* 1 when any check is degraded. */
int health_degraded(const struct health *h);

#endif
