// Targets: create, read, change and delete WFM connections; settings validated per connector
// with messages naming the field; the secret sealed, write-only and set by admins only; and the
// connection test as a job with one clear message per failure class (DNS, TCP, TLS, 401/403,
// 404, proxy), against real TLS receivers and a real CONNECT proxy.

import assert from 'node:assert/strict';
import fs from 'node:fs';
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

test('where a target that holds a secret sends is changed by admins only', async () => {
  const r = await admin.post('/api/v1/targets', injixo('Addr', {}));
  assertStatus(r, 201);
  const path1 = `/api/v1/targets/${r.body.id}`;
  // an operator pointing it at another address would have the daemon send the API key there
  const moved = await operator.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://collector.example' } });
  assertError(moved, 403, 'forbidden');
  assert.match(JSON.stringify(moved.body), /admin/);
  assert.equal((await admin.get(path1)).body.settings.base_url, 'https://api.injixo.com');
  // other settings stay operator work, and so does the address of a target without a secret
  const t = await operator.patch(path1, { settings: { integration_configuration_id: 4711, timeout_seconds: 60 } });
  assertStatus(t, 200);
  assert.equal(t.body.settings.timeout_seconds, 60);
  const a = await admin.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://eu.injixo.example' } });
  assertStatus(a, 200);
  assert.equal(a.body.settings.base_url, 'https://eu.injixo.example');
  assertStatus(await admin.patch(path1, { secret: null }), 200);
  const o = await operator.patch(path1, { settings: { integration_configuration_id: 4711, base_url: 'https://other.injixo.example' } });
  assertStatus(o, 200);
  assert.equal(o.body.secret_set, false);
  assertStatus(await admin.delete(path1), 204);
});

test('the secret is write-only, sealed at rest and set by admins only', async () => {
  assertError(await operator.post('/api/v1/targets', injixo('Op', {})), 403, 'forbidden');
  const r = await operator.post('/api/v1/targets', { ...injixo('Op', {}), secret: undefined });
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
