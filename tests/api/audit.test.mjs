// Audit log entries, filters and pagination; no password, hash or token secret in any answer.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, client, login, startDaemon } from '../lib/daemon.mjs';
import {
  HASH_MARKERS, ISO_UTC, ROOT, assertError, assertStatus, pw, secretKeyViolations, show, walkPages,
} from '../lib/api.mjs';

const record = []; // every response of this file
const passwords = new Set([ROOT.password]);
const secrets = new Set();
let d;
let admin;
let auditedId;

async function getAudit(query = '') {
  const r = await admin.get(`/api/v1/audit?limit=500${query}`);
  assertStatus(r, 200);
  return r.body.items;
}

before(async () => {
  d = await startDaemon({ args: ['--login-max-failures', '100'], users: [ROOT] });
  admin = await login(d, ROOT.name, ROOT.password, { record });

  // A scripted history: every audited action at least once.
  const anon = client(d, { record });
  assertError(await anon.login(ROOT.name, 'wrong-password-audit-1'), 401, 'invalid_credentials');
  assertError(await anon.login('ghost-user', 'wrong-password-audit-2'), 401, 'invalid_credentials');
  passwords.add('wrong-password-audit-1');
  passwords.add('wrong-password-audit-2');

  const uPass = pw('audited');
  passwords.add(uPass);
  const u = await admin.post('/api/v1/users', { name: 'audited', role: 'viewer', password: uPass });
  assertStatus(u, 201);
  auditedId = u.body.id;
  const newPass = pw('audited-2');
  passwords.add(newPass);
  assertStatus(await admin.patch(`/api/v1/users/${u.body.id}`, { role: 'operator', password: newPass }), 200);

  const s = await login(d, 'audited', newPass, { record });
  const ownPass = pw('audited-3');
  passwords.add(ownPass);
  assertStatus(await s.post('/api/v1/auth/password', { current_password: newPass, new_password: ownPass }), 204);
  // The password change may end the user's sessions; log in again to log out.
  const s2 = await login(d, 'audited', ownPass, { record });
  assertStatus(await s2.post('/api/v1/auth/logout'), 204);

  const t = await admin.post('/api/v1/tokens', { name: 'audited-token', role: 'viewer' });
  assertStatus(t, 201);
  secrets.add(t.body.token);
  assertStatus(await bearer(d, t.body.token, { record }).get('/api/v1/auth/session'), 200);
  assertStatus(await admin.delete(`/api/v1/tokens/${t.body.id}`), 204);
  assertStatus(await admin.delete(`/api/v1/users/${u.body.id}`), 204);

  for (let i = 0; i < 8; i++) {
    const c = client(d, { record });
    assertStatus(await c.login(ROOT.name, ROOT.password), 200);
  }
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

test('audit entries have the documented shape and come newest first', async () => {
  const items = await getAudit();
  assert.ok(items.length > 10, `only ${items.length} entries`);
  for (const e of items) {
    for (const k of ['id', 'ts', 'actor', 'actor_kind', 'client', 'action', 'target', 'outcome', 'detail']) {
      assert.ok(k in e, `audit field ${k} missing: ${JSON.stringify(e)}`);
    }
    assert.ok(Number.isInteger(e.id), JSON.stringify(e));
    assert.match(e.ts, ISO_UTC, JSON.stringify(e));
    assert.ok(['user', 'token', 'system', 'anonymous'].includes(e.actor_kind), JSON.stringify(e));
    assert.ok(['ok', 'denied', 'error'].includes(e.outcome), JSON.stringify(e));
    assert.equal(typeof e.detail, 'object', JSON.stringify(e));
    assert.ok(e.detail !== null && !Array.isArray(e.detail), JSON.stringify(e));
  }
  for (let i = 1; i < items.length; i++) {
    assert.ok(items[i - 1].id > items[i].id, `not newest first at ${i}: ${items[i - 1].id}, ${items[i].id}`);
    assert.ok(items[i - 1].ts >= items[i].ts, `ts not descending at ${i}`);
  }
});

test('audit has entries for login, failed login, user create/update/delete, token create/revoke, password, logout', async () => {
  const items = await getAudit();
  const find = (action, pred = () => true) => items.find((e) => e.action === action && pred(e));
  const need = [
    ['auth.login', (e) => e.outcome === 'ok' && e.actor === ROOT.name],
    ['auth.login_failed', (e) => e.outcome !== 'ok'],
    ['user.create', (e) => e.outcome === 'ok' && e.actor === ROOT.name],
    ['user.update', (e) => e.outcome === 'ok'],
    ['user.delete', (e) => e.outcome === 'ok'],
    ['token.create', (e) => e.outcome === 'ok'],
    ['token.revoke', (e) => e.outcome === 'ok'],
    ['auth.password', (e) => e.outcome === 'ok' && e.actor === 'audited'],
    ['auth.logout', (e) => e.actor === 'audited'],
  ];
  const missing = need.filter(([a, p]) => !find(a, p)).map(([a]) => a);
  assert.deepEqual(missing, [], `actions without a matching entry; have: ${JSON.stringify(items.map((e) => [e.action, e.actor, e.outcome]))}`);
  const failed = items.filter((e) => e.action === 'auth.login_failed');
  assert.ok(failed.length >= 2, `expected 2 failed logins, got ${failed.length}`);
  for (const e of failed) {
    assert.match(String(e.client), /127\.0\.0\.1/, `failed login without client address: ${JSON.stringify(e)}`);
  }
  for (const action of ['user.create', 'user.update', 'user.delete']) {
    const e = find(action);
    const text = `${e.target ?? ''} ${JSON.stringify(e.detail)}`;
    assert.ok(text.includes('audited') || new RegExp(`\\b${auditedId}\\b`).test(text),
      `${action} does not identify the user (name 'audited' or id ${auditedId}): ${JSON.stringify(e)}`);
  }
});

test('audit entries contain no passwords, hashes or token secrets', async () => {
  const r = await admin.get('/api/v1/audit?limit=500');
  assertStatus(r, 200);
  for (const p of passwords) {
    assert.ok(!r.text.includes(p), `audit contains a password: ${p}`);
  }
  for (const s of secrets) {
    assert.ok(!r.text.includes(s), 'audit contains a token secret');
    assert.ok(!r.text.includes(s.slice(-16)), 'audit contains the tail of a token secret');
  }
  for (const m of HASH_MARKERS) {
    assert.ok(!r.text.includes(m), `audit contains a hash marker ${m}`);
  }
  assert.deepEqual(secretKeyViolations(r.body), [], 'audit has secret-looking keys with values');
});

test('audit filters: action, actor, outcome, since, until', async () => {
  const byAction = await getAudit('&action=user.create');
  assert.ok(byAction.length >= 1);
  assert.ok(byAction.every((e) => e.action === 'user.create'), JSON.stringify(byAction));
  const byActor = await getAudit('&actor=audited');
  assert.ok(byActor.length >= 1);
  assert.ok(byActor.every((e) => e.actor === 'audited'), JSON.stringify(byActor));
  const denied = await getAudit('&outcome=denied');
  assert.ok(denied.every((e) => e.outcome === 'denied'), JSON.stringify(denied));
  const future = await getAudit('&since=2099-01-01T00:00:00Z');
  assert.equal(future.length, 0, JSON.stringify(future));
  const past = await getAudit('&until=2000-01-01T00:00:00Z');
  assert.equal(past.length, 0, JSON.stringify(past));
  const all = await getAudit();
  const mid = all[Math.floor(all.length / 2)].ts;
  const since = await getAudit(`&since=${encodeURIComponent(mid)}`);
  assert.ok(since.length >= 1 && since.every((e) => e.ts >= mid), `since=${mid}: ${JSON.stringify(since.map((e) => e.ts))}`);
  for (const q of ['&since=yesterday', '&until=2026-13-45T99:00:00Z', '&outcome=maybe']) {
    assertError(await admin.get(`/api/v1/audit?limit=10${q}`), 400, 'invalid_parameter');
  }
});

test('audit pagination: limit, next_cursor, every entry once, stable while new entries arrive', async () => {
  const all = await getAudit();
  const pages = [];
  let url = '/api/v1/audit?limit=3';
  for (let i = 0; i < 200; i++) {
    const r = await admin.get(url);
    assertStatus(r, 200);
    assert.ok(r.body.items.length <= 3, show(r));
    pages.push(r.body);
    if (i === 0) {
      // New entries arrive while paging; they must not shift later pages.
      const c = client(d);
      await c.login(ROOT.name, 'wrong-password-during-paging');
      passwords.add('wrong-password-during-paging');
    }
    if (r.body.next_cursor === null) {
      break;
    }
    assert.equal(typeof r.body.next_cursor, 'string', show(r));
    url = `/api/v1/audit?limit=3&cursor=${encodeURIComponent(r.body.next_cursor)}`;
  }
  const ids = pages.flatMap((p) => p.items.map((e) => e.id));
  assert.equal(new Set(ids).size, ids.length, 'an entry appears twice');
  const allIds = all.map((e) => e.id);
  for (const id of allIds) {
    assert.ok(ids.includes(id), `entry ${id} skipped by pagination`);
  }
  // Filters and cursors combine.
  const filtered = await walkPages(admin, '/api/v1/audit?action=auth.login', 2);
  const fItems = filtered.flatMap((p) => p.items);
  assert.ok(fItems.length >= 9, `only ${fItems.length} auth.login entries`);
  assert.ok(fItems.every((e) => e.action === 'auth.login'));
});

test('audit pagination: bad limit -> 400 invalid_parameter', async () => {
  for (const limit of ['0', '501', 'abc', '-5']) {
    assertError(await admin.get(`/api/v1/audit?limit=${limit}`), 400, 'invalid_parameter');
  }
});

test('no API answer of this file contained a password, a hash, or a token secret (except its creation)', async () => {
  // A few more reads to cover every resource.
  await admin.get('/api/v1/users?limit=500');
  await admin.get('/api/v1/tokens?limit=500');
  await admin.get('/api/v1/endpoints');
  await admin.get('/api/v1/auth/session');
  const list = await admin.get('/api/v1/users?limit=500');
  for (const u of list.body.items) {
    await admin.get(`/api/v1/users/${u.id}`);
  }
  assert.ok(record.length > 20, `only ${record.length} responses recorded`);
  for (const r of record) {
    const creation = r.method === 'POST' && r.path === '/api/v1/tokens' && r.status === 201;
    for (const p of passwords) {
      assert.ok(!r.text.includes(p), `password in answer: ${r.method} ${r.path} -> ${r.status}`);
    }
    if (!creation) {
      for (const s of secrets) {
        assert.ok(!r.text.includes(s), `token secret in answer: ${r.method} ${r.path} -> ${r.status}`);
      }
    }
    for (const m of HASH_MARKERS) {
      assert.ok(!r.text.includes(m), `hash marker ${m} in answer: ${r.method} ${r.path}`);
    }
    if (typeof r.body === 'object') {
      assert.deepEqual(secretKeyViolations(r.body), [], `secret-looking keys in ${r.method} ${r.path}`);
    }
  }
});

test('GET and HEAD write no audit entry, except a backup actually sent (HEAD /api/v1/backup sends none)', async () => {
  const count = async () => (await walkPages(admin, '/api/v1/audit', 500)).reduce((n, p) => n + p.items.length, 0);
  const before = await count();
  const table = await admin.get('/api/v1/endpoints');
  assertStatus(table, 200);
  const reads = table.body.items.filter((e) => e.method === 'GET' && !e.path.includes('{'));
  assert.ok(reads.some((e) => e.path === '/api/v1/backup'), 'the backup route is listed');
  for (const e of reads) {
    for (const m of ['HEAD', 'GET']) {
      if (m === 'GET' && e.path === '/api/v1/backup') {
        continue;
      }
      const r = await admin.request(m, e.path);
      assert.ok(r.status < 500, `${m} ${e.path}: ${show(r)}`);
    }
  }
  assert.equal(await count(), before, 'a GET or HEAD wrote an audit entry');
  const head = await admin.request('HEAD', '/api/v1/backup');
  assertStatus(head, 200);
  assert.ok(Number(head.headers['content-length']) > 0, show(head));
  assert.equal(await count(), before, 'HEAD /api/v1/backup wrote an audit entry');
  const got = await admin.get('/api/v1/backup');
  assertStatus(got, 200);
  const after = await getAudit();
  assert.equal(after.filter((e) => e.action === 'backup.create').length, 1, 'one backup sent, one entry');
});
