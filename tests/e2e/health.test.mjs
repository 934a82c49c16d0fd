// Browser test of the health banner: while the daemon's health is degraded (here: the data
// disk has less free space than disk_min_free_mb), every console page lists the problem with
// its reason; with enough free space there is no banner.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;
const cleanup = [];

after(async () => {
  for (const f of cleanup.reverse()) {
    await f().catch(() => {});
  }
});

async function consoleOf(args) {
  const daemon = await startDaemon({ users: [ADMIN], args });
  cleanup.push(() => daemon.stop());
  const pageErrors = [];
  const { context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations: [] });
  cleanup.push(() => fsp.rm(profileDir, { recursive: true, force: true }));
  cleanup.push(() => context.close());
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="app-footer"]').waitFor();
  return { daemon, page, pageErrors };
}

test('a degraded health shows on every page with its reason', async () => {
  const { page, pageErrors } = await consoleOf(['--disk-min-free-mb', '104857600']);
  for (const nav of ['#nav-runs', '#nav-mappings', '#nav-backup']) {
    await page.click(nav);
    const problem = page.locator('[data-testid="health-problem-disk"]');
    await problem.waitFor();
    const text = await problem.textContent();
    assert.match(text, new RegExp(en['health.check.disk']));
    assert.match(text, /disk_min_free_mb/);
    assert.match(await page.locator('[data-testid="health-warning"]').textContent(), new RegExp(en['health.banner']));
  }
  assert.deepEqual(pageErrors, []);
});

test('a healthy daemon shows no banner', async () => {
  const { page } = await consoleOf(['--disk-min-free-mb', '0']);
  await page.click('#nav-runs');
  // the footer and the banner come from the same answer of GET /api/v1/health
  await page.locator('[data-testid="tzdata"]').waitFor();
  const h = await page.evaluate(async () => (await fetch('/api/v1/health')).json());
  assert.equal(h.status, 'ok', JSON.stringify(h));
  assert.equal(await page.locator('[data-testid="health-warning"]').count(), 0);
});
