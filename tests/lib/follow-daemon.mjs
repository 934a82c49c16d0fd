// The daemon of the followed-source tests (incremental ODBC, live-status tables): its data folder
// is kept so that it can be killed and started again on the same data, it delivers to a strict
// https-json receiver (target "json") and knows the WFM activities the tests map codes to.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { ROOT, assertStatus } from './api.mjs';
import { login, startDaemon } from './daemon.mjs';
import { startWfm } from './wfm.mjs';

export const FOLLOW_ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];

/**
 * Starts the receiver and the daemon; activities are identifiers or {identifier, name}.
 * Resolves {d, admin, wfm, dataDir}.
 */
export async function startFollowDaemon(activities, { env = {} } = {}) {
  const wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  try {
    const d = await startDaemon({ args: FOLLOW_ARGS, users: [ROOT], keepDataDir: true, env });
    const admin = await login(d, ROOT.name, ROOT.password);
    assertStatus(await admin.post('/api/v1/targets', { name: 'json', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile } }), 201);
    for (const a of activities) {
      const { identifier, name } = typeof a === 'string' ? { identifier: a, name: a } : a;
      assertStatus(await admin.post('/api/v1/activities', { identifier, name }), 201);
    }
    return { d, admin, wfm, dataDir: d.dataDir };
  } catch (e) {
    await wfm.close();
    throw e;
  }
}

/** Starts the daemon again on dataDir (env: extra environment) and logs in. Resolves {d, admin}. */
export async function restartFollowDaemon(dataDir, { env = {} } = {}) {
  const d = await startDaemon({ dataDir, args: FOLLOW_ARGS, env });
  return { d, admin: await login(d, ROOT.name, ROOT.password) };
}

/** Kills the daemon with SIGKILL and waits for its end. */
export async function killDaemon(d) {
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
}

/** Stops the daemon (it must exit with 0), the receiver, and removes the data folder. */
export async function stopFollowDaemon({ d, wfm, dataDir }) {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await wfm?.close();
  if (dataDir) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The follow status of a source (GET /api/v1/sources/{id}). */
export async function followOf(admin, id) {
  const r = await admin.get(`/api/v1/sources/${id}`);
  assertStatus(r, 200);
  return r.body.follow;
}

/**
 * The states an https-json receiver holds of one WFM agent (identifier), over all its days with
 * the midnight cuts joined: [activity, start, end] in order (filled spans left out).
 */
export function receivedStates(wfm, identifier) {
  const got = [];
  const days = [...wfm.agents.keys()].filter((k) => k.startsWith(`${identifier}|`)).sort();
  for (const s of days.flatMap((k) => wfm.agents.get(k).filter((x) => !x.filled))) {
    const prev = got[got.length - 1];
    if (prev && prev[0] === s.activity && prev[2] === s.start) {
      prev[2] = s.end;
    } else {
      got.push([s.activity, s.start, s.end]);
    }
  }
  return got;
}

/** The daemon's resident memory in KiB (/proc/PID/status). */
export function residentKib(d) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'));
  return Number(m[1]);
}

/** Runs SQL text with the sqlite3 shell on the database file db (waiting up to 10 s for a lock). */
export function sqliteShell(db, text) {
  execFileSync('sqlite3', [db], { input: `.timeout 10000\n${text}` });
}
