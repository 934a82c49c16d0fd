// A database file named in an ODBC connection string by a relative path is opened by the driver
// from the daemon's working folder: it must lie inside an import root like an absolute one. The
// daemon here works in its own data folder (as one started there would, or under a service
// manager whose working folder is "/" with the data folder a relative path away) and acts as on
// a system without Landlock (older kernels, Windows), where the path check is the only guard:
// an operator's source reading acdlink.db through the SQLite ODBC driver would list the users'
// password hashes and the sealed secrets.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TEST_ROOT, bearer, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import {
  ROOT, assertInvalidField, assertStatus, createToken, odbcDriver, runWithStoredConnstr, show, sleep,
} from '../lib/api.mjs';

const DAY = '2026-11-24';
const SQL = "SELECT name, password_hash, '2026-11-24 00:00:00', 1 FROM users WHERE :period_start < :period_end";
let d;
let admin;
let operator;
let driver;
let elsewhere;

before(async () => {
  driver = odbcDriver('SQLite3', 'libsqliteodbc');
  const dir = await makeTempDir();
  // a root inside the data folder (as the default DATA/import) opens only itself
  fs.mkdirSync(path.join(dir, 'import'), { mode: 0o700 });
  d = await startDaemon({ dataDir: dir, cwd: dir, users: [ROOT], env: { ACDL_TEST_NO_SANDBOX: '1', ACDLINK_IMPORT_ROOTS: `${TEST_ROOT};${path.join(dir, 'import')}` } });
  admin = await login(d, ROOT.name, ROOT.password);
  operator = bearer(d, (await createToken(admin, 'relative-operator', 'operator')).token);
  elsewhere = fs.mkdtempSync(path.join(TEST_ROOT, 'acdlink-odbc-rel-'));
  for (const f of [path.join(elsewhere, 'acd.sqlite'), path.join(dir, 'import', 'acd.sqlite')]) {
    execFileSync('sqlite3', [f], { input: 'CREATE TABLE t (x INTEGER);' });
  }
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (d) {
    fs.rmSync(d.dataDir, { recursive: true, force: true });
  }
  if (elsewhere) {
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

const source = (connection_string, name) => ({
  name, kind: 'odbc', layout: 'interval', time_zone: 'UTC', interval_minutes: 15,
  settings: { odbc: { connection_string, sql: SQL } },
});

// what a preview of the source would show (only reached when the source was saved)
async function previewOf(id) {
  const c = await operator.post(`/api/v1/sources/${id}/preview`, { day: DAY, rows: 5 });
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) { // polls until the job ends
    const job = (await operator.get(c.headers.location)).body;
    if (job.state !== 'running') {
      return JSON.stringify(job);
    }
    await sleep(50);
  }
  return 'no answer';
}

test('a relative path to the daemon\'s own files in Database= or DBQ= is refused', async () => {
  const base = path.basename(d.dataDir);
  const cases = [
    ['Database', 'acdlink.db'], ['Database', './acdlink.db'], ['Database', `../${base}/acdlink.db`],
    ['DBQ', 'acdlink.db'], ['Database', 'import/../acdlink.db'],
    ['Database', `${path.join(TEST_ROOT, base)}/import/../acdlink.db`],
  ];
  for (const [key, file] of cases) {
    const r = await operator.post('/api/v1/sources', source(`Driver=${driver};${key}=${file}`, `rel ${key} ${file}`));
    const shown = r.status === 201 ? await previewOf(r.body.id) : '';
    assertInvalidField(r, `odbc.connection_string (${key}=)`);
    assert.match(r.body.error.message, /data folder|not allowed|must not contain '\.\.'/, show(r));
    assert.ok(!shown.includes('$scrypt'), shown);
  }
});

test('a database name that is no file here (a folder is none either), and a relative path into an import root, stay allowed', async () => {
  const pg = odbcDriver('PostgreSQL Unicode', 'odbc-postgresql');
  for (const name of ['cms', 'tls', 'import']) {
    assertStatus(await operator.post('/api/v1/sources', source(`Driver={${pg}};Server=127.0.0.1;Database=${name}`, `by name ${name}`)), 201);
  }
  assertStatus(await operator.post('/api/v1/sources', source(`Driver=${driver};Database=import/acd.sqlite`, 'relative inside')), 201);
  assertStatus(await operator.post('/api/v1/sources', source(`Driver=${driver};Database=${path.join(elsewhere, 'acd.sqlite')}`, 'absolute inside')), 201);
});

test('a relative path written into the database some other way fails the run when it connects', async () => {
  const ok = await operator.post('/api/v1/sources', source(`Driver=${driver};Database=${path.join(elsewhere, 'acd.sqlite')}`, 'later'));
  assertStatus(ok, 201);
  const { run, log } = await runWithStoredConnstr(operator, d, ok.body, `Driver=${driver};Database=acdlink.db`, DAY, 30000);
  assert.equal(run.state, 'failed', JSON.stringify(run));
  assert.match(log, /Database=/, log);
  assert.ok(!log.includes('$scrypt'), log);
});

// The SQLite driver takes SQLite's URI file names too (file:/path, file:///path?mode=ro): one
// whose path is not checked, started in a folder inside an import root, read the data folder.
test('a file: URI in Database= is refused', async () => {
  const d2 = await startDaemon({ cwd: elsewhere, users: [ROOT], env: { ACDL_TEST_NO_SANDBOX: '1' } });
  try {
    const a2 = await login(d2, ROOT.name, ROOT.password);
    const op2 = bearer(d2, (await createToken(a2, 'uri-operator', 'operator')).token);
    const db = path.join(d2.dataDir, 'acdlink.db');
    for (const v of [`file:${db}`, `file://${db}`, `FILE:${db}?mode=ro`, `file:${path.join(elsewhere, 'acd.sqlite')}`, 'file:acd.sqlite']) {
      const r = await op2.post('/api/v1/sources', source(`Driver=${driver};Database=${v}`, `uri ${v.length}`));
      assertInvalidField(r, 'odbc.connection_string (Database=)');
      assert.match(r.body.error.message, /file: URI/, show(r));
    }
  } finally {
    await d2.stop();
  }
});

// The SQLite driver runs its one statement on the daemon's thread: VACUUM INTO wrote a copy of
// the source's database to any path the daemon may write (its data folder included), ATTACH
// opened any file. Through it only a query (SELECT or WITH) is sent.
test('through the SQLite driver only a SELECT (or WITH) is sent: no VACUUM INTO, no ATTACH', async () => {
  const planted = path.join(d.dataDir, 'planted.db');
  const cs = `Driver=${driver};Database=${path.join(elsewhere, 'acd.sqlite')}`;
  for (const sql of [`VACUUM INTO '${planted}'`, `/* q */ ATTACH DATABASE '${path.join(d.dataDir, 'acdlink.db')}' AS d`,
    `  -- a comment\n VACUUM INTO '${planted}'`]) {
    const s = await operator.post('/api/v1/sources', source(cs, `stmt ${sql.length}`));
    assertStatus(s, 201);
    const p = await operator.patch(`/api/v1/sources/${s.body.id}`, { settings: { ...s.body.settings, odbc: { ...s.body.settings.odbc, sql } } });
    assertStatus(p, 200);
    const shown = await previewOf(s.body.id);
    assert.match(shown, /through the SQLite driver the SQL must be one SELECT \(or WITH\) statement/, shown);
    assert.ok(!fs.existsSync(planted), `${sql}: ${planted} was written`);
  }
  // a query still reads, a comment before it too
  const ok = await operator.post('/api/v1/sources', source(cs, 'stmt ok'));
  const q = "/* c */ SELECT 'q', 'Q', '2026-11-24 00:00:00', x FROM t WHERE :period_start < :period_end";
  assertStatus(await operator.patch(`/api/v1/sources/${ok.body.id}`, { settings: { ...ok.body.settings, odbc: { ...ok.body.settings.odbc, sql: q } } }), 200);
  const shown = await previewOf(ok.body.id);
  assert.match(shown, /"state":"done"/, shown);
});
