// Checks the logic of the runs, mappings and results pages without a browser: how the run list
// merges a refresh, where a mapping error is shown, what the mapping form sends, and how results
// become table rows and chart points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../src/i18n/en.js';
import { translator } from '../src/i18n/index.js';
import { daysInclusive, errorField, fieldErrors } from '../src/components.js';
import {
  FILE_COUNTS, LOG_LEVELS, ROW_COUNTS, RUN_STATES, RUN_TRIGGERS, mergeRuns, periodText, splitLocation,
} from '../src/pages/runs.js';
import {
  defaultText, emptyInput, guessMetric, inputsBody, resolveMappingField,
} from '../src/pages/mappings.js';
import { chartSeries, intervalEnd, pivotResults, splitLocal } from '../src/pages/results.js';

const t = translator('en');
const run = (id, state) => ({ id, state });

test('a refreshed first page updates known runs and puts new ones on top', () => {
  const old = [run(5, 'running'), run(4, 'queued'), run(2, 'done')];
  const fresh = [run(6, 'queued'), run(5, 'done'), run(4, 'running')];
  assert.deepEqual(mergeRuns(old, fresh), [run(6, 'queued'), run(5, 'done'), run(4, 'running'), run(2, 'done')]);
  // with a state filter, runs that left the state drop out
  assert.deepEqual(mergeRuns([run(5, 'running'), run(4, 'running')], [run(5, 'done'), run(4, 'running')],
    { state: 'running' }), [run(4, 'running')]);
  // an older run that appears on the refreshed page (another one finished) is not added twice
  assert.deepEqual(mergeRuns([run(3, 'done')], [run(3, 'done'), run(1, 'done')]), [run(3, 'done')]);
});

test('a log message is split into "file:line" and the reason', () => {
  assert.deepEqual(splitLocation("day1.csv:7: column 4 'CallsOffered': 'x' is not a number"),
    ['day1.csv:7', "column 4 'CallsOffered': 'x' is not a number"]);
  assert.deepEqual(splitLocation('day1.csv: read (216 bytes)'), ['', 'day1.csv: read (216 bytes)']);
  assert.deepEqual(splitLocation('mapping: 3 results computed'), ['', 'mapping: 3 results computed']);
  assert.deepEqual(splitLocation('the folder /x does not exist'), ['', 'the folder /x does not exist']);
});

test('a period of one day is that day', () => {
  assert.equal(periodText(t, { from: '2026-11-24', to: '2026-11-24' }), '2026-11-24');
  assert.equal(periodText(t, { from: '2026-11-20', to: '2026-11-24' }), '2026-11-20 – 2026-11-24');
});

test('every run state, trigger, level and count has an English label', () => {
  const need = [
    ...RUN_STATES.map((s) => `runs.state.${s}`),
    ...RUN_TRIGGERS.map((s) => `runs.trigger.${s}`),
    ...LOG_LEVELS.map((s) => `runs.level.${s}`),
    ...[...FILE_COUNTS, ...ROW_COUNTS].map((c) => `runs.count.${c}`),
    ...['runs', 'mappings', 'results'].map((n) => `nav.${n}`),
  ];
  assert.deepEqual(need.filter((k) => !(k in en)), []);
});

const err = (message, code = 'invalid_field') => ({ status: 422, code, message, hint: '' });

test('a mapping error is shown at the input and member it names', () => {
  const rows = [emptyInput({ source_id: '1', ext_queue: '101', metric: 'offered' }),
    emptyInput(), // empty: not sent, so the daemon's index skips it
    emptyInput({ source_id: '1', ext_queue: '102', metric: '' })];
  const resolve = (f) => resolveMappingField(f, rows);
  assert.equal(errorField(err('inputs[1].metric: must not be empty')), 'inputs[1].metric');
  assert.equal(resolve('inputs[1].metric'), `input-${rows[2].id}.metric`);
  assert.equal(resolve('inputs[0].source_id'), `input-${rows[0].id}.source_id`);
  assert.equal(resolve('inputs[0]'), `input-${rows[0].id}`);
  assert.equal(resolve('inputs[7].ext_queue'), 'inputs');
  assert.equal(resolve('inputs'), 'inputs');
  assert.equal(resolve('formula'), 'formula');
  assert.equal(resolve('value_type'), 'value_type');
  assert.equal(resolve('queue_id'), '');
  const conflict = err("queue 'PIPE' has a mapping for 'offered' already", 'conflict');
  assert.equal(fieldErrors(conflict, resolve, 'value_type').at('value_type'), conflict);
});

test('the form sends the filled inputs, trimmed, with numeric source ids', () => {
  const rows = [emptyInput({ source_id: '3', ext_queue: ' 101 ', metric: 'offered ' }), emptyInput(),
    emptyInput({ source_id: '', ext_queue: '102', metric: 'offered' })];
  assert.deepEqual(inputsBody(rows), [
    { source_id: 3, ext_queue: '101', metric: 'offered' },
    { source_id: 0, ext_queue: '102', metric: 'offered' }, // the daemon names inputs[1].source_id
  ]);
});

test('a mapped queue gets the metric of the value type, or its only metric', () => {
  assert.equal(guessMetric(['aht', 'handled', 'offered'], 'offered'), 'offered');
  assert.equal(guessMetric(['aht', 'handled', 'offered'], 'abandoned'), '');
  assert.equal(guessMetric(['calls'], 'offered'), 'calls');
  assert.equal(guessMetric([], 'offered'), '');
});

test('without a formula a mapping says "default: sum" or what it is weighted by', () => {
  const types = [{ key: 'handled', name: 'Handled contacts', combine: 'sum', weight_key: null },
    { key: 'aht', name: 'AHT', combine: 'weighted', weight_key: 'handled' }];
  assert.equal(defaultText(t, types[0], types), 'default: sum');
  assert.equal(defaultText(t, types[1], types), 'default: weighted by Handled contacts');
  assert.equal(defaultText(t, undefined, types), 'default: sum');
});

const item = (start, local, vt, value) => ({ interval_start: start, local, value_type: vt, value });

test('results become one row per interval with a column per value type, in catalog order', () => {
  const items = [
    item('2026-11-24T07:00:00Z', '2026-11-24T08:00+01:00', 'offered', 15),
    item('2026-11-24T07:00:00Z', '2026-11-24T08:00+01:00', 'aht', 110),
    item('2026-11-24T07:30:00Z', '2026-11-24T08:30+01:00', 'offered', 12),
    item('2026-11-24T07:00:00Z', '2026-11-24T08:00+01:00', 'zz_custom', 1),
  ];
  const pivot = pivotResults(items, ['offered', 'handled', 'aht']);
  assert.deepEqual(pivot.keys, ['offered', 'aht', 'zz_custom']);
  assert.equal(pivot.rows.length, 2);
  assert.deepEqual(pivot.rows[0].values, { offered: 15, aht: 110, zz_custom: 1 });
  assert.equal(pivot.rows[1].day, '2026-11-24');
  assert.equal(pivot.rows[1].start, Date.parse('2026-11-24T07:30:00Z') / 1000);
});

test('the chart gets every interval between the first and last value, gaps as null', () => {
  const { rows } = pivotResults([
    item('2026-11-24T07:00:00Z', '2026-11-24T08:00+01:00', 'offered', 15),
    item('2026-11-24T07:15:00Z', '2026-11-24T08:15+01:00', 'aht', 90),
    item('2026-11-24T07:30:00Z', '2026-11-24T08:30+01:00', 'offered', 12),
  ]);
  const t0 = Date.parse('2026-11-24T07:00:00Z') / 1000;
  assert.deepEqual(chartSeries(rows, 'offered', 15), [[t0, t0 + 900, t0 + 1800], [15, null, 12]]);
  assert.deepEqual(chartSeries(rows, 'aht', 15), [[t0 + 900], [90]]);
  assert.deepEqual(chartSeries(rows, 'nothing', 15), [[], []]);
});

test('interval labels: local time, offset and end', () => {
  assert.deepEqual(splitLocal('2026-11-24T08:00+01:00'), { time: '08:00', offset: '+01:00' });
  assert.deepEqual(splitLocal('2026-03-29T03:00+02:00'), { time: '03:00', offset: '+02:00' });
  assert.equal(intervalEnd('08:00', 15), '08:15');
  assert.equal(intervalEnd('23:30', 30), '24:00');
});

test('day ranges count both ends', () => {
  assert.equal(daysInclusive('2026-11-24', '2026-11-24'), 1);
  assert.equal(daysInclusive('2026-01-01', '2026-03-03'), 62);
  assert.equal(daysInclusive('2026-11-25', '2026-11-24'), 0);
  assert.ok(Number.isNaN(daysInclusive('', '2026-11-24')));
  // a DST change inside the range changes nothing
  assert.equal(daysInclusive('2026-03-28', '2026-03-30'), 3);
});
