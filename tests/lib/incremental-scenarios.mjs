// Incremental agent-state sources (settings.incremental) that every database engine must pass
// the same way: the test file of an engine (agent-states-follow.test.mjs: PostgreSQL through
// psqlODBC, agent-states-follow-mariadb.test.mjs: MariaDB through odbc-mariadb) calls
// defineIncrementalScenarios(start) with a server start of tests/lib/sqldb.mjs.
//
// A writer process (the engine's own client, one session, every insert committed on its own)
// inserts agents' states while the daemon polls the table every second (timestamp cursor,
// overlap 20 s, at most 5 new states staged a poll, so most polls are bounded); the daemon is killed with SIGKILL while rows arrive and again once they were
// staged: each row is staged once whatever the kills, the strict https-json receiver ends with
// every agent's states once and in the order written and never sees an agent's states taken
// back or reordered, and the live board shows each agent's latest state that has begun.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertStatus } from './api.mjs';
import { followOf, killDaemon, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from './follow-daemon.mjs';
import { drained, waitFor } from './pipeline.mjs';

const STATES = ['READY', 'TALK', 'PAUSE'];

// What differs between the engines: the table's id column and timestamp type, the database's
// clock as text, a timestamp literal plus seconds, and a pause of the writer.
const DIALECTS = {
  postgresql: {
    table: 'CREATE TABLE ev_w (id bigserial PRIMARY KEY, agent varchar(16), state varchar(16), started timestamp(3))',
    base: "SELECT to_char(date_trunc('minute', localtimestamp) - interval '30 minutes', 'YYYY-MM-DD HH24:MI:SS')",
    at: (base, s) => `timestamp '${base}' + interval '${s} seconds'`,
    sleep: (s) => `SELECT pg_sleep(${s});`,
  },
  mariadb: {
    table: 'CREATE TABLE ev_w (id bigint AUTO_INCREMENT PRIMARY KEY, agent varchar(16), state varchar(16), started datetime(3))',
    base: "SELECT DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL 30 MINUTE, '%Y-%m-%d %H:%i:00')",
    at: (base, s) => `TIMESTAMP '${base}' + INTERVAL ${s} SECOND`,
    sleep: (s) => `DO SLEEP(${s});`,
  },
};

/** Registers the scenarios; start() resolves with a server of tests/lib/sqldb.mjs. */
export function defineIncrementalScenarios(start) {
  let db;
  let dialect;
  let d;
  let admin;
  let wfm;
  let dataDir;

  const follow = (id) => followOf(admin, id);

  async function killAndRestart() {
    await killDaemon(d);
    ({ d, admin } = await restartFollowDaemon(dataDir));
  }

  before(async () => {
    db = await start();
    dialect = DIALECTS[db.engine];
    db.exec(`${dialect.table};`);
    ({ d, admin, wfm, dataDir } = await startFollowDaemon(STATES.map((a) => ({ identifier: a.toLowerCase(), name: a }))));
  });

  after(async () => {
    await stopFollowDaemon({ d, wfm, dataDir });
    db?.stop();
  });

  test('a writer inserts while the daemon polls; a kill -9 between and during polls changes no count; the receiver gets every state once, in order', async () => {
    const AGENTS = 12;
    const PER = 12;
    const src = (await admin.post('/api/v1/sources', {
      name: 'writer', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password,
      settings: {
        odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, started FROM ev_w WHERE started >= :since AND started < :until ORDER BY started' },
        agent_states: { span: 'start_only' },
        // at most 5 new states a poll (or a quarter of what it read beyond the cursor): the
        // kills also hit bounded polls and the catch-up polls right after them
        incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 20, reconcile_minutes: 0, max_states_per_poll: 5 },
      },
    })).body;
    assert.ok(src.id, JSON.stringify(src));
    const ids = Array.from({ length: AGENTS }, (_, i) => `w${i}`);
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
    for (const code of STATES) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: code.toLowerCase() }), 200);
    }
    // the writer: one client session committing one change at a time, each agent's states one
    // second apart from a base in the database's clock
    const base = db.query(dialect.base);
    const expected = new Map();
    const script = [];
    for (let k = 0; k < PER; k++) {
      for (let a = 0; a < AGENTS; a++) {
        const state = STATES[(k + a) % 3];
        script.push(`INSERT INTO ev_w (agent, state, started) VALUES ('w${a}', '${state}', ${dialect.at(base, k * 60 + a)});`, dialect.sleep(0.02));
        if (!expected.has(`w${a}`)) {
          expected.set(`w${a}`, []);
        }
        expected.get(`w${a}`).push(state.toLowerCase());
      }
    }
    const [bin, args] = db.client;
    const writer = spawn(bin, args, { stdio: ['pipe', 'ignore', 'inherit'] });
    const writerDone = new Promise((res) => writer.once('exit', res));
    const half = script.length / 2;
    writer.stdin.write(`${script.slice(0, half).join('\n')}\n`);
    // kill -9 while rows arrive (between or during polls), then again once they were staged
    await waitFor(async () => (await follow(src.id))?.rows_changed > 10, 'the first rows staged');
    await killAndRestart();
    writer.stdin.end(`${script.slice(half).join('\n')}\n`);
    assert.equal(await writerDone, 0, 'the writer ran every statement');
    const total = AGENTS * PER;
    await waitFor(async () => (await follow(src.id)).rows_changed >= total, async () => `all ${total} rows: ${JSON.stringify(await follow(src.id))}`, 30000);
    await killAndRestart();
    await waitFor(async () => (await follow(src.id)).polls >= 2, 'polls after the restart');
    await drained(admin);
    assert.deepEqual(wfm.errors, []);
    const f = await follow(src.id);
    assert.equal(f.error, null);
    assert.equal(f.rows_changed, total, 'each row was staged once, whatever the kills');
    const day = base.slice(0, 10);
    // what the receiver holds: every agent's states once, as written
    for (const a of ids) {
      const spans = wfm.agents.get(`${a}@example.com|${day}`) || [];
      assert.deepEqual(spans.filter((s) => !s.filled).map((s) => s.activity), expected.get(a), `${a}: ${JSON.stringify(spans)}`);
    }
    // in order: each day an agent was sent extends what it was sent before (never a state
    // before one it already had, never one taken back)
    assert.equal(wfm.outOfOrder(), null);
    // the live board shows each agent's latest state that has begun, as the polls staged it
    const live = await admin.get('/api/v1/agents/live');
    assertStatus(live, 200);
    const served = Date.parse(live.headers.date) / 1000;
    const acts = new Map(live.body.activities.map((x) => [x.id, x.identifier]));
    for (let a = 0; a < AGENTS; a++) {
      const row = live.body.agents.find((x) => x.agent === `w${a}@example.com`);
      let want = ['no_state', null, null, undefined];
      for (let k = 0; k < PER; k++) {
        const startS = Date.parse(`${base.replace(' ', 'T')}Z`) / 1000 + k * 60 + a;
        if (startS <= served) {
          const code = STATES[(k + a) % 3];
          want = ['in_state', code, new Date(startS * 1000).toISOString().replace('.000Z', 'Z'), code.toLowerCase()];
        }
      }
      assert.deepEqual([row?.status, row?.code, row?.since, acts.get(row?.activity_id)], want, `w${a} on the live board`);
    }
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  });
}
