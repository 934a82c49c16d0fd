// CSV runs stage days as they complete: files of one day each, read in time order, go to the
// run's switch day by day (no spill table in between). The daemon stages in slices of 2
// queue-days (ACDL_TEST_STAGING_SLICE), so a few queues already stream. Checked through
// mappings over every queue: files in time order; a later file that goes back to a day
// already written aside (streaming ends, the days go back to the spill table and add up key
// by key, with the warning); a strict run that fails after days were written aside leaves the
// staged data as it was, and imports whole once fixed; a re-read replaces the days its files
// hold whole (a queue a day's file no longer holds loses that day).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, startWithAdmin, waitRunEnd } from '../lib/api.mjs';

const QUEUES = ['A', 'B', 'C', 'D'];
const DAYS = ['2026-10-05', '2026-10-06', '2026-10-07'];
let d;
let admin;
let base;

async function run(sourceId, from, to, extra = {}) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from, to, ...extra });
  assertStatus(c, 202);
  return waitRunEnd(admin, c.body.id, 60000);
}

async function source(name, folder, extra = {}) {
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, date_order: 'ymd', ...extra },
      columns: { queue: 'Q', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assertStatus(r, 201);
  return r.body;
}

// One WFM queue per external queue, its offered mapped; returns a reader of all results as
// { 'Q day HH:MM': value }.
async function mapAll(prefix, src) {
  for (const q of QUEUES) {
    const w = await admin.post('/api/v1/queues', { identifier: `${prefix}${q}`, name: q, time_zone: 'UTC' });
    assertStatus(w, 201);
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: w.body.id, value_type: 'offered', inputs: [{ source_id: src.id, ext_queue: q, metric: 'offered' }],
    }), 201);
  }
  return async () => {
    const out = {};
    for (const q of QUEUES) {
      const r = await admin.get(`/api/v1/results?queue=${prefix}${q}&from=${DAYS[0]}&to=${DAYS[2]}&value_type=offered&limit=500`);
      assertStatus(r, 200);
      for (const x of r.body.items) {
        out[`${q} ${x.local.slice(0, 10)} ${x.local.slice(11, 16)}`] = x.value;
      }
    }
    return out;
  };
}

// A day's file: every queue at 08:00 and 08:15 with value(q, day, time).
function dayFile(folder, name, day, value) {
  const rows = ['Q,Date,Time,Offered'];
  for (const q of QUEUES) {
    for (const t of ['08:00', '08:15']) {
      rows.push(`${q},${day},${t},${value(q, day, t)}`);
    }
  }
  fs.writeFileSync(path.join(folder, name), `${rows.join('\n')}\n`);
}

const v = (q, day, t) => QUEUES.indexOf(q) * 100 + DAYS.indexOf(day) * 10 + (t === '08:00' ? 1 : 2);

// v everywhere, plus extra (added: within one run) or replaced by set (by a later run)
function expected(extra = {}, set = {}) {
  const out = {};
  for (const q of QUEUES) {
    for (const day of DAYS) {
      for (const t of ['08:00', '08:15']) {
        const k = `${q} ${day} ${t}`;
        out[k] = set[k] ?? v(q, day, t) + (extra[k] ?? 0);
      }
    }
  }
  return out;
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ env: { ACDL_TEST_STAGING_SLICE: '2' } }));
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-csv-stream-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('files of one day each in time order stream; one going back to an earlier day adds up', async () => {
  const folder = path.join(base, 'ordered');
  fs.mkdirSync(folder);
  const src = await source('Ordered', folder);
  const results = await mapAll('ORD', src);
  DAYS.forEach((day, i) => dayFile(folder, `d${i + 1}.csv`, day, v));
  let r = await run(src.id, DAYS[0], DAYS[2]);
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.equal(r.counts.files_read, 3);
  assert.deepEqual(await results(), expected());

  const folder2 = path.join(base, 'back');
  fs.mkdirSync(folder2);
  const src2 = await source('Back', folder2);
  const results2 = await mapAll('BCK', src2);
  DAYS.forEach((day, i) => dayFile(folder2, `d${i + 1}.csv`, day, v));
  // named last, read last: day 1 again (written aside by then) for queue B at 08:00
  fs.writeFileSync(path.join(folder2, 'd9.csv'), `Q,Date,Time,Offered\nB,${DAYS[0]},08:00,1000\n`);
  r = await run(src2.id, DAYS[0], DAYS[2]);
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.deepEqual(await results2(), expected({ [`B ${DAYS[0]} 08:00`]: 1000 }));
  const log = await admin.get(`/api/v1/runs/${r.id}/log`);
  assert.ok(log.body.items.some((l) => /1 values came in more than one row/.test(l.message)), show(log));
});

test('a strict run failing after days were written aside leaves the staged data as it was', async () => {
  const folder = path.join(base, 'strict');
  fs.mkdirSync(folder);
  const src = await source('Strict', folder, { strict: true });
  const results = await mapAll('STR', src);
  DAYS.forEach((day, i) => dayFile(folder, `d${i + 1}.csv`, day, v));
  assert.equal((await run(src.id, DAYS[0], DAYS[2])).state, 'done');
  const before = await results();
  assert.deepEqual(before, expected());
  // a second period: days 1 and 2 new and in order, then a bad row on day 3
  const w = (q, day, t) => v(q, day, t) + 5000;
  dayFile(folder, 'e1.csv', DAYS[0], w);
  dayFile(folder, 'e2.csv', DAYS[1], w);
  fs.writeFileSync(path.join(folder, 'e3.csv'), `Q,Date,Time,Offered\nA,${DAYS[2]},08:00,x\n`);
  const failed = await run(src.id, DAYS[0], DAYS[2]);
  assert.equal(failed.state, 'failed', JSON.stringify(failed));
  assert.deepEqual(await results(), before);
  fs.writeFileSync(path.join(folder, 'e3.csv'), `Q,Date,Time,Offered\nA,${DAYS[2]},08:00,7\n`);
  const again = await run(src.id, DAYS[0], DAYS[2]);
  assert.equal(again.state, 'done', JSON.stringify(again));
  assert.equal(again.counts.files_read, 3);
  // a later run replaces the keys its files hold
  const set = {};
  for (const q of QUEUES) {
    for (const day of DAYS.slice(0, 2)) {
      for (const t of ['08:00', '08:15']) {
        set[`${q} ${day} ${t}`] = w(q, day, t);
      }
    }
  }
  set[`A ${DAYS[2]} 08:00`] = 7;
  assert.deepEqual(await results(), expected({}, set));
});

test('a streamed re-read replaces the days its files hold, whole', async () => {
  const folder = path.join(base, 'reread');
  fs.mkdirSync(folder);
  const src = await source('Reread', folder);
  const results = await mapAll('RRD', src);
  DAYS.forEach((day, i) => dayFile(folder, `d${i + 1}.csv`, day, v));
  assert.equal((await run(src.id, DAYS[0], DAYS[2])).state, 'done');
  assert.deepEqual(await results(), expected());
  // the files again with other values; day 2's file no longer holds queue D
  const w = (q, day, t) => v(q, day, t) + 7000;
  DAYS.forEach((day, i) => dayFile(folder, `d${i + 1}.csv`, day, w));
  const lines = fs.readFileSync(path.join(folder, 'd2.csv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(folder, 'd2.csv'), lines.filter((l) => !l.startsWith('D,')).join('\n'));
  const r = await run(src.id, DAYS[0], DAYS[2], { reread: true });
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.equal(r.counts.files_read, 3);
  const want = {};
  for (const q of QUEUES) {
    for (const day of DAYS) {
      for (const t of ['08:00', '08:15']) {
        if (!(q === 'D' && day === DAYS[1])) {
          want[`${q} ${day} ${t}`] = w(q, day, t);
        }
      }
    }
  }
  assert.deepEqual(await results(), want);
});
