// Browser test of the home page and three everyday details: every role lands on Home; before
// any import Mappings says so instead of "every external queue is mapped"; a role change on
// Users waits for a confirmation naming user, old and new role; the "was queued" notice on
// Runs goes once its run has ended; Home then shows the open problems first (a rejected row, a
// failed run, a target whose deliveries fail) with links to where they are dealt with, the
// sources with their last run and next scheduled run in the source zone, the target's backlog
// and last error, and today's offered and handled per interval in the queue's local time as an
// SVG chart, for all queues and for one. Real daemon, real files, real browser (its own zone
// differs from the source's on purpose).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { closedPort } from '../lib/wfm.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OTTO = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const ZONE = 'Europe/Berlin';
const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const FILLERS = 1500; // external queues nobody maps: enough rows for a run that lasts a moment

const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
}
const en = dict.en;
const { messageText, translator } = await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href);

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let source;
let queues = {};
let runId;
let failedRunId;
const pageErrors = [];
const cspViolations = [];
const patches = [];

function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function apiOk(method, p, body) {
  const r = method === 'GET' ? await api.get(p) : await api.post(p, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
  return r.body;
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-home-${name}.png`), fullPage: true });
}

async function gotoPage(route, testid) {
  await page.click(`#nav-${route}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, OTTO] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-home-');
  source = await apiOk('POST', '/api/v1/sources', {
    name: 'Home ACD', kind: 'csv', time_zone: ZONE, interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'ymd' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled' },
    },
  });
  for (const q of ['101', '102']) {
    queues[q] = await apiOk('POST', '/api/v1/queues', {
      identifier: `HOME${q}`, name: `Hotline ${q}`, channel: 'calls', interval_minutes: 15, time_zone: ZONE,
    });
    for (const vt of ['offered', 'handled']) {
      await apiOk('POST', '/api/v1/mappings', {
        queue_id: queues[q].id, value_type: vt, inputs: [{ source_id: source.id, ext_queue: q, metric: vt }],
      });
    }
  }
  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'America/New_York', pageErrors, cspViolations,
  }));
  page.on('request', (req) => {
    if (req.method() === 'PATCH' && req.url().includes('/api/v1/users/')) {
      patches.push(req.postDataJSON());
    }
  });
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

test('the admin lands on Home; before any import nothing is a problem and Mappings says nothing was imported', async () => {
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="home-page"]').waitFor();
  assert.match(page.url(), /#\/home$/);
  await waitText('h1', en['home.title']);
  await waitText('[data-testid="home-no-problems"]', en['home.no_problems']);
  const row = page.locator('[data-testid="home-source"][data-name="Home ACD"]');
  await row.waitFor();
  await waitText('[data-testid="home-source"] td:nth-child(3)', en['home.no_run']);
  assert.equal(await row.locator('[data-testid="home-source-health"]').getAttribute('data-health'), 'ok');
  await waitText('[data-testid="home-no-volumes"]', en['home.no_volumes']);

  await gotoPage('mappings', 'mappings-page');
  const empty = page.locator('[data-testid="unmapped-empty"]');
  await empty.waitFor();
  assert.equal(await empty.getAttribute('data-imported'), 'false');
  assert.equal((await empty.textContent()).trim(), en['mappings.unmapped_nothing_imported']);
});

test('a role change waits for a confirmation naming the user, the old and the new role', async () => {
  await gotoPage('users', 'users-page');
  const row = page.locator(`[data-testid="user-row"][data-name="${OTTO.name}"]`);
  await row.waitFor();
  const select = row.locator('[data-testid="user-role-select"]');
  await select.selectOption('viewer');
  const question = row.locator('[data-testid="user-role-question"]');
  await question.waitFor();
  assert.equal((await question.locator('.confirm-text').textContent()).trim(),
    en['users.role_change_question'].replace('{name}', OTTO.name)
      .replace('{old}', en['role.operator']).replace('{new}', en['role.viewer']));
  await shot('role-question');
  assert.deepEqual(patches, [], 'nothing is sent before the confirmation');
  assert.equal((await apiOk('GET', '/api/v1/users?limit=500')).items.find((u) => u.name === OTTO.name).role, 'operator');

  // cancel: the select shows the old role again, nothing changed
  await row.locator('[data-testid="user-role-cancel"]').click();
  await until(async () => (await select.inputValue()) === 'operator', 'the old role back in the select');
  assert.equal(await question.count(), 0);
  assert.deepEqual(patches, []);

  await select.selectOption('viewer');
  await row.locator('[data-testid="user-role-confirm"]').click();
  await until(async () => (await apiOk('GET', '/api/v1/users?limit=500')).items
    .find((u) => u.name === OTTO.name).role === 'viewer', 'the role changed on the daemon');
  assert.deepEqual(patches, [{ role: 'viewer' }]);
  await page.locator('[data-testid="user-row-message"]').waitFor();
  assert.equal(await select.inputValue(), 'viewer');
});

test('the "was queued" notice on Runs goes once the run has ended', async () => {
  const day = today();
  const lines = ['Split;Date;Time;Offered;Handled',
    `101;${day};08:00;10;8`, `101;${day};08:15;6;6`, `102;${day};08:00;5;3`,
    `102;${day};08:30;x;1`];
  for (let f = 0; f < FILLERS; f++) {
    for (let i = 0; i < 96; i++) {
      lines.push(`F${f};${day};${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')};1;1`);
    }
  }
  await fsp.writeFile(path.join(folder, 'today.csv'), `${lines.join('\n')}\n`);

  await gotoPage('runs', 'runs-page');
  await page.selectOption('#run-source', String(source.id));
  await page.fill('#run-from', day);
  await page.fill('#run-to', day);
  await page.click('#run-start');
  const notice = page.locator('[data-testid="runs-notice"]');
  await notice.waitFor();
  const detail = page.locator('#run-detail');
  await detail.waitFor();
  runId = Number(await detail.getAttribute('data-run-id'));
  assert.match(await notice.textContent(), new RegExp(`#${runId}`));
  await page.locator('#run-detail[data-state="done"]').waitFor({ timeout: 60000 });
  await until(async () => (await notice.count()) === 0, 'the notice to go once the run is done');
});

test('Home lists the open problems first, then sources, targets and today\'s volumes', async () => {
  // a source whose folder is gone (its run fails), a schedule, and a target that cannot be reached
  const gone = path.join(folder, 'gone');
  fs.mkdirSync(gone);
  const broken = await apiOk('POST', '/api/v1/sources', {
    name: 'Broken ACD', kind: 'csv', time_zone: ZONE,
    settings: { csv: { folder: gone, date_order: 'ymd' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Offered' } },
  });
  fs.rmSync(gone, { recursive: true });
  failedRunId = (await apiOk('POST', '/api/v1/runs', { source_id: broken.id, from: today(), to: today() })).id;
  await until(async () => (await apiOk('GET', `/api/v1/runs/${failedRunId}`)).state === 'failed', 'the failed run');
  const sch = await apiOk('POST', '/api/v1/schedules', { source_id: source.id, kind: 'daily', daily_at: '06:00', days_back: 1 });
  const port = await closedPort();
  await apiOk('POST', '/api/v1/targets', {
    name: 'Far WFM', connector: 'https-json', secret: 'k', settings: { url: `https://127.0.0.1:${port}/x`, timeout_seconds: 2 },
  });
  // results made before the target existed are not queued for it: import once more (new values)
  await fsp.writeFile(path.join(folder, 'more.csv'), `Split;Date;Time;Offered;Handled\n101;${today()};08:45;4;2\n`);
  const again = (await apiOk('POST', '/api/v1/runs', { source_id: source.id, from: today(), to: today() })).id;
  await until(async () => (await apiOk('GET', `/api/v1/runs/${again}`)).state === 'done', 'the second run');
  await until(async () => (await apiOk('GET', '/api/v1/overview')).targets[0].last_error, 'a failed delivery');

  await gotoPage('home', 'home-page');
  await page.click('#home-refresh');
  const problems = page.locator('[data-testid="home-problems"]');
  await problems.waitFor();
  // problems come before everything else on the page
  const order = await page.evaluate(() => [...document.querySelectorAll('[data-testid^="home-"]')]
    .map((e) => e.getAttribute('data-testid')).filter((x) => ['home-problems', 'home-sources', 'home-targets', 'home-volumes'].includes(x)));
  assert.deepEqual(order, ['home-problems', 'home-sources', 'home-targets', 'home-volumes']);
  const codes = await problems.locator('[data-testid="home-problem"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
  assert.equal(codes[0], 'run_failed', `the failed run first: ${codes}`);
  assert.ok(codes.includes('delivery_failing'), `${codes}`);
  const failedItem = problems.locator('[data-testid="home-problem"][data-code="run_failed"]');
  assert.match(await failedItem.textContent(), /Broken ACD/);
  assert.equal(await failedItem.locator('a').getAttribute('href'), `#/runs/${failedRunId}`);
  assert.equal(await problems.locator('[data-code="delivery_failing"] a').getAttribute('href'), '#/deliveries');

  // the source: latest run with its counts, the next run in the source's zone, health
  const row = page.locator('[data-testid="home-source"][data-name="Home ACD"]');
  assert.equal(await row.locator('[data-testid="home-source-run"]').getAttribute('href'), `#/runs/${again}`);
  const o = await apiOk('GET', '/api/v1/overview');
  const s = o.sources.find((x) => x.name === 'Home ACD');
  assert.equal(s.next_run_at, sch.next_run_at);
  assert.match(s.next_run_local, / 06:00$/, 'the daily time in the source zone, not the browser\'s');
  assert.equal((await row.locator('[data-testid="home-source-next"] span').first().textContent()).trim(), s.next_run_local);
  assert.equal(await row.locator('[data-count="rows_read"]').getAttribute('data-value'), String(s.last_run.rows_read));
  assert.equal(await row.locator('[data-testid="home-source-health"]').getAttribute('data-health'), s.health);
  await waitText('[data-testid="home-source"][data-name="Home ACD"] [data-testid="home-source-day"]', today());
  const brokenRow = page.locator('[data-testid="home-source"][data-name="Broken ACD"]');
  assert.equal(await brokenRow.locator('[data-testid="home-source-health"]').getAttribute('data-health'), 'failed');
  await waitText('[data-testid="home-source"][data-name="Broken ACD"] [data-testid="home-source-health"]', en['home.health.failed']);

  // the target: its backlog and the last error with the reason
  const target = page.locator('[data-testid="home-target"][data-name="Far WFM"]');
  assert.ok(Number(await target.locator('[data-testid="home-target-backlog"]').getAttribute('data-waiting')) > 0);
  // worded from its code (a refused connection) in the console's language
  assert.equal(o.targets[0].last_error.code, 'conn.tcp');
  assert.equal((await target.locator('[data-testid="home-target-error"] .home-error').textContent()).trim(),
    messageText(translator('en'), o.targets[0].last_error, 'en'));
  assert.equal(await target.locator('[data-testid="home-target-health"]').getAttribute('data-health'), 'warning');

  // today's volumes in the queues' local time: all queues together, then one
  const chart = page.locator('[data-testid="home-chart"]');
  await chart.waitFor();
  const points = async () => chart.locator('[data-testid="home-chart-point"]').evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-time'), Number(e.getAttribute('data-offered')), Number(e.getAttribute('data-handled'))]));
  assert.deepEqual(await points(), [['08:00', 15, 11], ['08:15', 6, 6], ['08:45', 4, 2]]);
  assert.match(await page.locator('[data-testid="home-volumes-zone"]').textContent(), new RegExp(`${ZONE}.*${today()}`));
  await waitText('[data-testid="home-sum-offered"]', '25');
  await shot('problems');
  await page.selectOption('#home-queue', String(queues['102'].id));
  await until(async () => JSON.stringify(await points()) === JSON.stringify([['08:00', 5, 3]]), 'the series of queue 102');
  await waitText('[data-testid="home-sum-offered"]', '5');
  await page.selectOption('#home-queue', '');
  await until(async () => (await points()).length === 3, 'all queues again');

  // a phone: everything fits the width
  await page.setViewportSize({ width: 390, height: 800 });
  await until(async () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    'the home page to fit a phone', 10000);
  await shot('phone');
  await page.setViewportSize({ width: 1280, height: 720 });

  // a problem's link leads to where it is dealt with
  await failedItem.locator('a').click();
  await page.locator(`#run-detail[data-run-id="${failedRunId}"]`).waitFor();

  // German and French
  await page.selectOption('#lang-select', 'de');
  await gotoPage('home', 'home-page');
  await waitText('h1', dict.de['home.title']);
  await waitText('#nav-home', dict.de['nav.home']);
  await page.selectOption('#lang-select', 'fr');
  await waitText('h1', dict.fr['home.title']);
  await page.selectOption('#lang-select', 'en');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
