// The csv-export and https-json connectors: one import delivered to both, the files written
// whole (write, then rename) in the default and in a configured format, the JSON batches
// checked strictly by the receiver with the batch id in header and body.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, startWithAdmin } from '../lib/api.mjs';
import { contactPipeline, drained, line, runDays, writeCsv } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const DAY = '2026-03-29'; // the spring DST day in Europe/Berlin: local times in files move
let d;
let admin;
let wfm;
let folder;
let out;
let custom;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  wfm = await startWfm({ kind: 'https-json', apiKey: 'json-token' });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-conn-'));
  out = path.join(folder, 'wfm-in');
  custom = path.join(folder, 'custom');
  fs.mkdirSync(out); // csv-export creates no folder unless create_folder says so
  fs.mkdirSync(custom);
  assertStatus(await admin.post('/api/v1/targets', { name: 'Files', connector: 'csv-export', settings: { folder: out } }), 201);
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'Custom files', connector: 'csv-export',
    settings: {
      folder: custom, file_prefix: 'stats', separator: ',', date_format: 'yyyy-mm-dd', time_format: 'hh:mm:ss',
      decimals: 2, columns: [{ header: 'Start', value: 'date' }, { header: 'At', value: 'time' }, { header: 'Q', value: 'queue_name' }, { header: 'Handled', value: 'handled' }, { header: 'AHT', value: 'aht' }],
    },
  }), 201);
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'JSON', connector: 'https-json', secret: 'json-token', settings: { url: wfm.url, ca_file: wfm.pki.caFile },
  }), 201);
  const { source } = await contactPipeline(admin, folder, ['7', '8'], { zone: 'Europe/Berlin' });
  writeCsv(folder, 'a.csv', [
    line('7', DAY, '01:45', 4, 3, 100.4),
    line('7', DAY, '03:00', 2, 2, 60.6),
    line('8', DAY, '03:00', 1, 0, 0),
  ]);
  const run = await runDays(admin, source.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  await drained(admin);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('csv-export writes one whole file per batch in the default format', () => {
  const files = fs.readdirSync(out);
  assert.equal(files.length, 1, files.join(', '));
  assert.match(files[0], /^acdlink-intervals-\d{8}T\d{6}Z-[0-9a-f]{16}\.csv$/);
  const text = fs.readFileSync(path.join(out, files[0]), 'utf8');
  assert.equal(text, [
    'Queue;Date;Time;IncomingCalls;AnsweredCalls;AHT',
    'Q7;29/03/2026;01:45;4;3;100',
    'Q7;29/03/2026;03:00;2;2;61',
    'Q8;29/03/2026;03:00;1;0;0',
    '',
  ].join('\r\n'));
});

test('csv-export columns, separator, formats and decimals are configurable', () => {
  const files = fs.readdirSync(custom);
  assert.equal(files.length, 1);
  assert.match(files[0], /^stats-/);
  assert.equal(fs.readFileSync(path.join(custom, files[0]), 'utf8'), [
    'Start,At,Q,Handled,AHT',
    '2026-03-29,01:45:00,WFM 7,3.00,100.40',
    '2026-03-29,03:00:00,WFM 7,2.00,60.60',
    '2026-03-29,03:00:00,WFM 8,0.00,0.00',
    '',
  ].join('\r\n'));
  assert.ok(!fs.readdirSync(custom).some((f) => f.endsWith('.tmp')), 'no temporary file is left');
});

test('https-json posts the documented batch format with the batch id in header and body', async () => {
  assert.deepEqual(wfm.errors, []);
  assert.equal(wfm.batches.size, 1);
  const [key, b] = [...wfm.batches.entries()][0];
  assert.equal(b.body.batchId, key);
  assert.deepEqual(Object.fromEntries(wfm.applied), {
    'Q7|2026-03-29T00:45:00Z': { aht: 100.4, handled: 3, offered: 4 },
    'Q7|2026-03-29T01:00:00Z': { aht: 60.6, handled: 2, offered: 2 },
    'Q8|2026-03-29T01:00:00Z': { aht: 0, handled: 0, offered: 1 },
  });
  assert.deepEqual(b.body.intervals[0], {
    queue: 'Q7', queueName: 'WFM 7', channel: 'calls', start: '2026-03-29T00:45:00Z', minutes: 15,
    values: { aht: 100.4, handled: 3, offered: 4 },
  });
  const list = (await admin.get('/api/v1/deliveries')).body.items;
  assert.equal(list.length, 3);
  assert.ok(list.every((x) => x.state === 'acked'), JSON.stringify(list));
});
