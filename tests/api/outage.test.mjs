// Outage: the WFM is unreachable for 72 simulated hours of hourly scheduled imports (the test
// clock moves the daemon's wall clock, see docs/delivery.md). Meanwhile nothing is dropped, the
// backlog's age grows and warns after 24 h; when the WFM is back everything arrives, every
// interval value exactly once, in order.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, createToken, startWithAdmin } from '../lib/api.mjs';
import { bearer } from '../lib/daemon.mjs';
import { HEADER, backlog, contactPipeline, diffApplied, drained, expectedInjixo, line, waitFor } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const HOURS = 72;
const QUEUES = ['11', '12', '13'];
let d;
let admin;
let wfm;
let folder;
let clockFile;
let src;
const rows = [];

function setClock(simNow) {
  // the daemon's clock = real clock + offset; write atomically so a read never sees half
  const offset = Math.round(simNow - Date.now() / 1000);
  fs.writeFileSync(`${clockFile}.tmp`, `${offset}\n`);
  fs.renameSync(`${clockFile}.tmp`, clockFile);
}

const iso = (t) => new Date(t * 1000).toISOString();

/** Appends the four quarter-hours of the hour starting at t to that day's export file. */
function exportHour(t, k) {
  const day = iso(t).slice(0, 10);
  const file = path.join(folder, `acd-${day}.csv`);
  const add = [];
  for (let m = 0; m < 60; m += 15) {
    const hhmm = iso(t + m * 60).slice(11, 16);
    for (const [i, q] of QUEUES.entries()) {
      const offered = 1 + ((k * 7 + m + i * 3) % 20);
      const handled = Math.max(0, offered - ((k + i) % 3));
      add.push(line(q, day, hhmm, offered, handled, 60 + ((k * 13 + m + i) % 240)));
    }
  }
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, `${HEADER}\n`);
  }
  fs.appendFileSync(file, `${add.join('\n')}\n`);
  rows.push(...add);
}

async function runsDone() {
  const r = await admin.get('/api/v1/runs?limit=500');
  return r.body.items.filter((x) => x.state === 'done').length;
}

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-outage-'));
  clockFile = path.join(folder, 'clock');
  // the simulation starts two minutes after the next UTC midnight
  const start = (Math.floor(Date.now() / 86400000) + 1) * 86400 + 120;
  fs.mkdirSync(path.join(folder, 'acd'));
  setClock(start);
  ({ d, admin } = await startWithAdmin({
    args: ['--upload-backoff-base', '2', '--upload-backoff-cap', '600', '--login-max-failures', '100',
      '--backlog-warn-after', '86400'],
    env: { ACDL_TEST_CLOCK_FILE: clockFile },
  }));
  // a token: sessions end when the clock moves on by hours
  admin = bearer(d, (await createToken(admin, 'outage-admin', 'admin')).token);
  wfm = await startWfm({ kind: 'injixo' });
  await wfm.refuse(); // the WFM is down from the start
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile, timeout_seconds: 2 },
  }), 201);
  folder = path.join(folder, 'acd');
  ({ source: src } = await contactPipeline(admin, folder, QUEUES));
  assertStatus(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 60, offset_minutes: 1 }), 201);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('72 hours of scheduled imports while the WFM is down arrive exactly once when it is back', async (t) => {
  assert.match(d.stderr(), /TEST CLOCK/, 'the daemon says that the test clock is on');
  const t0 = Math.floor((Date.now() / 1000 + Number(fs.readFileSync(clockFile, 'utf8'))) / 3600) * 3600;
  let warnedAt = null;
  for (let k = 1; k <= HOURS; k++) {
    const hourStart = t0 + (k - 1) * 3600;
    exportHour(hourStart, k);
    const done = await runsDone();
    setClock(hourStart + 3600 + 90); // past the firing at hh:01 of the next hour
    await waitFor(async () => (await runsDone()) > done, `the scheduled run of simulated hour ${k}`);
    if (k === 23 || k === 26) {
      const b = await backlog(admin);
      assert.equal(b.failed, 0);
      assert.ok(b.pending + b.sending >= k, JSON.stringify(b));
      if (k === 23) {
        assert.equal(b.warning, false, `no warning before 24 h: ${JSON.stringify(b)}`);
      } else {
        assert.equal(b.warning, true, `a warning after 24 h: ${JSON.stringify(b)}`);
        assert.ok(b.age_seconds > 24 * 3600, JSON.stringify(b));
        warnedAt = b.age_seconds;
      }
    }
  }
  assert.ok(warnedAt);
  const runs = (await admin.get('/api/v1/runs?limit=500')).body.items;
  assert.ok(runs.every((r) => r.state === 'done' && r.trigger === 'schedule'), JSON.stringify(runs.filter((r) => r.state !== 'done')));
  assert.equal(wfm.batches.size, 0, 'nothing reached the WFM while it was down');
  const b = await backlog(admin);
  // one batch may be on its way to the WFM that is still down (a retry in flight): waiting too
  assert.ok(b.pending + b.sending >= HOURS, `every import is waiting: ${JSON.stringify(b)}`);
  const oldest = (await admin.get(`/api/v1/deliveries?state=pending&limit=500`)).body.items.at(-1);
  assert.ok(oldest.attempts >= 2, `the oldest batch was tried again and again: ${JSON.stringify(oldest)}`);
  const tok = await createToken(admin, 'prom', 'viewer');
  const m = await bearer(d, tok.token).get('/api/v1/metrics');
  const age = Number(/acdlink_backlog_age_seconds\{target="WFM"\} (\d+)/.exec(m.text)[1]);
  assert.ok(age > (HOURS - 2) * 3600, `backlog age in the metrics: ${age}`);

  await wfm.accept(); // the WFM is back
  setClock(t0 + HOURS * 3600 + 3600); // the next attempt is due by then (cap 600 s)
  const backAt = Date.now();
  await drained(admin, 60000);
  const took = (Date.now() - backAt) / 1000;
  t.diagnostic(`catch-up: ${wfm.batches.size} batches (${rows.length} interval rows, ` +
    `${[...wfm.batches.values()].reduce((n, b) => n + b.body.data.length, 0)} contact events) ` +
    `in ${took.toFixed(1)} s after the WFM came back`);
  const diffs = diffApplied(wfm.applied, expectedInjixo(rows));
  assert.deepEqual(diffs, [], diffs.slice(0, 20).join('\n'));
  assert.equal(wfm.errors.length, 0, wfm.errors.join('\n'));
  assert.equal(wfm.duplicates(), 0, 'no batch was applied twice');
  // every interval value arrived in exactly one batch
  const seen = new Map();
  const span = 15 * 60;
  for (const batch of wfm.batches.values()) {
    const inBatch = new Set(batch.body.data.map((e) => `${e.queueIdentifier}|${Math.floor(Date.parse(e.timestamp) / 1000 / span)}`));
    for (const k of inBatch) {
      seen.set(k, (seen.get(k) || 0) + 1);
    }
  }
  assert.equal(seen.size, HOURS * 4 * QUEUES.length);
  assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'an interval was sent twice');
  // in order: batches arrived in the order they were made
  const order = [...wfm.batches.values()].map((x) => x.order);
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  const after = await backlog(admin);
  assert.equal(after.warning, false);
  assert.equal(after.pending + after.failed, 0);
});
