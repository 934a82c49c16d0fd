/* health.c: GET /api/v1/health, without authentication (for load balancers and monitors). The
 * answer is 200 while the daemon serves, with "status": "degraded" and one problem per check
 * that found one; 503 (the error envelope) only when the database does not answer. Members are
 * added with one json_object_set_new() each, so further facts stay one line. */
#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "ops/health.h"
#include "platform/platform.h"
#include "store/store.h"

int route_health_get(struct req *r)
{
    struct health h;
    health_collect(r->app, &h);
    if (!h.db_ok) {
        reply_header(r, "Retry-After", "10");
        return reply_error(r, 503, "unavailable", "look at the daemon's log",
                           "the database does not answer");
    }
    /* the reasons name sources, targets, hosts and files: for signed-in callers (the console's
     * banner sends its session) and tokens only; a stale or foreign credential is none */
    int known = http_auth_resolve(r) == ACDL_OK && r->auth.kind != AUTH_NONE;
    json_t *problems = known ? health_problems_json(&h) : health_problems_public(&h);
    json_t *body = json_object();
    json_object_set_new(body, "status", json_string(health_degraded(&h) ? "degraded" : "ok"));
    json_object_set_new(body, "version", json_string(ACDLINK_VERSION));
    json_object_set_new(body, "uptime_s", json_integer(plat_now() - r->app->started_at));
    json_object_set_new(body, "db", json_string(h.degraded[HEALTH_DATABASE] ? "read_only" : "ok"));
    json_object_set_new(body, "tzdata", json_string(tz_data_version()));
    json_object_set_new(body, "tzdata_source", json_string(tz_data_source()));
    json_object_set_new(body, "problems", problems);
    json_object_set_new(body, "disk",
                        json_pack("{s:I, s:I, s:I}", "free_bytes", (json_int_t)h.disk_free,
                                  "total_bytes", (json_int_t)h.disk_total, "min_free_bytes",
                                  (json_int_t)h.disk_min_free));
    json_object_set_new(body, "recomputes_pending", json_integer(h.recomputes_pending));
    json_object_set_new(body, "recomputes_failing", json_integer(h.recomputes_failing));
    json_object_set_new(body, "sessions_in_memory", json_integer(h.sessions_in_memory));
    return reply_json(r, 200, body);
}
