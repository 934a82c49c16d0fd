// Browser test of console details: on a phone the navigation folds into a menu button (the
// header stays small; the menu opens, leads to a page and closes), and lists that can grow
// (WFM queues, sources, agents) have a search field that filters them. Real daemon, Debian's
// headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { SAMPLE_SOURCE } from '../lib/api.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;

let daemon;
let api;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  for (let i = 1; i <= 12; i++) {
    const id = `Q${String(i).padStart(2, '0')}`;
    const r = await api.post('/api/v1/queues', { identifier: id, name: i % 3 === 0 ? `Billing ${i}` : `Sales ${i}`, time_zone: 'UTC' });
    assert.equal(r.status, 201, r.text);
  }
  for (const name of ['Avaya north', 'Avaya south', 'Genesys west']) {
    const r = await api.post('/api/v1/sources', SAMPLE_SOURCE(name));
    assert.equal(r.status, 201, r.text);
  }
  for (const [identifier, name] of [['ann@example.com', 'Ann Ames'], ['bob@example.com', 'Bob Brown'], ['cyd@example.com', 'Cyd Ames']]) {
    const r = await api.post('/api/v1/agents', { identifier, name });
    assert.equal(r.status, 201, r.text);
  }
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(ADMIN.name) }).waitFor();
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

test('on a phone the navigation is a menu button: small header, opens, leads to a page, closes', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${daemon.url}/#/users`);
  await page.locator('[data-testid="users-page"], h1').first().waitFor();
  assert.equal(await page.locator('#nav-queues').isVisible(), false, 'the links are folded away');
  const toggle = page.locator('#nav-toggle');
  assert.equal(await toggle.isVisible(), true);
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  const closed = await page.locator('.app-header').boundingBox();
  assert.ok(closed.height < 844 * 0.2, `the header takes ${closed.height}px of 844`);
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.locator('#nav-queues').waitFor({ state: 'visible' });
  await page.click('#nav-queues');
  await page.locator('[data-testid="queues-page"]').waitFor();
  await until(async () => !(await page.locator('#nav-queues').isVisible()), 'the menu closes after choosing a page');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
  await page.setViewportSize({ width: 1280, height: 720 });
  assert.equal(await page.locator('#nav-toggle').isVisible(), false, 'a wide screen shows the links');
  assert.equal(await page.locator('#nav-queues').isVisible(), true);
});

test('the WFM queues list has a search field that filters by identifier and name', async () => {
  await page.goto(`${daemon.url}/#/queues`);
  const rows = page.locator('#queues-table tbody tr[data-testid="queue-row"]');
  await until(async () => (await rows.count()) === 12, 'twelve queues listed');
  await page.fill('#queues-search', 'billing');
  await until(async () => (await rows.count()) === 4, 'four queues named Billing');
  await page.locator('[data-testid="queues-search-count"]').filter({ hasText: exact(en['common.shown_of'].replace('{shown}', '4').replace('{total}', '12')) }).waitFor();
  await page.fill('#queues-search', 'q07');
  await until(async () => (await rows.count()) === 1, 'one queue by identifier, any case');
  await page.fill('#queues-search', 'nothing like it');
  await until(async () => (await rows.count()) === 0, 'no queue');
  await page.locator('[data-testid="queues-search-count"]').filter({ hasText: exact(en['common.no_matches'].replace('{q}', 'nothing like it')) }).waitFor();
  await page.fill('#queues-search', '');
  await until(async () => (await rows.count()) === 12, 'all queues again');
  // sources by name, agents by identifier and name: each list narrows to what matches
  for (const [route, id, row, cases] of [
    ['sources', 'sources-search', 'source-row', [['avaya', 2], ['WEST', 1], ['cisco', 0]]],
    ['agents', 'agents-search', 'agent-row', [['ames', 2], ['bob@', 1], ['zed', 0]]],
  ]) {
    await page.goto(`${daemon.url}/#/${route}`);
    const listed = page.locator(`tr[data-testid="${row}"]`);
    await until(async () => (await listed.count()) === 3, `three ${route} listed`);
    for (const [words, n] of cases) {
      await page.fill(`#${id}`, words);
      await until(async () => (await listed.count()) === n, `${route} "${words}": ${n} shown`);
    }
    await page.fill(`#${id}`, '');
    await until(async () => (await listed.count()) === 3, `all ${route} again`);
  }
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
