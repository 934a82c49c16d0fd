// Process life cycle: clean shutdown on signals, strict config, first-start admin, plain HTTP.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { client, login, makeTempDir, runCli, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, parseCookieNames, show } from '../lib/api.mjs';

async function timedStop(d, signal) {
  const t0 = Date.now();
  const code = await d.stop(signal);
  return { code, ms: Date.now() - t0 };
}

test('SIGTERM -> exit 0 within 5 s (with an idle kept-alive connection open)', async () => {
  const d = await startDaemon({ users: [ROOT] });
  const c = client(d, { keepAlive: true });
  assertStatus(await c.get('/api/v1/health'), 200);
  const s = await login(d, ROOT.name, ROOT.password, { keepAlive: true });
  assertStatus(await s.get('/api/v1/users'), 200);
  const { code, ms } = await timedStop(d, 'SIGTERM');
  c.close();
  s.close();
  assert.equal(code, 0, `exit ${code}; stderr:\n${d.stderr()}`);
  assert.ok(ms < 5000, `SIGTERM took ${ms} ms`);
});

test('SIGINT -> exit 0 within 5 s', async () => {
  const d = await startDaemon({ users: [ROOT] });
  const { code, ms } = await timedStop(d, 'SIGINT');
  assert.equal(code, 0, `exit ${code}; stderr:\n${d.stderr()}`);
  assert.ok(ms < 5000, `SIGINT took ${ms} ms`);
});

test('data survives a restart; no second initial admin', async () => {
  const dir = await makeTempDir();
  try {
    let d = await startDaemon({ users: [ROOT], dataDir: dir });
    const admin = await login(d, ROOT.name, ROOT.password);
    assertStatus(await admin.post('/api/v1/users', { name: 'persist', role: 'viewer', password: 'persist-password-1' }), 201);
    assert.equal(await d.stop(), 0);
    d = await startDaemon({ dataDir: dir });
    const again = await login(d, 'persist', 'persist-password-1');
    assert.equal(again.loginResponse.body.user.role, 'viewer');
    // No second initial admin after the first start.
    assert.ok(!fs.existsSync(path.join(dir, 'initial-admin-password')), 'initial-admin-password created although users exist');
    assert.equal(await d.stop(), 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown config key in --config file -> exit 2, message names the key (and file:line)', async () => {
  const dir = await makeTempDir();
  try {
    const cfg = path.join(dir, 'acdlink.conf');
    fs.writeFileSync(cfg, '# test config\nlogin_max_failures = 5\nbogus_key_zz = 1\n');
    const r = await runCli(['serve', '--config', cfg, '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:1'], { timeoutMs: 10000 });
    assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /bogus_key_zz/, `stderr does not name the key: ${r.stderr}`);
    assert.ok(r.stderr.includes(`${cfg}:3`) || r.stderr.includes(':3'), `stderr does not name file:line: ${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad values and unknown flags -> exit 2 naming the flag/key', async () => {
  const dir = await makeTempDir();
  try {
    const data = ['--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:1'];
    const cases = [
      [['serve', '--no-such-flag', 'x', ...data], /no-such-flag/],
      [['serve', '--login-max-failures', 'abc', ...data], /login.max.failures/],
      [['serve', '--log-level', 'loud', ...data], /log.level/],
    ];
    for (const [argv, re] of cases) {
      const r = await runCli(argv, { timeoutMs: 10000 });
      assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code}; stderr: ${r.stderr}`);
      assert.match(r.stderr, re, `${argv.join(' ')}: stderr: ${r.stderr}`);
    }
    const cfg = path.join(dir, 'bad-value.conf');
    fs.writeFileSync(cfg, 'login_lockout_base = soon\n');
    const r = await runCli(['serve', '--config', cfg, ...data], { timeoutMs: 10000 });
    assert.equal(r.code, 2, `bad value in file: exit ${r.code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /login_lockout_base/, r.stderr);
    const env = await runCli(['serve', ...data], { env: { ACDLINK_LOGIN_MAX_FAILURES: 'many' }, timeoutMs: 10000 });
    assert.equal(env.code, 2, `bad env value: exit ${env.code}; stderr: ${env.stderr}`);
    assert.match(env.stderr, /LOGIN_MAX_FAILURES|login_max_failures/i, env.stderr);
    const missing = await runCli(['serve', '--config', path.join(dir, 'missing.conf'), ...data], { timeoutMs: 10000 });
    assert.equal(missing.code, 2, `missing config file: exit ${missing.code}; stderr: ${missing.stderr}`);
    assert.match(missing.stderr, /missing\.conf/, missing.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('acdlink version prints the version and exits 0', async () => {
  const r = await runCli(['version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});

test('first start without users: admin with a random password in DIR/initial-admin-password (0600)', async () => {
  const d = await startDaemon();
  try {
    const file = path.join(d.dataDir, 'initial-admin-password');
    assert.ok(fs.existsSync(file), 'initial-admin-password not written');
    if (process.platform !== 'win32') {
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, `mode ${(fs.statSync(file).mode & 0o777).toString(8)}`);
    }
    const password = d.initialAdminPassword();
    assert.ok(password && password.length >= 12, `initial password too short: ${password?.length}`);
    assert.ok(!d.stderr().includes(password) && !d.stdout().includes(password), 'initial password printed to the log');
    const s = await login(d, 'admin', password);
    assert.equal(s.loginResponse.body.user.role, 'admin');
    const key = fs.statSync(path.join(d.dataDir, 'tls', 'key.pem'));
    if (process.platform !== 'win32') {
      assert.equal(key.mode & 0o077, 0, `tls/key.pem readable by others: ${(key.mode & 0o777).toString(8)}`);
    }
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

test('--plain-http: cookie acdlink_session without Secure, still HttpOnly and SameSite=Strict', async () => {
  const d = await startDaemon({ users: [ROOT], plainHttp: true });
  try {
    const c = client(d);
    const r = await c.login(ROOT.name, ROOT.password);
    assertStatus(r, 200);
    const names = parseCookieNames(r.setCookies);
    assert.ok(names.has('acdlink_session'), `Set-Cookie: ${JSON.stringify(r.setCookies)}`);
    assert.ok(!names.has('__Host-acdlink_session'), `Set-Cookie: ${JSON.stringify(r.setCookies)}`);
    const sc = r.setCookies.find((x) => x.startsWith('acdlink_session='));
    assert.ok(!/;\s*secure/i.test(sc), sc);
    assert.match(sc, /;\s*httponly/i);
    assert.match(sc, /;\s*samesite=strict/i);
    assertStatus(await c.get('/api/v1/auth/session'), 200);
    const u = await c.post('/api/v1/users', { name: 'plain', role: 'viewer', password: 'plain-password-1' });
    assert.equal(u.status, 201, show(u));
  } finally {
    await d.stop();
  }
});

test('--plain-http with public_url https://...: Secure __Host- cookie, Origin must be the public one, client address from X-Forwarded-For', async () => {
  const pub = 'https://acd.example.test:9443';
  const d = await startDaemon({ users: [ROOT], plainHttp: true, args: ['--public-url', `${pub}/`] });
  try {
    const c = client(d);
    const r = await c.request('POST', '/api/v1/auth/login', {
      json: { username: ROOT.name, password: ROOT.password },
      csrf: false,
      headers: { Origin: pub, 'X-Forwarded-For': '198.51.100.9, 203.0.113.7' },
    });
    assertStatus(r, 200);
    c.csrf = r.body.csrf_token;
    const sc = r.setCookies.find((x) => x.startsWith('__Host-acdlink_session='));
    assert.ok(sc, `Set-Cookie: ${JSON.stringify(r.setCookies)}`);
    assert.match(sc, /;\s*secure/i);
    assert.match(sc, /;\s*httponly/i);
    const body = { name: 'behind-proxy', role: 'viewer', password: 'behind-proxy-password-1' };
    const direct = await c.post('/api/v1/users', body, { headers: { Origin: d.url } });
    assert.equal(direct.status, 403, show(direct));
    assert.equal(direct.body.error.code, 'csrf_failed');
    const ok = await c.post('/api/v1/users', body, { headers: { Origin: pub } });
    assert.equal(ok.status, 201, show(ok));
    const audit = await c.get('/api/v1/audit?limit=500');
    const entry = audit.body.items.find((e) => e.action === 'auth.login');
    assert.equal(entry.client, '203.0.113.7', JSON.stringify(entry));
  } finally {
    await d.stop();
  }
  // unsafe combinations are refused at start, saying what to do
  const bad = await runCli(['serve', '--data-dir', await makeTempDir(), '--plain-http', '--listen', '0.0.0.0:1',
    '--public-url', 'http://acd.example.test/']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /public_url 'http:\/\/acd\.example\.test\/' is http:\/\/ .*Use the https:\/\/ address/s);
});
