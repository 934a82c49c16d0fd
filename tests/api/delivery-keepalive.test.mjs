// Kept connections to a WFM target, counted at the strict receiver (TCP connections, full and
// resumed TLS handshakes, requests): a target's batches share one kept-alive connection; when
// the receiver closes kept connections at random (after an answer, or when the next request
// arrives, before reading it) the batch goes out at once on a new connection that resumes the
// TLS session, and every batch is applied once; a kill -9 between a request and its answer
// still ends with every batch applied once; a changed pin or CA file refuses the next batch even
// while a connection verified under the old ones is kept (no reuse, no resumption across them);
// the connection test opens a connection of its own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, startWithAdmin } from '../lib/api.mjs';
import { login, startDaemon } from '../lib/daemon.mjs';
import {
  contactPipeline, diffApplied, drained, expectedInjixo, line, runDays, waitFor, writeCsv,
} from '../lib/pipeline.mjs';
import { makePki, startWfm } from '../lib/wfm.mjs';

const DAY = '2026-11-25';
const QUEUES = ['301', '302'];
const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
let d;
let admin;
let wfm;
let folder;
let caCopy;
let src;
let target;
const rows = [];

/** Every interval of the first `n` quarter-hours from 08:00 for both queues, values from k. */
function intervals(n, k) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const hhmm = `${String(8 + Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`;
    for (const [j, q] of QUEUES.entries()) {
      out.push(line(q, DAY, hhmm, 5 + k + i + j, 3 + k + j, 100 + k + i));
    }
  }
  return out;
}

/** Imports newRows as file and waits until the target holds them. */
async function importRows(file, newRows) {
  rows.push(...newRows);
  writeCsv(path.join(folder, 'in'), file, newRows);
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
}

async function deliveries() {
  const r = await admin.get('/api/v1/deliveries?limit=500');
  assertStatus(r, 200);
  return r.body.items;
}

function checkApplied() {
  const diffs = diffApplied(wfm.applied, expectedInjixo(rows));
  assert.deepEqual(diffs, [], `receiver differs:\n${diffs.join('\n')}\nerrors: ${wfm.errors}`);
  assert.deepEqual(wfm.errors, []);
}

/** Every acked delivery was received under its key and applied once. */
async function everyBatchOnce() {
  const list = await deliveries();
  assert.ok(list.every((b) => b.state === 'acked'), JSON.stringify(list.filter((b) => b.state !== 'acked')));
  for (const b of list) {
    assert.ok(wfm.batches.has(b.batch_key), `batch ${b.batch_key} was not received`);
  }
  // the receiver applies a key once; a key received again is answered, not applied
  assert.equal(wfm.batches.size, list.length);
  return list;
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ARGS }));
  wfm = await startWfm({ kind: 'injixo' });
  // the receiver keeps idle connections for a minute, so the daemon's own bound (30 s) applies
  wfm.server.keepAliveTimeout = 60000;
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-keep-'));
  fs.mkdirSync(path.join(folder, 'in'));
  caCopy = path.join(folder, 'wfm-ca.pem');
  fs.writeFileSync(caCopy, wfm.pki.ca);
  const t = await admin.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: {
      base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: caCopy,
      pin_sha256: wfm.pki.pinSha256, timeout_seconds: 3, max_intervals: 1,
    },
  });
  assertStatus(t, 201);
  target = t.body;
  ({ source: src } = await contactPipeline(admin, path.join(folder, 'in'), QUEUES));
});

after(async () => {
  const code = d ? await d.stop() : 0;
  await wfm?.close();
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('a target\'s batches share one kept connection', async (t) => {
  await importRows('a.csv', intervals(12, 0));
  await drained(admin);
  checkApplied();
  const list = await everyBatchOnce();
  const s = wfm.stats();
  t.diagnostic(`${list.length} batches: ${JSON.stringify(s)}`);
  assert.equal(list.length, 24, 'one batch per queue and interval (max_intervals 1)');
  assert.equal(s.requests, 24);
  // a new connection per batch would be 24 connections and 24 full handshakes
  assert.ok(s.tcp <= 2 && s.tlsFull <= 2, JSON.stringify(s));
  assert.equal(s.onKept, s.requests - s.tcp, 'every other request came on a kept connection');
});

test('kept connections closed by the receiver at random: each batch goes out at once on a new connection resuming the TLS session, applied once', async (t) => {
  const before = wfm.stats();
  wfm.closeKept(0.4, 12);
  await importRows('b.csv', intervals(16, 7));
  await drained(admin);
  wfm.closeKept(0);
  checkApplied();
  const list = await everyBatchOnce();
  const s = wfm.stats();
  t.diagnostic(`after random closes: ${JSON.stringify(s)} (before: ${JSON.stringify(before)})`);
  assert.ok(s.idleCloses > before.idleCloses, 'the receiver closed connections after an answer');
  assert.ok(s.unreadCloses > before.unreadCloses, 'the receiver closed connections on a request, unread');
  // every new connection resumed the session of the one before: no full handshake
  assert.equal(s.tlsFull, before.tlsFull, JSON.stringify(s));
  assert.ok(s.tlsResumed >= s.unreadCloses - before.unreadCloses, JSON.stringify(s));
  // a request closed unread went out again at once on a new connection (not after a backoff)
  assert.ok(list.every((b) => b.attempts === 1), JSON.stringify(list.filter((b) => b.attempts !== 1)));
});

test('a kill -9 between a request on a kept connection and its answer (the receiver applied it): the batch is sent again with its key and applied once', async () => {
  await importRows('c.csv', [line('301', DAY, '11:00', 40, 30, 120)]);
  await drained(admin);
  const asked = wfm.requests.length;
  const kept = wfm.stats();
  wfm.fail('hold');
  await importRows('d.csv', [line('302', DAY, '11:00', 41, 31, 121)]);
  await waitFor(() => wfm.requests.slice(asked).some((r) => r.mode === 'hold' && r.key), 'the request applied and left unanswered');
  assert.equal(wfm.stats().tcp, kept.tcp, 'it came on the kept connection');
  const key = wfm.requests.slice(asked).find((r) => r.mode === 'hold').key;
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
  d = await startDaemon({ dataDir: d.dataDir, args: ARGS, keepDataDir: true });
  admin = await login(d, ROOT.name, ROOT.password);
  await drained(admin);
  checkApplied();
  await everyBatchOnce();
  assert.equal(wfm.batches.get(key).count, 2, 'received twice under one key, applied once');
});

/** Waits for the oldest batch not acked; resolves it once it was tried and refused. */
async function refused(text) {
  return waitFor(async () => {
    const b = (await deliveries()).find((x) => x.state !== 'acked');
    return b && b.attempts >= 1 && text.test(b.last_error || '') ? b : null;
  }, `a batch refused with ${text}`);
}

test('the pin and the CA file are checked for the next batch even while a connection verified under the old ones is kept', async () => {
  await importRows('e.csv', [line('301', DAY, '12:00', 50, 40, 130)]);
  await drained(admin);
  assert.ok(wfm.sockets.size >= 1, 'a connection is kept');
  const kept = wfm.stats();
  // another pin: refused (not sent on the kept connection, no session resumed under it)
  const other = makePki('other');
  const patch = async (settings) => assertStatus(await admin.patch(`/api/v1/targets/${target.id}`, { settings: { ...target.settings, ...settings } }), 200);
  await patch({ pin_sha256: other.pinSha256 });
  await importRows('f.csv', [line('302', DAY, '12:00', 51, 41, 131)]);
  await refused(/not the pinned certificate/);
  assert.equal(wfm.stats().requests, kept.requests, 'nothing was sent under the wrong pin');
  await patch({ pin_sha256: wfm.pki.pinSha256 });
  await drained(admin);
  checkApplied();
  // the CA file now holds another CA: refused at the next connection though one was kept
  await importRows('g.csv', [line('301', DAY, '12:15', 52, 42, 132)]);
  await drained(admin);
  assert.ok(wfm.sockets.size >= 1, 'a connection is kept');
  const kept2 = wfm.stats();
  fs.writeFileSync(caCopy, other.ca);
  await importRows('h.csv', [line('302', DAY, '12:15', 53, 43, 133)]);
  await refused(/certificate was refused/);
  assert.equal(wfm.stats().requests, kept2.requests, 'nothing was sent while the CA file names another CA');
  fs.writeFileSync(caCopy, wfm.pki.ca);
  await drained(admin);
  checkApplied();
  await everyBatchOnce();
  fs.rmSync(other.dir, { recursive: true, force: true });
});

test('the connection test opens a connection of its own', async () => {
  const s0 = wfm.stats();
  const r = await admin.post(`/api/v1/targets/${target.id}/test`);
  assertStatus(r, 202);
  await waitFor(async () => wfm.stats().requests > s0.requests, 'the connection test at the receiver');
  await waitFor(() => wfm.stats().tcp > s0.tcp, 'its own connection');
  assert.equal(wfm.stats().tlsFull, s0.tlsFull + 1, 'a full handshake: the certificate is verified');
});
