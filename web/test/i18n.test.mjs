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
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

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
