/* queues.c (routes): /api/v1/queues: the WFM queues that mappings fill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/catalog.h"

static const char *const channels[] = {"calls",  "chats", "emails", "messages",
                                       "social", "tasks", "other"};

const char *route_check_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0) {
        return "must not be empty";
    }
    if (n > max) {
        return "is too long";
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return "must not contain control characters";
        }
    }
    return NULL;
}

json_t *route_queue_json(const struct store_queue *q)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:o, s:o}", "id", (json_int_t)q->id,
                     "identifier", q->identifier, "name", q->name, "channel", q->channel,
                     "interval_minutes", q->interval_minutes, "time_zone", q->time_zone,
                     "created_at", json_time(q->created_at), "updated_at",
                     json_time(q->updated_at));
}

const char *route_queue_problem(struct store_queue *q, char *msg, size_t msgsz)
{
    const char *why;
    int ok_channel = 0;
    if ((why = route_check_text(q->identifier, 128)) != NULL) {
        snprintf(msg, msgsz, "identifier: %s", why);
        return "use the queue's identifier in the WFM";
    }
    if ((why = route_check_text(q->name, 256)) != NULL) {
        snprintf(msg, msgsz, "name: %s", why);
        return "give the queue a readable name";
    }
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
        ok_channel |= strcmp(q->channel, channels[i]) == 0;
    }
    if (!ok_channel) {
        snprintf(msg, msgsz, "channel: '%.40s' is not a channel", q->channel);
        return "use calls, chats, emails, messages, social, tasks or other";
    }
    if (q->interval_minutes != 15 && q->interval_minutes != 30 && q->interval_minutes != 60) {
        snprintf(msg, msgsz, "interval_minutes: must be 15, 30 or 60");
        return "use 15, 30 or 60";
    }
    char canonical[sizeof(q->time_zone)];
    if (tz_check(q->time_zone, canonical, sizeof(canonical)) != ACDL_OK) {
        snprintf(msg, msgsz, "time_zone: '%.64s' is not a known time zone", q->time_zone);
        return "use an IANA time zone such as Europe/Berlin or America/New_York";
    }
    snprintf(q->time_zone, sizeof(q->time_zone), "%s", canonical);
    return NULL;
}

/* Validates q (filled from the body); answers 422 and returns the status when it is bad. */
static int check_queue(struct req *r, struct store_queue *q)
{
    char msg[200] = "";
    const char *hint = route_queue_problem(q, msg, sizeof(msg));
    return hint ? reply_error(r, 422, "invalid_field", hint, "%s", msg) : 0;
}

/* Copies s into a fixed field; answers 422 when it does not fit. */
static int copy_field(struct req *r, const char *field, char *dst, size_t dstsz, const char *s)
{
    if (strlen(s) >= dstsz) {
        return reply_error(r, 422, "invalid_field", "use a shorter value", "%s: is too long",
                           field);
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static int fill_queue(struct req *r, struct store_queue *q, int partial)
{
    const char *identifier = NULL, *name = NULL, *channel = NULL, *zone_name = NULL;
    int interval = -1, st;
    json_error_t jerr;
    const char *fmt = partial ? "{s?s, s?s, s?s, s?i, s?s}" : "{s:s, s:s, s?s, s?i, s:s}";
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, fmt, "identifier", &identifier, "name", &name,
                       "channel", &channel, "interval_minutes", &interval, "time_zone",
                       &zone_name) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send identifier, name and time_zone, optionally channel and "
                           "interval_minutes",
                           "%s", jerr.text);
    }
    if ((identifier && (st = copy_field(r, "identifier", q->identifier, sizeof(q->identifier),
                                        identifier)) != 0) ||
        (name && (st = copy_field(r, "name", q->name, sizeof(q->name), name)) != 0) ||
        (channel &&
         (st = copy_field(r, "channel", q->channel, sizeof(q->channel), channel)) != 0) ||
        (zone_name &&
         (st = copy_field(r, "time_zone", q->time_zone, sizeof(q->time_zone), zone_name)) != 0)) {
        return st;
    }
    if (json_object_get(r->body, "interval_minutes")) { /* any value, -1 too, is checked */
        q->interval_minutes = interval;
    }
    return check_queue(r, q);
}

/* A text column as a string member, bounded as struct store_queue's member of size max + 1
 * holds it (and ending at a NUL, as that copy does): the same text as route_queue_json. */
static void queue_col(struct jsonw *w, const char *key, size_t klen, sqlite3_stmt *s, int col,
                      size_t max)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
    jsonw_keyn(w, key, klen);
    jsonw_strn(w, t ? t : "", strnlen(t ? t : "", n < max ? n : max));
}
#define QUEUE_COL(w, key, s, col, member)                                                          \
    queue_col(w, key, sizeof(key) - 1, s, col, sizeof(((struct store_queue *)0)->member) - 1)

int route_queues_list(struct req *r)
{
    int limit, n = 0, st, sr, more = 0;
    int64_t cursor, last_id = 0;
    if ((st = req_page(r, &limit, &cursor)) != 0) {
        return st;
    }
    /* written straight from the rows into the answer (no copy of each queue): the same text as
     * route_queue_json + reply_page */
    struct store_conn *c = req_store(r);
    sqlite3_stmt *s = store_queue_list_rows(c, cursor, limit + 1);
    struct jsonw *w = reply_stream_begin(r);
    jsonw_obj_begin(w);
    jsonw_key(w, "items");
    jsonw_arr_begin(w);
    while (s && (sr = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == limit) {
            more = 1;
            break;
        }
        n++;
        last_id = sqlite3_column_int64(s, 0);
        jsonw_obj_begin(w);
        jsonw_kint(w, "id", last_id);
        QUEUE_COL(w, "identifier", s, 1, identifier);
        QUEUE_COL(w, "name", s, 2, name);
        QUEUE_COL(w, "channel", s, 3, channel);
        jsonw_kint(w, "interval_minutes", sqlite3_column_int(s, 4));
        QUEUE_COL(w, "time_zone", s, 5, time_zone);
        jsonw_ktime(w, "created_at", sqlite3_column_int64(s, 6));
        jsonw_ktime(w, "updated_at", sqlite3_column_int64(s, 7));
        jsonw_obj_end(w);
    }
    int rc = !s ? ACDL_EDB : (more || sr == SQLITE_DONE) ? ACDL_OK : store_rc(sr);
    store_done(s);
    req_store_done(r, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "queues");
    }
    reply_stream_page_end(w, more, last_id);
    return reply_stream_send(r, 200);
}

int route_queues_get(struct req *r)
{
    int64_t id;
    int st;
    struct store_queue q;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = req_store(r);
    int rc = store_queue_get(c, id, &q);
    req_store_done(r, c);
    return rc == ACDL_OK ? reply_json(r, 200, route_queue_json(&q)) : reply_rc(r, rc, "queue");
}

int route_queues_create(struct req *r)
{
    struct store_queue q;
    int64_t id;
    int st;
    memset(&q, 0, sizeof(q));
    snprintf(q.channel, sizeof(q.channel), "calls");
    q.interval_minutes = 15;
    if ((st = fill_queue(r, &q, 0)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_queue_add(c, &q, plat_now(), &id);
    if (rc == ACDL_OK) {
        rc = store_queue_get(c, id, &q);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "each WFM queue identifier is used once",
                           "a queue with identifier '%.128s' exists already", q.identifier);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "queue");
    }
    http_audit(r, "queue.create", q.identifier, "ok", json_pack("{s:I}", "id", (json_int_t)q.id));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/queues/%lld", (long long)q.id);
    reply_header(r, "Location", loc);
    return reply_json(r, 201, route_queue_json(&q));
}

int route_queues_update(struct req *r)
{
    struct store_queue q;
    int64_t id;
    int st;
    if ((st = req_id(r, 0, &id)) != 0) {
        return st;
    }
    struct store_conn *c = store_acquire(r->app->store);
    int rc = store_queue_get(c, id, &q);
    store_release(r->app->store, c);
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "queue");
    }
    r->audit_before = route_queue_json(&q);
    int was = q.interval_minutes;
    if ((st = fill_queue(r, &q, 1)) != 0) {
        return st;
    }
    c = store_acquire(r->app->store);
    /* a queue plans the interval its mapped sources deliver, as a mapping requires */
    char src[72] = "";
    int theirs = 0;
    rc = q.interval_minutes == was
             ? ACDL_ENOTFOUND
             : store_queue_interval_conflict(c, id, q.interval_minutes, src, sizeof(src), &theirs);
    if (rc == ACDL_OK) {
        store_release(r->app->store, c);
        return reply_error(r, 422, "invalid_field",
                           "keep the interval of the sources mapped into the queue, or delete "
                           "those mappings first",
                           "interval_minutes: source '%s' is mapped into this queue and delivers "
                           "%d-minute intervals, not %d-minute ones",
                           src, theirs, q.interval_minutes);
    }
    rc = rc == ACDL_ENOTFOUND ? store_queue_update(c, &q, plat_now()) : rc;
    if (rc == ACDL_OK) {
        rc = store_queue_get(c, id, &q);
    }
    store_release(r->app->store, c);
    if (rc == ACDL_EEXIST) {
        return reply_error(r, 409, "conflict", "each WFM queue identifier is used once",
                           "a queue with identifier '%.128s' exists already", q.identifier);
    }
    if (rc != ACDL_OK) {
        return reply_rc(r, rc, "queue");
    }
    json_t *now = route_queue_json(&q);
    http_audit(r, "queue.update", q.identifier, "ok", http_audit_update(r, now, id));
    return reply_json(r, 200, now);
}
