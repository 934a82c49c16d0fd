/* recomputes.c (routes): GET /api/v1/recomputes: results still to be computed again after a
 * change or a failed mapping (store/recomputes.h), oldest first. */
#include <stdlib.h>

#include "core/err.h"
#include "core/why.h"
#include "http/routes/routes.h"
#include "store/recomputes.h"

static json_t *recompute_json(const struct store_recompute *p)
{
    json_t *j = json_pack("{s:I, s:s, s:I, s:o, s:o, s:o, s:s, s:i, s:o, s:o, s:o}", "id",
                          (json_int_t)p->id, "kind", p->kind, "ref_id", (json_int_t)p->ref_id,
                          "name", p->ref_name[0] ? json_string(p->ref_name) : json_null(), "from",
                          p->day_from[0] ? json_string(p->day_from) : json_null(), "to",
                          p->day_to[0] ? json_string(p->day_to) : json_null(), "reason", p->reason,
                          "attempts", p->attempts, "last_error",
                          p->last_error[0] ? json_string(p->last_error) : json_null(), "created_at",
                          json_time(p->created_at), "next_at", json_time(p->next_at));
    /* last_error_code and last_error_params beside a known error (core/why.h) */
    return p->last_error[0] ? why_attach(j, "last_error", p->last_error) : j;
}

int route_recomputes_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor;
    struct store_recompute *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_recompute_list(c, cursor, 0, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "recomputes");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, recompute_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}
