// API tokens never outrank their owner: a token acts with the lower of its own role and its
// owner's current one, and stops when the owner is disabled or deleted. The same holds for the
// owner's console sessions.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, login } from '../lib/daemon.mjs';
import {
  assertError, assertStatus, createToken, createUser, pw, show, startWithAdmin,
} from '../lib/api.mjs';

let d;
let admin;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

async function setUser(id, patch) {
  assertStatus(await admin.patch(`/api/v1/users/${id}`, patch), 200);
}

// What a credential may do now: 'admin', 'operator', 'viewer' or 'none' (401).
async function reach(c) {
  const users = await c.get('/api/v1/users?limit=1');
  if (users.status === 200) {
    return 'admin';
  }
  if (users.status === 401) {
    return 'none';
  }
  assertError(users, 403, 'forbidden');
  // Operator work: a queue with a name that cannot exist yet; viewer work: reading them.
  const q = await c.post('/api/v1/queues', { identifier: `q-${Math.random().toString(36).slice(2, 10)}`, name: 'probe', time_zone: 'UTC' });
  if (q.status === 201) {
    return 'operator';
  }
  assertError(q, 403, 'forbidden');
  assertStatus(await c.get('/api/v1/queues'), 200);
  return 'viewer';
}

test('a token acts with at most its owner\'s current role; a token made with a token has the same owner', async () => {
  const boss = await createUser(admin, 'boss', 'admin');
  const s = await login(d, 'boss', pw('boss'));
  const top = await createToken(s, 'boss-admin', 'admin');
  const mid = await createToken(s, 'boss-operator', 'operator');
  const child = await createToken(bearer(d, top.token), 'made-by-token', 'admin');
  const t = { top: bearer(d, top.token), mid: bearer(d, mid.token), child: bearer(d, child.token) };

  assert.equal(await reach(t.top), 'admin');
  assert.equal(await reach(t.mid), 'operator');
  assert.equal(await reach(t.child), 'admin');

  await setUser(boss.id, { role: 'operator' });
  assert.equal(await reach(t.top), 'operator', 'an admin token of a user demoted to operator');
  assert.equal(await reach(t.child), 'operator', 'a token made with a token of the demoted user');
  assert.equal(await reach(t.mid), 'operator');
  const who = await t.top.get('/api/v1/auth/session');
  assertStatus(who, 200);
  assert.equal(who.body.user.role, 'operator', show(who));

  await setUser(boss.id, { role: 'viewer' });
  assert.equal(await reach(t.top), 'viewer');
  assert.equal(await reach(t.mid), 'viewer');

  // Promoted again: the tokens get back up to their own role, not above it.
  await setUser(boss.id, { role: 'admin' });
  assert.equal(await reach(t.top), 'admin');
  assert.equal(await reach(t.mid), 'operator');
});

test('a disabled owner\'s tokens and sessions stop; enabled again, the tokens work', async () => {
  const u = await createUser(admin, 'leaver', 'operator');
  const s = await login(d, 'leaver', pw('leaver'));
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { role: 'admin' }), 200);
  const s2 = await login(d, 'leaver', pw('leaver'));
  const tok = bearer(d, (await createToken(s2, 'leaver-ci', 'operator')).token);
  assert.equal(await reach(tok), 'operator');
  assertStatus(await s2.get('/api/v1/auth/session'), 200);

  await setUser(u.id, { disabled: true });
  assertError(await tok.get('/api/v1/queues'), 401, 'unauthorized');
  assertError(await s2.get('/api/v1/auth/session'), 401, 'unauthorized');
  assertError(await s.get('/api/v1/auth/session'), 401, 'unauthorized');

  await setUser(u.id, { disabled: false });
  assert.equal(await reach(tok), 'operator');
});

test('a deleted owner\'s tokens stop for good, even when a user of the same name comes back', async () => {
  const u = await createUser(admin, 'gone', 'admin');
  const s = await login(d, 'gone', pw('gone'));
  const made = await createToken(s, 'gone-ci', 'viewer');
  const tok = bearer(d, made.token);
  assert.equal(await reach(tok), 'viewer');

  assertStatus(await admin.delete(`/api/v1/users/${u.id}`), 204);
  assertError(await tok.get('/api/v1/queues'), 401, 'unauthorized');
  assertError(await s.get('/api/v1/auth/session'), 401, 'unauthorized');

  await createUser(admin, 'gone', 'admin', pw('gone-again'));
  assertError(await tok.get('/api/v1/queues'), 401, 'unauthorized');
  // Still listed, for the record.
  const list = await admin.get('/api/v1/tokens?limit=500');
  assertStatus(list, 200);
  assert.ok(list.body.items.some((t) => t.id === made.id), show(list));
});
