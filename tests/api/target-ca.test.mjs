// A target's CA certificate: a file named in ca_file is a privilege like a source folder. It
// is set by admins only (like the target's address and ca_pem: an operator's try is refused
// before the file is looked at), and even an admin's must lie inside the import roots (links
// resolved, never the data folder); it is read the way source files are (no link out of the
// roots, regular files only) when saved and again when sending, and must hold certificates
// only. ca_pem takes the certificate as text, checked at save, so no path is needed at all. ODBC sources: database files inside the import roots, and
// drivers only by the names registered with the driver manager, never a library file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertError, assertInvalidField, assertStatus, createUser, odbcDriver, pw, show, sleep, startWithAdmin,
} from '../lib/api.mjs';
import { TEST_ROOT, login, makeTempDir } from '../lib/daemon.mjs';
import { startWfm } from '../lib/wfm.mjs';

let d;
let admin;
let operator;
let wfm;
let folder;
const SECRET = 'ca-test-api-key';

function target(name, settings, connector = 'injixo-api') {
  return connector === 'injixo-api'
    ? { name, connector, settings: { integration_configuration_id: 4711, base_url: wfm.baseUrl, ...settings } }
    : { name, connector, settings: { url: `${wfm.baseUrl}/batches`, ...settings } };
}

/** The API key is set by an admin, as are the address and the CA (operators test targets). */
async function setKey(id) {
  assertStatus(await admin.patch(`/api/v1/targets/${id}`, { secret: SECRET }), 200);
}

async function connectionTest(session, id) {
  const r = await session.post(`/api/v1/targets/${id}/test`);
  assertStatus(r, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the job ends
    const j = await session.get(r.headers.location);
    if (j.body.state === 'done' || j.body.state === 'failed') {
      assert.equal(j.body.state, 'done', show(j));
      return j.body.result;
    }
    await sleep(50);
  }
  throw new Error('the connection test did not finish');
}

/** Asserts a 422 naming ca_file, the import roots and why. */
function assertRefused(res, why) {
  assertInvalidField(res, 'ca_file');
  const text = `${res.body.error.message} ${res.body.error.hint || ''}`;
  assert.match(text, /import_roots/, show(res));
  assert.ok(text.includes(TEST_ROOT), `the allowed roots are listed: ${show(res)}`);
  assert.match(text, why, show(res));
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  await createUser(admin, 'ca-op', 'operator');
  operator = await login(d, 'ca-op', pw('ca-op'));
  wfm = await startWfm({ kind: 'injixo', apiKey: SECRET });
  folder = await makeTempDir('acdlink-ca-');
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, d && d.stderr().slice(-3000));
});

test('ca_file outside the import roots or in the data folder is refused, naming the roots', async () => {
  const key = path.join(d.dataDir, 'secret.key');
  assert.ok(fs.existsSync(key), 'the data folder holds the key file');
  for (const connector of ['injixo-api', 'https-json']) {
    // an operator names no file at all: refused before it is looked at
    const op = await operator.post('/api/v1/targets', target('Key', { ca_file: key }, connector));
    assertError(op, 403, 'forbidden');
    assert.equal(op.body.error.hint_code, 'hint.ask_admin_target_address', show(op));
    assertRefused(await admin.post('/api/v1/targets', target('Key', { ca_file: key }, connector)),
      /data folder/);
    assertRefused(await admin.post('/api/v1/targets', target('Shadow', { ca_file: '/etc/shadow' }, connector)),
      /outside the allowed folders/);
  }
  // a link inside the roots that leads to the key file is judged by where it leads
  const link = path.join(folder, 'ca-link.pem');
  fs.symlinkSync(key, link);
  assertRefused(await admin.post('/api/v1/targets', target('Link', { ca_file: link })), /data folder/);
  // a changed target is checked the same way
  const ok = await admin.post('/api/v1/targets', target('Allowed', { ca_file: wfm.pki.caFile }));
  assertStatus(ok, 201);
  assertRefused(await admin.patch(`/api/v1/targets/${ok.body.id}`,
    { settings: { integration_configuration_id: 4711, base_url: wfm.baseUrl, ca_file: '/etc/shadow' } }), /outside/);
  const list = await operator.get('/api/v1/targets?limit=500');
  assert.ok(!list.body.items.some((t) => ['Key', 'Shadow', 'Link'].includes(t.name)), 'nothing refused was stored');
  await admin.delete(`/api/v1/targets/${ok.body.id}`);
});

test('ca_file inside the roots must hold certificates only; nothing of a refused file is shown', async () => {
  const keyFile = path.join(folder, 'server.key');
  fs.writeFileSync(keyFile, wfm.pki.key);
  const r = await admin.post('/api/v1/targets', target('Private key', { ca_file: keyFile }));
  assertInvalidField(r, 'ca_file');
  assert.match(r.body.error.message, /PRIVATE KEY, not a CERTIFICATE/, show(r));
  assert.ok(!JSON.stringify(r.body).includes(wfm.pki.key.split('\n')[1]), 'the file is not echoed');
  fs.writeFileSync(path.join(folder, 'text.pem'), 'root:x:0:0:root:/root:/bin/bash\n');
  const t = await admin.post('/api/v1/targets', target('Text', { ca_file: path.join(folder, 'text.pem') }));
  assertInvalidField(t, 'ca_file');
  assert.match(t.body.error.message, /no PEM certificate/, show(t));
  assert.ok(!JSON.stringify(t.body).includes('/bin/bash'), 'the file is not echoed');
  assertInvalidField(await admin.post('/api/v1/targets', target('Missing', { ca_file: path.join(folder, 'none.pem') })),
    'ca_file');
});

test('an allowed ca_file works; swapped for a link out of the roots after saving, it is not read', async () => {
  const ca = path.join(folder, 'wfm-ca.pem');
  fs.copyFileSync(wfm.pki.caFile, ca);
  const t = await admin.post('/api/v1/targets', target('CA file', { ca_file: ca }));
  assertStatus(t, 201);
  assert.equal(t.body.settings.ca_file, ca);
  assert.equal(t.body.settings.ca_pem, undefined);
  await setKey(t.body.id);
  const good = await connectionTest(operator, t.body.id);
  const { params: goodParams, ...goodRest } = good;
  assert.deepEqual(goodRest, { ok: true, failure: null, status: 200, message: 'Connected: the server answered 200.', code: 'conn.ok' });
  assert.equal(goodParams.status, 200);

  fs.rmSync(ca);
  fs.symlinkSync(path.join(d.dataDir, 'secret.key'), ca);
  const swapped = await connectionTest(operator, t.body.id);
  assert.equal(swapped.ok, false, JSON.stringify(swapped));
  assert.equal(swapped.failure, 'settings', JSON.stringify(swapped));
  assert.match(swapped.message, /^Settings: the CA file \(ca_file\) .*wfm-ca\.pem.*data folder/, swapped.message);
  await admin.delete(`/api/v1/targets/${t.body.id}`);
});

test('ca_pem: the CA certificate as text, checked at save and used to verify the WFM', async () => {
  for (const connector of ['injixo-api', 'https-json']) {
    const t = await admin.post('/api/v1/targets', target(`PEM ${connector}`, { ca_pem: wfm.pki.ca }, connector));
    assertStatus(t, 201);
    assert.equal(t.body.settings.ca_pem, wfm.pki.ca);
    assert.equal(t.body.settings.ca_file, '');
    await setKey(t.body.id);
    const res = await connectionTest(operator, t.body.id);
    if (connector === 'injixo-api') {
      const { params, ...rest } = res;
      assert.deepEqual(rest, { ok: true, failure: null, status: 200, message: 'Connected: the server answered 200.', code: 'conn.ok' });
      assert.equal(params.status, 200);
    } else {
      assert.notEqual(res.failure, 'tls', `the certificate is trusted: ${JSON.stringify(res)}`);
    }
    await admin.delete(`/api/v1/targets/${t.body.id}`);
  }
  const bad = [
    [{ ca_pem: 'not a certificate' }, /ca_pem: holds no PEM certificate/],
    [{ ca_pem: wfm.pki.key }, /ca_pem: block 1 is a PRIVATE KEY/],
    [{ ca_pem: `${wfm.pki.ca}${wfm.pki.key}` }, /ca_pem: block 2 is a PRIVATE KEY/],
    [{ ca_pem: wfm.pki.ca.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!') }, /ca_pem: /],
    [{ ca_pem: wfm.pki.ca, ca_file: wfm.pki.caFile }, /either as text \(ca_pem\) or as a file \(ca_file\), not both/],
  ];
  for (const [settings, message] of bad) {
    const r = await admin.post('/api/v1/targets', target('Bad PEM', settings));
    assertInvalidField(r, 'ca_pem');
    assert.match(r.body.error.message, message, show(r));
  }
  // a chain of two certificates is taken
  const chain = await admin.post('/api/v1/targets', target('Chain', { ca_pem: `${wfm.pki.ca}${wfm.pki.cert}` }));
  assertStatus(chain, 201);
  await admin.delete(`/api/v1/targets/${chain.body.id}`);
});

test('ODBC connection strings: database files only inside the import roots, no file DSNs', async () => {
  const odbc = (cs) => ({
    name: `ODBC ${Math.random()}`, kind: 'odbc', time_zone: 'UTC',
    settings: { odbc: { connection_string: cs, sql: 'SELECT 1 WHERE :period_start < :period_end' } },
  });
  // the daemon's own database, read through the SQLite ODBC driver, or any file of the machine
  for (const [cs, why] of [
    [`Driver=SQLite3;Database=${path.join(d.dataDir, 'acdlink.db')}`, /data folder/],
    ['Driver=SQLite3;Database=/etc/shadow', /outside the allowed folders/],
    ['Driver=SQLite;DBQ=/etc/passwd', /outside the allowed folders/],
  ]) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertInvalidField(r, 'odbc.connection_string');
    assert.match(r.body.error.message, why, show(r));
    assert.match(r.body.error.message, /import_roots/, show(r));
  }
  for (const cs of ['FILEDSN=/etc/odbc-file.dsn', 'Driver=SQLite3;SAVEFILE=/tmp/x.dsn']) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertInvalidField(r, 'odbc.connection_string');
    assert.match(r.body.error.message, /FILEDSN= and SAVEFILE=/, show(r));
  }
  // a database file inside the roots, and names that are not paths, are taken
  for (const cs of [`Driver=SQLite3;Database=${path.join(folder, 'acd.sqlite')}`, 'Driver={PostgreSQL Unicode};Server=db;Database=acd']) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertStatus(r, 201);
    await admin.delete(`/api/v1/sources/${r.body.id}`);
  }
});

test('ODBC drivers: only drivers registered by name; a library path, an unknown name or LoadExt= is refused, also at run time', async () => {
  const odbc = (cs) => ({
    name: `ODBC ${Math.random()}`, kind: 'odbc', time_zone: 'UTC',
    settings: { odbc: { connection_string: cs, sql: 'SELECT 1 WHERE :period_start < :period_end' } },
  });
  const registered = odbcDriver('SQLite3', 'libsqliteodbc');
  // a working driver library copied into the import folder: loading it would let the run succeed
  const lib = ['/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so', '/usr/lib/aarch64-linux-gnu/odbc/libsqlite3odbc.so']
    .find((p) => fs.existsSync(p));
  const evil = path.join(folder, 'evil.so');
  fs.copyFileSync(lib, evil);
  const db = path.join(folder, 'drv.sqlite');
  for (const [cs, why] of [
    [`Driver=${evil};Database=${db}`, /names a library file/],
    [`Driver={${lib}};Database=${db}`, /names a library file/],
    ['Driver=evil.so;Database=d', /names a library file/],
    ['Driver=C:\\Temp\\evil.dll;Database=d', /names a library file/],
    ['Driver=libsqlite3odbc.so.0;Database=d', /names a library file/],
    ['Driver={No Such Driver};Database=d', /is not a registered ODBC driver/],
  ]) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertInvalidField(r, 'odbc.connection_string (Driver=)');
    assert.match(r.body.error.message, why, show(r));
    assert.match(r.body.error.message, new RegExp(`installed here: .*\\b${registered}\\b`), show(r));
    assert.match(r.body.error.hint, /odbcinst -q -d/, show(r));
  }
  const ext = await operator.post('/api/v1/sources', odbc(`Driver=${registered};Database=${db};LoadExt=${evil}`));
  assertInvalidField(ext, 'odbc.connection_string');
  assert.match(ext.body.error.message, /LoadExt= loads a library/, show(ext));
  // registered names are taken in any case, braced or not; a DSN is the administrator's
  for (const cs of [`Driver=${registered.toLowerCase()};Database=${db}`, `Driver={${registered}};Database=${db}`, 'DSN=acd']) {
    const r = await operator.post('/api/v1/sources', odbc(cs));
    assertStatus(r, 201);
    await admin.delete(`/api/v1/sources/${r.body.id}`);
  }
  // a library path that reached the database some other way is refused when the run connects
  const ok = await operator.post('/api/v1/sources', odbc(`Driver=${registered};Database=${db}`));
  assertStatus(ok, 201);
  const settings = JSON.stringify({ ...ok.body.settings, odbc: { ...ok.body.settings.odbc, connection_string: `Driver=${evil};Database=${db}` } });
  const upd = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(d.dataDir, 'acdlink.db'),
    `UPDATE sources SET settings = '${settings.replace(/'/g, "''")}' WHERE id = ${ok.body.id};`], { encoding: 'utf8' });
  assert.equal(upd.status, 0, upd.stderr);
  const run = await operator.post('/api/v1/runs', { source_id: ok.body.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(run, 202);
  let got;
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) { // polls until the run ends
    got = (await operator.get(`/api/v1/runs/${run.body.id}`)).body;
    if (['done', 'failed', 'cancelled'].includes(got.state)) {
      break;
    }
    await sleep(100);
  }
  assert.equal(got.state, 'failed', JSON.stringify(got));
  const log = await operator.get(`/api/v1/runs/${run.body.id}/log`);
  assertStatus(log, 200);
  assert.match(JSON.stringify(log.body), /odbc\.connection_string \(Driver=\): .*names a library file/);
  await admin.delete(`/api/v1/sources/${ok.body.id}`);
});
