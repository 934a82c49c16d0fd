// Agent states delivered: an agent-state import's spans go to injixo's agent-statuses endpoint
// (agent and activity identifiers, ISO times, no endTime while a span goes on, filled holes not
// sent), to https-json as whole days, and to csv-export as StartDate;StartTime;EndDate;EndTime;
// AgentID;AgentActivityID (at most one file a minute); a mapping change sends the changed day
// again, an unchanged re-run nothing; long days go in batches of bounded spans.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, startWithAdmin } from '../lib/api.mjs';
import { drained, runDays } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const DAY = '2026-11-24';
let d;
let admin;
let injixo;
let json;
let base;
let out;
let src;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'] }));
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-deliv-agents-'));
  out = path.join(base, 'out');
  fs.mkdirSync(out);
  injixo = await startWfm({ kind: 'injixo' });
  json = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'injixo', connector: 'injixo-api', secret: injixo.apiKey,
    settings: { base_url: injixo.baseUrl, integration_configuration_id: injixo.icid, ca_file: injixo.pki.caFile, external_system: 'Avaya CMS' },
  }), 201);
  assertStatus(await admin.post('/api/v1/targets', { name: 'json', connector: 'https-json', secret: 'tok', settings: { url: json.url, ca_file: json.pki.caFile } }), 201);
  assertStatus(await admin.post('/api/v1/targets', { name: 'files', connector: 'csv-export', settings: { folder: out } }), 201);
  for (const a of ['ready', 'talk']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  const folder = path.join(base, 'acd');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'a.csv'), [
    'Agent;Date;Start;End;State',
    '0042;24.11.2026;08:00:00;09:00:00;READY',
    '0042;24.11.2026;09:00:00;09:30:00;TALK',
    '0042;24.11.2026;09:45:00;10:00:00;TALK',
    '',
  ].join('\n'));
  src = (await admin.post('/api/v1/sources', {
    name: 'Agents', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';', date_order: 'dmy' },
      columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
      agent_states: { span: 'start_end' },
    },
  })).body;
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'READY', activity: 'ready' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALK', activity: 'talk' }), 200);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: '0042;alice@example.com\n' }), 200);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  await injixo?.close();
  await json?.close();
  fs.rmSync(base, { recursive: true, force: true });
  assert.equal(code, 0, d && d.stderr().slice(-3000));
});

test('an agent-state import reaches all three targets', async () => {
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  await drained(admin);
  assert.deepEqual(injixo.errors, []);
  assert.deepEqual(json.errors, []);
  assert.deepEqual([...injixo.agents.values()], [
    { agentIdentifier: 'alice@example.com', activityIdentifier: 'ready', startTime: `${DAY}T08:00:00Z`, endTime: `${DAY}T09:00:00Z` },
    { agentIdentifier: 'alice@example.com', activityIdentifier: 'talk', startTime: `${DAY}T09:00:00Z`, endTime: `${DAY}T09:30:00Z` },
    { agentIdentifier: 'alice@example.com', activityIdentifier: 'talk', startTime: `${DAY}T09:45:00Z`, endTime: `${DAY}T10:00:00Z` },
  ]);
  const batch = [...injixo.batches.values()][0].body;
  assert.deepEqual(batch.meta, { integrationConfigurationId: injixo.icid, externalSystem: 'Avaya CMS' });
  assert.deepEqual(json.agents.get(`alice@example.com|${DAY}`), [
    { activity: 'ready', start: `${DAY}T08:00:00Z`, end: `${DAY}T09:00:00Z`, filled: false },
    { activity: 'talk', start: `${DAY}T09:00:00Z`, end: `${DAY}T09:30:00Z`, filled: false },
    { activity: 'logged_out', start: `${DAY}T09:30:00Z`, end: `${DAY}T09:45:00Z`, filled: true },
    { activity: 'talk', start: `${DAY}T09:45:00Z`, end: `${DAY}T10:00:00Z`, filled: false },
  ]);
  const files = fs.readdirSync(out).filter((f) => f.includes('agent-states'));
  assert.equal(files.length, 1, fs.readdirSync(out).join(', '));
  assert.equal(fs.readFileSync(path.join(out, files[0]), 'utf8'), [
    'StartDate;StartTime;EndDate;EndTime;AgentID;AgentActivityID',
    `${DAY};08:00:00;${DAY};09:00:00;alice@example.com;ready`,
    `${DAY};09:00:00;${DAY};09:30:00;alice@example.com;talk`,
    `${DAY};09:45:00;${DAY};10:00:00;alice@example.com;talk`,
    '',
  ].join('\r\n'));
  const list = (await admin.get('/api/v1/deliveries?limit=50')).body.items;
  assert.equal(list.filter((b) => b.kind === 'agent_states').length, 3);
  assert.ok(list.every((b) => b.state === 'acked'), JSON.stringify(list));
});

test('an unchanged re-run sends nothing; a changed mapping sends the day again', async () => {
  const before1 = (await admin.get('/api/v1/deliveries?limit=50')).body.items.length;
  await runDays(admin, src.id, DAY);
  await drained(admin);
  assert.equal((await admin.get('/api/v1/deliveries?limit=50')).body.items.length, before1);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALK', activity: 'ready' }), 200);
  // csv-export writes at most one agent-state file per minute of the clock: the changed day's
  // file may wait for the next minute
  await drained(admin, 70000);
  const spans = json.agents.get(`alice@example.com|${DAY}`);
  assert.deepEqual(spans.map((s) => s.activity), ['ready', 'logged_out', 'ready']);
  assert.equal((await admin.get('/api/v1/deliveries?limit=50')).body.items.length, before1 + 3);
});

test('many changed agent days reach https-json in batches of up to 3,000 days, injixo-api and csv-export in batches of 200', async () => {
  const N = 450;
  const folder = path.join(base, 'acd');
  const ids = Array.from({ length: N }, (_, i) => `b${String(i).padStart(3, '0')}`);
  fs.writeFileSync(path.join(folder, 'b.csv'), ['Agent;Date;Start;End;State', ...ids.map((a) => `${a};24.11.2026;11:00:00;12:00:00;READY`), ''].join('\n'));
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  const seenJson = new Set(json.batches.keys());
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  // the run's spans commit in one transaction: the feed holds all N days at once
  await drained(admin, 70000);
  const fresh = [...json.batches.entries()].filter(([k]) => !seenJson.has(k)).map(([, b]) => b.body.days.filter((x) => x.agent.startsWith('b')).length);
  assert.equal(fresh.reduce((a, b) => a + b, 0), N, JSON.stringify(fresh));
  assert.ok(Math.max(...fresh) > 200 && Math.max(...fresh) <= 3000, JSON.stringify(fresh));
  for (const a of ids) {
    assert.deepEqual(json.agents.get(`${a}@example.com|${DAY}`).map((s) => s.activity), ['ready'], a);
  }
  const lines = fs.readdirSync(out).filter((f) => f.includes('agent-states')).map((f) => fs.readFileSync(path.join(out, f), 'utf8').split('\r\n').filter((l) => / b\d{3}@|;b\d{3}@/.test(l)).length);
  assert.equal(lines.reduce((a, b) => a + b, 0), N);
  assert.ok(lines.every((n) => n <= 200), JSON.stringify(lines));
  assert.deepEqual(json.errors, []);
});

test('long agent days reach https-json in batches that end once they carry 60,000 spans', async () => {
  const PER_DAY = 5000; // states of each agent's day, 2 s each (a day delivers up to 5,000 spans)
  const folder = path.join(base, 'acd');
  const ids = Array.from({ length: 16 }, (_, i) => `long${String(i).padStart(2, '0')}`);
  const hms = (s) => [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((x) => String(x).padStart(2, '0')).join(':');
  const rows = ['Agent;Date;Start;End;State'];
  for (const a of ids) {
    for (let k = 0; k < PER_DAY; k++) {
      rows.push(`${a};24.11.2026;${hms(2 * k)};${hms(2 * k + 2)};${k % 2 ? 'LTALK' : 'LREADY'}`);
    }
  }
  fs.writeFileSync(path.join(folder, 'c.csv'), `${rows.join('\n')}\n`);
  // codes of their own (TALK is mapped to ready by the test before)
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'LREADY', activity: 'ready' }), 200);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'LTALK', activity: 'talk' }), 200);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  const seenJson = new Set(json.batches.keys());
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  await drained(admin, 70000);
  // per new batch, the spans of each long day it carries, in the batch's order
  const fresh = [...json.batches.entries()].filter(([k]) => !seenJson.has(k)).sort(([, x], [, y]) => x.order - y.order)
    .map(([, b]) => b.body.days.filter((x) => x.agent.startsWith('long')).map((x) => x.spans.length)).filter((l) => l.length);
  assert.deepEqual(fresh.flat(), ids.map(() => PER_DAY), JSON.stringify(fresh));
  // a batch ends with the day at which it reached 60,000 spans (the 16 days whole: 80,000)
  assert.ok(fresh.length >= 2, JSON.stringify(fresh));
  for (const b of fresh) {
    assert.ok(b.slice(0, -1).reduce((x, y) => x + y, 0) < 60000, JSON.stringify(fresh));
  }
  for (const a of ids) {
    const spans = json.agents.get(`${a}@example.com|${DAY}`);
    assert.equal(spans.length, PER_DAY, a);
    assert.deepEqual(spans.slice(0, 2).map((s) => s.activity), ['ready', 'talk'], a);
    assert.equal(spans.at(-1).end, `${DAY}T${hms(2 * PER_DAY)}Z`, a);
  }
  assert.deepEqual(json.errors, []);
});
