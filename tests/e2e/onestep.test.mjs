// Browser test of the way from a discovery to WFM queues with computed results: on the Sources
// page a CSV source of four splits is discovered, all four are picked, and one confirmed step
// makes four WFM queues with offered, handled, abandoned and AHT each (16 mappings) and imports
// the day. The test counts every action a person makes (clicks and key entries) from the
// Sources page until the 16 mappings have results, and requires fewer than 15. Then the other
// shape (several external queues into one WFM queue), copying a queue's mappings to another
// queue, and the external-queue suggestions of the mapping form.
//
// Design note: the same harness as the other console tests (one daemon and one browser for the
// file, TLS pinned by the certificate's public key, steps in order on one page). Every click
// and key entry goes through act(), which counts it; what arrived is checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeConsoleTest, exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const SPLITS = { 101: 'Sales DE', 102: 'Sales AT', 201: 'Service DE', 202: 'Service AT' };
const IDS = ['SALES_DE', 'SALES_AT', 'SERVICE_DE', 'SERVICE_AT'];
const TYPES = ['offered', 'handled', 'abandoned', 'aht'];
const TIMES = ['08:00', '08:15', '08:30', '08:45', '09:00', '09:15', '09:30', '09:45'];

/** The file's values: split s, interval k -> [offered, handled, abandoned, aht]. */
function values(split, k) {
  const offered = 3 + ((Number(split) + 5 * k) % 11);
  const handled = Math.max(1, offered - 1 - (k % 3));
  return [offered, handled, offered - handled, 60 + ((Number(split) * 7 + k * 13) % 200)];
}

const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let source;
const pageErrors = [];
const cspViolations = [];
const sent = [];
let actions = 0;

/** One action of the person at the console: a click or a key entry (counted). */
const act = {
  click: async (selector) => {
    actions += 1;
    await page.click(selector);
  },
  fill: async (selector, text) => {
    actions += 1;
    await page.fill(selector, text);
  },
};

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-onestep-${name}.png`), fullPage: true });
}

async function apiGet(p) {
  const r = await api.get(p);
  assert.equal(r.status, 200, `${p}: ${r.status} ${r.text}`);
  return r.body;
}

async function queueByIdentifier(identifier) {
  return (await apiGet('/api/v1/queues?limit=500')).items.find((q) => q.identifier === identifier);
}

/** { value_type: { 'HH:MM': value } } of a WFM queue on DAY. */
async function results(identifier) {
  const body = await apiGet(`/api/v1/results?queue=${encodeURIComponent(identifier)}&from=${DAY}&to=${DAY}`);
  const out = {};
  for (const x of body.items) {
    (out[x.value_type] ||= {})[x.local.slice(11, 16)] = x.value;
  }
  return out;
}

/** What the mappings of several splits must give: sums, AHT weighted by handled. */
function expected(splits) {
  const out = Object.fromEntries(TYPES.map((v) => [v, {}]));
  TIMES.forEach((time, k) => {
    const rows = splits.map((s) => values(s, k));
    const handled = rows.reduce((a, r) => a + r[1], 0);
    out.offered[time] = rows.reduce((a, r) => a + r[0], 0);
    out.handled[time] = handled;
    out.abandoned[time] = rows.reduce((a, r) => a + r[2], 0);
    out.aht[time] = rows.reduce((a, r) => a + r[3] * r[1], 0) / handled;
  });
  return out;
}

function close(actual, want, what) {
  for (const type of TYPES) {
    for (const time of TIMES) {
      const a = actual[type] && actual[type][time];
      assert.ok(typeof a === 'number' && Math.abs(a - want[type][time]) < 1e-9,
        `${what} ${type} ${time}: ${a} != ${want[type][time]}`);
    }
  }
}

before(async () => {
  daemon = await startDaemon({ users: [OPERATOR] });
  api = await login(daemon, OPERATOR.name, OPERATOR.password);
  folder = await makeTempDir('acdlink-e2e-onestep-');
  const lines = ['Split;SplitName;Date;Time;CallsOffered;ACDCalls;AbnCalls;AHT'];
  for (const split of Object.keys(SPLITS)) {
    TIMES.forEach((time, k) => lines.push([split, SPLITS[split], DAY, time, ...values(split, k)].join(';')));
  }
  await fsp.writeFile(path.join(folder, 'hsplit_20261124.csv'), `${lines.join('\r\n')}\r\n`);
  const s = await api.post('/api/v1/sources', {
    name: 'ACD splits', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'SplitName', date: 'Date', time: 'Time' },
      metrics: { offered: 'CallsOffered', handled: 'ACDCalls', abandoned: 'AbnCalls', aht: 'AHT' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;

  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'Europe/Berlin', pageErrors, cspViolations,
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
  await page.goto(`${daemon.url}/#/login`);
  await page.locator('[data-testid="login-page"]').waitFor();
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await waitText('#current-user', OPERATOR.name);
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

test('from the Sources page to 4 WFM queues x 4 value types with results in fewer than 15 actions', async (t) => {
  await page.click('#nav-sources'); // the starting point, not counted
  await page.locator(`[data-testid="source-row"][data-name="${source.name}"]`).waitFor();
  actions = 0;
  const t0 = Date.now();
  const lap = {};

  await act.click(`[data-testid="source-row"][data-name="${source.name}"] [data-testid="source-preview-open"]`);
  await act.fill('#preview-day', DAY);
  await act.click('#preview-discover');
  await page.locator('[data-testid="discovery-setup"]').waitFor({ timeout: 30000 });
  lap.discovered = Date.now() - t0;
  // proposals: the metrics become the value types of the same name; identifiers from names
  for (const [i, type] of TYPES.entries()) {
    const row = page.locator(`[data-testid="setup-metric"][data-metric="${type}"] select`);
    await until(async () => (await row.inputValue()) === type, `metric ${type} proposed as ${type} (${i})`);
  }
  await act.click('#setup-all');
  const proposed = await page.locator('[data-testid="setup-identifier"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(proposed, IDS);
  await act.click('#setup-create');
  await page.locator('[data-testid="setup-summary"] li').nth(3).waitFor();
  await shot('confirm');
  await act.click('#setup-confirm');
  await page.locator('[data-testid="setup-done"]').waitFor({ timeout: 30000 });
  lap.created = Date.now() - t0;
  assert.equal(await page.locator('[data-testid="setup-warnings"]').count(), 0, 'every input is known');

  const bulk = sent.filter((r) => r.url === '/api/v1/mappings/bulk');
  assert.equal(bulk.length, 1);
  assert.deepEqual(bulk[0].body.queues.map((q) => [q.identifier, q.name, q.ext_queues]),
    Object.entries(SPLITS).map(([split, name], i) => [IDS[i], name, [split]]));
  assert.deepEqual(bulk[0].body.mappings.map((m) => `${m.metric}>${m.value_type}`).sort(),
    TYPES.map((v) => `${v}>${v}`).sort());
  assert.deepEqual(sent.filter((r) => r.url === '/api/v1/runs').map((r) => r.body),
    [{ source_id: source.id, from: DAY, to: DAY }]);

  // the import runs; the 16 mappings then have their results
  const mappings = (await apiGet('/api/v1/mappings?limit=500')).items;
  assert.equal(mappings.length, 16);
  const splits = Object.keys(SPLITS);
  await until(async () => {
    for (const id of IDS) {
      const r = await results(id);
      if (TYPES.some((v) => Object.keys(r[v] || {}).length !== TIMES.length)) {
        return false;
      }
    }
    return true;
  }, 'results of the 16 mappings');
  lap.results = Date.now() - t0;
  for (const [i, id] of IDS.entries()) {
    close(await results(id), expected([splits[i]]), id);
  }
  const q = await queueByIdentifier('SALES_DE');
  assert.equal(q.time_zone, 'Europe/Berlin');
  assert.equal(q.interval_minutes, 15);

  await act.click('#setup-open-mappings');
  await page.locator('[data-testid="mapping-row"]').nth(3).waitFor();
  assert.equal(await page.locator('[data-testid="mapping-row"]').count(), 4);
  await shot('mappings');

  t.diagnostic(`actions from the Sources page to 16 mappings with results: ${actions}`);
  t.diagnostic(`ms from the first action: discovered ${lap.discovered}, created ${lap.created}, results ${lap.results}`);
  console.log(`# onestep: ${actions} actions (clicks + key entries) for 4 queues x 4 value types`);
  assert.ok(actions < 15, `${actions} actions`);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('several external queues into one WFM queue, and an identifier that is taken', async () => {
  await page.click('#nav-sources');
  await page.click(`[data-testid="source-row"][data-name="${source.name}"] [data-testid="source-preview-open"]`);
  await page.fill('#preview-day', DAY);
  await page.click('#preview-discover');
  await page.locator('[data-testid="discovery-setup"]').waitFor({ timeout: 30000 });
  // the four splits are mapped now: marked, and "all" would leave them out
  await page.locator('[data-testid="setup-mapped"]').nth(3).waitFor();
  assert.equal(await page.locator('[data-testid="setup-mapped"]').count(), 4);
  await page.click('#setup-shape-one');
  await page.click('[data-testid="setup-queue"][data-ext-queue="101"] input[type="checkbox"]');
  await page.click('[data-testid="setup-queue"][data-ext-queue="102"] input[type="checkbox"]');
  assert.equal(await page.inputValue('#setup-one-identifier'), 'SALES_DE');
  await page.click('#setup-import'); // the day is staged already
  // a taken identifier: nothing is made, the error is shown at the queue
  await page.click('#setup-create');
  await page.click('#setup-confirm');
  await page.locator('#setup-one-error').waitFor();
  assert.match(await page.locator('#setup-one-error').textContent(), /SALES_DE/);
  assert.equal((await apiGet('/api/v1/mappings?limit=500')).items.length, 16);

  await page.fill('#setup-one-identifier', 'SALES');
  await page.fill('#setup-one-name', 'Sales');
  await page.click('#setup-create');
  await page.click('#setup-confirm');
  await page.locator('[data-testid="setup-done"]').waitFor();
  const last = sent.filter((r) => r.url === '/api/v1/mappings/bulk').pop();
  assert.deepEqual(last.body.queues, [{ identifier: 'SALES', name: 'Sales', ext_queues: ['101', '102'] }]);
  assert.equal(sent.filter((r) => r.url === '/api/v1/runs').length, 1, 'no second import');
  close(await results('SALES'), expected(['101', '102']), 'SALES');
  assert.deepEqual(pageErrors, []);
});

test('a queue\'s mappings are copied to another queue, its external queue proposed by name', async () => {
  const from = await queueByIdentifier('SALES_DE');
  const target = await api.post('/api/v1/queues', {
    identifier: 'SALES_AT_2', name: 'Sales AT', time_zone: 'Europe/Berlin', interval_minutes: 15,
  });
  assert.equal(target.status, 201, target.text);
  await page.goto(`${daemon.url}/#/mappings/${from.id}`);
  await page.locator('[data-testid="mapping-row"]').nth(3).waitFor();
  await page.click('#mapping-copy');
  await page.locator('[data-testid="mappings-copy"]').waitFor();
  await page.click(`#copy-target-${target.body.id}`);
  const rename = page.locator('[data-testid="copy-target"][data-identifier="SALES_AT_2"] [data-testid="copy-rename"]');
  assert.equal(await rename.inputValue(), '102');
  await page.click('#copy-submit');
  await page.click('#copy-confirm');
  await page.locator('[data-testid="mappings-notice"]').waitFor();
  const copy = sent.filter((r) => r.url === `/api/v1/queues/${from.id}/copy-mappings`);
  assert.deepEqual(copy.map((r) => r.body), [{ to: [{ queue_id: target.body.id, ext_queues: { 101: '102' } }] }]);
  const made = (await apiGet(`/api/v1/mappings?queue_id=${target.body.id}`)).items;
  assert.deepEqual(made.map((m) => m.value_type).sort(), [...TYPES].sort());
  assert.ok(made.every((m) => m.inputs.length === 1 && m.inputs[0].ext_queue === '102'));
  close(await results('SALES_AT_2'), expected(['102']), 'SALES_AT_2');
  assert.deepEqual(pageErrors, []);
});

test('the external-queue field of a mapping offers staged and discovered queues', async () => {
  // another day holds a split that was discovered but never imported
  await fsp.writeFile(path.join(folder, 'hsplit_20261125.csv'),
    'Split;SplitName;Date;Time;CallsOffered;ACDCalls;AbnCalls;AHT\r\n301;Back office;2026-11-25;08:00;1;1;0;30\r\n');
  await page.click('#nav-sources');
  await page.click(`[data-testid="source-row"][data-name="${source.name}"] [data-testid="source-preview-open"]`);
  await page.fill('#preview-day', '2026-11-25');
  await page.click('#preview-discover');
  await page.locator('[data-testid="setup-queue"][data-ext-queue="301"]').waitFor({ timeout: 30000 });
  const empty = await api.post('/api/v1/queues', { identifier: 'EMPTY', name: 'Empty', time_zone: 'Europe/Berlin' });
  assert.equal(empty.status, 201, empty.text);
  await page.goto(`${daemon.url}/#/mappings/${empty.body.id}`);
  await page.click('#mapping-new');
  await page.selectOption('#mapping-input-source-0', String(source.id));
  const options = await until(async () => {
    const list = await page.locator('#mapping-input-queue-0-list option')
      .evaluateAll((els) => els.map((e) => [e.value, e.textContent.trim()]));
    return list.length >= 5 ? list : null;
  }, 'the suggestions of the external-queue field');
  const values = Object.fromEntries(options);
  for (const split of ['101', '102', '201', '202']) { // staged and mapped already
    assert.equal(values[split], SPLITS[split], split);
  }
  assert.equal(values['301'], 'Back office'); // discovered only
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
