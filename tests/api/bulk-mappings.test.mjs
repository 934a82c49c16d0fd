// Many mappings in one step: POST /api/v1/mappings/bulk (WFM queues and their mappings from a
// source's external queues, one WFM queue each or several into one) and POST
// /api/v1/queues/{id}/copy-mappings. All or nothing: one bad item creates nothing, and the
// error names it; results are computed over what is staged, as for a single mapping.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertError, assertInvalidField, assertStatus, createUser, pw, show, sleep, startWithAdmin,
} from '../lib/api.mjs';
import { login } from '../lib/daemon.mjs';

let d;
let admin;
let folder;
let src;

const DAY = '2026-11-24';
// 08:00 and 08:15 of four splits: offered, handled, abandoned, aht
const ROWS = {
  101: ['Sales DE', [10, 8, 2, 100], [4, 2, 1, 50]],
  102: ['Sales AT', [5, 2, 3, 250], [6, 6, 0, 80]],
  201: ['Service DE', [7, 7, 0, 60], [3, 1, 2, 120]],
  202: ['Service AT', [2, 1, 1, 300], [0, 0, 0, 0]],
};

async function waitRun(id) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) {
    const r = await admin.get(`/api/v1/runs/${id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(100);
  }
  throw new Error(`run ${id} did not finish`);
}

/** { 'value_type': { 'HH:MM': value } } of a WFM queue on DAY. */
async function results(queue) {
  const r = await admin.get(`/api/v1/results?queue=${encodeURIComponent(queue)}&from=${DAY}&to=${DAY}`);
  assertStatus(r, 200);
  const out = {};
  for (const x of r.body.items) {
    (out[x.value_type] ||= {})[x.local.slice(11, 16)] = x.value;
  }
  return out;
}

async function identifiers() {
  const r = await admin.get('/api/v1/queues?limit=500');
  assertStatus(r, 200);
  return r.body.items.map((q) => q.identifier).sort();
}

async function mappingCount() {
  const r = await admin.get('/api/v1/mappings?limit=500');
  assertStatus(r, 200);
  return r.body.items.length;
}

const STANDARD = [
  { value_type: 'offered', metric: 'offered' },
  { value_type: 'handled', metric: 'handled' },
  { value_type: 'abandoned', metric: 'abandoned' },
  { value_type: 'aht', metric: 'aht' },
];

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-bulk-'));
  const lines = ['Split,Name,Date,Time,Offered,Handled,Abandoned,AHT'];
  for (const [split, [name, a, b]] of Object.entries(ROWS)) {
    lines.push(`${split},${name},${DAY},08:00,${a.join(',')}`, `${split},${name},${DAY},08:15,${b.join(',')}`);
  }
  fs.writeFileSync(path.join(folder, 'a.csv'), `${lines.join('\n')}\n`);
  src = (await admin.post('/api/v1/sources', {
    name: 'Bulk CSV', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', abandoned: 'Abandoned', aht: 'AHT' },
    },
  })).body;
  const run = await waitRun((await admin.post('/api/v1/runs', { source_id: src.id, from: DAY, to: DAY })).body.id);
  assert.equal(run.state, 'done', JSON.stringify(run));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

test('external queues of a source, mapped or not, for suggestions', async () => {
  const r = await admin.get(`/api/v1/ext-queues?source_id=${src.id}`);
  assertStatus(r, 200);
  assert.deepEqual(r.body.items.map((x) => x.ext_queue).sort(), ['101', '102', '201', '202']);
  const q101 = r.body.items.find((x) => x.ext_queue === '101');
  assert.equal(q101.name, 'Sales DE');
  assert.equal(q101.mapped, false);
  assert.deepEqual(q101.metrics, ['abandoned', 'aht', 'handled', 'offered']);
  assertError(await admin.get('/api/v1/ext-queues?source_id=x'), 400, 'invalid_parameter');
});

test('one bad item creates nothing, and the error names it', async () => {
  const before = { ids: await identifiers(), maps: await mappingCount() };
  const queues = [
    { identifier: 'A1', name: 'A 1', ext_queues: ['101'] },
    { identifier: 'A2', name: 'A 2', ext_queues: ['102'] },
    { identifier: 'A3', name: 'A 3', ext_queues: [''] },
  ];
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', { source_id: src.id, queues, mappings: STANDARD }),
    'queues[2].ext_queues[0]');
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: queues.slice(0, 2), mappings: [...STANDARD, { value_type: 'no_such', metric: 'x' }],
  }), 'mappings[4].value_type');
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [queues[0], { ...queues[1], time_zone: 'Mars/Olympus' }], mappings: STANDARD,
  }), 'queues[1].time_zone');
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: queues.slice(0, 2), mappings: [STANDARD[0], STANDARD[0]],
  }), 'mappings[1].value_type');
  // several queues into one with an AHT but no handled: the weights are unknown
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ identifier: 'A4', name: 'A 4', ext_queues: ['101', '102'] }],
    mappings: [STANDARD[0], STANDARD[3]],
  }), 'mappings[1]');
  // a total into an average, or an average into a sum: refused like a single mapping, and
  // the refusal says that "override" would save it
  const total = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: queues.slice(0, 2), mappings: [STANDARD[0], { value_type: 'aht', metric: 'handle_time' }],
  });
  assertInvalidField(total, 'mappings[1].metric');
  assert.equal(total.body.error.overridable, true);
  assert.match(total.body.error.hint, /override/);
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: queues.slice(0, 2), mappings: [{ value_type: 'offered', metric: 'aht' }],
  }), 'mappings[0].metric');
  const noSource = await admin.post('/api/v1/mappings/bulk', { source_id: 999, queues, mappings: STANDARD });
  assertInvalidField(noSource, 'source_id');
  assert.equal(noSource.body.error.overridable, undefined);
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', { source_id: src.id, queues: [], mappings: STANDARD }),
    'queues');
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', { source_id: src.id, queues, mappings: STANDARD, x: 1 }),
    'x');
  assert.deepEqual(await identifiers(), before.ids, 'no queue was left behind');
  assert.equal(await mappingCount(), before.maps, 'no mapping was left behind');
});

test('names clash: a taken identifier, or one used twice, creates nothing', async () => {
  assertStatus(await admin.post('/api/v1/queues', { identifier: 'TAKEN', name: 'Taken', time_zone: 'Europe/Berlin' }), 201);
  const before = { ids: await identifiers(), maps: await mappingCount() };
  const r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [{ identifier: 'B1', name: 'B 1', ext_queues: ['101'] }, { identifier: 'TAKEN', name: 'T', ext_queues: ['102'] }],
    mappings: STANDARD,
  });
  assertError(r, 409, 'conflict');
  assert.match(r.body.error.message, /^queues\[1\]\.identifier: /, show(r));
  const twice = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [{ identifier: 'B1', name: 'B 1', ext_queues: ['101'] }, { identifier: 'B1', name: 'B 2', ext_queues: ['102'] }],
    mappings: STANDARD,
  });
  assertError(twice, 409, 'conflict');
  assert.match(twice.body.error.message, /^queues\[1\]\.identifier: /, show(twice));
  assert.deepEqual(await identifiers(), before.ids);
  assert.equal(await mappingCount(), before.maps);
});

test('one WFM queue per external queue: 4 queues x 4 value types with results computed', async () => {
  const queues = Object.entries(ROWS).map(([split, [name]]) => ({
    identifier: name.toUpperCase().replace(/ /g, '_'), name, ext_queues: [split],
  }));
  const r = await admin.post('/api/v1/mappings/bulk', { source_id: src.id, queues, mappings: STANDARD });
  assertStatus(r, 201);
  assert.deepEqual(r.body.queues.map((q) => q.identifier), ['SALES_DE', 'SALES_AT', 'SERVICE_DE', 'SERVICE_AT']);
  for (const q of r.body.queues) { // zone and interval from the source
    assert.equal(q.time_zone, 'Europe/Berlin');
    assert.equal(q.interval_minutes, src.interval_minutes);
    assert.equal(q.channel, 'calls');
  }
  assert.equal(r.body.mappings.length, 16);
  assert.ok(r.body.mappings.every((m) => !m.pending_recompute && m.formula === null), show(r));
  // 4 queues x 2 intervals x 4 types: computed before the answer
  assert.equal(r.body.results, 32);
  for (const [split, [name, a, b]] of Object.entries(ROWS)) {
    const res = await results(name.toUpperCase().replace(/ /g, '_'));
    assert.deepEqual(res.offered, { '08:00': a[0], '08:15': b[0] }, split);
    assert.deepEqual(res.handled, { '08:00': a[1], '08:15': b[1] }, split);
    assert.deepEqual(res.abandoned, { '08:00': a[2], '08:15': b[2] }, split);
    assert.deepEqual(res.aht, { '08:00': a[3], '08:15': b[3] }, split);
  }
  const audit = await admin.get('/api/v1/audit?limit=50&action=mapping.bulk');
  assertStatus(audit, 200);
  const entry = audit.body.items.find((e) => e.action === 'mapping.bulk');
  assert.ok(entry, show(audit));
  assert.equal(entry.target, 'Bulk CSV');
  assert.equal(entry.detail.mappings, 16);
  assert.deepEqual(entry.detail.queues_created, ['SALES_DE', 'SALES_AT', 'SERVICE_DE', 'SERVICE_AT']);
  const ext = await admin.get(`/api/v1/ext-queues?source_id=${src.id}`);
  assert.ok(ext.body.items.every((x) => x.mapped), show(ext));
});

test('several external queues into one WFM queue: sums and the handled-weighted AHT', async () => {
  const r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [{ identifier: 'SALES', name: 'Sales', channel: 'chats', ext_queues: ['101', '102'] }],
    // AHT listed first: the weights are made first all the same
    mappings: [STANDARD[3], ...STANDARD.slice(0, 3)],
  });
  assertStatus(r, 201);
  assert.equal(r.body.queues[0].channel, 'chats');
  assert.deepEqual(r.body.mappings.map((m) => m.value_type), ['offered', 'handled', 'abandoned', 'aht']);
  assert.deepEqual(r.body.mappings[0].inputs.map((i) => i.ext_queue), ['101', '102']);
  const res = await results('SALES');
  assert.deepEqual(res.offered, { '08:00': 15, '08:15': 10 });
  // (100*8 + 250*2) / 10 = 130; (50*2 + 80*6) / 8 = 72.5
  assert.deepEqual(res.aht, { '08:00': 130, '08:15': 72.5 });
});

test('an existing WFM queue takes more mappings; one it has already creates nothing', async () => {
  const q = (await admin.post('/api/v1/queues', { identifier: 'SERVICE', name: 'Service', time_zone: 'Europe/Berlin' })).body;
  let r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ queue_id: q.id, ext_queues: ['201', '202'] }], mappings: [STANDARD[0]],
  });
  assertStatus(r, 201);
  assert.deepEqual(r.body.queues.map((x) => x.id), [q.id]);
  const before = await mappingCount();
  r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ queue_id: q.id, ext_queues: ['201'] }], mappings: [STANDARD[1], STANDARD[0]],
  });
  assertError(r, 409, 'conflict');
  assert.match(r.body.error.message, /^queues\[0\]: queue 'SERVICE' has a mapping for 'offered'/, show(r));
  assert.equal(await mappingCount(), before, 'the handled mapping went back too');
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ queue_id: q.id, name: 'x', ext_queues: ['201'] }], mappings: [STANDARD[1]],
  }), 'queues[0].queue_id');
  const hourly = (await admin.post('/api/v1/queues', {
    identifier: 'HOURLY', name: 'Hourly', time_zone: 'Europe/Berlin', interval_minutes: 60,
  })).body;
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ queue_id: hourly.id, ext_queues: ['201'] }], mappings: [STANDARD[1]],
  }), 'queues[0].queue_id');
});

test('copy a queue\'s mappings to other queues, renaming external queues', async () => {
  const from = (await admin.get('/api/v1/queues?limit=500')).body.items.find((q) => q.identifier === 'SALES_DE');
  const target = (await admin.post('/api/v1/queues', { identifier: 'COPY_T', name: 'Copy target', time_zone: 'Europe/Berlin' })).body;
  const before = { ids: await identifiers(), maps: await mappingCount() };
  // a rename of a queue no mapping reads, then a clash: nothing is made
  assertInvalidField(await admin.post(`/api/v1/queues/${from.id}/copy-mappings`, {
    to: [{ queue_id: target.id, ext_queues: { 999: '102' } }],
  }), 'to[0].ext_queues.999');
  const clash = await admin.post(`/api/v1/queues/${from.id}/copy-mappings`, {
    to: [{ identifier: 'COPY_NEW', name: 'New copy', ext_queues: { 101: '201' } }, { queue_id: from.id }],
  });
  assertInvalidField(clash, 'to[1].queue_id');
  assert.deepEqual(await identifiers(), before.ids);
  assert.equal(await mappingCount(), before.maps);

  const r = await admin.post(`/api/v1/queues/${from.id}/copy-mappings`, {
    to: [{ queue_id: target.id, ext_queues: { 101: '102' } }, { identifier: 'COPY_NEW', name: 'New copy', ext_queues: { 101: '201' } }],
  });
  assertStatus(r, 201);
  assert.equal(r.body.mappings.length, 8);
  assert.equal(r.body.queues[1].identifier, 'COPY_NEW');
  assert.equal(r.body.queues[1].time_zone, from.time_zone);
  assert.ok(r.body.mappings.every((m) => m.inputs.length === 1 && m.inputs[0].ext_queue !== '101'), show(r));
  assert.deepEqual(await results('COPY_T'), await results('SALES_AT'));
  assert.deepEqual(await results('COPY_NEW'), await results('SERVICE_DE'));
  const again = await admin.post(`/api/v1/queues/${from.id}/copy-mappings`, { to: [{ queue_id: target.id }] });
  assertError(again, 409, 'conflict');
  assert.match(again.body.error.message, /^to\[0\]: queue 'COPY_T' has a mapping for/, show(again));
  const empty = (await admin.post('/api/v1/queues', { identifier: 'EMPTY', name: 'Empty', time_zone: 'Europe/Berlin' })).body;
  assertInvalidField(await admin.post(`/api/v1/queues/${empty.id}/copy-mappings`, { to: [{ queue_id: target.id }] }), 'to');
  assertError(await admin.post('/api/v1/queues/99999/copy-mappings', { to: [{ queue_id: target.id }] }), 404, 'not_found');
});

test('viewers may not create mappings in bulk', async () => {
  await createUser(admin, 'vic', 'viewer', pw('vic'));
  const viewer = await login(d, 'vic', pw('vic'));
  assertError(await viewer.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ identifier: 'V', name: 'V', ext_queues: ['101'] }], mappings: STANDARD,
  }), 403, 'forbidden');
  assertStatus(await viewer.get(`/api/v1/ext-queues?source_id=${src.id}`), 200);
});

test('a ratio of two metrics: divide_by makes the formula over the sums', async () => {
  assertStatus(await admin.post('/api/v1/value-types', { key: 'abandon_rate', name: 'Abandon rate', unit: 'number' }), 201);
  const r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [
      { identifier: 'RATE_ONE', name: 'Rate one', ext_queues: ['101'] },
      { identifier: 'RATE_TWO', name: 'Rate two', ext_queues: ['101', '102'] },
    ],
    mappings: [{ value_type: 'abandon_rate', metric: 'abandoned', divide_by: 'offered' }],
  });
  assertStatus(r, 201);
  assert.equal(r.body.mappings[0].formula, 'p1 / p2');
  assert.equal(r.body.mappings[1].formula, '(coalesce(p1, 0) + coalesce(p2, 0)) / (coalesce(p3, 0) + coalesce(p4, 0))');
  assert.deepEqual(r.body.mappings[1].inputs.map((i) => `${i.ext_queue}.${i.metric}`),
    ['101.abandoned', '102.abandoned', '101.offered', '102.offered']);
  assert.deepEqual((await results('RATE_ONE')).abandon_rate, { '08:00': 0.2, '08:15': 0.25 });
  assert.deepEqual((await results('RATE_TWO')).abandon_rate, { '08:00': 5 / 15, '08:15': 0.1 });
  assertInvalidField(await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ identifier: 'RATE_X', name: 'X', ext_queues: ['101'] }],
    mappings: [{ value_type: 'abandon_rate', metric: 'abandoned', divide_by: '' }],
  }), 'mappings[0].divide_by');
});

test('inputs naming what the source never delivered are answered with warnings', async () => {
  const r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [{ identifier: 'TYPO', name: 'Typo', ext_queues: ['1O1'] }],
    mappings: [{ value_type: 'offered', metric: 'ofered' }],
  });
  assertStatus(r, 201);
  const codes = r.body.mappings[0].warnings.map((w) => `${w.field} ${w.code} ${w.suggestion}`).sort();
  assert.deepEqual(codes, ['inputs[0].ext_queue unknown_ext_queue 101', 'inputs[0].metric unknown_metric offered']);
  const ok = (await admin.get('/api/v1/mappings?limit=500')).body.items.find((m) => m.queue.identifier === 'SALES_DE');
  assert.deepEqual(ok.warnings, []);
});

test('an item with override saves a contradicting form, and its mapping is marked', async () => {
  const r = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ identifier: 'OVR', name: 'Override', ext_queues: ['101'] }],
    mappings: [STANDARD[0], { value_type: 'handled', metric: 'handled' },
      { value_type: 'aht', metric: 'offered', override: true }],
  });
  assertStatus(r, 201);
  const made = await admin.get(`/api/v1/mappings?queue_id=${r.body.queues[0].id}`);
  const byType = Object.fromEntries(made.body.items.map((m) => [m.value_type, m.override]));
  assert.deepEqual(byType, { offered: false, handled: false, aht: true });
  // override on an item whose form is right marks nothing
  const fine = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id, queues: [{ identifier: 'OVR2', name: 'Override 2', ext_queues: ['102'] }],
    mappings: [{ ...STANDARD[0], override: true }],
  });
  assertStatus(fine, 201);
  const m2 = await admin.get(`/api/v1/mappings?queue_id=${fine.body.queues[0].id}`);
  assert.equal(m2.body.items[0].override, false);
});
