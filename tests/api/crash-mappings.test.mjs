// Crash safety of changes that alter results: the daemon is killed with SIGKILL 0-150 ms after
// a mapping is created, changed or deleted, an activity code is mapped, an external agent id
// moves to another agent, a WFM queue's time zone changes, a second contact source is deleted
// or made again and imported, a value type switches between sum and weighted average, a WFM
// queue's name or channel changes (every delivered row carries them), the agent-state source's
// time zone or minimum duration changes, a queue's mappings are deleted or made again by
// POST /api/v1/mappings/bulk or copied by POST /api/v1/queues/{id}/copy-mappings, or a target
// resend is asked for, or a WFM queue is deleted with everything it holds (?cascade=true) or
// made again with its mappings (CRASH_MAPPING_ITERATIONS times, 36 by default: each kind twice, then at
// random; scripts/crash-soak runs 240). After a last restart, once nothing is pending
// recomputation and the backlog is delivered: every contact-statistics result equals what the
// stored mappings and value types compute from the exported rows (computed here,
// independently), the deleted source's queue holds no result while the source is gone, every
// agent day equals a fresh recomputation of the source, the WFM receiver holds exactly the
// daemon's values under each queue's current name and channel, every resend recorded was
// queued whole and delivered, and nothing (results, queued or delivered cells) is left of a
// deleted WFM queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, createToken, show, sleep } from '../lib/api.mjs';
import { bearer, login, startDaemon } from '../lib/daemon.mjs';
import { HEADER, contactPipeline, diffAgentDays, diffResults, drained, line, runDays, waitFor } from '../lib/pipeline.mjs';
import { seeded, sqliteOf } from '../lib/follow-crash-checks.mjs';
import { startWfm } from '../lib/wfm.mjs';

const ITERATIONS = Number(process.env.CRASH_MAPPING_ITERATIONS || 36);
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
// the kinds of change, with their share of the random rounds
const KINDS = [['mapping', 0.24], ['queue delete', 0.06], ['activity code', 0.05], ['queue zone', 0.05], ['source', 0.05],
  ['agent id', 0.05], ['value type', 0.1], ['queue name', 0.08], ['agent source', 0.08],
  ['bulk', 0.08], ['copy', 0.08], ['resend', 0.08]];
const BULK = ['offered', 'handled', 'aht'].map((vt) => ({ value_type: vt, metric: vt }));
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
let target;
let wavg; // a custom value type, weighted by handled or summed
const extra = {}; // QV (two inputs: wavg and handled), QB (bulk, ext 42), QC (copied from Q41)
// a WFM queue fed by ext 41: deleted with ?cascade=true, or made again with its mappings
const DELETED = 'QD';
const rows = new Map(); // 'ext|day|hh:mm' -> {offered, handled, aht}

const { rand, pick } = seeded(SEED);

const sql = (q) => sqliteOf(dataDir)(q);

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
    const t = await admin.post('/api/v1/targets', {
      name: 'WFM', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile },
    });
    assertStatus(t, 201);
    target = t.body;
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

    // a weighted average over both external queues, a queue made by bulk, one by copying
    const vt = await admin.post('/api/v1/value-types', {
      key: 'wavg', name: 'Weighted AHT', unit: 'seconds', combine: 'weighted', weight_key: 'handled',
    });
    assertStatus(vt, 201);
    wavg = vt.body;
    for (const id of ['QV', 'QB', 'QC']) {
      const wq = await admin.post('/api/v1/queues', { identifier: id, name: `Extra ${id}`, time_zone: 'UTC' });
      assertStatus(wq, 201);
      extra[id] = wq.body;
    }
    for (const [vtKey, metric] of [['handled', 'handled'], ['wavg', 'aht']]) {
      assertStatus(await admin.post('/api/v1/mappings', {
        queue_id: extra.QV.id, value_type: vtKey,
        inputs: QUEUES.map((q) => ({ source_id: source.id, ext_queue: q, metric })),
      }), 201);
    }
    assertStatus(await bulk(admin), 201);
    assertStatus(await copy(admin), 201);
    assertStatus(await makeDeleted(admin), 201);

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

/** The mappings of QB made again in one request. */
function bulk(c) {
  return c.post('/api/v1/mappings/bulk', { source_id: source.id, queues: [{ queue_id: extra.QB.id, ext_queues: ['42'] }], mappings: BULK });
}

/** The queue QD as the daemon has it now, or null. */
async function findDeleted(c) {
  const list = (await c.get('/api/v1/queues?limit=500')).body.items;
  return list.find((q) => q.identifier === DELETED) || null;
}

/** QD's three mappings (ext 41) in one request. */
function bulkDeleted(c, qd) {
  return c.post('/api/v1/mappings/bulk', { source_id: source.id, queues: [{ queue_id: qd.id, ext_queues: ['41'] }], mappings: BULK });
}

/** QD made again, then its mappings (a kill may fall between the two). */
async function makeDeleted(c) {
  const r = await c.post('/api/v1/queues', { identifier: DELETED, name: 'Deleted and made again', time_zone: 'UTC' });
  return r.status === 201 ? bulkDeleted(c, r.body) : r;
}

/** Q41's mappings copied to QC in one request. */
function copy(c) {
  return c.post(`/api/v1/queues/${queues['41'].id}/copy-mappings`, { to: [{ queue_id: extra.QC.id }] });
}

/** Deletes the mappings of a queue one by one (a kill may fall between them). */
async function deleteAll(c, queueId) {
  const list = (await c.get(`/api/v1/mappings?queue_id=${queueId}`)).body.items;
  let r = null;
  for (const m of list) {
    r = await c.delete(`/api/v1/mappings/${m.id}`);
  }
  return r;
}

const resends = []; // periods asked for (answers may be lost to a kill)

const made = {}; // changes by kind, for the summary

/** Round i's kind: each kind twice, then at random by its share. */
function kindOf(i) {
  if (i < 2 * KINDS.length) {
    return KINDS[i % KINDS.length][0];
  }
  let x = rand();
  for (const [k, share] of KINDS) {
    if (x < share) {
      return k;
    }
    x -= share;
  }
  return KINDS[0][0];
}

/** One change of kind what, sent without waiting for its answer. */
async function change(c, what) {
  made[what] = (made[what] || 0) + 1;
  if (what === 'value type') {
    return c.patch(`/api/v1/value-types/${wavg.id}`, rand() < 0.5 ? { combine: 'sum', weight_key: null }
      : { combine: 'weighted', weight_key: 'handled' });
  }
  if (what === 'queue name') {
    return c.patch(`/api/v1/queues/${queues[pick(QUEUES)].id}`, { name: `WFM ${Math.floor(rand() * 1000)}`, channel: pick(['calls', 'chats', 'tasks']) });
  }
  if (what === 'agent source') {
    if (rand() < 0.5) {
      return c.patch(`/api/v1/sources/${agentSource.id}`, { time_zone: pick(ZONES) });
    }
    const now = (await c.get(`/api/v1/sources/${agentSource.id}`)).body.settings;
    return c.patch(`/api/v1/sources/${agentSource.id}`, {
      settings: { ...now, agent_states: { ...now.agent_states, min_duration_s: pick([0, 60, 600, 1200]) } },
    });
  }
  if (what === 'bulk' || what === 'copy') {
    const q = what === 'bulk' ? extra.QB : extra.QC;
    const have = (await c.get(`/api/v1/mappings?queue_id=${q.id}`)).body.items.length;
    return have > 0 ? deleteAll(c, q.id) : what === 'bulk' ? bulk(c) : copy(c);
  }
  if (what === 'queue delete') {
    const qd = await findDeleted(c);
    return qd ? c.delete(`/api/v1/queues/${qd.id}?cascade=true`) : makeDeleted(c);
  }
  if (what === 'resend') {
    // whole local days inside the data in any of the zones
    const a = 1 + Math.floor(rand() * (DAYS.length - 3));
    const b = Math.min(DAYS.length - 2, a + Math.floor(rand() * 5));
    resends.push([DAYS[a], DAYS[b]]);
    return c.post(`/api/v1/targets/${target.id}/resend`, { from: DAYS[a], to: DAYS[b] });
  }
  if (what === 'mapping') {
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
  if (what === 'activity code') {
    return c.post('/api/v1/activity-codes', { source_id: agentSource.id, code: pick(CODES), activity: pick(ACTIVITIES) });
  }
  if (what === 'queue zone') {
    return c.patch(`/api/v1/queues/${queues[pick(QUEUES)].id}`, { time_zone: pick(ZONES) });
  }
  if (what === 'source') {
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
    ...await diffResults(c, { queues: { 42: extra.QB }, days: DAYS, rows, wfm }),
    ...await diffResults(c, { queues: { 41: extra.QC }, days: DAYS, rows, wfm }),
    ...await diffResults(c, { queues: { 41: extra.QD }, days: DAYS, rows, wfm }),
    ...await checkWeighted(c),
    ...await checkRows(c),
  ];
}

const near = (a, b) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** QV: handled summed over 41 and 42, wavg as its value type says now; the API and the WFM. */
async function checkWeighted(c) {
  const diffs = [];
  const vt = (await c.get('/api/v1/value-types?limit=200')).body.items.find((v) => v.id === wavg.id);
  const maps = (await c.get(`/api/v1/mappings?queue_id=${extra.QV.id}`)).body.items;
  if (maps.some((m) => m.pending_recompute)) {
    diffs.push('QV: a mapping is still pending recomputation');
  }
  const r = await c.get(`/api/v1/results?queue=${extra.QV.id}&from=${DAYS[0]}&to=${DAYS.at(-1)}`);
  assert.equal(r.status, 200, show(r));
  const got = new Map(r.body.items.map((it) => [`${it.interval_start}|${it.value_type}`, it.value]));
  for (const day of DAYS) {
    for (let slot = 0; slot < 96; slot++) {
      const [x, y] = QUEUES.map((q) => rows.get(`${q}|${day}|${hhmm(slot)}`));
      const iso = `${day}T${hhmm(slot)}:00Z`;
      const want = { handled: x.handled + y.handled };
      if (vt.combine === 'sum') {
        want.wavg = x.aht + y.aht;
      } else if (want.handled > 0) {
        want.wavg = (x.aht * x.handled + y.aht * y.handled) / want.handled;
      }
      const sent = wfm.applied.get(`QV|${iso}`) || {};
      for (const k of ['handled', 'wavg']) {
        const have = got.get(`${iso}|${k}`);
        got.delete(`${iso}|${k}`);
        if (want[k] === undefined ? have !== undefined : !near(have, want[k])) {
          diffs.push(`QV ${iso} ${k} (${vt.combine}): expected ${want[k]}, got ${have}`);
        }
        if (want[k] === undefined ? sent[k] !== undefined : !near(sent[k], want[k])) {
          diffs.push(`WFM QV|${iso} ${k} (${vt.combine}): expected ${want[k]}, got ${sent[k]}`);
        }
      }
    }
  }
  for (const [k, v] of got) {
    diffs.push(`QV ${k}: not expected, got ${v}`);
  }
  return diffs;
}

/** Every row the WFM holds of Q41 and Q42 carries the queue's current name, channel and interval. */
async function checkRows(c) {
  const diffs = [];
  for (const q of QUEUES) {
    const now = (await c.get(`/api/v1/queues/${queues[q].id}`)).body;
    const want = JSON.stringify({ queueName: now.name, channel: now.channel, minutes: now.interval_minutes });
    let n = 0;
    for (const [k, row] of wfm.rows) {
      if (k.startsWith(`${now.identifier}|`) && JSON.stringify(row) !== want && n++ < 5) {
        diffs.push(`WFM ${k}: the row says ${JSON.stringify(row)}, the queue is ${want}`);
      }
    }
  }
  return diffs;
}

/** Every resend recorded was queued whole (its days hold 96 rows per day of Q41 and Q42 at
 * least) and delivered. */
async function checkResends(c) {
  const diffs = [];
  const list = (await c.get(`/api/v1/resends?target_id=${target.id}&limit=200`)).body.items;
  for (const x of list) {
    const days = (Date.parse(x.to) - Date.parse(x.from)) / 86400000 + 1;
    if (x.intervals < QUEUES.length * 96 * days || !x.done || x.remaining !== 0 || x.failed !== 0) {
      diffs.push(`resend ${x.id} of ${x.from}..${x.to}: ${JSON.stringify(x)}`);
    }
  }
  return { diffs, count: list.length };
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

test(`${ITERATIONS} kills after mapping, activity-code, agent-id, queue, source, value-type, bulk, copy, resend and queue delete changes leave no result wrong (seed ${SEED})`, async (t) => {
  let leftPending = 0; // kills that fell between a change's commit and its recomputation
  let resendsRecorded = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    if (i > 0 && sql('SELECT count(*) FROM recomputes;') !== '0') {
      leftPending++;
    }
    const d = await startDaemon({ dataDir, args: ARGS });
    const c = bearer(d, token);
    const sent = change(c, kindOf(i)).catch(() => null);
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
    // once more without a kill: a new name goes out with every row; a new interval is refused
    // while 15-minute sources are mapped
    assertStatus(await write(() => c.patch(`/api/v1/queues/${queues['41'].id}`, { name: 'WFM 41 at last' })), 200);
    const iv = await c.patch(`/api/v1/queues/${queues['41'].id}`, { interval_minutes: 30 });
    assert.equal(iv.status, 422, show(iv));
    assert.match(iv.body.error.message, /^interval_minutes: source 'ACD' is mapped into this queue and delivers 15-minute/, show(iv));
    // the agent-state source back to UTC (the agent days are read by UTC days)
    assertStatus(await write(() => c.patch(`/api/v1/sources/${agentSource.id}`, { time_zone: 'UTC' })), 200);
    // a bulk or copy queue left half deleted: made whole again in one request
    for (const [q, make] of [[extra.QB, bulk], [extra.QC, copy]]) {
      const have = (await c.get(`/api/v1/mappings?queue_id=${q.id}`)).body.items.length;
      if (have > 0 && have < 3) {
        await deleteAll(c, q.id);
        assertStatus(await write(() => make(c)), 201);
      }
    }
    // nothing is left of a deleted QD; then it is made whole again (its values go out anew)
    for (const table of ['results', 'outbox_cells', 'target_cells']) {
      assert.equal(sql(`SELECT count(*) FROM ${table} WHERE queue_id NOT IN (SELECT id FROM wfm_queues);`), '0',
        `${table} of a deleted WFM queue`);
    }
    let qd = await findDeleted(c);
    if (!qd) {
      const r = await write(() => c.post('/api/v1/queues', { identifier: DELETED, name: 'Deleted and made again', time_zone: 'UTC' }));
      assertStatus(r, 201);
      qd = r.body;
    }
    const qdMaps = (await c.get(`/api/v1/mappings?queue_id=${qd.id}`)).body.items;
    if (qdMaps.length < 3) {
      for (const m of qdMaps) {
        assertStatus(await write(() => c.delete(`/api/v1/mappings/${m.id}`)), 204);
      }
      assertStatus(await write(() => bulkDeleted(c, qd)), 201);
    }
    extra.QD = qd;
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
    const current = (await c.get(`/api/v1/sources/${agentSource.id}`)).body.settings;
    const again = await write(() => c.patch(`/api/v1/sources/${agentSource.id}`, { settings: current }));
    assertStatus(again, 200);
    await nothingPending(c);
    assert.equal(sql('SELECT agent_id, day, digest FROM agent_days ORDER BY 1, 2;'), before);
    assert.equal(sql('SELECT coalesce(max(change_seq), 0) FROM agent_days;'), maxSeq);
    await drained(c, 90000);
    const adiffs = await diffAgentDays(c, wfm, AGENT_DAYS, { noSpansWithoutIds: true });
    assert.deepEqual(adiffs, [], `seed ${SEED}:\n${adiffs.slice(0, 20).join('\n')}`);
    const rs = await checkResends(c);
    assert.deepEqual(rs.diffs, [], `seed ${SEED}:\n${rs.diffs.slice(0, 20).join('\n')}`);
    resendsRecorded = rs.count;
    assert.deepEqual(wfm.errors, []);
  } finally {
    await d.stop();
  }
  t.diagnostic(`seed ${SEED}: ${ITERATIONS} kills, ${leftPending} of them left a recompute pending ` +
    `(made good after the restart), ${wfm.requests.length} WFM requests, ${wfm.duplicates()} batches received ` +
    `again (applied once), ${resendsRecorded} of ${resends.length} resends recorded; changes: ${JSON.stringify(made)}`);
  assert.equal(sql('PRAGMA integrity_check;'), 'ok');
  assert.equal(sql('SELECT count(*) FROM recomputes;'), '0');
  assert.equal(sql("SELECT count(*) FROM batches WHERE state <> 'acked';"), '0');
});
