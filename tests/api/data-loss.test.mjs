// A data folder that lost part of itself: a missing or emptied database beside an earlier
// installation's key file and certificate is refused (not silently replaced by a new
// installation) unless --start-fresh; a missing or foreign key file while sealed secrets exist
// is refused unless --forget-secrets; a restore killed at any step leaves the folder either as
// it was or completely restored, never a mix.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, login, makeTempDir, runCli, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, createUser, pw } from '../lib/api.mjs';

const dirs = [];

async function tempDir() {
  const d = await makeTempDir('acdlink-loss-');
  dirs.push(d);
  return d;
}

test.after(() => {
  for (const d of dirs) {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

/** `acdlink serve` on dir that is expected to refuse: resolves its exit code and stderr. */
async function serveRefused(dir, extra = []) {
  const port = await freePort();
  const r = await runCli(['serve', '--data-dir', dir, '--listen', `127.0.0.1:${port}`, ...extra], { timeoutMs: 20000 });
  assert.equal(r.signal, null, `serve did not refuse to start:\n${r.stderr}`);
  return r;
}

/** A daemon on a new folder with ROOT, an extra user and an ODBC source whose password is
 * sealed; stopped again. Returns the folder. */
async function installation(user) {
  const dir = await tempDir();
  const d = await startDaemon({ users: [ROOT], dataDir: dir });
  try {
    const admin = await login(d, ROOT.name, ROOT.password);
    await createUser(admin, user, 'viewer');
    const s = await admin.post('/api/v1/sources', {
      name: `ODBC of ${user}`, kind: 'odbc', time_zone: 'Europe/Berlin',
      settings: { odbc: { connection_string: 'Driver=SQLite3;Database=nonexistent', sql: 'SELECT 1 WHERE :period_start < :period_end' } },
      password: `Secret-of-${user}`,
    });
    assertStatus(s, 201);
  } finally {
    assert.equal(await d.stop(), 0);
  }
  return dir;
}

const sha = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('a lost or emptied database is refused; --start-fresh begins a new installation', async () => {
  const dir = await installation('keeper');
  for (const f of ['acdlink.db-wal', 'acdlink.db-shm']) {
    fs.rmSync(path.join(dir, f), { force: true });
  }
  fs.rmSync(path.join(dir, 'acdlink.db'));
  let r = await serveRefused(dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /acdlink\.db is missing, but .* holds files of an earlier installation \(secret\.key, tls\): its database was lost\. Restore it from a backup \(acdlink restore BACKUP --data-dir .* --force\), or start once with --start-fresh/);
  assert.ok(!fs.existsSync(path.join(dir, 'acdlink.db')), 'a refused start made a database');

  fs.writeFileSync(path.join(dir, 'acdlink.db'), '');
  r = await serveRefused(dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /acdlink\.db is empty, but/);
  // the command-line tools refuse it too
  const u = await runCli(['user', 'add', 'x', '--role', 'admin', '--password-stdin', '--data-dir', dir], { stdin: `${pw('x')}\n` });
  assert.notEqual(u.code, 0);
  assert.match(u.stderr, /its database was lost/);
  assert.equal(fs.statSync(path.join(dir, 'acdlink.db')).size, 0);

  const d = await startDaemon({ dataDir: dir, args: ['--start-fresh'] });
  try {
    assert.match(d.stderr(), /--start-fresh: .*starting a new installation/);
    const first = await login(d, 'admin', d.initialAdminPassword());
    assertStatus(await first.get('/api/v1/sources'), 200);
  } finally {
    assert.equal(await d.stop(), 0);
  }
  // from then on it is an installation like any other
  const again = await startDaemon({ dataDir: dir });
  assert.equal(await again.stop(), 0);
});

test('a missing or foreign key file is refused while sealed secrets exist; --forget-secrets clears them', async () => {
  const dir = await installation('holder');
  const other = await installation('stranger');
  const key = path.join(dir, 'secret.key');
  const original = fs.readFileSync(key);
  fs.rmSync(key);
  let r = await serveRefused(dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the key file .*secret\.key is missing, but the database holds 1 secret sealed with it .*put the key file back .*--forget-secrets/);
  assert.ok(!fs.existsSync(key), 'a refused start made a new key file');

  fs.copyFileSync(path.join(other, 'secret.key'), key);
  r = await serveRefused(dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the key file .*secret\.key \(key [0-9a-f]{8}\) does not open 1 of the 1 secret in the database/);

  // the right key: starts
  fs.writeFileSync(key, original, { mode: 0o600 });
  let d = await startDaemon({ dataDir: dir });
  assert.equal(await d.stop(), 0);

  // lost for good: --forget-secrets clears what the key cannot open, and says so
  fs.rmSync(key);
  d = await startDaemon({ dataDir: dir, args: ['--forget-secrets'] });
  try {
    assert.match(d.stderr(), /--forget-secrets: cleared 1 stored secret /);
    const admin = await login(d, ROOT.name, ROOT.password);
    const src = (await admin.get('/api/v1/sources')).body.items[0];
    assert.equal(src.password_set, false);
    const audit = await admin.get('/api/v1/audit?action=secrets.forget');
    assert.equal(audit.body.items.length, 1);
  } finally {
    assert.equal(await d.stop(), 0);
  }
  assert.ok(fs.existsSync(key));
});

test('a restore killed at any step leaves the old or the new installation, never a mix', async () => {
  const oldDir = await installation('old-user');
  const newDir = await installation('new-user');
  const archive = path.join(newDir, '..', `${path.basename(newDir)}.tar`);
  dirs.push(archive);
  const b = await runCli(['backup', archive, '--data-dir', newDir]);
  assert.equal(b.code, 0, b.stderr);
  const files = ['secret.key', 'tls/cert.pem', 'tls/key.pem'];
  const digests = (dir) => files.map((f) => sha(path.join(dir, f))).join(',');
  const oldSet = digests(oldDir);
  const newSet = digests(newDir);
  assert.notEqual(oldSet, newSet);

  const seen = { old: 0, new: 0 };
  let finished = false;
  for (let step = 1; step <= 40 && !finished; step++) {
    const work = await tempDir();
    fs.cpSync(oldDir, work, { recursive: true });
    const r = await runCli(['restore', archive, '--data-dir', work, '--force'], {
      env: { ACDL_TEST_RESTORE_EXIT_AT: String(step) },
    });
    if (r.code === 0) {
      finished = true; // more steps than the restore has: it ran to its end
    } else {
      assert.equal(r.code, 137, `step ${step}: ${r.stderr}`);
    }
    // the start finishes (or drops) the restore; it refuses a key that does not open the
    // database's secret, so a started daemon also shows that key and database belong together
    const d = await startDaemon({ dataDir: work });
    assert.equal(await d.stop(), 0, `step ${step}: ${d.stderr().slice(-2000)}`);
    const users = execFileSync('sqlite3', [path.join(work, 'acdlink.db'), 'SELECT name FROM users ORDER BY name'], { encoding: 'utf8' }).trim().split('\n');
    const isNew = users.includes('new-user');
    assert.deepEqual(users, [isNew ? 'new-user' : 'old-user', ROOT.name].sort(), `step ${step}`);
    assert.equal(digests(work), isNew ? newSet : oldSet, `step ${step}: key and certificate of the other installation`);
    seen[isNew ? 'new' : 'old']++;
    assert.ok(!fs.existsSync(path.join(work, 'restore.journal')), `step ${step}: journal left`);
    assert.ok(!fs.existsSync(path.join(work, '.restore')), `step ${step}: staging folder left`);
  }
  assert.ok(finished, 'the restore never ran to its end');
  console.log(`restore steps: ${JSON.stringify(seen)}`);
  assert.ok(seen.old >= 5 && seen.new >= 5, JSON.stringify(seen));
});

test('TLS certificate and key errors name the file and the cause', async () => {
  const dir = await tempDir();
  const make = (name) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(dir, `${name}-key.pem`), '-out', path.join(dir, `${name}-cert.pem`),
    '-subj', `/CN=${name}`, '-days', '30'], { stdio: 'ignore' });
  make('a');
  make('b');
  fs.writeFileSync(path.join(dir, 'junk.pem'), 'not a key\n');
  fs.writeFileSync(path.join(dir, 'cut.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  const p = (f) => path.join(dir, f);
  const cases = [
    [p('a-cert.pem'), p('b-key.pem'), /TLS key .*b-key\.pem does not match the certificate .*a-cert\.pem/],
    [p('a-cert.pem'), p('junk.pem'), /TLS key .*junk\.pem: not a PEM private key \(no "-----BEGIN \.\.\. PRIVATE KEY-----" line\)/],
    [p('a-cert.pem'), p('cut.pem'), /TLS key .*cut\.pem: not a PEM private key, or one protected by a passphrase \([a-z]/],
    [p('junk.pem'), p('a-key.pem'), /TLS certificate .*junk\.pem: not a PEM certificate \(no start line\)/],
    [p('missing.pem'), p('a-key.pem'), /TLS certificate .*missing\.pem cannot be read: No such file or directory/],
  ];
  for (const [cert, key, want] of cases) {
    const r = await serveRefused(path.join(dir, 'data'), ['--tls-cert', cert, '--tls-key', key]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\(null\)/);
  }
});
