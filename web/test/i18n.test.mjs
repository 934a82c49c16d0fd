// Checks the three dictionaries against each other and against the keys the source uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import en from '../src/i18n/en.js';
import de from '../src/i18n/de.js';
import fr from '../src/i18n/fr.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
// {name} and the count of an inline plural block ({name, plural, one {...} other {...}})
const placeholders = (text) => [...new Set([...text.replace(/\{(\w+), plural,(?: \w+ \{[^{}]*\})+\}/g, '{$1}')
  .matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      return e.name === 'i18n' ? [] : sourceFiles(p);
    }
    return p.endsWith('.js') ? [p] : [];
  });
}

for (const [lang, dict] of Object.entries({ de, fr })) {
  test(`${lang} has exactly the English keys`, () => {
    assert.deepEqual(Object.keys(dict).sort(), Object.keys(en).sort());
  });

  test(`${lang} keeps every placeholder and translates every text`, () => {
    const enText = (v) => (typeof v === 'object' ? v.other : v);
    for (const [key, text] of Object.entries(en)) {
      const forms = typeof dict[key] === 'object' && dict[key] !== null ? Object.values(dict[key]) : [dict[key]];
      for (const form of forms) {
        assert.equal(typeof form, 'string', key);
        assert.ok(form.trim().length > 0, `${lang} ${key} is empty`);
        assert.deepEqual(placeholders(form), placeholders(enText(text)), `${lang} ${key} placeholders`);
      }
    }
  });
}

// A count before the word it counts ("{n} rows") needs plural forms: "1 rows" is no English,
// "1 Zeilen" no German. Limits ({max}) are never one. The daemon's coded texts (msg.*, xlink.note.*)
// count too: the daemon words them from the same dictionaries and chooses inline plural blocks.
const COUNTED = /\{(\w+)\} (rows?|lines?|files?|days?|intervals?|batch(es)?|items?|inputs?|agents?|external queues?|minutes?|seconds?|hours?|states?|entries|mappings?|queues?|bytes?|columns?|fields?|codes?|levels?)\b/g;

const NOT_COUNTS = [
  'schedules.rule_daily', // one day has its own text (rule_daily_one)
  'xlink.file_read', // "{endings} line endings": CRLF, LF
  'xlink.todo.section_line', // "{file} line {line}"
  'msg.dt.day_range_month', // "{month_name} {year} has {days} days": a month has 28 to 31
  'msg.csv.too_many_fields', // "more than {n} fields": the reader's field limit
  'msg.csv.record_too_long', // "record longer than {n} bytes": the reader's record limit
];

test('a count before the word it counts has plural forms', () => {
  const wrong = Object.entries(en)
    .filter(([key, v]) => typeof v === 'string' && !NOT_COUNTS.includes(key))
    .filter(([, v]) => [...v.matchAll(COUNTED)].some((m) => m[1] !== 'max'))
    .map(([key, v]) => `${key}: ${v}`);
  assert.deepEqual(wrong, []);
});

test('inline plural blocks are chosen by the language\'s rules', async () => {
  const { translator } = await import('../src/i18n/index.js');
  assert.equal(translator('en')('discover.counts', { read: 1, queues: 2, agents: 0, rejected: 1 }),
    '1 row read: 2 external queues, 0 agents, 1 row rejected.');
  assert.equal(translator('de')('discover.counts', { read: 1, queues: 2, agents: 0, rejected: 1 }),
    '1 Zeile gelesen: 2 externe Queues, 0 Agenten, 1 Zeile abgewiesen.');
  assert.equal(translator('fr')('discover.counts', { read: 1, queues: 2, agents: 0, rejected: 1 }),
    '1 ligne lue\u00A0: 2 files externes, 0 agent, 1 ligne rejetée.');
  assert.equal(translator('fr')('runs.progress_of', { done: 2, total: 3 }), '2 jours traités sur 3');
  assert.equal(translator('en')('msg.run.file_read', { file: 'a.csv', bytes: 1 }), 'a.csv: read (1 byte)');
  assert.equal(translator('de')('msg.val.login_throttled', { seconds: 1 }),
    'zu viele fehlgeschlagene Anmeldungen; versuchen Sie es in 1 Sekunde wieder');
  assert.equal(translator('fr')('msg.val.xlink_empty', { file: 'a.ini', size: 0 }),
    'a.ini\u00A0: le fichier est vide (0 octet)\u00A0: reprenez isps_ul.ini dans le dossier Xlink');
});

test('every literal key used in the source exists in en.js', () => {
  const missing = [];
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-z_.]+)'/g)) {
      if (!(m[1] in en)) {
        missing.push(`${path.basename(file)}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('role, outcome, actor-kind and error-code keys are complete', () => {
  const need = [
    ...['admin', 'operator', 'viewer'].map((r) => `role.${r}`),
    ...['ok', 'denied', 'error'].map((o) => `audit.outcome.${o}`),
    ...['user', 'token', 'system', 'anonymous'].map((k) => `audit.kind.${k}`),
    ...['users', 'tokens', 'audit', 'account'].map((n) => `nav.${n}`),
    ...['bad_request', 'invalid_parameter', 'unauthorized', 'invalid_credentials', 'forbidden',
      'csrf_failed', 'not_found', 'method_not_allowed', 'conflict', 'last_admin',
      'payload_too_large', 'unsupported_media_type', 'invalid_field', 'too_many_requests',
      'internal'].map((c) => `error.${c}`),
  ];
  assert.deepEqual(need.filter((k) => !(k in en)), []);
});
