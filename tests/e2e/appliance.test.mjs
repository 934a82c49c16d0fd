// Browser test of the appliance pages of the console: Backup (download a real archive, see it
// listed) and Xlink migration (upload an Xlink installation's files, check, import, read the
// report), in English, German and French. Real daemon, real TLS, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}

let daemon;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'Europe/Berlin', pageErrors, cspViolations,
  }));
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="home-page"]').waitFor();
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
});

test('the backup page downloads an archive that tar lists, then lists the backup', async () => {
  await page.click('#nav-backup');
  await page.locator('[data-testid="backup-page"]').waitFor();
  await waitText('h1', dict.en['backup.title']);
  await waitText('#backup-table .empty', dict.en['backup.none']);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#backup-download'),
  ]);
  assert.match(download.suggestedFilename(), /^acdlink-backup-\d{8}-\d{6}\.tar$/);
  const file = await download.path();
  const listing = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(listing, ['manifest.json', 'acdlink.db', 'secret.key', 'tls/cert.pem', 'tls/key.pem']);
  assert.ok(fs.statSync(file).size > 4096);
  // the page reloads the list a moment after the click
  await page.locator('[data-testid="backup-row"]').first().waitFor({ timeout: 10000 });
  assert.equal(await page.locator('[data-testid="backup-row"]').count(), 1);
});

test('the backup page follows the language', async () => {
  for (const lang of ['de', 'fr', 'en']) {
    await page.selectOption('#lang-select', lang);
    await waitText('h1', dict[lang]['backup.title']);
    await waitText('#backup-download', dict[lang]['backup.download']);
    await waitText('#nav-backup', dict[lang]['nav.backup']);
  }
});

test('the Xlink page checks the uploaded files, then imports them', async () => {
  const fixtures = path.join(REPO_ROOT, 'tests', 'fixtures', 'xlink');
  await page.click('#nav-xlink');
  await page.locator('[data-testid="xlink-page"]').waitFor();
  await waitText('h1', dict.en['xlink.title']);
  assert.equal(await page.isDisabled('#xlink-check'), true, 'nothing to check before files are chosen');
  await page.setInputFiles('#xlink-files', fs.readdirSync(fixtures).map((f) => path.join(fixtures, f))
    .filter((f) => fs.statSync(f).isFile()));
  await page.fill('#xlink-zone', 'Europe/Berlin');
  await page.click('#xlink-check');
  const report = page.locator('#xlink-report');
  await report.waitFor();
  assert.equal(await report.getAttribute('data-dry-run'), 'true');
  await waitText('#xlink-report h2', dict.en['xlink.report_dry']);
  const all = await page.locator('[data-testid="xlink-item"]').count();
  assert.ok(all > 50, `only ${all} report lines`);
  const actions = await page.locator('[data-testid="xlink-action"]').allTextContents();
  assert.ok(actions.some((a) => a.includes("password of source 'Universal ACD'")), actions.join('\n'));
  // one collapsible block per section in file order, headed by its outcome
  const blocks = page.locator('[data-testid="xlink-block"]');
  const sections = await blocks.evaluateAll((els) => els.map((e) => `${e.dataset.section}:${e.dataset.outcome}`));
  const i = (s) => sections.indexOf(s);
  assert.ok(i('GENERAL:settings') >= 0 && i('CSV Hotline:not_converted') > i('GENERAL:settings')
    && i('Universal ACD:created_disabled') > i('CSV Hotline:not_converted')
    && i('Avaya CMS:created') > i('Universal ACD:created_disabled'), sections.join(', '));
  const general = page.locator('[data-testid="xlink-block"][data-section="GENERAL"]');
  assert.equal(await general.evaluate((e) => e.open), false, 'a block without a to-do starts closed');
  await general.locator('summary').click();
  assert.equal(await general.evaluate((e) => e.open), true);
  await general.locator('[data-testid="xlink-item"][data-key="WriteAlways"]').waitFor();
  const hotline = page.locator('[data-testid="xlink-block"][data-section="CSV Hotline"]');
  await hotline.locator('[data-testid="xlink-source"][data-name="CSV Hotline"][data-state="not_made"]')
    .waitFor();
  const uni = page.locator('[data-testid="xlink-block"][data-section="Universal ACD"]');
  assert.equal(await uni.evaluate((e) => e.open), true, 'a block with a to-do starts open');
  assert.match(await uni.locator('[data-testid="xlink-sql"]').first().textContent(), /FROM CallData c WHERE/);
  assert.match(await uni.locator('[data-testid="xlink-block-todo"]').first().textContent(), /AVG/);
  // the filter shows one status only
  await page.selectOption('#xlink-filter', 'not_convertible');
  const rows = page.locator('[data-testid="xlink-item"]');
  const n = await rows.count();
  assert.ok(n > 0 && n < all);
  for (let i = 0; i < n; i++) {
    assert.equal(await rows.nth(i).getAttribute('data-status'), 'not_convertible');
  }
  assert.ok(!(await page.content()).includes('hunter2-Canary'), 'a password on the page');
  const api = await login(daemon, ADMIN.name, ADMIN.password);
  assert.equal((await api.get('/api/v1/sources')).body.items.length, 0, 'the check changed something');

  await page.click('#xlink-import');
  await page.locator('#xlink-report[data-dry-run="false"]').waitFor();
  await waitText('#xlink-report h2', dict.en['xlink.report_done']);
  await page.locator('[data-testid="xlink-created"][data-kind="sources"]').waitFor();
  const names = (await api.get('/api/v1/sources')).body.items.map((s) => s.name).sort();
  // the CSV sections' folders (D:\ACD\...) are not folders of this machine: not made; the
  // Avaya CMS standard interface becomes a source with the CMS preset
  assert.deepEqual(names, ['Avaya CMS', 'Universal ACD', 'Universal ACD agents']);
  for (const lang of ['de', 'fr', 'en']) {
    await page.selectOption('#lang-select', lang);
    await waitText('h1', dict[lang]['xlink.title']);
    await waitText('#xlink-import', dict[lang]['xlink.import']);
  }
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
