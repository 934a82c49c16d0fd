/* alerts.c: the alerter thread (see alerts.h). */
#include "alerts/alerts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/channel.h"
#include "core/err.h"
#include "core/log.h"
#include "core/why.h"
#include "crypto/secret.h"
#include "ops/health.h"
#include "platform/platform.h"
#include "store/alerts.h"

#define MAX_CONDS 512
#define MAX_RULES 256
#define MAX_SENDS 64

static const char *const events[] = {"run_failed", "rows_rejected",     "target_failing",
                                     "backlog",    "recompute_pending", "health_degraded"};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

int alerts_event_valid(const char *name)
{
    for (size_t i = 0; name && i < NEVENTS; i++) {
        if (!strcmp(events[i], name)) {
            return 1;
        }
    }
    return 0;
}

const char *alerts_event_list(void)
{
    return "run_failed, rows_rejected, target_failing, backlog, recompute_pending, "
           "health_degraded";
}

struct cond {
    char event[32];
    char subject[200];
    char occurrence[64];
    char title[320];
    char message[1024];
    char title_code[48], message_code[48];        /* their message codes ("": none) */
    char title_params[700], message_params[1300]; /* and parameters, JSON object text */
    int past; /* an occurrence that happened since the last round but no longer holds */
};

/* Sets k's title and message codes with their parameters (both stolen; NULL: none). */
static void cond_words(struct cond *k, const char *tcode, json_t *tparams, const char *mcode,
                       json_t *mparams)
{
    char *t = tparams ? json_dumps(tparams, JSON_COMPACT) : NULL;
    char *m = mparams ? json_dumps(mparams, JSON_COMPACT) : NULL;
    k->title_code[0] = k->message_code[0] = '\0';
    if (t && strlen(t) < sizeof(k->title_params)) {
        snprintf(k->title_code, sizeof(k->title_code), "%s", tcode);
        snprintf(k->title_params, sizeof(k->title_params), "%s", t);
    }
    if (m && strlen(m) < sizeof(k->message_params)) {
        snprintf(k->message_code, sizeof(k->message_code), "%s", mcode);
        snprintf(k->message_params, sizeof(k->message_params), "%s", m);
    }
    free(t);
    free(m);
    json_decref(tparams);
    json_decref(mparams);
}

/* A parameter object with name set to text and, when code is not "", name_code and
 * name_params (params: JSON object text) beside it, as messages nest. New. */
static json_t *with_coded(json_t *o, const char *name, const char *text, const char *code,
                          const char *params)
{
    char key[64];
    json_t *p = code && code[0] ? json_loads(params, 0, NULL) : NULL;
    json_object_set_new(o, name, json_string(text));
    if (json_is_object(p)) {
        snprintf(key, sizeof(key), "%s_code", name);
        json_object_set_new(o, key, json_string(code));
        snprintf(key, sizeof(key), "%s_params", name);
        json_object_set_new(o, key, p);
    } else {
        json_decref(p);
    }
    return o;
}

struct conds {
    struct cond v[MAX_CONDS];
    int n;
};

struct send {
    int64_t rule_id, channel_id;
    struct alert_notice notice;
};

struct alerter {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    int woken;
    struct conds conds; /* the thread's own: large, so not on its stack */
    struct send sends[MAX_SENDS];
    int64_t last_round; /* plat_now() of the last round; 0 before the first */
    int64_t seen[256];  /* runs taken as past occurrences lately (a ring) */
    int nseen, seen_pos;
};

static struct cond *cond_add(struct conds *cs, const char *event, const char *subject,
                             const char *occurrence)
{
    if (cs->n >= MAX_CONDS) {
        return NULL;
    }
    struct cond *c = &cs->v[cs->n++];
    memset(c, 0, sizeof(*c));
    snprintf(c->event, sizeof(c->event), "%s", event);
    snprintf(c->subject, sizeof(c->subject), "%s", subject);
    snprintf(c->occurrence, sizeof(c->occurrence), "%s", occurrence);
    return c;
}

/* Adds the conditions run id of source name gives (failed or partly failed, rejected rows). */
static void run_conds(struct conds *cs, sqlite3_stmt *s, int past)
{
    char name[200], state[16], error[600], occ[32], ecode[48], eparams[700];
    store_column_text(s, 0, name, sizeof(name));
    long long id = sqlite3_column_int64(s, 1);
    store_column_text(s, 2, state, sizeof(state));
    long long failed_mappings = sqlite3_column_int64(s, 3);
    store_column_text(s, 4, error, sizeof(error));
    long long rejected = sqlite3_column_int64(s, 5), read = sqlite3_column_int64(s, 6);
    store_column_text(s, 7, ecode, sizeof(ecode));
    store_column_text(s, 8, eparams, sizeof(eparams));
    snprintf(occ, sizeof(occ), "run %lld", id);
    struct cond *k;
    if ((!strcmp(state, "failed") || failed_mappings > 0) &&
        (k = cond_add(cs, "run_failed", name, occ)) != NULL) {
        int partly = strcmp(state, "failed") != 0;
        k->past = past;
        snprintf(k->title, sizeof(k->title), "Run %lld of source '%s' %s", id, name,
                 partly ? "partly failed" : "failed");
        if (partly) {
            snprintf(k->message, sizeof(k->message),
                     "%lld mapping(s) could not be computed: %s. See Runs in the console.",
                     failed_mappings, error);
            cond_words(k, "alert.run_partly_failed",
                       json_pack("{s:I, s:s}", "id", (json_int_t)id, "source", name),
                       "alert.msg_mappings_failed",
                       json_pack("{s:I, s:s}", "n", (json_int_t)failed_mappings, "error", error));
        } else {
            snprintf(k->message, sizeof(k->message), "%s. See the run's log on Runs.",
                     *error ? error : "the run failed");
            cond_words(k, "alert.run_failed",
                       json_pack("{s:I, s:s}", "id", (json_int_t)id, "source", name),
                       *error ? "alert.msg_run_failed" : "alert.msg_run_failed_bare",
                       with_coded(json_object(), "error", error, ecode, eparams));
        }
    }
    if (rejected > 0 && (k = cond_add(cs, "rows_rejected", name, occ)) != NULL) {
        k->past = past;
        snprintf(k->title, sizeof(k->title), "Run %lld of source '%s' rejected %lld row(s)", id,
                 name, rejected);
        snprintf(k->message, sizeof(k->message),
                 "%lld of %lld rows read were rejected; the run's log names file, line and "
                 "column of each.",
                 rejected, read);
        cond_words(k, "alert.rows_rejected",
                   json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "source", name, "n",
                             (json_int_t)rejected),
                   "alert.msg_rows_rejected",
                   json_pack("{s:I, s:I}", "n", (json_int_t)rejected, "read", (json_int_t)read));
    }
}

#define RUN_COLS                                                                                   \
    "s.name, r.id, r.state, r.failed_mappings, coalesce(r.error, ''), r.rows_rejected, "           \
    "r.rows_read, coalesce(r.error_code, ''), coalesce(r.error_params, '')"

/* Runs that ended since the last round (each one an occurrence, also when a later run of the
 * same source already worked), then the last finished run of each source (what holds now). */
static void collect_runs(struct alerter *a, struct store_conn *c, struct conds *cs)
{
    sqlite3_stmt *s;
    if (a->last_round > 0 &&
        (s = store_prepare(c, "SELECT " RUN_COLS " FROM runs r JOIN sources s ON s.id = "
                              "r.source_id WHERE r.state IN ('done', 'failed') AND "
                              "r.finished_at >= ? ORDER BY r.finished_at, r.id")) != NULL) {
        sqlite3_bind_int64(s, 1, a->last_round - 5); /* the clock counts whole seconds */
        while (sqlite3_step(s) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(s, 1);
            int known = 0;
            for (int i = 0; i < a->nseen && !known; i++) {
                known = a->seen[i] == id;
            }
            if (!known) {
                a->seen[a->seen_pos] = id;
                a->seen_pos = (a->seen_pos + 1) % 256;
                a->nseen += a->nseen < 256;
                run_conds(cs, s, 1);
            }
        }
        store_done(s);
    }
    s = store_prepare(c, "SELECT " RUN_COLS " FROM runs r JOIN sources s ON s.id = r.source_id "
                         "WHERE r.id IN (SELECT max(id) FROM runs WHERE state IN ('done', "
                         "'failed') GROUP BY source_id) ORDER BY r.id");
    if (!s) {
        return;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        run_conds(cs, s, 0);
    }
    store_done(s);
}

/* Enabled targets whose deliveries fail, and those whose oldest waiting batch is too old. */
static void collect_targets(struct app *app, struct store_conn *c, struct conds *cs, int64_t now)
{
    sqlite3_stmt *s = store_prepare(
        c, "SELECT t.name, count(*), coalesce(max(b.last_error), 'attempts failed'), "
           "coalesce(b.last_error_code, ''), coalesce(b.last_error_params, '') FROM "
           "batches b JOIN targets t ON t.id = b.target_id WHERE t.enabled = 1 AND (b.state = "
           "'failed' OR (b.state = 'pending' AND b.attempts > 0)) GROUP BY t.id ORDER BY t.id");
    char name[200], error[600], ecode[48], eparams[800];
    if (s) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            store_column_text(s, 0, name, sizeof(name));
            store_column_text(s, 2, error, sizeof(error));
            struct cond *k = cond_add(cs, "target_failing", name, "on");
            if (k) {
                snprintf(k->title, sizeof(k->title), "Deliveries to target '%s' fail", name);
                snprintf(k->message, sizeof(k->message),
                         "%lld batch(es) failed or are being retried; last error: %s. See "
                         "Deliveries in the console.",
                         (long long)sqlite3_column_int64(s, 1), error);
                store_column_text(s, 3, ecode, sizeof(ecode));
                store_column_text(s, 4, eparams, sizeof(eparams));
                cond_words(
                    k, "alert.target_failing", json_pack("{s:s}", "target", name),
                    "alert.msg_target_failing",
                    with_coded(json_pack("{s:I}", "n", (json_int_t)sqlite3_column_int64(s, 1)),
                               "error", error, ecode, eparams));
            }
        }
        store_done(s);
    }
    s = store_prepare(c, "SELECT t.name, count(*), min(b.created_at) FROM batches b JOIN "
                         "targets t ON t.id = b.target_id WHERE t.enabled = 1 AND b.state IN "
                         "('pending', 'sending', 'failed') GROUP BY t.id HAVING min(b.created_at) "
                         "< ? ORDER BY t.id");
    if (!s) {
        return;
    }
    sqlite3_bind_int64(s, 1, now - app->cfg->backlog_warn_after);
    while (sqlite3_step(s) == SQLITE_ROW) {
        store_column_text(s, 0, name, sizeof(name));
        struct cond *k = cond_add(cs, "backlog", name, "on");
        if (k) {
            long long age = (long long)(now - sqlite3_column_int64(s, 2));
            snprintf(k->title, sizeof(k->title), "Deliveries to target '%s' wait for %lld min",
                     name, age / 60);
            snprintf(k->message, sizeof(k->message),
                     "%lld batch(es) wait for delivery, the oldest since %lld s (warning after "
                     "backlog_warn_after, %d s). See Deliveries in the console.",
                     (long long)sqlite3_column_int64(s, 1), age, app->cfg->backlog_warn_after);
            cond_words(k, "alert.backlog",
                       json_pack("{s:s, s:I}", "target", name, "minutes", (json_int_t)(age / 60)),
                       "alert.msg_backlog",
                       json_pack("{s:I, s:I, s:i}", "n", (json_int_t)sqlite3_column_int64(s, 1),
                                 "seconds", (json_int_t)age, "warn_after",
                                 app->cfg->backlog_warn_after));
        }
    }
    store_done(s);
}

static void collect_health(const struct health *h, struct conds *cs)
{
    struct cond *k;
    if (h->degraded[HEALTH_RECOMPUTES] &&
        (k = cond_add(cs, "recompute_pending", "recomputes", "on")) != NULL) {
        snprintf(k->title, sizeof(k->title), "Results wait for recomputation");
        snprintf(k->message, sizeof(k->message), "%s", h->message[HEALTH_RECOMPUTES]);
        cond_words(k, "alert.recompute_pending", json_object(), h->code[HEALTH_RECOMPUTES],
                   h->code[HEALTH_RECOMPUTES] ? json_loads(h->params[HEALTH_RECOMPUTES], 0, NULL)
                                              : NULL);
    }
    for (int i = 0; i < HEALTH_NCHECKS; i++) {
        if (h->degraded[i] &&
            (k = cond_add(cs, "health_degraded", health_check_name((enum health_check)i), "on"))) {
            snprintf(k->title, sizeof(k->title), "Health degraded: %s",
                     health_check_name((enum health_check)i));
            snprintf(k->message, sizeof(k->message), "%s", h->message[i]);
            cond_words(k, "alert.health_degraded",
                       json_pack("{s:s}", "check", health_check_name((enum health_check)i)),
                       h->code[i], h->code[i] ? json_loads(h->params[i], 0, NULL) : NULL);
        }
    }
}

static void notice_fill(struct alert_notice *n, const struct cond *k, const char *state,
                        int suppressed, int64_t now)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->event, sizeof(n->event), "%s", k->event);
    snprintf(n->state, sizeof(n->state), "%s", state);
    snprintf(n->subject, sizeof(n->subject), "%s", k->subject);
    if (!strcmp(state, "resolved")) {
        snprintf(n->title, sizeof(n->title), "Resolved: %s", k->title);
        json_t *p = with_coded(json_object(), "title", k->title, k->title_code, k->title_params);
        char *t = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        if (t && strlen(t) < sizeof(n->title_params)) {
            snprintf(n->title_code, sizeof(n->title_code), "alert.resolved");
            snprintf(n->title_params, sizeof(n->title_params), "%s", t);
        }
        free(t);
    } else {
        snprintf(n->title, sizeof(n->title), "%s", k->title);
        snprintf(n->title_code, sizeof(n->title_code), "%s", k->title_code);
        snprintf(n->title_params, sizeof(n->title_params), "%s", k->title_params);
    }
    snprintf(n->message, sizeof(n->message), "%s", k->message);
    snprintf(n->message_code, sizeof(n->message_code), "%s", k->message_code);
    snprintf(n->message_params, sizeof(n->message_params), "%s", k->message_params);
    n->suppressed = suppressed;
    n->at = now;
}

/* Compares the conditions with rule r's states; queues notices into a->sends. */
static int rule_round(struct alerter *a, struct store_conn *c, const struct store_alert_rule *r,
                      int64_t now, int nsends)
{
    const struct conds *cs = &a->conds;
    for (int i = 0; i < cs->n; i++) {
        const struct cond *k = &cs->v[i];
        struct store_alert_state st;
        if (strcmp(k->event, r->event) != 0) {
            continue;
        }
        int rc = store_alert_state_get(c, r->id, k->subject, &st);
        if (rc == ACDL_ENOTFOUND) {
            memset(&st, 0, sizeof(st));
            snprintf(st.subject, sizeof(st.subject), "%s", k->subject);
        } else if (rc != ACDL_OK) {
            continue;
        }
        if (st.active && !strcmp(st.occurrence, k->occurrence)) {
            continue; /* seen already */
        }
        if (!st.active) {
            st.since = now;
            st.notified = 0;
        }
        st.active = 1;
        snprintf(st.occurrence, sizeof(st.occurrence), "%s", k->occurrence);
        if (now - st.last_notice_at >= r->min_interval && nsends < MAX_SENDS) {
            struct send *s = &a->sends[nsends++];
            s->rule_id = r->id;
            s->channel_id = r->channel_id;
            notice_fill(&s->notice, k, "firing", st.suppressed, now);
            st.last_notice_at = now;
            st.suppressed = 0;
            st.notified = 1;
        } else {
            st.suppressed++;
        }
        store_alert_state_put(c, r->id, &st);
    }
    /* conditions that cleared */
    struct store_alert_state *act = NULL;
    int nact = 0;
    if (store_alert_state_active(c, r->id, &act, &nact) != ACDL_OK) {
        return nsends;
    }
    for (int j = 0; j < nact; j++) {
        int still = 0;
        for (int i = 0; i < cs->n && !still; i++) {
            still = !cs->v[i].past && !strcmp(cs->v[i].event, r->event) &&
                    !strcmp(cs->v[i].subject, act[j].subject);
        }
        if (still) {
            continue;
        }
        if (act[j].notified && r->recovery && nsends < MAX_SENDS) {
            struct cond k;
            memset(&k, 0, sizeof(k));
            snprintf(k.event, sizeof(k.event), "%s", r->event);
            snprintf(k.subject, sizeof(k.subject), "%s", act[j].subject);
            snprintf(k.title, sizeof(k.title), "%s '%s'", r->event, act[j].subject);
            snprintf(k.message, sizeof(k.message),
                     "The condition cleared; it had held since %lld s ago.",
                     (long long)(now - act[j].since));
            cond_words(&k, "alert.cleared",
                       json_pack("{s:s, s:s}", "event", r->event, "subject", act[j].subject),
                       "alert.msg_cleared",
                       json_pack("{s:I}", "seconds", (json_int_t)(now - act[j].since)));
            struct send *s = &a->sends[nsends++];
            s->rule_id = r->id;
            s->channel_id = r->channel_id;
            notice_fill(&s->notice, &k, "resolved", act[j].suppressed, now);
        }
        act[j].active = 0;
        act[j].notified = 0;
        act[j].suppressed = 0;
        store_alert_state_put(c, r->id, &act[j]);
    }
    free(act);
    return nsends;
}

/* Loads channel id ready to send (settings parsed, secret opened). */
static int channel_load(struct app *app, struct store_conn *c, int64_t id,
                        struct alert_channel *out, int *enabled)
{
    struct store_alert_channel *st = malloc(sizeof(*st));
    int rc = st ? store_alert_channel_get(c, id, st) : ACDL_ENOMEM;
    memset(out, 0, sizeof(*out));
    if (rc != ACDL_OK) {
        free(st);
        return rc;
    }
    out->id = id;
    snprintf(out->name, sizeof(out->name), "%s", st->name);
    snprintf(out->kind, sizeof(out->kind), "%s", st->kind);
    out->settings = json_loads(st->settings, 0, NULL);
    *enabled = st->enabled;
    if (st->secret_sealed[0] && app->secrets) {
        char aad[64];
        size_t len = 0;
        snprintf(aad, sizeof(aad), "alert_channels/%lld/secret", (long long)id);
        if (secret_open(app->secrets, aad, st->secret_sealed, &out->secret, &len) != ACDL_OK) {
            log_error("alerts",
                      "channel %lld: the stored secret cannot be opened (another key "
                      "file?); set it again",
                      (long long)id);
            out->secret = NULL;
        }
    }
    free(st);
    return out->settings ? ACDL_OK : ACDL_EINVAL;
}

static void channel_free(struct alert_channel *ch)
{
    json_decref(ch->settings);
    if (ch->secret) {
        secret_wipe(ch->secret, strlen(ch->secret));
    }
    ch->settings = NULL;
    ch->secret = NULL;
}

static void appliance_name(struct app *app, char *out, size_t outsz)
{
    if (app->cfg->public_url[0]) {
        snprintf(out, outsz, "%s", app->cfg->public_url);
    } else {
        plat_hostname(out, outsz);
    }
}

/* Sends n through channel id (loaded now) and records the outcome. */
static int deliver(struct app *app, int64_t channel_id, int64_t rule_id,
                   const struct alert_notice *n, int *sent, char *why, size_t whysz)
{
    struct alert_channel ch;
    struct store_alert_notice rec;
    char appliance[320];
    int enabled = 0;
    struct store_conn *c = store_acquire(app->store);
    int rc = channel_load(app, c, channel_id, &ch, &enabled);
    store_release(app->store, c);
    *sent = 0;
    if (rc != ACDL_OK) {
        snprintf(why, whysz, "the channel cannot be loaded: %s", acdl_strerror(rc));
        why_note(why, "alert.channel_unloaded",
                 json_pack("{s:s, s:s, s:{}}", "detail", acdl_strerror(rc), "detail_code",
                           acdl_strerror_code(rc), "detail_params"));
        channel_free(&ch);
        return rc;
    }
    appliance_name(app, appliance, sizeof(appliance));
    rc = alert_channel_send(&ch, n, appliance, why, whysz);
    if (rc == ACDL_OK) {
        *sent = 1;
        why[0] = '\0';
    } else if (rc == ACDL_EIO) {
        rc = ACDL_OK;
    } else {
        snprintf(why, whysz, "%s", acdl_strerror(rc));
    }
    memset(&rec, 0, sizeof(rec));
    rec.channel_id = channel_id;
    rec.rule_id = rule_id;
    snprintf(rec.event, sizeof(rec.event), "%s", n->event);
    snprintf(rec.subject, sizeof(rec.subject), "%s", n->subject);
    snprintf(rec.state, sizeof(rec.state), "%s", n->state);
    snprintf(rec.title, sizeof(rec.title), "%s", n->title);
    snprintf(rec.outcome, sizeof(rec.outcome), "%s", *sent ? "sent" : "failed");
    snprintf(rec.error, sizeof(rec.error), "%s", *sent ? "" : why);
    snprintf(rec.title_code, sizeof(rec.title_code), "%s", n->title_code);
    snprintf(rec.title_params, sizeof(rec.title_params), "%s", n->title_params);
    json_t *ep = NULL;
    if (!*sent && why_lookup(why, rec.error_code, sizeof(rec.error_code), &ep)) {
        char *t = json_dumps(ep, JSON_COMPACT);
        if (t && strlen(t) < sizeof(rec.error_params)) {
            snprintf(rec.error_params, sizeof(rec.error_params), "%s", t);
        } else {
            rec.error_code[0] = '\0';
        }
        free(t);
    }
    json_decref(ep);
    rec.created_at = plat_now();
    int64_t nid = 0;
    c = store_acquire(app->store);
    store_alert_notice_add(c, &rec, &nid);
    store_alert_channel_result(c, channel_id, *sent ? NULL : why, rec.error_code, rec.error_params,
                               rec.created_at);
    store_release(app->store, c);
    if (!*sent) {
        log_warn("alerts", "channel '%s': %s notice '%s' not delivered: %s", ch.name, n->state,
                 n->title, why);
    } else {
        log_info("alerts", "channel '%s': %s notice '%s' sent", ch.name, n->state, n->title);
    }
    channel_free(&ch);
    return rc;
}

int alerts_send_test(struct app *app, int64_t id, const char *who, int *sent, char *why,
                     size_t whysz)
{
    struct alert_notice n;
    struct store_alert_channel *st = malloc(sizeof(*st));
    if (!st) {
        return ACDL_ENOMEM;
    }
    struct store_conn *c = store_acquire(app->store);
    int rc = store_alert_channel_get(c, id, st);
    store_release(app->store, c);
    if (rc != ACDL_OK) {
        free(st);
        return rc;
    }
    memset(&n, 0, sizeof(n));
    snprintf(n.event, sizeof(n.event), "test");
    snprintf(n.state, sizeof(n.state), "test");
    snprintf(n.subject, sizeof(n.subject), "%s", st->name);
    snprintf(n.title, sizeof(n.title), "Test notice for channel '%s'", st->name);
    json_t *tp = json_pack("{s:s}", "channel", st->name);
    char *tt = json_dumps(tp, JSON_COMPACT);
    json_decref(tp);
    if (tt && strlen(tt) < sizeof(n.title_params)) {
        snprintf(n.title_code, sizeof(n.title_code), "alert.test");
        snprintf(n.title_params, sizeof(n.title_params), "%s", tt);
    }
    free(tt);
    snprintf(n.message, sizeof(n.message),
             "%s asked for this test. Alerts about failed runs, rejected rows, failing targets, "
             "the backlog, recomputes and health reach you here when rules name this channel.",
             who);
    json_t *mp = json_pack("{s:s}", "who", who);
    char *mt = json_dumps(mp, JSON_COMPACT);
    json_decref(mp);
    if (mt && strlen(mt) < sizeof(n.message_params)) {
        snprintf(n.message_code, sizeof(n.message_code), "alert.msg_test");
        snprintf(n.message_params, sizeof(n.message_params), "%s", mt);
    }
    free(mt);
    n.at = plat_now();
    free(st);
    return deliver(app, id, 0, &n, sent, why, whysz);
}

static void round_run(struct alerter *a)
{
    struct app *app = a->app;
    struct health h;
    int64_t now = plat_now();
    struct store_alert_rule *rules = NULL;
    int nrules = 0, nsends = 0;
    struct store_conn *c = store_acquire(app->store);
    int rc = store_alert_rule_list(c, 0, MAX_RULES, &rules, &nrules);
    store_release(app->store, c);
    if (rc != ACDL_OK || nrules == 0) {
        free(rules); /* no rules: nothing to look at */
        return;
    }
    health_collect(app, &h);
    c = store_acquire(app->store);
    a->conds.n = 0;
    collect_runs(a, c, &a->conds);
    collect_targets(app, c, &a->conds, now);
    collect_health(&h, &a->conds);
    if (store_begin(c) == ACDL_OK) {
        for (int i = 0; i < nrules; i++) {
            if (rules[i].enabled && rules[i].channel_enabled) {
                nsends = rule_round(a, c, &rules[i], now, nsends);
            }
        }
        if (store_commit(c) != ACDL_OK) {
            store_rollback(c);
            nsends = 0; /* the states did not change: the next round tries again */
        }
    }
    store_release(app->store, c);
    free(rules);
    a->last_round = now;
    for (int i = 0; i < nsends && !atomic_load(&a->stop); i++) {
        char why[600] = "";
        int sent = 0;
        deliver(app, a->sends[i].channel_id, a->sends[i].rule_id, &a->sends[i].notice, &sent, why,
                sizeof(why));
    }
}

static void *thread_main(void *arg)
{
    struct alerter *a = arg;
    while (!atomic_load(&a->stop)) {
        round_run(a);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ALERTS_ROUND_MS / 1000;
        ts.tv_nsec += (ALERTS_ROUND_MS % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&a->mu);
        while (!a->woken && !atomic_load(&a->stop)) {
            if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) != 0) {
                break;
            }
        }
        a->woken = 0;
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

int alerter_start(struct app *app, struct alerter **out)
{
    struct alerter *a = calloc(1, sizeof(*a));
    if (!a) {
        return ACDL_ENOMEM;
    }
    a->app = app;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, thread_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a);
        return ACDL_EIO;
    }
    *out = a;
    return ACDL_OK;
}

void alerter_wake(struct alerter *a)
{
    if (!a) {
        return;
    }
    pthread_mutex_lock(&a->mu);
    a->woken = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

void alerter_stop(struct alerter *a)
{
    if (!a) {
        return;
    }
    atomic_store(&a->stop, 1);
    alerter_wake(a);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}
