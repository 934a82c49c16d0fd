// https-json with agent_days "changes" (docs/https-json.md): a followed source (PostgreSQL
// through psqlODBC) changes agents' days again and again; a day the receiver holds comes as its
// changed tail (a version 2 batch, the day with `from`), the first time, after a batch refused
// for good and after a settings change whole; changes made while the receiver is down coalesce
// into one part from their earliest changed point; a kill -9 while a batch waits for its answer
// sends the same body with the same key again, applied once. The strict receiver applies the
// parts as documented and refuses malformed ones; after every batch it holds the daemon's days.
// A long day's part is found by the states of the day's list parts (a late row sends from the
// start of the part it falls in), a rename sends the day whole, and random late rows and new
// states leave the receiver with the daemon's day after every batch.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertInvalidField, assertStatus, odbcDriver } from '../lib/api.mjs';
import { diffAgentDays, waitFor } from '../lib/pipeline.mjs';
import { addS, dbDayTime, followedPgSource, startPg } from '../lib/pg.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
const CODES = [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']];
let d;
let admin;
let pg;
let json;
let dataDir;
let conn;
let target;

const sql = (text) => pg.psql(text);

async function restart() {
  d = await startDaemon({ dataDir, args: ARGS });
  admin = await login(d, ROOT.name, ROOT.password);
}

before(async () => {
  pg = await startPg();
  sql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(0))');
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  json = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  json.keepRaw = true;
  d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
  dataDir = d.dataDir;
  admin = await login(d, ROOT.name, ROOT.password);
  for (const a of ['ready', 'talk', 'pause']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await json?.close();
  if (dataDir) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  pg?.stop();
});

test('agent_days is whole or changes, anything else refused at its field with a code', async () => {
  const bad = await admin.post('/api/v1/targets', { name: 'x', connector: 'https-json', settings: { url: json.url, agent_days: 'half' } });
  assertInvalidField(bad, 'agent_days');
  assert.equal(bad.body.error.params?.why_code, 'val.agent_days', JSON.stringify(bad.body));
  const r = await admin.post('/api/v1/targets', { name: 'json', connector: 'https-json', secret: 'tok', settings: { url: json.url, ca_file: json.pki.caFile } });
  assertStatus(r, 201);
  assert.equal(r.body.settings.agent_days, 'whole', 'the default keeps the whole-day format');
  target = r.body.id;
  assertStatus(await admin.patch(`/api/v1/targets/${target}`, { settings: { url: json.url, ca_file: json.pki.caFile, agent_days: 'changes' } }), 200);
});

async function backlogOf() {
  return (await admin.get('/api/v1/backlog')).body.targets.find((y) => y.target_id === target);
}

/** Waits until the target has nothing pending or being sent and its feed has caught up. */
async function settled() {
  let quiet = 0;
  await waitFor(async () => {
    const x = await backlogOf();
    quiet = x && x.queued === 0 && x.pending === 0 && x.sending === 0 ? quiet + 1 : 0;
    return quiet >= 3; // three looks in a row: a poll may be about to stage a change
  }, 'an empty backlog at https-json');
}

/** The daemon's states of an agent's day (filled holes not counted). */
async function daemonStates(identifier, day) {
  const a = (await admin.get('/api/v1/agents?limit=500')).body.items.find((x) => x.identifier === identifier);
  const r = await admin.get(`/api/v1/agent-states?agent=${a.id}&from=${day}&to=${day}`);
  assertStatus(r, 200);
  return (r.body.days.find((x) => x.day === day)?.spans || []).filter((s) => !s.filled).length;
}

/** The batches the receiver applied since `from` (a count of batches), in order. */
const appliedSince = (from) => [...json.batches.values()].sort((p, q) => p.order - q.order).slice(from);

/** Waits until a batch after the first `from` holds the day of agent with `k` states (not
 * counting filled holes) and checks that the receiver then holds the daemon's days. A new
 * source's first poll and its whole day may take longer on a loaded machine: timeoutMs. */
async function arrives(agent, day, k, what, timeoutMs = 20000) {
  await waitFor(() => (json.agents.get(`${agent}|${day}`) || []).filter((s) => !s.filled).length === k,
    async () => `${what}: the receiver holds ${JSON.stringify(json.agents.get(`${agent}|${day}`))}, refused ${JSON.stringify(json.errors)}; the daemon has ${JSON.stringify(await diffAgentDays(admin, json, [day]))}`, timeoutMs);
  await settled();
  assert.deepEqual(await diffAgentDays(admin, json, [day]), [], what);
  assert.deepEqual(json.errors, [], what);
}

test('changes: a held day comes as its changed tail, whole when not held, after a refusal or a settings change; coalesced changes from their earliest point; a kill -9 before the answer repeats the same body once', async (t) => {
  const t0 = dbDayTime(pg, -10 * 60, 20 * 60);
  const day = t0.slice(0, 10);
  const at = (k) => `timestamp '${t0}' + interval '${Math.round(k * 60)} seconds'`;
  // a state in the middle of the day gets a code of its own (the same as the one before would
  // only continue that one)
  const insert = (agent, k, code = CODES[k % 3][0]) => sql(`INSERT INTO ev (agent, state, started) VALUES ('${agent}', '${code}', ${at(k)})`);
  const start = (k) => addS(t0, Math.round(k * 60));
  sql(`INSERT INTO ev (agent, state, started) VALUES ${[0, 1, 2].flatMap((k) => [`('f1', '${CODES[k % 3][0]}', ${at(k)})`, `('f2', '${CODES[(k + 1) % 3][0]}', ${at(k + 0.5)})`]).join(', ')}`);
  const src = await followedPgSource(admin, { name: 'f', conn, agents: ['f1', 'f2'], codes: CODES, overlapS: 3600 });
  const f1 = 'f1@example.com';
  const f2 = 'f2@example.com';

  // nothing held yet: both days whole, in a version 2 batch
  await arrives(f1, day, 3, 'f1\'s first states');
  await waitFor(() => (json.agents.get(`${f2}|${day}`) || []).length >= 3, 'f2\'s first states');
  await settled();
  const first = appliedSince(0);
  assert.ok(first.every((b) => b.version === 2 && b.parts === 0), JSON.stringify(first.map((b) => b.raw)));

  // one state change: the open state is closed and a new one opens; the part starts at the
  // closed state and carries those two spans, f2's day is not sent
  let seen = json.batches.size;
  insert('f1', 3);
  await arrives(f1, day, 4, 'the fourth state of f1');
  let fresh = appliedSince(seen);
  assert.equal(fresh.length, 1);
  assert.deepEqual(fresh[0].raw.days.map((x) => [x.agent, x.day, x.from, x.spans.map((s) => [s.start, s.end])]),
    [[f1, day, start(2), [[start(2), start(3)], [start(3), null]]]]);

  // a late row in the middle of the day: the part starts at the state it shortens
  seen = json.batches.size;
  insert('f1', 1.5, 'READY');
  await arrives(f1, day, 5, 'the late state of f1');
  fresh = appliedSince(seen);
  assert.equal(fresh.length, 1);
  assert.equal(fresh[0].raw.days[0].from, start(1));
  assert.deepEqual(fresh[0].raw.days[0].spans.map((s) => s.start), [start(1), start(1.5), start(2), start(3)]);

  // the receiver down: the batch of the next change waits; two more changes (one at the end,
  // one earlier in the day) coalesce and follow as one part from the earliest changed point
  await json.refuse();
  seen = json.batches.size;
  insert('f1', 4);
  await waitFor(async () => (await backlogOf()).pending > 0, 'the batch of the fifth state pending');
  insert('f1', 5);
  insert('f1', 1.25, 'PAUSE');
  await waitFor(async () => await daemonStates(f1, day) === 8, 'both changes staged while the receiver is down');
  await json.accept();
  await arrives(f1, day, 8, 'f1\'s changes after the outage');
  fresh = appliedSince(seen);
  assert.equal(fresh.length, 2, JSON.stringify(fresh.map((b) => b.raw)));
  assert.equal(fresh[0].raw.days[0].from, start(3));
  assert.equal(fresh[1].raw.days[0].from, start(1), 'the coalesced changes from the earliest changed state');
  assert.deepEqual(fresh[1].raw.days[0].spans.map((s) => s.start), [1, 1.25, 1.5, 2, 3, 4, 5].map(start));

  // a batch refused for good: the receiver keeps what it had; the next change sends the day whole
  json.fail('400');
  seen = json.batches.size;
  insert('f1', 6);
  await waitFor(async () => (await admin.get(`/api/v1/deliveries?limit=50&target_id=${target}&state=failed`)).body.items.length > 0, 'the refused batch');
  assert.equal(json.batches.size, seen);
  insert('f1', 7);
  await arrives(f1, day, 10, 'f1\'s day after the refusal');
  fresh = appliedSince(seen);
  assert.equal(fresh.length, 1);
  assert.equal('from' in fresh[0].raw.days[0], false, 'the day whole after a refusal');
  assert.equal(fresh[0].raw.days[0].spans.filter((s) => !s.filled).length, 10);

  // a kill -9 while the next batch waits for its answer (the receiver applied it): sent again
  // after the restart with the same key and body, applied once; the change after it is a part
  // against it
  json.fail('hold');
  const asked = json.requests.length;
  seen = json.batches.size;
  insert('f1', 8);
  await waitFor(() => json.requests.slice(asked).some((r) => r.mode === 'hold'), 'the held batch');
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
  await restart();
  await arrives(f1, day, 11, 'f1\'s ninth state after the restart');
  const held = json.requests.slice(asked).find((r) => r.mode === 'hold');
  // the held batch was applied before the kill, so the days above may arrive before the
  // restarted daemon sends it again: wait for the second sending itself
  await waitFor(() => json.requests.slice(asked).filter((r) => r.key === held.key).length >= 2, 'the held batch sent again after the restart');
  const again = json.requests.slice(asked).filter((r) => r.key === held.key);
  assert.equal(again.length, 2, 'sent twice');
  assert.equal(again[0].sha, again[1].sha, 'the same body');
  assert.equal(json.batches.get(held.key).count, 2);
  assert.equal(appliedSince(seen).length, 1, 'applied once');
  assert.equal(json.batches.get(held.key).raw.days[0].from, start(7));
  seen = json.batches.size;
  insert('f1', 9);
  await arrives(f1, day, 12, 'f1\'s tenth state');
  fresh = appliedSince(seen);
  assert.equal(fresh[0].raw.days[0].from, start(8));

  // a long day: 200 more states of f2 at once, then one more: still a part of two spans, and
  // what the daemon keeps of the day as the receiver accepted it stays a few hundred bytes (it
  // was the day's lines, 40 bytes a state, read and written again with every part)
  sql(`INSERT INTO ev (agent, state, started) SELECT 'f2', (ARRAY['READY', 'TALK', 'PAUSE'])[1 + g % 3], ${at(3)} + g * interval '2 seconds' FROM generate_series(1, 200) g`);
  await arrives(f2, day, 203, 'f2\'s long day');
  seen = json.batches.size;
  sql(`INSERT INTO ev (agent, state, started) VALUES ('f2', 'READY', ${at(10)})`);
  await arrives(f2, day, 204, 'f2\'s state after the long day');
  fresh = appliedSince(seen);
  assert.deepEqual(fresh.map((b) => b.raw.days.map((x) => [x.agent, x.from, x.spans.map((s) => [s.start, s.end])])),
    [[[f2, addS(t0, 580), [[addS(t0, 580), start(10)], [start(10), null]]]]]);
  const basis = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(dataDir, 'acdlink.db'),
    `SELECT max(length(spans)) FROM target_agent_sent WHERE target_id = ${target}`], { encoding: 'utf8' });
  assert.equal(basis.status, 0, basis.stderr);
  assert.ok(Number(basis.stdout.trim()) < 1000, `the basis of a day of 200 states: ${basis.stdout.trim()} bytes`);
  // a late row in the middle of the long day: a part from at most twice as far back as the
  // state it shortens (the basis keeps digests at a few points only), which the strict
  // receiver applies to what it holds
  seen = json.batches.size;
  sql(`INSERT INTO ev (agent, state, started) VALUES ('f2', 'READY', ${at(3)} + interval '201 seconds')`);
  await arrives(f2, day, 205, 'f2\'s late row in the long day');
  fresh = appliedSince(seen);
  assert.equal(fresh.length, 1);
  const part = fresh[0].raw.days[0];
  assert.ok(part.from && part.from <= addS(t0, 380), `a part from the state the late row shortens or before: ${part.from}`);
  assert.ok(part.spans.length >= 104 && part.spans.length < 200, `the part's spans: ${part.spans.length}`);

  // back to whole days: a version 1 batch; then changes again: whole first, then parts
  const settings = { url: json.url, ca_file: json.pki.caFile };
  assertStatus(await admin.patch(`/api/v1/targets/${target}`, { settings: { ...settings, agent_days: 'whole' } }), 200);
  seen = json.batches.size;
  insert('f1', 10);
  await arrives(f1, day, 13, 'f1\'s day in whole mode');
  fresh = appliedSince(seen);
  assert.deepEqual(fresh.map((b) => [b.version, b.parts]), [[1, 0]]);
  assertStatus(await admin.patch(`/api/v1/targets/${target}`, { settings: { ...settings, agent_days: 'changes' } }), 200);
  seen = json.batches.size;
  insert('f1', 11);
  await arrives(f1, day, 14, 'f1\'s day back in changes mode');
  insert('f1', 12);
  await arrives(f1, day, 15, 'f1\'s next change');
  fresh = appliedSince(seen);
  assert.deepEqual(fresh.map((b) => [b.version, b.raw.days[0].from ?? null]), [[2, null], [2, start(11)]]);
  const all = appliedSince(0);
  t.diagnostic(`bytes per batch: ${all.map((b) => `${b.parts ? 'part' : 'whole'} ${b.bytes}`).join(', ')}`);
  assert.equal(json.duplicates(), 1); // the held batch, applied once
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('the strict receiver refuses malformed part days', async () => {
  const ca = fs.readFileSync(json.pki.caFile);
  const post = (body) => new Promise((resolve, reject) => {
    const text = JSON.stringify({ version: 2, batchId: 'b'.repeat(64), kind: 'agent_states', ...body });
    const req = https.request(json.url, {
      method: 'POST', ca, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tok', 'Idempotency-Key': 'b'.repeat(64) },
    }, (res) => {
      let got = '';
      res.on('data', (c) => { got += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: got }));
    });
    req.on('error', reject);
    req.end(text);
  });
  const [key, spans] = [...json.agents.entries()].find(([k]) => k.startsWith('f1@example.com|'));
  const [agent, day] = key.split('|');
  const span = (s, e) => ({ activity: 'ready', start: s, end: e, filled: false });
  const from = spans[2].start;
  const cases = [
    [{ days: [{ agent, day, from, spans: [] }], version: 1 }, 'from'], // version 1 knows no from
    [{ days: [{ agent: 'nobody@example.com', day, from, spans: [] }] }, 'no day'],
    [{ days: [{ agent, day, from: `${Number(day.slice(0, 4)) - 1}${day.slice(4)}T00:00:00Z`, spans: [] }] }, 'is not on'],
    [{ days: [{ agent, day, from, spans: [span(spans[1].start, null)] }] }, 'before the day\'s from'],
    [{ days: [{ agent, day, from, spans: [span(spans[2].end, null), span(spans[3].start, null)] }] }, 'overlaps'],
    [{ days: [{ agent, day, from: addS(spans[1].start.replace('T', ' ').replace('Z', ''), 1), spans: [] }] }, 'reaches past'],
  ];
  const before1 = JSON.stringify(json.agents.get(key));
  for (const [body, what] of cases) {
    const res = await post(body);
    assert.equal(res.status, 422, `${what}: ${res.body}`);
    assert.ok(res.body.includes(what), `${what}: ${res.body}`);
  }
  assert.equal(JSON.stringify(json.agents.get(key)), before1, 'nothing applied');
  json.errors.length = 0;
});

test('parts: a change is found and sent from the last part the receiver holds (the parts\' states, not the lines before); a rename sends the day whole; random late rows and new states keep the receiver\'s day exactly the daemon\'s', async () => {
  const t0 = dbDayTime(pg, -10 * 60, 20 * 60);
  const day = t0.slice(0, 10);
  const f3 = 'f3@example.com';
  const at = (s) => `timestamp '${t0}' + interval '${s} seconds'`;
  const start = (s) => addS(t0, s);
  const db = (q) => {
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const iso = (epoch) => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  assertStatus(await admin.post('/api/v1/activities', { identifier: 'hold', name: 'hold' }), 201);
  const codes = [...CODES, ['HOLD', 'hold']];
  // state g at 4 g seconds, every seventh on hold
  const code = (g) => (g % 7 === 6 ? 'HOLD' : CODES[g % 3][0]);
  sql(`INSERT INTO ev (agent, state, started) VALUES ${Array.from({ length: 150 }, (_, g) => `('f3', '${code(g)}', ${at(4 * g)})`).join(', ')}`);
  const src = await followedPgSource(admin, { name: 'f3', conn, agents: ['f3'], codes, overlapS: 3600, where: 'agent = \'f3\'' });
  await arrives(f3, day, 150, 'f3\'s long day', 60000);
  const agentId = db(`SELECT id FROM wfm_agents WHERE identifier = '${f3}'`);
  const parts = () => db(`SELECT spans_before, first_start FROM agent_day_parts WHERE agent_id = ${agentId} AND day = '${day}' ORDER BY part`)
    .split('\n').map((l) => l.split('|').map(Number));
  let states = 150;

  // a new state: cut within the last part, the two spans that changed
  let seen = json.batches.size;
  sql(`INSERT INTO ev (agent, state, started) VALUES ('f3', 'READY', ${at(4 * 150)})`);
  await arrives(f3, day, ++states, 'f3\'s next state');
  let fresh = appliedSince(seen);
  assert.deepEqual(fresh.map((b) => b.raw.days.map((x) => [x.from, x.spans.length])), [[[start(4 * 149), 2]]]);

  // a late row in the third part from the end (before the count the receiver accepted): sent
  // from that part's first span, the parts before it neither read nor sent
  const ps = parts();
  assert.ok(ps.length >= 5, `the day's parts: ${JSON.stringify(ps)}`);
  const [before, first] = ps.at(-3);
  const i = before + 2; // the state the late row shortens, inside the part
  seen = json.batches.size;
  sql(`INSERT INTO ev (agent, state, started) VALUES ('f3', '${CODES[(i + 2) % 3][0]}', ${at(4 * i + 1)})`);
  await arrives(f3, day, ++states, 'f3\'s late row');
  fresh = appliedSince(seen);
  assert.equal(fresh.length, 1);
  let d3 = fresh[0].raw.days.find((x) => x.agent === f3);
  assert.equal(d3.from, iso(first), 'from the first span of the part holding the change');
  assert.equal(d3.spans.length, states - before, 'the spans of that part and those after');

  // a rename of an activity on the day: the receiver's lines all change, the day goes whole
  const hold = (await admin.get('/api/v1/activities')).body.items.find((a) => a.identifier === 'hold');
  seen = json.batches.size;
  assertStatus(await admin.patch(`/api/v1/activities/${hold.id}`, { identifier: 'held', name: 'held' }), 200);
  await waitFor(async () => (json.agents.get(`${f3}|${day}`) || []).some((s) => s.activity === 'held'), 'the renamed activity at the receiver');
  await settled();
  assert.deepEqual(await diffAgentDays(admin, json, [day]), []);
  d3 = appliedSince(seen).map((b) => b.raw.days.find((x) => x.agent === f3)).find(Boolean);
  assert.equal('from' in d3, false, 'the day whole after the rename');

  // random late rows and new states, one batch at a time: after each the receiver holds the
  // daemon's day
  let rnd = 12345;
  const rand = (n) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  let end = 4 * 150;
  const pollsOf = async () => (await admin.get(`/api/v1/sources/${src.id}`)).body.follow?.polls ?? 0;
  for (let round = 0; round < 12; round++) {
    const late = rand(3) > 0;
    const s = late ? 4 * rand(150) + 1 + rand(2) : (end += 4);
    const polled = await pollsOf();
    sql(`INSERT INTO ev (agent, state, started) VALUES ('f3', '${late ? code(rand(7)) : CODES[round % 3][0]}', ${at(s)})`);
    // a whole poll after the insert has staged it (the first one counted may have begun
    // before); an empty backlog before then says nothing. Then the delivery.
    await waitFor(async () => (await pollsOf()) >= polled + 2, `round ${round}: two polls after the insert`);
    await settled();
    assert.deepEqual(await diffAgentDays(admin, json, [day]), [], `round ${round}: ${late ? 'a late row' : 'a new state'} at ${s} s`);
    assert.deepEqual(json.errors, [], `round ${round}`);
  }
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});
