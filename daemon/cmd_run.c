/* cmd_run.c: `acdlink run`: an import from the command line, executed in this process with
 * the same code as the daemon's workers (for backfills and scripts). */
#include "cmd_run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/import.h"
#include "platform/platform.h"
#include "store/runs.h"
#include "store/sources.h"
#include "store/store.h"

static struct import_cancel *active;

static void on_stop(void)
{
    if (active) {
        active->flag = 1; /* the import checks it between rows */
    }
}

static int find_source(struct store_conn *c, const char *name, int64_t *id)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT id FROM sources WHERE name = ?");
    int rc = ACDL_ENOTFOUND;
    if (!s) {
        return ACDL_EDB;
    }
    store_bind_text(s, 1, name);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        rc = ACDL_OK;
    }
    store_done(s);
    return rc;
}

int cmd_run(const struct acdl_config *cfg, const char *source, const char *from, const char *to,
            int zero_fill)
{
    struct tz_date a, b;
    struct app app;
    struct import_cancel cancel;
    char err[1400] = "";
    int64_t source_id = 0, run_id = 0;
    int rc, exit_code = 1;

    if (tz_date_parse(from, &a) != ACDL_OK || tz_date_parse(to, &b) != ACDL_OK ||
        tz_date_cmp(a, b) > 0) {
        fprintf(stderr, "acdlink: --from and --to must be dates YYYY-MM-DD, from <= to\n");
        return 2;
    }
    if (cli_app_open(cfg, &app, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        return 1;
    }
    cli_odbc_guard(cfg);
    struct store_conn *c = store_acquire(app.store);
    rc = find_source(c, source, &source_id);
    if (rc == ACDL_OK) {
        rc = store_run_add_started(c, source_id, "cli", from, to, zero_fill, "acdlink run",
                                   plat_now(), &run_id);
    }
    struct store_run run;
    if (rc == ACDL_OK) {
        rc = store_run_get(c, run_id, &run);
    }
    store_release(app.store, c);
    if (rc == ACDL_ENOTFOUND) {
        fprintf(stderr, "acdlink: no source named '%s'\n", source);
        goto out;
    }
    if (rc == ACDL_ECONFLICT) {
        fprintf(stderr, "acdlink: source '%s' has a run in progress; try again when it ends\n",
                source);
        goto out;
    }
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", acdl_strerror(rc));
        goto out;
    }
    import_cancel_init(&cancel);
    active = &cancel;
    plat_signals_install(on_stop);
    fprintf(stderr, "run %lld: importing '%s' for %s .. %s\n", (long long)run_id, source, from,
            to);
    rc = import_run(&app, &run, &cancel);
    active = NULL;
    import_cancel_destroy(&cancel);

    /* the run's log and outcome, as the API shows them */
    c = store_acquire(app.store);
    struct store_run_log_line *lines = NULL;
    int n = 0;
    if (store_run_log_list(c, run_id, 0, 1000, &lines, &n) == ACDL_OK) {
        for (int i = 0; i < n; i++) {
            fprintf(stderr, "  %-5s %s\n", lines[i].level, lines[i].message);
        }
        free(lines);
    }
    store_run_get(c, run_id, &run);
    store_release(app.store, c);
    printf("run %lld %s: %lld rows read, %lld staged, %lld rejected, %lld filtered\n",
           (long long)run_id, run.state, (long long)run.rows_read, (long long)run.rows_staged,
           (long long)run.rows_rejected, (long long)run.rows_filtered);
    exit_code = rc == ACDL_OK ? 0 : 1;
out:
    cli_app_close(&app);
    return exit_code;
}
