// Re-reading after a fix: a source's settings were wrong when its files were imported; after the
// fix a plain run skips the files ("imported before"), a run with "reread": true reads them
// again and replaces the period's staged days only (other days its files hold keep what they
// have), the recomputed results reach a strict injixo receiver, and the run says reread.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, show, startWithAdmin } from '../lib/api.mjs';
import {
  contactPipeline, drained, expectedInjixo, line, runDays, waitFor, writeCsv,
} from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const D1 = '2026-11-23';
const D2 = '2026-11-24';
let d;
let admin;
let wfm;
let folder;
let src;
const rows1 = [line('301', D1, '08:00', 20, 10, 100), line('301', D1, '08:15', 30, 12, 110)];
const rows2 = [line('301', D2, '08:00', 40, 14, 120)];

const SETTINGS = (offered, handled) => ({
  csv: { folder: null, date_order: 'ymd' },
  columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
  metrics: { offered, handled, aht: 'AHT' },
});

async function offered(day) {
  const r = await admin.get(`/api/v1/results?queue=Q301&from=${day}&to=${day}&value_type=offered`);
  assertStatus(r, 200);
  return r.body.items.map((x) => x.value);
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'] }));
  wfm = await startWfm({ kind: 'injixo' });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-reread-'));
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile },
  }), 201);
  ({ source: src } = await contactPipeline(admin, folder, ['301']));
  // the wrong settings: offered and handled swapped
  const wrong = SETTINGS('Handled', 'Offered');
  wrong.csv.folder = folder;
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { settings: wrong }), 200);
  writeCsv(folder, 'export.csv', [...rows1, ...rows2]); // one file, two days
  const run = await runDays(admin, src.id, D1, D2);
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.deepEqual(await offered(D1), [10, 12]);
  await drained(admin);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  await wfm?.close();
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, d && d.stderr().slice(-3000));
});

test('after the fix a plain run skips the files imported before', async () => {
  const fixed = SETTINGS('Offered', 'Handled');
  fixed.csv.folder = folder;
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { settings: fixed }), 200);
  const run = await runDays(admin, src.id, D1);
  assert.equal(run.state, 'done');
  assert.equal(run.reread, false);
  assert.equal(run.counts.files_skipped, 1, JSON.stringify(run));
  assert.deepEqual(await offered(D1), [10, 12]);
});

test('a re-read replaces the period\'s days from the files and delivers the corrected values', async () => {
  const r = await admin.post('/api/v1/runs', { source_id: src.id, from: D1, to: D1, reread: true });
  assertStatus(r, 202);
  assert.equal(r.body.reread, true);
  const run = await waitFor(async () => {
    const g = (await admin.get(`/api/v1/runs/${r.body.id}`)).body;
    return ['done', 'failed'].includes(g.state) ? g : null;
  }, 'the re-read run');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.files_read, 1);
  assert.equal(run.counts.files_skipped, 0);
  assert.deepEqual(await offered(D1), [20, 30]);
  assert.deepEqual(await offered(D2), [14], 'a day outside the period keeps what it had');
  const log = await admin.get(`/api/v1/runs/${r.body.id}/log?limit=500`);
  assert.ok(log.body.items.some((x) => /re-read: the staged days 2026-11-23 to 2026-11-23 are replaced/.test(x.message)), show(log));
  await drained(admin);
  const want = expectedInjixo(rows1);
  for (const [k, v] of want) {
    assert.deepEqual(wfm.applied.get(k), v, k);
  }
  for (const b of wfm.batches.values()) {
    assert.equal(b.count, 1);
  }
  assert.deepEqual(wfm.errors, []);
  const audit = await admin.get('/api/v1/audit?limit=20');
  assert.ok(audit.body.items.some((x) => x.action === 'run.create' && x.detail.reread === true), show(audit));
});

test('a re-read of a period no file holds replaces nothing and says so', async () => {
  const run = await runDays(admin, src.id, '2026-11-20', '2026-11-21');
  assert.equal(run.state, 'done');
  const r = await admin.post('/api/v1/runs', { source_id: src.id, from: '2026-11-20', to: '2026-11-21', reread: true });
  assertStatus(r, 202);
  const done = await waitFor(async () => {
    const g = (await admin.get(`/api/v1/runs/${r.body.id}`)).body;
    return ['done', 'failed'].includes(g.state) ? g : null;
  }, 'the run');
  assert.equal(done.state, 'done');
  const log = await admin.get(`/api/v1/runs/${r.body.id}/log?limit=500`);
  assert.ok(log.body.items.some((x) => /no file in the folder holds rows of 2026-11-20 to 2026-11-21; nothing was replaced/.test(x.message)), show(log));
  assert.deepEqual(await offered(D1), [20, 30]);
  assertError(await admin.post('/api/v1/runs', { source_id: src.id, from: D1, to: D1, reread: 'yes' }), 422, 'invalid_field');
});
