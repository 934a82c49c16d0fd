// injixo-api agent statuses of a long day (daemon/upload/outbox.c, keep_plan and keep_diff): a
// followed source (PostgreSQL through psqlODBC) gives one agent a day of 520 states, many parts
// of its list; then new states, late rows early in the day (in its third part), a batch refused
// for good, a kill -9 while a batch waits for its answer, a resend of the day and random late
// rows and new states. After every change the batch the strict receiver accepted carries
// exactly the spans of the daemon's day that differ from what the receiver held before it
// (start, end and activity; a resend: every span), in start order, and the receiver then holds
// the daemon's day. A comparison that began at a later part than the one holding the change
// would miss the changed spans; one from an earlier part (or the whole day) would send spans
// the receiver holds: both fail here. The diagnostic gives a digest of every body sent, refused
// ones too, with the times counted from the day's first state, so that two binaries can be
// compared for the same bodies.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, odbcDriver } from '../lib/api.mjs';
import { daemonSpans, injixoSpans, waitFor } from '../lib/pipeline.mjs';
import { addS, dbDayTime, followedPgSource, startPg } from '../lib/pg.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
const CODES = [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause'], ['HOLD', 'hold']];
const STATES = 520;
let d;
let admin;
let pg;
let injixo;
let dataDir;
let conn;
let target;

const sql = (text) => pg.psql(text);

before(async () => {
  pg = await startPg();
  sql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(0))');
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  injixo = await startWfm({ kind: 'injixo' });
  injixo.keepRaw = true;
  d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
  dataDir = d.dataDir;
  admin = await login(d, ROOT.name, ROOT.password);
  for (const [, a] of CODES) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  const r = await admin.post('/api/v1/targets', {
    name: 'injixo', connector: 'injixo-api', secret: injixo.apiKey,
    settings: { base_url: injixo.baseUrl, integration_configuration_id: injixo.icid, ca_file: injixo.pki.caFile },
  });
  assertStatus(r, 201);
  target = r.body.id;
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await injixo?.close();
  if (dataDir) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  pg?.stop();
});

async function backlogOf() {
  return (await admin.get('/api/v1/backlog')).body.targets.find((y) => y.target_id === target);
}

/** Waits until the target has nothing queued, pending or being sent, three looks in a row. */
async function settled() {
  let quiet = 0;
  await waitFor(async () => {
    const x = await backlogOf();
    quiet = x && x.queued === 0 && x.pending === 0 && x.sending === 0 ? quiet + 1 : 0;
    return quiet >= 3;
  }, 'an empty backlog at injixo');
}

async function failedCount() {
  const r = await admin.get(`/api/v1/deliveries?limit=500&target_id=${target}&state=failed`);
  assertStatus(r, 200);
  return r.body.items.filter((b) => b.kind === 'agent_states').length;
}

test('a long day: after each change, a late row early in the day too, injixo-api gets exactly the spans that differ from what it accepted; a refusal, a kill -9 and a resend change none of it', async (t) => {
  const t0 = dbDayTime(pg, -60 * 60, 60 * 60);
  const t0s = Date.parse(`${t0.replace(' ', 'T')}Z`) / 1000;
  const day = t0.slice(0, 10);
  const agent = 'g1@example.com';
  const at = (s) => `timestamp '${t0}' + interval '${s} seconds'`;
  const code = (g) => CODES[g % 7 === 6 ? 3 : g % 3][0];
  const db = (q) => {
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  // state g at 4 g seconds, every seventh on hold
  sql(`INSERT INTO ev (agent, state, started) VALUES ${Array.from({ length: STATES }, (_, g) => `('g1', '${code(g)}', ${at(4 * g)})`).join(', ')}`);
  const src = await followedPgSource(admin, { name: 'g1', conn, agents: ['g1'], codes: CODES, overlapS: 7200, where: 'agent = \'g1\'' });
  await waitFor(() => injixoSpans(injixo, agent).length === STATES, () => `the long day at injixo: ${injixoSpans(injixo, agent).length} spans held`, 60000);
  await settled();
  assert.deepEqual(injixoSpans(injixo, agent), await daemonSpans(admin, agent, day));
  const agentId = db(`SELECT id FROM wfm_agents WHERE identifier = '${agent}'`);
  const parts = () => db(`SELECT spans_before, first_start FROM agent_day_parts WHERE agent_id = ${agentId} AND day = '${day}' ORDER BY part`)
    .split('\n').map((l) => l.split('|').map(Number));
  assert.ok(parts().length >= 10, `the day's parts: ${JSON.stringify(parts())}`);

  // what a body carries, the times counted from t0 (the same for every run)
  const rel = (iso) => (iso === undefined ? null : Date.parse(iso) / 1000 - t0s);
  const bodies = [];
  const note = (body) => bodies.push(body.data.map((s) => [s.agentIdentifier, rel(s.startTime), rel(s.endTime), s.activityIdentifier]));
  let asked = injixo.requests.length;
  const sentSince = () => {
    const rs = injixo.requests.slice(asked).filter((r) => r.body && r.url === '/external-systems/agent-statuses');
    asked = injixo.requests.length;
    return rs;
  };
  sentSince();

  /** One change: the batches accepted after it carry exactly the spans that differ from what the
   * receiver held before it (every span with whole), and the receiver then holds the day. */
  let steps = 0;
  const step = async (what, change, { whole = false } = {}) => {
    const before = new Map(injixoSpans(injixo, agent).map((s) => [s[0], JSON.stringify(s)]));
    const keys = new Set(injixo.batches.keys());
    const fresh = () => [...injixo.batches.entries()].filter(([k]) => !keys.has(k)).map(([, b]) => b);
    await change();
    await waitFor(() => fresh().length > 0, () => `${what}: a batch at injixo (errors ${JSON.stringify(injixo.errors)})`);
    await settled();
    const now = await daemonSpans(admin, agent, day);
    const want = whole ? now : now.filter((s) => before.get(s[0]) !== JSON.stringify(s));
    const got = fresh().flatMap((b) => b.body.data.map((s) => [s.startTime, s.endTime ?? null, s.activityIdentifier]));
    assert.ok(want.length > 0, `${what}: a change`);
    assert.deepEqual(got, want, `${what}: the spans that differ from what the receiver held`);
    const h = injixoSpans(injixo, agent);
    const i0 = h.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(now[i]));
    assert.deepEqual(h, now, `${what}: the receiver holds the daemon's day; from ${i0}: held ${JSON.stringify(h.slice(i0 - 2, i0 + 3))}, daemon ${JSON.stringify(now.slice(i0 - 2, i0 + 3))}, got ${JSON.stringify(got)}, before ${JSON.stringify([...before.values()].slice(i0 - 2, i0 + 3))}`);
    assert.deepEqual(injixo.errors, [], what);
    for (const r of sentSince()) {
      note(r.body);
    }
    steps++;
  };
  // a state other than those around it (the one before would change nothing, the one after
  // would merge with it, and injixo-api is not told of a span that is gone)
  const insert = (s, c) => {
    const near = sql(`(SELECT state FROM ev WHERE agent = 'g1' AND started < ${at(s)} ORDER BY started DESC LIMIT 1) UNION ALL (SELECT state FROM ev WHERE agent = 'g1' AND started > ${at(s)} ORDER BY started LIMIT 1)`).split('\n');
    let k = CODES.findIndex(([x]) => x === c);
    while (near.includes(CODES[k][0])) {
      k = (k + 1) % CODES.length;
    }
    sql(`INSERT INTO ev (agent, state, started) VALUES ('g1', '${CODES[k][0]}', ${at(s)})`);
  };
  let end = 4 * STATES;

  // a new state: the one that ended and the new one
  await step('a new state', () => insert(end += 4, 'READY'));
  // a late row in the third part: the state it shortens and the new one, nothing else
  const [, first2] = parts()[2];
  const late = first2 - t0s + 6;
  assert.ok(late > 0 && late % 4 !== 0, `a late row inside a state: ${late}`);
  await step('a late row in the third part', () => insert(late, 'HOLD'));
  // one in the first part
  await step('a late row in the first part', () => insert(9, 'TALK'));

  // a batch refused for good: the receiver keeps what it held, so the next change carries the
  // refused spans too (computed against what the receiver accepted)
  const failed = await failedCount();
  injixo.fail('400');
  insert(4 * 40 + 2, 'PAUSE');
  await waitFor(async () => (await failedCount()) > failed, 'the refused batch among the deliveries');
  await settled();
  for (const r of sentSince()) {
    note(r.body);
  }
  await step('a late row after the refused one', () => insert(4 * 300 + 3, 'READY'));

  // a kill -9 while a late row's batch waits for its answer: sent again with its key after the
  // restart, and the next change is computed against the basis that batch made
  injixo.fail('timeout');
  const waiting = injixo.requests.length;
  await step('a late row across a kill -9', async () => {
    insert(4 * 120 + 1, 'TALK');
    await waitFor(() => injixo.requests.slice(waiting).some((r) => r.mode === 'timeout'), 'the batch at injixo (no answer)');
    d.proc.kill('SIGKILL');
    await new Promise((res) => d.proc.once('exit', res));
    d = await startDaemon({ dataDir, args: ARGS });
    admin = await login(d, ROOT.name, ROOT.password);
  });
  await step('a late row after the restart', () => insert(4 * 121 + 2, 'PAUSE'));

  // a resend of the day: every span, then changes against what it gave
  await step('a resend of the day', async () => {
    assertStatus(await admin.post(`/api/v1/targets/${target}/resend`, { from: day, to: day, products: ['agent_states'] }), 201);
  }, { whole: true });
  await step('a late row after the resend', () => insert(4 * 200 + 1, 'READY'));

  // random late rows (anywhere in the day) and new states
  let rnd = 4242;
  const rand = (n) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  for (let round = 0; round < 10; round++) {
    const isLate = rand(3) > 0;
    const s = isLate ? 4 * rand(STATES) + 1 + rand(3) : (end += 4);
    const c = CODES[rand(4)][0];
    const taken = sql(`SELECT count(*) FROM ev WHERE agent = 'g1' AND started = ${at(s)}`);
    if (taken !== '0') {
      continue;
    }
    await step(`round ${round}: ${isLate ? 'a late row' : 'a new state'} at ${s} s`, () => insert(s, c));
  }
  const digest = crypto.createHash('sha256').update(JSON.stringify(bodies)).digest('hex');
  t.diagnostic(`${steps} changes checked, ${bodies.length} bodies sent (${bodies.map((b) => b.length).join(', ')} spans); their digest ${digest}`);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});
