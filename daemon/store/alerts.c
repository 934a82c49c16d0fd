/* alerts.c (store): the alert channels, rules, states and notices (see alerts.h). */
#include "store/alerts.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define CHANNEL_COLS                                                                               \
    "id, name, kind, enabled, settings, coalesce(secret_sealed, ''), coalesce(last_ok_at, 0), "    \
    "coalesce(last_error_at, 0), coalesce(last_error, ''), created_at, updated_at, "               \
    "coalesce(last_error_code, ''), coalesce(last_error_params, '')"

static void row_channel(sqlite3_stmt *st, void *elem)
{
    struct store_alert_channel *ch = elem;
    ch->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, ch->name, sizeof(ch->name));
    store_column_text(st, 2, ch->kind, sizeof(ch->kind));
    ch->enabled = sqlite3_column_int(st, 3);
    store_column_text(st, 4, ch->settings, sizeof(ch->settings));
    store_column_text(st, 5, ch->secret_sealed, sizeof(ch->secret_sealed));
    ch->last_ok_at = sqlite3_column_int64(st, 6);
    ch->last_error_at = sqlite3_column_int64(st, 7);
    store_column_text(st, 8, ch->last_error, sizeof(ch->last_error));
    ch->created_at = sqlite3_column_int64(st, 9);
    ch->updated_at = sqlite3_column_int64(st, 10);
    store_column_text(st, 11, ch->last_error_code, sizeof(ch->last_error_code));
    store_column_text(st, 12, ch->last_error_params, sizeof(ch->last_error_params));
}

/* Runs a statement that changes one row; ACDL_ENOTFOUND when it changed none. */
static int change_one(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = store_step_done(c, st, what);
    if (rc == ACDL_OK && sqlite3_changes(store_db(c)) == 0) {
        rc = ACDL_ENOTFOUND;
    }
    return rc;
}

/* Collects exactly one row into out; ACDL_ENOTFOUND when there is none. */
static int get_one(sqlite3_stmt *st, size_t size, void (*row)(sqlite3_stmt *, void *), void *out)
{
    void *arr = NULL;
    int n = 0;
    int rc = store_collect(st, size, 1, row, &arr, &n);
    if (rc == ACDL_OK && n == 1) {
        memcpy(out, arr, size);
    } else if (rc == ACDL_OK) {
        rc = ACDL_ENOTFOUND;
    }
    free(arr);
    return rc;
}

int store_alert_channel_list(struct store_conn *c, int64_t after_id, int limit,
                             struct store_alert_channel **out, int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " CHANNEL_COLS " FROM alert_channels WHERE id "
                                        "> ? ORDER BY id LIMIT ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    return store_collect(st, sizeof(**out), limit, row_channel, (void **)out, n);
}

int store_alert_channel_get(struct store_conn *c, int64_t id, struct store_alert_channel *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " CHANNEL_COLS " FROM alert_channels WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    return get_one(st, sizeof(*out), row_channel, out);
}

int store_alert_channel_add(struct store_conn *c, const struct store_alert_channel *ch, int64_t now,
                            int64_t *id)
{
    sqlite3_stmt *st = store_prepare(c, "INSERT INTO alert_channels (name, kind, enabled, "
                                        "settings, created_at, updated_at) VALUES (?, ?, ?, ?, "
                                        "?5, ?5)");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, ch->name);
    store_bind_text(st, 2, ch->kind);
    sqlite3_bind_int(st, 3, ch->enabled ? 1 : 0);
    store_bind_text(st, 4, ch->settings);
    sqlite3_bind_int64(st, 5, now);
    int rc = store_step_done(c, st, "adding an alert channel");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_alert_channel_update(struct store_conn *c, const struct store_alert_channel *ch,
                               int64_t now)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE alert_channels SET name = ?, enabled = ?, "
                                        "settings = ?, updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, ch->name);
    sqlite3_bind_int(st, 2, ch->enabled ? 1 : 0);
    store_bind_text(st, 3, ch->settings);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, ch->id);
    return change_one(c, st, "updating an alert channel");
}

int store_alert_channel_set_secret(struct store_conn *c, int64_t id, const char *sealed,
                                   int64_t now)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE alert_channels SET secret_sealed = ?, "
                                        "updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, sealed);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    return change_one(c, st, "setting an alert channel's secret");
}

int store_alert_channel_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *st = store_prepare(c, "DELETE FROM alert_channels WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    return change_one(c, st, "deleting an alert channel");
}

int store_alert_channel_result(struct store_conn *c, int64_t id, const char *error,
                               const char *code, const char *params, int64_t now)
{
    sqlite3_stmt *st = store_prepare(
        c, error ? "UPDATE alert_channels SET last_error = ?1, last_error_at = ?2, "
                   "last_error_code = nullif(?4, ''), last_error_params = nullif(?5, '') WHERE "
                   "id = ?3"
                 : "UPDATE alert_channels SET last_ok_at = ?2, last_error = NULL, last_error_at = "
                   "NULL, last_error_code = NULL, last_error_params = NULL WHERE id = ?3 AND ?1 IS "
                   "NULL AND coalesce(?4, ?5) IS NULL");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, error);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    store_bind_text(st, 4, error && code ? code : NULL);
    store_bind_text(st, 5, error && code && code[0] ? params : NULL);
    return store_step_done(c, st, "recording an alert channel's last send");
}

/* --- rules --- */

#define RULE_COLS                                                                                  \
    "r.id, r.event, r.channel_id, c.name, r.enabled, r.min_interval, r.recovery, "                 \
    "r.created_at, r.updated_at, c.enabled"

static void row_rule(sqlite3_stmt *st, void *elem)
{
    struct store_alert_rule *r = elem;
    r->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, r->event, sizeof(r->event));
    r->channel_id = sqlite3_column_int64(st, 2);
    store_column_text(st, 3, r->channel, sizeof(r->channel));
    r->enabled = sqlite3_column_int(st, 4);
    r->min_interval = sqlite3_column_int64(st, 5);
    r->recovery = sqlite3_column_int(st, 6);
    r->created_at = sqlite3_column_int64(st, 7);
    r->updated_at = sqlite3_column_int64(st, 8);
    r->channel_enabled = sqlite3_column_int(st, 9);
}

int store_alert_rule_list(struct store_conn *c, int64_t after_id, int limit,
                          struct store_alert_rule **out, int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " RULE_COLS " FROM alert_rules r JOIN "
                                        "alert_channels c ON c.id = r.channel_id WHERE r.id > ? "
                                        "ORDER BY r.id LIMIT ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    return store_collect(st, sizeof(**out), limit, row_rule, (void **)out, n);
}

int store_alert_rule_get(struct store_conn *c, int64_t id, struct store_alert_rule *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " RULE_COLS " FROM alert_rules r JOIN "
                                        "alert_channels c ON c.id = r.channel_id WHERE r.id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    return get_one(st, sizeof(*out), row_rule, out);
}

int store_alert_rule_add(struct store_conn *c, const struct store_alert_rule *r, int64_t now,
                         int64_t *id)
{
    sqlite3_stmt *st = store_prepare(c, "INSERT INTO alert_rules (event, channel_id, enabled, "
                                        "min_interval, recovery, created_at, updated_at) VALUES "
                                        "(?, ?, ?, ?, ?, ?6, ?6)");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, r->event);
    sqlite3_bind_int64(st, 2, r->channel_id);
    sqlite3_bind_int(st, 3, r->enabled ? 1 : 0);
    sqlite3_bind_int64(st, 4, r->min_interval);
    sqlite3_bind_int(st, 5, r->recovery ? 1 : 0);
    sqlite3_bind_int64(st, 6, now);
    int rc = store_step_done(c, st, "adding an alert rule");
    if (rc == ACDL_OK) {
        *id = sqlite3_last_insert_rowid(store_db(c));
    }
    return rc;
}

int store_alert_rule_update(struct store_conn *c, const struct store_alert_rule *r, int64_t now)
{
    sqlite3_stmt *st = store_prepare(c, "UPDATE alert_rules SET event = ?, channel_id = ?, "
                                        "enabled = ?, min_interval = ?, recovery = ?, "
                                        "updated_at = ? WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    store_bind_text(st, 1, r->event);
    sqlite3_bind_int64(st, 2, r->channel_id);
    sqlite3_bind_int(st, 3, r->enabled ? 1 : 0);
    sqlite3_bind_int64(st, 4, r->min_interval);
    sqlite3_bind_int(st, 5, r->recovery ? 1 : 0);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, r->id);
    return change_one(c, st, "updating an alert rule");
}

int store_alert_rule_delete(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *st = store_prepare(c, "DELETE FROM alert_rules WHERE id = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    return change_one(c, st, "deleting an alert rule");
}

/* --- states --- */

#define STATE_COLS "subject, active, occurrence, notified, last_notice_at, suppressed, since"

static void row_state(sqlite3_stmt *st, void *elem)
{
    struct store_alert_state *s = elem;
    store_column_text(st, 0, s->subject, sizeof(s->subject));
    s->active = sqlite3_column_int(st, 1);
    store_column_text(st, 2, s->occurrence, sizeof(s->occurrence));
    s->notified = sqlite3_column_int(st, 3);
    s->last_notice_at = sqlite3_column_int64(st, 4);
    s->suppressed = sqlite3_column_int(st, 5);
    s->since = sqlite3_column_int64(st, 6);
}

int store_alert_state_active(struct store_conn *c, int64_t rule_id, struct store_alert_state **out,
                             int *n)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " STATE_COLS " FROM alert_states WHERE rule_id "
                                        "= ? AND active = 1 ORDER BY subject LIMIT 1000");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, rule_id);
    return store_collect(st, sizeof(**out), 1000, row_state, (void **)out, n);
}

int store_alert_state_get(struct store_conn *c, int64_t rule_id, const char *subject,
                          struct store_alert_state *out)
{
    sqlite3_stmt *st = store_prepare(c, "SELECT " STATE_COLS " FROM alert_states WHERE rule_id "
                                        "= ? AND subject = ?");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, rule_id);
    store_bind_text(st, 2, subject);
    return get_one(st, sizeof(*out), row_state, out);
}

int store_alert_state_put(struct store_conn *c, int64_t rule_id, const struct store_alert_state *s)
{
    sqlite3_stmt *st = store_prepare(c, "INSERT OR REPLACE INTO alert_states (rule_id, subject, "
                                        "active, occurrence, notified, last_notice_at, "
                                        "suppressed, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, rule_id);
    store_bind_text(st, 2, s->subject);
    sqlite3_bind_int(st, 3, s->active);
    store_bind_text(st, 4, s->occurrence);
    sqlite3_bind_int(st, 5, s->notified);
    sqlite3_bind_int64(st, 6, s->last_notice_at);
    sqlite3_bind_int(st, 7, s->suppressed);
    sqlite3_bind_int64(st, 8, s->since);
    return store_step_done(c, st, "keeping an alert state");
}

/* --- notices --- */

static void row_notice(sqlite3_stmt *st, void *elem)
{
    struct store_alert_notice *n = elem;
    n->id = sqlite3_column_int64(st, 0);
    n->channel_id = sqlite3_column_int64(st, 1);
    n->rule_id = sqlite3_column_int64(st, 2);
    store_column_text(st, 3, n->channel, sizeof(n->channel));
    store_column_text(st, 4, n->event, sizeof(n->event));
    store_column_text(st, 5, n->subject, sizeof(n->subject));
    store_column_text(st, 6, n->state, sizeof(n->state));
    store_column_text(st, 7, n->title, sizeof(n->title));
    store_column_text(st, 8, n->outcome, sizeof(n->outcome));
    store_column_text(st, 9, n->error, sizeof(n->error));
    n->created_at = sqlite3_column_int64(st, 10);
    store_column_text(st, 11, n->title_code, sizeof(n->title_code));
    store_column_text(st, 12, n->title_params, sizeof(n->title_params));
    store_column_text(st, 13, n->error_code, sizeof(n->error_code));
    store_column_text(st, 14, n->error_params, sizeof(n->error_params));
}

int store_alert_notice_add(struct store_conn *c, const struct store_alert_notice *n, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(c, "INSERT INTO alert_notices (channel_id, rule_id, event, "
                                        "subject, state, title, outcome, error, created_at, "
                                        "title_code, title_params, error_code, error_params) "
                                        "VALUES (nullif(?, 0), nullif(?, 0), ?, ?, ?, ?, ?, "
                                        "nullif(?, ''), ?, nullif(?, ''), nullif(?, ''), "
                                        "nullif(?, ''), nullif(?, ''))");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, n->channel_id);
    sqlite3_bind_int64(st, 2, n->rule_id);
    store_bind_text(st, 3, n->event);
    store_bind_text(st, 4, n->subject);
    store_bind_text(st, 5, n->state);
    store_bind_text(st, 6, n->title);
    store_bind_text(st, 7, n->outcome);
    store_bind_text(st, 8, n->error);
    sqlite3_bind_int64(st, 9, n->created_at);
    store_bind_text(st, 10, n->title_code);
    store_bind_text(st, 11, n->title_code[0] ? n->title_params : "");
    store_bind_text(st, 12, n->error_code);
    store_bind_text(st, 13, n->error_code[0] ? n->error_params : "");
    int rc = store_step_done(c, st, "recording an alert notice");
    if (rc != ACDL_OK) {
        return rc;
    }
    *id = sqlite3_last_insert_rowid(store_db(c));
    st = store_prepare(c, "DELETE FROM alert_notices WHERE id <= ? - 1000");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, *id);
    return store_step_done(c, st, "trimming the alert notices");
}

int store_alert_notice_list(struct store_conn *c, int64_t channel_id, int64_t before_id, int limit,
                            struct store_alert_notice **out, int *n)
{
    sqlite3_stmt *st = store_prepare(
        c, "SELECT n.id, coalesce(n.channel_id, 0), coalesce(n.rule_id, 0), coalesce(c.name, ''), "
           "n.event, n.subject, n.state, n.title, n.outcome, coalesce(n.error, ''), n.created_at, "
           "coalesce(n.title_code, ''), coalesce(n.title_params, ''), coalesce(n.error_code, ''), "
           "coalesce(n.error_params, '') "
           "FROM alert_notices n LEFT JOIN alert_channels c ON c.id = n.channel_id WHERE (?1 = "
           "0 OR n.channel_id = ?1) AND (?2 = 0 OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3");
    if (!st) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(st, 1, channel_id);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    return store_collect(st, sizeof(**out), limit, row_notice, (void **)out, n);
}
