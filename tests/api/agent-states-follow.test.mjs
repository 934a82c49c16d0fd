// Incremental agent-state sources (settings.incremental) against a real PostgreSQL through
// psqlODBC: the settings and their refusals, polls every second from the cursor (equal
// timestamps across polls, a row committed late inside the overlap, the database's clock hours
// away from the daemon's, rows without a cursor value counted and not staged), an id cursor,
// and a run (what a reconciliation queues) that corrects and removes what the polls staged; and
// the scenarios of tests/lib/incremental-scenarios.mjs (a writer inserting while the daemon
// polls and is killed with SIGKILL, a strict https-json receiver that must end with every state
// once and in order, the live board), which agent-states-follow-mariadb.test.mjs runs against
// MariaDB.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus, odbcDriver, show } from '../lib/api.mjs';
import { followOf, startFollowDaemon, stopFollowDaemon } from '../lib/follow-daemon.mjs';
import { drained, runDays, waitFor } from '../lib/pipeline.mjs';
import { defineIncrementalScenarios } from '../lib/incremental-scenarios.mjs';
import { PG_PASSWORD, startPg } from '../lib/pg.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

let d;
let admin;
let pg;
let wfm;
let dataDir;
let conn;

function sql(text) {
  return pg.psql(text);
}

// The counts of a source's external ids and codes (moved by difference as states are staged,
// replaced and removed) equal its staged states, and add up to n.
function countsHold(sourceId, n, what) {
  const store = (q) => execFileSync('sqlite3', [path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' }).trim();
  assert.equal(store(`SELECT group_concat(ext_agent || ' ' || count) FROM agent_ids i WHERE i.source_id = ${sourceId} AND i.count <> (SELECT count(*) FROM agent_staged s WHERE s.source_id = i.source_id AND s.ext_agent = i.ext_agent)`), '', `${what}: every external id's count is its staged states`);
  assert.equal(store(`SELECT group_concat(code || ' ' || count) FROM activity_codes k WHERE k.source_id = ${sourceId} AND k.count <> (SELECT count(*) FROM agent_staged s WHERE s.source_id = k.source_id AND s.code = k.code)`), '', `${what}: every code's count is its staged states`);
  assert.equal(Number(store(`SELECT sum(count) FROM agent_ids WHERE source_id = ${sourceId}`)), n, `${what}: the external ids' counts add up`);
}

before(async () => {
  pg = await startPg();
  sql(`CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(3));
       CREATE TABLE ev2 (seq bigint PRIMARY KEY, agent text, state text, started timestamp(0));`);
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  ({ d, admin, wfm, dataDir } = await startFollowDaemon(['ready', 'talk', 'pause']));
});

after(async () => {
  await stopFollowDaemon({ d, wfm, dataDir });
  pg?.stop();
});

const SQL_TS = 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started';

function source(name, incremental, { sqlText = SQL_TS } = {}) {
  return {
    name, kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD,
    settings: { odbc: { connection_string: conn, user: 'app', sql: sqlText }, agent_states: { span: 'start_only' }, incremental },
  };
}

const follow = (id) => followOf(admin, id);

/** The staged states of the source as "agent start state" (start as the database wrote it). */
async function spansOf(agent, day) {
  const r = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(agent)}&from=${day}&to=${day}`);
  assertStatus(r, 200);
  const dd = r.body.days.find((x) => x.day === day);
  return dd ? dd.spans.filter((s) => s.activity !== 'logged_out').map((s) => `${s.start.slice(11, 19)} ${s.activity}`) : [];
}

test('incremental settings: defaults, refusals naming the field, and the query\'s parameters', async () => {
  const bad = async (body, field) => assertInvalidField(await admin.post('/api/v1/sources', body), field);
  await bad(source('x', { cursor_column: 'started', poll_s: 0 }), 'settings.incremental.poll_s');
  await bad(source('x', { cursor_column: 'started', poll_s: 3601 }), 'settings.incremental.poll_s');
  await bad(source('x', { cursor_column: 'started', overlap_s: -1 }), 'settings.incremental.overlap_s');
  await bad(source('x', { cursor_column: 'started', max_states_per_poll: 0 }), 'settings.incremental.max_states_per_poll');
  await bad(source('x', { cursor_column: 'started', cursor_type: 'date' }), 'settings.incremental.cursor_type');
  await bad(source('x', { poll_s: 1 }), 'settings.incremental.cursor_column');
  await bad(source('x', { cursor_column: 'started', every: 1 }), 'settings.incremental.every');
  await bad(source('x', { cursor_column: 'started' }, { sqlText: 'SELECT agent, state, started FROM ev' }), 'odbc.sql');
  await bad(source('x', { cursor_column: 'started' }, { sqlText: 'SELECT agent, state, started FROM ev WHERE started >= :period_start AND started >= :since' }), 'odbc.sql');
  await bad(source('x', null, { sqlText: SQL_TS }), 'odbc.sql');
  const preset = source('x', { cursor_column: 'started' });
  preset.settings.odbc = { connection_string: conn, user: 'app', preset: 'cisco_ucce_agent_event_detail' };
  delete preset.settings.agent_states;
  await bad(preset, 'settings.incremental');
  const r = await admin.post('/api/v1/sources', { ...source('defaults', { cursor_column: 'started' }), enabled: false });
  assertStatus(r, 201);
  assert.deepEqual(r.body.settings.incremental, {
    cursor_column: 'started', cursor_type: 'timestamp', overlap_s: 120, poll_s: 5, reconcile_minutes: 15, reconcile_hours: 24,
    max_states_per_poll: 1000000,
  });
  assertStatus(await admin.delete(`/api/v1/sources/${r.body.id}`), 204);
});

test('polls stage new rows within seconds, re-read the overlap without changing anything, and tell NULL cursors', async () => {
  // the database's clock is 3 hours ahead of the daemon's: only its own values are compared
  const t0 = `timestamp '${sql("SELECT to_char(date_trunc('second', localtimestamp) + interval '3 hours', 'YYYY-MM-DD HH24:MI:SS')")}'`;
  sql(`INSERT INTO ev (agent, state, started) VALUES ('a1', 'READY', ${t0}), ('a2', 'READY', ${t0})`);
  const src = (await admin.post('/api/v1/sources', source('ts', { cursor_column: 'started', poll_s: 1, overlap_s: 30, reconcile_minutes: 0 }))).body;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'a1;a1@example.com\na2;a2@example.com\na3;a3@example.com' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'READY', activity: 'ready' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALK', activity: 'talk' }), 200);
  const day = sql(`SELECT to_char(${t0}, 'YYYY-MM-DD')`);
  await waitFor(async () => (await follow(src.id))?.rows_changed >= 2, 'the first poll');
  // equal timestamps across polls: a row with the cursor's own value, committed after it was read
  sql(`INSERT INTO ev (agent, state, started) VALUES ('a3', 'READY', ${t0})`);
  // a row committed late with an older timestamp inside the overlap
  sql(`INSERT INTO ev (agent, state, started) VALUES ('a1', 'TALK', ${t0} + interval '2 seconds')`);
  sql(`INSERT INTO ev (agent, state, started) VALUES ('a2', 'TALK', ${t0} + interval '1 second')`);
  await waitFor(async () => (await spansOf('a3@example.com', day)).length === 1 && (await spansOf('a2@example.com', day)).length === 2,
    async () => `a3 and a2's late row: ${JSON.stringify(await follow(src.id))}`);
  const f1 = await follow(src.id);
  assert.equal(f1.error, null);
  assert.equal(f1.rows_changed, 5, JSON.stringify(f1));
  assert.match(f1.cursor, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  // more polls re-read the same rows: nothing changes
  await waitFor(async () => (await follow(src.id)).polls >= f1.polls + 3, 'three more polls');
  const f2 = await follow(src.id);
  assert.equal(f2.rows_changed, 5);
  assert.ok(f2.rows_read > f1.rows_read, 'the overlap is read again');
  // a row whose cursor is NULL: counted and named, never staged
  sql("INSERT INTO ev (agent, state, started) VALUES ('a1', 'TALK', NULL)");
  const nullSql = `SELECT agent, state, coalesce(started, ${t0}) AS s, started FROM ev WHERE started >= :since OR started IS NULL ORDER BY started`;
  const patch = await admin.patch(`/api/v1/sources/${src.id}`, {
    settings: { ...src.settings, odbc: { ...src.settings.odbc, sql: nullSql } },
  });
  assertStatus(patch, 200);
  const fn = await waitFor(async () => { const f = await follow(src.id); return f.last_cursor_nulls === 1 ? f : null; }, 'the NULL cursor counted');
  assert.match(fn.last_note, /cursor column is NULL/);
  assert.equal(fn.rows_changed, 5);
  countsHold(src.id, 5, 'the overlap read again');
  assert.deepEqual(await spansOf('a1@example.com', day), [`${sql(`SELECT to_char(${t0}, 'HH24:MI:SS')`)} ready`, `${sql(`SELECT to_char(${t0} + interval '2 seconds', 'HH24:MI:SS')`)} talk`]);
  const h = await admin.get('/api/v1/health');
  assert.equal(h.body.problems.filter((p) => /poll/i.test(JSON.stringify(p))).length, 0);
  sql('DELETE FROM ev WHERE started IS NULL');
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('a poll stages at most max_states_per_poll new states, stops between cursor values, and the next poll goes on at once', async () => {
  sql('CREATE TABLE ev3 (agent text, state text, started timestamp(0))');
  const t0 = sql("SELECT to_char(date_trunc('second', localtimestamp) - interval '10 minutes', 'YYYY-MM-DD HH24:MI:SS')");
  const at = (s) => `timestamp '${t0}' + interval '${s} seconds'`;
  // cursor values: t0 x3, t0+1 x1, t0+2 x4 (a group larger than the bound), t0+3 x2, and a NULL
  const rows = [[0, 'b0'], [0, 'b1'], [0, 'b2'], [1, 'b3'], [2, 'b4'], [2, 'b5'], [2, 'b6'], [2, 'b7'], [3, 'b8'], [3, 'b9']];
  sql(`INSERT INTO ev3 VALUES ${rows.map(([s, a]) => `('${a}', 'READY', ${at(s)})`).join(', ')}, ('b0', 'TALK', NULL)`);
  const agents = rows.map(([, a]) => a);
  // poll_s 60: only polls that go on at once stage all of it within the wait below
  const src = (await admin.post('/api/v1/sources', source('bounded', { cursor_column: 'started', poll_s: 60, overlap_s: 30, reconcile_minutes: 0, max_states_per_poll: 3 },
    { sqlText: `SELECT agent, state, coalesce(started, ${at(0)}) AS s, started FROM ev3 WHERE started >= :since OR started IS NULL ORDER BY started` }))).body;
  assert.equal(src.settings.incremental.max_states_per_poll, 3);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: agents.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'READY', activity: 'ready' }), 200);
  const f = await waitFor(async () => { const x = await follow(src.id); return x?.rows_changed >= 10 ? x : null; },
    async () => `every state: ${JSON.stringify(await follow(src.id))}`);
  // 3 (t0), 1 (t0+1: t0+2's four would pass the bound), 4 (t0+2 whole: a group is never cut),
  // 2 (t0+3): four polls, each right after the one before
  assert.equal(f.polls, 4, JSON.stringify(f));
  assert.equal(f.rows_changed, 10);
  assert.equal(f.cursor, sql(`SELECT to_char(${at(3)}, 'YYYY-MM-DD HH24:MI:SS')`));
  assert.equal(f.last_cursor_nulls, 1, 'the NULL cursor is rejected by every poll, bounded or not');
  const day = t0.slice(0, 10);
  for (const a of agents) {
    assert.equal((await spansOf(`${a}@example.com`, day)).length, 1, a);
  }
  await drained(admin);
  for (const a of agents) {
    const spans = wfm.agents.get(`${a}@example.com|${day}`) || [];
    assert.deepEqual(spans.filter((s) => !s.filled).map((s) => s.activity), ['ready'], `${a}: ${JSON.stringify(spans)}`);
  }
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('an id cursor follows inserts; a run of the days corrects a changed row and removes a deleted one', async () => {
  sql("INSERT INTO ev2 VALUES (1, 'i1', 'READY', '2026-11-30 08:00:00'), (2, 'i1', 'TALK', '2026-11-30 08:10:00'), (3, 'i2', 'READY', '2026-11-30 08:05:00')");
  const src = (await admin.post('/api/v1/sources', source('ids', { cursor_column: 'seq', cursor_type: 'id', poll_s: 1, overlap_s: 0, reconcile_minutes: 0 },
    { sqlText: 'SELECT agent, state, started, seq FROM ev2 WHERE seq >= :since AND seq < :until ORDER BY seq' }))).body;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'i1;i1@example.com\ni2;i2@example.com' }), 200);
  for (const [code, act] of [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']]) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
  }
  await waitFor(async () => (await follow(src.id))?.cursor === 3, 'the id cursor at 3');
  sql("INSERT INTO ev2 VALUES (4, 'i1', 'READY', '2026-11-30 08:20:00')");
  await waitFor(async () => (await spansOf('i1@example.com', '2026-11-30')).length === 3, 'the fourth row');
  // behind the cursor, where no poll looks: a row changed, one deleted
  sql("UPDATE ev2 SET state = 'PAUSE' WHERE seq = 2; DELETE FROM ev2 WHERE seq = 3");
  await waitFor(async () => (await follow(src.id)).polls >= 3, 'polls');
  assert.deepEqual(await spansOf('i1@example.com', '2026-11-30'), ['08:00:00 ready', '08:10:00 talk', '08:20:00 ready']);
  const run = await runDays(admin, src.id, '2026-11-30');
  assert.equal(run.state, 'done', show({ status: 200, body: run }));
  assert.deepEqual(await spansOf('i1@example.com', '2026-11-30'), ['08:00:00 ready', '08:10:00 pause', '08:20:00 ready']);
  assert.deepEqual(await spansOf('i2@example.com', '2026-11-30'), []);
  await drained(admin);
  countsHold(src.id, 3, 'a row changed and one removed by the run');
  const i1 = wfm.agents.get('i1@example.com|2026-11-30');
  assert.deepEqual(i1.filter((s) => !s.filled).map((s) => s.activity), ['ready', 'pause', 'ready']);
  assert.deepEqual(wfm.agents.get('i2@example.com|2026-11-30'), []);
  const log = await admin.get(`/api/v1/runs/${run.id}/log?limit=100`);
  assert.ok(log.body.items.some((l) => l.code === 'run.follow_window' && /2 states/.test(l.message)), JSON.stringify(log.body.items.map((l) => l.message)));
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('the poller queues the reconciliation run at the start of following', async () => {
  sql("INSERT INTO ev (agent, state, started) VALUES ('r1', 'READY', localtimestamp)");
  const src = (await admin.post('/api/v1/sources', source('reconciled', { cursor_column: 'started', poll_s: 1, reconcile_minutes: 15, reconcile_hours: 2 }))).body;
  const f = await waitFor(async () => { const x = await follow(src.id); return x?.last_reconcile_run ? x : null; }, 'a reconciliation run');
  const run = await waitFor(async () => { const r = await admin.get(`/api/v1/runs/${f.last_reconcile_run}`); return ['done', 'failed'].includes(r.body.state) ? r.body : null; }, 'its end');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.created_by, 'reconciliation');
  assert.ok(Date.parse(f.next_reconcile_at) > Date.now() + 10 * 60 * 1000);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('a failing poll shows on the source and in health, is logged once and retried with a backoff; a fix ends it', async () => {
  const src = (await admin.post('/api/v1/sources', source('failing', { cursor_column: 'started', poll_s: 1, reconcile_minutes: 0 },
    { sqlText: 'SELECT agent, state, started FROM no_such_table WHERE started >= :since' }))).body;
  const f = await waitFor(async () => { const x = await follow(src.id); return x?.error ? x : null; }, 'the failure on the source');
  assert.match(f.error, /no_such_table/);
  assert.ok(f.failing_since);
  const h = await waitFor(async () => {
    const r = await admin.get('/api/v1/health');
    return r.body.problems.find((p) => p.code === 'health.polls_failing');
  }, 'the failure in health');
  assert.equal(h.params.name, 'failing');
  const polls = (await follow(src.id)).polls;
  assert.ok(polls <= 5, `${polls} polls in about 10 s: a failing source backs off`);
  const logged = d.stderr().split('\n').filter((l) => l.includes(`source ${src.id}: poll failed`));
  assert.equal(logged.length, 1, logged.join('\n'));
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, {
    settings: { ...src.settings, odbc: { ...src.settings.odbc, sql: SQL_TS } },
  }), 200);
  await waitFor(async () => (await follow(src.id)).error === null, 'a poll that works');
  assert.equal((await follow(src.id)).failing_since, null);
  const ok = await admin.get('/api/v1/health');
  assert.ok(!ok.body.problems.some((p) => p.code === 'health.polls_failing'), JSON.stringify(ok.body.problems));
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

defineIncrementalScenarios(startPostgres);

test('a run replaces the states of its days: what the query no longer returns is gone, other days stay, the overview names the newest day with states', async () => {
  sql('CREATE TABLE ev4 (agent text, state text, started timestamp(0))');
  sql(`INSERT INTO ev4 VALUES ('r1', 'READY', '2026-03-02 08:00:00'), ('r1', 'TALK', '2026-03-02 09:00:00'),
       ('r2', 'READY', '2026-03-02 08:30:00'), ('r1', 'READY', '2026-03-03 08:00:00'), ('r2', 'READY', '2026-03-03 08:00:00'),
       ('r2', 'TALK', '2026-03-03 10:00:00'), ('r3', 'READY', '2026-03-03 11:00:00')`);
  const sqlText = 'SELECT agent, state, started FROM ev4 WHERE started >= :period_start AND started < :period_end ORDER BY started';
  const src = (await admin.post('/api/v1/sources', source('days', null, { sqlText }))).body;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'r1;r1@example.com\nr2;r2@example.com\nr3;r3@example.com' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'READY', activity: 'ready' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALK', activity: 'talk' }), 200);
  const newestDay = async () => (await admin.get('/api/v1/overview')).body.sources.find((s) => s.id === src.id).last_data_day;
  assert.equal((await runDays(admin, src.id, '2026-03-02', '2026-03-03')).state, 'done');
  // (start-only states: the last one of a day goes on into the next)
  assert.deepEqual(await spansOf('r1@example.com', '2026-03-03'), ['00:00:00 talk', '08:00:00 ready']);
  assert.deepEqual(await spansOf('r2@example.com', '2026-03-03'), ['00:00:00 ready', '10:00:00 talk']);
  assert.equal(await newestDay(), '2026-03-03');
  // the second day again without r1's state and r2's second: those two go, the rest stays
  sql("DELETE FROM ev4 WHERE started = '2026-03-03 08:00:00' AND agent = 'r1' OR started = '2026-03-03 10:00:00'");
  assert.equal((await runDays(admin, src.id, '2026-03-03')).state, 'done');
  // r1 and r2 have no change of state of their own that day any more (r2's 08:00 repeats its ready)
  assert.deepEqual(await spansOf('r1@example.com', '2026-03-03'), []);
  assert.deepEqual(await spansOf('r2@example.com', '2026-03-03'), []);
  assert.deepEqual(await spansOf('r3@example.com', '2026-03-03'), ['11:00:00 ready']);
  assert.deepEqual(await spansOf('r1@example.com', '2026-03-02'), ['08:00:00 ready', '09:00:00 talk']);
  assert.equal(await newestDay(), '2026-03-03');
  // nothing left on the second day: the first is the newest with states
  sql("DELETE FROM ev4 WHERE started >= '2026-03-03'");
  assert.equal((await runDays(admin, src.id, '2026-03-03')).state, 'done');
  assert.deepEqual(await spansOf('r3@example.com', '2026-03-03'), []);
  assert.equal(await newestDay(), '2026-03-02');
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});
