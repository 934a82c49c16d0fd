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
import { xlinkNoteText, xlinkTodoText } from '../src/xlink_notes.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The {template, code} rows of daemon/xlink/notes.c (C string literals joined). */
function noteTable() {
  const src = fs.readFileSync(path.join(ROOT, 'daemon', 'xlink', 'notes.c'), 'utf8');
  const rows = [];
  for (const m of src.matchAll(/\{((?:\s*"(?:[^"\\]|\\.)*")+),\s*"(xlink\.(?:note|todo)\.[a-z0-9_]+)"\}/g)) {
    const tmpl = [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => JSON.parse(`"${s[1]}"`)).join('');
    rows.push({ tmpl, code: m[2] });
  }
  return rows;
}

// A plural block as the daemon's English template writes it: its other form, # as {name}
const otherForm = (s) => String(s).replace(/\{(\w+), plural,(?: \w+ \{[^{}]*\})*\}/g,
  (block, name) => /other \{([^{}]*)\}/.exec(block)[1].replace(/#/g, `{${name}}`));
const placeholders = (s) => [...otherForm(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every coded note has its English template and real German and French texts', () => {
  const rows = noteTable();
  assert.ok(rows.length >= 60, `only ${rows.length} notes found in notes.c`);
  assert.equal(new Set(rows.map((r) => r.code)).size, rows.length, 'a code is used twice');
  for (const { tmpl, code } of rows) {
    assert.equal(otherForm(en[code]), tmpl, `${code}: the English text differs from the daemon's`);
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

test('a to-do is worded from its code, the notes and messages inside it too', () => {
  const quote = "column 17: the value opens a quote that it does not close: Windows (and so Xlink) reads it as "
    + 'written, the quote included';
  const why = `QueueNameColumn (line 44): ${quote}`;
  const text = `[Quote] (isps_ul.ini line 42): before enabling source 'Quote': ${why}`;
  const code = {
    code: 'xlink.todo.section_line',
    params: {
      section: 'Quote', file: 'isps_ul.ini', line: 42,
      why: `before enabling source 'Quote': ${why}`,
      why_code: 'xlink.todo.before_enabling',
      why_params: {
        source: 'Quote', why,
        why_code: 'xlink.todo.key_line',
        why_params: {
          key: 'QueueNameColumn', line: 44, why: quote,
          why_codes: [{ code: 'xlink.note.open_quote', params: { column: '17' } }],
        },
      },
    },
  };
  assert.equal(xlinkTodoText(translator('en'), text, code), text);
  const g = xlinkTodoText(translator('de'), text, code);
  assert.match(g, /^\[Quote\] \(isps_ul\.ini Zeile 42\): vor dem Aktivieren der Quelle „Quote“: QueueNameColumn \(Zeile 44\): Spalte 17/);
  const f = xlinkTodoText(translator('fr'), text, code);
  assert.match(f, /^\[Quote\] \(isps_ul\.ini ligne 42\)\u00A0: avant d’activer la source «\u00A0Quote\u00A0»\u00A0: /);
  // a message of the daemon's own inside a to-do: a folder outside the allowed folders
  const outside = "'/srv/dup' is outside the allowed folders; allowed are folders inside /data/import (import_roots), "
    + 'set by whoever runs the machine';
  const dup = {
    code: 'xlink.todo.source',
    params: {
      source: 'Dup', why: `csv.folder: ${outside}`,
      why_code: 'xlink.note.setting_why',
      why_params: {
        setting: 'csv.folder', why: outside, why_code: 'roots.outside',
        why_params: {
          folder: "'/srv/dup'", folder_code: 'roots.folder', folder_params: { folder: '/srv/dup' },
          roots: '/data/import', setting: 'import_roots',
        },
      },
    },
  };
  assert.equal(xlinkTodoText(translator('en'), `source 'Dup': csv.folder: ${outside}`, dup),
    `source 'Dup': csv.folder: ${outside}`);
  assert.match(xlinkTodoText(translator('de'), 'x', dup), /^Quelle „Dup“: csv\.folder: .*liegt außerhalb der erlaubten Ordner/);
  // a DSN the section does not name is worded too
  const states = {
    code: 'xlink.todo.vendor_states',
    params: { section: 'CMS', dsn: "(the section's DSN)", dsn_code: 'xlink.note.the_sections_dsn', preset: 'avaya_cms_agent_trace' },
  };
  assert.match(xlinkTodoText(translator('en'), 'x', states), /on DSN '\(the section's DSN\)' with/);
  assert.match(xlinkTodoText(translator('de'), 'x', states), /auf dem DSN „\(der DSN des Abschnitts\)“ mit/);
  // no code, or an unknown one: the English text stays
  assert.equal(xlinkTodoText(translator('de'), 'new to-do', {}), 'new to-do');
  assert.equal(xlinkTodoText(translator('de'), 'new to-do', { code: 'xlink.todo.nothing' }), 'new to-do');
  assert.equal(xlinkTodoText(translator('de'), 'old daemon', undefined), 'old daemon');
});
