/* overview.c (routes): GET /api/v1/overview: the appliance at a glance for every role (the
 * console's home page); ?queue=ID adds that WFM queue's series of today (ops/overview.h). */
#include <stdlib.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "ops/overview.h"
#include "platform/platform.h"

int route_overview_get(struct req *r)
{
    char q[24] = "";
    int64_t queue_id = 0;
    if (req_query(r, "queue", q, sizeof(q)) >= 0) {
        char *end = NULL;
        long long v = strtoll(q, &end, 10);
        if (!q[0] || *end || v <= 0) {
            return reply_error(r, 400, "invalid_parameter",
                               "give the id of a WFM queue, e.g. ?queue=3",
                               "queue: '%s' is not a queue id", q);
        }
        queue_id = v;
    }
    json_t *o = NULL;
    int rc = overview_collect(r->app, plat_now(), queue_id, &o);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "overview");
    }
    return reply_json(r, 200, o);
}
