// An ODBC import end to end through the SQLite ODBC driver: named period parameters bound as
// values, the documented column contract, whole days replaced on re-import, results computed,
// and the password never leaving the daemon. The database is made by the sqlite3 shell.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, odbcDriver, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let dir;
let db;
let driver;

function sql(text) {
  execFileSync('sqlite3', [db], { input: text });
}

async function runDay(sourceId, day) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from: day, to: day });
  assertStatus(c, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(100);
  }
  throw new Error('run did not finish');
}

before(async () => {
  driver = odbcDriver('SQLite3', 'libsqliteodbc');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-odbc-'));
  db = path.join(dir, 'acd.sqlite');
  sql(`CREATE TABLE split_interval (split TEXT, split_name TEXT, starts TEXT, offered INTEGER, handled INTEGER);
       INSERT INTO split_interval VALUES
         ('7', 'Billing', '2026-11-23 23:45:00', 99, 99),
         ('7', 'Billing', '2026-11-24 00:00:00', 3, 2),
         ('7', 'Billing', '2026-11-24 00:15:00', 5, 5),
         ('8', NULL, '2026-11-24 00:00:00', 1, 0),
         ('7', 'Billing', '2026-11-25 00:00:00', 50, 50);`);
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an ODBC source imports its period, replaces days on re-import and feeds mappings', async () => {
  const src = await admin.post('/api/v1/sources', {
    name: 'SQLite ACD', kind: 'odbc', time_zone: 'UTC', password: 'canary-odbc-secret',
    settings: {
      odbc: {
        connection_string: `Driver=${driver};Database=${db}`,
        sql: 'SELECT split, split_name, starts, offered, handled FROM split_interval\n'
          + '-- :not_a_parameter in a comment\n'
          + 'WHERE starts >= :period_start AND starts < :period_end',
      },
    },
  });
  assertStatus(src, 201);
  const run = await runDay(src.body.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_read, 3, JSON.stringify(run)); // only 2026-11-24 was asked for
  assert.equal(run.counts.rows_staged, 3);

  const q = await admin.post('/api/v1/queues', { identifier: 'BILL', name: 'Billing', time_zone: 'UTC' });
  assertStatus(await admin.post('/api/v1/mappings', {
    queue_id: q.body.id, value_type: 'offered',
    inputs: [{ source_id: src.body.id, ext_queue: '7', metric: 'offered' }, { source_id: src.body.id, ext_queue: '8', metric: 'offered' }],
  }), 201);
  const res = async () => {
    const r = await admin.get('/api/v1/results?queue=BILL&from=2026-11-24&to=2026-11-24');
    assertStatus(r, 200);
    return r.body.items.map((x) => `${x.local.slice(11, 16)}=${x.value}`).join(' ');
  };
  assert.equal(await res(), '00:00=4 00:15=5');
  const names = await admin.get('/api/v1/unmapped-queues');
  assert.deepEqual(names.body.items, [], show(names));

  // the source changes its mind about the day: a re-import replaces the whole day
  sql("DELETE FROM split_interval WHERE starts = '2026-11-24 00:15:00'; UPDATE split_interval SET offered = 6 WHERE split = '8';");
  const again = await runDay(src.body.id, '2026-11-24');
  assert.equal(again.state, 'done');
  assert.equal(await res(), '00:00=9');

  const log = await admin.get(`/api/v1/runs/${again.id}/log`);
  assert.ok(!JSON.stringify(log.body).includes('canary-odbc-secret'));
  assert.ok(log.body.items.some((l) => /querying SQLite/i.test(l.message)), show(log));
});

test('a bad ODBC connection fails the run with the driver message, password redacted', async () => {
  const src = await admin.post('/api/v1/sources', {
    name: 'Broken ODBC', kind: 'odbc', time_zone: 'UTC', password: 'canary-broken-secret',
    settings: { odbc: { dsn: 'no-such-dsn-anywhere', sql: 'SELECT 1, 2, 3, 4 WHERE :period_start < :period_end' } },
  });
  assertStatus(src, 201);
  const run = await runDay(src.body.id, '2026-11-24');
  assert.equal(run.state, 'failed');
  const log = await admin.get(`/api/v1/runs/${run.id}/log`);
  assert.match(JSON.stringify(log.body), /connecting failed/);
  assert.ok(!JSON.stringify(log.body).includes('canary-broken-secret'));
  assert.ok(!d.stderr().includes('canary-broken-secret'));
});
