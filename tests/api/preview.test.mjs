// Source preview: a job (202 + poll) that reads the first rows of a day the way an import
// would, shows each row's parsed values or its error, and writes nothing; discovery (also a job)
// reads the whole day and lists its queues, metrics, agents and activity codes.

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
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
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

async function finished(location) {
  let job;
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    job = (await admin.get(location)).body;
    if (job.state !== 'running') {
      return job;
    }
    await sleep(50);
  }
  return job;
}

test('discovery reads the whole day: every queue with its name, rows and first/last interval, every metric with its total', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-disc-'));
  const lines = ['Split;Name;Date;Time;Calls;Handled'];
  let calls = 0;
  for (let slot = 0; slot < 96; slot++) {
    const hh = String(Math.floor(slot / 4)).padStart(2, '0');
    const mm = String((slot % 4) * 15).padStart(2, '0');
    for (const [split, name] of [['A1', 'Sales'], ['B2', 'Service'], ['C3', 'Chat']]) {
      const n = (slot * 7 + split.charCodeAt(0)) % 13;
      calls += n;
      lines.push(`${split};${name};25.11.2026;${hh}:${mm};${n};${split === 'C3' ? '' : n}`);
    }
  }
  lines.push('D4;Broken;25.11.2026;08:07;1;1'); // not an interval start: rejected, not discovered
  fs.writeFileSync(path.join(dir, 'day.csv'), `${lines.join('\n')}\n`);
  try {
    const s = (await admin.post('/api/v1/sources', {
      name: 'Disc CSV', kind: 'csv', time_zone: 'Europe/Berlin',
      settings: { csv: { folder: dir, separator: ';' }, columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls', handled: 'Handled' } },
    })).body;
    const c = await admin.post(`/api/v1/sources/${s.id}/discover`, { day: '2026-11-25' });
    assertStatus(c, 202);
    const job = await finished(c.headers.location);
    assert.equal(job.kind, 'source.discover');
    assert.equal(job.state, 'done', JSON.stringify(job));
    const r = job.result;
    assert.equal(r.truncated, false);
    assert.deepEqual(r.counts, { rows_read: 289, rows_ok: 288, rows_rejected: 1, rows_filtered: 0 });
    assert.deepEqual(r.queues, [
      { ext_queue: 'A1', name: 'Sales', rows: 96, first: '2026-11-25T00:00', last: '2026-11-25T23:45' },
      { ext_queue: 'B2', name: 'Service', rows: 96, first: '2026-11-25T00:00', last: '2026-11-25T23:45' },
      { ext_queue: 'C3', name: 'Chat', rows: 96, first: '2026-11-25T00:00', last: '2026-11-25T23:45' },
    ]);
    assert.deepEqual(r.metrics.map((m) => [m.metric, m.rows]), [['handled', 192], ['offered', 288]]);
    assert.equal(r.metrics[1].total, calls);
    assert.deepEqual(r.agents, []);
    assert.deepEqual(r.errors.map((e) => [e.where, e.line]), [['day.csv', 290]]);
    assert.match(r.errors[0].error, /08:07:00 is not the start of a 15-minute interval/);
    // nothing was written
    assert.deepEqual((await admin.get('/api/v1/unmapped-queues')).body.items, []);
    assertInvalidField(await admin.post(`/api/v1/sources/${s.id}/discover`, { day: '2026-11-25', rows: 5 }), 'rows');
    assertInvalidField(await admin.post(`/api/v1/sources/${s.id}/discover`, { day: 'yesterday' }), 'day');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('discovery of an agent-state source lists its agents and activity codes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-disc-ag-'));
  fs.writeFileSync(path.join(dir, 'states.csv'), [
    'Agent;State;Start;End',
    '0042;READY;2026-11-25 08:00:00;2026-11-25 08:30:00',
    '0042;AUX1;2026-11-25 08:30:00;2026-11-25 08:45:00',
    'a-7;READY;2026-11-25 09:00:00;2026-11-25 10:00:00',
    '',
  ].join('\n'));
  try {
    const s = await admin.post('/api/v1/sources', {
      name: 'Disc agents', kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
      settings: { csv: { folder: dir, separator: ';' }, columns: { agent: 'Agent', activity: 'State', start: 'Start', end: 'End' }, agent_states: { span: 'start_end' } },
    });
    assertStatus(s, 201);
    const c = await admin.post(`/api/v1/sources/${s.body.id}/discover`, { day: '2026-11-25' });
    assertStatus(c, 202);
    const job = await finished(c.headers.location);
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.deepEqual(job.result.agents, [{ ext_agent: '0042', rows: 2 }, { ext_agent: 'a-7', rows: 1 }]);
    assert.deepEqual(job.result.activities, [{ code: 'AUX1', rows: 1 }, { code: 'READY', rows: 2 }]);
    assert.deepEqual(job.result.queues, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
