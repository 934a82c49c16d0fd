// Source preview: a job (202 + poll) that reads the first rows of a day the way an import
// would, shows each row's parsed values or its error, and writes nothing.

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

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-prev-'));
  fs.writeFileSync(path.join(folder, 'p.csv'), 'Split;Date;Time;Calls\n7;24.11.2026;08:00;5\n7;24.11.2026;08:10;5\n8;24.11.2026;08:15;3\n');
  src = (await admin.post('/api/v1/sources', {
    name: 'Prev CSV', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  })).body;
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

test('a preview shows parsed rows and errors, and stages nothing', async () => {
  const c = await admin.post(`/api/v1/sources/${src.id}/preview`, { day: '2026-11-24', rows: 10 });
  assertStatus(c, 202);
  assert.match(c.headers.location, /^\/api\/v1\/jobs\/\d+$/);
  let job;
  for (let i = 0; i < 100; i++) {
    job = (await admin.get(c.headers.location)).body;
    if (job.state !== 'running') {
      break;
    }
    await sleep(50);
  }
  assert.equal(job.state, 'done', JSON.stringify(job));
  const p = job.result;
  assert.deepEqual(p.columns, ['Split', 'Date', 'Time', 'Calls']);
  assert.equal(p.rows.length, 3);
  assert.equal(p.rows[0].ext_queue, '7');
  assert.equal(p.rows[0].local, '2026-11-24T08:00');
  assert.equal(p.rows[0].interval_start, '2026-11-24T07:00:00Z');
  assert.deepEqual(p.rows[0].values, { offered: 5 });
  assert.equal(p.rows[1].line, 3);
  assert.match(p.rows[1].error, /08:10:00 is not the start of a 15-minute interval/);
  assert.deepEqual(p.counts, { rows_read: 3, rows_ok: 2, rows_rejected: 1, rows_filtered: 0 });
  // nothing was imported: a run afterwards still reads the file
  const un = await admin.get('/api/v1/unmapped-queues');
  assert.deepEqual(un.body.items, [], show(un));
});

test('preview requests are validated', async () => {
  assertInvalidField(await admin.post(`/api/v1/sources/${src.id}/preview`, { day: '24.11.2026' }), 'day');
  assertInvalidField(await admin.post(`/api/v1/sources/${src.id}/preview`, { day: '2026-11-24', rows: 0 }), 'rows');
  assertError(await admin.post('/api/v1/sources/999/preview', { day: '2026-11-24' }), 404, 'not_found');
  assertError(await admin.get('/api/v1/jobs/99999'), 404, 'not_found');
});
