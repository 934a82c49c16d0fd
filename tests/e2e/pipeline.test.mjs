// Browser test of the data pipeline in the console: a CSV export on disk is previewed on the
// Sources page, imported on the Runs page (watched to "done", its log naming the bad row by file and line), its two external queues
// are mapped to a WFM queue's "offered" from the unmapped panel on the Mappings page, and the
// summed values appear on the Results page with the chart. Real daemon, real files, no mocks.
//
// Design note: the same harness as sources.test.mjs (one daemon and one browser for the file,
// TLS pinned by the certificate's public key, steps in order on a shared page). The source and
// the WFM queue are created through the API (their forms have their own test); everything the
// pipeline does after that goes through the console, and what arrived is checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeConsoleTest, exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const VIEWER = { name: 'vera', role: 'viewer', password: 'vera-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const FILE = 'hsplit_20261124.csv';

// Two splits, three 15-minute intervals; line 7 has no number in Offered and is rejected.
const CSV = [
  'Split;Date;Time;Offered;Handled;AHT',
  '101;24.11.2026;08:00;10;8;120',
  '102;24.11.2026;08:00;5;4;90',
  '101;24.11.2026;08:15;7;7;100',
  '102;24.11.2026;08:15;3;2;60',
  '101;24.11.2026;08:30;12;10;110',
  '102;24.11.2026;08:30;x;1;1',
  '',
].join('\r\n');
const BAD_LINE = 7;
// offered = 101 + 102 per interval (08:30: only 101, the 102 row was rejected)
const OFFERED = { '08:00': 15, '08:15': 10, '08:30': 12 };

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
const en = dict.en;
const { translator } = await import(pathToFileURL(path.join(i18nDir, 'index.js')).href);
const tEn = translator('en');

let daemon;
let api; // an admin session of its own, for setting up and checking what arrived
let context;
let page;
let profileDir;
let folder;
let source;
let queue;
let runId;
const pageErrors = [];
const cspViolations = [];
const sent = []; // {method, url, body} of every state-changing API request the console made
const reads = []; // paths (with query) of every GET to /api/v1

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-pipe-${name}.png`), fullPage: true });
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
  if (await page.locator('#nav-toggle').isVisible()) {
    await page.click('#nav-toggle'); // a narrow screen: the navigation is behind the menu button
  }
  await page.click(`#nav-${route}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

async function apiGet(p) {
  const r = await api.get(p);
  assert.equal(r.status, 200, `${p}: ${r.status} ${r.text}`);
  return r.body;
}

function sentSince(from, method, re) {
  return sent.slice(from).filter((r) => r.method === method && re.test(r.url));
}

async function noOverflow(what) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${what} fits a phone (overflow ${overflow}px)`);
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, OPERATOR, VIEWER] });
  api = await login(daemon, ADMIN.name, ADMIN.password);

  folder = await makeTempDir('acdlink-e2e-pipe-');
  await fsp.writeFile(path.join(folder, FILE), CSV);
  const s = await api.post('/api/v1/sources', {
    name: 'Pipeline CSV', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  const q = await api.post('/api/v1/queues', {
    identifier: 'PIPE', name: 'Pipeline hotline', channel: 'calls', interval_minutes: 15,
    time_zone: 'Europe/Berlin',
  });
  assert.equal(q.status, 201, q.text);
  queue = q.body;

  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'Europe/Berlin', pageErrors, cspViolations,
  }));
  // the page's timers run at their natural pace, and a test can move them on at once
  await context.clock.install();
  page.on('request', (req) => {
    if (!req.url().includes('/api/v1/')) {
      return;
    }
    const url = new URL(req.url());
    if (req.method() === 'GET') {
      reads.push(url.pathname + url.search);
      return;
    }
    let body = null;
    try {
      body = req.postData() ? JSON.parse(req.postData()) : null;
    } catch {
      body = req.postData();
    }
    sent.push({ method: req.method(), url: url.pathname, body });
  });
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

test('the operator sees Runs, Mappings and Results in the navigation', async () => {
  await signIn(OPERATOR);
  for (const [route, key] of [['runs', 'nav.runs'], ['mappings', 'nav.mappings'],
    ['results', 'nav.results']]) {
    await waitText(`#nav-${route}`, en[key]);
  }
});

test('the source is previewed and discovered on the Sources page: parsed rows beside raw fields, the bad row by line, its queues and metrics, nothing staged', async () => {
  await gotoPage('sources', 'sources-page');
  await page.click(`[data-testid="source-row"][data-name="${source.name}"] [data-testid="source-preview-open"]`);
  await page.locator('[data-testid="source-preview"]').waitFor();
  await page.fill('#preview-day', DAY);
  const from = sent.length;
  await page.click('#preview-read');
  await page.locator('[data-testid="preview-table"]').waitFor({ timeout: 20000 });
  assert.deepEqual(sentSince(from, 'POST', /\/preview$/).map((r) => r.body), [{ day: DAY, rows: 50 }]);
  const rows = page.locator('[data-testid="preview-row"]');
  assert.equal(await rows.count(), 6);
  const first = rows.first();
  assert.equal(await first.getAttribute('data-outcome'), 'ok');
  assert.equal((await first.locator('[data-testid="preview-queue"]').textContent()).trim(), '101');
  assert.equal((await first.locator('[data-testid="preview-local"]').textContent()).trim(), `${DAY} 08:00`);
  assert.match(await first.locator('[data-testid="preview-values"]').textContent(), /offered\s*10/);
  const bad = page.locator(`[data-testid="preview-row"][data-line="${BAD_LINE}"]`);
  assert.equal(await bad.getAttribute('data-outcome'), 'error');
  assert.match(await bad.locator('[data-testid="preview-error"]').textContent(), /Offered|column 4/);
  assert.equal((await page.locator('[data-testid="preview-counts"]').textContent()).trim(),
    tEn('preview.counts', { read: 6, ok: 5, rejected: 1, filtered: 0 }));
  await shot('preview');
  // discovery reads the whole day and lists the queues and metrics it holds
  await page.click('#preview-discover');
  await page.locator('[data-testid="discovery-queues"]').waitFor({ timeout: 20000 });
  const queueRows = page.locator('[data-testid="discovery-queues"] tbody tr');
  assert.deepEqual(await queueRows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim()))), [
    ['101', '', '3', `${DAY} 08:00`, `${DAY} 08:30`],
    ['102', '', '2', `${DAY} 08:00`, `${DAY} 08:15`],
  ]);
  assert.deepEqual(await page.locator('[data-testid="discovery-metrics"] tbody tr').evaluateAll(
    (trs) => trs.map((tr) => tr.dataset.key)), ['aht', 'handled', 'offered']);
  assert.match(await page.locator('[data-testid="discovery-errors"]').textContent(), new RegExp(`${FILE}:${BAD_LINE}:`));
  await shot('discovery');
  // neither writes anything: no external queue is known yet and no run exists
  assert.deepEqual((await apiGet('/api/v1/unmapped-queues')).items, []);
  assert.deepEqual((await apiGet('/api/v1/runs')).items, []);
  await page.click('[data-testid="preview-close"]');
  assert.equal(await page.locator('[data-testid="source-preview"]').count(), 0);
});

test('a run is started on the Runs page, followed to "done", and its log names the bad row', async () => {
  await gotoPage('runs', 'runs-page');
  // the form offers yesterday .. today (the browser's days)
  const today = await page.evaluate(() => {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  });
  assert.equal(await page.inputValue('#run-to'), today);
  const fromDefault = await page.inputValue('#run-from');
  assert.equal(Date.parse(`${today}T00:00:00Z`) - Date.parse(`${fromDefault}T00:00:00Z`), 86400000,
    `from defaults to yesterday (${fromDefault} .. ${today})`);
  await waitText('[data-testid="runs-page"] .empty', en['runs.empty']);

  // the daemon's error about a day shows at that field
  await page.selectOption('#run-source', String(source.id));
  await page.fill('#run-from', '2026-11-25');
  await page.fill('#run-to', DAY);
  await page.click('#run-start');
  const toError = page.locator('#run-to-error');
  await toError.waitFor();
  assert.equal(await toError.getAttribute('data-field'), 'to');
  assert.match(await toError.textContent(), /before/);
  assert.equal(await page.locator('#run-start-error').count(), 0, 'not also at the form');

  await page.fill('#run-from', DAY);
  // zero-fill is an explicit choice, off unless ticked
  assert.equal(await page.isChecked('#run-zero-fill'), false);
  await waitText('label:has(#run-zero-fill) span', en['runs.zero_fill']);
  const from = sent.length;
  await page.click('#run-start');
  const posts = sentSince(from, 'POST', /\/api\/v1\/runs$/);
  assert.deepEqual(sentSince(from, 'POST', /\/api\/v1\/runs$/).map((r) => r.body),
    [{ source_id: source.id, from: DAY, to: DAY, zero_fill: false, reread: false }], `sent ${JSON.stringify(posts)}`);
  const detail = page.locator('#run-detail');
  await detail.waitFor();
  runId = Number(await detail.getAttribute('data-run-id'));
  assert.ok(runId > 0);
  assert.match(page.url(), new RegExp(`#/runs/${runId}$`), 'the open run is in the address');

  // followed live until done
  await page.locator('#run-detail[data-state="done"]').waitFor({ timeout: 30000 });
  await waitText('#run-detail [data-testid="run-state"]', en['runs.state.done']);
  const count = async (key) => Number(await detail.locator(`[data-count="${key}"]`).textContent());
  assert.equal(await count('files_read'), 1);
  assert.equal(await count('files_skipped'), 0);
  assert.equal(await count('rows_read'), 6);
  assert.equal(await count('rows_staged'), 5);
  assert.equal(await count('rows_rejected'), 1);
  assert.equal(await count('rows_filtered'), 0);
  assert.equal((await detail.locator('[data-testid="run-progress"]').textContent()).trim(),
    tEn('runs.days', { done: 1, total: 1 }));
  assert.equal(await page.locator('[data-testid="run-cancel"]').count(), 0, 'no cancel for a finished run');

  // the rejected row: "file:line: reason", highlighted as a warning
  const bad = detail.locator('[data-testid="log-line"]').filter({ hasText: `${FILE}:${BAD_LINE}:` });
  await bad.first().waitFor();
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-level'), 'warn');
  assert.match(await bad.textContent(), /'x' is not a number/);
  assert.equal((await bad.locator('.log-where').textContent()).trim(), `${FILE}:${BAD_LINE}:`);
  const font = await detail.locator('[data-testid="run-log"]').evaluate((el) => getComputedStyle(el).fontFamily);
  assert.match(font, /mono/i, `the log is monospace (${font})`);
  const bg = await bad.evaluate((el) => getComputedStyle(el).backgroundColor);
  const info = detail.locator('[data-testid="log-line"][data-level="info"]').first();
  assert.notEqual(bg, await info.evaluate((el) => getComputedStyle(el).backgroundColor), 'warnings stand out');
  // the log the console shows is the run's log
  const log = await apiGet(`/api/v1/runs/${runId}/log?limit=500`);
  assert.equal(await detail.locator('[data-testid="log-line"]').count(), log.items.length);

  // the list row says the same
  const row = page.locator(`[data-testid="run-row"][data-id="${runId}"]`);
  await row.locator('[data-testid="run-state"][data-state="done"]').waitFor();
  assert.equal(Number(await row.locator('[data-count="rows_rejected"]').textContent()), 1);
  await shot('run-done');

  // a finished run is no longer polled: between two marker reads of the page (requests are
  // seen in the order the page makes them), the page's clock is moved on by 30 s, so every
  // timer due meanwhile fires at once, those of any poller too
  const marker = async (name) => {
    await page.evaluate((q) => fetch(`/api/v1/health?marker=${q}`).catch(() => null), name);
    await until(() => reads.includes(`/api/v1/health?marker=${name}`), `the marker read ${name}`);
    return reads.indexOf(`/api/v1/health?marker=${name}`);
  };
  const before = await marker('before');
  await page.clock.runFor(30000);
  const afterwards = await marker('after');
  const polled = reads.slice(before, afterwards).filter((u) => u.startsWith('/api/v1/runs'));
  assert.deepEqual(polled, [], 'no polling once the run is done');

  // "only warnings and errors" keeps the bad row
  await page.check('#run-log-problems');
  assert.ok(await detail.locator('[data-testid="log-line"][data-level="info"]').count() === 0);
  assert.equal(await bad.count(), 1);
  await page.uncheck('#run-log-problems');
});

test('the run list filters by state and source, and the details close', async () => {
  await page.selectOption('#runs-filter-state', 'failed');
  await waitText('#runs-table .empty', en['runs.empty_filtered']);
  await until(() => reads.some((u) => /\/api\/v1\/runs\?.*state=failed/.test(u)), 'the list read with state=failed (filtered by the daemon)');
  await page.selectOption('#runs-filter-state', 'done');
  await page.locator(`[data-testid="run-row"][data-id="${runId}"]`).waitFor();
  await page.selectOption('#runs-filter-source', String(source.id));
  await page.locator(`[data-testid="run-row"][data-id="${runId}"]`).waitFor();
  await until(() => reads.some((u) => new RegExp(`source_id=${source.id}`).test(u)), `the list read with source_id=${source.id}`);
  await page.selectOption('#runs-filter-state', '');
  await page.selectOption('#runs-filter-source', '');
  await page.click('#run-detail-close');
  await page.locator('#run-detail').waitFor({ state: 'detached' });
  assert.match(page.url(), /#\/runs$/);
  // opened again from the list
  await page.locator(`[data-testid="run-row"][data-id="${runId}"] [data-testid="run-open"]`).click();
  await page.locator(`#run-detail[data-run-id="${runId}"][data-state="done"]`).waitFor();
  await page.locator('#run-detail [data-testid="log-line"]').first().waitFor();
  await shot('runs');
});

test('the two external queues are mapped to "offered" from the unmapped panel', async () => {
  await gotoPage('mappings', 'mappings-page');
  await page.selectOption('#mapping-queue', String(queue.id));
  await waitText('#mappings-table .empty', en['mappings.empty']);
  const u101 = page.locator('[data-testid="unmapped-row"][data-ext-queue="101"]');
  const u102 = page.locator('[data-testid="unmapped-row"][data-ext-queue="102"]');
  await u101.waitFor();
  await u102.waitFor();
  const metrics = await u101.locator('.tag').allTextContents();
  assert.deepEqual(metrics.map((m) => m.trim()).sort(), ['aht', 'handled', 'offered']);
  await shot('unmapped');

  // "Map" opens a prefilled mapping; "Map" on the second queue adds it as p2
  await u101.locator('[data-testid="unmapped-map"]').click();
  await page.locator('#mapping-form[data-mode="create"]').waitFor();
  assert.equal(await page.inputValue('#mapping-value-type'), 'offered', 'the value type follows the metrics');
  assert.equal(await page.inputValue('#mapping-input-source-0'), String(source.id));
  assert.equal(await page.inputValue('#mapping-input-queue-0'), '101');
  assert.equal(await page.inputValue('#mapping-input-metric-0'), 'offered');
  await waitText('[data-testid="mapping-default"]', en['mappings.help_sum']);
  await waitText('#unmapped-panel [data-ext-queue="101"] [data-testid="unmapped-map"]', en['mappings.map_added']);
  await u102.locator('[data-testid="unmapped-map"]').click();
  await page.locator('#mapping-input-queue-1').waitFor();
  assert.equal(await page.inputValue('#mapping-input-queue-1'), '102');
  assert.equal(await page.inputValue('#mapping-input-metric-1'), 'offered');
  assert.deepEqual(await page.locator('[data-testid="mapping-input-name"]').allTextContents(), ['p1', 'p2']);
  // suggestions for the metric come from what the queue delivered
  const suggested = await page.locator('#mapping-input-metric-1-list option').evaluateAll(
    (opts) => opts.map((o) => o.value));
  assert.deepEqual(suggested, ['aht', 'handled', 'offered']);
  // the formula's help names the inputs, weekday and the functions
  const help = await page.textContent('[data-testid="formula-help"]');
  for (const word of ['p1 … p2', 'weekday', 'minute_of_day', 'iif', 'round', 'min', 'max']) {
    assert.ok(help.includes(word), `formula help mentions ${word}: ${help}`);
  }

  // an error about one input sits at that input
  await page.fill('#mapping-input-metric-1', '');
  await page.click('#mapping-submit');
  const inputError = page.locator('#mapping-input-error-1');
  await inputError.waitFor();
  assert.equal(await inputError.getAttribute('data-field'), 'inputs[1].metric');
  assert.equal(await page.getAttribute('#mapping-input-metric-1', 'aria-invalid'), 'true');
  assert.equal(await page.locator('#mapping-form-error').count(), 0);
  await page.fill('#mapping-input-metric-1', 'offered');

  // a bad formula: the daemon's message at the formula field
  await page.fill('#mapping-formula', 'p3 + 1');
  await page.click('#mapping-submit');
  const formulaError = page.locator('#mapping-formula-error');
  await formulaError.waitFor();
  assert.equal(await formulaError.getAttribute('data-field'), 'formula');
  assert.match(await formulaError.textContent(), /p3/);
  await shot('mapping-formula-error');

  await page.fill('#mapping-formula', '');
  const from = sent.length;
  await page.click('#mapping-submit');
  const row = page.locator('[data-testid="mapping-row"][data-value-type="offered"]');
  await row.waitFor();
  await page.locator('[data-testid="mappings-notice"]').waitFor();
  assert.equal(await page.locator('#mapping-form').count(), 0, 'the form closes after saving');
  const posts = sentSince(from, 'POST', /\/api\/v1\/mappings$/);
  assert.deepEqual(posts.map((p) => p.body), [{
    queue_id: queue.id, value_type: 'offered', formula: null,
    inputs: [
      { source_id: source.id, ext_queue: '101', metric: 'offered' },
      { source_id: source.id, ext_queue: '102', metric: 'offered' },
    ],
  }]);
  assert.deepEqual(await row.locator('[data-testid="mapping-input-ext"]').allTextContents(), ['101', '102']);
  await waitText('[data-testid="mapping-row"][data-value-type="offered"] [data-testid="mapping-formula"]',
    en['mappings.default_sum']);
  // both queues are used now: the panel is empty
  await waitText('#unmapped-table .empty', en['mappings.unmapped_empty']);
  const stored = await apiGet(`/api/v1/mappings?queue_id=${queue.id}`);
  assert.equal(stored.items.length, 1);
  assert.deepEqual(stored.items[0].inputs.map((i) => [i.name, i.ext_queue, i.metric]),
    [['p1', '101', 'offered'], ['p2', '102', 'offered']]);
  await shot('mappings');
});

test('editing a mapping PATCHes only what changed, and "weighted by" shows for AHT', async () => {
  // handled and AHT through the API: AHT without formula is the handled-weighted average
  const input = (q, m) => ({ source_id: source.id, ext_queue: q, metric: m });
  for (const [vt, metric] of [['handled', 'handled'], ['aht', 'aht']]) {
    const r = await api.post('/api/v1/mappings', {
      queue_id: queue.id, value_type: vt, inputs: [input('101', metric), input('102', metric)],
    });
    assert.equal(r.status, 201, r.text);
  }
  await gotoPage('queues', 'queues-page');
  await gotoPage('mappings', 'mappings-page');
  const aht = page.locator('[data-testid="mapping-row"][data-value-type="aht"]');
  await aht.waitFor();
  const handledName = (await apiGet('/api/v1/value-types?limit=500')).items.find((v) => v.key === 'handled').name;
  await waitText('[data-testid="mapping-row"][data-value-type="aht"] [data-testid="mapping-formula"]',
    en['mappings.default_weighted'].replace('{name}', handledName));

  // a formula on "offered" and back: only the formula travels
  const offered = page.locator('[data-testid="mapping-row"][data-value-type="offered"]');
  await offered.locator('[data-testid="mapping-edit"]').click();
  await page.locator('#mapping-form[data-mode="edit"]').waitFor();
  assert.equal(await page.inputValue('#mapping-input-queue-1'), '102');
  await page.fill('#mapping-formula', 'p1 + p2');
  const from = sent.length;
  await page.click('#mapping-submit');
  await waitText('[data-testid="mapping-row"][data-value-type="offered"] [data-testid="mapping-formula"]', 'p1 + p2');
  assert.deepEqual(sentSince(from, 'PATCH', /\/api\/v1\/mappings\/\d+$/).map((r) => r.body), [{ formula: 'p1 + p2' }]);
  await offered.locator('[data-testid="mapping-edit"]').click();
  await page.fill('#mapping-formula', '');
  await page.click('#mapping-submit');
  await waitText('[data-testid="mapping-row"][data-value-type="offered"] [data-testid="mapping-formula"]',
    en['mappings.default_sum']);
  assert.deepEqual(sentSince(from, 'PATCH', /\/api\/v1\/mappings\/\d+$/).map((r) => r.body),
    [{ formula: 'p1 + p2' }, { formula: null }]);
  await shot('mappings-weighted');
});

test('the Results page shows the summed values per interval and the chart', async () => {
  await gotoPage('results', 'results-page');
  await page.selectOption('#results-queue', String(queue.id));
  await page.fill('#results-from', DAY);
  await page.fill('#results-to', DAY);
  const rows = page.locator('[data-testid="results-row"]');
  await page.locator(`[data-testid="results-row"][data-local="${DAY}T08:30+01:00"]`).waitFor();
  assert.equal(await rows.count(), 3);
  for (const [time, value] of Object.entries(OFFERED)) {
    const cell = page.locator(`[data-testid="results-row"][data-local="${DAY}T${time}+01:00"] [data-value-type="offered"]`);
    assert.equal((await cell.textContent()).trim(), String(value), `offered at ${time}`);
    assert.equal(Number(await cell.getAttribute('data-value')), value);
  }
  // handled summed, AHT weighted by handled: 08:00 (120*8 + 90*4) / 12 = 110
  const at = (time, vt) => page.locator(`[data-testid="results-row"][data-local="${DAY}T${time}+01:00"] [data-value-type="${vt}"]`);
  assert.equal((await at('08:00', 'handled').textContent()).trim(), '12');
  assert.equal((await at('08:00', 'aht').textContent()).trim(), '110');
  assert.equal((await at('08:15', 'aht').textContent()).trim(), '91.11'); // (700 + 120) / 9
  assert.equal((await at('08:30', 'aht').textContent()).trim(), '110'); // 101 only
  // local time with the offset, grouped by day
  assert.match(await page.locator(`[data-testid="results-row"][data-local="${DAY}T08:00+01:00"] th`).textContent(),
    /2026-11-24 08:00–08:15\s+\+01:00/);
  await page.locator(`[data-testid="results-day"][data-day="${DAY}"]`).waitFor();

  // the chart: offered first, drawn by uPlot on a canvas, other types on choice
  const chart = page.locator('#results-chart');
  await chart.waitFor();
  assert.equal(await chart.getAttribute('data-value-type'), 'offered');
  await chart.locator('canvas').first().waitFor();
  const box = await chart.boundingBox();
  assert.ok(box.width > 600 && box.height > 200, `chart size ${box.width}x${box.height}`);
  await page.selectOption('#results-chart-type', 'aht');
  await page.locator('#results-chart[data-value-type="aht"] canvas').waitFor();
  await page.selectOption('#results-chart-type', 'offered');
  await page.locator('#results-chart[data-value-type="offered"] canvas').waitFor();
  // the API answers the same
  const answer = await apiGet(`/api/v1/results?queue=PIPE&from=${DAY}&to=${DAY}&value_type=offered`);
  assert.deepEqual(Object.fromEntries(answer.items.map((i) => [i.local.slice(11, 16), i.value])), OFFERED);
  await shot('results');

  // more than 62 days: said at the field, not asked
  const before = reads.length;
  await page.fill('#results-from', '2026-01-01');
  const tooMany = page.locator('#results-to-error');
  await tooMany.waitFor();
  assert.equal(await tooMany.getAttribute('data-field'), 'to');
  await shot('results-range-error');
  await page.fill('#results-from', DAY);
  await page.locator('#results-to-error').waitFor({ state: 'detached' });
  await page.locator(`[data-testid="results-row"][data-local="${DAY}T08:30+01:00"]`).waitFor();
  // every results read since the bad range is for the corrected one: the bad range was not asked
  const asked = reads.slice(before).filter((u) => u.startsWith('/api/v1/results'));
  assert.ok(asked.length > 0);
  assert.deepEqual(asked.filter((u) => u.includes('2026-01-01')), [], 'the range error is not sent to the daemon');
});

test('the three pages in German and French, and on a phone', async () => {
  for (const lang of ['de', 'fr']) {
    await page.selectOption('#lang-select', lang);
    await waitText('h1', dict[lang]['results.title']);
    await waitText('#nav-runs', dict[lang]['nav.runs']);
    await waitText('#nav-mappings', dict[lang]['nav.mappings']);
  }
  await gotoPage('runs', 'runs-page');
  await page.locator(`[data-testid="run-row"][data-id="${runId}"] [data-testid="run-open"]`).click();
  await page.locator('#run-detail[data-state="done"] [data-testid="log-line"]').first().waitFor();
  await waitText('#run-detail [data-testid="run-state"]', dict.fr['runs.state.done']);
  await shot('runs-fr');
  await page.selectOption('#lang-select', 'de');
  await gotoPage('mappings', 'mappings-page');
  await page.locator('[data-testid="mapping-row"][data-value-type="offered"]').waitFor();
  await page.locator('[data-testid="mapping-row"][data-value-type="offered"] [data-testid="mapping-edit"]').click();
  await page.locator('#mapping-form').waitFor();
  await shot('mappings-de');
  await page.click('#mapping-cancel');
  await page.selectOption('#lang-select', 'en');
  await waitText('h1', en['mappings.title']);

  await page.setViewportSize({ width: 390, height: 844 });
  await gotoPage('runs', 'runs-page');
  await page.locator(`[data-testid="run-row"][data-id="${runId}"]`).waitFor();
  await noOverflow('the runs page');
  await shot('narrow-runs');
  await gotoPage('mappings', 'mappings-page');
  await page.locator('[data-testid="mapping-row"][data-value-type="offered"] [data-testid="mapping-edit"]').click();
  await page.locator('#mapping-form').waitFor();
  await noOverflow('the mapping form');
  await shot('narrow-mappings');
  await page.click('#mapping-cancel');
  await gotoPage('results', 'results-page');
  await page.fill('#results-from', DAY);
  await page.fill('#results-to', DAY);
  await page.locator(`[data-testid="results-row"][data-local="${DAY}T08:30+01:00"]`).waitFor();
  await page.locator('#results-chart canvas').first().waitFor();
  await noOverflow('the results page');
  await shot('narrow-results');
  await page.setViewportSize({ width: 1280, height: 720 });
});

test('a viewer reads runs, mappings and results without controls', async () => {
  await signOut();
  await signIn(VIEWER);
  const from = sent.length;
  await gotoPage('runs', 'runs-page');
  await page.locator('[data-testid="read-only-note"]').waitFor();
  assert.equal(await page.locator('#run-start-form').count(), 0);
  const row = page.locator(`[data-testid="run-row"][data-id="${runId}"]`);
  await row.locator('[data-testid="run-open"]').click();
  await page.locator('#run-detail [data-testid="log-line"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="run-cancel"], [data-testid="run-row-cancel"]').count(), 0);

  await gotoPage('mappings', 'mappings-page');
  await page.locator('[data-testid="mapping-row"][data-value-type="offered"]').waitFor();
  await page.locator('[data-testid="read-only-note"]').waitFor();
  assert.equal(await page.locator('#mapping-new, [data-testid="mapping-edit"], [data-testid="mapping-delete"], [data-testid="unmapped-map"]').count(), 0);
  await shot('viewer-mappings');

  await gotoPage('results', 'results-page');
  await page.fill('#results-from', DAY);
  await page.fill('#results-to', DAY);
  await page.locator(`[data-testid="results-row"][data-local="${DAY}T08:00+01:00"] [data-value-type="offered"]`)
    .filter({ hasText: exact('15') }).waitFor();
  await shot('viewer-results');
  assert.deepEqual(sent.slice(from).filter((r) => !r.url.startsWith('/api/v1/auth/')), [],
    'the viewer sent no change');
});

test('deleting a mapping asks first', async () => {
  await signOut();
  await signIn(OPERATOR);
  await gotoPage('mappings', 'mappings-page');
  // AHT depends on handled; delete AHT, then the weight is free to go
  const aht = page.locator('[data-testid="mapping-row"][data-value-type="aht"]');
  await aht.locator('[data-testid="mapping-delete"]').click();
  await aht.locator('[data-testid="mapping-delete-question"]').waitFor();
  await aht.locator('[data-testid="mapping-delete-confirm"]').click();
  await aht.waitFor({ state: 'detached' });
  const left = (await apiGet(`/api/v1/mappings?queue_id=${queue.id}`)).items.map((m) => m.value_type).sort();
  assert.deepEqual(left, ['handled', 'offered']);
});

/** A CSV export big enough to keep a run busy for a few seconds (written in chunks). */
async function writeBigCsv(file, rows) {
  const out = fs.createWriteStream(file);
  const pad = (n) => String(n).padStart(2, '0');
  out.write('Split;Date;Time;Offered;Handled;AHT\n');
  for (let i = 0; i < rows;) {
    const chunk = [];
    for (let k = 0; k < 10000 && i < rows; k++, i++) {
      const slot = Math.floor(i / 400) % 96;
      chunk.push(`${1000 + (i % 400)};${pad(1 + (Math.floor(i / 38400) % 28))}.11.2026;`
        + `${pad(Math.floor(slot / 4))}:${pad((slot % 4) * 15)};1;1;1\n`);
    }
    if (!out.write(chunk.join(''))) {
      await new Promise((resolve) => out.once('drain', resolve));
    }
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

test('a running and a queued run are cancelled from the console', async () => {
  // one run of a source at a time: while the first reads a big export, the second waits
  const big = await makeTempDir('acdlink-e2e-big-');
  try {
    await writeBigCsv(path.join(big, 'big.csv'), 1500000);
    const s = await api.post('/api/v1/sources', {
      name: 'Big CSV', kind: 'csv', time_zone: 'UTC',
      settings: {
        csv: { folder: big, separator: ';', date_order: 'dmy' },
        columns: { queue: 'Split', date: 'Date', time: 'Time' },
        metrics: { offered: 'Offered' },
        // expressions on every row keep the import busy long enough to be cancelled by hand
        // (the plain import reads these rows in a few seconds)
        derived: [{ name: 'calls', expression: 'Offered + Handled + AHT' }],
        filter: "calls >= 0 AND Split <> ''",
      },
    });
    assert.equal(s.status, 201, s.text);
    const period = { source_id: s.body.id, from: '2026-11-01', to: '2026-11-30' };
    const a = (await api.post('/api/v1/runs', period)).body;
    const b = (await api.post('/api/v1/runs', period)).body;
    await gotoPage('runs', 'runs-page');
    const rowA = page.locator(`[data-testid="run-row"][data-id="${a.id}"]`);
    const rowB = page.locator(`[data-testid="run-row"][data-id="${b.id}"]`);
    await rowB.waitFor();
    assert.equal(await rowB.getAttribute('data-state'), 'queued', 'the second run waits for the first');

    // the running one from its row: "stopping" until the daemon says cancelled
    const from = sent.length;
    await rowA.locator('[data-testid="run-row-cancel"]').click();
    await rowA.locator('[data-testid="run-row-cancel-question"]').waitFor();
    await shot('cancel-question');
    await rowA.locator('[data-testid="run-row-cancel-confirm"]').click();
    await page.locator(`[data-testid="run-row"][data-id="${a.id}"][data-state="cancelled"]`).waitFor({ timeout: 30000 });

    // the other one from its details (queued still, or running by now)
    await rowB.locator('[data-testid="run-open"]').click();
    await page.locator(`#run-detail[data-run-id="${b.id}"]`).waitFor();
    await page.locator('#run-detail [data-testid="run-cancel"]').click();
    await page.locator('#run-detail [data-testid="run-cancel-confirm"]').click();
    await page.locator(`#run-detail[data-run-id="${b.id}"][data-state="cancelled"]`).waitFor({ timeout: 30000 });
    await waitText('#run-detail [data-testid="run-state"]', en['runs.state.cancelled']);
    await page.locator(`[data-testid="run-row"][data-id="${b.id}"][data-state="cancelled"]`).waitFor();
    assert.equal(await page.locator('[data-testid="run-cancel"], [data-testid="run-stopping"]').count(), 0);
    await shot('cancelled');

    assert.deepEqual(sentSince(from, 'POST', /\/cancel$/).map((r) => r.url),
      [`/api/v1/runs/${a.id}/cancel`, `/api/v1/runs/${b.id}/cancel`]);
    for (const id of [a.id, b.id]) {
      assert.equal((await apiGet(`/api/v1/runs/${id}`)).state, 'cancelled');
    }
  } finally {
    await fsp.rm(big, { recursive: true, force: true });
  }
});

test('no script errors and no CSP violations on the way', () => {
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  assert.deepEqual(cspViolations, [], 'CSP violations');
});
