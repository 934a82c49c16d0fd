/* ext_queues.c (routes): GET /api/v1/ext-queues: every external queue that sources delivered
 * (staged), mapped or not, with its name and metrics, for the console's suggestions. */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "http/routes/routes.h"

int route_ext_queues_list(struct req *r)
{
    int limit, st, n = 0;
    int64_t cursor, source_id = 0;
    char buf[32];
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    if (req_query(r, "source_id", buf, sizeof(buf)) >= 0) {
        char *end = NULL;
        source_id = strtoll(buf, &end, 10);
        if (!end || *end || source_id < 1) {
            return reply_error(r, 400, "invalid_parameter", "use a source id",
                               "parameter 'source_id' is invalid");
        }
    }
    struct store_conn *c = store_acquire(r->app->store);
    sqlite3_stmt *s = store_prepare(
        c, "SELECT e.id, e.source_id, s.name, e.ext_queue, e.name, e.first_seen, e.last_seen, "
           "EXISTS (SELECT 1 FROM mapping_inputs i WHERE i.source_id = e.source_id AND "
           "i.ext_queue = e.ext_queue) FROM ext_queues e JOIN sources s ON s.id = e.source_id "
           "WHERE e.id > ?1 AND (?2 = 0 OR e.source_id = ?2) ORDER BY e.id LIMIT ?3");
    sqlite3_stmt *mq = store_prepare(c, "SELECT n.name FROM ext_queue_metrics x JOIN "
                                        "metric_names n ON n.id = x.metric_id WHERE x.queue_id "
                                        "= ? ORDER BY n.name LIMIT 64");
    json_t *items = json_array();
    int64_t last = 0;
    if (!s || !mq) {
        store_done(s);
        store_release(r->app->store, c);
        json_decref(items);
        return reply_rc(r, ACDL_EDB, "external queues");
    }
    sqlite3_bind_int64(s, 1, cursor);
    sqlite3_bind_int64(s, 2, source_id);
    sqlite3_bind_int(s, 3, limit + 1);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (++n > limit) {
            break;
        }
        json_t *metrics = json_array();
        last = sqlite3_column_int64(s, 0);
        sqlite3_bind_int64(mq, 1, last);
        while (sqlite3_step(mq) == SQLITE_ROW) {
            json_array_append_new(metrics, json_string((const char *)sqlite3_column_text(mq, 0)));
        }
        store_done(mq);
        const unsigned char *name = sqlite3_column_text(s, 4);
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:o, s:o}", "source_id",
                                        (json_int_t)sqlite3_column_int64(s, 1), "source",
                                        (const char *)sqlite3_column_text(s, 2), "ext_queue",
                                        (const char *)sqlite3_column_text(s, 3), "name",
                                        name ? json_string((const char *)name) : json_null(),
                                        "metrics", metrics, "mapped", sqlite3_column_int(s, 7),
                                        "first_seen", json_time(sqlite3_column_int64(s, 5)),
                                        "last_seen", json_time(sqlite3_column_int64(s, 6))));
    }
    store_done(s);
    store_release(r->app->store, c);
    return reply_page(r, items, n > limit, last);
}
