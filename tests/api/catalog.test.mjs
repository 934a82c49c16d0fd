// WFM queues and value types: CRUD, validation naming the field, time zones checked against
// the IANA database, built-in value types protected, operators may change, viewers only read.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { login } from '../lib/daemon.mjs';
import {
  ISO_UTC, assertError, assertInvalidField, assertStatus, createUser, pw, show, startWithAdmin,
  walkPages,
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

test('queue lifecycle: create, read, list, change, delete', async () => {
  const c = await operator.post('/api/v1/queues', {
    identifier: 'Q-Sales', name: 'Sales DE', channel: 'calls', interval_minutes: 15,
    time_zone: 'Europe/Berlin',
  });
  assertStatus(c, 201);
  assert.equal(c.headers.location, `/api/v1/queues/${c.body.id}`);
  assert.deepEqual(Object.keys(c.body).sort(), ['channel', 'created_at', 'id', 'identifier',
    'interval_minutes', 'name', 'time_zone', 'updated_at']);
  assert.match(c.body.created_at, ISO_UTC);
  const id = c.body.id;

  const g = await viewer.get(`/api/v1/queues/${id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.body, c.body);

  const p = await operator.patch(`/api/v1/queues/${id}`, { name: 'Sales Germany', interval_minutes: 30 });
  assertStatus(p, 200);
  assert.equal(p.body.name, 'Sales Germany');
  assert.equal(p.body.interval_minutes, 30);
  assert.equal(p.body.identifier, 'Q-Sales');

  const l = await viewer.get('/api/v1/queues');
  assertStatus(l, 200);
  assert.ok(l.body.items.some((q) => q.id === id && q.name === 'Sales Germany'), show(l));

  assertStatus(await operator.delete(`/api/v1/queues/${id}`), 204);
  assertError(await viewer.get(`/api/v1/queues/${id}`), 404, 'not_found');
  assertError(await operator.delete(`/api/v1/queues/${id}`), 404, 'not_found');
});

test('queue defaults and canonical time zone names', async () => {
  const c = await admin.post('/api/v1/queues', { identifier: 'Q-Def', name: 'Defaults', time_zone: 'UTC' });
  assertStatus(c, 201);
  assert.equal(c.body.channel, 'calls');
  assert.equal(c.body.interval_minutes, 15);
  assert.equal(c.body.time_zone, 'UTC');
  const ny = await admin.post('/api/v1/queues', { identifier: 'Q-NY', name: 'NY', time_zone: 'America/New_York' });
  assertStatus(ny, 201);
  assert.equal(ny.body.time_zone, 'America/New_York');
});

test('queue validation names the field', async () => {
  const base = { identifier: 'Q-Val', name: 'Valid', time_zone: 'Europe/Berlin' };
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, time_zone: 'Mars/Olympus' }), 'time_zone');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, time_zone: '' }), 'time_zone');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, interval_minutes: 20 }), 'interval_minutes');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, channel: 'pigeons' }), 'channel');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, identifier: '' }), 'identifier');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, name: 'a\nb' }), 'name');
  assertInvalidField(await operator.post('/api/v1/queues', { ...base, identifier: 'x'.repeat(129) }), 'identifier');
  assertError(await operator.post('/api/v1/queues', { ...base, extra: 1 }), 422, 'invalid_field');
  assertError(await operator.post('/api/v1/queues', { name: 'no id', time_zone: 'UTC' }), 422, 'invalid_field');
  // nothing was stored by the failed attempts
  const all = await walkPages(admin, '/api/v1/queues', 500);
  assert.ok(!all.flatMap((pg) => pg.items).some((q) => q.identifier === 'Q-Val'));
});

test('queue identifiers are unique', async () => {
  assertStatus(await operator.post('/api/v1/queues', { identifier: 'Q-Dup', name: 'A', time_zone: 'UTC' }), 201);
  assertError(await operator.post('/api/v1/queues', { identifier: 'Q-Dup', name: 'B', time_zone: 'UTC' }), 409, 'conflict');
  const other = await operator.post('/api/v1/queues', { identifier: 'Q-Dup2', name: 'C', time_zone: 'UTC' });
  assertError(await operator.patch(`/api/v1/queues/${other.body.id}`, { identifier: 'Q-Dup' }), 409, 'conflict');
});

test('viewers read queues and value types but cannot change them', async () => {
  assertStatus(await viewer.get('/api/v1/queues'), 200);
  assertStatus(await viewer.get('/api/v1/value-types'), 200);
  assertError(await viewer.post('/api/v1/queues', { identifier: 'Q-V', name: 'V', time_zone: 'UTC' }), 403, 'forbidden');
  assertError(await viewer.post('/api/v1/value-types', { key: 'v_only', name: 'V' }), 403, 'forbidden');
});

test('built-in value types are listed and protected', async () => {
  const l = await viewer.get('/api/v1/value-types');
  assertStatus(l, 200);
  const byKey = Object.fromEntries(l.body.items.map((v) => [v.key, v]));
  for (const k of ['offered', 'handled', 'abandoned', 'aht', 'handle_time', 'asa', 'service_level']) {
    assert.ok(byKey[k], `built-in ${k} missing: ${show(l)}`);
    assert.equal(byKey[k].builtin, true);
  }
  assert.equal(byKey.aht.combine, 'weighted');
  assert.equal(byKey.aht.weight_key, 'handled');
  assert.equal(byKey.offered.combine, 'sum');
  assert.equal(byKey.offered.weight_key, null);
  // a built-in may be renamed, not redefined or deleted
  const ren = await operator.patch(`/api/v1/value-types/${byKey.aht.id}`, { name: 'AHT (s)' });
  assertStatus(ren, 200);
  assert.equal(ren.body.name, 'AHT (s)');
  assertError(await operator.patch(`/api/v1/value-types/${byKey.aht.id}`, { combine: 'sum', weight_key: null }), 409, 'conflict');
  assertError(await operator.delete(`/api/v1/value-types/${byKey.offered.id}`), 409, 'conflict');
});

test('custom value types: sum and weighted, validation, in-use protection', async () => {
  const talk = await operator.post('/api/v1/value-types', { key: 'talk_time', name: 'Talk time', unit: 'seconds' });
  assertStatus(talk, 201);
  assert.equal(talk.body.combine, 'sum');
  assert.equal(talk.body.builtin, false);
  assert.equal(talk.headers.location, `/api/v1/value-types/${talk.body.id}`);
  const avg = await operator.post('/api/v1/value-types', {
    key: 'avg_talk', name: 'Average talk', unit: 'seconds', combine: 'weighted', weight_key: 'handled',
  });
  assertStatus(avg, 201);
  assert.equal(avg.body.weight_key, 'handled');
  // talk_time now weighs nothing, so it may go; a weight in use may not
  const w = await operator.post('/api/v1/value-types', {
    key: 'per_talk', name: 'Per talk', combine: 'weighted', weight_key: 'talk_time',
  });
  assertStatus(w, 201);
  assertError(await operator.delete(`/api/v1/value-types/${talk.body.id}`), 409, 'conflict');
  assertStatus(await operator.delete(`/api/v1/value-types/${w.body.id}`), 204);
  assertStatus(await operator.delete(`/api/v1/value-types/${talk.body.id}`), 204);

  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'Bad Key', name: 'x' }), 'key');
  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'u1', name: 'x', unit: 'furlongs' }), 'unit');
  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'c1', name: 'x', combine: 'median' }), 'combine');
  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'w1', name: 'x', combine: 'weighted' }), 'weight_key');
  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'w2', name: 'x', combine: 'weighted', weight_key: 'aht' }), 'weight_key');
  assertInvalidField(await operator.post('/api/v1/value-types', { key: 'w3', name: 'x', weight_key: 'handled' }), 'weight_key');
  assertError(await operator.post('/api/v1/value-types', { key: 'avg_talk', name: 'again' }), 409, 'conflict');
  assertError(await operator.patch(`/api/v1/value-types/${avg.body.id}`, { key: 'renamed' }), 422, 'invalid_field');
});

test('changes are audited with the actor', async () => {
  const r = await admin.get('/api/v1/audit?action=queue.create&limit=500');
  assertStatus(r, 200);
  assert.ok(r.body.items.some((e) => e.target === 'Q-Sales' && e.actor === 'op' && e.outcome === 'ok'), show(r));
  const v = await admin.get('/api/v1/audit?action=value_type.delete');
  assert.ok(v.body.items.some((e) => e.target === 'talk_time'), show(v));
});
