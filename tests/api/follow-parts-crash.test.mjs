// A poll of an incremental source stages what changed in parts, each in a transaction of its own
// with its agents' spans, their outbox and its cursor (the greatest cursor value of the part),
// so that the change feed gets SQLite's write lock between two parts. This test (real daemon,
// PostgreSQL through psqlODBC, the strict https-json receiver) makes the parts small
// (ACDL_TEST_FOLLOW_PART_STATES, a test build's setting) and ends the daemon at once, like
// kill -9, right after the second part of the first poll committed
// (ACDL_TEST_FOLLOW_EXIT_AFTER_PART): the store then holds exactly the states up to the
// stored cursor, and the cursor is the end of the second part (a cursor moved without its part,
// or a part without its cursor, fails here); an equal-timestamp group larger than a part stays
// one part. With overlap 0 a row left behind the cursor would never be read again: after the
// restart every row is staged once and the receiver holds every agent's states once, in order.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, odbcDriver } from '../lib/api.mjs';
import { followOf, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from '../lib/follow-daemon.mjs';
import { drained, waitFor } from '../lib/pipeline.mjs';
import { PG_PASSWORD, startPg } from '../lib/pg.mjs';

const STATES = ['READY', 'TALK', 'PAUSE'];
const AGENTS = 6;
const PART = 4;

let pg;
let d;
let admin;
let wfm;
let dataDir;

before(async () => {
  pg = await startPg();
  pg.psql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(3))');
  ({ d, admin, wfm, dataDir } = await startFollowDaemon(STATES.map((a) => ({ identifier: a.toLowerCase(), name: a })), {
    env: { ACDL_TEST_FOLLOW_PART_STATES: String(PART), ACDL_TEST_FOLLOW_EXIT_AFTER_PART: '2' },
  }));
});

after(async () => {
  await stopFollowDaemon({ d, wfm, dataDir });
  pg?.stop();
});

function store(sql) {
  return execFileSync('sqlite3', [path.join(dataDir, 'acdlink.db'), sql], { encoding: 'utf8' }).trim();
}

test('a crash between two parts of a poll: the cursor and what is staged agree; after the restart nothing is lost or staged twice', async () => {
  const base = pg.psql("SELECT to_char(date_trunc('minute', localtimestamp) - interval '30 minutes', 'YYYY-MM-DD HH24:MI:SS')");
  const baseS = Date.parse(`${base.replace(' ', 'T')}Z`) / 1000;
  // each agent's states at base + k minutes + a seconds (24 distinct cursor values), then all
  // six agents at one instant (a group of 6 > a part of 4)
  const rows = [];
  for (let k = 0; k < 4; k++) {
    for (let a = 0; a < AGENTS; a++) {
      rows.push({ agent: `p${a}`, state: STATES[(k + a) % 3], at: k * 60 + a });
    }
  }
  for (let a = 0; a < AGENTS; a++) {
    rows.push({ agent: `p${a}`, state: STATES[(a + 1) % 3], at: 300 });
  }
  pg.psql(`INSERT INTO ev (agent, state, started) VALUES ${rows.map((r) => `('${r.agent}', '${r.state}', timestamp '${base}' + interval '${r.at} seconds')`).join(', ')}`);
  const conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  const src = (await admin.post('/api/v1/sources', {
    name: 'parts', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD, enabled: false,
    settings: {
      odbc: { connection_string: conn, user: 'app', sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started' },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 0, reconcile_minutes: 0 },
    },
  })).body;
  assert.ok(src.id, JSON.stringify(src));
  const ids = Array.from({ length: AGENTS }, (_, a) => `p${a}`);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  for (const code of STATES) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: code.toLowerCase() }), 200);
  }
  const exited = new Promise((res) => d.proc.once('exit', (code, signal) => res(code ?? signal)));
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
  const code = await Promise.race([exited, new Promise((res) => setTimeout(() => res('still running'), 30000))]);
  assert.equal(code, 137, 'the daemon ended right after the second part of its first poll');

  // what the crash left: the first two parts (the 8 earliest rows) with the cursor at the
  // second part's end, nothing beyond it
  const sorted = [...rows].sort((x, y) => x.at - y.at);
  const cursor = Number(store(`SELECT value FROM source_follow WHERE source_id = ${src.id}`));
  assert.equal(cursor, baseS + sorted[2 * PART - 1].at, 'the cursor is the end of the second part');
  const staged = store(`SELECT ext_agent || ' ' || (start - ${baseS}) FROM agent_staged WHERE source_id = ${src.id} ORDER BY start, ext_agent`).split('\n').filter(Boolean);
  assert.deepEqual(staged, sorted.slice(0, 2 * PART).map((r) => `${r.agent} ${r.at}`), 'exactly the states up to the cursor are staged');
  assert.equal(Number(store(`SELECT rows_changed FROM source_follow WHERE source_id = ${src.id}`)), 2 * PART, 'the two parts counted their states');
  // the counts of the external ids and codes move with what was staged (by difference, in
  // the transaction of each part): each equals its staged states, and they add up to them
  const countsHold = (n, what) => {
    assert.equal(store(`SELECT count(*) FROM agent_ids i WHERE i.source_id = ${src.id} AND i.count <> (SELECT count(*) FROM agent_staged s WHERE s.source_id = i.source_id AND s.ext_agent = i.ext_agent)`), '0', `${what}: every external id's count is its staged states`);
    assert.equal(Number(store(`SELECT sum(count) FROM agent_ids WHERE source_id = ${src.id}`)), n, `${what}: the external ids' counts add up to the staged states`);
    assert.equal(store(`SELECT count(*) FROM activity_codes k WHERE k.source_id = ${src.id} AND k.count <> (SELECT count(*) FROM agent_staged s WHERE s.source_id = k.source_id AND s.code = k.code)`), '0', `${what}: every code's count is its staged states`);
  };
  countsHold(2 * PART, 'after the crash');
  // their agents' spans went into the delivery with them: the days of the two parts' agents
  // are in the agent-state feed or already sent
  const agentsOfParts = new Set(sorted.slice(0, 2 * PART).map((r) => `${r.agent}@example.com`));
  const withDays = store(`SELECT DISTINCT a.identifier FROM agent_days d JOIN wfm_agents a ON a.id = d.agent_id WHERE d.spans > 0`).split('\n').filter(Boolean);
  assert.deepEqual(withDays.filter((x) => agentsOfParts.has(x)).sort(), [...agentsOfParts].sort(), 'the parts\' agents have their days computed');

  // restarted (parts still small, no exit): the rest is read again from the cursor, every row
  // staged once, the receiver has every agent's states once and in order
  ({ d, admin } = await restartFollowDaemon(dataDir, { env: { ACDL_TEST_FOLLOW_PART_STATES: String(PART) } }));
  const total = rows.length;
  await waitFor(async () => (await followOf(admin, src.id)).rows_changed >= total, async () => `all ${total} rows: ${JSON.stringify(await followOf(admin, src.id))}`, 30000);
  await drained(admin);
  const f = await followOf(admin, src.id);
  assert.equal(f.error, null);
  assert.equal(f.rows_changed, total, 'each row was staged once');
  assert.equal(Number(store(`SELECT count(*) FROM agent_staged WHERE source_id = ${src.id}`)), total);
  countsHold(total, 'after the restart');
  assert.deepEqual(wfm.errors, []);
  assert.equal(wfm.outOfOrder(), null);
  const day = base.slice(0, 10);
  for (const a of ids) {
    const want = rows.filter((r) => r.agent === a).sort((x, y) => x.at - y.at).map((r) => r.state.toLowerCase());
    const spans = wfm.agents.get(`${a}@example.com|${day}`) || [];
    assert.deepEqual(spans.filter((s) => !s.filled).map((s) => s.activity), want, `${a}: ${JSON.stringify(spans)}`);
  }
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});
