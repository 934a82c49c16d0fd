// Browser test of delivery: an operator-admin adds an injixo-api target in the console, tests
// its connection, imports a day and sees the batch delivered on the Deliveries page; a batch the
// WFM refuses shows as failed with the answer and is sent again from the page. Real daemon, real
// TLS to a strict receiver (tests/lib/wfm.mjs), Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import { contactPipeline, line, runDays, writeCsv } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

/** Refreshes the Deliveries page until cond() holds (each refresh waits for its answer). */
async function refreshUntil(cond, what) {
  await until(async () => {
    if (await cond()) {
      return true;
    }
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/deliveries')),
      page.click('#deliveries-refresh'),
    ]);
    return cond();
  }, what);
}

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;

let daemon;
let api;
let wfm;
let folder;
let source;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `delivery-${name}.png`), fullPage: true });
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN], args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  wfm = await startWfm({ kind: 'injixo', apiKey: 'e2e-api-key' });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-e2e-deliv-'));
  ({ source } = await contactPipeline(api, folder, ['501']));
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
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

test('configure an injixo-api target and test its connection', async () => {
  await page.click('#nav-targets');
  await page.locator('[data-testid="targets-page"]').waitFor();
  await page.fill('#target-create-name', 'Cloud WFM');
  await page.selectOption('#target-create-connector', 'injixo-api');
  await page.fill('#target-create-base_url', wfm.baseUrl);
  await page.fill('#target-create-icid', String(wfm.icid));
  await page.fill('#target-create-ca_file', wfm.pki.caFile);
  await page.fill('#target-create-secret', 'wrong-key');
  await page.click('#target-create-submit');
  const row = page.locator('[data-testid="target-row"][data-name="Cloud WFM"]');
  await row.waitFor();
  assert.equal((await row.locator('[data-testid="target-secret"]').textContent()).trim(), en['targets.secret_set']);
  // a wrong key: the test says so
  await row.locator('[data-testid="target-test"]').click();
  const result = page.locator('[data-testid="target-test-result"]');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-failure'), 'auth');
  assert.match(await result.textContent(), /401/);
  await shot('test-refused');
  // the right key, set by the admin on the row: connected
  await page.fill('[data-testid="target-secret-input"]', wfm.apiKey);
  await page.click('[data-testid="target-secret-save"]');
  await page.locator('[data-testid="target-secret-input"]').filter({ hasText: '' }).waitFor();
  await row.locator('[data-testid="target-test"]').click();
  await page.locator('[data-testid="target-test-result"][data-ok="true"]').waitFor();
  assert.match(await page.locator('[data-testid="target-test-result"]').textContent(), new RegExp(en['targets.test_ok']));
  await shot('test-ok');
});

test('an import is delivered and shows on the Deliveries page', async () => {
  writeCsv(folder, 'a.csv', [line('501', DAY, '08:00', 12, 10, 200), line('501', DAY, '08:15', 7, 7, 150)]);
  assert.equal((await runDays(api, source.id, DAY)).state, 'done');
  await page.click('#nav-deliveries');
  await page.locator('[data-testid="deliveries-page"]').waitFor();
  await refreshUntil(async () => (await page.locator('[data-testid="delivery-row"][data-state="acked"]').count()) > 0, 'a delivered batch');
  const row = page.locator('[data-testid="delivery-row"][data-state="acked"]').first();
  await row.waitFor();
  await page.locator('[data-testid="backlog-summary"]').filter({ hasText: exact(en['deliveries.backlog_empty']) }).waitFor();
  assert.equal(wfm.applied.get(`Q501|${DAY}T08:00:00Z`).offered, 12);
  await row.locator('[data-testid="delivery-details"]').click();
  await page.locator('[data-testid="attempt"][data-outcome="acked"]').waitFor();
  await shot('delivered');
});

test('a refused batch shows as failed with the answer and is sent again', async () => {
  wfm.fail('400');
  writeCsv(folder, 'b.csv', [line('501', DAY, '08:30', 3, 1, 99)]);
  assert.equal((await runDays(api, source.id, DAY)).state, 'done');
  await refreshUntil(async () => (await page.locator('[data-testid="delivery-row"][data-state="failed"]').count()) > 0, 'a failed batch');
  const failed = page.locator('[data-testid="delivery-row"][data-state="failed"]').first();
  await failed.waitFor();
  assert.match(await failed.textContent(), /HTTP 400/);
  await failed.locator('[data-testid="delivery-details"]').click();
  await page.locator('[data-testid="attempt"][data-outcome="failed"] .answer').filter({ hasText: 'rejected on purpose' }).waitFor();
  await shot('failed');
  await failed.locator('[data-testid="delivery-retry"]').click();
  await page.locator('[data-testid="deliveries-notice"]').waitFor();
  const notAcked = page.locator('[data-testid="delivery-row"]:not([data-state="acked"])');
  await refreshUntil(async () => (await notAcked.count()) === 0, 'every batch delivered');
  assert.equal(await notAcked.count(), 0, 'every batch is delivered');
  assert.equal(wfm.applied.get(`Q501|${DAY}T08:30:00Z`).offered, 3);
  await shot('retried');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
