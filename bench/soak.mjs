#!/usr/bin/env node
// Memory soak: the daemon's resident memory while clients edit during imports, sampled over
// a long run. Not a test (it takes as long as asked); it prints one line per sample and a
// summary: RSS after warm-up and at the end, and the growth between them.
//
// Usage: node bench/soak.mjs [--minutes 30] [--warmup 5] [--clients 8] [--queues 150]
//                            [--mapped 50] [--days 3] [--sample 60]
//   --queues Q  external queues per file (Q x 96 rows per day), --mapped N of them mapped
//               (3 mappings each), --days D files per import, --sample S seconds per output line
// Environment: ACDLINK_BIN (default build/acdlink); anything else (e.g. MALLOC_ARENA_MAX) is
// passed to the daemon. Loopback only; the temporary folder is removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../tests/lib/api.mjs';
import { login, startDaemon } from '../tests/lib/daemon.mjs';
import { rssKiB, runLoad, setupLoad } from '../tests/lib/load.mjs';

const opt = { minutes: 30, warmup: 5, clients: 8, queues: 150, mapped: 50, days: 3, sample: 60 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt) || Number.isNaN(Number(process.argv[i + 1]))) {
    console.error(`unknown option ${process.argv[i]} (see the head of ${process.argv[1]})`);
    process.exit(2);
  }
  opt[k] = Number(process.argv[i + 1]);
}

const d = await startDaemon({ plainHttp: true, users: [ROOT], args: ['--log-level', 'warn', '--login-max-failures', '100'] });
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-soak-'));
const t0 = Date.now();
const samples = [];
let stopped = false;
let timer = null;
// SIGTERM/SIGINT end the load early; the summary is printed and the daemon stopped
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { stopped = true; });
}
try {
  const admin = await login(d, ROOT.name, ROOT.password);
  const setup = { ...(await setupLoad(admin, folder, { mappedQueues: opt.mapped, clients: opt.clients })), folder };
  console.log(`# soak: ${opt.clients} clients, ${opt.queues} queues x 96 x ${opt.days} days per import, ` +
    `${opt.mapped * 3} mappings, ${opt.minutes} min, env MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX || '-'}`);
  console.log('minute\trss_min_kib\trss_max_kib\trequests\truns');
  let stats = null;
  let win = [];
  // RSS every second; one line per window with its minimum (what stays allocated) and maximum
  // (with the logins' scrypt work areas, 32 MiB each, in flight)
  const sample = () => {
    win.push(rssKiB(d.proc.pid));
    if (win.length >= opt.sample) {
      const s = { min: (Date.now() - t0) / 60000, lo: Math.min(...win), hi: Math.max(...win) };
      samples.push(s);
      win = [];
      console.log(`${s.min.toFixed(1)}\t${s.lo}\t${s.hi}\t${stats ? stats.requests : '-'}\t${stats ? stats.runs : '-'}`);
    }
  };
  timer = setInterval(sample, 1000);
  const live = { requests: 0, runs: 0 };
  stats = live;
  const load = runLoad(d, admin, setup, {
    queues: opt.queues, days: opt.days, start: '2026-06-01', live,
    stop: () => stopped || Date.now() - t0 > opt.minutes * 60000,
  });
  const done = await load;
  clearInterval(timer);
  const warm = samples.filter((s) => s.min >= opt.warmup);
  const first = warm[0] || samples[0];
  const last = samples[samples.length - 1];
  console.log(`# requests ${done.requests} (by status ${JSON.stringify(done.status)}), logins ${done.logins}, ` +
    `runs ${done.runs} ${JSON.stringify(done.runStates)}, errors ${done.errors.length}`);
  for (const e of done.errors.slice(0, 10)) {
    console.log(`#   ${e}`);
  }
  console.log(`# RSS minimum per window: first ${samples[0].lo} KiB, after warm-up (${first.min.toFixed(1)} min) ` +
    `${first.lo} KiB, last window ${last.lo} KiB (growth after warm-up ${last.lo - first.lo} KiB); ` +
    `maximum after warm-up ${Math.max(...warm.map((s) => s.hi))} KiB; idle after the load ${rssKiB(d.proc.pid)} KiB`);
} finally {
  stopped = true;
  clearInterval(timer);
  await d.stop();
  fs.rmSync(folder, { recursive: true, force: true });
}
