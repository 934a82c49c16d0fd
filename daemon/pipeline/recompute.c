/* recompute.c: pending recomputations worked off (see recompute.h). */
#include "pipeline/recompute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "pipeline/mapping.h"
#include "pipeline/staging_switch.h"
#include "platform/platform.h"
#include "upload/outbox.h"

#define BACKOFF_BASE_S 10
#define BACKOFF_CAP_S 300

static int64_t backoff(int attempts)
{
    int64_t d = BACKOFF_BASE_S;
    for (int i = 0; i < attempts && d < BACKOFF_CAP_S; i++) {
        d *= 2;
    }
    return d < BACKOFF_CAP_S ? d : BACKOFF_CAP_S;
}

int recompute_do(struct store_conn *c, const struct store_recompute *p, int64_t now,
                 struct recompute_stats *st, char *err, size_t errsz)
{
    const char *from = p->day_from[0] ? p->day_from : NULL;
    const char *to = p->day_to[0] ? p->day_to : NULL;
    struct agent_results_stats as = {0, 0, 0, 0};
    int64_t written = 0;
    int rc;
    err[0] = '\0';
    if (!strcmp(p->kind, "mapping")) {
        rc = mapping_compute(c, p->ref_id, from, to, &written, err, errsz);
        if (rc == ACDL_ENOTFOUND) {
            rc = ACDL_OK; /* deleted since: its results went with it */
        }
    } else if (!strcmp(p->kind, "agent")) {
        rc = agent_results_apply(c, &p->ref_id, 1, from, to, &as);
    } else {
        rc = agent_results_apply_source(c, p->ref_id, from, to, &as);
    }
    if (rc == ACDL_OK) {
        rc = store_recompute_done(c, p->id, p->gen);
        if (rc != ACDL_OK) {
            snprintf(err, errsz, "the results are written, but clearing the record failed");
        }
    } else {
        if (!err[0]) {
            snprintf(err, errsz, "%s", acdl_strerror(rc));
        }
        store_recompute_failed(c, p->id, err, now + backoff(p->attempts));
    }
    if (st) {
        st->results += written;
        st->agents.agents += as.agents;
        st->agents.days_changed += as.days_changed;
        st->agents.spans += as.spans;
    }
    return rc;
}

int recompute_ref(struct store_conn *c, const char *kind, int64_t ref_id,
                  struct recompute_stats *st, char *err, size_t errsz)
{
    struct store_recompute p;
    err[0] = '\0';
    int rc = store_recompute_find(c, kind, ref_id, &p);
    if (rc == ACDL_ENOTFOUND) {
        return ACDL_OK;
    }
    if (rc != ACDL_OK) {
        snprintf(err, errsz, "cannot read the pending recompute");
        return rc;
    }
    return recompute_do(c, &p, plat_now(), st, err, errsz);
}

void recompute_now(struct store_conn *c, const char *kind, int64_t ref_id,
                   struct agent_results_stats *st)
{
    struct recompute_stats rs;
    char err[400] = "";
    memset(&rs, 0, sizeof(rs));
    if (recompute_ref(c, kind, ref_id, &rs, err, sizeof(err)) != ACDL_OK) {
        log_warn("mapping", "recomputing %s %lld after a change failed: %s; it stays pending", kind,
                 (long long)ref_id, err);
    }
    if (st) {
        st->agents += rs.agents.agents;
        st->days_changed += rs.agents.days_changed;
        st->spans += rs.agents.spans;
    }
}

int recompute_agents(struct store_conn *c, const int64_t *ids, int n,
                     struct agent_results_stats *st)
{
    int64_t *gens = calloc((size_t)(n > 0 ? n : 1), 2 * sizeof(*gens));
    if (!gens) {
        return ACDL_ENOMEM;
    }
    /* the rows as they are before computing: a change committed later keeps its row */
    for (int i = 0; i < n; i++) {
        struct store_recompute p;
        if (store_recompute_find(c, "agent", ids[i], &p) == ACDL_OK) {
            gens[2 * i] = p.id;
            gens[2 * i + 1] = p.gen;
        }
    }
    int rc = agent_results_apply(c, ids, n, NULL, NULL, st);
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        if (gens[2 * i]) {
            rc = store_recompute_done(c, gens[2 * i], gens[2 * i + 1]);
        }
    }
    if (rc != ACDL_OK) {
        log_warn("agents", "recomputing %d agents after a change failed: %s; they stay pending", n,
                 acdl_strerror(rc));
    }
    free(gens);
    return rc;
}

/* Finished runs whose staged days were never computed (they ended first). */
static int drain_runs(struct store_conn *c, int *done, int *failed)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id, source_id FROM runs WHERE map_from IS NOT "
                                       "NULL AND state IN ('done', 'failed', 'cancelled') AND id "
                                       "NOT IN (SELECT run_id FROM staging_switches) ORDER BY id "
                                       "LIMIT 16");
    int64_t runs[16][2];
    int n = 0;
    if (!s) {
        return ACDL_EDB;
    }
    while (n < 16 && sqlite3_step(s) == SQLITE_ROW) {
        runs[n][0] = sqlite3_column_int64(s, 0);
        runs[n][1] = sqlite3_column_int64(s, 1);
        n++;
    }
    store_done(s);
    for (int i = 0; i < n; i++) {
        int64_t results = 0;
        int nfailed = 0;
        char err[400] = "";
        int rc = mapping_apply_due(c, runs[i][0], runs[i][1], &results, &nfailed, err, sizeof(err));
        if (rc == ACDL_OK) {
            log_info("mapping", "run %lld: the days it staged are computed now (%lld results)",
                     (long long)runs[i][0], (long long)results);
            (*done)++;
        } else {
            log_warn("mapping", "run %lld: computing the days it staged failed: %s",
                     (long long)runs[i][0], err[0] ? err : acdl_strerror(rc));
            (*failed)++;
        }
    }
    return ACDL_OK;
}

int recompute_drain(struct store_conn *c, int64_t now, int max, int *done, int *failed)
{
    struct store_recompute *rows = NULL;
    int n = 0, ok = 0, bad = 0, settled = 0;
    /* large runs staged in slices that a restart or a failure left unfinished */
    if (staging_switch_settle(c, 0, &settled) == ACDL_OK && settled > 0) {
        log_info("import", "%d runs' staged days finished or removed after an interruption",
                 settled);
    }
    int rc = drain_runs(c, &ok, &bad);
    if (rc == ACDL_OK) {
        rc = store_recompute_list(c, 0, now, max, &rows, &n);
    }
    for (int i = 0; rc == ACDL_OK && i < n; i++) {
        char err[400] = "";
        struct recompute_stats st;
        memset(&st, 0, sizeof(st));
        if (recompute_do(c, &rows[i], now, &st, err, sizeof(err)) == ACDL_OK) {
            log_info("mapping",
                     "recomputed %s %lld (%s) after '%s': %lld results, %lld agent "
                     "days changed",
                     rows[i].kind, (long long)rows[i].ref_id, rows[i].ref_name, rows[i].reason,
                     (long long)st.results, (long long)st.agents.days_changed);
            ok++;
        } else {
            log_warn("mapping",
                     "recomputing %s %lld (%s) failed (attempt %d): %s; it stays "
                     "pending",
                     rows[i].kind, (long long)rows[i].ref_id, rows[i].ref_name,
                     rows[i].attempts + 1, err);
            bad++;
        }
    }
    free(rows);
    if (ok > 0) {
        /* the time after the work: the results it queued carry later times than now, and
         * would otherwise wait for the uploader's pass over leftovers */
        outbox_flush(c, plat_now(), 0, NULL);
    }
    if (done) {
        *done = ok;
    }
    if (failed) {
        *failed = bad;
    }
    return rc;
}
