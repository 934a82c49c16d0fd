// Crash safety of changes that alter results: the daemon is killed with SIGKILL 0-150 ms after
// a mapping is created, changed or deleted, an activity code is mapped, an external agent id
// moves to another agent, a WFM queue's time zone changes, or a second contact source is
// deleted or made again and imported (CRASH_MAPPING_ITERATIONS times, 24 by default;
// scripts/crash-soak runs 200). After a last restart, once nothing is pending recomputation
// and the backlog is delivered: every contact-statistics result equals what the stored
// mappings compute from the exported rows (computed here, independently), the deleted
// source's queue holds no result while the source is gone, every agent day equals a fresh
// recomputation of the source, and the WFM receiver holds exactly the daemon's values.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, createToken, show, sleep } from '../lib/api.mjs';
import { bearer, login, startDaemon } from '../lib/daemon.mjs';
import { HEADER, contactPipeline, diffResults, drained, line, runDays, waitFor } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ITERATIONS = Number(process.env.CRASH_MAPPING_ITERATIONS || 24);
const SEED = Number(process.env.CRASH_SEED || Date.now() % 100000);
const QUEUES = ['41', '42'];
// the second contact source: deleted and made again (with its mapping and an import) by changes
const SECOND = '49';
const SECOND_DAYS = ['2026-10-05', '2026-10-06'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/Mexico_City'];
// enough intervals that recomputing a mapping takes a while (a kill can fall inside it)
const DAYS = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 9, 2 + i)).toISOString().slice(0, 10));
const CHANGED = ['offered', 'handled']; // the value types whose mappings change; aht stays
const CODES = ['READY', 'TALK', 'BREAK', 'LUNCH'];
const ACTIVITIES = ['ready', 'talk', 'break', null];
const EXT_AGENTS = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(3, '0'));
const AGENTS = Array.from({ length: 6 }, (_, i) => `a${i + 1}@example.com`);
const AGENT_DAYS = ['2026-10-02', '2026-10-03', '2026-10-04'];
const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];

let base;
let dataDir;
let wfm;
let token;
let source;
let second = null; // {source, folder} while the second source exists
let secondQueue;
let base2;
let agentSource;
let queues;
const rows = new Map(); // 'ext|day|hh:mm' -> {offered, handled, aht}

let state = SEED;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

function sql(q) {
  const r = spawnSync('sqlite3', [path.join(dataDir, 'acdlink.db'), q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const hhmm = (slot) => `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-crash-map-'));
  dataDir = path.join(base, 'data');
  const folder = path.join(base, 'acd');
  const agentFolder = path.join(base, 'agents');
  fs.mkdirSync(dataDir);
  fs.mkdirSync(folder);
  fs.mkdirSync(agentFolder);
  wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  const d = await startDaemon({ dataDir, args: ARGS, users: [ROOT] });
  try {
    const admin = await login(d, ROOT.name, ROOT.password);
    token = (await createToken(admin, 'crash', 'admin')).token;
    assertStatus(await admin.post('/api/v1/targets', {
      name: 'WFM', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile },
    }), 201);
    ({ source, queues } = await contactPipeline(admin, folder, QUEUES));
    const lines = [];
    for (const day of DAYS) {
      for (let slot = 0; slot < 96; slot++) {
        for (const q of QUEUES) {
          const offered = 1 + Math.floor(rand() * 30);
          const handled = Math.floor(offered * rand());
          const aht = Math.floor(rand() * 400);
          rows.set(`${q}|${day}|${hhmm(slot)}`, { offered, handled, aht });
          lines.push(line(q, day, hhmm(slot), offered, handled, aht));
        }
      }
    }
    fs.writeFileSync(path.join(folder, 'export.csv'), `${HEADER}\n${lines.join('\n')}\n`);
    const run = await runDays(admin, source.id, DAYS[0], DAYS.at(-1), 180000);
    assert.equal(run.state, 'done', JSON.stringify(run));

    // the second source's export and WFM queue (its mapping comes with the source)
    base2 = path.join(base, 'second');
    fs.mkdirSync(base2);
    const lines2 = [];
    for (const day of SECOND_DAYS) {
      for (let slot = 0; slot < 96; slot++) {
        const offered = 1 + Math.floor(rand() * 30);
        const handled = Math.floor(offered * rand());
        const aht = Math.floor(rand() * 400);
        rows.set(`${SECOND}|${day}|${hhmm(slot)}`, { offered, handled, aht });
        lines2.push(line(SECOND, day, hhmm(slot), offered, handled, aht));
      }
    }
    fs.writeFileSync(path.join(base2, 'export.csv'), `${HEADER}\n${lines2.join('\n')}\n`);
    const wq = await admin.post('/api/v1/queues', { identifier: `Q${SECOND}`, name: 'Second', time_zone: 'UTC' });
    assertStatus(wq, 201);
    secondQueue = wq.body;
    await makeSecond(admin);
    const run2 = await runDays(admin, second.source.id, SECOND_DAYS[0], SECOND_DAYS.at(-1), 180000);
    assert.equal(run2.state, 'done', JSON.stringify(run2));

    // agent states: each external agent's day in 5 to 60 minute states of random codes
    for (const a of ACTIVITIES.filter(Boolean)) {
      assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
    }
    const states = ['Agent;Date;Start;End;State'];
    for (const ext of EXT_AGENTS) {
      for (const day of AGENT_DAYS) {
        const [y, m, dd] = day.split('-');
        let t = 8 * 60;
        while (t < 16 * 60) {
          const len = 5 * (1 + Math.floor(rand() * 12));
          const f = (x) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}:00`;
          states.push(`${ext};${dd}.${m}.${y};${f(t)};${f(t + len)};${pick(CODES)}`);
          t += len;
        }
      }
    }
    fs.writeFileSync(path.join(agentFolder, 'states.csv'), `${states.join('\n')}\n`);
    const as = await admin.post('/api/v1/sources', {
      name: 'Agents', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
      settings: {
        csv: { folder: agentFolder, separator: ';', date_order: 'dmy' },
        columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
        agent_states: { span: 'start_end' },
      },
    });
    assertStatus(as, 201);
    agentSource = as.body;
    for (const code of CODES) {
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: agentSource.id, code, activity: pick(ACTIVITIES) }), 200);
    }
    const arun = await runDays(admin, agentSource.id, AGENT_DAYS[0], AGENT_DAYS.at(-1), 180000);
    assert.equal(arun.state, 'done', JSON.stringify(arun));
    const text = EXT_AGENTS.map((e, i) => `${e};${AGENTS[i % AGENTS.length]}`).join('\n');
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: agentSource.id, text, create_agents: true }), 200);
    await drained(admin, 60000);
  } finally {
    await d.stop();
  }
});

after(async () => {
  if (wfm) {
    await wfm.close();
  }
  if (base) {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

const formula = () => pick([null, 'p1 * 2', 'p1 * 3', 'p1 + 5', 'p1 * 7 + 1', 'p1 - 1']);

/** The second source (again): the source, its WFM queue's offered mapping and an import. */
async function makeSecond(c, { wait = true } = {}) {
  const r = await c.post('/api/v1/sources', {
    name: `Second ${Date.now()}`, kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder: base2, date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  if (r.status !== 201) {
    return r;
  }
  second = { source: r.body };
  for (const m of (await c.get(`/api/v1/mappings?queue_id=${secondQueue.id}`)).body.items) {
    await c.delete(`/api/v1/mappings/${m.id}`); // left without inputs by a deleted source
  }
  const m = await c.post('/api/v1/mappings', {
    queue_id: secondQueue.id, value_type: 'offered', formula: wait ? null : formula(),
    inputs: [{ source_id: r.body.id, ext_queue: SECOND, metric: 'offered' }],
  });
  if (m.status !== 201 || wait) {
    return m;
  }
  return c.post('/api/v1/runs', { source_id: r.body.id, from: SECOND_DAYS[0], to: SECOND_DAYS.at(-1) });
}

/** The second source as the daemon has it now (a kill may have come before or after a change). */
async function findSecond(c) {
  const list = (await c.get('/api/v1/sources?limit=500')).body.items;
  const s = list.find((x) => x.name.startsWith('Second'));
  second = s ? { source: s } : null;
  return second;
}

const made = {}; // changes by kind, for the summary

/** One random change, sent without waiting for its answer. */
async function change(c) {
  const kind = rand();
  const what = kind < 0.6 ? 'mapping' : kind < 0.7 ? 'activity code' : kind < 0.8 ? 'queue zone'
    : kind < 0.9 ? 'source' : 'agent id';
  made[what] = (made[what] || 0) + 1;
  if (kind < 0.6) {
    const q = pick(QUEUES);
    const vt = pick(CHANGED);
    const list = (await c.get(`/api/v1/mappings?queue_id=${queues[q].id}`)).body.items;
    const m = list.find((x) => x.value_type === vt);
    if (!m) {
      return c.post('/api/v1/mappings', {
        queue_id: queues[q].id, value_type: vt, formula: formula(),
        inputs: [{ source_id: source.id, ext_queue: q, metric: vt }],
      });
    }
    return rand() < 0.75 ? c.patch(`/api/v1/mappings/${m.id}`, { formula: formula() }) : c.delete(`/api/v1/mappings/${m.id}`);
  }
  if (kind < 0.7) {
    return c.post('/api/v1/activity-codes', { source_id: agentSource.id, code: pick(CODES), activity: pick(ACTIVITIES) });
  }
  if (kind < 0.8) {
    return c.patch(`/api/v1/queues/${queues[pick(QUEUES)].id}`, { time_zone: pick(ZONES) });
  }
  if (kind < 0.9) {
    // the second source goes (its staged days and its queue's results with it) or comes back
    return (await findSecond(c)) ? c.delete(`/api/v1/sources/${second.source.id}?cascade=true`) : makeSecond(c, { wait: false });
  }
  const to = rand() < 0.2 ? '' : pick(AGENTS);
  return c.post('/api/v1/agent-ids', { source_id: agentSource.id, text: `${pick(EXT_AGENTS)};${to}\n` });
}

/** Every result of every queue against the exported rows and the stored formulas, and the WFM. */
async function checkResults(c) {
  for (const q of QUEUES) {
    const maps = (await c.get(`/api/v1/mappings?queue_id=${queues[q].id}`)).body.items;
    assert.equal(maps.length, 3, JSON.stringify(maps));
  }
  return [
    ...await diffResults(c, { queues, days: DAYS, rows, wfm }),
    ...await diffResults(c, { queues: { [SECOND]: secondQueue }, days: SECOND_DAYS, rows, wfm }),
  ];
}

/** Every agent's days from the API against the WFM's. */
async function checkAgents(c) {
  const diffs = [];
  const seen = new Set();
  const agents = (await c.get('/api/v1/agents?limit=500')).body.items;
  for (const a of agents) {
    const r = await c.get(`/api/v1/agent-states?agent=${a.id}&from=${AGENT_DAYS[0]}&to=${AGENT_DAYS.at(-1)}`);
    assert.equal(r.status, 200, show(r));
    if (a.external_ids.length === 0 && r.body.days.some((d) => d.spans.length > 0)) {
      diffs.push(`${a.identifier} has no external id but spans`);
    }
    for (const day of r.body.days) {
      const key = `${a.identifier}|${day.day}`;
      seen.add(key);
      const want = day.spans.map((s) => [s.activity, s.start, s.end]);
      const have = (wfm.agents.get(key) || []).map((s) => [s.activity, s.start, s.end]);
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        diffs.push(`WFM ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(have)}`);
      }
    }
  }
  for (const [key, spans] of wfm.agents) {
    if (!seen.has(key) && spans.length > 0) {
      diffs.push(`WFM ${key}: holds ${spans.length} spans the daemon has not`);
    }
  }
  return diffs;
}

/** A write, again while the daemon answers 503 (busy: it says when to retry). */
async function write(fn) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const r = await fn();
    if (r.status !== 503 || Date.now() > deadline) {
      return r;
    }
    await sleep(1000 * Number(r.headers['retry-after'] || 1));
  }
}

async function nothingPending(c) {
  await waitFor(async () => {
    const r = await c.get('/api/v1/recomputes');
    return r.status === 200 && r.body.items.length === 0;
  }, async () => `no pending recomputes: ${JSON.stringify((await c.get('/api/v1/recomputes')).body)}`, 60000);
}

test(`${ITERATIONS} kills after mapping, activity-code, agent-id, queue time-zone and source changes leave no result wrong (seed ${SEED})`, async (t) => {
  let leftPending = 0; // kills that fell between a change's commit and its recomputation
  for (let i = 0; i < ITERATIONS; i++) {
    if (i > 0 && sql('SELECT count(*) FROM recomputes;') !== '0') {
      leftPending++;
    }
    const d = await startDaemon({ dataDir, args: ARGS });
    const c = bearer(d, token);
    const sent = change(c).catch(() => null);
    const wait = Math.floor(rand() * 150);
    await sleep(wait);
    d.proc.kill('SIGKILL');
    await d.exited;
    await sent;
  }
  if (sql('SELECT count(*) FROM recomputes;') !== '0') {
    leftPending++;
  }
  const d = await startDaemon({ dataDir, args: ARGS });
  try {
    const c = bearer(d, token);
    // mappings deleted by the last changes come back, so that every value type has one
    for (const q of QUEUES) {
      const have = (await c.get(`/api/v1/mappings?queue_id=${queues[q].id}`)).body.items.map((m) => m.value_type);
      for (const vt of CHANGED.filter((v) => !have.includes(v))) {
        const f = formula();
        assertStatus(await write(() => c.post('/api/v1/mappings', {
          queue_id: queues[q].id, value_type: vt, formula: f,
          inputs: [{ source_id: source.id, ext_queue: q, metric: vt }],
        })), 201);
      }
    }
    // the queues' time zones back to UTC (the results are read by the queues' local days)
    for (const q of QUEUES) {
      assertStatus(await write(() => c.patch(`/api/v1/queues/${queues[q].id}`, { time_zone: 'UTC' })), 200);
    }
    // a deleted second source left its queue without results; made again, it has them
    await nothingPending(c);
    if (!(await findSecond(c))) {
      const r = await c.get(`/api/v1/results?queue=${secondQueue.id}&from=${SECOND_DAYS[0]}&to=${SECOND_DAYS.at(-1)}`);
      assert.deepEqual(r.body.items, [], 'the deleted source\'s queue holds no result');
      assertStatus(await write(() => makeSecond(c, { wait: false })), 202);
    }
    await waitFor(async () => (await c.get('/api/v1/runs?limit=500')).body.items.every((x) => !['queued', 'running'].includes(x.state)),
      'the runs to end', 180000);
    const maps2 = (await c.get(`/api/v1/mappings?queue_id=${secondQueue.id}`)).body.items;
    if (maps2.length !== 1 || maps2[0].inputs.length !== 1 || maps2[0].inputs[0].source_id !== second.source.id) {
      // killed between making the source and its mapping
      for (const m of maps2) {
        assertStatus(await write(() => c.delete(`/api/v1/mappings/${m.id}`)), 204);
      }
      assertStatus(await write(() => c.post('/api/v1/mappings', {
        queue_id: secondQueue.id, value_type: 'offered',
        inputs: [{ source_id: second.source.id, ext_queue: SECOND, metric: 'offered' }],
      })), 201);
    }
    const last = await runDays(c, second.source.id, SECOND_DAYS[0], SECOND_DAYS.at(-1), 180000);
    assert.equal(last.state, 'done', JSON.stringify(last));
    await nothingPending(c);
    await drained(c, 90000);
    const diffs = await checkResults(c);
    assert.deepEqual(diffs, [], `seed ${SEED}:\n${diffs.slice(0, 20).join('\n')}`);

    // agent days: a fresh recomputation of the whole source changes none of them
    const before = sql('SELECT agent_id, day, digest FROM agent_days ORDER BY 1, 2;');
    const maxSeq = sql('SELECT coalesce(max(change_seq), 0) FROM agent_days;');
    const again = await write(() => c.patch(`/api/v1/sources/${agentSource.id}`, { settings: agentSource.settings }));
    assertStatus(again, 200);
    await nothingPending(c);
    assert.equal(sql('SELECT agent_id, day, digest FROM agent_days ORDER BY 1, 2;'), before);
    assert.equal(sql('SELECT coalesce(max(change_seq), 0) FROM agent_days;'), maxSeq);
    await drained(c, 90000);
    const adiffs = await checkAgents(c);
    assert.deepEqual(adiffs, [], `seed ${SEED}:\n${adiffs.slice(0, 20).join('\n')}`);
    assert.deepEqual(wfm.errors, []);
  } finally {
    await d.stop();
  }
  t.diagnostic(`seed ${SEED}: ${ITERATIONS} kills, ${leftPending} of them left a recompute pending ` +
    `(made good after the restart), ${wfm.requests.length} WFM requests; changes: ${JSON.stringify(made)}`);
  assert.equal(sql('PRAGMA integrity_check;'), 'ok');
  assert.equal(sql('SELECT count(*) FROM recomputes;'), '0');
  assert.equal(sql("SELECT count(*) FROM batches WHERE state <> 'acked';"), '0');
});
