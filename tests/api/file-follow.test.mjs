// Followed files (settings.follow): a CSV agent-state source reads the whole lines appended to
// one growing file of its folder. A writer process appends lines in pieces (half lines wait),
// rotates the file by renaming it and creating a new one while the daemon is killed with
// SIGKILL, then truncates it in place (copytruncate) after the daemon caught up; every line
// is staged once and the strict https-json receiver ends with every agent's states once, in
// order. Bad lines are reported with file, line and column; paths outside the import roots
// (and the daemon's own key file behind a link) are refused; a run of the day (what the
// reconciliation queues) reads the folder the normal way and changes nothing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertInvalidField, assertStatus, show } from '../lib/api.mjs';
import { drained, runDays, waitFor } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';
import { PAUSE_REASONS, expectedSpans, simulateQueueLog } from '../lib/asterisk-sim.mjs';

const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '1', '--login-max-failures', '100'];
const DAY = '2026-11-30';
const AGENTS = 6;
const STATES = ['READY', 'TALK', 'PAUSE'];
let d;
let admin;
let wfm;
let dataDir;
let folder;

async function restart() {
  d = await startDaemon({ dataDir, args: ARGS });
  admin = await login(d, ROOT.name, ROOT.password);
}

async function kill() {
  d.proc.kill('SIGKILL');
  await new Promise((res) => d.proc.once('exit', res));
}

before(async () => {
  folder = await makeTempDir('acdlink-follow-');
  wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
  d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
  dataDir = d.dataDir;
  admin = await login(d, ROOT.name, ROOT.password);
  assertStatus(await admin.post('/api/v1/targets', { name: 'json', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile } }), 201);
  for (const a of ['ready', 'talk', 'pause']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  await wfm?.close();
  for (const dir of [dataDir, folder]) {
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

function source(name, follow, { dir = folder, csv = {} } = {}) {
  return {
    name, kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder: dir, pattern: 'states.log*', separator: ',', ...csv },
      columns: { agent: 'agent', activity: 'state', start: 'start' },
      agent_states: { span: 'start_only' },
      follow,
    },
  };
}

async function follow(id) {
  const r = await admin.get(`/api/v1/sources/${id}`);
  assertStatus(r, 200);
  return r.body.follow;
}

/** Line k of the writer: agent k % AGENTS, its state k / AGENTS, 10 s after line k - 1. */
function line(k) {
  const t = new Date(Date.parse(`${DAY}T08:00:00Z`) + k * 10000).toISOString().slice(0, 19).replace('T', ' ');
  return `a${k % AGENTS},${STATES[Math.floor(k / AGENTS) % 3]},${t}`;
}

/** A writer process taking commands on stdin ("lines A B", "rotate", "copytruncate", "half
 * TEXT", "rest TEXT"), answering "ok" after each: lines are written in two pieces with a pause
 * between, so polls see half lines. */
function startWriter(file) {
  const code = `
    const fs = require('node:fs');
    const file = ${JSON.stringify(file)};
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const lineOf = ${line.toString()};
    const AGENTS = ${AGENTS}, STATES = ${JSON.stringify(STATES)}, DAY = ${JSON.stringify(DAY)};
    let fd = fs.openSync(file, 'a');
    if (fs.fstatSync(fd).size === 0) fs.writeSync(fd, 'agent,state,start\\n');
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { buf += chunk; run(); });
    let busy = false;
    async function run() {
      if (busy) return;
      busy = true;
      let nl;
      while ((nl = buf.indexOf('\\n')) >= 0) {
        const [cmd, ...rest] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (cmd === 'lines') {
          for (let k = Number(rest[0]); k < Number(rest[1]); k++) {
            const text = lineOf(k) + '\\n';
            const cut = 7 + (k % 9);
            fs.writeSync(fd, text.slice(0, cut));
            await sleep(15);
            fs.writeSync(fd, text.slice(cut));
            await sleep(15);
          }
        } else if (cmd === 'rotate') {
          fs.renameSync(file, file + '.1');
          fs.closeSync(fd);
          fd = fs.openSync(file, 'a');
          fs.writeSync(fd, 'agent,state,start\\n');
        } else if (cmd === 'copytruncate') {
          fs.copyFileSync(file, file + '.2');
          fs.ftruncateSync(fd, 0);
          fs.writeSync(fd, 'agent,state,start\\n');
        } else if (cmd === 'half') {
          fs.writeSync(fd, rest.join(' '));
        } else if (cmd === 'rest') {
          fs.writeSync(fd, rest.join(' ') + '\\n');
        }
        process.stdout.write('ok\\n');
      }
      busy = false;
    }`;
  const p = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let answers = 0;
  let waiting = [];
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (t) => {
    answers += (t.match(/ok\n/g) || []).length;
    waiting = waiting.filter(([n, res]) => (answers >= n ? (res(), false) : true));
  });
  let sent = 0;
  return {
    /** Sends a command; the promise resolves when the writer has done it. */
    send(cmd) {
      sent += 1;
      const n = sent;
      p.stdin.write(`${cmd}\n`);
      return new Promise((res) => { if (answers >= n) res(); else waiting.push([n, res]); });
    },
    async close() {
      p.stdin.end();
      await new Promise((res) => p.once('exit', res));
    },
  };
}

test('follow settings: defaults, and refusals naming the field', async () => {
  const bad = async (body, field) => assertInvalidField(await admin.post('/api/v1/sources', body), field);
  await bad(source('x', { file: '' }), 'settings.follow.file');
  await bad(source('x', { file: '../states.log' }), 'settings.follow.file');
  await bad(source('x', { file: 'states*.log' }), 'settings.follow.file');
  await bad(source('x', { file: 'a.log', poll_s: 0 }), 'settings.follow.poll_s');
  await bad(source('x', { file: 'a.log', every: 1 }), 'settings.follow.every');
  await bad(source('x', { file: 'a.log' }, { csv: { encoding: 'utf-16le' } }), 'settings.follow');
  await bad(source('x', { file: 'a.log' }, { csv: { after_import: 'delete' } }), 'settings.follow');
  const r = await admin.post('/api/v1/sources', { ...source('defaults', { file: 'a.log' }), enabled: false });
  assertStatus(r, 201);
  assert.deepEqual(r.body.settings.follow, { file: 'a.log', poll_s: 1, reconcile_minutes: 15, reconcile_hours: 24 });
  assert.equal(await follow(r.body.id), null);
  assertStatus(await admin.delete(`/api/v1/sources/${r.body.id}`), 204);
});

test('only files inside the import roots are followed: not /etc/shadow, not the key file behind a link', async () => {
  assertInvalidField(await admin.post('/api/v1/sources', source('shadow', { file: 'shadow' }, { dir: '/etc' })), 'csv.folder');
  assertInvalidField(await admin.post('/api/v1/sources', source('data', { file: 'secret.key' }, { dir: dataDir })), 'csv.folder');
  const linked = await makeTempDir('acdlink-follow-link-');
  try {
    const key = fs.readdirSync(dataDir).find((n) => /key/.test(n));
    assert.ok(key, `a key file in ${fs.readdirSync(dataDir)}`);
    fs.symlinkSync(path.join(dataDir, key), path.join(linked, 'states.log'));
    fs.symlinkSync('/etc/passwd', path.join(linked, 'other.log'));
    const ids = [];
    for (const file of ['states.log', 'other.log']) {
      const r = await admin.post('/api/v1/sources', source(`link ${file}`, { file, reconcile_minutes: 0 }, { dir: linked }));
      assertStatus(r, 201);
      ids.push(r.body.id);
    }
    for (const id of ids) {
      const f = await waitFor(async () => { const x = await follow(id); return x?.polls >= 2 && x; }, 'two polls');
      assert.equal(f.rows_read, 0, JSON.stringify(f));
      assert.equal(f.offset, 0);
      assert.equal(f.file_id, null, 'nothing of it was opened for reading');
      assert.match(f.last_note || '', /outside the allowed import folders/, JSON.stringify(f));
      assertStatus(await admin.patch(`/api/v1/sources/${id}`, { enabled: false }), 200);
    }
  } finally {
    fs.rmSync(linked, { recursive: true, force: true });
  }
});

test('a writer appends in pieces, rotates while the daemon is killed, then truncates: every line staged once, in order, delivered', async () => {
  const file = path.join(folder, 'states.log');
  const writer = startWriter(file);
  const src = (await admin.post('/api/v1/sources', source('log', { file: 'states.log', poll_s: 1, reconcile_minutes: 0 }))).body;
  assert.ok(src.id, show(src));
  const ids = Array.from({ length: AGENTS }, (_, i) => `a${i}`);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  for (const [code, act] of [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']]) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
  }
  const changed = async (n) => waitFor(async () => { const f = await follow(src.id); return f?.rows_changed >= n && f; },
    async () => `${n} states staged: ${JSON.stringify(await follow(src.id))}`, 30000);

  // a half line waits for its end: polls go by without reading it
  await writer.send('lines 0 12');
  await changed(12);
  const [agent, state, start] = line(12).split(',');
  await writer.send(`half ${agent},${state},${start.slice(0, 13)}`);
  const polls = (await follow(src.id)).polls;
  await waitFor(async () => (await follow(src.id)).polls >= polls + 2, 'two polls over the half line');
  let f = await follow(src.id);
  assert.equal(f.rows_changed, 12, JSON.stringify(f));
  assert.equal(f.rows_rejected, 0, JSON.stringify(f));
  assert.equal(f.line, 13, 'the header and 12 lines were read');
  await writer.send(`rest ${start.slice(13)}`);
  await changed(13);

  // lines in pieces; the daemon is killed while they arrive, the file is rotated while it is
  // down, and more lines go to the new file: the old one is finished by its identity
  const done1 = writer.send('lines 13 60');
  await changed(20);
  await kill();
  await done1;
  await writer.send('rotate');
  await writer.send('lines 60 90');
  await restart();
  f = await changed(90);
  assert.equal(f.rotations, 1, JSON.stringify(f));
  assert.match(f.last_note, /states\.log was rotated: states\.log\.1 \(the file read before\) was read to its end/, JSON.stringify(f));

  // copytruncate once the daemon caught up: read again from the start, counted
  await writer.send('copytruncate');
  const done2 = writer.send('lines 90 130');
  f = await changed(100);
  assert.equal(f.truncations, 1, JSON.stringify(f));
  await kill();
  await restart();
  await done2;
  f = await changed(130);
  await writer.close();

  // nothing read twice: each line was staged once, whatever the kills, rotation and truncation
  await waitFor(async () => (await follow(src.id)).polls >= 2, 'polls after the restart');
  f = await follow(src.id);
  assert.equal(f.rows_changed, 130, JSON.stringify(f));
  assert.equal(f.rows_rejected, 0, JSON.stringify(f));
  assert.equal(f.error, null);
  assert.equal(f.line, 1 + 40, 'the file since its truncation: the header and 40 lines');
  assert.equal(f.offset, fs.statSync(file).size);

  await drained(admin);
  assert.deepEqual(wfm.errors, []);
  const expected = new Map(ids.map((a) => [a, []]));
  for (let k = 0; k < 130; k++) {
    const [a, s] = line(k).split(',');
    expected.get(a).push(s.toLowerCase());
  }
  for (const a of ids) {
    const spans = wfm.agents.get(`${a}@example.com|${DAY}`) || [];
    assert.deepEqual(spans.filter((s) => !s.filled).map((s) => s.activity), expected.get(a), `${a}: ${JSON.stringify(spans)}`);
  }
  // in order: each day an agent was sent extends what it was sent before
  assert.equal(wfm.outOfOrder(), null);

  // the reconciliation's way: a run reads the folder's files whole and changes nothing
  const batches = wfm.batches.size;
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  await drained(admin);
  for (const a of ids) {
    const spans = wfm.agents.get(`${a}@example.com|${DAY}`) || [];
    assert.deepEqual(spans.filter((s) => !s.filled).map((s) => s.activity), expected.get(a), `${a} after the run`);
  }
  assert.equal(wfm.batches.size, batches, 'the run changed nothing to deliver');

  // bad lines: counted, named with file, line and column; the good ones around them staged
  fs.appendFileSync(file, `a1,READY,2026-11-30 nine\n${line(130)}\na2,TALK,2026-11-30 12:00:00,more\n${line(131)}\n`);
  f = await changed(132);
  assert.equal(f.rows_rejected, 2, JSON.stringify(f));
  assert.equal(f.line, 45);
  // the poll counts lines of the file as the whole read does (the header read again apart)
  assert.equal(f.last_note, 'states.log:44:29: 4 fields, the header has 3', JSON.stringify(f));
  const run2 = await runDays(admin, src.id, DAY);
  const texts = (await admin.get(`/api/v1/runs/${run2.id}/log?limit=500`)).body.items.map((l) => l.message).join('\n');
  assert.match(texts, /states\.log:42: column 'start': /, texts);
  assert.match(texts, /states\.log:44:29: 4 fields, the header has 3/, texts);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
});

test('Asterisk\'s queue_log file, followed while it is written in pieces, gives the states the queue_log table preset gives', async () => {
  const SIM_DAY = '2024-04-02';
  const sim = simulateQueueLog(SIM_DAY);
  const epoch = (t) => Date.parse(`${t.replace(' ', 'T')}Z`) / 1000;
  const text = sim.rows.map((r, i) => [epoch(r[0]), i, r]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([t, , r]) => `${t}|${r.slice(1).join('|')}\n`).join('');
  const dir = await makeTempDir('acdlink-queue-log-');
  try {
    const file = path.join(dir, 'queue_log');
    fs.writeFileSync(file, '');
    const bad = (settings, field) => admin.post('/api/v1/sources', { name: 'x', kind: 'csv', product: 'agent_states', time_zone: 'UTC', settings })
      .then((r) => assertInvalidField(r, field));
    await bad({ csv: { folder: dir, preset: 'asterisk_queue_log_agents' }, follow: { file: 'queue_log' } }, 'csv.preset');
    await bad({ csv: { folder: dir, preset: 'asterisk_queue_log_states' }, columns: { agent: '4' } }, 'settings.columns');
    const r = await admin.post('/api/v1/sources', {
      name: 'asterisk', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
      settings: { csv: { folder: dir, pattern: 'queue_log*', preset: 'asterisk_queue_log_states' }, follow: { file: 'queue_log', reconcile_minutes: 0 } },
    });
    assertStatus(r, 201);
    const src = r.body;
    assert.equal(src.settings.agent_states.span, 'start_only');
    assert.deepEqual(src.settings.agent_states.logout_activities, ['LOGGEDOUT']);
    assert.equal(src.settings.csv.separator, '|');
    // every code maps to an activity of its own, so the spans name the codes
    const codes = ['AVAILABLE', 'ONCALL', ...PAUSE_REASONS.map((x) => (x ? `PAUSED:${x}` : 'PAUSED'))];
    const ident = (code) => `q_${code.toLowerCase().replace(/[^a-z]/g, '_')}`;
    for (const code of codes) {
      assertStatus(await admin.post('/api/v1/activities', { identifier: ident(code), name: code }), 201);
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: ident(code) }), 200);
    }
    const agents = Object.keys(sim.states);
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: agents.map((a) => `${a};q${a.slice(6)}@example.com`).join('\n') }), 200);
    // written in 7 pieces that end inside a line; each piece is read before the next comes
    const pieces = 7;
    for (let i = 1; i <= pieces; i++) {
      const end = Math.floor((text.length * i) / pieces) - (i < pieces ? 5 : 0);
      fs.appendFileSync(file, text.slice(fs.statSync(file).size, end));
      const whole = text.lastIndexOf('\n', end - 1) + 1;
      await waitFor(async () => (await follow(src.id))?.offset === whole, async () => `piece ${i}: ${JSON.stringify(await follow(src.id))}`);
    }
    const f = await follow(src.id);
    assert.equal(f.rows_rejected, 0, JSON.stringify(f));
    assert.equal(f.line, sim.rows.length);
    const byIdent = new Map(codes.map((c) => [ident(c), c]));
    const check = async () => {
      for (const a of agents) {
        const res = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(`q${a.slice(6)}@example.com`)}&from=${SIM_DAY}&to=${SIM_DAY}`);
        assertStatus(res, 200);
        const dd = res.body.days.find((x) => x.day === SIM_DAY);
        const got = (dd ? dd.spans : []).map((x) => `${x.local_start.slice(11, 19)}-${x.local_end ? x.local_end.slice(11, 19) : 'open'} ${byIdent.get(x.activity) ?? x.activity}`);
        // the file holds the next day too: a state going at midnight ends there when the agent
        // has a later line (a run of the table reads its one day, where the state stays open)
        const later = sim.rows.some((x) => x[3] === a && x[0] > `${SIM_DAY} 23:59:59`);
        const want = expectedSpans(sim.states[a]).map((x) => (later ? x.replace('-open ', '-00:00:00 ') : x));
        assert.deepEqual(got, want, a);
      }
    };
    await check();
    // a run of the day (the reconciliation's way) reads the file whole and derives the same
    const run = await runDays(admin, src.id, SIM_DAY);
    assert.equal(run.state, 'done', JSON.stringify(run));
    await check();
    assert.equal((await follow(src.id)).rows_changed, f.rows_changed, 'the polls found nothing new after the run');
    // a line whose time is not Unix seconds is named with file, line and column
    fs.appendFileSync(file, 'yesterday|NONE|billing|PJSIP/501|PAUSE|lunch\n');
    const g = await waitFor(async () => { const x = await follow(src.id); return x.rows_rejected === 1 && x; }, 'the bad line');
    assert.equal(g.last_note, `queue_log:${sim.rows.length + 1}: column 1 '1': a queue_log line starts with its time in Unix seconds`);
    assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: false }), 200);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
