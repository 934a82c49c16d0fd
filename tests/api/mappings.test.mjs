// Mappings and results: sums over several external queues, the handled-weighted AHT, formulas
// (division by zero gives no value), unmapped queues, recomputation on change and on import.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertInvalidField, assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let folder;
let src;
let queue;

async function waitRun(id) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(100);
  }
  throw new Error(`run ${id} did not finish`);
}

async function results(vt) {
  const r = await admin.get(`/api/v1/results?queue=${queue.identifier}&from=2026-11-24&to=2026-11-24&value_type=${vt}`);
  assertStatus(r, 200);
  return Object.fromEntries(r.body.items.map((x) => [x.local.slice(11, 16), x.value]));
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-map-'));
  fs.writeFileSync(path.join(folder, 'a.csv'), [
    'Split,Name,Date,Time,Offered,Handled,AHT',
    '101,Sales DE,2026-11-24,08:00,10,8,100',
    '102,Sales AT,2026-11-24,08:00,5,2,250',
    '101,Sales DE,2026-11-24,08:15,4,0,0',
    '103,Service,2026-11-24,08:00,7,7,60',
    '',
  ].join('\n'));
  src = (await admin.post('/api/v1/sources', {
    name: 'Map CSV', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  })).body;
  const run = await waitRun((await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' })).body.id);
  assert.equal(run.state, 'done', JSON.stringify(run));
  queue = (await admin.post('/api/v1/queues', { identifier: 'SALES', name: 'Sales', time_zone: 'Europe/Berlin' })).body;
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

const input = (q, metric) => ({ source_id: src.id, ext_queue: q, metric });

test('unmapped queues are listed with their names and metrics', async () => {
  const r = await admin.get('/api/v1/unmapped-queues');
  assertStatus(r, 200);
  const q101 = r.body.items.find((x) => x.ext_queue === '101');
  assert.ok(q101, show(r));
  assert.equal(q101.name, 'Sales DE');
  assert.deepEqual(q101.metrics, ['aht', 'handled', 'offered']);
});

test('default sum over two external queues', async () => {
  const m = await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'offered', inputs: [input('101', 'offered'), input('102', 'offered')],
  });
  assertStatus(m, 201);
  assert.equal(m.body.inputs[1].name, 'p2');
  assert.deepEqual(await results('offered'), { '08:00': 15, '08:15': 4 });
  assertError(await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'offered', inputs: [input('103', 'offered')],
  }), 409, 'conflict');
  const un = await admin.get('/api/v1/unmapped-queues');
  assert.deepEqual(un.body.items.map((x) => x.ext_queue), ['103']);
});

test('AHT over several queues is the handled-weighted average', async () => {
  // without the handled mapping the weights are unknown: refused, naming the input
  const early = await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'aht', inputs: [input('101', 'aht'), input('102', 'aht')],
  });
  assertInvalidField(early, 'inputs');
  assertStatus(await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'handled', inputs: [input('101', 'handled'), input('102', 'handled')],
  }), 201);
  assertStatus(await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'aht', inputs: [input('101', 'aht'), input('102', 'aht')],
  }), 201);
  const aht = await results('aht');
  // 08:00: (100*8 + 250*2) / 10 = 130; 08:15: no handled calls -> no value
  assert.equal(aht['08:00'], 130);
  assert.ok(!('08:15' in aht), JSON.stringify(aht));
});

test('formulas: p1..pn, division by zero gives no value, bad formulas are refused', async () => {
  const vt = await admin.post('/api/v1/value-types', { key: 'answer_rate', name: 'Answer rate', unit: 'percent' });
  assertStatus(vt, 201);
  const m = await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'answer_rate', formula: 'round(100.0 * p2 / p1, 1)',
    inputs: [input('101', 'offered'), input('101', 'handled')],
  });
  assertStatus(m, 201);
  assert.deepEqual(await results('answer_rate'), { '08:00': 80, '08:15': 0 });
  const p = await admin.patch(`/api/v1/mappings/${m.body.id}`, { formula: 'p1 / (p2 - p2)' });
  assertStatus(p, 200);
  assert.deepEqual(await results('answer_rate'), {});
  assertInvalidField(await admin.patch(`/api/v1/mappings/${m.body.id}`, { formula: 'p3 + 1' }), 'formula');
  assertInvalidField(await admin.patch(`/api/v1/mappings/${m.body.id}`, { formula: 'random()' }), 'formula');
  assertStatus(await admin.delete(`/api/v1/mappings/${m.body.id}`), 204);
  assertError(await admin.get(`/api/v1/mappings/${m.body.id}`), 404, 'not_found');
});

test('a new import recomputes the results', async () => {
  fs.writeFileSync(path.join(folder, 'b.csv'), [
    'Split,Name,Date,Time,Offered,Handled,AHT',
    '102,Sales AT,2026-11-24,08:15,6,6,120',
    '',
  ].join('\n'));
  const run = await waitRun((await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' })).body.id);
  assert.equal(run.counts.files_read, 1);
  assert.deepEqual(await results('offered'), { '08:00': 15, '08:15': 10 });
  const log = await admin.get(`/api/v1/runs/${run.id}/log`);
  assert.ok(log.body.items.some((l) => /mapping: \d+ results computed/.test(l.message)), show(log));
});

test('mapping validation names the field', async () => {
  const base = { queue_id: queue.id, value_type: 'abandoned', inputs: [input('101', 'offered')] };
  assertInvalidField(await admin.post('/api/v1/mappings', { ...base, value_type: 'nope' }), 'value_type');
  assertInvalidField(await admin.post('/api/v1/mappings', { ...base, queue_id: 9999 }), 'queue_id');
  assertInvalidField(await admin.post('/api/v1/mappings', { ...base, inputs: [] }), 'inputs');
  assertInvalidField(await admin.post('/api/v1/mappings', { ...base, inputs: [{ source_id: 999, ext_queue: 'x', metric: 'y' }] }), 'inputs[0].source_id');
  const hourly = (await admin.post('/api/v1/queues', { identifier: 'HOURLY', name: 'h', interval_minutes: 60, time_zone: 'UTC' })).body;
  assertInvalidField(await admin.post('/api/v1/mappings', { ...base, queue_id: hourly.id }), 'inputs[0].source_id');
  assertError(await admin.get('/api/v1/results?queue=SALES&from=2026-11-24'), 400, 'invalid_parameter');
  assertError(await admin.get('/api/v1/results?queue=NOPE&from=2026-11-24&to=2026-11-24'), 404, 'not_found');
});
