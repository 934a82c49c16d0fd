// Every message the daemon can send with a code (run-log lines, connection tests) and every
// audit action it records has a text in each language; plural forms follow each language's
// plural rules; French texts follow French typography; dates have one format per language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import en from '../src/i18n/en.js';
import de from '../src/i18n/de.js';
import fr from '../src/i18n/fr.js';
import {
  formatDate, frenchTypography, messageText, parseDate, translator, valueTypeName,
} from '../src/i18n/index.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DICTS = { en, de, fr };

function cFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      return cFiles(p);
    }
    return p.endsWith('.c') ? [p] : [];
  });
}

/** The message codes and audit actions in the daemon's C sources. */
export function daemonCodes() {
  const codes = new Set();
  const actions = new Set();
  for (const file of [...cFiles(path.join(ROOT, 'daemon')), ...cFiles(path.join(ROOT, 'adapters'))]) {
    const src = fs.readFileSync(file, 'utf8');
    // rows_note(r, level, CODE, params, ...): CODE may be a literal or a ?: of literals
    for (const m of src.matchAll(/rows_note\(\s*[^,]+,\s*(?:[^,()]|\([^()]*\))*?,\s*((?:[^,()]|\([^()]*\))*?),\s*(?:json_pack|NULL)/g)) {
      for (const c of m[1].matchAll(/"([a-z_]+\.[a-z0-9_.]+)"/g)) {
        codes.add(c[1]);
      }
    }
    for (const m of src.matchAll(/"((?:conn|smtp|roots)\.[a-z0-9_]+)"/g)) {
      codes.add(m[1]);
    }
    for (const m of src.matchAll(/error_code = '([a-z_]+\.[a-z_]+)'/g)) {
      codes.add(m[1]);
    }
    // network and TLS causes: every "net.x" and "tls.x" literal is one; so is every "export.x"
    // and "delivery.x" literal of the uploader and its connectors (file-export and delivery
    // causes)
    const upload = file.includes(`${path.sep}upload${path.sep}`);
    for (const m of src.matchAll(upload ? /"((?:net|tls|export|delivery)\.[a-z_]+)"/g : /"((?:net|tls)\.[a-z_]+)"/g)) {
      codes.add(m[1]);
    }
    // SQLSTATE classes: {"08", "odbc.connection"}
    for (const m of src.matchAll(/\{"[A-Z0-9]{2,3}", "(odbc\.[a-z_]+)"\}/g)) {
      codes.add(m[1]);
    }
    // validation texts (core/why_texts.c: {"template", "val.code"}) and val.field
    for (const m of src.matchAll(/"(val\.[a-z0-9_]+)"/g)) {
      codes.add(m[1]);
    }
    // the hints of error answers (core/hint_texts.c: {"hint", "hint.code"})
    for (const m of src.matchAll(/"(hint\.[a-z0-9_]+)"/g)) {
      codes.add(m[1]);
    }
    for (const m of src.matchAll(/return "(err\.[a-z]+)"/g)) {
      codes.add(m[1]);
    }
    // the codes of reasons: why_note(text, CODE, ...), rows_why(CODE, ...), rows_reject(r, CODE,
    // ...), rows_csv_error(r, level, CODE, ...), the date parsers' fail(why, whysz, CODE, ...)
    // and the CSV reader's perr(...)/error_code(...) (a ?: of literals counts each)
    const CODE = /"([a-z0-9]+\.[a-z0-9_]+)"/g;
    const calls = [
      /\bwhy_note\(\s*[^,]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\brows_why\(\s*((?:[^,()]|\([^()]*\))*)/g,
      /\brows_reject\(\s*[^,]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\brows_csv_error\(\s*[^,]+,\s*[^,]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\bfail\(\s*why,\s*whysz,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\bperr\(\s*ps,\s*[^,]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\berror_code\(\s*err,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\bflag\(\s*h,\s*[A-Z_]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\brows_set_error\(\s*[^,]+,\s*[^,]+,\s*((?:[^,()]|\([^()]*\))*)/g,
      /\bmsg_code\(\s*((?:[^,()]|\([^()]*\))*)/g,
    ];
    for (const re of calls) {
      for (const m of src.matchAll(re)) {
        for (const c of m[1].matchAll(CODE)) {
          codes.add(c[1]);
        }
      }
    }
    for (const m of src.matchAll(/(?:http_audit|store_audit_add|save_and_answer)\(([^;]*?)\);/gs)) {
      for (const c of m[1].matchAll(/"([a-z_]+\.[a-z_]+)"/g)) {
        actions.add(c[1]);
      }
    }
  }
  return { codes: [...codes].sort(), actions: [...actions].sort() };
}

test('the extraction finds the daemon\'s codes (it would notice new ones)', () => {
  const { codes, actions } = daemonCodes();
  assert.ok(codes.length >= 140, `codes: ${codes}`);
  for (const c of ['run.summary', 'run.file_read', 'run.row_rejected', 'conn.tls', 'conn.auth',
    'row.column', 'row.no_queue', 'dt.month_range', 'dt.expected_part', 'num.not_number',
    'csv.field_count', 'csv.after_quote', 'run.file_error', 'err.enospc']) {
    assert.ok(codes.includes(c), c);
  }
  for (const a of ['source.update', 'token.create', 'mapping.create', 'backup.restore']) {
    assert.ok(actions.includes(a), a);
  }
});

test('every return code has a message code', () => {
  const header = fs.readFileSync(path.join(ROOT, 'daemon', 'core', 'err.h'), 'utf8');
  const source = fs.readFileSync(path.join(ROOT, 'daemon', 'core', 'err.c'), 'utf8');
  const names = [...header.matchAll(/\b(ACDL_E[A-Z]+) = -\d+/g)].map((m) => m[1]);
  assert.ok(names.length >= 15);
  const coded = source.slice(source.indexOf('acdl_strerror_code'));
  assert.deepEqual(names.filter((n) => !new RegExp(`case ${n}: return "err\\.`).test(coded)), []);
});

for (const [lang, dict] of Object.entries(DICTS)) {
  test(`${lang}: a text for every message code and audit action the daemon has`, () => {
    const { codes, actions } = daemonCodes();
    assert.deepEqual(codes.filter((c) => !(`msg.${c}` in dict)), [], 'message codes without a text');
    assert.deepEqual(actions.filter((a) => !(`audit.action.${a}` in dict)), [], 'audit actions without a text');
  });

  test(`${lang}: plural entries have every form of the language`, () => {
    const need = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    for (const [key, value] of Object.entries(dict)) {
      if (typeof value === 'object') {
        for (const cat of need) {
          assert.ok(typeof value[cat] === 'string', `${lang} ${key} lacks the plural form ${cat}`);
        }
        assert.ok(/\{n\}/.test(value.one || value.other), `${key}: a plural text names {n}`);
      }
    }
  });
}

test('plural forms follow the counted number', () => {
  for (const [lang, one, many] of [
    ['en', '1 more rejected row is not listed here', '2 more rejected rows are not listed here'],
    ['de', '1 weitere abgelehnte Zeile ist hier nicht aufgeführt', '2 weitere abgelehnte Zeilen sind hier nicht aufgeführt'],
    ['fr', '1 autre ligne rejetée n’est pas listée ici', '2 autres lignes rejetées ne sont pas listées ici'],
  ]) {
    const t = translator(lang);
    assert.equal(t('msg.run.rejected_unlisted', { n: 1 }), one);
    assert.equal(t('msg.run.rejected_unlisted', { n: 2 }), many);
  }
  assert.equal(translator('fr')('msg.run.rejected_unlisted', { n: 0 }), '0 autre ligne rejetée n’est pas listée ici',
    'French counts 0 as singular');
});

test('French texts: a no-break space before : and a narrow one before ; ! ?', () => {
  const t = translator('fr');
  for (const key of Object.keys(fr)) {
    const text = t(key, { n: 2 });
    assert.doesNotMatch(text, /[^\u00A0\u202F\s][;!?](\s|$)/, `${key}: ${JSON.stringify(text)}`);
    assert.doesNotMatch(text, / [;:!?](\s|$)/, `${key}: ordinary space before punctuation: ${JSON.stringify(text)}`);
    assert.doesNotMatch(text, /[^\u00A0\s]:(\s|$)/, `${key}: no space before a colon: ${JSON.stringify(text)}`);
  }
  assert.equal(frenchTypography('Erreur : a ; b! c ?'), 'Erreur\u00A0: a\u202F; b\u202F! c\u202F?');
  assert.equal(frenchTypography('à 12:30, voir https://x'), 'à 12:30, voir https://x');
  assert.equal(t('msg.run.file_read', { file: 'a:b.csv', bytes: 1234 }), 'a:b.csv\u00A0: lu (1\u202F234 octets)');
});

test('messages: worded from code and parameters, the English text when there is no code', () => {
  const line = {
    message: 'done: 10 rows read, ...', code: 'run.summary',
    params: { state: 'done', read: 1200, staged: 1199, rejected: 1, filtered: 0, files: 2, skipped: 0 },
  };
  assert.equal(messageText(translator('de'), line, 'de'),
    'Fertig: Zeilen: 1.200 gelesen, 1.199 übernommen, 1 abgelehnt, 0 gefiltert; Dateien: 2 gelesen, 0 übersprungen');
  const start = { message: 'x', code: 'run.import_start', params: { source: 's', kind: 'csv', layout: 'interval', zone: 'UTC', from: '2026-11-01', to: '2026-11-30' } };
  assert.match(messageText(translator('de'), start, 'de'), /für 01\.11\.2026 – 30\.11\.2026$/);
  assert.match(messageText(translator('fr'), start, 'fr'), /pour 01\/11\/2026 – 30\/11\/2026$/);
  assert.equal(messageText(translator('de'), { message: 'old line' }, 'de'), 'old line');
  assert.equal(messageText(translator('de'), { message: 'new', code: 'run.not_known_yet', params: {} }, 'de'), 'new');
  const kind = { message: 'x', code: 'run.file_not_regular', params: { file: 'a', kind: 'fifo' } };
  assert.equal(messageText(translator('de'), kind, 'de'), 'a: übersprungen: eine benannte Pipe (FIFO), keine reguläre Datei');
});

test('one date format per language, and date fields read it back', () => {
  assert.equal(formatDate('en', '2026-12-06'), '2026-12-06');
  assert.equal(formatDate('de', '2026-12-06'), '06.12.2026');
  assert.equal(formatDate('fr', '2026-12-06'), '06/12/2026');
  assert.equal(parseDate('de', '6.12.2026'), '2026-12-06');
  assert.equal(parseDate('fr', '06/12/2026'), '2026-12-06');
  assert.equal(parseDate('de', '2026-12-06'), '2026-12-06', 'ISO is understood everywhere');
  assert.equal(parseDate('de', '31.02.2026'), '', 'no 31 February');
  assert.equal(parseDate('en', '06/12/2026'), '');
});

test('built-in value types are named in the reader\'s language until renamed', () => {
  const offered = { key: 'offered', name: 'Offered contacts', builtin: true };
  assert.equal(valueTypeName(translator('de'), offered), 'Angebotene Kontakte');
  assert.equal(valueTypeName(translator('fr'), offered), 'Contacts présentés');
  assert.equal(valueTypeName(translator('de'), { ...offered, name: 'Offered calls' }), 'Offered calls');
  assert.equal(valueTypeName(translator('de'), { key: 'x', name: 'Mine', builtin: false }), 'Mine');
});

test('an empty list of allowed folders is worded, not shown as "(none)"', () => {
  const item = {
    code: 'roots.outside',
    params: {
      folder: "'/srv/x'", folder_code: 'roots.folder', folder_params: { folder: '/srv/x' },
      roots: '(none)', roots_code: 'roots.none', roots_params: {}, setting: 'export_roots',
    },
  };
  assert.match(messageText(translator('en'), item, 'en'), /inside \(none\) \(export_roots\)/);
  assert.match(messageText(translator('de'), item, 'de'), /\(keine\) \(export_roots\)/);
  assert.match(messageText(translator('fr'), item, 'fr'), /\(aucun\) \(export_roots\)/);
});
