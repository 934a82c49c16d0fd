// History for a target made after the data was imported: POST /api/v1/targets/{id}/resend
// queues the current results of a period (contact statistics and agent days) through the
// outbox; a strict injixo receiver must then hold exactly those days, each interval once per
// resend, with the resend's progress (queued, sent, remaining) counted on GET /api/v1/resends;
// validation, roles and the audit entry.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, createUser, pw, show, startWithAdmin } from '../lib/api.mjs';
import { login } from '../lib/daemon.mjs';
import {
  contactPipeline, diffApplied, drained, expectedInjixo, line, runDays, waitFor, writeCsv,
} from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const DAY1 = '2026-11-23';
const DAY2 = '2026-11-24';
let d;
let admin;
let wfm;
let base;
let src;
let agents;
let target;
const rows1 = [];
const rows2 = [];

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'] }));
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-resend-'));
  const folder = path.join(base, 'acd');
  fs.mkdirSync(folder);
  for (const q of ['101', '102']) {
    for (const [i, hhmm] of ['08:00', '08:15', '08:30'].entries()) {
      rows1.push(line(q, DAY1, hhmm, 10 + i, 8 + i, 100 + i));
      rows2.push(line(q, DAY2, hhmm, 20 + i, 18 + i, 200 + i));
    }
  }
  writeCsv(folder, 'day1.csv', rows1);
  writeCsv(folder, 'day2.csv', rows2);
  ({ source: src } = await contactPipeline(admin, folder, ['101', '102']));

  const afolder = path.join(base, 'agents');
  fs.mkdirSync(afolder);
  fs.writeFileSync(path.join(afolder, 'a.csv'), [
    'Agent;Date;Start;End;State',
    `0042;${DAY1};08:00:00;09:00:00;READY`,
    `0042;${DAY2};08:00:00;08:30:00;READY`,
    '',
  ].join('\n'));
  assertStatus(await admin.post('/api/v1/activities', { identifier: 'ready', name: 'Ready' }), 201);
  const a = await admin.post('/api/v1/sources', {
    name: 'Agents', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder: afolder, separator: ';', date_order: 'ymd' },
      columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
      agent_states: { span: 'start_end' },
    },
  });
  assertStatus(a, 201);
  agents = a.body;
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: agents.id, code: 'READY', activity: 'ready' }), 200);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: agents.id, text: '0042;alice@example.com\n' }), 200);

  // the data is imported before the target exists
  assert.equal((await runDays(admin, src.id, DAY1, DAY2)).state, 'done');
  assert.equal((await runDays(admin, agents.id, DAY1, DAY2)).state, 'done');

  wfm = await startWfm({ kind: 'injixo' });
  const t = await admin.post('/api/v1/targets', {
    name: 'New WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile },
  });
  assertStatus(t, 201);
  target = t.body;
});

after(async () => {
  const code = d ? await d.stop() : 0;
  await wfm?.close();
  fs.rmSync(base, { recursive: true, force: true });
  assert.equal(code, 0, d && d.stderr().slice(-3000));
});

function refused(res, status, code, message) {
  assertError(res, status, code);
  assert.match(res.body.error.message, message);
}

async function resendDone(id) {
  return waitFor(async () => {
    const r = await admin.get(`/api/v1/resends/${id}`);
    assertStatus(r, 200);
    return r.body.done ? r.body : null;
  }, `resend ${id} to finish`);
}

test('a target made after the import receives nothing by itself', async () => {
  await drained(admin);
  assert.equal(wfm.applied.size, 0);
  assert.equal(wfm.agents.size, 0);
});

test('resending one day sends exactly that day, contacts and agent states', async () => {
  const r = await admin.post(`/api/v1/targets/${target.id}/resend`, { from: DAY1, to: DAY1 });
  assertStatus(r, 201);
  assert.match(r.headers.location, new RegExp(`/api/v1/resends/${r.body.id}$`));
  assert.equal(r.body.intervals, 6, show(r));
  assert.equal(r.body.agent_days, 1, show(r));
  assert.deepEqual(r.body.products, ['contacts', 'agent_states']);
  assert.equal(r.body.target_id, target.id);
  const done = await resendDone(r.body.id);
  assert.equal(done.sent, 7, JSON.stringify(done));
  assert.equal(done.failed, 0);
  assert.equal(done.remaining, 0);
  const diffs = diffApplied(wfm.applied, expectedInjixo(rows1));
  assert.deepEqual(diffs, [], diffs.join('\n'));
  assert.deepEqual([...wfm.agents.keys()], [`alice@example.com|${DAY1}T08:00:00Z`]);
  assert.deepEqual(wfm.errors, []);
});

test('resending a period again sends its current values again under new batch ids', async () => {
  const before = wfm.batches.size;
  const r = await admin.post(`/api/v1/targets/${target.id}/resend`, { from: DAY1, to: DAY2, products: ['contacts'] });
  assertStatus(r, 201);
  assert.equal(r.body.intervals, 12);
  assert.equal(r.body.agent_days, 0);
  const done = await resendDone(r.body.id);
  assert.equal(done.sent, 12);
  assert.ok(wfm.batches.size > before, 'new batches were sent');
  for (const b of wfm.batches.values()) {
    assert.equal(b.count, 1, 'no batch was applied twice');
  }
  const diffs = diffApplied(wfm.applied, expectedInjixo([...rows1, ...rows2]));
  assert.deepEqual(diffs, [], diffs.join('\n'));
  assert.equal(wfm.agents.size, 1, 'agent states were not asked for');
  const list = await admin.get(`/api/v1/resends?target_id=${target.id}`);
  assertStatus(list, 200);
  assert.deepEqual(list.body.items.map((x) => x.id), [r.body.id, r.body.id - 1]);
  const dl = await admin.get(`/api/v1/deliveries?target_id=${target.id}&limit=500`);
  assert.ok(dl.body.items.every((b) => b.state === 'acked'), show(dl));
});

test('a resend is validated, role-checked and audited', async () => {
  const url = `/api/v1/targets/${target.id}/resend`;
  refused(await admin.post(url, { from: DAY2, to: DAY1 }), 422, 'invalid_field', /to: .* is before from/);
  refused(await admin.post(url, { from: '2026-02-30', to: DAY1 }), 422, 'invalid_field', /from:/);
  refused(await admin.post(url, { from: DAY1, to: DAY1, products: ['calls'] }), 422, 'invalid_field', /products\[0\]/);
  refused(await admin.post(url, { from: DAY1, to: DAY1, products: [] }), 422, 'invalid_field', /products/);
  refused(await admin.post(url, { from: '2025-01-01', to: DAY1 }), 422, 'invalid_field', /at most 400/);
  assertError(await admin.post(url, { from: DAY1 }), 422, 'invalid_field');
  assertError(await admin.post(url, { from: DAY1, to: DAY1, extra: 1 }), 422, 'invalid_field');
  assertError(await admin.post('/api/v1/targets/9999/resend', { from: DAY1, to: DAY1 }), 404, 'not_found');
  assertError(await admin.get('/api/v1/resends/9999'), 404, 'not_found');
  assertError(await admin.get('/api/v1/resends?target_id=x'), 400, 'invalid_parameter');
  await createUser(admin, 'watcher', 'viewer');
  const viewer = await login(d, 'watcher', pw('watcher'));
  assertError(await viewer.post(url, { from: DAY1, to: DAY1 }), 403, 'forbidden');
  assertStatus(await viewer.get('/api/v1/resends'), 200);
  const audit = await admin.get('/api/v1/audit?limit=50');
  const e = audit.body.items.find((x) => x.action === 'target.resend');
  assert.ok(e, show(audit));
  assert.equal(e.outcome, 'ok');
  assert.equal(e.detail.target_id, target.id);
});

test('config apply asks for a resend once: applying the file again sends nothing twice', async () => {
  const doc = {
    acdlink_config: 1,
    resends: [{ target: 'New WFM', from: DAY2, to: DAY2, products: ['agent_states'] }],
  };
  const dry = await admin.post('/api/v1/config/apply', { config: doc, dry_run: true });
  assertStatus(dry, 200);
  assert.deepEqual(dry.body.changes.map((c) => [c.kind, c.action]), [['resends', 'create']]);
  const count = async () => (await admin.get(`/api/v1/resends?target_id=${target.id}`)).body.items.length;
  const n = await count();
  const applied = await admin.post('/api/v1/config/apply', { config: doc });
  assertStatus(applied, 200);
  assert.equal(applied.body.changes.length, 1, show(applied));
  assert.equal(await count(), n + 1);
  const latest = (await admin.get(`/api/v1/resends?target_id=${target.id}&limit=1`)).body.items[0];
  assert.deepEqual([latest.from, latest.to, latest.products, latest.agent_days], [DAY2, DAY2, ['agent_states'], 1]);
  await resendDone(latest.id);
  assert.ok(wfm.agents.has(`alice@example.com|${DAY2}T08:00:00Z`), JSON.stringify([...wfm.agents.keys()]));
  const again = await admin.post('/api/v1/config/apply', { config: doc });
  assertStatus(again, 200);
  assert.deepEqual(again.body.changes, []);
  assert.equal(again.body.unchanged, 1);
  assert.equal(await count(), n + 1);
  const bad = await admin.post('/api/v1/config/apply', { config: { acdlink_config: 1, resends: [{ target: 'Nobody', from: DAY1, to: DAY1 }] } });
  assertError(bad, 422, 'invalid_field');
  assert.match(bad.body.error.message, /resends\[0\]: no target is named 'Nobody'/);
});
