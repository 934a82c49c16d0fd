// Settings mean exactly one thing: the contact layout's answered values are explicit, every
// refused setting names its own field, a preview of a source that cannot be read as configured
// fails with the cause, and agent-state sources have no layout.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';
import { runDays } from '../lib/pipeline.mjs';

let d;
let admin;
let base;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-meanings-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

function folderWith(name, lines) {
  const folder = fs.mkdtempSync(path.join(base, `${name}-`));
  fs.writeFileSync(path.join(folder, `${name}.csv`), `${lines.join('\n')}\n`);
  return folder;
}

async function job(location) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = (await admin.get(location)).body;
    if (j.state !== 'running') {
      return j;
    }
    await sleep(50);
  }
  throw new Error(`job ${location} did not end`);
}

async function results(identifier, day, vt) {
  const r = await admin.get(`/api/v1/results?queue=${identifier}&from=${day}&to=${day}&value_type=${vt}`);
  assertStatus(r, 200);
  return r.body.items.map((x) => `${x.local.slice(11, 16)}=${x.value}`).join(' ');
}

const contactCols = { queue: 'queue', timestamp: 'start', answered: 'outcome', duration: 'talk' };

test('contact layout: answered_values and unanswered_values decide, a value in neither list is a row error', async () => {
  const folder = folderWith('outcomes', [
    'queue,start,outcome,talk',
    'Q1,2026-11-24 08:01:10,AGENT,100',
    'Q1,2026-11-24 08:02:00, agent ,50',
    'Q1,2026-11-24 08:03:00,HANG,30',
    'Q1,2026-11-24 08:04:00,PHANTOM,0',
    'Q1,2026-11-24 08:05:00,TRANSFER,10',
  ]);
  const r = await admin.post('/api/v1/sources', {
    name: 'Outcomes', kind: 'csv', layout: 'contact', time_zone: 'UTC',
    settings: {
      csv: { folder }, columns: contactCols,
      answered_values: ['AGENT'], unanswered_values: ['HANG', 'PHANTOM'],
    },
  });
  assertStatus(r, 201);
  assert.deepEqual(r.body.settings.answered_values, ['AGENT']);
  assert.deepEqual(r.body.settings.unanswered_values, ['HANG', 'PHANTOM']);
  const run = await runDays(admin, r.body.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_staged, 4);
  assert.equal(run.counts.rows_rejected, 1);
  const log = await admin.get(`/api/v1/runs/${run.id}/log`);
  assertStatus(log, 200);
  const text = JSON.stringify(log.body);
  assert.match(text, /outcomes\.csv:6: column 3 'outcome': 'TRANSFER' is in neither answered_values nor unanswered_values/, text);
  const q = await admin.post('/api/v1/queues', { identifier: 'OUT', name: 'OUT', time_zone: 'UTC' });
  assertStatus(q, 201);
  for (const vt of ['offered', 'handled', 'abandoned', 'handle_time']) {
    assertStatus(await admin.post('/api/v1/mappings', {
      queue_id: q.body.id, value_type: vt, inputs: [{ source_id: r.body.id, ext_queue: 'Q1', metric: vt }],
    }), 201);
  }
  assert.equal(await results('OUT', '2026-11-24', 'offered'), '08:00=4');
  assert.equal(await results('OUT', '2026-11-24', 'handled'), '08:00=2');
  assert.equal(await results('OUT', '2026-11-24', 'abandoned'), '08:00=2');
  // the handle time counts answered contacts only: the 30 s of the hung-up one are not in it
  assert.equal(await results('OUT', '2026-11-24', 'handle_time'), '08:00=150');
});

test('without answered_values a word in the answered column is counted as answered and named once per file', async () => {
  const folder = folderWith('guessed', [
    'queue,start,outcome,talk',
    'Q1,2026-11-24 08:01:10,1,100',
    'Q1,2026-11-24 08:02:00,AGENT,50',
    'Q1,2026-11-24 08:03:00,HANG,30',
    'Q1,2026-11-24 08:04:00,no,0',
  ]);
  fs.writeFileSync(path.join(folder, 'plain.csv'), 'queue,start,outcome,talk\nQ1,2026-11-24 08:06:00, Yes ,20\nQ1,2026-11-24 08:07:00,0,0\nQ1,2026-11-24 08:08:00,12.5,12\n');
  const r = await admin.post('/api/v1/sources', {
    name: 'Guessed', kind: 'csv', layout: 'contact', time_zone: 'UTC', settings: { csv: { folder }, columns: contactCols },
  });
  assertStatus(r, 201);
  const run = await runDays(admin, r.body.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.counts.rows_staged, 7);
  const log = (await admin.get(`/api/v1/runs/${run.id}/log`)).body.items;
  const guessed = log.filter((l) => l.code === 'run.answered_guessed');
  assert.equal(guessed.length, 1, JSON.stringify(log));
  assert.equal(guessed[0].level, 'warn');
  assert.match(guessed[0].message, /guessed\.csv:3: the answered column 'outcome' holds 'AGENT', which counts as answered .*answered_values and unanswered_values/);
  assert.deepEqual([guessed[0].params.line, guessed[0].params.column, guessed[0].params.value], [3, 'outcome', 'AGENT']);
  // the preview says it too
  const p = await job((await admin.post(`/api/v1/sources/${r.body.id}/preview`, { day: '2026-11-24' })).headers.location);
  assert.equal(p.state, 'done', JSON.stringify(p));
  assert.equal(p.result.messages.filter((m) => m.code === 'run.answered_guessed').length, 1, JSON.stringify(p.result.messages));
  // with the lists given, nothing is guessed
  const listed = await admin.patch(`/api/v1/sources/${r.body.id}`, {
    settings: { csv: { folder }, columns: contactCols, answered_values: ['AGENT', '1', 'yes', '12.5'], unanswered_values: ['HANG', 'no', '0'] },
  });
  assertStatus(listed, 200);
  const again = await runDays(admin, r.body.id, '2026-11-24');
  assert.equal(again.state, 'done', JSON.stringify(again));
  const log2 = (await admin.get(`/api/v1/runs/${again.id}/log`)).body.items;
  assert.deepEqual(log2.filter((l) => l.code === 'run.answered_guessed'), []);
});

test('answered values are checked where they are given', async () => {
  const folder = folderWith('checks', ['queue,start,outcome,talk']);
  const post = (settings, layout = 'contact') => admin.post('/api/v1/sources', {
    name: `Checks ${Math.random()}`, kind: 'csv', layout, time_zone: 'UTC', settings: { csv: { folder }, ...settings },
  });
  assertInvalidField(await post({ columns: contactCols, answered_values: ['AGENT'] }), 'settings.unanswered_values');
  assertInvalidField(await post({ columns: contactCols, unanswered_values: ['HANG'] }), 'settings.answered_values');
  assertInvalidField(await post({ columns: contactCols, answered_values: ['A', 'b'], unanswered_values: ['B'] }), 'settings.unanswered_values[0]');
  assertInvalidField(await post({ columns: contactCols, answered_values: [], unanswered_values: ['B'] }), 'settings.answered_values');
  assertInvalidField(await post({ columns: contactCols, answered_values: [1], unanswered_values: ['B'] }), 'settings.answered_values[0]');
  assertInvalidField(await post({
    columns: { queue: 'queue', timestamp: 'start' }, metrics: { calls: 'talk' }, answered_values: ['A'], unanswered_values: ['B'],
  }, 'interval'), 'settings.answered_values');
  // the default rule is kept and shown as null
  const ok = await post({ columns: contactCols });
  assertStatus(ok, 201);
  assert.equal(ok.body.settings.answered_values, null);
  assert.equal(ok.body.settings.unanswered_values, null);
});

test('every refused column role names its own field', async () => {
  const folder = folderWith('roles', ['queue,start,outcome,talk']);
  const post = (columns, layout = 'contact', metrics) => admin.post('/api/v1/sources', {
    name: `Roles ${Math.random()}`, kind: 'csv', layout, time_zone: 'UTC', settings: { csv: { folder }, columns, metrics },
  });
  const noDuration = await post({ queue: 'queue', timestamp: 'start', answered: 'outcome' });
  assertInvalidField(noDuration, 'settings.columns.duration');
  assert.doesNotMatch(noDuration.body.error.message, /columns\.answered/, show(noDuration));
  assertInvalidField(await post({ queue: 'queue', timestamp: 'start', duration: 'talk' }), 'settings.columns.answered');
  assertInvalidField(await post({ queue: 'queue', date: 'start', answered: 'outcome', duration: 'talk' }), 'settings.columns.time');
  assertInvalidField(await post({ queue: 'queue', time: 'start', answered: 'outcome', duration: 'talk' }), 'settings.columns.date');
  assertInvalidField(await post({ queue: 'queue', timestamp: 'start', duration: 'talk' }, 'interval', { calls: 'talk' }), 'settings.columns.duration');
});

test('a preview of a source whose columns do not fit the data fails with the cause', async () => {
  const folder = folderWith('misfit', ['Split;Date;Time;Calls', '7;24.11.2026;08:00;5']);
  const r = await admin.post('/api/v1/sources', {
    name: 'Misfit', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Skill', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  });
  assertStatus(r, 201);
  for (const kind of ['preview', 'discover']) {
    const c = await admin.post(`/api/v1/sources/${r.body.id}/${kind}`, { day: '2026-11-24' });
    assertStatus(c, 202);
    const j = await job(c.headers.location);
    assert.equal(j.state, 'failed', JSON.stringify(j));
    assert.match(j.error, /no column 'Skill' for queue/, JSON.stringify(j));
  }
  // a missing folder too
  const gone = await admin.post('/api/v1/sources', {
    name: 'Gone', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(base, 'no-such-folder') }, columns: { queue: 'Skill', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  });
  assertStatus(gone, 201);
  const g = await job((await admin.post(`/api/v1/sources/${gone.body.id}/preview`, { day: '2026-11-24' })).headers.location);
  assert.equal(g.state, 'failed', JSON.stringify(g));
  assert.match(g.error, /does not exist/);
  // a source that fits previews as before
  const fine = await admin.patch(`/api/v1/sources/${r.body.id}`, {
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  });
  assertStatus(fine, 200);
  const p = await job((await admin.post(`/api/v1/sources/${r.body.id}/preview`, { day: '2026-11-24' })).headers.location);
  assert.equal(p.state, 'done', JSON.stringify(p));
  assert.equal(p.error, null);
});

test('agent-state sources and presets have no layout', async () => {
  const folder = folderWith('states', ['agent,state,start,end']);
  const body = {
    name: 'States', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: { csv: { folder }, columns: { agent: 'agent', activity: 'state', start: 'start', end: 'end' }, agent_states: { span: 'start_end' } },
  };
  const r = await admin.post('/api/v1/sources', body);
  assertStatus(r, 201);
  assert.equal(r.body.layout, null);
  assert.equal((await admin.get(`/api/v1/sources/${r.body.id}`)).body.layout, null);
  assertStatus(await admin.post('/api/v1/sources', { ...body, name: 'States 2', layout: null }), 201);
  assertInvalidField(await admin.post('/api/v1/sources', { ...body, name: 'States 3', layout: 'contact' }), 'layout');
  const presets = (await admin.get('/api/v1/source-presets')).body.items;
  for (const p of presets) {
    assert.equal(p.layout === null, p.product === 'agent_states', JSON.stringify(p));
  }
});

test('expressions see numbers as numbers, derived values keep their type, date functions work and the clock is refused', async () => {
  // ser_time '0' is the number 0; es < ss compares the computed numbers (9 < 10), not texts
  const folder = folderWith('typed', [
    'queue,day,start,end,ser_time,es_raw,ss_raw,note',
    'Q1,2026-11-24,23:50,00:10,0,9,10,a',
    'Q1,2026-11-24,08:00,08:10,12,9,10,b',
    'Q1,2026-11-24,08:20,08:25,5,11,10,c',
  ]);
  const r = await admin.post('/api/v1/sources', {
    name: 'Typed', kind: 'csv', layout: 'contact', time_zone: 'UTC',
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'queue', date: 'end_day', time: 'end', answered: 'answered', duration: 'ser_time' },
      derived: [
        { name: 'es', expression: 'es_raw + 0' },
        { name: 'ss', expression: 'ss_raw * 1' },
        { name: 'answered', expression: 'ser_time > 0' },
        { name: 'end_day', expression: "iif(\"end\" < start, date(day, '+1 day'), day)" },
      ],
      filter: "es < ss AND note > 0",
    },
  });
  assertStatus(r, 201);
  const p = await job((await admin.post(`/api/v1/sources/${r.body.id}/preview`, { day: '2026-11-24' })).headers.location);
  assert.equal(p.state, 'done', JSON.stringify(p));
  const line = (rows, n) => rows.find((x) => x.line === n);
  const rows = p.result.rows;
  // 11 < 10 is false: filtered; 9 < 10 is true as numbers (as texts '9' < '10' is false)
  assert.equal(line(rows, 4).filtered, true, JSON.stringify(rows));
  assert.deepEqual(line(rows, 3).values, { offered: 1, handled: 1, handle_time: 12 }, JSON.stringify(rows));
  // the contact that ends after midnight belongs to the next day; answered = ser_time > 0 is
  // false for '0'
  const next = await job((await admin.post(`/api/v1/sources/${r.body.id}/preview`, { day: '2026-11-25' })).headers.location);
  assert.equal(next.state, 'done', JSON.stringify(next));
  const late = line(next.result.rows, 2);
  assert.equal(late.filtered, undefined, JSON.stringify(late));
  assert.equal(late.local, '2026-11-25T00:00', JSON.stringify(late));
  assert.deepEqual(late.values, { offered: 1, abandoned: 1 }, JSON.stringify(late));
  // note (text) compared with a number: named once in the messages
  const warn = p.result.messages.filter((m) => /compares 'note' with a number/.test(m.message));
  assert.equal(warn.length, 1, JSON.stringify(p.result.messages));
  assert.match(warn[0].message, /CAST\("note" AS REAL\)/);

  const post = (settings) => admin.post('/api/v1/sources', {
    name: `Clock ${Math.random()}`, kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder }, columns: { queue: 'queue', timestamp: 'stamp' }, metrics: { calls: 'ser_time' }, ...settings },
  });
  const now = await post({ derived: [{ name: 'stamp', expression: "datetime('now')" }] });
  assertInvalidField(now, 'settings.derived[0]');
  assert.match(now.body.error.message, /'now'/);
  const bad = await post({ filter: 'random() > 0' });
  assertInvalidField(bad, 'settings.filter');
  for (const fn of ['abs', 'date', 'datetime', 'julianday', 'strftime', 'unixepoch', 'iif', 'upper']) {
    assert.match(bad.body.error.message, new RegExp(`\\b${fn}\\b`), show(bad));
  }
  assertStatus(await post({ derived: [{ name: 'stamp', expression: "datetime(unixepoch(day) + 60, 'unixepoch')" }] }), 201);
});

test('date and time formats: one token set for sources and export targets, errors list the tokens', async () => {
  const folder = folderWith('formats', ['Split;Day;At;Calls', '7;24.11.2026;8.15;5', '7;24.11.2026;08.30;2']);
  const post = (csv) => admin.post('/api/v1/sources', {
    name: `Formats ${Math.random()}`, kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, separator: ';', ...csv }, columns: { queue: 'Split', date: 'Day', time: 'At' }, metrics: { offered: 'Calls' } },
  });
  // hh.mm is the hour and the minutes, as in export formats; dd.mm.yyyy keeps mm the month
  const ok = await post({ date_format: 'dd.mm.yyyy', time_format: 'hh.mm' });
  assertStatus(ok, 201);
  const p = await job((await admin.post(`/api/v1/sources/${ok.body.id}/preview`, { day: '2026-11-24' })).headers.location);
  assert.equal(p.state, 'done', JSON.stringify(p));
  assert.deepEqual(p.result.rows.map((x) => x.local), ['2026-11-24T08:15', '2026-11-24T08:30'], JSON.stringify(p.result.rows));
  const stamp = await post({ timestamp_format: 'dd.mm.yyyy hh:mm:ss' });
  assertStatus(stamp, 201);
  assert.equal(stamp.body.settings.csv.timestamp_format, 'dd.mm.yyyy hh:mm:ss');
  const bad = await post({ time_format: 'hh:mi' });
  assertInvalidField(bad, 'csv.time_format');
  for (const tok of ['yyyy', 'yy', 'mm', 'dd', 'HH', 'hh', 'MM', 'SS', 'ss', 'AM/PM']) {
    assert.ok(bad.body.error.message.includes(tok), show(bad));
  }
  assertInvalidField(await post({ date_format: 'hh:mm' }), 'csv.date_format');

  const target = (settings) => admin.post('/api/v1/targets', {
    name: `Export ${Math.random()}`, connector: 'csv-export', settings: { folder: base, ...settings },
  });
  const t = await target({ date_format: 'yyyy-mm-dd', time_format: 'HH:MM:SS', agent_time_format: 'H:mm' });
  assertStatus(t, 201);
  const tb = await target({ time_format: 'hh:mi' });
  assertInvalidField(tb, 'time_format');
  assert.match(tb.body.error.message, /the tokens are yyyy yy mm m dd d/, show(tb));
  assertInvalidField(await target({ date_format: 'HH:MM' }), 'date_format');
});

test('discovery shows the sum for counts and times, the mean, lowest and highest for averages', async () => {
  const folder = folderWith('disc', [
    'Split;Date;Time;Calls;AHT;Talk;SL_pct',
    '7;24.11.2026;08:00;10;120;1200;80',
    '7;24.11.2026;08:15;20;240;4800;90',
    '8;24.11.2026;08:00;5;180;900;100',
  ]);
  const r = await admin.post('/api/v1/sources', {
    name: 'Disc', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Calls', aht: 'AHT', talk_time: 'Talk', sl_pct: 'SL_pct' },
    },
  });
  assertStatus(r, 201);
  const j = await job((await admin.post(`/api/v1/sources/${r.body.id}/discover`, { day: '2026-11-24' })).headers.location);
  assert.equal(j.state, 'done', JSON.stringify(j));
  const m = Object.fromEntries(j.result.metrics.map((x) => [x.metric, x]));
  assert.deepEqual([m.offered.aggregate, m.talk_time.aggregate, m.aht.aggregate, m.sl_pct.aggregate], ['sum', 'sum', 'average', 'average']);
  assert.equal(m.offered.total, 35);
  assert.equal(m.talk_time.total, 6900);
  assert.deepEqual([m.aht.rows, m.aht.min, m.aht.avg, m.aht.max], [3, 120, 180, 240]);
  assert.deepEqual([m.sl_pct.min, m.sl_pct.avg, m.sl_pct.max], [80, 90, 100]);
  assert.deepEqual([m.offered.min, m.offered.max], [5, 20]);
});

test('a mapping input naming a queue or metric its source never delivered is saved with warnings', async () => {
  const folder = folderWith('known', ['Split;Date;Time;Calls;Handle', '301;24.11.2026;08:00;5;600', '302;24.11.2026;08:00;3;300']);
  const src = (await admin.post('/api/v1/sources', {
    name: 'Known', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls', handle_time: 'Handle' } },
  })).body;
  const q = (await admin.post('/api/v1/queues', { identifier: 'KNOWN', name: 'Known', time_zone: 'UTC' })).body;
  const map = (vt, ext, metric) => admin.post('/api/v1/mappings', { queue_id: q.id, value_type: vt, inputs: [{ source_id: src.id, ext_queue: ext, metric }] });
  // nothing staged or discovered: queues cannot be checked yet, metrics are known from the settings
  const early = await map('offered', '3O1', 'offered');
  assertStatus(early, 201);
  assert.deepEqual(early.body.warnings, []);
  const typoMetric = await map('handle_time', '301', 'handel_time');
  assertStatus(typoMetric, 201);
  assert.deepEqual(typoMetric.body.warnings.map((w) => [w.field, w.code, w.suggestion]), [['inputs[0].metric', 'unknown_metric', 'handle_time']]);
  // after a discovery the external queues are known too
  const j = await job((await admin.post(`/api/v1/sources/${src.id}/discover`, { day: '2026-11-24' })).headers.location);
  assert.equal(j.state, 'done', JSON.stringify(j));
  const got = await admin.get(`/api/v1/mappings/${early.body.id}`);
  assert.deepEqual(got.body.warnings.map((w) => [w.field, w.code, w.suggestion]), [['inputs[0].ext_queue', 'unknown_ext_queue', '301']]);
  assert.match(got.body.warnings[0].message, /source 'Known' has not delivered an external queue '3O1'.*did you mean '301'\?/);
  const fixed = await admin.patch(`/api/v1/mappings/${early.body.id}`, { inputs: [{ source_id: src.id, ext_queue: '301', metric: 'offered' }] });
  assertStatus(fixed, 200);
  assert.deepEqual(fixed.body.warnings, []);
  // the list carries them (the Mappings page marks such mappings)
  const list = await admin.get(`/api/v1/mappings?queue_id=${q.id}`);
  const byVt = Object.fromEntries(list.body.items.map((m) => [m.value_type, m.warnings.length]));
  assert.deepEqual(byVt, { offered: 0, handle_time: 1 });
  // staged data counts as well: an ODBC-free check through an import
  const run = await runDays(admin, src.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  const other = await admin.post('/api/v1/queues', { identifier: 'KNOWN2', name: 'Known 2', time_zone: 'UTC' });
  const m2 = await admin.post('/api/v1/mappings', { queue_id: other.body.id, value_type: 'offered', inputs: [{ source_id: src.id, ext_queue: '302', metric: 'offered' }] });
  assertStatus(m2, 201);
  assert.deepEqual(m2.body.warnings, []);
});

test('a mapping whose form contradicts its value type is refused with a hint, or saved with override', async () => {
  const folder = folderWith('forms', ['Split;Date;Time;Calls;Handled;HandleTime;AHT', '1;24.11.2026;08:00;5;4;800;200']);
  const src = (await admin.post('/api/v1/sources', {
    name: 'Forms', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Calls', handled: 'Handled', handle_time: 'HandleTime', aht: 'AHT' },
    },
  })).body;
  const q = (await admin.post('/api/v1/queues', { identifier: 'FORMS', name: 'Forms', time_zone: 'UTC' })).body;
  const input = (metric) => [{ source_id: src.id, ext_queue: '1', metric }];
  assertStatus(await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: 'handled', inputs: input('handled') }), 201);
  // the built-in aht is a handled-weighted average: a plain handle_time total is refused
  const wrong = await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: 'aht', inputs: input('handle_time') });
  assertInvalidField(wrong, 'inputs[0].metric');
  assert.match(wrong.body.error.message, /'handle_time' looks like a total, but 'aht' is an average weighted by 'handled'/);
  assert.match(wrong.body.error.hint, /formula/);
  assert.match(wrong.body.error.hint, /override/);
  assert.equal(wrong.body.error.overridable, true, 'the console offers "save anyway" for this refusal only');
  const noType = await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: 'nope', inputs: input('handled') });
  assert.equal(noType.status, 422);
  assert.equal(noType.body.error.overridable, undefined);
  // an average summed is refused too
  assertInvalidField(await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: 'offered', inputs: input('aht') }), 'inputs[0].metric');
  // a formula says what it means: accepted without override
  const ratio = await admin.post('/api/v1/mappings', {
    queue_id: q.id, value_type: 'aht', inputs: [...input('handle_time'), ...input('handled')], formula: 'p1 / p2',
  });
  assertStatus(ratio, 201);
  assert.equal(ratio.body.override, false);
  assertStatus(await admin.delete(`/api/v1/mappings/${ratio.body.id}`), 204);
  // override saves it and says so; a change without override keeps it
  const forced = await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: 'aht', inputs: input('handle_time'), override: true });
  assertStatus(forced, 201);
  assert.equal(forced.body.override, true);
  const kept = await admin.patch(`/api/v1/mappings/${forced.body.id}`, { inputs: input('handle_time') });
  assertStatus(kept, 200);
  assert.equal(kept.body.override, true);
  // corrected: the mark goes
  const fixed = await admin.patch(`/api/v1/mappings/${forced.body.id}`, { inputs: input('aht') });
  assertStatus(fixed, 200);
  assert.equal(fixed.body.override, false);
  assert.equal((await admin.get(`/api/v1/mappings/${forced.body.id}`)).body.override, false);
});

test('the results of a queue download as CSV with daily totals', async () => {
  const folder = folderWith('csvres', [
    'Split;Date;Time;Calls;Handled;AHT',
    '1;24.11.2026;08:00;10;8;100',
    '1;24.11.2026;08:15;4;2;400',
    '1;25.11.2026;09:00;3;3;60',
  ]);
  const src = (await admin.post('/api/v1/sources', {
    name: 'CsvRes', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls', handled: 'Handled', aht: 'AHT' } },
  })).body;
  const q = (await admin.post('/api/v1/queues', { identifier: 'CSVRES', name: 'Csv', time_zone: 'UTC' })).body;
  for (const vt of ['offered', 'handled', 'aht']) {
    assertStatus(await admin.post('/api/v1/mappings', { queue_id: q.id, value_type: vt, inputs: [{ source_id: src.id, ext_queue: '1', metric: vt }] }), 201);
  }
  const run = await runDays(admin, src.id, '2026-11-24', '2026-11-25');
  assert.equal(run.state, 'done', JSON.stringify(run));
  const r = await admin.get('/api/v1/results/csv?queue=CSVRES&from=2026-11-24&to=2026-11-25');
  assert.equal(r.status, 200, show(r));
  assert.match(r.headers['content-type'], /^text\/csv/);
  assert.match(r.headers['content-disposition'], /attachment; filename="results-CSVRES-2026-11-24-2026-11-25.csv"/);
  const text = typeof r.body === 'string' ? r.body : r.text;
  assert.deepEqual(text.split('\r\n'), [
    'queue;CSVRES',
    'date;time;aht;handled;offered',
    '2026-11-24;08:00;100;8;10',
    '2026-11-24;08:15;400;2;4',
    // aht weighted by handled: (100 * 8 + 400 * 2) / 10
    '2026-11-24;total;160;10;14',
    '2026-11-25;09:00;60;3;3',
    '2026-11-25;total;60;3;3',
    '',
  ]);
  assert.equal((await admin.get('/api/v1/results/csv?queue=NOPE&from=2026-11-24&to=2026-11-25')).status, 404);
  assert.equal((await admin.get('/api/v1/results/csv?queue=CSVRES&from=2026-11-24')).status, 400);
  // an identifier holding the separator or a quote is one quoted cell, not two; the file name
  // keeps none of them (a quote there ended the header's quoted file name)
  const odd = 'Q;7 "B"';
  assertStatus(await admin.post('/api/v1/queues', { identifier: odd, name: 'Odd', time_zone: 'UTC' }), 201);
  const o = await admin.get(`/api/v1/results/csv?queue=${encodeURIComponent(odd)}&from=2026-11-24&to=2026-11-25`);
  assert.equal(o.status, 200, show(o));
  assert.deepEqual((typeof o.body === 'string' ? o.body : o.text).split('\r\n').slice(0, 2), ['queue;"Q;7 ""B"""', 'date;time']);
  assert.match(o.headers['content-disposition'], /^attachment; filename="results-Q_7 _B_-2026-11-24-2026-11-25.csv"$/);
});
