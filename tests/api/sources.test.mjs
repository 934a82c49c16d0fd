// Sources: CSV and ODBC settings validated field by field, normalised with defaults, the ODBC
// password write-only (sealed at rest, set by admins only), presets listed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TEST_ROOT, login } from '../lib/daemon.mjs';
import {
  assertError, assertInvalidField, assertStatus, createUser, odbcDriver, pw, show, startWithAdmin,
} from '../lib/api.mjs';

let d;
let admin;
let operator;
let viewer;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  await createUser(admin, 'op', 'operator');
  await createUser(admin, 'view', 'viewer');
  operator = await login(d, 'op', pw('op'));
  viewer = await login(d, 'view', pw('view'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

const csvSource = (over = {}) => ({
  name: 'Avaya CSV',
  kind: 'csv',
  layout: 'interval',
  time_zone: 'Europe/Berlin',
  interval_minutes: 15,
  settings: {
    csv: { folder: path.join(TEST_ROOT, 'acdlink-avaya'), pattern: '*.csv', separator: ';', encoding: 'windows-1252', date_order: 'dmy' },
    columns: { queue: 'Split', date: 'Date', time: 'Time' },
    metrics: { offered: 'CallsOffered', handled: 'ACDCalls', handle_time: 5 },
  },
  ...over,
});

const CANARY = 'canary-Odbc-Pa55word';

test('a CSV source is created with its settings normalised', async () => {
  const r = await operator.post('/api/v1/sources', csvSource());
  assertStatus(r, 201);
  assert.equal(r.headers.location, `/api/v1/sources/${r.body.id}`);
  const s = r.body;
  assert.equal(s.kind, 'csv');
  assert.equal(s.product, 'contacts');
  assert.equal(s.enabled, true);
  assert.equal(s.password_set, false);
  assert.equal(s.settings.csv.separator, ';');
  assert.equal(s.settings.csv.quote, '"');
  assert.equal(s.settings.csv.header, true);
  assert.equal(s.settings.csv.after_import, 'keep');
  assert.equal(s.settings.columns.queue, 'Split');
  assert.equal(s.settings.metrics.handle_time, 5);
  assert.deepEqual(s.settings.derived, []);
  const g = await viewer.get(`/api/v1/sources/${s.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.body, s);
  assertError(await operator.post('/api/v1/sources', csvSource()), 409, 'conflict');
});

test('CSV settings errors name the field', async () => {
  const bad = async (mut, field) => {
    const body = csvSource({ name: `bad-${field}` });
    mut(body.settings);
    assertInvalidField(await operator.post('/api/v1/sources', body), field);
  };
  await bad((s) => { s.csv.separator = ';;'; }, 'csv.separator');
  await bad((s) => { s.csv.folder = 'relative/path'; }, 'csv.folder');
  await bad((s) => { s.csv.encoding = 'ebcdic'; }, 'csv.encoding');
  await bad((s) => { s.csv.date_format = 'dd.qq.yyyy'; }, 'csv.date_format');
  await bad((s) => { s.csv.after_import = 'move'; }, 'csv.archive_folder');
  await bad((s) => { s.csv.pattern = '../*.csv'; }, 'csv.pattern');
  await bad((s) => { s.csv.colour = 'blue'; }, 'csv.colour');
  await bad((s) => { delete s.columns.queue; }, 'settings.columns.queue');
  await bad((s) => { delete s.columns.time; }, 'settings.columns.time');
  await bad((s) => { s.metrics = {}; }, 'settings.metrics');
  await bad((s) => { s.metrics = { 'bad/name': 'x' }; }, 'settings.metrics.bad/name');
  await bad((s) => { s.derived = [{ name: 'x', expression: 'random()' }]; }, 'settings.derived[0]');
  await bad((s) => { s.derived = [{ name: 'x', expression: 'a +' }]; }, 'settings.derived[0]');
  await bad((s) => { s.filter = '(SELECT 1 FROM sqlite_master)'; }, 'settings.filter');
  await bad((s) => { s.odbc = { dsn: 'x', sql: 'select 1' }; }, 'settings.odbc');
  assertInvalidField(await operator.post('/api/v1/sources', csvSource({ name: 'tz', time_zone: 'Europe/Berlinn' })), 'time_zone');
  assertInvalidField(await operator.post('/api/v1/sources', csvSource({ name: 'iv', interval_minutes: 45 })), 'interval_minutes');
  assertInvalidField(await operator.post('/api/v1/sources', csvSource({ name: 'kd', kind: 'ftp' })), 'kind');
  assertInvalidField(await operator.post('/api/v1/sources', csvSource({ name: 'pr', product: 'timelink' })), 'product');
  const list = await viewer.get('/api/v1/sources?limit=500');
  assert.ok(!list.body.items.some((x) => x.name.startsWith('bad-')), 'a refused source was stored');
});

test('derived fields and a row filter are accepted with any field names', async () => {
  const body = csvSource({ name: 'Contacts CSV', layout: 'contact' });
  body.settings.metrics = undefined;
  delete body.settings.metrics;
  body.settings.columns = { queue: 'Queue', timestamp: 'Start', answered: 'answered', duration: 'Talk' };
  body.settings.derived = [{ name: 'answered', expression: "outcome = 'AGENT'" }];
  body.settings.filter = "Queue NOT LIKE 'TEST%'";
  const r = await operator.post('/api/v1/sources', body);
  assertStatus(r, 201);
  assert.deepEqual(r.body.settings.derived, body.settings.derived);
  assert.equal(r.body.settings.filter, body.settings.filter);
  assert.ok(!('metrics' in r.body.settings), 'the contact layout has fixed metrics');
  // the stored settings are read again on every change (and by every import)
  const p = await operator.patch(`/api/v1/sources/${r.body.id}`, { enabled: false });
  assertStatus(p, 200);
  assert.deepEqual(p.body.settings, r.body.settings);
});

test('ODBC source: the password is write-only, sealed at rest and set by admins only', async () => {
  const body = {
    name: 'CMS ODBC', kind: 'odbc', time_zone: 'America/New_York',
    settings: { odbc: { dsn: 'cms', user: 'reader', preset: 'avaya_cms_hsplit' } },
  };
  assertError(await operator.post('/api/v1/sources', { ...body, password: CANARY }), 403, 'forbidden');
  const r = await admin.post('/api/v1/sources', { ...body, password: CANARY });
  assertStatus(r, 201);
  assert.equal(r.body.password_set, true);
  assert.ok(!JSON.stringify(r.body).includes(CANARY));
  const id = r.body.id;
  // operators may change everything but the password
  const p = await operator.patch(`/api/v1/sources/${id}`, { enabled: false });
  assertStatus(p, 200);
  assert.equal(p.body.enabled, false);
  assert.equal(p.body.password_set, true);
  assertError(await operator.patch(`/api/v1/sources/${id}`, { password: 'x' }), 403, 'forbidden');
  const c = await admin.patch(`/api/v1/sources/${id}`, { password: null });
  assertStatus(c, 200);
  assert.equal(c.body.password_set, false);
  assertStatus(await admin.patch(`/api/v1/sources/${id}`, { password: CANARY }), 200);
  // never in plain text in the database files, the audit log or any answer
  for (const f of fs.readdirSync(d.dataDir)) {
    const full = path.join(d.dataDir, f);
    if (fs.statSync(full).isFile()) {
      assert.ok(!fs.readFileSync(full).includes(Buffer.from(CANARY)), `password in clear in ${f}`);
    }
  }
  const audit = await admin.get('/api/v1/audit?limit=500');
  assert.ok(!JSON.stringify(audit.body).includes(CANARY));
  assert.ok(audit.body.items.some((e) => e.action === 'source.update' && e.detail.password === 'changed'), show(audit));
  // SQL with an unknown parameter is refused naming it
  const sql = await operator.patch(`/api/v1/sources/${id}`, {
    settings: { odbc: { dsn: 'cms', sql: 'SELECT * FROM hsplit WHERE row_date = :day' } },
  });
  assertInvalidField(sql, 'odbc.sql');
  assert.match(sql.body.error.message, /:day/);
  const ok = await operator.patch(`/api/v1/sources/${id}`, {
    settings: { odbc: { dsn: 'cms', sql: 'SELECT split, NULL, starttime, acdcalls FROM hsplit WHERE row_date >= :period_start AND row_date < :period_end' } },
  });
  assertStatus(ok, 200);
  assert.equal(ok.body.settings.odbc.preset, null);
  assertInvalidField(await operator.patch(`/api/v1/sources/${id}`, { settings: { odbc: { dsn: 'a', connection_string: 'Driver=x', sql: 'select 1' } } }), 'odbc.dsn');
  assertInvalidField(await operator.patch(`/api/v1/sources/${id}`, { settings: { odbc: { dsn: 'a', preset: 'nope' } } }), 'odbc.preset');
  assertError(await operator.patch(`/api/v1/sources/${id}`, { kind: 'csv' }), 422, 'invalid_field');
});

test('where a source that holds a password connects is changed by admins only (else an operator could point it at a server of theirs and receive the password)', async () => {
  const conn = (server) => `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=${server};Port=5432;Database=cms`;
  const settings = (odbc) => ({ odbc: { user: 'reader', preset: 'avaya_cms_hsplit', ...odbc } });
  const r = await admin.post('/api/v1/sources', {
    name: 'CMS with password', kind: 'odbc', time_zone: 'Europe/Berlin',
    settings: settings({ connection_string: conn('cms.example.internal') }), password: CANARY,
  });
  assertStatus(r, 201);
  const id = r.body.id;
  const refused = async (odbc) => {
    const x = await operator.patch(`/api/v1/sources/${id}`, { settings: settings(odbc) });
    assertError(x, 403, 'forbidden');
    assert.equal(x.body.error.hint_code, 'hint.ask_admin_change_source_connection', show(x));
    assert.match(x.body.error.message, /^odbc: the connection \(dsn, connection_string\)/, show(x));
  };
  await refused({ connection_string: conn('collector.attacker.example') });
  await refused({ connection_string: null, dsn: 'other' });
  // nothing of the refused changes was stored
  const kept = await admin.get(`/api/v1/sources/${id}`);
  assert.equal(kept.body.settings.odbc.connection_string, conn('cms.example.internal'));
  // the same connection with other settings stays operator work
  const same = await operator.patch(`/api/v1/sources/${id}`, {
    settings: settings({ connection_string: conn('cms.example.internal'), timeout_s: 60 }),
  });
  assertStatus(same, 200);
  assertStatus(await operator.patch(`/api/v1/sources/${id}`, { name: 'CMS renamed' }), 200);
  // config apply goes through the same check as the caller
  const doc = (await operator.get('/api/v1/config')).body;
  const mine = doc.sources.find((s) => s.name === 'CMS renamed');
  mine.settings.odbc.connection_string = conn('collector.attacker.example');
  const applied = await operator.post('/api/v1/config/apply', { config: doc });
  assert.notEqual(applied.status, 200, show(applied));
  assert.match(JSON.stringify(applied.body.error), /admins only/, show(applied));
  assert.equal((await admin.get(`/api/v1/sources/${id}`)).body.settings.odbc.connection_string, conn('cms.example.internal'));
  // an admin may; and once the password is cleared, so may an operator
  assertStatus(await admin.patch(`/api/v1/sources/${id}`, { settings: settings({ connection_string: conn('cms2.example.internal') }) }), 200);
  assertStatus(await admin.patch(`/api/v1/sources/${id}`, { password: null }), 200);
  assertStatus(await operator.patch(`/api/v1/sources/${id}`, { settings: settings({ connection_string: conn('cms3.example.internal') }) }), 200);
});

test('a connection string with a password in it is refused (422 naming it, hint: the sealed password field)', async () => {
  const odbc = (connection_string) => ({
    name: `odbc-pwd-${Math.random().toString(36).slice(2, 8)}`,
    kind: 'odbc',
    layout: 'interval',
    time_zone: 'UTC',
    interval_minutes: 15,
    settings: { odbc: { connection_string, preset: 'avaya_cms_hsplit' } },
  });
  for (const cs of ['Driver=x;PWD=secret', 'Driver=x;pwd=secret;Server=h', 'Driver=x; Password = secret',
    'PASSWORD={a;b}', 'Driver=x;  Pwd  =s', 'Driver={y};Database=d;password=']) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertInvalidField(r, 'odbc.connection_string');
    assert.match(r.body.error.hint, /password field/, show(r));
    assert.ok(!JSON.stringify(r.body).includes('secret'), show(r));
  }
  // Other attributes that merely contain the letters, and braced values, are fine.
  for (const cs of ['Driver=SQLite3;Database={PWD=x}', 'Driver=SQLite3;PWDFile=/etc/f;UID=u', 'Driver=SQLite3;NoPassword=1',
    'Driver=SQLite3;Database={a;Password=b}']) {
    assertStatus(await operator.post('/api/v1/sources', odbc(cs)), 201);
  }
  // Changing an existing source the same way is refused too.
  const ok = await operator.post('/api/v1/sources', odbc('Driver=SQLite3;Database=d'));
  assertStatus(ok, 201);
  const p = await operator.patch(`/api/v1/sources/${ok.body.id}`, { settings: { odbc: { connection_string: 'Driver=SQLite3;Pwd=s', preset: 'avaya_cms_hsplit' } } });
  assertInvalidField(p, 'odbc.connection_string');
});

test('a password given to libpq through psqlODBC\'s pqopt, or MariaDB\'s key passphrase, is refused like PWD= (every viewer reads the connection string)', async () => {
  const pg = odbcDriver('PostgreSQL Unicode', 'odbc-postgresql');
  const odbc = (connection_string) => ({
    name: `pqopt-${Math.random().toString(36).slice(2, 8)}`,
    kind: 'odbc',
    layout: 'interval',
    time_zone: 'UTC',
    interval_minutes: 15,
    settings: { odbc: { connection_string, user: 'acd', preset: 'avaya_cms_hsplit' } },
  });
  const base = `Driver={${pg}};Server=127.0.0.1;Database=cms`;
  for (const opt of ['password=canary-pw', 'sslmode=require  PASSWORD = canary-pw', "password='canary pw'",
    "application_name='a b' sslpassword=canary-pw", 'postgresql://acd:canary-pw@127.0.0.1/cms']) {
    for (const who of [operator, admin]) {
      const r = await who.post('/api/v1/sources', odbc(`${base};pqopt={${opt}}`));
      assertInvalidField(r, 'odbc.connection_string (pqopt)');
      assert.equal(r.body.error.params.why_code, 'val.pqopt_password', show(r));
      assert.equal(r.body.error.hint_code, 'hint.remove_password_from_pqopt', show(r));
      assert.ok(!JSON.stringify(r.body).includes('canary'), show(r));
    }
  }
  // libpq's other options stay, a quoted value that merely says "password" too
  for (const opt of ['sslmode=require', "application_name='password=x' connect_timeout=5", "options='-c statement_timeout=0'"]) {
    const r = await operator.post('/api/v1/sources', odbc(`${base};pqopt={${opt}}`));
    assertStatus(r, 201);
    // and changing one to carry a password is refused as well
    const p = await operator.patch(`/api/v1/sources/${r.body.id}`, { settings: { odbc: { connection_string: `${base};pqopt={${opt} password=canary-pw}`, user: 'acd', preset: 'avaya_cms_hsplit' } } });
    assertInvalidField(p, 'odbc.connection_string (pqopt)');
    assert.equal((await viewer.get(`/api/v1/sources/${r.body.id}`)).body.settings.odbc.connection_string, `${base};pqopt={${opt}}`);
  }
  // MariaDB's TLSKEYPWD= (a client key's passphrase) likewise
  const maria = odbcDriver('MariaDB Unicode', 'odbc-mariadb');
  for (const cs of [`Driver={${maria}};Server=127.0.0.1;TLSKEYPWD=canary-pw`, `Driver={${maria}};Server=h; tlskeypwd ={canary;pw}`]) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertInvalidField(r, 'odbc.connection_string (TLSKEYPWD=)');
    assert.equal(r.body.error.params.why_code, 'val.connstr_key_passphrase', show(r));
    assert.equal(r.body.error.hint_code, 'hint.key_passphrase_in_dsn', show(r));
    assert.ok(!JSON.stringify(r.body).includes('canary'), show(r));
  }
  const listed = JSON.stringify((await viewer.get('/api/v1/sources?limit=500')).body);
  assert.ok(!listed.includes('canary'), listed);
});

test('presets are listed for the console', async () => {
  const r = await viewer.get('/api/v1/source-presets');
  assertStatus(r, 200);
  const ids = r.body.items.map((p) => p.id);
  for (const id of ['avaya_cms_hsplit', 'cisco_ucce_call_type_interval', 'asterisk_queue_log']) {
    assert.ok(ids.includes(id), `preset ${id} missing: ${ids}`);
  }
  assert.match(r.body.items[0].sql, /:period_start/);
});

test('viewers cannot change sources; delete removes', async () => {
  const l = await viewer.get('/api/v1/sources');
  const id = l.body.items[0].id;
  assertError(await viewer.patch(`/api/v1/sources/${id}`, { enabled: false }), 403, 'forbidden');
  assertError(await viewer.delete(`/api/v1/sources/${id}`), 403, 'forbidden');
  assertStatus(await operator.delete(`/api/v1/sources/${id}`), 204);
  assertError(await viewer.get(`/api/v1/sources/${id}`), 404, 'not_found');
});
