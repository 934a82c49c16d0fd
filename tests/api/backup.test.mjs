// Backup and restore end to end: GET /api/v1/backup (admin only) while an import runs, the
// archive listed by tar, `acdlink restore` refused on a running daemon's folder and on a
// damaged download, restored into a fresh folder, a daemon started on it, the old admin
// logging in and the sealed ODBC password still decrypting for an import.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, runCli, startDaemon } from '../lib/daemon.mjs';
import {
  ROOT, assertError, assertStatus, createToken, odbcDriver, show, sleep, startWithAdmin,
} from '../lib/api.mjs';
import { bearer } from '../lib/daemon.mjs';

let d;
let admin;
let dir;
let acdDb;
let driver;
let restored;
let archive;

function sql(text) {
  execFileSync('sqlite3', [acdDb], { input: text });
}

async function waitRun(session, id, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await session.get(`/api/v1/runs/${id}`);
    assertStatus(r, 200);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    assert.ok(Date.now() < end, `run ${id} did not finish: ${show(r)}`);
    await sleep(50);
  }
}

before(async () => {
  driver = odbcDriver('SQLite3', 'libsqliteodbc');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-backup-'));
  acdDb = path.join(dir, 'acd.sqlite');
  sql(`CREATE TABLE split_interval (split TEXT, split_name TEXT, starts TEXT, offered INTEGER, handled INTEGER);
       INSERT INTO split_interval VALUES ('7', 'Billing', '2026-11-24 08:00:00', 3, 2);`);
  // a CSV export large enough that its import is still running when the backup is taken
  // (28 days x 96 intervals x 200 splits = 537,600 rows: well over a second even unloaded)
  const csvDir = path.join(dir, 'csv');
  fs.mkdirSync(csvDir);
  const lines = ['Split;Date;Time;Offered;Handled'];
  for (let day = 1; day <= 28; day++) {
    const dd = String(day).padStart(2, '0');
    for (let q = 0; q < 96; q++) {
      const hh = String(Math.floor(q / 4)).padStart(2, '0');
      const mm = String((q % 4) * 15).padStart(2, '0');
      for (let s = 0; s < 200; s++) {
        lines.push(`${100 + s};${dd}.02.2026;${hh}:${mm};${(s + q) % 17};${(s + q) % 13}`);
      }
    }
  }
  fs.writeFileSync(path.join(csvDir, 'february.csv'), `${lines.join('\n')}\n`);
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  const csv = await admin.post('/api/v1/sources', {
    name: 'Big CSV', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder: csvDir, separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled' },
    },
  });
  assertStatus(csv, 201);
  const odbc = await admin.post('/api/v1/sources', {
    name: 'ACD ODBC', kind: 'odbc', time_zone: 'Europe/Berlin',
    settings: {
      odbc: {
        connection_string: `Driver=${driver};Database=${acdDb}`,
        user: 'wfm',
        sql: 'SELECT split, split_name, starts, offered, handled FROM split_interval '
          + 'WHERE starts >= :period_start AND starts < :period_end',
      },
    },
    password: 'Odbc-Canary-Secret-77',
  });
  assertStatus(odbc, 201);
  assert.equal(odbc.body.password_set, true);
  restored = path.join(dir, 'restored');
  archive = path.join(dir, 'download.tar');
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('GET /api/v1/backup is for admins only', async () => {
  for (const role of ['viewer', 'operator']) {
    const tok = await createToken(admin, `backup-${role}`, role);
    assertError(await bearer(d, tok.token).get('/api/v1/backup'), 403, 'forbidden');
  }
});

test('a backup downloaded while an import runs is a complete, consistent archive', async () => {
  const sources = (await admin.get('/api/v1/sources')).body.items;
  const big = sources.find((s) => s.name === 'Big CSV');
  const run = await admin.post('/api/v1/runs', { source_id: big.id, from: '2026-02-01', to: '2026-02-28' });
  assertStatus(run, 202);
  let state;
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    state = (await admin.get(`/api/v1/runs/${run.body.id}`)).body.state;
    if (state !== 'queued') {
      break;
    }
    await sleep(10);
  }
  assert.equal(state, 'running', 'the import should still run when the backup starts');
  const r = await admin.get('/api/v1/backup');
  assertStatus(r, 200);
  assert.equal(r.headers['content-type'], 'application/x-tar');
  assert.match(String(r.headers['content-disposition']), /^attachment; filename="acdlink-backup-\d{8}-\d{6}\.tar"$/);
  assert.equal(Number(r.headers['content-length']), r.raw.length);
  assert.equal(r.raw.length % 512, 0);
  fs.writeFileSync(archive, r.raw);
  const done = await waitRun(admin, run.body.id);
  assert.equal(done.state, 'done', JSON.stringify(done));

  // any tar can read it; the manifest comes first and names every entry with its digest
  const listing = execFileSync('tar', ['tf', archive], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(listing, ['manifest.json', 'acdlink.db', 'secret.key', 'tls/cert.pem', 'tls/key.pem']);
  const manifest = JSON.parse(execFileSync('tar', ['xOf', archive, 'manifest.json'], { encoding: 'utf8' }));
  assert.equal(manifest.format, 'acdlink-backup');
  assert.equal(manifest.format_version, 1);
  assert.ok(manifest.schema_version >= 6, JSON.stringify(manifest));
  assert.deepEqual(manifest.files.map((f) => f.name), listing.slice(1));
  for (const f of manifest.files) {
    assert.match(f.sha256, /^[0-9a-f]{64}$/);
  }
  // the snapshot of the live database does not stay in the data folder
  assert.deepEqual(fs.readdirSync(d.dataDir).filter((n) => n.startsWith('.backup-')), []);
  // the password is in the archive only sealed
  assert.ok(!r.raw.includes(Buffer.from('Odbc-Canary-Secret-77')), 'clear password in the backup');

  const audit = await admin.get('/api/v1/audit?action=backup.create');
  assertStatus(audit, 200);
  assert.equal(audit.body.items.length, 1, show(audit));
  assert.equal(audit.body.items[0].outcome, 'ok');
  assert.equal(audit.body.items[0].actor, ROOT.name);
  assert.equal(audit.body.items[0].detail.bytes, r.raw.length);
});

test('acdlink backup FILE works beside the running daemon', async () => {
  const file = path.join(dir, 'cli.tar');
  const r = await runCli(['backup', file, '--data-dir', d.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote the backup/);
  const listing = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(listing[0], 'manifest.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const audit = await admin.get('/api/v1/audit?action=backup.create');
  assert.equal(audit.body.items[0].actor, 'acdlink backup', show(audit));
});

test('restore refuses the folder of a running daemon and a damaged download, changing nothing', async () => {
  const before = fs.readFileSync(path.join(d.dataDir, 'acdlink.db'));
  const running = await runCli(['restore', archive, '--data-dir', d.dataDir, '--force']);
  assert.equal(running.code, 3, running.stderr);
  assert.match(running.stderr, /daemon is running on this data folder; stop it first/);
  assert.ok(fs.readFileSync(path.join(d.dataDir, 'acdlink.db')).equals(before));

  const cut = path.join(dir, 'cut.tar');
  const full = fs.readFileSync(archive);
  fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
  const target = path.join(dir, 'never');
  const r = await runCli(['restore', cut, '--data-dir', target]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /nothing was changed: .*cut short/);
  assert.ok(!fs.existsSync(target), 'a failed restore left the new folder behind');

  const foreign = path.join(dir, 'foreign.tar');
  fs.writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0\n');
  execFileSync('tar', ['--format=ustar', '-cf', foreign, '-C', dir, 'passwd']);
  const f = await runCli(['restore', foreign, '--data-dir', target]);
  assert.equal(f.code, 1, f.stderr);
  assert.match(f.stderr, /'passwd' at byte 0 is not expected here/);
  assert.ok(!fs.existsSync(target));
});

test('restored into a fresh folder, a new daemon lets the old admin in and decrypts the secrets', async () => {
  const r = await runCli(['restore', archive, '--data-dir', restored]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /restored the backup of .* into /);
  assert.match(r.stdout, /restored its TLS certificate/);
  // same key and certificate as the original
  for (const f of ['secret.key', path.join('tls', 'cert.pem'), path.join('tls', 'key.pem')]) {
    assert.ok(fs.readFileSync(path.join(restored, f)).equals(fs.readFileSync(path.join(d.dataDir, f))), f);
  }
  // a second restore into the same folder is refused without --force
  const again = await runCli(['restore', archive, '--data-dir', restored]);
  assert.equal(again.code, 3);
  assert.match(again.stderr, /is not empty: .*--force/);

  const d2 = await startDaemon({ dataDir: restored });
  try {
    assert.equal(d2.ca, d.ca, 'the restored daemon serves the original certificate');
    const old = await login(d2, ROOT.name, ROOT.password);
    const sources = (await old.get('/api/v1/sources')).body.items;
    assert.deepEqual(sources.map((s) => s.name).sort(), ['ACD ODBC', 'Big CSV']);
    const odbc = sources.find((s) => s.name === 'ACD ODBC');
    assert.equal(odbc.password_set, true);
    const run = await old.post('/api/v1/runs', { source_id: odbc.id, from: '2026-11-24', to: '2026-11-24' });
    assertStatus(run, 202);
    const done = await waitRun(old, run.body.id);
    const log = await old.get(`/api/v1/runs/${run.body.id}/log?limit=500`);
    assert.equal(done.state, 'done', `${JSON.stringify(done)} ${log.text}`);
    assert.ok(!log.text.includes('cannot be decrypted'), log.text);
    assert.equal(done.counts.rows_read, 1, JSON.stringify(done));
    const audit = await old.get('/api/v1/audit?action=backup.restore');
    assert.equal(audit.body.items.length, 1, show(audit));
    assert.equal(audit.body.items[0].detail.schema_to, audit.body.items[0].detail.schema_from);
    // the restored daemon holds its folder: a restore onto it is refused
    const busy = await runCli(['restore', archive, '--data-dir', restored, '--force']);
    assert.equal(busy.code, 3, busy.stderr);
  } finally {
    const code = await d2.stop();
    assert.equal(code, 0, `the restored daemon exited with ${code}:\n${d2.stderr().slice(-4000)}`);
  }
});
