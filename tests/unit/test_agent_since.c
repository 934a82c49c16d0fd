/* test_agent_since.c: the spans of a followed source's poll computed from each agent's
 * earliest change on (agent_results_apply_since) against the whole days computed again
 * (agent_results_apply), on two real database files given the same randomized polls: new
 * states, late ones inside the overlap, a state of an equal start given another code, states
 * removed, states shorter than the minimum duration, logout codes, midnight crossed with and
 * without split_at_midnight, a DST day, and an agent with a second external id. After every
 * poll both files must hold the same agent days (span lists, digests, counts, change_seq). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "pipeline/agent_results.h"
#include "store/store.h"

static char tmp[512];
static int a_old; /* the file computed from the change on had its parts' states removed */

#define AGENTS 6 /* WFM agents 1..6; agent 6 also has an id of source 2 */
#define POLLS 4000

static const char *const codes[] = {"C1", "C2", "C3", "C4", "OUT"};

struct db {
    struct store *st;
    struct store_conn *c;
};

static int exec(struct db *d, const char *sql)
{
    char *msg = NULL;
    int r = sqlite3_exec(store_db(d->c), sql, NULL, NULL, &msg);
    if (r != SQLITE_OK) {
        fprintf(stdout, "%s: %s\n", sql, msg ? msg : "");
    }
    sqlite3_free(msg);
    return r;
}

static int db_open(struct db *d, const char *name)
{
    char path[700], err[512] = "";
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    if (store_open(path, 1, &d->st, err, sizeof(err)) != ACDL_OK) {
        fprintf(stdout, "%s\n", err);
        return -1;
    }
    d->c = store_acquire(d->st);
    /* source 1: start-only, a logout code, 60 s minimum, split at midnight, Berlin; source 2:
     * no minimum, not split */
    const char *setup =
        "INSERT INTO sources (id, name, kind, product, layout, time_zone, interval_minutes, "
        "settings, created_at, updated_at) VALUES (1, 'a', 'csv', 'agent_states', 'interval', "
        "'Europe/Berlin', 15, '{\"csv\": {\"folder\": \"/tmp\"}, \"columns\": {\"agent\": "
        "\"A\", \"start\": \"S\", \"activity\": \"C\"}, \"agent_states\": {\"span\": "
        "\"start_only\", \"logout_activities\": [\"OUT\"], \"min_duration_s\": 60, "
        "\"split_at_midnight\": true}}', 0, 0), (2, 'b', 'csv', 'agent_states', 'interval', "
        "'Europe/Berlin', 15, '{\"csv\": {\"folder\": \"/tmp\"}, \"columns\": {\"agent\": "
        "\"A\", \"start\": \"S\", \"activity\": \"C\"}, \"agent_states\": {\"span\": "
        "\"start_only\", \"logout_activities\": [\"OUT\"], \"split_at_midnight\": false}}', 0, "
        "0);"
        "INSERT INTO wfm_activities (id, identifier, name, created_at, updated_at) VALUES "
        "(10, 'talk', 'Talk', 0, 0), (11, 'break', 'Break', 0, 0);"
        "INSERT INTO activity_codes (source_id, code, activity_id) VALUES (1, 'C1', 10), "
        "(1, 'C2', 10), (1, 'C3', 11), (2, 'C1', 10), (2, 'C2', 10), (2, 'C3', 11);"
        "INSERT INTO wfm_agents (id, identifier, created_at, updated_at) VALUES (1, 'a1', 0, 0),"
        " (2, 'a2', 0, 0), (3, 'a3', 0, 0), (4, 'a4', 0, 0), (5, 'a5', 0, 0), (6, 'a6', 0, 0);"
        "INSERT INTO agent_ids (source_id, ext_agent, agent_id) VALUES (1, 'e1', 1), (1, 'e2', 2),"
        " (1, 'e3', 3), (2, 'e4', 4), (2, 'e5', 5), (1, 'e6', 6), (2, 'f6', 6);"
        /* the bytes of span list parts written */
        "CREATE TEMP TABLE written (bytes INTEGER NOT NULL); INSERT INTO written VALUES (0);"
        "CREATE TEMP TRIGGER part_in AFTER INSERT ON agent_day_parts BEGIN UPDATE written SET "
        "bytes = bytes + length(CAST(new.list AS BLOB)); END;"
        "CREATE TEMP TRIGGER part_up AFTER UPDATE ON agent_day_parts BEGIN UPDATE written SET "
        "bytes = bytes + length(CAST(new.list AS BLOB)); END;";
    return exec(d, setup) == SQLITE_OK ? 0 : -1;
}

static void db_close(struct db *d)
{
    if (d->st) {
        store_release(d->st, d->c);
        store_close(d->st);
    }
}

/* A change of a poll: a state of ext_agent of source at start staged (code) or removed. */
struct chg {
    int source;
    int agent; /* 1..6 */
    int64_t start;
    const char *code; /* NULL: removed */
};

static const char *ext_of(int source, int agent)
{
    static const char *const e1[] = {"", "e1", "e2", "e3", "", "", "e6"};
    static const char *const e2[] = {"", "", "", "", "e4", "e5", "f6"};
    return source == 1 ? e1[agent] : e2[agent];
}

static int64_t rnd(int64_t n)
{
    return (int64_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (uint64_t)n);
}

static void stage(struct db *d, struct tz *tz, const struct chg *c)
{
    char sql[400], day[11];
    struct tz_date dd;
    tz_utc_to_local(tz, c->start, &dd, NULL, NULL, NULL);
    tz_date_format(dd, day);
    if (c->code) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO agent_staged (source_id, ext_agent, start, end, day, code, run_id, "
                 "file, line) VALUES (%d, '%s', %lld, NULL, '%s', '%s', 0, '', 0) ON CONFLICT DO "
                 "UPDATE SET code = excluded.code",
                 c->source, ext_of(c->source, c->agent), (long long)c->start, day, c->code);
    } else {
        snprintf(sql, sizeof(sql),
                 "DELETE FROM agent_staged WHERE source_id = %d AND ext_agent = '%s' AND start = "
                 "%lld",
                 c->source, ext_of(c->source, c->agent), (long long)c->start);
    }
    exec(d, sql);
}

static int64_t query_int(struct db *d, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(store_db(d->c), sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

/* The parts of a's lists that are not a day's last and hold fewer than 512 bytes (each part
 * is filled up to 512 bytes or more before the next begins). */
static int64_t short_parts(struct db *a)
{
    return query_int(a, "SELECT count(*) FROM agent_day_parts p WHERE length(CAST(list AS "
                        "BLOB)) < 512 AND part < (SELECT max(part) FROM agent_day_parts q WHERE "
                        "q.agent_id = p.agent_id AND q.day = p.day)");
}

/* The day digest's definition (agent_days.digest), taken here on its own: FNV-1a over the lines
 * "start,end,identifier\n" of the day's spans (end -1 while open). */
static uint64_t fnv_line(uint64_t h, long long start, long long end, const char *id)
{
    char line[200];
    int n = snprintf(line, sizeof(line), "%lld,%lld,%s\n", start, end, id);
    for (int k = 0; k < n; k++) {
        h = (h ^ (unsigned char)line[k]) * 1099511628211ull;
    }
    return h;
}

/* 1 when every part of d's lists holds what a change needs to begin there (schema 0040): the
 * start of its first span, the day's spans before it and the digest's state after them, as
 * computed here from the parts before it; and the day's digest and count are those of all its
 * parts. With old set a day's parts may all have no state (as written before 0040). */
static int part_states_ok(struct db *d, int poll, int old)
{
    const char *q = "SELECT p.agent_id, p.day, p.part, p.list, p.first_start, p.spans_before, "
                    "p.digest_before, d.digest, d.spans FROM agent_day_parts p JOIN agent_days d "
                    "USING (agent_id, day) ORDER BY p.agent_id, p.day, p.part";
    sqlite3_stmt *s = NULL, *ids = NULL;
    char names[32][32];
    memset(names, 0, sizeof(names));
    sqlite3_prepare_v2(store_db(d->c), "SELECT id, identifier FROM wfm_activities WHERE id < 32",
                       -1, &ids, NULL);
    while (ids && sqlite3_step(ids) == SQLITE_ROW) {
        snprintf(names[sqlite3_column_int(ids, 0)], sizeof(names[0]), "%s",
                 (const char *)sqlite3_column_text(ids, 1));
    }
    sqlite3_finalize(ids);
    if (sqlite3_prepare_v2(store_db(d->c), q, -1, &s, NULL) != SQLITE_OK) {
        return 0;
    }
    int ok = 1, r, nulls = 0, parts = 0;
    long long n = 0, agent = -1;
    uint64_t h = 0;
    char day[11] = "", digest[17] = "";
    long long spans = 0;
    while (ok && (r = sqlite3_step(s)) != SQLITE_DONE) {
        int end_of_day = r != SQLITE_ROW || sqlite3_column_int64(s, 0) != agent ||
                         strcmp((const char *)sqlite3_column_text(s, 1), day) != 0;
        if (end_of_day && agent >= 0) {
            char got[17];
            snprintf(got, sizeof(got), "%016llx", (unsigned long long)h);
            if (strcmp(got, digest) != 0 || n != spans || (nulls && nulls != parts)) {
                fprintf(stdout,
                        "poll %d: agent %lld day %s: its parts give digest %s and %lld spans, "
                        "the day holds %s and %lld; %d of %d parts without a state\n",
                        poll, agent, day, got, n, digest, spans, nulls, parts);
                ok = 0;
            }
        }
        if (r != SQLITE_ROW || !ok) {
            break;
        }
        if (end_of_day) {
            agent = sqlite3_column_int64(s, 0);
            snprintf(day, sizeof(day), "%s", (const char *)sqlite3_column_text(s, 1));
            snprintf(digest, sizeof(digest), "%s", (const char *)sqlite3_column_text(s, 7));
            spans = sqlite3_column_int64(s, 8);
            n = 0;
            h = 1469598103934665603ull;
            nulls = parts = 0;
        }
        const char *l = (const char *)sqlite3_column_text(s, 3);
        long long first = strtoll(l, NULL, 10);
        parts++;
        if (sqlite3_column_type(s, 4) == SQLITE_NULL) {
            nulls++;
            ok = old && sqlite3_column_type(s, 5) == SQLITE_NULL &&
                 sqlite3_column_type(s, 6) == SQLITE_NULL;
        } else if (sqlite3_column_int64(s, 4) != first || sqlite3_column_int64(s, 5) != n ||
                   (uint64_t)sqlite3_column_int64(s, 6) != h) {
            ok = 0;
        }
        if (!ok) {
            fprintf(stdout,
                    "poll %d: agent %lld day %s part %d holds first start %s, %s spans and "
                    "digest state %s before it; its list starts at %lld after %lld spans and "
                    "state %lld\n",
                    poll, agent, day, sqlite3_column_int(s, 2), sqlite3_column_text(s, 4),
                    sqlite3_column_text(s, 5), sqlite3_column_text(s, 6), first, n, (long long)h);
        }
        while (*l) { /* start,end,activity,source,bytes:code\n */
            char *e;
            long long st = strtoll(l, &e, 10), en = -1, act;
            if (e[1] != ',') {
                en = strtoll(e + 1, &e, 10);
            } else {
                e++;
            }
            act = strtoll(e + 1, &e, 10);
            strtoll(e + 1, &e, 10);
            long long cl = strtoll(e + 1, &e, 10);
            l = e + 1 + cl + 1;
            h = fnv_line(h, st, en, act >= 0 && act < 32 ? names[act] : "");
            n++;
        }
    }
    sqlite3_finalize(s);
    return ok;
}

/* 1 when both files hold the same agent days. */
static int same_days(struct db *a, struct db *b, int poll)
{
    if (short_parts(a) != 0 || short_parts(b) != 0) {
        fprintf(stdout, "poll %d: a list part not a day's last is short\n", poll);
        return 0;
    }
    if (!part_states_ok(a, poll, a_old) || !part_states_ok(b, poll, 0)) {
        return 0;
    }
    const char *q = "SELECT agent_id, day, digest, spans, open, change_seq, (SELECT "
                    "group_concat(list, '') FROM (SELECT list FROM agent_day_parts p WHERE "
                    "p.agent_id = d.agent_id AND p.day = d.day ORDER BY part)) FROM agent_days d "
                    "ORDER BY agent_id, day";
    sqlite3_stmt *x = NULL, *y = NULL;
    sqlite3_prepare_v2(store_db(a->c), q, -1, &x, NULL);
    sqlite3_prepare_v2(store_db(b->c), q, -1, &y, NULL);
    int same = x && y;
    while (same) {
        int rx = sqlite3_step(x), ry = sqlite3_step(y);
        if (rx != ry) {
            fprintf(stdout, "poll %d: the files hold different numbers of agent days\n", poll);
            same = 0;
            break;
        }
        if (rx != SQLITE_ROW) {
            break;
        }
        for (int k = 0; k < 7; k++) {
            const char *u = (const char *)sqlite3_column_text(x, k);
            const char *v = (const char *)sqlite3_column_text(y, k);
            if (strcmp(u ? u : "", v ? v : "")) {
                fprintf(stdout,
                        "poll %d: agent %lld day %s column %d differs:\n--- from the change "
                        "on:\n%s\n--- whole days:\n%s\n",
                        poll, (long long)sqlite3_column_int64(y, 0), sqlite3_column_text(y, 1), k,
                        u ? u : "", v ? v : "");
                same = 0;
                break;
            }
        }
    }
    sqlite3_finalize(x);
    sqlite3_finalize(y);
    return same;
}

static void random_polls(unsigned seed)
{
    struct db a = {0}, b = {0};
    struct tz *tz = NULL;
    char fa[32], fb[32];
    snprintf(fa, sizeof(fa), "since%u.db", seed);
    snprintf(fb, sizeof(fb), "whole%u.db", seed);
    if (!CHECK(db_open(&a, fa) == 0 && db_open(&b, fb) == 0) ||
        !CHECK_EQ_INT(tz_open("Europe/Berlin", &tz), ACDL_OK)) {
        db_close(&a);
        db_close(&b);
        return;
    }
    srand(seed);
    /* from 2026-03-28 06:00 Berlin (UTC+1) over the DST night into the 31st */
    int64_t now = 1774674000;
    int64_t last[2][AGENTS + 1];
    memset(last, 0, sizeof(last));
    struct agent_results_stats sa = {0, 0, 0, 0}, sb = {0, 0, 0, 0};
    int ok = 1;
    int64_t stateless = 0, seq_old = 0;
    a_old = 0;
    for (int poll = 0; poll < POLLS && ok; poll++) {
        if (seed == 2 && poll % 400 == 200) {
            /* now and then parts as written before schema 0040: no state; each day read whole
             * once */
            exec(&a, "UPDATE agent_day_parts SET first_start = NULL, spans_before = NULL, "
                     "digest_before = NULL");
            stateless += query_int(&a, "SELECT count(*) FROM agent_day_parts");
            seq_old = query_int(&a, "SELECT max(change_seq) FROM agent_days");
            a_old = 1;
        }
        int source = rnd(3) == 0 ? 2 : 1;
        struct chg ch[8];
        int n = 0, nc = 1 + (int)rnd(4);
        now += 1 + rnd(rnd(40) == 0 ? (rnd(5) == 0 ? 200000 : 30000)
                                    : 300); /* now and then a long gap: midnight */
        for (int k = 0; k < nc; k++) {
            int agent = source == 1 ? (int)(1 + rnd(3)) : (int)(4 + rnd(2));
            if (rnd(4) == 0) {
                agent = 6;
            }
            int64_t *l = &last[source - 1][agent];
            struct chg c = {source, agent, 0, codes[rnd(5)]};
            int64_t kind = rnd(20);
            if (kind < 3 && *l > 0) {
                c.start = *l - rnd(600); /* late, inside the overlap; may hit an equal start */
            } else if (kind == 4 && *l > 0 && rnd(10) == 0) {
                c.start = *l - rnd(21600); /* a late row of a long overlap (6 h) */
            } else if (kind == 3 && *l > 0) {
                c.start = *l - rnd(300); /* removed (a start without a state: nothing) */
                c.code = NULL;
            } else {
                /* the next state: often shorter than the minimum before it */
                int64_t t = (*l > now ? *l : now) + (rnd(3) == 0 ? 1 + rnd(59) : rnd(200));
                c.start = t;
                *l = t > *l ? t : *l;
            }
            ch[n++] = c;
        }
        /* both files stage the same, then compute: one from the changes on, one whole */
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        struct agent_since ag[AGENTS];
        int64_t whole[AGENTS];
        int na = 0;
        for (int k = 0; k < n; k++) {
            stage(&a, tz, &ch[k]);
            stage(&b, tz, &ch[k]);
            lo = ch[k].start < lo ? ch[k].start : lo;
            hi = ch[k].start > hi ? ch[k].start : hi;
        }
        for (int agent = 1; agent <= AGENTS; agent++) {
            int64_t since = INT64_MAX;
            for (int k = 0; k < n; k++) {
                if (ch[k].agent == agent && ch[k].start < since) {
                    since = ch[k].start;
                }
            }
            if (since != INT64_MAX) {
                ag[na].agent_id = agent;
                ag[na].ext_agent = ext_of(source, agent);
                ag[na].since = agent == 6 ? AGENT_SINCE_WHOLE : since; /* two external ids */
                whole[na++] = agent;
            }
        }
        struct tz_date d1, d2;
        char from[11], to[11];
        tz_utc_to_local(tz, lo, &d1, NULL, NULL, NULL);
        tz_utc_to_local(tz, hi, &d2, NULL, NULL, NULL);
        tz_date_add_days(&d1, -1);
        tz_date_add_days(&d2, 1);
        tz_date_format(d1, from);
        tz_date_format(d2, to);
        CHECK_EQ_INT(store_begin(a.c), ACDL_OK);
        CHECK_EQ_INT(agent_results_apply_since(a.c, source, ag, na, from, to, &sa), ACDL_OK);
        CHECK_EQ_INT(store_commit(a.c), ACDL_OK);
        CHECK_EQ_INT(store_begin(b.c), ACDL_OK);
        CHECK_EQ_INT(agent_results_apply(b.c, whole, na, from, to, &sb), ACDL_OK);
        CHECK_EQ_INT(store_commit(b.c), ACDL_OK);
        ok = CHECK(same_days(&a, &b, poll));
    }
    /* most agents were computed from their change on, and the days are long */
    fprintf(
        stdout,
        "agents computed %lld, from the change on %lld; days changed %lld, %lld spans written\n",
        (long long)sa.agents, (long long)sa.from_change, (long long)sa.days_changed,
        (long long)sa.spans);
    CHECK(sa.from_change > sa.agents / 5);
    CHECK_EQ_INT(sa.days_changed, sb.days_changed);
    CHECK(sb.spans / (sb.days_changed ? sb.days_changed : 1) >= 15);
    /* the days are kept in several parts, and from the change on fewer bytes are written */
    int64_t wa = query_int(&a, "SELECT bytes FROM temp.written");
    int64_t wb = query_int(&b, "SELECT bytes FROM temp.written");
    int64_t multi = query_int(&a, "SELECT count(*) FROM agent_day_parts WHERE part > 0");
    fprintf(stdout,
            "list bytes written: from the change on %lld, whole days %lld; %lld parts "
            "after a day's first\n",
            (long long)wa, (long long)wb, (long long)multi);
    CHECK(multi > 0);
    CHECK(wa > 0 && (a_old || wa < wb)); /* (days without a state are written whole) */
    if (a_old) {                         /* the days changed since got their parts' states */
        char sql[300];
        int64_t left = query_int(&a, "SELECT count(*) FROM agent_day_parts WHERE first_start IS "
                                     "NULL");
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM agent_day_parts JOIN agent_days USING (agent_id, day) "
                 "WHERE first_start IS NULL AND change_seq > %lld",
                 (long long)seq_old);
        fprintf(stdout, "parts without a state: %lld, %lld of them left\n", (long long)stateless,
                (long long)left);
        CHECK(stateless > 0 && left < stateless);
        CHECK_EQ_INT(query_int(&a, sql), 0);
    }
    a_old = 0;
    tz_close(tz);
    db_close(&a);
    db_close(&b);
}

/* Opens the files a (computed from the change on) and b (whole days) and the zone. */
static int open_pair(struct db *a, struct db *b, const char *na, const char *nb, struct tz **tz)
{
    if (!CHECK(db_open(a, na) == 0 && db_open(b, nb) == 0) ||
        !CHECK_EQ_INT(tz_open("Europe/Berlin", tz), ACDL_OK)) {
        db_close(a);
        db_close(b);
        return -1;
    }
    return 0;
}

/* One agent's change on 2026-03-30 applied to a from its start on and to b as whole days. */
static void apply_pair(struct db *a, struct db *b, const struct agent_since *ag)
{
    int64_t whole = ag->agent_id;
    CHECK_EQ_INT(store_begin(a->c), ACDL_OK);
    CHECK_EQ_INT(agent_results_apply_since(a->c, 1, ag, 1, "2026-03-29", "2026-03-31", NULL),
                 ACDL_OK);
    CHECK_EQ_INT(store_commit(a->c), ACDL_OK);
    CHECK_EQ_INT(store_begin(b->c), ACDL_OK);
    CHECK_EQ_INT(agent_results_apply(b->c, &whole, 1, "2026-03-29", "2026-03-31", NULL), ACDL_OK);
    CHECK_EQ_INT(store_commit(b->c), ACDL_OK);
}

/* A long day, a state at a time: a change rewrites only the list's last part or two, not the
 * day; one reaching back into the day rewrites the parts from there on. Both as whole. */
static void test_long_day(void)
{
    struct db a = {0}, b = {0};
    struct tz *tz = NULL;
    if (open_pair(&a, &b, "long_since.db", "long_whole.db", &tz) != 0) {
        return;
    }
    int64_t t0 = 1774857600; /* 2026-03-30 10:00 Berlin */
    int64_t written[3] = {0, 0, 0};
    for (int i = 0; i <= 160; i++) {
        /* 150: a late state between the 10th and 11th; 160: a next state again */
        int64_t start = i == 150 ? t0 + 10 * 90 + 45 : t0 + (i < 150 ? i : i - 1) * 90;
        struct chg c = {1, 1, start, i % 2 ? "C3" : "C1"};
        stage(&a, tz, &c);
        stage(&b, tz, &c);
        struct agent_since ag = {1, "e1", start};
        exec(&a, "UPDATE temp.written SET bytes = 0");
        apply_pair(&a, &b, &ag);
        if (i >= 149) {
            written[i - 149 < 2 ? i - 149 : 2] = query_int(&a, "SELECT bytes FROM temp.written");
        }
    }
    CHECK(same_days(&a, &b, 0));
    int64_t len = query_int(&a, "SELECT sum(length(CAST(list AS BLOB))) FROM agent_day_parts");
    int64_t parts = query_int(&a, "SELECT count(*) FROM agent_day_parts");
    fprintf(stdout,
            "a day of %lld bytes in %lld parts; a next state wrote %lld bytes, a late "
            "one %lld, a next one again %lld\n",
            (long long)len, (long long)parts, (long long)written[0], (long long)written[1],
            (long long)written[2]);
    CHECK(len > 4000 && parts >= 8);
    CHECK(written[0] > 0 && written[0] < 1200 && written[2] > 0 && written[2] < 1200);
    CHECK(written[1] > len / 2); /* from the 11th state on */
    tz_close(tz);
    db_close(&a);
    db_close(&b);
}

/* A file of schema 0039 (parts without a state) upgraded: the migration leaves every day as it
 * was (digest, change_seq: nothing goes out again); a change to a long day reads and writes it
 * whole once, giving each part its state, and from then on only its last parts. */
static void test_upgrade(void)
{
    struct db a = {0}, b = {0};
    struct tz *tz = NULL;
    char path[700], err[512] = "";
    sqlite3 *raw = NULL;
    if (open_pair(&a, &b, "old_since.db", "old_whole.db", &tz) != 0) {
        return;
    }
    int64_t t0 = 1774857600; /* 2026-03-30 10:00 Berlin */
    int64_t whole[2] = {1, 2};
    for (int i = 0; i < 130; i++) { /* agent 1: a long day; agent 2: a short one */
        struct chg c = {1, 1 + (i % 10 == 0), t0 + i * 90, i % 2 ? "C3" : "C1"};
        stage(&a, tz, &c);
        stage(&b, tz, &c);
    }
    for (int k = 0; k < 2; k++) {
        struct db *d = k ? &b : &a;
        CHECK_EQ_INT(store_begin(d->c), ACDL_OK);
        CHECK_EQ_INT(agent_results_apply(d->c, whole, 2, "2026-03-29", "2026-03-31", NULL),
                     ACDL_OK);
        CHECK_EQ_INT(store_commit(d->c), ACDL_OK);
    }
    db_close(&a);
    memset(&a, 0, sizeof(a));
    /* back to 0039 as it was written then */
    snprintf(path, sizeof(path), "%s/old_since.db", tmp);
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw,
                              "DROP INDEX IF EXISTS agent_day_parts_state; "
                              "ALTER TABLE agent_day_parts DROP COLUMN first_start; ALTER TABLE "
                              "agent_day_parts DROP COLUMN spans_before; ALTER TABLE "
                              "agent_day_parts DROP COLUMN digest_before; PRAGMA user_version = "
                              "39;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(raw);
    if (!CHECK_EQ_INT(store_open(path, 1, &a.st, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "%s\n", err);
        tz_close(tz);
        db_close(&b);
        return;
    }
    a.c = store_acquire(a.st);
    exec(&a, "CREATE TEMP TABLE written (bytes INTEGER NOT NULL); INSERT INTO written VALUES (0);"
             "CREATE TEMP TRIGGER part_up AFTER UPDATE ON agent_day_parts BEGIN UPDATE written SET "
             "bytes = bytes + length(CAST(new.list AS BLOB)); END;"
             "CREATE TEMP TRIGGER part_in AFTER INSERT ON agent_day_parts BEGIN UPDATE written SET "
             "bytes = bytes + length(CAST(new.list AS BLOB)); END;");
    CHECK_EQ_INT(query_int(&a, "SELECT count(*) FROM agent_day_parts WHERE first_start IS NOT "
                               "NULL OR spans_before IS NOT NULL OR digest_before IS NOT NULL"),
                 0);
    a_old = 1;
    CHECK(same_days(&a, &b, 0));
    int64_t seq2 = query_int(&a, "SELECT change_seq FROM agent_days WHERE agent_id = 2");
    int64_t len = query_int(&a, "SELECT sum(length(CAST(list AS BLOB))) FROM agent_day_parts "
                                "WHERE agent_id = 1");
    int64_t written[2] = {0, 0};
    for (int i = 0; i < 2; i++) { /* agent 1's next states */
        struct chg c = {1, 1, t0 + (130 + i) * 90, i ? "C3" : "C1"};
        struct agent_since ag = {1, "e1", c.start};
        stage(&a, tz, &c);
        stage(&b, tz, &c);
        exec(&a, "UPDATE temp.written SET bytes = 0");
        apply_pair(&a, &b, &ag);
        written[i] = query_int(&a, "SELECT bytes FROM temp.written");
        CHECK(same_days(&a, &b, 1 + i)); /* agent 2's day still has no state */
    }
    fprintf(stdout,
            "after the upgrade a day of %lld bytes: the first change wrote %lld, the next "
            "%lld\n",
            (long long)len, (long long)written[0], (long long)written[1]);
    CHECK(written[0] >= len && written[1] > 0 && written[1] < 1200);
    CHECK_EQ_INT(query_int(&a, "SELECT change_seq FROM agent_days WHERE agent_id = 2"), seq2);
    CHECK_EQ_INT(query_int(&a, "SELECT count(*) FROM agent_day_parts WHERE agent_id = 1 AND "
                               "first_start IS NULL"),
                 0);
    a_old = 0;
    tz_close(tz);
    db_close(&a);
    db_close(&b);
}

/* three seeds: each run of polls has its own late rows, gaps and codes */
static void test_random_polls(void)
{
    for (unsigned seed = 1; seed <= 3; seed++) {
        random_polls(seed);
    }
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (check_tmpdir("agent_since", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_long_day);
    RUN(test_upgrade);
    RUN(test_random_polls);
    check_tmpdir_done(tmp);
    return check_summary();
}
