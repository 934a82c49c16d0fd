// Files the ACD is still writing: a last line without a line end in a recently changed file is
// left for a later run (and the file is not marked imported until it was read to a complete
// end); a row with fewer fields than the header is a row error naming file and line; an old
// file without a final line end is read whole; UTF-16 files are read with their encoding or
// named as UTF-16. Runs, preview and discovery, contact statistics and agent states.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let base;

const HEADER = 'Split;Date;Time;CallsOffered;ACDCalls;AHT;AbnCalls';
const DAY = '2026-11-24';

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-partial-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

async function waitFor(url, done) {
  const end = Date.now() + 20000;
  for (;;) {
    const r = await admin.get(url);
    assertStatus(r, 200);
    if (done(r.body)) {
      return r.body;
    }
    assert.ok(Date.now() < end, `no end: ${show(r)}`);
    await sleep(50);
  }
}

async function run(src) {
  const c = await admin.post('/api/v1/runs', { source_id: src.id, from: DAY, to: DAY });
  assertStatus(c, 202);
  const r = await waitFor(`/api/v1/runs/${c.body.id}`, (b) => ['done', 'failed', 'cancelled'].includes(b.state));
  const l = await admin.get(`/api/v1/runs/${r.id}/log?limit=500`);
  assertStatus(l, 200);
  r.log = l.body.items.map((x) => `${x.level} ${x.message}`).join('\n');
  return r;
}

async function job(url, body) {
  const c = await admin.post(url, body);
  assertStatus(c, 202);
  const j = await waitFor(c.headers.location, (b) => b.state !== 'running' && b.state !== 'queued');
  assert.equal(j.state, 'done', JSON.stringify(j));
  return j.result;
}

async function source(name, folder, csv = {}) {
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, separator: ';', ...csv },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'CallsOffered', handled: 'ACDCalls', aht: 'AHT', abandoned: 'AbnCalls' },
    },
  });
  assertStatus(r, 201);
  return r.body;
}

/** Results of WFM queue `identifier` (offered, handled and aht mapped from split 101 of src). */
async function mapped(identifier, src) {
  const q = await admin.post('/api/v1/queues', { identifier, name: identifier, time_zone: 'Europe/Berlin' });
  assertStatus(q, 201);
  for (const vt of ['offered', 'handled', 'aht']) {
    const inputs = [{ source_id: src.id, ext_queue: '101', metric: vt }];
    assertStatus(await admin.post('/api/v1/mappings', { queue_id: q.body.id, value_type: vt, inputs }), 201);
  }
  return async (vt) => {
    const r = await admin.get(`/api/v1/results?queue=${identifier}&from=${DAY}&to=${DAY}&value_type=${vt}`);
    assertStatus(r, 200);
    return Object.fromEntries(r.body.items.map((x) => [x.local.slice(11, 16), x.value]));
  };
}

function folderWith(name, text, ageSeconds = 0) {
  const dir = fs.mkdtempSync(path.join(base, 'f-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  if (ageSeconds) {
    const t = Date.now() / 1000 - ageSeconds;
    fs.utimesSync(file, t, t);
  }
  return { dir, file };
}

test('a cut-off last line of a recent file waits; the completed file is imported once', async () => {
  // the ACD has written "00:30;3" of "00:30;3;3;123;0"
  const { dir, file } = folderWith('day.csv', [
    HEADER,
    '101;24.11.2026;00:00;5;5;100;0',
    '101;24.11.2026;00:15;4;4;110;0',
    '101;24.11.2026;00:30;3;3;1',
  ].join('\n'));
  const src = await source('Growing', dir, { after_import: 'delete' });
  const results = await mapped('GROW', src);

  const r1 = await run(src);
  assert.equal(r1.state, 'done', r1.log);
  assert.equal(r1.counts.rows_read, 2, r1.log);
  assert.equal(r1.counts.rows_staged, 2, r1.log);
  assert.equal(r1.counts.rows_rejected, 0, r1.log);
  assert.match(r1.log, /day\.csv: line 4 has no line end and the file changed \d+s ago: it may still be being written, so that line is left for a later run and the file is not marked imported/);
  assert.ok(fs.existsSync(file), 'a file not read to its end is not deleted');
  assert.deepEqual(await results('offered'), { '00:00': 5, '00:15': 4 });

  // not marked imported: the next run reads it again (and it still waits)
  const r2 = await run(src);
  assert.equal(r2.counts.files_skipped, 0, r2.log);
  assert.equal(r2.counts.rows_read, 2, r2.log);
  assert.match(r2.log, /line 4 has no line end/);

  // the ACD finishes the line: the whole file is imported, once
  fs.appendFileSync(file, '23;0\n');
  const r3 = await run(src);
  assert.equal(r3.counts.rows_read, 3, r3.log);
  assert.equal(r3.counts.rows_staged, 3, r3.log);
  assert.doesNotMatch(r3.log, /no line end/);
  assert.deepEqual(await results('offered'), { '00:00': 5, '00:15': 4, '00:30': 3 });
  assert.deepEqual(await results('aht'), { '00:00': 100, '00:15': 110, '00:30': 123 });
  assert.ok(!fs.existsSync(file), 'the completed file is deleted after its import');
});

test('a completed file is not read again; the same content comes back as imported before', async () => {
  const text = `${HEADER}\n101;24.11.2026;01:00;7;7;90;0`;
  const { dir, file } = folderWith('day.csv', text);
  const src = await source('Once', dir);
  const r1 = await run(src);
  assert.equal(r1.counts.rows_read, 0, r1.log);
  assert.match(r1.log, /line 2 has no line end/);
  fs.appendFileSync(file, '\n');
  const r2 = await run(src);
  assert.equal(r2.counts.rows_staged, 1, r2.log);
  const r3 = await run(src);
  assert.equal(r3.counts.files_skipped, 1, r3.log);
  assert.match(r3.log, /imported before/);
});

test('a row with fewer fields than the header is a row error with file and line', async () => {
  // an old file: its last line has no line end, but nobody writes it any more
  const { dir } = folderWith('short.csv', [
    HEADER,
    '101;24.11.2026;02:00;5;5;100;0',
    '101;24.11.2026;02:15;4;4',
    '101;24.11.2026;02:30;5;5;100;0;;9',
    '101;24.11.2026;02:45;3;3;1',
  ].join('\n'), 3600);
  const src = await source('Short rows', dir);
  const r = await run(src);
  assert.equal(r.state, 'done', r.log);
  assert.equal(r.counts.rows_read, 4, r.log);
  assert.equal(r.counts.rows_staged, 1, r.log);
  assert.equal(r.counts.rows_rejected, 3, r.log);
  assert.match(r.log, /short\.csv:3:\d+: 5 fields, the header has 7/);
  assert.match(r.log, /short\.csv:4:\d+: 9 fields, the header has 7/);
  assert.match(r.log, /short\.csv:5:\d+: 6 fields, the header has 7/);
  assert.doesNotMatch(r.log, /no line end/);
  // read to its end: marked imported
  assert.equal((await run(src)).counts.files_skipped, 1);
});

test('an old file without a final line end is read whole', async () => {
  const { dir } = folderWith('old.csv', `${HEADER}\n101;24.11.2026;03:00;5;5;100;0\n101;24.11.2026;03:15;6;6;120;1`, 600);
  const src = await source('Old file', dir, { partial_line_wait_s: 300 });
  assert.equal(src.settings.csv.partial_line_wait_s, 300);
  const r = await run(src);
  assert.equal(r.counts.rows_staged, 2, r.log);
  assert.equal(r.counts.rows_rejected, 0, r.log);
  assert.equal((await run(src)).counts.files_skipped, 1);
});

test('the wait is a setting: 0 reads a recent last line at once', async () => {
  const { dir } = folderWith('now.csv', `${HEADER}\n101;24.11.2026;04:00;5;5;100;0`);
  const src = await source('No wait', dir, { partial_line_wait_s: 0 });
  const r = await run(src);
  assert.equal(r.counts.rows_staged, 1, r.log);
  const bad = await admin.post('/api/v1/sources', {
    name: 'Bad wait', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: { csv: { folder: dir, partial_line_wait_s: -1 }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'CallsOffered' } },
  });
  assertStatus(bad, 422);
  assert.match(JSON.stringify(bad.body), /csv\.partial_line_wait_s/);
  const dflt = await source('Default wait', dir);
  assert.equal(dflt.settings.csv.partial_line_wait_s, 120);
});

test('preview and discovery leave the cut-off line out and say why', async () => {
  const { dir } = folderWith('day.csv', `${HEADER}\n101;24.11.2026;05:00;5;5;100;0\n101;24.11.2026;05:15;4;4;11`);
  const src = await source('Preview partial', dir);
  const p = await job(`/api/v1/sources/${src.id}/preview`, { day: DAY, rows: 10 });
  assert.equal(p.rows.length, 1, JSON.stringify(p));
  assert.equal(p.counts.rows_read, 1);
  assert.ok(p.messages.some((m) => /line 3 has no line end/.test(m.message)), JSON.stringify(p.messages));
  const disc = await job(`/api/v1/sources/${src.id}/discover`, { day: DAY });
  assert.equal(disc.counts.rows_read, 1, JSON.stringify(disc));
  assert.deepEqual(disc.errors, []);
});

test('agent states: a cut-off last state waits too', async () => {
  const { dir, file } = folderWith('states.csv', [
    'Agent;Code;Start;End',
    'a1;READY;2026-11-24 08:00:00;2026-11-24 08:30:00',
    'a1;BREAK;2026-11-24 08:30:00;2026-11-24 08:4',
  ].join('\n'));
  const s = await admin.post('/api/v1/sources', {
    name: 'States partial', kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder: dir, separator: ';', timestamp_format: 'yyyy-mm-dd HH:MM:SS' },
      columns: { agent: 'Agent', activity: 'Code', start: 'Start', end: 'End' },
      agent_states: { span: 'start_end' },
    },
  });
  assertStatus(s, 201);
  const r1 = await run(s.body);
  assert.equal(r1.state, 'done', r1.log);
  assert.equal(r1.counts.rows_read, 1, r1.log);
  assert.equal(r1.counts.rows_rejected, 0, r1.log);
  assert.match(r1.log, /states\.csv: line 3 has no line end/);
  fs.appendFileSync(file, '5:00\n');
  const r2 = await run(s.body);
  assert.equal(r2.counts.rows_read, 2, r2.log);
  assert.equal(r2.counts.rows_rejected, 0, r2.log);
  assert.equal((await run(s.body)).counts.files_skipped, 1);
});

test('a UTF-16 file is named as such, and read with encoding utf-16le', async () => {
  const text = `${HEADER}\r\n101;24.11.2026;06:00;5;5;100;0\r\n`;
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const { dir } = folderWith('wide.csv', '', 0);
  fs.writeFileSync(path.join(dir, 'wide.csv'), bytes);
  const src = await source('UTF-16 as UTF-8', dir);
  const r = await run(src);
  assert.match(r.log, /wide\.csv:1:1: the file is UTF-16 LE \(it starts with the byte-order mark FF FE\): set the encoding to utf-16le, or export it as UTF-8/);
  assert.equal(r.counts.rows_staged, 0);
  const wide = await source('UTF-16', dir, { encoding: 'utf-16le' });
  const r2 = await run(wide);
  assert.equal(r2.counts.rows_staged, 1, r2.log);
  assert.equal(r2.counts.rows_rejected, 0, r2.log);
});
