// Crash safety of an agent-state run whose agents' spans are computed in its staging
// transaction: the daemon is killed with SIGKILL 0-400 ms after a run of a start-only file is
// started (CRASH_AGENT_RUN_ITERATIONS times, 12 by default), each file a day's states of
// random agents and codes, some at starts staged before (replacing them), some on the day
// before or after one staged (a state running over midnight ends at the next day's first). Of
// the external ids, most are the only id of their WFM agent (computed from the run's states),
// two share one (computed after the staging, reading back), two are not mapped.
// After a last restart and a run of a new file of each day without a kill, once nothing is
// pending: a fresh recomputation of the whole source changes no agent day (the spans the runs
// wrote are what the staged states give), the WFM holds exactly the daemon's agent days, and
// the store is intact.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, createToken, sleep } from '../lib/api.mjs';
import { bearer, login, startDaemon } from '../lib/daemon.mjs';
import { diffAgentDays, drained, runDays, waitFor } from '../lib/pipeline.mjs';
import { seeded, sqliteOf } from '../lib/follow-crash-checks.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ITERATIONS = Number(process.env.CRASH_AGENT_RUN_ITERATIONS || 12);
const SEED = Number(process.env.CRASH_SEED || Date.now() % 100000);
const DAYS = ['2026-10-02', '2026-10-03', '2026-10-04'];
const CODES = ['READY', 'TALK', 'BREAK', 'LUNCH', 'LOGOUT'];
const ACTIVITIES = ['ready', 'talk', 'break'];
const EXT = Array.from({ length: 40 }, (_, i) => String(i + 1).padStart(3, '0'));
const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];

let base;
let dataDir;
let folder;
let wfm;
let token;
let source;
let files = 0;

const { rand, pick } = seeded(SEED);

const sql = (q) => sqliteOf(dataDir)(q);

/** A file of one day: for each of some agents, states from a random hour on, every 5 to 60
 * minutes (on whole 5 minutes, so a later file repeats some starts), up to the day's end. */
function writeFile(day) {
  const lines = ['Agent;Time;State'];
  for (const ext of EXT) {
    if (rand() < 0.4) {
      continue;
    }
    let t = Math.floor(rand() * 20) * 60;
    while (t < 24 * 60) {
      const f = `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}:00`;
      lines.push(`${ext};${day} ${f};${pick(CODES)}`);
      t += 5 * (1 + Math.floor(rand() * 12));
    }
  }
  fs.writeFileSync(path.join(folder, `states-${String(files++).padStart(3, '0')}.csv`), `${lines.join('\n')}\n`);
}

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-crash-agent-run-'));
  dataDir = path.join(base, 'data');
  folder = path.join(base, 'agents');
  fs.mkdirSync(dataDir);
  fs.mkdirSync(folder);
  wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  const d = await startDaemon({ dataDir, args: ARGS, users: [ROOT] });
  try {
    const admin = await login(d, ROOT.name, ROOT.password);
    token = (await createToken(admin, 'crash', 'admin')).token;
    assertStatus(await admin.post('/api/v1/targets', {
      name: 'WFM', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile },
    }), 201);
    for (const a of ACTIVITIES) {
      assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
    }
    const s = await admin.post('/api/v1/sources', {
      name: 'Agents', kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
      settings: {
        csv: { folder, pattern: '*.csv', separator: ';', date_order: 'ymd' },
        columns: { agent: 'Agent', start: 'Time', activity: 'State' },
        agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
      },
    });
    assertStatus(s, 201);
    source = s.body;
    // the ids are known and mapped before the first run: its spans are computed as it stages
    writeFile(DAYS[1]);
    const first = await runDays(admin, source.id, DAYS[1], DAYS[1], 60000);
    assert.equal(first.state, 'done', JSON.stringify(first));
    for (const [i, code] of CODES.slice(0, 3).entries()) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: source.id, code, activity: ACTIVITIES[i] }), 200);
    }
    // 001..036 an agent each, 037 and 038 one agent, 039 and 040 not mapped
    const text = EXT.slice(0, 38).map((e, i) => `${e};${i < 36 ? `a${e}@example.com` : 'shared@example.com'}`).join('\n');
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: source.id, text, create_agents: true }), 200);
    await drained(admin, 60000);
  } finally {
    await d.stop();
  }
});

after(async () => {
  await wfm?.close();
  if (base) {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

async function nothingPending(c) {
  await waitFor(async () => {
    const r = await c.get('/api/v1/recomputes');
    return r.status === 200 && r.body.items.length === 0;
  }, async () => `no pending recomputes: ${JSON.stringify((await c.get('/api/v1/recomputes')).body)}`, 60000);
}

test(`${ITERATIONS} kills during agent-state runs leave every agent day as the staged states give it (seed ${SEED})`, async (t) => {
  for (let i = 0; i < ITERATIONS; i++) {
    const day = pick(DAYS);
    writeFile(day);
    const d = await startDaemon({ dataDir, args: ARGS });
    const c = bearer(d, token);
    const sent = c.post('/api/v1/runs', { source_id: source.id, from: day, to: day }).catch(() => null);
    await sleep(Math.floor(rand() * 400));
    d.proc.kill('SIGKILL');
    await d.exited;
    await sent;
  }
  const d = await startDaemon({ dataDir, args: ARGS });
  try {
    const c = bearer(d, token);
    await waitFor(async () => (await c.get('/api/v1/runs?limit=500')).body.items.every((x) => !['queued', 'running'].includes(x.state)),
      'the runs to end', 120000);
    // once more without a kill: a new file of each day (read with any a killed run left)
    await nothingPending(c);
    for (const day of DAYS) {
      writeFile(day);
      const r = await runDays(c, source.id, day, day, 120000);
      assert.equal(r.state, 'done', JSON.stringify(r));
    }
    assert.equal(sql("SELECT count(*) FROM runs WHERE state = 'running';"), '0');
    await nothingPending(c);
    // a fresh recomputation of the whole source changes none of the agent days
    const before = sql('SELECT d.agent_id, d.day, d.digest, (SELECT group_concat(list, \'\') FROM (SELECT list FROM agent_day_parts p WHERE p.agent_id = d.agent_id AND p.day = d.day ORDER BY part)) FROM agent_days d ORDER BY 1, 2;');
    assert.ok(before.length > 0);
    const maxSeq = sql('SELECT coalesce(max(change_seq), 0) FROM agent_days;');
    const current = (await c.get(`/api/v1/sources/${source.id}`)).body.settings;
    assertStatus(await c.patch(`/api/v1/sources/${source.id}`, { settings: current }), 200);
    await nothingPending(c);
    assert.equal(sql('SELECT d.agent_id, d.day, d.digest, (SELECT group_concat(list, \'\') FROM (SELECT list FROM agent_day_parts p WHERE p.agent_id = d.agent_id AND p.day = d.day ORDER BY part)) FROM agent_days d ORDER BY 1, 2;'), before);
    assert.equal(sql('SELECT coalesce(max(change_seq), 0) FROM agent_days;'), maxSeq);
    await drained(c, 90000);
    const diffs = await diffAgentDays(c, wfm, DAYS);
    assert.deepEqual(diffs, [], `seed ${SEED}:\n${diffs.slice(0, 20).join('\n')}`);
    assert.deepEqual(wfm.errors, []);
  } finally {
    await d.stop();
  }
  t.diagnostic(`seed ${SEED}: ${ITERATIONS} kills, ${files} files, ${wfm.requests.length} WFM requests`);
  assert.equal(sql('PRAGMA integrity_check;'), 'ok');
  assert.equal(sql('SELECT count(*) FROM recomputes;'), '0');
});
