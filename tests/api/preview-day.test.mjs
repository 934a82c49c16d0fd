// Preview and discovery of a CSV source whose file names carry no date: only the chosen day's
// rows are shown and digested (files holding other days first, a month in one file), and a day
// that no file holds is named as such instead of showing another day's rows.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let folder;
let monthDir;
let src;
let month;
const monthTotals = {};

async function job(sourceId, what, body) {
  const c = await admin.post(`/api/v1/sources/${sourceId}/${what}`, body);
  assertStatus(c, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = (await admin.get(c.headers.location)).body;
    if (j.state !== 'running') {
      assert.equal(j.state, 'done', JSON.stringify(j));
      return j.result;
    }
    await sleep(50);
  }
  throw new Error(`${what} did not finish`);
}

function source(name, dir) {
  return admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: dir, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  });
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-prevday-'));
  // "a" sorts first and holds the day before: the preview used to show its rows for Dec 4
  fs.writeFileSync(path.join(folder, 'a.csv'), 'Split;Date;Time;Calls\n9;03.12.2026;08:00;1\n9;03.12.2026;08:15;2\n7;03.12.2026;08:00;3\n');
  fs.writeFileSync(path.join(folder, 'b.csv'), 'Split;Date;Time;Calls\n7;04.12.2026;09:00;5\n7;04.12.2026;09:15;6\n');
  const s = await source('No dates in names', folder);
  assertStatus(s, 201);
  src = s.body;
  monthDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-prevmonth-'));
  const lines = ['Split;Date;Time;Calls'];
  for (let day = 1; day <= 30; day++) {
    const dd = String(day).padStart(2, '0');
    for (const q of ['M1', `D${day}`]) {
      for (let h = 0; h < 24; h++) {
        const n = (day * 31 + h) % 17;
        monthTotals[dd] = (monthTotals[dd] || 0) + n;
        lines.push(`${q};${dd}.11.2026;${String(h).padStart(2, '0')}:00;${n}`);
      }
    }
  }
  fs.writeFileSync(path.join(monthDir, 'export.csv'), `${lines.join('\n')}\n`);
  const m = await source('One month per file', monthDir);
  assertStatus(m, 201);
  month = m.body;
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
  fs.rmSync(monthDir, { recursive: true, force: true });
});

test('the preview of a day shows that day\'s rows only, from whichever file holds them', async () => {
  const p = await job(src.id, 'preview', { day: '2026-12-04', rows: 10 });
  assert.equal(p.day, '2026-12-04');
  assert.deepEqual(p.rows.map((r) => [r.where, r.line, r.local]), [
    ['b.csv', 2, '2026-12-04T09:00'], ['b.csv', 3, '2026-12-04T09:15'],
  ]);
  assert.deepEqual(p.counts, { rows_read: 2, rows_ok: 2, rows_rejected: 0, rows_filtered: 0 });
  const back = await job(src.id, 'preview', { day: '2026-12-03', rows: 1 });
  assert.deepEqual(back.rows.map((r) => r.local), ['2026-12-03T08:00']);
});

test('a day no file holds is said so, with the days the files do hold', async () => {
  const p = await job(src.id, 'preview', { day: '2026-12-05', rows: 10 });
  assert.deepEqual(p.rows, []);
  assert.equal(p.counts.rows_read, 0);
  const m = p.messages.find((x) => /no file in the folder holds rows of 2026-12-05/.test(x.message));
  assert.ok(m, JSON.stringify(p.messages));
  assert.match(m.message, /the 5 rows read are of 2026-12-03 to 2026-12-04/);
  assert.equal(m.level, 'warn');
  const disc = await job(src.id, 'discover', { day: '2026-12-05' });
  assert.deepEqual(disc.queues, []);
  assert.ok(disc.messages.some((x) => /no file in the folder holds rows of 2026-12-05/.test(x.message)));
});

test('discovery of one day of a month-long file lists that day only', async () => {
  const r = await job(month.id, 'discover', { day: '2026-11-17' });
  assert.deepEqual(r.queues.map((q) => [q.ext_queue, q.rows, q.first, q.last]), [
    ['D17', 24, '2026-11-17T00:00', '2026-11-17T23:00'],
    ['M1', 24, '2026-11-17T00:00', '2026-11-17T23:00'],
  ]);
  assert.deepEqual(r.metrics.map((x) => [x.metric, x.rows, x.total]), [['offered', 48, monthTotals['17']]]);
  assert.deepEqual(r.counts, { rows_read: 48, rows_ok: 48, rows_rejected: 0, rows_filtered: 0 });
  const p = await job(src.id, 'discover', { day: '2026-12-03' });
  assert.deepEqual(p.queues.map((q) => q.ext_queue), ['7', '9']);
});
