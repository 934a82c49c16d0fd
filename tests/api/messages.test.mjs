// What the daemon says carries a message code with parameters beside its English text: run-log
// lines (GET /runs/{id}/log: code, params) so the console can word them in any language; and
// audit entries of updates name what changed, field by field, before and after (secrets only
// as "changed").

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin, waitRunEnd } from '../lib/api.mjs';

let d;
let admin;
let folder;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-msg-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

function waitRun(id) {
  return waitRunEnd(admin, id, 20000);
}

test('run-log lines carry a code and parameters beside the English text', async () => {
  fs.writeFileSync(path.join(folder, 'day1.csv'), [
    'Split;Date;Time;Offered',
    '101;24.11.2026;08:00;12',
    '102;24.11.2026;08:15;x',
    '',
  ].join('\n'));
  const src = await admin.post('/api/v1/sources', {
    name: 'Coded', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assertStatus(src, 201);
  const c = await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(c, 202);
  const run = await waitRun(c.body.id);
  assert.equal(run.state, 'done', JSON.stringify(run));
  const log = await admin.get(`/api/v1/runs/${run.id}/log?limit=500`);
  assertStatus(log, 200);
  const byCode = new Map(log.body.items.filter((l) => l.code).map((l) => [l.code, l]));

  const start = byCode.get('run.import_start');
  assert.ok(start, show(log));
  assert.deepEqual(start.params, { source: 'Coded', kind: 'csv', layout: 'interval', zone: 'UTC', from: '2026-11-24', to: '2026-11-24' });
  assert.equal(start.message, 'import of Coded (csv, interval layout, UTC) for 2026-11-24 .. 2026-11-24');

  const read = byCode.get('run.file_read');
  assert.equal(read.params.file, 'day1.csv');
  assert.equal(read.params.bytes, fs.statSync(path.join(folder, 'day1.csv')).size);

  const rejected = byCode.get('run.row_rejected');
  assert.equal(rejected.level, 'warn');
  assert.equal(rejected.params.where, 'day1.csv');
  assert.equal(rejected.params.line, 3);
  assert.ok(rejected.message.startsWith('day1.csv:3: '), rejected.message);
  assert.ok(rejected.message.endsWith(rejected.params.reason), rejected.message);

  const summary = byCode.get('run.summary');
  assert.deepEqual(summary.params, { state: 'done', read: 2, staged: 1, rejected: 1, filtered: 0, files: 1, skipped: 0 });
  assert.ok(byCode.has('run.mapping_done'), show(log));
  for (const l of log.body.items) {
    assert.ok(l.code === null || /^[a-z_]+\.[a-z0-9_.]+$/.test(l.code), JSON.stringify(l));
    assert.equal(l.params === null, l.code === null, JSON.stringify(l));
  }

  // a file read before is named by code too
  const again = await waitRun((await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' })).body.id);
  const log2 = await admin.get(`/api/v1/runs/${again.id}/log?limit=500`);
  assert.ok(log2.body.items.some((l) => l.code === 'run.file_seen' && l.params.file === 'day1.csv'), show(log2));
});

test('audit entries of updates name each changed field with before and after', async () => {
  const q = await admin.post('/api/v1/queues', { identifier: 'Q1', name: 'First', time_zone: 'UTC' });
  assertStatus(q, 201);
  assertStatus(await admin.patch(`/api/v1/queues/${q.body.id}`, { name: 'Renamed' }), 200);
  const src = await admin.post('/api/v1/sources', {
    name: 'Audited', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, pattern: '*.csv' }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(src, 201);
  const changed = await admin.patch(`/api/v1/sources/${src.body.id}`, {
    time_zone: 'Europe/Paris',
    settings: { ...src.body.settings, csv: { ...src.body.settings.csv, pattern: '*.txt' } },
  });
  assertStatus(changed, 200);
  const audit = await admin.get('/api/v1/audit?limit=20');
  assertStatus(audit, 200);
  const qa = audit.body.items.find((e) => e.action === 'queue.update');
  assert.deepEqual(qa.detail, { id: q.body.id, name: { before: 'First', after: 'Renamed' } });
  const sa = audit.body.items.find((e) => e.action === 'source.update');
  assert.equal(sa.detail.id, src.body.id);
  assert.deepEqual(sa.detail.time_zone, { before: 'UTC', after: 'Europe/Paris' });
  assert.deepEqual(sa.detail['settings.csv.pattern'], { before: '*.csv', after: '*.txt' });
  assert.ok(!('settings' in sa.detail), `no "settings=changed": ${JSON.stringify(sa.detail)}`);
  assert.ok(!Object.keys(sa.detail).some((k) => k.endsWith('updated_at')), JSON.stringify(sa.detail));

  const vt = (await admin.get('/api/v1/value-types')).body.items.find((v) => v.key === 'offered');
  assertStatus(await admin.patch(`/api/v1/value-types/${vt.id}`, { name: 'Offered calls' }), 200);
  const va = (await admin.get('/api/v1/audit?action=value_type.update')).body.items[0];
  assert.deepEqual(va.detail, { id: vt.id, name: { before: 'Offered contacts', after: 'Offered calls' } });
});

async function previewOf(sourceId, day) {
  let j = await admin.post(`/api/v1/sources/${sourceId}/preview`, { day, rows: 20 });
  assert.equal(j.status, 202, show(j));
  const end = Date.now() + 20000;
  while (j.body.state === 'running') {
    assert.ok(Date.now() < end, 'the preview ends');
    await sleep(100);
    j = await admin.get(`/api/v1/jobs/${j.body.id}`);
  }
  return j.body;
}

test('preview shows the first lines of the file and finds the header a few lines down', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-head-'));
  try {
    fs.writeFileSync(path.join(dir, 'report.csv'), [
      'Daily report', 'ACD 7, exported 25.11.2026', '', 'Split;Date;Time;Offered',
      '101;24.11.2026;08:00;12', 'x'.repeat(600), '',
    ].join('\r\n'));
    const src = await admin.post('/api/v1/sources', {
      name: 'With title lines', kind: 'csv', time_zone: 'UTC',
      settings: {
        csv: { folder: dir, pattern: '*.csv', separator: ';', date_order: 'dmy' },
        columns: { queue: 'Split', date: 'Date', time: 'Time' },
        metrics: { offered: 'Offered' },
      },
    });
    assertStatus(src, 201);
    const job = await previewOf(src.body.id, '2026-11-24');
    const r = job.result;
    assert.deepEqual(r.head.slice(0, 5), ['Daily report', 'ACD 7, exported 25.11.2026', '', 'Split;Date;Time;Offered', '101;24.11.2026;08:00;12']);
    assert.equal(r.head[5].length, 240, 'a long line is cut');
    assert.equal(r.suggested_skip_lines, 3);
    const hint = r.messages.find((m) => m.code === 'run.suggest_skip');
    assert.deepEqual(hint.params, { file: 'report.csv', column: 'Split', line: 4, skip: 3 });
    assert.ok(r.messages.some((m) => m.code === 'run.no_column' && m.params.column === 'Split'), JSON.stringify(r.messages));

    // with the suggestion applied, the rows are read
    const fixed = await admin.patch(`/api/v1/sources/${src.body.id}`, {
      settings: { ...src.body.settings, csv: { ...src.body.settings.csv, skip_lines: 3 } },
    });
    assertStatus(fixed, 200);
    const again = (await previewOf(src.body.id, '2026-11-24')).result;
    assert.equal(again.suggested_skip_lines, null);
    assert.equal(again.counts.rows_ok, 1, JSON.stringify(again));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
