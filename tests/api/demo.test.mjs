// The first-start demo (scripts/demo.mjs, scripts/demo-feed.mjs) against a real daemon that
// starts without users and therefore writes DATA/initial-admin-password: source, queues and
// mappings are created, the run stages every generated row, SALES results add up the
// generated CSV values of splits 101 + 102, and a second demo run changes nothing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import { assertStatus, show } from '../lib/api.mjs';

const DEMO = path.join(REPO_ROOT, 'scripts', 'demo.mjs');
const FEED = path.join(REPO_ROOT, 'scripts', 'demo-feed.mjs');

let d;
let admin;
let tmp;
let folder;
let first;

function node(script, args, { timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
    p.stderr.setEncoding('utf8').on('data', (s) => { err += s; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, text: `exit ${code} ${signal || ''}\nstdout:\n${out}\nstderr:\n${err}` });
    });
  });
}

const demoArgs = () => ['--url', d.url, '--data-dir', d.dataDir, '--folder', folder];

async function list(p) {
  const r = await admin.get(`${p}${p.includes('?') ? '&' : '?'}limit=500`);
  assertStatus(r, 200);
  return r.body.items;
}

async function snapshot() {
  const files = fs.readdirSync(folder).sort().map((f) => {
    const st = fs.statSync(path.join(folder, f));
    return `${f} ${st.size} ${st.mtimeMs}`;
  });
  // a schedule may fire meanwhile: its runs and next firing are not the demo's doing
  return {
    sources: await list('/api/v1/sources'),
    queues: await list('/api/v1/queues'),
    mappings: await list('/api/v1/mappings'),
    runs: (await list('/api/v1/runs')).filter((r) => r.trigger !== 'schedule'),
    schedules: (await list('/api/v1/schedules')).map(({ next_run_at: _n, last_run_id: _l, ...rest }) => rest),
    tokens: (await list('/api/v1/tokens')).map(({ last_used_at: _u, ...rest }) => rest),
    files,
  };
}

/** {split: {time: [offered, handled, abandoned, aht]}} of a generated file. */
function parseDayFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\r\n'), 'CRLF lines like a Windows export');
  const lines = text.split('\r\n').filter(Boolean);
  assert.equal(lines[0], 'Split;Date;Time;CallsOffered;ACDCalls;AbnCalls;AHT');
  const out = {};
  let date = null;
  for (const line of lines.slice(1)) {
    const [split, dmy, time, ...v] = line.split(';');
    assert.match(dmy, /^\d{2}\.\d{2}\.\d{4}$/);
    assert.match(time, /^\d{2}:\d{2}$/);
    date = dmy.split('.').reverse().join('-');
    out[split] ??= {};
    out[split][time] = v.map(Number);
  }
  return { date, values: out };
}

before(async () => {
  // the default export root DATA/export (an empty setting): the demo's target writes there
  d = await startDaemon({ env: { ACDLINK_EXPORT_ROOTS: '' } });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-demo-'));
  folder = path.join(tmp, 'acd export');
  assert.ok(d.initialAdminPassword(), 'a daemon without users writes initial-admin-password');
  first = await node(DEMO, demoArgs());
  admin = await login(d, 'admin', d.initialAdminPassword());
});

after(async () => {
  if (admin) {
    admin.close();
  }
  if (d) {
    await d.stop();
  }
  if (tmp) {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the demo sets up source, queues, mappings and a run, and says where to look', async () => {
  assert.equal(first.code, 0, first.text);
  assert.match(first.out, /source "Demo ACD"/, first.text);
  assert.match(first.out, /#\/runs/, first.text);
  assert.match(first.out, /#\/mappings/, first.text);
  assert.match(first.out, /#\/results/, first.text);

  const sources = await list('/api/v1/sources');
  const src = sources.find((s) => s.name === 'Demo ACD');
  assert.ok(src, JSON.stringify(sources));
  assert.equal(src.kind, 'csv');
  assert.equal(src.time_zone, 'Europe/Berlin');
  assert.equal(src.settings.csv.folder, folder);
  assert.equal(src.settings.csv.separator, ';');
  assert.equal(src.settings.csv.date_order, 'dmy');
  assert.deepEqual(src.settings.metrics,
    { offered: 'CallsOffered', handled: 'ACDCalls', abandoned: 'AbnCalls', aht: 'AHT' });

  const queues = await list('/api/v1/queues');
  assert.deepEqual(queues.map((q) => q.identifier).sort(), ['SALES', 'SERVICE']);
  const mappings = await list('/api/v1/mappings');
  for (const [q, splits] of [['SALES', ['101', '102']], ['SERVICE', ['201', '202']]]) {
    const mine = mappings.filter((m) => m.queue.identifier === q);
    assert.deepEqual(mine.map((m) => m.value_type).sort(), ['abandoned', 'aht', 'handled', 'offered'], q);
    for (const m of mine) {
      assert.equal(m.formula, null);
      assert.deepEqual(m.inputs.map((i) => i.ext_queue), splits);
      assert.ok(m.inputs.every((i) => i.source_id === src.id && i.metric === m.value_type), JSON.stringify(m));
    }
  }

  const schedules = (await list('/api/v1/schedules')).filter((x) => x.source.id === src.id);
  assert.equal(schedules.length, 1, JSON.stringify(schedules));
  assert.equal(schedules[0].kind, 'every');
  assert.equal(schedules[0].every_minutes, 15);
  assert.equal(schedules[0].offset_minutes, 1);
  assert.equal(schedules[0].enabled, true);
  assert.ok(Date.parse(schedules[0].next_run_at) <= Date.now() + 16 * 60 * 1000, JSON.stringify(schedules));

  const runs = (await list(`/api/v1/runs?source_id=${src.id}`)).filter((r) => r.trigger === 'manual');
  assert.equal(runs.length, 1, JSON.stringify(runs));
  const [run] = runs;
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.ok(run.counts.rows_staged > 0, JSON.stringify(run));
  assert.equal(run.counts.rows_rejected, 0, JSON.stringify(run));
  assert.equal(run.counts.rows_staged, run.counts.rows_read);
  assert.equal(run.counts.files_read, fs.readdirSync(folder).filter((f) => f.endsWith('.csv')).length);
  // 7 days + today; in the first quarter-hour after midnight in Berlin today has no complete
  // interval yet, so its file is not written
  const berlinClock = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(run.started_at));
  const fewest = berlinClock < '00:15' ? 7 : 8;
  assert.ok(run.counts.files_read >= fewest && run.counts.files_read <= 9, `${berlinClock}: ${JSON.stringify(run)}`);
  const berlinToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
  assert.ok(run.to === berlinToday || Date.parse(berlinToday) - Date.parse(run.to) === 86400000, run.to);
  assert.equal(Date.parse(run.to) - Date.parse(run.from), 7 * 86400000, JSON.stringify(run));
  assert.match(first.out, new RegExp(`run #${run.id} done: .*${run.counts.rows_staged} staged, 0 rejected`), first.text);
});

test('SALES results are the sums (and the handled-weighted AHT) of splits 101 + 102', async () => {
  // today's file, or yesterday's in the first quarter-hour after midnight
  const newest = fs.readdirSync(folder).filter((f) => f.endsWith('.csv')).sort().pop();
  const { date, values } = parseDayFile(path.join(folder, newest));
  assert.deepEqual(Object.keys(values).sort(), ['101', '102', '201', '202']);
  const res = await admin.get(`/api/v1/results?queue=SALES&from=${date}&to=${date}`);
  assertStatus(res, 200);
  const got = {};
  for (const x of res.body.items) {
    (got[x.local.slice(11, 16)] ??= {})[x.value_type] = x.value;
  }
  // the latest interval, and the busiest one (a time the autumn change repeats is skipped)
  const times = Object.keys(values['101']);
  const busiest = times.reduce((a, b) => (values['101'][a][0] >= values['101'][b][0] ? a : b));
  let checked = 0;
  for (const t of new Set([times[times.length - 1], busiest])) {
    if (res.body.items.filter((x) => x.local.slice(11, 16) === t && x.value_type === 'offered').length !== 1) {
      continue;
    }
    const [o1, h1, a1, aht1] = values['101'][t];
    const [o2, h2, a2, aht2] = values['102'][t];
    assert.ok(got[t], `no results at ${date} ${t}: ${show(res)}`);
    assert.equal(got[t].offered, o1 + o2, `offered ${date} ${t}`);
    assert.equal(got[t].handled, h1 + h2, `handled ${date} ${t}`);
    assert.equal(got[t].abandoned, a1 + a2, `abandoned ${date} ${t}`);
    if (h1 + h2 > 0) {
      assert.ok(Math.abs(got[t].aht - (aht1 * h1 + aht2 * h2) / (h1 + h2)) < 1e-6, `aht ${date} ${t}: ${JSON.stringify(got[t])}`);
    } else {
      assert.equal(got[t].aht, undefined);
    }
    checked++;
  }
  assert.ok(checked > 0);
  // a quiet night and a busy day: the curve is not flat
  const night = values['101']['03:00'] ? values['101']['03:00'][0] : 0;
  if (values['101']['10:30']) {
    assert.ok(values['101']['10:30'][0] > night, JSON.stringify([values['101']['10:30'], night]));
  }
});

test('the demo delivers its results as CSV files into DATA/export/demo-wfm; the backlog is zero', async () => {
  assert.match(first.out, /target "Demo WFM" \(#\d+\): csv-export into /, first.text);
  assert.match(first.out, /delivered: \d+ batches acknowledged, \d+ files in .*demo-wfm, backlog 0/, first.text);
  assert.match(first.out, /#\/deliveries/, first.text);
  const targets = await list('/api/v1/targets');
  assert.deepEqual(targets.map((t) => [t.name, t.connector]), [['Demo WFM', 'csv-export']]);
  const out = path.join(fs.realpathSync(d.dataDir), 'export', 'demo-wfm');
  assert.equal(targets[0].settings.folder, out);
  const files = fs.readdirSync(out).sort();
  assert.ok(files.length >= 1 && files.every((f) => /^acdlink-intervals-\d{8}T\d{6}Z-[0-9a-f]{16}\.csv$/.test(f)), files.join(', '));
  const rows = files.flatMap((f) => {
    const lines = fs.readFileSync(path.join(out, f), 'utf8').split('\r\n').filter(Boolean);
    assert.equal(lines[0], 'Queue;Date;Time;IncomingCalls;AnsweredCalls;AHT', f);
    return lines.slice(1);
  });
  // whole rows: one per queue and interval, in one file only
  const keys = new Set(rows.map((r) => r.split(';').slice(0, 3).join(';')));
  assert.equal(keys.size, rows.length, 'no queue and interval is in two files');
  assert.ok(rows.some((r) => r.startsWith('SALES;')) && rows.some((r) => r.startsWith('SERVICE;')));
  for (const r of rows) {
    assert.match(r, /^(SALES|SERVICE);\d{2}\/\d{2}\/\d{4};\d{2}:\d{2};\d+;\d+;\d*$/, r);
  }
  const b = (await admin.get('/api/v1/backlog')).body;
  assert.equal(b.pending + b.sending + b.failed + b.queued, 0, JSON.stringify(b));
  const deliveries = await list('/api/v1/deliveries');
  assert.ok(deliveries.length >= 1 && deliveries.every((x) => x.state === 'acked'), JSON.stringify(deliveries));
});

test('a second demo run changes nothing', async () => {
  const before1 = await snapshot();
  const again = await node(DEMO, demoArgs());
  assert.equal(again.code, 0, again.text);
  assert.match(again.out, /set up already on .*demo-setup\.json.*nothing to do/, again.text);
  assert.deepEqual(await snapshot(), before1);
  // without the marker it is the source "Demo ACD" that says so
  const marker = path.join(d.dataDir, 'demo-setup.json');
  const saved = fs.readFileSync(marker);
  fs.rmSync(marker);
  const third = await node(DEMO, demoArgs());
  fs.writeFileSync(marker, saved);
  assert.equal(third.code, 0, third.text);
  assert.match(third.out, /source "Demo ACD" \(#\d+\) exists: the demo is set up already; nothing to do/, third.text);
  assert.deepEqual(await snapshot(), before1);
});

test('the feed rewrites a missing day file and imports it with its operator token', async () => {
  const tokenFile = path.join(d.dataDir, 'demo-feed-token');
  assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
  const feedRuns = async () => (await list('/api/v1/runs')).filter((r) => /demo-feed/.test(r.created_by));
  // a past day: the schedule imports only today, so the feed starts this run itself
  const oldest = fs.readdirSync(folder).filter((f) => f.endsWith('.csv')).sort()[0];
  const content = fs.readFileSync(path.join(folder, oldest), 'utf8');
  fs.rmSync(path.join(folder, oldest));
  const r = await node(FEED, ['--url', d.url, '--data-dir', d.dataDir, '--once']);
  assert.equal(r.code, 0, r.text);
  assert.match(r.out, /its schedule imports them/, r.text);
  assert.equal(fs.readFileSync(path.join(folder, oldest), 'utf8'), content, 'the same seeded values');
  const runs = await feedRuns();
  assert.equal(runs.length, 1, `${r.text}\n${JSON.stringify(runs)}`);
  assert.equal(runs[0].state, 'done', JSON.stringify(runs[0]));
  assert.equal(runs[0].trigger, 'manual');
  assert.equal(runs[0].counts.rows_rejected, 0);
  assert.equal(runs[0].counts.files_skipped > 0, true, 'same content: skipped by checksum');
  assert.match(r.out, new RegExp(`run #${runs[0].id} .* done`), r.text);
  // nothing changed since (or only today's file, which the schedule imports): no run
  const idle = await node(FEED, ['--url', d.url, '--data-dir', d.dataDir, '--once']);
  assert.equal(idle.code, 0, idle.text);
  assert.equal((await feedRuns()).length, 1, idle.text);
});

test('without the initial password file the demo explains --user/--password-file and exits 0', async () => {
  const dir = path.join(tmp, 'other-data');
  fs.mkdirSync(path.join(dir, 'tls'), { recursive: true });
  fs.copyFileSync(path.join(d.dataDir, 'tls', 'cert.pem'), path.join(dir, 'tls', 'cert.pem'));
  const r = await node(DEMO, ['--url', d.url, '--data-dir', dir, '--folder', path.join(tmp, 'unused')]);
  assert.equal(r.code, 0, r.text);
  assert.match(r.out, /--user NAME --password-file/, r.text);
  assert.ok(!fs.existsSync(path.join(tmp, 'unused')));
  const bad = await node(DEMO, ['--url', d.url, '--data-dir', dir, '--bogus']);
  assert.equal(bad.code, 2, bad.text);
});

test('the running feed stops with Ctrl-C, and by itself when the daemon process is gone', async () => {
  const args = ['--url', d.url, '--data-dir', d.dataDir];
  const waitFor = (p, re) => new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`no ${re} in: ${out}`)); }, 10000);
    p.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
      if (re.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    p.on('close', () => { clearTimeout(timer); reject(new Error(`exited early: ${out}`)); });
  });
  const started = Date.now();
  const interactive = spawn(process.execPath, [FEED, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(interactive, /Ctrl-C stops it/);
  const closed = new Promise((resolve) => interactive.on('close', (code) => resolve(code)));
  interactive.kill('SIGINT');
  assert.equal(await closed, 0);

  // --pid: a stand-in "daemon" process that ends after a moment
  const standIn = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)'], { stdio: 'ignore' });
  const r = await node(FEED, [...args, '--pid', String(standIn.pid)], { timeoutMs: 12000 });
  assert.equal(r.code, 0, r.text);
  assert.match(r.out, /the daemon has stopped; so does the feed/, r.text);
  assert.ok(Date.now() - started < 15000);
});
