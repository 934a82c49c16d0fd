// GET /api/v1/results across WFM queues: no queue (every queue) or several, a period of local
// days, pages of `limit` rows with an opaque cursor in the order queue, value type, interval.
// Paging through thousands of results gives exactly the rows the one-queue answers give, each
// once, also while imports write new rows and rewrite old ones between the pages; a bad or
// foreign cursor is a 400 naming it; the one-queue answer and the CSV stay as they were, and
// every answer's text is byte for byte what jansson's trees gave (tests/lib/jansson.mjs): the
// answers are written row by row without them.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertError, assertStatus, show, startWithAdmin } from '../lib/api.mjs';
import { login } from '../lib/daemon.mjs';
import { cG, jDump } from '../lib/jansson.mjs';
import { contactPipeline, line, runDays, writeCsv } from '../lib/pipeline.mjs';

const EXT = ['101', '102', '103', '104', '105', '106'];
const DAYS = ['2026-11-22', '2026-11-23', '2026-11-24'];
const LATER_DAY = '2026-11-25';
let d;
let admin;
let folder;
let src;
let queues; // ext -> WFM queue
let berlin; // a WFM queue in another zone reading 101
const BERLIN_ID = 'BERLIN "S\u00fcd" \u2013 \u20ac\u{1F600}\\'; // escapes of every kind

const hhmm = (i) => `${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`;

/** 96 quarter-hours of every external queue on day; values differ by queue, day and `bump`. */
function dayRows(day, bump = 0) {
  const rows = [];
  EXT.forEach((q, k) => {
    for (let i = 0; i < 96; i++) {
      rows.push(line(q, day, hhmm(i), 10 + k + i + bump, 1 + ((i + k) % 9), 60 + i));
    }
  });
  return rows;
}

/** The answer's text is what jansson made of the same tree (members in json_pack's order). */
function assertJanssonText(r) {
  assert.equal(r.text, jDump(r.body, new Set(['value'])), `not jansson's text: ${r.text.slice(0, 300)}`);
}

const keyOf = (x) => `${x.queue_id}|${x.value_type}|${x.interval_start}`;

/** Every result of the named queues from the one-queue answers: Map key -> item. */
async function truth(ids, from, to) {
  const all = new Map();
  for (const q of ids) {
    const r = await admin.get(`/api/v1/results?queue=${q.id}&from=${from}&to=${to}`);
    assertStatus(r, 200);
    assertJanssonText(r);
    assertAnswerOrder(r.body.items);
    for (const x of r.body.items) {
      all.set(keyOf({ ...x, queue_id: q.id }), { ...x, queue_id: q.id, queue_identifier: q.identifier });
    }
  }
  return all;
}

/** Pages through query (without limit and cursor); between(i) runs after page i. */
async function walk(query, limit, between = async () => {}) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 10000; i++) {
    const url = `/api/v1/results?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await admin.get(url);
    assertStatus(r, 200);
    assertJanssonText(r);
    assert.ok(r.body.items.length <= limit, show(r));
    items.push(...r.body.items);
    if (r.body.next_cursor === null) {
      return items;
    }
    assert.equal(r.body.items.length, limit, `a page before the last one is full: ${show(r)}`);
    cursor = r.body.next_cursor;
    await between(i);
  }
  throw new Error('paging does not end');
}

/** The items are in order: queue id, then each (queue, value type) block once, intervals rising. */
function assertOrdered(items) {
  const blocks = new Set();
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1];
    const b = items[i];
    assert.ok(a.queue_id <= b.queue_id, `queue order at ${i}: ${a.queue_id} then ${b.queue_id}`);
    if (a.queue_id === b.queue_id && a.value_type === b.value_type) {
      assert.ok(a.interval_start < b.interval_start, `interval order at ${i}`);
    } else {
      const block = `${b.queue_id}|${b.value_type}`;
      assert.ok(!blocks.has(block), `block ${block} comes twice`);
      blocks.add(`${a.queue_id}|${a.value_type}`);
    }
  }
}

/** One queue's answer: by interval, then by value type key. */
function assertAnswerOrder(items) {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1];
    const b = items[i];
    assert.ok(a.interval_start < b.interval_start || (a.interval_start === b.interval_start && a.value_type < b.value_type),
      `answer order at ${i}: ${JSON.stringify(a)} then ${JSON.stringify(b)}`);
  }
}

/**
 * The CSV download of a one-queue answer as it was made from the answer's items: a column per
 * value type in key order, a line per local interval, after each local day its totals (sums;
 * weighted types by their weight type's values of the same intervals). The queue's identifier
 * is one cell: quoted, its quotes doubled, when it holds ';' or a quote.
 */
function expectedCsv(body, weights) {
  const keys = [...new Set(body.items.map((x) => x.value_type))].sort();
  const id = body.queue.identifier;
  const cell = /[;"]/.test(id) ? `"${id.replaceAll('"', '""')}"` : id;
  const out = [`queue;${cell}`, `date;time${keys.map((k) => `;${k}`).join('')}`];
  const byLocal = new Map();
  for (const x of body.items) {
    if (!byLocal.has(x.local)) {
      byLocal.set(x.local, {});
    }
    byLocal.get(x.local)[x.value_type] = x.value;
  }
  const locals = [...byLocal.keys()];
  let day = null;
  let tot = null;
  const flush = () => {
    out.push(`${day};total${keys.map((k) => {
      const t = tot[k];
      if (!t.has || (weights[k] && t.wtot <= 0)) {
        return ';';
      }
      return `;${cG(weights[k] ? t.wsum / t.wtot : t.sum, 10)}`;
    }).join('')}`);
  };
  for (const local of locals) {
    if (day !== null && local.slice(0, 10) !== day) {
      flush();
      day = null;
    }
    if (day === null) {
      day = local.slice(0, 10);
      tot = Object.fromEntries(keys.map((k) => [k, { has: false, sum: 0, wsum: 0, wtot: 0 }]));
    }
    const vals = byLocal.get(local);
    out.push(`${local.slice(0, 10)};${local.slice(11, 16)}${keys.map((k) => {
      if (!(k in vals)) {
        return ';';
      }
      const t = tot[k];
      t.sum += vals[k];
      t.has = true;
      const w = weights[k];
      if (w && w in vals) {
        t.wsum += vals[k] * vals[w];
        t.wtot += vals[w];
      }
      return `;${cG(vals[k], 10)}`;
    }).join('')}`);
  }
  if (day !== null) {
    flush();
  }
  return `${out.join('\r\n')}\r\n`;
}

function assertNoDuplicates(items) {
  const seen = new Set();
  for (const x of items) {
    assert.ok(!seen.has(keyOf(x)), `row ${keyOf(x)} answered twice`);
    seen.add(keyOf(x));
  }
  return seen;
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-respage-'));
  ({ source: src, queues } = await contactPipeline(admin, folder, EXT));
  const b = await admin.post('/api/v1/queues', { identifier: BERLIN_ID, name: 'Berlin', time_zone: 'Europe/Berlin' });
  assertStatus(b, 201);
  berlin = b.body;
  const m = await admin.post('/api/v1/mappings', {
    queue_id: berlin.id, value_type: 'offered', inputs: [{ source_id: src.id, ext_queue: '101', metric: 'offered' }],
  });
  assertStatus(m, 201);
  // value types whose key order is not their id order, with reals that are not whole numbers
  for (const [key, formula] of [['a_first', 'p1 * 0.125'], ['z_ratio', 'p1 / 7.0'], ['m_mid', 'p1 - 3.3']]) {
    assertStatus(await admin.post('/api/v1/value-types', { key, name: key, unit: 'number' }), 201);
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: queues['101'].id, value_type: key, formula, inputs: [{ source_id: src.id, ext_queue: '101', metric: 'offered' }],
    }), 201);
  }
  DAYS.forEach((day) => writeCsv(folder, `${day}.csv`, dayRows(day)));
  const run = await runDays(admin, src.id, DAYS[0], DAYS[DAYS.length - 1]);
  assert.equal(run.state, 'done', JSON.stringify(run));
});

after(async () => {
  const code = d ? await d.stop() : 0;
  fs.rmSync(folder, { recursive: true, force: true });
  assert.equal(code, 0, `the daemon's exit:\n${d && d.stderr().slice(-3000)}`);
});

test('paging across every queue gives the union of the one-queue answers, each row once', async () => {
  const all = [...Object.values(queues), berlin];
  const from = DAYS[0];
  const to = DAYS[2];
  const expected = await truth(all, from, to);
  // 6 queues x 3 value types x 288 quarter-hours, and Berlin's offered of its own local days
  assert.ok(expected.size > 5000, `expected thousands of results, got ${expected.size}`);
  for (const limit of [500, 137]) {
    const items = await walk(`from=${from}&to=${to}`, limit);
    const seen = assertNoDuplicates(items);
    assert.equal(seen.size, expected.size);
    for (const x of items) {
      const e = expected.get(keyOf(x));
      assert.ok(e, `unexpected row ${keyOf(x)}`);
      assert.deepEqual(x, e);
    }
    assertOrdered(items);
  }
  // Berlin's local days start at 23:00 UTC the day before: its own zone bounds its rows
  const berlinRows = [...expected.values()].filter((x) => x.queue_id === berlin.id);
  // (the source's first row, 00:00 UTC, is 01:00 there; its last day ends at 23:00 UTC)
  assert.equal(berlinRows[0].local, `${from}T01:00+01:00`);
  assert.equal(berlinRows.at(-1).local, `${to}T23:45+01:00`);
  assert.equal(berlinRows.at(-1).interval_start, `${to}T22:45:00Z`);
  assert.equal(berlinRows.length, 3 * 96 - 4);
});

test('a list of queues and a value type choose the rows; a queue named twice is read once', async () => {
  const a = queues['102'];
  const b = queues['105'];
  const q = `queue=${b.identifier}&queue=${a.id}&queue=${a.identifier}&value_type=handled&from=${DAYS[1]}&to=${DAYS[1]}`;
  const items = await walk(q, 50);
  assert.equal(items.length, 2 * 96);
  assertNoDuplicates(items);
  assertOrdered(items);
  assert.ok(items.every((x) => x.value_type === 'handled'));
  assert.deepEqual([...new Set(items.map((x) => x.queue_identifier))], [a.identifier, b.identifier]);
  // one queue with limit: pages of the same shape
  const one = await admin.get(`/api/v1/results?queue=${a.identifier}&from=${DAYS[1]}&to=${DAYS[1]}&limit=10`);
  assertStatus(one, 200);
  assert.equal(one.body.items.length, 10);
  assert.equal(typeof one.body.next_cursor, 'string');
  assert.equal(one.body.items[0].queue_id, a.id);
});

test('rows written and rewritten between pages are neither skipped nor repeated', async () => {
  const all = [...Object.values(queues), berlin];
  const from = DAYS[0];
  const to = LATER_DAY;
  const before = await truth(all, from, to);
  writeCsv(folder, `${LATER_DAY}.csv`, dayRows(LATER_DAY));
  let imported = false;
  const items = await walk(`from=${from}&to=${to}`, 300, async (i) => {
    if (i === 3) { // a new day for every queue: rows before and after the cursor
      const run = await runDays(admin, src.id, LATER_DAY);
      assert.equal(run.state, 'done', JSON.stringify(run));
      imported = true;
    }
    if (i === 6) { // the first day again with other values: the same keys rewritten
      writeCsv(folder, `${DAYS[0]}-again.csv`, dayRows(DAYS[0], 1000));
      const run = await runDays(admin, src.id, DAYS[0]);
      assert.equal(run.state, 'done', JSON.stringify(run));
    }
  });
  assert.ok(imported);
  const seen = assertNoDuplicates(items);
  for (const k of before.keys()) {
    assert.ok(seen.has(k), `row ${k}, there all along, was skipped`);
  }
  const afterwards = await truth(all, from, to);
  assert.ok(afterwards.size > before.size);
  for (const k of seen) {
    assert.ok(afterwards.has(k), `row ${k} is not a result`);
  }
  assertOrdered(items);
});

test('bad parameters are refused naming the parameter; the cursor belongs to its query', async () => {
  const q = `from=${DAYS[0]}&to=${DAYS[2]}`;
  const first = await admin.get(`/api/v1/results?${q}&limit=5`);
  assertStatus(first, 200);
  const cursor = first.body.next_cursor;
  assert.equal(typeof cursor, 'string');
  for (const bad of ['x', `${cursor}A`, cursor.slice(1), '%00', cursor.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))]) {
    const r = await admin.get(`/api/v1/results?${q}&limit=5&cursor=${encodeURIComponent(bad)}`);
    assertError(r, 400, 'invalid_parameter');
    assert.match(r.body.error.message, /'cursor'/, show(r));
  }
  const other = await admin.get(`/api/v1/results?from=${DAYS[0]}&to=${DAYS[1]}&limit=5&cursor=${cursor}`);
  assertError(other, 400, 'invalid_parameter');
  assert.match(other.body.error.message, /'cursor' belongs to another query/);
  // a cursor re-made with the extreme interval start of its row is read as such: an empty end
  const raw = Buffer.from(cursor, 'base64url');
  assert.equal(raw.length, 32);
  raw.writeBigInt64BE(2n ** 63n - 1n, 16);
  crypto.createHash('sha256').update(raw.subarray(0, 28)).digest().copy(raw, 28, 0, 4);
  const far = await admin.get(`/api/v1/results?${q}&limit=5&cursor=${raw.toString('base64url')}`);
  assertStatus(far, 200);
  assert.ok(far.body.items.every((x) => x.queue_id > first.body.items[0].queue_id || x.value_type !== first.body.items[0].value_type));
  const next = await admin.get(`/api/v1/results?${q}&limit=7&cursor=${cursor}`); // limit may change
  assertStatus(next, 200);
  assert.equal(next.body.items.length, 7);
  assert.notDeepEqual(next.body.items[0], first.body.items[0]);
  for (const [query, name] of [
    [`${q}&limit=0`, 'limit'], [`${q}&limit=501`, 'limit'], ['limit=5', 'from'],
    [`from=${DAYS[0]}&to=2027-12-31&limit=5`, 'to'], [`${q}&value_type=nope`, 'value_type'],
  ]) {
    const r = await admin.get(`/api/v1/results?${query}`);
    assertError(r, 400, 'invalid_parameter');
    assert.match(`${r.body.error.message}`, new RegExp(`'?${name}'?`), show(r));
  }
  const unknown = await admin.get(`/api/v1/results?queue=NOPE&queue=${queues['101'].id}&${q}`);
  assertError(unknown, 404, 'not_found');
  assert.match(unknown.body.error.message, /NOPE/);
});

test('one queue without limit keeps its answer; the CSV download is unchanged', async () => {
  const q = queues['103'];
  const r = await admin.get(`/api/v1/results?queue=${q.identifier}&from=${DAYS[1]}&to=${DAYS[1]}`);
  assertStatus(r, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['from', 'items', 'queue', 'to']);
  assert.equal(r.body.queue.identifier, q.identifier);
  assert.equal(r.body.items.length, 3 * 96);
  const csv = await admin.get(`/api/v1/results/csv?queue=${q.identifier}&from=${DAYS[1]}&to=${DAYS[1]}`);
  assertStatus(csv, 200);
  assert.match(csv.text, new RegExp(`^queue;${q.identifier}\r\ndate;time;aht;handled;offered\r\n`));
  // the CSV is what the answer's items gave, also with the custom value types, reals, Berlin's
  // local days (one UTC day is two local ones) and a value type asked for
  const vts = await admin.get('/api/v1/value-types?limit=500');
  assertStatus(vts, 200);
  const weights = Object.fromEntries(vts.body.items.filter((v) => v.combine === 'weighted').map((v) => [v.key, v.weight_key]));
  for (const [queue, from, to, extra] of [[q.id, DAYS[1], DAYS[1], ''], [queues['101'].id, DAYS[0], DAYS[2], ''],
    [berlin.id, DAYS[0], DAYS[1], ''], [queues['101'].id, DAYS[1], DAYS[1], '&value_type=z_ratio']]) {
    const query = `queue=${queue}&from=${from}&to=${to}${extra}`;
    const json = await admin.get(`/api/v1/results?${query}`);
    assertStatus(json, 200);
    assertJanssonText(json);
    assertAnswerOrder(json.body.items);
    const c = await admin.get(`/api/v1/results/csv?${query}`);
    assertStatus(c, 200);
    assert.equal(c.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(c.text, expectedCsv(json.body, weights), `CSV of ${query}`);
  }
  const tooMany = await admin.get(`/api/v1/results?queue=${q.identifier}&from=2026-01-01&to=2026-12-31`);
  assertError(tooMany, 400, 'invalid_parameter');
});

test('a queue with more value types than are read side by side gives the same order and CSV', async () => {
  const q = queues['104'];
  for (let i = 0; i < 16; i++) { // 3 + 16 value types: read by one sorted query instead
    const key = `x${String(15 - i).padStart(2, '0')}`;
    assertStatus(await admin.post('/api/v1/value-types', { key, name: key, unit: 'number' }), 201);
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: q.id, value_type: key, formula: `p1 + ${i}.5`, inputs: [{ source_id: src.id, ext_queue: '104', metric: 'handled' }],
    }), 201);
  }
  const query = `queue=${q.id}&from=${DAYS[1]}&to=${DAYS[1]}`;
  const json = await admin.get(`/api/v1/results?${query}`);
  assertStatus(json, 200);
  assert.equal(json.body.items.length, 19 * 96);
  assertJanssonText(json);
  assertAnswerOrder(json.body.items);
  const c = await admin.get(`/api/v1/results/csv?${query}`);
  assertStatus(c, 200);
  assert.equal(c.text, expectedCsv(json.body, { aht: 'handled' }));
  const one = await admin.get(`/api/v1/results?${query}&value_type=x03`);
  assertStatus(one, 200);
  assert.deepEqual(one.body.items, json.body.items.filter((x) => x.value_type === 'x03'));
});

test('figures: a page costs about what a one-queue answer of the same size costs', async () => {
  const fast = await login(d, ROOT.name, ROOT.password, { spec: false, keepAlive: true });
  const time = async (url) => {
    const started = process.hrtime.bigint();
    const r = await fast.get(url);
    assert.equal(r.status, 200);
    return [Number(process.hrtime.bigint() - started) / 1e6, r.body];
  };
  let pages = 0;
  let pageMs = 0;
  let cursor = null;
  do {
    const [ms, body] = await time(`/api/v1/results?from=${DAYS[0]}&to=${DAYS[2]}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    pages += 1;
    pageMs += ms;
    cursor = body.next_cursor;
  } while (cursor);
  const [oneMs, one] = await time(`/api/v1/results?queue=${queues['101'].id}&from=${DAYS[0]}&to=${DAYS[2]}`);
  console.log(`# ${pages} pages of 500 across queues: ${(pageMs / pages).toFixed(1)} ms a page; `
    + `one queue's ${one.items.length} results at once: ${oneMs.toFixed(1)} ms`);
  fast.close();
});
