// The change feed of https-json makes the next batch while the one before is being sent (a
// followed PostgreSQL source through psqlODBC, the strict receiver of tests/lib/wfm.mjs): the
// second batch waits behind the first, which is sent again first when its attempt times out
// (a retry of the first after the second was made) and after a kill -9 while it is in flight
// (the receiver holding it, applied, without an answer); the receiver applies every batch once
// and the newer version of an agent's day always after the older, so it ends holding every
// state of every agent in order. A batch sent out of order would leave an older day applied
// last (https-json replaces a day whole) and the test fails on it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, odbcDriver } from '../lib/api.mjs';
import { login, startDaemon } from '../lib/daemon.mjs';
import { drained, waitFor } from '../lib/pipeline.mjs';
import { PG_PASSWORD, startPg } from '../lib/pg.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
const CODES = [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']];
const AGENTS = ['h0', 'h1', 'h2'];
let d;
let admin;
let pg;
let wfm;
let dataDir;
let targetId;
let srcId;

before(async () => {
  pg = await startPg();
  pg.psql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(0))');
  wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
  dataDir = d.dataDir;
  admin = await login(d, ROOT.name, ROOT.password);
  const t = await admin.post('/api/v1/targets', { name: 'json', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile, timeout_seconds: 3 } });
  assertStatus(t, 201);
  targetId = t.body.id;
  for (const [, a] of CODES) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  const conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  const src = await admin.post('/api/v1/sources', {
    name: 'h', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD, enabled: false,
    settings: {
      odbc: { connection_string: conn, user: 'app', sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started' },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'started', poll_s: 1, overlap_s: 20, reconcile_minutes: 0 },
    },
  });
  assertStatus(src, 201);
  srcId = src.body.id;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: srcId, text: AGENTS.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  for (const [code, act] of CODES) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: srcId, code, activity: act }), 200);
  }
  assertStatus(await admin.patch(`/api/v1/sources/${srcId}`, { enabled: true }), 200);
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await wfm?.close();
  if (dataDir) {
    const fs = await import('node:fs');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  pg?.stop();
});

const written = new Map(AGENTS.map((a) => [a, []])); // agent -> [[start, activity], ...]
let step = 0;
let base = null;

/** Writes the next state of every agent (a second apart), committed as one transaction. */
function writeStates() {
  if (!base) {
    // the day's start plus the seconds since it, minus 10 minutes: one UTC day at any hour
    base = pg.psql("SELECT to_char(greatest(date_trunc('day', localtimestamp) + interval '1 minute', date_trunc('second', localtimestamp) - interval '10 minutes'), 'YYYY-MM-DD HH24:MI:SS')");
  }
  const rows = AGENTS.map((a, i) => {
    const [code, act] = CODES[(step + i) % CODES.length];
    const at = new Date(Date.parse(`${base.replace(' ', 'T')}Z`) + (step * 10 + i) * 1000).toISOString().replace('.000Z', 'Z');
    written.get(a).push([at, act]);
    return `('${a}', '${code}', timestamp '${at.replace('T', ' ').replace('Z', '')}')`;
  });
  step++;
  pg.psql(`INSERT INTO ev (agent, state, started) VALUES ${rows.join(', ')}`);
}

async function batches() {
  const r = await admin.get(`/api/v1/deliveries?limit=500&target_id=${targetId}`);
  assertStatus(r, 200);
  return r.body.items.filter((b) => b.kind === 'agent_states').sort((x, y) => x.id - y.id);
}

/** Every agent's day at the receiver: the states it was written, in order; each key applied once, older days before newer. */
function assertReceiver(what) {
  const day = written.get(AGENTS[0])[0][0].slice(0, 10);
  for (const [a, want] of written) {
    const got = (wfm.agents.get(`${a}@example.com|${day}`) || []).filter((s) => !s.filled).map((s) => [Date.parse(s.start), s.activity]);
    assert.deepEqual(got, want.map(([at, act]) => [Date.parse(at), act]), `${what}: agent ${a} at the receiver`);
  }
  // in the order the receiver applied them, an agent's day never has fewer states than before
  const seen = new Map();
  for (const b of [...wfm.batches.values()].sort((x, y) => x.order - y.order)) {
    for (const dd of b.body.days) {
      const n = dd.spans.filter((s) => !s.filled).length;
      assert.ok(n >= (seen.get(dd.agent) || 0), `${what}: a batch applied after a newer one for ${dd.agent}: ${n} states after ${seen.get(dd.agent)}`);
      seen.set(dd.agent, n);
    }
  }
  assert.deepEqual(wfm.errors, [], `${what}: the receiver's errors`);
}

/** Waits until the receiver holds as many states of every agent as were written, and the backlog is empty. */
async function arrived(what) {
  const day = written.get(AGENTS[0])[0][0].slice(0, 10);
  await waitFor(() => AGENTS.every((a) => (wfm.agents.get(`${a}@example.com|${day}`) || []).filter((x) => !x.filled).length >= written.get(a).length), `${what}: every state at the receiver`, 40000);
  await drained(admin, 30000);
}

/** Waits until a first batch is in flight (the receiver has it, no answer) and a second is made behind it. */
async function secondBehindFirst(what) {
  const before = wfm.requests.length;
  writeStates();
  await waitFor(() => wfm.requests.length > before, `${what}: the first batch at the receiver`);
  writeStates(); // changes arriving while the first is in flight
  return waitFor(async () => {
    const bs = (await batches()).filter((b) => ['pending', 'sending'].includes(b.state));
    return bs.length === 2 && bs[0].state === 'sending' && bs[1].state === 'pending' ? bs : null;
  }, async () => `${what}: a second batch made while the first is sent: ${JSON.stringify((await batches()).slice(-3))}`, 15000);
}

test('a batch made while the one before is in flight waits behind it: sent after the first\'s retry, and after a kill -9 the first is sent again before it; the receiver holds every state once, in order', async (t) => {
  writeStates();
  await arrived('at the start');
  assertReceiver('at the start');

  // the first batch's attempt times out (the receiver never answers): it is sent again, and the
  // second, made while it was in flight, only after it
  wfm.fail('timeout');
  const [first, second] = await secondBehindFirst('a timeout');
  await arrived('after a timeout');
  const all = await batches();
  const f = all.find((b) => b.id === first.id);
  const s = all.find((b) => b.id === second.id);
  assert.equal(f.state, 'acked');
  assert.equal(s.state, 'acked');
  assert.ok(f.attempts >= 2, `the first batch was sent again: ${JSON.stringify(f)}`);
  t.diagnostic(`first batch ${f.id}: ${f.attempts} attempts; second ${s.id}: ${s.attempts}`);
  assertReceiver('after a retry of the first');

  // the receiver applies the first and holds its answer; a second is made behind it; kill -9:
  // after the restart the first goes again (the same key, not applied twice), then the second
  wfm.fail('hold');
  const [held, behind] = await secondBehindFirst('a kill');
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
  d = await startDaemon({ dataDir, args: ARGS, keepDataDir: true });
  admin = await login(d, ROOT.name, ROOT.password);
  writeStates(); // and one more change after the restart
  await arrived('after the kill');
  const after = await batches();
  assert.equal(after.find((b) => b.id === held.id).state, 'acked');
  assert.equal(after.find((b) => b.id === behind.id).state, 'acked');
  const dup = [...wfm.batches.values()].filter((b) => b.count > 1).length;
  t.diagnostic(`batches the receiver saw more than once (answered, not applied again): ${dup}`);
  assert.ok(dup >= 1, 'the held batch was sent again after the kill');
  assertReceiver('after the kill');
});
