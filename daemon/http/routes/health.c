/* health.c: GET /api/v1/health, without authentication (for load balancers and monitors). */
#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/recomputes.h"
#include "store/store.h"

int route_health_get(struct req *r)
{
    int db_ok = store_ping(r->app->store) == ACDL_OK;
    int64_t pending = 0, failing = 0;
    if (db_ok) {
        struct store_conn *c = store_acquire(r->app->store);
        store_recompute_count(c, &pending, &failing);
        store_release(r->app->store, c);
    }
    json_t *body = json_pack(
        "{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "status", db_ok ? "ok" : "degraded", "version",
        ACDLINK_VERSION, "uptime_s", (json_int_t)(plat_now() - r->app->started_at), "db",
        db_ok ? "ok" : "error", "tzdata", tz_data_version(), "tzdata_source", tz_data_source(),
        "recomputes_pending", (json_int_t)pending, "recomputes_failing", (json_int_t)failing);
    return reply_json(r, db_ok ? 200 : 503, body);
}
