// Times GET /api/v1/overview (the home page's one request) on a site-sized appliance: one CSV
// source of QUEUES external queues x 96 quarter-hours of today mapped to as many WFM queues
// (offered and handled), SOURCES - 1 more sources with a run each, TARGETS unreachable targets
// with their backlog. Prints the median and slowest of N answers, with and without ?queue=.
//   node bench/overview.mjs [--queues 2000] [--sources 20] [--targets 3] [--n 20]
import fs from 'node:fs';
import path from 'node:path';
import { createToken, startWithAdmin } from '../tests/lib/api.mjs';
import { bearer, makeTempDir } from '../tests/lib/daemon.mjs';
import { closedPort } from '../tests/lib/wfm.mjs';
import { ok, until } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const QUEUES = arg('queues', 2000);
const SOURCES = arg('sources', 20);
const TARGETS = arg('targets', 3);
const N = arg('n', 20);
const ZONE = 'Europe/Berlin';

const { d, admin: session } = await startWithAdmin();
const raw = bearer(d, (await createToken(session, 'bench', 'admin')).token);
// a write may meet the database busy with a large import or recomputation: 503, try again
const retrying = (method) => async (...a) => {
  for (let i = 0; ; i++) {
    const r = await raw[method](...a);
    if (r.status !== 503 || i === 20) {
      return r;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
};
const admin = { get: retrying('get'), post: retrying('post') };
const dir = await makeTempDir('acdlink-bench-overview-');
try {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const port = await closedPort();
  for (let t = 0; t < TARGETS; t++) {
    ok(await admin.post('/api/v1/targets', { name: `WFM ${t}`, connector: 'https-json', secret: 'k', settings: { url: `https://127.0.0.1:${port}/x`, timeout_seconds: 2 } }), 'target');
  }
  const runs = [];
  for (let s = 0; s < SOURCES; s++) {
    const folder = path.join(dir, `s${s}`);
    fs.mkdirSync(folder);
    const nq = s === 0 ? QUEUES : 5;
    const lines = ['Split;Date;Time;Offered;Handled'];
    for (let q = 0; q < nq; q++) {
      for (let i = 0; i < 96; i++) {
        lines.push(`${q};${day};${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')};${(q + i) % 17};${(q + i) % 13}`);
      }
    }
    fs.writeFileSync(path.join(folder, 'today.csv'), `${lines.join('\n')}\n`);
    const src = ok(await admin.post('/api/v1/sources', {
      name: `ACD ${s}`, kind: 'csv', time_zone: ZONE,
      settings: { csv: { folder, separator: ';', date_order: 'ymd' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Offered', handled: 'Handled' } },
    }), 'source');
    ok(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '06:00', days_back: 1 }), 'schedule');
    runs.push(ok(await admin.post('/api/v1/runs', { source_id: src.id, from: day, to: day }), 'run').id);
    if (s === 0) {
      await until(async () => ok(await admin.get(`/api/v1/runs/${runs[0]}`), 'run').state === 'done', 'the big import');
      for (let q0 = 0; q0 < QUEUES; q0 += 25) {
        const queues = [];
        for (let q = q0; q < Math.min(QUEUES, q0 + 25); q++) {
          queues.push({ identifier: `Q${q}`, name: `Queue ${q}`, ext_queues: [String(q)] });
        }
        ok(await admin.post('/api/v1/mappings/bulk', {
          source_id: src.id, queues, mappings: [{ value_type: 'offered', metric: 'offered' }, { value_type: 'handled', metric: 'handled' }],
        }), 'mappings');
      }
    }
  }
  for (const id of runs) {
    await until(async () => ['done', 'failed'].includes(ok(await admin.get(`/api/v1/runs/${id}`), 'run').state), `run ${id}`);
  }
  await until(async () => ok(await admin.get('/api/v1/recomputes?limit=1'), 'recomputes').items.length === 0, 'recomputes');
  const time = async (q) => {
    const ms = [];
    let size = 0;
    for (let i = 0; i < N; i++) {
      const t0 = process.hrtime.bigint();
      const r = await admin.get(`/api/v1/overview${q}`);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      ok(r, 'overview');
      size = r.text.length;
    }
    ms.sort((a, b) => a - b);
    return { median: ms[Math.floor(N / 2)].toFixed(1), max: ms[N - 1].toFixed(1), kib: (size / 1024).toFixed(0) };
  };
  const health = await (async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      ok(await admin.get('/api/v1/health'), 'health');
    }
    return (Number(process.hrtime.bigint() - t0) / 1e6 / N).toFixed(1);
  })();
  const all = await time('');
  const one = await time('?queue=1');
  const o = ok(await admin.get('/api/v1/overview'), 'overview');
  console.log(`sources ${o.sources.length}, targets ${o.targets.length} (waiting ${o.targets.map((t) => t.waiting + t.queued).join('/')}), ` +
    `WFM queues ${o.volumes.queues.length}, points ${o.volumes.total.length}, results today ${QUEUES * 96 * 2}`);
  console.log(`GET /api/v1/health (for comparison): mean ${health} ms`);
  console.log(`GET /api/v1/overview: median ${all.median} ms, slowest ${all.max} ms of ${N}, ${all.kib} KiB`);
  console.log(`GET /api/v1/overview?queue=1: median ${one.median} ms, slowest ${one.max} ms of ${N}, ${one.kib} KiB`);
} finally {
  await d.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
