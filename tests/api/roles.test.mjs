// Authorisation matrix from the route table, API tokens (auth, revoke, secret never listed).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bearer, client, login } from '../lib/daemon.mjs';
import {
  ISO_UTC, ROLE_RANK, USER_ROLES, assertError, assertStatus, createToken, createUser, fillPath,
  pw, routeTable, sampleBody, show, startWithAdmin,
  SAMPLE_SOURCE,
} from '../lib/api.mjs';
import { contactPipeline, line, runDays, waitFor, writeCsv } from '../lib/pipeline.mjs';

let d;
let admin;
let table;
const tokens = {}; // role -> token body (with .token)
let victimUser;
let victimChannel;
let victimRule;
let victimToken;
let victimQueue;
let victimValueType;
let victimSource;
let victimRun;
let victimMapping;
let victimSchedule;
let victimJob;
let victimTarget;
let victimDelivery;
let folder;
let victimAgent;
let victimActivity;
let victimResend;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  table = await routeTable(admin);
  for (const role of USER_ROLES) {
    tokens[role] = await createToken(admin, `matrix-${role}`, role);
  }
  victimUser = await createUser(admin, 'matrix-victim', 'viewer');
  victimToken = await createToken(admin, 'matrix-victim-token', 'viewer');
  victimQueue = (await admin.post('/api/v1/queues', { identifier: 'matrix-victim', name: 'Victim', time_zone: 'UTC' })).body;
  victimValueType = (await admin.post('/api/v1/value-types', { key: 'matrix_victim', name: 'Victim' })).body;
  victimSource = (await admin.post('/api/v1/sources', SAMPLE_SOURCE('matrix-victim'))).body;
  victimRun = (await admin.post('/api/v1/runs', { source_id: victimSource.id, from: '2026-11-24', to: '2026-11-24' })).body;
  victimJob = (await admin.post(`/api/v1/sources/${victimSource.id}/preview`, { day: '2026-11-24' })).body;
  victimAgent = (await admin.post('/api/v1/agents', { identifier: 'matrix-victim' })).body;
  victimActivity = (await admin.post('/api/v1/activities', { identifier: 'matrix-victim', name: 'Victim' })).body;
  victimSchedule = (await admin.post('/api/v1/schedules', { source_id: victimSource.id, kind: 'daily', daily_at: '06:00' })).body;
  victimMapping = (await admin.post('/api/v1/mappings', {
    queue_id: victimQueue.id, value_type: 'offered',
    inputs: [{ source_id: victimSource.id, ext_queue: 'victim', metric: 'offered' }],
  })).body;
  // a target and a delivered batch (a csv-export into a temporary folder)
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-roles-'));
  victimTarget = (await admin.post('/api/v1/targets', { name: 'matrix-victim', connector: 'csv-export', settings: { folder: path.join(folder, 'out'), create_folder: true } })).body;
  const { source } = await contactPipeline(admin, folder, ['901'], { name: 'matrix-acd' });
  writeCsv(folder, 'a.csv', [line('901', '2026-11-24', '08:00', 3, 2, 10)]);
  await runDays(admin, source.id, '2026-11-24');
  victimDelivery = await waitFor(async () => (await admin.get('/api/v1/deliveries')).body.items[0], 'a batch');
  victimResend = (await admin.post(`/api/v1/targets/${victimTarget.id}/resend`, { from: '2026-11-24', to: '2026-11-24' })).body;
  victimChannel = (await admin.post('/api/v1/alerts/channels', { name: 'matrix-victim', kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook' } })).body;
  victimRule = (await admin.post('/api/v1/alerts/rules', { event: 'backlog', channel_id: victimChannel.id })).body;
});

after(async () => {
  if (d) {
    await d.stop();
  }
  if (folder) {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

// GET routes that need query parameters to answer 200
const QUERIES = {
  '/api/v1/results': '?queue=matrix-victim&from=2026-11-24&to=2026-11-24',
  '/api/v1/results/csv': '?queue=matrix-victim&from=2026-11-24&to=2026-11-24',
  '/api/v1/agent-states': '?agent=matrix-victim&from=2026-11-24&to=2026-11-24',
};

function ids() {
  return {
    '/api/v1/users/': victimUser.id,
    '/api/v1/tokens/': victimToken.id,
    '/api/v1/queues/': victimQueue.id,
    '/api/v1/value-types/': victimValueType.id,
    '/api/v1/sources/': victimSource.id,
    '/api/v1/runs/': victimRun.id,
    '/api/v1/mappings/': victimMapping.id,
    '/api/v1/schedules/': victimSchedule.id,
    '/api/v1/jobs/': victimJob.id,
    '/api/v1/targets/': victimTarget.id,
    '/api/v1/deliveries/': victimDelivery.id,
    '/api/v1/agents/': victimAgent.id,
    '/api/v1/activities/': victimActivity.id,
    '/api/v1/resends/': victimResend.id,
    '/api/v1/alerts/channels/': victimChannel.id,
    '/api/v1/alerts/rules/': victimRule.id,
  };
}

test('every route answers 403 forbidden to each token role below its role (from GET /api/v1/endpoints)', async () => {
  const failures = [];
  let checked = 0;
  for (const route of table) {
    const need = ROLE_RANK[route.role];
    assert.ok(need !== undefined, `unknown role '${route.role}' for ${route.method} ${route.path}`);
    for (const role of USER_ROLES) {
      if (ROLE_RANK[role] >= need) {
        continue;
      }
      const c = bearer(d, tokens[role].token);
      const p = fillPath(route.path, ids());
      const r = await c.request(route.method, p, { json: sampleBody(route.method, route.path, `m-${role}`) });
      checked++;
      if (r.status !== 403 || r.body?.error?.code !== 'forbidden') {
        failures.push(`[${role} token] ${show(r)}`);
      }
    }
  }
  assert.deepEqual(failures, [], 'routes that did not refuse a lower role with 403 forbidden');
  assert.ok(checked > 0, 'no (route, role) pair was checked');
  // Nothing was changed by the refused requests.
  const u = await admin.get(`/api/v1/users/${victimUser.id}`);
  assertStatus(u, 200);
  const t = await admin.get('/api/v1/tokens?limit=500');
  const vt = t.body.items.find((x) => x.id === victimToken.id);
  assert.equal(vt.revoked_at, null, `victim token revoked by a lower role: ${show(t)}`);
  const users = await admin.get('/api/v1/users?limit=500');
  assert.ok(!users.body.items.some((x) => x.name.startsWith('probe-')), `user created by a lower role: ${show(users)}`);
});

test('every GET route is allowed for each token role at or above its role', async () => {
  const failures = [];
  for (const route of table) {
    if (route.method !== 'GET' || route.role === 'public') {
      continue;
    }
    for (const role of USER_ROLES) {
      if (ROLE_RANK[role] < ROLE_RANK[route.role]) {
        continue;
      }
      const r = await bearer(d, tokens[role].token).get(fillPath(route.path, ids()) + (QUERIES[route.path] || ''));
      if (r.status !== 200) {
        failures.push(`[${role} token] ${show(r)}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('the same matrix holds for session users (role from the user, CSRF token sent)', async () => {
  const sessions = {};
  for (const role of ['viewer', 'operator']) {
    await createUser(admin, `sess-${role}`, role, pw(`sess-${role}`));
    sessions[role] = await login(d, `sess-${role}`, pw(`sess-${role}`));
  }
  const failures = [];
  for (const route of table) {
    for (const role of ['viewer', 'operator']) {
      if (ROLE_RANK[role] >= ROLE_RANK[route.role]) {
        continue;
      }
      const r = await sessions[role].request(route.method, fillPath(route.path, ids()),
        { json: sampleBody(route.method, route.path, `s-${role}`) });
      if (r.status !== 403 || r.body?.error?.code !== 'forbidden') {
        failures.push(`[${role} session] ${show(r)}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('inside the operator routes, a target\'s address and trust settings need the admin role (tokens too)', async () => {
  const op = bearer(d, tokens.operator.token);
  const adm = bearer(d, tokens.admin.token);
  const json = { name: 'roles-json', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/roles' } };
  const refused = await op.post('/api/v1/targets', json);
  assertError(refused, 403, 'forbidden');
  assert.equal(refused.body.error.hint_code, 'hint.ask_admin_target_address', show(refused));
  const made = await adm.post('/api/v1/targets', json);
  assertStatus(made, 201);
  const p = `/api/v1/targets/${made.body.id}`;
  assertError(await op.patch(p, { settings: { ...made.body.settings, url: 'https://127.0.0.1:9/elsewhere' } }), 403, 'forbidden');
  assertError(await op.patch(p, { settings: { ...made.body.settings, pin_sha256: 'a'.repeat(64) } }), 403, 'forbidden');
  assertStatus(await op.patch(p, { settings: { ...made.body.settings, timeout_seconds: 20 }, enabled: false }), 200);
  assertStatus(await adm.patch(p, { settings: { ...made.body.settings, url: 'https://127.0.0.1:9/elsewhere' } }), 200);
  assertStatus(await op.delete(p), 204);
});

test('token list: fields, no secret, prefix is a proper prefix of the secret', async () => {
  const created = await createToken(admin, 'listed', 'operator');
  assert.ok(Number.isInteger(created.id), show({ status: 201, body: created }));
  const r = await admin.get('/api/v1/tokens?limit=500');
  assertStatus(r, 200);
  for (const tok of Object.values(tokens).concat([created, victimToken])) {
    assert.ok(!r.text.includes(tok.token), `GET /api/v1/tokens contains the secret of ${tok.name}`);
    const suffix = tok.token.slice(-12);
    assert.ok(!r.text.includes(suffix), `GET /api/v1/tokens contains the tail of ${tok.name}'s secret`);
  }
  const item = r.body.items.find((x) => x.id === created.id);
  assert.ok(item, show(r));
  assert.ok(!('token' in item), `listed token has a 'token' field: ${JSON.stringify(item)}`);
  for (const k of ['id', 'name', 'role', 'prefix', 'created_at', 'created_by', 'last_used_at', 'revoked_at']) {
    assert.ok(k in item, `token field ${k} missing: ${JSON.stringify(item)}`);
  }
  assert.equal(item.name, 'listed');
  assert.equal(item.role, 'operator');
  assert.match(item.created_at, ISO_UTC);
  assert.equal(item.revoked_at, null);
  assert.equal(typeof item.prefix, 'string');
  assert.ok(created.token.startsWith(item.prefix), `prefix ${item.prefix} is not a prefix of the secret`);
  assert.ok(item.prefix.length < created.token.length - 16, `prefix reveals too much: ${item.prefix}`);
  assert.ok(created.token.length >= 5 + 32, `token secret short: ${created.token.length} chars`);
  // The single-token GET does not exist in the contract; the secret must not leak anywhere else either.
  const session = await admin.get('/api/v1/auth/session');
  assert.ok(!session.text.includes(created.token));
});

test('token auth works, updates last_used_at, and a revoked token -> 401 (stays listed with revoked_at)', async () => {
  const tok = await createToken(admin, 'short-lived', 'admin');
  const b = bearer(d, tok.token);
  const me = await b.get('/api/v1/auth/session');
  assertStatus(me, 200);
  assert.equal(me.body.auth, 'token', show(me));
  assertStatus(await b.get('/api/v1/users'), 200);
  const listed = (await admin.get('/api/v1/tokens?limit=500')).body.items.find((x) => x.id === tok.id);
  assert.ok(listed.last_used_at === null || ISO_UTC.test(listed.last_used_at), JSON.stringify(listed));

  const rev = await admin.delete(`/api/v1/tokens/${tok.id}`);
  assertStatus(rev, 204);
  assertError(await b.get('/api/v1/auth/session'), 401, 'unauthorized');
  assertError(await b.get('/api/v1/users'), 401, 'unauthorized');
  assertError(await b.post('/api/v1/users', { name: 'after-revoke', role: 'viewer', password: pw('ar') }), 401, 'unauthorized');
  const list = await admin.get('/api/v1/tokens?limit=500');
  const item = list.body.items.find((x) => x.id === tok.id);
  assert.ok(item, `revoked token no longer listed: ${show(list)}`);
  assert.match(String(item.revoked_at), ISO_UTC, `revoked_at: ${JSON.stringify(item)}`);
});

test('revoking an unknown token -> 404 not_found', async () => {
  assertError(await admin.delete('/api/v1/tokens/999999'), 404, 'not_found');
});

test('a token of a lower role cannot mint a higher one, and a malformed bearer header -> 401', async () => {
  const r = await bearer(d, tokens.operator.token).post('/api/v1/tokens', { name: 'escalate', role: 'admin' });
  assertError(r, 403, 'forbidden');
  for (const h of ['Bearer', 'Bearer ', `Basic ${Buffer.from('root:x').toString('base64')}`,
    `bearer ${tokens.admin.token}x`, `Bearer ${tokens.admin.token.slice(0, -1)}`]) {
    const res = await client(d).get('/api/v1/users', { headers: { Authorization: h } });
    assertError(res, 401, 'unauthorized');
  }
});

test('token creation validates name and role (422 naming the field)', async () => {
  const badRole = await admin.post('/api/v1/tokens', { name: 'bad-role', role: 'root' });
  assertError(badRole, 422, 'invalid_field');
  assert.ok(`${badRole.body.error.message} ${badRole.body.error.hint || ''}`.includes('role'), show(badRole));
  const noName = await admin.post('/api/v1/tokens', { role: 'viewer' });
  assertError(noName, 422, 'invalid_field');
  assert.ok(`${noName.body.error.message} ${noName.body.error.hint || ''}`.includes('name'), show(noName));
});

test('tokens do not use session slots: 200 requests with tokens leave sessions working', async () => {
  const s = await login(d, 'root', 'root-Passw0rd-long-enough');
  const b = bearer(d, tokens.viewer.token, { keepAlive: true });
  for (let i = 0; i < 200; i++) {
    const r = await b.get('/api/v1/auth/session');
    assert.equal(r.status, 200, show(r));
  }
  b.close();
  assertStatus(await s.get('/api/v1/auth/session'), 200);
});
