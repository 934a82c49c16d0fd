// Time zones whose rules changed after 2022 on the real daemon: health names the tz data in use,
// and a Mexico City export of a July 2026 day (no DST in Mexico since October 2022) lands on
// UTC intervals six hours later, as does a Cairo summer day (DST again since 2023) three
// hours earlier. Europe/Berlin's summer day is the unchanged reference.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, show, startWithAdmin } from '../lib/api.mjs';
import { client } from '../lib/daemon.mjs';
import { contactPipeline, line, runDays, writeCsv } from '../lib/pipeline.mjs';

let d;
let admin;
let anon;
let base;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  anon = client(d);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-tz-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

// The version in /usr/share/zoneinfo/tzdata.zi ("# version 2025b"), or null without one.
function systemTzdata() {
  try {
    const m = /^# version (\S+)/.exec(fs.readFileSync('/usr/share/zoneinfo/tzdata.zi', 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

test('health names the tz data in use: the system database', async () => {
  const r = await anon.get('/api/v1/health');
  assertStatus(r, 200);
  const want = systemTzdata();
  assert.ok(want, 'this machine has no /usr/share/zoneinfo/tzdata.zi: install tzdata');
  assert.equal(r.body.tzdata, want, show(r));
  assert.equal(r.body.tzdata_source, 'system', show(r));
});

// Imports one day of external queue ext in zone (a source and WFM queue "Q<ext>" of that zone),
// rows at the given local times, and returns the WFM queue's offered results for that day as
// [{interval_start, local, value}].
async function importDay(name, ext, zone, day, times) {
  const folder = path.join(base, name);
  fs.mkdirSync(folder);
  writeCsv(folder, `${day}.csv`, times.map((t, i) => line(ext, day, t, 10 + i, 10 + i, 60)));
  const { source } = await contactPipeline(admin, folder, [ext], { name, zone });
  const run = await runDays(admin, source.id, day);
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.rows_rejected ?? 0, 0, JSON.stringify(run));
  const res = await admin.get(`/api/v1/results?queue=Q${ext}&from=${day}&to=${day}&value_type=offered`);
  assertStatus(res, 200);
  return res.body.items.map((x) => ({ interval_start: x.interval_start, local: x.local, value: x.value }));
}

test('a Mexico City export of 2026-07-15 is UTC-6 (no DST since 2022)', async () => {
  const got = await importDay('Mexico', '7', 'America/Mexico_City', '2026-07-15', ['00:00', '09:30', '12:00', '23:45']);
  assert.deepEqual(got, [
    { interval_start: '2026-07-15T06:00:00Z', local: '2026-07-15T00:00-06:00', value: 10 },
    { interval_start: '2026-07-15T15:30:00Z', local: '2026-07-15T09:30-06:00', value: 11 },
    { interval_start: '2026-07-15T18:00:00Z', local: '2026-07-15T12:00-06:00', value: 12 },
    { interval_start: '2026-07-16T05:45:00Z', local: '2026-07-15T23:45-06:00', value: 13 },
  ]);
});

test('a Cairo export of 2024-07-01 is UTC+3 (DST again since 2023)', async () => {
  const got = await importDay('Cairo', '8', 'Africa/Cairo', '2024-07-01', ['00:00', '12:00']);
  assert.deepEqual(got, [
    { interval_start: '2024-06-30T21:00:00Z', local: '2024-07-01T00:00+03:00', value: 10 },
    { interval_start: '2024-07-01T09:00:00Z', local: '2024-07-01T12:00+03:00', value: 11 },
  ]);
});

test('an Almaty export of 2024-03-01 is UTC+5 (one zone for Kazakhstan since that day)', async () => {
  const got = await importDay('Almaty', '9', 'Asia/Almaty', '2024-03-01', ['00:00', '12:00']);
  assert.deepEqual(got, [
    { interval_start: '2024-02-29T19:00:00Z', local: '2024-03-01T00:00+05:00', value: 10 },
    { interval_start: '2024-03-01T07:00:00Z', local: '2024-03-01T12:00+05:00', value: 11 },
  ]);
});
