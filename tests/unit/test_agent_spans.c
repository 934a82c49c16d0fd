/* test_agent_spans.c: the upgrade that keeps an agent day's spans as one list in its
 * agent_days row (schema 0028): the rows of agent_spans become lists that read back as the
 * same spans (open ends, filled holes, codes with separators, a span of a deleted activity
 * left out), on a real database file. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "pipeline/agent_results.h"
#include "store/staged.h"
#include "store/store.h"

static char tmp[512];

static void test_upgrade(void)
{
    char path[700], err[512] = "";
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/upgrade.db", tmp);
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(staged_register(db), ACDL_OK);
    size_t before = 0;
    while (before < schema_count && !strstr(schema_files[before].name, "_agent_span_lists.sql")) {
        before++;
    }
    CHECK(before < schema_count);
    CHECK_EQ_INT(store_migrate(db, schema_files, before, err, sizeof(err)), ACDL_OK);
    const char *old =
        "PRAGMA foreign_keys = ON;"
        "INSERT INTO sources (id, name, kind, product, layout, time_zone, interval_minutes, "
        "created_at, updated_at) VALUES (4, 'a', 'csv', 'agent_states', 'interval', 'UTC', 15, "
        "0, 0);"
        "INSERT INTO wfm_agents (id, identifier, created_at, updated_at) VALUES (7, 'ann', 0, 0),"
        " (8, 'bob', 0, 0);"
        "INSERT INTO wfm_activities (id, identifier, name, created_at, updated_at) VALUES "
        "(5, 'phone', 'Phone', 0, 0), (6, 'break', 'Break', 0, 0);"
        "INSERT INTO agent_spans VALUES (7, '2026-11-24', 1000, 2000, 5, 4, 'A,1:x'),"
        " (7, '2026-11-24', 3000, NULL, 6, 4, 'Pause\n\xc3\xa9'),"
        " (7, '2026-11-24', 2000, 3000, 2, NULL, NULL),"
        " (7, '2026-11-25', 90000, 91000, 5, 4, ''),"
        " (8, '2026-11-24', 500, 600, 1, 4, 'Z');"
        "INSERT INTO agent_days VALUES (7, '2026-11-24', 'd1', 3, 1, 1, 0),"
        " (7, '2026-11-25', 'd2', 1, 0, 2, 0), (8, '2026-11-24', 'd3', 1, 0, 3, 0),"
        " (8, '2026-11-23', 'd4', 0, 0, 4, 0);";
    char *msg = NULL;
    CHECK_EQ_INT(sqlite3_exec(db, old, NULL, NULL, &msg), SQLITE_OK);
    if (msg) {
        fprintf(stdout, "%s\n", msg);
        sqlite3_free(msg);
    }
    sqlite3_close(db);

    struct store *st = NULL;
    if (!CHECK_EQ_INT(store_open(path, 1, &st, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "%s\n", err);
        return;
    }
    struct store_conn *c = store_acquire(st);
    struct agent_span *sp = NULL;
    char(*days)[11] = NULL;
    int n = 0;
    CHECK_EQ_INT(agent_results_spans(c, 7, "2026-11-01", "2026-11-30", 100, &sp, &days, &n),
                 ACDL_OK);
    if (CHECK_EQ_INT(n, 4)) {
        CHECK_EQ_STR(days[0], "2026-11-24");
        CHECK(sp[0].start == 1000 && sp[0].end == 2000 && sp[0].activity_id == 5);
        CHECK_EQ_STR(sp[0].activity, "phone");
        CHECK(sp[0].source_id == 4);
        CHECK_EQ_STR(sp[0].code, "A,1:x");
        CHECK(sp[1].start == 2000 && sp[1].end == 3000 && sp[1].source_id == 0);
        CHECK_EQ_STR(sp[1].activity, "logged_out");
        CHECK_EQ_STR(sp[1].code, "");
        CHECK(sp[2].start == 3000 && sp[2].end == 0);
        CHECK_EQ_STR(sp[2].code, "Pause\n\xc3\xa9");
        CHECK_EQ_STR(days[3], "2026-11-25");
        CHECK(sp[3].start == 90000 && sp[3].end == 91000);
    }
    free(sp);
    free(days);
    /* the limit counts spans, in day and start order */
    CHECK_EQ_INT(agent_results_spans(c, 7, "2026-11-01", "2026-11-30", 2, &sp, &days, &n), ACDL_OK);
    CHECK(n == 2 && sp[1].start == 2000);
    free(sp);
    free(days);
    /* a deleted activity's spans are left out until the day is computed again */
    CHECK_EQ_INT(
        sqlite3_exec(store_db(c), "DELETE FROM wfm_activities WHERE id = 6", NULL, NULL, NULL),
        SQLITE_OK);
    CHECK_EQ_INT(agent_results_spans(c, 7, "2026-11-24", "2026-11-24", 100, &sp, &days, &n),
                 ACDL_OK);
    CHECK_EQ_INT(n, 2);
    free(sp);
    free(days);
    CHECK_EQ_INT(agent_results_spans(c, 8, "2026-11-01", "2026-11-30", 100, &sp, &days, &n),
                 ACDL_OK);
    if (CHECK_EQ_INT(n, 1)) {
        CHECK_EQ_STR(sp[0].activity, "present");
        CHECK_EQ_STR(sp[0].code, "Z");
    }
    free(sp);
    free(days);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(store_db(c),
                       "SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'agent_spans'), "
                       "(SELECT count(*) FROM agent_day_parts WHERE agent_id = 8 AND day = "
                       "'2026-11-23'), (SELECT list FROM agent_day_parts WHERE agent_id = 7 AND "
                       "day = '2026-11-25' AND part = 0), (SELECT count(*) FROM "
                       "pragma_table_info('agent_days') WHERE name = 'span_list')",
                       -1, &s, NULL);
    if (CHECK(s && sqlite3_step(s) == SQLITE_ROW)) {
        CHECK_EQ_INT(sqlite3_column_int(s, 0), 0);
        CHECK_EQ_INT(sqlite3_column_int(s, 1), 0);
        CHECK_EQ_STR((const char *)sqlite3_column_text(s, 2), "90000,91000,5,4,0:\n");
        CHECK_EQ_INT(sqlite3_column_int(s, 3), 0);
    }
    sqlite3_finalize(s);
    store_release(st, c);
    store_close(st);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (check_tmpdir("agent_spans", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_upgrade);
    check_tmpdir_done(tmp);
    return check_summary();
}
