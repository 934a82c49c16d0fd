// What the followed-source kill series share (live-reconcile-crash-scenarios.mjs,
// follow-reconcile-crash-scenarios.mjs): a run's state and its end, two polls waited for, and the end
// checks: the runs all done, the staged states exactly what the source's database holds, a
// fresh recomputation changing no agent day, and nothing left to recompute or send. sqlite(q)
// runs a query on the daemon's database (its output as text).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { assertStatus } from './api.mjs';
import { followOf } from './follow-daemon.mjs';
import { waitFor } from './pipeline.mjs';

/** A repeatable random series from seed (CRASH_SEED): rand() in [0, 1) and pick(list). */
export function seeded(seed) {
  let state = seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return { rand, pick: (arr) => arr[Math.floor(rand() * arr.length)] };
}

/** A UTC instant in seconds as 'YYYY-MM-DD HH:MM:SS'. */
export const sqlTime = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** Run id as the API shows it. */
export async function runOf(admin, id) {
  const r = await admin.get(`/api/v1/runs/${id}`);
  assertStatus(r, 200);
  return r.body;
}

/** Run id once it has ended (done, failed or cancelled). */
export async function runDone(admin, id, timeoutMs = 90000) {
  return waitFor(async () => {
    const x = await runOf(admin, id);
    return ['done', 'failed', 'cancelled'].includes(x.state) ? x : null;
  }, `run ${id} done`, timeoutMs);
}

/** Waits until two polls of source id began after now (what its table holds now seen). */
export async function polled(admin, id) {
  const n = (await followOf(admin, id)).polls;
  await waitFor(async () => (await followOf(admin, id)).polls >= n + 2, 'two polls', 20000);
}

/** A query runner over the daemon's database in dataDir (sqlite3's output, trimmed). */
export function sqliteOf(dataDir) {
  return (q) => {
    const r = spawnSync('sqlite3', [path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
}

/** Every run of the source is done. */
export async function assertRunsDone(admin, sourceId) {
  const runs = (await admin.get(`/api/v1/runs?source_id=${sourceId}&limit=200`)).body.items;
  assert.deepEqual(runs.filter((r) => r.state !== 'done').map((r) => [r.id, r.state]), []);
}

/**
 * The source's staged states are exactly want ("agent|start|code", start in UTC seconds), what
 * stands for the database (what) named in the message; then a fresh recomputation of the source
 * changes no agent day (digest and change sequence).
 */
export async function assertStagedExactly(admin, sqlite, sourceId, want, what) {
  const staged = sqlite(`SELECT ext_agent || '|' || start || '|' || code FROM agent_staged WHERE source_id = ${sourceId} ORDER BY ext_agent, start;`);
  const have = new Set(staged.split('\n'));
  assert.deepEqual([...have].filter((x) => !want.has(x)).slice(0, 10), [], `staged states the ${what} does not have`);
  assert.deepEqual([...want].filter((x) => !have.has(x)).slice(0, 10), [], `${what} states not staged`);
  const days = () => sqlite('SELECT agent_id, day, digest, change_seq FROM agent_days ORDER BY 1, 2;');
  const before = days();
  assertStatus(await admin.patch(`/api/v1/sources/${sourceId}`, { settings: (await admin.get(`/api/v1/sources/${sourceId}`)).body.settings }), 200);
  await waitFor(async () => (await admin.get('/api/v1/recomputes')).body.items?.length === 0, 'nothing pending', 60000);
  assert.equal(days(), before);
}

/** The database is whole and nothing is left to recompute or send. */
export function assertNothingLeft(sqlite) {
  assert.equal(sqlite('PRAGMA integrity_check;'), 'ok');
  assert.equal(sqlite('SELECT count(*) FROM recomputes;'), '0');
  assert.equal(sqlite("SELECT count(*) FROM batches WHERE state <> 'acked';"), '0');
}
