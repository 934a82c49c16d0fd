// A followed source's connection (settings.incremental) against a real PostgreSQL through
// psqlODBC: one connection kept open across polls (not idle inside a transaction), a state
// changed in place inside the overlap staged although the overlap's other rows are skipped, a
// PostgreSQL restart in the middle survived (the failure logged once, one new connection,
// nothing lost), and the connection closed when the source is disabled.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, odbcDriver } from '../lib/api.mjs';
import { waitFor } from '../lib/pipeline.mjs';
import { PG_PASSWORD, startPg } from '../lib/pg.mjs';

let d;
let admin;
let pg;
let src;

const sql = (text) => pg.psql(text);

/** The daemon's sessions on the server (over TCP; psql here uses the socket). */
const sessions = () => sql("SELECT pid, state FROM pg_stat_activity WHERE backend_type = 'client backend' AND client_addr IS NOT NULL ORDER BY pid")
  .split('\n').filter(Boolean).map((l) => { const [pid, state] = l.split('|'); return { pid: Number(pid), state }; });

const logLines = (what) => d.stderr().split('\n').filter((l) => l.includes(`source ${src.id}: ${what}`));

async function follow() {
  const r = await admin.get(`/api/v1/sources/${src.id}`);
  assertStatus(r, 200);
  return r.body.follow;
}

async function states(agent) {
  const day = sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')");
  const r = await admin.get(`/api/v1/agent-states?agent=${agent}%40example.com&from=${day}&to=${day}`);
  assertStatus(r, 200);
  const dd = r.body.days.find((x) => x.day === day);
  return dd ? dd.spans.filter((s) => s.activity !== 'logged_out').map((s) => s.activity) : [];
}

before(async () => {
  pg = await startPg();
  sql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(0))');
  d = await startDaemon({ users: [ROOT] });
  admin = await login(d, ROOT.name, ROOT.password);
  for (const a of ['ready', 'talk', 'pause']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  const conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  const r = await admin.post('/api/v1/sources', {
    name: 'followed', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD,
    settings: {
      odbc: { connection_string: conn, user: 'app', sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started' },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 600, reconcile_minutes: 0 },
    },
  });
  assertStatus(r, 201);
  src = r.body;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'a1;a1@example.com\na2;a2@example.com' }), 200);
  for (const c of ['READY', 'TALK', 'PAUSE']) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: c, activity: c.toLowerCase() }), 200);
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  pg?.stop();
});

test('polls keep one connection open, outside any transaction, and stage a state changed inside the overlap', async () => {
  sql("INSERT INTO ev (agent, state, started) SELECT 'a1', s, now() AT TIME ZONE 'UTC' - make_interval(secs => 100 - i * 10) FROM unnest(ARRAY['READY', 'TALK', 'READY']) WITH ORDINALITY AS t(s, i)");
  await waitFor(async () => (await follow())?.rows_changed === 3, 'three states staged');
  const first = sessions();
  assert.equal(first.length, 1, JSON.stringify(first));
  const polls = (await follow()).polls;
  await waitFor(async () => (await follow()).polls >= polls + 4, 'four more polls');
  const later = sessions();
  assert.deepEqual(later.map((s) => s.pid), first.map((s) => s.pid), 'the same session across polls');
  assert.notEqual(later[0].state, 'idle in transaction');
  assert.equal(logLines('connected to').length, 1, d.stderr().slice(-3000));
  // the overlap is read again each poll; a row changed in place (same agent and start, the
  // cursor unmoved) must still be staged
  assert.deepEqual(await states('a1'), ['ready', 'talk', 'ready']);
  sql("UPDATE ev SET state = 'PAUSE' WHERE agent = 'a1' AND state = 'TALK'");
  await waitFor(async () => (await states('a1')).join() === 'ready,pause,ready', async () => `the changed state: ${await states('a1')}`);
});

test('a PostgreSQL restart between polls is logged once and survived with one new connection', async () => {
  const bin = path.dirname(pg.bin);
  const asOwner = process.getuid() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')]] : [path.join(bin, 'pg_ctl'), []];
  execFileSync(asOwner[0], [...asOwner[1], '-D', path.join(pg.dir, 'data'), '-m', 'fast', '-w', '-t', '30', 'restart', '-l', path.join(pg.dir, 'pg.log')], { stdio: 'ignore' });
  sql("INSERT INTO ev (agent, state, started) VALUES ('a2', 'TALK', now() AT TIME ZONE 'UTC' - interval '5 seconds')");
  await waitFor(async () => (await states('a2')).join() === 'talk', 'the row written after the restart', 60000);
  await waitFor(() => logLines('polls work again').length === 1, 'the recovery logged');
  assert.equal(logLines('poll failed').length, 1, d.stderr().slice(-3000));
  assert.equal(logLines('connected to').length, 2, d.stderr().slice(-3000));
  assert.equal((await follow()).failing_since, null);
  assert.equal(sessions().length, 1);
  assert.deepEqual(await states('a1'), ['ready', 'pause', 'ready']);
});

test('disabling the source closes its connection', async () => {
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  await waitFor(() => sessions().length === 0, 'no session of the daemon');
  await waitFor(() => logLines('no longer followed').length === 1, 'the closing logged');
  assert.ok(fs.existsSync(d.dataDir));
});
