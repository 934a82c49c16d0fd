// Real-time delivery of a followed agent-state source (PostgreSQL through psqlODBC) to the three
// targets: a state still going is delivered open and closed when the next begins (injixo-api
// without and then with endTime, https-json with end null and then set, csv-export with empty and
// then filled end fields); what one state change costs on each target (injixo-api: the changed
// spans only; https-json and csv-export: the agent's day, never other agents'); csv-export
// writes one file per minute, not per change; receivers down during a writer's stream: the
// outbox holds at most one undelivered batch per target (https-json two: the next is made while
// one is sent) while changes coalesce per agent day,
// and after the receivers come back (a kill -9 while catching up) every agent's final states
// arrive once, in order per agent. A second https-json target with agent_days "changes" gets a
// change as the part of the day from the state that ended (two spans), keeps one batch at a
// time, and after the outage and the kill holds every agent's day as written.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, odbcDriver } from '../lib/api.mjs';
import { daemonSpans, drained, injixoSpans, waitFor } from '../lib/pipeline.mjs';
import { addS, dbDayTime, followedPgSource, startPg } from '../lib/pg.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
let d;
let admin;
let pg;
let injixo;
let json;
let jsonc; // https-json with agent_days "changes"
let dataDir;
let conn;
let base;
let out;
const targets = {};

function sql(text) {
  return pg.psql(text);
}

async function restart() {
  d = await startDaemon({ dataDir, args: ARGS });
  admin = await login(d, ROOT.name, ROOT.password);
}

before(async () => {
  pg = await startPg();
  sql('CREATE TABLE ev (id bigserial PRIMARY KEY, agent text, state text, started timestamp(0))');
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`;
  injixo = await startWfm({ kind: 'injixo' });
  json = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  jsonc = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  jsonc.keepRaw = true;
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-realtime-'));
  out = path.join(base, 'out');
  fs.mkdirSync(out);
  d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
  dataDir = d.dataDir;
  admin = await login(d, ROOT.name, ROOT.password);
  const mk = async (body) => {
    const r = await admin.post('/api/v1/targets', body);
    assertStatus(r, 201);
    return r.body.id;
  };
  targets.injixo = await mk({
    name: 'injixo', connector: 'injixo-api', secret: injixo.apiKey,
    settings: { base_url: injixo.baseUrl, integration_configuration_id: injixo.icid, ca_file: injixo.pki.caFile },
  });
  targets.json = await mk({ name: 'json', connector: 'https-json', secret: 'tok', settings: { url: json.url, ca_file: json.pki.caFile } });
  targets.jsonc = await mk({ name: 'json-changes', connector: 'https-json', secret: 'tok', settings: { url: jsonc.url, ca_file: jsonc.pki.caFile, agent_days: 'changes' } });
  targets.csv = await mk({ name: 'files', connector: 'csv-export', settings: { folder: out } });
  for (const a of ['ready', 'talk', 'pause']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await injixo?.close();
  await json?.close();
  await jsonc?.close();
  if (dataDir) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (base) {
    fs.rmSync(base, { recursive: true, force: true });
  }
  pg?.stop();
});

const CODES = [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']];

async function followed(name, agents) {
  return followedPgSource(admin, { name, conn, agents, codes: CODES, overlapS: 20, where: `agent LIKE '${name}%'` });
}

async function follow(id) {
  const r = await admin.get(`/api/v1/sources/${id}`);
  assertStatus(r, 200);
  return r.body.follow;
}

/** The agent-state files of the csv-export target, oldest first. */
function agentFiles() {
  return fs.readdirSync(out).filter((f) => f.includes('agent-states') && f.endsWith('.csv')).sort();
}

async function deliveries(targetId, extra = '') {
  const r = await admin.get(`/api/v1/deliveries?limit=500&target_id=${targetId}${extra}`);
  assertStatus(r, 200);
  return r.body.items.filter((b) => b.kind === 'agent_states');
}

test('an open state is delivered open and closed when the next begins; one change costs the changed spans (injixo-api) or the agent\'s day', async (t) => {
  const PRIOR = 20;
  // states of o1 a minute apart from 40 minutes ago, the last one still going; o2 has a day too
  const t0 = dbDayTime(pg, -40 * 60, (PRIOR + 1) * 60);
  const rows = [];
  for (let k = 0; k < PRIOR; k++) {
    rows.push(`('o1', '${CODES[k % 3][0]}', timestamp '${t0}' + interval '${k * 60} seconds')`);
    rows.push(`('o2', '${CODES[(k + 1) % 3][0]}', timestamp '${t0}' + interval '${k * 60 + 5} seconds')`);
  }
  sql(`INSERT INTO ev (agent, state, started) VALUES ${rows.join(', ')}`);
  const src = await followed('o', ['o1', 'o2']);
  const day = t0.slice(0, 10);
  const lastStart = addS(t0, (PRIOR - 1) * 60);
  await waitFor(() => injixo.agents.get(`o1@example.com|${lastStart}`), 'o1\'s open state at injixo');
  // open: injixo without endTime, https-json with end null, csv-export with empty end fields
  assert.deepEqual(injixo.agents.get(`o1@example.com|${lastStart}`), { agentIdentifier: 'o1@example.com', activityIdentifier: CODES[(PRIOR - 1) % 3][1], startTime: lastStart });
  await waitFor(() => json.agents.get(`o1@example.com|${day}`)?.length === PRIOR, 'o1\'s day at https-json');
  assert.deepEqual(json.agents.get(`o1@example.com|${day}`).at(-1), { activity: CODES[(PRIOR - 1) % 3][1], start: lastStart, end: null, filled: false });
  const openLine = `${day};${lastStart.slice(11, 19)};;;o1@example.com;${CODES[(PRIOR - 1) % 3][1]}`;
  await waitFor(() => agentFiles().some((f) => fs.readFileSync(path.join(out, f), 'utf8').includes(openLine)), 'o1\'s open state in a csv file');
  await drained(admin);
  const filesBefore = agentFiles().length;
  const injixoBefore = injixo.batches.size;
  const jsonBefore = json.batches.size;
  const jsoncBefore = jsonc.batches.size;

  // one state change of o1: the open state ends, a new one begins
  const nextStart = addS(t0, PRIOR * 60);
  const inserted = Date.now();
  sql(`INSERT INTO ev (agent, state, started) VALUES ('o1', '${CODES[PRIOR % 3][0]}', timestamp '${t0}' + interval '${PRIOR * 60} seconds')`);
  await waitFor(() => injixo.agents.get(`o1@example.com|${nextStart}`), 'the new state at injixo');
  assert.deepEqual(injixo.agents.get(`o1@example.com|${lastStart}`).endTime, nextStart, 'the open state is closed');
  assert.equal('endTime' in injixo.agents.get(`o1@example.com|${nextStart}`), false, 'the new state is open');
  await waitFor(() => json.agents.get(`o1@example.com|${day}`)?.length === PRIOR + 1, 'the change at https-json');
  assert.deepEqual(json.agents.get(`o1@example.com|${day}`).slice(-2).map((s) => [s.start, s.end]), [[lastStart, nextStart], [nextStart, null]]);
  // from the commit to the receiver (the source is polled every second)
  const arrived = (w, has) => w.requests.find((r) => r.at >= inserted && r.key && has(w.batches.get(r.key)?.body))?.at - inserted;
  const latency = {
    injixo: arrived(injixo, (b) => b?.data?.some((s) => s.startTime === nextStart)),
    json: arrived(json, (b) => b?.days?.some((x) => x.spans.some((s) => s.start === nextStart))),
  };
  assert.ok(latency.injixo >= 0 && latency.json >= 0, JSON.stringify(latency));
  // csv-export: the next file comes with the next minute of the clock (a file per minute)
  const closedLine = `${day};${lastStart.slice(11, 19)};${day};${nextStart.slice(11, 19)};o1@example.com;${CODES[(PRIOR - 1) % 3][1]}`;
  await waitFor(() => agentFiles().length > filesBefore, 'the next csv file', 70000);
  await drained(admin);
  const newFiles = agentFiles().slice(filesBefore);
  assert.equal(newFiles.length, 1, newFiles.join(', '));
  const csvText = fs.readFileSync(path.join(out, newFiles[0]), 'utf8');
  assert.ok(csvText.includes(closedLine), csvText);
  assert.ok(csvText.includes(`${day};${nextStart.slice(11, 19)};;;o1@example.com;${CODES[PRIOR % 3][1]}\r\n`), csvText);

  // what the one change cost on each target
  const injixoNew = [...injixo.batches.values()].slice(injixoBefore);
  const jsonNew = [...json.batches.values()].slice(jsonBefore);
  assert.equal(injixoNew.length, 1);
  assert.equal(jsonNew.length, 1);
  assert.deepEqual(injixoNew[0].body.data.map((s) => [s.agentIdentifier, s.startTime, s.endTime ?? null]),
    [['o1@example.com', lastStart, nextStart], ['o1@example.com', nextStart, null]], 'injixo-api: the closed and the new span only');
  assert.deepEqual(jsonNew[0].body.days.map((x) => [x.agent, x.day, x.spans.length]), [['o1@example.com', day, PRIOR + 1]], 'https-json: the agent\'s day, no other agent');
  const jsoncNew = [...jsonc.batches.values()].slice(jsoncBefore);
  assert.equal(jsoncNew.length, 1);
  assert.deepEqual(jsoncNew[0].raw.days.map((x) => [x.agent, x.day, x.from, x.spans.map((sp) => [sp.start, sp.end])]),
    [['o1@example.com', day, lastStart, [[lastStart, nextStart], [nextStart, null]]]], 'https-json with agent_days changes: the part from the state that ended');
  assert.deepEqual(jsonc.agents.get(`o1@example.com|${day}`), json.agents.get(`o1@example.com|${day}`), 'both receivers hold the same day');
  const csvLines = csvText.split('\r\n').filter(Boolean);
  assert.equal(csvLines.length, 1 + PRIOR + 1, 'csv-export: a header and the agent\'s day');
  assert.ok(csvLines.every((l, i) => i === 0 || l.includes('o1@example.com')));
  t.diagnostic(`one state change of an agent with ${PRIOR} states that day: injixo-api ${JSON.stringify(injixoNew[0].body).length} bytes (${injixoNew[0].body.data.length} spans), https-json ${JSON.stringify(jsonNew[0].body).length} bytes (${jsonNew[0].body.days[0].spans.length} spans), with agent_days changes ${jsoncNew[0].bytes} bytes (${jsoncNew[0].spans} spans), csv-export ${Buffer.byteLength(csvText)} bytes (${csvLines.length - 1} lines); from the commit to the receiver: injixo-api ${latency.injixo} ms, https-json ${latency.json} ms`);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

/** Waits until the injixo target has nothing queued, pending or being sent. */
async function injixoDrained() {
  await waitFor(async () => {
    const x = (await admin.get('/api/v1/backlog')).body.targets.find((y) => y.target_id === targets.injixo);
    return x.queued === 0 && x.pending === 0 && x.sending === 0;
  }, 'an empty backlog at injixo');
}

test('injixo-api: a batch refused for good leaves the basis as accepted, so the next change gives the missing spans; a kill -9 before the answer repeats the batch; retried late, the day follows whole; the receiver ends holding the daemon\'s spans', async () => {
  const t0 = dbDayTime(pg, -30 * 60, 10 * 60);
  const day = t0.slice(0, 10);
  const at = (k) => `timestamp '${t0}' + interval '${k * 60} seconds'`;
  const insert = (k) => sql(`INSERT INTO ev (agent, state, started) VALUES ('f1', '${CODES[k % 3][0]}', ${at(k)})`);
  sql(`INSERT INTO ev (agent, state, started) VALUES ${[0, 1, 2].map((k) => `('f1', '${CODES[k % 3][0]}', ${at(k)})`).join(', ')}`);
  const src = await followed('f', ['f1']);
  const agent = 'f1@example.com';
  const start = (k) => addS(t0, k * 60);
  // only this test's batches of this agent: an earlier test's may hold a span starting at
  // the same minute
  const earlier = new Set(injixo.batches.keys());
  const batchesWith = (k) => [...injixo.batches.entries()].filter(([key]) => !earlier.has(key)).map(([, b]) => b)
    .filter((b) => b.body.data.some((s) => s.agentIdentifier === agent && s.startTime === start(k)));
  await waitFor(() => injixo.agents.get(`${agent}|${start(2)}`), 'f1\'s first states at injixo');
  await injixoDrained();

  // the batch of the fourth state is refused for good: the receiver keeps the third one open
  const failedBefore = (await deliveries(targets.injixo, '&state=failed')).length;
  injixo.fail('400');
  insert(3);
  await waitFor(async () => (await deliveries(targets.injixo, '&state=failed')).length > failedBefore, 'the refused batch among the deliveries');
  assert.equal(injixo.agents.get(`${agent}|${start(3)}`), undefined);
  assert.equal(injixo.agents.get(`${agent}|${start(2)}`).endTime, undefined);

  // the next change is computed against what the receiver accepted: it carries the third state
  // closed, the fourth (refused before) and the fifth
  insert(4);
  await waitFor(() => batchesWith(4).length > 0, 'the fifth state at injixo');
  assert.deepEqual(batchesWith(4)[0].body.data.map((s) => s.startTime), [start(2), start(3), start(4)]);
  await injixoDrained();
  assert.deepEqual(injixoSpans(injixo, agent), await daemonSpans(admin, agent, day));

  // a kill -9 while the sixth state's batch waits for its answer: sent again with its key after
  // the restart, and only then the basis; the seventh costs the two changed spans
  injixo.fail('timeout');
  const asked = injixo.requests.length;
  insert(5);
  await waitFor(() => injixo.requests.slice(asked).some((r) => r.mode === 'timeout'), 'the sixth state\'s batch at injixo (no answer)');
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
  await restart();
  await waitFor(() => batchesWith(5).length > 0, 'the sixth state at injixo after the restart');
  await injixoDrained();
  const keyOf6 = injixo.requests.slice(asked).filter((r) => r.mode === 'timeout').map((r) => r.key ?? r.headers['idempotency-key']);
  assert.ok(injixo.batches.has(keyOf6[0]), 'the batch sent again has the first attempt\'s key');
  insert(6);
  await waitFor(() => batchesWith(6).length > 0, 'the seventh state at injixo');
  assert.deepEqual(batchesWith(6)[0].body.data.map((s) => s.startTime), [start(5), start(6)]);
  await injixoDrained();
  const want = await daemonSpans(admin, agent, day);
  assert.equal(want.length, 7);
  assert.deepEqual(injixoSpans(injixo, agent), want);

  // the refused batch retried by hand after later ones were accepted puts the fourth state
  // back open; its day then goes out whole and current after it
  const refused = (await deliveries(targets.injixo, '&state=failed')).at(0);
  const seen = injixo.batches.size;
  assertStatus(await admin.post(`/api/v1/deliveries/${refused.id}/retry`), 200);
  await waitFor(() => injixo.batches.size >= seen + 2, 'the retried batch and the day after it');
  await injixoDrained();
  const last = [...injixo.batches.values()].sort((p, q) => p.order - q.order).at(-1);
  assert.deepEqual(last.body.data.map((s) => s.startTime), want.map((s) => s[0]), 'the day whole');
  assert.deepEqual(injixoSpans(injixo, agent), await daemonSpans(admin, agent, day));
  assert.deepEqual(injixo.errors, []);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('receivers down during a writer\'s stream: changes coalesce per agent day, one batch waits per target; a kill -9 while catching up; every final state arrives once, in order', async (t) => {
  const AGENTS = 20;
  const PER = 15;
  const ids = Array.from({ length: AGENTS }, (_, i) => `s${i}`);
  const src = await followed('s', ids);
  await drained(admin, 70000);
  const base0 = dbDayTime(pg, -30 * 60, PER * 60);
  const day = base0.slice(0, 10);
  const expected = new Map(ids.map((a) => [a, []]));
  const script = [];
  for (let k = 0; k < PER; k++) {
    for (let a = 0; a < AGENTS; a++) {
      const [code, act] = CODES[(k + a) % 3];
      script.push(`INSERT INTO ev (agent, state, started) VALUES ('s${a}', '${code}', timestamp '${base0}' + interval '${k * 60 + a} seconds');`, 'SELECT pg_sleep(0.01);');
      expected.get(`s${a}`).push([addS(base0, k * 60 + a), act]);
    }
  }
  const total = AGENTS * PER;
  // the first third reaches the receivers, then they go down for the rest of the stream
  const writer = spawn(pg.bin, pg.args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const third = Math.floor(script.length / 3) & ~1;
  writer.stdin.write(`${script.slice(0, third).join('\n')}\n`);
  await waitFor(() => [...injixo.agents.keys()].some((k) => k.startsWith('s')), 'the first states at injixo');
  await injixo.refuse();
  await json.refuse();
  await jsonc.refuse();
  const lastIdAtDown = {};
  for (const id of [targets.injixo, targets.json, targets.jsonc]) {
    lastIdAtDown[id] = Math.max(0, ...(await deliveries(id)).map((x) => x.id));
  }
  const filesAtDown = agentFiles().length;
  writer.stdin.end(`${script.slice(third).join('\n')}\n`);
  await new Promise((res) => writer.once('exit', res));
  await waitFor(async () => (await follow(src.id)).rows_changed >= total, async () => `all ${total} rows: ${JSON.stringify(await follow(src.id))}`, 30000);
  // the feed has caught up with the stream; a few more rounds of the uploader while down
  await waitFor(async () => (await deliveries(targets.injixo, '&state=pending')).some((b) => b.attempts >= 2), 'retries while the receiver is down');
  for (const [name, id] of [['injixo', targets.injixo], ['json', targets.json], ['json-changes', targets.jsonc]]) {
    const made = (await deliveries(id)).filter((x) => x.id > lastIdAtDown[id]);
    const waiting = (await deliveries(id)).filter((b) => ['pending', 'sending'].includes(b.state));
    // https-json may have one batch made behind the one being sent (its batches carry whole
    // days, so none depends on the answer to the one before); injixo-api and https-json with
    // agent_days changes none (the next batch is computed against what the receiver accepted)
    const most = name === 'json' ? 2 : 1;
    assert.ok(waiting.length <= most, `${name}: ${waiting.length} batches wait: ${JSON.stringify(waiting)}`);
    assert.ok(made.length <= most, `${name}: ${made.length} batches made while down for ${total} changes`);
    t.diagnostic(`${name}: ${made.length} batch(es) made while the receiver was down, ${waiting.length} waiting`);
  }
  const b = (await admin.get('/api/v1/backlog')).body;
  t.diagnostic(`backlog while down (name, agent days queued, batches pending): ${JSON.stringify(b.targets.map((x) => [x.name, x.queued, x.pending]))}`);
  // csv-export (never down) wrote a file per minute of the clock at most, not one per change
  const during = agentFiles().slice(filesAtDown);
  const minutes = new Set(during.map((f) => /agent-states-(\d{8}T\d{4})/.exec(f)?.[1]));
  assert.equal(minutes.size, during.length, `one file per minute: ${during.join(', ')}`);
  t.diagnostic(`csv-export: ${during.length} file(s) for ${total - third / 2} changes`);

  // back up; a kill -9 once the first batch after the outage was received
  const injixoSeen = injixo.batches.size;
  await injixo.accept();
  await json.accept();
  await jsonc.accept();
  await waitFor(() => injixo.batches.size > injixoSeen, 'the first batch after the outage');
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
  await restart();
  // csv-export's last changes may wait for the next minute of the clock
  await drained(admin, 90000);
  assert.deepEqual(injixo.errors, []);
  assert.deepEqual(json.errors, []);
  assert.deepEqual(jsonc.errors, []);
  // every agent's final states: injixo by start, each closed by the next, the last one open
  for (const a of ids) {
    const want = expected.get(a);
    for (const [i, [start, act]] of want.entries()) {
      const got = injixo.agents.get(`${a}@example.com|${start}`);
      const end = i + 1 < want.length ? want[i + 1][0] : undefined;
      assert.deepEqual([got?.activityIdentifier, got?.endTime], [act, end], `${a} at ${start}: ${JSON.stringify(got)}`);
    }
    const spans = json.agents.get(`${a}@example.com|${day}`) || [];
    assert.deepEqual(spans.filter((s) => !s.filled).map((s) => [s.start, s.activity]), want, `${a} at https-json`);
    assert.deepEqual(jsonc.agents.get(`${a}@example.com|${day}`), spans, `${a} at https-json with agent_days changes`);
  }
  // csv-export: the last file naming an agent holds its day as it ended, the last state open
  const lastDay = new Map();
  for (const f of agentFiles()) {
    const lines = fs.readFileSync(path.join(out, f), 'utf8').split('\r\n').slice(1).filter(Boolean).map((l) => l.split(';'));
    for (const a of new Set(lines.map((l) => l[4]))) {
      lastDay.set(a, lines.filter((l) => l[4] === a));
    }
  }
  for (const a of ids) {
    const want = expected.get(a).map(([start, act], i, all) => [start.slice(11, 19), i + 1 < all.length ? all[i + 1][0].slice(11, 19) : '', act]);
    assert.deepEqual((lastDay.get(`${a}@example.com`) || []).map((l) => [l[1], l[3], l[5]]), want, `${a} in the csv files`);
  }
  // once: no span given twice by different batches (a batch sent again after the kill keeps its
  // Idempotency-Key); in order: each agent's spans come in start order across batches
  const sentSpans = new Map();
  const lastStart = new Map();
  // (the receiver is shared by the file's tests: an earlier test retries a refused batch on
  // purpose, so only this test's agents count)
  const mine = new Set(ids.map((a) => `${a}@example.com`));
  for (const x of [...injixo.batches.values()].sort((p, q) => p.order - q.order)) {
    for (const s of x.body.data.filter((e) => mine.has(e.agentIdentifier))) {
      const k = JSON.stringify(s);
      assert.ok(!sentSpans.has(k), `sent twice: ${k}`);
      sentSpans.set(k, true);
      const prev = lastStart.get(s.agentIdentifier) || '';
      assert.ok(s.startTime >= prev, `${s.agentIdentifier}: ${s.startTime} after ${prev}`);
      lastStart.set(s.agentIdentifier, s.startTime);
    }
  }
  for (const w of [json, jsonc]) { // (a part day as the day it leaves held)
    const seen = new Map();
    for (const x of [...w.batches.values()].sort((p, q) => p.order - q.order)) {
      for (const dd of x.body.days) {
        const starts = dd.spans.filter((s) => !s.filled).map((s) => `${s.start} ${s.activity}`);
        const prev = seen.get(dd.agent) || [];
        assert.deepEqual(starts.slice(0, prev.length), prev, `${dd.agent}: ${JSON.stringify(starts)} after ${JSON.stringify(prev)}`);
        seen.set(dd.agent, starts);
      }
    }
  }
  const parts = [...jsonc.batches.values()].reduce((n, x) => n + x.parts, 0);
  assert.ok(parts > 0, 'https-json with agent_days changes got part days');
  t.diagnostic(`injixo: ${injixo.batches.size} batches, ${injixo.duplicates()} received again with the same key; https-json: ${json.batches.size} batches, ${json.duplicates()} again; with agent_days changes ${jsonc.batches.size} batches (${parts} part days), ${jsonc.duplicates()} again`);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});
