// Times GET /api/v1/agents/live (the console's live board) on a large site: one start-only CSV
// source with AGENTS agents x STATES states each, ending around now (today's rows, UTC), MAPPED
// of them mapped to WFM agents. Prints the answer's size and the median and slowest of N full
// answers (200) and of N answers to If-None-Match (304).
//   node bench/live-board.mjs [--agents 10000] [--states 50] [--mapped 5000] [--n 20]
import fs from 'node:fs';
import path from 'node:path';
import { createToken, startWithAdmin, waitRunEnd } from '../tests/lib/api.mjs';
import { bearer, makeTempDir } from '../tests/lib/daemon.mjs';
import { ok } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const AGENTS = arg('agents', 10000);
const STATES = arg('states', 50);
const MAPPED = arg('mapped', 5000);
const N = arg('n', 20);
const CODES = ['READY', 'TALK', 'ACW', 'BREAK', 'LUNCH', 'TRAINING'];

const stamp = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
/** The daemon's CPU time so far (user + system), in ms. */
const cpuMs = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};
const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, slowest ${s[s.length - 1].toFixed(1)} ms`;
};

const { d, admin: session } = await startWithAdmin();
const admin = bearer(d, (await createToken(session, 'bench', 'admin')).token, { keepAlive: true });
const dir = await makeTempDir('acdlink-bench-live-');
try {
  const now = Math.floor(Date.now() / 1000);
  const lines = ['Agent;Time;State'];
  for (let a = 0; a < AGENTS; a++) {
    for (let k = STATES; k >= 1; k--) { // one state every 2 minutes up to now, in time order
      lines.push(`AG${String(a).padStart(5, '0')};${stamp(now - k * 120 - (a % 60))};${CODES[(a + k) % CODES.length]}`);
    }
  }
  fs.writeFileSync(path.join(dir, 'states.csv'), `${lines.join('\n')}\n`);
  const src = ok(await admin.post('/api/v1/sources', {
    name: 'Bench live', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder: dir, separator: ';', date_order: 'ymd' },
      columns: { agent: 'Agent', start: 'Time', activity: 'State' },
      agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
    },
  }), 'source');
  const day = new Date().toISOString().slice(0, 10);
  let t0 = Date.now();
  const run = ok(await admin.post('/api/v1/runs', { source_id: src.id, from: day, to: day }), 'run');
  const done = await waitRunEnd(admin, run.id, 3600000);
  console.log(`import: ${done.counts.rows_staged} states of ${AGENTS} agents in ${((Date.now() - t0) / 1000).toFixed(1)} s (${done.state})`);
  if (MAPPED > 0) {
    const pairs = [];
    for (let a = 0; a < Math.min(MAPPED, AGENTS); a++) {
      pairs.push(`AG${String(a).padStart(5, '0')};agent${a}@example.com`);
    }
    t0 = Date.now();
    ok(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: pairs.join('\n') }), 'paste');
    console.log(`mapped ${pairs.length} agents in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const full = [];
  const cached = [];
  let etag = null;
  let size = 0;
  let cpu0 = cpuMs(d.proc.pid);
  for (let i = 0; i < N; i++) {
    t0 = performance.now();
    const r = await admin.get('/api/v1/agents/live');
    full.push(performance.now() - t0);
    ok(r, 'board');
    etag = r.headers.etag;
    size = r.raw.length;
    if (i === 0) {
      console.log(`board: ${r.body.total} agents, ${JSON.stringify(r.body.statuses)}`);
    }
  }
  const cpuFull = (cpuMs(d.proc.pid) - cpu0) / N;
  cpu0 = cpuMs(d.proc.pid);
  for (let i = 0; i < N; i++) {
    t0 = performance.now();
    const r = await admin.get('/api/v1/agents/live', { headers: { 'If-None-Match': etag } });
    cached.push(performance.now() - t0);
    if (r.status !== 304) {
      throw new Error(`expected 304, got ${r.status}`);
    }
  }
  const cpuCached = (cpuMs(d.proc.pid) - cpu0) / N;
  console.log(`200: ${(size / 1024).toFixed(0)} KiB, ${stats(full)} (of ${N}, including the client's JSON parse), daemon CPU ${cpuFull.toFixed(0)} ms per answer`);
  console.log(`304: ${stats(cached)} (of ${N}), daemon CPU ${cpuCached.toFixed(0)} ms per answer`);
} finally {
  await d.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
