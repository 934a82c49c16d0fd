// Every reason the daemon gives for a rejected row, a file it cannot read or a failed run carries
// a message code beside its English text (run log: reason_code/reason_params; run:
// error_code/error_params), and the console's dictionaries word each of them in English, German
// and French: worded in German or French, no English reason is left in the line.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { assertStatus, show, startWithAdmin, waitRunEnd } from '../lib/api.mjs';
import { REPO_ROOT } from '../lib/daemon.mjs';

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
const { messageText, translator } = await import(pathToFileURL(path.join(i18nDir, 'index.js')).href);

let d;
let admin;
let folder;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-reasons-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

function waitRun(id) {
  return waitRunEnd(admin, id, 30000);
}

/** Every code in a message (and in its parameters' NAME_code) has a text in each language. */
function codesOf(item, out = []) {
  if (item.code) {
    out.push(item.code);
  }
  for (const [name, v] of Object.entries(item.params || {})) {
    if (name.endsWith('_code') && typeof v === 'string') {
      codesOf({ code: v, params: item.params[`${name.slice(0, -5)}_params`] || {} }, out);
    }
  }
  return out;
}

const BAD_ROWS = [
  ['101;24.13.2026;08:00;1', 'dt.month_range'],
  ['102;31.11.2026;08:00;1', 'dt.day_range_month'],
  ['103;24.11.2026;08:07;1', 'row.not_interval_start'],
  ['104;24.11.2026;08:15;zwölf', 'num.not_number'],
  ['105;24.11.2026;8h15;1', 'dt.colon_after_hour'],
  ['106;24.11.2026;08:15', 'csv.field_count'],
  [';24.11.2026;08:30;1', 'row.no_queue'],
  ['107;24-11.2026;08:30;1', 'dt.date_sep_mixed'],
  ['108;24.11.2026;25:00;1', 'dt.hour_range'],
];

test('rejected rows and a failed run carry codes that every language words', async () => {
  fs.writeFileSync(path.join(folder, 'calls.csv'), ['Split;Date;Time;Offered',
    '100;24.11.2026;08:00;5', ...BAD_ROWS.map((b) => b[0]), ''].join('\n'));
  const src = await admin.post('/api/v1/sources', {
    name: 'Reasons', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assertStatus(src, 201);
  const c = await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(c, 202);
  const run = await waitRun(c.body.id);
  assert.equal(run.rows_rejected ?? run.counts.rows_rejected, BAD_ROWS.length, JSON.stringify(run));
  const log = (await admin.get(`/api/v1/runs/${run.id}/log?limit=500`)).body.items;
  const rejected = log.filter((l) => ['run.row_rejected', 'run.row_rejected_at'].includes(l.code));
  assert.equal(rejected.length, BAD_ROWS.length, show({ body: log }));
  BAD_ROWS.forEach(([, code], i) => {
    const line = rejected.find((l) => l.params.line === i + 3);
    assert.ok(line, `line ${i + 3}`);
    assert.deepEqual([line.params.reason_code, line.params.reason_params.why_code ?? line.params.reason_code].includes(code)
      || line.params.reason_params.why_code === code, true, JSON.stringify(line.params));
  });
  for (const line of log) {
    assert.ok(line.code, `a line without a code: ${line.message}`);
    for (const code of codesOf(line)) {
      for (const lang of ['en', 'de', 'fr']) {
        assert.ok(`msg.${code}` in dict[lang], `${lang}: no text for ${code}`);
      }
    }
    const same = (s) => s.replace(/\u2019/g, "'").replace(/ \.\. /, ' – ').replace(/^./, (ch) => ch.toLowerCase());
    if (line.params.reason) {
      assert.equal(same(messageText(translator('en'), line, 'en')), same(line.message),
        'the English wording of a reason from its code is the daemon\'s text');
    }
    for (const lang of ['de', 'fr']) {
      const text = messageText(translator(lang), line, lang);
      if (line.params.reason) {
        assert.ok(!text.includes(line.params.reason), `${lang}: ${text}`);
      }
    }
  }
  const de = messageText(translator('de'), rejected.find((l) => l.params.line === 4), 'de');
  assert.match(de, /November 2026 hat 30 Tage/, de);
  const fr = messageText(translator('fr'), rejected.find((l) => l.params.line === 8), 'fr');
  assert.match(fr, /champs?, l’en-tête en a 4/, fr);

  fs.rmSync(path.join(folder, 'calls.csv'));
  fs.rmdirSync(folder);
  const f = await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-25', to: '2026-11-25' });
  assertStatus(f, 202);
  const failed = await waitRun(f.body.id);
  fs.mkdirSync(folder);
  assert.equal(failed.state, 'failed', JSON.stringify(failed));
  assert.ok(failed.error_code, JSON.stringify(failed));
  for (const code of codesOf({ code: failed.error_code, params: failed.error_params })) {
    for (const lang of ['en', 'de', 'fr']) {
      assert.ok(`msg.${code}` in dict[lang], `${lang}: no text for ${code}`);
    }
  }
  const item = { code: failed.error_code, params: failed.error_params, message: failed.error };
  assert.equal(messageText(translator('en'), item, 'en'), failed.error);
  assert.notEqual(messageText(translator('de'), item, 'de'), failed.error);
});
