// ODBC rows in time order are staged day by day as each day completes; rows in any other order
// fall back to staging at the end of the run, with a run-log line saying why. Both must stage
// the same values: the same table is read by three sources (ordered by time, by queue then
// time, and backwards), and their results through mappings are compared with each other and
// with the values the table holds (a value given twice is added up; the query leaves out the
// rows outside the period). A re-import replaces the period's days whole either way. The daemon stages
// in slices of 2 queue-days (ACDL_TEST_STAGING_SLICE), so a few days already stream. SQLite
// ODBC driver; the database is made by the sqlite3 shell.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, odbcDriver, show, sleep, startWithAdmin } from '../lib/api.mjs';
import { mapEachQueue } from '../lib/pipeline.mjs';

const QUEUES = ['A', 'B', 'C'];
const DAYS = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];
const TIMES = ['00:00', '00:15', '12:00', '23:45'];
const FROM = DAYS[0];
const TO = DAYS[DAYS.length - 1];
let d;
let admin;
let dir;
let db;
let driver;

function sql(text) {
  execFileSync('sqlite3', [db], { input: text });
}

const offered = (qi, di, ti) => 1 + qi * 100 + di * 10 + ti;
const handled = (qi, di, ti) => (qi + di + ti) % 3;

async function runPeriod(sourceId) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from: FROM, to: TO });
  assertStatus(c, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      const log = await admin.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
      return { ...r.body, log: log.body.items };
    }
    await sleep(100);
  }
  throw new Error('run did not finish');
}

const sources = {};
const orders = {
  time: 'ORDER BY starts, split',
  queue: 'ORDER BY split, starts',
  backwards: 'ORDER BY starts DESC, split DESC',
};

// Every (source order, queue, value type) result of the period as 'YYYY-MM-DD HH:MM' -> value.
async function results(order) {
  const out = {};
  for (const q of QUEUES) {
    for (const vt of ['offered', 'handled']) {
      const r = await admin.get(`/api/v1/results?queue=${order}-${q}&from=${FROM}&to=${TO}&value_type=${vt}`);
      assertStatus(r, 200);
      out[`${q} ${vt}`] = Object.fromEntries(r.body.items.map((x) => [x.local.slice(0, 16).replace('T', ' '), x.value]));
    }
  }
  return out;
}

before(async () => {
  driver = odbcDriver('SQLite3', 'libsqliteodbc');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-odbc-order-'));
  db = path.join(dir, 'acd.sqlite');
  const rows = [];
  QUEUES.forEach((q, qi) => DAYS.forEach((day, di) => TIMES.forEach((t, ti) => {
    rows.push(`('${q}', 'Queue ${q}', '${day} ${t}:00', ${offered(qi, di, ti)}, ${handled(qi, di, ti)})`);
  })));
  // outside the period: left out by the query
  rows.push("('A', 'Queue A', '2026-11-19 23:45:00', 500, 500)", "('B', 'Queue B', '2026-11-24 00:00:00', 500, 500)");
  // A's 00:15 of the second day comes twice: added up
  rows.push(`('A', 'Queue A', '${DAYS[1]} 00:15:00', 7, 1)`);
  sql(`CREATE TABLE iv (split TEXT, split_name TEXT, starts TEXT, offered INTEGER, handled INTEGER);
       INSERT INTO iv VALUES ${rows.join(',\n')};`);
  ({ d, admin } = await startWithAdmin({ env: { ACDL_TEST_STAGING_SLICE: '2' }, args: ['--login-max-failures', '100'] }));
  for (const [order, clause] of Object.entries(orders)) {
    const src = await admin.post('/api/v1/sources', {
      name: `ODBC ${order}`, kind: 'odbc', time_zone: 'UTC',
      settings: {
        odbc: {
          connection_string: `Driver=${driver};Database=${db}`,
          sql: `SELECT split, split_name, starts, offered, handled FROM iv WHERE starts >= :period_start AND starts < :period_end ${clause}`,
          // one query for the period: split into one query per day (the default for a run of
          // several days), a result ordered by queue or backwards arrives day by day
          connections: order === 'time' ? 3 : 1,
        },
      },
    });
    assertStatus(src, 201);
    sources[order] = src.body;
    await mapEachQueue(admin, src.body.id, QUEUES, order, 'UTC');
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function expected(skip = () => false) {
  const out = {};
  QUEUES.forEach((q, qi) => {
    out[`${q} offered`] = {};
    out[`${q} handled`] = {};
    DAYS.forEach((day, di) => TIMES.forEach((t, ti) => {
      if (skip(q, day)) {
        return;
      }
      const extra = q === 'A' && di === 1 && t === '00:15';
      out[`${q} offered`][`${day} ${t}`] = offered(qi, di, ti) + (extra ? 7 : 0);
      out[`${q} handled`][`${day} ${t}`] = handled(qi, di, ti) + (extra ? 1 : 0);
    }));
  });
  return out;
}

test('rows in time order, by queue and backwards stage the same values; only the unordered say so', async () => {
  const want = expected();
  for (const order of Object.keys(orders)) {
    const r = await runPeriod(sources[order].id);
    assert.equal(r.state, 'done', show(r));
    // the query leaves out the rows outside the period
    assert.equal(r.counts.rows_read, QUEUES.length * DAYS.length * TIMES.length + 1, order);
    assert.equal(r.counts.rows_staged, r.counts.rows_read, order);
    const note = r.log.find((l) => l.code === 'run.rows_unordered');
    if (order === 'time') {
      assert.equal(note, undefined, JSON.stringify(r.log));
    } else {
      assert.ok(note, `${order}: ${JSON.stringify(r.log)}`);
      assert.match(note.message, /not ordered by time/);
      assert.ok(note.params.row > 1 && DAYS.includes(note.params.day) && note.params.day < note.params.after, JSON.stringify(note));
    }
    assert.ok(r.log.some((l) => l.code === 'run.values_added_up' && l.params.n === 2), `${order}: ${JSON.stringify(r.log)}`);
    assert.deepEqual(await results(order), want, order);
    // the ordered run wrote its days aside as they completed; the queue-ordered one had begun
    // to and took them back; the backwards one never began
    const streamed = new RegExp(`run ${r.id}: (\\d+) days of a queue were written aside`).exec(d.stderr());
    const back = new RegExp(`run ${r.id}: streaming ends; (\\d+) days`).exec(d.stderr());
    assert.equal(streamed ? Number(streamed[1]) : 0, order === 'time' ? QUEUES.length * DAYS.length : 0, d.stderr().slice(-3000));
    assert.equal(Boolean(back && Number(back[1]) > 0), order === 'queue', d.stderr().slice(-3000));
  }
});

test('a re-import replaces the period whole, streamed or not', async () => {
  // B's third day is gone from the source, and A's first value changed
  sql(`DELETE FROM iv WHERE split = 'B' AND starts LIKE '${DAYS[2]}%';
       UPDATE iv SET offered = 1000 WHERE split = 'A' AND starts = '${DAYS[0]} 00:00:00';`);
  const want = expected((q, day) => q === 'B' && day === DAYS[2]);
  want['A offered'][`${DAYS[0]} 00:00`] = 1000;
  for (const order of Object.keys(orders)) {
    const r = await runPeriod(sources[order].id);
    assert.equal(r.state, 'done', show(r));
    assert.deepEqual(await results(order), want, order);
  }
});
