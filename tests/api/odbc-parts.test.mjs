// A run of several days read by several queries at once (odbc.connections), one per day on
// connections of its own, stages exactly what one query for the whole period stages: the same
// rows read, staged and rejected (with the same row numbers), the same results through
// mappings, over the autumn DST change and with values given twice. A
// day whose query fails fails the run with that day named, and the data of the source's
// earlier run stays as it was. The interval start cast to text by the server (the cheaper
// form for psqlODBC, see README "ODBC import") stages the same as the timestamp. A run of
// fewer days than connections reads each day in parts of a day, and the same again; a query
// that selects by date (not by the time within a day) is found out by a row outside its part
// and read again by whole days. A real PostgreSQL (tests/lib/pg.sh) through psqlODBC.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';
import { startPostgres } from '../lib/sqldb.mjs';
import { mapEachQueue } from '../lib/pipeline.mjs';

const QUEUES = ['A', 'B', 'C'];
const FROM = '2026-10-23';
const TO = '2026-10-27'; // Europe/Berlin leaves summer time on 2026-10-25 at 03:00
const FAIL_DAY = '2026-10-26';
const SQL = 'SELECT split, NULL AS split_name, starts, offered, handled FROM iv'
  + ' WHERE starts >= :period_start AND starts < :period_end ORDER BY starts, split, seq';
// the same rows with the interval start as the server's text
const SQL_TEXT = SQL.replace(', starts,', ', starts::text AS interval_start,');
// the same rows chosen by their date: right for whole days only
const SQL_DATE = SQL.replace('starts >= :period_start AND starts < :period_end',
  'starts::date >= CAST(:period_start AS date) AND starts::date < CAST(:period_end AS date)');
let db;
let d;
let admin;
const sources = {};

async function runPeriod(sourceId, from = FROM, to = TO) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from, to });
  assertStatus(c, 202);
  for (const deadline = Date.now() + 120000; Date.now() < deadline;) { // polls until the run ends
    const r = await admin.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      const log = await admin.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
      return { ...r.body, log: log.body.items };
    }
    await sleep(100);
  }
  throw new Error('run did not finish');
}

// Every (queue, value type) result of the period, keyed by the local start with its offset.
async function results(name, from = FROM, to = TO) {
  const out = {};
  for (const q of QUEUES) {
    for (const vt of ['offered', 'handled']) {
      const r = await admin.get(`/api/v1/results?queue=${name}-${q}&from=${from}&to=${to}&value_type=${vt}`);
      assertStatus(r, 200);
      out[`${q} ${vt}`] = Object.fromEntries(r.body.items.map((x) => [x.local, x.value]));
    }
  }
  return out;
}

before(async () => {
  db = await startPostgres();
  // 3 queues x 96 quarter hours x 7 days (the period's 5 and one on each side), the autumn
  // day's 02:00 .. 02:45 twice for queue A (values added up), and on the
  // third day a queue id longer than a value may be (a rejected row)
  db.exec(`CREATE TABLE iv (split TEXT, starts TIMESTAMP, offered INTEGER, handled INTEGER, seq INTEGER);
    INSERT INTO iv
    SELECT q, timestamp '2026-10-22' + d * interval '1 day' + i * interval '15 minutes',
           d * 1000 + i * 3 + ascii(q), (d + i + ascii(q)) % 7, 0
      FROM generate_series(0, 6) d, generate_series(0, 95) i, unnest(array['A', 'B', 'C']) q;
    INSERT INTO iv SELECT 'A', timestamp '2026-10-25 02:00' + i * interval '15 minutes', 500 + i, 1, 1
      FROM generate_series(0, 3) i;
    INSERT INTO iv VALUES (repeat('x', 300), '2026-10-25 12:00', 1, 1, 0);`);
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  for (const [name, connections, sql] of [['one', 1, SQL], ['split', 3, SQL], ['text', 3, SQL_TEXT],
    ['parts', 3, SQL], ['bydate', 3, SQL_DATE]]) {
    const src = await admin.post('/api/v1/sources', {
      name: `ODBC ${name}`, kind: 'odbc', time_zone: 'Europe/Berlin', password: db.password,
      settings: { odbc: { connection_string: db.connectionString, user: db.user, sql, connections } },
    });
    assertStatus(src, 201);
    assert.equal(src.body.settings.odbc.connections, connections);
    sources[name] = src.body;
    await mapEachQueue(admin, src.body.id, QUEUES, name, 'Europe/Berlin');
  }
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  db?.stop();
});

test('the settings refuse a number of connections out of range', async () => {
  for (const connections of [0, 9, 'two']) {
    const r = await admin.post('/api/v1/sources', {
      name: 'ODBC bad', kind: 'odbc', time_zone: 'UTC',
      settings: { odbc: { connection_string: db.connectionString, sql: SQL, connections } },
    });
    assertStatus(r, 422);
    assert.match(JSON.stringify(r.body), /odbc\.connections/);
  }
});

test('a period read by one query per day stages exactly what one query stages', async () => {
  const runs = {};
  for (const name of ['one', 'split']) {
    const r = await runPeriod(sources[name].id);
    assert.equal(r.state, 'done', show(r));
    runs[name] = r;
  }
  const inPeriod = Number(db.query(`SELECT count(*) FROM iv WHERE starts >= '${FROM}' AND starts < date '${TO}' + 1`));
  assert.equal(runs.one.counts.rows_read, inPeriod);
  for (const k of ['rows_read', 'rows_staged', 'rows_rejected', 'rows_filtered']) {
    assert.equal(runs.split.counts[k], runs.one.counts[k], k);
  }
  assert.equal(runs.split.counts.rows_rejected, 1);
  const querying = (r) => r.log.find((l) => l.code === 'run.querying').params;
  assert.equal(querying(runs.split).connections, 3, JSON.stringify(runs.split.log));
  assert.equal(querying(runs.one).connections, undefined);
  // the rejected row: the same message with the same row number, counted over the whole period
  const rejects = (r) => r.log.filter((l) => l.level !== 'info' && /longer than/.test(l.message)).map((l) => l.message);
  assert.equal(rejects(runs.split).length, 1, JSON.stringify(runs.split.log));
  assert.deepEqual(rejects(runs.split), rejects(runs.one));
  // (ordered by time and then queue: after A, B and C of its interval)
  const before = Number(db.query(`SELECT count(*) FROM iv WHERE starts >= '${FROM}' AND starts <= '2026-10-25 12:00' AND length(split) = 1`));
  assert.match(rejects(runs.split)[0], new RegExp(`row ${before + 1}\\b`));
  const one = await results('one');
  const split = await results('split');
  assert.deepEqual(split, one);
  // both hold every value: the repeated hour twice (+02:00 and +01:00), A's sum as in the table
  const aOffered = Object.values(one['A offered']).reduce((a, b) => a + b, 0);
  const want = Number(db.query(`SELECT sum(offered) FROM iv WHERE split = 'A' AND starts >= '${FROM}' AND starts < date '${TO}' + 1`));
  assert.equal(aOffered, want);
  // the autumn day's 02:00 .. 02:45 of queue A came twice: added up, in the split run too
  assert.equal(one['A offered']['2026-10-25T02:00+02:00'], 3000 + 8 * 3 + 65 + 500, JSON.stringify(one['A offered']));
  assert.equal(Object.keys(one['A offered']).filter((k) => k.startsWith('2026-10-25')).length, 96);
});

test('a run of fewer days than connections reads parts of a day and stages what one query stages', async () => {
  // the autumn day (its repeated hour, queue A's values given twice, the rejected row at
  // 12:00) alone, and with the day after it: parts of 8 and of 12 hours
  for (const [from, to] of [['2026-10-25', '2026-10-25'], ['2026-10-25', '2026-10-26']]) {
    const one = await runPeriod(sources.one.id, from, to);
    const split = await runPeriod(sources.parts.id, from, to);
    assert.equal(one.state, 'done', show(one));
    assert.equal(split.state, 'done', show(split));
    const querying = split.log.find((l) => l.code === 'run.querying').params;
    assert.equal(querying.connections, 3, JSON.stringify(split.log));
    assert.equal(split.log.filter((l) => l.code === 'run.day_parts_mismatch').length, 0, JSON.stringify(split.log));
    for (const k of ['rows_read', 'rows_staged', 'rows_rejected', 'rows_filtered']) {
      assert.equal(split.counts[k], one.counts[k], k);
    }
    assert.equal(split.counts.rows_rejected, 1);
    const rejects = (r) => r.log.filter((l) => l.level !== 'info' && /longer than/.test(l.message)).map((l) => l.message);
    assert.deepEqual(rejects(split), rejects(one));
    const want = await results('one', from, to);
    assert.deepEqual(await results('parts', from, to), want);
    assert.equal(Object.keys(want['A offered']).filter((k) => k.startsWith('2026-10-25')).length, 96);
    assert.equal(want['A offered']['2026-10-25T02:00+02:00'], 3000 + 8 * 3 + 65 + 500);
  }
});

test('a query that selects by date is read again by whole days, with the same result', async () => {
  const from = '2026-10-25';
  const one = await runPeriod(sources.one.id, from, from);
  const r = await runPeriod(sources.bydate.id, from, from);
  assert.equal(r.state, 'done', show(r));
  const note = r.log.find((l) => l.code === 'run.day_parts_mismatch');
  assert.ok(note, JSON.stringify(r.log));
  assert.match(note.message, /reads again with one query per day/);
  // the second reading is one query (a day), its counts are those of the run
  const querying = r.log.filter((l) => l.code === 'run.querying').map((l) => l.params.connections);
  assert.deepEqual(querying, [3, undefined]);
  for (const k of ['rows_read', 'rows_staged', 'rows_rejected', 'rows_filtered']) {
    assert.equal(r.counts[k], one.counts[k], k);
  }
  assert.deepEqual(await results('bydate', from, from), await results('one', from, from));
  const aOffered = Object.values((await results('bydate', from, from))['A offered']).reduce((a, b) => a + b, 0);
  const want = Number(db.query(`SELECT sum(offered) FROM iv WHERE split = 'A' AND starts::date = '${from}'`));
  assert.equal(aOffered, want);
});

test('an interval start cast to text by the server stages what the timestamp stages', async () => {
  assert.notEqual(SQL_TEXT, SQL);
  const runs = {};
  for (const name of ['one', 'text']) {
    const r = await runPeriod(sources[name].id);
    assert.equal(r.state, 'done', show(r));
    runs[name] = r;
  }
  for (const k of ['rows_read', 'rows_staged', 'rows_rejected', 'rows_filtered']) {
    assert.equal(runs.text.counts[k], runs.one.counts[k], k);
  }
  assert.equal(runs.text.log.filter((l) => l.code === 'run.rows_unordered').length, 0);
  const one = await results('one');
  const text = await results('text');
  assert.deepEqual(text, one);
  assert.equal(Object.keys(text['A offered']).filter((k) => k.startsWith('2026-10-25')).length, 96);
});

test('a day whose query fails fails the run with that day named; the earlier run\'s data stays', async () => {
  const kept = await results('split');
  const src = sources.split;
  // a division by zero in the rows of one day only: its query fails, the others do not
  const failing = SQL.replace('offered,', `offered / (CASE WHEN starts::date = '${FAIL_DAY}' THEN 0 ELSE 1 END) AS offered,`);
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, {
    settings: { ...src.settings, odbc: { ...src.settings.odbc, sql: failing } },
  }), 200);
  const r = await runPeriod(src.id);
  assert.equal(r.state, 'failed', show(r));
  const line = r.log.find((l) => l.code === 'run.result_failed' || l.code === 'run.query_failed');
  assert.ok(line, JSON.stringify(r.log));
  assert.match(line.message, new RegExp(`the days from ${FAIL_DAY} \\(query 4 of 5\\)`));
  assert.match(line.message, /division by zero/);
  assert.deepEqual(await results('split'), kept);
  // fixed again, the split run succeeds
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { settings: src.settings }), 200);
  const again = await runPeriod(src.id);
  assert.equal(again.state, 'done', show(again));
  assert.deepEqual(await results('split'), kept);
});
