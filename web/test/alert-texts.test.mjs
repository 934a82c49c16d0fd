// The daemon words alert notices in a channel's language from a C table generated from these
// dictionaries (daemon/alerts/texts_gen.c by scripts/gen-alert-texts.mjs): the table is what the
// dictionaries say now, and it has every alert code the daemon sends in every language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertTextRows, LANGS } from '../../scripts/gen-alert-texts.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABLE = path.join(ROOT, 'daemon', 'alerts', 'texts_gen.c');

/** The rows of the C table: [key, en, de, fr] with C's escapes undone. */
function tableRows() {
  const src = fs.readFileSync(TABLE, 'utf8');
  return [...src.matchAll(/^ {4}\{("(?:[^"\\]|\\.)*"(?:, "(?:[^"\\]|\\.)*"){3})\},$/gm)]
    .map((m) => JSON.parse(`[${m[1].replace(/\\\?/g, '?')}]`));
}

test('daemon/alerts/texts_gen.c words everything as the dictionaries do now', async () => {
  // a text the dictionaries changed or dropped is stale in the daemon: regenerate; a text added
  // since is worded by the console, and by notices once the table is generated again
  const now = new Map((await alertTextRows()).map((r) => [r[0], r]));
  const stale = tableRows().filter((r) => JSON.stringify(now.get(r[0])) !== JSON.stringify(r)).map((r) => r[0]);
  assert.deepEqual(stale, [], 'out of date: run scripts/gen-alert-texts.mjs');
});

test('every alert code, event kind and notice label has a text in every language of the table', () => {
  const rows = new Map(tableRows().map((r) => [r[0].replace(/#(one|many|other)$/, ''), r.slice(1)]));
  assert.ok(rows.size > 500, `rows: ${rows.size}`);
  // the codes of notices and channel errors: every "alert.x" literal of daemon/alerts/
  const dir = path.join(ROOT, 'daemon', 'alerts');
  const alertCodes = [...new Set(fs.readdirSync(dir).filter((f) => f.endsWith('.c') && f !== 'texts_gen.c')
    .flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/"(alert\.[a-z_]+)"/g)].map((m) => m[1])))];
  assert.ok(alertCodes.length >= 10, `alert codes: ${alertCodes}`);
  const needed = [...alertCodes.map((c) => `msg.${c}`), 'notice.event', 'notice.subject', 'notice.at',
    'notice.held_back', 'notice.appliance', 'notice.state.firing', 'notice.state.resolved', 'alerts.event.run_failed'];
  for (const key of needed) {
    const texts = rows.get(key);
    assert.ok(texts, `${key}: not in the table`);
    assert.equal(texts.length, LANGS.length, key);
    texts.forEach((t, i) => assert.ok(t.length > 0, `${key}: no ${LANGS[i]} text`));
  }
});

test('a language without a text stops the generation', async () => {
  const de = (await import('../src/i18n/de.js')).default;
  const saved = de['msg.alert.run_failed'];
  delete de['msg.alert.run_failed'];
  try {
    await assert.rejects(alertTextRows(), /de: msg\.alert\.run_failed/);
  } finally {
    de['msg.alert.run_failed'] = saved;
  }
});
