/* resends.c (routes): POST /api/v1/targets/{id}/resend and GET /api/v1/resends[/{id}]: a
 * target's results of a period sent again through the outbox, and its progress (see
 * upload/resend.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "upload/outbox.h"
#include "upload/resend.h"
#include "upload/uploader.h"

static json_t *resend_json(const struct resend *s)
{
    json_t *products = json_array();
    if (s->contacts) {
        json_array_append_new(products, json_string("contacts"));
    }
    if (s->agent_states) {
        json_array_append_new(products, json_string("agent_states"));
    }
    return json_pack("{s:I, s:I, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:o}", "id",
                     (json_int_t)s->id, "target_id", (json_int_t)s->target_id, "from", s->from,
                     "to", s->to, "products", products, "intervals", (json_int_t)s->intervals,
                     "agent_days", (json_int_t)s->agent_days, "sent", (json_int_t)s->sent, "failed",
                     (json_int_t)s->failed, "remaining", (json_int_t)s->remaining, "done",
                     s->remaining == 0, "requested_by", s->by, "created_at",
                     json_time(s->created_at));
}

/* Fills rq's products from the products member (absent: both). Answers 422 when bad. */
static int parse_products(struct req *r, const json_t *products, struct resend_request *rq)
{
    size_t i;
    const json_t *p;
    if (!products) {
        rq->contacts = rq->agent_states = 1;
        return 0;
    }
    if (!json_is_array(products) || json_array_size(products) == 0) {
        return reply_error(r, 422, "invalid_field",
                           "send [\"contacts\"], [\"agent_states\"] or "
                           "both",
                           "products: must be a non-empty list");
    }
    json_array_foreach(products, i, p)
    {
        const char *v = json_string_value(p);
        if (v && !strcmp(v, "contacts")) {
            rq->contacts = 1;
        } else if (v && !strcmp(v, "agent_states")) {
            rq->agent_states = 1;
        } else {
            return reply_error(r, 422, "invalid_field", "use contacts or agent_states",
                               "products[%zu]: must be contacts or agent_states", i);
        }
    }
    return 0;
}

int route_targets_resend(struct req *r)
{
    const char *from, *to;
    json_t *products = NULL;
    json_error_t jerr;
    struct resend_request rq;
    struct resend s;
    int64_t id, rid = 0;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:s, s:s, s?o}", "from", &from, "to", &to,
                       "products", &products) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send from and to (local days, YYYY-MM-DD) and optionally products",
                           "%s", jerr.text);
    }
    memset(&rq, 0, sizeof(rq));
    rq.target_id = id;
    rq.by = r->auth.name;
    if (tz_date_parse(from, &rq.from) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "write the day as YYYY-MM-DD",
                           "from: '%.20s' is not a date", from);
    }
    if (tz_date_parse(to, &rq.to) != ACDL_OK) {
        return reply_error(r, 422, "invalid_field", "write the day as YYYY-MM-DD",
                           "to: '%.20s' is not a date", to);
    }
    if (tz_date_cmp(rq.from, rq.to) > 0) {
        return reply_error(r, 422, "invalid_field", "swap from and to",
                           "to: %s is before from (%s)", to, from);
    }
    if (tz_date_diff(rq.to, rq.from) >= RESEND_MAX_DAYS) {
        return reply_error(r, 422, "invalid_field", "send a long history in several periods",
                           "to: the period has %lld days; at most %d are sent at once",
                           (long long)tz_date_diff(rq.to, rq.from) + 1, RESEND_MAX_DAYS);
    }
    if ((st = parse_products(r, products, &rq)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int64_t now = plat_now();
    int rc = resend_queue(c, &rq, now, &rid);
    if (rc == ACDL_OK) {
        outbox_flush(c, now, 0, NULL); /* the uploader packs them later if this fails */
        rc = resend_get(c, rid, &s);
    }
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "target");
    }
    char what[32] = "";
    snprintf(what, sizeof(what), "target %lld", (long long)id);
    http_audit(r, "target.resend", what, "ok",
               json_pack("{s:I, s:I, s:s, s:s, s:I, s:I}", "resend_id", (json_int_t)rid,
                         "target_id", (json_int_t)id, "from", s.from, "to", s.to, "intervals",
                         (json_int_t)s.intervals, "agent_days", (json_int_t)s.agent_days));
    uploader_wake(r->app->uploader);
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/resends/%lld", (long long)rid);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, resend_json(&s));
}

int route_resends_list(struct req *r)
{
    int limit, n = 0, st;
    int64_t cursor, target_id = 0;
    char tid[24];
    struct resend *arr = NULL;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    if (req_query(r, "target_id", tid, sizeof(tid)) >= 0) {
        char *end = NULL;
        target_id = strtoll(tid, &end, 10);
        if (!end || *end || target_id < 1) {
            return reply_error(r, 400, "invalid_parameter", "give a target's id",
                               "target_id: must be a positive integer");
        }
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = resend_list(c, target_id, cursor, limit + 1, &arr, &n);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "resends");
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_array_append_new(items, resend_json(&arr[i]));
    }
    int64_t last = shown ? arr[shown - 1].id : 0;
    free(arr);
    return reply_page(r, items, n > limit, last);
}

int route_resends_get(struct req *r)
{
    int64_t id;
    int st;
    struct resend s;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = resend_get(c, id, &s);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "resend");
    }
    return reply_json(r, 200, resend_json(&s));
}
