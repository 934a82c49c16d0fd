// Pending recomputes, visible: a weighted AHT over two external queues whose handled mapping
// loses one of them cannot be computed; it stays pending with its error (recomputes list, the
// mapping, health, metrics), a run of its source ends done but partial with the failed mapping
// named, and once the handled mapping is fixed the AHT is recomputed from what is staged now.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { assertStatus, show, startWithAdmin } from '../lib/api.mjs';
import { contactPipeline, line, runDays, waitFor, writeCsv } from '../lib/pipeline.mjs';
import { REPO_ROOT } from '../lib/daemon.mjs';

const i18n = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const { messageText, translator } = await import(pathToFileURL(path.join(i18n, 'index.js')).href);

/** The error {code, params, message} worded in English as the daemon said it, and in German and
 * French without its English words. */
function worded(item, english, { exact = true } = {}) {
  assert.ok(item.code, JSON.stringify(item));
  if (exact) {
    assert.equal(messageText(translator('en'), item, 'en'), item.message);
  }
  for (const lang of ['de', 'fr']) {
    const text = messageText(translator(lang), item, lang);
    for (const e of english) {
      assert.ok(!text.includes(e), `${lang}: "${e}" in ${text}`);
    }
  }
}

const DAY = '2026-11-24';
let d;
let admin;
let base;
let folder;
let source;
let queue;
const ids = {};

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-recompute-'));
  folder = path.join(base, 'acd');
  fs.mkdirSync(folder);
  ({ source } = await contactPipeline(admin, folder, ['51', '52']));
  const q = await admin.post('/api/v1/queues', { identifier: 'QALL', name: 'Both', time_zone: 'UTC' });
  assertStatus(q, 201);
  queue = q.body;
  for (const vt of ['handled', 'aht']) {
    const m = await admin.post('/api/v1/mappings', {
      queue_id: queue.id, value_type: vt,
      inputs: ['51', '52'].map((x) => ({ source_id: source.id, ext_queue: x, metric: vt })),
    });
    assertStatus(m, 201);
    assert.equal(m.body.pending_recompute, false, show(m));
    assert.equal(m.body.recompute_error, null, show(m));
    ids[vt] = m.body.id;
  }
  writeCsv(folder, 'a.csv', [line('51', DAY, '08:00', 10, 4, 100), line('52', DAY, '08:00', 10, 6, 200)]);
  const run = await runDays(admin, source.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.partial, false);
  assert.equal(run.failed_mappings, 0);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  fs.rmSync(base, { recursive: true, force: true });
  assert.equal(code, 0, d && d.stderr().slice(-3000));
});

async function aht() {
  const r = await admin.get(`/api/v1/results?queue=QALL&from=${DAY}&to=${DAY}&value_type=aht`);
  assert.equal(r.status, 200, show(r));
  return r.body.items.map((i) => i.value);
}

test('a mapping that cannot be computed stays pending, visibly, and a run is partial', async () => {
  assert.deepEqual(await aht(), [160]); // (4 x 100 + 6 x 200) / 10
  // the handled mapping drops queue 52: the AHT's weights for 52 are gone
  assertStatus(await admin.patch(`/api/v1/mappings/${ids.handled}`, {
    inputs: [{ source_id: source.id, ext_queue: '51', metric: 'handled' }],
  }), 200);
  const pending = await waitFor(async () => {
    const r = await admin.get('/api/v1/recomputes');
    assert.equal(r.status, 200, show(r));
    return r.body.items.find((x) => x.kind === 'mapping' && x.ref_id === ids.aht && x.last_error);
  }, 'the AHT recompute to fail', 30000);
  assert.equal(pending.name, 'QALL / aht');
  assert.equal(pending.reason, 'mapping changed');
  assert.ok(pending.attempts >= 1, JSON.stringify(pending));
  assert.match(pending.last_error, /weighted average over several queues needs the 'handled' mapping/);
  const m = await admin.get(`/api/v1/mappings/${ids.aht}`);
  assert.equal(m.body.pending_recompute, true, show(m));
  assert.match(m.body.recompute_error, /handled/);
  // the error carries its code: the recompute, the mapping and health word it in every language
  const english = ['weighted average', 'needs the', 'mapping of this WFM queue'];
  assert.equal(pending.last_error_code, 'val.map_weight_queue', JSON.stringify(pending));
  assert.deepEqual(pending.last_error_params, { n: '2', queue: '52', key: 'handled' });
  worded({ code: pending.last_error_code, params: pending.last_error_params, message: pending.last_error }, english);
  assert.equal(m.body.recompute_error_code, 'val.map_weight_queue', show(m));
  worded({ code: m.body.recompute_error_code, params: m.body.recompute_error_params, message: m.body.recompute_error }, english);
  const hp = (await admin.get('/api/v1/health')).body.problems.find((p) => p.code === 'health.recomputes_failing');
  assert.equal(hp.params.detail_code, 'val.map_weight_queue', JSON.stringify(hp));
  worded(hp, english, { exact: false }); // "recomputation(s)" is a plural form in the dictionary
  const h = await admin.get('/api/v1/health');
  assert.equal(h.body.recomputes_pending, 1, show(h));
  assert.equal(h.body.recomputes_failing, 1, show(h));

  // a run of the source computes what it can; the AHT fails again and stays due
  writeCsv(folder, 'b.csv', [line('51', DAY, '08:00', 10, 5, 120), line('52', DAY, '08:00', 10, 5, 80)]);
  const run = await runDays(admin, source.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.partial, true, JSON.stringify(run));
  assert.equal(run.failed_mappings, 1, JSON.stringify(run));
  assert.match(run.error, new RegExp(`mapping ${ids.aht}: input p2`), run.error);
  assert.equal(run.error_code, 'run.error_mappings', JSON.stringify(run));
  assert.equal(run.error_params.detail_code, 'val.map_failed', JSON.stringify(run));
  assert.equal(run.error_params.detail_params.why_code, 'val.map_weight_queue', JSON.stringify(run));
  worded({ code: run.error_code, params: run.error_params, message: run.error }, [...english, 'could not be computed']);
  // health's line for the partial run is the run's error, worded from its code
  const hr = (await admin.get('/api/v1/health')).body.problems.find((p) => p.code === 'health.runs_failed');
  assert.equal(hr.params.detail_code, 'run.error_mappings', JSON.stringify(hr));
  assert.equal(hr.params.detail, run.error);
  worded(hr, [...english, 'could not be computed', 'mapping(s) failed'], { exact: false });
  const log = (await admin.get(`/api/v1/runs/${run.id}/log`)).body.items.map((l) => l.message).join('\n');
  assert.match(log, /mapping: \d+ results computed; mapping \d+: input p2/);
  const metrics = await admin.get('/api/v1/metrics');
  assert.match(metrics.text, /^acdlink_runs_partial 1$/m);
  assert.match(metrics.text, /^acdlink_recomputes_pending 1$/m);
  assert.match(metrics.text, /^acdlink_recomputes_failing 1$/m);
  assert.deepEqual(await aht(), [160], 'the old AHT stays until it can be computed');

  // fixing the weights recomputes the AHT from the new data
  assertStatus(await admin.patch(`/api/v1/mappings/${ids.handled}`, {
    inputs: ['51', '52'].map((x) => ({ source_id: source.id, ext_queue: x, metric: 'handled' })),
  }), 200);
  await waitFor(async () => (await admin.get('/api/v1/recomputes')).body.items.length === 0,
    'no pending recomputes', 30000);
  assert.deepEqual(await aht(), [100]); // (5 x 120 + 5 x 80) / 10
  const fixed = await admin.get(`/api/v1/mappings/${ids.aht}`);
  assert.equal(fixed.body.pending_recompute, false, show(fixed));
  assert.equal(fixed.body.recompute_error, null, show(fixed));
  assert.equal((await admin.get('/api/v1/health')).body.recomputes_pending, 0);
});
