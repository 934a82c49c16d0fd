// kill -9 across the reconciliations of an incremental source (settings.incremental) against a
// real PostgreSQL through psqlODBC, and around the poller's queuing of one.
//
// An incremental source is followed every second (timestamp cursor, overlap 20 s) while each
// round changes its table: new states the polls see, late states committed with a timestamp
// far behind the cursor (only a reconciliation reads them), an older state's code changed and
// another deleted. Then a run of the days (what a reconciliation queues) is started and the
// daemon killed with SIGKILL: aimed (once the run shows every row read: in its staging
// transaction or after it) or at a random moment of it. After the restart the interrupted run
// runs again. The kills are reported by where they landed (before the run began, the query or
// reading, after every row was read, after the run had ended). After the last restart and one
// more run: the staged states are exactly the table's, a fresh recomputation of the source
// changes no agent day, the strict https-json receiver holds every agent's states as the table
// has them, every run is done and nothing is left to recompute or send.
// Then the poller's own reconciliation: a source with reconcile_minutes is enabled and the
// daemon killed when the poller has queued its reconciliation run (the run and the next time
// in one transaction) or at a random moment before: after the restart there is exactly one
// such run, done, and the next one is due reconcile_minutes later.
// FOLLOW_CRASH_ITERATIONS kills (default 6), CRASH_SEED=N repeats a series (scripts/crash-soak
// runs more).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus } from '../lib/api.mjs';
import {
  assertNothingLeft, assertRunsDone, assertStagedExactly, polled as polledApi, runDone as runDoneApi, runOf as runOfApi, sqliteOf,
} from '../lib/follow-crash-checks.mjs';
import { followOf, killDaemon, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from '../lib/follow-daemon.mjs';
import { drained, waitFor } from '../lib/pipeline.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

const ITERATIONS = Number(process.env.FOLLOW_CRASH_ITERATIONS || 6);
const SEED = Number(process.env.CRASH_SEED || Math.floor(Math.random() * 100000));
const AGENT_COUNT = 300;
const CODES = { READY: 'ready', TALK: 'talk', PAUSE: 'pause' };

let state = SEED;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const sqlTime = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
const dayOf = (t) => new Date(t * 1000).toISOString().slice(0, 10);

const AGENTS = Array.from({ length: AGENT_COUNT }, (_, i) => `f${String(i).padStart(3, '0')}`);
// every state lies between BASE and now: BASE three hours back, the rounds' new states after
// BASE + 2 h (the polls read them), the late ones before BASE + 1 h (behind the cursor)
const BASE = Math.floor(Date.now() / 1000) - 3 * 3600;
const FROM = dayOf(BASE);
const TO = dayOf(Math.floor(Date.now() / 1000) + 600);

let db;
let d;
let admin;
let wfm;
let dataDir;
let src;
const table = new Map(AGENTS.map((a) => [a, new Map()])); // agent -> start -> code

const sqlite = (q) => sqliteOf(dataDir)(q);

const tableRows = () => [...table.values()].reduce((n, m) => n + m.size, 0);

/** Inserts states (model and table); a start an agent already has is left out. */
function insert(states) {
  const fresh = states.filter(([a, t]) => !table.get(a).has(t));
  for (const [a, t, code] of fresh) {
    table.get(a).set(t, code);
  }
  for (let i = 0; i < fresh.length; i += 2000) {
    db.exec(`INSERT INTO ev (agent, state, started) VALUES ${fresh.slice(i, i + 2000).map(([a, t, code]) => `('${a}', '${code}', '${sqlTime(t)}')`).join(', ')};`);
  }
}

/** Round k's changes: new states, late ones behind the cursor, an old state changed or gone. */
function mutate(k) {
  const fresh = BASE + 2 * 3600 + k * 60;
  const states = [];
  const fixes = [];
  for (const a of AGENTS) {
    if (rand() < 0.4) {
      states.push([a, fresh + Math.floor(rand() * 50), pick(Object.keys(CODES))]);
    }
    if (rand() < 0.1) {
      states.push([a, BASE + 600 + Math.floor(rand() * 2400), pick(Object.keys(CODES))]);
    }
    if (rand() < 0.05 && table.get(a).size > 1) {
      const t = pick([...table.get(a).keys()].filter((x) => x < BASE + 3600));
      if (t === undefined) {
        continue;
      }
      if (rand() < 0.5) {
        const code = pick(Object.keys(CODES).filter((c) => c !== table.get(a).get(t)));
        table.get(a).set(t, code);
        fixes.push(`UPDATE ev SET state = '${code}' WHERE agent = '${a}' AND started = '${sqlTime(t)}';`);
      } else {
        table.get(a).delete(t);
        fixes.push(`DELETE FROM ev WHERE agent = '${a}' AND started = '${sqlTime(t)}';`);
      }
    }
  }
  if (fixes.length > 0) {
    db.exec(fixes.join('\n'));
  }
  insert(states);
}

const runOf = (id) => runOfApi(admin, id);
const runDone = (id) => runDoneApi(admin, id);

/** A run's attempts: one start line each (a run killed while it ran starts again). */
async function attemptsOf(id) {
  const log = (await admin.get(`/api/v1/runs/${id}/log?limit=500`)).body.items;
  return log.filter((l) => l.code === 'run.agent_import_start').length;
}

/** Waits until two polls of source id (default: the followed one) began after now. */
const polled = (id = src.id) => polledApi(admin, id);

async function reconcile() {
  const c = await admin.post('/api/v1/runs', { source_id: src.id, from: FROM, to: TO });
  assertStatus(c, 202);
  return c.body.id;
}

/** An agent's states of day as [activity, start], equal neighbours joined (as spans are). */
function joined(list) {
  return list.filter((x, i) => i === 0 || x[0] !== list[i - 1][0]);
}
const expected = (a, day) => joined([...table.get(a).entries()].filter(([t]) => dayOf(t) === day).sort((x, y) => x[0] - y[0])
  .map(([t, code]) => [CODES[code], `${sqlTime(t).replace(' ', 'T')}Z`]));
const received = (a, day) => joined((wfm.agents.get(`${a}@example.com|${day}`) || []).filter((s) => !s.filled)
  .map((s) => [s.activity, s.start.replace(/\.000Z$/, 'Z')]));

before(async () => {
  db = await startPostgres();
  db.exec('CREATE TABLE ev (id bigserial PRIMARY KEY, agent varchar(16) NOT NULL, state varchar(16) NOT NULL, started timestamp(0) NOT NULL);');
  const first = [];
  for (const [i, a] of AGENTS.entries()) {
    for (let j = 0; j < 30; j++) { // 9,000 states: a run reads and stages for 100s of ms
      first.push([a, BASE + 3600 + j * 120 + (i % 60), pick(Object.keys(CODES))]);
    }
  }
  insert(first);
  ({ d, admin, wfm, dataDir } = await startFollowDaemon(Object.values(CODES)));
  const body = (name, incremental, enabled) => ({
    name, kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password, enabled,
    settings: {
      odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started' },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 20, ...incremental },
    },
  });
  const r = await admin.post('/api/v1/sources', body('followed', { reconcile_minutes: 0 }, false));
  assertStatus(r, 201);
  src = r.body;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: AGENTS.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  for (const code of Object.keys(CODES)) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: CODES[code] }), 200);
  }
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
  await waitFor(async () => (await followOf(admin, src.id))?.rows_changed >= tableRows(), 'the first poll staged the table', 30000);
  src.body = body;
});

after(async () => {
  await stopFollowDaemon({ d, wfm, dataDir });
  db?.stop();
});

test(`${ITERATIONS} kills across the reconciliations of an incremental source leave the table's states, delivered once (seed ${SEED})`, { timeout: 3600000 }, async (t) => {
  // one run not killed: what a kill aims at
  let id = await reconcile();
  const t0 = Date.now();
  assert.equal((await runDone(id)).state, 'done');
  const whole = Date.now() - t0;
  const phases = { 'before the run': 0, 'query or reading': 0, 'every row read': 0, 'after the run': 0 };
  for (let k = 1; k <= ITERATIONS; k++) {
    mutate(k);
    await polled();
    const rows = tableRows();
    id = await reconcile();
    let look;
    if (rand() < 0.5) { // aimed: once every row is read
      const deadline = Date.now() + 60000;
      do {
        look = await runOf(id);
      } while (look.counts.rows_read < rows && look.state !== 'done' && Date.now() < deadline);
      await sleep(rand() < 0.5 ? 0 : Math.floor(rand() * 100));
    } else {
      await sleep(Math.floor(rand() * whole));
      look = await runOf(id);
    }
    await killDaemon(d);
    ({ d, admin } = await restartFollowDaemon(dataDir));
    const again = await runDone(id);
    assert.equal(again.state, 'done', JSON.stringify(again));
    const attempts = await attemptsOf(id);
    assert.ok(attempts === 1 || attempts === 2, `attempts ${attempts}`);
    phases[attempts === 1 ? (look.state === 'done' ? 'after the run' : 'before the run')
      : look.counts.rows_read >= rows ? 'every row read' : 'query or reading']++;
    if (rand() < 0.5) {
      await drained(admin, 60000);
    }
  }

  // a last run after the polls saw the table
  await polled();
  id = await reconcile();
  assert.equal((await runDone(id)).state, 'done');
  await assertRunsDone(admin, src.id);
  assert.equal(db.query('SELECT count(*) FROM ev'), String(tableRows()));

  // the staged states are the table's, and a fresh recomputation changes no agent day
  const want = new Set(AGENTS.flatMap((a) => [...table.get(a).entries()].map(([s, c]) => `${a}|${s}|${c}`)));
  await assertStagedExactly(admin, sqlite, src.id, want, 'table');

  // the receiver holds the table's states of every agent and day
  await drained(admin, 90000);
  assert.deepEqual(wfm.errors, []);
  const dayList = [...new Set([FROM, TO])];
  const diffs = AGENTS.flatMap((a) => dayList.map((day) => [a, day])).filter(([a, day]) => JSON.stringify(received(a, day)) !== JSON.stringify(expected(a, day)));
  assert.deepEqual(diffs.slice(0, 3).map(([a, day]) => ({ a, day, received: received(a, day), table: expected(a, day) })), []);
  assertNothingLeft(sqlite);
  t.diagnostic(`seed ${SEED}: ${ITERATIONS} kills across reconciliations of ${tableRows()} states of ${AGENT_COUNT} agents; `
    + `kills by phase: ${JSON.stringify(phases)}; ${wfm.requests.length} WFM requests, ${wfm.duplicates()} batches received again (applied once)`);
});

test('a kill -9 around the poller\'s queuing of a reconciliation leaves exactly one, done, and the next due later', { timeout: 600000 }, async (t) => {
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  const landed = [];
  for (let k = 0; k < 3; k++) {
    const r = await admin.post('/api/v1/sources', src.body(`scheduled ${k}`, { reconcile_minutes: 15, reconcile_hours: 4 }, true));
    assertStatus(r, 201);
    const id = r.body.id;
    if (k === 0 || rand() < 0.5) { // once the run is queued
      await waitFor(async () => (await followOf(admin, id))?.last_reconcile_run, 'the reconciliation queued', 20000);
      landed.push('after the queuing');
    } else {
      await sleep(Math.floor(rand() * 1500));
      landed.push((await followOf(admin, id))?.last_reconcile_run ? 'after the queuing' : 'before it');
    }
    await killDaemon(d);
    ({ d, admin } = await restartFollowDaemon(dataDir));
    const f = await waitFor(async () => { const x = await followOf(admin, id); return x?.last_reconcile_run ? x : null; }, 'a reconciliation run', 20000);
    await runDone(f.last_reconcile_run);
    await polled(id);
    const scheduled = (await admin.get(`/api/v1/runs?source_id=${id}&limit=50`)).body.items.filter((x) => x.created_by === 'reconciliation');
    assert.deepEqual(scheduled.map((x) => [x.id, x.state]), [[f.last_reconcile_run, 'done']]);
    assert.ok(Date.parse((await followOf(admin, id)).next_reconcile_at) > Date.now() + 10 * 60 * 1000);
    assertStatus(await admin.patch(`/api/v1/sources/${id}`, { enabled: false }), 200);
  }
  t.diagnostic(`kills: ${landed.join(', ')}`);
});
