// Checks the form logic of the catalog and source pages without a browser: where an API error
// is shown, and that a source's settings survive the trip daemon -> form -> JSON unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../src/i18n/en.js';
import { errorField, fieldErrors } from '../src/components.js';
import { buildSettings, formFromSource } from '../src/pages/sources.js';
import { CHANNELS } from '../src/pages/queues.js';
import { COMBINES, UNITS } from '../src/pages/value_types.js';

const err = (message, code = 'invalid_field') => ({ status: 422, code, message, hint: '' });

test('errorField reads the field an API message names', () => {
  assert.equal(errorField(err('csv.separator: must be one character such as , ; | or a tab')), 'csv.separator');
  assert.equal(errorField(err('settings.columns.queue: is required')), 'columns.queue');
  assert.equal(errorField(err('settings.metrics.Calls offered: needs a column')), 'metrics.Calls offered');
  assert.equal(errorField(err('settings.derived[2]: name is used twice')), 'derived[2]');
  assert.equal(errorField(err("time_zone: 'Mars/Base' is not a known time zone")), 'time_zone');
  assert.equal(errorField(err('1 object item(s) left unpacked: colour')), '');
  assert.equal(errorField(err("'offered' is built in: its unit and combination are fixed", 'conflict')), '');
  assert.equal(errorField(err('stored passwords are set by admins only', 'forbidden')), '');
  assert.equal(errorField(null), '');
});

test('fieldErrors puts an error at one place only', () => {
  const e = err('csv.separator: must be one character');
  const shown = fieldErrors(e, (f) => (f === 'csv.separator' ? f : ''));
  assert.equal(shown.at('csv.separator'), e);
  assert.equal(shown.rest, null);
  const hidden = fieldErrors(e, () => '');
  assert.equal(hidden.at('csv.separator'), null);
  assert.equal(hidden.rest, e);
  const taken = err("a source named 'x' exists already", 'conflict');
  assert.equal(fieldErrors(taken, () => '', 'name').at('name'), taken);
});

// What the daemon answers for sources (every default written out, keys sorted).
const CSV_INTERVAL = {
  id: 1, name: 'Avaya CSV', kind: 'csv', product: 'contacts', layout: 'interval',
  time_zone: 'Europe/Berlin', interval_minutes: 15, enabled: true, password_set: false,
  settings: {
    columns: { answered: null, date: 'Date', duration: null, queue: 'Split', queue_name: null, time: 'Time', timestamp: null },
    csv: {
      after_import: 'move', archive_folder: '/srv/done', date_format: 'dd.mm.yyyy', date_order: 'dmy',
      encoding: 'windows-1252', folder: '/srv/in', header: true, pattern: '*.csv', quote: '"',
      separator: '\t', skip_lines: 1, strict: true, time_format: null, timestamp_format: null,
    },
    derived: [{ name: 'x', expression: 'a + b' }],
    filter: "Split <> '9'",
    metrics: { handle_time: 5, offered: 'CallsOffered' },
  },
};

const CSV_CONTACT = {
  ...CSV_INTERVAL, layout: 'contact',
  settings: {
    columns: { answered: 'A', date: null, duration: 4, queue: 'Q', queue_name: 'QN', time: null, timestamp: 'Start' },
    csv: {
      after_import: 'keep', archive_folder: null, date_format: null, date_order: 'ymd', encoding: 'utf-8',
      folder: '/srv/in', header: false, pattern: '*.txt', quote: '', separator: ':', skip_lines: 0,
      strict: false, time_format: null, timestamp_format: 'yyyy-mm-dd HH:MM',
    },
    derived: [],
    filter: null,
    metrics: {}, // the daemon answers {} for the contact layout, but refuses it on input
    answered_values: null,
    unanswered_values: null,
  },
};

const ODBC = {
  ...CSV_INTERVAL, kind: 'odbc', password_set: true,
  settings: {
    derived: [],
    filter: null,
    odbc: { connection_string: 'Driver=x;Server=y', dsn: null, preset: null, sql: 'SELECT 1 WHERE a >= :period_start AND a < :period_end', timeout_s: 60, connections: 5, user: 'u' },
  },
};

test('a source survives daemon -> form -> settings JSON unchanged', () => {
  assert.deepEqual(buildSettings(formFromSource(CSV_INTERVAL)), CSV_INTERVAL.settings);
  const { metrics, ...contactWithoutMetrics } = CSV_CONTACT.settings;
  assert.deepEqual(metrics, {});
  assert.deepEqual(buildSettings(formFromSource(CSV_CONTACT)), contactWithoutMetrics);
  assert.deepEqual(buildSettings(formFromSource(ODBC)), ODBC.settings);
});

test('the answered values of a contact source survive the form, and say nothing when empty', () => {
  const listed = { ...CSV_CONTACT, settings: { ...CSV_CONTACT.settings, answered_values: ['AGENT', 'TRANSFER'], unanswered_values: ['HANG'] } };
  const form = formFromSource(listed);
  assert.equal(form.answered_values, 'AGENT, TRANSFER');
  assert.equal(buildSettings(form).answered_values.join('|'), 'AGENT|TRANSFER');
  assert.deepEqual(buildSettings(form).unanswered_values, ['HANG']);
  form.answered_values = ' AGENT ,, PARKED ';
  form.unanswered_values = ' ';
  assert.deepEqual([buildSettings(form).answered_values, buildSettings(form).unanswered_values], [['AGENT', 'PARKED'], null]);
  assert.equal('answered_values' in buildSettings(formFromSource(CSV_INTERVAL)), false, 'not sent for the interval layout');
});

test('the form sends numbers for numeric columns and the text of anything else', () => {
  const form = formFromSource(CSV_INTERVAL);
  form.metrics[0].column = ' 12 ';
  form.skip_lines = 'x';
  const s = buildSettings(form);
  assert.equal(s.metrics.handle_time, 12);
  assert.equal(s.csv.skip_lines, 'x', 'left for the daemon to name the field');
  form.date_mode = 'order';
  assert.equal(buildSettings(form).csv.date_format, null, 'hidden formats are not sent');
  form.after_import = 'keep';
  assert.equal(buildSettings(form).csv.archive_folder, null);
});

test('every channel, unit, combination and source choice has an English label', () => {
  const need = [
    ...CHANNELS.map((c) => `queues.channel.${c}`),
    ...UNITS.map((u) => `value_types.unit.${u}`),
    ...COMBINES.map((c) => `value_types.combine.${c}`),
    ...['csv', 'odbc'].map((k) => `sources.kind.${k}`),
    ...['interval', 'contact'].map((l) => `sources.layout.${l}`),
    ...['utf-8', 'windows-1252', 'iso-8859-1'].map((e) => `sources.encoding.${e}`),
    ...['keep', 'move', 'delete'].map((a) => `sources.after.${a}`),
    ...['dmy', 'mdy', 'ymd'].map((o) => `sources.order.${o}`),
    ...['sources', 'queues', 'value_types'].map((n) => `nav.${n}`),
  ];
  assert.deepEqual(need.filter((k) => !(k in en)), []);
});

test('an operator sends a target\'s address and trust settings back as stored and adds csv-export targets only', async () => {
  const { ADMIN_KEYS, CONNECTOR_KEYS, formFromTarget, settingsFromForm } = await import('../src/pages/target_edit.js');
  const { CONNECTORS, creatableConnectors } = await import('../src/pages/targets.js');
  const target = {
    name: 'J', enabled: true, connector: 'https-json',
    settings: { url: 'https://wfm.example/in', ca_file: '', ca_pem: 'PEM', pin_sha256: '', timeout_seconds: 30,
      max_intervals: 1000, use_proxy: true, agent_days: 'whole' },
  };
  const form = { ...formFromTarget(target), url: 'https://collector.example/', ca_pem: '', pin_sha256: 'ab', timeout_seconds: '45' };
  const locked = CONNECTOR_KEYS['https-json'].filter((k) => ADMIN_KEYS.includes(k));
  assert.deepEqual(locked, ['url', 'ca_file', 'ca_pem', 'pin_sha256']);
  assert.deepEqual(settingsFromForm(target, form, locked).settings, { ...target.settings, timeout_seconds: 45 });
  const admin = settingsFromForm(target, form).settings;
  assert.deepEqual([admin.url, 'ca_pem' in admin, admin.pin_sha256], ['https://collector.example/', false, 'ab']);
  assert.deepEqual(CONNECTOR_KEYS['csv-export'].filter((k) => ADMIN_KEYS.includes(k)), []);
  assert.deepEqual(creatableConnectors(false), ['csv-export']);
  assert.deepEqual(creatableConnectors(true), CONNECTORS);
});
