// Zero-fill, a per-run option (default off): intervals of the run's days without source data
// become 0 for sum and formula mappings fed by the source; averages (AHT) stay empty; without
// the option the gaps stay gaps. Through the API, schedules and `acdlink run --zero-fill`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../lib/daemon.mjs';
import { assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let folder;
let src;

const DAY = '2026-11-24';

async function run(body) {
  const c = await admin.post('/api/v1/runs', { source_id: src.id, from: DAY, to: DAY, ...body });
  assertStatus(c, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(100);
  }
  throw new Error('run did not finish');
}

async function results(identifier, vt, day = DAY) {
  const r = await admin.get(`/api/v1/results?queue=${identifier}&from=${day}&to=${day}&value_type=${vt}`);
  assertStatus(r, 200);
  return Object.fromEntries(r.body.items.map((x) => [x.local.slice(11, 16), x.value]));
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-zero-'));
  fs.writeFileSync(path.join(folder, 'a.csv'), [
    'Q,Date,Time,Offered,Handled,AHT',
    `A,${DAY},08:00,10,8,120`,
    `A,${DAY},08:15,3,3,90`,
    '',
  ].join('\n'));
  src = (await admin.post('/api/v1/sources', {
    name: 'Zero', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'Q', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  })).body;
  const q = await admin.post('/api/v1/queues', { identifier: 'ZQ', name: 'ZQ', time_zone: 'Europe/Berlin' });
  assertStatus(q, 201);
  const map = async (vt, inputs, formula) => assertStatus(await admin.post('/api/v1/mappings', {
    queue_id: q.body.id, value_type: vt, formula,
    inputs: inputs.map(([ext, metric]) => ({ source_id: src.id, ext_queue: ext, metric })),
  }), 201);
  await map('offered', [['A', 'offered']]);
  await map('handled', [['A', 'handled']]);
  await map('aht', [['A', 'aht']]);
  // a formula: unanswered contacts
  await map('abandoned', [['A', 'offered'], ['A', 'handled']], 'p1 - p2');
  // a queue that is mapped but never delivered anything
  await map('handle_time', [['NEVER', 'handle_time']]);
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

test('off (the default): intervals without data stay empty', async () => {
  const r = await run({});
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.equal(r.zero_fill, false);
  assert.deepEqual(await results('ZQ', 'offered'), { '08:00': 10, '08:15': 3 });
  assert.deepEqual(await results('ZQ', 'abandoned'), { '08:00': 2, '08:15': 0 });
  assert.deepEqual(await results('ZQ', 'handle_time'), {});
});

test('on: sums and formulas get 0 in every empty interval of the day, averages stay empty', async () => {
  const r = await run({ zero_fill: true });
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.equal(r.zero_fill, true);
  assert.equal(r.counts.files_skipped, 1, 'nothing new to read: the option works on what is staged');
  const offered = await results('ZQ', 'offered');
  assert.equal(Object.keys(offered).length, 96);
  assert.equal(offered['08:00'], 10);
  assert.equal(offered['08:15'], 3);
  assert.equal(offered['00:00'], 0);
  assert.equal(offered['23:45'], 0);
  assert.equal(Object.values(offered).reduce((a, b) => a + b, 0), 13);
  const abandoned = await results('ZQ', 'abandoned');
  assert.equal(Object.keys(abandoned).length, 96);
  assert.equal(abandoned['08:00'], 2);
  assert.equal(abandoned['12:00'], 0);
  assert.deepEqual(await results('ZQ', 'aht'), { '08:00': 120, '08:15': 90 }, 'no average over no contacts');
  const never = await results('ZQ', 'handle_time');
  assert.equal(Object.keys(never).length, 96);
  assert.ok(Object.values(never).every((v) => v === 0));
  const log = await admin.get(`/api/v1/runs/${r.id}/log`);
  assert.ok(log.body.items.some((l) => /zero-fill: \d+ empty intervals set to 0 over 3 queue metrics/.test(l.message)), show(log));
  // later data replaces the zeros key by key
  fs.writeFileSync(path.join(folder, 'b.csv'), `Q,Date,Time,Offered,Handled,AHT\nA,${DAY},12:00,5,4,60\n`);
  assert.equal((await run({})).state, 'done');
  const after = await results('ZQ', 'offered');
  assert.equal(after['12:00'], 5);
  assert.equal(after['12:15'], 0);
  assert.equal(after['08:00'], 10);
});

test('zero_fill must be a boolean', async () => {
  const r = await admin.post('/api/v1/runs', { source_id: src.id, from: DAY, to: DAY, zero_fill: 'yes' });
  assertStatus(r, 422);
  assert.match(r.body.error.message, /zero_fill/, show(r));
});

test('schedules carry the option to the runs they queue', async () => {
  const c = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '06:30', zero_fill: true });
  assertStatus(c, 201);
  assert.equal(c.body.zero_fill, true);
  const off = await admin.patch(`/api/v1/schedules/${c.body.id}`, { zero_fill: false });
  assertStatus(off, 200);
  assert.equal(off.body.zero_fill, false);
  assert.equal((await admin.get(`/api/v1/schedules/${c.body.id}`)).body.zero_fill, false);
  const plain = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 15 });
  assert.equal(plain.body.zero_fill, false, 'off unless asked for');
  const bad = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 15, zero_fill: 1 });
  assertStatus(bad, 422);
  assert.match(bad.body.error.message, /zero_fill/);
});

test('acdlink run --zero-fill fills the days of its period', async () => {
  const day = '2026-11-25';
  const r = await runCli(['run', '--source', 'Zero', '--from', day, '--to', day, '--zero-fill', '--data-dir', d.dataDir]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const offered = await results('ZQ', 'offered', day);
  assert.equal(Object.keys(offered).length, 96);
  assert.ok(Object.values(offered).every((v) => v === 0));
  const runs = await admin.get('/api/v1/runs?limit=1');
  assert.equal(runs.body.items[0].zero_fill, true, show(runs));
});
