// Users CRUD, validation (422 naming the field), duplicates, last-admin protection, pagination.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, login } from '../lib/daemon.mjs';
import {
  ISO_UTC, ROOT, assertError, assertInvalidField, assertStatus, createUser, pw, show,
  startWithAdmin, walkPages,
} from '../lib/api.mjs';

let d;
let admin;
let rootId;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  rootId = admin.loginResponse.body.user.id;
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

const USER_FIELDS = ['id', 'name', 'role', 'disabled', 'created_at', 'updated_at', 'last_login_at'];

function assertUserShape(u, ctx) {
  for (const k of USER_FIELDS) {
    assert.ok(k in u, `user field ${k} missing (${ctx}): ${JSON.stringify(u)}`);
  }
  assert.ok(Number.isInteger(u.id), ctx);
  assert.equal(typeof u.disabled, 'boolean', ctx);
  assert.match(u.created_at, ISO_UTC, ctx);
  assert.match(u.updated_at, ISO_UTC, ctx);
  assert.ok(u.last_login_at === null || ISO_UTC.test(u.last_login_at), ctx);
  for (const k of Object.keys(u)) {
    assert.ok(!/pass|hash|salt|secret/i.test(k), `user has field ${k} (${ctx})`);
  }
}

test('create, read, list, update, delete a user', async () => {
  const c = await admin.post('/api/v1/users', { name: 'alice', role: 'operator', password: pw('alice') });
  assertStatus(c, 201);
  assertUserShape(c.body, 'POST');
  assert.equal(c.body.name, 'alice');
  assert.equal(c.body.role, 'operator');
  assert.equal(c.body.disabled, false);
  assert.equal(c.body.last_login_at, null);
  const id = c.body.id;

  const g = await admin.get(`/api/v1/users/${id}`);
  assertStatus(g, 200);
  assertUserShape(g.body, 'GET one');
  assert.deepEqual(g.body, c.body);

  const l = await admin.get('/api/v1/users?limit=500');
  assertStatus(l, 200);
  assert.ok(l.body.items.some((u) => u.id === id && u.name === 'alice'), show(l));
  for (const u of l.body.items) {
    assertUserShape(u, 'list');
  }

  // The new user can log in; last_login_at is then set.
  const s = await login(d, 'alice', pw('alice'));
  assert.equal(s.loginResponse.body.user.id, id);
  const g2 = await admin.get(`/api/v1/users/${id}`);
  assert.match(String(g2.body.last_login_at), ISO_UTC, show(g2));

  const p = await admin.patch(`/api/v1/users/${id}`, { role: 'viewer' });
  assertStatus(p, 200);
  assertUserShape(p.body, 'PATCH');
  assert.equal(p.body.role, 'viewer');
  assert.ok(Date.parse(p.body.updated_at) >= Date.parse(c.body.updated_at), show(p));

  const pw2 = await admin.patch(`/api/v1/users/${id}`, { password: pw('alice-2') });
  assertStatus(pw2, 200);
  assertError(await client(d).login('alice', pw('alice')), 401, 'invalid_credentials');
  assertStatus(await client(d).login('alice', pw('alice-2')), 200);

  const dis = await admin.patch(`/api/v1/users/${id}`, { disabled: true });
  assertStatus(dis, 200);
  assert.equal(dis.body.disabled, true);
  const refused = await client(d).login('alice', pw('alice-2'));
  assertError(refused, 401, 'invalid_credentials');
  // A disabled user's existing session stops working too.
  const old = await s.get('/api/v1/auth/session');
  assertError(old, 401, 'unauthorized');
  assertStatus(await admin.patch(`/api/v1/users/${id}`, { disabled: false }), 200);
  assertStatus(await client(d).login('alice', pw('alice-2')), 200);

  const del = await admin.delete(`/api/v1/users/${id}`);
  assertStatus(del, 204);
  assertError(await admin.get(`/api/v1/users/${id}`), 404, 'not_found');
  assertError(await admin.patch(`/api/v1/users/${id}`, { role: 'admin' }), 404, 'not_found');
  assertError(await admin.delete(`/api/v1/users/${id}`), 404, 'not_found');
  assertError(await client(d).login('alice', pw('alice-2')), 401, 'invalid_credentials');
});

test('a deleted user\'s session is refused', async () => {
  const u = await createUser(admin, 'bob', 'viewer');
  const s = await login(d, 'bob', pw('bob'));
  assertStatus(await admin.delete(`/api/v1/users/${u.id}`), 204);
  assertError(await s.get('/api/v1/auth/session'), 401, 'unauthorized');
});

test('a demoted user loses the rights of the old role at once', async () => {
  const u = await createUser(admin, 'carol', 'admin');
  const s = await login(d, 'carol', pw('carol'));
  assertStatus(await s.get('/api/v1/users'), 200);
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { role: 'viewer' }), 200);
  // Either the session keeps working with the new role (403) or it was ended (401).
  const r = await s.get('/api/v1/users');
  assert.ok(r.status === 403 || r.status === 401, `demoted admin still reads users: ${show(r)}`);
  assertError(r, r.status, r.status === 403 ? 'forbidden' : 'unauthorized');
  const fresh = await login(d, 'carol', pw('carol'));
  assertError(await fresh.get('/api/v1/users'), 403, 'forbidden');
});

test('duplicate name -> 409 conflict', async () => {
  await createUser(admin, 'dup', 'viewer');
  const r = await admin.post('/api/v1/users', { name: 'dup', role: 'admin', password: pw('dup2') });
  assertError(r, 409, 'conflict');
  const root = await admin.post('/api/v1/users', { name: ROOT.name, role: 'viewer', password: pw('root2') });
  assertError(root, 409, 'conflict');
  // The original is untouched.
  const l = await admin.get('/api/v1/users?limit=500');
  const dups = l.body.items.filter((u) => u.name === 'dup');
  assert.equal(dups.length, 1, show(l));
  assert.equal(dups[0].role, 'viewer');
});

test('bad names -> 422 invalid_field naming "name"', async () => {
  const bad = ['', 'a b', 'x'.repeat(65), 'bad/name', 'semi;colon', 'ünïcode', 'tab\tname', 'quote"', '<script>',
    null, 42, ['a'], { a: 1 }];
  for (const name of bad) {
    const r = await admin.post('/api/v1/users', { name, role: 'viewer', password: pw('badname') });
    assertInvalidField(r, 'name');
  }
  assertInvalidField(await admin.post('/api/v1/users', { role: 'viewer', password: pw('noname') }), 'name');
});

test('edge-of-range names are accepted', async () => {
  for (const name of ['a', 'x'.repeat(64), 'A.b_c@d-e9']) {
    const r = await admin.post('/api/v1/users', { name, role: 'viewer', password: pw('edge') });
    assertStatus(r, 201);
    assert.equal(r.body.name, name);
  }
});

test('bad passwords -> 422 invalid_field naming "password"', async () => {
  const bad = ['', 'elevenchars', 'x'.repeat(1025), null, 123456789012345, true];
  for (const password of bad) {
    const r = await admin.post('/api/v1/users', { name: 'pwtest', role: 'viewer', password });
    assertInvalidField(r, 'password');
  }
  assertInvalidField(await admin.post('/api/v1/users', { name: 'pwtest', role: 'viewer' }), 'password');
  const u = await createUser(admin, 'pwpatch', 'viewer');
  for (const password of ['elevenchars', 'x'.repeat(1025), 7]) {
    assertInvalidField(await admin.patch(`/api/v1/users/${u.id}`, { password }), 'password');
  }
  assertStatus(await client(d).login('pwpatch', pw('pwpatch')), 200);
});

test('edge-of-range passwords (12 and 1024 characters, non-ASCII) are accepted', async () => {
  const cases = [['pw12', 'twelve-chars'], ['pw1024', 'p'.repeat(1024)], ['pwutf8', 'pässwörd-ünï-€€€']];
  for (const [name, password] of cases) {
    assertStatus(await admin.post('/api/v1/users', { name, role: 'viewer', password }), 201);
    assertStatus(await client(d).login(name, password), 200);
  }
});

test('bad roles and field types -> 422 invalid_field naming the field', async () => {
  for (const role of ['', 'root', 'Admin', 'public', null, 1]) {
    assertInvalidField(await admin.post('/api/v1/users', { name: 'roletest', role, password: pw('roletest') }), 'role');
  }
  assertInvalidField(await admin.post('/api/v1/users', { name: 'roletest', password: pw('roletest') }), 'role');
  const u = await createUser(admin, 'rolepatch', 'viewer');
  assertInvalidField(await admin.patch(`/api/v1/users/${u.id}`, { role: 'superuser' }), 'role');
  assertInvalidField(await admin.patch(`/api/v1/users/${u.id}`, { disabled: 'yes' }), 'disabled');
  assertInvalidField(await admin.post('/api/v1/users',
    { name: 'roletest', role: 'viewer', password: pw('roletest'), disabled: 'no' }), 'disabled');
  const after = await admin.get(`/api/v1/users/${u.id}`);
  assert.equal(after.body.role, 'viewer');
  assert.equal(after.body.disabled, false);
});

test('unknown fields in a user body are refused with 422 naming the field', async () => {
  const r = await admin.post('/api/v1/users', { name: 'extra', role: 'viewer', password: pw('extra'), is_root: true });
  assertInvalidField(r, 'is_root');
  const u = await createUser(admin, 'extra2', 'viewer');
  assertInvalidField(await admin.patch(`/api/v1/users/${u.id}`, { name: 'renamed' }), 'name');
});

test('non-numeric or out-of-range ids are 400/404, never 2xx or 5xx', async () => {
  for (const id of ['abc', '-1', '0', '1.5', '99999999999999999999', '%00', '1%20']) {
    const r = await admin.get(`/api/v1/users/${id}`);
    assert.ok(r.status === 400 || r.status === 404, show(r));
    assert.ok(r.body?.error?.code, show(r));
  }
});

test('last enabled admin cannot be deleted, demoted or disabled (409 last_admin)', async () => {
  // Only root is an enabled admin at this point (other admins created above were demoted).
  const l = await admin.get('/api/v1/users?limit=500');
  for (const u of l.body.items) {
    if (u.role === 'admin' && u.id !== rootId && !u.disabled) {
      assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { role: 'viewer' }), 200);
    }
  }
  // A disabled admin does not count.
  const sleeper = await createUser(admin, 'sleeping-admin', 'admin', pw('sleeping-admin'), { disabled: true });
  assert.equal(sleeper.disabled, true);

  assertError(await admin.delete(`/api/v1/users/${rootId}`), 409, 'last_admin');
  assertError(await admin.patch(`/api/v1/users/${rootId}`, { role: 'operator' }), 409, 'last_admin');
  assertError(await admin.patch(`/api/v1/users/${rootId}`, { role: 'viewer' }), 409, 'last_admin');
  assertError(await admin.patch(`/api/v1/users/${rootId}`, { disabled: true }), 409, 'last_admin');
  const root = await admin.get(`/api/v1/users/${rootId}`);
  assertStatus(root, 200);
  assert.equal(root.body.role, 'admin');
  assert.equal(root.body.disabled, false);
  assertStatus(await client(d).login(ROOT.name, ROOT.password), 200);

  // With a second enabled admin, root may be demoted; then the other one is the last.
  assertStatus(await admin.patch(`/api/v1/users/${sleeper.id}`, { disabled: false }), 200);
  const other = await login(d, 'sleeping-admin', pw('sleeping-admin'));
  assertStatus(await other.patch(`/api/v1/users/${rootId}`, { role: 'operator' }), 200);
  assertError(await other.delete(`/api/v1/users/${sleeper.id}`), 409, 'last_admin');
  assertError(await other.patch(`/api/v1/users/${sleeper.id}`, { disabled: true }), 409, 'last_admin');
  assertStatus(await other.patch(`/api/v1/users/${rootId}`, { role: 'admin' }), 200);
  // Root's role changed twice; its old session may have been ended, so log in again.
  admin = await login(d, ROOT.name, ROOT.password);
  // Two admins again: deleting one is fine.
  assertStatus(await admin.delete(`/api/v1/users/${sleeper.id}`), 204);
  assertError(await admin.delete(`/api/v1/users/${rootId}`), 409, 'last_admin');
});

test('users pagination: limit, next_cursor, every user exactly once', async () => {
  for (let i = 0; i < 12; i++) {
    await createUser(admin, `page-${String(i).padStart(2, '0')}`, 'viewer');
  }
  const all = await admin.get('/api/v1/users?limit=500');
  assertStatus(all, 200);
  assert.equal(all.body.next_cursor, null, show(all));
  const total = all.body.items.length;
  assert.ok(total >= 13, show(all));
  const def = await admin.get('/api/v1/users');
  assertStatus(def, 200);
  assert.equal(def.body.items.length, Math.min(50, total), show(def));

  for (const limit of [1, 5, 7]) {
    const pages = await walkPages(admin, '/api/v1/users', limit);
    const ids = pages.flatMap((p) => p.items.map((u) => u.id));
    assert.equal(new Set(ids).size, ids.length, `limit=${limit}: a user appears twice`);
    assert.deepEqual([...ids].sort((a, b) => a - b), all.body.items.map((u) => u.id).sort((a, b) => a - b),
      `limit=${limit}: pages do not add up to the full list`);
    for (const p of pages.slice(0, -1)) {
      assert.equal(p.items.length, limit, `limit=${limit}: a middle page is short`);
    }
  }
});

test('users pagination: bad limit -> 400 invalid_parameter', async () => {
  for (const limit of ['0', '501', 'abc', '-1', '1.5', '1e2', '50abc', '99999999999999999999']) {
    const r = await admin.get(`/api/v1/users?limit=${limit}`);
    assertError(r, 400, 'invalid_parameter');
  }
  assertStatus(await admin.get('/api/v1/users?limit=500'), 200);
  assertStatus(await admin.get('/api/v1/users?limit=1'), 200);
});
