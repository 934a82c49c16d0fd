/* agents_live.c (routes): GET /api/v1/agents/live, the live board: every agent's current state
 * (pipeline/agent_live.h says what "current" is), the number of agents per activity and per
 * status, written row by row into the answer. The ETag is a digest of the answer itself, so it
 * changes exactly when the board does, and If-None-Match gets a 304 without a body. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "pipeline/agent_live.h"
#include "platform/platform.h"
#include "store/activities.h"

struct live_out {
    struct jsonw *w;
    struct store_activity *acts; /* by id */
    int64_t *count;              /* agents per acts[i] */
    int nacts;
    int64_t status[LIVE_NSTATUS];
    int64_t total;
};

static int act_index(const struct live_out *o, int64_t id)
{
    int lo = 0, hi = o->nacts - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (o->acts[mid].id == id) {
            return mid;
        }
        if (o->acts[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

/* An id member: null for 0. */
static void kid(struct jsonw *w, const char *key, int64_t id)
{
    jsonw_key(w, key);
    if (id) {
        jsonw_int(w, id);
    } else {
        jsonw_null(w);
    }
}

static int write_row(const struct agent_live_row *row, void *ctx)
{
    struct live_out *o = ctx;
    struct jsonw *w = o->w;
    int i = row->activity_id ? act_index(o, row->activity_id) : -1;
    if (i >= 0) {
        o->count[i]++;
    }
    o->status[row->status]++;
    o->total++;
    jsonw_obj_begin(w);
    kid(w, "agent_id", row->agent_id);
    jsonw_kstr(w, "agent", row->identifier);
    jsonw_kstr(w, "name", row->name && row->name[0] ? row->name : NULL);
    kid(w, "source_id", row->source_id);
    jsonw_kstr(w, "ext_agent", row->ext_agent);
    jsonw_kstr(w, "status", agent_live_status_name(row->status));
    kid(w, "activity_id", row->activity_id);
    jsonw_kstr(w, "code", row->code);
    jsonw_ktime(w, "since", row->since);
    jsonw_ktime(w, "start", row->start);
    jsonw_ktime(w, "end", row->end);
    jsonw_obj_end(w);
    return w->failed ? ACDL_ENOMEM : ACDL_OK;
}

/* Every WFM activity, by id. */
static int load_activities(struct store_conn *c, struct live_out *o)
{
    int64_t after = 0;
    for (;;) {
        struct store_activity *page = NULL;
        int n = 0;
        int rc = store_activity_list(c, after, 500, &page, &n);
        if (rc != ACDL_OK) {
            return rc;
        }
        if (n > 0) {
            struct store_activity *a = realloc(o->acts, (size_t)(o->nacts + n) * sizeof(*a));
            if (!a) {
                free(page);
                return ACDL_ENOMEM;
            }
            o->acts = a;
            memcpy(o->acts + o->nacts, page, (size_t)n * sizeof(*a));
            o->nacts += n;
            after = page[n - 1].id;
        }
        free(page);
        if (n < 500) {
            break;
        }
    }
    o->count = calloc((size_t)o->nacts + 1, sizeof(*o->count));
    return o->count ? ACDL_OK : ACDL_ENOMEM;
}

int route_agents_live(struct req *r)
{
    struct live_out o;
    int rc;
    memset(&o, 0, sizeof(o));
    struct store_conn *c = store_acquire(r->app->store);
    rc = load_activities(c, &o);
    if (rc == ACDL_OK) {
        o.w = reply_stream_begin(r);
        jsonw_obj_begin(o.w);
        jsonw_key(o.w, "agents");
        jsonw_arr_begin(o.w);
        rc = agent_live_scan(c, plat_now(), write_row, &o);
        jsonw_arr_end(o.w);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        free(o.acts);
        free(o.count);
        return reply_rc(r, rc, "live board");
    }
    struct jsonw *w = o.w;
    jsonw_key(w, "activities");
    jsonw_arr_begin(w);
    for (int i = 0; i < o.nacts; i++) {
        const struct store_activity *a = &o.acts[i];
        jsonw_obj_begin(w);
        jsonw_kint(w, "id", a->id);
        jsonw_kstr(w, "identifier", a->identifier);
        jsonw_kstr(w, "name", a->name);
        jsonw_kstr(w, "builtin", a->builtin[0] ? a->builtin : NULL);
        jsonw_kstr(w, "colour",
                   agent_live_colour(a->identifier, !strcmp(a->builtin, "logged_out")));
        jsonw_kint(w, "agents", o.count[i]);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_key(w, "statuses");
    jsonw_obj_begin(w);
    for (int s = 0; s < LIVE_NSTATUS; s++) {
        jsonw_kint(w, agent_live_status_name((enum agent_live_status)s), o.status[s]);
    }
    jsonw_obj_end(w);
    jsonw_kint(w, "total", o.total);
    jsonw_obj_end(w);
    free(o.acts);
    free(o.count);
    return reply_stream_send_tagged(r);
}
