// Agent states in real time: a writer commits state changes of AGENTS agents into PostgreSQL
// or MariaDB at RATE per second for SECONDS (with a burst of BURST_RATE per second for
// BURST_SECONDS from BURST_AT on), the daemon follows the table (settings.incremental, poll_s
// 1) and delivers to a strict https-json receiver. Prints, as JSON, the latency from each row's
// commit to the receiver's acceptance of the first batch holding it (p50, p99, max; at the
// steady rate and in the burst), the states lost, duplicated and out of order per agent, the
// daemon's CPU share (over the run, at the steady rate, in the burst) and its RSS every 30 s.
//   node bench/realtime.mjs [--engine postgresql|mariadb] [--agents 10000] [--rate 300]
//                           [--seconds 120] [--overlap 120] [--burst-rate 0]
//                           [--burst-seconds 30] [--burst-at S] [--kill-every 0]
// --kill-every N: kill -9 the daemon every N seconds and start it again (only latency may
// change). Loopback only: a throwaway PostgreSQL (tests/lib/pg.sh) or MariaDB
// (tests/lib/mariadb.sh), the daemon on a temporary data folder, the receiver of
// tests/lib/wfm.mjs. ACDLINK_BIN chooses the binary.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { ROOT, odbcDriver } from '../tests/lib/api.mjs';
import { login, startDaemon } from '../tests/lib/daemon.mjs';
import { PG_PASSWORD, startPg } from '../tests/lib/pg.mjs';
import { DB_PASSWORD, startMariadb } from '../tests/lib/sqldb.mjs';
import { startWfm } from '../tests/lib/wfm.mjs';
import { ok, until } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.lastIndexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ENGINE = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1] : 'postgresql';
if (!['postgresql', 'mariadb'].includes(ENGINE)) {
  throw new Error(`--engine ${ENGINE}: postgresql or mariadb`);
}
const AGENTS = arg('agents', 10000);
const RATE = arg('rate', 300);
const SECONDS = arg('seconds', 120);
const OVERLAP = arg('overlap', 120);
const BURST_RATE = arg('burst-rate', 0);
const BURST_SECONDS = BURST_RATE > 0 ? arg('burst-seconds', 30) : 0;
const BURST_AT = arg('burst-at', Math.max(0, Math.floor((SECONDS - BURST_SECONDS) / 2)));
const KILL_EVERY = arg('kill-every', 0);
const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '2', '--login-max-failures', '100'];
const STATES = ['READY', 'TALK', 'ACW', 'PAUSE'];
const load0 = os.loadavg();

/** user + system CPU seconds, peak and current RSS (KiB) of pid. */
function usage(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100;
  const cpu = (Number(f[11]) + Number(f[12])) / tick;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /VmHWM:\s+(\d+)/.exec(status);
  const rss = /VmRSS:\s+(\d+)/.exec(status);
  return { cpu, hwm: hwm ? Number(hwm[1]) : 0, rss: rss ? Number(rss[1]) : 0 };
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// the table, the writer (one client session, each insert committed on its own, the row's
// start the database's clock at the insert, and a second after the agent's previous state at
// least: a writer that lags must not put two states of an agent into one second) and the
// source's connection
let db;
let conn;
let password;
let writerCmd;
let insert;
if (ENGINE === 'postgresql') {
  db = await startPg();
  db.psql('CREATE TABLE agent_events (id bigserial PRIMARY KEY, agent text NOT NULL, state text NOT NULL, started timestamp(3) NOT NULL); CREATE INDEX ON agent_events (started); CREATE INDEX ON agent_events (agent, started)');
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${db.port};Database=postgres`;
  password = PG_PASSWORD;
  writerCmd = [db.bin, [...db.args, '-o', '/dev/null'], "SET TIME ZONE 'UTC';\n"];
  insert = (a, s) => `INSERT INTO agent_events (agent, state, started) SELECT '${a}', '${s}', greatest(clock_timestamp(), (SELECT max(started) + interval '1 second' FROM agent_events WHERE agent = '${a}'));\n`;
} else {
  db = await startMariadb();
  db.exec('CREATE TABLE agent_events (id bigint AUTO_INCREMENT PRIMARY KEY, agent varchar(16) NOT NULL, state varchar(8) NOT NULL, started datetime(3) NOT NULL, INDEX (started), INDEX (agent, started)) ENGINE=InnoDB');
  conn = db.connectionString;
  password = DB_PASSWORD;
  writerCmd = ['mariadb', ['--no-defaults', '-S', db.socket, '-u', 'root', 'acd'], "SET time_zone = '+00:00';\n"];
  // sysdate(3): the clock at the insert (now() is the statement's start); greatest() of a NULL
  // is NULL here, hence the coalesce
  insert = (a, s) => `INSERT INTO agent_events (agent, state, started) SELECT '${a}', '${s}', greatest(sysdate(3), coalesce((SELECT max(started) + INTERVAL 1 SECOND FROM agent_events WHERE agent = '${a}'), '1970-01-01'));\n`;
}
const wfm = await startWfm({ kind: 'https-json', apiKey: 'tok' });
let d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
const dataDir = d.dataDir;
let admin = await login(d, ROOT.name, ROOT.password);
ok(await admin.post('/api/v1/targets', { name: 'wfm', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile } }), 'target');
for (const a of STATES) {
  ok(await admin.post('/api/v1/activities', { identifier: a.toLowerCase(), name: a }), 'activity');
}
const src = ok(await admin.post('/api/v1/sources', {
  name: 'rt', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password, enabled: false,
  settings: {
    odbc: { connection_string: conn, user: 'app', sql: 'SELECT agent, state, started FROM agent_events WHERE started >= :since AND started < :until ORDER BY started' },
    agent_states: { span: 'start_only' },
    incremental: { cursor_column: 'started', poll_s: 1, overlap_s: OVERLAP, reconcile_minutes: 0 },
  },
}), 'source');
const ids = Array.from({ length: AGENTS }, (_, i) => `ag${String(i).padStart(5, '0')}`);
ok(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 'agent ids');
for (const a of STATES) {
  ok(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: a, activity: a.toLowerCase() }), 'code');
}
ok(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 'enable');
await until(async () => (await admin.get(`/api/v1/sources/${src.id}`)).body.follow, 'the first poll');

const writer = spawn(writerCmd[0], writerCmd[1], { stdio: ['pipe', 'ignore', 'inherit'] });
writer.stdin.write(writerCmd[2]);
const written = new Map(); // agent -> [state,...] in order
const writtenAt = new Map(); // agent -> [Date.now() when its insert was sent, ...]
let n = 0;
let peak = 0;
const t0 = Date.now();
let cpu0 = usage(d.proc.pid);
let cpuSum = 0;
let kills = 0;
// the changes due by t seconds: RATE a second, BURST_RATE in the burst
const dueAt = (t) => Math.floor(RATE * t + (BURST_RATE - RATE) * Math.min(BURST_SECONDS, Math.max(0, t - BURST_AT)));
const tick = setInterval(() => {
  const due = dueAt(Math.min(SECONDS, (Date.now() - t0) / 1000));
  let sql = '';
  for (; n < due; n++) {
    // an agent changes state at most once in 1.5 s (states are keyed by agent and second)
    let a = ids[Math.floor(Math.random() * AGENTS)];
    for (let tries = 0; tries < 20 && Date.now() - (writtenAt.get(a) || [0]).at(-1) < 1500; tries++) {
      a = ids[Math.floor(Math.random() * AGENTS)];
    }
    if (Date.now() - (writtenAt.get(a) || [0]).at(-1) < 1500) {
      break;
    }
    const list = written.get(a) || [];
    const at = writtenAt.get(a) || [];
    at.push(Date.now());
    writtenAt.set(a, at);
    let s = STATES[Math.floor(Math.random() * STATES.length)];
    if (list.length && list[list.length - 1] === s) {
      s = STATES[(STATES.indexOf(s) + 1) % STATES.length]; // a change, not the same state again
    }
    list.push(s);
    written.set(a, list);
    sql += insert(a, s);
  }
  if (sql) {
    writer.stdin.write(sql);
  }
}, 20);
// the daemon's CPU seconds so far (over its restarts) and RSS, every 5 s
const samples = [];
const sample = () => {
  try {
    const u = usage(d.proc.pid);
    samples.push({ t: (Date.now() - t0) / 1000, cpu: cpuSum + u.cpu - cpu0.cpu, rss: u.rss });
  } catch {
    // the daemon is being restarted
  }
};
const sampler = setInterval(sample, 5000);
let killer = null;
let killing = Promise.resolve();
if (KILL_EVERY > 0) {
  killer = setInterval(() => {
    killing = killing.then(async () => {
      const u = usage(d.proc.pid);
      cpuSum += u.cpu - cpu0.cpu;
      peak = Math.max(peak, u.hwm);
      d.proc.kill('SIGKILL');
      kills++;
      await new Promise((res) => d.proc.once('exit', res));
      d = await startDaemon({ dataDir, args: ARGS, keepDataDir: true });
      cpu0 = usage(d.proc.pid);
      admin = await login(d, ROOT.name, ROOT.password);
    });
  }, KILL_EVERY * 1000);
}
await until(() => Date.now() - t0 >= SECONDS * 1000, 'the writer', SECONDS * 1000 + 60000);
clearInterval(tick);
if (killer) {
  clearInterval(killer);
}
await killing;
writer.stdin.end();
await new Promise((res) => writer.once('exit', res));
const writerDone = (Date.now() - t0) / 1000;
// the last state of every agent written: wait until the receiver holds them all
const day = new Date().toISOString().slice(0, 10);
// until the receiver holds every state written, or nothing more arrives for 60 s
let last = -1;
let lastChange = Date.now();
await until(() => {
  let missing = 0;
  for (const [a, list] of written) {
    const spans = wfm.agents.get(`${a}@example.com|${day}`);
    missing += Math.max(0, list.length - (spans ? spans.filter((x) => !x.filled).length : 0));
  }
  if (missing !== last) {
    last = missing;
    lastChange = Date.now();
  }
  return missing === 0 || Date.now() - lastChange > 60000;
}, 'every state at the receiver', 900000);
clearInterval(sampler);
sample();
const u = usage(d.proc.pid);
cpuSum += u.cpu - cpu0.cpu;
peak = Math.max(peak, u.hwm);
const wall = (Date.now() - t0) / 1000;

// latency: from sending a state's insert (and from the row's own timestamp: the database's
// clock at the insert, cut to whole seconds by the staging, so up to 1 s more) to the
// receiver's acceptance of the first batch whose day of the agent holds it (the k-th state of
// an agent: the day has k states); a state sent in the burst counts for the burst
const lat = { steady: [], burst: [] };
const latDb = { steady: [], burst: [] };
const inBurst = (at) => BURST_SECONDS > 0 && at - t0 >= BURST_AT * 1000 && at - t0 < (BURST_AT + BURST_SECONDS) * 1000;
const have = new Map();
const byKey = new Map([...wfm.batches.entries()]);
for (const rec of wfm.requests) {
  const b = rec.key && byKey.get(rec.key);
  if (!b || b.seenAt) {
    continue;
  }
  b.seenAt = rec.at;
  for (const dd of b.body.days || []) {
    const a = dd.agent.replace('@example.com', '');
    const k = dd.spans.filter((s) => !s.filled).length;
    const sent = writtenAt.get(a) || [];
    const starts = dd.spans.filter((x) => !x.filled).map((x) => Date.parse(x.start));
    for (let i = have.get(a) || 0; i < k && i < sent.length; i++) {
      const phase = inBurst(sent[i]) ? 'burst' : 'steady';
      lat[phase].push(rec.at - sent[i]);
      latDb[phase].push(rec.at - starts[i]);
    }
    have.set(a, Math.max(have.get(a) || 0, k));
  }
}
const dist = (xs) => {
  xs.sort((x, y) => x - y);
  return xs.length ? { n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: xs[xs.length - 1] } : null;
};
const gaps = wfm.requests.map((r, i) => (i ? r.at - wfm.requests[i - 1].at : 0)).slice(1).sort((x, y) => x - y);
let lost = 0;
let dup = 0;
let order = 0;
for (const [a, list] of written) {
  const got = (wfm.agents.get(`${a}@example.com|${day}`) || []).filter((s) => !s.filled);
  const acts = got.map((s) => s.activity);
  const want = list.map((s) => s.toLowerCase());
  lost += Math.max(0, want.length - acts.length);
  dup += Math.max(0, acts.length - want.length);
  if (acts.length === want.length && acts.some((x, i) => x !== want[i])) {
    order++;
  }
}
// out of order: a day sent that drops or reorders a state sent before
const seen = new Map();
for (const b of [...wfm.batches.values()].sort((x, y) => x.order - y.order)) {
  for (const dd of b.body.days) {
    const starts = dd.spans.filter((s) => !s.filled).map((s) => s.start);
    const before = seen.get(dd.agent) || [];
    if (before.some((x, i) => starts[i] !== x)) {
      order++;
    }
    seen.set(dd.agent, starts);
  }
}
// CPU share of one core between two moments (from the samples nearest to them)
const at = (t) => samples.reduce((best, x) => (Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best), samples[0]);
const share = (t1, t2) => {
  const a1 = at(t1);
  const a2 = at(t2);
  return a2.t > a1.t ? Number(((a2.cpu - a1.cpu) / (a2.t - a1.t)).toFixed(3)) : null;
};
const steadyEnd = BURST_SECONDS > 0 ? BURST_AT : SECONDS;
const rssEvery30 = samples.filter((x, i) => i === 0 || Math.floor(x.t / 30) !== Math.floor(samples[i - 1].t / 30)).map((x) => Number((x.rss / 1024).toFixed(1)));
const f = (await admin.get(`/api/v1/sources/${src.id}`)).body.follow;
const failed = d.stderr().split('\n').filter((l) => /poll failed|polls work again/.test(l));
console.log(JSON.stringify({
  engine: ENGINE, agents: AGENTS, rate: RATE, seconds: SECONDS, overlap_s: OVERLAP,
  burst: BURST_SECONDS > 0 ? { rate: BURST_RATE, seconds: BURST_SECONDS, at_s: BURST_AT } : null,
  kills, written: n, writer_done_s: Number(writerDone.toFixed(1)),
  received_states: lat.steady.length + lat.burst.length, lost, duplicated: dup, out_of_order: order,
  latency_from_row_timestamp_ms: { steady: dist(latDb.steady), burst: dist(latDb.burst), all: dist([...latDb.steady, ...latDb.burst]) },
  latency_from_send_ms: { steady: dist(lat.steady), burst: dist(lat.burst) },
  request_gap_ms: { p50: pct(gaps, 50), p99: pct(gaps, 99) },
  batches: wfm.batches.size, receiver_errors: wfm.errors.length,
  cpu_share_of_one_core: {
    run: Number((cpuSum / wall).toFixed(3)),
    steady: share(Math.min(30, steadyEnd / 2), steadyEnd),
    burst: BURST_SECONDS > 0 ? share(BURST_AT, BURST_AT + BURST_SECONDS + 30) : null,
  },
  peak_rss_mib: Number((peak / 1024).toFixed(1)), rss_mib_every_30s: rssEvery30,
  polls: f.polls, rows_read: f.rows_read, rows_changed: f.rows_changed,
  poll_failures_logged: failed.length, first_poll_failure: failed[0] || null,
  load_average_start: load0.map((x) => Number(x.toFixed(1))), load_average_end: os.loadavg().map((x) => Number(x.toFixed(1))),
}, null, 1));
await d.stop();
await wfm.close();
fs.rmSync(dataDir, { recursive: true, force: true });
db.stop();
