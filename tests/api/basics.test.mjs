// Health, 401 on every protected route, error envelope, 404/405, OPTIONS, headers, body rules.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, client, rawRequest } from '../lib/daemon.mjs';
import {
  CONTRACT_ROUTES, ROOT, assertError, assertStatus, fillPath, routeTable, sampleBody, show,
  startWithAdmin, pw,
} from '../lib/api.mjs';

let d;
let admin;
let anon;
let table;
let userIds;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  anon = client(d);
  table = await routeTable(admin);
  const me = await admin.get('/api/v1/auth/session');
  userIds = { '/api/v1/users/': me.body.user.id };
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

/** Contract routes plus whatever the daemon lists, de-duplicated. */
function allRoutes() {
  const seen = new Map();
  for (const r of [...CONTRACT_ROUTES, ...table]) {
    seen.set(`${r.method} ${r.path}`, r);
  }
  return [...seen.values()];
}

function assertSecurityHeaders(res, { api }) {
  const h = res.headers;
  assert.equal(h['x-content-type-options'], 'nosniff', `X-Content-Type-Options: ${show(res)}`);
  assert.equal(h['referrer-policy'], 'no-referrer', `Referrer-Policy: ${show(res)}`);
  const csp = h['content-security-policy'] || '';
  assert.match(csp, /default-src 'self'/, `CSP default-src on ${res.method} ${res.path}: '${csp}'`);
  assert.match(csp, /frame-ancestors 'none'/, `CSP frame-ancestors on ${res.method} ${res.path}: '${csp}'`);
  if (api) {
    assert.match(String(h['cache-control'] || ''), /no-store/, `Cache-Control on ${res.method} ${res.path}`);
  }
}

test('GET /api/v1/health answers without credentials', async () => {
  const r = await anon.get('/api/v1/health');
  assertStatus(r, 200);
  assert.equal(r.body.status, 'ok', show(r));
  assert.equal(typeof r.body.version, 'string', show(r));
  assert.ok(Number.isInteger(r.body.uptime_s) && r.body.uptime_s >= 0, show(r));
  assert.equal(r.body.db, 'ok', show(r));
  assert.match(String(r.headers['content-type']), /^application\/json/, show(r));
});

test('the route table contains every contract route with its role', () => {
  const listed = new Map(table.map((e) => [`${e.method} ${e.path}`, e]));
  for (const r of CONTRACT_ROUTES) {
    const e = listed.get(`${r.method} ${r.path}`);
    assert.ok(e, `route ${r.method} ${r.path} missing from GET /api/v1/endpoints`);
    assert.equal(e.role, r.role, `role of ${r.method} ${r.path}`);
    assert.ok(Number.isInteger(e.body_limit) && e.body_limit >= 0, `body_limit of ${r.method} ${r.path}`);
  }
});

test('401 unauthorized without credentials on every non-public route', async () => {
  const failures = [];
  for (const r of allRoutes()) {
    if (r.role === 'public') {
      continue;
    }
    const p = fillPath(r.path, userIds);
    const res = await anon.request(r.method, p, { json: sampleBody(r.method, r.path, 'anon') });
    if (res.status !== 401 || res.body?.error?.code !== 'unauthorized') {
      failures.push(show(res));
    }
  }
  assert.deepEqual(failures, [], 'routes that did not answer 401 unauthorized');
});

test('401 with a bogus bearer token or a bogus session cookie on every non-public route', async () => {
  const fakeToken = bearer(d, 'acdl_thisIsNotARealTokenSecret0123456789');
  const fakeCookie = client(d);
  fakeCookie.jar.set('__Host-acdlink_session', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const failures = [];
  for (const r of allRoutes()) {
    if (r.role === 'public') {
      continue;
    }
    const p = fillPath(r.path, userIds);
    for (const c of [fakeToken, fakeCookie]) {
      const res = await c.request(r.method, p, {
        json: sampleBody(r.method, r.path, 'fake'),
        headers: c === fakeCookie ? { 'X-CSRF-Token': 'AAAAAAAAAAAAAAAAAAAA' } : {},
      });
      if (res.status !== 401 || res.body?.error?.code !== 'unauthorized') {
        failures.push(show(res));
      }
    }
  }
  assert.deepEqual(failures, [], 'routes that did not answer 401 unauthorized');
  // Nothing was created by the probes.
  const users = await admin.get('/api/v1/users?limit=500');
  assert.ok(!users.body.items.some((u) => u.name.startsWith('probe-')), show(users));
});

test('unknown /api/v1 route -> 404 not_found envelope', async () => {
  for (const p of ['/api/v1/nope', '/api/v1/users/1/extra', '/api/v2/health', '/api/v1/']) {
    const r = await admin.get(p);
    assertError(r, 404, 'not_found');
    assertSecurityHeaders(r, { api: true });
  }
});

test('known path with a wrong method -> 405 method_not_allowed with Allow', async () => {
  const cases = [
    [admin, 'PUT', '/api/v1/users'],
    [admin, 'DELETE', '/api/v1/users'],
    [admin, 'POST', '/api/v1/users/1'],
    [admin, 'PUT', '/api/v1/tokens'],
    [anon, 'DELETE', '/api/v1/health'],
    [anon, 'GET', '/api/v1/auth/login'],
  ];
  for (const [c, m, p] of cases) {
    const r = await c.request(m, p, { json: m === 'DELETE' ? undefined : {} });
    assertError(r, 405, 'method_not_allowed');
    assert.ok(r.headers.allow, `405 without Allow header: ${show(r)}`);
  }
});

test('a path a route names literally belongs to that route, not to a {id} route beside it', async () => {
  const r = await admin.get('/api/v1/mappings/bulk');
  assert.equal(r.status, 405, show(r));
  assert.equal(r.headers.allow, 'POST, OPTIONS');
});

test('OPTIONS answers 204 with Allow built from the route table', async () => {
  const byPath = new Map();
  for (const e of table) {
    if (!byPath.has(e.path)) {
      byPath.set(e.path, new Set());
    }
    byPath.get(e.path).add(e.method);
  }
  for (const [pattern, methods] of byPath) {
    const p = fillPath(pattern, userIds);
    for (const c of [anon, admin]) {
      const r = await c.options(p);
      assert.equal(r.status, 204, `OPTIONS ${p}: ${show(r)}`);
      const allow = new Set(String(r.headers.allow || '').split(',').map((s) => s.trim()).filter(Boolean));
      for (const m of methods) {
        assert.ok(allow.has(m), `OPTIONS ${p}: Allow '${r.headers.allow}' lacks ${m}`);
      }
      for (const m of allow) {
        assert.ok(methods.has(m) || m === 'OPTIONS' || m === 'HEAD',
          `OPTIONS ${p}: Allow '${r.headers.allow}' has ${m} which the route table does not`);
      }
    }
  }
});

test('security headers on API answers (2xx, 401, 404, 405, 429-less errors)', async () => {
  const answers = [
    await anon.get('/api/v1/health'),
    await anon.get('/api/v1/users'),
    await admin.get('/api/v1/users'),
    await admin.get('/api/v1/nope'),
    await anon.request('DELETE', '/api/v1/health'),
    await anon.post('/api/v1/auth/login', { username: 'nobody', password: 'wrong-password-1' }),
  ];
  for (const r of answers) {
    assertSecurityHeaders(r, { api: true });
  }
});

test('security headers on console answers', async () => {
  const index = await anon.request('GET', '/', { headers: { Accept: 'text/html' } });
  assertStatus(index, 200);
  assert.match(String(index.headers['content-type']), /^text\/html/, show(index));
  assertSecurityHeaders(index, { api: false });
  const missing = await anon.request('GET', '/no-such-page', { headers: { Accept: 'text/html' } });
  assert.equal(missing.status, 404, show(missing));
  assertSecurityHeaders(missing, { api: false });
  const asset = await anon.request('GET', '/assets/no-such-asset.js');
  assert.equal(asset.status, 404, show(asset));
  assertSecurityHeaders(asset, { api: false });
});

test('a JSON body over 64 KiB -> 413 payload_too_large and nothing is created', async () => {
  const body = { name: 'big-user', role: 'viewer', password: 'x'.repeat(70 * 1024) };
  const r = await admin.post('/api/v1/users', body);
  assertError(r, 413, 'payload_too_large');
  const login = await anon.post('/api/v1/auth/login', { username: ROOT.name, password: 'y'.repeat(70 * 1024) });
  assertError(login, 413, 'payload_too_large');
  const list = await admin.get('/api/v1/users?limit=500');
  assert.ok(!list.body.items.some((u) => u.name === 'big-user'), show(list));
});

test('a chunked body over 64 KiB -> 413 payload_too_large', async () => {
  const json = JSON.stringify({ username: ROOT.name, password: 'z'.repeat(70 * 1024) });
  const chunked = `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
  const r = await rawRequest(d,
    'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
    `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`);
  assert.equal(r.status, 413, `chunked 70 KiB login -> ${r.head}\n${r.body.slice(0, 300)}`);
});

test('a body that is not application/json -> 415 unsupported_media_type', async () => {
  const good = JSON.stringify({ name: 'ct-user', role: 'viewer', password: pw('ct') });
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
    const r = await admin.request('POST', '/api/v1/users', { body: good, contentType: ct });
    assertError(r, 415, 'unsupported_media_type');
  }
  const login = await anon.request('POST', '/api/v1/auth/login', {
    body: JSON.stringify({ username: ROOT.name, password: ROOT.password }),
    contentType: 'text/plain',
  });
  assertError(login, 415, 'unsupported_media_type');
  const list = await admin.get('/api/v1/users?limit=500');
  assert.ok(!list.body.items.some((u) => u.name === 'ct-user'), show(list));
});

test('application/json with a charset parameter is accepted', async () => {
  const r = await admin.request('POST', '/api/v1/users', {
    body: JSON.stringify({ name: 'charset-user', role: 'viewer', password: pw('charset') }),
    contentType: 'application/json; charset=utf-8',
  });
  assert.equal(r.status, 201, show(r));
});

test('malformed JSON -> 400 bad_request', async () => {
  for (const body of ['{"name":', 'not json', '{"name":"a",}', '']) {
    const r = await admin.request('POST', '/api/v1/users', { body, contentType: 'application/json' });
    assertError(r, 400, 'bad_request');
  }
});

test('JSON that is not an object -> 400 or 422, never 2xx', async () => {
  for (const body of ['[]', '"x"', '42', 'null']) {
    const r = await admin.request('POST', '/api/v1/users', { body, contentType: 'application/json' });
    assert.ok(r.status === 400 || r.status === 422, show(r));
    assert.ok(r.body?.error?.code, show(r));
  }
});

test('GET on every readable route never changes state (users list identical before/after)', async () => {
  const before = await admin.get('/api/v1/users?limit=500');
  for (const e of table) {
    if (e.method === 'GET') {
      await admin.get(fillPath(e.path, userIds));
    }
  }
  const after = await admin.get('/api/v1/users?limit=500');
  assert.deepEqual(after.body.items.map((u) => [u.id, u.role, u.disabled]),
    before.body.items.map((u) => [u.id, u.role, u.disabled]));
});

test('answers civetweb makes itself (TRACE, malformed, bad lengths, HTTP/2.5) carry the envelope and security headers', async () => {
  const probes = [
    ['TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'bad_request'],
    ['TRACE /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'bad_request'],
    ['GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999\r\n\r\n', 411, 'length_required'],
    // (headers over 16 KiB take the same path, but the connection closes with the rest of the
    // request unread, and TLS may lose the answer to the reset that follows)
    ['GET /api/v1/health HTTP/2.5\r\nHost: localhost\r\n\r\n', 505, 'http_version_not_supported'],
  ];
  for (const [text, status, code] of probes) {
    const r = await rawRequest(d, text);
    const what = `${text.slice(0, 40).replace(/\r\n/g, '\\r\\n')} -> ${r.head}`;
    assert.equal(r.status, status, what);
    for (const h of ['X-Content-Type-Options: nosniff', 'X-Frame-Options: DENY', 'Content-Security-Policy: ', 'Referrer-Policy: no-referrer', 'Cache-Control: no-store', 'Content-Type: application/json']) {
      assert.ok(r.head.includes(h), `${h} missing: ${what}`);
    }
    assert.match(r.head, /^Connection: close$/mi, what);
    let body;
    assert.doesNotThrow(() => { body = JSON.parse(r.body); }, `not JSON: ${what}\n${r.body}`);
    assert.equal(typeof body.error.message, 'string', r.body);
    assert.equal(typeof body.error.hint, 'string', r.body);
    assert.equal(body.error.code, code, r.body);
  }
});
