// Targets: create, read, change and delete WFM connections; settings validated per connector
// with messages naming the field; the secret sealed, write-only and set by admins only; and the
// connection test as a job with one clear message per failure class (DNS, TCP, TLS, 401/403,
// 404, proxy), against real TLS receivers and a real CONNECT proxy.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertError, assertInvalidField, assertStatus, createUser, pw, show, sleep, startWithAdmin,
} from '../lib/api.mjs';
import { login, startDaemon } from '../lib/daemon.mjs';
import { closedPort, makePki, startProxy, startWfm } from '../lib/wfm.mjs';

let d;
let admin;
let operator;
let wfm;
let other;
const record = [];
const SECRET = 'canary-api-key-5f2b9c';

async function testTarget(session, id) {
  const r = await session.post(`/api/v1/targets/${id}/test`);
  assertStatus(r, 202);
  assert.match(r.headers.location, /^\/api\/v1\/jobs\/\d+$/);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = await session.get(r.headers.location);
    if (j.body.state === 'done' || j.body.state === 'failed') {
      assert.equal(j.body.state, 'done', show(j));
      assert.equal(j.body.kind, 'target.test');
      return j.body.result;
    }
    await sleep(50);
  }
  throw new Error('the connection test did not finish');
}

function injixo(name, settings, secret = SECRET) {
  return { name, connector: 'injixo-api', secret, settings: { integration_configuration_id: 4711, ...settings } };
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  await createUser(admin, 'op', 'operator');
  operator = await login(d, 'op', pw('op'), { record });
  admin.record = record;
  wfm = await startWfm({ kind: 'injixo', apiKey: SECRET });
  other = makePki('other');
});

after(async () => {
  const code = d ? await d.stop() : 0;
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(other.dir, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit (sanitizer reports end it with 1):\n${d && d.stderr().slice(-3000)}`);
});

test('create, read, change and delete a target; defaults are filled in', async () => {
  const r = await admin.post('/api/v1/targets', injixo('Cloud WFM', {}));
  assertStatus(r, 201);
  assert.equal(r.headers.location, `/api/v1/targets/${r.body.id}`);
  assert.equal(r.body.secret_set, true);
  assert.ok(!('secret' in r.body));
  assert.deepEqual(r.body.settings, {
    base_url: 'https://api.injixo.com', ca_file: '', external_system: 'acdlink',
    integration_configuration_id: 4711, max_intervals: 50, pin_sha256: '', timeout_seconds: 30,
    use_proxy: true,
  });
  assertError(await admin.post('/api/v1/targets', injixo('cloud wfm', {})), 409, 'conflict');
  const p = await operator.patch(`/api/v1/targets/${r.body.id}`, { enabled: false, name: 'Cloud' });
  assertStatus(p, 200);
  assert.equal(p.body.enabled, false);
  assert.equal(p.body.secret_set, true, 'a change without secret keeps it');
  const list = await operator.get('/api/v1/targets');
  assert.deepEqual(list.body.items.map((t) => t.name), ['Cloud']);
  assertStatus(await operator.delete(`/api/v1/targets/${r.body.id}`), 204);
  assertError(await admin.get(`/api/v1/targets/${r.body.id}`), 404, 'not_found');
});

/** Asserts the 403 of an operator's address or trust setting, naming `field`. */
function assertAdminSetting(res, field) {
  assertError(res, 403, 'forbidden');
  const e = res.body.error;
  assert.equal(e.message, `${field}: a target's address and trust settings are set by admins only`, show(res));
  assert.equal(e.hint_code, 'hint.ask_admin_target_address', show(res));
  assert.equal(e.message_code, 'val.field', show(res));
  assert.deepEqual([e.params.field, e.params.why_code], [field, 'val.target_address_admins'], show(res));
}

test('where a target sends and whom it trusts are set by admins only, at creation and later', async () => {
  const names = async () => (await admin.get('/api/v1/targets?limit=500')).body.items.map((x) => x.name);
  const before = await names();
  // an operator cannot create a network target: the daemon would post (and test) where they say
  assertAdminSetting(await operator.post('/api/v1/targets', { ...injixo('Op cloud', {}), secret: undefined }), 'base_url');
  assertAdminSetting(await operator.post('/api/v1/targets', { ...injixo('Op cloud', { base_url: 'https://api.injixo.com' }), secret: undefined }), 'base_url');
  assertAdminSetting(await operator.post('/api/v1/targets', { name: 'Op json', connector: 'https-json', settings: { url: 'https://collector.example/in' } }), 'url');
  assertAdminSetting(await operator.post('/api/v1/targets', { name: 'Op json', connector: 'https-json', settings: { url: 'https://collector.example/in', ca_file: wfm.pki.caFile } }), 'url');
  assert.deepEqual(await names(), before, 'nothing was created');
  // csv-export stays operator work (its folder is confined to the export roots)
  const files = await operator.post('/api/v1/targets', { name: 'Op files', connector: 'csv-export', settings: { folder: path.join(os.tmpdir(), 'acdlink-op-files') } });
  assertStatus(files, 201);
  assertStatus(await operator.delete(`/api/v1/targets/${files.body.id}`), 204);

  // a target without a secret: its address and trust settings are still the admin's
  const made = await admin.post('/api/v1/targets', { name: 'Keyless', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/in' } });
  assertStatus(made, 201);
  assert.equal(made.body.secret_set, false);
  const p = `/api/v1/targets/${made.body.id}`;
  const stored = made.body.settings;
  const over = (settings) => operator.patch(p, { settings: { ...stored, ...settings } });
  assertAdminSetting(await over({ url: 'https://collector.example/in' }), 'url');
  assertAdminSetting(await over({ ca_pem: wfm.pki.ca }), 'ca_pem');
  assertAdminSetting(await over({ ca_file: wfm.pki.caFile }), 'ca_file');
  assertAdminSetting(await over({ pin_sha256: wfm.pki.pinSha256 }), 'pin_sha256');
  assertAdminSetting(await operator.patch(p, { settings: { url: 'https://collector.example/in' } }), 'url');
  assert.deepEqual((await admin.get(p)).body.settings, stored, 'the refusals changed nothing');
  // the same values sent back (as the console's form does) and everything else stay operator work
  const same = await over({});
  assertStatus(same, 200);
  assert.deepEqual(same.body.settings, stored);
  const other = await over({ timeout_seconds: 45, max_intervals: 200, use_proxy: false, agent_days: 'changes' });
  assertStatus(other, 200);
  assert.deepEqual([other.body.settings.timeout_seconds, other.body.settings.max_intervals, other.body.settings.use_proxy, other.body.settings.agent_days],
    [45, 200, false, 'changes']);
  assertStatus(await operator.patch(p, { name: 'Keyless WFM', enabled: false }), 200);
  // an admin sets and changes them
  const a = await admin.patch(p, { settings: { ...other.body.settings, url: 'https://eu.collector.example/in', ca_pem: wfm.pki.ca, pin_sha256: wfm.pki.pinSha256 } });
  assertStatus(a, 200);
  assert.equal(a.body.settings.url, 'https://eu.collector.example/in');
  assert.equal(a.body.settings.ca_pem, wfm.pki.ca);
  // ... and the operator may send them back unchanged, but not drop them
  assertStatus(await operator.patch(p, { settings: { ...a.body.settings, timeout_seconds: 50 } }), 200);
  const { ca_pem: _pem, ...noPem } = a.body.settings;
  assertAdminSetting(await operator.patch(p, { settings: noPem }), 'ca_pem');
  assertAdminSetting(await operator.patch(p, { settings: { ...a.body.settings, pin_sha256: '' } }), 'pin_sha256');
  assertStatus(await admin.delete(p), 204);

  // a target that holds a secret: moving it would hand the key to that address
  const r = await admin.post('/api/v1/targets', injixo('Addr', {}));
  assertStatus(r, 201);
  const path1 = `/api/v1/targets/${r.body.id}`;
  assertAdminSetting(await operator.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://collector.example' } }), 'base_url');
  assert.equal((await admin.get(path1)).body.settings.base_url, 'https://api.injixo.com');
  // the stored address written another way (a trailing slash) is the same address
  const slash = await operator.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://api.injixo.com/', timeout_seconds: 60 } });
  assertStatus(slash, 200);
  assert.equal(slash.body.settings.timeout_seconds, 60);
  assert.equal(slash.body.secret_set, true);
  const moved = await admin.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://eu.injixo.example' } });
  assertStatus(moved, 200);
  assert.equal(moved.body.settings.base_url, 'https://eu.injixo.example');
  assertStatus(await admin.delete(path1), 204);
});

test('config apply follows the same rule: an operator\'s document cannot set a target\'s address or trust', async () => {
  const base = (await admin.get('/api/v1/config')).body;
  const json = { name: 'Applied', connector: 'https-json', enabled: true, settings: { url: 'https://127.0.0.1:9/applied' } };
  const exists = async () => (await admin.get('/api/v1/targets?limit=500')).body.items.find((x) => x.name === 'Applied');
  // creating a network target through a document is refused to operators, naming it and the field
  const made = await operator.post('/api/v1/config/apply', { config: { ...base, targets: [...base.targets, json] } });
  assertError(made, 409, 'conflict');
  assert.match(made.body.error.message, /^config\.targets\[\d+\]: target 'Applied': url: a target's address and trust settings are set by admins only/, show(made));
  assert.equal(made.body.error.hint, "ask an admin to set or change a target's address or its trust settings");
  assert.equal(await exists(), undefined);
  // an admin applies the same document
  const ok = await admin.post('/api/v1/config/apply', { config: { ...base, targets: [...base.targets, json] } });
  assertStatus(ok, 200);
  assert.ok(ok.body.changes.some((c) => c.kind === 'targets' && c.key === 'Applied' && c.action === 'create'), show(ok));
  // the operator's own export applies unchanged, and other settings change
  const doc = (await operator.get('/api/v1/config')).body;
  const at = doc.targets.findIndex((x) => x.name === 'Applied');
  assertStatus(await operator.post('/api/v1/config/apply', { config: doc }), 200);
  doc.targets[at].settings.timeout_seconds = 40;
  const t = await operator.post('/api/v1/config/apply', { config: doc });
  assertStatus(t, 200);
  assert.equal((await exists()).settings.timeout_seconds, 40);
  for (const [field, value] of [['url', 'https://collector.example/in'], ['ca_pem', wfm.pki.ca], ['pin_sha256', wfm.pki.pinSha256]]) {
    const changed = structuredClone(doc);
    changed.targets[at].settings[field] = value;
    const r = await operator.post('/api/v1/config/apply', { config: changed });
    assertError(r, 409, 'conflict');
    assert.match(r.body.error.message, new RegExp(`^config\\.targets\\[${at}\\]: target 'Applied': ${field}: .*admins only`), show(r));
  }
  assert.equal((await exists()).settings.url, 'https://127.0.0.1:9/applied');
  // the admin's apply changes the address
  const moved = structuredClone(doc);
  moved.targets[at].settings.url = 'https://127.0.0.1:9/moved';
  assertStatus(await admin.post('/api/v1/config/apply', { config: moved }), 200);
  const now = await exists();
  assert.equal(now.settings.url, 'https://127.0.0.1:9/moved');
  assertStatus(await admin.delete(`/api/v1/targets/${now.id}`), 204);
});

test('the secret is write-only, sealed at rest and set by admins only', async () => {
  assertError(await operator.post('/api/v1/targets', injixo('Op', {})), 403, 'forbidden');
  const r = await admin.post('/api/v1/targets', { ...injixo('Op', {}), secret: undefined });
  assertStatus(r, 201);
  assert.equal(r.body.secret_set, false);
  assertError(await operator.patch(`/api/v1/targets/${r.body.id}`, { secret: 'x' }), 403, 'forbidden');
  const s = await admin.patch(`/api/v1/targets/${r.body.id}`, { secret: SECRET });
  assert.equal(s.body.secret_set, true);
  const c = await admin.patch(`/api/v1/targets/${r.body.id}`, { secret: null });
  assert.equal(c.body.secret_set, false);
  assertInvalidField(await admin.patch(`/api/v1/targets/${r.body.id}`, { secret: 'a\nb' }), 'secret');
  await admin.patch(`/api/v1/targets/${r.body.id}`, { secret: SECRET });
  for (const res of record) {
    assert.ok(!res.text.includes(SECRET), `the secret appears in ${res.method} ${res.path}`);
  }
  for (const f of fs.readdirSync(d.dataDir)) {
    const p = path.join(d.dataDir, f);
    if (fs.statSync(p).isFile()) {
      assert.ok(!fs.readFileSync(p).includes(SECRET), `the secret is in plain text in ${f}`);
    }
  }
  assert.ok(!d.stderr().includes(SECRET), 'the secret is in the log');
  await admin.delete(`/api/v1/targets/${r.body.id}`);
});

test('settings are validated per connector, naming the field', async () => {
  const bad = [
    [{ name: 'x', connector: 'ftp', settings: {} }, 'connector'],
    [injixo('x', { integration_configuration_id: 0 }), 'integration_configuration_id'],
    [injixo('x', { base_url: 'http://api.example' }), 'base_url'],
    [injixo('x', { ca_file: '/nonexistent/ca.pem' }), 'ca_file'],
    [injixo('x', { pin_sha256: 'abc' }), 'pin_sha256'],
    [injixo('x', { timeout_seconds: 0 }), 'timeout_seconds'],
    [injixo('x', { unknown: 1 }), 'unknown'],
    [{ name: 'x', connector: 'https-json', settings: {} }, 'url'],
    [{ name: 'x', connector: 'https-json', settings: { url: 'https://h/x', max_intervals: 0 } }, 'max_intervals'],
    [{ name: 'x', connector: 'csv-export', settings: {} }, 'folder'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', date_format: 'dd/MM/yyyy' } }, 'date_format'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', time_format: 'hh:mi' } }, 'time_format'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: ';;' } }, 'separator'],
    // a letter would split the default headers (AgentID with separator A)
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: 'A' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: 'e' } }, 'separator'],
    // a separator inside a written date, time or value would split its cell (nothing quotes them):
    // 24/11/2026 with '/', 08:15 with ':', 2.50 with '.', -3 with '-'
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '/' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: ':', date_format: 'yyyy-mm-dd' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '.', decimals: 2 } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '-', agent_date_format: 'dd/mm/yyyy' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '/', date_format: 'yyyy-mm-dd', agent_date_format: 'dd/mm/yyyy' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '.', date_format: 'dd.mm.yyyy' } }, 'separator'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', file_prefix: '../x' } }, 'file_prefix'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', columns: [{ header: 'A;B', value: 'queue' }] } }, 'columns[0]'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', columns: [] } }, 'columns'],
    [{ name: '', connector: 'csv-export', settings: { folder: '/tmp' } }, 'name'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', agent_columns: [{ header: 'A', value: 'queue' }] } }, 'agent_columns[0]'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', agent_time_zone: 'Mars/Base' } }, 'agent_time_zone'],
    [{ name: 'x', connector: 'csv-export', settings: { folder: '/tmp', agent_date_format: 'q' } }, 'agent_date_format'],
  ];
  for (const [body, field] of bad) {
    assertInvalidField(await admin.post('/api/v1/targets', body), field);
  }
  // the same characters where nothing written holds them stay allowed
  for (const settings of [{ separator: '.', date_format: 'dd/mm/yyyy', agent_date_format: 'yyyy-mm-dd' },
    { separator: '/', date_format: 'dd.mm.yyyy', agent_date_format: 'yyyy-mm-dd', decimals: 1 }]) {
    const ok = await admin.post('/api/v1/targets', { name: 'sep ok', connector: 'csv-export', settings: { folder: '/tmp', ...settings } });
    assertStatus(ok, 201);
    await admin.delete(`/api/v1/targets/${ok.body.id}`);
  }
  const mixed = await admin.post('/api/v1/targets', { name: 'x', connector: 'csv-export', settings: { folder: '/tmp', separator: '/' } });
  assert.match(mixed.body.error.message, /^separator: '\/' is in what date_format writes \(31\/12\/2026\)/, show(mixed));
  assert.equal(mixed.body.error.params.why_code, 'val.export_separator_in_format', show(mixed));
  const csv = await admin.post('/api/v1/targets', { name: 'Files', connector: 'csv-export', settings: { folder: '/tmp/x' } });
  assertStatus(csv, 201);
  assert.deepEqual(csv.body.settings.columns.map((c) => c.header), ['Queue', 'Date', 'Time', 'IncomingCalls', 'AnsweredCalls', 'AHT']);
  assert.equal(csv.body.settings.date_format, 'dd/mm/yyyy');
  assert.equal(csv.body.settings.time_format, 'hh:mm');
  assert.deepEqual(csv.body.settings.agent_columns.map((c) => c.header),
    ['StartDate', 'StartTime', 'EndDate', 'EndTime', 'AgentID', 'AgentActivityID']);
  assert.equal(csv.body.settings.agent_time_zone, 'UTC');
  assertInvalidField(await admin.patch(`/api/v1/targets/${csv.body.id}`, { settings: { folder: '' } }), 'folder');
  assertInvalidField(await admin.patch(`/api/v1/targets/${csv.body.id}`, { connector: 'https-json' }), 'connector');
  await admin.delete(`/api/v1/targets/${csv.body.id}`);
});

test('connection test: a reachable WFM with the right key and CA', async () => {
  const t = (await admin.post('/api/v1/targets', injixo('Good', { base_url: wfm.baseUrl, ca_file: wfm.pki.caFile }))).body;
  const res = await testTarget(operator, t.id);
  assert.deepEqual(res, {
    ok: true, failure: null, status: 200, message: 'Connected: the server answered 200.',
    code: 'conn.ok', params: { status: 200, answer: res.params.answer },
  });
  const pinned = await admin.patch(`/api/v1/targets/${t.id}`, { settings: { integration_configuration_id: 4711, base_url: wfm.baseUrl, ca_file: wfm.pki.caFile, pin_sha256: wfm.pki.pinSha256 } });
  assertStatus(pinned, 200);
  assert.equal((await testTarget(admin, t.id)).ok, true, 'the pinned certificate matches');
  await admin.patch(`/api/v1/targets/${t.id}`, { settings: { integration_configuration_id: 4711, base_url: wfm.baseUrl, ca_file: wfm.pki.caFile, pin_sha256: other.pinSha256 } });
  const wrongPin = await testTarget(admin, t.id);
  assert.equal(wrongPin.failure, 'tls');
  assert.match(wrongPin.message, /not the pinned certificate/);
  assert.equal(wfm.batches.size, 0, 'a connection test stores nothing');
});

test('connection test: one clear message per failure class', async () => {
  const port = await closedPort();
  // the detail's own code (and its cause's), so the console words the whole message
  const cases = [
    ['DNS', { base_url: 'https://wfm.invalid' }, 'dns', /^DNS: .*wfm\.invalid/, ['net.no_resolve', 'net.no_such_host']],
    ['TCP', { base_url: `https://127.0.0.1:${port}` }, 'tcp', /^TCP: connecting to 127\.0\.0\.1 port \d+ failed: Connection refused/, ['net.connect_failed', 'net.refused']],
    ['TLS', { base_url: wfm.baseUrl }, 'tls', /^TLS: the server's certificate was refused: (self-signed|unable to get local issuer)/, ['tls.untrusted']],
    ['TLS other CA', { base_url: wfm.baseUrl, ca_file: other.caFile }, 'tls', /^TLS: the server's certificate was refused/, ['tls.untrusted']],
    ['Not found', { base_url: `${wfm.baseUrl}/v2`, ca_file: wfm.pki.caFile }, 'not_found', /^Not found: the server answered 404/, []],
  ];
  for (const [name, settings, failure, message, detailCodes] of cases) {
    const t = (await admin.post('/api/v1/targets', injixo(name, settings))).body;
    const res = await testTarget(admin, t.id);
    assert.equal(res.ok, false, `${name}: ${JSON.stringify(res)}`);
    assert.equal(res.failure, failure, `${name}: ${JSON.stringify(res)}`);
    assert.match(res.message, message, name);
    assert.equal(res.code, `conn.${failure}`, `${name}: the message code names the failure class`);
    if (failure !== 'not_found') {
      assert.ok(res.params.detail && res.message.includes(res.params.detail), `${name}: ${JSON.stringify(res)}`);
      assert.deepEqual([res.params.detail_code, res.params.detail_params?.why_code].filter(Boolean), detailCodes,
        `${name}: ${JSON.stringify(res.params)}`);
    }
  }
  const auth = (await admin.post('/api/v1/targets', injixo('Auth', { base_url: wfm.baseUrl, ca_file: wfm.pki.caFile }, 'wrong-key'))).body;
  const res = await testTarget(admin, auth.id);
  assert.equal(res.failure, 'auth');
  assert.equal(res.status, 401);
  assert.match(res.message, /^Authentication: the server answered 401\. Check the API key/);
  assert.equal(res.code, 'conn.auth');
  assert.equal(res.params.status, 401);
  assertError(await admin.post('/api/v1/targets/9999/test'), 404, 'not_found');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-probe-'));
  const csv = (await admin.post('/api/v1/targets', { name: 'Folder', connector: 'csv-export', settings: { folder } })).body;
  assert.deepEqual(await testTarget(admin, csv.id), {
    ok: true, failure: null, status: null, message: `Folder: ${fs.realpathSync(folder)} exists and is writable.`,
    code: 'conn.folder_ok', params: { folder: fs.realpathSync(folder) },
  });
  assert.deepEqual(fs.readdirSync(folder), [], 'the probe file is removed');
  fs.rmSync(folder, { recursive: true, force: true });
});

test('https_proxy: the connection goes through CONNECT, a dead proxy is named, use_proxy false goes direct', async () => {
  const proxy = await startProxy();
  const dead = await closedPort();
  const p = await startDaemon({ env: { https_proxy: proxy.url }, users: [{ name: 'root', role: 'admin', password: 'root-Passw0rd-long-enough' }] });
  const q = await startDaemon({ env: { https_proxy: `http://127.0.0.1:${dead}` }, users: [{ name: 'root', role: 'admin', password: 'root-Passw0rd-long-enough' }] });
  try {
    for (const [daemon, ok] of [[p, true], [q, false]]) {
      const s = await login(daemon, 'root', 'root-Passw0rd-long-enough');
      const t = (await s.post('/api/v1/targets', injixo('Proxied', { base_url: wfm.baseUrl, ca_file: wfm.pki.caFile }))).body;
      const res = await testTarget(s, t.id);
      if (ok) {
        assert.equal(res.ok, true, JSON.stringify(res));
        assert.deepEqual(proxy.tunnels, [`localhost:${wfm.port}`]);
      } else {
        assert.equal(res.failure, 'proxy', JSON.stringify(res));
        assert.match(res.message, /^Proxy: the proxy: connecting to 127\.0\.0\.1 port \d+ failed.*Check https_proxy/);
      }
      // use_proxy false: straight to the WFM, whatever https_proxy says
      const direct = await s.patch(`/api/v1/targets/${t.id}`, { settings: { ...t.settings, use_proxy: false } });
      assertStatus(direct, 200);
      assert.equal(direct.body.settings.use_proxy, false);
      const dres = await testTarget(s, t.id);
      assert.equal(dres.ok, true, JSON.stringify(dres));
      assert.deepEqual(proxy.tunnels, [`localhost:${wfm.port}`], 'no tunnel for a direct target');
      assertInvalidField(await s.patch(`/api/v1/targets/${t.id}`, { settings: { ...t.settings, use_proxy: 'no' } }), 'use_proxy');
    }
  } finally {
    await p.stop();
    await q.stop();
    await proxy.close();
  }
});

// A receiver that writes the request's Authorization header into its answer (a debugging proxy,
// an API that quotes the key it refused): the answer is shown to operators (connection test)
// and to viewers (delivery attempts), so the key never appears in it, whole or cut off.
test('a server that echoes the API key in its answer: the key is not shown in the connection test', async () => {
  const pki = makePki('echo');
  const secret = 'echo-canary-key-0123456789abcdef';
  // the daemon keeps the first 2,047 bytes of an answer: this one is cut inside the key
  const UPLOAD_ANSWER_CUT = 2047 - 'Bearer '.length - 8;
  const bodies = [(auth) => ({ error: `invalid key: ${auth}` }), (auth) => `${'x'.repeat(UPLOAD_ANSWER_CUT)}${auth}`];
  let shape = 0;
  const server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const b = bodies[shape](req.headers.authorization || '');
      const text = typeof b === 'string' ? b : JSON.stringify(b);
      res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const t = await admin.post('/api/v1/targets', {
      name: 'Echo', connector: 'https-json', secret,
      settings: { url: `https://127.0.0.1:${server.address().port}/wfm/batches`, ca_file: pki.caFile },
    });
    assertStatus(t, 201);
    for (shape = 0; shape < bodies.length; shape++) {
      const res = await testTarget(operator, t.body.id);
      assert.equal(res.ok, false, JSON.stringify(res));
      assert.equal(res.status, 400, JSON.stringify(res));
      const shown = JSON.stringify(res);
      assert.ok(!shown.includes(secret.slice(0, 8)), shown);
      assert.match(shown, shape === 0 ? /invalid key: Bearer \*\*\*/ : /xxxx/, shown);
    }
    await admin.delete(`/api/v1/targets/${t.body.id}`);
  } finally {
    server.close();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  }
});

// Teams workflows ("when a webhook request is received") and other receivers take their
// signature in the query: such an address is longer than 200 characters and must be taken
// whole, by https-json targets and by alert webhooks alike.
test('a long address (a Teams workflow\'s, over 200 characters) is taken whole', async () => {
  const pki = makePki('long');
  const query = `?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${'AbCdEfGhIj'.repeat(5)}`;
  const longPath = `/workflows/${'0123456789abcdef'.repeat(2)}/triggers/manual/paths/invoke${query}`;
  const seen = [];
  const server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    seen.push(req.url);
    req.resume();
    req.on('end', () => res.writeHead(202, { 'Content-Length': '0' }).end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `https://127.0.0.1:${server.address().port}${longPath}`;
    assert.ok(url.length > 200, String(url.length));
    const t = await admin.post('/api/v1/targets', { name: 'Long', connector: 'https-json', settings: { url, ca_file: pki.caFile } });
    assertStatus(t, 201);
    assert.equal(t.body.settings.url, url);
    const res = await testTarget(operator, t.body.id);
    assert.equal(res.ok, true, JSON.stringify(res));
    assert.deepEqual(seen, [longPath]);
    const ch = await admin.post('/api/v1/alerts/channels', { name: 'Teams long', kind: 'webhook', settings: { url, format: 'teams', ca_file: pki.caFile } });
    assertStatus(ch, 201);
    assert.equal(ch.body.settings.url, url);
    await admin.delete(`/api/v1/alerts/channels/${ch.body.id}`);
    await admin.delete(`/api/v1/targets/${t.body.id}`);
    // the limit is a limit all the same
    const tooLong = await admin.post('/api/v1/targets', { name: 'Too long', connector: 'https-json', settings: { url: `${url}&x=${'y'.repeat(1000)}` } });
    assertInvalidField(tooLong, 'url');
  } finally {
    server.close();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  }
});

// A receiver that signs its address (Azure Functions' ?code=, a Logic App's or Teams workflow's
// &sig=) takes the query as its credential: only admins see it. Others see the address with
// its query as "?***", and sending that back (the console's form, an exported document applied)
// keeps the stored address.
test('the query of a target\'s address is shown to admins only', async () => {
  await createUser(admin, 'view', 'viewer');
  const viewer = await login(d, 'view', pw('view'));
  const url = 'https://wfm.example/api/batches?code=sig-canary-0123456789&x=1';
  const t = await admin.post('/api/v1/targets', { name: 'Signed', connector: 'https-json', settings: { url } });
  assertStatus(t, 201);
  assert.equal(t.body.settings.url, url);
  for (const who of [viewer, operator]) {
    const one = await who.get(`/api/v1/targets/${t.body.id}`);
    assert.equal(one.body.settings.url, 'https://wfm.example/api/batches?***', show(one));
    for (const p of ['/api/v1/targets', '/api/v1/config']) {
      const all = await who.get(p);
      assertStatus(all, 200);
      assert.ok(!JSON.stringify(all.body).includes('sig-canary'), show(all));
    }
  }
  // the operator's form sends the settings back as shown, with a change of its own
  const shown = (await operator.get(`/api/v1/targets/${t.body.id}`)).body.settings;
  const p = await operator.patch(`/api/v1/targets/${t.body.id}`, { settings: { ...shown, timeout_seconds: 45 } });
  assertStatus(p, 200);
  assert.equal(p.body.settings.url, 'https://wfm.example/api/batches?***');
  assert.ok(!JSON.stringify(p.body).includes('sig-canary'), show(p));
  const full = (await admin.get(`/api/v1/targets/${t.body.id}`)).body.settings;
  assert.equal(full.url, url);
  assert.equal(full.timeout_seconds, 45);
  // another query is another address: an admin's
  const q = await operator.patch(`/api/v1/targets/${t.body.id}`, { settings: { ...shown, url: 'https://wfm.example/api/batches?code=mine' } });
  assertError(q, 403, 'forbidden');
  // an operator's exported document applied back changes nothing
  const doc = (await operator.get('/api/v1/config')).body;
  const applied = await operator.post('/api/v1/config/apply', { config: { acdlink_config: doc.acdlink_config, targets: doc.targets } });
  assertStatus(applied, 200);
  assert.equal((await admin.get(`/api/v1/targets/${t.body.id}`)).body.settings.url, url);
  // the audit log keeps no signed address either
  const audit = await admin.get('/api/v1/audit?limit=50');
  assert.ok(!JSON.stringify(audit.body).includes('sig-canary'), show(audit));
  await admin.delete(`/api/v1/targets/${t.body.id}`);
});
