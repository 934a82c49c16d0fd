// Browser test of deleting a source and a WFM queue: the Delete button opens a dialog with what
// goes with it (from DELETE ?dry_run=true: mappings, schedules, results, by name), Cancel keeps
// everything, confirming deletes everything listed at once (cascade) and the page says what
// went; an object nothing depends on says so and goes alone. In German the dialog is worded from
// the dictionary. Real daemon, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, launchBrowser, signIn, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const dict = {};
for (const lang of ['en', 'de']) {
  dict[lang] = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
}
const { translator } = await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href);

let daemon;
let api;
let tmp;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];
const made = {};
const norm = (s) => s.replace(/\s+/g, ' ').trim();

async function post(p, body) {
  const r = await api.post(p, body);
  assert.ok(r.status === 201, `${p}: ${r.status} ${r.text}`);
  return r.body;
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  tmp = await makeTempDir('acdlink-e2e-delete-');
  const folder = path.join(fs.realpathSync(tmp), 'acd');
  fs.mkdirSync(folder);
  const source = (name) => ({
    name, kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Offered', handled: 'Handled' } },
  });
  made.used = await post('/api/v1/sources', source('Used ACD'));
  made.alone = await post('/api/v1/sources', source('Lonely ACD'));
  made.other = await post('/api/v1/sources', source('Other ACD'));
  made.sales = await post('/api/v1/queues', { identifier: 'SALES', name: 'Sales', time_zone: 'UTC' });
  made.service = await post('/api/v1/queues', { identifier: 'SERVICE', name: 'Service', time_zone: 'UTC' });
  made.maps = [];
  for (const vt of ['offered', 'handled']) {
    made.maps.push(await post('/api/v1/mappings', { queue_id: made.sales.id, value_type: vt, inputs: [{ source_id: made.used.id, ext_queue: '101', metric: vt }] }));
  }
  made.serviceMap = await post('/api/v1/mappings', { queue_id: made.service.id, value_type: 'offered', inputs: [{ source_id: made.other.id, ext_queue: '201', metric: 'offered' }] });
  made.sched = await post('/api/v1/schedules', { source_id: made.used.id, kind: 'every', every_minutes: 15 });
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await signIn(page, daemon, ADMIN);
});

after(async () => {
  await closeBrowser(context, profileDir);
  if (daemon) {
    await daemon.stop();
  }
  if (tmp) {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

async function gotoPage(hash, testid) {
  await page.goto(`${daemon.url}/#/${hash}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

const sourceRow = (name) => page.locator(`[data-testid="source-row"][data-name="${name}"]`);
const dialog = () => page.locator('[data-testid="delete-dialog"]');

test('a used source: the dialog lists what goes, Cancel keeps it, confirming deletes it all', async () => {
  await gotoPage('sources', 'sources-page');
  const row = sourceRow('Used ACD');
  await row.locator('[data-testid="source-delete"]').click();
  await dialog().locator('[data-testid="delete-counts"]').waitFor();
  const t = translator('en');
  assert.equal(norm(await dialog().locator('h2').innerText()), t('delete.title.sources', { name: 'Used ACD' }));
  assert.equal(await dialog().getAttribute('data-cascade'), 'true');
  assert.equal(await dialog().locator('[data-count="mappings"]').getAttribute('data-value'), '2');
  assert.equal(await dialog().locator('[data-count="schedules"]').getAttribute('data-value'), '1');
  assert.equal(norm(await dialog().locator('[data-count="mappings"]').innerText()), t('delete.count.mappings', { n: 2 }));
  const listed = (await dialog().locator('[data-testid="delete-mapping"]').allInnerTexts()).map(norm).sort();
  assert.deepEqual(listed, ['SALES / handled', 'SALES / offered']);
  assert.equal(norm(await dialog().locator('[data-testid="delete-schedule"]').innerText()), t('delete.schedule_every', { n: 15 }));
  assert.equal(norm(await dialog().locator('[data-testid="delete-confirm"]').innerText()), t('delete.confirm_all'));

  // Cancel (and Escape) keep everything
  await dialog().locator('[data-testid="delete-cancel"]').click();
  await dialog().waitFor({ state: 'detached' });
  await row.locator('[data-testid="source-delete"]').click();
  await dialog().locator('[data-testid="delete-counts"]').waitFor();
  await page.keyboard.press('Escape');
  await dialog().waitFor({ state: 'detached' });
  assert.equal((await api.get(`/api/v1/sources/${made.used.id}`)).status, 200);
  assert.equal((await api.get(`/api/v1/mappings/${made.maps[0].id}`)).status, 200);

  // confirmed: the source, its mappings and its schedule go at once
  await row.locator('[data-testid="source-delete"]').click();
  await dialog().locator('[data-testid="delete-counts"]').waitFor();
  await dialog().locator('[data-testid="delete-confirm"]').click();
  await row.waitFor({ state: 'detached' });
  const notice = norm(await page.locator('[data-testid="sources-notice"]').innerText());
  assert.equal(notice, t('msg.delete.source_deleted', { name: 'Used ACD', mappings: 2, schedules: 1, results: 0 }));
  assert.equal((await api.get(`/api/v1/sources/${made.used.id}`)).status, 404);
  for (const m of made.maps) {
    assert.equal((await api.get(`/api/v1/mappings/${m.id}`)).status, 404);
  }
  assert.equal((await api.get(`/api/v1/schedules/${made.sched.id}`)).status, 404);
});

test('a source nothing depends on says so and goes alone', async () => {
  await gotoPage('sources', 'sources-page');
  const row = sourceRow('Lonely ACD');
  await row.locator('[data-testid="source-delete"]').click();
  await dialog().locator('[data-testid="delete-nothing-else"]').waitFor();
  assert.equal(await dialog().getAttribute('data-cascade'), 'false');
  assert.equal(norm(await dialog().locator('[data-testid="delete-confirm"]').innerText()), dict.en['delete.confirm']);
  await dialog().locator('[data-testid="delete-confirm"]').click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await api.get(`/api/v1/sources/${made.alone.id}`)).status, 404);
});

test('a WFM queue with a mapping, in German: the dialog names it and deletes it with the queue', async () => {
  await gotoPage('queues', 'queues-page');
  await page.selectOption('#lang-select', 'de');
  const t = translator('de');
  const row = page.locator('[data-testid="queue-row"][data-identifier="SERVICE"]');
  await row.locator('[data-testid="queue-delete"]').click();
  await dialog().locator('[data-testid="delete-counts"]').waitFor();
  assert.equal(norm(await dialog().locator('h2').innerText()), t('delete.title.queues', { name: 'SERVICE' }));
  assert.equal(norm(await dialog().locator('[data-testid="delete-summary"]').innerText()),
    norm(t('msg.delete.queue_consequences', { name: 'SERVICE' })));
  assert.equal(norm(await dialog().locator('[data-count="mappings"]').innerText()), t('delete.count.mappings', { n: 1 }));
  assert.equal(norm(await dialog().locator('[data-testid="delete-mapping"]').innerText()), 'SERVICE / offered');
  await dialog().locator('[data-testid="delete-confirm"]').click();
  await row.waitFor({ state: 'detached' });
  await until(async () => (await api.get(`/api/v1/queues/${made.service.id}`)).status === 404, 'the queue is gone');
  assert.equal((await api.get(`/api/v1/mappings/${made.serviceMap.id}`)).status, 404);
  // the other queue lost its mappings with the source: nothing else goes now
  const sales = page.locator('[data-testid="queue-row"][data-identifier="SALES"]');
  await sales.locator('[data-testid="queue-delete"]').click();
  await dialog().locator('[data-testid="delete-nothing-else"]').waitFor();
  assert.equal(norm(await dialog().locator('[data-testid="delete-nothing-else"]').innerText()), dict.de['delete.nothing_else']);
  await dialog().locator('[data-testid="delete-cancel"]').click();
  await page.selectOption('#lang-select', 'en');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
