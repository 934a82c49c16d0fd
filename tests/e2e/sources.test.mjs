// Browser test of the catalog and source pages: WFM queues, value types and sources (CSV and
// ODBC), driven through the console against a real daemon in Debian's headless Chromium.
//
// Design note: the same harness as console.test.mjs (one daemon and one browser for the file,
// TLS pinned by the certificate's public key, steps in order on a shared page). What arrived is
// checked through the API with a second session: the console must send exactly the documented
// settings JSON, PATCH only what changed, and never see the ODBC password again.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, TEST_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const VIEWER = { name: 'vera', role: 'viewer', password: 'vera-Passw0rd-e2e-long' };
const CANARY = 'canary-Odbc-Pa55word-e2e';
const BROWSER_ZONE = 'Europe/Berlin';

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
const en = dict.en;

let daemon;
let api; // an admin session of its own, for checking what arrived
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];
const sent = []; // {method, url, body} of every state-changing API request the console made

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-src-${name}.png`), fullPage: true });
}

async function signIn(user) {
  await page.goto(`${daemon.url}/#/login`);
  await page.locator('[data-testid="login-page"]').waitFor();
  await page.fill('#login-username', user.name);
  await page.fill('#login-password', user.password);
  await page.click('#login-submit');
  await waitText('#current-user', user.name);
}

async function signOut() {
  await page.click('#logout');
  await page.locator('[data-testid="login-page"]').waitFor();
}

async function gotoPage(route, testid) {
  await page.click(`#nav-${route}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

async function apiGet(p) {
  const r = await api.get(p);
  assert.equal(r.status, 200, `${p}: ${r.status} ${r.text}`);
  return r.body;
}

async function sourceByName(name) {
  const list = await apiGet('/api/v1/sources?limit=500');
  const found = list.items.find((s) => s.name === name);
  assert.ok(found, `source ${name} not in the API list`);
  return apiGet(`/api/v1/sources/${found.id}`);
}

/** The state-changing requests sent since `from` to paths matching `re`. */
function sentSince(from, method, re) {
  return sent.slice(from).filter((r) => r.method === method && re.test(r.url));
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, OPERATOR, VIEWER] });
  api = await login(daemon, ADMIN.name, ADMIN.password);

  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: BROWSER_ZONE, pageErrors, cspViolations,
  }));
  page.on('request', (req) => {
    if (req.url().includes('/api/v1/') && req.method() !== 'GET') {
      let body = null;
      try {
        body = req.postData() ? JSON.parse(req.postData()) : null;
      } catch {
        body = req.postData();
      }
      sent.push({ method: req.method(), url: new URL(req.url()).pathname, body });
    }
  });
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  if (api) {
    api.close();
  }
  if (daemon) {
    await daemon.stop();
  }
});

test('the admin sees the new pages in the navigation', async () => {
  await signIn(ADMIN);
  for (const [route, key] of [['sources', 'nav.sources'], ['queues', 'nav.queues'],
    ['value-types', 'nav.value_types']]) {
    await waitText(`#nav-${route}`, en[key]);
  }
});

test('a WFM queue is created, listed, edited inline and deleted', async () => {
  await gotoPage('queues', 'queues-page');
  assert.equal(await page.inputValue('#queue-create-tz'), BROWSER_ZONE, 'the browser zone is preselected');
  const zones = await page.locator('#queue-create-tz-zones option').evaluateAll(
    (opts) => opts.map((o) => o.value));
  assert.ok(zones.includes('America/New_York') && zones.includes(BROWSER_ZONE), `datalist: ${zones}`);

  // a wrong zone: the API error sits under the time-zone field
  await page.fill('#queue-create-identifier', 'sales_de');
  await page.fill('#queue-create-name', 'Sales Germany');
  await page.selectOption('#queue-create-channel', 'chats');
  await page.selectOption('#queue-create-interval', '30');
  await page.fill('#queue-create-tz', 'Mars/Olympus_Mons');
  await page.click('#queue-create-submit');
  const tzError = page.locator('#queue-create-tz-error');
  await tzError.waitFor();
  assert.equal(await tzError.getAttribute('data-field'), 'time_zone');
  assert.match(await tzError.textContent(), /Mars\/Olympus_Mons/);
  assert.equal(await page.locator('#queue-create-error').count(), 0, 'no second, form-level box');
  await shot('queue-error');

  await page.fill('#queue-create-tz', 'Europe/Berlin');
  await page.click('#queue-create-submit');
  const row = page.locator('[data-testid="queue-row"][data-identifier="sales_de"]');
  await row.waitFor();
  await page.locator('[data-testid="queues-notice"]').waitFor();
  assert.equal((await row.locator('[data-testid="queue-name"]').textContent()).trim(), 'Sales Germany');
  assert.equal((await row.locator('[data-testid="queue-channel"]').textContent()).trim(), en['queues.channel.chats']);
  assert.equal((await row.locator('[data-testid="queue-tz"]').textContent()).trim(), 'Europe/Berlin');
  assert.equal(await page.inputValue('#queue-create-identifier'), '', 'form cleared after success');

  // the identifier taken: the 409 sits at the identifier field
  await page.fill('#queue-create-identifier', 'sales_de');
  await page.fill('#queue-create-name', 'Sales again');
  await page.click('#queue-create-submit');
  const taken = page.locator('#queue-create-identifier-error');
  await taken.waitFor();
  assert.equal(await taken.getAttribute('data-code'), 'conflict');
  assert.match(await taken.textContent(), /sales_de/);

  // a second queue, to delete later
  await page.fill('#queue-create-identifier', 'tmp_queue');
  await page.fill('#queue-create-name', 'Temporary');
  await page.click('#queue-create-submit');
  await page.locator('[data-testid="queue-row"][data-identifier="tmp_queue"]').waitFor();

  // inline edit: only the changed field is sent
  const from = sent.length;
  await row.locator('[data-testid="queue-edit"]').click();
  await row.locator('[data-testid="queue-edit-name"]').fill('Sales DE');
  await row.locator('[data-testid="queue-edit-interval"]').selectOption('60');
  await shot('queue-edit');
  await row.locator('[data-testid="queue-save"]').click();
  await row.locator('[data-testid="queue-name"]').filter({ hasText: exact('Sales DE') }).waitFor();
  const patches = sentSince(from, 'PATCH', /\/api\/v1\/queues\/\d+$/);
  assert.equal(patches.length, 1);
  assert.deepEqual(patches[0].body, { name: 'Sales DE', interval_minutes: 60 });
  const listed = (await apiGet('/api/v1/queues')).items.find((q) => q.identifier === 'sales_de');
  assert.equal(listed.name, 'Sales DE');
  assert.equal(listed.interval_minutes, 60);
  assert.equal(listed.channel, 'chats');

  // delete shows what goes with it (nothing here) and asks once more
  const tmp = page.locator('[data-testid="queue-row"][data-identifier="tmp_queue"]');
  await tmp.locator('[data-testid="queue-delete"]').click();
  await tmp.locator('[data-testid="delete-nothing-else"]').waitFor();
  await tmp.locator('[data-testid="delete-confirm"]').click();
  await tmp.waitFor({ state: 'detached' });
  assert.ok(!(await apiGet('/api/v1/queues')).items.some((q) => q.identifier === 'tmp_queue'));
  await shot('queues');
});

test('value types: built-ins marked and renamable, custom ones created, 409 reasons shown', async () => {
  await gotoPage('value-types', 'value-types-page');
  const offered = page.locator('[data-testid="vt-row"][data-key="offered"]');
  await offered.waitFor();
  assert.equal(await offered.getAttribute('data-builtin'), 'true');
  await offered.locator('[data-testid="vt-builtin"]').waitFor();
  assert.equal(await offered.locator('[data-testid="vt-delete"]').count(), 0, 'built-ins cannot be deleted');

  // a summed custom type, then one weighted by it (the weight select offers summed types only)
  await page.fill('#vt-create-key', 'talk_time');
  await page.fill('#vt-create-name', 'Talk time');
  await page.selectOption('#vt-create-unit', 'seconds');
  await page.click('#vt-create-submit');
  const talk = page.locator('[data-testid="vt-row"][data-key="talk_time"]');
  await talk.waitFor();
  await talk.locator('[data-testid="vt-custom"]').waitFor();

  await page.fill('#vt-create-key', 'avg_talk');
  await page.fill('#vt-create-name', 'Average talk time');
  await page.selectOption('#vt-create-unit', 'seconds');
  await page.selectOption('#vt-create-combine', 'weighted');
  const weights = await page.locator('#vt-create-weight option').evaluateAll((o) => o.map((x) => x.value));
  assert.ok(weights.includes('talk_time') && weights.includes('handled'), `weights: ${weights}`);
  assert.ok(!weights.includes('aht'), 'a weighted type is no weight');
  await page.selectOption('#vt-create-weight', 'talk_time');
  await page.click('#vt-create-submit');
  const avg = page.locator('[data-testid="vt-row"][data-key="avg_talk"]');
  await avg.waitFor();
  const created = (await apiGet('/api/v1/value-types?limit=500')).items.find((v) => v.key === 'avg_talk');
  assert.deepEqual({ ...created, id: 0 }, {
    id: 0, key: 'avg_talk', name: 'Average talk time', unit: 'seconds', combine: 'weighted',
    weight_key: 'talk_time', builtin: false,
  });

  // the key taken: 409 at the form
  await page.fill('#vt-create-key', 'talk_time');
  await page.fill('#vt-create-name', 'Again');
  await page.click('#vt-create-submit');
  const createError = page.locator('#vt-create-key-error');
  await createError.waitFor();
  assert.equal(await createError.getAttribute('data-code'), 'conflict');

  // deleting a type that weighs another: 409 with the reason and the hint
  await talk.locator('[data-testid="vt-delete"]').click();
  await talk.locator('[data-testid="vt-delete-confirm"]').click();
  const refused = page.locator('[data-testid="vt-row-error"]');
  await refused.waitFor();
  assert.equal(await refused.getAttribute('data-code'), 'conflict');
  const text = await refused.textContent();
  assert.ok(text.includes(en['value_types.delete_refused'].replace('{key}', 'talk_time')), text);
  assert.match(text, /in use/);
  assert.ok(text.includes(en['error.hint']), 'the hint is shown');
  await shot('value-types-409');

  // renaming a built-in sends the name only
  const from = sent.length;
  await offered.locator('[data-testid="vt-rename"]').click();
  assert.equal(await offered.locator('[data-testid="vt-edit-unit"]').count(), 0, 'unit of a built-in is fixed');
  await offered.locator('[data-testid="vt-edit-name"]').fill('Offered calls');
  await offered.locator('[data-testid="vt-save"]').click();
  await offered.locator('[data-testid="vt-name"]').filter({ hasText: exact('Offered calls') }).waitFor();
  assert.deepEqual(sentSince(from, 'PATCH', /value-types/).map((r) => r.body), [{ name: 'Offered calls' }]);

  // a custom type: unit and combination change too; a sum drops its weight
  const from2 = sent.length;
  await avg.locator('[data-testid="vt-edit"]').click();
  assert.equal(await avg.locator('[data-testid="vt-edit-weight"]').inputValue(), 'talk_time');
  await avg.locator('[data-testid="vt-edit-combine"]').selectOption('sum');
  assert.equal(await avg.locator('[data-testid="vt-edit-weight"]').count(), 0);
  await avg.locator('[data-testid="vt-save"]').click();
  await avg.locator('[data-testid="vt-combine"]').filter({ hasText: exact(en['value_types.combine.sum']) }).waitFor();
  assert.deepEqual(sentSince(from2, 'PATCH', /value-types/).map((r) => r.body),
    [{ combine: 'sum', weight_key: null }]);

  // deleting the custom one works
  await avg.locator('[data-testid="vt-delete"]').click();
  await avg.locator('[data-testid="vt-delete-confirm"]').click();
  await avg.waitFor({ state: 'detached' });
  await shot('value-types');
});

const CSV_NAME = 'Avaya CSV';
const CSV_EXPECTED = {
  csv: {
    folder: path.join(TEST_ROOT, 'acdlink-avaya'), pattern: 'hsplit_*.csv', separator: ';', quote: '"',
    encoding: 'windows-1252', skip_lines: 2, header: true, date_order: 'dmy', date_format: null,
    time_format: null, timestamp_format: null, after_import: 'move',
    archive_folder: path.join(TEST_ROOT, 'acdlink-avaya', 'done'), strict: false, partial_line_wait_s: 120,
  },
  columns: {
    queue: 'Split', queue_name: 'Split name', date: 'Date', time: 'Time', timestamp: null,
    answered: null, duration: null,
  },
  metrics: { offered: 'CallsOffered', handled: 'ACDCalls' },
  derived: [{ name: 'abandoned', expression: 'CallsOffered - ACDCalls' }],
  filter: "Split <> '999'",
};

test('a CSV source is created through the form and arrives exactly', async () => {
  await gotoPage('sources', 'sources-page');
  await page.click('#source-new');
  await page.locator('#source-form[data-mode="create"]').waitFor();
  assert.equal(await page.inputValue('#source-time-zone'), BROWSER_ZONE);

  await page.fill('#source-name', CSV_NAME);
  await page.selectOption('#source-kind', 'csv');
  await page.selectOption('#source-layout', 'interval');
  await page.selectOption('#source-interval-minutes', '30');
  await page.fill('#source-csv-folder', CSV_EXPECTED.csv.folder);
  // the allowed folders (import_roots) are named under the field
  await page.locator(`[data-testid="roots-hint-import"]:has-text("${TEST_ROOT}")`).waitFor();
  await page.fill('#source-csv-pattern', CSV_EXPECTED.csv.pattern);
  await page.selectOption('#source-csv-separator', ';');
  await page.selectOption('#source-csv-encoding', 'windows-1252');
  await page.fill('#source-csv-skip-lines', '2');
  await page.selectOption('#source-csv-header', 'yes');
  await page.selectOption('#source-csv-after-import', 'move');
  await page.fill('#source-csv-archive-folder', CSV_EXPECTED.csv.archive_folder);

  await page.fill('#source-columns-queue', 'Split');
  await page.fill('#source-columns-queue-name', 'Split name');
  await page.check('#source-time-mode-datetime');
  await page.fill('#source-columns-date', 'Date');
  await page.fill('#source-columns-time', 'Time');
  await page.check('#source-date-mode-order');
  await page.selectOption('#source-csv-date-order', 'dmy');

  await page.fill('#source-metric-name-0', 'offered');
  await page.fill('#source-metric-column-0', 'CallsOffered');
  await page.click('#source-metric-add');
  await page.fill('#source-metric-name-1', 'handled');
  await page.fill('#source-metric-column-1', 'ACDCalls');
  await page.click('#source-derived-add');
  await page.fill('#source-derived-name-0', 'abandoned');
  await page.fill('#source-derived-expression-0', 'CallsOffered - ACDCalls');
  await page.fill('#source-filter', "Split <> '999'");
  await shot('csv-form');

  const from = sent.length;
  await page.click('#source-submit');
  const row = page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`);
  await row.waitFor();
  await page.locator('[data-testid="sources-notice"]').waitFor();
  assert.equal(await page.locator('#source-form').count(), 0, 'the form closes after saving');
  assert.equal((await row.locator('[data-testid="source-kind"]').textContent()).trim(), en['sources.kind.csv']);
  assert.equal((await row.locator('[data-testid="source-layout"]').textContent()).trim(), en['sources.layout.interval']);
  assert.equal((await row.locator('[data-testid="source-tz"]').textContent()).trim(), BROWSER_ZONE);
  assert.equal((await row.locator('[data-testid="source-status"]').textContent()).trim(), en['sources.enabled']);

  const posts = sentSince(from, 'POST', /\/api\/v1\/sources$/);
  assert.equal(posts.length, 1);
  assert.deepEqual(Object.keys(posts[0].body).sort(),
    ['enabled', 'interval_minutes', 'kind', 'layout', 'name', 'settings', 'time_zone']);
  const stored = await sourceByName(CSV_NAME);
  assert.equal(stored.kind, 'csv');
  assert.equal(stored.layout, 'interval');
  assert.equal(stored.time_zone, BROWSER_ZONE);
  assert.equal(stored.interval_minutes, 30);
  assert.equal(stored.enabled, true);
  assert.deepEqual(stored.settings, CSV_EXPECTED);
  await shot('sources');
});

test('editing the CSV source PATCHes only the settings, and they arrive exactly', async () => {
  const row = page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`);
  await row.locator('[data-testid="source-edit"]').click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
  // the form shows what is stored
  assert.equal(await page.inputValue('#source-csv-separator'), ';');
  assert.equal(await page.inputValue('#source-csv-encoding'), 'windows-1252');
  const names = await page.locator('[data-testid="metric-name"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual([...names].sort(), ['handled', 'offered']);
  const handled = names.indexOf('handled');
  assert.equal(await page.inputValue(`#source-metric-column-${handled}`), 'ACDCalls');
  assert.equal(await page.isDisabled('#source-kind'), true, 'the kind is fixed');

  await page.fill(`#source-metric-column-${handled}`, '7'); // by column number now
  const from = sent.length;
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  const patches = sentSince(from, 'PATCH', /\/api\/v1\/sources\/\d+$/);
  assert.equal(patches.length, 1);
  assert.deepEqual(Object.keys(patches[0].body), ['settings'], 'only the settings changed');
  const expected = structuredClone(CSV_EXPECTED);
  expected.metrics.handled = 7;
  assert.deepEqual(patches[0].body.settings, expected);
  const stored = await sourceByName(CSV_NAME);
  assert.deepEqual(stored.settings, expected);
  assert.equal(stored.interval_minutes, 30);
});

test('a bad separator shows the API error next to the separator field', async () => {
  const row = page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`);
  await row.locator('[data-testid="source-edit"]').click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
  await page.selectOption('#source-csv-separator', 'custom');
  await page.fill('#source-csv-separator-custom', ';;');
  await page.click('#source-submit');
  const error = page.locator('[data-slot="csv.separator"] #source-csv-separator-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-field'), 'csv.separator');
  assert.equal(await error.getAttribute('data-code'), 'invalid_field');
  const text = await error.textContent();
  assert.match(text, /csv\.separator: must be one character/);
  assert.ok(text.includes(en['error.hint']), 'the hint is shown too');
  assert.equal(await page.locator('#source-form-error').count(), 0, 'not (also) at the top of the form');
  assert.equal(await page.getAttribute('#source-csv-separator-custom', 'aria-invalid'), 'true');
  await shot('csv-separator-error');

  await page.click('#source-cancel');
  await page.locator('#source-form').waitFor({ state: 'detached' });
  assert.equal((await sourceByName(CSV_NAME)).settings.csv.separator, ';', 'nothing was stored');
});

test('enable/disable toggles the source', async () => {
  const row = page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`);
  await row.locator('[data-testid="source-toggle"]').click();
  await row.locator('[data-testid="source-status"]').filter({ hasText: exact(en['sources.disabled']) }).waitFor();
  assert.equal((await sourceByName(CSV_NAME)).enabled, false);
  await row.locator('[data-testid="source-toggle"]').click();
  await row.locator('[data-testid="source-status"]').filter({ hasText: exact(en['sources.enabled']) }).waitFor();
  assert.equal((await sourceByName(CSV_NAME)).enabled, true);
});

const ODBC_NAME = 'CMS ODBC';

test('an ODBC source from a preset with a password: "set" in the list, never returned', async () => {
  const presets = (await apiGet('/api/v1/source-presets')).items;
  const preset = presets.find((p) => p.id === 'avaya_cms_hsplit');
  assert.ok(preset, 'the daemon offers the Avaya preset');

  await page.click('#source-new');
  await page.locator('#source-form[data-mode="create"]').waitFor();
  await page.fill('#source-name', ODBC_NAME);
  await page.selectOption('#source-kind', 'odbc');
  await page.locator('[data-testid="source-odbc-section"]').waitFor();
  assert.equal(await page.locator('[data-testid="source-csv-section"]').count(), 0);
  await page.fill('#source-time-zone', 'America/New_York');
  await page.check('#source-conn-mode-dsn');
  await page.fill('#source-odbc-dsn', 'cms');
  await page.fill('#source-odbc-user', 'reader');
  await page.fill('#source-password', CANARY);
  await page.check('#source-query-mode-preset');
  await page.selectOption('#source-odbc-preset', preset.id);
  // the preset's title, notes and SQL, read-only
  await waitText('[data-testid="preset-title"]', preset.title);
  assert.equal((await page.textContent('[data-testid="preset-notes"]')).trim(), preset.notes.trim());
  assert.equal(await page.textContent('[data-testid="preset-sql"]'), preset.sql);
  assert.equal(await page.locator('[data-testid="preset-view"] textarea, [data-testid="preset-view"] input').count(), 0);
  await page.fill('#source-odbc-timeout-s', '120');
  await page.fill('#source-odbc-connections', '2');
  await shot('odbc-form');

  const from = sent.length;
  await page.click('#source-submit');
  const row = page.locator(`[data-testid="source-row"][data-name="${ODBC_NAME}"]`);
  await row.waitFor();
  const cell = row.locator('[data-testid="source-password"] [data-set]');
  assert.equal(await cell.getAttribute('data-set'), 'true');
  assert.equal((await cell.textContent()).trim(), en['sources.password_is_set']);
  assert.equal(await page.locator('#source-password').count(), 0, 'the password field is gone');
  assert.ok(!(await page.content()).includes(CANARY), 'the password is not left in the page');
  const stored = JSON.stringify(await page.evaluate(() => ({ ...window.localStorage })));
  assert.ok(!stored.includes(CANARY), 'the password is not in localStorage');

  const post = sentSince(from, 'POST', /\/api\/v1\/sources$/)[0];
  assert.equal(post.body.password, CANARY, 'sent once, in the create request');
  const got = await sourceByName(ODBC_NAME);
  assert.equal(got.password_set, true);
  assert.ok(!('password' in got), 'no password member in the answer');
  assert.deepEqual(got.settings, {
    odbc: { dsn: 'cms', connection_string: null, user: 'reader', sql: null, preset: preset.id, timeout_s: 120, connections: 2 },
    derived: [],
    filter: null,
  });
  const list = await api.get('/api/v1/sources?limit=500');
  assert.ok(!list.text.includes(CANARY), 'the list never returns the password');
  await shot('sources-odbc');
});

test('editing the ODBC source never prefills the password; clearing it is explicit', async () => {
  const row = page.locator(`[data-testid="source-row"][data-name="${ODBC_NAME}"]`);
  await row.locator('[data-testid="source-edit"]').click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
  await waitText('#source-password-status', en['sources.password_is_set']);
  assert.equal(await page.inputValue('#source-password'), '', 'never prefilled');
  await page.click('#source-password-clear');
  await page.locator('#source-password-status .tag').waitFor();
  await shot('odbc-edit');
  const from = sent.length;
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  assert.deepEqual(sentSince(from, 'PATCH', /\/api\/v1\/sources\/\d+$/).map((r) => r.body), [{ password: null }]);
  const cell = row.locator('[data-testid="source-password"] [data-set]');
  assert.equal(await cell.getAttribute('data-set'), 'false');
  assert.equal((await sourceByName(ODBC_NAME)).password_set, false);

  // and set again, through the edit form
  await row.locator('[data-testid="source-edit"]').click();
  await page.fill('#source-password', CANARY);
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  assert.equal(await cell.getAttribute('data-set'), 'true');
  assert.equal((await sourceByName(ODBC_NAME)).password_set, true);
});

test('a source is deleted after the confirmation', async () => {
  // a throwaway copy through the API, deleted through the console
  const body = { name: 'Throwaway', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: '/tmp' }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } } };
  const r = await api.post('/api/v1/sources', body);
  assert.equal(r.status, 201, r.text);
  await gotoPage('queues', 'queues-page');
  await gotoPage('sources', 'sources-page');
  const row = page.locator('[data-testid="source-row"][data-name="Throwaway"]');
  await row.locator('[data-testid="source-delete"]').click();
  await row.locator('[data-testid="delete-dialog"]').waitFor();
  await row.locator('[data-testid="delete-confirm"]').click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await api.get(`/api/v1/sources/${r.body.id}`)).status, 404);
});

test('the sources page in German and on a narrow screen', async () => {
  await page.selectOption('#lang-select', 'de');
  await waitText('h1', dict.de['sources.title']);
  await page.click('#source-new');
  await page.locator('#source-form').waitFor();
  await waitText('label[for="source-csv-separator"]', dict.de['sources.csv.separator']);
  await shot('form-de');
  await page.click('#source-cancel');
  await page.selectOption('#lang-select', 'en');
  await waitText('h1', en['sources.title']);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`).waitFor();
  let overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await shot('narrow');
  await page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"] [data-testid="source-edit"]`).click();
  await page.locator('#source-form').waitFor();
  overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the form fits a phone (overflow ${overflow}px)`);
  await shot('narrow-form');
  await page.click('#source-cancel');
  await page.setViewportSize({ width: 1280, height: 720 });
});

test('an operator edits sources but never sees the password field', async () => {
  await signOut();
  await signIn(OPERATOR);
  await page.locator('[data-testid="home-page"]').waitFor();
  await page.click('#nav-sources');
  await page.locator('[data-testid="sources-page"]').waitFor();
  assert.equal(await page.locator('#nav-users').count(), 0);
  const row = page.locator(`[data-testid="source-row"][data-name="${ODBC_NAME}"]`);
  await row.locator('[data-testid="source-edit"]').click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
  await waitText('#source-password-status', en['sources.password_is_set']);
  assert.equal(await page.locator('#source-password').count(), 0);
  assert.equal(await page.locator('#source-password-clear').count(), 0);
  // where a source that holds a password connects is an admin's: shown read-only, with a line
  await waitText('[data-testid="source-connection-admin-note"]', en['sources.odbc.connection_admin_only']);
  assert.equal(await page.locator('#source-odbc-dsn').isEditable(), false, 'the DSN is read-only');
  assert.equal(await page.locator('#source-conn-mode-string').isEnabled(), false, 'the connection kind is fixed');
  await page.fill('#source-odbc-timeout-s', '600');
  const from = sent.length;
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  const [patch] = sentSince(from, 'PATCH', /\/api\/v1\/sources\/\d+$/);
  assert.ok(!('password' in patch.body), 'an operator never sends the password');
  const got = await sourceByName(ODBC_NAME);
  assert.equal(got.settings.odbc.timeout_s, 600);
  assert.equal(got.password_set, true, 'the password stays');
  assert.equal(got.settings.odbc.dsn, patch.body.settings.odbc.dsn, 'the connection went back as stored');
  await shot('operator');
});

test('a viewer sees the pages without create or edit controls', async () => {
  await signOut();
  await signIn(VIEWER);
  await page.locator('[data-testid="home-page"]').waitFor();
  await page.click('#nav-sources');
  await page.locator('[data-testid="sources-page"]').waitFor();
  for (const [route, key] of [['sources', 'nav.sources'], ['queues', 'nav.queues'],
    ['value-types', 'nav.value_types'], ['account', 'nav.account']]) {
    await waitText(`#nav-${route}`, en[key]);
  }
  assert.equal(await page.locator('#nav-users').count(), 0);

  const row = page.locator(`[data-testid="source-row"][data-name="${CSV_NAME}"]`);
  await row.waitFor();
  await page.locator('[data-testid="read-only-note"]').waitFor();
  assert.equal(await page.locator('#source-new').count(), 0);
  for (const id of ['source-toggle', 'source-edit', 'source-delete']) {
    assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 0, `${id} hidden`);
  }
  // details: the settings read-only, no save
  await row.locator('[data-testid="source-view"]').click();
  await page.locator('#source-form[data-mode="view"]').waitFor();
  assert.equal(await page.locator('#source-submit').count(), 0);
  assert.equal(await page.isDisabled('#source-csv-folder'), true);
  assert.equal(await page.inputValue('#source-csv-folder'), CSV_EXPECTED.csv.folder);
  await shot('viewer-sources');
  await page.click('#source-cancel');

  await gotoPage('queues', 'queues-page');
  await page.locator('[data-testid="queue-row"][data-identifier="sales_de"]').waitFor();
  assert.equal(await page.locator('#queue-create-form').count(), 0);
  assert.equal(await page.locator('[data-testid="queue-edit"], [data-testid="queue-delete"]').count(), 0);
  await shot('viewer-queues');

  await gotoPage('value-types', 'value-types-page');
  await page.locator('[data-testid="vt-row"][data-key="talk_time"]').waitFor();
  assert.equal(await page.locator('#vt-create-form').count(), 0);
  assert.equal(await page.locator('[data-testid="vt-rename"], [data-testid="vt-edit"], [data-testid="vt-delete"]').count(), 0);
  await shot('viewer-value-types');
});

test('no script errors and no CSP violations on the way', () => {
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  assert.deepEqual(cspViolations, [], 'CSP violations');
});
