// Benchmark of a live-status source (settings.live_status): a throwaway PostgreSQL holds a table
// of N agents (one row each: state, since), a daemon polls it every second. Prints the first
// poll (every agent new), the daemon's CPU share of one core while the table stays unchanged,
// and while a writer (one psql session) changes R random agents' rows per second, with the
// states staged against the changes written, and the daemon's peak RSS.
//
//   node bench/live-status.mjs [--agents 10000] [--rate 100] [--seconds 30]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startWithAdmin } from '../tests/lib/api.mjs';
import { startPostgres } from '../tests/lib/sqldb.mjs';
import { ok, until } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const AGENTS = arg('agents', 10000);
const RATE = arg('rate', 100);
const SECONDS = arg('seconds', 30);
const TICK = 100; // USER_HZ: clock ticks per second in /proc/PID/stat on Linux

const cpu = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime, seconds
};
const rss = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const db = await startPostgres();
const { d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] });
try {
  db.exec(`CREATE TABLE agent_status (agent VARCHAR(16) PRIMARY KEY, state VARCHAR(16), since TIMESTAMP);
    INSERT INTO agent_status SELECT 'a' || g, 'READY', date_trunc('second', now() AT TIME ZONE 'UTC') FROM generate_series(1, ${AGENTS}) g;`);
  const t0 = Date.now();
  const src = ok(await admin.post('/api/v1/sources', {
    name: 'live', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: db.password,
    settings: {
      odbc: { connection_string: db.connectionString, user: db.user, sql: 'SELECT agent, state, since FROM agent_status' },
      live_status: { agent_column: 'agent', state_column: 'state', since_column: 'since', poll_s: 1 },
    },
  }), 'the source');
  const follow = async () => ok(await admin.get(`/api/v1/sources/${src.id}`), 'the source').follow;
  await until(async () => (await follow())?.agents === AGENTS, 'the first poll');
  console.log(`first poll: ${AGENTS} agents staged ${((Date.now() - t0) / 1000).toFixed(1)} s after the source was created`);

  const pid = d.proc.pid;
  const f0 = await follow();
  const c0 = cpu(pid);
  await new Promise((res) => setTimeout(res, SECONDS * 1000));
  const f1 = await follow();
  const c1 = cpu(pid);
  console.log(`unchanged table: ${f1.polls - f0.polls} polls in ${SECONDS} s, ${f1.rows_changed - f0.rows_changed} states staged, daemon CPU ${((c1 - c0) / SECONDS * 100).toFixed(1)} % of one core`);

  const script = [];
  for (let s = 0; s < SECONDS; s++) {
    for (let k = 0; k < RATE; k++) {
      const a = 1 + Math.floor(Math.random() * AGENTS);
      script.push(`UPDATE agent_status SET state = CASE state WHEN 'READY' THEN 'TALK' ELSE 'READY' END, since = date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC') WHERE agent = 'a${a}';`);
    }
    script.push('SELECT pg_sleep(1);');
  }
  const [bin, args] = db.client;
  const writer = spawn(bin, args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise((res) => writer.once('exit', res));
  const c2 = cpu(pid);
  const t2 = Date.now();
  writer.stdin.end(`${script.join('\n')}\n`);
  await done;
  const took = (Date.now() - t2) / 1000;
  await new Promise((res) => setTimeout(res, 3000));
  const f3 = await follow();
  const c3 = cpu(pid);
  console.log(`writer: ${RATE * SECONDS} updates in ${took.toFixed(1)} s; ${f3.rows_changed - f1.rows_changed} states staged (an agent changed twice within a poll counts once, within a second replaces); daemon CPU ${((c3 - c2) / (took + 3) * 100).toFixed(1)} % of one core; peak RSS ${rss(pid).toFixed(0)} MiB`);
  console.log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  await d.stop();
  db.stop();
}
