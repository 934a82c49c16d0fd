// kill -9 across the reconciliations of a live-status source (settings.live_status.history_sql)
// that every database engine must pass the same way: the test file of an engine
// (live-reconcile-crash.test.mjs: PostgreSQL through psqlODBC, live-reconcile-crash-mariadb.test.mjs:
// MariaDB through odbc-mariadb) calls defineLiveReconcileCrash with its server's start function.
// A live table of 200 agents polled every second beside a history of thousands of states, so
// that reading, staging and committing a reconciliation each take measurable time.
//
// Each round changes the history (new states no poll saw, an old state's code changed or
// deleted) and the live table (a row as the history has it, a row with the wrong code, a row
// the history never has), waits until the polls have seen the table, starts a reconciliation of
// the day by hand and kills the daemon with SIGKILL: aimed (once the run has read every row: in
// its staging transaction or after it) or at a random moment of the run. After the restart the
// interrupted run runs again; what it corrects tells where the kill landed: nothing when the
// killed one had committed, the round's corrections otherwise (a state of the history's clock
// row is new each round, so a round never has none). The kills per phase are reported.
// After the last restart and one more reconciliation: the staged states are the history's, a
// fresh recomputation of the source changes no agent day, the strict https-json receiver holds
// exactly the history's states, every run is done and a last reconciliation finds nothing to
// correct. The kills: the engine file's count (its environment variable; CI runs a few),
// CRASH_SEED=N repeats a series (scripts/crash-soak runs more).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus } from './api.mjs';
import {
  assertNothingLeft, assertRunsDone, assertStagedExactly, polled as polledApi, runDone as runDoneApi, runOf as runOfApi, seeded, sqliteOf, sqlTime,
} from './follow-crash-checks.mjs';
import { followOf, killDaemon, receivedStates, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from './follow-daemon.mjs';
import { drained, waitFor } from './pipeline.mjs';

const SEED = Number(process.env.CRASH_SEED || Math.floor(Math.random() * 100000));
const AGENT_COUNT = 200;
const FIRST_STATES = 24; // per agent, every 15 minutes from midnight: 4,800 states
const CODES = { S0: 'ready', S1: 'talk', S2: 'acw', S3: 'lunch' };
const CLOCK = 'clock'; // an agent with one new state each round, the history's newest

const { rand, pick } = seeded(SEED);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const iso = (t) => `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;

const AGENTS = [...Array.from({ length: AGENT_COUNT }, (_, i) => `a${String(i).padStart(3, '0')}`), CLOCK];
const DAY0 = Math.floor(Date.now() / 86400000) * 86400 - 86400; // yesterday, UTC
const DAY = new Date(DAY0 * 1000).toISOString().slice(0, 10);

/**
 * Defines the kill series against the server startDb starts (tests/lib/sqldb.mjs; engine names
 * it in the test's title): iterations kills (10 or more: at least one must land in a staging
 * transaction).
 */
export function defineLiveReconcileCrash(startDb, engine, iterations) {
  let db;
  let d;
  let admin;
  let wfm;
  let dataDir;
  let src;
  const history = new Map(AGENTS.map((a) => [a, new Map()])); // agent -> start -> code
  const live = new Map(); // agent -> {code, since}

  const sqlite = (q) => sqliteOf(dataDir)(q);

  const historyRows = () => [...history.values()].reduce((n, m) => n + m.size, 0);
  const latest = (a) => Math.max(...history.get(a).keys());

  /** Adds states to the history (model and table). */
  function addStates(states) {
    for (const [a, t, code] of states) {
      history.get(a).set(t, code);
    }
    for (let i = 0; i < states.length; i += 2000) {
      db.exec(`INSERT INTO agent_history VALUES ${states.slice(i, i + 2000).map(([a, t, code]) => `('${a}', '${code}', '${sqlTime(t)}')`).join(', ')};`);
    }
  }

  /** Sets live rows (model and table). */
  function setLive(rows) {
    if (rows.length === 0) {
      return;
    }
    for (const [a, code, since] of rows) {
      live.set(a, { code, since });
    }
    db.exec(rows.map(([a, code, since]) => `UPDATE agent_status SET state = '${code}', since = '${sqlTime(since)}' WHERE agent = '${a}';`).join('\n'));
  }

  /** Round k's changes: new states, corrected or deleted old ones, live rows right and wrong. */
  function mutate(k) {
    const base = DAY0 + 6 * 3600 + k * 150;
    const added = [];
    const liveRows = [];
    const fixes = [];
    for (const a of AGENTS.slice(0, AGENT_COUNT)) {
      if (rand() < 0.05) { // the ACD corrected an older state: another code, or gone
        const starts = [...history.get(a).keys()].sort((x, y) => x - y).slice(0, -1);
        if (starts.length > 0) {
          const t = pick(starts);
          if (rand() < 0.5) {
            const code = pick(Object.keys(CODES).filter((c) => c !== history.get(a).get(t)));
            history.get(a).set(t, code);
            fixes.push(`UPDATE agent_history SET state = '${code}' WHERE agent = '${a}' AND start_time = '${sqlTime(t)}';`);
          } else {
            history.get(a).delete(t);
            fixes.push(`DELETE FROM agent_history WHERE agent = '${a}' AND start_time = '${sqlTime(t)}';`);
          }
        }
      }
      if (rand() >= 0.5) {
        continue;
      }
      const offsets = [...new Set([Math.floor(rand() * 140), Math.floor(rand() * 140)])].slice(0, rand() < 0.5 ? 1 : 2).sort((x, y) => x - y);
      const mine = offsets.map((o) => [a, base + o, pick(Object.keys(CODES))]);
      added.push(...mine);
      if (rand() < 0.6) {
        const [, t, code] = mine.at(-1);
        const r = rand();
        if (r < 0.6) { // as the history has it
          liveRows.push([a, code, t]);
        } else if (r < 0.85) { // the wrong code
          liveRows.push([a, pick(Object.keys(CODES).filter((c) => c !== code)), t]);
        } else { // a state the history never has
          liveRows.push([a, pick(Object.keys(CODES)), base + 141 + Math.floor(rand() * 8)]);
        }
      }
    }
    added.push([CLOCK, base + 149, pick(Object.keys(CODES))]);
    if (fixes.length > 0) {
      db.exec(fixes.join('\n'));
    }
    addStates(added);
    setLive(liveRows);
  }

  const runOf = (id) => runOfApi(admin, id);
  const runDone = (id) => runDoneApi(admin, id);

  /**
   * A run's attempts (a run killed while it ran starts again after the restart: one start line
   * each) and its reconciliation notes (one per attempt that got that far).
   */
  async function logOf(id) {
    const log = (await admin.get(`/api/v1/runs/${id}/log?limit=500`)).body.items;
    const notes = log.filter((l) => l.code === 'run.live_reconciled').map((n) => n.params);
    assert.ok(notes.length > 0, JSON.stringify(log.map((l) => l.message)));
    return { attempts: log.filter((l) => l.code === 'run.agent_import_start').length, notes };
  }

  /** The last reconciliation note of a run. */
  const reconciled = async (id) => (await logOf(id)).notes.at(-1);

  /** Waits until two polls began after now (the table's changes seen). */
  const polled = () => polledApi(admin, src.id);

  async function reconcile() {
    const c = await admin.post('/api/v1/runs', { source_id: src.id, from: DAY, to: DAY });
    assertStatus(c, 202);
    return c.body.id;
  }

  const received = (a) => receivedStates(wfm, `${a}@example.com`);

  /** The history's states of an agent as the receiver should hold them. */
  function expected(a) {
    const starts = [...history.get(a).keys()].sort((x, y) => x - y);
    const out = [];
    starts.forEach((t, i) => {
      const act = CODES[history.get(a).get(t)];
      const end = i + 1 < starts.length ? iso(starts[i + 1]) : null;
      const prev = out[out.length - 1];
      if (prev && prev[0] === act && prev[2] === iso(t)) {
        prev[2] = end;
      } else {
        out.push([act, iso(t), end]);
      }
    });
    return out;
  }

  before(async () => {
    db = await startDb();
    db.exec(`CREATE TABLE agent_status (agent VARCHAR(16) NOT NULL PRIMARY KEY, state VARCHAR(16), since TIMESTAMP NULL);
      CREATE TABLE agent_history (agent VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL, start_time TIMESTAMP NOT NULL);
      CREATE INDEX agent_history_start ON agent_history (start_time);`);
    const first = [];
    for (const [i, a] of AGENTS.slice(0, AGENT_COUNT).entries()) {
      for (let j = 0; j < FIRST_STATES; j++) {
        first.push([a, DAY0 + j * 900 + (i % 60), pick(Object.keys(CODES))]);
      }
    }
    first.push([CLOCK, DAY0 + 6 * 3600, 'S0']);
    addStates(first);
    db.exec(`INSERT INTO agent_status VALUES ${AGENTS.slice(0, AGENT_COUNT).map((a) => `('${a}', NULL, NULL)`).join(', ')};`);
    setLive(AGENTS.slice(0, AGENT_COUNT).map((a) => [a, history.get(a).get(latest(a)), latest(a)]));
    ({ d, admin, wfm, dataDir } = await startFollowDaemon(Object.values(CODES)));
    const body = {
      name: 'live', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password, enabled: false,
      settings: {
        odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, since FROM agent_status' },
        live_status: {
          agent_column: 'agent', state_column: 'state', since_column: 'since', poll_s: 1, reconcile_minutes: 0,
          history_sql: 'SELECT agent, state, start_time FROM agent_history WHERE start_time >= :since AND start_time < :until ORDER BY agent, start_time',
        },
      },
    };
    const r = await admin.post('/api/v1/sources', body);
    assertStatus(r, 201);
    src = r.body;
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: AGENTS.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
    for (const [code, act] of Object.entries(CODES)) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
    }
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
    await waitFor(async () => (await followOf(admin, src.id))?.agents === AGENT_COUNT, 'the live table read', 30000);
  });

  after(async () => {
    await stopFollowDaemon({ d, wfm, dataDir });
    db?.stop();
  });

  test(`${iterations} kills across reconciliations of ${AGENT_COUNT} agents on ${engine} leave the history's states, delivered once (seed ${SEED})`, { timeout: 3600000 }, async (t) => {
    // the first reconciliation, not killed: every state but the live rows' added; it and an
    // ordinary round give the times a kill aims at
    const timing = async (id) => {
      const t0 = Date.now();
      let read = 0;
      for (;;) {
        const x = await runOf(id);
        if (!read && x.counts.rows_read >= historyRows()) {
          read = Date.now();
        }
        if (['done', 'failed'].includes(x.state)) {
          assert.equal(x.state, 'done', JSON.stringify(x));
          return { read: (read || Date.now()) - t0, rest: Date.now() - (read || Date.now()) };
        }
        await sleep(5);
      }
    };
    let id = await reconcile();
    const warm = await timing(id);
    assert.deepEqual(await reconciled(id), { rows: historyRows(), added: historyRows() - AGENT_COUNT, changed: 0, removed: 0, kept: 0, newest: sqlTime(DAY0 + 6 * 3600) });
    mutate(0);
    await polled();
    id = await reconcile();
    const round = await timing(id);
    // what the kills aim at: the longer of the two (the machine's load varies)
    const staging = Math.max(warm.rest, round.rest);
    const whole = Math.max(warm.read + warm.rest, round.read + round.rest);
    t.diagnostic(`the first reconciliation (${historyRows()} rows): ${warm.read} ms to read, ${warm.rest} ms to stage, commit and finish; `
      + `a round's: ${round.read} ms and ${round.rest} ms`);

    const phases = { 'before the run': 0, 'query or reading': 0, 'staging or commit': 0, 'after the commit': 0, 'after the run': 0 };
    const corrected = { added: 0, changed: 0, removed: 0 };
    for (let k = 1; k <= iterations; k++) {
      mutate(k);
      await polled();
      const rows = historyRows();
      id = await reconcile();
      let look; // the run as last seen before the kill
      if (rand() < 0.6) { // aimed: once every row is read, in the staging transaction or after it
        const deadline = Date.now() + 60000;
        do { // as often as the daemon answers: staging takes 50-450 ms
          look = await runOf(id);
        } while (look.counts.rows_read < rows && look.state !== 'done' && Date.now() < deadline);
        await sleep(rand() < 0.5 ? 0 : Math.floor(rand() * staging * 0.3));
      } else {
        await sleep(Math.floor(rand() * whole * 0.7));
        look = await runOf(id);
      }
      await killDaemon(d);
      ({ d, admin } = await restartFollowDaemon(dataDir));
      const again = await runDone(id);
      assert.equal(again.state, 'done', JSON.stringify(again));
      const { attempts, notes } = await logOf(id);
      const note = notes.at(-1);
      assert.equal(note.rows, rows, JSON.stringify(note));
      const fixes = note.added + note.changed + note.removed;
      // one attempt: the run had ended before the kill (or not begun); two: it ran again, and
      // found nothing to correct when the killed one had committed
      assert.ok(attempts === 1 || attempts === 2, `attempts ${attempts}`);
      assert.ok(notes.length === 1 || fixes === 0, `a run killed after its note corrected again: ${JSON.stringify(notes)}`);
      const phase = attempts === 1
        ? (look.state === 'done' || look.counts.rows_read >= rows ? 'after the run' : 'before the run')
        : fixes === 0 ? 'after the commit'
          : look.counts.rows_read >= rows ? 'staging or commit' : 'query or reading';
      phases[phase]++;
      if (fixes > 0) {
        corrected.added += note.added;
        corrected.changed += note.changed;
        corrected.removed += note.removed;
      }
      if (rand() < 0.5) {
        await drained(admin, 60000);
      }
    }

    // the last reconciliation after the polls saw the table, and one more that finds nothing
    await polled();
    id = await reconcile();
    assert.equal((await runDone(id)).state, 'done');
    id = await reconcile();
    assert.equal((await runDone(id)).state, 'done');
    assert.deepEqual(await reconciled(id), { rows: historyRows(), added: 0, changed: 0, removed: 0, kept: 0, newest: sqlTime(latest(CLOCK)) });
    await assertRunsDone(admin, src.id);
    assert.equal(db.query('SELECT count(*) FROM agent_history'), String(historyRows()));

    // the staged states are the history's, and a fresh recomputation changes no agent day
    const want = new Set(AGENTS.flatMap((a) => [...history.get(a).entries()].map(([s, c]) => `${a}|${s}|${c}`)));
    await assertStagedExactly(admin, sqlite, src.id, want, 'history');

    // the receiver holds exactly the history's states
    await drained(admin, 90000);
    assert.deepEqual(wfm.errors, []);
    const diffs = AGENTS.filter((a) => JSON.stringify(received(a)) !== JSON.stringify(expected(a)));
    assert.deepEqual(diffs.slice(0, 5).map((a) => ({ a, received: received(a), history: expected(a) })), []);
    assertNothingLeft(sqlite);
    t.diagnostic(`${engine}, seed ${SEED}: ${iterations} kills across reconciliations of ${historyRows()} states of ${AGENTS.length} agents; `
      + `kills by phase: ${JSON.stringify(phases)}; corrections made after a restart: ${JSON.stringify(corrected)}; `
      + `${wfm.requests.length} WFM requests, ${wfm.duplicates()} batches received again (applied once)`);
    if (iterations >= 10) {
      assert.ok(phases['staging or commit'] > 0, `no kill landed in a staging transaction: ${JSON.stringify(phases)}`);
    }
  });
}
