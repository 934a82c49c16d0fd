// The reconciliation of live-status sources from a history query
// (settings.live_status.history_sql) that every database engine must pass the same way: the test
// file of an engine (live-reconcile.test.mjs: PostgreSQL through psqlODBC,
// live-reconcile-mariadb.test.mjs: MariaDB through odbc-mariadb) starts its server once
// (tests/lib/sqldb.mjs) and calls defineLiveReconcileScenarios(start).
//
// A live-status table polled every second beside a history table of the same agents: the first
// reconciliation (queued right after the first poll) adds a state that came and went between
// polls, corrects a live row with the wrong code, removes a live state the history does not
// have, keeps a live state newer than the history's newest row, counts all of it in the
// source's status and its run log, and the strict https-json receiver ends with the history's
// states. Then a reconciliation whose query takes seconds is killed with SIGKILL while it runs:
// the daemon runs it again after the restart, and the end is the same as without the kill; one
// more changes nothing. And the Cisco UCCE live-status preset reconciled from Agent_State_Trace
// and the Twilio-style one from a table of TaskRouter's events (settings.live_status.history_preset)
// on the vendors' layouts, the latter delivered.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus } from './api.mjs';
import { followOf, killDaemon, receivedStates, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from './follow-daemon.mjs';
import { drained, waitFor } from './pipeline.mjs';
import { loadFixtures } from './sqldb.mjs';

const ACTIVITY = { READY: 'ready', TALK: 'talk', ACW: 'acw', 'NR:lunch': 'lunch' };
const AGENTS = ['r0', 'r1', 'r2', 'r3'];

/** 'YYYY-MM-DD HH:MM:SS' (UTC) of t seconds. */
const sqlTime = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
const iso = (t) => `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;

/**
 * Registers the scenarios; start() resolves with a server of tests/lib/sqldb.mjs. settings:
 * also the settings' refusals (they do not depend on the engine: one engine's file has them).
 */
export function defineLiveReconcileScenarios(start, { settings = false } = {}) {
  let db;
  let d;
  let admin;
  let wfm;
  let dataDir;

  const history = (slow) => {
    const sleep = !slow ? '' : db.engine === 'postgresql' ? ' CROSS JOIN (SELECT pg_sleep(3)) AS z' : ' CROSS JOIN (SELECT SLEEP(3) AS z) AS z';
    return "SELECT h.agent, CASE WHEN h.reason IS NULL THEN h.state ELSE CONCAT(h.state, ':', h.reason) END AS activity, "
      + `h.start_time FROM agent_history h${sleep} WHERE h.start_time >= :since AND h.start_time < :until ORDER BY h.agent, h.start_time`;
  };
  const live = (extra = {}) => ({ agent_column: 'agent', state_column: 'state', reason_column: 'reason', since_column: 'since', poll_s: 1, ...extra });

  function source(name, liveStatus) {
    return {
      name, kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password,
      settings: { odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, reason, since FROM agent_status' }, live_status: liveStatus },
    };
  }

  /** Each agent's states at the receiver, midnight cuts joined: [activity, start, end]. */
  function received(agents = AGENTS.map((a) => `${a}@example.com`)) {
    return Object.fromEntries(agents.map((a) => [a.replace('@example.com', ''), receivedStates(wfm, a)]));
  }

  async function runDone(id) {
    return waitFor(async () => {
      const x = (await admin.get(`/api/v1/runs/${id}`)).body;
      return ['done', 'failed'].includes(x.state) ? x : null;
    }, `run ${id}`, 60000);
  }

  async function reconciledNote(runId) {
    const log = (await admin.get(`/api/v1/runs/${runId}/log?limit=200`)).body.items;
    const note = log.find((l) => l.code === 'run.live_reconciled');
    assert.ok(note, JSON.stringify(log.map((l) => l.message)));
    return note;
  }

  before(async () => {
    db = await start();
    db.exec(`CREATE TABLE agent_status (agent VARCHAR(16) NOT NULL PRIMARY KEY, state VARCHAR(16), reason VARCHAR(16), since TIMESTAMP NULL);
      CREATE TABLE agent_history (agent VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL, reason VARCHAR(16), start_time TIMESTAMP NOT NULL);`);
    loadFixtures(db, ['cisco_ucce_agent_event_detail.sql', 'cisco_ucce_agent_real_time.sql', 'cisco_ucce_agent_state_trace.sql',
      'twilio_taskrouter_workers.sql', 'twilio_taskrouter_events.sql']);
    ({ d, admin, wfm, dataDir } = await startFollowDaemon(Object.values(ACTIVITY)));
  });

  after(async () => {
    await stopFollowDaemon({ d, wfm, dataDir });
    db?.stop();
  });

  test('history query settings: defaults, and refusals naming the field', { skip: !settings && 'on PostgreSQL only' }, async () => {
    const bad = async (ls, field) => assertInvalidField(await admin.post('/api/v1/sources', source('x', ls)), field);
    await bad(live({ reconcile_minutes: 5 }), 'settings.live_status.reconcile_minutes');
    await bad(live({ history_span: 'start_end' }), 'settings.live_status.history_span');
    await bad(live({ history_sql: 'SELECT agent, state, start_time FROM agent_history' }), 'settings.live_status.history_sql');
    await bad(live({ history_sql: 'SELECT agent, state, start_time FROM agent_history WHERE start_time >= :period_start' }), 'settings.live_status.history_sql');
    await bad(live({ history_sql: 'SELECT agent, state, start_time FROM agent_history WHERE start_time >= :since AND start_time < :period_end' }), 'settings.live_status.history_sql');
    await bad(live({ history_sql: history(false), history_span: 'begin_only' }), 'settings.live_status.history_span');
    await bad(live({ history_sql: history(false), reconcile_hours: 0 }), 'settings.live_status.reconcile_hours');
    await bad(live({ history_sql: history(false), reconcile_minutes: -1 }), 'settings.live_status.reconcile_minutes');
    await bad(live({ history_sql: 7 }), 'settings.live_status.history_sql');
    await bad(live({ history_preset: 'nope' }), 'settings.live_status.history_preset');
    await bad(live({ history_preset: 'cisco_ucce_agent_real_time_live' }), 'settings.live_status.history_preset');
    await bad(live({ history_preset: 'twilio_taskrouter_workers_live' }), 'settings.live_status.history_preset');
    await bad(live({ history_preset: 'twilio_taskrouter_events', history_span: 'start_end' }), 'settings.live_status.history_span');
    await bad(live({ history_preset: 'cisco_ucce_call_type_interval' }), 'settings.live_status.history_preset');
    await bad(live({ history_preset: 'cisco_ucce_agent_state_trace', history_sql: history(false) }), 'settings.live_status.history_preset');
    await bad(live({ history_preset: 'genesys_cic_agent_activity', history_span: 'start_only' }), 'settings.live_status.history_span');
    const p = await admin.post('/api/v1/sources', { ...source('preset', live({ history_preset: 'cisco_ucce_agent_state_trace', reconcile_minutes: 0 })), enabled: false });
    assertStatus(p, 201);
    assert.deepEqual(p.body.settings.live_status, { ...live(), history_preset: 'cisco_ucce_agent_state_trace', history_span: 'start_only', reconcile_minutes: 0, reconcile_hours: 24 });
    assertStatus(await admin.delete(`/api/v1/sources/${p.body.id}`), 204);
    const r = await admin.post('/api/v1/sources', { ...source('defaults', live({ history_sql: history(false) })), enabled: false });
    assertStatus(r, 201);
    assert.deepEqual(r.body.settings.live_status, { ...live(), history_sql: history(false), history_span: 'start_only', reconcile_minutes: 15, reconcile_hours: 24 });
    const plain = await admin.post('/api/v1/sources', { ...source('plain', live()), enabled: false });
    assertStatus(plain, 201);
    assert.deepEqual(Object.keys(plain.body.settings.live_status).sort(), ['agent_column', 'poll_s', 'reason_column', 'since_column', 'state_column']);
    for (const id of [r.body.id, plain.body.id]) {
      assertStatus(await admin.delete(`/api/v1/sources/${id}`), 204);
    }
  });

  test('a reconciliation adds a state lost between polls, corrects a wrong live row, keeps newer live states; kill -9 while it runs changes nothing in the end', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    // the live table: r1's code is wrong (the history says lunch), r3's since is late, r2's
    // state is newer than anything in the history
    db.exec(`INSERT INTO agent_status VALUES ('r0', 'READY', NULL, '${sqlTime(t0)}'), ('r1', 'TALK', NULL, '${sqlTime(t0)}'),
        ('r2', 'TALK', NULL, '${sqlTime(t0 + 300)}'), ('r3', 'READY', NULL, '${sqlTime(t0 + 30)}');
      INSERT INTO agent_history VALUES ('r0', 'READY', NULL, '${sqlTime(t0)}'), ('r0', 'TALK', NULL, '${sqlTime(t0 + 60)}'),
        ('r0', 'ACW', NULL, '${sqlTime(t0 + 90)}'), ('r1', 'NR', 'lunch', '${sqlTime(t0)}'), ('r3', 'READY', NULL, '${sqlTime(t0 + 10)}');`);
    const src = (await admin.post('/api/v1/sources', { ...source('reconciled', live({ history_sql: history(false) })), enabled: false })).body;
    assert.ok(src.id, JSON.stringify(src));
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: AGENTS.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
    for (const [code, act] of Object.entries(ACTIVITY)) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
    }
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
    const f = await waitFor(async () => { const x = await followOf(admin, src.id); return x?.last_reconciliation ? x : null; }, 'the first reconciliation', 30000);
    assert.equal(f.mode, 'live_status');
    assert.deepEqual({ ...f.last_reconciliation, at: undefined }, { at: undefined, rows: 5, added: 3, changed: 1, removed: 1, kept: 1, newest: iso(t0 + 90) });
    assert.ok(f.last_reconcile_run > 0 && f.next_reconcile_at, JSON.stringify(f));
    const first = await runDone(f.last_reconcile_run);
    assert.equal(first.state, 'done', JSON.stringify(first));
    assert.equal(first.created_by, 'reconciliation');
    assert.deepEqual((await reconciledNote(first.id)).params, { rows: 5, added: 3, changed: 1, removed: 1, kept: 1, newest: sqlTime(t0 + 90) });
    await drained(admin);
    assert.deepEqual(wfm.errors, []);
    assert.deepEqual(received(), {
      r0: [['ready', iso(t0), iso(t0 + 60)], ['talk', iso(t0 + 60), iso(t0 + 90)], ['acw', iso(t0 + 90), null]],
      r1: [['lunch', iso(t0), null]],
      r2: [['talk', iso(t0 + 300), null]],
      r3: [['ready', iso(t0 + 10), null]],
    });
    // the polls go on after it: a change of the live table is staged as before
    db.exec(`UPDATE agent_status SET state = 'ACW', since = '${sqlTime(t0 + 400)}' WHERE agent = 'r2'`);
    await waitFor(async () => { await drained(admin); return received().r2.length === 2; }, 'r2 changed by a poll');
    assert.deepEqual(received().r2, [['talk', iso(t0 + 300), iso(t0 + 400)], ['acw', iso(t0 + 400), null]]);

    // the history catches up (r1's ACW and r2's READY were never in the live table); its query
    // now takes 3 s, and the daemon is killed while it runs
    db.exec(`INSERT INTO agent_history VALUES ('r1', 'ACW', NULL, '${sqlTime(t0 + 120)}'), ('r2', 'READY', NULL, '${sqlTime(t0 + 200)}'),
      ('r2', 'TALK', NULL, '${sqlTime(t0 + 300)}');`);
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { settings: { ...src.settings, live_status: live({ history_sql: history(true) }) } }), 200);
    // the run's days: t0's and today (t0 + 400 s may lie after midnight)
    const day = new Date(t0 * 1000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const c = await admin.post('/api/v1/runs', { source_id: src.id, from: day, to: today });
    assertStatus(c, 202);
    await waitFor(async () => (await admin.get(`/api/v1/runs/${c.body.id}`)).body.state === 'running', 'the reconciliation running');
    const before = JSON.stringify(received());
    await killDaemon(d);
    ({ d, admin } = await restartFollowDaemon(dataDir));
    const again = await runDone(c.body.id); // interrupted: it runs again after the restart
    assert.equal(again.state, 'done', JSON.stringify(again));
    const note = await reconciledNote(again.id);
    assert.deepEqual(note.params, { rows: 8, added: 2, changed: 0, removed: 0, kept: 1, newest: sqlTime(t0 + 300) });
    await drained(admin);
    assert.deepEqual(wfm.errors, []);
    const expected = {
      r0: [['ready', iso(t0), iso(t0 + 60)], ['talk', iso(t0 + 60), iso(t0 + 90)], ['acw', iso(t0 + 90), null]],
      r1: [['lunch', iso(t0), iso(t0 + 120)], ['acw', iso(t0 + 120), null]],
      r2: [['ready', iso(t0 + 200), iso(t0 + 300)], ['talk', iso(t0 + 300), iso(t0 + 400)], ['acw', iso(t0 + 400), null]],
      r3: [['ready', iso(t0 + 10), null]],
    };
    assert.notEqual(before, JSON.stringify(expected));
    assert.deepEqual(received(), expected);
    // once more: nothing to correct
    const c2 = await admin.post('/api/v1/runs', { source_id: src.id, from: day, to: today });
    assertStatus(c2, 202);
    assert.equal((await runDone(c2.body.id)).state, 'done');
    assert.deepEqual((await reconciledNote(c2.body.id)).params, { rows: 8, added: 0, changed: 0, removed: 0, kept: 1, newest: sqlTime(t0 + 300) });
    assert.deepEqual((await followOf(admin, src.id)).last_reconciliation.added, 0);
    await drained(admin);
    assert.deepEqual(received(), expected);
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  });

  test('the Cisco UCCE live-status preset reconciled from Agent_State_Trace (history_preset)', async () => {
    const body = source('ucce', { poll_s: 1, history_preset: 'cisco_ucce_agent_state_trace', reconcile_minutes: 0 });
    body.settings.odbc = { connection_string: db.connectionString, user: db.user, preset: 'cisco_ucce_agent_real_time_live' };
    const ucce = (await admin.post('/api/v1/sources', body)).body;
    assert.ok(ucce.id, JSON.stringify(ucce));
    await waitFor(async () => (await followOf(admin, ucce.id))?.agents === 6, 'the live table read');
    // a run of the day reconciles: 0042's and 42's states before their current one (the call
    // of 0042 from 08:00:40 to 08:00:55 too) added, 0099's state the trace does not have
    // removed, 0100's logout at 17:00 (after the trace's newest change, 12:30) kept
    const c = await admin.post('/api/v1/runs', { source_id: ucce.id, from: '2024-03-31', to: '2024-03-31' });
    assertStatus(c, 202);
    assert.equal((await runDone(c.body.id)).state, 'done');
    assert.deepEqual((await reconciledNote(c.body.id)).params, { rows: 9, added: 6, changed: 0, removed: 1, kept: 1, newest: '2024-03-31 12:30:00' });
    const codes = (await admin.get(`/api/v1/activity-codes?source=${ucce.id}`)).body.items;
    assert.equal(codes.find((x) => x.code === 'NR3')?.name, 'Lunch', JSON.stringify(codes));
    assert.equal(codes.find((x) => x.code === 'LOGIN')?.count, 2, JSON.stringify(codes));
    assertStatus(await admin.patch(`/api/v1/sources/${ucce.id}`, { enabled: false }), 200);
  });

  test('the Twilio-style live-status preset reconciled from TaskRouter events (history_preset), delivered', async () => {
    // two more workers in the table of Worker resources: dave's row says Available since 11:00
    // where the events say Unavailable (the copier missed an update), erin's state is in no
    // event (a worker the copier left behind)
    db.exec(`INSERT INTO taskrouter_workers VALUES
        ('WK00000000000000000000000000000004', 'dave@example.com', 'WA00000000000000000000000000000002', 'Available', 1,
         '2024-03-31 11:00:00', '2024-03-31 11:00:00'),
        ('WK00000000000000000000000000000005', 'erin@example.com', 'WA00000000000000000000000000000002', 'Available', 1,
         '2024-03-31 09:30:00', '2024-03-31 09:30:00');`);
    const workers = ['alice', 'bob', 'carol', 'dave', 'erin'].map((w) => `${w}@example.com`);
    const body = source('twilio', { poll_s: 1, history_preset: 'twilio_taskrouter_events', reconcile_minutes: 0 });
    body.settings.odbc = { connection_string: db.connectionString, user: db.user, preset: 'twilio_taskrouter_workers_live' };
    const tw = (await admin.post('/api/v1/sources', { ...body, enabled: false })).body;
    assert.ok(tw.id, JSON.stringify(tw));
    assert.equal(tw.settings.live_status.history_span, 'start_only');
    assert.deepEqual(tw.settings.agent_states.logout_activities, ['Offline']);
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: tw.id, text: workers.map((w) => `${w};${w}`).join('\n') }), 200);
    for (const [code, act] of [['Available', 'ready'], ['Unavailable', 'acw'], ['Break', 'lunch']]) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: tw.id, code, activity: act }), 200);
    }
    assertStatus(await admin.patch(`/api/v1/sources/${tw.id}`, { enabled: true }), 200);
    await waitFor(async () => (await followOf(admin, tw.id))?.agents === 5, 'the table of workers read');
    // what the polls saw: each worker's current activity since its last change
    await drained(admin);
    const polled = received(workers);
    assert.deepEqual(Object.fromEntries(['alice', 'bob', 'dave', 'erin'].map((w) => [w, polled[w][0]?.slice(0, 2)])), {
      alice: ['ready', '2024-03-31T08:00:05Z'], bob: ['lunch', '2024-03-31T10:15:00Z'],
      dave: ['ready', '2024-03-31T11:00:00Z'], erin: ['ready', '2024-03-31T09:30:00Z'],
    });
    // a run of the day reconciles from the events: alice's two states before 08:00:05 (the
    // unavailable 35 s no poll saw among them) and bob's available from 09:00 added, dave's
    // activity changed, erin's state removed; the other event types and days are not read
    const c = await admin.post('/api/v1/runs', { source_id: tw.id, from: '2024-03-31', to: '2024-03-31' });
    assertStatus(c, 202);
    assert.equal((await runDone(c.body.id)).state, 'done');
    assert.deepEqual((await reconciledNote(c.body.id)).params, { rows: 6, added: 3, changed: 1, removed: 1, kept: 0, newest: '2024-03-31 11:00:00' });
    const f = await followOf(admin, tw.id);
    assert.deepEqual({ ...f.last_reconciliation, at: undefined }, { at: undefined, rows: 6, added: 3, changed: 1, removed: 1, kept: 0, newest: '2024-03-31T11:00:00Z' });
    await drained(admin);
    assert.deepEqual(wfm.errors, []);
    // the receiver ends with exactly the events' states (carol's Offline of the day before is
    // the logout code: a hole)
    const history = {
      alice: [['ready', '2024-03-31T07:58:00Z', '2024-03-31T07:59:30Z'], ['acw', '2024-03-31T07:59:30Z', '2024-03-31T08:00:05Z'],
        ['ready', '2024-03-31T08:00:05Z', null]],
      bob: [['ready', '2024-03-31T09:00:00Z', '2024-03-31T10:15:00Z'], ['lunch', '2024-03-31T10:15:00Z', null]],
      carol: [],
      dave: [['acw', '2024-03-31T11:00:00Z', null]],
      erin: [],
    };
    assert.deepEqual(received(workers), history);
    // once more: nothing to correct, nothing sent again
    const c2 = await admin.post('/api/v1/runs', { source_id: tw.id, from: '2024-03-31', to: '2024-03-31' });
    assertStatus(c2, 202);
    assert.equal((await runDone(c2.body.id)).state, 'done');
    assert.deepEqual((await reconciledNote(c2.body.id)).params, { rows: 6, added: 0, changed: 0, removed: 0, kept: 0, newest: '2024-03-31 11:00:00' });
    await drained(admin);
    assert.deepEqual(received(workers), history);
    assertStatus(await admin.patch(`/api/v1/sources/${tw.id}`, { enabled: false }), 200);
  });
}
