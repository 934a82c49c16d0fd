// Results of mappings over a larger data set, value by value against what the mapping rules
// say (mapping.h), computed here from the same rows: two CSV sources into one WFM queue (sums
// over three external queues of two sources, the handled-weighted AHT, a formula), a queue
// fed by one input, three days of 96 intervals (more results per mapping than one write takes),
// rows left out, intervals without handled contacts (no AHT), decimals. Mappings made before
// the imports are computed by the runs, one made after by its route; a second import of one
// source recomputes what it feeds.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, startWithAdmin, waitRunEnd } from '../lib/api.mjs';

const DAYS = ['2026-11-23', '2026-11-24', '2026-11-25'];
const HEADER = 'Split;Date;Time;Offered;Handled;AHT';

let d;
let admin;
const folders = [];
let srcA;
let srcB;
let folderB;
let mix;
let solo;

// Deterministic rows: rows[split][`${day}T${hh:mm}`] = { offered, handled, aht } (aht null
// when nothing was handled; a missing key: the row was left out of the file).
function makeRows(splits, seed) {
  let x = seed >>> 0;
  const rand = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const rows = {};
  for (const split of splits) {
    rows[split] = {};
    for (const day of DAYS) {
      for (let i = 0; i < 96; i++) {
        if (rand() < 0.06) {
          continue; // left out
        }
        const offered = Math.floor(rand() * 40);
        const handled = Math.floor(offered * (0.6 + 0.4 * rand()));
        // one decimal, as exports write it ("187,4"); the value is the decimal's double
        const aht = handled > 0 ? Math.round(600 + rand() * 3000) / 10 : null;
        const hhmm = `${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`;
        rows[split][`${day}T${hhmm}`] = { offered, handled, aht };
      }
    }
  }
  return rows;
}

function writeFiles(rows, folder, prefix) {
  for (const day of DAYS) {
    const lines = [HEADER];
    for (const [split, byKey] of Object.entries(rows)) {
      for (const [key, r] of Object.entries(byKey)) {
        if (key.startsWith(day)) {
          const [yy, mm, dd] = day.split('-');
          lines.push([split, `${dd}.${mm}.${yy}`, key.slice(11), r.offered, r.handled,
            r.aht === null ? '' : String(r.aht).replace('.', ',')].join(';'));
        }
      }
    }
    fs.writeFileSync(path.join(folder, `${prefix}-${day}.csv`), `${lines.join('\r\n')}\r\n`);
  }
}

function writeFolder(rows, tag) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `acdlink-mapres-${tag}-`));
  folders.push(folder);
  writeFiles(rows, folder, 'first');
  return folder;
}

async function makeSource(name, folder) {
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  assertStatus(r, 201);
  return r.body;
}

async function importAll(src) {
  const r = await admin.post('/api/v1/runs', { source_id: src.id, from: DAYS[0], to: DAYS.at(-1) });
  assertStatus(r, 202);
  const run = await waitRunEnd(admin, r.body.id, 60000);
  assert.equal(run.state, 'done', JSON.stringify(run));
  return run;
}

async function results(queue, vt) {
  const r = await admin.get(`/api/v1/results?queue=${queue.identifier}&from=${DAYS[0]}&to=${DAYS.at(-1)}&value_type=${vt}`);
  assertStatus(r, 200);
  return Object.fromEntries(r.body.items.map((x) => [x.local.slice(0, 16), x.value]));
}

async function mapping(queue, vt, inputs, formula) {
  const r = await admin.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: vt, inputs, ...(formula ? { formula } : {}),
  });
  assertStatus(r, 201);
  return r.body;
}

// What mapping.h says, input by input in their order (the same additions in the same order).
function expected(inputs, metric, how) {
  const keys = new Set();
  for (const { rows } of inputs) {
    for (const k of Object.keys(rows)) {
      keys.add(k);
    }
  }
  const out = {};
  for (const k of keys) {
    const v = inputs.map(({ rows }) => (rows[k] ? rows[k][metric] : null));
    if (how === 'sum') {
      let s = 0;
      let has = false;
      for (const x of v) {
        if (x !== null) {
          s += x;
          has = true;
        }
      }
      if (has) {
        out[k] = s;
      }
    } else if (how === 'weighted') {
      let num = 0;
      let den = 0;
      inputs.forEach(({ rows }, i) => {
        if (v[i] !== null && rows[k]) {
          num += v[i] * rows[k].handled;
          den += rows[k].handled;
        }
      });
      if (den > 0) {
        out[k] = num / den;
      }
    }
  }
  return out;
}

const rowsA = makeRows(['201', '202', '203'], 7);
const rowsB = makeRows(['301', '302'], 11);

before(async () => {
  ({ d, admin } = await startWithAdmin());
  srcA = await makeSource('Mapped A', writeFolder(rowsA, 'a'));
  folderB = writeFolder(rowsB, 'b');
  srcB = await makeSource('Mapped B', folderB);
  mix = (await admin.post('/api/v1/queues', { identifier: 'MIX', name: 'Mixed', time_zone: 'Europe/Berlin' })).body;
  solo = (await admin.post('/api/v1/queues', { identifier: 'SOLO', name: 'Single', time_zone: 'Europe/Berlin' })).body;
  const ins = (metric) => [
    { source_id: srcA.id, ext_queue: '201', metric },
    { source_id: srcA.id, ext_queue: '202', metric },
    { source_id: srcB.id, ext_queue: '301', metric },
  ];
  // before the imports: the runs compute them
  await mapping(mix, 'offered', ins('offered'));
  await mapping(mix, 'handled', ins('handled'));
  await mapping(mix, 'aht', ins('aht'));
  await mapping(mix, 'abandoned', [
    { source_id: srcA.id, ext_queue: '202', metric: 'offered' },
    { source_id: srcB.id, ext_queue: '302', metric: 'handled' },
  ], 'p1 - p2 / 2');
  await importAll(srcA);
  await importAll(srcB);
  // after them: its route computes it
  await mapping(solo, 'aht', [{ source_id: srcA.id, ext_queue: '203', metric: 'aht' }]);
});

after(async () => {
  if (d) {
    await d.stop();
  }
  for (const f of folders) {
    fs.rmSync(f, { recursive: true, force: true });
  }
});

const mixInputs = () => [{ rows: rowsA['201'] }, { rows: rowsA['202'] }, { rows: rowsB['301'] }];

test('sums over three queues of two sources, value by value', async () => {
  for (const vt of ['offered', 'handled']) {
    const want = expected(mixInputs(), vt, 'sum');
    assert.ok(Object.keys(want).length > 280, `${vt}: ${Object.keys(want).length} intervals`);
    assert.deepEqual(await results(mix, vt), want, vt);
  }
});

test('the handled-weighted AHT over two sources, value by value', async () => {
  const want = expected(mixInputs(), 'aht', 'weighted');
  const got = await results(mix, 'aht');
  assert.ok(Object.keys(want).length > 250, `${Object.keys(want).length} intervals`);
  assert.deepEqual(got, want);
});

test('a formula over two sources has a value only where both inputs have one', async () => {
  const want = {};
  for (const [k, a] of Object.entries(rowsA['202'])) {
    const b = rowsB['302'][k];
    if (b) {
      want[k] = a.offered - b.handled / 2;
    }
  }
  assert.deepEqual(await results(mix, 'abandoned'), want);
});

test('a queue with one input takes its values as they are; intervals without them have none', async () => {
  const want = {};
  for (const [k, r] of Object.entries(rowsA['203'])) {
    if (r.aht !== null) {
      want[k] = r.aht;
    }
  }
  assert.deepEqual(await results(solo, 'aht'), want);
});

test('a new import of one source recomputes every mapping it feeds', async () => {
  // every AHT of B's queue 301 doubled, a few rows of it left out, in new files beside the
  // imported ones
  const changed = { '301': {}, '302': rowsB['302'] };
  let n = 0;
  for (const [k, r] of Object.entries(rowsB['301'])) {
    if (n++ % 17 === 0) {
      continue;
    }
    changed['301'][k] = { ...r, aht: r.aht === null ? null : r.aht * 2 };
  }
  writeFiles(changed, folderB, 'second');
  const run = await importAll(srcB);
  assert.equal(run.counts.files_read, DAYS.length, JSON.stringify(run));
  const inputs = [{ rows: rowsA['201'] }, { rows: rowsA['202'] }, { rows: changed['301'] }];
  // the new files' values replace the staged ones key by key; rows they leave out keep theirs
  for (const [k, r] of Object.entries(rowsB['301'])) {
    if (!changed['301'][k]) {
      inputs[2].rows[k] = r;
    }
  }
  assert.deepEqual(await results(mix, 'aht'), expected(inputs, 'aht', 'weighted'));
  assert.deepEqual(await results(mix, 'offered'), expected(inputs, 'offered', 'sum'));
});
