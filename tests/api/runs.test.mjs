// Import runs: queued with 202, executed by the worker pool, progress and counts, a run log
// naming file, line and reason for every rejected row, checksum skip, re-import, cancel, and
// an ODBC run against the SQLite ODBC driver.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login } from '../lib/daemon.mjs';
import { assertError, assertInvalidField, assertStatus, createUser, pw, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let viewer;
let folder;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  await createUser(admin, 'view', 'viewer');
  viewer = await login(d, 'view', pw('view'));
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-csv-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

async function waitRun(id, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await admin.get(`/api/v1/runs/${id}`);
    assertStatus(r, 200);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    assert.ok(Date.now() < end, `run ${id} did not finish: ${show(r)}`);
    await sleep(100);
  }
}

async function runLog(id) {
  const r = await admin.get(`/api/v1/runs/${id}/log?limit=500`);
  assertStatus(r, 200);
  return r.body.items.map((l) => `${l.level} ${l.message}`).join('\n');
}

async function csvSource(name, over = {}) {
  const r = await admin.post('/api/v1/sources', {
    name,
    kind: 'csv',
    time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'CallsOffered', handled: 'ACDCalls', aht: 'AHT' },
      ...over,
    },
  });
  assertStatus(r, 201);
  return r.body;
}

test('a CSV run stages good rows and reports every bad one with file, line and reason', async () => {
  fs.writeFileSync(path.join(folder, 'day1.csv'), [
    'Split;Date;Time;CallsOffered;ACDCalls;AHT',
    '101;24.11.2026;08:00;12;10;180',
    '101;24.11.2026;08:15;9;9;00:03:05',
    '102;24.11.2026;08:00;4;3;200,5',
    '102;24.11.2026;08:07;4;3;200',
    '103;32.11.2026;08:00;1;1;1',
    '104;24.11.2026;08:30;x;1;1',
    '105;25.11.2026;08:00;1;1;1',
    '',
  ].join('\n'));
  const src = await csvSource('Day CSV');
  const c = await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(c, 202);
  assert.equal(c.headers.location, `/api/v1/runs/${c.body.id}`);
  assert.ok(['queued', 'running', 'done'].includes(c.body.state), show(c));
  const run = await waitRun(c.body.id);
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_read, 7);
  // the 25.11. row is staged too: a file is read once, so all its days count
  assert.equal(run.counts.rows_staged, 4);
  assert.equal(run.counts.rows_rejected, 3);
  assert.equal(run.counts.rows_filtered, 0);
  assert.equal(run.counts.files_read, 1);
  const log = await runLog(run.id);
  assert.match(log, /day1\.csv:5: .*08:07:00 is not the start of a 15-minute interval/);
  assert.match(log, /day1\.csv:6: column 'Date': .*day 32/i);
  assert.match(log, /day1\.csv:7: column 4 'CallsOffered': 'x' is not a number/);
  // viewers follow runs
  assertStatus(await viewer.get(`/api/v1/runs/${run.id}`), 200);
  const l = await viewer.get(`/api/v1/runs?source_id=${src.id}`);
  assertStatus(l, 200);
  assert.equal(l.body.items[0].id, run.id);

  // the same file again is skipped by its checksum
  const again = await waitRun((await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' })).body.id);
  assert.equal(again.state, 'done');
  assert.equal(again.counts.files_skipped, 1);
  assert.equal(again.counts.rows_read, 0);
  assert.match(await runLog(again.id), /imported before/);
});

test('run requests are validated', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items[0];
  assertInvalidField(await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-13-01', to: '2026-11-24' }), 'from');
  assertInvalidField(await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-25', to: '2026-11-24' }), 'to');
  assertInvalidField(await admin.post('/api/v1/runs', { source_id: 9999, from: '2026-11-24', to: '2026-11-24' }), 'source_id');
  assertInvalidField(await admin.post('/api/v1/runs', { source_id: src.id, from: '2020-01-01', to: '2026-11-24' }), 'to');
  assertError(await viewer.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' }), 403, 'forbidden');
  assertError(await admin.get('/api/v1/runs?state=sleeping'), 400, 'invalid_parameter');
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  assertError(await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-24', to: '2026-11-24' }), 409, 'conflict');
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
});

test('a missing folder fails the run with a clear error', async () => {
  const r = await admin.post('/api/v1/sources', {
    name: 'Gone CSV', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(folder, 'nope') }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(r, 201);
  const run = await waitRun((await admin.post('/api/v1/runs', { source_id: r.body.id, from: '2026-11-24', to: '2026-11-24' })).body.id);
  assert.equal(run.state, 'failed');
  assert.match(await runLog(run.id), /does not exist/);
});

test('finished runs cannot be cancelled', async () => {
  const l = await admin.get('/api/v1/runs?state=done');
  assertError(await admin.post(`/api/v1/runs/${l.body.items[0].id}/cancel`), 409, 'conflict');
  assertError(await admin.post('/api/v1/runs/99999/cancel'), 404, 'not_found');
});
