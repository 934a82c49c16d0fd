// Schedules: every N minutes with an offset, or daily at HH:MM for the previous days; the next
// firing is planned in the source's time zone and shown; validation names the field.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertInvalidField, assertStatus, ROOT, SAMPLE_SOURCE, show, startWithAdmin } from '../lib/api.mjs';

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

/** The local day of `ms` in `zone` plus `days`, as YYYY-MM-DD. */
function localDay(ms, zone, days = 0) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
  const d = new Date(`${parts}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

test('schedules name the source, its zone and whether it is enabled', async () => {
  const r = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '07:15', days_back: 1 });
  assertStatus(r, 201);
  assert.deepEqual(r.body.source, { id: src.id, name: 'Sched CSV', time_zone: 'Europe/Berlin', enabled: true });
  assertStatus(await admin.delete(`/api/v1/schedules/${r.body.id}`), 204);
});

test('run now queues the period a firing now would import and keeps the planned firing', async () => {
  const s = (await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'daily', daily_at: '05:45', days_back: 3, zero_fill: true })).body;
  const before = Date.now();
  const r = await admin.post(`/api/v1/schedules/${s.id}/run`);
  assertStatus(r, 202);
  assert.equal(r.headers.location, `/api/v1/runs/${r.body.id}`);
  assert.equal(r.body.source.id, src.id);
  assert.equal(r.body.trigger, 'manual');
  assert.equal(r.body.created_by, ROOT.name);
  assert.equal(r.body.zero_fill, true);
  const after = Date.now();
  // the three days before the source's local today (the test does not straddle midnight twice)
  assert.ok([localDay(before, 'Europe/Berlin', -3), localDay(after, 'Europe/Berlin', -3)].includes(r.body.from), show(r));
  assert.ok([localDay(before, 'Europe/Berlin', -1), localDay(after, 'Europe/Berlin', -1)].includes(r.body.to), show(r));
  const again = await admin.get(`/api/v1/schedules/${s.id}`);
  assert.equal(again.body.next_run_at, s.next_run_at, 'the planned firing stays');
  const audit = await admin.get('/api/v1/audit?limit=5');
  const entry = audit.body.items.find((e) => e.action === 'schedule.run');
  assert.ok(entry, show(audit));
  assert.equal(entry.target, 'Sched CSV');

  const every = (await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 60, offset_minutes: 0 })).body;
  const now = await admin.post(`/api/v1/schedules/${every.id}/run`);
  assertStatus(now, 202);
  assert.equal(now.body.to, localDay(Date.now(), 'Europe/Berlin'), 'every: up to the local today');
  assert.equal(now.body.zero_fill, false);
  for (const id of [s.id, every.id]) {
    assertStatus(await admin.delete(`/api/v1/schedules/${id}`), 204);
  }
});

test('run now is refused for a disabled source and an unknown schedule', async () => {
  const other = (await admin.post('/api/v1/sources', SAMPLE_SOURCE('Sched off'))).body;
  const s = (await admin.post('/api/v1/schedules', { source_id: other.id, kind: 'daily', daily_at: '06:00' })).body;
  assertStatus(await admin.patch(`/api/v1/sources/${other.id}`, { enabled: false }), 200);
  const r = await admin.post(`/api/v1/schedules/${s.id}/run`);
  assertError(r, 409, 'conflict');
  assert.match(r.body.error.message, /disabled/);
  assert.equal((await admin.get(`/api/v1/schedules/${s.id}`)).body.source.enabled, false);
  assertError(await admin.post('/api/v1/schedules/999999/run'), 404, 'not_found');
  assertStatus(await admin.delete(`/api/v1/schedules/${s.id}`), 204);
  assertStatus(await admin.delete(`/api/v1/sources/${other.id}`), 204);
});

test('a source answers the earliest next firing of its enabled schedules', async () => {
  const own = (await admin.post('/api/v1/sources', SAMPLE_SOURCE('Sched next'))).body;
  assert.equal(own.next_run_at, null, 'no schedule: null');
  const a = (await admin.post('/api/v1/schedules', { source_id: own.id, kind: 'every', every_minutes: 30, offset_minutes: 7 })).body;
  const b = (await admin.post('/api/v1/schedules', { source_id: own.id, kind: 'daily', daily_at: '03:00' })).body;
  const earliest = [a.next_run_at, b.next_run_at].sort((x, y) => Date.parse(x) - Date.parse(y))[0];
  let got = await admin.get(`/api/v1/sources/${own.id}`);
  assert.equal(got.body.next_run_at, earliest, show(got));
  const listed = (await admin.get('/api/v1/sources?limit=500')).body.items.find((x) => x.id === own.id);
  assert.equal(listed.next_run_at, earliest);
  assertStatus(await admin.patch(`/api/v1/schedules/${a.id}`, { enabled: false }), 200);
  got = await admin.get(`/api/v1/sources/${own.id}`);
  assert.equal(got.body.next_run_at, b.next_run_at, 'a disabled schedule does not count');
  const off = await admin.patch(`/api/v1/sources/${own.id}`, { enabled: false });
  assert.equal(off.body.next_run_at, null, 'a disabled source fires nothing');
  for (const id of [a.id, b.id]) {
    assertStatus(await admin.delete(`/api/v1/schedules/${id}`), 204);
  }
  assertStatus(await admin.delete(`/api/v1/sources/${own.id}`), 204);
});
