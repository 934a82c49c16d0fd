// Delivery end to end: a CSV import, mapped results, outbox batches and the uploader posting
// them to a strict injixo-api receiver over verified TLS: exact totals and averages, only
// changed intervals sent again, retries through 503 + Retry-After, resets, timeouts and lost
// answers (deduplicated by Idempotency-Key), permanent failures kept with their answer and
// retried by hand (never leaving older values applied), the backlog and the metrics.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, createToken, show, startWithAdmin } from '../lib/api.mjs';
import { specViolations } from '../lib/schema.mjs';
import { bearer, client } from '../lib/daemon.mjs';
import {
  backlog, contactPipeline, diffApplied, drained, expectedInjixo, line, runDays, waitFor, writeCsv,
} from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const DAY = '2026-11-24';
let d;
let admin;
let wfm;
let folder;
let src;
let target;
let rows;

async function deliveries(query = '') {
  const r = await admin.get(`/api/v1/deliveries?limit=500${query}`);
  assertStatus(r, 200);
  return r.body.items;
}

async function importRows(file, newRows) {
  writeCsv(folder, file, newRows);
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
}

function checkApplied() {
  const diffs = diffApplied(wfm.applied, expectedInjixo(rows));
  assert.deepEqual(diffs, [], `receiver differs:\n${diffs.join('\n')}\nerrors: ${wfm.errors}`);
}

before(async () => {
  ({ d, admin } = await startWithAdmin({
    args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '2', '--login-max-failures', '100'],
  }));
  wfm = await startWfm({ kind: 'injixo' });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-deliv-'));
  const t = await admin.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile, timeout_seconds: 2 },
  });
  assertStatus(t, 201);
  target = t.body;
  ({ source: src } = await contactPipeline(admin, folder, ['101', '102']));
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('an import is delivered as contact events whose totals and averages are exact', async () => {
  rows = [
    line('101', DAY, '08:00', 10, 7, 183.3),
    line('101', DAY, '08:15', 3, 0, 0),
    line('102', DAY, '08:00', 1, 1, 59.999),
    line('102', DAY, '08:15', 12, 11, 241.7),
  ];
  await importRows('a.csv', rows);
  await drained(admin);
  checkApplied();
  const events = [...wfm.batches.values()].flatMap((b) => b.body.data);
  const q = events.filter((e) => e.queueIdentifier === 'Q102' && e.timestamp >= `${DAY}T08:15` && e.timestamp < `${DAY}T08:30`);
  assert.equal(q.length, 12);
  const handled = q.filter((e) => e.properties.handled);
  const total = handled.reduce((s, e) => s + e.properties.duration, 0);
  assert.ok(Math.abs(total / handled.length - 241.7) < 1e-9, `average ${total / handled.length}`);
  assert.ok(q.every((e) => e.channel === 'calls' && e.queueName === 'WFM 102'), JSON.stringify(q[0]));
  const list = await deliveries();
  assert.ok(list.length >= 1 && list.every((b) => b.state === 'acked'), JSON.stringify(list));
  assert.ok(list.every((b) => /^[0-9a-f]{64}$/.test(b.batch_key)));
  for (const b of list) {
    assert.ok(wfm.batches.has(b.batch_key), `batch ${b.batch_key} was not received under its key`);
  }
  assert.equal(wfm.errors.length, 0, wfm.errors.join('\n'));
});

test('importing the same data again sends nothing; a changed interval is sent alone', async () => {
  const before = (await deliveries()).length;
  await runDays(admin, src.id, DAY); // the files were imported: same results
  const sameFile = await runDays(admin, src.id, DAY);
  assert.equal(sameFile.state, 'done');
  assert.equal((await deliveries()).length, before, 'a batch was made without a change');
  rows.push(line('101', DAY, '08:15', 4, 2, 90));
  await importRows('b.csv', [rows[rows.length - 1]]);
  await drained(admin);
  const list = await deliveries();
  assert.equal(list.length, before + 1, JSON.stringify(list));
  assert.equal(list[0].items, 1, 'only the changed interval is sent');
  assert.equal(list[0].first_interval, `${DAY}T08:15:00Z`);
  checkApplied();
});

test('503 with Retry-After, a reset, a timeout and a lost answer are retried; nothing is applied twice', async () => {
  wfm.retryAfter = 1;
  wfm.fail('503');
  wfm.fail('reset');
  wfm.fail('timeout');
  wfm.fail('drop');
  const sentBefore = wfm.requests.length;
  rows.push(line('102', DAY, '08:30', 5, 5, 100));
  await importRows('c.csv', [rows[rows.length - 1]]);
  await drained(admin, 40000);
  checkApplied();
  const b = (await deliveries())[0];
  assert.equal(b.state, 'acked');
  // the reset comes on the connection kept after the 503's answer and breaks it before any
  // answer: the batch goes out again at once on a new connection, in the same attempt
  assert.deepEqual(wfm.requests.slice(sentBefore).map((r) => r.mode), ['503', 'reset', 'timeout', 'drop', 'ok']);
  assert.equal(b.attempts, 4, JSON.stringify(b));
  const det = await admin.get(`/api/v1/deliveries/${b.id}`);
  assertStatus(det, 200);
  const outcomes = det.body.attempt_log.map((a) => a.outcome).reverse();
  assert.deepEqual(outcomes, ['retry', 'retry', 'retry', 'acked'], JSON.stringify(det.body));
  assert.equal(det.body.attempt_log.at(-1).http_status, 503);
  const keys = wfm.requests.slice(sentBefore).map((r) => r.headers['idempotency-key']).filter(Boolean);
  assert.ok(keys.length >= 5 && keys.every((k) => k === b.batch_key), `every retry reuses its key: ${keys}`);
  assert.equal(wfm.batches.get(b.batch_key).count, 2, 'the lost answer led to one repeat, applied once');
  // Retry-After: 1 s at least between the 503 and the next attempt
  const times = wfm.requests.slice(sentBefore).map((r) => r.at);
  assert.ok(times[1] - times[0] >= 900, `Retry-After honoured: ${times[1] - times[0]} ms`);
});

test('a 4xx fails the batch for good with the answer kept; retrying it by hand delivers it', async () => {
  wfm.fail('400');
  rows.push(line('101', DAY, '08:45', 9, 9, 33));
  await importRows('d.csv', [rows[rows.length - 1]]);
  const failed = await waitFor(async () => (await deliveries('&state=failed'))[0], 'a failed batch');
  assert.equal(failed.last_status, 400);
  assert.equal(failed.attempts, 1);
  const det = await admin.get(`/api/v1/deliveries/${failed.id}`);
  assert.match(det.body.attempt_log[0].answer, /rejected on purpose/);
  const bl = await backlog(admin);
  assert.equal(bl.failed, 1);
  assert.ok(bl.oldest_waiting_at, JSON.stringify(bl));
  assert.equal(bl.warning, false);
  assert.ok(!wfm.applied.has(`Q101|${DAY}T08:45:00Z`));
  const acked = (await deliveries('&state=acked'))[0];
  assertError(await admin.post(`/api/v1/deliveries/${acked.id}/retry`), 409, 'conflict');
  const viewer = await createToken(admin, 'viewer-tok', 'viewer');
  const v = bearer(d, viewer.token);
  assertError(await v.post(`/api/v1/deliveries/${failed.id}/retry`), 403, 'forbidden');
  const r = await admin.post(`/api/v1/deliveries/${failed.id}/retry`);
  assertStatus(r, 200);
  assert.equal(r.body.state, 'pending');
  await drained(admin);
  await waitFor(async () => (await admin.get(`/api/v1/deliveries/${failed.id}`)).body.state === 'acked', 'the retried batch');
  checkApplied();
  assert.equal((await backlog(admin)).failed, 0);
});

test('retrying a failed batch after its intervals were sent again leaves the current values applied', async () => {
  wfm.fail('400');
  rows.push(line('102', DAY, '09:00', 4, 4, 40));
  await importRows('e.csv', [rows[rows.length - 1]]);
  const failed = await waitFor(async () => (await deliveries('&state=failed'))[0], 'a failed batch');
  // the same interval changes and is delivered while the failed batch waits
  rows.push(line('102', DAY, '09:00', 6, 5, 50));
  await importRows('f.csv', [rows[rows.length - 1]]);
  await drained(admin);
  const before = (await deliveries()).length;
  const r = await admin.post(`/api/v1/deliveries/${failed.id}/retry`);
  assertStatus(r, 200);
  await waitFor(async () => (await admin.get(`/api/v1/deliveries/${failed.id}`)).body.state === 'acked', 'the retried batch');
  await drained(admin);
  // the old values went out first, then the interval again with its current values
  const after = await deliveries();
  assert.equal(after.length, before + 1, 'one more batch carries the current values');
  assert.ok(after[0].id > failed.id && after[0].state === 'acked', JSON.stringify(after[0]));
  checkApplied();
  const audit = (await admin.get('/api/v1/audit?limit=5')).body.items.find((a) => a.action === 'delivery.retry');
  assert.ok(audit.detail.requeued_intervals >= 1, JSON.stringify(audit));
});

test('deliveries filter by target and state and page from the newest', async () => {
  const all = await deliveries();
  const page = await admin.get(`/api/v1/deliveries?target_id=${target.id}&limit=2`);
  assertStatus(page, 200);
  assert.deepEqual(page.body.items.map((b) => b.id), all.slice(0, 2).map((b) => b.id));
  const next = await admin.get(`/api/v1/deliveries?target_id=${target.id}&limit=2&cursor=${page.body.next_cursor}`);
  assert.deepEqual(next.body.items.map((b) => b.id), all.slice(2, 4).map((b) => b.id));
  assert.equal((await admin.get(`/api/v1/deliveries?target_id=${target.id + 100}`)).body.items.length, 0);
  assertError(await admin.get('/api/v1/deliveries?state=lost'), 400, 'invalid_parameter');
  assertError(await admin.get('/api/v1/deliveries/99999'), 404, 'not_found');
});

test('metrics in Prometheus text need a token or session', async () => {
  const anon = client(d);
  assertError(await anon.get('/api/v1/metrics'), 401, 'unauthorized');
  const tok = await createToken(admin, 'prometheus', 'viewer');
  const m = await bearer(d, tok.token).get('/api/v1/metrics', { headers: { Accept: 'text/plain' } });
  assertStatus(m, 200);
  assert.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = m.text;
  const acked = (await deliveries('&state=acked')).length;
  assert.ok(text.includes(`acdlink_batches{target="WFM",state="acked"} ${acked}\n`), text);
  assert.ok(text.includes('acdlink_batches{target="WFM",state="pending"} 0\n'), text);
  assert.ok(text.includes('acdlink_backlog_age_seconds{target="WFM"} 0\n'), text);
  assert.match(text, /acdlink_runs\{state="done"\} \d+/);
  assert.match(text, /acdlink_source_last_success_timestamp_seconds\{source="ACD"\} \d{10}/);
  assert.match(text, /acdlink_target_last_success_timestamp_seconds\{target="WFM"\} \d{10}/);
  assert.match(text, /acdlink_rows_read_total \d+/);
  for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) {
    assert.match(l, /^[a-z_]+(\{[^}]*\})? -?\d+(\.\d+)?$/, `bad metric line: ${l}`);
  }
  assert.ok(!text.includes(wfm.apiKey));
  void show;
});

test('answers match docs/openapi.yaml', async () => {
  // (the client checks every answer; these are checked once more explicitly)
  const id = (await deliveries())[0].id;
  const urls = ['/api/v1/targets', `/api/v1/targets/${target.id}`, '/api/v1/deliveries?state=acked',
    `/api/v1/deliveries/${id}`, '/api/v1/backlog'];
  for (const url of urls) {
    const r = await admin.get(url);
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(specViolations(r), [], `GET ${url}: ${show(r)}`);
  }
  const job = await admin.post(`/api/v1/targets/${target.id}/test`);
  assert.equal(job.status, 202, show(job));
  assert.deepEqual(specViolations(job), []);
});
