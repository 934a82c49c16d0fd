// kill -9 across the reconciliations of a followed agent-state source, shared by the engines and
// kinds that must pass it the same way: an incremental source (settings.incremental) against a
// real database (follow-reconcile-crash.test.mjs: PostgreSQL through psqlODBC,
// follow-reconcile-crash-mariadb.test.mjs: MariaDB through odbc-mariadb, both from
// databaseFeed) and a followed growing file (file-follow-reconcile-crash.test.mjs). Each test
// file calls defineFollowReconcileCrash with its feed: what holds the states and how they are
// added, changed or removed.
//
// The source is followed every second while each round changes its states: new states the
// polls see, late states far behind them (a database's cursor passed them, so only a
// reconciliation reads them; a file gets them appended like any line), and in a database an
// older state's code changed and another deleted. Then a run of the days (what a
// reconciliation queues) is started and the daemon killed with SIGKILL: aimed (once the run
// shows every row read: in its staging transaction or after it) or at a random moment of it; a
// feed that grows while it is read (the file) gets more lines appended meanwhile. After the
// restart the interrupted run runs again, and its log (a start line per attempt) tells where
// the kill landed: before the run began, the query or reading, after every row was read, after
// the run had ended. After the last restart and one more run: the staged states are exactly
// the feed's, a fresh recomputation of the source changes no agent day, the strict https-json
// receiver holds every agent's states as the feed has them, every run is done, nothing is left
// to recompute or send, and a last run corrects nothing.
// Then the poller's own reconciliation (scheduledKills, default 3): a source with
// reconcile_minutes is enabled and the daemon killed when the poller has queued its
// reconciliation run (the run and the next time in one transaction) or at a random moment
// before: after the restart there is exactly one such run, done, and the next one is due
// reconcile_minutes later. CRASH_SEED=N repeats a series (scripts/crash-soak runs more).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus } from './api.mjs';
import {
  assertNothingLeft, assertRunsDone, assertStagedExactly, polled as polledApi, runDone as runDoneApi, runOf as runOfApi, seeded, sqliteOf, sqlTime,
} from './follow-crash-checks.mjs';
import { followOf, killDaemon, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from './follow-daemon.mjs';
import { drained, waitFor } from './pipeline.mjs';

const SEED = Number(process.env.CRASH_SEED || Math.floor(Math.random() * 100000));
const AGENT_COUNT = 300;
export const CODES = { READY: 'ready', TALK: 'talk', PAUSE: 'pause' };

const { rand, pick } = seeded(SEED);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const dayOf = (t) => new Date(t * 1000).toISOString().slice(0, 10);

const AGENTS = Array.from({ length: AGENT_COUNT }, (_, i) => `f${String(i).padStart(3, '0')}`);
// every state lies between BASE and now: BASE three hours back, the rounds' new states after
// BASE + 2 h (the polls read them), the late ones before BASE + 1 h (behind a cursor)
const BASE = Math.floor(Date.now() / 1000) - 3 * 3600;
const FROM = dayOf(BASE);
const TO = dayOf(Math.floor(Date.now() / 1000) + 600);

/**
 * The feed of an incremental source over a database startDb starts (tests/lib/sqldb.mjs):
 * a table ev, read by timestamp cursor with an overlap of 20 s.
 */
export function databaseFeed(startDb) {
  let db;
  return {
    what: 'table',
    async open() {
      db = await startDb();
      db.exec('CREATE TABLE ev (agent VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL, started TIMESTAMP NOT NULL);');
    },
    add(states) {
      for (let i = 0; i < states.length; i += 2000) {
        db.exec(`INSERT INTO ev (agent, state, started) VALUES ${states.slice(i, i + 2000).map(([a, t, code]) => `('${a}', '${code}', '${sqlTime(t)}')`).join(', ')};`);
      }
    },
    /** changes: [agent, start, code] (null: the state deleted). */
    change(changes) {
      db.exec(changes.map(([a, t, code]) => (code === null ? `DELETE FROM ev WHERE agent = '${a}' AND started = '${sqlTime(t)}';`
        : `UPDATE ev SET state = '${code}' WHERE agent = '${a}' AND started = '${sqlTime(t)}';`)).join('\n'));
    },
    count: () => Number(db.query('SELECT count(*) FROM ev')),
    source: (name, reconcile, enabled) => ({
      name, kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password, enabled,
      settings: {
        odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started' },
        agent_states: { span: 'start_only' },
        incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 20, ...reconcile },
      },
    }),
    close: () => db?.stop(),
  };
}

/**
 * Defines the kill series on feed (databaseFeed or a test file's own: what, open, add(states),
 * change(changes) or none for an append-only feed, appendsWhileRead, count, source(name,
 * reconcile settings, enabled), close), named kind in the tests' titles.
 */
export function defineFollowReconcileCrash(feed, kind, iterations, { scheduledKills = 3 } = {}) {
  let d;
  let admin;
  let wfm;
  let dataDir;
  let src;
  const table = new Map(AGENTS.map((a) => [a, new Map()])); // agent -> start -> code

  const sqlite = (q) => sqliteOf(dataDir)(q);

  const tableRows = () => [...table.values()].reduce((n, m) => n + m.size, 0);

  /** Adds states (model and feed); a start an agent already has is left out. */
  function insert(states) {
    const fresh = states.filter(([a, t]) => !table.get(a).has(t));
    for (const [a, t, code] of fresh) {
      table.get(a).set(t, code);
    }
    feed.add(fresh);
  }

  /** New states of round k at most 50 s after its minute (share: of the agents). */
  const freshStates = (k, share) => AGENTS.filter(() => rand() < share).map((a) => [a, BASE + 2 * 3600 + k * 60 + Math.floor(rand() * 50), pick(Object.keys(CODES))]);

  /** Round k's changes: new states, late ones behind the cursor, an old state changed or gone. */
  function mutate(k) {
    const states = freshStates(k, 0.4);
    const changes = [];
    for (const a of AGENTS) {
      if (rand() < 0.1) {
        states.push([a, BASE + 600 + Math.floor(rand() * 2400), pick(Object.keys(CODES))]);
      }
      if (feed.change && rand() < 0.05 && table.get(a).size > 1) {
        const t = pick([...table.get(a).keys()].filter((x) => x < BASE + 3600));
        if (t === undefined) {
          continue;
        }
        const code = rand() < 0.5 ? pick(Object.keys(CODES).filter((c) => c !== table.get(a).get(t))) : null;
        if (code === null) {
          table.get(a).delete(t);
        } else {
          table.get(a).set(t, code);
        }
        changes.push([a, t, code]);
      }
    }
    if (changes.length > 0) {
      feed.change(changes);
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
    await feed.open();
    const first = [];
    for (const [i, a] of AGENTS.entries()) {
      for (let j = 0; j < 30; j++) { // 9,000 states: a run reads and stages for 100s of ms
        first.push([a, BASE + 3600 + j * 120 + (i % 60), pick(Object.keys(CODES))]);
      }
    }
    insert(first);
    ({ d, admin, wfm, dataDir } = await startFollowDaemon(Object.values(CODES)));
    const r = await admin.post('/api/v1/sources', feed.source('followed', { reconcile_minutes: 0 }, false));
    assertStatus(r, 201);
    src = r.body;
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: AGENTS.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
    for (const code of Object.keys(CODES)) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: CODES[code] }), 200);
    }
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
    await waitFor(async () => (await followOf(admin, src.id))?.rows_changed >= tableRows(), `the first poll staged the ${feed.what}`, 30000);
  });

  after(async () => {
    await stopFollowDaemon({ d, wfm, dataDir });
    feed.close();
  });

  test(`${iterations} kills across the reconciliations of ${kind} leave the ${feed.what}'s states, delivered once (seed ${SEED})`, { timeout: 3600000 }, async (t) => {
    // one run not killed: what a kill aims at
    let id = await reconcile();
    const t0 = Date.now();
    assert.equal((await runDone(id)).state, 'done');
    const whole = Date.now() - t0;
    const phases = { 'before the run': 0, 'query or reading': 0, 'every row read': 0, 'after the run': 0 };
    for (let k = 1; k <= iterations; k++) {
      mutate(k);
      await polled();
      const rows = tableRows();
      id = await reconcile();
      if (feed.appendsWhileRead) { // lines written while the run reads: the polls' or the next run's
        insert(freshStates(k + 0.5, 0.1));
      }
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

    assert.ok(iterations < 10 || phases['every row read'] > 0, `none of ${iterations} kills after every row was read: ${JSON.stringify(phases)}`);

    // a last run after the polls saw the feed
    await polled();
    id = await reconcile();
    assert.equal((await runDone(id)).state, 'done');
    await assertRunsDone(admin, src.id);
    assert.equal(feed.count(), tableRows());

    // the staged states are the feed's, and a fresh recomputation changes no agent day
    const want = new Set(AGENTS.flatMap((a) => [...table.get(a).entries()].map(([s, c]) => `${a}|${s}|${c}`)));
    await assertStagedExactly(admin, sqlite, src.id, want, feed.what);

    // the receiver holds the feed's states of every agent and day
    await drained(admin, 90000);
    assert.deepEqual(wfm.errors, []);
    const dayList = [...new Set([FROM, TO])];
    const diffs = AGENTS.flatMap((a) => dayList.map((day) => [a, day])).filter(([a, day]) => JSON.stringify(received(a, day)) !== JSON.stringify(expected(a, day)));
    assert.deepEqual(diffs.slice(0, 3).map(([a, day]) => ({ a, day, received: received(a, day), [feed.what]: expected(a, day) })), []);
    assertNothingLeft(sqlite);

    // a last run corrects nothing: no staged state and no agent day changes
    const staged = () => sqlite(`SELECT ext_agent, start, code FROM agent_staged WHERE source_id = ${src.id} ORDER BY 1, 2;`);
    const days = () => sqlite('SELECT agent_id, day, digest FROM agent_days ORDER BY 1, 2;');
    const [stagedBefore, daysBefore] = [staged(), days()];
    assert.equal((await runDone(await reconcile())).state, 'done');
    await drained(admin, 60000);
    assert.equal(staged(), stagedBefore);
    assert.equal(days(), daysBefore);
    assertNothingLeft(sqlite);
    t.diagnostic(`${kind}, seed ${SEED}: ${iterations} kills across reconciliations of ${tableRows()} states of ${AGENT_COUNT} agents; `
      + `kills by phase: ${JSON.stringify(phases)}; ${wfm.requests.length} WFM requests, ${wfm.duplicates()} batches received again (applied once)`);
  });

  test(`${scheduledKills} kills around the poller's queuing of a reconciliation of ${kind} leave exactly one, done, and the next due later`, { timeout: 600000, skip: scheduledKills === 0 }, async (t) => {
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
    const landed = [];
    for (let k = 0; k < scheduledKills; k++) {
      const r = await admin.post('/api/v1/sources', feed.source(`scheduled ${k}`, { reconcile_minutes: 15, reconcile_hours: 4 }, true));
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
    t.diagnostic(`${kind}: kills ${landed.join(', ')}`);
  });
}
