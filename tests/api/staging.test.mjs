// Staging invariants on the real daemon: CSV files holding parts of a day add up key by key
// across runs, a later file replaces only the keys it holds, two files of one run add up (and
// say so), a failed run leaves the staged data as it was, and the spring DST day has 92
// quarter-hours. What is staged is read back through mappings (saving one computes its
// results over everything staged).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let base;

async function runDay(sourceId, day) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from: day, to: day });
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

async function source(name, folder, extra = {}) {
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, date_order: 'ymd', ...extra },
      columns: { queue: 'Q', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled' },
    },
  });
  assertStatus(r, 201);
  return r.body;
}

// A fresh WFM queue with one mapping per [value type, metric]; returns a reader of its
// results for the day as { 'HH:MM': value }.
async function mapped(identifier, src, ext, pairs, day) {
  const q = await admin.post('/api/v1/queues', { identifier, name: identifier, time_zone: 'Europe/Berlin' });
  assertStatus(q, 201);
  for (const [vt, metric] of pairs) {
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: q.body.id, value_type: vt, inputs: [{ source_id: src.id, ext_queue: ext, metric }],
    }), 201);
  }
  return async (vt) => {
    const r = await admin.get(`/api/v1/results?queue=${identifier}&from=${day}&to=${day}&value_type=${vt}`);
    assertStatus(r, 200);
    return Object.fromEntries(r.body.items.map((x) => [x.local.slice(11, 16), x.value]));
  };
}

function write(folder, name, rows) {
  fs.writeFileSync(path.join(folder, name), `${['Q,Date,Time,Offered,Handled', ...rows].join('\n')}\n`);
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-staging-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('files with parts of a day add up key by key; a later file replaces only its keys', async () => {
  const folder = path.join(base, 'parts');
  fs.mkdirSync(folder);
  const src = await source('Parts', folder);
  write(folder, 'morning.csv', ['A,2026-11-24,08:00,10,8', 'A,2026-11-24,08:15,4,', 'B,2026-11-24,08:00,1,1']);
  let run = await runDay(src.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  write(folder, 'noon.csv', ['A,2026-11-24,12:00,7,7']);
  run = await runDay(src.id, '2026-11-24');
  assert.equal(run.counts.files_read, 1);
  assert.equal(run.counts.files_skipped, 1, 'the morning file was imported before');
  // a correction: 08:15 has its handled value now, 08:00 is untouched
  write(folder, 'fix.csv', ['A,2026-11-24,08:15,5,3']);
  run = await runDay(src.id, '2026-11-24');
  assert.equal(run.state, 'done');
  const results = await mapped('PARTS', src, 'A', [['offered', 'offered'], ['handled', 'handled']], '2026-11-24');
  assert.deepEqual(await results('offered'), { '08:00': 10, '08:15': 5, '12:00': 7 });
  assert.deepEqual(await results('handled'), { '08:00': 8, '08:15': 3, '12:00': 7 });
  // re-importing identical content under a new name changes nothing
  fs.copyFileSync(path.join(folder, 'morning.csv'), path.join(folder, 'morning-again.csv'));
  fs.appendFileSync(path.join(folder, 'morning-again.csv'), '\n');
  run = await runDay(src.id, '2026-11-24');
  assert.equal(run.counts.files_read, 1, JSON.stringify(run));
  assert.deepEqual(await results('offered'), { '08:00': 10, '08:15': 4, '12:00': 7 });
  assert.deepEqual(await results('handled'), { '08:00': 8, '08:15': 3, '12:00': 7 }, 'an empty cell keeps the value');
  const un = await admin.get('/api/v1/unmapped-queues');
  assertStatus(un, 200);
  const b = un.body.items.find((x) => x.source_id === src.id && x.ext_queue === 'B');
  assert.ok(b, show(un));
  assert.deepEqual(b.metrics, ['handled', 'offered']);
});

test('two files of one run holding the same key add up, with a warning', async () => {
  const folder = path.join(base, 'twice');
  fs.mkdirSync(folder);
  const src = await source('Twice', folder);
  write(folder, 'a.csv', ['A,2026-11-25,09:00,3,3']);
  write(folder, 'b.csv', ['A,2026-11-25,09:00,2,1', 'A,2026-11-25,09:15,1,1']);
  const run = await runDay(src.id, '2026-11-25');
  assert.equal(run.state, 'done');
  assert.equal(run.counts.files_read, 2);
  const results = await mapped('TWICE', src, 'A', [['offered', 'offered']], '2026-11-25');
  assert.deepEqual(await results('offered'), { '09:00': 5, '09:15': 1 });
  const log = await admin.get(`/api/v1/runs/${run.id}/log`);
  assert.ok(log.body.items.some((l) => /2 values came in more than one row/.test(l.message)), show(log));
});

test('a failed run leaves the staged data as it was', async () => {
  const folder = path.join(base, 'strict');
  fs.mkdirSync(folder);
  const src = await source('Strict', folder, { strict: true });
  write(folder, 'a.csv', ['A,2026-11-26,10:00,6,6']);
  assert.equal((await runDay(src.id, '2026-11-26')).state, 'done');
  // a good file first in name order, then one with a bad row: the strict source fails the run
  write(folder, 'b.csv', ['A,2026-11-26,10:00,100,100', 'A,2026-11-26,10:15,1,1']);
  write(folder, 'c.csv', ['A,2026-11-26,10:30,x,1']);
  const run = await runDay(src.id, '2026-11-26');
  assert.equal(run.state, 'failed', JSON.stringify(run));
  const results = await mapped('STRICT', src, 'A', [['offered', 'offered']], '2026-11-26');
  assert.deepEqual(await results('offered'), { '10:00': 6 });
  // the failed run's files were not recorded as imported: fixed, they import
  write(folder, 'c.csv', ['A,2026-11-26,10:30,2,1']);
  const again = await runDay(src.id, '2026-11-26');
  assert.equal(again.state, 'done', JSON.stringify(again));
  assert.equal(again.counts.files_read, 2);
  assert.deepEqual(await results('offered'), { '10:00': 100, '10:15': 1, '10:30': 2 });
});

test('the spring DST day in Berlin has 92 quarter-hours', async () => {
  const folder = path.join(base, 'spring');
  fs.mkdirSync(folder);
  const src = await source('Spring', folder);
  const rows = [];
  for (let h = 0; h < 24; h++) {
    for (let m = 0; m < 60; m += 15) {
      if (h !== 2) {
        rows.push(`S,2026-03-29,${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')},1,1`);
      }
    }
  }
  rows.push('S,2026-03-29,02:30,1,1'); // does not exist: the clocks skip 02:00 .. 03:00
  write(folder, 'spring.csv', rows);
  const run = await runDay(src.id, '2026-03-29');
  assert.equal(run.counts.rows_staged, 92);
  assert.equal(run.counts.rows_rejected, 1);
  const results = await mapped('SPRING', src, 'S', [['offered', 'offered']], '2026-03-29');
  const got = await results('offered');
  assert.equal(Object.keys(got).length, 92);
  assert.equal(got['01:45'], 1);
  assert.equal(got['03:00'], 1);
});
