// Browser test of the Mappings page across queues: the search over 1,200 mappings (external
// queue, metric, WFM queue, value type) with its count and the text kept in the address, the
// list of inputs naming what their source never delivered, "save anyway" for a mapping whose
// form contradicts its value type (marked in the list), and the WFM queues list's search over
// more queues than its first page. Real daemon, real TLS, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, launchBrowser, signIn, until } from '../lib/browser.mjs';
import { REPO_ROOT, TEST_ROOT, login, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const N = 300; // WFM queues made in bulk, one per external queue, with 4 mappings each
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
}
const { translator } = await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href);

let daemon;
let api;
let folder;
let context;
let page;
let profileDir;
let source;
let total; // mappings in all queues
const queueIds = {};
const pageErrors = [];
const cspViolations = [];

const norm = (s) => s.replace(/\s+/g, ' ').trim();
const ext = (i) => String(1000 + i);
const ident = (i) => `Q${String(i).padStart(4, '0')}`;

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = fs.mkdtempSync(path.join(TEST_ROOT, 'acdlink-e2e-msearch-'));
  const lines = ['Split;Date;Time;Offered;Handled;Abandoned;AHT'];
  for (let i = 1; i <= N; i++) {
    lines.push(`${ext(i)};24.11.2026;08:00;${i};${i};0;100`);
  }
  fs.writeFileSync(path.join(folder, 'day.csv'), `${lines.join('\n')}\n`);
  source = (await api.post('/api/v1/sources', {
    name: 'Big ACD', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', abandoned: 'Abandoned', aht: 'AHT' },
    },
  })).body;
  const run = await api.post('/api/v1/runs', { source_id: source.id, from: '2026-11-24', to: '2026-11-24' });
  assert.equal(run.status, 202);
  await until(async () => (await api.get(`/api/v1/runs/${run.body.id}`)).body.state === 'done', 'the import');
  for (let first = 1; first <= N; first += 150) { // at most 200 queues a call
    const bulk = await api.post('/api/v1/mappings/bulk', {
      source_id: source.id,
      queues: Array.from({ length: 150 }, (_, k) => ({ identifier: ident(first + k), name: `Queue ${first + k}`, ext_queues: [ext(first + k)] })),
      mappings: ['offered', 'handled', 'abandoned', 'aht'].map((v) => ({ value_type: v, metric: v })),
    });
    assert.equal(bulk.status, 201, JSON.stringify(bulk.body));
    for (const q of bulk.body.queues) {
      queueIds[q.identifier] = q.id;
    }
  }
  // two typos, and a queue without mappings for the form
  const typo = (await api.post('/api/v1/queues', { identifier: 'TYPO', name: 'Typo', time_zone: 'UTC' })).body;
  queueIds.TYPO = typo.id;
  const m = await api.post('/api/v1/mappings', {
    queue_id: typo.id, value_type: 'offered', inputs: [{ source_id: source.id, ext_queue: '1O01', metric: 'ofered' }],
  });
  assert.equal(m.status, 201);
  assert.equal(m.body.warnings.length, 2);
  queueIds.FORMS = (await api.post('/api/v1/queues', { identifier: 'FORMS', name: 'Forms', time_zone: 'UTC' })).body.id;
  total = 4 * N + 1;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await signIn(page, daemon, ADMIN);
});

after(async () => {
  await closeBrowser(context, profileDir);
  if (daemon) {
    await daemon.stop();
  }
  if (folder) {
    await fsp.rm(folder, { recursive: true, force: true });
  }
});

const countText = async () => norm(await page.locator('[data-testid="mappings-search-count"]').textContent());

async function openMappings(queueId) {
  await page.goto(`${daemon.url}/#/mappings/${queueId}`);
  await page.reload(); // a hash change alone would keep the page's state
  await page.locator('[data-testid="mappings-page"]').waitFor();
  await page.locator('[data-testid="mappings-search"]').waitFor();
}

test('the search finds mappings of all queues by external queue, metric, WFM queue and value type', async () => {
  const t = translator('en');
  await openMappings(queueIds.Q0001);
  await until(async () => (await countText()) === norm(t('mappings.search_total', { n: total })), 'the count of all mappings');
  // an external queue: the 4 mappings of the queue that reads it
  const started = Date.now();
  await page.fill('#mappings-search', '1042');
  await until(async () => (await countText()) === norm(t('common.shown_of', { shown: 4, total })), 'four matches');
  console.log(`# 4 of ${total} matches shown ${Date.now() - started} ms after typing`);
  const rows = page.locator('[data-testid="mapping-match"]');
  assert.equal(await rows.count(), 4);
  for (let i = 0; i < 4; i++) {
    assert.equal(await rows.nth(i).getAttribute('data-queue'), 'Q0042');
  }
  // every word must match: a WFM queue and a value type
  await page.fill('#mappings-search', 'q0042 aht');
  await until(async () => (await rows.count()) === 1, 'one match');
  assert.equal(await rows.first().getAttribute('data-value-type'), 'aht');
  assert.equal(await countText(), norm(t('common.shown_of', { shown: 1, total })));
  // a metric matched by hundreds: the first 200 are drawn, the count says how many
  await page.fill('#mappings-search', 'abandoned');
  await until(async () => (await countText()) === norm(`${t('common.shown_of', { shown: N, total })} ${t('common.search_more', { shown: 200, n: N })}`), `${N} matches`);
  assert.equal(await rows.count(), 200);
  // nothing
  await page.fill('#mappings-search', 'no-such-thing');
  await until(async () => (await countText()) === norm(t('common.no_matches', { q: 'no-such-thing' })), 'no match');
  assert.equal(await rows.count(), 0);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('the search stays in the address; Open shows the mapping in its queue', async () => {
  await openMappings(queueIds.Q0001);
  await page.fill('#mappings-search', 'Q0123 handled');
  await until(async () => page.url().includes('?q=Q0123%20handled'), 'the search in the address');
  await page.reload();
  await page.locator('[data-testid="mappings-search"]').waitFor();
  assert.equal(await page.inputValue('#mappings-search'), 'Q0123 handled');
  const rows = page.locator('[data-testid="mapping-match"]');
  await until(async () => (await rows.count()) === 1, 'the match after a reload');
  await rows.first().locator('[data-testid="mapping-match-open"]').click();
  await until(async () => (await page.inputValue('#mapping-queue')) === String(queueIds.Q0123), 'its queue chosen');
  await page.locator('#mapping-form[data-mode="edit"]').waitFor();
  assert.equal(await page.getAttribute('#mapping-value-type', 'data-value'), 'handled');
  assert.equal(await page.inputValue('#mappings-search'), '');
  assert.ok(!page.url().includes('?q='));
});

test('inputs naming what the source never delivered are listed across queues', async () => {
  await openMappings(queueIds.Q0001);
  const panel = page.locator('[data-testid="unknown-inputs-panel"]');
  await panel.waitFor();
  const items = panel.locator('[data-testid="unknown-input"]');
  await until(async () => (await items.count()) === 2, 'two unknown inputs');
  const t = translator('en');
  assert.equal(norm(await panel.locator('h2').textContent()), norm(t('mappings.unknown_title', { n: 2 })));
  const texts = {};
  for (let i = 0; i < 2; i++) {
    assert.equal(await items.nth(i).getAttribute('data-queue'), 'TYPO');
    texts[await items.nth(i).getAttribute('data-code')] = norm(await items.nth(i).locator('[data-testid="unknown-input-text"]').textContent());
  }
  assert.equal(texts.unknown_ext_queue, norm(`${t('mappings.unknown_ext_queue', { input: 'p1', source: 'Big ACD', name: '1O01' })} ${t('mappings.did_you_mean', { name: '1001' })}`));
  assert.equal(texts.unknown_metric, norm(`${t('mappings.unknown_metric', { input: 'p1', source: 'Big ACD', name: 'ofered' })} ${t('mappings.did_you_mean', { name: 'offered' })}`));
  await items.first().locator('[data-testid="unknown-input-open"]').click();
  await until(async () => (await page.inputValue('#mapping-queue')) === String(queueIds.TYPO), 'the typo queue');
  await page.locator('#mapping-form[data-mode="edit"]').waitFor();
  // corrected in the form: the list empties
  await page.fill('#mapping-input-queue-0', '1001');
  await page.fill('#mapping-input-metric-0', 'offered');
  await page.click('#mapping-submit');
  await page.locator('[data-testid="mappings-notice"]').waitFor();
  await until(async () => (await panel.count()) === 0, 'no unknown inputs left');
});

test('a form that contradicts the value type can be saved anyway, and is marked', async () => {
  const t = translator('en');
  await openMappings(queueIds.FORMS);
  await page.click('#mapping-new');
  await page.selectOption('#mapping-value-type', 'aht');
  await page.selectOption('#mapping-input-source-0', String(source.id));
  await page.fill('#mapping-input-queue-0', '1001');
  await page.fill('#mapping-input-metric-0', 'offered');
  assert.equal(await page.locator('#mapping-override').count(), 0, 'no checkbox before a refusal');
  await page.click('#mapping-submit');
  const box = page.locator('[data-testid="mapping-override-box"]');
  await box.waitFor();
  assert.match(norm(await page.locator('#mapping-form [data-testid="field-error"]').textContent()), /override/);
  assert.equal(norm(await box.locator('label').textContent()), norm(t('mappings.save_anyway')));
  await page.check('#mapping-override');
  await page.click('#mapping-submit');
  const row = page.locator('[data-testid="mapping-row"][data-value-type="aht"]');
  await row.waitFor();
  assert.equal(norm(await row.locator('[data-testid="mapping-override"]').textContent()), norm(t('mappings.override')));
  const saved = (await api.get(`/api/v1/mappings?queue_id=${queueIds.FORMS}`)).body.items;
  assert.equal(saved.length, 1);
  assert.equal(saved[0].override, true);
  total += 1;
  // editing it shows the box ticked; untick and the API refuses again
  await row.locator('[data-testid="mapping-edit"]').click();
  await page.locator('#mapping-form[data-mode="edit"]').waitFor();
  assert.equal(await page.isChecked('#mapping-override'), true);
  await page.uncheck('#mapping-override');
  await page.click('#mapping-submit');
  await page.locator('#mapping-form [data-testid="field-error"]').waitFor();
  assert.equal((await api.get(`/api/v1/mappings/${saved[0].id}`)).body.override, true);
  await page.click('#mapping-cancel');
});

test('the set-up from a discovery offers "save anyway" at the metric refused', async () => {
  const t = translator('en');
  const dir = fs.mkdtempSync(path.join(TEST_ROOT, 'acdlink-e2e-msearch-forms-'));
  fs.writeFileSync(path.join(dir, 'day.csv'), 'Split;Date;Time;Offered;HandleTime\n777;24.11.2026;08:00;4;480\n');
  const forms = (await api.post('/api/v1/sources', {
    name: 'Forms ACD', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder: dir, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handle_time: 'HandleTime' },
    },
  })).body;
  try {
    await page.goto(`${daemon.url}/#/sources`);
    await page.reload();
    const open = `[data-testid="source-row"][data-name="${forms.name}"] [data-testid="source-preview-open"]`;
    await page.locator(open).waitFor();
    await page.click(open);
    await page.fill('#preview-day', '2026-11-24');
    await page.click('#preview-discover');
    await page.locator('[data-testid="discovery-setup"]').waitFor({ timeout: 30000 });
    await page.click('[data-testid="setup-queue"][data-ext-queue="777"] input[type="checkbox"]');
    await page.locator('[data-testid="setup-metric"][data-metric="handle_time"] select').selectOption('aht');
    await page.uncheck('#setup-import');
    assert.equal(await page.locator('[data-testid="setup-override"]').count(), 0);
    await page.click('#setup-create');
    await page.click('#setup-confirm');
    const row = page.locator('[data-testid="setup-metric"][data-metric="handle_time"]');
    await row.locator('[data-testid="field-error"]').waitFor();
    const box = row.locator('[data-testid="setup-override"]');
    await box.waitFor();
    assert.equal(norm(await row.locator('label.override-check').textContent()), norm(t('mappings.save_anyway')));
    await box.check();
    await page.click('#setup-create');
    await page.click('#setup-confirm');
    await page.locator('[data-testid="setup-done"]').waitFor({ timeout: 30000 });
    const href = await page.getAttribute('#setup-open-mappings', 'href');
    const made = (await api.get(`/api/v1/mappings?queue_id=${href.split('/').pop()}`)).body.items;
    assert.deepEqual(made.map((m) => [m.value_type, m.override]).sort(), [['aht', true], ['offered', false]]);
    total += 2;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('German and French: the count and the search words', async () => {
  for (const lang of ['de', 'fr']) {
    const t = translator(lang);
    await openMappings(queueIds.Q0001);
    await page.selectOption('#lang-select', lang);
    await page.fill('#mappings-search', '1042');
    const want = norm(t('common.shown_of', { shown: 4, total }));
    let seen = '';
    await until(async () => (seen = await countText()) === want, `${lang} count`).catch((err) => {
      throw new Error(`${err.message}: '${seen}' is not '${want}'`);
    });
    assert.equal(await page.getAttribute('#mappings-search', 'placeholder'), t('mappings.search_placeholder'));
    assert.notEqual(t('mappings.search_placeholder'), dict.en['mappings.search_placeholder']);
  }
  await page.selectOption('#lang-select', 'en');
});

test('the WFM queues list searches every queue, not only its first page', async () => {
  const t = translator('en');
  await page.goto(`${daemon.url}/#/queues`);
  await page.locator('[data-testid="queues-search"]').waitFor();
  await page.fill('[data-testid="queues-search"]', 'Q0299');
  const all = (await api.get('/api/v1/queues?limit=500')).body;
  assert.equal(all.next_cursor, null);
  assert.ok(all.items.length > 300);
  const count = page.locator('[data-testid="queues-search-count"]');
  await until(async () => (await count.count()) === 1
    && norm(await count.textContent()) === norm(t('common.shown_of', { shown: 1, total: all.items.length })), 'Q0299 among all queues');
  assert.equal(await page.locator('#queues-table tbody tr').count(), 1);
  assert.deepEqual(pageErrors, []);
});
