// CSV imports in the forms exports take: contact layout aggregated into intervals, the autumn
// DST day (the repeated hour told apart by row order), Windows-1252 text, files moved to an
// archive after import.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let base;

async function importDay(sourceId, from, to = from) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from, to });
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

async function results(identifier, day, vt) {
  const r = await admin.get(`/api/v1/results?queue=${identifier}&from=${day}&to=${day}&value_type=${vt}`);
  assertStatus(r, 200);
  return r.body.items;
}

async function source(name, tz, settings, layout = 'interval') {
  const r = await admin.post('/api/v1/sources', { name, kind: 'csv', layout, time_zone: tz, settings });
  assertStatus(r, 201);
  return r.body;
}

async function queueWith(identifier, tz, src, ext, pairs) {
  const q = await admin.post('/api/v1/queues', { identifier, name: identifier, time_zone: tz });
  assertStatus(q, 201);
  for (const [vt, metric] of pairs) {
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: q.body.id, value_type: vt, inputs: [{ source_id: src.id, ext_queue: ext, metric }],
    }), 201);
  }
  return q.body;
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-forms-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('contact layout: one row per contact becomes offered, handled, abandoned and handle time', async () => {
  const folder = path.join(base, 'contacts');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'calls.csv'), [
    'queue,start,outcome,talk',
    'Q1,2026-11-24 08:01:10,AGENT,100',
    'Q1,2026-11-24 08:14:59,AGENT,200',
    'Q1,2026-11-24 08:07:00,ABANDON,30',
    'Q1,2026-11-24 08:15:00,AGENT,60',
    'TEST,2026-11-24 08:02:00,AGENT,5',
    '',
  ].join('\n'));
  const src = await source('Contacts', 'America/New_York', {
    csv: { folder, date_order: 'ymd' },
    columns: { queue: 'queue', timestamp: 'start', answered: 'answered', duration: 'talk' },
    derived: [{ name: 'answered', expression: "outcome = 'AGENT'" }],
    filter: "queue <> 'TEST'",
  }, 'contact');
  const run = await importDay(src.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_filtered, 1);
  assert.equal(run.counts.rows_staged, 4);
  await queueWith('NYQ', 'America/New_York', src, 'Q1',
    [['offered', 'offered'], ['handled', 'handled'], ['abandoned', 'abandoned'], ['handle_time', 'handle_time']]);
  const at = async (vt) => (await results('NYQ', '2026-11-24', vt)).map((x) => `${x.local.slice(11, 16)}=${x.value}`).join(' ');
  assert.equal(await at('offered'), '08:00=3 08:15=1');
  assert.equal(await at('handled'), '08:00=2 08:15=1');
  assert.equal(await at('abandoned'), '08:00=1');
  assert.equal(await at('handle_time'), '08:00=300 08:15=60');
});

test('the autumn DST day in Berlin has 100 quarter-hours; the repeated hour keeps both', async () => {
  const folder = path.join(base, 'dst');
  fs.mkdirSync(folder);
  const lines = ['Split;Date;Time;Calls'];
  // 2026-10-25: 00:00 .. 01:45, then 02:00 .. 02:45 twice, then 03:00 .. 23:45
  const add = (h, m, v) => lines.push(`1;25.10.2026;${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')};${v}`);
  for (let h = 0; h < 2; h++) for (let m = 0; m < 60; m += 15) add(h, m, 1);
  for (let m = 0; m < 60; m += 15) add(2, m, 10); // summer time
  for (let m = 0; m < 60; m += 15) add(2, m, 20); // winter time, same wall clock
  for (let h = 3; h < 24; h++) for (let m = 0; m < 60; m += 15) add(h, m, 1);
  fs.writeFileSync(path.join(folder, 'dst.csv'), `${lines.join('\n')}\n`);
  const src = await source('DST', 'Europe/Berlin', {
    csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { calls: 'Calls' },
  });
  const run = await importDay(src.id, '2026-10-25');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_staged, 100);
  assert.equal(run.counts.rows_rejected, 0);
  await queueWith('DSTQ', 'Europe/Berlin', src, '1', [['offered', 'calls']]);
  const items = await results('DSTQ', '2026-10-25', 'offered');
  assert.equal(items.length, 100);
  const twoAm = items.filter((x) => x.local.slice(11, 16) === '02:00');
  assert.deepEqual(twoAm.map((x) => [x.local, x.value]), [
    ['2026-10-25T02:00+02:00', 10],
    ['2026-10-25T02:00+01:00', 20],
  ]);
  assert.equal(items.reduce((s, x) => s + x.value, 0), 92 + 40 + 80);
});

test('Windows-1252 names, decimal commas, and files moved to the archive', async () => {
  const folder = path.join(base, 'cp1252');
  const archive = path.join(base, 'archive');
  fs.mkdirSync(folder);
  const text = 'Skill;Name;Date;Time;AHT\nK\xfc1;M\xfcnchen \x80;24.11.2026;9:15;123,5\n';
  fs.writeFileSync(path.join(folder, 'win.csv'), Buffer.from(text, 'latin1'));
  const src = await source('Win', 'Europe/Berlin', {
    csv: { folder, separator: ';', encoding: 'windows-1252', after_import: 'move', archive_folder: archive },
    columns: { queue: 'Skill', queue_name: 'Name', date: 'Date', time: 'Time' },
    metrics: { aht: 'AHT' },
  });
  const run = await importDay(src.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_staged, 1);
  assert.ok(fs.existsSync(path.join(archive, 'win.csv')), 'not moved to the archive');
  assert.ok(!fs.existsSync(path.join(folder, 'win.csv')), 'still in the import folder');
  const un = await admin.get('/api/v1/unmapped-queues');
  const k = un.body.items.find((x) => x.source === 'Win');
  assert.equal(k.ext_queue, 'Kü1', show(un));
  assert.equal(k.name, 'München €');
  await queueWith('WINQ', 'Europe/Berlin', src, 'Kü1', [['aht', 'aht']]);
  const items = await results('WINQ', '2026-11-24', 'aht');
  assert.deepEqual(items.map((x) => [x.local.slice(11, 16), x.value]), [['09:15', 123.5]]);
});
