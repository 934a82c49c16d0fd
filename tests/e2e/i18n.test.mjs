// Browser test of the console's languages: an admin switches to German and to French and walks
// through Runs (a run's log, its period and creator), Value types, WFM queues, Targets (a
// connection test), Audit log and the run form's date fields. On each page no English text of
// the console's own dictionary, and none of the daemon's English run-log or connection-test
// sentences, may show; dates follow the language's one format; French texts keep French
// typography. Real daemon, real files, Debian's headless Chromium.
//
// Design note: the same harness as pipeline.test.mjs. The data (a source, an import with one
// rejected row, a renamed queue, a CSV-export target) is made through the API beforehand; the
// test only reads what the console shows.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeConsoleTest, exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const FILE = 'calls_20261124.csv';
const CSV = [
  'Split;Date;Time;Offered',
  '4711;24.11.2026;08:00;10',
  '4712;24.11.2026;08:15;x',
  '',
].join('\r\n');

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
const { messageText, translator } = await import(pathToFileURL(path.join(i18nDir, 'index.js')).href);

// The daemon's English sentences (run log, connection test) that must never reach a German or
// French page: they are worded from their codes.
const DAEMON_ENGLISH = ['rows read', 'import of ', 'results computed', ': read (', 'more rejected rows',
  'exists and is writable', 'Connected: the server', 'Offered contacts', 'Handled contacts',
  'schedule 1', 'settings=changed', 'by admin'];

/** English fragments of the console's dictionary that the language says differently. */
function englishFragments(lang) {
  const other = new Set();
  const flat = (v) => (typeof v === 'object' ? Object.values(v) : [v]);
  for (const v of Object.values(dict[lang])) {
    for (const s of flat(v)) {
      for (const piece of s.split(/\{\w+\}/)) {
        other.add(piece.trim());
      }
    }
  }
  const out = new Set();
  for (const v of Object.values(dict.en)) {
    for (const s of flat(v)) {
      for (const piece of s.split(/\{\w+\}/).map((p) => p.trim())) {
        // whole words of some length, so names and codes the languages share do not count
        if (piece.length >= 12 && /[a-z]{4,} [a-z]{3,}/.test(piece) && !other.has(piece)) {
          out.add(piece);
        }
      }
    }
  }
  return [...out];
}

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let runId;
let target;
const pageErrors = [];
const cspViolations = [];

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function gotoPage(route, testid) {
  await page.goto(`${daemon.url}/#/${route}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

async function setLanguage(lang) {
  await page.selectOption('#lang-select', lang);
  await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `lang ${lang}`);
}

/**
 * The page's visible text has none of the English fragments and daemon sentences. except: lines
 * that are the daemon's own detail (a rejected row's reason from the CSV reader), which the
 * run log shows as it came.
 */
async function noEnglish(lang, what, except = []) {
  await page.waitForLoadState('networkidle');
  const text = await page.evaluate(() => document.body.innerText);
  const leaks = [...englishFragments(lang), ...DAEMON_ENGLISH].filter((f) => text.includes(f));
  assert.deepEqual(leaks, [], `${what} in ${lang} shows English: ${leaks.join(' | ')}`);
  if (lang === 'fr') {
    const bad = text.split('\n').filter((l) => /[^\s\u00A0\u202F][;!?](\s|$)|[^\s\u00A0]:(\s|$)/.test(l)
      && !except.some((e) => l.includes(e)));
    assert.deepEqual(bad, [], `${what}: French typography (no-break space before ; : ! ?)`);
  }
  return text;
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-i18n-');
  await fsp.writeFile(path.join(folder, FILE), CSV);
  const s = await api.post('/api/v1/sources', {
    name: 'Hauptquelle', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assert.equal(s.status, 201, s.text);
  const q = await api.post('/api/v1/queues', { identifier: 'HOTLINE', name: 'Kasse', time_zone: 'Europe/Berlin', interval_minutes: 15 });
  assert.equal(q.status, 201, q.text);
  assert.equal((await api.patch(`/api/v1/queues/${q.body.id}`, { name: 'Kasse 2' })).status, 200);
  const r = await api.post('/api/v1/runs', { source_id: s.body.id, from: '2026-11-24', to: '2026-11-24' });
  assert.equal(r.status, 202, r.text);
  runId = r.body.id;
  await until(async () => ['done', 'failed'].includes((await api.get(`/api/v1/runs/${runId}`)).body.state), 'the run ends');
  const t = await api.post('/api/v1/targets', { name: 'Ablage', connector: 'csv-export', settings: { folder } });
  assert.equal(t.status, 201, t.text);
  target = t.body;

  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'Europe/Berlin', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await waitText('#current-user', ADMIN.name);
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

for (const lang of ['de', 'fr']) {
  test(`${lang}: the run's log, period and counts are worded in the language`, async () => {
    await setLanguage(lang);
    await gotoPage(`runs/${runId}`, 'run-detail');
    const t = translator(lang);
    const log = (await api.get(`/api/v1/runs/${runId}/log?limit=500`)).body.items;
    const summary = log.find((l) => l.code === 'run.summary');
    assert.ok(summary, JSON.stringify(log));
    await waitText('#run-detail [data-testid="log-message"]', messageText(t, summary, lang));
    const read = log.find((l) => l.code === 'run.file_read');
    await waitText('#run-detail [data-testid="log-message"]', messageText(t, read, lang));
    const period = lang === 'de' ? '24.11.2026' : '24/11/2026';
    await waitText('#run-detail [data-testid="run-period"]', period);
    const rejected = log.find((l) => l.code === 'run.row_rejected');
    assert.equal(rejected.params.line, 3);
    await noEnglish(lang, 'Runs', [rejected.params.reason]);
  });

  test(`${lang}: built-in value types, queues and the audit log`, async () => {
    await setLanguage(lang);
    await gotoPage('value-types', 'value-types-page');
    await waitText('[data-testid="vt-name"]', dict[lang]['value_types.builtin.offered']);
    await noEnglish(lang, 'Value types');
    await gotoPage('queues', 'queues-page');
    await noEnglish(lang, 'WFM queues');
    await gotoPage('audit', 'audit-page');
    const row = page.locator('[data-testid="audit-row"][data-action="queue.update"]').first();
    await row.waitFor();
    const change = translator(lang)('audit.change', { field: 'name', before: 'Kasse', after: 'Kasse 2' });
    assert.match(await row.innerText(), new RegExp(`${dict[lang]['audit.action.queue.update']}[\\s\\S]*${change}`));
    await noEnglish(lang, 'Audit log');
  });

  test(`${lang}: a target's connection test answers in the language`, async () => {
    await setLanguage(lang);
    await gotoPage('targets', 'targets-page');
    const row = page.locator(`[data-testid="target-row"][data-id="${target.id}"]`);
    await row.locator('[data-testid="target-test"]').click();
    const msg = page.locator('[data-testid="target-test-message"]').first();
    await msg.waitFor();
    const real = await fsp.realpath(folder);
    const expected = translator(lang)('msg.conn.folder_ok', { folder: real });
    await until(async () => (await msg.innerText()).trim() === expected.trim(), `the test says "${expected}"`);
    await noEnglish(lang, 'Targets');
  });
}

test('date fields take and show the language\'s one date format', async () => {
  await setLanguage('de');
  await gotoPage('runs', 'runs-page');
  const from = page.locator('#run-from');
  assert.equal(await from.getAttribute('placeholder'), dict.de['date.placeholder']);
  assert.equal(await from.getAttribute('type'), 'text', 'no browser date field with its own format');
  const shown = await from.inputValue();
  assert.match(shown, /^\d{2}\.\d{2}\.\d{4}$/, `the default day in German format: ${shown}`);
  await from.fill('23.11.2026');
  await setLanguage('fr');
  await until(async () => (await from.inputValue()) === '23/11/2026', 'the typed day follows the language');
  await setLanguage('en');
  await until(async () => (await from.inputValue()) === '2026-11-23', 'English shows YYYY-MM-DD');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
