// Agent states in real time: writer sessions commit state changes of AGENTS agents into
// PostgreSQL or MariaDB at RATE per second for SECONDS (with a burst of BURST_RATE per second
// for BURST_SECONDS from BURST_AT on), each row committed on its own, and the daemon follows the
// table (settings.incremental, poll_s 1) and delivers to a strict https-json receiver (or
// injixo-api, --target). Prints,
// as JSON, the latency from each row's commit to the receiver's acceptance of the first batch
// holding it (p50, p99, max; at the steady rate and in the burst), the states lost, duplicated
// and out of order per agent, the daemon's CPU share (over the run, at the steady rate, in the
// burst) and CPU seconds (over the run, in the burst, per 1,000 states staged), its RSS every 30 s, whether memory stayed flat (the RSS slope over the last half of
// the steady phase, and the peak), how far the writer fell behind its schedule and the
// receiver's connections, TLS handshakes (full and resumed) and requests; then a timeline
// (a line per WINDOW s: rows committed, the writer's worst lag, polls, rows read and states
// staged per poll, batches and states accepted, backlog, latency, CPU, RSS).
//   node bench/realtime.mjs [--engine postgresql|mariadb] [--agents 10000] [--rate 300]
//                           [--seconds 120] [--overlap 120] [--burst-rate 0]
//                           [--burst-seconds 30] [--burst-at S] [--kill-every 0]
//                           [--writers 2] [--window 30]
// --kill-every N: kill -9 the daemon every N seconds and start it again (only latency may
// change); `kills_at` tells for each kill when it came (s, in the burst or not), the backlog of
// the sample before it, how long the restart took until the API answered and when the
// receiver next accepted a batch. Loopback only: a throwaway PostgreSQL (tests/lib/pg.sh) or MariaDB
// (tests/lib/mariadb.sh), the daemon on a temporary data folder, the receiver of
// tests/lib/wfm.mjs. ACDLINK_BIN chooses the binary.
// --log-level L: the daemon's log level (debug: the uploader times each batch); --daemon-log
// FILE: the daemon's stderr into FILE at the end (with kills: the last daemon's).
// --prefill-states N: before the timed run each agent's day already holds N states (inserted in
// batches, spread over today's hours before now); the run starts when the daemon has staged
// and delivered them (the JSON's prefill_states and prefill_staged_s; the counters and CPU
// seconds are the timed run's).
// --agent-days whole|changes: the https-json target's agent_days (default changes: a day the
// receiver holds goes as its changed tail, docs/https-json.md; whole: every change sends the
// agent's day whole, the setting not sent, as binaries before it know it). `batch_bytes` tells
// what the batches weighed (bytes of body, spans and part days per batch).
// --target injixo-api: deliver to the receiver's injixo-api agent-statuses endpoint instead
// (spans that differ from what it accepted, kept there by agent and start); the same checks
// against what the receiver holds (lost, duplicated, out of order per agent), latency from the
// first batch after which it holds the state; --agent-days does not apply.
// --profile OUT: the daemon under `perf record` (DWARF call graphs) from the writers' start
// until the receiver holds every state, into OUT (not with --kill-every).
import { execFileSync, spawn } from 'node:child_process';
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
const MAX_STATES = arg('max-states', 0); // settings.incremental.max_states_per_poll (0: not sent)
const BURST_RATE = arg('burst-rate', 0);
const BURST_SECONDS = BURST_RATE > 0 ? arg('burst-seconds', 30) : 0;
const BURST_AT = arg('burst-at', Math.max(0, Math.floor((SECONDS - BURST_SECONDS) / 2)));
const KILL_EVERY = arg('kill-every', 0);
const WINDOW = arg('window', 30); // seconds per line of the timeline
const WRITERS = arg('writers', 2); // writer sessions, each with its share of the agents
const PREFILL = arg('prefill-states', 0); // states per agent already on the day before the run
const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : '';
if (PROFILE && KILL_EVERY > 0) {
  throw new Error('--profile: not with --kill-every (perf follows one process)');
}
const AGENT_DAYS = process.argv.includes('--agent-days') ? process.argv[process.argv.lastIndexOf('--agent-days') + 1] : 'changes';
if (!['whole', 'changes'].includes(AGENT_DAYS)) {
  throw new Error(`--agent-days ${AGENT_DAYS}: whole or changes`);
}
const TARGET = process.argv.includes('--target') ? process.argv[process.argv.lastIndexOf('--target') + 1] : 'https-json';
if (!['https-json', 'injixo-api'].includes(TARGET)) {
  throw new Error(`--target ${TARGET}: https-json or injixo-api`);
}
const LOG_LEVEL = process.argv.includes('--log-level') ? process.argv[process.argv.indexOf('--log-level') + 1] : '';
const DAEMON_LOG = process.argv.includes('--daemon-log') ? process.argv[process.argv.indexOf('--daemon-log') + 1] : '';
const ARGS = ['--upload-backoff-base', '1', '--upload-backoff-cap', '2', '--login-max-failures', '100', ...(LOG_LEVEL ? ['--log-level', LOG_LEVEL] : [])];
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

// the table and the writer: WRITERS client sessions (2 unless --writers), each calling a stored
// procedure once per 20 ms tick with its agents' changes due, which inserts them one by one and commits each insert on its own (the
// row's start the database's clock at the insert, and a second after the agent's previous state
// at least: a writer that lags must not put two states of an agent into one second). A client
// sending one INSERT per round trip (psql waits for each answer before it reads the next
// statement) reached only about 490 commits/s on an idle PostgreSQL at load 17, and 170/s
// beside the daemon's polls. Each row also records its place in the schedule (seq) and the
// clock at its insert (at), so the run can tell how far the writer fell behind its schedule.
let db;
let conn;
let password;
let writerCmd;
let writeCall; // rows [{a, s, seq}] -> the SQL text of one call
let dump; // SQL -> its result as text, tab-separated
if (ENGINE === 'postgresql') {
  db = await startPg();
  db.psql('CREATE TABLE agent_events (id bigserial PRIMARY KEY, agent text NOT NULL, state text NOT NULL, started timestamp(3) NOT NULL, seq bigint NOT NULL, at timestamp(3) NOT NULL); CREATE INDEX ON agent_events (started); CREATE INDEX ON agent_events (agent, started)');
  db.psql(`CREATE PROCEDURE write_states(a text[], s text[], q bigint[]) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(a, 1), 0) LOOP
    INSERT INTO agent_events (agent, state, started, seq, at) SELECT a[i], s[i], greatest(clock_timestamp(), (SELECT max(started) + interval '1 second' FROM agent_events WHERE agent = a[i])), q[i], clock_timestamp();
    COMMIT;
  END LOOP;
END $$`);
  conn = `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${db.port};Database=postgres`;
  password = PG_PASSWORD;
  // the throwaway cluster commits without waiting for the disk anyway (tests/lib/pg.sh); the
  // writer's session says so for itself too
  writerCmd = [db.bin, [...db.args, '-o', '/dev/null'], "SET TIME ZONE 'UTC';\nSET synchronous_commit = off;\n"];
  writeCall = (rows) => `CALL write_states(ARRAY[${rows.map((r) => `'${r.a}'`).join(',')}]::text[], ARRAY[${rows.map((r) => `'${r.s}'`).join(',')}]::text[], ARRAY[${rows.map((r) => r.seq).join(',')}]::bigint[]);\n`;
  dump = (q) => execFileSync(db.bin, [...db.args, '-At', '-F', '\t', '-c', q], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
} else {
  db = await startMariadb();
  db.exec('CREATE TABLE agent_events (id bigint AUTO_INCREMENT PRIMARY KEY, agent varchar(16) NOT NULL, state varchar(8) NOT NULL, started datetime(3) NOT NULL, seq bigint NOT NULL, at datetime(3) NOT NULL, INDEX (started), INDEX (agent, started)) ENGINE=InnoDB');
  // sysdate(3): the clock at the insert (now() is the statement's start); greatest() of a NULL
  // is NULL here, hence the coalesce. The list: agent,state,seq;... (autocommit: each INSERT
  // of the procedure commits on its own; the COMMIT says so)
  db.exec(`DELIMITER //
CREATE PROCEDURE write_states(IN list LONGTEXT)
BEGIN
  DECLARE item TEXT;
  DECLARE ag VARCHAR(16);
  DECLARE prev DATETIME(3);
  WHILE list <> '' DO
    SET item = SUBSTRING_INDEX(list, ';', 1);
    SET list = IF(LOCATE(';', list) > 0, SUBSTRING(list, LOCATE(';', list) + 1), '');
    SET ag = SUBSTRING_INDEX(item, ',', 1);
    SELECT max(started) INTO prev FROM agent_events WHERE agent = ag;
    INSERT INTO agent_events (agent, state, started, seq, at) VALUES (ag, SUBSTRING_INDEX(SUBSTRING_INDEX(item, ',', 2), ',', -1), greatest(sysdate(3), coalesce(prev + INTERVAL 1 SECOND, '1970-01-01')), SUBSTRING_INDEX(item, ',', -1), sysdate(3));
    COMMIT;
  END WHILE;
END //
DELIMITER ;
`);
  conn = db.connectionString;
  password = DB_PASSWORD;
  writerCmd = ['mariadb', ['--no-defaults', '-S', db.socket, '-u', 'root', 'acd'], "SET time_zone = '+00:00';\n"];
  writeCall = (rows) => `CALL write_states('${rows.map((r) => `${r.a},${r.s},${r.seq}`).join(';')}');\n`;
  dump = (q) => execFileSync('mariadb', ['--no-defaults', '-N', '-B', '-S', db.socket, '-u', 'root', 'acd', '-e', q], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
}
// a batch keeps only its days' agents and the starts of their states (ms since 1970): an hour's
// batches resend each changed agent's whole day, too much to keep as parsed JSON
const keepBody = (body) => ({
  days: (body.days || []).map((dd) => ({
    agent: dd.agent,
    starts: Float64Array.from(dd.spans.filter((s) => !s.filled), (s) => Date.parse(s.start)),
  })),
});
// injixo-api: the receiver keeps statuses by agent and start; they are indexed by agent here, and
// a batch keeps, like an https-json one, the starts of its agents' days as held after it
const held = new Map(); // injixo-api: agent -> starts (ms, ascending) held
const byAgent = new Map(); // injixo-api: agent -> Map start -> status
class Statuses extends Map {
  set(k, st) {
    super.set(k, st);
    let m = byAgent.get(st.agentIdentifier);
    if (!m) {
      m = new Map();
      byAgent.set(st.agentIdentifier, m);
      held.set(st.agentIdentifier, []);
    }
    if (!m.has(st.startTime)) {
      const xs = held.get(st.agentIdentifier);
      const t = Date.parse(st.startTime);
      let i = xs.length;
      while (i > 0 && xs[i - 1] > t) {
        i--;
      }
      xs.splice(i, 0, t);
    }
    m.set(st.startTime, st);
    return this;
  }
}
const keepStatuses = (body) => ({
  sent: body.data.length,
  days: [...new Set(body.data.map((st) => st.agentIdentifier))].map((agent) => ({ agent, starts: Float64Array.from(held.get(agent)) })),
});
const wfm = TARGET === 'injixo-api'
  ? await startWfm({ kind: 'injixo', keepBody: keepStatuses })
  : await startWfm({ kind: 'https-json', apiKey: 'tok', keepBody });
if (TARGET === 'injixo-api') {
  wfm.agents = new Statuses();
}
/** The receiver's non-filled spans of agent a (WFM identifier) today, in start order, as
 * {activity}. */
const heldSpans = (a, day) => (TARGET === 'injixo-api'
  ? [...(byAgent.get(a) || new Map()).values()].sort((x, y) => x.startTime.localeCompare(y.startTime)).map((st) => ({ activity: st.activityIdentifier }))
  : (wfm.agents.get(`${a}|${day}`) || []).filter((sp) => !sp.filled));
const heldCount = (a, day) => (TARGET === 'injixo-api' ? (held.get(a) || []).length : heldSpans(a, day).length);
let d = await startDaemon({ args: ARGS, users: [ROOT], keepDataDir: true });
const dataDir = d.dataDir;
let admin = await login(d, ROOT.name, ROOT.password);
ok(await admin.post('/api/v1/targets', TARGET === 'injixo-api'
  ? { name: 'wfm', connector: 'injixo-api', secret: wfm.apiKey, settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile } }
  : { name: 'wfm', connector: 'https-json', secret: 'tok', settings: { url: wfm.url, ca_file: wfm.pki.caFile, ...(AGENT_DAYS === 'changes' ? { agent_days: 'changes' } : {}) } }), 'target');
for (const a of STATES) {
  ok(await admin.post('/api/v1/activities', { identifier: a.toLowerCase(), name: a }), 'activity');
}
const src = ok(await admin.post('/api/v1/sources', {
  name: 'rt', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password, enabled: false,
  settings: {
    odbc: { connection_string: conn, user: 'app', sql: 'SELECT agent, state, started FROM agent_events WHERE started >= :since AND started < :until ORDER BY started' },
    agent_states: { span: 'start_only' },
    incremental: {
      cursor_column: 'started', poll_s: 1, overlap_s: OVERLAP, reconcile_minutes: 0,
      ...(MAX_STATES > 0 ? { max_states_per_poll: MAX_STATES } : {}),
    },
  },
}), 'source');
const ids = Array.from({ length: AGENTS }, (_, i) => `ag${String(i).padStart(5, '0')}`);
ok(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.map((a) => `${a};${a}@example.com`).join('\n') }), 'agent ids');
for (const a of STATES) {
  ok(await admin.post('/api/v1/activity-codes', { source_id: src.id, code: a, activity: a.toLowerCase() }), 'code');
}
// --prefill-states N: each agent's day already holds N states (spread over today's hours
// before now, the overlap and a minute kept clear), inserted in batches of 1,000 agents before
// the daemon polls; the run starts once the daemon staged them all and its backlog is empty
const written = new Map(); // agent -> [state,...] in order
let prefillS = null;
if (PREFILL > 0) {
  const tp = Date.now();
  const dayStart = Math.floor(tp / 86400000) * 86400000;
  const spanS = Math.floor((tp - dayStart) / 1000) - OVERLAP - 60;
  if (spanS < PREFILL) {
    throw new Error(`--prefill-states ${PREFILL}: only ${spanS} s of today before the overlap; run later in the day`);
  }
  const list = Array.from({ length: PREFILL }, (_, k) => STATES[k % STATES.length]);
  const codes = `ARRAY[${STATES.map((x) => `'${x}'`).join(',')}]`;
  for (let a0 = 0; a0 < AGENTS; a0 += 1000) {
    const a1 = Math.min(AGENTS, a0 + 1000) - 1;
    // agent a's k-th state at spanS * (k * AGENTS + a) / (PREFILL * AGENTS) s after midnight
    if (ENGINE === 'postgresql') {
      db.psql(`INSERT INTO agent_events (agent, state, started, seq, at) SELECT 'ag' || lpad(a::text, 5, '0'), (${codes})[1 + k % ${STATES.length}], t, -1, t FROM generate_series(${a0}, ${a1}) a, generate_series(0, ${PREFILL - 1}) k, LATERAL (SELECT timestamp '${new Date(dayStart).toISOString().slice(0, 10)}' + (${spanS}::bigint * (k * ${AGENTS} + a) / (${PREFILL}::bigint * ${AGENTS})) * interval '1 second' AS t) x`);
    } else {
      db.exec(`INSERT INTO agent_events (agent, state, started, seq, at) SELECT concat('ag', lpad(a.seq, 5, '0')), ELT(1 + k.seq % ${STATES.length}, ${STATES.map((x) => `'${x}'`).join(',')}), TIMESTAMP '${new Date(dayStart).toISOString().slice(0, 10)} 00:00:00' + INTERVAL (${spanS} * (k.seq * ${AGENTS} + a.seq) DIV (${PREFILL} * ${AGENTS})) SECOND, -1, TIMESTAMP '${new Date(dayStart).toISOString().slice(0, 10)} 00:00:00' + INTERVAL (${spanS} * (k.seq * ${AGENTS} + a.seq) DIV (${PREFILL} * ${AGENTS})) SECOND FROM seq_${a0}_to_${a1} a, seq_0_to_${PREFILL - 1} k`);
    }
  }
  for (const a of ids) {
    written.set(a, list.slice());
  }
  ok(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 'enable');
  await until(async () => {
    const f = (await admin.get(`/api/v1/sources/${src.id}`)).body.follow;
    return f && f.rows_changed >= AGENTS * PREFILL && (await admin.get('/api/v1/backlog')).body.queued === 0;
  }, 'the prefilled states staged and delivered', 1800000);
  prefillS = Number(((Date.now() - tp) / 1000).toFixed(1));
} else {
  ok(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 'enable');
}
await until(async () => (await admin.get(`/api/v1/sources/${src.id}`)).body.follow, 'the first poll');
const follow0 = (await admin.get(`/api/v1/sources/${src.id}`)).body.follow;

const perf = PROFILE
  ? spawn('perf', ['record', '--call-graph', 'dwarf,16384', '-F', '99', '-o', PROFILE, '-p', String(d.proc.pid)], { stdio: ['ignore', 'ignore', 'inherit'] })
  : null;
// agent i is written by session i % WRITERS: an agent's states are committed in order
const batches0 = wfm.batches.size; // the prefill's batches (batch_bytes counts the timed run's)
const spansPre = { sent: wfm.spansSent, again: wfm.spansAgain }; // the prefill's
const writers = Array.from({ length: WRITERS }, () => {
  const w = spawn(writerCmd[0], writerCmd[1], { stdio: ['pipe', 'ignore', 'inherit'] });
  w.stdin.write(writerCmd[2]);
  return { proc: w, exited: new Promise((res) => w.once('exit', res)) };
});
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
  const rows = writers.map(() => []);
  for (; n < due; n++) {
    // an agent changes state at most once in 1.5 s (states are keyed by agent and second)
    let ix = Math.floor(Math.random() * AGENTS);
    for (let tries = 0; tries < 20 && Date.now() - (writtenAt.get(ids[ix]) || [0]).at(-1) < 1500; tries++) {
      ix = Math.floor(Math.random() * AGENTS);
    }
    const a = ids[ix];
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
    rows[ix % WRITERS].push({ a, s, seq: n });
  }
  rows.forEach((r, i) => {
    if (r.length) {
      writers[i].proc.stdin.write(writeCall(r));
    }
  });
}, 20);
// what the daemon's memory is made of, from its metrics (MiB; connections and threads counted)
const MEMORY_FIGURES = {
  acdlink_memory_resident_anonymous_bytes: 'anon', acdlink_memory_heap_system_bytes: 'heap',
  acdlink_memory_heap_in_use_bytes: 'in_use', acdlink_memory_sqlite_bytes: 'sqlite',
  acdlink_memory_sqlite_slabs_bytes: 'slabs', acdlink_store_connections: 'conns', acdlink_threads: 'threads',
};
const memoryFigures = (text) => {
  const m = {};
  for (const [, name, v] of (text || '').matchAll(/^(acdlink_\w+) (\d+)$/gm)) {
    if (MEMORY_FIGURES[name]) {
      m[MEMORY_FIGURES[name]] = name.endsWith('_bytes') ? Number((Number(v) / 1048576).toFixed(1)) : Number(v);
    }
  }
  return m;
};
// the daemon's CPU seconds so far (over its restarts), RSS, the source's poll counters, the
// backlog and its memory figures, every 5 s
const samples = [];
const sample = async () => {
  let s;
  try {
    const u = usage(d.proc.pid);
    s = { t: (Date.now() - t0) / 1000, cpu: cpuSum + u.cpu - cpu0.cpu, rss: u.rss };
  } catch {
    return; // the daemon is being restarted
  }
  try {
    const f = (await admin.get(`/api/v1/sources/${src.id}`)).body.follow;
    Object.assign(s, { polls: f.polls, rows_read: f.rows_read, rows_changed: f.rows_changed });
    const b = (await admin.get('/api/v1/backlog')).body;
    s.queued = b.queued;
    s.mem = memoryFigures((await admin.get('/api/v1/metrics')).text);
  } catch {
    // the daemon is being restarted: the CPU and RSS are kept
  }
  samples.push(s);
};
const sampler = setInterval(sample, 5000);
let killer = null;
let killing = Promise.resolve();
const killLog = []; // every kill: when, the backlog sampled before it, the restart's time
if (KILL_EVERY > 0) {
  killer = setInterval(() => {
    killing = killing.then(async () => {
      const u = usage(d.proc.pid);
      cpuSum += u.cpu - cpu0.cpu;
      peak = Math.max(peak, u.hwm);
      const at = Date.now();
      d.proc.kill('SIGKILL');
      kills++;
      await new Promise((res) => d.proc.once('exit', res));
      d = await startDaemon({ dataDir, args: ARGS, keepDataDir: true });
      cpu0 = usage(d.proc.pid);
      admin = await login(d, ROOT.name, ROOT.password);
      killLog.push({ at, queued: samples.findLast((x) => x.queued !== undefined)?.queued ?? null, upMs: Date.now() - at });
    });
  }, KILL_EVERY * 1000);
}
await until(() => Date.now() - t0 >= SECONDS * 1000, 'the writer', SECONDS * 1000 + 60000);
clearInterval(tick);
if (killer) {
  clearInterval(killer);
}
await killing;
for (const w of writers) {
  w.proc.stdin.end();
}
await Promise.all(writers.map((w) => w.exited));
const writerDone = (Date.now() - t0) / 1000;
// the writer against its schedule: row seq was due when the schedule's count passed it; its lag
// is the database's clock at its insert minus that
const dueMs = (seq) => {
  const k = seq + 1;
  const burstEnd = RATE * BURST_AT + BURST_RATE * BURST_SECONDS;
  let sec;
  if (BURST_SECONDS === 0 || k <= RATE * BURST_AT) {
    sec = k / RATE;
  } else if (k <= burstEnd) {
    sec = BURST_AT + (k - RATE * BURST_AT) / BURST_RATE;
  } else {
    sec = BURST_AT + BURST_SECONDS + (k - burstEnd) / RATE;
  }
  return t0 + sec * 1000;
};
const epochMs = ENGINE === 'postgresql' ? 'extract(epoch from at) * 1000' : 'UNIX_TIMESTAMP(at) * 1000';
const committed = dump(`SELECT seq, ${epochMs} FROM agent_events WHERE seq >= 0 ORDER BY seq`).split('\n').filter(Boolean)
  .map((l) => { const [q, ms] = l.split('\t'); return { seq: Number(q), at: Number(ms) }; });
const writerLag = committed.map((r) => Math.round(r.at - dueMs(r.seq)));
// each row in a transaction of its own: as many transaction ids as rows (PostgreSQL's xmin)
const ownTransactions = ENGINE === 'postgresql' ? dump('SELECT count(DISTINCT xmin::text) = count(*) FROM agent_events WHERE seq >= 0') === 't' : null;
// the last state of every agent written: wait until the receiver holds them all
const day = new Date().toISOString().slice(0, 10);
// until the receiver holds every state written, or nothing more arrives for 60 s
let last = -1;
let lastChange = Date.now();
await until(() => {
  let missing = 0;
  for (const [a, list] of written) {
    missing += Math.max(0, list.length - heldCount(`${a}@example.com`, day));
  }
  if (missing !== last) {
    last = missing;
    lastChange = Date.now();
  }
  return missing === 0 || Date.now() - lastChange > 60000;
}, 'every state at the receiver', 900000);
clearInterval(sampler);
await sample();
if (perf) {
  perf.kill('SIGINT');
  await new Promise((res) => perf.once('exit', res));
}
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
const accepted = []; // every state: its row's timestamp and the receiver's acceptance (ms)
const byKey = new Map([...wfm.batches.entries()]);
for (const rec of wfm.requests) {
  const b = rec.key && byKey.get(rec.key);
  if (!b || b.seenAt) {
    continue;
  }
  b.seenAt = rec.at;
  for (const dd of b.body.days || []) {
    const a = dd.agent.replace('@example.com', '');
    const starts = dd.starts;
    const k = starts.length;
    const sent = writtenAt.get(a) || [];
    // the first PREFILL states of each agent were on the day before the run
    for (let i = have.get(a) ?? PREFILL; i < k && i - PREFILL < sent.length; i++) {
      const phase = inBurst(sent[i - PREFILL]) ? 'burst' : 'steady';
      lat[phase].push(rec.at - sent[i - PREFILL]);
      latDb[phase].push(rec.at - starts[i]);
      accepted.push({ committed: starts[i], at: rec.at });
    }
    have.set(a, Math.max(have.get(a) ?? PREFILL, k));
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
  const acts = heldSpans(`${a}@example.com`, day).map((s) => s.activity);
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
    const starts = dd.starts;
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
// Flat memory: the RSS slope (least squares over the 5 s samples) in the last half of the
// steady phase: the writing after the burst and 30 s more when that lasts 60 s or longer, else
// the writing before the burst. Flat: at most FLAT_MIB_PER_MIN. Not judged with kills (each
// restart starts again).
const FLAT_MIB_PER_MIN = 0.25;
const memoryVerdict = () => {
  const settled = BURST_AT + BURST_SECONDS + 30;
  const [from, to] = BURST_SECONDS > 0 && SECONDS - settled >= 60 ? [settled, SECONDS] : [0, steadyEnd];
  const lo = (from + to) / 2;
  const xs = samples.filter((x) => x.t >= lo && x.t <= to);
  let slope = null;
  if (xs.length >= 3) {
    const mt = xs.reduce((a, x) => a + x.t, 0) / xs.length;
    const mr = xs.reduce((a, x) => a + x.rss, 0) / xs.length;
    const num = xs.reduce((a, x) => a + (x.t - mt) * (x.rss - mr), 0);
    const den = xs.reduce((a, x) => a + (x.t - mt) ** 2, 0);
    slope = den > 0 ? (num / den) * 60 / 1024 : null; // MiB per minute
  }
  return {
    peak_rss_mib: Number((peak / 1024).toFixed(1)),
    steady_last_half_s: [Math.round(lo), to],
    rss_mib_there: xs.length ? [Number((xs[0].rss / 1024).toFixed(1)), Number((xs[xs.length - 1].rss / 1024).toFixed(1))] : null,
    slope_mib_per_min: slope === null ? null : Number(slope.toFixed(2)),
    flat: kills > 0 || slope === null ? null : slope <= FLAT_MIB_PER_MIN,
  };
};
const rssEvery30 = samples.filter((x, i) => i === 0 || Math.floor(x.t / 30) !== Math.floor(samples[i - 1].t / 30)).map((x) => Number((x.rss / 1024).toFixed(1)));
// every WINDOW s of the run: the rows committed and the writer's worst lag then, the daemon's polls
// (rows read and states staged per poll), the batches and states the receiver accepted, the
// backlog at the window's end, the latency (p50/p99 s, from the row's timestamp) of the rows
// committed in the window, CPU share and RSS
const W = WINDOW;
const windows = Array.from({ length: Math.ceil(wall / W) }, (_, i) => ({ t: i * W, committed: 0, lagMax: 0, lat: [], batches: 0, states: 0 }));
const win = (ms) => windows[Math.min(windows.length - 1, Math.max(0, Math.floor((ms - t0) / 1000 / W)))];
committed.forEach((r, i) => {
  const x = win(r.at);
  x.committed++;
  x.lagMax = Math.max(x.lagMax, writerLag[i]);
});
for (const r of accepted) {
  win(r.committed).lat.push(r.at - r.committed);
  win(r.at).states++;
}
for (const b of wfm.batches.values()) {
  if (b.seenAt) {
    win(b.seenAt).batches++;
  }
}
// the sample nearest to t that holds the source's counters (not one taken during a restart)
const atCounters = (t) => samples.filter((x) => x.polls !== undefined).reduce((best, x) => (!best || Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best), null) || {};
const timeline = windows.map((x) => {
  const s1 = at(x.t);
  const s2 = at(x.t + W);
  const c1 = atCounters(x.t);
  const c2 = atCounters(x.t + W);
  const polls = (c2.polls ?? 0) - (c1.polls ?? 0);
  x.lat.sort((p, q) => p - q);
  const sec = (ms) => Number((ms / 1000).toFixed(1));
  return {
    t_s: x.t, committed: x.committed, writer_lag_max_s: sec(x.lagMax), polls,
    read_per_poll: polls > 0 ? Math.round((c2.rows_read - c1.rows_read) / polls) : null,
    staged_per_poll: polls > 0 ? Math.round((c2.rows_changed - c1.rows_changed) / polls) : null,
    batches_per_s: Number((x.batches / W).toFixed(1)), states_accepted: x.states, queued: c2.queued ?? null,
    latency_s: x.lat.length ? [sec(pct(x.lat, 50)), sec(pct(x.lat, 99))] : null,
    cpu: s2.t > s1.t ? Number(((s2.cpu - s1.cpu) / (s2.t - s1.t)).toFixed(3)) : null, rss_mib: Number((s2.rss / 1024).toFixed(1)),
    memory_mib: c2.mem ?? null,
  };
});
// where the kills came: seconds into the run, in the burst (b) or not, the backlog (agent days
// queued) at the sample before, seconds until the restarted daemon answered, and until the
// receiver accepted its next batch
const killsAt = killLog.map((k) => {
  const next = wfm.requests.find((r) => r.key && r.at >= k.at);
  const sec = (ms) => Number((ms / 1000).toFixed(1));
  return [sec(k.at - t0), inBurst(k.at) ? 'b' : '', k.queued, sec(k.upMs), next ? sec(next.at - k.at) : null];
});
const behind = writerLag.filter((x) => x > 1000).length;
const writerStats = {
  rows: committed.length, each_row_its_own_transaction: ownTransactions,
  lag_behind_schedule_ms: dist(writerLag.slice()), rows_over_1s_late: behind,
  kept_schedule: behind === 0,
};
if (behind > 0) {
  const worst = windows.filter((x) => x.lagMax > 1000).map((x) => x.t);
  console.error(`realtime.mjs: the ${ENGINE} writer fell behind its schedule: ${behind} of ${committed.length} rows committed more than 1 s after they were due (worst ${(writerLag.reduce((m, x) => Math.max(m, x), 0) / 1000).toFixed(1)} s; in the ${W} s windows from ${worst.join(', ')} s)`);
}
const f = (await admin.get(`/api/v1/sources/${src.id}`)).body.follow;
/** What the applied batches weighed: bytes of body per batch (p50, p99, max, mean), in all,
 * per state received, and spans, days and part days per batch (means). */
// the batches of the timed run (those of the prefill apart: their count and largest body)
function batchBytes() {
  const all = [...wfm.batches.values()];
  const bs = all.filter((b) => b.order >= batches0);
  const pre = all.filter((b) => b.order < batches0).map((b) => b.bytes);
  const bytes = bs.map((b) => b.bytes).sort((x, y) => x - y);
  const sum = (xs) => xs.reduce((a, x) => a + x, 0);
  const mean = (xs) => (xs.length ? Number((sum(xs) / xs.length).toFixed(1)) : null);
  const states = lat.steady.length + lat.burst.length;
  return {
    p50: pct(bytes, 50), p99: pct(bytes, 99), max: bytes.at(-1) ?? null, mean: mean(bytes),
    total_mib: Number((sum(bytes) / 1048576).toFixed(2)), per_state: states ? Number((sum(bytes) / states).toFixed(1)) : null,
    spans_per_batch: mean(bs.map((b) => b.body.sent ?? b.spans)), days_per_batch: mean(bs.map((b) => (b.body.sent === undefined ? b.days : b.body.days.length))),
    part_days_per_batch: TARGET === 'https-json' ? mean(bs.map((b) => b.parts)) : null,
    prefill: pre.length ? { batches: pre.length, max: Math.max(...pre), total_mib: Number((sum(pre) / 1048576).toFixed(2)) } : null,
    // spans sent that the receiver held already as they were (a part day could have left them out)
    spans_sent: { spans: wfm.spansSent - spansPre.sent, held_already: wfm.spansAgain - spansPre.again, prefill: spansPre },
  };
}
// the receiver's TCP connections, TLS handshakes (full / resumed) and requests over the run
const conns = wfm.stats();
const failed = d.stderr().split('\n').filter((l) => /poll failed|polls work again/.test(l));
console.log(JSON.stringify({
  engine: ENGINE, agents: AGENTS, rate: RATE, seconds: SECONDS, overlap_s: OVERLAP,
  burst: BURST_SECONDS > 0 ? { rate: BURST_RATE, seconds: BURST_SECONDS, at_s: BURST_AT } : null,
  kills, kills_at: killsAt.length ? { columns: ['t_s', 'burst', 'queued', 'restart_s', 'next_batch_s'], kills: killsAt } : null,
  batches_received_again: wfm.duplicates(), written: n, writer_done_s: Number(writerDone.toFixed(1)), writer: writerStats,
  received_states: lat.steady.length + lat.burst.length, lost, duplicated: dup, out_of_order: order,
  latency_from_row_timestamp_ms: { steady: dist(latDb.steady), burst: dist(latDb.burst), all: dist([...latDb.steady, ...latDb.burst]) },
  latency_from_send_ms: { steady: dist(lat.steady), burst: dist(lat.burst) },
  request_gap_ms: { p50: pct(gaps, 50), p99: pct(gaps, 99) },
  batches: wfm.batches.size, receiver_errors: wfm.errors.length, target: TARGET, agent_days: TARGET === 'https-json' ? AGENT_DAYS : null,
  batch_bytes: batchBytes(),
  connections: { ...conns, handshakes_per_minute: Number((conns.handshakes / (wall / 60)).toFixed(1)) },
  cpu_share_of_one_core: {
    run: Number((cpuSum / wall).toFixed(3)),
    steady: share(Math.min(30, steadyEnd / 2), steadyEnd),
    burst: BURST_SECONDS > 0 ? share(BURST_AT, BURST_AT + BURST_SECONDS + 30) : null,
  },
  // the work behind the shares: the daemon's CPU seconds over the run, and per 1,000 states it
  // staged (the same writing for every binary: less bound to the load than the shares)
  cpu_seconds: {
    run: Number(cpuSum.toFixed(2)),
    burst_window: BURST_SECONDS > 0 ? Number(((at(BURST_AT + BURST_SECONDS + 30).cpu - at(BURST_AT).cpu)).toFixed(2)) : null,
    per_1000_states_staged: f.rows_changed > follow0.rows_changed ? Number((cpuSum / (f.rows_changed - follow0.rows_changed) * 1000).toFixed(3)) : null,
  },
  peak_rss_mib: Number((peak / 1024).toFixed(1)), rss_mib_every_30s: rssEvery30, memory: memoryVerdict(),
  polls: f.polls - follow0.polls, rows_read: f.rows_read - follow0.rows_read, rows_changed: f.rows_changed - follow0.rows_changed,
  prefill_states: PREFILL, prefill_staged_s: prefillS,
  poll_failures_logged: failed.length, first_poll_failure: failed[0] || null,
  load_average_start: load0.map((x) => Number(x.toFixed(1))), load_average_end: os.loadavg().map((x) => Number(x.toFixed(1))),
}, null, 1));
// the timeline, one compact line per WINDOW s
console.log(`timeline (${ENGINE}): ${JSON.stringify(Object.keys(timeline[0] || {}))}`);
for (const x of timeline) {
  console.log(JSON.stringify(Object.values(x)));
}
if (DAEMON_LOG) {
  fs.writeFileSync(DAEMON_LOG, d.stderr()); // the last daemon's (with kills: since its restart)
}
await d.stop();
await wfm.close();
fs.rmSync(dataDir, { recursive: true, force: true });
db.stop();
