// The overview (GET /api/v1/overview, the console's home page) against a real daemon: a real
// CSV import with a rejected row, a run that fails, a schedule that fired without data, a target
// whose deliveries fail and whose backlog grows older than backlog_warn_after (test clock), and
// today's volumes in the queues' local time. Every answer is checked against the spec.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, createToken, createUser, show, startWithAdmin } from '../lib/api.mjs';
import { bearer, login } from '../lib/daemon.mjs';
import { checkAnswer, loadSpecFile } from '../lib/schema.mjs';
import { contactPipeline, line, runDays, waitFor, writeCsv } from '../lib/pipeline.mjs';
import { closedPort } from '../lib/wfm.mjs';

const ZONE = 'America/New_York';
const spec = loadSpecFile();
let d;
let admin;
let folder;
let clockFile;
let clockOffset = 0;

function moveClock(seconds) {
  clockOffset += seconds;
  fs.writeFileSync(`${clockFile}.tmp`, `${clockOffset}\n`);
  fs.renameSync(`${clockFile}.tmp`, clockFile);
}

/** The local calendar day of the ISO instant in zone. */
function localDay(iso, zone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(iso));
}

async function overview(query = '', who = admin) {
  const r = await who.get(`/api/v1/overview${query}`);
  assertStatus(r, 200);
  assert.deepEqual(checkAnswer(spec, 'GET', '/api/v1/overview', r), [], show(r));
  return r.body;
}

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-overview-'));
  clockFile = path.join(folder, 'clock');
  moveClock(0);
  let session;
  ({ d, admin: session } = await startWithAdmin({
    args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '5'],
    env: { ACDL_TEST_CLOCK_FILE: clockFile },
  }));
  // a token: sessions end when the clock moves on by an hour
  admin = bearer(d, (await createToken(session, 'overview-admin', 'admin')).token);
});

after(async () => {
  const code = d ? await d.stop() : 0;
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('a new appliance: nothing configured, healthy, the default backlog warning age', async () => {
  const o = await overview();
  assert.deepEqual(o.sources, []);
  assert.deepEqual(o.targets, []);
  assert.deepEqual(o.volumes, { queues: [], total: [], series: null });
  assert.equal(o.backlog_warn_after_seconds, 3600);
  assert.equal(o.health.status, 'ok', show({ body: o }));
  assertError(await admin.get('/api/v1/overview?queue=abc'), 400, 'invalid_parameter');
  assertError(await admin.get('/api/v1/overview?queue=0'), 400, 'invalid_parameter');
});

test('sources, targets and volumes after a real import, a failed run, a fired schedule and a failing target', async () => {
  const port = await closedPort();
  const target = await admin.post('/api/v1/targets', {
    name: 'Unreachable WFM', connector: 'https-json', secret: 'k',
    settings: { url: `https://127.0.0.1:${port}/batches`, timeout_seconds: 2 },
  });
  assertStatus(target, 201);
  const acd = path.join(folder, 'acd');
  fs.mkdirSync(acd);
  const { source, queues } = await contactPipeline(admin, acd, ['101', '102'], { zone: ZONE });
  const today = localDay((await overview()).generated_at, ZONE);
  writeCsv(acd, 'today.csv', [
    line('101', today, '08:00', 10, 8, 120),
    line('101', today, '08:15', 4, 4, 100),
    line('102', today, '08:00', 5, 3, 90),
    '102,Queue 102,not-a-day,08:30,1,1,1',
  ]);
  const run = await runDays(admin, source.id, today);
  assert.equal(run.state, 'done', show({ body: run }));

  // a source whose folder is gone: its run fails
  const gone = path.join(folder, 'gone');
  fs.mkdirSync(gone);
  const broken = await admin.post('/api/v1/sources', {
    name: 'Broken ACD', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder: gone, date_order: 'ymd' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assertStatus(broken, 201);
  fs.rmSync(gone, { recursive: true });
  const failed = await runDays(admin, broken.body.id, today);
  assert.equal(failed.state, 'failed', show({ body: failed }));

  // the target tried and failed at least once
  await waitFor(async () => (await overview()).targets[0].last_error, 'a failed delivery attempt');
  const o = await overview();

  const s = o.sources.find((x) => x.name === 'ACD');
  assert.equal(s.enabled, true);
  assert.equal(s.time_zone, ZONE);
  assert.equal(s.last_run.id, run.id);
  assert.equal(s.last_run.state, 'done');
  assert.equal(s.last_run.rows_read, 4);
  assert.equal(s.last_run.rows_staged, 3);
  assert.equal(s.last_run.rows_rejected, 1);
  assert.equal(s.last_data_day, today);
  assert.equal(s.schedules, 0);
  assert.equal(s.next_run_at, null);
  assert.equal(s.health, 'warning');
  assert.deepEqual(s.reasons, [{ code: 'rows_rejected', detail: 1, run_id: run.id }]);

  const b = o.sources.find((x) => x.name === 'Broken ACD');
  assert.equal(b.health, 'failed');
  assert.equal(b.last_run.state, 'failed');
  assert.equal(b.reasons[0].code, 'run_failed');
  assert.equal(b.reasons[0].run_id, failed.id);
  assert.equal(b.reasons[0].detail, failed.error);
  assert.ok(b.reasons[0].detail, 'the reason names the error');
  assert.equal(b.last_data_day, null);

  const t = o.targets[0];
  assert.equal(t.name, 'Unreachable WFM');
  assert.equal(t.enabled, true);
  assert.ok(t.waiting + t.queued > 0, show({ body: t }));
  assert.equal(t.last_success_at, null);
  assert.ok(t.last_error.message, show({ body: t }));
  assert.equal(t.warning, false, 'younger than an hour');
  assert.equal(t.health, 'warning');
  assert.deepEqual(t.reasons.map((r) => r.code), ['delivery_failing']);
  assert.ok(o.health.problems.some((p) => p.check === 'runs'), 'health names the failed run');

  // volumes: each queue's local today, added up per local time of day
  assert.deepEqual(o.volumes.queues.map((q) => [q.identifier, q.day, q.time_zone, q.offered, q.handled]),
    [['Q101', today, ZONE, 14, 12], ['Q102', today, ZONE, 5, 3]]);
  assert.deepEqual(o.volumes.total.map((p) => [p.time, p.offered, p.handled]),
    [['08:00', 15, 11], ['08:15', 4, 4]]);
  assert.equal(o.volumes.series, null);
  const one = await overview(`?queue=${queues['102'].id}`);
  assert.deepEqual(one.volumes.series, {
    queue_id: queues['102'].id, points: [{ time: '08:00', minute: 480, offered: 5, handled: 3 }],
  });

  // every role reads it
  await createUser(admin, 'watcher', 'viewer', 'watcher-Passw0rd-long');
  const viewer = await login(d, 'watcher', 'watcher-Passw0rd-long');
  assert.equal((await overview('', viewer)).sources.length, 2);
});

test('a schedule that fired without data: no data for the expected day, next run in the source zone', async () => {
  const broken = (await overview()).sources.find((x) => x.name === 'Broken ACD');
  const sch = await admin.post('/api/v1/schedules', { source_id: broken.id, kind: 'every', every_minutes: 15, offset_minutes: 5 });
  assertStatus(sch, 201);
  let o = await overview();
  let b = o.sources.find((x) => x.id === broken.id);
  assert.equal(b.schedules, 1);
  assert.equal(b.next_run_at, sch.body.next_run_at);
  const next = new Date(sch.body.next_run_at);
  const berlin = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(next);
  assert.equal(b.next_run_local, berlin, 'the next firing in the source zone');
  assert.ok(!b.reasons.some((r) => r.code === 'no_data'), 'a schedule that never fired expects nothing');

  // the clock reaches the schedule: it fires, the run fails, and the source has no data
  moveClock(Math.ceil((next.getTime() - Date.parse(o.generated_at)) / 1000) + 2);
  o = await waitFor(async () => {
    const x = await overview();
    const s = x.sources.find((y) => y.id === broken.id);
    return s.last_run && s.last_run.trigger === 'schedule' && !['queued', 'running'].includes(s.last_run.state) ? x : null;
  }, 'the scheduled run', 30000);
  b = o.sources.find((x) => x.id === broken.id);
  assert.equal(b.health, 'failed');
  const noData = b.reasons.find((r) => r.code === 'no_data');
  assert.ok(noData, show({ body: b }));
  assert.match(noData.detail, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(Date.parse(b.next_run_at) > Date.parse(sch.body.next_run_at), 'the next firing moved on');
});

test('the backlog warns once its oldest batch waits longer than backlog_warn_after (default 1 h)', async () => {
  moveClock(3700);
  const o = await waitFor(async () => {
    const x = await overview();
    return x.targets[0].warning ? x : null;
  }, 'an old backlog');
  const t = o.targets[0];
  assert.ok(t.age_seconds > 3600, show({ body: t }));
  assert.ok(t.reasons.some((r) => r.code === 'backlog_old' && r.detail > 3600), show({ body: t }));
  assert.ok(o.health.problems.some((p) => p.check === 'backlog'), show({ body: o.health }));
  const backlog = await admin.get('/api/v1/backlog');
  assert.equal(backlog.body.warning, true, 'the console banner shows it');
});
