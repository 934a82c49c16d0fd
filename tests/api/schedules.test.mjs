// Schedules: every N minutes with an offset, or daily at HH:MM for the previous days; the next
// firing is planned in the source's time zone and shown; validation names the field.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertInvalidField, assertStatus, SAMPLE_SOURCE, show, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let src;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  src = (await admin.post('/api/v1/sources', SAMPLE_SOURCE('Sched CSV'))).body;
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

test('an intraday schedule fires at the next quarter-hour plus its offset', async () => {
  const r = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 15, offset_minutes: 5 });
  assertStatus(r, 201);
  assert.equal(r.headers.location, `/api/v1/schedules/${r.body.id}`);
  const next = Date.parse(r.body.next_run_at);
  assert.ok(next > Date.now() - 1000 && next <= Date.now() + 15 * 60 * 1000 + 1000, show(r));
  assert.equal(new Date(next).getUTCMinutes() % 15, 5); // Berlin is a whole hour from UTC
  assert.equal(r.body.source.name, 'Sched CSV');
  assert.equal(r.body.last_run_id, null);
  const p = await admin.patch(`/api/v1/schedules/${r.body.id}`, { enabled: false });
  assertStatus(p, 200);
  assert.equal(p.body.next_run_at, null);
  assertStatus(await admin.get(`/api/v1/schedules/${r.body.id}`), 200);
});

test('a daily schedule fires at its local time', async () => {
  const r = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '06:30', days_back: 3 });
  assertStatus(r, 201);
  const at = new Date(r.body.next_run_at);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(at);
  assert.equal(local, '06:30');
  assert.equal(r.body.days_back, 3);
  const l = await admin.get('/api/v1/schedules');
  assert.equal(l.body.items.length, 2);
  assertStatus(await admin.delete(`/api/v1/schedules/${r.body.id}`), 204);
  assertError(await admin.get(`/api/v1/schedules/${r.body.id}`), 404, 'not_found');
});

test('schedule validation names the field', async () => {
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 2 }), 'every_minutes');
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 15, offset_minutes: 15 }), 'offset_minutes');
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '25:00' }), 'daily_at');
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '06:00', days_back: 0 }), 'days_back');
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'weekly' }), 'kind');
  assertInvalidField(await admin.post('/api/v1/schedules', { source_id: 999, kind: 'daily', daily_at: '06:00' }), 'source_id');
});
