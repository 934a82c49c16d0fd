// Health reports degraded states with reasons, and the metrics carry them: a data disk with
// less free space than disk_min_free_mb, the backlog's warning age (backlog_warn_after), and
// every answer matches the spec's Health schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createToken, loadSpec, show, startWithAdmin, waitRunEnd } from '../lib/api.mjs';
import { bearer, client } from '../lib/daemon.mjs';
import { checkAnswer } from '../lib/schema.mjs';

const spec = loadSpec();

async function healthOf(args) {
  const { d, admin } = await startWithAdmin({ args });
  const h = await admin.get('/api/v1/health');
  assert.deepEqual(checkAnswer(spec, 'GET', '/api/v1/health', h), [], show(h));
  const viewer = bearer(d, (await createToken(admin, 'scraper', 'viewer')).token);
  const m = await viewer.get('/api/v1/metrics');
  assert.equal(m.status, 200, show(m));
  const b = await admin.get('/api/v1/backlog');
  return { d, h, metrics: m.text, backlog: b.body };
}

test('a nearly full data disk: degraded with the reason, in health and metrics', async () => {
  const { d, h, metrics } = await healthOf(['--disk-min-free-mb', '104857600']);
  try {
    assert.equal(h.status, 200, 'degraded is still 200: the daemon serves');
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.db, 'ok');
    const disk = h.body.problems.find((p) => p.check === 'disk');
    assert.ok(disk, show(h));
    assert.match(disk.message, /MiB free, less than disk_min_free_mb \(104857600 MiB\)/);
    assert.match(disk.message, new RegExp(d.dataDir.replace(/[/.]/g, '\\$&')));
    assert.ok(h.body.disk.free_bytes > 0 && h.body.disk.free_bytes < h.body.disk.min_free_bytes, show(h));
    assert.equal(h.body.disk.min_free_bytes, 104857600 * 1024 * 1024);
    assert.match(metrics, /^acdlink_health_degraded\{check="disk"\} 1$/m);
    assert.match(metrics, /^acdlink_health_degraded\{check="database"\} 0$/m);
    // read a moment after health's figure, on a disk others write to: near it, not equal
    const free = /^acdlink_disk_free_bytes (\d+)$/m.exec(metrics);
    assert.ok(free, metrics);
    assert.ok(Math.abs(Number(free[1]) - h.body.disk.free_bytes) <= Math.max(512 * 1024 * 1024, h.body.disk.free_bytes * 0.05),
      `metrics ${free[1]}, health ${h.body.disk.free_bytes}`);
    assert.match(metrics, /^acdlink_recomputes_pending 0$/m);
  } finally {
    await d.stop();
  }
});

test('a healthy daemon: ok, no problems; the backlog warns after backlog_warn_after', async () => {
  const { d, h, metrics, backlog } = await healthOf(['--disk-min-free-mb', '0', '--backlog-warn-after', '600']);
  try {
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok', show(h));
    assert.deepEqual(h.body.problems, []);
    assert.equal(h.body.recomputes_pending, 0);
    assert.equal(h.body.recomputes_failing, 0);
    assert.equal(h.body.sessions_in_memory, 0);
    for (const check of ['disk', 'database', 'runs', 'targets', 'recomputes', 'backlog']) {
      assert.match(metrics, new RegExp(`^acdlink_health_degraded\\{check="${check}"\\} 0$`, 'm'));
    }
    assert.equal(backlog.warn_after_seconds, 600);
  } finally {
    await d.stop();
  }
  // the default age of the warning is one hour
  const again = await startWithAdmin();
  try {
    assert.equal((await again.admin.get('/api/v1/backlog')).body.warn_after_seconds, 3600);
  } finally {
    await again.d.stop();
  }
});

// Health answers without credentials (load balancers, monitors); the reasons name sources,
// targets, hosts, users and files, so a caller without credentials learns only which checks
// are degraded, and a signed-in one (the console's banner, a token) the reasons.
test('without credentials health says which checks are degraded, not the names and reasons', async () => {
  const { d, admin } = await startWithAdmin();
  try {
    const s = await admin.post('/api/v1/sources', {
      name: 'Secret ACD', kind: 'odbc', time_zone: 'UTC',
      settings: { odbc: { dsn: 'no-such-dsn-canary-host', sql: 'SELECT 1, 2, 3, 4 WHERE :period_start < :period_end' } },
    });
    assert.equal(s.status, 201, show(s));
    const run = await admin.post('/api/v1/runs', { source_id: s.body.id, from: '2026-11-24', to: '2026-11-24' });
    assert.equal((await waitRunEnd(admin, run.body.id, 30000)).state, 'failed');
    const full = await admin.get('/api/v1/health');
    assert.match(JSON.stringify(full.body.problems), /Secret ACD/, show(full));
    const viewer = bearer(d, (await createToken(admin, 'monitor', 'viewer')).token);
    assert.match(JSON.stringify((await viewer.get('/api/v1/health')).body.problems), /Secret ACD/);
    const anon = client(d);
    const h = await anon.get('/api/v1/health');
    assert.equal(h.status, 200, show(h));
    assert.deepEqual(checkAnswer(spec, 'GET', '/api/v1/health', h), [], show(h));
    assert.equal(h.body.status, 'degraded', show(h));
    const text = JSON.stringify(h.body);
    assert.ok(!/Secret ACD|canary/.test(text), text);
    assert.deepEqual(h.body.problems, [{
      check: 'runs', code: 'health.check_degraded', params: { check: 'runs' },
      message: 'runs: degraded; sign in (or send an API token) for the reason',
    }], show(h));
    // a stale or foreign cookie is no sign-in either, and still gets an answer
    const hs = await anon.request('GET', '/api/v1/health', { headers: { Cookie: '__Host-acdlink_session=not-a-session' } });
    assert.equal(hs.status, 200, show(hs));
    assert.ok(!JSON.stringify(hs.body).includes('Secret ACD'), show(hs));
  } finally {
    await d.stop();
  }
});
