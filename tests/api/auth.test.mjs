// Login, session cookie, CSRF, logout, own password change.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, client, login, parseSetCookie } from '../lib/daemon.mjs';
import {
  ISO_UTC, ROOT, assertError, assertInvalidField, assertStatus, createToken, pw, show,
  startWithAdmin,
} from '../lib/api.mjs';

const VIEWER = { name: 'vera', role: 'viewer', password: pw('vera') };
const OPER = { name: 'otto', role: 'operator', password: pw('otto') };
const CHANGER = { name: 'chris', role: 'viewer', password: pw('chris') };
const CSRFUSER = { name: 'csrf-admin', role: 'admin', password: pw('csrf-admin') };

let d;
let admin;

before(async () => {
  ({ d, admin } = await startWithAdmin({
    args: ['--login-max-failures', '100'],
    users: [VIEWER, OPER, CHANGER, CSRFUSER],
  }));
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

const COOKIE = '__Host-acdlink_session';

test('login with the right password -> 200 with user, csrf_token, expires_at and the cookie', async () => {
  const c = client(d);
  const r = await c.login(VIEWER.name, VIEWER.password);
  assertStatus(r, 200);
  assert.equal(r.body.user.name, VIEWER.name, show(r));
  assert.equal(r.body.user.role, 'viewer', show(r));
  assert.ok(Number.isInteger(r.body.user.id), show(r));
  assert.equal(typeof r.body.csrf_token, 'string', show(r));
  assert.ok(r.body.csrf_token.length >= 16, `csrf_token too short: ${show(r)}`);
  assert.match(r.body.expires_at, ISO_UTC, show(r));
  assert.ok(Date.parse(r.body.expires_at) > Date.now(), `expires_at in the past: ${show(r)}`);
  assert.ok(!('password' in r.body.user), show(r));
  assert.ok(c.jar.has(COOKIE), `no ${COOKIE} cookie; Set-Cookie: ${JSON.stringify(r.setCookies)}`);
});

test('session cookie attributes: __Host- prefix, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain', async () => {
  const c = client(d);
  const r = await c.login(VIEWER.name, VIEWER.password);
  assertStatus(r, 200);
  const cookies = r.setCookies.map(parseSetCookie).filter((ck) => ck.name === COOKIE);
  assert.equal(cookies.length, 1, `Set-Cookie: ${JSON.stringify(r.setCookies)}`);
  const ck = cookies[0];
  assert.ok(ck.value.length >= 22, `session id looks short: ${ck.value}`);
  assert.equal(ck.attrs.secure, true, `Secure missing: ${JSON.stringify(r.setCookies)}`);
  assert.equal(ck.attrs.httponly, true, `HttpOnly missing: ${JSON.stringify(r.setCookies)}`);
  assert.equal(String(ck.attrs.samesite).toLowerCase(), 'strict', `SameSite: ${JSON.stringify(r.setCookies)}`);
  assert.equal(ck.attrs.path, '/', `Path: ${JSON.stringify(r.setCookies)}`);
  assert.ok(!('domain' in ck.attrs), `__Host- cookies must not have Domain: ${JSON.stringify(r.setCookies)}`);
  // The CSRF token is not the session id.
  assert.notEqual(r.body.csrf_token, ck.value);
});

test('each login gets a new session id', async () => {
  const a = client(d);
  const b = client(d);
  await a.login(VIEWER.name, VIEWER.password);
  await b.login(VIEWER.name, VIEWER.password);
  assert.notEqual(a.jar.get(COOKIE), b.jar.get(COOKIE));
  assert.notEqual(a.csrf, b.csrf);
});

test('wrong password -> 401 invalid_credentials, no cookie', async () => {
  const c = client(d);
  const r = await c.login(VIEWER.name, 'wrong-password-123');
  assertError(r, 401, 'invalid_credentials');
  assert.ok(!r.setCookies.some((s) => s.startsWith(`${COOKIE}=`) && !/=;|=\s*;/.test(s)),
    `cookie set on failure: ${JSON.stringify(r.setCookies)}`);
  const s = await c.get('/api/v1/auth/session');
  assertError(s, 401, 'unauthorized');
});

test('unknown user gets exactly the same answer as a wrong password (no enumeration)', async () => {
  const c = client(d);
  const wrong = await c.login(VIEWER.name, 'wrong-password-123');
  const unknown = await c.login('no-such-user', 'wrong-password-123');
  assertError(wrong, 401, 'invalid_credentials');
  assertError(unknown, 401, 'invalid_credentials');
  assert.deepEqual(unknown.body, wrong.body, 'error bodies differ between unknown user and wrong password');
  // Also disabled accounts answer the same.
  const dis = await admin.post('/api/v1/users', { name: 'dana', role: 'viewer', password: pw('dana'), disabled: true });
  assertStatus(dis, 201);
  const disabled = await c.login('dana', pw('dana'));
  assert.equal(disabled.status, 401, `disabled user could log in: ${show(disabled)}`);
  assert.deepEqual(disabled.body, wrong.body, 'disabled user answer differs');
});

test('unknown user takes about as long as a wrong password (coarse timing check)', async () => {
  const c = client(d);
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = async (name) => {
    const t0 = process.hrtime.bigint();
    const r = await c.login(name, 'wrong-password-123');
    assert.equal(r.status, 401, show(r));
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const known = [];
  const unknown = [];
  for (let i = 0; i < 5; i++) {
    known.push(await time(VIEWER.name));
    unknown.push(await time(`ghost-${i}`));
  }
  const k = median(known);
  const u = median(unknown);
  assert.ok(u >= k * 0.25, `unknown user answered much faster (median ${u.toFixed(1)} ms) ` +
    `than a wrong password (median ${k.toFixed(1)} ms): the hash is skipped`);
});

test('GET /api/v1/auth/session reports the session user and its csrf_token', async () => {
  const s = await login(d, OPER.name, OPER.password);
  const r = await s.get('/api/v1/auth/session');
  assertStatus(r, 200);
  assert.equal(r.body.user.name, OPER.name, show(r));
  assert.equal(r.body.user.role, 'operator', show(r));
  assert.equal(r.body.auth, 'session', show(r));
  assert.equal(r.body.csrf_token, s.csrf, show(r));
  assert.match(r.body.expires_at, ISO_UTC, show(r));
});

test('CSRF: cookie-authenticated POST/PATCH/DELETE without or with a wrong X-CSRF-Token -> 403 csrf_failed, nothing changes', async () => {
  const s = await login(d, CSRFUSER.name, CSRFUSER.password);
  const other = await login(d, CSRFUSER.name, CSRFUSER.password);
  const target = await admin.post('/api/v1/users', { name: 'csrf-target', role: 'viewer', password: pw('csrf-target') });
  assertStatus(target, 201);
  const id = target.body.id;
  const wrongTokens = [false, '', 'wrong-token', other.csrf, `${s.csrf}x`];
  for (const csrf of wrongTokens) {
    const label = `csrf=${JSON.stringify(csrf)}`;
    const create = await s.post('/api/v1/users', { name: 'csrf-new', role: 'admin', password: pw('csrf-new') }, { csrf });
    assertError(create, 403, 'csrf_failed');
    const patch = await s.patch(`/api/v1/users/${id}`, { role: 'admin' }, { csrf });
    assertError(patch, 403, 'csrf_failed');
    const del = await s.delete(`/api/v1/users/${id}`, { csrf });
    assertError(del, 403, 'csrf_failed');
    const tok = await s.post('/api/v1/tokens', { name: 'csrf-token', role: 'admin' }, { csrf });
    assertError(tok, 403, 'csrf_failed');
    const out = await s.post('/api/v1/auth/logout', undefined, { csrf });
    assertError(out, 403, 'csrf_failed');
    const pass = await s.post('/api/v1/auth/password',
      { current_password: CSRFUSER.password, new_password: pw('csrf-changed') }, { csrf });
    assertError(pass, 403, 'csrf_failed');
    // The session still works and nothing changed.
    const still = await s.get('/api/v1/auth/session');
    assert.equal(still.status, 200, `${label}: session gone after refused logout: ${show(still)}`);
  }
  const u = await admin.get(`/api/v1/users/${id}`);
  assertStatus(u, 200);
  assert.equal(u.body.role, 'viewer', `role changed without CSRF token: ${show(u)}`);
  const users = await admin.get('/api/v1/users?limit=500');
  assert.ok(!users.body.items.some((x) => x.name === 'csrf-new'), `user created without CSRF token: ${show(users)}`);
  const tokens = await admin.get('/api/v1/tokens?limit=500');
  assert.ok(!tokens.body.items.some((x) => x.name === 'csrf-token'), `token created without CSRF token: ${show(tokens)}`);
  const relog = await client(d).login(CSRFUSER.name, CSRFUSER.password);
  assert.equal(relog.status, 200, `password changed without CSRF token: ${show(relog)}`);
  // With the right token the same request works.
  const ok = await s.patch(`/api/v1/users/${id}`, { role: 'operator' });
  assertStatus(ok, 200);
  assert.equal(ok.body.role, 'operator', show(ok));
});

test('CSRF token is not required for bearer-token requests', async () => {
  const tok = await createToken(admin, 'csrf-free', 'admin');
  const b = bearer(d, tok.token);
  const r = await b.post('/api/v1/users', { name: 'via-token', role: 'viewer', password: pw('via-token') });
  assertStatus(r, 201);
});

test('logout -> 204 and the session is gone server-side (old cookie refused)', async () => {
  const s = await login(d, VIEWER.name, VIEWER.password);
  const cookie = s.jar.get(COOKIE);
  const csrf = s.csrf;
  assertStatus(await s.get('/api/v1/auth/session'), 200);
  const out = await s.post('/api/v1/auth/logout');
  assertStatus(out, 204);
  // Replay the old cookie from a fresh client: the server must have forgotten it.
  const replay = client(d);
  replay.jar.set(COOKIE, cookie);
  replay.csrf = csrf;
  assertError(await replay.get('/api/v1/auth/session'), 401, 'unauthorized');
  assertError(await replay.get('/api/v1/endpoints'), 401, 'unauthorized');
  assertError(await replay.post('/api/v1/auth/logout'), 401, 'unauthorized');
});

test('a stale session cookie (after logout) does not block a new login', async () => {
  const s = await login(d, VIEWER.name, VIEWER.password);
  const old = s.jar.get(COOKIE);
  assertStatus(await s.post('/api/v1/auth/logout'), 204);
  // A browser may keep sending the old cookie; the login must still work without a CSRF token.
  const stale = client(d);
  stale.jar.set(COOKIE, old);
  const r = await stale.login(VIEWER.name, VIEWER.password);
  assertStatus(r, 200);
  assertStatus(await stale.get('/api/v1/auth/session'), 200);
});

test('logout ends only that session', async () => {
  const a = await login(d, VIEWER.name, VIEWER.password);
  const b = await login(d, VIEWER.name, VIEWER.password);
  assertStatus(await a.post('/api/v1/auth/logout'), 204);
  assertStatus(await b.get('/api/v1/auth/session'), 200);
});

test('own password change: wrong current refused, short new -> 422, then old refused and new works', async () => {
  const s = await login(d, CHANGER.name, CHANGER.password);
  const wrong = await s.post('/api/v1/auth/password', { current_password: 'not-the-password-1', new_password: pw('chris-new') });
  assert.ok([400, 401, 403, 422].includes(wrong.status), `wrong current password: ${show(wrong)}`);
  assert.ok(wrong.body?.error?.code, show(wrong));
  assertStatus(await client(d).login(CHANGER.name, CHANGER.password), 200);

  const short = await s.post('/api/v1/auth/password', { current_password: CHANGER.password, new_password: 'short-11ch' });
  assertInvalidField(short, 'new_password');
  const long = await s.post('/api/v1/auth/password', { current_password: CHANGER.password, new_password: 'x'.repeat(1025) });
  assertInvalidField(long, 'new_password');
  const missing = await s.post('/api/v1/auth/password', { current_password: CHANGER.password });
  assertInvalidField(missing, 'new_password');

  const ok = await s.post('/api/v1/auth/password', { current_password: CHANGER.password, new_password: pw('chris-new') });
  assertStatus(ok, 204);
  assertError(await client(d).login(CHANGER.name, CHANGER.password), 401, 'invalid_credentials');
  assertStatus(await client(d).login(CHANGER.name, pw('chris-new')), 200);
});

test('password change with a bearer token -> 403', async () => {
  const tok = await createToken(admin, 'no-password-change', 'admin');
  const b = bearer(d, tok.token);
  const r = await b.post('/api/v1/auth/password', { current_password: ROOT.password, new_password: pw('by-token') });
  assert.equal(r.status, 403, show(r));
  assert.equal(r.body?.error?.code, 'forbidden', show(r));
  assertStatus(await client(d).login(ROOT.name, ROOT.password), 200);
});

test('GET /api/v1/auth/session with a token says auth=token and csrf_token=null', async () => {
  const tok = await createToken(admin, 'whoami', 'viewer');
  const r = await bearer(d, tok.token).get('/api/v1/auth/session');
  assertStatus(r, 200);
  assert.equal(r.body.auth, 'token', show(r));
  assert.equal(r.body.csrf_token, null, show(r));
  assert.equal(r.body.user.role, 'viewer', show(r));
});

test('login body: missing username/password is refused (4xx, no session)', async () => {
  for (const body of [{ username: ROOT.name }, { password: ROOT.password }, {}]) {
    const c = client(d);
    const r = await c.post('/api/v1/auth/login', body);
    assert.ok(r.status >= 400 && r.status < 500, show(r));
    assert.ok(!c.jar.has(COOKIE), show(r));
  }
});
