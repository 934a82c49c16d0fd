// Every note of the Xlink conversion report that has a code (daemon/xlink/notes.c) has a text in
// English (the daemon's own template, so the English report reads as before), German and French
// with the same placeholders, and a report line is worded from its codes in the reader's
// language, its English text kept when a code is unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import en from '../src/i18n/en.js';
import de from '../src/i18n/de.js';
import fr from '../src/i18n/fr.js';
import { translator } from '../src/i18n/index.js';
import { xlinkNoteText } from '../src/xlink_notes.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The {template, code} rows of daemon/xlink/notes.c (C string literals joined). */
function noteTable() {
  const src = fs.readFileSync(path.join(ROOT, 'daemon', 'xlink', 'notes.c'), 'utf8');
  const rows = [];
  for (const m of src.matchAll(/\{((?:\s*"(?:[^"\\]|\\.)*")+),\s*"(xlink\.note\.[a-z0-9_]+)"\}/g)) {
    const tmpl = [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => JSON.parse(`"${s[1]}"`)).join('');
    rows.push({ tmpl, code: m[2] });
  }
  return rows;
}

const placeholders = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every coded note has its English template and real German and French texts', () => {
  const rows = noteTable();
  assert.ok(rows.length >= 60, `only ${rows.length} notes found in notes.c`);
  assert.equal(new Set(rows.map((r) => r.code)).size, rows.length, 'a code is used twice');
  for (const { tmpl, code } of rows) {
    assert.equal(en[code], tmpl, `${code}: the English text differs from the daemon's`);
    for (const [lang, dict] of Object.entries({ de, fr })) {
      assert.equal(typeof dict[code], 'string', `${code} has no ${lang} text`);
      assert.deepEqual(placeholders(dict[code]), placeholders(tmpl), `${code} (${lang}): placeholders`);
      // settings as they are (names and values) read the same everywhere; notes are translated
      if (!/^\{setting\}/.test(tmpl) || /[a-z]{4}/.test(tmpl.replace(/\{\w+\}/g, ''))) {
        assert.notEqual(dict[code], tmpl, `${code} (${lang}) is an English copy`);
      }
    }
  }
});

test('a report line is worded from its codes, notes joined as the daemon joins them', () => {
  const item = {
    detail: "column 6 holds an average handle time; metric 'AHT' holds an average: map it to the value type aht, which acdlink weights by handled (read as 6, as Xlink did: the text 'x' after the number is ignored)",
    detail_codes: [
      { code: 'xlink.note.column_aht', params: { column: '6' } },
      { code: 'xlink.note.metric_average', params: { metric: 'AHT' } },
      { code: 'xlink.note.read_as', params: { number: '6', text: 'x' }, note: true },
    ],
  };
  assert.equal(xlinkNoteText(translator('en'), item), item.detail);
  const g = xlinkNoteText(translator('de'), item);
  assert.equal(g, 'Spalte 6 enthält eine durchschnittliche Bearbeitungszeit; die Kennzahl „AHT“ enthält einen '
    + 'Durchschnitt: ordnen Sie sie dem Werttyp aht zu, den acdlink mit handled gewichtet (gelesen als 6, wie bei '
    + 'Xlink: der Text „x“ nach der Zahl wird ignoriert)');
  const f = xlinkNoteText(translator('fr'), item);
  assert.match(f, /^la colonne 6 contient une durée moyenne de traitement\u202F; l’indicateur «\u00A0AHT\u00A0»/);
  assert.match(f, /moyenne\u00A0: associez-le/, 'a non-breaking space before the colon');
  // a note inside a note ("no source made: WHY")
  const nested = {
    detail: "no source made: csv.folder: 'D:\\x' is a Windows path; give a folder of this machine",
    detail_codes: [{
      code: 'xlink.note.no_source',
      params: {
        why: "csv.folder: 'D:\\x' is a Windows path; give a folder of this machine",
        why_code: 'xlink.note.windows_path',
        why_params: { setting: 'csv.folder', path: 'D:\\x' },
      },
    }],
  };
  assert.equal(xlinkNoteText(translator('de'), nested),
    'keine Quelle angelegt: csv.folder: „D:\\x“ ist ein Windows-Pfad; geben Sie einen Ordner dieses Rechners an');
  // one unknown code: the English text stays
  const unknown = { detail: 'something new', detail_codes: [{ code: 'xlink.note.column_aht', params: {} }, {}] };
  assert.equal(xlinkNoteText(translator('de'), unknown), 'something new');
  assert.equal(xlinkNoteText(translator('de'), { detail: 'old daemon' }), 'old daemon');
});
