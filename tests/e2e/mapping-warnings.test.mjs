// Browser test of mapping warnings: a mapping whose inputs name a metric and an external queue
// the source never delivered (typos) is listed on the Mappings page with each warning in the
// console's language and the closest known name; correcting it through the API clears them.
// Real daemon, real TLS, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, TEST_ROOT, login, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const dict = {};
for (const lang of ['en', 'de']) {
  dict[lang] = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
}

let daemon;
let api;
let folder;
let context;
let page;
let profileDir;
let source;
let queue;
let mapping;
const pageErrors = [];
const cspViolations = [];

const fill = (s, params) => Object.entries(params).reduce((acc, [k, v]) => acc.replaceAll(`{${k}}`, v), s);
const norm = (s) => s.replace(/\s+/g, ' ').trim();

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = fs.mkdtempSync(path.join(TEST_ROOT, 'acdlink-e2e-warn-'));
  fs.writeFileSync(path.join(folder, 'day.csv'), 'Split;Date;Time;Calls\n301;24.11.2026;08:00;5\n');
  source = (await api.post('/api/v1/sources', {
    name: 'Typo ACD', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Calls' } },
  })).body;
  const run = await api.post('/api/v1/runs', { source_id: source.id, from: '2026-11-24', to: '2026-11-24' });
  assert.equal(run.status, 202);
  await until(async () => ['done', 'failed'].includes((await api.get(`/api/v1/runs/${run.body.id}`)).body.state), 'the import');
  queue = (await api.post('/api/v1/queues', { identifier: 'TYPO', name: 'Typo', time_zone: 'UTC' })).body;
  const m = await api.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'offered', inputs: [{ source_id: source.id, ext_queue: '3O1', metric: 'ofered' }],
  });
  assert.equal(m.status, 201);
  assert.equal(m.body.warnings.length, 2, JSON.stringify(m.body));
  mapping = m.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  if (daemon) {
    await daemon.stop();
  }
  if (folder) {
    await fsp.rm(folder, { recursive: true, force: true });
  }
});

async function openMappings() {
  await page.click('#nav-mappings');
  await page.locator('[data-testid="mappings-page"]').waitFor();
  await page.selectOption('#mapping-queue', String(queue.id));
  await page.locator(`[data-testid="mapping-row"][data-id="${mapping.id}"]`).waitFor();
}

test('the Mappings page lists inputs their source never delivered, with the closest known name', async () => {
  await openMappings();
  const row = page.locator(`[data-testid="mapping-row"][data-id="${mapping.id}"]`);
  const items = row.locator('[data-testid="mapping-warning"]');
  await until(async () => (await items.count()) === 2, 'two warnings');
  const en = dict.en;
  const byCode = {};
  for (let i = 0; i < 2; i++) {
    byCode[await items.nth(i).getAttribute('data-code')] = norm(await items.nth(i).textContent());
  }
  assert.equal(byCode.unknown_ext_queue, norm(`${fill(en['mappings.unknown_ext_queue'], { input: 'p1', source: 'Typo ACD', name: '3O1' })} ${fill(en['mappings.did_you_mean'], { name: '301' })}`));
  assert.equal(byCode.unknown_metric, norm(`${fill(en['mappings.unknown_metric'], { input: 'p1', source: 'Typo ACD', name: 'ofered' })} ${fill(en['mappings.did_you_mean'], { name: 'offered' })}`));
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('corrected inputs clear the warnings', async () => {
  const fixed = await api.patch(`/api/v1/mappings/${mapping.id}`, { inputs: [{ source_id: source.id, ext_queue: '301', metric: 'offered' }] });
  assert.equal(fixed.status, 200);
  assert.deepEqual(fixed.body.warnings, []);
  await page.click('#nav-sources');
  await openMappings();
  const row = page.locator(`[data-testid="mapping-row"][data-id="${mapping.id}"]`);
  await until(async () => (await row.locator('[data-testid="mapping-input-ext"]').textContent()) === '301', 'the corrected input');
  assert.equal(await row.locator('[data-testid="mapping-warning"]').count(), 0);
});
