// Agent states of a seeded three-day export, end to end: two sources (start and end with
// overlaps, repeated starts, short states, states across midnight and states still going; and
// start-only with logouts) feeding WFM agents that have ids in both, some agents and codes left
// unmapped and mapped later. Everything the daemon makes of it (every agent's spans, the
// csv-export lines, the run counts and warnings, the counts of agent ids and activity codes)
// must stay what it was when this test was written: a change to how agent states are imported,
// staged or turned into spans must not change any of it. The digest was taken from the daemon
// of that time; on a mismatch the whole answer is written beside the test's temp folder. The
// same holds whether a run keeps its states in memory, collects them all in a temporary table
// (agent_states_in_memory 0) or goes over from one to the other during a file (1500).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { assertStatus, startWithAdmin } from '../lib/api.mjs';
import { drained, runDays } from '../lib/pipeline.mjs';

const EXPECTED = '0c802fff10fed9c1aa0a3eaa5c32a4d1edb4443a9dc0911e92003ddb5a32ed02';
const DAYS = ['2026-11-23', '2026-11-24', '2026-11-25'];
let d = null;
let admin;
let base;
let out;

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n) => String(n).padStart(2, '0');
// local wall-clock text of seconds since the first day's midnight
function local(day0, s) {
  const t = new Date(Date.parse(`${day0}T00:00:00Z`) + s * 1000);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
}

// Source A: Agent;Start;End;State, start and end, 30 agents over three days.
function sourceA() {
  const r = rng(13);
  const codes = ['READY', 'TALK', 'ACW', 'AUX1', 'AUX2', 'MEETING'];
  const ids = [];
  for (let i = 1; i <= 28; i++) ids.push(String(i).padStart(4, '0'));
  ids.push('Ab1', 'ab1');
  const rows = [];
  for (const id of ids) {
    for (let day = 0; day < 3; day++) {
      let t = day * 86400 + (day === 0 && id === '0003' ? 23 * 3600 : 6 * 3600 + Math.floor(r() * 4 * 3600));
      const n = 20 + Math.floor(r() * 25);
      for (let k = 0; k < n; k++) {
        const dur = r() < 0.08 ? 5 + Math.floor(r() * 20) : 30 + Math.floor(r() * 1500);
        let start = t;
        if (r() < 0.07 && k > 0) start -= Math.floor(r() * 300); // begins before the last ends
        const code = codes[Math.floor(r() * codes.length)];
        const open = day === 2 && k === n - 1 && r() < 0.5;
        rows.push([id, local(DAYS[0], start), open ? '' : local(DAYS[0], start + dur), code]);
        if (r() < 0.03) rows.push([id, local(DAYS[0], start), local(DAYS[0], start + dur + 60), codes[Math.floor(r() * codes.length)]]);
        t = start + dur + (r() < 0.1 ? 600 + Math.floor(r() * 1800) : 0); // sometimes a hole
      }
      if (id === '0005' && day === 1) rows.push([id, local(DAYS[0], day * 86400 + 23 * 3600 + 1800), local(DAYS[0], (day + 1) * 86400 + 3600), 'TALK']);
    }
  }
  // two files, in time order like an export; the second repeats some rows of the first
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const half = Math.floor(rows.length / 2);
  const head = 'Agent;Start;End;State';
  return [
    ['a1.csv', [head, ...rows.slice(0, half).map((x) => x.join(';'))]],
    ['a2.csv', [head, ...rows.slice(half - 40).map((x) => x.join(';'))]],
  ];
}

// Source B: Agent;Time;State, start-only, 12 agents (some the same people as in A).
function sourceB() {
  const r = rng(29);
  const codes = ['Ready', 'Talking', 'Wrap', 'Break'];
  const rows = [];
  for (let i = 1; i <= 12; i++) {
    const id = `B${i}`;
    for (let day = 0; day < 3; day++) {
      let t = day * 86400 + 7 * 3600 + Math.floor(r() * 3 * 3600);
      rows.push([id, local(DAYS[0], t), 'Login']);
      const n = 15 + Math.floor(r() * 20);
      for (let k = 0; k < n; k++) {
        t += 20 + Math.floor(r() * 1200);
        rows.push([id, local(DAYS[0], t), codes[Math.floor(r() * codes.length)]]);
      }
      if (!(i === 4 && day === 2)) rows.push([id, local(DAYS[0], t + 300), 'Logout']);
    }
  }
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return [['b.csv', ['Agent;Time;State', ...rows.map((x) => x.join(';'))]]];
}

function writeFiles(folder, files) {
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, lines] of files) fs.writeFileSync(path.join(folder, name), lines.join('\r\n') + '\r\n');
}

async function all(p) {
  const items = [];
  let cursor = '';
  for (;;) {
    const r = await admin.get(`${p}${p.includes('?') ? '&' : '?'}limit=500${cursor}`);
    assertStatus(r, 200);
    items.push(...r.body.items);
    if (!r.body.next_cursor || r.body.items.length === 0) return items;
    cursor = `&cursor=${encodeURIComponent(r.body.next_cursor)}`;
  }
}

async function runLog(id) {
  return (await all(`/api/v1/runs/${id}/log`)).filter((x) => x.level !== 'info').map((x) => x.message).sort();
}

async function start(inMemory) {
  const args = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'];
  if (inMemory !== null) args.push('--agent-states-in-memory', String(inMemory));
  ({ d, admin } = await startWithAdmin({ args }));
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-agent-day-'));
  out = path.join(base, 'out');
  fs.mkdirSync(out);
  writeFiles(path.join(base, 'a'), sourceA());
  writeFiles(path.join(base, 'b'), sourceB());
}

async function stop() {
  const code = d ? await d.stop() : 0;
  const err = d && d.stderr().slice(-3000);
  d = null;
  fs.rmSync(base, { recursive: true, force: true });
  assert.equal(code, 0, err);
}

after(async () => {
  if (d) await stop();
});

for (const [inMemory, how] of [[null, 'states in memory'], [0, 'states in a temporary table'], [1500, 'from memory to a temporary table during a run']]) {
  test(`a seeded three-day agent export gives the spans, files, counts and warnings it always gave (${how})`, async () => {
    await start(inMemory);
    try {
      await check();
    } finally {
      await stop();
    }
  });
}

async function check() {
  assertStatus(await admin.post('/api/v1/targets', { name: 'files', connector: 'csv-export', settings: { folder: out } }), 201);
  for (const a of ['ready', 'talk', 'acw', 'break']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  const mk = async (name, folder, columns, states) => {
    const r = await admin.post('/api/v1/sources', {
      name, kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
      settings: { csv: { folder: path.join(base, folder), separator: ';', date_order: 'ymd' }, columns, agent_states: states },
    });
    assertStatus(r, 201);
    return r.body;
  };
  const a = await mk('A', 'a', { agent: 'Agent', start: 'Start', end: 'End', activity: 'State' }, { span: 'start_end', min_duration_s: 20 });
  const b = await mk('B', 'b', { agent: 'Agent', start: 'Time', activity: 'State' }, { span: 'start_only', logout_activities: ['Logout'] });
  for (const [src, code, act] of [[a, 'READY', 'ready'], [a, 'TALK', 'talk'], [a, 'ACW', 'acw'], [a, 'AUX1', 'break'], [b, 'Talking', 'talk'], [b, 'Break', 'break']]) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
  }
  // A's agents 0001..0025 and Ab1 known before the import; B1..B8 are the same people as 0001..0008
  let text = '';
  for (let i = 1; i <= 25; i++) text += `${String(i).padStart(4, '0')};agent${i}@example.com\n`;
  text += 'Ab1;upper@example.com\n';
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: a.id, text }), 200);
  text = '';
  for (let i = 1; i <= 10; i++) text += `B${i};agent${i <= 8 ? i : 100 + i}@example.com\n`;
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: b.id, text }), 200);

  const runs = [];
  for (const src of [a, b]) {
    const run = await runDays(admin, src.id, DAYS[0], DAYS[2], 60000);
    assert.equal(run.state, 'done', JSON.stringify(run));
    runs.push(run);
    await drained(admin, 60000); // each step's days delivered before the next changes them
  }
  // a second run of A reads nothing new; then the rest of the agents and a code are mapped
  const again = await runDays(admin, a.id, DAYS[0], DAYS[2], 60000);
  assert.equal(again.state, 'done', JSON.stringify(again));
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: a.id, text: '0026;agent26@example.com\nab1;lower@example.com\n' }), 200);
  await drained(admin, 60000);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: a.id, code: 'AUX2', activity: 'break' }), 200);
  await drained(admin, 60000);

  const agentList = await all('/api/v1/agents');
  const agents = agentList.map((x) => x.identifier).sort();
  const spans = {};
  for (const ag of agents) {
    const r = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(ag)}&from=2026-11-22&to=2026-11-26`);
    assertStatus(r, 200);
    for (const day of r.body.days) delete day.change_seq; // an order of writing, not content
    spans[ag] = r.body;
  }
  const files = fs.readdirSync(out).filter((f) => f.endsWith('.csv'));
  const lines = files.flatMap((f) => fs.readFileSync(path.join(out, f), 'utf8').split('\r\n').slice(1).filter(Boolean)).sort();
  const counts = (run) => {
    const c = { ...run.counts };
    delete c.files_read; // not what this is about
    return c;
  };
  const answer = {
    runs: runs.map(counts),
    again: counts(again),
    logs: [await runLog(runs[0].id), await runLog(runs[1].id)],
    ids: agentList.map((x) => [x.identifier, x.external_ids.map((e) => [e.source, e.ext_agent, e.count])]).sort(),
    unknown: (await all('/api/v1/unknown-agents')).map((x) => [x.source, x.ext_agent, x.count]).sort(),
    codes: (await all('/api/v1/activity-codes')).map((x) => [x.source, x.code, x.name, x.count, x.activity]).sort(),
    spans,
    lines,
  };
  assert.ok(lines.length > 2000, `${lines.length} exported lines`);
  assert.ok(answer.logs[0].some((m) => /overlapping pairs/.test(m)), answer.logs[0].join('\n'));
  assert.ok(answer.logs[0].some((m) => /repeated an agent's start/.test(m)), answer.logs[0].join('\n'));
  const text2 = JSON.stringify(answer, null, 1);
  const digest = crypto.createHash('sha256').update(text2).digest('hex');
  if (digest !== EXPECTED) {
    const keep = path.join(os.tmpdir(), `acdlink-agent-day-${digest.slice(0, 12)}.json`);
    fs.writeFileSync(keep, text2);
    assert.fail(`the agent day gave ${digest}, not ${EXPECTED}: the whole answer is in ${keep}`);
  }
}
