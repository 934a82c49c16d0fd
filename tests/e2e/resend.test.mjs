// Browser test of the day-2 tasks on targets and sources: a target added after the data was
// imported is offered its history ("send the last N days") and receives it; "Send history" on a
// target's row sends a chosen period; Deliveries shows each resend's progress until nothing
// remains. Real daemon, real TLS to a strict injixo receiver, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import { contactPipeline, diffApplied, expectedInjixo, line, runDays, writeCsv } from '../lib/pipeline.mjs';
import { startWfm } from '../lib/wfm.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;
const tEn = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href)).translator('en');

/** Today plus n days as YYYY-MM-DD in UTC (the browser runs in UTC). */
function day(n) {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const YESTERDAY = day(-1);
const OLD = day(-20);
let daemon;
let api;
let wfm;
let folder;
let source;
let context;
let page;
let profileDir;
const recent = [];
const old = [];
const pageErrors = [];
const cspViolations = [];

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `resend-${name}.png`), fullPage: true });
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN], args: ['--upload-backoff-base', '1', '--upload-backoff-cap', '1'] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  wfm = await startWfm({ kind: 'injixo', apiKey: 'e2e-api-key' });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-e2e-resend-'));
  ({ source } = await contactPipeline(api, folder, ['701']));
  recent.push(line('701', YESTERDAY, '08:00', 12, 10, 200), line('701', YESTERDAY, '08:15', 7, 7, 150));
  old.push(line('701', OLD, '09:00', 5, 4, 90));
  writeCsv(folder, 'recent.csv', recent);
  writeCsv(folder, 'old.csv', old);
  assert.equal((await runDays(api, source.id, OLD, YESTERDAY)).state, 'done');
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
});

after(async () => {
  await context?.close().catch(() => {});
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  await daemon?.stop();
  await wfm?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

test('a new target is offered the last days and receives them; Deliveries shows the progress', async () => {
  await page.click('#nav-targets');
  await page.locator('[data-testid="targets-page"]').waitFor();
  await page.fill('#target-create-name', 'New WFM');
  await page.selectOption('#target-create-connector', 'injixo-api');
  await page.fill('#target-create-base_url', wfm.baseUrl);
  await page.fill('#target-create-icid', String(wfm.icid));
  await page.fill('#target-create-ca_file', wfm.pki.caFile);
  await page.fill('#target-create-secret', wfm.apiKey);
  await page.click('#target-create-submit');
  const offer = page.locator('[data-testid="resend-offer"]');
  await offer.waitFor();
  assert.match(await offer.textContent(), /New WFM/);
  await page.fill('[data-testid="resend-offer-days"]', '3');
  assert.equal((await page.locator('[data-testid="resend-offer-send"]').textContent()).trim(),
    tEn('resend.offer_send', { n: 3 }));
  await shot('offer');
  await page.click('[data-testid="resend-offer-send"]');
  const notice = page.locator('[data-testid="targets-notice"]');
  await until(async () => /2 intervals/.test(await notice.textContent()), 'the queued notice');
  assert.equal(await offer.count(), 0);
  // delivered: yesterday, not the day 20 days ago
  await until(async () => diffApplied(wfm.applied, expectedInjixo(recent)).length === 0, 'yesterday at the WFM');
  assert.equal(wfm.applied.size, 2);
  await page.click('#nav-deliveries');
  const row = page.locator('[data-testid="resend-row"]').first();
  await row.waitFor();
  await until(async () => {
    if (await page.locator('[data-testid="resend-row"][data-done="true"]').count() === 1) {
      return true;
    }
    await page.click('#deliveries-refresh');
    return false;
  }, 'the resend done on Deliveries');
  assert.equal((await row.locator('[data-testid="resend-queued"]').textContent()).trim(), '2');
  assert.equal((await row.locator('[data-testid="resend-sent"]').textContent()).trim(), '2');
  assert.equal((await row.locator('[data-testid="resend-remaining"]').textContent()).trim(), '0');
  await shot('deliveries');
});

test('"Send history" on a target sends a chosen period', async () => {
  await page.click('#nav-targets');
  const row = page.locator('[data-testid="target-row"][data-name="New WFM"]');
  await row.locator('[data-testid="target-resend"]').click();
  await page.fill('[data-testid="resend-from"]', OLD);
  await page.fill('[data-testid="resend-to"]', OLD);
  await page.uncheck('[data-testid="resend-agent_states"]');
  await page.click('[data-testid="resend-submit"]');
  await until(async () => /Queued 1 interval and/.test(await page.locator('[data-testid="targets-notice"]').textContent()), 'the queued notice');
  await until(async () => diffApplied(wfm.applied, expectedInjixo([...recent, ...old])).length === 0, 'the old day at the WFM');
  assert.deepEqual(wfm.errors, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('the run form re-reads files imported before when asked', async () => {
  await page.click('#nav-runs');
  await page.selectOption('#run-source', String(source.id));
  await page.fill('#run-from', YESTERDAY);
  await page.fill('#run-to', YESTERDAY);
  assert.equal(await page.isChecked('#run-reread'), false);
  assert.equal((await page.locator('label:has(#run-reread) span').textContent()).trim(), en['runs.reread']);
  await page.check('#run-reread');
  await page.click('#run-start');
  const detail = page.locator('#run-detail[data-state="done"]');
  await detail.waitFor({ timeout: 30000 });
  assert.equal((await detail.locator('[data-testid="run-reread"]').textContent()).trim(), en['common.yes']);
  assert.equal(Number(await detail.locator('[data-count="files_read"]').textContent()), 2);
  assert.equal(Number(await detail.locator('[data-count="files_skipped"]').textContent()), 0);
  await shot('reread');
  assert.deepEqual(pageErrors, []);
});

test('saving settings that change how files are read offers to re-read the days imported', async () => {
  await page.click('#nav-sources');
  const row = page.locator(`[data-testid="source-row"][data-name="${source.name}"]`);
  await row.locator('[data-testid="source-edit"]').click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
  const names = await page.locator('[data-testid="metric-name"]').evaluateAll((els) => els.map((e) => e.value));
  const aht = names.indexOf('aht');
  assert.equal(await page.inputValue(`#source-metric-column-${aht}`), 'AHT');
  await page.fill(`#source-metric-column-${aht}`, '7'); // the same column, by number
  await page.click('#source-submit');
  const offer = page.locator('[data-testid="reread-offer"]');
  await offer.waitFor();
  assert.match(await offer.textContent(), new RegExp(source.name));
  await page.fill('#reread-from', OLD);
  await page.fill('#reread-to', YESTERDAY);
  await page.click('[data-testid="reread-offer-run"]');
  await until(async () => /re-reads/.test(await page.locator('[data-testid="sources-notice"]').textContent()), 'the queued notice');
  const runs = await api.get(`/api/v1/runs?source_id=${source.id}&limit=1`);
  const run = runs.body.items[0];
  assert.deepEqual([run.reread, run.from, run.to], [true, OLD, YESTERDAY]);
  assert.equal(await offer.count(), 0);
  assert.deepEqual(pageErrors, []);
});
