// Crash safety: the daemon is killed with SIGKILL at random moments while it imports and
// delivers (CRASH_ITERATIONS times, 20 by default; scripts/crash-soak runs 200), with a WFM
// that sometimes loses its answers after applying a batch. After a last restart and re-run the
// WFM's applied data equals what the exports say (nothing lost, nothing applied twice), no
// batch is left in `sending`, no staging switch is left unfinished, and PRAGMA
// integrity_check is ok.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, createToken, sleep } from '../lib/api.mjs';
import { bearer, login, startDaemon } from '../lib/daemon.mjs';
import { HEADER, contactPipeline, diffApplied, drained, expectedInjixo, line, runDays, waitFor } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ITERATIONS = Number(process.env.CRASH_ITERATIONS || 20);
const SEED = Number(process.env.CRASH_SEED || Date.now() % 100000);
const QUEUES = ['31', '32', '33', '34'];
const PER_FILE = 40;
// Rows of one run are summed per queue and interval across its files, and which files one run
// reads depends on where the kills fall; so every queue and interval is in one file only.
const DAYS = Array.from({ length: Math.ceil((ITERATIONS * PER_FILE) / (96 * QUEUES.length)) + 1 },
  (_, i) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10));
let dataDir;
let folder;
let wfm;
let token;
let sourceId;
const rows = [];

let state = SEED;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];

// the default import root, DATA/import (an empty setting), holds the ACD folder; runs are
// staged in slices of 2 days (test builds), so kills also fall between the slices of a run,
// its switch and the merge that finishes it
const ENV = { ACDLINK_IMPORT_ROOTS: '', ACDL_TEST_STAGING_SLICE: '2' };

async function start() {
  return startDaemon({ dataDir, args: ARGS, env: ENV });
}

function sql(q) {
  const r = spawnSync('sqlite3', [path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-crash-'));
  folder = path.join(dataDir, 'import', 'acd');
  fs.mkdirSync(folder, { recursive: true });
  wfm = await startWfm({ kind: 'injixo' });
  const d = await startDaemon({ dataDir, args: ARGS, env: ENV, users: [ROOT] });
  const admin = await login(d, ROOT.name, ROOT.password);
  token = (await createToken(admin, 'crash', 'admin')).token;
  assertStatus(await admin.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: wfm.apiKey,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_pem: wfm.pki.ca, timeout_seconds: 2, max_intervals: 10 },
  }), 201);
  ({ source: { id: sourceId } } = await contactPipeline(admin, folder, QUEUES));
  await d.stop();
});

after(async () => {
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let keys = null;

/** A new export file with PER_FILE queue-intervals no other file has. */
function exportFile(i) {
  if (!keys) {
    keys = [];
    for (const day of DAYS) {
      for (let slot = 0; slot < 96; slot++) {
        for (const q of QUEUES) {
          keys.push([day, slot, q]);
        }
      }
    }
    for (let k = keys.length - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [keys[k], keys[j]] = [keys[j], keys[k]];
    }
  }
  const add = keys.slice(i * PER_FILE, (i + 1) * PER_FILE).map(([day, slot, q]) => {
    const hhmm = `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;
    const offered = 1 + Math.floor(rand() * 30);
    return line(q, day, hhmm, offered, Math.floor(offered * rand()), Math.floor(rand() * 400));
  });
  fs.writeFileSync(path.join(folder, `export-${String(i).padStart(4, '0')}.csv`), `${HEADER}\n${add.join('\n')}\n`);
  return add;
}

test(`${ITERATIONS} kills during imports and uploads lose nothing and apply nothing twice (seed ${SEED})`, async (t) => {
  for (let i = 0; i < ITERATIONS; i++) {
    const fresh = exportFile(i);
    if (rand() < 0.4) {
      wfm.fail('drop', 1 + Math.floor(rand() * 2)); // applied, then the answer is lost
    }
    const d = await start();
    const c = bearer(d, token);
    const r = await c.post('/api/v1/runs', { source_id: sourceId, from: DAYS[0], to: DAYS.at(-1) });
    assert.equal(r.status, 202);
    await sleep(Math.floor(rand() * 400));
    d.proc.kill('SIGKILL');
    await d.exited;
    rows.push(...fresh); // the file stays: its rows count whether or not the import finished
  }
  wfm.script.length = 0;
  // the last start: import whatever was not imported, deliver everything
  const d = await start();
  try {
    const c = bearer(d, token);
    await waitFor(async () => {
      const runs = (await c.get('/api/v1/runs?limit=500')).body.items;
      return runs.every((x) => !['queued', 'running'].includes(x.state));
    }, 'the runs queued before the kills');
    const run = await runDays(c, sourceId, DAYS[0], DAYS.at(-1));
    assert.equal(run.state, 'done', JSON.stringify(run));
    await drained(c, 60000);
    const diffs = diffApplied(wfm.applied, expectedInjixo(rows));
    assert.deepEqual(diffs, [], `seed ${SEED}:\n${diffs.slice(0, 20).join('\n')}`);
    assert.equal(wfm.errors.length, 0, wfm.errors.join('\n'));
    const failed = (await c.get('/api/v1/deliveries?state=failed')).body.items;
    assert.deepEqual(failed, []);
  } finally {
    await d.stop();
  }
  const resent = (d.stderr().match(/batches were being sent when the daemon stopped/g) || []).length;
  t.diagnostic(`seed ${SEED}: ${wfm.requests.length} requests, ${wfm.batches.size} batches applied, ` +
    `${wfm.duplicates()} received again after a lost answer or a kill`);
  assert.ok(wfm.batches.size >= ITERATIONS, 'the uploads ran between the kills');
  void resent;
  assert.equal(sql('PRAGMA integrity_check;'), 'ok');
  assert.equal(sql("SELECT count(*) FROM batches WHERE state <> 'acked';"), '0');
  assert.equal(sql('SELECT count(*) FROM outbox_cells;'), '0');
  assert.equal(sql('SELECT count(*) FROM staging_switches;'), '0', 'every staging switch is finished or removed');
  assert.equal(sql('SELECT count(*) FROM staging_pending;'), '0');
});
